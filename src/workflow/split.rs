//! Split: units of a lot become serialized units of a serial-tracked item, which keep the lot
//! code and its dates (a case lot opened into serialized packs, a produced batch into units).
//!
//! The worker scans where the lot is and the lot, names the item of the units (offered from the
//! composition lists: an item made of exactly one unit of the lot's item), says how many, and
//! scans, types, pastes or generates one serial per unit. One batch posts; a label per unit is
//! offered after.

use super::made;
use super::{
    complete_item, ids, meaning, parse_qty, say, what_it_is, Event, Expect, Outcome, Settings,
    View, Workflow,
};
use crate::label::print::Receipt;
use crate::ledger::{Item, Ledger, Tracking};
use crate::scan::classify::{ItemScan, Meaning};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Location,
    Lot,
    LotCode,
    Into,
    Units,
    Serials,
    Review,
}

/// The choice that prints a label per unit of the last split.
pub const PRINT: &str = "print labels";

pub struct Split {
    settings: Settings,
    stage: Stage,
    at: Option<String>,
    item: Option<Item>,
    lot: Option<String>,
    /// What the lot has at the location.
    available: i64,
    pending: Option<ItemScan>,
    into: Option<Item>,
    /// The unit items the composition lists offer for the lot's item.
    offered: Vec<String>,
    units: i64,
    serials: Vec<String>,
    /// The last split, until its labels are printed or another is started.
    to_label: Option<Receipt>,
}

impl Split {
    pub fn start(ledger: &Ledger) -> Split {
        Split {
            settings: Settings::load(ledger).unwrap_or_default(),
            stage: Stage::Location,
            at: None,
            item: None,
            lot: None,
            available: 0,
            pending: None,
            into: None,
            offered: vec![],
            units: 0,
            serials: vec![],
            to_label: None,
        }
    }

    fn sku(&self) -> String {
        self.item
            .as_ref()
            .map(|i| i.sku.clone())
            .unwrap_or_default()
    }

    fn unit_sku(&self) -> String {
        self.into
            .as_ref()
            .map(|i| i.sku.clone())
            .unwrap_or_default()
    }

    fn take_location(&mut self, ledger: &Ledger, code: &str) -> Outcome {
        match ledger.query().location(code) {
            Ok(Some(l)) if l.kind.is_real() => {
                self.at = Some(code.to_string());
                self.stage = Stage::Lot;
                self.to_label = None;
                Outcome::accepted()
            }
            _ => Outcome::refused(format!(
                "there is no location {code}: scan a location label"
            )),
        }
    }

    fn take_lot(&mut self, ledger: &Ledger, scan: ItemScan) -> Outcome {
        let Some(sku) = scan.sku.clone() else {
            return Outcome::refused("this label has no GTIN: scan the item label of the lot");
        };
        let item = match ledger.query().item(&sku) {
            Ok(Some(i)) => i,
            _ => return Outcome::refused(format!("unknown item {sku}")),
        };
        if item.tracking != Tracking::Lot {
            return Outcome::refused(format!(
                "{sku} is not lot-tracked: only a lot is split into serialized units"
            ));
        }
        let Some(lot) = scan.lot.clone() else {
            self.pending = Some(scan);
            self.stage = Stage::LotCode;
            return Outcome::needs_more(format!("scan or type the lot of {sku}"));
        };
        let at = self.at.clone().unwrap_or_default();
        let available: i64 = ledger
            .query()
            .stock(Some(&sku), Some(&at))
            .unwrap_or_default()
            .into_iter()
            .filter(|s| s.lot.as_deref() == Some(lot.as_str()))
            .map(|s| s.qty)
            .sum();
        if available <= 0 {
            self.pending = None;
            self.stage = Stage::Lot;
            return Outcome::refused(format!(
                "there is no {sku} lot {lot} at {at}: scan the location it is in first"
            ));
        }
        self.offered = ledger.query().unit_items_of(&sku).unwrap_or_default();
        self.item = Some(item);
        self.lot = Some(lot);
        self.available = available;
        self.pending = None;
        if let [only] = self.offered.as_slice() {
            let only = only.clone();
            return self.take_into(ledger, &only);
        }
        self.stage = Stage::Into;
        Outcome::accepted()
    }

    fn take_into(&mut self, ledger: &Ledger, sku: &str) -> Outcome {
        let item = match ledger.query().item(sku) {
            Ok(Some(i)) => i,
            _ => return Outcome::refused(format!("unknown item {sku}")),
        };
        if item.tracking != Tracking::Serial {
            return Outcome::refused(format!(
                "{sku} is not serial-tracked: the units of a split each get a serial"
            ));
        }
        if item.sku == self.sku() {
            return Outcome::refused(format!("{sku} is the lot being split"));
        }
        // An item with a composition list is made of what the list says: one unit of the
        // lot's item, or it is not what this lot splits into.
        if let Ok(Some(list)) = ledger.query().composition(sku) {
            if !self.offered.iter().any(|o| o == sku) {
                return Outcome::refused(format!(
                    "{sku} is made of {}, not of one {}",
                    list.components
                        .iter()
                        .map(|c| format!("{} × {}", c.qty_per_unit, c.component))
                        .collect::<Vec<_>>()
                        .join(", "),
                    self.sku()
                ));
            }
        }
        self.into = Some(item);
        self.stage = Stage::Units;
        Outcome::accepted().with_message(Some(format!(
            "{} lot {} becomes units of {sku}",
            self.sku(),
            self.lot.clone().unwrap_or_default()
        )))
    }

    fn take_units(&mut self, text: &str) -> Outcome {
        let n = match parse_qty(text) {
            Ok(n) => n,
            Err(e) => return Outcome::refused(e),
        };
        if n > self.available {
            return Outcome::refused(format!(
                "there are only {} of {} lot {} at {}",
                self.available,
                self.sku(),
                self.lot.clone().unwrap_or_default(),
                self.at.clone().unwrap_or_default()
            ));
        }
        self.units = n;
        self.stage = Stage::Serials;
        Outcome::accepted()
    }

    fn serials_done(&mut self) -> Outcome {
        if (self.serials.len() as i64) < self.units {
            self.stage = Stage::Serials;
            return Outcome::accepted().with_message(Some(format!(
                "{} of {} serials given",
                self.serials.len(),
                self.units
            )));
        }
        self.stage = Stage::Review;
        Outcome::needs_more("check the split and confirm to record it")
    }

    /// Serials scanned, typed or pasted.
    fn take_serials(&mut self, ledger: &Ledger, text: &str) -> Outcome {
        match made::add_serials(ledger, &self.unit_sku(), &self.serials, self.units, text) {
            Ok(all) => {
                self.serials = all;
                self.serials_done()
            }
            Err(refused) => refused,
        }
    }

    fn generate(&mut self, ledger: &Ledger) -> Outcome {
        let mut all = std::mem::take(&mut self.serials);
        let done = made::generate_serials(
            ledger,
            &self.settings.serial_rule,
            &self.unit_sku(),
            &mut all,
            self.units,
        );
        self.serials = all;
        match done {
            Ok(()) => self.serials_done(),
            Err(refused) => refused,
        }
    }

    fn post(&mut self, ledger: &mut Ledger) -> Outcome {
        let (item, lot, at, into) = (
            self.sku(),
            self.lot.clone().unwrap_or_default(),
            self.at.clone().unwrap_or_default(),
            self.into.clone(),
        );
        let Some(into) = into else {
            return Outcome::refused("name the item of the units first");
        };
        match ledger.split(&item, &lot, &at, &into.sku, &self.serials) {
            Ok(p) => {
                let posted = ids(ledger, &p);
                let dates = ledger.query().lot(&into.sku, &lot).ok().flatten();
                let receipt = Receipt {
                    item: into.clone(),
                    lot: Some(lot.clone()),
                    expiry: dates.as_ref().and_then(|d| d.expiry),
                    production: dates.and_then(|d| d.production_date),
                    serials: self.serials.clone(),
                    qty: self.units,
                    pack: 1,
                };
                let msg = format!(
                    "{} of {item} lot {lot} split into {} serialized {} at {at}",
                    self.units, self.units, into.sku
                );
                let settings = self.settings.clone();
                *self = Split::start(ledger);
                self.settings = settings;
                self.at = Some(at);
                self.stage = Stage::Lot;
                self.to_label = Some(receipt);
                Outcome::done(msg, posted)
            }
            Err(e) => Outcome::refused(say(&e)),
        }
    }

    fn print_labels(&mut self, ledger: &mut Ledger) -> Outcome {
        made::print_labels(ledger, "split", &mut self.to_label)
    }

    fn step(&mut self, ledger: &mut Ledger, event: Event) -> Outcome {
        match (self.stage, event) {
            (_, Event::Cancel) => {
                let settings = self.settings.clone();
                *self = Split::start(ledger);
                self.settings = settings;
                Outcome::accepted().with_message(Some("split cleared".into()))
            }
            (_, Event::Choose(c)) if c == PRINT && self.to_label.is_some() => {
                self.print_labels(ledger)
            }
            (stage, Event::Back) => {
                match stage {
                    Stage::Location => return Outcome::refused("nothing to go back to"),
                    Stage::Lot => {
                        self.at = None;
                        self.stage = Stage::Location;
                    }
                    Stage::LotCode | Stage::Into => {
                        self.pending = None;
                        self.item = None;
                        self.lot = None;
                        self.stage = Stage::Lot;
                    }
                    Stage::Units => {
                        self.into = None;
                        self.stage = if self.offered.len() == 1 {
                            self.item = None;
                            self.lot = None;
                            Stage::Lot
                        } else {
                            Stage::Into
                        };
                    }
                    Stage::Serials if !self.serials.is_empty() => {
                        self.serials.pop();
                    }
                    Stage::Serials => self.stage = Stage::Units,
                    Stage::Review => {
                        self.serials.pop();
                        self.stage = Stage::Serials;
                    }
                }
                Outcome::accepted()
            }
            (Stage::Into, Event::Choose(c)) if self.offered.contains(&c) => {
                self.take_into(ledger, &c)
            }
            (Stage::Serials, Event::Choose(c)) if c == super::assemble::GENERATE_SERIALS => {
                self.generate(ledger)
            }
            (_, Event::Choose(c)) => Outcome::refused(format!("'{c}' is not a choice here")),
            (Stage::Review, Event::Confirm) => self.post(ledger),
            (_, Event::Confirm) => Outcome::refused(self.show().prompt),
            (Stage::Review, _) => Outcome::refused("confirm to record the split, or go back"),
            (Stage::Units, Event::Enter(t)) => self.take_units(&t),
            (Stage::Units, _) => Outcome::refused("type how many units to split off"),
            (Stage::Into, Event::Enter(t)) => self.take_into(ledger, t.trim()),
            (Stage::Serials, Event::Enter(t)) => self.take_serials(ledger, &t),
            (_, Event::Enter(t)) => self.step(
                ledger,
                Event::Scan(crate::scan::ScanEvent::manual(t.trim())),
            ),
            (stage, Event::Scan(scan)) => match (stage, meaning(ledger, &scan)) {
                (Stage::Location | Stage::Lot, Meaning::Location { code }) => {
                    self.take_location(ledger, &code)
                }
                (Stage::Lot, Meaning::Item(i)) => self.take_lot(ledger, i),
                (Stage::LotCode, m) => {
                    let Some(pending) = self.pending.clone() else {
                        self.stage = Stage::Lot;
                        return Outcome::refused("scan the lot first");
                    };
                    match complete_item(ledger, pending, m) {
                        Ok(item) => self.take_lot(ledger, item),
                        Err(refused) => refused,
                    }
                }
                (Stage::Into, Meaning::Item(i)) => match i.sku {
                    Some(sku) => self.take_into(ledger, &sku),
                    None => Outcome::refused("this label has no GTIN: scan the unit's item"),
                },
                (Stage::Into, Meaning::Text { text, .. }) => self.take_into(ledger, &text),
                (Stage::Serials, Meaning::Item(i))
                    if i.sku.as_deref() == Some(self.unit_sku().as_str()) =>
                {
                    match i.serial {
                        Some(s) => self.take_serials(ledger, &s),
                        None => Outcome::refused("this label has no serial: scan the serial"),
                    }
                }
                (Stage::Serials, Meaning::Text { text, .. }) => self.take_serials(ledger, &text),
                (_, other) => Outcome::refused(format!(
                    "that is {}: {}",
                    what_it_is(&other),
                    self.show().prompt
                )),
            },
        }
    }

    fn show(&self) -> View {
        let (sku, into) = (self.sku(), self.unit_sku());
        let (prompt, expect) = match self.stage {
            Stage::Location => ("Scan the location of the lot to split".into(), Expect::Location),
            Stage::Lot => ("Scan the lot to split".into(), Expect::Item),
            Stage::LotCode => (
                format!(
                    "Scan or type the lot of {}",
                    self.pending
                        .as_ref()
                        .and_then(|p| p.sku.clone())
                        .unwrap_or_default()
                ),
                Expect::Lot,
            ),
            Stage::Into => (
                format!("Scan or type the item the units of {sku} become"),
                Expect::Item,
            ),
            Stage::Units => (
                format!("How many units to split off? ({} here)", self.available),
                Expect::Quantity,
            ),
            Stage::Serials => (
                format!(
                    "Scan, type or paste the serials of {into} ({} of {}), or choose generate serials",
                    self.serials.len(),
                    self.units
                ),
                Expect::Serial,
            ),
            Stage::Review => ("Confirm to record the split".into(), Expect::Confirm),
        };
        let mut v = View::new("Split", prompt, expect);
        v.field("At", self.at.as_ref());
        v.field("Lot", self.lot.as_ref().map(|l| format!("{sku} lot {l}")));
        v.field(
            "Into",
            self.into.as_ref().map(|i| format!("{} {}", i.sku, i.name)),
        );
        v.field("Units", (self.units > 0).then_some(self.units));
        v.lines = self.serials.clone();
        v.options = match self.stage {
            Stage::Into => self.offered.clone(),
            Stage::Serials => vec![super::assemble::GENERATE_SERIALS.into()],
            _ => vec![],
        };
        if let Some(r) = &self.to_label {
            v.field(
                "Last split",
                Some(format!("{} units of {}", r.serials.len(), r.item.sku)),
            );
            v.options.push(PRINT.into());
        }
        v
    }
}

impl Workflow for Split {
    fn view(&self) -> View {
        self.show()
    }

    fn handle(&mut self, ledger: &mut Ledger, event: Event) -> Outcome {
        self.step(ledger, event)
    }
}
