//! Ledger benchmarks on a generated database of 1,000,000 movements, 100,000 lots and 2,000 items.
//!
//! `cargo bench --bench ledger` prints a table; `cargo bench --bench ledger -- --json` prints JSON.
//! The database is generated once through the real posting path (every rule checked) and kept in
//! `target/bench-ledger-N.db` (delete it to generate again); each run works on a fresh copy of it,
//! `target/bench-ledger-N-run.db`. Options: `--movements N` for a smaller run (the targets are
//! stated for 1,000,000). With `LOTKEEPER_BENCH_POSTGRES` naming a PostgreSQL database, the
//! console's pages are measured there too, on the run's database moved over by migrate-server.

use chrono::{Days, Local};
use lotkeeper::export::{epcis, fsma};
use lotkeeper::ledger::compliance::Scope;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::reports::ExpiryFilter;
use lotkeeper::ledger::{
    AssembleCmd, Clock, Component, FixedClock, Ledger, Movement, MovementKind, Output, ReceiveCmd,
    SUPPLIER,
};
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[cfg(feature = "postgres")]
#[path = "common/pg_schema.rs"]
mod pg_schema;

const ITEMS: usize = 2_000;
const LOTS_PER_ITEM: usize = 50;
const BINS: usize = 200;
const CUSTOMERS: usize = 500;
const KITS: usize = 2_000;

struct Opts {
    json: bool,
    movements: usize,
}

fn opts() -> Opts {
    let args: Vec<String> = std::env::args().collect();
    let movements = args
        .iter()
        .position(|a| a == "--movements")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    Opts {
        json: args.iter().any(|a| a == "--json"),
        movements,
    }
}

fn sku(i: usize) -> String {
    format!("ITEM-{i:04}")
}

fn lot(item: usize, l: usize) -> String {
    format!("L{item:04}-{l:02}")
}

fn bin(i: usize) -> String {
    format!("BIN-{i:03}")
}

/// Builds the database through the ledger's own posting path, in batches.
fn generate(path: &Path, movements: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    // A year of history: the clock walks from a year ago to today as the movements are posted,
    // so a 30-day export covers about a twelfth of them.
    let year_ago = Local::now().date_naive() - Days::new(365);
    let clock = Arc::new(FixedClock::on(year_ago));
    let first = clock.now();
    let mut l = Ledger::open(path)?.with_clock(clock.clone());
    let tick = |total: usize| {
        let secs = (total as f64 / movements as f64 * 365.0 * 86_400.0) as i64;
        clock.set(first + chrono::Duration::seconds(secs));
    };
    let mut items = String::from("sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\n");
    for i in 0..ITEMS {
        items.push_str(&format!("{},Item {i},,lot,true,,EA\n", sku(i)));
    }
    items.push_str("KIT,Kit,,lot,true,,EA\nSERIAL-ITEM,Serialized unit,,serial,false,,EA\n");
    l.import_csv(ImportKind::Items, &items)?;
    let mut locs = String::from("code,name,kind\n");
    for b in 0..BINS {
        locs.push_str(&format!("{},Bin {b},bin\n", bin(b)));
    }
    locs.push_str("DOCK,Dock,dock\n");
    l.import_csv(ImportKind::Locations, &locs)?;

    let today = Local::now().date_naive();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    // (item, lot) -> home bin; every lot is received with 1,000 units.
    let lots: Vec<(usize, usize, usize)> = (0..ITEMS)
        .flat_map(|i| (0..LOTS_PER_ITEM).map(move |n| (i, n, (i * 7 + n * 13) % BINS)))
        .collect();
    let mut batch = Vec::with_capacity(10_000);
    let mut total = 0usize;
    let flush =
        |l: &mut Ledger, batch: &mut Vec<Movement>, total: &mut usize| -> anyhow::Result<()> {
            if !batch.is_empty() {
                l.post(batch)?;
                *total += batch.len();
                batch.clear();
                tick(*total);
            }
            Ok(())
        };
    for &(i, n, home) in &lots {
        let expiry = today.checked_add_days(Days::new(30 + ((i * 31 + n * 17) % 900) as u64));
        batch.push(
            Movement::new(
                MovementKind::Receive,
                sku(i),
                1_000,
                format!("{SUPPLIER}:Supplier {}", i % 50),
                bin(home),
            )
            .lot(Some(lot(i, n)))
            .reference(Some(format!("PO-{}", i * 10 + n / 5)))
            .dates(expiry, None),
        );
        if batch.len() == 10_000 {
            flush(&mut l, &mut batch, &mut total)?;
        }
    }
    flush(&mut l, &mut batch, &mut total)?;
    // Assemblies: two component lots into one kit lot, then part of the kits shipped.
    for k in 0..KITS {
        let (a, b) = (
            lots[rng.gen_range(0..lots.len())],
            lots[rng.gen_range(0..lots.len())],
        );
        if a.0 == b.0 && a.1 == b.1 {
            continue;
        }
        l.assemble(&AssembleCmd {
            components: vec![
                Component {
                    item: sku(a.0),
                    qty: 2,
                    from: bin(a.2),
                    lot: Some(lot(a.0, a.1)),
                    serials: vec![],
                },
                Component {
                    item: sku(b.0),
                    qty: 2,
                    from: bin(b.2),
                    lot: Some(lot(b.0, b.1)),
                    serials: vec![],
                },
            ],
            outputs: vec![Output {
                item: "KIT".into(),
                qty: 4,
                to: "DOCK".into(),
                lot: Some(format!("KIT-{k:05}")),
                expiry: today.checked_add_days(Days::new(365)),
                ..Default::default()
            }],
            reference: Some(format!("WO-{k}")),
            ref_type: None,
        })?;
        total += 3;
        tick(total);
        batch.push(
            Movement::new(
                MovementKind::Ship,
                "KIT",
                1,
                "DOCK",
                format!("CUSTOMER:Customer {}", k % CUSTOMERS),
            )
            .lot(Some(format!("KIT-{k:05}"))),
        );
    }
    flush(&mut l, &mut batch, &mut total)?;
    // The rest: shipments and transfers of single units, about 9 per lot (never running out).
    while total + batch.len() < movements {
        let (i, n, home) = lots[rng.gen_range(0..lots.len())];
        let m = if rng.gen_bool(0.6) {
            Movement::new(
                MovementKind::Ship,
                sku(i),
                1,
                bin(home),
                format!("CUSTOMER:Customer {}", rng.gen_range(0..CUSTOMERS)),
            )
            .reference(Some(format!("SO-{}", rng.gen_range(0..100_000))))
        } else {
            Movement::new(
                MovementKind::Transfer,
                sku(i),
                1,
                bin(home),
                bin((home + 1) % BINS),
            )
        };
        batch.push(m.lot(Some(lot(i, n))));
        if batch.len() == 10_000 {
            flush(&mut l, &mut batch, &mut total)?;
        }
    }
    flush(&mut l, &mut batch, &mut total)?;
    eprintln!(
        "generated {total} movements in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Removes a database file and its write-ahead log, if there.
fn remove_database(path: &Path) {
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
}

fn median_ms(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn time_ms<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let out = f();
    (t.elapsed().as_secs_f64() * 1e3, out)
}

/// Inserts the rows a receipt of `n` new serials of SERIAL-ITEM at DOCK writes, with no rule
/// applied, in one `BEGIN IMMEDIATE` transaction.
fn raw_serial_receipt(c: &rusqlite::Connection, tag: &str, n: usize) -> rusqlite::Result<()> {
    let id_of = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
    let item = id_of("SELECT id FROM items WHERE sku = 'SERIAL-ITEM'")?;
    let dock = id_of("SELECT id FROM locations WHERE code = 'DOCK'")?;
    let supplier = id_of(&format!(
        "SELECT id FROM locations WHERE code = '{SUPPLIER}'"
    ))?;
    let batch = uuid::Uuid::now_v7().to_string();
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    c.execute_batch("BEGIN IMMEDIATE")?;
    {
        let mut serial =
            c.prepare_cached("INSERT INTO serials (item_id, serial, lot_id) VALUES (?, ?, NULL)")?;
        let mut movement = c.prepare_cached(
            "INSERT INTO movements (id, batch_id, kind, item_id, lot_id, serial_id, qty, from_loc, to_loc, device, created_at)
             VALUES (?, ?, 'receive', ?, NULL, ?, 1, ?, ?, 'local', ?)",
        )?;
        let mut real = c.prepare_cached(
            "INSERT INTO balances (item_id, lot_id, serial_id, location_id, qty) VALUES (?, 0, ?, ?, 1)",
        )?;
        let mut virt = c.prepare_cached(
            "INSERT INTO virtual_balances (item_id, lot_id, serial_id, location_id, qty) VALUES (?, 0, ?, ?, -1)",
        )?;
        for i in 0..n {
            serial.execute(rusqlite::params![item, format!("RAW-{tag}-{i:05}")])?;
            let sid = c.last_insert_rowid();
            movement.execute(rusqlite::params![
                uuid::Uuid::now_v7().to_string(),
                batch,
                item,
                sid,
                supplier,
                dock,
                now
            ])?;
            real.execute(rusqlite::params![item, sid, dock])?;
            virt.execute(rusqlite::params![item, sid, supplier])?;
        }
    }
    c.execute_batch("COMMIT")
}

struct Row {
    name: &'static str,
    value_ms: f64,
    target: String,
    pass: bool,
}

/// The console's dashboard and a lot page (one whose lot went into kits, so its trace picture has
/// something to draw), each asked for over the server's own router with a viewer's session and
/// its whole HTML body read: what the server spends on a page, without the network.
#[cfg(feature = "console")]
fn console_pages(
    mut l: Ledger,
    traced: &[(String, String)],
    names: [&'static str; 2],
    rows: &mut Vec<Row>,
) -> anyhow::Result<()> {
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};
    use tower::ServiceExt;

    if !l.users()?.iter().any(|u| u.name == "bench-viewer") {
        let hash = lotkeeper::console::hash_password("bench viewer password")?;
        l.add_user(
            "bench-viewer",
            lotkeeper::ledger::users::Role::Viewer,
            &hash,
        )?;
    }
    let token = uuid::Uuid::now_v7().simple().to_string();
    l.start_session(
        "bench-viewer",
        &lotkeeper::ledger::enrollment::hash_token(&token),
        "bench-csrf",
    )?;
    let app = lotkeeper::sync::server::app(lotkeeper::sync::server::AppState::new(l));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cookie = format!("{}={token}", lotkeeper::console::SESSION_COOKIE);
    let (item, code) = traced
        .first()
        .ok_or_else(|| anyhow::anyhow!("no lot went into a kit"))?;
    let lot_path = format!("/console/lot?item={item}&lot={code}");
    for (name, uri) in names.into_iter().zip(["/console", lot_path.as_str()]) {
        let mut times = Vec::new();
        for _ in 0..20 {
            let req = Request::get(uri)
                .header(header::COOKIE, &cookie)
                .body(Body::empty())?;
            let (t, r) = time_ms(|| {
                rt.block_on(async {
                    let r = app.clone().oneshot(req).await?;
                    let status = r.status();
                    let body = axum::body::to_bytes(r.into_body(), usize::MAX).await?;
                    anyhow::Ok((status, body.len()))
                })
            });
            let (status, len) = r?;
            anyhow::ensure!(status == StatusCode::OK, "{uri} answered {status}");
            anyhow::ensure!(len > 1_000, "{uri} sent only {len} bytes");
            times.push(t);
        }
        let m = median_ms(times);
        rows.push(Row {
            name,
            value_ms: m,
            target: "< 200 ms".into(),
            pass: m < 200.0,
        });
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let o = opts();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let made = target_dir.join(format!("bench-ledger-{}.db", o.movements));
    let existing = Ledger::open(&made)
        .and_then(|l| l.query().movement_count())
        .unwrap_or(0) as usize;
    // The generated file is kept as it was made (a file an older bench ran on, grown past it,
    // is made again): the write benches below add movements dated today, and runs on one file
    // piled them into the month the exports read (400,000 after some forty runs).
    if existing < o.movements || existing > o.movements + o.movements / 50 {
        remove_database(&made);
        generate(&made, o.movements)?;
    }
    let path = target_dir.join(format!("bench-ledger-{}-run.db", o.movements));
    remove_database(&path);
    std::fs::copy(&made, &path)?;
    let mut l = Ledger::open(&path)?;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let count = l.query().movement_count()?;
    let lots: i64 = l.read(|c| c.query_row("SELECT count(*) FROM lots", [], |r| r.get(0)))?;
    let mut rows = Vec::new();

    // 1. A single durable post, against a bare SQLite insert-and-commit on the same file.
    let bare = rusqlite::Connection::open(&path)?;
    lotkeeper::ledger::store::configure(&bare)?;
    bare.execute_batch(
        "CREATE TABLE IF NOT EXISTS bench_bare (id TEXT PRIMARY KEY, payload TEXT NOT NULL)",
    )?;
    let (mut post_t, mut bare_t) = (Vec::new(), Vec::new());
    for k in 0..200 {
        let (i, n) = (rng.gen_range(0..ITEMS), rng.gen_range(0..LOTS_PER_ITEM));
        let home = (i * 7 + n * 13) % BINS;
        let m = Movement::new(
            MovementKind::Transfer,
            sku(i),
            1,
            bin(home),
            bin((home + 1) % BINS),
        )
        .lot(Some(lot(i, n)));
        let (t, r) = time_ms(|| l.post(&[m]));
        r?;
        post_t.push(t);
        let (t, r) = time_ms(|| -> rusqlite::Result<()> {
            bare.execute_batch("BEGIN IMMEDIATE")?;
            bare.execute(
                "INSERT INTO bench_bare (id, payload) VALUES (?, ?)",
                (uuid::Uuid::now_v7().to_string(), format!("transfer {k}")),
            )?;
            bare.execute_batch("COMMIT")
        });
        r?;
        bare_t.push(t);
    }
    let (post_ms, bare_ms) = (median_ms(post_t), median_ms(bare_t));
    rows.push(Row {
        name: "bare sqlite insert+commit (median)",
        value_ms: bare_ms,
        target: "reference".into(),
        pass: true,
    });
    rows.push(Row {
        name: "single durable movement post (median)",
        value_ms: post_ms,
        target: format!(
            "<= 1.5x bare = {:.3} ms (ratio {:.2})",
            bare_ms * 1.5,
            post_ms / bare_ms
        ),
        pass: post_ms <= bare_ms * 1.5,
    });

    // 2. 10,000 serials received in one batch.
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let serials: Vec<String> = (0..10_000)
        .map(|i| format!("{}-{i:05}", &tag[..12]))
        .collect();
    let (t, r) = time_ms(|| {
        l.receive(&ReceiveCmd {
            item: "SERIAL-ITEM".into(),
            qty: 10_000,
            to: "DOCK".into(),
            serials,
            ..Default::default()
        })
    });
    r?;
    // The same rows written raw, in the same tables, in one durable transaction: 10,000 serials,
    // their receipts, and both balances of each (the database stays one whose balances are its
    // journal). What the rules cost is the difference.
    let (raw_t, r) = time_ms(|| raw_serial_receipt(&bare, &tag[12..24], 10_000));
    r?;
    rows.push(Row {
        name: "raw insert of a 10,000-serial receipt's rows",
        value_ms: raw_t,
        target: "reference".into(),
        pass: true,
    });
    rows.push(Row {
        name: "receive 10,000 serials in one batch",
        value_ms: t,
        target: format!(
            "< 1000 ms and <= 2x raw = {:.1} ms (ratio {:.2})",
            raw_t * 2.0,
            t / raw_t
        ),
        pass: t < 1000.0 && t <= raw_t * 2.0,
    });

    // 3-5. Per-item and per-lot reports.
    let (mut sbl, mut ltx, mut trc) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..50 {
        let i = rng.gen_range(0..ITEMS);
        let (t, r) = time_ms(|| l.stock_by_lot(Some(&sku(i)), None, None));
        assert!(!r?.is_empty());
        sbl.push(t);
        let n = rng.gen_range(0..LOTS_PER_ITEM);
        let (t, r) = time_ms(|| l.lot_transactions(&sku(i), &lot(i, n)));
        assert!(!r?.is_empty());
        ltx.push(t);
    }
    // Trace lots that went into kits (the interesting case), and kits back to their components.
    let traced: Vec<(String, String)> = l.read(|c| {
        Ok(c.prepare("SELECT i.sku, lt.code FROM movements m JOIN items i ON i.id = m.item_id JOIN lots lt ON lt.id = m.lot_id WHERE m.kind IN ('consume', 'produce') ORDER BY m.seq LIMIT 50")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    })?;
    for (item, code) in &traced {
        let (t, r) = time_ms(|| l.trace(item, Some(code), None));
        r?;
        trc.push(t);
    }
    for (name, v) in [
        ("stock-by-lot, one item (median)", sbl),
        ("lot-transactions, one lot (median)", ltx),
        ("trace, one lot (median)", trc),
    ] {
        let m = median_ms(v);
        rows.push(Row {
            name,
            value_ms: m,
            target: "< 20 ms".into(),
            pass: m < 20.0,
        });
    }

    // The console's dashboard and a lot page, as the server makes them.
    #[cfg(feature = "console")]
    console_pages(
        Ledger::open(&path)?,
        &traced,
        [
            "console dashboard page over HTTP (median of 20)",
            "console lot page over HTTP (median of 20)",
        ],
        &mut rows,
    )?;

    // 6. Compliance: FSMA 204 for the last 30 days of every item (the command's whole work: the
    // ledger read, the sheets, the .xlsx), one lot's FSMA 204 and EPCIS, a recall report.
    let today = Local::now().date_naive();
    let month = Scope {
        from: today - Days::new(30),
        to: today,
        item: None,
        lot: None,
        max_movements: None,
    };
    let (mut fsma_t, mut read_t, mut sheets_t, mut xlsx_t) = (vec![], vec![], vec![], vec![]);
    let mut month_rows = 0;
    for _ in 0..3 {
        let (t_read, data) = time_ms(|| l.trace_data(&month, false));
        let data = data?;
        let (t_sheets, wb) = time_ms(|| fsma::workbook(&data));
        let (t_xlsx, bytes) = time_ms(|| fsma::xlsx_bytes(&wb));
        bytes.map_err(|e| anyhow::anyhow!("{e}"))?;
        month_rows = data.movements.len();
        read_t.push(t_read);
        sheets_t.push(t_sheets);
        xlsx_t.push(t_xlsx);
        fsma_t.push(t_read + t_sheets + t_xlsx);
    }
    let m = median_ms(fsma_t);
    rows.push(Row {
        name: "FSMA 204, 30 days, every item, to .xlsx (median of 3)",
        value_ms: m,
        target: format!("< 2000 ms ({month_rows} movements)"),
        pass: m < 2000.0,
    });
    for (name, v) in [
        ("  of which: the ledger read", read_t),
        ("  of which: the sheets", sheets_t),
        ("  of which: the .xlsx", xlsx_t),
    ] {
        rows.push(Row {
            name,
            value_ms: median_ms(v),
            target: "part".into(),
            pass: true,
        });
    }
    let year = Scope {
        from: today - Days::new(400),
        to: today,
        item: None,
        lot: None,
        max_movements: None,
    };
    let (mut one_lot, mut recall) = (Vec::new(), Vec::new());
    for (item, code) in &traced {
        let scope = Scope {
            item: Some(item.clone()),
            lot: Some(code.clone()),
            ..year.clone()
        };
        let (t, r) = time_ms(|| -> anyhow::Result<()> {
            let data = l.trace_data(&scope, false)?;
            assert!(!data.movements.is_empty());
            let wb = fsma::workbook(&data);
            fsma::xlsx_bytes(&wb).map_err(|e| anyhow::anyhow!("{e}"))?;
            let opts = epcis::EpcisOptions {
                created: "2026-12-02T00:00:00Z".into(),
                private_base: "https://id.example.com".into(),
            };
            serde_json::to_vec(&epcis::document(&data, &opts))?;
            Ok(())
        });
        r?;
        one_lot.push(t);
        let (t, r) = time_ms(|| l.recall_report(item, code));
        r?;
        recall.push(t);
    }
    for (name, v, limit) in [
        ("FSMA 204 .xlsx and EPCIS, one lot (median)", one_lot, 100.0),
        ("recall report, one lot (median)", recall, 50.0),
    ] {
        let m = median_ms(v);
        rows.push(Row {
            name,
            value_ms: m,
            target: format!("< {limit} ms"),
            pass: m < limit,
        });
    }

    // 7. The full expiry report.
    let mut exp = Vec::new();
    for _ in 0..5 {
        let (t, r) = time_ms(|| l.expiry_report(&ExpiryFilter::default()));
        assert!(r?.len() as i64 >= lots - 1);
        exp.push(t);
    }
    let m = median_ms(exp);
    rows.push(Row {
        name: "expiry report, all lots (median)",
        value_ms: m,
        target: "< 500 ms".into(),
        pass: m < 500.0,
    });

    // The same pages with the back office on PostgreSQL, when a server is named: this run's
    // database moved there by migrate-server (timed too), in a schema of its own.
    #[cfg(all(feature = "console", feature = "postgres"))]
    if let Ok(base) = std::env::var("LOTKEEPER_BENCH_POSTGRES") {
        drop(l);
        // The bare-insert reference table is the bench's, not the schema's.
        bare.execute_batch("DROP TABLE bench_bare")?;
        drop(bare);
        let pg = pg_schema::Schema::new(&base, "bench_ledger");
        let (t, r) = time_ms(|| lotkeeper::ledger::pg::migrate::migrate_server(&path, &pg.url));
        r?;
        rows.push(Row {
            name: "PostgreSQL: migrate-server of this database",
            value_ms: t,
            target: "reference".into(),
            pass: true,
        });
        console_pages(
            Ledger::open_postgres(&pg.url)?,
            &traced,
            [
                "PostgreSQL: console dashboard page (median of 20)",
                "PostgreSQL: console lot page (median of 20)",
            ],
            &mut rows,
        )?;
    }

    if o.json {
        let out: Vec<_> = rows
            .iter()
            .map(|r| serde_json::json!({"name": r.name, "ms": (r.value_ms * 1000.0).round() / 1000.0, "target": r.target, "pass": r.pass}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"movements": count, "lots": lots, "items": ITEMS, "results": out})
            )?
        );
    } else {
        println!(
            "database: {} ({count} movements, {lots} lots, {ITEMS} items)",
            path.display()
        );
        for r in &rows {
            println!(
                "{:<42} {:>10.3} ms   {:<4} {}",
                r.name,
                r.value_ms,
                if r.pass { "ok" } else { "MISS" },
                r.target
            );
        }
    }
    Ok(())
}
