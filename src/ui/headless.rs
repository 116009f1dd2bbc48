//! Rendering without a display: a Slint platform whose windows are software-rendered into memory,
//! for `lotkeeper screenshot` and the UI tests.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{Platform, WindowAdapter};
use slint::{PhysicalSize, PlatformError, Rgb8Pixel};

/// The handheld's portrait screen at scale 1.
pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 1280;

thread_local! {
    static LAST: RefCell<Option<Rc<MinimalSoftwareWindow>>> = const { RefCell::new(None) };
}

struct Headless;

impl Platform for Headless {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, PlatformError> {
        let w = MinimalSoftwareWindow::new(RepaintBufferType::NewBuffer);
        w.set_size(PhysicalSize::new(WIDTH, HEIGHT));
        LAST.with(|l| *l.borrow_mut() = Some(w.clone()));
        Ok(w)
    }
}

/// Makes this thread render headless (once; later calls do nothing).
pub fn init() {
    let _ = slint::platform::set_platform(Box::new(Headless));
}

/// Renders the last window created on this thread to RGB pixels.
pub fn render() -> Option<image::RgbImage> {
    let w = LAST.with(|l| l.borrow().clone())?;
    slint::platform::update_timers_and_animations();
    w.request_redraw();
    let mut pixels = vec![Rgb8Pixel::new(0, 0, 0); (WIDTH * HEIGHT) as usize];
    w.draw_if_needed(|r| {
        r.render(&mut pixels, WIDTH as usize);
    });
    let raw: Vec<u8> = pixels.iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    image::RgbImage::from_raw(WIDTH, HEIGHT, raw)
}

/// Renders the last window to a PNG file.
pub fn save_png(path: &Path) -> Result<(), super::Error> {
    let img = render().ok_or(super::Error::NoWindow)?;
    img.save(path).map_err(|e| super::Error::Write {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
