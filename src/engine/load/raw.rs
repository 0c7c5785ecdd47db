//! The dialogue file as written: one serde struct per node kind, every one
//! `deny_unknown_fields`, so a misspelt key, a key of another kind, a
//! missing key and a wrong type are all serde errors with a source span.
//!
//! A node's `kind` picks its struct; [`super::read`] does that dispatch
//! (serde's own internally tagged enums buffer the node and lose the spans).

use std::collections::BTreeMap;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use toml::Spanned;

use crate::engine::model::EffectKind;

pub type S<T> = Spanned<T>;

/// A dialogue file's head as written. Its nodes are read one by one
/// ([`super::read`]) so one bad node does not hide the rest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHead {
    pub id: S<String>,
    pub title: S<RawText>,
    pub start: S<String>,
    /// Read here for its shape only (a table of tables); each node is read
    /// from the file's spanned tables by [`super::read`].
    #[serde(rename = "nodes")]
    _nodes: BTreeMap<String, toml::Table>,
    /// Read here for its shape only, like `nodes`; each intent is read by
    /// [`super::read`].
    #[serde(rename = "intents", default)]
    _intents: Option<BTreeMap<String, toml::Table>>,
}

impl RawHead {
    /// The keys a file's top level takes.
    #[must_use]
    pub fn keys() -> &'static [&'static str] {
        fields_of::<RawHead>()
    }
}

/// A text as written: language code → text. Every language is optional
/// here so the checker can name every missing translation (and an unknown
/// language) instead of stopping at the first.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct RawText(pub BTreeMap<String, S<String>>);

/// Declares the node kinds once: the `kind = "..."` names, the struct each
/// reads into, and the dispatch from one to the other.
macro_rules! node_kinds {
    ($($kind:ident($body:ty) = $name:literal,)*) => {
        /// The node kinds a file may use (`kind = "..."`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
        pub enum Kind {
            $(#[serde(rename = $name)] $kind,)*
        }

        /// One node as written (all its keys but `kind`).
        #[derive(Debug)]
        pub enum RawNode {
            $($kind($body),)*
        }

        impl Kind {
            pub const ALL: &'static [Kind] = &[$(Kind::$kind),*];

            #[must_use]
            pub fn name(self) -> &'static str {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }

            /// Reads a node's keys, `kind` taken out, into this kind's struct.
            pub fn read<'de, D: Deserializer<'de>>(self, de: D) -> Result<RawNode, D::Error> {
                match self {
                    $(Kind::$kind => <$body>::deserialize(de).map(RawNode::$kind),)*
                }
            }

            /// The keys this kind's struct takes.
            #[must_use]
            pub fn keys(self) -> &'static [&'static str] {
                match self {
                    $(Kind::$kind => fields_of::<$body>(),)*
                }
            }
        }

        impl RawNode {
            #[must_use]
            pub fn kind(&self) -> Kind {
                match self {
                    $(RawNode::$kind(_) => Kind::$kind,)*
                }
            }
        }
    };
}

node_kinds! {
    Message(MessageNode) = "message",
    Choice(ChoiceNode) = "choice",
    Text(TextNode) = "text",
    Number(NumberNode) = "number",
    Date(DaysNode) = "date",
    Slot(DaysNode) = "slot",
    Photo(PhotoNode) = "photo",
    Location(LocationNode) = "location",
    Contact(ContactNode) = "contact",
    YesNo(YesNoNode) = "yes_no",
    Rating(RatingNode) = "rating",
    PickUnit(PickUnitNode) = "pick_unit",
    Action(ActionNode) = "action",
    Condition(ConditionNode) = "condition",
    Goto(GotoNode) = "goto",
    End(EndNode) = "end",
}

impl Kind {
    /// Whether the node waits for the owner (and so shows Back/Cancel).
    #[must_use]
    pub fn is_prompt(self) -> bool {
        !matches!(
            self,
            Kind::Message | Kind::Action | Kind::Condition | Kind::Goto | Kind::End
        )
    }
}

impl RawNode {
    /// Every node name this one leads to, where it is written.
    #[must_use]
    pub fn targets(&self) -> Vec<&S<String>> {
        match self {
            RawNode::Message(MessageNode { next, .. })
            | RawNode::Text(TextNode { next, .. })
            | RawNode::Number(NumberNode { next, .. })
            | RawNode::Date(DaysNode { next, .. })
            | RawNode::Slot(DaysNode { next, .. })
            | RawNode::Photo(PhotoNode { next, .. })
            | RawNode::Location(LocationNode { next, .. })
            | RawNode::Contact(ContactNode { next, .. })
            | RawNode::Rating(RatingNode { next, .. })
            | RawNode::PickUnit(PickUnitNode { next, .. }) => vec![next],
            RawNode::Choice(n) => n
                .choices
                .get_ref()
                .iter()
                .map(|c| &c.get_ref().next)
                .collect(),
            RawNode::YesNo(n) => vec![&n.yes, &n.no],
            RawNode::Action(n) => n
                .outcomes
                .iter()
                .flat_map(|o| o.get_ref().values())
                .chain(n.next.as_ref())
                .collect(),
            RawNode::Condition(n) => n
                .branches
                .iter()
                .flat_map(|b| b.get_ref())
                .map(|b| &b.get_ref().next)
                .chain(std::iter::once(&n.otherwise))
                .collect(),
            RawNode::Goto(_) | RawNode::End(_) => Vec::new(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageNode {
    pub say: S<RawText>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChoiceNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub choices: S<Vec<S<RawChoice>>>,
    /// Buttons per row.
    pub columns: Option<S<u8>>,
    pub save: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawChoice {
    /// Defaults to the choice's position, from 1.
    pub key: Option<S<String>>,
    pub label: S<RawText>,
    pub next: S<String>,
    pub set: Option<S<toml::Table>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub min_chars: Option<S<usize>>,
    pub max_chars: Option<S<usize>>,
    pub pattern: Option<S<String>>,
    pub example: Option<S<String>>,
    pub optional: Option<S<bool>>,
    pub save: S<String>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub min: Option<S<i64>>,
    pub max: Option<S<i64>>,
    pub save: S<String>,
    pub next: S<String>,
}

/// A `date` or a `slot` node: day buttons, or half-day buttons.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaysNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub days: Option<S<u32>>,
    pub from_today: Option<S<bool>>,
    pub optional: Option<S<bool>>,
    pub save: S<String>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    /// Most photos, 1 to 10.
    pub max: Option<S<i64>>,
    pub optional: Option<S<bool>>,
    pub save: S<String>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub button: Option<S<RawText>>,
    pub optional: Option<S<bool>>,
    pub save: S<String>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub button: Option<S<RawText>>,
    pub save: S<String>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YesNoNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub save: Option<S<String>>,
    pub yes: S<String>,
    pub no: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    pub save: S<String>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickUnitNode {
    pub say: S<RawText>,
    pub retry: Option<S<RawText>>,
    /// The variable holding the units to offer; `units` when left out.
    pub from: Option<S<String>>,
    /// The label of one more button, for all of the person's units at
    /// once (`save` is then left empty).
    pub all: Option<S<RawText>>,
    pub save: S<String>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionNode {
    pub say: Option<S<RawText>>,
    pub effect: S<EffectKind>,
    pub args: Option<S<toml::Table>>,
    pub outcomes: Option<S<BTreeMap<S<String>, S<String>>>>,
    pub next: Option<S<String>>,
    /// For the reader only: the variables the outcomes set.
    #[serde(rename = "provides")]
    _provides: Option<Vec<String>>,
    /// Hand the conversation so far to the effect.
    pub transcript: Option<S<bool>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionNode {
    pub say: Option<S<RawText>>,
    pub branches: Option<S<Vec<S<RawBranch>>>>,
    #[serde(rename = "else")]
    pub otherwise: S<String>,
}

/// One test of a condition: exactly one of `fact` or `var`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBranch {
    pub fact: Option<S<String>>,
    pub var: Option<S<String>>,
    pub equals: Option<S<toml::Value>>,
    pub is_set: Option<S<bool>>,
    pub not: Option<S<bool>>,
    pub next: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GotoNode {
    pub say: Option<S<RawText>>,
    pub dialogue: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndNode {
    pub say: S<RawText>,
}

/// Words per language as written: language code → list.
pub type RawWords = S<BTreeMap<String, S<Vec<S<String>>>>>;

/// An intent as written (`[intents.NAME]`): how free text finds this
/// dialogue (see `engine::intent`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntent {
    /// The button that offers it when the owner must choose.
    pub label: S<RawText>,
    /// The node to start at (default: the dialogue's `start`).
    pub start: Option<S<String>>,
    /// Variables the message already gives.
    pub set: Option<S<toml::Table>>,
    /// The variable that takes the owner's message.
    pub text: Option<S<String>>,
    pub keywords: Option<RawWords>,
    pub patterns: Option<RawWords>,
    /// Messages that must route here; `propdesk check` routes each.
    pub examples: Option<RawWords>,
}

/// The keys a derived struct takes, as its derive hands them to
/// `deserialize_struct`, so the list of keys is the struct itself.
fn fields_of<T: de::DeserializeOwned>() -> &'static [&'static str] {
    struct Fields<'a>(&'a mut &'static [&'static str]);

    impl<'de> Deserializer<'de> for Fields<'_> {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields taken"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Fields(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_knows_its_keys_from_its_struct() {
        assert_eq!(Kind::End.keys(), ["say"]);
        assert!(Kind::Condition.keys().contains(&"else"));
        assert!(Kind::Text.keys().contains(&"min_chars"));
        assert!(!Kind::Number.keys().contains(&"min_chars"));
    }
}
