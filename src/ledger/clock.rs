//! What a run cannot repeat by itself, behind traits: time (`Clock`, injected in the `Ledger`) and
//! fresh ids (`IdSource`, the current thread's), so tests and the simulation (`sync::sim`) control
//! "today", "now" and every id, and a seed reproduces a run.

use chrono::{DateTime, Local, NaiveDate, Utc};
use rand::{RngCore, SeedableRng};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Mutex;
use uuid::Uuid;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// The calendar date used for expiry decisions (the warehouse's local date).
    fn today(&self) -> NaiveDate;
}

/// The machine's clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn today(&self) -> NaiveDate {
        Local::now().date_naive()
    }
}

/// A clock that stands still until moved.
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn at(now: DateTime<Utc>) -> FixedClock {
        FixedClock(Mutex::new(now))
    }

    /// Noon UTC on the given day.
    pub fn on(date: NaiveDate) -> FixedClock {
        FixedClock::at(date.and_hms_opt(12, 0, 0).expect("noon exists").and_utc())
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// How far a clock may be from the server's before it is wrong: a device whose clock is off by more
/// is told so on its status bar (expiry and FEFO depend on today's date), and the server refuses
/// pushed movements stamped further than this in its future.
pub const MAX_CLOCK_SKEW_SECS: i64 = 24 * 60 * 60;

/// How timestamps are stored: RFC 3339, UTC, milliseconds.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Where fresh ids come from: movement ids, lot event ids, pick draft ids and device tokens.
pub trait IdSource {
    /// A time-ordered id (UUIDv7 by default): movements, lot events, pick drafts.
    fn ordered(&self) -> Uuid;
    /// An unguessable id (UUIDv4 by default): device tokens.
    fn random(&self) -> Uuid;
}

/// The machine's ids: UUIDv7 from the system clock, UUIDv4 from the operating system's randomness.
pub struct SystemIds;

impl IdSource for SystemIds {
    fn ordered(&self) -> Uuid {
        Uuid::now_v7()
    }
    fn random(&self) -> Uuid {
        Uuid::new_v4()
    }
}

/// Ids from a seed: the same seed gives the same ids in the same order. Ordered ids are UUIDv7
/// whose millisecond field counts up, so they still sort in the order they were made.
pub struct SeededIds {
    rng: RefCell<rand::rngs::StdRng>,
    next_ms: RefCell<u64>,
}

impl SeededIds {
    pub fn new(seed: u64) -> SeededIds {
        SeededIds {
            rng: RefCell::new(rand::rngs::StdRng::seed_from_u64(seed)),
            // 2026-01-01T00:00:00Z: ids look like ids of their time.
            next_ms: RefCell::new(1_767_225_600_000),
        }
    }
}

impl IdSource for SeededIds {
    fn ordered(&self) -> Uuid {
        let mut bytes = [0u8; 10];
        self.rng.borrow_mut().fill_bytes(&mut bytes);
        let mut ms = self.next_ms.borrow_mut();
        *ms += 1;
        uuid::Builder::from_unix_timestamp_millis(*ms, &bytes).into_uuid()
    }
    fn random(&self) -> Uuid {
        let mut bytes = [0u8; 16];
        self.rng.borrow_mut().fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    }
}

thread_local! {
    /// The id source of this thread; None: [`SystemIds`].
    static IDS: RefCell<Option<Rc<dyn IdSource>>> = const { RefCell::new(None) };
}

/// A fresh time-ordered id from this thread's id source. A `Movement` is made before any ledger
/// sees it (and by code that holds none), so ids come from the thread, not from the `Ledger`.
pub fn new_id() -> Uuid {
    IDS.with(|ids| match &*ids.borrow() {
        Some(s) => s.ordered(),
        None => SystemIds.ordered(),
    })
}

/// A fresh unguessable id from this thread's id source.
pub fn new_random_id() -> Uuid {
    IDS.with(|ids| match &*ids.borrow() {
        Some(s) => s.random(),
        None => SystemIds.random(),
    })
}

/// Runs `f` with `source` giving this thread's ids, and puts the previous source back afterwards
/// (also when `f` panics).
pub fn with_ids<T>(source: impl IdSource + 'static, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Rc<dyn IdSource>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            IDS.with(|ids| *ids.borrow_mut() = previous);
        }
    }
    let previous = IDS.with(|ids| ids.borrow_mut().replace(Rc::new(source)));
    let _restore = Restore(previous);
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_ids_and_the_system_source_comes_back() {
        let run = |seed| {
            with_ids(SeededIds::new(seed), || {
                [new_id(), new_id(), new_random_id()]
            })
        };
        let a = run(7);
        assert_eq!(a, run(7));
        assert_ne!(a, run(8));
        assert!(a[0] < a[1], "ordered ids sort in the order they were made");
        assert_eq!(a[0].get_version_num(), 7);
        assert_eq!(a[2].get_version_num(), 4);
        // Outside the scope: the machine's ids again, never the seeded ones.
        assert!(!a.contains(&new_id()));
    }
}
