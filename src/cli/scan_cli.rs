//! `lotkeeper decode` and `lotkeeper parse`.

use anyhow::{bail, Result};
use serde_json::json;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use super::Format as Output;
use crate::scan::camera::source_opener;
use crate::scan::gs1::{self, DataKind};
use crate::scan::pipeline::Pipeline;
use crate::scan::worker::WorkerEvent;
use crate::scan::{image_input, Decoder, Effort, Format, RxingDecoder, Symbol};

/// The GS1 reading of a decoded symbol, or null when it carries no GS1 data.
fn gs1_json(s: &Symbol) -> serde_json::Value {
    let p = gs1::parse(&s.transmitted());
    if p.kind == DataKind::Plain {
        return serde_json::Value::Null;
    }
    parsed_json(&p)
}

fn parsed_json(p: &gs1::Parsed) -> serde_json::Value {
    let mut v = json!({
        "kind": p.kind,
        "ok": p.ok(),
        "ais": p.ais,
        "errors": p.errors,
    });
    with_warnings(&mut v, p);
    v
}

/// `warnings` (what a lenient parse let through) when there are any.
fn with_warnings(v: &mut serde_json::Value, p: &gs1::Parsed) {
    if !p.warnings.is_empty() {
        v.as_object_mut()
            .expect("a JSON object")
            .insert("warnings".into(), json!(p.warnings));
    }
}

pub fn decode(formats: Option<&str>, out: Output, images: &[PathBuf]) -> Result<()> {
    let formats = match formats {
        Some(list) => Format::parse_list(list)?,
        None => Format::WAREHOUSE.to_vec(),
    };
    if formats.is_empty() {
        bail!("--formats names no format");
    }
    let mut decoder = RxingDecoder::new(Effort::Thorough);
    let mut results = Vec::new();
    let mut failed = false;
    for path in images {
        let img = match image_input::load(path) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
                continue;
            }
        };
        let t = Instant::now();
        let symbols = decoder.decode(&img.frame(), &formats);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        results.push((path.clone(), symbols, ms));
    }
    match out {
        Output::Json => {
            let v: Vec<_> = results
                .iter()
                .map(|(path, symbols, ms)| {
                    json!({
                        "file": path.display().to_string(),
                        "symbols": symbols.iter().map(|s| json!({
                            "format": s.format.name(),
                            "text": s.text,
                            "symbology_id": s.symbology_id,
                            "position": s.position.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>(),
                            "gs1": gs1_json(s),
                        })).collect::<Vec<_>>(),
                        "ms": (ms * 1000.0).round() / 1000.0,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        _ => {
            for (path, symbols, ms) in &results {
                println!("{} ({ms:.1} ms)", path.display());
                if symbols.is_empty() {
                    println!("  no symbol found");
                }
                for s in symbols {
                    println!(
                        "  {:<12} {:<4} {}",
                        s.format.name(),
                        s.symbology_id.as_deref().unwrap_or(""),
                        s.text.replace('\u{1d}', "<GS>")
                    );
                }
            }
        }
    }
    if failed {
        bail!("some images could not be read");
    }
    Ok(())
}

pub fn parse(out: Output, lenient: bool) -> Result<()> {
    let options = gs1::ParseOptions {
        lenient_digital_link: lenient,
        ..gs1::ParseOptions::default()
    };
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut w = stdout.lock();
    for line in stdin.lock().lines() {
        let line = line?;
        let input = line.trim_end_matches('\r');
        let p = gs1::parse_with(input, &options);
        match out {
            Output::Json => {
                let mut v = parsed_json(&p);
                v.as_object_mut()
                    .expect("parsed_json builds an object")
                    .insert("input".into(), json!(input));
                // Keys in the documented order.
                let mut ordered = json!({
                    "input": input, "ok": v["ok"], "kind": v["kind"], "ais": v["ais"], "errors": v["errors"],
                });
                with_warnings(&mut ordered, &p);
                writeln!(w, "{}", serde_json::to_string(&ordered)?)?;
            }
            _ => {
                let ais: Vec<String> = p.ais.iter().map(|(a, v)| format!("({a}){v}")).collect();
                writeln!(
                    w,
                    "{:?}\t{}\t{}{}",
                    p.kind,
                    if p.ok() { "ok" } else { "error" },
                    ais.join(""),
                    p.errors
                        .iter()
                        .map(|e| format!("\t{:?}: {}", e.kind, e.message))
                        .chain(p.warnings.iter().map(|w| format!("\twarning: {w}")))
                        .collect::<String>()
                )?;
            }
        }
    }
    Ok(())
}

pub fn camera(
    replay: Option<PathBuf>,
    index: u32,
    formats: Option<&str>,
    count: Option<usize>,
    out: Output,
) -> Result<()> {
    let formats = match formats {
        Some(list) => Format::parse_list(list)?,
        None => Format::WAREHOUSE.to_vec(),
    };
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    let replaying = replay.is_some();
    let pipeline = Pipeline::start(
        source_opener(replay, index),
        formats,
        move |e| {
            let _ = err_tx.send(e);
        },
        |_, _| {},
    );
    let mut seen = 0usize;
    let mut finished: Option<std::time::Instant> = None;
    let stdout = std::io::stdout();
    loop {
        if let Ok(e) = err_rx.try_recv() {
            bail!("{e}");
        }
        match pipeline
            .events()
            .recv_timeout(std::time::Duration::from_millis(200))
        {
            Ok(WorkerEvent::Scan { event, .. }) => {
                let mut w = stdout.lock();
                let p = gs1::parse(&event.transmitted());
                match out {
                    Output::Json => writeln!(
                        w,
                        "{}",
                        json!({"format": event.format.map(|f| f.name()), "text": event.text,
                               "symbology_id": event.symbology_id, "gs1": if p.kind == DataKind::Plain { serde_json::Value::Null } else { parsed_json(&p) }})
                    )?,
                    _ => writeln!(
                        w,
                        "{:<12} {}",
                        event.format.map_or("", |f| f.name()),
                        event.text.replace('\u{1d}', "<GS>")
                    )?,
                }
                w.flush()?;
                seen += 1;
                if count.is_some_and(|c| seen >= c) {
                    break;
                }
            }
            Ok(WorkerEvent::FrameError(e)) => eprintln!("frame skipped: {e}"),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                // A replay ends when its frames have, and the worker had time for the last one.
                if replaying && pipeline.source_ended() {
                    let done = *finished.get_or_insert_with(std::time::Instant::now);
                    if done.elapsed() > std::time::Duration::from_secs(1) {
                        break;
                    }
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(())
}
