//! Turning tracking on for stock already on hand: an untracked item becomes lot- or
//! serial-tracked without losing its history.
//!
//! The back office opens a conversion; the item keeps its tracking, and its movements may now
//! carry the lot or serial of the tracking it converts to, or none. Stock on hand is assigned
//! location by location, as a pair of adjustments in one batch (the untracked units out, the
//! same units back in with their lot or serial), so the audit trail shows each assignment and it
//! syncs like any movement: from a file (`convert-tracking --assign`) or by a count on a
//! handheld. Closing switches the item's tracking, and is refused while any unit on hand is
//! unassigned, saying where.

use chrono::NaiveDate;
use rusqlite::{params, Connection};
use serde::Serialize;

use super::error::{Error, Result};
use super::model::{Movement, MovementKind, Posted, Tracking};
use super::rows::{self, ItemRow};
use super::{post, Ledger, ADJUSTMENT};

/// Stock on hand given its lot or serial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub location: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub qty: i64,
}

/// What a whole conversion did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Converted {
    pub item: String,
    pub to: Tracking,
    pub expiry_tracked: bool,
    /// Units assigned, and the movements that recorded it.
    pub units: i64,
    pub movements: usize,
}

/// Untracked units on hand, by location (negative where the location is short).
fn unassigned(tx: &Connection, item: i64) -> Result<Vec<(String, i64)>> {
    let mut st = tx.prepare_cached(
        "SELECT l.code, b.qty FROM balances b JOIN locations l ON l.id = b.location_id
         WHERE b.item_id = ? AND b.lot_id = 0 AND b.serial_id = 0 AND b.qty <> 0
         ORDER BY l.code",
    )?;
    let rows = st
        .query_map([item], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn units(item: &ItemRow, n: i64) -> String {
    format!("{n} {}", item.unit)
}

/// "5 EA at A2 and 3 EA at DOCK"
fn where_(item: &ItemRow, left: &[(String, i64)]) -> String {
    let parts: Vec<String> = left
        .iter()
        .map(|(loc, q)| format!("{} at {loc}", units(item, *q)))
        .collect();
    match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn open_in(tx: &Connection, sku: &str, to: Tracking, expiry_tracked: bool) -> Result<ItemRow> {
    let item = rows::require_item(tx, sku)?;
    if to == Tracking::None {
        return Err(Error::invalid(format!(
            "a conversion turns tracking on: convert {sku} to lot or serial"
        )));
    }
    if item.tracking != Tracking::None {
        return Err(Error::invalid(format!(
            "{sku} is {}-tracked already: a conversion turns tracking on for an untracked item",
            item.tracking
        )));
    }
    match item.converting {
        Some((open_to, open_expiry)) if (open_to, open_expiry) != (to, expiry_tracked) => {
            return Err(Error::invalid(format!(
                "{sku} is being converted to {open_to} already{}; close that conversion first",
                if open_expiry { " with expiry" } else { "" }
            )))
        }
        Some(_) => {}
        None => {
            tx.execute(
                "UPDATE items SET converting_to = ?, converting_expiry = ? WHERE id = ?",
                params![to.as_str(), expiry_tracked, item.id],
            )?;
        }
    }
    rows::require_item(tx, sku)
}

fn close_in(tx: &Connection, sku: &str) -> Result<(ItemRow, Tracking, bool)> {
    let item = rows::require_item(tx, sku)?;
    let Some((to, expiry_tracked)) = item.converting else {
        return Err(Error::invalid(format!(
            "{sku} has no open tracking conversion"
        )));
    };
    let left = unassigned(tx, item.id)?;
    if !left.is_empty() {
        return Err(Error::invalid(format!(
            "{sku} cannot switch to {to} tracking yet: {} on hand {} no {to}; assign {} first \
             (convert-tracking --assign, or a count on a handheld)",
            where_(&item, &left),
            if left.len() == 1 && left[0].1 == 1 {
                "has"
            } else {
                "have"
            },
            if left.len() == 1 { "it" } else { "them" },
        )));
    }
    tx.execute(
        "UPDATE items SET tracking = ?, expiry_tracked = ?, converting_to = NULL,
                converting_expiry = NULL WHERE id = ?",
        params![to.as_str(), expiry_tracked, item.id],
    )?;
    Ok((item, to, expiry_tracked))
}

/// The movements that give `rows` their lots or serials: per row, the untracked units out to
/// ADJUSTMENT and back in with their lot or serial.
fn assignment_batch(item: &ItemRow, rows: &[Assignment], reference: &str) -> Vec<Movement> {
    let reason = format!(
        "tracking conversion to {}",
        item.converting.map_or(item.tracking, |(t, _)| t)
    );
    let mut batch = Vec::new();
    for a in rows {
        batch.push(
            Movement::new(
                MovementKind::Adjust,
                &item.sku,
                a.qty,
                &a.location,
                ADJUSTMENT,
            )
            .reason(Some(&reason))
            .reference(Some(reference)),
        );
        batch.push(
            Movement::new(
                MovementKind::Adjust,
                &item.sku,
                a.qty,
                ADJUSTMENT,
                &a.location,
            )
            .lot(a.lot.as_ref())
            .serial(a.serial.as_ref())
            .dates(a.expiry, None)
            .reason(Some(&reason))
            .reference(Some(reference)),
        );
    }
    batch
}

impl Ledger {
    /// Opens `sku`'s conversion to `to` tracking (with expiry dates on its lots when
    /// `expiry_tracked`). Opening one that is open already, the same way, changes nothing.
    pub fn open_conversion(&mut self, sku: &str, to: Tracking, expiry_tracked: bool) -> Result<()> {
        self.write(|tx| open_in(tx, sku, to, expiry_tracked).map(|_| ()))
    }

    /// Closes `sku`'s conversion: the item switches tracking. Refused, saying where, while any
    /// unit on hand is unassigned.
    pub fn close_conversion(&mut self, sku: &str) -> Result<Tracking> {
        self.write(|tx| close_in(tx, sku).map(|(_, to, _)| to))
    }

    /// Untracked units of `sku` on hand, by location.
    pub fn unassigned(&self, sku: &str) -> Result<Vec<(String, i64)>> {
        let item = rows::require_item(self.sql(), sku)?;
        unassigned(self.conn()?, item.id)
    }

    /// The whole conversion in one transaction: opens it (unless open), assigns every row, and
    /// closes it. The rows must cover exactly the untracked units on hand at each location, or
    /// nothing changes and the error says what is uncovered (or over-covered), where.
    pub fn convert_tracking(
        &mut self,
        sku: &str,
        to: Tracking,
        expiry_tracked: bool,
        rows: &[Assignment],
    ) -> Result<Converted> {
        let ctx = self.post_context(false);
        self.write(|tx| {
            let item = open_in(tx, sku, to, expiry_tracked)?;
            let on_hand = unassigned(tx, item.id)?;
            let mut given: std::collections::BTreeMap<&str, i64> = Default::default();
            for a in rows {
                *given.entry(a.location.as_str()).or_default() += a.qty;
            }
            let mut over = Vec::new();
            for (loc, q) in &given {
                let has = on_hand
                    .iter()
                    .find(|(l, _)| l == loc)
                    .map_or(0, |(_, q)| *q);
                if *q > has {
                    over.push(format!(
                        "the file assigns {} at {loc}, which holds {} untracked",
                        units(&item, *q),
                        units(&item, has)
                    ));
                }
            }
            if !over.is_empty() {
                return Err(Error::invalid(format!(
                    "{}; nothing changed",
                    over.join("; ")
                )));
            }
            let left: Vec<(String, i64)> = on_hand
                .iter()
                .map(|(loc, q)| {
                    (
                        loc.clone(),
                        q - given.get(loc.as_str()).copied().unwrap_or(0),
                    )
                })
                .filter(|(_, q)| *q != 0)
                .collect();
            if !left.is_empty() {
                return Err(Error::invalid(format!(
                    "the file leaves {} of {sku} without a {to}; it must cover all stock on hand, \
                     so nothing changed",
                    where_(&item, &left)
                )));
            }
            let reference = format!("convert {sku} to {to}");
            let batch = assignment_batch(&item, rows, &reference);
            let posted: Vec<Posted> = if batch.is_empty() {
                vec![]
            } else {
                post::post_batch(tx, &ctx, &batch)?
            };
            close_in(tx, sku)?;
            Ok(Converted {
                item: sku.to_string(),
                to,
                expiry_tracked,
                units: rows.iter().map(|a| a.qty).sum(),
                movements: posted.len(),
            })
        })
    }
}
