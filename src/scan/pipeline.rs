//! The decode pipeline, built in one place: a frame source opened on its own thread (cameras stay
//! on the thread that opened them) offering its frames to the decode worker (`worker.rs`), which
//! reads them with the camera's effort. The camera view (`ui/camera.rs`) and `lotkeeper camera`
//! (`cli/scan_cli.rs`) both run one; which source it reads is handed in as an [`Opener`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::frame::{CameraError, FrameSource, Opener, RawFrame};
use super::rxing::{Effort, RxingDecoder};
use super::symbol::Format;
use super::worker::{DecodeWorker, FrameSink, WorkerConfig, WorkerEvent};

/// After a frame the source could not give, the camera thread waits this long before asking again.
const RETRY_AFTER: Duration = Duration::from_millis(200);

/// A running pipeline. Dropping it stops the camera thread (after its current frame) and then
/// the decode worker.
pub struct Pipeline {
    worker: DecodeWorker,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    viewfinder: (f32, f32, f32, f32),
}

impl Pipeline {
    /// Opens the source with `open` on a new camera thread and decodes its frames for `formats`.
    /// Every failure to open or read the source goes to `on_error` (a failed open ends the camera
    /// thread; a failed frame is retried). `each` sees the source and every frame before the
    /// worker is offered it: a preview, the torch.
    pub fn start(
        open: Opener,
        formats: Vec<Format>,
        on_error: impl Fn(CameraError) + Send + 'static,
        each: impl FnMut(&mut dyn FrameSource, &RawFrame) + Send + 'static,
    ) -> Pipeline {
        let config = WorkerConfig {
            formats,
            ..Default::default()
        };
        let viewfinder = config.viewfinder.unwrap_or((0.0, 0.0, 1.0, 1.0));
        let worker = DecodeWorker::spawn(Box::new(RxingDecoder::new(Effort::Fast)), config);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = pump(open, worker.sink(), stop.clone(), on_error, each);
        Pipeline {
            worker,
            stop,
            thread: Some(thread),
            viewfinder,
        }
    }

    /// What the worker found, and the frames it could not read; never blocks on its own.
    pub fn events(&self) -> &Receiver<WorkerEvent> {
        self.worker.events()
    }

    /// The step changed: decode only what it expects.
    pub fn set_formats(&self, formats: Vec<Format>) {
        self.worker.set_formats(formats);
    }

    /// The region decoded first, as fractions of the frame: x, y, width, height.
    pub fn viewfinder(&self) -> (f32, f32, f32, f32) {
        self.viewfinder
    }

    /// True once the source has ended (a replay at its last frame) or could not be opened.
    pub fn source_ended(&self) -> bool {
        self.thread.as_ref().map_or(true, JoinHandle::is_finished)
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Opens a frame source on its own thread and offers its frames to a worker until `stop` is set
/// or the source ends.
fn pump(
    open: Opener,
    sink: FrameSink,
    stop: Arc<AtomicBool>,
    on_error: impl Fn(CameraError) + Send + 'static,
    mut each: impl FnMut(&mut dyn FrameSource, &RawFrame) + Send + 'static,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut source = match open() {
            Ok(s) => s,
            Err(e) => return on_error(e),
        };
        while !stop.load(Ordering::Relaxed) {
            match source.next_frame() {
                Ok(Some(frame)) => {
                    each(source.as_mut(), &frame);
                    sink.offer(frame);
                }
                Ok(None) => break,
                Err(e) => {
                    on_error(e);
                    std::thread::sleep(RETRY_AFTER);
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::camera::ReplaySource;
    use crate::scan::render_for_tests;
    use std::sync::mpsc;
    use std::time::Instant;

    /// A replay of three frames of one QR code, as fast as the source gives them: the worker
    /// reports the code once, nothing goes wrong, and the pipeline knows the source has ended.
    #[test]
    fn a_replay_runs_to_its_end_and_its_code_comes_out_once() {
        let dir = tempfile::tempdir().unwrap();
        let (data, w, h) = render_for_tests("LOC A-01-02", Format::QrCode, 6, 640);
        let img = image::GrayImage::from_raw(w, h, data).unwrap();
        for i in 0..3 {
            img.save(dir.path().join(format!("{i:04}.png"))).unwrap();
        }
        let path = dir.path().to_path_buf();
        let (errors, error_rx) = mpsc::channel();
        let pipeline = Pipeline::start(
            Box::new(move || Ok(Box::new(ReplaySource::open(&path)?) as Box<dyn FrameSource>)),
            vec![Format::QrCode],
            move |e| {
                let _ = errors.send(e.to_string());
            },
            |_, _| {},
        );
        let mut texts = Vec::new();
        // Bounded wait for the threads (not a speed assertion).
        let until = Instant::now() + Duration::from_secs(20);
        while Instant::now() < until {
            match pipeline.events().recv_timeout(Duration::from_millis(100)) {
                Ok(WorkerEvent::Scan { event, .. }) => texts.push(event.text),
                Ok(WorkerEvent::FrameError(e)) => panic!("{e}"),
                Err(_) if pipeline.source_ended() && !texts.is_empty() => break,
                Err(_) => {}
            }
        }
        assert_eq!(texts, vec!["LOC A-01-02"]);
        assert!(pipeline.source_ended());
        assert_eq!(error_rx.try_recv().ok(), None);
    }

    /// A source that cannot open says why, through `on_error`, and ends the camera thread.
    #[test]
    fn a_source_that_cannot_open_says_why() {
        let (errors, error_rx) = mpsc::channel();
        let pipeline = Pipeline::start(
            Box::new(|| Err(CameraError::NotBuilt)),
            vec![Format::QrCode],
            move |e| {
                let _ = errors.send(e.to_string());
            },
            |_, _| panic!("no frame can come from a source that did not open"),
        );
        let said = error_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(said, CameraError::NotBuilt.to_string());
        assert!(said.contains("use --camera-replay"), "{said}");
        let until = Instant::now() + Duration::from_secs(10);
        while !pipeline.source_ended() && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(pipeline.source_ended());
    }
}
