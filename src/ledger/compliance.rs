//! What the regulator's and trading partners' documents are made from: the movements of a date
//! range (or of one item or lot), each with its item's product description, both sides' party
//! descriptions, its reference document and, for a lot, where its code was assigned. The
//! documents themselves (FSMA 204 sheets, EPCIS) are drawn in `crate::export` from this, with no
//! SQL there.

use std::collections::HashMap;

use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;

use super::error::{Error, Result};
use super::model::{
    DocType, LocationKind, LotAction, LotOrigin, LotStatus, MovementKind, Party, PartyKind,
    ProductDescription,
};
use super::query::Query;
use super::rows;
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
}

impl Scope {
    /// Checks the range and that the item and lot named exist, so a typo is an error and not an
    /// empty document.
    pub fn check(&self, q: &Query) -> Result<()> {
        if self.to < self.from {
            return Err(Error::invalid(format!(
                "the date range ends ({}) before it starts ({}); give --to on or after --from",
                self.to, self.from
            )));
        }
        if let Some(sku) = &self.item {
            if q.item(sku)?.is_none() {
                return Err(Error::NotFound(format!("there is no item with SKU {sku}")));
            }
        }
        if let Some(lot) = &self.lot {
            let n: i64 = match &self.item {
                Some(sku) => q.conn().query_row(
                    "SELECT count(*) FROM lots l JOIN items i ON i.id = l.item_id WHERE i.sku = ? AND l.code = ?",
                    params![sku, lot],
                    |r| r.get(0),
                )?,
                None => q.conn().query_row(
                    "SELECT count(*) FROM lots WHERE code = ?",
                    [lot],
                    |r| r.get(0),
                )?,
            };
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
