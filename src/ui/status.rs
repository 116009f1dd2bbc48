//! The status bar (`StatusAdapter`): pending, conflicts, last sync and warnings from the ledger,
//! and the sync agent's reports (it runs off the UI thread; they come back through the event loop).

use std::path::Path;

use slint::ComponentHandle;

use super::app::App;
use super::StatusAdapter;

impl App {
    /// The status bar from the ledger (pending, conflicts, last sync).
    pub fn refresh_status(&self) {
        self.refresh_conflicts();
        let l = self.ledger.borrow();
        let s = self.window.global::<StatusAdapter>();
        let (pending, conflicts) = l.outbox_counts().unwrap_or((0, 0));
        s.set_enrolled(l.sync_value("server").ok().flatten().is_some());
        s.set_pending(pending as i32);
        s.set_conflicts(conflicts as i32);
        let standing = crate::sync::client::Standing::of(&l).unwrap_or_default();
        s.set_revoked(standing.revoked);
        s.set_clock_off_hours(standing.clock_off_hours().unwrap_or(0) as i32);
        s.set_last_sync(
            l.sync_value("last_success")
                .ok()
                .flatten()
                .map(|t| t.get(..16).unwrap_or(&t).replace('T', " "))
                .unwrap_or_default()
                .into(),
        );
    }

    /// The database file the sync agent opens; syncing starts when the device is enrolled.
    pub(super) fn sync_from(&self, db: &Path) {
        self.sync.borrow_mut().db_path = Some(db.to_path_buf());
        self.start_sync();
    }

    /// Syncs off the UI thread when enrolled; its status comes back through the event loop.
    pub(crate) fn start_sync(&self) {
        let enrolled = self
            .ledger
            .borrow()
            .sync_value("server")
            .ok()
            .flatten()
            .is_some();
        let mut sync = self.sync.borrow_mut();
        let Some(db) = sync.db_path.clone() else {
            return;
        };
        if !enrolled || sync.agent.is_some() {
            return;
        }
        let weak = self.window.as_weak();
        let agent = crate::sync::agent::SyncAgent::start(db, Default::default(), move |s| {
            let s = s.clone();
            let weak = weak.clone();
            let _ = slint::invoke_from_event_loop(move || {
                if let Some(w) = weak.upgrade() {
                    let g = w.global::<StatusAdapter>();
                    g.set_online(s.online);
                    g.set_pending(s.pending as i32);
                    g.set_conflicts(s.conflicts as i32);
                    g.set_revoked(s.revoked);
                    g.set_clock_off_hours(s.clock_off_hours.unwrap_or(0) as i32);
                }
            });
        });
        sync.agent = Some(agent);
    }
}
