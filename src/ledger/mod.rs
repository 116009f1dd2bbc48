//! The ledger: the domain model and the SQLite store.
//!
//! Every change of stock is a [`Movement`] posted through [`Ledger::post`], which checks all the
//! rules of the design in one write transaction: a batch is applied whole or not at all, and a
//! refused batch leaves the database exactly as it was. Balances are derived from the journal in
//! the same transaction. This module knows nothing of screens, cameras, HTTP or sync.

mod allocate;
pub mod clock;
pub mod demo;
pub mod documents;
pub mod error;
pub mod import;
pub mod lots;
pub mod model;
mod ops;
pub mod picking;
mod post;
pub mod query;
pub mod replica;
pub mod reports;
mod rows;
mod settings;
pub mod store;
pub mod trace;
pub mod validate;

use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

pub use allocate::{Allocation, AllocationLine};
pub use clock::{Clock, FixedClock, SystemClock};
pub use documents::{PickListStatus, PurchaseOrderStatus};
pub use error::{Error, Result, Rule};
pub use model::*;
pub use ops::{AdjustCmd, AssembleCmd, Component, Output, ReceiveCmd, ShipCmd, TransferCmd};
pub use picking::{PickDraft, PickFinished};

/// Upper bound on one movement's quantity: far above any real stock, far below i64 overflow.
pub const MAX_QTY: i64 = 1_000_000_000_000;
/// Upper bound on the movements in one batch, so one request cannot hold the write lock forever.
pub const MAX_BATCH: usize = 100_000;

/// Codes of the virtual locations the ledger creates on first use.
pub const SUPPLIER: &str = "SUPPLIER";
pub const CUSTOMER: &str = "CUSTOMER";
pub const PRODUCTION: &str = "PRODUCTION";
pub const ADJUSTMENT: &str = "ADJUSTMENT";
pub const OPENING: &str = "OPENING";

/// The virtual location for a named supplier (`SUPPLIER:Acme`), or the anonymous one.
pub fn supplier_location(name: Option<&str>) -> String {
    party_location(SUPPLIER, name)
}

/// The virtual location for a named customer (`CUSTOMER:Corner Pharmacy`), or the anonymous one.
pub fn customer_location(name: Option<&str>) -> String {
    party_location(CUSTOMER, name)
}

fn party_location(prefix: &str, name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("{prefix}:{n}"),
        None => prefix.to_string(),
    }
}

/// The kind of a virtual location the ledger creates by itself when a movement names it.
pub fn virtual_kind(code: &str) -> Option<LocationKind> {
    let head = code.split(':').next().unwrap_or("");
    let named = code.len() > head.len() + 1;
    match head {
        SUPPLIER => Some(LocationKind::Supplier),
        CUSTOMER => Some(LocationKind::Customer),
        PRODUCTION if !named => Some(LocationKind::Production),
        ADJUSTMENT | OPENING if !named => Some(LocationKind::Adjustment),
        _ => None,
    }
}

/// Read-only access to the ledger's database, handed out by [`Ledger::read`]: a connection
/// inside a read transaction with `PRAGMA query_only` set, so every query works and every write
/// fails. Dropping it (also on an early return or a panic) ends the transaction and lifts
/// `query_only`.
pub struct Reader<'a> {
    conn: &'a Connection,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        // The transaction only read, so ending it cannot lose anything; each statement on its
        // own, so `query_only` is lifted even when the transaction is already gone.
        let _ = self.conn.execute_batch("ROLLBACK");
        let _ = self.conn.execute_batch("PRAGMA query_only = 0");
    }
}

/// A local ledger over one SQLite database.
pub struct Ledger {
    conn: Connection,
    clock: Arc<dyn Clock>,
    device: String,
    /// Enrolled with a server: new movements go to the outbox (see `replica`).
    enrolled: bool,
}

impl Ledger {
    /// Opens (or creates) the database at `path`, running pending migrations.
    pub fn open(path: &Path) -> Result<Ledger> {
        Ok(Ledger::from_connection(store::open(path)?))
    }

    pub fn open_in_memory() -> Result<Ledger> {
        Ok(Ledger::from_connection(store::open_in_memory()?))
    }

    fn from_connection(conn: Connection) -> Ledger {
        let (enrolled, device) = replica::enrollment(&conn);
        Ledger {
            conn,
            clock: Arc::new(SystemClock),
            device: device.unwrap_or_else(|| "local".to_string()),
            enrolled,
        }
    }

    /// Replaces the clock (tests and simulations use a fixed or seeded one).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Ledger {
        self.clock = clock;
        self
    }

    /// Names the device recorded on every movement posted through this ledger.
    pub fn with_device(mut self, device: impl Into<String>) -> Ledger {
        self.device = device.into();
        self
    }

    pub fn clock(&self) -> &dyn Clock {
        self.clock.as_ref()
    }

    /// The same clock, to keep beside the ledger (the server stamps its answers with it).
    pub fn shared_clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The connection, for the ledger's own queries and reports. Not public: code outside the
    /// ledger reads through [`Ledger::read`] and writes through [`Ledger::write`] or a named
    /// ledger function.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` with read-only access: one read transaction (a consistent snapshot) with
    /// `PRAGMA query_only` on, so any write through `r` fails ("attempt to write a readonly
    /// database") and changes nothing. For callers outside the ledger that need a query the
    /// ledger has no function for (tests, benches).
    pub fn read<T>(&self, f: impl FnOnce(&Reader) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("PRAGMA query_only = 1")?;
        let reader = Reader { conn: &self.conn };
        reader.execute_batch("BEGIN DEFERRED")?;
        f(&reader)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed if it returns `Ok`, rolled back
    /// (the database untouched) if it returns an error.
    pub fn write<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Posts a batch of movements, all or nothing. Each movement whose id was posted before with
    /// the same content is answered [`Posted::Exists`] and changes nothing.
    pub fn post(&mut self, batch: &[Movement]) -> Result<Vec<Posted>> {
        let ctx = self.post_context(false);
        self.write(|tx| post::post_batch(tx, &ctx, batch))
    }

    fn post_context(&self, opening: bool) -> post::Context {
        let now = self.clock.now();
        post::Context {
            today: self.clock.today(),
            now: clock::timestamp(now),
            now_utc: now,
            device: self.device.clone(),
            opening,
            pushed: false,
            outbox: self.enrolled,
        }
    }

    /// True when the database holds no items, locations or movements yet.
    pub fn is_empty(&self) -> Result<bool> {
        let n: i64 = self.conn.query_row(
            "SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM movements)",
            [],
            |r| r.get(0),
        )?;
        Ok(n == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_through_read_fails_and_changes_nothing() {
        let mut l = Ledger::open_in_memory().unwrap();
        let err = l
            .read(|r| Ok(r.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])?))
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        let n: i64 = l
            .read(|r| Ok(r.query_row("SELECT count(*) FROM settings", [], |row| row.get(0))?))
            .unwrap();
        assert_eq!(n, 0);
        // The ledger writes again once the read is over, also after a read that failed.
        l.write(|tx| Ok(tx.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])?))
            .unwrap();
        assert_eq!(l.setting("k").unwrap().as_deref(), Some("v"));
    }
}
