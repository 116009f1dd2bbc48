//! Scripted sessions: a workflow driven by a text file, one event per line, so support can replay
//! what a worker did. The same state machines the screens use.
//!
//! ```text
//! start receive | start pick PICKLIST | start transfer | start count LOC | start lookup
//! start assemble [SKU UNITS] | start split
//! scan DATA      (the group separator as a raw ASCII 29 byte, or written \x1d or <GS>)
//! enter TEXT
//! choose OPTION
//! confirm | cancel | back
//! ```
//! Blank lines and lines starting with `#` are skipped.

use serde::Serialize;

use super::assemble::Assemble;
use super::count::Count;
use super::lookup::Lookup;
use super::pick::Pick;
use super::receive::Receive;
use super::split::Split;
use super::transfer::Transfer;
use super::{Error, Event, Feedback, Workflow};
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

/// How a script ended, for a caller that must tell a clean run from one that left work undone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ended {
    /// How many events (start lines included) were refused.
    pub refused: usize,
    /// The prompt the last workflow was left at, when the script ended in the middle of it
    /// (neither at its first step nor just after something was recorded).
    pub unfinished: Option<String>,
}

/// What a lookup found, in one line: the view's fields and list.
fn found(view: &super::View) -> Option<String> {
    if !view.fields.iter().any(|(label, _)| label == "Found") {
        return None;
    }
    let parts = view
        .fields
        .iter()
        .map(|(label, value)| format!("{label}: {value}"))
        .chain(view.lines.iter().cloned());
    Some(parts.collect::<Vec<_>>().join("; "))
}

/// The group separator in its written forms, back to ASCII 29.
pub fn unescape_gs(s: &str) -> String {
    s.replace("\\x1d", "\u{1d}")
        .replace("\\x1D", "\u{1d}")
        .replace("<GS>", "\u{1d}")
}

/// Starts a workflow by its script name.
pub fn start(ledger: &Ledger, what: &str) -> Result<Box<dyn Workflow>, Error> {
    let mut parts = what.split_whitespace();
    let name = parts.next().unwrap_or("");
    let arg = parts.collect::<Vec<_>>().join(" ");
    let needs = |thing: &str| {
        if arg.is_empty() {
            Err(Error::Input(format!("start {name} needs {thing}")))
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
        "assemble" if arg.is_empty() => Box::new(Assemble::start(ledger)),
        "assemble" => {
            let (sku, units) = arg.rsplit_once(' ').ok_or_else(|| {
                Error::Input("start assemble needs the item and how many: SKU UNITS".into())
            })?;
            let units = super::parse_qty(units)?;
            Box::new(Assemble::of(ledger, sku.trim(), units)?)
        }
        "split" => Box::new(Split::start(ledger)),
        other => {
            return Err(Error::Input(format!(
                "unknown workflow '{other}': use receive, pick, transfer, count, lookup, assemble or split"
            )))
        }
    })
}

/// One event as a script line: the inverse of [`parse_event`] (ASCII 29 written as `\x1d`).
pub fn event_line(event: &Event) -> String {
    match event {
        Event::Scan(s) => format!(
            "scan {}{}",
            s.symbology_id.as_deref().unwrap_or(""),
            s.text.replace('\u{1d}', "\\x1d")
        ),
        Event::Enter(t) => format!("enter {}", t.replace(['\n', '\r'], " ")),
        Event::Choose(o) => format!("choose {o}"),
        Event::Confirm => "confirm".into(),
        Event::Cancel => "cancel".into(),
        Event::Back => "back".into(),
    }
}

/// Parses one script line into an event; `Ok(None)` for `start` lines (handled by the runner).
pub fn parse_event(line: &str) -> Result<Event, Error> {
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    Ok(match verb {
        "scan" => Event::Scan(ScanEvent::manual(&unescape_gs(rest))),
        "enter" => Event::Enter(rest.to_string()),
        "choose" => Event::Choose(rest.trim().to_string()),
        "confirm" => Event::Confirm,
        "cancel" => Event::Cancel,
        "back" => Event::Back,
        other => {
            return Err(Error::Input(format!(
                "unknown event '{other}': use start, scan, enter, choose, confirm, cancel or back"
            )))
        }
    })
}

/// Runs a script; each event's result goes to `out` as it happens. A line that is not an event is
/// an error naming the line; nothing after it runs. A lookup's step carries what it found in its
/// message. The answer says how many events were refused and whether the last workflow was left
/// unfinished.
pub fn run(ledger: &mut Ledger, script: &str, mut out: impl FnMut(&Step)) -> Result<Ended, Error> {
    let mut current: Option<Box<dyn Workflow>> = None;
    let mut ended = Ended::default();
    // The prompt the current workflow started with, and whether its last event recorded.
    let mut start_prompt = String::new();
    let mut at_rest = true;
    for (n, raw) in script.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(what) = line.strip_prefix("start ") {
            let step = match start(ledger, what.trim()) {
                Ok(w) => {
                    let prompt = w.view().prompt;
                    start_prompt.clone_from(&prompt);
                    at_rest = true;
                    current = Some(w);
                    Step {
                        event: line.to_string(),
                        prompt,
                        feedback: Feedback::Accepted,
                        message: None,
                        posted: vec![],
                    }
                }
                Err(e) => {
                    ended.refused += 1;
                    Step {
                        event: line.to_string(),
                        prompt: String::new(),
                        feedback: Feedback::Refused,
                        message: Some(e.to_string()),
                        posted: vec![],
                    }
                }
            };
            out(&step);
            continue;
        }
        let at_line = |e: Error| Error::Line {
            line: n + 1,
            source: Box::new(e),
        };
        let event = parse_event(line).map_err(at_line)?;
        let Some(w) = current.as_mut() else {
            return Err(at_line(Error::Input(
                "no workflow started: begin with a start line".into(),
            )));
        };
        let o = w.handle(ledger, event);
        let view = w.view();
        if o.feedback == Feedback::Refused {
            ended.refused += 1;
        }
        // A refused event changes nothing, so it leaves the workflow where it was.
        at_rest = match o.feedback {
            Feedback::Done => true,
            Feedback::Refused => at_rest || view.prompt == start_prompt,
            _ => view.prompt == start_prompt,
        };
        let message = match o.feedback {
            Feedback::Accepted => o.message.or_else(|| found(&view)),
            _ => o.message,
        };
        out(&Step {
            event: line.to_string(),
            prompt: view.prompt,
            feedback: o.feedback,
            message,
            posted: o.posted,
        });
    }
    if let (Some(w), false) = (&current, at_rest) {
        ended.unfinished = Some(w.view().prompt);
    }
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_written_as_a_line_parses_back_to_itself() {
        let events = [
            Event::Scan(ScanEvent::manual("]d20109506000134352\u{1d}10AB\u{1d}21X")),
            Event::Scan(ScanEvent::manual("A-01-02")),
            Event::Enter("12".into()),
            Event::Enter("damaged in transit".into()),
            Event::Choose("Short".into()),
            Event::Confirm,
            Event::Cancel,
            Event::Back,
        ];
        for e in events {
            let line = event_line(&e);
            assert!(!line.contains('\u{1d}') && !line.contains('\n'), "{line:?}");
            assert_eq!(parse_event(&line).unwrap(), e, "{line}");
        }
    }
}
