//! Issue 12, findings 5 and 7: a recall stays a recall, holds travel between devices, and lot
//! codes generated offline on different devices never collide. Through the real binary, and
//! through a real server over HTTP with two devices.

use crate::harness::*;
use crate::sync::{shelves, Site};
use lotkeeper::ledger::{LotAction, LotOrigin, LotStatus, ReceiveCmd, Rule, ShipCmd};
use lotkeeper::sync::client::Client;
use lotkeeper::sync::wire::{PushResult, WireLotChange};
use lotkeeper::workflow::receive::Receive;
use lotkeeper::workflow::session::parse_event;
use lotkeeper::workflow::{Feedback, Workflow};
use std::process::Output;

fn setup() -> Dir {
    let d = Dir::new();
    let items = d.file("items.csv", ITEMS);
    let locs = d.file("locations.csv", LOCATIONS);
    d.ok(&["import", "items", items.to_str().unwrap()]);
    d.ok(&["import", "locations", locs.to_str().unwrap()]);
    for lot in ["P1", "P2"] {
        d.ok(&[
            "receive",
            "--item",
            "PARA",
            "--qty",
            "50",
            "--to",
            "A1",
            "--lot",
            lot,
            "--expiry",
            "2099-01-31",
        ]);
    }
    d
}

/// Requires a failure with exit code `code` (2: a rule refused, 1: a bad command line) whose
/// message contains `words`.
fn fails(out: Output, code: i32, words: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(words), "stderr {err:?} lacks {words:?}");
}

fn lot_status(d: &Dir, lot: &str) -> String {
    let rows = json(&d.ok(&[
        "report",
        "lot-history",
        "--item",
        "PARA",
        "--lot",
        lot,
        "--format",
        "json",
    ]));
    rows.as_array()
        .unwrap()
        .last()
        .map_or("available".into(), |r| {
            r["to"].as_str().unwrap().to_string()
        })
}

#[test]
fn cli_a_recall_cannot_be_undone_by_hold_or_release() {
    let d = setup();
    fn held<'a>(args: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec!["--item", "PARA", "--lot", "P1"];
        a.extend_from_slice(args);
        a
    }
    let mut a = vec!["hold"];
    a.extend(held(&["--reason", "Acme recall RC-2026-17", "--recall"]));
    d.ok(&a);
    // The issue's reproduction: hold on a recalled lot turned the recall into a plain hold.
    let mut a = vec!["hold"];
    a.extend(held(&["--reason", "x"]));
    fails(d.run(&a), 2, "PARA lot P1 is recalled");
    // release names the command that ends a recall.
    let mut a = vec!["release"];
    a.extend(held(&["--reason", "x"]));
    fails(
        d.run(&a),
        2,
        "lotkeeper recall close --item PARA --lot P1 --reason",
    );
    // --recall is for hold only.
    let mut a = vec!["release"];
    a.extend(held(&["--reason", "x", "--recall"]));
    fails(d.run(&a), 1, "unexpected argument '--recall'");
    assert_eq!(lot_status(&d, "P1"), "recalled");
    // A lot that was never held is not released.
    fails(
        d.run(&["release", "--item", "PARA", "--lot", "P2", "--reason", "x"]),
        2,
        "lot P2 of PARA is not on hold",
    );
    // Closing needs the person: without --by clap refuses, with it the lot stays on hold.
    let close = [
        "recall",
        "close",
        "--item",
        "PARA",
        "--lot",
        "P1",
        "--reason",
        "RC-2026-17 closed",
    ];
    fails(d.run(&close), 1, "--by <NAME>");
    let mut a = close.to_vec();
    a.extend(["--by", "Ann Auditor"]);
    let out = d.ok(&a);
    assert!(out.contains("stays on hold (quarantine)"), "{out}");
    assert_eq!(lot_status(&d, "P1"), "quarantine");
    fails(
        d.run(&[
            "ship", "--item", "PARA", "--qty", "1", "--from", "A1", "--lot", "P1",
        ]),
        2,
        "on hold (quarantine)",
    );
    d.ok(&[
        "release",
        "--item",
        "PARA",
        "--lot",
        "P1",
        "--reason",
        "lab released",
        "--by",
        "Bea",
    ]);
    d.ok(&[
        "ship", "--item", "PARA", "--qty", "1", "--from", "A1", "--lot", "P1",
    ]);
    // recall start is the same as hold --recall.
    d.ok(&[
        "recall",
        "start",
        "--item",
        "PARA",
        "--lot",
        "P2",
        "--reason",
        "Acme recall RC-2026-18",
    ]);
    assert_eq!(lot_status(&d, "P2"), "recalled");
}

#[test]
fn cli_lot_history_and_trace_show_every_status_change_in_table_csv_and_json() {
    let d = setup();
    d.ok(&[
        "hold",
        "--item",
        "PARA",
        "--lot",
        "P1",
        "--reason",
        "Acme recall RC-2026-17",
        "--recall",
        "--by",
        "Carl",
    ]);
    d.ok(&[
        "recall",
        "close",
        "--item",
        "PARA",
        "--lot",
        "P1",
        "--reason",
        "RC-2026-17 closed",
        "--by",
        "Ann",
    ]);
    let h = |format: &str| {
        d.ok(&[
            "report",
            "lot-history",
            "--item",
            "PARA",
            "--lot",
            "P1",
            "--format",
            format,
        ])
    };
    let rows = json(&h("json"));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (
            &rows[0]["action"],
            &rows[0]["from"],
            &rows[0]["to"],
            &rows[0]["by"],
            &rows[0]["reason"]
        ),
        (
            &"recall".into(),
            &"available".into(),
            &"recalled".into(),
            &"Carl".into(),
            &"Acme recall RC-2026-17".into()
        )
    );
    assert_eq!(rows[1]["action"], "close_recall");
    assert_eq!(rows[1]["by"], "Ann");
    assert_eq!(rows[1]["to"], "quarantine");
    let csv = h("csv");
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "at,item,lot,action,from,to,reason,by,device,sync,event_id"
    );
    assert!(csv.contains(",recall,available,recalled,Acme recall RC-2026-17,Carl,"));
    let table = h("table");
    assert!(table.contains("Acme recall RC-2026-17") && table.contains("close_recall"));
    // The trace shows the same.
    let t = json(&d.ok(&["trace", "--item", "PARA", "--lot", "P1", "--format", "json"]));
    assert_eq!(t["status_history"].as_array().unwrap(), rows);
    let t = d.ok(&["trace", "--item", "PARA", "--lot", "P1"]);
    assert!(t.contains("Status history:"), "{t}");
    assert!(t.contains("recall available -> recalled by Carl"), "{t}");
    assert!(t.contains("Acme recall RC-2026-17"), "{t}");
}

#[test]
fn cli_recall_close_is_refused_on_an_enrolled_device() {
    let d = setup();
    // Enrolled (the server is unreachable, so the given name is kept).
    d.ok(&[
        "enroll",
        "--server",
        "http://127.0.0.1:9",
        "--token",
        "T",
        "--device",
        "dock-1",
    ]);
    d.ok(&[
        "hold",
        "--item",
        "PARA",
        "--lot",
        "P1",
        "--reason",
        "Acme recall",
        "--recall",
    ]);
    fails(
        d.run(&[
            "recall", "close", "--item", "PARA", "--lot", "P1", "--reason", "over", "--by", "Ann",
        ]),
        2,
        "closed only by the back office",
    );
    assert_eq!(lot_status(&d, "P1"), "recalled");
}

fn ship(lot: &str, qty: i64) -> ShipCmd {
    ShipCmd {
        item: "PARA".into(),
        qty,
        from: "A1".into(),
        lot: Some(lot.into()),
        customer: Some("Bob".into()),
        ..Default::default()
    }
}

fn status_of(l: &lotkeeper::ledger::Ledger, lot: &str) -> LotStatus {
    l.query().lot("PARA", lot).unwrap().unwrap().status
}

#[test]
fn a_hold_made_on_one_handheld_reaches_the_server_and_every_other_handheld() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    b.sync().unwrap();
    a.ledger
        .change_lot_status("PARA", "P1", LotAction::Hold, "damaged pallet", Some("Ann"))
        .unwrap();
    assert_eq!(
        a.ledger.outbox_counts().unwrap(),
        (1, 0),
        "the hold waits in the outbox"
    );
    let r = a.sync().unwrap();
    assert_eq!((r.lot_changes_pushed, r.lot_changes_rejected), (1, 0));
    assert_eq!(a.ledger.outbox_counts().unwrap(), (0, 0));
    assert_eq!(status_of(&site.ledger(), "P1"), LotStatus::Quarantine);
    let h = site.ledger().lot_history("PARA", "P1").unwrap();
    assert_eq!(
        (
            h[0].by.as_deref(),
            h[0].device.as_deref(),
            h[0].reason.as_str()
        ),
        (Some("Ann"), Some("dev-a"), "damaged pallet")
    );
    // The other handheld learns it on its next sync and stops picking the lot.
    b.sync().unwrap();
    assert_eq!(status_of(&b.ledger, "P1"), LotStatus::Quarantine);
    let err = b.ledger.ship(&ship("P1", 1)).unwrap_err();
    assert_eq!(err.rule(), Some(Rule::Hold), "{err}");
    // A retried push (the answer lost) applies the hold once: the same event id is answered
    // with its place in the server's log, and nothing changes.
    let mine = &a.ledger.lot_history("PARA", "P1").unwrap()[0];
    let again = WireLotChange {
        id: mine.event_id.clone(),
        item: "PARA".into(),
        lot: "P1".into(),
        action: LotAction::Hold,
        reason: "damaged pallet".into(),
        by: Some("Ann".into()),
        created_at: mine.at.clone(),
        seen: None,
    };
    let resp = Client::for_ledger(&a.ledger)
        .unwrap()
        .push_lot_changes(vec![again])
        .unwrap();
    assert!(
        matches!(&resp.lot_changes[..], [PushResult::Accepted { id, .. }] if *id == mine.event_id),
        "{resp:?}"
    );
    assert_eq!(site.ledger().lot_history("PARA", "P1").unwrap().len(), 1);
    a.sync().unwrap();
    // The device that held it sees the server's record as its own, once.
    assert_eq!(a.ledger.lot_history("PARA", "P1").unwrap().len(), 1);
    assert_eq!(
        a.ledger.lot_history("PARA", "P1").unwrap()[0]
            .sync
            .as_deref(),
        Some("accepted")
    );
}

#[test]
fn an_offline_release_of_a_hold_recalled_and_closed_meanwhile_is_a_conflict() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    a.ledger
        .set_lot_status("PARA", "P1", LotStatus::Quarantine, "damaged pallet")
        .unwrap();
    a.sync().unwrap();
    // Offline, the handheld releases its hold; meanwhile the back office recalls the lot and
    // closes the recall, which leaves it on hold.
    a.ledger
        .set_lot_status("PARA", "P1", LotStatus::Available, "looks fine")
        .unwrap();
    let mut server = site.ledger();
    server
        .set_lot_status("PARA", "P1", LotStatus::Recalled, "Acme recall RC-9")
        .unwrap();
    server
        .change_lot_status(
            "PARA",
            "P1",
            LotAction::CloseRecall,
            "RC-9 closed",
            Some("Ann"),
        )
        .unwrap();
    // The release was of the hold before the recall: it may not end the hold the close left.
    let r = a.sync().unwrap();
    assert_eq!((r.lot_changes_pushed, r.lot_changes_rejected), (1, 1));
    assert_eq!(status_of(&site.ledger(), "P1"), LotStatus::Quarantine);
    assert_eq!(status_of(&a.ledger, "P1"), LotStatus::Quarantine);
    let c = a.ledger.lot_conflicts(false).unwrap();
    assert!(
        c[0].reason.contains("was recalled after"),
        "{}",
        c[0].reason
    );
    // Knowing of the closed recall now, the handheld may release it on purpose.
    a.ledger
        .set_lot_status("PARA", "P1", LotStatus::Available, "RC-9 did not cover it")
        .unwrap();
    let r = a.sync().unwrap();
    assert_eq!(r.lot_changes_rejected, 0);
    assert_eq!(status_of(&site.ledger(), "P1"), LotStatus::Available);
}

#[test]
fn a_lot_change_id_reused_for_another_change_is_refused_not_answered_accepted() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    let b = site.device("dev-b");
    receive_para(&mut a.ledger, "P1", 10);
    a.ledger
        .change_lot_status("PARA", "P1", LotAction::Hold, "damaged pallet", None)
        .unwrap();
    a.sync().unwrap();
    let held = &a.ledger.lot_history("PARA", "P1").unwrap()[0];
    // Another device's token pushes a recall under the hold's id: the server made no recall, so
    // it may not answer "accepted" (the pusher would believe its recall recorded).
    let forged = WireLotChange {
        id: held.event_id.clone(),
        item: "PARA".into(),
        lot: "P1".into(),
        action: LotAction::Recall,
        reason: "Acme recall RC-2026-17".into(),
        by: None,
        created_at: held.at.clone(),
        seen: None,
    };
    let resp = Client::for_ledger(&b.ledger)
        .unwrap()
        .push_lot_changes(vec![forged])
        .unwrap();
    assert!(
        matches!(&resp.lot_changes[..], [PushResult::Rejected { reason, .. }]
            if reason.contains("was already used for a different change")),
        "{resp:?}"
    );
    assert_eq!(status_of(&site.ledger(), "P1"), LotStatus::Quarantine);
    assert_eq!(site.ledger().lot_history("PARA", "P1").unwrap().len(), 1);
}

/// A lot change whose time is not one (schemathesis sent `""`) is a malformed request: 400,
/// nothing recorded, as for a movement.
#[test]
fn a_pushed_lot_change_without_a_real_timestamp_is_a_bad_request() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    for at in ["", "yesterday", "2026-13-01T00:00:00Z"] {
        let change = WireLotChange {
            id: uuid::Uuid::now_v7().to_string(),
            item: "PARA".into(),
            lot: "P1".into(),
            action: LotAction::Hold,
            reason: "damaged pallet".into(),
            by: None,
            created_at: at.into(),
            seen: None,
        };
        let err = Client::for_ledger(&a.ledger)
            .unwrap()
            .push_lot_changes(vec![change])
            .unwrap_err();
        assert!(
            err.to_string().contains("is not an RFC 3339 date and time"),
            "{at}: {err}"
        );
    }
    assert_eq!(status_of(&site.ledger(), "P1"), LotStatus::Available);
    assert!(site.ledger().lot_history("PARA", "P1").unwrap().is_empty());
}

#[test]
fn a_release_made_offline_of_a_lot_recalled_meanwhile_becomes_a_conflict() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    site.ledger()
        .set_lot_status("PARA", "P1", LotStatus::Quarantine, "lab check")
        .unwrap();
    a.sync().unwrap();
    assert_eq!(status_of(&a.ledger, "P1"), LotStatus::Quarantine);
    // Offline, the handheld releases the hold; meanwhile the back office recalls the lot.
    a.ledger
        .set_lot_status("PARA", "P1", LotStatus::Available, "lab says fine")
        .unwrap();
    site.ledger()
        .set_lot_status("PARA", "P1", LotStatus::Recalled, "Acme recall RC-2026-17")
        .unwrap();
    let r = a.sync().unwrap();
    assert_eq!((r.lot_changes_pushed, r.lot_changes_rejected), (1, 1));
    assert_eq!(r.conflicts, 1);
    let c = a.ledger.lot_conflicts(false).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].kind, LotAction::Release);
    assert!(
        c[0].reason.contains("recall close --item PARA --lot P1"),
        "{}",
        c[0].reason
    );
    // The server's recall stands, on the server and on the device.
    assert_eq!(status_of(&site.ledger(), "P1"), LotStatus::Recalled);
    assert_eq!(status_of(&a.ledger, "P1"), LotStatus::Recalled);
    // The device refuses to release a recalled lot itself.
    let err = a
        .ledger
        .set_lot_status("PARA", "P1", LotStatus::Available, "x")
        .unwrap_err();
    assert_eq!(err.rule(), Some(Rule::Hold));
    // Dismissed with a note, like a refused movement.
    assert!(a.ledger.dismiss_conflict(&c[0].id, " ").is_err());
    a.ledger
        .dismiss_conflict(&c[0].id, "recall RC-2026-17: goods set aside")
        .unwrap();
    assert!(a.ledger.lot_conflicts(false).unwrap().is_empty());
    assert_eq!(a.ledger.outbox_counts().unwrap(), (0, 0));
    assert_eq!(status_of(&a.ledger, "P1"), LotStatus::Recalled);
}

#[test]
fn a_release_then_a_shipment_made_offline_reach_the_server_in_that_order() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    receive_para(&mut a.ledger, "P1", 10);
    a.sync().unwrap();
    site.ledger()
        .set_lot_status("PARA", "P1", LotStatus::Quarantine, "lab check")
        .unwrap();
    a.sync().unwrap();
    a.ledger
        .set_lot_status("PARA", "P1", LotStatus::Available, "lab released")
        .unwrap();
    a.ledger.ship(&ship("P1", 4)).unwrap();
    a.ledger
        .set_lot_status("PARA", "P1", LotStatus::Quarantine, "returned goods found")
        .unwrap();
    let r = a.sync().unwrap();
    assert_eq!((r.rejected, r.lot_changes_rejected), (0, 0), "{r:?}");
    assert_eq!(status_of(&site.ledger(), "P1"), LotStatus::Quarantine);
    assert_eq!(shelves(&a.ledger), shelves(&site.ledger()));
}

/// Receives one bag of FLOUR through the receive workflow with a generated lot code.
fn receive_generated(l: &mut lotkeeper::ledger::Ledger) -> String {
    let mut w = Receive::start(l);
    let mut last = None;
    for e in ["scan FLOUR", "choose generate", "enter 1", "confirm"] {
        let o = w.handle(l, parse_event(e).unwrap());
        assert_ne!(o.feedback, Feedback::Refused, "{e}: {o:?}");
        last = Some(o);
    }
    let msg = last.unwrap().message.unwrap_or_default();
    let lot = msg
        .split(" lot ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap_or_else(|| panic!("no lot in {msg:?}"))
        .to_string();
    lot
}

#[test]
fn two_docks_generating_lot_codes_offline_never_make_the_same_code() {
    let site = Site::new();
    let mut a = site.device("dock-a");
    let mut b = site.device("dock-b");
    // Both offline (no sync in between), the same item, the same day.
    let la = receive_generated(&mut a.ledger);
    let lb = receive_generated(&mut b.ledger);
    assert_ne!(la, lb);
    for (l, tag) in [(&la, a.ledger.lot_tag()), (&lb, b.ledger.lot_tag())] {
        let tag = tag.unwrap().unwrap();
        assert_eq!(*l, format!("260615-{tag}-01"));
    }
    assert_eq!(a.sync().unwrap().rejected, 0);
    assert_eq!(b.sync().unwrap().rejected, 0);
    // Two batches stay two lots on the server.
    let server = site.ledger();
    for lot in [&la, &lb] {
        assert!(server.query().lot("FLOUR", lot).unwrap().is_some(), "{lot}");
    }
    assert_eq!(
        server.lot_transactions("FLOUR", &la).unwrap().len(),
        1,
        "only dock-a's receipt is in dock-a's lot"
    );
}

#[test]
fn a_handheld_enrolled_under_a_replaced_ones_name_does_not_generate_its_lot_codes_again() {
    use lotkeeper::ledger::import::ImportKind;
    use lotkeeper::ledger::{FixedClock, Ledger};
    use lotkeeper::sync::client::sync_once;
    use lotkeeper::sync::hash_token;
    let site = Site::new();
    // A handheld with the items imported locally, enrolled, receiving before its first sync:
    // its generated codes carry the tag derived on the device.
    let offline = |token: &str, file: &str| {
        site.ledger()
            .add_device("dock-r", &hash_token(token))
            .unwrap();
        let mut l = Ledger::open(&site.dir.path().join(file))
            .unwrap()
            .with_clock(std::sync::Arc::new(FixedClock::on(day(TODAY))));
        l.import_csv(ImportKind::Items, ITEMS).unwrap();
        l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
        l.enroll(&site.url, token, "dock-r").unwrap();
        l
    };
    let mut old = offline(&format!("lk_{}", "1".repeat(64)), "old.db");
    let first = receive_generated(&mut old);
    let c = Client::for_ledger(&old).unwrap();
    let r = sync_once(&mut old, &c).unwrap();
    assert_eq!(r.rejected, 0);
    // The handheld breaks; its replacement is enrolled under the same name.
    site.ledger().revoke_device("dock-r").unwrap();
    let mut new = offline(&format!("lk_{}", "2".repeat(64)), "new.db");
    let second = receive_generated(&mut new);
    assert_ne!(
        first, second,
        "the replacement made the old handheld's code again"
    );
    let c = Client::for_ledger(&new).unwrap();
    let r = sync_once(&mut new, &c).unwrap();
    assert_eq!(r.rejected, 0);
    assert_eq!(
        site.ledger()
            .lot_transactions("FLOUR", &first)
            .unwrap()
            .len(),
        1,
        "two handhelds' batches merged into one lot"
    );
}

#[test]
fn a_pushed_generated_lot_code_that_another_device_received_is_refused() {
    let site = Site::new();
    let mut a = site.device("dock-a");
    let mut b = site.device("dock-b");
    let flour = |origin| ReceiveCmd {
        item: "FLOUR".into(),
        qty: 2,
        to: "DOCK".into(),
        lot: Some("260615-01".into()),
        lot_origin: origin,
        ..Default::default()
    };
    // Devices with a rule that has no device part (or an old app) generate the same code.
    a.ledger
        .receive(&flour(Some(LotOrigin::Generated)))
        .unwrap();
    b.ledger
        .receive(&flour(Some(LotOrigin::Generated)))
        .unwrap();
    assert_eq!(a.sync().unwrap().rejected, 0);
    let r = b.sync().unwrap();
    assert_eq!(r.rejected, 1);
    let c = b.ledger.conflicts(false).unwrap();
    assert!(
        c[0].reason
            .contains("dock-a already received a lot with that code"),
        "{}",
        c[0].reason
    );
    assert_eq!(
        qty_at(&site.ledger(), "FLOUR", Some("260615-01"), "DOCK"),
        2
    );
    // Scanned from the label (entered), the same code names that lot on purpose: accepted.
    b.ledger.receive(&flour(None)).unwrap();
    assert_eq!(b.sync().unwrap().rejected, 0);
    assert_eq!(
        qty_at(&site.ledger(), "FLOUR", Some("260615-01"), "DOCK"),
        4
    );
}
