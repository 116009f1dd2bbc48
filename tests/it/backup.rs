//! Backups, restores and a replaced handheld: `lotkeeper backup` copies a database while a writer
//! commits, `restore` puts a backup back (a leftover -wal cannot replay over it), and `device
//! recover` pushes a lost device's movements once, from its file or a backup of it.

use crate::harness::*;
use crate::sync::Site;
use lotkeeper::ledger::{LotAction, ReceiveCmd, ShipCmd};
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
    assert_eq!(site.ledger().query().movement_count().unwrap(), count);
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
