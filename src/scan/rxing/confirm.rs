//! Linear confirmation: a linear symbol read once is trusted only after a second look on a
//! neighbouring scan line (short symbols: three, and none reading it otherwise), conflicting
//! reads of one symbol are settled by lines voting across it, and DataBar Expanded must be found
//! again by the other binarizer.

use std::collections::HashSet;

use super::aim::to_symbol;
use super::guard::contained;
use super::passes::{decode_pass, Bin, Pass};
use super::rows::{LineReader, Lines, Look};
use super::variants::Variant;
use crate::scan::symbol::{Format, Symbol};

/// The direction a linear symbol was read in, and where across it the read happened.
pub(super) fn scan_line(s: &Symbol) -> Option<(bool, f32, f32, f32)> {
    let [a, b] = match s.position.as_slice() {
        [a, .., b] => [*a, *b],
        _ => return None,
    };
    let horizontal = (b.x - a.x).abs() >= (b.y - a.y).abs();
    Some(if horizontal {
        (horizontal, (a.y + b.y) / 2.0, a.x.min(b.x), a.x.max(b.x))
    } else {
        (horizontal, (a.x + b.x) / 2.0, a.y.min(b.y), a.y.max(b.y))
    })
}

/// Reads a thin strip of lines across the image at `at` (rows for horizontal symbols, columns
/// for vertical ones) with rxing's row readers (see [`Lines::first_reading`]): the same per-line
/// threshold rxing's image-wide readers use for a linear symbol, without their search over the
/// image and their multi-symbol crops. Each line is read as `look` says. Points are along the
/// line.
fn strip_read(
    lines: &Lines,
    reader: &mut LineReader,
    horizontal: bool,
    at: f32,
    look: Look,
) -> Vec<Symbol> {
    let half = 2.0_f32;
    let limit = lines.count(horizontal);
    let (lo, hi) = (
        (at - half).max(0.0) as u32,
        ((at + half).max(0.0) as u32).min(limit),
    );
    if hi <= lo + 1 {
        return vec![];
    }
    contained(|| lines.first_reading(reader, horizontal, (lo, hi), look))
        .iter()
        .filter_map(to_symbol)
        .collect()
}

/// The stretch of a line a confirmation reads for a symbol read from `a0` to `a1` along it:
/// that stretch with a margin for the quiet zones (see [`SPAN_MARGIN`]).
fn span_around(a0: f32, a1: f32) -> (usize, usize) {
    let margin = SPAN_MARGIN * (a1 - a0) + SPAN_MARGIN_PX;
    (
        (a0 - margin).max(0.0) as usize,
        (a1 + margin).max(0.0) as usize,
    )
}

/// A confirmation line is read over the symbol's stretch and this much of its length (plus
/// [`SPAN_MARGIN_PX`]) beyond either end: the guard centres the stretch runs between are a
/// few modules inside the symbol, its quiet zones are ten modules or less (a tenth of a UPC-A),
/// and a tilted symbol moves along the line a little from one line to the next.
const SPAN_MARGIN: f32 = 0.25;
const SPAN_MARGIN_PX: f32 = 8.0;

/// Whether rxing's row reader for `format` puts a read's two points at the ends of the symbol
/// (guard centres or edges). Its Code 39 reader puts the end at half the symbol's end position,
/// so a Code 39 confirmation line is read whole.
fn ends_known(format: Format) -> bool {
    matches!(
        format,
        Format::Ean13 | Format::Ean8 | Format::UpcA | Format::UpcE | Format::Code128 | Format::Itf
    )
}

/// Offsets of the confirmation lines from the line a symbol was read on, nearest first.
const OFFSETS: [f32; 6] = [-3.0, 3.0, -6.0, 6.0, -10.0, 10.0];

/// How many other reads on nearby lines must read a symbol exactly as it was read before it
/// counts.
///
/// UPC-E packs six digits and a check folded into the parity pattern into a short symbol, and
/// EAN-8 has eight digits in as little room: one bar blurred into its neighbour can turn a valid
/// number into another valid one. They are "careful" (2): every nearby line is read, one must
/// agree and none may read another text over the same stretch; the longer symbols need one
/// agreeing line. (This is what the rule came to when each line was read with both binarizers:
/// both threshold a row alike, so one line counted twice.)
pub(super) fn lines_needed(format: Format) -> usize {
    match format {
        Format::UpcE | Format::Ean8 => 2,
        _ => 1,
    }
}

/// The other of rxing's two binarizers.
fn other_bin(bin: Bin) -> Bin {
    match bin {
        Bin::Hybrid => Bin::Histogram,
        _ => Bin::Hybrid,
    }
}

/// How much a nearby line must show before a read counts (see [`lines_agree`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Evidence {
    /// One line agreeing; other texts on other lines are not looked at.
    Lenient,
    /// The nearest lines on both sides are read: one must agree and none may read another
    /// text over the same stretch; if neither agrees, the next pair out is read.
    Paired,
    /// Every nearby line is read, both ways round: one must agree and none may read another
    /// text over the same stretch.
    Careful,
}

/// Whether a line near `line`, read over the stretch `s` was read on, reads `s` as it was read,
/// with at least the `evidence` asked for: a short symbol (see [`lines_needed`]) is always read
/// carefully. Lines are read inverted too (when they read nothing) when `inverse`: where `s`
/// may be printed light on dark.
pub(super) fn lines_agree(
    lines: &Lines,
    reader: &mut LineReader,
    s: &Symbol,
    line: Option<(bool, f32, f32, f32)>,
    evidence: Evidence,
    inverse: bool,
) -> bool {
    let Some((horizontal, at, a0, a1)) = line else {
        return false;
    };
    let evidence = if lines_needed(s.format) > 1 {
        Evidence::Careful
    } else {
        evidence
    };
    let look = Look {
        span: ends_known(s.format).then(|| span_around(a0, a1)),
        both_ways: evidence == Evidence::Careful,
        inverse,
    };
    let mut agree = 0;
    for (k, d) in OFFSETS.into_iter().enumerate() {
        for o in strip_read(lines, reader, horizontal, at + d, look) {
            if o.format != s.format {
                continue;
            }
            if o.text == s.text {
                agree += 1;
            } else if evidence >= Evidence::Paired {
                let overlaps = scan_line(&o).is_some_and(|(_, _, b0, b1)| {
                    a1.min(b1) - a0.max(b0) > 0.5 * (a1 - a0).min(b1 - b0)
                });
                if overlaps {
                    return false;
                }
            }
        }
        let pair_done = k % 2 == 1;
        let enough = match evidence {
            Evidence::Lenient => true,
            Evidence::Paired => pair_done,
            Evidence::Careful => false,
        };
        if agree >= 1 && enough {
            return true;
        }
    }
    agree >= 1
}

/// A DataBar Expanded symbol counts only when the other binarizer, reading the whole image
/// again, finds the same symbol. Its checksum is weak (mod 211) and a photo of a scene has enough
/// finder-like bars to pass it now and then; stacked symbols have no scan line to confirm on.
/// Its data need not be valid GS1 (parsing says so later): a real symbol may carry bad data, and
/// that is what it says.
///
/// The other binarizer's quick look (its first symbol, fewer rows) goes first: what it finds,
/// the thorough look would find too, and on a clean label it costs a tenth as much.
pub(super) fn expanded_confirmed(luma: &[u8], w: u32, h: u32, s: &Symbol, bin: Bin) -> bool {
    [false, true].into_iter().any(|thorough| {
        let pass = Pass {
            single: !thorough,
            try_harder: thorough,
            inverted: thorough,
            bin: other_bin(bin),
            variant: Variant::AsIs,
        };
        decode_pass(luma, w, h, &[Format::RssExpanded], &pass)
            .iter()
            .filter_map(to_symbol)
            .any(|o| o.format == s.format && o.text == s.text)
    })
}

/// Keeps the linear symbols a careful reader would trust, and drops the rest.
///
/// A lone read counts only if it decodes the same on another scan line a few pixels away: real
/// bars run across many lines, a chance pattern in a photo rarely survives the move. Two
/// different reads of the same format over the same stretch are one symbol read two ways (near
/// the tapered ends of bars, a misread can even pass the check digit): lines spread across the
/// symbol vote, and only a clear winner stays.
pub(super) fn trusted_linear(
    luma: &[u8],
    w: u32,
    h: u32,
    reads: Vec<Symbol>,
    formats: &[Format],
    bin: Bin,
) -> Vec<Symbol> {
    // One reader and one set of binarized lines for every confirmation of this image.
    let image = Lines::new(luma, w, h);
    let mut reader = LineReader::for_lines(formats);
    let lines: Vec<Option<(bool, f32, f32, f32)>> = reads.iter().map(scan_line).collect();
    let same_symbol = |i: usize, j: usize| match (lines[i], lines[j]) {
        (Some((ha, pa, a0, a1)), Some((hb, pb, b0, b1))) => {
            let overlap = a1.min(b1) - a0.max(b0);
            ha == hb
                && reads[i].format == reads[j].format
                && overlap > 0.5 * (a1 - a0).min(b1 - b0)
                && (pa - pb).abs() < (a1 - a0).max(b1 - b0)
        }
        _ => false,
    };
    let mut kept = Vec::new();
    let mut done = vec![false; reads.len()];
    for i in 0..reads.len() {
        if done[i] {
            continue;
        }
        let group: Vec<usize> = (i..reads.len())
            .filter(|&j| !done[j] && (j == i || same_symbol(i, j)))
            .collect();
        for &j in &group {
            done[j] = true;
        }
        let texts: HashSet<&str> = group.iter().map(|&j| reads[j].text.as_str()).collect();
        if reads[i].format == Format::RssExpanded {
            // No voting for DataBar Expanded: two readings of one symbol are one too many.
            if texts.len() == 1 && expanded_confirmed(luma, w, h, &reads[i], bin) {
                kept.push(reads[i].clone());
            }
            continue;
        }
        let (Some((horizontal, ..)), Some(image), Some(reader)) = (lines[i], &image, &mut reader)
        else {
            continue;
        };
        if texts.len() == 1 {
            // rxing's passes read light-on-dark symbols too.
            if lines_agree(image, reader, &reads[i], lines[i], Evidence::Lenient, true) {
                kept.push(reads[i].clone());
            }
            continue;
        }
        // Conflicting reads: nine lines across the stretch the reads cover, one vote each.
        let perp: Vec<f32> = group
            .iter()
            .filter_map(|&j| lines[j].map(|l| l.1))
            .collect();
        let (lo, hi) = perp
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), p| (a.min(*p), b.max(*p)));
        let mut votes: std::collections::HashMap<String, usize> = Default::default();
        let look = Look {
            span: None,
            both_ways: true,
            inverse: true,
        };
        for k in 0..9 {
            let at = lo + (hi - lo) * k as f32 / 8.0;
            for o in strip_read(image, reader, horizontal, at, look) {
                if o.format == reads[i].format && texts.contains(o.text.as_str()) {
                    *votes.entry(o.text).or_default() += 1;
                }
            }
        }
        let mut ranked: Vec<(String, usize)> = votes.into_iter().collect();
        ranked.sort_by_key(|r| std::cmp::Reverse(r.1));
        if let Some((text, n)) = ranked.first() {
            let runner_up = ranked.get(1).map_or(0, |r| r.1);
            // A short symbol read two ways is not trusted at all (see `lines_needed`).
            let needed = if lines_needed(reads[i].format) > 1 {
                usize::MAX
            } else {
                2
            };
            if *n >= needed && *n >= 2 * runner_up.max(1) {
                if let Some(&j) = group.iter().find(|&&j| reads[j].text == *text) {
                    kept.push(reads[j].clone());
                }
            }
        }
    }
    kept
}

/// Whether a short symbol (EAN-8, UPC-E) stands clear of other bars: the light margin its
/// standard asks for on both sides (7 modules), checked for 5 of them beyond a module of blur.
/// Inside a longer symbol (EAN-13, UPC-A, DataBar) rxing can read a valid EAN-8 or UPC-E from
/// part of the bars; those have bars where a real one has its quiet zone. `s.position` holds
/// the centres of the start and end guards, on the line it was read along; where the margin
/// runs off the image it is taken as clear (a cropped photo is no evidence of other bars).
pub(super) fn quiet_zones_clear(luma: &[u8], w: u32, h: u32, s: &Symbol) -> bool {
    // Modules between the guard centres, and from each centre to the symbol's outer edge.
    let (span, start_half, end_half) = match s.format {
        Format::Ean8 => (64.0, 1.5, 1.5),
        Format::UpcE => (46.5, 1.5, 3.0),
        _ => return true,
    };
    let [a, b] = match s.position.as_slice() {
        [a, .., b] => [*a, *b],
        _ => return true,
    };
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1.0 {
        return true;
    }
    let (ux, uy) = (dx / len, dy / len);
    let module = len / span;
    // The luma at a point, the mean of three pixels across the line; None off the image.
    let at = |x: f32, y: f32| -> Option<f32> {
        let mut sum = 0.0;
        for k in [-1.0f32, 0.0, 1.0] {
            let (px, py) = ((x - uy * k).round(), (y + ux * k).round());
            if px < 0.0 || py < 0.0 || px >= w as f32 || py >= h as f32 {
                return None;
            }
            sum += f32::from(luma[(py as u32 * w + px as u32) as usize]);
        }
        Some(sum / 3.0)
    };
    // Dark and light as the symbol's own bars and spaces are.
    let steps = len.ceil() as usize;
    let (mut lo, mut hi) = (f32::MAX, f32::MIN);
    for i in 0..=steps {
        let t = i as f32;
        if let Some(v) = at(a.x + ux * t, a.y + uy * t) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
    }
    if hi <= lo {
        return true;
    }
    let dark = (lo + hi) / 2.0;
    // From the outer edge plus one module, five modules outwards; two dark steps in a row
    // are a bar.
    let margin_clear = |ox: f32, oy: f32, sx: f32, sy: f32| -> bool {
        let n = (5.0 * module).ceil().max(2.0) as usize;
        let mut run = 0;
        for i in 0..n {
            let t = module + i as f32;
            let Some(v) = at(ox + sx * t, oy + sy * t) else {
                return true;
            };
            run = if v < dark { run + 1 } else { 0 };
            if run >= 2 {
                return false;
            }
        }
        true
    };
    margin_clear(
        a.x - ux * start_half * module,
        a.y - uy * start_half * module,
        -ux,
        -uy,
    ) && margin_clear(
        b.x + ux * end_half * module,
        b.y + uy * end_half * module,
        ux,
        uy,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::frame::LumaFrame;
    use crate::scan::rxing::encode::render_for_tests;
    use crate::scan::rxing::{Effort, RxingDecoder};
    use crate::scan::symbol::Decoder;

    /// A lone EAN-8 and UPC-E stand clear; the same symbols with bars drawn into either margin
    /// (as when they are read out of part of a longer symbol) do not.
    #[test]
    fn short_symbols_need_clear_margins() {
        for (text, format) in [("12345670", Format::Ean8), ("01234565", Format::UpcE)] {
            let (img, w, h) = render_for_tests(text, format, 3, 60);
            let found = RxingDecoder::new(Effort::Thorough)
                .decode(&LumaFrame::new(&img, w, h, w).unwrap(), &[format]);
            let s = found.first().expect("the clean symbol reads");
            assert!(quiet_zones_clear(&img, w, h, s), "{format:?}");
            let (a, b) = (s.position[0], s.position[s.position.len() - 1]);
            let (left, right) = (a.x.min(b.x) as u32, a.x.max(b.x) as u32);
            for (from, to) in [
                (right + 14, right + 30),
                (left.saturating_sub(30), left - 14),
            ] {
                let mut barred = img.clone();
                for y in 0..h {
                    for x in (from..to).step_by(6) {
                        for dx in 0..3 {
                            barred[(y * w + x + dx) as usize] = 0;
                        }
                    }
                }
                assert!(
                    !quiet_zones_clear(&barred, w, h, s),
                    "{format:?} {from}..{to}"
                );
            }
        }
    }
}
