//! Reading a DataMatrix that fills the picture through the grid sampler (`grid.rs`), for the
//! large, cropped or tilted symbols rxing's detectors miss.

use rxing::{BarcodeFormat, RXingResult};

use super::aim::identified;
use super::grid::{warped_grid, Filled};

/// The square DataMatrix sizes (modules a side), up to the largest.
const DM_SIZES: [u32; 24] = [
    10, 12, 14, 16, 18, 20, 22, 24, 26, 32, 36, 40, 44, 48, 52, 64, 72, 80, 88, 96, 104, 120, 132,
    144,
];

/// Module (x, y) of an n x n grid turned `turn` quarter turns.
fn turned(grid: &[Vec<bool>], n: u32, turn: u8, x: u32, y: u32) -> bool {
    let (sx, sy) = match turn {
        0 => (x, y),
        1 => (y, n - 1 - x),
        2 => (n - 1 - x, n - 1 - y),
        _ => (n - 1 - y, x),
    };
    grid[sy as usize][sx as usize]
}

/// The grid as a bit matrix, turned `turn` quarter turns.
fn to_bits(grid: &[Vec<bool>], n: u32, turn: u8) -> Option<rxing::common::BitMatrix> {
    let mut bits = rxing::common::BitMatrix::new(n, n).ok()?;
    for y in 0..n {
        for x in 0..n {
            if turned(grid, n, turn, x, y) {
                bits.set(x, y);
            }
        }
    }
    Some(bits)
}

/// A DataMatrix that fills the picture (cropped at its edges, tilted, in mild perspective), which
/// rxing's detectors miss, large 2x2-region symbols above all: the four edges are lines fitted to
/// the outermost dark pixels, their crossings the corners; for each square size the module grid
/// between them is sampled through a perspective map, and a size counts when the finder L and the
/// timing edges are where they must be (90%), in one of four orientations. rxing's DataMatrix
/// decoder, with its Reed-Solomon check, then reads the modules. A symbol bent on a curved
/// surface is beyond a perspective map.
pub(super) fn datamatrix_grid(luma: &[u8], w: u32, h: u32) -> Vec<RXingResult> {
    let Some(filled) = Filled::find(luma, w, h) else {
        return vec![];
    };
    let decoder = rxing::datamatrix::decoder::Decoder::new();
    for n in DM_SIZES {
        let Some(grid) = filled.grid(n) else {
            return vec![];
        };
        for turn in 0..4 {
            let at = |x: u32, y: u32| turned(&grid, n, turn, x, y);
            // Finder L (left column, bottom row) solid; timing (top row, right column) alternating.
            let mut good = 0;
            for i in 0..n {
                good += u32::from(at(0, i));
                good += u32::from(at(i, n - 1));
                good += u32::from(at(i, 0) == (i % 2 == 0));
                good += u32::from(at(n - 1, i) == (i % 2 == 1));
            }
            if (good as f32) < 0.9 * (4 * n) as f32 {
                continue;
            }
            let Some(bits) = to_bits(&grid, n, turn) else {
                continue;
            };
            let decoded = decoder.decode(&bits).or_else(|e| {
                // Modules drift on a bent label: move columns and rows to where the alternating
                // lines (timing edges, region edges) show their boundaries, and read again.
                let warped = warped_grid(&filled, &grid, n).ok_or(e)?;
                let bits = to_bits(&warped, n, turn).ok_or(rxing::Exceptions::NOT_FOUND)?;
                decoder.decode(&bits)
            });
            if let Ok(d) = decoded {
                let r = RXingResult::new(
                    d.getText(),
                    d.getRawBytes().clone(),
                    filled.quad.0.to_vec(),
                    BarcodeFormat::DATA_MATRIX,
                );
                return vec![identified(r, &format!("]d{}", d.getSymbologyModifier()))];
            }
        }
    }
    vec![]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::rxing::encode::render_for_tests;
    use crate::scan::symbol::Format;

    /// A large DataMatrix (2x2 data regions) cropped at its edges and seen in perspective: the
    /// grid sampler reads it; on noise it reads nothing.
    #[test]
    fn grid_sampler_reads_a_cropped_datamatrix_in_perspective() {
        use rxing::common::{PerspectiveTransform, Quadrilateral};
        let text = "[)>\u{1e}06\u{1d}PMBR120VLSFT1GOSCT-ND\u{1d}1PMBR120VLSFT1G\u{1d}K\u{1d}1K98237652\u{1d}10K123034605\u{1d}9D2525\u{1d}Q3\u{1d}11ZPICK\u{1d}12Z893874";
        let (img, w, _) = render_for_tests(text, Format::DataMatrix, 6, 0);
        // Crop to the symbol itself (the renderer leaves a quiet zone of 10 modules).
        let (q, side) = (60u32, w - 120);
        assert!(side / 6 >= 32, "a 2x2-region symbol: {} modules", side / 6);
        let out = 400u32;
        // Where the symbol's corners land: a tilted, foreshortened square filling the picture.
        let to_symbol = PerspectiveTransform::quadrilateralToQuadrilateral(
            Quadrilateral::new(
                rxing::point(6.0, 2.0),
                rxing::point(392.0, 14.0),
                rxing::point(380.0, 396.0),
                rxing::point(2.0, 384.0),
            ),
            Quadrilateral::new(
                rxing::point(0.0, 0.0),
                rxing::point(side as f32, 0.0),
                rxing::point(side as f32, side as f32),
                rxing::point(0.0, side as f32),
            ),
        )
        .unwrap();
        let mut pic = vec![255u8; (out * out) as usize];
        for y in 0..out {
            for x in 0..out {
                let p = to_symbol.transform_point(rxing::point(x as f32 + 0.5, y as f32 + 0.5));
                if p.x >= 0.0 && p.y >= 0.0 && p.x < side as f32 && p.y < side as f32 {
                    pic[(y * out + x) as usize] =
                        img[((p.y as u32 + q) * w + p.x as u32 + q) as usize];
                }
            }
        }
        let found = datamatrix_grid(&pic, out, out);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].getText(), text);
        let noise: Vec<u8> = (0..300 * 300u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        assert!(datamatrix_grid(&noise, 300, 300).is_empty());
    }
}
