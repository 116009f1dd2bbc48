//! The console in a real browser: headless Chromium, driven through chromedriver's WebDriver
//! protocol (fantoccini), against the real `lotkeeper serve` on loopback over plain HTTP, on the
//! demo warehouse with an admin made by `lotkeeper user add`. Each test signs in as a person
//! would and asserts on what the page shows: the dashboard; a lot found from scanned GS1 data
//! and its customers in the trace picture; a recall started in the console that a synced
//! handheld then refuses to pick; a device added, its enrollment QR read from a screenshot by our
//! own decoder and redeemed as a handheld does; the FSMA 204 spreadsheet downloaded by the
//! browser; and every link of every page opens a page. `console_pages_in_screenshots` takes the
//! README's pictures (see README, "The web console").
//!
//! One chromedriver serves the tests that run at once; each test has its own browser session
//! and its own server. Skipped, with the reason printed, where Chromium or chromedriver is
//! missing, except under CI (`CI` set), where that fails (`.ci/run` installs both).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use lotkeeper::ledger::{Ledger, LotStatus, ShipCmd};
use lotkeeper::scan::{image_input, Decoder, Effort, Format, RxingDecoder};
use lotkeeper::sync::client::{sync_once, Client as SyncClient};
use lotkeeper::sync::{hash_token, new_token};
use lotkeeper::workflow::pick::Pick;
use lotkeeper::workflow::{Feedback, Workflow};

use crate::harness::{drive, message, on_path, run_with_stdin, Dir, Running};
use crate::sync::{free_port, spawn_serve};

const PASSWORD: &str = "correct horse battery";
/// The browser's window, and a tablet held upright.
const DESKTOP: (u32, u32) = (1280, 900);
const TABLET: (u32, u32) = (800, 1280);
/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// The chromedriver the running tests share; it stops when the last of them lets go.
struct Chromedriver {
    _process: Running,
    url: String,
}

static DRIVER: Mutex<Weak<Chromedriver>> = Mutex::new(Weak::new());

fn chromedriver() -> Arc<Chromedriver> {
    let mut shared = DRIVER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = shared.upgrade() {
        return d;
    }
    let port = free_port();
    let mut process = Running(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let until = Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = process.0.try_wait() {
            panic!("chromedriver ended at start: {status}");
        }
        assert!(Instant::now() < until, "chromedriver did not listen");
        std::thread::sleep(Duration::from_millis(20));
    }
    let d = Arc::new(Chromedriver {
        _process: process,
        url: format!("http://127.0.0.1:{port}"),
    });
    *shared = Arc::downgrade(&d);
    d
}

/// Whether the browser tests can run here: false (and the reason printed) when Chromium or
/// chromedriver is missing outside CI; under CI that fails the test.
fn available() -> bool {
    let browser = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .any(|b| on_path(b));
    if browser && on_path("chromedriver") {
        return true;
    }
    let why =
        "Chromium and chromedriver are needed (Debian: apt-get install chromium chromium-driver)";
    if std::env::var_os("CI").is_some() {
        panic!("{why}: CI must run the browser tests (see .ci/run)");
    }
    eprintln!("skipped: {why}");
    false
}

/// `lotkeeper serve` on loopback over the demo warehouse, with the admin `ana`.
struct Server {
    dir: Dir,
    url: String,
    _process: Running,
}

impl Server {
    fn start() -> Server {
        let dir = Dir::new();
        dir.ok(&["demo"]);
        let out = run_with_stdin(
            &dir.db(),
            &["user", "add", "ana", "--role", "admin", "--password-stdin"],
            &format!("{PASSWORD}\n"),
        );
        assert!(
            out.status.success(),
            "user add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let process = Running(spawn_serve(&dir.db(), port));
        Server {
            url: format!("http://127.0.0.1:{port}"),
            dir,
            _process: process,
        }
    }

    /// The server's ledger, read beside the running server.
    fn ledger(&self) -> Ledger {
        Ledger::open(&self.dir.db()).unwrap()
    }
}

/// One browser session on a server: each call waits for what it asks of the page.
struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    base: String,
    downloads: tempfile::TempDir,
    _driver: Arc<Chromedriver>,
}

impl Browser {
    fn open(server: &Server) -> Browser {
        let driver = chromedriver();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let downloads = tempfile::tempdir().unwrap();
        let (w, h) = DESKTOP;
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    format!("--window-size={w},{h}"), "--force-device-scale-factor=1",
                    "--hide-scrollbars", "--lang=en-US",
                ],
                "prefs": {
                    "download.default_directory": downloads.path().to_str().unwrap(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = rt
            .block_on(
                ClientBuilder::new(connector)
                    .capabilities(caps)
                    .connect(&driver.url),
            )
            .expect("a Chromium session");
        let b = Browser {
            rt,
            client: Some(client),
            base: server.url.clone(),
            downloads,
            _driver: driver,
        };
        b.resize(DESKTOP);
        b
    }

    fn c(&self) -> &Client {
        self.client.as_ref().unwrap()
    }

    fn goto(&self, path: &str) {
        self.rt
            .block_on(self.c().goto(&format!("{}{path}", self.base)))
            .unwrap();
    }

    /// The path (and query) the browser is on.
    fn path(&self) -> String {
        let u = self.rt.block_on(self.c().current_url()).unwrap();
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        }
    }

    /// The first element `css` finds, once there is one.
    fn find(&self, css: &str) -> fantoccini::elements::Element {
        let found = self.rt.block_on(
            self.c()
                .wait()
                .at_most(PATIENCE)
                .for_element(Locator::Css(css)),
        );
        match found {
            Ok(e) => e,
            Err(e) => panic!("no '{css}' on {}: {e}", self.path()),
        }
    }

    fn all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.rt
            .block_on(self.c().find_all(Locator::Css(css)))
            .unwrap()
    }

    /// The text an element shows.
    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.rt.block_on(e.text()).unwrap()
    }

    /// The texts of every element `css` finds.
    fn texts(&self, css: &str) -> Vec<String> {
        self.all(css)
            .iter()
            .map(|e| self.rt.block_on(e.text()).unwrap())
            .collect()
    }

    fn attr(&self, e: &fantoccini::elements::Element, name: &str) -> Option<String> {
        self.rt.block_on(e.attr(name)).unwrap()
    }

    fn type_in(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.rt.block_on(e.clear()).unwrap();
        self.rt.block_on(e.send_keys(text)).unwrap();
    }

    /// Clicks what `css` finds, and waits for the page it leads to.
    fn click(&self, css: &str) {
        let e = self.find(css);
        self.leads_to_a_page(|| self.rt.block_on(e.click()).unwrap());
    }

    /// Clicks what `css` finds where that opens no page (a download).
    fn click_here(&self, css: &str) {
        let e = self.find(css);
        self.rt.block_on(e.click()).unwrap();
    }

    /// Clicks the button whose text is `label` (exactly), in the page's `main`, and waits for
    /// the page it leads to.
    fn press(&self, label: &str) {
        let xpath = format!("//main//button[normalize-space(.)='{label}']");
        let e = self
            .rt
            .block_on(self.c().find(Locator::XPath(&xpath)))
            .unwrap_or_else(|_| panic!("no button '{label}' on {}", self.path()));
        self.leads_to_a_page(|| self.rt.block_on(e.click()).unwrap());
    }

    /// Does `act` and waits until the browser shows a new page, loaded: a click can return
    /// before the navigation it starts has replaced the page.
    fn leads_to_a_page(&self, act: impl FnOnce()) {
        let old = self.find("html");
        act();
        let until = Instant::now() + PATIENCE;
        loop {
            // The old page's element goes stale when the new page replaces it.
            if self.rt.block_on(old.tag_name()).is_err() {
                let state = self
                    .rt
                    .block_on(self.c().execute("return document.readyState", vec![]))
                    .unwrap();
                if state == "complete" {
                    return;
                }
            }
            assert!(
                Instant::now() < until,
                "no new page after the click on {}",
                self.path()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn sign_in(&self, name: &str, password: &str) {
        self.goto("/console/sign-in");
        self.type_in("input[name=name]", name);
        self.type_in("input[name=password]", password);
        self.press("Sign in");
    }

    /// The page as PNG, also kept as `dir/name.png`.
    fn screenshot(&self, dir: &Path, name: &str) -> PathBuf {
        let png = self.rt.block_on(self.c().screenshot()).unwrap();
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Sizes the window so the page is shown at `w` x `h`: headless Chromium's window still
    /// counts the toolbars it does not draw, so `--window-size` alone leaves the page shorter.
    fn resize(&self, (w, h): (u32, u32)) {
        let frame = self
            .rt
            .block_on(self.c().execute(
                "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]",
                vec![],
            ))
            .unwrap();
        let extra = |i: usize| frame[i].as_u64().unwrap() as u32;
        self.rt
            .block_on(self.c().set_window_size(w + extra(0), h + extra(1)))
            .unwrap();
    }

    /// The file the browser downloaded whose name `wanted` accepts, once complete (Chromium
    /// writes a `.crdownload` file and renames it when done).
    fn downloaded(&self, wanted: impl Fn(&str) -> bool) -> PathBuf {
        let until = Instant::now() + PATIENCE;
        loop {
            let done = std::fs::read_dir(self.downloads.path())
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| wanted(&p.file_name().unwrap().to_string_lossy()));
            if let Some(p) = done {
                return p;
            }
            assert!(Instant::now() < until, "the download did not come");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ends the session, so chromedriver closes its Chromium.
        if let Some(c) = self.client.take() {
            let _ = self.rt.block_on(c.close());
        }
    }
}

/// Where a test keeps its screenshots: `target/browser/`.
fn shots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser")
}

/// Where the pages' screenshots go: `target/browser/pages/`, or the folder
/// `LOTKEEPER_CONSOLE_SHOTS` names (`docs/console` makes the README's pictures, see README).
fn pages_shots() -> PathBuf {
    std::env::var_os("LOTKEEPER_CONSOLE_SHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| shots().join("pages"))
}

/// A browser signed in as `ana` on a fresh server; None where the test is skipped.
fn signed_in() -> Option<(Server, Browser)> {
    if !available() {
        return None;
    }
    let server = Server::start();
    let b = Browser::open(&server);
    b.sign_in("ana", PASSWORD);
    assert_eq!(b.path(), "/console", "signed in, on the dashboard");
    Some((server, b))
}

#[test]
fn sign_in_and_see_the_dashboard() {
    if !available() {
        return;
    }
    let server = Server::start();
    let b = Browser::open(&server);
    // No session: the console sends the browser to sign in.
    b.goto("/console/devices");
    assert_eq!(b.path(), "/console/sign-in");
    b.sign_in("ana", "not the password");
    assert!(
        b.text("p.error")
            .to_lowercase()
            .contains("wrong name or password"),
        "{}",
        b.text("main")
    );
    b.sign_in("ana", PASSWORD);
    assert_eq!(b.path(), "/console", "{}", b.text("main"));
    assert_eq!(b.text("h1"), "Dashboard");
    assert_eq!(b.text("form.signout span"), "ana (admin)");
    // The session cookie: HttpOnly and SameSite=Strict; not Secure over plain HTTP on loopback, or the
    // browser would not send it back.
    let cookie =
        b.rt.block_on(b.c().get_named_cookie(lotkeeper::console::SESSION_COOKIE))
            .unwrap();
    assert_eq!(cookie.http_only(), Some(true));
    assert_eq!(format!("{:?}", cookie.same_site()), "Some(Strict)");
    assert_ne!(cookie.secure(), Some(true));
    // What the demo warehouse has: the expired saline in quarantine, both charts, every bin.
    let held = b.text("main");
    assert!(
        held.contains("SL0917") && held.contains("expired on the shelf"),
        "{held}"
    );
    assert_eq!(
        b.all("svg.chart").len(),
        2,
        "the expiry and movement charts"
    );
    let bars = b.all("svg.chart rect.bar.warn");
    assert_eq!(bars.len(), 1, "the expired bucket is drawn as a warning");
    assert!(
        held.contains("A-01-02") && held.contains("B-01-01"),
        "{held}"
    );
    // Signing out ends the session: the dashboard asks for a sign-in again.
    b.click("form.signout button");
    b.goto("/console");
    assert_eq!(b.path(), "/console/sign-in");
}

#[test]
fn find_a_lot_and_see_its_customers_in_the_trace() {
    let Some((_server, b)) = signed_in() else {
        return;
    };
    // The dashboard's search takes what a scanner reads off a case label.
    b.type_in("form.find input[name=find]", "(01)09506000134352(10)AM2401");
    b.press("Find lot");
    assert_eq!(b.text("h1"), "Recall: AMOX-500 lot AM2401");
    // The trace picture: the lot in the middle, the customer in the last column.
    let customer = b
        .all("svg.trace g text")
        .into_iter()
        .find(|t| b.rt.block_on(t.text()).unwrap() == "Corner Pharmacy")
        .expect("Corner Pharmacy in the trace");
    assert_eq!(
        b.attr(&customer, "x").as_deref(),
        Some("823"),
        "in the Customers column"
    );
    // The lot's own node links to its page.
    b.click("svg.trace a:has(rect.node.me) text");
    assert_eq!(b.path(), "/console/lot?item=AMOX-500&lot=AM2401");
    assert_eq!(b.text("h1"), "AMOX-500 lot AM2401");
    let customers = b.texts("svg.trace text");
    assert!(
        customers.contains(&"Corner Pharmacy".to_string()),
        "{customers:?}"
    );
    assert!(b.text("main").contains("Customers: Corner Pharmacy"));
    // A lot that went into a kit: its node in "Went into" opens the kit's page.
    b.goto("/console/lot?item=SALINE-1L&lot=SL1002");
    b.click("svg.trace a[href*='KIT-0001'] text");
    assert_eq!(b.text("h1"), "FIRSTAID-KIT lot KIT-0001");
    assert!(b
        .texts("svg.trace text")
        .contains(&"SALINE-1L SL1002".to_string()));
}

#[test]
fn a_recall_started_in_the_console_stops_a_synced_handheld_picking_the_lot() {
    let Some((server, b)) = signed_in() else {
        return;
    };
    // A handheld enrolled before the recall, with the lot on its shelves.
    let (_dev_dir, mut dev) = handheld(&server, "handheld-01");
    assert_eq!(status(&dev), LotStatus::Available);
    assert_eq!(
        suggested(&dev),
        "A-01-01 lot AM2401",
        "first expiring, first out"
    );

    b.click("nav a[href='/console/recall']");
    b.type_in("form.find input[name=find]", "AMOX-500 AM2401");
    b.press("Find lot");
    b.type_in(
        "form[action='/console/recall/start'] input[name=reason]",
        "supplier recall R-2026-114",
    );
    b.press("Start recall");
    assert_eq!(b.path(), "/console/recall?item=AMOX-500&lot=AM2401");
    assert_eq!(b.text("main p span.recalled"), "recalled");
    let history = b.text("main");
    assert!(
        history.contains("console:ana") && history.contains("supplier recall R-2026-114"),
        "the status change names who and why: {history}"
    );
    assert!(history.contains("handheld-01 not yet"), "{history}");

    // The handheld syncs: it learns of the recall and will not pick the lot.
    let r = sync(&mut dev);
    assert_eq!(r.lot_events, 1);
    assert_eq!(status(&dev), LotStatus::Recalled);
    // The pick list now sends the picker to the next lot; a box of the recalled lot scanned
    // there anyway is refused, and so is shipping it.
    assert_eq!(suggested(&dev), "A-01-02 lot AM2407");
    let mut pick = Pick::open(&dev, "PL-2001").unwrap();
    let o = drive(
        &mut dev,
        &mut pick,
        &["scan A-01-02", "scan (01)09506000134352(10)AM2401"],
    );
    assert_eq!(o[0].feedback, Feedback::Accepted, "{}", message(&o[0]));
    assert_eq!(o[1].feedback, Feedback::Refused, "{}", message(&o[1]));
    assert_eq!(
        message(&o[1]),
        "AMOX-500 lot AM2401 is on hold (recalled); it cannot be picked"
    );
    let moved = dev.query().movement_count().unwrap();
    let e = dev
        .ship(&ShipCmd {
            item: "AMOX-500".into(),
            qty: 1,
            from: "A-01-01".into(),
            lot: Some("AM2401".into()),
            customer: Some("Corner Pharmacy".into()),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
    assert!(e.contains("on hold (recalled)"), "{e}");
    assert_eq!(dev.query().movement_count().unwrap(), moved);

    // The recall console shows the handheld has it.
    b.goto("/console/recall?item=AMOX-500&lot=AM2401");
    assert!(
        b.text("main").contains("handheld-01 yes"),
        "{}",
        b.text("main")
    );
}

/// A handheld's database enrolled with the server under `name` (its token made on the server,
/// as `lotkeeper device add` does) and synced once; in a directory of its own.
fn handheld(server: &Server, name: &str) -> (tempfile::TempDir, Ledger) {
    let token = new_token();
    server
        .ledger()
        .add_device(name, &hash_token(&token))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut dev = Ledger::open(&dir.path().join("device.db")).unwrap();
    dev.enroll(&server.url, &token, name).unwrap();
    sync(&mut dev);
    (dir, dev)
}

fn sync(dev: &mut Ledger) -> lotkeeper::sync::client::SyncReport {
    let c = SyncClient::for_ledger(dev).unwrap();
    sync_once(dev, &c).unwrap()
}

/// AMOX-500 lot AM2401's status on a handheld.
fn status(dev: &Ledger) -> LotStatus {
    dev.query()
        .lot("AMOX-500", "AM2401")
        .unwrap()
        .unwrap()
        .status
}

/// Where PL-2001's first line (AMOX-500) sends the picker, and which lot: "LOCATION lot LOT".
fn suggested(dev: &Ledger) -> String {
    let view = Pick::open(dev, "PL-2001").unwrap().view();
    let s = view
        .fields
        .iter()
        .find(|f| f.0 == "Suggested")
        .map(|f| f.1.clone())
        .expect("the pick suggests a lot");
    s.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

#[test]
fn add_a_device_and_enroll_it_from_the_qr_in_a_screenshot() {
    let Some((server, b)) = signed_in() else {
        return;
    };
    b.click("nav a[href='/console/devices']");
    assert_eq!(
        b.rt.block_on(b.find("input[name=server]").prop("value"))
            .unwrap()
            .as_deref(),
        Some(server.url.as_str()),
        "the address handhelds reach, as the browser did"
    );
    b.type_in(
        "form[action='/console/devices/add'] input[name=name]",
        "handheld-09",
    );
    b.press("Add and show its QR code");
    assert_eq!(b.text("section.enroll h2"), "Enroll handheld-09");
    let shown_code = b.text("section.enroll strong");
    let shot = b.screenshot(&shots(), "devices-qr");

    // Our decoder, as `lotkeeper decode` reads a still.
    let img = image_input::load(&shot).unwrap();
    let symbols = RxingDecoder::new(Effort::Thorough).decode(&img.frame(), &[Format::QrCode]);
    assert_eq!(symbols.len(), 1, "one QR code in {}", shot.display());
    let (qr_server, code) = lotkeeper::sync::enroll::parse_qr(&symbols[0].text)
        .unwrap_or_else(|| panic!("not an enrollment QR: {}", symbols[0].text));
    assert_eq!(qr_server, server.url);
    assert_eq!(code, shown_code, "the QR holds the code the page shows");
    assert!(!symbols[0].text.contains("lk_"), "never a token");

    // Redeemed as a handheld does: a token that syncs, and the code works once.
    let got = lotkeeper::sync::enroll::redeem(&qr_server, &code).unwrap();
    assert_eq!(got.device, "handheld-09");
    let again = lotkeeper::sync::enroll::redeem(&qr_server, &code)
        .unwrap_err()
        .to_string();
    assert!(!again.is_empty());
    let dev_dir = tempfile::tempdir().unwrap();
    let mut dev = Ledger::open(&dev_dir.path().join("device.db")).unwrap();
    dev.enroll(&qr_server, &got.token, &got.device).unwrap();
    let r = sync(&mut dev);
    assert!(r.pulled > 0, "{r:?}");
    assert_eq!(
        dev.query().stock(None, None).unwrap().len(),
        server.ledger().query().stock(None, None).unwrap().len(),
        "the handheld has the server's stock"
    );
    // The fleet lists it, active.
    b.goto("/console/devices");
    let rows = b.texts("main table tr");
    assert!(
        rows.iter()
            .any(|r| r.starts_with("handheld-09") && r.contains("active")),
        "{rows:?}"
    );
}

#[test]
fn download_the_fsma_204_spreadsheet() {
    let Some((_server, b)) = signed_in() else {
        return;
    };
    // From the recall console's link for one lot.
    b.goto("/console/recall?item=AMOX-500&lot=AM2401");
    b.click_here("ul.downloads a[href*='fsma204.xlsx']");
    let file = b.downloaded(|n| n == "fsma204-AMOX-500-AM2401.xlsx");
    let bytes = std::fs::read(&file).unwrap();
    assert!(bytes.starts_with(b"PK"), "an .xlsx is a zip");
    let sheets = crate::compliance::xlsx_sheets(&file);
    let names: Vec<&str> = sheets.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(
        names,
        ["Receiving", "Shipping", "Transformation", "Summary"]
    );
    let shipped: Vec<&String> = sheets[1].2.values().collect();
    assert!(
        shipped.iter().any(|v| *v == "Corner Pharmacy") && shipped.iter().any(|v| *v == "AM2401"),
        "{shipped:?}"
    );
    // And for a date range, from the reports page's form (the last 30 days, by default).
    b.click("nav a[href='/console/reports']");
    b.rt.block_on(
        b.find("form[action='/console/exports/fsma204.xlsx'] button")
            .click(),
    )
    .unwrap();
    let file = b
        .downloaded(|n| n.starts_with("fsma204-") && n.ends_with(".xlsx") && !n.contains("AM2401"));
    let sheets = crate::compliance::xlsx_sheets(&file);
    let received: Vec<&String> = sheets[0].2.values().collect();
    assert!(
        received.iter().any(|v| *v == "AM2411"),
        "the range's receipts: {received:?}"
    );
}

/// A person added with `lotkeeper user add` and its printed one-time password: the browser lands
/// on the page that replaces it, cannot leave it, and reaches the dashboard with their own.
#[test]
fn a_new_person_replaces_the_one_time_password_first() {
    if !available() {
        return;
    }
    let server = Server::start();
    let out = server.dir.ok(&["user", "add", "olga", "--role", "viewer"]);
    let one_time = out.trim().rsplit(' ').next().unwrap().to_string();
    let b = Browser::open(&server);
    b.sign_in("olga", &one_time);
    assert_eq!(b.path(), "/console/password", "{}", b.text("main"));
    assert!(b.text("p.notice").contains("one-time password"));
    b.goto("/console/reports");
    assert_eq!(b.path(), "/console/password", "no page but this one");
    b.screenshot(&pages_shots(), "password");
    let own = "olga chose this herself";
    b.type_in("input[name=current]", &one_time);
    b.type_in("input[name=new]", own);
    b.type_in("input[name=again]", "olga chose this herself!");
    b.press("Change password");
    assert!(b.text("p.error").contains("differ"), "{}", b.text("main"));
    b.type_in("input[name=current]", &one_time);
    b.type_in("input[name=new]", own);
    b.type_in("input[name=again]", own);
    b.press("Change password");
    assert_eq!(b.path(), "/console", "{}", b.text("main"));
    assert_eq!(b.text("h1"), "Dashboard");
    assert!(!server.ledger().users().unwrap()[1].must_change_password);
}

/// Every page of the console at a desktop's 1280x900, and the dashboard on a tablet held
/// upright, for the README (written where [`pages_shots`] says).
/// The import page's CSV comes through its file picker, the console's one piece of script.
#[test]
fn console_pages_in_screenshots() {
    let Some((server, b)) = signed_in() else {
        return;
    };
    let dir = pages_shots();
    // A handheld that has synced, so the fleet and the recall show one.
    let (dev_dir, _dev) = handheld(&server, "handheld-01");

    let mut taken = vec![b.screenshot(&dir, "dashboard")];
    b.goto("/console/lot?item=AMOX-500&lot=AM2401");
    taken.push(b.screenshot(&dir, "lot"));
    b.goto("/console/recall?item=AMOX-500&lot=AM2401");
    b.type_in(
        "form[action='/console/recall/start'] input[name=reason]",
        "supplier recall R-2026-114",
    );
    b.press("Start recall");
    assert_eq!(b.text("main p span.recalled"), "recalled");
    taken.push(b.screenshot(&dir, "recall"));

    b.goto("/console/devices");
    b.type_in(
        "form[action='/console/devices/add'] input[name=name]",
        "handheld-02",
    );
    b.press("Add and show its QR code");
    b.find("section.enroll svg.qr");
    taken.push(b.screenshot(&dir, "devices"));

    // A locations file with a bad kind on its third line, picked as a file.
    b.goto("/console/import?kind=locations");
    let csv = dev_dir.path().join("locations.csv");
    std::fs::write(
        &csv,
        "code,name,kind\nC-01,Cold room 1,bin\nC-02,Cold room 2,fridge\n",
    )
    .unwrap();
    let picker = b.find("input[type=file]");
    b.rt.block_on(picker.send_keys(csv.to_str().unwrap()))
        .unwrap();
    let until = Instant::now() + PATIENCE;
    while b
        .rt
        .block_on(b.find("textarea[name=csv]").prop("value"))
        .unwrap()
        .unwrap_or_default()
        .is_empty()
    {
        assert!(
            Instant::now() < until,
            "the picked file did not fill the box"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    b.press("Import");
    let error = b.text("p.error");
    assert!(error.starts_with("Line 3, column kind:"), "{error}");
    taken.push(b.screenshot(&dir, "import"));
    assert!(
        server.ledger().query().location("C-01").unwrap().is_none(),
        "nothing imported"
    );

    b.goto("/console/data?what=items");
    taken.push(b.screenshot(&dir, "data"));
    b.goto("/console/reports");
    taken.push(b.screenshot(&dir, "reports"));
    b.goto("/console/users");
    taken.push(b.screenshot(&dir, "users"));
    for shot in &taken {
        let img = image_input::load(shot).unwrap();
        assert_eq!(
            (img.width, img.height),
            DESKTOP,
            "{} is the window's size",
            shot.display()
        );
    }

    b.resize(TABLET);
    b.goto("/console");
    let tablet = b.screenshot(&dir, "dashboard-tablet");
    let img = image_input::load(&tablet).unwrap();
    assert_eq!(img.width, TABLET.0);
    // Nothing wider than the tablet's screen: the page does not scroll sideways.
    let wide =
        b.rt.block_on(
            b.c()
                .execute("return document.documentElement.scrollWidth", vec![]),
        )
        .unwrap();
    assert!(
        wide.as_u64().unwrap() <= u64::from(TABLET.0),
        "the dashboard is {wide} px wide on an {} px tablet",
        TABLET.0
    );
}

/// Every link of every page, followed as a person would: each opens a page of the console, none
/// says "Not done". (Downloads are the other tests'; they open no page.)
#[test]
fn every_link_on_every_page_opens() {
    let Some((_server, b)) = signed_in() else {
        return;
    };
    let mut to_visit = vec!["/console".to_string()];
    let mut seen = std::collections::BTreeSet::new();
    while let Some(path) = to_visit.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        b.goto(&path);
        let h1 = b.text("h1");
        assert_ne!(h1, "Not done", "{path}: {}", b.text("main"));
        assert!(b.path().starts_with("/console"), "{path} left the console");
        for a in b.all("a[href]") {
            let href = b.attr(&a, "href").unwrap();
            let download = [".xlsx", ".json", "/download"]
                .iter()
                .any(|d| href.contains(d));
            if href.starts_with("/console") && !download && !seen.contains(&href) {
                to_visit.push(href);
            }
        }
    }
    // The dashboard, recall, devices, data (each kind), reports, import, users, and the lots
    // the trace and the held lots link to.
    assert!(seen.len() >= 12, "{seen:?}");
}
