//! Several `lotkeeper serve` processes on one database: devices of both push conflicting
//! movements at the same moment, and the database decides once. Each serial shipped by two
//! devices through two servers is accepted once; a lot's last units are never allocated twice;
//! the balances are the journal's sums. Then one server is killed during the pushes and comes
//! back: nothing is lost or applied twice once the devices sync again. The same test runs on a
//! SQLite file and on PostgreSQL (filled from that file by `migrate-server`).

use crate::harness::*;
use crate::sync::{free_port, spawn_serve_on, Site};
use lotkeeper::ledger::{FixedClock, Ledger, ShipCmd};
use lotkeeper::sync::client::{sync_once, Client, SyncError};
use lotkeeper::sync::{hash_token, new_token};
use std::sync::{Arc, Barrier};

const DEVICES: usize = 8;

/// Syncs until an answer comes (a server busy with the other's write answers later, not never).
fn sync_until_done(l: &mut Ledger) -> lotkeeper::sync::client::SyncReport {
    let c = Client::for_ledger(l).unwrap();
    let mut last = None;
    for _ in 0..50 {
        match sync_once(l, &c) {
            Ok(r) => return r,
            Err(e @ (SyncError::Offline(_) | SyncError::Http { .. })) if e.is_transient() => {
                last = Some(e.to_string());
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => panic!("sync failed: {e}"),
        }
    }
    panic!("no sync got through: {last:?}");
}

/// Runs `f` on every device at once, one thread each, started together.
fn all_at_once(devices: Vec<Ledger>, f: fn(&mut Ledger)) -> Vec<Ledger> {
    let start = Arc::new(Barrier::new(devices.len()));
    let threads: Vec<_> = devices
        .into_iter()
        .map(|mut l| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                f(&mut l);
                l
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// The back office the servers share.
#[derive(Clone)]
enum Back {
    File(std::path::PathBuf),
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl Back {
    fn ledger(&self) -> Ledger {
        match self {
            Back::File(p) => Ledger::open(p).unwrap(),
            #[cfg(feature = "postgres")]
            Back::Postgres(url) => Ledger::open_postgres(url).unwrap(),
        }
    }

    fn serve(&self, port: u16) -> std::process::Child {
        match self {
            Back::File(p) => spawn_serve_on(&["--db", p.to_str().unwrap()], port),
            #[cfg(feature = "postgres")]
            Back::Postgres(url) => spawn_serve_on(&["--database", url], port),
        }
    }
}

/// `lotkeeper migrate-server`: the SQLite back office at `db` into the PostgreSQL database `url`.
#[cfg(feature = "postgres")]
fn migrate_server(db: &std::path::Path, url: &str) {
    let out = std::process::Command::new(bin())
        .args(["--database", url, "migrate-server", "--from"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn two_servers_on_one_sqlite_file_accept_each_conflict_once() {
    two_servers_accept_each_conflict_once(None);
}

#[cfg(feature = "postgres")]
#[test]
fn two_servers_on_one_postgres_database_accept_each_conflict_once() {
    let Some(pg) = PgSchema::new("two_servers") else {
        return;
    };
    two_servers_accept_each_conflict_once(Some(&pg.url));
}

/// On the SQLite file of a fresh site, or (`postgres`: a connection string) on PostgreSQL.
fn two_servers_accept_each_conflict_once(postgres: Option<&str>) {
    let mut site = Site::new();
    site.server.take().unwrap().stop();
    let serials: Vec<String> = (0..DEVICES / 2).map(|j| format!("SN{j}")).collect();
    {
        let mut l = site.ledger();
        receive_lot(&mut l, "PARA", "P1", Some("2099-12-31"), 10, "A1");
        let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
        receive_serials(&mut l, "PHONE", None, None, &refs, "A1");
    }
    let back = match postgres {
        None => Back::File(site.db()),
        #[cfg(feature = "postgres")]
        Some(url) => {
            migrate_server(&site.db(), url);
            Back::Postgres(url.to_string())
        }
        #[cfg(not(feature = "postgres"))]
        Some(_) => unreachable!("no PostgreSQL store in this build"),
    };
    let ports = [free_port(), free_port()];
    let mut servers: Vec<_> = ports.iter().map(|p| back.serve(*p)).collect();
    // Devices alternate between the two servers, and enroll all at once (each gets its own
    // lot tag from whichever server it asks).
    let devices: Vec<Ledger> = (0..DEVICES)
        .map(|k| {
            let name = format!("dev-{k}");
            let token = new_token();
            back.ledger()
                .add_device(&name, &hash_token(&token))
                .unwrap();
            let mut l = Ledger::open(&site.dir.path().join(format!("{name}.db")))
                .unwrap()
                .with_clock(Arc::new(FixedClock::on(day(TODAY))));
            l.enroll(&format!("http://127.0.0.1:{}", ports[k % 2]), &token, &name)
                .unwrap();
            l
        })
        .collect();
    let mut devices = all_at_once(devices, |l| {
        sync_until_done(l);
    });
    // Offline, every device ships 2 of P1 (16 asked of 10), and each pair of devices, one on
    // each server, ships the same serial to two customers.
    for (k, l) in devices.iter_mut().enumerate() {
        l.ship(&ShipCmd {
            item: "PARA".into(),
            qty: 2,
            from: "A1".into(),
            lot: Some("P1".into()),
            customer: Some(format!("C{k}")),
            ..Default::default()
        })
        .unwrap();
        l.ship(&ShipCmd {
            item: "PHONE".into(),
            qty: 1,
            from: "A1".into(),
            serials: vec![format!("SN{}", k / 2)],
            customer: Some(format!("C{k}")),
            ..Default::default()
        })
        .unwrap();
    }
    // All push at the same moment, through both servers.
    let devices = all_at_once(devices, |l| {
        sync_until_done(l);
    });
    let mut devices = devices;
    for l in devices.iter_mut() {
        sync_until_done(l);
    }

    let mut server = back.ledger();
    let shipped = |item: &str| -> Vec<(Option<String>, Option<String>, i64)> {
        server
            .query()
            .journal(0, i64::MAX)
            .unwrap()
            .into_iter()
            .filter(|m| m.kind == lotkeeper::ledger::MovementKind::Ship && m.item == item)
            .map(|m| (m.lot, m.serial, m.qty))
            .collect()
    };
    // Five of the eight shipments of P1: every unit once, none twice.
    let p1 = shipped("PARA");
    assert_eq!(p1.len(), 5, "{p1:?}");
    assert_eq!(qty_at(&server, "PARA", Some("P1"), "A1"), 0);
    // Each serial once, whichever server took it first.
    let mut phones: Vec<String> = shipped("PHONE").into_iter().filter_map(|r| r.1).collect();
    phones.sort();
    assert_eq!(phones, serials);
    // The devices agree: each accepted what the server kept, and holds the rest as conflicts.
    let (mut accepted, mut conflicts) = (0, 0);
    for l in &devices {
        let (pending, c) = l.outbox_counts().unwrap();
        assert_eq!(pending, 0);
        conflicts += c;
        accepted += l
            .read(|c| {
                c.query_row(
                    "SELECT count(*) FROM outbox WHERE state = 'accepted'",
                    [],
                    |r| r.get::<_, i64>(0),
                )
            })
            .unwrap();
        assert_eq!(qty_at(l, "PARA", Some("P1"), "A1"), 0);
    }
    assert_eq!((accepted, conflicts), (5 + 4, 3 + 4));
    assert_eq!(server.query().balances_off_the_journal().unwrap(), 0);
    // Each device's tag as the server gave it on enrollment (asked again, the same one).
    let tags: std::collections::BTreeSet<String> = (0..DEVICES)
        .map(|k| server.device_lot_tag(&format!("dev-{k}")).unwrap())
        .collect();
    assert_eq!(tags.len(), DEVICES, "each device its own lot tag: {tags:?}");

    // Again with a crash: every device receives 300 units in 60 batches and all push at once;
    // the first server is killed (SIGKILL) once pushes are landing, and comes back.
    let before = server.query().movement_count().unwrap();
    for (k, l) in devices.iter_mut().enumerate() {
        for b in 0..60 {
            receive_lot(l, "FLOUR", &format!("K{k}-{b}"), None, 5, "A2");
        }
    }
    let made = (DEVICES * 60) as i64;
    let mut first = servers.remove(0);
    let port = ports[0];
    let again = back.clone();
    let killer = std::thread::spawn(move || {
        let watch = again.ledger();
        let mut at_kill = before;
        for _ in 0..20_000 {
            at_kill = watch.query().movement_count().unwrap();
            if at_kill > before {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        first.kill().unwrap();
        first.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        (again.serve(port), at_kill)
    });
    let mut devices = all_at_once(devices, |l| {
        sync_until_done(l);
    });
    let (first, at_kill) = killer.join().unwrap();
    servers.insert(0, first);
    assert!(
        at_kill > before && at_kill < before + made,
        "killed while pushes were landing ({} of {made})",
        at_kill - before
    );
    for l in devices.iter_mut() {
        sync_until_done(l);
        assert_eq!(l.outbox_counts().unwrap().0, 0);
    }
    // Every receipt once: none lost, none applied twice.
    let server = back.ledger();
    assert_eq!(server.query().movement_count().unwrap(), before + made);
    assert_eq!(server.query().balances_off_the_journal().unwrap(), 0);
    if let Back::File(db) = &back {
        let c = rusqlite::Connection::open(db).unwrap();
        let check: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        // Virtual locations too.
        assert_eq!(balances_off_the_journal(&c), 0);
    }
    for (k, l) in devices.iter().enumerate() {
        assert_eq!(
            qty_at(l, "FLOUR", None, "A2"),
            qty_at(&server, "FLOUR", None, "A2"),
            "device {k} sees the server's stock"
        );
    }
    for s in servers.iter_mut() {
        s.kill().unwrap();
        s.wait().unwrap();
    }
}

/// PostgreSQL gone while the server runs (its connections cut, as a restart of PostgreSQL
/// cuts them): a push gets a 503 the device takes as "offline, retry", nothing of it is
/// recorded, and the next sync goes through on new connections, each movement once.
#[cfg(feature = "postgres")]
#[test]
fn a_server_that_loses_postgres_answers_503_and_records_nothing() {
    use lotkeeper::sync::server::{Database, Options, RunningServer};
    let Some(pg) = PgSchema::new("lost") else {
        return;
    };
    // Its own application name, to cut this server's connections and no other test's.
    let app = format!("lk_lost_{}", std::process::id());
    let url = format!("{}&application_name={app}", pg.url);
    let mut site = Site::new();
    site.server.take().unwrap().stop();
    migrate_server(&site.db(), &url);
    let server = RunningServer::start_on(
        &Database::Postgres(url.clone()),
        "127.0.0.1:0",
        Options::default(),
    )
    .unwrap();
    let token = new_token();
    Ledger::open_postgres(&url)
        .unwrap()
        .add_device("d1", &hash_token(&token))
        .unwrap();
    let mut dev = Ledger::open(&site.dir.path().join("d1.db"))
        .unwrap()
        .with_clock(Arc::new(FixedClock::on(day(TODAY))));
    dev.enroll(&server.url(), &token, "d1").unwrap();
    let c = Client::for_ledger(&dev).unwrap();
    sync_once(&mut dev, &c).unwrap();
    receive_lot(&mut dev, "PARA", "L1", Some("2099-12-31"), 5, "A1");
    sync_once(&mut dev, &c).unwrap();
    let back = Ledger::open_postgres(&url).unwrap();
    let before = back.query().movement_count().unwrap();

    receive_lot(&mut dev, "PARA", "L2", Some("2099-12-31"), 7, "A1");
    let mut admin = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let cut = admin
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .unwrap()
        .len();
    assert!(cut > 0, "the server had connections to cut");
    let err = sync_once(&mut dev, &c).unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("503"), "{err}");
    assert_eq!(
        dev.outbox_counts().unwrap().0,
        1,
        "still pending on the device"
    );
    let back = Ledger::open_postgres(&pg.url).unwrap();
    assert_eq!(back.query().movement_count().unwrap(), before);

    let r = sync_once(&mut dev, &c).unwrap();
    assert_eq!((r.pushed, r.accepted), (1, 1));
    assert_eq!(back.query().movement_count().unwrap(), before + 1);
    assert_eq!(qty_at(&back, "PARA", Some("L2"), "A1"), 7);
    assert_eq!(back.query().balances_off_the_journal().unwrap(), 0);
    server.stop();
}

/// PostgreSQL that cannot be reached at start: `serve` says so, naming it (no password), and
/// exits 1.
#[cfg(feature = "postgres")]
#[test]
fn serve_says_clearly_when_postgres_cannot_be_reached() {
    let out = std::process::Command::new(bin())
        .args([
            "--database",
            "postgres://ops:secret@127.0.0.1:1/ledger",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot connect to PostgreSQL at postgres://ops@127.0.0.1:1/ledger"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}

/// `migrate-server` killed (SIGKILL) in the middle of its copy leaves PostgreSQL without a
/// ledger (the copy is one transaction), and run again it copies everything.
#[cfg(feature = "postgres")]
#[test]
fn migrate_server_killed_mid_copy_leaves_nothing_and_runs_again() {
    let Some(pg) = PgSchema::new("migrate_kill") else {
        return;
    };
    let mut site = Site::new();
    site.server.take().unwrap().stop();
    // Enough rows that the copy takes a while: 4,000 lots of opening stock.
    let mut csv = String::from("sku,location,lot,serial,expiry,qty\n");
    for i in 0..4_000 {
        csv.push_str(&format!("PARA,A1,K{i:05},,2099-01-01,{}\n", 1 + i % 9));
    }
    let stock = site.dir.path().join("stock.csv");
    std::fs::write(&stock, csv).unwrap();
    let out = run_with_db(&site.db(), &["import", "stock", stock.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made = Ledger::open(&site.db())
        .unwrap()
        .query()
        .movement_count()
        .unwrap();

    let mut child = std::process::Command::new(bin())
        .args(["--database", &pg.url, "migrate-server", "--from"])
        .arg(site.db())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed once the copy is under way (its lots or movements; the balances and the checks
    // are still to come): the schema is made (its own first transaction), and the copy's
    // transaction has written rows it has not committed.
    let mut admin = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let mut copying = false;
    for _ in 0..2_000 {
        copying = admin
            .query_opt(
                "SELECT 1 FROM pg_stat_activity
                 WHERE datname = current_database() AND application_name = 'lotkeeper'
                   AND state IN ('active', 'idle in transaction')
                   AND (query LIKE 'INSERT INTO lots %' OR query LIKE 'INSERT INTO movements %')",
                &[],
            )
            .unwrap()
            .is_some();
        if copying {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(copying, "killed while it copied");
    let l = Ledger::open_postgres(&pg.url).unwrap();
    assert_eq!(
        l.query().movement_count().unwrap(),
        0,
        "nothing half copied"
    );
    assert!(l.query().items().unwrap().is_empty());
    // Again, whole.
    migrate_server(&site.db(), &pg.url);
    assert_eq!(l.query().movement_count().unwrap(), made);
    assert_eq!(l.query().balances_off_the_journal().unwrap(), 0);
}
