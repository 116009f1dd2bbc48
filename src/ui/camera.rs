//! The camera view over a decode pipeline (`scan::pipeline`: a frame source on its own thread
//! feeding the decode worker): a small preview for the screen, the torch, and the symbols found.
//! Nothing here blocks the UI thread: the UI polls [`CameraView::poll`] from a timer and gets
//! whatever is ready.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use slint::{Rgb8Pixel, SharedPixelBuffer};

use crate::scan::camera::StillSource;
use crate::scan::pipeline::Pipeline;
use crate::scan::worker::WorkerEvent;
use crate::scan::{Format, FrameSource, RawFrame, ScanEvent};

pub use crate::scan::Opener;

/// The preview is at most this wide: enough for a phone-sized view, cheap to convert.
const PREVIEW_WIDTH: u32 = 480;
/// At most this many preview pictures a second reach the UI (the decoder sees every frame it can).
const PREVIEW_INTERVAL: Duration = Duration::from_millis(66);

/// A symbol found: what to act on, and where it was (fractions of the frame: x, y, w, h).
#[derive(Debug, Clone)]
pub struct Found {
    pub event: ScanEvent,
    pub outline: (f32, f32, f32, f32),
}

/// What the UI takes from the camera on each poll.
#[derive(Default)]
pub struct Update {
    pub preview: Option<SharedPixelBuffer<Rgb8Pixel>>,
    pub found: Vec<Found>,
    /// A problem to show in place of the picture (no camera, permission refused, ...).
    pub status: Option<String>,
    pub torch_available: bool,
}

#[derive(Default)]
struct Shared {
    preview: Option<SharedPixelBuffer<Rgb8Pixel>>,
    status: Option<String>,
    torch_available: bool,
}

/// A running camera. Dropping it stops the camera thread and the decoder.
pub struct CameraView {
    pipeline: Pipeline,
    shared: Arc<Mutex<Shared>>,
    torch: Arc<AtomicBool>,
    pub viewfinder: (f32, f32, f32, f32),
}

/// A camera that always shows `frame`: the demo camera of the screenshots, and of tests.
pub fn still_camera(frame: RawFrame) -> std::rc::Rc<dyn Fn() -> Opener> {
    std::rc::Rc::new(move || {
        let frame = frame.clone();
        Box::new(move || {
            Ok(Box::new(StillSource {
                frame,
                interval: Duration::from_millis(30),
            }) as Box<dyn FrameSource>)
        })
    })
}

impl CameraView {
    pub fn start(open: Opener, formats: Vec<Format>) -> CameraView {
        let shared = Arc::new(Mutex::new(Shared {
            status: Some("Starting the camera…".into()),
            ..Default::default()
        }));
        let torch = Arc::new(AtomicBool::new(false));
        let (s, t) = (shared.clone(), torch.clone());
        let on_error =
            move |e: crate::scan::CameraError| s.lock().unwrap().status = Some(e.to_string());
        let s = shared.clone();
        let (mut started, mut torch_on) = (false, false);
        let mut last_preview: Option<Instant> = None;
        let pipeline = Pipeline::start(open, formats, on_error, move |source, frame| {
            if !started {
                started = true;
                let mut sh = s.lock().unwrap();
                sh.status = None;
                sh.torch_available = source.has_torch();
            }
            let want = t.load(Ordering::Relaxed);
            if want != torch_on {
                match source.set_torch(want) {
                    Ok(()) => torch_on = want,
                    Err(e) => {
                        t.store(torch_on, Ordering::Relaxed);
                        s.lock().unwrap().status = Some(e.to_string());
                    }
                }
            }
            if last_preview.map_or(true, |at| at.elapsed() >= PREVIEW_INTERVAL) {
                last_preview = Some(Instant::now());
                if let Some(p) = preview(frame) {
                    s.lock().unwrap().preview = Some(p);
                }
            }
        });
        CameraView {
            viewfinder: pipeline.viewfinder(),
            pipeline,
            shared,
            torch,
        }
    }

    /// What is ready now; never waits.
    pub fn poll(&self) -> Update {
        let mut u = Update::default();
        {
            let mut sh = self.shared.lock().unwrap();
            u.preview = sh.preview.take();
            u.status = sh.status.clone();
            u.torch_available = sh.torch_available;
        }
        while let Ok(e) = self.pipeline.events().try_recv() {
            match e {
                WorkerEvent::Scan {
                    event,
                    outline,
                    frame_size: (w, h),
                } => u.found.push(Found {
                    event,
                    outline: bounds(&outline, w as f32, h as f32),
                }),
                WorkerEvent::FrameError(e) => u.status = Some(e.to_string()),
            }
        }
        u
    }

    /// The step changed: decode only what it expects.
    pub fn set_formats(&self, formats: Vec<Format>) {
        self.pipeline.set_formats(formats);
    }

    pub fn set_torch(&self, on: bool) {
        self.torch.store(on, Ordering::Relaxed);
    }

    pub fn torch(&self) -> bool {
        self.torch.load(Ordering::Relaxed)
    }
}

/// A symbol's corner points as a box, in fractions of the frame.
fn bounds(points: &[crate::scan::Point], w: f32, h: f32) -> (f32, f32, f32, f32) {
    if points.is_empty() || w <= 0.0 || h <= 0.0 {
        return (0.0, 0.0, 0.0, 0.0);
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points {
        x0 = x0.min(p.x);
        y0 = y0.min(p.y);
        x1 = x1.max(p.x);
        y1 = y1.max(p.y);
    }
    // A linear symbol's "outline" can be a line: give it some height to be seen.
    if y1 - y0 < h * 0.02 {
        y0 -= h * 0.03;
        y1 += h * 0.03;
    }
    let c = |v: f32| v.clamp(0.0, 1.0);
    (
        c(x0 / w),
        c(y0 / h),
        c(x1 / w) - c(x0 / w),
        c(y1 / h) - c(y0 / h),
    )
}

/// A grey preview, scaled down by whole steps (nearest pixel), from the frame's luma.
fn preview(frame: &RawFrame) -> Option<SharedPixelBuffer<Rgb8Pixel>> {
    let luma = frame.luma().ok()?;
    let step = frame.width.div_ceil(PREVIEW_WIDTH).max(1);
    let (w, h) = (frame.width / step, frame.height / step);
    if w == 0 || h == 0 {
        return None;
    }
    let mut buf = SharedPixelBuffer::<Rgb8Pixel>::new(w, h);
    let out = buf.make_mut_slice();
    for y in 0..h {
        let row = (y * step) as usize * frame.width as usize;
        for x in 0..w {
            let v = luma[row + (x * step) as usize];
            out[(y * w + x) as usize] = Rgb8Pixel::new(v, v, v);
        }
    }
    Some(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::camera::ReplaySource;
    use crate::scan::render_for_tests;
    use crate::scan::PixelFormat;

    #[test]
    fn a_replayed_frame_gives_a_preview_and_an_outlined_scan() {
        let dir = tempfile::tempdir().unwrap();
        let (data, w, h) = render_for_tests("LOC A-01-02", Format::QrCode, 6, 640);
        image::GrayImage::from_raw(w, h, data)
            .unwrap()
            .save(dir.path().join("0001.png"))
            .unwrap();
        let path = dir.path().to_path_buf();
        let view = CameraView::start(
            Box::new(move || {
                let mut r = ReplaySource::open(&path)?;
                r.looping = true;
                r.interval = Some(Duration::from_millis(20));
                Ok(Box::new(r) as Box<dyn FrameSource>)
            }),
            vec![Format::QrCode],
        );
        let mut found = Vec::new();
        let mut previewed = false;
        // Bounded wait for the worker thread (not a speed assertion).
        let until = Instant::now() + Duration::from_secs(20);
        while (found.is_empty() || !previewed) && Instant::now() < until {
            let u = view.poll();
            previewed |= u.preview.is_some_and(|p| p.width() <= PREVIEW_WIDTH);
            found.extend(u.found);
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(previewed, "a preview picture arrived");
        assert_eq!(found.len(), 1, "one scan, not one per frame: {found:?}");
        assert_eq!(found[0].event.text, "LOC A-01-02");
        let (x, y, bw, bh) = found[0].outline;
        assert!(bw > 0.1 && bh > 0.1 && x > 0.0 && y > 0.0 && x + bw < 1.0 && y + bh < 1.0);
    }

    #[test]
    fn a_camera_that_cannot_open_says_why() {
        let view = CameraView::start(
            Box::new(|| {
                Err(crate::scan::CameraError::Platform(
                    "no camera 0: not found".into(),
                ))
            }),
            vec![Format::QrCode],
        );
        let until = Instant::now() + Duration::from_secs(10);
        let mut status = None;
        while Instant::now() < until {
            status = view.poll().status;
            if status.as_deref() != Some("Starting the camera…") {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(status.as_deref(), Some("no camera 0: not found"));
    }

    #[test]
    fn preview_of_a_large_frame_is_scaled_down() {
        let frame = RawFrame {
            data: vec![200; 1280 * 720],
            width: 1280,
            height: 720,
            format: PixelFormat::Gray,
        };
        let p = preview(&frame).unwrap();
        assert_eq!((p.width(), p.height()), (426, 240));
        assert!(p.as_slice().iter().all(|px| px.r == 200));
    }
}
