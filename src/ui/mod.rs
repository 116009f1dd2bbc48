//! The touch UI: Slint screens (`ui/app.slint`) over the workflows. This module only maps: a
//! workflow's plain-data `View` and `Outcome` onto the screen's adapter, and the screen's
//! callbacks onto workflow events. Business rules live in `workflow` and `ledger`.

pub mod headless;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Instant;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::ledger::Ledger;
use crate::scan::wedge::{WedgeInput, WedgeReader};
use crate::scan::ScanEvent;
use crate::workflow::count::Count;
use crate::workflow::lookup::Lookup;
use crate::workflow::pick::Pick;
use crate::workflow::receive::Receive;
use crate::workflow::transfer::Transfer;
use crate::workflow::{Event, Feedback, Outcome, Workflow};

slint::include_modules!();

/// Screens of `AppWindow.screen`.
const HOME: i32 = 0;
const WORKFLOW: i32 = 1;
const PICK_LISTS: i32 = 2;

/// Which workflow the workflow screen shows; Count waits for its location first.
enum Current {
    None,
    CountLocation,
    Flow(Box<dyn Workflow>),
}

/// Everything the screen's callbacks share. Lives on the UI thread.
pub struct App {
    pub window: AppWindow,
    pub ledger: RefCell<Ledger>,
    current: RefCell<Current>,
    wedge: RefCell<WedgeReader>,
    started: Instant,
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
        let app = Rc::new(App {
            window: AppWindow::new()?,
            ledger: RefCell::new(ledger),
            current: RefCell::new(Current::None),
            wedge: RefCell::new(WedgeReader::default()),
            started: Instant::now(),
        });
        app.wire();
        app.refresh_status();
        app.refresh_pick_lists();
        Ok(app)
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
                *app.current.borrow_mut() = Current::None;
                app.refresh_pick_lists();
                app.window.set_screen(HOME);
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
        let ledger = self.ledger.borrow();
        let flow: Option<Box<dyn Workflow>> = match name {
            "receive" => Some(Box::new(Receive::start(&ledger))),
            "transfer" => Some(Box::new(Transfer::start())),
            "lookup" => Some(Box::new(Lookup::start())),
            "pick" => {
                drop(ledger);
                self.refresh_pick_lists();
                self.window.set_screen(PICK_LISTS);
                return;
            }
            "count" => None,
            _ => return,
        };
        drop(ledger);
        match flow {
            Some(f) => self.start(f),
            None => {
                *self.current.borrow_mut() = Current::CountLocation;
                let wf = self.window.global::<WorkflowAdapter>();
                wf.set_title("Count".into());
                wf.set_prompt("Scan the location to count".into());
                wf.set_fields(ModelRc::default());
                wf.set_lines(ModelRc::default());
                wf.set_options(ModelRc::default());
                wf.set_message("".into());
                wf.set_feedback(0);
                self.window.set_screen(WORKFLOW);
            }
        }
    }

    /// A pick list from the open lists (its label starts with its number).
    pub fn open_pick_list(&self, label: &str) {
        let opened = Pick::open(
            &self.ledger.borrow(),
            label.split_whitespace().next().unwrap_or(""),
        );
        match opened {
            Ok(p) => self.start(Box::new(p)),
            Err(e) => {
                self.window.set_screen(WORKFLOW);
                self.show_outcome(&Outcome::refused(e));
            }
        }
    }

    fn start(&self, flow: Box<dyn Workflow>) {
        *self.current.borrow_mut() = Current::Flow(flow);
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
                Ok(c) => self.start(Box::new(c)),
                Err(e) => self.show_outcome(&Outcome::refused(e)),
            }
            return;
        }
        let outcome = {
            let mut current = self.current.borrow_mut();
            let Current::Flow(flow) = &mut *current else {
                return;
            };
            flow.handle(&mut self.ledger.borrow_mut(), event)
        };
        self.show_outcome(&outcome);
        self.show_view();
        if !outcome.posted.is_empty() {
            self.refresh_status();
        }
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
        wf.set_message(o.message.clone().unwrap_or_default().into());
    }

    fn show_view(&self) {
        let current = self.current.borrow();
        let Current::Flow(flow) = &*current else {
            return;
        };
        let v = flow.view();
        let wf = self.window.global::<WorkflowAdapter>();
        wf.set_title(v.title.into());
        wf.set_prompt(v.prompt.into());
        wf.set_fields(ModelRc::new(VecModel::from(
            v.fields
                .into_iter()
                .map(|(label, value)| Field {
                    label: label.into(),
                    value: value.into(),
                })
                .collect::<Vec<_>>(),
        )));
        wf.set_lines(strings(v.lines));
        wf.set_options(strings(v.options));
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
        let l = self.ledger.borrow();
        let s = self.window.global::<StatusAdapter>();
        let (pending, conflicts) = l.outbox_counts().unwrap_or((0, 0));
        s.set_enrolled(l.sync_value("server").ok().flatten().is_some());
        s.set_pending(pending as i32);
        s.set_conflicts(conflicts as i32);
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
pub fn run(db: &Path) -> anyhow::Result<()> {
    select_language_from_env();
    let mut ledger = Ledger::open(db)?;
    if ledger.is_empty()? {
        crate::ledger::demo::fill(&mut ledger)?;
    }
    let enrolled = ledger.sync_value("server")?.is_some();
    let app = App::new(ledger)?;
    // Sync off the UI thread; its status comes back through the event loop.
    let _agent = enrolled.then(|| {
        let weak = app.window.as_weak();
        crate::sync::agent::SyncAgent::start(PathBuf::from(db), Default::default(), move |s| {
            let s = s.clone();
            let weak = weak.clone();
            let _ = slint::invoke_from_event_loop(move || {
                if let Some(w) = weak.upgrade() {
                    let g = w.global::<StatusAdapter>();
                    g.set_online(s.online);
                    g.set_pending(s.pending as i32);
                    g.set_conflicts(s.conflicts as i32);
                }
            });
        })
    });
    app.window.run()?;
    Ok(())
}

/// Renders every screen with the demo warehouse to PNG files in `out` (no display needed).
pub fn screenshots(out: &Path) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out)?;
    headless::init();
    select_language_from_env();
    let mut ledger = Ledger::open_in_memory()?;
    crate::ledger::demo::fill(&mut ledger)?;
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
    Ok(files)
}

/// Whether a window can be opened here.
pub fn display_available() -> bool {
    !cfg!(target_os = "linux")
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some()
}

/// The screens' language from `LANG` (`es_ES.UTF-8` gives Spanish); English when not shipped.
pub fn select_language_from_env() {
    let lang = std::env::var("LANG").unwrap_or_default();
    let code = lang.split(['_', '.']).next().unwrap_or("");
    if !code.is_empty() {
        let _ = slint::select_bundled_translation(code);
    }
}
