//! Scanning: turns pixels and keystrokes into meaning. Imports nothing from the rest of the crate
//! but the `gtin` leaf; only `rxing_decoder` knows rxing.

pub mod camera;
pub mod classify;
pub mod event;
pub mod gs1;
pub mod image_input;
pub mod rxing_decoder;
pub mod symbol;
pub mod wedge;
pub mod worker;

pub use event::{ScanEvent, ScanSource};
pub use rxing_decoder::{Effort, RxingDecoder};
pub use symbol::{Decoder, Format, LumaFrame, Point, Symbol};
