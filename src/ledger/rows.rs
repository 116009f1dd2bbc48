//! Row lookups shared by the posting rules and the rest of the ledger: an item by SKU, a
//! location by code (virtual party locations created on first use), a lot, a serial's place, a
//! balance. They read; only `resolve_location` may add a virtual location. The rules and the
//! writes of stock are in `post.rs`.

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::error::{Error, Result, Rule};
use super::model::{LocationKind, LotStatus, Tracking};
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

pub(crate) fn item_by_sku(tx: &Connection, sku: &str) -> Result<Option<ItemRow>> {
    let mut st = tx.prepare_cached(
        "SELECT id, sku, tracking, expiry_tracked, shelf_life_days, unit, converting_to,
                converting_expiry
         FROM items WHERE sku = ?",
    )?;
    let row = st
        .query_row([sku], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<bool>>(7)?,
            ))
        })
        .optional()?;
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

pub(crate) fn require_item(tx: &Connection, sku: &str) -> Result<ItemRow> {
    item_by_sku(tx, sku)?.ok_or_else(|| {
        Error::refused(
            Rule::Invalid,
            format!("unknown item '{sku}': no item has that SKU"),
        )
    })
}

pub(crate) fn location_by_code(tx: &Connection, code: &str) -> Result<Option<LocRow>> {
    let mut st = tx.prepare_cached("SELECT id, code, kind, site FROM locations WHERE code = ?")?;
    let row = st
        .query_row([code], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })
        .optional()?;
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
pub(crate) fn resolve_location(tx: &Connection, code: &str) -> Result<LocRow> {
    if let Some(loc) = location_by_code(tx, code)? {
        return Ok(loc);
    }
    if let Some(site) = super::transit_site(code) {
        let known: Option<String> = tx
            .prepare_cached("SELECT name FROM parties WHERE kind = 'site' AND code = ?")?
            .query_row([site], |r| r.get(0))
            .optional()?;
        let Some(name) = known else {
            return Err(Error::refused(
                Rule::Invalid,
                format!("unknown location '{code}': there is no site {site}"),
            ));
        };
        tx.prepare_cached(
            "INSERT INTO locations (code, name, kind, site) VALUES (?, ?, 'transit', ?)",
        )?
        .execute(params![code, format!("In transit to {name}"), site])?;
        return Ok(LocRow {
            id: tx.last_insert_rowid(),
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
    tx.prepare_cached("INSERT INTO locations (code, name, kind) VALUES (?, ?, ?)")?
        .execute(params![code, name, kind.as_str()])?;
    Ok(LocRow {
        id: tx.last_insert_rowid(),
        code: code.to_string(),
        kind,
        site: None,
    })
}

pub(crate) fn lot_by_code(tx: &Connection, item_id: i64, code: &str) -> Result<Option<LotRow>> {
    let mut st = tx.prepare_cached(
        "SELECT id, code, expiry, status FROM lots WHERE item_id = ? AND code = ?",
    )?;
    let row = st
        .query_row(params![item_id, code], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<NaiveDate>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()?;
    row.map(|(id, code, expiry, status)| {
        Ok(LotRow {
            id,
            code,
            expiry,
            status: status.parse()?,
        })
    })
    .transpose()
}

pub(crate) fn lot_by_id(tx: &Connection, id: i64) -> Result<LotRow> {
    let mut st = tx.prepare_cached("SELECT id, code, expiry, status FROM lots WHERE id = ?")?;
    let (id, code, expiry, status) = st.query_row([id], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<NaiveDate>>(2)?,
            r.get::<_, String>(3)?,
        ))
    })?;
    Ok(LotRow {
        id,
        code,
        expiry,
        status: status.parse()?,
    })
}

/// Current quantity of (item, lot, serial) at a location.
pub(crate) fn balance(tx: &Connection, item: i64, lot: i64, serial: i64, loc: i64) -> Result<i64> {
    let mut st = tx.prepare_cached(
        "SELECT qty FROM balances WHERE item_id = ? AND lot_id = ? AND serial_id = ? AND location_id = ?",
    )?;
    Ok(st
        .query_row(params![item, lot, serial, loc], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The real location where a serial is in stock now, if any.
pub(crate) fn serial_location(tx: &Connection, serial_id: i64) -> Result<Option<String>> {
    let mut st = tx.prepare_cached(
        "SELECT l.code FROM balances b JOIN locations l ON l.id = b.location_id
         WHERE b.serial_id = ? AND b.serial_id <> 0 AND b.qty > 0
           AND l.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
         LIMIT 1",
    )?;
    Ok(st.query_row([serial_id], |r| r.get(0)).optional()?)
}

/// A location by its id.
pub(crate) fn location_row(tx: &Connection, id: i64) -> Result<LocRow> {
    let (code, kind, site): (String, String, Option<String>) = tx.query_row(
        "SELECT code, kind, site FROM locations WHERE id = ?",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(LocRow {
        id,
        code,
        kind: kind.parse()?,
        site,
    })
}
