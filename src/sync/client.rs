//! The device's side: push pending movements, pull what the server has, record both in the
//! ledger. Every step is safe to repeat after an interruption at any point: pushes are
//! idempotent (ids), pulled movements are applied once (ids), and cursors move only after what
//! they cover is stored.

use serde::Serialize;
use std::time::{Duration, Instant};

use super::wire::*;
use crate::ledger::conflicts::{Resolution, MAX_RESOLUTIONS};
use crate::ledger::labels::SsccAssignment;
use crate::ledger::replica::{LotEvent, NextPush, Record};
use crate::ledger::Ledger;

/// How many pending movements one push request carries.
pub const PUSH_CHUNK: i64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The server could not be reached (offline, timeout, connection cut).
    #[error("offline: {0}")]
    Offline(String),
    #[error("the server refused the device's token: {0}")]
    Unauthorized(String),
    /// The back office revoked this device's token.
    #[error("{0}")]
    Revoked(String),
    #[error("the server answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("{0}")]
    Ledger(#[from] crate::ledger::Error),
    #[error("this device is not enrolled: run lotkeeper enroll --server URL --token TOKEN")]
    NotEnrolled,
    /// A secret would cross the network unprotected, or is not one at all.
    #[error("{0}")]
    Insecure(String),
    /// The server and this device speak no common protocol: one of them must be updated.
    #[error("{0}")]
    Protocol(String),
}

impl SyncError {
    /// Worth retrying later (with backoff), as opposed to needing a person.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Offline(_) => true,
            SyncError::Http { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// One HTTP request as the client makes it: the path carries the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The answer never came: not reachable, timed out, connection cut. The request may or may not
/// have been handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(pub String);

/// How the client reaches the server: [`HttpTransport`] (reqwest) on a device; the simulation's
/// in-process transport (`sync::sim`) calls the server's router and injects faults.
pub trait Transport: Send + Sync {
    fn send(&self, request: Request) -> Result<Response, TransportError>;
}

/// HTTP(S) with reqwest: what devices use.
pub struct HttpTransport {
    base: String,
    http: reqwest::blocking::Client,
}

impl HttpTransport {
    pub fn new(base: &str) -> Result<HttpTransport, TransportError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            // A token or an enrollment code goes only where it was sent: a redirect (to plain
            // http, or elsewhere) is an answer, not a place to send it again.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| TransportError(e.to_string()))?;
        Ok(HttpTransport {
            base: base.trim_end_matches('/').to_string(),
            http,
        })
    }
}

impl Transport for HttpTransport {
    fn send(&self, r: Request) -> Result<Response, TransportError> {
        let method = reqwest::Method::from_bytes(r.method.as_bytes())
            .map_err(|e| TransportError(e.to_string()))?;
        let mut req = self
            .http
            .request(method, format!("{}{}", self.base, r.path));
        for (k, v) in &r.headers {
            req = req.header(k, v);
        }
        if !r.body.is_empty() {
            req = req.body(r.body);
        }
        let offline = |e: reqwest::Error| TransportError(e.to_string());
        let resp = req.send().map_err(offline)?;
        let status = resp.status().as_u16();
        let headers = header_pairs(resp.headers());
        let body = resp.bytes().map_err(offline)?.to_vec();
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Headers as (name, value) pairs; values that are not text are left out.
pub(crate) fn header_pairs(h: &reqwest::header::HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

pub struct Client {
    token: String,
    transport: Box<dyn Transport>,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub pushed: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub pulled: usize,
    pub lot_events: usize,
    /// Lot status changes made here and pushed, and how many of them the server refused.
    pub lot_changes_pushed: usize,
    pub lot_changes_rejected: usize,
    pub master_updated: bool,
    /// Movements of this device pending again because its server's log was replaced (restored
    /// from a backup) since the last sync.
    pub pending_again: usize,
    pub pending: i64,
    pub conflicts: i64,
    /// Conflicts dismissed here whose resolution the server answered for, and resolutions
    /// made on the back office this device learned.
    pub resolutions_pushed: usize,
    pub resolutions_pulled: usize,
    pub ms: u128,
}

impl Client {
    /// A client over HTTP(S) to the server at `base`.
    pub fn new(base: &str, token: &str) -> Result<Client, SyncError> {
        let http = HttpTransport::new(base).map_err(|e| SyncError::Offline(e.0))?;
        Ok(Client::with_transport(token, Box::new(http)))
    }

    /// A client that reaches the server through `transport`.
    pub fn with_transport(token: &str, transport: Box<dyn Transport>) -> Client {
        Client {
            token: token.to_string(),
            transport,
        }
    }

    /// The client for the server this device is enrolled with.
    pub fn for_ledger(ledger: &Ledger) -> Result<Client, SyncError> {
        match (ledger.sync_value("server")?, ledger.sync_value("token")?) {
            (Some(s), Some(t)) => Client::new(&s, &t),
            _ => Err(SyncError::NotEnrolled),
        }
    }

    /// Sends one request (with the token unless `public`) and returns a successful answer, or
    /// the error the status and body say.
    fn call(
        &self,
        method: &'static str,
        path: String,
        public: bool,
        body: Option<Vec<u8>>,
    ) -> Result<Response, SyncError> {
        let mut headers = vec![(PROTOCOL_HEADER.into(), VERSION.to_string())];
        if !public {
            headers.push(("authorization".into(), format!("Bearer {}", self.token)));
        }
        if body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        let resp = self
            .transport
            .send(Request {
                method,
                path,
                headers,
                body: body.unwrap_or_default(),
            })
            .map_err(|e| SyncError::Offline(e.0))?;
        Self::check(resp)
    }

    fn check(resp: Response) -> Result<Response, SyncError> {
        let status = resp.status;
        if (200..300).contains(&status) {
            // A server that does not name its protocol is older than the header: protocol 1,
            // which would refuse what this device sends (and this device must not guess).
            let answered = resp
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(PROTOCOL_HEADER))
                .and_then(|(_, v)| v.trim().parse::<u32>().ok())
                .unwrap_or(1);
            if answered != VERSION {
                let who = if answered < VERSION {
                    "update the server (lotkeeper serve) first"
                } else {
                    "update lotkeeper on this device"
                };
                return Err(SyncError::Protocol(format!(
                    "the server answered in lotkeeper protocol {answered}, and this device speaks {VERSION}: {who}"
                )));
            }
            return Ok(resp);
        }
        let (message, code) = serde_json::from_slice::<ErrorBody>(&resp.body)
            .map(|b| (b.error, b.code))
            .unwrap_or_else(|_| {
                let reason = reqwest::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("error")
                    .to_string();
                (reason, None)
            });
        Err(if code.as_deref() == Some(PROTOCOL) {
            SyncError::Protocol(message)
        } else if status == 401 && code.as_deref() == Some(REVOKED) {
            SyncError::Revoked(message)
        } else if status == 401 {
            SyncError::Unauthorized(message)
        } else {
            SyncError::Http { status, message }
        })
    }

    /// The body of a successful answer as `T`; a body that does not parse is a broken answer,
    /// retried like a cut connection.
    fn json<T: serde::de::DeserializeOwned>(resp: Response) -> Result<T, SyncError> {
        serde_json::from_slice(&resp.body)
            .map_err(|e| SyncError::Offline(format!("error decoding response body: {e}")))
    }

    fn to_json(body: &impl Serialize) -> Result<Vec<u8>, SyncError> {
        serde_json::to_vec(body).map_err(|e| SyncError::Offline(e.to_string()))
    }

    pub fn health(&self) -> Result<(), SyncError> {
        self.call("GET", "/v1/health".into(), true, None)
            .map(|_| ())
    }

    /// The device name the server knows this token by.
    pub fn whoami(&self) -> Result<String, SyncError> {
        self.whoami_answer()?["device"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| SyncError::Http {
                status: 200,
                message: "whoami gave no device name".into(),
            })
    }

    /// `POST /v1/push` with whatever `req` carries.
    fn push_request(&self, req: &PushRequest) -> Result<PushResponse, SyncError> {
        let body = Self::to_json(req)?;
        Self::json(self.call("POST", "/v1/push".into(), false, Some(body))?)
    }

    pub fn push(&self, movements: Vec<WireMovement>) -> Result<PushResponse, SyncError> {
        self.push_request(&PushRequest {
            movements,
            lot_changes: vec![],
            conflict_resolutions: vec![],
        })
    }

    /// Pushes lot status changes (holds, releases, recalls) made on this device.
    pub fn push_lot_changes(
        &self,
        lot_changes: Vec<WireLotChange>,
    ) -> Result<PushResponse, SyncError> {
        self.push_request(&PushRequest {
            movements: vec![],
            lot_changes,
            conflict_resolutions: vec![],
        })
    }

    /// Pushes conflicts a person dismissed on this device; the answer holds the resolution
    /// that stands for each.
    pub fn push_resolutions(
        &self,
        conflict_resolutions: Vec<WireResolve>,
    ) -> Result<PushResponse, SyncError> {
        self.push_request(&PushRequest {
            movements: vec![],
            lot_changes: vec![],
            conflict_resolutions,
        })
    }

    /// `POST /v1/enroll`: a one-time code for this device's name and token (no token needed).
    pub fn redeem_enrollment(
        &self,
        req: &super::enroll::EnrollRequest,
    ) -> Result<super::enroll::EnrollResponse, SyncError> {
        let body = Self::to_json(req)?;
        Self::json(self.call("POST", "/v1/enroll".into(), true, Some(body))?)
    }

    /// `/v1/whoami`: who this token is, the device's lot tag and its SSCC block.
    fn whoami_answer(&self) -> Result<serde_json::Value, SyncError> {
        Self::json(self.call("GET", "/v1/whoami".into(), false, None)?)
    }

    /// One pull page after the cursors in `ask`, reporting what `ask` says of this device.
    pub fn pull(&self, ask: &PullAsk) -> Result<PullResponse, SyncError> {
        let PullAsk {
            after,
            lot_events_after,
            master_version,
            resolutions_after,
            pending,
            conflicts,
        } = ask;
        let path = format!(
            "/v1/pull?after={after}&lot_events_after={lot_events_after}&master_version={master_version}&resolutions_after={resolutions_after}&pending={pending}&conflicts={conflicts}"
        );
        Self::json(self.call("GET", path, false, None)?)
    }
}

/// What a pull asks after, and what it reports of the device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullAsk {
    pub after: i64,
    pub lot_events_after: i64,
    pub master_version: i64,
    pub resolutions_after: i64,
    /// The device's pending movements and open conflicts.
    pub pending: i64,
    pub conflicts: i64,
}

fn cursor(ledger: &Ledger, key: &str) -> Result<i64, SyncError> {
    Ok(ledger
        .sync_value(key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// Sync-state keys this module keeps on the device besides cursors.
pub mod keys {
    /// The server's message when it said this device was revoked; cleared by a sync that works.
    pub const REVOKED: &str = "revoked";
    /// Seconds the server's clock was ahead of this device's (negative: behind), at the last
    /// answer that said.
    pub const CLOCK_OFFSET: &str = "clock_offset_secs";
    /// The last of the server's conflict resolutions this device stored.
    pub const RESOLUTION_CURSOR: &str = "resolution_cursor";
}

/// What the device knows about its standing with the server, for `status` and the status bar.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Standing {
    /// The server said this device's token was revoked.
    pub revoked: bool,
    /// How far this device's clock is from the server's, in seconds (server minus device).
    pub clock_offset_secs: Option<i64>,
}

impl Standing {
    pub fn of(ledger: &Ledger) -> Result<Standing, SyncError> {
        Ok(Standing {
            revoked: ledger.sync_value(keys::REVOKED)?.is_some(),
            clock_offset_secs: ledger
                .sync_value(keys::CLOCK_OFFSET)?
                .and_then(|v| v.parse().ok()),
        })
    }

    /// Hours the device's clock is off by, when that is more than the stated skew.
    pub fn clock_off_hours(&self) -> Option<i64> {
        self.clock_offset_secs
            .filter(|s| s.abs() > crate::ledger::clock::MAX_CLOCK_SKEW_SECS)
            .map(|s| s.abs() / 3600)
    }

    /// The warning a person must act on, if any: revoked first, then the clock.
    pub fn warning(&self) -> Option<String> {
        if self.revoked {
            return Some("revoked: ask the back office to enroll this device again".into());
        }
        self.clock_off_hours()
            .map(|h| format!("this device's clock is off by {h} h: set the date and time"))
    }
}

/// Records how far this device's clock is from the server's `server_time`.
fn record_clock(ledger: &mut Ledger, server_time: Option<&str>) -> Result<(), SyncError> {
    let Some(t) = server_time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok()) else {
        return Ok(());
    };
    let offset = (t.with_timezone(&chrono::Utc) - ledger.clock().now()).num_seconds();
    ledger.set_sync_value(keys::CLOCK_OFFSET, &offset.to_string())?;
    Ok(())
}

/// One sync: push everything pending, then pull until the server has nothing more. A device the
/// server says is revoked records it (for `status` and the status bar).
pub fn sync_once(ledger: &mut Ledger, client: &Client) -> Result<SyncReport, SyncError> {
    match sync_inner(ledger, client) {
        Err(SyncError::Revoked(m)) => {
            ledger.set_sync_value(keys::REVOKED, &m)?;
            Err(SyncError::Revoked(m))
        }
        Ok(r) => {
            if ledger.sync_value(keys::REVOKED)?.is_some() {
                ledger.delete_sync_value(keys::REVOKED)?;
            }
            Ok(r)
        }
        other => other,
    }
}

fn sync_inner(ledger: &mut Ledger, client: &Client) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let mut report = SyncReport::default();
    let now = crate::ledger::clock::timestamp(ledger.clock().now());
    ledger.set_sync_value("last_attempt", &now)?;
    // Who this device is to the server: the tag for generated lot codes (kept from the first
    // answer) and its block of SSCC serial references (taken whenever it changed).
    let me = client.whoami_answer()?;
    // A server restored from a backup has a new log: pull it from the start, and push again what
    // the old one accepted from this device (a server older than this answers no log).
    if let Some(log) = me["log"].as_str() {
        let replaces: Vec<String> = me["log_replaces"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        report.pending_again = ledger.server_log_changed(log, &replaces)?;
    }
    if ledger.sync_value("lot_tag")?.is_none() {
        if let Some(tag) = me["lot_tag"].as_str() {
            ledger.set_sync_value("lot_tag", tag)?;
        }
    }
    if !me["sscc"].is_null() {
        let a: SsccAssignment = serde_json::from_value(me["sscc"].clone()).map_err(|e| {
            SyncError::Offline(format!("error decoding the server's SSCC block: {e}"))
        })?;
        ledger.apply_sscc_assignment(&a)?;
    }
    // Push, oldest first: movements, and lot status changes where they were made among them
    // (a release, then a shipment from the released lot).
    loop {
        let pending = match ledger.next_push(PUSH_CHUNK, MAX_PUSH as i64)? {
            None => break,
            Some(NextPush::Movements(batches)) => batches,
            Some(NextPush::LotChanges(changes)) => {
                let changes: Vec<WireLotChange> = changes.iter().map(WireLotChange::from).collect();
                let n = changes.len();
                let resp = client.push_lot_changes(changes)?;
                if resp.lot_changes.is_empty() {
                    // A server that does not take lot changes yet: they wait on the device.
                    break;
                }
                let verdicts: Vec<_> = resp
                    .lot_changes
                    .into_iter()
                    .map(PushResult::into_verdict)
                    .collect();
                if verdicts.len() < n {
                    return Err(SyncError::Http {
                        status: 200,
                        message: format!(
                            "the server answered {} of {n} pushed lot status changes",
                            verdicts.len()
                        ),
                    });
                }
                report.lot_changes_pushed += n;
                report.lot_changes_rejected += verdicts
                    .iter()
                    .filter(|(_, v)| matches!(v, crate::ledger::replica::Verdict::Rejected { .. }))
                    .count();
                ledger.record_lot_verdicts(&verdicts)?;
                continue;
            }
        };
        let n = pending.len();
        let resp = client.push(pushed(&pending))?;
        record_clock(ledger, resp.server_time.as_deref())?;
        let verdicts: Vec<_> = resp
            .results
            .into_iter()
            .map(PushResult::into_verdict)
            .collect();
        for (_, v) in &verdicts {
            match v {
                crate::ledger::replica::Verdict::Accepted { .. } => report.accepted += 1,
                crate::ledger::replica::Verdict::Rejected { .. } => report.rejected += 1,
            }
        }
        report.pushed += n;
        let answered = verdicts.len();
        ledger.record_verdicts(&verdicts)?;
        if answered < n {
            return Err(SyncError::Http {
                status: 200,
                message: format!("the server answered {answered} of {n} pushed movements"),
            });
        }
    }
    // Conflicts dismissed here: the server records each, or answers with the resolution that
    // reached it first, which stands here too.
    loop {
        let mine = ledger.pending_conflict_resolutions(MAX_RESOLUTIONS)?;
        if mine.is_empty() {
            break;
        }
        let n = mine.len();
        let resp = client.push_resolutions(
            mine.into_iter()
                .map(|(id, note)| WireResolve { id, note })
                .collect(),
        )?;
        if resp.conflict_resolutions.len() < n {
            return Err(SyncError::Http {
                status: 200,
                message: format!(
                    "the server answered {} of {n} pushed conflict resolutions",
                    resp.conflict_resolutions.len()
                ),
            });
        }
        let standing: Vec<Resolution> = resp
            .conflict_resolutions
            .into_iter()
            .map(Resolution::from)
            .collect();
        ledger.apply_conflict_resolutions(&standing, true)?;
        report.resolutions_pushed += n;
        if (n as i64) < MAX_RESOLUTIONS {
            break;
        }
    }
    // Pull until the server has nothing more, saying what waits here. A page that brought lot
    // events is followed by one more pull even when it was the last: the server learns which lot
    // events a device has stored only from the cursor a pull sends, and the recall console
    // shows, per device, whether it has the recall; without it the device would say so only on
    // its next sync. A page full of resolutions is followed by another too: more may wait, and
    // `more` speaks of movements only.
    let (pending, conflicts) = ledger.outbox_counts()?;
    loop {
        let resp = client.pull(&PullAsk {
            after: cursor(ledger, "cursor")?,
            lot_events_after: cursor(ledger, "lot_event_cursor")?,
            master_version: cursor(ledger, "master_version")?,
            resolutions_after: cursor(ledger, keys::RESOLUTION_CURSOR)?,
            pending,
            conflicts,
        })?;
        record_clock(ledger, resp.server_time.as_deref())?;
        let resolutions_full = resp.conflict_resolutions.len() as i64 >= MAX_RESOLUTIONS;
        if !resp.conflict_resolutions.is_empty() {
            report.resolutions_pulled += resp.conflict_resolutions.len();
            let pulled: Vec<Resolution> = resp
                .conflict_resolutions
                .into_iter()
                .map(Resolution::from)
                .collect();
            ledger.apply_conflict_resolutions(&pulled, false)?;
        }
        if let Some(c) = resp.resolution_cursor {
            ledger.set_sync_value(keys::RESOLUTION_CURSOR, &c.to_string())?;
        }
        if let Some(m) = resp.master {
            ledger.apply_master(&m.into())?;
            report.master_updated = true;
        }
        let tell_the_server = !resp.lot_events.is_empty();
        if !resp.lot_events.is_empty() {
            report.lot_events += resp.lot_events.len();
            let events: Vec<LotEvent> = resp.lot_events.into_iter().map(LotEvent::from).collect();
            ledger.apply_lot_events(&events)?;
        }
        ledger.set_sync_value("lot_event_cursor", &resp.lot_event_cursor.to_string())?;
        let records: Vec<Record> = resp.movements.into_iter().map(Record::from).collect();
        report.pulled += ledger.apply_records(&records)?;
        ledger.set_sync_value("cursor", &resp.cursor.to_string())?;
        if !resp.more && !tell_the_server && !resolutions_full {
            break;
        }
    }
    let done = crate::ledger::clock::timestamp(ledger.clock().now());
    ledger.set_sync_value("last_success", &done)?;
    (report.pending, report.conflicts) = ledger.outbox_counts()?;
    report.ms = started.elapsed().as_millis();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_answer_in_another_protocol_is_never_read_as_this_one() {
        let v = VERSION.to_string();
        assert!(Client::check(answer(200, &[("Lotkeeper-Protocol", &v)], "{}")).is_ok());
        // A server from before the header speaks protocol 1.
        for headers in [&[][..], &[("lotkeeper-protocol", "1")][..]] {
            match Client::check(answer(200, headers, "{}")) {
                Err(SyncError::Protocol(m)) => {
                    assert!(
                        m.contains("protocol 1") && m.contains("update the server"),
                        "{m}"
                    )
                }
                other => panic!("{other:?}"),
            }
        }
        // The server's refusal of this device's protocol is not retried.
        let e = Client::check(answer(
            426,
            &[],
            r#"{"error": "this device speaks lotkeeper protocol 2, and this server speaks lotkeeper protocol 3 to 4: update lotkeeper on this device", "code": "protocol"}"#,
        ))
        .unwrap_err();
        assert!(
            matches!(&e, SyncError::Protocol(m) if m.contains("3 to 4")),
            "{e:?}"
        );
        assert!(!e.is_transient());
    }
}
