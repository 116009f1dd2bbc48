//! The reports audits and recalls ask for. Each returns plain rows; formatting is the caller's.

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

use super::allocate::{pickable, take};
use super::error::{Error, Result};
use super::model::{JournalEntry, LotStatus};
use super::query::journal_entry;
use super::rows::item_by_sku;
use super::sql::{args, get, Arg, SqlExt};
use super::Ledger;

/// What a report says about stock: derived from the lot's stored status and its expiry date
/// against today, never stored. Only `available` stock counts as available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum StockStatus {
    #[serde(rename = "available")]
    Available,
    #[serde(rename = "expired")]
    Expired,
    #[serde(rename = "on hold")]
    OnHold,
    #[serde(rename = "recalled")]
    Recalled,
}

impl StockStatus {
    /// A recall outranks a hold, a hold outranks expiry: the report names the strongest reason
    /// the stock cannot be used. Stock without a lot is available.
    pub fn of(status: Option<LotStatus>, expiry: Option<NaiveDate>, today: NaiveDate) -> Self {
        match status {
            Some(LotStatus::Recalled) => StockStatus::Recalled,
            Some(LotStatus::Quarantine) => StockStatus::OnHold,
            _ if expiry.is_some_and(|e| e < today) => StockStatus::Expired,
            _ => StockStatus::Available,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StockStatus::Available => "available",
            StockStatus::Expired => "expired",
            StockStatus::OnHold => "on hold",
            StockStatus::Recalled => "recalled",
        }
    }
}

impl std::fmt::Display for StockStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockRow {
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub location: String,
    pub on_hand: i64,
    /// Reserved by open pick lists (FEFO allocation of their open quantities).
    pub on_pick_lists: i64,
    /// What may be picked: 0 for expired, held or recalled stock.
    pub available: i64,
    pub expiry: Option<NaiveDate>,
    pub status: StockStatus,
}

/// An item to order: its stock as counted against the reorder point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReorderRow {
    pub item: String,
    pub name: String,
    pub unit: String,
    /// On the shelves, in real locations.
    pub on_hand: i64,
    /// Of that: expired, and on hold (held lots, recalled lots, quarantine locations).
    pub expired: i64,
    pub held: i64,
    /// Wanted by open pick lists and not picked yet.
    pub reserved: i64,
    /// What can still be sold: on hand less expired, held and reserved (below 0: short).
    pub usable: i64,
    pub reorder_point: i64,
    pub reorder_qty: Option<i64>,
    /// What to order: the reorder quantity, or at least enough to come back to the point.
    pub order: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiryRow {
    pub item: String,
    pub lot: String,
    pub expiry: Option<NaiveDate>,
    pub days_left: Option<i64>,
    pub expired: bool,
    pub on_hand: i64,
    pub status: StockStatus,
}

#[derive(Debug, Clone, Default)]
pub struct ExpiryFilter {
    pub expired: bool,
    pub within_days: Option<i64>,
    pub item: Option<String>,
    /// Only the stock at this site's locations (and those of no site).
    pub site: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SerialRow {
    pub item: String,
    pub serial: String,
    pub lot: Option<String>,
    pub location: String,
    pub expiry: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotTransaction {
    #[serde(flatten)]
    pub entry: JournalEntry,
    /// The supplier or customer on the other side, when there is one.
    pub party: Option<String>,
}

/// Which movements `transactions` reports: any combination; none is everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransactionFilter {
    pub item: Option<String>,
    /// Needs `item`.
    pub lot: Option<String>,
    /// The first day, included.
    pub from: Option<NaiveDate>,
    /// The last day, included.
    pub to: Option<NaiveDate>,
}

/// The supplier or customer a virtual location code stands for.
pub fn party_of(code: &str) -> Option<String> {
    for prefix in [super::SUPPLIER, super::CUSTOMER] {
        if code == prefix {
            return Some(prefix.to_lowercase());
        }
        if let Some(name) = code.strip_prefix(prefix).and_then(|r| r.strip_prefix(':')) {
            return Some(name.to_string());
        }
    }
    None
}

impl Ledger {
    /// On hand, reserved by open pick lists, and available, per item, lot, serial and location.
    pub fn stock_by_lot(
        &self,
        item: Option<&str>,
        location: Option<&str>,
        lot: Option<&str>,
    ) -> Result<Vec<StockRow>> {
        if let Some(sku) = item {
            if item_by_sku(self.sql(), sku)?.is_none() {
                return Err(Error::NotFound(format!("unknown item '{sku}'")));
            }
        }
        let stock = self.query().stock(item, location)?;
        // Reserve open pick-list quantities the way the pickers will take them: FEFO.
        let mut reserved: HashMap<(String, Option<String>, Option<String>), i64> = HashMap::new();
        let mut by_item: HashMap<String, HashMap<_, i64>> = HashMap::new();
        let mut items: Vec<&str> = stock.iter().map(|s| s.item.as_str()).collect();
        items.dedup();
        // A pick list of a site is picked from that site's locations.
        let mut site_locations: HashMap<String, std::collections::HashSet<String>> = HashMap::new();
        for sku in items {
            let demand = self.open_pick_demand(sku)?;
            if demand.is_empty() {
                continue;
            }
            let it = item_by_sku(self.sql(), sku)?
                .ok_or_else(|| Error::NotFound(format!("unknown item '{sku}'")))?;
            let candidates = pickable(self.sql(), it.id, self.today(), None, None)?;
            reserved.clear();
            for (site, open) in demand {
                match site {
                    None => {
                        take(&candidates, open, &mut reserved);
                    }
                    Some(site) => {
                        if !site_locations.contains_key(&site) {
                            let codes = self.site_location_codes(&site)?;
                            site_locations.insert(site.clone(), codes);
                        }
                        let here = &site_locations[&site];
                        let at_site: Vec<_> = candidates
                            .iter()
                            .filter(|c| here.contains(&c.location))
                            .cloned()
                            .collect();
                        take(&at_site, open, &mut reserved);
                    }
                }
            }
            by_item.insert(sku.to_string(), std::mem::take(&mut reserved));
        }
        let today = self.today();
        Ok(stock
            .into_iter()
            .filter(|s| lot.is_none() || s.lot.as_deref() == lot)
            .map(|s| {
                let key = (s.location.clone(), s.lot.clone(), s.serial.clone());
                let held = by_item
                    .get(&s.item)
                    .and_then(|m| m.get(&key))
                    .copied()
                    .unwrap_or(0);
                let status = StockStatus::of(s.status, s.expiry, today);
                StockRow {
                    available: if status == StockStatus::Available {
                        s.qty - held
                    } else {
                        0
                    },
                    on_pick_lists: held,
                    on_hand: s.qty,
                    item: s.item,
                    lot: s.lot,
                    serial: s.serial,
                    location: s.location,
                    expiry: s.expiry,
                    status,
                }
            })
            .collect())
    }

    /// Units of an item still to be picked on open pick lists, by the lists' site (none: a
    /// list of no site), sites in code order.
    fn open_pick_demand(&self, sku: &str) -> Result<Vec<(Option<String>, i64)>> {
        let numbers: Vec<(String, Option<String>)> = self.sql().all(
            "SELECT DISTINCT p.number, p.site FROM pick_lists p
             JOIN pick_list_lines pl ON pl.pick_list_id = p.id
             JOIN items i ON i.id = pl.item_id
             WHERE p.status = 'open' AND i.sku = ?",
            args![sku],
        )?;
        let mut open: std::collections::BTreeMap<Option<String>, i64> = Default::default();
        for (n, site) in numbers {
            if let Some(pl) = self.query().pick_list(&n)? {
                *open.entry(site).or_insert(0) += pl
                    .lines
                    .iter()
                    .filter(|l| l.item == sku)
                    .map(|l| l.qty - l.picked)
                    .sum::<i64>();
            }
        }
        Ok(open.into_iter().filter(|(_, q)| *q > 0).collect())
    }

    /// The codes of a site's locations.
    fn site_location_codes(&self, site: &str) -> Result<std::collections::HashSet<String>> {
        let codes: Vec<(String,)> = self
            .sql()
            .all("SELECT code FROM locations WHERE site = ?", args![site])?;
        Ok(codes.into_iter().map(|(c,)| c).collect())
    }

    /// Every lot with stock in a real location, soonest expiry first.
    pub fn expiry_report(&self, f: &ExpiryFilter) -> Result<Vec<ExpiryRow>> {
        let today = self.today();
        // Grouped by the items' and lots' keys (the balances' item and lot), so PostgreSQL
        // allows their other columns in the select list, as SQLite does. An optional filter
        // names its parameter in the comparison first and `IS NULL` after: PostgreSQL takes a
        // parameter's type from where it first meets it, and `? IS NULL` alone gives none.
        let rows: Vec<(String, String, Option<NaiveDate>, i64, String)> = self.sql().all(
            "SELECT i.sku, lt.code, lt.expiry, SUM(b.qty), lt.status
             FROM balances b
             JOIN lots lt ON lt.id = b.lot_id
             JOIN items i ON i.id = b.item_id
             JOIN locations l ON l.id = b.location_id
             WHERE b.lot_id <> 0 AND b.qty > 0
               AND l.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
               AND (i.sku = ?1 OR ?1 IS NULL)
               AND (l.site = ?2 OR l.site IS NULL OR ?2 IS NULL)
             GROUP BY i.id, lt.id
             ORDER BY lt.expiry IS NULL, lt.expiry, i.sku, lt.code",
            args![f.item, f.site],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (item, lot, expiry, on_hand, status) in rows {
            let days_left = expiry.map(|e| (e - today).num_days());
            let expired = days_left.is_some_and(|d| d < 0);
            if f.expired && !expired {
                continue;
            }
            if let Some(n) = f.within_days {
                // Expiring within N days: not yet expired, at most N days left.
                if !days_left.is_some_and(|d| (0..=n).contains(&d)) {
                    continue;
                }
            }
            out.push(ExpiryRow {
                item,
                lot,
                expiry,
                days_left,
                expired,
                on_hand,
                status: StockStatus::of(Some(status.parse()?), expiry, today),
            });
        }
        Ok(out)
    }

    /// Items whose usable stock is at or below their reorder point. Usable: on the shelves
    /// (real locations but quarantine), not in a lot on hold or recalled, not expired, and not
    /// reserved by the unpicked rest of open pick lists.
    pub fn reorder_report(&self) -> Result<Vec<ReorderRow>> {
        let today = self.today();
        type Row = (String, String, String, i64, Option<i64>, i64, i64, i64);
        let rows: Vec<Row> = self.sql().all(
            "SELECT i.sku, i.name, i.unit, i.reorder_point, i.reorder_qty,
                    COALESCE(SUM(b.qty), 0),
                    COALESCE(SUM(CASE WHEN l.kind = 'quarantine' OR lt.status IN ('quarantine', 'recalled')
                                      THEN b.qty ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN l.kind <> 'quarantine' AND (lt.status IS NULL OR lt.status = 'available')
                                       AND lt.expiry < ?1 THEN b.qty ELSE 0 END), 0)
             FROM items i
             LEFT JOIN balances b ON b.item_id = i.id AND b.qty > 0
                  AND b.location_id IN (SELECT id FROM locations
                                        WHERE kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit'))
             LEFT JOIN locations l ON l.id = b.location_id
             LEFT JOIN lots lt ON lt.id = NULLIF(b.lot_id, 0)
             WHERE i.reorder_point IS NOT NULL
             GROUP BY i.id ORDER BY i.sku",
            args![today],
        )?;
        let mut reserved: HashMap<String, i64> = HashMap::new();
        for pl in self.query().pick_lists(true)? {
            for line in pl.lines {
                *reserved.entry(line.item).or_default() += (line.qty - line.picked).max(0);
            }
        }
        let mut out = Vec::new();
        for (item, name, unit, point, qty, on_hand, held, expired) in rows {
            let reserved = reserved.get(&item).copied().unwrap_or(0);
            let usable = on_hand - held - expired - reserved;
            if usable > point {
                continue;
            }
            out.push(ReorderRow {
                order: qty.unwrap_or(1).max(point - usable),
                item,
                name,
                unit,
                on_hand,
                expired,
                held,
                reserved,
                usable,
                reorder_point: point,
                reorder_qty: qty,
            });
        }
        Ok(out)
    }

    /// Every movement of one lot (including the movements of its serials), oldest first.
    pub fn lot_transactions(&self, item: &str, lot: &str) -> Result<Vec<LotTransaction>> {
        self.transactions(&TransactionFilter {
            item: Some(item.to_string()),
            lot: Some(lot.to_string()),
            ..Default::default()
        })
    }

    /// The movements a filter selects, oldest first: of one item (any tracking: its lots, its
    /// serials, or neither), of one lot of it, or of everything; within a date range of the day
    /// each movement was made (both ends included). A lot needs its item, since lot codes are
    /// unique per item only.
    pub fn transactions(&self, f: &TransactionFilter) -> Result<Vec<LotTransaction>> {
        if let (Some(from), Some(to)) = (f.from, f.to) {
            if from > to {
                return Err(Error::invalid(format!(
                    "the date range ends ({to}) before it starts ({from}): give --from on or before --to"
                )));
            }
        }
        let mut conditions: Vec<&str> = Vec::new();
        let mut values: Vec<Arg> = Vec::new();
        match (f.item.as_deref(), f.lot.as_deref()) {
            (None, Some(lot)) => {
                return Err(Error::invalid(format!(
                    "lot {lot}: name its item too (--item SKU); lot codes are unique per item only"
                )))
            }
            (Some(item), lot) => {
                let it = item_by_sku(self.sql(), item)?
                    .ok_or_else(|| Error::NotFound(format!("unknown item '{item}'")))?;
                match lot {
                    Some(lot) => {
                        let l = super::rows::lot_by_code(self.sql(), it.id, lot)?
                            .ok_or_else(|| Error::NotFound(format!("{item} has no lot {lot}")))?;
                        conditions.push("m.lot_id = ?");
                        values.push(Arg::Int(l.id));
                    }
                    None => {
                        conditions.push("m.item_id = ?");
                        values.push(Arg::Int(it.id));
                    }
                }
            }
            (None, None) => {}
        }
        // Timestamps are RFC 3339 text, so a day's movements sort between its date and the next.
        if let Some(from) = f.from {
            conditions.push("m.created_at >= ?");
            values.push(Arg::Text(from.to_string().into()));
        }
        if let Some(to) = f.to {
            conditions.push("m.created_at < ?");
            let next = to.succ_opt().unwrap_or(to);
            values.push(Arg::Text(next.to_string().into()));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conditions.join(" AND "))
        };
        let mut rows = Vec::new();
        self.sql().scan(
            &format!("{}{filter} ORDER BY m.seq", super::query::JOURNAL_SELECT),
            &values,
            &mut |r| {
                rows.push(journal_entry(r)?);
                Ok(true)
            },
        )?;
        Ok(rows
            .into_iter()
            .map(|entry| LotTransaction {
                party: party_of(&entry.from).or_else(|| party_of(&entry.to)),
                entry,
            })
            .collect())
    }

    /// Serials in stock, with their lot and location.
    pub fn serials_report(&self, item: Option<&str>) -> Result<Vec<SerialRow>> {
        type Line = (String, String, Option<String>, String, Option<NaiveDate>);
        let rows: Vec<Line> = self.sql().all(
            "SELECT i.sku, s.serial, lt.code, l.code, lt.expiry
             FROM balances b
             JOIN serials s ON s.id = b.serial_id
             JOIN items i ON i.id = b.item_id
             JOIN locations l ON l.id = b.location_id
             LEFT JOIN lots lt ON lt.id = NULLIF(b.lot_id, 0)
             WHERE b.serial_id <> 0 AND b.qty > 0
               AND l.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
               AND (i.sku = ?1 OR ?1 IS NULL)
             ORDER BY i.sku, s.serial",
            args![item],
        )?;
        Ok(rows
            .into_iter()
            .map(|(item, serial, lot, location, expiry)| SerialRow {
                item,
                serial,
                lot,
                location,
                expiry,
            })
            .collect())
    }
}

/// A lot that cannot be used: on hold or recalled, with its last status change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeldLot {
    pub item: String,
    pub lot: String,
    pub status: LotStatus,
    pub expiry: Option<NaiveDate>,
    /// When, by whom and why it got this status (None for a lot with no recorded change).
    pub since: Option<String>,
    pub by: Option<String>,
    pub reason: Option<String>,
}

/// What the back office knows of a device's activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceActivity {
    pub device: String,
    pub added: String,
    pub revoked: Option<String>,
    /// The newest movement the server has from it (the device's own time stamp).
    pub last_movement: Option<String>,
    /// When it last reached the server (noted at most once a minute).
    pub last_contact: Option<String>,
    /// The pending movements and open conflicts it last reported (none before it said).
    pub pending_reported: Option<i64>,
    pub conflicts_reported: Option<i64>,
    /// Movements of it the server rejected and no one has resolved yet.
    pub open_conflicts: i64,
}

/// The most held lots a report lists.
pub const MAX_HELD_LOTS: i64 = 500;

impl Ledger {
    /// How many lots are on hold or recalled (all of them; [`Ledger::held_lots`] lists at most
    /// [`MAX_HELD_LOTS`]).
    pub fn held_lot_count(&self) -> Result<i64> {
        let n: Option<i64> = self.sql().value(
            "SELECT COUNT(*) FROM lots WHERE status <> 'available'",
            args![],
        )?;
        Ok(n.unwrap_or(0))
    }

    /// Lots on hold or recalled, recalled first, with their last status change: the first
    /// [`MAX_HELD_LOTS`] (see [`Ledger::held_lot_count`]).
    pub fn held_lots(&self) -> Result<Vec<HeldLot>> {
        type Row = (
            String,
            String,
            String,
            Option<NaiveDate>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = self.sql().all(
            "SELECT i.sku, lt.code, lt.status, lt.expiry, e.created_at, e.actor, e.reason
             FROM lots lt
             JOIN items i ON i.id = lt.item_id
             LEFT JOIN lot_events e ON e.id = (SELECT MAX(x.id) FROM lot_events x WHERE x.lot_id = lt.id)
             WHERE lt.status <> 'available'
             ORDER BY lt.status = 'recalled' DESC, i.sku, lt.code
             LIMIT ?",
            args![MAX_HELD_LOTS],
        )?;
        rows.into_iter()
            .map(|(item, lot, status, expiry, since, by, reason)| {
                Ok(HeldLot {
                    item,
                    lot,
                    status: status.parse()?,
                    expiry,
                    since,
                    by,
                    reason,
                })
            })
            .collect()
    }

    /// Every device with its newest movement on this server, its last contact, what it last
    /// reported, and its open conflicts.
    pub fn device_activity(&self) -> Result<Vec<DeviceActivity>> {
        type Row = (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        type Reported = (Option<i64>, Option<i64>);
        let rows: Vec<(Row, Reported)> = {
            let mut out = Vec::new();
            self.sql().scan(
                "SELECT d.name, d.created_at, d.revoked_at,
                        (SELECT MAX(m.created_at) FROM movements m WHERE m.device = d.name),
                        d.last_contact_at, d.pending_reported, d.conflicts_reported
                 FROM devices d ORDER BY d.name",
                args![],
                &mut |r| {
                    out.push((
                        (get(r, 0)?, get(r, 1)?, get(r, 2)?, get(r, 3)?, get(r, 4)?),
                        (get(r, 5)?, get(r, 6)?),
                    ));
                    Ok(true)
                },
            )?;
            out
        };
        let open: HashMap<String, i64> = self.open_conflicts_by_device()?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(
                |((device, added, revoked, last_movement, last_contact), (pending, conflicts))| {
                    DeviceActivity {
                        open_conflicts: open.get(&device).copied().unwrap_or(0),
                        device,
                        added,
                        revoked,
                        last_movement,
                        last_contact,
                        pending_reported: pending,
                        conflicts_reported: conflicts,
                    }
                },
            )
            .collect())
    }

    /// Movements recorded per day from `from` to today (days without any included, as 0), from
    /// the running per-day counts (`movement_days`).
    pub fn movements_per_day(&self, from: NaiveDate) -> Result<Vec<(NaiveDate, i64)>> {
        let today = self.today();
        let sql = if self.is_postgres() {
            // No running totals on PostgreSQL (its migration 0003 says why).
            "SELECT substr(created_at, 1, 10), COUNT(*) FROM movements
             WHERE created_at >= ? GROUP BY substr(created_at, 1, 10)"
        } else {
            "SELECT day, movements FROM movement_days WHERE day >= ?"
        };
        let rows: Vec<(String, i64)> = self.sql().all(sql, args![from])?;
        let counts: HashMap<String, i64> = rows.into_iter().collect();
        Ok(from
            .iter_days()
            .take_while(|d| *d <= today)
            .map(|d| (d, counts.get(&d.to_string()).copied().unwrap_or(0)))
            .collect())
    }
}

/// Stock in one real location: how many lines (item, lot, serial) and units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocationStock {
    pub location: String,
    pub lines: i64,
    pub units: i64,
}

/// Lots in stock that expire on one day: how many lots and units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpiryDay {
    pub expiry: NaiveDate,
    pub lots: i64,
    pub units: i64,
}

impl Ledger {
    /// Stock per real location, by code, from SQLite's running totals (`location_totals`, which
    /// the balances' triggers keep), or the balances summed on PostgreSQL.
    pub fn stock_by_location(&self) -> Result<Vec<LocationStock>> {
        let sql = if self.is_postgres() {
            "SELECT l.code, COUNT(*), CAST(SUM(b.qty) AS BIGINT)
             FROM balances b JOIN locations l ON l.id = b.location_id
             WHERE b.qty > 0
             GROUP BY l.id, l.code ORDER BY l.code"
        } else {
            "SELECT l.code, t.lines, t.units
             FROM location_totals t JOIN locations l ON l.id = t.location_id
             WHERE t.lines > 0 ORDER BY l.code"
        };
        let rows: Vec<(String, i64, i64)> = self.sql().all(sql, args![])?;
        Ok(rows
            .into_iter()
            .map(|(location, lines, units)| LocationStock {
                location,
                lines,
                units,
            })
            .collect())
    }

    /// Lots in stock with an expiry date, summed per day (soonest first): what the expiry
    /// report's rows add up to, for charts. From the running per-lot totals (`lot_totals`).
    pub fn expiry_by_day(&self) -> Result<Vec<ExpiryDay>> {
        let sql = if self.is_postgres() {
            "SELECT lt.expiry, COUNT(DISTINCT lt.id), CAST(SUM(b.qty) AS BIGINT)
             FROM balances b JOIN lots lt ON lt.id = b.lot_id
             WHERE b.lot_id <> 0 AND b.qty > 0 AND lt.expiry IS NOT NULL
             GROUP BY lt.expiry ORDER BY lt.expiry"
        } else {
            "SELECT lt.expiry, COUNT(*), CAST(SUM(t.units) AS BIGINT)
             FROM lot_totals t JOIN lots lt ON lt.id = t.lot_id
             WHERE t.units > 0 AND lt.expiry IS NOT NULL
             GROUP BY lt.expiry ORDER BY lt.expiry"
        };
        let rows: Vec<(NaiveDate, i64, i64)> = self.sql().all(sql, args![])?;
        Ok(rows
            .into_iter()
            .map(|(expiry, lots, units)| ExpiryDay {
                expiry,
                lots,
                units,
            })
            .collect())
    }
}
