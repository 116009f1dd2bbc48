//! The settings screen (`SettingsAdapter`): the workflow settings, the language, and enrollment
//! (asked of the server off the UI thread; a timer takes the answer).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

use slint::ComponentHandle;

use super::app::{on0, App};
use super::{SettingsAdapter, WorkflowAdapter, SETTINGS};
use crate::workflow::settings::{DeviationPolicy, Settings};

/// An enrollment on its way: the server's answer (the device name), the server and the token.
#[derive(Default)]
pub(super) struct Enrollment {
    pending: RefCell<Option<Receiver<EnrollAnswer>>>,
    timer: slint::Timer,
}

/// What an enrollment comes back with: (server, token, device name), or why not.
type EnrollAnswer = Result<(String, String, String), String>;

pub(super) fn wire(app: &Rc<App>) {
    app.window
        .global::<WorkflowAdapter>()
        .on_open_settings(on0(app, |app| {
            app.close_camera();
            show_settings(app);
            app.show_screen(SETTINGS);
        }));
    let s = app.window.global::<SettingsAdapter>();
    s.on_save(on0(app, |app| save(app)));
    s.on_enroll(on0(app, enroll));
    s.on_retry_printing(on0(app, |app| {
        app.retry_print_jobs();
        app.window
            .global::<SettingsAdapter>()
            .set_print_queue(app.tr("Sending to the printer…").into());
    }));
}

fn show_settings(app: &App) {
    app.show_print_queue();
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
    // An enrollment QR code's text, scanned or pasted: its one-time code is exchanged for the
    // token, at the server the code names.
    if let Some((srv, code)) = crate::sync::enroll::parse_qr(&token) {
        s.set_server(srv.clone().into());
        s.set_token("".into());
        return start_enroll(app, move || {
            crate::sync::enroll::redeem(&srv, &code)
                .map(|got| (srv, got.token, got.device))
                .map_err(|e| e.to_string())
        });
    }
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
    start_enroll(app, move || {
        crate::sync::client::Client::new(&server, &token)
            .and_then(|c| c.whoami())
            .map(|device| (server, token, device))
            .map_err(|e| e.to_string())
    });
}

/// A scan anywhere in the app that is an enrollment QR code: Settings opens with it. A device
/// not enrolled yet enrolls at once; an enrolled one only when the person presses Enroll, having
/// seen which server the code names (a planted code must not move a handheld and its waiting
/// movements to another server). False for any other scan.
pub(super) fn enroll_from_scan(app: &Rc<App>, text: &str) -> bool {
    let Some((server, _)) = crate::sync::enroll::parse_qr(text) else {
        return false;
    };
    app.close_camera();
    show_settings(app);
    app.show_screen(SETTINGS);
    let s = app.window.global::<SettingsAdapter>();
    s.set_token(text.trim().into());
    if app.ledger.borrow().is_enrolled() {
        s.set_message_ok(false);
        s.set_message(
            app.tr(&format!(
                "This device is enrolled already. To enroll it with {server} instead, press Enroll this device"
            ))
            .into(),
        );
        return true;
    }
    enroll(app);
    true
}

/// Runs `ask` off the UI thread; [`finish_enroll`] takes its answer on the UI thread.
fn start_enroll(app: &Rc<App>, ask: impl FnOnce() -> EnrollAnswer + Send + 'static) {
    let s = app.window.global::<SettingsAdapter>();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(ask());
    });
    *app.enroll.pending.borrow_mut() = Some(rx);
    s.set_busy(true);
    s.set_message("".into());
    let me = Rc::downgrade(app);
    app.enroll.timer.start(
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
    let answer = match &*app.enroll.pending.borrow() {
        Some(rx) => match rx.try_recv() {
            Ok(r) => r,
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => Err("the enrollment stopped unexpectedly".into()),
        },
        None => return false,
    };
    if app.enroll.pending.borrow_mut().take().is_none() {
        return false;
    }
    app.enroll.timer.stop();
    let s = app.window.global::<SettingsAdapter>();
    s.set_busy(false);
    let stored = answer.and_then(|(server, token, device)| {
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
