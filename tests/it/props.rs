//! Property tests: random sequences of postings (many of them refused) never break the ledger's
//! invariants, and reposting any earlier batch changes nothing.

use crate::harness::*;
use lotkeeper::ledger::*;
use proptest::prelude::*;

const ITEMS: [&str; 4] = ["PARA", "FLOUR", "BOLT", "PHONE"];
const LOTS: [&str; 3] = ["L0", "L1", "L2"];
/// L0 is already expired on TODAY.
const EXPIRY: [&str; 3] = ["2026-06-01", "2026-12-01", "2027-06-01"];
const LOCS: [&str; 3] = ["A1", "A2", "Q"];

/// kind, item, lot, serial, quantity, location, second location: indexes into the tables above.
type Spec = (u8, usize, Option<usize>, Option<usize>, i64, usize, usize);

#[derive(Debug, Clone)]
enum Op {
    Post(Vec<Spec>),
    Hold(usize, usize, bool),
    Repost(usize),
    /// Correct the n-th movement of the journal (modulo its length), the ledger's way.
    Correct(usize),
    /// A hand-made correction of the n-th movement: the reverse with this quantity.
    Forge(usize, i64),
}

fn op() -> impl Strategy<Value = Op> {
    let mv = (
        0u8..5,
        0..4usize,
        proptest::option::weighted(0.8, 0..3usize),
        proptest::option::weighted(0.5, 0..5usize),
        1i64..6,
        0..3usize,
        0..3usize,
    );
    prop_oneof![
        6 => proptest::collection::vec(mv, 1..4).prop_map(Op::Post),
        1 => (0..2usize, 0..3usize, any::<bool>()).prop_map(|(i, l, h)| Op::Hold(i, l, h)),
        1 => (0..50usize).prop_map(Op::Repost),
        2 => (0..50usize).prop_map(Op::Correct),
        1 => (0..50usize, 1i64..6).prop_map(|(i, q)| Op::Forge(i, q)),
    ]
}

fn movement(
    &(kind, item, lot, serial, qty, a, b): &(
        u8,
        usize,
        Option<usize>,
        Option<usize>,
        i64,
        usize,
        usize,
    ),
) -> Movement {
    let (kind, from, to) = match kind {
        0 => (
            MovementKind::Receive,
            SUPPLIER.to_string(),
            LOCS[a].to_string(),
        ),
        1 => (
            MovementKind::Ship,
            LOCS[a].to_string(),
            "CUSTOMER:Bob".to_string(),
        ),
        2 => (
            MovementKind::Transfer,
            LOCS[a].to_string(),
            LOCS[b].to_string(),
        ),
        3 => (
            MovementKind::Adjust,
            ADJUSTMENT.to_string(),
            LOCS[a].to_string(),
        ),
        _ => (
            MovementKind::Adjust,
            LOCS[a].to_string(),
            ADJUSTMENT.to_string(),
        ),
    };
    let qty = if ITEMS[item] == "PHONE" && serial.is_some() {
        1
    } else {
        qty
    };
    Movement::new(kind, ITEMS[item], qty, from, to)
        .lot(lot.map(|l| LOTS[l]))
        .serial(serial.map(|s| format!("S{s}")))
        .reason(Some("property test"))
        .dates(lot.map(|l| day(EXPIRY[l])), None)
}

fn check_invariants(l: &Ledger) {
    l.read(|c| {
        invariants_hold(c);
        Ok(())
    })
    .unwrap();
    // The dashboard's running totals are what the balances and the journal add up to.
    assert_eq!(l.query().totals_off_the_balances().unwrap(), 0);
}

fn invariants_hold(c: &lotkeeper::ledger::Reader) {
    let one = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    // Rule 3: no real location negative.
    assert_eq!(
        one(
            "SELECT count(*) FROM balances b JOIN locations l ON l.id = b.location_id
                    WHERE b.qty < 0 AND l.kind IN ('dock','bin','staging','shipping','quarantine')"
        ),
        0
    );
    // Double entry: every item, lot and serial sums to zero over all locations.
    let all = "(SELECT * FROM balances UNION ALL SELECT * FROM virtual_balances)";
    assert_eq!(one(&format!("SELECT count(*) FROM (SELECT SUM(qty) FROM {all} GROUP BY item_id, lot_id, serial_id HAVING SUM(qty) <> 0)")), 0);
    assert_eq!(one(&format!("SELECT count(*) FROM (SELECT SUM(qty) FROM {all} GROUP BY item_id, lot_id HAVING SUM(qty) <> 0)")), 0);
    // Real and virtual balances never mix.
    assert_eq!(
        one(
            "SELECT count(*) FROM balances b JOIN locations l ON l.id = b.location_id
                    WHERE l.kind NOT IN ('dock','bin','staging','shipping','quarantine')"
        ),
        0
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM virtual_balances b JOIN locations l ON l.id = b.location_id
                    WHERE l.kind IN ('dock','bin','staging','shipping','quarantine')"
        ),
        0
    );
    // Rule 2: a serial is in at most one real location, one unit.
    assert_eq!(one("SELECT count(*) FROM (SELECT b.serial_id, SUM(b.qty) n, COUNT(*) k FROM balances b
                    JOIN locations l ON l.id = b.location_id
                    WHERE b.serial_id <> 0 AND b.qty <> 0 AND l.kind IN ('dock','bin','staging','shipping','quarantine')
                    GROUP BY b.serial_id HAVING n > 1 OR k > 1)"), 0);
    // Balances are exactly what the journal says (symmetric difference is empty).
    let journal = "SELECT item_id, IFNULL(lot_id, 0) AS lot, IFNULL(serial_id, 0) AS ser, loc, SUM(q) AS total FROM (
            SELECT item_id, lot_id, serial_id, to_loc AS loc, qty AS q FROM movements
            UNION ALL SELECT item_id, lot_id, serial_id, from_loc, -qty FROM movements)
        GROUP BY 1, 2, 3, 4 HAVING SUM(q) <> 0";
    let balances =
        "SELECT * FROM (SELECT item_id, lot_id, serial_id, location_id, qty FROM balances WHERE qty <> 0
         UNION ALL SELECT item_id, lot_id, serial_id, location_id, qty FROM virtual_balances WHERE qty <> 0)";
    assert_eq!(
        one(&format!(
            "SELECT count(*) FROM (SELECT * FROM ({journal}) EXCEPT {balances})"
        )),
        0
    );
    assert_eq!(
        one(&format!(
            "SELECT count(*) FROM ({balances} EXCEPT SELECT * FROM ({journal}))"
        )),
        0
    );
    // A movement is corrected at most once, never by a correction of a correction, and always by
    // its exact reverse.
    assert_eq!(
        one(
            "SELECT count(*) FROM (SELECT corrects FROM movements WHERE corrects IS NOT NULL
                    GROUP BY corrects HAVING count(*) > 1)"
        ),
        0
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM movements c JOIN movements o ON o.id = c.corrects
             WHERE o.kind = 'correction' OR c.kind <> 'correction' OR c.item_id <> o.item_id
                OR c.lot_id IS NOT o.lot_id OR c.serial_id IS NOT o.serial_id OR c.qty <> o.qty
                OR c.from_loc <> o.to_loc OR c.to_loc <> o.from_loc"
        ),
        0
    );
    // No expired lot ever left for a customer.
    assert_eq!(
        one(
            "SELECT count(*) FROM movements m JOIN lots lt ON lt.id = m.lot_id
                    WHERE m.kind = 'ship' AND lt.expiry < '2026-06-15'"
        ),
        0
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, max_shrink_iters: 200, .. ProptestConfig::default() })]

    #[test]
    fn random_work_keeps_every_invariant(ops in proptest::collection::vec(op(), 1..40)) {
        let mut l = ledger();
        let mut posted: Vec<Vec<Movement>> = Vec::new();
        for op in ops {
            match op {
                Op::Post(spec) => {
                    let batch: Vec<Movement> = spec.iter().map(movement).collect();
                    let before = snapshot(&l);
                    match l.post(&batch) {
                        Ok(_) => posted.push(batch),
                        Err(e) => {
                            prop_assert!(e.rule().is_some(), "not a refusal: {e}");
                            prop_assert_eq!(snapshot(&l), before, "refusal changed the ledger: {}", e);
                        }
                    }
                }
                Op::Hold(item, lot, hold) => {
                    let status = if hold { LotStatus::Quarantine } else { LotStatus::Available };
                    let _ = l.set_lot_status(ITEMS[item], LOTS[lot], status, "property test");
                }
                Op::Correct(i) | Op::Forge(i, _) => {
                    let journal = l.query().journal(0, 10_000).unwrap();
                    if journal.is_empty() {
                        continue;
                    }
                    let target = &journal[i % journal.len()];
                    let id = uuid::Uuid::parse_str(&target.id).unwrap();
                    let corrected_before: i64 = l.read(|c| c.query_row(
                        "SELECT count(*) FROM movements WHERE corrects = ?", [&target.id], |r| r.get(0))).unwrap();
                    let before = snapshot(&l);
                    let result = match op {
                        Op::Forge(_, qty) => {
                            let mut m = Movement::new(MovementKind::Correction, &target.item, qty, &target.to, &target.from)
                                .lot(target.lot.as_ref())
                                .serial(target.serial.as_ref())
                                .reason(Some("property test"));
                            m.corrects = Some(id);
                            l.post(&[m])
                        }
                        _ => l.correct(id, "property test"),
                    };
                    match result {
                        Ok(_) => {
                            prop_assert_eq!(corrected_before, 0, "corrected twice: {}", target.id);
                            prop_assert!(target.kind != MovementKind::Correction, "a correction was corrected");
                        }
                        Err(e) => {
                            prop_assert!(e.rule().is_some(), "not a refusal: {e}");
                            prop_assert_eq!(snapshot(&l), before, "refusal changed the ledger: {}", e);
                        }
                    }
                }
                Op::Repost(i) => {
                    if let Some(batch) = posted.get(i % posted.len().max(1)) {
                        let before = snapshot(&l);
                        let again = l.post(batch).unwrap();
                        let all_exist = again.iter().all(|p| matches!(p, Posted::Exists { .. }));
                        prop_assert!(all_exist, "a repost applied something");
                        prop_assert_eq!(snapshot(&l), before);
                    }
                }
            }
            check_invariants(&l);
        }
    }
}
