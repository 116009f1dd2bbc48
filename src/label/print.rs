//! What a workflow asks for: "labels for this receipt", "this lot's label again". It names the
//! goods; this module picks the template, the GTIN and the count, draws the labels for the
//! workflow's default printer, and queues them as one print job. Sending is the caller's (the
//! app sends from a background thread, so a printer that does not answer never freezes the
//! screen); a job that could not be sent stays queued for a retry.

use chrono::NaiveDate;

use super::jobs::QueueError;
use super::{render, Count, Dpi, ItemData, LabelData, LabelSize, LocationData, Output};
use crate::ledger::labels::{NewJob, Printer};
use crate::ledger::{Item, Ledger};

/// At most this many labels in one request: a typo in a quantity must not empty a roll.
pub const MAX_LABELS: u32 = 500;

/// Labels to print: each label with its number of copies.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub labels: Vec<(LabelData, u32)>,
    /// In words, for the print queue: "PARA lot L1, 12 case labels".
    pub what: String,
}

impl Request {
    pub fn count(&self) -> u32 {
        self.labels.iter().map(|(_, n)| n).sum()
    }
}

/// What was received, as the receive workflow knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub item: Item,
    pub lot: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub production: Option<NaiveDate>,
    pub serials: Vec<String>,
    /// Units received.
    pub qty: i64,
    /// Units one scanned label stood for (a case of 12: 12).
    pub pack: i64,
}

/// A label to show before it is printed: what, and the size and resolution of the printer it
/// goes to (4x2 in at 203 dpi while there is none).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Preview {
    pub label: LabelData,
    pub size: LabelSize,
    pub dpi: Dpi,
}

impl Request {
    /// The first label as `workflow`'s printer would print it.
    pub fn preview(&self, ledger: &Ledger, workflow: &str) -> Option<Preview> {
        let (label, _) = self.labels.first()?;
        let (size, dpi) = printer_for(ledger, workflow)
            .ok()
            .and_then(|p| Some((p.size.parse().ok()?, p.dpi.to_string().parse().ok()?)))
            .unwrap_or((LabelSize::L4x2, Dpi::D203));
        Some(Preview {
            label: label.clone(),
            size,
            dpi,
        })
    }

    /// The same labels, `n` copies of a single label (a person changed how many).
    pub fn with_copies(mut self, n: u32) -> Request {
        if let [(_, copies)] = self.labels.as_mut_slice() {
            *copies = n;
        }
        self
    }

    /// Whether the number of labels can be chosen: one label in copies, not one per serial.
    pub fn copies_can_change(&self) -> bool {
        self.labels.len() == 1
    }
}

/// Queued: the job and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    pub job: i64,
    pub printer: String,
    pub labels: u32,
}

fn item_label(item: &Item, gtin: &str) -> ItemData {
    ItemData {
        gtin: gtin.to_string(),
        sku: item.sku.clone(),
        name: item.name.clone(),
        ..Default::default()
    }
}

/// The GTIN a label prints: the unit GTIN, else any; empty when the item has none (its label
/// then carries the SKU and lot as plain Code 128).
fn unit_gtin(item: &Item) -> String {
    item.gtins
        .iter()
        .find(|g| g.pack_qty == 1)
        .or_else(|| item.gtins.first())
        .map(|g| g.gtin.clone())
        .unwrap_or_default()
}

/// The labels for a receipt: one per serial; for a lot received in whole cases of a pack GTIN,
/// one case label per case; otherwise one item label per unit.
pub fn for_receipt(r: &Receipt) -> Result<Request, QueueError> {
    let case = r
        .item
        .gtins
        .iter()
        .find(|g| g.pack_qty > 1 && g.pack_qty == r.pack.max(1) && r.qty % g.pack_qty == 0);
    let base = |gtin: &str| ItemData {
        lot: r.lot.clone(),
        expiry: r.expiry,
        produced: r.production,
        ..item_label(&r.item, gtin)
    };
    let lot = r
        .lot
        .as_ref()
        .map(|l| format!(" lot {l}"))
        .unwrap_or_default();
    if !r.serials.is_empty() {
        let gtin = unit_gtin(&r.item);
        let labels = r
            .serials
            .iter()
            .map(|s| {
                let mut d = base(&gtin);
                d.serial = Some(s.clone());
                (LabelData::Item(d), 1)
            })
            .collect::<Vec<_>>();
        return limited(Request {
            what: format!("{}{lot}, {} serial labels", r.item.sku, labels.len()),
            labels,
        });
    }
    if let Some(c) = case {
        let n = (r.qty / c.pack_qty) as u32;
        let mut d = base(&c.gtin);
        d.count = Some(Count::Fixed(c.pack_qty as u32));
        return limited(Request {
            labels: vec![(LabelData::Case(d), n)],
            what: format!("{}{lot}, {n} case labels", r.item.sku),
        });
    }
    let gtin = unit_gtin(&r.item);
    let n = u32::try_from(r.qty.max(0)).unwrap_or(u32::MAX);
    limited(Request {
        labels: vec![(LabelData::Item(base(&gtin)), n)],
        what: format!("{}{lot}, {n} labels", r.item.sku),
    })
}

/// One label for a lot or a serial of `item`, as the ledger knows it (a reprint).
pub fn for_lot_or_serial(
    ledger: &Ledger,
    item: &Item,
    lot: Option<&str>,
    serial: Option<&str>,
) -> Result<Request, QueueError> {
    let gtin = unit_gtin(item);
    let known = match lot {
        Some(l) => ledger.query().lot(&item.sku, l)?,
        None => None,
    };
    let d = ItemData {
        lot: lot.map(String::from),
        serial: serial.map(String::from),
        expiry: known.as_ref().and_then(|k| k.expiry),
        produced: known.as_ref().and_then(|k| k.production_date),
        ..item_label(item, &gtin)
    };
    let what = match (lot, serial) {
        (_, Some(s)) => format!("{} serial {s}", item.sku),
        (Some(l), None) => format!("{} lot {l}", item.sku),
        (None, None) => item.sku.clone(),
    };
    Ok(Request {
        labels: vec![(LabelData::Item(d), 1)],
        what: format!("{what}, reprint"),
    })
}

/// The pallet label printed for an SSCC this database gave out; None for another's.
pub fn for_sscc(ledger: &Ledger, sscc: &str) -> Result<Option<Request>, QueueError> {
    let Some(json) = ledger.sscc_label(sscc)? else {
        return Ok(None);
    };
    let label: LabelData = serde_json::from_str(&json)
        .map_err(|e| QueueError::Nothing(format!("the label kept for SSCC {sscc}: {e}")))?;
    Ok(Some(Request {
        labels: vec![(label, 1)],
        what: format!("pallet {sscc}, reprint"),
    }))
}

/// One location label.
pub fn for_location(code: &str, name: &str) -> Request {
    Request {
        labels: vec![(
            LabelData::Location(LocationData {
                code: code.to_string(),
                name: name.to_string(),
            }),
            1,
        )],
        what: format!("location {code}"),
    }
}

fn limited(r: Request) -> Result<Request, QueueError> {
    let n = r.count();
    if n == 0 {
        return Err(QueueError::Nothing("nothing was received to label".into()));
    }
    if n > MAX_LABELS {
        return Err(QueueError::Nothing(format!(
            "{n} labels is more than {MAX_LABELS} at once: print them from the back office (lotkeeper label ... --copies N)"
        )));
    }
    Ok(r)
}

/// The printer `workflow` prints to: its default, else the only printer there is.
pub fn printer_for(ledger: &Ledger, workflow: &str) -> Result<Printer, QueueError> {
    if let Some(p) = ledger.default_printer(workflow)? {
        return Ok(p);
    }
    let mut all = ledger.printers()?;
    if all.len() == 1 {
        return Ok(all.remove(0));
    }
    Err(QueueError::NoPrinter {
        workflow: workflow.to_string(),
        printers: all.len(),
    })
}

/// Draws `request` as ZPL for `workflow`'s printer and queues it as one job (not sent yet).
/// Nothing is queued when any label cannot be made.
pub fn queue(ledger: &mut Ledger, workflow: &str, request: &Request) -> Result<Queued, QueueError> {
    let p = printer_for(ledger, workflow)?;
    let size: LabelSize = p.size.parse().map_err(QueueError::Printer)?;
    let dpi: Dpi = p.dpi.to_string().parse().map_err(QueueError::Printer)?;
    let mut payload = Vec::new();
    for (data, copies) in &request.labels {
        payload.extend(render(data, size, dpi, Output::Zpl, *copies)?);
    }
    let job = ledger.queue_print_job(&NewJob {
        printer: &p.name,
        address: &p.address,
        format: Output::Zpl.name(),
        label: &request.what,
        payload: &payload,
    })?;
    Ok(Queued {
        job,
        printer: p.name,
        labels: request.count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Gtin, Tracking};

    fn para() -> Item {
        Item {
            sku: "PARA".into(),
            name: "Paracetamol".into(),
            tracking: Tracking::Lot,
            expiry_tracked: true,
            shelf_life_days: None,
            unit: "ea".into(),
            gtins: vec![
                Gtin {
                    gtin: "09506000134352".into(),
                    pack_qty: 1,
                },
                Gtin {
                    gtin: "19506000134359".into(),
                    pack_qty: 12,
                },
            ],
            description: Default::default(),
            converting: None,
        }
    }

    fn receipt(qty: i64, pack: i64) -> Receipt {
        Receipt {
            item: para(),
            lot: Some("L1".into()),
            expiry: NaiveDate::from_ymd_opt(2027, 1, 31),
            production: None,
            serials: vec![],
            qty,
            pack,
        }
    }

    #[test]
    fn whole_cases_get_case_labels_and_loose_units_item_labels() {
        let r = for_receipt(&receipt(24, 12)).unwrap();
        assert_eq!(r.count(), 2);
        let LabelData::Case(d) = &r.labels[0].0 else {
            panic!("{r:?}")
        };
        assert_eq!(
            (d.gtin.as_str(), d.count),
            ("19506000134359", Some(Count::Fixed(12)))
        );
        let r = for_receipt(&receipt(5, 1)).unwrap();
        assert_eq!(r.count(), 5);
        assert!(matches!(&r.labels[0].0, LabelData::Item(d) if d.gtin == "09506000134352"));
        assert!(for_receipt(&receipt(0, 1)).is_err());
        let e = for_receipt(&receipt(i64::from(MAX_LABELS) + 1, 1)).unwrap_err();
        assert!(e.to_string().contains("more than 500"), "{e}");
    }

    #[test]
    fn serials_get_a_label_each_and_no_gtin_a_plain_label() {
        let mut r = receipt(2, 1);
        r.serials = vec!["S1".into(), "S2".into()];
        let req = for_receipt(&r).unwrap();
        assert_eq!(req.count(), 2);
        assert!(
            matches!(&req.labels[1].0, LabelData::Item(d) if d.serial.as_deref() == Some("S2"))
        );
        r.item.gtins.clear();
        let req = for_receipt(&r).unwrap();
        assert!(matches!(&req.labels[0].0, LabelData::Item(d) if d.gtin.is_empty()));
        assert!(
            req.labels[0].0.gs1().unwrap().is_none(),
            "no GS1 data without a GTIN"
        );
    }

    #[test]
    fn a_workflow_without_a_printer_is_told_how_to_get_one() {
        let mut l = Ledger::open_in_memory().unwrap();
        let req = for_location("A-01", "Aisle A");
        let e = queue(&mut l, "receive", &req).unwrap_err().to_string();
        assert!(e.contains("no printer"), "{e}");
        assert!(l.print_jobs(true).unwrap().is_empty());
        l.put_printer(&Printer {
            name: "DOCK".into(),
            address: "127.0.0.1:9100".into(),
            dpi: 203,
            size: "4x2".into(),
            default_for: vec![],
        })
        .unwrap();
        let q = queue(&mut l, "receive", &req).unwrap();
        assert_eq!((q.printer.as_str(), q.labels), ("DOCK", 1));
        let job = l.print_job(q.job).unwrap().unwrap();
        assert!(job.payload.starts_with(b"^XA"), "ZPL");
    }
}
