//! The server and the device under pressure and abuse, over real HTTP on loopback: a batch bigger
//! than one push stands or falls whole; connections that never finish their headers are dropped;
//! the token is checked before a body is read; one device cannot take every request slot; a
//! revoked device learns it; a device whose clock is wrong is told so; plain HTTP stays on
//! loopback unless asked for; tokens stay off the command line.

use crate::harness::*;
use crate::sync::{shelves, Site};
use lotkeeper::ledger::{FixedClock, Ledger, ReceiveCmd};
use lotkeeper::sync::client::{sync_once, Client, Standing, SyncError};
use lotkeeper::sync::server::{Limits, Options, RunningServer};
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

fn serials(prefix: &str, range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("{prefix}-{i}")).collect()
}

fn receive_phones(l: &mut Ledger, serials: Vec<String>) {
    l.receive(&ReceiveCmd {
        item: "PHONE".into(),
        qty: serials.len() as i64,
        to: "DOCK".into(),
        serials,
        supplier: Some("Acme".into()),
        ..Default::default()
    })
    .unwrap();
}

/// The case: 6,000 serials in one receipt, bigger than one push (5,000), one of them
/// already in stock on the server. The whole receipt is a conflict; nothing of it is on the server.
#[test]
fn a_batch_bigger_than_a_push_is_accepted_or_refused_whole() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    receive_phones(&mut b.ledger, vec!["SPLIT-5500".into()]);
    assert_eq!(b.sync().unwrap().accepted, 1);
    // A is offline meanwhile: one command, 6,000 serials.
    receive_phones(&mut a.ledger, serials("SPLIT", 0..6_000));
    let report = a.sync().unwrap();
    assert_eq!((report.accepted, report.rejected), (0, 6_000), "{report:?}");
    assert_eq!(a.ledger.conflicts(false).unwrap().len(), 6_000);
    let on_server: Vec<_> = shelves(&site.ledger())
        .into_iter()
        .filter(|s| s.0 == "PHONE")
        .collect();
    assert_eq!(
        on_server,
        vec![(
            "PHONE".to_string(),
            None,
            Some("SPLIT-5500".to_string()),
            "DOCK".to_string(),
            1
        )]
    );
    // And a batch that big with nothing wrong is accepted whole, beside small ones.
    receive_phones(&mut a.ledger, serials("WHOLE", 0..5_500));
    for i in 0..3 {
        receive_phones(&mut a.ledger, vec![format!("SMALL-{i}")]);
    }
    let report = a.sync().unwrap();
    assert_eq!((report.accepted, report.rejected), (5_503, 0), "{report:?}");
    assert_eq!(shelves(&a.ledger), shelves(&site.ledger()));
}

/// A push that carries part of a batch (an older or faulty client) is refused whole: the server
/// never records half a batch.
#[test]
fn the_server_refuses_part_of_a_batch() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    receive_phones(&mut a.ledger, serials("PART", 0..10));
    let batch = a.ledger.pending_batches(100, None).unwrap();
    assert!(batch.iter().all(|(_, size)| *size == 10));
    let half: Vec<_> = batch[..4]
        .iter()
        .map(|(r, size)| lotkeeper::sync::wire::WireMovement {
            batch_size: Some(*size),
            ..r.into()
        })
        .collect();
    let resp = Client::new(&site.url, &a.token)
        .unwrap()
        .push(half)
        .unwrap();
    assert_eq!(resp.results.len(), 4);
    for r in &resp.results {
        match r {
            lotkeeper::sync::wire::PushResult::Rejected { reason, .. } => {
                assert!(
                    reason.contains("has 10 movements but 4 arrived"),
                    "{reason}"
                )
            }
            other => panic!("part of a batch was accepted: {other:?}"),
        }
    }
    assert!(shelves(&site.ledger()).iter().all(|s| s.0 != "PHONE"));
    // The device's own sync sends it whole.
    let report = a.sync().unwrap();
    assert_eq!((report.accepted, report.rejected), (10, 0));
}

fn guarded_site(limits: Limits) -> (Site, RunningServer) {
    let site = Site::new();
    let server = RunningServer::start_with(
        &site.db(),
        "127.0.0.1:0",
        Options {
            limits,
            ..Default::default()
        },
    )
    .unwrap();
    (site, server)
}

/// Reads until the server closes the connection (or a minute passes: then it did not).
fn closed_by_server(s: &mut TcpStream) -> bool {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn connections_that_never_finish_their_headers_are_dropped() {
    let (_site, server) = guarded_site(Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Default::default()
    });
    let mut idle: Vec<TcpStream> = (0..200)
        .map(|i| {
            let mut s = TcpStream::connect(server.addr).unwrap();
            if i % 2 == 1 {
                // Half send the start of a request, never its end.
                s.write_all(b"POST /v1/push HTTP/1.1\r\nHost: lotkeeper\r\nContent-Ty")
                    .unwrap();
            }
            s
        })
        .collect();
    // The server still answers others.
    let r = reqwest::blocking::get(format!("{}/v1/health", server.url())).unwrap();
    assert_eq!(r.status().as_u16(), 200);
    for (i, s) in idle.iter_mut().enumerate() {
        assert!(closed_by_server(s), "idle connection {i} is still open");
    }
    let r = reqwest::blocking::get(format!("{}/v1/health", server.url())).unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

/// The head of a push of `len` bytes, without its body.
fn push_head(addr: std::net::SocketAddr, token: Option<&str>, len: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "POST /v1/push HTTP/1.1\r\nHost: lotkeeper\r\n{auth}Content-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    )
    .unwrap();
    s
}

fn status_line(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut line = String::new();
    std::io::BufReader::new(s).read_line(&mut line).unwrap();
    line
}

#[test]
fn the_token_is_checked_before_the_body_is_read() {
    let (_site, server) = guarded_site(Limits::default());
    // 16 MiB announced, not one byte of it sent: the answer comes anyway.
    let mut s = push_head(server.addr, None, 16 * 1024 * 1024);
    assert!(status_line(&mut s).starts_with("HTTP/1.1 401"));
    let mut s = push_head(server.addr, Some("lk_forged"), 16 * 1024 * 1024);
    assert!(status_line(&mut s).starts_with("HTTP/1.1 401"));
}

#[test]
fn one_device_cannot_take_every_request_slot() {
    let (site, server) = guarded_site(Limits {
        per_device: 1,
        ..Default::default()
    });
    let a = site.device("dev-a");
    let b = site.device("dev-b");
    let http = reqwest::blocking::Client::new();
    let whoami = |token: &str| {
        http.get(format!("{}/v1/whoami", server.url()))
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    // A slow push of A holds its one slot while its body trickles in.
    let open_slow = || {
        let mut s = push_head(server.addr, Some(&a.token), 1000);
        s.write_all(b"{\"movements\": [").unwrap();
        s
    };
    let mut slow = open_slow();
    let mut busy = None;
    for _ in 0..600 {
        let r = whoami(&a.token);
        if r.status().as_u16() == 429 {
            busy = Some(r);
            break;
        }
        // The two connections race: when the whoami was admitted first, the slow push was the
        // one refused (it has an answer, or is closed). Then it starts again.
        slow.set_read_timeout(Some(Duration::from_millis(10)))
            .unwrap();
        if slow.peek(&mut [0u8; 1]).is_ok() {
            slow = open_slow();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let busy = busy.expect("a second request of the same device was never refused");
    assert!(busy.headers().get("retry-after").is_some());
    let body: serde_json::Value = busy.json().unwrap();
    assert_eq!(body["code"], "busy", "{body}");
    // Another device is served meanwhile.
    assert_eq!(whoami(&b.token).status().as_u16(), 200);
    // When the slow push ends, A is served again.
    drop(slow);
    let mut served = false;
    for _ in 0..600 {
        if whoami(&a.token).status().as_u16() == 200 {
            served = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(served);
}

#[test]
fn a_revoked_device_learns_it_on_its_next_contact() {
    let site = Site::new();
    let mut a = site.device("dev-a");
    site.ledger().revoke_device("dev-a").unwrap();
    // `status` asks the server, and learns it.
    let out = run_with_db(&a.path, &["status"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("revoked: "));
    assert!(Standing::of(&a.ledger).unwrap().revoked);
    a.ledger.delete_sync_value("revoked").unwrap();
    // So does a sync.
    match a.sync() {
        Err(SyncError::Revoked(m)) => assert!(m.contains("enroll this device again"), "{m}"),
        other => panic!("not told it is revoked: {other:?}"),
    }
    assert!(Standing::of(&a.ledger).unwrap().revoked);
    let out = run_with_db(&a.path, &["status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("revoked: ask the back office to enroll this device again"),
        "{text}"
    );
    let status = json(&String::from_utf8_lossy(
        &run_with_db(&a.path, &["status", "--format", "json"]).stdout,
    ));
    assert_eq!(status["revoked"], true);
    // Enrolled again with a new token, it syncs and the warning is gone.
    let token = lotkeeper::sync::new_token();
    site.ledger()
        .add_device("dev-a", &lotkeeper::sync::hash_token(&token))
        .unwrap();
    a.ledger.enroll(&site.url, &token, "dev-a").unwrap();
    a.sync().unwrap();
    assert!(!Standing::of(&a.ledger).unwrap().revoked);
}

#[test]
fn a_device_whose_clock_is_off_is_told_so() {
    let site = Site::new();
    let token = lotkeeper::sync::new_token();
    site.ledger()
        .add_device("dev-c", &lotkeeper::sync::hash_token(&token))
        .unwrap();
    let path = site.dir.path().join("dev-c.db");
    let clock = Arc::new(FixedClock::at(
        chrono::Utc::now() - chrono::Duration::hours(72),
    ));
    let mut l = Ledger::open(&path).unwrap().with_clock(clock.clone());
    l.enroll(&site.url, &token, "dev-c").unwrap();
    let client = Client::for_ledger(&l).unwrap();
    sync_once(&mut l, &client).unwrap();
    let standing = Standing::of(&l).unwrap();
    assert_eq!(standing.clock_off_hours(), Some(72), "{standing:?}");
    let out = String::from_utf8_lossy(&run_with_db(&path, &["status"]).stdout).to_string();
    assert!(
        out.contains("this device's clock is off by 72 h: set the date and time"),
        "{out}"
    );
    // Within the stated skew there is nothing to say.
    clock.set(chrono::Utc::now() + chrono::Duration::hours(2));
    sync_once(&mut l, &client).unwrap();
    let standing = Standing::of(&l).unwrap();
    assert_eq!(
        (standing.clock_off_hours(), standing.warning()),
        (None, None)
    );
    let out = String::from_utf8_lossy(&run_with_db(&path, &["status"]).stdout).to_string();
    assert!(!out.contains("clock"), "{out}");
}

#[test]
fn plain_http_stays_on_loopback_unless_asked_for() {
    let d = Dir::new();
    let out = d.run(&["serve", "--listen", "192.0.2.55:8080"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to serve plain HTTP on 192.0.2.55:8080"),
        "{err}"
    );
    assert!(err.contains("--insecure-http"), "{err}");
    // On purpose: it serves, and says what it means on stderr.
    let mut child = std::process::Command::new(bin())
        .arg("--db")
        .arg(d.db())
        .args(["serve", "--listen", "0.0.0.0:0", "--insecure-http"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("warning: serving plain HTTP on 0.0.0.0:"),
        "{line}"
    );
}

#[test]
fn the_token_can_come_from_the_environment_or_standard_input() {
    let site = Site::new();
    let enroll = |name: &str, how: &str| {
        let token = lotkeeper::sync::new_token();
        site.ledger()
            .add_device(name, &lotkeeper::sync::hash_token(&token))
            .unwrap();
        let d = Dir::new();
        let mut cmd = std::process::Command::new(bin());
        cmd.arg("--db")
            .arg(d.db())
            .args(["enroll", "--server", &site.url])
            .env_remove("LOTKEEPER_TOKEN")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        match how {
            "env" => {
                cmd.env("LOTKEEPER_TOKEN", &token);
            }
            "stdin" => {
                cmd.arg("--token-stdin");
            }
            _ => {}
        }
        let mut child = cmd.spawn().unwrap();
        // A command that needs no input may be gone already: a closed pipe is fine.
        let _ = writeln!(child.stdin.take().unwrap(), "{token}");
        let out = child.wait_with_output().unwrap();
        (d, out)
    };
    for how in ["env", "stdin"] {
        let (d, out) = enroll(&format!("dev-{how}"), how);
        assert!(
            out.status.success(),
            "{how}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("enrolled as dev-{how}")));
        assert_eq!(
            json(&d.ok(&["sync", "--format", "json"]))["master_updated"],
            true
        );
    }
    let (_, out) = enroll("dev-none", "none");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LOTKEEPER_TOKEN"));
    let help = String::from_utf8_lossy(&Dir::new().run(&["enroll", "--help"]).stdout).to_string();
    assert!(
        help.contains("Prefer the LOTKEEPER_TOKEN environment variable or --token-stdin"),
        "{help}"
    );
}
