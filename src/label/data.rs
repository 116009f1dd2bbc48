//! What a label carries, checked before anything is drawn. GS1 data is validated by scan's GS1
//! parser (the same one that reads the label back), not by rules of our own: the element string
//! a template would print is parsed, and it must read back as exactly the AIs asked for.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::LabelError;
use crate::scan::gs1;

/// A case's count. GS1 lets a case of a pack GTIN carry (30) for a variable count beside its
/// (01), but not (37): (37) counts the trade items inside a logistic unit, with (00) and (02).
/// So a fixed count is printed for people only (the pack GTIN already says how many), and a
/// variable count is encoded as (30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    Fixed(u32),
    Variable(u32),
}

/// An item/lot label, and with a count, a case label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemData {
    /// GTIN-8, -12, -13 or -14; printed as 14 digits in (01). Empty for an item that has none:
    /// its label then carries its SKU and lot as plain Code 128 instead of GS1 data.
    pub gtin: String,
    pub lot: Option<String>,
    pub expiry: Option<NaiveDate>,
    pub produced: Option<NaiveDate>,
    pub serial: Option<String>,
    pub sku: String,
    pub name: String,
    /// A case label's count: printed as text, and for a variable count also encoded as (30).
    pub count: Option<Count>,
}

/// The one item and lot a pallet holds, for (02)+(37)+(10)+(17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PalletContents {
    pub gtin: String,
    pub count: u32,
    pub lot: Option<String>,
    pub expiry: Option<NaiveDate>,
}

/// An SSCC pallet label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsccData {
    /// 18 digits with a valid check digit (see `sscc`).
    pub sscc: String,
    pub contents: Option<PalletContents>,
    pub ship_from: String,
    pub ship_to: String,
}

/// A location (bin) label: the code as Code 128 and in big letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationData {
    pub code: String,
    pub name: String,
}

/// An enrollment label: the QR code a handheld scans to enroll, with a one-time code that
/// expires within minutes (never the device's token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollmentData {
    pub device: String,
    pub server: String,
    /// The one-time code as people read it, 7KQ2-M9XD-4TVA.
    pub code: String,
    /// What the QR code holds (`sync::enroll::qr_text`).
    pub qr: String,
    /// "2026-12-01 10:42 UTC".
    pub expires: String,
}

/// One label's data, by template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum LabelData {
    Item(ItemData),
    Case(ItemData),
    Sscc(SsccData),
    Location(LocationData),
    Enrollment(EnrollmentData),
}

/// GS1 data, checked: the AIs in print order, and the element string (FNC1 as ASCII 29).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gs1Data {
    pub ais: Vec<(String, String)>,
}

impl Gs1Data {
    /// Checks `ais` with scan's GS1 parser: every value valid for its AI (length, CSET 82, check
    /// digit, date), the AIs fit together, and the element string reads back as these AIs.
    pub fn new(ais: Vec<(String, String)>) -> Result<Gs1Data, LabelError> {
        let data = Gs1Data { ais };
        let hri = data.hri();
        // Written from the AIs themselves, so a value holding brackets stays one value.
        let es = data.element_string();
        let parsed = gs1::parse(&format!("]C1{es}"));
        if !parsed.errors.is_empty() {
            let reason: Vec<&str> = parsed.errors.iter().map(|e| e.message.as_str()).collect();
            return Err(LabelError::Gs1 {
                data: hri,
                reason: reason.join("; "),
            });
        }
        if parsed.ais != data.ais {
            return Err(LabelError::Gs1 {
                data: hri,
                reason:
                    "a value looks like a further AI in brackets, so the data reads back otherwise"
                        .into(),
            });
        }
        Ok(data)
    }

    /// The bracketed human-readable form, `(01)09506000134352(10)L1`.
    pub fn hri(&self) -> String {
        gs1::format::bracketed(&self.ais)
    }

    /// Splits the AIs into groups of at most `n` (each becomes its own symbol).
    pub fn chunks(&self, n: usize) -> Vec<Gs1Data> {
        self.ais
            .chunks(n.max(1))
            .map(|c| Gs1Data { ais: c.to_vec() })
            .collect()
    }

    /// The element string: AIs concatenated, ASCII 29 after each variable-length value but the last.
    pub fn element_string(&self) -> String {
        gs1::format::element_string(&self.ais)
    }
}

/// A date as GS1 writes it (YYMMDD), refused when GS1's century rule would read it back as
/// another date (more than 49 years back or 50 ahead).
fn gs1_date(what: &'static str, ai: &str, d: NaiveDate) -> Result<(String, String), LabelError> {
    let v = d.format("%y%m%d").to_string();
    let back = gs1::parse(&format!("]C1{ai}{v}"));
    let read = match ai {
        "11" => back.production_date(),
        _ => back.expiry(),
    };
    if read != Some(d) {
        return Err(LabelError::Date {
            what,
            date: d,
            reason: format!(
                "({ai}){v} would read back as {}",
                read.map_or("no date".into(), |r| r.to_string())
            ),
        });
    }
    Ok((ai.to_string(), v))
}

fn gtin14(what: &'static str, g: &str) -> Result<String, LabelError> {
    crate::gtin::normalize_gtin(g).map_err(|e| LabelError::Invalid {
        what,
        value: g.to_string(),
        reason: e.to_string(),
    })
}

impl ItemData {
    /// (01) (11) (17) (30) (10) (21): fixed-length AIs first, so only the variable ones need a
    /// separator. A fixed count is not encoded (see `Count`).
    pub fn gs1(&self) -> Result<Gs1Data, LabelError> {
        let mut ais = vec![("01".to_string(), gtin14("GTIN", &self.gtin)?)];
        if let Some(d) = self.produced {
            ais.push(gs1_date("production date", "11", d)?);
        }
        if let Some(d) = self.expiry {
            ais.push(gs1_date("expiry date", "17", d)?);
        }
        match self.count {
            Some(Count::Fixed(0) | Count::Variable(0)) => {
                return Err(LabelError::invalid("count", "0", "a case holds at least 1"))
            }
            Some(Count::Variable(n)) => ais.push(("30".into(), n.to_string())),
            Some(Count::Fixed(_)) | None => {}
        }
        if let Some(l) = &self.lot {
            ais.push(("10".into(), l.clone()));
        }
        if let Some(s) = &self.serial {
            ais.push(("21".into(), s.clone()));
        }
        Gs1Data::new(ais)
    }
}

impl SsccData {
    /// (00) and, for one item and lot, (02) (17) (37) (10).
    pub fn gs1(&self) -> Result<Gs1Data, LabelError> {
        let mut ais = vec![("00".to_string(), self.sscc.clone())];
        if let Some(c) = &self.contents {
            if c.count == 0 {
                return Err(LabelError::invalid(
                    "count",
                    "0",
                    "a pallet holds at least 1",
                ));
            }
            ais.push(("02".into(), gtin14("contained GTIN", &c.gtin)?));
            if let Some(d) = c.expiry {
                ais.push(gs1_date("expiry date", "17", d)?);
            }
            ais.push(("37".into(), c.count.to_string()));
            if let Some(l) = &c.lot {
                ais.push(("10".into(), l.clone()));
            }
        }
        Gs1Data::new(ais)
    }
}

/// Text printed as plain Code 128 (subset B): printable ASCII, 1 to 40 characters.
fn code_128_text(what: &'static str, value: &str) -> Result<(), LabelError> {
    let bad = value.chars().find(|c| !(' '..='~').contains(c));
    if value.is_empty() || value.chars().count() > 40 || bad.is_some() {
        return Err(LabelError::Invalid {
            what,
            value: value.to_string(),
            reason: match bad {
                Some(c) => format!("character {c:?} cannot be printed in Code 128"),
                None => "1 to 40 characters".into(),
            },
        });
    }
    Ok(())
}

impl ItemData {
    /// An item without a GTIN is labelled with its SKU and its lot or serial as plain Code 128.
    pub fn check_internal(&self) -> Result<(), LabelError> {
        code_128_text("SKU", &self.sku)?;
        if let Some(l) = &self.lot {
            code_128_text("lot", l)?;
        }
        if let Some(s) = &self.serial {
            code_128_text("serial", s)?;
        }
        Ok(())
    }
}

impl LocationData {
    /// A location code is printed as Code 128 subset B: printable ASCII, at most 40 characters.
    pub fn check(&self) -> Result<(), LabelError> {
        code_128_text("location code", &self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> ItemData {
        ItemData {
            gtin: "9506000134352".into(),
            lot: Some("L2307".into()),
            expiry: NaiveDate::from_ymd_opt(2027, 10, 31),
            sku: "PARA".into(),
            name: "Paracetamol".into(),
            ..Default::default()
        }
    }

    #[test]
    fn fixed_length_ais_come_first_and_the_gtin_is_14_digits() {
        let g = item().gs1().unwrap();
        assert_eq!(g.hri(), "(01)09506000134352(17)271031(10)L2307");
        assert_eq!(g.element_string(), "01095060001343521727103110L2307");
    }

    #[test]
    fn what_gs1_does_not_allow_is_refused_by_the_parser() {
        let long = ItemData {
            lot: Some("L".repeat(21)),
            ..item()
        };
        let e = long.gs1().unwrap_err().to_string();
        assert!(e.contains("too long"), "{e}");
        let cset = ItemData {
            lot: Some("LÖT 1".into()),
            ..item()
        };
        let e = cset.gs1().unwrap_err().to_string();
        assert!(e.contains("not allowed"), "{e}");
        let far = ItemData {
            expiry: NaiveDate::from_ymd_opt(2199, 1, 1),
            ..item()
        };
        let e = far.gs1().unwrap_err().to_string();
        assert!(e.contains("would read back as"), "{e}");
        let bad_gtin = ItemData {
            gtin: "9506000134353".into(),
            ..item()
        };
        assert!(bad_gtin
            .gs1()
            .unwrap_err()
            .to_string()
            .contains("check digit"));
    }
}
