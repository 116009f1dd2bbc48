//! Labels: every template at both resolutions drawn as ZPL (printed by the labelize renderer),
//! PNG and PDF (rasterized by Ghostscript or poppler when present), read back with our own
//! decoder and GS1 parser, AI by AI; printing over real TCP sockets; bad input refused with
//! nothing written or queued.

use chrono::NaiveDate;
use image::GrayImage;
use lotkeeper::label::layout::{Element, Layout, MatrixData};
use lotkeeper::label::{
    self, Count, Dpi, EnrollmentData, ItemData, LabelData, LabelSize, LocationData, Output,
    PalletContents, SsccData,
};
use lotkeeper::scan::{gs1, Decoder, Effort, Format, LumaFrame, RxingDecoder};
use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use crate::harness::*;

fn date(s: &str) -> Option<NaiveDate> {
    Some(day(s))
}

fn item() -> ItemData {
    ItemData {
        gtin: "09506000134352".into(),
        lot: Some("L2307-A".into()),
        expiry: date("2027-10-31"),
        produced: date("2026-04-01"),
        serial: Some("SN0042".into()),
        sku: "PARA".into(),
        name: "Paracetamol 500 mg".into(),
        count: None,
    }
}

/// One label of each template, with the size it is printed on.
fn labels() -> Vec<(LabelData, LabelSize)> {
    vec![
        (LabelData::Item(item()), LabelSize::L4x2),
        (
            LabelData::Case(ItemData {
                gtin: "19506000134359".into(),
                serial: None,
                count: Some(Count::Fixed(12)),
                ..item()
            }),
            LabelSize::L4x2,
        ),
        (
            LabelData::Case(ItemData {
                gtin: "19506000134359".into(),
                serial: None,
                count: Some(Count::Variable(7)),
                ..item()
            }),
            LabelSize::L4x2,
        ),
        (
            LabelData::Sscc(SsccData {
                sscc: "395060000000000412".into(),
                contents: Some(PalletContents {
                    gtin: "19506000134359".into(),
                    count: 40,
                    lot: Some("L2307-A".into()),
                    expiry: date("2027-10-31"),
                }),
                ship_from: "Acme Pharma, Dock 3, 1 Main St, Springfield".into(),
                ship_to: "Corner Pharmacy, 5 High St".into(),
            }),
            LabelSize::L4x6,
        ),
        (
            // No GTIN (an unlabeled delivery's own lot): SKU and lot as plain Code 128.
            LabelData::Item(ItemData {
                gtin: String::new(),
                lot: Some("261201-01".into()),
                expiry: None,
                sku: "FLOUR".into(),
                name: "Flour 25 kg".into(),
                ..Default::default()
            }),
            LabelSize::L2x1,
        ),
        (
            LabelData::Location(LocationData {
                code: "A-01-02".into(),
                name: "Aisle A, bay 1, level 2".into(),
            }),
            LabelSize::L2x1,
        ),
        (
            LabelData::Enrollment(EnrollmentData {
                device: "DOCK-HH-07".into(),
                server: "https://lotkeeper.acme.example:8443".into(),
                code: "7KQ2-M9XD-4TVA".into(),
                qr: lotkeeper::sync::enroll::qr_text(
                    "https://lotkeeper.acme.example:8443",
                    "7KQ2-M9XD-4TVA",
                ),
                expires: "2026-12-01 10:42 UTC".into(),
            }),
            LabelSize::L4x2,
        ),
    ]
}

/// What each symbol the layout placed reads back as, each decoded from its own place in the
/// picture (the quiet zone around it included): (format, AIM identifier + data).
fn read_symbols(what: &str, img: &GrayImage, l: &Layout) -> Vec<(Format, String)> {
    let mut out = Vec::new();
    for e in &l.elements {
        let (x, y, w, h, format, quiet) = match e {
            Element::Linear {
                x,
                y,
                module,
                height,
                bars,
                ..
            } => (
                *x,
                *y,
                bars.0.len() as u32 * module,
                *height,
                Format::Code128,
                10 * module,
            ),
            Element::Matrix {
                x,
                y,
                module,
                cells,
                data,
            } => (
                *x,
                *y,
                cells.w * module,
                cells.h * module,
                match data {
                    MatrixData::Gs1(_) => Format::DataMatrix,
                    MatrixData::Qr(_) => Format::QrCode,
                },
                match data {
                    MatrixData::Gs1(_) => 2 * module,
                    MatrixData::Qr(_) => 4 * module,
                },
            ),
            _ => continue,
        };
        let vquiet = match e {
            Element::Matrix { .. } => quiet,
            _ => quiet / 2,
        };
        let x0 = x.saturating_sub(quiet);
        let y0 = y.saturating_sub(vquiet);
        let x1 = (x + w + quiet).min(img.width());
        let y1 = (y + h + vquiet).min(img.height());
        let crop = image::imageops::crop_imm(img, x0, y0, x1 - x0, y1 - y0).to_image();
        let frame =
            LumaFrame::new(crop.as_raw(), crop.width(), crop.height(), crop.width()).unwrap();
        let found = RxingDecoder::new(Effort::Thorough).decode(&frame, &[format]);
        assert_eq!(found.len(), 1, "{what}: {format:?} at {x},{y}: {found:?}");
        out.push((format, found[0].transmitted()));
    }
    out
}

/// Every symbol of the picture must read back: GS1 symbols parsed without error, and together
/// (and each DataMatrix alone) exactly the AIs asked for; a location's Code 128 its code.
fn assert_reads_back(what: &str, img: &GrayImage, l: &Layout, data: &LabelData) {
    let symbols = read_symbols(what, img, l);
    match data.gs1().unwrap() {
        Some(asked) => {
            let mut linear = String::new();
            for (format, text) in &symbols {
                let p = gs1::parse(text);
                // GS1 checks which AIs go together over the whole label, not per symbol: a
                // second GS1-128 with (10) (21) leans on the first one's (01).
                let syntax: Vec<_> = p
                    .errors
                    .iter()
                    .filter(|e| e.kind != gs1::ErrorKind::Association)
                    .collect();
                assert!(syntax.is_empty(), "{what}: {text:?} {syntax:?}");
                match format {
                    Format::DataMatrix => {
                        assert!(p.ok(), "{what}: {text:?} {:?}", p.errors);
                        assert!(
                            text.starts_with("]d2"),
                            "{what}: not GS1 DataMatrix: {text:?}"
                        );
                        assert_eq!(p.ais, asked.ais, "{what}: the DataMatrix");
                    }
                    _ => {
                        assert!(text.starts_with("]C1"), "{what}: not GS1-128: {text:?}");
                        if !linear.is_empty() {
                            linear.push('\u{1d}');
                        }
                        linear.push_str(&text[3..]);
                    }
                }
            }
            // The GS1-128 symbols together: valid as one message, and exactly the AIs asked for.
            let all = gs1::parse(&format!("]C1{linear}"));
            assert!(all.ok(), "{what}: {linear:?} {:?}", all.errors);
            let mut got = all.ais.clone();
            let mut want = asked.ais.clone();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{what}: the GS1-128 symbols");
            let matrices = symbols.iter().filter(|s| s.0 == Format::DataMatrix).count();
            let want_matrix = matches!(data, LabelData::Item(_) | LabelData::Case(_));
            assert_eq!(
                matrices,
                usize::from(want_matrix),
                "{what}: DataMatrix count"
            );
        }
        None => {
            if let LabelData::Enrollment(d) = data {
                assert_eq!(symbols.len(), 1, "{what}: {symbols:?}");
                assert_eq!(symbols[0].0, Format::QrCode, "{what}");
                assert_eq!(&symbols[0].1[3..], d.qr, "{what}");
                return;
            }
            let want: Vec<String> = match data {
                LabelData::Location(d) => vec![d.code.clone()],
                LabelData::Item(d) => [Some(d.sku.clone()), d.serial.clone().or(d.lot.clone())]
                    .into_iter()
                    .flatten()
                    .collect(),
                _ => unreachable!(),
            };
            let want: Vec<_> = want
                .into_iter()
                .map(|t| (Format::Code128, format!("]C0{t}")))
                .collect();
            assert_eq!(symbols, want, "{what}");
        }
    }
}

fn gray(png: &[u8]) -> GrayImage {
    image::load_from_memory(png).unwrap().to_luma8()
}

#[test]
fn every_template_at_both_resolutions_reads_back_from_zpl_png_and_pdf() {
    let pdf_tool = pdf_rasterizer();
    for (data, size) in labels() {
        for dpi in Dpi::ALL {
            let what = format!("{} {size} {dpi} dpi", data.template().name);
            let l = label::layout(&data, size, dpi).unwrap();

            let png = label::render(&data, size, dpi, Output::Png, 1).unwrap();
            let img = gray(&png);
            assert_eq!((img.width(), img.height()), (l.width, l.height), "{what}");
            assert_reads_back(&format!("{what} PNG"), &img, &l, &data);

            let zpl = label::render(&data, size, dpi, Output::Zpl, 1).unwrap();
            let printed = print_zpl(&zpl, size, dpi, 1);
            assert_reads_back(&format!("{what} ZPL"), &printed, &l, &data);

            let pdf = label::render(&data, size, dpi, Output::Pdf, 1).unwrap();
            assert!(pdf.starts_with(b"%PDF-"), "{what}");
            if let Some(tool) = &pdf_tool {
                let page = rasterize(tool, &pdf, dpi);
                assert_eq!(
                    (page.width(), page.height()),
                    (l.width, l.height),
                    "{what} PDF"
                );
                assert_reads_back(&format!("{what} PDF"), &page, &l, &data);
            }
        }
    }
}

/// The ZPL as a Zebra printer would print it, by the labelize renderer, at the label's size.
/// `copies`: how many labels the printer would feed (^PQ); the picture is the first.
fn print_zpl(zpl: &[u8], size: LabelSize, dpi: Dpi, copies: usize) -> GrayImage {
    let (w, h) = size.inches();
    let opts = labelize::RenderOptions {
        language: Some(labelize::Language::Zpl),
        width_mm: Some(w as f64 * 25.4),
        height_mm: Some(h as f64 * 25.4),
        // The printhead's dots a millimetre as Zebra names them: 8 at 203 dpi, 12 at 300.
        dpmm: dpi.dots_per_mm().round() as i32,
        antialias: false,
    };
    let r = labelize::render_png(zpl, opts).expect("labelize renders our ZPL");
    assert_eq!(r.labels, copies);
    gray(&r.bytes)
}

/// A PDF rasterizer on this machine: poppler's pdftoppm or Ghostscript (Debian:
/// poppler-utils or ghostscript). None, and a note, when neither is installed.
fn pdf_rasterizer() -> Option<&'static str> {
    for tool in ["pdftoppm", "gs"] {
        let ok = std::process::Command::new(tool)
            .arg(if tool == "gs" { "--version" } else { "-v" })
            .output()
            .is_ok_and(|o| o.status.success() || !o.stderr.is_empty());
        if ok {
            return Some(tool);
        }
    }
    eprintln!("skipped: the PDF round trip needs pdftoppm (poppler-utils) or gs (ghostscript)");
    None
}

fn rasterize(tool: &str, pdf: &[u8], dpi: Dpi) -> GrayImage {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("label.pdf");
    std::fs::write(&input, pdf).unwrap();
    let out = d.path().join("page.png");
    let r = dpi.value().to_string();
    let status = if tool == "gs" {
        std::process::Command::new("gs")
            .args(["-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pnggray"])
            .arg(format!("-r{r}"))
            .arg("-dFirstPage=1")
            .arg("-dLastPage=1")
            .arg(format!("-sOutputFile={}", out.display()))
            .arg(&input)
            .status()
    } else {
        std::process::Command::new("pdftoppm")
            .args([
                "-gray",
                "-png",
                "-singlefile",
                "-aa",
                "no",
                "-aaVector",
                "no",
                "-r",
                &r,
            ])
            .arg(&input)
            .arg(d.path().join("page"))
            .status()
    };
    assert!(status.unwrap().success(), "{tool} failed");
    gray(&std::fs::read(&out).unwrap())
}

#[test]
fn copies_and_sizes_in_the_zpl() {
    let (data, size) = labels().remove(0);
    let zpl =
        String::from_utf8(label::render(&data, size, Dpi::D300, Output::Zpl, 3).unwrap()).unwrap();
    assert!(zpl.starts_with("^XA\n^CI28\n^PW1200\n^LL600\n"), "{zpl}");
    assert!(zpl.contains("^PQ3\n^XZ"), "{zpl}");
    // FNC1 first and after the variable-length lot; the DataMatrix's FNC1 as the `_1` escape.
    assert!(zpl.contains("^BCN,") && zpl.contains("^FD>;>8"), "{zpl}");
    assert!(
        zpl.contains(">8") && zpl.contains("^FD_101095060001343521126040117271031"),
        "{zpl}"
    );
    let pdf = label::render(&data, size, Dpi::D203, Output::Pdf, 3).unwrap();
    assert!(
        String::from_utf8_lossy(&pdf).contains("/Count 3"),
        "3 pages"
    );
}

#[test]
fn what_a_template_cannot_hold_is_refused() {
    let long_lot = ItemData {
        lot: Some("L".repeat(21)),
        ..item()
    };
    let e = label::render(
        &LabelData::Item(long_lot),
        LabelSize::L4x2,
        Dpi::D203,
        Output::Zpl,
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("(10)") && e.contains("at most 20"), "{e}");
    let cset = ItemData {
        lot: Some("LOT #1".into()),
        ..item()
    };
    let e = label::render(
        &LabelData::Item(cset),
        LabelSize::L4x2,
        Dpi::D203,
        Output::Png,
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("not allowed"), "{e}");
    let far = ItemData {
        expiry: date("2090-01-31"),
        ..item()
    };
    let e = label::render(
        &LabelData::Item(far),
        LabelSize::L4x2,
        Dpi::D203,
        Output::Pdf,
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("expiry date 2090-01-31 cannot be printed"),
        "{e}"
    );
    // An item label with GS1-128 and DataMatrix does not fit 2x1; a pallet label is 4x6 only.
    let e = label::layout(&LabelData::Item(item()), LabelSize::L2x1, Dpi::D203)
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not fit 2x1 in"), "{e}");
    let (sscc, _) = labels().remove(3);
    let e = label::layout(&sscc, LabelSize::L4x2, Dpi::D300)
        .unwrap_err()
        .to_string();
    assert!(e.contains("made for 4x6 in"), "{e}");
    let LabelData::Sscc(mut bad) = sscc else {
        unreachable!()
    };
    let mut far = bad.clone();
    far.ship_to = "St. Marien Krankenhaus, Zentralapotheke, Anlieferung Tor 4, Kardinal-von-Galen-Ring 10, 48149 Münster".into();
    let e = label::layout(&LabelData::Sscc(far), LabelSize::L4x6, Dpi::D203)
        .unwrap_err()
        .to_string();
    assert!(e.contains("too long for one line"), "{e}");
    bad.sscc = "395060000000000417".into();
    let e = label::layout(&LabelData::Sscc(bad), LabelSize::L4x6, Dpi::D203)
        .unwrap_err()
        .to_string();
    assert!(e.contains("check digit"), "{e}");
}

/// A printer that takes the bytes: the listener receives exactly the ZPL, and the job is printed.
#[test]
fn a_printer_on_loopback_receives_the_exact_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let printer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    let mut l = ledger();
    let (data, size) = labels().remove(0);
    let zpl = label::render(&data, size, Dpi::D203, Output::Zpl, 2).unwrap();
    let target = label::jobs::Target {
        name: "DOCK-ZEBRA".into(),
        address: format!("127.0.0.1:{port}").parse().unwrap(),
    };
    let id = label::jobs::print(
        &mut l,
        &target,
        Output::Zpl,
        "item",
        &zpl,
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(printer.join().unwrap(), zpl);
    let job = l.print_job(id).unwrap().unwrap();
    assert_eq!(job.status, lotkeeper::ledger::labels::JobStatus::Printed);
    assert!(l.print_jobs(false).unwrap().is_empty());
}

/// A port nothing listens on (just freed).
fn free_port() -> u16 {
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    closed.local_addr().unwrap().port()
}

/// Prints to DOCK-ZEBRA on a loopback port with a short timeout; the error it must give.
fn print_to(l: &mut lotkeeper::ledger::Ledger, port: u16, zpl: &[u8]) -> String {
    let target = label::jobs::Target {
        name: "DOCK-ZEBRA".into(),
        address: format!("127.0.0.1:{port}").parse().unwrap(),
    };
    label::jobs::print(
        l,
        &target,
        Output::Zpl,
        "item",
        zpl,
        Duration::from_millis(500),
    )
    .unwrap_err()
    .to_string()
}

/// A printer that accepts and never reads (nor closes), and one that refuses: a clear error,
/// and the job stays queued with it; a retry once the printer is back prints it.
#[test]
fn a_printer_that_does_not_answer_leaves_the_job_queued() {
    let mut l = ledger();
    let (data, size) = labels().remove(0);
    let zpl = label::render(&data, size, Dpi::D203, Output::Zpl, 1).unwrap();

    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let hold = std::thread::spawn(move || {
        let (s, _) = silent.accept().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let e = print_to(&mut l, port, &zpl);
    assert!(
        e.starts_with(&format!(
            "printer DOCK-ZEBRA at 127.0.0.1:{port} does not answer"
        )),
        "{e}"
    );
    assert!(e.contains("stays queued as print job 1"), "{e}");
    hold.join().unwrap();

    // Nothing listens on a port just freed: the connection is refused.
    let e = print_to(&mut l, free_port(), &zpl);
    assert!(
        e.contains("does not answer") && e.contains("print job 2"),
        "{e}"
    );
    let queued = l.print_jobs(false).unwrap();
    assert_eq!(queued.len(), 2);
    assert!(queued.iter().all(|j| j.attempts == 1
        && j.last_error
            .as_deref()
            .is_some_and(|m| m.contains("does not answer"))));
    assert_eq!(queued[0].payload, zpl);
}

/// The command line: labels from what the ledger knows, printers, the queue and a retry; bad
/// input exits 1 with nothing written and nothing queued.
#[test]
fn the_command_line_prints_queues_and_retries() {
    let d = crate::cli::setup();
    d.ok(&[
        "receive",
        "--item",
        "PARA",
        "--qty",
        "24",
        "--to",
        "A1",
        "--lot",
        "L1",
        "--expiry",
        "2027-01-31",
    ]);
    let out = d.dir.path().join("case.png");
    let said = d.ok(&[
        "label",
        "case",
        "--item",
        "PARA",
        "--lot",
        "L1",
        "--format",
        "png",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        said.contains("(01)19506000134359(17)270131(10)L1") && !said.contains("(37)"),
        "{said}"
    );
    let png = gray(&std::fs::read(&out).unwrap());
    assert_eq!(
        (png.width(), png.height()),
        (812, 406),
        "a 4x2 in label at 203 dpi"
    );
    let zpl = d.ok(&[
        "label",
        "location",
        "--location",
        "A1",
        "--size",
        "2x1",
        "--dpi",
        "300",
    ]);
    assert!(
        zpl.starts_with("^XA") && zpl.contains("^FD>:A1^FS"),
        "{zpl}"
    );

    // A printer that is off: the job stays queued, and prints once the printer is back.
    let addr = format!("127.0.0.1:{}", free_port());
    d.ok(&[
        "printer",
        "add",
        "DOCK-ZEBRA",
        "--address",
        &addr,
        "--size",
        "4x2",
        "--default-for",
        "receive",
    ]);
    let printers = json(&d.ok(&["printer", "list", "--format", "json"]));
    assert_eq!(printers[0]["default_for"], "receive");
    let r = d.run(&[
        "label",
        "item",
        "--item",
        "PARA",
        "--lot",
        "L1",
        "--printer",
        "DOCK-ZEBRA",
        "--timeout",
        "1",
    ]);
    assert_eq!(r.status.code(), Some(1));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(
        err.contains(&format!("printer DOCK-ZEBRA at {addr} does not answer")),
        "{err}"
    );
    let jobs = json(&d.ok(&["print-jobs", "list", "--format", "json"]));
    assert_eq!(jobs.as_array().unwrap().len(), 1);
    let id = jobs[0]["id"].as_i64().unwrap().to_string();

    let listener = TcpListener::bind(&addr).unwrap();
    let printer = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    let done = json(&d.ok(&["print-jobs", "retry", &id, "--format", "json"]));
    assert_eq!(done["status"], "printed");
    let got = String::from_utf8(printer.join().unwrap()).unwrap();
    assert!(got.starts_with("^XA") && got.contains("^PW812"), "{got}");
    assert_eq!(d.ok(&["print-jobs"]).trim(), "(nothing)");
    // Printed once: a retry does not print it a second time.
    let again = d.run(&["print-jobs", "retry", &id]);
    assert_eq!(again.status.code(), Some(1));
    let e = String::from_utf8_lossy(&again.stderr);
    assert!(e.contains("was printed at"), "{e}");
    // A printer is the default only for a workflow that exists.
    let typo = d.run(&[
        "printer",
        "add",
        "BENCH",
        "--address",
        "127.0.0.1:9100",
        "--default-for",
        "recieve",
    ]);
    assert_eq!(typo.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("'recieve' is not a workflow"));

    // Bad input: refused, exit 1, no file, no job.
    let bad = d.dir.path().join("bad.zpl");
    for args in [
        vec![
            "label",
            "item",
            "--item",
            "PARA",
            "--lot",
            "L123456789012345678901",
        ],
        vec!["label", "item", "--item", "PARA", "--lot", "LÖT"],
        vec![
            "label",
            "item",
            "--item",
            "PARA",
            "--lot",
            "L1",
            "--expiry",
            "2027-02-30",
        ],
        vec![
            "label", "item", "--item", "PARA", "--lot", "L1", "--size", "2x1",
        ],
        vec![
            "label", "item", "--item", "PARA", "--lot", "L1", "--size", "3x3",
        ],
        vec!["label", "sscc", "--ship-from", "A", "--ship-to", "B"],
        vec![
            "label", "case", "--item", "PARA", "--lot", "L1", "--count", "0",
        ],
        // A Zebra on port 9100 takes ZPL, not a picture.
        vec![
            "label", "item", "--item", "PARA", "--lot", "L1", "--format", "png",
        ],
    ] {
        let mut args = args.clone();
        args.extend(["--out", bad.to_str().unwrap(), "--printer", "DOCK-ZEBRA"]);
        let r = d.run(&args);
        assert_eq!(r.status.code(), Some(1), "{args:?}");
        assert!(!String::from_utf8_lossy(&r.stderr).is_empty());
        assert!(!bad.exists(), "{args:?} wrote a label");
    }
    let all = json(&d.ok(&["print-jobs", "list", "--all", "--format", "json"]));
    assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
}

/// SSCCs: the back office sets the company prefix; two enrolled handhelds learn it with a block
/// of their own at their first sync, then allocate 1,000 SSCCs each while offline, and the back
/// office 1,000 of its own: 3,000 SSCCs, none the same, every check digit valid. A sync after
/// that changes nothing, and the command line labels from the database's own block.
#[test]
fn ssccs_are_never_the_same_twice_even_from_devices_offline() {
    let mut site = crate::sync::Site::new();
    site.ledger().set_sscc_parts("9506000", "3").unwrap();
    let mut a = site.device("dock-a");
    let mut b = site.device("dock-b");
    site.server.take().unwrap().stop();
    let mut seen = std::collections::HashSet::new();
    let mut server = site.ledger();
    for l in [&mut a.ledger, &mut b.ledger, &mut server] {
        for _ in 0..1000 {
            let s = label::SsccAllocator::allocate(l).unwrap();
            assert!(lotkeeper::gtin::has_valid_check_digit(s.as_str()));
            assert!(s.as_str().starts_with("39506000"), "{}", s.as_str());
            assert!(seen.insert(s.as_str().to_string()), "{} twice", s.as_str());
        }
    }
    assert_eq!(seen.len(), 3000);
    // dock-a's handheld is replaced (a new token under the same name): the new one knows nothing
    // of what the old one printed, so it gets a block of its own.
    site.server = Some(
        lotkeeper::sync::server::RunningServer::start(&site.db(), "127.0.0.1:0", None).unwrap(),
    );
    site.url = site.server.as_ref().unwrap().url();
    site.ledger().revoke_device("dock-a").unwrap();
    let mut a2 = site.device("dock-a");
    for _ in 0..100 {
        let s = label::SsccAllocator::allocate(&mut a2.ledger).unwrap();
        assert!(seen.insert(s.as_str().to_string()), "{} twice", s.as_str());
    }
    // A handheld never sets its own prefix: it would lose the back office's blocks.
    let d = crate::cli::setup();
    let dev = run_with_db(&a.path, &["label", "setup", "--company-prefix", "9506000"]);
    assert_eq!(dev.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dev.stderr).contains("come from the back office"));

    d.ok(&[
        "label",
        "setup",
        "--company-prefix",
        "9506000",
        "--extension",
        "1",
    ]);
    let a = d.ok(&[
        "label",
        "sscc",
        "--ship-from",
        "Acme",
        "--ship-to",
        "Shop",
        "--format",
        "pdf",
        "--out",
        d.dir.path().join("a.pdf").to_str().unwrap(),
    ]);
    let b = d.ok(&[
        "label",
        "sscc",
        "--ship-from",
        "Acme",
        "--ship-to",
        "Shop",
        "--item",
        "PARA",
        "--count",
        "40",
        "--format",
        "zpl",
        "--out",
        d.dir.path().join("b.zpl").to_str().unwrap(),
    ]);
    let sscc = |reference: &str| {
        let body = format!("19506000{reference}");
        format!("(00){body}{}", lotkeeper::gtin::check_digit(&body).unwrap())
    };
    assert!(a.contains(&sscc("000000000")), "{a}");
    assert!(b.contains(&sscc("000000001")), "{b}");
}

/// A printer on loopback that takes one connection and hands back everything it was sent.
fn one_shot_printer() -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let printer = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = printer.local_addr().unwrap().port();
    let got = std::thread::spawn(move || {
        let (mut s, _) = printer.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        got
    });
    (port, got)
}

fn add_printer(l: &mut lotkeeper::ledger::Ledger, port: u16, default_for: &[&str]) {
    l.put_printer(&lotkeeper::ledger::labels::Printer {
        name: "DOCK-ZEBRA".into(),
        address: format!("127.0.0.1:{port}"),
        dpi: 203,
        size: "4x2".into(),
        default_for: default_for.iter().map(|s| s.to_string()).collect(),
    })
    .unwrap();
}

/// The receiver generates a lot for two unlabeled cases and prints their labels before leaving
/// the line: the printer gets one job of ZPL that, printed, reads back as the pack GTIN, the
/// generated lot and the expiry, two copies. Look up offers the lot's label again.
#[test]
fn a_generated_lot_is_printed_at_the_dock_and_reprinted_from_look_up() {
    use lotkeeper::workflow::lookup::Lookup;
    use lotkeeper::workflow::receive::Receive;
    use lotkeeper::workflow::session::parse_event;
    use lotkeeper::workflow::{Feedback, Workflow};
    let mut l = ledger();
    let mut w = Receive::start(&l);
    // No printer yet: the offer is there, and choosing it says how to get a printer.
    for e in [
        "scan ]C10119506000134359",
        "choose generate",
        "enter 2027-01-31",
        "enter 2",
        "confirm",
    ] {
        let o = w.handle(&mut l, parse_event(e).unwrap());
        assert_ne!(o.feedback, Feedback::Refused, "{e}: {o:?}");
    }
    let lot = l.stock_by_lot(Some("PARA"), None, None).unwrap()[0]
        .lot
        .clone()
        .unwrap();
    let v = w.view();
    assert_eq!(v.options, vec!["print labels".to_string()]);
    assert!(
        v.fields.contains(&("Labels to print".into(), "2".into())),
        "{v:?}"
    );
    // Print: how many, with the label on screen as it will print; Confirm takes the 2.
    let o = w.handle(&mut l, parse_event("choose print labels").unwrap());
    assert_eq!(o.feedback, Feedback::Accepted, "{o:?}");
    let v = w.view();
    assert_eq!(v.prompt, "Confirm prints 2 labels, or type how many");
    let preview = v.preview.expect("a preview");
    assert_eq!((preview.size, preview.dpi), (LabelSize::L4x2, Dpi::D203));
    let o = w.handle(&mut l, parse_event("confirm").unwrap());
    assert_eq!(o.feedback, Feedback::Refused);
    assert!(o.message.unwrap().contains("no printer is set up"));
    assert!(l.print_jobs(true).unwrap().is_empty());
    let o = w.handle(&mut l, parse_event("enter 501").unwrap());
    assert!(o.message.unwrap().contains("at most 500"));

    // With a printer: three instead of two (one was torn).
    let (port, got) = one_shot_printer();
    add_printer(&mut l, port, &["receive"]);
    let o = w.handle(&mut l, parse_event("enter 3").unwrap());
    assert_eq!(o.feedback, Feedback::Accepted, "{o:?}");
    assert_eq!(
        o.message.as_deref(),
        Some("3 label(s) to DOCK-ZEBRA: printing")
    );
    assert!(w.view().options.is_empty(), "printed once, offered no more");
    let job = l.print_jobs(false).unwrap().remove(0);
    label::jobs::retry(&mut l, job.id, Duration::from_secs(5)).unwrap();
    let zpl = got.join().unwrap();
    assert!(
        String::from_utf8_lossy(&zpl).contains("^PQ3"),
        "three copies"
    );
    let case = LabelData::Case(ItemData {
        gtin: "19506000134359".into(),
        lot: Some(lot.clone()),
        expiry: date("2027-01-31"),
        sku: "PARA".into(),
        name: "Paracetamol 500 mg".into(),
        count: Some(Count::Fixed(12)),
        ..Default::default()
    });
    let layout = label::layout(&case, LabelSize::L4x2, Dpi::D203).unwrap();
    assert_reads_back(
        "the receipt's case label",
        &print_zpl(&zpl, LabelSize::L4x2, Dpi::D203, 3),
        &layout,
        &case,
    );

    // Look up the lot: "reprint label" queues one item label on the only printer there is.
    let mut look = Lookup::start();
    let o = look.handle(&mut l, parse_event(&format!("scan {lot}")).unwrap());
    assert_ne!(o.feedback, Feedback::Refused, "{o:?}");
    let v = look.view();
    assert_eq!(v.options, vec!["reprint label".to_string()]);
    assert!(
        matches!(&v.preview, Some(p) if matches!(&p.label, LabelData::Item(d) if d.lot.as_deref() == Some(lot.as_str()))),
        "the label on screen before it is reprinted: {v:?}"
    );
    let o = look.handle(&mut l, parse_event("choose reprint label").unwrap());
    assert_eq!(o.feedback, Feedback::Accepted, "{o:?}");
    let queued = l.print_jobs(false).unwrap();
    assert_eq!(queued.len(), 1);
    assert!(
        queued[0].label.contains(&format!("PARA lot {lot}")),
        "{queued:?}"
    );
}

/// Enrollment by QR code, end to end: the back office adds a handheld and prints its QR label
/// (a one-time code, never the token); the label, drawn and decoded, holds the server and the
/// code; the handheld enrolls with what it read and syncs. The old token stops working, the code
/// works once, and a malformed or spent code changes nothing on the server.
#[test]
fn a_handheld_enrolls_by_scanning_the_qr_label() {
    let site = crate::sync::Site::new();
    let server = site.db();
    let added = json(&String::from_utf8_lossy(
        &run_with_db(
            &server,
            &["device", "add", "DOCK-HH-07", "--format", "json"],
        )
        .stdout,
    ));
    let first_token = added["token"].as_str().unwrap().to_string();
    let d = Dir::new();
    let png = d.dir.path().join("enroll.png");
    let made = run_with_db(
        &server,
        &[
            "device",
            "enroll-code",
            "DOCK-HH-07",
            "--server",
            &site.url,
            "--minutes",
            "5",
            "--format",
            "png",
            "--out",
            png.to_str().unwrap(),
        ],
    );
    assert_eq!(made.status.code(), Some(0), "{made:?}");
    let said = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(said.contains("enrollment code for DOCK-HH-07"), "{said}");
    assert!(
        !said.contains(&first_token),
        "the token is never shown again"
    );

    // What a handheld's camera reads off the label.
    let img = gray(&std::fs::read(&png).unwrap());
    let frame = LumaFrame::new(img.as_raw(), img.width(), img.height(), img.width()).unwrap();
    let found = RxingDecoder::new(Effort::Thorough).decode(&frame, &[Format::QrCode]);
    assert_eq!(found.len(), 1, "{found:?}");
    let qr = found[0].text.clone();
    assert!(said.contains(&qr), "the label holds what was said: {qr}");
    let (url, code) = lotkeeper::sync::enroll::parse_qr(&qr).unwrap();
    assert_eq!(url, site.url);
    assert!(!qr.contains("lk_"), "no token in the QR code");

    // The handheld enrolls with it and syncs; the token from `device add` no longer works.
    let out = json(&d.ok(&["enroll", "--qr", &qr, "--format", "json"]));
    assert_eq!(out["device"], "DOCK-HH-07");
    let first = json(&d.ok(&["sync", "--format", "json"]));
    assert!(first["master_updated"].as_bool().unwrap(), "{first}");
    d.ok(&["receive", "--item", "BOLT", "--qty", "3", "--to", "A1"]);
    assert_eq!(json(&d.ok(&["sync", "--format", "json"]))["accepted"], 1);
    assert_eq!(
        site.ledger()
            .device_for(&lotkeeper::sync::hash_token(&first_token))
            .unwrap(),
        None
    );

    // Once only: a second handheld with the same label is refused, with why.
    let other = Dir::new();
    let again = other.run(&["enroll", "--qr", &qr]);
    assert_eq!(again.status.code(), Some(1));
    let e = String::from_utf8_lossy(&again.stderr);
    assert!(e.contains("already used"), "{e}");
    assert!(e.contains("403"), "{e}");
    // Malformed bodies and codes: 4xx, nothing changes.
    let before = site.ledger().devices().unwrap();
    let client = reqwest::blocking::Client::new();
    for body in [
        "{".to_string(),
        r#"{"code":"x"}"#.to_string(),
        format!(r#"{{"code":"{code}","token":"mine"}}"#),
    ] {
        let r = client
            .post(format!("{}/v1/enroll", site.url))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{body}");
    }
    // Public, so small: a body of megabytes is refused before it is read whole.
    let big = format!(r#"{{"code":"{}"}}"#, "A".repeat(4096));
    let r = client
        .post(format!("{}/v1/enroll", site.url))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert_eq!(site.ledger().devices().unwrap(), before);
    assert_eq!(
        json(&d.ok(&["status", "--format", "json"]))["device"],
        "DOCK-HH-07"
    );
}

/// `split --print-labels`: one label per new serial on the split's printer; with no printer the
/// split is refused before anything is posted.
#[test]
fn a_split_prints_a_label_per_new_serial() {
    let d = crate::cli::setup();
    d.ok(&[
        "receive", "--item", "FLOUR", "--qty", "2", "--to", "A1", "--lot", "L5",
    ]);
    let split = [
        "split",
        "--item",
        "FLOUR",
        "--lot",
        "L5",
        "--at",
        "A1",
        "--into",
        "PHONE",
        "--serial",
        "SN-1",
        "SN-2",
        "--print-labels",
    ];
    let refused = d.run(&split);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no printer is set up"));
    assert_eq!(
        json(&d.ok(&["report", "serials", "--format", "json"])),
        serde_json::json!([]),
        "nothing posted"
    );

    let (port, got) = one_shot_printer();
    d.ok(&[
        "printer",
        "add",
        "BENCH",
        "--address",
        &format!("127.0.0.1:{port}"),
        "--dpi",
        "203",
        "--size",
        "2x1",
        "--default-for",
        "split",
    ]);
    let out = d.run(&split);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 label(s) printed on BENCH"));
    let zpl = String::from_utf8(got.join().unwrap()).unwrap();
    assert_eq!(zpl.matches("^XA").count(), 2, "{zpl}");
    for s in ["SN-1", "SN-2"] {
        assert!(zpl.contains(s), "{zpl}");
    }
}

/// Printers are master data: the back office sets them up, handhelds take them with their next
/// sync (and lose one the back office removed), so the Receive screen has a printer to print to.
#[test]
fn handhelds_take_their_printers_from_the_back_office() {
    let site = crate::sync::Site::new();
    let mut a = site.device("dock-a");
    assert!(a.ledger.printers().unwrap().is_empty());
    add_printer(&mut site.ledger(), 9100, &["receive", "lookup"]);
    assert!(a.sync().unwrap().master_updated);
    let got = a.ledger.printers().unwrap();
    assert_eq!(got, site.ledger().printers().unwrap());
    assert_eq!(
        a.ledger
            .default_printer("receive")
            .unwrap()
            .unwrap()
            .address,
        "127.0.0.1:9100"
    );
    site.ledger().remove_printer("DOCK-ZEBRA").unwrap();
    assert!(a.sync().unwrap().master_updated);
    assert!(a.ledger.printers().unwrap().is_empty());
    assert_eq!(a.ledger.default_printer("receive").unwrap(), None);
}

/// A pallet label this database printed can be printed again from Look up: the same SSCC, the
/// same contents, the same ship-to; an SSCC from elsewhere shows what its label says, no reprint.
#[test]
fn look_up_reprints_a_pallet_label() {
    use lotkeeper::workflow::lookup::Lookup;
    use lotkeeper::workflow::session::parse_event;
    use lotkeeper::workflow::{Feedback, Workflow};
    let d = crate::cli::setup();
    d.ok(&["label", "setup", "--company-prefix", "9506000"]);
    let said = d.ok(&[
        "label",
        "sscc",
        "--ship-from",
        "Acme, Dock 3",
        "--ship-to",
        "Corner Pharmacy",
        "--item",
        "PARA",
        "--count",
        "40",
        "--lot",
        "L1",
        "--expiry",
        "2027-01-31",
        "--format",
        "png",
        "--out",
        d.dir.path().join("p.png").to_str().unwrap(),
    ]);
    let sscc = said.split("(00)").nth(1).unwrap()[..18].to_string();
    let mut l = lotkeeper::ledger::Ledger::open(&d.db()).unwrap();
    let (port, got) = one_shot_printer();
    l.put_printer(&lotkeeper::ledger::labels::Printer {
        name: "SHIPPING".into(),
        address: format!("127.0.0.1:{port}"),
        dpi: 203,
        size: "4x6".into(),
        default_for: vec!["lookup".into()],
    })
    .unwrap();
    let mut look = Lookup::start();
    let o = look.handle(&mut l, parse_event(&format!("scan ]C100{sscc}")).unwrap());
    assert_ne!(o.feedback, Feedback::Refused, "{o:?}");
    let v = look.view();
    assert!(
        v.fields
            .contains(&("Ship to".into(), "Corner Pharmacy".into())),
        "{v:?}"
    );
    let o = look.handle(&mut l, parse_event("choose reprint label").unwrap());
    assert_eq!(o.feedback, Feedback::Accepted, "{o:?}");
    let job = l.print_jobs(false).unwrap().remove(0);
    label::jobs::retry(&mut l, job.id, Duration::from_secs(5)).unwrap();
    let zpl = got.join().unwrap();
    let LabelData::Sscc(want) =
        serde_json::from_str::<LabelData>(&l.sscc_label(&sscc).unwrap().unwrap()).unwrap()
    else {
        panic!("not a pallet label")
    };
    assert_eq!(want.sscc, sscc);
    let data = LabelData::Sscc(want);
    let layout = label::layout(&data, LabelSize::L4x6, Dpi::D203).unwrap();
    assert_reads_back(
        "the reprinted pallet label",
        &print_zpl(&zpl, LabelSize::L4x6, Dpi::D203, 1),
        &layout,
        &data,
    );
    // Someone else's SSCC: its contents from the scan, nothing to reprint.
    let body = "39506009999999999";
    let theirs = format!("{body}{}", lotkeeper::gtin::check_digit(body).unwrap());
    let mut other = Lookup::start();
    let o = other.handle(
        &mut l,
        parse_event(&format!("scan ]C100{theirs}02195060001343593740")).unwrap(),
    );
    assert_ne!(o.feedback, Feedback::Refused, "{o:?}");
    let v = other.view();
    assert!(v.options.is_empty(), "{v:?}");
    assert!(
        v.fields
            .iter()
            .any(|(k, value)| k == "Found" && value.starts_with("PARA")),
        "{v:?}"
    );
}
