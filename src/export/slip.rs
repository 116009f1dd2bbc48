//! The packing slip that goes with a shipment, as PDF: US Letter pages, who ships to whom and
//! when, one line per item and lot (quantity, lot, expiry, serials), and the traceability data
//! FSMA 204 asks a shipper to pass to the next recipient, where the ledger has it (the lot code,
//! quantity and unit, product description, both location descriptions, the ship date, and where
//! the lot code was assigned). Text in the standard Courier font (no font embedded): its fixed
//! advance makes wrapping exact; characters outside Latin-1 print as `?`.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use crate::ledger::compliance::{LotSource, PackingSlip, Place, SlipLine};
use crate::ledger::Party;

const PAGE_W: f32 = 612.0;
const PAGE_H: f32 = 792.0;
const MARGIN: f32 = 48.0;
/// Body text size and line height, in points; Courier advances 0.6 em a character.
const SIZE: f32 = 9.0;
const LEAD: f32 = 12.0;
const COLUMNS: usize = ((PAGE_W - 2.0 * MARGIN) / (SIZE * 0.6)) as usize;

/// One line of text on a page: its size (body or heading) and whether it is bold.
#[derive(Clone)]
struct Line {
    text: String,
    size: f32,
    bold: bool,
}

fn body(text: impl Into<String>) -> Line {
    Line {
        text: text.into(),
        size: SIZE,
        bold: false,
    }
}

fn heading(text: impl Into<String>) -> Line {
    Line {
        text: text.into(),
        size: SIZE + 2.0,
        bold: true,
    }
}

/// `text` broken at spaces (or mid-word when a word is longer) into lines of at most `width`
/// characters, each after `indent` spaces but the first.
fn wrap(text: &str, width: usize, indent: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let room = if out.is_empty() {
            width
        } else {
            width.saturating_sub(indent)
        };
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > room {
            out.push(std::mem::take(&mut line));
        }
        let mut word = word.to_string();
        loop {
            let room = if out.is_empty() {
                width
            } else {
                width.saturating_sub(indent)
            }
            .max(1);
            if word.chars().count() <= room || !line.is_empty() {
                break;
            }
            let head: String = word.chars().take(room).collect();
            word = word.chars().skip(room).collect();
            out.push(head);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out.into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                l
            } else {
                format!("{}{l}", " ".repeat(indent))
            }
        })
        .collect()
}

/// A party's location description: name, street, city region postal code, country, phone.
fn describe_party(p: &Party) -> Vec<String> {
    let mut out = vec![p.name.clone()];
    if let Some(s) = &p.street {
        out.push(s.clone());
    }
    let town: Vec<&str> = [&p.city, &p.region, &p.postal_code]
        .into_iter()
        .filter_map(|v| v.as_deref())
        .collect();
    if !town.is_empty() {
        out.push(town.join(" "));
    }
    if let Some(c) = &p.country {
        out.push(c.clone());
    }
    if let Some(ph) = &p.phone {
        out.push(format!("Phone {ph}"));
    }
    if let Some(g) = &p.gln {
        out.push(format!("GLN {g}"));
    }
    out
}

fn describe_place(p: &Place) -> Vec<String> {
    match &p.party {
        Some(party) => describe_party(party),
        None => vec![format!(
            "{} (no address on record)",
            p.party_code.as_deref().unwrap_or(&p.code)
        )],
    }
}

fn product_description(l: &SlipLine) -> String {
    let d = &l.product.description;
    let mut parts = vec![l.product.name.clone()];
    for v in [
        &d.brand,
        &d.commodity,
        &d.variety,
        &d.pack_size,
        &d.pack_style,
    ]
    .into_iter()
    .flatten()
    {
        parts.push(v.clone());
    }
    parts.join(", ")
}

fn lot_source(s: &Option<LotSource>) -> Option<String> {
    match s {
        Some(LotSource::Party(p)) => Some(describe_party(p).join(", ")),
        Some(LotSource::Undescribed(code)) => Some(format!("{code} (no address on record)")),
        Some(LotSource::Reference(r)) => Some(format!("source reference {r}")),
        Some(LotSource::Several(all)) => Some(format!("several: {}", all.join("; "))),
        None => None,
    }
}

/// The slip's text, line by line, before it is laid out on pages.
fn lines(slip: &PackingSlip) -> Vec<Line> {
    let mut out = vec![
        Line {
            text: "PACKING SLIP".into(),
            size: 16.0,
            bold: true,
        },
        body(format!(
            "Pick list {}    Shipped {}",
            slip.number, slip.shipped
        )),
        body(""),
        heading("Ship from"),
    ];
    match &slip.site {
        Some(site) => out.extend(describe_party(site).into_iter().map(body)),
        None => out.push(body("(our site has no address on record)")),
    }
    out.push(body(format!(
        "Locations {}",
        slip.from_locations.join(", ")
    )));
    out.push(body(""));
    out.push(heading("Ship to"));
    out.extend(describe_place(&slip.ship_to).into_iter().map(body));
    out.push(body(""));
    out.push(heading("Contents"));
    let total: i64 = slip.lines.iter().map(|l| l.qty).sum();
    for (i, l) in slip.lines.iter().enumerate() {
        let gtin = l
            .product
            .gtin
            .as_deref()
            .map(|g| format!(" (GTIN {g})"))
            .unwrap_or_default();
        let text = format!(
            "{}. {}{gtin} - {}: {} {}",
            i + 1,
            l.product.sku,
            l.product.name,
            l.qty,
            l.product.unit
        );
        out.extend(wrap(&text, COLUMNS, 4).into_iter().map(body));
        let mut detail = Vec::new();
        if let Some(lot) = &l.lot {
            detail.push(format!("lot {lot}"));
        }
        if let Some(e) = l.expiry {
            detail.push(format!("expiry {e}"));
        }
        if !detail.is_empty() {
            out.push(body(format!("    {}", detail.join(", "))));
        }
        if !l.serials.is_empty() {
            let serials = format!("serials {}", l.serials.join(", "));
            out.extend(
                wrap(&serials, COLUMNS - 4, 8)
                    .into_iter()
                    .map(|s| body(format!("    {s}"))),
            );
        }
    }
    out.push(body(format!(
        "{} line(s), {total} unit(s) in all",
        slip.lines.len()
    )));
    let traced: Vec<&SlipLine> = slip.lines.iter().filter(|l| l.lot.is_some()).collect();
    if !traced.is_empty() {
        out.push(body(""));
        out.push(heading(
            "Traceability information (FSMA 204, 21 CFR 1.1340(b))",
        ));
        out.extend(
            wrap(
                "Passed on to the recipient with this shipment: for each traceability lot, \
                 its code, quantity and unit, product description, the ship-from and ship-to \
                 locations above, the ship date, and where the lot code was assigned.",
                COLUMNS,
                0,
            )
            .into_iter()
            .map(body),
        );
        for l in traced {
            out.push(body(""));
            let lot = l.lot.as_deref().unwrap_or_default();
            out.push(body(format!("Traceability lot code {lot}")));
            out.push(body(format!("    Quantity {} {}", l.qty, l.product.unit)));
            out.extend(
                wrap(
                    &format!("Product {}", product_description(l)),
                    COLUMNS - 4,
                    4,
                )
                .into_iter()
                .map(|s| body(format!("    {s}"))),
            );
            let source = lot_source(&l.lot_source).unwrap_or_else(|| "not on record".to_string());
            out.extend(
                wrap(&format!("Lot code source {source}"), COLUMNS - 4, 4)
                    .into_iter()
                    .map(|s| body(format!("    {s}"))),
            );
        }
    }
    out
}

/// Latin-1 bytes of `text` (WinAnsi agrees on the printable range), `?` for anything else.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u8,
            _ => b'?',
        })
        .collect()
}

/// The packing slip as a PDF document: as many pages as its lines need, each numbered.
pub fn pdf(slip: &PackingSlip) -> Vec<u8> {
    let all = lines(slip);
    let bottom = MARGIN + LEAD;
    let mut pages: Vec<Vec<Line>> = vec![vec![]];
    let mut y = PAGE_H - MARGIN;
    for l in all {
        let need = l.size + 4.0;
        if y - need < bottom {
            pages.push(vec![]);
            y = PAGE_H - MARGIN;
        }
        y -= need.max(LEAD);
        if let Some(p) = pages.last_mut() {
            p.push(l);
        }
    }
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let (regular_name, bold_name) = (Name(b"F1"), Name(b"F2"));
    pdf.catalog(catalog).pages(tree);
    pdf.type1_font(regular)
        .base_font(Name(b"Courier"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Courier-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    let count = pages.len();
    let mut kids = Vec::new();
    for (n, page) in pages.into_iter().enumerate() {
        let page_ref = Ref::new(10 + 2 * n as i32);
        let content_ref = Ref::new(11 + 2 * n as i32);
        kids.push(page_ref);
        let mut c = Content::new();
        let mut y = PAGE_H - MARGIN;
        for l in &page {
            y -= (l.size + 4.0).max(LEAD);
            c.begin_text();
            c.set_font(if l.bold { bold_name } else { regular_name }, l.size);
            c.next_line(MARGIN, y);
            c.show(Str(&latin1(&l.text)));
            c.end_text();
        }
        let footer = format!("{} - page {} of {count}", slip.number, n + 1);
        c.begin_text();
        c.set_font(regular_name, 8.0);
        c.next_line(MARGIN, MARGIN / 2.0);
        c.show(Str(&latin1(&footer)));
        c.end_text();
        let mut p = pdf.page(page_ref);
        p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
        p.parent(tree);
        p.contents(content_ref);
        p.resources()
            .fonts()
            .pair(regular_name, regular)
            .pair(bold_name, bold);
        p.finish();
        pdf.stream(content_ref, &c.finish());
    }
    pdf.pages(tree).kids(kids).count(count as i32);
    pdf.finish()
}

/// A document number as a file name: characters a file system may refuse become `_`.
pub fn file_name(number: &str) -> String {
    let safe: String = number
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("packing-slip-{safe}.pdf")
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wrap_breaks_at_spaces_and_splits_long_words() {
        assert_eq!(wrap("a bb ccc", 5, 2), vec!["a bb", "  ccc"]);
        assert_eq!(wrap("a bb ccc", 4, 2), vec!["a bb", "  cc", "  c"]);
        assert_eq!(wrap("abcdefgh", 3, 0), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", 10, 0), vec![""]);
        assert!(wrap("serials S1, S2, S3, S4", 10, 2)
            .iter()
            .all(|l| l.chars().count() <= 10));
    }
}
