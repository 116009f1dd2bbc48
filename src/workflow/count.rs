//! Cycle count of one location: scan everything in it, see expected against counted, and post the
//! differences as adjustments with a reason.

use std::collections::BTreeMap;

use super::{
    complete_item, ids, lot_serial, meaning, parse_qty, say, what_it_is, Error, Event, Expect,
    Outcome, View, Workflow,
};
use crate::ledger::{Ledger, Movement, MovementKind, Tracking, ADJUSTMENT};
use crate::scan::classify::{ItemScan, Meaning};

/// (item, lot, serial)
type Key = (String, Option<String>, Option<String>);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    /// Nothing is counted before the location is known: its first scan is the location.
    Location,
    Counting,
    Lot,
    /// A new lot of an item whose tracking conversion is open, with no expiry on its label.
    Expiry,
    Reason,
}

pub struct Count {
    location: String,
    expected: BTreeMap<Key, i64>,
    counted: BTreeMap<Key, i64>,
    last: Option<Key>,
    stage: Stage,
    pending: Option<ItemScan>,
    /// The expiry of new lots counted (stock being assigned to lots by a tracking conversion).
    expiries: BTreeMap<Key, chrono::NaiveDate>,
}

impl Count {
    /// A count that asks for its location first (the app's Count tile); the location's scan (or
    /// typed code) starts it as [`Count::start`] does.
    pub fn awaiting_location() -> Count {
        Count {
            location: String::new(),
            expected: BTreeMap::new(),
            counted: BTreeMap::new(),
            last: None,
            stage: Stage::Location,
            pending: None,
            expiries: BTreeMap::new(),
        }
    }

    /// The location's scan or typed code: the count of that location starts.
    fn take_location(&mut self, ledger: &Ledger, event: Event) -> Outcome {
        let code = match event {
            Event::Scan(s) => s.text.trim().to_string(),
            Event::Enter(t) => t.trim().to_string(),
            _ => return Outcome::refused("Scan the location to count"),
        };
        if code.is_empty() {
            return Outcome::refused("Scan the location to count");
        }
        match Count::start(ledger, &code) {
            Ok(c) => {
                *self = c;
                Outcome::accepted()
            }
            Err(e) => Outcome::refused(e),
        }
    }

    pub fn start(ledger: &Ledger, location: &str) -> Result<Count, Error> {
        match ledger.query().location(location) {
            Ok(Some(l)) if l.kind.is_real() => {}
            _ => {
                return Err(Error::NotFound(format!(
                    "there is no location {location} to count"
                )))
            }
        }
        let expected = ledger
            .query()
            .stock(None, Some(location))?
            .into_iter()
            .map(|s| ((s.item, s.lot, s.serial), s.qty))
            .collect();
        Ok(Count {
            location: location.to_string(),
            expected,
            counted: BTreeMap::new(),
            last: None,
            stage: Stage::Counting,
            pending: None,
            expiries: BTreeMap::new(),
        })
    }

    /// Counted minus expected, for every key either side knows.
    fn differences(&self) -> Vec<(Key, i64)> {
        let mut keys: Vec<&Key> = self.expected.keys().chain(self.counted.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|k| {
                (
                    k.clone(),
                    self.counted.get(k).copied().unwrap_or(0)
                        - self.expected.get(k).copied().unwrap_or(0),
                )
            })
            .filter(|(_, d)| *d != 0)
            .collect()
    }

    fn add(&mut self, ledger: &Ledger, scan: ItemScan) -> Outcome {
        let Some(sku) = scan.sku.clone() else {
            return Outcome::refused("this label has no GTIN: scan the item");
        };
        let Ok(Some(item)) = ledger.query().item(&sku) else {
            return Outcome::refused(format!("unknown item {sku}"));
        };
        // While the item's tracking conversion is open, what is counted is given the tracking it
        // converts to: the count assigns the location's stock.
        let tracking = item.tracking_for_new_stock();
        let needs = match tracking {
            Tracking::Lot if scan.lot.is_none() => Some("lot"),
            Tracking::Serial if scan.serial.is_none() => Some("serial"),
            _ => None,
        };
        if let Some(what) = needs {
            self.pending = Some(scan);
            self.stage = Stage::Lot;
            return Outcome::needs_more(format!("scan or type the {what} of {sku}"));
        }
        let serial = scan.serial.clone().filter(|_| tracking == Tracking::Serial);
        let mut lot = scan.lot.clone().filter(|_| tracking != Tracking::None);
        if let Some(s) = &serial {
            if let Ok(Some((_, serial_lot))) = ledger.query().serial(&sku, s) {
                lot = serial_lot.or(lot);
            }
        }
        let key = (sku.clone(), lot.clone(), serial.clone());
        let new_lot = item.converting.is_some()
            && item.expiry_for_new_stock()
            && lot
                .as_deref()
                .is_some_and(|l| matches!(ledger.query().lot(&sku, l), Ok(None)));
        if new_lot && !self.expiries.contains_key(&key) {
            match scan.expiry {
                Some(d) => {
                    self.expiries.insert(key.clone(), d);
                }
                None => {
                    self.pending = Some(scan);
                    self.stage = Stage::Expiry;
                    return Outcome::needs_more(format!(
                        "lot {} of {sku} is new: type its expiry date",
                        lot.unwrap_or_default()
                    ));
                }
            }
        }
        if serial.is_some() && self.counted.contains_key(&key) {
            return Outcome::refused(format!(
                "serial {} is already counted",
                serial.unwrap_or_default()
            ));
        }
        let qty = if serial.is_some() {
            1
        } else {
            scan.qty.unwrap_or(scan.pack_qty.max(1))
        };
        *self.counted.entry(key.clone()).or_insert(0) += qty;
        self.last = Some(key);
        self.pending = None;
        self.stage = Stage::Counting;
        Outcome::accepted().with_message(Some(format!(
            "{qty} of {sku} counted; type a number to set the count"
        )))
    }

    fn post(&mut self, ledger: &mut Ledger, reason: &str) -> Outcome {
        let reference = format!("count {} {}", self.location, ledger.today());
        let batch: Vec<Movement> = self
            .differences()
            .into_iter()
            .map(|((item, lot, serial), d)| {
                let (from, to) = if d > 0 {
                    (ADJUSTMENT, self.location.as_str())
                } else {
                    (self.location.as_str(), ADJUSTMENT)
                };
                let expiry = self
                    .expiries
                    .get(&(item.clone(), lot.clone(), serial.clone()))
                    .copied()
                    .filter(|_| d > 0);
                Movement::new(MovementKind::Adjust, item, d.abs(), from, to)
                    .lot(lot)
                    .serial(serial)
                    .dates(expiry, None)
                    .reason(Some(reason))
                    .reference(Some(&reference))
            })
            .collect();
        match ledger.post(&batch) {
            Ok(p) => {
                let n = batch.len();
                match Count::start(ledger, &self.location) {
                    Ok(fresh) => *self = fresh,
                    Err(e) => return Outcome::refused(e),
                }
                Outcome::done(
                    format!("{n} difference(s) at {} adjusted", self.location),
                    ids(ledger, &p),
                )
            }
            Err(e) => Outcome::refused(say(&e)),
        }
    }
}

fn describe((item, lot, serial): &Key) -> String {
    format!("{item}{}", lot_serial(lot.as_deref(), serial.as_deref()))
}

impl Workflow for Count {
    fn view(&self) -> View {
        let (prompt, expect) = match self.stage {
            Stage::Location => ("Scan the location to count".into(), Expect::Location),
            Stage::Counting => (
                format!("Scan everything at {}; confirm when done", self.location),
                Expect::Item,
            ),
            Stage::Lot => ("Scan or type the lot (or serial)".into(), Expect::Lot),
            Stage::Expiry => (
                "Type the expiry date of the new lot (YYYY-MM-DD)".into(),
                Expect::Date,
            ),
            Stage::Reason => ("Type the reason for the differences".into(), Expect::Reason),
        };
        let mut v = View::new("Count", prompt, expect);
        if self.stage == Stage::Location {
            return v;
        }
        v.field("Location", Some(&self.location));
        let mut keys: Vec<&Key> = self.expected.keys().chain(self.counted.keys()).collect();
        keys.sort();
        keys.dedup();
        v.lines = keys
            .into_iter()
            .map(|k| {
                let (e, c) = (
                    self.expected.get(k).copied().unwrap_or(0),
                    self.counted.get(k).copied().unwrap_or(0),
                );
                format!(
                    "{}: expected {e}, counted {c}{}",
                    describe(k),
                    if e != c {
                        format!(" ({:+})", c - e)
                    } else {
                        String::new()
                    }
                )
            })
            .collect();
        v
    }

    fn start_line(&self) -> Option<String> {
        (self.stage != Stage::Location).then(|| format!("count {}", self.location))
    }

    fn handle(&mut self, ledger: &mut Ledger, event: Event) -> Outcome {
        match (self.stage, event) {
            (Stage::Location, event) => self.take_location(ledger, event),
            (_, Event::Cancel) => match Count::start(ledger, &self.location) {
                Ok(fresh) => {
                    *self = fresh;
                    Outcome::accepted().with_message(Some("count restarted".into()))
                }
                Err(e) => Outcome::refused(e),
            },
            (Stage::Expiry, Event::Enter(t)) => {
                let Some(mut pending) = self.pending.clone() else {
                    self.stage = Stage::Counting;
                    return Outcome::refused("scan the item first");
                };
                match crate::ledger::validate::parse_date("expiry", t.trim()) {
                    Ok(d) => {
                        pending.expiry = Some(d);
                        self.add(ledger, pending)
                    }
                    Err(e) => Outcome::refused(say(&e)),
                }
            }
            (Stage::Reason | Stage::Lot | Stage::Expiry, Event::Back) => {
                self.stage = Stage::Counting;
                self.pending = None;
                Outcome::accepted()
            }
            (Stage::Counting, Event::Back) => match self.last.take() {
                Some(k) => {
                    self.counted.remove(&k);
                    Outcome::accepted()
                        .with_message(Some(format!("{} taken out of the count", describe(&k))))
                }
                None => Outcome::refused("nothing to go back to"),
            },
            (Stage::Counting, Event::Confirm) => {
                if self.differences().is_empty() {
                    Outcome::done(
                        format!(
                            "{} matches what is expected: nothing to adjust",
                            self.location
                        ),
                        vec![],
                    )
                } else {
                    self.stage = Stage::Reason;
                    Outcome::needs_more(format!(
                        "{} difference(s): type the reason",
                        self.differences().len()
                    ))
                }
            }
            (Stage::Reason, Event::Enter(reason)) if !reason.trim().is_empty() => {
                self.post(ledger, reason.trim())
            }
            (Stage::Reason, _) => Outcome::refused(
                "type the reason for the differences (damaged, miscounted before, found, ...)",
            ),
            (Stage::Counting, Event::Enter(t)) if t.trim().parse::<i64>().is_ok() => {
                let Some(k) = self.last.clone() else {
                    return Outcome::refused("scan an item first, then type its count");
                };
                if k.2.is_some() {
                    return Outcome::refused("a serial is one unit");
                }
                match t.trim().parse::<i64>() {
                    Ok(0) => {
                        self.counted.insert(k, 0);
                        Outcome::accepted()
                    }
                    _ => match parse_qty(&t) {
                        Ok(q) => {
                            self.counted.insert(k, q);
                            Outcome::accepted()
                        }
                        Err(e) => Outcome::refused(e),
                    },
                }
            }
            (_, Event::Enter(t)) => self.handle(
                ledger,
                Event::Scan(crate::scan::ScanEvent::manual(t.trim())),
            ),
            (_, Event::Confirm) => Outcome::refused(self.view().prompt),
            (_, Event::Choose(c)) => Outcome::refused(format!("'{c}' is not a choice here")),
            (stage, Event::Scan(scan)) => match (stage, meaning(ledger, &scan)) {
                (Stage::Counting, Meaning::Item(i)) => self.add(ledger, i),
                (Stage::Lot, m) => {
                    let Some(pending) = self.pending.clone() else {
                        return Outcome::refused("scan the item first");
                    };
                    match complete_item(ledger, pending, m) {
                        Ok(item) => self.add(ledger, item),
                        Err(refused) => refused,
                    }
                }
                (_, Meaning::Location { code }) if code != self.location => {
                    Outcome::refused(format!(
                        "this count is for {}; {code} needs a count of its own",
                        self.location
                    ))
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
