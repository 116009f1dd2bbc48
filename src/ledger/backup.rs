//! Whole databases: an online backup of a database in use, a restore, and a snapshot of another
//! database (a replaced handheld's file) to recover what it had not pushed.
//!
//! All three copy pages through SQLite's backup API, never the file by hand: a copy made while a
//! writer commits is one consistent snapshot (the whole copy is one step, so one read
//! transaction, which in WAL mode never blocks the writer), and a restore writes through the
//! target's own journal, so a stale `-wal` left beside the target can never replay over it.

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{Error, Result};
use super::model::Verdict;
use super::replica::BatchSizes;
use super::{store, Ledger};

/// What a backup or restore wrote, read back from the file itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Copied {
    pub path: PathBuf,
    pub schema_version: i64,
    pub movements: i64,
    /// Movements not yet accepted by a server (a device's database; 0 on a server's).
    pub pending: i64,
    pub bytes: u64,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

/// Every page of `from` into `to`, in one step: one read transaction on `from`, so one snapshot.
fn copy_pages(from: &Connection, to: &mut Connection) -> Result<()> {
    let backup = Backup::new(from, to)?;
    let mut waited = Duration::ZERO;
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            // Another connection holds a lock it will soon release (a rollback-journal writer;
            // in WAL mode a reader never waits): as patient as the ledger's busy timeout.
            StepResult::Busy | StepResult::Locked if waited < BUSY_WAIT => {
                std::thread::sleep(Duration::from_millis(50));
                waited += Duration::from_millis(50);
            }
            _ => return Err(Error::invalid(
                "the database stayed locked by another program for 10 seconds: nothing was copied",
            )),
        }
    }
}

const BUSY_WAIT: Duration = Duration::from_secs(10);

/// The database is whole and one this code knows (not newer). `what` names it in errors.
fn check_copy(conn: &Connection, what: &str) -> Result<i64> {
    let version = check_whole(conn, what)?;
    if version > store::latest_version() {
        return Err(Error::SchemaTooNew {
            path: what.to_string(),
            found: version,
            supported: store::latest_version(),
        });
    }
    Ok(version)
}

/// The database is whole and a lotkeeper database; its schema version.
fn check_whole(conn: &Connection, what: &str) -> Result<i64> {
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| Error::invalid(format!("{what} is not a readable SQLite database: {e}")))?;
    if ok != "ok" {
        return Err(Error::invalid(format!(
            "{what} is damaged (SQLite's integrity check says: {ok})"
        )));
    }
    let version = store::user_version(conn)?;
    let has_journal: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'movements'",
        [],
        |r| r.get(0),
    )?;
    if version < 1 || !has_journal {
        return Err(Error::invalid(format!(
            "{what} is not a lotkeeper database (it has no ledger)"
        )));
    }
    Ok(version)
}

fn describe(conn: &Connection, path: &Path) -> Result<Copied> {
    let (movements, pending) = conn.query_row(
        "SELECT (SELECT count(*) FROM movements),
                (SELECT count(*) FROM outbox WHERE state = 'pending')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(Copied {
        path: path.to_path_buf(),
        schema_version: store::user_version(conn)?,
        movements,
        pending,
        bytes: std::fs::metadata(path)
            .map_err(io(format!("cannot read {}", path.display())))?
            .len(),
    })
}

fn open_read_only(path: &Path, what: &str) -> Result<Connection> {
    if !path.is_file() {
        return Err(Error::NotFound(format!(
            "{what} {} does not exist",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    Ok(conn)
}

/// Flushes a file, or a folder's entry for a renamed file, to the disk.
fn sync_path(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("cannot flush {} to disk", path.display())))
}

/// Copies the database `from` is open on to `dest` (see [`Ledger::backup_to`]).
fn backup_from(from: &Connection, dest: &Path) -> Result<Copied> {
    if dest.exists() {
        return Err(Error::invalid(format!(
            "{} already exists: a backup never overwrites a file; give a new name",
            dest.display()
        )));
    }
    let name = dest
        .file_name()
        .ok_or_else(|| Error::invalid(format!("{} is not a file name", dest.display())))?;
    let dir = dest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::NotFound(format!(
            "the folder {} does not exist",
            dir.display()
        )));
    }
    let mut partial = name.to_os_string();
    partial.push(format!(".partial-{}", std::process::id()));
    let tmp = dir.join(partial);
    let _ = std::fs::remove_file(&tmp);
    let result = (|| {
        store::restrict_permissions(&tmp)?;
        let mut to = Connection::open(&tmp)?;
        copy_pages(from, &mut to)?;
        to.pragma_update(None, "journal_mode", "DELETE")?;
        check_whole(&to, &format!("the backup {}", dest.display()))?;
        drop(to);
        sync_path(&tmp)?;
        // A link, not a rename: it fails rather than replace a file made meanwhile.
        std::fs::hard_link(&tmp, dest)
            .map_err(io(format!("cannot name the backup {}", dest.display())))?;
        std::fs::remove_file(&tmp).map_err(io(format!("cannot remove {}", tmp.display())))?;
        sync_path(dir)?;
        let check = open_read_only(dest, "the backup")?;
        describe(&check, dest)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Copies the database file `db`, in use or not, to `dest` without writing to it: read only, its
/// schema as it is (a backup of a database a newer lotkeeper uses is still a faithful copy).
pub fn backup_file(db: &Path, dest: &Path) -> Result<Copied> {
    let from = open_read_only(db, "the database")?;
    backup_from(&from, dest)
}

impl Ledger {
    /// Copies this database, in use or not, to `dest`: a new file (an existing one is never
    /// overwritten), readable by its owner only, in rollback-journal mode so it is one file to
    /// carry away, checked whole before it takes its name.
    pub fn backup_to(&self, dest: &Path) -> Result<Copied> {
        backup_from(&self.conn, dest)
    }

    /// A copy of the database at `path`, in memory and brought to this code's schema, that
    /// leaves the file untouched (a replaced handheld's database or its backup).
    pub fn snapshot_of(path: &Path) -> Result<Ledger> {
        let what = format!("the database {}", path.display());
        let from = open_read_only(path, "the database")?;
        check_copy(&from, &what)?;
        let mut conn = Connection::open_in_memory()?;
        copy_pages(&from, &mut conn)?;
        store::configure(&conn)?;
        store::migrate(&conn, &what, store::latest_version())?;
        Ok(Ledger::from_connection(conn))
    }

    /// On the back office: pushes what a device's database (its file, or a backup of it) holds
    /// that it never got accepted, as that device, in the order it was made, through the same
    /// acceptance as a push. Ids apply once: what the server already has is answered with its
    /// place in the log, and the device pushing the same movements later changes nothing.
    /// `old` is a [`Ledger::snapshot_of`] the file; its outbox records the verdicts.
    pub fn recover_device(&mut self, old: &mut Ledger) -> Result<Recovery> {
        let device = match old.sync_value("device")? {
            Some(d) if old.is_enrolled() => d,
            _ => {
                return Err(Error::invalid(
                    "that database was never enrolled with a server: nothing in it was waiting to be pushed",
                ))
            }
        };
        if !self.devices()?.iter().any(|(name, _, _)| *name == device) {
            return Err(Error::NotFound(format!(
                "this server has no device named {device}: that database belongs to another server"
            )));
        }
        let before = self.query().movement_count()?;
        let mut out = Recovery {
            device: device.clone(),
            ..Default::default()
        };
        loop {
            let next_change = old.pending_lot_changes(1)?.into_iter().next();
            let pending =
                old.pending_batches(i64::MAX, next_change.as_ref().map(|c| c.after_seq))?;
            if pending.is_empty() {
                if next_change.is_none() {
                    break;
                }
                // The changes made before the next pending movement.
                let first = old.pending(1)?.first().map(|r| r.entry.seq);
                let changes: Vec<_> = old
                    .pending_lot_changes(i64::MAX)?
                    .into_iter()
                    .take_while(|c| first.map_or(true, |s| c.after_seq < s))
                    .collect();
                let verdicts = self.accept_lot_changes(&device, &changes)?;
                for (id, v) in &verdicts {
                    match v {
                        Verdict::Accepted { .. } => out.lot_changes_accepted += 1,
                        Verdict::Rejected { reason } => {
                            out.refused.push((id.clone(), reason.clone()))
                        }
                    }
                }
                old.record_lot_verdicts(&verdicts)?;
                continue;
            }
            let mut sizes = BatchSizes::new();
            let mut records = Vec::with_capacity(pending.len());
            for (r, size) in pending {
                if r.entry.device != device {
                    return Err(Error::invalid(format!(
                        "movement {} in that database says it was made by {}, not {device}: nothing was recovered from it",
                        r.entry.id, r.entry.device
                    )));
                }
                sizes.insert(r.entry.batch_id.clone(), size);
                records.push(r);
            }
            let verdicts = self.accept_batches(&device, &records, &sizes)?;
            for (id, v) in &verdicts {
                match v {
                    Verdict::Accepted { server_seq } if *server_seq > before => out.accepted += 1,
                    Verdict::Accepted { .. } => out.already += 1,
                    Verdict::Rejected { reason } => out.refused.push((id.clone(), reason.clone())),
                }
            }
            old.record_verdicts(&verdicts)?;
        }
        Ok(out)
    }
}

/// What [`Ledger::recover_device`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recovery {
    pub device: String,
    /// Movements the server did not have, now in its log.
    pub accepted: usize,
    /// Movements the server already had (the device pushed them before it was replaced).
    pub already: usize,
    /// Lot status changes the server took.
    pub lot_changes_accepted: usize,
    /// (id, reason) of each movement or lot change the rules refused.
    pub refused: Vec<(String, String)>,
}

/// Replaces the database at `target` with the backup at `backup`, checked first (whole, a
/// lotkeeper database, not newer than this code), then brought to this code's schema. A target
/// that holds movements is replaced only with `replace`. Stop the app or server using `target`
/// first.
pub fn restore(backup: &Path, target: &Path, replace: bool) -> Result<Copied> {
    let from = open_read_only(backup, "the backup")?;
    check_copy(&from, &format!("the backup {}", backup.display()))?;
    if target.exists() {
        let held: i64 = open_read_only(target, "the database")?
            .query_row(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'movements')
                        THEN (SELECT count(*) FROM movements) ELSE 0 END",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        if held > 0 && !replace {
            return Err(Error::invalid(format!(
                "{} holds {held} movements: restoring replaces all of them with the backup's; add --replace if that is meant",
                target.display()
            )));
        }
    }
    let mut to = store::open_raw(target)?;
    copy_pages(&from, &mut to)?;
    store::configure(&to)?;
    store::migrate(&to, &target.display().to_string(), store::latest_version())?;
    to.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    describe(&to, target)
}
