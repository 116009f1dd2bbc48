//! Conflicts on the back office, and what devices last said of themselves.
//!
//! Server: every movement the server rejects from a device is kept in `sync_conflicts` (in the
//! push's own transaction; a retried push finds its row and adds none, and is rejected again:
//! [`rejected_before`]), with what it was and why. A person resolves one with a note, in the
//! console ([`Ledger::resolve_sync_conflict`], `console:NAME`) or on the device (its resolution
//! arrives with a push, [`Ledger::accept_conflict_resolutions`], `device:NAME`). The first resolution to reach the
//! server stands: a later one is refused (console) or answered with the standing one (device).
//! Each resolution takes the next place in the server's order of resolutions, and a device pulls
//! those of its conflicts after the last it stored ([`Ledger::conflict_resolutions_after`]).
//!
//! Device: a conflict dismissed here waits as `resolution_sync = 'pending'` until the server has
//! answered for it ([`Ledger::pending_conflict_resolutions`]); the server's answers and pulled
//! resolutions are applied by [`Ledger::apply_conflict_resolutions`].
//!
//! Contact: the server notes when a device last reached it (at most once a minute) and the
//! pending movements and open conflicts it last reported (only when they change), so the
//! dashboard can show the fleet without a write per request.
//!
//! Written over the storage interface only: the same functions run on SQLite and PostgreSQL.

use super::error::{Error, Result, Rule};
use super::model::Verdict;
use super::replica::Record;
use super::sql::{args, get, FromRow, Row, Sql, SqlExt, ToArg};
use super::validate::{self, Field};
use super::Ledger;

/// A device's contact is written again only when the last one noted is older than this.
pub const CONTACT_EVERY_SECS: i64 = 60;
/// Most conflicts one list holds.
pub const MAX_CONFLICTS_LISTED: i64 = 500;
/// Most resolutions one pull or push answer carries.
pub const MAX_RESOLUTIONS: i64 = 1_000;

/// How a conflict was resolved: the note, who (`console:NAME` or `device:NAME`), when (the
/// server's clock), and its place in the server's order of resolutions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resolution {
    /// The movement id of the conflict.
    pub id: String,
    pub note: String,
    pub by: String,
    pub at: String,
    pub seq: i64,
}

/// A movement the server rejected from a device, as the back office lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ServerConflict {
    pub device: String,
    /// The movement's id.
    pub id: String,
    pub kind: String,
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub from: String,
    pub to: String,
    /// When the device made the movement (its clock).
    pub made_at: String,
    pub reason: String,
    /// When the server first rejected it.
    pub rejected_at: String,
    pub resolution: Option<Resolution>,
}

/// Which conflicts a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Show {
    /// Open ones first, then the resolved.
    #[default]
    All,
    Open,
    Resolved,
}

const CONFLICT_SELECT: &str = "SELECT device, movement_id, kind, item, lot, serial, qty, from_loc,
        to_loc, made_at, reason, rejected_at, note, resolved_by, resolved_at, resolution_seq
     FROM sync_conflicts";

impl FromRow for ServerConflict {
    fn from_row(r: &dyn Row) -> Result<ServerConflict> {
        let id: String = get(r, 1)?;
        let note: Option<String> = get(r, 12)?;
        let resolution = match note {
            Some(note) => Some(Resolution {
                id: id.clone(),
                note,
                by: get::<Option<String>>(r, 13)?.unwrap_or_default(),
                at: get::<Option<String>>(r, 14)?.unwrap_or_default(),
                seq: get::<Option<i64>>(r, 15)?.unwrap_or_default(),
            }),
            None => None,
        };
        Ok(ServerConflict {
            device: get(r, 0)?,
            id,
            kind: get(r, 2)?,
            item: get(r, 3)?,
            lot: get(r, 4)?,
            serial: get(r, 5)?,
            qty: get(r, 6)?,
            from: get(r, 7)?,
            to: get(r, 8)?,
            made_at: get(r, 9)?,
            reason: get(r, 10)?,
            rejected_at: get(r, 11)?,
            resolution,
        })
    }
}

impl FromRow for Resolution {
    fn from_row(r: &dyn Row) -> Result<Resolution> {
        Ok(Resolution {
            id: get(r, 0)?,
            note: get(r, 1)?,
            by: get(r, 2)?,
            at: get(r, 3)?,
            seq: get(r, 4)?,
        })
    }
}

/// The note a person resolves a conflict with, trimmed: said, and within a reason's limits.
pub(crate) fn resolution_note(note: &str) -> Result<&str> {
    let note = note.trim();
    if note.is_empty() {
        return Err(Error::invalid(
            "a dismissed conflict needs a note saying what was done",
        ));
    }
    validate::field(Field::Reason, note)?;
    Ok(note)
}

/// Keeps a movement the server rejected from `device` (server side), once: a retry adds nothing.
pub(crate) fn record_rejection(
    tx: &dyn Sql,
    device: &str,
    r: &Record,
    reason: &str,
    now: &str,
) -> Result<()> {
    let e = &r.entry;
    tx.run(
        "INSERT INTO sync_conflicts (device, movement_id, kind, item, lot, serial, qty, from_loc,
                                     to_loc, made_at, reason, rejected_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (device, movement_id) DO NOTHING",
        args![
            device,
            e.id,
            e.kind.as_str(),
            e.item,
            e.lot,
            e.serial,
            e.qty,
            e.from,
            e.to,
            e.created_at,
            reason,
            now
        ],
    )?;
    Ok(())
}

/// Whether `device` has any conflict on this server, open or resolved: only then can a push
/// hold a movement rejected before ([`rejected_before`]). One read a push.
pub(crate) fn has_conflicts(tx: &dyn Sql, device: &str) -> Result<bool> {
    Ok(tx
        .value(
            "SELECT EXISTS (SELECT 1 FROM sync_conflicts WHERE device = ?)",
            args![device],
        )?
        .unwrap_or(false))
}

/// When a movement of this batch (`group`) was rejected before, the batch's verdicts: each
/// movement rejected again, with the reason it was first given (one the server never
/// rejected, as part of that batch, is recorded with that reason). Nothing is posted, and a
/// resolution stays as it stands. None when the server never rejected any of them.
pub(crate) fn rejected_before(
    tx: &dyn Sql,
    device: &str,
    group: &[Record],
    now: &str,
) -> Result<Option<Vec<(String, Verdict)>>> {
    // One read per 500 movements, not one each: a batch can be a 10,000-serial receipt, and
    // on PostgreSQL each statement is a round trip.
    let mut found: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for chunk in group.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let mut a = vec![device.to_arg()];
        a.extend(chunk.iter().map(|r| r.entry.id.to_arg()));
        let rows: Vec<(String, String)> = tx.all(
            &format!(
                "SELECT movement_id, reason FROM sync_conflicts WHERE device = ? AND movement_id IN ({marks})"
            ),
            &a,
        )?;
        found.extend(rows);
    }
    let stored: Vec<Option<String>> = group
        .iter()
        .map(|r| found.get(&r.entry.id).cloned())
        .collect();
    let Some(first) = stored.iter().flatten().next().cloned() else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(group.len());
    for (r, reason) in group.iter().zip(stored) {
        let reason = match reason {
            Some(reason) => reason,
            None => {
                let reason = format!("its batch holds a movement this server rejected: {first}");
                record_rejection(tx, device, r, &reason, now)?;
                reason
            }
        };
        out.push((r.entry.id.clone(), Verdict::Rejected { reason }));
    }
    Ok(Some(out))
}

/// Closes the conflicts still open of `device`, a revoked device whose name is given to a new
/// one ([`super::replica::add_device`]): the old handheld will never resolve them. They stay on
/// record, resolved, with their rejections: a note made on them is kept for the audit, and a
/// movement of the old handheld pushed again (from a copy of its file) is still rejected.
pub(crate) fn close_device(tx: &dyn Sql, device: &str, by: Option<&str>, now: &str) -> Result<()> {
    let open: Vec<(String,)> = tx.all(
        "SELECT movement_id FROM sync_conflicts WHERE device = ? AND resolved_at IS NULL",
        args![device],
    )?;
    for (id,) in open {
        resolve(
            tx,
            device,
            &id,
            CLOSED_WITH_DEVICE,
            by.unwrap_or("server"),
            now,
        )?;
    }
    Ok(())
}

/// The note on a conflict closed because its device's name went to a new handheld.
pub const CLOSED_WITH_DEVICE: &str =
    "closed when the device was revoked and its name given to a new handheld";

/// The device a token belongs to, as [`Ledger::device_contact`] found it.
#[derive(Debug)]
pub struct DeviceContact {
    pub name: String,
    /// When it was revoked, if it was.
    pub revoked: Option<String>,
    /// Why its contact could not be noted, if it could not (it is still who it is).
    pub unnoted: Option<Error>,
}

/// What resolving one conflict on the server came to.
enum Resolved {
    /// This resolution stands.
    Now(Resolution),
    /// Another one reached the server first; it stands.
    Before(Resolution),
    /// The server has no such conflict of the device.
    Unknown,
}

/// Resolves `device`'s conflict `id` with `note` by `by`, unless it was resolved before.
fn resolve(
    tx: &dyn Sql,
    device: &str,
    id: &str,
    note: &str,
    by: &str,
    now: &str,
) -> Result<Resolved> {
    let found: Option<ServerConflict> = tx.first(
        &format!("{CONFLICT_SELECT} WHERE device = ? AND movement_id = ?"),
        args![device, id],
    )?;
    let Some(found) = found else {
        return Ok(Resolved::Unknown);
    };
    if let Some(r) = found.resolution {
        return Ok(Resolved::Before(r));
    }
    let seq: i64 = tx
        .value(
            "SELECT COALESCE(MAX(resolution_seq), 0) + 1 FROM sync_conflicts",
            args![],
        )?
        .unwrap_or(1);
    tx.run(
        "UPDATE sync_conflicts SET note = ?, resolved_by = ?, resolved_at = ?, resolution_seq = ?
         WHERE device = ? AND movement_id = ? AND resolved_at IS NULL",
        args![note, by, now, seq, device, id],
    )?;
    Ok(Resolved::Now(Resolution {
        id: id.to_string(),
        note: note.to_string(),
        by: by.to_string(),
        at: now.to_string(),
        seq,
    }))
}

/// Whether a contact noted at `last` is older than [`CONTACT_EVERY_SECS`] at `now` (or was
/// never noted, or cannot be read).
fn contact_is_stale(last: Option<&str>, now: chrono::DateTime<chrono::Utc>) -> bool {
    last.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(true, |t| {
            (now - t.with_timezone(&chrono::Utc)).num_seconds() >= CONTACT_EVERY_SECS
        })
}

impl Ledger {
    // ---- server -------------------------------------------------------------------------

    /// The conflicts of every device (or of one), open ones first, newest first within each,
    /// at most [`MAX_CONFLICTS_LISTED`].
    pub fn sync_conflicts(&self, show: Show, device: Option<&str>) -> Result<Vec<ServerConflict>> {
        let which = match show {
            Show::All => "",
            Show::Open => "AND resolved_at IS NULL",
            Show::Resolved => "AND resolved_at IS NOT NULL",
        };
        let sql = |whose: &str| {
            format!(
                "{CONFLICT_SELECT} WHERE {whose} {which}
                 ORDER BY CASE WHEN resolved_at IS NULL THEN 0 ELSE 1 END, rejected_at DESC, device, movement_id
                 LIMIT ?"
            )
        };
        match device {
            Some(d) => self
                .sql()
                .all(&sql("device = ?"), args![d, MAX_CONFLICTS_LISTED]),
            None => self.sql().all(&sql("1 = 1"), args![MAX_CONFLICTS_LISTED]),
        }
    }

    /// One conflict of a device, if the server has it.
    pub fn sync_conflict(&self, device: &str, id: &str) -> Result<Option<ServerConflict>> {
        self.sql().first(
            &format!("{CONFLICT_SELECT} WHERE device = ? AND movement_id = ?"),
            args![device, id],
        )
    }

    /// Open conflicts on this server, by device.
    pub fn open_conflicts_by_device(&self) -> Result<Vec<(String, i64)>> {
        self.sql().all(
            "SELECT device, COUNT(*) FROM sync_conflicts WHERE resolved_at IS NULL GROUP BY device ORDER BY device",
            args![],
        )
    }

    /// A person resolves a device's conflict on the back office (`by`: `console:NAME`). One
    /// already resolved is refused, naming the resolution that stands; the device learns this
    /// one on its next pull.
    pub fn resolve_sync_conflict(
        &mut self,
        device: &str,
        id: &str,
        note: &str,
        by: &str,
    ) -> Result<Resolution> {
        let note = resolution_note(note)?;
        let now = super::clock::timestamp(self.clock().now());
        self.write_sql(|tx| match resolve(tx, device, id, note, by, &now)? {
            Resolved::Now(r) => Ok(r),
            Resolved::Before(r) => Err(Error::Refused {
                rule: Rule::Invalid,
                message: format!(
                    "this conflict was already resolved by {} at {}: \"{}\". The first resolution stands; nothing was changed",
                    r.by, r.at, r.note
                ),
            }),
            Resolved::Unknown => Err(Error::NotFound(format!(
                "device {device} has no conflict {id} on this server"
            ))),
        })
    }

    /// Resolutions a device made of its own conflicts, (movement id, note), arriving with a
    /// push: each is recorded as `device:NAME` unless another reached the server first.
    /// Answers, for each, the resolution that stands (a conflict the server never recorded, one
    /// rejected before this server kept them, is answered with the device's own, recorded
    /// nowhere). All are checked before any is recorded.
    pub fn accept_conflict_resolutions(
        &mut self,
        device: &str,
        resolutions: &[(String, String)],
    ) -> Result<Vec<Resolution>> {
        for (id, note) in resolutions {
            resolution_note(note)
                .map_err(|e| Error::invalid(format!("conflict resolution {id}: {e}")))?;
        }
        let now = super::clock::timestamp(self.clock().now());
        let by = format!("device:{device}");
        self.write_sql(|tx| {
            let mut out = Vec::with_capacity(resolutions.len());
            for (id, note) in resolutions {
                let note = note.trim();
                out.push(match resolve(tx, device, id, note, &by, &now)? {
                    Resolved::Now(r) | Resolved::Before(r) => r,
                    Resolved::Unknown => Resolution {
                        id: id.clone(),
                        note: note.to_string(),
                        by: by.clone(),
                        at: now.clone(),
                        seq: 0,
                    },
                });
            }
            Ok(out)
        })
    }

    /// The resolutions of `device`'s conflicts after place `after` in the server's order, oldest
    /// first, at most `limit`: what its pull carries.
    pub fn conflict_resolutions_after(
        &self,
        device: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Resolution>> {
        self.sql().all(
            "SELECT movement_id, note, resolved_by, resolved_at, resolution_seq FROM sync_conflicts
             WHERE device = ? AND resolution_seq > ? ORDER BY resolution_seq LIMIT ?",
            args![device, after, limit],
        )
    }

    /// The device a token hash belongs to and when it was revoked (if it was), noting that it
    /// reached the server now when the last contact noted is older than a minute (so a device
    /// syncing often costs a write a minute, not one a request). The note is for the console's
    /// fleet only: when it cannot be written, the device is still who it is, and the failure
    /// comes back in [`DeviceContact::unnoted`] for the caller to log.
    pub fn device_contact(&mut self, token_hash: &str) -> Result<Option<DeviceContact>> {
        let found: Option<(String, Option<String>, Option<String>)> = self.sql().first(
            "SELECT name, revoked_at, last_contact_at FROM devices WHERE token_hash = ?",
            args![token_hash],
        )?;
        let Some((name, revoked, last)) = found else {
            return Ok(None);
        };
        let now = self.clock().now();
        let mut unnoted = None;
        if revoked.is_none() && contact_is_stale(last.as_deref(), now) {
            let stamp = super::clock::timestamp(now);
            unnoted = self
                .write_sql(|tx| {
                    tx.run(
                        "UPDATE devices SET last_contact_at = ? WHERE name = ?",
                        args![stamp, name],
                    )
                })
                .err();
        }
        Ok(Some(DeviceContact {
            name,
            revoked,
            unnoted,
        }))
    }

    /// What a device reported of itself: its pending movements and open conflicts. Written only
    /// when they changed.
    pub fn note_device_report(&mut self, device: &str, pending: i64, conflicts: i64) -> Result<()> {
        if pending < 0 || conflicts < 0 {
            return Err(Error::invalid(
                "a device reports its pending movements and conflicts as counts, never negative",
            ));
        }
        let known: Option<(Option<i64>, Option<i64>)> = self.sql().first(
            "SELECT pending_reported, conflicts_reported FROM devices WHERE name = ?",
            args![device],
        )?;
        if known.is_none() || known == Some((Some(pending), Some(conflicts))) {
            return Ok(());
        }
        self.write_sql(|tx| {
            tx.run(
                "UPDATE devices SET pending_reported = ?, conflicts_reported = ? WHERE name = ?",
                args![pending, conflicts, device],
            )?;
            Ok(())
        })
    }

    // ---- device -------------------------------------------------------------------------

    /// Conflicts dismissed here that the server has not answered for yet, (movement id, note),
    /// oldest first, at most `limit`.
    pub fn pending_conflict_resolutions(&self, limit: i64) -> Result<Vec<(String, String)>> {
        let rows: Vec<(String, Option<String>)> = self.sql().all(
            "SELECT movement_id, note FROM outbox WHERE resolution_sync = 'pending'
             ORDER BY updated_at, movement_id LIMIT ?",
            args![limit],
        )?;
        Ok(rows
            .into_iter()
            .map(|(id, note)| (id, note.unwrap_or_default()))
            .collect())
    }

    /// The server's resolutions of this device's conflicts: each conflict is dismissed with the
    /// standing note, who made it and when. `answered`: the server's answer to resolutions this
    /// device pushed, which stand over its own; otherwise (pulled) a conflict dismissed here and
    /// not yet pushed keeps its note until the push is answered. Returns how many were written here.
    pub fn apply_conflict_resolutions(
        &mut self,
        resolutions: &[Resolution],
        answered: bool,
    ) -> Result<usize> {
        self.write_sql(|tx| {
            let mut changed = 0;
            for r in resolutions {
                let keep_pending = if answered {
                    ""
                } else {
                    "AND resolution_sync IS NULL"
                };
                changed += tx.run(
                    &format!(
                        "UPDATE outbox SET state = 'dismissed', note = ?, resolved_by = ?, updated_at = ?,
                                resolution_sync = NULL
                         WHERE movement_id = ? AND state IN ('conflict', 'dismissed') {keep_pending}"
                    ),
                    args![r.note, r.by, r.at, r.id],
                )?;
            }
            Ok(changed)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_contact_is_written_again_only_after_a_minute() {
        let now = chrono::Utc.with_ymd_and_hms(2026, 6, 15, 9, 30, 0).unwrap();
        assert!(contact_is_stale(None, now));
        assert!(contact_is_stale(Some("not a time"), now));
        assert!(!contact_is_stale(Some("2026-06-15T09:29:01Z"), now));
        assert!(contact_is_stale(Some("2026-06-15T09:29:00Z"), now));
    }

    #[test]
    fn a_resolution_needs_a_note_within_a_reasons_limits() {
        assert!(resolution_note("  ").is_err());
        assert!(resolution_note(&"x".repeat(10_000)).is_err());
        assert_eq!(resolution_note(" told Bob ").unwrap(), "told Bob");
    }
}
