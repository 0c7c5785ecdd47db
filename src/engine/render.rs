//! Filling `{var}` placeholders of dialogue texts with collected answers and
//! facts, and showing stored values to the owner.

use std::collections::BTreeMap;

use serde_json::Value;

use super::facts::Facts;
use super::load::MAX_TEXT_CHARS;
use crate::i18n::Lang;
use crate::texts::engine as phrases;

/// The raw value a placeholder names: a collected var first, then a fact.
#[must_use]
pub fn lookup(name: &str, vars: &BTreeMap<String, Value>, facts: &Facts) -> Option<Value> {
    if let Some(v) = vars.get(name) {
        return Some(v.clone());
    }
    match name {
        "duty_phone" => Some(Value::String(facts.duty_phone.clone())),
        "default_unit" => facts.default_unit.clone().map(Value::String),
        "units" => Some(Value::Array(
            facts
                .units
                .iter()
                .map(|u| Value::String(u.code.clone()))
                .collect(),
        )),
        _ => None,
    }
}

/// `template` with every `{name}` replaced; `{{` and `}}` stand for braces.
/// Owner-typed text goes in verbatim: replies are sent as plain text.
#[must_use]
pub fn render(template: &str, lang: Lang, vars: &BTreeMap<String, Value>, facts: &Facts) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
            rest = &tail[2..];
            continue;
        }
        if let Some(stripped) = tail.strip_prefix('{') {
            if let Some(end) = stripped.find('}') {
                let name = &stripped[..end];
                if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    let shown = lookup(name, vars, facts).map_or_else(
                        || phrases::EMPTY.get(lang).to_string(),
                        |v| display(&v, lang),
                    );
                    out.push_str(&shown);
                    rest = &stripped[end + 1..];
                    continue;
                }
            }
        }
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
    clamp(out, MAX_TEXT_CHARS)
}

/// A stored value as the owner should read it.
#[must_use]
pub fn display(value: &Value, lang: Lang) -> String {
    match value {
        Value::Null => phrases::EMPTY.get(lang).to_string(),
        Value::Bool(true) => phrases::YES.get(lang).to_string(),
        Value::Bool(false) => phrases::NO.get(lang).to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| display(v, lang))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(map) => {
            let get = |k: &str| map.get(k).and_then(Value::as_str);
            if let (Some(date), Some(from), Some(to)) = (get("date"), get("from"), get("to")) {
                format!("{date} {from}–{to}")
            } else if let Some(code) = get("code") {
                code.to_string()
            } else if let (Some(lat), Some(lon)) = (map.get("latitude"), map.get("longitude")) {
                format!("{lat}, {lon}")
            } else {
                Value::Object(map.clone()).to_string()
            }
        }
    }
}

/// Cuts `text` to at most `max` characters, marking the cut with `…`.
#[must_use]
pub fn clamp(text: String, max: usize) -> String {
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            registered: true,
            units: Vec::new(),
            default_unit: Some("3-2-1101".into()),
            timezone: chrono_tz::Asia::Shanghai,
            duty_phone: "0571-1234".into(),
        }
    }

    #[test]
    fn placeholders_take_vars_then_facts_and_braces_can_be_escaped() {
        let mut vars = BTreeMap::new();
        vars.insert("name".to_string(), Value::String("{王}".into()));
        let t = render(
            "{name} {default_unit} {duty_phone} {{x}} {missing} {not a var}",
            Lang::En,
            &vars,
            &facts(),
        );
        assert_eq!(t, "{王} 3-2-1101 0571-1234 {x} — {not a var}");
    }

    #[test]
    fn long_results_are_cut_to_telegrams_limit() {
        let mut vars = BTreeMap::new();
        vars.insert("d".to_string(), Value::String("字".repeat(5000)));
        assert_eq!(
            render("{d}", Lang::Zh, &vars, &facts()).chars().count(),
            MAX_TEXT_CHARS
        );
    }
}
