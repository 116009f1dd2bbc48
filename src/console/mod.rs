//! The back office in a browser (feature `console`): pages made on the server with maud, served
//! by `lotkeeper serve` under `/console` on the same port and TLS as `/v1`.
//!
//! People sign in with accounts the command line makes (`lotkeeper user add`); a session lives in
//! an HttpOnly, SameSite=Strict cookie (Secure but on plain-HTTP loopback) whose token only the ledger's hash of
//! it is kept of. [`routes`] lists every route with what it needs, and one guard in front of
//! every route checks, in this order: a live session (none: to the sign-in page), the form's CSRF
//! token on every POST (missing or wrong: 403), a one-time password (not changed yet: to the
//! page that changes it, nothing done), the role (too low: 403). Handlers then change
//! nothing but through the ledger functions the command line and `/v1` call too, with the
//! person's name as the actor (`console:NAME`).
//!
//! The console does not know the server: it reaches a ledger through [`Backend`], which the
//! server implements with its pool, so the server merges this router and nothing points back.

mod auth;
mod conflicts;
mod data;
mod devices;
mod import;
mod pages;
mod reports;
mod svg;

use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use maud::html;
use std::future::Future;

use crate::ledger::users::{Role, Session};
use crate::ledger::{Error as LedgerError, Ledger};

pub use auth::{check_new_password, hash_password, new_password};

/// Where the console lives on the server.
pub const ROOT: &str = "/console";
/// The sign-in page, where a request without a live session is sent.
pub const SIGN_IN: &str = "/console/sign-in";
/// Where a person changes their password; the only page for one still on a one-time password.
pub const PASSWORD: &str = "/console/password";
/// Signing out.
pub const SIGN_OUT: &str = "/console/sign-out";
/// The cookie that carries the session token.
pub const SESSION_COOKIE: &str = "lotkeeper_session";
/// The cookie that carries the sign-in form's own token: a sign-in must come from our form
/// (no one signs a browser in to an account of theirs from another site).
pub const SIGN_IN_COOKIE: &str = "lotkeeper_signin";
/// The sign-in form's field that repeats that token.
pub const SIGN_IN_FIELD: &str = "signin";
/// The form field that carries the session's CSRF token.
pub const CSRF_FIELD: &str = "csrf";
/// The largest form the console reads (a POST body; an import's CSV is one).
pub const MAX_FORM: usize = 4 << 20;

/// What the console needs of the server: a ledger to run a closure on, and whether the browser
/// reaches it over TLS.
pub trait Backend: Clone + Send + Sync + 'static {
    /// Runs `f` on one of the server's ledgers, off the async threads.
    fn ledger<T, F>(&self, f: F) -> impl Future<Output = Result<T, Failure>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut Ledger) -> crate::ledger::Result<T> + Send + 'static;
    /// Cookies are marked Secure: the server serves TLS itself, or plain HTTP on an address
    /// other than loopback (behind a proxy that ends TLS). (A trusted proxy saying the browser
    /// used https makes them Secure too.)
    fn secure_cookies(&self) -> bool;
    /// Whether a connection from `peer` is a proxy whose X-Forwarded-For and X-Forwarded-Proto
    /// are believed (`serve --trusted-proxy`); no one else's are.
    fn trusts_proxy(&self, peer: std::net::IpAddr) -> bool;
}

/// Why a ledger call did not answer.
#[derive(Debug)]
pub enum Failure {
    /// The ledger said no, or failed.
    Ledger(LedgerError),
    /// No ledger was free, or the database is out of reach: nothing was done.
    Busy(String),
}

impl From<LedgerError> for Failure {
    fn from(e: LedgerError) -> Self {
        Failure::Ledger(e)
    }
}

/// What a console request answers when it does not do what was asked: a page that says why.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// No live session: to the sign-in page.
    SignIn,
    /// A session on a one-time password, anywhere but its page: to that page, nothing done.
    ChangePassword,
    /// Signed in, but not allowed (role, CSRF token).
    Forbidden(String),
    /// The request is malformed or names something that does not exist.
    Bad(StatusCode, String),
    Failure(Failure),
}

impl From<Failure> for Refusal {
    fn from(f: Failure) -> Self {
        Refusal::Failure(f)
    }
}

impl From<LedgerError> for Refusal {
    fn from(e: LedgerError) -> Self {
        Refusal::Failure(Failure::Ledger(e))
    }
}

impl Refusal {
    pub(crate) fn bad(message: impl Into<String>) -> Refusal {
        Refusal::Bad(StatusCode::BAD_REQUEST, message.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            Refusal::SignIn => return Redirect::to(SIGN_IN).into_response(),
            Refusal::ChangePassword => return Redirect::to(PASSWORD).into_response(),
            Refusal::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            Refusal::Bad(s, m) => (s, m),
            Refusal::Failure(Failure::Busy(m)) => (StatusCode::SERVICE_UNAVAILABLE, m),
            Refusal::Failure(Failure::Ledger(e)) => match e {
                LedgerError::NotFound(m) => (StatusCode::NOT_FOUND, m),
                LedgerError::Invalid(m) => (StatusCode::BAD_REQUEST, m),
                LedgerError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
                LedgerError::Refused { message, .. } => (StatusCode::UNPROCESSABLE_ENTITY, message),
                LedgerError::Unsupported(m) => (StatusCode::NOT_IMPLEMENTED, m),
                LedgerError::Unavailable(_) | LedgerError::Disconnected(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is busy or out of reach; nothing was changed, try again".into(),
                ),
                other => {
                    eprintln!("console error: {other}");
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal error; see the server's log".into(),
                    )
                }
            },
        };
        let body = pages::layout(
            "Not done",
            None,
            html! {
                h1 { "Not done" }
                p.error { (message) }
                p { a href=(ROOT) { "Back to the dashboard" } }
            },
        );
        (status, body).into_response()
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone (the sign-in page, the style sheet).
    Public,
    /// A signed-in person of at least this role.
    At(Role),
}

/// One route: path, method, who may call it, handler.
pub type Route<S> = (&'static str, Method, Need, MethodRouter<S>);

/// Every route of the console. [`router`] is built from this list, and the tests walk it.
pub fn routes<S: Backend>() -> Vec<Route<S>> {
    use Need::*;
    use Role::*;
    vec![
        ("/console/style.css", Method::GET, Public, get(pages::style)),
        (import::SCRIPT, Method::GET, Public, get(import::script)),
        (SIGN_IN, Method::GET, Public, get(auth::sign_in_form)),
        (
            SIGN_IN,
            Method::POST,
            Public,
            post(auth::sign_in::<S>)
                .layer(axum::extract::DefaultBodyLimit::max(auth::MAX_SIGN_IN_FORM)),
        ),
        (
            SIGN_OUT,
            Method::POST,
            At(Viewer),
            post(auth::sign_out::<S>),
        ),
        (PASSWORD, Method::GET, At(Viewer), get(auth::password_form)),
        (
            PASSWORD,
            Method::POST,
            At(Viewer),
            post(auth::change_password::<S>)
                .layer(axum::extract::DefaultBodyLimit::max(auth::MAX_SIGN_IN_FORM)),
        ),
        (ROOT, Method::GET, At(Viewer), get(pages::dashboard::<S>)),
        (
            "/console/lot",
            Method::GET,
            At(Viewer),
            get(pages::lot::<S>),
        ),
        (
            "/console/lot/hold",
            Method::POST,
            At(Supervisor),
            post(pages::hold::<S>),
        ),
        (
            "/console/lot/release",
            Method::POST,
            At(Supervisor),
            post(pages::release::<S>),
        ),
        (
            "/console/recall",
            Method::GET,
            At(Viewer),
            get(pages::recall::<S>),
        ),
        (
            "/console/recall/start",
            Method::POST,
            At(Supervisor),
            post(pages::recall_start::<S>),
        ),
        (
            "/console/recall/close",
            Method::POST,
            At(Supervisor),
            post(pages::recall_close::<S>),
        ),
        (
            "/console/recall/package.json",
            Method::GET,
            At(Viewer),
            get(pages::recall_package::<S>),
        ),
        (
            "/console/recall/fsma204.xlsx",
            Method::GET,
            At(Viewer),
            get(pages::recall_fsma::<S>),
        ),
        (
            "/console/recall/epcis.json",
            Method::GET,
            At(Viewer),
            get(pages::recall_epcis::<S>),
        ),
        (
            "/console/devices",
            Method::GET,
            At(Viewer),
            get(devices::list::<S>),
        ),
        (
            "/console/devices/add",
            Method::POST,
            At(Supervisor),
            post(devices::add::<S>),
        ),
        (
            "/console/devices/enroll-code",
            Method::POST,
            At(Supervisor),
            post(devices::enroll_code::<S>),
        ),
        (
            "/console/devices/revoke",
            Method::POST,
            At(Supervisor),
            post(devices::revoke::<S>),
        ),
        (
            conflicts::PAGE,
            Method::GET,
            At(Viewer),
            get(conflicts::list::<S>),
        ),
        (
            "/console/conflicts/resolve",
            Method::POST,
            At(Supervisor),
            post(conflicts::resolve::<S>),
        ),
        (
            "/console/data",
            Method::GET,
            At(Viewer),
            get(data::page::<S>),
        ),
        (
            "/console/reports",
            Method::GET,
            At(Viewer),
            get(reports::page::<S>),
        ),
        (
            "/console/reports/download",
            Method::GET,
            At(Viewer),
            get(reports::download::<S>),
        ),
        (
            "/console/exports/fsma204.xlsx",
            Method::GET,
            At(Viewer),
            get(reports::fsma::<S>),
        ),
        (
            "/console/exports/epcis.json",
            Method::GET,
            At(Viewer),
            get(reports::epcis::<S>),
        ),
        (
            "/console/import",
            Method::GET,
            At(Supervisor),
            get(import::form::<S>),
        ),
        (
            "/console/import",
            Method::POST,
            At(Supervisor),
            post(import::import::<S>),
        ),
        (
            "/console/users",
            Method::GET,
            At(Admin),
            get(pages::users::<S>),
        ),
        (
            "/console/users/add",
            Method::POST,
            At(Admin),
            post(pages::user_add::<S>),
        ),
        (
            "/console/users/remove",
            Method::POST,
            At(Admin),
            post(pages::user_remove::<S>),
        ),
    ]
}

/// The console's router, each route behind the guard for what it needs, every answer with the
/// console's security headers.
pub fn router<S: Backend>(state: S) -> Router<S> {
    let mut r = Router::new();
    for (path, _, need, handler) in routes::<S>() {
        let guarded = handler.route_layer(middleware::from_fn_with_state(
            (state.clone(), need),
            guard::<S>,
        ));
        r = r.route(path, guarded);
    }
    r.layer(axum::Extension(auth::PasswordChecks::new()))
        .layer(middleware::from_fn(security_headers))
}

/// The console's pages load nothing but its own style sheet and script files: no inline script
/// or style, no frame, forms posted only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers on every console answer: not kept by caches (one-time passwords and enrollment codes
/// are on pages; the style sheet says its own), not framed, not sniffed, no referrer elsewhere,
/// and the content security policy.
async fn security_headers(req: Request, next: Next) -> Response {
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    r
}

/// The value of the cookie `name` a request carries, if any and not empty.
fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// The session token a request's cookie carries, if any.
fn session_token(headers: &axum::http::HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// Only the CSRF token of a form; the handler reads the rest.
#[derive(serde::Deserialize)]
struct CsrfOnly {
    csrf: Option<String>,
}

/// In front of every route: the session, the CSRF token of a POST, the role. The live session
/// goes to the handler as an extension.
async fn guard<S: Backend>(
    State((state, need)): State<(S, Need)>,
    req: Request,
    next: Next,
) -> Result<Response, Refusal> {
    let Need::At(role) = need else {
        return Ok(next.run(req).await);
    };
    let Some(token) = session_token(req.headers()) else {
        return Err(Refusal::SignIn);
    };
    let hash = auth::token_hash(&token);
    let session = state
        .ledger(move |l| l.touch_session(&hash))
        .await?
        .ok_or(Refusal::SignIn)?;
    let mut req = if req.method() == Method::POST {
        let (parts, body) = req.into_parts();
        let bytes = axum::body::to_bytes(body, MAX_FORM).await.map_err(|_| {
            Refusal::Bad(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("a form has at most {MAX_FORM} bytes"),
            )
        })?;
        let probe = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
        let sent = axum::Form::<CsrfOnly>::from_request(probe, &())
            .await
            .ok()
            .and_then(|f| f.0.csrf);
        if !sent.is_some_and(|s| auth::same_secret(&s, &session.csrf)) {
            return Err(Refusal::Forbidden(
                "this form is stale or did not come from this console (its security token is missing or wrong); nothing was changed. Open the page again and resend".into(),
            ));
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        req
    };
    // A one-time password is changed before anything else (signing out aside).
    if session.must_change_password && ![PASSWORD, SIGN_OUT].contains(&req.uri().path()) {
        return Err(Refusal::ChangePassword);
    }
    if session.role < role {
        return Err(Refusal::Forbidden(format!(
            "{} is signed in as {}, and this needs {role}; nothing was changed",
            session.user, session.role
        )));
    }
    req.extensions_mut().insert(session);
    Ok(next.run(req).await)
}

/// The name the ledger records for a change a person made in the console.
pub fn actor(session: &Session) -> String {
    format!("console:{}", session.user)
}

/// Text for a URL's query: everything but unreserved characters percent-encoded.
pub(crate) fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_text_is_percent_encoded() {
        assert_eq!(enc("L 1/2&x=ü"), "L%201%2F2%26x%3D%C3%BC");
        assert_eq!(enc("PARA-01_a.b~"), "PARA-01_a.b~");
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let mut h = axum::http::HeaderMap::new();
        h.append(
            header::COOKIE,
            "a=1; lotkeeper_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(session_token(&h).as_deref(), Some("abc"));
        let mut h = axum::http::HeaderMap::new();
        h.append(header::COOKIE, "lotkeeper_session=".parse().unwrap());
        assert_eq!(session_token(&h), None);
    }
}
