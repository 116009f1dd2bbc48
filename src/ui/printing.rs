//! Print jobs leave the screen's thread: a workflow queues its labels in the ledger, and the app
//! sends each new job from a background thread with a connection of its own, so a printer that
//! does not answer never freezes the screen. A job that did not print stays queued; the Settings
//! screen says so and retries it.

use std::time::Duration;

use slint::ComponentHandle;

use super::app::App;
use super::{SettingsAdapter, WorkflowAdapter};
use crate::label::jobs;
use crate::ledger::Ledger;

/// How long a printer gets to take a connection and then each write.
const TIMEOUT: Duration = Duration::from_secs(5);

impl App {
    /// Sends the jobs queued since the last call (new ones only: a failed job waits for Retry).
    pub(super) fn send_new_print_jobs(&self) {
        let jobs = self.ledger.borrow().print_jobs(false).unwrap_or_default();
        let from = self.spooled.get();
        let new: Vec<i64> = jobs
            .iter()
            .filter(|j| j.id > from && j.attempts == 0)
            .map(|j| j.id)
            .collect();
        if let Some(last) = new.iter().max() {
            self.spooled.set(*last);
        }
        self.send_print_jobs(new);
    }

    /// Sends every job still queued (the Settings screen's Retry).
    pub(super) fn retry_print_jobs(&self) {
        let jobs = self.ledger.borrow().print_jobs(false).unwrap_or_default();
        self.send_print_jobs(jobs.iter().map(|j| j.id).collect());
    }

    fn send_print_jobs(&self, ids: Vec<i64>) {
        let Some(db) = self.sync.borrow().db_path.clone() else {
            return;
        };
        if ids.is_empty() {
            return;
        }
        let weak = self.window.as_weak();
        std::thread::spawn(move || {
            let mut failed = Vec::new();
            if let Ok(mut ledger) = Ledger::open(&db) {
                for id in ids {
                    // Taken first: a job another sender has, or one printed, is left alone.
                    match jobs::retry(&mut ledger, id, TIMEOUT) {
                        Ok(_) => {}
                        Err(jobs::JobError::Queued { error, .. }) => failed.push(error.to_string()),
                        Err(_) => {}
                    }
                }
            }
            let _ = slint::invoke_from_event_loop(move || {
                let Some(w) = weak.upgrade() else {
                    return;
                };
                if let Some(e) = failed.first() {
                    let wf = w.global::<WorkflowAdapter>();
                    wf.set_feedback(3);
                    wf.set_message(
                        format!("{e}: the labels stay queued (Settings, Retry printing)").into(),
                    );
                }
                w.global::<SettingsAdapter>()
                    .set_print_queue(queue_text(&db).into());
            });
        });
    }

    /// What the Settings screen says of the print queue.
    pub(super) fn show_print_queue(&self) {
        let ledger = self.ledger.borrow();
        let s = self.window.global::<SettingsAdapter>();
        s.set_print_queue(describe(&ledger).into());
        s.set_printers(printers(&ledger).into());
    }
}

/// A label as it will print, for the screen: drawn from the same layout as the ZPL.
pub(super) fn preview_image(p: &crate::label::print::Preview) -> Option<slint::Image> {
    let layout = crate::label::layout(&p.label, p.size, p.dpi).ok()?;
    let gray = crate::label::raster::image(&layout).ok()?;
    let rgb: Vec<u8> = gray.as_raw().iter().flat_map(|v| [*v, *v, *v]).collect();
    let buf = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::clone_from_slice(
        &rgb,
        gray.width(),
        gray.height(),
    );
    Some(slint::Image::from_rgb8(buf))
}

/// The printers this device knows (set on the back office), one a line:
/// "DOCK-ZEBRA 10.0.0.7:9100, 4x2 in, 203 dpi: receive, lookup".
fn printers(ledger: &Ledger) -> String {
    ledger
        .printers()
        .unwrap_or_default()
        .iter()
        .map(|p| {
            let uses = if p.default_for.is_empty() {
                String::new()
            } else {
                format!(": {}", p.default_for.join(", "))
            };
            format!(
                "{} {}, {} in, {} dpi{uses}",
                p.name, p.address, p.size, p.dpi
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn queue_text(db: &std::path::Path) -> String {
    Ledger::open(db).map(|l| describe(&l)).unwrap_or_default()
}

/// "2 print jobs waiting: printer DOCK at 10.0.0.7:9100 does not answer", or empty.
fn describe(ledger: &Ledger) -> String {
    let jobs = ledger.print_jobs(false).unwrap_or_default();
    match jobs.last() {
        None => String::new(),
        Some(j) => {
            let n = jobs.len();
            let what = if n == 1 {
                "1 print job waiting".to_string()
            } else {
                format!("{n} print jobs waiting")
            };
            match &j.last_error {
                Some(e) => format!("{what}: {e}"),
                None => format!("{what} for {}", j.printer),
            }
        }
    }
}
