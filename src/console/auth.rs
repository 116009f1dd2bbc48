//! Passwords, session tokens, signing in and out.
//!
//! Passwords are argon2id PHC strings (the argon2 crate's defaults: 19 MiB, 2 passes), salted
//! with 16 bytes from `ledger::clock`. A session token is 244 random bits, given to the browser
//! once in its cookie; the ledger keeps its SHA-256. Sign-in is throttled by the ledger: a name
//! from one address (`users::MAX_FAILURES`, then `LOCKOUT_MINUTES`), an address for any names
//! (`MAX_ADDRESS_FAILURES`), and a name failing from anywhere slowed down, never locked, at the
//! addresses that failed for it only (`FREE_NAME_FAILURES`). Each attempt is counted before its password is checked.
//!
//! The client's address is the connection's, or, when that is a proxy the server was told to
//! trust (`serve --trusted-proxy`), the nearest address in X-Forwarded-For that is not one;
//! cookies are Secure when the server serves TLS, or a trusted proxy says the browser used https,
//! or the server listens for plain HTTP anywhere but loopback (`sync::server::cookies_secure`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Extension, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use std::net::{IpAddr, SocketAddr};

use super::{
    pages, Backend, Refusal, PASSWORD, ROOT, SESSION_COOKIE, SIGN_IN, SIGN_IN_COOKIE, SIGN_IN_FIELD,
};
use crate::ledger::clock::new_random_id;
use crate::ledger::users::{self, NewSession, Session, SignInTurn, IDLE_MINUTES, SESSION_HOURS};

/// The shortest password a person may choose.
pub const MIN_PASSWORD_LEN: usize = 12;
/// The longest password read (argon2 takes any length; a limit keeps a request cheap).
pub const MAX_PASSWORD_LEN: usize = 256;

/// Why a password cannot be used or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("a password has {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters, not {0}")]
    Length(usize),
    #[error("a password has no control characters (a line break, a tab)")]
    Control,
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Checks a password a person chose.
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        return Err(PasswordError::Length(n));
    }
    if password.chars().any(char::is_control) {
        return Err(PasswordError::Control);
    }
    Ok(())
}

/// The argon2id PHC string of a password, with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::encode_b64(new_random_id().as_bytes())
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` is the one `hash` was made from (a hash that does not read: no).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A password to give a new user once: 20 characters from 32 that are hard to misread
/// (100 random bits).
pub fn new_password() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz23456789-";
    let a = new_random_id();
    let b = new_random_id();
    a.as_bytes()
        .iter()
        .chain(b.as_bytes())
        .take(20)
        .map(|byte| ALPHABET[usize::from(byte & 31)] as char)
        .collect()
}

/// A fresh session or CSRF token: two random UUIDs, 244 bits.
fn new_token() -> String {
    format!("{}{}", new_random_id().simple(), new_random_id().simple())
}

/// What the ledger keeps of a session token (as of a device token).
pub(super) use crate::ledger::enrollment::hash_token as token_hash;

/// Two secrets compared in a time that does not depend on where they differ.
pub(super) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A hash to check a password against when the user does not exist, so an unknown name costs
/// as much time as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default())
}

/// Who a request comes from: the client's address, as the server's accept loop saw it or a
/// trusted proxy passed it on ("unknown" when none was given, as in tests that call the router
/// directly), and whether the browser reached us over https (cookies are then Secure).
pub(super) struct Client {
    pub addr: String,
    pub https: bool,
}

impl<S: Backend> axum::extract::FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(client_of(
            &parts.headers,
            peer,
            state.secure_cookies(),
            |ip| state.trusts_proxy(ip),
        ))
    }
}

/// One hop of X-Forwarded-For: an address, with a port or in brackets as some proxies write it.
fn forwarded_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
        .map(|ip: IpAddr| ip.to_canonical())
}

/// The client behind `peer`: headers a proxy adds are read only when `peer` is one we trust,
/// and then X-Forwarded-For from its end, past every trusted proxy, to the first address that is
/// not one (a hop that does not read stops there). `tls`: this server itself serves TLS.
fn client_of(
    headers: &axum::http::HeaderMap,
    peer: Option<IpAddr>,
    tls: bool,
    trusts: impl Fn(IpAddr) -> bool,
) -> Client {
    let Some(peer) = peer.map(|p| p.to_canonical()) else {
        return Client {
            addr: "unknown".into(),
            https: tls,
        };
    };
    if !trusts(peer) {
        return Client {
            addr: peer.to_string(),
            https: tls,
        };
    }
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .collect()
    };
    let mut addr = peer;
    for hop in values("x-forwarded-for").iter().rev() {
        let Some(ip) = forwarded_hop(hop) else { break };
        addr = ip;
        if !trusts(ip) {
            break;
        }
    }
    let https = tls
        || values("x-forwarded-proto")
            .last()
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    Client {
        addr: addr.to_string(),
        https,
    }
}

/// The sign-in page with a fresh form token, in its field and in its cookie.
fn sign_in_page(status: StatusCode, message: Option<&str>, name: &str, secure: bool) -> Response {
    let token = new_token();
    let page = pages::layout(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form.narrow method="post" action=(SIGN_IN) {
                input type="hidden" name=(SIGN_IN_FIELD) value=(token);
                label { "Name" input name="name" value=(name) autocomplete="username" required autofocus; }
                label { "Password" input name="password" type="password" autocomplete="current-password" required; }
                button { "Sign in" }
            }
        },
    );
    let mut r = (status, page).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie(SIGN_IN_COOKIE, SIGN_IN, &token, 3600, secure),
    );
    r
}

pub(super) async fn sign_in_form(client: Client) -> Response {
    sign_in_page(StatusCode::OK, None, "", client.https)
}

#[derive(serde::Deserialize)]
pub(super) struct SignInForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    signin: String,
}

/// How many sign-ins may check a password at once, per router (argon2 takes about 19 MiB and
/// tens of milliseconds each); more are answered 503 rather than queued.
#[derive(Clone)]
pub(super) struct PasswordChecks(pub std::sync::Arc<tokio::sync::Semaphore>);

impl PasswordChecks {
    pub(super) fn new() -> PasswordChecks {
        PasswordChecks(std::sync::Arc::new(tokio::sync::Semaphore::new(2)))
    }
}

/// The largest sign-in form read: a name, a password and the form's token.
pub(super) const MAX_SIGN_IN_FORM: usize = 4096;

pub(super) async fn sign_in<S: Backend>(
    State(state): State<S>,
    Extension(checks): Extension<PasswordChecks>,
    Client {
        addr,
        https: secure,
    }: Client,
    headers: axum::http::HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    let Form(f) = form
        .map_err(|e| Refusal::bad(format!("the sign-in form does not read: {}", e.body_text())))?;
    let name = f.name.trim().to_string();
    let ours = super::cookie_value(&headers, SIGN_IN_COOKIE)
        .is_some_and(|c| !f.signin.is_empty() && same_secret(&c, &f.signin));
    if !ours {
        let said = "This sign-in form is stale or came from another site. Sign in here.";
        return Ok(sign_in_page(
            StatusCode::FORBIDDEN,
            Some(said),
            &name,
            secure,
        ));
    }
    if name.is_empty() || f.password.is_empty() || f.password.len() > MAX_PASSWORD_LEN * 4 {
        let said = "Give your name and password.";
        return Ok(sign_in_page(
            StatusCode::BAD_REQUEST,
            Some(said),
            &name,
            secure,
        ));
    }
    // A name no account can have is refused before the ledger is touched: nothing is counted
    // or stored under it, and it is not shown back.
    if users::check_user_name(&name).is_err() {
        let said = "Wrong name or password.";
        return Ok(sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some(said),
            "",
            secure,
        ));
    }
    let checked = match check_password(&state, &checks, &name, &addr, f.password).await? {
        Checked::Right(hash) => hash,
        Checked::Wrong => {
            return Ok(sign_in_page(
                StatusCode::UNAUTHORIZED,
                Some("Wrong name or password."),
                &name,
                secure,
            ))
        }
        refused => {
            let (status, said, retry) = refused.refusal();
            let mut r = sign_in_page(status, Some(&said), &name, secure);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry));
            return Ok(r);
        }
    };
    let token = new_token();
    let kept = token_hash(&token);
    // The session this browser had (if any) ends: one browser, one session.
    let replaces = super::session_token(&headers).map(|t| token_hash(&t));
    state
        .ledger(move |l| {
            let session = NewSession {
                token_hash: &kept,
                csrf: &new_token(),
            };
            l.signed_in(&name, &addr, &checked, session, replaces.as_deref())
        })
        .await?;
    let mut r = Redirect::to(ROOT).into_response();
    let c = cookie(SESSION_COOKIE, ROOT, &token, SESSION_HOURS * 3600, secure);
    r.headers_mut().insert(header::SET_COOKIE, c);
    Ok(r)
}

/// What checking a password found.
enum Checked {
    /// Right, against this hash (the account's then).
    Right(String),
    Wrong,
    /// Too many password checks at once: come back in a moment.
    Busy,
    /// Too many failures: the throttle's wait, in seconds, and until when (UTC).
    Wait(i64, chrono::DateTime<chrono::Utc>),
}

impl Checked {
    /// A check that did not happen: its status, what to say and when to retry (seconds).
    fn refusal(&self) -> (StatusCode, String, i64) {
        match self {
            Checked::Wait(secs, until) => (
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-ins. Try again after {} UTC.",
                    until.format("%H:%M:%S")
                ),
                *secs,
            ),
            _ => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is busy. Try again in a moment.".into(),
                2,
            ),
        }
    }
}

/// Checks `name`'s password from `addr` under the sign-in throttle: a few checks at once, the
/// attempt counted (in the transaction that checks the throttle) before the password is, so
/// parallel attempts cannot all pass first. The caller refunds a right one.
async fn check_password<S: Backend>(
    state: &S,
    checks: &PasswordChecks,
    name: &str,
    addr: &str,
    password: String,
) -> Result<Checked, Refusal> {
    // Password checks cost memory and time: a few at once, the rest are asked to come back.
    let Ok(_permit) = checks.0.try_acquire() else {
        return Ok(Checked::Busy);
    };
    let (who, from) = (name.to_string(), addr.to_string());
    let turn = state
        .ledger(move |l| {
            let now = l.clock().now();
            Ok((l.take_signin_turn(&who, &from)?, now))
        })
        .await?;
    let found = match turn {
        (SignInTurn::Wait(until), now) => {
            return Ok(Checked::Wait((until - now).num_seconds().max(1), until))
        }
        (SignInTurn::Check(found), _) => found.map(|(_, hash)| hash),
    };
    // Hashing takes a moment: off the async threads, and holding no ledger meanwhile.
    let right = tokio::task::spawn_blocking(move || {
        let hash = found.as_deref().unwrap_or(decoy_hash());
        (verify_password(&password, hash) && found.is_some()).then_some(found)
    })
    .await
    .ok()
    .flatten()
    .flatten();
    Ok(right.map_or(Checked::Wrong, Checked::Right))
}

/// The page to change one's password, with `message` on top.
fn password_page(me: &Session, status: StatusCode, message: Option<&str>) -> Response {
    let page = pages::layout(
        "Change password",
        Some(me),
        html! {
            h1 { "Change your password" }
            @if me.must_change_password {
                p.notice role="status" {
                    "You signed in with a one-time password, which someone else has seen. Choose your own to go on."
                }
            }
            @if let Some(m) = message { p.error role="alert" { (m) } }
            form.narrow method="post" action=(PASSWORD) {
                (pages::csrf(me))
                label { "Current password" input name="current" type="password" autocomplete="current-password" required autofocus; }
                label { "New password (" (MIN_PASSWORD_LEN) " characters or more)"
                    input name="new" type="password" autocomplete="new-password" required minlength=(MIN_PASSWORD_LEN); }
                label { "New password again" input name="again" type="password" autocomplete="new-password" required; }
                button { "Change password" }
            }
        },
    );
    (status, page).into_response()
}

pub(super) async fn password_form(Extension(me): Extension<Session>) -> Response {
    password_page(&me, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
pub(super) struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

/// A signed-in person changes their password: the current one checked as a sign-in is
/// (throttled, counted first), the new one twice and within the rules. Their other sessions end;
/// this one goes on, to the dashboard.
pub(super) async fn change_password<S: Backend>(
    State(state): State<S>,
    Extension(checks): Extension<PasswordChecks>,
    Extension(me): Extension<Session>,
    Client { addr, .. }: Client,
    headers: axum::http::HeaderMap,
    form: Result<Form<PasswordForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    let Form(f) = form.map_err(|e| {
        Refusal::bad(format!(
            "the password form does not read: {}",
            e.body_text()
        ))
    })?;
    let refuse = |said: &str| Ok(password_page(&me, StatusCode::BAD_REQUEST, Some(said)));
    if f.current.is_empty() || f.current.len() > MAX_PASSWORD_LEN * 4 {
        return refuse("Give your current password.");
    }
    if let Err(e) = check_new_password(&f.new) {
        return refuse(&format!("The new password will not do: {e}."));
    }
    if f.new != f.again {
        return refuse("The two new passwords differ. Type the same one twice.");
    }
    if f.new == f.current {
        return refuse("The new password is the current one. Choose another.");
    }
    let checked = match check_password(&state, &checks, &me.user, &addr, f.current).await? {
        Checked::Right(hash) => hash,
        Checked::Wrong => {
            let said = "Your current password is wrong. Nothing was changed.";
            return Ok(password_page(&me, StatusCode::UNAUTHORIZED, Some(said)));
        }
        refused => {
            let (status, said, retry) = refused.refusal();
            let mut r = password_page(&me, status, Some(&said));
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry));
            return Ok(r);
        }
    };
    let new = f.new;
    let hash = tokio::task::spawn_blocking(move || hash_password(&new))
        .await
        .map_err(|e| Refusal::Bad(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| Refusal::Bad(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let keep = super::session_token(&headers)
        .map(|t| token_hash(&t))
        .unwrap_or_default();
    let user = me.user.clone();
    state
        .ledger(move |l| l.change_password(&user, &addr, &checked, &hash, &keep))
        .await?;
    Ok(Redirect::to(ROOT).into_response())
}

pub(super) async fn sign_out<S: Backend>(
    State(state): State<S>,
    Extension(_me): Extension<Session>,
    client: Client,
    headers: axum::http::HeaderMap,
) -> Result<Response, Refusal> {
    if let Some(token) = super::session_token(&headers) {
        let hash = token_hash(&token);
        state.ledger(move |l| l.end_session(&hash)).await?;
    }
    let mut r = Redirect::to(SIGN_IN).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, ROOT, "", 0, client.https),
    );
    Ok(r)
}

/// A cookie of the console: HttpOnly, SameSite=Strict, for `path`, Secure when the browser
/// reached us over https (TLS here, or a trusted proxy that says so; see [`Client`]).
fn cookie(name: &str, path: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("lotkeeper_session=; Max-Age=0"))
}

/// How long a session lasts, said plainly (the sign-in page's footer).
pub(super) fn session_rule() -> String {
    format!("A session ends after {SESSION_HOURS} h, or {IDLE_MINUTES} min unused.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_checks_against_its_hash_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn new_passwords_are_long_enough_and_differ() {
        let (a, b) = (new_password(), new_password());
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        check_new_password(&a).unwrap();
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("twelve chars\nx").is_err());
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_under_tls() {
        let c = cookie(SESSION_COOKIE, ROOT, "t", 60, true);
        let c = c.to_str().unwrap();
        for part in [
            "lotkeeper_session=t",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
            "Path=/console",
        ] {
            assert!(c.contains(part), "{c}");
        }
        assert!(!cookie(SESSION_COOKIE, ROOT, "t", 60, false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
