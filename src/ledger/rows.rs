//! Row lookups shared by the posting rules and the rest of the ledger: an item by SKU, a
//! location by code (virtual party locations created on first use), a lot, a serial's place, a
//! balance. They read; only `resolve_location` may add a virtual location. The rules and the
//! writes of stock are in `post.rs`.

use chrono::NaiveDate;

use super::error::{Error, Result, Rule};
use super::model::{LocationKind, LotStatus, Tracking};
use super::sql::{args, Sql, SqlExt};
use super::virtual_kind;

#[derive(Debug, Clone)]
pub(crate) struct ItemRow {
    pub id: i64,
    pub sku: String,
    pub tracking: Tracking,
    pub expiry_tracked: bool,
    pub shelf_life_days: Option<i64>,
    pub unit: String,
    /// While a tracking conversion is open: the tracking it converts to, and whether new lots
    /// then need an expiry.
    pub converting: Option<(Tracking, bool)>,
}

#[derive(Debug, Clone)]
pub(crate) struct LocRow {
    pub id: i64,
    pub code: String,
    pub kind: LocationKind,
    /// The site a real location belongs to (none: virtual, or a database without named sites).
    pub site: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct LotRow {
    pub id: i64,
    pub code: String,
    pub expiry: Option<NaiveDate>,
    pub status: LotStatus,
}

pub(crate) fn item_by_sku(tx: &dyn Sql, sku: &str) -> Result<Option<ItemRow>> {
    type Item = (
        i64,
        String,
        String,
        bool,
        Option<i64>,
        String,
        Option<String>,
        Option<bool>,
    );
    let row: Option<Item> = tx.first(
        "SELECT id, sku, tracking, expiry_tracked, shelf_life_days, unit, converting_to,
                    converting_expiry
             FROM items WHERE sku = ?",
        args![sku],
    )?;
    row.map(
        |(id, sku, tracking, expiry_tracked, shelf_life_days, unit, to, expiry)| {
            Ok(ItemRow {
                id,
                sku,
                tracking: tracking.parse()?,
                expiry_tracked,
                shelf_life_days,
                unit,
                converting: match to {
                    Some(t) => Some((t.parse()?, expiry.unwrap_or(expiry_tracked))),
                    None => None,
                },
            })
        },
    )
    .transpose()
}

pub(crate) fn require_item(tx: &dyn Sql, sku: &str) -> Result<ItemRow> {
    item_by_sku(tx, sku)?.ok_or_else(|| {
        Error::refused(
            Rule::Invalid,
            format!("unknown item '{sku}': no item has that SKU"),
        )
    })
}

pub(crate) fn location_by_code(tx: &dyn Sql, code: &str) -> Result<Option<LocRow>> {
    let row: Option<(i64, String, String, Option<String>)> = tx.first(
        "SELECT id, code, kind, site FROM locations WHERE code = ?",
        args![code],
    )?;
    row.map(|(id, code, kind, site)| {
        Ok(LocRow {
            id,
            code,
            kind: kind.parse()?,
            site,
        })
    })
    .transpose()
}

/// Finds a location; virtual party locations (`SUPPLIER:Acme`, `CUSTOMER:Bob`, `ADJUSTMENT`, ...)
/// and a site's in-transit location (`TRANSIT:NORTH`) are created on first use.
pub(crate) fn resolve_location(tx: &dyn Sql, code: &str) -> Result<LocRow> {
    if let Some(loc) = location_by_code(tx, code)? {
        return Ok(loc);
    }
    if let Some(site) = super::transit_site(code) {
        let known: Option<String> = tx.value(
            "SELECT name FROM parties WHERE kind = 'site' AND code = ?",
            args![site],
        )?;
        let Some(name) = known else {
            return Err(Error::refused(
                Rule::Invalid,
                format!("unknown location '{code}': there is no site {site}"),
            ));
        };
        let id = tx.insert(
            "INSERT INTO locations (code, name, kind, site) VALUES (?, ?, 'transit', ?) RETURNING id",
            args![code, format!("In transit to {name}"), site],
        )?;
        return Ok(LocRow {
            id,
            code: code.to_string(),
            kind: LocationKind::Transit,
            site: Some(site.to_string()),
        });
    }
    let Some(kind) = virtual_kind(code) else {
        return Err(Error::refused(
            Rule::Invalid,
            format!("unknown location '{code}': scan or enter a location that exists"),
        ));
    };
    let name = code.split_once(':').map(|(_, n)| n).unwrap_or(code);
    let id = tx.insert(
        "INSERT INTO locations (code, name, kind) VALUES (?, ?, ?) RETURNING id",
        args![code, name, kind.as_str()],
    )?;
    Ok(LocRow {
        id,
        code: code.to_string(),
        kind,
        site: None,
    })
}

fn lot_row(row: (i64, String, Option<NaiveDate>, String)) -> Result<LotRow> {
    let (id, code, expiry, status) = row;
    Ok(LotRow {
        id,
        code,
        expiry,
        status: status.parse()?,
    })
}

pub(crate) fn lot_by_code(tx: &dyn Sql, item_id: i64, code: &str) -> Result<Option<LotRow>> {
    tx.first(
        "SELECT id, code, expiry, status FROM lots WHERE item_id = ? AND code = ?",
        args![item_id, code],
    )?
    .map(lot_row)
    .transpose()
}

pub(crate) fn lot_by_id(tx: &dyn Sql, id: i64) -> Result<LotRow> {
    let row = tx.first(
        "SELECT id, code, expiry, status FROM lots WHERE id = ?",
        args![id],
    )?;
    lot_row(row.ok_or_else(|| Error::NotFound(format!("no lot has id {id}")))?)
}

/// Current quantity of (item, lot, serial) at a location.
pub(crate) fn balance(tx: &dyn Sql, item: i64, lot: i64, serial: i64, loc: i64) -> Result<i64> {
    Ok(tx
        .value(
            "SELECT qty FROM balances WHERE item_id = ? AND lot_id = ? AND serial_id = ? AND location_id = ?",
            args![item, lot, serial, loc],
        )?
        .unwrap_or(0))
}

/// The real location where a serial is in stock now, if any.
pub(crate) fn serial_location(tx: &dyn Sql, serial_id: i64) -> Result<Option<String>> {
    tx.value(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id
         WHERE b.serial_id = ? AND b.serial_id <> 0 AND b.qty > 0
           AND l.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
         LIMIT 1",
        args![serial_id],
    )
}

/// A location by its id.
pub(crate) fn location_row(tx: &dyn Sql, id: i64) -> Result<LocRow> {
    let row: Option<(String, String, Option<String>)> = tx.first(
        "SELECT code, kind, site FROM locations WHERE id = ?",
        args![id],
    )?;
    let (code, kind, site) =
        row.ok_or_else(|| Error::NotFound(format!("no location has id {id}")))?;
    Ok(LocRow {
        id,
        code,
        kind: kind.parse()?,
        site,
    })
}
