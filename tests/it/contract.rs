//! The OpenAPI document (`assets/openapi.json`, served at `/v1/openapi.json`) is the server's
//! contract. These tests hold the server to it: the routes of `app()` and the document's paths
//! are the same, both ways; real answers of a real server (accepted and rejected pushes, pulls with
//! data, every report, errors) validate against the document's schemas; and every parameter the
//! document bounds, requires or leaves out is answered 400 when a request breaks that.
//!
//! Everything is read from the document, so a new wire field or route is a change to the JSON,
//! not to this file. The checker covers the subset of JSON Schema the document uses, and refuses
//! any other keyword, so the document cannot grow past what is checked without this test saying so.

use crate::harness::*;
use crate::sync::Site;
use lotkeeper::ledger::{LotStatus, ReceiveCmd, ShipCmd};
use lotkeeper::sync::server::{routes, Access};
use lotkeeper::sync::wire::{PushRequest, WireMovement};
use serde_json::{json, Value};

fn document() -> Value {
    serde_json::from_str(lotkeeper::sync::OPENAPI).expect("the OpenAPI document is JSON")
}

/// Schema keywords the checker understands; anything else in the document is an error.
const KEYWORDS: &[&str] = &[
    "$ref",
    "type",
    "nullable",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "format",
    "minimum",
    "maximum",
    "maxItems",
    "allOf",
    "description",
];

struct Contract {
    doc: Value,
}

impl Contract {
    fn new() -> Contract {
        Contract { doc: document() }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.strip_prefix('#').expect("local $ref");
                self.resolve(
                    self.doc
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("no {r}")),
                )
            }
            None => schema,
        }
    }

    /// Every way `v` breaks `schema`, with a JSON path.
    fn check(&self, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        let s = self.resolve(schema);
        if v.is_null() && s["nullable"] == json!(true) {
            return;
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                self.check(sub, v, at, errors);
            }
        }
        let fail = |errors: &mut Vec<String>, what: String| errors.push(format!("{at}: {what}"));
        if let Some(t) = s.get("type").and_then(Value::as_str) {
            let ok = match t {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "integer" => v.is_i64() || v.is_u64(),
                "number" => v.is_number(),
                "boolean" => v.is_boolean(),
                other => panic!("type {other} is not checked"),
            };
            if !ok {
                return fail(errors, format!("{v} is not of type {t}"));
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            if !e.contains(v) {
                fail(errors, format!("{v} is not one of {e:?}"));
            }
        }
        if let (Some(f), Some(text)) = (s.get("format").and_then(Value::as_str), v.as_str()) {
            let ok = match f {
                "date" => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
                "date-time" => chrono::DateTime::parse_from_rfc3339(text).is_ok(),
                "uuid" => uuid::Uuid::parse_str(text).is_ok(),
                other => panic!("format {other} is not checked"),
            };
            if !ok {
                fail(errors, format!("'{text}' is not a {f}"));
            }
        }
        if let Some(n) = v.as_i64() {
            if s.get("minimum")
                .and_then(Value::as_i64)
                .is_some_and(|m| n < m)
            {
                fail(errors, format!("{n} is below the minimum {}", s["minimum"]));
            }
            if s.get("maximum")
                .and_then(Value::as_i64)
                .is_some_and(|m| n > m)
            {
                fail(errors, format!("{n} is above the maximum {}", s["maximum"]));
            }
        }
        if let Some(a) = v.as_array() {
            if let Some(m) = s.get("maxItems").and_then(Value::as_u64) {
                if a.len() as u64 > m {
                    fail(errors, format!("{} items, at most {m}", a.len()));
                }
            }
            if let Some(items) = s.get("items") {
                for (i, x) in a.iter().enumerate() {
                    self.check(items, x, &format!("{at}[{i}]"), errors);
                }
            }
        }
        if let Some(o) = v.as_object() {
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !o.contains_key(r.as_str().unwrap()) {
                    fail(errors, format!("required {r} is missing"));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, x) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => self.check(ps, x, &format!("{at}.{k}"), errors),
                    None if s["additionalProperties"] == json!(false) => {
                        fail(errors, format!("{k} is not in the document"))
                    }
                    None => {}
                }
            }
        }
    }

    fn assert_valid(&self, schema: &Value, v: &Value, what: &str) {
        let mut errors = Vec::new();
        self.check(schema, v, "$", &mut errors);
        assert!(
            errors.is_empty(),
            "{what} disagrees with the document:\n{}\n{}",
            errors.join("\n"),
            serde_json::to_string(v)
                .unwrap()
                .chars()
                .take(2000)
                .collect::<String>()
        );
    }

    fn operation(&self, path: &str, method: &str) -> &Value {
        let op = &self.doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        op
    }

    fn schema(&self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }
}

/// One real request and its answer: the status must be documented for the operation, and a JSON
/// body must validate against the documented schema.
struct Call<'a> {
    c: &'a Contract,
    base: &'a str,
    http: reqwest::blocking::Client,
}

impl Call<'_> {
    fn send(
        &self,
        method: &str,
        path: &str,
        query: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let op = self.c.operation(path, method);
        let url = format!("{}{path}{query}", self.base);
        let mut req = match method {
            "post" => self.http.post(&url),
            _ => self.http.get(&url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        // This document is the newest protocol's.
        let resp = req
            .header(
                lotkeeper::sync::wire::PROTOCOL_HEADER,
                lotkeeper::sync::wire::VERSION,
            )
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let kind = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let text = resp.text().unwrap();
        let documented = &op["responses"][status.to_string()];
        assert!(
            documented.is_object(),
            "{method} {path}{query} answered {status}, which the document does not list: {text}"
        );
        let content = &documented["content"];
        if content.as_object().is_some_and(|c| !c.is_empty()) {
            assert!(
                content[&kind].is_object(),
                "{method} {path}{query} answered {status} as {kind}, which the document does not list"
            );
        }
        if kind == "application/json" {
            let v: Value = serde_json::from_str(&text).unwrap();
            if let Some(schema) = content[&kind].get("schema") {
                self.c
                    .assert_valid(schema, &v, &format!("{method} {path}{query} {status}"));
            }
            (status, v)
        } else {
            (status, Value::String(text))
        }
    }
}

#[test]
fn the_document_lists_exactly_the_server_s_routes() {
    let c = Contract::new();
    let mut served: Vec<(String, String)> = Vec::new();
    for (path, method, access, _) in routes() {
        let op = c.operation(path, method);
        let security = op.get("security").unwrap_or(&c.doc["security"]);
        assert_eq!(
            security == &json!([]),
            access == Access::Public,
            "{method} {path}: the document's security disagrees with the server's"
        );
        served.push((path.to_string(), method.to_string()));
    }
    for (path, ops) in c.doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            assert!(
                served.contains(&(path.clone(), method.clone())),
                "the document lists {method} {path}, which the server does not serve"
            );
        }
    }
    // The served document is this one.
    let site = Site::new();
    let served = reqwest::blocking::get(format!("{}/v1/openapi.json", site.url))
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(served, c.doc);
}

#[test]
fn the_checker_knows_every_keyword_the_document_uses() {
    fn walk(v: &Value, in_schema: bool, at: &str) {
        match v {
            Value::Object(o) => {
                for (k, x) in o {
                    if in_schema {
                        assert!(
                            KEYWORDS.contains(&k.as_str()),
                            "{at}: keyword {k} is not checked"
                        );
                    }
                    let schema_child =
                        matches!(k.as_str(), "schema" | "items" | "additionalProperties")
                            || (in_schema && k == "allOf");
                    match k.as_str() {
                        // Names, not schemas, at this level.
                        "properties" | "schemas" => {
                            for (name, s) in x.as_object().unwrap() {
                                walk(s, true, &format!("{at}.{k}.{name}"));
                            }
                        }
                        "enum" | "required" | "description" => {}
                        _ => walk(x, schema_child, &format!("{at}.{k}")),
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, in_schema, &format!("{at}[{i}]"));
                }
            }
            _ => {}
        }
    }
    walk(&document(), false, "$");
    // The limits the document states are the server's.
    let d = document();
    let movement = &d["components"]["schemas"]["Movement"]["properties"];
    assert_eq!(
        movement["qty"]["maximum"],
        json!(lotkeeper::ledger::MAX_QTY)
    );
    assert_eq!(
        d["components"]["schemas"]["PushRequest"]["properties"]["movements"]["maxItems"],
        json!(lotkeeper::sync::wire::MAX_PUSH)
    );
    assert_eq!(
        movement["batch_size"]["maximum"],
        json!(lotkeeper::sync::wire::MAX_PUSH)
    );
}

#[test]
fn real_answers_validate_against_the_document() {
    let c = Contract::new();
    let site = Site::new();
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    let call = Call {
        c: &c,
        base: &site.url,
        http: reqwest::blocking::Client::new(),
    };
    // Data of every kind: lots with dates, serials, a conflict, lot events, documents.
    for (l, serial) in [(&mut a.ledger, "SN-1"), (&mut b.ledger, "SN-1")] {
        l.receive(&ReceiveCmd {
            item: "PHONE".into(),
            qty: 1,
            to: "A1".into(),
            serials: vec![serial.into()],
            supplier: Some("Acme".into()),
            ..Default::default()
        })
        .unwrap();
    }
    receive_lot(&mut a.ledger, "PARA", "P1", Some("2099-12-31"), 40, "A1");
    a.ledger
        .ship(&ShipCmd {
            item: "PARA".into(),
            qty: 5,
            from: "A1".into(),
            lot: Some("P1".into()),
            customer: Some("Clinic".into()),
            ..Default::default()
        })
        .unwrap();
    // The device's own pushes, as the client builds them, validate as requests and answers.
    let mut rejected = String::new();
    for d in [&a, &b] {
        let movements: Vec<WireMovement> = d
            .ledger
            .pending_batches(5_000, None)
            .unwrap()
            .iter()
            .map(|(r, size)| WireMovement {
                batch_size: Some(*size),
                ..WireMovement::from(r)
            })
            .collect();
        let body = serde_json::to_value(PushRequest {
            movements,
            lot_changes: vec![],
            conflict_resolutions: vec![],
        })
        .unwrap();
        c.assert_valid(&c.schema("PushRequest"), &body, "a device's push request");
        let (status, resp) = call.send("post", "/v1/push", "", Some(&d.token), Some(&body));
        assert_eq!(status, 200);
        let verdicts: Vec<&str> = resp["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_str().unwrap())
            .collect();
        assert!(!verdicts.is_empty());
        if std::ptr::eq(d, &b) {
            assert_eq!(verdicts, ["rejected"], "{resp}");
            rejected = resp["results"][0]["id"].as_str().unwrap().to_string();
        }
    }
    // The rejection's resolution both ways: a device's push of its own (its answer), and the
    // back office's in a pull that reports what waits on the device.
    let body = serde_json::to_value(PushRequest {
        movements: vec![],
        lot_changes: vec![],
        conflict_resolutions: vec![lotkeeper::sync::wire::WireResolve {
            id: rejected.clone(),
            note: "shipped another".into(),
        }],
    })
    .unwrap();
    c.assert_valid(&c.schema("PushRequest"), &body, "a push of a resolution");
    let (status, resp) = call.send("post", "/v1/push", "", Some(&b.token), Some(&body));
    assert_eq!(status, 200);
    assert_eq!(
        resp["conflict_resolutions"][0]["by"], "device:dev-b",
        "{resp}"
    );
    let (status, page) = call.send(
        "get",
        "/v1/pull",
        "?after=0&lot_events_after=0&master_version=0&resolutions_after=0&pending=0&conflicts=0",
        Some(&b.token),
        None,
    );
    assert_eq!(status, 200);
    assert_eq!(
        page["conflict_resolutions"][0]["id"],
        rejected.as_str(),
        "{page}"
    );
    site.ledger()
        .set_lot_status("PARA", "P1", LotStatus::Quarantine, "lab check")
        .unwrap();
    let (status, page) = call.send(
        "get",
        "/v1/pull",
        "?after=0&lot_events_after=0&master_version=0",
        Some(&a.token),
        None,
    );
    assert_eq!(status, 200);
    assert!(page["movements"].as_array().unwrap().len() >= 3, "{page}");
    assert!(!page["lot_events"].as_array().unwrap().is_empty());
    assert!(page["master"]["items"].as_array().is_some());
    for (path, method) in [("/v1/health", "get"), ("/v1/openapi.json", "get")] {
        assert_eq!(call.send(method, path, "", None, None).0, 200);
    }
    assert_eq!(
        call.send("get", "/v1/whoami", "", Some(&a.token), None).0,
        200
    );
    // Every report, as JSON and CSV, with rows.
    for (path, query) in [
        ("/v1/reports/stock-by-lot", "?item=PARA"),
        ("/v1/reports/expiry", "?within_days=36500"),
        ("/v1/reports/expiry", "?expired=false&item=PARA"),
        ("/v1/reports/lot-transactions", "?item=PARA&lot=P1"),
        ("/v1/reports/lot-transactions", "?item=PHONE"),
        (
            "/v1/reports/lot-transactions",
            "?from=2000-01-01&to=2100-12-31",
        ),
        ("/v1/reports/serials", "?item=PHONE"),
    ] {
        let (status, rows) = call.send("get", path, query, Some(&a.token), None);
        assert_eq!(status, 200, "{path}{query}: {rows}");
        assert!(!rows.as_array().unwrap().is_empty(), "{path}{query}");
        let (status, text) = call.send(
            "get",
            path,
            &format!("{query}&format=csv"),
            Some(&a.token),
            None,
        );
        assert_eq!(status, 200);
        assert!(
            text.as_str().unwrap().lines().count() >= 2,
            "{path}: {text}"
        );
    }
    // The recall report and the compliance exports, in each of their forms.
    let days = "?from=2000-01-01&to=2100-12-31";
    for (path, query, kind_lines) in [
        ("/v1/reports/reorder", String::new(), None),
        ("/v1/reports/reorder", "?format=csv".to_string(), Some(1)),
        ("/v1/reports/recall", "?item=PARA&lot=P1".to_string(), None),
        (
            "/v1/reports/recall",
            "?item=PARA&lot=P1&format=csv".to_string(),
            Some(2),
        ),
        ("/v1/exports/fsma204", format!("{days}&all=true"), None),
        (
            "/v1/exports/fsma204",
            format!("{days}&all=true&format=csv&sheet=shipping"),
            Some(2),
        ),
        (
            "/v1/exports/epcis",
            format!("{days}&item=PARA&lot=P1"),
            None,
        ),
        ("/v1/exports/ledger", days.to_string(), None),
        ("/v1/exports/ledger", format!("{days}&format=csv"), Some(4)),
    ] {
        let (status, v) = call.send("get", path, &query, Some(&a.token), None);
        assert_eq!(status, 200, "{path}{query}: {v}");
        if let Some(n) = kind_lines {
            assert!(
                v.as_str().unwrap().lines().count() >= n,
                "{path}{query}: {v}"
            );
        }
    }
    let (_, report) = call.send(
        "get",
        "/v1/reports/recall",
        "?item=PARA&lot=P1",
        Some(&a.token),
        None,
    );
    assert_eq!(report["shipments"][0]["customer"], "Clinic", "{report}");
    for (path, query, status) in [
        ("/v1/exports/fsma204", "?from=2026-02-01&to=2026-01-01", 400),
        (
            "/v1/exports/fsma204",
            "?from=2000-01-01&to=2100-12-31&lot=NOPE",
            404,
        ),
        (
            "/v1/exports/fsma204",
            "?from=2000-01-01&to=2100-12-31&format=csv",
            400,
        ),
        (
            "/v1/exports/epcis",
            "?from=2000-01-01&to=2100-12-31&id_base=ftp://x",
            400,
        ),
        ("/v1/reports/recall", "?item=PARA&lot=NOPE", 404),
    ] {
        assert_eq!(
            call.send("get", path, query, Some(&a.token), None).0,
            status,
            "{path}{query}"
        );
    }

    // Errors, each in the documented shape.
    let (status, e) = call.send(
        "get",
        "/v1/reports/lot-transactions",
        "?item=PARA&lot=NOPE",
        Some(&a.token),
        None,
    );
    assert_eq!(status, 404, "{e}");
    assert_eq!(
        call.send("post", "/v1/push", "", None, Some(&json!({}))).0,
        401
    );
    assert_eq!(
        call.send(
            "post",
            "/v1/push",
            "",
            Some(&a.token),
            Some(&json!({"movements": 1}))
        )
        .0,
        400
    );
    let movement = |device: &str, qty: i64, created_at: &str| {
        json!({"movements": [{"id": uuid::Uuid::new_v4().to_string(), "batch_id": uuid::Uuid::new_v4().to_string(),
            "kind": "receive", "item": "BOLT", "qty": qty, "from": "SUPPLIER", "to": "A1",
            "device": device, "created_at": created_at}]})
    };
    let forged = movement("dev-b", 1, "2026-06-15T10:00:00Z");
    assert_eq!(
        call.send("post", "/v1/push", "", Some(&a.token), Some(&forged))
            .0,
        403
    );
    // What the schema forbids, the server refuses: a quantity above the maximum, a time that is
    // not RFC 3339.
    let max_qty = c.doc["components"]["schemas"]["Movement"]["properties"]["qty"]["maximum"]
        .as_i64()
        .unwrap();
    let before = site.ledger().query().movement_count().unwrap();
    for body in [
        movement("dev-a", max_qty + 1, "2026-06-15T10:00:00Z"),
        movement("dev-a", 1, "not a date"),
        movement("dev-a", 1, "2026-06-15 10:00"),
    ] {
        let (status, e) = call.send("post", "/v1/push", "", Some(&a.token), Some(&body));
        assert_eq!(status, 400, "{body}: {e}");
    }
    assert_eq!(site.ledger().query().movement_count().unwrap(), before);
    // A revoked device is told so, in the documented shape.
    site.ledger().revoke_device("dev-b").unwrap();
    let (status, e) = call.send("get", "/v1/pull", "", Some(&b.token), None);
    assert_eq!((status, e["code"].as_str()), (401, Some("revoked")), "{e}");
}

/// Every query parameter the document bounds, requires or does not list is refused with 400:
/// below a minimum, above a maximum, not of its type, a required one missing, an unknown one.
#[test]
fn parameters_outside_the_document_are_refused() {
    let c = Contract::new();
    let site = Site::new();
    let a = site.device("dev-a");
    let call = Call {
        c: &c,
        base: &site.url,
        http: reqwest::blocking::Client::new(),
    };
    let mut checked = 0;
    for (path, ops) in c.doc["paths"].as_object().unwrap() {
        let Some(op) = ops.get("get") else { continue };
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        if params.is_empty() {
            continue;
        }
        // What a valid request carries: every required parameter, with a value that exists.
        let valid: Vec<String> = params
            .iter()
            .filter(|p| p["required"] == json!(true))
            .map(|p| match p["name"].as_str().unwrap() {
                "item" => "item=PARA".to_string(),
                "lot" => "lot=P1".to_string(),
                "from" => "from=2000-01-01".to_string(),
                "to" => "to=2100-12-31".to_string(),
                "pick_list" => "pick_list=PL-1".to_string(),
                other => panic!("no valid value known for required {other}"),
            })
            .collect();
        let query = |extra: &[String]| {
            let all: Vec<&String> = valid.iter().chain(extra).collect();
            if all.is_empty() {
                String::new()
            } else {
                format!(
                    "?{}",
                    all.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("&")
                )
            }
        };
        let mut bad: Vec<(String, String)> = vec![(
            query(&["no_such_parameter=1".into()]),
            "an unknown parameter".into(),
        )];
        for p in &params {
            let name = p["name"].as_str().unwrap();
            let s = c.resolve(&p["schema"]);
            if let Some(min) = s["minimum"].as_i64() {
                bad.push((
                    query(&[format!("{name}={}", min - 1)]),
                    format!("{name} below its minimum"),
                ));
            }
            if let Some(max) = s["maximum"].as_i64() {
                bad.push((
                    query(&[format!("{name}={}", max as i128 + 1)]),
                    format!("{name} above its maximum"),
                ));
            }
            if matches!(s["type"].as_str(), Some("integer" | "boolean")) || s.get("enum").is_some()
            {
                bad.push((
                    query(&[format!("{name}=zz")]),
                    format!("{name} not a {}", s["type"]),
                ));
            }
            if p["required"] == json!(true) {
                let without: Vec<String> = valid
                    .iter()
                    .filter(|v| !v.starts_with(&format!("{name}=")))
                    .cloned()
                    .collect();
                let q = if without.is_empty() {
                    String::new()
                } else {
                    format!("?{}", without.join("&"))
                };
                bad.push((q, format!("required {name} missing")));
            }
        }
        for (q, what) in bad {
            let (status, e) = call.send("get", path, &q, Some(&a.token), None);
            assert_eq!(status, 400, "GET {path}{q} ({what}) answered {status}: {e}");
            checked += 1;
        }
    }
    // The cases are among them.
    assert!(checked >= 20, "{checked}");
    for (path, q) in [
        ("/v1/pull", "?master_version=-1"),
        ("/v1/reports/stock-by-lot", "?within_days=3"),
        ("/v1/reports/lot-transactions", "?lot=P1"),
        ("/v1/reports/lot-transactions", "?from=26-01-01"),
        (
            "/v1/reports/lot-transactions",
            "?from=2026-02-01&to=2026-01-01",
        ),
    ] {
        assert_eq!(
            call.send("get", path, q, Some(&a.token), None).0,
            400,
            "{path}{q}"
        );
    }
}
