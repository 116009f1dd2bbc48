//! Symbols as modules: GS1-128 and Code 128 bars, GS1 DataMatrix cells, drawn by rxing's
//! encoders. The one file outside `scan::rxing` that names rxing: the encoders need GS1 hints
//! (FNC1 first, FNC1 as separator) that scan's `render_symbol` does not take.

use rxing::{BarcodeFormat, EncodeHints, MultiFormatWriter, Writer};

use super::data::Gs1Data;
use super::LabelError;
use crate::scan::gs1::GS;

/// rxing's Code 128 writer reads this character as FNC1.
const FNC1_128: char = '\u{f1}';

/// A linear symbol: one flag per module, dark or light, without quiet zones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bars(pub Vec<bool>);

/// A matrix symbol: `w` x `h` cells, row by row, without quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cells {
    pub w: u32,
    pub h: u32,
    pub dark: Vec<bool>,
}

impl Cells {
    pub fn get(&self, x: u32, y: u32) -> bool {
        self.dark[(y * self.w + x) as usize]
    }

    /// The dark cells as horizontal runs, row by row: (x, y, length), for outputs that draw
    /// boxes (PDF rectangles, ZPL graphic boxes).
    pub fn dark_runs(&self) -> Vec<(u32, u32, u32)> {
        let mut runs = Vec::new();
        for y in 0..self.h {
            let mut x = 0;
            while x < self.w {
                let run = (x..self.w).take_while(|i| self.get(*i, y)).count() as u32;
                if run > 0 {
                    runs.push((x, y, run));
                }
                x += run.max(1);
            }
        }
        runs
    }
}

fn failed(what: &str, data: &str, e: impl std::fmt::Display) -> LabelError {
    LabelError::Encode {
        symbol: what.to_string(),
        data: data.to_string(),
        reason: e.to_string(),
    }
}

/// GS1-128: FNC1 first, FNC1 after each variable-length value but the last.
pub fn gs1_128(data: &Gs1Data) -> Result<Bars, LabelError> {
    let contents = format!(
        "{FNC1_128}{}",
        data.element_string().replace(GS, &FNC1_128.to_string())
    );
    linear(&contents).map_err(|e| failed("GS1-128", &data.hri(), e))
}

/// Plain Code 128 (a location code).
pub fn code_128(text: &str) -> Result<Bars, LabelError> {
    linear(text).map_err(|e| failed("Code 128", text, e))
}

fn linear(contents: &str) -> Result<Bars, rxing::Exceptions> {
    let m = MultiFormatWriter.encode_with_hints(
        contents,
        &BarcodeFormat::CODE_128,
        0,
        0,
        &EncodeHints::default(),
    )?;
    // The writer adds a quiet zone of its own; the layout draws its own, so it is trimmed here.
    let row: Vec<bool> = (0..m.getWidth()).map(|x| m.get(x, 0)).collect();
    let first = row.iter().position(|b| *b).unwrap_or(0);
    let last = row.iter().rposition(|b| *b).map_or(0, |i| i + 1);
    Ok(Bars(row[first..last].to_vec()))
}

/// A QR code (error correction M) of `text`, without quiet zone.
pub fn qr(text: &str) -> Result<Cells, LabelError> {
    let hints = EncodeHints {
        ErrorCorrection: Some("M".into()),
        Margin: Some("0".into()),
        ..Default::default()
    };
    let m = MultiFormatWriter
        .encode_with_hints(text, &BarcodeFormat::QR_CODE, 0, 0, &hints)
        .map_err(|e| failed("QR code", text, e))?;
    Ok(cells(&m))
}

fn cells(m: &rxing::common::BitMatrix) -> Cells {
    let (w, h) = (m.getWidth(), m.getHeight());
    let dark = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| m.get(x, y))
        .collect();
    Cells { w, h, dark }
}

/// GS1 DataMatrix (ECC 200): FNC1 first and as the separator.
pub fn gs1_datamatrix(data: &Gs1Data) -> Result<Cells, LabelError> {
    let contents = format!("{GS}{}", data.element_string());
    let hints = EncodeHints {
        Gs1Format: Some(true),
        DataMatrixCompact: Some(true),
        // Square, as ZPL's ^BX draws by default: the printer and the PNG draw the same size.
        DataMatrixShape: Some(rxing::datamatrix::encoder::SymbolShapeHint::FORCE_SQUARE),
        ..Default::default()
    };
    let m = MultiFormatWriter
        .encode_with_hints(&contents, &BarcodeFormat::DATA_MATRIX, 0, 0, &hints)
        .map_err(|e| failed("GS1 DataMatrix", &data.hri(), e))?;
    Ok(cells(&m))
}
