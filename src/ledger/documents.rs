//! Documents: pick lists and purchase orders. Their status comes from the movements that
//! reference them (`settle_documents`, inside the transaction that recorded the movements), and
//! the `pick-lists` and `purchase-orders` reports.

use super::query::Query;
use super::sql::{args, Sql};
use super::{Ledger, Result};
use std::collections::BTreeSet;

/// Closes the documents these references name once their movements cover every line: a pick
/// list becomes `done`, a purchase order `closed`. Runs inside the transaction that recorded
/// the movements (posting on a device, accepting a push on the server, applying the server's
/// log). Nothing here ever reopens a document.
pub(crate) fn settle_documents<'a>(
    tx: &dyn Sql,
    references: impl IntoIterator<Item = &'a str>,
) -> Result<()> {
    let refs: BTreeSet<&str> = references.into_iter().collect();
    let q = Query::over(tx);
    for r in refs {
        if let Some(pl) = q.pick_list(r)? {
            if pl.status != "done" && pl.progress == "done" {
                tx.run(
                    "UPDATE pick_lists SET status = 'done' WHERE number = ?",
                    args![r],
                )?;
            }
        }
        if let Some(po) = q.purchase_order(r)? {
            if po.status != "closed" && po.progress == "received" {
                tx.run(
                    "UPDATE purchase_orders SET status = 'closed' WHERE number = ?",
                    args![r],
                )?;
            }
        }
    }
    Ok(())
}

/// One pick list as the `pick-lists` report shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PickListStatus {
    pub number: String,
    pub customer: String,
    /// `open`, `in_progress` or `done`, from the movements that reference the list.
    pub status: String,
    pub lines: i64,
    pub ordered: i64,
    pub picked: i64,
}

/// One purchase order as the `purchase-orders` report shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PurchaseOrderStatus {
    pub number: String,
    pub supplier: String,
    /// `open`, `partly_received` or `received`, from the receipts that reference the order.
    pub status: String,
    pub lines: i64,
    pub ordered: i64,
    pub received: i64,
}

impl Ledger {
    /// Every pick list with its status, open ones first.
    pub fn pick_list_report(&self) -> Result<Vec<PickListStatus>> {
        Ok(self
            .query()
            .pick_lists(false)?
            .into_iter()
            .map(|p| PickListStatus {
                lines: p.lines.len() as i64,
                ordered: p.lines.iter().map(|l| l.qty).sum(),
                picked: p.lines.iter().map(|l| l.picked).sum(),
                number: p.number,
                customer: p.customer,
                status: p.progress,
            })
            .collect())
    }

    /// Every purchase order with its status.
    pub fn purchase_order_report(&self) -> Result<Vec<PurchaseOrderStatus>> {
        Ok(self
            .query()
            .purchase_orders(false)?
            .into_iter()
            .map(|p| PurchaseOrderStatus {
                lines: p.lines.len() as i64,
                ordered: p.lines.iter().map(|l| l.qty).sum(),
                received: p.lines.iter().map(|l| l.received).sum(),
                number: p.number,
                supplier: p.supplier,
                status: p.progress,
            })
            .collect())
    }
}
