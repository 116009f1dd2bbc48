//! PDF from a layout: one page a copy, the label's size in points, modules as filled rectangles
//! (vector: sharp at any printer resolution), text in the standard Courier-Bold font (no font
//! embedded; 0.6 em a character, like the layout's monospaced measure).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::layout::{Element, Layout};
use super::LabelError;

/// Where the baseline sits below the top of the em box, per unit of font size (as in the PNG).
const BASELINE: f32 = 0.76;

/// The label as a PDF document of `copies` pages.
pub fn pdf(l: &Layout, copies: u32) -> Result<Vec<u8>, LabelError> {
    let copies = copies.max(1);
    if copies > 1000 {
        return Err(LabelError::Output {
            format: "PDF",
            reason: format!("{copies} copies: at most 1000 in one document"),
        });
    }
    let s = 72.0 / l.dpi.value() as f32;
    let page_h = l.height as f32 * s;
    let mut c = Content::new();
    let rect = |c: &mut Content, x: u32, y: u32, w: u32, h: u32| {
        c.rect(
            x as f32 * s,
            page_h - (y + h) as f32 * s,
            w as f32 * s,
            h as f32 * s,
        );
    };
    c.set_fill_gray(0.0);
    for e in &l.elements {
        match e {
            Element::Rule { x, y, w, h } => rect(&mut c, *x, *y, *w, *h),
            Element::Linear {
                x,
                y,
                module,
                height,
                bars,
                ..
            } => {
                // Runs of dark modules as one rectangle each: no hairlines between modules.
                let mut i = 0;
                while i < bars.0.len() {
                    if !bars.0[i] {
                        i += 1;
                        continue;
                    }
                    let run = bars.0[i..].iter().take_while(|b| **b).count();
                    rect(
                        &mut c,
                        x + i as u32 * module,
                        *y,
                        run as u32 * module,
                        *height,
                    );
                    i += run;
                }
            }
            Element::Matrix {
                x,
                y,
                module,
                cells,
                ..
            } => {
                for (cx, cy, run) in cells.dark_runs() {
                    rect(
                        &mut c,
                        x + cx * module,
                        y + cy * module,
                        run * module,
                        *module,
                    );
                }
            }
            Element::Text { .. } => {}
        }
    }
    c.fill_nonzero();
    for e in &l.elements {
        if let Element::Text { x, y, h, text } = e {
            let size = *h as f32 * s;
            c.begin_text();
            c.set_font(Name(b"F1"), size);
            c.next_line(*x as f32 * s, page_h - (*y as f32 * s + size * BASELINE));
            c.show(Str(&win_ansi(text)));
            c.end_text();
        }
    }
    let content = c.finish();

    let mut pdf = Pdf::new();
    let (catalog, tree, font, stream) = (Ref::new(1), Ref::new(2), Ref::new(3), Ref::new(4));
    let pages: Vec<Ref> = (0..copies as i32).map(|i| Ref::new(5 + i)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(pages.iter().copied())
        .count(copies as i32);
    for p in &pages {
        let mut page = pdf.page(*p);
        page.media_box(Rect::new(0.0, 0.0, l.width as f32 * s, page_h));
        page.parent(tree);
        page.contents(stream);
        page.resources().fonts().pair(Name(b"F1"), font);
        page.finish();
    }
    pdf.type1_font(font)
        .base_font(Name(b"Courier-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.stream(stream, &content[..]);
    Ok(pdf.finish())
}

/// Text in WinAnsi: Latin-1 as it is, the ellipsis at 0x85, anything else as '?'.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '…' => 0x85,
            c if (c as u32) < 0x7f && !c.is_control() => c as u8,
            c if (0xa0..=0xff).contains(&(c as u32)) => c as u8,
            _ => b'?',
        })
        .collect()
}
