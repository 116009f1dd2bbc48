//! A seeded simulation of devices and a server. One seed drives everything: the operations on
//! each device (including ones the rules refuse), syncs through a faulty network (`transport`),
//! device and server restarts, the clock, and every id (`ledger::clock::SeededIds`). The real
//! ledger and the real server code run: each device is a file-backed `Ledger`, the server is
//! `server::app` over its own file. At checkpoints and at the end the network heals, everyone
//! syncs to quiescence, and the auditor (`audit`) computes the balances from the server's
//! accepted log on its own and compares every replica with them.
//!
//! The same seed gives the same run: [`Report::digest`] covers the trace of events and the final
//! state. The suite runs a few seeds (`tests/it/sim.rs`); `examples/sim.rs` runs many.

pub mod audit;
pub mod transport;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use self::audit::{Key, Move};
use self::transport::{FaultCounts, FaultRates, Net};
use crate::ledger::clock::{with_ids, SeededIds};
use crate::ledger::import::ImportKind;
use crate::ledger::replica::Record;
use crate::ledger::{
    AdjustCmd, Error as LedgerError, FixedClock, Ledger, LotStatus, ReceiveCmd, ShipCmd,
    TransferCmd,
};
use crate::sync::client::{sync_once, Client};
use crate::sync::server::{app, AppState};
use crate::sync::{hash_token, new_token};

const ITEMS: &str = "\
sku,name,gtin,tracking,expiry_tracked,shelf_life_days,unit
FLOUR,Flour 25 kg,,lot,false,,BAG
PARA,Paracetamol 500 mg,,lot,true,365,EA
BOLT,Bolt M8,,none,false,,EA
PHONE,Handheld terminal,,serial,false,,EA
";

const LOCATIONS: &str = "\
code,name,kind
DOCK,Dock,dock
A1,Bin A1,bin
A2,Bin A2,bin
Q,Quarantine,quarantine
";

/// The real locations; everything else a movement names is virtual (suppliers, customers, ...).
const REAL: [&str; 4] = ["DOCK", "A1", "A2", "Q"];
const ITEM_CODES: [&str; 4] = ["FLOUR", "PARA", "BOLT", "PHONE"];
/// Lots and their expiry; OLD expires on the run's second day.
const LOTS: [(&str, &str); 3] = [
    ("L1", "2027-01-31"),
    ("L2", "2027-03-31"),
    ("OLD", "2026-06-16"),
];
const START: &str = "2026-06-15T08:00:00Z";

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Config {
    pub seed: u64,
    pub devices: usize,
    /// Operations, syncs and restarts, one per step.
    pub steps: usize,
    /// Audits before the final one, evenly spaced.
    pub checkpoints: usize,
    pub faults: FaultRates,
    /// The server's ledger on this PostgreSQL database (an empty one), filled at the start from
    /// the SQLite file the run sets up; none: the server stays on that file.
    #[cfg(feature = "postgres")]
    pub postgres: Option<String>,
}

impl Config {
    pub fn new(seed: u64, devices: usize, steps: usize) -> Config {
        Config {
            seed,
            devices,
            steps,
            checkpoints: 2,
            faults: FaultRates::default(),
            #[cfg(feature = "postgres")]
            postgres: None,
        }
    }
}

/// Something the auditor found: the seed and step reproduce it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub seed: u64,
    pub step: usize,
    pub what: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "seed {} step {}: {}", self.seed, self.step, self.what)
    }
}

/// What one run did and found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub seed: u64,
    pub devices: usize,
    pub steps: usize,
    /// Movements posted on devices, and operations the device's rules refused.
    pub posted: usize,
    pub refused: usize,
    /// Movements in the server's log at the end, and movements the server rejected (conflicts).
    pub accepted: usize,
    pub conflicts: usize,
    pub syncs: usize,
    pub failed_syncs: usize,
    pub device_restarts: usize,
    pub server_restarts: usize,
    pub audits: usize,
    pub network: FaultCounts,
    pub violations: Vec<Violation>,
    /// SHA-256 of the trace of events and the final state of every replica.
    pub digest: String,
}

/// Why a run could not be set up or carried on (not a finding: those are violations).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

struct Device {
    name: String,
    path: PathBuf,
    ledger: Ledger,
    token: String,
    /// Every movement id this device made (taken from its outbox before each sync).
    made: BTreeSet<String>,
}

struct Sim {
    cfg: Config,
    dir: PathBuf,
    rng: StdRng,
    clock: Arc<FixedClock>,
    net: Net,
    devices: Vec<Device>,
    /// Steps until the server is back, while it is down.
    server_down_for: usize,
    trace: Vec<String>,
    report: Report,
    step: usize,
    /// The server's ledger is on PostgreSQL now (`Config::postgres`).
    #[cfg(feature = "postgres")]
    moved: bool,
}

/// Runs one simulation in `dir` (which should be empty).
pub fn run(cfg: &Config, dir: &Path) -> Result<Report, SimError> {
    with_ids(SeededIds::new(cfg.seed), || {
        let mut sim = Sim::new(cfg.clone(), dir)?;
        sim.run()?;
        Ok(sim.finish())
    })
}

fn refusal(e: &LedgerError) -> bool {
    matches!(
        e,
        LedgerError::Refused { .. } | LedgerError::NotFound(_) | LedgerError::Invalid(_)
    )
}

impl Sim {
    fn new(cfg: Config, dir: &Path) -> Result<Sim, SimError> {
        let start = chrono::DateTime::parse_from_rfc3339(START)
            .expect("START is RFC 3339")
            .with_timezone(&chrono::Utc);
        let clock = Arc::new(FixedClock::at(start));
        let net = Net::new(cfg.seed ^ 0x006e_6574_776f_726b)?;
        let mut sim = Sim {
            rng: StdRng::seed_from_u64(cfg.seed),
            dir: dir.to_path_buf(),
            clock,
            net,
            devices: Vec::new(),
            server_down_for: 0,
            trace: Vec::new(),
            report: Report {
                seed: cfg.seed,
                devices: cfg.devices,
                steps: cfg.steps,
                ..Default::default()
            },
            step: 0,
            #[cfg(feature = "postgres")]
            moved: false,
            cfg,
        };
        {
            let mut server = sim.open_server()?;
            server.import_csv(ImportKind::Items, ITEMS)?;
            server.import_csv(ImportKind::Locations, LOCATIONS)?;
            for i in 0..sim.cfg.devices {
                let name = format!("dev{i}");
                let token = new_token();
                server.add_device(&name, &hash_token(&token))?;
                let path = sim.dir.join(format!("{name}.db"));
                let mut ledger = sim.open_device(&path)?;
                ledger.enroll("sim://server", &token, &name)?;
                sim.devices.push(Device {
                    name,
                    path,
                    ledger,
                    token,
                    made: BTreeSet::new(),
                });
            }
        }
        #[cfg(feature = "postgres")]
        if let Some(url) = &sim.cfg.postgres {
            crate::ledger::pg::migrate::migrate_server(&sim.server_path(), url)?;
            sim.moved = true;
        }
        sim.start_server()?;
        // Everyone learns the master data before the network turns bad.
        sim.quiesce()?;
        sim.net.set_faults(sim.cfg.faults);
        Ok(sim)
    }

    fn server_path(&self) -> PathBuf {
        self.dir.join("server.db")
    }

    /// The server's ledger: the SQLite file, or PostgreSQL once the run moved it there.
    fn open_server(&self) -> Result<Ledger, SimError> {
        #[cfg(feature = "postgres")]
        if let Some(url) = self.cfg.postgres.as_ref().filter(|_| self.moved) {
            return Ok(Ledger::open_postgres(url)?.with_clock(self.clock.clone()));
        }
        Ok(Ledger::open(&self.server_path())?.with_clock(self.clock.clone()))
    }

    fn open_device(&self, path: &Path) -> Result<Ledger, SimError> {
        Ok(Ledger::open(path)?.with_clock(self.clock.clone()))
    }

    fn start_server(&mut self) -> Result<(), SimError> {
        let ledger = self.open_server()?;
        self.net.set_server(Some(app(AppState::new(ledger))));
        Ok(())
    }

    fn note(&mut self, event: String) {
        self.trace.push(format!("{} {event}", self.step));
    }

    fn violation(&mut self, what: String) {
        let v = Violation {
            seed: self.cfg.seed,
            step: self.step,
            what,
        };
        self.note(format!("VIOLATION {v}"));
        self.report.violations.push(v);
    }

    fn run(&mut self) -> Result<(), SimError> {
        let every = self.cfg.steps / (self.cfg.checkpoints + 1).max(1);
        for step in 1..=self.cfg.steps {
            self.step = step;
            self.clock
                .advance(chrono::Duration::seconds(self.rng.gen_range(1..=300)));
            if self.server_down_for > 0 {
                self.server_down_for -= 1;
                if self.server_down_for == 0 {
                    self.start_server()?;
                    self.note("server back".into());
                }
            }
            let d = self.rng.gen_range(0..self.devices.len());
            match self.rng.gen_range(0..100) {
                0..=21 => self.receive(d)?,
                22..=37 => self.transfer(d)?,
                38..=49 => self.ship(d)?,
                50..=57 => self.adjust(d)?,
                58..=63 => self.correct(d)?,
                64..=69 => self.hold_or_release(d)?,
                70..=89 => {
                    self.sync(d)?;
                }
                90..=94 => self.restart_device(d)?,
                95..=96 if self.net.server_up() => {
                    self.net.set_server(None);
                    self.server_down_for = self.rng.gen_range(1..=5);
                    self.report.server_restarts += 1;
                    self.note(format!("server down for {} steps", self.server_down_for));
                }
                _ => {
                    let n = self.rng.gen_range(1..=3);
                    let late = self.net.deliver_late(n);
                    self.note(format!("{late} late requests delivered"));
                }
            }
            if every > 0 && step % every == 0 && step / every <= self.cfg.checkpoints {
                self.checkpoint()?;
            }
        }
        self.step = self.cfg.steps + 1;
        self.checkpoint()
    }

    /// Records how an operation went; a refusal must leave the device's journal as it was.
    fn outcome(
        &mut self,
        d: usize,
        what: String,
        before: i64,
        r: Result<usize, LedgerError>,
    ) -> Result<(), SimError> {
        match r {
            Ok(n) => {
                self.report.posted += n;
                self.note(format!("{} {what}: {n} posted", self.devices[d].name));
            }
            Err(e) if refusal(&e) => {
                self.report.refused += 1;
                self.note(format!("{} {what}: refused: {e}", self.devices[d].name));
                let after = self.devices[d].ledger.query().movement_count()?;
                if after != before {
                    self.violation(format!(
                        "{}: the refused {what} changed the journal ({before} -> {after} movements)",
                        self.devices[d].name
                    ));
                }
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Runs one operation on device `d` and records how it went.
    fn attempt(
        &mut self,
        d: usize,
        what: String,
        op: impl FnOnce(&mut Ledger) -> Result<usize, LedgerError>,
    ) -> Result<(), SimError> {
        let before = self.devices[d].ledger.query().movement_count()?;
        let r = op(&mut self.devices[d].ledger);
        self.outcome(d, what, before, r)
    }

    /// How much to move of a stock line: a serial is one unit.
    fn qty_for(&mut self, serial: &Option<String>) -> i64 {
        if serial.is_some() {
            1
        } else {
            self.rng.gen_range(1..=15)
        }
    }

    fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.rng.gen_range(0..from.len())]
    }

    fn lot_for(&mut self, item: &str) -> (Option<String>, Option<chrono::NaiveDate>) {
        if matches!(item, "FLOUR" | "PARA") {
            let (lot, expiry) = *self.pick(&LOTS);
            let expiry = (item == "PARA").then(|| expiry.parse().expect("a date"));
            (Some(lot.to_string()), expiry)
        } else {
            (None, None)
        }
    }

    /// A line of the device's stock to take from (None when it holds nothing).
    fn stock_line(&mut self, d: usize) -> Result<Option<Key>, SimError> {
        let lines = self.devices[d].ledger.query().stock(None, None)?;
        let lines: Vec<_> = lines.into_iter().filter(|l| l.qty > 0).collect();
        if lines.is_empty() {
            return Ok(None);
        }
        let l = &lines[self.rng.gen_range(0..lines.len())];
        Ok(Some((
            l.location.clone(),
            l.item.clone(),
            l.lot.clone(),
            l.serial.clone(),
        )))
    }

    fn receive(&mut self, d: usize) -> Result<(), SimError> {
        let item = self.pick(&ITEM_CODES).to_string();
        let to = self.pick(&REAL[..3]).to_string();
        let (lot, expiry) = self.lot_for(&item);
        let (qty, serials) = if item == "PHONE" {
            let n = self.rng.gen_range(1..=2);
            let serials: Vec<String> = (0..n)
                .map(|_| format!("SN{}", self.rng.gen_range(1..=15)))
                .collect();
            (n, serials)
        } else {
            (self.rng.gen_range(1..=20), vec![])
        };
        let what = format!("receive {qty} {item} {lot:?} {serials:?} to {to}");
        self.attempt(d, what, |l| {
            l.receive(&ReceiveCmd {
                item,
                qty,
                to,
                lot,
                expiry,
                serials,
                supplier: Some("Acme".into()),
                ..Default::default()
            })
            .map(|p| p.len())
        })
    }

    fn transfer(&mut self, d: usize) -> Result<(), SimError> {
        let Some((from, item, lot, serial)) = self.stock_line(d)? else {
            return Ok(());
        };
        let to = self.pick(&REAL).to_string();
        let qty = self.qty_for(&serial);
        let what = format!("transfer {qty} {item} {lot:?} {serial:?} {from} -> {to}");
        self.attempt(d, what, |l| {
            l.transfer(&TransferCmd {
                item,
                qty,
                from,
                to,
                lot,
                serials: serial.into_iter().collect(),
                ..Default::default()
            })
            .map(|p| p.len())
        })
    }

    fn ship(&mut self, d: usize) -> Result<(), SimError> {
        let Some((from, item, lot, serial)) = self.stock_line(d)? else {
            return Ok(());
        };
        let qty = self.qty_for(&serial);
        let what = format!("ship {qty} {item} {lot:?} {serial:?} from {from}");
        self.attempt(d, what, |l| {
            l.ship(&ShipCmd {
                item,
                qty,
                from,
                lot,
                serials: serial.into_iter().collect(),
                customer: Some("Shop".into()),
                ..Default::default()
            })
            .map(|p| p.len())
        })
    }

    fn adjust(&mut self, d: usize) -> Result<(), SimError> {
        let Some((at, item, lot, serial)) = self.stock_line(d)? else {
            return Ok(());
        };
        let delta = if serial.is_some() {
            -1
        } else {
            self.rng.gen_range(-12..=6)
        };
        let what = format!("adjust {delta} {item} {lot:?} {serial:?} at {at}");
        self.attempt(d, what, |l| {
            l.adjust(&AdjustCmd {
                item,
                delta,
                at,
                lot,
                serial,
                reason: "count".into(),
                ..Default::default()
            })
            .map(|p| p.len())
        })
    }

    fn correct(&mut self, d: usize) -> Result<(), SimError> {
        self.note_made(d)?;
        let made: Vec<String> = self.devices[d].made.iter().cloned().collect();
        if made.is_empty() {
            return Ok(());
        }
        let id = self.pick(&made).clone();
        let what = format!("correct {id}");
        let uuid = uuid::Uuid::parse_str(&id).expect("movement ids are UUIDs");
        self.attempt(d, what, |l| {
            l.correct(uuid, "typed the wrong quantity").map(|p| p.len())
        })
    }

    fn hold_or_release(&mut self, d: usize) -> Result<(), SimError> {
        let item = if self.rng.gen_bool(0.5) {
            "FLOUR"
        } else {
            "PARA"
        };
        let (lot, _) = self.lot_for(item);
        let lot = lot.expect("FLOUR and PARA are lot-tracked");
        let status = if self.rng.gen_bool(0.5) {
            LotStatus::Quarantine
        } else {
            LotStatus::Available
        };
        let what = format!("set {item} {lot} {status:?}");
        self.attempt(d, what, |l| {
            l.set_lot_status(item, &lot, status, "sim: damaged packaging")
                .map(|_| 0)
        })
    }

    /// Remembers the ids waiting in the device's outbox: every movement it makes passes there.
    fn note_made(&mut self, d: usize) -> Result<(), SimError> {
        let pending = self.devices[d].ledger.pending(i64::MAX)?;
        let dev = &mut self.devices[d];
        dev.made.extend(pending.into_iter().map(|r| r.entry.id));
        Ok(())
    }

    /// One sync of device `d` through the network; true when it went through.
    fn sync(&mut self, d: usize) -> Result<bool, SimError> {
        self.note_made(d)?;
        let dev = &mut self.devices[d];
        let client = Client::with_transport(&dev.token, self.net.link());
        let r = sync_once(&mut dev.ledger, &client);
        self.report.syncs += 1;
        let name = dev.name.clone();
        match r {
            Ok(r) => {
                self.note(format!(
                    "{name} sync: pushed {} accepted {} rejected {} pulled {} lot events {} pending {} conflicts {}",
                    r.pushed, r.accepted, r.rejected, r.pulled, r.lot_events, r.pending, r.conflicts
                ));
                Ok(true)
            }
            Err(e) => {
                self.report.failed_syncs += 1;
                self.note(format!("{name} sync failed: {e}"));
                Ok(false)
            }
        }
    }

    /// The app is killed and started again: what it committed must all be there.
    fn restart_device(&mut self, d: usize) -> Result<(), SimError> {
        let before = self.state_of(&self.devices[d].ledger)?;
        let path = self.devices[d].path.clone();
        // The old connection goes first, as when the process dies.
        let fresh = Ledger::open_in_memory()?;
        drop(std::mem::replace(&mut self.devices[d].ledger, fresh));
        self.devices[d].ledger = self.open_device(&path)?;
        self.report.device_restarts += 1;
        let after = self.state_of(&self.devices[d].ledger)?;
        let name = self.devices[d].name.clone();
        self.note(format!("{name} restarted"));
        if before != after {
            self.violation(format!("{name} lost or changed state across a restart"));
        }
        Ok(())
    }

    /// A replica's stock, its journal length and its outbox counts.
    fn state_of(&self, l: &Ledger) -> Result<String, SimError> {
        let stock = stock_of(l)?;
        Ok(format!(
            "{:?} {} {:?}",
            stock,
            l.query().movement_count()?,
            l.outbox_counts()?
        ))
    }

    /// Heals the network, lets the late requests arrive, brings the server up, and syncs every
    /// device until a whole round changes nothing.
    fn quiesce(&mut self) -> Result<(), SimError> {
        self.net.set_faults(FaultRates::NONE);
        if !self.net.server_up() {
            self.start_server()?;
            self.server_down_for = 0;
        }
        self.net.deliver_late(usize::MAX);
        for round in 0..4 {
            let mut all_ok = true;
            for d in 0..self.devices.len() {
                all_ok &= self.sync(d)?;
            }
            if round >= 1 && all_ok {
                // A round after everyone pushed: everyone has pulled everything.
                if round >= 2 {
                    return Ok(());
                }
            } else if round == 3 {
                self.violation("syncing over a healed network did not reach quiescence".into());
            }
        }
        Ok(())
    }

    /// Quiescence, then the audit; the network turns bad again afterwards.
    fn checkpoint(&mut self) -> Result<(), SimError> {
        self.quiesce()?;
        self.audit()?;
        self.net.set_faults(self.cfg.faults);
        Ok(())
    }

    fn audit(&mut self) -> Result<(), SimError> {
        self.report.audits += 1;
        let real: BTreeSet<String> = REAL.iter().map(|s| s.to_string()).collect();
        let server = self.open_server()?;
        let log = whole_log(&server)?;
        let moves: Vec<Move> = log.iter().map(to_move).collect();
        for id in audit::repeated(moves.iter().map(|m| m.id.as_str())) {
            self.violation(format!("movement {id} is in the server's log twice"));
        }
        let expected = audit::balances(&moves, &real);
        for b in audit::rule_breaks(&expected) {
            self.violation(format!("the server's accepted log breaks a rule: {b}"));
        }
        let accepted: BTreeSet<&str> = moves.iter().map(|m| m.id.as_str()).collect();
        let mut made_anywhere = BTreeSet::new();
        let server_stock = stock_of(&server)?;
        for diff in audit::differences(&expected, &server_stock, 5) {
            self.violation(format!("server: {diff}"));
        }
        drop(server);
        let mut findings = Vec::new();
        for d in 0..self.devices.len() {
            self.note_made(d)?;
            let dev = &self.devices[d];
            let l = &dev.ledger;
            let pending: Vec<Move> = l.pending(i64::MAX)?.iter().map(to_move).collect();
            let conflicts: BTreeSet<String> =
                l.conflicts(true)?.into_iter().map(|c| c.id).collect();
            for id in &dev.made {
                made_anywhere.insert(id.clone());
                let on_server = accepted.contains(id.as_str());
                let rejected = conflicts.contains(id);
                let waiting = pending.iter().any(|m| &m.id == id);
                if on_server && rejected {
                    findings.push(format!(
                        "{}: movement {id} is accepted by the server and a conflict on the device",
                        dev.name
                    ));
                } else if !on_server && !rejected && !waiting {
                    findings.push(format!(
                        "{}: movement {id} was made here and is neither on the server nor a conflict: lost",
                        dev.name
                    ));
                }
            }
            // What the device must show: the server's log with its own pending on top.
            let expected_here = audit::balances(moves.iter().chain(&pending), &real);
            let actual = stock_of(l)?;
            for diff in audit::differences(&expected_here, &actual, 5) {
                findings.push(format!("{}: {diff}", dev.name));
            }
            for b in audit::rule_breaks(&actual) {
                findings.push(format!("{}: {b}", dev.name));
            }
        }
        for id in accepted.difference(&made_anywhere.iter().map(String::as_str).collect()) {
            findings.push(format!(
                "movement {id} is in the server's log but no device made it"
            ));
        }
        self.report.accepted = moves.len();
        for f in findings {
            self.violation(f);
        }
        self.note(format!("audit: {} movements on the server", moves.len()));
        Ok(())
    }

    fn finish(mut self) -> Report {
        let mut h = Sha256::new();
        for line in &self.trace {
            h.update(line.as_bytes());
            h.update(b"\n");
        }
        let mut conflicts = 0;
        for dev in &self.devices {
            if let Ok(s) = self.state_of(&dev.ledger) {
                h.update(s.as_bytes());
            }
            conflicts += dev.ledger.outbox_counts().map(|c| c.1).unwrap_or(0) as usize;
        }
        if let Ok(server) = self.open_server() {
            if let Ok(log) = whole_log(&server) {
                for r in log {
                    h.update(format!("{:?}", r.entry).as_bytes());
                }
            }
        }
        self.report.conflicts = conflicts;
        self.report.network = self.net.counts();
        self.report.digest = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.report
    }
}

/// The server's whole log, oldest first.
fn whole_log(l: &Ledger) -> Result<Vec<Record>, SimError> {
    let mut out: Vec<Record> = Vec::new();
    loop {
        let after = out.last().map_or(0, |r| r.entry.seq);
        let page = l.records_after(after, 10_000)?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

fn to_move(r: &Record) -> Move {
    let e = &r.entry;
    Move {
        id: e.id.clone(),
        item: e.item.clone(),
        lot: e.lot.clone(),
        serial: e.serial.clone(),
        qty: e.qty,
        from: e.from.clone(),
        to: e.to.clone(),
    }
}

/// A replica's stock as it reports it, in the auditor's terms.
fn stock_of(l: &Ledger) -> Result<BTreeMap<Key, i64>, SimError> {
    let mut out = BTreeMap::new();
    for s in l.query().stock(None, None)? {
        if s.qty != 0 {
            *out.entry((s.location, s.item, s.lot, s.serial))
                .or_default() += s.qty;
        }
    }
    Ok(out)
}
