//! Crash safety: a child process posting movements is killed (SIGKILL) at random instants; after
//! each kill the database passes `PRAGMA integrity_check` and holds every movement the child
//! reported as committed, and no batch is half applied.

use crate::harness::*;
use rand::{Rng, SeedableRng};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const KILLS: usize = 12;

#[test]
fn killed_writer_loses_no_committed_movement() {
    let d = Dir::for_crash_writer();
    let seed: u64 = std::env::var("LOTKEEPER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut reported: Vec<String> = Vec::new();
    for round in 0..KILLS {
        let mut child = Command::new(bin())
            .arg("--db")
            .arg(d.db())
            .arg("crash-writer")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until it has committed something, then kill at a random instant.
        let first = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the writer committed nothing");
        reported.push(first);
        let deadline = Instant::now() + Duration::from_millis(rng.gen_range(1..120));
        while Instant::now() < deadline {
            if let Ok(id) = rx.recv_timeout(Duration::from_millis(1)) {
                reported.push(id);
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        reported.extend(rx.try_iter());

        let conn = rusqlite::Connection::open(d.db()).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round} (seed {seed})");
        let mut st = conn
            .prepare("SELECT 1 FROM movements WHERE id = ?")
            .unwrap();
        for id in &reported {
            assert!(
                st.exists([id]).unwrap(),
                "round {round}: committed movement {id} lost (seed {seed})"
            );
        }
        // Each batch is a receipt and a transfer: never one without the other.
        let half: i64 = conn
            .query_row("SELECT count(*) FROM (SELECT batch_id FROM movements GROUP BY batch_id HAVING count(*) <> 2)", [], |r| r.get(0))
            .unwrap();
        assert_eq!(half, 0, "round {round}: a batch was half applied");
    }
    assert!(reported.len() >= KILLS);
}
