//! Plain data types of the ledger: master data, movements, documents.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

use super::error::Error;

/// Declares a string-backed enum with `as_str`, `FromStr` and `Display`, all from one list.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? } expected $expected:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($name::$variant),)+
                    other => Err(Error::invalid(format!(
                        "'{other}' is not {}; use {}", $expected,
                        [$($text),+].join(", ")
                    ))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// How an item's units are told apart.
    Tracking { None => "none", Lot => "lot", Serial => "serial" } expected "a tracking mode"
);

string_enum!(
    /// What a location is. The first five are real (they hold stock); the rest are virtual.
    LocationKind {
        Dock => "dock", Bin => "bin", Staging => "staging", Shipping => "shipping",
        Quarantine => "quarantine", Supplier => "supplier", Customer => "customer",
        Production => "production", Adjustment => "adjustment",
    } expected "a location kind"
);

impl LocationKind {
    /// Real locations hold stock and may never go negative.
    pub fn is_real(self) -> bool {
        matches!(
            self,
            LocationKind::Dock
                | LocationKind::Bin
                | LocationKind::Staging
                | LocationKind::Shipping
                | LocationKind::Quarantine
        )
    }

    /// Where FEFO allocation looks for stock to pick.
    pub fn is_pickable(self) -> bool {
        matches!(self, LocationKind::Dock | LocationKind::Bin)
    }
}

string_enum!(
    /// Whether a lot may be used.
    LotStatus { Available => "available", Quarantine => "quarantine", Recalled => "recalled" }
    expected "a lot status"
);

string_enum!(
    /// Why a movement happened.
    MovementKind {
        Receive => "receive", Ship => "ship", Transfer => "transfer", Adjust => "adjust",
        Consume => "consume", Produce => "produce", Opening => "opening", Correction => "correction",
    } expected "a movement kind"
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gtin {
    /// Always 14 digits.
    pub gtin: String,
    /// How many units of the item one scan of this GTIN stands for.
    pub pack_qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub sku: String,
    pub name: String,
    pub tracking: Tracking,
    pub expiry_tracked: bool,
    pub shelf_life_days: Option<i64>,
    pub unit: String,
    pub gtins: Vec<Gtin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub code: String,
    pub name: String,
    pub kind: LocationKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub item: String,
    pub code: String,
    pub expiry: Option<NaiveDate>,
    pub production_date: Option<NaiveDate>,
    pub status: LotStatus,
}

/// A movement to post: one quantity of one item (and one lot, or one serial) from one location to
/// another. Locations, items, lots and serials are named by their codes, so the same value travels
/// between devices and the server unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    pub id: Uuid,
    pub kind: MovementKind,
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub corrects: Option<Uuid>,
    /// For a movement that brings a new lot into being: its expiry and production dates.
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    #[serde(default)]
    pub production_date: Option<NaiveDate>,
    /// When it happened, where it was made (RFC 3339); None: now, where it is posted.
    #[serde(default)]
    pub created_at: Option<String>,
}

impl Movement {
    /// A movement with a fresh, time-ordered id (UUIDv7) and nothing optional set.
    pub fn new(
        kind: MovementKind,
        item: impl Into<String>,
        qty: i64,
        from: impl Into<String>,
        to: impl Into<String>,
    ) -> Movement {
        Movement {
            id: Uuid::now_v7(),
            kind,
            item: item.into(),
            lot: None,
            serial: None,
            qty,
            from: from.into(),
            to: to.into(),
            reason: None,
            reference: None,
            corrects: None,
            expiry: None,
            production_date: None,
            created_at: None,
        }
    }

    pub fn lot(mut self, lot: Option<impl Into<String>>) -> Movement {
        self.lot = lot.map(Into::into);
        self
    }

    pub fn serial(mut self, serial: Option<impl Into<String>>) -> Movement {
        self.serial = serial.map(Into::into);
        self
    }

    pub fn reason(mut self, reason: Option<impl Into<String>>) -> Movement {
        self.reason = reason.map(Into::into);
        self
    }

    pub fn reference(mut self, reference: Option<impl Into<String>>) -> Movement {
        self.reference = reference.map(Into::into);
        self
    }

    pub fn dates(mut self, expiry: Option<NaiveDate>, production: Option<NaiveDate>) -> Movement {
        self.expiry = expiry;
        self.production_date = production;
        self
    }
}

/// What posting one movement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Posted {
    /// Newly written, at this place in the local journal.
    Applied { seq: i64 },
    /// The same movement was posted before (same id, same content): nothing changed.
    Exists { seq: i64 },
}

impl Posted {
    pub fn seq(self) -> i64 {
        match self {
            Posted::Applied { seq } | Posted::Exists { seq } => seq,
        }
    }
}

/// A recorded movement as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalEntry {
    pub seq: i64,
    pub id: String,
    pub batch_id: String,
    pub kind: MovementKind,
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
    pub reference: Option<String>,
    pub corrects: Option<String>,
    pub device: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickListLine {
    pub line_no: i64,
    pub item: String,
    pub qty: i64,
    pub customer: String,
    pub due: Option<NaiveDate>,
    /// Units already shipped or staged against this line.
    pub picked: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickList {
    pub number: String,
    pub customer: String,
    /// `open` or `done`: a done list is closed for good (finished, or every line covered).
    pub status: String,
    /// From the movements that reference the list: `open`, `in_progress` or `done`.
    #[serde(default)]
    pub progress: String,
    pub lines: Vec<PickListLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrderLine {
    pub line_no: i64,
    pub item: String,
    pub qty: i64,
    pub expected: Option<NaiveDate>,
    /// Units received against this purchase order for this item so far.
    pub received: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseOrder {
    pub number: String,
    pub supplier: String,
    /// `open` or `closed`: a closed order (every line received) is closed for good.
    pub status: String,
    /// From the receipts that reference it: `open`, `partly_received` or `received`.
    #[serde(default)]
    pub progress: String,
    pub lines: Vec<PurchaseOrderLine>,
}

/// Parses a typed date (`YYYY-MM-DD`), with an error that names the field and says what to type:
/// a two-digit year, a year outside the sane window, or anything else is refused (see
/// [`super::validate::parse_date`]).
pub fn parse_date(field: &str, s: &str) -> Result<NaiveDate, Error> {
    super::validate::parse_date(field, s)
}
