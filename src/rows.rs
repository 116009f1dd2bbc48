//! Rows of serialisable records as columns and cells: the one conversion behind the CLI's tables
//! and CSV and the server's CSV reports. A leaf: it imports nothing from the crate.

use serde::Serialize;
use serde_json::Value;

/// A value as the text of one cell: strings as they are, null empty, the rest as JSON.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Column names (first-seen order) and one row of cells per record; nested values as JSON text.
pub fn to_cells<T: Serialize>(rows: &[T]) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let (columns, values) = to_values(rows)?;
    let cells = values
        .iter()
        .map(|r| r.iter().map(cell_text).collect())
        .collect();
    Ok((columns, cells))
}

/// Column names (first-seen order) and one row of JSON values per record (`null` where a
/// record lacks a column): for writers that keep numbers as numbers.
pub fn to_values<T: Serialize>(rows: &[T]) -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for r in rows {
        match serde_json::to_value(r).map_err(|e| e.to_string())? {
            Value::Object(map) => {
                for k in map.keys() {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
                objects.push(map);
            }
            other => return Err(format!("cannot show {other} as a row")),
        }
    }
    let values = objects
        .iter()
        .map(|o| {
            columns
                .iter()
                .map(|c| o.get(c).cloned().unwrap_or(Value::Null))
                .collect()
        })
        .collect();
    Ok((columns, values))
}

/// A CSV cell a spreadsheet will not run: text that starts with `=`, `+`, `-`, `@`, a tab or a
/// carriage return (a formula to Excel or LibreOffice, even `=HYPERLINK(...)` from a lot code on
/// a forged label) gets a leading `'`, which spreadsheets show as text. Numbers stay numbers.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The rows as CSV text with a header line, every cell spreadsheet-safe.
pub fn to_csv<T: Serialize>(rows: &[T]) -> Result<String, String> {
    let (columns, cells) = to_cells(rows)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&columns).map_err(|e| e.to_string())?;
    for r in cells {
        w.write_record(r.iter().map(|c| spreadsheet_safe(c).into_owned()))
            .map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_become_text_and_numbers_stay() {
        assert_eq!(
            spreadsheet_safe("=HYPERLINK(\"http://e\")"),
            "'=HYPERLINK(\"http://e\")"
        );
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("+1 831 555 0101"), "'+1 831 555 0101");
        assert_eq!(spreadsheet_safe("-5"), "-5");
        assert_eq!(spreadsheet_safe("12"), "12");
        assert_eq!(spreadsheet_safe("KIT-0902"), "KIT-0902");
    }
}
