//! The device's side: push pending movements, pull what the server has, record both in the
//! ledger. Every step is safe to repeat after an interruption at any point: pushes are
//! idempotent (ids), pulled movements are applied once (ids), and cursors move only after what
//! they cover is stored.

use serde::Serialize;
use std::time::{Duration, Instant};

use super::wire::*;
use crate::ledger::replica::{LotEvent, Record};
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
    #[error("the server answered {status}: {message}")]
    Http { status: u16, message: String },
    #[error("{0}")]
    Ledger(#[from] crate::ledger::Error),
    #[error("this device is not enrolled: run lotkeeper enroll --server URL --token TOKEN")]
    NotEnrolled,
}

impl SyncError {
    /// Worth retrying later (with backoff), as opposed to needing a person.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Offline(_) => true,
            SyncError::Http { status, .. } => *status >= 500,
            _ => false,
        }
    }
}

pub struct Client {
    base: String,
    token: String,
    http: reqwest::blocking::Client,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub pushed: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub pulled: usize,
    pub lot_events: usize,
    pub master_updated: bool,
    pub pending: i64,
    pub conflicts: i64,
    pub ms: u128,
}

impl Client {
    pub fn new(base: &str, token: &str) -> Result<Client, SyncError> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        Ok(Client {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            http,
        })
    }

    /// The client for the server this device is enrolled with.
    pub fn for_ledger(ledger: &Ledger) -> Result<Client, SyncError> {
        match (ledger.sync_value("server")?, ledger.sync_value("token")?) {
            (Some(s), Some(t)) => Client::new(&s, &t),
            _ => Err(SyncError::NotEnrolled),
        }
    }

    fn check(resp: reqwest::blocking::Response) -> Result<reqwest::blocking::Response, SyncError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let message = resp
            .json::<ErrorBody>()
            .map(|b| b.error)
            .unwrap_or_else(|_| status.canonical_reason().unwrap_or("error").to_string());
        Err(if status.as_u16() == 401 {
            SyncError::Unauthorized(message)
        } else {
            SyncError::Http {
                status: status.as_u16(),
                message,
            }
        })
    }

    fn offline(e: reqwest::Error) -> SyncError {
        SyncError::Offline(e.to_string())
    }

    pub fn health(&self) -> Result<(), SyncError> {
        let r = self
            .http
            .get(format!("{}/v1/health", self.base))
            .send()
            .map_err(Self::offline)?;
        Self::check(r).map(|_| ())
    }

    /// The device name the server knows this token by.
    pub fn whoami(&self) -> Result<String, SyncError> {
        let r = self
            .http
            .get(format!("{}/v1/whoami", self.base))
            .bearer_auth(&self.token)
            .send()
            .map_err(Self::offline)?;
        let v: serde_json::Value = Self::check(r)?.json().map_err(Self::offline)?;
        v["device"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| SyncError::Http {
                status: 200,
                message: "whoami gave no device name".into(),
            })
    }

    pub fn push(&self, movements: Vec<WireMovement>) -> Result<PushResponse, SyncError> {
        let r = self
            .http
            .post(format!("{}/v1/push", self.base))
            .bearer_auth(&self.token)
            .json(&PushRequest { movements })
            .send()
            .map_err(Self::offline)?;
        Self::check(r)?.json().map_err(Self::offline)
    }

    pub fn pull(
        &self,
        after: i64,
        lot_events_after: i64,
        master_version: i64,
    ) -> Result<PullResponse, SyncError> {
        let r = self
            .http
            .get(format!("{}/v1/pull", self.base))
            .bearer_auth(&self.token)
            .query(&[
                ("after", after),
                ("lot_events_after", lot_events_after),
                ("master_version", master_version),
            ])
            .send()
            .map_err(Self::offline)?;
        Self::check(r)?.json().map_err(Self::offline)
    }
}

fn cursor(ledger: &Ledger, key: &str) -> Result<i64, SyncError> {
    Ok(ledger
        .sync_value(key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

/// One sync: push everything pending, then pull until the server has nothing more.
pub fn sync_once(ledger: &mut Ledger, client: &Client) -> Result<SyncReport, SyncError> {
    let started = Instant::now();
    let mut report = SyncReport::default();
    let now = crate::ledger::clock::timestamp(ledger.clock().now());
    ledger.set_sync_value("last_attempt", &now)?;
    // Push, oldest first.
    loop {
        let pending = ledger.pending(PUSH_CHUNK)?;
        if pending.is_empty() {
            break;
        }
        let n = pending.len();
        let resp = client.push(pending.iter().map(WireMovement::from).collect())?;
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
        ledger.record_verdicts(&verdicts)?;
        if (n as i64) < PUSH_CHUNK {
            break;
        }
    }
    // Pull until the server has nothing more.
    loop {
        let resp = client.pull(
            cursor(ledger, "cursor")?,
            cursor(ledger, "lot_event_cursor")?,
            cursor(ledger, "master_version")?,
        )?;
        if let Some(m) = resp.master {
            ledger.apply_master(&m.into())?;
            report.master_updated = true;
        }
        if !resp.lot_events.is_empty() {
            report.lot_events += resp.lot_events.len();
            let events: Vec<LotEvent> = resp.lot_events.into_iter().map(LotEvent::from).collect();
            ledger.apply_lot_events(&events)?;
        }
        ledger.set_sync_value("lot_event_cursor", &resp.lot_event_cursor.to_string())?;
        let records: Vec<Record> = resp.movements.into_iter().map(Record::from).collect();
        report.pulled += ledger.apply_records(&records)?;
        ledger.set_sync_value("cursor", &resp.cursor.to_string())?;
        if !resp.more {
            break;
        }
    }
    let done = crate::ledger::clock::timestamp(ledger.clock().now());
    ledger.set_sync_value("last_success", &done)?;
    (report.pending, report.conflicts) = ledger.outbox_counts()?;
    report.ms = started.elapsed().as_millis();
    Ok(report)
}
