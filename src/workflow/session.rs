//! Scripted sessions: a workflow driven by a text file, one event per line, so support can replay
//! what a worker did. The same state machines the screens use.
//!
//! ```text
//! start receive | start pick PICKLIST | start transfer | start count LOC | start lookup
//! scan DATA      (the group separator as a raw ASCII 29 byte, or written \x1d or <GS>)
//! enter TEXT
//! choose OPTION
//! confirm | cancel | back
//! ```
//! Blank lines and lines starting with `#` are skipped.

use serde::Serialize;

use super::count::Count;
use super::lookup::Lookup;
use super::pick::Pick;
use super::receive::Receive;
use super::transfer::Transfer;
use super::{Event, Feedback, Workflow};
use crate::ledger::Ledger;
use crate::scan::ScanEvent;

/// One line of output per event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub event: String,
    pub prompt: String,
    pub feedback: Feedback,
    pub message: Option<String>,
    pub posted: Vec<String>,
}

/// The group separator in its written forms, back to ASCII 29.
pub fn unescape_gs(s: &str) -> String {
    s.replace("\\x1d", "\u{1d}")
        .replace("\\x1D", "\u{1d}")
        .replace("<GS>", "\u{1d}")
}

/// Starts a workflow by its script name.
pub fn start(ledger: &Ledger, what: &str) -> Result<Box<dyn Workflow>, String> {
    let mut parts = what.split_whitespace();
    let name = parts.next().unwrap_or("");
    let arg = parts.collect::<Vec<_>>().join(" ");
    let needs = |thing: &str| {
        if arg.is_empty() {
            Err(format!("start {name} needs {thing}"))
        } else {
            Ok(arg.clone())
        }
    };
    Ok(match name {
        "receive" if arg.is_empty() => Box::new(Receive::start(ledger)),
        "receive" => Box::new(Receive::with_purchase_order(ledger, &arg)?),
        "pick" => Box::new(Pick::open(ledger, &needs("a pick list number")?)?),
        "transfer" => Box::new(Transfer::start()),
        "count" => Box::new(Count::start(ledger, &needs("a location")?)?),
        "lookup" => Box::new(Lookup::start()),
        other => {
            return Err(format!(
                "unknown workflow '{other}': use receive, pick, transfer, count or lookup"
            ))
        }
    })
}

/// Parses one script line into an event; `Ok(None)` for `start` lines (handled by the runner).
pub fn parse_event(line: &str) -> Result<Event, String> {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    Ok(match verb {
        "scan" => Event::Scan(ScanEvent::manual(&unescape_gs(rest))),
        "enter" => Event::Enter(rest.to_string()),
        "choose" => Event::Choose(rest.trim().to_string()),
        "confirm" => Event::Confirm,
        "cancel" => Event::Cancel,
        "back" => Event::Back,
        other => {
            return Err(format!(
                "unknown event '{other}': use start, scan, enter, choose, confirm, cancel or back"
            ))
        }
    })
}

/// Runs a script; each event's result goes to `out` as it happens. A line that is not an event is
/// an error naming the line; nothing after it runs.
pub fn run(ledger: &mut Ledger, script: &str, mut out: impl FnMut(&Step)) -> Result<(), String> {
    let mut current: Option<Box<dyn Workflow>> = None;
    for (n, raw) in script.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(what) = line.strip_prefix("start ") {
            let step = match start(ledger, what.trim()) {
                Ok(w) => {
                    let prompt = w.view().prompt;
                    current = Some(w);
                    Step {
                        event: line.to_string(),
                        prompt,
                        feedback: Feedback::Accepted,
                        message: None,
                        posted: vec![],
                    }
                }
                Err(e) => Step {
                    event: line.to_string(),
                    prompt: String::new(),
                    feedback: Feedback::Refused,
                    message: Some(e),
                    posted: vec![],
                },
            };
            out(&step);
            continue;
        }
        let event = parse_event(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let Some(w) = current.as_mut() else {
            return Err(format!(
                "line {}: no workflow started: begin with a start line",
                n + 1
            ));
        };
        let o = w.handle(ledger, event);
        out(&Step {
            event: line.to_string(),
            prompt: w.view().prompt,
            feedback: o.feedback,
            message: o.message,
            posted: o.posted,
        });
    }
    Ok(())
}
