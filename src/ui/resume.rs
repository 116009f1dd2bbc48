//! The resume journal: the current workflow as a session script (its start line and the events
//! since its last posting), kept in the settings, so a workflow the OS killed resumes on restart.

use super::app::App;
use super::WORKFLOW;
use crate::workflow::settings;
use crate::workflow::{session, Feedback, Outcome};

/// The settings key of the resume journal.
const RESUME_KEY: &str = "ui.resume";

impl App {
    /// Keeps the resume journal: refused events changed nothing; a posting starts it afresh.
    /// A pick list keeps its own progress in the database, so only its start line is kept. A
    /// workflow whose start line moved (a count once its location is scanned) starts afresh.
    pub(super) fn journal_event(&self, line: String, outcome: &Outcome) {
        let changed = {
            let mut f = self.flow.borrow_mut();
            let start = f.current.as_ref().and_then(|w| w.start_line());
            let j = &mut f.journal;
            match start.map(|s| format!("start {s}")) {
                Some(s) if j.first() != Some(&s) => {
                    *j = vec![s];
                    true
                }
                _ => {
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
                }
            }
        };
        if changed {
            self.save_journal();
        }
    }

    pub(super) fn save_journal(&self) {
        let text = self.flow.borrow().journal.join("\n");
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
            self.flow.borrow_mut().journal.clear();
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
        {
            let mut f = self.flow.borrow_mut();
            f.current = Some(flow);
            f.journal = kept;
        }
        self.show_view();
        self.show_outcome(&Outcome::needs_more("Resumed where you left off"));
        self.show_screen(WORKFLOW);
        true
    }
}
