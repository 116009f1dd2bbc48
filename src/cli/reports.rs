//! `report` and `trace`: reading the ledger, as rows (table, CSV, JSON) or a tree.

use anyhow::Result;
use std::io::Write;

use super::args::{ReportArgs, TraceArgs};
use super::open;
use super::output::{print_rows, TextFormat};
use crate::ledger;
use crate::ledger::reports::{ExpiryFilter, TransactionFilter};

pub fn report(db: super::Db, a: ReportArgs) -> Result<()> {
    if (a.from.is_some() || a.to.is_some()) && a.kind != "lot-transactions" {
        anyhow::bail!("--from and --to belong to the lot-transactions report");
    }
    let l = open(db)?;
    match a.kind.as_str() {
        "stock-by-lot" => print_rows(
            &l.stock_by_lot(a.item.as_deref(), a.location.as_deref(), a.lot.as_deref())?,
            a.format,
        ),
        "expiry" => print_rows(
            &l.expiry_report(&ExpiryFilter {
                expired: a.expired,
                within_days: a.within_days,
                item: a.item,
                site: None,
            })?,
            a.format,
        ),
        "lot-transactions" => print_rows(
            &l.transactions(&TransactionFilter {
                item: a.item,
                lot: a.lot,
                from: a.from,
                to: a.to,
            })?,
            a.format,
        ),
        "serials" => print_rows(&l.serials_report(a.item.as_deref())?, a.format),
        "pick-lists" => print_rows(&l.pick_list_report()?, a.format),
        "purchase-orders" => print_rows(&l.purchase_order_report()?, a.format),
        "reorder" => print_rows(&l.reorder_report()?, a.format),
        "lot-history" => {
            let (Some(item), Some(lot)) = (a.item.as_deref(), a.lot.as_deref()) else {
                anyhow::bail!("lot-history needs --item SKU --lot L");
            };
            print_rows(&l.lot_history(item, lot)?, a.format)
        }
        other => anyhow::bail!(
            "unknown report '{other}'; use stock-by-lot, expiry, lot-transactions, lot-history, serials, pick-lists, purchase-orders or reorder"
        ),
    }
}

pub fn trace(db: super::Db, a: TraceArgs) -> Result<()> {
    let l = open(db)?;
    let t = l.trace(&a.item, a.lot.as_deref(), a.serial.as_deref())?;
    match a.format {
        TextFormat::Json => println!("{}", serde_json::to_string_pretty(&t)?),
        TextFormat::Table => print_trace(&t)?,
    }
    Ok(())
}

fn print_trace(t: &ledger::trace::Trace) -> Result<()> {
    use ledger::trace::{BackwardNode, ForwardNode};
    fn name(item: &str, lot: &Option<String>, serial: &Option<String>) -> String {
        match (lot, serial) {
            (_, Some(s)) => format!("{item} serial {s}"),
            (Some(l), None) => format!("{item} lot {l}"),
            _ => item.to_string(),
        }
    }
    fn back(n: &BackwardNode, depth: usize, out: &mut impl Write) -> std::io::Result<()> {
        let pad = "  ".repeat(depth);
        writeln!(out, "{pad}{}", name(&n.item, &n.lot, &n.serial))?;
        for r in &n.received {
            writeln!(
                out,
                "{pad}  received {} from {} on {}{}",
                r.qty,
                r.party,
                &r.date[..10],
                r.reference
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            )?;
        }
        for l in &n.made_from {
            writeln!(out, "{pad}  made from {} of:", l.qty)?;
            back(&l.node, depth + 2, out)?;
        }
        Ok(())
    }
    fn fwd(n: &ForwardNode, depth: usize, out: &mut impl Write) -> std::io::Result<()> {
        let pad = "  ".repeat(depth);
        writeln!(out, "{pad}{}", name(&n.item, &n.lot, &n.serial))?;
        for s in &n.shipped {
            writeln!(
                out,
                "{pad}  shipped {} to {} on {}{}",
                s.qty,
                s.party,
                &s.date[..10],
                s.reference
                    .as_deref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            )?;
        }
        for s in &n.in_stock {
            writeln!(out, "{pad}  in stock: {} at {}", s.qty, s.location)?;
        }
        for l in &n.used_in {
            writeln!(out, "{pad}  went into {} of:", l.qty)?;
            fwd(&l.node, depth + 2, out)?;
        }
        Ok(())
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    writeln!(out, "Trace of {}", name(&t.item, &t.lot, &t.serial))?;
    writeln!(
        out,
        "Suppliers: {}",
        if t.suppliers.is_empty() {
            "-".into()
        } else {
            t.suppliers.join(", ")
        }
    )?;
    writeln!(
        out,
        "Customers: {}",
        if t.customers.is_empty() {
            "-".into()
        } else {
            t.customers.join(", ")
        }
    )?;
    for (name, value) in &t.lot_attributes {
        writeln!(out, "{}: {value}", capitalized(name))?;
    }
    writeln!(out, "\nBackward:")?;
    back(&t.backward, 1, &mut out)?;
    writeln!(out, "\nForward:")?;
    fwd(&t.forward, 1, &mut out)?;
    if !t.status_history.is_empty() {
        writeln!(out, "\nStatus history:")?;
        for h in &t.status_history {
            writeln!(
                out,
                "  {} {} {} -> {} by {}{}: {}",
                h.at.get(..16).unwrap_or(&h.at).replace('T', " "),
                h.action,
                h.from.map_or("?", |f| f.as_str()),
                h.to,
                h.by.as_deref().unwrap_or("?"),
                match (&h.device, &h.by) {
                    (Some(d), Some(b)) if d != b => format!(" on {d}"),
                    _ => String::new(),
                },
                h.reason
            )?;
        }
    }
    Ok(())
}

/// "country of origin" as a line's label: "Country of origin".
fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}
