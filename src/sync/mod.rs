//! Sync: the wire protocol, the back-office server (`lotkeeper serve`) and the device's client.
//! The model is a server-ordered log with devices rebasing on it: see `ledger::replica` for the
//! ledger's side and ARCHITECTURE.md for the whole picture.

pub mod agent;
pub mod client;
pub mod enroll;
pub mod server;
pub mod sim;
pub mod wire;

use sha2::{Digest, Sha256};

/// The API as an OpenAPI 3 document, served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../../assets/openapi.json");

/// What the server keeps of a device token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new device token: 244 random bits, shown once.
pub fn new_token() -> String {
    format!(
        "lk_{}{}",
        crate::ledger::clock::new_random_id().simple(),
        crate::ledger::clock::new_random_id().simple()
    )
}
