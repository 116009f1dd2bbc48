//! Time, behind a trait, so tests and simulations control "today" and "now".

use chrono::{DateTime, Local, NaiveDate, Utc};
use std::sync::Mutex;

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
