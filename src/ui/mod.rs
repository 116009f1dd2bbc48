//! The touch UI: Slint screens (`ui/*.slint`) over the workflows. Each screen's `global`
//! adapter has one Rust module that only maps: a workflow's plain-data `View` and `Outcome`
//! onto the adapter, and the adapter's callbacks onto workflow events. Business rules live in
//! `workflow` and `ledger`; this module is the wiring.

mod app;
pub mod camera;
mod camera_screen;
mod conflicts;
pub mod headless;
mod home;
pub mod i18n;
mod printing;
mod resume;
mod settings;
mod status;
mod workflow_screen;

use std::path::{Path, PathBuf};
use std::rc::Rc;

pub use app::{App, Signal};

slint::include_modules!();

/// Screens of `AppWindow.screen`.
pub(crate) const HOME: i32 = 0;
pub(crate) const WORKFLOW: i32 = 1;
pub(crate) const PICK_LISTS: i32 = 2;
pub(crate) const CONFLICTS: i32 = 3;
pub(crate) const SETTINGS: i32 = 4;
pub(crate) const CAMERA: i32 = 5;

/// What can stop the app from starting or rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Ledger(#[from] crate::ledger::Error),
    #[error("the screen could not be opened: {0}")]
    Platform(#[from] slint::PlatformError),
    #[error("the event loop stopped: {0}")]
    EventLoop(#[from] slint::EventLoopError),
    #[error("no window to render")]
    NoWindow,
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// `lotkeeper` with no command: the app over the database (the demo warehouse when empty).
/// `replay` stands in for the camera (a folder of images or a Motion-JPEG file).
pub fn run(db: &Path, replay: Option<PathBuf>) -> Result<(), Error> {
    select_language_from_env();
    let app = open_app(db, true)?;
    if replay.is_some() || has_device_camera() {
        app.set_camera(Rc::new(move || {
            crate::scan::camera::source_opener(replay.clone(), 0)
        }));
    }
    app.resume();
    app.window.show()?;
    app.keep_scanning();
    app.window.run()?;
    Ok(())
}

/// Whether this build has a device camera to offer (desktop `camera` feature, or Android).
pub fn has_device_camera() -> bool {
    cfg!(any(feature = "camera", target_os = "android"))
}

/// The app over a database file, syncing when enrolled; with `demo`, an empty database gets the
/// demo warehouse (the desktop's first run; never on a device, whose stock comes from the server).
pub fn open_app(db: &Path, demo: bool) -> Result<Rc<App>, Error> {
    let mut ledger = crate::ledger::Ledger::open(db)?;
    if demo && ledger.is_empty()? {
        crate::ledger::demo::fill(&mut ledger)?;
    }
    let app = App::new(ledger)?;
    app.sync_from(db);
    Ok(app)
}

/// Whether a window can be opened here.
pub fn display_available() -> bool {
    !cfg!(target_os = "linux")
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// The language the settings choose, else the system's (`LANG`).
fn language(settings: &crate::workflow::settings::Settings) -> String {
    settings
        .language
        .clone()
        .unwrap_or_else(|| std::env::var("LANG").unwrap_or_default())
}

/// The screens' language from `LANG` (`es_ES.UTF-8` gives Spanish); English when not shipped.
pub fn select_language_from_env() {
    let lang = std::env::var("LANG").unwrap_or_default();
    let code = lang.split(['_', '.']).next().unwrap_or("");
    if !code.is_empty() {
        let _ = slint::select_bundled_translation(code);
    }
}
