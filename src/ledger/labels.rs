//! The ledger's side of labels: printers and each workflow's default printer, print jobs (kept
//! until printed, so a printer that is off loses nothing), and SSCCs: a GS1 Company Prefix and
//! extension digit from the settings, serial references from this database's block, every SSCC
//! stored once (the primary key refuses a second). What a label looks like is `label`'s business.
//!
//! SSCCs never meet across devices because the serial references are cut into [`SSCC_BLOCKS`]
//! blocks: block 0 belongs to the database itself (the back office, or a site without one), and
//! the back office gives each enrolled device a block of its own on first ask, which the device
//! learns on every sync ([`Ledger::device_sscc_assignment`], [`Ledger::apply_sscc_assignment`]).
//! A device allocates from its block offline for as long as it likes; an enrolled device that has
//! not heard of its block yet gives out none.

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::error::{Error, Result};
use super::sql::{args, Sql, SqlExt};
use super::{clock, validate, Ledger};

/// Settings keys of the SSCC's fixed part (set by the back office, synced to devices later).
pub const COMPANY_PREFIX: &str = "gs1.company_prefix";
pub const SSCC_EXTENSION: &str = "gs1.sscc_extension";
/// The serial references are cut into this many blocks: 0 for the database itself, 1 to 999 for
/// devices.
pub const SSCC_BLOCKS: u64 = 1000;

/// The serial references of `block` under a company prefix of `prefix_len` digits: the 16 - len
/// digits of the reference cut into [`SSCC_BLOCKS`] equal parts.
pub fn sscc_block_range(prefix_len: usize, block: u64) -> (u64, u64) {
    let size = 10u64.pow(16 - prefix_len as u32) / SSCC_BLOCKS;
    (block * size, block * size + size - 1)
}

/// What the back office tells a device about its SSCCs: the fixed part and its own block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsccAssignment {
    pub company_prefix: String,
    pub extension: String,
    pub block: u64,
    pub first: u64,
    pub last: u64,
}

/// The workflows a printer can be the default for.
pub const PRINTING_WORKFLOWS: &[&str] = &[
    "receive", "pick", "transfer", "count", "lookup", "split", "assemble",
];

/// A printer's name, at most this long.
pub const MAX_PRINTER_NAME: usize = 40;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Printer {
    pub name: String,
    /// HOST:PORT.
    pub address: String,
    pub dpi: u32,
    /// 2x1, 4x2 or 4x6 (inches).
    pub size: String,
    /// The workflows that print here by default.
    pub default_for: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    /// A sender has it (see `claim_print_job`).
    Sending,
    Printed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrintJob {
    pub id: i64,
    pub printer: String,
    pub address: String,
    pub format: String,
    /// What was printed, in words (template and data).
    pub label: String,
    pub status: JobStatus,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: String,
    pub printed_at: Option<String>,
    #[serde(skip)]
    pub payload: Vec<u8>,
}

/// A new job: where to and what.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub printer: &'a str,
    pub address: &'a str,
    pub format: &'a str,
    pub label: &'a str,
    pub payload: &'a [u8],
}

/// Adds or replaces one printer and makes it the default of its workflows.
fn insert_printer(tx: &Connection, p: &Printer) -> Result<()> {
    printer_name(&p.name)?;
    validate::text("printer address", &p.address, 255, "HOST:PORT")?;
    for w in &p.default_for {
        if !PRINTING_WORKFLOWS.contains(&w.as_str()) {
            return Err(Error::invalid(format!(
                "'{w}' is not a workflow: a printer is the default for {}",
                PRINTING_WORKFLOWS.join(", ")
            )));
        }
    }
    tx.execute(
        "INSERT INTO printers (name, address, dpi, size) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (name) DO UPDATE SET address = ?2, dpi = ?3, size = ?4",
        params![p.name, p.address, p.dpi, p.size],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Error::invalid(format!(
                "printer {}: dpi is 203 or 300, size 2x1, 4x2 or 4x6",
                p.name
            ))
        }
        e => e.into(),
    })?;
    for w in &p.default_for {
        tx.execute(
            "INSERT INTO printer_defaults (workflow, printer) VALUES (?1, ?2)
             ON CONFLICT (workflow) DO UPDATE SET printer = ?2",
            params![w, p.name],
        )?;
    }
    Ok(())
}

/// A device takes the back office's printers as they are (inside the master-data transaction).
pub(super) fn replace_printers(tx: &Connection, printers: &[Printer]) -> Result<()> {
    tx.execute("DELETE FROM printer_defaults", [])?;
    tx.execute("DELETE FROM printers", [])?;
    for p in printers {
        insert_printer(tx, p)?;
    }
    Ok(())
}

fn printer_name(name: &str) -> Result<()> {
    validate::text("printer name", name, MAX_PRINTER_NAME, "use a shorter name")?;
    if name.trim().is_empty() || name.trim() != name {
        return Err(Error::invalid(format!(
            "printer name '{name}': give a name without spaces at either end"
        )));
    }
    Ok(())
}

impl Ledger {
    /// Adds a printer or replaces the one of that name, with the workflows it is the default for.
    pub fn put_printer(&mut self, p: &Printer) -> Result<()> {
        self.write(|tx| insert_printer(tx, p))
    }

    /// Removes a printer and its defaults; its jobs stay (they keep its address).
    pub fn remove_printer(&mut self, name: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM printer_defaults WHERE printer = ?", [name])?;
            if tx.execute("DELETE FROM printers WHERE name = ?", [name])? == 0 {
                return Err(Error::NotFound(format!("no printer named {name}")));
            }
            Ok(())
        })
    }

    pub fn printers(&self) -> Result<Vec<Printer>> {
        let names: Vec<(String,)> = self
            .sql()
            .all("SELECT name FROM printers ORDER BY name", args![])?;
        // A printer removed between the two reads (another server) is left out.
        Ok(names
            .iter()
            .map(|(n,)| self.printer(n))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect())
    }

    pub fn printer(&self, name: &str) -> Result<Option<Printer>> {
        let p: Option<(String, String, i64, String)> = self.sql().first(
            "SELECT name, address, dpi, size FROM printers WHERE name = ?",
            args![name],
        )?;
        let Some((name, address, dpi, size)) = p else {
            return Ok(None);
        };
        let default_for: Vec<(String,)> = self.sql().all(
            "SELECT workflow FROM printer_defaults WHERE printer = ? ORDER BY workflow",
            args![name],
        )?;
        Ok(Some(Printer {
            name,
            address,
            dpi: u32::try_from(dpi)
                .map_err(|_| Error::Store(format!("printer dpi {dpi} is out of range")))?,
            size,
            default_for: default_for.into_iter().map(|(w,)| w).collect(),
        }))
    }

    /// The printer a workflow prints to by default.
    pub fn default_printer(&self, workflow: &str) -> Result<Option<Printer>> {
        let name: Option<String> = self
            .conn()?
            .prepare_cached("SELECT printer FROM printer_defaults WHERE workflow = ?")?
            .query_row([workflow], |r| r.get(0))
            .optional()?;
        match name {
            Some(n) => self.printer(&n),
            None => Ok(None),
        }
    }

    /// Queues a job (before it is sent: a crash while sending leaves it queued).
    pub fn queue_print_job(&mut self, job: &NewJob) -> Result<i64> {
        let now = clock::timestamp(self.clock().now());
        self.write(|tx| {
            tx.execute(
                "INSERT INTO print_jobs (printer, address, format, label, payload, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6)",
                params![job.printer, job.address, job.format, job.label, job.payload, now],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Takes a queued job for one sender: it is `sending` until its attempt is recorded, and no
    /// other sender gets it meanwhile (one that has been sending for over two minutes is taken to
    /// have died, and its job is queued again). A printed job is not sent again.
    pub fn claim_print_job(&mut self, id: i64) -> Result<PrintJob> {
        let now = self.clock().now();
        let stale = clock::timestamp(now - chrono::Duration::minutes(2));
        let now = clock::timestamp(now);
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE print_jobs SET status = 'sending', claimed_at = ?2
                 WHERE id = ?1 AND (status = 'queued' OR (status = 'sending' AND claimed_at < ?3))",
                params![id, now, stale],
            )?;
            let job = tx
                .query_row(&format!("{JOB_COLUMNS} WHERE id = ?"), [id], job_row)
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("no print job {id}")))?;
            if n == 0 {
                return Err(Error::invalid(match job.status {
                    JobStatus::Printed => format!(
                        "print job {id} was printed at {}: print the label again instead",
                        job.printed_at.as_deref().unwrap_or("?")
                    ),
                    _ => format!("print job {id} is being sent right now"),
                }));
            }
            Ok(job)
        })
    }

    /// Records one attempt to send a job: printed, or queued again with why not.
    pub fn record_print_attempt(&mut self, id: i64, error: Option<&str>) -> Result<()> {
        let now = clock::timestamp(self.clock().now());
        self.write(|tx| {
            let n = match error {
                None => tx.execute(
                    "UPDATE print_jobs SET status = 'printed', attempts = attempts + 1,
                     last_error = NULL, printed_at = ?2, claimed_at = NULL WHERE id = ?1",
                    params![id, now],
                )?,
                Some(e) => tx.execute(
                    "UPDATE print_jobs SET status = 'queued', attempts = attempts + 1,
                     last_error = ?2, claimed_at = NULL WHERE id = ?1",
                    params![id, e],
                )?,
            };
            if n == 0 {
                return Err(Error::NotFound(format!("no print job {id}")));
            }
            Ok(())
        })
    }

    pub fn print_job(&self, id: i64) -> Result<Option<PrintJob>> {
        Ok(self
            .conn()?
            .prepare_cached(&format!("{JOB_COLUMNS} WHERE id = ?"))?
            .query_row([id], job_row)
            .optional()?)
    }

    /// Jobs, newest first; only those not printed yet unless `all`.
    pub fn print_jobs(&self, all: bool) -> Result<Vec<PrintJob>> {
        let sql = format!(
            "{JOB_COLUMNS} {} ORDER BY id DESC",
            if all { "" } else { "WHERE status != 'printed'" }
        );
        let jobs = self
            .conn()?
            .prepare(&sql)?
            .query_map([], job_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(jobs)
    }

    /// Sets the range of serial references this database gives out. The next one is the first
    /// of the range not given out yet, so setting a range again never gives an SSCC out twice.
    pub fn set_sscc_range(&mut self, first: u64, last: u64) -> Result<()> {
        self.write(|tx| set_range(tx, first, last))
    }

    /// The back office's answer to a device: the fixed part and the device's own block, given on
    /// first ask (the next never given). None when no company prefix is set here, or when every
    /// block is given out (the device then prints no pallet labels, and says why; it still syncs).
    pub fn device_sscc_assignment(&mut self, device: &str) -> Result<Option<SsccAssignment>> {
        let Some(prefix) = self.setting(COMPANY_PREFIX)? else {
            return Ok(None);
        };
        let ext = self.setting(SSCC_EXTENSION)?.unwrap_or_else(|| "0".into());
        check_sscc_parts(&prefix, &ext)?;
        let now = clock::timestamp(self.clock().now());
        // Given already (every sync but a device's first asks): read, without waiting for the
        // writers' turn.
        let given = self.sql().value::<i64>(
            "SELECT block FROM sscc_blocks WHERE device = ? AND retired_at IS NULL",
            args![device],
        )?;
        let block = match given {
            Some(b) => Some(b as u64),
            None => self.write_sql(|tx| {
                let known = tx
                    .value::<i64>("SELECT 1 FROM devices WHERE name = ?", args![device])?
                    .is_some();
                if !known {
                    return Err(Error::NotFound(format!("there is no device {device}")));
                }
                if let Some(b) = tx.value::<i64>(
                    "SELECT block FROM sscc_blocks WHERE device = ? AND retired_at IS NULL",
                    args![device],
                )? {
                    return Ok(Some(b as u64));
                }
                let next: i64 = tx
                    .value(
                        "SELECT COALESCE(MAX(block), 0) + 1 FROM sscc_blocks",
                        args![],
                    )?
                    .unwrap_or(1);
                if next as u64 >= SSCC_BLOCKS {
                    return Ok(None);
                }
                tx.run(
                    "INSERT INTO sscc_blocks (block, device, given_at) VALUES (?1, ?2, ?3)",
                    args![next, device, now],
                )?;
                Ok(Some(next as u64))
            })?,
        };
        Ok(block.map(|block| {
            let (first, last) = sscc_block_range(prefix.len(), block);
            SsccAssignment {
                company_prefix: prefix,
                extension: ext,
                block,
                first,
                last,
            }
        }))
    }

    /// On a device: takes what the back office said of its SSCCs. Nothing changes when it is what
    /// the device already has; otherwise the fixed part and range are replaced, the next serial
    /// reference being the first of the range this device has not given out. True when it changed.
    pub fn apply_sscc_assignment(&mut self, a: &SsccAssignment) -> Result<bool> {
        check_sscc_parts(&a.company_prefix, &a.extension)?;
        if a.first > a.last || a.last >= 10u64.pow(16 - a.company_prefix.len() as u32) {
            return Err(Error::invalid(format!(
                "the back office's SSCC range {}-{} does not fit a {}-digit company prefix",
                a.first,
                a.last,
                a.company_prefix.len()
            )));
        }
        let same = self.setting(COMPANY_PREFIX)?.as_deref() == Some(a.company_prefix.as_str())
            && self.setting(SSCC_EXTENSION)?.as_deref() == Some(a.extension.as_str())
            && self.sscc_range()?.is_some_and(|(_, last)| last == a.last);
        if same {
            return Ok(false);
        }
        self.write(|tx| {
            for (k, v) in [
                (COMPANY_PREFIX, &a.company_prefix),
                (SSCC_EXTENSION, &a.extension),
            ] {
                tx.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = ?2",
                    [k, v.as_str()],
                )?;
            }
            set_range(tx, a.first, a.last)
        })?;
        Ok(true)
    }

    /// The serial references left to this database: (next, last), if a range was set.
    pub fn sscc_range(&self) -> Result<Option<(u64, u64)>> {
        Ok(self
            .conn()?
            .prepare_cached("SELECT next, last FROM sscc_range WHERE id = 1")?
            .query_row([], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64))
            })
            .optional()?)
    }

    /// The next SSCC: extension digit, company prefix, the next serial reference of the range,
    /// check digit. Stored in the same transaction that advances the range, so the same SSCC is
    /// never given out twice (a second would break the primary key and change nothing).
    pub fn issue_sscc(&mut self) -> Result<String> {
        let prefix = self.setting(COMPANY_PREFIX)?.ok_or_else(|| {
            Error::invalid("no GS1 Company Prefix set: lotkeeper label setup --company-prefix ...")
        })?;
        let ext = self.setting(SSCC_EXTENSION)?.unwrap_or_else(|| "0".into());
        check_sscc_parts(&prefix, &ext)?;
        let width = 16 - prefix.len();
        let max = 10u64.pow(width as u32) - 1;
        let now = clock::timestamp(self.clock().now());
        let enrolled = self.enrolled;
        self.write(|tx| {
            let range: Option<(i64, i64)> = tx
                .query_row("SELECT next, last FROM sscc_range WHERE id = 1", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()?;
            let (next, last) = match range {
                Some(r) => r,
                None if enrolled => {
                    return Err(Error::invalid(
                        "this handheld has no SSCC range from the back office yet: sync once, then print the pallet label",
                    ))
                }
                // The database's own block.
                None => {
                    let (first, last) = sscc_block_range(prefix.len(), 0);
                    (first as i64, last as i64)
                }
            };
            let last = (last as u64).min(max);
            let next = next as u64;
            if next > last {
                return Err(Error::invalid(format!(
                    "the SSCC serial references of this device are used up (last {last}); the back office gives a new range"
                )));
            }
            let body = format!("{ext}{prefix}{next:0width$}");
            let check = crate::gtin::check_digit(&body).expect("17 digits");
            let sscc = format!("{body}{check}");
            tx.execute(
                "INSERT INTO ssccs (sscc, serial_reference, issued_at) VALUES (?1, ?2, ?3)",
                params![sscc, next as i64, now],
            )?;
            tx.execute(
                "INSERT INTO sscc_range (id, next, last) VALUES (1, ?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET next = ?1",
                params![next as i64 + 1, last as i64],
            )?;
            Ok(sscc)
        })
    }

    /// Keeps the pallet label printed for an SSCC this database gave out (JSON, as `label`
    /// writes it), for a reprint. An SSCC from elsewhere is not recorded.
    pub fn record_sscc_label(&mut self, sscc: &str, label: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE ssccs SET label = ?1 WHERE sscc = ?2",
                params![label, sscc],
            )?;
            Ok(())
        })
    }

    /// The pallet label printed for an SSCC this database gave out, if it was recorded.
    pub fn sscc_label(&self, sscc: &str) -> Result<Option<String>> {
        Ok(self
            .conn()?
            .prepare_cached("SELECT label FROM ssccs WHERE sscc = ?")?
            .query_row([sscc], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    /// Sets the GS1 Company Prefix (6 to 12 digits) and the SSCC extension digit.
    pub fn set_sscc_parts(&mut self, prefix: &str, extension: &str) -> Result<()> {
        check_sscc_parts(prefix, extension)?;
        self.put_settings(&[
            (COMPANY_PREFIX, Some(prefix.to_string())),
            (SSCC_EXTENSION, Some(extension.to_string())),
        ])
    }
}

/// A device's token changed: its block is retired, never to be given again (see `sscc_blocks`).
pub(super) fn retire_sscc_block(tx: &dyn Sql, device: &str, now: &str) -> Result<()> {
    tx.run(
        "UPDATE sscc_blocks SET retired_at = ?1 WHERE device = ?2 AND retired_at IS NULL",
        args![now, device],
    )?;
    Ok(())
}

/// Sets the range FIRST..=LAST; the next reference is the first one above every SSCC this
/// database gave out in it under the current fixed part.
fn set_range(tx: &Connection, first: u64, last: u64) -> Result<()> {
    if first > last || last > i64::MAX as u64 {
        return Err(Error::invalid(format!(
            "SSCC range {first}-{last}: the first is at most the last"
        )));
    }
    let fixed: String = tx.query_row(
        "SELECT IFNULL((SELECT value FROM settings WHERE key = ?1), '0')
                 || IFNULL((SELECT value FROM settings WHERE key = ?2), '')",
        [SSCC_EXTENSION, COMPANY_PREFIX],
        |r| r.get(0),
    )?;
    let used: Option<i64> = tx.query_row(
        "SELECT MAX(serial_reference) FROM ssccs
         WHERE substr(sscc, 1, length(?1)) = ?1 AND serial_reference BETWEEN ?2 AND ?3",
        params![fixed, first as i64, last as i64],
        |r| r.get(0),
    )?;
    let next = used.map_or(first as i64, |u| u + 1);
    tx.execute(
        "INSERT INTO sscc_range (id, next, last) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET next = ?1, last = ?2",
        params![next, last as i64],
    )?;
    Ok(())
}

fn check_sscc_parts(prefix: &str, ext: &str) -> Result<()> {
    if !(6..=12).contains(&prefix.len()) || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(format!(
            "GS1 Company Prefix '{prefix}': 6 to 12 digits"
        )));
    }
    if ext.len() != 1 || !ext.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(format!(
            "SSCC extension digit '{ext}': one digit, 0 to 9"
        )));
    }
    Ok(())
}

const JOB_COLUMNS: &str =
    "SELECT id, printer, address, format, label, status, attempts, last_error,
    created_at, printed_at, payload FROM print_jobs";

fn job_row(r: &rusqlite::Row) -> rusqlite::Result<PrintJob> {
    let status: String = r.get(5)?;
    Ok(PrintJob {
        id: r.get(0)?,
        printer: r.get(1)?,
        address: r.get(2)?,
        format: r.get(3)?,
        label: r.get(4)?,
        status: match status.as_str() {
            "printed" => JobStatus::Printed,
            "sending" => JobStatus::Sending,
            _ => JobStatus::Queued,
        },
        attempts: r.get(6)?,
        last_error: r.get(7)?,
        created_at: r.get(8)?,
        printed_at: r.get(9)?,
        payload: r.get(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssccs_follow_the_range_carry_a_check_digit_and_stop_at_its_end() {
        let mut l = Ledger::open_in_memory().unwrap();
        assert!(l
            .issue_sscc()
            .unwrap_err()
            .to_string()
            .contains("Company Prefix"));
        l.set_sscc_parts("9506000", "3").unwrap();
        l.set_sscc_range(41, 42).unwrap();
        let a = l.issue_sscc().unwrap();
        assert!(a.starts_with("39506000000000041"), "{a}");
        assert!(crate::gtin::has_valid_check_digit(&a));
        let b = l.issue_sscc().unwrap();
        assert_eq!(&b[8..17], "000000042");
        let e = l.issue_sscc().unwrap_err();
        assert!(e.to_string().contains("used up"), "{e}");
        // Setting the range again starts above what was given out: nothing is given twice.
        l.set_sscc_range(41, 42).unwrap();
        assert!(l.issue_sscc().unwrap_err().to_string().contains("used up"));
        l.set_sscc_range(40, 45).unwrap();
        assert_eq!(&l.issue_sscc().unwrap()[8..17], "000000043");
        assert!(l.set_sscc_parts("95060", "3").is_err());
    }

    #[test]
    fn each_device_gets_a_block_of_its_own_once_and_a_device_keeps_its_place_in_it() {
        let mut server = Ledger::open_in_memory().unwrap();
        assert_eq!(server.device_sscc_assignment("a").unwrap(), None);
        server.set_sscc_parts("9506000", "3").unwrap();
        assert!(server.device_sscc_assignment("nobody").is_err());
        for d in ["a", "b"] {
            server.add_device(d, &format!("hash-{d}")).unwrap();
        }
        let a = server.device_sscc_assignment("a").unwrap().unwrap();
        let b = server.device_sscc_assignment("b").unwrap().unwrap();
        assert_eq!((a.block, a.first, a.last), (1, 1_000_000, 1_999_999));
        assert_eq!((b.block, b.first), (2, 2_000_000));
        assert_eq!(server.device_sscc_assignment("a").unwrap().unwrap(), a);
        // A new token for a's name (a replaced handheld): a new block, never a's old one.
        server.revoke_device("a").unwrap();
        server.add_device("a", "hash-a2").unwrap();
        let a2 = server.device_sscc_assignment("a").unwrap().unwrap();
        assert_eq!(a2.block, 3);
        // The server's own SSCCs come from block 0.
        assert_eq!(&server.issue_sscc().unwrap()[8..17], "000000000");

        let mut dev = Ledger::open_in_memory().unwrap();
        dev.enroll("http://server", "token", "a").unwrap();
        dev.set_sscc_parts("9506000", "3").unwrap();
        assert!(dev
            .issue_sscc()
            .unwrap_err()
            .to_string()
            .contains("sync once"));
        assert!(dev.apply_sscc_assignment(&a).unwrap());
        let first = dev.issue_sscc().unwrap();
        assert_eq!(&first[8..17], "001000000");
        assert!(!dev.apply_sscc_assignment(&a).unwrap());
        // Told again after a re-enrollment: it goes on above what it gave out.
        dev.enroll("http://server", "token2", "a").unwrap();
        assert!(dev.apply_sscc_assignment(&a).unwrap());
        assert_eq!(&dev.issue_sscc().unwrap()[8..17], "001000001");
    }

    #[test]
    fn a_job_stays_queued_until_an_attempt_prints_it() {
        let mut l = Ledger::open_in_memory().unwrap();
        let id = l
            .queue_print_job(&NewJob {
                printer: "DOCK",
                address: "127.0.0.1:9100",
                format: "zpl",
                label: "item PARA",
                payload: b"^XA^XZ",
            })
            .unwrap();
        l.claim_print_job(id).unwrap();
        let e = l.claim_print_job(id).unwrap_err().to_string();
        assert!(e.contains("being sent right now"), "{e}");
        l.record_print_attempt(id, Some("does not answer")).unwrap();
        let j = l.print_job(id).unwrap().unwrap();
        assert_eq!((j.status, j.attempts), (JobStatus::Queued, 1));
        assert_eq!(l.print_jobs(false).unwrap().len(), 1);
        l.claim_print_job(id).unwrap();
        l.record_print_attempt(id, None).unwrap();
        assert_eq!(l.print_job(id).unwrap().unwrap().status, JobStatus::Printed);
        let e = l.claim_print_job(id).unwrap_err().to_string();
        assert!(e.contains("was printed at"), "{e}");
        assert!(l.print_jobs(false).unwrap().is_empty());
        assert_eq!(l.print_jobs(true).unwrap()[0].payload, b"^XA^XZ");
    }
}
