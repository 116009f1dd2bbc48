use super::*;

fn ais(p: &Parsed) -> Vec<(&str, &str)> {
    p.ais
        .iter()
        .map(|(a, v)| (a.as_str(), v.as_str()))
        .collect()
}

fn parse26(s: &str) -> Parsed {
    parse_with_year(s, 2026)
}

#[test]
fn element_string_with_aim_and_fnc1() {
    let p = parse26("]d20109506000134352172012251012345\u{1d}21SN9");
    assert!(p.ok(), "{:?}", p.errors);
    assert_eq!(p.kind, DataKind::Gs1);
    assert_eq!(
        ais(&p),
        vec![
            ("01", "09506000134352"),
            ("17", "201225"),
            ("10", "12345"),
            ("21", "SN9")
        ]
    );
    assert_eq!(p.expiry(), NaiveDate::from_ymd_opt(2020, 12, 25));
    assert_eq!(p.symbology_id.as_deref(), Some("]d2"));
    // FNC1 first without an AIM identifier.
    let q = parse26("\u{1d}0109506000134352\u{1d}10ABC");
    assert_eq!(ais(&q), vec![("01", "09506000134352"), ("10", "ABC")]);
}

#[test]
fn day_zero_is_the_last_day_of_the_month() {
    let p = parse26("(01)09506000134352(17)240200(10)A");
    assert!(p.ok(), "{:?}", p.errors);
    assert_eq!(p.expiry(), NaiveDate::from_ymd_opt(2024, 2, 29));
    let bad = parse26("(01)09506000134352(11)240200");
    assert!(bad.ok(), "(11) allows DD=00 too");
    let bad = parse26("(01)09506000134352(17)241301");
    assert_eq!(bad.errors[0].kind, ErrorKind::Syntax);
    assert!(
        bad.errors[0].message.contains("month 13"),
        "{}",
        bad.errors[0].message
    );
}

#[test]
fn bracketed_form() {
    let p = parse26("(01)09506000134352(17)201225(10)ABC");
    assert_eq!(p.kind, DataKind::Gs1);
    assert_eq!(
        ais(&p),
        vec![("01", "09506000134352"), ("17", "201225"), ("10", "ABC")]
    );
    let q = parse26("(01)09506000134352(10)A\\(B");
    assert_eq!(q.lot(), Some("A(B"));
}

#[test]
fn syntax_errors() {
    let cases = [
        ("(01)09506000134353", "check digit is wrong (should be 2)"),
        ("(01)0950600013435", "too short"),
        ("(10)ABCDEFGHIJKLMNOPQRSTU(01)09506000134352", "too long"),
        ("(01)09506000134352(10)AB~C", "character '~' is not allowed"),
        ("(01)09506000134352(99", "not closed"),
        ("(26)123", "not a GS1 Application Identifier"),
        (
            "]C1269999",
            "does not start with a GS1 Application Identifier",
        ),
        ("(01)09506000134352(10)A(10)B", "appears twice"),
    ];
    for (input, words) in cases {
        let p = parse26(input);
        assert!(!p.ok(), "{input} should fail");
        assert_eq!(p.errors[0].kind, ErrorKind::Syntax, "{input}");
        assert!(
            p.errors[0].message.contains(words),
            "{input}: {}",
            p.errors[0].message
        );
    }
}

#[test]
fn association_errors_are_not_syntax_errors() {
    let p = parse26("(10)LOT42(17)270101");
    assert_eq!(p.lot(), Some("LOT42"));
    assert!(!p.has_syntax_errors());
    assert_eq!(p.errors[0].kind, ErrorKind::Association);
    assert!(
        p.errors[0]
            .message
            .starts_with("(10) needs one of (01), (02)"),
        "{}",
        p.errors[0].message
    );
    let q = parse26("(02)09506000134352");
    assert!(
        q.errors.iter().any(|e| e.message == "(02) needs (37)"),
        "{:?}",
        q.errors
    );
    let r = parse26("(01)09506000134352(02)09506000134352(37)5");
    assert!(r
        .errors
        .iter()
        .any(|e| e.message.contains("cannot appear together")));
    let s = parse26("(01)09506000134352(3103)000500(3102)001000");
    assert!(s.errors.iter().any(|e| e.kind == ErrorKind::Association));
    let ok = parse26("(00)106141411234567897(02)09506000134352(37)12");
    assert!(ok.ok(), "{:?}", ok.errors);
    assert_eq!(ok.sscc(), Some("106141411234567897"));
    assert_eq!(ok.count(), Some(12));
}

#[test]
fn digital_link_on_any_domain() {
    let p = parse26("https://example.com/01/09506000134352/10/ABC?17=201225");
    assert_eq!(p.kind, DataKind::DigitalLink);
    assert!(p.ok(), "{:?}", p.errors);
    assert_eq!(
        ais(&p),
        vec![("01", "09506000134352"), ("10", "ABC"), ("17", "201225")]
    );
    let q = parse26("https://id.shop.example/some/prefix/01/09506000134352/10/A%2FB/21/S1?linkType=gs1:pip&3103=000750");
    assert!(q.ok(), "{:?}", q.errors);
    assert_eq!(q.gtin(), Some("09506000134352"));
    assert_eq!(q.lot(), Some("A/B"));
    assert_eq!(q.net_weight_kg(), Some(0.75));
    let bad_order = parse26("https://example.com/01/09506000134352/21/S1/10/L1");
    assert!(bad_order.errors[0]
        .message
        .contains("not allowed in this order"));
    let not_dl = parse26("https://example.com/products/123");
    assert_eq!(not_dl.kind, DataKind::Plain);
    assert!(not_dl.ok());
}

#[test]
fn plain_numbers_and_text() {
    let p = parse26("]E09506000134352");
    assert_eq!(
        (p.kind, ais(&p)),
        (DataKind::Gtin, vec![("01", "09506000134352")])
    );
    let q = parse26("036000291452");
    assert_eq!(q.gtin(), Some("00036000291452"));
    let r = parse26("A-01-02");
    assert_eq!(
        (r.kind, r.ais.len(), r.errors.len()),
        (DataKind::Plain, 0, 0)
    );
    let s = parse26("]E09506000134353");
    assert!(!s.ok());
    // A GS1-128 whose AIM identifier the scanner dropped.
    let t = parse26("0109506000134352101234");
    assert_eq!(t.kind, DataKind::Gs1);
    assert_eq!(t.lot(), Some("1234"));
    // Digits that happen to start with 01 but are not a valid element string stay plain.
    let u = parse26("01234");
    assert_eq!(u.kind, DataKind::Plain);
}

#[test]
fn composite_after_ean() {
    let p = parse26("]E09506000134352|]e010LOT1");
    assert_eq!(ais(&p), vec![("01", "09506000134352"), ("10", "LOT1")]);
    assert!(p.ok(), "{:?}", p.errors);
}

#[test]
fn bracketed_to_element_string_is_structural() {
    assert_eq!(
        hri_to_element_string("(01)98898765432106(15)991231(3103)001750(10)12A(422)123(21)123456")
            .unwrap(),
        "01988987654321061599123131030017501012A\u{1d}422123\u{1d}21123456"
    );
    assert_eq!(
        hri_to_element_string("(10)1098 1234").unwrap(),
        "101098 1234"
    );
    assert_eq!(
        hri_to_element_string("(01)90012345678908(3932)04055GBP").unwrap(),
        "0190012345678908393204055GBP"
    );
    assert_eq!(hri_to_element_string("no brackets"), None);
}

#[test]
fn bracketed_structure() {
    assert!(hri_is_well_formed("(01)90012345678908(3932)04055GBP"));
    assert!(!hri_is_well_formed("(01)109572281680005"));
    assert!(!hri_is_well_formed("(26)123"));
    assert!(!hri_is_well_formed("01234"));
}
