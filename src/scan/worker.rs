//! The decode worker: decodes camera frames off the UI thread and keeps up with the preview.
//!
//! - Frames are offered through a queue of one: while the worker is busy, new frames are dropped
//!   (counted), never queued, so the scanner always works on a recent frame.
//! - The viewfinder region is decoded first; the full frame only when it held nothing.
//! - A linear symbol counts only when two frames (within [`WorkerConfig::confirm_within`]) read it
//!   identically; 2D symbols carry error correction and count at once.
//! - The same code seen again within [`WorkerConfig::repeat_window`] is ignored.
//! - The formats are those the current step expects, and can change at any time.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::event::ScanEvent;
use super::frame::{FrameError, LumaFrame, RawFrame};
use super::symbol::{Decoder, Format, Point};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub formats: Vec<Format>,
    /// The viewfinder as fractions of the frame: x, y, width, height.
    pub viewfinder: Option<(f32, f32, f32, f32)>,
    pub repeat_window: Duration,
    pub confirm_within: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            formats: Format::WAREHOUSE.to_vec(),
            viewfinder: Some((0.1, 0.3, 0.8, 0.4)),
            repeat_window: Duration::from_millis(1500),
            confirm_within: Duration::from_millis(600),
        }
    }
}

/// What the worker reports.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent {
    /// A symbol to act on, with its outline in frame coordinates (to draw on the preview).
    Scan {
        event: ScanEvent,
        outline: Vec<Point>,
        frame_size: (u32, u32),
    },
    /// A frame could not be read (bad pixel data); scanning goes on.
    FrameError(FrameError),
}

enum Job {
    Frame(RawFrame),
    Formats(Vec<Format>),
}

/// Where frames go in: cheap to clone, safe to hand to a camera thread.
#[derive(Clone)]
pub struct FrameSink {
    jobs: SyncSender<Job>,
    dropped: Arc<AtomicU64>,
}

impl FrameSink {
    /// Offers a frame; returns false (and counts it) when the worker is busy and it was dropped.
    pub fn offer(&self, frame: RawFrame) -> bool {
        match self.jobs.try_send(Job::Frame(frame)) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
}

pub struct DecodeWorker {
    jobs: SyncSender<Job>,
    events: Receiver<WorkerEvent>,
    dropped: Arc<AtomicU64>,
    decoded: Arc<AtomicU64>,
    formats: Arc<Mutex<Vec<Format>>>,
    handle: Option<JoinHandle<()>>,
}

/// The worker's memory of what it saw, and when.
struct Seen {
    /// Linear symbols read once, waiting for a second frame.
    pending: HashMap<(Format, String), Instant>,
    /// Symbols reported, for the repeat window.
    reported: HashMap<(Format, String), Instant>,
}

impl DecodeWorker {
    pub fn spawn(mut decoder: Box<dyn Decoder>, config: WorkerConfig) -> DecodeWorker {
        let (jobs, job_rx) = mpsc::sync_channel::<Job>(1);
        let (event_tx, events) = mpsc::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let decoded = Arc::new(AtomicU64::new(0));
        let formats = Arc::new(Mutex::new(config.formats.clone()));
        let counter = decoded.clone();
        let handle = std::thread::Builder::new()
            .name("lotkeeper-decode".into())
            .spawn(move || {
                let mut formats = config.formats.clone();
                let mut seen = Seen {
                    pending: HashMap::new(),
                    reported: HashMap::new(),
                };
                while let Ok(job) = job_rx.recv() {
                    match job {
                        Job::Formats(f) => formats = f,
                        Job::Frame(frame) => {
                            let out = decode_frame(
                                decoder.as_mut(),
                                &frame,
                                &formats,
                                &config,
                                &mut seen,
                                Instant::now(),
                            );
                            counter.fetch_add(1, Ordering::Relaxed);
                            for e in out {
                                if event_tx.send(e).is_err() {
                                    return;
                                }
                            }
                        }
                    }
                }
            })
            .expect("a thread can be spawned");
        DecodeWorker {
            jobs,
            events,
            dropped,
            decoded,
            formats,
            handle: Some(handle),
        }
    }

    /// Offers a frame; returns false (and counts it) when the worker is busy and it was dropped.
    pub fn offer(&self, frame: RawFrame) -> bool {
        self.sink().offer(frame)
    }

    /// A handle for a camera thread to offer frames through.
    pub fn sink(&self) -> FrameSink {
        FrameSink {
            jobs: self.jobs.clone(),
            dropped: self.dropped.clone(),
        }
    }

    /// What the current step expects (waits for the worker to take it: a format change is never
    /// dropped).
    pub fn set_formats(&self, formats: Vec<Format>) {
        if let Ok(mut f) = self.formats.lock() {
            f.clone_from(&formats);
        }
        let _ = self.jobs.send(Job::Formats(formats));
    }

    pub fn events(&self) -> &Receiver<WorkerEvent> {
        &self.events
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    pub fn decoded(&self) -> u64 {
        self.decoded.load(Ordering::Relaxed)
    }
}

impl Drop for DecodeWorker {
    fn drop(&mut self) {
        // Closing the queue ends the thread after its current frame.
        let (dead, _) = mpsc::sync_channel(1);
        self.jobs = dead;
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// One frame: viewfinder first, then the whole frame; confirmation and repeats applied.
fn decode_frame(
    decoder: &mut dyn Decoder,
    frame: &RawFrame,
    formats: &[Format],
    config: &WorkerConfig,
    seen: &mut Seen,
    now: Instant,
) -> Vec<WorkerEvent> {
    let luma = match frame.luma() {
        Ok(l) => l,
        Err(e) => return vec![WorkerEvent::FrameError(e)],
    };
    let Some(full) = LumaFrame::new(&luma, frame.width, frame.height, frame.width) else {
        return vec![WorkerEvent::FrameError(FrameError::Empty {
            width: frame.width,
            height: frame.height,
        })];
    };
    let mut symbols = Vec::new();
    if let Some((fx, fy, fw, fh)) = config.viewfinder {
        let (x, y) = (
            (fx * frame.width as f32) as u32,
            (fy * frame.height as f32) as u32,
        );
        let (w, h) = (
            (fw * frame.width as f32) as u32,
            (fh * frame.height as f32) as u32,
        );
        let region = full.crop(x, y, w, h);
        symbols = decoder.decode(&region, formats);
        for s in &mut symbols {
            for p in &mut s.position {
                p.x += x as f32;
                p.y += y as f32;
            }
        }
    }
    if symbols.is_empty() {
        symbols = decoder.decode(&full, formats);
    }
    seen.pending
        .retain(|_, t| now.duration_since(*t) <= config.confirm_within);
    seen.reported
        .retain(|_, t| now.duration_since(*t) <= config.repeat_window);
    let mut out = Vec::new();
    for s in symbols {
        let key = (s.format, s.text.clone());
        if let Some(t) = seen.reported.get_mut(&key) {
            *t = now; // still in view: keep it quiet
            continue;
        }
        if s.format.is_linear() && seen.pending.insert(key.clone(), now).is_none() {
            continue; // first sight of a linear symbol: wait for a second frame
        }
        seen.pending.remove(&key);
        seen.reported.insert(key, now);
        out.push(WorkerEvent::Scan {
            event: ScanEvent::from_symbol(&s),
            outline: s.position.clone(),
            frame_size: (frame.width, frame.height),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::frame::PixelFormat;
    use crate::scan::Effort;
    use crate::scan::{render_for_tests, RxingDecoder};

    /// Real symbols, rendered by rxing's encoder and read by the real decoder: 0 is an empty
    /// frame, 1 an EAN-13, 2 a QR code.
    fn frame(code: u8) -> RawFrame {
        let (data, width, height) = match code {
            1 => render_for_tests("4006381333931", Format::Ean13, 3, 320),
            2 => render_for_tests("LOC A-01-02", Format::QrCode, 4, 320),
            _ => (vec![255u8; 320 * 320], 320, 320),
        };
        RawFrame {
            data,
            width,
            height,
            format: PixelFormat::Gray,
        }
    }

    fn run(codes: &[u8], config: &WorkerConfig) -> Vec<String> {
        let mut d = RxingDecoder::new(Effort::Fast);
        let mut seen = Seen {
            pending: HashMap::new(),
            reported: HashMap::new(),
        };
        let frames: Vec<RawFrame> = (0..3).map(frame).collect();
        let start = Instant::now();
        codes
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                let at = start + Duration::from_millis(i as u64 * 33);
                decode_frame(
                    &mut d,
                    &frames[*c as usize],
                    &config.formats,
                    config,
                    &mut seen,
                    at,
                )
            })
            .map(|e| match e {
                WorkerEvent::Scan { event, .. } => event.text,
                WorkerEvent::FrameError(e) => e.to_string(),
            })
            .collect()
    }

    #[test]
    fn linear_needs_two_frames_2d_counts_at_once_repeats_are_quiet() {
        let c = WorkerConfig {
            viewfinder: None,
            ..Default::default()
        };
        assert_eq!(run(&[1], &c), Vec::<String>::new());
        assert_eq!(run(&[1, 1, 1, 1], &c), vec!["4006381333931"]);
        assert_eq!(run(&[2, 2, 2], &c), vec!["LOC A-01-02"]);
        // Gone for longer than the repeat window, then back: reported again.
        let mut codes = vec![2u8];
        codes.extend(std::iter::repeat_n(0u8, 50));
        codes.push(2);
        assert_eq!(run(&codes, &c).len(), 2);
        // The step expects DataMatrix only: neither symbol is reported.
        let dm = WorkerConfig {
            formats: vec![Format::DataMatrix],
            viewfinder: None,
            ..Default::default()
        };
        assert!(run(&[1, 1, 2, 2], &dm).is_empty());
        // The symbols sit in the middle: the default viewfinder finds them first.
        assert_eq!(run(&[2], &WorkerConfig::default()), vec!["LOC A-01-02"]);
    }

    #[test]
    fn busy_worker_drops_frames_and_keeps_going() {
        let w = DecodeWorker::spawn(
            Box::new(RxingDecoder::new(Effort::Fast)),
            WorkerConfig::default(),
        );
        let qr = frame(2);
        let mut accepted = 0;
        for _ in 0..200 {
            if w.offer(qr.clone()) {
                accepted += 1;
            }
        }
        assert!(
            w.dropped() > 0,
            "200 frames at once must overflow a queue of one"
        );
        assert_eq!(accepted + w.dropped(), 200);
        let ev = w.events().recv_timeout(Duration::from_secs(10)).unwrap();
        assert!(matches!(ev, WorkerEvent::Scan { ref event, .. } if event.text == "LOC A-01-02"));
        let bad = RawFrame {
            data: vec![0; 3],
            width: 64,
            height: 48,
            format: PixelFormat::Yuyv,
        };
        while !w.offer(bad.clone()) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let err = loop {
            match w.events().recv_timeout(Duration::from_secs(10)).unwrap() {
                WorkerEvent::FrameError(e) => break e,
                WorkerEvent::Scan { .. } => continue,
            }
        };
        assert!(err.to_string().contains("needs"), "{err}");
    }
}
