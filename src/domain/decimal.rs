//! Exact decimals as found in the office's CSV files (money, areas): parsed
//! into hundredths so no amount is ever rounded.

/// Parses a non-negative decimal with at most two decimals into hundredths,
/// exactly (`"331.15"` → 33115). `field` names the column in the error.
pub fn parse_hundredths(input: &str, field: &str) -> Result<i64, String> {
    let text = input.trim();
    if text.is_empty() {
        return Err(format!("{field} is empty"));
    }
    if text.starts_with('-') {
        return Err(format!("{field} {text} is negative"));
    }
    let not_a_number = || format!("{field} {text:?} is not a number");
    let (whole, frac) = match text.split_once('.') {
        Some((whole, frac)) => (whole, frac),
        None => (text, ""),
    };
    let whole = whole.strip_prefix('+').unwrap_or(whole);
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(frac) {
        return Err(not_a_number());
    }
    if text.contains('.') && frac.is_empty() {
        return Err(not_a_number());
    }
    if frac.len() > 2 {
        return Err(format!("{field} {text} has more than 2 decimals"));
    }
    let too_large = || format!("{field} {text} is too large");
    let whole: i64 = whole.parse().map_err(|_| too_large())?;
    let mut frac_value: i64 = frac.parse().unwrap_or(0);
    if frac.len() == 1 {
        frac_value *= 10;
    }
    whole
        .checked_mul(100)
        .and_then(|h| h.checked_add(frac_value))
        .ok_or_else(too_large)
}
