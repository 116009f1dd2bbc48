//! Templates as data, and the one layout engine that places them on a label of a size and a
//! resolution. ZPL, PNG and PDF are all drawn from the [`Layout`] it produces, in printer dots.
//!
//! A template is a column of slots, top to bottom; a DataMatrix, when the template has one, sits
//! in the top right corner and the text beside it is narrowed. GS1 data that does not fit one
//! GS1-128 symbol across the label is split into several, each with its own human-readable line.
//! What does not fit at all is refused ([`LabelError::DoesNotFit`]), never cut.

use serde::Serialize;

use super::data::{Count, Gs1Data, LabelData};
use super::symbols::{self, Bars, Cells};
use super::{Dpi, LabelError, LabelSize};

/// What a linear symbol encodes, for a printer that draws it itself (ZPL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinearData {
    Gs1(Gs1Data),
    Code128(String),
}

/// What a matrix symbol encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatrixData {
    /// GS1 DataMatrix, all the label's GS1 data.
    Gs1(Gs1Data),
    /// A QR code of this text (an enrollment label's).
    Qr(String),
}

/// One thing drawn on a label. Coordinates and sizes in printer dots, from the top left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// One line of text, `h` dots high (the font size); monospaced, about 0.6 `h` a character.
    Text {
        x: u32,
        y: u32,
        h: u32,
        text: String,
    },
    /// A linear symbol: `module` dots a bar module, `height` dots tall.
    Linear {
        x: u32,
        y: u32,
        module: u32,
        height: u32,
        bars: Bars,
        data: LinearData,
    },
    /// A matrix symbol: `module` dots a cell.
    Matrix {
        x: u32,
        y: u32,
        module: u32,
        cells: Cells,
        data: MatrixData,
    },
    /// A filled rectangle (a rule across the label).
    Rule { x: u32, y: u32, w: u32, h: u32 },
}

/// A label laid out for one size and resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub dpi: Dpi,
    pub size: LabelSize,
    pub width: u32,
    pub height: u32,
    pub elements: Vec<Element>,
}

/// The width of a monospaced character, per dot of font size.
pub const CHAR_WIDTH: f32 = 0.6;

/// A text field of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Field {
    Name,
    Sku,
    LotLine,
    Count,
    ShipFrom,
    ShipTo,
    Sscc,
    Contents,
    Code,
    LocationName,
    Device,
    Server,
    EnrollCode,
    Expires,
    Caption(&'static str),
}

/// What a linear symbol slot encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Symbol {
    /// All the label's GS1 data (split over several symbols when one does not fit).
    Gs1,
    /// (00) alone, the SSCC; the logistic label prints it last, on its own.
    SsccOnly,
    /// The pallet's contents, everything but (00).
    Contents,
    /// The location code, plain Code 128.
    Code,
    /// An item without a GTIN: its SKU, plain Code 128 (what `classify` reads as the item).
    SkuCode,
    /// An item without a GTIN: its serial, else its lot, plain Code 128.
    LotCode,
}

/// One slot of a template's column.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Slot {
    /// Text `mm` high; `shrink`: made smaller (down to a third) to fit the width, else cut with "…".
    Text { field: Field, mm: f32, shrink: bool },
    /// Linear symbols `mm` tall, modules up to `x_mm` wide (at least 0.25 mm), each followed by
    /// its human-readable line when it is GS1 data.
    Linear { symbol: Symbol, mm: f32, x_mm: f32 },
    /// A rule across the label.
    Rule,
    /// Empty space.
    Gap(f32),
}

/// A template: its slots, its DataMatrix cell size (none when it has no DataMatrix) and the
/// sizes it is made for.
#[derive(Debug, Clone, Serialize)]
pub struct Template {
    pub name: &'static str,
    pub matrix_mm: Option<f32>,
    pub sizes: &'static [LabelSize],
    pub slots: &'static [Slot],
    /// How far text and symbols may shrink to fit a small label (1.0: not at all). A symbol's
    /// module never goes below what a printer can print.
    pub min_scale: f32,
}

const fn text(field: Field, mm: f32) -> Slot {
    Slot::Text {
        field,
        mm,
        shrink: false,
    }
}

const ALL: &[LabelSize] = &[LabelSize::L2x1, LabelSize::L4x2, LabelSize::L4x6];

pub const ITEM: Template = Template {
    name: "item",
    matrix_mm: Some(0.5),
    sizes: ALL,
    min_scale: 0.8,
    slots: &[
        text(Field::Name, 4.0),
        text(Field::Sku, 3.0),
        text(Field::LotLine, 3.0),
        Slot::Gap(1.0),
        Slot::Linear {
            symbol: Symbol::Gs1,
            mm: 10.0,
            x_mm: 0.33,
        },
    ],
};

/// An item with no GTIN gets no GS1 data ((10) and (21) need a GTIN): its SKU and its lot or
/// serial as two plain Code 128 symbols, scanned one after the other as the workflows ask.
pub const INTERNAL: Template = Template {
    name: "item",
    matrix_mm: None,
    sizes: ALL,
    min_scale: 0.5,
    slots: &[
        text(Field::Name, 4.0),
        Slot::Linear {
            symbol: Symbol::SkuCode,
            mm: 9.0,
            x_mm: 0.33,
        },
        text(Field::Sku, 3.0),
        Slot::Gap(1.0),
        Slot::Linear {
            symbol: Symbol::LotCode,
            mm: 9.0,
            x_mm: 0.33,
        },
        text(Field::LotLine, 3.0),
    ],
};

/// The QR code a handheld scans to enroll, with who, where and until when beside it.
pub const ENROLLMENT: Template = Template {
    name: "enrollment",
    matrix_mm: Some(0.75),
    sizes: &[LabelSize::L4x2, LabelSize::L4x6],
    min_scale: 0.7,
    slots: &[
        text(Field::Caption("ENROLL"), 3.0),
        Slot::Text {
            field: Field::Device,
            mm: 6.0,
            shrink: true,
        },
        Slot::Text {
            field: Field::Server,
            mm: 3.0,
            shrink: true,
        },
        text(Field::EnrollCode, 3.5),
        text(Field::Expires, 3.0),
    ],
};

pub const CASE: Template = Template {
    name: "case",
    matrix_mm: Some(0.5),
    sizes: ALL,
    min_scale: 0.8,
    slots: &[
        text(Field::Name, 4.0),
        text(Field::Sku, 3.0),
        text(Field::LotLine, 3.0),
        text(Field::Count, 3.0),
        Slot::Gap(1.0),
        Slot::Linear {
            symbol: Symbol::Gs1,
            mm: 12.0,
            x_mm: 0.4,
        },
    ],
};

pub const SSCC: Template = Template {
    name: "sscc",
    matrix_mm: None,
    sizes: &[LabelSize::L4x6],
    min_scale: 1.0,
    slots: &[
        text(Field::Caption("FROM"), 2.5),
        Slot::Text {
            field: Field::ShipFrom,
            mm: 3.5,
            shrink: true,
        },
        text(Field::Caption("TO"), 2.5),
        Slot::Text {
            field: Field::ShipTo,
            mm: 5.0,
            shrink: true,
        },
        Slot::Rule,
        text(Field::Caption("SSCC"), 2.5),
        text(Field::Sscc, 6.0),
        Slot::Rule,
        text(Field::Contents, 3.5),
        text(Field::LotLine, 3.5),
        text(Field::Count, 3.5),
        Slot::Rule,
        Slot::Linear {
            symbol: Symbol::Contents,
            mm: 18.0,
            x_mm: 0.5,
        },
        Slot::Gap(2.0),
        Slot::Linear {
            symbol: Symbol::SsccOnly,
            mm: 25.0,
            x_mm: 0.5,
        },
    ],
};

pub const LOCATION: Template = Template {
    name: "location",
    matrix_mm: None,
    sizes: ALL,
    min_scale: 0.6,
    slots: &[
        Slot::Text {
            field: Field::Code,
            mm: 12.0,
            shrink: true,
        },
        Slot::Linear {
            symbol: Symbol::Code,
            mm: 10.0,
            x_mm: 0.5,
        },
        text(Field::LocationName, 3.0),
    ],
};

impl LabelData {
    pub fn template(&self) -> &'static Template {
        match self {
            LabelData::Item(d) if d.gtin.is_empty() => &INTERNAL,
            LabelData::Item(_) => &ITEM,
            LabelData::Case(_) => &CASE,
            LabelData::Sscc(_) => &SSCC,
            LabelData::Location(_) => &LOCATION,
            LabelData::Enrollment(_) => &ENROLLMENT,
        }
    }

    /// The label's GS1 data, checked (none for a location or an item without a GTIN).
    pub fn gs1(&self) -> Result<Option<Gs1Data>, LabelError> {
        Ok(match self {
            LabelData::Item(d) if d.gtin.is_empty() => {
                d.check_internal()?;
                None
            }
            LabelData::Item(d) => {
                if d.count.is_some() {
                    return Err(LabelError::invalid(
                        "count",
                        "",
                        "an item label has no count: use the case template",
                    ));
                }
                Some(d.gs1()?)
            }
            LabelData::Case(d) => {
                if d.count.is_none() {
                    return Err(LabelError::invalid(
                        "count",
                        "",
                        "a case label needs its count of trade items",
                    ));
                }
                Some(d.gs1()?)
            }
            LabelData::Sscc(d) => Some(d.gs1()?),
            LabelData::Location(d) => {
                d.check()?;
                None
            }
            LabelData::Enrollment(_) => None,
        })
    }

    fn field(&self, f: Field) -> String {
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
        match (self, f) {
            (_, Field::Caption(c)) => c.to_string(),
            (LabelData::Item(d) | LabelData::Case(d), _) => match f {
                Field::Name => d.name.clone(),
                Field::Sku => format!("SKU {}", d.sku),
                Field::LotLine => [
                    d.lot.as_ref().map(|l| format!("LOT {l}")),
                    d.serial.as_ref().map(|s| format!("SN {s}")),
                    date(d.expiry).map(|e| format!("EXP {e}")),
                    date(d.produced).map(|p| format!("PROD {p}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("  "),
                Field::Count => match d.count {
                    Some(Count::Fixed(n)) => format!("COUNT {n}"),
                    Some(Count::Variable(n)) => format!("VAR. COUNT {n}"),
                    None => String::new(),
                },
                _ => String::new(),
            },
            (LabelData::Sscc(d), _) => match f {
                Field::ShipFrom => d.ship_from.clone(),
                Field::ShipTo => d.ship_to.clone(),
                Field::Sscc => d.sscc.clone(),
                Field::Contents => d
                    .contents
                    .as_ref()
                    .map_or(String::new(), |c| format!("CONTENT {}", c.gtin)),
                Field::LotLine => d.contents.as_ref().map_or(String::new(), |c| {
                    [
                        c.lot.as_ref().map(|l| format!("BATCH {l}")),
                        date(c.expiry).map(|e| format!("EXP {e}")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("  ")
                }),
                Field::Count => d
                    .contents
                    .as_ref()
                    .map_or(String::new(), |c| format!("COUNT {}", c.count)),
                _ => String::new(),
            },
            (LabelData::Location(d), _) => match f {
                Field::Code => d.code.clone(),
                Field::LocationName => d.name.clone(),
                _ => String::new(),
            },
            (LabelData::Enrollment(d), _) => match f {
                Field::Device => d.device.clone(),
                Field::Server => d.server.clone(),
                Field::EnrollCode => format!("CODE {}", d.code),
                Field::Expires => format!("VALID UNTIL {}", d.expires),
                _ => String::new(),
            },
        }
    }
}

/// Places `data` on a label of `size` at `dpi`, or says why it cannot. A template that may
/// shrink is tried smaller, a tenth at a time, when it does not fit at its own size.
pub fn layout(data: &LabelData, size: LabelSize, dpi: Dpi) -> Result<Layout, LabelError> {
    let t = data.template();
    let mut scale = 1.0f32;
    loop {
        match layout_at(data, size, dpi, scale) {
            Err(LabelError::DoesNotFit { .. }) if scale - 0.1 >= t.min_scale - 1e-3 => {
                scale -= 0.1;
            }
            other => return other,
        }
    }
}

fn layout_at(
    data: &LabelData,
    size: LabelSize,
    dpi: Dpi,
    scale: f32,
) -> Result<Layout, LabelError> {
    let t = data.template();
    if !t.sizes.contains(&size) {
        return Err(LabelError::DoesNotFit {
            template: t.name,
            size,
            reason: format!(
                "the {} template is made for {}",
                t.name,
                t.sizes
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let gs1 = data.gs1()?;
    let dpmm = dpi.dots_per_mm();
    let mm = |v: f32| (v * dpmm * scale).round() as u32;
    let (width, height) = size.dots(dpi);
    let margin = (2.5 * dpmm).round() as u32;
    let right = width - margin;
    let too_big = |what: &str| LabelError::DoesNotFit {
        template: t.name,
        size,
        reason: what.to_string(),
    };
    let mut out = Vec::new();
    let mut y = margin;
    // The DataMatrix in the top right corner, text beside it narrowed until below it.
    let mut beside_until = 0;
    let mut text_right = right;
    let matrix = match (data, &gs1) {
        (LabelData::Enrollment(d), _) => Some((symbols::qr(&d.qr)?, MatrixData::Qr(d.qr.clone()))),
        (_, Some(g)) => Some((symbols::gs1_datamatrix(g)?, MatrixData::Gs1(g.clone()))),
        _ => None,
    };
    if let (Some(cell_mm), Some((cells, matrix_data))) = (t.matrix_mm, matrix) {
        let module = mm(cell_mm).max(3);
        let side = cells.w * module;
        // A DataMatrix needs one module of quiet zone, a QR code four: from the label's edge too.
        let (quiet, edge) = match matrix_data {
            MatrixData::Gs1(_) => (2 * module, margin),
            MatrixData::Qr(_) => (4 * module, margin.max(4 * module)),
        };
        if side + quiet > width - 2 * edge || cells.h * module + quiet > height - 2 * edge {
            return Err(too_big("the matrix symbol does not fit"));
        }
        out.push(Element::Matrix {
            x: width - edge - side,
            y: edge,
            module,
            cells: cells.clone(),
            data: matrix_data,
        });
        beside_until = edge + cells.h * module + quiet;
        text_right = width - edge - side - quiet;
    }
    for slot in t.slots {
        let avail = (if y < beside_until { text_right } else { right }) - margin;
        match *slot {
            Slot::Gap(g) => y += mm(g),
            Slot::Rule => {
                let h = mm(0.4).max(2);
                out.push(Element::Rule {
                    x: margin,
                    y,
                    w: right - margin,
                    h,
                });
                y += h + mm(1.5);
            }
            Slot::Text {
                field,
                mm: size_mm,
                shrink,
            } => {
                let text = data.field(field);
                if text.is_empty() {
                    continue;
                }
                let mut h = mm(size_mm);
                let fits = |h: u32, n: usize| (n as f32 * CHAR_WIDTH * h as f32) as u32 <= avail;
                let n = text.chars().count();
                if shrink {
                    while !fits(h, n) && h > mm(size_mm) / 3 {
                        h -= 1;
                    }
                }
                // An address cut short sends the pallet nowhere: refused, never cut.
                if matches!(field, Field::ShipFrom | Field::ShipTo) && !fits(h, n) {
                    return Err(too_big(&format!(
                        "'{text}' is too long for one line: shorten it to {} characters",
                        (avail as f32 / (CHAR_WIDTH * h as f32)) as usize
                    )));
                }
                let text = cut(&text, avail, h);
                out.push(Element::Text {
                    x: margin,
                    y,
                    h,
                    text,
                });
                y += h + h / 4;
            }
            Slot::Linear {
                symbol,
                mm: tall,
                x_mm,
            } => {
                let min_module = mm(0.25).max(2);
                let pref = mm(x_mm).max(min_module);
                let avail = right - margin;
                let groups: Vec<(Bars, LinearData)> = match (symbol, &gs1) {
                    (Symbol::Code | Symbol::SkuCode | Symbol::LotCode, _) => {
                        let text = match (symbol, data) {
                            (Symbol::Code, LabelData::Location(d)) => Some(d.code.clone()),
                            (Symbol::SkuCode, LabelData::Item(d)) => Some(d.sku.clone()),
                            (Symbol::LotCode, LabelData::Item(d)) => {
                                d.serial.clone().or_else(|| d.lot.clone())
                            }
                            _ => None,
                        };
                        let Some(text) = text else {
                            continue;
                        };
                        vec![(symbols::code_128(&text)?, LinearData::Code128(text))]
                    }
                    (_, None) => continue,
                    (s, Some(g)) => {
                        let part = match s {
                            Symbol::SsccOnly => Gs1Data {
                                ais: g.ais[..1].to_vec(),
                            },
                            Symbol::Contents => Gs1Data {
                                ais: g.ais[1..].to_vec(),
                            },
                            _ => g.clone(),
                        };
                        if part.ais.is_empty() {
                            continue;
                        }
                        split_to_fit(&part, avail, min_module)?
                            .ok_or_else(|| too_big("a GS1-128 symbol is wider than the label"))?
                    }
                };
                for (bars, data) in groups {
                    let modules = bars.0.len() as u32 + 20;
                    let module = (avail / modules).min(pref);
                    if module < min_module {
                        return Err(too_big("the Code 128 symbol is wider than the label"));
                    }
                    let w = bars.0.len() as u32 * module;
                    let x = margin + (avail - w) / 2;
                    let tall = mm(tall);
                    let hri = match &data {
                        LinearData::Gs1(g) => Some(g.hri()),
                        LinearData::Code128(_) => None,
                    };
                    out.push(Element::Linear {
                        x,
                        y,
                        module,
                        height: tall,
                        bars,
                        data,
                    });
                    y += tall + mm(0.8);
                    if let Some(hri) = hri {
                        let h = mm(2.8);
                        let h = if fits_text(&hri, avail, h) {
                            h
                        } else {
                            mm(2.2)
                        };
                        let hx = margin + (avail.saturating_sub(text_width(&hri, h))) / 2;
                        out.push(Element::Text {
                            x: hx,
                            y,
                            h,
                            text: hri,
                        });
                        y += h + mm(1.0);
                    }
                }
            }
        }
        if y > height - margin {
            return Err(too_big(&format!(
                "the content needs {:.0} mm of {:.0} mm",
                y as f32 / dpmm + 2.5,
                height as f32 / dpmm
            )));
        }
    }
    if y.max(beside_until) > height - margin {
        return Err(too_big(
            "the DataMatrix and the text beside it are taller than the label",
        ));
    }
    Ok(Layout {
        dpi,
        size,
        width,
        height,
        elements: out,
    })
}

fn text_width(text: &str, h: u32) -> u32 {
    (text.chars().count() as f32 * CHAR_WIDTH * h as f32).ceil() as u32
}

fn fits_text(text: &str, avail: u32, h: u32) -> bool {
    text_width(text, h) <= avail
}

/// Text that is wider than `avail` is cut and ends in "…" (names, addresses: not data).
fn cut(text: &str, avail: u32, h: u32) -> String {
    if fits_text(text, avail, h) {
        return text.to_string();
    }
    let n = (avail as f32 / (CHAR_WIDTH * h as f32)) as usize;
    let mut s: String = text.chars().take(n.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// The fewest GS1-128 symbols, AIs kept in order, each narrow enough for `avail` dots at
/// `module` with its quiet zones. None when a single AI does not fit.
fn split_to_fit(
    g: &Gs1Data,
    avail: u32,
    module: u32,
) -> Result<Option<Vec<(Bars, LinearData)>>, LabelError> {
    for parts in 1..=g.ais.len() {
        let per = g.ais.len().div_ceil(parts);
        let mut out = Vec::new();
        for chunk in g.chunks(per) {
            let bars = symbols::gs1_128(&chunk)?;
            if (bars.0.len() as u32 + 20) * module > avail {
                break;
            }
            out.push((bars, LinearData::Gs1(chunk)));
        }
        if out.len() == g.ais.len().div_ceil(per) {
            return Ok(Some(out));
        }
    }
    Ok(None)
}
