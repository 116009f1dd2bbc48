//! Upgrades without stopping the fleet: a server of this build serves devices of the previous
//! protocol (1, the first release: no Lotkeeper-Protocol header, and a movement with a field it
//! does not know fails its whole pull) in their own shape, and answers a protocol it does not
//! speak with a 4xx naming the ones it does, changing nothing.
//!
//! The previous device is its own wire types, frozen here as the first release wrote them
//! (`git show 88e497d:src/sync/wire.rs`), speaking raw HTTP as it did.

use crate::harness::*;
use crate::sync::Site;
use lotkeeper::ledger::{DocType, ReceiveCmd};
use lotkeeper::sync::wire::{OLDEST, PROTOCOL_HEADER, VERSION};
use serde::Deserialize;
use serde_json::{json, Value};

/// A movement as a device of protocol 1 reads it: every field it knows, and no other.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct V1Movement {
    id: String,
    batch_id: String,
    kind: String,
    item: String,
    #[serde(default)]
    lot: Option<String>,
    #[serde(default)]
    serial: Option<String>,
    qty: i64,
    from: String,
    to: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    corrects: Option<String>,
    device: String,
    created_at: String,
    #[serde(default)]
    lot_expiry: Option<String>,
    #[serde(default)]
    lot_production: Option<String>,
    #[serde(default)]
    seq: i64,
    #[serde(default)]
    lot_origin: Option<String>,
    #[serde(default)]
    batch_size: Option<usize>,
}

/// A pull page as protocol 1 reads it (its master data and lot events took unknown fields).
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct V1Pull {
    movements: Vec<V1Movement>,
    lot_events: Vec<Value>,
    master: Option<Value>,
    cursor: i64,
    lot_event_cursor: i64,
    more: bool,
    #[serde(default)]
    server_time: Option<String>,
}

/// One request; `protocol` None sends no header, as the first release did.
pub fn call(
    url: &str,
    method: &str,
    path: &str,
    token: &str,
    protocol: Option<&str>,
    body: Option<&Value>,
) -> (u16, Vec<(String, String)>, String) {
    let http = reqwest::blocking::Client::new();
    let mut req = match method {
        "post" => http.post(format!("{url}{path}")),
        _ => http.get(format!("{url}{path}")),
    }
    .bearer_auth(token);
    if let Some(p) = protocol {
        req = req.header(PROTOCOL_HEADER, p);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let resp = req.send().unwrap();
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    (status, headers, resp.text().unwrap())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A receipt as the first release's device pushed it.
fn v1_receipt(device: &str, id: &str, lot: &str, with: Option<(&str, Value)>) -> Value {
    let mut m = json!({
        "id": id, "batch_id": id, "kind": "receive", "item": "PARA", "lot": lot, "qty": 5,
        "from": "SUPPLIER:Acme", "to": "A1", "device": device,
        "created_at": "2026-06-15T08:00:00.000Z", "lot_expiry": "2099-12-31", "batch_size": 1
    });
    if let Some((k, v)) = with {
        m[k] = v;
    }
    json!({ "movements": [m] })
}

#[test]
fn a_device_of_the_previous_protocol_syncs_with_this_server() {
    let site = Site::new();
    // A device of this build records what protocol 1 has no field for.
    let mut new = site.device("dev-new");
    new.ledger
        .receive(&ReceiveCmd {
            item: "PARA".into(),
            qty: 10,
            to: "A1".into(),
            lot: Some("P1".into()),
            expiry: Some(day("2099-12-31")),
            supplier: Some("Acme".into()),
            reference: Some("PO-77".into()),
            ref_type: Some(DocType::Bol),
            tlc_source: Some("Acme packhouse".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(new.sync().unwrap().accepted, 1);

    // The old device pulls: every movement in the shape it knows, and the answer says which
    // protocol it is in.
    let old = site.device("dev-old");
    let (status, headers, body) = call(&site.url, "get", "/v1/pull", &old.token, None, None);
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, PROTOCOL_HEADER), Some("1"));
    let page: V1Pull = serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("a device of protocol 1 cannot read its pull: {e}\n{body}"));
    let m = page
        .movements
        .iter()
        .find(|m| m.lot.as_deref() == Some("P1"))
        .expect("the receipt reaches the old device");
    assert_eq!((m.qty, m.reference.as_deref()), (10, Some("PO-77")));
    // The same pull in this protocol carries the fields.
    let (_, headers, body) = call(
        &site.url,
        "get",
        "/v1/pull",
        &old.token,
        Some(&VERSION.to_string()),
        None,
    );
    assert_eq!(
        header(&headers, PROTOCOL_HEADER),
        Some(VERSION.to_string().as_str())
    );
    let page: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(page["movements"][0]["ref_type"], "bol");
    assert_eq!(page["movements"][0]["tlc_source"], "Acme packhouse");

    // The old device pushes as it always did (no header), and is heard.
    let push_v1 = |body: &Value| call(&site.url, "post", "/v1/push", &old.token, None, Some(body));
    let id = "01900000-0000-7000-8000-000000000001";
    let (status, _, body) = push_v1(&v1_receipt("dev-old", id, "P2", None));
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["results"][0]["status"],
        "accepted"
    );
    assert_eq!(qty_at(&site.ledger(), "PARA", Some("P2"), "A1"), 5);

    // A protocol-1 request with a field protocol 1 does not have is refused, not half-read.
    let before = snapshot(&site.ledger());
    let id = "01900000-0000-7000-8000-000000000002";
    let (status, _, body) = push_v1(&v1_receipt(
        "dev-old",
        id,
        "P3",
        Some(("lot_attributes", json!({"grade": "A"}))),
    ));
    assert_eq!(status, 400, "{body}");
    let e: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(e["code"], "protocol");
    assert!(
        e["error"].as_str().unwrap().contains("lot_attributes"),
        "{e}"
    );
    assert_eq!(snapshot(&site.ledger()), before);
}

#[test]
fn a_protocol_the_server_does_not_speak_gets_a_4xx_naming_the_ones_it_does() {
    let site = Site::new();
    let d = site.device("dev-a");
    let before = snapshot(&site.ledger());
    let body = v1_receipt("dev-a", "01900000-0000-7000-8000-000000000003", "P9", None);
    let speaks = format!("speaks lotkeeper protocol {OLDEST} to {VERSION}");
    // Older than the oldest served: the device must update (426, and Upgrade names the newest).
    let (status, headers, text) = call(
        &site.url,
        "post",
        "/v1/push",
        &d.token,
        Some("0"),
        Some(&body),
    );
    assert_eq!(status, 426, "{text}");
    assert_eq!(
        header(&headers, "upgrade"),
        Some(format!("lotkeeper-protocol/{VERSION}").as_str())
    );
    let e: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(e["code"], "protocol");
    let msg = e["error"].as_str().unwrap();
    assert!(
        msg.contains(&speaks) && msg.contains("update lotkeeper on this device"),
        "{msg}"
    );
    // Newer than this server, or not a number: 400, naming them too.
    for (sent, says) in [
        ((VERSION + 1).to_string(), "update the server first"),
        ("two".to_string(), "is one whole number"),
    ] {
        let (status, _, text) = call(
            &site.url,
            "post",
            "/v1/push",
            &d.token,
            Some(&sent),
            Some(&body),
        );
        assert_eq!(status, 400, "{sent}: {text}");
        let e: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(e["code"], "protocol");
        let msg = e["error"].as_str().unwrap();
        assert!(msg.contains(&speaks) && msg.contains(says), "{msg}");
    }
    assert_eq!(snapshot(&site.ledger()), before);
    // Health says which protocols it speaks, to anyone.
    let (status, _, text) = call(&site.url, "get", "/v1/health", "", None, None);
    assert_eq!(status, 200);
    let h: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (h["protocol"].as_u64(), h["oldest_protocol"].as_u64()),
        (Some(VERSION as u64), Some(OLDEST as u64))
    );
}
