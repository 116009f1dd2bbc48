//! rxing's two binarizers, computed faster, bit for bit the same matrices: each row's bits are
//! gathered a machine word at a time instead of set pixel by pixel.
//!
//! - [`FastHybrid`]: rxing's hybrid binarizer, the same local thresholds (a black point per 8 x 8
//!   block, averaged over the 5 x 5 blocks around it). On the still samples, rxing spent about a
//!   third of an easy QR code's decode building that matrix.
//! - [`FastHistogram`]: rxing's global-histogram binarizer, one black point for the picture
//!   from a histogram of four of its rows. rxing spent a third of an easy DataMatrix's decode
//!   setting its matrix a pixel at a time.
//!
//! Rows and columns for the linear readers are rxing's global-histogram lines (each thresholded
//! at the valley of its own histogram, after a -1 4 -1 sharpening), also built a word at a time
//! ([`LineCache`]): rxing spent a fifth of an easy linear symbol's quick look setting them.

use std::borrow::Cow;
use std::sync::OnceLock;

use rxing::common::{BitArray, BitMatrix, LineOrientation};
use rxing::{Binarizer, Exceptions, LuminanceSource};

const BLOCK: usize = 8;
const BLOCK_POWER: usize = 3;
/// Blocks whose darkest and lightest pixels differ by no more than this are taken as flat.
const MIN_DYNAMIC_RANGE: u32 = 24;
const WORD: usize = usize::BITS as usize;

/// One of rxing's binarizers, its matrix computed faster ([`FastHybrid`] or [`FastHistogram`]);
/// rows are rxing's global-histogram rows, as in rxing's own.
pub(super) struct Fast<LS: LuminanceSource, const HYBRID: bool> {
    source: LS,
    lines: LineCache,
    matrix: OnceLock<rxing::common::Result<BitMatrix>>,
}

/// rxing's hybrid binarizer, computed faster.
pub(super) type FastHybrid<LS> = Fast<LS, true>;
/// rxing's global-histogram binarizer, computed faster.
pub(super) type FastHistogram<LS> = Fast<LS, false>;

impl<LS: LuminanceSource, const HYBRID: bool> Fast<LS, HYBRID> {
    pub(super) fn new(source: LS) -> Self {
        Fast {
            lines: LineCache::new(source.get_width(), source.get_height()),
            source,
            matrix: OnceLock::new(),
        }
    }

    fn compute(&self) -> rxing::common::Result<BitMatrix> {
        let source = &self.source;
        let (w, h) = (source.get_width(), source.get_height());
        let luma = source.get_matrix();
        // rxing's hybrid binarizer takes the global histogram's matrix for small pictures.
        if HYBRID && w >= BLOCK * 5 && h >= BLOCK * 5 {
            let thresholds = block_thresholds(&luma, w, h);
            matrix_of(&threshold_rows(&luma, w, h, &thresholds), w, h)
        } else {
            histogram_matrix(&luma, w, h)
        }
    }
}

/// The matrix whose rows are `words` (each row `w.div_ceil(WORD)` words).
fn matrix_of(words: &[usize], w: usize, h: usize) -> rxing::common::Result<BitMatrix> {
    let row_words = w.div_ceil(WORD);
    let mut matrix = BitMatrix::new(w as u32, h as u32)?;
    let mut row = BitArray::with_size(w);
    for y in 0..h {
        for (i, word) in words[y * row_words..(y + 1) * row_words].iter().enumerate() {
            row.setBulk(i * WORD, *word);
        }
        matrix.setRow(y as u32, &row);
    }
    Ok(matrix)
}

/// Bits of the histogram bucket a luma falls in, as rxing's global-histogram binarizer counts.
const LUMINANCE_BITS: usize = 5;
const LUMINANCE_SHIFT: usize = 8 - LUMINANCE_BITS;
const BUCKETS: usize = 1 << LUMINANCE_BITS;

/// rxing's global-histogram matrix: one black point for the whole picture, from the middle
/// three fifths of the rows at a fifth, two, three and four fifths of its height; a pixel darker
/// than it is black.
fn histogram_matrix(luma: &[u8], w: usize, h: usize) -> rxing::common::Result<BitMatrix> {
    let mut buckets = [0u32; BUCKETS];
    for k in 1..5 {
        let row = &luma[(h * k / 5) * w..][..w];
        for &p in &row[w / 5..w * 4 / 5] {
            buckets[usize::from(p >> LUMINANCE_SHIFT)] += 1;
        }
    }
    let black_point = black_point(&buckets)?;
    let row_words = w.div_ceil(WORD);
    let mut words = vec![0usize; row_words * h];
    let mut black = vec![0u8; row_words * WORD];
    for (y, out) in words.chunks_exact_mut(row_words).enumerate() {
        for (b, &p) in black.iter_mut().zip(&luma[y * w..(y + 1) * w]) {
            *b = u8::from(u32::from(p) < black_point);
        }
        pack_row(&black, out);
    }
    matrix_of(&words, w, h)
}

/// The black point of a picture from its histogram, as rxing's global-histogram binarizer
/// estimates it: the two peaks (the tallest, and the one scoring highest by count times squared
/// distance from it), and between them the valley scoring highest by its depth, its squared
/// distance from the dark peak and its distance from the light one. Too little contrast between
/// the peaks (a sixteenth of the range or less) is no picture of a symbol.
fn black_point(buckets: &[u32; BUCKETS]) -> rxing::common::Result<u32> {
    let (mut first, mut first_count) = (0usize, 0u32);
    for (x, &b) in buckets.iter().enumerate() {
        if b > first_count {
            (first, first_count) = (x, b);
        }
    }
    let tallest = first_count;
    let (mut second, mut second_score) = (0usize, 0u32);
    for (x, &b) in buckets.iter().enumerate() {
        let d = x.abs_diff(first) as u32;
        let score = b * d * d;
        if score > second_score {
            (second, second_score) = (x, score);
        }
    }
    if first > second {
        std::mem::swap(&mut first, &mut second);
    }
    if second - first <= BUCKETS / 16 {
        return Err(Exceptions::not_found_with("too little contrast"));
    }
    let (mut valley, mut valley_score) = (second - 1, -1i32);
    for x in (first + 1..=second).rev() {
        let from_first = (x - first) as isize;
        let score =
            from_first * from_first * (second - x) as isize * (tallest - buckets[x]) as isize;
        // rxing compares the score cut to 32 bits; so do we, to pick the same valley.
        if score as i32 > valley_score {
            (valley, valley_score) = (x, score as i32);
        }
    }
    Ok((valley as u32) << LUMINANCE_SHIFT)
}

impl<LS: LuminanceSource, const HYBRID: bool> Binarizer for Fast<LS, HYBRID> {
    type Source = LS;

    fn get_luminance_source(&self) -> &LS {
        &self.source
    }

    fn get_black_row(&self, y: usize) -> rxing::common::Result<Cow<'_, BitArray>> {
        self.get_black_line(y, LineOrientation::Row)
    }

    fn get_black_row_from_matrix(&self, y: usize) -> rxing::common::Result<Cow<'_, BitArray>> {
        match self.matrix.get() {
            Some(Ok(m)) => Ok(Cow::Owned(m.getRow(y as u32))),
            _ => self.get_black_row(y),
        }
    }

    fn get_black_matrix(&self) -> rxing::common::Result<&BitMatrix> {
        match self.matrix.get_or_init(|| self.compute()) {
            Ok(m) => Ok(m),
            Err(e) => Err(e.clone()),
        }
    }

    fn get_black_line(
        &self,
        l: usize,
        lt: LineOrientation,
    ) -> rxing::common::Result<Cow<'_, BitArray>> {
        let source = &self.source;
        let pixels = || match lt {
            LineOrientation::Row => source.get_row(l),
            LineOrientation::Column => Some(source.get_column(l)),
        };
        self.lines.line(lt, l, pixels).map(Cow::Borrowed)
    }

    fn create_binarizer(&self, source: LS) -> Self {
        Fast::new(source)
    }

    fn get_width(&self) -> usize {
        self.source.get_width()
    }

    fn get_height(&self) -> usize {
        self.source.get_height()
    }
}

/// A line's bits, as far as it has been asked for: not yet, no contrast (`None`), or its bits.
type Slot = OnceLock<Option<BitArray>>;

/// An image's rows and columns as rxing's global-histogram binarizer gives them to the linear
/// readers, bit for bit: each line thresholded at the valley of its own histogram (see
/// [`black_point`]) after a -1 4 -1 sharpening, the first and last pixel never black (a line
/// under three pixels is thresholded unsharpened). Each line is computed once, when first asked
/// for, a word at a time.
struct LineCache {
    w: usize,
    h: usize,
    rows: OnceLock<Box<[Slot]>>,
    columns: OnceLock<Box<[Slot]>>,
}

impl LineCache {
    fn new(w: usize, h: usize) -> LineCache {
        LineCache {
            w,
            h,
            rows: OnceLock::new(),
            columns: OnceLock::new(),
        }
    }

    /// Row or column `i`, from its pixels (left to right, top to bottom); `pixels` is called
    /// only for a line not computed yet.
    fn line<'p>(
        &self,
        lt: LineOrientation,
        i: usize,
        pixels: impl FnOnce() -> Option<Cow<'p, [u8]>>,
    ) -> rxing::common::Result<&BitArray> {
        let (slots, count) = match lt {
            LineOrientation::Row => (&self.rows, self.h),
            LineOrientation::Column => (&self.columns, self.w),
        };
        if i >= count {
            return Err(Exceptions::index_out_of_bounds_with("no such line"));
        }
        let slots = slots.get_or_init(|| (0..count).map(|_| OnceLock::new()).collect());
        let bits = match slots[i].get() {
            Some(bits) => bits,
            None => {
                let Some(pixels) = pixels() else {
                    return Err(Exceptions::index_out_of_bounds_with("no such line"));
                };
                slots[i].get_or_init(|| black_line(&pixels))
            }
        };
        bits.as_ref()
            .ok_or_else(|| Exceptions::not_found_with("too little contrast"))
    }
}

/// One line's bits, as rxing's global-histogram binarizer sets them; `None` when its histogram
/// has too little contrast.
fn black_line(line: &[u8]) -> Option<BitArray> {
    let n = line.len();
    let mut buckets = [0u32; BUCKETS];
    for &p in line {
        buckets[usize::from(p >> LUMINANCE_SHIFT)] += 1;
    }
    let black_point = black_point(&buckets).ok()? as i32;
    let row_words = n.div_ceil(WORD);
    let mut black = vec![0u8; row_words * WORD];
    if n < 3 {
        for (b, &p) in black.iter_mut().zip(line) {
            *b = u8::from(i32::from(p) < black_point);
        }
    } else {
        // rxing keeps a pixel when (4c - l - r) / 2 < black point, dividing towards zero. With
        // a positive black point that is 4c - l - r < 2 x black point, negative sums included.
        for (b, w) in black[1..].iter_mut().zip(line.windows(3)) {
            let sharp = 4 * i32::from(w[1]) - i32::from(w[0]) - i32::from(w[2]);
            *b = u8::from(sharp < 2 * black_point);
        }
    }
    let mut words = vec![0usize; row_words];
    pack_row(&black, &mut words);
    let mut bits = BitArray::with_size(n);
    for (i, word) in words.iter().enumerate() {
        bits.setBulk(i * WORD, *word);
    }
    Some(bits)
}

/// The block grid's size, and where each block starts: the last block of a row or column is
/// moved in to end at the image's edge, overlapping the one before it.
fn grid(w: usize, h: usize) -> (usize, usize) {
    (w.div_ceil(BLOCK), h.div_ceil(BLOCK))
}

/// One black point per block (as rxing's hybrid binarizer computes it), then each block's
/// threshold: the mean of the black points of the 5 x 5 blocks around it, clamped inside the grid.
///
/// rxing stops tracking a block's darkest and lightest pixels once they differ by more than
/// [`MIN_DYNAMIC_RANGE`]; they are used only when they never do, so the extremes of the whole
/// block give the same black points. That lets each row of blocks be read column-wise, eight
/// rows at a time, in loops the compiler vectorizes.
fn block_thresholds(luma: &[u8], w: usize, h: usize) -> Vec<u32> {
    let (bw, bh) = grid(w, h);
    let (max_x, max_y) = (w - BLOCK, h - BLOCK);
    let mut black = vec![0u32; bw * bh];
    let (mut lo, mut hi, mut sum) = (vec![0u8; w], vec![0u8; w], vec![0u16; w]);
    for by in 0..bh {
        let y0 = (by << BLOCK_POWER).min(max_y);
        let first = &luma[y0 * w..(y0 + 1) * w];
        lo.copy_from_slice(first);
        hi.copy_from_slice(first);
        for (s, &p) in sum.iter_mut().zip(first) {
            *s = u16::from(p);
        }
        for y in y0 + 1..y0 + BLOCK {
            let row = &luma[y * w..(y + 1) * w];
            for (((l, hh), s), &p) in lo
                .iter_mut()
                .zip(hi.iter_mut())
                .zip(sum.iter_mut())
                .zip(row)
            {
                *l = (*l).min(p);
                *hh = (*hh).max(p);
                *s += u16::from(p);
            }
        }
        for bx in 0..bw {
            let x0 = (bx << BLOCK_POWER).min(max_x);
            let span = x0..x0 + BLOCK;
            let min = lo[span.clone()].iter().copied().min().unwrap_or(0);
            let max = hi[span.clone()].iter().copied().max().unwrap_or(0);
            let total: u32 = sum[span].iter().map(|&s| u32::from(s)).sum();
            let mut average = total >> (BLOCK_POWER * 2);
            if u32::from(max - min) <= MIN_DYNAMIC_RANGE {
                // A flat block: a little darker than its minimum (white paper stays white), or,
                // inside a symbol's dark area, the black point of the blocks above and left.
                average = u32::from(min) / 2;
                if by > 0 && bx > 0 {
                    let neighbours = (black[(by - 1) * bw + bx]
                        + 2 * black[by * bw + bx - 1]
                        + black[(by - 1) * bw + bx - 1])
                        / 4;
                    if u32::from(min) < neighbours {
                        average = neighbours;
                    }
                }
            }
            black[by * bw + bx] = average;
        }
    }
    let mut out = vec![0u32; bw * bh];
    for by in 0..bh {
        let top = by.clamp(2, bh - 3);
        for bx in 0..bw {
            let left = bx.clamp(2, bw - 3);
            let mut sum = 0;
            for row in black[(top - 2) * bw..].chunks(bw).take(5) {
                sum += row[left - 2..=left + 2].iter().sum::<u32>();
            }
            out[by * bw + bx] = sum / 25;
        }
    }
    out
}

/// Eight bytes, each 0 or 1, as the low eight bits of a byte: byte `i` becomes bit `i`. The
/// multiplication moves byte `i` (at bit `8i`) to bit `56 + i`; no two terms land on the same
/// bit of the top byte, and the others fall below it or overflow.
fn pack8(bytes: [u8; 8]) -> usize {
    ((u64::from_le_bytes(bytes).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as usize
}

/// The matrix's words, row by row: a pixel is black when its luma is at most its block's
/// threshold. Where the last block overlaps the one before it, a pixel is black when either
/// block's threshold says so, as when rxing sets it from each block in turn.
fn threshold_rows(luma: &[u8], w: usize, h: usize, thresholds: &[u32]) -> Vec<usize> {
    let (bw, bh) = grid(w, h);
    let (max_x, max_y) = (w - BLOCK, h - BLOCK);
    let row_words = w.div_ceil(WORD);
    let mut words = vec![0usize; row_words * h];
    // The threshold each pixel of a row meets, for one row of blocks; whole words, the tail
    // past the image's edge never black.
    let mut per_pixel = vec![0u8; row_words * WORD];
    let mut black = vec![0u8; row_words * WORD];
    for by in 0..bh {
        let y0 = (by << BLOCK_POWER).min(max_y);
        per_pixel.fill(0);
        for bx in 0..bw {
            let x0 = (bx << BLOCK_POWER).min(max_x);
            let t = thresholds[by * bw + bx].min(255) as u8;
            for p in &mut per_pixel[x0..x0 + BLOCK] {
                *p = (*p).max(t);
            }
        }
        for y in y0..y0 + BLOCK {
            let row = &luma[y * w..(y + 1) * w];
            for ((b, &p), &t) in black.iter_mut().zip(row).zip(&per_pixel) {
                *b = u8::from(p <= t);
            }
            pack_row(&black, &mut words[y * row_words..(y + 1) * row_words]);
        }
    }
    words
}

/// Ors a row of 0-or-1 bytes (whole words of them) into its words, bit `i` from byte `i`.
fn pack_row(black: &[u8], out: &mut [usize]) {
    for (word, bytes) in out.iter_mut().zip(black.chunks_exact(WORD)) {
        let mut bits = 0usize;
        for (i, eight) in bytes.chunks_exact(8).enumerate() {
            let eight: [u8; 8] = eight.try_into().unwrap_or_default();
            bits |= pack8(eight) << (8 * i);
        }
        *word |= bits;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxing::common::{GlobalHistogramBinarizer, HybridBinarizer};
    use rxing::Luma8Source;

    /// Pictures with what trips a block binarizer: gradients, flat areas inside and outside dark
    /// regions, noise, sizes that are no multiple of 8 (overlapping last blocks), pure black.
    fn pictures() -> Vec<(Vec<u8>, u32, u32)> {
        let mut out = Vec::new();
        for (w, h) in [(40u32, 40u32), (41, 47), (123, 77), (200, 64), (64, 333)] {
            let noise: Vec<u8> = (0..w * h)
                .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
                .collect();
            out.push((noise, w, h));
            let bars: Vec<u8> = (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    let light = 60 + (x * 150 / w) as u8;
                    if (x / 3 + y / 11) % 2 == 0 {
                        light / 3
                    } else {
                        light
                    }
                })
                .collect();
            out.push((bars, w, h));
            // A dark square on white, flat inside and out.
            let square: Vec<u8> = (0..w * h)
                .map(|i| {
                    let (x, y) = (i % w, i / w);
                    if x > w / 4 && x < 3 * w / 4 && y > h / 4 && y < 3 * h / 4 {
                        20
                    } else {
                        235
                    }
                })
                .collect();
            out.push((square, w, h));
            out.push((vec![0; (w * h) as usize], w, h));
        }
        let (sym, sw, sh) = super::super::encode::render_for_tests(
            "https://example.com/01/09506000134352",
            crate::scan::symbol::Format::QrCode,
            3,
            10,
        );
        out.push((sym, sw, sh));
        out
    }

    /// Compares rxing's binarizer (hybrid or global histogram) with ours on every picture, plain
    /// and inverted: the same matrix bit for bit, or both refuse it; the same rows and columns
    /// (or both refuse each).
    /// Returns how many both refused.
    fn compare<const HYBRID: bool>() -> usize {
        let mut refused = 0;
        for (luma, w, h) in pictures() {
            for inverted in [false, true] {
                let source = || {
                    let mut s = Luma8Source::new_with_slice(&luma, w, h).unwrap();
                    if inverted {
                        s.invert();
                    }
                    s
                };
                let theirs: Box<dyn Binarizer<Source = Luma8Source>> = if HYBRID {
                    Box::new(HybridBinarizer::new(source()))
                } else {
                    Box::new(GlobalHistogramBinarizer::new(source()))
                };
                let ours = Fast::<_, HYBRID>::new(source());
                match (theirs.get_black_matrix(), ours.get_black_matrix()) {
                    (Ok(a), Ok(b)) => {
                        for y in 0..h {
                            for x in 0..w {
                                assert_eq!(
                                    a.get(x, y),
                                    b.get(x, y),
                                    "{w}x{h} inverted={inverted} at ({x}, {y})"
                                );
                            }
                        }
                    }
                    (Err(_), Err(_)) => refused += 1,
                    (a, b) => panic!(
                        "{w}x{h} inverted={inverted}: {:?} / {:?}",
                        a.is_ok(),
                        b.is_ok()
                    ),
                }
                let line = |b: &dyn Binarizer<Source = Luma8Source>, i, o| {
                    b.get_black_line(i, o).ok().map(|r| r.into_owned())
                };
                for y in 0..h as usize {
                    let o = LineOrientation::Row;
                    assert_eq!(line(theirs.as_ref(), y, o), line(&ours, y, o), "row {y}");
                }
                for x in 0..w as usize {
                    let o = LineOrientation::Column;
                    assert_eq!(line(theirs.as_ref(), x, o), line(&ours, x, o), "column {x}");
                }
            }
        }
        refused
    }

    #[test]
    fn lines_two_pixels_short_or_less_are_thresholded_unsharpened_as_rxing_does() {
        for line in [&[0u8, 255][..], &[255, 0], &[10], &[0, 200, 30]] {
            let w = line.len();
            let source = || Luma8Source::new_with_slice(line, w as u32, 1).unwrap();
            let theirs = GlobalHistogramBinarizer::new(source());
            let ours = FastHistogram::new(source());
            assert_eq!(
                theirs.get_black_row(0).ok().map(|r| r.into_owned()),
                ours.get_black_row(0).ok().map(|r| r.into_owned()),
                "{line:?}"
            );
        }
    }

    #[test]
    fn the_matrix_is_rxing_hybrid_binarizers_bit_for_bit() {
        // Every picture is at least 40 pixels each way: the hybrid binarizer refuses none.
        assert_eq!(compare::<true>(), 0);
    }

    #[test]
    fn the_matrix_is_rxing_global_histogram_binarizers_bit_for_bit() {
        // The pure black pictures have no contrast: both refuse them.
        assert!(compare::<false>() > 0);
    }
}
