//! What a decoder finds: symbols with their format, payload, AIM identifier and position, and the
//! [`Decoder`] trait that finds them in a [`LumaFrame`].

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

use super::frame::LumaFrame;

/// The symbologies lotkeeper reads. Names are rxing's `BarcodeFormat` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Format {
    #[serde(rename = "QR_CODE")]
    QrCode,
    #[serde(rename = "DATA_MATRIX")]
    DataMatrix,
    #[serde(rename = "CODE_128")]
    Code128,
    #[serde(rename = "EAN_13")]
    Ean13,
    #[serde(rename = "EAN_8")]
    Ean8,
    #[serde(rename = "UPC_A")]
    UpcA,
    #[serde(rename = "UPC_E")]
    UpcE,
    #[serde(rename = "ITF")]
    Itf,
    #[serde(rename = "CODE_39")]
    Code39,
    #[serde(rename = "PDF_417")]
    Pdf417,
    #[serde(rename = "AZTEC")]
    Aztec,
    /// GS1 DataBar carrying a GTIN alone: omnidirectional, truncated, stacked and Limited.
    #[serde(rename = "RSS_14")]
    Rss14,
    #[serde(rename = "RSS_EXPANDED")]
    RssExpanded,
}

impl Format {
    /// Every format, the warehouse set first.
    pub const ALL: [Format; 13] = [
        Format::QrCode,
        Format::DataMatrix,
        Format::Code128,
        Format::Ean13,
        Format::Ean8,
        Format::UpcA,
        Format::UpcE,
        Format::Itf,
        Format::Code39,
        Format::Pdf417,
        Format::Rss14,
        Format::RssExpanded,
        Format::Aztec,
    ];

    /// What a warehouse meets on labels: everything but Aztec (tickets and boarding passes).
    pub const WAREHOUSE: &'static [Format] = Format::ALL.split_at(12).0;

    pub fn name(self) -> &'static str {
        match self {
            Format::QrCode => "QR_CODE",
            Format::DataMatrix => "DATA_MATRIX",
            Format::Code128 => "CODE_128",
            Format::Ean13 => "EAN_13",
            Format::Ean8 => "EAN_8",
            Format::UpcA => "UPC_A",
            Format::UpcE => "UPC_E",
            Format::Itf => "ITF",
            Format::Code39 => "CODE_39",
            Format::Pdf417 => "PDF_417",
            Format::Aztec => "AZTEC",
            Format::Rss14 => "RSS_14",
            Format::RssExpanded => "RSS_EXPANDED",
        }
    }

    /// Linear symbols: a camera must see one identically twice before it counts.
    pub fn is_linear(self) -> bool {
        !matches!(
            self,
            Format::QrCode | Format::DataMatrix | Format::Pdf417 | Format::Aztec
        )
    }

    /// Parses a comma-separated list of format names, case-insensitively.
    pub fn parse_list(list: &str) -> Result<Vec<Format>, UnknownFormat> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }
}

/// A format name lotkeeper does not know; the message lists the ones it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format '{name}'; use {known}", known = Format::ALL.map(Format::name).join(", "))]
pub struct UnknownFormat {
    pub name: String,
}

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, UnknownFormat> {
        let up = s.trim().to_ascii_uppercase();
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == up)
            .ok_or_else(|| UnknownFormat {
                name: s.to_string(),
            })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A point in frame coordinates (pixels).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// One decoded symbol.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Symbol {
    pub format: Format,
    /// The payload as decoded, FNC1 as ASCII 29, without the symbology identifier.
    pub text: String,
    /// Raw codewords where the symbology has them (2D symbols), else empty.
    #[serde(skip)]
    pub raw: Vec<u8>,
    /// AIM symbology identifier (`]d2`, `]C1`, `]Q3`, `]E0`, ...).
    pub symbology_id: Option<String>,
    /// Corners or end points of the symbol in the frame.
    pub position: Vec<Point>,
}

impl Symbol {
    /// The data as a scanner with AIM identifiers on would transmit it.
    pub fn transmitted(&self) -> String {
        format!(
            "{}{}",
            self.symbology_id.as_deref().unwrap_or(""),
            self.text
        )
    }
}

/// Finds symbols in luma frames. Only the `scan::rxing` folder knows which library does it.
pub trait Decoder: Send {
    /// Every symbol of the given formats in the frame; never panics, never runs unbounded.
    fn decode(&mut self, frame: &LumaFrame, formats: &[Format]) -> Vec<Symbol>;
}
