//! The ledger's typed errors. Only the binary turns them into exit codes and text (see `cli`).

use std::fmt;

/// Which rule of the ledger refused a movement. Stable names, used in tests and on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Rule 1: a lot-tracked movement names its lot, a serial-tracked one its serial, others neither.
    Tracking,
    /// Rule 2: a serial is one unit, in at most one real location.
    Serial,
    /// Rule 3: no real location ever holds a negative quantity.
    Negative,
    /// Rule 4: expiry dates, expired lots and lots on hold.
    Expiry,
    /// Rule 4: a lot on hold (quarantine, recall).
    Hold,
    /// Rule 5: a correction is the exact reverse of a standing movement, made once.
    Correction,
    /// Rule 6: the same movement id with different content.
    Identity,
    /// Sites: stock crosses between sites only through the receiving site's transit location, a
    /// device moves stock at its own site, a document is worked at its own site.
    Site,
    /// Anything else about the shape of a movement (unknown item, bad location, zero quantity).
    Invalid,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A movement or batch broke a ledger rule. Nothing was written.
    #[error("{message}")]
    Refused { rule: Rule, message: String },
    /// Something named does not exist (item, location, lot, document).
    #[error("{0}")]
    NotFound(String),
    /// The request itself is malformed (bad argument, bad date, bad quantity).
    #[error("{0}")]
    Invalid(String),
    /// A credential that does not open the door: unknown, spent or expired.
    #[error("{0}")]
    Forbidden(String),
    /// A CSV import failed; nothing was imported.
    #[error("line {line}, column {column}: {message}")]
    Import {
        line: u64,
        column: String,
        message: String,
    },
    /// The database was written by a newer lotkeeper. It is left untouched.
    #[error("the database {path} has schema version {found}, but this lotkeeper knows only up to {supported}; upgrade lotkeeper (the database was not modified)")]
    SchemaTooNew {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A store answered with something the ledger cannot read (a value of the wrong kind).
    #[error("database error: {0}")]
    Store(String),
    /// The database cannot be reached (PostgreSQL down, the connection lost). Nothing was
    /// committed; the same request may be tried again later.
    #[error("{0}")]
    Unavailable(String),
    /// The connection to the database broke (or never opened): nothing was committed, and a new
    /// connection may do it.
    #[error("{0}")]
    Disconnected(String),
    /// What this store does not offer yet (a function the back office on PostgreSQL lacks).
    #[error("{0}")]
    Unsupported(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn refused(rule: Rule, message: impl fmt::Display) -> Self {
        Error::Refused {
            rule,
            message: message.to_string(),
        }
    }

    pub fn invalid(message: impl fmt::Display) -> Self {
        Error::Invalid(message.to_string())
    }

    /// The rule that refused, when this is a refusal.
    pub fn rule(&self) -> Option<Rule> {
        match self {
            Error::Refused { rule, .. } => Some(*rule),
            _ => None,
        }
    }
}
