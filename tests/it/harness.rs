//! Shared set-up for the integration tests.

use chrono::NaiveDate;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::{FixedClock, Ledger, ReceiveCmd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// "Today" in every ledger test.
pub const TODAY: &str = "2026-06-15";

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub const ITEMS: &str = "\
sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit
PARA,Paracetamol 500 mg,09506000134352;19506000134359*12,lot,true,365,EA
FLOUR,Flour 25 kg,,lot,false,,BAG
BOLT,Bolt M8,,none,false,,EA
PHONE,Handheld terminal,,serial,false,,EA
VACC,Vaccine vial,,serial,true,,EA
";

pub const LOCATIONS: &str = "\
code,name,kind
DOCK,Dock,dock
A1,Bin A1,bin
A2,Bin A2,bin
Q,Quarantine,quarantine
STAGE,Staging,staging
";

/// An in-memory ledger on [`TODAY`] with the test items and locations.
pub fn ledger() -> Ledger {
    let mut l = Ledger::open_in_memory()
        .unwrap()
        .with_clock(Arc::new(FixedClock::on(day(TODAY))));
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    l
}

/// Receives a lot of an item into a location.
pub fn receive_lot(
    l: &mut Ledger,
    item: &str,
    lot: &str,
    expiry: Option<&str>,
    qty: i64,
    to: &str,
) {
    l.receive(&ReceiveCmd {
        item: item.into(),
        qty,
        to: to.into(),
        lot: Some(lot.into()),
        expiry: expiry.map(day),
        supplier: Some("Acme".into()),
        ..Default::default()
    })
    .unwrap();
}

pub fn receive_serials(
    l: &mut Ledger,
    item: &str,
    lot: Option<&str>,
    expiry: Option<&str>,
    serials: &[&str],
    to: &str,
) {
    l.receive(&ReceiveCmd {
        item: item.into(),
        qty: serials.len() as i64,
        to: to.into(),
        lot: lot.map(Into::into),
        expiry: expiry.map(day),
        serials: serials.iter().map(|s| s.to_string()).collect(),
        supplier: Some("Acme".into()),
        ..Default::default()
    })
    .unwrap();
}

/// Receives `qty` of PARA lot `lot` (expiring 2099-12-31) into A1.
pub fn receive_para(l: &mut Ledger, lot: &str, qty: i64) {
    l.receive(&ReceiveCmd {
        item: "PARA".into(),
        qty,
        to: "A1".into(),
        lot: Some(lot.into()),
        expiry: Some(day("2099-12-31")),
        supplier: Some("Acme".into()),
        ..Default::default()
    })
    .unwrap();
}

/// Quantity of an item (and lot) at a location.
pub fn qty_at(l: &Ledger, item: &str, lot: Option<&str>, loc: &str) -> i64 {
    l.query()
        .stock(Some(item), Some(loc))
        .unwrap()
        .iter()
        .filter(|s| lot.is_none() || s.lot.as_deref() == lot)
        .map(|s| s.qty)
        .sum()
}

/// Everything a refused posting must leave untouched.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    movements: i64,
    balances: Vec<(i64, i64, i64, i64, i64)>,
    lots: Vec<(i64, String, Option<String>, String)>,
    serials: i64,
    locations: i64,
}

pub fn snapshot(l: &Ledger) -> Snapshot {
    l.read(|c| Ok(snapshot_of(c))).unwrap()
}

fn snapshot_of(c: &lotkeeper::ledger::Reader) -> Snapshot {
    let count = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let mut st = c
        .prepare(
            "SELECT location_id, item_id, lot_id, serial_id, qty FROM balances WHERE qty <> 0
             UNION ALL SELECT location_id, item_id, lot_id, serial_id, qty FROM virtual_balances WHERE qty <> 0
             ORDER BY 1, 2, 3, 4",
        )
        .unwrap();
    let balances = st
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut st = c
        .prepare("SELECT id, code, expiry, status FROM lots ORDER BY id")
        .unwrap();
    let lots = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    Snapshot {
        movements: count("SELECT count(*) FROM movements"),
        balances,
        lots,
        serials: count("SELECT count(*) FROM serials"),
        locations: count("SELECT count(*) FROM locations"),
    }
}

/// A temporary directory with a database path, for tests of the real binary.
pub struct Dir {
    pub dir: tempfile::TempDir,
}

impl Dir {
    /// A directory whose database has the crash writer's item and two bins.
    pub fn for_crash_writer() -> Dir {
        let d = Dir::new();
        d.ok(&["import", "items", d.file("i.csv", "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nCRASH-ITEM,Crash item,,lot,false,,EA\n").to_str().unwrap()]);
        d.ok(&[
            "import",
            "locations",
            d.file(
                "l.csv",
                "code,name,kind\nCRASH-BIN,Bin,bin\nCRASH-BIN-2,Bin 2,bin\n",
            )
            .to_str()
            .unwrap(),
        ]);
        d
    }

    pub fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("lk.db")
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs `lotkeeper --db <db> args...`.
    pub fn run(&self, args: &[&str]) -> Output {
        run_with_db(&self.db(), args)
    }

    /// Runs and requires success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "lotkeeper {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stdout).unwrap()
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_lotkeeper")
}

/// `lotkeeper --db <db> args...`, never with a window, even on a machine with a display.
fn command(db: &Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(bin());
    c.arg("--db")
        .arg(db)
        .args(args)
        .env_remove("LOTKEEPER_DB")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    c
}

pub fn run_with_db(db: &Path, args: &[&str]) -> Output {
    command(db, args).output().unwrap()
}

/// Runs `lotkeeper --db <db> args...` with `input` on its standard input.
pub fn run_with_stdin(db: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command(db, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// Parses JSON output, with the text in the failure message.
pub fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("not JSON ({e}): {s}"))
}

/// Feeds workflow script lines (`scan …`, `enter …`, `confirm`, …) and returns each outcome.
pub fn drive(
    l: &mut Ledger,
    w: &mut dyn lotkeeper::workflow::Workflow,
    events: &[&str],
) -> Vec<lotkeeper::workflow::Outcome> {
    events
        .iter()
        .map(|e| w.handle(l, lotkeeper::workflow::session::parse_event(e).unwrap()))
        .collect()
}

pub fn feedbacks(o: &[lotkeeper::workflow::Outcome]) -> Vec<lotkeeper::workflow::Feedback> {
    o.iter().map(|o| o.feedback).collect()
}

pub fn message(o: &lotkeeper::workflow::Outcome) -> &str {
    o.message.as_deref().unwrap_or("")
}

/// Balances (real and virtual) that differ from the sum of the live journal, either way, plus
/// rows of the running totals (schema 15 on) that differ from the balances and the journal.
pub fn balances_off_the_journal(c: &rusqlite::Connection) -> i64 {
    balances_off(c) + totals_off(c)
}

/// The running totals' rows that differ from the balances and the journal summed again (0 on a
/// database older than the totals).
fn totals_off(c: &rusqlite::Connection) -> i64 {
    let has: bool = c
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'location_totals')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if !has {
        return 0;
    }
    let pairs = [
        (
            "SELECT location_id, lines, units FROM location_totals WHERE lines <> 0 OR units <> 0",
            "SELECT location_id, COUNT(*), SUM(qty) FROM balances WHERE qty > 0 GROUP BY location_id",
        ),
        (
            "SELECT lot_id, units FROM lot_totals WHERE units <> 0",
            "SELECT lot_id, SUM(qty) FROM balances WHERE qty > 0 AND lot_id <> 0 GROUP BY lot_id",
        ),
        (
            "SELECT day, movements FROM movement_days WHERE movements <> 0",
            "SELECT substr(created_at, 1, 10), COUNT(*) FROM movements GROUP BY 1",
        ),
    ];
    pairs
        .iter()
        .map(|(kept, summed)| {
            c.query_row(
                &format!(
                    "SELECT (SELECT count(*) FROM (SELECT * FROM ({kept}) EXCEPT SELECT * FROM ({summed})))
                          + (SELECT count(*) FROM (SELECT * FROM ({summed}) EXCEPT SELECT * FROM ({kept})))"
                ),
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
        })
        .sum()
}

fn balances_off(c: &rusqlite::Connection) -> i64 {
    let journal = "SELECT to_loc AS loc, item_id, IFNULL(lot_id, 0) AS lot, IFNULL(serial_id, 0) AS ser, qty AS q FROM live_movements
                   UNION ALL SELECT from_loc, item_id, IFNULL(lot_id, 0), IFNULL(serial_id, 0), -qty FROM live_movements";
    let sums = format!("SELECT * FROM (SELECT loc, item_id, lot, ser, SUM(q) FROM ({journal}) GROUP BY 1, 2, 3, 4 HAVING SUM(q) <> 0)");
    // Compound selects bind left to right, so each side is a subquery of its own.
    let stored = "SELECT * FROM (SELECT location_id, item_id, lot_id, serial_id, qty FROM balances WHERE qty <> 0
                  UNION ALL SELECT location_id, item_id, lot_id, serial_id, qty FROM virtual_balances WHERE qty <> 0)";
    c.query_row(
        &format!(
            "SELECT (SELECT count(*) FROM ({sums} EXCEPT {stored})) + (SELECT count(*) FROM ({stored} EXCEPT {sums}))"
        ),
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// A schema of its own on the PostgreSQL server `LOTKEEPER_TEST_POSTGRES` names, dropped when
/// the test ends; `url` connects into it. None (the test says it skipped) when no server is
/// named outside CI; in CI (`CI` set) a missing one fails the test.
#[cfg(feature = "postgres")]
pub struct PgSchema {
    admin: postgres::Client,
    schema: String,
    pub url: String,
}

#[cfg(feature = "postgres")]
impl PgSchema {
    pub fn new(name: &str) -> Option<PgSchema> {
        const ENV: &str = "LOTKEEPER_TEST_POSTGRES";
        let Ok(base) = std::env::var(ENV) else {
            if std::env::var_os("CI").is_some() {
                panic!("{ENV} is not set: CI must test the PostgreSQL store (see .ci/run)");
            }
            eprintln!("skipped: {ENV} names no PostgreSQL server to test against (see README)");
            return None;
        };
        // PostgreSQL names have at most 63 bytes: a long test name is cut, the process id kept.
        let schema = format!("it_{}_{}", &name[..name.len().min(40)], std::process::id());
        let mut admin = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("{ENV}: cannot connect: {e}"));
        admin
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            ))
            .unwrap();
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(PgSchema { admin, schema, url })
    }
}

#[cfg(feature = "postgres")]
impl Drop for PgSchema {
    fn drop(&mut self) {
        let _ = self
            .admin
            .batch_execute(&format!("DROP SCHEMA {} CASCADE", self.schema));
    }
}

/// Whether `tool` is a file in a directory of `PATH`.
pub fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// Kills and reaps a child process when dropped (a test's Xvfb, app, server or chromedriver).
pub struct Running(pub Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SIGTERM first, so Xvfb removes its socket and lock file.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
