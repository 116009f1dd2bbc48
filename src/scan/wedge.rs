//! Hardware scanners that type into the app (keyboard wedge).
//!
//! Zebra and Honeywell terminals type the barcode into the focused app, often with a prefix and
//! a suffix (Enter), with the group separator sent as ASCII 29 or replaced by a configured
//! substitute (`~`, `<GS>`, ...), and sometimes with the AIM symbology identifier in front.
//! [`WedgeReader`] tells a scanner burst from a person typing by the rhythm of the keys, and turns
//! a burst into the same [`ScanEvent`] the camera produces.

use std::time::Duration;

use super::event::{ScanEvent, ScanSource};
use super::gs1::{split_aim, GS};

/// How a site's scanners are configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WedgeConfig {
    /// Characters the scanner sends before the data (stripped).
    pub prefix: String,
    /// Characters the scanner sends after the data; Enter (`\n` or `\r`) ends a scan in any case.
    pub suffix: String,
    /// What the scanner types instead of ASCII 29, if anything (`~`, `<GS>`, `^]`, ...).
    pub gs_substitutes: Vec<String>,
    /// Longest gap between two keys of one scanner burst.
    pub max_key_gap: Duration,
    /// Fewest characters a burst has (a person can type two quick keys).
    pub min_burst_len: usize,
}

impl Default for WedgeConfig {
    fn default() -> Self {
        WedgeConfig {
            prefix: String::new(),
            suffix: String::new(),
            gs_substitutes: vec!["<GS>".into(), "\\x1d".into(), "\\x1D".into()],
            max_key_gap: Duration::from_millis(35),
            min_burst_len: 4,
        }
    }
}

/// What a run of keystrokes was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WedgeInput {
    /// A scanner burst, normalised.
    Scan(ScanEvent),
    /// A person typing: the text goes to the focused field as it is.
    Typed(String),
}

/// Normalises one complete scanner transmission: prefix and suffix off, substitutes back to
/// ASCII 29, a leading AIM identifier split off.
pub fn normalize(raw: &str, config: &WedgeConfig) -> ScanEvent {
    let mut s = raw.trim_end_matches(['\r', '\n']);
    if !config.suffix.is_empty() {
        s = s.strip_suffix(config.suffix.as_str()).unwrap_or(s);
    }
    s = s.trim_end_matches(['\r', '\n']);
    if !config.prefix.is_empty() {
        s = s.strip_prefix(config.prefix.as_str()).unwrap_or(s);
    }
    let mut text = s.to_string();
    for sub in &config.gs_substitutes {
        if !sub.is_empty() {
            text = text.replace(sub.as_str(), &GS.to_string());
        }
    }
    let (aim, data) = split_aim(&text);
    ScanEvent {
        text: data.to_string(),
        symbology_id: aim.map(String::from),
        format: None,
        source: ScanSource::Wedge,
    }
}

/// Feeds keystrokes one by one with their time; yields scans and typed text.
///
/// Keys since the last pause longer than `max_key_gap` form a run. A run of at least
/// `min_burst_len` scanner-fast keys, ended by Enter, the suffix or a pause, is a scan; everything
/// else is a person typing, kept together until Enter.
#[derive(Debug, Default)]
pub struct WedgeReader {
    pub config: WedgeConfig,
    typed: String,
    run: String,
    last: Option<Duration>,
}

impl WedgeReader {
    pub fn new(config: WedgeConfig) -> WedgeReader {
        WedgeReader {
            config,
            ..Default::default()
        }
    }

    fn run_is_burst(&self) -> bool {
        self.run.chars().count() >= self.config.min_burst_len
    }

    /// Ends the current run: a burst becomes a scan (after any typing before it); otherwise the
    /// run joins the typing, which is given out only at Enter (`end_of_line`).
    fn end_run(&mut self, end_of_line: bool, out: &mut Vec<WedgeInput>) {
        if self.run_is_burst() {
            if !self.typed.is_empty() {
                out.push(WedgeInput::Typed(std::mem::take(&mut self.typed)));
            }
            out.push(WedgeInput::Scan(normalize(
                &std::mem::take(&mut self.run),
                &self.config,
            )));
        } else {
            self.typed.push_str(&std::mem::take(&mut self.run));
            if end_of_line && !self.typed.is_empty() {
                out.push(WedgeInput::Typed(std::mem::take(&mut self.typed)));
            }
        }
    }

    /// One key, `at` since any fixed origin.
    pub fn key(&mut self, c: char, at: Duration) -> Vec<WedgeInput> {
        let mut out = Vec::new();
        if let Some(last) = self.last {
            if at.saturating_sub(last) > self.config.max_key_gap {
                self.end_run(false, &mut out);
            }
        }
        self.last = Some(at);
        if c == '\n' || c == '\r' {
            self.end_run(true, &mut out);
            self.last = None;
            return out;
        }
        self.run.push(c);
        if !self.config.suffix.is_empty()
            && self.run.ends_with(self.config.suffix.as_str())
            && self.run_is_burst()
        {
            self.end_run(true, &mut out);
            self.last = None;
        }
        out
    }

    /// Call when no key came for a while: a burst without a terminator ends here.
    pub fn idle(&mut self, now: Duration) -> Vec<WedgeInput> {
        let mut out = Vec::new();
        if let Some(last) = self.last {
            if now.saturating_sub(last) > self.config.max_key_gap && self.run_is_burst() {
                self.end_run(false, &mut out);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(r: &mut WedgeReader, text: &str, start_ms: u64, gap_ms: u64) -> Vec<WedgeInput> {
        text.chars()
            .enumerate()
            .flat_map(|(i, c)| r.key(c, Duration::from_millis(start_ms + i as u64 * gap_ms)))
            .collect()
    }

    #[test]
    fn scanner_burst_with_aim_and_substitute() {
        let mut r = WedgeReader::new(WedgeConfig {
            gs_substitutes: vec!["~".into()],
            ..Default::default()
        });
        let out = feed(&mut r, "]C1010950600013435210ABC~17261231\n", 0, 5);
        assert_eq!(
            out,
            vec![WedgeInput::Scan(ScanEvent {
                text: "010950600013435210ABC\u{1d}17261231".into(),
                symbology_id: Some("]C1".into()),
                format: None,
                source: ScanSource::Wedge,
            })]
        );
    }

    #[test]
    fn a_person_typing_is_not_a_scan() {
        let mut r = WedgeReader::default();
        let out = feed(&mut r, "A-01\n", 0, 180);
        assert_eq!(out, vec![WedgeInput::Typed("A-01".into())]);
        // Two quick keys are still typing: too short for a burst.
        let out = feed(&mut r, "12\n", 10_000, 5);
        assert_eq!(out, vec![WedgeInput::Typed("12".into())]);
    }

    #[test]
    fn burst_without_terminator_ends_when_idle() {
        let mut r = WedgeReader::new(WedgeConfig {
            prefix: "@".into(),
            suffix: "#".into(),
            ..Default::default()
        });
        assert!(feed(&mut r, "@LOC-7", 0, 4).is_empty());
        assert!(r.idle(Duration::from_millis(22)).is_empty());
        match &r.idle(Duration::from_millis(200))[..] {
            [WedgeInput::Scan(e)] => assert_eq!(e.text, "LOC-7"),
            other => panic!("{other:?}"),
        }
        let out = feed(&mut r, "@SN1#", 1000, 4);
        assert!(matches!(&out[..], [WedgeInput::Scan(e)] if e.text == "SN1"));
    }

    #[test]
    fn pause_splits_typing_from_a_following_scan() {
        let mut r = WedgeReader::default();
        let mut out = feed(&mut r, "ab", 0, 150);
        out.extend(feed(&mut r, "0109506000134352\n", 1000, 3));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], WedgeInput::Typed("ab".into()));
        assert!(matches!(&out[1], WedgeInput::Scan(e) if e.text == "0109506000134352"));
    }
}
