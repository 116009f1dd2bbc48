//! A DataMatrix message as the bytes it carries (ISO/IEC 16022, 5.2), for the case rxing's text
//! cannot serve: a symbol with an ECI rxing does not know. Its message can then only be passed
//! on as bytes, as zxing-cpp does; rxing instead decodes each segment it can with a guessed
//! character set, and the result is text that was never in the symbol.

/// ASCII-mode codewords (5.2.3, table 2).
const PAD: u8 = 129;
const LATCH_C40: u8 = 230;
const LATCH_BASE256: u8 = 231;
const FNC1: u8 = 232;
const STRUCTURED_APPEND: u8 = 233;
const READER_PROGRAMMING: u8 = 234;
const UPPER_SHIFT: u8 = 235;
const MACRO_05: u8 = 236;
const MACRO_06: u8 = 237;
const LATCH_X12: u8 = 238;
const LATCH_TEXT: u8 = 239;
const LATCH_EDIFACT: u8 = 240;
const ECI: u8 = 241;
/// Unlatch back to ASCII from C40, Text and X12.
const UNLATCH: u8 = 254;
/// The group separator an FNC1 (other than in first position) stands for.
const GS: u8 = 29;

/// The message bytes of a DataMatrix symbol's data codewords (after error correction), with
/// the ECI designators taken out; None where the codewords break the encodation rules.
pub(super) fn message_bytes(cw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut upper = false;
    let mut trailer: &[u8] = &[];
    let mut i = 0;
    while i < cw.len() {
        let c = cw[i];
        i += 1;
        match c {
            1..=128 => {
                out.push((c - 1) | if upper { 0x80 } else { 0 });
                upper = false;
            }
            PAD => break,
            130..=229 => out.extend_from_slice(&[b'0' + (c - 130) / 10, b'0' + (c - 130) % 10]),
            LATCH_C40 | LATCH_TEXT => i = c40_text(cw, i, &mut out, c == LATCH_TEXT)?,
            LATCH_X12 => i = x12(cw, i, &mut out)?,
            LATCH_EDIFACT => i = edifact(cw, i, &mut out)?,
            LATCH_BASE256 => i = base256(cw, i, &mut out)?,
            // In first position (or after a structured-append header) FNC1 marks GS1 data,
            // which the symbology identifier carries; elsewhere it is a separator.
            FNC1 if !out.is_empty() => out.push(GS),
            FNC1 | READER_PROGRAMMING => {}
            STRUCTURED_APPEND => i += 3,
            UPPER_SHIFT => upper = true,
            MACRO_05 | MACRO_06 => {
                out.extend_from_slice(if c == MACRO_05 {
                    b"[)>\x1e05\x1d"
                } else {
                    b"[)>\x1e06\x1d"
                });
                trailer = b"\x1e\x04";
            }
            ECI => i += eci_len(*cw.get(i)?),
            _ => return None,
        }
    }
    out.extend_from_slice(trailer);
    Some(out)
}

/// How many codewords an ECI designator starting with `first` takes (5.4.1).
fn eci_len(first: u8) -> usize {
    match first {
        0..=127 => 1,
        128..=191 => 2,
        _ => 3,
    }
}

/// Three values of 0..40 packed in two codewords (C40, Text, X12); None at an unlatch or where
/// fewer than two codewords are left (the rest is ASCII).
fn triple(cw: &[u8], i: usize) -> Option<[u8; 3]> {
    let (a, b) = (*cw.get(i)?, *cw.get(i + 1)?);
    if a == UNLATCH {
        return None;
    }
    let v = (u16::from(a) * 256 + u16::from(b)).checked_sub(1)?;
    Some([(v / 1600) as u8, (v / 40 % 40) as u8, (v % 40) as u8])
}

/// Where a C40/Text/X12 segment starting at `i` hands back to ASCII: after an unlatch, or at
/// the last codeword when one is left.
fn segment_end(cw: &[u8], i: usize) -> usize {
    if cw.get(i) == Some(&UNLATCH) {
        i + 1
    } else {
        i
    }
}

/// C40 (upper case basic set) or Text (lower case) from `i`; returns where ASCII resumes.
fn c40_text(cw: &[u8], mut i: usize, out: &mut Vec<u8>, text: bool) -> Option<usize> {
    let mut shift = 0u8;
    let mut upper = false;
    while let Some(values) = triple(cw, i) {
        i += 2;
        for v in values {
            let ch = match shift {
                0 if v < 3 => {
                    shift = v + 1;
                    continue;
                }
                0 => match v {
                    3 => b' ',
                    4..=13 => b'0' + v - 4,
                    _ if text => b'a' + v - 14,
                    _ => b'A' + v - 14,
                },
                1 => v,
                2 => match v {
                    0..=14 => b'!' + v,
                    15..=21 => b':' + v - 15,
                    22..=26 => b'[' + v - 22,
                    27 => GS,
                    30 => {
                        upper = true;
                        shift = 0;
                        continue;
                    }
                    _ => return None,
                },
                _ => match v {
                    0 => b'`',
                    1..=26 if text => b'A' + v - 1,
                    _ if v <= 31 => b'`' + v,
                    _ => return None,
                },
            };
            shift = 0;
            out.push(ch | if upper { 0x80 } else { 0 });
            upper = false;
        }
    }
    Some(segment_end(cw, i))
}

/// ANSI X12 from `i`; returns where ASCII resumes.
fn x12(cw: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    while let Some(values) = triple(cw, i) {
        i += 2;
        for v in values {
            out.push(match v {
                0 => b'\r',
                1 => b'*',
                2 => b'>',
                3 => b' ',
                4..=13 => b'0' + v - 4,
                _ => b'A' + v - 14,
            });
        }
    }
    Some(segment_end(cw, i))
}

/// EDIFACT from `i`: four 6-bit values in three codewords, 31 unlatching (the rest of its
/// codeword unused); with fewer than three codewords left the rest is ASCII.
fn edifact(cw: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    while i + 3 <= cw.len() {
        let bits = u32::from(cw[i]) << 16 | u32::from(cw[i + 1]) << 8 | u32::from(cw[i + 2]);
        for k in 0..4usize {
            let v = (bits >> (18 - 6 * k) & 0x3f) as u8;
            if v == 31 {
                return Some(i + (6 * (k + 1)).div_ceil(8));
            }
            out.push(if v & 0x20 == 0 { v | 0x40 } else { v });
        }
        i += 3;
    }
    Some(i)
}

/// Base 256 from `i`: a length field and bytes, each codeword randomized by its position
/// (annex B); returns where ASCII resumes.
fn base256(cw: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let unrandom = |at: usize| -> Option<u8> {
        let r = (149 * (at + 1)) % 255 + 1;
        Some(((usize::from(*cw.get(at)?) + 256 - r) % 256) as u8)
    };
    let d1 = unrandom(i)?;
    i += 1;
    let len = match d1 {
        0 => cw.len() - i,
        1..=249 => usize::from(d1),
        _ => {
            let d2 = unrandom(i)?;
            i += 1;
            250 * (usize::from(d1) - 249) + usize::from(d2)
        }
    };
    for _ in 0..len {
        out.push(unrandom(i)?);
        i += 1;
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codewords made by rxing's own DataMatrix encoder for a few messages, read back here
    /// byte for byte; each encoder mode the encoder chooses for them is crossed.
    #[test]
    fn message_bytes_read_every_encodation() {
        use rxing::datamatrix::encoder::high_level_encoder::encodeHighLevel;
        let messages: [&str; 6] = [
            "Hello World 12345678",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            "abcdefghijklmnopqrstuvwxyz abc",
            "A*B>C\r123*456>789\rXYZ",
            "A:B;C<=>?@[\\]^_ABCDEFGH....",
            "é\u{e9}\u{ff}binary\u{80}\u{81}\u{82}\u{83}\u{84}\u{85}",
        ];
        let mut latches = std::collections::BTreeSet::new();
        for m in messages {
            let cw = encodeHighLevel(m).expect("encodes");
            let cw: Vec<u8> = cw.chars().map(|c| c as u32 as u8).collect();
            latches.extend(cw.iter().copied().filter(|c| (230..=240).contains(c)));
            let want: Vec<u8> = m.chars().map(|c| c as u32 as u8).collect();
            assert_eq!(message_bytes(&cw), Some(want), "{m:?}");
        }
        for latch in [
            LATCH_C40,
            LATCH_TEXT,
            LATCH_X12,
            LATCH_EDIFACT,
            LATCH_BASE256,
        ] {
            assert!(latches.contains(&latch), "{latch} in {latches:?}");
        }
        // An ECI designator is no data; a codeword that means nothing (242) is refused.
        assert_eq!(
            message_bytes(&[ECI, 27, 66, 67]).as_deref(),
            Some(&b"AB"[..])
        );
        assert_eq!(message_bytes(&[66, 242]), None);
    }
}
