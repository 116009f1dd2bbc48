//! Printing through the queue: a job is stored before it is sent and marked printed only when
//! the printer took it, so a printer that is off keeps the job for a retry.

use std::time::Duration;

use super::printer::{self, PrintError, PrinterAddress};
use super::{LabelError, Output};
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

/// Why labels a workflow asked for were not queued. Nothing was queued.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{}", no_printer(workflow, *printers))]
    NoPrinter { workflow: String, printers: usize },
    /// Nothing to print, or too much at once.
    #[error("{0}")]
    Nothing(String),
    #[error("the printer's settings: {0}")]
    Printer(String),
    #[error(transparent)]
    Label(#[from] LabelError),
    #[error(transparent)]
    Ledger(#[from] ledger::Error),
}

fn no_printer(workflow: &str, printers: usize) -> String {
    let how = format!(
        "the back office sets one (lotkeeper printer add NAME --address HOST --default-for {workflow})"
    );
    if printers == 0 {
        format!("no printer is set up: {how}")
    } else {
        format!("{printers} printers and no default one for {workflow}: {how}")
    }
}

/// Sends a queued job's bytes to its printer: only the network, no ledger, so it can run on
/// any thread. Record the result with [`record`].
pub fn deliver(job: &PrintJob, timeout: Duration) -> Result<(), PrintError> {
    let address: PrinterAddress =
        job.address
            .parse()
            .map_err(|e: String| PrintError::NoAnswer {
                printer: job.printer.clone(),
                address: job.address.clone(),
                reason: e,
            })?;
    printer::send(&job.printer, &address, &job.payload, timeout)
}

/// Records what [`deliver`] said of job `id`: printed, or still queued with the error.
pub fn record(
    ledger: &mut Ledger,
    id: i64,
    result: &Result<(), PrintError>,
) -> Result<(), ledger::Error> {
    let error = result.as_ref().err().map(|e| e.to_string());
    ledger.record_print_attempt(id, error.as_deref())
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
    retry(ledger, id, timeout)?;
    Ok(id)
}

/// Sends a queued job, to the address it was queued for, once: it is claimed first, so two
/// senders never both send it, and a printed job is not sent again.
pub fn retry(ledger: &mut Ledger, id: i64, timeout: Duration) -> Result<PrintJob, JobError> {
    let job = ledger.claim_print_job(id)?;
    let result = deliver(&job, timeout);
    record(ledger, id, &result)?;
    match result {
        Ok(()) => Ok(ledger.print_job(id)?.unwrap_or(job)),
        Err(error) => Err(JobError::Queued { job: id, error }),
    }
}
