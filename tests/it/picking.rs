//! Pick lists post exactly once, whatever instant the process dies at (the real binary, killed at
//! seeded random instants and at the exact point between posting and closing), and documents
//! close from their movements on the server and on every device (a real server over HTTP).

use crate::harness::*;
use crate::sync::Site;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::replica::MasterData;
use lotkeeper::ledger::{Ledger, MovementKind, ReceiveCmd};
use lotkeeper::workflow::pick::Pick;
use lotkeeper::workflow::{Event, Feedback, Workflow};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// FLOUR lot F1 at A1 and serials S1..Sn of PHONE at A2; pick lists PL-1..PL-n, each 3 FLOUR
/// and 1 PHONE for Bob, every pick confirmed as a draft (line 1 lot F1, line 2 serial Si).
/// Returns each list's draft movement ids.
fn drafted_lists(db: &std::path::Path, n: usize) -> HashMap<String, Vec<String>> {
    let mut l = Ledger::open(db).unwrap();
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    l.receive(&ReceiveCmd {
        item: "FLOUR".into(),
        qty: 1000,
        to: "A1".into(),
        lot: Some("F1".into()),
        ..Default::default()
    })
    .unwrap();
    let serials: Vec<String> = (1..=n).map(|i| format!("S{i}")).collect();
    l.receive(&ReceiveCmd {
        item: "PHONE".into(),
        qty: n as i64,
        to: "A2".into(),
        serials: serials.clone(),
        ..Default::default()
    })
    .unwrap();
    let mut csv = String::from("picklist,customer,sku,qty,due\n");
    for i in 1..=n {
        csv.push_str(&format!("PL-{i},Bob,FLOUR,3,\nPL-{i},Bob,PHONE,1,\n"));
    }
    l.import_csv(ImportKind::PickLists, &csv).unwrap();
    let mut ids = HashMap::new();
    for i in 1..=n {
        let number = format!("PL-{i}");
        let mut w = Pick::open(&l, &number).unwrap();
        for e in [
            "scan A1",
            "scan FLOUR",
            "enter F1",
            "confirm",
            "scan A2",
            "scan PHONE",
            &format!("enter S{i}"),
        ] {
            let o = w.handle(
                &mut l,
                lotkeeper::workflow::session::parse_event(e).unwrap(),
            );
            assert_ne!(o.feedback, Feedback::Refused, "{number} {e}: {o:?}");
        }
        assert_eq!(
            w.view().prompt,
            "All lines are picked: confirm to finish",
            "{number}"
        );
        let drafts = l.pick_drafts(&number).unwrap();
        assert_eq!(drafts.len(), 2, "{number}");
        ids.insert(
            number,
            drafts.iter().map(|d| d.movement_id.to_string()).collect(),
        );
    }
    ids
}

/// (status, draft ids, ids of the movements referencing the list) of a pick list.
fn state(conn: &rusqlite::Connection, number: &str) -> (String, Vec<String>, Vec<String>) {
    let status: String = conn
        .query_row(
            "SELECT status FROM pick_lists WHERE number = ?",
            [number],
            |r| r.get(0),
        )
        .unwrap();
    let list = |sql: &str| -> Vec<String> {
        conn.prepare(sql)
            .unwrap()
            .query_map([number], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    (
        status,
        list(
            "SELECT d.movement_id FROM pick_drafts d JOIN pick_lists p ON p.id = d.pick_list_id
             WHERE p.number = ? ORDER BY d.id",
        ),
        list("SELECT id FROM movements WHERE reference = ? ORDER BY seq"),
    )
}

/// Every list is posted exactly once with its drafts' ids, or not at all with its drafts kept.
fn assert_once_or_not_at_all(
    db: &std::path::Path,
    ids: &HashMap<String, Vec<String>>,
    when: &str,
) -> usize {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "{when}");
    let mut done = 0;
    for (number, want) in ids {
        match state(&conn, number) {
            (s, drafts, moved) if s == "done" => {
                assert!(drafts.is_empty(), "{when}: {number} done with drafts left");
                assert_eq!(&moved, want, "{when}: {number} posted other than once");
                done += 1;
            }
            (s, drafts, moved) => {
                assert_eq!(s, "open", "{when}: {number}");
                assert!(moved.is_empty(), "{when}: {number} posted but not closed");
                assert_eq!(&drafts, want, "{when}: {number} lost or changed its drafts");
            }
        }
    }
    done
}

/// Runs `lotkeeper session` on a script; with `hook`, the crash hook is armed.
fn session(db: &std::path::Path, script: &str, hook: Option<&str>) -> std::process::Output {
    let file = db.with_file_name("finish.txt");
    std::fs::write(&file, script).unwrap();
    let mut c = Command::new(bin());
    c.arg("--db").arg(db).arg("session").arg(&file);
    c.env_remove("LOTKEEPER_CRASH_AT").env_remove("DISPLAY");
    if let Some(h) = hook {
        c.env("LOTKEEPER_CRASH_AT", h);
    }
    c.output().unwrap()
}

fn finish_script(numbers: &[&String]) -> String {
    numbers
        .iter()
        .map(|n| format!("start pick {n}\nconfirm\n"))
        .collect()
}

fn steps(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(json)
        .collect()
}

#[test]
fn a_crash_between_posting_and_closing_a_pick_list_posts_nothing_and_the_list_finishes_once() {
    let d = Dir::new();
    let ids = drafted_lists(&d.db(), 1);
    let number = "PL-1".to_string();

    // Killed inside the finishing transaction, after the picks were posted.
    let out = session(&d.db(), &finish_script(&[&number]), Some("pick-finish"));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(6),
        "the hook did not abort: {out:?}"
    );
    assert_eq!(
        assert_once_or_not_at_all(&d.db(), &ids, "after the abort"),
        0
    );

    // Confirmed again: posted once, under the ids chosen when each pick was taken.
    let out = session(&d.db(), &finish_script(&[&number]), None);
    assert!(out.status.success(), "{out:?}");
    let s = steps(&out);
    assert_eq!(s[1]["feedback"], "done", "{s:?}");
    assert_eq!(
        s[1]["message"],
        "pick list PL-1 finished: 2 movement(s) shipped to Bob"
    );
    assert_eq!(s[1]["posted"], serde_json::json!(ids[&number]));
    assert_eq!(
        assert_once_or_not_at_all(&d.db(), &ids, "after the finish"),
        1
    );

    // Confirmed once more: it says so and posts nothing.
    let out = session(&d.db(), &finish_script(&[&number]), None);
    let s = steps(&out);
    assert_eq!(s[0]["feedback"], "refused");
    assert_eq!(s[0]["message"], "pick list PL-1 is already finished");
    let mut l = Ledger::open(&d.db()).unwrap();
    let again = l.finish_pick_list("PL-1", MovementKind::Ship, "CUSTOMER:Bob");
    assert_eq!(
        again.unwrap_err().to_string(),
        "pick list PL-1 is already finished"
    );
    assert_eq!(assert_once_or_not_at_all(&d.db(), &ids, "after again"), 1);
    assert_eq!(qty_at(&l, "FLOUR", Some("F1"), "A1"), 997);
    assert_eq!(qty_at(&l, "PHONE", None, "A2"), 0);
    let rows = json(&d.ok(&["report", "pick-lists", "--format", "json"]));
    assert_eq!(
        rows,
        serde_json::json!([{"number": "PL-1", "customer": "Bob", "status": "done",
                            "lines": 2, "ordered": 4, "picked": 4}])
    );
}

#[test]
fn pick_lists_killed_at_random_instants_while_finishing_post_each_pick_exactly_once() {
    const LISTS: usize = 24;
    let seed: u64 = std::env::var("LOTKEEPER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e3779b9);
    println!("pick crash seed {seed} (LOTKEEPER_CRASH_SEED={seed} reproduces the kill points)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let d = Dir::new();
    let ids = drafted_lists(&d.db(), LISTS);
    let mut numbers: Vec<&String> = ids.keys().collect();
    numbers.sort();
    let mut kills = 0;
    for round in 0..LISTS * 2 {
        let conn = rusqlite::Connection::open(d.db()).unwrap();
        let open: Vec<&String> = numbers
            .iter()
            .copied()
            .filter(|n| state(&conn, n).0 == "open")
            .collect();
        drop(conn);
        if open.is_empty() {
            break;
        }
        let file = d.file("round.txt", &finish_script(&open));
        let mut child = Command::new(bin())
            .arg("--db")
            .arg(d.db())
            .arg("session")
            .arg(&file)
            .env_remove("LOTKEEPER_CRASH_AT")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill after a random number of steps (each list is a start and a confirm), then a
        // random few hundred microseconds into the next: between commits or inside one.
        let after = rng.gen_range(0..=open.len().min(6) * 2);
        let spin = std::time::Duration::from_micros(rng.gen_range(0..1500));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        for _ in 0..after {
            if lines.next().is_none() {
                break;
            }
        }
        let t = std::time::Instant::now();
        while t.elapsed() < spin {
            std::hint::spin_loop();
        }
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
        let done = assert_once_or_not_at_all(
            &d.db(),
            &ids,
            &format!("round {round} (seed {seed}, kill after {after} steps + {spin:?})"),
        );
        println!("round {round}: killed after {after} steps + {spin:?}; {done} of {LISTS} lists finished");
    }
    // Whatever is left finishes, once.
    let conn = rusqlite::Connection::open(d.db()).unwrap();
    let open: Vec<&String> = numbers
        .iter()
        .copied()
        .filter(|n| state(&conn, n).0 == "open")
        .collect();
    drop(conn);
    if !open.is_empty() {
        let out = session(&d.db(), &finish_script(&open), None);
        assert!(out.status.success(), "{out:?}");
    }
    assert_eq!(
        assert_once_or_not_at_all(&d.db(), &ids, &format!("at the end (seed {seed})")),
        LISTS
    );
    assert!(kills > 0);
    let l = Ledger::open(&d.db()).unwrap();
    assert_eq!(
        qty_at(&l, "FLOUR", Some("F1"), "A1"),
        1000 - 3 * LISTS as i64
    );
    assert_eq!(qty_at(&l, "PHONE", None, "A2"), 0);
}

#[test]
fn a_pick_list_that_cannot_post_any_more_is_cleared_and_picked_again() {
    let d = Dir::new();
    drafted_lists(&d.db(), 2);
    let mut l = Ledger::open(&d.db()).unwrap();
    // Serial S1, picked as a draft on PL-1, is shipped by someone else before PL-1 finishes.
    l.ship(&lotkeeper::ledger::ShipCmd {
        item: "PHONE".into(),
        qty: 1,
        from: "A2".into(),
        serials: vec!["S1".into()],
        ..Default::default()
    })
    .unwrap();
    let mut w = Pick::open(&l, "PL-1").unwrap();
    let o = w.handle(&mut l, Event::Confirm);
    assert_eq!(o.feedback, Feedback::Refused);
    assert_eq!(
        o.message.as_deref(),
        Some("serial S1 of PHONE is not in stock (movement 2 of 2): nothing was posted; the picks are kept (choose clear to pick the list again)")
    );
    assert_eq!(w.view().options, vec!["clear".to_string()]);
    let o = w.handle(&mut l, Event::Choose("clear".into()));
    assert_eq!(o.feedback, Feedback::Accepted, "{o:?}");
    assert!(l.pick_drafts("PL-1").unwrap().is_empty());
    for e in [
        "scan A1",
        "scan FLOUR",
        "enter F1",
        "confirm",
        "scan A2",
        "scan PHONE",
        "enter S2",
    ] {
        let o = w.handle(
            &mut l,
            lotkeeper::workflow::session::parse_event(e).unwrap(),
        );
        assert_ne!(o.feedback, Feedback::Refused, "{e}: {o:?}");
    }
    let o = w.handle(&mut l, Event::Confirm);
    assert_eq!(o.feedback, Feedback::Done, "{o:?}");
    assert_eq!(l.query().pick_list("PL-1").unwrap().unwrap().status, "done");
}

// ---- documents close on the server and on every device -----------------------------------

fn report(site: &Site, token: &str, kind: &str) -> Vec<serde_json::Value> {
    let r = reqwest::blocking::Client::new()
        .get(format!("{}/v1/reports/{kind}", site.url))
        .bearer_auth(token)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json::<serde_json::Value>()
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn status_of(rows: &[serde_json::Value], number: &str) -> String {
    rows.iter()
        .find(|r| r["number"] == number)
        .unwrap_or_else(|| panic!("{number} not in {rows:?}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn drive(l: &mut Ledger, w: &mut Pick, events: &[&str]) {
    for e in events {
        let o = w.handle(l, lotkeeper::workflow::session::parse_event(e).unwrap());
        assert_ne!(o.feedback, Feedback::Refused, "{e}: {o:?}");
    }
}

fn receive_po(l: &mut Ledger, item: &str, lot: Option<&str>, qty: i64) {
    l.receive(&ReceiveCmd {
        item: item.into(),
        qty,
        to: "DOCK".into(),
        lot: lot.map(Into::into),
        supplier: Some("Acme".into()),
        reference: Some("PO-7".into()),
        ..Default::default()
    })
    .unwrap();
}

#[test]
fn pick_lists_and_purchase_orders_close_on_the_server_and_on_every_device() {
    let site = Site::new();
    {
        let mut s = site.ledger();
        s.import_csv(
            ImportKind::PickLists,
            "picklist,customer,sku,qty,due\nPL-7,Bob,FLOUR,6,\nPL-7,Bob,BOLT,4,\n",
        )
        .unwrap();
        s.import_csv(
            ImportKind::PurchaseOrders,
            "po,supplier,sku,qty,expected\nPO-7,Acme,FLOUR,10,\nPO-7,Acme,BOLT,5,\n",
        )
        .unwrap();
    }
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    for (item, lot) in [("FLOUR", Some("F1")), ("BOLT", None)] {
        a.ledger
            .receive(&ReceiveCmd {
                item: item.into(),
                qty: 20,
                to: "A1".into(),
                lot: lot.map(Into::into),
                ..Default::default()
            })
            .unwrap();
    }
    a.sync().unwrap();
    b.sync().unwrap();
    let token = a.token.clone();
    assert_eq!(
        status_of(&report(&site, &token, "pick-lists"), "PL-7"),
        "open"
    );
    assert_eq!(
        status_of(&report(&site, &token, "purchase-orders"), "PO-7"),
        "open"
    );

    // Device A picks the flour; the bolts are not found. A closes its list, the server has it
    // in progress.
    let mut w = Pick::open(&a.ledger, "PL-7").unwrap();
    drive(
        &mut a.ledger,
        &mut w,
        &[
            "scan A1",
            "scan FLOUR",
            "enter F1",
            "confirm",
            "choose short",
            "enter not found",
        ],
    );
    assert_eq!(
        w.handle(&mut a.ledger, Event::Confirm).feedback,
        Feedback::Done
    );
    a.sync().unwrap();
    assert_eq!(
        status_of(&report(&site, &token, "pick-lists"), "PL-7"),
        "in_progress"
    );
    // Device B learns on pull that the flour is picked, and picks the bolts.
    b.sync().unwrap();
    let pl = b.ledger.query().pick_list("PL-7").unwrap().unwrap();
    assert_eq!(
        (pl.status.as_str(), pl.progress.as_str()),
        ("open", "in_progress")
    );
    let mut w = Pick::open(&b.ledger, "PL-7").unwrap();
    drive(&mut b.ledger, &mut w, &["scan A1", "scan BOLT", "confirm"]);
    assert_eq!(
        w.handle(&mut b.ledger, Event::Confirm).feedback,
        Feedback::Done
    );
    b.sync().unwrap();
    assert_eq!(
        status_of(&report(&site, &token, "pick-lists"), "PL-7"),
        "done"
    );
    assert_eq!(
        site.ledger()
            .query()
            .pick_list("PL-7")
            .unwrap()
            .unwrap()
            .status,
        "done",
        "the server closed the list"
    );

    // A third device pulls: the list is done there, and it cannot be confirmed again.
    let mut c = site.device("dev-c");
    let pl = c.ledger.query().pick_list("PL-7").unwrap().unwrap();
    assert_eq!((pl.status.as_str(), pl.progress.as_str()), ("done", "done"));
    assert_eq!(
        Pick::open(&c.ledger, "PL-7")
            .err()
            .map(|e| e.to_string())
            .as_deref(),
        Some("pick list PL-7 is already finished")
    );
    let moved = c.ledger.query().movement_count().unwrap();
    assert_eq!(
        c.ledger
            .finish_pick_list("PL-7", MovementKind::Ship, "CUSTOMER:Bob")
            .unwrap_err()
            .to_string(),
        "pick list PL-7 is already finished"
    );
    assert_eq!(c.ledger.query().movement_count().unwrap(), moved);

    // A purchase order partly, then fully received on two devices.
    receive_po(&mut a.ledger, "FLOUR", Some("F2"), 4);
    a.sync().unwrap();
    assert_eq!(
        status_of(&report(&site, &token, "purchase-orders"), "PO-7"),
        "partly_received"
    );
    b.sync().unwrap();
    let po = b.ledger.query().purchase_order("PO-7").unwrap().unwrap();
    assert_eq!(
        (po.status.as_str(), po.progress.as_str()),
        ("open", "partly_received")
    );
    receive_po(&mut b.ledger, "FLOUR", Some("F3"), 6);
    receive_po(&mut b.ledger, "BOLT", None, 5);
    b.sync().unwrap();
    assert_eq!(
        status_of(&report(&site, &token, "purchase-orders"), "PO-7"),
        "received"
    );
    assert_eq!(
        site.ledger()
            .query()
            .purchase_order("PO-7")
            .unwrap()
            .unwrap()
            .status,
        "closed"
    );
    for d in [&mut a, &mut c] {
        d.sync().unwrap();
        let po = d.ledger.query().purchase_order("PO-7").unwrap().unwrap();
        assert_eq!(
            (po.status.as_str(), po.progress.as_str()),
            ("closed", "received")
        );
    }

    // Closed documents never reopen: an older snapshot that still has them open changes
    // nothing on a device, and a re-import of the same number is refused on the server.
    let mut stale: MasterData = c.ledger.master_data().unwrap();
    for p in &mut stale.pick_lists {
        p.status = "open".into();
    }
    for p in &mut stale.purchase_orders {
        p.status = "open".into();
    }
    c.ledger.apply_master(&stale).unwrap();
    assert_eq!(
        c.ledger.query().pick_list("PL-7").unwrap().unwrap().status,
        "done"
    );
    assert_eq!(
        c.ledger
            .query()
            .purchase_order("PO-7")
            .unwrap()
            .unwrap()
            .status,
        "closed"
    );
    let again = site
        .ledger()
        .import_csv(
            ImportKind::PickLists,
            "picklist,customer,sku,qty,due\nPL-7,Bob,FLOUR,6,\n",
        )
        .unwrap_err()
        .to_string();
    assert_eq!(
        again,
        "line 2, column picklist: pick list PL-7 already exists"
    );
    assert_eq!(
        status_of(&report(&site, &token, "pick-lists"), "PL-7"),
        "done"
    );
}
