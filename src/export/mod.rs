//! Documents drawn from the ledger's compliance data (`crate::ledger::compliance`), as plain
//! values: no SQL here, and nothing but `ledger`, `gtin` and serde/serde_json/chrono imported.

pub mod epcis;
