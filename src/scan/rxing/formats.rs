//! Our formats as rxing's `BarcodeFormat`s, and the hints every pass gives rxing's readers.

use rxing::{BarcodeFormat, DecodeHints};

use crate::scan::symbol::Format;

pub(super) fn to_rxing(f: Format) -> BarcodeFormat {
    match f {
        Format::QrCode => BarcodeFormat::QR_CODE,
        Format::DataMatrix => BarcodeFormat::DATA_MATRIX,
        Format::Code128 => BarcodeFormat::CODE_128,
        Format::Ean13 => BarcodeFormat::EAN_13,
        Format::Ean8 => BarcodeFormat::EAN_8,
        Format::UpcA => BarcodeFormat::UPC_A,
        Format::UpcE => BarcodeFormat::UPC_E,
        Format::Itf => BarcodeFormat::ITF,
        Format::Code39 => BarcodeFormat::CODE_39,
        Format::Pdf417 => BarcodeFormat::PDF_417,
        Format::Aztec => BarcodeFormat::AZTEC,
        Format::Rss14 => BarcodeFormat::RSS_14,
        Format::RssExpanded => BarcodeFormat::RSS_EXPANDED,
    }
}

pub(super) fn from_rxing(f: &BarcodeFormat) -> Option<Format> {
    Format::ALL.iter().copied().find(|x| to_rxing(*x) == *f)
}

pub(super) fn hints(formats: &[Format], try_harder: bool, inverted: bool) -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some(formats.iter().map(|f| to_rxing(*f)).collect()),
        TryHarder: Some(try_harder),
        AlsoInverted: Some(inverted),
        // GS1-128: keep FNC1 (as ]C1 and ASCII 29) instead of dropping it.
        AssumeGs1: Some(true),
        ..Default::default()
    }
}
