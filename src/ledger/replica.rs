//! The ledger's side of sync, for both roles. Knows no HTTP: `sync` moves these plain values.
//!
//! Device: every movement made on an enrolled device has an outbox row (written with it). The
//! server's movements are applied as they are ([`Ledger::apply_records`]): the server already
//! checked them and is the authority. Balances are sums, so the local view is the server's state
//! with the device's pending movements on top, in whatever order they arrived. A movement the
//! server rejects becomes a conflict: its row stays in the journal (append-only), its effect is
//! taken out of the balances, and it waits for a person.
//!
//! Server: [`Ledger::accept_batches`] applies a device's movements with the same rules, each
//! device batch all or nothing, the whole push in one transaction.

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::error::{Error, Result};
use super::model::{Item, JournalEntry, Location, Movement, MovementKind, PickList, PurchaseOrder};
use super::post::{self, Context};
use super::query::journal_entry;
use super::Ledger;

/// A movement as a journal holds it, with what a replica needs to create its lot. `entry.seq`
/// is its position in the journal it was read from (the server's log, on a pull).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub entry: JournalEntry,
    pub lot_expiry: Option<NaiveDate>,
    pub lot_production: Option<NaiveDate>,
}

/// The server's answer for one pushed movement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Accepted { server_seq: i64 },
    Rejected { reason: String },
}

/// A hold, recall or release of a lot, as the server's log of lot events has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotEvent {
    pub id: i64,
    pub item: String,
    pub lot: String,
    pub status: super::LotStatus,
    pub reason: String,
    pub created_at: String,
    pub expiry: Option<NaiveDate>,
    pub production: Option<NaiveDate>,
}

/// Everything devices take from the server as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterData {
    pub version: i64,
    pub items: Vec<Item>,
    pub locations: Vec<Location>,
    pub pick_lists: Vec<PickList>,
    pub purchase_orders: Vec<PurchaseOrder>,
}

/// A movement the server rejected, waiting on the device for a person.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Conflict {
    pub id: String,
    pub kind: MovementKind,
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub from: String,
    pub to: String,
    pub reason: String,
    pub created_at: String,
    pub state: String,
    pub note: Option<String>,
}

/// id, item, lot, status, reason, created_at, expiry, production of a lot event.
type LotEventRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

/// Whether this database is an enrolled device, and its name.
pub(crate) fn enrollment(conn: &Connection) -> (bool, Option<String>) {
    let get = |k: &str| -> Option<String> {
        conn.query_row("SELECT value FROM sync_state WHERE key = ?", [k], |r| {
            r.get(0)
        })
        .ok()
    };
    (get("server").is_some(), get("device"))
}

const RECORD_SELECT: &str = "SELECT m.seq, m.id, m.batch_id, m.kind, i.sku, lt.code, s.serial, m.qty,
        f.code, t.code, m.reason, m.reference, m.corrects, m.device, m.created_at, lt.expiry, lt.production_date
     FROM movements m
     JOIN items i ON i.id = m.item_id
     JOIN locations f ON f.id = m.from_loc
     JOIN locations t ON t.id = m.to_loc
     LEFT JOIN lots lt ON lt.id = m.lot_id
     LEFT JOIN serials s ON s.id = m.serial_id";

/// The journal row (its first fifteen columns, as `query::journal_entry` reads them) and the
/// lot's dates.
fn record(r: &rusqlite::Row) -> rusqlite::Result<Record> {
    Ok(Record {
        entry: journal_entry(r)?,
        lot_expiry: r.get(15)?,
        lot_production: r.get(16)?,
    })
}

impl Record {
    /// The movement to post on the server.
    pub fn to_movement(&self) -> Result<Movement> {
        let e = &self.entry;
        let id = uuid::Uuid::parse_str(&e.id)
            .map_err(|_| Error::invalid(format!("'{}' is not a movement id (a UUID)", e.id)))?;
        let corrects = e
            .corrects
            .as_deref()
            .map(|c| {
                uuid::Uuid::parse_str(c)
                    .map_err(|_| Error::invalid(format!("'{c}' is not a movement id")))
            })
            .transpose()?;
        Ok(Movement {
            id,
            kind: e.kind,
            item: e.item.clone(),
            lot: e.lot.clone(),
            serial: e.serial.clone(),
            qty: e.qty,
            from: e.from.clone(),
            to: e.to.clone(),
            reason: e.reason.clone(),
            reference: e.reference.clone(),
            corrects,
            expiry: self.lot_expiry,
            production_date: self.lot_production,
            created_at: Some(e.created_at.clone()),
        })
    }
}

fn sync_get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row("SELECT value FROM sync_state WHERE key = ?", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

fn sync_set(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
        [key, value],
    )?;
    Ok(())
}

/// Takes a movement's effect out of the balances (a conflict), or puts it back.
fn shift_balances(tx: &Connection, movement_id: &str, sign: i64) -> Result<()> {
    let (item, lot, serial, qty, from, to): (i64, Option<i64>, Option<i64>, i64, i64, i64) = tx
        .query_row(
            "SELECT item_id, lot_id, serial_id, qty, from_loc, to_loc FROM movements WHERE id = ?",
            [movement_id],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )?;
    let key = (item, lot.unwrap_or(0), serial.unwrap_or(0));
    for (loc, q) in [(from, sign * qty), (to, -sign * qty)] {
        let row = location_row(tx, loc)?;
        post::add_balance(tx, key, &row, q)?;
    }
    Ok(())
}

fn location_row(tx: &Connection, id: i64) -> Result<post::LocRow> {
    let (code, kind): (String, String) =
        tx.query_row("SELECT code, kind FROM locations WHERE id = ?", [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(post::LocRow {
        id,
        code,
        kind: kind.parse()?,
    })
}

impl Ledger {
    // ---- device -------------------------------------------------------------------------

    /// Stores the server and token, names this device, and sends every movement made from now on
    /// to the outbox.
    pub fn enroll(&mut self, server: &str, token: &str, device: &str) -> Result<()> {
        self.write(|tx| {
            sync_set(tx, "server", server)?;
            sync_set(tx, "token", token)?;
            // A new token: whatever the server said of the old one no longer holds.
            tx.execute("DELETE FROM sync_state WHERE key = 'revoked'", [])?;
            sync_set(tx, "device", device)
        })?;
        self.enrolled = true;
        self.device = device.to_string();
        Ok(())
    }

    pub fn sync_value(&self, key: &str) -> Result<Option<String>> {
        sync_get(self.conn(), key)
    }

    pub fn set_sync_value(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(|tx| sync_set(tx, key, value))
    }

    pub fn delete_sync_value(&mut self, key: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sync_state WHERE key = ?", [key])?;
            Ok(())
        })
    }

    /// Pending movements, oldest first.
    pub fn pending(&self, limit: i64) -> Result<Vec<Record>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{RECORD_SELECT} JOIN outbox o ON o.movement_id = m.id WHERE o.state = 'pending' ORDER BY m.seq LIMIT ?"
            ))?
            .query_map([limit], record)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Pending movements, oldest first, in whole batches: batches are taken while they fit in
    /// `chunk` movements, and a first batch larger than `chunk` comes alone and whole. Each batch
    /// comes with its size (all of its movements in this journal), which the server checks.
    pub fn pending_batches(&self, chunk: i64) -> Result<Vec<(Record, usize)>> {
        let page = self.pending(chunk)?;
        let Some(last) = page.last() else {
            return Ok(Vec::new());
        };
        let page = if (page.len() as i64) < chunk {
            page
        } else if page[0].entry.batch_id == last.entry.batch_id {
            // One batch fills the page and may go on: all of it, alone.
            self.conn()
                .prepare_cached(&format!(
                    "{RECORD_SELECT} JOIN outbox o ON o.movement_id = m.id
                     WHERE o.state = 'pending' AND m.batch_id = ? ORDER BY m.seq"
                ))?
                .query_map([&last.entry.batch_id], record)?
                .collect::<rusqlite::Result<_>>()?
        } else {
            // The last batch may go on past the page: it waits for the next push.
            let cut = last.entry.batch_id.clone();
            page.into_iter()
                .filter(|r| r.entry.batch_id != cut)
                .collect()
        };
        let mut size = self
            .conn()
            .prepare_cached("SELECT COUNT(*) FROM movements WHERE batch_id = ?")?;
        let mut sizes = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(page.len());
        for r in page {
            let n = match sizes.get(&r.entry.batch_id) {
                Some(n) => *n,
                None => {
                    let n: i64 = size.query_row([&r.entry.batch_id], |row| row.get(0))?;
                    sizes.insert(r.entry.batch_id.clone(), n as usize);
                    n as usize
                }
            };
            out.push((r, n));
        }
        Ok(out)
    }

    /// (pending, conflicts) in the outbox.
    pub fn outbox_counts(&self) -> Result<(i64, i64)> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'conflict'), 0) FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Records the server's verdicts on pushed movements, in one transaction.
    pub fn record_verdicts(&mut self, verdicts: &[(String, Verdict)]) -> Result<()> {
        let now = super::clock::timestamp(self.clock().now());
        self.write(|tx| {
            for (id, v) in verdicts {
                let state: Option<String> = tx
                    .query_row("SELECT state FROM outbox WHERE movement_id = ?", [id], |r| r.get(0))
                    .optional()?;
                match (state.as_deref(), v) {
                    (Some("pending"), Verdict::Accepted { server_seq }) => {
                        tx.execute(
                            "UPDATE outbox SET state = 'accepted', server_seq = ?, updated_at = ? WHERE movement_id = ?",
                            params![server_seq, now, id],
                        )?;
                    }
                    (Some("pending"), Verdict::Rejected { reason }) => {
                        shift_balances(tx, id, 1)?;
                        tx.execute(
                            "UPDATE outbox SET state = 'conflict', reason = ?, updated_at = ? WHERE movement_id = ?",
                            params![reason, now, id],
                        )?;
                    }
                    // Already settled (a repeated answer): nothing changes.
                    _ => {}
                }
            }
            Ok(())
        })
    }

    /// Conflicts (and, with `all`, dismissed ones), oldest first.
    pub fn conflicts(&self, all: bool) -> Result<Vec<Conflict>> {
        let sql = format!(
            "SELECT m.id, m.kind, i.sku, lt.code, s.serial, m.qty, f.code, t.code, o.reason, m.created_at, o.state, o.note
             FROM outbox o JOIN movements m ON m.id = o.movement_id
             JOIN items i ON i.id = m.item_id JOIN locations f ON f.id = m.from_loc JOIN locations t ON t.id = m.to_loc
             LEFT JOIN lots lt ON lt.id = m.lot_id LEFT JOIN serials s ON s.id = m.serial_id
             WHERE o.state = 'conflict' {} ORDER BY m.seq",
            if all { "OR o.state = 'dismissed'" } else { "" }
        );
        let rows = self
            .conn()
            .prepare(&sql)?
            .query_map([], |r| {
                let kind: String = r.get(1)?;
                Ok(Conflict {
                    id: r.get(0)?,
                    kind: kind.parse().unwrap_or(MovementKind::Correction),
                    item: r.get(2)?,
                    lot: r.get(3)?,
                    serial: r.get(4)?,
                    qty: r.get(5)?,
                    from: r.get(6)?,
                    to: r.get(7)?,
                    reason: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
                    created_at: r.get(9)?,
                    state: r.get(10)?,
                    note: r.get(11)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// A person resolved a conflict: dismissed with a note (redone differently, or not needed).
    pub fn dismiss_conflict(&mut self, id: &str, note: &str) -> Result<()> {
        if note.trim().is_empty() {
            return Err(Error::invalid(
                "a dismissed conflict needs a note saying what was done",
            ));
        }
        let now = super::clock::timestamp(self.clock().now());
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE outbox SET state = 'dismissed', note = ?, updated_at = ? WHERE movement_id = ? AND state = 'conflict'",
                params![note.trim(), now, id],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("there is no open conflict {id}")));
            }
            Ok(())
        })
    }

    /// Applies the server's movements as they are (the server checked them), creating lots,
    /// serials and party locations as needed; a movement this device made is marked accepted.
    /// Returns how many were new here.
    pub fn apply_records(&mut self, records: &[Record]) -> Result<usize> {
        let now = super::clock::timestamp(self.clock().now());
        self.write(|tx| {
            let mut applied = 0;
            for r in records {
                let known: Option<i64> = tx
                    .prepare_cached("SELECT seq FROM movements WHERE id = ?")?
                    .query_row([&r.entry.id], |row| row.get(0))
                    .optional()?;
                if known.is_some() {
                    // Ours, confirmed by the log (a lost push answer, or a repeat): accepted.
                    let state: Option<String> = tx
                        .query_row("SELECT state FROM outbox WHERE movement_id = ?", [&r.entry.id], |row| row.get(0))
                        .optional()?;
                    if state.as_deref() == Some("conflict") {
                        shift_balances(tx, &r.entry.id, -1)?;
                    }
                    tx.execute(
                        "UPDATE outbox SET state = 'accepted', server_seq = ?, updated_at = ? WHERE movement_id = ? AND state <> 'accepted'",
                        params![r.entry.seq, now, r.entry.id],
                    )?;
                    continue;
                }
                insert_trusted(tx, r)?;
                applied += 1;
            }
            Ok(applied)
        })
    }

    /// Applies lot holds, recalls and releases from the server.
    pub fn apply_lot_events(&mut self, events: &[LotEvent]) -> Result<()> {
        self.write(|tx| {
            for e in events {
                let item = post::require_item(tx, &e.item)?;
                let lot_id = match post::lot_by_code(tx, item.id, &e.lot)? {
                    Some(l) => l.id,
                    None => {
                        tx.execute(
                            "INSERT INTO lots (item_id, code, expiry, production_date, status, created_at) VALUES (?, ?, ?, ?, 'available', ?)",
                            params![item.id, e.lot, e.expiry, e.production, e.created_at],
                        )?;
                        tx.last_insert_rowid()
                    }
                };
                tx.execute("UPDATE lots SET status = ? WHERE id = ?", params![e.status.as_str(), lot_id])?;
                tx.execute(
                    "INSERT INTO lot_events (lot_id, status, reason, created_at) VALUES (?, ?, ?, ?)",
                    params![lot_id, e.status.as_str(), e.reason, e.created_at],
                )?;
            }
            Ok(())
        })
    }

    /// Replaces master data with the server's snapshot (items, GTINs, locations, documents).
    pub fn apply_master(&mut self, m: &MasterData) -> Result<()> {
        self.write(|tx| {
            for it in &m.items {
                tx.execute(
                    "INSERT INTO items (sku, name, tracking, expiry_tracked, shelf_life_days, unit) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (sku) DO UPDATE SET name = ?2, tracking = ?3, expiry_tracked = ?4, shelf_life_days = ?5, unit = ?6",
                    params![it.sku, it.name, it.tracking.as_str(), it.expiry_tracked, it.shelf_life_days, it.unit],
                )?;
                let id: i64 = tx.query_row("SELECT id FROM items WHERE sku = ?", [&it.sku], |r| r.get(0))?;
                tx.execute("DELETE FROM gtins WHERE item_id = ?", [id])?;
                for g in &it.gtins {
                    tx.execute(
                        "INSERT INTO gtins (gtin, item_id, pack_qty) VALUES (?1, ?2, ?3)
                         ON CONFLICT (gtin) DO UPDATE SET item_id = ?2, pack_qty = ?3",
                        params![g.gtin, id, g.pack_qty],
                    )?;
                }
            }
            for l in &m.locations {
                tx.execute(
                    "INSERT INTO locations (code, name, kind) VALUES (?1, ?2, ?3)
                     ON CONFLICT (code) DO UPDATE SET name = ?2, kind = ?3",
                    params![l.code, l.name, l.kind.as_str()],
                )?;
            }
            let now = super::clock::timestamp(chrono::Utc::now());
            for pl in &m.pick_lists {
                tx.execute(
                    "INSERT INTO pick_lists (number, customer, status, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (number) DO UPDATE SET customer = ?2, status = CASE WHEN status = 'done' THEN 'done' ELSE ?3 END",
                    params![pl.number, pl.customer, pl.status, now],
                )?;
                let id: i64 = tx.query_row("SELECT id FROM pick_lists WHERE number = ?", [&pl.number], |r| r.get(0))?;
                tx.execute("DELETE FROM pick_list_lines WHERE pick_list_id = ?", [id])?;
                for line in &pl.lines {
                    let item = post::require_item(tx, &line.item)?;
                    tx.execute(
                        "INSERT INTO pick_list_lines (pick_list_id, line_no, item_id, qty, customer, due) VALUES (?, ?, ?, ?, ?, ?)",
                        params![id, line.line_no, item.id, line.qty, line.customer, line.due],
                    )?;
                }
            }
            for po in &m.purchase_orders {
                tx.execute(
                    "INSERT INTO purchase_orders (number, supplier, status, created_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (number) DO UPDATE SET supplier = ?2, status = ?3",
                    params![po.number, po.supplier, po.status, now],
                )?;
                let id: i64 = tx.query_row("SELECT id FROM purchase_orders WHERE number = ?", [&po.number], |r| r.get(0))?;
                tx.execute("DELETE FROM purchase_order_lines WHERE po_id = ?", [id])?;
                for line in &po.lines {
                    let item = post::require_item(tx, &line.item)?;
                    tx.execute(
                        "INSERT INTO purchase_order_lines (po_id, line_no, item_id, qty, expected) VALUES (?, ?, ?, ?, ?)",
                        params![id, line.line_no, item.id, line.qty, line.expected],
                    )?;
                }
            }
            sync_set(tx, "master_version", &m.version.to_string())
        })
    }

    // ---- server -------------------------------------------------------------------------

    /// Applies a device's movements with every rule. Consecutive movements of one device batch
    /// stand or fall together; the whole push is one transaction. A movement seen before (same id,
    /// same content) is answered with its place in the log. `sizes` holds the number of movements
    /// the device says a batch has: a batch that arrives with fewer (counting those already in
    /// the log) is refused whole, so a batch is never recorded in part.
    pub fn accept_batches(
        &mut self,
        device: &str,
        records: &[Record],
        sizes: &BatchSizes,
    ) -> Result<Vec<(String, Verdict)>> {
        let ctx = Context {
            today: self.today(),
            now: super::clock::timestamp(self.clock().now()),
            device: device.to_string(),
            opening: false,
            outbox: false,
        };
        self.write(|tx| {
            let mut out = Vec::with_capacity(records.len());
            let mut i = 0;
            while i < records.len() {
                let batch = &records[i].entry.batch_id;
                let mut j = i;
                while j < records.len() && &records[j].entry.batch_id == batch {
                    j += 1;
                }
                let group = &records[i..j];
                if let Some(reason) = incomplete_batch(tx, group, sizes)? {
                    for r in group {
                        out.push((
                            r.entry.id.clone(),
                            Verdict::Rejected {
                                reason: reason.clone(),
                            },
                        ));
                    }
                    i = j;
                    continue;
                }
                let movements: Result<Vec<Movement>> =
                    group.iter().map(Record::to_movement).collect();
                tx.execute_batch("SAVEPOINT device_batch")?;
                let result = movements.and_then(|ms| post::post_batch(tx, &ctx, &ms));
                match result {
                    Ok(posted) => {
                        tx.execute_batch("RELEASE device_batch")?;
                        for (r, p) in group.iter().zip(posted) {
                            out.push((
                                r.entry.id.clone(),
                                Verdict::Accepted {
                                    server_seq: p.seq(),
                                },
                            ));
                        }
                    }
                    Err(e @ (Error::Refused { .. } | Error::Invalid(_) | Error::NotFound(_))) => {
                        tx.execute_batch("ROLLBACK TO device_batch; RELEASE device_batch")?;
                        let reason = e.to_string();
                        for r in group {
                            out.push((
                                r.entry.id.clone(),
                                Verdict::Rejected {
                                    reason: reason.clone(),
                                },
                            ));
                        }
                    }
                    Err(other) => return Err(other),
                }
                i = j;
            }
            Ok(out)
        })
    }

    /// The journal after `after` (the server's log), oldest first, at most `limit`.
    pub fn records_after(&self, after: i64, limit: i64) -> Result<Vec<Record>> {
        Ok(self
            .conn()
            .prepare_cached(&format!(
                "{RECORD_SELECT} WHERE m.seq > ? ORDER BY m.seq LIMIT ?"
            ))?
            .query_map(params![after, limit], record)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Lot events after `after`, oldest first.
    pub fn lot_events_after(&self, after: i64, limit: i64) -> Result<Vec<LotEvent>> {
        let rows: Vec<LotEventRow> = self
            .conn()
            .prepare_cached(
                "SELECT e.id, i.sku, lt.code, e.status, e.reason, e.created_at, lt.expiry, lt.production_date
                 FROM lot_events e JOIN lots lt ON lt.id = e.lot_id JOIN items i ON i.id = lt.item_id
                 WHERE e.id > ? ORDER BY e.id LIMIT ?",
            )?
            .query_map(params![after, limit], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(
                |(id, item, lot, status, reason, created_at, expiry, production)| {
                    Ok(LotEvent {
                        id,
                        item,
                        lot,
                        status: status.parse()?,
                        reason,
                        created_at,
                        expiry,
                        production,
                    })
                },
            )
            .collect()
    }

    pub fn master_version(&self) -> Result<i64> {
        Ok(self
            .conn()
            .query_row("SELECT version FROM master_version", [], |r| r.get(0))?)
    }

    /// The master data snapshot: items, locations, open documents.
    pub fn master_data(&self) -> Result<MasterData> {
        let q = self.query();
        Ok(MasterData {
            version: self.master_version()?,
            items: q.items()?,
            locations: q.all_locations()?,
            pick_lists: q.pick_lists(true)?,
            purchase_orders: q.purchase_orders(true)?,
        })
    }

    /// Enrolls a device on the server by the hash of its token (the token itself is shown once,
    /// by the caller, and never stored).
    pub fn add_device(&mut self, name: &str, token_hash: &str) -> Result<()> {
        if name.trim().is_empty() || name.len() > 64 {
            return Err(Error::invalid("a device name has 1 to 64 characters"));
        }
        let now = super::clock::timestamp(self.clock().now());
        self.write(|tx| {
            let exists: Option<Option<String>> = tx
                .query_row(
                    "SELECT revoked_at FROM devices WHERE name = ?",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(revoked) = exists {
                if revoked.is_none() {
                    return Err(Error::invalid(format!(
                        "device {name} exists; revoke it first to issue a new token"
                    )));
                }
                tx.execute("DELETE FROM devices WHERE name = ?", [name])?;
            }
            tx.execute(
                "INSERT INTO devices (name, token_hash, created_at) VALUES (?, ?, ?)",
                params![name, token_hash, now],
            )?;
            Ok(())
        })
    }

    /// (name, created_at, revoked_at) of every device.
    pub fn devices(&self) -> Result<Vec<(String, String, Option<String>)>> {
        Ok(self
            .conn()
            .prepare("SELECT name, created_at, revoked_at FROM devices ORDER BY name")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn revoke_device(&mut self, name: &str) -> Result<()> {
        let now = super::clock::timestamp(self.clock().now());
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE devices SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                params![now, name],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("there is no active device {name}")));
            }
            Ok(())
        })
    }

    /// The device a token hash belongs to, and when it was revoked (if it was).
    pub fn device_by_token(&self, token_hash: &str) -> Result<Option<(String, Option<String>)>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT name, revoked_at FROM devices WHERE token_hash = ?",
                [token_hash],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// The active device a token hash belongs to.
    pub fn device_for(&self, token_hash: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT name FROM devices WHERE token_hash = ? AND revoked_at IS NULL",
                [token_hash],
                |r| r.get(0),
            )
            .optional()?)
    }
}

/// How many movements each device batch has, by batch id, as the device that made it says.
pub type BatchSizes = std::collections::HashMap<String, usize>;

/// Why a pushed batch is not whole, if it is not: fewer movements than the device says the batch
/// has, counting those of the batch already in the log (a retry, or a batch an older client split).
fn incomplete_batch(
    tx: &Connection,
    group: &[Record],
    sizes: &BatchSizes,
) -> Result<Option<String>> {
    let batch = &group[0].entry.batch_id;
    let Some(&size) = sizes.get(batch) else {
        return Ok(None);
    };
    let mut ids: Vec<&str> = group.iter().map(|r| r.entry.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut have = ids.len();
    if have != size {
        let mut st = tx.prepare_cached("SELECT id FROM movements WHERE batch_id = ?")?;
        let logged: Vec<String> = st
            .query_map([batch], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        have += logged
            .iter()
            .filter(|id| ids.binary_search(&id.as_str()).is_err())
            .count();
    }
    Ok((have != size).then(|| {
        format!(
            "batch {batch} has {size} movements but {have} arrived: a batch is recorded whole or not at all; sync again with an up-to-date lotkeeper"
        )
    }))
}

/// Inserts a movement the server already checked: lots, serials and locations created as needed,
/// balances updated, no rule applied.
fn insert_trusted(tx: &Connection, rec: &Record) -> Result<()> {
    let r = &rec.entry;
    let item = post::require_item(tx, &r.item)?;
    let from = post::resolve_location(tx, &r.from).or_else(|_| ensure_location(tx, &r.from))?;
    let to = post::resolve_location(tx, &r.to).or_else(|_| ensure_location(tx, &r.to))?;
    let lot_id = match &r.lot {
        Some(code) => Some(match post::lot_by_code(tx, item.id, code)? {
            Some(l) => l.id,
            None => {
                tx.execute(
                    "INSERT INTO lots (item_id, code, expiry, production_date, status, created_at) VALUES (?, ?, ?, ?, 'available', ?)",
                    params![item.id, code, rec.lot_expiry, rec.lot_production, r.created_at],
                )?;
                tx.last_insert_rowid()
            }
        }),
        None => None,
    };
    let serial_id = match &r.serial {
        Some(s) => Some({
            let found: Option<i64> = tx
                .query_row(
                    "SELECT id FROM serials WHERE item_id = ? AND serial = ?",
                    params![item.id, s],
                    |row| row.get(0),
                )
                .optional()?;
            match found {
                Some(id) => id,
                None => {
                    tx.execute(
                        "INSERT INTO serials (item_id, serial, lot_id) VALUES (?, ?, ?)",
                        params![item.id, s, lot_id],
                    )?;
                    tx.last_insert_rowid()
                }
            }
        }),
        None => None,
    };
    tx.prepare_cached(
        "INSERT INTO movements (id, batch_id, kind, item_id, lot_id, serial_id, qty, from_loc, to_loc,
                                reason, reference, corrects, device, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )?
    .execute(params![
        r.id,
        r.batch_id,
        r.kind.as_str(),
        item.id,
        lot_id,
        serial_id,
        r.qty,
        from.id,
        to.id,
        r.reason,
        r.reference,
        r.corrects,
        r.device,
        r.created_at
    ])?;
    let key = (item.id, lot_id.unwrap_or(0), serial_id.unwrap_or(0));
    post::add_balance(tx, key, &from, -r.qty)?;
    post::add_balance(tx, key, &to, r.qty)?;
    Ok(())
}

/// A location the server knows and this device does not yet (master data arrives first, so
/// this is only for virtual party locations): created as a bin would be refused, so refuse.
fn ensure_location(_tx: &Connection, code: &str) -> Result<post::LocRow> {
    Err(Error::NotFound(format!(
        "the server's movement names location {code}, unknown here: pull master data first"
    )))
}
