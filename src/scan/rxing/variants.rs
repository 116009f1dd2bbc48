//! Image variants: transformed copies of the picture to try when the picture as it is gave
//! nothing (scaled, enlarged pixel by pixel, contrast-stretched, blurred, padded, turned), and
//! the way back from a variant's coordinates to the picture's.

use crate::scan::symbol::Point;

/// Images smaller than this on their short side are also tried enlarged.
pub(super) const SMALL_SIDE: u32 = 480;
/// Images smaller than this on their short side are also tried enlarged pixel by pixel.
pub(super) const TINY_SIDE: u32 = 64;
/// Images thinner than this hold a single scan line: nothing to confirm a linear symbol against.
pub(super) const THIN_SIDE: u32 = 8;
/// Images thinner than this are padded (rxing stalls on very thin images).
pub(super) const MIN_SIDE: u32 = 24;

/// A transformed copy of the image to try when the image as it is gave nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Variant {
    AsIs,
    /// Resized by this factor (smooth interpolation).
    Scaled(f32),
    /// Enlarged by this whole factor, each pixel a block: a tiny picture of a symbol printed
    /// a pixel a module, which smooth interpolation would blur.
    Blocky(u32),
    /// Contrast stretched to the full 0-255 range.
    Stretched,
    /// Gaussian blur (dithered or noisy prints).
    Blurred,
    /// A white border added (symbols printed or cropped without their quiet zone).
    Padded,
    /// Turned by this many degrees (bilinear), on a padded canvas.
    Rotated(f32),
}

pub(super) fn make_variant(luma: &[u8], w: u32, h: u32, v: Variant) -> Option<(Vec<u8>, u32, u32)> {
    let img = image::GrayImage::from_raw(w, h, luma.to_vec())?;
    let out = match v {
        Variant::AsIs => img,
        Variant::Scaled(f) => {
            let (nw, nh) = (((w as f32) * f) as u32, ((h as f32) * f) as u32);
            if nw < MIN_SIDE || nh < MIN_SIDE {
                return None;
            }
            let filter = if f < 1.0 {
                image::imageops::FilterType::Triangle
            } else {
                image::imageops::FilterType::CatmullRom
            };
            image::imageops::resize(&img, nw, nh, filter)
        }
        Variant::Blocky(f) => {
            image::imageops::resize(&img, w * f, h * f, image::imageops::FilterType::Nearest)
        }
        Variant::Stretched => {
            let (lo, hi) = luma
                .iter()
                .fold((255u8, 0u8), |(a, b), p| (a.min(*p), b.max(*p)));
            if hi <= lo || (lo < 8 && hi > 247) {
                return None; // already full range
            }
            let mut img = img;
            for p in img.pixels_mut() {
                p.0[0] = ((u32::from(p.0[0] - lo) * 255) / u32::from(hi - lo)) as u8;
            }
            img
        }
        Variant::Blurred => image::imageops::blur(&img, 1.0),
        Variant::Padded => padded(&img),
        Variant::Rotated(deg) => rotated(&padded(&img), deg),
    };
    let (nw, nh) = out.dimensions();
    Some((out.into_raw(), nw, nh))
}

/// How many pixels the variant of a `w` x `h` image has, known before it is made.
pub(super) fn variant_pixels(v: Variant, w: u32, h: u32) -> f64 {
    let (w, h) = (f64::from(w), f64::from(h));
    match v {
        Variant::AsIs | Variant::Stretched | Variant::Blurred => w * h,
        Variant::Scaled(f) => w * h * f64::from(f * f),
        Variant::Blocky(f) => w * h * f64::from(f * f),
        Variant::Padded | Variant::Rotated(_) => {
            let b = 2.0 * f64::from(pad_border(w as u32, h as u32));
            (w + b) * (h + b)
        }
    }
}

/// The border `padded` adds to an image of this size.
fn pad_border(w: u32, h: u32) -> u32 {
    (w.max(h) / 10).max(8)
}

/// Maps a point found in a variant back to the original image.
pub(super) fn map_back(v: Variant, w: u32, h: u32, p: Point) -> Point {
    match v {
        Variant::AsIs | Variant::Stretched | Variant::Blurred => p,
        Variant::Scaled(f) => Point {
            x: p.x / f,
            y: p.y / f,
        },
        Variant::Blocky(f) => Point {
            x: p.x / f as f32,
            y: p.y / f as f32,
        },
        Variant::Padded => {
            let b = pad_border(w, h) as f32;
            Point {
                x: p.x - b,
                y: p.y - b,
            }
        }
        Variant::Rotated(deg) => {
            // `rotated` samples the padded source at R(p - c) + c; apply that, then unpad.
            let b = pad_border(w, h) as f32;
            let (cx, cy) = ((w as f32 + 2.0 * b) / 2.0, (h as f32 + 2.0 * b) / 2.0);
            let (c, s) = (deg.to_radians().cos(), deg.to_radians().sin());
            let (dx, dy) = (p.x - cx, p.y - cy);
            Point {
                x: c * dx + s * dy + cx - b,
                y: -s * dx + c * dy + cy - b,
            }
        }
    }
}

/// The image on a white canvas with a border of a tenth of its size.
fn padded(img: &image::GrayImage) -> image::GrayImage {
    let (w, h) = img.dimensions();
    let b = pad_border(w, h);
    let mut out = image::GrayImage::from_pixel(w + 2 * b, h + 2 * b, image::Luma([255]));
    image::imageops::overlay(&mut out, img, i64::from(b), i64::from(b));
    out
}

/// Turned about its centre, bilinear, white where nothing maps.
fn rotated(img: &image::GrayImage, deg: f32) -> image::GrayImage {
    let (w, h) = img.dimensions();
    let (c, s) = (deg.to_radians().cos(), deg.to_radians().sin());
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let src = img.as_raw();
    let at = |x: i64, y: i64| -> f32 {
        if x < 0 || y < 0 || x >= i64::from(w) || y >= i64::from(h) {
            255.0
        } else {
            f32::from(src[(y as u32 * w + x as u32) as usize])
        }
    };
    image::GrayImage::from_fn(w, h, |x, y| {
        let (dx, dy) = (x as f32 - cx, y as f32 - cy);
        let (sx, sy) = (c * dx + s * dy + cx, -s * dx + c * dy + cy);
        let (x0, y0) = (sx.floor(), sy.floor());
        let (fx, fy) = (sx - x0, sy - y0);
        let (x0, y0) = (x0 as i64, y0 as i64);
        let v = at(x0, y0) * (1.0 - fx) * (1.0 - fy)
            + at(x0 + 1, y0) * fx * (1.0 - fy)
            + at(x0, y0 + 1) * (1.0 - fx) * fy
            + at(x0 + 1, y0 + 1) * fx * fy;
        // `v` lies in 0..=255: adding a half and truncating rounds it, without `roundf`.
        image::Luma([(v + 0.5) as u8])
    })
}

/// Pads a very thin image with white to at least [`MIN_SIDE`] in both directions.
pub(super) fn pad_thin(luma: &[u8], w: u32, h: u32) -> (Vec<u8>, u32, u32) {
    let (nw, nh) = (w.max(MIN_SIDE), h.max(MIN_SIDE));
    let (ox, oy) = ((nw - w) / 2, (nh - h) / 2);
    let mut out = vec![255u8; (nw * nh) as usize];
    for y in 0..h as usize {
        let dst = (y + oy as usize) * nw as usize + ox as usize;
        out[dst..dst + w as usize].copy_from_slice(&luma[y * w as usize..(y + 1) * w as usize]);
    }
    (out, nw, nh)
}
