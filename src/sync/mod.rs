//! Sync: the wire protocol, the back-office server (`lotkeeper serve`) and the device's client.
//! The model is a server-ordered log with devices rebasing on it: see `ledger::replica` for the
//! ledger's side and ARCHITECTURE.md for the whole picture.

pub mod agent;
pub mod client;
pub mod enroll;
pub mod server;
pub mod sim;
pub mod wire;

pub use crate::ledger::enrollment::{hash_token, new_token};

/// The API as an OpenAPI 3 document, served at `/v1/openapi.json`.
pub const OPENAPI: &str = include_str!("../../assets/openapi.json");
