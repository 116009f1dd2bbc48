//! `lotkeeper serve`: the back-office server, axum over the same ledger engine, so every movement
//! a device pushes is checked by the same rules. [`app`] builds the whole server; tests run it on
//! loopback.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::wire::*;
use super::{hash_token, OPENAPI};
use crate::ledger::lots::LotChange;
use crate::ledger::replica::Record;
use crate::ledger::reports::ExpiryFilter;
use crate::ledger::{Error as LedgerError, Ledger};

/// The server's state: one ledger, one writer.
#[derive(Clone)]
pub struct AppState {
    ledger: Arc<Mutex<Ledger>>,
}

impl AppState {
    pub fn new(ledger: Ledger) -> AppState {
        AppState {
            ledger: Arc::new(Mutex::new(ledger)),
        }
    }
}

/// One error type for every handler: a status and a message safe to show.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        match e {
            LedgerError::NotFound(m) => ApiError::new(StatusCode::NOT_FOUND, m),
            LedgerError::Invalid(m) => ApiError::new(StatusCode::BAD_REQUEST, m),
            LedgerError::Refused { message, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
            }
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// Runs `f` on the ledger on the blocking pool (SQLite calls block).
async fn with_ledger<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Ledger) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let ledger = state.ledger.clone();
    tokio::task::spawn_blocking(move || {
        let mut l = ledger.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut l)
    })
    .await
    .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?
}

/// The device a request's bearer token belongs to; 401 otherwise.
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
    with_ledger(state, move |l| Ok(l.device_for(&hash)?))
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "unknown or revoked token"))
}

fn parse_json<T: serde::de::DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("malformed request body: {e}"),
        )
    })
}

async fn health() -> Json<serde_json::Value> {
    Json(
        serde_json::json!({"status": "ok", "protocol": VERSION, "version": env!("CARGO_PKG_VERSION")}),
    )
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn whoami(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Json<serde_json::Value>> {
    let device = authenticate(&state, &headers).await?;
    // The tag the device puts in the lot codes it generates, handed out on first ask.
    let name = device.clone();
    let tag = with_ledger(&state, move |l| Ok(l.device_lot_tag(&name)?)).await?;
    Ok(Json(
        serde_json::json!({ "device": device, "lot_tag": tag }),
    ))
}

async fn push(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<PushResponse>> {
    let device = authenticate(&state, &headers).await?;
    let req: PushRequest = parse_json(&body)?;
    if req.movements.len() > MAX_PUSH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "a push carries at most {MAX_PUSH} movements, not {}",
                req.movements.len()
            ),
        ));
    }
    for m in &req.movements {
        if m.device != device {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("movement {} says it was made by {}, but this is {device}: a device pushes only as itself", m.id, m.device),
            ));
        }
        for (what, id) in [("id", &m.id), ("batch_id", &m.batch_id)] {
            if uuid::Uuid::parse_str(id).is_err() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("movement {what} '{id}' is not a UUID"),
                ));
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
    }
    let records: Vec<Record> = req.movements.into_iter().map(Record::from).collect();
    let changes: Vec<LotChange> = req.lot_changes.into_iter().map(LotChange::from).collect();
    let (verdicts, lot_verdicts) = with_ledger(&state, move |l| {
        let verdicts = l.accept_batches(&device, &records)?;
        // After the movements: a device sends a change with the movements made before it.
        let lot_verdicts = if changes.is_empty() {
            vec![]
        } else {
            l.accept_lot_changes(&device, &changes)?
        };
        Ok((verdicts, lot_verdicts))
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
    }))
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
}

async fn pull(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<PullParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<PullResponse>> {
    authenticate(&state, &headers).await?;
    let Query(p) = params
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("bad pull parameters: {e}")))?;
    let limit = p.limit.unwrap_or(MAX_PULL).clamp(1, MAX_PULL);
    if p.after < 0 || p.lot_events_after < 0 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "cursors are not negative",
        ));
    }
    let resp = with_ledger(&state, move |l| {
        let version = l.master_version()?;
        let master = (p.master_version < version)
            .then(|| l.master_data())
            .transpose()?;
        let records = l.records_after(p.after, limit + 1)?;
        let more = records.len() as i64 > limit;
        let records = &records[..records.len().min(limit as usize)];
        let events = l.lot_events_after(p.lot_events_after, MAX_PULL)?;
        Ok(PullResponse {
            cursor: records.last().map_or(p.after, |r| r.entry.seq),
            lot_event_cursor: events.last().map_or(p.lot_events_after, |e| e.id),
            // Where a lot code came from matters only to the server's rules.
            movements: records
                .iter()
                .map(|r| WireMovement {
                    lot_origin: None,
                    ..WireMovement::from(r)
                })
                .collect(),
            lot_events: events.iter().map(WireLotEvent::from).collect(),
            master: master.as_ref().map(WireMaster::from),
            more,
        })
    })
    .await?;
    Ok(Json(resp))
}

async fn report(
    State(state): State<AppState>,
    headers: HeaderMap,
    UrlPath(kind): UrlPath<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    authenticate(&state, &headers).await?;
    let csv = match q.get("format").map(String::as_str) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("format '{other}': use json or csv"),
            ))
        }
    };
    let rows: serde_json::Value = with_ledger(&state, move |l| {
        let get = |k: &str| q.get(k).cloned();
        let v = match kind.as_str() {
            "stock-by-lot" => serde_json::to_value(l.stock_by_lot(
                get("item").as_deref(),
                get("location").as_deref(),
                get("lot").as_deref(),
            )?),
            "expiry" => {
                serde_json::to_value(l.expiry_report(&ExpiryFilter {
                    expired: get("expired").is_some_and(|v| v == "true" || v == "1"),
                    within_days: get("within_days").map(|v| v.parse()).transpose().map_err(
                        |_| ApiError::new(StatusCode::BAD_REQUEST, "within_days is a number"),
                    )?,
                    item: get("item"),
                })?)
            }
            "lot-transactions" => {
                let (Some(item), Some(lot)) = (get("item"), get("lot")) else {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "lot-transactions needs item and lot",
                    ));
                };
                serde_json::to_value(l.lot_transactions(&item, &lot)?)
            }
            "serials" => serde_json::to_value(l.serials_report(get("item").as_deref())?),
            "pick-lists" => serde_json::to_value(l.pick_list_report()?),
            "purchase-orders" => serde_json::to_value(l.purchase_order_report()?),
            other => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no report '{other}': stock-by-lot, expiry, lot-transactions, serials, pick-lists, purchase-orders"),
                ))
            }
        };
        v.map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
    })
    .await?;
    if csv {
        let rows = rows.as_array().cloned().unwrap_or_default();
        let text = crate::rows::to_csv(&rows)
            .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?;
        Ok(([(header::CONTENT_TYPE, "text/csv")], text).into_response())
    } else {
        Ok(Json(rows).into_response())
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no such endpoint; see /v1/openapi.json",
    )
}

/// The whole server.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/openapi.json", get(openapi))
        .route("/v1/whoami", get(whoami))
        .route("/v1/push", post(push))
        .route("/v1/pull", get(pull))
        .route("/v1/reports/{kind}", get(report))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// TLS certificate and key (PEM files).
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// A server running on its own thread (tests, and `serve` itself), stopped by [`RunningServer::stop`].
pub struct RunningServer {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// Opens the database and listens on `listen` (`127.0.0.1:0` picks a free port).
    pub fn start(db: &Path, listen: &str, tls: Option<Tls>) -> anyhow::Result<RunningServer> {
        let ledger = Ledger::open(db)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let addr: SocketAddr = listen.parse().map_err(|_| {
            anyhow::anyhow!("--listen '{listen}' is not an address like 127.0.0.1:8080")
        })?;
        let std_listener = std::net::TcpListener::bind(addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = app(AppState::new(ledger));
        let tls_config = match &tls {
            Some(t) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                Some(
                    rt.block_on(axum_server::tls_rustls::RustlsConfig::from_pem_file(
                        &t.cert, &t.key,
                    ))
                    .map_err(|e| anyhow::anyhow!("cannot load the TLS certificate or key: {e}"))?,
                )
            }
            None => None,
        };
        let thread = std::thread::spawn(move || {
            rt.block_on(async move {
                match tls_config {
                    None => {
                        let listener = tokio::net::TcpListener::from_std(std_listener)
                            .expect("a bound listener");
                        let _ = axum::serve(listener, app)
                            .with_graceful_shutdown(async move {
                                let _ = rx.await;
                            })
                            .await;
                    }
                    Some(config) => {
                        let handle = axum_server::Handle::new();
                        let h = handle.clone();
                        tokio::spawn(async move {
                            let _ = rx.await;
                            h.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
                        });
                        let _ = axum_server::from_tcp_rustls(std_listener, config)
                            .handle(handle)
                            .serve(app.into_make_service())
                            .await;
                    }
                }
            });
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
