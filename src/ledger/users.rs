//! The people who use the back office's web console: accounts with a role, sessions, and the
//! sign-in failures that slow down guessing. Only hashes are stored: a password's (argon2id,
//! made by the console) and a session token's (SHA-256); neither can be read back.
//!
//! Written over the storage interface, so the console works on either store.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::clock::timestamp;
use super::error::{Error, Result};
use super::sql::{args, Sql, SqlExt};
use super::Ledger;

/// A session ends this long after sign-in, however busy.
pub const SESSION_HOURS: i64 = 12;
/// A session not used for this long ends.
pub const IDLE_MINUTES: i64 = 30;
/// Failed sign-ins for one user name from one address before that pair must wait.
pub const MAX_FAILURES: i64 = 5;
/// Failed sign-ins from one address, for any names, before that address must wait (guessing
/// many names from one place).
pub const MAX_ADDRESS_FAILURES: i64 = 20;
/// Failed sign-ins for one user name, from anywhere, that cost nothing; each one past this makes
/// the next attempt for the name wait twice as long, 2 s, 4 s, ... up to [`MAX_NAME_DELAY_SECS`],
/// but only from an address that has itself failed for the name lately
/// ([`Ledger::take_signin_turn`]). It slows a guesser with many addresses, and no stranger can keep a person out: an
/// address that has not failed for the name gets its turn.
pub const FREE_NAME_FAILURES: i64 = 10;
/// The longest a name's attempts wait after its last failure.
pub const MAX_NAME_DELAY_SECS: i64 = 60;
/// How long a pair or an address waits after its limit; a failure older than this is forgotten.
pub const LOCKOUT_MINUTES: i64 = 15;
/// A session's last use is written again only after this many seconds.
const TOUCH_SECS: i64 = 60;
/// The longest user name.
pub const MAX_USER_LEN: usize = 64;

/// What a person may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads every page; changes nothing.
    Viewer,
    /// Also holds, recalls and closes recalls, manages devices, resolves conflicts, imports.
    Supervisor,
    /// Also manages the console's users.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Role> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "supervisor" => Ok(Role::Supervisor),
            "admin" => Ok(Role::Admin),
            other => Err(Error::invalid(format!(
                "role '{other}' is not admin, supervisor or viewer"
            ))),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A console account, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    /// Still on the one-time password it was given: its owner must choose their own first.
    pub must_change_password: bool,
}

/// A live session: who it is, and the token its forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    /// The account is on a one-time password: the console offers nothing but changing it.
    pub must_change_password: bool,
}

/// Checks a user name: 1 to [`MAX_USER_LEN`] letters, digits, `.`, `_` or `-`, so it reads the
/// same in a lot's history, a log line and a URL.
pub fn check_user_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_USER_LEN
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "user name '{name}' must be 1 to {MAX_USER_LEN} letters, digits, '.', '_' or '-'"
        )))
    }
}

/// The throttling keys of one sign-in attempt: the name from this address, the address, and
/// the name (a name has no space, so the pair's key reads one way). An IPv6 address counts as
/// its /64, the block one subscriber is given: one guesser does not get a fresh limit per
/// address in it.
pub fn throttle_keys(user: &str, address: &str) -> [String; 3] {
    let place = match address
        .parse::<std::net::IpAddr>()
        .map(|ip| ip.to_canonical())
    {
        Ok(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => address.to_string(),
    };
    [
        format!("pair:{user} {place}"),
        format!("addr:{place}"),
        format!("user:{user}"),
    ]
}

/// When a throttling key with `failures` recent failures, the last at `last`, opens again (None:
/// it is open whatever the time).
fn opens_at(key: &str, failures: i64, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if key.starts_with("pair:") {
        (failures >= MAX_FAILURES).then(|| last + Duration::minutes(LOCKOUT_MINUTES))
    } else if key.starts_with("addr:") {
        (failures >= MAX_ADDRESS_FAILURES).then(|| last + Duration::minutes(LOCKOUT_MINUTES))
    } else {
        let past = failures - FREE_NAME_FAILURES;
        (past > 0).then(|| {
            let secs = 1i64
                .checked_shl(past.min(32) as u32)
                .unwrap_or(i64::MAX)
                .min(MAX_NAME_DELAY_SECS);
            last + Duration::seconds(secs)
        })
    }
}

/// What a sign-in attempt may do, the ledger says before the password is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInTurn {
    /// Throttled, until then; nothing was counted.
    Wait(DateTime<Utc>),
    /// Counted as a failure already (a success refunds it): the account's role and password
    /// hash, if the name is known.
    Check(Option<(Role, String)>),
}

/// A change a person made in the console that the ledger keeps no actor for elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRow {
    pub at: String,
    pub by: String,
    pub action: String,
    pub subject: String,
}

/// Records, inside the caller's transaction, that `by` made a change (nothing when no one is
/// named: the command line's own changes).
pub(crate) fn log_change(
    tx: &dyn Sql,
    at: &str,
    by: Option<&str>,
    action: &str,
    subject: &str,
) -> Result<()> {
    if let Some(by) = by {
        tx.run(
            "INSERT INTO console_changes (at, by_name, action, subject) VALUES (?, ?, ?, ?)",
            args![at, by, action, subject],
        )?;
    }
    Ok(())
}

impl Ledger {
    /// Adds an account; its password arrives hashed, chosen by its owner.
    pub fn add_user(&mut self, name: &str, role: Role, password_hash: &str) -> Result<()> {
        self.add_user_by(name, role, password_hash, Password::Chosen, None)
    }

    /// [`Ledger::add_user`], with a password that may be one-time, recorded with who did it
    /// when `by` names one.
    pub fn add_user_by(
        &mut self,
        name: &str,
        role: Role,
        password_hash: &str,
        password: Password,
        by: Option<&str>,
    ) -> Result<()> {
        check_user_name(name)?;
        let now = timestamp(self.clock().now());
        self.write_sql(|tx| {
            let exists: Option<String> = tx.value(
                "SELECT name FROM console_users WHERE name = ?",
                args![name],
            )?;
            if exists.is_some() {
                return Err(Error::invalid(format!(
                    "there is already a user {name}: remove it first to add it again"
                )));
            }
            tx.run(
                "INSERT INTO console_users (name, role, password_hash, created_at, must_change_password)
                 VALUES (?, ?, ?, ?, ?)",
                args![
                    name,
                    role.as_str(),
                    password_hash,
                    now,
                    i64::from(password == Password::OneTime)
                ],
            )?;
            log_change(tx, &now, by, &format!("add user ({role})"), name)
        })
    }

    /// Every account, by name.
    pub fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<(String, String, String, i64)> = self.sql().all(
            "SELECT name, role, created_at, must_change_password FROM console_users ORDER BY name",
            args![],
        )?;
        rows.into_iter()
            .map(|(name, role, created_at, must)| {
                Ok(User {
                    name,
                    role: role.parse()?,
                    created_at,
                    must_change_password: must == 1,
                })
            })
            .collect()
    }

    /// Removes an account and ends its sessions.
    pub fn remove_user(&mut self, name: &str) -> Result<()> {
        self.remove_user_by(name, None)
    }

    /// [`Ledger::remove_user`], recorded with who did it when `by` names one.
    pub fn remove_user_by(&mut self, name: &str, by: Option<&str>) -> Result<()> {
        let now = timestamp(self.clock().now());
        self.write_sql(|tx| {
            tx.run(
                "DELETE FROM console_sessions WHERE user_name = ?",
                args![name],
            )?;
            let n = tx.run("DELETE FROM console_users WHERE name = ?", args![name])?;
            if n == 0 {
                return Err(Error::NotFound(format!("there is no user {name}")));
            }
            log_change(tx, &now, by, "remove user", name)
        })
    }

    /// The changes people made in the console that are kept here (devices, users), newest
    /// first, at most `limit`.
    pub fn console_changes(&self, limit: i64) -> Result<Vec<ChangeRow>> {
        let rows: Vec<(String, String, String, String)> = self.sql().all(
            "SELECT at, by_name, action, subject FROM console_changes ORDER BY id DESC LIMIT ?",
            args![limit],
        )?;
        Ok(rows
            .into_iter()
            .map(|(at, by, action, subject)| ChangeRow {
                at,
                by,
                action,
                subject,
            })
            .collect())
    }

    /// An account's role and password hash, to check a sign-in.
    pub fn user_credentials(&self, name: &str) -> Result<Option<(Role, String)>> {
        let row: Option<(String, String)> = self.sql().first(
            "SELECT role, password_hash FROM console_users WHERE name = ?",
            args![name],
        )?;
        row.map(|(role, hash)| Ok((role.parse()?, hash)))
            .transpose()
    }

    /// Takes a turn to check `user`'s password from `address`: in one write transaction, either
    /// the wait (a key past its limit, the name's only if this address has failed for it
    /// lately; nothing counted), or the attempt counted as a failure
    /// against each key before any password is checked, so parallel attempts cannot all pass
    /// the check before one is counted. [`Ledger::signed_in`] refunds it.
    pub fn take_signin_turn(&mut self, user: &str, address: &str) -> Result<SignInTurn> {
        let now = self.clock().now();
        let (at, forget) = (
            timestamp(now),
            timestamp(now - Duration::minutes(LOCKOUT_MINUTES)),
        );
        let keys = throttle_keys(user, address);
        self.write_sql(|tx| {
            let mut until: Option<DateTime<Utc>> = None;
            // The keys run pair first: the name's own wait holds only where the pair has failed,
            // so failures from elsewhere never shut out an address the person signs in from.
            let mut pair_failed = false;
            for key in &keys {
                let row: Option<(i64, String)> = tx.first(
                    "SELECT failures, last_at FROM console_signin_failures WHERE key = ? AND last_at > ?",
                    args![key, forget],
                )?;
                if key.starts_with("pair:") {
                    pair_failed = row.is_some();
                } else if key.starts_with("user:") && !pair_failed {
                    continue;
                }
                if let Some((failures, last)) = row {
                    if let Some(open) = opens_at(key, failures, parse_time(&last)?) {
                        if open > now {
                            until = Some(until.map_or(open, |u| u.max(open)));
                        }
                    }
                }
            }
            if let Some(until) = until {
                return Ok(SignInTurn::Wait(until));
            }
            for key in &keys {
                tx.run(
                    "DELETE FROM console_signin_failures WHERE key = ? AND last_at <= ?",
                    args![key, forget],
                )?;
                tx.run(
                    "INSERT INTO console_signin_failures (key, failures, last_at) VALUES (?1, 1, ?2)
                     ON CONFLICT (key) DO UPDATE
                     SET failures = console_signin_failures.failures + 1, last_at = ?2",
                    args![key, at],
                )?;
            }
            let row: Option<(String, String)> = tx.first(
                "SELECT role, password_hash FROM console_users WHERE name = ?",
                args![user],
            )?;
            let found = row
                .map(|(role, hash)| Ok::<_, Error>((role.parse()?, hash)))
                .transpose()?;
            Ok(SignInTurn::Check(found))
        })
    }

    /// A turn taken with [`Ledger::take_signin_turn`] found the right password: in one
    /// transaction, the name from that address starts afresh, the turn is refunded to the
    /// address and the name, the session `replaces` (the browser's previous one) ends, and a
    /// new session starts. `checked`: the hash the password was found right against; if the
    /// password changed while it was checked, nothing starts.
    pub fn signed_in(
        &mut self,
        user: &str,
        address: &str,
        checked: &str,
        session: NewSession<'_>,
        replaces: Option<&str>,
    ) -> Result<()> {
        let now = self.clock().now();
        self.write_sql(|tx| {
            still_the_password(tx, user, checked)?;
            refund_turn(tx, user, address)?;
            if let Some(old) = replaces {
                tx.run(
                    "DELETE FROM console_sessions WHERE token_hash = ?",
                    args![old],
                )?;
            }
            start_session(tx, now, user, session)
        })
    }

    /// Starts a session for `user` (signed in just now): the token arrives hashed, the CSRF token
    /// as its forms will carry it. Sessions that ended are cleared on the way.
    pub fn start_session(&mut self, user: &str, token_hash: &str, csrf: &str) -> Result<()> {
        let now = self.clock().now();
        self.write_sql(|tx| start_session(tx, now, user, NewSession { token_hash, csrf }))
    }

    /// The live session a token (by its hash) belongs to, marked as used now; None when there is
    /// none, or it expired or sat idle too long. The mark is written at most once a minute per
    /// session, so reading pages does not queue behind the writers (devices' pushes).
    pub fn touch_session(&mut self, token_hash: &str) -> Result<Option<Session>> {
        let now = self.clock().now();
        let (at, idle, fresh) = (
            timestamp(now),
            timestamp(now - Duration::minutes(IDLE_MINUTES)),
            timestamp(now - Duration::seconds(TOUCH_SECS)),
        );
        let row: Option<(String, String, String, String, i64)> = self.sql().first(
            "SELECT s.user_name, u.role, s.csrf, s.last_seen_at, u.must_change_password
             FROM console_sessions s JOIN console_users u ON u.name = s.user_name
             WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ?",
            args![token_hash, at, idle],
        )?;
        let Some((user, role, csrf, seen, must)) = row else {
            return Ok(None);
        };
        if seen < fresh {
            self.write_sql(|tx| {
                tx.run(
                    "UPDATE console_sessions SET last_seen_at = ? WHERE token_hash = ?",
                    args![at, token_hash],
                )
            })?;
        }
        Ok(Some(Session {
            user,
            role: role.parse()?,
            csrf,
            must_change_password: must == 1,
        }))
    }

    /// A signed-in person changed their password, having given the current one on a turn taken
    /// with [`Ledger::take_signin_turn`]: in one transaction the turn is refunded, the new hash
    /// replaces the old (a one-time password is then spent), every other session of theirs
    /// ends (one that knew the old password keeps nothing), and the change is recorded.
    /// `checked`: the hash the current password was found right against, still the account's.
    pub fn change_password(
        &mut self,
        user: &str,
        address: &str,
        checked: &str,
        password_hash: &str,
        keep_session: &str,
    ) -> Result<()> {
        let now = timestamp(self.clock().now());
        self.write_sql(|tx| {
            still_the_password(tx, user, checked)?;
            refund_turn(tx, user, address)?;
            let n = tx.run(
                "UPDATE console_users SET password_hash = ?, must_change_password = 0 WHERE name = ?",
                args![password_hash, user],
            )?;
            if n == 0 {
                return Err(Error::NotFound(format!("there is no user {user}")));
            }
            tx.run(
                "DELETE FROM console_sessions WHERE user_name = ? AND token_hash <> ?",
                args![user, keep_session],
            )?;
            log_change(
                tx,
                &now,
                Some(&format!("console:{user}")),
                "change password",
                user,
            )
        })
    }

    /// Ends a session (signing out); nothing when it is already gone.
    pub fn end_session(&mut self, token_hash: &str) -> Result<()> {
        self.write_sql(|tx| {
            tx.run(
                "DELETE FROM console_sessions WHERE token_hash = ?",
                args![token_hash],
            )?;
            Ok(())
        })
    }
}

/// Whether a new account's password is its owner's own, or one-time: made for them and seen by
/// whoever added them, to be changed at the first sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Password {
    Chosen,
    OneTime,
}

/// The account's password is still the one `checked` (its hash) was: a password checked against
/// a hash that was replaced meanwhile (changed in another tab, or by its owner while someone
/// else tried the one-time one) opens nothing.
fn still_the_password(tx: &dyn Sql, user: &str, checked: &str) -> Result<()> {
    let now: Option<String> = tx.value(
        "SELECT password_hash FROM console_users WHERE name = ?",
        args![user],
    )?;
    if now.as_deref() != Some(checked) {
        return Err(Error::Forbidden(format!(
            "the password of {user} was changed while it was checked; nothing was done. Sign in with the new one"
        )));
    }
    Ok(())
}

/// A password checked right on a turn from `address`: the name from that address starts
/// afresh, and the turn is given back to the address and the name.
fn refund_turn(tx: &dyn Sql, user: &str, address: &str) -> Result<()> {
    let [pair, addr, name] = throttle_keys(user, address);
    tx.run(
        "DELETE FROM console_signin_failures WHERE key = ?",
        args![pair],
    )?;
    for key in [&addr, &name] {
        tx.run(
            "DELETE FROM console_signin_failures WHERE key = ? AND failures <= 1",
            args![key],
        )?;
        tx.run(
            "UPDATE console_signin_failures SET failures = failures - 1 WHERE key = ?",
            args![key],
        )?;
    }
    Ok(())
}

/// A session about to start: its token's hash, and the CSRF token its forms carry.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub csrf: &'a str,
}

fn start_session(tx: &dyn Sql, now: DateTime<Utc>, user: &str, s: NewSession<'_>) -> Result<()> {
    let (at, expires) = (
        timestamp(now),
        timestamp(now + Duration::hours(SESSION_HOURS)),
    );
    let idle = timestamp(now - Duration::minutes(IDLE_MINUTES));
    tx.run(
        "DELETE FROM console_sessions WHERE expires_at <= ? OR last_seen_at <= ?",
        args![at, idle],
    )?;
    tx.run(
        "INSERT INTO console_sessions (token_hash, user_name, csrf, created_at, last_seen_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)",
        args![s.token_hash, user, s.csrf, at, at, expires],
    )?;
    Ok(())
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::Store(format!("a stored time '{s}' does not read: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{Clock, FixedClock};
    use std::sync::Arc;

    fn ledger() -> (Ledger, Arc<FixedClock>) {
        let clock = Arc::new(FixedClock::on(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        ));
        let l = Ledger::open_in_memory().unwrap().with_clock(clock.clone());
        (l, clock)
    }

    #[test]
    fn users_are_added_once_listed_and_removed_with_their_sessions() {
        let (mut l, _) = ledger();
        l.add_user("ana", Role::Admin, "h1").unwrap();
        let e = l.add_user("ana", Role::Viewer, "h2").unwrap_err();
        assert!(e.to_string().contains("already a user ana"), "{e}");
        for bad in ["", "a b", "ana;", &"x".repeat(65)] {
            assert!(l.add_user(bad, Role::Viewer, "h").is_err(), "{bad:?}");
        }
        l.add_user("ben", Role::Viewer, "h3").unwrap();
        let names: Vec<_> = l.users().unwrap().into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["ana", "ben"]);
        assert_eq!(
            l.user_credentials("ana").unwrap(),
            Some((Role::Admin, "h1".to_string()))
        );
        l.start_session("ana", "t1", "c1").unwrap();
        assert!(l.touch_session("t1").unwrap().is_some());
        l.remove_user("ana").unwrap();
        assert_eq!(l.touch_session("t1").unwrap(), None);
        assert!(l.remove_user("ana").is_err());
        assert_eq!(l.user_credentials("ana").unwrap(), None);
    }

    #[test]
    fn a_session_ends_when_idle_too_long_or_after_its_hours() {
        let (mut l, clock) = ledger();
        l.add_user("ana", Role::Supervisor, "h").unwrap();
        l.start_session("ana", "t1", "c1").unwrap();
        let s = l.touch_session("t1").unwrap().unwrap();
        assert_eq!(
            (s.user.as_str(), s.role, s.csrf.as_str()),
            ("ana", Role::Supervisor, "c1")
        );
        assert_eq!(l.touch_session("other").unwrap(), None);
        // Used every 20 minutes it lives its 12 hours, and no longer.
        for _ in 0..(SESSION_HOURS * 3 - 1) {
            clock.advance(Duration::minutes(20));
            assert!(l.touch_session("t1").unwrap().is_some());
        }
        clock.advance(Duration::minutes(20));
        assert_eq!(l.touch_session("t1").unwrap(), None, "past its hours");
        l.start_session("ana", "t2", "c2").unwrap();
        clock.advance(Duration::minutes(IDLE_MINUTES));
        assert_eq!(l.touch_session("t2").unwrap(), None, "idle");
        l.start_session("ana", "t3", "c3").unwrap();
        l.end_session("t3").unwrap();
        assert_eq!(l.touch_session("t3").unwrap(), None, "signed out");
    }

    fn turn(l: &mut Ledger, user: &str, addr: &str) -> SignInTurn {
        l.take_signin_turn(user, addr).unwrap()
    }

    fn waits(l: &mut Ledger, user: &str, addr: &str) -> bool {
        matches!(turn(l, user, addr), SignInTurn::Wait(_))
    }

    #[test]
    fn five_failures_hold_up_a_name_from_one_address_only() {
        let (mut l, clock) = ledger();
        l.add_user("ana", Role::Admin, "h").unwrap();
        for _ in 0..MAX_FAILURES {
            assert_eq!(
                turn(&mut l, "ana", "10.0.0.1"),
                SignInTurn::Check(Some((Role::Admin, "h".into())))
            );
        }
        // Each turn was counted when it was taken: the sixth waits, with nothing checked.
        assert_eq!(
            turn(&mut l, "ana", "10.0.0.1"),
            SignInTurn::Wait(clock.now() + Duration::minutes(LOCKOUT_MINUTES))
        );
        // The same name from elsewhere, and another name from there, are not held up.
        assert!(!waits(&mut l, "ana", "10.0.0.2"));
        assert!(!waits(&mut l, "ben", "10.0.0.1"));
        clock.advance(Duration::minutes(LOCKOUT_MINUTES));
        assert!(!waits(&mut l, "ana", "10.0.0.1"), "after the wait");
    }

    #[test]
    fn an_ipv6_address_is_throttled_as_its_64_block() {
        assert_eq!(
            throttle_keys("ana", "2001:db8:1:2:aaaa::1"),
            throttle_keys("ana", "2001:db8:1:2:bbbb:cc::9")
        );
        assert_eq!(
            throttle_keys("ana", "2001:db8:1:2::1")[1],
            "addr:2001:db8:1:2::/64"
        );
        assert_ne!(
            throttle_keys("ana", "2001:db8:1:3::1"),
            throttle_keys("ana", "2001:db8:1:2::1")
        );
        // IPv4, mapped or not, and an unknown address are kept as they are.
        assert_eq!(throttle_keys("ana", "::ffff:10.0.0.7")[1], "addr:10.0.0.7");
        assert_eq!(throttle_keys("ana", "10.0.0.7")[1], "addr:10.0.0.7");
        assert_eq!(throttle_keys("ana", "unknown")[1], "addr:unknown");
    }

    #[test]
    fn a_password_changed_while_it_was_checked_opens_nothing() {
        let (mut l, _) = ledger();
        l.add_user_by("ana", Role::Admin, "one-time", Password::OneTime, None)
            .unwrap();
        // ana's change, checked against the one-time hash, commits first.
        l.start_session("ana", "mine", "c0").unwrap();
        l.change_password("ana", "10.0.0.1", "one-time", "own", "mine")
            .unwrap();
        // Someone else's sign-in with the one-time password was checked against the old hash.
        let s = NewSession {
            token_hash: "theirs",
            csrf: "c1",
        };
        let e = l
            .signed_in("ana", "10.6.6.6", "one-time", s, None)
            .unwrap_err();
        assert!(matches!(e, Error::Forbidden(_)), "{e}");
        assert!(l.touch_session("theirs").unwrap().is_none());
        // So is a second change checked against it (another tab).
        let e = l
            .change_password("ana", "10.0.0.1", "one-time", "other", "mine")
            .unwrap_err();
        assert!(matches!(e, Error::Forbidden(_)), "{e}");
        let (_, hash) = l.user_credentials("ana").unwrap().unwrap();
        assert_eq!(hash, "own");
        assert!(
            !l.touch_session("mine")
                .unwrap()
                .unwrap()
                .must_change_password
        );
    }

    #[test]
    fn a_success_clears_its_pair_and_refunds_its_turn() {
        let (mut l, _) = ledger();
        l.add_user("ana", Role::Admin, "h").unwrap();
        for _ in 0..MAX_FAILURES {
            turn(&mut l, "ana", "10.0.0.1");
        }
        let s = NewSession {
            token_hash: "t1",
            csrf: "c1",
        };
        l.signed_in("ana", "10.0.0.1", "h", s, None).unwrap();
        let failures = |l: &Ledger, key: &str| -> Option<i64> {
            l.sql()
                .value(
                    "SELECT failures FROM console_signin_failures WHERE key = ?",
                    args![key],
                )
                .unwrap()
        };
        assert_eq!(failures(&l, "pair:ana 10.0.0.1"), None);
        assert_eq!(failures(&l, "addr:10.0.0.1"), Some(MAX_FAILURES - 1));
        assert_eq!(failures(&l, "user:ana"), Some(MAX_FAILURES - 1));
        for _ in 0..MAX_FAILURES - 1 {
            assert!(!waits(&mut l, "ana", "10.0.0.1"));
        }
        // Signing in again from the same browser ends the session it had.
        let s2 = NewSession {
            token_hash: "t2",
            csrf: "c2",
        };
        l.signed_in("ana", "10.0.0.1", "h", s2, Some("t1")).unwrap();
        assert_eq!(l.touch_session("t1").unwrap(), None);
        assert!(l.touch_session("t2").unwrap().is_some());
    }

    #[test]
    fn many_names_from_one_address_make_the_address_wait() {
        let (mut l, _) = ledger();
        for n in 0..MAX_ADDRESS_FAILURES {
            assert!(!waits(&mut l, &format!("guess{n}"), "10.9.9.9"));
        }
        assert!(waits(&mut l, "vic", "10.9.9.9"));
        assert!(!waits(&mut l, "vic", "10.9.9.8"));
    }

    #[test]
    fn failures_for_a_name_from_everywhere_only_slow_it_down() {
        let (mut l, clock) = ledger();
        for n in 0..FREE_NAME_FAILURES {
            assert!(!waits(&mut l, "ana", &format!("10.0.0.{n}")));
        }
        // Past the free ones, each failure makes the next attempt from a failing address wait
        // longer: 2 s, 4 s, ...
        let mut delay = 2;
        for n in 0..8 {
            let addr = format!("10.1.0.{n}");
            assert_eq!(
                turn(&mut l, "ana", &addr),
                SignInTurn::Check(None),
                "after {delay} s"
            );
            let SignInTurn::Wait(until) = turn(&mut l, "ana", "10.0.0.1") else {
                panic!(
                    "the name waits after {} failures",
                    FREE_NAME_FAILURES + n + 1
                );
            };
            assert_eq!(until, clock.now() + Duration::seconds(delay));
            clock.advance(Duration::seconds(delay));
            delay = (delay * 2).min(MAX_NAME_DELAY_SECS);
        }
        assert_eq!(delay, MAX_NAME_DELAY_SECS, "never longer than a minute");
    }

    #[test]
    fn a_name_failing_from_some_addresses_still_signs_in_from_another() {
        // A stranger guessing about once a minute from five addresses, each below its own
        // limits: the name is past its free failures and waits its longest after each one.
        let (mut l, clock) = ledger();
        l.add_user("ana", Role::Admin, "h").unwrap();
        let guessers = ["10.8.0.1", "10.8.0.2", "10.8.0.3", "10.8.0.4", "10.8.0.5"];
        for n in 0..20 {
            clock.advance(Duration::seconds(MAX_NAME_DELAY_SECS + 1));
            let from = guessers[n % guessers.len()];
            assert!(!waits(&mut l, "ana", from), "guess {n} is counted");
        }
        // Each failing address is still slowed down, though its pair is below its own limit.
        for from in guessers {
            assert_eq!(
                turn(&mut l, "ana", from),
                SignInTurn::Wait(clock.now() + Duration::seconds(MAX_NAME_DELAY_SECS)),
                "{from} failed for ana"
            );
        }
        // The person, from an address with no failure for the name, gets a turn; nothing else
        // about the name is forgotten.
        assert_eq!(
            turn(&mut l, "ana", "10.9.0.1"),
            SignInTurn::Check(Some((Role::Admin, "h".into())))
        );
        let s = NewSession {
            token_hash: "t1",
            csrf: "c1",
        };
        l.signed_in("ana", "10.9.0.1", "h", s, None).unwrap();
        assert!(l.touch_session("t1").unwrap().is_some());
        assert!(waits(&mut l, "ana", guessers[0]), "still slowed after");
    }
}
