//! What a decoder finds: symbols with their format, payload, AIM identifier and position.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

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
    pub fn parse_list(list: &str) -> Result<Vec<Format>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect()
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let up = s.trim().to_ascii_uppercase();
        Format::ALL
            .iter()
            .copied()
            .find(|f| f.name() == up)
            .ok_or_else(|| {
                format!(
                    "unknown format '{s}'; use {}",
                    Format::ALL.map(Format::name).join(", ")
                )
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

/// An 8-bit luma image. `stride` is the distance in bytes between rows (>= width).
#[derive(Debug, Clone, Copy)]
pub struct LumaFrame<'a> {
    pub data: &'a [u8],
    pub width: u32,
    pub height: u32,
    pub stride: u32,
}

impl<'a> LumaFrame<'a> {
    pub fn new(data: &'a [u8], width: u32, height: u32, stride: u32) -> Option<LumaFrame<'a>> {
        let needed = (stride as usize)
            .checked_mul(height.saturating_sub(1) as usize)?
            .checked_add(width as usize)?;
        (width > 0 && height > 0 && stride >= width && data.len() >= needed).then_some(LumaFrame {
            data,
            width,
            height,
            stride,
        })
    }

    /// The pixels as one tightly packed buffer (copied only when the stride has padding).
    pub fn packed(&self) -> std::borrow::Cow<'a, [u8]> {
        let (w, h, s) = (
            self.width as usize,
            self.height as usize,
            self.stride as usize,
        );
        if s == w {
            std::borrow::Cow::Borrowed(&self.data[..w * h])
        } else {
            let mut out = Vec::with_capacity(w * h);
            for row in 0..h {
                out.extend_from_slice(&self.data[row * s..row * s + w]);
            }
            std::borrow::Cow::Owned(out)
        }
    }

    /// A sub-rectangle (the viewfinder region), clamped to the frame.
    pub fn crop(&self, x: u32, y: u32, w: u32, h: u32) -> LumaFrame<'a> {
        let x = x.min(self.width - 1);
        let y = y.min(self.height - 1);
        let w = w.min(self.width - x).max(1);
        let h = h.min(self.height - y).max(1);
        let start = (y * self.stride + x) as usize;
        LumaFrame {
            data: &self.data[start..],
            width: w,
            height: h,
            stride: self.stride,
        }
    }
}

/// Finds symbols in luma frames. Only `scan::rxing_decoder` knows which library does it.
pub trait Decoder: Send {
    /// Every symbol of the given formats in the frame; never panics, never runs unbounded.
    fn decode(&mut self, frame: &LumaFrame, formats: &[Format]) -> Vec<Symbol>;
}
