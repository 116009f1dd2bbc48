//! Translating what the workflows say (prompts, field labels, titles, common messages) with the
//! same `.po` catalogs the screens use. Workflows speak plain English data; this maps a text onto
//! a catalog entry, where `{}` in a `msgid` stands for a value (a SKU, a number, a location) that
//! is carried over into the translation unchanged. A text no entry matches is shown as it is.

/// The catalogs shipped, by language code (the same files `build.rs` bundles for the screens).
const CATALOGS: &[(&str, &str)] = &[
    (
        "es",
        include_str!("../../ui/translations/es/LC_MESSAGES/lotkeeper.po"),
    ),
    (
        "de",
        include_str!("../../ui/translations/de/LC_MESSAGES/lotkeeper.po"),
    ),
];

/// One language's entries: `msgid` split at its `{}` placeholders, and the `msgstr`.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    entries: Vec<(Vec<String>, String)>,
}

/// The unescaped text of a `.po` string line (`"..."`).
fn po_string(line: &str) -> Option<String> {
    let s = line.trim().strip_prefix('"')?.strip_suffix('"')?;
    Some(
        s.replace("\\\"", "\"")
            .replace("\\n", "\n")
            .replace("\\\\", "\\"),
    )
}

impl Catalog {
    /// The catalog for a language code (`es`, `es_ES.UTF-8`, `de`); None for English or a
    /// language not shipped.
    pub fn for_language(lang: &str) -> Option<Catalog> {
        let code = lang.split(['_', '.', '-']).next().unwrap_or("");
        let text = CATALOGS.iter().find(|(c, _)| *c == code)?.1;
        Some(Catalog::parse(text))
    }

    /// Reads `msgid`/`msgstr` pairs (single-line strings plus continuation lines).
    pub fn parse(po: &str) -> Catalog {
        #[derive(PartialEq)]
        enum Field {
            Other,
            Id,
            Str,
        }
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut field = Field::Other;
        for line in po.lines().map(str::trim) {
            if let Some(rest) = line.strip_prefix("msgid ") {
                pairs.push((po_string(rest).unwrap_or_default(), String::new()));
                field = Field::Id;
            } else if let Some(rest) = line.strip_prefix("msgstr ") {
                if let Some(last) = pairs.last_mut() {
                    last.1 = po_string(rest).unwrap_or_default();
                }
                field = Field::Str;
            } else if line.starts_with('"') {
                let s = po_string(line).unwrap_or_default();
                if let Some(last) = pairs.last_mut() {
                    match field {
                        Field::Id => last.0.push_str(&s),
                        Field::Str => last.1.push_str(&s),
                        Field::Other => {}
                    }
                }
            } else {
                field = Field::Other;
            }
        }
        let mut entries: Vec<(Vec<String>, String)> = pairs
            .into_iter()
            .filter(|(id, text)| !id.is_empty() && !text.is_empty())
            .map(|(id, text)| (id.split("{}").map(String::from).collect(), text))
            .collect();
        // Exact texts first, then templates with the most fixed text: the most specific wins.
        entries.sort_by_key(|(pieces, _)| {
            (
                pieces.len() > 1,
                std::cmp::Reverse(pieces.iter().map(|p| p.len()).sum::<usize>()),
            )
        });
        Catalog { entries }
    }

    /// The translation of `text`, or `text` itself.
    pub fn tr(&self, text: &str) -> String {
        for (pieces, msgstr) in &self.entries {
            if let Some(values) = matches(pieces, text) {
                let mut out = String::new();
                let mut values = values.into_iter();
                let mut parts = msgstr.split("{}").peekable();
                while let Some(p) = parts.next() {
                    out.push_str(p);
                    if parts.peek().is_some() {
                        out.push_str(values.next().unwrap_or_default());
                    }
                }
                return out;
            }
        }
        text.to_string()
    }
}

/// The values standing in the `{}` gaps when `text` fits the pieces of a template.
fn matches<'a>(pieces: &[String], text: &'a str) -> Option<Vec<&'a str>> {
    if pieces.len() == 1 {
        return (pieces[0] == text).then(Vec::new);
    }
    let mut rest = text.strip_prefix(pieces[0].as_str())?;
    let last = pieces.last()?;
    let mut values = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let at = if i == pieces.len() - 1 {
            // The last piece ends the text.
            rest.len()
                .checked_sub(last.len())
                .filter(|&a| rest[a..] == **last)?
        } else if piece.is_empty() {
            return None; // two placeholders in a row: ambiguous
        } else {
            rest.find(piece.as_str())?
        };
        let value = &rest[..at];
        if value.is_empty() {
            return None;
        }
        values.push(value);
        rest = &rest[at + piece.len()..];
    }
    rest.is_empty().then_some(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PO: &str = r#"
msgid ""
msgstr ""
"Language: es\n"

msgid "Lot"
msgstr "Lote"

msgid "Type the quantity of {}"
msgstr "Escriba la cantidad de {}"

msgid "Scan serial {} of {}; confirm when all are scanned"
msgstr "Escanee el número de serie {} de {}; confirme al terminar"

msgid "Scan the location"
msgstr "Escanee la ubicación"

msgid "Scan the location (or confirm for {})"
msgstr "Escanee la ubicación (o confirme para {})"

msgid "Untranslated"
msgstr ""
"#;

    #[test]
    fn exact_texts_and_templates_with_values() {
        let c = Catalog::parse(PO);
        assert_eq!(c.tr("Lot"), "Lote");
        assert_eq!(
            c.tr("Type the quantity of PARA"),
            "Escriba la cantidad de PARA"
        );
        assert_eq!(
            c.tr("Scan serial 3 of PHONE; confirm when all are scanned"),
            "Escanee el número de serie 3 de PHONE; confirme al terminar"
        );
        assert_eq!(c.tr("Scan the location"), "Escanee la ubicación");
        assert_eq!(
            c.tr("Scan the location (or confirm for DOCK)"),
            "Escanee la ubicación (o confirme para DOCK)"
        );
        // No entry, or an empty translation: shown as it is.
        assert_eq!(c.tr("Untranslated"), "Untranslated");
        assert_eq!(c.tr("Type the quantity"), "Type the quantity");
        assert_eq!(c.tr("Lots"), "Lots");
    }

    #[test]
    fn every_shipped_catalog_parses_and_keeps_its_placeholders() {
        for (code, _) in CATALOGS {
            let c = Catalog::for_language(code).unwrap();
            assert!(c.entries.len() > 50, "{code}: {}", c.entries.len());
            for (pieces, msgstr) in &c.entries {
                assert_eq!(
                    pieces.len() - 1,
                    msgstr.matches("{}").count(),
                    "{code}: '{}' and '{msgstr}' have different placeholders",
                    pieces.join("{}")
                );
            }
        }
        assert!(Catalog::for_language("en_US.UTF-8").is_none());
        assert!(Catalog::for_language("es_ES.UTF-8").is_some());
    }
}
