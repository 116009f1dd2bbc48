//! Upgrading real old databases. `fixtures/schema_vN.sql` is a database as schema version N left
//! it, holding data (items, GTINs, lots, serials, lot events, movements with a correction,
//! purchase orders, pick lists with drafts and shorts, a count, settings, outbox rows with a
//! conflict, devices): plain SQL written once by `fixtures/make_schema_fixtures.sh` (its header
//! says how and when) and frozen. Each is loaded, opened by today's lotkeeper (which runs the
//! pending migrations), and compared with a fresh database: the same schema, every frozen row
//! still there, and the balances still the sum of the journal.

use crate::harness::balances_off_the_journal;
use std::collections::BTreeMap;
use std::path::Path;

use lotkeeper::ledger::store::latest_version;
use lotkeeper::ledger::{Ledger, ReceiveCmd};
use rusqlite::types::Value;
use rusqlite::Connection;

pub fn fixture(version: i64) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(format!("schema_v{version}.sql"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn user_version(c: &Connection) -> i64 {
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

/// The schema as text that does not depend on how it was reached: every table, index, trigger
/// and view with its SQL (whitespace collapsed), and every table's columns as SQLite reports
/// them (name, type, not null, default, primary key).
fn schema(c: &Connection) -> Vec<String> {
    let mut out: Vec<String> = c
        .prepare("SELECT type, name, tbl_name, IFNULL(sql, '') FROM sqlite_master")
        .unwrap()
        .query_map([], |r| {
            let sql: String = r.get(3)?;
            Ok(format!(
                "{} {} on {}: {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                sql.split_whitespace().collect::<Vec<_>>().join(" ")
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in tables(c) {
        let columns: Vec<String> = c
            .prepare(&format!("PRAGMA table_info(\"{table}\")"))
            .unwrap()
            .query_map([], |r| {
                Ok(format!(
                    "column {table}.{} {} notnull={} default={:?} pk={}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.extend(columns);
    }
    out.sort();
    out
}

fn tables(c: &Connection) -> Vec<String> {
    c.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn columns(c: &Connection, table: &str) -> Vec<String> {
    c.prepare(&format!("PRAGMA table_info(\"{table}\")"))
        .unwrap()
        .query_map([], |r| r.get(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every row of `table`, only the named columns, sorted.
fn rows(c: &Connection, table: &str, cols: &[String]) -> Vec<Vec<Value>> {
    let list = cols
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let mut rows: Vec<Vec<Value>> = c
        .prepare(&format!("SELECT {list} FROM \"{table}\""))
        .unwrap()
        .query_map([], |r| {
            (0..cols.len()).map(|i| r.get::<_, Value>(i)).collect()
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    rows
}

/// The frozen data: each table's columns then and its rows.
fn contents(c: &Connection) -> BTreeMap<String, (Vec<String>, Vec<Vec<Value>>)> {
    tables(c)
        .into_iter()
        .map(|t| {
            let cols = columns(c, &t);
            let rows = rows(c, &t, &cols);
            (t, (cols, rows))
        })
        .collect()
}

#[test]
fn every_released_schema_with_data_upgrades_to_the_fresh_schema_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let fresh_path = dir.path().join("fresh.db");
    drop(Ledger::open(&fresh_path).unwrap());
    let fresh = Connection::open(&fresh_path).unwrap();
    let fresh_schema = schema(&fresh);
    assert!(fresh_schema
        .iter()
        .any(|s| s.starts_with("view live_movements")));

    for version in 1..=latest_version() {
        let path = dir.path().join(format!("v{version}.db"));
        let frozen = {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(&fixture(version)).unwrap();
            assert_eq!(user_version(&old), version, "fixture v{version}");
            let frozen = contents(&old);
            let movements = &frozen["movements"].1;
            assert!(movements.len() >= 10, "fixture v{version} holds a journal");
            frozen
        };

        // Today's lotkeeper opens it, and the pending migrations run.
        drop(
            Ledger::open(&path)
                .unwrap_or_else(|e| panic!("upgrading the v{version} database: {e}")),
        );
        let upgraded = Connection::open(&path).unwrap();
        assert_eq!(user_version(&upgraded), latest_version());
        assert_eq!(
            schema(&upgraded),
            fresh_schema,
            "the v{version} database upgraded differs from a fresh one"
        );
        for (table, (cols, rows_then)) in &frozen {
            if table == "master_version" {
                // A migration that adds to what devices pull (sites, in 13) bumps the version so
                // that every device pulls it again; it never goes back.
                let version_of = |rows: &[Vec<Value>]| match rows[0][1] {
                    Value::Integer(n) => n,
                    ref other => panic!("master_version holds {other:?}"),
                };
                let now = rows(&upgraded, table, cols);
                assert!(
                    version_of(&now) >= version_of(rows_then),
                    "v{version}: master_version went back"
                );
                continue;
            }
            assert_eq!(
                &rows(&upgraded, table, cols),
                rows_then,
                "table {table} of the v{version} database lost or changed rows"
            );
        }
        assert_eq!(
            balances_off_the_journal(&upgraded),
            0,
            "balances of the upgraded v{version} database are not the sum of its journal"
        );

        // And it works: a receipt posts, and the balances still follow the journal.
        let mut ledger = Ledger::open(&path).unwrap();
        ledger
            .receive(&ReceiveCmd {
                item: "BOLT".into(),
                qty: 3,
                to: "A1".into(),
                ..Default::default()
            })
            .unwrap_or_else(|e| panic!("posting on the upgraded v{version} database: {e}"));
        drop(ledger);
        assert_eq!(
            balances_off_the_journal(&upgraded),
            0,
            "after a receipt on v{version}"
        );
    }
}
