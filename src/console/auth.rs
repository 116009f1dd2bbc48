//! Passwords, session tokens, signing in and out.
//!
//! Passwords are argon2id PHC strings (the argon2 crate's defaults: 19 MiB, 2 passes), salted
//! with 16 bytes from `ledger::clock`. A session token is 244 random bits, given to the browser
//! once in its cookie; the ledger keeps its SHA-256. Sign-in is throttled per user name and per
//! client address by the ledger (`users::MAX_FAILURES`, then `LOCKOUT_MINUTES`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Extension, State};
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use std::net::SocketAddr;

use super::{
    pages, Backend, Refusal, ROOT, SESSION_COOKIE, SIGN_IN, SIGN_IN_COOKIE, SIGN_IN_FIELD,
};
use crate::ledger::clock::new_random_id;
use crate::ledger::users::{self, Session, IDLE_MINUTES, SESSION_HOURS};

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

/// The client's address, as the server's accept loop saw it ("unknown" when none was given, as
/// in tests that call the router directly).
pub(super) struct ClientAddr(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string()),
        ))
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

pub(super) async fn sign_in_form<S: Backend>(State(state): State<S>) -> Response {
    sign_in_page(StatusCode::OK, None, "", state.secure_cookies())
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

/// What the ledger says before a password is checked.
enum Before {
    /// Throttled: open again at this time, this many seconds from now.
    Wait(chrono::DateTime<chrono::Utc>, i64),
    /// The account's hash, if the name is known.
    Check(Option<String>),
}

/// How many sign-ins may check a password at once (argon2 takes about 19 MiB and tens of
/// milliseconds each); more are answered 503 rather than queued.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The largest sign-in form read: a name, a password and the form's token.
pub(super) const MAX_SIGN_IN_FORM: usize = 4096;

pub(super) async fn sign_in<S: Backend>(
    State(state): State<S>,
    ClientAddr(addr): ClientAddr,
    headers: axum::http::HeaderMap,
    form: Result<Form<SignInForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    let Form(f) = form
        .map_err(|e| Refusal::bad(format!("the sign-in form does not read: {}", e.body_text())))?;
    let secure = state.secure_cookies();
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
    // Password checks cost memory and time: a few at once, the rest are asked to come back.
    let Ok(_permit) = PASSWORD_CHECKS.try_acquire() else {
        let said = "The server is busy. Try again in a moment.";
        let mut r = sign_in_page(StatusCode::SERVICE_UNAVAILABLE, Some(said), &name, secure);
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(2));
        return Ok(r);
    };
    let keys = users::throttle_keys(&name, &addr);
    let (who, k) = (name.clone(), keys.clone());
    let before = state
        .ledger(move |l| {
            if let Some(until) = l.signin_blocked_until(&k)? {
                let secs = (until - l.clock().now()).num_seconds().max(1);
                return Ok(Before::Wait(until, secs));
            }
            Ok(Before::Check(l.user_credentials(&who)?.map(|(_, h)| h)))
        })
        .await?;
    let found = match before {
        Before::Wait(until, secs) => {
            let message = format!(
                "Too many failed sign-ins. Try again after {} UTC.",
                until.format("%H:%M")
            );
            let mut r = sign_in_page(StatusCode::TOO_MANY_REQUESTS, Some(&message), &name, secure);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return Ok(r);
        }
        Before::Check(found) => found,
    };
    // Hashing takes a moment: off the async threads, and holding no ledger meanwhile.
    let password = f.password;
    let right = tokio::task::spawn_blocking(move || {
        let hash = found.as_deref().unwrap_or(decoy_hash());
        verify_password(&password, hash) && found.is_some()
    })
    .await
    .unwrap_or(false);
    let who = name.clone();
    let token = right.then(new_token);
    let kept = token.as_ref().map(|t| token_hash(t));
    state
        .ledger(move |l| match kept {
            Some(hash) => l.start_session(&who, &hash, &new_token()),
            None => l.record_signin_failure(&keys),
        })
        .await?;
    match token {
        Some(token) => {
            let mut r = Redirect::to(ROOT).into_response();
            let c = cookie(SESSION_COOKIE, ROOT, &token, SESSION_HOURS * 3600, secure);
            r.headers_mut().insert(header::SET_COOKIE, c);

            Ok(r)
        }
        None => Ok(sign_in_page(
            StatusCode::UNAUTHORIZED,
            Some("Wrong name or password."),
            &name,
            secure,
        )),
    }
}

pub(super) async fn sign_out<S: Backend>(
    State(state): State<S>,
    Extension(_me): Extension<Session>,
    headers: axum::http::HeaderMap,
) -> Result<Response, Refusal> {
    if let Some(token) = super::session_token(&headers) {
        let hash = token_hash(&token);
        state.ledger(move |l| l.end_session(&hash)).await?;
    }
    let mut r = Redirect::to(SIGN_IN).into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        cookie(SESSION_COOKIE, ROOT, "", 0, state.secure_cookies()),
    );
    Ok(r)
}

/// A cookie of the console: HttpOnly, SameSite=Strict, for `path`, Secure under TLS.
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
