//! GS1 data out: a set of AIs as an element string (what a scanner sends), as the bracketed
//! human-readable form, or as a GS1 Digital Link URI. [`super::parse`] reads each of them back.
//! The values are written as given; validating them is the parser's job.

use super::digital_link::{percent_encode, qualifiers_fit};
use super::{dictionary::dictionary, GS};

/// Why a set of AIs cannot be written as a Digital Link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("({0}) is not a GS1 Application Identifier")]
    UnknownAi(String),
    #[error(
        "no AI here is a Digital Link primary key (such as (01) GTIN, (00) SSCC or (414) GLN)"
    )]
    NoPrimaryKey,
    #[error(
        "({ai}) cannot go in a Digital Link for ({key}): it is neither one of its path qualifiers \
         nor a query attribute"
    )]
    NotAttribute { ai: String, key: String },
    #[error("({0}) appears twice, and a Digital Link holds each AI once")]
    Repeated(String),
}

/// The AIs as an element string: AI and value after AI and value, with FNC1 (ASCII 29) after
/// each value whose AI has no predefined length, except the last.
pub fn element_string<A: AsRef<str>, V: AsRef<str>>(ais: &[(A, V)]) -> String {
    let mut out = String::new();
    for (i, (ai, value)) in ais.iter().enumerate() {
        let ai = ai.as_ref();
        out.push_str(ai);
        out.push_str(value.as_ref());
        let predefined = dictionary().get(ai).is_some_and(|e| e.fixed);
        if i + 1 < ais.len() && !predefined {
            out.push(GS);
        }
    }
    out
}

/// The bracketed form `(01)09506000134352(10)ABC`; a `(` inside a value is written `\(`.
pub fn bracketed<A: AsRef<str>, V: AsRef<str>>(ais: &[(A, V)]) -> String {
    let mut out = String::new();
    for (ai, value) in ais {
        out.push('(');
        out.push_str(ai.as_ref());
        out.push(')');
        out.push_str(&value.as_ref().replace('(', "\\("));
    }
    out
}

/// A Digital Link URI on `stem` (such as `https://id.gs1.org`): the first AI that is a primary
/// key, then the qualifiers present in the key's `dlpkey` order (the sequence that places the
/// most of them), in the path; every other AI as a query attribute.
pub fn digital_link<A: AsRef<str>, V: AsRef<str>>(
    ais: &[(A, V)],
    stem: &str,
) -> Result<String, FormatError> {
    for (i, (ai, _)) in ais.iter().enumerate() {
        if ais[..i].iter().any(|(a, _)| a.as_ref() == ai.as_ref()) {
            return Err(FormatError::Repeated(ai.as_ref().to_string()));
        }
        if dictionary().get(ai.as_ref()).is_none() {
            return Err(FormatError::UnknownAi(ai.as_ref().to_string()));
        }
    }
    let value_of = |ai: &str| {
        ais.iter()
            .find(|(a, _)| a.as_ref() == ai)
            .map(|(_, v)| v.as_ref())
    };
    let (key, key_entry) = ais
        .iter()
        .find_map(|(a, _)| {
            let e = dictionary().get(a.as_ref())?;
            e.dl_key.as_ref().map(|_| (a.as_ref(), e))
        })
        .ok_or(FormatError::NoPrimaryKey)?;
    let sequences = key_entry.dl_key.as_deref().unwrap_or_default();
    let qualifiers: Vec<&str> = sequences
        .iter()
        .map(|seq| {
            seq.iter()
                .map(String::as_str)
                .filter(|q| value_of(q).is_some())
                .collect::<Vec<_>>()
        })
        .max_by_key(Vec::len)
        .unwrap_or_default();
    debug_assert!(qualifiers_fit(key_entry, &qualifiers));
    let mut uri = stem.trim_end_matches('/').to_string();
    for ai in std::iter::once(key).chain(qualifiers.iter().copied()) {
        let value = value_of(ai).unwrap_or_default();
        uri.push_str(&format!("/{ai}/{}", percent_encode(value)));
    }
    let mut separator = '?';
    for (ai, value) in ais {
        let ai = ai.as_ref();
        if ai == key || qualifiers.contains(&ai) {
            continue;
        }
        if !dictionary().get(ai).is_some_and(|e| e.dl_attribute) {
            return Err(FormatError::NotAttribute {
                ai: ai.to_string(),
                key: key.to_string(),
            });
        }
        uri.push(separator);
        uri.push_str(&format!("{ai}={}", percent_encode(value.as_ref())));
        separator = '&';
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIPMENT: [(&str, &str); 4] = [
        ("00", "106141412345678908"),
        ("02", "09506000134352"),
        ("37", "25"),
        ("10", "AB(1)"),
    ];

    #[test]
    fn element_string_puts_fnc1_only_after_variable_length_values() {
        // (00) and (02) have predefined lengths; (37) does not; (10) is last.
        assert_eq!(
            element_string(&SHIPMENT),
            "00106141412345678908\
             0209506000134352\
             3725\u{1d}\
             10AB(1)"
        );
        assert_eq!(element_string(&[("10", "A"), ("21", "B")]), "10A\u{1d}21B");
        assert_eq!(element_string::<&str, &str>(&[]), "");
    }

    #[test]
    fn bracketed_escapes_an_open_parenthesis() {
        assert_eq!(
            bracketed(&SHIPMENT),
            "(00)106141412345678908(02)09506000134352(37)25(10)AB\\(1)"
        );
    }

    #[test]
    fn digital_link_orders_the_path_by_dlpkey_and_queries_the_rest() {
        let ais = [
            ("21", "S/1"),
            ("17", "261231"),
            ("01", "09506000134352"),
            ("10", "L 1"),
        ];
        assert_eq!(
            digital_link(&ais, "https://example.com/").as_deref(),
            Ok("https://example.com/01/09506000134352/10/L%201/21/S%2F1?17=261231")
        );
        assert_eq!(
            digital_link(&SHIPMENT, "https://id.gs1.org").as_deref(),
            Ok("https://id.gs1.org/00/106141412345678908?02=09506000134352&37=25&10=AB%281%29")
        );
    }

    #[test]
    fn digital_link_refuses_what_it_cannot_hold() {
        assert_eq!(
            digital_link(&[("10", "A"), ("17", "261231")], "https://a"),
            Err(FormatError::NoPrimaryKey)
        );
        // (21) is no query attribute, and (00) has no qualifiers.
        assert!(matches!(
            digital_link(&[("00", "106141412345678908"), ("21", "S")], "https://a"),
            Err(FormatError::NotAttribute { .. })
        ));
        assert_eq!(
            digital_link(
                &[("01", "09506000134352"), ("10", "A"), ("10", "A")],
                "https://a"
            ),
            Err(FormatError::Repeated("10".into()))
        );
        assert_eq!(
            digital_link(&[("01", "09506000134352"), ("9999", "A")], "https://a"),
            Err(FormatError::UnknownAi("9999".into()))
        );
    }
}
