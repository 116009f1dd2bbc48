//! Several `lotkeeper serve` processes on one database: devices of both push conflicting
//! movements at the same moment, and the database decides once. Each serial shipped by two
//! devices through two servers is accepted once; a lot's last units are never allocated twice;
//! the balances are the journal's sums. Then one server is killed during the pushes and comes
//! back: nothing is lost or applied twice once the devices sync again.

use crate::harness::*;
use crate::sync::{free_port, spawn_serve, Site};
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

#[test]
fn two_servers_on_one_database_accept_each_conflict_once() {
    let mut site = Site::new();
    site.server.take().unwrap().stop();
    let ports = [free_port(), free_port()];
    let mut servers: Vec<_> = ports.iter().map(|p| spawn_serve(&site.db(), *p)).collect();
    let serials: Vec<String> = (0..DEVICES / 2).map(|j| format!("SN{j}")).collect();
    {
        let mut l = site.ledger();
        receive_lot(&mut l, "PARA", "P1", Some("2099-12-31"), 10, "A1");
        let refs: Vec<&str> = serials.iter().map(String::as_str).collect();
        receive_serials(&mut l, "PHONE", None, None, &refs, "A1");
    }
    // Devices alternate between the two servers, and enroll all at once (each gets its own
    // lot tag from whichever server it asks).
    let devices: Vec<Ledger> = (0..DEVICES)
        .map(|k| {
            let name = format!("dev-{k}");
            let token = new_token();
            site.ledger()
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

    let server = site.ledger();
    let shipped = |item: &str| -> Vec<(Option<String>, Option<String>, i64)> {
        server
            .read(|c| {
                Ok(c.prepare(
                    "SELECT lt.code, s.serial, m.qty FROM movements m JOIN items i ON i.id = m.item_id
                     LEFT JOIN lots lt ON lt.id = m.lot_id LEFT JOIN serials s ON s.id = m.serial_id
                     WHERE m.kind = 'ship' AND i.sku = ?",
                )?
                .query_map([item], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?)
            })
            .unwrap()
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
    let c = rusqlite::Connection::open(site.db()).unwrap();
    assert_eq!(balances_off_the_journal(&c), 0);
    let tags: std::collections::BTreeSet<String> = server
        .read(|c| {
            Ok(
                c.prepare("SELECT lot_tag FROM devices WHERE lot_tag IS NOT NULL")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?,
            )
        })
        .unwrap();
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
    let db = site.db();
    let mut first = servers.remove(0);
    let port = ports[0];
    let killer = std::thread::spawn(move || {
        let watch = Ledger::open(&db).unwrap();
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
        (spawn_serve(&db, port), at_kill)
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
    assert_eq!(
        site.ledger().query().movement_count().unwrap(),
        before + made
    );
    let c = rusqlite::Connection::open(site.db()).unwrap();
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    assert_eq!(balances_off_the_journal(&c), 0);
    for (k, l) in devices.iter().enumerate() {
        assert_eq!(
            qty_at(l, "FLOUR", None, "A2"),
            qty_at(&site.ledger(), "FLOUR", None, "A2"),
            "device {k} sees the server's stock"
        );
    }
    for s in servers.iter_mut() {
        s.kill().unwrap();
        s.wait().unwrap();
    }
}
