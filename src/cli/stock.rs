//! Commands that change stock or a lot's status: import, receive, ship, transfer, adjust, hold,
//! release, recall, assemble, split, correct; and allocate, which suggests picks. Each says what
//! it did, as a sentence or (`--format json`) as a record with the movement ids it posted.

use anyhow::{Context, Result};
use serde::Serialize;
use std::path::PathBuf;

use super::args::{
    AdjustArgs, AllocateArgs, AssembleArgs, ConvertArgs, CorrectArgs, ImportArgs, LotChangeArgs,
    RecallCloseArgs, ReceiveArgs, ShipArgs, SplitArgs, TransferArgs,
};
use super::open;
use super::output::{print_done, print_rows, TextFormat};
use crate::ledger::import::ImportKind;
use crate::ledger::{
    AdjustCmd, AssembleCmd, Component, Ledger, LotAction, Output, Posted, ReceiveCmd, ShipCmd,
    TransferCmd,
};

/// What a posting command did, as `--format json` prints it.
#[derive(Serialize)]
struct PostedRecord<'a> {
    /// received, shipped, transferred, adjusted, assembled, split, corrected.
    action: &'a str,
    /// The ids of the movements of this command, in posting order (including any that had
    /// been recorded before).
    movements: Vec<String>,
    /// How many were newly recorded.
    recorded: usize,
    /// How many were already recorded before (the same movement posted again).
    already_recorded: usize,
}

/// Prints what a posting did: a sentence, or the movement ids as JSON.
fn print_posted(l: &Ledger, verb: &str, posted: &[Posted], format: TextFormat) -> Result<()> {
    let applied = posted
        .iter()
        .filter(|p| matches!(p, Posted::Applied { .. }))
        .count();
    let record = PostedRecord {
        action: verb,
        movements: l.query().ids_of(posted)?,
        recorded: applied,
        already_recorded: posted.len() - applied,
    };
    print_done(format, &record, || {
        format!(
            "{verb}: {} movement(s) recorded{}",
            applied,
            if applied < posted.len() {
                format!(", {} already recorded before", posted.len() - applied)
            } else {
                String::new()
            }
        )
    })
}

/// `--attr` pairs as a map; a name given twice is refused rather than one value dropped.
fn attributes(pairs: Vec<(String, String)>) -> Result<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for (name, value) in pairs {
        if let Some(first) = out.insert(name.clone(), value.clone()) {
            if first != value {
                anyhow::bail!("--attr gives '{name}' twice ({first} and {value}): give it once");
            }
        }
    }
    Ok(out)
}

/// A CSV file's text; a file that is not UTF-8 is refused with what to do, and the line where
/// the first byte that is not UTF-8 stands.
fn read_csv(file: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        anyhow::anyhow!(
            "{}: line {line} is not UTF-8 text; save the file as \"CSV UTF-8\", nothing was imported",
            file.display()
        )
    })
}

pub fn import(db: super::Db, a: ImportArgs) -> Result<()> {
    let kind: ImportKind = a.kind.parse()?;
    let file = &a.file;
    let text = read_csv(file)?;
    let mut l = open(db)?;
    let s = l
        .import_csv(kind, &text)
        .with_context(|| format!("{}: nothing was imported", file.display()))?;
    let record = serde_json::json!({
        "action": "imported",
        "kind": a.kind,
        "file": file.display().to_string(),
        "rows": s.rows,
        "created": s.created,
        "updated": s.updated,
    });
    print_done(a.format, &record, || {
        format!(
            "imported {} row(s) from {}: {} created, {} updated",
            s.rows,
            file.display(),
            s.created,
            s.updated
        )
    })
}

pub fn receive(db: super::Db, a: ReceiveArgs) -> Result<()> {
    let serials = read_serials(&a.serials, a.serials_file.as_ref())?;
    let mut l = open(db)?;
    let p = l.receive(&ReceiveCmd {
        item: a.item,
        qty: a.qty,
        to: a.to,
        lot: a.lot,
        expiry: a.expiry,
        production_date: a.produced,
        serials,
        supplier: a.supplier,
        reference: a.reference,
        ref_type: a.ref_type,
        lot_origin: None,
        tlc_source: a.tlc_source,
        lot_attributes: attributes(a.attributes)?,
    })?;
    print_posted(&l, "received", &p, a.format)
}

pub fn ship(db: super::Db, a: ShipArgs) -> Result<()> {
    let mut l = open(db)?;
    let p = l.ship(&ShipCmd {
        item: a.goods.item,
        qty: a.goods.qty,
        from: a.from,
        lot: a.goods.lot,
        serials: a.goods.serials,
        customer: a.customer,
        reference: a.reference,
        ref_type: a.ref_type,
    })?;
    print_posted(&l, "shipped", &p, a.format)
}

pub fn transfer(db: super::Db, a: TransferArgs) -> Result<()> {
    let mut l = open(db)?;
    let p = l.transfer(&TransferCmd {
        item: a.goods.item,
        qty: a.goods.qty,
        from: a.from,
        to: a.to,
        lot: a.goods.lot,
        serials: a.goods.serials,
        reason: a.reason,
        reference: None,
    })?;
    print_posted(&l, "transferred", &p, a.format)
}

pub fn adjust(db: super::Db, a: AdjustArgs) -> Result<()> {
    let delta: i64 =
        a.qty.trim().trim_start_matches('+').parse().map_err(|_| {
            anyhow::anyhow!("--qty '{}' must be +N (found) or -N (written off)", a.qty)
        })?;
    let mut l = open(db)?;
    let p = l.adjust(&AdjustCmd {
        item: a.item,
        delta,
        at: a.at,
        lot: a.lot,
        serial: a.serial,
        expiry: a.expiry,
        reason: a.reason,
        reference: None,
    })?;
    print_posted(&l, "adjusted", &p, a.format)
}

pub fn assemble(db: super::Db, a: AssembleArgs) -> Result<()> {
    let components = a
        .uses
        .iter()
        .map(|s| parse_component(s))
        .collect::<Result<Vec<_>>>()?;
    let mut l = open(db)?;
    let p = l.assemble(&AssembleCmd {
        components,
        outputs: vec![Output {
            item: a.item,
            qty: a.qty,
            to: a.to,
            lot: a.lot,
            serials: a.serials,
            expiry: a.expiry,
            production_date: a.produced,
            lot_origin: None,
        }],
        reference: a.reference,
        ref_type: a.ref_type,
    })?;
    print_posted(&l, "assembled", &p, a.format)
}

pub fn split(db: super::Db, a: SplitArgs) -> Result<()> {
    use crate::label::print as labels;
    let serials = read_serials(&a.serials, a.serials_file.as_ref())?;
    let mut l = open(db)?;
    // The labels are made before the split is posted: one that cannot be made stops it all.
    let request = if a.print_labels {
        let into = l
            .query()
            .item(&a.into)?
            .ok_or_else(|| anyhow::anyhow!("unknown item '{}': no item has that SKU", a.into))?;
        let mut all = labels::Request {
            labels: vec![],
            what: format!("{} serials split from lot {}", a.into, a.lot),
        };
        for s in &serials {
            let one = labels::for_lot_or_serial(&l, &into, None, Some(s))?;
            for (data, _) in &one.labels {
                data.gs1()?;
            }
            all.labels.extend(one.labels);
        }
        labels::printer_for(&l, "split")?;
        Some(all)
    } else {
        None
    };
    let p = l.split(&a.item, &a.lot, &a.at, &a.into, &serials)?;
    print_posted(&l, "split", &p, a.format)?;
    if let Some(r) = request {
        let q = labels::queue(&mut l, "split", &r)?;
        match crate::label::jobs::retry(&mut l, q.job, std::time::Duration::from_secs(5)) {
            Ok(_) => eprintln!("{} label(s) printed on {}", q.labels, q.printer),
            Err(e) => eprintln!("the split is recorded; its labels did not print: {e}"),
        }
    }
    Ok(())
}

pub fn convert_tracking(db: super::Db, a: ConvertArgs) -> Result<()> {
    use crate::ledger::Tracking;
    let to: Option<Tracking> = a.to.as_deref().map(str::parse).transpose()?;
    let mut l = open(db)?;
    if a.close {
        let to = l.close_conversion(&a.item)?;
        let record = serde_json::json!({"action": "converted", "item": a.item, "to": to});
        return print_done(a.format, &record, || {
            format!("{} is {to}-tracked from now on", a.item)
        });
    }
    let to = to.context("--to lot or --to serial")?;
    if a.open {
        l.open_conversion(&a.item, to, a.expiry)?;
        let left = l.unassigned(&a.item)?;
        let record = serde_json::json!({
            "action": "opened",
            "item": a.item,
            "to": to,
            "unassigned": left.iter().map(|(loc, q)| serde_json::json!({"location": loc, "qty": q})).collect::<Vec<_>>(),
        });
        return print_done(a.format, &record, || {
            format!(
                "{}'s conversion to {to} is open: {} location(s) to assign; count them on a \
                 handheld, then convert-tracking --item {} --close",
                a.item,
                left.len(),
                a.item
            )
        });
    }
    let file = a.assign.as_ref().context("--assign FILE.csv")?;
    let text = read_csv(file)?;
    let rows = crate::ledger::import::parse_assignments(&text, to, a.expiry)
        .with_context(|| format!("{}: nothing changed", file.display()))?;
    let done = l.convert_tracking(&a.item, to, a.expiry, &rows)?;
    print_done(a.format, &done, || {
        format!(
            "{} is {}-tracked from now on: {} unit(s) assigned in {} movement(s)",
            done.item, done.to, done.units, done.movements
        )
    })
}

pub fn correct(db: super::Db, a: CorrectArgs) -> Result<()> {
    let mut l = open(db)?;
    let p = l.correct(a.movement, &a.reason)?;
    print_posted(&l, "corrected", &p, a.format)
}

pub fn allocate(db: super::Db, a: AllocateArgs) -> Result<()> {
    let l = open(db)?;
    let r = match a.site.as_deref() {
        Some(site) => l.allocate_at(&a.item, a.qty, a.exclude_within_days, Some(site))?,
        None => l.allocate(&a.item, a.qty, a.exclude_within_days)?,
    };
    print_rows(&r.lines, a.format)?;
    if r.short > 0 {
        eprintln!(
            "short: only {} of {} {} can be allocated ({} missing)",
            a.qty - r.short,
            a.qty,
            a.item,
            r.short
        );
    }
    Ok(())
}

/// A hold, release or recall from the command line: the state machine's answer, said plainly,
/// or (`--format json`) the lot event it recorded.
pub fn change_lot(db: super::Db, c: &LotChangeArgs, action: LotAction, said: &str) -> Result<()> {
    let mut l = open(db)?;
    let status = l.change_lot_status(&c.item, &c.lot, action, &c.reason, c.by.as_deref())?;
    print_lot_event(&l, &c.item, &c.lot, c.format, || {
        format!("{} lot {} {said} ({status})", c.item, c.lot)
    })
}

pub fn close_recall(db: super::Db, c: RecallCloseArgs) -> Result<()> {
    let mut l = open(db)?;
    let status = l.change_lot_status(
        &c.item,
        &c.lot,
        LotAction::CloseRecall,
        &c.reason,
        Some(&c.by),
    )?;
    print_lot_event(&l, &c.item, &c.lot, c.format, || {
        format!(
            "{} lot {}: recall closed by {}; the lot stays on hold ({status}) until someone releases it",
            c.item, c.lot, c.by
        )
    })
}

/// The lot's newest event (the one just recorded) as JSON, or the sentence.
fn print_lot_event(
    l: &Ledger,
    item: &str,
    lot: &str,
    format: TextFormat,
    text: impl FnOnce() -> String,
) -> Result<()> {
    let event = match format {
        TextFormat::Json => l.lot_history(item, lot)?.pop(),
        TextFormat::Table => None,
    };
    print_done(format, &event, text)
}

fn read_serials(inline: &[String], file: Option<&PathBuf>) -> Result<Vec<String>> {
    let mut out: Vec<String> = inline.iter().map(|s| s.trim().to_string()).collect();
    if let Some(f) = file {
        let text = std::fs::read_to_string(f)
            .with_context(|| format!("cannot read the serials file {}", f.display()))?;
        out.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    Ok(out)
}

fn parse_component(spec: &str) -> Result<Component> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    if parts.len() < 3 || parts.len() > 4 {
        anyhow::bail!("--use '{spec}' must be SKU,QTY,FROM[,LOT] or SKU,1,FROM,#SERIAL");
    }
    let qty: i64 = parts[1]
        .parse()
        .map_err(|_| anyhow::anyhow!("--use '{spec}': '{}' is not a quantity", parts[1]))?;
    let mut c = Component {
        item: parts[0].to_string(),
        qty,
        from: parts[2].to_string(),
        ..Default::default()
    };
    match parts.get(3) {
        Some(s) if s.starts_with('#') => c.serials = vec![s[1..].to_string()],
        Some(l) => c.lot = Some(l.to_string()),
        None => {}
    }
    Ok(c)
}
