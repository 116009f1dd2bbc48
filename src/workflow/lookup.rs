//! Look up anything: an item shows its stock by lot and location; a lot its expiry, status, where
//! it is, its history and its trace; a serial where it is and its history; a location what is in it.

use super::{lot_serial, meaning, Error, Event, Expect, Outcome, View, Workflow};
use crate::label::print::{self as labels, Preview, Request};
use crate::ledger::{JournalEntry, Ledger};
use crate::scan::classify::Meaning;

#[derive(Default)]
pub struct Lookup {
    title: Option<String>,
    fields: Vec<(String, String)>,
    lines: Vec<String>,
    /// The label of what is shown, for "reprint label" (a lot, a serial, a location).
    label: Option<Request>,
    /// That label as the look-up printer prints it, on screen before it is printed.
    preview: Option<Preview>,
    /// A pick list that has shipped: the number whose packing slip can be saved.
    slip: Option<String>,
}

/// The choice that reprints the label of what is shown.
pub const REPRINT: &str = "reprint label";

fn history(entries: &[JournalEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|m| {
            format!(
                "{} {} {} {} → {}{}",
                &m.created_at[..10.min(m.created_at.len())],
                m.kind,
                m.qty,
                m.from,
                m.to,
                m.reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

/// A lot's or serial's label as the ledger knows it; None when the item gets no GS1 label.
fn reprint(
    ledger: &Ledger,
    item: &str,
    lot: Option<&str>,
    serial: Option<&str>,
) -> Option<Request> {
    let item = ledger.query().item(item).ok()??;
    labels::for_lot_or_serial(ledger, &item, lot, serial).ok()
}

impl Lookup {
    pub fn start() -> Lookup {
        Lookup::default()
    }

    fn show_lot(&mut self, ledger: &Ledger, item: &str, lot: &str) -> Result<(), Error> {
        let l = ledger
            .query()
            .lot(item, lot)?
            .ok_or_else(|| Error::NotFound(format!("{item} has no lot {lot}")))?;
        self.title = Some(format!("{item} lot {lot}"));
        self.label = reprint(ledger, item, Some(lot), None);
        // Expired is derived from the date, never stored: the same words the reports use.
        let status =
            crate::ledger::reports::StockStatus::of(Some(l.status), l.expiry, ledger.today());
        self.fields = vec![("Status".into(), status.to_string())];
        if let Some(e) = l.expiry {
            let left = (e - ledger.today()).num_days();
            self.fields.push((
                "Expiry".into(),
                if left < 0 {
                    format!("{e} (expired)")
                } else {
                    format!("{e} ({left} days left)")
                },
            ));
        }
        self.fields
            .extend(ledger.query().lot_attributes(item, lot)?);
        let stock = ledger.stock_by_lot(Some(item), None, Some(lot))?;
        self.lines = stock
            .iter()
            .map(|s| format!("{} at {}", s.on_hand, s.location))
            .collect();
        let trace = ledger.trace(item, Some(lot), None)?;
        self.fields
            .push(("Suppliers".into(), trace.suppliers.join(", ")));
        self.fields
            .push(("Customers".into(), trace.customers.join(", ")));
        let tx = ledger.lot_transactions(item, lot)?;
        self.lines.extend(history(
            &tx.into_iter().map(|t| t.entry).collect::<Vec<_>>(),
        ));
        Ok(())
    }

    fn show_serial(&mut self, ledger: &Ledger, item: &str, serial: &str) -> Result<(), Error> {
        let (at, lot) = ledger
            .query()
            .serial(item, serial)?
            .ok_or_else(|| Error::NotFound(format!("{item} has no serial {serial}")))?;
        self.title = Some(format!("{item} serial {serial}"));
        self.label = reprint(ledger, item, lot.as_deref(), Some(serial));
        self.fields = vec![("Where".into(), at.unwrap_or_else(|| "not in stock".into()))];
        if let Some(l) = lot {
            self.fields.push(("Lot".into(), l));
        }
        self.lines = history(&ledger.query().serial_history(item, serial)?);
        Ok(())
    }

    fn show(&mut self, ledger: &Ledger, m: Meaning) -> Result<(), Error> {
        match m {
            Meaning::Item(i) => {
                let sku = i
                    .sku
                    .ok_or_else(|| Error::Input("this label has no GTIN".into()))?;
                if let Some(s) = i.serial {
                    return self.show_serial(ledger, &sku, &s);
                }
                if let Some(l) = i.lot {
                    return self.show_lot(ledger, &sku, &l);
                }
                let item = ledger
                    .query()
                    .item(&sku)?
                    .ok_or_else(|| Error::NotFound("unknown item".into()))?;
                self.title = Some(format!("{} {}", item.sku, item.name));
                self.fields = vec![("Tracking".into(), item.tracking.to_string())];
                let rows = ledger.stock_by_lot(Some(&sku), None, None)?;
                self.fields.push((
                    "On hand".into(),
                    format!(
                        "{} {}",
                        rows.iter().map(|r| r.on_hand).sum::<i64>(),
                        item.unit
                    ),
                ));
                self.lines = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} at {}{}{}",
                            r.on_hand,
                            r.location,
                            lot_serial(r.lot.as_deref(), r.serial.as_deref()),
                            r.expiry.map(|e| format!(" exp {e}")).unwrap_or_default()
                        )
                    })
                    .collect();
                Ok(())
            }
            Meaning::Location { code } => {
                self.title = Some(format!("Location {code}"));
                let name = ledger
                    .query()
                    .location(&code)?
                    .map(|l| l.name)
                    .unwrap_or_default();
                self.label = Some(labels::for_location(&code, &name));
                let rows = ledger.query().stock(None, Some(&code))?;
                self.fields = vec![("Lines".into(), rows.len().to_string())];
                self.lines = rows
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {}{}",
                            r.qty,
                            r.item,
                            lot_serial(r.lot.as_deref(), r.serial.as_deref())
                        )
                    })
                    .collect();
                Ok(())
            }
            Meaning::Text { text, reason } => {
                // A lot or serial code alone: find the item it belongs to.
                let q = ledger.query();
                let lots = q.items_with_lot(&text)?;
                let serials = q.items_with_serial(&text)?;
                match (lots.as_slice(), serials.as_slice()) {
                    ([item], []) => self.show_lot(ledger, item, &text),
                    ([], [item]) => self.show_serial(ledger, item, &text),
                    ([], []) => Err(Error::NotFound(
                        reason.unwrap_or_else(|| format!("nothing is known as '{text}'")),
                    )),
                    _ => {
                        Err(Error::Input(format!(
                        "'{text}' is a lot or serial of several items ({}): scan the item's label",
                        lots.iter().chain(&serials).cloned().collect::<Vec<_>>().join(", ")
                    )))
                    }
                }
            }
            Meaning::Sscc { sscc, contents } => match labels::for_sscc(ledger, &sscc) {
                // A pallet this database printed: what its label says, and a reprint.
                Ok(Some(req)) => {
                    self.title = Some(format!("Pallet {sscc}"));
                    self.fields.clear();
                    if let Some((crate::label::LabelData::Sscc(d), _)) = req.labels.first() {
                        self.fields.push(("Ship to".into(), d.ship_to.clone()));
                        if let Some(c) = &d.contents {
                            self.fields.push((
                                "Contents".into(),
                                format!(
                                    "{} x {}{}",
                                    c.count,
                                    c.gtin,
                                    lot_serial(c.lot.as_deref(), None)
                                ),
                            ));
                        }
                    }
                    self.label = Some(req);
                    Ok(())
                }
                _ => match contents {
                    Some(c) => self.show(ledger, Meaning::Item(c)),
                    None => Err(Error::Input(format!(
                        "pallet {sscc}: its contents are not on the label"
                    ))),
                },
            },
            Meaning::Document { number, .. } => {
                let pl = ledger.query().pick_list(&number)?;
                // A pick list that has shipped: its packing slip can be saved again.
                self.slip = pl
                    .as_ref()
                    .filter(|_| ledger.packing_slip(&number).is_ok())
                    .map(|_| number.clone());
                let po = ledger.query().purchase_order(&number)?;
                self.title = Some(number.clone());
                self.fields.clear();
                self.lines = match (pl, po) {
                    (Some(pl), _) => pl
                        .lines
                        .iter()
                        .map(|l| {
                            format!("{} {}: {} of {} picked", l.line_no, l.item, l.picked, l.qty)
                        })
                        .collect(),
                    (None, Some(po)) => po
                        .lines
                        .iter()
                        .map(|l| {
                            format!(
                                "{} {}: {} of {} received",
                                l.line_no, l.item, l.received, l.qty
                            )
                        })
                        .collect(),
                    _ => vec![],
                };
                Ok(())
            }
        }
    }
}

impl Workflow for Lookup {
    fn view(&self) -> View {
        let mut v = View::new("Look up", "Scan anything", Expect::Anything);
        if let Some(t) = &self.title {
            v.fields.push(("Found".into(), t.clone()));
        }
        v.fields.extend(self.fields.iter().cloned());
        v.lines = self.lines.clone();
        if self.label.is_some() {
            v.options = vec![REPRINT.into()];
            v.preview = self.preview.clone();
        }
        if self.slip.is_some() {
            v.options.push(super::made::PACKING_SLIP.into());
        }
        v
    }

    fn handle(&mut self, ledger: &mut Ledger, event: Event) -> Outcome {
        let scan = match event {
            Event::Scan(s) => s,
            Event::Enter(t) => crate::scan::ScanEvent::manual(t.trim()),
            Event::Cancel | Event::Back => {
                *self = Lookup::default();
                return Outcome::accepted();
            }
            Event::Choose(c) if c == super::made::PACKING_SLIP && self.slip.is_some() => {
                return super::made::save_packing_slip(ledger, self.slip.as_deref().unwrap_or(""));
            }
            Event::Choose(c) if c == REPRINT => {
                let Some(req) = &self.label else {
                    return Outcome::refused("scan what to reprint the label of");
                };
                return match labels::queue(ledger, "lookup", req) {
                    Ok(q) => Outcome::accepted()
                        .with_message(Some(format!("1 label(s) to {}: printing", q.printer))),
                    Err(e) => Outcome::refused(e),
                };
            }
            _ => return Outcome::refused("scan anything to look it up"),
        };
        let m = meaning(ledger, &scan);
        let mut fresh = Lookup::default();
        match fresh.show(ledger, m) {
            Ok(()) => {
                fresh.preview = fresh
                    .label
                    .as_ref()
                    .and_then(|r| r.preview(ledger, "lookup"));
                *self = fresh;
                Outcome::accepted()
            }
            // A failed lookup keeps what was shown before.
            Err(e) => Outcome::refused(e.to_string()),
        }
    }
}
