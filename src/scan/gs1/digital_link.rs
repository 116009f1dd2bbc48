//! GS1 Digital Link URIs (GS1 Digital Link URI Syntax 1.4/1.5): scheme (`http`/`https` in lower or
//! upper case, not mixed) and host, the path's
//! primary key and its qualifiers in `dlpkey` order, the query's data attributes.
//!
//! A URI whose path holds a primary key (or one of the old alphabetic names for one) followed
//! by a value is Digital Link: if it then breaks a rule, that is a syntax error, not plain text.
//! A URI with no GS1 key in its path is plain data. The old forms found on real labels (the
//! `/gtin/` style names, GTIN-8/12/13 without their leading zeros) are refused unless the caller
//! asks for leniency, and then each one leaves a warning.

use super::dictionary::{dictionary, AiEntry};
use super::{add, Parsed};

/// The retired alphabetic path names (the "convenience alphas" of Digital Link 1.0/1.1) and
/// the AI each stood for.
const ALIASES: [(&str, &str); 22] = [
    ("cpid", "8010"),
    ("cpsn", "8011"),
    ("cpv", "22"),
    ("gcn", "255"),
    ("gdti", "253"),
    ("giai", "8004"),
    ("ginc", "401"),
    ("gln", "414"),
    ("glnx", "254"),
    ("gmn", "8013"),
    ("grai", "8003"),
    ("gsin", "402"),
    ("gsrn", "8018"),
    ("gsrnp", "8017"),
    ("gtin", "01"),
    ("itip", "8006"),
    ("lot", "10"),
    ("party", "417"),
    ("refno", "8020"),
    ("ser", "21"),
    ("srin", "8019"),
    ("sscc", "00"),
];

/// Characters a URI may hold at all (RFC 3986 reserved and unreserved, and `%`).
fn uri_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&c)
}

/// The length of a leading `http://` or `https://`, in any letter case.
pub(super) fn scheme_len(data: &str) -> Option<usize> {
    ["https://", "http://"].iter().find_map(|s| {
        data.get(..s.len())
            .filter(|head| head.eq_ignore_ascii_case(s))
            .map(|_| s.len())
    })
}

/// Undoes %-escapes (and `+` for a space in the query). None for a bad escape or a NUL.
fn percent_decode(s: &str, query: bool) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                let byte = u8::from_str_radix(hex, 16).ok()?;
                if byte == 0 {
                    return None;
                }
                out.push(byte);
                i += 3;
            }
            b'+' if query => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// %-escapes everything but the unreserved characters, so a value survives any URI position.
pub(super) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Why the authority (host and port) of a Digital Link is malformed, if it is.
fn host_problem(authority: &str) -> Option<String> {
    if authority.contains('@') {
        return Some("a Digital Link may not carry user information ('@') before its host".into());
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let Some(close) = inner.find(']') else {
            return Some(format!(
                "the host '{authority}' opens '[' and never closes it"
            ));
        };
        let literal = &inner[..close];
        if !ip_literal(literal) {
            return Some(format!("'[{literal}]' is not an IPv6 address"));
        }
        (&authority[..close + 2], &inner[close + 1..])
    } else {
        match authority.find(':') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        }
    };
    if host.is_empty() {
        return Some("the Digital Link has no host name".into());
    }
    if !host.starts_with('[') {
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '.'))
        {
            return Some(format!(
                "the host '{host}' holds '{bad}': a host name is letters, digits, '-' and '.'"
            ));
        }
    }
    if let Some(p) = port.strip_prefix(':') {
        // RFC 3986 allows an empty port; a number must fit in 16 bits.
        let too_big = p.parse::<u32>().map_or(!p.is_empty(), |n| n > 65535);
        if !p.bytes().all(|b| b.is_ascii_digit()) || too_big {
            return Some(format!(
                "'{p}' after the host '{host}' is not a port number"
            ));
        }
    } else if !port.is_empty() {
        return Some(format!("unexpected '{port}' after the host '{host}'"));
    }
    None
}

/// An RFC 3986 IP-literal between the brackets: an IPv6 address (no zone) or `vX.…` (IPvFuture).
fn ip_literal(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix(['v', 'V']) {
        return match rest.split_once('.') {
            Some((ver, tail)) => {
                !ver.is_empty()
                    && ver.bytes().all(|b| b.is_ascii_hexdigit())
                    && !tail.is_empty()
                    && tail
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:".contains(&b))
            }
            None => false,
        };
    }
    s.parse::<std::net::Ipv6Addr>().is_ok()
}

/// An AI named by a path segment: its number, or (an old form) its alphabetic name.
struct PathAi {
    ai: &'static str,
    entry: &'static AiEntry,
    alias: Option<&'static str>,
}

fn path_ai(segment: &str) -> Option<PathAi> {
    let (ai, alias) = match ALIASES.iter().find(|(name, _)| *name == segment) {
        Some((name, ai)) => (*ai, Some(*name)),
        None if segment.bytes().all(|b| b.is_ascii_digit()) => (segment, None),
        None => return None,
    };
    let entry = dictionary().get(ai)?;
    Some(PathAi {
        ai: entry.ai.as_str(),
        entry,
        alias,
    })
}

/// Whether `qualifiers` (after the key) follow one of the key's `dlpkey` sequences in order.
pub(super) fn qualifiers_fit(key: &AiEntry, qualifiers: &[&str]) -> bool {
    let Some(sequences) = key.dl_key.as_ref() else {
        return false;
    };
    sequences.iter().any(|seq| {
        let mut pos = 0;
        qualifiers
            .iter()
            .all(|q| match seq[pos..].iter().position(|s| s == q) {
                Some(i) => {
                    pos += i + 1;
                    true
                }
                None => false,
            })
    })
}

/// A GTIN value as the standard wants it (14 digits), or the old short form: padded with a
/// warning when lenient, a syntax error when strict.
fn gtin_form(p: &mut Parsed, ai: &str, value: String, lenient: bool) -> Option<String> {
    if ai != "01"
        || !value.bytes().all(|b| b.is_ascii_digit())
        || ![8, 12, 13].contains(&value.len())
    {
        return Some(value);
    }
    let padded = format!("{value:0>14}");
    if lenient {
        p.warnings.push(format!(
            "old-style label: GTIN {value} is printed without its leading zeros; read as {padded}"
        ));
        Some(padded)
    } else {
        p.syntax(format!(
            "the GTIN in a Digital Link must have 14 digits: '{value}' has {} (write {padded})",
            value.len()
        ));
        None
    }
}

/// A Digital Link URI on any domain. Returns false when the URI holds no GS1 primary key (then it
/// is plain data, not an error).
pub(super) fn digital_link(p: &mut Parsed, uri: &str, year: i32, lenient: bool) -> bool {
    let Some(scheme) = scheme_len(uri) else {
        return false;
    };
    let rest = &uri[scheme..];
    let without_fragment = rest.split('#').next().unwrap_or("");
    let (authority_path, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let (authority, path) = match authority_path.find('/') {
        Some(i) => authority_path.split_at(i),
        None => (authority_path, ""),
    };
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    // Digital Link or not: some path segment names a primary key and a value follows it.
    let Some(first_key) = segments.iter().enumerate().position(|(i, s)| {
        i + 1 < segments.len() && path_ai(s).is_some_and(|a| a.entry.dl_key.is_some())
    }) else {
        return false;
    };
    if let Some(bad) = uri.bytes().find(|b| !uri_char(*b)) {
        p.syntax(format!(
            "the Digital Link holds {:?}, which a URI may not (it must be %-escaped)",
            bad as char
        ));
        return true;
    }
    // GS1 allows the scheme in lower case, or in upper case (QR's alphanumeric mode), not mixed.
    let name = &uri[..scheme - "://".len()];
    if name.bytes().any(|b| b.is_ascii_lowercase()) && name.bytes().any(|b| b.is_ascii_uppercase())
    {
        if lenient {
            p.warnings.push(format!(
                "odd label: the scheme '{name}' mixes upper and lower case; read as '{}'",
                name.to_ascii_lowercase()
            ));
        } else {
            p.syntax(format!(
                "the scheme '{name}' mixes upper and lower case: a Digital Link starts with \
                 http(s):// or HTTP(S)://"
            ));
            return true;
        }
    }
    if let Some(problem) = host_problem(authority) {
        p.syntax(problem);
        return true;
    }
    if segments[first_key..].iter().any(|s| s.is_empty()) {
        p.syntax(format!(
            "the Digital Link path has an empty segment ('//' or a trailing '/'): {path}"
        ));
        return true;
    }
    // The GS1 part: /AI/value pairs from the end back to the rightmost primary key.
    let mut start = None;
    let mut j = segments.len();
    while j >= 2 {
        match path_ai(segments[j - 2]) {
            Some(a) if a.entry.dl_key.is_some() => {
                start = Some(j - 2);
                break;
            }
            Some(_) => j -= 2,
            None => break,
        }
    }
    let Some(start) = start else {
        p.syntax(format!(
            "the Digital Link path after /{}/ is not /AI/value pairs: {path}",
            segments[first_key]
        ));
        return true;
    };
    let mut path_ais: Vec<&'static str> = Vec::new();
    for pair in segments[start..].chunks(2) {
        let a = path_ai(pair[0]).expect("walked over above");
        if let Some(alias) = a.alias {
            if lenient {
                p.warnings.push(format!(
                    "old-style label: '/{alias}/' is the retired name of ({}); read as ({})",
                    a.ai, a.ai
                ));
            } else {
                p.syntax(format!(
                    "'/{alias}/' is a retired Digital Link name: the path must say /{}/",
                    a.ai
                ));
                return true;
            }
        }
        if path_ais.contains(&a.ai) {
            p.syntax(format!("({}) appears twice in the Digital Link path", a.ai));
            return true;
        }
        let Some(value) = percent_decode(pair[1], false) else {
            p.syntax(format!("the value of ({}) has a bad %-escape", a.ai));
            return true;
        };
        let Some(value) = gtin_form(p, a.ai, value, lenient) else {
            return true;
        };
        path_ais.push(a.ai);
        add(p, a.ai, a.entry, &value, year);
    }
    let key = path_ais[0];
    let key_entry = dictionary()
        .get(key)
        .expect("a path AI is in the dictionary");
    if !qualifiers_fit(key_entry, &path_ais[1..]) {
        p.syntax(format!(
            "the Digital Link qualifiers after ({key}) are not allowed in this order: {}",
            path_ais[1..].join(", ")
        ));
    }
    let mut query_ais: Vec<&'static str> = Vec::new();
    for param in query.split('&').filter(|s| !s.is_empty()) {
        // A parameter without '=', or with a key that is not all digits, is not GS1 data
        // (linkType, context, ...): the standard says to ignore it.
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Some(entry) = dictionary().get(k) else {
            p.syntax(format!(
                "({k}) in the Digital Link query is not a GS1 Application Identifier"
            ));
            continue;
        };
        let ai = entry.ai.as_str();
        if path_ais.contains(&ai) {
            p.syntax(format!(
                "({ai}) is in the Digital Link path and again in its query"
            ));
            continue;
        }
        if query_ais.contains(&ai) {
            p.syntax(format!("({ai}) appears twice in the Digital Link query"));
            continue;
        }
        query_ais.push(ai);
        if !entry.dl_attribute {
            p.syntax(format!("({ai}) may not be a Digital Link query attribute"));
            continue;
        }
        let belongs_in_path = (1..=path_ais.len()).any(|at| {
            let mut seq = path_ais[1..].to_vec();
            seq.insert(at - 1, ai);
            qualifiers_fit(key_entry, &seq)
        });
        if belongs_in_path {
            p.syntax(format!(
                "({ai}) qualifies ({key}): it belongs in the Digital Link path, not the query"
            ));
            continue;
        }
        if v.is_empty() {
            p.syntax(format!("({ai}) in the Digital Link query has no value"));
            continue;
        }
        let Some(value) = percent_decode(v, true) else {
            p.syntax(format!("the value of ({ai}) has a bad %-escape"));
            continue;
        };
        let Some(value) = gtin_form(p, ai, value, lenient) else {
            continue;
        };
        add(p, ai, entry, &value, year);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::{parse_with, DataKind, ErrorKind, ParseOptions, Parsed};

    const GTIN: &str = "09506000134352";

    fn strict(uri: &str) -> Parsed {
        parse_with(
            uri,
            &ParseOptions {
                year: Some(2026),
                ..ParseOptions::default()
            },
        )
    }

    fn lenient(uri: &str) -> Parsed {
        parse_with(
            uri,
            &ParseOptions {
                year: Some(2026),
                lenient_digital_link: true,
            },
        )
    }

    /// Read as a valid Digital Link.
    fn accepted(uri: &str) -> Parsed {
        let p = strict(uri);
        assert_eq!(p.kind, DataKind::DigitalLink, "{uri}");
        assert!(p.ok(), "{uri}: {:?}", p.errors);
        assert!(p.warnings.is_empty(), "{uri}: {:?}", p.warnings);
        p
    }

    /// Read as a Digital Link with a syntax error that says `why`.
    fn refused(uri: &str, why: &str) {
        let p = strict(uri);
        assert_eq!(p.kind, DataKind::DigitalLink, "{uri} is Digital Link");
        let e = p
            .errors
            .iter()
            .find(|e| e.kind == ErrorKind::Syntax)
            .unwrap_or_else(|| panic!("{uri}: no syntax error"));
        assert!(e.message.contains(why), "{uri}: {}", e.message);
    }

    #[test]
    fn scheme_is_http_or_https_in_either_case() {
        accepted(&format!("HTTPS://ID.GS1.ORG/01/{GTIN}"));
        accepted(&format!("http://id.gs1.org/01/{GTIN}"));
        // Mixed case is neither: a syntax error, read with a warning under leniency.
        refused(
            &format!("Https://id.gs1.org/01/{GTIN}"),
            "mixes upper and lower case",
        );
        let odd = lenient(&format!("hTTp://id.gs1.org/01/{GTIN}"));
        assert!(odd.ok(), "{:?}", odd.errors);
        assert_eq!(odd.warnings.len(), 1, "{:?}", odd.warnings);
        assert!(odd.warnings[0].contains("'hTTp'"), "{}", odd.warnings[0]);
        assert_eq!(
            lenient(&format!("Https://id.gs1.org/01/{GTIN}"))
                .warnings
                .len(),
            1
        );
        // With no GS1 key in its path it is no Digital Link at all: plain data, in any case.
        assert_eq!(strict("Https://example.com/about").kind, DataKind::Plain);
        let ftp = strict(&format!("ftp://id.gs1.org/01/{GTIN}"));
        assert_eq!(ftp.kind, DataKind::Plain);
    }

    #[test]
    fn host_follows_rfc_3986() {
        for host in [
            "example.com:8443",
            "192.0.2.1",
            "[2001:db8::1]",
            "[2001:db8::1]:443",
            "xn--fsq.xn--0zwm56d",
            "shop.example.",
        ] {
            accepted(&format!("https://{host}/01/{GTIN}"));
        }
        for (host, why) in [
            ("", "no host name"),
            ("exa mple.com", "' '"),
            ("example.com:80:80", "not a port number"),
            ("example.com:99999", "not a port number"),
            ("example.com:12345678901", "not a port number"),
            ("ex_ample.com", "holds '_'"),
            ("user@example.com", "user information"),
            ("[fe80::1%25lo]", "not an IPv6 address"),
            ("[2001:db8::1", "never closes"),
        ] {
            refused(&format!("https://{host}/01/{GTIN}"), why);
        }
    }

    #[test]
    fn qualifiers_follow_the_keys_dlpkey_order() {
        let p = accepted(&format!("https://example.com/01/{GTIN}/22/V1/10/L1/21/S1"));
        assert_eq!(p.serial(), Some("S1"));
        accepted("https://example.com/414/9506000134369/254/EXT");
        refused(
            &format!("https://example.com/01/{GTIN}/21/S1/10/L1"),
            "not allowed in this order",
        );
        // The two alternative sequences of (01) do not mix.
        refused(
            &format!("https://example.com/01/{GTIN}/10/L1/235/T1"),
            "not allowed in this order",
        );
    }

    #[test]
    fn a_stem_may_come_before_the_key() {
        let p = accepted(&format!("https://example.com/shop/item/01/{GTIN}/10/L1"));
        assert_eq!(p.lot(), Some("L1"));
        // An AI in the stem is stem: the rightmost key starts the GS1 part.
        let p = accepted(&format!("https://example.com/00/faux/01/{GTIN}"));
        assert_eq!(p.sscc(), None);
    }

    #[test]
    fn no_empty_path_segments_in_the_gs1_part() {
        accepted(&format!("https://example.com//stem/01/{GTIN}/10/L1"));
        refused(
            &format!("https://example.com/01/{GTIN}//10/L1"),
            "empty segment",
        );
        refused(&format!("https://example.com/01/{GTIN}/"), "empty segment");
    }

    #[test]
    fn no_repeated_attributes() {
        accepted(&format!(
            "https://example.com/01/{GTIN}/10/L1?17=261231&15=261201"
        ));
        refused(
            &format!("https://example.com/01/{GTIN}/10/L1?17=261231&17=261231"),
            "twice in the Digital Link query",
        );
        refused(
            "https://example.com/00/106141412345678908?00=106141412345678908",
            "in the Digital Link path and again in its query",
        );
    }

    #[test]
    fn query_attributes_are_dl_attribute_ais_and_other_keys_are_ignored() {
        let p = accepted(&format!(
            "https://example.com/01/{GTIN}?linkType=gs1:pip&3103=000750&context"
        ));
        assert_eq!(p.ais.len(), 2);
        refused(
            &format!("https://example.com/01/{GTIN}?8020=R1"),
            "may not be a Digital Link query attribute",
        );
        refused(
            &format!("https://example.com/01/{GTIN}?9999=X"),
            "not a GS1 Application Identifier",
        );
        refused(
            &format!("https://example.com/01/{GTIN}?17="),
            "has no value",
        );
    }

    #[test]
    fn a_qualifier_belongs_in_the_path() {
        accepted("https://example.com/00/106141412345678908?02=09506000134352&37=4&10=L1");
        refused(
            &format!("https://example.com/01/{GTIN}?10=L1"),
            "belongs in the Digital Link path",
        );
    }

    #[test]
    fn gtins_have_14_digits_unless_lenient() {
        accepted(&format!("https://example.com/01/{GTIN}"));
        refused(
            "https://example.com/01/9506000134352",
            "must have 14 digits",
        );
        let p = lenient("https://example.com/01/9506000134352");
        assert!(p.ok(), "{:?}", p.errors);
        assert_eq!(p.gtin(), Some(GTIN));
        assert_eq!(p.warnings.len(), 1);
        assert!(p.warnings[0].contains("without its leading zeros"));
    }

    #[test]
    fn retired_path_names_only_when_lenient() {
        refused(
            &format!("https://example.com/gtin/{GTIN}/lot/L1"),
            "retired Digital Link name",
        );
        let p = lenient(&format!("https://example.com/gtin/{GTIN}/lot/L1"));
        assert!(p.ok(), "{:?}", p.errors);
        assert_eq!(p.gtin(), Some(GTIN));
        assert_eq!(p.lot(), Some("L1"));
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
        assert!(p.warnings[0].contains("'/gtin/'"));
        // Both old forms at once: a GTIN-13 under /gtin/.
        let p = lenient("https://example.com/gtin/9506000134352");
        assert_eq!((p.gtin(), p.warnings.len()), (Some(GTIN), 2));
    }

    #[test]
    fn looks_like_digital_link_but_broken_is_a_syntax_error() {
        refused(
            &format!("https://example.com/01/{GTIN}/foo/bar"),
            "not /AI/value pairs",
        );
        refused(
            &format!("https://example.com/01/{GTIN}/10"),
            "not /AI/value pairs",
        );
        refused(
            &format!("https://example.com/01/{GTIN}/10/A%zz"),
            "bad %-escape",
        );
        refused(
            &format!("https://example.com/01/{GTIN}/10/A%00"),
            "bad %-escape",
        );
        for plain in [
            "https://example.com/products/123",
            "https://example.com/01",
            "https://example.com/",
            "https://example.com",
        ] {
            let p = strict(plain);
            assert_eq!(p.kind, DataKind::Plain, "{plain}");
            assert!(p.ok());
        }
    }

    #[test]
    fn values_are_percent_decoded() {
        let p = accepted(&format!("https://example.com/01/{GTIN}/10/A%2FB?90=x%2By"));
        assert_eq!(p.lot(), Some("A/B"));
        assert_eq!(p.get("90"), Some("x+y"));
    }
}
