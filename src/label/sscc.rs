//! SSCCs for pallet labels. Where they come from is behind [`SsccAllocator`]: today the ledger
//! (a GS1 Company Prefix and extension digit from the settings, serial references from this
//! database's range, each SSCC stored once); later a device allocates from the range the back
//! office gives it at enrollment, through the same trait, so devices offline for days never
//! meet.

use super::LabelError;
use crate::ledger::Ledger;

/// An 18-digit SSCC with a valid check digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sscc(String);

impl Sscc {
    pub fn parse(s: &str) -> Result<Sscc, LabelError> {
        if s.len() != 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LabelError::invalid("SSCC", s, "18 digits"));
        }
        if !crate::gtin::has_valid_check_digit(s) {
            let want = crate::gtin::check_digit(&s[..17]).unwrap_or(0);
            return Err(LabelError::invalid(
                "SSCC",
                s,
                format!("the check digit is wrong (it should be {want})"),
            ));
        }
        Ok(Sscc(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Gives out SSCCs, never the same one twice.
pub trait SsccAllocator {
    fn allocate(&mut self) -> Result<Sscc, AllocateError>;
}

#[derive(Debug, thiserror::Error)]
pub enum AllocateError {
    #[error(transparent)]
    Ledger(#[from] crate::ledger::Error),
    #[error(transparent)]
    Label(#[from] LabelError),
}

impl SsccAllocator for Ledger {
    fn allocate(&mut self) -> Result<Sscc, AllocateError> {
        Ok(Sscc::parse(&self.issue_sscc()?)?)
    }
}
