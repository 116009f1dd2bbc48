//! Scanning: turns pixels and keystrokes into meaning. Imports nothing from the rest of the crate
//! but the `gtin` leaf; only the `rxing` folder knows rxing.

#[cfg(target_os = "android")]
pub mod android_camera;
pub mod camera;
pub mod classify;
pub mod edges;
pub mod event;
pub mod frame;
pub mod gs1;
pub mod image_input;
pub mod intent;
pub mod pipeline;
mod rxing;
pub mod symbol;
pub mod wedge;
pub mod worker;

#[cfg(test)]
pub(crate) use self::rxing::render_for_tests;
pub use self::rxing::{render_symbol, Decoded, Effort, EncodeError, RxingDecoder, Stop};
pub use event::{ScanEvent, ScanSource};
pub use frame::{CameraError, FrameError, FrameSource, LumaFrame, Opener, PixelFormat, RawFrame};
pub use symbol::{Decoder, Format, Point, Symbol};
