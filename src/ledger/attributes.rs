//! Lot attributes: what an item's lots record besides their dates (country of origin, the
//! supplier's lot, a test result). Each item defines its own, typed (text, number, date), some
//! required at receipt, some carried by a GS1 Application Identifier so a scan fills them.
//!
//! The definitions are master data (`import lot-attributes`, pulled by devices). The values
//! travel on the movement that brings the lot in, so they sync with it and the journal says who
//! recorded them; a receipt of a new lot without a required one is refused by the posting rules,
//! on a handheld and on the server alike. A value, once recorded, is not changed by a later
//! movement: a different one is refused.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::error::{Error, Result, Rule};
use super::query::Query;
use super::rows::{self, ItemRow};
use super::sql::{args, Sql, SqlExt};
use super::validate;

/// The longest attribute name and value.
pub const MAX_NAME_LEN: usize = 40;
pub const MAX_VALUE_LEN: usize = 200;

pub use super::model::AttributeKind;

/// One attribute an item's lots record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeDef {
    pub name: String,
    pub kind: AttributeKind,
    /// A receipt of a new lot must give it.
    pub required: bool,
    /// The GS1 AI that carries it on a label (`422`, country of origin), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<String>,
}

/// An item's attribute definitions, in the order they are asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemAttributes {
    pub item: String,
    pub attributes: Vec<AttributeDef>,
}

/// The AIs that are the lot's identity or dates already, not attributes.
const RESERVED_AIS: &[&str] = &["01", "02", "10", "11", "13", "15", "16", "17", "21", "37"];

/// Checks a definition: a name, and an AI of 2 to 4 digits that is not a lot's own data.
pub(crate) fn check_def(def: &AttributeDef) -> std::result::Result<(), (&'static str, String)> {
    let name = def.name.trim();
    if name.contains('=') {
        return Err((
            "name",
            format!(
                "'{name}': an attribute name has no '=' (receive --attr NAME=VALUE splits there)"
            ),
        ));
    }
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err((
            "name",
            format!("an attribute name has 1 to {MAX_NAME_LEN} characters"),
        ));
    }
    validate::text(
        "attribute name",
        name,
        MAX_NAME_LEN,
        "choose a shorter name",
    )
    .map_err(|e| ("name", e.to_string()))?;
    if let Some(ai) = &def.ai {
        if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
            return Err((
                "ai",
                format!("'{ai}' is not a GS1 Application Identifier: 2 to 4 digits, like 422"),
            ));
        }
        if RESERVED_AIS.contains(&ai.as_str()) {
            return Err((
                "ai",
                format!("({ai}) is the item's or lot's own data (GTIN, lot, dates, serial, count), not an attribute"),
            ));
        }
    }
    Ok(())
}

/// A plain decimal number in one form, so equal numbers compare equal as text: no `+`, no
/// leading zeros, no trailing zeros after the point, `0.5` for `.5`, `0` for `-0`. At most 30
/// digits; no exponent (`1e3` is typed `1000`). None for anything else.
pub fn decimal(v: &str) -> Option<String> {
    let (negative, rest) = match v.as_bytes().first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || int.len() + frac.len() == 0 || int.len() + frac.len() > 30 {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    if negative && !(int.is_empty() && frac.is_empty()) {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// A value as it is stored: trimmed; a number in plain decimal form, a date as YYYY-MM-DD.
pub fn normalize(def: &AttributeDef, value: &str) -> std::result::Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(format!("{} is empty", def.name));
    }
    if v.len() > MAX_VALUE_LEN {
        return Err(format!(
            "{} has at most {MAX_VALUE_LEN} characters",
            def.name
        ));
    }
    validate::text(&def.name, v, MAX_VALUE_LEN, "type it again").map_err(|e| e.to_string())?;
    match def.kind {
        AttributeKind::Text => Ok(v.to_string()),
        AttributeKind::Number => {
            decimal(v).ok_or_else(|| format!("{}: '{v}' is not a number, like 7.2", def.name))
        }
        AttributeKind::Date => validate::parse_typed_date(&def.name, v)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|e| e.to_string()),
    }
}

pub(crate) fn defs_of(tx: &dyn Sql, item: i64) -> Result<Vec<AttributeDef>> {
    let rows: Vec<(String, String, bool, Option<String>)> = tx.all(
        "SELECT name, kind, required, ai FROM lot_attribute_defs WHERE item_id = ?
         ORDER BY position, name",
        args![item],
    )?;
    rows.into_iter()
        .map(|(name, kind, required, ai)| {
            Ok(AttributeDef {
                name,
                kind: kind.parse()?,
                required,
                ai,
            })
        })
        .collect()
}

/// Replaces an item's definitions, inside the caller's transaction.
pub(crate) fn set_defs(tx: &dyn Sql, item: i64, defs: &[AttributeDef]) -> Result<()> {
    tx.run(
        "DELETE FROM lot_attribute_defs WHERE item_id = ?",
        args![item],
    )?;
    for (i, d) in defs.iter().enumerate() {
        tx.run(
            "INSERT INTO lot_attribute_defs (item_id, name, kind, required, ai, position)
             VALUES (?, ?, ?, ?, ?, ?)",
            args![
                item,
                d.name.trim(),
                d.kind.as_str(),
                d.required,
                d.ai,
                i as i64
            ],
        )?;
    }
    Ok(())
}

/// A device's copy of the definitions, replaced by the server's.
pub(crate) fn replace_defs(tx: &dyn Sql, all: &[ItemAttributes]) -> Result<()> {
    tx.run("DELETE FROM lot_attribute_defs", args![])?;
    for a in all {
        let item = rows::require_item(tx, &a.item)?;
        set_defs(tx, item.id, &a.attributes)?;
    }
    Ok(())
}

fn values_of(tx: &dyn Sql, lot: i64) -> Result<BTreeMap<String, String>> {
    let rows: Vec<(String, String)> = tx.all(
        "SELECT name, value FROM lot_attributes WHERE lot_id = ?",
        args![lot],
    )?;
    Ok(rows.into_iter().collect())
}

/// A value recorded on one of the item's lots that `def`'s type would not take (a re-import that
/// turns a text attribute into a number, say), in words; None when every value fits.
pub(crate) fn value_not_fitting(
    tx: &dyn Sql,
    item: i64,
    def: &AttributeDef,
) -> Result<Option<String>> {
    let values: Vec<(String, String)> = tx.all(
        "SELECT lt.code, a.value FROM lot_attributes a JOIN lots lt ON lt.id = a.lot_id
         WHERE lt.item_id = ? AND a.name = ? ORDER BY lt.code",
        args![item, def.name.trim()],
    )?;
    for (lot, v) in values {
        match normalize(def, &v) {
            Ok(n) if n == v => {}
            _ => {
                return Ok(Some(format!(
                    "lot {lot} has {} '{v}', which is not {}: the attribute keeps its type",
                    def.name,
                    match def.kind {
                        AttributeKind::Text => "text",
                        AttributeKind::Number => "a number",
                        AttributeKind::Date => "a date",
                    }
                )))
            }
        }
    }
    Ok(None)
}

/// The posting rule: the values a movement carries for its lot are the item's attributes, each
/// of its type and not different from one recorded before; a receipt that brings a new lot in
/// gives every required one. The values are recorded with the lot. Returns them normalized, for
/// the journal.
pub(crate) fn apply(
    tx: &dyn Sql,
    item: &ItemRow,
    lot: (i64, &str),
    new_receipt: bool,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    if given.is_empty() && !new_receipt {
        return Ok(BTreeMap::new());
    }
    let defs = defs_of(tx, item.id)?;
    let (lot_id, code) = lot;
    let mut out = BTreeMap::new();
    for (name, value) in given {
        let Some(def) = defs.iter().find(|d| d.name == *name) else {
            return Err(Error::refused(
                Rule::Invalid,
                format!(
                    "{} has no lot attribute '{name}'{}",
                    item.sku,
                    if defs.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "; its lots record {}",
                            defs.iter()
                                .map(|d| d.name.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ),
            ));
        };
        let v = normalize(def, value)
            .map_err(|e| Error::refused(Rule::Invalid, format!("{} lot {code}: {e}", item.sku)))?;
        out.insert(def.name.clone(), v);
    }
    let known = values_of(tx, lot_id)?;
    if new_receipt {
        let missing: Vec<&str> = defs
            .iter()
            .filter(|d| d.required && !out.contains_key(&d.name) && !known.contains_key(&d.name))
            .map(|d| d.name.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Error::refused(
                Rule::Invalid,
                format!(
                    "{} lot {code} is received without its {}: a receipt records {}",
                    item.sku,
                    missing.join(", "),
                    if missing.len() == 1 { "it" } else { "them" }
                ),
            ));
        }
    }
    for (name, v) in &out {
        match known.get(name) {
            Some(has) if has != v => {
                return Err(Error::refused(
                    Rule::Invalid,
                    format!(
                        "{} lot {code} has {name} {has}, not {v}: check the label",
                        item.sku
                    ),
                ))
            }
            Some(_) => {}
            None => {
                tx.run(
                    "INSERT INTO lot_attributes (lot_id, name, value) VALUES (?, ?, ?)",
                    args![lot_id, name, v],
                )?;
            }
        }
    }
    Ok(out)
}

/// A record from the server (checked there): its values join the lot's.
pub(crate) fn insert_trusted(
    tx: &dyn Sql,
    lot: i64,
    values: &BTreeMap<String, String>,
) -> Result<()> {
    for (name, v) in values {
        tx.run(
            "INSERT INTO lot_attributes (lot_id, name, value) VALUES (?, ?, ?)
             ON CONFLICT (lot_id, name) DO NOTHING",
            args![lot, name, v],
        )?;
    }
    Ok(())
}

/// The JSON text a movement stores its values as (None when there are none).
pub(crate) fn to_json(values: &BTreeMap<String, String>) -> Option<String> {
    (!values.is_empty()).then(|| serde_json::to_string(values).unwrap_or_default())
}

/// The values a stored movement carried.
pub(crate) fn from_json(text: Option<String>) -> BTreeMap<String, String> {
    text.and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

impl Query<'_> {
    /// What `sku`'s lots record.
    pub fn lot_attribute_defs(&self, sku: &str) -> Result<Vec<AttributeDef>> {
        match rows::item_by_sku(self.conn(), sku)? {
            Some(i) => defs_of(self.conn(), i.id),
            None => Ok(vec![]),
        }
    }

    /// Every item's definitions (the items that have some), by SKU.
    pub fn all_lot_attribute_defs(&self) -> Result<Vec<ItemAttributes>> {
        let skus: Vec<(String,)> = self.conn().all(
            "SELECT DISTINCT i.sku FROM lot_attribute_defs d JOIN items i ON i.id = d.item_id
             ORDER BY i.sku",
            args![],
        )?;
        skus.into_iter()
            .map(|(sku,)| {
                Ok(ItemAttributes {
                    attributes: self.lot_attribute_defs(&sku)?,
                    item: sku,
                })
            })
            .collect()
    }

    /// A lot's attribute values, in the order its item defines them (then any others by name).
    pub fn lot_attributes(&self, sku: &str, lot: &str) -> Result<Vec<(String, String)>> {
        let Some(item) = rows::item_by_sku(self.conn(), sku)? else {
            return Ok(vec![]);
        };
        let id: Option<i64> = self.conn().value(
            "SELECT id FROM lots WHERE item_id = ? AND code = ?",
            args![item.id, lot],
        )?;
        let Some(id) = id else {
            return Ok(vec![]);
        };
        let mut values = values_of(self.conn(), id)?;
        let mut out = Vec::new();
        for d in defs_of(self.conn(), item.id)? {
            if let Some(v) = values.remove(&d.name) {
                out.push((d.name, v));
            }
        }
        out.extend(values);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn numbers_have_one_form() {
        for (typed, stored) in [
            ("5", "5"),
            ("+5", "5"),
            ("5.", "5"),
            ("5.0", "5"),
            ("005.50", "5.5"),
            (".5", "0.5"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("-7.25", "-7.25"),
            (
                "99999999999999999999999999999",
                "99999999999999999999999999999",
            ),
        ] {
            assert_eq!(decimal(typed).as_deref(), Some(stored), "{typed}");
        }
        for bad in [
            "", "-", ".", "1e3", "NaN", "inf", "1,5", "1.2.3", "--1", "0x10",
        ] {
            assert_eq!(decimal(bad), None, "{bad}");
        }
        assert_eq!(decimal(&"9".repeat(31)), None);
    }
}
