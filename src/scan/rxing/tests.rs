//! Round trips through rxing's own encoders: encode GS1 data, render it, degrade the picture,
//! decode it and parse it; what comes out must be what went in.
use super::*;
use crate::scan::frame::LumaFrame;
use crate::scan::gs1;
use crate::scan::symbol::{Decoder, Format};
use proptest::prelude::*;
use rxing::BarcodeFormat;
use rxing::{EncodeHints, MultiFormatWriter, Writer};

/// Renders a symbol at `px` pixels per module with a quiet zone of `quiet` modules.
fn render(
    contents: &str,
    format: BarcodeFormat,
    hints: &EncodeHints,
    px: u32,
    quiet: u32,
) -> (Vec<u8>, u32, u32) {
    let m = MultiFormatWriter
        .encode_with_hints(contents, &format, 0, 0, hints)
        .expect("encodes");
    let (mw, mh) = (m.getWidth(), m.getHeight());
    // Linear symbols come as one row: give them height.
    let rows = if mh == 1 { 40 } else { mh };
    let (w, h) = ((mw + 2 * quiet) * px, (rows + 2 * quiet) * px);
    let mut img = vec![255u8; (w * h) as usize];
    for y in 0..rows {
        for x in 0..mw {
            if m.get(x, if mh == 1 { 0 } else { y }) {
                for dy in 0..px {
                    let row = ((y + quiet) * px + dy) * w;
                    for dx in 0..px {
                        img[(row + (x + quiet) * px + dx) as usize] = 0;
                    }
                }
            }
        }
    }
    (img, w, h)
}

/// Blur, low contrast and sensor noise, as a handheld camera would see a label.
fn degrade(img: Vec<u8>, w: u32, h: u32, seed: u64, contrast: u8) -> Vec<u8> {
    let g = image::imageops::blur(&image::GrayImage::from_raw(w, h, img).unwrap(), 0.8);
    let mut state = seed | 1;
    g.into_raw()
        .into_iter()
        .map(|p| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let noise = (state % 21) as i32 - 10;
            let v = 128 + (i32::from(p) - 128) * i32::from(contrast) / 255 + noise;
            v.clamp(0, 255) as u8
        })
        .collect()
}

fn element_string(
    gtin_body: &str,
    lot: &str,
    expiry: &str,
    serial: &str,
) -> (String, Vec<(String, String)>) {
    let gtin = format!(
        "{gtin_body}{}",
        crate::gtin::check_digit(gtin_body).unwrap()
    );
    let es = format!("01{gtin}17{expiry}10{lot}\u{1d}21{serial}");
    let ais = vec![
        ("01".to_string(), gtin),
        ("17".to_string(), expiry.to_string()),
        ("10".to_string(), lot.to_string()),
        ("21".to_string(), serial.to_string()),
    ];
    (es, ais)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, .. ProptestConfig::default() })]

    #[test]
    fn gs1_datamatrix_round_trip(
        // rxing's minimal DataMatrix *encoder* asserts on GS1's FNC1 in C40/Text mode (a bug in
        // the test's tool, not in decoding), so this round trip stays in ASCII mode: digits.
        // Letters in lots and serials are covered by the GS1-128 round trip below.
        body in "[0-9]{13}", lot in "[0-9]{1,20}", serial in "[0-9]{1,20}",
        yy in 20u32..40, mm in 1u32..13, dd in 0u32..29, seed in any::<u64>(), contrast in 90u8..255,
    ) {
        let (es, ais) = element_string(&body, &lot, &format!("{yy:02}{mm:02}{dd:02}"), &serial);
        let hints = EncodeHints { Gs1Format: Some(true), DataMatrixCompact: Some(true), ..Default::default() };
        let (img, w, h) = render(&format!("\u{1d}{es}"), BarcodeFormat::DATA_MATRIX, &hints, 4, 2);
        let img = degrade(img, w, h, seed, contrast);
        let mut d = RxingDecoder::new(Effort::Thorough);
        let found = d.decode(&LumaFrame::new(&img, w, h, w).unwrap(), &[Format::DataMatrix]);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].symbology_id.as_deref(), Some("]d2"));
        let parsed = gs1::parse(&found[0].transmitted());
        prop_assert!(parsed.ok(), "{:?}", parsed.errors);
        prop_assert_eq!(parsed.ais, ais);
    }

    #[test]
    fn gs1_128_round_trip(
        body in "[0-9]{13}", lot in "[A-Z0-9]{1,10}", serial in "[0-9]{1,8}",
        yy in 20u32..40, mm in 1u32..13, seed in any::<u64>(),
    ) {
        let (es, ais) = element_string(&body, &lot, &format!("{yy:02}{mm:02}00"), &serial);
        // rxing's Code 128 writer takes U+00F1 for FNC1.
        let contents = format!("\u{f1}{}", es.replace('\u{1d}', "\u{f1}"));
        let (img, w, h) = render(&contents, BarcodeFormat::CODE_128, &EncodeHints::default(), 3, 12);
        let img = degrade(img, w, h, seed, 200);
        let mut d = RxingDecoder::new(Effort::Thorough);
        let found = d.decode(&LumaFrame::new(&img, w, h, w).unwrap(), &[Format::Code128]);
        prop_assert_eq!(found.len(), 1);
        prop_assert_eq!(found[0].symbology_id.as_deref(), Some("]C1"));
        prop_assert_eq!(&found[0].text, &es);
        let parsed = gs1::parse(&found[0].transmitted());
        prop_assert!(parsed.ok(), "{:?}", parsed.errors);
        prop_assert_eq!(parsed.ais, ais);
    }
}

#[test]
fn survives_any_image() {
    let mut d = RxingDecoder::new(Effort::Thorough);
    // Thin, tiny, flat and noisy frames: nothing found, no panic, no hang.
    for (w, h) in [(1u32, 1u32), (1, 500), (500, 1), (3, 3), (2000, 2)] {
        let img = vec![128u8; (w * h) as usize];
        assert!(d
            .decode(&LumaFrame::new(&img, w, h, w).unwrap(), &Format::ALL)
            .is_empty());
    }
    let noise: Vec<u8> = (0..200 * 200u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let got = d.decode(
        &LumaFrame::new(&noise, 200, 200, 200).unwrap(),
        &Format::ALL,
    );
    assert!(got.is_empty(), "{got:?}");
}
