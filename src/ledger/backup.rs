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
use super::replica::{BatchSizes, NextPush, Record};
use super::sql::{args, SqlExt};
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
fn check_copy(conn: &Connection, role: &str, path: &Path) -> Result<i64> {
    let version = check_whole(conn, &format!("{role} {}", path.display()))?;
    if version > store::latest_version() {
        return Err(Error::SchemaTooNew {
            path: path.display().to_string(),
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

/// An error reading `what` in words: SQLite's own text for its code, not "not an error".
fn readable(e: Error, what: &str) -> Error {
    match e {
        Error::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => Error::invalid(format!(
            "{what} cannot be read: {}",
            rusqlite::ffi::code_to_str(f.extended_code)
        )),
        other => other,
    }
}

/// Flushes a file, or a folder's entry for a renamed file, to the disk.
fn sync_path(path: &Path) -> Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(io(format!("cannot flush {} to disk", path.display())))
}

/// Copies the database `from` is open on to `dest` (see [`Ledger::backup_to`]).
fn backup_from(from: &Connection, source: &str, dest: &Path) -> Result<Copied> {
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
        copy_pages(from, &mut to).map_err(|e| readable(e, source))?;
        to.pragma_update(None, "journal_mode", "DELETE")?;
        // The copy is the source's pages: what is wrong with it is wrong with the source.
        check_whole(&to, source)?;
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
    backup_from(&from, &format!("the database {}", db.display()), dest)
}

impl Ledger {
    /// Copies this database, in use or not, to `dest`: a new file (an existing one is never
    /// overwritten), readable by its owner only, in rollback-journal mode so it is one file to
    /// carry away, checked whole before it takes its name.
    pub fn backup_to(&self, dest: &Path) -> Result<Copied> {
        let source = format!(
            "the database {}",
            self.conn()?.path().unwrap_or("in memory")
        );
        backup_from(self.conn()?, &source, dest)
    }

    /// A copy of the database at `path`, in memory and brought to this code's schema, that
    /// leaves the file untouched (a replaced handheld's database or its backup).
    pub fn snapshot_of(path: &Path) -> Result<Ledger> {
        let from = open_read_only(path, "the database")?;
        check_copy(&from, "the database", path)?;
        let mut conn = Connection::open_in_memory()?;
        copy_pages(&from, &mut conn)
            .map_err(|e| readable(e, &format!("the database {}", path.display())))?;
        store::configure(&conn)?;
        store::migrate(&conn, &path.display().to_string(), store::latest_version())?;
        Ok(Ledger::from_connection(conn))
    }

    /// On the back office: pushes what a device's database (its file, or a backup of it) holds
    /// that the server does not have (never pushed, or accepted by a server since restored from
    /// a backup), as that device, in the order it was made, through the same
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
        self.check_same_server(old, &device)?;
        // Movements the server accepted once and no longer has (it was restored from a backup
        // since): pending again in the snapshot, to go in their place among the rest.
        let accepted: Vec<String> = old.read(|c| {
            c.prepare("SELECT movement_id FROM outbox WHERE state = 'accepted'")?
                .query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()
                .map_err(Error::from)
        })?;
        let lost = self.missing(&accepted)?;
        old.write(|tx| {
            let mut again =
                tx.prepare("UPDATE outbox SET state = 'pending' WHERE movement_id = ?")?;
            for id in &lost {
                again.execute([id])?;
            }
            Ok(())
        })?;
        // Every movement it would push is the device's own, checked before any is pushed.
        let forged: Option<(String, String)> = old.read(|c| {
            c.query_row(
                "SELECT m.id, m.device FROM outbox o JOIN movements m ON m.id = o.movement_id
                 WHERE o.state = 'pending' AND m.device <> ? LIMIT 1",
                [&device],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                Error::Sqlite(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
                other => Err(other),
            })
        })?;
        if let Some((id, by)) = forged {
            return Err(Error::invalid(format!(
                "movement {id} in that database says it was made by {by}, not {device}: nothing was recovered from it"
            )));
        }
        let before = self.query().movement_count()?;
        let mut out = Recovery {
            device: device.clone(),
            ..Default::default()
        };
        while let Some(next) = old.next_push(i64::MAX, i64::MAX)? {
            let verdicts = match next {
                NextPush::LotChanges(changes) => {
                    let verdicts = self.accept_lot_changes(&device, &changes)?;
                    old.record_lot_verdicts(&verdicts)?;
                    out.lot_changes_accepted += verdicts
                        .iter()
                        .filter(|(_, v)| matches!(v, Verdict::Accepted { .. }))
                        .count();
                    verdicts
                }
                NextPush::Movements(batches) => {
                    let sizes: BatchSizes = batches
                        .iter()
                        .map(|(r, size)| (r.entry.batch_id.clone(), *size))
                        .collect();
                    let records: Vec<Record> = batches.into_iter().map(|(r, _)| r).collect();
                    let verdicts = self.accept_batches(&device, &records, &sizes)?;
                    old.record_verdicts(&verdicts)?;
                    for (_, v) in &verdicts {
                        match v {
                            Verdict::Accepted { server_seq } if *server_seq > before => {
                                out.accepted += 1
                            }
                            Verdict::Accepted { .. } => out.already += 1,
                            Verdict::Rejected { .. } => {}
                        }
                    }
                    verdicts
                }
            };
            out.refused
                .extend(verdicts.into_iter().filter_map(|(id, v)| match v {
                    Verdict::Rejected { reason } => Some(Refusal { id, reason }),
                    Verdict::Accepted { .. } => None,
                }));
        }
        Ok(out)
    }
}

impl Ledger {
    /// `old` synced with this server, not another that has a device of the same name: the
    /// movements it got from its server (its own accepted ones, and other devices') are here,
    /// and the lot tag this server gave the device is the one it has.
    /// Those of `ids` that are not movements in this journal (the server's, on either store).
    fn missing(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for id in ids {
            let here = self
                .sql()
                .value::<i64>("SELECT 1 FROM movements WHERE id = ? LIMIT 1", args![id])?;
            if here.is_none() {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    fn check_same_server(&self, old: &Ledger, device: &str) -> Result<()> {
        let got: Vec<String> = old.read(|c| {
            c.prepare(
                "SELECT m.id FROM movements m LEFT JOIN outbox o ON o.movement_id = m.id
                 WHERE o.state = 'accepted' OR (o.movement_id IS NULL AND m.device NOT IN (?1, 'local'))
                 ORDER BY m.seq DESC LIMIT 50",
            )?
            .query_map([device], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()
            .map_err(Error::from)
        })?;
        let any = got.is_empty() || self.missing(&got)?.len() < got.len();
        let their_tag = old.sync_value("lot_tag")?;
        let our_tag: Option<String> = self
            .sql()
            .value::<Option<String>>("SELECT lot_tag FROM devices WHERE name = ?", args![device])?
            .flatten();
        let tags_differ = matches!((&their_tag, &our_tag), (Some(a), Some(b)) if a != b);
        if !any || tags_differ {
            return Err(Error::invalid(format!(
                "that database synced with another server that also has a device named {device}: nothing was recovered"
            )));
        }
        Ok(())
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
    /// Each movement or lot change the rules refused.
    pub refused: Vec<Refusal>,
}

/// A movement or lot change the server's rules refused, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    pub id: String,
    pub reason: String,
}

/// Replaces the database at `target` with the backup at `backup`, checked first (whole, a
/// lotkeeper database, not newer than this code), then brought to this code's schema. A target
/// that holds movements is replaced only with `replace`. Stop the app or server using `target`
/// first.
pub fn restore(backup: &Path, target: &Path, replace: bool) -> Result<Copied> {
    let from = open_read_only(backup, "the backup")?;
    check_copy(&from, "the backup", backup)?;
    // A handheld brought back to an earlier day would make again the SSCCs and lot codes it
    // made since, which are on labels already: it is replaced instead.
    if role(&from)? == Role::Handheld {
        return Err(Error::invalid(format!(
            "{} is a handheld's database (enrolled with a server), and a handheld is not restored from a backup: it would make again the SSCCs and lot codes it made since. On the back office, `lotkeeper device recover --from {}` pushes what it had not pushed; then enroll the handheld with a fresh database",
            backup.display(),
            backup.display()
        )));
    }
    // The logs the restored one replaces: the backup's and the replaced database's, and those
    // they replaced (see `Ledger::log_id`).
    let mut lineage = log_lineage(&from);
    // What the replaced database gave out since the backup, never to be given again.
    let mut issued = Issued::default();
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.is_dir() {
            return Err(Error::NotFound(format!(
                "the folder {} does not exist",
                dir.display()
            )));
        }
    }
    if target.is_dir() {
        return Err(Error::invalid(format!(
            "{} is a folder, not a database file",
            target.display()
        )));
    }
    if target.exists() {
        // Before this process opens it: a lock another program holds is seen only from here.
        if open_elsewhere(target) {
            return Err(Error::invalid(format!(
                "{} is open in another program (a running server or app): stop it, then restore",
                target.display()
            )));
        }
        let what = format!("{}", target.display());
        let held = open_read_only(target, "the database")?;
        lineage.extend(log_lineage(&held));
        issued = Issued::read(&held);
        let is_empty: bool = held
            .query_row("SELECT count(*) = 0 FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| Error::invalid(format!("{what} is not a SQLite database ({e}): restore replaces only a lotkeeper database")))?;
        if !is_empty {
            check_copy(&held, "the database", target).map_err(|e| match e {
                Error::Invalid(m) => {
                    Error::invalid(format!("{m}: restore replaces only a lotkeeper database"))
                }
                other => other,
            })?;
            let movements: i64 =
                held.query_row("SELECT count(*) FROM movements", [], |r| r.get(0))?;
            if movements > 0 && !replace {
                return Err(Error::invalid(format!(
                    "{what} holds {movements} movements: restoring replaces all of them with the backup's; add --replace if that is meant"
                )));
            }
            // A handheld's backup over a back office, or the reverse, loses the devices or
            // the outbox of the one replaced.
            let (target_role, backup_role) = (role(&held)?, role(&from)?);
            if target_role != backup_role
                && target_role != Role::Empty
                && backup_role != Role::Empty
            {
                return Err(Error::invalid(format!(
                    "{what} is {} and the backup {} is {}: restore refused",
                    target_role.describe(),
                    backup.display(),
                    backup_role.describe()
                )));
            }
        }
    }
    let mut to = store::open_raw(target)?;
    copy_pages(&from, &mut to)?;
    store::configure(&to)?;
    store::migrate(&to, &target.display().to_string(), store::latest_version())?;
    // A restored server's log is not the one its devices followed: it lacks what they pushed
    // since the backup, and its positions will be reused. A new identity tells them so (see
    // `Ledger::log_id`).
    to.execute("DELETE FROM sync_state WHERE key = 'log_id'", [])?;
    issued.keep(&to)?;
    lineage.sort();
    lineage.dedup();
    super::replica::set_sync_list(&to, "log_replaces", &lineage)?;
    to.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    describe(&to, target)
}

/// Identifiers a back office gives out once, ever, as the database being replaced by a restore
/// holds them: the SSCC blocks given to devices, the devices' lot tags, the SSCCs issued here and
/// where this database's own SSCC range had got to. The restored database never gives them out
/// again (a device enrolled after the backup printed its block's SSCCs and its tag's lot codes).
/// Read only from a database that can be read; a lost one takes them with it (the README says).
#[derive(Default)]
struct Issued {
    blocks: Vec<(i64, String, String)>,
    tags: Vec<String>,
    ssccs: Vec<(String, i64, String, Option<String>)>,
    range: Option<(i64, i64)>,
}

impl Issued {
    fn read(conn: &Connection) -> Issued {
        let all = |sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
            let Ok(mut st) = conn.prepare(sql) else {
                return vec![];
            };
            let n = st.column_count();
            st.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
                .and_then(|rows| rows.collect())
                .unwrap_or_default()
        };
        use rusqlite::types::Value as V;
        let text = |v: &V| match v {
            V::Text(t) => Some(t.clone()),
            _ => None,
        };
        let int = |v: &V| match v {
            V::Integer(i) => Some(*i),
            _ => None,
        };
        Issued {
            blocks: all("SELECT block, device, given_at FROM sscc_blocks")
                .iter()
                .filter_map(|r| Some((int(&r[0])?, text(&r[1])?, text(&r[2])?)))
                .collect(),
            tags: all("SELECT lot_tag FROM devices WHERE lot_tag IS NOT NULL")
                .iter()
                .filter_map(|r| text(&r[0]))
                .collect(),
            ssccs: all("SELECT sscc, serial_reference, issued_at, label FROM ssccs")
                .iter()
                .filter_map(|r| Some((text(&r[0])?, int(&r[1])?, text(&r[2])?, text(&r[3]))))
                .collect(),
            range: all("SELECT next, last FROM sscc_range WHERE id = 1")
                .first()
                .and_then(|r| Some((int(&r[0])?, int(&r[1])?))),
        }
    }

    /// Into the restored database: blocks it does not have, retired; tags its devices do not
    /// have, kept from reuse; SSCCs, as issued; its own range's next, not below the replaced one.
    fn keep(&self, to: &Connection) -> Result<()> {
        use super::clock::Clock;
        let now = super::clock::timestamp(super::clock::SystemClock.now());
        for (block, device, given) in &self.blocks {
            to.execute(
                "INSERT OR IGNORE INTO sscc_blocks (block, device, given_at, retired_at) VALUES (?, ?, ?, ?)",
                rusqlite::params![block, device, given, now],
            )?;
        }
        let mut retired = super::replica::sync_list(to, "retired_lot_tags")?;
        for tag in &self.tags {
            let assigned: bool = to.query_row(
                "SELECT count(*) > 0 FROM devices WHERE lot_tag = ?",
                [tag],
                |r| r.get(0),
            )?;
            if !assigned && !retired.contains(tag) {
                retired.push(tag.clone());
            }
        }
        super::replica::set_sync_list(to, "retired_lot_tags", &retired)?;
        for (sscc, reference, at, label) in &self.ssccs {
            to.execute(
                "INSERT OR IGNORE INTO ssccs (sscc, serial_reference, issued_at, label) VALUES (?, ?, ?, ?)",
                rusqlite::params![sscc, reference, at, label],
            )?;
        }
        if let Some((next, last)) = self.range {
            to.execute(
                "INSERT INTO sscc_range (id, next, last) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET next = max(next, excluded.next)",
                [next, last],
            )?;
        }
        Ok(())
    }
}

/// A server database's log identity and the identities it replaced (none for a handheld's, or
/// a database from before log identities).
fn log_lineage(conn: &Connection) -> Vec<String> {
    let mut out = super::replica::sync_list(conn, "log_replaces").unwrap_or_default();
    out.extend(super::replica::sync_list(conn, "log_id").unwrap_or_default());
    out
}

/// What a database is to sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Enrolled with a server.
    Handheld,
    /// Has enrolled devices.
    BackOffice,
    /// Neither yet.
    Empty,
}

impl Role {
    fn describe(self) -> &'static str {
        match self {
            Role::Handheld => "a handheld's database (enrolled with a server)",
            Role::BackOffice => "a back office's database (with enrolled devices)",
            Role::Empty => "a database not yet syncing",
        }
    }
}

fn role(c: &Connection) -> Result<Role> {
    let (enrolled, devices): (bool, bool) = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM sync_state WHERE key = 'server'), EXISTS (SELECT 1 FROM devices)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    // A database with enrolled devices is a back office, whatever else it holds.
    Ok(match (enrolled, devices) {
        (_, true) => Role::BackOffice,
        (true, false) => Role::Handheld,
        (false, false) => Role::Empty,
    })
}

/// Another program has the SQLite database at `db` open in WAL mode: every connection holds a
/// read lock on the "dead man switch" byte of its -shm file (byte 128 in SQLite's unix VFS)
/// for as long as it is open. POSIX locks of this process are not reported, so this is asked
/// before this process opens the database.
#[cfg(unix)]
pub(crate) fn open_elsewhere(db: &Path) -> bool {
    use std::os::unix::io::AsRawFd;
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&shm)
    else {
        return false;
    };
    // SAFETY: a zeroed flock is a valid value of the C struct; F_GETLK only fills it in.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as _;
    lock.l_whence = libc::SEEK_SET as _;
    lock.l_start = 128;
    lock.l_len = 1;
    // SAFETY: a valid open descriptor and a valid flock for the call to fill.
    let r = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETLK, &mut lock) };
    r == 0 && lock.l_type as libc::c_int != libc::F_UNLCK
}

#[cfg(not(unix))]
pub(crate) fn open_elsewhere(_db: &Path) -> bool {
    false
}
