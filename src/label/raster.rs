//! PNG from a layout: one pixel a printer dot, black on white, the symbols' modules drawn
//! exactly (no scaling), text in DejaVu Sans Mono Bold (embedded, `assets/fonts/`).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use image::{GrayImage, Luma};

use super::layout::{Element, Layout};
use super::LabelError;

const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSansMono-Bold.ttf");

/// The label as a grayscale picture, `width` x `height` pixels.
pub fn image(l: &Layout) -> Result<GrayImage, LabelError> {
    let font = FontRef::try_from_slice(FONT).map_err(|e| LabelError::Output {
        format: "PNG",
        reason: format!("the embedded font: {e}"),
    })?;
    let mut img = GrayImage::from_pixel(l.width, l.height, Luma([255]));
    let fill = |img: &mut GrayImage, x: u32, y: u32, w: u32, h: u32| {
        for yy in y..(y + h).min(l.height) {
            for xx in x..(x + w).min(l.width) {
                img.put_pixel(xx, yy, Luma([0]));
            }
        }
    };
    for e in &l.elements {
        match e {
            Element::Rule { x, y, w, h } => fill(&mut img, *x, *y, *w, *h),
            Element::Linear {
                x,
                y,
                module,
                height,
                bars,
                ..
            } => {
                for (i, dark) in bars.0.iter().enumerate() {
                    if *dark {
                        fill(&mut img, x + i as u32 * module, *y, *module, *height);
                    }
                }
            }
            Element::Matrix {
                x,
                y,
                module,
                cells,
                ..
            } => {
                for cy in 0..cells.h {
                    for cx in 0..cells.w {
                        if cells.get(cx, cy) {
                            fill(&mut img, x + cx * module, y + cy * module, *module, *module);
                        }
                    }
                }
            }
            Element::Text { x, y, h, text } => draw_text(&mut img, &font, *x, *y, *h, text),
        }
    }
    Ok(img)
}

/// Text with its em box's top at `y`, `h` pixels the font size.
fn draw_text(img: &mut GrayImage, font: &FontRef, x: u32, y: u32, h: u32, text: &str) {
    let scaled = font.as_scaled(PxScale::from(h as f32));
    let baseline = y as f32 + scaled.ascent() * h as f32 / (scaled.ascent() - scaled.descent());
    let mut pen = x as f32;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        let glyph =
            id.with_scale_and_position(PxScale::from(h as f32), ab_glyph::point(pen, baseline));
        pen += scaled.h_advance(id);
        if let Some(outline) = font.outline_glyph(glyph) {
            let b = outline.px_bounds();
            outline.draw(|gx, gy, cover| {
                let (px, py) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                    let p = img.get_pixel_mut(px as u32, py as u32);
                    let v = 255.0 * (1.0 - cover.clamp(0.0, 1.0));
                    p.0[0] = p.0[0].min(v as u8);
                }
            });
        }
    }
}

/// The label as PNG bytes.
pub fn png(l: &Layout) -> Result<Vec<u8>, LabelError> {
    let img = image(l)?;
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| LabelError::Output {
            format: "PNG",
            reason: e.to_string(),
        })?;
    Ok(out.into_inner())
}
