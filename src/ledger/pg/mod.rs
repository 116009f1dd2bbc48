//! PostgreSQL as a store for the back office (the `postgres` cargo feature, which the handheld
//! build leaves out): the storage interface of `sql.rs` over the synchronous `postgres` client.
//!
//! The ledger's SQL is written once with `?` parameters; here they become `$1`, `$2`, … (outside
//! quoted text), and each statement is prepared once per connection and kept. Values cross as
//! the interface's four kinds: integers bind to whatever integer, boolean or text column the
//! statement names, so one statement serves both stores; a `NUMERIC` result (PostgreSQL's
//! `SUM` of integers) is read back as the integer it is, as SQLite's `SUM` gives one.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use postgres::types::{to_sql_checked, FromSql, IsNull, ToSql, Type};
use postgres::GenericClient;

use super::error::{Error, Result};
use super::sql::{Arg, Row, Sql, Val};

/// The ledger's `?` parameters as PostgreSQL's `$n`, numbered as SQLite numbers them: `?N`
/// keeps its own, a bare `?` takes one more than the largest so far. Text in single quotes,
/// quoted names and comments are left as they are.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0u32;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                out.push(c);
                out.push(chars.next().unwrap_or('*'));
                let mut last = ' ';
                for d in chars.by_ref() {
                    out.push(d);
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = match digits.parse::<u32>() {
                    Ok(n) => n,
                    Err(_) => next + 1,
                };
                next = next.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

impl ToSql for Arg<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let wrong = || -> Box<dyn std::error::Error + Sync + Send> {
            format!("{self:?} does not fit a parameter of type {ty}").into()
        };
        match self {
            Arg::Null => Ok(IsNull::Yes),
            Arg::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i).map_err(|_| wrong())?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i).map_err(|_| wrong())?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                    i.to_string().as_str().to_sql(ty, out)
                }
                _ => Err(wrong()),
            },
            Arg::Real(r) => match *ty {
                Type::FLOAT8 => r.to_sql(ty, out),
                Type::FLOAT4 => (*r as f32).to_sql(ty, out),
                _ => Err(wrong()),
            },
            Arg::Text(s) => match *ty {
                Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                    s.as_ref().to_sql(ty, out)
                }
                _ => Err(wrong()),
            },
            Arg::Blob(b) => match *ty {
                Type::BYTEA => b.as_ref().to_sql(ty, out),
                _ => Err(wrong()),
            },
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl Row for postgres::Row {
    fn val(&self, column: usize) -> Result<Val<'_>> {
        let ty = self
            .columns()
            .get(column)
            .ok_or_else(|| Error::Store(format!("there is no column {column}")))?
            .type_()
            .clone();
        let read = |e: postgres::Error| Error::Store(format!("column {column}: {e}"));
        Ok(match ty {
            Type::INT8 => self
                .try_get::<_, Option<i64>>(column)
                .map_err(read)?
                .map_or(Val::Null, Val::Int),
            Type::INT4 => self
                .try_get::<_, Option<i32>>(column)
                .map_err(read)?
                .map_or(Val::Null, |i| Val::Int(i.into())),
            Type::INT2 => self
                .try_get::<_, Option<i16>>(column)
                .map_err(read)?
                .map_or(Val::Null, |i| Val::Int(i.into())),
            Type::BOOL => self
                .try_get::<_, Option<bool>>(column)
                .map_err(read)?
                .map_or(Val::Null, |b| Val::Int(b.into())),
            Type::FLOAT8 => self
                .try_get::<_, Option<f64>>(column)
                .map_err(read)?
                .map_or(Val::Null, Val::Real),
            Type::FLOAT4 => self
                .try_get::<_, Option<f32>>(column)
                .map_err(read)?
                .map_or(Val::Null, |r| Val::Real(r.into())),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => self
                .try_get::<_, Option<&str>>(column)
                .map_err(read)?
                .map_or(Val::Null, Val::Text),
            Type::BYTEA => self
                .try_get::<_, Option<&[u8]>>(column)
                .map_err(read)?
                .map_or(Val::Null, Val::Blob),
            Type::NUMERIC => match self.try_get::<_, Numeric>(column).map_err(read)?.0 {
                None => Val::Null,
                Some(Ok(i)) => Val::Int(i),
                Some(Err(r)) => Val::Real(r),
            },
            other => {
                return Err(Error::Store(format!(
                    "column {column} is of type {other}, which the ledger does not read"
                )))
            }
        })
    }
}

/// A `NUMERIC` value: an integer when it has no fraction and fits, else a real. PostgreSQL's
/// binary form is a sign, a weight and base-10000 digits.
struct Numeric(Option<std::result::Result<i64, f64>>);

impl<'a> FromSql<'a> for Numeric {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let word =
            |i: usize| -> std::result::Result<u16, Box<dyn std::error::Error + Sync + Send>> {
                raw.get(i..i + 2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]))
                    .ok_or_else(|| "a NUMERIC value cut short".into())
            };
        let (ndigits, weight, sign) = (word(0)? as usize, word(2)? as i16, word(4)?);
        let negative = match sign {
            0x0000 => false,
            0x4000 => true,
            _ => return Err("NUMERIC NaN or infinity has no place in the ledger".into()),
        };
        let digits = (0..ndigits)
            .map(|i| word(8 + 2 * i))
            .collect::<std::result::Result<Vec<u16>, _>>()?;
        // Every digit in the whole part (weight counts base-10000 places above the point).
        let whole = i32::from(weight) + 1 >= ndigits as i32;
        let mut int = Some(0i128);
        let mut real = 0f64;
        for (i, d) in digits.iter().enumerate() {
            let power = i32::from(weight) - i as i32;
            real += f64::from(*d) * 10_000f64.powi(power);
            int = int.and_then(|v| {
                let p = u32::try_from(power).ok()?;
                v.checked_add(10_000i128.checked_pow(p)?.checked_mul(i128::from(*d))?)
            });
        }
        let int = int
            .filter(|_| whole)
            .and_then(|v| i64::try_from(if negative { -v } else { v }).ok());
        Ok(Numeric(Some(match int {
            Some(i) => Ok(i),
            None => Err(if negative { -real } else { real }),
        })))
    }

    fn from_sql_null(
        _: &Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Numeric(None))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// An error of PostgreSQL's, in its own words (the server's message and detail when it sent one).
/// A connection that broke, or a server that is shutting down or starting, is
/// [`Error::Disconnected`]; a statement or lock wait that timed out, a serialization failure or
/// deadlock, a server out of resources or read-only is [`Error::Unavailable`]. Either way the
/// transaction was rolled back whole, and the same request may be tried again.
pub(crate) fn pg_error(e: postgres::Error) -> Error {
    let code = e.code().map(|c| c.code().to_string()).unwrap_or_default();
    // 08: connection exceptions; 57P01–57P05: shutdown, crash, not yet accepting, database
    // dropped, idle session ended; 25P03 and 25P04: a transaction or session left idle too
    // long. Any FATAL error ends the session.
    let fatal = e
        .as_db_error()
        .is_some_and(|db| matches!(db.severity(), "FATAL" | "PANIC"));
    let gone = e.is_closed()
        || fatal
        || code.starts_with("08")
        || matches!(
            code.as_str(),
            "57P01" | "57P02" | "57P03" | "57P04" | "57P05" | "25P03" | "25P04"
        )
        || (e.as_db_error().is_none()
            && std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()));
    // 57014: a statement timed out; 55P03: a lock not had in time (the writers' turn); 40001
    // and 40P01: serialization failure, deadlock; 53: out of disk, memory or connections;
    // 25006: a read-only server (a standby).
    let busy = code.starts_with("53")
        || matches!(
            code.as_str(),
            "57014" | "55P03" | "40001" | "40P01" | "25006"
        );
    let text = match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(d) => format!("{} ({d})", db.message()),
            None => db.message().to_string(),
        },
        None => e.to_string(),
    };
    if gone {
        Error::Disconnected(format!("the PostgreSQL connection was lost: {text}"))
    } else if busy {
        Error::Unavailable(format!("PostgreSQL could not do it now: {text}"))
    } else {
        Error::Store(text)
    }
}

/// The statements a connection has prepared, by their SQL as the ledger writes it.
#[derive(Default)]
pub(crate) struct Statements(HashMap<String, postgres::Statement>);

/// The parameters of a statement as the client takes them.
fn params<'a>(args: &'a [Arg<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    args.iter().map(|a| a as &(dyn ToSql + Sync)).collect()
}

/// `sql` prepared on `client` (a connection or a transaction), once per connection.
fn prepared(
    client: &mut impl GenericClient,
    statements: &RefCell<Statements>,
    sql: &str,
) -> Result<postgres::Statement> {
    if let Some(s) = statements.borrow().0.get(sql) {
        return Ok(s.clone());
    }
    let st = client.prepare(&numbered(sql)).map_err(pg_error)?;
    statements
        .borrow_mut()
        .0
        .insert(sql.to_string(), st.clone());
    Ok(st)
}

/// The storage interface over anything that runs statements: a transaction, or a connection
/// (each statement then its own transaction, for reads outside one).
fn run_on(
    client: &mut impl GenericClient,
    statements: &RefCell<Statements>,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<usize> {
    let st = prepared(client, statements, sql)?;
    Ok(client.execute(&st, &params(args)).map_err(pg_error)? as usize)
}

fn rows_on(
    client: &mut impl GenericClient,
    statements: &RefCell<Statements>,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<Vec<postgres::Row>> {
    let st = prepared(client, statements, sql)?;
    client.query(&st, &params(args)).map_err(pg_error)
}

fn insert_key(rows: Vec<postgres::Row>, sql: &str) -> Result<i64> {
    match rows.first() {
        Some(r) => super::sql::get::<i64>(r, 0),
        None => Err(Error::Store(format!("an insert returned no key: {sql}"))),
    }
}

fn scan_rows(
    rows: Vec<postgres::Row>,
    each: &mut dyn FnMut(&dyn Row) -> Result<bool>,
) -> Result<()> {
    // Read whole before the rows are handed out, so a caller may run another statement on
    // the same connection for each row.
    for r in rows {
        if !each(&r)? {
            break;
        }
    }
    Ok(())
}

/// A transaction on a PostgreSQL connection, as the ledger's rules see a store. Statements are
/// prepared once per connection (`Statements`) and kept across transactions.
pub(crate) struct PgTx<'c, 'conn> {
    tx: RefCell<postgres::Transaction<'conn>>,
    statements: &'c RefCell<Statements>,
}

impl<'c, 'conn> PgTx<'c, 'conn> {
    pub(crate) fn new(
        tx: postgres::Transaction<'conn>,
        statements: &'c RefCell<Statements>,
    ) -> Self {
        PgTx {
            tx: RefCell::new(tx),
            statements,
        }
    }

    /// Ends the transaction, keeping what it wrote.
    pub(crate) fn commit(self) -> Result<()> {
        self.tx.into_inner().commit().map_err(pg_error)
    }
}

/// What runs statements: a connection, or a transaction on one, with the connection's prepared
/// statements. Each is a store ([`Sql`]) the same way.
trait Session {
    type Client: GenericClient;
    fn client(&self) -> std::cell::RefMut<'_, Self::Client>;
    fn statements(&self) -> &RefCell<Statements>;
    /// Sees each error on its way out (the store notes a connection gone).
    fn failed(&self, e: Error) -> Error {
        e
    }
}

impl<'conn> Session for PgTx<'_, 'conn> {
    type Client = postgres::Transaction<'conn>;
    fn client(&self) -> std::cell::RefMut<'_, Self::Client> {
        self.tx.borrow_mut()
    }
    fn statements(&self) -> &RefCell<Statements> {
        self.statements
    }
}

/// Outside a transaction: each statement commits on its own. The ledger reads so; its writes go
/// through [`PgStore::write`].
impl Session for PgStore {
    type Client = postgres::Client;
    fn client(&self) -> std::cell::RefMut<'_, Self::Client> {
        self.client.borrow_mut()
    }
    fn statements(&self) -> &RefCell<Statements> {
        &self.statements
    }
    fn failed(&self, e: Error) -> Error {
        self.noted(e)
    }
}

impl<S: Session> Sql for S {
    fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<usize> {
        run_on(&mut *self.client(), self.statements(), sql, args).map_err(|e| self.failed(e))
    }

    fn insert(&self, sql: &str, args: &[Arg<'_>]) -> Result<i64> {
        let rows = rows_on(&mut *self.client(), self.statements(), sql, args)
            .map_err(|e| self.failed(e))?;
        insert_key(rows, sql)
    }

    fn scan(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<bool>,
    ) -> Result<()> {
        // The RefMut ends before the rows are handed out.
        let rows = rows_on(&mut *self.client(), self.statements(), sql, args)
            .map_err(|e| self.failed(e))?;
        scan_rows(rows, each)
    }
}

/// PostgreSQL's own migrations, in order: applied at start in one transaction, the version
/// kept in `lotkeeper_schema`. The first is SQLite's schema at its version 13; each later one
/// follows a SQLite migration (0002: SQLite's 0014, the console's users and sessions; 0003:
/// SQLite's 0015, the dashboard's running totals; 0004: SQLite's 0016, the back office's
/// conflicts).
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_ledger",
        include_str!("../../../migrations/postgres/0001_ledger.sql"),
    ),
    (
        "0002_console",
        include_str!("../../../migrations/postgres/0002_console.sql"),
    ),
    (
        "0003_totals",
        include_str!("../../../migrations/postgres/0003_totals.sql"),
    ),
    (
        "0004_conflicts",
        include_str!("../../../migrations/postgres/0004_conflicts.sql"),
    ),
    (
        "0005_password_change",
        include_str!("../../../migrations/postgres/0005_password_change.sql"),
    ),
];

/// The schema version this binary brings PostgreSQL databases to.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// How long a writer waits for its turn (`lock_timeout`): less than a device waits for an
/// answer, so the device hears "busy, retry" (a 503) before it gives up on its own.
const WRITER_WAIT: Duration = Duration::from_secs(20);

/// How long connecting may take before the server says PostgreSQL cannot be reached.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection string with its password left out, for messages.
pub fn redacted(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => {
            let ports = c.get_ports();
            let host = c
                .get_hosts()
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let name = match h {
                        postgres::config::Host::Tcp(h) => h.clone(),
                        #[cfg(unix)]
                        postgres::config::Host::Unix(p) => p.display().to_string(),
                    };
                    // The port given for this host (or the one given for all), else the default.
                    match ports.get(i).or(ports.first()) {
                        Some(port) if *port != 5432 => format!("{name}:{port}"),
                        _ => name,
                    }
                })
                .collect::<Vec<_>>()
                .join(",");
            format!(
                "postgres://{}@{host}/{}",
                c.get_user().unwrap_or(""),
                c.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "(a connection string that does not parse)".into(),
    }
}

/// A connection to a PostgreSQL ledger, migrated to this binary's schema.
pub struct PgStore {
    client: RefCell<postgres::Client>,
    statements: RefCell<Statements>,
    /// A statement found the connection gone. (The client's own `is_closed` does not turn true
    /// for a synchronous client whose server ended the session, in tokio-postgres 0.7.13.)
    broken: std::cell::Cell<bool>,
    /// Where it connected, to connect again after the connection broke.
    url: String,
}

impl PgStore {
    /// Connects and brings the schema up to date (in one transaction), or says why not: a
    /// connection string that does not parse, a server that cannot be reached or refuses the
    /// login, or a database written by a newer lotkeeper (left untouched).
    pub fn connect(url: &str) -> Result<PgStore> {
        let mut store = PgStore {
            client: RefCell::new(PgStore::client(url)?),
            statements: RefCell::default(),
            broken: std::cell::Cell::new(false),
            url: url.to_string(),
        };
        store.migrate(url)?;
        Ok(store)
    }

    /// A new connection, when this one broke (PostgreSQL restarted, the network failed): the
    /// statements it prepared are gone with it. Nothing to do while it is open.
    pub fn reconnect_if_closed(&mut self) -> Result<()> {
        if !self.is_closed() {
            return Ok(());
        }
        let client = PgStore::client(&self.url)?;
        *self.client.get_mut() = client;
        self.statements.get_mut().0.clear();
        self.broken.set(false);
        Ok(())
    }

    /// Whether the connection broke (it cannot be used again).
    pub fn is_closed(&self) -> bool {
        self.broken.get() || self.client.borrow().is_closed()
    }

    /// Notes a connection found gone by `e`, and passes `e` on.
    fn noted(&self, e: Error) -> Error {
        if matches!(e, Error::Disconnected(_)) {
            self.broken.set(true);
        }
        e
    }

    fn client(url: &str) -> Result<postgres::Client> {
        let mut config: postgres::Config = url.parse().map_err(|e| {
            Error::Invalid(format!(
                "not a PostgreSQL connection string ({e}): give postgres://USER@HOST/DATABASE"
            ))
        })?;
        config.connect_timeout(CONNECT_TIMEOUT);
        // A server or network that stops answering is noticed within about half a minute
        // (unacknowledged data, or unanswered keepalives on an idle connection), and the
        // request fails as "unavailable" instead of waiting for ever.
        config.tcp_user_timeout(Duration::from_secs(30));
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(15));
        config.keepalives_interval(Duration::from_secs(5));
        config.keepalives_retries(3);
        // As libpq does: a password left out of the URL comes from PGPASSWORD.
        if config.get_password().is_none() {
            if let Some(p) = std::env::var_os("PGPASSWORD") {
                config.password(p.as_encoded_bytes());
            }
        }
        if config.get_application_name().is_none() {
            config.application_name("lotkeeper");
        }
        // No statement runs for ever, a writer waits its turn at most WRITER_WAIT, and a session
        // that stopped in the middle of a transaction (a server hung, not killed: a killed one's
        // connection closes and PostgreSQL rolls its transaction back) gives up its locks.
        // Options given in the connection string come after, and so win.
        let options = format!(
            "-c statement_timeout=60s -c idle_in_transaction_session_timeout=60s -c lock_timeout={}s {}",
            WRITER_WAIT.as_secs(),
            config.get_options().unwrap_or(""),
        );
        config.options(options.trim_end());
        config.connect(postgres::NoTls).map_err(|e| {
            Error::Disconnected(format!(
                "cannot connect to PostgreSQL at {}: {}",
                redacted(url),
                match e.as_db_error() {
                    Some(db) => db.message().to_string(),
                    None => e.to_string(),
                }
            ))
        })
    }

    /// The schema version of the database.
    pub fn version(&mut self) -> Result<i64> {
        let row = self
            .client
            .get_mut()
            .query_opt("SELECT version FROM lotkeeper_schema WHERE id = 1", &[])
            .map_err(pg_error)?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    fn migrate(&mut self, url: &str) -> Result<()> {
        // Current already (the usual case, and every connection of a server's pool after its
        // first): nothing to take a lock for.
        if let Ok(Some(row)) = self
            .client
            .get_mut()
            .query_opt("SELECT version FROM lotkeeper_schema WHERE id = 1", &[])
        {
            if row.get::<_, i64>(0) == latest_version() {
                return Ok(());
            }
        }
        // The version table first, on its own: two servers creating it at the same moment
        // collide in PostgreSQL's catalog (not in the table), and the one that lost finds it made.
        let create = "CREATE TABLE IF NOT EXISTS lotkeeper_schema (
                          id BIGINT PRIMARY KEY CHECK (id = 1),
                          version BIGINT NOT NULL
                      );
                      INSERT INTO lotkeeper_schema (id, version) VALUES (1, 0)
                          ON CONFLICT (id) DO NOTHING;";
        if let Err(e) = self.client.get_mut().batch_execute(create) {
            // The race shows as a duplicate key in the catalog, a duplicate table, or (CI saw
            // it once) the table's row type that already exists.
            let raced = e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::UNIQUE_VIOLATION
                    || *c == postgres::error::SqlState::DUPLICATE_TABLE
                    || *c == postgres::error::SqlState::DUPLICATE_OBJECT
            });
            if !raced {
                return Err(pg_error(e));
            }
            self.client
                .get_mut()
                .batch_execute(create)
                .map_err(pg_error)?;
        }
        let mut tx = self.client.get_mut().transaction().map_err(pg_error)?;
        // Taken for the whole migration: a second server starting at the same moment waits,
        // then finds the schema current.
        let found: i64 = tx
            .query_one(
                "SELECT version FROM lotkeeper_schema WHERE id = 1 FOR UPDATE",
                &[],
            )
            .map_err(pg_error)?
            .get(0);
        let supported = latest_version();
        if found > supported {
            return Err(Error::SchemaTooNew {
                path: redacted(url),
                found,
                supported,
            });
        }
        // A migration that fills a table from a large ledger may take longer than a statement
        // is otherwise allowed (a server that cannot migrate cannot start).
        tx.batch_execute("SET LOCAL statement_timeout = 0")
            .map_err(pg_error)?;
        for (_, sql) in &MIGRATIONS[found as usize..] {
            tx.batch_execute(sql).map_err(pg_error)?;
        }
        if found < supported {
            tx.execute(
                "UPDATE lotkeeper_schema SET version = $1 WHERE id = 1",
                &[&supported],
            )
            .map_err(pg_error)?;
        }
        tx.commit().map_err(pg_error)
    }

    /// Gathers the planner's statistics of `tables`, after a bulk load: until autovacuum gets to
    /// them, PostgreSQL plans with guesses.
    pub(crate) fn analyze(&mut self, tables: &[&str]) -> Result<()> {
        self.client
            .get_mut()
            .batch_execute(&format!("ANALYZE {}", tables.join(", ")))
            .map_err(pg_error)
    }

    /// Runs `f` in one transaction that commits only when it returns `Ok`. Writers take turns,
    /// as SQLite's `BEGIN IMMEDIATE` makes them: the rules read stock, then write, so two
    /// shipments of the last units must not both read before either writes; and the journal's
    /// `seq` is then given in commit order, so a device pulling after a `seq` skips nothing.
    /// The turn is a row lock on `lotkeeper_schema`, held to commit (no advisory locks, which
    /// CockroachDB lacks).
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T>) -> Result<T> {
        let out = self.write_once(f);
        out.map_err(|e| self.noted(e))
    }

    fn write_once<T>(&mut self, f: impl FnOnce(&dyn Sql) -> Result<T>) -> Result<T> {
        // READ COMMITTED whatever the database's default: each statement sees what the writer
        // before this one committed (under REPEATABLE READ the snapshot would predate the wait).
        let mut tx = self
            .client
            .get_mut()
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::ReadCommitted)
            .start()
            .map_err(pg_error)?;
        tx.execute(
            "SELECT version FROM lotkeeper_schema WHERE id = 1 FOR UPDATE",
            &[],
        )
        .map_err(pg_error)?;
        let pg = PgTx::new(tx, &self.statements);
        let out = f(&pg)?;
        pg.commit()?;
        Ok(out)
    }
}

pub mod migrate;

#[cfg(test)]
mod tests;
