//! CSV import of master data, opening stock and documents. All or nothing: every row is checked,
//! then everything is written in one transaction; the first problem is reported with its line
//! (the header is line 1) and column, and nothing is imported.

use chrono::NaiveDate;
use csv::StringRecord;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use super::error::{Error, Result, Rule};
use super::model::{LocationKind, Movement, MovementKind, Party, PartyKind, Tracking};
use super::sql::{args, Sql, SqlExt};
use super::validate::{self, Field};
use super::{post, rows, virtual_kind, Ledger, MAX_QTY, OPENING};

/// What can be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    Items,
    Locations,
    Stock,
    PickLists,
    PurchaseOrders,
    Parties,
    Compositions,
    LotAttributes,
}

impl FromStr for ImportKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        IMPORT_KINDS
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                Error::invalid(format!(
                    "cannot import '{s}'; use items, locations, stock, picklists, purchase-orders, parties, compositions or lot-attributes"
                ))
            })
    }
}

/// Every kind, by the name `import` and the console take.
pub const IMPORT_KINDS: [(&str, ImportKind); 8] = [
    ("items", ImportKind::Items),
    ("locations", ImportKind::Locations),
    ("stock", ImportKind::Stock),
    ("picklists", ImportKind::PickLists),
    ("purchase-orders", ImportKind::PurchaseOrders),
    ("parties", ImportKind::Parties),
    ("compositions", ImportKind::Compositions),
    ("lot-attributes", ImportKind::LotAttributes),
];

impl ImportKind {
    /// The name `import` takes for this kind.
    pub fn name(self) -> &'static str {
        IMPORT_KINDS
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("", |(n, _)| n)
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            ImportKind::Items => &[
                "sku",
                "name",
                "gtin",
                "tracking",
                "expiry_tracked",
                "shelf_life_days",
                "unit",
            ],
            ImportKind::Locations => &["code", "name", "kind"],
            ImportKind::Stock => &["sku", "location", "lot", "serial", "expiry", "qty"],
            ImportKind::PickLists => &["picklist", "customer", "sku", "qty", "due"],
            ImportKind::PurchaseOrders => &["po", "supplier", "sku", "qty", "expected"],
            ImportKind::Parties => &["code", "kind", "name"],
            ImportKind::Compositions => &["output", "component", "qty_per_unit"],
            ImportKind::LotAttributes => &["sku", "name", "type", "required"],
        }
    }

    /// Columns a file may leave out; for parties any other column is refused, so a misspelt
    /// `postcode` does not silently drop every postal code.
    fn optional_columns(self) -> Option<&'static [&'static str]> {
        match self {
            // A misspelt column is refused rather than ignored.
            ImportKind::Compositions => Some(&[]),
            ImportKind::LotAttributes => Some(&["ai"]),
            ImportKind::Parties => Some(&[
                "phone",
                "street",
                "city",
                "region",
                "postal_code",
                "country",
                "gln",
            ]),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
}

/// An import a person made, as the import log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportLogRow {
    pub at: String,
    pub kind: String,
    pub rows: i64,
    pub created: i64,
    pub updated: i64,
    pub by: String,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A parsed CSV: header positions and the data rows with their line numbers.
struct Table {
    columns: HashMap<String, usize>,
    rows: Vec<(u64, StringRecord)>,
}

/// The site a row names in its `site` column, or the default one (see
/// `parties::site_or_default`), as an error at that line and column.
fn row_site(
    tx: &dyn Sql,
    t: &Table,
    line: u64,
    rec: &StringRecord,
    ask: &str,
) -> Result<Option<String>> {
    super::parties::site_or_default(tx, t.optional(rec, "site"), ask)
        .map_err(|e| err(line, "site", e.to_string()))
}

fn err(line: u64, column: &str, message: impl Into<String>) -> Error {
    Error::Import {
        line,
        column: column.to_string(),
        message: message.into(),
    }
}

impl Table {
    fn parse(text: &str, required: &[&str]) -> Result<Table> {
        // Lines end in LF here: the csv crate counts a line at each LF it reads, and a record's
        // position comes before the LF of a CRLF ending is read, so a Windows file or a
        // browser's form (CRLF, always) had its errors named one line too early
        // (BurntSushi/rust-csv#395). A lone CR ends a line as well (old Mac exports).
        let text = if text.contains('\r') {
            std::borrow::Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(text.as_bytes());
        let header = rdr
            .headers()
            .map_err(|e| err(1, "header", format!("cannot read the header: {e}")))?
            .clone();
        let mut columns: HashMap<String, usize> = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            let name = h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            if columns.insert(name.clone(), i).is_some() {
                return Err(err(
                    1,
                    &name,
                    format!("the header names column '{name}' twice; keep one"),
                ));
            }
        }
        for c in required {
            if !columns.contains_key(*c) {
                return Err(err(
                    1,
                    c,
                    format!(
                        "the header has no column '{c}'; expected {}",
                        required.join(",")
                    ),
                ));
            }
        }
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, "row", format!("malformed CSV row: {e}"))
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            for (name, i) in &columns {
                let v = rec.get(*i).unwrap_or("");
                check_cell(name, v).map_err(|e| err(line, name, e.to_string()))?;
            }
            rows.push((line, rec));
        }
        Ok(Table { columns, rows })
    }

    fn get<'r>(&self, rec: &'r StringRecord, col: &str) -> &'r str {
        self.columns
            .get(col)
            .and_then(|i| rec.get(*i))
            .unwrap_or("")
    }

    fn required<'r>(&self, line: u64, rec: &'r StringRecord, col: &str) -> Result<&'r str> {
        let v = self.get(rec, col);
        if v.is_empty() {
            return Err(err(line, col, format!("{col} is empty")));
        }
        Ok(v)
    }

    fn optional<'r>(&self, rec: &'r StringRecord, col: &str) -> Option<&'r str> {
        Some(self.get(rec, col)).filter(|v| !v.is_empty())
    }

    fn qty(&self, line: u64, rec: &StringRecord, col: &str) -> Result<i64> {
        let v = self.required(line, rec, col)?;
        match v.parse::<i64>() {
            Ok(n) if n > 0 && n <= MAX_QTY => Ok(n),
            Ok(n) if n > MAX_QTY => Err(err(
                line,
                col,
                format!("{n} is more than the largest quantity, {MAX_QTY}"),
            )),
            _ => Err(err(
                line,
                col,
                format!("'{v}' is not a whole quantity of at least 1"),
            )),
        }
    }

    fn date(&self, line: u64, rec: &StringRecord, col: &str) -> Result<Option<NaiveDate>> {
        self.optional(rec, col)
            .map(|v| validate::parse_date(col, v).map_err(|e| err(line, col, e.to_string())))
            .transpose()
    }
}

/// Every cell: no control characters, and each column's length limit (see `validate`).
fn check_cell(column: &str, v: &str) -> Result<()> {
    let f = match column {
        "sku" => Field::Sku,
        "name" | "customer" | "supplier" => Field::Name,
        "unit" => Field::Unit,
        "code" | "location" => Field::Location,
        "lot" => Field::Lot,
        "serial" => Field::Serial,
        "picklist" | "po" => Field::Reference,
        other => return validate::text(other, v, 200, "check the file"),
    };
    validate::field(f, v)
}

fn parse_bool(line: u64, col: &str, v: &str) -> Result<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" | "" => Ok(false),
        _ => Err(err(line, col, format!("'{v}' is not true or false"))),
    }
}

/// `gtin` cells: one or more GTINs separated by `;`, each optionally `*N` for a pack of N units.
fn parse_gtins(line: u64, v: &str) -> Result<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for part in v.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (g, pack) = match part.split_once('*') {
            Some((g, n)) => match n.trim().parse::<i64>() {
                Ok(n) if n > 0 => (g.trim(), n),
                _ => {
                    return Err(err(
                        line,
                        "gtin",
                        format!(
                        "'{part}': the pack quantity after * must be a whole number of at least 1"
                    ),
                    ))
                }
            },
            None => (part, 1),
        };
        let g = crate::gtin::normalize_gtin(g)
            .map_err(|e| err(line, "gtin", format!("'{g}' is not a valid GTIN: {e}")))?;
        out.push((g, pack));
    }
    Ok(out)
}

/// Which CSV column a refused opening-stock movement points at.
fn column_of(rule: Rule) -> &'static str {
    match rule {
        Rule::Tracking => "lot",
        Rule::Serial => "serial",
        Rule::Expiry | Rule::Hold => "expiry",
        Rule::Negative => "qty",
        // Opening stock goes into a location: its site is what the rule is about.
        Rule::Site => "location",
        Rule::Identity | Rule::Invalid | Rule::Correction => "sku",
    }
}

impl Ledger {
    /// Imports a CSV text of the given kind, all or nothing.
    pub fn import_csv(&mut self, kind: ImportKind, text: &str) -> Result<ImportSummary> {
        self.import_csv_by(kind, text, None)
    }

    /// [`Ledger::import_csv`], recorded in the import log with the name of the person who made
    /// it (in the same transaction) when `by` names one.
    pub fn import_csv_by(
        &mut self,
        kind: ImportKind,
        text: &str,
        by: Option<&str>,
    ) -> Result<ImportSummary> {
        let table = Table::parse(text, kind.columns())?;
        if let Some(optional) = kind.optional_columns() {
            let mut unknown: Vec<(&String, &usize)> = table
                .columns
                .iter()
                .filter(|(c, _)| {
                    !kind.columns().contains(&c.as_str()) && !optional.contains(&c.as_str())
                })
                .collect();
            unknown.sort_by_key(|(_, i)| **i);
            if let Some((c, _)) = unknown.first() {
                return Err(err(
                    1,
                    c,
                    format!(
                        "the header has a column '{c}' this import does not know; use {}",
                        kind.columns()
                            .iter()
                            .chain(optional)
                            .copied()
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                ));
            }
        }
        let ctx = self.post_context(true);
        let now = ctx.now.clone();
        self.write_sql(|tx| {
            let done = match kind {
                ImportKind::Items => import_items(tx, &table),
                ImportKind::Locations => import_locations(tx, &table),
                ImportKind::Stock => import_stock(tx, &table, &ctx),
                ImportKind::PickLists => import_documents(tx, &table, &now, Doc::PickList),
                ImportKind::PurchaseOrders => {
                    import_documents(tx, &table, &now, Doc::PurchaseOrder)
                }
                ImportKind::Parties => import_parties(tx, &table),
                ImportKind::Compositions => import_compositions(tx, &table),
                ImportKind::LotAttributes => import_lot_attributes(tx, &table),
            }?;
            if let Some(by) = by {
                tx.run(
                    "INSERT INTO import_log (at, kind, rows_read, created, updated, by_name)
                     VALUES (?, ?, ?, ?, ?, ?)",
                    args![
                        now,
                        kind.name(),
                        count(done.rows),
                        count(done.created),
                        count(done.updated),
                        by
                    ],
                )?;
            }
            Ok(done)
        })
    }

    /// The imports a person made (newest first, at most `limit`): when, what, how many rows,
    /// created, updated, and who.
    pub fn import_log(&self, limit: i64) -> Result<Vec<ImportLogRow>> {
        let rows: Vec<(String, String, i64, i64, i64, String)> = self.sql().all(
            "SELECT at, kind, rows_read, created, updated, by_name FROM import_log
             ORDER BY id DESC LIMIT ?",
            args![limit],
        )?;
        Ok(rows
            .into_iter()
            .map(|(at, kind, rows, created, updated, by)| ImportLogRow {
                at,
                kind,
                rows,
                created,
                updated,
                by,
            })
            .collect())
    }
}

/// Reads a `convert-tracking --assign` file: `location`, `qty`, and `lot` (converting to lot
/// tracking) or `serial` (to serial tracking, a `qty` of 1 or empty, and a `lot` where lots
/// carry the expiry), plus `expiry` where the item tracks it. Errors name the line and column.
pub fn parse_assignments(
    text: &str,
    to: Tracking,
    expiry_tracked: bool,
) -> Result<Vec<super::convert::Assignment>> {
    let mut required = vec!["location"];
    match to {
        Tracking::Lot => required.extend(["lot", "qty"]),
        Tracking::Serial => required.push("serial"),
        Tracking::None => {}
    }
    if expiry_tracked {
        required.push("expiry");
        if to == Tracking::Serial {
            required.push("lot");
        }
    }
    let t = Table::parse(text, &required)?;
    let mut out = Vec::new();
    let mut serials: HashMap<String, u64> = HashMap::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let location = t.required(line, rec, "location")?.to_string();
        let lot = if required.contains(&"lot") {
            Some(t.required(line, rec, "lot")?.to_string())
        } else {
            t.optional(rec, "lot").map(String::from)
        };
        let serial = match to {
            Tracking::Serial => {
                let s = t.required(line, rec, "serial")?.to_string();
                if let Some(first) = serials.insert(s.clone(), line) {
                    return Err(err(
                        line,
                        "serial",
                        format!("serial {s} is also on line {first}: each unit has its own"),
                    ));
                }
                Some(s)
            }
            _ => None,
        };
        let qty = match (to, t.optional(rec, "qty")) {
            (Tracking::Serial, None) => 1,
            (Tracking::Serial, Some(_)) => match t.qty(line, rec, "qty")? {
                1 => 1,
                n => {
                    return Err(err(
                        line,
                        "qty",
                        format!("a serial is one unit, not {n}: give each unit its own line"),
                    ))
                }
            },
            _ => t.qty(line, rec, "qty")?,
        };
        let expiry = if expiry_tracked {
            Some(t.date(line, rec, "expiry")?.ok_or_else(|| {
                err(
                    line,
                    "expiry",
                    "expiry is empty: the item will track expiry",
                )
            })?)
        } else if t.optional(rec, "expiry").is_some() {
            return Err(err(
                line,
                "expiry",
                "an expiry date, but the conversion does not track expiry: convert with --expiry, or leave the dates out",
            ));
        } else {
            None
        };
        out.push(super::convert::Assignment {
            location,
            lot,
            serial,
            expiry,
            qty,
        });
    }
    Ok(out)
}

fn has_movements(tx: &dyn Sql, sql: &str, id: i64) -> Result<bool> {
    Ok(tx.value::<i64>(sql, args![id])?.unwrap_or(0) > 0)
}

fn import_items(tx: &dyn Sql, t: &Table) -> Result<ImportSummary> {
    let mut s = ImportSummary::default();
    let mut skus = HashSet::new();
    let mut gtin_owner: HashMap<String, (String, u64)> = HashMap::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let sku = t.required(line, rec, "sku")?;
        if !skus.insert(sku.to_string()) {
            return Err(err(
                line,
                "sku",
                format!("SKU {sku} appears twice in this file"),
            ));
        }
        let name = t.required(line, rec, "name")?;
        let tracking: Tracking = t
            .required(line, rec, "tracking")?
            .parse()
            .map_err(|e: Error| err(line, "tracking", e.to_string()))?;
        let expiry_tracked = parse_bool(line, "expiry_tracked", t.get(rec, "expiry_tracked"))?;
        let shelf = match t.optional(rec, "shelf_life_days") {
            None => None,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(err(
                        line,
                        "shelf_life_days",
                        format!("'{v}' is not a whole number of days"),
                    ))
                }
            },
        };
        if shelf.is_some() && !expiry_tracked {
            return Err(err(
                line,
                "shelf_life_days",
                "a shelf life only makes sense when expiry_tracked is true",
            ));
        }
        let unit = t.optional(rec, "unit").unwrap_or("EA");
        let gtins = parse_gtins(line, t.get(rec, "gtin"))?;
        for (g, _) in &gtins {
            if let Some((other, l)) = gtin_owner.insert(g.clone(), (sku.to_string(), line)) {
                return Err(err(
                    line,
                    "gtin",
                    format!("GTIN {g} is also given to {other} on line {l}"),
                ));
            }
        }

        let existing: Option<(i64, String, bool)> = tx.first(
            "SELECT id, tracking, expiry_tracked FROM items WHERE sku = ?",
            args![sku],
        )?;
        let id = match existing {
            Some((id, old_tracking, old_expiry)) => {
                let changes = old_tracking != tracking.as_str() || old_expiry != expiry_tracked;
                if changes
                    && has_movements(tx, "SELECT (SELECT count(*) FROM balances WHERE item_id = ?1) + (SELECT count(*) FROM virtual_balances WHERE item_id = ?1)", id)?
                {
                    return Err(err(line, "tracking", format!(
                        "{sku} already has movements, so its tracking ({old_tracking}, expiry {}) cannot change here{}",
                        if old_expiry { "tracked" } else { "not tracked" },
                        if old_tracking == "none" {
                            format!("; to turn tracking on for the stock on hand, use lotkeeper convert-tracking --item {sku}")
                        } else {
                            String::new()
                        }
                    )));
                }
                tx.run(
                    "UPDATE items SET name = ?, tracking = ?, expiry_tracked = ?, shelf_life_days = ?, unit = ? WHERE id = ?",
                    args![name, tracking.as_str(), expiry_tracked, shelf, unit, id],
                )?;
                tx.run("DELETE FROM gtins WHERE item_id = ?", args![id])?;
                s.updated += 1;
                id
            }
            None => {
                let id = tx.insert(
                    "INSERT INTO items (sku, name, tracking, expiry_tracked, shelf_life_days, unit) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    args![sku, name, tracking.as_str(), expiry_tracked, shelf, unit],
                )?;
                s.created += 1;
                id
            }
        };
        // The product description: a column the file has is set (empty clears it); a column it
        // leaves out keeps what the item has.
        for col in ["brand", "commodity", "variety", "pack_size", "pack_style"] {
            if t.columns.contains_key(col) {
                tx.run(
                    &format!("UPDATE items SET {col} = ? WHERE id = ?"),
                    args![t.optional(rec, col), id],
                )?;
            }
        }
        // Reorder point and quantity: whole numbers, the quantity only with a point.
        let whole = |col: &str, min: i64| -> Result<Option<i64>> {
            match t.optional(rec, col) {
                None => Ok(None),
                Some(v) => match v.parse::<i64>() {
                    Ok(n) if n >= min && n <= MAX_QTY => Ok(Some(n)),
                    _ => Err(err(
                        line,
                        col,
                        format!("'{v}' is not a whole number of at least {min}"),
                    )),
                },
            }
        };
        if t.columns.contains_key("reorder_point") || t.columns.contains_key("reorder_qty") {
            let point = whole("reorder_point", 0)?;
            let qty = whole("reorder_qty", 1)?;
            if qty.is_some() && point.is_none() {
                return Err(err(
                    line,
                    "reorder_qty",
                    "a reorder quantity needs a reorder point (reorder_point)",
                ));
            }
            tx.run(
                "UPDATE items SET reorder_point = ?, reorder_qty = ? WHERE id = ?",
                args![point, qty, id],
            )?;
        }
        if t.columns.contains_key("ftl") {
            let ftl = parse_bool(line, "ftl", t.get(rec, "ftl"))?;
            tx.run("UPDATE items SET ftl = ? WHERE id = ?", args![ftl, id])?;
        }
        for (g, pack) in gtins {
            let other: Option<String> = tx.value(
                "SELECT i.sku FROM gtins g JOIN items i ON i.id = g.item_id WHERE g.gtin = ?",
                args![g],
            )?;
            if let Some(other) = other {
                return Err(err(
                    line,
                    "gtin",
                    format!("GTIN {g} already belongs to {other}"),
                ));
            }
            tx.run(
                "INSERT INTO gtins (gtin, item_id, pack_qty) VALUES (?, ?, ?)",
                args![g, id, pack],
            )?;
        }
        s.rows += 1;
    }
    Ok(s)
}

fn import_parties(tx: &dyn Sql, t: &Table) -> Result<ImportSummary> {
    let mut s = ImportSummary::default();
    let mut seen: HashMap<(PartyKind, String), u64> = HashMap::new();
    let sites_before = super::parties::site_count(tx)?;
    // The first new site of the file, where a refusal of the sites it makes points.
    let mut new_site: Option<u64> = None;
    for (line, rec) in &t.rows {
        let line = *line;
        let code = t.required(line, rec, "code")?;
        let kind: PartyKind = t
            .required(line, rec, "kind")?
            .parse()
            .map_err(|e: Error| err(line, "kind", e.to_string()))?;
        if let Some(first) = seen.insert((kind, code.to_string()), line) {
            return Err(err(
                line,
                "code",
                format!("{kind} {code} is also on line {first} of this file"),
            ));
        }
        // A column the file has sets the field (empty clears it); a column it leaves out keeps
        // what the party has, as for items.
        let old = super::query::Query::over(tx).party(kind, code)?;
        let text = |c: &str| -> Option<String> {
            if t.columns.contains_key(c) {
                return t.optional(rec, c).map(String::from);
            }
            let old = old.as_ref()?;
            match c {
                "phone" => old.phone.clone(),
                "street" => old.street.clone(),
                "city" => old.city.clone(),
                "region" => old.region.clone(),
                "postal_code" => old.postal_code.clone(),
                "country" => old.country.clone(),
                _ => old.gln.clone(),
            }
        };
        let party = Party {
            code: code.to_string(),
            kind,
            name: t.required(line, rec, "name")?.to_string(),
            phone: text("phone"),
            street: text("street"),
            city: text("city"),
            region: text("region"),
            postal_code: text("postal_code"),
            country: text("country"),
            gln: text("gln"),
        };
        super::parties::check(&party).map_err(|(col, e)| err(line, col, e.to_string()))?;
        if kind == PartyKind::Site {
            // Site codes name transit locations (TRANSIT:NORTH) and are typed on handhelds: two
            // that differ only in case would be read as one.
            // Compared here, not in SQL: the stores' lower() fold different letters.
            let sites: Vec<(String,)> =
                tx.all("SELECT code FROM parties WHERE kind = 'site'", args![])?;
            let folded = code.to_lowercase();
            let twin = sites
                .into_iter()
                .map(|(c,)| c)
                .find(|c| c != code && c.to_lowercase() == folded);
            if let Some(twin) = twin {
                return Err(err(
                    line,
                    "code",
                    format!(
                        "site {code} differs from site {twin} only in upper and lower case: use {twin}, or another code"
                    ),
                ));
            }
        }
        if super::parties::upsert(tx, &party)? {
            s.created += 1;
            if kind == PartyKind::Site {
                new_site.get_or_insert(line);
            }
        } else {
            s.updated += 1;
        }
        s.rows += 1;
    }
    super::parties::settle_sites(tx, sites_before)
        .map_err(|e| err(new_site.unwrap_or(2), "kind", e.to_string()))?;
    Ok(s)
}

/// Each item the file names gets the attributes its rows give, in file order, replacing the
/// ones it had; items the file does not name keep theirs.
fn import_lot_attributes(tx: &dyn Sql, t: &Table) -> Result<ImportSummary> {
    use super::attributes::{check_def, set_defs, AttributeDef};
    let mut s = ImportSummary::default();
    let mut lists: Vec<(i64, Vec<AttributeDef>)> = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let sku = t.required(line, rec, "sku")?;
        let item = rows::item_by_sku(tx, sku)?
            .ok_or_else(|| err(line, "sku", format!("unknown item {sku}; import it first")))?;
        if item.tracking == Tracking::None && item.converting.is_none() {
            return Err(err(
                line,
                "sku",
                format!("{sku} has no lots (its tracking is none), so its lots have no attributes"),
            ));
        }
        if item.tracking == Tracking::Serial && !item.expiry_tracked {
            return Err(err(
                line,
                "sku",
                format!(
                    "{sku}'s units are received by serial without a lot (it does not track \
                     expiry), so there is no lot to record attributes on"
                ),
            ));
        }
        let def = AttributeDef {
            name: t.required(line, rec, "name")?.to_string(),
            kind: t
                .required(line, rec, "type")?
                .to_ascii_lowercase()
                .parse()
                .map_err(|e: Error| err(line, "type", e.to_string()))?,
            required: parse_bool(line, "required", t.get(rec, "required"))?,
            ai: t.optional(rec, "ai").map(String::from),
        };
        check_def(&def).map_err(|(col, e)| err(line, col, e))?;
        if let Some(first) = seen.insert((sku.to_string(), def.name.to_lowercase()), line) {
            return Err(err(
                line,
                "name",
                format!(
                    "{sku} has an attribute '{}' on line {first} of this file",
                    def.name
                ),
            ));
        }
        if let Some(ai) = &def.ai {
            let shared = lists
                .iter()
                .filter(|(id, _)| *id == item.id)
                .flat_map(|(_, l)| l.iter())
                .find(|d| d.ai.as_ref() == Some(ai));
            if let Some(other) = shared {
                return Err(err(
                    line,
                    "ai",
                    format!(
                        "({ai}) already fills {sku}'s '{}': one AI fills one attribute",
                        other.name
                    ),
                ));
            }
        }
        // Values recorded before must still fit the attribute's type.
        if let Some(bad) = super::attributes::value_not_fitting(tx, item.id, &def)? {
            return Err(err(line, "type", bad));
        }
        match lists.iter_mut().find(|(id, _)| *id == item.id) {
            Some((_, l)) => l.push(def),
            None => {
                if super::attributes::defs_of(tx, item.id)?.is_empty() {
                    s.created += 1;
                } else {
                    s.updated += 1;
                }
                lists.push((item.id, vec![def]));
            }
        }
        s.rows += 1;
    }
    for (id, defs) in &lists {
        set_defs(tx, *id, defs)?;
    }
    Ok(s)
}

/// Each output the file names gets the list its rows give, replacing the one it had; outputs the
/// file does not name keep theirs. A cycle among the lists that result is refused at the line of
/// a row on it.
fn import_compositions(tx: &dyn Sql, t: &Table) -> Result<ImportSummary> {
    let mut s = ImportSummary::default();
    // Per output: its id and its lines (component id, quantity per unit); (output, component)
    // -> line, for duplicates and cycles.
    let mut lists: Vec<(i64, Vec<(i64, i64)>)> = Vec::new();
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let output = t.required(line, rec, "output")?;
        let component = t.required(line, rec, "component")?;
        let out_item = rows::item_by_sku(tx, output)?.ok_or_else(|| {
            err(
                line,
                "output",
                format!("unknown item {output}; import it first"),
            )
        })?;
        let comp_item = rows::item_by_sku(tx, component)?.ok_or_else(|| {
            err(
                line,
                "component",
                format!("unknown item {component}; import it first"),
            )
        })?;
        if out_item.id == comp_item.id {
            return Err(err(
                line,
                "component",
                format!("{output} cannot be a component of itself"),
            ));
        }
        let qty = t.qty(line, rec, "qty_per_unit")?;
        if let Some(first) = seen.insert((output.to_string(), component.to_string()), line) {
            return Err(err(
                line,
                "component",
                format!("{component} is already on {output}'s list on line {first} of this file"),
            ));
        }
        match lists.iter_mut().find(|(id, _)| *id == out_item.id) {
            Some((_, l)) => l.push((comp_item.id, qty)),
            None => {
                let existed: Option<i64> = tx.value(
                    "SELECT 1 FROM compositions WHERE output_id = ? LIMIT 1",
                    args![out_item.id],
                )?;
                if existed.is_some() {
                    s.updated += 1;
                } else {
                    s.created += 1;
                }
                lists.push((out_item.id, vec![(comp_item.id, qty)]));
            }
        }
        s.rows += 1;
    }
    for (id, lines) in &lists {
        super::compositions::set_list(tx, *id, lines)?;
    }
    if let Some(cycle) = super::compositions::find_cycle(tx)? {
        let on_file = cycle
            .windows(2)
            .find_map(|w| seen.get(&(w[0].clone(), w[1].clone())).copied());
        let why = super::compositions::cycle_message(&cycle);
        return Err(match on_file {
            Some(line) => err(line, "component", why),
            None => Error::invalid(why),
        });
    }
    Ok(s)
}

fn import_locations(tx: &dyn Sql, t: &Table) -> Result<ImportSummary> {
    let mut s = ImportSummary::default();
    let mut codes = HashSet::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let code = t.required(line, rec, "code")?;
        if !codes.insert(code.to_string()) {
            return Err(err(
                line,
                "code",
                format!("location {code} appears twice in this file"),
            ));
        }
        if virtual_kind(code).is_some() || super::transit_site(&code.to_ascii_uppercase()).is_some()
        {
            return Err(err(
                line,
                "code",
                format!("{code} is reserved for a location the ledger manages itself"),
            ));
        }
        let name = t.optional(rec, "name").unwrap_or(code);
        let kind: LocationKind = t
            .required(line, rec, "kind")?
            .parse()
            .map_err(|e: Error| err(line, "kind", e.to_string()))?;
        if kind == LocationKind::Transit {
            return Err(err(
                line,
                "kind",
                format!(
                    "a site's in-transit location is made by the ledger ({}:<site>) the first time stock is sent to it",
                    super::TRANSIT
                ),
            ));
        }
        let site = if kind.is_real() {
            row_site(tx, t, line, rec, "the location's site in a site column")?
        } else if t.optional(rec, "site").is_some() {
            return Err(err(
                line,
                "site",
                format!("a {kind} location belongs to no site; leave site empty"),
            ));
        } else {
            None
        };
        let existing: Option<(i64, String, Option<String>)> = tx.first(
            "SELECT id, kind, site FROM locations WHERE code = ?",
            args![code],
        )?;
        match existing {
            Some((id, old, old_site)) => {
                let moved = |tx: &dyn Sql| {
                    has_movements(
                        tx,
                        "SELECT (SELECT count(*) FROM balances WHERE location_id = ?1) + (SELECT count(*) FROM virtual_balances WHERE location_id = ?1)",
                        id,
                    )
                };
                if old_site.is_some() && old_site != site && moved(tx)? {
                    return Err(err(
                        line,
                        "site",
                        format!(
                            "{code} already has movements at site {}, so its site cannot change",
                            old_site.unwrap_or_default()
                        ),
                    ));
                }
                if old != kind.as_str()
                    && has_movements(
                        tx,
                        "SELECT (SELECT count(*) FROM balances WHERE location_id = ?1) + (SELECT count(*) FROM virtual_balances WHERE location_id = ?1)",
                        id,
                    )?
                {
                    return Err(err(
                        line,
                        "kind",
                        format!("{code} already has movements, so its kind ({old}) cannot change"),
                    ));
                }
                tx.run(
                    "UPDATE locations SET name = ?, kind = ?, site = ? WHERE id = ?",
                    args![name, kind.as_str(), site, id],
                )?;
                s.updated += 1;
            }
            None => {
                tx.run(
                    "INSERT INTO locations (code, name, kind, site) VALUES (?, ?, ?, ?)",
                    args![code, name, kind.as_str(), site],
                )?;
                s.created += 1;
            }
        }
        s.rows += 1;
    }
    Ok(s)
}

fn import_stock(tx: &dyn Sql, t: &Table, ctx: &post::Context) -> Result<ImportSummary> {
    let mut s = ImportSummary::default();
    for (line, rec) in &t.rows {
        let line = *line;
        let sku = t.required(line, rec, "sku")?;
        let location = t.required(line, rec, "location")?;
        let loc = rows::location_by_code(tx, location)?
            .ok_or_else(|| err(line, "location", format!("unknown location '{location}'")))?;
        if !loc.kind.is_real() {
            return Err(err(
                line,
                "location",
                format!(
                    "{location} is a {} location and cannot hold stock",
                    loc.kind
                ),
            ));
        }
        if rows::item_by_sku(tx, sku)?.is_none() {
            return Err(err(
                line,
                "sku",
                format!("unknown item '{sku}': import items first"),
            ));
        }
        let serial = t.optional(rec, "serial");
        let qty = if serial.is_some() && t.optional(rec, "qty").is_none() {
            1
        } else {
            t.qty(line, rec, "qty")?
        };
        let m = Movement::new(MovementKind::Opening, sku, qty, OPENING, location)
            .lot(t.optional(rec, "lot"))
            .serial(serial)
            .reason(Some("opening stock"))
            .dates(t.date(line, rec, "expiry")?, None);
        post::post_batch(tx, ctx, &[m]).map_err(|e| match e {
            Error::Refused { rule, message } => err(line, column_of(rule), message),
            other => other,
        })?;
        s.rows += 1;
        s.created += 1;
    }
    Ok(s)
}

#[derive(Clone, Copy)]
enum Doc {
    PickList,
    PurchaseOrder,
}

fn import_documents(tx: &dyn Sql, t: &Table, now: &str, doc: Doc) -> Result<ImportSummary> {
    let (num_col, party_col, date_col, what) = match doc {
        Doc::PickList => ("picklist", "customer", "due", "pick list"),
        Doc::PurchaseOrder => ("po", "supplier", "expected", "purchase order"),
    };
    let mut s = ImportSummary::default();
    // number -> (document id, next line number, site)
    let mut docs: HashMap<String, (i64, i64, Option<String>)> = HashMap::new();
    for (line, rec) in &t.rows {
        let line = *line;
        let number = t.required(line, rec, num_col)?;
        let party = t.required(line, rec, party_col)?;
        let sku = t.required(line, rec, "sku")?;
        let item = rows::item_by_sku(tx, sku)?.ok_or_else(|| {
            err(
                line,
                "sku",
                format!("unknown item '{sku}': import items first"),
            )
        })?;
        let qty = t.qty(line, rec, "qty")?;
        let date = t.date(line, rec, date_col)?;
        if let Some((_, _, site)) = docs.get(number) {
            let named = t.optional(rec, "site");
            if named.is_some() && named != site.as_deref() {
                return Err(err(
                    line,
                    "site",
                    format!(
                        "{what} {number} is at site {} on its first line: a document is at one site",
                        site.as_deref().unwrap_or("(none)")
                    ),
                ));
            }
        }
        let entry = match docs.get_mut(number) {
            Some(e) => e,
            None => {
                let (exists_sql, insert_sql) = match doc {
                    Doc::PickList => (
                        "SELECT 1 FROM pick_lists WHERE number = ? LIMIT 1",
                        "INSERT INTO pick_lists (number, customer, created_at, site) VALUES (?, ?, ?, ?) RETURNING id",
                    ),
                    Doc::PurchaseOrder => (
                        "SELECT 1 FROM purchase_orders WHERE number = ? LIMIT 1",
                        "INSERT INTO purchase_orders (number, supplier, created_at, site) VALUES (?, ?, ?, ?) RETURNING id",
                    ),
                };
                if tx.value::<i64>(exists_sql, args![number])?.is_some() {
                    return Err(err(
                        line,
                        num_col,
                        format!("{what} {number} already exists"),
                    ));
                }
                let site = row_site(
                    tx,
                    t,
                    line,
                    rec,
                    &format!("the {what}'s site in a site column"),
                )?;
                let id = tx.insert(insert_sql, args![number, party, now, site])?;
                s.created += 1;
                docs.entry(number.to_string()).or_insert((id, 1, site))
            }
        };
        match doc {
            Doc::PickList => tx.run(
                "INSERT INTO pick_list_lines (pick_list_id, line_no, item_id, qty, customer, due) VALUES (?, ?, ?, ?, ?, ?)",
                args![entry.0, entry.1, item.id, qty, party, date],
            )?,
            Doc::PurchaseOrder => tx.run(
                "INSERT INTO purchase_order_lines (po_id, line_no, item_id, qty, expected) VALUES (?, ?, ?, ?, ?)",
                args![entry.0, entry.1, item.id, qty, date],
            )?,
        };
        entry.1 += 1;
        s.rows += 1;
    }
    Ok(s)
}
