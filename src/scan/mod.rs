//! Scanning: turns pixels and keystrokes into meaning. Imports nothing from the rest of the crate
//! but the `gtin` leaf.

pub mod gs1;
