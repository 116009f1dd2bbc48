//! The posting engine: every rule of the ledger, checked movement by movement inside one write
//! transaction. The caller commits only when every movement of the batch passed.
//!
//! This is also the only code that writes the journal and the balances: [`record`] inserts a
//! movement and its two balance changes (for a checked movement here, and for the server's
//! records a device applies as they are), and [`shift_balances`] takes a conflict's effect out
//! of the balances or puts it back. The row lookups the rules read are in `rows.rs`.

use chrono::NaiveDate;
use uuid::Uuid;

use super::error::{Error, Result, Rule};
use super::model::{
    DocType, LocationKind, LotOrigin, LotStatus, Movement, MovementKind, Posted, Tracking,
};
use super::rows::{
    balance, location_row, lot_by_code, lot_by_id, require_item, resolve_location, serial_location,
    ItemRow, LocRow, LotRow,
};
use super::sql::{args, Sql, SqlExt};
use super::validate::{self, Field};
use super::{MAX_BATCH, MAX_QTY};

pub(crate) struct Context {
    pub today: NaiveDate,
    pub now: String,
    pub device: String,
    /// Opening stock from a local stock import: what is on the shelves may already be expired,
    /// and is recorded as it is. `opening` movements are accepted only with this set.
    pub opening: bool,
    /// The batch came from a device push (the server's accept path): `opening` movements are
    /// refused, and each movement's `created_at` is checked against the server's clock.
    pub pushed: bool,
    /// The server's clock, for checking pushed timestamps.
    pub now_utc: chrono::DateTime<chrono::Utc>,
    /// An enrolled device: every new movement gets its outbox row in the same transaction.
    pub outbox: bool,
    /// The site of the device that makes these movements (a handheld's own, or the pushing
    /// device's on the server): every real location they touch is there, except another site's
    /// in-transit location they send stock to. None: the back office, or a device of every site.
    pub site: Option<String>,
}

/// Adds to a balance: real locations in `balances`, virtual ones in `virtual_balances`.
fn add_balance(tx: &dyn Sql, key: (i64, i64, i64), loc: &LocRow, qty: i64) -> Result<()> {
    let sql = if loc.kind.is_real() {
        "INSERT INTO balances (item_id, lot_id, serial_id, location_id, qty) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (item_id, lot_id, serial_id, location_id) DO UPDATE SET qty = balances.qty + excluded.qty"
    } else {
        "INSERT INTO virtual_balances (item_id, lot_id, serial_id, location_id, qty) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (item_id, lot_id, serial_id, location_id) DO UPDATE SET qty = virtual_balances.qty + excluded.qty"
    };
    tx.run(sql, args![key.0, key.1, key.2, loc.id, qty])?;
    Ok(())
}

/// Words a picker understands for "this much of this thing".
fn describe(item: &ItemRow, lot: Option<&str>, serial: Option<&str>) -> String {
    match (serial, lot) {
        (Some(s), _) => format!("serial {s} of {}", item.sku),
        (None, Some(l)) => format!("{} lot {l}", item.sku),
        (None, None) => item.sku.clone(),
    }
}

pub(crate) fn post_batch(tx: &dyn Sql, ctx: &Context, batch: &[Movement]) -> Result<Vec<Posted>> {
    if batch.is_empty() {
        return Err(Error::invalid("nothing to post: the batch is empty"));
    }
    if batch.len() > MAX_BATCH {
        return Err(Error::invalid(format!(
            "a batch holds at most {MAX_BATCH} movements, not {}",
            batch.len()
        )));
    }
    // Production and consumption happen only together, as an assembly: a produce alone would
    // make stock out of nothing (no reason asked), a consume alone would make it vanish.
    let has = |k: MovementKind| batch.iter().any(|m| m.kind == k);
    if has(MovementKind::Produce) != has(MovementKind::Consume) {
        return Err(Error::refused(
            Rule::Invalid,
            "an assembly consumes at least one component and produces at least one output, in one batch",
        ));
    }
    // An assembly follows its output's composition list; a batch recorded before is not judged
    // again (the list may have changed since).
    if has(MovementKind::Produce) && existing(tx, &batch[0].id)?.is_none() {
        check_assembly(tx, batch)?;
    }
    let batch_id = batch[0].id.to_string();
    let many = batch.len() > 1;
    let posted = batch
        .iter()
        .enumerate()
        .map(|(i, m)| {
            post_one(tx, ctx, &batch_id, m).map_err(|e| match e {
                Error::Refused { rule, message } if many => Error::Refused {
                    rule,
                    message: format!("{message} (movement {} of {})", i + 1, batch.len()),
                },
                other => other,
            })
        })
        .collect::<Result<Vec<Posted>>>()?;
    // Documents these movements complete are closed in the same transaction.
    super::documents::settle_documents(tx, batch.iter().filter_map(|m| m.reference.as_deref()))?;
    Ok(posted)
}

/// An assembly's rule: no item is both consumed and produced (nothing is built from itself), and
/// when the one item produced has a composition list, exactly what the list asks for the units
/// produced is consumed, no other item. An output without a list is built "on the fly".
fn check_assembly(tx: &dyn Sql, batch: &[Movement]) -> Result<()> {
    let mut consumed: std::collections::BTreeMap<&str, i64> = Default::default();
    let mut produced: std::collections::BTreeMap<&str, i64> = Default::default();
    for m in batch {
        let sums = match m.kind {
            MovementKind::Consume => &mut consumed,
            MovementKind::Produce => &mut produced,
            _ => continue,
        };
        let q = sums.entry(m.item.as_str()).or_insert(0);
        *q = q.saturating_add(m.qty);
    }
    if let Some(item) = produced.keys().find(|i| consumed.contains_key(*i)) {
        return Err(Error::refused(
            Rule::Invalid,
            format!("{item} is both consumed and produced by one assembly: nothing is built from itself"),
        ));
    }
    let [(output, units)] = produced.into_iter().collect::<Vec<_>>()[..] else {
        return Ok(());
    };
    let Some(list) = super::query::Query::over(tx).composition(output)? else {
        return Ok(());
    };
    let mut wrong = Vec::new();
    for c in &list.components {
        let need = c.qty_per_unit.saturating_mul(units);
        let got = consumed.remove(c.component.as_str()).unwrap_or(0);
        if got != need {
            wrong.push(format!("{need} of {} ({got} given)", c.component));
        }
    }
    for (item, q) in consumed {
        wrong.push(format!("no {item} ({q} given)"));
    }
    if wrong.is_empty() {
        return Ok(());
    }
    Err(Error::refused(
        Rule::Invalid,
        format!(
            "{units} of {output} take, by its composition list, {}",
            wrong.join(", ")
        ),
    ))
}

/// The stored content of a movement id, for the "same id, same content" check.
fn existing(tx: &dyn Sql, id: &Uuid) -> Result<Option<(i64, Movement)>> {
    type Stored = (
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        i64,
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Stored> = tx.first(
        "SELECT m.seq, m.kind, i.sku, lt.code, s.serial, m.qty, f.code, t.code, m.reason,
                m.reference, m.corrects
         FROM movements m
         JOIN items i ON i.id = m.item_id
         JOIN locations f ON f.id = m.from_loc
         JOIN locations t ON t.id = m.to_loc
         LEFT JOIN lots lt ON lt.id = m.lot_id
         LEFT JOIN serials s ON s.id = m.serial_id
         WHERE m.id = ?",
        args![id.to_string()],
    )?;
    let Some((seq, kind, item, lot, serial, qty, from, to, reason, reference, corrects)) = row
    else {
        return Ok(None);
    };
    Ok(Some((
        seq,
        Movement {
            id: *id,
            kind: kind.parse()?,
            item,
            lot,
            serial,
            qty,
            from,
            to,
            reason,
            reference,
            corrects: corrects.and_then(|c| Uuid::parse_str(&c).ok()),
            expiry: None,
            production_date: None,
            created_at: None,
            lot_origin: None,
            ref_type: None,
            tlc_source: None,
            lot_attributes: Default::default(),
        },
    )))
}

/// Whether a repeated movement is the one stored. A serial movement may leave its lot out (the
/// serial implies it); dates only matter when the lot was created, so they are not compared.
fn same_content(stored: &Movement, m: &Movement) -> bool {
    stored.kind == m.kind
        && stored.item == m.item
        && (m.lot.is_none() && m.serial.is_some() || stored.lot == m.lot)
        && stored.serial == m.serial
        && stored.qty == m.qty
        && stored.from == m.from
        && stored.to == m.to
        && stored.reference == m.reference
        && stored.corrects == m.corrects
        && (stored.reason == m.reason || m.reason.is_none())
}

fn post_one(tx: &dyn Sql, ctx: &Context, batch_id: &str, m: &Movement) -> Result<Posted> {
    if let Some((seq, stored)) = existing(tx, &m.id)? {
        if same_content(&stored, m) {
            return Ok(Posted::Exists { seq });
        }
        return Err(Error::refused(
            Rule::Identity,
            format!(
                "movement id {} was already used for a different movement (seq {seq}); a new movement needs a new id",
                m.id
            ),
        ));
    }

    if m.qty <= 0 || m.qty > MAX_QTY {
        return Err(Error::refused(
            Rule::Invalid,
            format!("quantity must be between 1 and {MAX_QTY}, not {}", m.qty),
        ));
    }
    check_input(ctx, m).map_err(|e| match e {
        Error::Invalid(message) => Error::Refused {
            rule: Rule::Invalid,
            message,
        },
        other => other,
    })?;
    check_privileged(ctx, m)?;
    let item = require_item(tx, &m.item)?;
    let from = resolve_location(tx, &m.from)?;
    let to = resolve_location(tx, &m.to)?;
    check_kind(m, &from, &to)?;
    check_sites(ctx, m, &from, &to)?;
    check_document_site(tx, m, &from, &to)?;
    if let Some(original) = m.corrects {
        check_correction(tx, m, original)?;
    }

    let lot_code = m.lot.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let serial_code = m.serial.as_deref().map(str::trim).filter(|s| !s.is_empty());
    check_tracking(&item, lot_code, serial_code, m.qty)?;

    // Rule 1 and the lot's identity: find the lot, or create it where stock enters the ledger.
    let inflow = !from.kind.is_real() && to.kind.is_real();
    let (mut lot, lot_created) = match lot_code {
        Some(code) => {
            let (l, created) = find_or_create_lot(tx, ctx, &item, code, m, &from, &to)?;
            (Some(l), created)
        }
        None => (None, false),
    };
    if let Some(l) = &lot {
        check_generated_lot(tx, ctx, &item, l, m)?;
    }

    // Rule 2: a serial is one unit, in at most one real location.
    let mut serial_id = 0i64;
    if let Some(serial) = serial_code {
        let (id, serial_lot) = find_or_create_serial(tx, &item, serial, lot.as_ref(), &from)?;
        serial_id = id;
        if lot.is_none() {
            lot = serial_lot.map(|l| lot_by_id(tx, l)).transpose()?;
        }
        if to.kind.is_real() && !from.kind.is_real() {
            if let Some(at) = serial_location(tx, serial_id)? {
                return Err(Error::refused(
                    Rule::Serial,
                    format!(
                        "serial {serial} of {} is already in stock at {at}",
                        item.sku
                    ),
                ));
            }
        }
        if from.kind.is_real()
            && balance(
                tx,
                item.id,
                lot.as_ref().map_or(0, |l| l.id),
                serial_id,
                from.id,
            )? < 1
        {
            let where_now = serial_location(tx, serial_id)?;
            return Err(Error::refused(
                Rule::Serial,
                match where_now {
                    Some(at) => format!(
                        "serial {serial} of {} is not at {}; it is at {at}",
                        item.sku, from.code
                    ),
                    None => format!("serial {serial} of {} is not in stock", item.sku),
                },
            ));
        }
    }

    // Rule 4: expired lots and lots on hold may only go to quarantine or be written off.
    let mut reason = m.reason.clone().filter(|r| !r.trim().is_empty());
    if let Some(l) = &lot {
        let expired = l.expiry.filter(|e| *e < ctx.today);
        let held = l.status != LotStatus::Available;
        if expired.is_some() || held {
            let what = describe(&item, Some(&l.code), serial_code);
            let why = match expired {
                Some(d) if !held => format!("{what} expired on {d}"),
                _ => format!("{what} is on hold ({})", l.status.as_str()),
            };
            let rule = if held { Rule::Hold } else { Rule::Expiry };
            match (from.kind.is_real(), to.kind) {
                // Into quarantine is always allowed, and records why.
                (_, LocationKind::Quarantine) => {
                    reason.get_or_insert_with(|| format!("quarantined: {why}"));
                }
                // Written off, or sent back to the supplier.
                (true, LocationKind::Adjustment | LocationKind::Supplier) => {}
                // Found on a count, or opening stock as it is on the shelves.
                (false, _)
                    if from.kind == LocationKind::Adjustment
                        && (ctx.opening || m.kind == MovementKind::Adjust) => {}
                (true, LocationKind::Customer) => {
                    return Err(Error::refused(rule, format!("{why}; it cannot be shipped")));
                }
                (true, LocationKind::Production) => {
                    return Err(Error::refused(
                        rule,
                        format!("{why}; it cannot be used in an assembly"),
                    ));
                }
                (false, _) if inflow => {
                    return Err(Error::refused(
                        rule,
                        format!("{why}; receive it into a quarantine location"),
                    ));
                }
                _ => {
                    return Err(Error::refused(
                        rule,
                        format!("{why}; it can only be moved to quarantine or written off"),
                    ));
                }
            }
        }
    }

    // The lot's attributes: of the item's kinds, not changed once recorded, and every required
    // one on a receipt that brings a new lot in.
    let attributes = match &lot {
        Some(l) => super::attributes::apply(
            tx,
            &item,
            (l.id, &l.code),
            lot_created && m.kind == MovementKind::Receive && !ctx.opening,
            &m.lot_attributes,
        )?,
        None if !m.lot_attributes.is_empty() => {
            return Err(Error::refused(
                Rule::Tracking,
                format!(
                    "lot attributes are recorded with a lot: {} has none here",
                    item.sku
                ),
            ))
        }
        None => Default::default(),
    };
    let attributes = super::attributes::to_json(&attributes);

    // Rule 3: no real location goes negative.
    let lot_id = lot.as_ref().map_or(0, |l| l.id);
    if from.kind.is_real() && serial_id == 0 {
        let have = balance(tx, item.id, lot_id, 0, from.id)?;
        if have < m.qty {
            let what = describe(&item, lot.as_ref().map(|l| l.code.as_str()), None);
            return Err(Error::refused(
                Rule::Negative,
                if have <= 0 {
                    format!("there is no {what} at {}", from.code)
                } else {
                    format!(
                        "only {have} {} of {what} at {} (asked for {})",
                        item.unit, from.code, m.qty
                    )
                },
            ));
        }
    }

    let id = m.id.to_string();
    let corrects = m.corrects.map(|c| c.to_string());
    let seq = record(
        tx,
        &JournalRow {
            id: &id,
            batch_id,
            kind: m.kind,
            item: item.id,
            lot: lot.as_ref().map(|l| l.id),
            serial: (serial_id != 0).then_some(serial_id),
            qty: m.qty,
            from: &from,
            to: &to,
            reason: reason.as_deref(),
            reference: m.reference.as_deref().filter(|r| !r.trim().is_empty()),
            corrects: corrects.as_deref(),
            device: &ctx.device,
            created_at: m.created_at.as_deref().unwrap_or(&ctx.now),
            lot_origin: m
                .lot_origin
                .filter(|o| *o == LotOrigin::Generated && lot.is_some()),
            ref_type: match (m.ref_type, m.reference.as_deref()) {
                (Some(t), _) => Some(t),
                (None, Some(r)) => document_type(tx, r.trim())?,
                (None, None) => None,
            },
            tlc_source: m
                .tlc_source
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty()),
            lot_attributes: attributes.as_deref(),
        },
    )?;
    if ctx.outbox {
        tx.run(
            "INSERT INTO outbox (movement_id, state, updated_at) VALUES (?, 'pending', ?)",
            args![id, ctx.now],
        )?;
    }
    Ok(Posted::Applied { seq })
}

/// The type of the document a reference names, when it is one this ledger knows: the workflows
/// fill `reference` from the purchase order or pick list being worked, so its type is recorded
/// with no more typing.
pub(crate) fn document_type(tx: &dyn Sql, reference: &str) -> Result<Option<DocType>> {
    // Ranked, so both stores answer the same when a number is both (a purchase order first).
    let found: Option<(String, i64)> = tx.first(
        "SELECT 'po', 1 FROM purchase_orders WHERE number = ?
         UNION ALL SELECT 'pick_list', 2 FROM pick_lists WHERE number = ? ORDER BY 2 LIMIT 1",
        args![reference, reference],
    )?;
    found.map(|(t, _)| t.parse()).transpose()
}

/// A movement as the journal stores it, its item, lot, serial and locations resolved.
pub(crate) struct JournalRow<'a> {
    pub id: &'a str,
    pub batch_id: &'a str,
    pub kind: MovementKind,
    pub item: i64,
    pub lot: Option<i64>,
    pub serial: Option<i64>,
    pub qty: i64,
    pub from: &'a LocRow,
    pub to: &'a LocRow,
    pub reason: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub corrects: Option<&'a str>,
    pub device: &'a str,
    pub created_at: &'a str,
    pub lot_origin: Option<LotOrigin>,
    pub ref_type: Option<DocType>,
    pub tlc_source: Option<&'a str>,
    /// JSON: the lot attribute values the movement recorded.
    pub lot_attributes: Option<&'a str>,
}

/// Writes one movement into the journal and moves its quantity between the two balances: the
/// only code that inserts into `movements`, `balances` and `virtual_balances`. Checks nothing:
/// the caller has applied the rules (`post_one`) or trusts the server that did (`replica`).
/// Returns the movement's `seq`.
pub(crate) fn record(tx: &dyn Sql, row: &JournalRow) -> Result<i64> {
    let seq = tx.insert(
        "INSERT INTO movements (id, batch_id, kind, item_id, lot_id, serial_id, qty, from_loc, to_loc,
                                reason, reference, corrects, device, created_at, lot_origin,
                                ref_type, tlc_source, lot_attributes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING seq",
        args![
        row.id,
        row.batch_id,
        row.kind.as_str(),
        row.item,
        row.lot,
        row.serial,
        row.qty,
        row.from.id,
        row.to.id,
        row.reason,
        row.reference,
        row.corrects,
        row.device,
        row.created_at,
        row.lot_origin.map(LotOrigin::as_str),
        row.ref_type.map(DocType::as_str),
        row.tlc_source,
        row.lot_attributes,
        ],
    )?;
    let key = (row.item, row.lot.unwrap_or(0), row.serial.unwrap_or(0));
    add_balance(tx, key, row.from, -row.qty)?;
    add_balance(tx, key, row.to, row.qty)?;
    Ok(seq)
}

/// Takes a stored movement's effect out of the balances (`sign` 1: a conflict), or puts it back
/// (`sign` -1). The journal row stays: it is append-only.
pub(crate) fn shift_balances(tx: &dyn Sql, movement_id: &str, sign: i64) -> Result<()> {
    type Stored = (i64, Option<i64>, Option<i64>, i64, i64, i64);
    let (item, lot, serial, qty, from, to): Stored = tx
        .first(
            "SELECT item_id, lot_id, serial_id, qty, from_loc, to_loc FROM movements WHERE id = ?",
            args![movement_id],
        )?
        .ok_or_else(|| Error::NotFound(format!("movement {movement_id} is not in the journal")))?;
    let key = (item, lot.unwrap_or(0), serial.unwrap_or(0));
    for (loc, q) in [(from, sign * qty), (to, -sign * qty)] {
        add_balance(tx, key, &location_row(tx, loc)?, q)?;
    }
    Ok(())
}

/// Every text of a movement (codes, reason, reference) and, on a push, its timestamp.
fn check_input(ctx: &Context, m: &Movement) -> Result<()> {
    validate::field(Field::Sku, &m.item)?;
    validate::text(
        "from location",
        &m.from,
        Field::Location.max_len(),
        "check the location",
    )?;
    validate::text(
        "to location",
        &m.to,
        Field::Location.max_len(),
        "check the location",
    )?;
    validate::optional(Field::Lot, m.lot.as_deref())?;
    validate::optional(Field::Serial, m.serial.as_deref())?;
    validate::optional(Field::Reason, m.reason.as_deref())?;
    validate::optional(Field::Reference, m.reference.as_deref())?;
    validate::optional(Field::Reference, m.tlc_source.as_deref())
        .map_err(|e| Error::invalid(format!("lot code source: {e}")))?;
    if m.ref_type.is_some() && !m.reference.as_deref().is_some_and(|r| !r.trim().is_empty()) {
        return Err(Error::invalid(
            "a reference document type needs the document's number (reference)",
        ));
    }
    if ctx.pushed {
        let at = m
            .created_at
            .as_deref()
            .ok_or_else(|| Error::invalid("a pushed movement needs its created_at (RFC 3339)"))?;
        validate::pushed_timestamp(at, ctx.now_utc)?;
    }
    Ok(())
}

/// Movements that change stock without goods moving need a reason and come only from where they
/// may: opening stock from a local stock import (never from a device push, never on an enrolled
/// device), corrections and adjustments with a reason; only a correction names a movement.
fn check_privileged(ctx: &Context, m: &Movement) -> Result<()> {
    let has_reason = m.reason.as_deref().is_some_and(|r| !r.trim().is_empty());
    let refuse = |msg: &str| Err(Error::refused(Rule::Invalid, msg));
    match m.kind {
        MovementKind::Opening if ctx.pushed => {
            return refuse("opening stock is not accepted from a device: import it on the server (lotkeeper import stock)");
        }
        MovementKind::Opening if ctx.outbox => {
            return refuse("this device syncs with a server: import opening stock on the server (lotkeeper import stock), not on a device");
        }
        MovementKind::Opening if !ctx.opening => {
            return refuse(
                "opening stock is recorded only by importing a stock file (lotkeeper import stock)",
            );
        }
        MovementKind::Opening if !has_reason => {
            return refuse("opening stock needs a reason");
        }
        MovementKind::Adjust if !has_reason => {
            return refuse("an adjustment needs a reason (damaged, count difference, found, ...)");
        }
        MovementKind::Correction if !has_reason => {
            return refuse("a correction needs a reason (say what was wrong)");
        }
        _ => {}
    }
    if m.corrects.is_some() && m.kind != MovementKind::Correction {
        return refuse("only a correction may name a movement it corrects (corrects)");
    }
    Ok(())
}

/// A correction is the exact reverse of a live movement that is not itself a correction and has
/// not been corrected yet: same item, lot, serial and quantity, from and to swapped.
fn check_correction(tx: &dyn Sql, m: &Movement, original: Uuid) -> Result<()> {
    let id = original.to_string();
    let Some((_, stored)) = existing(tx, &original)? else {
        return Err(Error::refused(
            Rule::Correction,
            format!("movement {id} to be corrected does not exist"),
        ));
    };
    let rejected = tx
        .value::<bool>(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE movement_id = ? AND state IN ('conflict', 'dismissed'))",
            args![id],
        )?
        .unwrap_or(false);
    let Movement {
        kind,
        item,
        lot,
        serial,
        qty,
        from,
        to,
        ..
    } = stored;
    if rejected {
        return Err(Error::refused(
            Rule::Correction,
            format!("movement {id} was rejected by the server, so it changed nothing to correct; resolve the conflict instead"),
        ));
    }
    if kind == MovementKind::Correction {
        return Err(Error::refused(
            Rule::Correction,
            format!("movement {id} is itself a correction, and a correction is never corrected: record the movement again instead"),
        ));
    }
    let earlier: Option<(String, String)> = tx.first(
        "SELECT c.id, c.created_at FROM movements c
         WHERE c.corrects = ?
           AND c.id NOT IN (SELECT movement_id FROM outbox WHERE state IN ('conflict', 'dismissed'))
         ORDER BY c.seq LIMIT 1",
        args![id],
    )?;
    if let Some((by, at)) = earlier {
        return Err(Error::refused(
            Rule::Correction,
            format!(
                "movement {id} was already corrected by {by} on {}; a movement is corrected only once",
                at.get(..10).unwrap_or(&at)
            ),
        ));
    }
    // Codes as the posting engine reads them (trimmed, empty = none).
    let code = |c: &Option<String>| {
        c.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let (m_lot, m_serial) = (code(&m.lot), code(&m.serial));
    let same_lot = m_lot == lot || (m_lot.is_none() && m_serial.is_some());
    let exact = m.item == item
        && same_lot
        && m_serial == serial
        && m.qty == qty
        && m.from == to
        && m.to == from;
    if !exact {
        let what = |l: &Option<String>, s: &Option<String>| match (s, l) {
            (Some(s), _) => format!(" serial {s}"),
            (None, Some(l)) => format!(" lot {l}"),
            (None, None) => String::new(),
        };
        return Err(Error::refused(
            Rule::Correction,
            format!(
                "a correction must be the exact reverse of movement {id}: {qty} {item}{} from {to} to {from}, not {} {}{} from {} to {}",
                what(&lot, &serial),
                m.qty,
                m.item,
                what(&m.lot, &m.serial),
                m.from,
                m.to
            ),
        ));
    }
    Ok(())
}

/// A lot code generated by a device's lot rule names a new lot of that device. If the code
/// already belongs to stock another device received (two devices generated the same code
/// offline), joining it would merge batches that never shared anything and widen a future recall
/// to both: refused. A lot named on purpose (scanned or typed, `entered`) may be added to.
fn check_generated_lot(
    tx: &dyn Sql,
    ctx: &Context,
    item: &ItemRow,
    lot: &LotRow,
    m: &Movement,
) -> Result<()> {
    if m.lot_origin != Some(LotOrigin::Generated) {
        return Ok(());
    }
    let other: Option<String> = tx.value(
        "SELECT device FROM movements
         WHERE lot_id = ? AND device <> ? AND kind IN ('receive', 'produce', 'opening')
         ORDER BY seq LIMIT 1",
        args![lot.id, ctx.device],
    )?;
    match other {
        None => Ok(()),
        Some(device) => Err(Error::refused(
            Rule::Tracking,
            format!(
                "lot code {} of {} was generated on {}, but {device} already received a lot with that code: \
                 generate a new lot code, or scan the lot from the label if these goods really are that lot",
                lot.code, item.sku, ctx.device
            ),
        )),
    }
}

/// A movement's kind must fit the locations it joins.
fn check_kind(m: &Movement, from: &LocRow, to: &LocRow) -> Result<()> {
    use LocationKind as K;
    if from.id == to.id {
        return Err(Error::refused(
            Rule::Invalid,
            format!("from and to are the same location ({})", from.code),
        ));
    }
    let ok = match m.kind {
        MovementKind::Receive => from.kind == K::Supplier && to.kind.is_real(),
        MovementKind::Ship => from.kind.is_real() && to.kind == K::Customer,
        MovementKind::Transfer => from.kind.is_real() && to.kind.is_real(),
        MovementKind::Adjust => {
            (from.kind == K::Adjustment && to.kind.is_real())
                || (from.kind.is_real() && to.kind == K::Adjustment)
        }
        MovementKind::Consume => from.kind.is_real() && to.kind == K::Production,
        MovementKind::Produce => from.kind == K::Production && to.kind.is_real(),
        MovementKind::Opening => from.kind == K::Adjustment && to.kind.is_real(),
        MovementKind::Correction => m.corrects.is_some(),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::refused(
            Rule::Invalid,
            format!(
                "a {} cannot go from {} ({}) to {} ({})",
                m.kind, from.code, from.kind, to.code, to.kind
            ),
        ))
    }
}

/// Sites: stock goes from one site to another only through the receiving site's in-transit
/// location, leaves that location only into its own site, and a device of a site moves stock at
/// that site only (and into another site's in-transit location). A correction reverses a
/// movement already recorded, so only the device's site is checked for it.
fn check_sites(ctx: &Context, m: &Movement, from: &LocRow, to: &LocRow) -> Result<()> {
    use LocationKind as K;
    let site = |l: &LocRow| l.site.clone().unwrap_or_else(|| "(no site)".into());
    let correction = m.kind == MovementKind::Correction;
    // A location the back office has not given a site yet (in a database that had several site
    // parties before sites): no stock crosses between it and a site, and no handheld of a site
    // moves stock there.
    let unsited = |l: &LocRow| l.kind.is_real() && l.site.is_none();
    let sited = |l: &LocRow| l.kind.is_real() && l.site.is_some();
    for (loc, other) in [(from, to), (to, from)] {
        if unsited(loc) && (sited(other) || ctx.site.is_some()) {
            return Err(Error::refused(
                Rule::Site,
                format!(
                    "{} has no site yet: the back office gives it one (import locations with a site column) before stock moves between it and a site",
                    loc.code
                ),
            ));
        }
    }
    if let Some(mine) = &ctx.site {
        for (loc, sending) in [(from, false), (to, true)] {
            let elsewhere = loc.kind.is_real()
                && loc.site.as_ref().is_some_and(|s| s != mine)
                // Sending to another site, or a correction of a send.
                && !(loc.kind == K::Transit && (sending || correction));
            if elsewhere {
                let there = site(loc);
                let message = if sending {
                    format!(
                        "{} is at site {there}, and device {} works at site {mine}: send stock to site {there} through {}, and site {there} receives it from there",
                        loc.code,
                        ctx.device,
                        super::transit_location(&there)
                    )
                } else {
                    format!(
                        "{} is at site {there}, and device {} works at site {mine}: it moves stock at {mine} only",
                        loc.code, ctx.device
                    )
                };
                return Err(Error::refused(Rule::Site, message));
            }
        }
    }
    if !correction {
        if to.kind == K::Transit {
            let dest = site(to);
            let ok = m.kind == MovementKind::Transfer
                && from.kind != K::Transit
                && from.site.is_some()
                && from.site != to.site;
            if !ok {
                return Err(Error::refused(
                    Rule::Site,
                    format!(
                        "{} holds stock on its way to site {dest}: only a transfer from a location of another site goes into it",
                        to.code
                    ),
                ));
            }
        } else if from.kind == K::Transit {
            let ok = (m.kind == MovementKind::Transfer && to.site == from.site)
                || (m.kind == MovementKind::Adjust && to.kind == K::Adjustment);
            if !ok {
                let dest = site(from);
                return Err(Error::refused(
                    Rule::Site,
                    format!(
                        "stock in {} is on its way to site {dest}: receive it there first, with a transfer to a location of site {dest}",
                        from.code
                    ),
                ));
            }
        } else if from.kind.is_real()
            && to.kind.is_real()
            && from.site.is_some()
            && to.site.is_some()
            && from.site != to.site
        {
            let dest = site(to);
            return Err(Error::refused(
                Rule::Site,
                format!(
                    "{} is at site {} and {} at site {dest}: stock goes to another site through its in-transit location; transfer it to {} and site {dest} receives it from there",
                    from.code,
                    site(from),
                    to.code,
                    super::transit_location(&dest)
                ),
            ));
        }
    }
    Ok(())
}

/// A pick list or purchase order of a site is worked there: a movement that names one moves
/// stock at that site's locations only, so no other site closes it or takes its reservation.
fn check_document_site(tx: &dyn Sql, m: &Movement, from: &LocRow, to: &LocRow) -> Result<()> {
    let Some(reference) = m.reference.as_deref().map(str::trim) else {
        return Ok(());
    };
    if m.kind == MovementKind::Correction {
        return Ok(());
    }
    let site: Option<(String, String, i64)> = tx.first(
        "SELECT 'pick list', site, 1 FROM pick_lists WHERE number = ? AND site IS NOT NULL
         UNION ALL
         SELECT 'purchase order', site, 2 FROM purchase_orders WHERE number = ? AND site IS NOT NULL
         ORDER BY 3 LIMIT 1",
        args![reference, reference],
    )?;
    let site = site.map(|(what, site, _)| (what, site));
    let Some((what, site)) = site else {
        return Ok(());
    };
    for loc in [from, to] {
        if let Some(there) = loc.site.as_deref().filter(|s| *s != site) {
            return Err(Error::refused(
                Rule::Site,
                format!(
                    "{reference} is a {what} of site {site}, and {} is at site {there}: a {what} is worked at its own site",
                    loc.code
                ),
            ));
        }
    }
    Ok(())
}

/// Rule 1: lot for lot-tracked items, serial for serial-tracked ones, neither for the rest.
/// While the item's tracking conversion is open, either its tracking or the one it converts to.
fn check_tracking(item: &ItemRow, lot: Option<&str>, serial: Option<&str>, qty: i64) -> Result<()> {
    let now = tracking_rule(item.tracking, &item.sku, lot, serial, qty);
    match item.converting {
        Some((to, _)) if now.is_err() => tracking_rule(to, &item.sku, lot, serial, qty),
        _ => now,
    }
}

/// Whether new lots and serials of the item need an expiry (the conversion's choice, while one
/// is open).
fn expiry_for_new(item: &ItemRow) -> bool {
    item.converting.map_or(item.expiry_tracked, |(_, e)| e)
}

fn tracking_rule(
    tracking: Tracking,
    sku: &str,
    lot: Option<&str>,
    serial: Option<&str>,
    qty: i64,
) -> Result<()> {
    match tracking {
        Tracking::None => {
            if let Some(l) = lot {
                return Err(Error::refused(
                    Rule::Tracking,
                    format!("{sku} is not lot-tracked; record it without a lot (got lot {l})"),
                ));
            }
            if let Some(s) = serial {
                return Err(Error::refused(
                    Rule::Tracking,
                    format!(
                        "{sku} is not serial-tracked; record it without a serial (got serial {s})"
                    ),
                ));
            }
        }
        Tracking::Lot => {
            if lot.is_none() {
                return Err(Error::refused(
                    Rule::Tracking,
                    format!("{sku} is lot-tracked: scan or enter the lot"),
                ));
            }
            if let Some(s) = serial {
                return Err(Error::refused(
                    Rule::Tracking,
                    format!("{sku} is lot-tracked, not serial-tracked; record it without a serial (got serial {s})"),
                ));
            }
        }
        Tracking::Serial => {
            if serial.is_none() {
                return Err(Error::refused(
                    Rule::Tracking,
                    format!("{sku} is serial-tracked: scan the serial of each unit"),
                ));
            }
            if qty != 1 {
                return Err(Error::refused(
                    Rule::Serial,
                    format!("a serial is one unit: the quantity for serial {} of {sku} must be 1, not {qty}", serial.unwrap_or("")),
                ));
            }
        }
    }
    Ok(())
}

fn find_or_create_lot(
    tx: &dyn Sql,
    ctx: &Context,
    item: &ItemRow,
    code: &str,
    m: &Movement,
    from: &LocRow,
    to: &LocRow,
) -> Result<(LotRow, bool)> {
    // The expiry the movement states, or one derived from the production date and shelf life.
    let derived = m.expiry.or_else(|| {
        let (p, days) = (m.production_date?, item.shelf_life_days?);
        p.checked_add_days(chrono::Days::new(days as u64))
    });
    if let Some(lot) = lot_by_code(tx, item.id, code)? {
        if let (Some(given), Some(has)) = (m.expiry, lot.expiry) {
            if given != has {
                return Err(Error::refused(
                    Rule::Expiry,
                    format!(
                        "{} lot {code} expires on {has}, not {given}: check the label",
                        item.sku
                    ),
                ));
            }
        }
        return Ok((lot, false));
    }
    if from.kind.is_real() || !to.kind.is_real() {
        return Err(Error::refused(
            Rule::Tracking,
            format!("{} has no lot {code}: check the lot on the label", item.sku),
        ));
    }
    // A new lot's dates: plausible years, production not after expiry.
    validate::lot_dates(derived, m.production_date)
        .map_err(|e| Error::refused(Rule::Expiry, format!("{} lot {code}: {e}", item.sku)))?;
    let expiry = if expiry_for_new(item) {
        Some(derived.ok_or_else(|| {
            Error::refused(
                Rule::Expiry,
                format!(
                    "{} tracks expiry: enter the expiry date of lot {code}",
                    item.sku
                ),
            )
        })?)
    } else {
        derived
    };
    let id = tx.insert(
        "INSERT INTO lots (item_id, code, expiry, production_date, status, created_at)
         VALUES (?, ?, ?, ?, 'available', ?) RETURNING id",
        args![item.id, code, expiry, m.production_date, ctx.now],
    )?;
    Ok((
        LotRow {
            id,
            code: code.to_string(),
            expiry,
            status: LotStatus::Available,
        },
        true,
    ))
}

/// Returns the serial's id and lot; creates the serial where units enter the ledger.
fn find_or_create_serial(
    tx: &dyn Sql,
    item: &ItemRow,
    serial: &str,
    lot: Option<&LotRow>,
    from: &LocRow,
) -> Result<(i64, Option<i64>)> {
    let found: Option<(i64, Option<i64>)> = tx.first(
        "SELECT id, lot_id FROM serials WHERE item_id = ? AND serial = ?",
        args![item.id, serial],
    )?;
    if let Some((id, serial_lot)) = found {
        if let Some(l) = lot {
            if serial_lot != Some(l.id) {
                let belongs = match serial_lot {
                    Some(other) => format!("lot {}", lot_by_id(tx, other)?.code),
                    None => "no lot".to_string(),
                };
                return Err(Error::refused(
                    Rule::Serial,
                    format!(
                        "serial {serial} of {} belongs to {belongs}, not lot {}",
                        item.sku, l.code
                    ),
                ));
            }
        }
        return Ok((id, serial_lot));
    }
    if from.kind.is_real() {
        return Err(Error::refused(
            Rule::Serial,
            format!("serial {serial} of {} is not in stock", item.sku),
        ));
    }
    if expiry_for_new(item) && lot.is_none() {
        return Err(Error::refused(
            Rule::Expiry,
            format!(
                "{} tracks expiry: give the lot (with its expiry date) of serial {serial}",
                item.sku
            ),
        ));
    }
    let id = tx.insert(
        "INSERT INTO serials (item_id, serial, lot_id) VALUES (?, ?, ?) RETURNING id",
        args![item.id, serial, lot.map(|l| l.id)],
    )?;
    Ok((id, lot.map(|l| l.id)))
}
