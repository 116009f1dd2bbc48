//! Site settings the workflows follow, kept in the `settings` table.

use crate::ledger::{Error, Ledger, Result};
use chrono::NaiveDate;

/// What happens when a picker scans another lot than the FEFO suggestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviationPolicy {
    /// Allowed with a reason, which is recorded with the movement.
    RequireReason,
    /// Not allowed: the picker must take the suggested lot.
    Stop,
}

/// What finishing a pick list posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickFinish {
    /// The shipment to the customer.
    Ship,
    /// A move to this staging location (shipping is done from there later).
    Stage(String),
}

/// The expiry of what an assembly builds, when its item is expiry-tracked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssembleExpiry {
    /// The earliest expiry among the component lots consumed (the production date plus the
    /// item's shelf life when no component has one).
    EarliestComponent,
    /// The production date plus the item's shelf life (the earliest component expiry when the
    /// item has no shelf life).
    ShelfLife,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub deviation: DeviationPolicy,
    pub pick_finish: PickFinish,
    /// How generated lot codes look: `YYYY`, `YY`, `MM`, `DD` for today's date, `DEV` for this
    /// device's lot tag, `N…` for a sequence number with that many digits. Default
    /// `YYMMDD-DEV-NN` (see [`generate_lot`]).
    pub lot_rule: String,
    /// How generated serials look (the lot rule's tokens). Default `YYMMDD-DEV-NNNNN`.
    pub serial_rule: String,
    /// How an assembly's output expiry is set.
    pub assemble_expiry: AssembleExpiry,
    /// Where receipts go unless another location is scanned (default: the first dock).
    pub receive_location: Option<String>,
    /// This device's scanner: what its keyboard wedge puts before and after a scan, and what it
    /// types for the group separator (ASCII 29) when it cannot send it, e.g. `~` or `<GS>`.
    pub scanner_prefix: String,
    pub scanner_suffix: String,
    pub scanner_gs: String,
    /// Whether the camera view is offered for scanning.
    pub camera: bool,
    /// Whether accepted/refused scans sound (where the platform has audio).
    pub sounds: bool,
    /// The screens' language (`en`, `es`, `de`); none follows the system.
    pub language: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            deviation: DeviationPolicy::RequireReason,
            pick_finish: PickFinish::Ship,
            lot_rule: "YYMMDD-DEV-NN".into(),
            serial_rule: "YYMMDD-DEV-NNNNN".into(),
            assemble_expiry: AssembleExpiry::EarliestComponent,
            receive_location: None,
            scanner_prefix: String::new(),
            scanner_suffix: String::new(),
            scanner_gs: String::new(),
            camera: true,
            sounds: true,
            language: None,
        }
    }
}

/// One setting's stored text (also used for the UI's own keys, such as its resume journal).
pub fn get(ledger: &Ledger, key: &str) -> Result<Option<String>> {
    ledger.setting(key)
}

impl Settings {
    pub fn load(ledger: &Ledger) -> Result<Settings> {
        let mut s = Settings::default();
        if let Some(v) = get(ledger, "deviation")? {
            s.deviation = if v == "stop" {
                DeviationPolicy::Stop
            } else {
                DeviationPolicy::RequireReason
            };
        }
        if let Some(v) = get(ledger, "pick_finish")? {
            s.pick_finish = match v.strip_prefix("stage:") {
                Some(loc) => PickFinish::Stage(loc.to_string()),
                None => PickFinish::Ship,
            };
        }
        if let Some(v) = get(ledger, "lot_rule")? {
            s.lot_rule = v;
        }
        if let Some(v) = get(ledger, "serial_rule")? {
            s.serial_rule = v;
        }
        if get(ledger, "assemble_expiry")?.as_deref() == Some("shelf_life") {
            s.assemble_expiry = AssembleExpiry::ShelfLife;
        }
        s.receive_location = get(ledger, "receive_location")?;
        s.scanner_prefix = get(ledger, "scanner_prefix")?.unwrap_or_default();
        s.scanner_suffix = get(ledger, "scanner_suffix")?.unwrap_or_default();
        s.scanner_gs = get(ledger, "scanner_gs")?.unwrap_or_default();
        s.camera = get(ledger, "camera")?.as_deref() != Some("off");
        s.sounds = get(ledger, "sounds")?.as_deref() != Some("off");
        s.language = get(ledger, "language")?;
        Ok(s)
    }

    pub fn save(&self, ledger: &mut Ledger) -> Result<()> {
        if !self.lot_rule.contains('N') {
            return Err(Error::invalid(format!(
                "the lot rule '{}' has no N for the sequence number, so two lots of a day would share a code",
                self.lot_rule
            )));
        }
        if !self.serial_rule.contains('N') {
            return Err(Error::invalid(format!(
                "the serial rule '{}' has no N for the sequence number, so two units would share a serial",
                self.serial_rule
            )));
        }
        let pairs = [
            (
                "deviation",
                Some(match self.deviation {
                    DeviationPolicy::Stop => "stop".to_string(),
                    DeviationPolicy::RequireReason => "reason".to_string(),
                }),
            ),
            (
                "pick_finish",
                Some(match &self.pick_finish {
                    PickFinish::Ship => "ship".to_string(),
                    PickFinish::Stage(l) => format!("stage:{l}"),
                }),
            ),
            ("lot_rule", Some(self.lot_rule.clone())),
            ("serial_rule", Some(self.serial_rule.clone())),
            (
                "assemble_expiry",
                Some(match self.assemble_expiry {
                    AssembleExpiry::EarliestComponent => "earliest_component".to_string(),
                    AssembleExpiry::ShelfLife => "shelf_life".to_string(),
                }),
            ),
            ("receive_location", self.receive_location.clone()),
            ("scanner_prefix", non_empty(&self.scanner_prefix)),
            ("scanner_suffix", non_empty(&self.scanner_suffix)),
            ("scanner_gs", non_empty(&self.scanner_gs)),
            ("camera", Some(on_off(self.camera))),
            ("sounds", Some(on_off(self.sounds))),
            ("language", self.language.clone()),
        ];
        put_all(ledger, &pairs)
    }

    /// The keyboard-wedge settings of this device.
    pub fn wedge(&self) -> crate::scan::wedge::WedgeConfig {
        let mut c = crate::scan::wedge::WedgeConfig {
            prefix: self.scanner_prefix.clone(),
            suffix: self.scanner_suffix.clone(),
            ..Default::default()
        };
        if !self.scanner_gs.is_empty() {
            c.gs_substitutes.insert(0, self.scanner_gs.clone());
        }
        c
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.to_string()
}

/// Sets (Some) or removes (None) one setting, in its own transaction.
pub fn put(ledger: &mut Ledger, key: &str, value: Option<&str>) -> Result<()> {
    put_all(ledger, &[(key, value.map(String::from))])
}

fn put_all(ledger: &mut Ledger, pairs: &[(&str, Option<String>)]) -> Result<()> {
    ledger.put_settings(pairs)
}

/// The next lot code by `rule` for `item` on `today` that the item does not have yet.
///
/// The rule's tokens: `YYYY`, `YY`, `MM`, `DD` (today), `DEV` (this device's lot tag, see
/// [`Ledger::lot_tag`]), and a run of `N` (the sequence number, that many digits); anything else
/// is kept as it is. On an enrolled device the codes always carry the device's tag, so two
/// devices working offline never generate the same code: a rule without `DEV` gets `DEV-` before
/// its sequence number (`YYMMDD-NN` makes `261201-A3-01`). A ledger that is not enrolled has no
/// tag: `DEV` and one separator after it are left out (`261201-01`).
pub fn generate_lot(ledger: &Ledger, rule: &str, item: &str, today: NaiveDate) -> Result<String> {
    generate_code(
        ledger,
        rule,
        today,
        &format!("lot code of {item}"),
        |code| Ok(ledger.query().lot(item, code)?.is_some()),
    )
}

/// The next serial by `rule` (the lot rule's tokens) for `item` on `today` that the item does not
/// have yet and that is not in `taken` (the serials already chosen for the same batch).
pub fn generate_serial(
    ledger: &Ledger,
    rule: &str,
    item: &str,
    today: NaiveDate,
    taken: &[String],
) -> Result<String> {
    generate_code(ledger, rule, today, &format!("serial of {item}"), |code| {
        Ok(taken.iter().any(|t| t == code) || ledger.query().serial(item, code)?.is_some())
    })
}

/// The first code of `rule` on `today` that `used` says is free.
fn generate_code(
    ledger: &Ledger,
    rule: &str,
    today: NaiveDate,
    what: &str,
    used: impl Fn(&str) -> Result<bool>,
) -> Result<String> {
    let tag = ledger.lot_tag()?;
    let Some(start) = rule.find('N') else {
        return Err(Error::invalid(format!(
            "the rule '{rule}' has no N for the sequence number"
        )));
    };
    let rule = if tag.is_some() && !rule.contains("DEV") {
        format!("{}DEV-{}", &rule[..start], &rule[start..])
    } else {
        rule.to_string()
    };
    let (head, width, tail) = expand_rule(&rule, today, tag.as_deref());
    for n in 1..10u64.pow(width.min(9) as u32) {
        let code = format!("{head}{n:0width$}{tail}");
        if !used(&code)? {
            return Ok(code);
        }
    }
    Err(Error::invalid(format!(
        "every {what} the rule '{rule}' makes is used today; widen its N"
    )))
}

/// The rule with its date and device tokens filled in: the text before the sequence number,
/// the sequence number's width, and the text after it.
fn expand_rule(rule: &str, today: NaiveDate, tag: Option<&str>) -> (String, usize, String) {
    let (mut head, mut tail) = (String::new(), String::new());
    let mut width = 0;
    let mut rest = rule;
    while let Some(c) = rest.chars().next() {
        let out = if width == 0 { &mut head } else { &mut tail };
        let token = |t: &str| rest.starts_with(t);
        if token("YYYY") {
            out.push_str(&today.format("%Y").to_string());
            rest = &rest[4..];
        } else if token("YY") {
            out.push_str(&today.format("%y").to_string());
            rest = &rest[2..];
        } else if token("MM") {
            out.push_str(&today.format("%m").to_string());
            rest = &rest[2..];
        } else if token("DEV") {
            rest = &rest[3..];
            match tag {
                Some(t) => out.push_str(t),
                None => {
                    // No tag: leave out one separator after it too, not to double the one before.
                    let sep = rest.chars().next().filter(|c| !c.is_alphanumeric());
                    let before = !out.chars().last().is_some_and(|c| c.is_alphanumeric());
                    if let (Some(sep), true) = (sep, before) {
                        rest = &rest[sep.len_utf8()..];
                    }
                }
            }
        } else if token("DD") {
            out.push_str(&today.format("%d").to_string());
            rest = &rest[2..];
        } else if c == 'N' && width == 0 {
            width = rest.chars().take_while(|c| *c == 'N').count();
            rest = &rest[width..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    (head, width, tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_tag_goes_where_the_rule_says_and_disappears_without_one() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let fill = |rule, tag| {
            let (h, w, t) = expand_rule(rule, d, tag);
            format!("{h}{}{t}", "#".repeat(w))
        };
        assert_eq!(fill("YYMMDD-DEV-NN", Some("A3")), "261201-A3-##");
        assert_eq!(fill("YYMMDD-DEV-NN", None), "261201-##");
        assert_eq!(fill("DEV-YYYYMMDD-NNN", None), "20261201-###");
        assert_eq!(fill("LDDMMYY-NN", Some("B1")), "L011226-##");
    }
}
