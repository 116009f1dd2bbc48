//! Sync with the real server on loopback: end to end, conflicts, bad requests, faults, and a seeded
//! simulation of several devices. The end-to-end, conflict, fault and kill tests run twice: with
//! the server on its SQLite file, and on PostgreSQL (`on_postgres`).

use crate::harness::*;
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::{FixedClock, Ledger, LotStatus, ReceiveCmd, ShipCmd, TransferCmd};
use lotkeeper::sync::client::{sync_once, Client};
use lotkeeper::sync::server::RunningServer;
use lotkeeper::sync::{hash_token, new_token};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A server database with the test items and locations, and its running server.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub server: Option<RunningServer>,
    pub url: String,
    /// The back office is on PostgreSQL (filled from server.db at the start), in this schema.
    #[cfg(feature = "postgres")]
    pg: Option<PgSchema>,
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        Site::fill(&dir.path().join("server.db"));
        let server =
            RunningServer::start(&dir.path().join("server.db"), "127.0.0.1:0", None).unwrap();
        let url = server.url();
        Site {
            dir,
            server: Some(server),
            url,
            #[cfg(feature = "postgres")]
            pg: None,
        }
    }

    /// The same site with its back office on PostgreSQL; None when no PostgreSQL is configured
    /// (outside CI, the test is then skipped).
    #[cfg(feature = "postgres")]
    pub fn on_postgres(name: &str) -> Option<Site> {
        use lotkeeper::sync::server::{Database, Options};
        let pg = PgSchema::new(name)?;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("server.db");
        Site::fill(&file);
        lotkeeper::ledger::pg::migrate::migrate_server(&file, &pg.url).unwrap();
        let server = RunningServer::start_on(
            &Database::Postgres(pg.url.clone()),
            "127.0.0.1:0",
            Options::default(),
        )
        .unwrap();
        let url = server.url();
        Some(Site {
            dir,
            server: Some(server),
            url,
            pg: Some(pg),
        })
    }

    fn fill(file: &Path) {
        let mut l = Ledger::open(file).unwrap();
        l.import_csv(ImportKind::Items, ITEMS).unwrap();
        l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    /// The server's ledger, read alongside the running server (WAL allows it).
    pub fn ledger(&self) -> Ledger {
        (self.opener())()
    }

    /// Opens the server's ledger, wherever it is, from any thread.
    pub fn opener(&self) -> impl Fn() -> Ledger + Send + 'static {
        #[cfg(feature = "postgres")]
        let url = self.pg.as_ref().map(|p| p.url.clone());
        let db = self.db();
        move || {
            #[cfg(feature = "postgres")]
            if let Some(url) = &url {
                return Ledger::open_postgres(url).unwrap();
            }
            Ledger::open(&db).unwrap()
        }
    }

    /// `--db FILE` or `--database URL`: where a `lotkeeper serve` of this site keeps its ledger.
    pub fn store_args(&self) -> Vec<String> {
        #[cfg(feature = "postgres")]
        if let Some(pg) = &self.pg {
            return vec!["--database".into(), pg.url.clone()];
        }
        vec!["--db".into(), self.db().to_str().unwrap().into()]
    }

    /// On SQLite: the server's file passes SQLite's integrity check (PostgreSQL keeps its own).
    pub fn check_integrity(&self) {
        #[cfg(feature = "postgres")]
        if self.pg.is_some() {
            return;
        }
        let check: String = self
            .ledger()
            .read(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(check, "ok");
    }

    /// Enrolls a device: a token on the server, a fresh database that knows it, and a first pull.
    pub fn device(&self, name: &str) -> Device {
        let token = new_token();
        self.ledger().add_device(name, &hash_token(&token)).unwrap();
        let path = self.dir.path().join(format!("{name}.db"));
        let mut l = open_device(&path);
        l.enroll(&self.url, &token, name).unwrap();
        let mut d = Device {
            path,
            ledger: l,
            token,
        };
        d.sync().unwrap();
        d
    }
}

pub struct Device {
    pub path: PathBuf,
    pub ledger: Ledger,
    pub token: String,
}

fn open_device(path: &Path) -> Ledger {
    Ledger::open(path)
        .unwrap()
        .with_clock(Arc::new(FixedClock::on(day(TODAY))))
}

impl Device {
    pub fn sync(
        &mut self,
    ) -> Result<lotkeeper::sync::client::SyncReport, lotkeeper::sync::client::SyncError> {
        let c = Client::for_ledger(&self.ledger)?;
        sync_once(&mut self.ledger, &c)
    }

    /// The app closed and opened again.
    pub fn restart(&mut self) {
        self.ledger = open_device(&self.path);
    }
}

/// (item, lot, serial, location, qty)
type Shelf = (String, Option<String>, Option<String>, String, i64);

/// What is on the shelves, sorted.
pub fn shelves(l: &Ledger) -> Vec<Shelf> {
    let mut v: Vec<_> = l
        .query()
        .stock(None, None)
        .unwrap()
        .into_iter()
        .map(|s| (s.item, s.lot, s.serial, s.location, s.qty))
        .collect();
    v.sort();
    v
}

pub fn recv(l: &mut Ledger, item: &str, lot: Option<&str>, serials: &[&str], qty: i64, to: &str) {
    l.receive(&ReceiveCmd {
        item: item.into(),
        qty,
        to: to.into(),
        lot: lot.map(Into::into),
        expiry: lot.map(|_| day("2099-12-31")),
        serials: serials.iter().map(|s| s.to_string()).collect(),
        supplier: Some("Acme".into()),
        ..Default::default()
    })
    .unwrap();
}

/// Tests that run with the server on SQLite and on PostgreSQL: each `fn name(site: Site)` here
/// becomes the tests `sync::sqlite::name` and `sync::postgres::name`.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                super::$name(super::Site::new());
            })*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(#[test]
            fn $name() {
                if let Some(site) = super::Site::on_postgres(stringify!($name)) {
                    super::$name(site);
                }
            })*
        }
    };
}

on_both_stores!(
    offline_work_on_two_devices_converges_everywhere,
    the_same_serial_shipped_on_two_devices_one_wins_the_other_is_a_conflict,
    a_lot_recalled_on_the_server_while_a_device_picks_offline,
    faults_between_device_and_server_lose_nothing_and_apply_nothing_twice,
    server_killed_and_restarted_during_a_push,
);

fn offline_work_on_two_devices_converges_everywhere(site: Site) {
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    // Offline: each records on its own.
    recv(&mut a.ledger, "FLOUR", Some("F1"), &[], 30, "A1");
    recv(&mut a.ledger, "PHONE", None, &["S1", "S2"], 2, "A1");
    a.ledger
        .transfer(&TransferCmd {
            item: "FLOUR".into(),
            qty: 5,
            from: "A1".into(),
            to: "A2".into(),
            lot: Some("F1".into()),
            ..Default::default()
        })
        .unwrap();
    recv(&mut b.ledger, "BOLT", None, &[], 100, "A2");
    recv(&mut b.ledger, "PARA", Some("P1"), &[], 12, "DOCK");
    assert_eq!(
        a.ledger.outbox_counts().unwrap(),
        (4, 0),
        "two serials are two movements"
    );
    let ra = a.sync().unwrap();
    assert_eq!((ra.pushed, ra.accepted, ra.rejected), (4, 4, 0));
    b.sync().unwrap();
    a.sync().unwrap();
    let server = shelves(&site.ledger());
    assert_eq!(server.len(), 6, "{server:?}");
    assert_eq!(shelves(&a.ledger), server);
    assert_eq!(shelves(&b.ledger), server);
    assert_eq!(a.ledger.outbox_counts().unwrap(), (0, 0));
    // Nothing to do: a sync changes nothing.
    let again = a.sync().unwrap();
    assert_eq!((again.pushed, again.pulled), (0, 0));
    // The server knows who did what.
    let moves = site.ledger().lot_transactions("PARA", "P1").unwrap();
    assert_eq!(moves[0].entry.device, "dev-b");
}

/// Two devices ship serial SN1 of PHONE offline, to Ann (dev-a) and to Bob (dev-b); both sync,
/// dev-a first: the server takes Ann's, and dev-b has one conflict.
pub fn serial_conflict(site: &Site) -> (Device, Device) {
    let mut a = site.device("dev-a");
    let mut b = site.device("dev-b");
    shipped_on_both(&mut a, &mut b, "SN1");
    (a, b)
}

/// Serial `serial` of PHONE received on `a`, then shipped on both, `a` to Ann first and `b` to
/// Bob: `b` holds a conflict for it.
pub fn shipped_on_both(a: &mut Device, b: &mut Device, serial: &str) {
    recv(&mut a.ledger, "PHONE", None, &[serial], 1, "A1");
    a.sync().unwrap();
    b.sync().unwrap();
    let ship = ShipCmd {
        item: "PHONE".into(),
        qty: 1,
        from: "A1".into(),
        serials: vec![serial.into()],
        customer: Some("Ann".into()),
        ..Default::default()
    };
    a.ledger.ship(&ship).unwrap();
    b.ledger
        .ship(&ShipCmd {
            customer: Some("Bob".into()),
            ..ship
        })
        .unwrap();
    assert_eq!(a.sync().unwrap().accepted, 1);
    let rb = b.sync().unwrap();
    assert_eq!(rb.rejected, 1);
}

fn the_same_serial_shipped_on_two_devices_one_wins_the_other_is_a_conflict(site: Site) {
    let (_a, mut b) = serial_conflict(&site);
    let c = b.ledger.conflicts(false).unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].reason, "serial SN1 of PHONE is not in stock");
    assert_eq!(c[0].to, "CUSTOMER:Bob");
    // The device shows the server's truth: shipped to Ann, nothing on the shelf.
    assert_eq!(shelves(&b.ledger), shelves(&site.ledger()));
    let trace = b.ledger.trace("PHONE", None, Some("SN1")).unwrap();
    assert_eq!(
        trace.customers,
        vec!["Ann"],
        "the rejected shipment is not part of history"
    );
    assert!(b.ledger.dismiss_conflict(&c[0].id, "").is_err());
    b.ledger
        .dismiss_conflict(&c[0].id, "Ann had it; told Bob")
        .unwrap();
    assert!(b.ledger.conflicts(false).unwrap().is_empty());
    assert_eq!(
        b.ledger.conflicts(true).unwrap()[0].note.as_deref(),
        Some("Ann had it; told Bob")
    );
}

fn a_lot_recalled_on_the_server_while_a_device_picks_offline(site: Site) {
    let mut a = site.device("dev-a");
    recv(&mut a.ledger, "PARA", Some("P1"), &[], 10, "A1");
    a.sync().unwrap();
    // The back office recalls P1; the handheld, offline, ships from it.
    site.ledger()
        .set_lot_status("PARA", "P1", LotStatus::Recalled, "supplier recall R-7")
        .unwrap();
    a.ledger
        .ship(&ShipCmd {
            item: "PARA".into(),
            qty: 4,
            from: "A1".into(),
            lot: Some("P1".into()),
            customer: Some("Bob".into()),
            ..Default::default()
        })
        .unwrap();
    let r = a.sync().unwrap();
    assert_eq!((r.rejected, r.lot_events), (1, 1));
    let c = a.ledger.conflicts(false).unwrap();
    assert!(
        c[0].reason
            .contains("PARA lot P1 is on hold (recalled); it cannot be shipped"),
        "{}",
        c[0].reason
    );
    // The recall reached the device too: the lot is on hold here now.
    assert_eq!(
        a.ledger.query().lot("PARA", "P1").unwrap().unwrap().status,
        LotStatus::Recalled
    );
    // And the server knows it from that same sync (the recall console's "Has it").
    assert_eq!(
        site.ledger()
            .lot_change_acknowledgements("PARA", "P1")
            .unwrap(),
        vec![("dev-a".to_string(), true)]
    );
    assert_eq!(shelves(&a.ledger), shelves(&site.ledger()));
}

fn http(method: &str, url: &str, token: Option<&str>, body: Option<&str>) -> (u16, String) {
    let c = reqwest::blocking::Client::new();
    let mut req = match method {
        "POST" => c.post(url),
        _ => c.get(url),
    };
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn bad_requests_get_4xx_and_change_nothing() {
    let site = Site::new();
    let a = site.device("dev-a");
    let before = site.ledger().query().movement_count().unwrap();
    let push = format!("{}/v1/push", site.url);
    assert_eq!(http("POST", &push, None, Some("{}")).0, 401);
    assert_eq!(
        http("POST", &push, Some("lk_not_a_token"), Some("{}")).0,
        401
    );
    let (status, body) = http(
        "POST",
        &push,
        Some(&a.token),
        Some("{\"movements\": [ {\"id\": 1"),
    );
    assert_eq!(status, 400);
    assert!(body.contains("malformed request body"), "{body}");
    let (status, body) = http(
        "POST",
        &push,
        Some(&a.token),
        Some("{\"movements\": [], \"extra\": 1}"),
    );
    assert_eq!(status, 400, "{body}");
    let forged = r#"{"movements": [{"id": "01a1fcf0-9ced-7501-b52d-34aa87b1ac52", "batch_id": "01a1fcf0-9ced-7501-b52d-34aa87b1ac52",
        "kind": "receive", "item": "BOLT", "qty": 1, "from": "SUPPLIER", "to": "A1", "device": "dev-b", "created_at": "2026-06-15T00:00:00Z"}]}"#;
    let (status, body) = http("POST", &push, Some(&a.token), Some(forged));
    assert_eq!(status, 403);
    assert!(body.contains("a device pushes only as itself"), "{body}");
    let bad_id = forged.replace("dev-b", "dev-a").replace(
        "01a1fcf0-9ced-7501-b52d-34aa87b1ac52\", \"batch",
        "nope\", \"batch",
    );
    assert_eq!(http("POST", &push, Some(&a.token), Some(&bad_id)).0, 400);
    assert_eq!(
        http(
            "GET",
            &format!("{}/v1/pull?after=-1", site.url),
            Some(&a.token),
            None
        )
        .0,
        400
    );
    assert_eq!(
        http(
            "GET",
            &format!("{}/v1/pull?after=x", site.url),
            Some(&a.token),
            None
        )
        .0,
        400
    );
    assert_eq!(
        http(
            "GET",
            &format!("{}/v1/reports/nope", site.url),
            Some(&a.token),
            None
        )
        .0,
        404
    );
    assert_eq!(
        http("GET", &format!("{}/v2/anything", site.url), None, None).0,
        404
    );
    let huge = format!(
        "{{\"movements\": [{}]}}",
        vec![
            forged
                .replace("dev-b", "dev-a")
                .split("[")
                .nth(1)
                .unwrap()
                .trim_end_matches("]}")
                .to_string();
            lotkeeper::sync::wire::MAX_PUSH + 1
        ]
        .join(",")
    );
    assert_eq!(http("POST", &push, Some(&a.token), Some(&huge)).0, 413);
    assert_eq!(site.ledger().query().movement_count().unwrap(), before);
    // A revoked device is out.
    site.ledger().revoke_device("dev-a").unwrap();
    assert_eq!(
        http(
            "GET",
            &format!("{}/v1/pull", site.url),
            Some(&a.token),
            None
        )
        .0,
        401
    );
    let (status, doc) = http("GET", &format!("{}/v1/openapi.json", site.url), None, None);
    assert_eq!(status, 200);
    assert!(doc.contains("\"/v1/push\""));
}

/// A TCP proxy between a device and the server that breaks requests on purpose, chosen by a
/// seeded generator: drop the request, lose the response (the server did the work), cut the
/// response halfway, send the request twice, or just delay it.
struct FaultProxy {
    addr: std::net::SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
    faults: Arc<std::sync::atomic::AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn read_request(s: &mut std::net::TcpStream) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            // One request per connection: ask the server to close after answering.
            let (head, body) = buf.split_at(end);
            let head: Vec<&str> = std::str::from_utf8(head)
                .ok()?
                .split("\r\n")
                .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                .collect();
            let mut out = head.join("\r\n").into_bytes();
            out.extend_from_slice(b"\r\nconnection: close");
            out.extend_from_slice(body);
            return Some(out);
        }
    }
}

fn forward(upstream: std::net::SocketAddr, req: &[u8]) -> Option<Vec<u8>> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(upstream).ok()?;
    s.write_all(req).ok()?;
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).ok()?;
    Some(resp)
}

impl FaultProxy {
    fn start(upstream: std::net::SocketAddr, seed: u64) -> FaultProxy {
        use rand::{Rng, SeedableRng};
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let faults = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (stop2, faults2) = (stop.clone(), faults.clone());
        let thread = std::thread::spawn(move || {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok((mut conn, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    continue;
                };
                conn.set_nonblocking(false).unwrap();
                let Some(req) = read_request(&mut conn) else {
                    continue;
                };
                let fault = rng.gen_range(0..6);
                if fault < 4 {
                    faults2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                match fault {
                    0 => {} // dropped before the server saw it
                    1 => {
                        let _ = forward(upstream, &req); // the server did it; the answer is lost
                    }
                    2 => {
                        if let Some(resp) = forward(upstream, &req) {
                            let _ = conn.write_all(&resp[..resp.len() / 2]); // cut halfway
                        }
                    }
                    3 => {
                        let _ = forward(upstream, &req); // sent twice
                        if let Some(resp) = forward(upstream, &req) {
                            let _ = conn.write_all(&resp);
                        }
                    }
                    _ => {
                        std::thread::sleep(std::time::Duration::from_millis(rng.gen_range(0..60)));
                        if let Some(resp) = forward(upstream, &req) {
                            let _ = conn.write_all(&resp);
                        }
                    }
                }
            }
        });
        FaultProxy {
            addr,
            stop,
            faults,
            thread: Some(thread),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Receipts, serials and transfers on a device: `n` batches, each with its ids recorded.
fn busy_device(d: &mut Device, n: usize, tag: &str) {
    for i in 0..n {
        let lot = format!("{tag}-L{}", i % 7);
        recv(&mut d.ledger, "FLOUR", Some(&lot), &[], 5, "A1");
        if i % 3 == 0 {
            let s = format!("{tag}-S{i}");
            recv(&mut d.ledger, "PHONE", None, &[&s], 1, "A1");
        }
        if i % 2 == 0 {
            d.ledger
                .transfer(&TransferCmd {
                    item: "FLOUR".into(),
                    qty: 2,
                    from: "A1".into(),
                    to: "A2".into(),
                    lot: Some(lot),
                    ..Default::default()
                })
                .unwrap();
        }
    }
}

/// Every movement a device made is on the server exactly once, or is a conflict on the device;
/// nothing is pending; the device's shelves are the server's.
fn audit(site: &Site, devices: &[&Device]) {
    let server = site.ledger();
    for d in devices {
        let rows: Vec<(String, String)> = d
            .ledger
            .read(|c| {
                Ok(c.prepare("SELECT movement_id, state FROM outbox")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<Result<_, _>>()?)
            })
            .unwrap();
        for (id, state) in rows {
            // Ids are the journal's key: once at most.
            let n = i64::from(server.query().movement(&id).unwrap().is_some());
            match state.as_str() {
                "accepted" => assert_eq!(n, 1, "accepted movement {id} must be on the server once"),
                "conflict" | "dismissed" => {
                    assert_eq!(n, 0, "rejected movement {id} must not be on the server")
                }
                other => panic!("movement {id} still {other} after the final sync"),
            }
        }
        assert_eq!(
            shelves(&d.ledger),
            shelves(&server),
            "device shelves differ from the server's"
        );
    }
    let negative = shelves(&server).iter().filter(|s| s.4 < 0).count();
    assert_eq!(negative, 0);
    assert_eq!(server.query().balances_off_the_journal().unwrap(), 0);
}

fn faults_between_device_and_server_lose_nothing_and_apply_nothing_twice(site: Site) {
    let mut a = site.device("dev-a");
    let proxy = FaultProxy::start(site.server.as_ref().unwrap().addr, 7);
    busy_device(&mut a, 60, "a");
    let made = a.ledger.outbox_counts().unwrap().0;
    let flaky = Client::new(&format!("http://{}", proxy.addr), &a.token).unwrap();
    let mut ok = false;
    for _ in 0..200 {
        match sync_once(&mut a.ledger, &flaky) {
            Ok(_) => {
                ok = true;
                break;
            }
            Err(e) => assert!(
                e.is_transient() || matches!(e, lotkeeper::sync::client::SyncError::Http { .. }),
                "{e}"
            ),
        }
    }
    assert!(ok, "no sync got through 200 tries");
    assert!(
        proxy.faults.load(std::sync::atomic::Ordering::Relaxed) > 0,
        "the proxy injected no fault"
    );
    a.sync().unwrap();
    let server_count = site.ledger().query().movement_count().unwrap();
    assert_eq!(server_count, made, "every movement once on the server");
    audit(&site, &[&a]);
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn spawn_serve(db: &Path, port: u16) -> std::process::Child {
    spawn_serve_on(&["--db", db.to_str().unwrap()], port)
}

/// `lotkeeper serve` on the database `store` names (`--db FILE` or `--database URL`).
pub fn spawn_serve_on(store: &[&str], port: u16) -> std::process::Child {
    let mut child = std::process::Command::new(bin())
        .args(store)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Up when it accepts connections.
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

fn server_killed_and_restarted_during_a_push(mut site: Site) {
    // The in-process server is replaced by the real binary, which can be killed.
    site.server.take().unwrap().stop();
    let port = free_port();
    site.url = format!("http://127.0.0.1:{port}");
    let store = site.store_args();
    let store: Vec<&str> = store.iter().map(String::as_str).collect();
    let mut server = spawn_serve_on(&store, port);
    let mut a = site.device("dev-a");
    busy_device(&mut a, 4500, "k");
    let made = a.ledger.outbox_counts().unwrap().0;
    assert!(
        made > lotkeeper::sync::client::PUSH_CHUNK,
        "more than one push request"
    );
    let open = site.opener();
    let again = site.store_args();
    // Kill the server the moment the first push request has committed: the next is in flight.
    let killer = std::thread::spawn(move || {
        let watch = open();
        let mut at_kill = 0;
        for _ in 0..20_000 {
            at_kill = watch.query().movement_count().unwrap();
            if at_kill > 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        server.kill().unwrap();
        server.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        let again: Vec<&str> = again.iter().map(String::as_str).collect();
        (spawn_serve_on(&again, port), at_kill)
    });
    let mut outcomes = Vec::new();
    for _ in 0..100 {
        match a.sync() {
            Ok(_) => break,
            Err(e) => {
                outcomes.push(e.to_string());
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
    let (mut server, at_kill) = killer.join().unwrap();
    assert!(
        at_kill > 0 && at_kill < made,
        "killed in the middle of the push ({at_kill} of {made} on the server)"
    );
    assert!(!outcomes.is_empty(), "the device saw the server go away");
    let final_sync = a.sync();
    assert!(final_sync.is_ok(), "{final_sync:?} after {outcomes:?}");
    site.check_integrity();
    assert_eq!(site.ledger().query().movement_count().unwrap(), made);
    audit(&site, &[&a]);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn seeded_simulation_of_devices_partitions_and_restarts() {
    use rand::{Rng, SeedableRng};
    let seed: u64 = std::env::var("LOTKEEPER_SIM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261121);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let site = Site::new();
    let mut devices: Vec<Device> = (0..3).map(|i| site.device(&format!("sim-{i}"))).collect();
    let mut online = vec![true; devices.len()];
    let serials: Vec<String> = (0..12).map(|i| format!("SIM-S{i}")).collect();
    for step in 0..240 {
        let i = rng.gen_range(0..devices.len());
        let d = &mut devices[i];
        match rng.gen_range(0..10) {
            0..=2 => {
                let lot = format!("SL{}", rng.gen_range(0..4));
                recv(
                    &mut d.ledger,
                    "FLOUR",
                    Some(&lot),
                    &[],
                    rng.gen_range(1..20),
                    ["A1", "A2"][rng.gen_range(0..2)],
                );
            }
            3 => {
                // The same serials on every device: receipts and shipments race each other.
                let s = &serials[rng.gen_range(0..serials.len())];
                let _ = d.ledger.receive(&ReceiveCmd {
                    item: "PHONE".into(),
                    qty: 1,
                    to: "A1".into(),
                    serials: vec![s.clone()],
                    ..Default::default()
                });
            }
            4 => {
                let s = &serials[rng.gen_range(0..serials.len())];
                let _ = d.ledger.ship(&ShipCmd {
                    item: "PHONE".into(),
                    qty: 1,
                    from: "A1".into(),
                    serials: vec![s.clone()],
                    customer: Some(format!("C{i}")),
                    ..Default::default()
                });
            }
            5 | 6 => {
                // Take what this device believes is there: races with other devices' shipments.
                let stock = d.ledger.query().stock(Some("FLOUR"), None).unwrap();
                if let Some(s) = stock.get(rng.gen_range(0..stock.len().max(1))) {
                    let qty = rng.gen_range(1..=s.qty.max(1));
                    let _ = d.ledger.ship(&ShipCmd {
                        item: "FLOUR".into(),
                        qty,
                        from: s.location.clone(),
                        lot: s.lot.clone(),
                        customer: Some("Shop".into()),
                        ..Default::default()
                    });
                }
            }
            7 => {
                online[i] = !online[i];
            }
            8 => d.restart(),
            _ => {
                if online[i] {
                    d.sync()
                        .unwrap_or_else(|e| panic!("step {step}, seed {seed}: {e}"));
                }
            }
        }
    }
    // The network returns everywhere: two rounds so every device sees everyone's work.
    for _ in 0..2 {
        for d in devices.iter_mut() {
            d.sync()
                .unwrap_or_else(|e| panic!("final sync, seed {seed}: {e}"));
        }
    }
    let refs: Vec<&Device> = devices.iter().collect();
    audit(&site, &refs);
    let conflicts: usize = devices
        .iter()
        .map(|d| d.ledger.conflicts(false).unwrap().len())
        .sum();
    eprintln!(
        "simulation seed {seed}: {conflicts} conflict(s), {} movements on the server",
        site.ledger().query().movement_count().unwrap()
    );
}

#[test]
fn the_agent_syncs_after_a_post_backs_off_while_offline_and_recovers() {
    use lotkeeper::sync::agent::{AgentConfig, SyncAgent};
    let mut site = Site::new();
    site.server.take().unwrap().stop();
    let port = free_port();
    site.url = format!("http://127.0.0.1:{port}");
    let mut server = spawn_serve(&site.db(), port);
    let mut a = site.device("dev-a");
    let config = AgentConfig {
        interval: std::time::Duration::from_secs(3600),
        min_backoff: std::time::Duration::from_millis(50),
        max_backoff: std::time::Duration::from_millis(300),
        seed: 3,
    };
    let agent = SyncAgent::start(a.path.clone(), config, |_| {});
    let wait_for = |what: &str, f: &dyn Fn(&lotkeeper::sync::agent::AgentStatus) -> bool| {
        for _ in 0..500 {
            if f(&agent.status()) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("{what}: {:?}", agent.status());
    };
    wait_for("first sync", &|s| s.online && s.last_success.is_some());
    recv(&mut a.ledger, "BOLT", None, &[], 5, "A1");
    agent.poke();
    wait_for("the post synced", &|s| {
        s.syncs >= 2 && s.pending == 0 && !s.syncing
    });
    assert_eq!(site.ledger().query().movement_count().unwrap(), 1);
    // The network goes away: the agent keeps trying, backing off.
    server.kill().unwrap();
    server.wait().unwrap();
    recv(&mut a.ledger, "BOLT", None, &[], 7, "A1");
    agent.poke();
    wait_for("offline noticed", &|s| !s.online && s.failures >= 2);
    // It comes back: the agent's next attempt gets through without a poke.
    let mut server = spawn_serve(&site.db(), port);
    wait_for("recovered", &|s| {
        s.syncs >= 3 && s.pending == 0 && s.failures == 0
    });
    assert_eq!(site.ledger().query().movement_count().unwrap(), 2);
    drop(agent);
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn the_server_speaks_tls() {
    let site = Site::new();
    let dir = site.dir.path();
    let made = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .args([
            "-addext",
            "subjectAltName=DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(std::process::Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: openssl is not available to make a test certificate");
        return;
    }
    let tls = lotkeeper::sync::server::Tls {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let server = RunningServer::start(&site.db(), "127.0.0.1:0", Some(tls)).unwrap();
    let cert =
        reqwest::Certificate::from_pem(&std::fs::read(dir.join("cert.pem")).unwrap()).unwrap();
    let client = reqwest::blocking::Client::builder()
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let r = client
        .get(format!(
            "https://localhost:{}/v1/health",
            server.addr.port()
        ))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // Plain HTTP to a TLS port gets nowhere.
    let plain =
        reqwest::blocking::get(format!("http://127.0.0.1:{}/v1/health", server.addr.port()));
    assert!(!plain.is_ok_and(|r| r.status().is_success()));
    server.stop();
}

#[test]
fn cli_enrolls_under_the_token_s_name_and_syncs() {
    let site = Site::new();
    let token = new_token();
    site.ledger()
        .add_device("dock-scanner-2", &hash_token(&token))
        .unwrap();
    let d = Dir::new();
    // The first sync with a token enrolls under the name the server knows it by.
    let out = d.ok(&[
        "sync", "--server", &site.url, "--token", &token, "--format", "json",
    ]);
    assert!(json(&out)["master_updated"].as_bool().unwrap());
    d.ok(&["receive", "--item", "BOLT", "--qty", "3", "--to", "A1"]);
    let status = json(&d.ok(&["status", "--format", "json"]));
    assert_eq!(
        (
            status["device"].as_str(),
            status["pending"].as_i64(),
            status["online"].as_bool()
        ),
        (Some("dock-scanner-2"), Some(1), Some(true))
    );
    let report = json(&d.ok(&["sync", "--format", "json"]));
    assert_eq!(report["accepted"], 1);
    let moves = site.ledger().query().journal(0, 10).unwrap();
    assert_eq!(moves[0].device, "dock-scanner-2");
    // A name that does not match the token, or a bad token, is refused at enrollment.
    let e = Dir::new();
    let out = e.run(&[
        "enroll",
        "--server",
        &site.url,
        "--token",
        &token,
        "--device",
        "someone-else",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("belongs to device dock-scanner-2"));
    let out = e.run(&["enroll", "--server", &site.url, "--token", "lk_wrong"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused this token"));
    assert_eq!(
        json(&e.ok(&["conflicts", "--format", "json"])),
        serde_json::json!([])
    );
}
