//! Documents for regulators, trading partners and auditors, drawn from what the ledger reads out
//! (`ledger::compliance`): FSMA 204 sheets, EPCIS 2.0, the ledger itself. No SQL here.

pub mod fsma;
