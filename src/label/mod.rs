//! Labels: templates (item/lot, case, SSCC pallet, location) as data, one layout engine, and
//! three outputs drawn from the same layout: ZPL II for Zebra-compatible printers, PNG and PDF
//! for any other. Printers are reached over raw TCP (port 9100); print jobs are kept by the
//! ledger, so a job for a printer that is off is not lost.
//!
//! Imports no UI and holds no SQL: the ledger stores printers, jobs and SSCC counters
//! (`ledger::labels`); this module decides what is printed and sends it. A label is refused,
//! before anything is drawn or queued, when its data breaks GS1's rules (checked by
//! `scan::gs1`, the same parser that reads it back) or it does not fit its size.

pub mod data;
pub mod jobs;
pub mod layout;
pub mod pdf;
pub mod print;
pub mod printer;
pub mod raster;
pub mod sscc;
pub(crate) mod symbols;
pub mod zpl;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use data::{
    Count, EnrollmentData, ItemData, LabelData, LocationData, PalletContents, SsccData,
};
pub use layout::{layout, Layout};
pub use printer::{PrintError, PrinterAddress};
pub use sscc::{Sscc, SsccAllocator};
pub use symbols::{Bars, Cells};

/// Why a label was not made. Nothing was drawn, printed or queued.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// GS1 data the GS1 parser refuses (length, character set, check digit, date, ...).
    #[error("{data} is not valid GS1 data: {reason}")]
    Gs1 { data: String, reason: String },
    /// A date GS1 cannot write as YYMMDD within its century window.
    #[error("{what} {date} cannot be printed: {reason}")]
    Date {
        what: &'static str,
        date: chrono::NaiveDate,
        reason: String,
    },
    #[error("{what} '{value}': {reason}")]
    Invalid {
        what: &'static str,
        value: String,
        reason: String,
    },
    /// The template cannot hold this data at this size.
    #[error("the {template} label does not fit {size}: {reason}")]
    DoesNotFit {
        template: &'static str,
        size: LabelSize,
        reason: String,
    },
    #[error("cannot encode {symbol} for {data}: {reason}")]
    Encode {
        symbol: String,
        data: String,
        reason: String,
    },
    #[error("cannot write the {format}: {reason}")]
    Output {
        format: &'static str,
        reason: String,
    },
}

impl LabelError {
    pub fn invalid(what: &'static str, value: &str, reason: impl Into<String>) -> LabelError {
        LabelError::Invalid {
            what,
            value: value.to_string(),
            reason: reason.into(),
        }
    }
}

/// A printer's resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dpi {
    #[serde(rename = "203")]
    D203,
    #[serde(rename = "300")]
    D300,
}

impl Dpi {
    pub const ALL: [Dpi; 2] = [Dpi::D203, Dpi::D300];

    pub fn value(self) -> u32 {
        match self {
            Dpi::D203 => 203,
            Dpi::D300 => 300,
        }
    }

    /// Dots a millimetre (about 8 and 12, as Zebra rounds them).
    pub fn dots_per_mm(self) -> f32 {
        self.value() as f32 / 25.4
    }
}

impl fmt::Display for Dpi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value())
    }
}

impl FromStr for Dpi {
    type Err = String;
    fn from_str(s: &str) -> Result<Dpi, String> {
        match s {
            "203" => Ok(Dpi::D203),
            "300" => Ok(Dpi::D300),
            _ => Err(format!("'{s}' is not a printer resolution: 203 or 300")),
        }
    }
}

/// A label size in inches, width by height.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LabelSize {
    #[serde(rename = "2x1")]
    L2x1,
    #[serde(rename = "4x2")]
    L4x2,
    #[serde(rename = "4x6")]
    L4x6,
}

impl LabelSize {
    pub const ALL: [LabelSize; 3] = [LabelSize::L2x1, LabelSize::L4x2, LabelSize::L4x6];

    pub fn inches(self) -> (u32, u32) {
        match self {
            LabelSize::L2x1 => (2, 1),
            LabelSize::L4x2 => (4, 2),
            LabelSize::L4x6 => (4, 6),
        }
    }

    /// Width and height in dots: a 4 in wide label is 812 dots at 203 dpi and 1200 at 300, the
    /// print width (`^PW`) Zebra's own drivers set.
    pub fn dots(self, dpi: Dpi) -> (u32, u32) {
        let (w, h) = self.inches();
        (w * dpi.value(), h * dpi.value())
    }
}

impl fmt::Display for LabelSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, h) = self.inches();
        write!(f, "{w}x{h} in")
    }
}

impl FromStr for LabelSize {
    type Err = String;
    fn from_str(s: &str) -> Result<LabelSize, String> {
        match s.trim_end_matches(" in") {
            "2x1" => Ok(LabelSize::L2x1),
            "4x2" => Ok(LabelSize::L4x2),
            "4x6" => Ok(LabelSize::L4x6),
            _ => Err(format!("'{s}' is not a label size: 2x1, 4x2 or 4x6")),
        }
    }
}

/// What a label is drawn as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Output {
    Zpl,
    Png,
    Pdf,
}

impl Output {
    pub fn name(self) -> &'static str {
        match self {
            Output::Zpl => "zpl",
            Output::Png => "png",
            Output::Pdf => "pdf",
        }
    }
}

impl FromStr for Output {
    type Err = String;
    fn from_str(s: &str) -> Result<Output, String> {
        match s {
            "zpl" => Ok(Output::Zpl),
            "png" => Ok(Output::Png),
            "pdf" => Ok(Output::Pdf),
            _ => Err(format!("'{s}' is not a label format: zpl, png or pdf")),
        }
    }
}

/// Lays out `data` and draws it: the bytes a printer or a file gets. `copies` repeats the label
/// (ZPL: `^PQ`; PDF: one page each; PNG: one image, copies are the printer's business).
pub fn render(
    data: &LabelData,
    size: LabelSize,
    dpi: Dpi,
    output: Output,
    copies: u32,
) -> Result<Vec<u8>, LabelError> {
    let l = layout(data, size, dpi)?;
    match output {
        Output::Zpl => Ok(zpl::zpl(&l, copies).into_bytes()),
        Output::Png => raster::png(&l),
        Output::Pdf => pdf::pdf(&l, copies),
    }
}
