//! Rows of serialisable records as columns and cells: the one conversion behind the CLI's tables
//! and CSV and the server's CSV reports. A leaf: it imports nothing from the crate.

use serde::Serialize;
use serde_json::Value;

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Column names (first-seen order) and one row of cells per record; nested values as JSON text.
pub fn to_cells<T: Serialize>(rows: &[T]) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
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
    let cells = objects
        .iter()
        .map(|o| {
            columns
                .iter()
                .map(|c| o.get(c).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    Ok((columns, cells))
}

/// The rows as CSV text with a header line.
pub fn to_csv<T: Serialize>(rows: &[T]) -> Result<String, String> {
    let (columns, cells) = to_cells(rows)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&columns).map_err(|e| e.to_string())?;
    for r in cells {
        w.write_record(&r).map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}
