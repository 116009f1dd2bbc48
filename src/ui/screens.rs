//! The Conflicts and Settings screens: mapping only, between their adapters and the ledger's
//! conflicts, the workflow settings and the sync client.

use std::rc::Rc;
use std::time::Duration;

use slint::{ComponentHandle, ModelRc, VecModel};

use super::{App, ConflictRow, ConflictsAdapter, SettingsAdapter, CONFLICTS, SETTINGS};
use crate::workflow::settings::{DeviationPolicy, Settings};

pub(super) fn wire(app: &Rc<App>) {
    let wf = app.window.global::<super::WorkflowAdapter>();
    let me = Rc::downgrade(app);
    wf.on_open_conflicts(move || {
        if let Some(app) = me.upgrade() {
            app.close_camera();
            let c = app.window.global::<ConflictsAdapter>();
            c.set_message("".into());
            refresh_conflicts(&app);
            app.window.set_screen(CONFLICTS);
        }
    });
    let me = Rc::downgrade(app);
    wf.on_open_settings(move || {
        if let Some(app) = me.upgrade() {
            app.close_camera();
            show_settings(&app);
            app.window.set_screen(SETTINGS);
        }
    });
    let me = Rc::downgrade(app);
    app.window
        .global::<ConflictsAdapter>()
        .on_dismiss(move |id, note| {
            if let Some(app) = me.upgrade() {
                dismiss(&app, &id, &note);
            }
        });
    let s = app.window.global::<SettingsAdapter>();
    let me = Rc::downgrade(app);
    s.on_save(move || {
        if let Some(app) = me.upgrade() {
            save(&app);
        }
    });
    let me = Rc::downgrade(app);
    s.on_enroll(move || {
        if let Some(app) = me.upgrade() {
            enroll(&app);
        }
    });
}

/// The conflicts list from the ledger (also keeps the status bar's count true).
pub(super) fn refresh_conflicts(app: &App) {
    let rows = app.ledger.borrow().conflicts(false).unwrap_or_default();
    let rows: Vec<ConflictRow> = rows
        .into_iter()
        .map(|c| {
            let what = match (&c.lot, &c.serial) {
                (_, Some(s)) => format!("{} serial {}", c.item, s),
                (Some(l), None) => format!("{} lot {}", c.item, l),
                (None, None) => c.item.clone(),
            };
            ConflictRow {
                id: c.id.clone().into(),
                title: format!("{} {} × {}", c.kind, what, c.qty).into(),
                detail: format!(
                    "{} → {} · {}",
                    c.from,
                    c.to,
                    c.created_at
                        .get(..16)
                        .unwrap_or(&c.created_at)
                        .replace('T', " ")
                )
                .into(),
                reason: c.reason.into(),
            }
        })
        .collect();
    // Lot status changes (holds, releases, recalls) the server refused.
    let lot_rows = app.ledger.borrow().lot_conflicts(false).unwrap_or_default();
    let rows: Vec<ConflictRow> = rows
        .into_iter()
        .chain(lot_rows.into_iter().map(|c| {
            ConflictRow {
                id: c.id.clone().into(),
                title: format!("{} {} lot {}", c.kind, c.item, c.lot).into(),
                detail: format!(
                    "{} · {}",
                    c.change_reason,
                    c.created_at
                        .get(..16)
                        .unwrap_or(&c.created_at)
                        .replace('T', " ")
                )
                .into(),
                reason: c.reason.into(),
            }
        }))
        .collect();
    app.window
        .global::<super::StatusAdapter>()
        .set_conflicts(rows.len() as i32);
    app.window
        .global::<ConflictsAdapter>()
        .set_rows(ModelRc::new(VecModel::from(rows)));
}

fn dismiss(app: &App, id: &str, note: &str) {
    let c = app.window.global::<ConflictsAdapter>();
    let r = app.ledger.borrow_mut().dismiss_conflict(id, note);
    match r {
        Ok(()) => {
            c.set_message("".into());
            c.set_note("".into());
        }
        Err(e) => c.set_message(e.to_string().into()),
    }
    refresh_conflicts(app);
}

fn show_settings(app: &App) {
    let s = app.window.global::<SettingsAdapter>();
    let st = app.settings.borrow();
    s.set_prefix(st.scanner_prefix.clone().into());
    s.set_suffix(st.scanner_suffix.clone().into());
    s.set_gs(st.scanner_gs.clone().into());
    s.set_camera(st.camera);
    s.set_sounds(st.sounds);
    s.set_stop_on_deviation(st.deviation == DeviationPolicy::Stop);
    s.set_language(st.language.clone().unwrap_or_default().into());
    s.set_message("".into());
    show_enrollment(app);
}

fn show_enrollment(app: &App) {
    let s = app.window.global::<SettingsAdapter>();
    let l = app.ledger.borrow();
    let server = l.sync_value("server").ok().flatten();
    let device = l.sync_value("device").ok().flatten();
    if let Some(server) = &server {
        s.set_server(server.clone().into());
    }
    s.set_token("".into());
    s.set_enrolled_as(match (server, device) {
        (Some(server), Some(device)) => app
            .tr(&format!("Enrolled as {device} with {server}"))
            .into(),
        _ => "".into(),
    });
}

fn save(app: &App) {
    let s = app.window.global::<SettingsAdapter>();
    let mut st = app.settings.borrow().clone();
    st.scanner_prefix = s.get_prefix().to_string();
    st.scanner_suffix = s.get_suffix().to_string();
    st.scanner_gs = s.get_gs().to_string();
    st.camera = s.get_camera();
    st.sounds = s.get_sounds();
    st.deviation = if s.get_stop_on_deviation() {
        DeviationPolicy::Stop
    } else {
        DeviationPolicy::RequireReason
    };
    let lang = s.get_language().to_string();
    st.language = (!lang.is_empty()).then_some(lang);
    let saved = st.save(&mut app.ledger.borrow_mut());
    match saved {
        Ok(()) => {
            apply(app, st);
            s.set_message_ok(true);
            s.set_message(app.tr("Saved").into());
        }
        Err(e) => {
            s.set_message_ok(false);
            s.set_message(e.to_string().into());
        }
    }
}

/// Settings take effect at once: the wedge reader, the camera offer, the language.
fn apply(app: &App, st: Settings) {
    app.wedge.borrow_mut().config = st.wedge();
    *app.catalog.borrow_mut() = super::i18n::Catalog::for_language(&super::language(&st));
    match &st.language {
        Some(lang) => {
            let _ = slint::select_bundled_translation(lang);
        }
        None => super::select_language_from_env(),
    }
    *app.settings.borrow_mut() = st;
    app.update_camera_offer();
}

/// Enrollment asks the server who the token belongs to, off the UI thread; the screen shows it
/// is working, and the answer is stored (and sync starts) back on the UI thread.
fn enroll(app: &Rc<App>) {
    let s = app.window.global::<SettingsAdapter>();
    let server = s.get_server().trim().to_string();
    let token = s.get_token().trim().to_string();
    if !(server.starts_with("https://") || server.starts_with("http://")) {
        s.set_message_ok(false);
        s.set_message(app.tr("The server address must start with https://").into());
        return;
    }
    if token.is_empty() {
        s.set_message_ok(false);
        s.set_message(
            app.tr("Type the enrollment token the back office gave for this device")
                .into(),
        );
        return;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let (srv, tok) = (server.clone(), token.clone());
    std::thread::spawn(move || {
        let r = crate::sync::client::Client::new(&srv, &tok)
            .and_then(|c| c.whoami())
            .map_err(|e| e.to_string());
        let _ = tx.send(r);
    });
    *app.enrolling.borrow_mut() = Some((rx, server, token));
    s.set_busy(true);
    s.set_message("".into());
    let me = Rc::downgrade(app);
    app.enroll_timer.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(50),
        move || {
            if let Some(app) = me.upgrade() {
                finish_enroll(&app);
            }
        },
    );
}

/// Takes the enrollment's answer once it has come; false while it is still on its way.
pub(super) fn finish_enroll(app: &App) -> bool {
    let answer = match &*app.enrolling.borrow() {
        Some((rx, _, _)) => match rx.try_recv() {
            Ok(r) => r,
            Err(std::sync::mpsc::TryRecvError::Empty) => return false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                Err("the enrollment stopped unexpectedly".into())
            }
        },
        None => return false,
    };
    let Some((_, server, token)) = app.enrolling.borrow_mut().take() else {
        return false;
    };
    app.enroll_timer.stop();
    let s = app.window.global::<SettingsAdapter>();
    s.set_busy(false);
    let stored = answer.and_then(|device| {
        app.ledger
            .borrow_mut()
            .enroll(&server, &token, &device)
            .map_err(|e| e.to_string())
    });
    match stored {
        Ok(()) => {
            s.set_message_ok(true);
            s.set_message(
                app.tr("Enrolled: movements made from now on will sync")
                    .into(),
            );
            show_enrollment(app);
            app.start_sync();
            app.refresh_status();
        }
        Err(e) => {
            s.set_message_ok(false);
            s.set_message(app.tr(&format!("Not enrolled: {e}")).into());
        }
    }
    true
}
