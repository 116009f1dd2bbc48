//! The back office's imports on PostgreSQL: the same CSV gives the same ledger on both stores,
//! and a bad row names its line and column and imports nothing, on either.

use crate::harness::*;
use lotkeeper::ledger::import::{ImportKind, ImportSummary};
use lotkeeper::ledger::{supplier_location, Error, FixedClock, Ledger, Movement, MovementKind};
use std::sync::Arc;

/// Every column an items file may have: the product description, reorder point and FTL flag too.
const ITEMS_FULL: &str = "\
sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit,brand,commodity,variety,pack_size,pack_style,reorder_point,reorder_qty,ftl
PARA,Paracetamol 500 mg,09506000134352;19506000134359*12,lot,true,365,EA,Acme,,,500 mg,blister,10,50,no
FLOUR,Flour 25 kg,,lot,false,,BAG,Mill Co,Wheat,Soft,25 kg,bag,,,yes
BOLT,Bolt M8,,none,false,,EA,,,,,,0,,
PHONE,Handheld terminal,,serial,false,,EA,,,,,,,,
VACC,Vaccine vial,,serial,true,,EA,,,,,,,,
KIT,First-aid kit,,lot,true,30,EA,,,,,,,,
PARA-U,Paracetamol unit pack,,serial,true,,EA,,,,,,,,
";

/// A second items file: a rename, a GTIN moved to a new pack, the description left as it is.
const ITEMS_AGAIN: &str = "\
sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit
FLOUR,Wheat flour 25 kg,09506000134376,lot,false,,BAG
CLIP,Paper clip,,none,false,,BOX
";

const PARTIES: &str = "\
code,kind,name,phone,street,city,region,postal_code,country,gln
Acme,supplier,Acme Pharma Inc.,+1 555 0100,1 Lab Road,Newark,NJ,07102,US,0614141000005
Bob,customer,Bob's Pharmacy,+1 555 0111,9 Elm St,Chicago,IL,60601,US,
HQ,site,Lotkeeper DC,+1 555 0199,1 Dock Way,Stockton,CA,95202,US,
";

/// After the site: a renamed bin, and a new one named at the site.
const LOCATIONS_AGAIN: &str = "\
code,name,kind,site
A1,Bin A1 (front),bin,HQ
B7,Bin B7,bin,HQ
";

const LISTS: &str = "\
output,component,qty_per_unit
KIT,PARA,2
KIT,BOLT,1
PARA-U,PARA,1
";

const DEFS: &str = "\
sku,name,type,required,ai
PARA,country of origin,text,no,422
PARA,supplier lot,text,no,
PARA,assay,number,no,
FLOUR,milled on,date,yes,
";

const STOCK: &str = "\
sku,location,lot,serial,expiry,qty
PARA,A1,P-1,,2027-01-31,12
PARA,A2,P-2,,2026-09-30,5
FLOUR,A1,F-1,,,3
BOLT,A1,,,,100
PHONE,A2,,SN-1,,
PHONE,A2,,SN-2,,1
VACC,Q,V-1,SV-1,2027-03-31,1
";

const PICKLISTS: &str = "\
picklist,customer,sku,qty,due
PL1,Bob,PARA,5,2026-06-16
PL1,Bob,BOLT,2,
PL2,Ann,FLOUR,1,2026-06-20
";

const POS: &str = "\
po,supplier,sku,qty,expected
PO1,Acme,PARA,10,2026-06-20
PO1,Acme,PHONE,2,
PO2,Acme,FLOUR,4,
";

fn on_today(l: Ledger) -> Ledger {
    l.with_clock(Arc::new(FixedClock::on(day(TODAY))))
}

/// Everything the imports write, as the ledger reads it back, by what it is.
fn state(l: &Ledger) -> Vec<(&'static str, String)> {
    let q = l.query();
    vec![
        ("items", format!("{:#?}", q.items().unwrap())),
        ("locations", format!("{:#?}", q.all_locations().unwrap())),
        ("stock", format!("{:#?}", q.stock(None, None).unwrap())),
        ("pick lists", format!("{:#?}", q.pick_lists(false).unwrap())),
        (
            "purchase orders",
            format!("{:#?}", q.purchase_orders(false).unwrap()),
        ),
        ("parties", format!("{:#?}", q.parties().unwrap())),
        ("own site", format!("{:#?}", q.own_site().unwrap())),
        ("compositions", format!("{:#?}", q.compositions().unwrap())),
        (
            "lot attributes",
            format!("{:#?}", q.all_lot_attribute_defs().unwrap()),
        ),
        (
            "values of PARA P-9",
            format!("{:#?}", q.lot_attributes("PARA", "P-9").unwrap()),
        ),
        ("movements", q.movement_count().unwrap().to_string()),
        (
            "balances off the journal",
            q.balances_off_the_journal().unwrap().to_string(),
        ),
    ]
}

fn assert_same(sqlite: &Ledger, pg: &Ledger, after: &str) {
    for ((what, a), (_, b)) in state(sqlite).into_iter().zip(state(pg)) {
        assert_eq!(
            a, b,
            "after {after}: {what} differ between SQLite (left) and PostgreSQL (right)"
        );
    }
}

/// Imports one file into both ledgers; both must succeed alike.
fn import_both(
    sqlite: &mut Ledger,
    pg: &mut Ledger,
    kind: ImportKind,
    text: &str,
) -> ImportSummary {
    let a = sqlite
        .import_csv(kind, text)
        .unwrap_or_else(|e| panic!("{kind:?} on SQLite: {e}"));
    let b = pg
        .import_csv(kind, text)
        .unwrap_or_else(|e| panic!("{kind:?} on PostgreSQL: {e}"));
    assert_eq!(a, b, "{kind:?}: the summaries differ");
    assert_same(sqlite, pg, &format!("{kind:?}"));
    a
}

/// A bad file refused alike on both, with the same words, changing nothing on either; returns
/// (line, column, message).
fn refused_both(
    sqlite: &mut Ledger,
    pg: &mut Ledger,
    kind: ImportKind,
    text: &str,
) -> (u64, String, String) {
    let before = state(pg);
    let a = sqlite.import_csv(kind, text).unwrap_err();
    let b = pg.import_csv(kind, text).unwrap_err();
    assert_eq!(a.to_string(), b.to_string(), "{kind:?}: the errors differ");
    assert_eq!(
        state(pg),
        before,
        "{kind:?}: a refused import changed PostgreSQL"
    );
    assert_same(sqlite, pg, &format!("the refused {kind:?}"));
    match b {
        Error::Import {
            line,
            column,
            message,
        } => (line, column, message),
        other => panic!("{kind:?}: expected an import error, got {other:?}"),
    }
}

#[test]
fn every_import_gives_the_same_ledger_on_sqlite_and_postgresql() {
    let Some(schema) = PgSchema::new("import_same") else {
        return;
    };
    let mut sqlite = on_today(Ledger::open_in_memory().unwrap());
    let mut pg = on_today(Ledger::open_postgres(&schema.url).unwrap());
    assert!(pg.is_postgres() && pg.is_empty().unwrap());
    let (a, b) = (&mut sqlite, &mut pg);

    let s = import_both(a, b, ImportKind::Items, ITEMS_FULL);
    assert_eq!((s.rows, s.created, s.updated), (7, 7, 0));
    import_both(a, b, ImportKind::Locations, LOCATIONS);
    let s = import_both(a, b, ImportKind::Parties, PARTIES);
    assert_eq!((s.created, s.updated), (3, 0));
    // The only site: every location without one is at it now.
    assert!(b
        .query()
        .locations()
        .unwrap()
        .iter()
        .all(|l| l.site.as_deref() == Some("HQ")));
    let s = import_both(a, b, ImportKind::Locations, LOCATIONS_AGAIN);
    assert_eq!((s.created, s.updated), (1, 1));
    let s = import_both(a, b, ImportKind::Items, ITEMS_AGAIN);
    assert_eq!((s.created, s.updated), (1, 1));
    let flour = b.query().item("FLOUR").unwrap().unwrap();
    assert_eq!(flour.name, "Wheat flour 25 kg");
    assert_eq!(flour.description.brand.as_deref(), Some("Mill Co"));
    let s = import_both(a, b, ImportKind::Compositions, LISTS);
    assert_eq!((s.created, s.updated), (2, 0));
    // One list replaced, one kept.
    let s = import_both(
        a,
        b,
        ImportKind::Compositions,
        "output,component,qty_per_unit\nKIT,PARA,3\n",
    );
    assert_eq!((s.created, s.updated), (0, 1));
    let s = import_both(a, b, ImportKind::LotAttributes, DEFS);
    assert_eq!((s.created, s.updated), (2, 0));
    let s = import_both(a, b, ImportKind::Stock, STOCK);
    assert_eq!(s.rows, 7);
    assert_eq!(qty_at(b, "PARA", Some("P-1"), "A1"), 12);
    assert_eq!(b.query().stock(Some("PHONE"), None).unwrap().len(), 2);
    import_both(a, b, ImportKind::PickLists, PICKLISTS);
    import_both(a, b, ImportKind::PurchaseOrders, POS);
    let pl = b.query().pick_list("PL1").unwrap().unwrap();
    assert_eq!(pl.lines.len(), 2);
    assert_eq!(pl.lines[0].due, Some(day("2026-06-16")));

    // A lot with attribute values, so a later import must respect them. Posted as a receipt
    // (`Ledger::receive` is not on PostgreSQL yet; `post` is).
    let mut receipt = Movement::new(
        MovementKind::Receive,
        "PARA",
        4,
        supplier_location(Some("Acme")),
        "A1",
    )
    .lot(Some("P-9"))
    .reference(Some("PO1"))
    .dates(Some(day("2027-06-30")), None);
    receipt.lot_attributes = [("assay", "7.50"), ("country of origin", "DE")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for l in [&mut *a, &mut *b] {
        l.post(std::slice::from_ref(&receipt)).unwrap();
    }
    assert_same(a, b, "a receipt with lot attributes");

    // Bad files: each names line 3 and a column, alike on both, and imports nothing.
    let cases: &[(ImportKind, &str, &str, &str)] = &[
        (
            ImportKind::Items,
            "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nNEW1,New one,,lot,true,,EA\nNEW2,New two,,batch,false,,EA\n",
            "tracking",
            "'batch' is not a tracking mode",
        ),
        (
            ImportKind::Items,
            "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit\nNEW1,New one,,lot,true,,EA\nFLOUR,Flour,,none,false,,BAG\n",
            "tracking",
            "already has movements",
        ),
        (
            ImportKind::Locations,
            "code,name,kind,site\nB8,Bin B8,bin,HQ\nB9,Bin B9,bin,NOWHERE\n",
            "site",
            "there is no site NOWHERE",
        ),
        (
            ImportKind::Parties,
            "code,kind,name,gln\nZed,supplier,Zed Ltd,\nYak,customer,Yak Inc,0614141000006\n",
            "gln",
            "wrong check digit",
        ),
        (
            ImportKind::Stock,
            "sku,location,lot,serial,expiry,qty\nBOLT,A1,,,,5\nPARA,A1,P-3,,,5\n",
            "expiry",
            "PARA tracks expiry",
        ),
        (
            ImportKind::Stock,
            "sku,location,lot,serial,expiry,qty\nPHONE,A1,,SN-7,,1\nPHONE,A2,,SN-1,,1\n",
            "serial",
            "already in stock at A2",
        ),
        (
            ImportKind::PickLists,
            "picklist,customer,sku,qty,due\nPL3,Bob,PARA,1,\nPL1,Bob,PARA,1,\n",
            "picklist",
            "pick list PL1 already exists",
        ),
        (
            ImportKind::PurchaseOrders,
            "po,supplier,sku,qty,expected\nPO3,Acme,PARA,1,\nPO3,Acme,NOPE,1,\n",
            "sku",
            "unknown item 'NOPE'",
        ),
        (
            // Written before the cycle is found: the whole import is rolled back.
            ImportKind::Compositions,
            "output,component,qty_per_unit\nPARA,FLOUR,1\nFLOUR,PARA,1\n",
            "component",
            "go round in a circle",
        ),
        (
            // P-9 recorded assay 7.5, which is not a date.
            ImportKind::LotAttributes,
            "sku,name,type,required\nFLOUR,milled on,date,no\nPARA,assay,date,no\n",
            "type",
            "lot P-9 has assay '7.5', which is not a date",
        ),
    ];
    for (kind, text, column, words) in cases {
        let (line, col, msg) = refused_both(a, b, *kind, text);
        assert_eq!((line, col.as_str()), (3, *column), "{kind:?}: {msg}");
        assert!(msg.contains(words), "{kind:?}: {msg}");
    }
    assert!(b.query().item("NEW1").unwrap().is_none());
    assert!(b.query().pick_list("PL3").unwrap().is_none());
    assert!(b.query().purchase_order("PO3").unwrap().is_none());
    assert!(b.query().location("B8").unwrap().is_none());
}

#[test]
fn the_binary_imports_into_postgresql() {
    let Some(schema) = PgSchema::new("import_cli") else {
        return;
    };
    let dir = Dir::new();
    let file = dir.file("items.csv", ITEMS);
    let out = std::process::Command::new(bin())
        .args(["--database", &schema.url, "import", "items"])
        .arg(&file)
        .env_remove("LOTKEEPER_DB")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "lotkeeper import on PostgreSQL failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("imported 5 row(s)"), "{stdout}");
    let pg = Ledger::open_postgres(&schema.url).unwrap();
    let mut sqlite = Ledger::open_in_memory().unwrap();
    sqlite.import_csv(ImportKind::Items, ITEMS).unwrap();
    assert_eq!(pg.query().items().unwrap(), sqlite.query().items().unwrap());
}
