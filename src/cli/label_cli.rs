//! `lotkeeper label`, `printer` and `print-jobs`: labels made from what the ledger knows of an
//! item, lot or location, drawn by `label`, written to a file or standard output, or queued and
//! sent to a printer.

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use super::args::{
    ItemLabelArgs, LabelAction, LabelFormat, LabelOut, PrintJobsAction, PrinterAction,
};
use super::output::{print_done, print_rows, Format};
use crate::label::jobs::{self, Target};
use crate::label::{
    self, Count, Dpi, ItemData, LabelData, LabelSize, LocationData, Output, PalletContents,
    PrinterAddress, Sscc, SsccAllocator, SsccData,
};
use crate::ledger::labels::Printer;
use crate::ledger::Ledger;

fn output(f: LabelFormat) -> Output {
    match f {
        LabelFormat::Zpl => Output::Zpl,
        LabelFormat::Png => Output::Png,
        LabelFormat::Pdf => Output::Pdf,
    }
}

/// The GTIN an item label prints: `--gtin`, else the item's unit GTIN (a case: its pack GTIN,
/// with the pack size as the default count).
fn item_data(l: &Ledger, a: &ItemLabelArgs, case: bool) -> Result<(ItemData, Option<i64>)> {
    let item = l.query().item(&a.item)?.ok_or_else(|| {
        anyhow!(
            "no item {} (see report stock-by-lot or import items)",
            a.item
        )
    })?;
    let pack = item.gtins.iter().find(|g| g.pack_qty > 1);
    let unit = item.gtins.iter().find(|g| g.pack_qty == 1);
    let chosen = if case { pack.or(unit) } else { unit.or(pack) };
    let gtin = match (&a.gtin, chosen) {
        (Some(g), _) => g.clone(),
        (None, Some(g)) => g.gtin.clone(),
        // No GTIN: a plain label, the SKU and the lot as Code 128.
        (None, None) => String::new(),
    };
    let known = match &a.lot {
        Some(lot) => l.query().lot(&item.sku, lot)?,
        None => None,
    };
    let data = ItemData {
        gtin,
        lot: a.lot.clone(),
        expiry: a.expiry.or(known.as_ref().and_then(|k| k.expiry)),
        produced: a
            .produced
            .or(known.as_ref().and_then(|k| k.production_date)),
        serial: a.serial.clone(),
        sku: item.sku.clone(),
        name: item.name.clone(),
        count: None,
    };
    let pack_qty = chosen
        .filter(|g| g.pack_qty > 1 && a.gtin.is_none())
        .map(|g| g.pack_qty);
    Ok((data, pack_qty))
}

/// Where the label goes, and the size and resolution it is drawn for.
struct Plan {
    target: Option<Target>,
    size: LabelSize,
    dpi: Dpi,
}

fn plan(l: &Ledger, out: &LabelOut, default_size: LabelSize) -> Result<Plan> {
    if out.printer.is_some() && out.format != LabelFormat::Zpl {
        bail!("a printer on port 9100 takes ZPL: use --format zpl with --printer (png and pdf are for files, --out)");
    }
    let mut plan = Plan {
        target: None,
        size: default_size,
        dpi: Dpi::D203,
    };
    match out.printer.as_deref() {
        Some(p) if p.starts_with("tcp://") => {
            let address: PrinterAddress = p.parse().map_err(anyhow::Error::msg)?;
            plan.target = Some(Target {
                name: address.to_string(),
                address,
            });
        }
        Some(name) => {
            let p = l
                .printer(name)?
                .ok_or_else(|| anyhow!("no printer named {name} (see printer list)"))?;
            plan.size = p.size.parse().map_err(anyhow::Error::msg)?;
            plan.dpi = p.dpi.to_string().parse().map_err(anyhow::Error::msg)?;
            plan.target = Some(Target {
                name: p.name.clone(),
                address: p.address.parse().map_err(anyhow::Error::msg)?,
            });
        }
        None => {}
    }
    if let Some(s) = &out.size {
        plan.size = s.parse().map_err(anyhow::Error::msg)?;
    }
    if let Some(d) = &out.dpi {
        plan.dpi = d.parse().map_err(anyhow::Error::msg)?;
    }
    Ok(plan)
}

#[derive(Serialize)]
struct Made {
    template: &'static str,
    data: String,
    size: String,
    dpi: u32,
    format: &'static str,
    copies: u32,
    out: Option<PathBuf>,
    printer: Option<String>,
    job: Option<i64>,
}

/// Whether `data` can be drawn where `out` sends it, without drawing or sending anything.
pub(super) fn check(
    l: &Ledger,
    data: &LabelData,
    out: &LabelOut,
    default_size: LabelSize,
) -> Result<()> {
    let plan = plan(l, out, default_size)?;
    label::layout(data, plan.size, plan.dpi)?;
    Ok(())
}

/// Draws the label and sends it where it goes. Everything is checked before anything is written.
pub(super) fn emit(
    l: &mut Ledger,
    data: &LabelData,
    out: &LabelOut,
    default_size: LabelSize,
) -> Result<()> {
    let plan = plan(l, out, default_size)?;
    let format = output(out.format);
    let bytes = label::render(data, plan.size, plan.dpi, format, out.copies)?;
    let described = match data.gs1()? {
        Some(g) => g.hri(),
        None => match data {
            LabelData::Location(d) => d.code.clone(),
            // Never the one-time code: the print queue outlives it, but need not show it.
            LabelData::Enrollment(d) => format!("for device {}", d.device),
            LabelData::Item(d) => [Some(d.sku.clone()), d.lot.clone(), d.serial.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        },
    };
    let template = data.template().name;
    if let Some(path) = &out.out {
        std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut job = None;
    if let Some(t) = &plan.target {
        let what = format!("{template} {described}");
        let timeout = Duration::from_secs(out.timeout.max(1));
        job = Some(jobs::print(l, t, format, &what, &bytes, timeout)?);
    }
    if out.out.is_none() && plan.target.is_none() {
        let stdout = std::io::stdout();
        let mut o = stdout.lock();
        o.write_all(&bytes)?;
        return Ok(o.flush()?);
    }
    let made = Made {
        template,
        data: described,
        size: plan.size.to_string(),
        dpi: plan.dpi.value(),
        format: format.name(),
        copies: out.copies,
        out: out.out.clone(),
        printer: plan.target.as_ref().map(|t| t.name.clone()),
        job,
    };
    let mut said = format!(
        "{} label {} ({}, {} dpi, {})",
        made.template, made.data, made.size, made.dpi, made.format
    );
    if let Some(p) = &made.out {
        said += &format!(": written to {}", p.display());
    }
    if let (Some(p), Some(j)) = (&made.printer, job) {
        said += &format!(": printed on {p} (print job {j})");
    }
    println!("{said}");
    Ok(())
}

pub fn label(mut l: Ledger, action: LabelAction) -> Result<()> {
    match action {
        LabelAction::Item { item, out } => {
            let (data, _) = item_data(&l, &item, false)?;
            emit(&mut l, &LabelData::Item(data), &out, LabelSize::L4x2)
        }
        LabelAction::Case {
            item,
            count,
            variable_count,
            out,
        } => {
            let (mut data, pack) = item_data(&l, &item, true)?;
            if data.gtin.is_empty() {
                bail!(
                    "{} has no GTIN, so its cases get no GS1 case label: print item labels (lotkeeper label item --item {} ...) or give --gtin",
                    data.sku,
                    data.sku
                );
            }
            data.count = match (count, variable_count, pack) {
                (Some(n), _, _) => Some(Count::Fixed(n)),
                (None, Some(n), _) => Some(Count::Variable(n)),
                (None, None, Some(p)) => Some(Count::Fixed(u32::try_from(p)?)),
                (None, None, None) => bail!(
                    "{} has no pack GTIN with a pack size: give --count or --variable-count",
                    data.sku
                ),
            };
            emit(&mut l, &LabelData::Case(data), &out, LabelSize::L4x2)
        }
        LabelAction::Sscc {
            sscc,
            item,
            count,
            gtin,
            lot,
            expiry,
            ship_from,
            ship_to,
            out,
        } => {
            let contents = match (item, count) {
                (Some(sku), Some(count)) => {
                    let args = ItemLabelArgs {
                        item: sku,
                        gtin,
                        lot,
                        serial: None,
                        expiry,
                        produced: None,
                    };
                    let (d, _) = item_data(&l, &args, true)?;
                    Some(PalletContents {
                        gtin: d.gtin,
                        count,
                        lot: d.lot,
                        expiry: d.expiry,
                    })
                }
                _ => None,
            };
            let mut data = SsccData {
                sscc: String::new(),
                contents,
                ship_from,
                ship_to,
            };
            data.sscc = match sscc {
                Some(s) => Sscc::parse(&s)?.as_str().to_string(),
                None => {
                    // Checked with a stand-in first: a label that cannot be made uses no SSCC.
                    data.sscc = "000000000000000000".into();
                    let plan = plan(&l, &out, LabelSize::L4x6)?;
                    label::layout(&LabelData::Sscc(data.clone()), plan.size, plan.dpi)?;
                    SsccAllocator::allocate(&mut l)?.as_str().to_string()
                }
            };
            let sscc = data.sscc.clone();
            let data = LabelData::Sscc(data);
            // Kept first, for Look up's reprint: a printer that is off must not lose it.
            l.record_sscc_label(&sscc, &serde_json::to_string(&data)?)?;
            emit(&mut l, &data, &out, LabelSize::L4x6)
        }
        LabelAction::Location { location, out } => {
            let name = l
                .query()
                .location(&location)?
                .map(|loc| loc.name)
                .unwrap_or_default();
            let data = LabelData::Location(LocationData {
                code: location,
                name,
            });
            emit(&mut l, &data, &out, LabelSize::L4x2)
        }
        LabelAction::Setup {
            company_prefix,
            extension,
            format,
        } => {
            if l.is_enrolled() {
                bail!("this handheld's SSCCs come from the back office: set the company prefix there (lotkeeper --db server.db label setup ...); the handheld learns it, with a block of serial references of its own, on its next sync");
            }
            l.set_sscc_parts(&company_prefix, &extension)?;
            let (first, last) = crate::ledger::labels::sscc_block_range(company_prefix.len(), 0);
            #[derive(Serialize)]
            struct Setup<'a> {
                company_prefix: &'a str,
                extension: &'a str,
                own_first: u64,
                own_last: u64,
            }
            print_done(
                format,
                &Setup {
                    company_prefix: &company_prefix,
                    extension: &extension,
                    own_first: first,
                    own_last: last,
                },
                || {
                    format!("SSCCs are made from extension {extension} and GS1 Company Prefix {company_prefix}: serial references {first}-{last} for this database's own labels, and a block of {} for each enrolled device", last - first + 1)
                },
            )
        }
    }
}

#[derive(Serialize)]
struct PrinterRow {
    name: String,
    address: String,
    dpi: u32,
    size: String,
    default_for: String,
}

pub fn printer(mut l: Ledger, action: PrinterAction) -> Result<()> {
    match action {
        PrinterAction::Add {
            name,
            address,
            dpi,
            size,
            default_for,
            format,
        } => {
            let address: PrinterAddress = address.parse().map_err(anyhow::Error::msg)?;
            let dpi: Dpi = dpi.parse().map_err(anyhow::Error::msg)?;
            let size: LabelSize = size.parse().map_err(anyhow::Error::msg)?;
            let p = Printer {
                name,
                address: address.to_string(),
                dpi: dpi.value(),
                size: match size {
                    LabelSize::L2x1 => "2x1",
                    LabelSize::L4x2 => "4x2",
                    LabelSize::L4x6 => "4x6",
                }
                .into(),
                default_for,
            };
            l.put_printer(&p)?;
            let p = l.printer(&p.name)?.unwrap_or(p);
            print_done(format, &p, || {
                format!(
                    "printer {} at {} ({} dpi, {} labels)",
                    p.name, p.address, p.dpi, p.size
                )
            })
        }
        PrinterAction::List { format } => {
            let rows: Vec<PrinterRow> = l
                .printers()?
                .into_iter()
                .map(|p| PrinterRow {
                    name: p.name,
                    address: p.address,
                    dpi: p.dpi,
                    size: p.size,
                    default_for: p.default_for.join(" "),
                })
                .collect();
            print_rows(&rows, format)
        }
        PrinterAction::Remove { name, format } => {
            l.remove_printer(&name)?;
            print_done(format, &serde_json::json!({ "removed": name }), || {
                format!("printer {name} removed")
            })
        }
    }
}

#[derive(Serialize)]
struct JobRow {
    id: i64,
    status: String,
    printer: String,
    address: String,
    format: String,
    label: String,
    attempts: i64,
    last_error: String,
    created_at: String,
}

pub fn print_jobs(mut l: Ledger, action: Option<PrintJobsAction>) -> Result<()> {
    match action.unwrap_or(PrintJobsAction::List {
        all: false,
        format: Format::Table,
    }) {
        PrintJobsAction::List { all, format } => {
            let rows: Vec<JobRow> = l
                .print_jobs(all)?
                .into_iter()
                .map(|j| JobRow {
                    id: j.id,
                    status: serde_json::to_value(j.status)
                        .ok()
                        .and_then(|v| v.as_str().map(String::from))
                        .unwrap_or_default(),
                    printer: j.printer,
                    address: j.address,
                    format: j.format,
                    label: j.label,
                    attempts: j.attempts,
                    last_error: j.last_error.unwrap_or_default(),
                    created_at: j.created_at,
                })
                .collect();
            print_rows(&rows, format)
        }
        PrintJobsAction::Retry {
            id,
            timeout,
            format,
        } => {
            let job = jobs::retry(&mut l, id, Duration::from_secs(timeout.max(1)))?;
            print_done(format, &job, || {
                format!(
                    "print job {} printed on {} at {}",
                    job.id, job.printer, job.address
                )
            })
        }
    }
}
