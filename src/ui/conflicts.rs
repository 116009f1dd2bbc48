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

/// `2026-03-01T10:15:00Z` as `2026-03-01 10:15`.
fn minutes(t: &str) -> String {
    t.get(..16).unwrap_or(t).replace('T', " ")
}

impl App {
    /// The conflicts list from the ledger (also keeps the status bar's count true).
    pub(super) fn refresh_conflicts(&self) {
        let l = self.ledger.borrow();
        let moves = l.conflicts(false).unwrap_or_default().into_iter().map(|c| {
            let what = match (&c.lot, &c.serial) {
                (_, Some(s)) => format!("{} serial {}", c.item, s),
                (Some(l), None) => format!("{} lot {}", c.item, l),
                (None, None) => c.item.clone(),
            };
            ConflictRow {
                id: c.id.into(),
                title: format!("{} {} × {}", c.kind, what, c.qty).into(),
                detail: format!("{} → {} · {}", c.from, c.to, minutes(&c.created_at)).into(),
                reason: c.reason.into(),
            }
        });
        // Lot status changes (holds, releases, recalls) the server refused.
        let lots = l
            .lot_conflicts(false)
            .unwrap_or_default()
            .into_iter()
            .map(|c| ConflictRow {
                id: c.id.into(),
                title: format!("{} {} lot {}", c.kind, c.item, c.lot).into(),
                detail: format!("{} · {}", c.change_reason, minutes(&c.created_at)).into(),
                reason: c.reason.into(),
            });
        let rows: Vec<ConflictRow> = moves.chain(lots).collect();
        self.window
            .global::<StatusAdapter>()
            .set_conflicts(rows.len() as i32);
        self.window
            .global::<ConflictsAdapter>()
            .set_rows(ModelRc::new(VecModel::from(rows)));
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
