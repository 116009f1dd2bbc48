//! The [`Decoder`] over rxing: the only folder that knows rxing.
//!
//! Decoding is staged, cheap first (`passes.rs`): for a still, a quick look along a few rows for
//! an easy linear symbol (`rows.rs`); one pass with the hybrid binarizer restricted to the
//! expected formats (for a still, rxing's single-symbol reader); only when it finds nothing
//! (and effort allows) try-harder with inverted images, the global-histogram binarizer,
//! transformed copies (`variants.rs`), our own row scan for linear symbols in photos
//! (`rows.rs`), grid sampler for a DataMatrix filling the picture (`grid.rs`, `datamatrix.rs`),
//! Aztec extras (`aztec.rs`, `bullseye.rs`), our own GS1 DataBar readers (`databar.rs`,
//! `databar_bits.rs`) and QR Code Model 1 (`qr_model1.rs`). Every pass runs
//! under the panic guard (`guard.rs`: rxing panics on some inputs) and the passes stop when the
//! time budget is spent. rxing's hybrid binarizer is computed by `binarize.rs`, the same matrix
//! built a word at a time. Linear reads are confirmed (`confirm.rs`), results become AIM output
//! (`aim.rs`). `encode.rs` draws symbols for the demo camera and tests.

mod aim;
mod aztec;
mod aztec_bytes;
mod aztec_warp;
mod binarize;
mod bullseye;
mod confirm;
mod databar;
mod databar_bits;
mod datamatrix;
mod dm_bytes;
mod encode;
mod formats;
mod grid;
mod guard;
mod passes;
mod qr_model1;
mod rows;
#[cfg(test)]
mod tests;
mod variants;

use std::borrow::Cow;
use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::scan::frame::LumaFrame;
use crate::scan::symbol::{Decoder, Format, Symbol};
use aim::to_symbol;
use confirm::{quiet_zones_clear, trusted_linear};
use passes::{decode_pass, plan, Bin};
use variants::{make_variant, map_back, pad_thin, variant_pixels, Variant, MIN_SIDE, THIN_SIDE};

#[cfg(test)]
pub(crate) use encode::render_for_tests;
pub use encode::{render_symbol, EncodeError};
pub use passes::Effort;

/// A luma picture with its width and height.
type Image = (Vec<u8>, u32, u32);

pub struct RxingDecoder {
    pub effort: Effort,
    /// Time after which no further pass starts.
    pub budget: Duration,
}

/// Why a decode stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// A pass found something; the passes after it did not run.
    Found,
    /// Every pass of the plan ran and found nothing.
    Exhausted,
    /// The time budget was spent before the plan was: the passes left did not run.
    Budget,
}

/// What one decode found, and why it stopped looking.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub symbols: Vec<Symbol>,
    pub stop: Stop,
}

impl RxingDecoder {
    pub fn new(effort: Effort) -> RxingDecoder {
        RxingDecoder {
            effort,
            budget: passes::budget(effort),
        }
    }

    /// Decodes like [`Decoder::decode`] and says why it stopped (found, every pass tried, or out
    /// of budget). A pass starts only when it would end within the budget at the cost per pixel
    /// of the costliest pass so far (see [`fits_budget`]), so a decode ends within its budget
    /// unless a pass runs far longer than those before it, and at most its budget plus one
    /// pass. Huge images are scaled down first so that no single pass runs long.
    pub fn decode_report(&mut self, frame: &LumaFrame, formats: &[Format]) -> Decoded {
        guard::quiet_panics_in_decoder();
        let formats: Vec<Format> = if formats.is_empty() {
            Format::WAREHOUSE.to_vec()
        } else {
            formats.to_vec()
        };
        let started = Instant::now();
        let packed = frame.packed();
        // Huge pictures are shrunk first; `scale` maps positions back.
        let (mut luma, mut w, mut h, scale) = match shrink_huge(&packed, frame.width, frame.height)
        {
            Some((small, sw, sh, f)) => (Cow::Owned(small), sw, sh, f as f32),
            None => (packed, frame.width, frame.height, 1.0),
        };
        let (mut dx, mut dy) = (0.0, 0.0);
        // An image a few pixels thin has no second scan line to confirm a linear symbol on.
        let single_line = w.min(h) < THIN_SIDE;
        if w < MIN_SIDE || h < MIN_SIDE {
            let (nw, nh) = (w.max(MIN_SIDE), h.max(MIN_SIDE));
            dx = ((nw - w) / 2) as f32;
            dy = ((nh - h) / 2) as f32;
            let (padded, pw, ph) = pad_thin(&luma, w, h);
            (luma, w, h) = (Cow::Owned(padded), pw, ph);
        }
        let passes = plan(self.effort, w, h, &formats);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut stop = Stop::Exhausted;
        let mut made: Option<(Variant, Option<Image>)> = None;
        // Seconds per pixel of the costliest pass so far, making its variant included.
        let mut cost_per_pixel = 0.0f64;
        for p in &passes {
            if !out.is_empty() {
                stop = Stop::Found;
                break;
            }
            let pixels = variant_pixels(p.variant, w, h);
            if !fits_budget(started.elapsed(), cost_per_pixel * pixels, self.budget) {
                stop = Stop::Budget;
                break;
            }
            let pass_started = Instant::now();
            let (img, iw, ih) = if p.variant == Variant::AsIs {
                (&luma[..], w, h)
            } else {
                // Passes over one variant follow each other: it is made once for all of them.
                if made.as_ref().map(|m| m.0) != Some(p.variant) {
                    made = Some((p.variant, make_variant(&luma, w, h, p.variant)));
                }
                let Some((_, Some((data, vw, vh)))) = &made else {
                    continue;
                };
                (data.as_slice(), *vw, *vh)
            };
            let results: Vec<Symbol> = decode_pass(img, iw, ih, &formats, p)
                .iter()
                .filter_map(to_symbol)
                .collect();
            // Linear symbols are trusted only after a second look (see `trusted_linear`) on the
            // same image they were read in; DataBar has strong checks of its own (DataBar
            // Expanded needs stronger evidence still, see `expanded_confirmed`).
            let (linear, other): (Vec<Symbol>, Vec<Symbol>) = results
                .into_iter()
                .partition(|s| s.format.is_linear() && s.format != Format::Rss14);
            // Our row readers confirm on several rows themselves.
            let linear = if linear.is_empty()
                || single_line
                || matches!(p.bin, Bin::Rows | Bin::QuickRows | Bin::DataBar)
            {
                linear
            } else {
                trusted_linear(img, iw, ih, linear, &formats, p.bin)
            };
            // A short symbol read out of part of a longer one has bars in its quiet zone.
            let linear: Vec<Symbol> = linear
                .into_iter()
                .filter(|s| quiet_zones_clear(img, iw, ih, s))
                .collect();
            let (linear, other) = databar_over_short(img, iw, ih, linear, other, &formats);
            cost_per_pixel = cost_per_pixel.max(pass_started.elapsed().as_secs_f64() / pixels);
            for mut s in other.into_iter().chain(linear) {
                for pt in &mut s.position {
                    let o = map_back(p.variant, w, h, *pt);
                    pt.x = (o.x - dx) * scale;
                    pt.y = (o.y - dy) * scale;
                }
                if formats.contains(&s.format) && seen.insert((s.format, s.text.clone())) {
                    out.push(s);
                }
            }
        }
        if !out.is_empty() {
            stop = Stop::Found;
        }
        Decoded { symbols: out, stop }
    }
}

impl Decoder for RxingDecoder {
    fn decode(&mut self, frame: &LumaFrame, formats: &[Format]) -> Vec<Symbol> {
        self.decode_report(frame, formats).symbols
    }
}

/// A UPC-E or EAN-8 read across a GS1 DataBar is a stretch of the DataBar misread (its check
/// digit passes one time in ten): when DataBar is asked for too and our DataBar reader finds one
/// over the same stretch of the picture, the DataBar is the read and the short symbol goes.
fn databar_over_short(
    img: &[u8],
    w: u32,
    h: u32,
    linear: Vec<Symbol>,
    mut other: Vec<Symbol>,
    formats: &[Format],
) -> (Vec<Symbol>, Vec<Symbol>) {
    let short = |s: &Symbol| matches!(s.format, Format::UpcE | Format::Ean8);
    if !formats.contains(&Format::Rss14) || !linear.iter().any(short) {
        return (linear, other);
    }
    let databars: Vec<Symbol> = guard::contained(|| databar::read_omni(img, w, h))
        .iter()
        .filter_map(to_symbol)
        .collect();
    let extent = |s: &Symbol| {
        s.position.iter().fold(
            (f32::MAX, f32::MIN, f32::MAX, f32::MIN),
            |(x0, x1, y0, y1), p| (x0.min(p.x), x1.max(p.x), y0.min(p.y), y1.max(p.y)),
        )
    };
    let mut kept = Vec::new();
    for s in linear {
        let (x0, x1, y0, y1) = extent(&s);
        let under = databars.iter().find(|d| {
            let (dx0, dx1, dy0, dy1) = extent(d);
            let overlap = x1.min(dx1) - x0.max(dx0);
            let margin = (dx1 - dx0) / 10.0;
            overlap > (x1 - x0) / 2.0 && y0 >= dy0 - margin && y1 <= dy1 + margin
        });
        match under {
            Some(d) if short(&s) => {
                if other.iter().all(|o| o.text != d.text) {
                    other.push(d.clone());
                }
            }
            _ => kept.push(s),
        }
    }
    (kept, other)
}

/// Whether a pass expected to take `expected_secs` may start `elapsed` into a decode.
fn fits_budget(elapsed: Duration, expected_secs: f64, budget: Duration) -> bool {
    elapsed.as_secs_f64() + expected_secs <= budget.as_secs_f64()
}

/// Pictures above this many pixels are shrunk before decoding: the costliest pass (a turned,
/// padded copy read with try-harder) then stays a fraction of the still budget. 16 Mpx is more
/// than any handheld or phone camera delivers for a label; a symbol still has 3 or more pixels a
/// module at a third of a 12,000 px picture.
const MAX_PIXELS: u64 = 4096 * 4096;

/// A huge picture shrunk by the smallest whole factor that brings it under [`MAX_PIXELS`]
/// (each output pixel the mean of a factor x factor block), with that factor; `None` when it
/// is small enough already.
fn shrink_huge(luma: &[u8], w: u32, h: u32) -> Option<(Vec<u8>, u32, u32, u32)> {
    let area = u64::from(w) * u64::from(h);
    if area <= MAX_PIXELS {
        return None;
    }
    let f = (1u64..).find(|f| area / (f * f) <= MAX_PIXELS)? as u32;
    let (nw, nh) = (w / f, h / f);
    let mut sums = vec![0u32; nw as usize];
    let mut out = Vec::with_capacity((nw * nh) as usize);
    for by in 0..nh {
        sums.fill(0);
        for y in by * f..(by + 1) * f {
            let row = &luma[y as usize * w as usize..][..(nw * f) as usize];
            for (s, block) in sums.iter_mut().zip(row.chunks_exact(f as usize)) {
                *s += block.iter().map(|&p| u32::from(p)).sum::<u32>();
            }
        }
        out.extend(sums.iter().map(|s| (s / (f * f)) as u8));
    }
    Some((out, nw, nh, f))
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn a_big_blank_still_stops_for_its_budget() {
        // A blank picture has every pass of the plan to run; with a budget of 1 ms the decoder
        // must give up after the first pass and say so.
        let side = 3000u32;
        let white = vec![255u8; (side * side) as usize];
        let mut d = RxingDecoder::new(Effort::Thorough);
        d.budget = Duration::from_millis(1);
        let got = d.decode_report(
            &LumaFrame::new(&white, side, side, side).unwrap(),
            Format::WAREHOUSE,
        );
        assert!(got.symbols.is_empty());
        assert_eq!(got.stop, Stop::Budget);
        // With room to finish, the same picture runs out of passes instead.
        let small = vec![255u8; 100 * 100];
        let mut d = RxingDecoder::new(Effort::Thorough);
        let got = d.decode_report(
            &LumaFrame::new(&small, 100, 100, 100).unwrap(),
            &[Format::QrCode],
        );
        assert_eq!(got.stop, Stop::Exhausted);
    }

    #[test]
    fn a_pass_starts_only_when_it_would_end_within_the_budget() {
        let budget = Duration::from_secs(3);
        // Nothing run yet: nothing known of the cost, the first pass starts.
        assert!(fits_budget(Duration::ZERO, 0.0, budget));
        assert!(fits_budget(Duration::from_millis(2000), 0.9, budget));
        assert!(!fits_budget(Duration::from_millis(2500), 0.9, budget));
        assert!(!fits_budget(Duration::from_millis(3001), 0.0, budget));
        // The estimate scales with the variant's size: padded and turned copies are bigger.
        assert_eq!(variant_pixels(Variant::AsIs, 100, 50), 5000.0);
        assert_eq!(variant_pixels(Variant::Padded, 100, 50), 120.0 * 70.0);
        assert_eq!(
            variant_pixels(Variant::Rotated(10.0), 100, 50),
            120.0 * 70.0
        );
        assert_eq!(variant_pixels(Variant::Scaled(0.5), 100, 50), 1250.0);
        assert_eq!(variant_pixels(Variant::Blocky(3), 100, 50), 45000.0);
        for v in [Variant::Padded, Variant::Scaled(0.5), Variant::Blocky(3)] {
            let (_, vw, vh) = make_variant(&[200u8; 5000], 100, 50, v).unwrap();
            assert_eq!(f64::from(vw * vh), variant_pixels(v, 100, 50), "{v:?}");
        }
    }

    #[test]
    fn huge_pictures_are_shrunk_by_a_whole_factor_block_means() {
        assert!(shrink_huge(&[0; 16], 4, 4).is_none());
        // 4200 x 4100 is just over the cap: halved, each pixel the mean of its 2 x 2 block.
        let (w, h) = (4200u32, 4100u32);
        let luma: Vec<u8> = (0..w * h)
            .map(|i| if (i % w) % 2 == 0 { 0 } else { 200 })
            .collect();
        let (small, sw, sh, f) = shrink_huge(&luma, w, h).expect("over the cap");
        assert_eq!((sw, sh, f), (2100, 2050, 2));
        assert!(small.iter().all(|&p| p == 100));
        assert!(u64::from(sw) * u64::from(sh) <= MAX_PIXELS);
    }

    #[test]
    fn a_symbol_in_a_huge_picture_is_found_where_it_is() {
        let (sym, sw, sh) = render_for_tests("LOT-4711", Format::Code128, 6, 0);
        let (w, h) = (4400u32, 4000u32);
        let (ox, oy) = (3000u32, 2500u32);
        let mut luma = vec![255u8; (w * h) as usize];
        for y in 0..sh {
            let dst = ((oy + y) * w + ox) as usize;
            luma[dst..dst + sw as usize]
                .copy_from_slice(&sym[(y * sw) as usize..((y + 1) * sw) as usize]);
        }
        let mut d = RxingDecoder::new(Effort::Thorough);
        let got = d.decode_report(&LumaFrame::new(&luma, w, h, w).unwrap(), &[Format::Code128]);
        assert_eq!(got.stop, Stop::Found);
        assert_eq!(got.symbols[0].text, "LOT-4711");
        // Positions are in the picture's own pixels, not the shrunk copy's.
        for p in &got.symbols[0].position {
            assert!(
                p.x >= ox as f32 - 8.0 && p.x <= (ox + sw) as f32 + 8.0,
                "{p:?}"
            );
            assert!(
                p.y >= oy as f32 - 8.0 && p.y <= (oy + sh) as f32 + 8.0,
                "{p:?}"
            );
        }
    }
}
