//! Lot attributes: defined per item (import, checked by line and column), required ones refused
//! when a receipt of a new lot lacks them, filled by a GS1 AI on the label, recorded once,
//! carried to a device with the movement, and shown by look up, the trace and the ledger export.

use crate::harness::*;
use lotkeeper::ledger::attributes::AttributeKind;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::{Error, Ledger, ReceiveCmd};
use lotkeeper::sync::wire::{WireMaster, WireMovement};
use lotkeeper::workflow::lookup::Lookup;
use lotkeeper::workflow::receive::Receive;
use lotkeeper::workflow::session::parse_event;
use lotkeeper::workflow::{Feedback, Workflow};

use Feedback::{Accepted as A, Done as D, NeedsMore as N, Refused as R};

const DEFS: &str = "\
sku,name,type,required,ai
PARA,country of origin,text,yes,422
PARA,supplier lot,text,no,
PARA,assay,number,no,
FLOUR,milled on,date,yes,
";

fn with_defs() -> Ledger {
    let mut l = ledger();
    l.import_csv(ImportKind::LotAttributes, DEFS).unwrap();
    l
}

fn receipt(lot: &str, attrs: &[(&str, &str)]) -> ReceiveCmd {
    ReceiveCmd {
        item: "PARA".into(),
        qty: 10,
        to: "A1".into(),
        lot: Some(lot.into()),
        expiry: Some(day("2027-06-30")),
        supplier: Some("Acme".into()),
        lot_attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

#[test]
fn definitions_import_whole_and_bad_rows_name_line_and_column() {
    let mut l = with_defs();
    let defs = l.query().lot_attribute_defs("PARA").unwrap();
    let names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, vec!["country of origin", "supplier lot", "assay"]);
    assert_eq!(defs[0].ai.as_deref(), Some("422"));
    assert!(defs[0].required && !defs[1].required);
    assert_eq!(defs[2].kind, AttributeKind::Number);
    let cases: &[(&str, u64, &str, &str)] = &[
        (
            "sku,name,type,required\nNOPE,x,text,no\n",
            2,
            "sku",
            "unknown item NOPE",
        ),
        (
            "sku,name,type,required\nBOLT,grade,text,no\n",
            2,
            "sku",
            "BOLT has no lots",
        ),
        (
            "sku,name,type,required\nPARA,colour,color,no\n",
            2,
            "type",
            "text, number or date",
        ),
        (
            "sku,name,type,required,ai\nPARA,batch,text,no,10\n",
            2,
            "ai",
            "(10) is the item's or lot's own data",
        ),
        (
            "sku,name,type,required,ai\nPARA,origin,text,no,42x\n",
            2,
            "ai",
            "not a GS1 Application Identifier",
        ),
        (
            "sku,name,type,required\nPARA,origin,text,no\nPARA,Origin,text,yes\n",
            3,
            "name",
            "PARA has an attribute 'Origin' on line 2",
        ),
        (
            "sku,name,type,required\nPARA,origin,text,maybe\n",
            2,
            "required",
            "not true or false",
        ),
        // Found by attacking the first version:
        (
            "sku,name,type,required\nPARA,a=b,text,no\n",
            2,
            "name",
            "has no '='",
        ),
        (
            "sku,name,type,required\nPHONE,grade,text,yes\n",
            2,
            "sku",
            "no lot to record attributes on",
        ),
        (
            "sku,name,type,required,ai\nPARA,origin,text,no,422\nPARA,origin 2,text,no,422\n",
            3,
            "ai",
            "(422) already fills PARA's 'origin'",
        ),
        (
            "sku,name,type,required,colour\nPARA,origin,text,no,red\n",
            1,
            "colour",
            "does not know",
        ),
    ];
    for (csv, line, column, text) in cases {
        match l.import_csv(ImportKind::LotAttributes, csv) {
            Err(Error::Import {
                line: got,
                column: col,
                message,
            }) => {
                assert_eq!((got, col.as_str()), (*line, *column), "{csv}: {message}");
                assert!(message.contains(text), "{csv}: {message}");
            }
            other => panic!("{csv}: {other:?}"),
        }
        assert_eq!(l.query().lot_attribute_defs("PARA").unwrap(), defs, "{csv}");
    }
}

#[test]
fn a_required_attribute_is_refused_when_missing_and_recorded_once() {
    let mut l = with_defs();
    let snap = snapshot(&l);
    let e = l.receive(&receipt("L1", &[])).unwrap_err().to_string();
    assert!(
        e.contains("PARA lot L1 is received without its country of origin: a receipt records it"),
        "{e}"
    );
    let e = l
        .receive(&receipt(
            "L1",
            &[("country of origin", "DE"), ("assay", "high")],
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains("assay: 'high' is not a number"), "{e}");
    let e = l
        .receive(&receipt(
            "L1",
            &[("country of origin", "DE"), ("colour", "red")],
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains("PARA has no lot attribute 'colour'"), "{e}");
    assert_eq!(snapshot(&l), snap, "nothing was recorded");

    l.receive(&receipt(
        "L1",
        &[
            ("country of origin", "DE"),
            ("assay", "+99.5"),
            ("supplier lot", "S-77"),
        ],
    ))
    .unwrap();
    assert_eq!(
        l.query().lot_attributes("PARA", "L1").unwrap(),
        vec![
            ("country of origin".to_string(), "DE".to_string()),
            ("supplier lot".to_string(), "S-77".to_string()),
            ("assay".to_string(), "99.5".to_string()),
        ]
    );
    // More of the same lot needs nothing more; a different value is refused.
    l.receive(&receipt("L1", &[])).unwrap();
    l.receive(&receipt("L1", &[("country of origin", "DE")]))
        .unwrap();
    let e = l
        .receive(&receipt("L1", &[("country of origin", "FR")]))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("PARA lot L1 has country of origin DE, not FR: check the label"),
        "{e}"
    );
    // Opening stock is what is on the shelves: it imports without them.
    l.import_csv(
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nPARA,A2,OLD-1,,2027-01-01,5\n",
    )
    .unwrap();
    // Numbers have one form, so the same number is the same value.
    l.receive(&receipt(
        "L2",
        &[("country of origin", "DE"), ("assay", "5.")],
    ))
    .unwrap();
    l.receive(&receipt("L2", &[("assay", "+5.0")])).unwrap();
    assert!(l
        .query()
        .lot_attributes("PARA", "L2")
        .unwrap()
        .contains(&("assay".to_string(), "5".to_string())));
    // Re-typing an attribute that has values is refused when a value would not fit.
    let e = l
        .import_csv(
            ImportKind::LotAttributes,
            "sku,name,type,required\nPARA,country of origin,number,yes\n",
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("lot L1 has country of origin 'DE', which is not a number"),
        "{e}"
    );
    // A date attribute is a four-digit-year date.
    let e = l
        .receive(&ReceiveCmd {
            item: "FLOUR".into(),
            qty: 1,
            to: "A1".into(),
            lot: Some("F1".into()),
            lot_attributes: [("milled on".to_string(), "26-05-01".to_string())].into(),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("four-digit year") || e.contains("YYYY"), "{e}");
}

#[test]
fn receive_fills_an_attribute_from_its_ai_and_asks_for_the_rest() {
    let mut l = with_defs();
    let mut w = Receive::start(&l);
    // (422) on the label: the country of origin is filled, nothing is asked.
    let o: Vec<_> = [
        "scan (01)09506000134352(17)270630(10)L7(422)276",
        "enter 4",
        "scan A1",
        "confirm",
    ]
    .iter()
    .map(|e| w.handle(&mut l, parse_event(e).unwrap()))
    .collect();
    let f: Vec<_> = o.iter().map(|o| o.feedback).collect();
    assert_eq!(f, vec![N, A, A, D], "{o:?}");
    assert_eq!(
        l.query().lot_attributes("PARA", "L7").unwrap(),
        vec![("country of origin".to_string(), "276".to_string())]
    );
    // Without it, the receipt asks, and cannot be confirmed before.
    let o: Vec<_> = [
        "scan (01)09506000134352(17)270630(10)L8",
        "confirm",
        "enter   ",
        "enter IT",
        "enter 2",
        "scan A1",
        "confirm",
    ]
    .iter()
    .map(|e| w.handle(&mut l, parse_event(e).unwrap()))
    .collect();
    let f: Vec<_> = o.iter().map(|o| o.feedback).collect();
    assert_eq!(f, vec![N, R, R, N, A, A, D], "{o:?}");
    assert_eq!(
        o[0].message.as_deref(),
        Some("Type the country of origin of this lot")
    );
    assert_eq!(
        o[1].message.as_deref(),
        Some("the country of origin is missing: type it; a new lot records it")
    );
    // An existing lot is not asked again.
    let o: Vec<_> = ["scan (01)09506000134352(17)270630(10)L8", "enter 1"]
        .iter()
        .map(|e| w.handle(&mut l, parse_event(e).unwrap()))
        .collect();
    assert_eq!(o[1].feedback, A, "{o:?}");
    assert_eq!(w.view().prompt, "Scan the location (or confirm for DOCK)");

    // Look up shows them, and so does the trace.
    let mut look = Lookup::start();
    look.handle(
        &mut l,
        parse_event("scan (01)09506000134352(10)L8").unwrap(),
    );
    assert!(
        look.view()
            .fields
            .contains(&("country of origin".to_string(), "IT".to_string())),
        "{:?}",
        look.view().fields
    );
    let t = l.trace("PARA", Some("L8"), None).unwrap();
    assert_eq!(
        t.lot_attributes,
        vec![("country of origin".to_string(), "IT".to_string())]
    );
    // The ledger export carries them on the receipt.
    let mut rows = vec![];
    l.ledger_rows(day(TODAY), day(TODAY), |r| {
        rows.push(r);
        Ok(())
    })
    .unwrap();
    let l8 = rows
        .iter()
        .find(|r| r.lot.as_deref() == Some("L8"))
        .unwrap();
    assert_eq!(
        l8.lot_attributes.as_deref(),
        Some(r#"{"country of origin":"IT"}"#)
    );
}

#[test]
fn attributes_reach_a_device_with_the_lot_and_its_definitions() {
    let mut server = with_defs();
    server
        .receive(&receipt("L1", &[("country of origin", "DE")]))
        .unwrap();
    let mut device = Ledger::open_in_memory().unwrap();
    let wire: WireMaster = serde_json::from_str(
        &serde_json::to_string(&WireMaster::from(&server.master_data().unwrap())).unwrap(),
    )
    .unwrap();
    device.apply_master(&wire.into()).unwrap();
    assert_eq!(
        device.query().lot_attribute_defs("PARA").unwrap(),
        server.query().lot_attribute_defs("PARA").unwrap()
    );
    let records: Vec<WireMovement> = server
        .records_after(0, 100)
        .unwrap()
        .iter()
        .map(WireMovement::from)
        .collect();
    let json = serde_json::to_string(&records).unwrap();
    assert!(
        json.contains(r#""lot_attributes":{"country of origin":"DE"}"#),
        "{json}"
    );
    let back: Vec<WireMovement> = serde_json::from_str(&json).unwrap();
    device
        .apply_records(&back.into_iter().map(Into::into).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(
        device.query().lot_attributes("PARA", "L1").unwrap(),
        vec![("country of origin".to_string(), "DE".to_string())]
    );
}
