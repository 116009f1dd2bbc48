//! AIM output: rxing's results as the symbols a scanner with AIM identifiers on would transmit
//! (UPC-A/E as 13 digits under `]E0`, DataBar as element strings under `]e0`, GS1-128 under
//! `]C1` with ASCII 29 separators, Code 39 full ASCII expanded, Aztec structured append taken off).

use rxing::{RXingResult, RXingResultMetadataType, RXingResultMetadataValue};

use super::formats::from_rxing;
use crate::scan::symbol::{Format, Point, Symbol};

/// A result from one of our own passes, with the symbology identifier rxing's readers would
/// have given it.
pub(super) fn identified(mut r: RXingResult, id: &str) -> RXingResult {
    r.putMetadata(
        RXingResultMetadataType::SYMBOLOGY_IDENTIFIER,
        RXingResultMetadataValue::SymbologyIdentifier(id.to_string()),
    );
    r
}

pub(super) fn to_symbol(r: &RXingResult) -> Option<Symbol> {
    let format = from_rxing(r.getBarcodeFormat())?;
    let mut text = r.getText().to_string();
    let mut symbology_id = match r
        .getRXingResultMetadata()
        .get(&RXingResultMetadataType::SYMBOLOGY_IDENTIFIER)
    {
        Some(RXingResultMetadataValue::SymbologyIdentifier(s)) => Some(s.clone()),
        _ => None,
    };
    // With AssumeGs1, rxing puts GS1-128's identifier in the text.
    if let Some(rest) = text.strip_prefix("]C1") {
        text = rest.to_string();
        symbology_id = Some("]C1".into());
    }
    // An FNC1 in first position is carried by the identifier, never by the data.
    if let Some(rest) = text.strip_prefix('\u{1d}') {
        text = rest.to_string();
    }
    strip_trailing_fnc1(&mut text, format, symbology_id.as_deref(), r.getRawBytes());
    match format {
        // EAN/UPC are transmitted as 13 digits under ]E0 (UPC-E expanded), EAN-8 under ]E4.
        Format::UpcA if text.len() == 12 => {
            text = format!("0{text}");
            symbology_id = Some("]E0".into());
        }
        Format::UpcE => {
            text = format!("0{}", expand_upce(&text)?);
            symbology_id = Some("]E0".into());
        }
        Format::Ean13 => symbology_id = Some("]E0".into()),
        Format::Ean8 => symbology_id = Some("]E4".into()),
        // DataBar carries GS1 element strings; rxing gives the GTIN alone or the bracketed form.
        Format::Rss14 if text.len() == 14 => {
            text = format!("01{text}");
            symbology_id = Some("]e0".into());
        }
        Format::RssExpanded => {
            // A damaged symbol can decode to impossible structure ((01) with 15 digits): drop it.
            if !crate::scan::gs1::hri_is_well_formed(&text) {
                return None;
            }
            text = crate::scan::gs1::hri_to_element_string(&text)?;
            symbology_id = Some("]e0".into());
        }
        Format::Aztec => {
            if let Some(rest) = split_sa(r.getRawBytes(), &text) {
                text = rest;
                symbology_id = Some("]z6".into());
            }
        }
        // An ECI rxing does not know: the message is its bytes, each one character (Latin-1),
        // as zxing-cpp passes it on, not segments decoded with a guessed character set.
        Format::DataMatrix if unknown_eci(r) => {
            text = super::dm_bytes::message_bytes(r.getRawBytes())?
                .into_iter()
                .map(char::from)
                .collect();
        }
        Format::Code39 => {
            if let Some(pharma) = code32(&text) {
                text = pharma;
            } else if let Some(full) = code39_full_ascii(&text) {
                text = full;
            }
        }
        _ => {}
    }
    let raw = if matches!(
        format,
        Format::QrCode | Format::DataMatrix | Format::Pdf417 | Format::Aztec
    ) {
        r.getRawBytes().to_vec()
    } else {
        vec![]
    };
    Some(Symbol {
        format,
        text,
        raw,
        symbology_id,
        position: r
            .getPoints()
            .iter()
            .map(|p| Point { x: p.x, y: p.y })
            .collect(),
    })
}

/// Whether rxing met an ECI it has no character set for.
fn unknown_eci(r: &RXingResult) -> bool {
    matches!(
        r.getRXingResultMetadata()
            .get(&RXingResultMetadataType::CONTENT_TYPE),
        Some(RXingResultMetadataValue::ContentType(t)) if t == "UnknownECI"
    )
}

/// Code 128's FNC1 codeword.
const FNC1: u8 = 102;

/// A trailing FNC1 never leaves the decoder as data: the one place it comes off.
///
/// GS1 data (by its symbology identifier) is sent without a trailing separator, whatever the
/// symbology. In any Code 128 symbol, trailing GS characters that rxing made of FNC1 codewords
/// come off too: a data FNC1 at the end, and a check codeword that happens to be 102, which
/// rxing's reader reads as one more FNC1 (`raw` is start, data, check, stop). A GS encoded as
/// the character itself (code set A) stays.
fn strip_trailing_fnc1(text: &mut String, format: Format, id: Option<&str>, raw: &[u8]) {
    let gs1 = id.is_some_and(|id| ["]C1", "]d2", "]Q3", "]e0", "]J1", "]z1"].contains(&id));
    let mut fnc1s = if gs1 {
        usize::MAX
    } else if format == Format::Code128 && raw.len() >= 3 {
        let check = raw[raw.len() - 2];
        let data = &raw[1..raw.len() - 2];
        usize::from(check == FNC1) + data.iter().rev().take_while(|&&c| c == FNC1).count()
    } else {
        0
    };
    while fnc1s > 0 && text.ends_with('\u{1d}') {
        text.pop();
        fnc1s -= 1;
    }
}

/// UPC-E (8 digits) to UPC-A (12 digits).
fn expand_upce(e: &str) -> Option<String> {
    let b = e.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let d = &e[1..7];
    let (ns, check) = (&e[..1], &e[7..]);
    let body = match b[6] {
        b'0'..=b'2' => format!("{}{}0000{}", &d[..2], &d[5..6], &d[2..5]),
        b'3' => format!("{}00000{}", &d[..3], &d[3..5]),
        b'4' => format!("{}00000{}", &d[..4], &d[4..5]),
        _ => format!("{}0000{}", &d[..5], &d[5..6]),
    };
    Some(format!("{ns}{body}{check}"))
}

/// Code 32's base-32 digits: 0-9 and the consonants (no A, E, I, O).
const CODE32_DIGITS: &[u8; 32] = b"0123456789BCDFGHJKLMNPQRSTUVWXYZ";

/// Code 32, the Italian pharmacode, as its human-readable form: six Code 39 characters are a
/// number in base 32, printed as `A` and nine digits, the last a check digit over the eight
/// before it (odd places as they are, even places doubled and their digits summed, modulo 10).
/// None when the text is not six base-32 digits or the check digit does not match (then it is
/// plain Code 39), as zxing-cpp tells the two apart.
fn code32(t: &str) -> Option<String> {
    if t.len() != 6 {
        return None;
    }
    let value = t.bytes().try_fold(0u64, |v, c| {
        let d = CODE32_DIGITS.iter().position(|&x| x == c)?;
        Some(v * 32 + d as u64)
    })?;
    if value >= 1_000_000_000 {
        return None;
    }
    let digits = format!("{value:09}");
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d[..8]
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if i % 2 == 0 {
                x
            } else {
                x * 2 / 10 + x * 2 % 10
            }
        })
        .sum();
    (sum % 10 == d[8]).then(|| format!("A{digits}"))
}

/// Code 39 full ASCII: `$A`..`$Z`, `%A`..`%Z`, `/A`..`/Z`, `+A`..`+Z` pairs. None when the text has
/// no pairs or a shift character that is not part of a valid pair (then it is plain Code 39).
fn code39_full_ascii(t: &str) -> Option<String> {
    if !t.contains(['$', '%', '/', '+']) {
        return None;
    }
    let mut out = String::new();
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        if !matches!(c, '$' | '%' | '/' | '+') {
            out.push(c);
            continue;
        }
        let n = chars.next()?;
        let decoded = match (c, n) {
            ('+', 'A'..='Z') => (n as u8 + 32) as char,
            ('$', 'A'..='Z') => (n as u8 - 64) as char,
            ('%', 'A'..='E') => (n as u8 - 38) as char,
            ('%', 'F'..='J') => (n as u8 - 11) as char,
            ('%', 'K'..='O') => (n as u8 + 16) as char,
            ('%', 'P'..='T') => (n as u8 + 43) as char,
            ('%', 'U') => '\0',
            ('%', 'V') => '@',
            ('%', 'W') => '`',
            ('%', 'X'..='Z') => 127 as char,
            ('/', 'A'..='O') => (n as u8 - 32) as char,
            ('/', 'Z') => ':',
            _ => return None,
        };
        out.push(decoded);
    }
    Some(out)
}

/// The structured-append header of an Aztec message, when its corrected bits (`raw`, most
/// significant bit first) open with the mixed latch and the upper latch that announce one:
/// returns the message without it. The header is an optional message ID between spaces, then
/// the symbol's position and the count as letters (`A` = 1).
fn split_sa(raw: &[u8], text: &str) -> Option<String> {
    // ML (11101) then UL (11101): the first ten bits.
    if raw.len() < 2 || (u16::from(raw[0]) << 2 | u16::from(raw[1] >> 6)) != 0b11101_11101 {
        return None;
    }
    let rest = match text.strip_prefix(' ') {
        Some(t) => &t[t.find(' ')? + 1..],
        None => text,
    };
    let mut c = rest.chars();
    let (index, count) = (c.next()?, c.next()?);
    if !index.is_ascii_uppercase() || !count.is_ascii_uppercase() || index > count {
        return None;
    }
    Some(c.as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_append_headers_come_off() {
        // ML UL then the header, as the first ten bits.
        let raw = [0b1110_1111, 0b0100_0000];
        assert_eq!(split_sa(&raw, " Z1.txt DG3456").as_deref(), Some("3456"));
        assert_eq!(split_sa(&raw, "ACtext").as_deref(), Some("text"));
        // Position after the count is no header.
        assert_eq!(split_sa(&raw, "CAtext"), None);
        // Without the latches, the same text is the message itself.
        assert_eq!(split_sa(&[0b0001_0000, 0], " Z1.txt DG3456"), None);
    }

    #[test]
    fn upc_e_expands_to_gtin_form() {
        assert_eq!(expand_upce("01234565").as_deref(), Some("012345000065"));
        assert_eq!(expand_upce("01234531").as_deref(), Some("012300000451"));
        assert_eq!(expand_upce("0123456"), None);
    }

    #[test]
    fn code32_is_read_as_its_pharmacode() {
        // 123456788 in base 32 is 3PRM8N; 8 is the check digit of 12345678.
        assert_eq!(code32("3PRM8N").as_deref(), Some("A123456788"));
        // Leading zeros stay: 000000001 ... check 0 over 00000000.
        assert_eq!(code32("000000").as_deref(), Some("A000000000"));
        // One base-32 digit off breaks the check digit: plain Code 39.
        assert_eq!(code32("3PRM8P"), None);
        // A vowel is no base-32 digit, and other lengths are plain Code 39.
        assert_eq!(code32("3PRM8A"), None);
        assert_eq!(code32("3PRM8N0"), None);
    }

    #[test]
    fn code39_full_ascii_pairs() {
        assert_eq!(code39_full_ascii("A+A-1234").as_deref(), Some("Aa-1234"));
        assert_eq!(
            code39_full_ascii("E+X+T+E+N+D+E+D /A%J/J/C").as_deref(),
            Some("Extended !?*#")
        );
        assert_eq!(code39_full_ascii("PLAIN-39"), None);
        assert_eq!(code39_full_ascii("BAD+1"), None);
    }
}
