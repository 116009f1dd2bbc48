//! The back office's reports, traces and exports on PostgreSQL: each answers on a PostgreSQL
//! copy of a back office exactly as on its SQLite file.

use std::path::{Path, PathBuf};
use std::process::Output;

use lotkeeper::ledger::compliance::Scope;
use lotkeeper::ledger::reports::{ExpiryFilter, TransactionFilter};
use lotkeeper::ledger::Ledger;

use crate::harness::{bin, day, PgSchema};

/// Where a command runs: the SQLite file (`--db`) or the PostgreSQL copy (`--database`).
#[derive(Clone, Copy)]
enum Store<'a> {
    File(&'a Path),
    Pg(&'a str),
}

fn run(store: Store, args: &[&str]) -> Output {
    let mut c = std::process::Command::new(bin());
    match store {
        Store::File(p) => c.arg("--db").arg(p),
        Store::Pg(url) => c.args(["--database", url]),
    };
    c.args(args)
        .env_remove("LOTKEEPER_DB")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap()
}

/// Runs and requires success; returns stdout.
fn ok(store: Store, args: &[&str]) -> String {
    let out = run(store, args);
    assert!(
        out.status.success(),
        "lotkeeper {} {args:?} failed: {}\n{}",
        match store {
            Store::File(_) => "--db",
            Store::Pg(_) => "--database",
        },
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The same command's output on both stores, required equal (and not empty).
fn same(file: &Path, url: &str, args: &[&str]) -> String {
    let here = ok(Store::File(file), args);
    let there = ok(Store::Pg(url), args);
    assert_eq!(
        here, there,
        "lotkeeper {args:?}: SQLite and PostgreSQL differ"
    );
    assert!(
        !here.trim().is_empty(),
        "lotkeeper {args:?} printed nothing"
    );
    here
}

/// Every file of a directory, by name, with its bytes.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The demo warehouse, with more than the demo has: reorder points, a shipment against a pick
/// list (a packing slip), a shipped kit, a revoked device, a corrected shipment, a recall and a
/// hold. Returns the file.
fn back_office(dir: &Path) -> PathBuf {
    let db = dir.join("back.db");
    let f = Store::File(&db);
    ok(f, &["demo"]);
    let items = dir.join("items.csv");
    std::fs::write(
        &items,
        "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit,brand,commodity,variety,pack_size,pack_style,ftl,reorder_point,reorder_qty\n\
         AMOX-500,Amoxicillin 500 mg capsules (box of 20),09506000134352;19506000134359*12,lot,true,730,EA,Northwind,Amoxicillin,500 mg,20 capsules,Box,no,500,200\n\
         GLOVE-M,Nitrile gloves size M (box of 100),09506000117843,none,false,,BOX,,Nitrile gloves,Size M,100 gloves,Box,yes,40,\n\
         SALINE-1L,Sodium chloride 0.9% 1 L bag,09506000134369,lot,true,1095,EA,,Sodium chloride 0.9%,,1 l,Bag,yes,10,\n",
    )
    .unwrap();
    ok(f, &["import", "items", items.to_str().unwrap()]);
    ok(
        f,
        &[
            "ship",
            "--item",
            "AMOX-500",
            "--qty",
            "5",
            "--from",
            "A-01-01",
            "--lot",
            "AM2401",
            "--customer",
            "Corner Pharmacy",
            "--ref",
            "PL-2001",
        ],
    );
    // A kit made of the saline lot goes out, so a recall of the saline reaches its customer.
    ok(
        f,
        &[
            "ship",
            "--item",
            "FIRSTAID-KIT",
            "--qty",
            "1",
            "--from",
            "A-01-01",
            "--lot",
            "KIT-0001",
            "--customer",
            "Pharmacy Lindqvist",
        ],
    );
    // The device that recorded everything here, revoked (the recall report says so).
    ok(f, &["device", "add", "local"]);
    ok(f, &["device", "revoke", "local"]);
    let shipped = crate::harness::json(&ok(
        f,
        &[
            "ship",
            "--item",
            "GLOVE-M",
            "--qty",
            "3",
            "--from",
            "A-02-01",
            "--customer",
            "St. Mary's Clinic",
            "--format",
            "json",
        ],
    ));
    let id = shipped["movements"][0].as_str().unwrap().to_string();
    ok(
        f,
        &["correct", "--movement", &id, "--reason", "shipped twice"],
    );
    ok(
        f,
        &[
            "hold",
            "--item",
            "AMOX-500",
            "--lot",
            "AM2407",
            "--reason",
            "supplier recall RC-9",
            "--recall",
        ],
    );
    ok(
        f,
        &[
            "hold",
            "--item",
            "INSUL-PEN",
            "--lot",
            "IG2410",
            "--reason",
            "cold chain broken",
        ],
    );
    db
}

/// The back office of `back_office` on its SQLite file and copied into a PostgreSQL schema of
/// its own (None: no PostgreSQL to test against).
fn copied(name: &str) -> Option<(PgSchema, tempfile::TempDir, std::path::PathBuf)> {
    let pg = PgSchema::new(name)?;
    let dir = tempfile::tempdir().unwrap();
    let db = back_office(dir.path());
    ok(
        Store::Pg(&pg.url),
        &["migrate-server", "--from", db.to_str().unwrap()],
    );
    Some((pg, dir, db))
}

/// What a command line's report, trace or export says: on a PostgreSQL copy of a back office
/// the same, byte for byte, as on its SQLite file.
#[test]
fn reports_traces_and_exports_are_the_same_on_postgres_as_on_sqlite() {
    let Some((pg, dir, db)) = copied("reports") else {
        return;
    };
    let url = pg.url.as_str();

    // Every report, in every format, with and without its filters.
    for format in ["json", "csv", "table"] {
        for kind in [
            &["stock-by-lot"][..],
            &["stock-by-lot", "--item", "AMOX-500"],
            &["stock-by-lot", "--location", "A-02-01"],
            &["stock-by-lot", "--item", "INSUL-PEN", "--lot", "IG2410"],
            &["expiry"],
            &["expiry", "--expired"],
            &["expiry", "--within-days", "30"],
            &["expiry", "--item", "SALINE-1L"],
            &["lot-transactions"],
            &["lot-transactions", "--item", "AMOX-500", "--lot", "AM2401"],
            &["lot-transactions", "--item", "GLOVE-M"],
            &[
                "lot-transactions",
                "--from",
                "2001-01-01",
                "--to",
                "2099-12-31",
            ],
            &["lot-history", "--item", "AMOX-500", "--lot", "AM2407"],
            &["serials"],
            &["serials", "--item", "INSUL-PEN"],
            &["pick-lists"],
            &["purchase-orders"],
            &["reorder"],
        ] {
            let mut args = vec!["report"];
            args.extend_from_slice(kind);
            args.extend_from_slice(&["--format", format]);
            same(&db, url, &args);
        }
    }
    // The reorder report has rows to compare (the items given reorder points).
    let reorder = crate::harness::json(&same(&db, url, &["report", "reorder", "--format", "json"]));
    assert!(
        reorder.as_array().is_some_and(|r| !r.is_empty()),
        "{reorder}"
    );

    // Allocation, FEFO over lots, serials and untracked stock.
    for (item, qty) in [("AMOX-500", "200"), ("INSUL-PEN", "3"), ("GLOVE-M", "10")] {
        for format in ["json", "table"] {
            same(
                &db,
                url,
                &["allocate", "--item", item, "--qty", qty, "--format", format],
            );
        }
    }
    same(
        &db,
        url,
        &[
            "allocate",
            "--item",
            "AMOX-500",
            "--qty",
            "50",
            "--exclude-within-days",
            "60",
            "--format",
            "json",
        ],
    );

    // Traces of lots and serials, backward through the kit's assembly and forward into it.
    for what in [
        &["--item", "AMOX-500", "--lot", "AM2401"][..],
        &["--item", "AMOX-500", "--lot", "AM2407"],
        &["--item", "SALINE-1L", "--lot", "SL1002"],
        &["--item", "FIRSTAID-KIT", "--lot", "KIT-0001"],
        &["--item", "INSUL-PEN", "--serial", "IP481201"],
        &["--item", "THERMO-X1", "--serial", "TX1-0003"],
    ] {
        for format in ["json", "table"] {
            let mut args = vec!["trace"];
            args.extend_from_slice(what);
            args.extend_from_slice(&["--format", format]);
            same(&db, url, &args);
        }
    }

    // Recall reports: of a lot shipped directly, and of one that went into a kit.
    for (item, lot) in [
        ("AMOX-500", "AM2401"),
        ("AMOX-500", "AM2407"),
        ("SALINE-1L", "SL1002"),
    ] {
        for format in ["json", "csv", "table"] {
            same(
                &db,
                url,
                &[
                    "recall", "report", "--item", item, "--lot", lot, "--format", format,
                ],
            );
        }
    }

    // The ledger export, whole and for one day that holds nothing.
    for format in ["csv", "json"] {
        let all = same(
            &db,
            url,
            &[
                "export",
                "ledger",
                "--from",
                "2001-01-01",
                "--to",
                "2099-12-31",
                "--format",
                format,
            ],
        );
        assert!(all.contains("shipped twice"), "{all}");
        same(
            &db,
            url,
            &[
                "export",
                "ledger",
                "--from",
                "2001-01-01",
                "--to",
                "2001-01-01",
                "--format",
                format,
            ],
        );
    }

    // EPCIS: the same document but for when it was made.
    for scope in [
        &[][..],
        &["--item", "SALINE-1L"],
        &["--item", "SALINE-1L", "--lot", "SL1002"],
        &["--lot", "AM2407"],
    ] {
        let mut args = vec![
            "export",
            "epcis",
            "--from",
            "2001-01-01",
            "--to",
            "2099-12-31",
        ];
        args.extend_from_slice(scope);
        let mut docs = [Store::File(&db), Store::Pg(url)].map(|s| {
            let mut doc = crate::harness::json(&ok(s, &args));
            assert!(
                doc.as_object_mut()
                    .unwrap()
                    .remove("creationDate")
                    .is_some(),
                "{doc}"
            );
            doc
        });
        let [here, there] = std::mem::take(&mut docs);
        assert_eq!(here, there, "{args:?}: SQLite and PostgreSQL differ");
        assert!(
            here["epcisBody"]["eventList"]
                .as_array()
                .is_some_and(|e| !e.is_empty()),
            "{args:?}: no events"
        );
    }

    // FSMA 204 as CSV files (the FTL items; every item), and as a workbook that opens.
    for all in [false, true] {
        let out = |name: &str| dir.path().join(format!("{name}-{all}"));
        let mut args = vec![
            "export",
            "fsma204",
            "--from",
            "2001-01-01",
            "--to",
            "2099-12-31",
            "--format",
            "csv",
        ];
        if all {
            args.push("--all");
        }
        for (store, name) in [(Store::File(&db), "sqlite"), (Store::Pg(url), "pg")] {
            let mut a = args.clone();
            let path = out(name);
            a.extend_from_slice(&["--out", path.to_str().unwrap()]);
            ok(store, &a);
        }
        let (here, there) = (files(&out("sqlite")), files(&out("pg")));
        assert!(!here.is_empty());
        assert_eq!(
            here, there,
            "fsma204 --all {all}: SQLite and PostgreSQL differ"
        );
    }
    let xlsx = dir.path().join("fsma.xlsx");
    ok(
        Store::Pg(url),
        &[
            "export",
            "fsma204",
            "--from",
            "2001-01-01",
            "--to",
            "2099-12-31",
            "--format",
            "xlsx",
            "--out",
            xlsx.to_str().unwrap(),
        ],
    );
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 0);

    // The packing slip of the pick list shipped against: the same PDF (it holds no time of its
    // making).
    let slips = [(Store::File(&db), "sqlite"), (Store::Pg(url), "pg")].map(|(store, name)| {
        let pdf = dir.path().join(format!("slip-{name}.pdf"));
        ok(
            store,
            &["packing-slip", "PL-2001", "--out", pdf.to_str().unwrap()],
        );
        std::fs::read(&pdf).unwrap()
    });
    assert!(slips[0].starts_with(b"%PDF"));
    assert!(slips[0] == slips[1], "the packing slips differ");
}

/// The same through the library, where the command line shows less than the ledger answers:
/// the documents' data, the packing slip, and the reports' filters the command line lacks.
#[test]
fn the_ledger_answers_alike_on_both_stores() {
    let Some((pg, _dir, db)) = copied("reports_lib") else {
        return;
    };
    let here = Ledger::open(&db).unwrap();
    let there = Ledger::open_postgres(&pg.url).unwrap();
    assert!(there.is_postgres());

    let today = here.today();
    // Wide enough for any time zone the test runs in (times are UTC, today is local).
    let (first, last) = (day("2001-01-01"), day("2099-12-31"));
    for (item, lot) in [
        (None, None),
        (Some("SALINE-1L"), None),
        (Some("SALINE-1L"), Some("SL1002")),
        (None, Some("KIT-0001")),
        (Some("GLOVE-M"), None),
    ] {
        let scope = Scope {
            from: first,
            to: last,
            item: item.map(Into::into),
            lot: lot.map(Into::into),
            max_movements: None,
        };
        for ftl in [false, true] {
            let a = here.trace_data(&scope, ftl).unwrap();
            let b = there.trace_data(&scope, ftl).unwrap();
            assert_eq!(a, b, "{scope:?} ftl {ftl}");
            if !ftl {
                assert!(!a.movements.is_empty(), "{scope:?}");
            }
        }
    }
    let all = here
        .trace_data(
            &Scope {
                from: first,
                to: last,
                item: None,
                lot: None,
                max_movements: None,
            },
            false,
        )
        .unwrap();
    assert_eq!(
        all.corrected, 2,
        "the corrected shipment and its correction"
    );
    assert!(!all.lot_changes.is_empty());

    // A scope's errors are the same too.
    let bad = Scope {
        from: today,
        to: today,
        item: Some("NOPE".into()),
        lot: None,
        max_movements: None,
    };
    assert_eq!(
        here.trace_data(&bad, false).unwrap_err().to_string(),
        there.trace_data(&bad, false).unwrap_err().to_string()
    );

    assert_eq!(
        here.packing_slip("PL-2001").unwrap(),
        there.packing_slip("PL-2001").unwrap()
    );
    assert_eq!(
        here.packing_slip("PL-2002").unwrap_err().to_string(),
        there.packing_slip("PL-2002").unwrap_err().to_string()
    );

    // The ledger's rows, one at a time, and a caller's error ends the read on both.
    let rows = |l: &Ledger| {
        let mut out = Vec::new();
        l.ledger_rows(first, last, |r| {
            out.push(r);
            Ok(())
        })
        .unwrap();
        out
    };
    let (a, b) = (rows(&here), rows(&there));
    assert!(!a.is_empty());
    assert_eq!(a, b);
    for l in [&here, &there] {
        let mut seen = 0;
        let e = l
            .ledger_rows(first, last, |_| {
                seen += 1;
                Err(lotkeeper::ledger::Error::invalid("stop"))
            })
            .unwrap_err();
        assert_eq!((seen, e.to_string().contains("stop")), (1, true), "{e}");
    }

    for site in [None, Some("MAIN".to_string())] {
        let f = ExpiryFilter {
            site,
            ..Default::default()
        };
        assert_eq!(
            here.expiry_report(&f).unwrap(),
            there.expiry_report(&f).unwrap()
        );
    }
    let day = TransactionFilter {
        from: Some(today),
        to: Some(today),
        ..Default::default()
    };
    assert_eq!(
        here.transactions(&day).unwrap(),
        there.transactions(&day).unwrap()
    );
    assert_eq!(
        here.stock_by_lot(None, None, None).unwrap(),
        there.stock_by_lot(None, None, None).unwrap()
    );
    let recall = there.recall_report("SALINE-1L", "SL1002").unwrap();
    assert!(
        recall
            .shipments
            .iter()
            .any(|s| s.via == "FIRSTAID-KIT lot KIT-0001"),
        "{recall:?}"
    );
    assert!(
        !recall.devices.is_empty() && recall.devices.iter().all(|d| d.revoked),
        "{recall:?}"
    );
    for (item, lot) in [("AMOX-500", "AM2401"), ("SALINE-1L", "SL1002")] {
        assert_eq!(
            here.recall_report(item, lot).unwrap(),
            there.recall_report(item, lot).unwrap()
        );
        assert_eq!(
            here.trace(item, Some(lot), None).unwrap(),
            there.trace(item, Some(lot), None).unwrap()
        );
    }
    assert_eq!(
        here.trace("AMOX-500", Some("NOPE"), None)
            .unwrap_err()
            .to_string(),
        there
            .trace("AMOX-500", Some("NOPE"), None)
            .unwrap_err()
            .to_string()
    );
}

/// A back office with more movements than one page of the ledger export and than the documents
/// read one lot at a time: the pages and the prefetched read answer alike on both stores.
#[test]
fn a_large_range_reads_alike_in_pages_and_prefetched() {
    let Some(pg) = PgSchema::new("reports_large") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = back_office(dir.path());
    let stock = dir.path().join("stock.csv");
    let mut csv = String::from("sku,location,lot,serial,expiry,qty\n");
    for i in 0..5_100 {
        csv.push_str(&format!(
            "AMOX-500,A-02-01,BULK{i:05},,2030-01-01,{}\n",
            1 + i % 7
        ));
    }
    std::fs::write(&stock, csv).unwrap();
    ok(
        Store::File(&db),
        &["import", "stock", stock.to_str().unwrap()],
    );
    ok(
        Store::Pg(&pg.url),
        &["migrate-server", "--from", db.to_str().unwrap()],
    );
    let export = same(
        &db,
        &pg.url,
        &[
            "export",
            "ledger",
            "--from",
            "2001-01-01",
            "--to",
            "2099-12-31",
            "--format",
            "csv",
        ],
    );
    let here = Ledger::open(&db).unwrap();
    let there = Ledger::open_postgres(&pg.url).unwrap();
    let movements = here.query().movement_count().unwrap();
    assert!(movements > 5_000, "{movements}");
    // The header, then every movement once, in journal order.
    assert_eq!(export.lines().count() as i64, movements + 1);
    let scope = Scope {
        from: day("2001-01-01"),
        to: day("2099-12-31"),
        item: None,
        lot: None,
        max_movements: None,
    };
    let a = here.trace_data(&scope, false).unwrap();
    assert!(a.movements.len() >= 5_000, "{}", a.movements.len());
    assert_eq!(a, there.trace_data(&scope, false).unwrap());
    same(&db, &pg.url, &["report", "expiry", "--format", "csv"]);
}

/// The server's `/v1/reports/*`, `/v1/exports/*` and packing slip routes answer a device the
/// same from a server on the PostgreSQL copy as from one on the SQLite file.
#[test]
fn the_servers_reports_and_exports_answer_alike() {
    let Some(pg) = PgSchema::new("reports_http") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = back_office(dir.path());
    // Enrolled before the copy, so one token serves on both.
    let token = crate::harness::json(&ok(
        Store::File(&db),
        &["device", "add", "reporter", "--format", "json"],
    ))["token"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        Store::Pg(&pg.url),
        &["migrate-server", "--from", db.to_str().unwrap()],
    );
    let ports = [crate::sync::free_port(), crate::sync::free_port()];
    let servers = [
        crate::sync::spawn_serve_on(&["--db", db.to_str().unwrap()], ports[0]),
        crate::sync::spawn_serve_on(&["--database", &pg.url], ports[1]),
    ];
    struct Stop(Vec<std::process::Child>);
    impl Drop for Stop {
        fn drop(&mut self) {
            for c in &mut self.0 {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
    let _stop = Stop(servers.into());
    let http = reqwest::blocking::Client::new();
    let get = |port: u16, path: &str| {
        let r = http
            .get(format!("http://127.0.0.1:{port}{path}"))
            .bearer_auth(&token)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let body = r.bytes().unwrap().to_vec();
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        body
    };
    let range = "from=2001-01-01&to=2099-12-31";
    for path in [
        "/v1/reports/stock-by-lot".to_string(),
        "/v1/reports/stock-by-lot?item=AMOX-500&format=csv".into(),
        "/v1/reports/expiry".into(),
        "/v1/reports/expiry?format=csv".into(),
        "/v1/reports/lot-transactions".into(),
        "/v1/reports/lot-transactions?item=AMOX-500&lot=AM2401".into(),
        "/v1/reports/serials".into(),
        "/v1/reports/pick-lists".into(),
        "/v1/reports/purchase-orders".into(),
        "/v1/reports/reorder".into(),
        "/v1/reports/recall?item=SALINE-1L&lot=SL1002".into(),
        "/v1/reports/recall?item=AMOX-500&lot=AM2401&format=csv".into(),
        format!("/v1/exports/ledger?{range}"),
        format!("/v1/exports/ledger?{range}&format=csv"),
        format!("/v1/exports/fsma204?{range}&all=true&format=csv&sheet=receiving"),
        format!("/v1/exports/fsma204?{range}&all=true&format=csv&sheet=shipping"),
        format!("/v1/exports/fsma204?{range}&all=true&format=csv&sheet=transformation"),
        format!("/v1/exports/fsma204?{range}&format=csv&sheet=summary"),
        "/v1/documents/packing-slip?pick_list=PL-2001".into(),
    ] {
        let (here, there) = (get(ports[0], &path), get(ports[1], &path));
        assert!(!here.is_empty(), "{path}");
        assert!(
            here == there,
            "{path}: SQLite and PostgreSQL differ:\n{}\n{}",
            String::from_utf8_lossy(&here),
            String::from_utf8_lossy(&there)
        );
    }
    // EPCIS, but for when the document was made; the workbook, made.
    for path in [
        format!("/v1/exports/epcis?{range}"),
        format!("/v1/exports/epcis?{range}&item=SALINE-1L&lot=SL1002"),
    ] {
        let [here, there] = ports.map(|p| {
            let mut doc: serde_json::Value = serde_json::from_slice(&get(p, &path)).unwrap();
            doc.as_object_mut().unwrap().remove("creationDate");
            doc
        });
        assert_eq!(here, there, "{path}");
    }
    assert!(get(ports[1], &format!("/v1/exports/fsma204?{range}")).starts_with(b"PK"));
}
