//! Startup to the first frame on a database of 1,000,000 movements: open the ledger (migrations
//! checked), build the app (status bar, open pick lists), and render the first frame with the
//! software renderer. `cargo bench --bench startup` (`-- --json` for JSON). Uses the database the
//! ledger benchmark generates (`cargo bench --bench ledger` first), and says so when it is absent.

use lotkeeper::ledger::Ledger;
use lotkeeper::ui::{headless, App};
use slint::ComponentHandle;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let db = target.join("bench-ledger-1000000.db");
    if !db.exists() {
        println!(
            "skipped: {} is absent; run `cargo bench --bench ledger` first",
            db.display()
        );
        return;
    }
    headless::init();
    let mut runs = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        let ledger = Ledger::open(&db).unwrap();
        let movements = ledger.query().movement_count().unwrap();
        assert!(movements >= 1_000_000);
        let app = App::new(ledger).unwrap();
        app.window.show().unwrap();
        let frame = headless::render().expect("a first frame");
        assert_eq!(frame.dimensions(), (headless::WIDTH, headless::HEIGHT));
        runs.push(t.elapsed().as_secs_f64() * 1e3);
        app.window.hide().unwrap();
    }
    runs.sort_by(|a, b| a.total_cmp(b));
    let median = runs[runs.len() / 2];
    if json {
        println!(
            "{}",
            serde_json::json!({"name": "startup to first frame, 1,000,000 movements", "median_ms": median, "runs_ms": runs, "target_ms": 500, "pass": median < 500.0})
        );
    } else {
        println!("startup to first frame (1,000,000 movements): median {median:.1} ms over {} runs ({}< 500 ms)", runs.len(), if median < 500.0 { "ok " } else { "MISS " });
    }
}
