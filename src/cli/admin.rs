//! The database as a whole: the overview (what `lotkeeper` shows with no display), the demo
//! warehouse, screenshots, scripted sessions, and the crash test's writer.

use anyhow::{Context, Result};
use std::io::Write;

use super::open;
use super::output::{print_done, print_rows, Format, TextFormat};
use crate::ledger::reports::{ExpiryFilter, StockRow};
use crate::ledger::{self, Ledger};

/// What `lotkeeper` with no command shows: the database, and the demo if it was empty.
pub fn overview(db: super::Db) -> Result<()> {
    let path = db.file("the overview")?;
    let mut l = Ledger::open(&path)?;
    if l.is_empty()? {
        ledger::demo::fill(&mut l)?;
        println!("The database was empty: filled it with the demo warehouse.");
    }
    println!("Database: {}", path.display());
    println!("Movements: {}\n", l.query().movement_count()?);
    println!("Stock by lot:");
    let stock = l.stock_by_lot(None, None, None)?;
    print_rows(&stock, Format::Table)?;
    let soon = l.expiry_report(&ExpiryFilter {
        within_days: Some(30),
        ..Default::default()
    })?;
    let expired = l.expiry_report(&ExpiryFilter {
        expired: true,
        ..Default::default()
    })?;
    println!(
        "\nExpired lots: {}; expiring within 30 days: {}",
        expired.len(),
        soon.len()
    );
    let open_lists = l.query().pick_lists(true)?;
    println!(
        "Open pick lists: {}",
        open_lists
            .iter()
            .map(|p| p.number.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("\nTry: {}", suggestions(&l, &stock)?.join(" | "));
    Ok(())
}

/// `lotkeeper backup --to FILE`: an online copy of the database at `db`, which must exist.
pub fn backup(db: &std::path::Path, to: &std::path::Path, format: TextFormat) -> Result<()> {
    if !db.is_file() {
        anyhow::bail!("there is no database at {} to back up", db.display());
    }
    // Read only: the database of a running server or app is copied, never migrated or written.
    let c = ledger::backup::backup_file(db, to)?;
    print_done(format, &c, || {
        format!(
            "backed up {} to {}: {} movements ({} not yet pushed), schema version {}, {} bytes",
            db.display(),
            c.path.display(),
            c.movements,
            c.pending,
            c.schema_version,
            c.bytes
        )
    })
}

/// `lotkeeper migrate-server --from FILE --database URL`: a SQLite back office copied into an
/// empty PostgreSQL database and checked.
#[cfg(feature = "postgres")]
pub fn migrate_server(from: &std::path::Path, url: &str, format: TextFormat) -> Result<()> {
    let m = ledger::pg::migrate::migrate_server(from, url)?;
    print_done(format, &m, || {
        format!(
            "migrated {} to {}: {} movements, {} balance rows (equal to the source's and to the journal), {} devices, {} lot events, {} tables; PostgreSQL schema version {}",
            from.display(),
            m.database,
            m.movements,
            m.balances,
            m.devices,
            m.lot_events,
            m.tables.len(),
            m.schema_version
        )
    })
}

/// `lotkeeper restore --from FILE`: the database at `db` replaced with a checked backup.
pub fn restore(
    from: &std::path::Path,
    db: &std::path::Path,
    replace: bool,
    format: TextFormat,
) -> Result<()> {
    let c = ledger::backup::restore(from, db, replace)?;
    print_done(format, &c, || {
        format!(
            "restored {} from {}: {} movements ({} not yet pushed), schema version {}",
            c.path.display(),
            from.display(),
            c.movements,
            c.pending,
            c.schema_version
        )
    })
}

/// Commands worth trying on this database, named with its own items and lots.
fn suggestions(l: &Ledger, stock: &[StockRow]) -> Result<Vec<String>> {
    let mut out = vec!["lotkeeper report expiry".to_string()];
    if let Some(r) = stock.iter().find(|r| r.available > 0) {
        out.push(format!(
            "lotkeeper allocate --item {} --qty {}",
            r.item, r.available
        ));
    }
    if let Some(r) = stock.iter().find(|r| r.lot.is_some()) {
        out.push(format!(
            "lotkeeper trace --item {} --lot {}",
            r.item,
            r.lot.as_deref().unwrap_or_default()
        ));
    } else if let Some(r) = stock.iter().find(|r| r.serial.is_some()) {
        out.push(format!(
            "lotkeeper trace --item {} --serial {}",
            r.item,
            r.serial.as_deref().unwrap_or_default()
        ));
    }
    if stock.is_empty() {
        match l.query().items()?.first() {
            Some(i) => out.push(format!(
                "lotkeeper receive --item {} --qty 1 --to LOCATION",
                i.sku
            )),
            None => out.push("lotkeeper import items FILE.csv".into()),
        }
    }
    out.push("lotkeeper --help".into());
    Ok(out)
}

pub fn demo(db: super::Db, format: TextFormat) -> Result<()> {
    let mut l = open(db)?;
    ledger::demo::fill(&mut l)?;
    let movements = l.query().movement_count()?;
    print_done(
        format,
        &serde_json::json!({"action": "demo", "movements": movements}),
        || format!("demo warehouse created: {movements} movements"),
    )
}

pub fn screenshot(out: &std::path::Path) -> Result<()> {
    for f in crate::shots::screenshots(out)? {
        println!("{}", f.display());
    }
    Ok(())
}

/// Runs a script, printing one JSON object per event. A refused event or a script that ends in
/// the middle of a workflow is an error (exit 3) unless allowed: a replay that did not do what
/// it says must not look like one that did.
pub fn session(
    db: super::Db,
    file: &std::path::Path,
    allow_refusals: bool,
    allow_unfinished: bool,
) -> Result<()> {
    let script =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut l = open(db)?;
    let stdout = std::io::stdout();
    let mut failed = None;
    let ended = crate::workflow::session::run(&mut l, &script, |step| {
        let mut w = stdout.lock();
        if let Err(e) = serde_json::to_writer(&mut w, step).map(|_| writeln!(w)) {
            failed = Some(e.to_string());
        }
    })
    .map_err(anyhow::Error::msg)?;
    if let Some(e) = failed {
        anyhow::bail!("cannot write the output: {e}");
    }
    let mut problems = Vec::new();
    if ended.refused > 0 && !allow_refusals {
        problems.push(format!(
            "{} event(s) were refused (see the \"refused\" lines; --allow-refusals accepts that)",
            ended.refused
        ));
    }
    if let (Some(prompt), false) = (&ended.unfinished, allow_unfinished) {
        problems.push(format!(
            "the script ended in the middle of a workflow, at \"{prompt}\": nothing of that step was recorded (--allow-unfinished accepts that)"
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(SessionIncomplete(problems.join("; ")).into())
    }
}

/// A session that ran but did not end cleanly: exit code 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SessionIncomplete(pub String);

/// Posts receipts one at a time, printing each id after its commit. The crash test kills this
/// process at random instants and checks that every printed id survived.
pub fn crash_writer(db: super::Db, count: u64) -> Result<()> {
    let mut l = open(db)?;
    let stdout = std::io::stdout();
    for i in 0..count {
        let m = ledger::Movement::new(
            ledger::MovementKind::Receive,
            "CRASH-ITEM",
            1 + (i % 3) as i64,
            ledger::SUPPLIER,
            "CRASH-BIN",
        )
        .lot(Some(format!("L{}", i % 50)));
        let id = m.id;
        // A second movement in the same batch: a batch is all or nothing.
        let t = ledger::Movement::new(
            ledger::MovementKind::Transfer,
            "CRASH-ITEM",
            1,
            "CRASH-BIN",
            "CRASH-BIN-2",
        )
        .lot(Some(format!("L{}", i % 50)));
        l.post(&[m, t])?;
        let mut out = stdout.lock();
        writeln!(out, "{id}")?;
        out.flush()?;
    }
    Ok(())
}
