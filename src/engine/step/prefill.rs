//! Questions the owner's own words already answered: a dialogue started
//! from free text ([`super::start_with`]) carries variables, and a prompt
//! whose variable is among them takes the value as if the owner had given
//! it — a `choice` by its key (or, with no `save`, the choice whose `set`
//! the variables already hold), a `text` or `number` by the text, a
//! `yes_no` by a boolean. When the prompt takes it, the walk goes on without
//! asking (and Back never returns there); when not (too short, say), the
//! question is asked as usual.

use serde_json::Value;

use super::io::Input;
use super::machine::{Given, Handled, Run};
use crate::engine::callback::Token;
use crate::engine::model::NodeKind;

/// The answer a prefilled variable gives.
enum Answer {
    Token(Token),
    Text(String),
}

impl Run<'_> {
    /// Where prompt `id` leads when the prefilled variables answer it, or
    /// `None` when it must be asked.
    pub(super) fn prefilled_answer(&mut self, id: &str) -> Option<String> {
        if self.state.prefilled.is_empty() {
            return None;
        }
        let node = self.node(id)?;
        let (answer, uses): (Answer, Vec<String>) = match &node.kind {
            NodeKind::Choice {
                save: Some(save), ..
            } => {
                let key = self.prefilled(save)?.as_str()?.to_string();
                (Answer::Token(Token::Choice(key)), vec![save.clone()])
            }
            NodeKind::Choice {
                choices,
                save: None,
                ..
            } => {
                let held = |(k, v): (&String, &Value)| {
                    self.state.prefilled.contains(k) && self.state.vars.get(k) == Some(&self.arg(v))
                };
                let c = choices
                    .iter()
                    .find(|c| !c.set.is_empty() && c.set.iter().all(held))?;
                (
                    Answer::Token(Token::Choice(c.key.clone())),
                    c.set.keys().cloned().collect(),
                )
            }
            NodeKind::Text { save, .. } | NodeKind::Number { save, .. } => {
                let text = match self.prefilled(save)? {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                (Answer::Text(text), vec![save.clone()])
            }
            NodeKind::YesNo {
                save: Some(save), ..
            } => {
                let yes = self.prefilled(save)?.as_bool()?;
                let token = if yes { Token::Yes } else { Token::No };
                (Answer::Token(token), vec![save.clone()])
            }
            _ => return None,
        };
        for var in &uses {
            self.state.prefilled.remove(var);
        }
        let before = self.state.vars.clone();
        let handled = match answer {
            Answer::Token(token) => self.answer(id, Given::Token(token)),
            Answer::Text(text) => self.answer(id, Given::Input(&Input::Text(text))),
        };
        match handled {
            Handled::Next(target) => Some(target),
            Handled::Again(_) | Handled::Fail(_) => {
                self.state.vars = before;
                None
            }
        }
    }

    /// The value of `var` when it is still marked prefilled.
    fn prefilled(&self, var: &str) -> Option<&Value> {
        if self.state.prefilled.contains(var) {
            self.state.vars.get(var)
        } else {
            None
        }
    }
}
