//! Scans that built-in scanners deliver as Android broadcast intents: Zebra DataWedge
//! (`com.symbol.datawedge.decode_data` bytes + `label_type`) and Honeywell (`dataBytes` + `aimId`).
//! Unlike the keyboard wedge, the bytes arrive intact (ASCII 29 included), so nothing needs
//! un-substituting. Pure mapping: the Java side hands the extras over as they came.

use super::event::{ScanEvent, ScanSource};
use super::gs1::split_aim;
use super::symbol::Format;

/// A DataWedge `label_type` (e.g. `LABEL-TYPE-GS1-DATAMATRIX`): its format and AIM identifier.
pub fn datawedge_label(label: &str) -> Option<(Format, &'static str)> {
    let l = label.trim().trim_start_matches("LABEL-TYPE-");
    Some(match l {
        "EAN13" => (Format::Ean13, "]E0"),
        "EAN8" => (Format::Ean8, "]E4"),
        "UPCA" => (Format::UpcA, "]E0"),
        "UPCE0" | "UPCE1" => (Format::UpcE, "]E0"),
        "CODE128" => (Format::Code128, "]C0"),
        "EAN128" | "GS1-128" => (Format::Code128, "]C1"),
        "DATAMATRIX" => (Format::DataMatrix, "]d1"),
        "GS1-DATAMATRIX" => (Format::DataMatrix, "]d2"),
        "QRCODE" => (Format::QrCode, "]Q1"),
        "GS1-QRCODE" => (Format::QrCode, "]Q3"),
        "PDF417" => (Format::Pdf417, "]L2"),
        "I2OF5" | "ITF14" => (Format::Itf, "]I0"),
        "CODE39" => (Format::Code39, "]A0"),
        "GS1-DATABAR" | "RSS14" => (Format::Rss14, "]e0"),
        "GS1-DATABAR-EXP" | "RSSEXP" => (Format::RssExpanded, "]e0"),
        "AZTEC" => (Format::Aztec, "]z0"),
        _ => return None,
    })
}

/// The format an AIM identifier names (`]d2` → DataMatrix), where it names one of ours.
fn format_of_aim(aim: &str) -> Option<Format> {
    let mut c = aim.chars().skip(1);
    Some(match c.next()? {
        'd' => Format::DataMatrix,
        'Q' => Format::QrCode,
        'C' => Format::Code128,
        'E' => Format::Ean13,
        'I' => Format::Itf,
        'A' => Format::Code39,
        'L' => Format::Pdf417,
        'e' => Format::RssExpanded,
        'z' => Format::Aztec,
        _ => return None,
    })
}

/// One intent scan as a scan event. `label` is DataWedge's label type, `aim` Honeywell's AIM
/// identifier; either may be missing. An AIM identifier the scanner put in front of the data
/// itself (a DataWedge option) is split off and wins.
pub fn scan_from_intent(data: &[u8], label: Option<&str>, aim: Option<&str>) -> ScanEvent {
    // Barcodes carry bytes; GS1 and warehouse data are ASCII. Other bytes are kept as Latin-1
    // (what ISO/IEC 15424 scanners transmit by default), never dropped.
    let text: String = match std::str::from_utf8(data) {
        Ok(s) => s.to_string(),
        Err(_) => data.iter().map(|&b| b as char).collect(),
    };
    let text = text.trim_end_matches(['\r', '\n']);
    let (inline_aim, payload) = split_aim(text);
    let from_label = label.and_then(datawedge_label);
    let aim = inline_aim
        .map(String::from)
        .or_else(|| {
            aim.filter(|a| a.starts_with(']') && a.len() == 3)
                .map(String::from)
        })
        .or_else(|| from_label.map(|(_, a)| a.to_string()));
    let format = from_label
        .map(|(f, _)| f)
        .or_else(|| aim.as_deref().and_then(format_of_aim));
    // Intents report UPC-A as its 12 digits beside the label or AIM id; under ]E0 a scanner
    // transmits it as 13 (a leading 0), which is what the GS1 parser holds ]E0 to.
    let upc_a = inline_aim.is_none()
        && aim.as_deref() == Some("]E0")
        && payload.len() == 12
        && payload.bytes().all(|b| b.is_ascii_digit());
    let payload = if upc_a {
        format!("0{payload}")
    } else {
        payload.to_string()
    };
    ScanEvent {
        text: payload,
        symbology_id: aim,
        format,
        source: ScanSource::Intent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datawedge_gs1_datamatrix_keeps_its_group_separators() {
        let data = b"0109506000134352172612311012345\x1d21SN9";
        let e = scan_from_intent(data, Some("LABEL-TYPE-GS1-DATAMATRIX"), None);
        assert_eq!(e.text, "0109506000134352172612311012345\u{1d}21SN9");
        assert_eq!(e.symbology_id.as_deref(), Some("]d2"));
        assert_eq!(e.format, Some(Format::DataMatrix));
        assert_eq!(e.source, ScanSource::Intent);
        let parsed = crate::scan::gs1::parse(&e.transmitted());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    }

    #[test]
    fn honeywell_aim_id_and_an_inline_aim_prefix() {
        let e = scan_from_intent(b"0109506000134352\x1d10ABC", None, Some("]C1"));
        assert_eq!(
            (e.symbology_id.as_deref(), e.format),
            (Some("]C1"), Some(Format::Code128))
        );
        // DataWedge set to send the AIM identifier with the data: it is split off, not doubled.
        let e = scan_from_intent(b"]E04006381333931\n", Some("LABEL-TYPE-EAN13"), None);
        assert_eq!(e.text, "4006381333931");
        assert_eq!(e.symbology_id.as_deref(), Some("]E0"));
    }

    #[test]
    fn upc_a_from_a_label_or_aim_id_gets_its_13th_digit() {
        for (label, aim) in [(Some("LABEL-TYPE-UPCA"), None), (None, Some("]E0"))] {
            let e = scan_from_intent(b"036000291452", label, aim);
            assert_eq!(e.text, "0036000291452");
            let parsed = crate::scan::gs1::parse(&e.transmitted());
            assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
            assert_eq!(parsed.gtin(), Some("00036000291452"));
        }
        // An inline identifier is the scanner's own transmission: kept as it came.
        let e = scan_from_intent(b"]E0036000291452", None, None);
        assert_eq!(e.text, "036000291452");
    }

    #[test]
    fn unknown_labels_and_non_utf8_bytes_are_kept() {
        let e = scan_from_intent(b"LOC\xe9-1", Some("LABEL-TYPE-MAXICODE"), None);
        assert_eq!(e.text, "LOCé-1");
        assert_eq!((e.format, e.symbology_id), (None, None));
    }
}
