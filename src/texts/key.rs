//! What a catalogue key is: its name, the placeholders the code fills, and
//! what the text is shown as (for Telegram's length limits and the checks).
//! The words themselves are in the catalogue.

/// What a text is shown as, for Telegram's length limits and the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A message (or part of one): at most 4096 characters.
    Message,
    /// A usage or help message: like a message, but its numbers and times
    /// are examples of what to type, not settings.
    Usage,
    /// An inline or reply keyboard button label.
    Button,
    /// The text of answerCallbackQuery (a notice on the pressed button).
    Callback,
    /// A command's description in Telegram's command menu (setMyCommands).
    Command,
}

impl Kind {
    /// The most characters Telegram takes for this kind of text. Telegram
    /// publishes no limit on button labels; 64 keeps a label readable on a
    /// phone and matches the dialogue files' rule.
    #[must_use]
    pub fn max_chars(self) -> usize {
        match self {
            Kind::Message | Kind::Usage => 4096,
            Kind::Button => 64,
            Kind::Callback => 200,
            Kind::Command => 256,
        }
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Message => "a message",
            Kind::Usage => "a usage message",
            Kind::Button => "a button label",
            Kind::Callback => "a button answer",
            Kind::Command => "a command description",
        }
    }
}

/// One text of the catalogue: its key in `texts.toml`, the placeholders the
/// code fills, and what it is shown as. The words are in the catalogue;
/// [`Phrase::get`] reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Phrase {
    section: &'static str,
    name: &'static str,
    placeholders: &'static [&'static str],
    /// The placeholder holding the number the text counts, when its words
    /// change with it ("1 copy", "2 copies"; see `plural`).
    count: Option<&'static str>,
    kind: Kind,
}

impl Phrase {
    pub(super) const fn new(
        section: &'static str,
        name: &'static str,
        placeholders: &'static [&'static str],
        count: Option<&'static str>,
        kind: Kind,
    ) -> Phrase {
        Phrase {
            section,
            name,
            placeholders,
            count,
            kind,
        }
    }

    /// The key as written in `texts.toml`: `welcome`, `broadcast.ask_audience`.
    #[must_use]
    pub fn key(self) -> String {
        let name = self.name.to_ascii_lowercase();
        if self.section.is_empty() {
            name
        } else {
            format!("{}.{name}", self.section)
        }
    }

    /// The `[section]` of `texts.toml` the key lives in ("" for the top).
    #[must_use]
    pub fn section(self) -> &'static str {
        self.section
    }

    /// The constant's name in the code: `ASK_AUDIENCE`.
    #[must_use]
    pub fn name(self) -> &'static str {
        self.name
    }

    /// The `{placeholders}` every language's text uses and the code fills.
    #[must_use]
    pub fn placeholders(self) -> &'static [&'static str] {
        self.placeholders
    }

    /// The placeholder whose number picks the plural form, if the text has
    /// plural forms.
    #[must_use]
    pub fn count(self) -> Option<&'static str> {
        self.count
    }

    #[must_use]
    pub fn kind(self) -> Kind {
        self.kind
    }
}
