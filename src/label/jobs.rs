//! Printing through the queue: a job is stored before it is sent and marked printed only when
//! the printer took it, so a printer that is off keeps the job for a retry.

use std::time::Duration;

use super::printer::{self, PrintError, PrinterAddress};
use super::Output;
use crate::ledger::labels::{NewJob, PrintJob};
use crate::ledger::{self, Ledger};

/// Where a job goes: a configured printer's name, or an address given on the spot.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub address: PrinterAddress,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The printer did not take the job; it stays queued under this id.
    #[error("{error}; the job stays queued as print job {job} (lotkeeper print-jobs retry {job})")]
    Queued { job: i64, error: PrintError },
    #[error(transparent)]
    Ledger(#[from] ledger::Error),
    #[error("print job {0}: {1}")]
    Stored(i64, String),
}

/// Queues `payload` for `target`, sends it, and records the attempt. Ok(job id) once printed.
pub fn print(
    ledger: &mut Ledger,
    target: &Target,
    output: Output,
    label: &str,
    payload: &[u8],
    timeout: Duration,
) -> Result<i64, JobError> {
    let address = target.address.to_string();
    let id = ledger.queue_print_job(&NewJob {
        printer: &target.name,
        address: &address,
        format: output.name(),
        label,
        payload,
    })?;
    send(ledger, id, &target.name, &target.address, payload, timeout)?;
    Ok(id)
}

/// Sends a queued job again, to the address it was queued for.
pub fn retry(ledger: &mut Ledger, id: i64, timeout: Duration) -> Result<PrintJob, JobError> {
    let job = ledger
        .print_job(id)?
        .ok_or_else(|| ledger::Error::NotFound(format!("no print job {id}")))?;
    let address: PrinterAddress = job
        .address
        .parse()
        .map_err(|e: String| JobError::Stored(id, e))?;
    send(ledger, id, &job.printer, &address, &job.payload, timeout)?;
    Ok(ledger.print_job(id)?.unwrap_or(job))
}

fn send(
    ledger: &mut Ledger,
    id: i64,
    name: &str,
    address: &PrinterAddress,
    payload: &[u8],
    timeout: Duration,
) -> Result<(), JobError> {
    match printer::send(name, address, payload, timeout) {
        Ok(()) => {
            ledger.record_print_attempt(id, None)?;
            Ok(())
        }
        Err(error) => {
            ledger.record_print_attempt(id, Some(&error.to_string()))?;
            Err(JobError::Queued { job: id, error })
        }
    }
}
