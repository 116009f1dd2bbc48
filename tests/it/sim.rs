//! The seeded simulation (`sync::sim`): devices and the real server code in-process, a faulty
//! network, restarts, and the auditor. A few seeds here; `examples/sim.rs` runs many.

use lotkeeper::sync::sim::{run, Config};

fn sim(seed: u64, devices: usize, steps: usize) -> lotkeeper::sync::sim::Report {
    let dir = tempfile::tempdir().unwrap();
    run(&Config::new(seed, devices, steps), dir.path()).unwrap()
}

/// The auditor found nothing (or the test fails listing what it found).
fn assert_clean(r: &lotkeeper::sync::sim::Report) {
    assert!(
        r.violations.is_empty(),
        "seed {}:\n{}",
        r.seed,
        r.violations
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_few_seeds_of_devices_on_a_faulty_network_break_nothing_the_auditor_checks() {
    for seed in [1, 2, 3] {
        let r = sim(seed, 3, 160);
        assert_clean(&r);
        // The run did what it is for: movements reached the server through faults and restarts,
        // some were refused, and the auditor looked at every checkpoint and at the end.
        assert!(r.accepted > 20, "seed {seed}: {r:?}");
        assert!(r.refused > 0, "seed {seed}: {r:?}");
        assert!(r.network.dropped + r.network.cut + r.network.duplicated + r.network.delayed > 0);
        assert!(r.device_restarts > 0, "seed {seed}: {r:?}");
        assert_eq!(r.audits, 3);
    }
}

#[test]
fn the_same_seed_gives_the_same_run_and_another_seed_another() {
    let a = sim(42, 3, 120);
    let b = sim(42, 3, 120);
    assert_eq!(a.digest, b.digest);
    assert_eq!(
        (a.posted, a.refused, a.accepted, a.conflicts, a.network),
        (b.posted, b.refused, b.accepted, b.conflicts, b.network)
    );
    assert_ne!(a.digest, sim(43, 3, 120).digest);
}

/// The same runs with the server's ledger on PostgreSQL: the auditor finds nothing there either.
#[cfg(feature = "postgres")]
#[test]
fn the_simulation_on_a_postgres_server_breaks_nothing_the_auditor_checks() {
    for seed in [1, 2] {
        let Some(pg) = crate::harness::PgSchema::new(&format!("sim{seed}")) else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = Config::new(seed, 3, 160);
        cfg.postgres = Some(pg.url.clone());
        let r = run(&cfg, dir.path()).unwrap();
        assert_clean(&r);
        assert!(r.accepted > 20, "seed {seed}: {r:?}");
        assert!(
            r.refused > 0 && r.conflicts + r.failed_syncs > 0,
            "seed {seed}: {r:?}"
        );
        assert_eq!(r.audits, 3);
        // The same seed on SQLite makes the same movements and verdicts.
        let lite = sim(seed, 3, 160);
        assert_eq!(
            (r.posted, r.refused, r.accepted, r.conflicts),
            (lite.posted, lite.refused, lite.accepted, lite.conflicts),
            "seed {seed}"
        );
    }
}
