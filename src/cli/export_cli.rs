//! `export fsma204`, `export epcis`, `export ledger` and `recall report`: documents written whole
//! or not at all (a temporary file renamed into place), after every check has passed.

use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::args::{
    EpcisArgs, ExportArgs, ExportScope, LedgerExportArgs, LedgerFormat, RecallReportArgs,
    SheetFormat,
};
use super::open;
use super::output::{print_rows, Format};
use crate::export::{epcis, fsma, slip};
use crate::ledger::compliance::{LedgerRow, Scope};

impl From<&ExportScope> for Scope {
    fn from(s: &ExportScope) -> Scope {
        Scope {
            from: s.from,
            to: s.to,
            item: s.item.clone(),
            lot: s.lot.clone(),
            max_movements: None,
        }
    }
}

/// Writes a file whole: into a temporary file beside it, synced, then renamed over the name.
pub(crate) fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.partial", name.to_string_lossy()));
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

pub fn site(db: super::Db, code: &str) -> Result<()> {
    let mut l = open(db)?;
    l.set_own_site(code)?;
    println!("the exports describe this site as {code}");
    Ok(())
}

pub fn fsma204(db: super::Db, a: ExportArgs) -> Result<()> {
    let l = open(db)?;
    let data = l.trace_data(&Scope::from(&a.scope), !a.all)?;
    let wb = fsma::workbook(&data);
    let events = wb.receiving.rows.len() + wb.shipping.rows.len() + wb.transformation.rows.len();
    let out = match a.format {
        SheetFormat::Xlsx => {
            let out = a.out.unwrap_or_else(|| PathBuf::from("fsma204.xlsx"));
            write_whole(
                &out,
                &fsma::xlsx_bytes(&wb).map_err(|e| anyhow::anyhow!("{e}"))?,
            )?;
            out
        }
        SheetFormat::Csv => {
            let out = a.out.unwrap_or_else(|| PathBuf::from("fsma204"));
            std::fs::create_dir_all(&out)
                .with_context(|| format!("cannot create the directory {}", out.display()))?;
            for (name, bytes) in fsma::csv_files(&wb) {
                write_whole(&out.join(name), &bytes)?;
            }
            out
        }
    };
    println!(
        "wrote {}: {} receiving, {} shipping, {} transformation rows; {} missing KDEs listed in the summary{}",
        out.display(),
        wb.receiving.rows.len(),
        wb.shipping.rows.len(),
        wb.transformation.rows.len(),
        wb.summary.rows.len(),
        match data.corrected {
            0 => String::new(),
            n => format!("; {n} corrected movements and corrections left out"),
        }
    );
    if data.site.is_none() {
        println!(
            "no site party describes this site (import one with kind site; with several, name ours with `lotkeeper site CODE`): our location columns are empty"
        );
    }
    if events == 0 {
        println!(
            "(no events in this range{})",
            if a.all {
                ""
            } else {
                " for items on the Food Traceability List; --all covers every item"
            }
        );
    }
    Ok(())
}

pub fn epcis(db: super::Db, a: EpcisArgs) -> Result<()> {
    let base = epcis::check_id_base(&a.id_base).map_err(|e| anyhow::anyhow!("--id-base {e}"))?;
    let l = open(db)?;
    let doc = epcis::document_of(&l, &Scope::from(&a.scope), base)?;
    let mut bytes = serde_json::to_vec_pretty(&doc)?;
    bytes.push(b'\n');
    match a.out {
        Some(out) => {
            write_whole(&out, &bytes)?;
            let events = doc["epcisBody"]["eventList"].as_array().map_or(0, Vec::len);
            println!("wrote {}: {events} EPCIS events", out.display());
        }
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(())
}

pub fn ledger(db: super::Db, a: LedgerExportArgs) -> Result<()> {
    let l = open(db)?;
    let mut buf: Vec<u8> = Vec::new();
    let n = match a.format {
        LedgerFormat::Csv => {
            let mut w = csv::Writer::from_writer(&mut buf);
            w.write_record(LedgerRow::COLUMNS)?;
            let n = l.ledger_rows(a.from, a.to, |r| {
                w.write_record(
                    r.cells()
                        .iter()
                        .map(|c| crate::rows::spreadsheet_safe(c).into_owned()),
                )
                .map_err(|e| crate::ledger::Error::invalid(e.to_string()))
            })?;
            w.flush()?;
            n
        }
        LedgerFormat::Json => {
            buf.push(b'[');
            let mut first = true;
            let n = l.ledger_rows(a.from, a.to, |r| {
                if !first {
                    buf.push(b',');
                }
                first = false;
                buf.push(b'\n');
                serde_json::to_writer(&mut buf, &r)
                    .map_err(|e| crate::ledger::Error::invalid(e.to_string()))
            })?;
            buf.extend_from_slice(b"\n]\n");
            n
        }
    };
    match a.out {
        Some(out) => {
            write_whole(&out, &buf)?;
            println!("wrote {}: {n} movements", out.display());
        }
        None => std::io::stdout().lock().write_all(&buf)?,
    }
    Ok(())
}

pub fn recall_report(db: super::Db, a: RecallReportArgs) -> Result<()> {
    let l = open(db)?;
    let r = l.recall_report(&a.item, &a.lot)?;
    match a.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&r)?),
        Format::Csv => print_rows(&r.shipment_lines(), Format::Csv)?,
        Format::Table => {
            println!(
                "Recall report for {} lot {} (status {})\n\nCustomers who received it or something made from it:",
                r.item, r.lot, r.status
            );
            print_rows(&r.shipment_lines(), Format::Table)?;
            println!("\nStill in stock:");
            print_rows(&r.stock, Format::Table)?;
            println!("\nDevices that handled it:");
            print_rows(&r.devices, Format::Table)?;
        }
    }
    Ok(())
}

pub fn packing_slip(db: super::Db, number: &str, out: Option<PathBuf>) -> Result<()> {
    let l = open(db)?;
    let s = l.packing_slip(number)?;
    let path = out.unwrap_or_else(|| PathBuf::from(slip::file_name(number)));
    write_whole(&path, &slip::pdf(&s))?;
    println!(
        "wrote {}: the packing slip of {number}, {} line(s)",
        path.display(),
        s.lines.len()
    );
    Ok(())
}
