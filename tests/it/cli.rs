//! The real binary, as scripts and the acceptance checks use it.

use crate::harness::*;

fn setup() -> Dir {
    let d = Dir::new();
    let items = d.file("items.csv", ITEMS);
    let locs = d.file("locations.csv", LOCATIONS);
    d.ok(&["import", "items", items.to_str().unwrap()]);
    d.ok(&["import", "locations", locs.to_str().unwrap()]);
    d
}

#[test]
fn receive_ship_and_reports_as_json() {
    let d = setup();
    d.ok(&[
        "receive",
        "--item",
        "PARA",
        "--qty",
        "10",
        "--to",
        "A1",
        "--lot",
        "L1",
        "--expiry",
        "2099-01-31",
        "--supplier",
        "Acme",
        "--ref",
        "PO-7",
    ]);
    d.ok(&[
        "receive",
        "--item",
        "PARA",
        "--qty",
        "5",
        "--to",
        "A2",
        "--lot",
        "L0",
        "--expiry",
        "2098-01-31",
    ]);
    d.ok(&[
        "ship",
        "--item",
        "PARA",
        "--qty",
        "3",
        "--from",
        "A1",
        "--lot",
        "L1",
        "--customer",
        "Bob",
        "--ref",
        "PL-1",
    ]);
    let stock = json(&d.ok(&[
        "report",
        "stock-by-lot",
        "--item",
        "PARA",
        "--format",
        "json",
    ]));
    let rows = stock.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for key in ["item", "lot", "serial", "location", "on_hand", "expiry"] {
        assert!(
            rows[0].get(key).is_some(),
            "stock row lacks {key}: {}",
            rows[0]
        );
    }
    assert_eq!(rows[0]["lot"], "L0");
    assert_eq!(rows[1]["on_hand"], 7);
    let alloc = json(&d.ok(&[
        "allocate", "--item", "PARA", "--qty", "8", "--format", "json",
    ]));
    let picks: Vec<_> = alloc
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["lot"].as_str().unwrap().to_string(),
                r["qty"].as_i64().unwrap(),
                r["location"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        picks,
        vec![("L0".into(), 5, "A2".into()), ("L1".into(), 3, "A1".into())]
    );
    let exp = json(&d.ok(&["report", "expiry", "--format", "json"]));
    for key in ["item", "lot", "expiry", "days_left", "expired"] {
        assert!(exp[0].get(key).is_some(), "expiry row lacks {key}");
    }
    let tx = json(&d.ok(&[
        "report",
        "lot-transactions",
        "--item",
        "PARA",
        "--lot",
        "L1",
        "--format",
        "json",
    ]));
    assert_eq!(tx.as_array().unwrap().len(), 2);
    let trace = json(&d.ok(&["trace", "--item", "PARA", "--lot", "L1", "--format", "json"]));
    assert_eq!(trace["customers"], serde_json::json!(["Bob"]));
    assert_eq!(trace["suppliers"], serde_json::json!(["Acme"]));
    let csv = d.ok(&["report", "stock-by-lot", "--format", "csv"]);
    assert!(csv.starts_with("item,lot,serial,location,on_hand"), "{csv}");
    let table = d.ok(&["report", "expiry"]);
    assert!(table.contains("days_left"), "{table}");
}

#[test]
fn refusals_exit_2_bad_input_exits_1_and_nothing_changes() {
    let d = setup();
    d.ok(&[
        "receive",
        "--item",
        "PARA",
        "--qty",
        "2",
        "--to",
        "A1",
        "--lot",
        "L1",
        "--expiry",
        "2099-01-31",
    ]);
    let before = d.ok(&["report", "stock-by-lot", "--format", "json"]);

    let out = d.run(&[
        "ship", "--item", "PARA", "--qty", "5", "--from", "A1", "--lot", "L1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("refused: only 2 EA of PARA lot L1 at A1 (asked for 5)"),
        "{err}"
    );

    let out = d.run(&[
        "receive", "--item", "PARA", "--qty", "1", "--to", "A1", "--lot", "L9",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("refused: PARA tracks expiry"));

    for bad in [
        vec!["ship", "--item", "PARA", "--qty", "many", "--from", "A1"],
        vec![
            "receive",
            "--item",
            "PARA",
            "--qty",
            "1",
            "--to",
            "A1",
            "--lot",
            "L1",
            "--expiry",
            "31.01.2099",
        ],
        vec!["report", "nonsense"],
        vec!["frobnicate"],
        vec!["receive", "--item", "NOPE", "--qty", "1", "--to", "A1"],
    ] {
        let out = d.run(&bad);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{bad:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let bad_csv = d.file(
        "bad.csv",
        "sku,location,lot,serial,expiry,qty\nBOLT,A1,,,,3\nBOLT,A1,,,,x\n",
    );
    let out = d.run(&["import", "stock", bad_csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3, column qty"), "{err}");
    assert_eq!(
        d.ok(&["report", "stock-by-lot", "--format", "json"]),
        before
    );
}

#[test]
fn serials_file_adjust_hold_release() {
    let d = setup();
    let f = d.file("serials.txt", "SN-1\nSN-2\n\nSN-3\n");
    d.ok(&[
        "receive",
        "--item",
        "PHONE",
        "--qty",
        "3",
        "--to",
        "A1",
        "--serials-file",
        f.to_str().unwrap(),
    ]);
    let serials = json(&d.ok(&["report", "serials", "--format", "json"]));
    assert_eq!(serials.as_array().unwrap().len(), 3);
    d.ok(&[
        "ship", "--item", "PHONE", "--qty", "1", "--from", "A1", "--serial", "SN-2",
    ]);
    let out = d.run(&[
        "ship", "--item", "PHONE", "--qty", "1", "--from", "A1", "--serial", "SN-2",
    ]);
    assert_eq!(out.status.code(), Some(2));
    d.ok(&[
        "adjust",
        "--item",
        "BOLT",
        "--qty",
        "+5",
        "--at",
        "A2",
        "--reason",
        "found on count",
    ]);
    d.ok(&[
        "adjust", "--item", "BOLT", "--qty", "-2", "--at", "A2", "--reason", "damaged",
    ]);
    let stock = json(&d.ok(&[
        "report",
        "stock-by-lot",
        "--item",
        "BOLT",
        "--format",
        "json",
    ]));
    assert_eq!(stock[0]["on_hand"], 3);
    d.ok(&[
        "receive", "--item", "FLOUR", "--qty", "4", "--to", "A1", "--lot", "F1",
    ]);
    d.ok(&[
        "hold",
        "--item",
        "FLOUR",
        "--lot",
        "F1",
        "--reason",
        "rodent found",
        "--recall",
    ]);
    let out = d.run(&[
        "ship", "--item", "FLOUR", "--qty", "1", "--from", "A1", "--lot", "F1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("on hold (recalled)"));
    d.ok(&[
        "transfer", "--item", "FLOUR", "--qty", "4", "--from", "A1", "--to", "Q", "--lot", "F1",
    ]);
    // A recall is not released: the back office closes it (the lot stays on hold), then releases.
    d.ok(&[
        "recall",
        "close",
        "--item",
        "FLOUR",
        "--lot",
        "F1",
        "--reason",
        "supplier cleared",
        "--by",
        "Ann",
    ]);
    d.ok(&[
        "release",
        "--item",
        "FLOUR",
        "--lot",
        "F1",
        "--reason",
        "lab cleared",
    ]);
    d.ok(&[
        "ship", "--item", "FLOUR", "--qty", "1", "--from", "Q", "--lot", "F1",
    ]);
}

#[test]
fn demo_and_overview_on_an_empty_database() {
    let d = Dir::new();
    let out = d.ok(&[]);
    assert!(out.contains("filled it with the demo warehouse"), "{out}");
    assert!(out.contains("AMOX-500"));
    let out = d.run(&["demo"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "demo must refuse a database with data"
    );
    let trace = json(&d.ok(&[
        "trace",
        "--item",
        "SALINE-1L",
        "--lot",
        "SL1002",
        "--format",
        "json",
    ]));
    assert_eq!(
        trace["forward"]["used_in"][0]["node"]["item"],
        "FIRSTAID-KIT"
    );
}

#[test]
fn database_from_the_environment() {
    let d = Dir::new();
    let out = std::process::Command::new(bin())
        .arg("demo")
        .env("LOTKEEPER_DB", d.db())
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d.db().exists());
}

#[test]
fn output_piped_into_a_reader_that_stops_early_ends_quietly() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};
    let mut child = Command::new(bin())
        .args(["parse", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Far more output than a pipe holds; the writer stops when the command is gone.
    let feeder = std::thread::spawn(move || {
        for _ in 0..20_000 {
            if writeln!(stdin, "(01)09506000134352(10)ABC").is_err() {
                break;
            }
        }
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"ok\":true"), "{first}");
    // The reader goes away, as `| head -1` does.
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    // Nothing to say about it: no panic, no "Broken pipe" error, as with any Unix filter.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr, "");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            out.status.signal(),
            Some(13),
            "ended by SIGPIPE: {:?}",
            out.status
        );
    }
}
