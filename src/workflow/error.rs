//! What can go wrong in a workflow, typed. Every message is one a worker can act on; the
//! screens and session scripts show `to_string()`.

use crate::ledger::Error as LedgerError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ledger refused or failed; its message is already in a worker's words.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// A pick list, purchase order, location, item, lot or serial that is not there.
    #[error("{0}")]
    NotFound(String),
    /// A document that cannot be worked on now (a pick list already finished).
    #[error("{0}")]
    Closed(String),
    /// Typed or scripted input that is not what the step takes: a quantity, a label without a
    /// GTIN, a workflow name, an event.
    #[error("{0}")]
    Input(String),
    /// A session script line that failed, numbered from 1.
    #[error("line {line}: {source}")]
    Line { line: usize, source: Box<Error> },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
