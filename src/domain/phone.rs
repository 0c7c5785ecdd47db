//! Phone numbers in one normalized form, shared by the CSV import and by
//! registration (a Telegram contact's phone is matched against `people.phone`).
//!
//! The normalized form is E.164: `+8613812345678` for a Chinese mobile,
//! `+861012345678` for a Beijing landline (trunk 0 dropped), `+447911123456`
//! for a number abroad.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;

/// A Chinese mobile number without the country code: 1[3-9] and 9 digits.
static MOBILE: LazyLock<Regex> = LazyLock::new(|| compile(r"^1[3-9][0-9]{9}$"));
/// A Chinese landline without trunk 0: area code (10, 2X or a three-digit code
/// starting 3–9) then a 7- or 8-digit subscriber number not starting 0.
static LANDLINE: LazyLock<Regex> =
    LazyLock::new(|| compile(r"^(?:10|2[0-9]|[3-9][0-9]{2})[1-9][0-9]{6,7}$"));
/// Country code and subscriber number of an E.164 number: 8–15 digits.
static INTERNATIONAL: LazyLock<Regex> = LazyLock::new(|| compile(r"^[1-9][0-9]{7,14}$"));

fn compile(pattern: &str) -> Regex {
    // The patterns are literals covered by the unit tests below.
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("phone pattern compiles")
}

/// A phone number in E.164 form (`+` and digits), built only by [`Phone::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

/// Why a text is not a phone number we can store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone number is empty")]
    Empty,
    #[error("phone number contains {0:?}; only digits, spaces, dashes, dots and parentheses are allowed")]
    UnexpectedCharacter(char),
    #[error("'+' may only start a phone number")]
    MisplacedPlus,
    #[error("{0} is not a Chinese mobile number: mobiles have 11 digits starting 13–19")]
    BadMobile(String),
    #[error("{0} is not a Chinese landline: expected an area code (010, 0755, …) and a 7–8 digit number")]
    BadLandline(String),
    #[error("+{0} is not an international number: expected a country code and 8–15 digits in all")]
    BadInternational(String),
    #[error("{0} is neither an 11-digit mobile number nor a landline with area code; write numbers abroad as +<country code><number>")]
    BadLocal(String),
}

impl Phone {
    /// Reads a phone number as people write it: `138 1234 5678`,
    /// `+86 138-1234-5678`, `0086 13812345678`, `8613812345678` (how a
    /// Telegram contact arrives), `(010) 1234-5678`, `0755 1234 5678`,
    /// `+44 7911 123456`, `0044 7911 123456`.
    pub fn parse(input: &str) -> Result<Phone, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(trimmed.len());
        let mut plus = false;
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                // Full-width digits come out of Chinese input methods.
                '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
                // "(+86) 138…": a plus before any digit, once.
                '+' | '＋' if digits.is_empty() && !plus => plus = true,
                '+' | '＋' => return Err(PhoneError::MisplacedPlus),
                ' ' | '-' | '(' | ')' | '.' | '\u{3000}' | '（' | '）' | '－' => {}
                other => return Err(PhoneError::UnexpectedCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }

        if plus {
            return international(&digits);
        }
        if let Some(rest) = digits.strip_prefix("00") {
            return international(rest);
        }
        if let Some(national) = digits.strip_prefix('0') {
            return china_landline(national, &digits);
        }
        if digits.len() == 11 && digits.starts_with('1') {
            return china_mobile(&digits);
        }
        // "8613812345678": a Telegram contact's phone, country code without '+'.
        if let Some(national) = digits.strip_prefix("86") {
            if national.len() == 11 && national.starts_with('1') {
                return china_mobile(national);
            }
        }
        Err(PhoneError::BadLocal(digits))
    }

    /// The normalized E.164 text stored in `people.phone`.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is a Chinese mobile number.
    #[must_use]
    pub fn is_china_mobile(&self) -> bool {
        self.0
            .strip_prefix("+86")
            .is_some_and(|national| MOBILE.is_match(national))
    }

    /// The number as shown to staff below supervisor: a Chinese mobile as
    /// `138****1234`; any other number keeps its first 3 and last 4 digits
    /// (`+447*****3456`, `+861*****5678`).
    #[must_use]
    pub fn masked(&self) -> String {
        let (prefix, digits) = match self.0.strip_prefix("+86") {
            Some(national) if MOBILE.is_match(national) => ("", national),
            _ => ("+", self.0.trim_start_matches('+')),
        };
        let n = digits.len();
        if n <= 7 {
            return format!("{prefix}{}", "*".repeat(n));
        }
        format!(
            "{prefix}{}{}{}",
            &digits[..3],
            "*".repeat(n - 7),
            &digits[n - 4..]
        )
    }

    /// A phone read back from `people.phone`, which only this type writes.
    /// Falls back to the stored text if it does not parse (hand-edited rows).
    #[must_use]
    pub fn from_stored(stored: String) -> Phone {
        match Phone::parse(&stored) {
            Ok(phone) => phone,
            Err(_) => Phone(stored),
        }
    }
}

fn international(digits: &str) -> Result<Phone, PhoneError> {
    if let Some(national) = digits.strip_prefix("86") {
        // "+86 0755 1234 5678": a trunk 0 written after the country code.
        let national = national.strip_prefix('0').unwrap_or(national);
        if national.len() == 11 && national.starts_with('1') {
            return china_mobile(national);
        }
        return china_landline(national, national);
    }
    if INTERNATIONAL.is_match(digits) {
        Ok(Phone(format!("+{digits}")))
    } else {
        Err(PhoneError::BadInternational(digits.to_owned()))
    }
}

fn china_mobile(national: &str) -> Result<Phone, PhoneError> {
    if MOBILE.is_match(national) {
        Ok(Phone(format!("+86{national}")))
    } else {
        Err(PhoneError::BadMobile(national.to_owned()))
    }
}

fn china_landline(national: &str, as_written: &str) -> Result<Phone, PhoneError> {
    if LANDLINE.is_match(national) {
        Ok(Phone(format!("+86{national}")))
    } else {
        Err(PhoneError::BadLandline(as_written.to_owned()))
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Phone {
    type Err = PhoneError;

    fn from_str(s: &str) -> Result<Phone, PhoneError> {
        Phone::parse(s)
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        match Phone::parse(s) {
            Ok(p) => p.as_str().to_owned(),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn chinese_mobiles_in_every_usual_spelling_become_the_same_number() {
        for written in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+8613812345678",
            "+86 138 1234 5678",
            "+86-138-1234-5678",
            "(+86) 138 1234 5678",
            "008613812345678",
            "0086 138 1234 5678",
            "8613812345678",
            " 13812345678 ",
            "１３８１２３４５６７８",
            "+86 013812345678",
        ] {
            assert_eq!(norm(written), "+8613812345678", "{written}");
        }
    }

    #[test]
    fn landlines_keep_the_area_code_without_the_trunk_zero() {
        assert_eq!(norm("010-12345678"), "+861012345678");
        assert_eq!(norm("(010) 1234 5678"), "+861012345678");
        assert_eq!(norm("0755 1234 5678"), "+8675512345678");
        assert_eq!(norm("021-62345678"), "+862162345678");
        assert_eq!(norm("0571-8765432"), "+865718765432");
        assert_eq!(norm("+86 755 1234 5678"), "+8675512345678");
        assert_eq!(norm("+86 10 1234 5678"), "+861012345678");
    }

    #[test]
    fn international_numbers_keep_their_country_code() {
        assert_eq!(norm("+44 7911 123456"), "+447911123456");
        assert_eq!(norm("0044 7911 123456"), "+447911123456");
        assert_eq!(norm("+1 (415) 555-0100"), "+14155550100");
        assert_eq!(norm("+852 9123 4567"), "+85291234567");
    }

    #[test]
    fn normalized_numbers_parse_to_themselves() {
        for n in [
            "+8613812345678",
            "+861012345678",
            "+8675512345678",
            "+447911123456",
        ] {
            assert_eq!(norm(n), n);
        }
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        assert_eq!(Phone::parse("  "), Err(PhoneError::Empty));
        assert_eq!(Phone::parse("--"), Err(PhoneError::Empty));
        assert_eq!(
            Phone::parse("138x1234"),
            Err(PhoneError::UnexpectedCharacter('x'))
        );
        assert_eq!(Phone::parse("138+1234"), Err(PhoneError::MisplacedPlus));
        assert!(matches!(
            Phone::parse("12012345678"),
            Err(PhoneError::BadMobile(_))
        ));
        assert!(matches!(
            Phone::parse("+86 120 1234 5678"),
            Err(PhoneError::BadMobile(_))
        ));
        assert!(matches!(
            Phone::parse("010-123"),
            Err(PhoneError::BadLandline(_))
        ));
        assert!(matches!(
            Phone::parse("0755 0234 5678"),
            Err(PhoneError::BadLandline(_))
        ));
        assert!(matches!(
            Phone::parse("+44 12"),
            Err(PhoneError::BadInternational(_))
        ));
        assert!(matches!(
            Phone::parse("+0123456789"),
            Err(PhoneError::BadInternational(_))
        ));
        assert!(matches!(
            Phone::parse("+1234567890123456"),
            Err(PhoneError::BadInternational(_))
        ));
        assert!(matches!(
            Phone::parse("1381234567"),
            Err(PhoneError::BadLocal(_))
        ));
        assert!(matches!(
            Phone::parse("12345678"),
            Err(PhoneError::BadLocal(_))
        ));
    }

    #[test]
    fn masking_keeps_only_the_ends() {
        let mobile = Phone::parse("138 1234 5678").unwrap();
        assert_eq!(mobile.masked(), "138****5678");
        assert!(mobile.is_china_mobile());
        let abroad = Phone::parse("+44 7911 123456").unwrap();
        assert_eq!(abroad.masked(), "+447*****3456");
        assert!(!abroad.is_china_mobile());
        let landline = Phone::parse("010-12345678").unwrap();
        assert_eq!(landline.masked(), "+861*****5678");
    }

    #[test]
    fn the_patterns_accept_and_refuse_what_they_document() {
        assert!(MOBILE.is_match("19912345678"));
        assert!(!MOBILE.is_match("11912345678"));
        assert!(LANDLINE.is_match("1012345678"));
        assert!(LANDLINE.is_match("7551234567"));
        assert!(!LANDLINE.is_match("75512"));
        assert!(INTERNATIONAL.is_match("447911123456"));
        assert!(!INTERNATIONAL.is_match("0447911123456"));
    }
}
