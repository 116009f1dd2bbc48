//! The data of a GS1 DataBar Expanded symbol (ISO/IEC 24724, the encodation methods and the
//! general-purpose field) as a GS1 element string, FNC1 as ASCII 29.
//!
//! rxing's field decoder, like zxing's, stays in alphanumeric or ISO/IEC 646 mode after an FNC1
//! there and expects a latch to numeric that the standard does not put in (an FNC1 latches to
//! numeric by itself): a correctly encoded symbol with a variable-length field that ends in
//! letters then decodes to nothing. This one follows the standard.

const GS: char = '\u{1d}';

/// The bits of the data characters after the check character, most significant first.
struct Bits<'a> {
    bits: &'a [bool],
}

impl Bits<'_> {
    fn len(&self) -> usize {
        self.bits.len()
    }

    /// `n` bits from `pos` as a number; None past the end.
    fn value(&self, pos: usize, n: usize) -> Option<u32> {
        let b = self.bits.get(pos..pos + n)?;
        Some(b.iter().fold(0, |v, &bit| (v << 1) | u32::from(bit)))
    }
}

/// The element string the bits carry; None when they break the encodation rules.
pub(super) fn element_string(bits: &[bool]) -> Option<String> {
    let b = Bits { bits };
    // Bit 0 is the 2D-component linkage flag: the linear part reads the same either way.
    let mut out = String::new();
    if b.value(1, 1)? == 1 {
        // Method 1: (01) with its indicator digit, then the general-purpose field. Two bits of
        // variable-length symbol field come first.
        let first = b.value(4, 4)?;
        if first > 9 {
            return None;
        }
        out.push_str("01");
        gtin(&b, 8, &first.to_string(), &mut out)?;
        general(&b, 48, &mut out)?;
    } else if b.value(2, 1)? == 0 {
        // Method 00: the general-purpose field alone, after the variable-length field.
        general(&b, 5, &mut out)?;
    } else {
        match b.value(1, 4)? {
            // 0100: (01) with indicator 9 and (3103), a weight in grams up to 32.767 kg.
            4 => {
                fixed_size(&b, 5 + 40 + 15)?;
                gtin9(&b, 5, &mut out)?;
                let w = b.value(45, 15)?;
                if w > 32767 {
                    return None;
                }
                out.push_str(&format!("3103{w:06}"));
            }
            // 0101: (01) with indicator 9 and (3202) or (3203), a weight in pounds.
            5 => {
                fixed_size(&b, 5 + 40 + 15)?;
                gtin9(&b, 5, &mut out)?;
                let w = b.value(45, 15)?;
                match w {
                    0..=9999 => out.push_str(&format!("3202{w:06}")),
                    10000..=32767 => out.push_str(&format!("3203{:06}", w - 10000)),
                    _ => return None,
                }
            }
            _ => match b.value(1, 5)? {
                // 01100: (01) and (392x), an amount payable; 01101: (393x) with its currency.
                m @ (12 | 13) => {
                    gtin9(&b, 8, &mut out)?;
                    let decimals = b.value(48, 2)?;
                    out.push_str(&format!("39{}{decimals}", if m == 12 { 2 } else { 3 }));
                    let mut pos = 50;
                    if m == 13 {
                        let currency = b.value(50, 10)?;
                        if currency > 999 {
                            return None;
                        }
                        out.push_str(&format!("{currency:03}"));
                        pos = 60;
                    }
                    general(&b, pos, &mut out)?;
                }
                _ => {
                    // 0111000 to 0111111: (01), a weight in (310x) or (320x), and a date.
                    let m = b.value(1, 7)?;
                    if !(56..=63).contains(&m) {
                        return None;
                    }
                    fixed_size(&b, 8 + 40 + 20 + 16)?;
                    gtin9(&b, 8, &mut out)?;
                    let w = b.value(48, 20)?;
                    let (decimals, weight) = (w / 100_000, w % 100_000);
                    if decimals > 9 {
                        return None;
                    }
                    let ai = if m % 2 == 0 { "310" } else { "320" };
                    out.push_str(&format!("{ai}{decimals}{weight:06}"));
                    let date = b.value(68, 16)?;
                    // 38400 says "no date".
                    if date != 38400 {
                        let (day, rest) = (date % 32, date / 32);
                        let (month, year) = (rest % 12 + 1, rest / 12);
                        if year > 99 {
                            return None;
                        }
                        let ai = ["11", "13", "15", "17"][((m - 56) / 2) as usize];
                        out.push_str(&format!("{ai}{year:02}{month:02}{day:02}"));
                    }
                }
            },
        }
    }
    while out.ends_with(GS) {
        out.pop();
    }
    (!out.is_empty()).then_some(out)
}

fn fixed_size(b: &Bits, n: usize) -> Option<()> {
    (b.len() == n).then_some(())
}

/// A GTIN with indicator digit 9 (the weight and price methods are for variable-measure items).
fn gtin9(b: &Bits, pos: usize, out: &mut String) -> Option<()> {
    out.push_str("01");
    gtin(b, pos, "9", out)
}

/// Twelve digits in four 10-bit groups after `first`, and the check digit worked out.
fn gtin(b: &Bits, pos: usize, first: &str, out: &mut String) -> Option<()> {
    let mut digits = first.to_string();
    for i in 0..4 {
        let v = b.value(pos + 10 * i, 10)?;
        if v > 999 {
            return None;
        }
        digits.push_str(&format!("{v:03}"));
    }
    let check = crate::gtin::check_digit(&digits)?;
    out.push_str(&digits);
    out.push(char::from(b'0' + check));
    Some(())
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Numeric,
    Alpha,
    Iso,
}

/// The general-purpose field from `pos` to the end: digits in pairs, then letters and
/// punctuation in the alphanumeric and ISO/IEC 646 modes, an FNC1 (ASCII 29 out) latching back
/// to numeric. What is left after the data is padding, and decodes to nothing.
///
/// Old encoders put a latch to numeric ("000") after such an FNC1 as well. Digits that start with
/// "000" straight after one (an AI beginning 00, 01 or 02) could be either, and read one way
/// they make other data than the other: such a symbol is refused here (rxing reads the old
/// encoders' symbols), never guessed at.
fn general(b: &Bits, mut pos: usize, out: &mut String) -> Option<()> {
    let mut mode = Mode::Numeric;
    let mut after_letters_fnc1 = false;
    loop {
        let left = b.len() - pos.min(b.len());
        match mode {
            Mode::Numeric => {
                if std::mem::take(&mut after_letters_fnc1) && left >= 3 && b.value(pos, 3)? == 0 {
                    return None;
                }
                if left >= 7 {
                    if b.value(pos, 4)? == 0 {
                        mode = Mode::Alpha;
                        pos += 4;
                        continue;
                    }
                    let v = b.value(pos, 7)?;
                    if v < 8 {
                        return None;
                    }
                    for d in [(v - 8) / 11, (v - 8) % 11] {
                        out.push(if d == 10 {
                            GS
                        } else {
                            char::from(b'0' + d as u8)
                        });
                    }
                    pos += 7;
                } else if left >= 4 {
                    // One last digit in four bits; 0 is padding.
                    match b.value(pos, 4)? {
                        0 => {}
                        v @ 1..=10 => out.push(char::from(b'0' + (v - 1) as u8)),
                        _ => return None,
                    }
                    return Some(());
                } else {
                    return Some(());
                }
            }
            Mode::Alpha | Mode::Iso => {
                if left < 5 {
                    return Some(());
                }
                let v5 = b.value(pos, 5)?;
                match v5 {
                    // "000": latch to numeric.
                    0..=3 => {
                        mode = Mode::Numeric;
                        pos += 3;
                    }
                    // "00100": latch to the other of alphanumeric and ISO/IEC 646.
                    4 => {
                        mode = if mode == Mode::Alpha {
                            Mode::Iso
                        } else {
                            Mode::Alpha
                        };
                        pos += 5;
                    }
                    5..=14 => {
                        out.push(char::from(b'0' + (v5 - 5) as u8));
                        pos += 5;
                    }
                    15 => {
                        out.push(GS);
                        mode = Mode::Numeric;
                        after_letters_fnc1 = true;
                        pos += 5;
                    }
                    _ if mode == Mode::Alpha => {
                        let v6 = b.value(pos, 6)?;
                        out.push(match v6 {
                            32..=57 => char::from(b'A' + (v6 - 32) as u8),
                            58 => '*',
                            59 => ',',
                            60 => '-',
                            61 => '.',
                            62 => '/',
                            _ => return None,
                        });
                        pos += 6;
                    }
                    _ => {
                        let v7 = b.value(pos, 7);
                        match v7 {
                            Some(v @ 64..=89) => {
                                out.push(char::from(b'A' + (v - 64) as u8));
                                pos += 7;
                            }
                            Some(v @ 90..=115) => {
                                out.push(char::from(b'a' + (v - 90) as u8));
                                pos += 7;
                            }
                            _ => {
                                const PUNCT: &[u8; 21] = b"!\"%&'()*+,-./:;<=>?_ ";
                                let v8 = b.value(pos, 8)?;
                                let c = v8.checked_sub(232).and_then(|i| PUNCT.get(i as usize));
                                out.push(char::from(*c?));
                                pos += 8;
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bits from a string of 0 and 1, other characters (spaces) left out.
    fn bits(s: &str) -> Vec<bool> {
        s.chars().filter(|c| *c != ' ').map(|c| c == '1').collect()
    }

    fn num(v: u32, n: usize) -> String {
        format!("{v:0n$b}")
    }

    /// 001 234 567 890 in four 10-bit groups: with indicator 9, GTIN 90012345678908.
    const GTIN: &str = "0000000001 0011101010 1000110111 1101111010";

    #[test]
    fn method_1_gives_the_gtin_with_its_check_digit_then_the_general_field() {
        // (01)00012345678905 (10)ABC: linkage 0, method 1, length bits, digit 0, 001 234 567 890,
        // numeric "10", latch to alphanumeric, A B C.
        let s = format!(
            "0 1 00 {} {} {} {} {} {} 0000 {} {} {}",
            num(0, 4),
            num(1, 10),
            num(234, 10),
            num(567, 10),
            num(890, 10),
            num(8 + 11, 7),
            num(32, 6),
            num(33, 6),
            num(34, 6)
        );
        assert_eq!(
            element_string(&bits(&s)).as_deref(),
            Some("010001234567890510ABC")
        );
    }

    #[test]
    fn an_fnc1_in_alphanumeric_mode_latches_to_numeric_by_itself() {
        // Method 00, (10)A then FNC1 and (21)12: after the FNC1 the digits follow at once, with
        // no "000" latch, as ISO/IEC 24724 has it.
        let s = format!(
            "0 00 00 {} 0000 {} {} {} {}",
            num(8 + 11, 7),
            num(32, 6),
            num(15, 5),
            num(8 + 2 * 11 + 1, 7),
            num(8 + 11 + 2, 7)
        );
        assert_eq!(element_string(&bits(&s)).as_deref(), Some("10A\u{1d}2112"));
        // The same symbol with the "000" old encoders add could be read as other data: it is
        // refused, and so is any "000" straight after such an FNC1.
        let broken = format!(
            "0 00 00 {} 0000 {} {} 000 {} {}",
            num(8 + 11, 7),
            num(32, 6),
            num(15, 5),
            num(8 + 2 * 11 + 1, 7),
            num(8 + 11 + 2, 7)
        );
        assert_eq!(element_string(&bits(&broken)), None);
        let then_01 = format!(
            "0 00 00 {} 0000 {} {} {} {}",
            num(8 + 11, 7),
            num(32, 6),
            num(15, 5),
            num(8 + 1, 7),
            num(8 + 11 * 2 + 3, 7)
        );
        assert_eq!(element_string(&bits(&then_01)), None);
    }

    #[test]
    fn iso_646_mode_reads_lower_case_and_punctuation() {
        // (10)a-b: numeric "10", latch to alphanumeric, latch to ISO/IEC 646, a, -, b.
        let s = format!(
            "0 00 00 {} 0000 00100 {} {} {}",
            num(8 + 11, 7),
            num(90, 7),
            num(242, 8),
            num(91, 7)
        );
        assert_eq!(element_string(&bits(&s)).as_deref(), Some("10a-b"));
        // An 8-bit value outside the table is an error, not a character.
        let bad = format!("0 00 00 {} 0000 00100 {}", num(8 + 11, 7), num(253, 8));
        assert_eq!(element_string(&bits(&bad)), None);
    }

    #[test]
    fn the_weight_and_date_methods_give_their_ais() {
        // 0100: (01)9 + 001234567890 and its check digit, (3103)001750.
        let gtin = GTIN;
        let s = format!("0 0100 {gtin} {}", num(1750, 15));
        assert_eq!(
            element_string(&bits(&s)).as_deref(),
            Some("01900123456789083103001750")
        );
        // 0111001: (01), (3201) weight 1234 with one decimal, (11) 2010-03-05: a date is
        // yy * 384 + (mm - 1) * 32 + dd.
        let date = 10 * 384 + 2 * 32 + 5;
        let s = format!(
            "0 0111001 {gtin} {} {}",
            num(100_000 + 1234, 20),
            num(date, 16)
        );
        assert_eq!(
            element_string(&bits(&s)).as_deref(),
            Some("0190012345678908320100123411100305")
        );
        // 38400 is "no date".
        let s = format!("0 0111000 {gtin} {} {}", num(1234, 20), num(38400, 16));
        assert_eq!(
            element_string(&bits(&s)).as_deref(),
            Some("01900123456789083100001234")
        );
        // A weight method with bits left over is not that method.
        let s = format!("0 0100 {gtin} {} 0", num(1750, 15));
        assert_eq!(element_string(&bits(&s)), None);
    }

    #[test]
    fn the_pound_and_amount_methods_and_numeric_fnc1() {
        let gtin = GTIN;
        // 0101: a weight of 10000 or more is (3203) less 10000.
        let s = format!("0 0101 {gtin} {}", num(12345, 15));
        assert_eq!(
            element_string(&bits(&s)).as_deref(),
            Some("01900123456789083203002345")
        );
        // 01100: (392x) with its decimals digit, the amount in the general field.
        let s = format!(
            "0 01100 00 {gtin} {} {} {}",
            num(2, 2),
            num(21, 7),
            num(45, 7)
        );
        assert_eq!(
            element_string(&bits(&s)).as_deref(),
            Some("019001234567890839221234")
        );
        // 01101: (393x) with an ISO 4217 currency in 10 bits first.
        let s = format!(
            "0 01101 00 {gtin} {} {} {}",
            num(1, 2),
            num(978, 10),
            num(8 + 9 * 11 + 9, 7)
        );
        assert_eq!(
            element_string(&bits(&s)).as_deref(),
            Some("0190012345678908393197899")
        );
        // Numeric pairs carry FNC1 as digit 10; four bits left over carry one last digit.
        let s = format!(
            "0 00 00 {} {} {} {} {}",
            num(19, 7),
            num(21, 7),
            num(8 + 110 + 2, 7),
            num(8 + 11 + 3, 7),
            num(5, 4)
        );
        assert_eq!(element_string(&bits(&s)).as_deref(), Some("1012\u{1d}2134"));
        // A six-bit value past '/' in alphanumeric mode is an error.
        let s = format!("0 00 00 {} 0000 {}", num(19, 7), num(63, 6));
        assert_eq!(element_string(&bits(&s)), None);
    }

    #[test]
    fn padding_decodes_to_nothing() {
        // Method 00, (10)12, numeric latch to alphanumeric, then "00100" padding.
        let s = format!(
            "0 00 00 {} {} 0000 00100 00100 001",
            num(8 + 11, 7),
            num(8 + 11 + 2, 7)
        );
        assert_eq!(element_string(&bits(&s)).as_deref(), Some("1012"));
    }
}
