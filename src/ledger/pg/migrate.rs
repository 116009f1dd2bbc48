//! `lotkeeper migrate-server`: an existing SQLite back office moved into an empty PostgreSQL
//! database, whole, in one PostgreSQL transaction, and checked before it commits.
//!
//! The server is stopped first (a database another program has open is refused): what it
//! accepted after the copy would be lost while its devices count it as accepted, and the copy
//! keeps the server's log identity, so its devices carry on from where they were. The source is
//! read as one snapshot (`Ledger::snapshot_of`: the file is never written, and an older schema is
//! brought to this binary's in memory first). Every table is copied row for row with its ids (movements keep their `seq`, devices
//! their token hashes, lots their events), the identity counters are set past the copied ids,
//! and the master data version carries over. Then, inside the same transaction:
//! * every table holds as many rows as the source's;
//! * the balances equal the source's, row for row;
//! * the balances equal the journal recomputed on PostgreSQL.
//!
//! SQLite's running totals are not copied: PostgreSQL's reports sum the balances themselves.
//!
//! Any difference rolls the whole copy back.

use std::path::Path;

use super::PgStore;
use crate::ledger::error::{Error, Result};
use crate::ledger::query::Query;
use crate::ledger::sql::{args, Arg, Sql, SqlExt};
use crate::ledger::Ledger;

/// SQLite's running totals, which PostgreSQL leaves empty (see its migration 0003).
const DERIVED: &[&str] = &["location_totals", "lot_totals", "movement_days"];

/// The tables of the schema, in an order that inserts every referenced row before the rows that
/// reference it, with the integer key PostgreSQL generates (its counter is set past the copy).
const TABLES: &[(&str, Option<&str>)] = &[
    ("items", Some("id")),
    ("locations", Some("id")),
    ("parties", Some("id")),
    ("lots", Some("id")),
    ("serials", Some("id")),
    ("movements", Some("seq")),
    ("balances", None),
    ("virtual_balances", None),
    ("outbox", None),
    ("gtins", None),
    ("compositions", None),
    ("lot_attribute_defs", None),
    ("lot_attributes", None),
    ("lot_events", Some("id")),
    ("pick_lists", Some("id")),
    ("pick_list_lines", None),
    ("pick_drafts", Some("id")),
    ("pick_shorts", None),
    ("purchase_orders", Some("id")),
    ("purchase_order_lines", None),
    ("counts", Some("id")),
    ("count_lines", None),
    ("devices", None),
    ("enrollment_codes", None),
    ("printers", None),
    ("printer_defaults", None),
    ("print_jobs", Some("id")),
    ("sscc_blocks", None),
    ("sscc_range", None),
    ("ssccs", None),
    ("settings", None),
    ("sync_state", None),
    ("master_version", None),
    ("console_users", None),
    ("console_sessions", None),
    ("console_signin_failures", None),
    ("import_log", Some("id")),
    ("console_changes", Some("id")),
    ("sync_conflicts", None),
];

/// What a migration copied.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Migrated {
    /// The PostgreSQL database, its password left out.
    pub database: String,
    /// Rows copied, by table, in the order copied.
    pub tables: Vec<(String, i64)>,
    pub movements: i64,
    /// Balance rows, checked against the source's and against the journal.
    pub balances: i64,
    pub devices: i64,
    pub lot_events: i64,
    /// The PostgreSQL schema version the copy is at.
    pub schema_version: i64,
}

/// Moves the SQLite back office at `from` into the empty PostgreSQL database at `url`.
pub fn migrate_server(from: &Path, url: &str) -> Result<Migrated> {
    if crate::ledger::backup::open_elsewhere(from) {
        return Err(Error::invalid(format!(
            "another program has {} open: stop the server (and anything else using it) first, so nothing it records after the copy is lost",
            from.display()
        )));
    }
    let source = Ledger::snapshot_of(from)?;
    let src = source.sql();
    let enrolled: bool = src
        .value(
            "SELECT EXISTS (SELECT 1 FROM sync_state WHERE key = 'server')",
            args![],
        )?
        .unwrap_or(false);
    if enrolled {
        return Err(Error::invalid(format!(
            "{} is a handheld's database (enrolled with a server): a handheld keeps its SQLite ledger; migrate-server moves a back office",
            from.display()
        )));
    }
    let src_tables: Vec<(String,)> = src.all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        args![],
    )?;
    if let Some((t,)) = src_tables
        .iter()
        .find(|(t,)| !TABLES.iter().any(|(n, _)| n == t) && !DERIVED.contains(&t.as_str()))
    {
        return Err(Error::Store(format!(
            "table {t} of the SQLite schema has no place in PostgreSQL's: this lotkeeper cannot migrate it"
        )));
    }

    let mut pg = PgStore::connect(url)?;
    let schema_version = pg.version()?;
    let database = super::redacted(url);
    let migrated = pg.write(|c| {
        let pg = c;
        // A large ledger's copy and checks take longer than a statement is otherwise allowed.
        pg.run("SET LOCAL statement_timeout = 0", args![])?;
        let held: i64 = pg
            .value(
                "SELECT (SELECT COUNT(*) FROM movements) + (SELECT COUNT(*) FROM items)
                      + (SELECT COUNT(*) FROM locations) + (SELECT COUNT(*) FROM devices)",
                args![],
            )?
            .unwrap_or(0);
        if held > 0 {
            return Err(Error::invalid(format!(
                "the PostgreSQL database {database} already holds a ledger: migrate-server fills an empty one (nothing was copied)"
            )));
        }
        // The schema's own first rows make way for the source's.
        pg.run("DELETE FROM master_version", args![])?;
        // A log from before the corrected-once rule may hold a movement corrected twice: it is
        // copied as it is (the trigger reads this setting; it ends with the transaction).
        pg.run(
            "SELECT set_config('lotkeeper.copying', 'on', true)",
            args![],
        )?;
        let mut tables = Vec::new();
        for (table, key) in TABLES {
            if !src_tables.iter().any(|(t,)| t == table) {
                continue;
            }
            let n = copy_table(src, pg, table)?;
            if let Some(key) = key {
                // PostgreSQL's identity counter continues after the copied keys.
                pg.run(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', '{key}'),
                                       COALESCE((SELECT MAX({key}) FROM {table}), 0) + 1, false)"
                    ),
                    args![],
                )?;
            }
            tables.push((table.to_string(), n));
        }
        // The copy's triggers moved the master data version; it is the source's.
        let version: Option<i64> =
            src.value("SELECT version FROM master_version WHERE id = 1", args![])?;
        pg.run(
            "UPDATE master_version SET version = ? WHERE id = 1",
            args![version],
        )?;
        verify(src, pg, &tables)?;
        let count = |t: &str| tables.iter().find(|(n, _)| n == t).map_or(0, |(_, n)| *n);
        Ok(Migrated {
            movements: count("movements"),
            balances: count("balances"),
            devices: count("devices"),
            lot_events: count("lot_events"),
            tables: tables.clone(),
            database: database.clone(),
            schema_version,
        })
    })?;
    // The planner's statistics of what was just loaded: without them the first lot pages read
    // every movement (430 ms each on the bench's million, until autovacuum came by).
    let all: Vec<&str> = TABLES
        .iter()
        .map(|(t, _)| *t)
        .chain(DERIVED.iter().copied())
        .collect();
    pg.analyze(&all)?;
    Ok(migrated)
}

/// Copies every row of `table`, in key order, with its columns as SQLite has them: many rows to
/// one `INSERT`, as each statement costs PostgreSQL a round trip (one row a statement took 46 s
/// for a back office of 50,000 movements).
fn copy_table(src: &dyn Sql, dst: &dyn Sql, table: &str) -> Result<i64> {
    let columns: Vec<(String,)> = src.all(
        "SELECT name FROM pragma_table_info(?) ORDER BY cid",
        args![table],
    )?;
    let names: Vec<&str> = columns.iter().map(|(c,)| c.as_str()).collect();
    let list = names.join(", ");
    let select = format!("SELECT {list} FROM {table} ORDER BY {}", order_of(table));
    // Well under PostgreSQL's 65,535 parameters a statement.
    let per_insert = (30_000 / names.len().max(1)).clamp(1, 1_000);
    let insert = |rows: usize| {
        let row = format!("({})", vec!["?"; names.len()].join(", "));
        format!(
            "INSERT INTO {table} ({list}) VALUES {}",
            vec![row.as_str(); rows].join(", ")
        )
    };
    let full = insert(per_insert);
    let mut n = 0i64;
    let mut pending: Vec<Arg<'static>> = Vec::with_capacity(per_insert * names.len());
    let mut failed: Option<Error> = None;
    let flush = |pending: &mut Vec<Arg<'static>>, n: i64| -> Result<()> {
        let rows = pending.len() / names.len().max(1);
        if rows == 0 {
            return Ok(());
        }
        let sql = if rows == per_insert {
            full.clone()
        } else {
            insert(rows)
        };
        dst.run(&sql, pending).map_err(|e| {
            Error::Store(format!(
                "copying rows {} to {} of {table}: {e}",
                n - rows as i64 + 1,
                n
            ))
        })?;
        pending.clear();
        Ok(())
    };
    src.scan(&select, args![], &mut |r| {
        for i in 0..names.len() {
            pending.push(r.val(i)?.to_owned_arg());
        }
        n += 1;
        if pending.len() == per_insert * names.len() {
            if let Err(e) = flush(&mut pending, n) {
                failed = Some(e);
                return Ok(false);
            }
        }
        Ok(true)
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    flush(&mut pending, n)?;
    Ok(n)
}

/// The order rows are copied in: by key, so a movement comes after the one it corrects.
fn order_of(table: &str) -> &'static str {
    match table {
        "movements" => "seq",
        "balances" | "virtual_balances" => "item_id, lot_id, serial_id, location_id",
        "outbox" => "movement_id",
        "gtins" => "gtin",
        "compositions" => "output_id, component_id",
        "lot_attribute_defs" => "item_id, name",
        "lot_attributes" => "lot_id, name",
        "pick_list_lines" => "pick_list_id, line_no",
        "purchase_order_lines" => "po_id, line_no",
        "count_lines" => "count_id, item_id, lot_id, serial_id",
        "devices" | "printers" | "console_users" => "name",
        "console_sessions" => "token_hash",
        "console_signin_failures" => "key",
        "enrollment_codes" => "code_hash",
        "printer_defaults" => "workflow",
        "sscc_blocks" => "block",
        "ssccs" => "sscc",
        "settings" | "sync_state" => "key",
        "pick_shorts" => "pick_list_id, line_no, created_at",
        "sync_conflicts" => "device, movement_id",
        _ => "id",
    }
}

/// The checks before the copy commits: counts, balances against the source's, and balances
/// against the journal recomputed here.
fn verify(src: &dyn Sql, pg: &dyn Sql, tables: &[(String, i64)]) -> Result<()> {
    for (table, copied) in tables {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let (here, there) = (
            pg.value::<i64>(&sql, args![])?.unwrap_or(0),
            src.value::<i64>(&sql, args![])?.unwrap_or(0),
        );
        if here != there || here != *copied {
            return Err(Error::Store(format!(
                "{table}: PostgreSQL holds {here} rows, the source {there}; nothing was migrated"
            )));
        }
    }
    let (here, there) = (Query::over(pg), Query::over(src));
    if here.real_balances()? != there.real_balances()? {
        return Err(Error::Store(
            "the balances on PostgreSQL differ from the source's; nothing was migrated".into(),
        ));
    }
    if here.balances_off_the_journal()? != 0 {
        return Err(Error::Store(
            "the balances on PostgreSQL do not equal its journal; nothing was migrated".into(),
        ));
    }

    Ok(())
}
