//! The storage interface: the one door through which the posting rules reach a database.
//!
//! A store runs SQL written once, in the part of SQL that SQLite and PostgreSQL both accept:
//! `?` parameters (a store that numbers its parameters rewrites them), `INSERT … ON CONFLICT …
//! DO UPDATE` with the table named in the update, `EXISTS`, `UNION ALL`, `LIMIT`, and values
//! that are integers, reals, text or null (booleans are 0 or 1, dates ISO-8601 text). The rules
//! are then written once and cannot accept a movement on one store that the other refuses.
//!
//! Three operations make a store ([`Sql`]): run a statement, insert a row and learn its key (the
//! insert says `RETURNING` the key column, as both stores allow), and
//! read rows one by one. Everything else ([`SqlExt`]: the first row, all rows, one value) is
//! built on them, and rows come back as tuples of plain Rust values ([`FromRow`]).
//!
//! SQLite's implementation prepares each statement once per connection (`prepare_cached`) and
//! reads values in place, with no copy of a row, so the interface costs the posting path nothing
//! measurable (`cargo bench --bench ledger`).

use std::borrow::Cow;

use chrono::NaiveDate;
use rusqlite::types::{ToSqlOutput, ValueRef};

use super::error::{Error, Result};

/// A value bound to one of a statement's parameters.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(Cow<'a, str>),
    /// Bytes, bound only when migrate-server copies a print job's payload to PostgreSQL.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Blob(Cow<'a, [u8]>),
}

/// What can be bound to a parameter.
pub(crate) trait ToArg {
    fn to_arg(&self) -> Arg<'_>;
}

impl ToArg for i64 {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Int(*self)
    }
}

impl ToArg for bool {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Int(i64::from(*self))
    }
}

impl ToArg for f64 {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Real(*self)
    }
}

impl ToArg for str {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Text(Cow::Borrowed(self))
    }
}

impl ToArg for String {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Text(Cow::Borrowed(self))
    }
}

/// A date is stored as `YYYY-MM-DD` text, which sorts as dates do.
impl ToArg for NaiveDate {
    fn to_arg(&self) -> Arg<'_> {
        Arg::Text(Cow::Owned(self.format("%Y-%m-%d").to_string()))
    }
}

impl<T: ToArg> ToArg for Option<T> {
    fn to_arg(&self) -> Arg<'_> {
        self.as_ref().map_or(Arg::Null, ToArg::to_arg)
    }
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> Arg<'_> {
        (**self).to_arg()
    }
}

/// The parameters of a statement, in order: `args![item.id, code, expiry]`.
macro_rules! args {
    ($($a:expr),* $(,)?) => {
        &[$($crate::ledger::sql::ToArg::to_arg(&$a)),*][..]
    };
}
pub(crate) use args;

/// A value read from a row, borrowed from the store's buffers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Val<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    /// Bytes: only a print job's payload is stored so.
    Blob(&'a [u8]),
}

impl Val<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Val::Null => "null",
            Val::Int(_) => "an integer",
            Val::Real(_) => "a real",
            Val::Text(_) => "text",
            Val::Blob(_) => "bytes",
        }
    }

    /// The value as a parameter of its own, to write it to another store.
    #[cfg(feature = "postgres")]
    pub(crate) fn to_owned_arg(self) -> Arg<'static> {
        match self {
            Val::Null => Arg::Null,
            Val::Int(i) => Arg::Int(i),
            Val::Real(r) => Arg::Real(r),
            Val::Text(t) => Arg::Text(Cow::Owned(t.to_string())),
            Val::Blob(b) => Arg::Blob(Cow::Owned(b.to_vec())),
        }
    }
}

/// One row of a result, read column by column (from 0).
pub(crate) trait Row {
    fn val(&self, column: usize) -> Result<Val<'_>>;
}

/// A Rust value made from one column.
pub(crate) trait FromVal: Sized {
    /// What the column should hold, for the error when it holds something else.
    const WANT: &'static str;
    fn from_val(v: Val<'_>) -> Option<Self>;
}

impl FromVal for i64 {
    const WANT: &'static str = "an integer";
    fn from_val(v: Val<'_>) -> Option<Self> {
        match v {
            Val::Int(i) => Some(i),
            _ => None,
        }
    }
}

impl FromVal for bool {
    const WANT: &'static str = "a flag (0 or 1)";
    fn from_val(v: Val<'_>) -> Option<Self> {
        match v {
            Val::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl FromVal for f64 {
    const WANT: &'static str = "a number";
    fn from_val(v: Val<'_>) -> Option<Self> {
        match v {
            Val::Real(r) => Some(r),
            Val::Int(i) => Some(i as f64),
            _ => None,
        }
    }
}

impl FromVal for String {
    const WANT: &'static str = "text";
    fn from_val(v: Val<'_>) -> Option<Self> {
        match v {
            Val::Text(s) => Some(s.to_string()),
            _ => None,
        }
    }
}

impl FromVal for NaiveDate {
    const WANT: &'static str = "a date (YYYY-MM-DD)";
    fn from_val(v: Val<'_>) -> Option<Self> {
        match v {
            Val::Text(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok(),
            _ => None,
        }
    }
}

impl<T: FromVal> FromVal for Option<T> {
    const WANT: &'static str = T::WANT;
    fn from_val(v: Val<'_>) -> Option<Self> {
        match v {
            Val::Null => Some(None),
            v => T::from_val(v).map(Some),
        }
    }
}

/// Reads column `i` of a row as a `T`, or says what the column held instead.
pub(crate) fn get<T: FromVal>(row: &dyn Row, i: usize) -> Result<T> {
    let v = row.val(i)?;
    T::from_val(v).ok_or_else(|| {
        Error::Store(format!(
            "column {i} holds {}, not {}",
            match v {
                Val::Text(s) => format!("the text '{}'", s.chars().take(40).collect::<String>()),
                other => other.kind().to_string(),
            },
            T::WANT
        ))
    })
}

/// A Rust value made from a whole row: a tuple of column values, in the order selected.
pub(crate) trait FromRow: Sized {
    fn from_row(row: &dyn Row) -> Result<Self>;
}

macro_rules! tuple_from_row {
    ($($t:ident $i:tt),+) => {
        impl<$($t: FromVal),+> FromRow for ($($t,)+) {
            fn from_row(row: &dyn Row) -> Result<Self> {
                Ok(($(get::<$t>(row, $i)?,)+))
            }
        }
    };
}
tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);

/// A database the ledger's rules run on, inside a transaction the caller opened.
pub(crate) trait Sql {
    /// Runs a statement that returns no rows; how many rows it changed.
    fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<usize>;
    /// Runs an `INSERT` of one row that ends in `RETURNING` its integer key, and returns the key.
    fn insert(&self, sql: &str, args: &[Arg<'_>]) -> Result<i64>;
    /// Runs a query and hands each row to `each`, until it returns `false` or the rows end.
    fn scan(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<bool>,
    ) -> Result<()>;
}

/// What every store offers, built on [`Sql`].
pub(crate) trait SqlExt: Sql {
    /// The first row, if any.
    fn first<T: FromRow>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<T>> {
        let mut out = None;
        self.scan(sql, args, &mut |r| {
            out = Some(T::from_row(r)?);
            Ok(false)
        })?;
        Ok(out)
    }

    /// Every row.
    fn all<T: FromRow>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.scan(sql, args, &mut |r| {
            out.push(T::from_row(r)?);
            Ok(true)
        })?;
        Ok(out)
    }

    /// The first column of the first row, if there is a row.
    fn value<T: FromVal>(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<T>> {
        Ok(self.first::<(T,)>(sql, args)?.map(|(v,)| v))
    }
}

impl<S: Sql + ?Sized> SqlExt for S {}

// SQLite, through rusqlite: a statement is prepared once per connection and kept.

/// An insert's SQL without its closing `RETURNING id` (or `seq`): the rowid aliases of the
/// ledger's tables.
fn without_returning(sql: &str) -> Option<&str> {
    let trimmed = sql.trim_end();
    [" RETURNING id", " RETURNING seq"]
        .iter()
        .find_map(|key| trimmed.strip_suffix(key))
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Arg::Null => ValueRef::Null,
            Arg::Int(i) => ValueRef::Integer(*i),
            Arg::Real(r) => ValueRef::Real(*r),
            Arg::Text(s) => ValueRef::Text(s.as_bytes()),
            Arg::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

impl Row for rusqlite::Row<'_> {
    fn val(&self, column: usize) -> Result<Val<'_>> {
        Ok(match self.get_ref(column)? {
            ValueRef::Null => Val::Null,
            ValueRef::Integer(i) => Val::Int(i),
            ValueRef::Real(r) => Val::Real(r),
            ValueRef::Text(t) => Val::Text(
                std::str::from_utf8(t)
                    .map_err(|_| Error::Store(format!("column {column} is not UTF-8 text")))?,
            ),
            ValueRef::Blob(b) => Val::Blob(b),
        })
    }
}

impl Sql for rusqlite::Connection {
    fn run(&self, sql: &str, args: &[Arg<'_>]) -> Result<usize> {
        Ok(self
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(args))?)
    }

    fn insert(&self, sql: &str, args: &[Arg<'_>]) -> Result<i64> {
        // The key every ledger table returns is its INTEGER PRIMARY KEY, which SQLite keeps as
        // the rowid: read it back without RETURNING, which would first copy the row into a
        // temporary table (measured: a 10,000-serial receipt took a quarter longer with it).
        if let Some(plain) = without_returning(sql) {
            self.prepare_cached(plain)?
                .execute(rusqlite::params_from_iter(args))?;
            return Ok(self.last_insert_rowid());
        }
        let mut st = self.prepare_cached(sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(args))?;
        let key = match rows.next()? {
            Some(r) => get::<i64>(r, 0)?,
            None => return Err(Error::Store(format!("an insert returned no key: {sql}"))),
        };
        // Stepped to its end, so the statement is finished before the next one runs.
        while rows.next()?.is_some() {}
        Ok(key)
    }

    fn scan(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<bool>,
    ) -> Result<()> {
        let mut st = self.prepare_cached(sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(args))?;
        while let Some(r) = rows.next()? {
            if !each(r)? {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// What every store must answer alike, over a table made by the store's own DDL:
    /// `t (id integer key, name text not null, qty integer, flag integer not null, day text,
    /// price real)`. Each store's tests run it.
    pub(crate) fn conformance(c: &dyn Sql) {
        let day = NaiveDate::from_ymd_opt(2027, 3, 9).unwrap();
        let no_qty: Option<i64> = None;
        let id = c
            .insert(
                "INSERT INTO t (name, qty, flag, day, price) VALUES (?, ?, ?, ?, ?) RETURNING id",
                args!["lot A-1", no_qty, true, day, 2.5],
            )
            .unwrap();
        assert_eq!(id, 1);
        type Back = (String, Option<i64>, bool, Option<NaiveDate>, f64);
        let row: Option<Back> = c
            .first(
                "SELECT name, qty, flag, day, price FROM t WHERE id = ?",
                args![id],
            )
            .unwrap();
        assert_eq!(row, Some(("lot A-1".into(), None, true, Some(day), 2.5)));
        let none: Option<(String,)> = c
            .first("SELECT name FROM t WHERE id = ?", args![id + 1])
            .unwrap();
        assert_eq!(none, None);
        c.run("DELETE FROM t", args![]).unwrap();

        // Every row, in order; a changed count; a sum cast to an integer on both stores.
        for (n, q) in [("a", 3i64), ("b", 1), ("c", 2)] {
            c.run(
                "INSERT INTO t (name, qty, flag) VALUES (?, ?, 0)",
                args![n, q],
            )
            .unwrap();
        }
        let names: Vec<(String,)> = c.all("SELECT name FROM t ORDER BY qty", args![]).unwrap();
        assert_eq!(names, [("b".into(),), ("c".into(),), ("a".into(),)]);
        assert_eq!(
            c.run("UPDATE t SET qty = qty + 1 WHERE qty > ?", args![1i64])
                .unwrap(),
            2
        );
        assert_eq!(
            c.value::<i64>("SELECT CAST(SUM(qty) AS BIGINT) FROM t", args![])
                .unwrap(),
            Some(8)
        );
        // The same parameter named twice by number.
        assert_eq!(
            c.value::<i64>(
                "SELECT COUNT(*) FROM t WHERE name = ?1 OR (qty > 3 AND name <> ?1)",
                args!["b"]
            )
            .unwrap(),
            Some(2)
        );

        // A column of the wrong kind is an error that says so.
        c.run(
            "INSERT INTO t (name, qty, flag, day) VALUES ('x', 1, 0, 'next tuesday')",
            args![],
        )
        .unwrap();
        let e = c
            .first::<(i64,)>("SELECT name FROM t WHERE name = 'x'", args![])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("column 0 holds the text 'x', not an integer"),
            "{e}"
        );
        let e = c
            .first::<(NaiveDate,)>("SELECT day FROM t WHERE name = 'x'", args![])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a date (YYYY-MM-DD)"), "{e}");
    }

    #[test]
    fn sqlite_answers_as_every_store_must() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER,
                             flag INTEGER NOT NULL, day TEXT, price REAL);",
        )
        .unwrap();
        conformance(&c);
    }
}
