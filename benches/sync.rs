//! Sync speed on loopback, with the real server: push 10,000 movements, a fresh device pulling
//! 100,000, a sync with nothing to do, and 20 devices pushing at once through 2 servers on one
//! database (movements per second). `cargo bench --bench sync` (`-- --json` for JSON).
//!
//! The server runs on SQLite, and then, when `LOTKEEPER_BENCH_POSTGRES` names a PostgreSQL
//! database (postgres://USER:PASSWORD@HOST/DB; the bench works in a schema of its own there and
//! drops it after), the same again on PostgreSQL, filled from the same SQLite file by
//! `migrate-server`.

use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::model::Verdict;
use lotkeeper::ledger::{Ledger, Movement, MovementKind, SUPPLIER};
use lotkeeper::sync::client::{sync_once, Client};
use lotkeeper::sync::server::{Database, Options, RunningServer};
use lotkeeper::sync::wire::pushed;
use lotkeeper::sync::{hash_token, new_token};
use std::time::Instant;

const SERVER_MOVEMENTS: usize = 100_000;
const PUSHED: usize = 10_000;
const FLEET: usize = 20;
const PER_DEVICE: usize = 500;

fn setup(l: &mut Ledger) {
    let mut items = String::from("sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\n");
    for i in 0..200 {
        items.push_str(&format!("I{i:03},Item {i},,lot,true,,EA\n"));
    }
    l.import_csv(ImportKind::Items, &items).unwrap();
    let mut locs = String::from("code,name,kind\n");
    for b in 0..50 {
        locs.push_str(&format!("B{b:02},Bin {b},bin\n"));
    }
    l.import_csv(ImportKind::Locations, &locs).unwrap();
}

fn receipts(n: usize, tag: &str) -> Vec<Movement> {
    (0..n)
        .map(|i| {
            Movement::new(
                MovementKind::Receive,
                format!("I{:03}", i % 200),
                10,
                format!("{SUPPLIER}:S{}", i % 20),
                format!("B{:02}", i % 50),
            )
            .lot(Some(format!("{tag}{}", i % 5000)))
            .dates(chrono::NaiveDate::from_ymd_opt(2099, 1, 1), None)
        })
        .collect()
}

/// The server's ledger, on whichever store it runs.
fn back_office(db: &Database) -> Ledger {
    match db {
        Database::File(p) => Ledger::open(p).unwrap(),
        Database::Postgres(url) => Ledger::open_postgres(url).unwrap(),
    }
}

fn enroll(
    server: &RunningServer,
    back: &Database,
    db: &std::path::Path,
    name: &str,
) -> (Ledger, Client) {
    let token = new_token();
    back_office(back)
        .add_device(name, &hash_token(&token))
        .unwrap();
    let mut l = Ledger::open(db).unwrap();
    l.enroll(&server.url(), &token, name).unwrap();
    let c = Client::new(&server.url(), &token).unwrap();
    (l, c)
}

#[path = "common/pg_schema.rs"]
mod pg_schema;
use pg_schema::Schema;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let mut rows = run("SQLite", None);
    let pg = std::env::var("LOTKEEPER_BENCH_POSTGRES")
        .ok()
        .map(|u| Schema::new(&u, "bench_sync"));
    if let Some(pg) = &pg {
        rows.extend(run("PostgreSQL", Some(&pg.url)));
    } else if !json {
        println!("(LOTKEEPER_BENCH_POSTGRES is not set: SQLite only)");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&rows).unwrap());
    } else {
        for r in &rows {
            let (n, ms, target) = (
                r["name"].as_str().unwrap(),
                r["ms"].as_f64().unwrap(),
                r["target_ms"].as_f64().unwrap(),
            );
            println!(
                "{n:<55} {ms:>10.1} ms   {} < {target} ms{}",
                if ms < target { "ok  " } else { "MISS" },
                r.get("movements_per_second")
                    .map(|v| format!("   {v} movements/s"))
                    .unwrap_or_default()
            );
        }
    }
}

/// The whole scenario with the server on SQLite, or (`postgres`) on PostgreSQL.
fn run(store: &str, postgres: Option<&str>) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.db");
    {
        let mut l = Ledger::open(&server_db).unwrap();
        setup(&mut l);
        for chunk in receipts(SERVER_MOVEMENTS, "S").chunks(10_000) {
            l.post(chunk).unwrap();
        }
    }
    let back = match postgres {
        Some(url) => {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_lotkeeper"))
                .args(["--database", url, "migrate-server", "--from"])
                .arg(&server_db)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Database::Postgres(url.to_string())
        }
        None => Database::File(server_db.clone()),
    };
    let start_server =
        || RunningServer::start_on(&back, "127.0.0.1:0", Options::default()).unwrap();
    let server = start_server();

    // A fresh device pulls everything.
    let (mut fresh, c) = enroll(&server, &back, &dir.path().join("fresh.db"), "fresh");
    let t = Instant::now();
    let r = sync_once(&mut fresh, &c).unwrap();
    let pull_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!(r.pulled, SERVER_MOVEMENTS);

    // A device that has the log pushes 10,000 of its own (one local batch of receipts).
    let (mut dev, c2) = enroll(&server, &back, &dir.path().join("dev.db"), "dev");
    sync_once(&mut dev, &c2).unwrap();
    for chunk in receipts(PUSHED, "D").chunks(1000) {
        dev.post(chunk).unwrap();
    }
    let t = Instant::now();
    let r = sync_once(&mut dev, &c2).unwrap();
    let push_ms = t.elapsed().as_secs_f64() * 1e3;
    assert_eq!((r.pushed, r.accepted), (PUSHED, PUSHED));

    // Nothing to do.
    let mut noop = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        sync_once(&mut dev, &c2).unwrap();
        noop.push(t.elapsed().as_secs_f64() * 1e3);
    }
    noop.sort_by(|a, b| a.total_cmp(b));
    let noop_ms = noop[noop.len() / 2];
    // Sustained pushes: 20 devices, half through this server and half through a second one
    // on the same database, all at once, each pushing 500 movements a batch of 100 a request.
    let second = start_server();
    let mut fleet = Vec::new();
    for k in 0..FLEET {
        let via = if k % 2 == 0 { &server } else { &second };
        let (mut l, c) = enroll(
            via,
            &back,
            &dir.path().join(format!("f{k}.db")),
            &format!("f{k}"),
        );
        // Its master data, so it can post; it pushes and does not pull.
        setup(&mut l);
        for chunk in receipts(PER_DEVICE, &format!("F{k}-")).chunks(100) {
            l.post(chunk).unwrap();
        }
        fleet.push((l, c));
    }
    let start = std::sync::Arc::new(std::sync::Barrier::new(FLEET + 1));
    let threads: Vec<_> = fleet
        .into_iter()
        .map(|(mut l, c)| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                // One batch of 100 a request, as a device working through the day pushes.
                loop {
                    let pending = l.pending_batches(100, None).unwrap();
                    if pending.is_empty() {
                        break;
                    }
                    let resp = c.push(pushed(&pending)).unwrap();
                    let verdicts: Vec<_> =
                        resp.results.into_iter().map(|r| r.into_verdict()).collect();
                    assert!(verdicts
                        .iter()
                        .all(|(_, v)| matches!(v, Verdict::Accepted { .. })));
                    l.record_verdicts(&verdicts).unwrap();
                }
            })
        })
        .collect();
    start.wait();
    let t = Instant::now();
    for th in threads {
        th.join().unwrap();
    }
    let fleet_s = t.elapsed().as_secs_f64();
    let per_second = (FLEET * PER_DEVICE) as f64 / fleet_s;
    second.stop();
    server.stop();
    let fleet_name = format!("{store}: 20 devices push 500 each via 2 servers");
    let rows = [
        (
            format!("{store}: push 10,000 movements (whole sync)"),
            push_ms,
            2000.0,
        ),
        (
            format!("{store}: fresh device pulls 100,000 movements"),
            pull_ms,
            5000.0,
        ),
        (
            format!("{store}: sync with nothing to do (median)"),
            noop_ms,
            20.0,
        ),
        (fleet_name.clone(), fleet_s * 1e3, 10_000.0),
    ];
    rows.iter()
        .map(|(n, ms, target)| {
            let mut row = serde_json::json!({"name": n, "store": store, "ms": (ms * 1000.0).round() / 1000.0, "target_ms": target, "pass": ms < target});
            if *n == fleet_name {
                row["movements_per_second"] = per_second.round().into();
            }
            row
        })
        .collect()
}
