//! Read-only lookups of master data, documents and the journal.

use chrono::NaiveDate;

use super::error::{Error, Result};
use super::model::*;
use super::sql::{args, get, Arg, FromRow, Row, Sql, SqlExt, ToArg};
use super::Ledger;

/// Read-only view of the ledger.
pub struct Query<'a> {
    conn: &'a dyn Sql,
}

impl<'a> Query<'a> {
    /// Lookups over any store, an open transaction included.
    pub(crate) fn over(conn: &'a dyn Sql) -> Query<'a> {
        Query { conn }
    }
}

impl Ledger {
    pub fn query(&self) -> Query<'_> {
        Query::over(self.sql())
    }
}

/// The kinds of location that hold stock, as SQL.
const REAL_KINDS: &str = "('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')";

/// (item id, lot id, serial id, location id, quantity) of one balance.
pub type BalanceKey = (i64, i64, i64, i64, i64);

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
pub(crate) fn journal_entry(r: &dyn Row) -> Result<JournalEntry> {
    let kind: String = get(r, 3)?;
    Ok(JournalEntry {
        seq: get(r, 0)?,
        id: get(r, 1)?,
        batch_id: get(r, 2)?,
        kind: kind.parse().unwrap_or(MovementKind::Correction),
        item: get(r, 4)?,
        lot: get(r, 5)?,
        serial: get(r, 6)?,
        qty: get(r, 7)?,
        from: get(r, 8)?,
        to: get(r, 9)?,
        reason: get(r, 10)?,
        reference: get(r, 11)?,
        corrects: get(r, 12)?,
        device: get(r, 13)?,
        created_at: get(r, 14)?,
    })
}

/// A journal row read as `JOURNAL_SELECT` selects it.
impl FromRow for JournalEntry {
    fn from_row(row: &dyn Row) -> Result<Self> {
        journal_entry(row)
    }
}

impl<'a> Query<'a> {
    pub(crate) fn conn(&self) -> &'a dyn Sql {
        self.conn
    }

    pub fn item(&self, sku: &str) -> Result<Option<Item>> {
        type ItemRow = (i64, String, String, String, bool, Option<i64>, String);
        let row: Option<ItemRow> = self.conn.first(
            "SELECT id, sku, name, tracking, expiry_tracked, shelf_life_days, unit
                 FROM items WHERE sku = ?",
            args![sku],
        )?;
        let Some((id, sku, name, tracking, expiry_tracked, shelf_life_days, unit)) = row else {
            return Ok(None);
        };
        let gtins = self
            .conn
            .all::<(String, i64)>(
                "SELECT gtin, pack_qty FROM gtins WHERE item_id = ? ORDER BY pack_qty, gtin",
                args![id],
            )?
            .into_iter()
            .map(|(gtin, pack_qty)| Gtin { gtin, pack_qty })
            .collect();
        let mut described = None;
        self.conn.scan(
            "SELECT brand, commodity, variety, pack_size, pack_style, ftl, converting_to,
                    converting_expiry
             FROM items WHERE id = ?",
            args![id],
            &mut |r| {
                described = Some((
                    ProductDescription {
                        brand: get(r, 0)?,
                        commodity: get(r, 1)?,
                        variety: get(r, 2)?,
                        pack_size: get(r, 3)?,
                        pack_style: get(r, 4)?,
                        ftl: get(r, 5)?,
                    },
                    get::<Option<String>>(r, 6)?,
                    get::<Option<bool>>(r, 7)?,
                ));
                Ok(false)
            },
        )?;
        let (description, converting_to, converting_expiry) =
            described.ok_or_else(|| Error::Store(format!("item {sku} has no row")))?;
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
        let found: Option<(String, i64)> = self.conn.first(
            "SELECT i.sku, g.pack_qty FROM gtins g JOIN items i ON i.id = g.item_id WHERE g.gtin = ?",
            args![g],
        )?;
        match found {
            Some((sku, pack)) => Ok(self.item(&sku)?.map(|i| (i, pack))),
            None => Ok(None),
        }
    }

    pub fn items(&self) -> Result<Vec<Item>> {
        let skus: Vec<(String,)> = self
            .conn
            .all("SELECT sku FROM items ORDER BY sku", args![])?;
        skus.iter()
            .filter_map(|(s,)| self.item(s).transpose())
            .collect()
    }

    pub fn location(&self, code: &str) -> Result<Option<Location>> {
        self.conn
            .first::<(String, String, String, Option<String>)>(
                "SELECT code, name, kind, site FROM locations WHERE code = ?",
                args![code],
            )?
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
                    OR site = COALESCE((SELECT value FROM sync_state WHERE key = 'site'), site))",
        )
    }

    /// Every location, virtual ones too, in code order.
    pub fn all_locations(&self) -> Result<Vec<Location>> {
        self.locations_where("")
    }

    fn locations_where(&self, filter: &str) -> Result<Vec<Location>> {
        let rows: Vec<(String, String, String, Option<String>)> = self.conn.all(
            &format!("SELECT code, name, kind, site FROM locations {filter} ORDER BY code"),
            args![],
        )?;
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
        let row: Option<(Option<NaiveDate>, Option<NaiveDate>, String)> = self.conn.first(
            "SELECT lt.expiry, lt.production_date, lt.status FROM lots lt
             JOIN items i ON i.id = lt.item_id WHERE i.sku = ? AND lt.code = ?",
            args![item, code],
        )?;
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
        let rows: Vec<(String, String, String)> = self.conn.all(
            "SELECT e.status, e.reason, e.created_at FROM lot_events e
             JOIN lots lt ON lt.id = e.lot_id JOIN items i ON i.id = lt.item_id
             WHERE i.sku = ? AND lt.code = ? ORDER BY e.id",
            args![item, code],
        )?;
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
        let row: Option<(i64, Option<String>)> = self.conn.first(
            "SELECT s.id, lt.code FROM serials s JOIN items i ON i.id = s.item_id
             LEFT JOIN lots lt ON lt.id = s.lot_id WHERE i.sku = ? AND s.serial = ?",
            args![item, serial],
        )?;
        match row {
            Some((id, lot)) => Ok(Some((super::rows::serial_location(self.conn, id)?, lot))),
            None => Ok(None),
        }
    }

    /// Items whose serial is this code (a scanned serial may belong to several items).
    pub fn items_with_serial(&self, serial: &str) -> Result<Vec<String>> {
        Ok(self
            .conn
            .all::<(String,)>(
                "SELECT i.sku FROM serials s JOIN items i ON i.id = s.item_id WHERE s.serial = ? ORDER BY i.sku",
                args![serial],
            )?
            .into_iter()
            .map(|(sku,)| sku)
            .collect())
    }

    /// Items having a lot with this code.
    pub fn items_with_lot(&self, lot: &str) -> Result<Vec<String>> {
        Ok(self
            .conn
            .all::<(String,)>(
                "SELECT i.sku FROM lots lt JOIN items i ON i.id = lt.item_id WHERE lt.code = ? ORDER BY i.sku",
                args![lot],
            )?
            .into_iter()
            .map(|(sku,)| sku)
            .collect())
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
               AND (l.site IS NULL OR l.site = COALESCE((SELECT value FROM sync_state WHERE key = 'site'), l.site))",
        );
        // A handheld of one site shows that site's stock: it sees another site's locations only
        // through transfers between them, so what it holds for them is not their stock.
        let mut args: Vec<Arg> = Vec::new();
        if let Some(sku) = item {
            sql.push_str(" AND b.item_id = (SELECT id FROM items WHERE sku = ?)");
            args.push(sku.to_arg());
        }
        if let Some(code) = location {
            sql.push_str(" AND b.location_id = (SELECT id FROM locations WHERE code = ?)");
            args.push(code.to_arg());
        }
        // NULLS FIRST: SQLite's order, which PostgreSQL gives only when asked.
        sql.push_str(
            " ORDER BY i.sku, lt.expiry IS NULL, lt.expiry, lt.code NULLS FIRST, s.serial NULLS FIRST, l.code",
        );
        type Line = (
            String,
            Option<String>,
            Option<String>,
            String,
            i64,
            Option<NaiveDate>,
            Option<String>,
        );
        let rows: Vec<Line> = self.conn.all(&sql, &args)?;
        rows.into_iter()
            .map(|(item, lot, serial, location, qty, expiry, status)| {
                Ok(StockLine {
                    item,
                    lot,
                    serial,
                    location,
                    qty,
                    expiry,
                    status: status.map(|s| s.parse()).transpose()?,
                })
            })
            .collect()
    }

    pub fn movement(&self, id: &str) -> Result<Option<JournalEntry>> {
        self.conn
            .first(&format!("{JOURNAL_SELECT} WHERE m.id = ?"), args![id])
    }

    /// Journal entries after `after_seq`, oldest first, at most `limit`.
    pub fn journal(&self, after_seq: i64, limit: i64) -> Result<Vec<JournalEntry>> {
        self.conn.all(
            &format!("{JOURNAL_SELECT} WHERE m.seq > ? ORDER BY m.seq LIMIT ?"),
            args![after_seq, limit],
        )
    }

    /// Journal entries of one serial, oldest first.
    pub fn serial_history(&self, item: &str, serial: &str) -> Result<Vec<JournalEntry>> {
        self.conn.all(
            &format!(
                "{JOURNAL_SELECT} WHERE m.serial_id = (SELECT s.id FROM serials s JOIN items i2 ON i2.id = s.item_id
                   WHERE i2.sku = ? AND s.serial = ?) ORDER BY m.seq"
            ),
            args![item, serial],
        )
    }

    /// The ids of the movements at these journal positions, in the same order.
    pub fn ids_of(&self, posted: &[Posted]) -> Result<Vec<String>> {
        posted
            .iter()
            .map(|p| {
                self.conn
                    .value("SELECT id FROM movements WHERE seq = ?", args![p.seq()])?
                    .ok_or_else(|| {
                        Error::NotFound(format!("no movement at journal position {}", p.seq()))
                    })
            })
            .collect()
    }

    /// Every non-zero balance at a real location: (item, lot, serial, location, quantity) by
    /// their ids, lot and serial 0 for none, in that order.
    pub fn real_balances(&self) -> Result<Vec<BalanceKey>> {
        self.conn.all(
            &format!(
                "SELECT b.item_id, b.lot_id, b.serial_id, b.location_id, b.qty FROM balances b
                 JOIN locations l ON l.id = b.location_id
                 WHERE b.qty <> 0 AND l.kind IN {REAL_KINDS}
                 ORDER BY b.item_id, b.lot_id, b.serial_id, b.location_id"
            ),
            args![],
        )
    }

    /// How many real-location balances differ from the sums of the live journal (either way):
    /// 0 when the stored stock is what the movements add up to, as every write keeps it.
    pub fn balances_off_the_journal(&self) -> Result<usize> {
        let recomputed: Vec<BalanceKey> = self.conn.all(
            &format!(
                "SELECT m.item_id, m.lot_id, m.serial_id, m.loc, CAST(SUM(m.q) AS BIGINT)
                 FROM (SELECT item_id, COALESCE(lot_id, 0) AS lot_id,
                              COALESCE(serial_id, 0) AS serial_id, to_loc AS loc, qty AS q
                       FROM live_movements
                       UNION ALL
                       SELECT item_id, COALESCE(lot_id, 0), COALESCE(serial_id, 0), from_loc, -qty
                       FROM live_movements) m
                 JOIN locations l ON l.id = m.loc
                 WHERE l.kind IN {REAL_KINDS}
                 GROUP BY m.item_id, m.lot_id, m.serial_id, m.loc
                 HAVING SUM(m.q) <> 0
                 ORDER BY m.item_id, m.lot_id, m.serial_id, m.loc"
            ),
            args![],
        )?;
        let stored: std::collections::HashSet<BalanceKey> =
            self.real_balances()?.into_iter().collect();
        let summed: std::collections::HashSet<BalanceKey> = recomputed.into_iter().collect();
        Ok(stored.symmetric_difference(&summed).count())
    }

    /// How many rows of SQLite's running totals (`location_totals`, `lot_totals`,
    /// `movement_days`, kept by triggers) differ from the balances and the journal summed
    /// again: 0 always. (PostgreSQL keeps no totals: its tables are empty.)
    pub fn totals_off_the_balances(&self) -> Result<usize> {
        type Keyed = std::collections::HashSet<(i64, i64, i64)>;
        let pairs = [
            (
                "SELECT location_id, lines, units FROM location_totals WHERE lines <> 0 OR units <> 0",
                "SELECT location_id, COUNT(*), CAST(SUM(qty) AS BIGINT) FROM balances
                 WHERE qty > 0 GROUP BY location_id",
            ),
            (
                "SELECT lot_id, 0, units FROM lot_totals WHERE units <> 0",
                "SELECT lot_id, 0, CAST(SUM(qty) AS BIGINT) FROM balances
                 WHERE qty > 0 AND lot_id <> 0 GROUP BY lot_id",
            ),
        ];
        let mut off = 0;
        for (kept, summed) in pairs {
            let kept: Keyed = self.conn.all(kept, args![])?.into_iter().collect();
            let summed: Keyed = self.conn.all(summed, args![])?.into_iter().collect();
            off += kept.symmetric_difference(&summed).count();
        }
        type Days = std::collections::HashSet<(String, i64)>;
        let kept: Days = self
            .conn
            .all(
                "SELECT day, movements FROM movement_days WHERE movements <> 0",
                args![],
            )?
            .into_iter()
            .collect();
        let summed: Days = self
            .conn
            .all(
                "SELECT substr(created_at, 1, 10), COUNT(*) FROM movements
                 GROUP BY substr(created_at, 1, 10)",
                args![],
            )?
            .into_iter()
            .collect();
        Ok(off + kept.symmetric_difference(&summed).count())
    }

    pub fn movement_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .value("SELECT count(*) FROM movements", args![])?
            .unwrap_or(0))
    }

    /// Pick lists, open ones first, with each line's picked quantity.
    pub fn pick_lists(&self, open_only: bool) -> Result<Vec<PickList>> {
        let numbers: Vec<(String,)> = self.conn.all(
            "SELECT number FROM pick_lists WHERE (? = 0 OR status = 'open')
             ORDER BY status = 'done', number",
            args![open_only],
        )?;
        numbers
            .iter()
            .filter_map(|(n,)| self.pick_list(n).transpose())
            .collect()
    }

    pub fn pick_list(&self, number: &str) -> Result<Option<PickList>> {
        let head: Option<(i64, String, String)> = self.conn.first(
            "SELECT id, customer, status FROM pick_lists WHERE number = ?",
            args![number],
        )?;
        let Some((id, customer, status)) = head else {
            return Ok(None);
        };
        let mut lines: Vec<PickListLine> = self
            .conn
            .all::<(i64, String, i64, String, Option<NaiveDate>)>(
                "SELECT pl.line_no, i.sku, pl.qty, pl.customer, pl.due FROM pick_list_lines pl
                 JOIN items i ON i.id = pl.item_id WHERE pl.pick_list_id = ? ORDER BY pl.line_no",
                args![id],
            )?
            .into_iter()
            .map(|(line_no, item, qty, customer, due)| PickListLine {
                line_no,
                item,
                qty,
                customer,
                due,
                picked: 0,
            })
            .collect();
        // What left pickable stock against this pick list, spread over its lines in order.
        let mut done: std::collections::HashMap<String, i64> = Default::default();
        for line in &mut lines {
            let left = match done.get(&line.item) {
                Some(v) => *v,
                None => self
                    .conn
                    .value(
                        "SELECT COALESCE(SUM(CASE WHEN m.kind = 'correction' THEN -m.qty ELSE m.qty END), 0)
                         FROM live_movements m JOIN items i ON i.id = m.item_id
                         WHERE m.reference = ? AND i.sku = ? AND m.kind IN ('ship', 'transfer', 'correction')",
                        args![number, line.item],
                    )?
                    .unwrap_or(0),
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
        let head: Option<(i64, String, String)> = self.conn.first(
            "SELECT id, supplier, status FROM purchase_orders WHERE number = ?",
            args![number],
        )?;
        let Some((id, supplier, status)) = head else {
            return Ok(None);
        };
        let mut lines: Vec<PurchaseOrderLine> = self
            .conn
            .all::<(i64, String, i64, Option<NaiveDate>)>(
                "SELECT pl.line_no, i.sku, pl.qty, pl.expected FROM purchase_order_lines pl
                 JOIN items i ON i.id = pl.item_id WHERE pl.po_id = ? ORDER BY pl.line_no",
                args![id],
            )?
            .into_iter()
            .map(|(line_no, item, qty, expected)| PurchaseOrderLine {
                line_no,
                item,
                qty,
                expected,
                received: 0,
            })
            .collect();
        let mut left: std::collections::HashMap<String, i64> = Default::default();
        for i in 0..lines.len() {
            let item = lines[i].item.clone();
            let have = match left.get(&item) {
                Some(v) => *v,
                None => self
                    .conn
                    .value(
                        "SELECT COALESCE(SUM(m.qty), 0) FROM live_movements m JOIN items i ON i.id = m.item_id
                         WHERE m.reference = ? AND i.sku = ? AND m.kind = 'receive'",
                        args![number, item],
                    )?
                    .unwrap_or(0),
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
        let numbers: Vec<(String,)> = self.conn.all(
            "SELECT number FROM purchase_orders WHERE (? = 0 OR status = 'open') ORDER BY number",
            args![open_only],
        )?;
        numbers
            .iter()
            .filter_map(|(n,)| self.purchase_order(n).transpose())
            .collect()
    }
}
