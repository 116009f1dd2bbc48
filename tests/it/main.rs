//! The one integration-test binary. `harness` gives each test a ledger with a fixed clock and the
//! same small warehouse, or a temporary directory and the real `lotkeeper` binary.

// First: its `on_both_stores!` serves the modules after it.
#[macro_use]
mod sync;
mod assembly;
mod attributes;
mod backup;
#[cfg(feature = "console")]
mod browser;
mod classify;
mod cli;
mod compliance;
mod conflicts;
#[cfg(feature = "console")]
mod console;
mod contract;
mod convert;
mod crash;
mod gs1_props;
mod guard;
mod harness;
mod import;
mod integrity;
mod label;
mod lots;
#[cfg(feature = "postgres")]
mod pg_import;
#[cfg(feature = "postgres")]
mod pg_reports;
mod picking;
mod props;
mod protocol;
mod reports;
mod rules;
mod scan;
mod servers;
mod sim;
mod sites;
mod slip;
mod tidy;
mod ui;
mod upgrade;
mod workflows;
mod xwindow;
