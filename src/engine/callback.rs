//! Callback data of the buttons the engine draws: `d:<serial>:<token>`.
//!
//! The runtime routes every callback starting with `d:` to the engine; the
//! serial says which prompt the button belongs to, so a button of an older
//! message is recognised as stale. Telegram allows 1–64 bytes of data.

use chrono::NaiveDate;

/// The prefix the runtime routes to the dialogue engine.
pub const PREFIX: &str = "d:";
/// The most the engine's data may take, in bytes: Telegram's 64 for
/// `callback_data`, less the one byte of version the runtime's button codec
/// (`telegram::callback`) puts in front.
pub const MAX_BYTES: usize = 63;

/// Morning or afternoon of a day in the time-slot picker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    Am,
    Pm,
}

/// What a button means, independent of which prompt showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Back,
    Cancel,
    Human,
    KeepTrying,
    Skip,
    Done,
    Yes,
    No,
    Rating(u8),
    Date(NaiveDate),
    Slot(NaiveDate, Half),
    Unit(usize),
    Choice(String),
}

/// The callback data of `token` on the prompt numbered `serial`.
#[must_use]
pub fn encode(serial: u32, token: &Token) -> String {
    let t = match token {
        Token::Back => "b".to_string(),
        Token::Cancel => "x".to_string(),
        Token::Human => "h".to_string(),
        Token::KeepTrying => "k".to_string(),
        Token::Skip => "s".to_string(),
        Token::Done => "f".to_string(),
        Token::Yes => "y".to_string(),
        Token::No => "n".to_string(),
        Token::Rating(r) => format!("r{r}"),
        Token::Date(d) => format!("t{}", d.format("%Y%m%d")),
        Token::Slot(d, Half::Am) => format!("t{}a", d.format("%Y%m%d")),
        Token::Slot(d, Half::Pm) => format!("t{}p", d.format("%Y%m%d")),
        Token::Unit(i) => format!("u{i}"),
        Token::Choice(key) => format!("c.{key}"),
    };
    format!("{PREFIX}{serial}:{t}")
}

/// Reads callback data back; `None` for anything the engine did not draw.
#[must_use]
pub fn decode(data: &str) -> Option<(u32, Token)> {
    let rest = data.strip_prefix(PREFIX)?;
    let (serial, t) = rest.split_once(':')?;
    let serial: u32 = serial.parse().ok()?;
    let token = match t {
        "b" => Token::Back,
        "x" => Token::Cancel,
        "h" => Token::Human,
        "k" => Token::KeepTrying,
        "s" => Token::Skip,
        "f" => Token::Done,
        "y" => Token::Yes,
        "n" => Token::No,
        _ => {
            if let Some(key) = t.strip_prefix("c.") {
                Token::Choice(key.to_string())
            } else if let Some(r) = t.strip_prefix('r') {
                Token::Rating(r.parse().ok()?)
            } else if let Some(u) = t.strip_prefix('u') {
                Token::Unit(u.parse().ok()?)
            } else if let Some(d) = t.strip_prefix('t') {
                let (digits, half) = match d.len() {
                    8 => (d, None),
                    // Checked: forged data may put a multi-byte character
                    // across the 8th byte (found by tests/fuzz.rs).
                    9 => match d.split_at_checked(8) {
                        Some((digits, "a")) => (digits, Some(Half::Am)),
                        Some((digits, "p")) => (digits, Some(Half::Pm)),
                        _ => return None,
                    },
                    _ => return None,
                };
                // Eight ASCII digits: chrono alone also reads a sign and
                // spaces (`-8\x0c \r114`, found by cargo-fuzz), which would
                // not encode back to the same data.
                if !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let date = NaiveDate::parse_from_str(digits, "%Y%m%d").ok()?;
                match half {
                    None => Token::Date(date),
                    Some(h) => Token::Slot(date, h),
                }
            } else {
                return None;
            }
        }
    };
    Some((serial, token))
}

/// The longest data a choice key can produce (with the largest serial).
#[must_use]
pub fn worst_case_len(key: &str) -> usize {
    encode(u32::MAX, &Token::Choice(key.to_string())).len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multibyte_character_across_the_date_is_refused_not_a_panic() {
        // Nine bytes after `t`, the last character two bytes wide.
        assert_eq!(decode("d:1:t2026112é"), None);
        assert_eq!(decode("d:1:t202611é"), None);
    }

    #[test]
    fn every_token_survives_a_round_trip() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        for t in [
            Token::Back,
            Token::Cancel,
            Token::Human,
            Token::KeepTrying,
            Token::Skip,
            Token::Done,
            Token::Yes,
            Token::No,
            Token::Rating(4),
            Token::Date(day),
            Token::Slot(day, Half::Am),
            Token::Slot(day, Half::Pm),
            Token::Unit(2),
            Token::Choice("noise".into()),
        ] {
            let data = encode(7, &t);
            assert!(data.len() <= MAX_BYTES);
            assert_eq!(decode(&data), Some((7, t)));
        }
    }

    #[test]
    fn forged_data_is_refused() {
        for bad in [
            "",
            "d:",
            "d:x:b",
            "d:1:zz",
            "t:1:b",
            "d:1:t2026",
            "d:1:t20261399",
        ] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
