//! Pass planning: which passes to run, cheapest and likeliest first, and how long to keep trying.
//! A pass is a binarizer (rxing's two, or one of our own readers) over a variant of the image.

use rxing::common::BitMatrix;
use rxing::multi::{GenericMultipleBarcodeReader, MultipleBarcodeReader};
use rxing::{
    Binarizer, BinaryBitmap, DecodeHints, Luma8Source, MultiUseMultiFormatReader, RXingResult,
    Reader,
};
use std::time::Duration;

use super::aztec;
use super::aztec_warp;
use super::binarize::{FastHistogram, FastHybrid};
use super::databar;
use super::datamatrix::datamatrix_grid;
use super::formats::hints;
use super::guard::contained;
use super::qr_model1;
use super::rows::{quick_rows, row_scan};
use super::variants::{Variant, SMALL_SIDE, TINY_SIDE};
use crate::scan::symbol::Format;

/// How hard to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// The camera path: one cheap pass (with inverted symbols), so the preview keeps its rate.
    Fast,
    /// Still images and "the frame looked promising": every pass until something is found.
    Thorough,
}

/// Time after which no further pass starts.
pub(super) fn budget(effort: Effort) -> Duration {
    match effort {
        Effort::Fast => Duration::from_millis(40),
        Effort::Thorough => Duration::from_millis(3000),
    }
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Bin {
    Hybrid,
    Histogram,
    /// Our own row scan for linear symbols (see [`super::rows`]).
    Rows,
    /// Our quick look along a few rows for an easy linear symbol (see
    /// [`super::rows::quick_rows`]).
    QuickRows,
    /// Our own grid sampler for a DataMatrix that fills the picture (see [`super::datamatrix`]).
    Grid,
    /// Our own DataBar Expanded reader, for the symbols rxing's misreads the data of (see
    /// [`super::databar`]).
    DataBar,
    /// What rxing's Aztec reader leaves out: runes and reader-initialisation symbols.
    Aztec,
    /// An Aztec symbol in a photo, sampled through the perspective of its bullseye (see
    /// [`super::aztec_warp`]).
    AztecWarp,
    /// A QR Code Model 1, whose blocks rxing's decoder interleaves wrongly (see
    /// [`super::qr_model1`]).
    QrModel1,
}

pub(super) struct Pass {
    /// The first symbol rxing finds, without its multi-symbol reader looking around it.
    pub single: bool,
    pub try_harder: bool,
    pub inverted: bool,
    pub bin: Bin,
    pub variant: Variant,
}

/// The passes for a `w` x `h` image (already padded to at least `MIN_SIDE`), in the order they
/// are tried; decoding stops at the first that finds something.
pub(super) fn plan(effort: Effort, w: u32, h: u32, formats: &[Format]) -> Vec<Pass> {
    let hard = |bin, variant| Pass {
        single: false,
        try_harder: true,
        inverted: true,
        bin,
        variant,
    };
    // A still (thorough) starts with the quick passes: easy images must not pay for the hard
    // ones. Our few-row look for a linear symbol, then rxing's hybrid binarizer with its
    // single-symbol reader: the multi-symbol reader crops and reads again around everything it
    // finds, which costs more than the read itself. A still therefore gives the first symbol
    // found where one is easy to find; the camera (fast) keeps the multi-symbol pass.
    let quick = effort == Effort::Thorough;
    let mut passes = Vec::new();
    if quick && formats.iter().any(|f| f.is_linear()) {
        passes.push(Pass {
            single: true,
            try_harder: false,
            inverted: false,
            bin: Bin::QuickRows,
            variant: Variant::AsIs,
        });
    }
    // For DataMatrix, PDF417 and Aztec, rxing's global-histogram binarizer first: one threshold
    // for the whole picture is the cheapest look, and enough for a printed label (measured:
    // DataMatrix samples 0.21 -> 0.14 ms median, PDF417 1.1 -> 0.9). Not for QR codes, most of
    // them photos in uneven light where it fails and only adds a pass (0.36 -> 0.45 ms).
    if quick
        && formats
            .iter()
            .all(|f| !f.is_linear() && *f != Format::QrCode)
    {
        passes.push(Pass {
            single: true,
            try_harder: false,
            inverted: false,
            bin: Bin::Histogram,
            variant: Variant::AsIs,
        });
    }
    passes.push(Pass {
        single: quick,
        try_harder: false,
        inverted: true,
        bin: Bin::Hybrid,
        variant: Variant::AsIs,
    });
    // Aztec alone (or with other 2D formats): our readers for what rxing's leaves out (runes,
    // reader-initialisation symbols, photos) come next. On the samples no Aztec symbol the
    // quick passes miss was read by rxing's try-harder passes; rune-68 took 0.28 ms behind them.
    let aztec_early =
        quick && formats.contains(&Format::Aztec) && formats.iter().all(|f| !f.is_linear());
    if aztec_early {
        passes.push(hard(Bin::Aztec, Variant::AsIs));
        passes.push(hard(Bin::AztecWarp, Variant::AsIs));
    }
    if effort == Effort::Thorough {
        // Cheapest and likeliest first; each variant with both binarizers.
        let mut variants = vec![Variant::AsIs, Variant::Padded];
        if w.min(h) < TINY_SIDE {
            variants.push(Variant::Blocky(TINY_SIDE * 3 / w.min(h)));
        }
        if w.min(h) < SMALL_SIDE {
            variants.push(Variant::Scaled(1.5));
        }
        variants.push(Variant::Scaled(0.5));
        variants.extend([Variant::Stretched, Variant::Blurred, Variant::Scaled(0.75)]);
        if w.min(h) < SMALL_SIDE {
            variants.push(Variant::Scaled(2.0));
        }
        variants.extend([
            Variant::Rotated(10.0),
            Variant::Rotated(-10.0),
            Variant::Rotated(20.0),
            Variant::Rotated(-20.0),
        ]);

        for v in variants {
            passes.push(hard(Bin::Hybrid, v));
            passes.push(hard(Bin::Histogram, v));
            if formats.iter().any(|f| f.is_linear())
                && matches!(
                    v,
                    Variant::AsIs | Variant::Rotated(_) | Variant::Blurred | Variant::Scaled(_)
                )
            {
                passes.push(hard(Bin::Rows, v));
            }
            // After rxing's own looks at the picture as it is: a symbol rxing reads keeps
            // rxing's reading (old encoders put a latch after an FNC1 that only rxing expects).
            if formats
                .iter()
                .any(|f| matches!(f, Format::Rss14 | Format::RssExpanded))
                && v == Variant::AsIs
            {
                passes.push(hard(Bin::DataBar, v));
            }
            // After rxing's own looks at the picture as it is, so a Model 2 symbol never pays for
            // it: the old QR Code Model 1.
            if formats.contains(&Format::QrCode) && v == Variant::AsIs {
                passes.push(hard(Bin::QrModel1, v));
            }
            let aztec_done = aztec_early && v == Variant::AsIs;
            if formats.contains(&Format::Aztec)
                && !aztec_done
                && matches!(v, Variant::AsIs | Variant::Padded | Variant::Blocky(_))
            {
                passes.push(hard(Bin::Aztec, v));
                passes.push(hard(Bin::AztecWarp, v));
            }
        }
        passes.push(hard(Bin::Grid, Variant::AsIs));
    }
    passes
}

fn run<B: Binarizer>(bin: B, hints: &DecodeHints, single: bool) -> Vec<RXingResult> {
    if single {
        return MultiUseMultiFormatReader::default()
            .decode_with_hints(&mut BinaryBitmap::new(bin), hints)
            .map(|r| vec![r])
            .unwrap_or_default();
    }
    let mut reader = GenericMultipleBarcodeReader::new(MultiUseMultiFormatReader::default());
    reader
        .decode_multiple_with_hints(&mut BinaryBitmap::new(bin), hints)
        .unwrap_or_default()
}

pub(super) fn decode_pass(
    luma: &[u8],
    w: u32,
    h: u32,
    formats: &[Format],
    p: &Pass,
) -> Vec<RXingResult> {
    let hints = hints(formats, p.try_harder, p.inverted);
    let Ok(source) = Luma8Source::new_with_slice(luma, w, h) else {
        return vec![];
    };
    contained(|| match p.bin {
        Bin::Hybrid => run(FastHybrid::new(source), &hints, p.single),
        Bin::Histogram => run(FastHistogram::new(source), &hints, p.single),
        Bin::Rows => row_scan(luma, w, h, formats),
        Bin::QuickRows => quick_rows(luma, w, h, formats),
        Bin::Grid if formats.contains(&Format::DataMatrix) => datamatrix_grid(luma, w, h),
        Bin::Grid => vec![],
        Bin::DataBar => {
            let mut found = vec![];
            if formats.contains(&Format::Rss14) {
                found = databar::read_omni(luma, w, h);
                if found.is_empty() {
                    found = databar::read_limited(luma, w, h);
                }
            }
            if found.is_empty() && formats.contains(&Format::RssExpanded) {
                found = databar::read(luma, w, h);
            }
            found
        }
        // Our readers of rxing's hybrid matrix, each for one format.
        Bin::Aztec | Bin::AztecWarp | Bin::QrModel1 => {
            let (format, read): (Format, fn(&BitMatrix) -> Vec<RXingResult>) = match p.bin {
                Bin::Aztec => (Format::Aztec, aztec::read),
                Bin::AztecWarp => (Format::Aztec, aztec_warp::read),
                _ => (Format::QrCode, qr_model1::read),
            };
            if !formats.contains(&format) {
                return vec![];
            }
            read(BinaryBitmap::new(FastHybrid::new(source)).get_black_matrix())
        }
    })
}
