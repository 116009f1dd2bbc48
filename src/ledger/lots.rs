//! Lot status: a small state machine, written once and run everywhere (the CLI, the workflows, a
//! device, and the server applying what devices push).
//!
//! ```text
//!   available ──hold──> quarantine ──release──> available
//!       │                   │
//!       └──recall──┐  ┌──recall
//!                  v  v
//!               recalled ──close_recall (back office only)──> quarantine
//! ```
//!
//! Nothing downgrades a recall: a hold or a release of a recalled lot is refused, and the only way
//! out is `close_recall`, run on the back office (a ledger not enrolled with a server: the server's
//! own database, or a standalone desktop), with the name of the person who closed it; it leaves the
//! lot on hold, never straight to available. Expired is not a status: it follows from the date.
//!
//! Every change is a row of `lot_events` with who, where, when, why and the status before. On an
//! enrolled device a change is `pending` until the server accepts it (or refuses it: a conflict).
//! The device's status of a lot is the server's (its changes in the server's order) with the
//! device's pending changes on top, like balances are.

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::collections::HashSet;

use super::error::{Error, Result, Rule};
use super::model::Verdict;
use super::model::{LotAction, LotStatus};
use super::rows::{lot_by_code, require_item};
use super::sql::{args, get, Row, Sql, SqlExt};
use super::validate::{self, Field};
use super::Ledger;

/// A lot status change as a device pushes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotChange {
    /// Globally unique (a UUID chosen where the change was made).
    pub event_id: String,
    pub item: String,
    pub lot: String,
    pub action: LotAction,
    pub reason: String,
    /// Who made it (a person's name), when not the device itself.
    pub actor: Option<String>,
    pub created_at: String,
    /// The device's last movement before the change (orders a push; see the client).
    pub after_seq: i64,
    /// The last of the server's events of this lot the device knew when it made the change (its
    /// place in the server's log; 0: none). A release made before a recall it did not know of is
    /// refused even once the recall is closed.
    pub seen: i64,
}

/// One status change of a lot, as history shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotHistoryRow {
    pub at: String,
    pub item: String,
    pub lot: String,
    pub action: String,
    /// The status before (unknown for changes recorded before lot history was kept).
    pub from: Option<LotStatus>,
    pub to: LotStatus,
    pub reason: String,
    /// Who: the person named with `--by`, or the device.
    pub by: Option<String>,
    /// Where it was made.
    pub device: Option<String>,
    /// On a device: pending, accepted, conflict or dismissed (empty: not this device's to push).
    pub sync: Option<String>,
    pub event_id: String,
}

/// A lot status change the server refused, waiting on the device for a person. Its columns are
/// named like a movement conflict's, so both show in one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotConflict {
    pub id: String,
    /// The change: hold, release, recall.
    pub kind: LotAction,
    pub item: String,
    pub lot: String,
    /// The server's reason.
    pub reason: String,
    pub created_at: String,
    pub state: String,
    pub note: Option<String>,
    /// Why the change was made.
    pub change_reason: String,
}

/// The state machine: the status `action` leads to from `current`, or why it may not.
pub fn transition(
    sku: &str,
    code: &str,
    current: LotStatus,
    action: LotAction,
) -> Result<LotStatus> {
    use LotAction as A;
    use LotStatus as S;
    let close = format!(
        "lotkeeper recall close --item {sku} --lot {code} --reason … --by NAME (back office)"
    );
    let refuse = |m: String| Err(Error::refused(Rule::Hold, m));
    match (action, current) {
        (A::Hold, S::Available) => Ok(S::Quarantine),
        (A::Hold, S::Quarantine) => refuse(format!(
            "{sku} lot {code} is already on hold (quarantine)"
        )),
        (A::Hold, S::Recalled) => refuse(format!(
            "{sku} lot {code} is recalled; a hold would not change that, and a recall ends only with {close}"
        )),
        (A::Release, S::Quarantine) => Ok(S::Available),
        (A::Release, S::Available) => refuse(format!("lot {code} of {sku} is not on hold")),
        (A::Release, S::Recalled) => refuse(format!(
            "{sku} lot {code} is recalled: a release cannot end a recall; it ends only with {close}"
        )),
        (A::Recall, S::Available | S::Quarantine) => Ok(S::Recalled),
        (A::Recall, S::Recalled) => refuse(format!("{sku} lot {code} is already recalled")),
        (A::CloseRecall, S::Recalled) => Ok(S::Quarantine),
        (A::CloseRecall, other) => refuse(format!(
            "{sku} lot {code} is not recalled (it is {other}); there is no recall to close"
        )),
    }
}

/// A fresh, globally unique event id.
fn new_event_id() -> String {
    super::clock::new_id().to_string()
}

/// Where the lot's status must go after its events changed on a device: the last of the server's
/// changes in the server's order (older, unsynced ones first), then this device's pending ones.
pub(crate) fn refresh_status(tx: &Connection, lot_id: i64) -> Result<()> {
    let last: Option<String> = tx
        .prepare_cached(
            "SELECT status FROM lot_events
             WHERE lot_id = ? AND (sync IS NULL OR sync IN ('pending', 'accepted'))
             ORDER BY CASE WHEN sync = 'pending' THEN 2 WHEN server_seq IS NULL THEN 0 ELSE 1 END DESC,
                      CASE WHEN sync = 'pending' OR server_seq IS NULL THEN id ELSE server_seq END DESC
             LIMIT 1",
        )?
        .query_row([lot_id], |r| r.get(0))
        .optional()?;
    tx.prepare_cached("UPDATE lots SET status = ? WHERE id = ? AND status <> ?")?
        .execute(params![
            last.as_deref().unwrap_or("available"),
            lot_id,
            last.as_deref().unwrap_or("available")
        ])?;
    Ok(())
}

/// The n-th device tag: A1 … A9, B1 … Z9, then longer ones.
fn nth_tag(n: usize) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMPQRSTUVWXYZ";
    let per = LETTERS.len() * 9;
    if n < per {
        format!("{}{}", LETTERS[n / 9] as char, n % 9 + 1)
    } else {
        format!(
            "{}{}",
            LETTERS[(n / 9) % LETTERS.len()] as char,
            n / per * 10 + n % 9 + 1
        )
    }
}

/// A tag derived from the device name and its token, used until the server has handed out one.
/// The token is new with each enrollment, so a replacement handheld enrolled under the name of
/// the one it replaces does not generate the old one's codes again (the server's check of
/// generated codes tells devices apart by name only).
fn derived_tag(device: &str, token: &str) -> String {
    // FNV-1a: stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in device.bytes().chain([0]).chain(token.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    const DIGITS: &[u8] = b"0123456789ABCDEFGHJKLMPQRSTUVWXYZ";
    let mut s = String::from("X");
    for _ in 0..3 {
        s.push(DIGITS[(h % DIGITS.len() as u64) as usize] as char);
        h /= DIGITS.len() as u64;
    }
    s
}

fn history_row(r: &dyn Row) -> Result<(LotHistoryRow, String, Option<String>)> {
    let to: String = get(r, 4)?;
    let from: Option<String> = get(r, 3)?;
    Ok((
        LotHistoryRow {
            at: get(r, 0)?,
            item: get(r, 1)?,
            lot: get(r, 2)?,
            action: String::new(),
            from: from.and_then(|f| f.parse().ok()),
            to: to.parse().unwrap_or(LotStatus::Available),
            reason: get(r, 5)?,
            by: get(r, 6)?,
            device: get(r, 7)?,
            sync: get(r, 8)?,
            event_id: get::<Option<String>>(r, 9)?.unwrap_or_default(),
        },
        to,
        get(r, 10)?,
    ))
}

impl Ledger {
    /// True on the back office: a ledger not enrolled with a server (the server's own database,
    /// or a standalone desktop). Only there can a recall be closed.
    pub fn is_back_office(&self) -> bool {
        !self.enrolled
    }

    /// Changes a lot's status by the state machine and records who, where, when and why. `by`
    /// names the person (required to close a recall); otherwise the device is the actor.
    pub fn change_lot_status(
        &mut self,
        item: &str,
        lot: &str,
        action: LotAction,
        reason: &str,
        by: Option<&str>,
    ) -> Result<LotStatus> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::invalid(match action {
                LotAction::CloseRecall => "closing a recall needs a reason (recall RC-… closed by the supplier, goods destroyed, ...)",
                _ => "a hold, recall or release needs a reason (supplier recall, damaged, lab released, ...)",
            }));
        }
        validate::field(Field::Reason, reason)?;
        let by = by.map(str::trim).filter(|b| !b.is_empty());
        validate::optional(Field::Name, by)?;
        if action == LotAction::CloseRecall {
            if !self.is_back_office() {
                return Err(Error::refused(
                    Rule::Hold,
                    format!(
                        "a recall is closed only by the back office: run lotkeeper --db SERVER-DATABASE recall close --item {item} --lot {lot} --reason … --by NAME on the server; this device is enrolled with a server"
                    ),
                ));
            }
            if by.is_none() {
                return Err(Error::invalid(
                    "closing a recall needs --by NAME: the person who closes it is recorded",
                ));
            }
        }
        let now = super::clock::timestamp(self.clock().now());
        let device = self.device.clone();
        let pending = self.enrolled;
        self.write_sql(|tx| {
            let it = require_item(tx, item)?;
            let l = lot_by_code(tx, it.id, lot)?
                .ok_or_else(|| Error::NotFound(format!("{item} has no lot {lot}")))?;
            let to = transition(&it.sku, &l.code, l.status, action)?;
            let after_seq: i64 = tx
                .value("SELECT COALESCE(MAX(seq), 0) FROM movements", args![])?
                .unwrap_or(0);
            tx.run(
                "UPDATE lots SET status = ? WHERE id = ?",
                args![to.as_str(), l.id],
            )?;
            tx.run(
                "INSERT INTO lot_events (lot_id, status, reason, created_at, event_id, action, previous,
                                         actor, device, sync, after_seq)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                args![
                    l.id,
                    to.as_str(),
                    reason,
                    now,
                    new_event_id(),
                    action.as_str(),
                    l.status.as_str(),
                    by.unwrap_or(device.as_str()),
                    device,
                    pending.then_some("pending"),
                    after_seq,
                ],
            )?;
            Ok(to)
        })
    }

    /// Puts a lot on hold (quarantine) or recalls it, or releases a hold: the state machine's
    /// `hold`, `recall` and `release`, by the status wanted.
    pub fn set_lot_status(
        &mut self,
        item: &str,
        lot: &str,
        status: LotStatus,
        reason: &str,
    ) -> Result<()> {
        let action = match status {
            LotStatus::Quarantine => LotAction::Hold,
            LotStatus::Recalled => LotAction::Recall,
            LotStatus::Available => LotAction::Release,
        };
        self.change_lot_status(item, lot, action, reason, None)
            .map(|_| ())
    }

    /// Every status change of a lot, oldest first.
    pub fn lot_history(&self, item: &str, lot: &str) -> Result<Vec<LotHistoryRow>> {
        let it = require_item(self.sql(), item)?;
        lot_by_code(self.sql(), it.id, lot)?
            .ok_or_else(|| Error::NotFound(format!("{item} has no lot {lot}")))?;
        let mut rows = Vec::new();
        self.sql().scan(
            "SELECT e.created_at, i.sku, lt.code, e.previous, e.status, e.reason, e.actor, e.device,
                    e.sync, e.event_id, e.action
             FROM lot_events e JOIN lots lt ON lt.id = e.lot_id JOIN items i ON i.id = lt.item_id
             WHERE i.sku = ? AND lt.code = ? ORDER BY e.id",
            args![item, lot],
            &mut |r| {
                rows.push(history_row(r)?);
                Ok(true)
            },
        )?;
        Ok(rows
            .into_iter()
            .map(|(mut row, to, action)| {
                row.action = action.unwrap_or_else(|| {
                    match to.as_str() {
                        "quarantine" => "hold",
                        "recalled" => "recall",
                        _ => "release",
                    }
                    .to_string()
                });
                row
            })
            .collect())
    }

    // ---- device -------------------------------------------------------------------------

    /// This device's status changes not yet accepted by the server, oldest first.
    pub fn pending_lot_changes(&self, limit: i64) -> Result<Vec<LotChange>> {
        let rows = self
            .conn()?
            .prepare_cached(
                "SELECT e.event_id, i.sku, lt.code, e.action, e.reason, e.actor, e.device, e.created_at,
                        COALESCE(e.after_seq, 0),
                        (SELECT COALESCE(MAX(k.server_seq), 0) FROM lot_events k
                         WHERE k.lot_id = e.lot_id AND k.id < e.id)
                 FROM lot_events e JOIN lots lt ON lt.id = e.lot_id JOIN items i ON i.id = lt.item_id
                 WHERE e.sync = 'pending' ORDER BY e.id LIMIT ?",
            )?
            .query_map([limit], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, i64>(8)?,
                    r.get::<_, i64>(9)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(
                    event_id,
                    item,
                    lot,
                    action,
                    reason,
                    actor,
                    device,
                    created_at,
                    after_seq,
                    seen,
                )| {
                    Ok(LotChange {
                        event_id,
                        item,
                        lot,
                        action: action.parse()?,
                        reason,
                        // The device itself is implied by the token; only a person is sent.
                        actor: actor.filter(|a| Some(a) != device.as_ref()),
                        created_at,
                        after_seq,
                        seen,
                    })
                },
            )
            .collect()
    }

    /// Records the server's verdicts on pushed status changes: accepted ones take their place in
    /// the server's order, refused ones become conflicts and stop counting for the lot's status.
    pub fn record_lot_verdicts(&mut self, verdicts: &[(String, Verdict)]) -> Result<()> {
        self.write(|tx| {
            for (id, v) in verdicts {
                let lot: Option<i64> = tx
                    .query_row(
                        "SELECT lot_id FROM lot_events WHERE event_id = ? AND sync = 'pending'",
                        [id],
                        |r| r.get(0),
                    )
                    .optional()?;
                let Some(lot) = lot else { continue };
                match v {
                    Verdict::Accepted { server_seq } => tx.execute(
                        "UPDATE lot_events SET sync = 'accepted', server_seq = ? WHERE event_id = ?",
                        params![server_seq, id],
                    )?,
                    Verdict::Rejected { reason } => tx.execute(
                        "UPDATE lot_events SET sync = 'conflict', sync_reason = ?, note = NULL WHERE event_id = ?",
                        params![reason, id],
                    )?,
                };
                refresh_status(tx, lot)?;
            }
            Ok(())
        })
    }

    /// Status changes the server refused (and, with `all`, dismissed ones), oldest first.
    pub fn lot_conflicts(&self, all: bool) -> Result<Vec<LotConflict>> {
        let sql = format!(
            "SELECT e.event_id, e.action, i.sku, lt.code, e.sync_reason, e.created_at, e.sync, e.note, e.reason
             FROM lot_events e JOIN lots lt ON lt.id = e.lot_id JOIN items i ON i.id = lt.item_id
             WHERE e.sync = 'conflict' {} ORDER BY e.id",
            if all { "OR e.sync = 'dismissed'" } else { "" }
        );
        let rows = self
            .conn()?
            .prepare(&sql)?
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(id, action, item, lot, reason, created_at, state, note, change_reason)| {
                    Ok(LotConflict {
                        id,
                        kind: action.parse()?,
                        item,
                        lot,
                        reason: reason.unwrap_or_default(),
                        created_at,
                        state,
                        note,
                        change_reason,
                    })
                },
            )
            .collect()
    }

    /// The tag this device puts in the lot codes it generates: the one the server handed out,
    /// else one derived from the device name. None on a ledger that is not enrolled.
    pub fn lot_tag(&self) -> Result<Option<String>> {
        if !self.enrolled {
            return Ok(None);
        }
        if let Some(t) = self.sync_value("lot_tag")?.filter(|t| !t.is_empty()) {
            return Ok(Some(t));
        }
        let token = self.sync_value("token")?.unwrap_or_default();
        Ok(Some(derived_tag(&self.device, &token)))
    }

    // ---- server -------------------------------------------------------------------------

    /// Applies a device's status changes, each by the state machine, in one transaction. A change
    /// seen before (same event id) is answered with its place in the server's log; a change the
    /// rules refuse is rejected with the reason and changes nothing.
    pub fn accept_lot_changes(
        &mut self,
        device: &str,
        changes: &[LotChange],
    ) -> Result<Vec<(String, Verdict)>> {
        let now_utc = self.clock().now();
        let now = super::clock::timestamp(now_utc);
        self.write_sql(|tx| {
            let mut out = Vec::with_capacity(changes.len());
            for c in changes {
                let known: Option<KnownChange> = tx.first(
                    "SELECT e.id, e.device, e.action, e.reason, i.sku, lt.code
                     FROM lot_events e JOIN lots lt ON lt.id = e.lot_id
                     JOIN items i ON i.id = lt.item_id WHERE e.event_id = ?",
                    args![c.event_id],
                )?;
                if let Some((server_seq, by, action, reason, sku, code)) = known {
                    // A retry is the same change from the same device; anything else reusing the
                    // id would be told "accepted" for a change the server never made.
                    let same = by.as_deref() == Some(device)
                        && action.as_deref() == Some(c.action.as_str())
                        && reason == c.reason.trim()
                        && sku == c.item
                        && code == c.lot;
                    let verdict = if same {
                        Verdict::Accepted { server_seq }
                    } else {
                        Verdict::Rejected {
                            reason: format!(
                                "lot status change id {} was already used for a different change ({} of {sku} lot {code}); a new change needs a new id",
                                c.event_id,
                                action.as_deref().unwrap_or("a status change"),
                            ),
                        }
                    };
                    out.push((c.event_id.clone(), verdict));
                    continue;
                }
                let verdict = match check_pushed_change(c, now_utc)
                    .and_then(|()| apply_device_change(tx, device, c, &now))
                {
                    Ok(server_seq) => Verdict::Accepted { server_seq },
                    Err(e @ (Error::Refused { .. } | Error::Invalid(_) | Error::NotFound(_))) => {
                        Verdict::Rejected {
                            reason: e.to_string(),
                        }
                    }
                    Err(other) => return Err(other),
                };
                out.push((c.event_id.clone(), verdict));
            }
            Ok(out)
        })
    }

    /// The lot tag of an enrolled device, handed out on first ask (A1, A2, …, unique per server).
    pub fn device_lot_tag(&mut self, device: &str) -> Result<String> {
        // Given already (every sync but a device's first asks): read, without waiting for the
        // writers' turn.
        if let Some((Some(tag),)) = self.sql().first::<(Option<String>,)>(
            "SELECT lot_tag FROM devices WHERE name = ?",
            args![device],
        )? {
            return Ok(tag);
        }
        self.write_sql(|tx| {
            let (tag,): (Option<String>,) = tx
                .first("SELECT lot_tag FROM devices WHERE name = ?", args![device])?
                .ok_or_else(|| Error::NotFound(format!("there is no device {device}")))?;
            if let Some(t) = tag {
                return Ok(t);
            }
            let mut used: HashSet<String> = tx
                .all::<(String,)>(
                    "SELECT lot_tag FROM devices WHERE lot_tag IS NOT NULL",
                    args![],
                )?
                .into_iter()
                .map(|(t,)| t)
                .collect();
            // Tags given out by a database a restore replaced (see `backup::restore`).
            let retired: Option<String> = tx.value(
                "SELECT value FROM sync_state WHERE key = 'retired_lot_tags'",
                args![],
            )?;
            used.extend(
                retired
                    .iter()
                    .flat_map(|v| v.split_whitespace().map(str::to_string)),
            );
            let tag = (0..)
                .map(nth_tag)
                .find(|t| !used.contains(t))
                .unwrap_or_default();
            tx.run(
                "UPDATE devices SET lot_tag = ? WHERE name = ?",
                args![tag, device],
            )?;
            Ok(tag)
        })
    }
}

/// A lot change the server already has: its place, device, action, reason, item and lot.
type KnownChange = (i64, Option<String>, Option<String>, String, String, String);

/// A pushed change's texts and timestamp, by the same rules as a pushed movement's.
fn check_pushed_change(c: &LotChange, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
    if uuid::Uuid::parse_str(&c.event_id).is_err() {
        return Err(Error::invalid(format!(
            "a lot status change's event id must be a UUID, not '{}'",
            validate::shown(&c.event_id)
        )));
    }
    validate::field(Field::Sku, &c.item)?;
    validate::field(Field::Lot, &c.lot)?;
    validate::field(Field::Reason, &c.reason)?;
    validate::optional(Field::Name, c.actor.as_deref())?;
    if !c.created_at.trim().is_empty() {
        validate::pushed_timestamp(&c.created_at, now)?;
    }
    Ok(())
}

/// One pushed change on the server; returns its place in the server's log of lot events.
fn apply_device_change(tx: &dyn Sql, device: &str, c: &LotChange, now: &str) -> Result<i64> {
    if c.action == LotAction::CloseRecall {
        return Err(Error::refused(
            Rule::Hold,
            "a recall is closed only by the back office, not from a device",
        ));
    }
    if c.reason.trim().is_empty() {
        return Err(Error::invalid("a hold, recall or release needs a reason"));
    }
    let it = require_item(tx, &c.item)?;
    let l = lot_by_code(tx, it.id, &c.lot)?
        .ok_or_else(|| Error::NotFound(format!("{} has no lot {} on the server", c.item, c.lot)))?;
    let to = transition(&it.sku, &l.code, l.status, c.action)?;
    if c.action == LotAction::Release {
        // The hold a device released may since have become a recall (and been closed, which
        // leaves a hold the device never saw): that release was not made knowing of the recall.
        let recalled = tx
            .value::<i64>(
                "SELECT 1 FROM lot_events WHERE lot_id = ? AND id > ?
                   AND (action IN ('recall', 'close_recall') OR status = 'recalled') LIMIT 1",
                args![l.id, c.seen],
            )?
            .is_some();
        if recalled {
            return Err(Error::refused(
                Rule::Hold,
                format!(
                    "{} lot {} was recalled after this release was made; the recall is closed and the lot stays on hold: check the recall, then release it again if it should be",
                    it.sku, l.code
                ),
            ));
        }
    }
    tx.run(
        "UPDATE lots SET status = ? WHERE id = ?",
        args![to.as_str(), l.id],
    )?;
    let created_at = if c.created_at.trim().is_empty() {
        now
    } else {
        c.created_at.as_str()
    };
    tx.insert(
        "INSERT INTO lot_events (lot_id, status, reason, created_at, event_id, action, previous,
                                 actor, device)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        args![
            l.id,
            to.as_str(),
            c.reason.trim(),
            created_at,
            c.event_id,
            c.action.as_str(),
            l.status.as_str(),
            c.actor.as_deref().unwrap_or(device),
            device,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_but_close_leaves_a_recall_and_close_leaves_it_on_hold() {
        for action in LotAction::ALL {
            let r = transition("PARA", "P1", LotStatus::Recalled, *action);
            match action {
                LotAction::CloseRecall => assert_eq!(r.unwrap(), LotStatus::Quarantine),
                _ => assert_eq!(r.unwrap_err().rule(), Some(Rule::Hold), "{action}"),
            }
        }
        let e = transition("PARA", "P1", LotStatus::Recalled, LotAction::Release).unwrap_err();
        assert!(
            e.to_string()
                .contains("lotkeeper recall close --item PARA --lot P1 --reason"),
            "{e}"
        );
    }

    #[test]
    fn hold_and_release_go_both_ways_but_only_from_the_right_status() {
        use LotAction as A;
        use LotStatus as S;
        assert_eq!(
            transition("X", "L", S::Available, A::Hold).unwrap(),
            S::Quarantine
        );
        assert_eq!(
            transition("X", "L", S::Quarantine, A::Release).unwrap(),
            S::Available
        );
        assert_eq!(
            transition("X", "L", S::Quarantine, A::Recall).unwrap(),
            S::Recalled
        );
        assert_eq!(
            transition("X", "L", S::Available, A::Release)
                .unwrap_err()
                .to_string(),
            "lot L of X is not on hold"
        );
        assert!(transition("X", "L", S::Available, A::CloseRecall).is_err());
    }

    #[test]
    fn device_tags_are_distinct_and_short() {
        let tags: HashSet<String> = (0..1000).map(nth_tag).collect();
        assert_eq!(tags.len(), 1000);
        assert_eq!(nth_tag(0), "A1");
        assert!(tags.iter().all(|t| t.len() <= 4 && !t.contains('N')));
        assert_ne!(derived_tag("dock-1", "t"), derived_tag("dock-2", "t"));
    }
}
