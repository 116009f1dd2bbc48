//! `lotkeeper serve`: the back-office server, axum over the same ledger engine, so every movement
//! a device pushes is checked by the same rules. [`app`] builds the whole server; tests run it on
//! loopback.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Extension, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::enroll::{code_hash as enroll_code_hash, EnrollRequest, EnrollResponse};
use super::wire::*;
use super::{hash_token, new_token, OPENAPI};
use crate::ledger::conflicts::{DeviceContact, MAX_RESOLUTIONS};
use crate::ledger::lots::LotChange;
use crate::ledger::replica::{BatchSizes, Record, SiteScope};
use crate::ledger::reports::ExpiryFilter;
use crate::ledger::{Error as LedgerError, Ledger};

/// What the server allows one client.
#[derive(Debug, Clone)]
pub struct Limits {
    /// A connection that has not sent a whole request head within this is closed (a client that
    /// opens connections and never finishes its headers ties nothing up for long).
    pub header_read_timeout: Duration,
    /// Requests one device may have running at once; beyond, 429 with Retry-After. A device syncs
    /// one request at a time, so a few leave room for a retry while an old request finishes.
    pub per_device: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            per_device: 4,
        }
    }
}

/// Seconds a device is told to wait (Retry-After) when it has too many requests running.
pub const RETRY_AFTER_SECS: u64 = 2;

/// The code of a 503 for a database that cannot be reached.
const UNAVAILABLE: &str = "unavailable";

/// How long a request waits for a free database connection before it is answered 503.
pub const POOL_WAIT: Duration = Duration::from_secs(10);

/// Connections a server keeps to PostgreSQL: requests read at once on them, and write in turn
/// (the ledger's writers take turns on the database, also across servers).
pub const PG_CONNECTIONS: usize = 4;

/// The ledgers requests run on: SQLite's one (its one writer), or a few PostgreSQL connections,
/// opened as needed. A request waits at most [`POOL_WAIT`] for one, then gets a 503. A ledger
/// whose connection broke is not kept: the next request connects again.
struct Pool {
    idle: Mutex<Vec<Ledger>>,
    slots: Arc<Semaphore>,
    /// Opens one more ledger (PostgreSQL); none for a ledger that cannot be opened twice.
    open: Option<Box<dyn Fn() -> crate::ledger::Result<Ledger> + Send + Sync>>,
}

/// A ledger lent to one request, back in the pool when it ends (also when it panics).
struct Lease {
    ledger: Option<Ledger>,
    pool: Arc<Pool>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Lease {
    fn drop(&mut self) {
        // A broken ledger is dropped when the pool can open another; otherwise it is kept and
        // connected again when next lent.
        if let Some(l) = self
            .ledger
            .take()
            .filter(|l| !l.is_broken() || self.pool.open.is_none())
        {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(l);
        }
    }
}

impl Pool {
    /// A ledger for one request: an idle one, or a new connection.
    fn lend(self: &Arc<Pool>, slot: OwnedSemaphorePermit) -> crate::ledger::Result<Lease> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let ledger = match (idle, &self.open) {
            (Some(mut l), _) => {
                // Broken and not replaceable (a ledger given whole): connect it again, or keep
                // it for the next request to try.
                if l.is_broken() {
                    if let Err(e) = l.reconnect() {
                        self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(l);
                        return Err(e);
                    }
                }
                l
            }
            (None, Some(open)) => open()?,
            (None, None) => return Err(crate::ledger::Error::Disconnected(
                "the server's database is not open (an earlier request failed): restart the server"
                    .into(),
            )),
        };
        Ok(Lease {
            ledger: Some(ledger),
            pool: self.clone(),
            _slot: slot,
        })
    }
}

/// The server's state: its ledgers, and the requests each device has running.
#[derive(Clone)]
pub struct AppState {
    pool: Arc<Pool>,
    /// The ledger's clock, so answers are stamped without waiting for the ledger's lock.
    clock: Arc<dyn crate::ledger::Clock>,
    running: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    per_device: usize,
    /// The console's cookies are marked Secure (see [`cookies_secure`]).
    secure_cookies: bool,
    /// Proxies whose X-Forwarded-For and X-Forwarded-Proto the console believes.
    trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

impl AppState {
    pub fn new(ledger: Ledger) -> AppState {
        AppState::with_limits(ledger, &Limits::default())
    }

    pub fn with_limits(ledger: Ledger, limits: &Limits) -> AppState {
        AppState::pooled(ledger, None, 1, limits)
    }

    /// `first` and up to `size` ledgers in all, more of them made by `open` as requests need.
    fn pooled(
        first: Ledger,
        open: Option<Box<dyn Fn() -> crate::ledger::Result<Ledger> + Send + Sync>>,
        size: usize,
        limits: &Limits,
    ) -> AppState {
        AppState {
            clock: first.shared_clock(),
            pool: Arc::new(Pool {
                idle: Mutex::new(vec![first]),
                slots: Arc::new(Semaphore::new(size.max(1))),
                open,
            }),
            running: Arc::default(),
            per_device: limits.per_device.max(1),
            secure_cookies: false,
            trusted_proxies: Arc::default(),
        }
    }

    /// Says whether the console's cookies are Secure whatever a proxy says ([`cookies_secure`]:
    /// under TLS, or plain HTTP on an address other than loopback).
    pub fn with_secure_cookies(mut self, secure: bool) -> AppState {
        self.secure_cookies = secure;
        self
    }

    /// The proxies in front of this server (their addresses as connections come from them): the
    /// console takes the client's address from their X-Forwarded-For, and https from their
    /// X-Forwarded-Proto. Anyone else's headers are ignored.
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> AppState {
        self.trusted_proxies = Arc::new(proxies.into_iter().map(|p| p.to_canonical()).collect());
        self
    }

    /// A place for one more request of `device`, or 429.
    fn admit(&self, device: &str) -> ApiResult<OwnedSemaphorePermit> {
        let slots = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(device.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_device)))
            .clone();
        slots.try_acquire_owned().map_err(|_| ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: format!(
                "device {device} already has {} requests running; retry in {RETRY_AFTER_SECS} s",
                self.per_device
            ),
            code: Some("busy"),
            retry_after: Some(RETRY_AFTER_SECS),
        })
    }
}

/// One error type for every handler: a status and a message safe to show.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    code: Option<&'static str>,
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            code: None,
            retry_after: None,
        }
    }

    /// A request in a protocol this server does not speak, or with a field its protocol lacks.
    fn protocol(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code: Some(PROTOCOL),
            ..ApiError::new(status, message)
        }
    }

    fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            LedgerError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            LedgerError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, m),
            LedgerError::Refused { message, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
            // Nothing was committed: the device keeps its movements and tries again later.
            LedgerError::Unavailable(m) => {
                eprintln!("server error: {m}");
                ApiError {
                    retry_after: Some(RETRY_AFTER_SECS),
                    code: Some("busy"),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the server's database is busy; nothing was recorded, try again later",
                    )
                }
            }
            LedgerError::Disconnected(m) => {
                eprintln!("server error: {m}");
                ApiError {
                    retry_after: Some(RETRY_AFTER_SECS),
                    code: Some(UNAVAILABLE),
                    ..ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "the server's database cannot be reached; nothing was recorded, try again later",
                    )
                }
            }
            LedgerError::Unsupported(m) => ApiError::new(StatusCode::NOT_IMPLEMENTED, m),
            other => {
                eprintln!("server error: {other}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server's log",
                )
            }
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::bad(format!("bad query parameters: {}", e.body_text()))
    }
}

impl From<BytesRejection> for ApiError {
    fn from(e: BytesRejection) -> Self {
        let status = e.status();
        let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
            format!("a request body has at most {MAX_BODY} bytes")
        } else {
            format!("cannot read the request body: {}", e.body_text())
        };
        ApiError::new(status, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(ErrorBody {
                error: self.message,
                code: self.code.map(String::from),
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// The console reaches the ledger through the server's pool, as `/v1` does.
#[cfg(feature = "console")]
impl crate::console::Backend for AppState {
    fn ledger<T, F>(
        &self,
        f: F,
    ) -> impl std::future::Future<Output = Result<T, crate::console::Failure>> + Send
    where
        T: Send + 'static,
        F: FnOnce(&mut Ledger) -> crate::ledger::Result<T> + Send + 'static,
    {
        let state = self.clone();
        async move {
            match with_ledger(&state, move |l| Ok(f(l))).await {
                Ok(answer) => answer.map_err(crate::console::Failure::Ledger),
                Err(e) => Err(crate::console::Failure::Busy(e.message)),
            }
        }
    }

    fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    fn trusts_proxy(&self, peer: std::net::IpAddr) -> bool {
        self.trusted_proxies.contains(&peer.to_canonical())
    }
}

/// Runs `f` on a ledger of the pool, on the blocking threads (database calls block). No ledger
/// free within [`POOL_WAIT`]: 503, as when the database cannot be reached.
async fn with_ledger<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Ledger) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let pool = state.pool.clone();
    let slot = tokio::time::timeout(POOL_WAIT, pool.slots.clone().acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| ApiError {
            retry_after: Some(RETRY_AFTER_SECS),
            code: Some("busy"),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server's database had no free connection for {} s; try again later",
                    POOL_WAIT.as_secs()
                ),
            )
        })?;
    tokio::task::spawn_blocking(move || {
        let mut lease = pool.lend(slot)?;
        let l = lease.ledger.as_mut().expect("lent");
        let out = f(l);
        let lost = matches!(&out, Err(e) if e.code == Some(UNAVAILABLE));
        if (lost || l.is_broken()) && pool.open.is_some() {
            // The database went away (or restarted): this connection and the idle ones are as
            // dead as each other, so the next requests connect afresh rather than fail one by one.
            lease.ledger = None;
            // Closed outside the lock: closing may wait on a dead socket.
            let idle = std::mem::take(&mut *pool.idle.lock().unwrap_or_else(|e| e.into_inner()));
            drop(idle);
        }
        out
    })
    .await
    .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?
}

/// The device a request's bearer token belongs to; 401 otherwise (with code `revoked` when the
/// token was revoked, so the device can say so).
async fn authenticate(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing bearer token: enroll the device first",
            )
        })?;
    let hash = hash_token(token);
    // Notes the contact too (a write a minute at most), for the console's fleet.
    let found = with_ledger(state, move |l| Ok(l.device_contact(&hash)?)).await?;
    if let Some(DeviceContact {
        name,
        unnoted: Some(e),
        ..
    }) = &found
    {
        // Only the console's fleet misses it: the device is still who it is.
        eprintln!("cannot note that {name} reached the server: {e}");
    }
    match found.map(|c| (c.name, c.revoked)) {
        Some((name, None)) => Ok(name),
        Some((name, Some(at))) => Err(ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: format!(
                "device {name} was revoked on {at}: ask the back office to enroll this device again"
            ),
            code: Some(REVOKED),
            retry_after: None,
        }),
        None => Err(ApiError::new(StatusCode::UNAUTHORIZED, "unknown token")),
    }
}

/// The protocol a request speaks (see `wire`): from its header, checked before anything else.
#[derive(Debug, Clone, Copy)]
struct Protocol(u32);

/// In front of every route: the request's protocol is one this server speaks, or the answer is a
/// 4xx naming the ones it does (426 to a device too old, 400 to one newer than the server); the
/// answer names the protocol it is in.
async fn negotiate(mut req: Request, next: Next) -> Response {
    // One value: two different ones are a malformed request, not a choice.
    let values: Vec<_> = req.headers().get_all(PROTOCOL_HEADER).iter().collect();
    let asked = match values.as_slice() {
        [] => None,
        [v, rest @ ..] if rest.iter().all(|r| r == v) => Some(
            v.to_str()
                .ok()
                .filter(|t| !t.trim().is_empty() && t.trim().bytes().all(|b| b.is_ascii_digit()))
                // A number too big for u32 is still a protocol newer than this server.
                .map(|t| t.trim().parse::<u32>().unwrap_or(u32::MAX)),
        ),
        _ => Some(None),
    };
    let speaks = format!("this server speaks lotkeeper protocol {OLDEST} to {VERSION}");
    let protocol = match asked {
        None => 1,
        Some(Some(n)) if (OLDEST..=VERSION).contains(&n) => n,
        Some(Some(n)) if n < OLDEST => {
            let message = format!(
                "this device speaks lotkeeper protocol {n}, and {speaks}: update lotkeeper on this device"
            );
            let mut r = ApiError::protocol(StatusCode::UPGRADE_REQUIRED, message).into_response();
            r.headers_mut().insert(
                header::UPGRADE,
                HeaderValue::from_str(&format!("lotkeeper-protocol/{VERSION}"))
                    .expect("a header value"),
            );
            return r;
        }
        Some(Some(n)) => {
            let message = format!(
                "this device speaks lotkeeper protocol {n}, and {speaks}: update the server first"
            );
            return ApiError::protocol(StatusCode::BAD_REQUEST, message).into_response();
        }
        Some(None) => {
            return ApiError::protocol(
                StatusCode::BAD_REQUEST,
                format!("the Lotkeeper-Protocol header is one whole number, sent once; {speaks}"),
            )
            .into_response()
        }
    };
    req.extensions_mut().insert(Protocol(protocol));
    let mut r = next.run(req).await;
    r.headers_mut()
        .insert(PROTOCOL_HEADER, HeaderValue::from(protocol));
    r
}

/// The authenticated device of a request.
#[derive(Debug, Clone)]
struct DeviceName(String);

/// In front of every route that needs a device: the token is checked from the headers alone,
/// before any body is read, and the device gets a place among its running requests (429 beyond).
async fn require_device(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> ApiResult<Response> {
    let device = authenticate(&state, req.headers()).await?;
    let _running = state.admit(&device)?;
    req.extensions_mut().insert(DeviceName(device));
    Ok(next.run(req).await)
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad(format!("malformed request body: {e}")))
}

fn server_time(state: &AppState) -> Option<String> {
    Some(crate::ledger::clock::timestamp(state.clock.now()))
}

async fn health(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(
        serde_json::json!({"status": "ok", "protocol": VERSION, "oldest_protocol": OLDEST, "version": env!("CARGO_PKG_VERSION"), "server_time": server_time(&state)}),
    )
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// A one-time enrollment code for the device's name and a fresh token. Public: the code is the
/// credential. The token is made here and shown once; only its hash is kept.
async fn enroll(State(state): State<AppState>, body: Bytes) -> ApiResult<Json<EnrollResponse>> {
    let req: EnrollRequest = parse_json(&body)?;
    let hash = enroll_code_hash(&req.code)
        .ok_or_else(|| ApiError::bad("code: 12 letters and digits, like 7KQ2-M9XD-4TVA"))?;
    let token = new_token();
    let token_hash = hash_token(&token);
    let device = with_ledger(&state, move |l| {
        Ok(l.redeem_enrollment_code(&hash, &token_hash)?)
    })
    .await?;
    Ok(Json(EnrollResponse { device, token }))
}

async fn whoami(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
) -> ApiResult<Json<serde_json::Value>> {
    // The tag the device puts in the lot codes it generates, and the block of SSCC serial
    // references it allocates pallet labels from, both handed out on first ask.
    let name = device.clone();
    // And the identity of the log it pulls from, which a restore from a backup changes.
    let (tag, sscc, log, replaces) = with_ledger(&state, move |l| {
        Ok((
            l.device_lot_tag(&name)?,
            l.device_sscc_assignment(&name)?,
            l.log_id()?,
            l.log_replaces()?,
        ))
    })
    .await?;
    Ok(Json(serde_json::json!({
        "device": device, "lot_tag": tag, "sscc": sscc, "log": log, "log_replaces": replaces
    })))
}

/// The checks the wire can make before the ledger's rules: who made each movement, ids, dates.
fn check_pushed(device: &str, m: &WireMovement) -> ApiResult<()> {
    if m.device != device {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("movement {} says it was made by {}, but this is {device}: a device pushes only as itself", m.id, m.device),
        ));
    }
    for (what, id) in [("id", &m.id), ("batch_id", &m.batch_id)] {
        if uuid::Uuid::parse_str(id).is_err() {
            return Err(ApiError::bad(format!(
                "movement {what} '{id}' is not a UUID"
            )));
        }
    }
    if chrono::DateTime::parse_from_rfc3339(&m.created_at).is_err() {
        return Err(ApiError::bad(format!(
            "movement {}: created_at '{}' is not an RFC 3339 date and time like 2026-06-15T09:30:00Z",
            m.id,
            m.created_at.chars().take(40).collect::<String>()
        )));
    }
    if !(1..=crate::ledger::MAX_QTY).contains(&m.qty) {
        return Err(ApiError::bad(format!(
            "movement {}: qty {} is not between 1 and {}",
            m.id,
            m.qty,
            crate::ledger::MAX_QTY
        )));
    }
    if m.batch_size.is_some_and(|n| n == 0 || n > MAX_PUSH) {
        return Err(ApiError::bad(format!(
            "movement {}: batch_size is between 1 and {MAX_PUSH}",
            m.id
        )));
    }
    Ok(())
}

async fn push(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    Extension(Protocol(protocol)): Extension<Protocol>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<PushResponse>> {
    let req: PushRequest = parse_json(&body?)?;
    // A field the protocol does not have is never taken silently (nor dropped).
    if let Some((m, fields)) = req
        .movements
        .iter()
        .map(|m| (m, m.fields_newer_than(protocol)))
        .find(|(_, f)| !f.is_empty())
    {
        let message = format!(
            "movement {} carries {}, which lotkeeper protocol {protocol} does not have: send the {PROTOCOL_HEADER} header ({VERSION})",
            m.id,
            fields.join(", ")
        );
        return Err(ApiError::protocol(StatusCode::BAD_REQUEST, message));
    }
    if req.movements.len() > MAX_PUSH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a push carries at most {MAX_PUSH} movements, not {}",
                req.movements.len()
            ),
        ));
    }
    let mut sizes = BatchSizes::new();
    for m in &req.movements {
        check_pushed(&device, m)?;
        if let Some(n) = m.batch_size {
            if *sizes.entry(m.batch_id.clone()).or_insert(n) != n {
                return Err(ApiError::bad(format!(
                    "the movements of batch {} give different batch sizes",
                    m.batch_id
                )));
            }
        }
    }
    if req.lot_changes.len() > MAX_PUSH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a push carries at most {MAX_PUSH} lot changes, not {}",
                req.lot_changes.len()
            ),
        ));
    }
    for c in &req.lot_changes {
        if uuid::Uuid::parse_str(&c.id).is_err() {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("lot change id '{}' is not a UUID", c.id),
            ));
        }
        if chrono::DateTime::parse_from_rfc3339(&c.created_at).is_err() {
            return Err(ApiError::bad(format!(
                "lot change {}: created_at '{}' is not an RFC 3339 date and time like 2026-06-15T09:30:00Z",
                c.id,
                c.created_at.chars().take(40).collect::<String>()
            )));
        }
    }
    check_resolutions(protocol, &req.conflict_resolutions)?;
    let records: Vec<Record> = req.movements.into_iter().map(Record::from).collect();
    let changes: Vec<LotChange> = req.lot_changes.into_iter().map(LotChange::from).collect();
    let resolutions: Vec<(String, String)> = req
        .conflict_resolutions
        .into_iter()
        .map(|r| (r.id, r.note))
        .collect();
    let (verdicts, lot_verdicts, standing) = with_ledger(&state, move |l| {
        let verdicts = l.accept_batches(&device, &records, &sizes)?;
        // After the movements: a device sends a change with the movements made before it.
        let lot_verdicts = if changes.is_empty() {
            vec![]
        } else {
            l.accept_lot_changes(&device, &changes)?
        };
        let standing = if resolutions.is_empty() {
            vec![]
        } else {
            l.accept_conflict_resolutions(&device, &resolutions)?
        };
        Ok((verdicts, lot_verdicts, standing))
    })
    .await?;
    Ok(Json(PushResponse {
        results: verdicts
            .into_iter()
            .map(|(id, v)| PushResult::from_verdict(id, v))
            .collect(),
        lot_changes: lot_verdicts
            .into_iter()
            .map(|(id, v)| PushResult::from_verdict(id, v))
            .collect(),
        server_time: server_time(&state),
        conflict_resolutions: standing.iter().map(WireResolution::from).collect(),
    }))
}

/// Conflict resolutions a push carries: only in a protocol that has them, at most
/// [`MAX_RESOLUTIONS`], each naming a movement id. Their notes are the ledger's to check.
fn check_resolutions(protocol: u32, resolutions: &[WireResolve]) -> ApiResult<()> {
    if resolutions.is_empty() {
        return Ok(());
    }
    if protocol < RESOLUTIONS {
        return Err(ApiError::protocol(
            StatusCode::BAD_REQUEST,
            format!("conflict_resolutions are not in lotkeeper protocol {protocol}: send the {PROTOCOL_HEADER} header ({VERSION})"),
        ));
    }
    if resolutions.len() as i64 > MAX_RESOLUTIONS {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a push carries at most {MAX_RESOLUTIONS} conflict resolutions, not {}",
                resolutions.len()
            ),
        ));
    }
    if let Some(r) = resolutions
        .iter()
        .find(|r| uuid::Uuid::parse_str(&r.id).is_err())
    {
        return Err(ApiError::bad(format!(
            "conflict resolution id '{}' is not a movement id (a UUID)",
            r.id.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PullParams {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    lot_events_after: i64,
    #[serde(default)]
    master_version: i64,
    limit: Option<i64>,
    /// Protocol 4: the last resolution of its conflicts the device stored.
    resolutions_after: Option<i64>,
    /// Protocol 4: the device's pending movements and open conflicts (both, or neither).
    pending: Option<i64>,
    conflicts: Option<i64>,
}

async fn pull(
    State(state): State<AppState>,
    Extension(Protocol(protocol)): Extension<Protocol>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    params: Result<Query<PullParams>, QueryRejection>,
) -> ApiResult<Json<PullResponse>> {
    let Query(p) = params?;
    let stamp = server_time(&state);
    for (name, v) in [
        ("after", p.after),
        ("lot_events_after", p.lot_events_after),
        ("master_version", p.master_version),
    ] {
        if v < 0 {
            return Err(ApiError::bad(format!(
                "{name} is a position or version, never negative (0 to start)"
            )));
        }
    }
    let limit = p.limit.unwrap_or(MAX_PULL);
    if !(1..=MAX_PULL).contains(&limit) {
        return Err(ApiError::bad(format!("limit is between 1 and {MAX_PULL}")));
    }
    let newer = [
        ("resolutions_after", p.resolutions_after),
        ("pending", p.pending),
        ("conflicts", p.conflicts),
    ];
    if let Some((name, _)) = newer.iter().find(|(_, v)| v.is_some()) {
        if protocol < RESOLUTIONS {
            return Err(ApiError::protocol(
                StatusCode::BAD_REQUEST,
                format!("{name} is not in lotkeeper protocol {protocol}: send the {PROTOCOL_HEADER} header ({VERSION})"),
            ));
        }
    }
    if let Some((name, _)) = newer.iter().find(|(_, v)| v.is_some_and(|n| n < 0)) {
        return Err(ApiError::bad(format!(
            "{name} is a count or position, never negative"
        )));
    }
    let report = match (p.pending, p.conflicts) {
        (Some(pending), Some(conflicts)) => Some((pending, conflicts)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad(
                "pending and conflicts are reported together, or neither",
            ))
        }
    };
    let resolutions_after = (protocol >= RESOLUTIONS).then(|| p.resolutions_after.unwrap_or(0));
    let resp = with_ledger(&state, move |l| {
        // What it asks after, it has stored: the console shows who has a recall. A failure to
        // note it (or what the device reports of itself) costs the device nothing.
        if let Err(e) = l.note_lot_events_seen(&device, p.lot_events_after) {
            eprintln!("cannot note what {device} has of the lot events: {e}");
        }
        if let Some((pending, conflicts)) = report {
            if let Err(e) = l.note_device_report(&device, pending, conflicts) {
                eprintln!("cannot note what {device} reported: {e}");
            }
        }
        let resolutions = match resolutions_after {
            Some(after) => l.conflict_resolutions_after(&device, after, MAX_RESOLUTIONS)?,
            None => vec![],
        };
        // A device of a site pulls that site's movements and documents.
        let site = l.device_site(&device)?;
        let version = l.master_version()?;
        let master = (p.master_version < version)
            .then(|| l.master_data_at(site.as_deref()))
            .transpose()?;
        let records = l.records_after_at(p.after, limit + 1, site.as_deref())?;
        let more = records.len() as i64 > limit;
        let records = &records[..records.len().min(limit as usize)];
        let events = l.lot_events_after(p.lot_events_after, MAX_PULL)?;
        Ok(PullResponse {
            cursor: records.last().map_or(p.after, |r| r.entry.seq),
            lot_event_cursor: events.last().map_or(p.lot_events_after, |e| e.id),
            // Where a lot code came from matters only to the server's rules.
            movements: records
                .iter()
                .map(|r| {
                    WireMovement {
                        lot_origin: None,
                        ..WireMovement::from(r)
                    }
                    .for_protocol(protocol)
                })
                .collect(),
            lot_events: events.iter().map(WireLotEvent::from).collect(),
            master: master
                .as_ref()
                .map(|m| WireMaster::from(m).for_protocol(protocol)),
            more,
            server_time: stamp,
            resolution_cursor: resolutions_after
                .map(|after| resolutions.last().map_or(after, |r| r.seq)),
            conflict_resolutions: resolutions.iter().map(WireResolution::from).collect(),
        })
    })
    .await?;
    Ok(Json(resp))
}

/// Output of a report: JSON (the default) or CSV.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ReportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StockParams {
    item: Option<String>,
    location: Option<String>,
    lot: Option<String>,
    #[serde(default)]
    format: ReportFormat,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpiryParams {
    item: Option<String>,
    #[serde(default)]
    expired: bool,
    within_days: Option<i64>,
    #[serde(default)]
    format: ReportFormat,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LotTransactionParams {
    item: Option<String>,
    lot: Option<String>,
    /// YYYY-MM-DD, the first day included.
    from: Option<String>,
    /// YYYY-MM-DD, the last day included.
    to: Option<String>,
    #[serde(default)]
    format: ReportFormat,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SerialParams {
    item: Option<String>,
    #[serde(default)]
    format: ReportFormat,
}

/// Most days ahead the expiry report looks.
pub const MAX_WITHIN_DAYS: i64 = 36_500;

/// Rows as JSON or CSV.
fn rows_response<T: serde::Serialize>(rows: Vec<T>, format: ReportFormat) -> ApiResult<Response> {
    let internal = |_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    let rows = serde_json::to_value(rows).map_err(internal)?;
    if format == ReportFormat::Csv {
        let rows = rows.as_array().cloned().unwrap_or_default();
        let text = crate::rows::to_csv(&rows)
            .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?;
        Ok(([(header::CONTENT_TYPE, "text/csv")], text).into_response())
    } else {
        Ok(Json(rows).into_response())
    }
}

/// What a device of one site sees of the reports: its site's (none: every site's).
fn scope_of(l: &Ledger, device: &str) -> crate::ledger::Result<Option<SiteScope>> {
    l.device_site(device)?
        .map(|site| l.site_scope(&site))
        .transpose()
}

async fn stock_by_lot(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    q: Result<Query<StockParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let rows = with_ledger(&state, move |l| {
        let mut rows =
            l.stock_by_lot(q.item.as_deref(), q.location.as_deref(), q.lot.as_deref())?;
        if let Some(scope) = scope_of(l, &device)? {
            rows.retain(|r| scope.has_location(&r.location));
        }
        Ok(rows)
    })
    .await?;
    rows_response(rows, q.format)
}

async fn expiry(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    q: Result<Query<ExpiryParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    if q.within_days
        .is_some_and(|d| !(0..=MAX_WITHIN_DAYS).contains(&d))
    {
        return Err(ApiError::bad(format!(
            "within_days is between 0 and {MAX_WITHIN_DAYS}"
        )));
    }
    let rows = with_ledger(&state, move |l| {
        let filter = ExpiryFilter {
            expired: q.expired,
            within_days: q.within_days,
            item: q.item,
            site: l.device_site(&device)?,
        };
        Ok(l.expiry_report(&filter)?)
    })
    .await?;
    rows_response(rows, q.format)
}

async fn lot_transactions(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    q: Result<Query<LotTransactionParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let date = |name: &str, v: Option<String>| {
        v.map(|d| crate::ledger::model::parse_date(name, &d))
            .transpose()
    };
    let filter = crate::ledger::reports::TransactionFilter {
        from: date("from", q.from)?,
        to: date("to", q.to)?,
        item: q.item,
        lot: q.lot,
    };
    let rows = with_ledger(&state, move |l| {
        let mut rows = l.transactions(&filter)?;
        if let Some(scope) = scope_of(l, &device)? {
            rows.retain(|r| scope.has_movement(&r.entry.from, &r.entry.to));
        }
        Ok(rows)
    })
    .await?;
    rows_response(rows, q.format)
}

async fn serials(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    q: Result<Query<SerialParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let rows = with_ledger(&state, move |l| {
        let mut rows = l.serials_report(q.item.as_deref())?;
        if let Some(scope) = scope_of(l, &device)? {
            rows.retain(|r| scope.has_location(&r.location));
        }
        Ok(rows)
    })
    .await?;
    rows_response(rows, q.format)
}

/// The most movements one export request may hold: a document is built in memory, so a request
/// for ten years of a busy site is refused with a clear message instead of holding gigabytes.
pub const MAX_EXPORT_MOVEMENTS: usize = 200_000;

/// What a compliance export covers: a date range, optionally one item or lot.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExportParams {
    /// YYYY-MM-DD, the first day included.
    from: String,
    /// YYYY-MM-DD, the last day included.
    to: String,
    item: Option<String>,
    lot: Option<String>,
    /// fsma204: every item, not only those on the Food Traceability List.
    #[serde(default)]
    all: bool,
    /// fsma204: xlsx (default) or csv with `sheet`; ledger: json (default) or csv.
    format: Option<String>,
    /// fsma204 as csv: receiving, shipping, transformation or summary.
    sheet: Option<String>,
    /// epcis: the base of the URIs for what has no GS1 key.
    id_base: Option<String>,
}

impl ExportParams {
    fn scope(&self) -> ApiResult<crate::ledger::compliance::Scope> {
        let date = |name: &str, v: &str| crate::ledger::model::parse_date(name, v);
        Ok(crate::ledger::compliance::Scope {
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            item: self.item.clone(),
            lot: self.lot.clone(),
            max_movements: Some(MAX_EXPORT_MOVEMENTS),
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecallParams {
    item: String,
    lot: String,
    #[serde(default)]
    format: ReportFormat,
}

async fn recall_report(
    State(state): State<AppState>,
    q: Result<Query<RecallParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let report = with_ledger(&state, move |l| Ok(l.recall_report(&q.item, &q.lot)?)).await?;
    match q.format {
        ReportFormat::Csv => rows_response(report.shipment_lines(), ReportFormat::Csv),
        ReportFormat::Json => Ok(Json(report).into_response()),
    }
}

async fn export_fsma204(
    State(state): State<AppState>,
    q: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let scope = q.scope()?;
    if q.id_base.is_some() {
        return Err(ApiError::bad(
            "fsma204 takes from, to, item, lot, all, format and sheet",
        ));
    }
    let sheet = match (q.format.as_deref().unwrap_or("xlsx"), q.sheet.as_deref()) {
        ("xlsx", None) => None,
        ("csv", Some(s @ ("receiving" | "shipping" | "transformation" | "summary"))) => {
            Some(s.to_string())
        }
        ("csv", _) => {
            return Err(ApiError::bad(
                "format=csv takes sheet=receiving, shipping, transformation or summary",
            ))
        }
        ("xlsx", Some(_)) => {
            return Err(ApiError::bad(
                "sheet goes with format=csv; the xlsx holds every sheet",
            ))
        }
        (f, _) => return Err(ApiError::bad(format!("format '{f}' is not xlsx or csv"))),
    };
    let all = q.all;
    let data = with_ledger(&state, move |l| Ok(l.trace_data(&scope, !all)?)).await?;
    let wb = crate::export::fsma::workbook(&data);
    match sheet {
        None => {
            use crate::export::fsma::XlsxRefusal;
            let bytes = crate::export::fsma::xlsx_bytes(&wb).map_err(|e| {
                let status = match e {
                    XlsxRefusal::NoWriter => StatusCode::NOT_IMPLEMENTED,
                    XlsxRefusal::TooManyRows { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                    XlsxRefusal::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
                };
                ApiError::new(status, e.to_string())
            })?;
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"fsma204.xlsx\"",
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        Some(name) => {
            let sheet = wb
                .sheets()
                .into_iter()
                .find(|s| s.name.eq_ignore_ascii_case(&name))
                .map(crate::export::fsma::csv)
                .unwrap_or_default();
            Ok(([(header::CONTENT_TYPE, "text/csv")], sheet).into_response())
        }
    }
}

async fn export_epcis(
    State(state): State<AppState>,
    q: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let scope = q.scope()?;
    let base = crate::export::epcis::check_id_base(
        q.id_base
            .as_deref()
            .unwrap_or(crate::export::epcis::DEFAULT_ID_BASE),
    )
    .map_err(|e| ApiError::bad(format!("id_base {e}")))?;
    if q.format.is_some() || q.sheet.is_some() || q.all {
        return Err(ApiError::bad("epcis takes from, to, item, lot and id_base"));
    }
    let doc = with_ledger(&state, move |l| {
        Ok(crate::export::epcis::document_of(l, &scope, base)?)
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/ld+json")], Json(doc)).into_response())
}

/// Which packing slip: a pick list's number.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlipParams {
    pick_list: String,
}

async fn packing_slip(
    State(state): State<AppState>,
    q: Result<Query<SlipParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let name = crate::export::slip::file_name(&q.pick_list);
    let pdf = with_ledger(&state, move |l| {
        Ok(crate::export::slip::pdf(&l.packing_slip(&q.pick_list)?))
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

async fn export_ledger(
    State(state): State<AppState>,
    q: Result<Query<ExportParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let scope = q.scope()?;
    let csv = match q.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(f) => return Err(ApiError::bad(format!("format '{f}' is not json or csv"))),
    };
    if q.item.is_some() || q.lot.is_some() || q.sheet.is_some() || q.all || q.id_base.is_some() {
        return Err(ApiError::bad("the ledger export takes from, to and format"));
    }
    let rows = with_ledger(&state, move |l| {
        let mut rows = Vec::new();
        l.ledger_rows(scope.from, scope.to, |r| {
            if rows.len() == MAX_EXPORT_MOVEMENTS {
                return Err(crate::ledger::Error::invalid(format!(
                    "this range holds more than {MAX_EXPORT_MOVEMENTS} movements, more than one export here may hold; narrow the date range, or run `lotkeeper export ledger` on the back office"
                )));
            }
            rows.push(r);
            Ok(())
        })?;
        Ok(rows)
    })
    .await?;
    rows_response(
        rows,
        if csv {
            ReportFormat::Csv
        } else {
            ReportFormat::Json
        },
    )
}

/// Only the output format: the document reports take no filter.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatParams {
    #[serde(default)]
    format: ReportFormat,
}

async fn pick_lists(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    q: Result<Query<FormatParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let rows = with_ledger(&state, move |l| {
        let mut rows = l.pick_list_report()?;
        if let Some(scope) = scope_of(l, &device)? {
            rows.retain(|r| scope.has_document(&r.number));
        }
        Ok(rows)
    })
    .await?;
    rows_response(rows, q.format)
}

async fn reorder(
    State(state): State<AppState>,
    q: Result<Query<FormatParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let rows = with_ledger(&state, move |l| Ok(l.reorder_report()?)).await?;
    rows_response(rows, q.format)
}

async fn purchase_orders(
    State(state): State<AppState>,
    Extension(DeviceName(device)): Extension<DeviceName>,
    q: Result<Query<FormatParams>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = q?;
    let rows = with_ledger(&state, move |l| {
        let mut rows = l.purchase_order_report()?;
        if let Some(scope) = scope_of(l, &device)? {
            rows.retain(|r| scope.has_document(&r.number));
        }
        Ok(rows)
    })
    .await?;
    rows_response(rows, q.format)
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; see /v1/openapi.json",
    )
}

/// Whether a route needs a device token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Public,
    Device,
}

/// Every route of the server: (path, method, access, handler). [`app`] is built from this list,
/// and the contract test checks it against `assets/openapi.json`, both ways.
pub fn routes() -> Vec<(&'static str, &'static str, Access, MethodRouter<AppState>)> {
    use Access::*;
    vec![
        ("/v1/health", "get", Public, get(health)),
        ("/v1/openapi.json", "get", Public, get(openapi)),
        // Public, so its body is tiny: a code, never megabytes from anyone.
        (
            "/v1/enroll",
            "post",
            Public,
            post(enroll).layer(DefaultBodyLimit::max(1024)),
        ),
        ("/v1/whoami", "get", Device, get(whoami)),
        ("/v1/push", "post", Device, post(push)),
        ("/v1/pull", "get", Device, get(pull)),
        ("/v1/reports/stock-by-lot", "get", Device, get(stock_by_lot)),
        ("/v1/reports/expiry", "get", Device, get(expiry)),
        (
            "/v1/reports/lot-transactions",
            "get",
            Device,
            get(lot_transactions),
        ),
        ("/v1/reports/serials", "get", Device, get(serials)),
        ("/v1/reports/pick-lists", "get", Device, get(pick_lists)),
        (
            "/v1/reports/purchase-orders",
            "get",
            Device,
            get(purchase_orders),
        ),
        ("/v1/reports/reorder", "get", Device, get(reorder)),
        ("/v1/reports/recall", "get", Device, get(recall_report)),
        ("/v1/exports/fsma204", "get", Device, get(export_fsma204)),
        ("/v1/exports/epcis", "get", Device, get(export_epcis)),
        ("/v1/exports/ledger", "get", Device, get(export_ledger)),
        (
            "/v1/documents/packing-slip",
            "get",
            Device,
            get(packing_slip),
        ),
    ]
}

/// The whole server.
pub fn app(state: AppState) -> Router {
    let mut public = Router::new();
    let mut devices = Router::new();
    for (path, _, access, handler) in routes() {
        match access {
            Access::Public => public = public.route(path, handler),
            Access::Device => devices = devices.route(path, handler),
        }
    }
    let devices = devices.route_layer(middleware::from_fn_with_state(
        state.clone(),
        require_device,
    ));
    #[cfg(feature = "console")]
    let public = public.merge(crate::console::router(state.clone()));
    public
        .merge(devices)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(negotiate))
        .with_state(state)
}

/// TLS certificate and key (PEM files).
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Accepts connections until `shutdown`, then lets running requests finish (5 s at most).
/// HTTP/1.1 only (devices speak nothing else): every connection goes straight to hyper's HTTP/1
/// reader, whose header read timeout closes a connection that has not sent a whole request head
/// in time, including one that sends nothing at all. The TLS handshake has the same limit.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    eprintln!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        // The client's address travels with each request (the console throttles sign-ins by it).
        let service =
            hyper_util::service::TowerToHyperService::new(tower::ServiceExt::map_request(
                app.clone(),
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    req
                },
            ));
        match &tls {
            None => {
                let conn = http.serve_connection(hyper_util::rt::TokioIo::new(tcp), service);
                tokio::spawn(graceful.watch(conn));
            }
            Some(acceptor) => {
                let handshake = acceptor.accept(tcp);
                let http = http.clone();
                let watcher = graceful.watcher();
                let limit = limits.header_read_timeout;
                tokio::spawn(async move {
                    if let Ok(Ok(stream)) = tokio::time::timeout(limit, handshake).await {
                        let conn =
                            http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                        let _ = watcher.watch(conn).await;
                    }
                });
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
    }
}

/// Why a server could not start. (Requests that fail are [`ApiError`]s, the HTTP edge.)
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("--listen '{0}' is not an address like 127.0.0.1:8080")]
    BadAddress(String),
    #[error(
        "refusing to serve plain HTTP on {0}: device tokens and stock data would cross the network unencrypted. \
         Give --tls-cert and --tls-key, listen on 127.0.0.1, or add --insecure-http if a proxy in front of this server ends TLS"
    )]
    PlainHttp(SocketAddr),
    #[error(transparent)]
    Ledger(#[from] crate::ledger::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot load the TLS certificate or key: {0}")]
    Tls(std::io::Error),
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
}

/// The database a server runs on.
#[derive(Debug, Clone)]
pub enum Database {
    /// A SQLite file.
    File(std::path::PathBuf),
    /// A PostgreSQL database, by its connection string (postgres://USER@HOST/DB).
    #[cfg(feature = "postgres")]
    Postgres(String),
}

/// As the server names it: the file, or the PostgreSQL database without its password.
impl std::fmt::Display for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Database::File(p) => write!(f, "{}", p.display()),
            #[cfg(feature = "postgres")]
            Database::Postgres(url) => f.write_str(&crate::ledger::pg::redacted(url)),
        }
    }
}

/// A server running on its own thread (tests, and `serve` itself), stopped by [`RunningServer::stop`].
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How `serve` runs: TLS or plain HTTP, and the limits on clients.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub tls: Option<Tls>,
    /// Plain HTTP on an address other than loopback, on purpose (a proxy in front ends TLS).
    pub insecure_http: bool,
    /// Proxies whose X-Forwarded-For and X-Forwarded-Proto the console believes.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub limits: Limits,
}

/// Whether the console's cookies are Secure by default (a trusted proxy saying https makes
/// them Secure too): under TLS, and also on plain HTTP unless the server listens on loopback.
/// Plain HTTP elsewhere is `--insecure-http`, meant for a proxy that ends TLS in front: if that
/// proxy is not named by `--trusted-proxy`, the server cannot tell the browser used https, and
/// a session cookie without Secure would also travel over any plain http to the same host. A
/// browser really on plain http across the network then cannot sign in, which fails safe. Only
/// loopback (development, tests, a browser on this machine) gets cookies plain http keeps.
pub fn cookies_secure(tls: bool, listen: std::net::IpAddr) -> bool {
    tls || !listen.to_canonical().is_loopback()
}

impl RunningServer {
    /// Opens the database and listens on `listen` (`127.0.0.1:0` picks a free port).
    pub fn start(db: &Path, listen: &str, tls: Option<Tls>) -> Result<RunningServer, ServeError> {
        RunningServer::start_with(
            db,
            listen,
            Options {
                tls,
                ..Default::default()
            },
        )
    }

    /// [`RunningServer::start`] with every option. Plain HTTP is refused on an address other
    /// than loopback unless `insecure_http` says so: device tokens would cross the network in
    /// clear.
    pub fn start_with(
        db: &Path,
        listen: &str,
        options: Options,
    ) -> Result<RunningServer, ServeError> {
        RunningServer::start_on(&Database::File(db.to_path_buf()), listen, options)
    }

    /// [`RunningServer::start_with`] on either store. PostgreSQL that cannot be reached at
    /// start is an error that names it; one lost while running makes requests answer 503.
    pub fn start_on(
        db: &Database,
        listen: &str,
        options: Options,
    ) -> Result<RunningServer, ServeError> {
        let addr: SocketAddr = listen
            .parse()
            .map_err(|_| ServeError::BadAddress(listen.to_string()))?;
        if options.tls.is_none() && !addr.ip().is_loopback() && !options.insecure_http {
            return Err(ServeError::PlainHttp(addr));
        }
        let state = match db {
            Database::File(path) => AppState::with_limits(Ledger::open(path)?, &options.limits),
            #[cfg(feature = "postgres")]
            Database::Postgres(url) => {
                let first = Ledger::open_postgres(url)?;
                let url = url.clone();
                AppState::pooled(
                    first,
                    Some(Box::new(move || Ledger::open_postgres(&url))),
                    PG_CONNECTIONS,
                    &options.limits,
                )
            }
        };
        let state = state
            .with_secure_cookies(cookies_secure(options.tls.is_some(), addr.ip()))
            .with_trusted_proxies(options.trusted_proxies.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(ServeError::Runtime)?;
        let listen_error = |source| ServeError::Listen { addr, source };
        let std_listener = std::net::TcpListener::bind(addr).map_err(listen_error)?;
        std_listener.set_nonblocking(true).map_err(listen_error)?;
        let addr = std_listener.local_addr().map_err(listen_error)?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let limits = options.limits.clone();
        // Kept here so the ledgers are closed after the runtime stops, not inside it (a
        // PostgreSQL connection closes by blocking on its own runtime).
        let pool = state.pool.clone();
        let app = app(state);
        let tls_config = match &options.tls {
            Some(t) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let config = rt
                    .block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(
                        &t.cert, &t.key,
                    ))
                    .map_err(ServeError::Tls)?;
                // HTTP/1.1 only, as `serve_connections` speaks.
                let mut inner = (*config.get_inner()).clone();
                inner.alpn_protocols = vec![b"http/1.1".to_vec()];
                Some(axum_server::tls_rustls::RustlsConfig::from_config(
                    Arc::new(inner),
                ))
            }
            None => None,
        };
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(std_listener).expect("a bound listener");
                let tls = tls_config.map(|c| tokio_rustls::TlsAcceptor::from(c.get_inner()));
                serve_connections(listener, app, tls, limits, rx).await;
            });
            // Requests still running on the blocking threads (one waiting on a database that
            // stopped answering) do not keep the process from stopping.
            rt.shutdown_timeout(Duration::from_secs(5));
            drop(pool);
        });
        Ok(RunningServer {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Stops accepting, finishes what runs, and returns when the server is down.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.halt();
    }
}
