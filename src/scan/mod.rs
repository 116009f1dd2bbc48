//! Scanning: turns pixels and keystrokes into meaning. Imports nothing from the rest of the crate
//! but the `gtin` leaf; only `rxing_decoder` knows rxing.

#[cfg(target_os = "android")]
pub mod android_camera;
pub mod camera;
pub mod classify;
pub mod edges;
pub mod event;
pub mod gs1;
pub mod image_input;
pub mod intent;
pub mod rxing_decoder;
pub mod symbol;
pub mod wedge;
pub mod worker;

pub use event::{ScanEvent, ScanSource};
pub use rxing_decoder::{Effort, RxingDecoder};
pub use symbol::{Decoder, Format, LumaFrame, Point, Symbol};
