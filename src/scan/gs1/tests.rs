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
        // (8008) is YYMMDD HH [MI] [SS]: the seconds cut to one digit, not "too short".
        (
            "(01)09506000134352(8008)20122515300",
            "'20122515300' ends with 1 of the 2 characters its last part needs",
        ),
        (
            "(01)09506000134352(8008)2012251",
            "too short (7 characters, 8 needed)",
        ),
        // (7011) is YYMMDD [HHMM]: the time cut to one digit.
        (
            "(01)09506000134352(7011)2612311",
            "'2612311' ends with 1 of the 4 characters its last part needs",
        ),
        // Not ASCII, so no GS1 character set: named as it is, wherever it falls, never a panic.
        (
            "(01)09506000134352(8008)201225153é",
            "character 'é' is not allowed",
        ),
        ("(01)0950600013435é", "character 'é' is not allowed"),
        ("]C1010950600013435é", "character 'é' is not allowed"),
        (
            "]C10109506000134352\u{1d}10LéT",
            "character 'é' is not allowed",
        ),
        ("(10)Ünit", "character 'Ü' is not allowed"),
        // In the GDTI's serial part, which takes CSET 82, not in its digits.
        (
            "(253)4012345000016DOCé",
            "character 'é' is not allowed (only GS1 CSET 82 characters)",
        ),
        (
            "(253)401234500001é",
            "character 'é' is not allowed (only digits)",
        ),
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
fn element_string_to_bracketed_is_structural() {
    // Split by the dictionary: predefined lengths, FNC1 after a variable-length value.
    assert_eq!(
        element_string_to_hri("01988987654321061599123131030017501012A\u{1d}422123\u{1d}21123456")
            .unwrap(),
        "(01)98898765432106(15)991231(3103)001750(10)12A(422)123(21)123456"
    );
    // Values are kept as they are (a space is for `parse` to refuse).
    assert_eq!(
        element_string_to_hri("101098 1234").unwrap(),
        "(10)1098 1234"
    );
    // An unknown AI, a predefined-length value cut short or by an FNC1, an empty value.
    assert_eq!(element_string_to_hri("2612345"), None);
    assert_eq!(element_string_to_hri("0195012345"), None);
    assert_eq!(element_string_to_hri("01950110153\u{1d}0003"), None);
    assert_eq!(element_string_to_hri("10\u{1d}21AB"), None);
    assert_eq!(element_string_to_hri(""), None);
}

#[test]
fn bracketed_structure() {
    assert!(hri_is_well_formed("(01)90012345678908(3932)04055GBP"));
    assert!(!hri_is_well_formed("(01)109572281680005"));
    assert!(!hri_is_well_formed("(26)123"));
    assert!(!hri_is_well_formed("01234"));
}

fn first_syntax_error(input: &str) -> String {
    let p = parse26(input);
    assert_eq!(p.kind, DataKind::Gs1, "{input} is bracketed GS1 data");
    let e = p
        .errors
        .iter()
        .find(|e| e.kind == ErrorKind::Syntax)
        .unwrap_or_else(|| panic!("{input} should be a syntax error, got {:?}", p.errors));
    e.message.clone()
}

#[test]
fn broken_bracketed_input_is_a_syntax_error_not_text() {
    let cases = [
        ("(", "not closed"),
        ("(10", "not closed"),
        ("()LOT7", "no Application Identifier"),
        ("(7)LOT7", "(7) is not a GS1 Application Identifier"),
        ("(LOT)LOT7", "(LOT) is not a GS1 Application Identifier"),
        ("(17)", "has no value"),
        ("(01)04012345000009(10)", "has no value"),
        (
            "(01)04012345000009(10)(21)S7",
            "(10) batch/lot has no value",
        ),
        ("(01)04012345000009(21", "not closed"),
        ("(01)04012345000009(2100)S7", "(2100) is not a GS1"),
    ];
    for (input, words) in cases {
        let message = first_syntax_error(input);
        assert!(message.contains(words), "{input}: {message}");
    }
    // Text that does not start with '(' is not bracketed data.
    let q = parse26("Aisle (4)");
    assert_eq!((q.kind, q.errors.len()), (DataKind::Plain, 0));
    // Well-formed bracketed data, an escaped '(' in a value and a ')' in one.
    let ok = parse26("(01)04012345000009(10)B\\(7)(21)X)Y");
    assert!(ok.ok(), "{:?}", ok.errors);
    assert_eq!(
        ais(&ok),
        vec![("01", "04012345000009"), ("10", "B(7)"), ("21", "X)Y")]
    );
}

#[test]
fn repeated_ais_are_kept_when_equal_and_refused_when_not() {
    let p = parse26("(01)04012345000009(10)L5(10)L5");
    assert!(p.ok(), "{:?}", p.errors);
    assert_eq!(
        ais(&p),
        vec![("01", "04012345000009"), ("10", "L5"), ("10", "L5")]
    );
    assert_eq!(p.lot(), Some("L5"));
    let q = parse26("]C10104012345000009\u{1d}10L5\u{1d}10L6");
    assert_eq!(q.errors[0].kind, ErrorKind::Syntax);
    assert!(
        q.errors[0].message.contains("'L5' and 'L6'"),
        "{}",
        q.errors[0].message
    );
}

#[test]
fn ean_upc_identifiers_carry_exactly_their_digits() {
    // EAN-13 and UPC-A (13 digits with its leading 0) under ]E0; EAN-8 under ]E4.
    let ean13 = parse26("]E04012345000009");
    assert_eq!(
        (ean13.kind, ean13.gtin()),
        (DataKind::Gtin, Some("04012345000009"))
    );
    let ean8 = parse26("]E496385074");
    assert!(ean8.ok(), "{:?}", ean8.errors);
    assert_eq!(ean8.gtin(), Some("00000096385074"));
    // EAN-13 with a 2-digit add-on.
    let addon = parse26("]E3401234500000912");
    assert_eq!(addon.gtin(), Some("04012345000009"));
    let refused = [
        ("]E0036000291452", "]E0 must carry 13 digits"),
        ("]E040123450000091", "]E0 must carry 13 digits"),
        ("]E04012345000009X", "]E0 must carry 13 digits"),
        ("]E44012345000009", "]E4 must carry 8 digits"),
        ("]E496385075", "check digit is wrong (should be 4)"),
        ("]E34012345000009123", "]E3 must carry 15 or 18 digits"),
    ];
    for (input, words) in refused {
        let p = parse26(input);
        assert_eq!(p.errors.len(), 1, "{input}: {:?}", p.errors);
        assert_eq!(p.errors[0].kind, ErrorKind::Syntax, "{input}");
        assert!(
            p.errors[0].message.contains(words),
            "{input}: {}",
            p.errors[0].message
        );
        assert!(p.gtin().is_none(), "{input}");
    }
}

fn association_errors(input: &str) -> Vec<String> {
    let p = parse26(input);
    assert!(!p.has_syntax_errors(), "{input}: {:?}", p.errors);
    p.errors.into_iter().map(|e| e.message).collect()
}

#[test]
fn requirements_with_groups_wildcards_and_several_keys() {
    // (8030) needs a key: (00), (01)+(21), ... (8010)+(8011), ...
    let alone = association_errors("(8030)c2lnbmVk");
    assert_eq!(alone.len(), 1, "{alone:?}");
    assert!(
        alone[0].starts_with("(8030) needs one of (00), (01) + (21), (253)"),
        "{}",
        alone[0]
    );
    assert!(alone[0].contains("(8010) + (8011)"), "{}", alone[0]);
    // (01) without (21) is not enough; with it, it is.
    assert!(!association_errors("(01)04012345000009(8030)c2lnbmVk").is_empty());
    assert!(association_errors("(01)04012345000009(21)S7(8030)c2lnbmVk").is_empty());
    // (3925) needs (01) and also a variable measure: 31nn matches (3102).
    let no_measure = association_errors("(01)04012345000009(3925)1999");
    assert!(
        no_measure
            .iter()
            .any(|m| m.contains("(3925) needs one of (30), (31nn)")),
        "{no_measure:?}"
    );
    assert!(association_errors("(01)04012345000009(3102)000450(3925)1999").is_empty());
    // (250) has two req keys: (01) or (8006), and (21).
    let secondary = association_errors("(01)04012345000009(250)SUB1");
    assert_eq!(secondary, vec!["(250) needs (21)".to_string()]);
    assert!(association_errors("(01)04012345000009(21)S7(250)SUB1").is_empty());
}

#[test]
fn exclusions_with_wildcards() {
    // (3922) and (3932) exclude each other through 392n/393n... and (3922) excludes (3923).
    let both = association_errors("(01)04012345000009(3102)000450(3922)1999(3923)19990");
    assert!(
        both.iter()
            .any(|m| m == "(3922) cannot appear together with (3923)"),
        "{both:?}"
    );
    // An AI never excludes itself, even when it matches its own pattern.
    assert!(association_errors("(01)04012345000009(3102)000450(3922)1999(3922)1999").is_empty());
}

#[test]
fn a_digital_signature_needs_serialised_documents() {
    // GDTI (253) without its serial component, signed by (8030).
    let unserialised = association_errors("(253)4012345000016(8030)c2lnbmVk");
    assert_eq!(
        unserialised,
        vec![
            "(253) needs its serial component when a digital signature (8030) signs it".to_string()
        ]
    );
    assert!(association_errors("(253)4012345000016DOC9(8030)c2lnbmVk").is_empty());
    // Without a signature the bare GDTI is fine.
    assert!(association_errors("(253)4012345000016").is_empty());
}

#[test]
fn dictionary_linters_run_through_parse() {
    let refused = [
        // GINC must start with a GS1 Company Prefix.
        ("(401)40X2ORDER", "GS1 Company Prefix"),
        // GMN with a wrong check character pair.
        ("(8013)4006381LOTKEEPEREF", "should be EE"),
        // Coupon: company prefix length digit 7 does not exist.
        ("(8110)79501234", "company prefix is not valid"),
        ("(8112)20950123000777212345678", "format code is not valid"),
        // Package type, media type, country and currency codes from the shipped lists.
        (
            "(00)340123450000000000(7041)PLTX",
            "not a GS1 package type code",
        ),
        ("(8017)401234500000000005(7241)42", "not an AIDC media type"),
        ("(01)04012345000009(422)277", "not an ISO 3166 country code"),
        ("(00)340123450000000000(4307)UK", "two-letter country code"),
        (
            "(8020)REF1(415)4012345000016(3912)902100",
            "not an ISO 4217 currency code",
        ),
        ("(7040)1A2.", "importer index"),
    ];
    for (input, words) in refused {
        let message = first_syntax_error(input);
        assert!(message.contains(words), "{input}: {message}");
    }
    let accepted = [
        "(401)4012ORDER",
        "(8013)4006381LOTKEEPEREE",
        "(8110)195012341234503150121456",
        "(8112)10950123000777212345678",
        "(00)340123450000000000(7041)PX",
        "(8017)401234500000000005(7241)09",
        "(01)04012345000009(422)276",
        "(00)340123450000000000(4307)NL",
        "(8020)REF1(415)4012345000016(3912)978100",
        "(7040)1A2_",
    ];
    for input in accepted {
        let p = parse26(input);
        assert!(!p.has_syntax_errors(), "{input}: {:?}", p.errors);
    }
}

#[test]
fn base64url_padding_only_ends_a_value() {
    // (8030) is Z..90: base64url, where '=' may only pad the end, at most twice, to a length
    // that is a multiple of 3.
    let signed = |sig: &str| format!("(01)04012345000009(21)S7(8030){sig}");
    for ok in [
        "c2lnbmVk",
        "c2l",
        "c2lnb=",
        "c2lu==",
        "c2=",
        "c==",
        "c2lnbmVkIHNp",
    ] {
        assert!(association_errors(&signed(ok)).is_empty(), "{ok}");
        // The padding is kept: it is part of the signature.
        assert_eq!(parse26(&signed(ok)).get("8030"), Some(ok));
    }
    for (bad, says) in [
        ("c2lu=", "1 '=' at its end"),
        ("c2lubQ==", "2 '=' at its end"),
        ("c===", "3 '=' at its end"),
        ("===", "3 '=' at its end"),
        ("c2lnbm==", "2 '=' at its end"),
    ] {
        let err = first_syntax_error(&signed(bad));
        assert!(err.contains(says), "{bad}: {err}");
        assert!(err.contains("base64url padding"), "{bad}: {err}");
    }
    // '=' inside the value is no base64url character at all.
    let inside = first_syntax_error(&signed("c2=ln"));
    assert!(
        inside.contains("character '=' is not allowed (only base64url characters, with '=' only"),
        "{inside}"
    );
}
