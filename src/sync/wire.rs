//! The wire protocol: serde types that exist only at the HTTP boundary, and their conversions to
//! the ledger's plain values.
//!
//! The URL space is `/v1`; the protocol a request speaks is its `Lotkeeper-Protocol` header,
//! absent from every device built before the header (they speak protocol 1). A server serves
//! every protocol from [`OLDEST`] to [`VERSION`], each in its own shape, and answers any other
//! with a 4xx naming the ones it speaks: a device never gets a field it would refuse, and a
//! server never takes one it would drop.
//!
//! - Protocol 1: the movements of the first release.
//! - Protocol 2: movements carry `ref_type`, `tlc_source` and `lot_attributes` (FSMA 204 data and
//!   lot attributes). A device of protocol 1 refuses a movement with a field it does not know,
//!   so a server never sends those fields to it, and refuses them from it.
//! - Protocol 3: sites (a location's `site`, the `transit` kind).
//! - Protocol 4: conflicts resolved on either side. A push may carry `conflict_resolutions`
//!   (conflicts a person dismissed on the device), answered with the resolution that stands for
//!   each; a pull may report the device's `pending` movements and open `conflicts`, asks for
//!   resolutions after `resolutions_after`, and carries the back office's resolutions of the
//!   device's conflicts with their `resolution_cursor`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ledger::conflicts::Resolution;
use crate::ledger::lots::LotChange;
use crate::ledger::replica::{LotEvent, MasterData, Record, Verdict};
use crate::ledger::JournalEntry;
use crate::ledger::{
    Composition, Converting, DocType, Gtin, Item, Location, LotAction, LotOrigin, LotStatus,
    MovementKind, Party, PickList, PickListLine, ProductDescription, PurchaseOrder,
    PurchaseOrderLine, Tracking,
};

/// The protocol this build speaks (and sends in [`PROTOCOL_HEADER`]), also in `/v1/health`.
pub const VERSION: u32 = 4;
/// The oldest protocol a server of this build still serves.
pub const OLDEST: u32 = 1;
/// The request header that names the protocol a device speaks (absent: 1), and the response
/// header that names the one the server answered in.
pub const PROTOCOL_HEADER: &str = "lotkeeper-protocol";
/// `ErrorBody.code` of a request in a protocol the server does not speak.
pub const PROTOCOL: &str = "protocol";
/// Most movements one push may carry: a whole device batch travels in one push, and the ledger
/// makes batches of up to `MAX_BATCH` movements, so a push admits that many.
pub const MAX_PUSH: usize = crate::ledger::MAX_BATCH;
/// The first protocol with conflict resolutions and device reports.
pub const RESOLUTIONS: u32 = 4;
/// Most movements one pull page holds.
pub const MAX_PULL: i64 = 10_000;
/// Room for one movement in a push body. A movement within the ledger's field limits serializes
/// to well under this (about 450 bytes with a serial, a lot and both dates).
pub const MAX_MOVEMENT_BYTES: usize = 1024;
/// Largest request body the server reads (from an authenticated device only; the token is checked
/// before the body is read): a push of `MAX_PUSH` movements, about 98 MiB.
pub const MAX_BODY: usize = MAX_PUSH * MAX_MOVEMENT_BYTES;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireMovement {
    pub id: String,
    pub batch_id: String,
    pub kind: MovementKind,
    pub item: String,
    #[serde(default)]
    pub lot: Option<String>,
    #[serde(default)]
    pub serial: Option<String>,
    pub qty: i64,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub corrects: Option<String>,
    /// The device that made it; on a push it must be the device pushing.
    pub device: String,
    pub created_at: String,
    #[serde(default)]
    pub lot_expiry: Option<NaiveDate>,
    #[serde(default)]
    pub lot_production: Option<NaiveDate>,
    /// Position in the server's log (pulls); ignored on a push.
    #[serde(default)]
    pub seq: i64,
    /// On a push: `generated` when the lot code came from the device's lot rule; absent means
    /// entered (scanned or typed). Never sent on a pull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_origin: Option<LotOrigin>,
    /// On a push: how many movements the movement's batch has. The push must carry all of them
    /// (less those the server already has), or the whole batch is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// The type of the document `reference` names (absent: none, or found from the document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_type: Option<DocType>,
    /// Where a received lot's code was assigned, when not by the supplier it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlc_source: Option<String>,
    /// The lot attribute values the movement records, name to value (absent: none).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub lot_attributes: std::collections::BTreeMap<String, String>,
}

impl WireMovement {
    /// The fields set on this movement that `protocol` does not have.
    pub fn fields_newer_than(&self, protocol: u32) -> Vec<&'static str> {
        let mut out = Vec::new();
        if protocol < 2 {
            if self.ref_type.is_some() {
                out.push("ref_type");
            }
            if self.tlc_source.is_some() {
                out.push("tlc_source");
            }
            if !self.lot_attributes.is_empty() {
                out.push("lot_attributes");
            }
        }
        out
    }

    /// This movement as a device of `protocol` reads it: without the fields it does not know.
    pub fn for_protocol(mut self, protocol: u32) -> WireMovement {
        if protocol < 2 {
            self.ref_type = None;
            self.tlc_source = None;
            self.lot_attributes.clear();
        }
        self
    }
}

/// Pending movements as a push carries them: each with its batch's size.
pub fn pushed(pending: &[(Record, usize)]) -> Vec<WireMovement> {
    pending
        .iter()
        .map(|(r, size)| WireMovement {
            batch_size: Some(*size),
            ..WireMovement::from(r)
        })
        .collect()
}

impl From<&Record> for WireMovement {
    fn from(r: &Record) -> Self {
        let e = &r.entry;
        WireMovement {
            id: e.id.clone(),
            batch_id: e.batch_id.clone(),
            kind: e.kind,
            item: e.item.clone(),
            lot: e.lot.clone(),
            serial: e.serial.clone(),
            qty: e.qty,
            from: e.from.clone(),
            to: e.to.clone(),
            reason: e.reason.clone(),
            reference: e.reference.clone(),
            corrects: e.corrects.clone(),
            device: e.device.clone(),
            created_at: e.created_at.clone(),
            lot_expiry: r.lot_expiry,
            lot_production: r.lot_production,
            seq: e.seq,
            lot_origin: r.lot_origin,
            batch_size: None,
            ref_type: r.ref_type,
            tlc_source: r.tlc_source.clone(),
            lot_attributes: r.lot_attributes.clone(),
        }
    }
}

impl From<WireMovement> for Record {
    fn from(w: WireMovement) -> Self {
        Record {
            entry: JournalEntry {
                seq: w.seq,
                id: w.id,
                batch_id: w.batch_id,
                kind: w.kind,
                item: w.item,
                lot: w.lot,
                serial: w.serial,
                qty: w.qty,
                from: w.from,
                to: w.to,
                reason: w.reason,
                reference: w.reference,
                corrects: w.corrects,
                device: w.device,
                created_at: w.created_at,
            },
            lot_expiry: w.lot_expiry,
            lot_production: w.lot_production,
            lot_origin: w.lot_origin,
            ref_type: w.ref_type,
            tlc_source: w.tlc_source,
            lot_attributes: w.lot_attributes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub movements: Vec<WireMovement>,
    /// Lot status changes made on the device, applied after `movements` (a device sends them
    /// in the order it made them with its movements). Optional: older devices send none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lot_changes: Vec<WireLotChange>,
    /// Conflicts of this device a person dismissed on it (protocol 4), answered in
    /// `PushResponse.conflict_resolutions`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflict_resolutions: Vec<WireResolve>,
}

/// A conflict resolved on the device: the rejected movement's id and the person's note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireResolve {
    pub id: String,
    pub note: String,
}

/// The resolution of a conflict that stands on the server: the first to reach it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireResolution {
    /// The rejected movement's id.
    pub id: String,
    pub note: String,
    /// `console:NAME` or `device:NAME`.
    pub by: String,
    /// The server's clock when it was recorded.
    pub resolved_at: String,
    /// Its place in the server's order of resolutions (0: recorded nowhere, a conflict from
    /// before the server kept them).
    pub seq: i64,
}

impl From<&Resolution> for WireResolution {
    fn from(r: &Resolution) -> Self {
        WireResolution {
            id: r.id.clone(),
            note: r.note.clone(),
            by: r.by.clone(),
            resolved_at: r.at.clone(),
            seq: r.seq,
        }
    }
}

impl From<WireResolution> for Resolution {
    fn from(r: WireResolution) -> Self {
        Resolution {
            id: r.id,
            note: r.note,
            by: r.by,
            at: r.resolved_at,
            seq: r.seq,
        }
    }
}

/// A hold, release or recall made on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireLotChange {
    /// Globally unique (a UUID); a retried push applies it once.
    pub id: String,
    pub item: String,
    pub lot: String,
    pub action: LotAction,
    pub reason: String,
    /// The person who made it, when not the device itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    pub created_at: String,
    /// The last server lot event of this lot (its `id` on a pull) the device knew when it made
    /// the change; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<i64>,
}

impl From<&LotChange> for WireLotChange {
    fn from(c: &LotChange) -> Self {
        WireLotChange {
            id: c.event_id.clone(),
            item: c.item.clone(),
            lot: c.lot.clone(),
            action: c.action,
            reason: c.reason.clone(),
            by: c.actor.clone(),
            created_at: c.created_at.clone(),
            seen: (c.seen > 0).then_some(c.seen),
        }
    }
}

impl From<WireLotChange> for LotChange {
    fn from(c: WireLotChange) -> Self {
        LotChange {
            event_id: c.id,
            item: c.item,
            lot: c.lot,
            action: c.action,
            reason: c.reason,
            actor: c.by,
            created_at: c.created_at,
            after_seq: 0,
            seen: c.seen.unwrap_or(0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum PushResult {
    Accepted { id: String, server_seq: i64 },
    Rejected { id: String, reason: String },
}

impl PushResult {
    pub fn from_verdict(id: String, v: Verdict) -> PushResult {
        match v {
            Verdict::Accepted { server_seq } => PushResult::Accepted { id, server_seq },
            Verdict::Rejected { reason } => PushResult::Rejected { id, reason },
        }
    }

    pub fn into_verdict(self) -> (String, Verdict) {
        match self {
            PushResult::Accepted { id, server_seq } => (id, Verdict::Accepted { server_seq }),
            PushResult::Rejected { id, reason } => (id, Verdict::Rejected { reason }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<PushResult>,
    /// One verdict per pushed lot change (absent when none were pushed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lot_changes: Vec<PushResult>,
    /// The server's clock when it answered (RFC 3339): devices measure their own clock by it.
    #[serde(default)]
    pub server_time: Option<String>,
    /// For each pushed conflict resolution, the one that stands (absent when none were pushed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflict_resolutions: Vec<WireResolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireLotEvent {
    pub id: i64,
    pub item: String,
    pub lot: String,
    pub status: LotStatus,
    pub reason: String,
    pub created_at: String,
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    #[serde(default)]
    pub production: Option<NaiveDate>,
    /// The change's globally unique id, what was done, the status before, who and where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<LotAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<LotStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

impl From<&LotEvent> for WireLotEvent {
    fn from(e: &LotEvent) -> Self {
        WireLotEvent {
            id: e.id,
            item: e.item.clone(),
            lot: e.lot.clone(),
            status: e.status,
            reason: e.reason.clone(),
            created_at: e.created_at.clone(),
            expiry: e.expiry,
            production: e.production,
            event_id: e.event_id.clone(),
            action: e.action,
            previous: e.previous,
            by: e.actor.clone(),
            device: e.device.clone(),
        }
    }
}

impl From<WireLotEvent> for LotEvent {
    fn from(e: WireLotEvent) -> Self {
        LotEvent {
            id: e.id,
            item: e.item,
            lot: e.lot,
            status: e.status,
            reason: e.reason,
            created_at: e.created_at,
            expiry: e.expiry,
            production: e.production,
            event_id: e.event_id,
            action: e.action,
            previous: e.previous,
            actor: e.by,
            device: e.device,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireGtin {
    pub gtin: String,
    pub pack_qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireItem {
    pub sku: String,
    pub name: String,
    pub tracking: Tracking,
    pub expiry_tracked: bool,
    pub shelf_life_days: Option<i64>,
    pub unit: String,
    pub gtins: Vec<WireGtin>,
    /// Brand, commodity, variety, packaging and the Food Traceability List flag (absent from
    /// servers before issue 16: none).
    #[serde(default)]
    pub description: ProductDescription,
    /// A tracking conversion in progress (absent outside one, and from servers before issue
    /// 17).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converting: Option<Converting>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireLocation {
    pub code: String,
    pub name: String,
    pub kind: crate::ledger::LocationKind,
    /// The site a real location belongs to (protocol 3; absent: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireDocLine {
    pub line_no: i64,
    pub item: String,
    pub qty: i64,
    #[serde(default)]
    pub customer: Option<String>,
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireDocument {
    pub number: String,
    /// The customer of a pick list, the supplier of a purchase order.
    pub party: String,
    pub status: String,
    pub lines: Vec<WireDocLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WirePrinter {
    pub name: String,
    /// HOST:PORT.
    pub address: String,
    pub dpi: u32,
    /// 2x1, 4x2 or 4x6.
    pub size: String,
    /// The workflows that print here by default.
    pub default_for: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMaster {
    pub version: i64,
    pub items: Vec<WireItem>,
    pub locations: Vec<WireLocation>,
    pub pick_lists: Vec<WireDocument>,
    pub purchase_orders: Vec<WireDocument>,
    /// Absent from servers older than the label printers: none then.
    #[serde(default)]
    pub printers: Vec<WirePrinter>,
    /// Suppliers, customers and sites with their addresses (absent from servers before issue
    /// 16: none).
    #[serde(default)]
    pub parties: Vec<Party>,
    /// Composition lists (absent from servers before issue 17: none).
    #[serde(default)]
    pub compositions: Vec<Composition>,
    /// Lot attribute definitions by item (absent from servers before issue 17: none).
    #[serde(default)]
    pub lot_attributes: Vec<crate::ledger::attributes::ItemAttributes>,
    /// The site the pulling device works at (protocol 3; absent: every site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
}

impl WireMaster {
    /// This snapshot as a device of `protocol` reads it: before protocol 3 there is no `transit`
    /// kind, so an in-transit location goes as `staging`, the kind that, like it, holds stock
    /// that is not picked from (the server's rules still know it as transit).
    pub fn for_protocol(mut self, protocol: u32) -> WireMaster {
        if protocol < 3 {
            for l in &mut self.locations {
                if l.kind == crate::ledger::LocationKind::Transit {
                    l.kind = crate::ledger::LocationKind::Staging;
                }
            }
        }
        self
    }
}

impl From<&MasterData> for WireMaster {
    fn from(m: &MasterData) -> Self {
        WireMaster {
            version: m.version,
            items: m
                .items
                .iter()
                .map(|i| WireItem {
                    sku: i.sku.clone(),
                    name: i.name.clone(),
                    tracking: i.tracking,
                    expiry_tracked: i.expiry_tracked,
                    shelf_life_days: i.shelf_life_days,
                    unit: i.unit.clone(),
                    description: i.description.clone(),
                    converting: i.converting,
                    gtins: i
                        .gtins
                        .iter()
                        .map(|g| WireGtin {
                            gtin: g.gtin.clone(),
                            pack_qty: g.pack_qty,
                        })
                        .collect(),
                })
                .collect(),
            locations: m
                .locations
                .iter()
                .map(|l| WireLocation {
                    code: l.code.clone(),
                    name: l.name.clone(),
                    kind: l.kind,
                    site: l.site.clone(),
                })
                .collect(),
            pick_lists: m
                .pick_lists
                .iter()
                .map(|p| WireDocument {
                    number: p.number.clone(),
                    party: p.customer.clone(),
                    status: p.status.clone(),
                    lines: p
                        .lines
                        .iter()
                        .map(|l| WireDocLine {
                            line_no: l.line_no,
                            item: l.item.clone(),
                            qty: l.qty,
                            customer: Some(l.customer.clone()),
                            date: l.due,
                        })
                        .collect(),
                })
                .collect(),
            purchase_orders: m
                .purchase_orders
                .iter()
                .map(|p| WireDocument {
                    number: p.number.clone(),
                    party: p.supplier.clone(),
                    status: p.status.clone(),
                    lines: p
                        .lines
                        .iter()
                        .map(|l| WireDocLine {
                            line_no: l.line_no,
                            item: l.item.clone(),
                            qty: l.qty,
                            customer: None,
                            date: l.expected,
                        })
                        .collect(),
                })
                .collect(),
            parties: m.parties.clone(),
            compositions: m.compositions.clone(),
            lot_attributes: m.lot_attributes.clone(),
            site: m.site.clone(),
            printers: m
                .printers
                .iter()
                .map(|p| WirePrinter {
                    name: p.name.clone(),
                    address: p.address.clone(),
                    dpi: p.dpi,
                    size: p.size.clone(),
                    default_for: p.default_for.clone(),
                })
                .collect(),
        }
    }
}

impl From<WireMaster> for MasterData {
    fn from(m: WireMaster) -> Self {
        MasterData {
            version: m.version,
            items: m
                .items
                .into_iter()
                .map(|i| Item {
                    sku: i.sku,
                    name: i.name,
                    tracking: i.tracking,
                    expiry_tracked: i.expiry_tracked,
                    shelf_life_days: i.shelf_life_days,
                    unit: i.unit,
                    description: i.description,
                    converting: i.converting,
                    gtins: i
                        .gtins
                        .into_iter()
                        .map(|g| Gtin {
                            gtin: g.gtin,
                            pack_qty: g.pack_qty,
                        })
                        .collect(),
                })
                .collect(),
            locations: m
                .locations
                .into_iter()
                .map(|l| Location {
                    code: l.code,
                    name: l.name,
                    kind: l.kind,
                    site: l.site,
                })
                .collect(),
            pick_lists: m
                .pick_lists
                .into_iter()
                .map(|p| PickList {
                    number: p.number,
                    customer: p.party.clone(),
                    // The device derives progress from the movements it pulls.
                    progress: if p.status == "done" { "done" } else { "open" }.into(),
                    status: p.status,
                    lines: p
                        .lines
                        .into_iter()
                        .map(|l| PickListLine {
                            line_no: l.line_no,
                            item: l.item,
                            qty: l.qty,
                            customer: l.customer.unwrap_or_else(|| p.party.clone()),
                            due: l.date,
                            picked: 0,
                        })
                        .collect(),
                })
                .collect(),
            purchase_orders: m
                .purchase_orders
                .into_iter()
                .map(|p| PurchaseOrder {
                    number: p.number,
                    supplier: p.party,
                    progress: if p.status == "closed" {
                        "received"
                    } else {
                        "open"
                    }
                    .into(),
                    status: p.status,
                    lines: p
                        .lines
                        .into_iter()
                        .map(|l| PurchaseOrderLine {
                            line_no: l.line_no,
                            item: l.item,
                            qty: l.qty,
                            expected: l.date,
                            received: 0,
                        })
                        .collect(),
                })
                .collect(),
            parties: m.parties,
            compositions: m.compositions,
            lot_attributes: m.lot_attributes,
            site: m.site,
            printers: m
                .printers
                .into_iter()
                .map(|p| crate::ledger::labels::Printer {
                    name: p.name,
                    address: p.address,
                    dpi: p.dpi,
                    size: p.size,
                    default_for: p.default_for,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullResponse {
    pub movements: Vec<WireMovement>,
    pub lot_events: Vec<WireLotEvent>,
    /// Present when the device's master version is older than the server's.
    pub master: Option<WireMaster>,
    /// Where the next pull starts.
    pub cursor: i64,
    pub lot_event_cursor: i64,
    /// More movements wait after this page.
    pub more: bool,
    /// The server's clock when it answered (RFC 3339): devices measure their own clock by it.
    #[serde(default)]
    pub server_time: Option<String>,
    /// Resolutions of this device's conflicts after `resolutions_after`, oldest first
    /// (protocol 4; absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflict_resolutions: Vec<WireResolution>,
    /// Where the next pull's `resolutions_after` starts (protocol 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_cursor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    /// A machine-readable kind of error where a device acts on it: `revoked` (the device's token
    /// was revoked), `busy` (too many requests at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

/// `ErrorBody.code` of a revoked device's token.
pub const REVOKED: &str = "revoked";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LocationKind;

    fn master(kind: LocationKind) -> WireMaster {
        WireMaster {
            version: 1,
            items: vec![],
            locations: vec![WireLocation {
                code: "TRANSIT:SOUTH".into(),
                name: "In transit to South".into(),
                kind,
                site: Some("SOUTH".into()),
            }],
            pick_lists: vec![],
            purchase_orders: vec![],
            printers: vec![],
            parties: vec![],
            compositions: vec![],
            lot_attributes: vec![],
            site: Some("SOUTH".into()),
        }
    }

    #[test]
    fn a_device_before_sites_gets_an_in_transit_location_as_staging() {
        let kind = |m: WireMaster| m.locations[0].kind;
        assert_eq!(
            kind(master(LocationKind::Transit).for_protocol(2)),
            LocationKind::Staging
        );
        assert_eq!(
            kind(master(LocationKind::Transit).for_protocol(1)),
            LocationKind::Staging
        );
        assert_eq!(
            kind(master(LocationKind::Transit).for_protocol(VERSION)),
            LocationKind::Transit
        );
        // Other kinds go as they are.
        assert_eq!(
            kind(master(LocationKind::Bin).for_protocol(2)),
            LocationKind::Bin
        );
        // What a protocol-2 device reads: the kinds it knows (it ignores the site fields).
        let text = serde_json::to_string(&master(LocationKind::Transit).for_protocol(2)).unwrap();
        assert!(text.contains("\"kind\":\"staging\""), "{text}");
        assert!(!text.contains("transit\""), "{text}");
    }
}
