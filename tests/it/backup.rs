//! Backups, restores and a replaced handheld: `lotkeeper backup` copies a database while a writer
//! commits, `restore` puts a backup back (a leftover -wal cannot replay over it), and `device
//! recover` pushes a lost device's movements once, from its file or a backup of it.

use crate::harness::*;
use crate::sync::Site;
use lotkeeper::ledger::{LotAction, LotStatus, ReceiveCmd, ShipCmd};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn ok(db: &std::path::Path, args: &[&str]) -> String {
    let out = run_with_db(db, args);
    assert!(
        out.status.success(),
        "lotkeeper {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn refused(db: &std::path::Path, args: &[&str]) -> String {
    let out = run_with_db(db, args);
    assert_eq!(out.status.code(), Some(1), "lotkeeper {args:?} should fail");
    String::from_utf8(out.stderr).unwrap()
}

fn movement_ids(c: &rusqlite::Connection) -> Vec<String> {
    c.prepare("SELECT id FROM movements ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_backup_taken_while_a_writer_commits_is_one_whole_snapshot_and_restores() {
    let d = Dir::for_crash_writer();
    // A writer posting batches (a receipt and a transfer each) as fast as it can.
    let mut child = Command::new(bin())
        .arg("--db")
        .arg(d.db())
        .args(["crash-writer", "--count", "100000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the writer committed nothing");
    let mut committed: Vec<String> = Vec::new();
    let mut sizes = Vec::new();
    for n in 0..4 {
        committed.extend(rx.try_iter());
        let before = committed.len();
        let to = d.dir.path().join(format!("b{n}.db"));
        ok(&d.db(), &["backup", "--to", to.to_str().unwrap()]);
        let c = rusqlite::Connection::open(&to).unwrap();
        let check: String = c
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        // One snapshot: whole batches only, and balances that are the sum of its journal.
        let half: i64 = c
            .query_row("SELECT count(*) FROM (SELECT batch_id FROM movements GROUP BY batch_id HAVING count(*) <> 2)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(half, 0, "backup {n} holds half a batch");
        assert_eq!(balances_off_the_journal(&c), 0, "backup {n}");
        // Every batch committed before the backup began is in it.
        let ids = movement_ids(&c);
        for id in &committed[..before] {
            assert!(ids.binary_search(id).is_ok(), "backup {n} lost {id}");
        }
        sizes.push(ids.len());
        // The copy is one file for its owner only.
        assert!(!to.with_extension("db-wal").exists());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&to).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    reader.join().unwrap();
    assert!(
        sizes.windows(2).all(|w| w[0] <= w[1]) && sizes[0] < *sizes.last().unwrap(),
        "the writer kept committing while the backups ran: {sizes:?}"
    );

    // Restore the last backup over the live database, which went on after it.
    let last = d.dir.path().join("b3.db");
    let err = refused(&d.db(), &["restore", "--from", last.to_str().unwrap()]);
    assert!(err.contains("add --replace"), "{err}");
    let out = ok(
        &d.db(),
        &[
            "restore",
            "--from",
            last.to_str().unwrap(),
            "--replace",
            "--format",
            "json",
        ],
    );
    assert_eq!(json(&out)["movements"], sizes[3] as i64);
    let restored = rusqlite::Connection::open(d.db()).unwrap();
    let backup = rusqlite::Connection::open(&last).unwrap();
    assert_eq!(movement_ids(&restored), movement_ids(&backup));
    assert_eq!(balances_off_the_journal(&restored), 0);
    // It is a working database again: the app posts to it.
    d.ok(&[
        "receive",
        "--item",
        "CRASH-ITEM",
        "--qty",
        "1",
        "--lot",
        "AFTER",
        "--to",
        "CRASH-BIN",
    ]);

    // What a backup refuses, changing nothing.
    let err = refused(&d.db(), &["backup", "--to", last.to_str().unwrap()]);
    assert!(err.contains("never overwrites"), "{err}");
    let junk = d.file("junk.db", "not a database");
    let err = refused(&d.db(), &["restore", "--from", junk.to_str().unwrap()]);
    assert!(err.contains("not a readable SQLite database"), "{err}");
    let err = refused(&d.dir.path().join("none.db"), &["backup", "--to", "x.db"]);
    assert!(err.contains("no database at"), "{err}");
}

#[test]
fn a_restore_is_not_undone_by_a_leftover_write_ahead_log() {
    let d = Dir::new();
    d.ok(&["demo"]);
    let b = d.dir.path().join("before.db");
    ok(&d.db(), &["backup", "--to", b.to_str().unwrap()]);
    // Later work, still in the -wal of a database whose writer is open (a server running).
    let wal = d.db().with_extension("db-wal");
    let kept = d.dir.path().join("kept-wal");
    {
        let mut l = lotkeeper::ledger::Ledger::open(&d.db()).unwrap();
        l.receive(&ReceiveCmd {
            item: "GLOVE-M".into(),
            qty: 5,
            to: "A-01-01".into(),
            supplier: Some("Acme".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(std::fs::metadata(&wal).unwrap().len() > 0);
        std::fs::copy(&wal, &kept).unwrap();
    }
    // The server stopped uncleanly: its -wal is still there when the backup goes back.
    std::fs::copy(&kept, &wal).unwrap();
    ok(
        &d.db(),
        &["restore", "--from", b.to_str().unwrap(), "--replace"],
    );
    let restored = rusqlite::Connection::open(d.db()).unwrap();
    let backup = rusqlite::Connection::open(&b).unwrap();
    assert_eq!(movement_ids(&restored), movement_ids(&backup));
    assert_eq!(balances_off_the_journal(&restored), 0);
}

#[test]
fn a_replaced_handheld_s_movements_are_recovered_from_its_file_once() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    // Offline: a receipt, then a backup of the handheld, which syncs that receipt later.
    receive_para(&mut a.ledger, "P2", 20);
    let backup = site.dir.path().join("dev-a-monday.db");
    a.ledger.backup_to(&backup).unwrap();
    assert_eq!(a.sync().unwrap().accepted, 1);
    // More offline work that never reaches the server: a shipment and a hold, then the
    // handheld is lost and its token revoked.
    a.ledger
        .ship(&ShipCmd {
            item: "PARA".into(),
            qty: 4,
            from: "A1".into(),
            lot: Some("P1".into()),
            customer: Some("Ann".into()),
            ..Default::default()
        })
        .unwrap();
    a.ledger
        .change_lot_status("PARA", "P2", LotAction::Hold, "leaking cartons", None)
        .unwrap();
    receive_para(&mut a.ledger, "P3", 7);
    let file = a.path.clone();
    drop(a);
    let server = site.db();
    ok(&server, &["device", "revoke", "dev-a"]);
    let before = std::fs::read(&file).unwrap();

    // The Monday backup: everything in it is already on the server.
    let r = json(&ok(
        &server,
        &[
            "device",
            "recover",
            "--from",
            backup.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        (
            r["device"].as_str(),
            r["accepted"].as_i64(),
            r["already"].as_i64()
        ),
        (Some("dev-a"), Some(0), Some(1))
    );
    // The handheld's own file: the shipment, the hold and the last receipt, in that order
    // (the hold before the receipt made after it).
    let out = ok(
        &server,
        &["device", "recover", "--from", file.to_str().unwrap()],
    );
    assert!(
        out.contains("2 movements the server did not have, 0 it already had, 1 lot status changes, 0 refused"),
        "{out}"
    );
    let l = site.ledger();
    assert_eq!(qty_at(&l, "PARA", Some("P1"), "A1"), 6);
    assert_eq!(qty_at(&l, "PARA", Some("P3"), "A1"), 7);
    assert_eq!(
        l.query().lot("PARA", "P2").unwrap().unwrap().status,
        lotkeeper::ledger::LotStatus::Quarantine
    );
    let count = l.query().movement_count().unwrap();
    // Again: nothing more, and the file was only read.
    let r = json(&ok(
        &server,
        &[
            "device",
            "recover",
            "--from",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        (r["accepted"].as_i64(), r["already"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(site.ledger().query().movement_count().unwrap(), count);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    // The replacement handheld pulls it all.
    let b = site.device("dev-b");
    assert_eq!(qty_at(&b.ledger, "PARA", Some("P1"), "A1"), 6);
    assert_eq!(qty_at(&b.ledger, "PARA", Some("P3"), "A1"), 7);
    let c = rusqlite::Connection::open(&server).unwrap();
    assert_eq!(balances_off_the_journal(&c), 0);

    // Files that are not a device of this server are refused, and change nothing.
    let err = refused(
        &server,
        &["device", "recover", "--from", server.to_str().unwrap()],
    );
    assert!(err.contains("never enrolled"), "{err}");
    let other = Site::new();
    let err = refused(
        &other.db(),
        &["device", "recover", "--from", file.to_str().unwrap()],
    );
    assert!(err.contains("no device named dev-a"), "{err}");
    // Another server that has a device of the same name is not this one.
    let _namesake = other.device("dev-a");
    let before_other = other.ledger().query().movement_count().unwrap();
    let err = refused(
        &other.db(),
        &["device", "recover", "--from", file.to_str().unwrap()],
    );
    assert!(err.contains("synced with another server"), "{err}");
    assert_eq!(
        other.ledger().query().movement_count().unwrap(),
        before_other
    );
    assert_eq!(site.ledger().query().movement_count().unwrap(), count);
}

#[test]
fn a_recovery_the_rules_refuse_in_part_says_so_and_exits_2() {
    let site = Site::new();
    let (mut a, mut b) = (site.device("dev-a"), site.device("dev-b"));
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    b.sync().unwrap();
    // Both ship the last 10 offline; dev-a syncs, dev-b is lost.
    for (d, who) in [(&mut a, "Ann"), (&mut b, "Bob")] {
        d.ledger
            .ship(&ShipCmd {
                item: "PARA".into(),
                qty: 10,
                from: "A1".into(),
                lot: Some("P1".into()),
                customer: Some(who.into()),
                ..Default::default()
            })
            .unwrap();
    }
    a.sync().unwrap();
    let out = run_with_db(
        &site.db(),
        &[
            "device",
            "recover",
            "--from",
            b.path.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let r = json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(r["accepted"], 0);
    assert!(
        r["refused"][0]["reason"].as_str().unwrap().contains("P1"),
        "{r}"
    );
    assert!(String::from_utf8(out.stderr).unwrap().contains("refused"));
}

#[test]
fn a_restore_refuses_a_database_in_use_or_of_another_kind() {
    let d = Dir::new();
    d.ok(&["demo"]);
    let b = d.dir.path().join("b.db");
    ok(&d.db(), &["backup", "--to", b.to_str().unwrap()]);
    // A server has it open.
    let port = crate::sync::free_port();
    let mut server = crate::sync::spawn_serve(&d.db(), port);
    let before = movement_ids(&rusqlite::Connection::open(d.db()).unwrap());
    let err = refused(
        &d.db(),
        &["restore", "--from", b.to_str().unwrap(), "--replace"],
    );
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(err.contains("open in another program"), "{err}");
    assert_eq!(
        movement_ids(&rusqlite::Connection::open(d.db()).unwrap()),
        before
    );
    // Not a lotkeeper database: never replaced, --replace or not.
    let other = d.dir.path().join("bookmarks.sqlite");
    let c = rusqlite::Connection::open(&other).unwrap();
    c.execute_batch("CREATE TABLE bookmarks (url TEXT); INSERT INTO bookmarks VALUES ('x')")
        .unwrap();
    drop(c);
    for extra in [&[][..], &["--replace"][..]] {
        let mut args = vec!["restore", "--from", b.to_str().unwrap()];
        args.extend_from_slice(extra);
        let err = refused(&other, &args);
        assert!(err.contains("not a lotkeeper database"), "{err}");
    }
    let n: i64 = rusqlite::Connection::open(&other)
        .unwrap()
        .query_row("SELECT count(*) FROM bookmarks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
    // A handheld's backup over a back office with devices.
    d.ok(&["device", "add", "dev-a"]);
    let handheld = d.dir.path().join("h.db");
    let h = run_with_db(
        &handheld,
        &[
            "enroll",
            "--server",
            "http://127.0.0.1:9",
            "--token",
            "lk_0000000000000000000000000000000000000000000",
            "--device",
            "dev-a",
        ],
    );
    assert!(h.status.success(), "{}", String::from_utf8_lossy(&h.stderr));
    let hb = d.dir.path().join("hb.db");
    ok(&handheld, &["backup", "--to", hb.to_str().unwrap()]);
    let err = refused(
        &d.db(),
        &["restore", "--from", hb.to_str().unwrap(), "--replace"],
    );
    assert!(err.contains("a handheld's database"), "{err}");
    // Nor over the handheld itself, nor anywhere: it would print its SSCCs again.
    for target in [&handheld, &d.dir.path().join("new.db")] {
        let err = refused(
            target,
            &["restore", "--from", hb.to_str().unwrap(), "--replace"],
        );
        assert!(err.contains("device recover"), "{err}");
    }
}

#[test]
fn a_backup_only_reads_the_database_it_copies() {
    // A database an older lotkeeper wrote (a server not yet upgraded): copied as it is, not
    // migrated under the program that uses it.
    let d = Dir::new();
    let old = rusqlite::Connection::open(d.db()).unwrap();
    old.execute_batch(&crate::upgrade::fixture(11)).unwrap();
    drop(old);
    let to = d.dir.path().join("copy.db");
    let out = json(&ok(
        &d.db(),
        &["backup", "--to", to.to_str().unwrap(), "--format", "json"],
    ));
    assert_eq!(out["schema_version"], 11);
    let version = |p: &std::path::Path| -> i64 {
        rusqlite::Connection::open(p)
            .unwrap()
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!((version(&d.db()), version(&to)), (11, 11));
    // Restoring it brings it to this build's schema, with its movements.
    let restored = d.dir.path().join("restored.db");
    let out = json(&ok(
        &restored,
        &[
            "restore",
            "--from",
            to.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        out["schema_version"],
        lotkeeper::ledger::store::latest_version()
    );
    assert_eq!(
        movement_ids(&rusqlite::Connection::open(&restored).unwrap()),
        movement_ids(&rusqlite::Connection::open(&to).unwrap())
    );
}

#[test]
fn a_server_restored_from_a_backup_gets_back_what_a_device_pushed_since() {
    let mut site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    let bk = site.dir.path().join("server-monday.db");
    site.ledger().backup_to(&bk).unwrap();
    // Pushed and accepted after the backup: the device's outbox says accepted.
    receive_para(&mut a.ledger, "P2", 5);
    assert_eq!(a.sync().unwrap().accepted, 1);
    // The server goes back to Monday.
    site.server.take().unwrap().stop();
    lotkeeper::ledger::backup::restore(&bk, &site.db(), true).unwrap();
    assert_eq!(qty_at(&site.ledger(), "PARA", Some("P2"), "A1"), 0);
    let r = json(&ok(
        &site.db(),
        &[
            "device",
            "recover",
            "--from",
            a.path.to_str().unwrap(),
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        (r["accepted"].as_i64(), r["already"].as_i64()),
        (Some(1), Some(0)),
        "{r}"
    );
    assert_eq!(qty_at(&site.ledger(), "PARA", Some("P2"), "A1"), 5);
    assert_eq!(qty_at(&site.ledger(), "PARA", Some("P1"), "A1"), 10);
    let c = rusqlite::Connection::open(site.db()).unwrap();
    assert_eq!(balances_off_the_journal(&c), 0);
}

#[test]
fn a_device_of_a_restored_server_pulls_it_again_and_pushes_what_the_server_lost() {
    let mut site = Site::new();
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    let bk = site.dir.path().join("server-monday.db");
    site.ledger().backup_to(&bk).unwrap();
    receive_para(&mut a.ledger, "P2", 5);
    a.sync().unwrap();
    b.sync().unwrap();
    assert_eq!(qty_at(&b.ledger, "PARA", Some("P2"), "A1"), 5);
    // The server goes back to Monday, and the back office receives P3 there: it takes the
    // position in the log that P2 had, which dev-b has already pulled past.
    site.server.take().unwrap().stop();
    lotkeeper::ledger::backup::restore(&bk, &site.db(), true).unwrap();
    receive_para(&mut site.ledger(), "P3", 7);
    let server =
        lotkeeper::sync::server::RunningServer::start(&site.db(), "127.0.0.1:0", None).unwrap();
    for (d, name) in [(&mut a, "dev-a"), (&mut b, "dev-b")] {
        let token = d.token.clone();
        d.ledger.enroll(&server.url(), &token, name).unwrap();
    }

    let rb = b.sync().unwrap();
    assert_eq!(rb.pending_again, 0, "dev-b had pushed nothing");
    assert_eq!(
        qty_at(&b.ledger, "PARA", Some("P3"), "A1"),
        7,
        "P3 reached dev-b"
    );
    let ra = a.sync().unwrap();
    assert_eq!(
        (ra.pending_again, ra.accepted, ra.rejected),
        (2, 2, 0),
        "{ra:?}"
    );
    let l = site.ledger();
    for (lot, qty) in [("P1", 10), ("P2", 5), ("P3", 7)] {
        assert_eq!(
            qty_at(&l, "PARA", Some(lot), "A1"),
            qty,
            "{lot} on the server"
        );
        assert_eq!(
            qty_at(&a.ledger, "PARA", Some(lot), "A1"),
            qty,
            "{lot} on dev-a"
        );
    }
    let c = rusqlite::Connection::open(site.db()).unwrap();
    assert_eq!(balances_off_the_journal(&c), 0);
    let ids: Vec<String> = movement_ids(&c);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids, unique, "nothing twice");
    // The next sync is an ordinary one.
    let again = a.sync().unwrap();
    assert_eq!((again.pending_again, again.pushed), (0, 0));
    drop(server);
}

#[test]
fn after_a_restore_lot_events_follow_the_new_log_and_another_server_s_device_is_refused() {
    let mut site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    receive_para(&mut a.ledger, "P2", 10);
    a.sync().unwrap();
    let bk = site.dir.path().join("server-monday.db");
    site.ledger().backup_to(&bk).unwrap();
    // After the backup: the server holds and releases P1 (dev-a learns both), and dev-a holds P2.
    let mut l = site.ledger();
    l.change_lot_status("PARA", "P1", LotAction::Hold, "check", None)
        .unwrap();
    l.change_lot_status("PARA", "P1", LotAction::Release, "ok", None)
        .unwrap();
    drop(l);
    a.ledger
        .change_lot_status("PARA", "P2", LotAction::Hold, "damp boxes", None)
        .unwrap();
    a.sync().unwrap();
    // Back to Monday; then the back office recalls P1, at a position the old log had used.
    site.server.take().unwrap().stop();
    lotkeeper::ledger::backup::restore(&bk, &site.db(), true).unwrap();
    site.ledger()
        .change_lot_status("PARA", "P1", LotAction::Recall, "supplier recall", None)
        .unwrap();
    let server =
        lotkeeper::sync::server::RunningServer::start(&site.db(), "127.0.0.1:0", None).unwrap();
    let token = a.token.clone();
    a.ledger.enroll(&server.url(), &token, "dev-a").unwrap();
    a.sync().unwrap();
    let status = |l: &lotkeeper::ledger::Ledger, lot: &str| {
        l.query().lot("PARA", lot).unwrap().unwrap().status
    };
    assert_eq!(
        status(&a.ledger, "P1"),
        LotStatus::Recalled,
        "the recall reached dev-a"
    );
    assert_eq!(status(&a.ledger, "P2"), LotStatus::Quarantine);
    assert_eq!(
        status(&site.ledger(), "P2"),
        LotStatus::Quarantine,
        "dev-a's hold, lost by the restore, was pushed again"
    );

    // A copy of dev-a's database enrolled with another server is refused there, untouched.
    let other = Site::new();
    let token = lotkeeper::sync::new_token();
    other
        .ledger()
        .add_device("dev-a", &lotkeeper::sync::hash_token(&token))
        .unwrap();
    let copy = site.dir.path().join("dev-a-copy.db");
    a.ledger.backup_to(&copy).unwrap();
    let mut stray = lotkeeper::ledger::Ledger::open(&copy).unwrap();
    stray.enroll(&other.url, &token, "dev-a").unwrap();
    let c = lotkeeper::sync::client::Client::for_ledger(&stray).unwrap();
    let e = lotkeeper::sync::client::sync_once(&mut stray, &c)
        .expect_err("another server's log")
        .to_string();
    assert!(e.contains("synced with another server"), "{e}");
    let c = rusqlite::Connection::open(other.db()).unwrap();
    assert_eq!(
        movement_ids(&c).len(),
        0,
        "nothing reached the other server"
    );
    drop(server);
}

#[test]
fn a_restored_back_office_never_gives_out_again_what_the_replaced_one_gave() {
    let d = Dir::new();
    let mut l = lotkeeper::ledger::Ledger::open(&d.db()).unwrap();
    l.set_sscc_parts("9506000", "3").unwrap();
    l.add_device("k0", "hash-k0").unwrap();
    let k0 = l.device_sscc_assignment("k0").unwrap().unwrap();
    let bk = d.dir.path().join("monday.db");
    l.backup_to(&bk).unwrap();
    // After the backup: k1 is enrolled, gets a block and a lot tag; the back office prints an
    // SSCC of its own.
    l.add_device("k1", "hash-k1").unwrap();
    let k1 = l.device_sscc_assignment("k1").unwrap().unwrap();
    let k1_tag = l.device_lot_tag("k1").unwrap();
    let own = l.issue_sscc().unwrap();
    drop(l);
    ok(
        &d.db(),
        &["restore", "--from", bk.to_str().unwrap(), "--replace"],
    );
    // Back on Monday's database, k2 is enrolled: nothing k1 or the back office had is given again.
    let mut l = lotkeeper::ledger::Ledger::open(&d.db()).unwrap();
    l.add_device("k2", "hash-k2").unwrap();
    let k2 = l.device_sscc_assignment("k2").unwrap().unwrap();
    assert!(
        ![k0.block, k1.block].contains(&k2.block),
        "{k2:?} after {k0:?} and {k1:?}"
    );
    assert_ne!(l.device_lot_tag("k2").unwrap(), k1_tag);
    assert_ne!(l.issue_sscc().unwrap(), own);
}

/// `device recover` into a back office on PostgreSQL: the lost handheld's movements and lot
/// change go in once, as on a SQLite back office.
#[cfg(feature = "postgres")]
#[test]
fn a_replaced_handheld_is_recovered_into_a_postgres_back_office_once() {
    let Some(pg) = PgSchema::new("recover") else {
        return;
    };
    let mut site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    // Offline work that never reaches the server, then the handheld is lost.
    a.ledger
        .ship(&ShipCmd {
            item: "PARA".into(),
            qty: 4,
            from: "A1".into(),
            lot: Some("P1".into()),
            customer: Some("Ann".into()),
            ..Default::default()
        })
        .unwrap();
    a.ledger
        .change_lot_status("PARA", "P1", LotAction::Hold, "leaking cartons", None)
        .unwrap();
    receive_para(&mut a.ledger, "P3", 7);
    let file = a.path.clone();
    drop(a);
    // The back office moves to PostgreSQL, then recovers the file.
    site.server.take().unwrap().stop();
    let pg_ok = |args: &[&str]| -> String {
        let out = Command::new(bin())
            .args(["--database", &pg.url])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    pg_ok(&["migrate-server", "--from", site.db().to_str().unwrap()]);
    pg_ok(&["device", "revoke", "dev-a"]);
    let recover = [
        "device",
        "recover",
        "--from",
        file.to_str().unwrap(),
        "--format",
        "json",
    ];
    let r = json(&pg_ok(&recover));
    assert_eq!(
        (
            r["accepted"].as_i64(),
            r["already"].as_i64(),
            r["lot_changes_accepted"].as_i64()
        ),
        (Some(2), Some(0), Some(1)),
        "{r}"
    );
    let l = lotkeeper::ledger::Ledger::open_postgres(&pg.url).unwrap();
    assert_eq!(qty_at(&l, "PARA", Some("P1"), "A1"), 6);
    assert_eq!(qty_at(&l, "PARA", Some("P3"), "A1"), 7);
    assert_eq!(
        l.query().lot("PARA", "P1").unwrap().unwrap().status,
        LotStatus::Quarantine
    );
    let count = l.query().movement_count().unwrap();
    // Again: nothing more.
    let r = json(&pg_ok(&recover));
    assert_eq!(
        (r["accepted"].as_i64(), r["already"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(l.query().movement_count().unwrap(), count);
    assert_eq!(l.query().balances_off_the_journal().unwrap(), 0);
}
