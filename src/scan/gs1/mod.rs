//! GS1 parsing: element strings (FNC1 as ASCII 29, with or without an AIM symbology identifier),
//! the bracketed human-readable form, GS1 Digital Link URIs, and plain EAN/UPC/ITF-14 data as a
//! GTIN-14. Validation follows GS1's rules: lengths, character sets, check digits, dates, and the
//! `req`/`ex` associations. A syntax error and an association error are different things: a
//! worker may still use the lot of a label that lacks its GTIN.

pub mod dictionary;
mod digital_link;
pub mod format;
pub mod linters;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use dictionary::{ai_length, dictionary, AiEntry};

/// The group separator (FNC1 inside an element string).
pub const GS: char = '\u{1d}';

/// What kind of data a scan held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// A GS1 element string (or its bracketed human-readable form).
    Gs1,
    /// A GS1 Digital Link URI.
    DigitalLink,
    /// A bare EAN/UPC/ITF-14 number, as GTIN-14 in (01).
    Gtin,
    /// Not GS1 data at all.
    Plain,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The data breaks GS1 syntax: unknown AI, wrong length, bad character, check digit, date.
    Syntax,
    /// Each element string is valid, but they do not belong together ((10) without (01), ...).
    Association,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gs1Error {
    pub kind: ErrorKind,
    pub message: String,
}

/// The result of parsing one scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parsed {
    pub kind: DataKind,
    /// Every AI with its value, in data order (Digital Link: the path, then the query).
    pub ais: Vec<(String, String)>,
    pub errors: Vec<Gs1Error>,
    /// The AIM symbology identifier that came with the data, if any (`]C1`, `]d2`, ...).
    pub symbology_id: Option<String>,
    /// What a lenient parse let through (an old Digital Link form), in words for the worker.
    pub warnings: Vec<String>,
}

impl Parsed {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn has_syntax_errors(&self) -> bool {
        self.errors.iter().any(|e| e.kind == ErrorKind::Syntax)
    }

    pub fn get(&self, ai: &str) -> Option<&str> {
        self.ais
            .iter()
            .find(|(a, _)| a == ai)
            .map(|(_, v)| v.as_str())
    }

    /// The trade item: (01), or the contained item (02) of a logistic unit.
    pub fn gtin(&self) -> Option<&str> {
        self.get("01").or_else(|| self.get("02"))
    }

    pub fn lot(&self) -> Option<&str> {
        self.get("10")
    }

    pub fn serial(&self) -> Option<&str> {
        self.get("21")
    }

    pub fn sscc(&self) -> Option<&str> {
        self.get("00")
    }

    /// (17) use-by/expiry; DD=00 means the last day of the month.
    pub fn expiry(&self) -> Option<NaiveDate> {
        self.get("17").and_then(|v| gs1_date(v, this_year()))
    }

    /// (15) best before.
    pub fn best_before(&self) -> Option<NaiveDate> {
        self.get("15").and_then(|v| gs1_date(v, this_year()))
    }

    /// (11) production date.
    pub fn production_date(&self) -> Option<NaiveDate> {
        self.get("11").and_then(|v| gs1_date(v, this_year()))
    }

    /// (30) variable count or (37) count of trade items.
    pub fn count(&self) -> Option<i64> {
        self.get("30")
            .or_else(|| self.get("37"))
            .and_then(|v| v.parse().ok())
    }

    /// (310n) net weight in kilograms.
    pub fn net_weight_kg(&self) -> Option<f64> {
        self.ais.iter().find_map(|(a, v)| {
            let places = a.strip_prefix("310")?.parse::<i32>().ok()?;
            Some(v.parse::<f64>().ok()? / 10f64.powi(places))
        })
    }

    fn syntax(&mut self, message: impl Into<String>) {
        self.errors.push(Gs1Error {
            kind: ErrorKind::Syntax,
            message: message.into(),
        });
    }
}

fn this_year() -> i32 {
    chrono::Local::now().year()
}

/// A GS1 YYMMDD date; DD=00 is the last day of the month.
pub fn gs1_date(v: &str, this_year: i32) -> Option<NaiveDate> {
    if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = linters::century_year(v[..2].parse().ok()?, this_year);
    let month: u32 = v[2..4].parse().ok()?;
    let day: u32 = v[4..6].parse().ok()?;
    if day == 0 {
        let first_next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        return first_next.pred_opt();
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// AIM identifiers whose data is an FNC1-first GS1 element string.
const GS1_AIM: [&str; 5] = ["]C1", "]e0", "]d2", "]Q3", "]J1"];

/// Splits a leading AIM symbology identifier (`]` + letter + digit) from the data.
pub fn split_aim(data: &str) -> (Option<&str>, &str) {
    let b = data.as_bytes();
    if b.len() >= 3 && b[0] == b']' && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphanumeric() {
        (Some(&data[..3]), &data[3..])
    } else {
        (None, data)
    }
}

/// How a scan is read. The default is the standard, strictly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Accept the old Digital Link forms found on real labels (`/gtin/` and the other retired
    /// path names, a GTIN-8/12/13 without its leading zeros), each with a warning in
    /// [`Parsed::warnings`]. For the workflows on the floor; `lotkeeper parse` stays strict.
    pub lenient_digital_link: bool,
    /// The year two-digit GS1 years are read against; None for this year.
    pub year: Option<i32>,
}

/// Parses a scan, whatever form it came in, strictly.
pub fn parse(input: &str) -> Parsed {
    parse_with(input, &ParseOptions::default())
}

/// As [`parse`], with the year that two-digit GS1 years are read against.
pub fn parse_with_year(input: &str, year: i32) -> Parsed {
    parse_with(
        input,
        &ParseOptions {
            year: Some(year),
            ..ParseOptions::default()
        },
    )
}

/// As [`parse`], with options.
pub fn parse_with(input: &str, options: &ParseOptions) -> Parsed {
    let year = options.year.unwrap_or_else(this_year);
    let (aim, data) = split_aim(input);
    let mut p = Parsed {
        kind: DataKind::Plain,
        ais: vec![],
        errors: vec![],
        symbology_id: aim.map(String::from),
        warnings: vec![],
    };
    match aim {
        Some(id) if GS1_AIM.contains(&id) => {
            p.kind = DataKind::Gs1;
            // A composite's 2D part follows `|]e0` in the data of EAN/UPC and DataBar.
            let data = data.replace("|]e0", "\u{1d}");
            element_string(&mut p, data.trim_start_matches(GS), year);
        }
        Some(id) if id.starts_with("]E") => ean_upc(&mut p, id, data, year),
        _ => plain(&mut p, data, year, options.lenient_digital_link),
    }
    if p.kind != DataKind::Plain && !p.has_syntax_errors() {
        associations(&mut p);
    }
    p
}

/// How many digits an EAN/UPC symbology identifier carries (AIM / ISO/IEC 15420): `]E0` EAN-13
/// (UPC-A and UPC-E expanded to 13), `]E4` EAN-8, `]E3` EAN-13 with its 2- or 5-digit add-on,
/// `]E1`/`]E2` an add-on on its own.
fn ean_upc_lengths(id: &str) -> Option<&'static [usize]> {
    Some(match id {
        "]E0" => &[13],
        "]E1" => &[2],
        "]E2" => &[5],
        "]E3" => &[15, 18],
        "]E4" => &[8],
        _ => return None,
    })
}

/// An EAN/UPC read: exactly the digits its identifier promises, a valid check digit, and
/// optionally a composite's 2D part after `|]e0`.
fn ean_upc(p: &mut Parsed, id: &str, data: &str, year: i32) {
    let (main, cc) = match data.split_once("|]e0") {
        Some((m, c)) => (m, Some(c)),
        None => (data, None),
    };
    let Some(lengths) = ean_upc_lengths(id) else {
        p.syntax(format!("{id} is not an EAN/UPC symbology identifier"));
        return;
    };
    if !main.bytes().all(|b| b.is_ascii_digit()) || !lengths.contains(&main.len()) {
        let counts: Vec<String> = lengths.iter().map(usize::to_string).collect();
        p.syntax(format!(
            "{id} must carry {} digits, not '{main}' ({} characters)",
            counts.join(" or "),
            main.len()
        ));
        return;
    }
    // An add-on on its own carries no GTIN.
    if matches!(id, "]E1" | "]E2") {
        return;
    }
    let number = &main[..if id == "]E4" { 8 } else { 13 }];
    if let Err(e) = linters::lint(linters::Linter::Csum, number, year) {
        p.syntax(format!("'{number}' is not a valid EAN/UPC number: {e}"));
        return;
    }
    gtin_only(p, number);
    if let Some(cc) = cc {
        element_string(p, cc, year);
        p.kind = DataKind::Gs1;
    }
}

/// Data that came without a GS1 AIM identifier: bracketed, FNC1-first, a URI, a GTIN, or plain.
/// Anything that starts with '(' is bracketed GS1 data (as for GS1's syntax engine), so broken
/// bracketed input is a syntax error, never plain text.
fn plain(p: &mut Parsed, data: &str, year: i32, lenient_digital_link: bool) {
    if data.starts_with('(') {
        p.kind = DataKind::Gs1;
        bracketed(p, data, year);
    } else if let Some(rest) = data.strip_prefix(GS) {
        p.kind = DataKind::Gs1;
        element_string(p, rest, year);
    } else if digital_link::scheme_len(data).is_some() {
        let mut dl = p.clone();
        if digital_link::digital_link(&mut dl, data, year, lenient_digital_link) {
            *p = dl;
            p.kind = DataKind::DigitalLink;
        }
    } else if [8, 12, 13, 14].contains(&data.len()) && data.bytes().all(|b| b.is_ascii_digit()) {
        gtin_only(p, data);
    } else if looks_like_element_string(data) {
        // A scanner that dropped the AIM identifier: accept only when it parses cleanly.
        let mut es = p.clone();
        element_string(&mut es, data, year);
        if es.errors.is_empty() && es.ais.len() >= 2 {
            *p = es;
            p.kind = DataKind::Gs1;
        }
    }
}

fn looks_like_element_string(data: &str) -> bool {
    (data.starts_with("01") || data.starts_with("02") || data.starts_with("00"))
        && data.len() > 16
        && data
            .bytes()
            .all(|b| b == 0x1d || dictionary::Cset::X.allows(b))
}

fn gtin_only(p: &mut Parsed, digits: &str) {
    if let Ok(g) = crate::gtin::normalize_gtin(digits) {
        p.kind = DataKind::Gtin;
        p.ais.push(("01".into(), g));
    }
}

/// Reads the AI at the start of `data`, with its dictionary entry.
fn read_ai<'d>(p: &mut Parsed, data: &'d str) -> Option<(&'d str, &'static AiEntry)> {
    let Some(len) = data.get(..2).and_then(ai_length) else {
        p.syntax(format!(
            "'{}' does not start with a GS1 Application Identifier",
            data.chars().take(6).collect::<String>()
        ));
        return None;
    };
    let Some(ai) = data
        .get(..len)
        .filter(|a| a.bytes().all(|b| b.is_ascii_digit()))
    else {
        p.syntax(format!("the data ends inside an AI: '{data}'"));
        return None;
    };
    match dictionary().get(ai) {
        Some(e) => Some((ai, e)),
        None => {
            p.syntax(format!("({ai}) is not a GS1 Application Identifier"));
            None
        }
    }
}

/// An FNC1-first element string, FNC1 as ASCII 29 between variable-length fields.
fn element_string(p: &mut Parsed, data: &str, year: i32) {
    if data.is_empty() {
        p.syntax("the GS1 data is empty");
        return;
    }
    let mut rest = data;
    while !rest.is_empty() {
        let Some((ai, entry)) = read_ai(p, rest) else {
            return;
        };
        rest = &rest[ai.len()..];
        let value = if entry.fixed {
            let n = entry.max_len();
            let mut end = rest.find(GS).unwrap_or(rest.len()).min(n);
            // A character that is not ASCII (never GS1 data) stays whole, for check_value to name.
            while !rest.is_char_boundary(end) {
                end += 1;
            }
            let v = &rest[..end];
            rest = &rest[end..];
            v
        } else {
            let end = rest.find(GS).unwrap_or(rest.len());
            let v = &rest[..end];
            rest = &rest[end..];
            v
        };
        rest = rest.strip_prefix(GS).unwrap_or(rest);
        add(p, ai, entry, value, year);
    }
}

/// `(01)09506000134352(17)201225(10)ABC`; `\(` stands for a literal parenthesis in a value.
/// As strict as an element string: every element is `(AI)value` with a known AI and a value,
/// with nothing before the first element or between elements.
fn bracketed(p: &mut Parsed, data: &str, year: i32) {
    let mut rest = data;
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix('(') else {
            p.syntax(format!("unexpected text '{rest}' outside (AI)value pairs"));
            return;
        };
        let Some(close) = after.find(')') else {
            p.syntax(format!("an AI's '(' is not closed: '{rest}'"));
            return;
        };
        let ai = &after[..close];
        if ai.is_empty() {
            p.syntax("'()' holds no Application Identifier");
            return;
        }
        let Some(entry) = dictionary()
            .get(ai)
            .filter(|_| ai.bytes().all(|b| b.is_ascii_digit()))
        else {
            p.syntax(format!("({ai}) is not a GS1 Application Identifier"));
            return;
        };
        let body = &after[close + 1..];
        let mut value = String::new();
        let mut end = body.len();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if chars.peek().is_some_and(|(_, n)| *n == '(') => {
                    value.push('(');
                    chars.next();
                }
                '(' => {
                    end = i;
                    break;
                }
                c => value.push(c),
            }
        }
        if value.is_empty() {
            p.syntax(format!(
                "({ai}) {} has no value",
                entry.title.to_lowercase()
            ));
            return;
        }
        add(p, ai, entry, &value, year);
        rest = &body[end..];
    }
}

/// Validates one AI's value against its components and linters, then records it. An AI may
/// repeat with the same value (reads of several symbols on one label, joined): both are kept, as
/// GS1 keeps them. With another value it is an error: which lot would be the right one?
fn add(p: &mut Parsed, ai: &str, entry: &AiEntry, value: &str, year: i32) {
    if let Some((_, old)) = p.ais.iter().find(|(a, _)| a == ai) {
        if old != value {
            p.syntax(format!(
                "({ai}) appears twice with different values: '{old}' and '{value}'"
            ));
        } else {
            p.ais.push((ai.to_string(), value.to_string()));
        }
        return;
    }
    p.ais.push((ai.to_string(), value.to_string()));
    if let Err(e) = check_value(entry, value, year) {
        p.syntax(format!("({ai}) {}: {e}", entry.title.to_lowercase()));
    }
}

/// Why one AI's value is not what the dictionary says it must be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("the value is empty")]
    Empty,
    #[error("'{value}' is too long ({len} characters, at most {max})")]
    TooLong {
        value: String,
        len: usize,
        max: usize,
    },
    #[error("'{value}' is too short ({len} characters, {min} needed)")]
    TooShort {
        value: String,
        len: usize,
        min: usize,
    },
    #[error("character '{character}' is not allowed (only {allowed})")]
    Character {
        /// The character as Rust escapes it (`\u{1d}` for a control character).
        character: String,
        allowed: &'static str,
    },
    #[error("'{part}': {source}")]
    Lint {
        part: String,
        source: linters::LintError,
    },
    #[error("'{value}' is too long")]
    Trailing { value: String },
    #[error("'{value}' ends with {left} of the {need} characters its last part needs")]
    CutPart {
        value: String,
        left: usize,
        need: usize,
    },
    #[error(
        "'{part}': {pads} '=' at its end; base64url padding is at most two '=', \
         making the length a multiple of 3"
    )]
    Padding { part: String, pads: usize },
}

fn check_value(entry: &AiEntry, value: &str, year: i32) -> Result<(), ValueError> {
    if value.is_empty() {
        return Err(ValueError::Empty);
    }
    // Every GS1 character set is ASCII; past this, lengths are characters and slices are safe.
    // Everything before the first other character is ASCII, so its byte offset counts characters
    // and finds the component it falls in (each takes at most its maximum).
    if let Some((at, bad)) = value.char_indices().find(|(_, c)| !c.is_ascii()) {
        let mut end = 0;
        let part = entry
            .components
            .iter()
            .find(|c| {
                end += c.max;
                at < end
            })
            .or(entry.components.last());
        return Err(ValueError::Character {
            character: bad.to_string(),
            allowed: part.map_or("GS1 characters", |c| c.cset.name()),
        });
    }
    if value.len() > entry.max_len() {
        return Err(ValueError::TooLong {
            value: value.to_string(),
            len: value.len(),
            max: entry.max_len(),
        });
    }
    let mut pos = 0;
    for c in &entry.components {
        let left = value.len() - pos;
        if left == 0 && c.optional {
            break;
        }
        let take = if c.min == c.max {
            c.max
        } else {
            left.min(c.max)
        };
        if left < take || take < c.min {
            if c.optional {
                // Long enough in all, but an optional part is cut: say so, not "too short".
                return Err(ValueError::CutPart {
                    value: value.to_string(),
                    left,
                    need: c.min,
                });
            }
            return Err(ValueError::TooShort {
                value: value.to_string(),
                len: value.len(),
                min: entry.min_len(),
            });
        }
        let part = &value[pos..pos + take];
        let body = c.cset.padding(part).map_err(|pads| ValueError::Padding {
            part: part.to_string(),
            pads,
        })?;
        if let Some(bad) = body.bytes().find(|b| !c.cset.allows(*b)) {
            return Err(ValueError::Character {
                character: (bad as char).escape_default().to_string(),
                allowed: c.cset.name(),
            });
        }
        for l in &c.linters {
            linters::lint(*l, part, year).map_err(|source| ValueError::Lint {
                part: part.to_string(),
                source,
            })?;
        }
        pos += take;
    }
    if pos < value.len() {
        return Err(ValueError::Trailing {
            value: value.to_string(),
        });
    }
    Ok(())
}

fn list(patterns: &[dictionary::Pattern]) -> String {
    patterns
        .iter()
        .map(|p| format!("({})", p.0))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// AIs that must carry their optional serial component beside a digital signature (8030).
const DIGSIG_SERIALISED: [&str; 3] = ["253", "255", "8003"];

/// `req` and `ex` between the AIs present (an AI never satisfies nor excludes itself), and GS1's
/// rule that a digital signature (8030) signs only a serialised GDTI, GCN or GRAI.
fn associations(p: &mut Parsed) {
    let mut present: Vec<&str> = Vec::new();
    for (a, _) in &p.ais {
        if !present.contains(&a.as_str()) {
            present.push(a);
        }
    }
    let mut errors = Vec::new();
    for ai in &present {
        let Some(entry) = dictionary().get(ai) else {
            continue;
        };
        let others = || present.iter().filter(|a| *a != ai);
        for req in &entry.requires {
            let met = req
                .iter()
                .any(|alt| alt.iter().all(|pat| others().any(|a| pat.matches(a))));
            if !met {
                let options: Vec<String> = req.iter().map(|alt| list(alt)).collect();
                errors.push(format!(
                    "({ai}) needs {}{}",
                    if options.len() > 1 { "one of " } else { "" },
                    options.join(", ")
                ));
            }
        }
        for ex in &entry.excludes {
            if let Some(other) = others().find(|a| ex.matches(a)) {
                errors.push(format!("({ai}) cannot appear together with ({other})"));
            }
        }
    }
    if present.contains(&"8030") {
        for ai in DIGSIG_SERIALISED {
            let Some(value) = p.get(ai) else { continue };
            if dictionary()
                .get(ai)
                .is_some_and(|e| value.len() == e.min_len())
            {
                errors.push(format!(
                    "({ai}) needs its serial component when a digital signature (8030) signs it"
                ));
            }
        }
    }
    p.errors.extend(errors.into_iter().map(|message| Gs1Error {
        kind: ErrorKind::Association,
        message,
    }));
}

/// Whether the bracketed form is structurally sound: every AI is known and every predefined-length
/// AI has exactly its length. Content (character sets, check digits) is not judged here.
pub fn hri_is_well_formed(hri: &str) -> bool {
    hri_pairs(hri).is_some_and(|pairs| {
        pairs.iter().all(|(ai, v)| match dictionary().get(ai) {
            Some(e) => !e.fixed || v.len() == e.max_len(),
            None => false,
        })
    })
}

/// `(ai)value` pairs of the bracketed form, values as they are.
fn hri_pairs(hri: &str) -> Option<Vec<(&str, &str)>> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut rest = hri.strip_prefix('(')?;
    loop {
        let close = rest.find(')')?;
        let ai = &rest[..close];
        if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let after = &rest[close + 1..];
        // The value runs to the next "(digits)", or to the end.
        let mut end = after.len();
        for (i, _) in after.match_indices('(') {
            let tail = &after[i + 1..];
            if let Some(c) = tail.find(')') {
                if (2..=4).contains(&c) && tail[..c].bytes().all(|b| b.is_ascii_digit()) {
                    end = i;
                    break;
                }
            }
        }
        pairs.push((ai, &after[..end]));
        if end == after.len() {
            return Some(pairs);
        }
        rest = &after[end + 1..];
    }
}

/// Turns an element string (FNC1 as ASCII 29 after a variable-length value) into the bracketed
/// form, splitting it by the dictionary's AIs and their predefined lengths. Purely structural,
/// like [`hri_to_element_string`]; None when an AI is unknown, a predefined-length value is cut
/// short or a value is empty.
pub fn element_string_to_hri(es: &str) -> Option<String> {
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut rest = es;
    while !rest.is_empty() {
        let len = ai_length(rest.get(..2)?)?;
        let ai = rest.get(..len)?;
        let entry = dictionary().get(ai)?;
        rest = &rest[len..];
        let end = rest.find(GS).unwrap_or(rest.len());
        let end = if entry.fixed {
            let n = entry.max_len();
            if end < n {
                return None;
            }
            n
        } else {
            end
        };
        if end == 0 {
            return None;
        }
        pairs.push((ai, &rest[..end]));
        rest = &rest[end..];
        rest = rest.strip_prefix(GS).unwrap_or(rest);
    }
    (!pairs.is_empty()).then(|| format::bracketed(&pairs))
}

/// Turns the bracketed form `(01)…(10)…` into an element string: AIs concatenated, ASCII 29 after
/// each variable-length value but the last. Purely structural: the values are kept as they are
/// (validation is `parse`'s job). None when the text is not `(digits)value` pairs.
pub fn hri_to_element_string(hri: &str) -> Option<String> {
    hri_pairs(hri).map(|pairs| format::element_string(&pairs))
}

#[cfg(test)]
mod tests;
