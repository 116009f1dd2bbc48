//! Documents for regulators, trading partners and auditors (FSMA 204 sheets, EPCIS 2.0), and the
//! packing slip that goes with a shipment (PDF, pdf-writer), drawn
//! from what the ledger reads out (`crate::ledger::compliance`) as plain values: no SQL here, and
//! nothing but `ledger`, `gtin`, serde/serde_json, chrono, csv and the spreadsheet writer imported.

pub mod epcis;
pub mod fsma;
pub mod slip;
