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
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
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
