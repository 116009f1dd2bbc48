//! The one event every scan source produces.

use serde::Serialize;

use super::symbol::{Format, Symbol};

/// Where a scan came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanSource {
    Camera,
    /// A hardware scanner typing into the app.
    Wedge,
    /// A hardware scanner's broadcast intent (Zebra DataWedge, Honeywell), raw bytes intact.
    Intent,
    /// Typed or pasted by a person, or read from a script.
    Manual,
}

/// A scan, whatever produced it: the data, and its AIM identifier when known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanEvent {
    /// The payload, ASCII 29 as group separator, without the AIM identifier.
    pub text: String,
    pub symbology_id: Option<String>,
    /// The symbology, when the source knows it (the camera does).
    pub format: Option<Format>,
    pub source: ScanSource,
}

impl ScanEvent {
    /// Data a person typed or a script gave: the AIM identifier, if any, is split off.
    pub fn manual(data: &str) -> ScanEvent {
        let (aim, text) = super::gs1::split_aim(data);
        ScanEvent {
            text: text.to_string(),
            symbology_id: aim.map(String::from),
            format: None,
            source: ScanSource::Manual,
        }
    }

    pub fn from_symbol(s: &Symbol) -> ScanEvent {
        ScanEvent {
            text: s.text.clone(),
            symbology_id: s.symbology_id.clone(),
            format: Some(s.format),
            source: ScanSource::Camera,
        }
    }

    /// The data as a scanner with AIM identifiers on would transmit it (what `gs1::parse` reads).
    pub fn transmitted(&self) -> String {
        format!(
            "{}{}",
            self.symbology_id.as_deref().unwrap_or(""),
            self.text
        )
    }
}
