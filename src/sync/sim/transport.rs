//! The simulation's network: requests go to the real server's axum router in-process
//! (`ServiceExt::oneshot` on a current-thread runtime), and a seeded generator decides each
//! request's fate: delivered, dropped, cut after the server handled it, duplicated, or held
//! back and delivered later, out of order. The server can be down (restarting).

use axum::Router;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

use crate::sync::client::{header_pairs, Request, Response, Transport, TransportError};

/// How often each fault happens, per request, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRates {
    pub drop: u32,
    pub cut: u32,
    pub duplicate: u32,
    pub delay: u32,
}

impl FaultRates {
    pub const NONE: FaultRates = FaultRates {
        drop: 0,
        cut: 0,
        duplicate: 0,
        delay: 0,
    };
}

impl Default for FaultRates {
    fn default() -> Self {
        FaultRates {
            drop: 8,
            cut: 8,
            duplicate: 5,
            delay: 5,
        }
    }
}

/// What the network did, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FaultCounts {
    pub requests: u64,
    pub dropped: u64,
    pub cut: u64,
    pub duplicated: u64,
    pub delayed: u64,
    pub delivered_late: u64,
    pub server_down: u64,
}

struct State {
    server: Option<Router>,
    rng: StdRng,
    rates: FaultRates,
    held: Vec<Request>,
    counts: FaultCounts,
}

/// The network between the devices and the server. Cheap to clone (a handle).
#[derive(Clone)]
pub struct Net {
    rt: Arc<tokio::runtime::Runtime>,
    state: Arc<Mutex<State>>,
}

enum Fate {
    Deliver,
    Drop,
    Cut,
    Duplicate,
    Delay,
}

impl Net {
    pub fn new(seed: u64) -> std::io::Result<Net> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(Net {
            rt: Arc::new(rt),
            state: Arc::new(Mutex::new(State {
                server: None,
                rng: StdRng::seed_from_u64(seed),
                rates: FaultRates::NONE,
                held: Vec::new(),
                counts: FaultCounts::default(),
            })),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The server is up with this router (None: down, every request is refused).
    pub fn set_server(&self, router: Option<Router>) {
        self.state().server = router;
    }

    pub fn server_up(&self) -> bool {
        self.state().server.is_some()
    }

    pub fn set_faults(&self, rates: FaultRates) {
        self.state().rates = rates;
    }

    pub fn counts(&self) -> FaultCounts {
        self.state().counts
    }

    pub fn held(&self) -> usize {
        self.state().held.len()
    }

    /// Delivers up to `n` held requests, picked at random (so out of order), to the server; their
    /// answers go nowhere (the client gave up on them long ago). Nothing while the server is down.
    pub fn deliver_late(&self, n: usize) -> usize {
        let mut delivered = 0;
        while delivered < n {
            let (router, request) = {
                let mut s = self.state();
                if s.held.is_empty() {
                    break;
                }
                let Some(router) = s.server.clone() else {
                    break;
                };
                let n = s.held.len();
                let i = s.rng.gen_range(0..n);
                s.counts.delivered_late += 1;
                (router, s.held.remove(i))
            };
            // The answer is lost whatever it is.
            let _ = self.call(router, request);
            delivered += 1;
        }
        delivered
    }

    /// A transport for one device.
    pub fn link(&self) -> Box<dyn Transport> {
        Box::new(self.clone())
    }

    fn call(&self, router: Router, r: Request) -> Result<Response, TransportError> {
        let mut b = axum::http::Request::builder().method(r.method).uri(&r.path);
        for (k, v) in &r.headers {
            b = b.header(k, v);
        }
        let request = b
            .body(axum::body::Body::from(r.body))
            .map_err(|e| TransportError(format!("bad request: {e}")))?;
        self.rt.block_on(async move {
            let resp = match router.oneshot(request).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let status = resp.status().as_u16();
            let headers = header_pairs(resp.headers());
            let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .map_err(|e| TransportError(format!("connection reset: {e}")))?
                .to_vec();
            Ok(Response {
                status,
                headers,
                body,
            })
        })
    }
}

impl Transport for Net {
    fn send(&self, request: Request) -> Result<Response, TransportError> {
        let (router, fate) = {
            let mut s = self.state();
            s.counts.requests += 1;
            let Some(router) = s.server.clone() else {
                s.counts.server_down += 1;
                return Err(TransportError(
                    "connection refused: the server is restarting".into(),
                ));
            };
            let roll = s.rng.gen_range(0..100);
            let r = s.rates;
            let fate = if roll < r.drop {
                s.counts.dropped += 1;
                Fate::Drop
            } else if roll < r.drop + r.cut {
                s.counts.cut += 1;
                Fate::Cut
            } else if roll < r.drop + r.cut + r.duplicate {
                s.counts.duplicated += 1;
                Fate::Duplicate
            } else if roll < r.drop + r.cut + r.duplicate + r.delay {
                s.counts.delayed += 1;
                s.held.push(request.clone());
                Fate::Delay
            } else {
                Fate::Deliver
            };
            (router, fate)
        };
        match fate {
            Fate::Deliver => self.call(router, request),
            Fate::Drop => Err(TransportError(
                "connection refused: the request was lost".into(),
            )),
            Fate::Cut => {
                let _ = self.call(router, request);
                Err(TransportError(
                    "connection reset: the answer was lost after the server handled the request"
                        .into(),
                ))
            }
            Fate::Duplicate => {
                let _ = self.call(router.clone(), request.clone());
                self.call(router, request)
            }
            Fate::Delay => Err(TransportError(
                "timed out: the request is still on its way".into(),
            )),
        }
    }
}
