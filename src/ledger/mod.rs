//! The ledger: the domain model and the SQLite store.
//!
//! Every change of stock is a [`Movement`] posted through [`Ledger::post`], which checks all the
//! rules of the design in one write transaction: a batch is applied whole or not at all, and a
//! refused batch leaves the database exactly as it was. Balances are derived from the journal in
//! the same transaction. This module knows nothing of screens, cameras, HTTP or sync.

mod allocate;
pub mod attributes;
pub mod backup;
pub mod clock;
pub mod compliance;
pub mod compositions;
pub mod conflicts;
pub mod convert;
pub mod demo;
pub mod documents;
pub mod enrollment;
pub mod error;
pub mod import;
pub mod labels;
pub mod lots;
pub mod model;
mod ops;
pub mod parties;
#[cfg(feature = "postgres")]
pub mod pg;
pub mod picking;
mod post;
pub mod query;
pub mod replica;
pub mod reports;
mod rows;
mod settings;
pub(crate) mod sql;
pub mod store;
pub mod trace;
pub mod users;
pub mod validate;

use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

use sql::SqlExt;

pub use allocate::{Allocation, AllocationLine};
pub use clock::{Clock, FixedClock, SystemClock};
pub use compositions::{Composition, CompositionLine};
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
/// Prefix of a site's in-transit location (`TRANSIT:NORTH`), made on first use like the virtual
/// ones, though it holds stock.
pub const TRANSIT: &str = "TRANSIT";

/// The in-transit location of a site: where stock sent to it waits until it is received there.
pub fn transit_location(site: &str) -> String {
    format!("{TRANSIT}:{site}")
}

/// The site whose in-transit location `code` names, if it names one.
pub fn transit_site(code: &str) -> Option<&str> {
    code.strip_prefix(TRANSIT)
        .and_then(|rest| rest.strip_prefix(':'))
        .filter(|site| !site.is_empty())
}

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

/// Read-only access to the ledger's database, handed out by [`Ledger::read`]: one read
/// transaction with `PRAGMA query_only` set. It offers queries only: a statement that could write,
/// end the transaction or change a setting is refused before it runs, and `query_only` refuses any
/// write that slipped through. The outermost reader, when dropped (also on an early return or a
/// panic), ends the transaction and lifts `query_only`; a reader nested inside it leaves both alone.
pub struct Reader<'a> {
    conn: &'a Connection,
    depth: &'a std::cell::Cell<u32>,
}

impl<'a> Reader<'a> {
    /// Prepares a query: `SELECT`, `WITH` or `VALUES`, which SQLite confirms reads only, or one
    /// of the checking pragmas (`integrity_check`, `table_info`, ...), which never write.
    pub fn prepare(&self, sql: &str) -> Result<rusqlite::Statement<'a>> {
        let mut words = sql
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase);
        let first = words.next().unwrap_or_default();
        let query = match first.as_str() {
            "select" | "with" | "values" => true,
            "pragma" => {
                words.next().is_some_and(|name| {
                    matches!(
                        name.as_str(),
                        "integrity_check"
                            | "quick_check"
                            | "foreign_key_check"
                            | "table_info"
                            | "table_xinfo"
                            | "index_list"
                            | "index_info"
                    )
                }) && !sql.contains('=')
            }
            _ => false,
        };
        let stmt = self.conn.prepare(sql)?;
        if !query || !stmt.readonly() {
            return Err(Error::Invalid(format!(
                "a ledger read runs queries only, not: {}",
                sql.trim()
            )));
        }
        Ok(stmt)
    }

    /// Runs a query expected to return one row and maps it with `f`.
    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        Ok(self.prepare(sql)?.query_row(params, f)?)
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        let depth = self.depth.get() - 1;
        self.depth.set(depth);
        if depth > 0 {
            return;
        }
        // The transaction only read, so ending it cannot lose anything; each statement on its
        // own, so `query_only` is lifted even when the transaction is already gone.
        let _ = self.conn.execute_batch("ROLLBACK");
        let _ = self.conn.execute_batch("PRAGMA query_only = 0");
    }
}

/// Where a ledger keeps its journal.
enum Db {
    /// A SQLite file: every handheld, and a back office of one small site.
    Sqlite(Connection),
    /// A PostgreSQL database: a back office that runs one or more servers on it.
    #[cfg(feature = "postgres")]
    Pg(Box<pg::PgStore>),
}

/// A ledger over one database: SQLite (every handheld) or PostgreSQL (a back office).
pub struct Ledger {
    db: Db,
    clock: Arc<dyn Clock>,
    device: String,
    /// Enrolled with a server: new movements go to the outbox (see `replica`).
    enrolled: bool,
    /// The site this handheld works at, as its server's master data says (none: every site, or
    /// not a handheld). Its movements keep to that site, as the server will check.
    site: Option<String>,
    /// How many [`Reader`]s are open: only the outermost begins and ends the read transaction.
    read_depth: std::cell::Cell<u32>,
}

impl Ledger {
    /// Opens (or creates) the database at `path`, running pending migrations.
    pub fn open(path: &Path) -> Result<Ledger> {
        Ok(Ledger::from_connection(store::open(path)?))
    }

    pub fn open_in_memory() -> Result<Ledger> {
        Ok(Ledger::from_connection(store::open_in_memory()?))
    }

    /// Connects to a back office's PostgreSQL database (`postgres://USER@HOST/DB`), bringing
    /// its schema up to date, or says why it cannot.
    #[cfg(feature = "postgres")]
    pub fn open_postgres(url: &str) -> Result<Ledger> {
        Ok(Ledger::over(Db::Pg(Box::new(pg::PgStore::connect(url)?))))
    }

    fn from_connection(conn: Connection) -> Ledger {
        Ledger::over(Db::Sqlite(conn))
    }

    fn over(db: Db) -> Ledger {
        let (enrolled, device, site) = match &db {
            Db::Sqlite(c) => replica::enrollment(c),
            #[cfg(feature = "postgres")]
            Db::Pg(p) => replica::enrollment(p.as_ref()),
        };
        Ledger {
            db,
            clock: Arc::new(SystemClock),
            device: device.unwrap_or_else(|| "local".to_string()),
            enrolled,
            site: site.filter(|_| enrolled),
            read_depth: std::cell::Cell::new(0),
        }
    }

    /// The folder documents made on this device are saved in (packing slips): `documents`
    /// beside the database file. None for a database in memory.
    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::infallible_destructuring_match)
    )]
    pub fn documents_dir(&self) -> Option<std::path::PathBuf> {
        let conn = match &self.db {
            Db::Sqlite(c) => c,
            #[cfg(feature = "postgres")]
            Db::Pg(_) => return None,
        };
        let file = conn.path().filter(|p| !p.is_empty())?;
        Some(Path::new(file).parent()?.join("documents"))
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

    /// Enrolled with a back office (a handheld), as opposed to a back office or a lone site.
    pub fn is_enrolled(&self) -> bool {
        self.enrolled
    }

    /// The same clock, to keep beside the ledger (the server stamps its answers with it).
    pub fn shared_clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The SQLite connection, for the ledger's functions not yet written over the storage
    /// interface ([`Ledger::sql`]); on PostgreSQL they say they are not offered there. Not
    /// public: code outside the ledger reads through [`Ledger::read`] and writes through
    /// [`Ledger::write`] or a named ledger function.
    #[track_caller]
    pub(crate) fn conn(&self) -> Result<&Connection> {
        match &self.db {
            Db::Sqlite(c) => Ok(c),
            #[cfg(feature = "postgres")]
            Db::Pg(_) => Err(not_on_postgres(std::panic::Location::caller())),
        }
    }

    /// The store, for reads through the storage interface (outside a transaction on
    /// PostgreSQL: each statement sees what was committed when it ran).
    pub(crate) fn sql(&self) -> &dyn sql::Sql {
        match &self.db {
            Db::Sqlite(c) => c,
            #[cfg(feature = "postgres")]
            Db::Pg(p) => p.as_ref(),
        }
    }

    /// The PostgreSQL database this ledger is on, if it is.
    pub fn is_postgres(&self) -> bool {
        !matches!(self.db, Db::Sqlite(_))
    }

    /// After a lost connection: connects again (PostgreSQL), so the next request may succeed.
    /// SQLite has nothing to do.
    pub fn reconnect(&mut self) -> Result<()> {
        match &mut self.db {
            Db::Sqlite(_) => Ok(()),
            #[cfg(feature = "postgres")]
            Db::Pg(p) => p.reconnect_if_closed(),
        }
    }

    /// Whether this ledger's connection broke and must be made again before it is used.
    pub fn is_broken(&self) -> bool {
        match &self.db {
            Db::Sqlite(_) => false,
            #[cfg(feature = "postgres")]
            Db::Pg(p) => p.is_closed(),
        }
    }

    /// Runs `f` with read-only access: one read transaction (a consistent snapshot) with
    /// `PRAGMA query_only` on, so any write through `r` fails ("attempt to write a readonly
    /// database") and changes nothing. For callers outside the ledger that need a query the
    /// ledger has no function for (tests, benches).
    #[track_caller]
    pub fn read<T>(&self, f: impl FnOnce(&Reader) -> Result<T>) -> Result<T> {
        let conn = self.conn()?;
        if self.read_depth.get() == 0 {
            conn.execute_batch("PRAGMA query_only = 1")?;
            // Counted from here, so a failed BEGIN still lifts `query_only` through the drop.
            self.read_depth.set(1);
            let reader = Reader {
                conn,
                depth: &self.read_depth,
            };
            conn.execute_batch("BEGIN DEFERRED")?;
            return f(&reader);
        }
        // Inside another read: the same snapshot, and the outer reader ends it.
        self.read_depth.set(self.read_depth.get() + 1);
        let reader = Reader {
            conn,
            depth: &self.read_depth,
        };
        f(&reader)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed if it returns `Ok`, rolled back
    /// (the database untouched) if it returns an error.
    #[track_caller]
    #[cfg_attr(
        not(feature = "postgres"),
        allow(clippy::infallible_destructuring_match)
    )]
    pub fn write<T>(&mut self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = match &mut self.db {
            Db::Sqlite(c) => c,
            #[cfg(feature = "postgres")]
            Db::Pg(_) => return Err(not_on_postgres(std::panic::Location::caller())),
        };
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` in one write transaction on either store, through the storage interface:
    /// committed if it returns `Ok`, rolled back if it returns an error. Writers take turns
    /// (SQLite's `BEGIN IMMEDIATE`; on PostgreSQL a row lock every writer takes first).
    pub(crate) fn write_sql<T>(&mut self, f: impl FnOnce(&dyn sql::Sql) -> Result<T>) -> Result<T> {
        match &mut self.db {
            Db::Sqlite(conn) => {
                let tx =
                    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                let out = f(&*tx)?;
                tx.commit()?;
                Ok(out)
            }
            #[cfg(feature = "postgres")]
            Db::Pg(p) => p.write(f),
        }
    }

    /// Posts a batch of movements, all or nothing. Each movement whose id was posted before with
    /// the same content is answered [`Posted::Exists`] and changes nothing.
    pub fn post(&mut self, batch: &[Movement]) -> Result<Vec<Posted>> {
        let ctx = self.post_context(false);
        self.write_sql(|tx| post::post_batch(tx, &ctx, batch))
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
            site: self.site.clone(),
        }
    }

    /// True when the database holds no items, locations or movements yet.
    pub fn is_empty(&self) -> Result<bool> {
        let n: Option<i64> = self.sql().value(
            "SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM movements)",
            sql::args![],
        )?;
        Ok(n == Some(0))
    }
}

/// What a function not yet written over the storage interface says on PostgreSQL.
#[cfg(feature = "postgres")]
fn not_on_postgres(at: &std::panic::Location) -> Error {
    let file = at.file().rsplit('/').next().unwrap_or(at.file());
    Error::Unsupported(format!(
        "this is not offered on a PostgreSQL back office yet ({file}:{}); run it on a SQLite back office",
        at.line()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_through_read_fails_and_changes_nothing() {
        let mut l = Ledger::open_in_memory().unwrap();
        for sql in [
            "INSERT INTO settings (key, value) VALUES ('k', 'v')",
            "  delete from settings",
            "PRAGMA query_only = 0",
            "PRAGMA query_only(0)",
            "PRAGMA integrity_check = 1",
            "COMMIT",
            "WITH x AS (SELECT 1) INSERT INTO settings (key, value) SELECT 'k', 'v' FROM x",
        ] {
            let err = l.read(|r| Ok(r.prepare(sql)?.execute([])?)).unwrap_err();
            assert!(
                err.to_string().contains("runs queries only"),
                "{sql}: {err}"
            );
        }
        // Under the statement check, SQLite's own read-only mode refuses a write too.
        let err = l
            .read(|_| {
                Ok(l.conn()?
                    .execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])?)
            })
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        let n: i64 = l
            .read(|r| r.query_row("SELECT count(*) FROM settings", [], |row| row.get(0)))
            .unwrap();
        assert_eq!(n, 0);
        // The ledger writes again once the read is over, also after a read that failed.
        l.write(|tx| Ok(tx.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])?))
            .unwrap();
        assert_eq!(l.setting("k").unwrap().as_deref(), Some("v"));
    }

    #[test]
    fn a_read_inside_a_read_keeps_the_outer_snapshot_read_only() {
        let mut l = Ledger::open_in_memory().unwrap();
        let outer = l.read(|_| {
            let inner: i64 = l.read(|r| r.query_row("SELECT 1", [], |row| row.get(0)))?;
            // The inner reader is gone; the outer one still holds its transaction and
            // `query_only`, so a write through the connection still fails.
            assert!(
                !l.conn().unwrap().is_autocommit(),
                "the outer read transaction ended early"
            );
            let write = l
                .conn()
                .unwrap()
                .execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", []);
            assert!(write.is_err(), "a write went through after a nested read");
            Ok(inner)
        });
        assert_eq!(outer.unwrap(), 1);
        assert!(l.conn().unwrap().is_autocommit());
        l.write(|tx| Ok(tx.execute("INSERT INTO settings (key, value) VALUES ('k', 'v')", [])?))
            .unwrap();
        assert_eq!(l.setting("k").unwrap().as_deref(), Some("v"));
    }
}
