//! The packing slip: a pick list picked on the handheld and finished as a shipment; its slip
//! saved from the pick and again from look up, from the command line, and over /v1; rendered
//! to PDF and read back (Ghostscript's text extraction where it is installed, else the PDF's own
//! text operators) for its lines and the FSMA 204 data; refused for a list that has not shipped.

use crate::harness::*;
use lotkeeper::export::slip;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::Ledger;
use lotkeeper::workflow::lookup::Lookup;
use lotkeeper::workflow::pick::Pick;
use lotkeeper::workflow::{Feedback, Workflow};
use std::path::Path;

const PARTIES: &str = "\
code,kind,name,phone,street,city,region,postal_code,country,gln
Acme,supplier,Acme Pharma Inc.,+1 555 0100,1 Lab Road,Newark,NJ,07102,US,0614141000005
Bob,customer,Bob's Pharmacy,+1 555 0111,9 Elm St,Chicago,IL,60601,US,
HQ,site,Lotkeeper DC,+1 555 0199,1 Dock Way,Stockton,CA,95202,US,
";

/// A file database with a pick list of a lot and two serials, picked and shipped on the
/// handheld (the Pick workflow, finishing as a shipment).
fn shipped(dir: &Path) -> Ledger {
    let mut l = Ledger::open(&dir.join("device.db"))
        .unwrap()
        .with_clock(std::sync::Arc::new(lotkeeper::ledger::FixedClock::on(day(
            TODAY,
        ))));
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    l.import_csv(ImportKind::Parties, PARTIES).unwrap();
    receive_lot(&mut l, "PARA", "P-77", Some("2027-03-31"), 20, "A1");
    receive_serials(&mut l, "PHONE", None, None, &["SN-1", "SN-2", "SN-3"], "A1");
    l.import_csv(
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL-9,Bob,PARA,12,\nPL-9,Bob,PHONE,2,\nPL-10,Bob,PARA,1,\n",
    )
    .unwrap();
    let mut w = Pick::open(&l, "PL-9").unwrap();
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan A1",
            "scan (01)09506000134352(10)P-77",
            "enter 12",
            "scan A1",
            "scan PHONE",
            "scan SN-1",
            "scan PHONE",
            "scan SN-2",
        ],
    );
    assert!(o.iter().all(|o| o.feedback != Feedback::Refused), "{o:?}");
    // Not before it ships.
    assert!(!w.view().options.contains(&"packing slip".to_string()));
    let o = drive(&mut l, &mut w, &["confirm"]);
    assert_eq!(feedbacks(&o), vec![Feedback::Done], "{o:?}");
    // Offered once it has shipped, and saved beside the database.
    assert_eq!(w.view().options, vec!["packing slip".to_string()]);
    let o = drive(&mut l, &mut w, &["choose packing slip"]);
    assert_eq!(feedbacks(&o), vec![Feedback::Accepted], "{o:?}");
    let saved = dir.join("documents").join("packing-slip-PL-9.pdf");
    assert_eq!(
        message(&o[0]),
        format!("packing slip of PL-9 saved: {}", saved.display())
    );
    assert!(saved.is_file());
    l
}

/// The text of a PDF: Ghostscript's extraction where it is installed, else the strings of the
/// PDF's text operators (pdf-writer leaves content streams uncompressed).
fn pdf_text(pdf: &[u8], dir: &Path) -> String {
    let path = dir.join("read.pdf");
    std::fs::write(&path, pdf).unwrap();
    let gs = std::process::Command::new("gs")
        .args([
            "-q",
            "-dNOPAUSE",
            "-dBATCH",
            "-sDEVICE=txtwrite",
            "-sOutputFile=-",
        ])
        .arg(&path)
        .output();
    match gs {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().to_string())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => {
            eprintln!("Ghostscript is not installed: reading the PDF's text operators instead");
            let raw = String::from_utf8_lossy(pdf);
            raw.split(") Tj")
                .filter_map(|s| s.rsplit_once('(').map(|(_, t)| t.to_string()))
                .collect::<Vec<_>>()
                .join("\n")
        }
    }
}

#[test]
fn a_packing_slip_lists_what_shipped_and_the_fsma_204_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = shipped(dir.path());
    let s = l.packing_slip("PL-9").unwrap();
    assert_eq!(s.lines.len(), 2);
    let text = pdf_text(&slip::pdf(&s), dir.path());
    for want in [
        "PACKING SLIP",
        "Pick list PL-9    Shipped 2026-06-15",
        "Lotkeeper DC",
        "1 Dock Way",
        "Bob's Pharmacy",
        "9 Elm St",
        "Chicago IL 60601",
        "1. PARA (GTIN 09506000134352) - Paracetamol 500 mg: 12 EA",
        "lot P-77, expiry 2027-03-31",
        "2. PHONE - Handheld terminal: 2 EA",
        "serials SN-1, SN-2",
        "2 line(s), 14 unit(s) in all",
        "Traceability lot code P-77",
        "Quantity 12 EA",
        "Lot code source Acme Pharma Inc., 1 Lab Road, Newark NJ 07102, US",
        "PL-9 - page 1 of 1",
    ] {
        assert!(text.contains(want), "'{want}' is not on the slip:\n{text}");
    }
    // The serials without a lot have no traceability lot code to pass on.
    assert_eq!(text.matches("Traceability lot code").count(), 1, "{text}");

    // Look up offers it again for the shipped list, not for one that has not shipped.
    let mut look = Lookup::start();
    drive(&mut l, &mut look, &["scan PL-9"]);
    assert!(look.view().options.contains(&"packing slip".to_string()));
    let o = drive(&mut l, &mut look, &["choose packing slip"]);
    assert_eq!(feedbacks(&o), vec![Feedback::Accepted], "{o:?}");
    drive(&mut l, &mut look, &["scan PL-10"]);
    assert!(!look.view().options.contains(&"packing slip".to_string()));
    let e = l.packing_slip("PL-10").unwrap_err().to_string();
    assert!(e.contains("pick list PL-10 has not shipped"), "{e}");
    let e = l.packing_slip("PL-404").unwrap_err().to_string();
    assert!(e.contains("there is no pick list PL-404"), "{e}");

    // A long list runs onto more pages, each numbered.
    let mut long = s.clone();
    long.lines = (0..120).map(|_| s.lines[0].clone()).collect();
    let text = pdf_text(&slip::pdf(&long), dir.path());
    assert!(text.contains("PL-9 - page 2 of "), "{text}");
}

#[test]
fn the_packing_slip_from_the_command_line_and_over_v1() {
    let dir = tempfile::tempdir().unwrap();
    drop(shipped(dir.path()));
    let db = dir.path().join("device.db");
    let out_file = dir.path().join("slip.pdf");
    let out = run_with_db(
        &db,
        &["packing-slip", "PL-9", "--out", out_file.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = pdf_text(&std::fs::read(&out_file).unwrap(), dir.path());
    assert!(text.contains("serials SN-1, SN-2"), "{text}");
    let out = run_with_db(&db, &["packing-slip", "PL-10"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has not shipped"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Over /v1, for a device token.
    let server = lotkeeper::sync::server::RunningServer::start(&db, "127.0.0.1:0", None).unwrap();
    let token = lotkeeper::sync::new_token();
    Ledger::open(&db)
        .unwrap()
        .add_device("office", &lotkeeper::sync::hash_token(&token))
        .unwrap();
    let http = reqwest::blocking::Client::new();
    let get = |q: &str| {
        http.get(format!("{}/v1/documents/packing-slip{q}", server.url()))
            .bearer_auth(&token)
            .send()
            .unwrap()
    };
    let r = get("?pick_list=PL-9");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf_text(&pdf, dir.path()).contains("Bob's Pharmacy"));
    assert_eq!(get("?pick_list=PL-10").status(), 400);
    assert_eq!(get("?pick_list=PL-404").status(), 404);
    assert_eq!(get("").status(), 400);
}
