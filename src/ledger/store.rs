//! Opening the SQLite database: durability settings and schema migrations.
//!
//! Migrations are the numbered files in `migrations/`, embedded in the binary. The schema version
//! lives in `PRAGMA user_version`. All pending migrations run in one transaction, so a database is
//! always at a version the code knows; one newer than the code is refused and left untouched.

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::Path;

use super::error::{Error, Result};

/// The migrations, in order; migration `i` (0-based) brings the schema to version `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_ledger.sql",
        include_str!("../../migrations/0001_ledger.sql"),
    ),
    (
        "0002_workflow.sql",
        include_str!("../../migrations/0002_workflow.sql"),
    ),
    (
        "0003_sync.sql",
        include_str!("../../migrations/0003_sync.sql"),
    ),
    (
        "0004_rules.sql",
        include_str!("../../migrations/0004_rules.sql"),
    ),
    (
        "0005_pick.sql",
        include_str!("../../migrations/0005_pick.sql"),
    ),
    (
        "0006_lots.sql",
        include_str!("../../migrations/0006_lots.sql"),
    ),
    (
        "0007_sync.sql",
        include_str!("../../migrations/0007_sync.sql"),
    ),
    (
        "0008_labels.sql",
        include_str!("../../migrations/0008_labels.sql"),
    ),
    (
        "0009_enrollment.sql",
        include_str!("../../migrations/0009_enrollment.sql"),
    ),
    (
        "0010_compliance.sql",
        include_str!("../../migrations/0010_compliance.sql"),
    ),
    (
        "0011_reorder.sql",
        include_str!("../../migrations/0011_reorder.sql"),
    ),
    (
        "0012_floor.sql",
        include_str!("../../migrations/0012_floor.sql"),
    ),
    (
        "0013_sites.sql",
        include_str!("../../migrations/0013_sites.sql"),
    ),
    (
        "0014_console.sql",
        include_str!("../../migrations/0014_console.sql"),
    ),
    (
        "0015_totals.sql",
        include_str!("../../migrations/0015_totals.sql"),
    ),
    (
        "0016_conflicts.sql",
        include_str!("../../migrations/0016_conflicts.sql"),
    ),
    (
        "0017_password_change.sql",
        include_str!("../../migrations/0017_password_change.sql"),
    ),
];

/// The schema version this code writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Opens (creating if needed) the database at `path` and brings its schema up to date.
pub fn open(path: &Path) -> Result<Connection> {
    let conn = open_raw(path)?;
    migrate(&conn, &path.display().to_string(), latest_version())?;
    Ok(conn)
}

/// Opens (creating if needed, owner-only) the database at `path` with the durability settings,
/// leaving its schema as it is.
pub(crate) fn open_raw(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            context: format!("cannot create the folder {}", dir.display()),
            source,
        })?;
    }
    restrict_permissions(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn)?;
    Ok(conn)
}

/// The database holds the device's token: it is created readable by its owner only (0600), and an
/// older file that others could read is narrowed to that. SQLite gives its -wal and -shm files the
/// main file's permissions.
#[cfg(unix)]
pub(crate) fn restrict_permissions(path: &Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |source| Error::Io {
        context: format!("cannot create or protect the database {}", path.display()),
        source,
    };
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)
        }
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map(drop)
            .map_err(io),
        Err(e) => Err(io(e)),
    }
}

#[cfg(not(unix))]
pub(crate) fn restrict_permissions(_path: &Path) -> Result<()> {
    Ok(())
}

/// An in-memory database with the full schema (tests and benchmarks of pure logic).
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    configure(&conn)?;
    migrate(&conn, ":memory:", latest_version())?;
    Ok(conn)
}

/// WAL with synchronous=FULL: a committed transaction survives a kill or a power cut.
pub fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 16 MiB of page cache: the journal's indexes stay warm on a busy device.
    conn.pragma_update(None, "cache_size", -16384)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

pub fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Runs every migration between the database's version and `target` in one transaction.
pub fn migrate(conn: &Connection, path: &str, target: i64) -> Result<()> {
    let found = user_version(conn)?;
    if found > latest_version() {
        return Err(Error::SchemaTooNew {
            path: path.to_string(),
            found,
            supported: latest_version(),
        });
    }
    if found >= target {
        return Ok(());
    }
    // A migration may rebuild a table others refer to (SQLite changes a CHECK no other way), which
    // needs foreign keys off; they are checked before the commit and turned on again after.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let run = || -> Result<()> {
        // Re-read under the write lock: another process may have migrated meanwhile.
        let found = user_version(conn)?;
        for (name, sql) in &MIGRATIONS[found as usize..target as usize] {
            conn.execute_batch(sql).map_err(|e| {
                Error::invalid(format!(
                    "migration {name} failed: {e} (nothing was changed)"
                ))
            })?;
        }
        let broken: Option<String> = conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()?;
        if let Some(table) = broken {
            return Err(Error::invalid(format!(
                "migrating left a row of {table} pointing at nothing (nothing was changed)"
            )));
        }
        conn.pragma_update(None, "user_version", target)?;
        Ok(())
    };
    let out = match run() {
        Ok(()) => conn.execute_batch("COMMIT").map_err(Error::from),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    };
    conn.pragma_update(None, "foreign_keys", "ON")?;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema as SQLite describes it, in a stable order.
    fn schema(conn: &Connection) -> Vec<(String, String, String)> {
        let mut st = conn
            .prepare("SELECT type, name, IFNULL(sql, '') FROM sqlite_master ORDER BY type, name")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn upgrading_every_earlier_version_equals_a_fresh_schema() {
        let fresh = open_in_memory().unwrap();
        for start in 0..latest_version() {
            let conn = Connection::open_in_memory().unwrap();
            configure(&conn).unwrap();
            migrate(&conn, "old", start).unwrap();
            assert_eq!(user_version(&conn).unwrap(), start);
            migrate(&conn, "old", latest_version()).unwrap();
            assert_eq!(user_version(&conn).unwrap(), latest_version());
            assert_eq!(
                schema(&conn),
                schema(&fresh),
                "upgrade from version {start}"
            );
        }
    }

    #[test]
    fn a_newer_database_is_refused_and_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("future.db");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE x(a); PRAGMA user_version = 99;")
                .unwrap();
        }
        let err = open(&path).unwrap_err();
        assert!(
            matches!(err, Error::SchemaTooNew { found: 99, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("upgrade lotkeeper"));
        let conn = Connection::open(&path).unwrap();
        assert_eq!(user_version(&conn).unwrap(), 99);
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1);
    }

    #[cfg(unix)]
    #[test]
    fn database_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("device.db");
        let conn = open(&path).unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        for f in ["device.db", "device.db-wal", "device.db-shm"] {
            assert_eq!(mode(&dir.path().join(f)), 0o600, "{f}");
        }
        drop(conn);
        // A file made by an older version, readable by all, is narrowed when opened.
        let old = dir.path().join("old.db");
        drop(Connection::open(&old).unwrap());
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(open(&old).unwrap());
        assert_eq!(mode(&old), 0o600);
    }

    #[test]
    fn durability_settings() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("a.db")).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    }
}
