//! Sites: one server database, two warehouses. Each handheld pulls its own site's movements and
//! documents, moves stock only there, and sends stock to the other site through that site's
//! in-transit location, where the receiving site sees it coming.

use crate::harness::*;
use crate::sync::shelves;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::{FixedClock, Ledger, ReceiveCmd, ShipCmd, TransferCmd};
use lotkeeper::sync::client::{sync_once, Client};
use lotkeeper::sync::server::RunningServer;
use lotkeeper::sync::{hash_token, new_token};
use std::path::Path;
use std::sync::Arc;

const PARTIES: &str = "\
code,kind,name
NORTH,site,North warehouse
SOUTH,site,South warehouse
";

const LOCATIONS: &str = "\
code,name,kind,site
N-DOCK,North dock,dock,NORTH
N1,North bin 1,bin,NORTH
S-DOCK,South dock,dock,SOUTH
S1,South bin 1,bin,SOUTH
";

const PICKLISTS: &str = "\
picklist,customer,sku,qty,due,site
PL-N,Corner Shop,PARA,2,2026-06-20,NORTH
PL-S,Corner Shop,PARA,1,2026-06-20,SOUTH
";

struct Handheld {
    ledger: Ledger,
}

impl Handheld {
    fn sync(&mut self) {
        let c = Client::for_ledger(&self.ledger).unwrap();
        sync_once(&mut self.ledger, &c).unwrap();
    }
}

fn server_db(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("server.db");
    let mut l = Ledger::open(&db).unwrap();
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Parties, PARTIES).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    l.import_csv(ImportKind::PickLists, PICKLISTS).unwrap();
    db
}

fn handheld(dir: &Path, db: &Path, url: &str, name: &str, site: &str) -> Handheld {
    let token = new_token();
    Ledger::open(db)
        .unwrap()
        .add_device_at(name, &hash_token(&token), Some(site))
        .unwrap();
    let mut ledger = Ledger::open(&dir.join(format!("{name}.db")))
        .unwrap()
        .with_clock(Arc::new(FixedClock::on(day(TODAY))));
    ledger.enroll(url, &token, name).unwrap();
    let mut h = Handheld { ledger };
    h.sync();
    h
}

/// A receipt of lot L1 of PARA into N1.
fn receive_l1(l: &mut Ledger, qty: i64) {
    l.receive(&ReceiveCmd {
        item: "PARA".into(),
        qty,
        to: "N1".into(),
        lot: Some("L1".into()),
        expiry: Some(day("2027-12-31")),
        supplier: Some("Acme".into()),
        ..Default::default()
    })
    .unwrap();
}

fn transfer(l: &mut Ledger, qty: i64, from: &str, to: &str) -> lotkeeper::ledger::Result<()> {
    l.transfer(&TransferCmd {
        item: "PARA".into(),
        qty,
        from: from.into(),
        to: to.into(),
        lot: Some("L1".into()),
        ..Default::default()
    })
    .map(|_| ())
}

/// Why an import of these locations is refused (it must be).
fn refused_locations(l: &mut Ledger, csv: &str) -> String {
    l.import_csv(ImportKind::Locations, csv)
        .expect_err("refused")
        .to_string()
}

fn refusal(r: lotkeeper::ledger::Result<()>) -> String {
    r.expect_err("refused").to_string()
}

#[test]
fn two_sites_pull_their_own_and_send_stock_through_transit() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let server = RunningServer::start(&db, "127.0.0.1:0", None).unwrap();
    let url = server.url();
    let mut north = handheld(dir.path(), &db, &url, "hh-north", "NORTH");
    let mut south = handheld(dir.path(), &db, &url, "hh-south", "SOUTH");

    // Each handheld has its own site's pick list only, and knows every location with its site.
    let lists = |h: &Handheld| -> Vec<String> {
        h.ledger
            .query()
            .pick_lists(false)
            .unwrap()
            .into_iter()
            .map(|p| p.number)
            .collect()
    };
    assert_eq!(lists(&north), ["PL-N"]);
    assert_eq!(lists(&south), ["PL-S"]);
    let s1 = south.ledger.query().location("S1").unwrap().unwrap();
    assert_eq!(s1.site.as_deref(), Some("SOUTH"));

    // North receives; South does not see it.
    receive_l1(&mut north.ledger, 10);
    north.sync();
    south.sync();
    assert!(
        shelves(&south.ledger).is_empty(),
        "{:?}",
        shelves(&south.ledger)
    );

    // Straight to the other site's bin: refused on the handheld, naming the way.
    let e = refusal(transfer(&mut north.ledger, 4, "N1", "S1"));
    assert!(e.contains("TRANSIT:SOUTH"), "{e}");
    // A handheld moves stock at its own site only.
    let e = refusal(transfer(&mut south.ledger, 1, "N1", "S1"));
    assert!(e.contains("works at site SOUTH"), "{e}");

    // North sends 4 to South: South sees them in transit.
    transfer(&mut north.ledger, 4, "N1", "TRANSIT:SOUTH").unwrap();
    north.sync();
    south.sync();
    assert_eq!(
        shelves(&south.ledger),
        [(
            "PARA".into(),
            Some("L1".into()),
            None,
            "TRANSIT:SOUTH".into(),
            4
        )]
    );
    // Stock in transit is received before it is used.
    let e = south
        .ledger
        .ship(&ShipCmd {
            item: "PARA".into(),
            qty: 1,
            from: "TRANSIT:SOUTH".into(),
            lot: Some("L1".into()),
            customer: Some("Corner Shop".into()),
            ..Default::default()
        })
        .expect_err("refused")
        .to_string();
    assert!(e.contains("receive it there first"), "{e}");

    // South receives it into its bin.
    transfer(&mut south.ledger, 4, "TRANSIT:SOUTH", "S1").unwrap();
    south.sync();
    north.sync();
    assert_eq!(qty_at(&south.ledger, "PARA", Some("L1"), "S1"), 4);
    assert_eq!(
        shelves(&north.ledger),
        [("PARA".into(), Some("L1".into()), None, "N1".into(), 6)],
        "north shows its own site's stock"
    );

    // The server holds the whole company: every movement, and balances equal to the journal.
    let l = Ledger::open(&db).unwrap();
    assert_eq!(qty_at(&l, "PARA", Some("L1"), "N1"), 6);
    assert_eq!(qty_at(&l, "PARA", Some("L1"), "TRANSIT:SOUTH"), 0);
    assert_eq!(qty_at(&l, "PARA", Some("L1"), "S1"), 4);
    let c = rusqlite::Connection::open(&db).unwrap();
    assert_eq!(balances_off_the_journal(&c), 0);
    drop(server);
}

#[test]
fn the_server_refuses_a_push_outside_the_device_s_site() {
    // A handheld that skips its own checks (an old build, or a forged push) is refused by the
    // server's rules, which are the same.
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let mut server = Ledger::open(&db).unwrap();
    server
        .add_device_at("hh-south", "hash-s", Some("SOUTH"))
        .unwrap();
    receive_l1(&mut server, 5);
    // Made on a device database that has no sites, as a device that ignores them would.
    let mut rogue = Ledger::open_in_memory()
        .unwrap()
        .with_device("hh-south")
        .with_clock(Arc::new(FixedClock::on(day(TODAY))));
    rogue.import_csv(ImportKind::Items, ITEMS).unwrap();
    rogue
        .import_csv(
            ImportKind::Locations,
            "code,name,kind\nN1,North bin 1,bin\nN-DOCK,North dock,dock\n",
        )
        .unwrap();
    receive_l1(&mut rogue, 5);
    transfer(&mut rogue, 2, "N1", "N-DOCK").unwrap();
    let records: Vec<_> = rogue
        .records_after(0, 10)
        .unwrap()
        .into_iter()
        .filter(|r| r.entry.kind == lotkeeper::ledger::MovementKind::Transfer)
        .collect();
    let sizes = records
        .iter()
        .map(|r| (r.entry.batch_id.clone(), records.len()))
        .collect();
    let before = shelves(&server);
    let verdicts = server.accept_batches("hh-south", &records, &sizes).unwrap();
    let reason = format!("{:?}", verdicts[0].1);
    assert!(reason.contains("Rejected"), "{reason}");
    assert!(reason.contains("works at site SOUTH"), "{reason}");
    assert_eq!(shelves(&server), before, "nothing changed");
}

#[test]
fn sites_are_named_where_there_are_several_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let mut l = Ledger::open(&db).unwrap();
    // Several sites: a new location, document or device names its site.
    let e = refused_locations(&mut l, "code,name,kind\nX1,Bin X1,bin\n");
    assert!(e.contains("line 2") && e.contains("site"), "{e}");
    assert!(e.contains("NORTH, SOUTH"), "{e}");
    let e = refused_locations(&mut l, "code,name,kind,site\nX1,Bin X1,bin,WEST\n");
    assert!(e.contains("there is no site WEST"), "{e}");
    let e = refused_locations(
        &mut l,
        "code,name,kind,site\nTRANSIT:NORTH,Road,transit,NORTH\n",
    );
    assert!(e.contains("reserved"), "{e}");
    let e = l
        .add_device("hh", "hash")
        .expect_err("needs a site")
        .to_string();
    assert!(e.contains("several sites"), "{e}");
    assert!(l.devices().unwrap().is_empty(), "nothing was added");
    assert!(l.query().location("X1").unwrap().is_none());

    // A location with stock keeps its site.
    l.receive(&ReceiveCmd {
        item: "BOLT".into(),
        qty: 1,
        to: "N1".into(),
        ..Default::default()
    })
    .unwrap();
    let e = refused_locations(&mut l, "code,name,kind,site\nN1,North bin 1,bin,SOUTH\n");
    assert!(e.contains("cannot change"), "{e}");

    // One site: it is the default, as an upgraded single-site database is.
    let one = tempfile::tempdir().unwrap();
    let mut l = Ledger::open(&one.path().join("one.db")).unwrap();
    l.import_csv(ImportKind::Parties, "code,kind,name\nHQ,site,Head office\n")
        .unwrap();
    l.import_csv(ImportKind::Locations, "code,name,kind\nB1,Bin 1,bin\n")
        .unwrap();
    assert_eq!(
        l.query().location("B1").unwrap().unwrap().site.as_deref(),
        Some("HQ")
    );
    l.add_device("hh", "hash").unwrap();
    assert_eq!(l.device_site("hh").unwrap().as_deref(), Some("HQ"));
}

#[test]
fn cli_adds_a_device_at_a_site() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let out = run_with_db(
        &db,
        &[
            "device", "add", "hh-1", "--site", "NORTH", "--format", "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(v["site"], "NORTH");
    let out = run_with_db(&db, &["device", "add", "hh-2"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--site"), "{err}");
}

#[test]
fn a_database_s_first_site_takes_what_has_none_and_a_second_needs_every_location_sited() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = Ledger::open(&dir.path().join("one.db")).unwrap();
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, crate::harness::LOCATIONS)
        .unwrap();
    l.add_device("hh", "hash").unwrap();
    assert_eq!(
        l.device_site("hh").unwrap(),
        None,
        "no sites yet: every site"
    );
    // Two sites at once while the locations have none: refused, naming the line and them.
    let e = l
        .import_csv(
            ImportKind::Parties,
            "code,kind,name\nEAST,site,East\nWEST,site,West\n",
        )
        .expect_err("several sites, locations without one")
        .to_string();
    assert!(e.contains("line 2") && e.contains("A1, A2, DOCK"), "{e}");
    assert_eq!(
        l.query().location("A1").unwrap().unwrap().site,
        None,
        "nothing imported"
    );
    // The first site takes every location and device that has none; a second one then works.
    l.import_csv(ImportKind::Parties, "code,kind,name\nEAST,site,East\n")
        .unwrap();
    assert_eq!(
        l.query().location("A1").unwrap().unwrap().site.as_deref(),
        Some("EAST")
    );
    assert_eq!(l.device_site("hh").unwrap().as_deref(), Some("EAST"));
    l.import_csv(ImportKind::Parties, "code,kind,name\nWEST,site,West\n")
        .unwrap();
    l.import_csv(
        ImportKind::Locations,
        "code,name,kind,site\nW1,West bin,bin,WEST\n",
    )
    .unwrap();
    let e = refused_locations(&mut l, "code,name,kind,site\ntransit:west,Road,bin,EAST\n");
    assert!(e.contains("reserved"), "{e}");
    // A pick list is at one site.
    let e = l
        .import_csv(
            ImportKind::PickLists,
            "picklist,customer,sku,qty,due,site\nPL-M,Shop,PARA,1,,EAST\nPL-M,Shop,BOLT,1,,WEST\n",
        )
        .expect_err("two sites")
        .to_string();
    assert!(e.contains("line 3") && e.contains("at one site"), "{e}");
    // Stock does not go between sites without the in-transit location, from either side.
    l.receive(&ReceiveCmd {
        item: "BOLT".into(),
        qty: 2,
        to: "A1".into(),
        ..Default::default()
    })
    .unwrap();
    let e = l
        .transfer(&TransferCmd {
            item: "BOLT".into(),
            qty: 1,
            from: "A1".into(),
            to: "W1".into(),
            ..Default::default()
        })
        .expect_err("skips transit")
        .to_string();
    assert!(e.contains("TRANSIT:WEST"), "{e}");
}

#[test]
fn a_device_of_an_older_protocol_gets_an_in_transit_location_before_a_movement_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let server = RunningServer::start(&db, "127.0.0.1:0", None).unwrap();
    let url = server.url();
    let mut north = handheld(dir.path(), &db, &url, "hh-north", "NORTH");
    let version = |l: &Ledger| l.master_version().unwrap();
    let before = version(&Ledger::open(&db).unwrap());
    receive_l1(&mut north.ledger, 10);
    transfer(&mut north.ledger, 4, "N1", "TRANSIT:SOUTH").unwrap();
    north.sync();
    let server_ledger = Ledger::open(&db).unwrap();
    assert!(
        version(&server_ledger) > before,
        "making TRANSIT:SOUTH changed the master data"
    );
    // What a protocol-2 device of SOUTH pulls: the location (as staging) with the movement.
    let token = new_token();
    Ledger::open(&db)
        .unwrap()
        .add_device_at("old-south", &hash_token(&token), Some("SOUTH"))
        .unwrap();
    let (status, _, body) = crate::protocol::call(&url, "get", "/v1/pull", &token, Some("2"), None);
    assert_eq!(status, 200, "{body}");
    let page = json(&body);
    let transit = page["master"]["locations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == "TRANSIT:SOUTH")
        .cloned()
        .unwrap_or_else(|| panic!("{page}"));
    assert_eq!(transit["kind"], "staging");
    assert_eq!(page["movements"].as_array().unwrap().len(), 1, "{page}");
    drop(server);
}

#[test]
fn a_device_of_a_site_reads_its_site_s_reports_and_pick_lists_reserve_their_site_s_stock() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let mut l = Ledger::open(&db).unwrap();
    receive_l1(&mut l, 10);
    l.receive(&ReceiveCmd {
        item: "PARA".into(),
        qty: 6,
        to: "S1".into(),
        lot: Some("L2".into()),
        expiry: Some(day("2027-06-30")),
        supplier: Some("Acme".into()),
        ..Default::default()
    })
    .unwrap();
    // PL-N (2 of PARA) is picked at NORTH, PL-S (1) at SOUTH: each reserves its own site's.
    let reserved = |l: &Ledger, loc: &str| -> i64 {
        l.stock_by_lot(Some("PARA"), Some(loc), None).unwrap()[0].on_pick_lists
    };
    assert_eq!((reserved(&l, "N1"), reserved(&l, "S1")), (2, 1));

    let token = new_token();
    l.add_device_at("hh-north", &hash_token(&token), Some("NORTH"))
        .unwrap();
    let server = RunningServer::start(&db, "127.0.0.1:0", None).unwrap();
    let url = server.url();
    let get = |path: &str| -> serde_json::Value {
        let (status, _, body) = crate::protocol::call(&url, "get", path, &token, None, None);
        assert_eq!(status, 200, "{path}: {body}");
        json(&body)
    };
    let field = |v: &serde_json::Value, name: &str| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r[name].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(field(&get("/v1/reports/stock-by-lot"), "location"), ["N1"]);
    assert_eq!(field(&get("/v1/reports/expiry"), "lot"), ["L1"]);
    assert_eq!(field(&get("/v1/reports/pick-lists"), "number"), ["PL-N"]);
    let moves = get("/v1/reports/lot-transactions");
    assert_eq!(field(&moves, "to"), ["N1"], "{moves}");
    drop(server);
}

#[test]
fn a_document_of_a_site_is_worked_at_that_site_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let mut l = Ledger::open(&db).unwrap();
    receive_l1(&mut l, 10);
    l.import_csv(
        ImportKind::PurchaseOrders,
        "po,supplier,sku,qty,expected,site\nPO-S,Acme,PARA,10,,SOUTH\n",
    )
    .unwrap();
    // NORTH's stock against SOUTH's pick list, or NORTH's receipt against SOUTH's order.
    let e = l
        .ship(&ShipCmd {
            item: "PARA".into(),
            qty: 1,
            from: "N1".into(),
            lot: Some("L1".into()),
            customer: Some("Corner Shop".into()),
            reference: Some("PL-S".into()),
            ..Default::default()
        })
        .expect_err("another site's pick list")
        .to_string();
    assert!(e.contains("PL-S is a pick list of site SOUTH"), "{e}");
    let e = l
        .receive(&ReceiveCmd {
            item: "PARA".into(),
            qty: 10,
            to: "N1".into(),
            lot: Some("L9".into()),
            expiry: Some(day("2027-12-31")),
            reference: Some("PO-S".into()),
            ..Default::default()
        })
        .expect_err("another site's order")
        .to_string();
    assert!(e.contains("a purchase order of site SOUTH"), "{e}");
    let open: Vec<String> = l
        .pick_list_report()
        .unwrap()
        .into_iter()
        .map(|p| p.status)
        .collect();
    assert_eq!(open, ["open", "open"]);
    // At its own site it is worked as ever.
    l.ship(&ShipCmd {
        item: "PARA".into(),
        qty: 2,
        from: "N1".into(),
        lot: Some("L1".into()),
        customer: Some("Corner Shop".into()),
        reference: Some("PL-N".into()),
        ..Default::default()
    })
    .unwrap();
}

/// A movement a site rule refuses is a refusal like any rule's: exit 2, "refused:", and the way.
#[test]
fn the_command_line_refuses_a_movement_across_sites_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let out = run_with_db(
        &db,
        &[
            "receive",
            "--item",
            "PARA",
            "--qty",
            "5",
            "--to",
            "N1",
            "--lot",
            "L1",
            "--expiry",
            "2099-01-01",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_with_db(
        &db,
        &[
            "transfer", "--item", "PARA", "--qty", "1", "--from", "N1", "--to", "S1", "--lot", "L1",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("refused: ") && err.contains("TRANSIT:SOUTH"),
        "{err}"
    );
    assert_eq!(
        qty_at(&Ledger::open(&db).unwrap(), "PARA", Some("L1"), "N1"),
        5
    );
}

/// Two site codes that differ only in case would be read as one (on a label, in TRANSIT:…): the
/// second is refused, naming the first, and nothing of the file is imported.
#[test]
fn a_site_code_that_differs_from_another_only_in_case_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    let mut l = Ledger::open(&db).unwrap();
    let before = l.query().parties().unwrap();
    let e = l
        .import_csv(
            ImportKind::Parties,
            "code,kind,name\nEAST,site,East DC\nnorth,site,North again\n",
        )
        .expect_err("refused")
        .to_string();
    assert_eq!(
        e,
        "line 3, column code: site north differs from site NORTH only in upper and lower case: use NORTH, or another code"
    );
    assert_eq!(l.query().parties().unwrap(), before);
    // The same code again is an update, not a twin.
    l.import_csv(ImportKind::Parties, "code,kind,name\nNORTH,site,North DC\n")
        .unwrap();
}

/// On the back office `allocate` is company-wide unless a site is named; then only that site's
/// shelves are suggested.
#[test]
fn allocate_suggests_one_site_s_stock_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = server_db(dir.path());
    for (to, lot, expiry) in [("N1", "LN", "2099-01-01"), ("S1", "LS", "2099-06-01")] {
        let out = run_with_db(
            &db,
            &[
                "receive", "--item", "PARA", "--qty", "5", "--to", to, "--lot", lot, "--expiry",
                expiry,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let locations = |args: &[&str]| -> Vec<String> {
        let out = run_with_db(&db, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        json(&String::from_utf8_lossy(&out.stdout))
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["location"].as_str().unwrap().to_string())
            .collect()
    };
    let every = [
        "allocate", "--item", "PARA", "--qty", "8", "--format", "json",
    ];
    assert_eq!(
        locations(&every),
        ["N1", "S1"],
        "earliest expiry first, any site"
    );
    let south = [&every[..], &["--site", "SOUTH"]].concat();
    assert_eq!(locations(&south), ["S1"]);
    let out = run_with_db(&db, &[&every[..], &["--site", "WEST"]].concat());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("there is no site WEST"), "{err}");
}
