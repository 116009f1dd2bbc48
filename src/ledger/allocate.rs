//! FEFO / FIFO pick allocation.
//!
//! Earliest expiry first, then earliest receipt (the lot or serial created first); items without
//! expiry follow receipt order alone (FIFO). Only pickable locations (bins, docks) are used; expired
//! lots and lots on hold are never suggested.

use chrono::{Days, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;

use super::error::{Error, Result};
use super::sql::{args, Sql, SqlExt};
use super::Ledger;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllocationLine {
    pub location: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub expiry: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    pub item: String,
    pub requested: i64,
    /// In pick order.
    pub lines: Vec<AllocationLine>,
    /// How much could not be allocated (0 when the request is covered).
    pub short: i64,
}

/// Stock that may be picked, in FEFO order (one line per location, lot and serial).
pub(crate) fn pickable(
    conn: &dyn Sql,
    item_id: i64,
    today: NaiveDate,
    exclude_within_days: Option<u64>,
    site: Option<&str>,
) -> Result<Vec<AllocationLine>> {
    // Lots expiring on or before this date are left out.
    let cutoff = match exclude_within_days {
        Some(d) => today.checked_add_days(Days::new(d)),
        None => today.pred_opt(),
    };
    // NULLS FIRST: SQLite's order (stock of no lot or no serial before the rest at the same
    // expiry), which PostgreSQL gives only when asked. The cutoff is compared before it is
    // tested for NULL: PostgreSQL takes a parameter's type from where it first meets it.
    type Line = (
        String,
        Option<String>,
        Option<String>,
        i64,
        Option<NaiveDate>,
    );
    let rows: Vec<Line> = conn.all(
        "SELECT l.code, lt.code, s.serial, b.qty, lt.expiry
         FROM balances b
         JOIN locations l ON l.id = b.location_id
         LEFT JOIN lots lt ON lt.id = NULLIF(b.lot_id, 0)
         LEFT JOIN serials s ON s.id = NULLIF(b.serial_id, 0)
         WHERE b.item_id = ?1 AND b.qty > 0 AND l.kind IN ('bin', 'dock')
           AND (l.site = ?3 OR ?3 IS NULL)
           AND (lt.id IS NULL OR (lt.status = 'available'
                AND (lt.expiry IS NULL OR lt.expiry > ?2 OR ?2 IS NULL)))
         ORDER BY lt.expiry IS NULL, lt.expiry, lt.id NULLS FIRST, s.id NULLS FIRST,
                  l.kind = 'dock', l.code",
        args![item_id, cutoff, site],
    )?;
    Ok(rows
        .into_iter()
        .map(|(location, lot, serial, qty, expiry)| AllocationLine {
            location,
            lot,
            serial,
            qty,
            expiry,
        })
        .collect())
}

type StockKey = (String, Option<String>, Option<String>);

/// Takes `qty` from `stock` in order, skipping what `reserved` already holds (and adding to it).
pub(crate) fn take(
    stock: &[AllocationLine],
    qty: i64,
    reserved: &mut HashMap<StockKey, i64>,
) -> (Vec<AllocationLine>, i64) {
    let mut left = qty;
    let mut lines = Vec::new();
    for s in stock {
        if left == 0 {
            break;
        }
        let key = (s.location.clone(), s.lot.clone(), s.serial.clone());
        let used = reserved.entry(key).or_insert(0);
        let free = s.qty - *used;
        if free <= 0 {
            continue;
        }
        let n = free.min(left);
        *used += n;
        left -= n;
        lines.push(AllocationLine {
            qty: n,
            ..s.clone()
        });
    }
    (lines, left)
}

impl Ledger {
    /// The ordered suggestions a picker should follow for `qty` of `item`: at this handheld's
    /// site, or anywhere on a back office (see [`Ledger::allocate_at`]).
    pub fn allocate(
        &self,
        item: &str,
        qty: i64,
        exclude_within_days: Option<u64>,
    ) -> Result<Allocation> {
        self.allocate_at(item, qty, exclude_within_days, self.site.as_deref())
    }

    /// [`Ledger::allocate`] from the stock of one site (a site party's code), or of every site.
    pub fn allocate_at(
        &self,
        item: &str,
        qty: i64,
        exclude_within_days: Option<u64>,
        site: Option<&str>,
    ) -> Result<Allocation> {
        if let Some(site) = site {
            let known = self
                .sql()
                .value::<i64>(
                    "SELECT 1 FROM parties WHERE kind = 'site' AND code = ?",
                    args![site],
                )?
                .is_some();
            if !known {
                return Err(Error::NotFound(format!(
                    "there is no site {site} (a party of kind site, from `import parties`)"
                )));
            }
        }
        if qty <= 0 {
            return Err(Error::invalid(format!(
                "quantity must be at least 1, not {qty}"
            )));
        }
        let it = super::rows::item_by_sku(self.sql(), item)?
            .ok_or_else(|| Error::NotFound(format!("unknown item '{item}'")))?;
        let stock = pickable(self.sql(), it.id, self.today(), exclude_within_days, site)?;
        let (lines, short) = take(&stock, qty, &mut HashMap::new());
        Ok(Allocation {
            item: item.to_string(),
            requested: qty,
            lines,
            short,
        })
    }
}
