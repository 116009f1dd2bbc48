//! The real binary, as scripts and the acceptance checks use it.

use crate::harness::*;

pub fn setup() -> Dir {
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

/// Runs the binary with `args` and the environment given (no database from the harness).
fn run_env(args: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> std::process::Output {
    let mut c = std::process::Command::new(bin());
    c.args(args)
        .env_remove("LOTKEEPER_DB")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// The movement ids a lot-transactions report lists.
fn ids_in(d: &Dir, args: &[&str]) -> Vec<String> {
    let mut all = vec!["report", "lot-transactions", "--format", "json"];
    all.extend_from_slice(args);
    json(&d.ok(&all))
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// Each command that changes state says, as JSON, what it did: the ids of the movements it
/// posted (the ones the journal then holds), the counts of an import, the lot event of a hold or
/// release, the name and token of a device added.
#[test]
fn state_changing_commands_print_what_they_did_as_json() {
    let d = Dir::new();
    let items = d.file("items.csv", ITEMS);
    let locs = d.file("locations.csv", LOCATIONS);
    let imported = json(&d.ok(&[
        "import",
        "items",
        items.to_str().unwrap(),
        "--format",
        "json",
    ]));
    assert_eq!(
        (
            &imported["rows"],
            &imported["created"],
            &imported["updated"]
        ),
        (
            &serde_json::json!(5),
            &serde_json::json!(5),
            &serde_json::json!(0)
        ),
        "{imported}"
    );
    d.ok(&["import", "locations", locs.to_str().unwrap()]);
    let posted = |args: &[&str]| -> Vec<String> {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let v = json(&d.ok(&all));
        v["movements"]
            .as_array()
            .unwrap_or_else(|| panic!("{args:?}: {v}"))
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let received = posted(&[
        "receive", "--item", "FLOUR", "--qty", "10", "--to", "A1", "--lot", "F1",
    ]);
    let shipped = posted(&[
        "ship", "--item", "FLOUR", "--qty", "2", "--from", "A1", "--lot", "F1",
    ]);
    let moved = posted(&[
        "transfer", "--item", "FLOUR", "--qty", "3", "--from", "A1", "--to", "A2", "--lot", "F1",
    ]);
    let adjusted = posted(&[
        "adjust", "--item", "FLOUR", "--qty", "-1", "--at", "A2", "--lot", "F1", "--reason",
        "torn bag",
    ]);
    for (what, ids) in [
        ("receive", &received),
        ("ship", &shipped),
        ("transfer", &moved),
        ("adjust", &adjusted),
    ] {
        assert_eq!(ids.len(), 1, "{what}: {ids:?}");
    }
    let corrected = posted(&[
        "correct",
        "--movement",
        &shipped[0],
        "--reason",
        "shipped by mistake",
    ]);
    assert_eq!(corrected.len(), 1);
    // The ids printed are the journal's, in posting order.
    let journal = ids_in(&d, &["--item", "FLOUR", "--lot", "F1"]);
    assert_eq!(
        journal,
        [&received, &shipped, &moved, &adjusted, &corrected]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
    );
    let phones = posted(&[
        "receive", "--item", "PHONE", "--qty", "2", "--to", "A1", "--serial", "S1", "S2",
    ]);
    assert_eq!(phones.len(), 2);
    // A hold and a release name the lot event they recorded.
    let held = json(&d.ok(&[
        "hold", "--item", "FLOUR", "--lot", "F1", "--reason", "damp", "--by", "Ann", "--format",
        "json",
    ]));
    assert_eq!(
        (
            held["action"].as_str(),
            held["from"].as_str(),
            held["to"].as_str(),
            held["by"].as_str()
        ),
        (
            Some("hold"),
            Some("available"),
            Some("quarantine"),
            Some("Ann")
        ),
        "{held}"
    );
    let released = json(&d.ok(&[
        "release", "--item", "FLOUR", "--lot", "F1", "--reason", "dry", "--format", "json",
    ]));
    assert_eq!(released["action"], "release", "{released}");
    assert_ne!(released["event_id"], held["event_id"]);
    let history = json(&d.ok(&[
        "report",
        "lot-history",
        "--item",
        "FLOUR",
        "--lot",
        "F1",
        "--format",
        "json",
    ]));
    assert_eq!(history[1]["event_id"], released["event_id"], "{history}");
    let device = json(&d.ok(&["device", "add", "dock-1", "--format", "json"]));
    assert_eq!(device["device"], "dock-1");
    assert!(
        device["token"].as_str().is_some_and(|t| t.len() >= 20),
        "{device}"
    );
    let list = json(&d.ok(&["device", "list", "--format", "json"]));
    assert_eq!(list[0]["name"], "dock-1");
}

/// `--format` is offered only with the forms the command prints: clap refuses the rest (exit 1),
/// and `--help` lists only those.
#[test]
fn formats_a_command_cannot_print_are_refused() {
    let d = Dir::new();
    d.ok(&["demo"]);
    for args in [
        &[
            "trace",
            "--item",
            "SALINE-1L",
            "--lot",
            "SL1002",
            "--format",
            "csv",
        ][..],
        &["parse", "--format", "csv"],
        &["sync", "--watch", "--format", "json"],
        &["sync", "--format", "csv"],
        &["status", "--format", "csv"],
        &["decode", "--format", "csv", "x.png"],
        &["camera", "--format", "csv"],
        &[
            "receive", "--item", "X", "--qty", "1", "--to", "A", "--format", "csv",
        ],
    ] {
        let out = d.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("--format") || err.contains("cannot be used with"),
            "{args:?}: {err}"
        );
    }
    let help = d.ok(&["trace", "--help"]);
    assert!(help.contains("[possible values: table, json]"), "{help}");
    // What stays offered works.
    let table = d.ok(&["trace", "--item", "SALINE-1L", "--lot", "SL1002"]);
    assert!(
        table.starts_with("Trace of SALINE-1L lot SL1002"),
        "{table}"
    );
}

/// The subcommands a `--help` text lists (after "Commands:"), without `help`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.as_bytes().get(2).is_some_and(|b| *b != b' '))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|c| c != "help")
        .collect()
}

/// A help text without what clap adds in brackets.
fn words(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// Every option of every command has a help line; the camera replay shows only where a camera
/// is used.
#[test]
fn every_option_of_every_command_has_help() {
    let top = String::from_utf8(run_env(&["--help"], &[]).stdout).unwrap();
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    let mut checked = 0;
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = run_env(&args, &[]);
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        for c in subcommands(&help) {
            let mut p = path.clone();
            p.push(c);
            todo.push(p);
        }
        let lines: Vec<&str> = help.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            if !t.starts_with('-') || !line.starts_with("  ") {
                continue;
            }
            // `  -x, --long <VALUE>  Help`, or the help on the lines below the option; what
            // clap adds by itself ([default: ..], [possible values: ..]) is not help.
            let spec_end = t.find("  ").unwrap_or(t.len());
            let same_line = words(&t[spec_end..]);
            let below = lines
                .get(i + 1)
                .map(|n| n.trim_start())
                .filter(|n| !n.is_empty() && !n.starts_with('-'))
                .map(words)
                .unwrap_or_default();
            assert!(
                !same_line.is_empty() || !below.is_empty(),
                "lotkeeper {}: option without help: {line}",
                path.join(" ")
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked} option lines checked");
    assert!(top.contains("--camera-replay"), "the app replays frames");
    for cmd in ["report", "serve", "receive"] {
        let help = String::from_utf8(run_env(&[cmd, "--help"], &[]).stdout).unwrap();
        assert!(!help.contains("--camera-replay"), "{cmd}: {help}");
    }
    let camera = String::from_utf8(run_env(&["camera", "--help"], &[]).stdout).unwrap();
    assert!(camera.contains("--camera-replay"), "{camera}");
    let receive = String::from_utf8(run_env(&["receive", "--help"], &[]).stdout).unwrap();
    assert!(receive.contains("--expiry <YYYY-MM-DD>"), "{receive}");
    assert!(receive.contains("in the item's unit"), "{receive}");
}

/// An empty LOTKEEPER_DB is no database: an explicit --db is used, and without one the
/// platform's default is.
#[test]
fn an_empty_database_variable_counts_as_unset() {
    let d = Dir::new();
    let empty = std::ffi::OsStr::new("");
    let db = d.db();
    let out = run_env(
        &["--db", db.to_str().unwrap(), "demo"],
        &[("LOTKEEPER_DB", empty)],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(db.exists());
    let data = d.dir.path().join("data");
    let out = run_env(
        &["demo"],
        &[
            ("LOTKEEPER_DB", empty),
            ("XDG_DATA_HOME", data.as_os_str()),
            ("HOME", d.dir.path().as_os_str()),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Vec<_> = walk(&data)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "lotkeeper.db"))
        .collect();
    assert_eq!(created.len(), 1, "the default database under {data:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A session that ends in the middle of a workflow, or had an event refused, exits 3 unless
/// allowed; a lookup says what it found.
#[test]
fn a_session_that_did_not_finish_or_was_refused_fails() {
    let d = Dir::new();
    d.ok(&["demo"]);
    let script = |name: &str, text: &str| d.file(name, text).to_str().unwrap().to_string();
    // Stops after the item: nothing recorded, and the exit code says so.
    let half = script(
        "half.txt",
        "start receive\nscan ]d20109506000134352172812311012345<GS>21SN9\n",
    );
    let out = d.run(&["session", &half]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("ended in the middle of a workflow"), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    d.ok(&["session", &half, "--allow-unfinished"]);
    // A refused scan.
    let refused = script("refused.txt", "start lookup\nscan NO-SUCH-THING\n");
    let out = d.run(&["session", &refused]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("1 event(s) were refused"), "{err}");
    d.ok(&["session", &refused, "--allow-refusals"]);
    // A finished receipt and a lookup: exit 0, and the lookup's message is what it found.
    let done = script(
        "done.txt",
        "start receive\nscan ]d20109506000134352172812311012345<GS>21SN9\nenter 50\nscan A-01-02\nconfirm\nstart lookup\nscan SL1002\nscan AMOX-500\n",
    );
    let out = d.ok(&["session", &done]);
    let steps: Vec<serde_json::Value> = out.lines().map(json).collect();
    let lot = steps[6]["message"].as_str().unwrap_or_default();
    assert!(
        lot.starts_with("Found: SALINE-1L lot SL1002; Status: "),
        "{out}"
    );
    let amox = steps[7]["message"].as_str().unwrap_or_default();
    assert!(amox.starts_with("Found: AMOX-500"), "{amox}");
    assert!(amox.contains("at A-01-02"), "{amox}");
}

/// With no display, `lotkeeper` suggests commands with the database's own items.
#[test]
fn the_overview_suggests_the_database_s_own_items() {
    let d = setup();
    d.ok(&[
        "receive", "--item", "FLOUR", "--qty", "4", "--to", "A1", "--lot", "F9",
    ]);
    let out = d.ok(&[]);
    let tip = out.lines().find(|l| l.starts_with("Try: ")).unwrap_or("");
    assert!(tip.contains("allocate --item FLOUR --qty 4"), "{out}");
    assert!(tip.contains("trace --item FLOUR --lot F9"), "{out}");
    assert!(
        !out.contains("AMOX-500") && !out.contains("SALINE"),
        "{out}"
    );
}

#[test]
fn parse_is_strict_unless_lenient() {
    let d = Dir::new();
    let scans = d.file("scans.txt", "https://example.com/gtin/9506000134352\n");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(bin())
            .args(args)
            .stdin(std::fs::File::open(&scans).unwrap())
            .output()
            .unwrap();
        assert!(out.status.success());
        json(String::from_utf8(out.stdout).unwrap().trim())
    };
    let strict = run(&["parse"]);
    assert_eq!(strict["kind"], "digital_link");
    assert_eq!(strict["ok"], false);
    assert_eq!(strict["errors"][0]["kind"], "syntax");
    assert!(strict.get("warnings").is_none(), "{strict}");
    let lenient = run(&["parse", "--lenient"]);
    assert_eq!(lenient["ok"], true, "{lenient}");
    assert_eq!(
        lenient["ais"],
        serde_json::json!([["01", "09506000134352"]])
    );
    assert_eq!(
        lenient["warnings"].as_array().unwrap().len(),
        2,
        "{lenient}"
    );
}
