//! The [`Decoder`] over rxing: the only folder that knows rxing.
//!
//! Decoding is staged, cheap first (`passes.rs`): one pass with the hybrid binarizer restricted to
//! the expected formats; only when it finds nothing (and effort allows) try-harder with inverted
//! images, the global-histogram binarizer, transformed copies (`variants.rs`), our own row scan
//! for linear symbols in photos (`rows.rs`), grid sampler for a DataMatrix filling the picture
//! (`grid.rs`, `datamatrix.rs`) and Aztec extras (`aztec.rs`, `bullseye.rs`). Every pass runs
//! under the panic guard (`guard.rs`: rxing panics on some inputs) and the passes stop when the
//! time budget is spent. Linear reads are confirmed (`confirm.rs`), results become AIM output
//! (`aim.rs`). `encode.rs` draws symbols for the demo camera and tests.

mod aim;
mod aztec;
mod bullseye;
mod confirm;
mod datamatrix;
mod encode;
mod formats;
mod grid;
mod guard;
mod passes;
mod rows;
#[cfg(test)]
mod tests;
mod variants;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use crate::scan::frame::LumaFrame;
use crate::scan::symbol::{Decoder, Format, Symbol};
use aim::to_symbol;
use confirm::trusted_linear;
use passes::{decode_pass, plan, Bin};
use variants::{make_variant, map_back, pad_thin, Variant, MIN_SIDE, THIN_SIDE};

#[cfg(test)]
pub(crate) use encode::render_for_tests;
pub use encode::{render_symbol, EncodeError};
pub use passes::Effort;

pub struct RxingDecoder {
    pub effort: Effort,
    /// Time after which no further pass starts.
    pub budget: Duration,
}

impl RxingDecoder {
    pub fn new(effort: Effort) -> RxingDecoder {
        RxingDecoder {
            effort,
            budget: passes::budget(effort),
        }
    }
}

impl Decoder for RxingDecoder {
    fn decode(&mut self, frame: &LumaFrame, formats: &[Format]) -> Vec<Symbol> {
        guard::quiet_panics_in_decoder();
        let formats: Vec<Format> = if formats.is_empty() {
            Format::WAREHOUSE.to_vec()
        } else {
            formats.to_vec()
        };
        let started = Instant::now();
        let packed = frame.packed();
        let (mut luma, mut w, mut h) = (packed.into_owned(), frame.width, frame.height);
        let (mut dx, mut dy) = (0.0, 0.0);
        // An image a few pixels thin has no second scan line to confirm a linear symbol on.
        let single_line = w.min(h) < THIN_SIDE;
        if w < MIN_SIDE || h < MIN_SIDE {
            let (nw, nh) = (w.max(MIN_SIDE), h.max(MIN_SIDE));
            dx = ((nw - w) / 2) as f32;
            dy = ((nh - h) / 2) as f32;
            (luma, w, h) = pad_thin(&luma, w, h);
        }
        let passes = plan(self.effort, w, h, &formats);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for p in &passes {
            if !out.is_empty() || started.elapsed() > self.budget {
                break;
            }
            let transformed;
            let (img, iw, ih) = if p.variant == Variant::AsIs {
                (luma.as_slice(), w, h)
            } else {
                let Some(t) = make_variant(&luma, w, h, p.variant) else {
                    continue;
                };
                transformed = t;
                (transformed.0.as_slice(), transformed.1, transformed.2)
            };
            let results: Vec<Symbol> = decode_pass(img, iw, ih, &formats, p)
                .iter()
                .filter_map(to_symbol)
                .collect();
            // Linear symbols are trusted only after a second look (see `trusted_linear`) on the
            // same image they were read in; DataBar has strong checks of its own, and stacked
            // rows no strip can hold.
            let (linear, other): (Vec<Symbol>, Vec<Symbol>) = results.into_iter().partition(|s| {
                s.format.is_linear() && !matches!(s.format, Format::Rss14 | Format::RssExpanded)
            });
            // A row scan confirms on two rows itself.
            let linear = if linear.is_empty() || single_line || p.bin == Bin::Rows {
                linear
            } else {
                trusted_linear(img, iw, ih, linear, &formats, p.bin)
            };
            for mut s in other.into_iter().chain(linear) {
                for pt in &mut s.position {
                    let o = map_back(p.variant, w, h, *pt);
                    pt.x = o.x - dx;
                    pt.y = o.y - dy;
                }
                if formats.contains(&s.format) && seen.insert((s.format, s.text.clone())) {
                    out.push(s);
                }
            }
        }
        out
    }
}
