//! Rows out as an aligned table, CSV, or JSON (an array of objects with snake_case keys).

use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// Rows: an aligned table, CSV, or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// What is not rows (a sentence, a tree, a record of what a command did): text or JSON. Commands
/// whose output has no CSV form take this, so clap refuses `--format csv` for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextFormat {
    Table,
    Json,
}

impl From<TextFormat> for Format {
    fn from(f: TextFormat) -> Format {
        match f {
            TextFormat::Table => Format::Table,
            TextFormat::Json => Format::Json,
        }
    }
}

/// Prints `value` as one pretty JSON document (`--format json`), or the sentence `text` makes.
pub fn print_done<T: Serialize>(
    format: TextFormat,
    value: &T,
    text: impl FnOnce() -> String,
) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        TextFormat::Json => {
            serde_json::to_writer_pretty(&mut out, value)?;
            writeln!(out)?;
        }
        TextFormat::Table => writeln!(out, "{}", text())?,
    }
    Ok(())
}

fn to_objects<T: Serialize>(rows: &[T]) -> Result<(Vec<String>, Vec<Vec<String>>)> {
    crate::rows::to_cells(rows).map_err(anyhow::Error::msg)
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
            out.write_all(
                crate::rows::to_csv(rows)
                    .map_err(anyhow::Error::msg)?
                    .as_bytes(),
            )?;
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
