//! FSMA 204's electronic sortable spreadsheet, after the layout of FDA's published template: one
//! sheet per Critical Tracking Event a warehouse or processor performs (Receiving, Shipping,
//! Transformation), composite fields split into columns, and a summary that lists every Key Data
//! Element left empty. Nothing is guessed: a KDE the ledger does not hold stays empty and is
//! listed.
//!
//! Out of scope, because lotkeeper's users do not perform them: harvesting, cooling, initial
//! packing of raw agricultural commodities and first land-based receiving of seafood.

use crate::ledger::compliance::{LotSource, Place, Product, TraceData, TraceMovement};
use crate::ledger::{MovementKind, Party};

/// One sheet: its name, header and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A cell: text, or a number (quantities), so the spreadsheet sorts numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
}

impl Cell {
    pub fn as_text(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Number(n) => n.to_string(),
        }
    }
}

/// The three event sheets and the summary of missing KDEs.
#[derive(Debug, Clone, PartialEq)]
pub struct Workbook {
    pub receiving: Sheet,
    pub shipping: Sheet,
    pub transformation: Sheet,
    pub summary: Sheet,
}

impl Workbook {
    pub fn sheets(&self) -> [&Sheet; 4] {
        [
            &self.receiving,
            &self.shipping,
            &self.transformation,
            &self.summary,
        ]
    }
}

const PRODUCT: [&str; 6] = [
    "Product Name",
    "Brand",
    "Commodity",
    "Variety",
    "Packaging Size",
    "Packaging Style",
];
const PLACE: [&str; 7] = [
    "Business Name",
    "Phone",
    "Street Address",
    "City",
    "State",
    "Postal Code",
    "Country",
];

fn header(parts: &[(&str, &[&str])]) -> Vec<String> {
    let mut h = Vec::new();
    for (prefix, names) in parts {
        for n in *names {
            h.push(if prefix.is_empty() {
                n.to_string()
            } else {
                format!("{prefix} {n}")
            });
        }
    }
    h
}

/// A row under construction, with the KDEs it lacks.
struct Row<'h> {
    cells: Vec<Cell>,
    header: &'h [String],
    missing: Vec<std::borrow::Cow<'h, str>>,
}

impl<'h> Row<'h> {
    fn new(header: &'h [String]) -> Row<'h> {
        Row {
            cells: Vec::with_capacity(header.len()),
            header,
            missing: Vec::new(),
        }
    }

    /// A KDE the rule requires: listed in the summary when empty.
    fn required(&mut self, v: Option<&str>) {
        let v = v.map(str::trim).filter(|s| !s.is_empty());
        if v.is_none() {
            let header = self.header;
            self.missing.push(std::borrow::Cow::Borrowed(
                header[self.cells.len()].as_str(),
            ));
        }
        self.cells.push(Cell::Text(v.unwrap_or("").to_string()));
    }

    /// A field that applies only sometimes (brand, variety, a second document).
    fn optional(&mut self, v: Option<&str>) {
        self.cells
            .push(Cell::Text(v.unwrap_or("").trim().to_string()));
    }

    fn number(&mut self, n: i64) {
        self.cells.push(Cell::Number(n));
    }

    fn product(&mut self, p: &Product) {
        let d = &p.description;
        self.required(Some(&p.name));
        self.optional(d.brand.as_deref());
        self.required(d.commodity.as_deref());
        self.optional(d.variety.as_deref());
        self.required(d.pack_size.as_deref());
        self.required(d.pack_style.as_deref());
    }

    /// A location description: the party's record, or for a party named on a movement but not
    /// described yet, the name the ledger holds (its code) with the rest listed as missing.
    fn place(&mut self, place: &Place) {
        match (&place.party, &place.party_code) {
            (None, Some(code)) => {
                self.required(Some(code));
                for _ in 0..6 {
                    self.required(None);
                }
            }
            (party, _) => self.party(party.as_ref()),
        }
    }

    fn party(&mut self, p: Option<&Party>) {
        self.required(p.map(|p| p.name.as_str()));
        for f in [
            |p: &Party| p.phone.clone(),
            |p: &Party| p.street.clone(),
            |p: &Party| p.city.clone(),
            |p: &Party| p.region.clone(),
            |p: &Party| p.postal_code.clone(),
            |p: &Party| p.country.clone(),
        ] {
            self.required(p.and_then(f).as_deref());
        }
    }

    /// Reference document type and number, twice: the movement's document, then none.
    fn documents(&mut self, m: &TraceMovement) {
        let number = m.reference.as_deref();
        let kind = match (m.ref_type, number) {
            (Some(t), _) => Some(t.label()),
            (None, Some(_)) => Some("Other"),
            (None, None) => None,
        };
        self.required(kind);
        self.required(number);
        self.optional(None);
        self.optional(None);
    }
}

/// The day of a movement, in UTC.
fn date(m: &TraceMovement) -> String {
    m.day.format("%Y-%m-%d").to_string()
}

/// The traceability lot code of a movement: its lot, or for a serial with no lot, the serial.
fn tlc(m: &TraceMovement) -> Option<&str> {
    m.lot.as_deref().or(m.serial.as_deref())
}

fn source(row: &mut Row, s: Option<&LotSource>) {
    // The source's location description or its reference: the rule asks for one of the two, so
    // a row with neither lists one missing KDE, and a row with either lists none here.
    let (party, reference) = match s {
        Some(LotSource::Party(p)) => (Some(p), None),
        Some(LotSource::Reference(r)) => (None, Some(r.as_str())),
        Some(LotSource::Undescribed(_) | LotSource::Several(_)) | None => (None, None),
    };
    let before = row.missing.len();
    row.party(party);
    row.missing.truncate(before);
    row.optional(reference);
    if party.is_none() && reference.is_none() {
        row.missing.push(std::borrow::Cow::Owned(match s {
            Some(LotSource::Undescribed(code)) => format!(
                "Traceability Lot Code Source ({code} has no party record: import it with import parties)"
            ),
            Some(LotSource::Several(all)) => format!(
                "Traceability Lot Code Source (the lot was received from several sources: {})",
                all.join(", ")
            ),
            _ => "Traceability Lot Code Source or its Reference".to_string(),
        }));
    }
}

/// Movements of one event grouped: a receipt of 12 units of one lot, recorded as 12 movements
/// (serials), is one row of 12. Grouped by batch, item, lot (or serial, for a serial with no
/// lot) and both places, in one pass.
fn grouped(data: &TraceData, kind: MovementKind) -> Vec<(&TraceMovement, i64)> {
    let mut out: Vec<(&TraceMovement, i64)> = Vec::new();
    let mut at: std::collections::HashMap<(&str, &str, Option<&str>, &str, &str), usize> =
        std::collections::HashMap::new();
    for m in data.movements.iter().filter(|m| m.kind == kind) {
        let key = (
            m.batch_id.as_str(),
            m.product.sku.as_str(),
            tlc(m),
            m.from.code.as_str(),
            m.to.code.as_str(),
        );
        match at.get(&key) {
            Some(&i) => out[i].1 += m.qty,
            None => {
                at.insert(key, out.len());
                out.push((m, m.qty));
            }
        }
    }
    out
}

fn sort_rows(rows: &mut [(String, String, Row)]) {
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
}

/// Receiving or Shipping: the other party, then us.
fn event_sheet(data: &TraceData, kind: MovementKind) -> (Sheet, Vec<(usize, String, String)>) {
    let (name, other, ours, when) = if kind == MovementKind::Receive {
        (
            "Receiving",
            "Immediate Previous Source",
            "Receiving Location",
            "Receive Date",
        )
    } else {
        (
            "Shipping",
            "Immediate Subsequent Recipient",
            "Shipping Location",
            "Ship Date",
        )
    };
    let h = header(&[
        (
            "",
            &["Traceability Lot Code", "Quantity", "Unit of Measure"],
        ),
        ("", &PRODUCT),
        (other, &PLACE),
        (ours, &PLACE),
        ("", &[when]),
        ("Traceability Lot Code Source", &PLACE),
        (
            "",
            &[
                "Traceability Lot Code Source Reference",
                "Reference Document Type 1",
                "Reference Document Number 1",
                "Reference Document Type 2",
                "Reference Document Number 2",
            ],
        ),
    ]);
    let mut rows = Vec::new();
    for (m, qty) in grouped(data, kind) {
        let mut r = Row::new(&h);
        r.required(tlc(m));
        r.number(qty);
        r.required(Some(&m.product.unit));
        r.product(&m.product);
        let (them, us): (&Place, &Place) = if kind == MovementKind::Receive {
            (&m.from, &m.to)
        } else {
            (&m.to, &m.from)
        };
        r.place(them);
        r.place(us);
        r.required(Some(&date(m)));
        source(&mut r, m.lot_source.as_ref());
        r.documents(m);
        rows.push((date(m), tlc(m).unwrap_or("").to_string(), r));
    }
    finish(name, &h, rows)
}

fn finish(
    name: &'static str,
    header: &[String],
    mut rows: Vec<(String, String, Row)>,
) -> (Sheet, Vec<(usize, String, String)>) {
    sort_rows(&mut rows);
    let mut missing = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, (_, lot, r)) in rows.into_iter().enumerate() {
        if !r.missing.is_empty() {
            // Row numbers as a spreadsheet shows them: the header is row 1.
            missing.push((i + 2, lot, r.missing.join("; ")));
        }
        out.push(r.cells);
    }
    (
        Sheet {
            name,
            header: header.to_vec(),
            rows: out,
        },
        missing,
    )
}

/// Transformation: one row per input and output of an assembly or split.
fn transformation(data: &TraceData) -> (Sheet, Vec<(usize, String, String)>) {
    let h = header(&[
        ("Input", &["Traceability Lot Code"]),
        ("Input", &PRODUCT),
        ("Input", &["Quantity", "Unit of Measure"]),
        ("", &["New Traceability Lot Code"]),
        ("Transformation Location", &PLACE),
        (
            "",
            &[
                "New Traceability Lot Code Source Reference",
                "Date Completed",
            ],
        ),
        ("Output", &PRODUCT),
        ("Output", &["Quantity", "Unit of Measure"]),
        (
            "",
            &[
                "Reference Document Type 1",
                "Reference Document Number 1",
                "Reference Document Type 2",
                "Reference Document Number 2",
            ],
        ),
    ]);
    let inputs = grouped(data, MovementKind::Consume);
    let outputs = grouped(data, MovementKind::Produce);
    let mut by_batch: std::collections::HashMap<&str, Vec<&(&TraceMovement, i64)>> =
        std::collections::HashMap::new();
    for i in &inputs {
        by_batch.entry(i.0.batch_id.as_str()).or_default().push(i);
    }
    let mut rows = Vec::new();
    for (out, out_qty) in &outputs {
        let batch_inputs = by_batch
            .get(out.batch_id.as_str())
            .cloned()
            .unwrap_or_default();
        for (inp, in_qty) in batch_inputs {
            let mut r = Row::new(&h);
            r.required(tlc(inp));
            r.product(&inp.product);
            r.number(*in_qty);
            r.required(Some(&inp.product.unit));
            r.required(tlc(out));
            r.place(&out.to);
            // The new lot's code was assigned here: its source reference is our site's GLN when
            // we have one, else the location description above stands for it.
            r.optional(
                data.site
                    .as_ref()
                    .and_then(|s| s.gln.as_deref())
                    .map(|g| format!("GLN {g}"))
                    .as_deref(),
            );
            r.required(Some(&date(out)));
            r.product(&out.product);
            r.number(*out_qty);
            r.required(Some(&out.product.unit));
            r.documents(out);
            rows.push((date(out), tlc(out).unwrap_or("").to_string(), r));
        }
    }
    finish("Transformation", &h, rows)
}

/// The workbook of a scope's movements.
pub fn workbook(data: &TraceData) -> Workbook {
    let (receiving, m1) = event_sheet(data, MovementKind::Receive);
    let (shipping, m2) = event_sheet(data, MovementKind::Ship);
    let (transformation, m3) = transformation(data);
    let mut rows = Vec::new();
    for (sheet, missing) in [
        (receiving.name, m1),
        (shipping.name, m2),
        (transformation.name, m3),
    ] {
        for (row, lot, kde) in missing {
            rows.push(vec![
                Cell::Text(sheet.to_string()),
                Cell::Number(row as i64),
                Cell::Text(lot),
                Cell::Text(kde),
            ]);
        }
    }
    Workbook {
        receiving,
        shipping,
        transformation,
        summary: Sheet {
            name: "Summary",
            header: ["Sheet", "Row", "Traceability Lot Code", "Missing KDEs"]
                .map(String::from)
                .to_vec(),
            rows,
        },
    }
}

/// A sheet as CSV (RFC 4180, header first).
pub fn csv(sheet: &Sheet) -> Vec<u8> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(&sheet.header);
    for r in &sheet.rows {
        let _ = w.write_record(
            r.iter()
                .map(|c| crate::rows::spreadsheet_safe(&c.as_text()).into_owned()),
        );
    }
    w.into_inner().unwrap_or_default()
}

/// The CSV files of a workbook, by file name.
pub fn csv_files(wb: &Workbook) -> Vec<(String, Vec<u8>)> {
    wb.sheets()
        .iter()
        .map(|s| (format!("{}.csv", s.name.to_ascii_lowercase()), csv(s)))
        .collect()
}

/// Why a workbook was not drawn as .xlsx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XlsxRefusal {
    /// This build has no spreadsheet writer (a handheld build).
    NoWriter,
    /// A sheet has more rows than a spreadsheet holds.
    TooManyRows { sheet: &'static str, rows: usize },
    /// The writer failed.
    Failed(String),
}

impl std::fmt::Display for XlsxRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XlsxRefusal::NoWriter => f.write_str(
                "this build has no spreadsheet writer (a handheld build); use the csv format",
            ),
            XlsxRefusal::TooManyRows { sheet, rows } => write!(
                f,
                "the {sheet} sheet would have {rows} rows, more than a spreadsheet holds ({}); narrow the date range or use the csv format",
                MAX_SHEET_ROWS
            ),
            XlsxRefusal::Failed(e) => write!(f, "cannot draw the spreadsheet: {e}"),
        }
    }
}

/// Rows below the header that one worksheet holds (Excel's limit, 1,048,576 with the header).
pub const MAX_SHEET_ROWS: usize = 1_048_575;

/// The workbook as .xlsx, or why not: checked before anything is drawn.
pub fn xlsx_bytes(wb: &Workbook) -> Result<Vec<u8>, XlsxRefusal> {
    if let Some(s) = wb
        .sheets()
        .into_iter()
        .find(|s| s.rows.len() > MAX_SHEET_ROWS)
    {
        return Err(XlsxRefusal::TooManyRows {
            sheet: s.name,
            rows: s.rows.len(),
        });
    }
    #[cfg(feature = "backoffice")]
    {
        xlsx(wb).map_err(|e| XlsxRefusal::Failed(e.to_string()))
    }
    #[cfg(not(feature = "backoffice"))]
    {
        Err(XlsxRefusal::NoWriter)
    }
}

/// The workbook as .xlsx: a sheet per event and the summary, each with a frozen, bold header row
/// and an auto-filter over its columns, so it sorts and filters as FDA asks.
#[cfg(feature = "backoffice")]
pub fn xlsx(wb: &Workbook) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    sheets_xlsx(&wb.sheets())
}

/// Sheets as .xlsx, each with a frozen, bold header row and an auto-filter over its columns
/// (the FSMA 204 workbook, and the console's reports).
#[cfg(feature = "backoffice")]
pub fn sheets_xlsx(sheets: &[&Sheet]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook as Xlsx};
    let mut book = Xlsx::new();
    // Level 3, as Excel itself writes: about a third faster than the default for a file some 5%
    // larger (rust_xlsxwriter's own measurements).
    book.set_zip_compression_level(3);
    let bold = Format::new().set_bold().set_text_wrap();
    for s in sheets {
        let ws = book.add_worksheet_with_constant_memory()?;
        ws.set_name(s.name)?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
            ws.set_column_width(c as u16, (h.len().clamp(12, 28)) as f64)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(t) if t.is_empty() => {}
                    Cell::Text(t) => {
                        ws.write_string(r, c as u16, t)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, c as u16, *n as f64)?;
                    }
                };
            }
        }
        ws.set_freeze_panes(1, 0)?;
        let last_col = s.header.len().saturating_sub(1) as u16;
        ws.autofilter(0, 0, s.rows.len() as u32, last_col)?;
    }
    book.save_to_buffer()
}
