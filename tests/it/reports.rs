//! Reports and trace over a small but complete history.

use crate::harness::*;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::reports::ExpiryFilter;
use lotkeeper::ledger::*;

fn history() -> Ledger {
    let mut l = ledger();
    receive_lot(&mut l, "PARA", "P-SOON", Some("2026-07-01"), 10, "A1");
    receive_lot(&mut l, "PARA", "P-LATE", Some("2027-07-01"), 20, "A2");
    receive_lot(&mut l, "PARA", "P-OLD", Some("2026-06-01"), 3, "Q");
    receive_lot(&mut l, "FLOUR", "F1", None, 50, "A1");
    receive_serials(&mut l, "PHONE", None, None, &["PH1", "PH2"], "A1");
    l.import_csv(
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL1,Bob,PARA,12,\n",
    )
    .unwrap();
    l
}

#[test]
fn stock_by_lot_reserves_open_pick_lists_fefo() {
    let l = history();
    let rows = l.stock_by_lot(Some("PARA"), None, None).unwrap();
    let view: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.lot.clone().unwrap(),
                r.location.clone(),
                r.on_hand,
                r.on_pick_lists,
                r.available,
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            // Expired: on hand, but none of it available.
            ("P-OLD".into(), "Q".into(), 3, 0, 0),
            ("P-SOON".into(), "A1".into(), 10, 10, 0),
            ("P-LATE".into(), "A2".into(), 20, 2, 18),
        ]
    );
    assert!(l.stock_by_lot(Some("NOPE"), None, None).is_err());
    assert_eq!(l.stock_by_lot(None, Some("A1"), None).unwrap().len(), 4);
}

#[test]
fn expiry_report_filters() {
    let l = history();
    let all = l.expiry_report(&ExpiryFilter::default()).unwrap();
    assert_eq!(
        all.iter().map(|r| r.lot.as_str()).collect::<Vec<_>>(),
        vec!["P-OLD", "P-SOON", "P-LATE", "F1"]
    );
    assert_eq!((all[0].days_left, all[0].expired), (Some(-14), true));
    assert_eq!((all[3].days_left, all[3].expired), (None, false));
    let expired = l
        .expiry_report(&ExpiryFilter {
            expired: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(expired.len(), 1);
    let soon = l
        .expiry_report(&ExpiryFilter {
            within_days: Some(30),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        soon.iter().map(|r| r.lot.as_str()).collect::<Vec<_>>(),
        vec!["P-SOON"]
    );
    let flour = l
        .expiry_report(&ExpiryFilter {
            item: Some("FLOUR".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(flour.len(), 1);
}

#[test]
fn lot_transactions_name_suppliers_and_customers() {
    let mut l = history();
    l.ship(&ShipCmd {
        item: "FLOUR".into(),
        qty: 5,
        from: "A1".into(),
        lot: Some("F1".into()),
        customer: Some("Bakery".into()),
        reference: Some("SO1".into()),
        ..Default::default()
    })
    .unwrap();
    l.transfer(&TransferCmd {
        item: "FLOUR".into(),
        qty: 5,
        from: "A1".into(),
        to: "A2".into(),
        lot: Some("F1".into()),
        ..Default::default()
    })
    .unwrap();
    let t = l.lot_transactions("FLOUR", "F1").unwrap();
    let view: Vec<_> = t
        .iter()
        .map(|x| (x.entry.kind, x.party.clone(), x.entry.qty))
        .collect();
    assert_eq!(
        view,
        vec![
            (MovementKind::Receive, Some("Acme".into()), 50),
            (MovementKind::Ship, Some("Bakery".into()), 5),
            (MovementKind::Transfer, None, 5),
        ]
    );
    assert!(l.lot_transactions("FLOUR", "NOPE").is_err());
    let serials = l.serials_report(None).unwrap();
    assert_eq!(
        serials
            .iter()
            .map(|s| s.serial.as_str())
            .collect::<Vec<_>>(),
        vec!["PH1", "PH2"]
    );
}

/// Flour lot F1 goes into mix lot M1 (some shipped), M1 into kit lot K1 (shipped to two customers);
/// tracing F1 forward reaches every customer, tracing K1 backward reaches the mill.
#[test]
fn trace_through_two_levels_of_assembly() {
    let mut l = ledger();
    l.receive(&ReceiveCmd {
        item: "FLOUR".into(),
        qty: 50,
        to: "A1".into(),
        lot: Some("F1".into()),
        supplier: Some("Mill".into()),
        ..Default::default()
    })
    .unwrap();
    receive_lot(&mut l, "FLOUR", "F2", None, 50, "A1");
    l.assemble(&AssembleCmd {
        components: vec![Component {
            item: "FLOUR".into(),
            qty: 10,
            from: "A1".into(),
            lot: Some("F1".into()),
            serials: vec![],
        }],
        outputs: vec![Output {
            item: "PARA".into(),
            qty: 8,
            to: "A2".into(),
            lot: Some("M1".into()),
            expiry: Some(day("2027-01-01")),
            ..Default::default()
        }],
        reference: Some("WO1".into()),
        ref_type: None,
    })
    .unwrap();
    l.ship(&ShipCmd {
        item: "PARA".into(),
        qty: 2,
        from: "A2".into(),
        lot: Some("M1".into()),
        customer: Some("Direct Co".into()),
        ..Default::default()
    })
    .unwrap();
    l.assemble(&AssembleCmd {
        components: vec![
            Component {
                item: "PARA".into(),
                qty: 6,
                from: "A2".into(),
                lot: Some("M1".into()),
                serials: vec![],
            },
            Component {
                item: "FLOUR".into(),
                qty: 1,
                from: "A1".into(),
                lot: Some("F2".into()),
                serials: vec![],
            },
        ],
        outputs: vec![Output {
            item: "BOLT".into(),
            qty: 3,
            to: "A1".into(),
            ..Default::default()
        }],
        reference: Some("WO2".into()),
        ref_type: None,
    })
    .unwrap();
    l.ship(&ShipCmd {
        item: "BOLT".into(),
        qty: 1,
        from: "A1".into(),
        customer: Some("Kit Buyer".into()),
        ..Default::default()
    })
    .unwrap();

    let t = l.trace("FLOUR", Some("F1"), None).unwrap();
    assert_eq!(t.customers, vec!["Direct Co", "Kit Buyer"]);
    assert_eq!(t.suppliers, vec!["Mill"]);
    assert_eq!(t.forward.in_stock[0].qty, 40);
    let mix = &t.forward.used_in[0];
    assert_eq!((mix.node.lot.as_deref(), mix.qty), (Some("M1"), 8));
    assert_eq!(mix.node.shipped[0].party, "Direct Co");
    assert_eq!(mix.node.used_in[0].node.item, "BOLT");

    let back = l.trace("PARA", Some("M1"), None).unwrap();
    assert_eq!(back.suppliers, vec!["Mill"]);
    assert_eq!(back.backward.made_from[0].node.lot.as_deref(), Some("F1"));
    assert_eq!(back.backward.made_from[0].qty, 10);
    assert!(l.trace("FLOUR", Some("NOPE"), None).is_err());
}

/// Statuses say what is true: expired (derived from the date and today), on hold and recalled
/// stock shows as such and is never counted as available, in the ledger's rows, the CLI's table
/// and CSV, and the server's reports.
#[test]
fn report_statuses_say_what_is_true() {
    use lotkeeper::ledger::reports::StockStatus as S;
    let mut l = history();
    l.set_lot_status(
        "PARA",
        "P-LATE",
        LotStatus::Recalled,
        "Acme recall RC-2026-17",
    )
    .unwrap();
    l.set_lot_status("FLOUR", "F1", LotStatus::Quarantine, "lab check")
        .unwrap();
    let rows = l.stock_by_lot(None, None, None).unwrap();
    let view: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.item.as_str(),
                r.lot.as_deref(),
                r.serial.as_deref(),
                r.status,
                r.on_hand,
                r.available,
            )
        })
        .collect();
    assert_eq!(
        view,
        vec![
            ("FLOUR", Some("F1"), None, S::OnHold, 50, 0),
            ("PARA", Some("P-OLD"), None, S::Expired, 3, 0),
            ("PARA", Some("P-SOON"), None, S::Available, 10, 0),
            ("PARA", Some("P-LATE"), None, S::Recalled, 20, 0),
            ("PHONE", None, Some("PH1"), S::Available, 1, 1),
            ("PHONE", None, Some("PH2"), S::Available, 1, 1),
        ]
    );
    let expiry = l.expiry_report(&ExpiryFilter::default()).unwrap();
    assert_eq!(
        expiry
            .iter()
            .map(|r| (r.lot.as_str(), r.status))
            .collect::<Vec<_>>(),
        vec![
            ("P-OLD", S::Expired),
            ("P-SOON", S::Available),
            ("P-LATE", S::Recalled),
            ("F1", S::OnHold),
        ]
    );
    // Derived, never stored: the lot row still says what was set.
    assert_eq!(
        l.query().lot("PARA", "P-OLD").unwrap().unwrap().status,
        LotStatus::Available
    );
}

#[test]
fn cli_and_server_reports_show_expired_held_and_recalled() {
    let d = Dir::new();
    d.ok(&[
        "import",
        "items",
        d.file("items.csv", ITEMS).to_str().unwrap(),
    ]);
    d.ok(&[
        "import",
        "locations",
        d.file("locs.csv", LOCATIONS).to_str().unwrap(),
    ]);
    d.ok(&[
        "receive", "--item", "FLOUR", "--qty", "50", "--to", "A1", "--lot", "R1",
    ]);
    d.ok(&[
        "hold",
        "--item",
        "FLOUR",
        "--lot",
        "R1",
        "--recall",
        "--reason",
        "Acme recall RC-2026-17",
    ]);
    let table = d.ok(&["report", "stock-by-lot"]);
    let line = table.lines().find(|l| l.contains("R1")).unwrap();
    assert!(line.contains("recalled"), "{table}");
    assert!(!line.contains("available"), "{table}");
    let csv = d.ok(&["report", "stock-by-lot", "--format", "csv"]);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("FLOUR,R1,,A1,50,0,0,,recalled")),
        "{csv}"
    );

    // On the server, an expired lot (received as opening stock, dated yesterday by the real
    // clock) is expired in both reports, and a recalled one recalled.
    let site = crate::sync::Site::new();
    let yesterday = (chrono::Local::now().date_naive() - chrono::Days::new(1)).to_string();
    {
        let mut s = site.ledger();
        s.import_csv(
            ImportKind::Stock,
            &format!(
                "sku,location,lot,serial,expiry,qty\nPARA,A1,OLD,,{yesterday},4\nFLOUR,A2,RC,,,7\n"
            ),
        )
        .unwrap();
        s.set_lot_status("FLOUR", "RC", LotStatus::Recalled, "Acme recall")
            .unwrap();
    }
    let device = site.device("dev-r");
    let get = |path: &str| -> serde_json::Value {
        reqwest::blocking::Client::new()
            .get(format!("{}{path}", site.url))
            .bearer_auth(&device.token)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    let stock = get("/v1/reports/stock-by-lot");
    let status = |rows: &serde_json::Value, lot: &str, field: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["lot"] == lot)
            .unwrap_or_else(|| panic!("no {lot} in {rows}"))[field]
            .clone()
    };
    assert_eq!(status(&stock, "OLD", "status"), "expired");
    assert_eq!(status(&stock, "OLD", "available"), 0);
    assert_eq!(status(&stock, "RC", "status"), "recalled");
    assert_eq!(status(&stock, "RC", "available"), 0);
    let expiry = get("/v1/reports/expiry");
    assert_eq!(status(&expiry, "OLD", "status"), "expired");
    assert_eq!(status(&expiry, "RC", "status"), "recalled");
}

/// lot-transactions over what is not one lot: a serial-tracked item, an untracked item, and a
/// date range over everything (both days included), oldest first; a lot without its item and a
/// range that ends before it starts are refused.
#[test]
fn transactions_of_an_item_of_any_tracking_and_of_a_date_range() {
    use lotkeeper::ledger::reports::TransactionFilter;
    use std::sync::Arc;
    let clock = Arc::new(FixedClock::on(day("2026-06-01")));
    let mut l = Ledger::open_in_memory().unwrap().with_clock(clock.clone());
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    receive_serials(&mut l, "PHONE", None, None, &["PH1", "PH2"], "A1");
    clock.set(day("2026-06-02").and_hms_opt(23, 59, 0).unwrap().and_utc());
    l.receive(&ReceiveCmd {
        item: "BOLT".into(),
        qty: 100,
        to: "A1".into(),
        ..Default::default()
    })
    .unwrap();
    clock.set(day("2026-06-03").and_hms_opt(0, 1, 0).unwrap().and_utc());
    l.ship(&ShipCmd {
        item: "PHONE".into(),
        qty: 1,
        from: "A1".into(),
        serials: vec!["PH2".into()],
        customer: Some("Bob".into()),
        ..Default::default()
    })
    .unwrap();
    receive_lot(&mut l, "FLOUR", "F1", None, 5, "A2");
    clock.set(day("2026-06-04").and_hms_opt(12, 0, 0).unwrap().and_utc());
    l.transfer(&TransferCmd {
        item: "BOLT".into(),
        qty: 40,
        from: "A1".into(),
        to: "A2".into(),
        ..Default::default()
    })
    .unwrap();
    let view = |f: TransactionFilter| -> Vec<(String, Option<String>, i64, String)> {
        l.transactions(&f)
            .unwrap()
            .into_iter()
            .map(|t| {
                (
                    t.entry.item,
                    t.entry.serial,
                    t.entry.qty,
                    t.entry.created_at[..10].to_string(),
                )
            })
            .collect()
    };
    let item = |sku: &str| TransactionFilter {
        item: Some(sku.into()),
        ..Default::default()
    };
    let row = |sku: &str, serial: Option<&str>, qty: i64, day: &str| {
        (
            sku.to_string(),
            serial.map(String::from),
            qty,
            day.to_string(),
        )
    };
    assert_eq!(
        view(item("PHONE")),
        vec![
            row("PHONE", Some("PH1"), 1, "2026-06-01"),
            row("PHONE", Some("PH2"), 1, "2026-06-01"),
            row("PHONE", Some("PH2"), 1, "2026-06-03"),
        ]
    );
    assert_eq!(
        view(item("BOLT")),
        vec![
            row("BOLT", None, 100, "2026-06-02"),
            row("BOLT", None, 40, "2026-06-04"),
        ]
    );
    // The customer is named for a serial shipped, as for a lot.
    let phone = l.transactions(&item("PHONE")).unwrap();
    assert_eq!(phone[2].party.as_deref(), Some("Bob"));
    // Everything on the 2nd and 3rd: a movement a minute before midnight and one a minute after.
    assert_eq!(
        view(TransactionFilter {
            from: Some(day("2026-06-02")),
            to: Some(day("2026-06-03")),
            ..Default::default()
        }),
        vec![
            row("BOLT", None, 100, "2026-06-02"),
            row("PHONE", Some("PH2"), 1, "2026-06-03"),
            row("FLOUR", None, 5, "2026-06-03"),
        ]
    );
    assert_eq!(view(TransactionFilter::default()).len(), 6);
    assert_eq!(
        view(TransactionFilter {
            from: Some(day("2026-06-04")),
            ..item("BOLT")
        }),
        vec![row("BOLT", None, 40, "2026-06-04")]
    );
    // The old call is one lot, as before.
    assert_eq!(l.lot_transactions("FLOUR", "F1").unwrap().len(), 1);
    let lot_alone = l.transactions(&TransactionFilter {
        lot: Some("F1".into()),
        ..Default::default()
    });
    assert!(
        matches!(&lot_alone, Err(Error::Invalid(m)) if m.contains("--item")),
        "{lot_alone:?}"
    );
    let backwards = l.transactions(&TransactionFilter {
        from: Some(day("2026-06-04")),
        to: Some(day("2026-06-02")),
        ..Default::default()
    });
    assert!(matches!(backwards, Err(Error::Invalid(_))), "{backwards:?}");
}

#[test]
fn reorder_report_counts_only_usable_stock() {
    let mut l = history();
    let with_points = ITEMS.replace(
        "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit",
        "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit,reorder_point,reorder_qty",
    );
    let with_points: String = with_points
        .lines()
        .map(|line| match line.split(',').next() {
            Some("PARA") => format!("{line},25,100\n"),
            Some("FLOUR") => format!("{line},10,\n"),
            Some("BOLT") => format!("{line},0,\n"),
            Some("sku") => format!("{line}\n"),
            _ => format!("{line},,\n"),
        })
        .collect();
    l.import_csv(ImportKind::Items, &with_points).unwrap();
    // An expired lot on a shelf (opening stock may be expired), and a held lot.
    l.import_csv(
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nPARA,A1,P-EXP,,2026-06-10,5\n",
    )
    .unwrap();
    l.set_lot_status("PARA", "P-LATE", LotStatus::Quarantine, "lab check")
        .unwrap();
    let rows = l.reorder_report().unwrap();
    let view: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.item.as_str(),
                r.on_hand,
                r.expired,
                r.held,
                r.reserved,
                r.usable,
                r.order,
            )
        })
        .collect();
    // PARA: 38 on hand; 5 expired (P-EXP); 23 held (P-LATE held, P-OLD in quarantine, expired
    // too but counted once); 12 wanted by PL1: -2 usable, at or below 25, so 100 to order.
    // FLOUR: 50 usable, above its point of 10. BOLT: none, at its point of 0.
    assert_eq!(
        view,
        [("BOLT", 0, 0, 0, 0, 0, 1), ("PARA", 38, 5, 23, 12, -2, 100)]
    );
    // The CLI's CSV, over a file.
    let d = Dir::new();
    let f = d.file("items.csv", &with_points);
    d.ok(&["import", "items", f.to_str().unwrap()]);
    let csv = d.ok(&["report", "reorder", "--format", "csv"]);
    assert!(
        csv.starts_with(
            "item,name,unit,on_hand,expired,held,reserved,usable,reorder_point,reorder_qty,order"
        ),
        "{csv}"
    );
    // No stock anywhere: PARA, FLOUR (10) and BOLT (0) are all at or below their points.
    assert_eq!(csv.lines().count(), 4, "{csv}");
    // Bad reorder columns change nothing.
    for (file, says) in [
        (
            "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit,reorder_qty\nBOLT,Bolt M8,,none,false,,EA,5\n",
            "needs a reorder point",
        ),
        (
            "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit,reorder_point\nBOLT,Bolt M8,,none,false,,EA,-1\n",
            "at least 0",
        ),
    ] {
        let e = l
            .import_csv(ImportKind::Items, file)
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{e}");
    }
    assert_eq!(l.reorder_report().unwrap().len(), 2);
}
