//! lotkeeper: an offline-first lot and serial tracking scanner app for warehouse handhelds.
//!
//! One crate, one binary. The parts and the directions they may depend in are described in
//! `ARCHITECTURE.md`; the short version: `ledger` imports none of the others, `gtin` is a leaf
//! shared by all, and `cli` may use anything.

#[cfg(target_os = "android")]
pub mod android;
pub mod cli;
#[cfg(feature = "console")]
pub mod console;
pub mod export;
pub mod gtin;
pub mod label;
pub mod ledger;
pub mod rows;
pub mod scan;
pub mod shots;
pub mod sync;
pub mod ui;
pub mod workflow;

/// The Android entry point (android-activity calls it once the activity exists).
#[cfg(target_os = "android")]
#[no_mangle]
fn android_main(app: slint::android::AndroidApp) {
    android::main(app);
}
