//! The frame sources this crate has on every platform: a replay source (a folder of images, or a
//! Motion-JPEG file) for tests and demos, a still picture for the demo camera, and the desktop
//! camera through nokhwa (feature `camera`). The Android camera (`android_camera.rs`) is opened
//! by `android.rs` and handed in as an [`Opener`]; nothing here looks for it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::frame::{CameraError, Opener};
// The frame types live in the `frame` leaf; these names stay for the callers that know them here.
pub use super::frame::{FrameSource, PixelFormat, RawFrame};

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
    pub fn open(path: &Path) -> Result<ReplaySource, CameraError> {
        let label = path.display().to_string();
        let unreadable = |source| CameraError::Read {
            path: label.clone(),
            source,
        };
        let frames = if path.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(unreadable)?
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
            let bytes = std::fs::read(path).map_err(unreadable)?;
            split_mjpeg(&bytes).into_iter().map(Frame::Jpeg).collect()
        };
        if frames.is_empty() {
            return Err(CameraError::NoFrames { path: label });
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
    fn next_frame(&mut self) -> Result<Option<RawFrame>, CameraError> {
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
                        .map_err(|e| CameraError::NotJpeg {
                            frame: self.next + 1,
                            path: self.label.clone(),
                            reason: e.to_string(),
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
    fn next_frame(&mut self) -> Result<Option<RawFrame>, CameraError> {
        std::thread::sleep(self.interval);
        Ok(Some(self.frame.clone()))
    }

    fn name(&self) -> String {
        "still picture".into()
    }
}

/// Opens the replay source when one is given, else this build's desktop camera (nokhwa, with the
/// `camera` feature). On Android the platform camera comes from `android.rs` instead.
pub fn open_source(
    replay: Option<PathBuf>,
    index: u32,
) -> Result<Box<dyn FrameSource>, CameraError> {
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

/// An [`Opener`] for [`open_source`]: the replay, else the desktop camera, opened on the camera
/// thread.
pub fn source_opener(replay: Option<PathBuf>, index: u32) -> Opener {
    Box::new(move || open_source(replay, index))
}

#[cfg(all(feature = "camera", not(target_os = "android")))]
fn open_camera(index: u32) -> Result<Box<dyn FrameSource>, CameraError> {
    Ok(Box::new(NokhwaSource::open(index)?))
}

#[cfg(not(all(feature = "camera", not(target_os = "android"))))]
fn open_camera(_index: u32) -> Result<Box<dyn FrameSource>, CameraError> {
    Err(CameraError::NotBuilt)
}

/// What nokhwa reported, with the camera it was about.
#[cfg(all(feature = "camera", not(target_os = "android")))]
#[derive(Debug, thiserror::Error)]
enum NokhwaFailure {
    #[error("no camera {index}: {source}")]
    NoCamera {
        index: u32,
        source: nokhwa::NokhwaError,
    },
    #[error("camera {index} would not start: {source}")]
    WouldNotStart {
        index: u32,
        source: nokhwa::NokhwaError,
    },
    #[error("camera frame: {0}")]
    Frame(nokhwa::NokhwaError),
}

#[cfg(all(feature = "camera", not(target_os = "android")))]
impl From<NokhwaFailure> for CameraError {
    fn from(e: NokhwaFailure) -> CameraError {
        CameraError::Platform(Box::new(e))
    }
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
    pub fn open(index: u32) -> Result<NokhwaSource, CameraError> {
        use nokhwa::pixel_format::LumaFormat;
        use nokhwa::utils::{CameraIndex, RequestedFormat, RequestedFormatType};
        let requested =
            RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut camera = nokhwa::Camera::new(CameraIndex::Index(index), requested)
            .map_err(|source| NokhwaFailure::NoCamera { index, source })?;
        camera
            .open_stream()
            .map_err(|source| NokhwaFailure::WouldNotStart { index, source })?;
        let name = camera.info().human_name();
        Ok(NokhwaSource { camera, name })
    }
}

#[cfg(all(feature = "camera", not(target_os = "android")))]
impl FrameSource for NokhwaSource {
    fn next_frame(&mut self) -> Result<Option<RawFrame>, CameraError> {
        use nokhwa::utils::FrameFormat;
        let buf = self.camera.frame().map_err(NokhwaFailure::Frame)?;
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
