//! Moving stock: scan the source, scan what moves (each checked against the source when it is
//! scanned), scan the destination, and post it all as one batch.

use super::{
    complete_item, ids, lot_serial, meaning, parse_qty, say, what_it_is, Event, Expect, Outcome,
    View, Workflow,
};
use crate::ledger::{Ledger, Movement, MovementKind, Tracking};
use crate::scan::classify::{ItemScan, Meaning};

#[derive(Debug, Clone, PartialEq)]
struct Line {
    item: String,
    unit: String,
    lot: Option<String>,
    serial: Option<String>,
    qty: i64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Source,
    Items,
    Lot,
    Confirm,
}

pub struct Transfer {
    stage: Stage,
    from: Option<String>,
    to: Option<String>,
    lines: Vec<Line>,
    /// An item scanned without its lot, waiting for it.
    pending: Option<ItemScan>,
}

impl Default for Transfer {
    fn default() -> Self {
        Transfer {
            stage: Stage::Source,
            from: None,
            to: None,
            lines: vec![],
            pending: None,
        }
    }
}

impl Transfer {
    pub fn start() -> Transfer {
        Transfer::default()
    }

    /// How much of (item, lot, serial) the source still has for this transfer.
    fn available(
        &self,
        ledger: &Ledger,
        item: &str,
        lot: &Option<String>,
        serial: &Option<String>,
    ) -> i64 {
        let from = self.from.clone().unwrap_or_default();
        let have: i64 = ledger
            .query()
            .stock(Some(item), Some(&from))
            .unwrap_or_default()
            .into_iter()
            .filter(|s| &s.lot == lot && (serial.is_none() || &s.serial == serial))
            .map(|s| s.qty)
            .sum();
        let taken: i64 = self
            .lines
            .iter()
            .filter(|l| {
                l.item == item && &l.lot == lot && (serial.is_none() || &l.serial == serial)
            })
            .map(|l| l.qty)
            .sum();
        have - taken
    }

    fn add(&mut self, ledger: &Ledger, scan: ItemScan) -> Outcome {
        let Some(sku) = scan.sku.clone() else {
            return Outcome::refused("this label has no GTIN: scan the item");
        };
        let Ok(Some(item)) = ledger.query().item(&sku) else {
            return Outcome::refused(format!("unknown item {sku}"));
        };
        let from = self.from.clone().unwrap_or_default();
        if item.tracking == Tracking::Lot && scan.lot.is_none() {
            self.pending = Some(scan);
            self.stage = Stage::Lot;
            return Outcome::needs_more(format!("scan or type the lot of {sku}"));
        }
        if item.tracking == Tracking::Serial && scan.serial.is_none() {
            self.pending = Some(scan);
            self.stage = Stage::Lot;
            return Outcome::needs_more(format!("scan the serial of {sku}"));
        }
        let serial = scan.serial.filter(|_| item.tracking == Tracking::Serial);
        let mut lot = scan.lot.filter(|_| item.tracking != Tracking::None);
        if let Some(s) = &serial {
            match ledger.query().serial(&sku, s) {
                Ok(Some((Some(at), serial_lot))) if at == from => lot = serial_lot,
                Ok(Some((Some(at), _))) => {
                    return Outcome::refused(format!(
                        "serial {s} of {sku} is not at {from}; it is at {at}"
                    ))
                }
                _ => return Outcome::refused(format!("serial {s} of {sku} is not in stock")),
            }
            if self
                .lines
                .iter()
                .any(|l| l.item == sku && l.serial.as_deref() == Some(s))
            {
                return Outcome::refused(format!("serial {s} is already in this transfer"));
            }
        }
        let qty = if serial.is_some() {
            1
        } else {
            scan.qty.unwrap_or(scan.pack_qty.max(1))
        };
        let available = self.available(ledger, &sku, &lot, &serial);
        if available < qty {
            let what = match (&serial, &lot) {
                (Some(s), _) => format!("serial {s} of {sku}"),
                (None, Some(l)) => format!("{sku} lot {l}"),
                _ => sku.clone(),
            };
            return Outcome::refused(if available <= 0 {
                format!("there is no {what} at {from}")
            } else {
                format!("only {available} {} of {what} left at {from}", item.unit)
            });
        }
        self.lines.push(Line {
            item: sku.clone(),
            unit: item.unit,
            lot,
            serial,
            qty,
        });
        self.pending = None;
        self.stage = Stage::Items;
        Outcome::accepted().with_message(Some(format!(
            "{qty} of {sku} added; type a quantity to change it"
        )))
    }
}

impl Workflow for Transfer {
    fn view(&self) -> View {
        let (prompt, expect) = match self.stage {
            Stage::Source => (
                "Scan the location to move from".to_string(),
                Expect::Location,
            ),
            Stage::Items if self.lines.is_empty() => ("Scan what moves".to_string(), Expect::Item),
            Stage::Items => (
                "Scan more, or scan the location to move to".to_string(),
                Expect::Anything,
            ),
            Stage::Lot => ("Scan or type the lot (or serial)".to_string(), Expect::Lot),
            Stage::Confirm => (
                format!(
                    "Confirm to move {} line(s) from {} to {}",
                    self.lines.len(),
                    self.from.as_deref().unwrap_or(""),
                    self.to.as_deref().unwrap_or("")
                ),
                Expect::Confirm,
            ),
        };
        let mut v = View::new("Transfer", prompt, expect);
        v.field("From", self.from.as_ref());
        v.field("To", self.to.as_ref());
        v.lines = self
            .lines
            .iter()
            .map(|l| {
                format!(
                    "{} {} {}{}",
                    l.qty,
                    l.unit,
                    l.item,
                    lot_serial(l.lot.as_deref(), l.serial.as_deref())
                )
            })
            .collect();
        v
    }

    fn handle(&mut self, ledger: &mut Ledger, event: Event) -> Outcome {
        match (self.stage, event) {
            (_, Event::Cancel) => {
                *self = Transfer::default();
                Outcome::accepted().with_message(Some("transfer cleared".into()))
            }
            (_, Event::Back) => {
                match self.stage {
                    Stage::Confirm => {
                        self.to = None;
                        self.stage = Stage::Items;
                    }
                    Stage::Lot => {
                        self.pending = None;
                        self.stage = Stage::Items;
                    }
                    Stage::Items if !self.lines.is_empty() => {
                        self.lines.pop();
                    }
                    Stage::Items => {
                        self.from = None;
                        self.stage = Stage::Source;
                    }
                    Stage::Source => return Outcome::refused("nothing to go back to"),
                }
                Outcome::accepted()
            }
            (Stage::Confirm, Event::Confirm) => {
                let (from, to) = (
                    self.from.clone().unwrap_or_default(),
                    self.to.clone().unwrap_or_default(),
                );
                let batch: Vec<Movement> = self
                    .lines
                    .iter()
                    .map(|l| {
                        Movement::new(MovementKind::Transfer, &l.item, l.qty, &from, &to)
                            .lot(l.lot.as_ref())
                            .serial(l.serial.as_ref())
                    })
                    .collect();
                match ledger.post(&batch) {
                    Ok(p) => {
                        let n = batch.len();
                        *self = Transfer::default();
                        Outcome::done(
                            format!("moved {n} line(s) from {from} to {to}"),
                            ids(ledger, &p),
                        )
                    }
                    Err(e) => Outcome::refused(say(&e)),
                }
            }
            (Stage::Items, Event::Confirm) if !self.lines.is_empty() => {
                Outcome::refused("scan the location to move to")
            }
            (_, Event::Confirm) => Outcome::refused(self.view().prompt),
            (Stage::Items, Event::Enter(t))
                if !self.lines.is_empty() && t.trim().parse::<i64>().is_ok() =>
            {
                match parse_qty(&t) {
                    Ok(q) => {
                        let last = self.lines.pop().expect("not empty");
                        if last.serial.is_some() && q != 1 {
                            self.lines.push(last);
                            return Outcome::refused("a serial is one unit");
                        }
                        let available = self.available(ledger, &last.item, &last.lot, &last.serial);
                        if q > available {
                            let msg = format!(
                                "only {available} {} of {}{} left at {}",
                                last.unit,
                                last.item,
                                last.lot
                                    .as_ref()
                                    .map(|l| format!(" lot {l}"))
                                    .unwrap_or_default(),
                                self.from.as_deref().unwrap_or("")
                            );
                            self.lines.push(last);
                            return Outcome::refused(msg);
                        }
                        self.lines.push(Line { qty: q, ..last });
                        Outcome::accepted()
                    }
                    Err(e) => Outcome::refused(e),
                }
            }
            (Stage::Lot, Event::Enter(t)) => self.handle(
                ledger,
                Event::Scan(crate::scan::ScanEvent::manual(t.trim())),
            ),
            (_, Event::Enter(t)) => self.handle(
                ledger,
                Event::Scan(crate::scan::ScanEvent::manual(t.trim())),
            ),
            (_, Event::Choose(c)) => Outcome::refused(format!("'{c}' is not a choice here")),
            (stage, Event::Scan(scan)) => match (stage, meaning(ledger, &scan)) {
                (Stage::Source, Meaning::Location { code }) => {
                    self.from = Some(code);
                    self.stage = Stage::Items;
                    Outcome::accepted()
                }
                (Stage::Items, Meaning::Item(i)) => self.add(ledger, i),
                (Stage::Items, Meaning::Location { code }) if !self.lines.is_empty() => {
                    if Some(&code) == self.from.as_ref() {
                        return Outcome::refused(format!(
                            "{code} is where the stock is now: scan the location to move to"
                        ));
                    }
                    self.to = Some(code);
                    self.stage = Stage::Confirm;
                    Outcome::accepted()
                }
                // A location instead of the lot: the pending item is dropped, the scan taken as
                // the destination.
                (Stage::Lot, Meaning::Location { .. }) => {
                    self.pending = None;
                    self.stage = Stage::Items;
                    self.handle(ledger, Event::Scan(scan))
                }
                (Stage::Lot, m) => {
                    let Some(pending) = self.pending.clone() else {
                        return Outcome::refused("scan the item first");
                    };
                    match complete_item(ledger, pending, m) {
                        Ok(item) => self.add(ledger, item),
                        Err(refused) => refused,
                    }
                }
                (_, other) => Outcome::refused(format!(
                    "that is {}: {}",
                    what_it_is(&other),
                    self.view().prompt
                )),
            },
        }
    }
}
