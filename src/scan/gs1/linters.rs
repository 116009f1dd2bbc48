//! Content checks named by the dictionary ("linters"). Each returns a message a worker can read.
//!
//! Checked: csum, yymmd0, yymmdd, yyyymmdd, hhmi, hh, mi, ss, nonzero, zero, yesno, iso3166
//! (format), iso3166999, iso3166alpha2, iso4217 (format), pcenc, hyphen, pieceoftotal,
//! posinseqslash, nozeroprefix, hasnondigit, latitude, longitude, iso5218, winding, iban.
//! Not checked (they need GS1's company-prefix or code-list data, which is not shipped here):
//! gcppos1, gcppos2, csumalpha, mediatype, packagetype, importeridx, couponcode, couponposoffer.

use chrono::NaiveDate;

/// Why a value fails its linter, worded for the person holding the label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LintError {
    #[error("check digit is wrong (should be {0})")]
    CheckDigit(u8),
    #[error("check digit cannot be computed")]
    NoCheckDigit,
    #[error("month {0:02} does not exist")]
    Month(u32),
    #[error("day {day:02} does not exist in month {month:02}")]
    Day { day: u32, month: u32 },
    #[error("hour {0} does not exist")]
    Hour(String),
    /// The value is not of the kind the linter names (`what`: "a time of day (HHMM)", ...).
    #[error("{value} is not {what}")]
    NotA { value: String, what: &'static str },
    /// A fixed rule about the value (`rule`: "not be zero", "be 0 or 1", ...).
    #[error("must {0}")]
    Must(&'static str),
    #[error("a % must be followed by two hex digits")]
    PercentEscape,
    #[error("piece {piece} of {total} is not possible")]
    Piece { piece: u32, total: u32 },
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    #[error("not an IBAN")]
    NotIban,
    #[error("IBAN check digits are wrong")]
    IbanCheck,
}

fn not_a(value: &str, what: &'static str) -> LintError {
    LintError::NotA {
        value: value.to_string(),
        what,
    }
}

fn digits(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

fn num(v: &str) -> u32 {
    v.parse().unwrap_or(u32::MAX)
}

/// The four-digit year of a two-digit GS1 year, by the sliding window of the General
/// Specifications (section 7.12): up to 50 years ahead, otherwise in the past 49.
pub fn century_year(yy: u32, this_year: i32) -> i32 {
    let base = this_year - this_year.rem_euclid(100);
    let diff = yy as i32 - this_year.rem_euclid(100);
    if diff > 50 {
        base - 100 + yy as i32
    } else if diff < -49 {
        base + 100 + yy as i32
    } else {
        base + yy as i32
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt())
        .map_or(31, |d| chrono::Datelike::day(&d))
}

fn check_date(v: &str, year: i32, allow_day_zero: bool) -> Result<(), LintError> {
    let (m, d) = (num(&v[v.len() - 4..v.len() - 2]), num(&v[v.len() - 2..]));
    if !(1..=12).contains(&m) {
        return Err(LintError::Month(m));
    }
    if d == 0 && allow_day_zero {
        return Ok(());
    }
    if d == 0 || d > days_in_month(year, m) {
        return Err(LintError::Day { day: d, month: m });
    }
    Ok(())
}

/// Runs one linter on a component's value. Unknown linters pass.
pub fn lint(name: &str, v: &str, this_year: i32) -> Result<(), LintError> {
    match name {
        "csum" => {
            if digits(v) && crate::gtin::has_valid_check_digit(v) {
                Ok(())
            } else {
                let expected = crate::gtin::check_digit(&v[..v.len().saturating_sub(1)]);
                Err(match expected {
                    Some(e) => LintError::CheckDigit(e),
                    None => LintError::NoCheckDigit,
                })
            }
        }
        "yymmd0" | "yymmdd" if v.len() == 6 && digits(v) => {
            let year = century_year(num(&v[..2]), this_year);
            check_date(v, year, name == "yymmd0")
        }
        "yyyymmdd" if v.len() == 8 && digits(v) => check_date(v, num(&v[..4]) as i32, false),
        "hhmi" if v.len() == 4 => {
            if num(&v[..2]) <= 23 && num(&v[2..]) <= 59 {
                Ok(())
            } else {
                Err(not_a(v, "a time of day (HHMM)"))
            }
        }
        "hh" => (num(v) <= 23)
            .then_some(())
            .ok_or_else(|| LintError::Hour(v.to_string())),
        "mi" | "ss" => (num(v) <= 59)
            .then_some(())
            .ok_or_else(|| not_a(v, "00-59")),
        "nonzero" => (!v.bytes().all(|b| b == b'0'))
            .then_some(())
            .ok_or(LintError::Must("not be zero")),
        "zero" => (v == "0").then_some(()).ok_or(LintError::Must("be 0")),
        "yesno" => matches!(v, "0" | "1")
            .then_some(())
            .ok_or(LintError::Must("be 0 or 1")),
        "iso3166" | "iso4217" => (digits(v) && v.len() == 3)
            .then_some(())
            .ok_or_else(|| not_a(v, "a three-digit code")),
        "iso3166999" => (digits(v) && v.len() == 3)
            .then_some(())
            .ok_or_else(|| not_a(v, "a three-digit country code or 999")),
        "iso3166alpha2" => (v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase()))
            .then_some(())
            .ok_or_else(|| not_a(v, "a two-letter country code")),
        "pcenc" => {
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    let hex = |j: usize| b.get(j).is_some_and(|c| c.is_ascii_hexdigit());
                    if !(hex(i + 1) && hex(i + 2)) {
                        return Err(LintError::PercentEscape);
                    }
                    i += 3;
                } else {
                    i += 1;
                }
            }
            Ok(())
        }
        "hyphen" => v
            .bytes()
            .all(|b| b == b'-')
            .then_some(())
            .ok_or(LintError::Must("be '-'")),
        "pieceoftotal" if v.len() % 2 == 0 && digits(v) => {
            let (p, t) = v.split_at(v.len() / 2);
            let (p, t) = (num(p), num(t));
            if p == 0 || t == 0 || p > t {
                Err(LintError::Piece { piece: p, total: t })
            } else {
                Ok(())
            }
        }
        "posinseqslash" => match v.split_once('/') {
            Some((a, b)) if digits(a) && digits(b) && num(a) >= 1 && num(a) <= num(b) => Ok(()),
            _ => Err(not_a(v, "a position like 1/3")),
        },
        "nozeroprefix" => (!(v.len() > 1 && v.starts_with('0')))
            .then_some(())
            .ok_or(LintError::Must("not start with 0")),
        "hasnondigit" => (!digits(v))
            .then_some(())
            .ok_or(LintError::Must("contain a non-digit")),
        "latitude" => (num(v) <= 1_800_000_000)
            .then_some(())
            .ok_or(LintError::OutOfRange("latitude")),
        "longitude" => (num(v) <= 3_600_000_000u32)
            .then_some(())
            .ok_or(LintError::OutOfRange("longitude")),
        "iso5218" => matches!(v, "0" | "1" | "2" | "9")
            .then_some(())
            .ok_or(LintError::Must("be 0, 1, 2 or 9")),
        "winding" => matches!(v, "0" | "1" | "9")
            .then_some(())
            .ok_or(LintError::Must("be 0, 1 or 9")),
        "iban" => {
            if v.len() < 5
                || !v
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            {
                return Err(LintError::NotIban);
            }
            let (head, tail) = v.split_at(4);
            let mut rem: u32 = 0;
            for c in tail.bytes().chain(head.bytes()) {
                let d = if c.is_ascii_digit() {
                    u32::from(c - b'0')
                } else {
                    u32::from(c - b'A') + 10
                };
                rem = if d >= 10 {
                    (rem * 100 + d) % 97
                } else {
                    (rem * 10 + d) % 97
                };
            }
            (rem == 1).then_some(()).ok_or(LintError::IbanCheck)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(lint("yymmd0", "251200", 2026).is_ok());
        assert!(lint("yymmdd", "251200", 2026).is_err());
        assert!(lint("yymmdd", "240229", 2026).is_ok());
        assert!(lint("yymmdd", "250229", 2026).is_err());
        assert!(lint("yymmdd", "251301", 2026).is_err());
        assert!(lint("yyyymmdd", "20240229", 2026).is_ok());
        assert_eq!(century_year(25, 2026), 2025);
        assert_eq!(century_year(76, 2026), 2076);
        assert_eq!(century_year(77, 2026), 1977);
        assert_eq!(century_year(1, 2080), 2101);
    }

    #[test]
    fn others() {
        assert!(lint("csum", "09506000134352", 2026).is_ok());
        assert!(lint("csum", "09506000134353", 2026)
            .unwrap_err()
            .to_string()
            .contains("should be 2"));
        assert!(lint("pcenc", "a%20b", 2026).is_ok());
        assert!(lint("pcenc", "a%2", 2026).is_err());
        assert!(lint("pcenc", "a%zz", 2026).is_err());
        assert!(lint("pieceoftotal", "0102", 2026).is_ok());
        assert!(lint("pieceoftotal", "0301", 2026).is_err());
        assert!(lint("iban", "GB82WEST12345698765432", 2026).is_ok());
        assert!(lint("iban", "GB82WEST12345698765433", 2026).is_err());
        assert!(lint("hhmi", "2360", 2026).is_err());
        assert!(lint("gcppos1", "anything", 2026).is_ok());
    }
}
