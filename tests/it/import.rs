//! CSV imports: all or nothing, errors name the line (header = line 1) and the column.

use crate::harness::*;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::*;

fn import_err(l: &mut Ledger, kind: ImportKind, text: &str) -> (u64, String, String) {
    let before = snapshot(l);
    let items_before = l.query().items().unwrap();
    match l.import_csv(kind, text).unwrap_err() {
        Error::Import {
            line,
            column,
            message,
        } => {
            assert_eq!(snapshot(l), before, "a failed import changed the ledger");
            assert_eq!(l.query().items().unwrap(), items_before);
            (line, column, message)
        }
        other => panic!("expected an import error, got {other}"),
    }
}

#[test]
fn items_import_reports_line_and_column_and_imports_nothing() {
    let mut l = ledger();
    let (line, col, msg) = import_err(
        &mut l,
        ImportKind::Items,
        "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nNEW1,New one,,lot,true,,EA\nNEW2,New two,,batch,false,,EA\n",
    );
    assert_eq!((line, col.as_str()), (3, "tracking"));
    assert!(msg.contains("'batch' is not a tracking mode"), "{msg}");
    assert!(l.query().item("NEW1").unwrap().is_none());

    let (line, col, msg) = import_err(
        &mut l,
        ImportKind::Items,
        "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nNEW1,New,09506000134353,lot,true,,EA\n",
    );
    assert_eq!((line, col.as_str()), (2, "gtin"));
    assert!(msg.contains("check digit"), "{msg}");

    let (line, col, _) = import_err(&mut l, ImportKind::Items, "sku,name,tracking\nX,Y,none\n");
    assert_eq!((line, col.as_str()), (1, "gtin"));
}

#[test]
fn lines_are_counted_the_same_in_windows_and_old_mac_files() {
    // A browser sends a pasted CSV with CRLF endings, and so does Excel on Windows.
    let mut l = ledger();
    for ending in ["\n", "\r\n", "\r"] {
        let text = [
            "code,name,kind",
            "C-01,Cold room 1,bin",
            "C-02,Cold room 2,fridge",
            "",
        ]
        .join(ending);
        let (line, col, msg) = import_err(&mut l, ImportKind::Locations, &text);
        assert_eq!((line, col.as_str()), (3, "kind"), "{ending:?}: {msg}");
        assert!(l.query().location("C-01").unwrap().is_none());
    }
    // A quoted cell that spans lines is named at the line its row starts on.
    let text = "code,name,kind\r\nC-01,x,bin\r\nC-02,\"Cold room\r\nnorth\",bin\r\n";
    let (line, col, msg) = import_err(&mut l, ImportKind::Locations, text);
    assert_eq!((line, col.as_str()), (3, "name"), "{msg}");
}

#[test]
fn items_import_keeps_pack_gtins_and_refuses_tracking_changes_after_movements() {
    let mut l = ledger();
    let (item, pack) = l.query().item_by_gtin("19506000134359").unwrap().unwrap();
    assert_eq!((item.sku.as_str(), pack), ("PARA", 12));
    assert_eq!(
        l.query().item_by_gtin("9506000134352").unwrap().unwrap().1,
        1
    );
    receive_lot(&mut l, "FLOUR", "F1", None, 1, "A1");
    let (line, col, msg) = import_err(
        &mut l,
        ImportKind::Items,
        "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nFLOUR,Flour,,none,false,,BAG\n",
    );
    assert_eq!((line, col.as_str()), (2, "tracking"));
    assert!(msg.contains("already has movements"), "{msg}");
    // Renaming is fine.
    let s = l
        .import_csv(ImportKind::Items, "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nFLOUR,Wheat flour,,lot,false,,BAG\n")
        .unwrap();
    assert_eq!((s.created, s.updated), (0, 1));
    assert_eq!(
        l.query().item("FLOUR").unwrap().unwrap().name,
        "Wheat flour"
    );
}

#[test]
fn stock_import_accepts_expired_lots_which_then_cannot_ship() {
    let mut l = ledger();
    let s = l
        .import_csv(
            ImportKind::Stock,
            "sku,location,lot,serial,expiry,qty\nPARA,A1,EXP1,,2026-01-31,12\nPHONE,A2,,SN-9,,1\nBOLT,A1,,,,100\n",
        )
        .unwrap();
    assert_eq!(s.rows, 3);
    assert_eq!(qty_at(&l, "PARA", Some("EXP1"), "A1"), 12);
    let err = l
        .ship(&ShipCmd {
            item: "PARA".into(),
            qty: 1,
            from: "A1".into(),
            lot: Some("EXP1".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "PARA lot EXP1 expired on 2026-01-31; it cannot be shipped"
    );
}

#[test]
fn stock_import_errors_point_at_the_row() {
    let mut l = ledger();
    let (line, col, msg) = import_err(
        &mut l,
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nBOLT,A1,,,,5\nPARA,A1,P1,,,5\n",
    );
    assert_eq!((line, col.as_str()), (3, "expiry"));
    assert!(msg.contains("PARA tracks expiry"), "{msg}");
    let (line, col, _) = import_err(
        &mut l,
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nBOLT,NOWHERE,,,,5\n",
    );
    assert_eq!((line, col.as_str()), (2, "location"));
    let (line, col, _) = import_err(
        &mut l,
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nBOLT,A1,,,,-5\n",
    );
    assert_eq!((line, col.as_str()), (2, "qty"));
    let (line, col, msg) = import_err(
        &mut l,
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nPHONE,A1,,S1,,1\nPHONE,A2,,S1,,1\n",
    );
    assert_eq!((line, col.as_str()), (3, "serial"));
    assert!(msg.contains("already in stock at A1"), "{msg}");
    let (line, col, _) = import_err(
        &mut l,
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nBOLT,A1,,,31/12/2026,5\n",
    );
    assert_eq!((line, col.as_str()), (2, "expiry"));
}

#[test]
fn documents_import() {
    let mut l = ledger();
    l.import_csv(
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL1,Bob,PARA,5,2026-06-16\nPL1,Bob,BOLT,2,\nPL2,Ann,FLOUR,1,2026-06-20\n",
    )
    .unwrap();
    let pl = l.query().pick_list("PL1").unwrap().unwrap();
    assert_eq!(pl.lines.len(), 2);
    assert_eq!(pl.lines[0].due, Some(day("2026-06-16")));
    let (line, col, msg) = import_err(
        &mut l,
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL3,Bob,PARA,1,\nPL1,Bob,PARA,1,\n",
    );
    assert_eq!((line, col.as_str()), (3, "picklist"));
    assert!(msg.contains("pick list PL1 already exists"));
    assert!(l.query().pick_list("PL3").unwrap().is_none());
    l.import_csv(
        ImportKind::PurchaseOrders,
        "po,supplier,sku,qty,expected\nPO1,Acme,PARA,10,2026-06-20\n",
    )
    .unwrap();
    l.receive(&ReceiveCmd {
        item: "PARA".into(),
        qty: 12,
        to: "DOCK".into(),
        lot: Some("P1".into()),
        expiry: Some(day("2027-01-01")),
        supplier: Some("Acme".into()),
        reference: Some("PO1".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        l.query().purchase_order("PO1").unwrap().unwrap().lines[0].received,
        12
    );
    let (line, col, _) = import_err(
        &mut l,
        ImportKind::PurchaseOrders,
        "po,supplier,sku,qty,expected\nPO2,Acme,NOPE,10,\n",
    );
    assert_eq!((line, col.as_str()), (2, "sku"));
}

#[test]
fn locations_import_refuses_reserved_codes_and_duplicates() {
    let mut l = ledger();
    let (line, col, _) = import_err(
        &mut l,
        ImportKind::Locations,
        "code,name,kind\nB1,Bin,bin\nCUSTOMER:Bob,Bob,bin\n",
    );
    assert_eq!((line, col.as_str()), (3, "code"));
    let (line, col, _) = import_err(
        &mut l,
        ImportKind::Locations,
        "code,name,kind\nB1,Bin,bin\nB1,Bin,bin\n",
    );
    assert_eq!((line, col.as_str()), (3, "code"));
    let (line, col, msg) = import_err(
        &mut l,
        ImportKind::Locations,
        "code,name,kind\nB1,Bin,shelf\n",
    );
    assert_eq!((line, col.as_str()), (2, "kind"));
    assert!(msg.contains("dock, bin, staging"), "{msg}");
}
