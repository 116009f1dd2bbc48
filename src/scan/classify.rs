//! What a scan means in the warehouse: an item (with whatever lot, expiry, serial and quantity
//! its label carries), a location, a pallet (SSCC), a document, or free text that the current
//! step may take as a lot or serial.
//!
//! The master data comes through [`Catalog`], so this module stays free of the ledger.

use chrono::NaiveDate;
use serde::Serialize;

use super::event::ScanEvent;
use super::gs1::{self, DataKind, ErrorKind};

/// The kinds of document a scan can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    PickList,
    PurchaseOrder,
}

/// The master data classification needs.
pub trait Catalog {
    /// The SKU and pack quantity of a GTIN (14 digits).
    fn item_by_gtin(&self, gtin: &str) -> Option<(String, i64)>;
    /// Whether an item has this SKU.
    fn is_sku(&self, code: &str) -> bool;
    fn is_location(&self, code: &str) -> bool;
    fn document(&self, code: &str) -> Option<DocumentKind>;
}

/// An item scan: everything the label said, and the item it names when it names one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ItemScan {
    /// None when the label carries item attributes (a lot, an expiry) but no GTIN.
    pub sku: Option<String>,
    pub gtin: Option<String>,
    /// Units of the item one label stands for (a case GTIN: 12).
    pub pack_qty: i64,
    /// A quantity the label states ((37) trade items times the pack, or (30) units); None when
    /// the label says nothing about how many.
    pub qty: Option<i64>,
    pub lot: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub best_before: Option<NaiveDate>,
    pub production_date: Option<NaiveDate>,
    pub serial: Option<String>,
    /// Old label forms (a `/gtin/` Digital Link, a short GTIN) and association problems of the
    /// label: usable, with a warning.
    pub warnings: Vec<String>,
    /// Every AI of the label with its value, for what an item records from it besides the
    /// fields above (a lot attribute such as (422) country of origin).
    pub ais: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Meaning {
    Item(ItemScan),
    Location {
        code: String,
    },
    /// A pallet or case label; a GS1 logistic label may also name its contents.
    Sscc {
        sscc: String,
        contents: Option<ItemScan>,
    },
    Document {
        document: DocumentKind,
        number: String,
    },
    /// Not master data: the step may take it as a lot or serial. `reason` says why it is not
    /// more (a GTIN that is not in the item list, a label that is not valid GS1).
    Text {
        text: String,
        reason: Option<String>,
    },
}

/// A GTIN the item list does not hold: the scan is then plain text, and this says why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("GTIN {gtin} is not in the item list")]
pub struct UnknownGtin {
    pub gtin: String,
}

fn item_scan(p: &gs1::Parsed, catalog: &dyn Catalog) -> Result<ItemScan, UnknownGtin> {
    // An old label form the lenient parse let through, then association problems.
    let warnings: Vec<String> = p
        .warnings
        .iter()
        .cloned()
        .chain(
            p.errors
                .iter()
                .filter(|e| e.kind == ErrorKind::Association)
                .map(|e| e.message.clone()),
        )
        .collect();
    let mut scan = ItemScan {
        pack_qty: 1,
        gtin: p.gtin().map(String::from),
        lot: p.lot().map(String::from),
        expiry: p.expiry(),
        best_before: p.best_before(),
        production_date: p.production_date(),
        serial: p.serial().map(String::from),
        warnings,
        ais: p.ais.clone(),
        ..Default::default()
    };
    if let Some(g) = p.gtin() {
        let (sku, pack) = catalog.item_by_gtin(g).ok_or_else(|| UnknownGtin {
            gtin: g.to_string(),
        })?;
        scan.sku = Some(sku);
        scan.pack_qty = pack;
        // (37) counts trade items of the contained GTIN; (30) counts units.
        scan.qty = match (p.get("37"), p.get("30")) {
            (Some(n), _) => n.parse::<i64>().ok().map(|n| n * pack),
            (None, Some(n)) => n.parse::<i64>().ok(),
            (None, None) => None,
        };
    }
    Ok(scan)
}

fn plain(text: &str, catalog: &dyn Catalog, reason: Option<String>) -> Meaning {
    let code = text.trim();
    if catalog.is_location(code) {
        Meaning::Location {
            code: code.to_string(),
        }
    } else if let Some(document) = catalog.document(code) {
        Meaning::Document {
            document,
            number: code.to_string(),
        }
    } else if catalog.is_sku(code) {
        Meaning::Item(ItemScan {
            sku: Some(code.to_string()),
            pack_qty: 1,
            ..Default::default()
        })
    } else {
        Meaning::Text {
            text: code.to_string(),
            reason,
        }
    }
}

/// What a scan means. Locations win over documents, documents over SKUs, when a code is several.
/// Digital Link is read leniently: a legacy form found on a real label is taken, with a warning.
pub fn classify(scan: &ScanEvent, catalog: &dyn Catalog) -> Meaning {
    let options = gs1::ParseOptions {
        lenient_digital_link: true,
        ..gs1::ParseOptions::default()
    };
    let p = gs1::parse_with(&scan.transmitted(), &options);
    match p.kind {
        DataKind::Plain => plain(&scan.text, catalog, None),
        // A bare number: a GTIN when the item list knows it, else maybe a location or a SKU.
        DataKind::Gtin => match item_scan(&p, catalog) {
            Ok(item) => Meaning::Item(item),
            Err(why) => plain(&scan.text, catalog, Some(why.to_string())),
        },
        DataKind::Gs1 | DataKind::DigitalLink => {
            if let Some(e) = p.errors.iter().find(|e| e.kind == ErrorKind::Syntax) {
                return Meaning::Text {
                    text: scan.text.clone(),
                    reason: Some(format!("the label is not valid GS1: {}", e.message)),
                };
            }
            if let Some(sscc) = p.sscc() {
                let contents = p.gtin().and_then(|_| item_scan(&p, catalog).ok());
                return Meaning::Sscc {
                    sscc: sscc.to_string(),
                    contents,
                };
            }
            match item_scan(&p, catalog) {
                Ok(item) => Meaning::Item(item),
                Err(why) => Meaning::Text {
                    text: scan.text.clone(),
                    reason: Some(why.to_string()),
                },
            }
        }
    }
}
