//! Property test of GS1 output and input: any valid set of AIs written as an element string,
//! read back, written bracketed, read back, written as a Digital Link and read back gives the
//! same AIs each time, with no error.

use lotkeeper::scan::gs1::{self, format, DataKind};
use proptest::prelude::*;

/// Prefixes of GS1 Company Prefixes that member organisations hand out (Germany, UK,
/// Netherlands, Switzerland, France, GS1 Global Office examples).
const GCP_PREFIXES: [&str; 6] = ["400", "500", "871", "761", "300", "950"];

/// The GS1 mod-10 check digit of `body` (weights 3, 1, 3, ... from the right).
fn check_digit(body: &str) -> char {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

/// A key of `len` digits with its check digit: `lead` digits first (an indicator or extension
/// digit), then a GS1 Company Prefix, then any digits.
fn key(lead: usize, len: usize) -> impl Strategy<Value = String> {
    (
        proptest::collection::vec(0u8..9, lead),
        0..GCP_PREFIXES.len(),
        proptest::collection::vec(0u8..10, len - 1 - lead - 3),
    )
        .prop_map(|(head, gcp, tail)| {
            let mut body: String = head.iter().map(|d| char::from(b'0' + d)).collect();
            body.push_str(GCP_PREFIXES[gcp]);
            body.extend(tail.iter().map(|d| char::from(b'0' + d)));
            let c = check_digit(&body);
            body.push(c);
            body
        })
}

/// YYMMDD, DD 00 (the month's last day) included.
fn date() -> impl Strategy<Value = String> {
    (0u32..100, 1u32..=12, 0u32..=28).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

/// GS1 CSET 82 text of 1..=max characters.
fn cset82(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9!\"%&'()*+,./:;<=>?_-]{{1,{max}}}"))
        .expect("a valid regex")
}

fn digits(min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[0-9]{{{min},{max}}}")).expect("a valid regex")
}

type Ais = Vec<(String, String)>;

fn pair(ai: &str, v: String) -> (String, String) {
    (ai.to_string(), v)
}

/// A trade item: (01) with any of its attributes; (392n) only with a count or a measure, as
/// its `req` says.
fn trade_item() -> impl Strategy<Value = Ais> {
    (
        key(1, 14),
        proptest::option::of(cset82(20)),
        proptest::option::of(date()),
        proptest::option::of(date()),
        proptest::option::of(date()),
        proptest::option::of(date()),
        proptest::option::of(cset82(20)),
        proptest::option::of(cset82(20)),
        (
            proptest::option::of(digits(1, 8)),
            proptest::option::of(digits(6, 6)),
            proptest::option::of((0u8..10, digits(1, 15))),
            proptest::option::of(cset82(30)),
            proptest::option::of(cset82(30)),
        ),
    )
        .prop_map(|(gtin, lot, d11, d13, d15, d17, serial, cpv, rest)| {
            let (count, weight, price, order, internal) = rest;
            let mut ais = vec![pair("01", gtin)];
            let opt = [
                ("10", lot),
                ("11", d11),
                ("13", d13),
                ("15", d15),
                ("17", d17),
                ("21", serial),
                ("22", cpv),
                ("400", order),
                ("90", internal),
            ];
            ais.extend(opt.into_iter().filter_map(|(a, v)| v.map(|v| pair(a, v))));
            let measured = count.is_some() || weight.is_some();
            if let Some(n) = count {
                ais.push(pair("30", n));
            }
            if let Some(w) = weight {
                ais.push(pair("3103", w));
            }
            if let (true, Some((places, amount))) = (measured, price) {
                ais.push(pair(&format!("392{places}"), amount));
            }
            ais
        })
}

/// A logistic unit: (00), maybe with the GTIN and count of its contents and their lot and
/// dates (which need the contents' GTIN), maybe an order number.
fn logistic_unit() -> impl Strategy<Value = Ais> {
    (
        key(1, 18),
        proptest::option::of((
            key(1, 14),
            digits(1, 8),
            proptest::option::of(cset82(20)),
            proptest::option::of(date()),
            proptest::option::of(date()),
        )),
        proptest::option::of(cset82(30)),
    )
        .prop_map(|(sscc, contents, order)| {
            let mut ais = vec![pair("00", sscc)];
            if let Some((gtin, count, lot, d15, d17)) = contents {
                ais.push(pair("02", gtin));
                ais.push(pair("37", count));
                let opt = [("10", lot), ("15", d15), ("17", d17)];
                ais.extend(opt.into_iter().filter_map(|(a, v)| v.map(|v| pair(a, v))));
            }
            if let Some(o) = order {
                ais.push(pair("400", o));
            }
            ais
        })
}

/// A location (414) with maybe its extension (254); a returnable asset (8003).
fn location_or_asset() -> impl Strategy<Value = Ais> {
    prop_oneof![
        (key(0, 13), proptest::option::of(cset82(20))).prop_map(|(gln, ext)| {
            let mut ais = vec![pair("414", gln)];
            if let Some(e) = ext {
                ais.push(pair("254", e));
            }
            ais
        }),
        (key(0, 13), proptest::option::of(cset82(16))).prop_map(|(grai, serial)| {
            vec![pair(
                "8003",
                format!("0{grai}{}", serial.unwrap_or_default()),
            )]
        }),
    ]
}

fn ai_set() -> impl Strategy<Value = Ais> {
    prop_oneof![
        4 => trade_item(),
        2 => logistic_unit(),
        1 => location_or_asset(),
    ]
    .prop_flat_map(|ais| Just(ais).prop_shuffle())
}

fn sorted(mut ais: Ais) -> Ais {
    ais.sort();
    ais
}

fn parsed(input: &str, kind: DataKind) -> Result<Ais, TestCaseError> {
    let p = gs1::parse_with_year(input, 2026);
    prop_assert_eq!(p.kind, kind, "{:?}", input);
    prop_assert!(p.ok(), "{:?}: {:?}", input, p.errors);
    prop_assert!(p.warnings.is_empty(), "{:?}: {:?}", input, p.warnings);
    Ok(p.ais)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn element_string_bracketed_and_digital_link_give_the_same_ais(ais in ai_set()) {
        let want = sorted(ais.clone());
        let es = format!("]C1{}", format::element_string(&ais));
        let from_es = parsed(&es, DataKind::Gs1)?;
        prop_assert_eq!(sorted(from_es.clone()), want.clone());

        let hri = format::bracketed(&from_es);
        let from_hri = parsed(&hri, DataKind::Gs1)?;
        prop_assert_eq!(sorted(from_hri.clone()), want.clone());

        let uri = format::digital_link(&from_hri, "https://id.gs1.org")
            .map_err(|e| TestCaseError::fail(format!("{hri}: {e}")))?;
        let from_dl = parsed(&uri, DataKind::DigitalLink)?;
        prop_assert_eq!(sorted(from_dl), want);
    }
}
