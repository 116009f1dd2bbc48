//! The ledger as the scan classifier's [`Catalog`]: the bridge between `scan` and `ledger`, which
//! know nothing of each other.

use crate::ledger::Ledger;
use crate::scan::classify::{Catalog, DocumentKind};

pub struct LedgerCatalog<'a>(pub &'a Ledger);

impl Catalog for LedgerCatalog<'_> {
    fn item_by_gtin(&self, gtin: &str) -> Option<(String, i64)> {
        self.0
            .query()
            .item_by_gtin(gtin)
            .ok()
            .flatten()
            .map(|(item, pack)| (item.sku, pack))
    }

    fn is_sku(&self, code: &str) -> bool {
        self.0.query().item(code).ok().flatten().is_some()
    }

    fn is_location(&self, code: &str) -> bool {
        self.0
            .query()
            .location(code)
            .ok()
            .flatten()
            .is_some_and(|l| l.kind.is_real())
    }

    fn document(&self, code: &str) -> Option<DocumentKind> {
        let q = self.0.query();
        if q.pick_list(code).ok().flatten().is_some() {
            Some(DocumentKind::PickList)
        } else if q.purchase_order(code).ok().flatten().is_some() {
            Some(DocumentKind::PurchaseOrder)
        } else {
            None
        }
    }
}
