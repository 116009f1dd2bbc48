//! GS1 EPCIS 2.0 in its JSON-LD binding: one `EPCISDocument` with the events of a `TraceData`.
//!
//! A pure rendering: the data comes from `Ledger::trace_data`, the document is a
//! `serde_json::Value` for the caller to write.
//!
//! # Identifiers
//! Objects, places and parties are named by GS1 Digital Link URIs on `https://id.gs1.org`:
//! a serial unit `/01/{gtin}/21/{serial}` (in `epcList`), a lot `/01/{gtin}/10/{lot}` and an
//! item without lots `/01/{gtin}` (both in `quantityList`, class level), a party or site with a
//! GLN `/414/{gln}`. A lot or serial is percent-encoded as Digital Link asks (only the URI's
//! unreserved characters `A-Z a-z 0-9 - . _ ~` stay as they are). What has no GS1 key gets a
//! stable URI under [`EpcisOptions::private_base`]: `{base}/item/{sku}[/lot/{lot}|/serial/{serial}]`,
//! `{base}/location/{code}` (every one of our locations: a bin's code is not a GLN),
//! `{base}/party/{kind}/{code}` and `{base}/doc/{type}/{number}` for a reference document.
//!
//! # Quantities
//! A `quantity` counts trade items of the class (the GTIN of one unit) and then has no `uom`;
//! only an item kept in a unit of measure (kilograms, litres, metres, ...) gets its UN/CEFACT
//! Rec. 20 code (`KGM`, `LTR`, `MTR`, ...). Any other unit name (each, case, box, ...) is a count.
//!
//! # Events and their CBV 2.0 terms
//! | ledger | EPCIS event | action | bizStep | disposition |
//! | --- | --- | --- | --- | --- |
//! | receive, serial seen for the first time | ObjectEvent before the receiving | ADD | `commissioning` | `active` |
//! | receive | ObjectEvent | OBSERVE | `receiving` | `in_progress` |
//! | ship | ObjectEvent | OBSERVE | `shipping` | `in_transit` |
//! | transfer to a bin or dock | ObjectEvent | OBSERVE | `storing` | (unchanged) |
//! | transfer to staging or shipping | ObjectEvent | OBSERVE | `staging_outbound` | (unchanged) |
//! | transfer to quarantine | ObjectEvent | OBSERVE | `holding` | (unchanged) |
//! | write-off (adjust out) | ObjectEvent | OBSERVE | `destroying` | `destroyed` |
//! | found stock (adjust in) | ObjectEvent | OBSERVE | `cycle_counting` | `sellable_accessible` |
//! | opening stock | ObjectEvent | OBSERVE | `stock_taking` | `sellable_accessible` |
//! | consume + produce of one batch | one TransformationEvent | | `commissioning` / `creating_class_instance` | `active` |
//! | hold | ObjectEvent | OBSERVE | `holding` | `non_sellable_other` |
//! | release | ObjectEvent | OBSERVE | `inspecting` | `sellable_accessible` |
//! | recall | ObjectEvent | OBSERVE | `holding` | `recalled` |
//! | recall closed | ObjectEvent | OBSERVE | `holding` | `non_sellable_other` |
//!
//! See [`LotAction`] mapping in `status_terms` and the transformation's in `transformation` for
//! why these terms.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::{json, Map, Value};

use crate::gtin;
use crate::ledger::compliance::{LotStatusChange, Place, Product, TraceData, TraceMovement};
use crate::ledger::{DocType, LocationKind, LotAction, MovementKind, Party, PartyKind};

/// The JSON-LD context every EPCIS 2.0 document names.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";

/// The GS1 Digital Link resolver's host, the canonical one for GS1 keys.
const DL: &str = "https://id.gs1.org";

/// What the document says about itself and where private identifiers live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpcisOptions {
    /// The document's `creationDate` (RFC 3339).
    pub created: String,
    /// The base of identifiers for things without a GS1 key, e.g. `https://id.lotkeeper.invalid`
    /// (a trailing `/` is ignored).
    pub private_base: String,
}

/// The EPCIS 2.0 document of `data`: its movements and lot status changes as events, in time
/// order (journal order where times are equal).
pub fn document(data: &TraceData, opts: &EpcisOptions) -> Value {
    let ids = Ids {
        base: opts.private_base.trim_end_matches('/'),
        site: data.site.as_ref(),
    };
    // (instant, event): movements first, then lot changes, each in journal order; a stable sort
    // by time merges them.
    let mut events: Vec<(Option<DateTime<FixedOffset>>, Value)> = Vec::new();
    let mut batches_done: HashSet<&str> = HashSet::new();
    for m in &data.movements {
        let at = parse_time(&m.created_at);
        match m.kind {
            MovementKind::Consume | MovementKind::Produce => {
                if batches_done.insert(m.batch_id.as_str()) {
                    let batch: Vec<&TraceMovement> = data
                        .movements
                        .iter()
                        .filter(|o| {
                            o.batch_id == m.batch_id
                                && matches!(o.kind, MovementKind::Consume | MovementKind::Produce)
                        })
                        .collect();
                    events.push((at, transformation(&ids, &batch)));
                }
            }
            // Corrections and what they corrected are left out of TraceData; one that is there
            // all the same changes no stock by itself in a way EPCIS has a step for.
            MovementKind::Correction => {}
            _ => {
                for e in movement_events(&ids, m) {
                    events.push((at, e));
                }
            }
        }
    }
    for c in &data.lot_changes {
        let at = parse_time(&c.created_at);
        for e in status_events(&ids, c) {
            events.push((at, e));
        }
    }
    events.sort_by_key(|(at, _)| at.map(|t| t.timestamp_nanos_opt().unwrap_or(i64::MAX)));
    let list: Vec<Value> = events.into_iter().map(|(_, e)| e).collect();
    json!({
        "@context": [EPCIS_CONTEXT],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": opts.created,
        "epcisBody": { "eventList": list },
    })
}

/// How identifiers are made for one document.
struct Ids<'a> {
    base: &'a str,
    site: Option<&'a Party>,
}

impl Ids<'_> {
    fn location(&self, place: &Place) -> String {
        format!("{}/location/{}", self.base, enc(&place.code))
    }

    fn party(&self, p: &Party) -> String {
        match p.gln.as_deref().and_then(gln) {
            Some(g) => format!("{DL}/414/{g}"),
            None => format!("{}/party/{}/{}", self.base, p.kind.as_str(), enc(&p.code)),
        }
    }

    /// The party a place stands for: its described party, else one named by its code only
    /// (`SUPPLIER:<code>`), else, for our own locations, the site.
    fn place_party(&self, place: &Place) -> Option<String> {
        if let Some(p) = &place.party {
            return Some(self.party(p));
        }
        let kind = match place.kind {
            LocationKind::Supplier => PartyKind::Supplier,
            LocationKind::Customer => PartyKind::Customer,
            k if k.is_real() => return self.site.map(|s| self.party(s)),
            _ => return None,
        };
        place
            .party_code
            .as_deref()
            .map(|code| format!("{}/party/{}/{}", self.base, kind.as_str(), enc(code)))
    }

    /// Our side of a receipt or shipment: the site as owner and place, or the location alone.
    fn our_side(&self, place: &Place) -> Vec<(&'static str, String)> {
        match place.party.as_ref().or(self.site) {
            Some(site) => {
                let id = self.party(site);
                vec![("owning_party", id.clone()), ("location", id)]
            }
            None => vec![("location", self.location(place))],
        }
    }

    /// A trading partner's side: the party as owner and place (a GLN names both).
    fn their_side(&self, place: &Place) -> Vec<(&'static str, String)> {
        match self.place_party(place) {
            Some(id) => vec![("owning_party", id.clone()), ("location", id)],
            None => Vec::new(),
        }
    }

    /// A serial unit (instance level).
    fn instance(&self, product: &Product, serial: &str) -> String {
        match product.gtin.as_deref().and_then(gtin14) {
            Some(g) => format!("{DL}/01/{g}/21/{}", enc(serial)),
            None => format!(
                "{}/item/{}/serial/{}",
                self.base,
                enc(&product.sku),
                enc(serial)
            ),
        }
    }

    /// A lot of an item, or the item itself when it has no lot (class level).
    fn class(&self, product: &Product, lot: Option<&str>) -> String {
        match (product.gtin.as_deref().and_then(gtin14), lot) {
            (Some(g), Some(lot)) => format!("{DL}/01/{g}/10/{}", enc(lot)),
            (Some(g), None) => format!("{DL}/01/{g}"),
            (None, Some(lot)) => format!(
                "{}/item/{}/lot/{}",
                self.base,
                enc(&product.sku),
                enc(lot)
            ),
            (None, None) => format!("{}/item/{}", self.base, enc(&product.sku)),
        }
    }

    fn quantity(&self, product: &Product, lot: Option<&str>, qty: i64) -> Value {
        let mut q = Map::new();
        q.insert("epcClass".into(), self.class(product, lot).into());
        q.insert("quantity".into(), qty.into());
        if let Some(uom) = uom(&product.unit) {
            q.insert("uom".into(), uom.into());
        }
        Value::Object(q)
    }

    /// The reference document as a business transaction, typed where CBV has a type for it.
    fn biz_transactions(&self, m: &TraceMovement) -> Option<Value> {
        let number = m.reference.as_deref()?.trim();
        if number.is_empty() {
            return None;
        }
        let kind = m.ref_type.map(DocType::as_str).unwrap_or("other");
        let mut bt = Map::new();
        if let Some(t) = m.ref_type.and_then(biz_transaction_type) {
            bt.insert("type".into(), t.into());
        }
        bt.insert(
            "bizTransaction".into(),
            format!("{}/doc/{}/{}", self.base, kind, enc(number)).into(),
        );
        Some(json!([Value::Object(bt)]))
    }
}

/// The CBV 2.0 business transaction type of a document type. A pick list and "other" have none
/// (CBV has no term for them); they are listed without a type.
fn biz_transaction_type(t: DocType) -> Option<&'static str> {
    match t {
        DocType::Po => Some("po"),
        DocType::Bol => Some("bol"),
        DocType::Invoice => Some("inv"),
        // CBV's `desadv` is the despatch advice, which is what an ASN is.
        DocType::Asn => Some("desadv"),
        DocType::WorkOrder => Some("prodorder"),
        DocType::PickList | DocType::Other => None,
    }
}

/// UN/CEFACT Rec. 20 codes for the units of measure we can tell; None: a count of trade items.
fn uom(unit: &str) -> Option<&'static str> {
    Some(match unit.trim().to_ascii_lowercase().as_str() {
        "kg" | "kgs" | "kilogram" | "kilograms" => "KGM",
        "g" | "gram" | "grams" => "GRM",
        "mg" => "MGM",
        "t" | "tonne" | "tonnes" => "TNE",
        "lb" | "lbs" | "pound" | "pounds" => "LBR",
        "oz" | "ounce" | "ounces" => "ONZ",
        "l" | "liter" | "liters" | "litre" | "litres" => "LTR",
        "ml" | "millilitre" | "milliliter" => "MLT",
        "m" | "metre" | "meter" | "metres" | "meters" => "MTR",
        "cm" => "CMT",
        "mm" => "MMT",
        "m2" | "sqm" => "MTK",
        "m3" => "MTQ",
        _ => return None,
    })
}

/// A GTIN as 14 digits, if it is one.
fn gtin14(s: &str) -> Option<String> {
    gtin::normalize_gtin(s).ok()
}

/// A GLN: 13 digits with a right check digit.
fn gln(s: &str) -> Option<&str> {
    let s = s.trim();
    (s.len() == 13 && gtin::has_valid_check_digit(s)).then_some(s)
}

/// Percent-encodes all but the URI's unreserved characters, as GS1 Digital Link asks of a value
/// in a path segment.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s.trim()).ok()
}

/// An event's `eventTime` and `eventTimeZoneOffset` (`+HH:MM`, `Z` written `+00:00`).
fn time_fields(e: &mut Map<String, Value>, created_at: &str) {
    e.insert("eventTime".into(), created_at.trim().into());
    let secs = parse_time(created_at).map_or(0, |t| t.offset().local_minus_utc());
    let sign = if secs < 0 { '-' } else { '+' };
    let mins = secs.abs() / 60;
    e.insert(
        "eventTimeZoneOffset".into(),
        format!("{sign}{:02}:{:02}", mins / 60, mins % 60).into(),
    );
}

/// An event id from one of ours: `urn:uuid:` for a UUID (movement, batch and lot event ids
/// are), a private URI otherwise. `suffix` tells apart the events drawn from one record.
fn event_id(base: &str, id: &str, suffix: Option<&str>) -> String {
    let id = id.trim();
    match suffix {
        None if is_uuid(id) => format!("urn:uuid:{}", id.to_ascii_lowercase()),
        None => format!("{base}/event/{}", enc(id)),
        Some(s) => format!("{base}/event/{}/{}", enc(id), enc(s)),
    }
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn object_event(created_at: &str, id: String) -> Map<String, Value> {
    let mut e = Map::new();
    e.insert("type".into(), "ObjectEvent".into());
    time_fields(&mut e, created_at);
    e.insert("eventID".into(), id.into());
    e
}

/// `epcList` for a serial unit, `quantityList` for a lot or an untracked item.
fn what(ids: &Ids, e: &mut Map<String, Value>, m: &TraceMovement) {
    match &m.serial {
        Some(serial) => {
            e.insert(
                "epcList".into(),
                json!([ids.instance(&m.product, serial)]),
            );
        }
        None => {
            e.insert(
                "quantityList".into(),
                json!([ids.quantity(&m.product, m.lot.as_deref(), m.qty.abs())]),
            );
        }
    }
}

fn place_fields(e: &mut Map<String, Value>, read_point: Option<String>, biz: Option<String>) {
    if let Some(r) = read_point {
        e.insert("readPoint".into(), json!({ "id": r }));
    }
    if let Some(b) = biz {
        e.insert("bizLocation".into(), json!({ "id": b }));
    }
}

fn side_list(kind: &str, side: Vec<(&'static str, String)>) -> Option<Value> {
    if side.is_empty() {
        return None;
    }
    Some(Value::Array(
        side.into_iter()
            .map(|(t, id)| json!({ "type": t, kind: id }))
            .collect(),
    ))
}

/// Instance/lot master data (ILMD) of a lot: its number and expiry, in CBV master data terms.
fn ilmd(lot: Option<&str>, expiry: Option<NaiveDate>) -> Option<Value> {
    let mut m = Map::new();
    if let Some(lot) = lot {
        m.insert("cbvmda:lotNumber".into(), lot.into());
    }
    if let Some(d) = expiry {
        m.insert(
            "cbvmda:itemExpirationDate".into(),
            d.format("%Y-%m-%d").to_string().into(),
        );
    }
    (!m.is_empty()).then_some(Value::Object(m))
}

/// The events of one movement that is not part of an assembly.
fn movement_events(ids: &Ids, m: &TraceMovement) -> Vec<Value> {
    let mut out = Vec::new();
    let mut e = object_event(&m.created_at, event_id(ids.base, &m.id, None));
    e.insert("action".into(), "OBSERVE".into());
    what(ids, &mut e, m);
    let (step, disposition): (&str, Option<&str>) = match m.kind {
        MovementKind::Receive => {
            if let (true, Some(serial)) = (m.first_of_serial, &m.serial) {
                // The serial enters our records here: commission it (ADD, with its lot master
                // data) just before the receipt that observes it.
                let mut c = object_event(&m.created_at, event_id(ids.base, &m.id, Some("commissioning")));
                c.insert("epcList".into(), json!([ids.instance(&m.product, serial)]));
                c.insert("action".into(), "ADD".into());
                c.insert("bizStep".into(), "commissioning".into());
                c.insert("disposition".into(), "active".into());
                place_fields(&mut c, Some(ids.location(&m.to)), None);
                if let Some(i) = ilmd(m.lot.as_deref(), m.expiry) {
                    c.insert("ilmd".into(), i);
                }
                out.push(Value::Object(c));
            }
            ("receiving", Some("in_progress"))
        }
        MovementKind::Ship => ("shipping", Some("in_transit")),
        MovementKind::Transfer => (
            match m.to.kind {
                LocationKind::Staging | LocationKind::Shipping => "staging_outbound",
                LocationKind::Quarantine => "holding",
                LocationKind::Bin | LocationKind::Dock => "storing",
                _ => "transporting",
            },
            None,
        ),
        MovementKind::Adjust if m.to.kind == LocationKind::Adjustment => {
            ("destroying", Some("destroyed"))
        }
        MovementKind::Adjust => ("cycle_counting", Some("sellable_accessible")),
        _ => ("stock_taking", Some("sellable_accessible")),
    };
    e.insert("bizStep".into(), step.into());
    if let Some(d) = disposition {
        e.insert("disposition".into(), d.into());
    }
    match m.kind {
        MovementKind::Receive => {
            place_fields(&mut e, Some(ids.location(&m.to)), Some(ids.location(&m.to)));
        }
        // Shipped or destroyed goods are nowhere of ours afterwards: no bizLocation.
        MovementKind::Ship => place_fields(&mut e, Some(ids.location(&m.from)), None),
        MovementKind::Adjust if m.to.kind == LocationKind::Adjustment => {
            place_fields(&mut e, Some(ids.location(&m.from)), None)
        }
        _ => place_fields(&mut e, Some(ids.location(&m.to)), Some(ids.location(&m.to))),
    }
    if let Some(bt) = ids.biz_transactions(m) {
        e.insert("bizTransactionList".into(), bt);
    }
    let (source, destination) = match m.kind {
        MovementKind::Receive => (ids.their_side(&m.from), ids.our_side(&m.to)),
        MovementKind::Ship => (ids.our_side(&m.from), ids.their_side(&m.to)),
        _ => (Vec::new(), Vec::new()),
    };
    if let Some(s) = side_list("source", source) {
        e.insert("sourceList".into(), s);
    }
    if let Some(d) = side_list("destination", destination) {
        e.insert("destinationList".into(), d);
    }
    out.push(Value::Object(e));
    out
}

/// One TransformationEvent for the consumes and produces of one batch (an assembly or a split).
///
/// CBV 2.0 has no `transforming` step. Its `commissioning` says the identifiers are used for the
/// first time, which we know only of serials (`first_of_serial`): when every output is such a
/// serial the step is `commissioning`, else `creating_class_instance` (a lot produced, perhaps
/// into a lot code used before). The outputs are `active`. ILMD (lot number, expiry) is given
/// when all lot outputs share one lot, as EPCIS has one ILMD per event.
fn transformation(ids: &Ids, batch: &[&TraceMovement]) -> Value {
    let first = batch[0];
    let mut e = Map::new();
    e.insert("type".into(), "TransformationEvent".into());
    time_fields(&mut e, &first.created_at);
    e.insert(
        "eventID".into(),
        event_id(ids.base, &first.batch_id, None).into(),
    );
    let inputs: Vec<&TraceMovement> = batch
        .iter()
        .copied()
        .filter(|m| m.kind == MovementKind::Consume)
        .collect();
    let outputs: Vec<&TraceMovement> = batch
        .iter()
        .copied()
        .filter(|m| m.kind == MovementKind::Produce)
        .collect();
    let (in_epcs, in_qty) = objects(ids, &inputs);
    let (out_epcs, out_qty) = objects(ids, &outputs);
    for (key, list) in [
        ("inputEPCList", in_epcs),
        ("inputQuantityList", in_qty),
        ("outputEPCList", out_epcs),
        ("outputQuantityList", out_qty),
    ] {
        if !list.is_empty() {
            e.insert(key.into(), Value::Array(list));
        }
    }
    e.insert(
        "transformationID".into(),
        event_id(ids.base, &first.batch_id, None).into(),
    );
    let all_new_serials = !outputs.is_empty()
        && outputs
            .iter()
            .all(|m| m.serial.is_some() && m.first_of_serial);
    e.insert(
        "bizStep".into(),
        if all_new_serials { "commissioning" } else { "creating_class_instance" }.into(),
    );
    if !outputs.is_empty() {
        e.insert("disposition".into(), "active".into());
    }
    let at = outputs
        .first()
        .map(|m| &m.to)
        .or_else(|| inputs.first().map(|m| &m.from));
    if let Some(place) = at {
        place_fields(&mut e, Some(ids.location(place)), Some(ids.location(place)));
    }
    if let Some(bt) = batch.iter().find_map(|m| ids.biz_transactions(m)) {
        e.insert("bizTransactionList".into(), bt);
    }
    let lots: HashSet<(&str, Option<NaiveDate>)> = outputs
        .iter()
        .filter_map(|m| m.lot.as_deref().map(|l| (l, m.expiry)))
        .collect();
    if lots.len() == 1 {
        let (lot, expiry) = lots.into_iter().next().unwrap_or_default();
        if let Some(i) = ilmd(Some(lot), expiry) {
            e.insert("ilmd".into(), i);
        }
    }
    Value::Object(e)
}

/// Serial units as EPCs; lots and untracked items as quantities, one per class (summed).
fn objects(ids: &Ids, ms: &[&TraceMovement]) -> (Vec<Value>, Vec<Value>) {
    let mut epcs = Vec::new();
    let mut classes: Vec<(String, &Product, Option<&str>, i64)> = Vec::new();
    for m in ms {
        match &m.serial {
            Some(s) => epcs.push(Value::from(ids.instance(&m.product, s))),
            None => {
                let class = ids.class(&m.product, m.lot.as_deref());
                match classes.iter_mut().find(|(c, ..)| *c == class) {
                    Some(entry) => entry.3 += m.qty.abs(),
                    None => classes.push((class, &m.product, m.lot.as_deref(), m.qty.abs())),
                }
            }
        }
    }
    let qty = classes
        .into_iter()
        .map(|(_, p, lot, n)| ids.quantity(p, lot, n))
        .collect();
    (epcs, qty)
}

/// The CBV step and disposition of a lot status change.
///
/// - hold: `holding` (CBV: objects segregated for further review), `non_sellable_other` (not to
///   be sold or used, for a reason CBV has no narrower term for).
/// - release: `inspecting` (a release ends a review: the lab released it, the damage was
///   checked) and `sellable_accessible`, the ordinary state of stock in a warehouse.
/// - recall: `holding`, `recalled`: CBV has no recalling step; the recalled stock is held apart.
/// - recall closed: the ledger leaves the lot on hold, never available, so `holding` and
///   `non_sellable_other` again.
fn status_terms(action: LotAction) -> (&'static str, &'static str) {
    match action {
        LotAction::Hold => ("holding", "non_sellable_other"),
        LotAction::Release => ("inspecting", "sellable_accessible"),
        LotAction::Recall => ("holding", "recalled"),
        LotAction::CloseRecall => ("holding", "non_sellable_other"),
    }
}

/// The events of one lot status change: one per location that held the lot's stock (an event
/// has one location), or one with a quantity of 0 when none did: the change is of the lot, and
/// the lot is named all the same.
fn status_events(ids: &Ids, c: &LotStatusChange) -> Vec<Value> {
    let (step, disposition) = status_terms(c.action);
    let stocked: Vec<&(Place, i64)> = c.stock.iter().filter(|(_, q)| *q > 0).collect();
    let record = c
        .event_id
        .clone()
        .unwrap_or_else(|| format!("lot/{}/{}/{}", c.product.sku, c.lot, c.created_at));
    let one = stocked.len() <= 1;
    let mut out = Vec::new();
    let mut push = |place: Option<&Place>, qty: i64| {
        let id = match place {
            Some(p) if !one => event_id(ids.base, &record, Some(&p.code)),
            _ => event_id(ids.base, &record, None),
        };
        let mut e = object_event(&c.created_at, id);
        e.insert(
            "quantityList".into(),
            json!([ids.quantity(&c.product, Some(&c.lot), qty)]),
        );
        e.insert("action".into(), "OBSERVE".into());
        e.insert("bizStep".into(), step.into());
        e.insert("disposition".into(), disposition.into());
        if let Some(p) = place {
            place_fields(&mut e, Some(ids.location(p)), Some(ids.location(p)));
        }
        out.push(Value::Object(e));
    };
    if stocked.is_empty() {
        push(None, 0);
    } else {
        for (place, qty) in stocked {
            push(Some(place), *qty);
        }
    }
    out
}
