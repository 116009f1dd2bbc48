//! Rules about the code itself: the dependency directions of ARCHITECTURE.md, and no stubs.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn files_under(rel: &str) -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let mut files = Vec::new();
    if root.is_file() {
        files.push(root);
    } else {
        rust_files(&root, &mut files);
    }
    files
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// `module` may not name any of `forbidden` (as `crate::x` paths or crate names).
fn assert_never_imports(module: &str, forbidden: &[&str]) {
    for (path, text) in files_under(module) {
        for f in forbidden {
            assert!(
                !text.contains(f),
                "{path} refers to {f}: see the invariants in ARCHITECTURE.md"
            );
        }
    }
}

#[test]
fn ledger_depends_on_nothing_above_it() {
    assert_never_imports(
        "src/ledger",
        &[
            "crate::cli",
            "crate::scan",
            "crate::workflow",
            "crate::ui",
            "crate::sync",
            "slint::",
            "reqwest",
            "axum",
            "rxing",
            "nokhwa",
        ],
    );
}

#[test]
fn scan_depends_only_on_itself_and_gtin() {
    assert_never_imports(
        "src/scan",
        &[
            "crate::ledger",
            "crate::cli",
            "crate::workflow",
            "crate::ui",
            "crate::sync",
            "slint::",
            "reqwest",
            "axum",
        ],
    );
}

#[test]
fn only_the_rxing_decoder_knows_rxing() {
    for (path, text) in files_under("src") {
        if path.contains("scan/rxing/") {
            continue;
        }
        assert!(
            !text.replace("self::rxing::", "").contains("rxing::"),
            "{path} uses rxing directly; go through scan::Decoder"
        );
    }
}

#[test]
fn workflow_never_imports_ui_or_sync() {
    assert_never_imports(
        "src/workflow",
        &[
            "crate::ui",
            "crate::sync",
            "crate::cli",
            "slint::",
            "reqwest",
            "axum",
        ],
    );
}

#[test]
fn the_pick_workflow_keeps_its_sql_in_the_ledger() {
    // Drafts, shorts and finishing a list are ledger functions (one transaction each).
    assert_never_imports(
        "src/workflow/pick.rs",
        &[
            "rusqlite", "SELECT ", "INSERT ", "UPDATE ", "DELETE ", ".write(",
        ],
    );
}

#[test]
fn only_sync_knows_http() {
    for (path, text) in files_under("src") {
        if path.contains("/src/sync/") {
            continue;
        }
        for http in ["axum::", "reqwest::", "axum_server::"] {
            assert!(
                !text.contains(http),
                "{path} uses {http}: HTTP belongs to sync"
            );
        }
    }
}

#[test]
fn only_the_android_glue_knows_jni_and_the_ndk() {
    for (path, text) in files_under("src") {
        if path.ends_with("src/android.rs") || path.ends_with("scan/android_camera.rs") {
            continue;
        }
        for platform in ["jni::", "ndk_sys", "android_activity::", "crate::android"] {
            assert!(
                !text.contains(platform),
                "{path} uses {platform}: Android specifics belong to src/android.rs (and the camera to scan/android_camera.rs)"
            );
        }
    }
}

#[test]
fn gtin_is_a_leaf() {
    assert_never_imports("src/gtin.rs", &["crate::"]);
}

#[test]
fn no_stubs_in_src() {
    for (path, text) in files_under("src") {
        for stub in ["todo!(", "unimplemented!("] {
            assert!(!text.contains(stub), "{path} contains {stub}");
        }
    }
}
