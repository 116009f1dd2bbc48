//! Workflows: the jobs people do with the handheld, over the ledger and the scan pipeline.
//! No Slint and no HTTP here, so every workflow is tested without a window or a server.

pub mod catalog;

pub use catalog::LedgerCatalog;
