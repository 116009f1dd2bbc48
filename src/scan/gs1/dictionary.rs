//! The Application Identifier table, built from GS1's Barcode Syntax Dictionary
//! (`assets/gs1/gs1-syntax-dictionary.txt`, Apache-2.0, see `assets/gs1/NOTICE`), embedded in the
//! binary and parsed once on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::linters::Linter;

const DICTIONARY: &str = include_str!("../../../assets/gs1/gs1-syntax-dictionary.txt");

/// Character sets of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cset {
    /// Digits.
    N,
    /// CSET 82.
    X,
    /// CSET 39.
    Y,
    /// CSET 64 (base64url). `=` is not one of its characters: it may only pad the end of a value
    /// (see [`Cset::padding`]).
    Z,
}

impl Cset {
    pub fn allows(self, c: u8) -> bool {
        match self {
            Cset::N => c.is_ascii_digit(),
            Cset::X => {
                c.is_ascii_alphanumeric()
                    || matches!(
                        c,
                        b'!' | b'"'
                            | b'%'
                            | b'&'
                            | b'\''
                            | b'('
                            | b')'
                            | b'*'
                            | b'+'
                            | b','
                            | b'-'
                            | b'.'
                            | b'/'
                            | b':'
                            | b';'
                            | b'<'
                            | b'='
                            | b'>'
                            | b'?'
                            | b'_'
                    )
            }
            Cset::Y => {
                c.is_ascii_digit() || c.is_ascii_uppercase() || matches!(c, b'#' | b'-' | b'/')
            }
            Cset::Z => c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_'),
        }
    }

    /// Splits a CSET 64 value into its characters and its `=` padding, or `Err(pads)` when the
    /// padding breaks GS1's rule as its syntax engine reads the General Specifications: at most
    /// two `=`, only at the end, and only where they make the length a multiple of 3. Other sets
    /// have no padding.
    pub fn padding(self, value: &str) -> Result<&str, usize> {
        if self != Cset::Z {
            return Ok(value);
        }
        let body = value.trim_end_matches('=');
        let pads = value.len() - body.len();
        if pads > 2 || (pads > 0 && value.len() % 3 != 0) {
            return Err(pads);
        }
        Ok(body)
    }

    pub fn name(self) -> &'static str {
        match self {
            Cset::N => "digits",
            Cset::X => "GS1 CSET 82 characters",
            Cset::Y => "GS1 CSET 39 characters",
            Cset::Z => "base64url characters, with '=' only as padding at the end",
        }
    }
}

/// One component of an AI's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub cset: Cset,
    /// Minimum length (equal to `max` for a fixed-length component).
    pub min: usize,
    pub max: usize,
    pub optional: bool,
    pub linters: Vec<Linter>,
}

/// `req=` and `ex=` terms: an AI, or a pattern with `n` for any digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(pub String);

impl Pattern {
    pub fn matches(&self, ai: &str) -> bool {
        self.0.len() == ai.len()
            && self
                .0
                .bytes()
                .zip(ai.bytes())
                .all(|(p, a)| p == b'n' && a.is_ascii_digit() || p == a)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiEntry {
    pub ai: String,
    /// `*`: predefined length, no FNC1 needed after it.
    pub fixed: bool,
    /// `?`: may be a Digital Link query attribute.
    pub dl_attribute: bool,
    pub components: Vec<Component>,
    /// Each `req=` key: one of its alternatives (each a list of patterns, all required) must hold.
    pub requires: Vec<Vec<Vec<Pattern>>>,
    pub excludes: Vec<Pattern>,
    /// `dlpkey`: a Digital Link primary key, with its alternative qualifier sequences.
    pub dl_key: Option<Vec<Vec<String>>>,
    pub title: String,
}

impl AiEntry {
    pub fn max_len(&self) -> usize {
        self.components.iter().map(|c| c.max).sum()
    }

    pub fn min_len(&self) -> usize {
        self.components
            .iter()
            .filter(|c| !c.optional)
            .map(|c| c.min)
            .sum()
    }
}

pub struct Dictionary {
    entries: HashMap<String, AiEntry>,
}

impl Dictionary {
    pub fn get(&self, ai: &str) -> Option<&AiEntry> {
        self.entries.get(ai)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The table, parsed once.
pub fn dictionary() -> &'static Dictionary {
    static DICT: OnceLock<Dictionary> = OnceLock::new();
    DICT.get_or_init(|| parse(DICTIONARY).expect("the embedded GS1 dictionary parses (tested)"))
}

/// A line of the dictionary that does not parse (only a changed `assets/gs1` file can cause one).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DictionaryError {
    #[error("bad component '{0}'")]
    Component(String),
    #[error("bad length in '{0}'")]
    Length(String),
    #[error("component '{component}' names the linter '{name}', which lotkeeper does not have")]
    UnknownLinter { component: String, name: String },
    #[error("line {line}: empty")]
    Empty { line: usize },
    #[error("line {line}: bad AI {ai}")]
    Ai { line: usize, ai: String },
    #[error("line {line}: {source}")]
    Line {
        line: usize,
        source: Box<DictionaryError>,
    },
}

fn component(spec: &str) -> Result<Component, DictionaryError> {
    let mut parts = spec.split(',');
    let head = parts.next().unwrap_or("");
    let optional = head.starts_with('[');
    let body = head.trim_start_matches('[').trim_end_matches(']');
    let mut chars = body.chars();
    let cset = match chars.next() {
        Some('N') => Cset::N,
        Some('X') => Cset::X,
        Some('Y') => Cset::Y,
        Some('Z') => Cset::Z,
        _ => return Err(DictionaryError::Component(spec.to_string())),
    };
    let rest = chars.as_str();
    let (min, max) = match rest.strip_prefix("..") {
        Some(n) => (
            1,
            n.parse()
                .map_err(|_| DictionaryError::Length(spec.to_string()))?,
        ),
        None => {
            let n: usize = rest
                .parse()
                .map_err(|_| DictionaryError::Length(spec.to_string()))?;
            (n, n)
        }
    };
    Ok(Component {
        cset,
        min,
        max,
        optional,
        linters: parts
            .map(|name| {
                Linter::from_name(name).ok_or_else(|| DictionaryError::UnknownLinter {
                    component: spec.to_string(),
                    name: name.to_string(),
                })
            })
            .collect::<Result<_, _>>()?,
    })
}

fn patterns(list: &str) -> Vec<Pattern> {
    list.split(',').map(|p| Pattern(p.to_string())).collect()
}

/// Parses the dictionary text. Ranges (`3100-3105`) become one entry per AI.
pub fn parse(text: &str) -> Result<Dictionary, DictionaryError> {
    let mut entries = HashMap::new();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (body, title) = match line.split_once(" # ") {
            Some((b, t)) => (b, t.trim().to_string()),
            None => (line, String::new()),
        };
        let mut tokens = body.split_whitespace().peekable();
        let ais = tokens
            .next()
            .ok_or(DictionaryError::Empty { line: n + 1 })?;
        let mut fixed = false;
        let mut dl_attribute = false;
        if let Some(flags) = tokens.peek().copied() {
            if flags
                .chars()
                .all(|c| !c.is_ascii_alphanumeric() && c != '[')
            {
                fixed = flags.contains('*');
                dl_attribute = flags.contains('?');
                tokens.next();
            }
        }
        let mut components = Vec::new();
        let mut requires = Vec::new();
        let mut excludes = Vec::new();
        let mut dl_key = None;
        for t in tokens {
            if let Some(r) = t.strip_prefix("req=") {
                requires.push(
                    r.split(',')
                        .map(|alt| alt.split('+').map(|p| Pattern(p.to_string())).collect())
                        .collect(),
                );
            } else if let Some(e) = t.strip_prefix("ex=") {
                excludes.extend(patterns(e));
            } else if t == "dlpkey" {
                dl_key = Some(vec![vec![]]);
            } else if let Some(k) = t.strip_prefix("dlpkey=") {
                dl_key = Some(
                    k.split('|')
                        .map(|seq| seq.split(',').map(String::from).collect())
                        .collect(),
                );
            } else {
                components.push(component(t).map_err(|e| DictionaryError::Line {
                    line: n + 1,
                    source: Box::new(e),
                })?);
            }
        }
        let (first, last) = match ais.split_once('-') {
            Some((a, b)) => (a, b),
            None => (ais, ais),
        };
        let bad_ai = || DictionaryError::Ai {
            line: n + 1,
            ai: ais.to_string(),
        };
        let (lo, hi): (u32, u32) = (
            first.parse().map_err(|_| bad_ai())?,
            last.parse().map_err(|_| bad_ai())?,
        );
        for v in lo..=hi {
            let ai = format!("{v:0width$}", width = first.len());
            entries.insert(
                ai.clone(),
                AiEntry {
                    ai,
                    fixed,
                    dl_attribute,
                    components: components.clone(),
                    requires: requires.clone(),
                    excludes: excludes.clone(),
                    dl_key: dl_key.clone(),
                    title: title.clone(),
                },
            );
        }
    }
    Ok(Dictionary { entries })
}

/// How many digits an AI starting with these two digits has (GS1 General Specifications).
pub fn ai_length(prefix: &str) -> Option<usize> {
    let p: u32 = prefix.get(..2)?.parse().ok()?;
    Some(match p {
        0..=22 | 30 | 37 | 90..=99 => 2,
        23..=25 | 40..=42 | 71 => 3,
        31..=36 | 39 | 43 | 70 | 72 | 80..=82 => 4,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_dictionary_parses() {
        let d = dictionary();
        assert!(d.len() > 400, "{} entries", d.len());
        let gtin = d.get("01").unwrap();
        assert!(gtin.fixed && gtin.dl_attribute);
        assert_eq!(gtin.max_len(), 14);
        assert_eq!(
            gtin.components[0].linters,
            vec![Linter::Csum, Linter::GcpPos2]
        );
        assert_eq!(gtin.dl_key.as_ref().unwrap()[0], vec!["22", "10", "21"]);
        let lot = d.get("10").unwrap();
        assert!(!lot.fixed);
        assert_eq!((lot.min_len(), lot.max_len()), (1, 20));
        assert!(d.get("3103").unwrap().excludes[0].matches("3102"));
        let count = d.get("37").unwrap();
        assert_eq!(count.requires.len(), 2);
        let potency = d.get("7004").unwrap();
        assert_eq!(potency.requires[0][0].len(), 2);
        let c423 = d.get("423").unwrap();
        assert_eq!(c423.components.len(), 5);
        assert!(c423.components[1].optional);
        assert_eq!(c423.components[1].linters, vec![Linter::Iso3166]);
    }

    #[test]
    fn every_linter_is_one_the_dictionary_uses() {
        let mut used: Vec<Linter> = Vec::new();
        for e in dictionary().entries.values() {
            for l in e.components.iter().flat_map(|c| &c.linters) {
                if !used.contains(l) {
                    used.push(*l);
                }
            }
        }
        let unused: Vec<&str> = Linter::all()
            .filter(|l| !used.contains(l))
            .map(Linter::name)
            .collect();
        assert!(
            unused.is_empty(),
            "never named by the dictionary: {unused:?}"
        );
        assert_eq!(used.len(), Linter::all().count());
    }

    #[test]
    fn an_unknown_linter_stops_the_dictionary_loading() {
        let good = "01 *? N14,csum,gcppos2 dlpkey # GTIN\n";
        assert!(parse(good).is_ok());
        let bad = "01 *? N14,csum,gcppos9 dlpkey # GTIN\n";
        let err = parse(bad).err().expect("an unknown linter is refused");
        assert!(
            matches!(&err, DictionaryError::Line { line: 1, source }
                if matches!(&**source, DictionaryError::UnknownLinter { name, .. } if name == "gcppos9")),
            "{err:?}"
        );
        assert!(err.to_string().contains("gcppos9"), "{err}");
    }

    #[test]
    fn ai_lengths() {
        assert_eq!(ai_length("01"), Some(2));
        assert_eq!(ai_length("235"), Some(3));
        assert_eq!(ai_length("3103"), Some(4));
        assert_eq!(ai_length("8006"), Some(4));
        assert_eq!(ai_length("26"), None);
    }
}
