//! Workflows: the jobs people do with the handheld, as state machines over the ledger and the
//! scan pipeline. Each takes [`Event`]s (a scan, a typed answer, a choice, confirm, cancel, back)
//! and gives a [`View`] (what to ask next, the fields so far, what kind of scan is expected) and an
//! [`Outcome`] per event (the feedback to give and what was posted). Everything they post goes
//! through the ledger, so every rule holds. No Slint and no HTTP here: every workflow is tested
//! without a window or a server.

pub mod assemble;
pub mod catalog;
pub mod count;
pub mod error;
pub mod lookup;
mod made;
pub mod pick;
pub mod receive;
pub mod session;
pub mod settings;
pub mod split;
pub mod transfer;

use serde::Serialize;

use crate::ledger::{Error as LedgerError, Ledger, Posted};
use crate::scan::classify::{classify, ItemScan, Meaning};
use crate::scan::{Format, ScanEvent};

pub use catalog::LedgerCatalog;
pub use error::Error;
pub use settings::{AssembleExpiry, DeviationPolicy, PickFinish, Settings};

/// What a person (or their scanner) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Scan(ScanEvent),
    /// Typed into the answer field (a lot, a quantity, a date, a reason).
    Enter(String),
    /// One of the view's options.
    Choose(String),
    Confirm,
    Cancel,
    Back,
}

/// The feedback a worker can trust without looking: a colour and a sound each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feedback {
    /// Taken; the next step is asked for.
    Accepted,
    /// Taken, but something more is needed before it can be recorded.
    NeedsMore,
    /// Not taken; nothing already filled is lost. The message says why.
    Refused,
    /// Recorded.
    Done,
}

/// What the step expects, so the camera can look for the right symbologies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Item,
    Location,
    Lot,
    Serial,
    Date,
    Quantity,
    Document,
    Reason,
    Confirm,
    Anything,
}

impl Expect {
    /// The symbologies worth decoding for this step.
    pub fn formats(self) -> Vec<Format> {
        match self {
            Expect::Item => vec![
                Format::DataMatrix,
                Format::Code128,
                Format::Ean13,
                Format::Ean8,
                Format::UpcA,
                Format::UpcE,
                Format::Itf,
                Format::QrCode,
                Format::Rss14,
                Format::RssExpanded,
            ],
            Expect::Location | Expect::Document => {
                vec![
                    Format::Code128,
                    Format::Code39,
                    Format::QrCode,
                    Format::DataMatrix,
                ]
            }
            Expect::Lot | Expect::Serial => {
                vec![
                    Format::DataMatrix,
                    Format::Code128,
                    Format::Code39,
                    Format::QrCode,
                ]
            }
            _ => Format::WAREHOUSE.to_vec(),
        }
    }
}

/// What the screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    pub title: String,
    /// What to do next, in big type.
    pub prompt: String,
    pub expect: Expect,
    /// The fields filled so far: label and value.
    pub fields: Vec<(String, String)>,
    /// Rows of a list (pick lines, count lines, what a lookup found).
    pub lines: Vec<String>,
    /// Choices for `Event::Choose`.
    pub options: Vec<String>,
    /// A label about to be printed, shown as it will look.
    pub preview: Option<crate::label::print::Preview>,
}

impl View {
    fn new(title: &str, prompt: impl Into<String>, expect: Expect) -> View {
        View {
            title: title.to_string(),
            prompt: prompt.into(),
            expect,
            fields: vec![],
            lines: vec![],
            options: vec![],
            preview: None,
        }
    }

    fn field(&mut self, label: &str, value: Option<impl ToString>) {
        if let Some(v) = value {
            self.fields.push((label.to_string(), v.to_string()));
        }
    }
}

/// What one event did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub feedback: Feedback,
    pub message: Option<String>,
    /// Ids of the movements this event posted.
    pub posted: Vec<String>,
}

impl Outcome {
    pub fn accepted() -> Outcome {
        Outcome {
            feedback: Feedback::Accepted,
            message: None,
            posted: vec![],
        }
    }

    pub fn needs_more(message: impl Into<String>) -> Outcome {
        Outcome {
            feedback: Feedback::NeedsMore,
            message: Some(message.into()),
            posted: vec![],
        }
    }

    /// Refused, with why: a message, or a workflow or ledger error in its own words.
    pub fn refused(message: impl std::fmt::Display) -> Outcome {
        Outcome {
            feedback: Feedback::Refused,
            message: Some(message.to_string()),
            posted: vec![],
        }
    }

    pub fn done(message: impl Into<String>, posted: Vec<String>) -> Outcome {
        Outcome {
            feedback: Feedback::Done,
            message: Some(message.into()),
            posted,
        }
    }

    fn with_message(mut self, message: Option<String>) -> Outcome {
        if message.is_some() {
            self.message = message;
        }
        self
    }
}

/// A workflow the screens (and `lotkeeper session`) drive.
pub trait Workflow {
    fn view(&self) -> View;
    fn handle(&mut self, ledger: &mut Ledger, event: Event) -> Outcome;
    /// How a session script starts this workflow where it stands now, when that differs from
    /// how it was opened (a count opened without its location, once the location is scanned).
    fn start_line(&self) -> Option<String> {
        None
    }
}

/// What a scan means, against the ledger's master data.
pub(crate) fn meaning(ledger: &Ledger, scan: &ScanEvent) -> Meaning {
    classify(scan, &LedgerCatalog(ledger))
}

/// Movement ids of a posting, for the outcome.
pub(crate) fn ids(ledger: &Ledger, posted: &[Posted]) -> Vec<String> {
    ledger.query().ids_of(posted).unwrap_or_default()
}

/// A ledger error in words for the screen.
pub(crate) fn say(e: &LedgerError) -> String {
    e.to_string()
}

/// Parses a quantity typed on the keypad.
pub(crate) fn parse_qty(text: &str) -> Result<i64, Error> {
    match text.trim().parse::<i64>() {
        Ok(n) if n > 0 && n <= crate::ledger::MAX_QTY => Ok(n),
        Ok(n) if n > crate::ledger::MAX_QTY => Err(Error::Input(format!(
            "{n} is more than the largest quantity, {}",
            crate::ledger::MAX_QTY
        ))),
        _ => Err(Error::Input(format!(
            "'{}' is not a quantity: type a whole number of at least 1",
            text.trim()
        ))),
    }
}

/// ` lot L serial S`, for lines that name what moved.
pub(crate) fn lot_serial(lot: Option<&str>, serial: Option<&str>) -> String {
    let mut t = String::new();
    if let Some(l) = lot {
        t.push_str(&format!(" lot {l}"));
    }
    if let Some(s) = serial {
        t.push_str(&format!(" serial {s}"));
    }
    t
}

/// Completes an item scan that lacked its lot or serial with what was scanned or typed next:
/// a code becomes the serial of a serial-tracked item and the lot of any other; a label with a
/// lot or serial gives them. Refused for anything else.
pub(crate) fn complete_item(
    ledger: &Ledger,
    mut pending: ItemScan,
    m: Meaning,
) -> Result<ItemScan, Outcome> {
    match m {
        Meaning::Text { text, .. } => {
            let serial_item = pending
                .sku
                .as_deref()
                .and_then(|s| ledger.query().item(s).ok().flatten())
                .is_some_and(|i| i.tracking_for_new_stock() == crate::ledger::Tracking::Serial);
            if serial_item {
                pending.serial = Some(text);
            } else {
                pending.lot = Some(text);
            }
            Ok(pending)
        }
        Meaning::Item(i) if i.lot.is_some() || i.serial.is_some() => {
            pending.lot = pending.lot.or(i.lot);
            pending.serial = pending.serial.or(i.serial);
            Ok(pending)
        }
        other => Err(Outcome::refused(format!(
            "that is {}: scan the lot or serial",
            what_it_is(&other)
        ))),
    }
}

/// What the worker scanned, in words, for "that is a location; scan the item" refusals.
pub(crate) fn what_it_is(m: &Meaning) -> String {
    match m {
        Meaning::Item(i) => match &i.sku {
            Some(s) => format!("item {s}"),
            None => "an item label without a GTIN".into(),
        },
        Meaning::Location { code } => format!("location {code}"),
        Meaning::Sscc { sscc, .. } => format!("pallet {sscc}"),
        Meaning::Document { number, .. } => format!("document {number}"),
        Meaning::Text { text, reason } => match reason {
            Some(r) => format!("'{text}' ({r})"),
            None => format!("'{text}'"),
        },
    }
}
