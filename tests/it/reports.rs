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
            ("P-OLD".into(), "Q".into(), 3, 0, 3),
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
