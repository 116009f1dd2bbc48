//! Frames: what every camera gives and every decoder takes. A leaf: it imports nothing else of
//! `scan`, so the sources (`camera.rs`, `android_camera.rs`), the decode worker and the decoders
//! all depend on it and never on each other.
//!
//! - [`LumaFrame`]: 8-bit luma with a stride, borrowed, cropped to the viewfinder for decoding.
//! - [`RawFrame`] and [`PixelFormat`]: a frame as a camera delivers it, and its luma plane.
//! - [`FrameSource`]: anything that gives frames; [`Opener`] opens one on the camera thread.
//! - The errors of all of these: [`FrameError`], [`ImageError`], [`CameraError`].

use std::borrow::Cow;

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
    pub fn packed(&self) -> Cow<'a, [u8]> {
        let (w, h, s) = (
            self.width as usize,
            self.height as usize,
            self.stride as usize,
        );
        if s == w {
            Cow::Borrowed(&self.data[..w * h])
        } else {
            let mut out = Vec::with_capacity(w * h);
            for row in 0..h {
                out.extend_from_slice(&self.data[row * s..row * s + w]);
            }
            Cow::Owned(out)
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

/// How a frame's bytes are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// 8-bit luma, one byte a pixel.
    Gray,
    /// Packed 4:2:2, Y0 U Y1 V.
    Yuyv,
    /// Planar 4:2:0: the full Y plane, then interleaved UV.
    Nv12,
    /// One JPEG image a frame.
    Mjpeg,
    Rgb,
    Bgr,
}

/// A frame whose bytes do not hold the picture it claims: skipped, scanning goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a {width}x{height} {format:?} frame needs {need} bytes, got {got}")]
    Short {
        width: u32,
        height: u32,
        format: PixelFormat,
        need: usize,
        got: usize,
    },
    #[error("a camera frame is not a readable JPEG: {reason}")]
    NotJpeg { reason: String },
    #[error("the JPEG frame is {jpeg_width}x{jpeg_height}, the camera said {width}x{height}")]
    JpegSize {
        jpeg_width: u32,
        jpeg_height: u32,
        width: u32,
        height: u32,
    },
    #[error("a {width}x{height} frame is empty")]
    Empty { width: u32, height: u32 },
}

/// A picture file that could not be read into luma.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not an image this build reads: {source}")]
    Format {
        path: String,
        source: image::ImageError,
    },
}

/// A camera (or a replay standing in for one) that cannot open or give a frame.
#[derive(Debug, thiserror::Error)]
pub enum CameraError {
    #[error(transparent)]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} holds no frames (images in a folder, or a Motion-JPEG file)")]
    NoFrames { path: String },
    #[error("frame {frame} of {path} is not a JPEG: {reason}")]
    NotJpeg {
        frame: usize,
        path: String,
        reason: String,
    },
    #[error("this camera has no torch")]
    NoTorch,
    #[error(
        "this build has no camera support (built without the `camera` feature); use --camera-replay"
    )]
    NotBuilt,
    /// What a platform camera (nokhwa on the desktop, the NDK on Android, the app's permission
    /// check) reported, as that platform's own error.
    #[error(transparent)]
    Platform(Box<dyn std::error::Error + Send + Sync>),
}

/// One frame as a camera delivers it.
#[derive(Debug, Clone)]
pub struct RawFrame {
    pub data: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub format: PixelFormat,
}

impl RawFrame {
    /// The luma plane, tightly packed. Gray and NV12 are borrowed as they are (NV12's Y plane
    /// comes first); YUYV takes every other byte; MJPEG is decoded; RGB/BGR are weighted.
    pub fn luma(&self) -> Result<Cow<'_, [u8]>, FrameError> {
        let n = (self.width as usize) * (self.height as usize);
        let short = |need: usize| FrameError::Short {
            width: self.width,
            height: self.height,
            format: self.format,
            need,
            got: self.data.len(),
        };
        match self.format {
            PixelFormat::Gray | PixelFormat::Nv12 => {
                let need = if self.format == PixelFormat::Nv12 {
                    n + n / 2
                } else {
                    n
                };
                if self.data.len() < need {
                    return Err(short(need));
                }
                Ok(Cow::Borrowed(&self.data[..n]))
            }
            PixelFormat::Yuyv => {
                if self.data.len() < 2 * n {
                    return Err(short(2 * n));
                }
                Ok(Cow::Owned(
                    self.data[..2 * n].iter().step_by(2).copied().collect(),
                ))
            }
            PixelFormat::Rgb | PixelFormat::Bgr => {
                if self.data.len() < 3 * n {
                    return Err(short(3 * n));
                }
                let (r, b) = if self.format == PixelFormat::Rgb {
                    (0, 2)
                } else {
                    (2, 0)
                };
                Ok(Cow::Owned(
                    self.data[..3 * n]
                        .chunks_exact(3)
                        .map(|p| {
                            ((u32::from(p[r]) * 77 + u32::from(p[1]) * 150 + u32::from(p[b]) * 29)
                                >> 8) as u8
                        })
                        .collect(),
                ))
            }
            PixelFormat::Mjpeg => {
                let img = image::load_from_memory_with_format(&self.data, image::ImageFormat::Jpeg)
                    .map_err(|e| FrameError::NotJpeg {
                        reason: e.to_string(),
                    })?
                    .into_luma8();
                if img.dimensions() != (self.width, self.height) {
                    return Err(FrameError::JpegSize {
                        jpeg_width: img.width(),
                        jpeg_height: img.height(),
                        width: self.width,
                        height: self.height,
                    });
                }
                Ok(Cow::Owned(img.into_raw()))
            }
        }
    }
}

/// Anything that gives camera frames. Not `Send`: a camera lives on the thread that opened it
/// (see `scan::pipeline`, which opens it there through an [`Opener`]).
pub trait FrameSource {
    /// The next frame; None when the source has ended (a replay at its last frame).
    fn next_frame(&mut self) -> Result<Option<RawFrame>, CameraError>;

    /// A name for the settings screen.
    fn name(&self) -> String;

    fn has_torch(&self) -> bool {
        false
    }

    fn set_torch(&mut self, _on: bool) -> Result<(), CameraError> {
        Err(CameraError::NoTorch)
    }
}

/// How a frame source is opened: on the camera thread, since a camera stays on the thread that
/// opened it. The platform's camera is handed in from the top (`main`, `android.rs`) as one.
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn FrameSource>, CameraError> + Send>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_from_each_format() {
        let (w, h) = (4u32, 2u32);
        let y: Vec<u8> = (0..8).map(|i| i * 10).collect();
        let gray = RawFrame {
            data: y.clone(),
            width: w,
            height: h,
            format: PixelFormat::Gray,
        };
        assert!(matches!(gray.luma().unwrap(), Cow::Borrowed(_)));
        let mut nv12 = y.clone();
        nv12.extend([128u8; 4]);
        let nv = RawFrame {
            data: nv12,
            width: w,
            height: h,
            format: PixelFormat::Nv12,
        };
        assert_eq!(&*nv.luma().unwrap(), &y[..]);
        assert!(matches!(nv.luma().unwrap(), Cow::Borrowed(_)));
        let yuyv: Vec<u8> = y.iter().flat_map(|v| [*v, 128]).collect();
        let yu = RawFrame {
            data: yuyv,
            width: w,
            height: h,
            format: PixelFormat::Yuyv,
        };
        assert_eq!(&*yu.luma().unwrap(), &y[..]);
        let rgb = RawFrame {
            data: vec![255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255],
            width: 4,
            height: 1,
            format: PixelFormat::Rgb,
        };
        assert_eq!(&*rgb.luma().unwrap(), &[255, 0, 76, 28]);
        let short = RawFrame {
            data: vec![0; 3],
            width: w,
            height: h,
            format: PixelFormat::Yuyv,
        };
        assert!(short
            .luma()
            .unwrap_err()
            .to_string()
            .contains("needs 16 bytes"));
    }
}
