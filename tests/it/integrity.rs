//! Forged and implausible pushes, sent with a valid device token to the real server over HTTP:
//! the server runs the same posting rules on a push, rejects what breaks them with the reason,
//! and changes nothing.

use crate::harness::*;
use crate::sync::{shelves, Site};
use lotkeeper::ledger::{ReceiveCmd, TransferCmd};
use serde_json::{json, Value};

/// Pushes raw movements as `device` with its token; returns each movement's result.
fn push(site: &Site, token: &str, movements: Vec<Value>) -> Vec<Value> {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/v1/push", site.url))
        .bearer_auth(token)
        .json(&json!({ "movements": movements }))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().unwrap();
    body["results"].as_array().unwrap().clone()
}

/// A movement on the wire made by `device`, now, with a fresh id; `fields` override.
fn wire(device: &str, fields: Value) -> Value {
    let id = uuid::Uuid::now_v7().to_string();
    let mut m = json!({
        "id": id, "batch_id": id, "device": device,
        "created_at": chrono::Utc::now().to_rfc3339(),
    });
    for (k, v) in fields.as_object().unwrap() {
        m[k] = v.clone();
    }
    m
}

/// Requires one rejected result whose reason contains `words`.
fn rejected(results: &[Value], words: &str) {
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["status"], "rejected", "{results:?}");
    let reason = results[0]["reason"].as_str().unwrap();
    assert!(reason.contains(words), "reason {reason:?} lacks {words:?}");
}

#[test]
fn forged_corrections_and_openings_are_rejected_and_change_nothing() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    a.ledger
        .receive(&ReceiveCmd {
            item: "BOLT".into(),
            qty: 10,
            to: "A1".into(),
            ..Default::default()
        })
        .unwrap();
    a.sync().unwrap();
    let original = site.ledger().query().journal(0, 1).unwrap()[0].id.clone();
    let before = snapshot(&site.ledger());

    // The forged correction: any item, quantity and locations, no reason.
    let forged = json!({"kind": "correction", "corrects": original, "item": "BOLT", "qty": 777,
                        "from": "CUSTOMER:Nobody", "to": "A1"});
    rejected(
        &push(&site, &a.token, vec![wire("dev-a", forged.clone())]),
        "a correction needs a reason",
    );
    let mut with_reason = forged;
    with_reason["reason"] = json!("x");
    rejected(
        &push(&site, &a.token, vec![wire("dev-a", with_reason)]),
        "must be the exact reverse of movement",
    );
    // A new serial made the same way.
    rejected(
        &push(
            &site,
            &a.token,
            vec![wire(
                "dev-a",
                json!({"kind": "correction", "corrects": original, "item": "PHONE", "serial": "FAKE-1",
                       "qty": 1, "from": "CUSTOMER:Nobody", "to": "A1", "reason": "x"}),
            )],
        ),
        "exact reverse",
    );
    // Opening stock from a device, with or without a reason.
    for reason in [json!(null), json!("found")] {
        rejected(
            &push(
                &site,
                &a.token,
                vec![wire(
                    "dev-a",
                    json!({"kind": "opening", "item": "BOLT", "qty": 500, "from": "OPENING",
                           "to": "A1", "reason": reason}),
                )],
            ),
            "opening stock is not accepted from a device",
        );
    }
    // An adjustment without a reason.
    rejected(
        &push(
            &site,
            &a.token,
            vec![wire(
                "dev-a",
                json!({"kind": "adjust", "item": "BOLT", "qty": 5, "from": "ADJUSTMENT", "to": "A1"}),
            )],
        ),
        "an adjustment needs a reason",
    );
    assert_eq!(
        snapshot(&site.ledger()),
        before,
        "a rejected push changed the server"
    );
    // Nor does an enrolled device record opening stock of its own: it would only be rejected.
    let err = a
        .ledger
        .import_csv(
            lotkeeper::ledger::import::ImportKind::Stock,
            "sku,location,lot,serial,expiry,qty\nBOLT,A1,,,,5\n",
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("import opening stock on the server"),
        "{err}"
    );
    assert!(site
        .ledger()
        .query()
        .serial("PHONE", "FAKE-1")
        .unwrap()
        .is_none());

    // The exact reverse, with a reason, is a correction; a second one is refused, naming the first.
    let reverse = wire(
        "dev-a",
        json!({"kind": "correction", "corrects": original, "item": "BOLT", "qty": 10,
               "from": "A1", "to": "SUPPLIER", "reason": "received twice"}),
    );
    let first = reverse["id"].as_str().unwrap().to_string();
    let r = push(&site, &a.token, vec![reverse]);
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
    let again = wire(
        "dev-a",
        json!({"kind": "correction", "corrects": original, "item": "BOLT", "qty": 10,
               "from": "A1", "to": "SUPPLIER", "reason": "again"}),
    );
    rejected(
        &push(&site, &a.token, vec![again]),
        &format!("was already corrected by {first}"),
    );
}

#[test]
fn a_pushed_production_without_its_components_is_rejected() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    a.ledger
        .receive(&ReceiveCmd {
            item: "BOLT".into(),
            qty: 10,
            to: "A1".into(),
            ..Default::default()
        })
        .unwrap();
    a.sync().unwrap();
    let before = snapshot(&site.ledger());
    // A produce with nothing consumed makes stock out of nothing, with no reason; a consume
    // with nothing produced makes it vanish. The app only ever records both, as one assembly.
    for m in [
        json!({"kind": "produce", "item": "BOLT", "qty": 777, "from": "PRODUCTION", "to": "A1"}),
        json!({"kind": "consume", "item": "BOLT", "qty": 5, "from": "A1", "to": "PRODUCTION"}),
    ] {
        rejected(
            &push(&site, &a.token, vec![wire("dev-a", m)]),
            "an assembly consumes at least one component and produces at least one output",
        );
    }
    assert_eq!(
        snapshot(&site.ledger()),
        before,
        "a rejected push changed the server"
    );
    // Both in one batch are an assembly.
    let consume = wire(
        "dev-a",
        json!({"kind": "consume", "item": "BOLT", "qty": 5, "from": "A1", "to": "PRODUCTION"}),
    );
    let mut produce = wire(
        "dev-a",
        json!({"kind": "produce", "item": "FLOUR", "lot": "K1", "qty": 1, "from": "PRODUCTION", "to": "A1"}),
    );
    produce["batch_id"] = consume["batch_id"].clone();
    let r = push(&site, &a.token, vec![consume, produce]);
    assert!(r.iter().all(|v| v["status"] == "accepted"), "{r:?}");
}

#[test]
fn implausible_pushes_are_rejected_with_the_field_and_value() {
    let site = Site::new();
    let a = site.device("dev-a");
    let before = snapshot(&site.ledger());
    let receipt = |lot: &str| json!({"kind": "receive", "item": "FLOUR", "lot": lot, "qty": 1, "from": "SUPPLIER", "to": "A1"});
    let cases: Vec<(Value, &str)> = vec![
        (
            receipt("L\u{1b}[31mRED"),
            "lot 'L\\u{1b}[31mRED' contains a control character (U+001B)",
        ),
        (receipt("L\u{7}"), "U+0007"),
        (receipt("L\u{0}"), "U+0000"),
        (receipt("L1\nL2"), "U+000A"),
        (
            receipt(&"L".repeat(10_000)),
            "has 10000 characters; a lot has at most 20",
        ),
        (
            json!({"kind": "receive", "item": "PARA", "lot": "P1", "qty": 1, "from": "SUPPLIER",
                   "to": "A1", "lot_expiry": "2027-02-28", "lot_production": "2027-03-01"}),
            "production date 2027-03-01 is after the expiry date 2027-02-28",
        ),
        (
            json!({"kind": "receive", "item": "PARA", "lot": "P1", "qty": 1, "from": "SUPPLIER",
                   "to": "A1", "lot_expiry": "0027-02-28"}),
            "the year must be between 1980 and 2100",
        ),
        (
            json!({"kind": "receive", "item": "BOLT", "qty": 1, "from": "SUPPLIER", "to": "A1",
                   "reason": "x".repeat(100_000)}),
            "a reason has at most 200",
        ),
    ];
    for (m, words) in cases {
        rejected(&push(&site, &a.token, vec![wire("dev-a", m)]), words);
    }
    // created_at: RFC 3339, and not ahead of the server's clock by more than the skew.
    let bolt = json!({"kind": "receive", "item": "BOLT", "qty": 1, "from": "SUPPLIER", "to": "A1"});
    let ahead = (chrono::Utc::now() + chrono::Duration::hours(25)).to_rfc3339();
    // A timestamp that is not one makes the request malformed: 400, nothing recorded.
    for at in ["not a date".to_string(), "9".repeat(100_000)] {
        let mut m = wire("dev-a", bolt.clone());
        m["created_at"] = json!(at);
        let r = reqwest::blocking::Client::new()
            .post(format!("{}/v1/push", site.url))
            .bearer_auth(&a.token)
            .json(&json!({ "movements": [m] }))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400);
        let body: Value = r.json().unwrap();
        let error = body["error"].as_str().unwrap();
        assert!(
            error.contains("is not an RFC 3339 date and time"),
            "{error}"
        );
        assert!(
            error.len() < 300,
            "the answer echoes the whole value: {error}"
        );
    }
    for (at, words) in [
        (ahead, "more than 24 hours ahead of the server's clock"),
        ("1970-01-01T00:00:00Z".to_string(), "before 1980"),
    ] {
        let mut m = wire("dev-a", bolt.clone());
        m["created_at"] = json!(at);
        rejected(&push(&site, &a.token, vec![m]), words);
    }
    assert_eq!(
        snapshot(&site.ledger()),
        before,
        "a rejected push changed the server"
    );
    // A device offline for months pushes late: that is fine.
    let mut late = wire("dev-a", bolt);
    late["created_at"] = json!("2026-01-02T08:00:00+01:00");
    assert_eq!(push(&site, &a.token, vec![late])[0]["status"], "accepted");
}

/// Two devices correct the same movement offline: the server keeps the first correction and
/// rejects the second, which becomes a conflict; the losing device still takes the winner's
/// correction on its next pull, and everyone converges.
#[test]
fn two_devices_correcting_one_movement_keep_one_correction() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    a.ledger
        .receive(&ReceiveCmd {
            item: "BOLT".into(),
            qty: 10,
            to: "A1".into(),
            ..Default::default()
        })
        .unwrap();
    a.sync().unwrap();
    b.sync().unwrap();
    let id = uuid::Uuid::parse_str(&b.ledger.query().journal(0, 1).unwrap()[0].id).unwrap();
    b.ledger.correct(id, "keyed twice").unwrap();
    a.ledger.correct(id, "wrong item").unwrap();
    // On a device, its own pending correction counts: no second one there either.
    let err = a.ledger.correct(id, "again").unwrap_err();
    assert!(err.to_string().contains("already corrected"), "{err}");
    b.sync().unwrap();
    a.sync().unwrap();
    let conflicts = a.ledger.conflicts(false).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(
        conflicts[0].reason.contains("already corrected"),
        "{conflicts:?}"
    );
    b.sync().unwrap();
    assert_eq!(qty_at(&site.ledger(), "BOLT", None, "A1"), 0);
    assert_eq!(shelves(&a.ledger), shelves(&site.ledger()));
    assert_eq!(shelves(&b.ledger), shelves(&site.ledger()));
    // Work goes on after it on the device that lost.
    a.ledger
        .receive(&ReceiveCmd {
            item: "BOLT".into(),
            qty: 3,
            to: "A1".into(),
            ..Default::default()
        })
        .unwrap();
    a.ledger
        .transfer(&TransferCmd {
            item: "BOLT".into(),
            qty: 3,
            from: "A1".into(),
            to: "A2".into(),
            ..Default::default()
        })
        .unwrap();
    a.sync().unwrap();
    assert_eq!(shelves(&a.ledger), shelves(&site.ledger()));
}

/// The reproduction with the real binary: one movement corrected three times, typed
/// dates with two-digit and absurd years, a lot with an escape sequence.
#[test]
fn the_cli_refuses_a_second_correction_and_implausible_input() {
    let d = Dir::new();
    d.ok(&[
        "import",
        "items",
        d.file("items.csv", ITEMS).to_str().unwrap(),
    ]);
    d.ok(&[
        "import",
        "locations",
        d.file("locs.csv", LOCATIONS).to_str().unwrap(),
    ]);
    for qty in ["10", "50"] {
        d.ok(&["receive", "--item", "BOLT", "--qty", qty, "--to", "DOCK"]);
    }
    let first = lotkeeper::ledger::Ledger::open(&d.db())
        .unwrap()
        .query()
        .journal(0, 1)
        .unwrap()[0]
        .id
        .clone();
    d.ok(&["correct", "--movement", &first, "--reason", "x"]);
    for _ in 0..2 {
        let out = d.run(&["correct", "--movement", &first, "--reason", "x"]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("movement {first} was already corrected by")),
            "{err}"
        );
    }
    let stock = json(&d.ok(&[
        "report",
        "stock-by-lot",
        "--item",
        "BOLT",
        "--format",
        "json",
    ]));
    assert_eq!(stock[0]["location"], "DOCK");
    assert_eq!(stock[0]["on_hand"], 50);

    let receive = |expiry: &str, lot: &str| {
        d.run(&[
            "receive", "--item", "PARA", "--qty", "1", "--to", "A1", "--lot", lot, "--expiry",
            expiry,
        ])
    };
    let out = receive("27-02-28", "P1");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--expiry 27-02-28: type the date as YYYY-MM-DD with a four-digit year, e.g. 2027-02-28"),
        "{err}"
    );
    let out = receive("+262142-12-31", "P1");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("between 1980 and 2100"));
    let out = receive("2027-02-28", "P\u{1b}[31m1");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("U+001B") && !err.contains('\u{1b}'), "{err:?}");
    assert_eq!(
        json(&d.ok(&[
            "report",
            "stock-by-lot",
            "--item",
            "PARA",
            "--format",
            "json"
        ])),
        json!([])
    );
}

/// A receipt in a session: a typed two-digit year is refused with the form to type, a lot longer
/// than GS1 allows is refused when typed, and the receipt goes on with good input.
#[test]
fn workflows_route_typed_dates_and_lots_through_the_same_checks() {
    use lotkeeper::workflow::session;
    let mut l = ledger();
    let mut steps = Vec::new();
    session::run(
        &mut l,
        &format!(
            "start receive\nscan 09506000134352\nenter {}\nenter P-77\nenter 27-02-28\nenter 0027-02-28\nenter 2027-02-28\nenter 3\nconfirm\n",
            "L".repeat(21)
        ),
        |s| steps.push((s.feedback, s.message.clone().unwrap_or_default())),
    )
    .unwrap();
    use lotkeeper::workflow::Feedback::{Done, Refused};
    assert_eq!(steps[2].0, Refused, "{steps:?}");
    assert!(steps[2].1.contains("a lot has at most 20"), "{steps:?}");
    assert_eq!(steps[4].0, Refused, "{steps:?}");
    assert_eq!(
        steps[4].1,
        "expiry 27-02-28: type the date as YYYY-MM-DD with a four-digit year, e.g. 2027-02-28"
    );
    assert_eq!(steps[5].0, Refused, "{steps:?}");
    assert!(steps[5].1.contains("between 1980 and 2100"), "{steps:?}");
    assert_eq!(steps[8].0, Done, "{steps:?}");
    assert_eq!(
        l.query().lot("PARA", "P-77").unwrap().unwrap().expiry,
        Some(day("2027-02-28"))
    );
}

/// A server log may hold two corrections of one movement, made before the rule existed: a new
/// device still pulls the whole log (it stores the server's records as they are).
#[test]
fn a_new_device_pulls_corrections_made_before_the_rule() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    a.ledger
        .receive(&ReceiveCmd {
            item: "BOLT".into(),
            qty: 10,
            to: "A1".into(),
            ..Default::default()
        })
        .unwrap();
    let id = uuid::Uuid::parse_str(&a.ledger.query().journal(0, 1).unwrap()[0].id).unwrap();
    a.ledger.correct(id, "keyed twice").unwrap();
    a.sync().unwrap();
    // The legacy duplicate, written the way the old server let it in.
    let mut server = site.ledger();
    server
        .write(|tx| {
            Ok(tx.execute_batch(
                "DROP TRIGGER movements_corrected_once;
             INSERT INTO movements (id, batch_id, kind, item_id, lot_id, serial_id, qty, from_loc,
                                    to_loc, reason, reference, corrects, device, created_at)
             SELECT 'legacy-dup', 'legacy-dup', kind, item_id, lot_id, serial_id, qty, from_loc,
                    to_loc, reason, reference, corrects, device, created_at
             FROM movements WHERE corrects IS NOT NULL;",
            )?)
        })
        .unwrap();
    let trigger = include_str!("../../migrations/0004_rules.sql");
    let create = &trigger[trigger.find("CREATE TRIGGER").unwrap()..];
    server.write(|tx| Ok(tx.execute_batch(create)?)).unwrap();
    let total = server.query().movement_count().unwrap();
    let mut b = site.device("dev-b");
    b.sync().unwrap();
    assert_eq!(b.ledger.query().movement_count().unwrap(), total);
    // On the server the rule holds again.
    let err = server
        .write(|tx| {
            Ok(tx.execute(
                "INSERT INTO movements (id, batch_id, kind, item_id, qty, from_loc, to_loc, corrects, device, created_at)
                 SELECT 'another', 'another', kind, item_id, qty, from_loc, to_loc, corrects, device, created_at
                 FROM movements WHERE id = 'legacy-dup'",
                [],
            )?)
        })
        .unwrap_err();
    assert!(err.to_string().contains("corrected at most once"), "{err}");
}
