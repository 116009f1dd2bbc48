//! What the regulator's and trading partners' documents are made from: the movements of a date
//! range (or of one item or lot), each with its item's product description, both sides' party
//! descriptions, its reference document and, for a lot, where its code was assigned. The
//! documents themselves (FSMA 204 sheets, EPCIS) are drawn in `crate::export` from this, with no
//! SQL there.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::error::{Error, Result};
use super::model::{
    DocType, LocationKind, LotAction, LotOrigin, LotStatus, MovementKind, Party, PartyKind,
    ProductDescription,
};
use super::query::Query;
use super::rows;
use super::sql::{args, get, Row, Sql, SqlExt};
use super::Ledger;

/// Which movements a document covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// First and last day, inclusive, in the ledger's time (UTC dates of `created_at`).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub item: Option<String>,
    /// A lot of `item` (needs `item`), or a lot code of any item when `item` is None.
    pub lot: Option<String>,
    /// At most this many movements, or the read is refused before it is described (the server
    /// holds a document in memory: one request must not hold gigabytes).
    pub max_movements: Option<usize>,
}

impl Scope {
    /// Checks the range and that the item and lot named exist, so a typo is an error and not an
    /// empty document.
    pub fn check(&self, q: &Query) -> Result<()> {
        if self.to < self.from {
            return Err(Error::invalid(format!(
                "the date range ends ({}) before it starts ({}); the last day must be on or after the first",
                self.to, self.from
            )));
        }
        if let Some(sku) = &self.item {
            if q.item(sku)?.is_none() {
                return Err(Error::NotFound(format!("there is no item with SKU {sku}")));
            }
        }
        if let Some(lot) = &self.lot {
            let n: Option<i64> = match &self.item {
                Some(sku) => q.conn().value(
                    "SELECT count(*) FROM lots l JOIN items i ON i.id = l.item_id WHERE i.sku = ? AND l.code = ?",
                    args![sku, lot],
                )?,
                None => q.conn().value("SELECT count(*) FROM lots WHERE code = ?", args![lot])?,
            };
            let n = n.unwrap_or(0);
            if n == 0 {
                return Err(Error::NotFound(match &self.item {
                    Some(sku) => format!("{sku} has no lot {lot}"),
                    None => format!("no item has a lot {lot}"),
                }));
            }
        }
        Ok(())
    }
}

/// An item as the documents describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    pub sku: String,
    pub name: String,
    pub unit: String,
    /// The GTIN of one unit (pack quantity 1), if the item has one.
    pub gtin: Option<String>,
    pub description: ProductDescription,
}

/// One side of a movement: a location and, for a party's virtual location or one of ours, the
/// party it stands for. `party` is None when the party has no record yet (or, for our own
/// locations, when no site is described).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub code: String,
    pub kind: LocationKind,
    /// The party code of a `SUPPLIER:<code>` / `CUSTOMER:<code>` location.
    pub party_code: Option<String>,
    pub party: Option<Party>,
}

/// Where a lot's code was assigned (FSMA 204's traceability lot code source).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LotSource {
    /// A described party: the supplier the lot came from, or our own site for a lot we assigned.
    Party(Party),
    /// A party named but not described yet (its code), e.g. a supplier first seen on a handheld.
    Undescribed(String),
    /// A source reference (a GLN, a URL) given where the code was not assigned by a party we know.
    Reference(String),
    /// Receipts of the lot name different sources (each described): the documents say so
    /// rather than pick one.
    Several(Vec<String>),
}

impl LotSource {
    /// In a few words, for a summary line.
    pub fn describe(s: &Option<LotSource>) -> String {
        match s {
            Some(LotSource::Party(p)) => p.name.clone(),
            Some(LotSource::Undescribed(code)) => code.clone(),
            Some(LotSource::Reference(r)) => r.clone(),
            Some(LotSource::Several(all)) => all.join(", "),
            None => "unknown".to_string(),
        }
    }
}

/// A movement with everything the documents say about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceMovement {
    pub seq: i64,
    pub id: String,
    pub batch_id: String,
    pub kind: MovementKind,
    pub product: Product,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub production_date: Option<NaiveDate>,
    pub qty: i64,
    pub from: Place,
    pub to: Place,
    pub reason: Option<String>,
    pub reference: Option<String>,
    /// The reference's type as recorded, or found from the document the number belongs to.
    pub ref_type: Option<DocType>,
    pub device: String,
    /// RFC 3339, as recorded.
    pub created_at: String,
    /// Its day in UTC.
    pub day: NaiveDate,
    pub lot_origin: Option<LotOrigin>,
    /// For a movement of a lot: where its code was assigned.
    pub lot_source: Option<LotSource>,
    /// The serial appears here for the first time in this ledger (EPCIS commissioning).
    pub first_of_serial: bool,
}

/// A hold, release, recall or recall close of a lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotStatusChange {
    pub product: Product,
    pub lot: String,
    pub action: LotAction,
    pub status: LotStatus,
    pub reason: String,
    pub created_at: String,
    pub event_id: Option<String>,
    /// Where the lot's stock was when it changed: locations and quantities.
    pub stock: Vec<(Place, i64)>,
}

/// The movements and lot changes of a scope, in journal order. Movements that were corrected
/// and the corrections themselves are left out (together they changed nothing), and counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceData {
    /// The site party that is "us" (see `Query::own_site`).
    pub site: Option<Party>,
    pub movements: Vec<TraceMovement>,
    pub lot_changes: Vec<LotStatusChange>,
    /// Corrected movements and their corrections, left out.
    pub corrected: usize,
}

/// What a scope's movements are read with; per-item, per-location and per-lot facts are looked
/// up once each.
struct Describer<'c> {
    conn: &'c dyn Sql,
    q: Query<'c>,
    site: Option<Party>,
    products: HashMap<i64, Product>,
    places: HashMap<i64, Place>,
    lots: HashMap<i64, LotFacts>,
    doc_types: HashMap<String, Option<DocType>>,
    /// For a large read, every lot's row and standing inflows and every document number, read
    /// in one pass each instead of one query per lot or number.
    prefetched: Option<Prefetched>,
}

/// A lot's inflow: kind, from location, lot origin, lot code source.
type Inflow = (String, i64, Option<String>, Option<String>);

struct Prefetched {
    lots: HashMap<i64, (String, Option<NaiveDate>, Option<NaiveDate>)>,
    inflows: HashMap<i64, Vec<Inflow>>,
    documents: HashMap<String, DocType>,
}

/// From this many movements on, a read prefetches (a month of a busy site, not one lot).
const PREFETCH_FROM: usize = 5_000;

impl Prefetched {
    fn read(conn: &dyn Sql) -> Result<Prefetched> {
        let mut lots = HashMap::new();
        conn.scan(
            "SELECT id, code, expiry, production_date FROM lots",
            args![],
            &mut |r| {
                lots.insert(get(r, 0)?, (get(r, 1)?, get(r, 2)?, get(r, 3)?));
                Ok(true)
            },
        )?;
        let mut inflows: HashMap<i64, Vec<Inflow>> = HashMap::new();
        conn.scan(
            "SELECT m.lot_id, m.kind, m.from_loc, m.lot_origin, m.tlc_source FROM live_movements m
             WHERE m.lot_id IS NOT NULL AND m.kind IN ('receive', 'produce', 'opening')
               AND NOT EXISTS (SELECT 1 FROM live_movements c WHERE c.corrects = m.id)
             ORDER BY m.seq",
            args![],
            &mut |r| {
                inflows.entry(get(r, 0)?).or_default().push((
                    get(r, 1)?,
                    get(r, 2)?,
                    get(r, 3)?,
                    get(r, 4)?,
                ));
                Ok(true)
            },
        )?;
        let mut documents = HashMap::new();
        conn.scan(
            "SELECT number, 'pick_list' FROM pick_lists UNION ALL SELECT number, 'po' FROM purchase_orders",
            args![],
            &mut |r| {
                let t: String = get(r, 1)?;
                documents.insert(get(r, 0)?, t.parse()?);
                Ok(true)
            },
        )?;
        Ok(Prefetched {
            lots,
            inflows,
            documents,
        })
    }
}

/// A lot's code, expiry, production date, and where its code was assigned.
type LotFacts = (
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
    Option<LotSource>,
);

/// A journal row as read, before its ids are resolved.
struct RawMovement {
    seq: i64,
    id: String,
    batch_id: String,
    kind: String,
    item: i64,
    lot: Option<i64>,
    serial: Option<i64>,
    serial_code: Option<String>,
    qty: i64,
    from: i64,
    to: i64,
    reason: Option<String>,
    reference: Option<String>,
    ref_type: Option<String>,
    device: String,
    created_at: String,
    lot_origin: Option<String>,
    tlc_source: Option<String>,
    /// A correction, or corrected: left out of the documents, and counted.
    dropped: bool,
}

const SELECT: &str =
    "SELECT m.seq, m.id, m.batch_id, m.kind, m.item_id, m.lot_id, m.serial_id, s.serial,
        m.qty, m.from_loc, m.to_loc, m.reason, m.reference, m.ref_type, m.device, m.created_at,
        m.lot_origin, m.tlc_source,
        CASE WHEN m.kind = 'correction'
                  OR EXISTS (SELECT 1 FROM live_movements c WHERE c.corrects = m.id)
             THEN 1 ELSE 0 END
     FROM live_movements m LEFT JOIN serials s ON s.id = m.serial_id";

fn raw(r: &dyn Row) -> Result<RawMovement> {
    Ok(RawMovement {
        seq: get(r, 0)?,
        id: get(r, 1)?,
        batch_id: get(r, 2)?,
        kind: get(r, 3)?,
        item: get(r, 4)?,
        lot: get(r, 5)?,
        serial: get(r, 6)?,
        serial_code: get(r, 7)?,
        qty: get(r, 8)?,
        from: get(r, 9)?,
        to: get(r, 10)?,
        reason: get(r, 11)?,
        reference: get(r, 12)?,
        ref_type: get(r, 13)?,
        device: get(r, 14)?,
        created_at: get(r, 15)?,
        lot_origin: get(r, 16)?,
        tlc_source: get(r, 17)?,
        dropped: get(r, 18)?,
    })
}

/// Every journal row a query selects (`SELECT` and its filter), in its order.
fn read_raws(conn: &dyn Sql, sql: &str, args: &[super::sql::Arg<'_>]) -> Result<Vec<RawMovement>> {
    let mut out = Vec::new();
    conn.scan(sql, args, &mut |r| {
        out.push(raw(r)?);
        Ok(true)
    })?;
    Ok(out)
}

/// The `created_at` texts that may fall on the scope's days: a day wider on each side, since a
/// device may record its local offset (`…T01:30:00+05:00` is the day before in UTC). What is
/// read is then kept by its UTC day (`Scope::covers`).
fn time_bounds(s: &Scope) -> (String, String) {
    let start = s.from.pred_opt().unwrap_or(s.from);
    let end = s.to.checked_add_days(chrono::Days::new(2)).unwrap_or(s.to);
    (
        start.format("%Y-%m-%d").to_string(),
        end.format("%Y-%m-%d").to_string(),
    )
}

/// The UTC day of a recorded time (RFC 3339, any offset); its first ten characters if it is
/// not RFC 3339 (none are: pushed times are checked, local ones written by the clock).
pub fn utc_day(at: &str) -> NaiveDate {
    chrono::DateTime::parse_from_rfc3339(at)
        .map(|t| t.with_timezone(&chrono::Utc).date_naive())
        .or_else(|_| NaiveDate::parse_from_str(at.get(..10).unwrap_or(at), "%Y-%m-%d"))
        .unwrap_or(NaiveDate::MIN)
}

impl Scope {
    fn within_cap(&self, n: usize) -> Result<()> {
        match self.max_movements {
            Some(max) if n > max => Err(Error::invalid(format!(
                "this range holds {n} movements, more than one export here may hold ({max}); narrow the date range, or run `lotkeeper export` on the back office"
            ))),
            _ => Ok(()),
        }
    }

    /// Whether a recorded time falls on one of the scope's days, in UTC.
    pub fn covers(&self, at: &str) -> bool {
        let d = utc_day(at);
        self.from <= d && d <= self.to
    }
}

impl<'c> Describer<'c> {
    fn conn(&self) -> &'c dyn Sql {
        self.conn
    }

    fn product(&mut self, item: i64) -> Result<Product> {
        if let Some(p) = self.products.get(&item) {
            return Ok(p.clone());
        }
        let sku: String = self
            .conn()
            .value("SELECT sku FROM items WHERE id = ?", args![item])?
            .ok_or_else(|| Error::NotFound(format!("no item with id {item}")))?;
        let it = self
            .q
            .item(&sku)?
            .ok_or_else(|| Error::NotFound(format!("item {sku}")))?;
        let p = Product {
            gtin: it
                .gtins
                .iter()
                .find(|g| g.pack_qty == 1)
                .map(|g| g.gtin.clone()),
            sku: it.sku,
            name: it.name,
            unit: it.unit,
            description: it.description,
        };
        self.products.insert(item, p.clone());
        Ok(p)
    }

    fn place(&mut self, loc: i64) -> Result<Place> {
        if let Some(p) = self.places.get(&loc) {
            return Ok(p.clone());
        }
        let row = rows::location_row(self.conn(), loc)?;
        let named = row.code.split_once(':').map(|(_, n)| n.to_string());
        let (party_code, party) = match row.kind {
            LocationKind::Supplier | LocationKind::Customer => {
                let kind = if row.kind == LocationKind::Supplier {
                    PartyKind::Supplier
                } else {
                    PartyKind::Customer
                };
                let party = match &named {
                    Some(code) => self.q.party(kind, code)?,
                    None => None,
                };
                (named, party)
            }
            k if k.is_real() => (None, self.site.clone()),
            _ => (None, None),
        };
        let p = Place {
            code: row.code,
            kind: row.kind,
            party_code,
            party,
        };
        self.places.insert(loc, p.clone());
        Ok(p)
    }

    /// A `site:CODE` / `supplier:CODE` / `customer:CODE` source names a party; anything else is
    /// a source reference.
    fn named_source(&self, text: &str) -> Result<LotSource> {
        if let Some((kind, code)) = text.split_once(':') {
            if let Ok(kind) = kind.parse::<PartyKind>() {
                return Ok(match self.q.party(kind, code.trim())? {
                    Some(p) => LotSource::Party(p),
                    None => LotSource::Undescribed(format!("{kind}:{}", code.trim())),
                });
            }
        }
        Ok(LotSource::Reference(text.to_string()))
    }

    /// Where the lot code of an inflow (receive, produce, opening) was assigned.
    fn inflow_source(
        &mut self,
        kind: &str,
        from: i64,
        origin: Option<&str>,
        tlc: Option<&str>,
    ) -> Result<Option<LotSource>> {
        if let Some(t) = tlc {
            return self.named_source(t).map(Some);
        }
        let ours = || self.site.clone().map(LotSource::Party);
        Ok(match kind {
            "produce" => ours(),
            "receive" if origin == Some(LotOrigin::Generated.as_str()) => ours(),
            "receive" => {
                let place = self.place(from)?;
                match (place.party, place.party_code) {
                    (Some(p), _) => Some(LotSource::Party(p)),
                    (None, Some(code)) => Some(LotSource::Undescribed(format!("supplier:{code}"))),
                    (None, None) => None,
                }
            }
            _ => None,
        })
    }

    fn lot(&mut self, lot: i64) -> Result<LotFacts> {
        if let Some(l) = self.lots.get(&lot) {
            return Ok(l.clone());
        }
        let row = self
            .prefetched
            .as_ref()
            .and_then(|p| p.lots.get(&lot).cloned());
        let (code, expiry, production): (String, Option<NaiveDate>, Option<NaiveDate>) = match row {
            Some(row) => row,
            None => self
                .conn()
                .first(
                    "SELECT code, expiry, production_date FROM lots WHERE id = ?",
                    args![lot],
                )?
                .ok_or_else(|| Error::NotFound(format!("no lot with id {lot}")))?,
        };
        // Every inflow that stands (not a refused one, not corrected): one source is the
        // lot's source; several are said, not picked from.
        let inflows: Vec<Inflow> = match &self.prefetched {
            Some(p) => p.inflows.get(&lot).cloned().unwrap_or_default(),
            None => self.conn().all(
                "SELECT m.kind, m.from_loc, m.lot_origin, m.tlc_source FROM live_movements m
                 WHERE m.lot_id = ? AND m.kind IN ('receive', 'produce', 'opening')
                   AND NOT EXISTS (SELECT 1 FROM live_movements c WHERE c.corrects = m.id)
                 ORDER BY m.seq",
                args![lot],
            )?,
        };
        let mut sources: Vec<Option<LotSource>> = Vec::new();
        for (kind, from, origin, tlc) in inflows {
            let s = self.inflow_source(&kind, from, origin.as_deref(), tlc.as_deref())?;
            if !sources.contains(&s) {
                sources.push(s);
            }
        }
        let source = match sources.len() {
            0 => None,
            1 => sources.pop().flatten(),
            _ => Some(LotSource::Several(
                sources.iter().map(LotSource::describe).collect(),
            )),
        };
        let l = (code, expiry, production, source);
        self.lots.insert(lot, l.clone());
        Ok(l)
    }

    fn doc_type(&mut self, reference: &str) -> Result<Option<DocType>> {
        if let Some(t) = self.doc_types.get(reference) {
            return Ok(*t);
        }
        if let Some(p) = &self.prefetched {
            return Ok(p.documents.get(reference).copied());
        }
        let t = super::post::document_type(self.conn(), reference)?;
        self.doc_types.insert(reference.to_string(), t);
        Ok(t)
    }

    fn movement(&mut self, m: RawMovement) -> Result<TraceMovement> {
        let kind: MovementKind = m.kind.parse()?;
        let (lot, expiry, production_date, lot_source) = match m.lot {
            Some(id) => {
                let (code, expiry, production, source) = self.lot(id)?;
                let source = if matches!(kind, MovementKind::Receive | MovementKind::Produce) {
                    self.inflow_source(
                        &m.kind,
                        m.from,
                        m.lot_origin.as_deref(),
                        m.tlc_source.as_deref(),
                    )?
                } else {
                    source
                };
                (Some(code), expiry, production, source)
            }
            None => (None, None, None, None),
        };
        let first_of_serial = match m.serial {
            Some(s) if kind == MovementKind::Receive => self
                .conn()
                .value::<i64>(
                    "SELECT 1 FROM movements WHERE serial_id = ? AND seq < ? LIMIT 1",
                    args![s, m.seq],
                )?
                .is_none(),
            _ => false,
        };
        let ref_type = match (&m.ref_type, &m.reference) {
            (Some(t), _) => Some(t.parse()?),
            (None, Some(r)) => self.doc_type(r)?,
            (None, None) => None,
        };
        Ok(TraceMovement {
            seq: m.seq,
            id: m.id,
            batch_id: m.batch_id,
            kind,
            product: self.product(m.item)?,
            lot,
            serial: m.serial_code,
            expiry,
            production_date,
            qty: m.qty,
            from: self.place(m.from)?,
            to: self.place(m.to)?,
            reason: m.reason,
            reference: m.reference,
            ref_type,
            device: m.device,
            day: utc_day(&m.created_at),
            created_at: m.created_at,
            lot_origin: m.lot_origin.and_then(|o| o.parse().ok()),
            lot_source,
            first_of_serial,
        })
    }
}

impl<'c> Describer<'c> {
    fn new(conn: &'c dyn Sql) -> Result<Describer<'c>> {
        let q = Query::over(conn);
        Ok(Describer {
            site: q.own_site()?,
            conn,
            q,
            products: HashMap::new(),
            places: HashMap::new(),
            lots: HashMap::new(),
            doc_types: HashMap::new(),
            prefetched: None,
        })
    }
}

impl Ledger {
    /// Runs `f` over one consistent view of the ledger, which the ledger's own reads inside `f`
    /// share: on SQLite one read transaction (as [`Ledger::read`]); on PostgreSQL one
    /// `REPEATABLE READ READ ONLY` transaction on this ledger's connection, rolled back at the
    /// end (also on an error or a panic). A view inside a view is the outer one.
    pub(crate) fn read_view<T>(&self, f: impl FnOnce(&dyn Sql) -> Result<T>) -> Result<T> {
        if !self.is_postgres() {
            return self.read(|r| f(r.conn));
        }
        let s = self.sql();
        if self.read_depth.get() > 0 {
            return f(s);
        }
        s.run(
            "START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY",
            args![],
        )?;
        /// Ends the view however `f` ends.
        struct End<'a>(&'a dyn Sql, &'a std::cell::Cell<u32>);
        impl Drop for End<'_> {
            fn drop(&mut self) {
                self.1.set(0);
                let _ = self.0.run("ROLLBACK", args![]);
            }
        }
        self.read_depth.set(1);
        let _end = End(s, &self.read_depth);
        f(s)
    }
}

/// One line of a packing slip: an item and lot (or the item's serials) as shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlipLine {
    pub product: Product,
    pub lot: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub qty: i64,
    pub serials: Vec<String>,
    /// Where the lot's code was assigned (FSMA 204's traceability lot code source).
    pub lot_source: Option<LotSource>,
}

/// What a pick list's shipment carried, for the packing slip that goes with it: the lines, the
/// recipient and us, and the shipment's day. With it, the FSMA 204 data a shipper passes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackingSlip {
    pub number: String,
    /// The customer's location (and its party, when described).
    pub ship_to: Place,
    /// Where it was shipped from: our site, when described.
    pub site: Option<Party>,
    pub from_locations: Vec<String>,
    /// The last day its movements were recorded (UTC).
    pub shipped: NaiveDate,
    pub lines: Vec<SlipLine>,
}

impl Ledger {
    /// The packing slip of a pick list finished as a shipment: its shipped movements (corrected
    /// ones left out), one line per item and lot. Refused, saying why, for a list that is not
    /// known or has not shipped.
    pub fn packing_slip(&self, number: &str) -> Result<PackingSlip> {
        self.read_view(|conn| {
            let q = Query::over(conn);
            if q.pick_list(number)?.is_none() {
                return Err(Error::NotFound(format!("there is no pick list {number}")));
            }
            let mut rd = Describer::new(conn)?;
            let raws: Vec<RawMovement> = read_raws(
                conn,
                &format!("{SELECT} WHERE m.reference = ?1 AND m.kind = 'ship' ORDER BY m.seq"),
                args![number],
            )?;
            let raws: Vec<RawMovement> = raws.into_iter().filter(|m| !m.dropped).collect();
            if raws.is_empty() {
                return Err(Error::invalid(format!(
                    "pick list {number} has not shipped: a packing slip goes with a shipment \
                     (finish the list as a shipment, or ship it from staging)"
                )));
            }
            let mut lines: Vec<SlipLine> = Vec::new();
            let mut ship_to: Option<Place> = None;
            let mut from_locations: Vec<String> = Vec::new();
            let mut shipped = None;
            for raw in raws {
                let m = rd.movement(raw)?;
                shipped = shipped.max(Some(m.day));
                if !from_locations.contains(&m.from.code) {
                    from_locations.push(m.from.code.clone());
                }
                ship_to.get_or_insert(m.to.clone());
                match lines
                    .iter_mut()
                    .find(|l| l.product.sku == m.product.sku && l.lot == m.lot)
                {
                    Some(l) => {
                        l.qty += m.qty;
                        l.serials.extend(m.serial.clone());
                    }
                    None => lines.push(SlipLine {
                        product: m.product.clone(),
                        lot: m.lot.clone(),
                        expiry: m.expiry,
                        qty: m.qty,
                        serials: m.serial.clone().into_iter().collect(),
                        lot_source: m.lot_source.clone(),
                    }),
                }
            }
            lines.sort_by(|a, b| (&a.product.sku, &a.lot).cmp(&(&b.product.sku, &b.lot)));
            Ok(PackingSlip {
                number: number.to_string(),
                ship_to: ship_to.ok_or_else(|| Error::invalid("no shipment"))?,
                site: rd.site.clone(),
                from_locations,
                shipped: shipped.unwrap_or_else(|| self.today()),
                lines,
            })
        })
    }
}

impl Ledger {
    /// The movements and lot changes of a scope, described for the documents. `ftl_only` keeps
    /// the items on the Food Traceability List (FSMA 204); a lot scope takes the lot's movements
    /// and every assembly it went into or came out of, whole.
    pub fn trace_data(&self, scope: &Scope, ftl_only: bool) -> Result<TraceData> {
        self.read_view(|conn| {
            scope.check(&Query::over(conn))?;
            let mut rd = Describer::new(conn)?;
            let site = rd.site.clone();
            let (start, end) = time_bounds(scope);
            let conn = rd.conn();
            let ftl = if ftl_only {
                " AND m.item_id IN (SELECT id FROM items WHERE ftl = 1)"
            } else {
                ""
            };
            let item_id: Option<i64> = match &scope.item {
                Some(sku) => Some(rows::require_item(conn, sku)?.id),
                None => None,
            };
            let raws: Vec<RawMovement> = match &scope.lot {
                Some(lot) => {
                    // The lot's movements and the assemblies it takes part in, whole. (An
                    // optional filter compares before `IS NULL`: see `lot_changes`.)
                    let sql = format!(
                        "WITH l AS (SELECT lt.id FROM lots lt WHERE lt.code = ?4 AND (lt.item_id = ?3 OR ?3 IS NULL)),
                              b AS (SELECT DISTINCT batch_id FROM movements
                                    WHERE lot_id IN (SELECT id FROM l) AND kind IN ('consume', 'produce'))
                         {SELECT}
                         WHERE m.seq IN (SELECT seq FROM movements WHERE lot_id IN (SELECT id FROM l)
                                         UNION SELECT seq FROM movements
                                               WHERE kind IN ('consume', 'produce')
                                                 AND batch_id IN (SELECT batch_id FROM b))
                           AND m.created_at >= ?1 AND m.created_at < ?2{ftl}
                         ORDER BY m.seq"
                    );
                    read_raws(conn, &sql, args![start, end, item_id, lot])?
                }
                // The item's filter only when there is an item: PostgreSQL cannot tell the type
                // of a parameter that is only compared with NULL.
                None => match item_id {
                    Some(item_id) => read_raws(
                        conn,
                        &format!(
                            "{SELECT} WHERE m.created_at >= ?1 AND m.created_at < ?2
                               AND m.item_id = ?3{ftl}
                             ORDER BY m.seq"
                        ),
                        args![start, end, item_id],
                    )?,
                    None => read_raws(
                        conn,
                        &format!(
                            "{SELECT} WHERE m.created_at >= ?1 AND m.created_at < ?2{ftl}
                             ORDER BY m.seq"
                        ),
                        args![start, end],
                    )?,
                },
            };
            // Corrected movements and their corrections changed nothing together: left out,
            // and counted.
            let (dropped, raws): (Vec<RawMovement>, Vec<RawMovement>) = raws
                .into_iter()
                .filter(|m| scope.covers(&m.created_at))
                .partition(|m| m.dropped);
            let corrected = dropped.len();
            scope.within_cap(raws.len())?;
            if raws.len() >= PREFETCH_FROM {
                rd.prefetched = Some(Prefetched::read(conn)?);
            }
            let mut movements = Vec::with_capacity(raws.len());
            for m in raws {
                movements.push(rd.movement(m)?);
            }
            let lot_changes = lot_changes(&mut rd, scope, item_id, &start, &end, ftl_only)?;
            Ok(TraceData {
                site,
                movements,
                lot_changes,
                corrected,
            })
        })
    }
}

/// Holds, releases and recalls in the scope, each with the lot's stock by location just after
/// the movements recorded before it.
fn lot_changes(
    rd: &mut Describer,
    scope: &Scope,
    item_id: Option<i64>,
    start: &str,
    end: &str,
    ftl_only: bool,
) -> Result<Vec<LotStatusChange>> {
    let conn = rd.conn();
    let ftl = if ftl_only {
        " AND lt.item_id IN (SELECT id FROM items WHERE ftl = 1)"
    } else {
        ""
    };
    // An optional filter names its parameter in the comparison first and `IS NULL` after:
    // PostgreSQL takes a parameter's type from where it first meets it, and `? IS NULL` gives none.
    let sql = format!(
        "SELECT lt.id, lt.item_id, e.action, e.status, e.reason, e.created_at, e.event_id,
                COALESCE(e.after_seq, (SELECT max(seq) FROM movements), 0)
         FROM lot_events e JOIN lots lt ON lt.id = e.lot_id
         WHERE e.created_at >= ?1 AND e.created_at < ?2
           AND (lt.item_id = ?3 OR ?3 IS NULL) AND (lt.code = ?4 OR ?4 IS NULL){ftl}
         ORDER BY e.created_at, e.id"
    );
    type Row = (
        i64,
        i64,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        i64,
    );
    let rows: Vec<Row> = conn.all(&sql, args![start, end, item_id, scope.lot])?;
    let mut out = Vec::with_capacity(rows.len());
    for (lot, item, action, status, reason, created_at, event_id, after) in rows {
        if !scope.covers(&created_at) {
            continue;
        }
        let status: LotStatus = status.parse()?;
        let action = match action {
            Some(a) => a.parse()?,
            None => match status {
                LotStatus::Quarantine => LotAction::Hold,
                LotStatus::Recalled => LotAction::Recall,
                LotStatus::Available => LotAction::Release,
            },
        };
        // The subquery named (PostgreSQL before 16 wants every subquery in FROM named), and
        // grouped by the location's key so its code may order the rows.
        let held: Vec<(i64, i64)> = conn.all(
            "SELECT l.id, sum(j.q) FROM (
                SELECT to_loc AS loc, qty AS q FROM movements WHERE lot_id = ?1 AND seq <= ?2
                UNION ALL SELECT from_loc, -qty FROM movements WHERE lot_id = ?1 AND seq <= ?2) j
             JOIN locations l ON l.id = j.loc
             WHERE l.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
             GROUP BY l.id HAVING sum(j.q) > 0 ORDER BY l.code",
            args![lot, after],
        )?;
        let mut stock = Vec::with_capacity(held.len());
        for (loc, qty) in held {
            stock.push((rd.place(loc)?, qty));
        }
        let (code, ..) = rd.lot(lot)?;
        out.push(LotStatusChange {
            product: rd.product(item)?,
            lot: code,
            action,
            status,
            reason,
            created_at,
            event_id,
            stock,
        });
    }
    Ok(out)
}

/// A shipment a recall has to reach: a customer who received the lot or something made from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecallShipment {
    /// The customer's party code (`CUSTOMER` when shipped to no named customer).
    pub customer: String,
    /// Their record: business name, phone, address (None until the back office has it).
    pub party: Option<Party>,
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub date: String,
    pub reference: Option<String>,
    /// How the recalled lot reached this shipment: `direct`, or the assemblies it went into
    /// (`FIRSTAID-KIT lot KIT-0001`).
    pub via: String,
}

/// Stock of the lot (or of what was made from it) still on the shelves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecallStock {
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub location: String,
    pub qty: i64,
    /// The device that last moved it there.
    pub last_moved_by: Option<String>,
}

/// A device that recorded movements of the lot (or of what was made from it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecallDevice {
    pub device: String,
    pub movements: i64,
    pub last_movement: String,
    /// Whether it is the device that last moved stock that is still on a shelf.
    pub holds_stock: bool,
    /// Its token was revoked (server side).
    pub revoked: bool,
}

/// A recall shipment as one flat row (tables and CSV, on the command line and the server alike).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecallLine {
    pub customer: String,
    pub business_name: String,
    pub phone: String,
    pub address: String,
    pub item: String,
    pub lot: String,
    pub serial: String,
    pub qty: i64,
    pub date: String,
    pub reference: String,
    pub via: String,
}

impl RecallReport {
    /// The shipments as flat rows: the party's record spelt out, dates as days (UTC).
    pub fn shipment_lines(&self) -> Vec<RecallLine> {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        self.shipments
            .iter()
            .map(|s| {
                let p = s.party.as_ref();
                RecallLine {
                    customer: s.customer.clone(),
                    business_name: p.map_or_else(|| "(no party record)".into(), |p| p.name.clone()),
                    phone: p.map(|p| o(&p.phone)).unwrap_or_default(),
                    address: p
                        .map(|p| {
                            [&p.street, &p.city, &p.region, &p.postal_code, &p.country]
                                .iter()
                                .filter_map(|v| v.as_deref())
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default(),
                    item: s.item.clone(),
                    lot: o(&s.lot),
                    serial: o(&s.serial),
                    qty: s.qty,
                    date: utc_day(&s.date).format("%Y-%m-%d").to_string(),
                    reference: o(&s.reference),
                    via: s.via.clone(),
                }
            })
            .collect()
    }
}

/// Everything a recall needs in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecallReport {
    pub item: String,
    pub lot: String,
    pub status: LotStatus,
    pub shipments: Vec<RecallShipment>,
    pub stock: Vec<RecallStock>,
    pub devices: Vec<RecallDevice>,
}

impl Ledger {
    /// Who received a lot or anything assembled from it, where the rest is, and which devices
    /// handled it.
    pub fn recall_report(&self, item: &str, lot: &str) -> Result<RecallReport> {
        self.read_view(|conn| {
            let q = Query::over(conn);
            let it = rows::require_item(conn, item)?;
            let l = rows::lot_by_code(conn, it.id, lot)?
                .ok_or_else(|| Error::NotFound(format!("{item} has no lot {lot}")))?;
            let trace = self.trace(item, Some(lot), None)?;
            let mut report = RecallReport {
                item: item.to_string(),
                lot: lot.to_string(),
                status: l.status,
                shipments: vec![],
                stock: vec![],
                devices: vec![],
            };
            let mut lots: Vec<(String, Option<String>)> = Vec::new();
            walk(&q, &trace.forward, "direct", &mut report, &mut lots)?;
            report
                .shipments
                .sort_by(|a, b| (&a.date, &a.customer).cmp(&(&b.date, &b.customer)));
            // Devices: every one that recorded a movement of these lots (found by lot id, or
            // for an untracked item by the item, through their indexes).
            let mut devices: HashMap<String, (i64, String)> = HashMap::new();
            let mut keys: Vec<(i64, Option<i64>)> = Vec::new();
            for (sku, code) in &lots {
                let item = rows::require_item(conn, sku)?;
                let lot = match code {
                    Some(c) => rows::lot_by_code(conn, item.id, c)?.map(|l| l.id),
                    None => None,
                };
                keys.push((item.id, lot));
            }
            for &(item, lot) in &keys {
                let found: Vec<(String, i64, String)> = match lot {
                    Some(lot) => conn.all(
                        "SELECT device, count(*), max(created_at) FROM live_movements
                         WHERE lot_id = ?1 GROUP BY device",
                        args![lot],
                    )?,
                    None => conn.all(
                        "SELECT device, count(*), max(created_at) FROM live_movements
                         WHERE item_id = ?1 AND lot_id IS NULL AND serial_id IS NULL GROUP BY device",
                        args![item],
                    )?,
                };
                for (d, n, last) in found {
                    let e = devices.entry(d).or_insert((0, String::new()));
                    e.0 += n;
                    if last > e.1 {
                        e.1 = last;
                    }
                }
            }
            for s in &mut report.stock {
                let item = rows::require_item(conn, &s.item)?;
                let lot = match &s.lot {
                    Some(c) => rows::lot_by_code(conn, item.id, c)?.map(|l| l.id),
                    None => None,
                };
                let Some(to) = rows::location_by_code(conn, &s.location)? else {
                    continue;
                };
                s.last_moved_by = match (lot, &s.serial) {
                    (_, Some(serial)) => conn.value(
                        "SELECT m.device FROM live_movements m JOIN serials se ON se.id = m.serial_id
                         WHERE se.item_id = ?1 AND se.serial = ?2 AND m.to_loc = ?3
                         ORDER BY m.seq DESC LIMIT 1",
                        args![item.id, serial, to.id],
                    )?,
                    (Some(lot), None) => conn.value(
                        "SELECT device FROM live_movements WHERE lot_id = ?1 AND to_loc = ?2
                         ORDER BY seq DESC LIMIT 1",
                        args![lot, to.id],
                    )?,
                    (None, None) => conn.value(
                        "SELECT device FROM live_movements
                         WHERE item_id = ?1 AND lot_id IS NULL AND serial_id IS NULL AND to_loc = ?2
                         ORDER BY seq DESC LIMIT 1",
                        args![item.id, to.id],
                    )?,
                };
            }
            let mut list: Vec<RecallDevice> = devices
                .into_iter()
                .map(|(device, (movements, last_movement))| RecallDevice {
                    holds_stock: report
                        .stock
                        .iter()
                        .any(|s| s.last_moved_by.as_deref() == Some(device.as_str())),
                    revoked: false,
                    device,
                    movements,
                    last_movement,
                })
                .collect();
            for d in &mut list {
                // A flag as an integer on both stores (PostgreSQL's `IS NOT NULL` is a boolean).
                d.revoked = conn
                    .value::<bool>(
                        "SELECT CASE WHEN revoked_at IS NULL THEN 0 ELSE 1 END FROM devices
                         WHERE name = ?",
                        args![d.device],
                    )?
                    .unwrap_or(false);
            }
            list.sort_by(|a, b| a.device.cmp(&b.device));
            report.devices = list;
            Ok(report)
        })
    }
}

fn walk(
    q: &Query,
    n: &super::trace::ForwardNode,
    via: &str,
    report: &mut RecallReport,
    lots: &mut Vec<(String, Option<String>)>,
) -> Result<()> {
    if !lots.contains(&(n.item.clone(), n.lot.clone())) {
        lots.push((n.item.clone(), n.lot.clone()));
    }
    for s in &n.shipped {
        let party = if s.party == super::CUSTOMER {
            None
        } else {
            q.party(PartyKind::Customer, &s.party)?
        };
        report.shipments.push(RecallShipment {
            customer: s.party.clone(),
            party,
            item: n.item.clone(),
            lot: n.lot.clone(),
            serial: s.serial.clone(),
            qty: s.qty,
            date: s.date.clone(),
            reference: s.reference.clone(),
            via: via.to_string(),
        });
    }
    for s in &n.in_stock {
        report.stock.push(RecallStock {
            item: n.item.clone(),
            lot: n.lot.clone(),
            serial: s.serial.clone(),
            location: s.location.clone(),
            qty: s.qty,
            last_moved_by: None,
        });
    }
    for link in &n.used_in {
        let node = &link.node;
        let what = match (&node.lot, &node.serial) {
            (_, Some(s)) => format!("{} serial {s}", node.item),
            (Some(l), None) => format!("{} lot {l}", node.item),
            (None, None) => node.item.clone(),
        };
        let via = if via == "direct" {
            what
        } else {
            format!("{via} > {what}")
        };
        walk(q, node, &via, report, lots)?;
    }
    Ok(())
}

/// A movement with every field the journal holds, for an auditor or a data warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub seq: i64,
    pub id: String,
    pub batch_id: String,
    pub kind: String,
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub unit: String,
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub ref_type: Option<String>,
    pub corrects: Option<String>,
    pub device: String,
    pub created_at: String,
    pub lot_origin: Option<String>,
    pub lot_source: Option<String>,
    pub lot_expiry: Option<String>,
    pub lot_production_date: Option<String>,
    /// The lot attribute values this movement recorded, as a JSON object (name to value).
    pub lot_attributes: Option<String>,
}

/// How many journal rows `Ledger::ledger_rows` reads at a time.
const LEDGER_PAGE: i64 = 5_000;

/// A row of `Ledger::ledger_rows`'s query.
fn ledger_row(r: &dyn Row) -> Result<LedgerRow> {
    Ok(LedgerRow {
        seq: get(r, 0)?,
        id: get(r, 1)?,
        batch_id: get(r, 2)?,
        kind: get(r, 3)?,
        item: get(r, 4)?,
        lot: get(r, 5)?,
        serial: get(r, 6)?,
        qty: get(r, 7)?,
        unit: get(r, 8)?,
        from: get(r, 9)?,
        to: get(r, 10)?,
        reason: get(r, 11)?,
        reference: get(r, 12)?,
        ref_type: get(r, 13)?,
        corrects: get(r, 14)?,
        device: get(r, 15)?,
        created_at: get(r, 16)?,
        lot_origin: get(r, 17)?,
        lot_source: get(r, 18)?,
        lot_expiry: get(r, 19)?,
        lot_production_date: get(r, 20)?,
        lot_attributes: get(r, 21)?,
    })
}

impl LedgerRow {
    pub const COLUMNS: [&'static str; 22] = [
        "seq",
        "id",
        "batch_id",
        "kind",
        "item",
        "lot",
        "serial",
        "qty",
        "unit",
        "from",
        "to",
        "reason",
        "reference",
        "ref_type",
        "corrects",
        "device",
        "created_at",
        "lot_origin",
        "lot_source",
        "lot_expiry",
        "lot_production_date",
        "lot_attributes",
    ];

    /// The row as text cells, in `COLUMNS` order.
    pub fn cells(&self) -> [String; 22] {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.seq.to_string(),
            self.id.clone(),
            self.batch_id.clone(),
            self.kind.clone(),
            self.item.clone(),
            o(&self.lot),
            o(&self.serial),
            self.qty.to_string(),
            self.unit.clone(),
            self.from.clone(),
            self.to.clone(),
            o(&self.reason),
            o(&self.reference),
            o(&self.ref_type),
            o(&self.corrects),
            self.device.clone(),
            self.created_at.clone(),
            o(&self.lot_origin),
            o(&self.lot_source),
            o(&self.lot_expiry),
            o(&self.lot_production_date),
            o(&self.lot_attributes),
        ]
    }
}

impl Ledger {
    /// Every movement recorded in a date range (corrections and corrected ones included), in
    /// journal order, handed to `each` one at a time so a year of movements needs no memory.
    pub fn ledger_rows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        mut each: impl FnMut(LedgerRow) -> Result<()>,
    ) -> Result<usize> {
        let scope = Scope {
            from,
            to,
            item: None,
            lot: None,
            max_movements: None,
        };
        self.read_view(|conn| {
            scope.check(&Query::over(conn))?;
            let (start, end) = time_bounds(&scope);
            // Read a page at a time, by journal position: PostgreSQL's client holds a statement's
            // rows whole, and a year of movements must not be held at once on either store.
            let mut after = 0i64;
            let mut n = 0;
            loop {
                let mut read = 0i64;
                let page_after = after;
                conn.scan(
                    "SELECT m.seq, m.id, m.batch_id, m.kind, i.sku, lt.code, s.serial, m.qty, i.unit,
                            f.code, t.code, m.reason, m.reference, m.ref_type, m.corrects, m.device,
                            m.created_at, m.lot_origin, m.tlc_source, lt.expiry, lt.production_date,
                            m.lot_attributes
                     FROM movements m JOIN items i ON i.id = m.item_id
                     JOIN locations f ON f.id = m.from_loc JOIN locations t ON t.id = m.to_loc
                     LEFT JOIN lots lt ON lt.id = m.lot_id LEFT JOIN serials s ON s.id = m.serial_id
                     WHERE m.created_at >= ?1 AND m.created_at < ?2 AND m.seq > ?3
                     ORDER BY m.seq LIMIT ?4",
                    args![start, end, page_after, LEDGER_PAGE],
                    &mut |r| {
                        read += 1;
                        let row = ledger_row(r)?;
                        after = row.seq;
                        if !scope.covers(&row.created_at) {
                            return Ok(true);
                        }
                        // The caller's error ends the read and is returned as it is.
                        each(row)?;
                        n += 1;
                        Ok(true)
                    },
                )?;
                if read < LEDGER_PAGE {
                    break;
                }
            }
            Ok(n)
        })
    }
}
