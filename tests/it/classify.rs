//! Scans classified against a real ledger's master data.

use crate::harness::*;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::scan::classify::{classify, DocumentKind, ItemScan, Meaning};
use lotkeeper::scan::ScanEvent;
use lotkeeper::workflow::LedgerCatalog;

fn meaning(data: &str) -> Meaning {
    let mut l = ledger();
    l.import_csv(
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL-9,Bob,BOLT,1,\n",
    )
    .unwrap();
    l.import_csv(
        ImportKind::PurchaseOrders,
        "po,supplier,sku,qty,expected\nPO-9,Acme,BOLT,1,\n",
    )
    .unwrap();
    classify(&ScanEvent::manual(data), &LedgerCatalog(&l))
}

#[test]
fn one_gs1_scan_fills_every_field() {
    match meaning("]d20109506000134352172612001012345\u{1d}21SN9") {
        Meaning::Item(i) => {
            assert_eq!(i.sku.as_deref(), Some("PARA"));
            assert_eq!(
                (i.lot.as_deref(), i.serial.as_deref(), i.pack_qty, i.qty),
                (Some("12345"), Some("SN9"), 1, None),
                "a unit label states no quantity"
            );
            assert_eq!(
                i.expiry,
                Some(day("2026-12-31")),
                "DD=00 is the last day of the month"
            );
            assert!(i.warnings.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pack_gtin_multiplies_and_counts_multiply_again() {
    let case = meaning("(01)19506000134359(10)L1(17)270101");
    assert!(
        matches!(
            case,
            Meaning::Item(ItemScan {
                pack_qty: 12,
                qty: None,
                ..
            })
        ),
        "{case:?}"
    );
    let pallet = meaning("(00)106141411234567897(02)19506000134359(37)40(10)L1");
    match pallet {
        Meaning::Sscc {
            sscc,
            contents: Some(c),
        } => {
            assert_eq!(sscc, "106141411234567897");
            assert_eq!((c.sku.as_deref(), c.qty), (Some("PARA"), Some(480)));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn locations_documents_skus_and_text() {
    assert_eq!(meaning("A1"), Meaning::Location { code: "A1".into() });
    assert_eq!(
        meaning("PL-9"),
        Meaning::Document {
            document: DocumentKind::PickList,
            number: "PL-9".into()
        }
    );
    assert_eq!(
        meaning("PO-9"),
        Meaning::Document {
            document: DocumentKind::PurchaseOrder,
            number: "PO-9".into()
        }
    );
    assert!(matches!(meaning("BOLT"), Meaning::Item(ItemScan { sku: Some(s), .. }) if s == "BOLT"));
    assert_eq!(
        meaning("LOT-77"),
        Meaning::Text {
            text: "LOT-77".into(),
            reason: None
        }
    );
    // An EAN the item list does not know: the worker is told why.
    match meaning("]E04006381333931") {
        Meaning::Text {
            reason: Some(r), ..
        } => assert_eq!(r, "GTIN 04006381333931 is not in the item list"),
        other => panic!("{other:?}"),
    }
    // Not valid GS1: never guessed at.
    assert!(
        matches!(meaning("(01)09506000134353(10)X"), Meaning::Text { reason: Some(r), .. } if r.contains("check digit"))
    );
}

#[test]
fn lot_without_gtin_is_usable_with_a_warning() {
    match meaning("(10)LOT42(17)270101") {
        Meaning::Item(i) => {
            assert_eq!((i.sku, i.lot.as_deref()), (None, Some("LOT42")));
            assert!(i.warnings[0].contains("(10) needs"), "{:?}", i.warnings);
        }
        other => panic!("{other:?}"),
    }
}
