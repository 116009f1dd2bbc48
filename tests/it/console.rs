//! The web console through the server's own router (`app()` with `oneshot`): every route's
//! guard (no session, wrong role, missing CSRF token), sign-in throttling, sessions that end,
//! and a recall started in the console recorded with the person's name. The same flows run on
//! PostgreSQL where a server is named (see the harness's `PgSchema`).

use axum::body::Body;
use axum::http::{header, Method, Request, Response, StatusCode};
use axum::Router;
use lotkeeper::console::{self, Need};
use lotkeeper::ledger::import::ImportKind;
use lotkeeper::ledger::users::{Password, Role};
use lotkeeper::ledger::{FixedClock, Ledger, LotStatus, ShipCmd};
use lotkeeper::sync::server::{app, AppState};
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

use crate::harness::{day, receive_lot, ITEMS, LOCATIONS, TODAY};

const PASSWORD: &str = "correct horse battery";

/// A server's router over a ledger with a lot shipped to a customer and three users (ana admin,
/// sam supervisor, vic viewer), and a second ledger on the same database to look at it.
struct Console {
    app: Router,
    rt: tokio::runtime::Runtime,
    clock: Arc<FixedClock>,
    look: Ledger,
    _dir: tempfile::TempDir,
    #[cfg(feature = "postgres")]
    _pg: Option<crate::harness::PgSchema>,
}

fn fill(path: &std::path::Path, clock: Arc<FixedClock>) {
    let mut l = Ledger::open(path).unwrap().with_clock(clock);
    l.import_csv(ImportKind::Items, ITEMS).unwrap();
    l.import_csv(ImportKind::Locations, LOCATIONS).unwrap();
    receive_lot(&mut l, "PARA", "L1", Some("2026-07-01"), 100, "A1");
    receive_lot(&mut l, "PARA", "L2", Some("2027-01-01"), 10, "A2");
    l.ship(&ShipCmd {
        item: "PARA".into(),
        qty: 30,
        from: "A1".into(),
        lot: Some("L1".into()),
        serials: vec![],
        customer: Some("Corner Pharmacy".into()),
        reference: None,
        ref_type: None,
    })
    .unwrap();
    let hash = console::hash_password(PASSWORD).unwrap();
    l.add_user("ana", Role::Admin, &hash).unwrap();
    l.add_user("sam", Role::Supervisor, &hash).unwrap();
    l.add_user("vic", Role::Viewer, &hash).unwrap();
    l.add_device("dev-a", &lotkeeper::sync::hash_token("lk_test_token"))
        .unwrap();
}

impl Console {
    fn sqlite() -> Console {
        Console::sqlite_with(|s| s)
    }

    /// [`Console::sqlite`] with the server's state set up by `setup`.
    fn sqlite_with(setup: impl FnOnce(AppState) -> AppState) -> Console {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let clock = Arc::new(FixedClock::on(day(TODAY)));
        fill(&path, clock.clone());
        let ledger = Ledger::open(&path).unwrap().with_clock(clock.clone());
        Console {
            app: app(setup(AppState::new(ledger))),
            rt: runtime(),
            clock: clock.clone(),
            look: Ledger::open(&path).unwrap().with_clock(clock),
            _dir: dir,
            #[cfg(feature = "postgres")]
            _pg: None,
        }
    }

    /// The same, moved into PostgreSQL by migrate-server (users included); None when no server
    /// is named outside CI.
    #[cfg(feature = "postgres")]
    fn postgres(name: &str) -> Option<Console> {
        let pg = crate::harness::PgSchema::new(name)?;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.db");
        let clock = Arc::new(FixedClock::on(day(TODAY)));
        fill(&path, clock.clone());
        lotkeeper::ledger::pg::migrate::migrate_server(&path, &pg.url).unwrap();
        let ledger = Ledger::open_postgres(&pg.url)
            .unwrap()
            .with_clock(clock.clone());
        Some(Console {
            app: app(AppState::new(ledger)),
            rt: runtime(),
            look: Ledger::open_postgres(&pg.url)
                .unwrap()
                .with_clock(clock.clone()),
            clock,
            _dir: dir,
            _pg: Some(pg),
        })
    }

    fn send(&self, req: Request<Body>) -> Response<Body> {
        self.rt.block_on(self.app.clone().oneshot(req)).unwrap()
    }

    /// Signs in; the session cookie and the session's CSRF token.
    fn sign_in(&self, name: &str) -> (String, String) {
        let r = self.send(sign_in_request(name, PASSWORD, None));
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{name} signs in");
        let cookie = set_cookie(&r);
        let page = body(self.send(get("/console", Some(&cookie))));
        let csrf = page
            .split("name=\"csrf\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the dashboard carries the session's CSRF token")
            .to_string();
        (cookie, csrf)
    }

    fn status(&self, lot: &str) -> LotStatus {
        self.look.query().lot("PARA", lot).unwrap().unwrap().status
    }
}

/// The sign-in form's own token, as the sign-in page sets it in a cookie and its form.
const FORM_TOKEN: &str = "form-token-1";

fn sign_in_request(name: &str, password: &str, from: Option<&str>) -> Request<Body> {
    let mut r = Request::post(console::SIGN_IN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::COOKIE,
            format!("{}={FORM_TOKEN}", console::SIGN_IN_COOKIE),
        )
        .body(Body::from(format!(
            "name={}&password={}&{}={FORM_TOKEN}",
            name,
            password.replace(' ', "+"),
            console::SIGN_IN_FIELD
        )))
        .unwrap();
    if let Some(ip) = from {
        let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
        r.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    }
    r
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post(path: &str, cookie: Option<&str>, form: &str) -> Request<Body> {
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(form.to_string())).unwrap()
}

/// The `name=value` of the session cookie a response sets.
fn set_cookie(r: &Response<Body>) -> String {
    let c = r
        .headers()
        .get(header::SET_COOKIE)
        .expect("a session cookie")
        .to_str()
        .unwrap();
    c.split(';').next().unwrap().to_string()
}

/// The runtime requests run on; the test itself and the ledgers it looks through stay outside
/// it (PostgreSQL's client blocks on a runtime of its own).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn body(r: Response<Body>) -> String {
    let bytes = runtime()
        .block_on(axum::body::to_bytes(r.into_body(), 10 << 20))
        .unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A request to `path` with `method`, its form filled in for whatever the route changes.
fn request_for(
    path: &str,
    method: &Method,
    cookie: Option<&str>,
    csrf: Option<&str>,
) -> Request<Body> {
    let fields = match path {
        "/console/users/add" => "name=newbie&role=viewer",
        "/console/users/remove" => "name=vic",
        "/console/devices/add" => "name=dev-new&server=https%3A%2F%2Flk.example%3A8443",
        "/console/devices/enroll-code" => "name=dev-a&server=https%3A%2F%2Flk.example%3A8443",
        "/console/devices/revoke" => "name=dev-a",
        "/console/import" => "kind=items&csv=sku%2Cname%2Cgtin%2Ctracking%2Cexpiry_tracked%2Cshelf_life_days%2Cunit%0ANEW%2CNew%2C%2Cnone%2Cfalse%2C%2CEA%0A",
        _ => "item=PARA&lot=L1&reason=supplier+recall",
    };
    let form = match csrf {
        Some(t) => format!("{fields}&csrf={t}"),
        None => fields.to_string(),
    };
    if *method == Method::POST {
        post(path, cookie, &form)
    } else {
        get(&format!("{path}?item=PARA&lot=L1"), cookie)
    }
}

/// What the console may change: the lots' status and the users.
fn state(c: &Console) -> (LotStatus, Vec<String>) {
    (
        c.status("L1"),
        c.look
            .users()
            .unwrap()
            .into_iter()
            .map(|u| u.name)
            .collect(),
    )
}

fn routes() -> Vec<(&'static str, Method, Need)> {
    console::routes::<AppState>()
        .into_iter()
        .map(|(p, m, n, _)| (p, m, n))
        .collect()
}

#[test]
fn every_route_but_sign_in_sends_a_stranger_to_sign_in() {
    let c = Console::sqlite();
    let before = state(&c);
    let guarded: Vec<_> = routes()
        .into_iter()
        .filter(|(_, _, n)| *n != Need::Public)
        .collect();
    assert!(guarded.len() >= 10, "{guarded:?}");
    for (path, method, _) in &guarded {
        for cookie in [None, Some("lotkeeper_session=forged")] {
            let r = c.send(request_for(path, method, cookie, Some("x")));
            assert_eq!(
                r.status(),
                StatusCode::SEE_OTHER,
                "{method} {path} {cookie:?}"
            );
            assert_eq!(
                r.headers().get(header::LOCATION).unwrap(),
                console::SIGN_IN,
                "{method} {path}"
            );
        }
    }
    assert_eq!(state(&c), before, "nothing changed");
    for (path, method, _) in routes().into_iter().filter(|(_, _, n)| *n == Need::Public) {
        if method == Method::GET {
            let r = c.send(get(path, None));
            assert_eq!(r.status(), StatusCode::OK, "{path}");
        }
    }
}

#[test]
fn a_role_below_what_a_route_needs_gets_403_and_changes_nothing() {
    let c = Console::sqlite();
    let before = state(&c);
    for (who, role) in [("vic", Role::Viewer), ("sam", Role::Supervisor)] {
        let (cookie, csrf) = c.sign_in(who);
        for (path, method, need) in routes() {
            let Need::At(wanted) = need else { continue };
            if role >= wanted {
                continue;
            }
            let r = c.send(request_for(path, &method, Some(&cookie), Some(&csrf)));
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}: {method} {path}");
            let page = body(r);
            assert!(page.contains("needs"), "{page}");
            assert_eq!(
                state(&c),
                before,
                "{who}: {method} {path} changed something"
            );
        }
    }
}

#[test]
fn a_form_without_the_sessions_csrf_token_gets_403_and_changes_nothing() {
    let c = Console::sqlite();
    let before = state(&c);
    let (cookie, csrf) = c.sign_in("ana");
    let (_, other_csrf) = c.sign_in("sam");
    let posts: Vec<_> = routes()
        .into_iter()
        .filter(|(_, m, n)| *m == Method::POST && *n != Need::Public)
        .collect();
    assert!(posts.len() >= 5, "{posts:?}");
    for (path, method, _) in &posts {
        for token in [None, Some("wrong"), Some(other_csrf.as_str())] {
            let r = c.send(request_for(path, method, Some(&cookie), token));
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path} with {token:?}");
            assert_eq!(state(&c), before, "{path} with {token:?} changed something");
        }
    }
    // The right token opens the door: the session still works, and signing out ends it.
    let r = c.send(post(
        "/console/sign-out",
        Some(&cookie),
        &format!("csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&r).ends_with('='), "the cookie is cleared");
    let r = c.send(get("/console", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
}

#[test]
fn sign_in_is_throttled_per_name_and_address_and_a_stranger_cannot_lock_anyone_out() {
    let c = Console::sqlite();
    let a = Some("10.1.1.1");
    let r = c.send(sign_in_request("ana", "wrong password", a));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(body(r).contains("Wrong name or password"));
    for _ in 1..5 {
        let r = c.send(sign_in_request("ana", "wrong password", a));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Five failures for ana from A: even the right password waits there, with a clear message.
    let r = c.send(sign_in_request("ana", PASSWORD, a));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    assert!(body(r).contains("Too many failed sign-ins"));
    // ana signs in from B, and another name from A is not held up.
    let r = c.send(sign_in_request("ana", PASSWORD, Some("10.1.1.2")));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.send(sign_in_request("sam", PASSWORD, a));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A success clears its pair: four failures, a success, four more, and still no wait.
    let b = Some("10.3.3.3");
    for round in 0..2 {
        for _ in 0..4 {
            let r = c.send(sign_in_request("vic", "wrong password", b));
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "round {round}");
        }
        let r = c.send(sign_in_request("vic", PASSWORD, b));
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "round {round}");
    }
    // Guessing many names from one address: that address waits, others do not.
    let guesser = Some("10.9.9.9");
    for n in 0..20 {
        let r = c.send(sign_in_request(&format!("guess{n}"), "x", guesser));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    let r = c.send(sign_in_request("vic", PASSWORD, guesser));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = c.send(sign_in_request("vic", PASSWORD, Some("10.9.9.8")));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // After the wait, the right password works again from A.
    c.clock.advance(chrono::Duration::minutes(15));
    let r = c.send(sign_in_request("ana", PASSWORD, a));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[test]
fn failures_for_a_name_from_many_addresses_only_slow_it_down() {
    let c = Console::sqlite();
    for n in 0..11 {
        let r = c.send(sign_in_request(
            "ana",
            "wrong",
            Some(&format!("10.5.0.{n}")),
        ));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    // Past ten, the name waits a little after each failure where it has failed from.
    let r = c.send(sign_in_request("ana", PASSWORD, Some("10.5.0.3")));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()[header::RETRY_AFTER], "2");
    c.clock.advance(chrono::Duration::seconds(2));
    let r = c.send(sign_in_request("ana", PASSWORD, Some("10.5.0.3")));
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "two seconds later");
}

#[test]
fn a_stranger_guessing_from_a_few_addresses_cannot_keep_a_person_out() {
    let c = Console::sqlite();
    // A wrong guess about once a minute from four addresses, each below its own limit: the
    // name is far past its free failures, and waits a minute after each.
    let guessers = ["10.8.0.1", "10.8.0.2", "10.8.0.3", "10.8.0.4"];
    for n in 0..16 {
        c.clock.advance(chrono::Duration::seconds(61));
        let r = c.send(sign_in_request("ana", "wrong", Some(guessers[n % 4])));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "guess {n}");
    }
    // The guessers' addresses are still slowed down...
    for from in guessers {
        let r = c.send(sign_in_request("ana", PASSWORD, Some(from)));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{from}");
        assert_eq!(r.headers()[header::RETRY_AFTER], "60");
    }
    // ...but ana, from her own desk, signs in with her password straight away.
    let r = c.send(sign_in_request("ana", PASSWORD, Some("10.1.2.3")));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&r);
    assert_eq!(
        c.send(get("/console", Some(&cookie))).status(),
        StatusCode::OK
    );
}

/// A request with a header added.
fn with_header(mut r: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    r.headers_mut().append(name, value.parse().unwrap());
    r
}

#[test]
fn forwarded_for_is_believed_from_a_trusted_proxy_only() {
    let proxy: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let c = Console::sqlite_with(|s| s.with_trusted_proxies(vec![proxy]));
    let spoofed = |n: usize| {
        with_header(
            sign_in_request("ana", "wrong", Some("10.7.7.7")),
            "x-forwarded-for",
            &format!("192.0.2.{n}"),
        )
    };
    // A stranger who says a new address each time is still one address.
    for n in 0..5 {
        assert_eq!(c.send(spoofed(n)).status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(c.send(spoofed(99)).status(), StatusCode::TOO_MANY_REQUESTS);
    // Through the proxy, each client is its own: the last hop the proxy added, not what the
    // client wrote before it.
    let via_proxy = |password: &str, chain: &str| {
        with_header(
            sign_in_request("sam", password, Some("127.0.0.1")),
            "x-forwarded-for",
            chain,
        )
    };
    for _ in 0..5 {
        let r = c.send(via_proxy("wrong", "203.0.113.9, 198.51.100.1"));
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = c.send(via_proxy(PASSWORD, "198.51.100.1"));
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "the same client");
    let r = c.send(via_proxy(PASSWORD, "198.51.100.1, 198.51.100.2"));
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "another client");
    let keys: Vec<String> = c
        .look
        .read(|r| {
            let mut s = r.prepare("SELECT key FROM console_signin_failures ORDER BY key")?;
            let keys = s.query_map([], |row| row.get(0))?;
            Ok(keys.collect::<Result<Vec<String>, _>>()?)
        })
        .unwrap();
    assert!(
        keys.contains(&"pair:sam 198.51.100.1".to_string()),
        "{keys:?}"
    );
    assert!(keys.contains(&"pair:ana 10.7.7.7".to_string()), "{keys:?}");
    assert!(
        !keys
            .iter()
            .any(|k| k.contains("192.0.2.") || k.contains("203.0.113.")),
        "{keys:?}"
    );
    // https as the proxy says it, and only the proxy.
    let secure = |from: &str| {
        let r = c.send(with_header(
            sign_in_request("vic", PASSWORD, Some(from)),
            "x-forwarded-proto",
            "https",
        ));
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let full = r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        full.contains("; Secure")
    };
    assert!(secure("127.0.0.1"));
    assert!(!secure("10.8.8.8"));
}

#[test]
fn parallel_wrong_sign_ins_are_each_counted_before_a_password_is_checked() {
    let c = Console::sqlite();
    let mut answers: Vec<StatusCode> = Vec::new();
    let mut left = 10;
    // Ten at once; those the server was too busy for (503) are sent again, until each has an answer.
    for _ in 0..100 {
        if left == 0 {
            break;
        }
        let statuses: Vec<StatusCode> = c.rt.block_on(async {
            let tasks: Vec<_> = (0..left)
                .map(|_| {
                    let app = c.app.clone();
                    tokio::spawn(async move {
                        app.oneshot(sign_in_request("ana", "wrong", Some("10.4.4.4")))
                            .await
                            .unwrap()
                            .status()
                    })
                })
                .collect();
            let mut out = Vec::new();
            for t in tasks {
                out.push(t.await.unwrap());
            }
            out
        });
        for s in statuses {
            if s != StatusCode::SERVICE_UNAVAILABLE {
                answers.push(s);
                left -= 1;
            }
        }
    }
    assert_eq!(answers.len(), 10);
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let waited = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((checked, waited), (5, 5), "{answers:?}");
    let counted: i64 = c
        .look
        .read(|r| {
            r.query_row(
                "SELECT failures FROM console_signin_failures WHERE key = 'pair:ana 10.4.4.4'",
                [],
                |row| row.get(0),
            )
        })
        .unwrap();
    assert_eq!(counted, 5, "every checked password was counted");
}

#[test]
fn signing_in_again_ends_the_browsers_old_session() {
    let c = Console::sqlite();
    let (old, _) = c.sign_in("vic");
    let r = c.send(with_header(
        sign_in_request("vic", PASSWORD, None),
        "cookie",
        &old,
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let new = set_cookie(&r);
    assert_ne!(new, old);
    assert_eq!(
        c.send(get("/console", Some(&old))).status(),
        StatusCode::SEE_OTHER,
        "the old session ended"
    );
    assert_eq!(c.send(get("/console", Some(&new))).status(), StatusCode::OK);
    // Another browser's session (no cookie sent) lives on.
    let (other, _) = c.sign_in("vic");
    assert_eq!(c.send(get("/console", Some(&new))).status(), StatusCode::OK);
    assert_eq!(
        c.send(get("/console", Some(&other))).status(),
        StatusCode::OK
    );
}

/// Whether markup has an inline event handler (` onclick=` and the like), which the content
/// security policy would block.
fn has_event_attribute(page: &str) -> bool {
    page.match_indices(" on").any(|(i, _)| {
        let rest = &page[i + 3..];
        let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

#[test]
fn every_console_answer_has_security_headers_and_is_not_stored() {
    let c = Console::sqlite();
    let (cookie, csrf) = c.sign_in("ana");
    let check = |what: &str, r: &Response<Body>, cache: &str| {
        let h = r.headers();
        let get = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_string());
        assert_eq!(get("cache-control").as_deref(), Some(cache), "{what}");
        assert_eq!(get("x-frame-options").as_deref(), Some("DENY"), "{what}");
        assert_eq!(
            get("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        assert_eq!(
            get("referrer-policy").as_deref(),
            Some("same-origin"),
            "{what}"
        );
        let csp = get("content-security-policy").unwrap_or_default();
        for part in [
            "default-src 'none'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(part), "{what}: {csp}");
        }
    };
    // Every page a viewer, supervisor or admin opens, a stranger's redirect, a refusal.
    for (path, method, _) in routes() {
        if method != Method::GET || path == "/console/style.css" || path == "/console/import.js" {
            continue;
        }
        let r = c.send(request_for(path, &method, Some(&cookie), None));
        check(path, &r, "no-store");
        let html = r
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
        if html {
            // The policy holds for what the pages are: no script, no inline style.
            let page = body(r);
            for banned in [" style=", "<style", "javascript:"] {
                assert!(!page.contains(banned), "{path} has {banned}");
            }
            // Scripts only from files of ours, with nothing inline.
            for script in page.split("<script").skip(1) {
                assert!(
                    script.starts_with(" src=\"/console/")
                        && script
                            .split_once('>')
                            .is_some_and(|(_, rest)| rest.starts_with("</script>")),
                    "{path} has an inline script: {script}"
                );
            }
            assert!(!has_event_attribute(&page), "{path} has an onX= attribute");
        }
    }
    check("stranger", &c.send(get("/console", None)), "no-store");
    check(
        "sign-in page",
        &c.send(get(console::SIGN_IN, None)),
        "no-store",
    );
    // The pages that show a one-time password or an enrollment code.
    for (what, path, form) in [
        (
            "a new user's password",
            "/console/users/add",
            "name=newbie&role=viewer",
        ),
        (
            "an enrollment code",
            "/console/devices/enroll-code",
            "name=dev-a&server=https%3A%2F%2Flk.example%3A8443",
        ),
    ] {
        let r = c.send(post(path, Some(&cookie), &format!("{form}&csrf={csrf}")));
        assert_eq!(r.status(), StatusCode::OK, "{what}");
        check(what, &r, "no-store");
    }
    // The style sheet is a file of its own (the policy allows 'self'), and may be cached.
    let r = c.send(get("/console/style.css", None));
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/css; charset=utf-8");
    check("style sheet", &r, "max-age=3600");
    let r = c.send(get("/console/import.js", None));
    assert_eq!(
        r.headers()[header::CONTENT_TYPE],
        "text/javascript; charset=utf-8"
    );
    check("the import page's script", &r, "max-age=3600");
}

/// How many failed sign-ins the server keeps count of.
fn failure_rows(c: &Console) -> i64 {
    c.look
        .read(|r| {
            r.query_row("SELECT COUNT(*) FROM console_signin_failures", [], |row| {
                row.get(0)
            })
        })
        .unwrap()
}

#[test]
fn a_sign_in_with_a_name_no_account_can_have_or_a_huge_form_changes_nothing() {
    let c = Console::sqlite();
    // A name of characters no account can have: refused, not shown back, nothing counted.
    let r = c.send(sign_in_request(
        "%3Cb%3Eana%3C%2Fb%3E",
        "wrong",
        Some("10.2.2.2"),
    ));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!body(r).contains("<b>ana"));
    assert_eq!(failure_rows(&c), 0);
    // A form far larger than a sign-in is not read: 400, and nothing stored under the name.
    let huge = "a".repeat(100_000);
    let r = c.send(sign_in_request(&huge, "wrong", Some("10.2.2.2")));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(failure_rows(&c), 0);
    // A plausible name still counts its failures.
    let r = c.send(sign_in_request("nobody", "wrong", Some("10.2.2.2")));
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        failure_rows(&c),
        3,
        "one for the name from the address, one for the address, one for the name"
    );
}

#[test]
fn the_session_cookie_is_http_only_strict_and_the_session_ends_when_idle() {
    let c = Console::sqlite();
    let r = c.send(sign_in_request("vic", PASSWORD, None));
    let full = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/console",
        "Max-Age=43200",
    ] {
        assert!(full.contains(part), "{full}");
    }
    assert!(!full.contains("Secure"), "plain HTTP on loopback: {full}");
    let cookie = set_cookie(&r);
    c.clock.advance(chrono::Duration::minutes(29));
    assert_eq!(
        c.send(get("/console", Some(&cookie))).status(),
        StatusCode::OK
    );
    c.clock.advance(chrono::Duration::minutes(30));
    let r = c.send(get("/console", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "idle for 30 minutes");

    // Under TLS (or behind a proxy that ends it) the cookie is Secure.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    fill(&path, Arc::new(FixedClock::on(day(TODAY))));
    let secure = app(AppState::new(Ledger::open(&path).unwrap()).with_secure_cookies(true));
    let r = runtime()
        .block_on(secure.oneshot(sign_in_request("vic", PASSWORD, None)))
        .unwrap();
    let full = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(full.contains("; Secure"), "{full}");
}

#[test]
fn the_dashboard_and_the_lot_page_show_the_ledgers_answers() {
    let c = Console::sqlite();
    let (cookie, _) = c.sign_in("vic");
    let r = c.send(get("/console", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::OK);
    let page = body(r);
    for want in [
        "Expiry",
        "<svg",
        "Movements per day",
        "Stock by location",
        "A1",
        "Devices",
        "vic (viewer)",
    ] {
        assert!(page.contains(want), "dashboard lacks {want}");
    }
    assert!(
        !page.contains("href=\"/console/users\""),
        "a viewer sees no users menu"
    );
    let r = c.send(get("/console/lot?item=PARA&lot=L1", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::OK);
    let page = body(r);
    for want in [
        "PARA lot L1",
        "<svg",
        "Corner Pharmacy",
        "Acme",
        "Where it is now",
        "History",
        "ship",
    ] {
        assert!(page.contains(want), "lot page lacks {want}: {page}");
    }
    let r = c.send(get("/console/lot?item=PARA&lot=NOPE", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(body(r).contains("PARA has no lot NOPE"));
    let r = c.send(get("/console/lot?item=PARA", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn a_lot_is_found_from_typed_text_or_scanned_gs1_data() {
    let c = Console::sqlite();
    let (cookie, _) = c.sign_in("vic");
    for find in [
        "PARA+L1",
        "L1",
        "%2801%2909506000134352%2810%29L1",
        "https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352%2F10%2FL1",
    ] {
        let r = c.send(get(&format!("/console/recall?find={find}"), Some(&cookie)));
        assert_eq!(r.status(), StatusCode::OK, "{find}");
        let page = body(r);
        assert!(page.contains("Recall: PARA lot L1"), "{find}: {page}");
        assert!(
            page.contains("A supervisor or admin starts"),
            "a viewer gets no form"
        );
    }
    let r = c.send(get("/console/recall?find=NOPE", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// The recall's whole way through the console, as a supervisor, on either store.
fn a_recall_started_in_the_console_names_who_started_it(c: Console) {
    let (cookie, csrf) = c.sign_in("sam");
    // The dashboard's sums on this store.
    let page = body(c.send(get("/console", Some(&cookie))));
    assert!(
        page.contains("<td>A1</td><td class=\"num\">1</td><td class=\"num\">70</td>"),
        "{page}"
    );

    let page = body(c.send(get("/console/recall?item=PARA&lot=L1", Some(&cookie))));
    assert!(page.contains("Start recall"), "{page}");
    // No reason: refused by the ledger's rule, nothing changed.
    let r = c.send(post(
        "/console/recall/start",
        Some(&cookie),
        &format!("item=PARA&lot=L1&reason=&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(c.status("L1"), LotStatus::Available);
    let r = c.send(post(
        "/console/recall/start",
        Some(&cookie),
        &format!("item=PARA&lot=L1&reason=supplier+recall+RC-9&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.status("L1"), LotStatus::Recalled);
    let history = c.look.lot_history("PARA", "L1").unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.action, "recall");
    assert_eq!(last.by.as_deref(), Some("console:sam"));
    assert_eq!(last.reason, "supplier recall RC-9");
    let page = body(c.send(get("/console/lot?item=PARA&lot=L1", Some(&cookie))));
    assert!(
        page.contains("console:sam") && page.contains("supplier recall RC-9"),
        "{page}"
    );
    // A second start is the state machine's refusal.
    let r = c.send(post(
        "/console/recall/start",
        Some(&cookie),
        &format!("item=PARA&lot=L1&reason=again&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(r).contains("already recalled"));
    // The downloads.
    for (path, starts) in [
        ("/console/recall/package.json", "{"),
        ("/console/recall/fsma204.xlsx", "PK"),
        ("/console/recall/epcis.json", "{"),
    ] {
        let r = c.send(get(&format!("{path}?item=PARA&lot=L1"), Some(&cookie)));
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(
            r.headers().get(header::CONTENT_DISPOSITION).is_some(),
            "{path}"
        );
        assert!(body(r).starts_with(starts), "{path}");
    }
    let package = body(c.send(get(
        "/console/recall/package.json?item=PARA&lot=L1",
        Some(&cookie),
    )));
    assert!(package.contains("Corner Pharmacy"), "{package}");
    // Closed with a reason, by the supervisor: the lot stays on hold.
    let page = body(c.send(get("/console/recall?item=PARA&lot=L1", Some(&cookie))));
    assert!(page.contains("Close recall"), "{page}");
    let r = c.send(post(
        "/console/recall/close",
        Some(&cookie),
        &format!("item=PARA&lot=L1&reason=goods+destroyed&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.status("L1"), LotStatus::Quarantine);
    let last = c.look.lot_history("PARA", "L1").unwrap().pop().unwrap();
    assert_eq!(
        (last.action.as_str(), last.by.as_deref()),
        ("close_recall", Some("console:sam"))
    );
}

#[test]
fn a_recall_started_in_the_console_names_who_started_it_on_sqlite() {
    a_recall_started_in_the_console_names_who_started_it(Console::sqlite());
}

#[cfg(feature = "postgres")]
#[test]
fn a_recall_started_in_the_console_names_who_started_it_on_postgres() {
    if let Some(c) = Console::postgres("console_recall") {
        a_recall_started_in_the_console_names_who_started_it(c);
    }
}

#[test]
fn an_admin_adds_and_removes_users_in_the_console() {
    let c = Console::sqlite();
    let (cookie, csrf) = c.sign_in("ana");
    let r = c.send(post(
        "/console/users/add",
        Some(&cookie),
        &format!("name=newbie&role=supervisor&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    let page = body(r);
    let password = page
        .split("One-time password, shown once: ")
        .nth(1)
        .and_then(|p| p.split('<').next())
        .unwrap()
        .to_string();
    assert_eq!(password.len(), 20, "{page}");
    let r = c.send(sign_in_request("newbie", &password, None));
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the new user signs in");
    // ... to the page that replaces the one-time password, and nowhere else.
    let theirs = set_cookie(&r);
    let r = c.send(get("/console", Some(&theirs)));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], console::PASSWORD);
    assert!(body(c.send(get("/console/users", Some(&cookie))))
        .contains("<td>newbie</td><td>supervisor</td>"));
    let r = c.send(post(
        "/console/users/add",
        Some(&cookie),
        &format!("name=bad+name&role=viewer&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = c.send(post(
        "/console/users/remove",
        Some(&cookie),
        &format!("name=ana&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "not oneself");
    let r = c.send(post(
        "/console/users/remove",
        Some(&cookie),
        &format!("name=newbie&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    let names: Vec<_> = c
        .look
        .users()
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["ana", "sam", "vic"]);
    let page = body(r);
    assert!(
        page.contains("<td>console:ana</td><td>remove user</td><td>newbie</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td>console:ana</td><td>add user (supervisor)</td><td>newbie</td>"),
        "{page}"
    );
}

/// A person given a one-time password (by `user add` or an admin in the console) sees only the
/// page that replaces it: every other page sends them there and no form changes anything. The
/// change needs the current password and the new one twice, within the rules; then the console
/// opens, the one-time password is spent, and their other sessions have ended.
fn a_one_time_password_is_changed_at_the_first_sign_in(mut c: Console) {
    const ONE_TIME: &str = "seen-by-the-admin-1234";
    const OWN: &str = "olgas own long secret";
    c.look
        .add_user_by(
            "olga",
            Role::Supervisor,
            &console::hash_password(ONE_TIME).unwrap(),
            Password::OneTime,
            Some("console:ana"),
        )
        .unwrap();
    let signed_in = |password: &str| {
        let r = c.send(sign_in_request("olga", password, None));
        (r.status() == StatusCode::SEE_OTHER).then(|| set_cookie(&r))
    };
    let cookie = signed_in(ONE_TIME).expect("the one-time password signs in");
    let elsewhere = signed_in(ONE_TIME).expect("from a second browser too");
    for path in [
        "/console",
        "/console/lot?item=PARA&lot=L1",
        "/console/devices",
    ] {
        let r = c.send(get(path, Some(&cookie)));
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(r.headers()[header::LOCATION], console::PASSWORD, "{path}");
    }
    let page = body(c.send(get(console::PASSWORD, Some(&cookie))));
    assert!(page.contains("one-time password"), "{page}");
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    // A form with the right token still changes nothing.
    let r = c.send(post(
        "/console/lot/hold",
        Some(&cookie),
        &format!("item=PARA&lot=L1&reason=check&csrf={csrf}"),
    ));
    assert_eq!(r.headers()[header::LOCATION], console::PASSWORD);
    assert_eq!(c.status("L1"), LotStatus::Available);
    let change = |current: &str, new: &str, again: &str| {
        let form = format!(
            "current={}&new={}&again={}&csrf={csrf}",
            current.replace(' ', "+"),
            new.replace(' ', "+"),
            again.replace(' ', "+")
        );
        let r = c.send(post(console::PASSWORD, Some(&cookie), &form));
        (r.status(), body(r))
    };
    for (current, new, again, status, said) in [
        (
            "wrong one-time pw",
            OWN,
            OWN,
            StatusCode::UNAUTHORIZED,
            "current password is wrong",
        ),
        (
            ONE_TIME,
            "short",
            "short",
            StatusCode::BAD_REQUEST,
            "12 to 256 characters, not 5",
        ),
        (
            ONE_TIME,
            OWN,
            "olgas own long secreT",
            StatusCode::BAD_REQUEST,
            "differ",
        ),
        (
            ONE_TIME,
            ONE_TIME,
            ONE_TIME,
            StatusCode::BAD_REQUEST,
            "is the current one",
        ),
    ] {
        let (got, page) = change(current, new, again);
        assert_eq!(got, status, "{page}");
        assert!(page.contains(said), "{said}: {page}");
        let r = c.send(get("/console", Some(&cookie)));
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "still to be changed");
    }
    let (got, _) = change(ONE_TIME, OWN, OWN);
    assert_eq!(got, StatusCode::SEE_OTHER);
    assert_eq!(
        c.send(get("/console", Some(&cookie))).status(),
        StatusCode::OK
    );
    let r = c.send(get("/console", Some(&elsewhere)));
    assert_eq!(r.headers()[header::LOCATION], console::SIGN_IN, "ended");
    assert!(
        signed_in(ONE_TIME).is_none(),
        "the one-time password is spent"
    );
    assert!(signed_in(OWN).is_some());
    let olga = c.look.users().unwrap();
    let olga = olga.iter().find(|u| u.name == "olga").unwrap();
    assert!(!olga.must_change_password);
    let changes = c.look.console_changes(10).unwrap();
    assert_eq!(
        (
            changes[0].by.as_str(),
            changes[0].action.as_str(),
            changes[0].subject.as_str()
        ),
        ("console:olga", "change password", "olga")
    );
}

#[test]
fn a_one_time_password_is_changed_at_the_first_sign_in_on_sqlite() {
    a_one_time_password_is_changed_at_the_first_sign_in(Console::sqlite());
}

#[cfg(feature = "postgres")]
#[test]
fn a_one_time_password_is_changed_at_the_first_sign_in_on_postgres() {
    if let Some(c) = Console::postgres("one_time_password") {
        a_one_time_password_is_changed_at_the_first_sign_in(c);
    }
}

#[test]
fn user_add_prints_a_password_once_or_reads_one_from_standard_input() {
    let d = crate::harness::Dir::new();
    let out = d.ok(&["user", "add", "ana", "--role", "admin"]);
    let password = out.trim().rsplit(' ').next().unwrap();
    assert_eq!(password.len(), 20, "{out}");
    let out = crate::harness::run_with_stdin(
        &d.db(),
        &[
            "user",
            "add",
            "sam",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        "a long enough secret\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("secret"));
    let bad = d.run(&["user", "add", "ana", "--role", "viewer"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("already a user ana"));
    let bad = d.run(&["user", "add", "zed", "--role", "owner"]);
    assert!(!bad.status.success());
    let list = d.ok(&["user", "list", "--format", "csv"]);
    assert!(
        list.contains("ana,admin") && list.contains("sam,supervisor"),
        "{list}"
    );
    // The password printed is one-time; the one read from standard input is sam's own.
    let l = Ledger::open(&d.db()).unwrap();
    let must: Vec<_> = l
        .users()
        .unwrap()
        .into_iter()
        .map(|u| (u.name, u.must_change_password))
        .collect();
    assert_eq!(must, [("ana".into(), true), ("sam".into(), false)]);
    drop(l);
    d.ok(&["user", "remove", "sam"]);
    let list = d.ok(&["user", "list", "--format", "csv"]);
    assert!(!list.contains("sam"), "{list}");
    let l = Ledger::open(&d.db()).unwrap();
    let (_, hash) = l.user_credentials("ana").unwrap().unwrap();
    assert!(
        hash.starts_with("$argon2id$"),
        "only the hash is kept: {hash}"
    );
}

/// A sign-in through a real connection to the server at `url`.
fn sign_in_over_http(
    http: &reqwest::blocking::Client,
    url: &str,
    name: &str,
    password: &str,
) -> reqwest::blocking::Response {
    http.post(format!("{url}{}", console::SIGN_IN))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(
            header::COOKIE,
            format!("{}={FORM_TOKEN}", console::SIGN_IN_COOKIE),
        )
        .body(format!(
            "name={name}&password={}&{}={FORM_TOKEN}",
            password.replace(' ', "+"),
            console::SIGN_IN_FIELD
        ))
        .send()
        .unwrap()
}

#[test]
fn the_running_server_serves_the_console_beside_v1_and_throttles_by_address() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.db");
    fill(&path, Arc::new(FixedClock::on(day(TODAY))));
    let server = lotkeeper::sync::server::RunningServer::start(&path, "127.0.0.1:0", None).unwrap();
    let url = server.url();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |name: &str, password: &str| sign_in_over_http(&http, &url, name, password);
    assert_eq!(
        http.get(format!("{url}/v1/health"))
            .send()
            .unwrap()
            .status(),
        200
    );
    let r = http.get(format!("{url}/console")).send().unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[header::LOCATION], console::SIGN_IN);
    let r = http
        .get(format!("{url}{}", console::SIGN_IN))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().unwrap().contains("Sign in"));
    // The accept loop hands the console the client's address: guesses for a name from it make
    // that name wait there, and only that name.
    for _ in 0..5 {
        assert_eq!(sign_in("vic", "nope").status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        sign_in("vic", PASSWORD).status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let r = sign_in("sam", PASSWORD);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    server.stop();

    // The session cookie of a sign-in to `serve --listen LISTEN --insecure-http`.
    let cookie_over_plain_http = |listen: &str| -> String {
        let server = lotkeeper::sync::server::RunningServer::start_with(
            &path,
            listen,
            lotkeeper::sync::server::Options {
                insecure_http: true,
                ..Default::default()
            },
        )
        .unwrap();
        let url = server.url().replace("0.0.0.0", "127.0.0.1");
        let r = sign_in_over_http(&http, &url, "ana", PASSWORD);
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let c = r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        server.stop();
        c
    };
    // Plain HTTP on loopback, even with --insecure-http, gives cookies a browser keeps over
    // http.
    let c = cookie_over_plain_http("127.0.0.1:0");
    assert!(!c.contains("Secure"), "{c}");
    // --insecure-http on an address a network reaches, with no trusted proxy to say how the
    // browser came: the server is behind something that ends TLS, and its cookies stay Secure.
    let c = cookie_over_plain_http("0.0.0.0:0");
    assert!(c.contains("; Secure"), "{c}");
}

#[test]
fn a_supervisor_adds_a_device_and_gets_its_enrollment_qr_never_its_token() {
    let c = Console::sqlite();
    let (cookie, csrf) = c.sign_in("sam");
    let page = body(c.send(get("/console/devices", Some(&cookie))));
    assert!(
        page.contains("dev-a") && page.contains("Add a device"),
        "{page}"
    );
    // An address a code must not travel to in clear: refused, nothing added.
    let r = c.send(post(
        "/console/devices/add",
        Some(&cookie),
        &format!("name=dock-1&server=http%3A%2F%2Flk.example&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(c.look.devices().unwrap().len(), 1);
    let r = c.send(post(
        "/console/devices/add",
        Some(&cookie),
        &format!("name=dock-1&server=https%3A%2F%2Flk.example%3A8443&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    let page = body(r);
    assert!(
        page.contains("class=\"qr\"") && page.contains("<path d=\"M"),
        "{page}"
    );
    assert!(!page.contains("lk_"), "no token on the page");
    let code = page
        .split("type the code: <strong>")
        .nth(1)
        .and_then(|p| p.split('<').next())
        .unwrap()
        .to_string();
    // The code shown is the one the ledger issued for dock-1: it enrolls that device, once.
    let mut l = Ledger::open(&c._dir.path().join("server.db"))
        .unwrap()
        .with_clock(c.clock.clone());
    let hash = lotkeeper::sync::enroll::code_hash(&code).unwrap();
    assert_eq!(
        l.redeem_enrollment_code(&hash, "new-token-hash").unwrap(),
        "dock-1"
    );
    // Revoked from the console.
    let r = c.send(post(
        "/console/devices/revoke",
        Some(&cookie),
        &format!("name=dock-1&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(l.device_for("new-token-hash").unwrap().is_none());
    let r = c.send(post(
        "/console/devices/revoke",
        Some(&cookie),
        &format!("name=dock-1&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "already revoked");
    let changes: Vec<_> = c
        .look
        .console_changes(10)
        .unwrap()
        .into_iter()
        .map(|x| (x.action, x.subject, x.by))
        .collect();
    assert_eq!(
        changes,
        [
            (
                "revoke device".to_string(),
                "dock-1".to_string(),
                "console:sam".to_string()
            ),
            (
                "issue enrollment code".to_string(),
                "dock-1".to_string(),
                "console:sam".to_string()
            ),
            (
                "add device".to_string(),
                "dock-1".to_string(),
                "console:sam".to_string()
            ),
        ],
        "who added it, issued its code and revoked it, newest first"
    );
}

#[test]
fn a_hold_and_its_release_from_the_lot_page_name_who_made_them() {
    let c = Console::sqlite();
    let (cookie, csrf) = c.sign_in("sam");
    let page = body(c.send(get("/console/lot?item=PARA&lot=L2", Some(&cookie))));
    assert!(page.contains("Put on hold"), "{page}");
    let r = c.send(post(
        "/console/lot/hold",
        Some(&cookie),
        &format!("item=PARA&lot=L2&reason=damaged+boxes&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.status("L2"), LotStatus::Quarantine);
    let page = body(c.send(get("/console", Some(&cookie))));
    assert!(
        page.contains("damaged boxes") && page.contains("console:sam"),
        "the dashboard lists the hold"
    );
    let r = c.send(post(
        "/console/lot/release",
        Some(&cookie),
        &format!("item=PARA&lot=L2&reason=checked+fine&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(c.status("L2"), LotStatus::Available);
    let by: Vec<_> = c
        .look
        .lot_history("PARA", "L2")
        .unwrap()
        .into_iter()
        .map(|h| (h.action, h.by.unwrap_or_default()))
        .collect();
    assert_eq!(
        by,
        [
            ("hold".to_string(), "console:sam".to_string()),
            ("release".to_string(), "console:sam".to_string())
        ]
    );
    // A release of a lot not on hold is the state machine's refusal, said on the page.
    let r = c.send(post(
        "/console/lot/release",
        Some(&cookie),
        &format!("item=PARA&lot=L2&reason=again&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body(r).contains("not on hold"));
}

#[test]
fn the_recall_page_shows_which_devices_have_stored_the_recall() {
    let c = Console::sqlite();
    let (cookie, csrf) = c.sign_in("sam");
    let r = c.send(post(
        "/console/recall/start",
        Some(&cookie),
        &format!("item=PARA&lot=L1&reason=supplier+recall&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let acks = |c: &Console| {
        let page = body(c.send(get("/console/recall?item=PARA&lot=L1", Some(&cookie))));
        let row = page
            .split("<td>dev-a</td>")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        assert!(!row.is_empty(), "dev-a is listed: {page}");
        row.split("</tr>").next().unwrap().contains("yes")
    };
    assert!(!acks(&c), "dev-a has not synced");
    let pull = |after: i64| {
        let r = c.send(
            Request::get(format!(
                "/v1/pull?after=0&lot_events_after={after}&master_version=0"
            ))
            .header(header::AUTHORIZATION, "Bearer lk_test_token")
            .body(Body::empty())
            .unwrap(),
        );
        assert_eq!(r.status(), StatusCode::OK);
        crate::harness::json(&body(r))["lot_event_cursor"]
            .as_i64()
            .unwrap()
    };
    // The first pull brings the recall; only the next one says the device stored it.
    let cursor = pull(0);
    assert!(cursor > 0);
    assert!(
        !acks(&c),
        "a pull that brings the recall is not yet its acknowledgement"
    );
    assert_eq!(pull(cursor), cursor);
    assert!(acks(&c), "dev-a has stored the recall");
    // A device claiming more than the server has is held to what exists: the next change is
    // not taken as stored before the device pulls it.
    pull(cursor + 1000);
    assert!(acks(&c));
    let r = c.send(post(
        "/console/recall/close",
        Some(&cookie),
        &format!("item=PARA&lot=L1&reason=done&csrf={csrf}"),
    ));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!acks(&c), "the close is new to dev-a");
    let cursor = pull(cursor);
    pull(cursor);
    assert!(acks(&c));
}

#[test]
fn an_import_with_a_bad_row_names_its_line_and_column_and_imports_nothing() {
    let c = Console::sqlite();
    let (cookie, csrf) = c.sign_in("sam");
    let page = body(c.send(get("/console/import", Some(&cookie))));
    assert!(page.contains("All or nothing"), "{page}");
    let items = c.look.query().items().unwrap().len();
    let header = "sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit";
    let form = |csv: &str| {
        let csv: String = csv
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        format!("kind=items&csv={csv}&csrf={csrf}")
    };
    let bad =
        format!("{header}\nGOOD,Good one,,none,false,,EA\nBAD,Bad one,,sometimes,false,,EA\n");
    let r = c.send(post("/console/import", Some(&cookie), &form(&bad)));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = body(r);
    assert!(page.contains("Line 3, column tracking"), "{page}");
    assert!(page.contains("Nothing was imported"), "{page}");
    assert!(
        page.contains("BAD,Bad one"),
        "the text stays in the box to fix"
    );
    assert_eq!(
        c.look.query().items().unwrap().len(),
        items,
        "nothing imported"
    );
    assert!(c.look.import_log(10).unwrap().is_empty());

    let good = format!("{header}\nGOOD,Good one,,none,false,,EA\nPARA,Paracetamol,09506000134352,lot,true,365,EA\n");
    let r = c.send(post("/console/import", Some(&cookie), &form(&good)));
    assert_eq!(r.status(), StatusCode::OK);
    let page = body(r);
    assert!(
        page.contains("Imported 2 rows of items: 1 new, 1 updated."),
        "{page}"
    );
    assert_eq!(c.look.query().items().unwrap().len(), items + 1);
    let log = c.look.import_log(10).unwrap();
    assert_eq!(
        (log[0].kind.as_str(), log[0].by.as_str()),
        ("items", "console:sam")
    );
    assert!(page.contains("console:sam"));
}

#[test]
fn a_sign_in_must_come_from_the_sign_in_page() {
    let c = Console::sqlite();
    // The page sets its token in a Strict cookie and in the form.
    let r = c.send(get(console::SIGN_IN, None));
    let set = r.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.starts_with("lotkeeper_signin=") && set.contains("SameSite=Strict"),
        "{set}"
    );
    let token = set
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string();
    assert!(body(r).contains(&format!("name=\"signin\" value=\"{token}\"")));
    // Posted from elsewhere: no cookie, or a field that does not match it. No session.
    for (cookie, field) in [
        (None, token.as_str()),
        (Some(token.as_str()), "other"),
        (Some(token.as_str()), ""),
    ] {
        let mut b = Request::post(console::SIGN_IN)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(v) = cookie {
            b = b.header(header::COOKIE, format!("lotkeeper_signin={v}"));
        }
        let r = c.send(
            b.body(Body::from(format!(
                "name=ana&password=correct+horse+battery&signin={field}"
            )))
            .unwrap(),
        );
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{cookie:?} {field}");
        let set = r.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_string();
        assert!(!set.starts_with("lotkeeper_session"), "no session: {set}");
        assert!(body(r).contains("stale or came from another site"));
    }
    let r = c.send(
        Request::post(console::SIGN_IN)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("lotkeeper_signin={token}"))
            .body(Body::from(format!(
                "name=ana&password=correct+horse+battery&signin={token}"
            )))
            .unwrap(),
    );
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&r).starts_with("lotkeeper_session="));
}

#[test]
fn reports_and_exports_download_as_the_command_line_makes_them() {
    let c = Console::sqlite();
    let (cookie, _) = c.sign_in("vic");
    let page = body(c.send(get("/console/reports", Some(&cookie))));
    assert!(page.contains("report=stock&amp;format=csv"), "{page}");
    let r = c.send(get(
        "/console/reports/download?report=stock&format=csv",
        Some(&cookie),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .contains("stock.csv"));
    let csv = body(r);
    assert!(csv.starts_with("item,lot,serial,location"), "{csv}");
    assert!(csv.contains("PARA,L1,,A1,70"), "{csv}");
    let r = c.send(get(
        "/console/reports/download?report=expiry&format=json",
        Some(&cookie),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    let rows = crate::harness::json(&body(r));
    assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
    // The same report as xlsx: one sheet named for it, the CSV's header and cells, quantities
    // as numbers.
    assert!(page.contains("report=stock&amp;format=xlsx"), "{page}");
    let r = c.send(get(
        "/console/reports/download?report=stock&format=xlsx",
        Some(&cookie),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    let bytes = runtime()
        .block_on(axum::body::to_bytes(r.into_body(), 10 << 20))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stock.xlsx");
    std::fs::write(&file, &bytes).unwrap();
    let sheets = crate::compliance::xlsx_sheets(&file);
    assert_eq!(sheets.len(), 1);
    let (name, xml, cells) = &sheets[0];
    assert_eq!(name, "stock");
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for (col, h) in header.iter().enumerate() {
        assert_eq!(cells.get(&(0, col)).map(String::as_str), Some(*h), "{xml}");
    }
    let csv_rows = csv.lines().count() - 1;
    assert!(cells.contains_key(&(csv_rows, 0)) && !cells.contains_key(&(csv_rows + 1, 0)));
    let row = (1..=csv_rows)
        .find(|r| cells.get(&(*r, 0)).map(String::as_str) == Some("PARA"))
        .expect("PARA's row");
    let qty = header
        .iter()
        .position(|h| *h == "on_hand")
        .expect("on_hand");
    assert_eq!(cells[&(row, qty)], "70");
    // A number cell, not text that reads 70.
    assert!(xml.contains("<v>70</v>"), "{xml}");
    for (query, status) in [
        ("report=nope&format=csv", StatusCode::NOT_FOUND),
        ("report=stock&format=xml", StatusCode::BAD_REQUEST),
        ("report=stock", StatusCode::BAD_REQUEST),
    ] {
        let r = c.send(get(
            &format!("/console/reports/download?{query}"),
            Some(&cookie),
        ));
        assert_eq!(r.status(), status, "{query}");
    }
    let r = c.send(get(
        "/console/exports/fsma204.xlsx?from=2026-01-01&to=2026-12-31",
        Some(&cookie),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).starts_with("PK"));
    let r = c.send(get(
        "/console/exports/epcis.json?from=2026-01-01&to=2026-12-31",
        Some(&cookie),
    ));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).contains("EPCISDocument"));
    let r = c.send(get(
        "/console/exports/epcis.json?from=2026-13-01&to=2026-12-31",
        Some(&cookie),
    ));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn master_data_is_listed_and_searched() {
    let c = Console::sqlite();
    let (cookie, _) = c.sign_in("vic");
    let page = body(c.send(get("/console/data", Some(&cookie))));
    assert!(
        page.contains("<td>PARA</td>") && page.contains("<td>BOLT</td>"),
        "{page}"
    );
    let page = body(c.send(get("/console/data?what=items&q=para", Some(&cookie))));
    assert!(
        page.contains("<td>PARA</td>") && !page.contains("<td>BOLT</td>"),
        "{page}"
    );
    assert!(page.contains("1 of 5 shown"), "{page}");
    let page = body(c.send(get("/console/data?what=locations&q=bin", Some(&cookie))));
    assert!(
        page.contains("<td>A1</td>") && !page.contains("<td>DOCK</td>"),
        "{page}"
    );
    for what in ["parties", "purchase-orders", "pick-lists"] {
        let r = c.send(get(&format!("/console/data?what={what}"), Some(&cookie)));
        assert_eq!(r.status(), StatusCode::OK, "{what}");
    }
    let r = c.send(get("/console/data?what=secrets", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A supervisor's import page opens with the list's kind chosen.
    let (cookie, _) = c.sign_in("sam");
    let page = body(c.send(get("/console/import?kind=picklists", Some(&cookie))));
    assert!(
        page.contains(r#"<option value="picklists" selected>"#),
        "{page}"
    );
}

#[test]
fn the_dashboards_sums_equal_the_reports_rows() {
    let c = Console::sqlite();
    let l = &c.look;
    let mut by_location = std::collections::BTreeMap::<String, (i64, i64)>::new();
    for r in l.stock_by_lot(None, None, None).unwrap() {
        let e = by_location.entry(r.location).or_default();
        e.0 += 1;
        e.1 += r.on_hand;
    }
    let sums: Vec<_> = l
        .stock_by_location()
        .unwrap()
        .into_iter()
        .map(|s| (s.location, (s.lines, s.units)))
        .collect();
    assert_eq!(sums, by_location.into_iter().collect::<Vec<_>>());
    let mut by_day = std::collections::BTreeMap::<chrono::NaiveDate, (i64, i64)>::new();
    for r in l.expiry_report(&Default::default()).unwrap() {
        if let Some(e) = r.expiry {
            let d = by_day.entry(e).or_default();
            d.0 += 1;
            d.1 += r.on_hand;
        }
    }
    let days: Vec<_> = l
        .expiry_by_day()
        .unwrap()
        .into_iter()
        .map(|d| (d.expiry, (d.lots, d.units)))
        .collect();
    assert_eq!(days, by_day.into_iter().collect::<Vec<_>>());
    assert_eq!(days.len(), 2);
}

/// dev-a pushes a shipment of 1,000 from A1, which holds 70: the server rejects it.
fn push_rejected(c: &Console) -> String {
    let id = "01900000-0000-7000-8000-00000000c0f1";
    let body_json = serde_json::json!({ "movements": [{
        "id": id, "batch_id": id, "kind": "ship", "item": "PARA", "lot": "L1", "qty": 1000,
        "from": "A1", "to": "CUSTOMER:Bob", "device": "dev-a",
        "created_at": "2026-06-15T11:00:00.000Z", "batch_size": 1
    }]});
    let r = c.send(
        Request::post("/v1/push")
            .header(header::AUTHORIZATION, "Bearer lk_test_token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body_json.to_string()))
            .unwrap(),
    );
    assert_eq!(r.status(), StatusCode::OK);
    let answer = crate::harness::json(&body(r));
    assert_eq!(answer["results"][0]["status"], "rejected", "{answer}");
    id.to_string()
}

/// A pull of dev-a in `protocol` with `query`: status and body.
fn pull_as_dev_a(c: &Console, protocol: u32, query: &str) -> (StatusCode, serde_json::Value) {
    let r = c.send(
        Request::get(format!("/v1/pull?{query}"))
            .header(header::AUTHORIZATION, "Bearer lk_test_token")
            .header(lotkeeper::sync::wire::PROTOCOL_HEADER, protocol)
            .body(Body::empty())
            .unwrap(),
    );
    let status = r.status();
    (status, crate::harness::json(&body(r)))
}

/// The conflicts page on either store: listed with the reason, a viewer sees and cannot
/// resolve, a form without the CSRF token changes nothing, a supervisor resolves with a note
/// (recorded as console:NAME, the device pulls it), and a second resolution is refused.
fn conflicts_are_listed_and_resolved_in_the_console(c: Console) {
    let id = push_rejected(&c);
    push_rejected(&c);
    let open = |c: &Console| {
        c.look
            .sync_conflicts(lotkeeper::ledger::conflicts::Show::Open, None)
            .unwrap()
    };
    assert_eq!(open(&c).len(), 1, "a retried push adds no second row");
    let reason = open(&c)[0].reason.clone();

    let (vic, vic_csrf) = c.sign_in("vic");
    let page = body(c.send(get("/console/conflicts", Some(&vic))));
    for want in [
        "dev-a",
        "ship PARA lot L1 × 1000 · A1 → CUSTOMER:Bob",
        "2026-06-15T11:00:00.000Z",
        "href=\"/console/conflicts\"",
    ] {
        assert!(page.contains(want), "the page lacks {want}: {page}");
    }
    assert!(
        page.contains(&reason.split(';').next().unwrap().replace('\'', "&#39;"))
            || page.contains(&reason.split(';').next().unwrap().to_string()),
        "{reason}: {page}"
    );
    assert!(!page.contains("Resolve</button>"), "a viewer gets no form");
    let resolve =
        |cookie: &str, form: &str| c.send(post("/console/conflicts/resolve", Some(cookie), form));
    let form = |note: &str, csrf: &str| format!("device=dev-a&id={id}&note={note}&csrf={csrf}");
    let r = resolve(&vic, &form("viewer+note", &vic_csrf));
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(open(&c).len(), 1, "a viewer changed nothing");

    let (sam, sam_csrf) = c.sign_in("sam");
    let page = body(c.send(get("/console/conflicts", Some(&sam))));
    assert!(page.contains("Resolve</button>"), "{page}");
    let r = resolve(&sam, &format!("device=dev-a&id={id}&note=no+token"));
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = resolve(&sam, &form("", &sam_csrf));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body(r).contains("needs a note"));
    let r = resolve(
        &sam,
        &format!("device=dev-b&id={id}&note=wrong+device&csrf={sam_csrf}"),
    );
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(open(&c).len(), 1, "nothing changed");

    let r = resolve(&sam, &form("Bob+gets+L2+instead", &sam_csrf));
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()[header::LOCATION],
        "/console/conflicts?device=dev-a"
    );
    assert!(open(&c).is_empty());
    let page = body(c.send(get("/console/conflicts?show=resolved", Some(&vic))));
    assert!(
        page.contains("console:sam") && page.contains("Bob gets L2 instead"),
        "{page}"
    );
    let page = body(c.send(get("/console/conflicts?show=open", Some(&vic))));
    assert!(page.contains("No open conflict."), "{page}");
    let r = c.send(get("/console/conflicts?show=maybe", Some(&vic)));
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The device learns it on its next pull, in protocol 4; protocol 3 has no such field.
    let (status, page) = pull_as_dev_a(&c, 4, "resolutions_after=0");
    assert_eq!(status, StatusCode::OK, "{page}");
    let r = &page["conflict_resolutions"][0];
    assert_eq!(
        (r["id"].as_str(), r["note"].as_str(), r["by"].as_str()),
        (
            Some(id.as_str()),
            Some("Bob gets L2 instead"),
            Some("console:sam")
        )
    );
    assert_eq!(page["resolution_cursor"], 1);
    let (_, page) = pull_as_dev_a(&c, 4, "resolutions_after=1");
    assert!(page.get("conflict_resolutions").is_none(), "{page}");
    let (status, e) = pull_as_dev_a(&c, 3, "resolutions_after=0");
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("protocol"))
    );
    let (_, page) = pull_as_dev_a(&c, 3, "");
    assert!(page.get("conflict_resolutions").is_none() && page.get("resolution_cursor").is_none());

    // The first resolution stands: a second one is refused, naming it.
    let r = resolve(&sam, &form("another+note", &sam_csrf));
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = body(r);
    assert!(
        text.contains("already resolved by console:sam") && text.contains("Bob gets L2 instead"),
        "{text}"
    );
}

#[test]
fn conflicts_are_listed_and_resolved_in_the_console_on_sqlite() {
    conflicts_are_listed_and_resolved_in_the_console(Console::sqlite());
}

#[cfg(feature = "postgres")]
#[test]
fn conflicts_are_listed_and_resolved_in_the_console_on_postgres() {
    if let Some(c) = Console::postgres("console_conflicts") {
        conflicts_are_listed_and_resolved_in_the_console(c);
    }
}

#[test]
fn the_dashboard_shows_each_devices_last_contact_pending_and_open_conflicts() {
    let c = Console::sqlite();
    let (cookie, _) = c.sign_in("vic");
    let page = body(c.send(get("/console", Some(&cookie))));
    assert!(
        page.contains(
            "<td>dev-a</td><td>never</td><td class=\"num\">?</td><td class=\"num\">0</td>"
        ),
        "{page}"
    );
    push_rejected(&c);
    let (status, _) = pull_as_dev_a(&c, 4, "pending=3&conflicts=1");
    assert_eq!(status, StatusCode::OK);
    let contact = |c: &Console| {
        c.look.device_activity().unwrap()[0]
            .last_contact
            .clone()
            .expect("a contact")
    };
    let first = contact(&c);
    assert_eq!(first, "2026-06-15T12:00:00.000Z");
    let page = body(c.send(get("/console", Some(&cookie))));
    assert!(
        page.contains(&format!(
            "<td>dev-a</td><td>{first}</td><td class=\"num\">3</td><td class=\"num\"><a href=\"/console/conflicts?show=open&amp;device=dev-a\">1</a></td>"
        )),
        "{page}"
    );
    // A contact is written again only after a minute.
    c.clock.advance(chrono::Duration::seconds(30));
    pull_as_dev_a(&c, 4, "pending=0&conflicts=1");
    assert_eq!(contact(&c), first);
    assert_eq!(
        c.look.device_activity().unwrap()[0].pending_reported,
        Some(0)
    );
    c.clock.advance(chrono::Duration::seconds(31));
    pull_as_dev_a(&c, 1, "");
    assert_eq!(contact(&c), "2026-06-15T12:01:01.000Z");
    // Half a report, a negative count, or a report in protocol 3: 400, nothing noted.
    for (protocol, q) in [
        (4, "pending=1"),
        (4, "pending=-1&conflicts=0"),
        (3, "pending=1&conflicts=0"),
    ] {
        let (status, e) = pull_as_dev_a(&c, protocol, q);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {e}");
    }
    assert_eq!(
        c.look.device_activity().unwrap()[0].pending_reported,
        Some(0)
    );
}

#[test]
fn the_dashboard_says_when_it_shows_only_the_first_held_lots() {
    let c = Console::sqlite();
    let (cookie, _) = c.sign_in("vic");
    let page = body(c.send(get("/console", Some(&cookie))));
    assert!(!page.contains("Showing the first"), "nothing held yet");
    let mut l = Ledger::open(&c._dir.path().join("server.db"))
        .unwrap()
        .with_clock(c.clock.clone());
    let max = lotkeeper::ledger::reports::MAX_HELD_LOTS;
    for n in 0..=max {
        let lot = format!("H{n}");
        receive_lot(&mut l, "PARA", &lot, Some("2027-06-01"), 1, "A1");
        l.change_lot_status(
            "PARA",
            &lot,
            lotkeeper::ledger::LotAction::Hold,
            "check",
            None,
        )
        .unwrap();
    }
    let page = body(c.send(get("/console", Some(&cookie))));
    let said = format!("Showing the first {max} of {} lots", max + 1);
    assert!(page.contains(&said), "{said}");
}
