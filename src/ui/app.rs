//! The app's state on the UI thread and the wiring of every screen's adapter. Each screen's
//! mapping lives in its own module, as its `global` lives in its own file under `ui/`.

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use slint::ComponentHandle;

use super::{i18n, AppWindow};
use crate::ledger::Ledger;
use crate::scan::wedge::WedgeReader;
use crate::workflow::settings::Settings;
use crate::workflow::{Feedback, Workflow};

/// How the platform signals feedback without the screen: a sound, a vibration.
pub type Signal = Box<dyn Fn(Feedback)>;

/// The workflow on the workflow screen and its resume journal (see `resume.rs`).
#[derive(Default)]
pub(super) struct Flow {
    pub current: Option<Box<dyn Workflow>>,
    pub journal: Vec<String>,
}

/// The camera screen: how to open this build's camera, and the open view.
#[derive(Default)]
pub(super) struct Camera {
    pub opener: Option<Rc<dyn Fn() -> super::camera::Opener>>,
    pub view: Option<super::camera::CameraView>,
    pub timer: slint::Timer,
}

/// The status bar's sync: the database file (the agent opens its own connection) and the agent.
#[derive(Default)]
pub(super) struct Sync {
    pub db_path: Option<PathBuf>,
    pub agent: Option<crate::sync::agent::SyncAgent>,
}

/// Everything the screen's callbacks share. Lives on the UI thread.
pub struct App {
    pub window: AppWindow,
    pub ledger: RefCell<Ledger>,
    pub(super) flow: RefCell<Flow>,
    pub(super) wedge: RefCell<WedgeReader>,
    pub(super) started: Instant,
    /// When the last Enter came (see `key`).
    pub(super) last_enter: Cell<Option<Duration>>,
    pub(super) settings: RefCell<Settings>,
    /// What the workflows say, in the screens' language (None: English).
    pub(super) catalog: RefCell<Option<i18n::Catalog>>,
    pub(super) camera: RefCell<Camera>,
    pub(super) signal: RefCell<Option<Signal>>,
    pub(super) sync: RefCell<Sync>,
    pub(super) enroll: super::settings::Enrollment,
    /// The last print job handed to the sender (see `printing`).
    pub(super) spooled: Cell<i64>,
    /// This app, for what needs it shared (an enrollment scanned on any screen).
    pub(super) me: RefCell<std::rc::Weak<App>>,
}

impl App {
    /// Builds the window over a ledger (no event loop is started here).
    pub fn new(ledger: Ledger) -> Result<Rc<App>, slint::PlatformError> {
        let settings = Settings::load(&ledger).unwrap_or_default();
        if let Some(lang) = &settings.language {
            let _ = slint::select_bundled_translation(lang);
        }
        let catalog = i18n::Catalog::for_language(&super::language(&settings));
        let app = Rc::new(App {
            window: AppWindow::new()?,
            ledger: RefCell::new(ledger),
            flow: RefCell::default(),
            wedge: RefCell::new(WedgeReader::new(settings.wedge())),
            started: Instant::now(),
            last_enter: Cell::new(None),
            settings: RefCell::new(settings),
            catalog: RefCell::new(catalog),
            camera: RefCell::default(),
            signal: RefCell::new(None),
            sync: RefCell::default(),
            enroll: Default::default(),
            spooled: Cell::new(0),
            me: RefCell::new(std::rc::Weak::new()),
        });
        *app.me.borrow_mut() = Rc::downgrade(&app);
        super::home::wire(&app);
        super::workflow_screen::wire(&app);
        super::camera_screen::wire(&app);
        super::conflicts::wire(&app);
        super::settings::wire(&app);
        app.refresh_status();
        app.refresh_pick_lists();
        app.update_camera_offer();
        Ok(app)
    }

    /// A workflow's (or this layer's) English text in the screens' language.
    pub fn tr(&self, text: &str) -> String {
        match &*self.catalog.borrow() {
            Some(c) => c.tr(text),
            None => text.to_string(),
        }
    }

    /// Shows a screen, and gives the keys back to the scanner.
    pub(super) fn show_screen(&self, screen: i32) {
        self.window.set_screen(screen);
        self.keep_scanning();
    }

    /// A hardware scanner's keys reach the app whatever was tapped last: the window's key
    /// handler takes the focus back (every callback ends here).
    pub fn keep_scanning(&self) {
        self.window.invoke_keep_scanning();
    }

    /// Where the camera view gets its frames (the device camera, or a replay for demos and tests).
    pub fn set_camera(&self, opener: Rc<dyn Fn() -> super::camera::Opener>) {
        self.camera.borrow_mut().opener = Some(opener);
        self.update_camera_offer();
    }

    /// How accepted / refused scans are signalled besides the screen (sound, vibration).
    pub fn set_signal(&self, signal: Signal) {
        *self.signal.borrow_mut() = Some(signal);
    }

    /// Takes an enrollment's answer if it has come (the screen's timer does this; tests call it).
    pub fn poll_enroll(&self) -> bool {
        super::settings::finish_enroll(self)
    }

    pub(super) fn update_camera_offer(&self) {
        self.window
            .global::<super::WorkflowAdapter>()
            .set_camera_enabled(
                self.settings.borrow().camera && self.camera.borrow().opener.is_some(),
            );
    }
}

/// A callback that reaches the app while it lives, and gives the keys back to the scanner after.
pub(super) fn on<A: 'static>(app: &Rc<App>, f: impl Fn(&Rc<App>, A) + 'static) -> impl Fn(A) {
    let me = Rc::downgrade(app);
    move |a| {
        if let Some(app) = me.upgrade() {
            f(&app, a);
            app.keep_scanning();
        }
    }
}

/// [`on`] for a callback without arguments.
pub(super) fn on0(app: &Rc<App>, f: impl Fn(&Rc<App>) + 'static) -> impl Fn() {
    let f = on(app, move |app, ()| f(app));
    move || f(())
}
