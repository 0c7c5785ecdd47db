//! Placeholders: finding them in a text and filling them in.

/// `text` with each `{name}` replaced by its value, in one pass (a value
/// that contains braces is left as it is). Filling a placeholder the text
/// does not have, or leaving one of its placeholders unfilled, is a bug: a
/// debug build stops on it.
#[must_use]
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    debug_assert!(
        {
            let mut used = placeholders(text);
            used.sort_unstable();
            used.dedup();
            let mut given: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
            given.sort_unstable();
            used == given
        },
        "fill: the text {text:?} has placeholders {:?}, given {:?}",
        placeholders(text),
        values.iter().map(|(n, _)| *n).collect::<Vec<_>>()
    );
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after
            .find('}')
            .map(|close| &after[..close])
            .filter(|n| is_placeholder(n));
        match name.and_then(|n| values.iter().find(|(v, _)| *v == n)) {
            Some((n, value)) => {
                out.push_str(value);
                rest = &after[n.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{placeholders}` of a text, in order, repeats included.
#[must_use]
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(close) = rest.find('}') {
            let name = &rest[..close];
            if is_placeholder(name) {
                found.push(name);
                rest = &rest[close + 1..];
            }
        }
    }
    found
}

/// A placeholder name: lowercase ASCII letters, digits and `_`.
fn is_placeholder(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
