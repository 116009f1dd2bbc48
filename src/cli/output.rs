//! Rows out as an aligned table, CSV, or JSON (an array of objects with snake_case keys).

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Flattened objects: nested objects and arrays are written as JSON text in table and CSV.
fn to_objects<T: Serialize>(rows: &[T]) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    let mut columns: Vec<String> = Vec::new();
    let mut objects = Vec::new();
    for r in rows {
        match serde_json::to_value(r)? {
            Value::Object(map) => {
                for k in map.keys() {
                    if !columns.contains(k) {
                        columns.push(k.clone());
                    }
                }
                objects.push(map);
            }
            other => anyhow::bail!("cannot show {other} as a row"),
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

pub fn print_rows<T: Serialize>(rows: &[T], format: Format) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let (columns, cells) = to_objects(rows)?;
            let mut w = csv::Writer::from_writer(out);
            w.write_record(&columns)?;
            for r in cells {
                w.write_record(&r)?;
            }
            w.flush()?;
        }
        Format::Table => {
            let (columns, cells) = to_objects(rows)?;
            if cells.is_empty() {
                writeln!(out, "(nothing)")?;
                return Ok(());
            }
            let widths: Vec<usize> = columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    cells
                        .iter()
                        .map(|r| r[i].chars().count())
                        .chain([c.chars().count()])
                        .max()
                        .unwrap_or(0)
                })
                .collect();
            let line = |out: &mut dyn Write, vals: &[String]| -> std::io::Result<()> {
                let parts: Vec<String> = vals
                    .iter()
                    .zip(&widths)
                    .map(|(v, w)| format!("{v:<w$}"))
                    .collect();
                writeln!(out, "{}", parts.join("  ").trim_end())
            };
            line(&mut out, &columns)?;
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            line(&mut out, &rule)?;
            for r in &cells {
                line(&mut out, r)?;
            }
        }
    }
    Ok(())
}
