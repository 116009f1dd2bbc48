//! The auditor: what every replica must hold, computed on its own from the accepted movements
//! (plain sums in a map, no SQL and no ledger code), and the checks a run must pass.

use std::collections::{BTreeMap, BTreeSet};

/// (location, item, lot, serial)
pub type Key = (String, String, Option<String>, Option<String>);

/// A movement as the auditor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub id: String,
    pub item: String,
    pub lot: Option<String>,
    pub serial: Option<String>,
    pub qty: i64,
    pub from: String,
    pub to: String,
}

/// Balances of the real locations (`real`) after `moves`: into `to`, out of `from`. Zero
/// balances are left out, as a replica's stock leaves them out.
pub fn balances<'a>(
    moves: impl IntoIterator<Item = &'a Move>,
    real: &BTreeSet<String>,
) -> BTreeMap<Key, i64> {
    let mut b: BTreeMap<Key, i64> = BTreeMap::new();
    for m in moves {
        for (loc, sign) in [(&m.from, -1), (&m.to, 1)] {
            if real.contains(loc) {
                let key = (loc.clone(), m.item.clone(), m.lot.clone(), m.serial.clone());
                *b.entry(key).or_default() += sign * m.qty;
            }
        }
    }
    b.retain(|_, q| *q != 0);
    b
}

/// Where two balance tables differ, one line each (at most `max`).
pub fn differences(
    expected: &BTreeMap<Key, i64>,
    actual: &BTreeMap<Key, i64>,
    max: usize,
) -> Vec<String> {
    let keys: BTreeSet<&Key> = expected.keys().chain(actual.keys()).collect();
    keys.into_iter()
        .filter_map(|k| {
            let (e, a) = (expected.get(k).copied(), actual.get(k).copied());
            (e != a).then(|| {
                format!(
                    "{} {} lot {} serial {}: expected {}, holds {}",
                    k.0,
                    k.1,
                    k.2.as_deref().unwrap_or("-"),
                    k.3.as_deref().unwrap_or("-"),
                    e.unwrap_or(0),
                    a.unwrap_or(0)
                )
            })
        })
        .take(max)
        .collect()
}

/// What the rules forbid in any balance table: negative stock in a real location, and a serial
/// in more than one unit.
pub fn rule_breaks(b: &BTreeMap<Key, i64>) -> Vec<String> {
    let mut out = Vec::new();
    let mut serials: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for ((loc, item, lot, serial), q) in b {
        if *q < 0 {
            out.push(format!(
                "{loc} holds {q} of {item} lot {} serial {}",
                lot.as_deref().unwrap_or("-"),
                serial.as_deref().unwrap_or("-")
            ));
        }
        if let Some(s) = serial {
            *serials.entry((item, s)).or_default() += q;
        }
    }
    for ((item, s), q) in serials {
        if q > 1 {
            out.push(format!("serial {s} of {item} is in stock {q} times"));
        }
    }
    out
}

/// Ids that occur more than once.
pub fn repeated<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    ids.into_iter()
        .filter(|id| !seen.insert(*id))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(id: &str, qty: i64, from: &str, to: &str, serial: Option<&str>) -> Move {
        Move {
            id: id.into(),
            item: "X".into(),
            lot: None,
            serial: serial.map(Into::into),
            qty,
            from: from.into(),
            to: to.into(),
        }
    }

    #[test]
    fn sums_real_locations_and_finds_what_the_rules_forbid() {
        let real: BTreeSet<String> = ["A".to_string(), "B".to_string()].into();
        let moves = [
            mv("1", 5, "SUPPLIER", "A", None),
            mv("2", 2, "A", "B", None),
            mv("3", 2, "B", "A", None),
            mv("4", 1, "SUPPLIER", "A", Some("S")),
            mv("5", 1, "SUPPLIER", "B", Some("S")),
            mv("6", 3, "B", "CUSTOMER", None),
        ];
        let b = balances(&moves, &real);
        let key = |l: &str, s: Option<&str>| (l.to_string(), "X".into(), None, s.map(Into::into));
        assert_eq!(b.get(&key("A", None)), Some(&5));
        assert_eq!(b.get(&key("B", None)), Some(&-3));
        assert!(!b.contains_key(&key("SUPPLIER", None)));
        let breaks = rule_breaks(&b);
        assert_eq!(breaks.len(), 2, "{breaks:?}");
        assert!(breaks[0].contains("B holds -3"));
        assert!(breaks[1].contains("serial S of X is in stock 2 times"));
        let mut other = b.clone();
        other.insert(key("A", None), 4);
        assert_eq!(
            differences(&b, &other, 10),
            vec!["A X lot - serial -: expected 5, holds 4"]
        );
        assert_eq!(repeated(["a", "b", "a"]), vec!["a"]);
    }
}
