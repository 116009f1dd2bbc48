//! Camera frames: the [`FrameSource`] trait, pixel formats to luma, and the sources this build
//! has: a replay source (a folder of images, or a Motion-JPEG file) for tests and demos, and the
//! desktop camera through nokhwa (feature `camera`). The Android camera plugs in the same way.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    pub fn luma(&self) -> Result<Cow<'_, [u8]>, String> {
        let n = (self.width as usize) * (self.height as usize);
        let short = |need: usize| {
            format!(
                "a {}x{} {:?} frame needs {need} bytes, got {}",
                self.width,
                self.height,
                self.format,
                self.data.len()
            )
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
                    .map_err(|e| format!("a camera frame is not a readable JPEG: {e}"))?
                    .into_luma8();
                if img.dimensions() != (self.width, self.height) {
                    return Err(format!(
                        "the JPEG frame is {}x{}, the camera said {}x{}",
                        img.width(),
                        img.height(),
                        self.width,
                        self.height
                    ));
                }
                Ok(Cow::Owned(img.into_raw()))
            }
        }
    }
}

/// Anything that gives camera frames. Not `Send`: a camera lives on the thread that opened it
/// (see `worker::pump`, which opens it there).
pub trait FrameSource {
    /// The next frame; None when the source has ended (a replay at its last frame).
    fn next_frame(&mut self) -> Result<Option<RawFrame>, String>;

    /// A name for the settings screen.
    fn name(&self) -> String;

    fn has_torch(&self) -> bool {
        false
    }

    fn set_torch(&mut self, _on: bool) -> Result<(), String> {
        Err("this camera has no torch".into())
    }
}

/// Frames from files: every image in a folder (in name order), or the JPEGs of a Motion-JPEG
/// file (`.mjpeg`, `.mjpg`). Optionally paced like a live camera, optionally looping.
pub struct ReplaySource {
    frames: Vec<Frame>,
    next: usize,
    pub looping: bool,
    pub interval: Option<Duration>,
    label: String,
}

enum Frame {
    File(PathBuf),
    Jpeg(Vec<u8>),
}

impl ReplaySource {
    pub fn open(path: &Path) -> Result<ReplaySource, String> {
        let label = path.display().to_string();
        let frames = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| format!("cannot read {label}: {e}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                        matches!(
                            e.to_ascii_lowercase().as_str(),
                            "png" | "jpg" | "jpeg" | "webp" | "gif" | "bmp"
                        )
                    })
                })
                .collect();
            files.sort();
            files.into_iter().map(Frame::File).collect::<Vec<_>>()
        } else {
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {label}: {e}"))?;
            split_mjpeg(&bytes).into_iter().map(Frame::Jpeg).collect()
        };
        if frames.is_empty() {
            return Err(format!(
                "{label} holds no frames (images in a folder, or a Motion-JPEG file)"
            ));
        }
        Ok(ReplaySource {
            frames,
            next: 0,
            looping: false,
            interval: None,
            label,
        })
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

/// The JPEG images of a Motion-JPEG stream (SOI `FF D8` to EOI `FF D9`).
fn split_mjpeg(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(start) = find(&bytes[i..], &[0xFF, 0xD8]).map(|s| s + i) {
        let Some(end) = find(&bytes[start + 2..], &[0xFF, 0xD9]).map(|e| e + start + 4) else {
            break;
        };
        out.push(bytes[start..end].to_vec());
        i = end;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl FrameSource for ReplaySource {
    fn next_frame(&mut self) -> Result<Option<RawFrame>, String> {
        if self.next >= self.frames.len() {
            if !self.looping {
                return Ok(None);
            }
            self.next = 0;
        }
        if let Some(d) = self.interval {
            std::thread::sleep(d);
        }
        let frame = match &self.frames[self.next] {
            Frame::File(p) => {
                let img = super::image_input::load(p)?;
                RawFrame {
                    data: img.data,
                    width: img.width,
                    height: img.height,
                    format: PixelFormat::Gray,
                }
            }
            Frame::Jpeg(bytes) => {
                let (width, height) =
                    image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
                        .map(|i| (i.width(), i.height()))
                        .map_err(|e| {
                            format!(
                                "frame {} of {} is not a JPEG: {e}",
                                self.next + 1,
                                self.label
                            )
                        })?;
                RawFrame {
                    data: bytes.clone(),
                    width,
                    height,
                    format: PixelFormat::Mjpeg,
                }
            }
        };
        self.next += 1;
        Ok(Some(frame))
    }

    fn name(&self) -> String {
        format!("replay of {}", self.label)
    }
}

/// One frame, over and over, paced like a camera: a demo camera for screenshots and tests.
pub struct StillSource {
    pub frame: RawFrame,
    pub interval: Duration,
}

impl FrameSource for StillSource {
    fn next_frame(&mut self) -> Result<Option<RawFrame>, String> {
        std::thread::sleep(self.interval);
        Ok(Some(self.frame.clone()))
    }

    fn name(&self) -> String {
        "still picture".into()
    }
}

/// Opens the replay source when one is given, else the camera (when this build has one).
pub fn open_source(replay: Option<PathBuf>, index: u32) -> Result<Box<dyn FrameSource>, String> {
    match replay {
        Some(path) => {
            // Paced like a 30 fps preview, so the worker meets frames as it would live.
            let mut r = ReplaySource::open(&path)?;
            r.interval = Some(std::time::Duration::from_millis(33));
            Ok(Box::new(r))
        }
        None => open_camera(index),
    }
}

#[cfg(all(feature = "camera", not(target_os = "android")))]
fn open_camera(index: u32) -> Result<Box<dyn FrameSource>, String> {
    Ok(Box::new(NokhwaSource::open(index)?))
}

#[cfg(target_os = "android")]
fn open_camera(index: u32) -> Result<Box<dyn FrameSource>, String> {
    Ok(Box::new(super::android_camera::NdkCameraSource::open(
        index,
    )?))
}

#[cfg(not(any(feature = "camera", target_os = "android")))]
fn open_camera(_index: u32) -> Result<Box<dyn FrameSource>, String> {
    Err("this build has no camera support (built without the `camera` feature); use --camera-replay".into())
}

/// The desktop camera (V4L2 on Linux) through nokhwa.
#[cfg(all(feature = "camera", not(target_os = "android")))]
pub struct NokhwaSource {
    camera: nokhwa::Camera,
    name: String,
}

#[cfg(all(feature = "camera", not(target_os = "android")))]
impl NokhwaSource {
    /// Opens camera `index` at the highest frame rate it offers, and starts its stream. A machine
    /// without a camera gets a clear error, never a panic.
    pub fn open(index: u32) -> Result<NokhwaSource, String> {
        use nokhwa::pixel_format::LumaFormat;
        use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};
        let requested =
            RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut camera = nokhwa::Camera::new(CameraIndex::Index(index), requested)
            .map_err(|e| format!("no camera {index}: {e}"))?;
        camera
            .open_stream()
            .map_err(|e| format!("camera {index} would not start: {e}"))?;
        let name = camera.info().human_name();
        Ok(NokhwaSource { camera, name })
    }
}

#[cfg(all(feature = "camera", not(target_os = "android")))]
impl FrameSource for NokhwaSource {
    fn next_frame(&mut self) -> Result<Option<RawFrame>, String> {
        use nokhwa::utils::FrameFormat;
        let buf = self
            .camera
            .frame()
            .map_err(|e| format!("camera frame: {e}"))?;
        let res = buf.resolution();
        let format = match buf.source_frame_format() {
            FrameFormat::MJPEG => PixelFormat::Mjpeg,
            FrameFormat::YUYV => PixelFormat::Yuyv,
            FrameFormat::NV12 => PixelFormat::Nv12,
            FrameFormat::GRAY => PixelFormat::Gray,
            FrameFormat::RAWRGB => PixelFormat::Rgb,
            FrameFormat::RAWBGR => PixelFormat::Bgr,
        };
        Ok(Some(RawFrame {
            data: buf.buffer().to_vec(),
            width: res.width(),
            height: res.height(),
            format,
        }))
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

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
        assert!(short.luma().unwrap_err().contains("needs 16 bytes"));
    }

    #[test]
    fn mjpeg_stream_splits_into_frames() {
        let mut stream = Vec::new();
        for shade in [0u8, 255] {
            let img = image::GrayImage::from_pixel(16, 8, image::Luma([shade]));
            let mut jpeg = Vec::new();
            image::DynamicImage::ImageLuma8(img)
                .write_to(
                    &mut std::io::Cursor::new(&mut jpeg),
                    image::ImageFormat::Jpeg,
                )
                .unwrap();
            stream.extend(jpeg);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clip.mjpeg");
        std::fs::write(&path, &stream).unwrap();
        let mut src = ReplaySource::open(&path).unwrap();
        assert_eq!(src.len(), 2);
        let f = src.next_frame().unwrap().unwrap();
        assert_eq!((f.width, f.height, f.format), (16, 8, PixelFormat::Mjpeg));
        assert!(f.luma().unwrap().iter().all(|p| *p < 10));
        assert!(src
            .next_frame()
            .unwrap()
            .unwrap()
            .luma()
            .unwrap()
            .iter()
            .all(|p| *p > 245));
        assert!(src.next_frame().unwrap().is_none());
        src.looping = true;
        assert!(src.next_frame().unwrap().is_some());
    }
}
