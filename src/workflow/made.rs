//! What a build or a split makes: one serial per unit (scanned, typed, pasted or generated), and
//! the labels offered once it is recorded. Shared by `assemble` and `split`. And the packing slip
//! of a shipped pick list, saved as PDF (`pick` once it ships, `lookup` again later).

use super::settings::generate_serial;
use super::{say, Outcome};
use crate::label::print::{self as labels, Receipt};
use crate::ledger::validate::{field, Field};
use crate::ledger::Ledger;

/// `have` and the serials in `text` (scanned, typed, or pasted: several separated by spaces,
/// commas, semicolons or lines), for at most `units` new units of `sku`. Refused, taking none of
/// them, when one is malformed, given twice, already a unit of `sku`, or more than are wanted.
pub(crate) fn add_serials(
    ledger: &Ledger,
    sku: &str,
    have: &[String],
    units: i64,
    text: &str,
) -> Result<Vec<String>, Outcome> {
    let given: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|s| !s.is_empty())
        .collect();
    if given.is_empty() {
        return Err(Outcome::refused("scan or type a serial"));
    }
    let wanted = (units.max(0) as usize).saturating_sub(have.len());
    if given.len() > wanted {
        return Err(Outcome::refused(format!(
            "{wanted} more serial(s) are wanted, {} given: nothing taken",
            given.len()
        )));
    }
    let mut out = have.to_vec();
    for s in given {
        if let Err(e) = field(Field::Serial, s) {
            return Err(Outcome::refused(say(&e)));
        }
        if out.iter().any(|o| o == s) {
            return Err(Outcome::refused(format!(
                "serial {s} is given twice: nothing taken"
            )));
        }
        if let Ok(Some(_)) = ledger.query().serial(sku, s) {
            return Err(Outcome::refused(format!(
                "{sku} already has a unit with serial {s}: nothing taken"
            )));
        }
        out.push(s.to_string());
    }
    Ok(out)
}

/// Serials by the serial `rule` for the units of `sku` that have none yet.
pub(crate) fn generate_serials(
    ledger: &Ledger,
    rule: &str,
    sku: &str,
    have: &mut Vec<String>,
    units: i64,
) -> Result<(), Outcome> {
    while (have.len() as i64) < units {
        let s = generate_serial(ledger, rule, sku, ledger.today(), have)
            .map_err(|e| Outcome::refused(say(&e)))?;
        have.push(s);
    }
    Ok(())
}

/// Queues the labels of what `workflow` last recorded for its printer: one per serial, else
/// one per unit. Once queued they are no longer offered (`made` becomes None).
pub(crate) fn print_labels(
    ledger: &mut Ledger,
    workflow: &str,
    made: &mut Option<Receipt>,
) -> Outcome {
    let Some(r) = made.as_ref() else {
        return Outcome::refused(format!("the {workflow} has recorded nothing to label yet"));
    };
    match labels::for_receipt(r).and_then(|req| labels::queue(ledger, workflow, &req)) {
        Ok(q) => {
            *made = None;
            Outcome::accepted().with_message(Some(format!(
                "{} label(s) to {}: printing",
                q.labels, q.printer
            )))
        }
        Err(e) => Outcome::refused(e),
    }
}

/// The choice that saves a shipped pick list's packing slip.
pub const PACKING_SLIP: &str = "packing slip";

/// Saves the packing slip of pick list `number` as PDF in the device's documents folder and
/// says where. Refused, saying why, when the list has not shipped or there is no folder.
pub(crate) fn save_packing_slip(ledger: &Ledger, number: &str) -> Outcome {
    let slip = match ledger.packing_slip(number) {
        Ok(s) => s,
        Err(e) => return Outcome::refused(say(&e)),
    };
    let Some(dir) = ledger.documents_dir() else {
        return Outcome::refused(
            "this database is in memory: there is no folder to save the packing slip in",
        );
    };
    let path = dir.join(crate::export::slip::file_name(number));
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, crate::export::slip::pdf(&slip)));
    match written {
        Ok(()) => Outcome::accepted().with_message(Some(format!(
            "packing slip of {number} saved: {}",
            path.display()
        ))),
        Err(e) => Outcome::refused(format!(
            "the packing slip could not be saved in {}: {e}",
            dir.display()
        )),
    }
}
