//! Turning tracking on for stock already on hand: all at once from a file (partial coverage
//! changes nothing; full coverage converts, with balances, trace and sync true after), and
//! location by location with counts on a handheld while the conversion is open.

use crate::harness::*;
use lotkeeper::ledger::convert::Assignment;
use lotkeeper::ledger::import::{parse_assignments, ImportKind};
use lotkeeper::ledger::{Error, Ledger, ReceiveCmd, Tracking, TransferCmd};
use lotkeeper::sync::wire::WireMaster;
use lotkeeper::workflow::count::Count;
use lotkeeper::workflow::session::parse_event;
use lotkeeper::workflow::{Feedback, Workflow};

use Feedback::{Accepted as A, Done as D, NeedsMore as N};

/// BOLT, untracked, with 10 at A1 and 5 at A2.
fn bolts() -> Ledger {
    let mut l = ledger();
    l.receive(&ReceiveCmd {
        item: "BOLT".into(),
        qty: 15,
        to: "A1".into(),
        ..Default::default()
    })
    .unwrap();
    l.transfer(&TransferCmd {
        item: "BOLT".into(),
        qty: 5,
        from: "A1".into(),
        to: "A2".into(),
        ..Default::default()
    })
    .unwrap();
    l
}

fn tracking(l: &Ledger) -> (Tracking, bool, bool) {
    let i = l.query().item("BOLT").unwrap().unwrap();
    (i.tracking, i.expiry_tracked, i.converting.is_some())
}

fn rows(csv: &str, to: Tracking, expiry: bool) -> Vec<Assignment> {
    parse_assignments(csv, to, expiry).unwrap()
}

#[test]
fn a_file_that_does_not_cover_all_stock_changes_nothing() {
    let mut l = bolts();
    let snap = snapshot(&l);
    let cases: &[(&str, &str)] = &[
        (
            "location,lot,qty\nA1,L1,10\n",
            "the file leaves 5 EA at A2 of BOLT without a lot; it must cover all stock on hand, so nothing changed",
        ),
        (
            "location,lot,qty\nA1,L1,6\nA2,L2,5\n",
            "the file leaves 4 EA at A1 of BOLT without a lot",
        ),
        (
            "location,lot,qty\nA1,L1,10\nA2,L2,5\nA1,L3,1\n",
            "the file assigns 11 EA at A1, which holds 10 EA untracked; nothing changed",
        ),
        (
            "location,lot,qty\nA1,L1,10\nA2,L2,5\nDOCK,L2,1\n",
            "the file assigns 1 EA at DOCK, which holds 0 EA untracked",
        ),
    ];
    for (csv, text) in cases {
        let e = l
            .convert_tracking(
                "BOLT",
                Tracking::Lot,
                false,
                &rows(csv, Tracking::Lot, false),
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains(text), "{csv}: {e}");
        assert_eq!(snapshot(&l), snap, "{csv}");
        assert_eq!(tracking(&l), (Tracking::None, false, false), "{csv}");
    }
    // A lot the rules refuse (a two-digit year) stops it all too.
    let e = l
        .convert_tracking(
            "BOLT",
            Tracking::Lot,
            true,
            &[
                Assignment {
                    location: "A1".into(),
                    lot: Some("L1".into()),
                    serial: None,
                    expiry: None,
                    qty: 10,
                },
                Assignment {
                    location: "A2".into(),
                    lot: Some("L2".into()),
                    serial: None,
                    expiry: Some(day("2027-01-01")),
                    qty: 5,
                },
            ],
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tracks expiry: enter the expiry date of lot L1"),
        "{e}"
    );
    assert_eq!(snapshot(&l), snap);
    assert_eq!(tracking(&l), (Tracking::None, false, false));
}

#[test]
fn assignment_files_are_checked_by_line_and_column() {
    let cases: &[(&str, Tracking, bool, u64, &str, &str)] = &[
        (
            "location,qty\nA1,10\n",
            Tracking::Lot,
            false,
            1,
            "lot",
            "no column 'lot'",
        ),
        (
            "location,lot,qty\nA1,,10\n",
            Tracking::Lot,
            false,
            2,
            "lot",
            "lot is empty",
        ),
        (
            "location,lot,qty\nA1,L1,-3\n",
            Tracking::Lot,
            false,
            2,
            "qty",
            "'-3'",
        ),
        (
            "location,lot,qty,expiry\nA1,L1,3,27-01-01\n",
            Tracking::Lot,
            true,
            2,
            "expiry",
            "",
        ),
        (
            "location,serial,qty\nA1,S1,1\nA1,S2,2\n",
            Tracking::Serial,
            false,
            3,
            "qty",
            "a serial is one unit, not 2",
        ),
        (
            "location,serial\nA1,S1\nA2,S1\n",
            Tracking::Serial,
            false,
            3,
            "serial",
            "serial S1 is also on line 2",
        ),
    ];
    for (csv, to, expiry, line, column, text) in cases {
        match parse_assignments(csv, *to, *expiry) {
            Err(Error::Import {
                line: l,
                column: c,
                message,
            }) => {
                assert_eq!((l, c.as_str()), (*line, *column), "{csv}: {message}");
                assert!(message.contains(text), "{csv}: {message}");
            }
            other => panic!("{csv}: {other:?}"),
        }
    }
}

#[test]
fn a_full_file_converts_and_balances_trace_and_sync_stay_true() {
    let mut server = bolts();
    // A device that has the item as it was, and its history.
    let mut device = Ledger::open_in_memory().unwrap();
    device.apply_master(&server.master_data().unwrap()).unwrap();
    device
        .apply_records(&server.records_after(0, 100).unwrap())
        .unwrap();
    let seen = server.query().movement_count().unwrap();

    let done = server
        .convert_tracking(
            "BOLT",
            Tracking::Lot,
            true,
            &rows(
                "location,lot,qty,expiry\nA1,L1,6,2027-01-31\nA1,L2,4,2027-02-28\nA2,L1,5,2027-01-31\n",
                Tracking::Lot,
                true,
            ),
        )
        .unwrap();
    assert_eq!((done.units, done.movements), (15, 6));
    assert_eq!(tracking(&server), (Tracking::Lot, true, false));
    assert_eq!(qty_at(&server, "BOLT", Some("L1"), "A1"), 6);
    assert_eq!(qty_at(&server, "BOLT", Some("L2"), "A1"), 4);
    assert_eq!(qty_at(&server, "BOLT", Some("L1"), "A2"), 5);
    assert!(server.unassigned("BOLT").unwrap().is_empty());
    assert_eq!(
        server.query().lot("BOLT", "L2").unwrap().unwrap().expiry,
        Some(day("2027-02-28"))
    );
    // The audit trail: every assignment is a pair of adjustments, with the reason and reference.
    let journal = server.query().journal(0, 100).unwrap();
    let conversion: Vec<_> = journal.iter().skip(seen as usize).collect();
    assert_eq!(conversion.len(), 6);
    assert!(conversion.iter().all(|e| {
        e.reason.as_deref() == Some("tracking conversion to lot")
            && e.reference.as_deref() == Some("convert BOLT to lot")
    }));
    // The trace of L1 finds it where the file put it.
    let trace = server.trace("BOLT", Some("L1"), None).unwrap();
    let at: Vec<(String, i64)> = trace
        .forward
        .in_stock
        .iter()
        .map(|s| (s.location.clone(), s.qty))
        .collect();
    assert_eq!(at, vec![("A1".to_string(), 6), ("A2".to_string(), 5)]);
    // From now on BOLT moves with its lot only.
    let e = server
        .transfer(&TransferCmd {
            item: "BOLT".into(),
            qty: 1,
            from: "A1".into(),
            to: "A2".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(e.to_string().contains("BOLT is lot-tracked"), "{e}");
    server
        .transfer(&TransferCmd {
            item: "BOLT".into(),
            qty: 1,
            from: "A1".into(),
            to: "A2".into(),
            lot: Some("L2".into()),
            ..Default::default()
        })
        .unwrap();
    // The device takes the new master data and the movements, and agrees with the server.
    let wire: WireMaster = serde_json::from_str(
        &serde_json::to_string(&WireMaster::from(&server.master_data().unwrap())).unwrap(),
    )
    .unwrap();
    device.apply_master(&wire.into()).unwrap();
    device
        .apply_records(&server.records_after(0, 100).unwrap())
        .unwrap();
    assert_eq!(
        device.query().stock(Some("BOLT"), None).unwrap(),
        server.query().stock(Some("BOLT"), None).unwrap()
    );
    assert_eq!(tracking(&device), (Tracking::Lot, true, false));
    // An item already tracked is not converted again.
    let e = server
        .open_conversion("PARA", Tracking::Serial, false)
        .unwrap_err();
    assert!(e.to_string().contains("PARA is lot-tracked already"), "{e}");
}

#[test]
fn counts_on_a_handheld_assign_stock_while_the_conversion_is_open() {
    let mut l = bolts();
    // Importing the item with another tracking says how to get there.
    let e = l
        .import_csv(
            ImportKind::Items,
            "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nBOLT,Bolt M8,,lot,false,,EA\n",
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("use lotkeeper convert-tracking --item BOLT"),
        "{e}"
    );

    l.open_conversion("BOLT", Tracking::Lot, true).unwrap();
    assert_eq!(tracking(&l), (Tracking::None, false, true));
    // Opening it again the same way is harmless; another way is refused.
    l.open_conversion("BOLT", Tracking::Lot, true).unwrap();
    assert!(l.open_conversion("BOLT", Tracking::Serial, false).is_err());
    // While it is open, untracked moves still work, and the device learns of it.
    l.transfer(&TransferCmd {
        item: "BOLT".into(),
        qty: 1,
        from: "A2".into(),
        to: "A1".into(),
        ..Default::default()
    })
    .unwrap();
    let master = l.master_data().unwrap();
    let bolt = master.items.iter().find(|i| i.sku == "BOLT").unwrap();
    assert_eq!(bolt.converting.map(|c| c.to), Some(Tracking::Lot));

    let mut w = Count::start(&l, "A1").unwrap();
    let events = [
        "scan BOLT",
        "enter L9",
        "enter 2027-05-01",
        "enter 11",
        "confirm",
        "enter tracking turned on",
    ];
    let o: Vec<_> = events
        .iter()
        .map(|e| w.handle(&mut l, parse_event(e).unwrap()))
        .collect();
    let f: Vec<_> = o.iter().map(|o| o.feedback).collect();
    assert_eq!(f, vec![N, N, A, A, N, D], "{o:?}");
    assert_eq!(qty_at(&l, "BOLT", Some("L9"), "A1"), 11);
    assert_eq!(
        l.query().lot("BOLT", "L9").unwrap().unwrap().expiry,
        Some(day("2027-05-01"))
    );
    // A2 is not assigned yet: closing is refused, saying where.
    let e = l.close_conversion("BOLT").unwrap_err().to_string();
    assert!(
        e.contains("BOLT cannot switch to lot tracking yet: 4 EA at A2 on hand have no lot"),
        "{e}"
    );
    assert_eq!(tracking(&l), (Tracking::None, false, true));
    let mut w = Count::start(&l, "A2").unwrap();
    for e in [
        "scan BOLT",
        "enter L9",
        "enter 4",
        "confirm",
        "enter tracking turned on",
    ] {
        w.handle(&mut l, parse_event(e).unwrap());
    }
    assert_eq!(qty_at(&l, "BOLT", Some("L9"), "A2"), 4);
    assert_eq!(l.close_conversion("BOLT").unwrap(), Tracking::Lot);
    assert_eq!(tracking(&l), (Tracking::Lot, true, false));
}

/// The back office's commands, through the real binary: open, a count cannot be faked by a
/// file that misses stock, close refused then done, and the item's own import pointing there.
#[test]
fn convert_tracking_on_the_command_line() {
    let d = crate::harness::Dir::new();
    let items = d.file("items.csv", ITEMS);
    let locations = d.file("locations.csv", LOCATIONS);
    d.ok(&["import", "items", items.to_str().unwrap()]);
    d.ok(&["import", "locations", locations.to_str().unwrap()]);
    d.ok(&["receive", "--item", "BOLT", "--qty", "8", "--to", "A1"]);
    let short = d.file("short.csv", "location,lot,qty\nA1,L1,5\n");
    let out = d.run(&[
        "convert-tracking",
        "--item",
        "BOLT",
        "--to",
        "lot",
        "--assign",
        short.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the file leaves 3 EA at A1 of BOLT without a lot"),
        "{err}"
    );
    let bad = d.file("bad.csv", "location,lot,qty\nA1,L1,five\n");
    let out = d.run(&[
        "convert-tracking",
        "--item",
        "BOLT",
        "--to",
        "lot",
        "--assign",
        bad.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 2") && err.contains("qty"), "{err}");
    let out = d.ok(&[
        "convert-tracking",
        "--item",
        "BOLT",
        "--to",
        "lot",
        "--open",
    ]);
    assert!(out.contains("1 location(s) to assign"), "{out}");
    let out = d.run(&["convert-tracking", "--item", "BOLT", "--close"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("8 EA at A1 on hand have no lot"), "{err}");
    let full = d.file("full.csv", "location,lot,qty\nA1,L1,5\nA1,L2,3\n");
    let out = d.ok(&[
        "convert-tracking",
        "--item",
        "BOLT",
        "--to",
        "lot",
        "--assign",
        full.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v = json(&out);
    assert_eq!(v["units"], 8);
    assert_eq!(v["movements"], 4);
    let stock = d.ok(&[
        "report",
        "stock-by-lot",
        "--item",
        "BOLT",
        "--format",
        "csv",
    ]);
    assert!(stock.contains("L1") && stock.contains("L2"), "{stock}");
}
