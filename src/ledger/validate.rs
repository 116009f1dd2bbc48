//! Input validation, in one place: what the posting engine, imports, holds, the CLI and the
//! workflows accept as a code, a reason, a name or a date. Every refusal names the field and the
//! value (with control characters shown escaped, never raw) and says what to do.
//!
//! The limits are constants so documents and tests can name them:
//! - lot and serial: at most [`MAX_LOT_LEN`] / [`MAX_SERIAL_LEN`] characters, GS1's limit for
//!   AI (10) and AI (21);
//! - SKU [`MAX_SKU_LEN`], location [`MAX_LOCATION_LEN`] (room for `CUSTOMER:<name>`), reason
//!   [`MAX_REASON_LEN`], reference (document numbers) [`MAX_REFERENCE_LEN`], names and parties
//!   [`MAX_NAME_LEN`], unit [`MAX_UNIT_LEN`];
//! - no control character anywhere: C0 (below U+0020), DEL, C1 (U+0080..U+009F), and the
//!   invisible format characters that change how text reads (zero-width spaces and joiners,
//!   bidirectional overrides and isolates, line and paragraph separators, the byte-order mark,
//!   the soft hyphen);
//! - dates: years from [`MIN_YEAR`] to [`MAX_YEAR`]; typed dates need a four-digit year;
//!   a production date is never after the expiry date;
//! - a pushed movement's `created_at`: RFC 3339, at most [`MAX_TIMESTAMP_LEN`] characters, at most
//!   [`MAX_FUTURE_SKEW_HOURS`] ahead of the server's clock, and no older than [`MIN_YEAR`]
//!   (a device that was offline may push days or months later; that is fine).

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::error::{Error, Result};

/// GS1 AI (10): a batch or lot number has at most 20 characters.
pub const MAX_LOT_LEN: usize = 20;
/// GS1 AI (21): a serial number has at most 20 characters.
pub const MAX_SERIAL_LEN: usize = 20;
pub const MAX_SKU_LEN: usize = 40;
/// A location code, including virtual party locations such as `CUSTOMER:Corner Pharmacy`.
pub const MAX_LOCATION_LEN: usize = 80;
pub const MAX_REASON_LEN: usize = 200;
/// A reference to a document: purchase order, pick list, count number.
pub const MAX_REFERENCE_LEN: usize = 64;
/// Names: of items, locations, customers, suppliers, devices.
pub const MAX_NAME_LEN: usize = 120;
pub const MAX_UNIT_LEN: usize = 16;
/// The earliest year a date may have (production dates of old stock stay well inside).
pub const MIN_YEAR: i32 = 1980;
/// The latest year a date may have (expiry dates decades ahead stay well inside).
pub const MAX_YEAR: i32 = 2100;
/// How far ahead of the server's clock a pushed movement's `created_at` may be: the same skew
/// past which a device is told its clock is wrong.
pub const MAX_FUTURE_SKEW_HOURS: i64 = super::clock::MAX_CLOCK_SKEW_SECS / 3600;
/// The longest `created_at` text a push may carry (RFC 3339 with nanoseconds and an offset is 35).
pub const MAX_TIMESTAMP_LEN: usize = 40;

/// What a piece of text is, for its limit and for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Sku,
    Lot,
    Serial,
    Location,
    Reason,
    Reference,
    Name,
    Unit,
}

impl Field {
    pub fn max_len(self) -> usize {
        match self {
            Field::Sku => MAX_SKU_LEN,
            Field::Lot => MAX_LOT_LEN,
            Field::Serial => MAX_SERIAL_LEN,
            Field::Location => MAX_LOCATION_LEN,
            Field::Reason => MAX_REASON_LEN,
            Field::Reference => MAX_REFERENCE_LEN,
            Field::Name => MAX_NAME_LEN,
            Field::Unit => MAX_UNIT_LEN,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Sku => "SKU",
            Field::Lot => "lot",
            Field::Serial => "serial",
            Field::Location => "location",
            Field::Reason => "reason",
            Field::Reference => "reference",
            Field::Name => "name",
            Field::Unit => "unit",
        }
    }

    fn fix(self) -> &'static str {
        match self {
            Field::Lot | Field::Serial => {
                "check the label; GS1 allows 20 characters for a lot or serial"
            }
            Field::Reason => "say it shorter",
            _ => "check what was scanned or typed",
        }
    }
}

/// Whether a character is a control character or an invisible format character.
pub fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// A value as it may be shown in a message: control characters escaped, long values cut.
pub fn shown(value: &str) -> String {
    let mut out = String::new();
    for (i, c) in value.chars().enumerate() {
        if i == 40 {
            out.push('…');
            break;
        }
        if is_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Refuses control characters and text longer than `max` characters in `field`.
pub fn text(field: &str, value: &str, max: usize, fix: &str) -> Result<()> {
    if let Some((pos, c)) = value.chars().enumerate().find(|(_, c)| is_control(*c)) {
        return Err(Error::invalid(format!(
            "{field} '{}' contains a control character (U+{:04X}) at position {}: scan or type it again without it",
            shown(value),
            c as u32,
            pos + 1
        )));
    }
    let n = value.chars().count();
    if n > max {
        return Err(Error::invalid(format!(
            "{field} '{}' has {n} characters; a {field} has at most {max}: {fix}",
            shown(value)
        )));
    }
    Ok(())
}

/// Checks one value of a known kind.
pub fn field(f: Field, value: &str) -> Result<()> {
    text(f.label(), value, f.max_len(), f.fix())
}

/// Checks an optional value of a known kind.
pub fn optional(f: Field, value: Option<&str>) -> Result<()> {
    value.map_or(Ok(()), |v| field(f, v))
}

/// Checks a reason that must be given: not empty, no control characters, not too long.
pub fn reason(value: &str, what_needs_it: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(format!(
            "{what_needs_it} needs a reason (say why, e.g. damaged, count difference, supplier recall)"
        )));
    }
    field(Field::Reason, value)
}

/// A date inside the sane window.
pub fn date(field: &str, d: NaiveDate) -> Result<()> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&d.year()) {
        return Err(Error::invalid(format!(
            "{field} {d} is not plausible: the year must be between {MIN_YEAR} and {MAX_YEAR}; check the date"
        )));
    }
    Ok(())
}

/// The dates of a lot: each in the window, and production not after expiry.
pub fn lot_dates(expiry: Option<NaiveDate>, production: Option<NaiveDate>) -> Result<()> {
    if let Some(e) = expiry {
        date("expiry date", e)?;
    }
    if let Some(p) = production {
        date("production date", p)?;
    }
    if let (Some(e), Some(p)) = (expiry, production) {
        if p > e {
            return Err(Error::invalid(format!(
                "the production date {p} is after the expiry date {e}: check both dates on the label"
            )));
        }
    }
    Ok(())
}

/// Parses a date typed on the command line or found in a file: `YYYY-MM-DD`, with a four-digit
/// year, inside the window. A two-digit year is refused with the form to type.
pub fn parse_date(field: &str, text: &str) -> Result<NaiveDate> {
    parse(field, text, &["%Y-%m-%d"])
}

/// Parses a date typed on a handheld: `YYYY-MM-DD` or `DD.MM.YYYY`, with the same checks.
pub fn parse_typed_date(field: &str, text: &str) -> Result<NaiveDate> {
    parse(field, text, &["%Y-%m-%d", "%d.%m.%Y"])
}

fn parse(field: &str, text: &str, formats: &[&str]) -> Result<NaiveDate> {
    let t = text.trim();
    self::text(field, t, 32, "type the date as YYYY-MM-DD")?;
    if let Some(example) = two_digit_year(t) {
        return Err(Error::invalid(format!(
            "{field} {t}: type the date as YYYY-MM-DD with a four-digit year, e.g. {example}"
        )));
    }
    let d = formats
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .ok_or_else(|| {
            Error::invalid(format!(
                "{field} '{}' is not a date: type it as YYYY-MM-DD, e.g. 2027-02-28",
                shown(t)
            ))
        })?;
    if !(MIN_YEAR..=MAX_YEAR).contains(&d.year()) {
        return Err(Error::invalid(format!(
            "{field} {t} is not plausible: the year must be between {MIN_YEAR} and {MAX_YEAR}; type the date as YYYY-MM-DD, e.g. 2027-02-28"
        )));
    }
    Ok(d)
}

/// When `t` is a date typed with a two-digit year (`27-02-28`, `28.02.27`, `27/02/28`,
/// `270228`), the date as it should be typed (or a generic example).
fn two_digit_year(t: &str) -> Option<String> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let example = |y: &str, m: &str, d: &str| {
        let (y, m, d) = (y.parse::<i32>().ok()?, m.parse().ok()?, d.parse().ok()?);
        NaiveDate::from_ymd_opt(2000 + y, m, d).map(|d| d.to_string())
    };
    if t.len() == 6 && all_digits(t) {
        return Some(
            example(&t[0..2], &t[2..4], &t[4..6]).unwrap_or_else(|| "2027-02-28".to_string()),
        );
    }
    for sep in ['-', '.', '/'] {
        let parts: Vec<&str> = t.split(sep).collect();
        if parts.len() != 3 || !parts.iter().all(|p| all_digits(p) && p.len() <= 2) {
            continue;
        }
        let guess = if sep == '-' {
            example(parts[0], parts[1], parts[2])
        } else {
            example(parts[2], parts[1], parts[0])
        };
        return Some(guess.unwrap_or_else(|| "2027-02-28".to_string()));
    }
    None
}

/// A pushed movement's `created_at`: RFC 3339, not absurdly long, at most
/// [`MAX_FUTURE_SKEW_HOURS`] ahead of `now` (the server's clock), not before [`MIN_YEAR`].
pub fn pushed_timestamp(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    text(
        "created_at",
        value,
        MAX_TIMESTAMP_LEN,
        "send an RFC 3339 timestamp",
    )?;
    let t = DateTime::parse_from_rfc3339(value)
        .map_err(|_| {
            Error::invalid(format!(
                "created_at '{}' is not an RFC 3339 timestamp like 2026-12-01T09:30:00.000Z",
                shown(value)
            ))
        })?
        .with_timezone(&Utc);
    if t > now + chrono::Duration::hours(MAX_FUTURE_SKEW_HOURS) {
        return Err(Error::invalid(format!(
            "created_at {value} is more than {MAX_FUTURE_SKEW_HOURS} hours ahead of the server's clock ({}): set the device's date and time, then sync again",
            super::clock::timestamp(now)
        )));
    }
    if t.year() < MIN_YEAR {
        return Err(Error::invalid(format!(
            "created_at {value} is before {MIN_YEAR}: set the device's date and time, then sync again"
        )));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn two_digit_years_are_refused_with_the_form_to_type() {
        assert_eq!(
            msg(parse_date("--expiry", "27-02-28")),
            "--expiry 27-02-28: type the date as YYYY-MM-DD with a four-digit year, e.g. 2027-02-28"
        );
        assert!(msg(parse_date("expiry", "28.02.27")).contains("e.g. 2027-02-28"));
        assert!(msg(parse_date("expiry", "270228")).contains("e.g. 2027-02-28"));
        assert!(msg(parse_date("expiry", "27/2/28")).contains("YYYY-MM-DD"));
    }

    #[test]
    fn years_outside_the_window_are_refused() {
        for t in ["+262142-12-31", "0027-02-28", "2101-01-01", "1979-12-31"] {
            let m = msg(parse_date("--expiry", t));
            assert!(m.contains("between 1980 and 2100"), "{t}: {m}");
        }
        assert_eq!(
            parse_date("x", " 2027-02-28 ").unwrap(),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        assert_eq!(
            parse_typed_date("x", "28.02.2027").unwrap(),
            NaiveDate::from_ymd_opt(2027, 2, 28).unwrap()
        );
        assert!(parse_date("x", "28.02.2027").is_err());
        assert!(msg(parse_typed_date("x", "28.02.0027")).contains("between 1980 and 2100"));
        assert!(msg(parse_date("x", "tomorrow")).contains("is not a date"));
    }

    #[test]
    fn production_after_expiry_is_refused() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let m = msg(lot_dates(Some(d("2027-02-28")), Some(d("2027-03-01"))));
        assert!(m.contains("production date 2027-03-01 is after the expiry date 2027-02-28"));
        lot_dates(Some(d("2027-02-28")), Some(d("2027-02-28"))).unwrap();
    }

    #[test]
    fn control_characters_and_long_codes_are_refused_and_shown_escaped() {
        for bad in [
            "L\u{1b}[31m",
            "L\u{7}",
            "L\u{0}",
            "L\nX",
            "L\u{7f}",
            "L\u{202e}X",
            "L\u{85}",
        ] {
            let m = msg(field(Field::Lot, bad));
            assert!(m.contains("control character"), "{m}");
            assert!(!m.chars().any(is_control), "raw control character in {m:?}");
        }
        field(Field::Lot, &"A".repeat(20)).unwrap();
        let m = msg(field(Field::Lot, &"A".repeat(21)));
        assert!(m.contains("21 characters; a lot has at most 20"), "{m}");
        let m = msg(field(Field::Reason, &"x".repeat(10_000)));
        assert!(m.len() < 300, "{m}");
        field(Field::Name, "Crème brûlée 250 g — Größe M").unwrap();
    }

    #[test]
    fn pushed_timestamps_are_rfc3339_and_not_far_ahead() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        pushed_timestamp("2026-12-02T11:59:00.000Z", now).unwrap();
        pushed_timestamp("2026-01-02T08:00:00+02:00", now).unwrap();
        assert!(msg(pushed_timestamp("2026-12-02T12:01:00Z", now)).contains("24 hours ahead"));
        assert!(msg(pushed_timestamp("not a date", now)).contains("not an RFC 3339"));
        assert!(msg(pushed_timestamp(&"9".repeat(100_000), now)).contains("at most 40"));
        assert!(msg(pushed_timestamp("1970-01-01T00:00:00Z", now)).contains("before 1980"));
    }
}
