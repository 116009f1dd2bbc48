//! The workflow screen (`WorkflowAdapter`): the current workflow's view onto the adapter, and
//! the screen's taps, typed answers and scans onto workflow events.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::app::{on, on0, App};
use super::{Field, WorkflowAdapter, HOME, WORKFLOW};
use crate::scan::wedge::WedgeInput;
use crate::scan::ScanEvent;
use crate::workflow::{session, Event, Expect, Feedback, Outcome, Workflow};

pub(super) fn wire(app: &Rc<App>) {
    let wf = app.window.global::<WorkflowAdapter>();
    wf.on_submit(on(app, |app, text: SharedString| {
        app.window.global::<WorkflowAdapter>().set_answer("".into());
        app.event(Event::Enter(text.to_string()));
    }));
    wf.on_choose(on(app, |app, o: SharedString| {
        app.event(Event::Choose(o.to_string()))
    }));
    wf.on_confirm(on0(app, |app| app.event(Event::Confirm)));
    wf.on_cancel(on0(app, |app| app.event(Event::Cancel)));
    wf.on_back(on0(app, |app| app.event(Event::Back)));
    wf.on_home(on0(app, |app| app.go_home()));
    wf.on_backspace(on0(app, |app| {
        let wf = app.window.global::<WorkflowAdapter>();
        let mut a = wf.get_answer().to_string();
        a.pop();
        wf.set_answer(a.into());
    }));
    wf.on_key(on(app, |app, text: SharedString| app.key(&text)));
}

fn feedback_code(f: Feedback) -> i32 {
    match f {
        Feedback::Accepted => 1,
        Feedback::NeedsMore => 2,
        Feedback::Refused => 3,
        Feedback::Done => 4,
    }
}

/// Keys that type nothing: Slint hands Shift, Control, Alt, Meta, Caps Lock, Back-Tab and the
/// arrow and function keys over as control or private-use characters. A scanner that types a
/// capital letter presses Shift first; that press is not part of the scan. (The group
/// separator, ASCII 29, is data and stays.)
fn types_nothing(c: char) -> bool {
    matches!(c, '\u{10}'..='\u{19}' | '\u{f700}'..='\u{f8ff}')
}

fn strings(v: Vec<String>) -> ModelRc<SharedString> {
    ModelRc::new(VecModel::from(
        v.into_iter().map(SharedString::from).collect::<Vec<_>>(),
    ))
}

impl App {
    /// Back to the home screen: the current workflow is left (and no longer resumed).
    pub fn go_home(&self) {
        self.close_camera();
        *self.flow.borrow_mut() = Default::default();
        self.save_journal();
        self.refresh_pick_lists();
        self.refresh_status();
        self.show_screen(HOME);
    }

    /// Puts a workflow on the workflow screen. `line` is how the session script starts it again
    /// (the resume journal); None when there is nothing to resume yet.
    pub(super) fn start(&self, flow: Box<dyn Workflow>, line: Option<String>) {
        let line = flow.start_line().or(line);
        {
            let mut f = self.flow.borrow_mut();
            f.current = Some(flow);
            f.journal = line.map(|l| vec![format!("start {l}")]).unwrap_or_default();
        }
        self.save_journal();
        let wf = self.window.global::<WorkflowAdapter>();
        wf.set_message("".into());
        wf.set_feedback(0);
        wf.set_answer("".into());
        self.show_view();
        self.show_screen(WORKFLOW);
    }

    /// Sends an event to the current workflow and shows what it did.
    pub fn event(&self, event: Event) {
        // An enrollment QR code works from any screen: it is not a workflow's scan.
        if let Event::Scan(s) = &event {
            let me = self.me.borrow().upgrade();
            if me.is_some_and(|me| super::settings::enroll_from_scan(&me, &s.text)) {
                return;
            }
        }
        let line = session::event_line(&event);
        let outcome = {
            let mut f = self.flow.borrow_mut();
            let Some(flow) = f.current.as_mut() else {
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
        self.send_new_print_jobs();
    }

    /// A key from anywhere: the wedge reader turns scanner bursts into scans; a person typing
    /// fills the answer field, and their Enter submits it (an empty answer too: "Confirm 30 EA
    /// (or type the quantity)" takes the 30).
    pub fn key(&self, text: &str) {
        let now = self.started.elapsed();
        for c in text.chars().filter(|c| !types_nothing(*c)) {
            let out = self.wedge.borrow_mut().key(c, now);
            let enter = c == '\n' || c == '\r';
            let wf = self.window.global::<WorkflowAdapter>();
            // A scanner ending its scans with CR LF sends a second Enter at once: not an answer.
            let after_enter = self
                .last_enter
                .replace(enter.then_some(now))
                .is_some_and(|t| now.saturating_sub(t) <= self.wedge.borrow().config.max_key_gap);
            if enter && out.is_empty() {
                if !after_enter {
                    let answer = wf.get_answer().to_string();
                    wf.set_answer("".into());
                    self.event(Event::Enter(answer));
                }
                continue;
            }
            for input in out {
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

    pub(super) fn show_outcome(&self, o: &Outcome) {
        let wf = self.window.global::<WorkflowAdapter>();
        wf.set_feedback(feedback_code(o.feedback));
        wf.set_message(self.tr(o.message.as_deref().unwrap_or_default()).into());
        if self.settings.borrow().sounds {
            if let Some(signal) = &*self.signal.borrow() {
                signal(o.feedback);
            }
        }
    }

    /// What the current step expects (the camera scans only that).
    pub(super) fn expects(&self) -> Expect {
        match &self.flow.borrow().current {
            Some(f) => f.view().expect,
            None => Expect::Location,
        }
    }

    pub(super) fn show_view(&self) {
        let v = match &self.flow.borrow().current {
            Some(flow) => flow.view(),
            None => return,
        };
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
        match v.preview.as_ref().and_then(super::printing::preview_image) {
            Some(img) => {
                wf.set_preview(img);
                wf.set_has_preview(true);
            }
            None => wf.set_has_preview(false),
        }
        wf.set_numeric(v.expect == Expect::Quantity);
        self.camera_formats(v.expect);
    }
}
