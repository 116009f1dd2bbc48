//! Aztec beyond what rxing's reader reads: reader-initialisation symbols, whose mode message
//! carries a flag in its codeword count that rxing takes for part of the count, and runes, the
//! 11x11 core alone whose mode message is the whole payload (a value 0-255), stored inverted
//! at every other bit. Structured-append headers are taken off by `aim::split_sa`.

use super::aim::identified;
use super::aztec_bytes::unknown_eci_message;
use super::bullseye::{bullseye_centres, encode_mode_message, mode_message};
use rxing::aztec::decoder;
use rxing::aztec::detector::Detector;
use rxing::common::{BitMatrix, DetectorRXingResult, PerspectiveTransform, Quadrilateral};
use rxing::{BarcodeFormat, Point, RXingResult};

/// Aztec symbols in a binarized image that rxing's own reader leaves unread.
pub(super) fn read(bits: &BitMatrix) -> Vec<RXingResult> {
    let mut out: Vec<RXingResult> = Vec::new();
    for (cx, cy, m, compact) in bullseye_centres(bits) {
        let Some(core) = Core::at(bits, cx, cy, m, compact) else {
            continue;
        };
        let found = if compact { core.rune() } else { None };
        let Some(r) = found.or_else(|| core.reader_init(bits)) else {
            continue;
        };
        if !out.iter().any(|o| o.getText() == r.getText()) {
            out.push(r);
        }
    }
    out
}

/// The orientation marks around the bullseye, for a mode-message ring `r` modules out (5 for
/// compact symbols, 7 for full-range ones): module coordinates (centre 0, 0) and whether each
/// mark is dark. Three at the top left, two at the top right, one at the bottom right.
pub(super) fn marks(r: i32) -> [((i32, i32), bool); 12] {
    [
        ((-r, -r), true),
        ((1 - r, -r), true),
        ((-r, 1 - r), true),
        ((r, -r), true),
        ((r - 1, -r), false),
        ((r, 1 - r), true),
        ((r, r), false),
        ((r - 1, r), false),
        ((r, r - 1), true),
        ((-r, r), false),
        ((1 - r, r), false),
        ((-r, r - 1), false),
    ]
}

/// The mode-message modules in reading order: clockwise from the top-left corner, seven a side
/// on a compact ring (r = 5), ten on a full-range one (r = 7), where the middle module of each
/// side belongs to the reference grid instead.
pub(super) fn mode_message_modules(r: i32) -> Vec<(i32, i32)> {
    let side: Vec<i32> = (2 - r..=r - 2).filter(|&i| r == 5 || i != 0).collect();
    let mut out = Vec::new();
    out.extend(side.iter().map(|&i| (i, -r)));
    out.extend(side.iter().map(|&j| (r, j)));
    out.extend(side.iter().rev().map(|&i| (i, r)));
    out.extend(side.iter().rev().map(|&j| (-r, j)));
    out
}

/// The pattern a rune's mode message is stored XORed with.
const RUNE_XOR: u64 = 0b1010_1010_1010_1010_1010_1010_1010;

/// A bullseye found in the picture: where each module around it lies, and which way up it is.
pub(super) struct Core {
    pub(super) map: PerspectiveTransform,
    pub(super) compact: bool,
    /// Pixels a module.
    m: f32,
    corners: Vec<Point>,
    /// Quarter turns and mirroring that put the orientation marks where they belong.
    turn: u8,
    mirror: bool,
    /// The modules out to the mode-message ring, row by row, as the picture has them.
    dark: Vec<bool>,
}

impl Core {
    /// The bullseye centred at (cx, cy), `m` pixels a module, if its rings and orientation marks
    /// are all there.
    fn at(bits: &BitMatrix, cx: f32, cy: f32, m: f32, compact: bool) -> Option<Core> {
        let dark = |x: f32, y: f32| pixel(bits, x, y);
        let rings = if compact { 4 } else { 6 };
        // Walk each diagonal out from the centre to the inner edge of the outermost dark ring:
        // (rings - 0.5) modules out on both axes, the bullseye's corners in the picture.
        let mut corners = Vec::new();
        for (dx, dy) in [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
            let (mut x, mut y) = (cx, cy);
            let mut colour = dark(x, y)?;
            let mut changes = 0;
            let limit = ((rings + 2) as f32 * m).ceil() as u32;
            let mut step = 0;
            while changes < rings {
                step += 1;
                if step > limit {
                    return None;
                }
                x += dx;
                y += dy;
                let c = dark(x, y)?;
                if c != colour {
                    changes += 1;
                    colour = c;
                }
            }
            corners.push(Point::new(x - dx / 2.0, y - dy / 2.0));
        }
        let map = ring_map(
            rings as f32 - 0.5,
            [corners[0], corners[1], corners[2], corners[3]],
        )?;
        Core::with_map(bits, map, compact, m, corners)
    }

    /// The bullseye whose module (i, j) the map puts in the picture (centre 0, 0), if its rings
    /// and orientation marks are all there.
    pub(super) fn with_map(
        bits: &BitMatrix,
        map: PerspectiveTransform,
        compact: bool,
        m: f32,
        corners: Vec<Point>,
    ) -> Option<Core> {
        let dark = |x: f32, y: f32| pixel(bits, x, y);
        let rings = if compact { 4 } else { 6 };
        let r = rings + 1;
        let mut modules = Vec::with_capacity(((2 * r + 1) * (2 * r + 1)) as usize);
        for j in -r..=r {
            for i in -r..=r {
                let p = map.transform_point(Point::new(i as f32, j as f32));
                modules.push(dark(p.x, p.y)?);
            }
        }
        let mut core = Core {
            map,
            compact,
            m,
            corners,
            turn: 0,
            mirror: false,
            dark: modules,
        };
        // The bullseye itself: dark at even distances from the centre, light at odd ones.
        for d in 0..=rings {
            for (i, j) in [
                (d, 0),
                (-d, 0),
                (0, d),
                (0, -d),
                (d, d),
                (-d, -d),
                (d, -d),
                (-d, d),
            ] {
                if core.module(i, j) != (d % 2 == 0) {
                    return None;
                }
            }
        }
        for turn in 0..4 {
            for mirror in [false, true] {
                (core.turn, core.mirror) = (turn, mirror);
                let wrong = marks(r)
                    .iter()
                    .filter(|((i, j), d)| core.oriented(*i, *j) != *d)
                    .count();
                if wrong <= 1 {
                    return Some(core);
                }
            }
        }
        None
    }

    /// How far out the mode-message ring is.
    pub(super) fn ring(&self) -> i32 {
        if self.compact {
            5
        } else {
            7
        }
    }

    /// The module at (i, j) as the picture has it.
    fn module(&self, i: i32, j: i32) -> bool {
        let r = self.ring();
        self.dark[((j + r) * (2 * r + 1) + i + r) as usize]
    }

    /// Module coordinates in the picture of (i, j) on the symbol the right way up.
    pub(super) fn place(&self, i: i32, j: i32) -> (i32, i32) {
        let (i, j) = if self.mirror { (-i, j) } else { (i, j) };
        match self.turn {
            0 => (i, j),
            1 => (-j, i),
            2 => (-i, -j),
            _ => (j, -i),
        }
    }

    fn oriented(&self, i: i32, j: i32) -> bool {
        let (i, j) = self.place(i, j);
        self.module(i, j)
    }

    /// The mode message as read, most significant bit first.
    pub(super) fn message(&self) -> u64 {
        mode_message_modules(self.ring())
            .into_iter()
            .fold(0, |acc, (i, j)| acc << 1 | u64::from(self.oriented(i, j)))
    }

    /// A rune: the compact core alone, its mode message stored XORed with [`RUNE_XOR`].
    fn rune(&self) -> Option<RXingResult> {
        let message = self.message();
        let (value, corrected) = mode_message(message ^ RUNE_XOR, true)?;
        // A mode message that checks as well as it is belongs to an ordinary compact symbol.
        if corrected > 1 || mode_message(message, true).is_some_and(|(_, c)| c <= corrected) {
            return None;
        }
        let r = RXingResult::new(
            &format!("{value:03}"),
            vec![value as u8],
            self.corners.clone(),
            BarcodeFormat::AZTEC,
        );
        Some(identified(r, "]zC"))
    }

    /// A reader-initialisation symbol: the top bit of the mode message's codeword count is a
    /// flag that rxing takes for part of the count. The mode message is written again without
    /// it into a copy of the picture, and rxing reads that.
    fn reader_init(&self, bits: &BitMatrix) -> Option<RXingResult> {
        let (data, _) = mode_message(self.message(), self.compact)?;
        let flag = if self.compact { 0x20 } else { 0x400 };
        if data & flag == 0 {
            return None;
        }
        let cleared = encode_mode_message(data & !flag, self.compact)?;
        let modules = mode_message_modules(self.ring());
        let n = modules.len();
        let mut copy = bits.clone();
        let (w, h) = (bits.getWidth() as f32, bits.getHeight() as f32);
        let reach = self.m * 0.3;
        for (k, (i, j)) in modules.into_iter().enumerate() {
            let on = cleared >> (n - 1 - k) & 1 == 1;
            let (i, j) = self.place(i, j);
            let p = self.map.transform_point(Point::new(i as f32, j as f32));
            let ys = (p.y - reach).floor().max(0.0) as u32..=(p.y + reach).min(h - 1.0) as u32;
            for y in ys {
                let xs = (p.x - reach).floor().max(0.0) as u32..=(p.x + reach).min(w - 1.0) as u32;
                for x in xs {
                    if on {
                        copy.set(x, y);
                    } else {
                        copy.unset(x, y);
                    }
                }
            }
        }
        let (r, _) = read_bits(&copy)?;
        Some(identified(r, "]z0"))
    }
}

/// Whether the pixel at (x, y) is dark; None outside the picture.
pub(super) fn pixel(bits: &BitMatrix, x: f32, y: f32) -> Option<bool> {
    let inside = x >= 0.0 && y >= 0.0 && x < bits.getWidth() as f32 && y < bits.getHeight() as f32;
    inside.then(|| bits.get(x as u32, y as u32))
}

/// The map from module coordinates (centre 0, 0) to the picture that puts the square `e`
/// modules out from the centre on these corners (top left, top right, bottom right, bottom left).
pub(super) fn ring_map(e: f32, corners: [Point; 4]) -> Option<PerspectiveTransform> {
    PerspectiveTransform::quadrilateralToQuadrilateral(
        Quadrilateral::new(
            Point::new(-e, -e),
            Point::new(e, -e),
            Point::new(e, e),
            Point::new(-e, e),
        ),
        Quadrilateral::new(corners[0], corners[1], corners[2], corners[3]),
    )
    .ok()
}

/// rxing's detector and decoder on a binarized picture: the symbol and its symbology modifier.
pub(super) fn read_bits(bits: &BitMatrix) -> Option<(RXingResult, u32)> {
    let mut detector = Detector::new(bits);
    for mirror in [false, true] {
        let Ok(found) = detector.detect(mirror) else {
            continue;
        };
        let Ok(d) = decoder::decode(&found) else {
            // rxing gives up on a whole symbol for an ECI it does not know: its bytes then,
            // under the modifier for a message with ECIs.
            let Some(bytes) = unknown_eci_message(
                found.getBits(),
                found.isCompact(),
                found.getNbLayers(),
                found.getNbDatablocks(),
            ) else {
                continue;
            };
            let text: String = bytes.iter().copied().map(char::from).collect();
            let r = RXingResult::new(
                &text,
                vec![],
                found.getPoints().to_vec(),
                BarcodeFormat::AZTEC,
            );
            return Some((r, 3));
        };
        let r = RXingResult::new_complex(
            d.getText(),
            d.getRawBytes().clone(),
            d.getNumBits(),
            found.getPoints().to_vec(),
            BarcodeFormat::AZTEC,
            0,
        );
        return Some((r, d.getSymbologyModifier()));
    }
    None
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_aztec_symbol_is_no_rune() {
        for text in ["A", "LOT-4711", "https://example.com/01/09506000134352"] {
            let (luma, w, h) = crate::scan::rxing::encode::render_symbol(
                text,
                crate::scan::symbol::Format::Aztec,
                6,
                0,
            )
            .unwrap();
            let src = rxing::Luma8Source::new_with_slice(&luma, w, h).unwrap();
            let bitmap =
                rxing::BinaryBitmap::new(crate::scan::rxing::binarize::FastHybrid::new(src));
            let bits = bitmap.get_black_matrix();
            // The bullseye and its mode message are found and check as they are...
            let cores: Vec<Core> = bullseye_centres(bits)
                .into_iter()
                .filter_map(|(x, y, m, c)| Core::at(bits, x, y, m, c))
                .collect();
            assert_eq!(cores.len(), 1, "{text}");
            assert!(mode_message(cores[0].message(), cores[0].compact).is_some());
            // ...so nothing here is a rune or a reader-initialisation symbol.
            assert!(read(bits).is_empty(), "{text}");
        }
    }
}
