//! The conflicts screen (`ConflictsAdapter`): the movements and lot changes the server refused,
//! and their dismissal with a note.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, VecModel};

use super::app::{on, on0, App};
use super::{ConflictRow, ConflictsAdapter, StatusAdapter, WorkflowAdapter, CONFLICTS};

pub(super) fn wire(app: &Rc<App>) {
    app.window
        .global::<WorkflowAdapter>()
        .on_open_conflicts(on0(app, |app| {
            app.close_camera();
            app.window
                .global::<ConflictsAdapter>()
                .set_message("".into());
            app.refresh_conflicts();
            app.show_screen(CONFLICTS);
        }));
    let dismiss = on(app, |app, (id, note): (String, String)| {
        app.dismiss(&id, &note)
    });
    app.window
        .global::<ConflictsAdapter>()
        .on_dismiss(move |id, note| dismiss((id.to_string(), note.to_string())));
}

/// How many resolved conflicts the screen lists under the open ones.
const RESOLVED_SHOWN: usize = 10;

/// Who resolved a conflict in the back office (`console:NAME` as the server records it), or ""
/// when it was dismissed on this device (`device:NAME`, or nothing before enrollment).
fn back_office_person(resolved_by: Option<&str>) -> &str {
    resolved_by
        .and_then(|by| by.strip_prefix("console:"))
        .unwrap_or("")
}

/// `2026-03-01T10:15:00Z` as `2026-03-01 10:15`.
fn minutes(t: &str) -> String {
    t.get(..16).unwrap_or(t).replace('T', " ")
}

impl App {
    /// The conflicts list from the ledger (also keeps the status bar's count true), and the
    /// newest resolved ones with who resolved them and their notes.
    pub(super) fn refresh_conflicts(&self) {
        let l = self.ledger.borrow();
        let moves = l.conflicts(true).unwrap_or_default().into_iter().map(|c| {
            let what = match (&c.lot, &c.serial) {
                (_, Some(s)) => format!("{} serial {}", c.item, s),
                (Some(l), None) => format!("{} lot {}", c.item, l),
                (None, None) => c.item.clone(),
            };
            let row = ConflictRow {
                id: c.id.into(),
                title: format!("{} {} × {}", c.kind, what, c.qty).into(),
                detail: format!("{} → {} · {}", c.from, c.to, minutes(&c.created_at)).into(),
                reason: c.reason.into(),
                note: c.note.unwrap_or_default().into(),
                back_office_by: back_office_person(c.resolved_by.as_deref()).into(),
            };
            (c.state == "conflict", c.updated_at, row)
        });
        // Lot status changes (holds, releases, recalls) the server refused; only the device
        // dismisses these.
        let lots = l
            .lot_conflicts(true)
            .unwrap_or_default()
            .into_iter()
            .map(|c| {
                let row = ConflictRow {
                    id: c.id.into(),
                    title: format!("{} {} lot {}", c.kind, c.item, c.lot).into(),
                    detail: format!("{} · {}", c.change_reason, minutes(&c.created_at)).into(),
                    reason: c.reason.into(),
                    note: c.note.unwrap_or_default().into(),
                    back_office_by: "".into(),
                };
                (c.state == "conflict", c.created_at, row)
            });
        let (open, mut done): (Vec<_>, Vec<_>) = moves.chain(lots).partition(|(open, ..)| *open);
        let rows: Vec<ConflictRow> = open.into_iter().map(|(.., row)| row).collect();
        // Most recently resolved first (a refused lot change: by when it was made); a long-lived
        // device keeps every dismissed conflict, the screen a few.
        done.sort_by(|a, b| b.1.cmp(&a.1));
        let resolved: Vec<ConflictRow> = done
            .into_iter()
            .take(RESOLVED_SHOWN)
            .map(|(.., row)| row)
            .collect();
        self.window
            .global::<StatusAdapter>()
            .set_conflicts(rows.len() as i32);
        self.window
            .global::<ConflictsAdapter>()
            .set_rows(ModelRc::new(VecModel::from(rows)));
        self.window
            .global::<ConflictsAdapter>()
            .set_resolved(ModelRc::new(VecModel::from(resolved)));
    }

    fn dismiss(&self, id: &str, note: &str) {
        let c = self.window.global::<ConflictsAdapter>();
        let r = self.ledger.borrow_mut().dismiss_conflict(id, note);
        match r {
            Ok(()) => {
                c.set_message("".into());
                c.set_note("".into());
            }
            Err(e) => c.set_message(e.to_string().into()),
        }
        self.refresh_conflicts();
    }
}
