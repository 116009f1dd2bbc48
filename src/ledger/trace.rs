//! Recall trace: for a lot or a serial, backward to suppliers and component lots, and forward to
//! what it was assembled into, which customers got how much and when, and what is still in stock.
//! Assemblies are the batches that consume and produce together; the trace follows them to any
//! depth (bounded by [`MAX_TRACE_DEPTH`], with cycles cut).

use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

use super::error::{Error, Result};
use super::reports::party_of;
use super::rows::{item_by_sku, lot_by_code};
use super::sql::{args, Sql, SqlExt};
use super::Ledger;

/// How deep the trace follows assemblies.
pub const MAX_TRACE_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyMovement {
    pub party: String,
    pub qty: i64,
    pub date: String,
    pub reference: Option<String>,
    pub serial: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StockAt {
    pub location: String,
    pub serial: Option<String>,
    pub qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackwardNode {
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    /// Receipts from suppliers (and opening stock).
    pub received: Vec<PartyMovement>,
    /// The components it was assembled from, each traced further back.
    pub made_from: Vec<Link<BackwardNode>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ForwardNode {
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub shipped: Vec<PartyMovement>,
    pub in_stock: Vec<StockAt>,
    /// The assemblies it went into, each traced further forward.
    pub used_in: Vec<Link<ForwardNode>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link<N> {
    /// The assembly (its batch id).
    pub assembly: String,
    pub date: String,
    /// How much of the linked lot or serial went in (backward) or came out (forward).
    pub qty: i64,
    pub node: N,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    /// Every supplier reached going backward, through any depth of assemblies.
    pub suppliers: Vec<String>,
    /// Every customer reached going forward, through any depth of assemblies.
    pub customers: Vec<String>,
    pub backward: BackwardNode,
    pub forward: ForwardNode,
    /// Every hold, recall, release and recall close of the lot (a serial's: of its lot), with
    /// who, when and why, oldest first.
    pub status_history: Vec<super::lots::LotHistoryRow>,
    /// The lot's attributes (a serial's: its lot's), name and value, as its item defines them.
    pub lot_attributes: Vec<(String, String)>,
}

/// One lot or one serial of one item. An untracked item has neither, so it is followed
/// conservatively through every movement of the item inside a window of the journal: after the
/// assembly that produced it (forward), or up to the one that consumed it (backward). For a
/// recall, "may contain" is the honest answer when units cannot be told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    item: i64,
    lot: Option<i64>,
    serial: Option<i64>,
    after_seq: i64,
    before_seq: i64,
}

impl Key {
    fn tracked(item: i64, lot: Option<i64>, serial: Option<i64>) -> Key {
        Key {
            item,
            lot,
            serial,
            after_seq: 0,
            before_seq: i64::MAX,
        }
    }
}

/// item, lot, serial, quantity, first seq of one side of an assembly.
type SideRow = (i64, Option<i64>, Option<i64>, i64, i64);

/// A movement of a lot or serial: batch, date, qty, from, to, reference, serial.
type MoveRow = (
    String,
    String,
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
);

struct Walker<'a> {
    conn: &'a dyn Sql,
    suppliers: BTreeSet<String>,
    customers: BTreeSet<String>,
}

impl Walker<'_> {
    fn names(&self, k: Key) -> Result<(String, Option<String>, Option<String>)> {
        self.conn
            .first(
                "SELECT i.sku, (SELECT code FROM lots WHERE id = ?2), (SELECT serial FROM serials WHERE id = ?3)
                 FROM items i WHERE i.id = ?1",
                args![k.item, k.lot, k.serial],
            )?
            .ok_or_else(|| Error::NotFound(format!("no item with id {}", k.item)))
    }

    /// Movements of this lot or serial of the given kinds: (batch, date, qty, from, to, ref, serial).
    fn movements(&self, k: Key, kinds: &str) -> Result<Vec<MoveRow>> {
        let filter = match (k.serial, k.lot) {
            (Some(_), _) => "m.serial_id = ?1",
            (None, Some(_)) => "m.lot_id = ?1",
            (None, None) => "?1 = 0 AND m.lot_id IS NULL AND m.serial_id IS NULL",
        };
        let sql = format!(
            "SELECT m.batch_id, m.created_at, m.qty, f.code, t.code, m.reference, s.serial
             FROM live_movements m JOIN locations f ON f.id = m.from_loc JOIN locations t ON t.id = m.to_loc
             LEFT JOIN serials s ON s.id = m.serial_id
             WHERE {filter} AND m.item_id = ?2 AND m.kind IN ({kinds})
               AND NOT EXISTS (SELECT 1 FROM live_movements c WHERE c.corrects = m.id)
               AND m.seq > ?3 AND m.seq < ?4 ORDER BY m.seq"
        );
        let id = k.serial.or(k.lot).unwrap_or(0);
        self.conn
            .all(&sql, args![id, k.item, k.after_seq, k.before_seq])
    }

    /// The other side of an assembly batch: what it consumed (kind = consume) or produced.
    fn assembly_side(&self, batch: &str, kind: &str) -> Result<Vec<(Key, i64)>> {
        let rows: Vec<SideRow> = self.conn.all(
            "SELECT item_id, lot_id, serial_id, SUM(qty), MIN(seq) FROM live_movements
             WHERE batch_id = ? AND kind IN ('consume', 'produce') AND kind = ? GROUP BY item_id, lot_id, serial_id ORDER BY MIN(seq)",
            args![batch, kind],
        )?;
        Ok(rows
            .into_iter()
            .map(|(item, lot, serial, qty, seq)| {
                let mut k = Key::tracked(item, lot, serial);
                if lot.is_none() && serial.is_none() {
                    if kind == "consume" {
                        k.before_seq = seq;
                    } else {
                        k.after_seq = seq;
                    }
                }
                (k, qty)
            })
            .collect())
    }

    fn backward(&mut self, k: Key, depth: usize, seen: &mut HashSet<Key>) -> Result<BackwardNode> {
        let (item, lot, serial) = self.names(k)?;
        let mut node = BackwardNode {
            item,
            lot,
            serial,
            received: vec![],
            made_from: vec![],
        };
        for (_, date, qty, from, _, reference, serial) in
            self.movements(k, "'receive', 'opening'")?
        {
            let party = party_of(&from).unwrap_or_else(|| "opening stock".to_string());
            if party != "opening stock" {
                self.suppliers.insert(party.clone());
            }
            node.received.push(PartyMovement {
                party,
                qty,
                date,
                reference,
                serial,
            });
        }
        if depth >= MAX_TRACE_DEPTH || !seen.insert(k) {
            return Ok(node);
        }
        let mut batches: Vec<(String, String)> = self
            .movements(k, "'produce'")?
            .into_iter()
            .map(|(b, d, ..)| (b, d))
            .collect();
        batches.dedup();
        for (batch, date) in batches {
            for (child, qty) in self.assembly_side(&batch, "consume")? {
                let sub = self.backward(child, depth + 1, seen)?;
                node.made_from.push(Link {
                    assembly: batch.clone(),
                    date: date.clone(),
                    qty,
                    node: sub,
                });
            }
        }
        seen.remove(&k);
        Ok(node)
    }

    fn forward(&mut self, k: Key, depth: usize, seen: &mut HashSet<Key>) -> Result<ForwardNode> {
        let (item, lot, serial) = self.names(k)?;
        let mut node = ForwardNode {
            item,
            lot,
            serial,
            shipped: vec![],
            in_stock: vec![],
            used_in: vec![],
        };
        for (_, date, qty, _, to, reference, serial) in self.movements(k, "'ship'")? {
            let party = party_of(&to).unwrap_or(to);
            self.customers.insert(party.clone());
            node.shipped.push(PartyMovement {
                party,
                qty,
                date,
                reference,
                serial,
            });
        }
        let filter = match (k.serial, k.lot) {
            (Some(_), _) => "b.serial_id = ?1 AND b.serial_id <> 0",
            (None, Some(_)) => "b.lot_id = ?1 AND b.lot_id <> 0",
            (None, None) => "?1 = 0 AND b.lot_id = 0 AND b.serial_id = 0",
        };
        // NULLS FIRST: SQLite's order, which PostgreSQL gives only when asked.
        let stock: Vec<(String, Option<String>, i64)> = self.conn.all(
            &format!(
                "SELECT l.code, s.serial, b.qty FROM balances b JOIN locations l ON l.id = b.location_id
                 LEFT JOIN serials s ON s.id = NULLIF(b.serial_id, 0)
                 WHERE {filter} AND b.item_id = ?2 AND b.qty > 0
                   AND l.kind IN ('dock', 'bin', 'staging', 'shipping', 'quarantine', 'transit')
                 ORDER BY l.code, s.serial NULLS FIRST"
            ),
            args![k.serial.or(k.lot).unwrap_or(0), k.item],
        )?;
        node.in_stock = stock
            .into_iter()
            .map(|(location, serial, qty)| StockAt {
                location,
                serial,
                qty,
            })
            .collect();
        if depth >= MAX_TRACE_DEPTH || !seen.insert(k) {
            return Ok(node);
        }
        let mut batches: Vec<(String, String)> = self
            .movements(k, "'consume'")?
            .into_iter()
            .map(|(b, d, ..)| (b, d))
            .collect();
        batches.dedup();
        for (batch, date) in batches {
            for (child, qty) in self.assembly_side(&batch, "produce")? {
                let sub = self.forward(child, depth + 1, seen)?;
                node.used_in.push(Link {
                    assembly: batch.clone(),
                    date: date.clone(),
                    qty,
                    node: sub,
                });
            }
        }
        seen.remove(&k);
        Ok(node)
    }
}

impl Ledger {
    /// Traces a lot (`serial` = None) or a serial (`lot` may then be None) both ways.
    pub fn trace(&self, item: &str, lot: Option<&str>, serial: Option<&str>) -> Result<Trace> {
        let conn = self.sql();
        let it = item_by_sku(conn, item)?
            .ok_or_else(|| Error::NotFound(format!("unknown item '{item}'")))?;
        let key = match (lot, serial) {
            (_, Some(s)) => {
                let id: Option<i64> = conn.value(
                    "SELECT id FROM serials WHERE item_id = ? AND serial = ?",
                    args![it.id, s],
                )?;
                let id = id.ok_or_else(|| Error::NotFound(format!("{item} has no serial {s}")))?;
                Key::tracked(it.id, None, Some(id))
            }
            (Some(l), None) => {
                let found = lot_by_code(conn, it.id, l)?
                    .ok_or_else(|| Error::NotFound(format!("{item} has no lot {l}")))?;
                Key::tracked(it.id, Some(found.id), None)
            }
            (None, None) => return Err(Error::invalid("trace needs a lot or a serial")),
        };
        let mut w = Walker {
            conn,
            suppliers: BTreeSet::new(),
            customers: BTreeSet::new(),
        };
        let backward = w.backward(key, 0, &mut HashSet::new())?;
        let forward = w.forward(key, 0, &mut HashSet::new())?;
        let lot_code: Option<String> = match key.serial {
            Some(sid) => conn.value(
                "SELECT lt.code FROM serials s JOIN lots lt ON lt.id = s.lot_id WHERE s.id = ?",
                args![sid],
            )?,
            None => backward.lot.clone(),
        };
        let status_history = match &lot_code {
            Some(code) => self.lot_history(&it.sku, code)?,
            None => vec![],
        };
        let lot_attributes = match &lot_code {
            Some(code) => self.query().lot_attributes(&it.sku, code)?,
            None => vec![],
        };
        Ok(Trace {
            status_history,
            lot_attributes,
            item: item.to_string(),
            lot: backward.lot.clone(),
            serial: backward.serial.clone(),
            suppliers: w.suppliers.into_iter().collect(),
            customers: w.customers.into_iter().collect(),
            backward,
            forward,
        })
    }
}
