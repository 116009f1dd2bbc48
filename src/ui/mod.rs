//! The touch UI: Slint screens (`ui/app.slint`) over the workflows. This module only maps: a
//! workflow's plain-data `View` and `Outcome` onto the screen's adapter, and the screen's
//! callbacks onto workflow events. Business rules live in `workflow` and `ledger`.

pub mod camera;
pub mod headless;
pub mod i18n;
mod screens;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::ledger::Ledger;
use crate::scan::wedge::{WedgeInput, WedgeReader};
use crate::scan::ScanEvent;
use crate::workflow::count::Count;
use crate::workflow::session;
use crate::workflow::settings::{self, Settings};
use crate::workflow::{Event, Expect, Feedback, Outcome, Workflow};

slint::include_modules!();

/// Screens of `AppWindow.screen`.
const HOME: i32 = 0;
const WORKFLOW: i32 = 1;
const PICK_LISTS: i32 = 2;
const CONFLICTS: i32 = 3;
const SETTINGS: i32 = 4;
const CAMERA: i32 = 5;

/// The settings key of the resume journal: the current workflow as a session script (its start
/// line and the events since its last posting), so a workflow the OS killed resumes on restart.
const RESUME_KEY: &str = "ui.resume";

/// Which workflow the workflow screen shows; Count waits for its location first.
enum Current {
    None,
    CountLocation,
    Flow(Box<dyn Workflow>),
}

/// How the platform signals feedback without the screen: a sound, a vibration.
pub type Signal = Box<dyn Fn(Feedback)>;

/// Everything the screen's callbacks share. Lives on the UI thread.
pub struct App {
    pub window: AppWindow,
    pub ledger: RefCell<Ledger>,
    current: RefCell<Current>,
    wedge: RefCell<WedgeReader>,
    started: Instant,
    settings: RefCell<Settings>,
    /// What the workflows say, in the screens' language (None: English).
    catalog: RefCell<Option<i18n::Catalog>>,
    /// The resume journal of the current workflow (see [`RESUME_KEY`]).
    journal: RefCell<Vec<String>>,
    /// Opens this build's camera, when it has one (the replay source counts).
    camera_opener: RefCell<Option<Rc<dyn Fn() -> camera::Opener>>>,
    camera: RefCell<Option<camera::CameraView>>,
    camera_timer: slint::Timer,
    signal: RefCell<Option<Signal>>,
    /// The database file, for the sync agent (which opens its own connection).
    db_path: RefCell<Option<PathBuf>>,
    agent: RefCell<Option<crate::sync::agent::SyncAgent>>,
    /// An enrollment on its way: the answer, the server and the token.
    #[allow(clippy::type_complexity)]
    enrolling: RefCell<
        Option<(
            std::sync::mpsc::Receiver<Result<String, String>>,
            String,
            String,
        )>,
    >,
    enroll_timer: slint::Timer,
}

fn feedback_code(f: Feedback) -> i32 {
    match f {
        Feedback::Accepted => 1,
        Feedback::NeedsMore => 2,
        Feedback::Refused => 3,
        Feedback::Done => 4,
    }
}

fn strings(v: Vec<String>) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(
        v.into_iter().map(SharedString::from).collect::<Vec<_>>(),
    ))
}

impl App {
    /// Builds the window over a ledger (no event loop is started here).
    pub fn new(ledger: Ledger) -> Result<Rc<App>, slint::PlatformError> {
        let settings = Settings::load(&ledger).unwrap_or_default();
        if let Some(lang) = &settings.language {
            let _ = slint::select_bundled_translation(lang);
        }
        let catalog = i18n::Catalog::for_language(&language(&settings));
        let app = Rc::new(App {
            window: AppWindow::new()?,
            ledger: RefCell::new(ledger),
            current: RefCell::new(Current::None),
            wedge: RefCell::new(WedgeReader::new(settings.wedge())),
            started: Instant::now(),
            settings: RefCell::new(settings),
            catalog: RefCell::new(catalog),
            journal: RefCell::new(Vec::new()),
            camera_opener: RefCell::new(None),
            camera: RefCell::new(None),
            camera_timer: slint::Timer::default(),
            signal: RefCell::new(None),
            db_path: RefCell::new(None),
            agent: RefCell::new(None),
            enrolling: RefCell::new(None),
            enroll_timer: slint::Timer::default(),
        });
        app.wire();
        screens::wire(&app);
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

    /// Takes an enrollment's answer if it has come (the screen's timer does this; tests call it).
    pub fn poll_enroll(&self) -> bool {
        screens::finish_enroll(self)
    }

    /// Where the camera view gets its frames (the device camera, or a replay for demos and tests).
    pub fn set_camera(&self, opener: Rc<dyn Fn() -> camera::Opener>) {
        *self.camera_opener.borrow_mut() = Some(opener);
        self.update_camera_offer();
    }

    /// How accepted / refused scans are signalled besides the screen (sound, vibration).
    pub fn set_signal(&self, signal: Signal) {
        *self.signal.borrow_mut() = Some(signal);
    }

    fn update_camera_offer(&self) {
        self.window.global::<WorkflowAdapter>().set_camera_enabled(
            self.settings.borrow().camera && self.camera_opener.borrow().is_some(),
        );
    }

    fn wire(self: &Rc<Self>) {
        let home = self.window.global::<HomeAdapter>();
        let wf = self.window.global::<WorkflowAdapter>();
        let me = Rc::downgrade(self);
        home.on_open(move |name| {
            if let Some(app) = me.upgrade() {
                app.open(&name);
            }
        });
        let me = Rc::downgrade(self);
        home.on_open_pick_list(move |label| {
            if let Some(app) = me.upgrade() {
                app.open_pick_list(&label);
            }
        });
        let me = Rc::downgrade(self);
        wf.on_submit(move |text| {
            if let Some(app) = me.upgrade() {
                app.window.global::<WorkflowAdapter>().set_answer("".into());
                app.event(Event::Enter(text.to_string()));
            }
        });
        let me = Rc::downgrade(self);
        wf.on_choose(move |o| {
            if let Some(app) = me.upgrade() {
                app.event(Event::Choose(o.to_string()));
            }
        });
        for (set, ev) in [(0, Event::Confirm), (1, Event::Cancel), (2, Event::Back)] {
            let me = Rc::downgrade(self);
            let handler = move || {
                if let Some(app) = me.upgrade() {
                    app.event(ev.clone());
                }
            };
            match set {
                0 => wf.on_confirm(handler),
                1 => wf.on_cancel(handler),
                _ => wf.on_back(handler),
            }
        }
        let me = Rc::downgrade(self);
        wf.on_home(move || {
            if let Some(app) = me.upgrade() {
                app.go_home();
            }
        });
        let me = Rc::downgrade(self);
        wf.on_backspace(move || {
            if let Some(app) = me.upgrade() {
                let wf = app.window.global::<WorkflowAdapter>();
                let mut a = wf.get_answer().to_string();
                a.pop();
                wf.set_answer(a.into());
            }
        });
        let me = Rc::downgrade(self);
        wf.on_open_camera(move || {
            if let Some(app) = me.upgrade() {
                app.open_camera();
            }
        });
        let cam = self.window.global::<CameraAdapter>();
        let me = Rc::downgrade(self);
        cam.on_close(move || {
            if let Some(app) = me.upgrade() {
                app.close_camera();
                app.window.set_screen(WORKFLOW);
            }
        });
        let me = Rc::downgrade(self);
        cam.on_toggle_torch(move || {
            if let Some(app) = me.upgrade() {
                if let Some(c) = &*app.camera.borrow() {
                    c.set_torch(!c.torch());
                    app.window.global::<CameraAdapter>().set_torch(c.torch());
                }
            }
        });
        let me = Rc::downgrade(self);
        wf.on_key(move |text| {
            if let Some(app) = me.upgrade() {
                app.key(&text);
            }
        });
    }

    /// A home tile.
    pub fn open(&self, name: &str) {
        match name {
            "pick" => {
                self.refresh_pick_lists();
                self.window.set_screen(PICK_LISTS);
            }
            "count" => {
                *self.current.borrow_mut() = Current::CountLocation;
                *self.journal.borrow_mut() = Vec::new();
                let wf = self.window.global::<WorkflowAdapter>();
                wf.set_title(self.tr("Count").into());
                wf.set_prompt(self.tr("Scan the location to count").into());
                wf.set_fields(ModelRc::default());
                wf.set_lines(ModelRc::default());
                wf.set_options(ModelRc::default());
                wf.set_numeric(false);
                wf.set_message("".into());
                wf.set_feedback(0);
                self.window.set_screen(WORKFLOW);
            }
            "receive" | "transfer" | "lookup" => {
                let flow = session::start(&self.ledger.borrow(), name);
                if let Ok(f) = flow {
                    self.start(f, name.to_string());
                }
            }
            _ => {}
        }
    }

    /// Back to the home screen: the current workflow is left (and no longer resumed).
    pub fn go_home(&self) {
        self.close_camera();
        *self.current.borrow_mut() = Current::None;
        self.journal.borrow_mut().clear();
        self.save_journal();
        self.refresh_pick_lists();
        self.refresh_status();
        self.window.set_screen(HOME);
    }

    /// A pick list from the open lists (its label starts with its number).
    pub fn open_pick_list(&self, label: &str) {
        let number = label.split_whitespace().next().unwrap_or("");
        let line = format!("pick {number}");
        let opened = session::start(&self.ledger.borrow(), &line);
        match opened {
            Ok(p) => self.start(p, line),
            Err(e) => {
                self.window.set_screen(WORKFLOW);
                self.show_outcome(&Outcome::refused(e));
            }
        }
    }

    /// `line` is how the session script starts this workflow again (the resume journal).
    fn start(&self, flow: Box<dyn Workflow>, line: String) {
        *self.current.borrow_mut() = Current::Flow(flow);
        *self.journal.borrow_mut() = vec![format!("start {line}")];
        self.save_journal();
        let wf = self.window.global::<WorkflowAdapter>();
        wf.set_message("".into());
        wf.set_feedback(0);
        self.show_view();
        self.window.set_screen(WORKFLOW);
    }

    /// Sends an event to the current workflow and shows what it did.
    pub fn event(&self, event: Event) {
        let waiting_for_location = matches!(*self.current.borrow(), Current::CountLocation);
        if waiting_for_location {
            let code = match &event {
                Event::Scan(s) => s.text.clone(),
                Event::Enter(t) => t.trim().to_string(),
                _ => return,
            };
            let started = Count::start(&self.ledger.borrow(), &code);
            match started {
                Ok(c) => self.start(Box::new(c), format!("count {code}")),
                Err(e) => self.show_outcome(&Outcome::refused(e)),
            }
            return;
        }
        let line = session::event_line(&event);
        let outcome = {
            let mut current = self.current.borrow_mut();
            let Current::Flow(flow) = &mut *current else {
                return;
            };
            flow.handle(&mut self.ledger.borrow_mut(), event)
        };
        self.show_outcome(&outcome);
        self.show_view();
        self.journal_event(line, &outcome);
        if !outcome.posted.is_empty() {
            self.refresh_status();
        }
    }

    /// Keeps the resume journal: refused events changed nothing; a posting starts it afresh.
    /// A pick list keeps its own progress in the database, so only its start line is kept.
    fn journal_event(&self, line: String, outcome: &Outcome) {
        let changed = {
            let mut j = self.journal.borrow_mut();
            let is_pick = j.first().map(|s| s.starts_with("start pick "));
            match is_pick {
                None => false,
                Some(_) if !outcome.posted.is_empty() => {
                    j.truncate(1);
                    true
                }
                Some(false) if outcome.feedback != Feedback::Refused => {
                    j.push(line);
                    true
                }
                Some(_) => false,
            }
        };
        if changed {
            self.save_journal();
        }
    }

    fn save_journal(&self) {
        let text = self.journal.borrow().join("\n");
        let value = (!text.is_empty()).then_some(text.as_str());
        if let Err(e) = settings::put(&mut self.ledger.borrow_mut(), RESUME_KEY, value) {
            self.show_outcome(&Outcome::refused(format!(
                "could not save the workflow's progress: {e}"
            )));
        }
    }

    /// After a restart: the workflow that was on screen, where it was left. Returns whether one
    /// was resumed. A journal that no longer applies (the pick list was finished elsewhere, say)
    /// is dropped and the home screen shows.
    pub fn resume(&self) -> bool {
        let saved = settings::get(&self.ledger.borrow(), RESUME_KEY)
            .ok()
            .flatten()
            .unwrap_or_default();
        let mut lines = saved.lines();
        let Some(first) = lines.next().and_then(|l| l.strip_prefix("start ")) else {
            return false;
        };
        let flow = session::start(&self.ledger.borrow(), first);
        let Ok(mut flow) = flow else {
            self.journal.borrow_mut().clear();
            self.save_journal();
            return false;
        };
        let mut kept = vec![format!("start {first}")];
        for line in lines {
            let Ok(ev) = session::parse_event(line) else {
                continue;
            };
            flow.handle(&mut self.ledger.borrow_mut(), ev);
            kept.push(line.to_string());
        }
        *self.current.borrow_mut() = Current::Flow(flow);
        *self.journal.borrow_mut() = kept;
        self.show_view();
        self.show_outcome(&Outcome::needs_more("Resumed where you left off"));
        self.window.set_screen(WORKFLOW);
        true
    }

    /// A key from anywhere: the wedge reader turns scanner bursts into scans; a person typing
    /// fills the answer field, and their Enter submits it.
    pub fn key(&self, text: &str) {
        let now = self.started.elapsed();
        for c in text.chars() {
            let out = self.wedge.borrow_mut().key(c, now);
            let enter = c == '\n' || c == '\r';
            for input in out {
                let wf = self.window.global::<WorkflowAdapter>();
                match input {
                    WedgeInput::Scan(scan) => self.event(Event::Scan(scan)),
                    WedgeInput::Typed(t) if enter => {
                        let answer = format!("{}{}", wf.get_answer(), t);
                        wf.set_answer("".into());
                        self.event(Event::Enter(answer));
                    }
                    WedgeInput::Typed(t) => {
                        wf.set_answer(format!("{}{}", wf.get_answer(), t).into())
                    }
                }
            }
        }
    }

    /// A scan from any source (camera, intent, tests).
    pub fn scan(&self, data: &str) {
        self.event(Event::Scan(ScanEvent::manual(data)));
    }

    fn show_outcome(&self, o: &Outcome) {
        let wf = self.window.global::<WorkflowAdapter>();
        wf.set_feedback(feedback_code(o.feedback));
        wf.set_message(self.tr(o.message.as_deref().unwrap_or_default()).into());
        if self.settings.borrow().sounds {
            if let Some(signal) = &*self.signal.borrow() {
                signal(o.feedback);
            }
        }
    }

    fn show_view(&self) {
        let current = self.current.borrow();
        let Current::Flow(flow) = &*current else {
            return;
        };
        let v = flow.view();
        let wf = self.window.global::<WorkflowAdapter>();
        wf.set_title(self.tr(&v.title).into());
        wf.set_prompt(self.tr(&v.prompt).into());
        wf.set_fields(ModelRc::new(VecModel::from(
            v.fields
                .into_iter()
                .map(|(label, value)| Field {
                    label: self.tr(&label).into(),
                    value: value.into(),
                })
                .collect::<Vec<_>>(),
        )));
        wf.set_lines(strings(v.lines));
        wf.set_options(strings(v.options));
        wf.set_numeric(v.expect == Expect::Quantity);
        if let Some(c) = &*self.camera.borrow() {
            c.set_formats(v.expect.formats());
        }
    }

    /// The camera view over the current step: it scans what the step expects.
    pub fn open_camera(self: &Rc<Self>) {
        let Some(opener) = self.camera_opener.borrow().clone() else {
            return;
        };
        let formats = match &*self.current.borrow() {
            Current::Flow(f) => f.view().expect.formats(),
            _ => Expect::Location.formats(),
        };
        let view = camera::CameraView::start(opener(), formats);
        let cam = self.window.global::<CameraAdapter>();
        let (x, y, w, h) = view.viewfinder;
        cam.set_finder_x(x);
        cam.set_finder_y(y);
        cam.set_finder_w(w);
        cam.set_finder_h(h);
        cam.set_outline_visible(false);
        cam.set_torch(false);
        cam.set_frame(slint::Image::default());
        *self.camera.borrow_mut() = Some(view);
        let me = Rc::downgrade(self);
        self.camera_timer.start(
            slint::TimerMode::Repeated,
            Duration::from_millis(30),
            move || {
                if let Some(app) = me.upgrade() {
                    app.poll_camera();
                }
            },
        );
        self.window.set_screen(CAMERA);
    }

    /// Takes what the camera has ready: the preview, and any scans (sent to the workflow).
    pub fn poll_camera(&self) {
        let update = match &*self.camera.borrow() {
            Some(c) => c.poll(),
            None => return,
        };
        let cam = self.window.global::<CameraAdapter>();
        if let Some(p) = update.preview {
            cam.set_frame(slint::Image::from_rgb8(p));
        }
        cam.set_status(self.tr(&update.status.unwrap_or_default()).into());
        cam.set_torch_available(update.torch_available);
        for f in update.found {
            let (x, y, w, h) = f.outline;
            cam.set_outline_x(x);
            cam.set_outline_y(y);
            cam.set_outline_w(w);
            cam.set_outline_h(h);
            cam.set_outline_visible(true);
            self.event(Event::Scan(f.event));
        }
    }

    pub fn close_camera(&self) {
        self.camera_timer.stop();
        self.camera.borrow_mut().take();
    }

    fn refresh_pick_lists(&self) {
        let lists = self
            .ledger
            .borrow()
            .query()
            .pick_lists(true)
            .unwrap_or_default();
        self.window.global::<HomeAdapter>().set_pick_lists(strings(
            lists
                .into_iter()
                .map(|p| format!("{} {}", p.number, p.customer))
                .collect(),
        ));
    }

    /// The status bar from the ledger (pending, conflicts, last sync).
    pub fn refresh_status(&self) {
        screens::refresh_conflicts(self);
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
}

/// `lotkeeper` with no command: the app over the database (the demo warehouse when empty).
/// `replay` stands in for the camera (a folder of images or a Motion-JPEG file).
pub fn run(db: &Path, replay: Option<PathBuf>) -> anyhow::Result<()> {
    select_language_from_env();
    let app = open_app(db, true)?;
    if replay.is_some() || has_device_camera() {
        app.set_camera(Rc::new(move || {
            let replay = replay.clone();
            Box::new(move || crate::scan::camera::open_source(replay, 0))
        }));
    }
    app.resume();
    app.window.run()?;
    Ok(())
}

/// Whether this build has a device camera to offer (desktop `camera` feature, or Android).
pub fn has_device_camera() -> bool {
    cfg!(any(feature = "camera", target_os = "android"))
}

/// The app over a database file, syncing when enrolled; with `demo`, an empty database gets the
/// demo warehouse (the desktop's first run; never on a device, whose stock comes from the server).
pub fn open_app(db: &Path, demo: bool) -> anyhow::Result<Rc<App>> {
    let mut ledger = Ledger::open(db)?;
    if demo && ledger.is_empty()? {
        crate::ledger::demo::fill(&mut ledger)?;
    }
    let app = App::new(ledger)?;
    *app.db_path.borrow_mut() = Some(db.to_path_buf());
    app.start_sync();
    Ok(app)
}

impl App {
    /// Syncs off the UI thread when enrolled; its status comes back through the event loop.
    pub(crate) fn start_sync(&self) {
        let enrolled = self
            .ledger
            .borrow()
            .sync_value("server")
            .ok()
            .flatten()
            .is_some();
        let Some(db) = self.db_path.borrow().clone() else {
            return;
        };
        if !enrolled || self.agent.borrow().is_some() {
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
        *self.agent.borrow_mut() = Some(agent);
    }
}

/// Renders every screen with the demo warehouse to PNG files in `out` (no display needed).
pub fn screenshots(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    headless::init();
    select_language_from_env();
    let mut ledger = Ledger::open_in_memory()?;
    crate::ledger::demo::fill(&mut ledger)?;
    demo_conflict(&mut ledger)?;
    let app = App::new(ledger)?;
    app.window.show()?;
    let mut files = Vec::new();
    let mut shot = |name: &str| -> anyhow::Result<()> {
        let path = out.join(format!("{name}.png"));
        headless::save_png(&path)?;
        files.push(path);
        Ok(())
    };
    shot("home")?;
    app.open("receive");
    app.scan("]d20109506000134352172812311012345\u{1d}21SN9");
    shot("receive")?;
    app.open("pick");
    shot("pick-lists")?;
    app.open_pick_list("PL-2001");
    app.scan("A-01-01");
    shot("pick")?;
    app.open("transfer");
    app.scan("A-01-02");
    app.scan("(01)09506000134352(10)AM2407");
    shot("transfer")?;
    app.open("count");
    app.scan("A-02-01");
    app.scan("GLOVE-M");
    shot("count")?;
    app.open("lookup");
    app.scan("AMOX-500");
    shot("lookup")?;
    app.open("receive");
    app.scan("A-01-01");
    shot("refused")?;
    app.open("receive");
    app.scan("]d20109506000134352172812311012345");
    shot("keypad")?;
    app.go_home();
    app.window
        .global::<WorkflowAdapter>()
        .invoke_open_settings();
    shot("settings")?;
    app.window
        .global::<WorkflowAdapter>()
        .invoke_open_conflicts();
    shot("conflicts")?;
    // The camera view over a demo camera that shows a location label.
    let (data, width, height) =
        crate::scan::render_symbol("A-02-01", crate::scan::Format::QrCode, 8, 720)
            .map_err(anyhow::Error::msg)?;
    let frame = crate::scan::camera::RawFrame {
        data,
        width,
        height,
        format: crate::scan::camera::PixelFormat::Gray,
    };
    app.set_camera(camera::still_camera(frame));
    app.open("transfer");
    app.open_camera();
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until && !app.window.global::<CameraAdapter>().get_outline_visible() {
        std::thread::sleep(Duration::from_millis(20));
        app.poll_camera();
    }
    app.poll_camera();
    shot("camera")?;
    app.go_home();
    Ok(files)
}

/// For the pictures: the device enrolls and ships a lot that the back office recalled meanwhile;
/// the server's rules (run here on a second demo ledger, as `sync` would over HTTP) refuse it.
fn demo_conflict(device: &mut Ledger) -> anyhow::Result<()> {
    use crate::ledger::{LotStatus, ShipCmd};
    let mut server = Ledger::open_in_memory()?;
    crate::ledger::demo::fill(&mut server)?;
    server.set_lot_status(
        "AMOX-500",
        "AM2401",
        LotStatus::Recalled,
        "supplier recall R-2026-114",
    )?;
    device.enroll("https://backoffice.example", "demo", "handheld-07")?;
    device.ship(&ShipCmd {
        item: "AMOX-500".into(),
        qty: 5,
        from: "A-01-01".into(),
        lot: Some("AM2401".into()),
        customer: Some("Pharmacy Lindqvist".into()),
        ..Default::default()
    })?;
    let verdicts =
        server.accept_batches("handheld-07", &device.pending(100)?, &Default::default())?;
    device.record_verdicts(&verdicts)?;
    Ok(())
}

/// Whether a window can be opened here.
pub fn display_available() -> bool {
    !cfg!(target_os = "linux")
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// The language the settings choose, else the system's (`LANG`).
fn language(settings: &Settings) -> String {
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
