//! GS1 Digital Link URIs: the path's primary key and qualifiers, the query's attributes.

use super::dictionary::dictionary;
use super::{add, Parsed};

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A Digital Link URI on any domain. Returns false when the URI holds no GS1 primary key (then it
/// is plain data, not an error).
pub(super) fn digital_link(p: &mut Parsed, uri: &str, year: i32) -> bool {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, r)| r);
    let without_fragment = after_scheme.split('#').next().unwrap_or("");
    let (host_path, query) = match without_fragment.split_once('?') {
        Some((a, q)) => (a, q),
        None => (without_fragment, ""),
    };
    let segments: Vec<&str> = host_path
        .split('/')
        .skip(1)
        .filter(|s| !s.is_empty())
        .collect();
    let Some(start) = segments.iter().enumerate().position(|(i, s)| {
        i + 1 < segments.len() && dictionary().get(s).is_some_and(|e| e.dl_key.is_some())
    }) else {
        return false;
    };
    let pairs = &segments[start..];
    if pairs.len() % 2 != 0 {
        p.syntax(format!(
            "the Digital Link path ends with an AI and no value: /{}",
            pairs.join("/")
        ));
        return true;
    }
    let key = pairs[0];
    let mut qualifiers = Vec::new();
    for pair in pairs.chunks(2) {
        let (ai, raw) = (pair[0], pair[1]);
        let Some(entry) = dictionary().get(ai) else {
            p.syntax(format!(
                "({ai}) in the Digital Link path is not a GS1 Application Identifier"
            ));
            return true;
        };
        let Some(mut value) = percent_decode(raw) else {
            p.syntax(format!("the value of ({ai}) has a bad %-escape"));
            return true;
        };
        if ai == "01" && [8, 12, 13].contains(&value.len()) {
            value = format!("{value:0>14}");
        }
        if ai != key {
            qualifiers.push(ai.to_string());
        }
        add(p, ai, entry, &value, year);
    }
    if let Some(sequences) = dictionary().get(key).and_then(|e| e.dl_key.as_ref()) {
        let fits = sequences.iter().any(|seq| {
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
        });
        if !fits {
            p.syntax(format!(
                "the Digital Link qualifiers after ({key}) are not allowed in this order: {}",
                qualifiers.join(", ")
            ));
        }
    }
    for param in query.split('&').filter(|s| !s.is_empty()) {
        let (k, v) = param.split_once('=').unwrap_or((param, ""));
        if !k.bytes().all(|b| b.is_ascii_digit()) {
            continue; // linkType and other non-AI attributes
        }
        let Some(entry) = dictionary().get(k) else {
            p.syntax(format!(
                "({k}) in the Digital Link query is not a GS1 Application Identifier"
            ));
            continue;
        };
        if !entry.dl_attribute {
            p.syntax(format!("({k}) may not be a Digital Link query attribute"));
            continue;
        }
        match percent_decode(&v.replace('+', " ")) {
            Some(value) => add(p, k, entry, &value, year),
            None => p.syntax(format!("the value of ({k}) has a bad %-escape")),
        }
    }
    true
}
