//! Receiving at the dock: optionally against a purchase order; one GS1 scan fills what it can,
//! and whatever the item still needs is asked for; the receipt cannot be saved without it.

use chrono::NaiveDate;
use std::collections::BTreeMap;

use super::settings::generate_lot;
use super::{
    ids, meaning, parse_qty, say, what_it_is, Error, Event, Expect, Outcome, Settings, View,
    Workflow,
};
use crate::label::print::{self as labels, Preview, Receipt};
use crate::ledger::attributes::{normalize, AttributeDef, AttributeKind};
use crate::ledger::{Item, Ledger, LocationKind, LotOrigin, PurchaseOrder, ReceiveCmd, Tracking};
use crate::scan::classify::{DocumentKind, ItemScan, Meaning};

/// The receipt being filled in.
#[derive(Debug, Clone, Default, PartialEq)]
struct Draft {
    item: Option<Item>,
    lot: Option<String>,
    /// The lot code came from the lot rule ("generate"), not from the goods.
    lot_generated: bool,
    expiry: Option<NaiveDate>,
    production: Option<NaiveDate>,
    qty: Option<i64>,
    /// Units one scanned label stands for: a typed quantity counts labels (packs) when > 1.
    pack: i64,
    serials: Vec<String>,
    serials_done: bool,
    location: Option<String>,
    /// What the item's lots record besides their dates, and the values given so far (from the
    /// label's AIs, or typed).
    defs: Vec<AttributeDef>,
    attributes: BTreeMap<String, String>,
    /// The values the lot has already, when it exists (None: a new lot, which needs the
    /// required ones).
    known: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Item,
    Lot,
    Expiry,
    /// A required lot attribute of a new lot.
    Attribute,
    Serials,
    Quantity,
    Location,
    Confirm,
}

pub struct Receive {
    settings: Settings,
    po: Option<PurchaseOrder>,
    draft: Draft,
    undo: Vec<Draft>,
    /// Where receipts go unless another location is scanned.
    default_location: Option<String>,
    last_recorded: Option<String>,
    /// The last receipt, until its labels are printed or the next one is recorded.
    to_label: Option<Receipt>,
    /// Asking how many labels to print: the default, and the label as it will look.
    printing: Option<(u32, Option<Preview>)>,
}

/// Parses a date as typed: `2027-03-31` or `31.03.2027`, through the ledger's one date check (a
/// two-digit year, `27-03-31` or a GS1-style `270331`, is refused with the form to type; scanned
/// GS1 dates arrive as dates, not as typed text).
pub(crate) fn parse_date(text: &str) -> Result<NaiveDate, Error> {
    Ok(crate::ledger::validate::parse_typed_date("expiry", text)?)
}

impl Receive {
    pub fn start(ledger: &Ledger) -> Receive {
        let settings = Settings::load(ledger).unwrap_or_default();
        let default_location = settings.receive_location.clone().or_else(|| {
            ledger
                .query()
                .locations()
                .ok()?
                .into_iter()
                .find(|l| l.kind == LocationKind::Dock)
                .map(|l| l.code)
        });
        Receive {
            settings,
            po: None,
            draft: Draft::default(),
            undo: vec![],
            default_location,
            last_recorded: None,
            to_label: None,
            printing: None,
        }
    }

    /// Starts against a purchase order.
    pub fn with_purchase_order(ledger: &Ledger, number: &str) -> Result<Receive, Error> {
        let mut r = Receive::start(ledger);
        r.po = Some(
            ledger
                .query()
                .purchase_order(number)?
                .ok_or_else(|| Error::NotFound(format!("there is no purchase order {number}")))?,
        );
        Ok(r)
    }

    fn needs_lot(item: &Item) -> bool {
        item.tracking == Tracking::Lot || (item.tracking == Tracking::Serial && item.expiry_tracked)
    }

    fn step(&self) -> Step {
        let d = &self.draft;
        let Some(item) = &d.item else {
            return Step::Item;
        };
        if Self::needs_lot(item) && d.lot.is_none() {
            return Step::Lot;
        }
        if item.expiry_tracked && d.expiry.is_none() {
            return Step::Expiry;
        }
        if self.missing_attribute().is_some() {
            return Step::Attribute;
        }
        if item.tracking == Tracking::Serial {
            if !d.serials_done {
                return Step::Serials;
            }
        } else if d.qty.is_none() {
            return Step::Quantity;
        }
        if d.location.is_none() {
            return Step::Location;
        }
        Step::Confirm
    }

    /// The first required attribute a new lot still lacks.
    fn missing_attribute(&self) -> Option<&AttributeDef> {
        let d = &self.draft;
        if d.lot.is_none() || d.known.is_some() {
            return None;
        }
        d.defs
            .iter()
            .find(|def| def.required && !d.attributes.contains_key(&def.name))
    }

    /// What the lot the draft names has recorded already (None: it is new).
    fn known_values(
        ledger: &Ledger,
        item: &str,
        lot: Option<&str>,
    ) -> Option<BTreeMap<String, String>> {
        let lot = lot?;
        ledger.query().lot(item, lot).ok().flatten()?;
        Some(
            ledger
                .query()
                .lot_attributes(item, lot)
                .unwrap_or_default()
                .into_iter()
                .collect(),
        )
    }

    /// Sets the lot, and what is known of it.
    fn take_lot(
        &mut self,
        ledger: &Ledger,
        lot: String,
        generated: bool,
        expiry: Option<NaiveDate>,
    ) {
        let sku = self.sku();
        let known = Self::known_values(ledger, &sku, Some(&lot));
        self.change(|d| {
            d.lot = Some(lot);
            d.lot_generated = generated;
            d.expiry = d.expiry.or(expiry);
            d.known = known;
        });
    }

    fn set_attribute(&mut self, text: &str) -> Outcome {
        let Some(def) = self.missing_attribute().cloned() else {
            return Outcome::refused("no attribute is asked for now");
        };
        match normalize(&def, text) {
            Ok(v) => {
                self.change(|d| {
                    d.attributes.insert(def.name.clone(), v);
                });
                self.outcome_after_change(vec![])
            }
            Err(e) => Outcome::refused(e),
        }
    }

    /// The SKU of the item being received (empty before it is scanned).
    fn sku(&self) -> String {
        self.draft
            .item
            .as_ref()
            .map(|i| i.sku.clone())
            .unwrap_or_default()
    }

    fn change(&mut self, f: impl FnOnce(&mut Draft)) {
        self.undo.push(self.draft.clone());
        f(&mut self.draft);
    }

    fn prompt(&self) -> (String, Expect) {
        let sku = self.sku();
        match self.step() {
            Step::Item => (
                if self.po.is_some() {
                    "Scan the item".into()
                } else {
                    "Scan the item (or a purchase order)".into()
                },
                Expect::Item,
            ),
            Step::Lot => (
                format!("Scan or type the lot of {sku} (or choose generate)"),
                Expect::Lot,
            ),
            Step::Expiry => (
                format!("Type the expiry date of {sku} (like 2027-03-31)"),
                Expect::Date,
            ),
            Step::Attribute => {
                let def = self.missing_attribute();
                let name = def.map(|d| d.name.clone()).unwrap_or_default();
                match def.map(|d| d.kind) {
                    Some(AttributeKind::Date) => (
                        format!("Type the {name} of this lot (like 2027-03-31)"),
                        Expect::Date,
                    ),
                    Some(AttributeKind::Number) => (
                        format!("Type the {name} of this lot (a number)"),
                        Expect::Anything,
                    ),
                    _ => (format!("Type the {name} of this lot"), Expect::Anything),
                }
            }
            Step::Serials => (
                format!(
                    "Scan serial {} of {sku}; confirm when all are scanned",
                    self.draft.serials.len() + 1
                ),
                Expect::Serial,
            ),
            Step::Quantity if self.draft.pack > 1 => (
                format!("Type how many packs of {} of {sku}", self.draft.pack),
                Expect::Quantity,
            ),
            Step::Quantity => (format!("Type the quantity of {sku}"), Expect::Quantity),
            Step::Location => (
                match &self.default_location {
                    Some(d) => format!("Scan the location (or confirm for {d})"),
                    None => "Scan the location".into(),
                },
                Expect::Location,
            ),
            Step::Confirm => ("Confirm to record the receipt".into(), Expect::Confirm),
        }
    }

    /// Takes what an item label says.
    fn take_item(&mut self, ledger: &Ledger, scan: ItemScan) -> Outcome {
        let Some(sku) = scan.sku.clone() else {
            // A label with a lot (and expiry) but no GTIN: usable for the lot step.
            if self.step() == Step::Lot {
                if let Some(lot) = scan.lot.clone() {
                    self.take_lot(ledger, lot, false, scan.expiry);
                    self.fill_from_label(&scan);
                    return Outcome::accepted().with_message(scan.warnings.first().cloned());
                }
            }
            return Outcome::refused(format!("this label has no GTIN: {}", self.prompt().0));
        };
        if let Some(current) = &self.draft.item {
            if current.sku != sku {
                return Outcome::refused(format!(
                    "this is {sku}, but the receipt of {} is not finished: confirm it or cancel",
                    current.sku
                ));
            }
            // The same item again: a serial label adds its serial.
            if current.tracking == Tracking::Serial && self.step() == Step::Serials {
                return match scan.serial {
                    Some(s) => self.add_serial(ledger, &s),
                    None => Outcome::refused("this label has no serial: scan the serial"),
                };
            }
            return Outcome::refused(format!("{sku} is already scanned: {}", self.prompt().0));
        }
        let item = match ledger.query().item(&sku) {
            Ok(Some(i)) => i,
            _ => return Outcome::refused(format!("unknown item {sku}")),
        };
        let mut expiry = scan.expiry;
        if expiry.is_none() && item.expiry_tracked {
            // From the production date and the item's shelf life.
            if let (Some(p), Some(days)) = (scan.production_date, item.shelf_life_days) {
                expiry = p.checked_add_days(chrono::Days::new(days as u64));
            }
        }
        let tracking = item.tracking;
        let defs = ledger.query().lot_attribute_defs(&sku).unwrap_or_default();
        let lot = if Self::needs_lot(&item) {
            scan.lot.clone()
        } else {
            None
        };
        let known = Self::known_values(ledger, &sku, lot.as_deref());
        self.change(|d| {
            d.lot = lot;
            d.defs = defs;
            d.known = known;
            d.lot_generated = false;
            d.expiry = if item.expiry_tracked { expiry } else { None };
            d.production = scan.production_date;
            d.qty = if tracking == Tracking::Serial {
                None
            } else {
                scan.qty
            };
            d.pack = scan.pack_qty.max(1);
            d.item = Some(item);
        });
        let mut warnings = scan.warnings.clone();
        warnings.extend(self.fill_from_label(&scan));
        if tracking == Tracking::Serial {
            if let Some(s) = scan.serial {
                let o = self.add_serial(ledger, &s);
                if o.feedback == super::Feedback::Refused {
                    return o;
                }
            }
        }
        if let Some(w) = self.over_receipt() {
            warnings.push(w);
        }
        self.outcome_after_change(warnings)
    }

    fn add_serial(&mut self, ledger: &Ledger, serial: &str) -> Outcome {
        let serial = serial.trim();
        let Some(item) = &self.draft.item else {
            return Outcome::refused("scan the item first");
        };
        if serial.is_empty() {
            return Outcome::refused("the serial is empty");
        }
        if let Err(e) =
            crate::ledger::validate::field(crate::ledger::validate::Field::Serial, serial)
        {
            return Outcome::refused(e.to_string());
        }
        if self.draft.serials.iter().any(|s| s == serial) {
            return Outcome::refused(format!("serial {serial} is already in this receipt"));
        }
        if let Ok(Some((Some(at), _))) = ledger.query().serial(&item.sku, serial) {
            return Outcome::refused(format!(
                "serial {serial} of {} is already in stock at {at}",
                item.sku
            ));
        }
        let s = serial.to_string();
        self.change(|d| d.serials.push(s));
        let mut o = Outcome::accepted();
        o.message = Some(format!("{} serial(s) scanned", self.draft.serials.len()));
        if let Some(w) = self.over_receipt() {
            o.message = Some(w);
        }
        o
    }

    /// A warning when this receipt takes the purchase order past what it expects.
    fn over_receipt(&self) -> Option<String> {
        let po = self.po.as_ref()?;
        let item = self.draft.item.as_ref()?;
        let qty = match item.tracking {
            Tracking::Serial => self.draft.serials.len() as i64,
            _ => self.draft.qty?,
        };
        let lines: Vec<_> = po.lines.iter().filter(|l| l.item == item.sku).collect();
        if lines.is_empty() {
            return Some(format!(
                "{} is not on purchase order {}",
                item.sku, po.number
            ));
        }
        let (ordered, received): (i64, i64) = lines
            .iter()
            .fold((0, 0), |(o, r), l| (o + l.qty, r + l.received));
        (received + qty > ordered).then(|| {
            format!(
                "over-receipt: {} expects {ordered} {} of {}, {received} received, this makes {}",
                po.number,
                item.unit,
                item.sku,
                received + qty
            )
        })
    }

    fn outcome_after_change(&self, warnings: Vec<String>) -> Outcome {
        let message = if warnings.is_empty() {
            None
        } else {
            Some(warnings.join("; "))
        };
        match self.step() {
            Step::Item | Step::Location | Step::Confirm => Outcome {
                message,
                ..Outcome::accepted()
            },
            _ => Outcome::needs_more(message.unwrap_or_else(|| self.prompt().0)),
        }
    }

    fn set_lot(&mut self, ledger: &Ledger, lot: &str, generated: bool) -> Outcome {
        let lot = lot.trim();
        if lot.is_empty() {
            return Outcome::refused("the lot is empty");
        }
        if let Err(e) = crate::ledger::validate::field(crate::ledger::validate::Field::Lot, lot) {
            return Outcome::refused(e.to_string());
        }
        self.take_lot(ledger, lot.to_string(), generated, None);
        self.outcome_after_change(vec![])
    }

    /// The lot attributes a label carries in their AIs, such as (422) country of origin. A
    /// value that is not of the attribute's type is left to be typed, with a warning.
    fn fill_from_label(&mut self, scan: &ItemScan) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut found = Vec::new();
        for def in &self.draft.defs {
            let Some(ai) = &def.ai else { continue };
            let Some((_, value)) = scan.ais.iter().find(|(a, _)| a == ai) else {
                continue;
            };
            match normalize(def, value) {
                Ok(v) => found.push((def.name.clone(), v)),
                Err(e) => warnings.push(format!("({ai}) on the label: {e}")),
            }
        }
        if !found.is_empty() {
            self.draft.attributes.extend(found);
        }
        warnings
    }

    fn set_location(&mut self, ledger: &Ledger, code: &str) -> Outcome {
        match ledger.query().location(code) {
            Ok(Some(l)) if l.kind.is_real() => {
                let c = l.code;
                self.change(|d| d.location = Some(c));
                Outcome::accepted()
            }
            _ => Outcome::refused(format!(
                "there is no location {code}: scan a location label"
            )),
        }
    }

    fn post(&mut self, ledger: &mut Ledger) -> Outcome {
        let d = self.draft.clone();
        let Some(item) = &d.item else {
            return Outcome::refused("scan the item first");
        };
        let qty = if item.tracking == Tracking::Serial {
            d.serials.len() as i64
        } else {
            d.qty.unwrap_or(0)
        };
        let cmd = ReceiveCmd {
            item: item.sku.clone(),
            qty,
            to: d.location.clone().unwrap_or_default(),
            lot: d.lot.clone(),
            expiry: d.expiry,
            production_date: d.production,
            serials: d.serials.clone(),
            supplier: self.po.as_ref().map(|p| p.supplier.clone()),
            reference: self.po.as_ref().map(|p| p.number.clone()),
            lot_origin: d.lot_generated.then_some(LotOrigin::Generated),
            // The purchase order's number is found as one by the ledger.
            ref_type: None,
            tlc_source: None,
            lot_attributes: d.attributes.clone(),
        };
        match ledger.receive(&cmd) {
            Ok(posted) => {
                let what = format!(
                    "received {qty} {} of {}{} at {}",
                    item.unit,
                    item.sku,
                    d.lot
                        .as_ref()
                        .map(|l| format!(" lot {l}"))
                        .unwrap_or_default(),
                    cmd.to
                );
                self.last_recorded = Some(what.clone());
                self.to_label = Some(Receipt {
                    item: item.clone(),
                    lot: d.lot.clone(),
                    expiry: d.expiry,
                    production: d.production,
                    serials: d.serials.clone(),
                    qty,
                    pack: d.pack,
                });
                if let Some(po) = &self.po {
                    self.po = ledger.query().purchase_order(&po.number).ok().flatten();
                }
                self.draft = Draft::default();
                self.undo.clear();
                Outcome::done(what, ids(ledger, &posted))
            }
            Err(e) => Outcome::refused(say(&e)),
        }
    }
}

/// The choice that prints the last receipt's labels (how many: the view's "Labels to print").
pub const PRINT: &str = "print labels";

impl Receive {
    /// How many labels the last receipt gets, while nothing new has been scanned.
    fn labels_offered(&self) -> Option<u32> {
        if self.draft != Draft::default() {
            return None;
        }
        let r = self.to_label.as_ref()?;
        labels::for_receipt(r).ok().map(|req| req.count())
    }

    /// "Print the labels": labels in copies first ask how many (the preview on screen); one per
    /// serial print at once.
    fn offer_print(&mut self, ledger: &mut Ledger) -> Outcome {
        match self.to_label.as_ref().map(labels::for_receipt) {
            Some(Ok(req)) if req.copies_can_change() => {
                self.printing = Some((req.count(), req.preview(ledger, "receive")));
                // The prompt asks how many; the label is on screen as it will print.
                Outcome::accepted()
            }
            _ => self.print_labels(ledger, None),
        }
    }

    fn print_labels(&mut self, ledger: &mut Ledger, copies: Option<u32>) -> Outcome {
        let Some(r) = &self.to_label else {
            return Outcome::refused("there is no receipt to print labels for");
        };
        let request = labels::for_receipt(r).map(|req| match copies {
            Some(n) => req.with_copies(n),
            None => req,
        });
        match request.and_then(|req| labels::queue(ledger, "receive", &req)) {
            Ok(q) => {
                self.printing = None;
                self.to_label = None;
                Outcome::accepted().with_message(Some(format!(
                    "{} label(s) to {}: printing",
                    q.labels, q.printer
                )))
            }
            Err(e) => Outcome::refused(e),
        }
    }
}

impl Workflow for Receive {
    fn view(&self) -> View {
        if let Some((n, preview)) = &self.printing {
            let mut v = View::new(
                "Receive",
                format!("Confirm prints {n} labels, or type how many"),
                // Not the keypad: on a small screen it would push the label's preview away, and
                // the usual answer is Confirm.
                Expect::Confirm,
            );
            v.field("Last recorded", self.last_recorded.as_ref());
            v.preview = preview.clone();
            return v;
        }
        let (prompt, expect) = self.prompt();
        let mut v = View::new("Receive", prompt, expect);
        let d = &self.draft;
        v.field(
            "Purchase order",
            self.po
                .as_ref()
                .map(|p| format!("{} ({})", p.number, p.supplier)),
        );
        v.field(
            "Item",
            d.item.as_ref().map(|i| format!("{} {}", i.sku, i.name)),
        );
        v.field("Lot", d.lot.as_ref());
        v.field("Expiry", d.expiry);
        for (name, value) in d.known.iter().flatten().chain(&d.attributes) {
            v.fields.push((name.clone(), value.clone()));
        }
        v.field("Quantity", d.qty);
        if !d.serials.is_empty() {
            v.field("Serials", Some(d.serials.len()));
        }
        v.field("Location", d.location.as_ref());
        v.field("Last recorded", self.last_recorded.as_ref());
        if let Some(po) = &self.po {
            v.lines = po
                .lines
                .iter()
                .map(|l| format!("{}  {} of {} received", l.item, l.received, l.qty))
                .collect();
        }
        if self.step() == Step::Lot {
            v.options = vec!["generate".into()];
        }
        if let Some(n) = self.labels_offered() {
            v.field("Labels to print", Some(n));
            v.options = vec![PRINT.into()];
        }
        v
    }

    fn handle(&mut self, ledger: &mut Ledger, event: Event) -> Outcome {
        if let Some((n, _)) = self.printing {
            match event {
                Event::Confirm => return self.print_labels(ledger, None),
                Event::Enter(text) => {
                    return match parse_qty(&text) {
                        Ok(q) if q <= i64::from(labels::MAX_LABELS) => {
                            self.print_labels(ledger, Some(q as u32))
                        }
                        Ok(_) => Outcome::refused(format!(
                            "at most {} labels at once",
                            labels::MAX_LABELS
                        )),
                        Err(e) => Outcome::refused(e),
                    }
                }
                Event::Cancel | Event::Back => {
                    self.printing = None;
                    return Outcome::accepted().with_message(Some("no labels printed".into()));
                }
                Event::Choose(c) => {
                    return Outcome::refused(format!(
                        "'{c}' is not a choice here: type how many labels, or Confirm for {n}"
                    ))
                }
                // A scan starts the next receipt; the labels stay offered.
                Event::Scan(_) => self.printing = None,
            }
        }
        let step = self.step();
        match event {
            Event::Cancel => {
                self.draft = Draft::default();
                self.undo.clear();
                Outcome::accepted().with_message(Some("receipt cleared".into()))
            }
            Event::Back => match self.undo.pop() {
                Some(d) => {
                    self.draft = d;
                    Outcome::accepted()
                }
                None => Outcome::refused("nothing to go back to"),
            },
            Event::Choose(c) if c == "generate" && step == Step::Lot => {
                let item = self
                    .draft
                    .item
                    .as_ref()
                    .map(|i| i.sku.clone())
                    .unwrap_or_default();
                match generate_lot(ledger, &self.settings.lot_rule, &item, ledger.today()) {
                    Ok(lot) => self.set_lot(ledger, &lot, true),
                    Err(e) => Outcome::refused(say(&e)),
                }
            }
            Event::Choose(c) if c == PRINT && self.labels_offered().is_some() => {
                self.offer_print(ledger)
            }
            Event::Choose(c) => Outcome::refused(format!("'{c}' is not a choice here")),
            Event::Confirm => match step {
                Step::Serials if !self.draft.serials.is_empty() => {
                    self.change(|d| d.serials_done = true);
                    Outcome::accepted()
                }
                Step::Serials => Outcome::refused("scan at least one serial"),
                Step::Location => match self.default_location.clone() {
                    Some(code) => {
                        let o = self.set_location(ledger, &code);
                        if o.feedback == super::Feedback::Refused {
                            return o;
                        }
                        self.post(ledger)
                    }
                    None => Outcome::refused("scan the location first"),
                },
                Step::Confirm => self.post(ledger),
                Step::Item => Outcome::refused("scan the item first"),
                Step::Lot => Outcome::refused(
                    "the lot is missing: scan or type it; the receipt cannot be saved without it",
                ),
                Step::Expiry => Outcome::refused(
                    "the expiry date is missing: type it; the receipt cannot be saved without it",
                ),
                Step::Attribute => Outcome::refused(format!(
                    "the {} is missing: type it; a new lot records it",
                    self.missing_attribute()
                        .map(|d| d.name.clone())
                        .unwrap_or_default()
                )),
                Step::Quantity => Outcome::refused("the quantity is missing: type it"),
            },
            Event::Enter(text) => match step {
                Step::Lot => self.set_lot(ledger, &text, false),
                Step::Attribute => self.set_attribute(&text),
                Step::Expiry => match parse_date(&text) {
                    Ok(d) => {
                        self.change(|x| x.expiry = Some(d));
                        self.outcome_after_change(vec![])
                    }
                    Err(e) => Outcome::refused(e),
                },
                Step::Quantity => match parse_qty(&text) {
                    Ok(q) => {
                        self.change(|d| d.qty = Some(q * d.pack.max(1)));
                        let w = self.over_receipt().into_iter().collect();
                        self.outcome_after_change(w)
                    }
                    Err(e) => Outcome::refused(e),
                },
                Step::Serials => {
                    // A pasted list: one serial per line, or separated by commas or spaces.
                    let mut last = Outcome::accepted();
                    for s in text
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|s| !s.is_empty())
                    {
                        last = self.add_serial(ledger, s);
                        if last.feedback == super::Feedback::Refused {
                            return last;
                        }
                    }
                    last
                }
                Step::Location => self.set_location(ledger, text.trim()),
                Step::Item | Step::Confirm => self.handle(
                    ledger,
                    Event::Scan(crate::scan::ScanEvent::manual(text.trim())),
                ),
            },
            Event::Scan(scan) => {
                let m = meaning(ledger, &scan);
                match (m, step) {
                    (
                        Meaning::Document {
                            document: DocumentKind::PurchaseOrder,
                            number,
                        },
                        Step::Item,
                    ) => match Receive::with_purchase_order(ledger, &number) {
                        Ok(r) => {
                            self.po = r.po;
                            let po = self.po.as_ref().expect("just loaded");
                            Outcome::accepted().with_message(Some(format!(
                                "{} from {}: {} line(s)",
                                po.number,
                                po.supplier,
                                po.lines.len()
                            )))
                        }
                        Err(e) => Outcome::refused(e),
                    },
                    (Meaning::Item(i), _) => self.take_item(ledger, i),
                    (
                        Meaning::Sscc {
                            contents: Some(i), ..
                        },
                        _,
                    ) => self.take_item(ledger, i),
                    (Meaning::Location { code }, Step::Location | Step::Confirm) => {
                        self.set_location(ledger, &code)
                    }
                    (Meaning::Text { text, .. }, Step::Lot) => self.set_lot(ledger, &text, false),
                    (Meaning::Text { text, .. }, Step::Attribute) => self.set_attribute(&text),
                    (Meaning::Text { text, .. }, Step::Serials) => self.add_serial(ledger, &text),
                    (other, _) => Outcome::refused(format!(
                        "that is {}: {}",
                        what_it_is(&other),
                        self.prompt().0
                    )),
                }
            }
        }
    }
}
