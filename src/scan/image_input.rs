//! Still images (files) to luma, for `lotkeeper decode`, replayed camera frames and tests.

use std::path::Path;

/// A decoded image as 8-bit luma, tightly packed.
pub struct LumaImage {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl LumaImage {
    pub fn frame(&self) -> super::LumaFrame<'_> {
        super::LumaFrame {
            data: &self.data,
            width: self.width,
            height: self.height,
            stride: self.width,
        }
    }
}

/// Reads PNG, JPEG, GIF, WebP, BMP or TIFF into luma.
pub fn load(path: &Path) -> Result<LumaImage, String> {
    let img = image::ImageReader::open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?
        .with_guessed_format()
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .decode()
        .map_err(|e| format!("{} is not an image this build reads: {e}", path.display()))?;
    let luma = img.into_luma8();
    let (width, height) = luma.dimensions();
    Ok(LumaImage {
        data: luma.into_raw(),
        width,
        height,
    })
}
