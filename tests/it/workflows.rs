//! Every path of every workflow, driven by events, asserting prompts, feedback and the ledger.

use crate::harness::*;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::{Ledger, LotStatus};
use lotkeeper::workflow::count::Count;
use lotkeeper::workflow::lookup::Lookup;
use lotkeeper::workflow::pick::Pick;
use lotkeeper::workflow::receive::Receive;
use lotkeeper::workflow::transfer::Transfer;
use lotkeeper::workflow::{DeviationPolicy, Feedback, PickFinish, Settings, Workflow};

use Feedback::{Accepted as A, Done as D, NeedsMore as N, Refused as R};

#[test]
fn receive_gs1_label_then_location() {
    let mut l = ledger();
    let mut w = Receive::start(&l);
    assert_eq!(w.view().prompt, "Scan the item (or a purchase order)");
    let o = drive(
        &mut l,
        &mut w,
        &["scan ]d20109506000134352172612311012345\\x1d21SN9"],
    );
    assert_eq!(feedbacks(&o), vec![N]);
    assert_eq!(w.view().prompt, "Type the quantity of PARA");
    let o = drive(
        &mut l,
        &mut w,
        &["enter 40", "scan Q-NOPE", "scan A1", "confirm"],
    );
    assert_eq!(feedbacks(&o), vec![A, R, A, D]);
    assert_eq!(message(&o[3]), "received 40 EA of PARA lot 12345 at A1");
    assert_eq!(o[3].posted.len(), 1);
    assert_eq!(qty_at(&l, "PARA", Some("12345"), "A1"), 40);
    assert_eq!(
        l.query().lot("PARA", "12345").unwrap().unwrap().expiry,
        Some(day("2026-12-31"))
    );
}

#[test]
fn receive_asks_for_what_the_label_lacks_and_cannot_save_without_it() {
    let mut l = ledger();
    let mut w = Receive::start(&l);
    let o = drive(&mut l, &mut w, &["scan 09506000134352", "confirm"]);
    assert_eq!(feedbacks(&o), vec![N, R]);
    assert!(
        message(&o[1]).starts_with("the lot is missing"),
        "{}",
        message(&o[1])
    );
    let o = drive(&mut l, &mut w, &["scan P-77", "confirm"]);
    assert_eq!(feedbacks(&o), vec![N, R]);
    assert!(message(&o[1]).starts_with("the expiry date is missing"));
    let o = drive(&mut l, &mut w, &["enter 31.12.2026", "enter 3", "confirm"]);
    assert_eq!(feedbacks(&o), vec![N, A, D], "{o:?}");
    assert_eq!(message(&o[2]), "received 3 EA of PARA lot P-77 at DOCK");
    // A case label: the quantity counts cases.
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan (01)19506000134359(10)P-78(17)270101",
            "enter 2",
            "confirm",
        ],
    );
    assert_eq!(feedbacks(&o), vec![N, A, D]);
    assert_eq!(qty_at(&l, "PARA", Some("P-78"), "DOCK"), 24);
}

#[test]
fn receive_generates_lots_and_computes_expiry_from_production() {
    let mut l = ledger();
    let mut w = Receive::start(&l);
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan (01)09506000134352(11)260601",
            "choose generate",
            "enter 5",
            "confirm",
        ],
    );
    assert_eq!(feedbacks(&o), vec![N, N, A, D], "{o:?}");
    assert_eq!(
        message(&o[1]),
        "Type the quantity of PARA",
        "the expiry came from production date and shelf life"
    );
    assert_eq!(
        message(&o[3]),
        "received 5 EA of PARA lot 260615-01 at DOCK"
    );
    assert_eq!(
        l.query().lot("PARA", "260615-01").unwrap().unwrap().expiry,
        Some(day("2027-06-01"))
    );
    let o = drive(
        &mut l,
        &mut w,
        &["scan FLOUR", "choose generate", "enter 1", "confirm"],
    );
    assert_eq!(
        message(&o[3]),
        "received 1 BAG of FLOUR lot 260615-01 at DOCK"
    );
    let o = drive(
        &mut l,
        &mut w,
        &["scan FLOUR", "choose generate", "enter 1", "confirm"],
    );
    assert_eq!(
        message(&o[3]),
        "received 1 BAG of FLOUR lot 260615-02 at DOCK"
    );
}

#[test]
fn receive_serials_one_by_one_and_refuses_duplicates_on_the_spot() {
    let mut l = ledger();
    receive_serials(&mut l, "PHONE", None, None, &["OLD1"], "A2");
    let mut w = Receive::start(&l);
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan PHONE",
            "scan S1",
            "scan S2",
            "scan S1",
            "scan OLD1",
            "enter S3, S4",
            "confirm",
            "confirm",
        ],
    );
    assert_eq!(feedbacks(&o), vec![N, A, A, R, R, A, A, D], "{o:?}");
    assert_eq!(message(&o[3]), "serial S1 is already in this receipt");
    assert_eq!(
        message(&o[4]),
        "serial OLD1 of PHONE is already in stock at A2"
    );
    assert_eq!(l.serials_report(Some("PHONE")).unwrap().len(), 5);
    assert_eq!(o[7].posted.len(), 4);
    // An expiry-tracked serial item needs its lot and expiry first.
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan VACC",
            "scan V-LOT",
            "enter 2027-01-31",
            "scan V1",
            "confirm",
            "confirm",
        ],
    );
    assert_eq!(feedbacks(&o), vec![N, N, N, A, A, D], "{o:?}");
}

#[test]
fn receive_against_a_purchase_order_warns_of_over_receipt() {
    let mut l = ledger();
    l.import_csv(
        ImportKind::PurchaseOrders,
        "po,supplier,sku,qty,expected\nPO-1,Acme,FLOUR,10,\n",
    )
    .unwrap();
    let mut w = Receive::start(&l);
    let o = drive(
        &mut l,
        &mut w,
        &["scan PO-1", "scan FLOUR", "scan F1", "enter 8", "confirm"],
    );
    assert_eq!(feedbacks(&o), vec![A, N, N, A, D]);
    assert_eq!(message(&o[0]), "PO-1 from Acme: 1 line(s)");
    let o = drive(&mut l, &mut w, &["scan FLOUR", "scan F1", "enter 5"]);
    assert_eq!(
        message(&o[2]),
        "over-receipt: PO-1 expects 10 BAG of FLOUR, 8 received, this makes 13"
    );
    let o = drive(&mut l, &mut w, &["confirm"]);
    assert_eq!(feedbacks(&o), vec![D]);
    let po = l.query().purchase_order("PO-1").unwrap().unwrap();
    assert_eq!(po.lines[0].received, 13);
    let moves = l.lot_transactions("FLOUR", "F1").unwrap();
    assert_eq!(moves[0].party.as_deref(), Some("Acme"));
    assert_eq!(moves[0].entry.reference.as_deref(), Some("PO-1"));
}

#[test]
fn receive_refuses_the_wrong_kind_of_scan_without_losing_fields() {
    let mut l = ledger();
    let mut w = Receive::start(&l);
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan A1",
            "scan FLOUR",
            "scan A1",
            "scan BOLT",
            "back",
            "back",
            "cancel",
        ],
    );
    assert_eq!(feedbacks(&o), vec![R, N, R, R, A, R, A]);
    assert_eq!(
        message(&o[0]),
        "that is location A1: Scan the item (or a purchase order)"
    );
    assert_eq!(
        message(&o[3]),
        "this is BOLT, but the receipt of FLOUR is not finished: confirm it or cancel"
    );
}

/// SOON at A2, 50 bolts at A1, and pick list PL-1 (8 PARA, 10 BOLT) for Bob.
fn stock_and_pick_list(l: &mut Ledger) {
    receive_lot(l, "PARA", "SOON", Some("2026-09-01"), 5, "A2");
    l.receive(&lotkeeper::ledger::ReceiveCmd {
        item: "BOLT".into(),
        qty: 50,
        to: "A1".into(),
        ..Default::default()
    })
    .unwrap();
    l.import_csv(
        ImportKind::PickLists,
        "picklist,customer,sku,qty,due\nPL-1,Bob,PARA,8,\nPL-1,Bob,BOLT,10,\n",
    )
    .unwrap();
}

/// The pick list, with a later lot at A1 and an expired and a recalled lot at A2.
fn pick_setup() -> Ledger {
    let mut l = ledger();
    receive_lot(&mut l, "PARA", "LATE", Some("2027-06-01"), 20, "A1");
    // Expired stock on the shelf comes in as opening stock (a receipt of it would be refused).
    l.import_csv(
        ImportKind::Stock,
        "sku,location,lot,serial,expiry,qty\nPARA,A2,GONE,,2026-06-10,4\n",
    )
    .unwrap();
    receive_lot(&mut l, "PARA", "HELD", Some("2026-08-01"), 4, "A2");
    l.set_lot_status("PARA", "HELD", LotStatus::Recalled, "recall 9")
        .unwrap();
    stock_and_pick_list(&mut l);
    l
}

#[test]
fn pick_follows_fefo_and_refuses_expired_held_and_wrong_location() {
    let mut l = pick_setup();
    let mut w = Pick::open(&l, "PL-1").unwrap();
    // Walk order: A1 before A2, but the PARA suggestion (soonest expiry) is at A2.
    assert_eq!(w.view().prompt, "Go to A1 and scan the location");
    let o = drive(
        &mut l,
        &mut w,
        &["scan A2", "scan A1", "scan PARA", "scan BOLT", "enter 10"],
    );
    assert_eq!(feedbacks(&o), vec![R, A, R, A, A], "{o:?}");
    assert_eq!(message(&o[0]), "wrong location: this is A2; go to A1");
    assert_eq!(message(&o[2]), "that is PARA; this line is BOLT");
    assert_eq!(w.view().prompt, "Go to A2 and scan the location");
    let v = w.view();
    assert!(
        v.fields.contains(&(
            "Suggested".into(),
            "A2 lot SOON (expires 2026-09-01)".into()
        )),
        "{:?}",
        v.fields
    );
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan A2",
            "scan (01)09506000134352(10)GONE",
            "scan (01)09506000134352(10)HELD",
            "scan (01)09506000134352(10)SOON",
            "confirm",
        ],
    );
    assert_eq!(feedbacks(&o), vec![A, R, R, A, A], "{o:?}");
    assert_eq!(
        message(&o[1]),
        "PARA lot GONE expired on 2026-06-10; it cannot be picked"
    );
    assert_eq!(
        message(&o[2]),
        "PARA lot HELD is on hold (recalled); it cannot be picked"
    );
    // 5 of SOON taken; the other 3 come from LATE at A1.
    assert_eq!(w.view().prompt, "Go to A1 and scan the location");
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan A1",
            "scan (01)09506000134352(10)LATE",
            "confirm",
            "confirm",
        ],
    );
    assert_eq!(feedbacks(&o), vec![A, A, A, D], "{o:?}");
    assert_eq!(
        message(&o[3]),
        "pick list PL-1 finished: 3 movement(s) shipped to Bob"
    );
    assert_eq!(qty_at(&l, "PARA", Some("SOON"), "A2"), 0);
    assert_eq!(qty_at(&l, "PARA", Some("LATE"), "A1"), 17);
    assert_eq!(qty_at(&l, "BOLT", None, "A1"), 40);
    assert_eq!(l.query().pick_list("PL-1").unwrap().unwrap().status, "done");
    assert!(Pick::open(&l, "PL-1").is_err());
}

/// On "Confirm 10 EA (or type the quantity)", Enter with nothing typed confirms the 10; it
/// used to say "'' is not a quantity".
#[test]
fn pick_enter_on_an_empty_quantity_takes_the_offered_quantity() {
    let mut l = pick_setup();
    let mut w = Pick::open(&l, "PL-1").unwrap();
    drive(&mut l, &mut w, &["scan A1", "scan BOLT"]);
    assert_eq!(w.view().prompt, "Confirm 10 EA (or type the quantity)");
    let o = w.handle(&mut l, lotkeeper::workflow::Event::Enter("  ".into()));
    assert_eq!(o.feedback, A, "{o:?}");
    assert_eq!(w.view().prompt, "Go to A2 and scan the location");
    // A typed quantity still counts, and a wrong one is still refused.
    drive(
        &mut l,
        &mut w,
        &["scan A2", "scan (01)09506000134352(10)SOON"],
    );
    let o = drive(&mut l, &mut w, &["enter x", "enter 3"]);
    assert_eq!(feedbacks(&o), vec![R, A], "{o:?}");
    assert_eq!(
        l.pick_drafts("PL-1")
            .unwrap()
            .iter()
            .map(|d| d.qty)
            .collect::<Vec<_>>(),
        vec![10, 3]
    );
}

#[test]
fn pick_another_lot_needs_a_reason_which_is_recorded_or_is_stopped() {
    let mut l = pick_setup();
    let mut w = Pick::open(&l, "PL-1").unwrap();
    drive(&mut l, &mut w, &["scan A1", "scan BOLT", "confirm"]);
    // The suggestion is SOON at A2; the picker takes LATE from A1... at the suggested location only.
    let o = drive(
        &mut l,
        &mut w,
        &["scan A2", "scan (01)09506000134352(10)LATE"],
    );
    assert_eq!(feedbacks(&o), vec![A, R]);
    assert_eq!(message(&o[1]), "there is no PARA lot LATE left at A2");
    receive_lot(&mut l, "PARA", "LATE", Some("2027-06-01"), 2, "A2");
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan (01)09506000134352(10)LATE",
            "enter customer asked for long dating",
            "enter 2",
        ],
    );
    assert_eq!(feedbacks(&o), vec![N, A, A], "{o:?}");
    assert_eq!(
        message(&o[0]),
        "lot LATE is not the suggested lot SOON, which expires sooner (2026-09-01 against 2027-06-01): type the reason"
    );
    // With the stop policy the same scan is refused.
    let mut stop = Settings::load(&l).unwrap();
    stop.deviation = DeviationPolicy::Stop;
    stop.save(&mut l).unwrap();
    let mut w2 = Pick::open(&l, "PL-1").unwrap();
    receive_lot(&mut l, "PARA", "LATE", Some("2027-06-01"), 2, "A2");
    let o = drive(
        &mut l,
        &mut w2,
        &["scan A2", "scan (01)09506000134352(10)LATE"],
    );
    assert_eq!(feedbacks(&o), vec![A, R]);
    assert!(
        message(&o[1]).ends_with("take lot SOON from A2"),
        "{}",
        message(&o[1])
    );
    // Finish the first session: the reason travels with the movement.
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan A2",
            "scan (01)09506000134352(10)SOON",
            "confirm",
            "scan A1",
            "scan (01)09506000134352(10)LATE",
            "confirm",
            "confirm",
        ],
    );
    assert_eq!(feedbacks(&o), vec![A, A, A, A, A, A, D], "{o:?}");
    let late = l.lot_transactions("PARA", "LATE").unwrap();
    let shipped = late
        .iter()
        .find(|t| t.entry.kind == lotkeeper::ledger::MovementKind::Ship)
        .unwrap();
    assert_eq!(
        shipped.entry.reason.as_deref(),
        Some("customer asked for long dating")
    );
}

#[test]
fn a_half_done_pick_list_survives_a_restart_and_short_picks_are_recorded() {
    let dir = Dir::new();
    let mut l = Ledger::open(&dir.db())
        .unwrap()
        .with_clock(std::sync::Arc::new(lotkeeper::ledger::FixedClock::on(day(
            TODAY,
        ))));
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    stock_and_pick_list(&mut l);
    {
        let mut w = Pick::open(&l, "PL-1").unwrap();
        drive(&mut l, &mut w, &["scan A1", "scan BOLT", "confirm"]);
    }
    // The app is closed: the ledger is opened again from the file.
    drop(l);
    let mut l = Ledger::open(&dir.db())
        .unwrap()
        .with_clock(std::sync::Arc::new(lotkeeper::ledger::FixedClock::on(day(
            TODAY,
        ))));
    assert_eq!(
        qty_at(&l, "BOLT", None, "A1"),
        50,
        "nothing is posted before the list finishes"
    );
    let mut w = Pick::open(&l, "PL-1").unwrap();
    assert!(
        w.view()
            .lines
            .contains(&"2 BOLT: 10 of 10 picked".to_string()),
        "{:?}",
        w.view().lines
    );
    let o = drive(
        &mut l,
        &mut w,
        &["scan A2", "scan (01)09506000134352(10)SOON", "confirm"],
    );
    assert_eq!(feedbacks(&o), vec![A, A, A]);
    assert_eq!(w.view().prompt, "No PARA can be picked: choose short");
    let o = drive(
        &mut l,
        &mut w,
        &["choose short", "enter not on the shelf", "confirm"],
    );
    assert_eq!(feedbacks(&o), vec![N, A, D], "{o:?}");
    assert_eq!(
        message(&o[2]),
        "pick list PL-1 finished: 2 movement(s) shipped to Bob, 3 short"
    );
    assert_eq!(qty_at(&l, "BOLT", None, "A1"), 40);
}

#[test]
fn pick_can_finish_into_staging() {
    let mut l = pick_setup();
    let mut s = Settings::load(&l).unwrap();
    s.pick_finish = PickFinish::Stage("STAGE".into());
    s.save(&mut l).unwrap();
    let mut w = Pick::open(&l, "PL-1").unwrap();
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan A1",
            "scan BOLT",
            "confirm",
            "scan A2",
            "scan (01)09506000134352(10)SOON",
            "confirm",
            "scan A1",
            "scan (01)09506000134352(10)LATE",
            "confirm",
            "confirm",
        ],
    );
    assert_eq!(o.last().unwrap().feedback, D, "{o:?}");
    assert_eq!(qty_at(&l, "PARA", None, "STAGE"), 8);
    assert_eq!(qty_at(&l, "BOLT", None, "STAGE"), 10);
}

#[test]
fn transfer_checks_each_scan_against_the_source() {
    let mut l = ledger();
    receive_lot(&mut l, "FLOUR", "F1", None, 10, "A1");
    receive_serials(&mut l, "PHONE", None, None, &["S1", "S2"], "A1");
    receive_serials(&mut l, "PHONE", None, None, &["S9"], "A2");
    let mut w = Transfer::start();
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan A1",
            "scan FLOUR",
            "scan F2",
            "scan F1",
            "enter 4",
            "enter 40",
            "scan PHONE",
            "scan S9",
            "scan S1",
            "scan PHONE",
            "scan S1",
            "scan A1",
            "scan A2",
            "confirm",
        ],
    );
    assert_eq!(
        feedbacks(&o),
        vec![A, N, R, A, A, R, N, R, A, N, R, R, A, D],
        "{o:?}"
    );
    assert_eq!(message(&o[2]), "there is no FLOUR lot F2 at A1");
    assert_eq!(message(&o[5]), "only 10 BAG of FLOUR lot F1 left at A1");
    assert_eq!(
        message(&o[7]),
        "serial S9 of PHONE is not at A1; it is at A2"
    );
    assert_eq!(message(&o[10]), "serial S1 is already in this transfer");
    assert_eq!(message(&o[13]), "moved 2 line(s) from A1 to A2");
    assert_eq!(o[13].posted.len(), 2);
    assert_eq!(qty_at(&l, "FLOUR", Some("F1"), "A2"), 4);
    assert_eq!(
        l.query()
            .serial("PHONE", "S1")
            .unwrap()
            .unwrap()
            .0
            .as_deref(),
        Some("A2")
    );
}

#[test]
fn count_posts_differences_as_adjustments_with_a_reason() {
    let mut l = ledger();
    receive_lot(&mut l, "FLOUR", "F1", None, 10, "A1");
    l.receive(&lotkeeper::ledger::ReceiveCmd {
        item: "BOLT".into(),
        qty: 5,
        to: "A1".into(),
        ..Default::default()
    })
    .unwrap();
    let mut w = Count::start(&l, "A1").unwrap();
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan FLOUR",
            "scan F1",
            "enter 7",
            "scan BOLT",
            "enter 5",
            "scan A2",
            "confirm",
            "confirm",
            "enter damaged sacks",
        ],
    );
    assert_eq!(feedbacks(&o), vec![N, A, A, A, A, R, N, R, D], "{o:?}");
    // A fresh count of A1 starts, expecting what was just counted.
    assert_eq!(
        w.view().lines,
        vec![
            "BOLT: expected 5, counted 0 (-5)",
            "FLOUR lot F1: expected 7, counted 0 (-7)"
        ]
    );
    assert_eq!(qty_at(&l, "FLOUR", Some("F1"), "A1"), 7);
    let adj = l
        .lot_transactions("FLOUR", "F1")
        .unwrap()
        .pop()
        .unwrap()
        .entry;
    assert_eq!((adj.qty, adj.reason.as_deref()), (3, Some("damaged sacks")));
    // Nothing different: nothing posted.
    let o = drive(
        &mut l,
        &mut w,
        &[
            "scan FLOUR",
            "scan F1",
            "enter 7",
            "scan BOLT",
            "enter 5",
            "confirm",
        ],
    );
    assert_eq!(o.last().unwrap().feedback, D);
    assert!(o.last().unwrap().posted.is_empty());
    assert!(Count::start(&l, "NOWHERE").is_err());
}

#[test]
fn lookup_items_lots_serials_locations() {
    let mut l = ledger();
    receive_lot(&mut l, "PARA", "P1", Some("2026-07-01"), 10, "A1");
    receive_serials(&mut l, "PHONE", None, None, &["S1"], "A2");
    let mut w = Lookup::start();
    let o = drive(&mut l, &mut w, &["scan PARA"]);
    assert_eq!(feedbacks(&o), vec![A]);
    assert!(
        w.view().lines[0].starts_with("10 at A1 lot P1"),
        "{:?}",
        w.view().lines
    );
    drive(&mut l, &mut w, &["scan P1"]);
    let v = w.view();
    assert!(
        v.fields
            .contains(&("Expiry".into(), "2026-07-01 (16 days left)".into())),
        "{:?}",
        v.fields
    );
    assert!(v.fields.contains(&("Suppliers".into(), "Acme".into())));
    drive(&mut l, &mut w, &["scan S1"]);
    assert!(w.view().fields.contains(&("Where".into(), "A2".into())));
    drive(&mut l, &mut w, &["scan A2"]);
    assert_eq!(w.view().lines, vec!["1 PHONE serial S1"]);
    let o = drive(&mut l, &mut w, &["scan NOTHING-HERE"]);
    assert_eq!(feedbacks(&o), vec![R]);
    assert_eq!(
        w.view().lines,
        vec!["1 PHONE serial S1"],
        "a failed lookup keeps the last view"
    );
}

#[test]
fn session_script_prints_one_json_object_per_event() {
    let d = Dir::new();
    d.ok(&["demo"]);
    let script = d.file(
        "s.txt",
        "# a receipt\nstart receive\nscan ]d20109506000134352172812311012345<GS>21SN9\nenter 50\nscan A-01-02\nconfirm\nstart lookup\nscan AMOX-500\n",
    );
    let out = d.ok(&["session", script.to_str().unwrap()]);
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    assert_eq!(lines.len(), 7);
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        vec!["event", "prompt", "feedback", "message", "posted"]
    );
    assert_eq!(lines[4]["feedback"], "done");
    assert_eq!(lines[4]["posted"].as_array().unwrap().len(), 1);
    assert_eq!(
        lines[4]["message"],
        "received 50 EA of AMOX-500 lot 12345 at A-01-02"
    );
    let bad = d.file("bad.txt", "start receive\nfrobnicate\n");
    let out = d.run(&["session", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: unknown event 'frobnicate'"));
}

#[test]
fn receive_takes_an_old_style_digital_link_and_says_so() {
    // The retired /gtin/ and /lot/ names and a GTIN-13: refused by `parse`, taken on the floor.
    let mut l = ledger();
    let mut w = Receive::start(&l);
    let o = drive(
        &mut l,
        &mut w,
        &["scan https://example.com/gtin/9506000134352/lot/12345?17=261231"],
    );
    assert_eq!(feedbacks(&o), vec![N]);
    assert!(
        message(&o[0]).contains("old-style label")
            && message(&o[0]).contains("'/gtin/'")
            && message(&o[0]).contains("read as 09506000134352"),
        "{}",
        message(&o[0])
    );
    assert_eq!(w.view().prompt, "Type the quantity of PARA");
    let o = drive(&mut l, &mut w, &["enter 10", "scan A1", "confirm"]);
    assert_eq!(feedbacks(&o), vec![A, A, D]);
    assert_eq!(qty_at(&l, "PARA", Some("12345"), "A1"), 10);

    // The same label to the standard: no warning, the usual prompt.
    let mut w = Receive::start(&l);
    let o = drive(
        &mut l,
        &mut w,
        &["scan https://example.com/01/09506000134352/10/12345?17=261231"],
    );
    assert_eq!(feedbacks(&o), vec![N]);
    assert_eq!(message(&o[0]), "Type the quantity of PARA");
}
