//! The encoder: a symbol drawn by rxing's own writers, for the demo camera and test pictures.

use super::formats::to_rxing;
use crate::scan::symbol::Format;

/// Contents the encoder cannot draw as the format asked for (a letter in an EAN, too long, ...).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode '{contents}' as {format}: {reason}")]
pub struct EncodeError {
    pub contents: String,
    pub format: Format,
    pub reason: String,
}

/// A symbol rendered to luma by rxing's own encoder, `px` pixels a module, with a quiet zone, on
/// a white canvas of at least `min` pixels a side: demo camera frames, and test pictures.
pub fn render_symbol(
    contents: &str,
    format: Format,
    px: u32,
    min: u32,
) -> Result<(Vec<u8>, u32, u32), EncodeError> {
    use rxing::{EncodeHints, MultiFormatWriter, Writer};
    let m = MultiFormatWriter
        .encode_with_hints(contents, &to_rxing(format), 0, 0, &EncodeHints::default())
        .map_err(|e| EncodeError {
            contents: contents.to_string(),
            format,
            reason: e.to_string(),
        })?;
    let (mw, mh) = (m.getWidth(), m.getHeight());
    let rows = if mh == 1 { 30 } else { mh };
    let (w, h) = (((mw + 20) * px).max(min), ((rows + 20) * px).max(min));
    let (ox, oy) = ((w - mw * px) / 2, (h - rows * px) / 2);
    let mut img = vec![255u8; (w * h) as usize];
    for y in 0..rows * px {
        for x in 0..mw * px {
            if m.get(x / px, if mh == 1 { 0 } else { y / px }) {
                img[((y + oy) * w + x + ox) as usize] = 0;
            }
        }
    }
    Ok((img, w, h))
}

#[cfg(test)]
pub(crate) fn render_for_tests(
    contents: &str,
    format: Format,
    px: u32,
    min: u32,
) -> (Vec<u8>, u32, u32) {
    render_symbol(contents, format, px, min).expect("encodes")
}
