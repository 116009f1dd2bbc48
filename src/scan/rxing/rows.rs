//! The row scan for linear symbols in photos, where rxing's binarizers lose thin, blurred bars.

use rxing::{BarcodeFormat, RXingResult};

use super::aim::to_symbol;
use super::binarize::FastHistogram;
use super::confirm::{lines_agree, lines_needed, scan_line, Evidence};
use super::formats::{from_rxing, hints};
use super::variants::{MIN_SIDE, THIN_SIDE};
use crate::scan::symbol::Format;

/// Rows a row scan looks along, spread over the middle of the image.
const SCAN_ROWS: u32 = 64;

/// The formats our row readers look for: only symbologies with a check digit or checksum. Code
/// 39 has none, so a row of text or a fabric could pass for one. ITF counts only as ITF-14 with
/// its GS1 check digit (see [`LineReader::read`]).
fn row_formats(formats: &[Format]) -> Vec<Format> {
    formats
        .iter()
        .copied()
        .filter(|f| {
            matches!(
                f,
                Format::Ean13
                    | Format::Ean8
                    | Format::UpcA
                    | Format::UpcE
                    | Format::Code128
                    | Format::Itf
            )
        })
        .collect()
}

/// rxing's row readers for some linear formats, with their hints: made once for a decode step
/// and used on every line it reads (making them costs about as much as reading a line).
pub(super) struct LineReader {
    hints: rxing::DecodeHints,
    reader: rxing::oned::MultiFormatOneDReader,
}

impl LineReader {
    /// None when none of `formats` is linear.
    pub(super) fn new(formats: &[Format], try_harder: bool) -> Option<LineReader> {
        if !formats.iter().any(|f| f.is_linear()) {
            return None;
        }
        let hints = hints(formats, try_harder, false);
        let reader = rxing::oned::MultiFormatOneDReader::new(&hints);
        Some(LineReader { hints, reader })
    }

    /// The reader for the linear formats of `formats` a confirmation line reads: DataBar is
    /// left out (it is confirmed otherwise).
    pub(super) fn for_lines(formats: &[Format]) -> Option<LineReader> {
        let linear: Vec<Format> = formats
            .iter()
            .copied()
            .filter(|f| f.is_linear() && !matches!(f, Format::Rss14 | Format::RssExpanded))
            .collect();
        LineReader::new(&linear, false)
    }

    /// One binarized row read both ways round (backwards only when forwards read nothing,
    /// unless `both_ways`); `scale` is how many row positions make one pixel (points come back
    /// in pixels, on row `y`). ITF counts only as ITF-14 with its GS1 check digit when
    /// `itf14_only` (a row found by searching has no other check).
    pub(super) fn read(
        &mut self,
        bits: &rxing::common::BitArray,
        y: usize,
        scale: f32,
        itf14_only: bool,
        both_ways: bool,
    ) -> Vec<RXingResult> {
        use rxing::oned::OneDReader;
        let n = bits.get_size() as f32;
        let mut reads = Vec::new();
        for reversed in [false, true] {
            if reversed && !both_ways && !reads.is_empty() {
                break;
            }
            let mut row = bits.clone();
            if reversed {
                row.reverse();
            }
            let Ok(mut res) = self.reader.decode_row(y as u32, &row, &self.hints) else {
                continue;
            };
            if itf14_only
                && res.getBarcodeFormat() == &BarcodeFormat::ITF
                && !(res.getText().len() == 14 && crate::gtin::has_valid_check_digit(res.getText()))
            {
                continue;
            }
            let mut pts = res.getPointsMut().to_vec();
            for pt in &mut pts {
                let x = if reversed { n - pt.x } else { pt.x };
                *pt = rxing::point(x / scale, y as f32);
            }
            res.replace_points(pts);
            reads.push(res);
        }
        reads
    }
}

/// An image's rows and columns, each thresholded at the valley of its own histogram (what
/// rxing's image-wide readers do for a linear symbol, either binarizer: rxing's
/// global-histogram row, as our [`FastHistogram`] gives it), each line once, when first asked for.
pub(super) struct Lines<'a> {
    bin: FastHistogram<rxing::Luma8Source<'a>>,
    w: u32,
    h: u32,
}

impl<'a> Lines<'a> {
    pub(super) fn new(luma: &'a [u8], w: u32, h: u32) -> Option<Lines<'a>> {
        let source = rxing::Luma8Source::new_with_slice(luma, w, h).ok()?;
        Some(Lines {
            bin: FastHistogram::new(source),
            w,
            h,
        })
    }

    /// How many lines run across the image: rows when `horizontal`, else columns.
    pub(super) fn count(&self, horizontal: bool) -> u32 {
        if horizontal {
            self.h
        } else {
            self.w
        }
    }

    /// Row `i` (or column `i`), binarized.
    pub(super) fn line(
        &self,
        horizontal: bool,
        i: u32,
    ) -> Option<std::borrow::Cow<'_, rxing::common::BitArray>> {
        use rxing::common::LineOrientation;
        use rxing::Binarizer;
        let orientation = if horizontal {
            LineOrientation::Row
        } else {
            LineOrientation::Column
        };
        self.bin.get_black_line(i as usize, orientation).ok()
    }

    /// The linear symbols on lines `lo..hi` (rows when `horizontal`, else columns, each across
    /// the symbol), each line read as `look` says. The first line that reads gives its texts,
    /// each once; points are along the line, on `y` = the line's index.
    pub(super) fn first_reading(
        &self,
        reader: &mut LineReader,
        horizontal: bool,
        (lo, hi): (u32, u32),
        look: Look,
    ) -> Vec<RXingResult> {
        for i in lo..hi {
            let Some(row) = self.line(horizontal, i) else {
                continue;
            };
            let (row, from) = match look.span {
                Some((from, to)) => (std::borrow::Cow::Owned(part(&row, from, to)), from),
                None => (row, 0),
            };
            let mut reads = reader.read(&row, i as usize, 1.0, false, look.both_ways);
            if reads.is_empty() && look.inverse {
                let mut inverse = row.into_owned();
                for x in 0..inverse.get_size() {
                    inverse.flip(x);
                }
                reads = reader.read(&inverse, i as usize, 1.0, false, look.both_ways);
            }
            if !reads.is_empty() {
                for r in &mut reads {
                    let pts: Vec<_> = r
                        .getPoints()
                        .iter()
                        .map(|p| rxing::point(p.x + from as f32, p.y))
                        .collect();
                    r.replace_points(pts);
                }
                let mut seen = Vec::new();
                reads.retain(|r| {
                    let key = (*r.getBarcodeFormat(), r.getText().to_string());
                    let new = !seen.contains(&key);
                    seen.push(key);
                    new
                });
                return reads;
            }
        }
        vec![]
    }
}

/// How [`Lines::first_reading`] reads each line.
#[derive(Clone, Copy)]
pub(super) struct Look {
    /// Only positions `from..to` along the line (the line still thresholded as a whole).
    pub span: Option<(usize, usize)>,
    /// Backwards as well as forwards, even when forwards read something (see
    /// [`LineReader::read`]).
    pub both_ways: bool,
    /// The line's inverse too, when it reads nothing: for symbols printed light on dark.
    pub inverse: bool,
}

/// Positions `from..to` of a binarized line (cut to its length).
fn part(row: &rxing::common::BitArray, from: usize, to: usize) -> rxing::common::BitArray {
    let to = to.min(row.get_size());
    let from = from.min(to);
    let mut out = rxing::common::BitArray::with_size(to - from);
    for x in from..to {
        if row.get(x) {
            out.set(x - from);
        }
    }
    out
}

/// Rows the quick look reads: the middle one, then alternately above and below it, a
/// [`QUICK_ROW_STEP`]th of the height apart (the middle two thirds of the image). On the
/// samples, every symbol the quick look read was read by its eleventh row; the rows after it
/// only made the images it could not read wait longer for the full plan.
const QUICK_ROWS: usize = 11;
const QUICK_ROW_STEP: usize = 16;

/// The quick look for a linear symbol that is easy to read, before any of rxing's image-wide
/// readers: up to [`QUICK_ROWS`] rows spread over the image, each thresholded at the valley of
/// its own histogram (rxing's global-histogram row), read both ways round by rxing's row
/// readers. It answers only on the evidence `trusted_linear` asks for of rxing's own reads: a
/// symbol read identically on one row more than [`lines_needed`] asks, or a read confirmed on the
/// lines beside its own row ([`lines_agree`]: the nearest line on either side read, one agreeing
/// and neither reading another text; for a short symbol every nearby line, as `trusted_linear`
/// confirms it); never when a row read another text of the same format. Anything less gives
/// nothing, and the full plan runs.
pub(super) fn quick_rows(luma: &[u8], w: u32, h: u32, formats: &[Format]) -> Vec<RXingResult> {
    let linear = row_formats(formats);
    if linear.is_empty() || w < MIN_SIDE || h < THIN_SIDE {
        return vec![];
    }
    let (Some(mut reader), Some(lines)) = (LineReader::new(&linear, false), Lines::new(luma, w, h))
    else {
        return vec![];
    };
    // The confirmation lines read what `trusted_linear` reads them for.
    let mut confirm = LineReader::for_lines(formats);
    let (h, mid) = (h as usize, h as usize / 2);
    let step = (h / QUICK_ROW_STEP).max(1);
    // Each read with the row it was made on.
    let mut reads: Vec<(RXingResult, usize)> = Vec::new();
    for i in 0..QUICK_ROWS {
        let k = i.div_ceil(2) * step;
        let y = if i % 2 == 1 {
            mid.checked_sub(k)
        } else {
            Some(mid + k)
        };
        let Some(y) = y.filter(|&y| y < h) else {
            continue;
        };
        let Some(row) = lines.line(true, y as u32) else {
            continue;
        };
        let found = reader.read(&row, y, 1.0, true, true);
        reads.extend(found.iter().map(|r| (r.clone(), y)));
        let winners = agreed_rows(&reads);
        if !winners.is_empty() {
            return winners;
        }
        let Some(confirm) = &mut confirm else {
            continue;
        };
        for r in &found {
            let contradicted = reads.iter().any(|(o, _)| {
                o.getBarcodeFormat() == r.getBarcodeFormat() && o.getText() != r.getText()
            });
            if contradicted {
                continue;
            }
            let Some(s) = to_symbol(r) else {
                continue;
            };
            // The quick look reads dark bars on light only: so do its confirmation lines.
            if lines_agree(&lines, confirm, &s, scan_line(&s), Evidence::Paired, false) {
                return vec![r.clone()];
            }
        }
    }
    vec![]
}

/// The reads that enough different rows agree on (one row more than [`lines_needed`] asks for
/// its format), where no row read another text of that format; empty when any format is
/// read two ways.
fn agreed_rows(reads: &[(RXingResult, usize)]) -> Vec<RXingResult> {
    let mut out: Vec<RXingResult> = Vec::new();
    for (r, _) in reads {
        let format = r.getBarcodeFormat();
        if reads
            .iter()
            .any(|(o, _)| o.getBarcodeFormat() == format && o.getText() != r.getText())
        {
            return vec![];
        }
        let mut rows: Vec<usize> = reads
            .iter()
            .filter(|(o, _)| o.getBarcodeFormat() == format && o.getText() == r.getText())
            .map(|(_, y)| *y)
            .collect();
        rows.dedup();
        let needed = from_rxing(format).map_or(usize::MAX, lines_needed);
        let known = out
            .iter()
            .any(|o| o.getBarcodeFormat() == format && o.getText() == r.getText());
        if rows.len() > needed && !known {
            out.push(r.clone());
        }
    }
    out
}

/// A row scan for linear symbols in photos, where rxing's binarizers lose thin, blurred bars: each
/// of [`SCAN_ROWS`] rows (three pixel rows averaged) is resampled at twice its width,
/// thresholded against its own local mean ([`mean_rows`]) and binarized by its edges
/// ([`edge_row`]); rxing's row readers decode each result both ways round. A symbol counts only when two
/// different rows read it identically: the same second look that `trusted_linear` gives.
pub(super) fn row_scan(luma: &[u8], w: u32, h: u32, formats: &[Format]) -> Vec<RXingResult> {
    let linear = row_formats(formats);
    if linear.is_empty() || w < MIN_SIDE || h < THIN_SIDE {
        return vec![];
    }
    let Some(mut reader) = LineReader::new(&linear, true) else {
        return vec![];
    };
    let (w, h) = (w as usize, h as usize);
    let n = 2 * w;
    let mut found: Vec<(RXingResult, usize)> = Vec::new();
    let mut agreed: Vec<RXingResult> = Vec::new();
    let min_apart = (h / 24).max(3);
    for i in 0..SCAN_ROWS as usize {
        let y = (h * (i + 1) / (SCAN_ROWS as usize + 1)).clamp(1, h - 2);
        // The row's profile, three rows averaged, resampled at half-pixel steps.
        let mut p = vec![0f32; n];
        for (x, v) in p.iter_mut().enumerate() {
            let fx = (x as f32 / 2.0).min((w - 1) as f32);
            let (x0, t) = (fx.floor() as usize, fx.fract());
            let x1 = (x0 + 1).min(w - 1);
            let at = |xx: usize| -> f32 {
                (luma[(y - 1) * w + xx] as f32
                    + luma[y * w + xx] as f32
                    + luma[(y + 1) * w + xx] as f32)
                    / 3.0
            };
            *v = at(x0) * (1.0 - t) + at(x1) * t;
        }
        let edges = crate::scan::edges::edges(&p);
        let mut rows = mean_rows(&p);
        rows.extend(edge_row(&edges, n));
        let reads: Vec<RXingResult> = rows
            .iter()
            .flat_map(|bits| reader.read(bits, y, 2.0, true, true))
            .collect();
        for res in reads {
            let same = |o: &RXingResult| {
                o.getText() == res.getText() && o.getBarcodeFormat() == res.getBarcodeFormat()
            };
            if agreed.iter().any(same) {
                continue;
            }
            // Two rows well apart: neighbouring rows of a texture can repeat each other.
            if found
                .iter()
                .any(|(o, oy)| same(o) && oy.abs_diff(y) >= min_apart)
            {
                agreed.push(res);
            } else {
                found.push((res, y));
            }
        }
    }
    agreed
}

/// A row profile binarized against its local mean, where the local contrast is real, with
/// three window sizes.
fn mean_rows(p: &[f32]) -> Vec<rxing::common::BitArray> {
    let n = p.len();
    let mut sum = vec![0f32; n + 1];
    for x in 0..n {
        sum[x + 1] = sum[x] + p[x];
    }
    [n / 48, n / 24, n / 12]
        .into_iter()
        .map(|r| {
            let r = r.max(4);
            let mut bits = rxing::common::BitArray::with_size(n);
            for x in 0..n {
                let (a, b) = (x.saturating_sub(r), (x + r + 1).min(n));
                let mean = (sum[b] - sum[a]) / (b - a) as f32;
                let (lo, hi) = p[a..b]
                    .iter()
                    .fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
                if hi - lo > 24.0 && p[x] < mean {
                    bits.set(x);
                }
            }
            bits
        })
        .collect()
}

/// A row profile binarized by its edges (see [`crate::scan::edges`]) instead of a threshold:
/// dark from each falling edge to the next rising one. None for a row without edges.
fn edge_row(edges: &[crate::scan::edges::Edge], n: usize) -> Option<rxing::common::BitArray> {
    if edges.is_empty() {
        return None;
    }
    let mut bits = rxing::common::BitArray::with_size(n);
    for pair in edges.windows(2) {
        if pair[0].falling && !pair[1].falling {
            let (a, b) = (pair[0].at.round() as usize, pair[1].at.round() as usize);
            // Bit by bit: rxing's setRange overflows (debug builds panic) on a range that
            // ends on a word's last bit.
            for x in a.min(n)..b.min(n) {
                bits.set(x);
            }
        }
    }
    Some(bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::frame::LumaFrame;
    use crate::scan::rxing::encode::render_for_tests;
    use crate::scan::rxing::passes::{decode_pass, Bin, Pass};
    use crate::scan::rxing::variants::Variant;
    use crate::scan::rxing::{Effort, RxingDecoder};
    use crate::scan::symbol::Decoder;

    /// A photo-like EAN-13 (blurred, lit from the middle, low contrast) that rxing's binarizers
    /// lose: the row scan reads it, on two rows. On noise and on bars that are no barcode it reads
    /// nothing.
    #[test]
    fn row_scan_reads_an_unevenly_lit_ean13_rxing_loses_and_nothing_else() {
        let (img, w, h) = render_for_tests("4006381333931", Format::Ean13, 3, 120);
        let img = image::GrayImage::from_raw(w, h, img).unwrap();
        let mut img = image::imageops::blur(&img, 0.8);
        for (x, y, p) in img.enumerate_pixels_mut() {
            let light =
                (1.0 - 1.2 * (x as f32 / w as f32 - 0.5).abs()) * (0.8 + 0.2 * y as f32 / h as f32);
            p.0[0] = (30.0 + f32::from(p.0[0]) * light.max(0.1) * 0.7) as u8;
        }
        for bin in [Bin::Hybrid, Bin::Histogram] {
            let pass = Pass {
                single: false,
                try_harder: true,
                inverted: false,
                bin,
                variant: Variant::AsIs,
            };
            assert!(decode_pass(img.as_raw(), w, h, &[Format::Ean13], &pass).is_empty());
        }
        let found = row_scan(img.as_raw(), w, h, &[Format::Ean13]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].getText(), "4006381333931");
        let mut d = RxingDecoder::new(Effort::Thorough);
        let read = d.decode(
            &LumaFrame::new(img.as_raw(), w, h, w).unwrap(),
            &[Format::Ean13],
        );
        assert_eq!(read.len(), 1, "the thorough decoder gets there too");
        let noise: Vec<u8> = (0..400 * 100u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
            .collect();
        assert!(row_scan(&noise, 400, 100, &Format::ALL).is_empty());
        let stripes: Vec<u8> = (0..400 * 100u32)
            .map(|i| if (i % 400) / 3 % 2 == 0 { 30 } else { 220 })
            .collect();
        assert!(row_scan(&stripes, 400, 100, &Format::ALL).is_empty());
    }

    /// A UPC-A row blurred until its thinnest bars never reach the local mean: the threshold
    /// rows lose them, the edge row keeps every bar and reads it; a flat or noisy row gives
    /// no edges to read.
    #[test]
    fn edge_row_reads_bars_blur_took_the_contrast_of() {
        use rxing::oned::{MultiFormatOneDReader, OneDReader};
        let (img, w, h) = render_for_tests("036000291452", Format::UpcA, 2, 0);
        let img = image::imageops::blur(&image::GrayImage::from_raw(w, h, img).unwrap(), 1.2);
        let y = h / 2;
        // The middle row at half-pixel steps, as `row_scan` takes it.
        let p: Vec<f32> = (0..2 * w)
            .map(|x| f32::from(img.get_pixel((x / 2).min(w - 1), y).0[0]))
            .collect();
        let hints = hints(&[Format::UpcA], true, false);
        let mut reader = MultiFormatOneDReader::new(&hints);
        for row in mean_rows(&p) {
            assert!(reader.decode_row(y, &row, &hints).is_err());
        }
        let row = edge_row(&crate::scan::edges::edges(&p), p.len()).expect("a row with contrast");
        let read = reader.decode_row(y, &row, &hints).expect("reads");
        assert_eq!(read.getText(), "036000291452");
        assert!(edge_row(&crate::scan::edges::edges(&[128.0; 400]), 400).is_none());
        let noise: Vec<f32> = (0..400u32)
            .map(|i| f32::from((i.wrapping_mul(2654435761) >> 24) as u8))
            .collect();
        if let Some(row) = edge_row(&crate::scan::edges::edges(&noise), 400) {
            assert!(reader.decode_row(0, &row, &hints).is_err());
        }
    }
}
