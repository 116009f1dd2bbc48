//! The warehouse operations, each turned into movements and posted as one batch.

use chrono::NaiveDate;
use rusqlite::Connection;
use std::collections::HashSet;
use uuid::Uuid;

use super::error::{Error, Result, Rule};
use super::model::{DocType, LotOrigin, Movement, MovementKind, Posted, Tracking};
use super::post;
use super::rows::{self, require_item};
use super::{customer_location, supplier_location, Ledger, ADJUSTMENT, PRODUCTION};

#[derive(Debug, Clone, Default)]
pub struct ReceiveCmd {
    pub item: String,
    pub qty: i64,
    pub to: String,
    pub lot: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub production_date: Option<NaiveDate>,
    pub serials: Vec<String>,
    pub supplier: Option<String>,
    pub reference: Option<String>,
    /// The reference's document type (None: a purchase order's number is found as one).
    pub ref_type: Option<DocType>,
    /// `Generated` when the lot code came from this device's lot rule (see `post.rs`).
    pub lot_origin: Option<LotOrigin>,
    /// Where the lot code was assigned, when not by the supplier (see `Movement::tlc_source`).
    pub tlc_source: Option<String>,
    /// The lot's attributes, name to value (see `attributes`).
    pub lot_attributes: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct ShipCmd {
    pub item: String,
    pub qty: i64,
    pub from: String,
    pub lot: Option<String>,
    pub serials: Vec<String>,
    pub customer: Option<String>,
    pub reference: Option<String>,
    /// The reference's document type (None: a pick list's number is found as one).
    pub ref_type: Option<DocType>,
}

#[derive(Debug, Clone, Default)]
pub struct TransferCmd {
    pub item: String,
    pub qty: i64,
    pub from: String,
    pub to: String,
    pub lot: Option<String>,
    pub serials: Vec<String>,
    pub reason: Option<String>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AdjustCmd {
    pub item: String,
    /// Positive: found or added stock; negative: written off.
    pub delta: i64,
    pub at: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub reason: String,
    pub reference: Option<String>,
}

/// What an assembly consumes.
#[derive(Debug, Clone, Default)]
pub struct Component {
    pub item: String,
    pub qty: i64,
    pub from: String,
    pub lot: Option<String>,
    pub serials: Vec<String>,
}

/// What an assembly produces.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub item: String,
    pub qty: i64,
    pub to: String,
    pub lot: Option<String>,
    pub serials: Vec<String>,
    pub expiry: Option<NaiveDate>,
    pub production_date: Option<NaiveDate>,
    /// Generated here by the lot rule (the server checks such codes are new), or entered.
    pub lot_origin: Option<LotOrigin>,
}

#[derive(Debug, Clone, Default)]
pub struct AssembleCmd {
    pub components: Vec<Component>,
    pub outputs: Vec<Output>,
    pub reference: Option<String>,
    /// The reference's document type: a work order unless said.
    pub ref_type: Option<DocType>,
}

/// Checks a serial list against a quantity: N units need N distinct serials.
fn check_serials(tx: &Connection, sku: &str, qty: i64, serials: &[String]) -> Result<Tracking> {
    let item = require_item(tx, sku)?;
    // While a conversion to serials is open, units given serials are serialized already.
    let serialized = item.tracking == Tracking::Serial
        || (item.converting.map(|(t, _)| t) == Some(Tracking::Serial) && !serials.is_empty());
    if !serialized {
        if let Some(s) = serials.first() {
            return Err(Error::refused(
                Rule::Tracking,
                format!("{sku} is not serial-tracked; record it without a serial (got serial {s})"),
            ));
        }
        return Ok(item.tracking);
    }
    let mut seen = HashSet::new();
    for s in serials {
        if !seen.insert(s.trim()) {
            return Err(Error::refused(
                Rule::Serial,
                format!("serial {s} of {sku} is given twice; each unit has its own serial"),
            ));
        }
    }
    if serials.len() as i64 != qty {
        return Err(Error::refused(
            Rule::Serial,
            format!(
                "{sku} is serial-tracked: {qty} units need {qty} distinct serials, {} given",
                serials.len()
            ),
        ));
    }
    Ok(Tracking::Serial)
}

/// One movement per serial, or one movement for the whole quantity.
#[allow(clippy::too_many_arguments)]
fn expand(
    tracking: Tracking,
    kind: MovementKind,
    item: &str,
    qty: i64,
    from: &str,
    to: &str,
    lot: Option<&String>,
    serials: &[String],
) -> Vec<Movement> {
    if tracking == Tracking::Serial {
        serials
            .iter()
            .map(|s| {
                Movement::new(kind, item, 1, from, to)
                    .lot(lot)
                    .serial(Some(s.trim()))
            })
            .collect()
    } else {
        vec![Movement::new(kind, item, qty, from, to).lot(lot)]
    }
}

impl Ledger {
    /// Goods in from a supplier (optionally against a purchase order).
    pub fn receive(&mut self, c: &ReceiveCmd) -> Result<Vec<Posted>> {
        let ctx = self.post_context(false);
        self.write(|tx| {
            let tracking = check_serials(tx, &c.item, c.qty, &c.serials)?;
            let from = supplier_location(c.supplier.as_deref());
            let batch: Vec<Movement> = expand(
                tracking,
                MovementKind::Receive,
                &c.item,
                c.qty,
                &from,
                &c.to,
                c.lot.as_ref(),
                &c.serials,
            )
            .into_iter()
            .map(|m| {
                let mut m = m
                    .reference(c.reference.as_ref())
                    .ref_type(c.ref_type)
                    .dates(c.expiry, c.production_date);
                m.lot_origin = c.lot_origin;
                m.tlc_source.clone_from(&c.tlc_source);
                if m.lot.is_some() {
                    m.lot_attributes.clone_from(&c.lot_attributes);
                }
                m
            })
            .collect();
            post::post_batch(tx, &ctx, &batch)
        })
    }

    /// Goods out to a customer (optionally against a pick list).
    pub fn ship(&mut self, c: &ShipCmd) -> Result<Vec<Posted>> {
        let ctx = self.post_context(false);
        self.write(|tx| {
            let tracking = check_serials(tx, &c.item, c.qty, &c.serials)?;
            let to = customer_location(c.customer.as_deref());
            let batch: Vec<Movement> = expand(
                tracking,
                MovementKind::Ship,
                &c.item,
                c.qty,
                &c.from,
                &to,
                c.lot.as_ref(),
                &c.serials,
            )
            .into_iter()
            .map(|m| m.reference(c.reference.as_ref()).ref_type(c.ref_type))
            .collect();
            post::post_batch(tx, &ctx, &batch)
        })
    }

    /// Stock from one real location to another.
    pub fn transfer(&mut self, c: &TransferCmd) -> Result<Vec<Posted>> {
        let ctx = self.post_context(false);
        self.write(|tx| {
            let tracking = check_serials(tx, &c.item, c.qty, &c.serials)?;
            let batch: Vec<Movement> = expand(
                tracking,
                MovementKind::Transfer,
                &c.item,
                c.qty,
                &c.from,
                &c.to,
                c.lot.as_ref(),
                &c.serials,
            )
            .into_iter()
            .map(|m| m.reason(c.reason.as_ref()).reference(c.reference.as_ref()))
            .collect();
            post::post_batch(tx, &ctx, &batch)
        })
    }

    /// Stock found (+) or written off (-), always with a reason.
    pub fn adjust(&mut self, c: &AdjustCmd) -> Result<Vec<Posted>> {
        if c.delta == 0 {
            return Err(Error::invalid("an adjustment of 0 changes nothing"));
        }
        let (from, to) = if c.delta > 0 {
            (ADJUSTMENT, c.at.as_str())
        } else {
            (c.at.as_str(), ADJUSTMENT)
        };
        let m = Movement::new(MovementKind::Adjust, &c.item, c.delta.abs(), from, to)
            .lot(c.lot.as_ref())
            .serial(c.serial.as_ref())
            .reason(Some(&c.reason))
            .reference(c.reference.as_ref())
            .dates(c.expiry, None);
        self.post(&[m])
    }

    /// Consumes component lots or serials and produces finished lots or serials, in one batch.
    /// The batch id ties them together: that is the genealogy the trace follows.
    pub fn assemble(&mut self, c: &AssembleCmd) -> Result<Vec<Posted>> {
        if c.components.is_empty() || c.outputs.is_empty() {
            return Err(Error::invalid(
                "an assembly consumes at least one component and produces at least one output",
            ));
        }
        let ctx = self.post_context(false);
        self.write(|tx| {
            let mut batch = Vec::new();
            for comp in &c.components {
                let tracking = check_serials(tx, &comp.item, comp.qty, &comp.serials)?;
                batch.extend(expand(
                    tracking,
                    MovementKind::Consume,
                    &comp.item,
                    comp.qty,
                    &comp.from,
                    PRODUCTION,
                    comp.lot.as_ref(),
                    &comp.serials,
                ));
            }
            for out in &c.outputs {
                let tracking = check_serials(tx, &out.item, out.qty, &out.serials)?;
                batch.extend(
                    expand(
                        tracking,
                        MovementKind::Produce,
                        &out.item,
                        out.qty,
                        PRODUCTION,
                        &out.to,
                        out.lot.as_ref(),
                        &out.serials,
                    )
                    .into_iter()
                    .map(|mut m| {
                        m.lot_origin = out.lot_origin;
                        m.dates(out.expiry, out.production_date)
                    }),
                );
            }
            let ref_type = c
                .ref_type
                .or(c.reference.as_ref().map(|_| DocType::WorkOrder));
            for m in &mut batch {
                m.reference.clone_from(&c.reference);
                m.ref_type = ref_type;
            }
            post::post_batch(tx, &ctx, &batch)
        })
    }

    /// Splits `serials.len()` units of a lot into serialized units of a serial-tracked item
    /// (`into`), which keep the lot code and its dates. Recorded as an assembly.
    pub fn split(
        &mut self,
        item: &str,
        lot: &str,
        at: &str,
        into: &str,
        serials: &[String],
    ) -> Result<Vec<Posted>> {
        let (expiry, production) = {
            let tx = self.conn()?;
            let it = require_item(tx, item)?;
            let l = rows::lot_by_code(tx, it.id, lot)?
                .ok_or_else(|| Error::NotFound(format!("{item} has no lot {lot}")))?;
            let production: Option<NaiveDate> = tx.query_row(
                "SELECT production_date FROM lots WHERE id = ?",
                [l.id],
                |r| r.get(0),
            )?;
            (l.expiry, production)
        };
        let qty = serials.len() as i64;
        self.assemble(&AssembleCmd {
            components: vec![Component {
                item: item.to_string(),
                qty,
                from: at.to_string(),
                lot: Some(lot.to_string()),
                serials: vec![],
            }],
            outputs: vec![Output {
                item: into.to_string(),
                qty,
                to: at.to_string(),
                lot: Some(lot.to_string()),
                serials: serials.to_vec(),
                expiry,
                production_date: production,
                lot_origin: None,
            }],
            reference: Some(format!("split {item} lot {lot}")),
            ref_type: Some(DocType::Other),
        })
    }

    /// Reverses a movement with a new one that references it (movements are never edited).
    pub fn correct(&mut self, id: Uuid, reason: &str) -> Result<Vec<Posted>> {
        super::validate::reason(reason, "a correction")?;
        let original = self
            .query()
            .movement(&id.to_string())?
            .ok_or_else(|| Error::NotFound(format!("no movement has the id {id}")))?;
        let mut m = Movement::new(
            MovementKind::Correction,
            original.item,
            original.qty,
            original.to,
            original.from,
        )
        .lot(original.lot)
        .serial(original.serial)
        .reason(Some(reason))
        .reference(original.reference);
        m.corrects = Some(id);
        self.post(&[m])
    }
}
