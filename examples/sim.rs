//! The long simulation run, outside the test suite:
//!
//!     cargo run --release --example sim -- --seeds 1000 --devices 5 [--steps 300] [--first 1] [--json]
//!
//! Runs seeds `first..first+seeds` of `lotkeeper::sync::sim`, each in its own temporary
//! directory, prints every violation with its seed and step, and a summary. Exits 1 when any
//! violation was found.

use lotkeeper::sync::sim::{run, Config};
use std::time::Instant;

fn arg(args: &[String], name: &str, default: u64) -> u64 {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                eprintln!("{name} needs a whole number");
                std::process::exit(2)
            }),
        None => default,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds = arg(&args, "--seeds", 100);
    let devices = arg(&args, "--devices", 5) as usize;
    let steps = arg(&args, "--steps", 300) as usize;
    let first = arg(&args, "--first", 1);
    let json = args.iter().any(|a| a == "--json");
    let started = Instant::now();
    let (mut posted, mut refused, mut accepted, mut conflicts, mut violations) = (0, 0, 0, 0, 0);
    let (mut requests, mut faults, mut restarts, mut server_restarts) = (0, 0, 0, 0);
    for seed in first..first + seeds {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let r = match run(&Config::new(seed, devices, steps), dir.path()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("seed {seed}: the run failed: {e}");
                std::process::exit(2)
            }
        };
        for v in &r.violations {
            eprintln!("{v}");
        }
        posted += r.posted;
        refused += r.refused;
        accepted += r.accepted;
        conflicts += r.conflicts;
        violations += r.violations.len();
        requests += r.network.requests;
        faults += r.network.dropped + r.network.cut + r.network.duplicated + r.network.delayed;
        restarts += r.device_restarts;
        server_restarts += r.server_restarts;
    }
    let secs = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::json!({
                "seeds": seeds, "first_seed": first, "devices": devices, "steps": steps,
                "movements_posted": posted, "movements_accepted": accepted, "refused": refused,
                "conflicts": conflicts, "requests": requests, "network_faults": faults,
                "device_restarts": restarts, "server_restarts": server_restarts,
                "violations": violations, "seconds": (secs * 10.0).round() / 10.0,
            })
        );
    } else {
        println!(
            "{seeds} seeds x {devices} devices x {steps} steps: {posted} movements posted, {accepted} accepted, {refused} refused, {conflicts} conflicts; {requests} requests, {faults} network faults, {restarts} device and {server_restarts} server restarts; {violations} violations; {secs:.1} s"
        );
    }
    if violations > 0 {
        std::process::exit(1);
    }
}
