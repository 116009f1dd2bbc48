//! Decoder accuracy and speed on zxing-cpp's blackbox samples in `../shared/testdata/barcodes/`
//! (skipped with a message where that folder is absent; the images are not part of this project).
//!
//! Comparison rules, as zxing-cpp's blackbox tests apply them: each image `NAME.ext` has its
//! expected payload in `NAME.txt` (text) or `NAME.bin` (bytes); the reader is restricted to the
//! folder's format; an image is *correct* when a decoded symbol's text equals the expected payload,
//! *wrong* when symbols were found but none matches, *not found* otherwise. `falsepositives-*`
//! images hold no barcode: any symbol found there (with every format on) is a false read.
//!
//! `cargo bench --bench decode` prints a table; `-- --json` prints JSON; `-- --verbose` lists every
//! wrong and missed image; `-- --baseline` also runs rxing as it comes (its helper, default hints)
//! on the same images for the speed comparison.

use lotkeeper::scan::{image_input, Decoder, Effort, Format, LumaFrame, RxingDecoder};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn folder_format(name: &str) -> Option<Vec<Format>> {
    let base = name.rsplit_once('-').map_or(name, |(b, _)| b);
    Some(match base {
        "aztec" => vec![Format::Aztec],
        "code128" => vec![Format::Code128],
        "code39" => vec![Format::Code39],
        "datamatrix" => vec![Format::DataMatrix],
        "ean13" => vec![Format::Ean13],
        "ean8" => vec![Format::Ean8],
        "itf" => vec![Format::Itf],
        "pdf417" => vec![Format::Pdf417],
        "qrcode" => vec![Format::QrCode],
        "rss14" => vec![Format::Rss14],
        "rssexpanded" | "rssexpandedstacked" => vec![Format::RssExpanded],
        "upca" => vec![Format::UpcA],
        "upce" => vec![Format::UpcE],
        // DataBar Limited: no reader for it in rxing; counted, with the formats it could be.
        "databarltd" => vec![Format::Rss14],
        _ => return None,
    })
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[derive(Default)]
struct Stats {
    images: usize,
    correct: usize,
    wrong: usize,
    not_found: usize,
    ms: Vec<f64>,
}

fn images(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp"))
    });
    v.sort();
    v
}

fn expected(img: &Path) -> Option<Vec<u8>> {
    std::fs::read(img.with_extension("txt"))
        .or_else(|_| std::fs::read(img.with_extension("bin")))
        .ok()
}

/// The payload as bytes: Latin-1 where every char fits (binary payloads), else UTF-8.
fn bytes_of(text: &str) -> Vec<u8> {
    if text.chars().all(|c| (c as u32) < 256) {
        text.chars().map(|c| c as u8).collect()
    } else {
        text.as_bytes().to_vec()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let verbose = args.iter().any(|a| a == "--verbose");
    let baseline = args.iter().any(|a| a == "--baseline");
    let (mut base_ms, mut base_correct) = (Vec::<f64>::new(), 0usize);
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/barcodes/zxing-cpp-samples");
    if !root.is_dir() {
        println!(
            "skipped: {} is absent (the sample images live outside this project)",
            root.display()
        );
        return;
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut decoder = RxingDecoder::new(Effort::Thorough);
    let mut per_format: BTreeMap<String, Stats> = BTreeMap::new();
    let mut fp = Stats::default();
    let mut fp_reads = 0usize;
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("falsepositives") {
            for img in images(dir) {
                let Ok(luma) = image_input::load(&img) else {
                    continue;
                };
                let t = Instant::now();
                let found = decoder.decode(&luma.frame(), Format::WAREHOUSE);
                fp.ms.push(t.elapsed().as_secs_f64() * 1e3);
                fp.images += 1;
                if !found.is_empty() {
                    fp_reads += 1;
                    if verbose {
                        eprintln!(
                            "FALSE READ {}: {:?}",
                            img.display(),
                            found
                                .iter()
                                .map(|s| (s.format, &s.text))
                                .collect::<Vec<_>>()
                        );
                    }
                }
            }
            continue;
        }
        let Some(formats) = folder_format(&name) else {
            continue;
        };
        let key = name
            .rsplit_once('-')
            .map_or(name.clone(), |(b, _)| b.to_string());
        for img in images(dir) {
            let Some(want) = expected(&img) else { continue };
            let stats = per_format.entry(key.clone()).or_default();
            stats.images += 1;
            let Ok(luma) = image_input::load(&img) else {
                stats.not_found += 1;
                continue;
            };
            if baseline {
                // rxing as it comes: its own helper, default hints (TRY_HARDER on), same formats.
                let mut hints = rxing::DecodeHints {
                    PossibleFormats: Some(
                        formats
                            .iter()
                            .map(|f| {
                                f.name()
                                    .parse::<rxing::BarcodeFormat>()
                                    .expect("rxing names")
                            })
                            .collect(),
                    ),
                    ..Default::default()
                };
                let t = Instant::now();
                let res = rxing::helpers::detect_multiple_in_luma_with_hints(
                    luma.data.clone(),
                    luma.width,
                    luma.height,
                    &mut hints,
                );
                base_ms.push(t.elapsed().as_secs_f64() * 1e3);
                if res.is_ok_and(|r| r.iter().any(|x| bytes_of(x.getText()) == want)) {
                    base_correct += 1;
                }
            }
            let t = Instant::now();
            let found = decoder.decode(&luma.frame(), &formats);
            stats.ms.push(t.elapsed().as_secs_f64() * 1e3);
            if found
                .iter()
                .any(|s| bytes_of(&s.text) == want || s.text.as_bytes() == want)
            {
                stats.correct += 1;
            } else if found.is_empty() {
                stats.not_found += 1;
                if verbose {
                    eprintln!("NOT FOUND {}", img.display());
                }
            } else {
                stats.wrong += 1;
                if verbose {
                    eprintln!(
                        "WRONG {}: got {:?} want {:?}",
                        img.display(),
                        found.iter().map(|s| &s.text).collect::<Vec<_>>(),
                        String::from_utf8_lossy(&want)
                    );
                }
            }
        }
    }

    // Camera frames with no symbol: a barcode-free photo resized to the preview size.
    let mut fast = RxingDecoder::new(Effort::Fast);
    let photo = dirs
        .iter()
        .filter(|d| {
            d.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("falsepositives")
        })
        .flat_map(|d| images(d))
        .next();
    let mut frame_ms = BTreeMap::new();
    if let Some(photo) = photo {
        let img = image::open(&photo).unwrap().into_luma8();
        for (w, h) in [(1280u32, 720u32), (640, 480)] {
            let resized =
                image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle);
            let frame = LumaFrame::new(resized.as_raw(), w, h, w).unwrap();
            let mut ms = Vec::new();
            for _ in 0..30 {
                let t = Instant::now();
                let _ = fast.decode(&frame, Format::WAREHOUSE);
                ms.push(t.elapsed().as_secs_f64() * 1e3);
            }
            frame_ms.insert(format!("{w}x{h}"), percentile(&mut ms, 0.5));
        }
    }

    let total = per_format.values().fold(Stats::default(), |mut a, s| {
        a.images += s.images;
        a.correct += s.correct;
        a.wrong += s.wrong;
        a.not_found += s.not_found;
        a.ms.extend(&s.ms);
        a
    });
    let mut all_ms = total.ms.clone();
    if json {
        let rows: Vec<_> = per_format
            .iter_mut()
            .map(|(k, s)| {
                serde_json::json!({"format": k, "images": s.images, "correct": s.correct, "wrong": s.wrong,
                    "not_found": s.not_found, "median_ms": percentile(&mut s.ms, 0.5), "p95_ms": percentile(&mut s.ms, 0.95)})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "formats": rows,
                "total": {"images": total.images, "correct": total.correct, "wrong": total.wrong, "not_found": total.not_found,
                          "median_ms": percentile(&mut all_ms, 0.5), "p95_ms": percentile(&mut all_ms, 0.95)},
                "false_positives": {"images": fp.images, "false_reads": fp_reads, "median_ms": percentile(&mut fp.ms, 0.5)},
                "empty_camera_frame_median_ms": frame_ms,
                "rxing_baseline": if baseline { serde_json::json!({"correct": base_correct, "median_ms": percentile(&mut base_ms, 0.5)}) } else { serde_json::Value::Null },
            }))
            .unwrap()
        );
    } else {
        println!(
            "{:<20} {:>6} {:>7} {:>5} {:>9} {:>9} {:>9}",
            "format", "images", "correct", "wrong", "not found", "median ms", "p95 ms"
        );
        for (k, s) in per_format.iter_mut() {
            println!(
                "{:<20} {:>6} {:>7} {:>5} {:>9} {:>9.1} {:>9.1}",
                k,
                s.images,
                s.correct,
                s.wrong,
                s.not_found,
                percentile(&mut s.ms, 0.5),
                percentile(&mut s.ms, 0.95)
            );
        }
        println!(
            "{:<20} {:>6} {:>7} {:>5} {:>9} {:>9.1} {:>9.1}",
            "TOTAL",
            total.images,
            total.correct,
            total.wrong,
            total.not_found,
            percentile(&mut all_ms, 0.5),
            percentile(&mut all_ms, 0.95)
        );
        println!(
            "correct: {:.1}%",
            100.0 * total.correct as f64 / total.images.max(1) as f64
        );
        println!(
            "barcode-free photos: {} images, {} false reads, median {:.1} ms",
            fp.images,
            fp_reads,
            percentile(&mut fp.ms, 0.5)
        );
        for (k, v) in &frame_ms {
            println!("empty camera frame {k} (warehouse formats, fast effort): median {v:.1} ms");
        }
        if baseline {
            println!(
                "rxing as it comes (raw text, same comparison): {} correct, median {:.1} ms",
                base_correct,
                percentile(&mut base_ms, 0.5)
            );
        }
    }
}
