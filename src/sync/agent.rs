//! The background sync of a device: after each post (a poke), periodically, and again and again
//! when the network is away, with exponential backoff and jitter. One sync at a time: one thread
//! does them all, on its own connection to the database (WAL lets the app keep writing).

use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::client::{sync_once, Client, Standing, SyncError};
use crate::ledger::Ledger;

#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Time between syncs when all is well.
    pub interval: Duration,
    /// First wait after a failure; doubles each time, up to `max_backoff`.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
    pub seed: u64,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            interval: Duration::from_secs(60),
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
            seed: 0x10_7ee9,
        }
    }
}

/// What the status bar shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AgentStatus {
    pub online: bool,
    pub syncing: bool,
    pub pending: i64,
    pub conflicts: i64,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    /// Failed attempts in a row.
    pub failures: u32,
    /// Successful syncs since the agent started.
    pub syncs: u64,
    /// What a person must do, if anything: the device was revoked, or its clock is off.
    pub warning: Option<String>,
    /// The server said this device was revoked.
    pub revoked: bool,
    /// Hours this device's clock is off by, when more than the stated skew.
    pub clock_off_hours: Option<i64>,
}

/// The wait before attempt `failures + 1`: `min * 2^(failures-1)`, capped, times a jitter in
/// [0.5, 1.5) so many devices coming back together do not hammer the server at once.
pub fn backoff(config: &AgentConfig, failures: u32, rng: &mut impl Rng) -> Duration {
    let base = config
        .min_backoff
        .saturating_mul(1u32 << failures.saturating_sub(1).min(16))
        .min(config.max_backoff);
    base.mul_f64(rng.gen_range(0.5..1.5))
        .min(config.max_backoff)
}

enum Msg {
    Poke,
    Stop,
}

pub struct SyncAgent {
    tx: Sender<Msg>,
    status: Arc<Mutex<AgentStatus>>,
    thread: Option<JoinHandle<()>>,
}

impl SyncAgent {
    /// Starts syncing the device database at `db`; `on_change` hears every status change.
    pub fn start(
        db: PathBuf,
        config: AgentConfig,
        on_change: impl Fn(&AgentStatus) + Send + 'static,
    ) -> SyncAgent {
        let (tx, rx) = mpsc::channel();
        let status = Arc::new(Mutex::new(AgentStatus::default()));
        let shared = status.clone();
        let thread = std::thread::Builder::new()
            .name("lotkeeper-sync".into())
            .spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(config.seed);
                let mut wait = Duration::ZERO;
                let publish = |f: &dyn Fn(&mut AgentStatus)| {
                    let snapshot = {
                        let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
                        f(&mut s);
                        s.clone()
                    };
                    on_change(&snapshot);
                };
                loop {
                    match rx.recv_timeout(wait) {
                        Ok(Msg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                        Ok(Msg::Poke) | Err(RecvTimeoutError::Timeout) => {}
                    }
                    // Pokes that came meanwhile are all answered by this one sync.
                    while let Ok(m) = rx.try_recv() {
                        if matches!(m, Msg::Stop) {
                            return;
                        }
                    }
                    publish(&|s| s.syncing = true);
                    let mut standing = Standing::default();
                    let result = Ledger::open(&db)
                        .map_err(SyncError::from)
                        .and_then(|mut l| {
                            let client = Client::for_ledger(&l);
                            let r = client.and_then(|c| sync_once(&mut l, &c));
                            standing = Standing::of(&l).unwrap_or_default();
                            let counts = l.outbox_counts().unwrap_or((0, 0));
                            let last = l.sync_value("last_success").ok().flatten();
                            r.map(|_| (counts, last))
                        });
                    let warning = standing.warning();
                    match result {
                        Ok(((pending, conflicts), last)) => {
                            publish(&|s| {
                                *s = AgentStatus {
                                    online: true,
                                    pending,
                                    conflicts,
                                    last_success: last.clone(),
                                    syncs: s.syncs + 1,
                                    warning: warning.clone(),
                                    revoked: standing.revoked,
                                    clock_off_hours: standing.clock_off_hours(),
                                    ..Default::default()
                                }
                            });
                            wait = config.interval;
                        }
                        Err(e) => {
                            let transient = e.is_transient();
                            let msg = e.to_string();
                            let mut failures = 0;
                            publish(&|s| {
                                s.syncing = false;
                                s.warning = warning.clone();
                                s.revoked = standing.revoked;
                                s.clock_off_hours = standing.clock_off_hours();
                                s.online = !matches!(e, SyncError::Offline(_));
                                s.failures += 1;
                                s.last_error = Some(msg.clone());
                            });
                            if let Ok(s) = shared.lock() {
                                failures = s.failures;
                            }
                            wait = if transient {
                                backoff(&config, failures, &mut rng)
                            } else {
                                config.interval
                            };
                        }
                    }
                }
            })
            .expect("a thread can be spawned");
        SyncAgent {
            tx,
            status,
            thread: Some(thread),
        }
    }

    /// Sync soon: a movement was posted, or the platform says the network is back.
    pub fn poke(&self) {
        let _ = self.tx.send(Msg::Poke);
    }

    pub fn status(&self) -> AgentStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for SyncAgent {
    fn drop(&mut self) {
        let _ = self.tx.send(Msg::Stop);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let c = AgentConfig {
            min_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            ..Default::default()
        };
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for (failures, base) in [(1u32, 2u64), (2, 4), (3, 8), (4, 16), (5, 32)] {
            let d = backoff(&c, failures, &mut rng);
            assert!(
                d >= Duration::from_secs(base) / 2 && d < Duration::from_secs(base) * 3 / 2,
                "{failures}: {d:?}"
            );
        }
        for _ in 0..20 {
            assert!(backoff(&c, 30, &mut rng) <= Duration::from_secs(60));
        }
        // Jitter: not every device waits the same.
        let waits: std::collections::HashSet<_> =
            (0..10).map(|_| backoff(&c, 3, &mut rng)).collect();
        assert!(waits.len() > 5);
    }
}
