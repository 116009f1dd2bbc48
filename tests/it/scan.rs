//! `lotkeeper decode` on real images and `lotkeeper parse` on scanner data.

use crate::harness::*;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// zxing-cpp's sample images, kept outside the project; None (and a note) when absent.
fn samples() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/testdata/barcodes/zxing-cpp-samples");
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

fn decode_json(args: &[&str]) -> Value {
    let out = Command::new(bin())
        .arg("decode")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn decode_real_images() {
    let Some(s) = samples() else { return };
    let dm = s.join("datamatrix-1/gs1-figure-4.15.1-2-32x32.png");
    let ean = s.join("ean13-1/14.webp");
    let fp = s.join("falsepositives-1/01.webp");
    let v = decode_json(&[
        dm.to_str().unwrap(),
        ean.to_str().unwrap(),
        fp.to_str().unwrap(),
    ]);
    let files = v.as_array().unwrap();
    assert_eq!(files.len(), 3);

    let sym = &files[0]["symbols"][0];
    assert_eq!(sym["format"], "DATA_MATRIX");
    assert_eq!(sym["symbology_id"], "]d2");
    let want = std::fs::read_to_string(dm.with_extension("txt")).unwrap();
    assert_eq!(sym["text"], want.as_str());
    assert_eq!(
        sym["gs1"]["ais"][0],
        serde_json::json!(["01", "09504000059101"])
    );
    assert!(files[0]["ms"].as_f64().unwrap() >= 0.0);

    let e = &files[1]["symbols"][0];
    assert_eq!(e["format"], "EAN_13");
    assert_eq!(e["symbology_id"], "]E0");
    assert_eq!(
        e["text"],
        std::fs::read_to_string(ean.with_extension("txt"))
            .unwrap()
            .trim()
    );
    assert_eq!(e["gs1"]["kind"], "gtin");

    assert_eq!(
        files[2]["symbols"].as_array().unwrap().len(),
        0,
        "a photo without a barcode reads nothing"
    );
}

#[test]
fn decode_aztec_runes_reader_init_and_structured_append() {
    let Some(s) = samples() else { return };
    let files = [
        "aztec-1/rune-68.png",
        "aztec-1/rune-223.png",
        "aztec-1/readerinit-full-19x19.png",
        "aztec-1/Z1-sequence4of7.png",
    ]
    .map(|f| s.join(f));
    let mut args: Vec<&str> = vec!["--formats", "aztec"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let v = decode_json(&args);
    let got: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let sym = &f["symbols"][0];
            (
                sym["text"].as_str().unwrap_or("(nothing)").to_string(),
                sym["symbology_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let want = [
        ("068", "]zC"),
        ("223", "]zC"),
        ("$I", "]z0"),
        ("3456", "]z6"),
    ];
    for ((text, id), (wtext, wid)) in got.iter().zip(want) {
        assert_eq!((text.as_str(), id.as_str()), (wtext, wid));
    }
    // What the sample files say, too.
    for (f, (text, _)) in files.iter().zip(&got) {
        let want = std::fs::read_to_string(f.with_extension("txt")).unwrap();
        assert_eq!(text, want.trim_end_matches('\n'));
    }
}

/// A large DataMatrix photographed on a bent label: the modules drift from where one
/// perspective map puts them; the grid sampler follows its alternating lines and reads it.
#[test]
fn decode_a_datamatrix_on_a_bent_label() {
    let Some(s) = samples() else { return };
    let f = s.join("datamatrix-3/dm-2x2-#1063.webp");
    let v = decode_json(&["--formats", "data_matrix", f.to_str().unwrap()]);
    let want = std::fs::read_to_string(f.with_extension("txt")).unwrap();
    assert_eq!(v[0]["symbols"][0]["text"], want.as_str());
}

#[test]
fn decode_restricts_formats_and_rejects_bad_names() {
    let Some(s) = samples() else { return };
    let dm = s.join("datamatrix-1/gs1-figure-4.15.1-2-32x32.png");
    let v = decode_json(&["--formats", "qr_code,ean_13", dm.to_str().unwrap()]);
    assert_eq!(v[0]["symbols"].as_array().unwrap().len(), 0);
    let out = Command::new(bin())
        .args(["decode", "--formats", "NOPE", dm.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown format 'NOPE'"));
    let d = Dir::new();
    let not_image = d.file("x.png", "not an image");
    let out = Command::new(bin())
        .args(["decode", not_image.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn parse_scanner_lines() {
    let input = "]d20109506000134352172012251012345\u{1d}21SN9\n\
                 (01)09506000134352(17)201225(10)ABC\n\
                 https://example.com/01/09506000134352/10/ABC?17=201225\n\
                 9506000134352\n\
                 A-01-02\n\
                 (10)LOT42\n\
                 (01)09506000134353\n";
    let mut child = Command::new(bin())
        .arg("parse")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 7);
    let keys: Vec<&String> = lines[0].as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["input", "ok", "kind", "ais", "errors"]);
    assert_eq!(lines[0]["kind"], "gs1");
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["ais"][3], serde_json::json!(["21", "SN9"]));
    // Digital Link keeps data order: the path, then the query.
    assert_eq!(
        lines[2]["ais"],
        serde_json::json!([["01", "09506000134352"], ["10", "ABC"], ["17", "201225"]])
    );
    assert_eq!(lines[2]["kind"], "digital_link");
    assert_eq!(lines[3]["kind"], "gtin");
    assert_eq!(
        lines[3]["ais"][0],
        serde_json::json!(["01", "09506000134352"])
    );
    assert_eq!(
        lines[4],
        serde_json::json!({"input": "A-01-02", "ok": true, "kind": "plain", "ais": [], "errors": []})
    );
    assert_eq!(lines[5]["ok"], false);
    assert_eq!(lines[5]["errors"][0]["kind"], "association");
    assert_eq!(lines[6]["errors"][0]["kind"], "syntax");
}

/// No phantom reads: not one symbol, in any warehouse format, on the barcode-free photos of
/// zxing-cpp's samples (`falsepositives-*`, read from ../shared and skipped when absent).
#[test]
fn decode_finds_nothing_on_barcode_free_photos() {
    let Some(s) = samples() else { return };
    let mut photos = Vec::new();
    for dir in std::fs::read_dir(&s).unwrap().filter_map(Result::ok) {
        if !dir
            .file_name()
            .to_string_lossy()
            .starts_with("falsepositives")
        {
            continue;
        }
        for f in std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let p = f.path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if matches!(ext, "png" | "jpg" | "jpeg" | "webp" | "gif" | "bmp") {
                photos.push(p.to_string_lossy().to_string());
            }
        }
    }
    assert!(!photos.is_empty(), "falsepositives-* hold photos");
    let args: Vec<&str> = photos.iter().map(String::as_str).collect();
    let v = decode_json(&args);
    for (photo, file) in photos.iter().zip(v.as_array().unwrap()) {
        assert_eq!(file["symbols"], serde_json::json!([]), "{photo}");
    }
}
