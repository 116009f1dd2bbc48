//! Pick lists: the picker's drafts and shorts, finishing a list exactly once, and closing
//! documents (pick lists and purchase orders) from the movements that reference them.
//!
//! A draft gets the id of the movement it will become when the pick is taken. Finishing a list
//! posts its drafts under those ids, deletes them and closes the list in ONE transaction, so a
//! crash at any instant leaves either everything or nothing, and a repeated finish can never post
//! a pick twice (the same id is answered "already recorded").

use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use uuid::Uuid;

use super::error::{Error, Result};
use super::model::{Movement, MovementKind};
use super::post;
use super::Ledger;

/// The environment variable of the crash test's hook: set to `pick-finish`, the process aborts
/// inside the finishing transaction, after the picks are posted and before the list is closed.
pub const CRASH_HOOK: &str = "LOTKEEPER_CRASH_AT";

/// A confirmed pick, kept until its list finishes. `movement_id` is the id it is posted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickDraft {
    pub movement_id: Uuid,
    pub line_no: i64,
    pub item: String,
    pub location: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    /// Why another lot than the FEFO suggestion was taken.
    pub reason: Option<String>,
}

/// What finishing a pick list did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickFinished {
    /// The ids of the list's movements, in draft order.
    pub ids: Vec<String>,
    /// How many of them were new (the others were recorded before).
    pub applied: usize,
}

/// The list's row id and status, or a clear "no such list".
fn pick_list_head(tx: &Connection, number: &str) -> Result<(i64, String)> {
    tx.query_row(
        "SELECT id, status FROM pick_lists WHERE number = ?",
        [number],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("there is no pick list {number}")))
}

fn open_pick_list(tx: &Connection, number: &str) -> Result<i64> {
    let (id, status) = pick_list_head(tx, number)?;
    if status == "done" {
        return Err(already_finished(number));
    }
    Ok(id)
}

fn already_finished(number: &str) -> Error {
    Error::invalid(format!("pick list {number} is already finished"))
}

/// A draft as stored, with what finishing needs besides the pick itself.
struct Stored {
    draft: PickDraft,
    created_at: String,
    /// Kept by a version that chose no ids (see migration `0005_pick.sql`).
    legacy: bool,
}

fn drafts_of(conn: &Connection, pick_list_id: i64) -> Result<Vec<PickDraft>> {
    Ok(stored_drafts(conn, pick_list_id)?
        .into_iter()
        .map(|s| s.draft)
        .collect())
}

fn stored_drafts(conn: &Connection, pick_list_id: i64) -> Result<Vec<Stored>> {
    type Row = (Option<String>, PickDraft, String, bool);
    let rows: Vec<Row> = conn
        .prepare_cached(
            "SELECT d.movement_id, d.line_no, i.sku, d.location, d.lot, d.serial, d.qty, d.reason,
                    d.created_at, d.legacy
             FROM pick_drafts d
             JOIN pick_list_lines pl ON pl.pick_list_id = d.pick_list_id AND pl.line_no = d.line_no
             JOIN items i ON i.id = pl.item_id
             WHERE d.pick_list_id = ? ORDER BY d.id",
        )?
        .query_map([pick_list_id], |r| {
            Ok((
                r.get(0)?,
                PickDraft {
                    movement_id: Uuid::nil(),
                    line_no: r.get(1)?,
                    item: r.get(2)?,
                    location: r.get(3)?,
                    lot: r.get(4)?,
                    serial: r.get(5)?,
                    qty: r.get(6)?,
                    reason: r.get(7)?,
                },
                r.get(8)?,
                r.get(9)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, mut d, created_at, legacy)| {
            let id = id.unwrap_or_default();
            d.movement_id = Uuid::parse_str(&id).map_err(|_| {
                Error::invalid(format!(
                    "a draft of line {} has no valid movement id ('{id}')",
                    d.line_no
                ))
            })?;
            Ok(Stored {
                draft: d,
                created_at,
                legacy,
            })
        })
        .collect()
}

/// For a draft kept by an older version: the movement that version posted for it before dying
/// without closing the list, if there is one not yet claimed by another draft. That movement
/// (its id, kind and destination) stands for the draft, so it is not posted again.
fn posted_before(
    tx: &Connection,
    device: &str,
    number: &str,
    s: &Stored,
    claimed: &[Uuid],
) -> Result<Option<(Uuid, MovementKind, String)>> {
    let d = &s.draft;
    let rows: Vec<(String, String, String)> = tx
        .prepare_cached(
            "SELECT m.id, m.kind, t.code FROM movements m
             JOIN items i ON i.id = m.item_id
             JOIN locations f ON f.id = m.from_loc
             JOIN locations t ON t.id = m.to_loc
             LEFT JOIN lots lt ON lt.id = m.lot_id
             LEFT JOIN serials sr ON sr.id = m.serial_id
             WHERE m.reference = ?1 AND m.reference IS NOT NULL AND m.device = ?2
               AND m.kind IN ('ship', 'transfer') AND i.sku = ?3 AND f.code = ?4 AND m.qty = ?5
               AND lt.code IS ?6 AND sr.serial IS ?7 AND m.created_at >= ?8
             ORDER BY m.seq",
        )?
        .query_map(
            params![
                number,
                device,
                d.item,
                d.location,
                d.qty,
                d.lot,
                d.serial,
                s.created_at
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?
        .collect::<rusqlite::Result<_>>()?;
    for (id, kind, to) in rows {
        let Ok(id) = Uuid::parse_str(&id) else {
            continue;
        };
        if !claimed.contains(&id) {
            return Ok(Some((id, kind.parse()?, to)));
        }
    }
    Ok(None)
}

/// Aborts the process when the crash test asks for it at `point` (never set in production).
fn crash_hook(point: &str) {
    if std::env::var(CRASH_HOOK).is_ok_and(|v| v == point) {
        std::process::abort();
    }
}

impl Ledger {
    /// The drafts of a pick list, oldest first.
    pub fn pick_drafts(&self, number: &str) -> Result<Vec<PickDraft>> {
        let (id, _) = pick_list_head(self.conn()?, number)?;
        drafts_of(self.conn()?, id)
    }

    /// Quantities recorded short on this device, by line number.
    pub fn pick_shorts(&self, number: &str) -> Result<HashMap<i64, i64>> {
        let (id, _) = pick_list_head(self.conn()?, number)?;
        Ok(self
            .conn()?
            .prepare_cached(
                "SELECT line_no, SUM(qty) FROM pick_shorts WHERE pick_list_id = ? GROUP BY line_no",
            )?
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Keeps a confirmed pick as a draft of an open list, under its movement id.
    pub fn add_pick_draft(&mut self, number: &str, d: &PickDraft) -> Result<()> {
        if d.qty <= 0 || d.qty > super::MAX_QTY {
            return Err(Error::invalid(format!(
                "quantity must be between 1 and {}, not {}",
                super::MAX_QTY,
                d.qty
            )));
        }
        let now = super::clock::timestamp(self.clock().now());
        self.write(|tx| {
            let id = open_pick_list(tx, number)?;
            let item: Option<String> = tx
                .query_row(
                    "SELECT i.sku FROM pick_list_lines pl JOIN items i ON i.id = pl.item_id
                     WHERE pl.pick_list_id = ? AND pl.line_no = ?",
                    params![id, d.line_no],
                    |r| r.get(0),
                )
                .optional()?;
            match item {
                None => {
                    return Err(Error::NotFound(format!(
                        "pick list {number} has no line {}",
                        d.line_no
                    )))
                }
                Some(sku) if sku != d.item => {
                    return Err(Error::invalid(format!(
                        "line {} of pick list {number} is {sku}, not {}",
                        d.line_no, d.item
                    )))
                }
                Some(_) => {}
            }
            tx.execute(
                "INSERT INTO pick_drafts (pick_list_id, line_no, location, lot, serial, qty, reason, created_at, movement_id)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    id,
                    d.line_no,
                    d.location,
                    d.lot,
                    d.serial,
                    d.qty,
                    d.reason,
                    now,
                    d.movement_id.to_string()
                ],
            )?;
            Ok(())
        })
    }

    /// Records that `qty` of a line cannot be picked, and why.
    pub fn add_pick_short(
        &mut self,
        number: &str,
        line_no: i64,
        qty: i64,
        reason: &str,
    ) -> Result<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid("type why it cannot be picked"));
        }
        super::validate::field(super::validate::Field::Reason, reason)?;
        if qty <= 0 {
            return Err(Error::invalid("nothing is short on this line"));
        }
        let now = super::clock::timestamp(self.clock().now());
        self.write(|tx| {
            let id = open_pick_list(tx, number)?;
            tx.execute(
                "INSERT INTO pick_shorts (pick_list_id, line_no, qty, reason, created_at) VALUES (?, ?, ?, ?, ?)",
                params![id, line_no, qty, reason, now],
            )?;
            Ok(())
        })
    }

    /// Drops every draft and short of an open list (the picker starts the list again, e.g. when
    /// a picked serial was shipped elsewhere meanwhile). Nothing was posted from them.
    pub fn clear_pick_drafts(&mut self, number: &str) -> Result<usize> {
        self.write(|tx| {
            let id = open_pick_list(tx, number)?;
            let n = tx.execute("DELETE FROM pick_drafts WHERE pick_list_id = ?", [id])?;
            tx.execute(
                "DELETE FROM pick_shorts WHERE pick_list_id = ? AND posted = 0",
                [id],
            )?;
            Ok(n)
        })
    }

    /// Posts every draft of a pick list (as `kind` movements to `to`, referencing the list),
    /// deletes the drafts and closes the list: one transaction, all or nothing. A list already
    /// finished is refused ("pick list PL-2001 is already finished") and nothing is posted.
    pub fn finish_pick_list(
        &mut self,
        number: &str,
        kind: MovementKind,
        to: &str,
    ) -> Result<PickFinished> {
        let ctx = self.post_context(false);
        self.write(|tx| {
            let id = open_pick_list(tx, number)?;
            let mut batch: Vec<Movement> = Vec::new();
            let mut claimed: Vec<Uuid> = Vec::new();
            for s in stored_drafts(tx, id)? {
                let d = &s.draft;
                let mut m = Movement::new(kind, &d.item, d.qty, &d.location, to)
                    .lot(d.lot.as_ref())
                    .serial(d.serial.as_ref())
                    .reason(d.reason.as_ref())
                    .reference(Some(number));
                m.id = d.movement_id;
                if s.legacy {
                    if let Some((id, k, t)) = posted_before(tx, &ctx.device, number, &s, &claimed)?
                    {
                        (m.id, m.kind, m.to) = (id, k, t);
                        claimed.push(id);
                    }
                }
                batch.push(m);
            }
            let posted = if batch.is_empty() {
                Vec::new()
            } else {
                post::post_batch(tx, &ctx, &batch)?
            };
            crash_hook("pick-finish");
            tx.execute("DELETE FROM pick_drafts WHERE pick_list_id = ?", [id])?;
            tx.execute(
                "UPDATE pick_shorts SET posted = 1 WHERE pick_list_id = ?",
                [id],
            )?;
            tx.execute(
                "UPDATE pick_lists SET status = 'done' WHERE id = ? AND status <> 'done'",
                [id],
            )?;
            Ok(PickFinished {
                ids: batch.iter().map(|m| m.id.to_string()).collect(),
                applied: posted
                    .iter()
                    .filter(|p| matches!(p, super::Posted::Applied { .. }))
                    .count(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::import::ImportKind;
    use crate::ledger::{store, ReceiveCmd};

    fn warehouse() -> Ledger {
        let mut l = Ledger::open_in_memory().unwrap();
        l.import_csv(
            ImportKind::Items,
            "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nFLOUR,Flour,,lot,false,,BAG\nPHONE,Phone,,serial,false,,EA\n",
        )
        .unwrap();
        l.import_csv(ImportKind::Locations, "code,name,kind\nA1,Bin A1,bin\n")
            .unwrap();
        for (item, lot, serials, qty) in [
            ("FLOUR", Some("F1"), vec![], 10),
            ("PHONE", None, vec!["S1".to_string()], 1),
        ] {
            l.receive(&ReceiveCmd {
                item: item.into(),
                qty,
                to: "A1".into(),
                lot: lot.map(Into::into),
                serials,
                ..Default::default()
            })
            .unwrap();
        }
        l.import_csv(
            ImportKind::PickLists,
            "picklist,customer,sku,qty,due\nPL-1,Bob,FLOUR,3,\nPL-1,Bob,PHONE,1,\n",
        )
        .unwrap();
        l
    }

    #[test]
    fn the_migration_gives_old_drafts_an_id_and_marks_them() {
        let conn = Connection::open_in_memory().unwrap();
        store::migrate(&conn, ":memory:", 3).unwrap();
        conn.execute_batch(
            "INSERT INTO items (sku, name, tracking, expiry_tracked) VALUES ('FLOUR', 'Flour', 'lot', 0);
             INSERT INTO pick_lists (number, customer, created_at) VALUES ('PL-1', 'Bob', 'x');
             INSERT INTO pick_list_lines (pick_list_id, line_no, item_id, qty, customer) VALUES (1, 1, 1, 5, 'Bob');
             INSERT INTO pick_drafts (pick_list_id, line_no, location, lot, qty, created_at) VALUES (1, 1, 'A1', 'F1', 2, 'x');
             INSERT INTO pick_drafts (pick_list_id, line_no, location, lot, qty, created_at) VALUES (1, 1, 'A1', 'F1', 3, 'x');",
        )
        .unwrap();
        store::migrate(&conn, ":memory:", store::latest_version()).unwrap();
        let rows: Vec<(String, bool)> = conn
            .prepare("SELECT movement_id, legacy FROM pick_drafts")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert_ne!(rows[0].0, rows[1].0);
        for (id, legacy) in rows {
            let u = Uuid::parse_str(&id).unwrap();
            assert_eq!(u.get_version_num(), 4, "{id}");
            assert!(legacy);
        }
    }

    #[test]
    fn drafts_an_older_version_posted_before_dying_are_not_posted_again() {
        let mut l = warehouse();
        // What an older version left when it died between its two transactions: the drafts
        // (marked by the migration), their movements posted under other ids, the list open.
        let now = crate::ledger::clock::timestamp(l.clock().now());
        l.write(|tx| {
            for (line, lot, serial, qty) in [(1, Some("F1"), None, 3), (2, None, Some("S1"), 1)] {
                tx.execute(
                    "INSERT INTO pick_drafts (pick_list_id, line_no, location, lot, serial, qty, created_at, movement_id, legacy)
                     VALUES (1, ?, 'A1', ?, ?, ?, ?, ?, 1)",
                    params![line, lot, serial, qty, now, Uuid::new_v4().to_string()],
                )?;
            }
            Ok(())
        })
        .unwrap();
        let old = [
            Movement::new(MovementKind::Ship, "FLOUR", 3, "A1", "CUSTOMER:Bob")
                .lot(Some("F1"))
                .reference(Some("PL-1")),
            Movement::new(MovementKind::Ship, "PHONE", 1, "A1", "CUSTOMER:Bob")
                .serial(Some("S1"))
                .reference(Some("PL-1")),
        ];
        l.post(&old).unwrap();
        l.write(|tx| {
            tx.execute("UPDATE pick_lists SET status = 'open'", [])?;
            Ok(())
        })
        .unwrap();
        let before = l.query().movement_count().unwrap();

        let f = l
            .finish_pick_list("PL-1", MovementKind::Ship, "CUSTOMER:Bob")
            .unwrap();
        assert_eq!(f.applied, 0, "nothing is posted twice");
        assert_eq!(
            f.ids,
            old.iter().map(|m| m.id.to_string()).collect::<Vec<_>>()
        );
        assert_eq!(l.query().movement_count().unwrap(), before);
        assert_eq!(l.query().pick_list("PL-1").unwrap().unwrap().status, "done");
        assert!(l.pick_drafts("PL-1").unwrap().is_empty());
    }

    #[test]
    fn a_draft_is_refused_on_a_finished_list_and_on_a_line_of_another_item() {
        let mut l = warehouse();
        let d = PickDraft {
            movement_id: Uuid::now_v7(),
            line_no: 1,
            item: "PHONE".into(),
            location: "A1".into(),
            lot: None,
            serial: Some("S1".into()),
            qty: 1,
            reason: None,
        };
        assert_eq!(
            l.add_pick_draft("PL-1", &d).unwrap_err().to_string(),
            "line 1 of pick list PL-1 is FLOUR, not PHONE"
        );
        l.finish_pick_list("PL-1", MovementKind::Ship, "CUSTOMER:Bob")
            .unwrap();
        let d = PickDraft { line_no: 2, ..d };
        assert_eq!(
            l.add_pick_draft("PL-1", &d).unwrap_err().to_string(),
            "pick list PL-1 is already finished"
        );
        assert!(l.pick_drafts("PL-1").unwrap().is_empty());
    }
}
