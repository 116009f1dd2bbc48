//! Read-only lookups of master data, documents and the journal.

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::error::{Error, Result};
use super::model::*;
use super::Ledger;

/// Read-only view of the ledger.
pub struct Query<'a> {
    conn: &'a Connection,
}

impl<'a> Query<'a> {
    /// Lookups over any connection, an open transaction included.
    pub(crate) fn over(conn: &'a Connection) -> Query<'a> {
        Query { conn }
    }
}

impl Ledger {
    pub fn query(&self) -> Query<'_> {
        Query::over(self.conn())
    }
}

/// Stock of one item, lot and serial at one location.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StockLine {
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub location: String,
    pub qty: i64,
    pub expiry: Option<NaiveDate>,
    pub status: Option<LotStatus>,
}

pub(crate) const JOURNAL_SELECT: &str =
    "SELECT m.seq, m.id, m.batch_id, m.kind, i.sku, lt.code, s.serial,
        m.qty, f.code, t.code, m.reason, m.reference, m.corrects, m.device, m.created_at
     FROM live_movements m
     JOIN items i ON i.id = m.item_id
     JOIN locations f ON f.id = m.from_loc
     JOIN locations t ON t.id = m.to_loc
     LEFT JOIN lots lt ON lt.id = m.lot_id
     LEFT JOIN serials s ON s.id = m.serial_id";

/// Reads the first fifteen columns of a journal row (the order of `JOURNAL_SELECT`).
pub(crate) fn journal_entry(r: &Row) -> rusqlite::Result<JournalEntry> {
    let kind: String = r.get(3)?;
    Ok(JournalEntry {
        seq: r.get(0)?,
        id: r.get(1)?,
        batch_id: r.get(2)?,
        kind: kind.parse().unwrap_or(MovementKind::Correction),
        item: r.get(4)?,
        lot: r.get(5)?,
        serial: r.get(6)?,
        qty: r.get(7)?,
        from: r.get(8)?,
        to: r.get(9)?,
        reason: r.get(10)?,
        reference: r.get(11)?,
        corrects: r.get(12)?,
        device: r.get(13)?,
        created_at: r.get(14)?,
    })
}

impl<'a> Query<'a> {
    pub fn conn(&self) -> &'a Connection {
        self.conn
    }

    pub fn item(&self, sku: &str) -> Result<Option<Item>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, sku, name, tracking, expiry_tracked, shelf_life_days, unit
                 FROM items WHERE sku = ?",
                [sku],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, Option<i64>>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, sku, name, tracking, expiry_tracked, shelf_life_days, unit)) = row else {
            return Ok(None);
        };
        let mut st = self.conn.prepare_cached(
            "SELECT gtin, pack_qty FROM gtins WHERE item_id = ? ORDER BY pack_qty, gtin",
        )?;
        let gtins = st
            .query_map([id], |r| {
                Ok(Gtin {
                    gtin: r.get(0)?,
                    pack_qty: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let description = self
            .conn
            .prepare_cached(
                "SELECT brand, commodity, variety, pack_size, pack_style, ftl, converting_to,
                        converting_expiry
                 FROM items WHERE id = ?",
            )?
            .query_row([id], |r| {
                Ok((
                    ProductDescription {
                        brand: r.get(0)?,
                        commodity: r.get(1)?,
                        variety: r.get(2)?,
                        pack_size: r.get(3)?,
                        pack_style: r.get(4)?,
                        ftl: r.get(5)?,
                    },
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<bool>>(7)?,
                ))
            })?;
        let (description, converting_to, converting_expiry) = description;
        let converting = match converting_to {
            Some(t) => Some(super::Converting {
                to: t.parse()?,
                expiry_tracked: converting_expiry.unwrap_or(expiry_tracked),
            }),
            None => None,
        };
        Ok(Some(Item {
            sku,
            name,
            tracking: tracking.parse()?,
            expiry_tracked,
            shelf_life_days,
            unit,
            gtins,
            description,
            converting,
        }))
    }

    /// The item a GTIN (any length, normalised to 14 digits) belongs to, with its pack quantity.
    pub fn item_by_gtin(&self, gtin: &str) -> Result<Option<(Item, i64)>> {
        let Ok(g) = crate::gtin::normalize_gtin(gtin) else {
            return Ok(None);
        };
        let found: Option<(String, i64)> = self
            .conn
            .query_row(
                "SELECT i.sku, g.pack_qty FROM gtins g JOIN items i ON i.id = g.item_id WHERE g.gtin = ?",
                [g],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match found {
            Some((sku, pack)) => Ok(self.item(&sku)?.map(|i| (i, pack))),
            None => Ok(None),
        }
    }

    pub fn items(&self) -> Result<Vec<Item>> {
        let skus: Vec<String> = self
            .conn
            .prepare("SELECT sku FROM items ORDER BY sku")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        skus.iter()
            .filter_map(|s| self.item(s).transpose())
            .collect()
    }

    pub fn location(&self, code: &str) -> Result<Option<Location>> {
        self.conn
            .query_row(
                "SELECT code, name, kind, site FROM locations WHERE code = ?",
                [code],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                },
            )
            .optional()?
            .map(|(code, name, kind, site)| {
                Ok::<_, Error>(Location {
                    code,
                    name,
                    kind: kind.parse()?,
                    site,
                })
            })
            .transpose()
    }

    /// Real locations, in code order: on a handheld of one site, that site's and the other
    /// sites' in-transit locations (where it sends stock to them).
    pub fn locations(&self) -> Result<Vec<Location>> {
        self.locations_where(
            "WHERE kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
               AND (site IS NULL OR kind = 'transit'
                    OR site = IFNULL((SELECT value FROM sync_state WHERE key = 'site'), site))",
        )
    }

    /// Every location, virtual ones too, in code order.
    pub fn all_locations(&self) -> Result<Vec<Location>> {
        self.locations_where("")
    }

    fn locations_where(&self, filter: &str) -> Result<Vec<Location>> {
        let rows: Vec<(String, String, String, Option<String>)> = self
            .conn
            .prepare(&format!(
                "SELECT code, name, kind, site FROM locations {filter} ORDER BY code"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(code, name, kind, site)| {
                Ok(Location {
                    code,
                    name,
                    kind: kind.parse()?,
                    site,
                })
            })
            .collect()
    }

    pub fn lot(&self, item: &str, code: &str) -> Result<Option<Lot>> {
        let row = self
            .conn
            .query_row(
                "SELECT lt.expiry, lt.production_date, lt.status FROM lots lt
                 JOIN items i ON i.id = lt.item_id WHERE i.sku = ? AND lt.code = ?",
                params![item, code],
                |r| {
                    Ok((
                        r.get::<_, Option<NaiveDate>>(0)?,
                        r.get::<_, Option<NaiveDate>>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(expiry, production_date, status)| {
            Ok(Lot {
                item: item.to_string(),
                code: code.to_string(),
                expiry,
                production_date,
                status: status.parse()?,
            })
        })
        .transpose()
    }

    /// Holds, recalls and releases of a lot, oldest first: (status, reason, when).
    pub fn lot_events(&self, item: &str, code: &str) -> Result<Vec<(LotStatus, String, String)>> {
        let rows: Vec<(String, String, String)> = self
            .conn
            .prepare(
                "SELECT e.status, e.reason, e.created_at FROM lot_events e
                 JOIN lots lt ON lt.id = e.lot_id JOIN items i ON i.id = lt.item_id
                 WHERE i.sku = ? AND lt.code = ? ORDER BY e.id",
            )?
            .query_map(params![item, code], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(s, reason, at)| Ok((s.parse()?, reason, at)))
            .collect()
    }

    /// Where a serial is in stock now (a real location), if anywhere, and its lot.
    pub fn serial(
        &self,
        item: &str,
        serial: &str,
    ) -> Result<Option<(Option<String>, Option<String>)>> {
        let row: Option<(i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT s.id, lt.code FROM serials s JOIN items i ON i.id = s.item_id
                 LEFT JOIN lots lt ON lt.id = s.lot_id WHERE i.sku = ? AND s.serial = ?",
                params![item, serial],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match row {
            Some((id, lot)) => Ok(Some((super::rows::serial_location(self.conn, id)?, lot))),
            None => Ok(None),
        }
    }

    /// Items whose serial is this code (a scanned serial may belong to several items).
    pub fn items_with_serial(&self, serial: &str) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare(
                "SELECT i.sku FROM serials s JOIN items i ON i.id = s.item_id WHERE s.serial = ? ORDER BY i.sku",
            )?
            .query_map([serial], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Items having a lot with this code.
    pub fn items_with_lot(&self, lot: &str) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare(
                "SELECT i.sku FROM lots lt JOIN items i ON i.id = lt.item_id WHERE lt.code = ? ORDER BY i.sku",
            )?
            .query_map([lot], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Non-zero stock in real locations, filtered by item and/or location, in a stable order.
    pub fn stock(&self, item: Option<&str>, location: Option<&str>) -> Result<Vec<StockLine>> {
        // Filters are added as plain conditions (not `?1 IS NULL OR ...`) so the item filter can
        // use the balances primary key.
        let mut sql = String::from(
            "SELECT i.sku, lt.code, s.serial, l.code, b.qty, lt.expiry, lt.status
             FROM balances b
             JOIN items i ON i.id = b.item_id
             JOIN locations l ON l.id = b.location_id
             LEFT JOIN lots lt ON lt.id = NULLIF(b.lot_id, 0)
             LEFT JOIN serials s ON s.id = NULLIF(b.serial_id, 0)
             WHERE b.qty <> 0
               AND l.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
               AND (l.site IS NULL OR l.site = IFNULL((SELECT value FROM sync_state WHERE key = 'site'), l.site))",
        );
        // A handheld of one site shows that site's stock: it sees another site's locations only
        // through transfers between them, so what it holds for them is not their stock.
        let mut args: Vec<&str> = Vec::new();
        if let Some(sku) = item {
            sql.push_str(" AND b.item_id = (SELECT id FROM items WHERE sku = ?)");
            args.push(sku);
        }
        if let Some(code) = location {
            sql.push_str(" AND b.location_id = (SELECT id FROM locations WHERE code = ?)");
            args.push(code);
        }
        sql.push_str(" ORDER BY i.sku, lt.expiry IS NULL, lt.expiry, lt.code, s.serial, l.code");
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args), |r| {
                Ok((
                    StockLine {
                        item: r.get(0)?,
                        lot: r.get(1)?,
                        serial: r.get(2)?,
                        location: r.get(3)?,
                        qty: r.get(4)?,
                        expiry: r.get(5)?,
                        status: None,
                    },
                    r.get::<_, Option<String>>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(mut line, status)| {
                line.status = status.map(|s| s.parse()).transpose()?;
                Ok(line)
            })
            .collect()
    }

    pub fn movement(&self, id: &str) -> Result<Option<JournalEntry>> {
        Ok(self
            .conn
            .query_row(
                &format!("{JOURNAL_SELECT} WHERE m.id = ?"),
                [id],
                journal_entry,
            )
            .optional()?)
    }

    /// Journal entries after `after_seq`, oldest first, at most `limit`.
    pub fn journal(&self, after_seq: i64, limit: i64) -> Result<Vec<JournalEntry>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{JOURNAL_SELECT} WHERE m.seq > ? ORDER BY m.seq LIMIT ?"
            ))?
            .query_map(params![after_seq, limit], journal_entry)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Journal entries of one serial, oldest first.
    pub fn serial_history(&self, item: &str, serial: &str) -> Result<Vec<JournalEntry>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{JOURNAL_SELECT} WHERE m.serial_id = (SELECT s.id FROM serials s JOIN items i2 ON i2.id = s.item_id
                   WHERE i2.sku = ? AND s.serial = ?) ORDER BY m.seq"
            ))?
            .query_map(params![item, serial], journal_entry)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The ids of the movements at these journal positions, in the same order.
    pub fn ids_of(&self, posted: &[Posted]) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM movements WHERE seq = ?")?;
        posted
            .iter()
            .map(|p| Ok(st.query_row([p.seq()], |r| r.get(0))?))
            .collect()
    }

    pub fn movement_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM movements", [], |r| r.get(0))?)
    }

    /// Pick lists, open ones first, with each line's picked quantity.
    pub fn pick_lists(&self, open_only: bool) -> Result<Vec<PickList>> {
        let numbers: Vec<String> = self
            .conn
            .prepare(
                "SELECT number FROM pick_lists WHERE (? = 0 OR status = 'open')
                 ORDER BY status = 'done', number",
            )?
            .query_map([open_only], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        numbers
            .iter()
            .filter_map(|n| self.pick_list(n).transpose())
            .collect()
    }

    pub fn pick_list(&self, number: &str) -> Result<Option<PickList>> {
        let head: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT id, customer, status FROM pick_lists WHERE number = ?",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, customer, status)) = head else {
            return Ok(None);
        };
        let mut lines: Vec<PickListLine> = self
            .conn
            .prepare_cached(
                "SELECT pl.line_no, i.sku, pl.qty, pl.customer, pl.due FROM pick_list_lines pl
                 JOIN items i ON i.id = pl.item_id WHERE pl.pick_list_id = ? ORDER BY pl.line_no",
            )?
            .query_map([id], |r| {
                Ok(PickListLine {
                    line_no: r.get(0)?,
                    item: r.get(1)?,
                    qty: r.get(2)?,
                    customer: r.get(3)?,
                    due: r.get(4)?,
                    picked: 0,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        // What left pickable stock against this pick list, spread over its lines in order.
        let mut st = self.conn.prepare_cached(
            "SELECT COALESCE(SUM(CASE WHEN m.kind = 'correction' THEN -m.qty ELSE m.qty END), 0)
             FROM live_movements m JOIN items i ON i.id = m.item_id
             WHERE m.reference = ? AND i.sku = ? AND m.kind IN ('ship', 'transfer', 'correction')",
        )?;
        let mut done: std::collections::HashMap<String, i64> = Default::default();
        for line in &mut lines {
            let left = match done.get(&line.item) {
                Some(v) => *v,
                None => st.query_row(params![number, line.item], |r| r.get(0))?,
            };
            line.picked = left.clamp(0, line.qty);
            done.insert(line.item.clone(), left - line.picked);
        }
        let progress =
            if status == "done" || !lines.is_empty() && lines.iter().all(|l| l.picked >= l.qty) {
                "done"
            } else if lines.iter().any(|l| l.picked > 0) {
                "in_progress"
            } else {
                "open"
            };
        Ok(Some(PickList {
            number: number.to_string(),
            customer,
            status,
            progress: progress.to_string(),
            lines,
        }))
    }

    pub fn purchase_order(&self, number: &str) -> Result<Option<PurchaseOrder>> {
        let head: Option<(i64, String, String)> = self
            .conn
            .query_row(
                "SELECT id, supplier, status FROM purchase_orders WHERE number = ?",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, supplier, status)) = head else {
            return Ok(None);
        };
        let mut lines: Vec<PurchaseOrderLine> = self
            .conn
            .prepare_cached(
                "SELECT pl.line_no, i.sku, pl.qty, pl.expected FROM purchase_order_lines pl
                 JOIN items i ON i.id = pl.item_id WHERE pl.po_id = ? ORDER BY pl.line_no",
            )?
            .query_map([id], |r| {
                Ok(PurchaseOrderLine {
                    line_no: r.get(0)?,
                    item: r.get(1)?,
                    qty: r.get(2)?,
                    expected: r.get(3)?,
                    received: 0,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut st = self.conn.prepare_cached(
            "SELECT COALESCE(SUM(m.qty), 0) FROM live_movements m JOIN items i ON i.id = m.item_id
             WHERE m.reference = ? AND i.sku = ? AND m.kind = 'receive'",
        )?;
        let mut left: std::collections::HashMap<String, i64> = Default::default();
        for i in 0..lines.len() {
            let item = lines[i].item.clone();
            let have = match left.get(&item) {
                Some(v) => *v,
                None => st.query_row(params![number, item], |r| r.get(0))?,
            };
            // The last line of an item takes any over-receipt, so it shows there.
            let last_of_item = !lines[i + 1..].iter().any(|l| l.item == item);
            lines[i].received = if last_of_item {
                have
            } else {
                have.min(lines[i].qty)
            };
            left.insert(item, have - lines[i].received);
        }
        let progress = if status == "closed"
            || !lines.is_empty() && lines.iter().all(|l| l.received >= l.qty)
        {
            "received"
        } else if lines.iter().any(|l| l.received > 0) {
            "partly_received"
        } else {
            "open"
        };
        Ok(Some(PurchaseOrder {
            number: number.to_string(),
            supplier,
            status,
            progress: progress.to_string(),
            lines,
        }))
    }

    pub fn purchase_orders(&self, open_only: bool) -> Result<Vec<PurchaseOrder>> {
        let numbers: Vec<String> = self
            .conn
            .prepare(
                "SELECT number FROM purchase_orders WHERE (? = 0 OR status = 'open') ORDER BY number",
            )?
            .query_map([open_only], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        numbers
            .iter()
            .filter_map(|n| self.purchase_order(n).transpose())
            .collect()
    }
}
