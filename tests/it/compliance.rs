//! Issue 16's worked example, through the real binary: a lot received from a supplier with a
//! full address, assembled into a kit, the kit shipped to two customers; then the FSMA 204
//! sheets cell by cell (CSV and the .xlsx), the recall report and the ledger export, and the bad
//! inputs that must write nothing.

use crate::harness::{json, Dir};
use std::collections::HashMap;
use std::io::Read;

const ITEMS: &str = "\
sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit,brand,commodity,variety,pack_size,pack_style,ftl
ROMAINE,Romaine hearts,00614141000036,lot,false,,CASE,Green Valley,Lettuce,Romaine,24 x 3 ct,Carton,yes
KIT,Caesar salad kit,,lot,false,,EA,Lotkeeper Kitchen,Leafy greens salad kit,,350 g,Bag,yes
BOLT,Bolt M8,,none,false,,EA,,,,,,no
";

const LOCATIONS: &str = "code,name,kind\nDOCK,Dock,dock\nA1,Bin A1,bin\n";

const PARTIES: &str = "\
code,kind,name,phone,street,city,region,postal_code,country,gln
FreshFarms,supplier,Fresh Farms LLC,+1 831 555 0101,100 Field Rd,Salinas,CA,93901,US,0614141000012
Bistro,customer,Corner Bistro,+1 415 555 0102,5 Market St,San Francisco,CA,94105,US,
Grocer,customer,Valley Grocer,,77 Main St,Fresno,CA,93721,US,
HQ,site,Lotkeeper DC,+1 209 555 0103,1 Dock Way,Stockton,CA,95202,US,
";

/// The example's warehouse, through the CLI.
fn worked_example() -> Dir {
    let d = Dir::new();
    let f = d.file("items.csv", ITEMS);
    d.ok(&["import", "items", f.to_str().unwrap()]);
    let f = d.file("locations.csv", LOCATIONS);
    d.ok(&["import", "locations", f.to_str().unwrap()]);
    let f = d.file("parties.csv", PARTIES);
    d.ok(&["import", "parties", f.to_str().unwrap()]);
    d.ok(&[
        "receive",
        "--item",
        "ROMAINE",
        "--qty",
        "100",
        "--to",
        "A1",
        "--lot",
        "RL-0901",
        "--supplier",
        "FreshFarms",
        "--ref",
        "BOL-4411",
        "--ref-type",
        "bol",
    ]);
    d.ok(&[
        "assemble",
        "--item",
        "KIT",
        "--qty",
        "10",
        "--to",
        "A1",
        "--lot",
        "KIT-0902",
        "--use",
        "ROMAINE,20,A1,RL-0901",
        "--ref",
        "WO-17",
    ]);
    d.ok(&[
        "ship",
        "--item",
        "KIT",
        "--qty",
        "4",
        "--from",
        "A1",
        "--lot",
        "KIT-0902",
        "--customer",
        "Bistro",
        "--ref",
        "INV-5001",
        "--ref-type",
        "invoice",
    ]);
    d.ok(&[
        "ship",
        "--item",
        "KIT",
        "--qty",
        "6",
        "--from",
        "A1",
        "--lot",
        "KIT-0902",
        "--customer",
        "Grocer",
        "--ref",
        "INV-5002",
        "--ref-type",
        "invoice",
    ]);
    d
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// A CSV file as maps from header to cell, one per row.
fn csv_rows(path: &std::path::Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn expect(row: &HashMap<String, String>, cells: &[(&str, &str)]) {
    for (col, want) in cells {
        assert_eq!(
            row.get(*col).map(String::as_str),
            Some(*want),
            "column {col} in {row:?}"
        );
    }
}

#[test]
fn fsma204_sheets_hold_the_worked_example_cell_by_cell() {
    let d = worked_example();
    let (from, to) = (today(), today());
    let out = d.dir.path().join("fsma");
    let said = d.ok(&[
        "export",
        "fsma204",
        "--from",
        &from,
        "--to",
        &to,
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        said.contains("1 receiving, 2 shipping, 1 transformation rows"),
        "{said}"
    );

    let place = |prefix: &str, name, phone, street, city, region, postal| {
        vec![
            (format!("{prefix} Business Name"), name),
            (format!("{prefix} Phone"), phone),
            (format!("{prefix} Street Address"), street),
            (format!("{prefix} City"), city),
            (format!("{prefix} State"), region),
            (format!("{prefix} Postal Code"), postal),
            (format!("{prefix} Country"), "US"),
        ]
    };
    let check_place = |row: &HashMap<String, String>, cells: Vec<(String, &str)>| {
        for (col, want) in cells {
            assert_eq!(
                row.get(&col).map(String::as_str),
                Some(want),
                "column {col}"
            );
        }
    };

    let receiving = csv_rows(&out.join("receiving.csv"));
    assert_eq!(receiving.len(), 1);
    let r = &receiving[0];
    expect(
        r,
        &[
            ("Traceability Lot Code", "RL-0901"),
            ("Quantity", "100"),
            ("Unit of Measure", "CASE"),
            ("Product Name", "Romaine hearts"),
            ("Brand", "Green Valley"),
            ("Commodity", "Lettuce"),
            ("Variety", "Romaine"),
            ("Packaging Size", "24 x 3 ct"),
            ("Packaging Style", "Carton"),
            ("Receive Date", &today()),
            ("Traceability Lot Code Source Reference", ""),
            ("Reference Document Type 1", "Bill of Lading"),
            ("Reference Document Number 1", "BOL-4411"),
            ("Reference Document Type 2", ""),
        ],
    );
    let farm = |prefix: &str| {
        place(
            prefix,
            "Fresh Farms LLC",
            "'+1 831 555 0101",
            "100 Field Rd",
            "Salinas",
            "CA",
            "93901",
        )
    };
    let dc = |prefix: &str| {
        place(
            prefix,
            "Lotkeeper DC",
            "'+1 209 555 0103",
            "1 Dock Way",
            "Stockton",
            "CA",
            "95202",
        )
    };
    check_place(r, farm("Immediate Previous Source"));
    check_place(r, dc("Receiving Location"));
    // The supplier assigned the lot code: the source is the supplier.
    check_place(r, farm("Traceability Lot Code Source"));

    let shipping = csv_rows(&out.join("shipping.csv"));
    assert_eq!(shipping.len(), 2);
    let by_customer: HashMap<&str, &HashMap<String, String>> = shipping
        .iter()
        .map(|r| {
            (
                r["Immediate Subsequent Recipient Business Name"].as_str(),
                r,
            )
        })
        .collect();
    let bistro = by_customer["Corner Bistro"];
    expect(
        bistro,
        &[
            ("Traceability Lot Code", "KIT-0902"),
            ("Quantity", "4"),
            ("Unit of Measure", "EA"),
            ("Product Name", "Caesar salad kit"),
            ("Commodity", "Leafy greens salad kit"),
            ("Packaging Size", "350 g"),
            ("Packaging Style", "Bag"),
            ("Ship Date", &today()),
            ("Reference Document Type 1", "Invoice"),
            ("Reference Document Number 1", "INV-5001"),
        ],
    );
    check_place(
        bistro,
        place(
            "Immediate Subsequent Recipient",
            "Corner Bistro",
            "'+1 415 555 0102",
            "5 Market St",
            "San Francisco",
            "CA",
            "94105",
        ),
    );
    check_place(bistro, dc("Shipping Location"));
    // We assigned the kit's lot code: the source is our site.
    check_place(bistro, dc("Traceability Lot Code Source"));
    let grocer = by_customer["Valley Grocer"];
    expect(
        grocer,
        &[
            ("Quantity", "6"),
            ("Immediate Subsequent Recipient Phone", ""),
        ],
    );

    let transformation = csv_rows(&out.join("transformation.csv"));
    assert_eq!(transformation.len(), 1);
    expect(
        &transformation[0],
        &[
            ("Input Traceability Lot Code", "RL-0901"),
            ("Input Product Name", "Romaine hearts"),
            ("Input Commodity", "Lettuce"),
            ("Input Quantity", "20"),
            ("Input Unit of Measure", "CASE"),
            ("New Traceability Lot Code", "KIT-0902"),
            ("Transformation Location Business Name", "Lotkeeper DC"),
            ("Transformation Location City", "Stockton"),
            ("Date Completed", &today()),
            ("Output Product Name", "Caesar salad kit"),
            ("Output Quantity", "10"),
            ("Output Unit of Measure", "EA"),
            ("Reference Document Type 1", "Work Order"),
            ("Reference Document Number 1", "WO-17"),
        ],
    );

    // The summary lists exactly what is missing: the grocer's phone, and the kit's variety is
    // optional so it is not listed.
    let summary = csv_rows(&out.join("summary.csv"));
    assert_eq!(summary.len(), 1, "{summary:?}");
    expect(
        &summary[0],
        &[
            ("Sheet", "Shipping"),
            ("Traceability Lot Code", "KIT-0902"),
            ("Missing KDEs", "Immediate Subsequent Recipient Phone"),
        ],
    );
    // Rows sorted by date then lot: the Grocer's row is where the summary says.
    let row: usize = summary[0]["Row"].parse().unwrap();
    assert_eq!(
        shipping[row - 2]["Immediate Subsequent Recipient Business Name"],
        "Valley Grocer"
    );

    // BOLT is not on the Food Traceability List: --all is what brings untracked items in.
    let xlsx = d.dir.path().join("fsma.xlsx");
    d.ok(&[
        "export",
        "fsma204",
        "--from",
        &from,
        "--to",
        &to,
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ]);
    let sheets = xlsx_sheets(&xlsx);
    assert_eq!(
        sheets.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["Receiving", "Shipping", "Transformation", "Summary"]
    );
    for (name, xml, cells) in &sheets {
        assert!(
            xml.contains(r#"state="frozen""#),
            "{name}: no frozen header row"
        );
        assert!(
            xml.contains("<autoFilter ref=\"A1:"),
            "{name}: no auto-filter"
        );
        // Every CSV cell is the same cell in the workbook.
        let rows = csv_rows(&out.join(format!("{}.csv", name.to_lowercase())));
        let text =
            std::fs::read_to_string(out.join(format!("{}.csv", name.to_lowercase()))).unwrap();
        let header: Vec<String> = csv::Reader::from_reader(text.as_bytes())
            .headers()
            .unwrap()
            .iter()
            .map(String::from)
            .collect();
        for (c, h) in header.iter().enumerate() {
            assert_eq!(
                cells.get(&(0, c)).map(String::as_str),
                Some(h.as_str()),
                "{name} header"
            );
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, h) in header.iter().enumerate() {
                let want = &row[h];
                let got = cells.get(&(r + 1, c)).cloned().unwrap_or_default();
                let got = lotkeeper::rows::spreadsheet_safe(&got);
                assert_eq!(&got, want, "{name} row {} column {h}", r + 2);
            }
        }
    }
}

/// A sheet of an .xlsx: name, worksheet XML, and cell texts by (row, column) from 0.
pub type XlsxSheet = (String, String, HashMap<(usize, usize), String>);

/// The sheets of an .xlsx.
pub fn xlsx_sheets(path: &std::path::Path) -> Vec<XlsxSheet> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut read = |name: &str| -> Option<String> {
        let mut s = String::new();
        zip.by_name(name).ok()?.read_to_string(&mut s).unwrap();
        Some(s)
    };
    let workbook = read("xl/workbook.xml").unwrap();
    // Shared strings, if the writer used them (it writes strings inline in constant memory).
    let shared = read("xl/sharedStrings.xml").unwrap_or_default();
    let strings: Vec<String> = shared
        .split("<si>")
        .skip(1)
        .map(|si| unescape(between(si, "<t", "</t>").split_once('>').unwrap().1))
        .collect();
    let names: Vec<String> = workbook
        .split("<sheet ")
        .skip(1)
        .map(|s| between(s, "name=\"", "\"").to_string())
        .collect();
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let xml = read(&format!("xl/worksheets/sheet{}.xml", i + 1)).unwrap();
            let mut cells = HashMap::new();
            for c in xml.split("<c r=\"").skip(1) {
                let reference = &c[..c.find('"').unwrap()];
                let col = reference
                    .chars()
                    .take_while(|ch| ch.is_ascii_uppercase())
                    .fold(0, |n, ch| n * 26 + (ch as usize - 'A' as usize + 1))
                    - 1;
                let row: usize = reference
                    .trim_start_matches(|ch: char| ch.is_ascii_uppercase())
                    .parse()
                    .unwrap();
                let head = &c[..c.find('>').unwrap()];
                let value = between(c, "<v>", "</v>");
                let text = if head.contains("t=\"s\"") {
                    strings[value.parse::<usize>().unwrap()].clone()
                } else if head.contains("t=\"inlineStr\"") {
                    unescape(between(c, "<t", "</t>").split_once('>').unwrap().1)
                } else {
                    value.to_string()
                };
                cells.insert((row - 1, col), text);
            }
            (name, xml, cells)
        })
        .collect()
}

fn between<'a>(s: &'a str, start: &str, end: &str) -> &'a str {
    let from = s.find(start).map(|i| i + start.len()).unwrap_or(0);
    let rest = &s[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[test]
fn recall_report_reaches_both_customers_through_the_kit() {
    let d = worked_example();
    let r = json(&d.ok(&[
        "recall", "report", "--item", "ROMAINE", "--lot", "RL-0901", "--format", "json",
    ]));
    let shipments = r["shipments"].as_array().unwrap();
    assert_eq!(shipments.len(), 2, "{r}");
    let bistro = shipments
        .iter()
        .find(|s| s["customer"] == "Bistro")
        .unwrap();
    assert_eq!(bistro["item"], "KIT");
    assert_eq!(bistro["lot"], "KIT-0902");
    assert_eq!(bistro["qty"], 4);
    assert_eq!(bistro["reference"], "INV-5001");
    assert_eq!(bistro["via"], "KIT lot KIT-0902");
    assert_eq!(bistro["party"]["phone"], "+1 415 555 0102");
    assert_eq!(bistro["party"]["street"], "5 Market St");
    // 80 cases of romaine are left in A1, moved there by this (back-office) database.
    let stock = r["stock"].as_array().unwrap();
    assert!(
        stock
            .iter()
            .any(|s| s["item"] == "ROMAINE" && s["qty"] == 80 && s["location"] == "A1"),
        "{r}"
    );
    assert_eq!(r["devices"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["devices"][0]["holds_stock"], true);
    let csv = d.ok(&[
        "recall", "report", "--item", "ROMAINE", "--lot", "RL-0901", "--format", "csv",
    ]);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("customer,business_name,phone,address"));
}

#[test]
fn epcis_events_of_the_worked_example_field_by_field() {
    let d = worked_example();
    let out = d.dir.path().join("epcis.json");
    let said = d.ok(&[
        "export",
        "epcis",
        "--from",
        &today(),
        "--to",
        &today(),
        "--id-base",
        "https://id.example.com/",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(said.contains("4 EPCIS events"), "{said}");
    let doc = json(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(doc["type"], "EPCISDocument");
    assert_eq!(doc["schemaVersion"], "2.0");
    assert_eq!(
        doc["@context"][0],
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"
    );
    let events = doc["epcisBody"]["eventList"].as_array().unwrap();
    let (rcv, tf, ship1, ship2) = (&events[0], &events[1], &events[2], &events[3]);

    assert_eq!(rcv["type"], "ObjectEvent");
    assert_eq!(rcv["action"], "OBSERVE");
    assert_eq!(rcv["bizStep"], "receiving");
    assert_eq!(rcv["disposition"], "in_progress");
    // A lot of an item with a GTIN: class level, by GS1 Digital Link, with its quantity.
    assert_eq!(
        rcv["quantityList"][0]["epcClass"],
        "https://id.gs1.org/01/00614141000036/10/RL-0901"
    );
    assert_eq!(rcv["quantityList"][0]["quantity"], 100);
    // The supplier by its GLN, our site (no GLN) by a private URI under --id-base.
    assert_eq!(
        rcv["sourceList"][0]["source"],
        "https://id.gs1.org/414/0614141000012"
    );
    assert_eq!(
        rcv["destinationList"][0]["destination"],
        "https://id.example.com/party/site/HQ"
    );
    assert_eq!(rcv["bizTransactionList"][0]["type"], "bol");
    assert_eq!(
        rcv["bizTransactionList"][0]["bizTransaction"],
        "https://id.example.com/doc/bol/BOL-4411"
    );

    assert_eq!(tf["type"], "TransformationEvent");
    assert_eq!(
        tf["inputQuantityList"][0]["epcClass"],
        "https://id.gs1.org/01/00614141000036/10/RL-0901"
    );
    assert_eq!(tf["inputQuantityList"][0]["quantity"], 20);
    // The kit has no GTIN: a stable private URI.
    assert_eq!(
        tf["outputQuantityList"][0]["epcClass"],
        "https://id.example.com/item/KIT/lot/KIT-0902"
    );
    assert_eq!(tf["outputQuantityList"][0]["quantity"], 10);
    assert_eq!(tf["ilmd"]["cbvmda:lotNumber"], "KIT-0902");
    assert_eq!(tf["bizTransactionList"][0]["type"], "prodorder");

    for (e, customer, qty, invoice) in [
        (ship1, "Bistro", 4, "INV-5001"),
        (ship2, "Grocer", 6, "INV-5002"),
    ] {
        assert_eq!(e["bizStep"], "shipping");
        assert_eq!(e["disposition"], "in_transit");
        assert_eq!(e["quantityList"][0]["quantity"], qty);
        assert_eq!(
            e["sourceList"][0]["source"],
            "https://id.example.com/party/site/HQ"
        );
        assert_eq!(
            e["destinationList"][0]["destination"],
            format!("https://id.example.com/party/customer/{customer}")
        );
        assert_eq!(e["bizTransactionList"][0]["type"], "inv");
        assert_eq!(
            e["bizTransactionList"][0]["bizTransaction"],
            format!("https://id.example.com/doc/invoice/{invoice}")
        );
    }
    // One lot's events: the lot, and the assembly it went into, whole.
    let one = json(&d.ok(&[
        "export",
        "epcis",
        "--from",
        &today(),
        "--to",
        &today(),
        "--lot",
        "RL-0901",
    ]));
    let kinds: Vec<&str> = one["epcisBody"]["eventList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["ObjectEvent", "TransformationEvent"]);
}

#[test]
fn ledger_export_has_every_movement_and_field() {
    let d = worked_example();
    let out = d.dir.path().join("ledger.json");
    d.ok(&[
        "export",
        "ledger",
        "--from",
        &today(),
        "--to",
        &today(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    let rows = json(&std::fs::read_to_string(&out).unwrap());
    let rows = rows.as_array().unwrap();
    // A receipt, one consume and one produce, two shipments.
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[0]["kind"], "receive");
    assert_eq!(rows[0]["ref_type"], "bol");
    assert_eq!(rows[0]["from"], "SUPPLIER:FreshFarms");
    assert_eq!(rows[1]["ref_type"], "work_order");
    let csv = d.ok(&[
        "export",
        "ledger",
        "--from",
        &today(),
        "--to",
        &today(),
        "--format",
        "csv",
    ]);
    assert_eq!(csv.lines().count(), 6);
    assert!(csv.starts_with("seq,id,batch_id,kind,item,lot,serial,qty,unit,from,to,"));
}

#[test]
fn bad_exports_say_why_and_write_nothing() {
    let d = worked_example();
    let t = today();
    let out = d.dir.path().join("x.xlsx");
    let o = out.to_str().unwrap();
    for (args, says) in [
        (vec!["--lot", "NOPE"], "no item has a lot NOPE"),
        (vec!["--item", "NOPE"], "there is no item with SKU NOPE"),
        (
            vec!["--item", "KIT", "--lot", "RL-0901"],
            "KIT has no lot RL-0901",
        ),
    ] {
        let mut a = vec![
            "export", "fsma204", "--from", &t, "--to", &t, "--format", "xlsx", "--out", o,
        ];
        a.extend(args);
        let r = d.run(&a);
        assert!(!r.status.success());
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(err.contains(says), "{err}");
        assert!(!out.exists());
    }
    let r = d.run(&[
        "export",
        "fsma204",
        "--from",
        "2026-12-31",
        "--to",
        "2026-01-01",
        "--format",
        "csv",
        "--out",
        o,
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr)
        .contains("ends (2026-01-01) before it starts (2026-12-31)"));
    assert!(!out.exists());
    let r = d.run(&["recall", "report", "--item", "ROMAINE", "--lot", "NOPE"]);
    assert!(String::from_utf8_lossy(&r.stderr).contains("ROMAINE has no lot NOPE"));

    // A party file with one bad row imports nothing and names the line and column.
    let bad = d.file(
        "bad.csv",
        "code,kind,name,gln\nNewCo,customer,New Co,\nBadGln,customer,Bad Gln,0614141000013\n",
    );
    let r = d.run(&["import", "parties", bad.to_str().unwrap()]);
    assert!(!r.status.success());
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains("line 3") && err.contains("gln") && err.contains("check digit"),
        "{err}"
    );
    let typo = d.file("typo.csv", "code,kind,name,postcode\nX,customer,X,1\n");
    let err =
        String::from_utf8_lossy(&d.run(&["import", "parties", typo.to_str().unwrap()]).stderr)
            .to_string();
    assert!(err.contains("postcode"), "{err}");
    let r = json(&d.ok(&[
        "recall", "report", "--item", "ROMAINE", "--lot", "RL-0901", "--format", "json",
    ]));
    assert!(r.to_string().contains("Corner Bistro"));
    assert!(!r.to_string().contains("New Co"));
}

/// What an attacker, an auditor and a second receipt found: each is now right.
#[test]
fn sources_corrections_unknown_parties_and_formulas() {
    let d = worked_example();
    let t = today();
    // A second receipt of the same lot from another supplier: the sheets do not pick one.
    d.ok(&[
        "receive",
        "--item",
        "ROMAINE",
        "--qty",
        "5",
        "--to",
        "A1",
        "--lot",
        "RL-0901",
        "--supplier",
        "=HYPERLINK(\"http://evil\")",
        "--ref",
        "BOL-4412",
    ]);
    // A receipt corrected away names no source; a shipment corrected away reaches no one.
    d.ok(&[
        "receive",
        "--item",
        "ROMAINE",
        "--qty",
        "3",
        "--to",
        "A1",
        "--lot",
        "RL-0950",
        "--supplier",
        "Bistro",
        "--ref",
        "BOL-1",
    ]);
    d.ok(&[
        "ship",
        "--item",
        "ROMAINE",
        "--qty",
        "2",
        "--from",
        "A1",
        "--lot",
        "RL-0901",
        "--customer",
        "Grocer",
        "--ref",
        "=1+2",
    ]);
    let ledger = json(&d.ok(&[
        "export", "ledger", "--from", &t, "--to", &t, "--format", "json",
    ]));
    let wrong = ledger
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "receive" && r["lot"] == "RL-0950")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    d.ok(&[
        "correct",
        "--movement",
        &wrong,
        "--reason",
        "wrong supplier",
    ]);
    d.ok(&[
        "receive",
        "--item",
        "ROMAINE",
        "--qty",
        "3",
        "--to",
        "A1",
        "--lot",
        "RL-0950",
        "--supplier",
        "FreshFarms",
        "--ref",
        "BOL-2",
    ]);
    d.ok(&[
        "ship",
        "--item",
        "ROMAINE",
        "--qty",
        "1",
        "--from",
        "A1",
        "--lot",
        "RL-0950",
        "--customer",
        "Bistro",
    ]);
    let ledger = json(&d.ok(&[
        "export", "ledger", "--from", &t, "--to", &t, "--format", "json",
    ]));
    let shipped = ledger
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "ship" && r["lot"] == "RL-0950")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    d.ok(&["correct", "--movement", &shipped, "--reason", "never left"]);

    let out = d.dir.path().join("f2");
    let said = d.ok(&[
        "export",
        "fsma204",
        "--from",
        &t,
        "--to",
        &t,
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        said.contains("corrected movements and corrections left out"),
        "{said}"
    );
    let receiving = csv_rows(&out.join("receiving.csv"));
    // The unknown supplier is named as recorded, made harmless, and its address left empty.
    let evil = receiving
        .iter()
        .find(|r| r["Reference Document Number 1"] == "BOL-4412")
        .unwrap();
    assert_eq!(
        evil["Immediate Previous Source Business Name"],
        "'=HYPERLINK(\"http://evil\")"
    );
    assert_eq!(evil["Immediate Previous Source Street Address"], "");
    // The corrected receipt is gone, and its supplier (Bistro) is no source of the lot.
    assert!(!receiving
        .iter()
        .any(|r| r["Reference Document Number 1"] == "BOL-1"));
    let rl950 = receiving
        .iter()
        .find(|r| r["Reference Document Number 1"] == "BOL-2")
        .unwrap();
    assert_eq!(
        rl950["Traceability Lot Code Source Business Name"],
        "Fresh Farms LLC"
    );
    let shipping = csv_rows(&out.join("shipping.csv"));
    assert!(!shipping
        .iter()
        .any(|r| r["Traceability Lot Code"] == "RL-0950"));
    // RL-0901 came from two sources now: a shipment of it does not say which, and the summary
    // says why.
    let rl901 = shipping
        .iter()
        .find(|r| r["Traceability Lot Code"] == "RL-0901")
        .unwrap();
    assert_eq!(rl901["Traceability Lot Code Source Business Name"], "");
    let summary = csv_rows(&out.join("summary.csv"));
    let several = summary
        .iter()
        .find(|r| r["Missing KDEs"].contains("several sources"))
        .unwrap();
    assert!(
        several["Missing KDEs"].contains("Fresh Farms LLC"),
        "{several:?}"
    );
    // The recall report leaves the corrected shipment out.
    let r = json(&d.ok(&[
        "recall", "report", "--item", "ROMAINE", "--lot", "RL-0950", "--format", "json",
    ]));
    assert_eq!(r["shipments"].as_array().unwrap().len(), 0, "{r}");
    let csv = d.ok(&[
        "export", "ledger", "--from", &t, "--to", &t, "--format", "csv",
    ]);
    // A formula typed as a reference is text in every CSV.
    assert!(csv.contains(",'=1+2,"), "{csv}");
    assert_eq!(rl901["Reference Document Number 1"], "'=1+2");
}

#[test]
fn party_files_keep_what_they_leave_out_and_name_one_column_once() {
    let d = worked_example();
    let f = d.file(
        "upd.csv",
        "code,kind,name\nFreshFarms,supplier,Fresh Farms Inc\n",
    );
    d.ok(&["import", "parties", f.to_str().unwrap()]);
    let t = today();
    let out = d.dir.path().join("f3");
    let export = |d: &Dir| {
        d.ok(&[
            "export",
            "fsma204",
            "--from",
            &t,
            "--to",
            &t,
            "--item",
            "ROMAINE",
            "--format",
            "csv",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    export(&d);
    let receiving = csv_rows(&out.join("receiving.csv"));
    assert_eq!(
        receiving[0]["Immediate Previous Source Business Name"],
        "Fresh Farms Inc"
    );
    assert_eq!(
        receiving[0]["Immediate Previous Source Street Address"],
        "100 Field Rd"
    );
    let twice = d.file("twice.csv", "code,kind,name,name\nX,supplier,A,B\n");
    let err = String::from_utf8_lossy(
        &d.run(&["import", "parties", twice.to_str().unwrap()])
            .stderr,
    )
    .to_string();
    assert!(err.contains("names column 'name' twice"), "{err}");
    // With two sites, the exports need to be told which is us.
    let two = d.file("two.csv", "code,kind,name\nSITE2,site,Second DC\n");
    d.ok(&["import", "parties", two.to_str().unwrap()]);
    assert!(export(&d).contains("no site party describes this site"));
    d.ok(&["site", "HQ"]);
    assert!(!export(&d).contains("no site party"));
    assert_eq!(
        csv_rows(&out.join("receiving.csv"))[0]["Receiving Location Business Name"],
        "Lotkeeper DC"
    );
    let err = String::from_utf8_lossy(&d.run(&["site", "NOPE"]).stderr).to_string();
    assert!(err.contains("no site party 'NOPE'"), "{err}");
    for bad in [
        "https://x.com#f",
        "https://x.com?q=1",
        "https://x.com/a b",
        "ftp://x.com",
    ] {
        let r = d.run(&[
            "export",
            "epcis",
            "--from",
            &t,
            "--to",
            &t,
            "--id-base",
            bad,
        ]);
        assert!(!r.status.success(), "{bad}");
    }
}

/// A device that records its local offset: the movement belongs to its UTC day.
#[test]
fn a_time_with_an_offset_falls_on_its_utc_day() {
    use lotkeeper::ledger::compliance::Scope;
    use lotkeeper::ledger::{Movement, MovementKind};
    let mut l = crate::harness::ledger();
    let mut m =
        Movement::new(MovementKind::Receive, "FLOUR", 3, "SUPPLIER:Mill", "A1").lot(Some("F1"));
    m.created_at = Some("2026-06-15T01:30:00+05:00".into());
    l.post(&[m]).unwrap();
    let day = |d: &str| Scope {
        from: crate::harness::day(d),
        to: crate::harness::day(d),
        item: None,
        lot: None,
        max_movements: None,
    };
    assert_eq!(
        l.trace_data(&day("2026-06-14"), false)
            .unwrap()
            .movements
            .len(),
        1
    );
    assert_eq!(
        l.trace_data(&day("2026-06-15"), false)
            .unwrap()
            .movements
            .len(),
        0
    );
    let data = l.trace_data(&day("2026-06-14"), false).unwrap();
    let wb = lotkeeper::export::fsma::workbook(&data);
    let date_col = wb
        .receiving
        .header
        .iter()
        .position(|h| h == "Receive Date")
        .unwrap();
    assert_eq!(wb.receiving.rows[0][date_col].as_text(), "2026-06-14");
    let mut n = 0;
    l.ledger_rows(
        crate::harness::day("2026-06-14"),
        crate::harness::day("2026-06-14"),
        |_| {
            n += 1;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(n, 1);
    let capped = Scope {
        max_movements: Some(0),
        ..day("2026-06-14")
    };
    let err = l.trace_data(&capped, false).unwrap_err().to_string();
    assert!(err.contains("narrow the date range"), "{err}");
}

/// Parties and product descriptions travel to devices with the master data, and a receipt
/// against a purchase order records the document's type with no more typing.
#[test]
fn parties_travel_with_master_data_and_documents_name_their_type() {
    use lotkeeper::ledger::import::ImportKind;
    use lotkeeper::ledger::{PartyKind, ReceiveCmd};
    let mut server = crate::harness::ledger();
    server.import_csv(ImportKind::Parties, PARTIES).unwrap();
    server.import_csv(ImportKind::Items, ITEMS).unwrap();
    let master = server.master_data().unwrap();
    let mut device = lotkeeper::ledger::Ledger::open_in_memory().unwrap();
    device.apply_master(&master).unwrap();
    let q = device.query();
    let farm = q.party(PartyKind::Supplier, "FreshFarms").unwrap().unwrap();
    assert_eq!(farm.gln.as_deref(), Some("0614141000012"));
    assert_eq!(farm.street.as_deref(), Some("100 Field Rd"));
    assert_eq!(q.parties().unwrap().len(), 4);
    let romaine = q.item("ROMAINE").unwrap().unwrap();
    assert!(romaine.description.ftl);
    assert_eq!(romaine.description.commodity.as_deref(), Some("Lettuce"));

    server
        .import_csv(
            ImportKind::PurchaseOrders,
            "po,supplier,sku,qty,expected\nPO-77,FreshFarms,ROMAINE,10,2026-06-15\n",
        )
        .unwrap();
    server
        .receive(&ReceiveCmd {
            item: "ROMAINE".into(),
            qty: 10,
            to: "A1".into(),
            lot: Some("R7".into()),
            supplier: Some("FreshFarms".into()),
            reference: Some("PO-77".into()),
            ..Default::default()
        })
        .unwrap();
    let mut types = Vec::new();
    server
        .ledger_rows(
            crate::harness::day("2026-06-15"),
            crate::harness::day("2026-06-15"),
            |r| {
                types.push((r.reference, r.ref_type));
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(types, [(Some("PO-77".to_string()), Some("po".to_string()))]);
}
