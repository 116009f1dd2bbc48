//! An Aztec message as the bytes it carries (ISO/IEC 24778, 7), for the case rxing's text cannot
//! serve: a symbol with an ECI rxing does not know, where rxing's decoder gives up on the whole
//! symbol. Its message can then only be passed on as bytes, as for DataMatrix (`dm_bytes.rs`).
//! The data bits are taken from the sampled symbol layer by layer, corrected with their
//! Reed-Solomon words and unstuffed here, then decoded mode by mode.

use rxing::common::reedsolomon::{PredefinedGenericGF, ReedSolomonDecoder};
use rxing::common::{BitMatrix, Eci};

/// The message of a sampled symbol (`matrix`, upright, reference grid included) as bytes, if it
/// holds an ECI that rxing has no character set for; None otherwise, or where the symbol does
/// not check.
pub(super) fn unknown_eci_message(
    matrix: &BitMatrix,
    compact: bool,
    layers: u32,
    data_words: u32,
) -> Option<Vec<u8>> {
    let bits = corrected_bits(&layer_bits(matrix, compact, layers), layers, data_words)?;
    let (bytes, ecis) = message_bytes(&bits)?;
    ecis.into_iter()
        .any(|e| Eci::from(e) == Eci::Unknown)
        .then_some(bytes)
}

/// The symbol's bits in reading order: layer by layer from the outermost, each layer as four
/// sides of two-module-wide rows (down the left, along the bottom, up the right, back along the
/// top), each row read across its two modules from outside in.
fn layer_bits(matrix: &BitMatrix, compact: bool, layers: u32) -> Vec<bool> {
    // Side of the symbol without the reference grid, and where each of its rows or columns is in
    // the matrix: a full-range symbol's grid lines sit every 16 modules out from the centre.
    let base = (if compact { 11 } else { 14 }) + 4 * layers;
    let at: Vec<u32> = if compact {
        (0..base).collect()
    } else {
        let half = base / 2;
        let centre = matrix.getWidth() / 2;
        (0..base)
            .map(|i| {
                if i < half {
                    let out = half - 1 - i;
                    centre - 1 - out - out / 15
                } else {
                    let out = i - half;
                    centre + 1 + out + out / 15
                }
            })
            .collect()
    };
    let get = |x: u32, y: u32| matrix.get(at[x as usize], at[y as usize]);
    let mut out = Vec::new();
    for layer in 0..layers {
        let len = (layers - layer) * 4 + if compact { 9 } else { 12 };
        let (lo, hi) = (2 * layer, base - 1 - 2 * layer);
        let sides: [&dyn Fn(u32, u32) -> bool; 4] = [
            &|j, k| get(lo + k, lo + j),
            &|j, k| get(lo + j, hi - k),
            &|j, k| get(hi - k, hi - j),
            &|j, k| get(hi - j, lo + k),
        ];
        for side in sides {
            for j in 0..len {
                out.push(side(j, 0));
                out.push(side(j, 1));
            }
        }
    }
    out
}

/// The data bits after Reed-Solomon correction, with the stuffed bits taken out.
fn corrected_bits(raw: &[bool], layers: u32, data_words: u32) -> Option<Vec<bool>> {
    let (size, field) = match layers {
        0..=2 => (6, PredefinedGenericGF::AztecData6),
        3..=8 => (8, PredefinedGenericGF::AztecData8),
        9..=22 => (10, PredefinedGenericGF::AztecData10),
        _ => (12, PredefinedGenericGF::AztecData12),
    };
    let n = raw.len() / size;
    let k = data_words as usize;
    if n <= k {
        return None;
    }
    // The padding bits that do not fill a codeword come first.
    let mut words: Vec<i32> = raw[raw.len() % size..]
        .chunks(size)
        .map(|c| c.iter().fold(0, |a, &b| a << 1 | i32::from(b)))
        .collect();
    ReedSolomonDecoder::new(field.into())
        .decode(&mut words, (n - k) as i32)
        .ok()?;
    let all = (1 << size) - 1;
    let mut out = Vec::with_capacity(k * size);
    for &w in &words[..k] {
        match w {
            0 => return None,
            _ if w == all => return None,
            // A word of all but its last bit the same: the last bit was stuffed in.
            1 => out.resize(out.len() + size - 1, false),
            _ if w == all - 1 => out.resize(out.len() + size - 1, true),
            _ => out.extend((0..size).rev().map(|b| w >> b & 1 == 1)),
        }
    }
    Some(out)
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Upper,
    Lower,
    Mixed,
    Punct,
    Digit,
}

/// What a code means in a mode.
enum Code {
    Bytes(&'static [u8]),
    Shift(Mode),
    Latch(Mode),
    BinaryShift,
    Flag,
}

/// The mixed mode's characters from code 2 on: controls, then the few ASCII symbols left over.
const MIXED: &[u8; 26] =
    b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x1b\x1c\x1d\x1e\x1f@\\^_`|~\x7f";
/// The punctuation mode's single characters from code 6 on.
const PUNCT: &[u8; 25] = b"!\"#$%&'()*+,-./:;<=>?[]{}";

fn meaning(mode: Mode, c: u32) -> Code {
    use Code::*;
    use Mode::*;
    let at = |s: &'static [u8], i: u32| Bytes(&s[i as usize..=i as usize]);
    match (mode, c) {
        (Digit, 0) => Shift(Punct),
        (Digit, 1) => Bytes(b" "),
        (Digit, 2..=11) => at(b"0123456789", c - 2),
        (Digit, 12) => Bytes(b","),
        (Digit, 13) => Bytes(b"."),
        (Digit, 14) => Latch(Upper),
        (Digit, _) => Shift(Upper),
        (Punct, 0) => Flag,
        (Punct, 1) => Bytes(b"\r"),
        (Punct, 2) => Bytes(b"\r\n"),
        (Punct, 3) => Bytes(b". "),
        (Punct, 4) => Bytes(b", "),
        (Punct, 5) => Bytes(b": "),
        (Punct, 31) => Latch(Upper),
        (Punct, _) => at(PUNCT, c - 6),
        (_, 0) => Shift(Punct),
        (_, 1) => Bytes(b" "),
        (_, 31) => BinaryShift,
        (Upper, 2..=27) => at(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", c - 2),
        (Lower, 2..=27) => at(b"abcdefghijklmnopqrstuvwxyz", c - 2),
        (Mixed, 2..=27) => at(MIXED, c - 2),
        (Upper, 28) => Latch(Lower),
        (Lower, 28) => Shift(Upper),
        (Mixed, 28) => Latch(Lower),
        (Mixed, 29) => Latch(Upper),
        (Mixed, _) => Latch(Punct),
        (_, 29) => Latch(Mixed),
        (_, _) => Latch(Digit),
    }
}

/// Reads bits most significant first.
struct Bits<'a> {
    bits: &'a [bool],
    at: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Option<u32> {
        let end = self.at + n;
        let v = self.bits.get(self.at..end)?;
        self.at = end;
        Some(v.iter().fold(0, |a, &b| a << 1 | u32::from(b)))
    }
}

/// The message bytes of the corrected data bits, with the ECI designators taken out, and the
/// ECIs met; None where the bits break the encodation rules.
fn message_bytes(bits: &[bool]) -> Option<(Vec<u8>, Vec<u32>)> {
    let mut src = Bits { bits, at: 0 };
    let (mut out, mut ecis) = (Vec::new(), Vec::new());
    let (mut latched, mut mode) = (Mode::Upper, Mode::Upper);
    while let Some(c) = src.read(if mode == Mode::Digit { 4 } else { 5 }) {
        match meaning(mode, c) {
            Code::Bytes(b) => {
                out.extend_from_slice(b);
                mode = latched;
            }
            // A shift or latch met while shifted returns to the shifted mode afterwards, as
            // rxing has it (its issue 642).
            Code::Shift(m) => (latched, mode) = (mode, m),
            Code::Latch(m) => (latched, mode) = (m, m),
            Code::BinaryShift => {
                let Some(mut n) = src.read(5) else { break };
                if n == 0 {
                    let Some(long) = src.read(11) else { break };
                    n = long + 31;
                }
                for _ in 0..n {
                    let Some(b) = src.read(8) else { break };
                    out.push(b as u8);
                }
                mode = latched;
            }
            Code::Flag => {
                let Some(n) = src.read(3) else { break };
                match n {
                    0 => out.push(29),
                    7 => return None,
                    _ => {
                        let mut eci = 0;
                        for _ in 0..n {
                            let d = src.read(4)?;
                            if !(2..=11).contains(&d) {
                                return None;
                            }
                            eci = eci * 10 + d - 2;
                        }
                        ecis.push(eci);
                    }
                }
                mode = latched;
            }
        }
    }
    Some((out, ecis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(codes: &[(u32, usize)]) -> Vec<bool> {
        codes
            .iter()
            .flat_map(|&(v, n)| (0..n).rev().map(move |b| v >> b & 1 == 1))
            .collect()
    }

    #[test]
    fn modes_shifts_and_bytes_decode() {
        // "Ab1, " then a binary shift of two bytes, an ECI 899 and a punctuation shift.
        let b = bits(&[
            (2, 5),    // A
            (28, 5),   // latch lower
            (3, 5),    // b
            (30, 5),   // latch digit
            (3, 4),    // 1
            (12, 4),   // ,
            (1, 4),    // space
            (14, 4),   // latch upper
            (31, 5),   // binary shift
            (2, 5),    // two bytes
            (0xE9, 8), //
            (0x00, 8), //
            (0, 5),    // punctuation shift
            (0, 5),    // FLG(n)
            (3, 3),    // three digits
            (10, 4),   // 8
            (11, 4),   // 9
            (11, 4),   // 9
            (0, 5),    // punctuation shift
            (6, 5),    // !
        ]);
        let (bytes, ecis) = message_bytes(&b).unwrap();
        assert_eq!(bytes, b"Ab1, \xe9\x00!");
        assert_eq!(ecis, vec![899]);
    }

    #[test]
    fn a_reserved_flag_is_refused() {
        assert!(message_bytes(&bits(&[(0, 5), (0, 5), (7, 3)])).is_none());
    }

    #[test]
    fn an_encoded_symbol_reads_back_through_the_layers() {
        // rxing's encoder draws the symbol; our layer walk, correction and decoding read it.
        for text in ["LOT-4711", "Lot 4711, exp. 2026-12-31 / batch ~x|y@z"] {
            let code = rxing::aztec::encoder::aztec_encoder::encode(text, 33, 0).unwrap();
            let m = code.getMatrix();
            let bits = layer_bits(m, code.isCompact(), code.getLayers());
            let data = corrected_bits(&bits, code.getLayers(), code.getCodeWords()).unwrap();
            let (bytes, ecis) = message_bytes(&data).unwrap();
            assert_eq!(bytes, text.as_bytes());
            assert!(ecis.is_empty());
        }
    }
}
