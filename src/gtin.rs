//! GS1 check digits and GTIN normalisation.
//!
//! A leaf module: it imports nothing from the crate, so both `ledger` (item master data) and
//! `scan` (barcode payloads) use the same arithmetic without depending on each other.

/// The GS1 mod-10 check digit for `body` (all digits, without its check digit).
/// Weights alternate 3, 1, ... starting from the rightmost digit of the body.
pub fn check_digit(body: &str) -> Option<u8> {
    let mut sum = 0u32;
    for (i, c) in body.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = u32::from(c - b'0');
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

/// True when the last digit of `digits` is the GS1 check digit of the rest.
pub fn has_valid_check_digit(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (body, last) = digits.split_at(digits.len() - 1);
    check_digit(body) == Some(last.as_bytes()[0] - b'0')
}

/// Why a string is not a GTIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GtinError {
    NotDigits,
    Length(usize),
    CheckDigit { expected: u8 },
}

impl std::fmt::Display for GtinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GtinError::NotDigits => write!(f, "a GTIN has digits only"),
            GtinError::Length(n) => write!(f, "a GTIN has 8, 12, 13 or 14 digits, not {n}"),
            GtinError::CheckDigit { expected } => {
                write!(f, "the check digit is wrong (it should be {expected})")
            }
        }
    }
}

/// Validates a GTIN-8, -12 (UPC-A), -13 (EAN-13) or -14 and returns it as 14 digits.
pub fn normalize_gtin(s: &str) -> Result<String, GtinError> {
    let s = s.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GtinError::NotDigits);
    }
    if ![8, 12, 13, 14].contains(&s.len()) {
        return Err(GtinError::Length(s.len()));
    }
    let padded = format!("{s:0>14}");
    if !has_valid_check_digit(&padded) {
        let expected = check_digit(&padded[..13]).unwrap_or(0);
        return Err(GtinError::CheckDigit { expected });
    }
    Ok(padded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_gtins() {
        assert_eq!(normalize_gtin("09506000134352").unwrap(), "09506000134352");
        assert_eq!(normalize_gtin("9506000134352").unwrap(), "09506000134352");
        assert_eq!(normalize_gtin("036000291452").unwrap(), "00036000291452");
        assert_eq!(normalize_gtin("96385074").unwrap(), "00000096385074");
    }

    #[test]
    fn bad_gtins() {
        assert_eq!(
            normalize_gtin("09506000134353"),
            Err(GtinError::CheckDigit { expected: 2 })
        );
        assert_eq!(normalize_gtin("12345"), Err(GtinError::Length(5)));
        assert_eq!(normalize_gtin("0950600013435X"), Err(GtinError::NotDigits));
    }

    #[test]
    fn sscc_check_digit() {
        assert!(has_valid_check_digit("106141411234567897"));
        assert!(!has_valid_check_digit("106141411234567898"));
    }
}
