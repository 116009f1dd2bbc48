//! Still images (files) to luma, for `lotkeeper decode`, replayed camera frames and tests.

use std::path::Path;

use super::frame::{ImageError, LumaFrame};

/// A decoded image as 8-bit luma, tightly packed.
pub struct LumaImage {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl LumaImage {
    pub fn frame(&self) -> LumaFrame<'_> {
        LumaFrame {
            data: &self.data,
            width: self.width,
            height: self.height,
            stride: self.width,
        }
    }
}

/// Reads PNG, JPEG, GIF, WebP, BMP or TIFF into luma.
pub fn load(path: &Path) -> Result<LumaImage, ImageError> {
    let shown = || path.display().to_string();
    let img = image::ImageReader::open(path)
        .map_err(|source| ImageError::Open {
            path: shown(),
            source,
        })?
        .with_guessed_format()
        .map_err(|source| ImageError::Read {
            path: shown(),
            source,
        })?
        .decode()
        .map_err(|source| ImageError::Format {
            path: shown(),
            source,
        })?;
    let luma = img.into_luma8();
    let (width, height) = luma.dimensions();
    Ok(LumaImage {
        data: luma.into_raw(),
        width,
        height,
    })
}
