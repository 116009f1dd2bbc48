//! One-time enrollment codes (the back office's side): a code is issued for an active device and
//! works once, within minutes, and only the newest of a device's codes works. Redeeming it gives
//! the device a fresh token whose hash replaces the old one: the handheld that held the old
//! token can no longer sync (what it had not pushed stays on it, for `device recover`). A code
//! enrolls the handheld of that name, or replaces it; it never adds a second one. Only hashes
//! are stored: neither the code nor the token can be read back.

use super::error::{Error, Result};
use super::sql::{args, SqlExt};
use super::{clock, Ledger};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// What an enrollment QR code starts with.
pub const QR_PREFIX: &str = "lotkeeper://enroll?";

/// Crockford's base 32: no I, L, O or U, so a code read aloud or typed is not misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// What the server keeps of a token (a device's, a console session's): its SHA-256, in hex.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new device token: 244 random bits, shown once.
pub fn new_token() -> String {
    format!(
        "lk_{}{}",
        clock::new_random_id().simple(),
        clock::new_random_id().simple()
    )
}

/// A new one-time code: 12 characters of Crockford base 32 (60 random bits) in groups of four.
pub fn new_code() -> String {
    let bits = clock::new_random_id().as_u128();
    let chars: String = (0..12)
        .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
        .collect();
    format!("{}-{}-{}", &chars[..4], &chars[4..8], &chars[8..])
}

/// A code as typed or scanned, in its one spelling: upper case, without dashes or spaces, with
/// O read as 0 and I or L as 1. None when it is not 12 characters of the alphabet.
pub fn normalize(code: &str) -> Option<String> {
    let s: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect();
    (s.len() == 12 && s.bytes().all(|b| ALPHABET.contains(&b))).then_some(s)
}

/// What the back office stores of a code.
pub fn code_hash(code: &str) -> Option<String> {
    normalize(code).map(|c| hash_token(&format!("enroll:{c}")))
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The text of the QR code.
pub fn qr_text(server: &str, code: &str) -> String {
    format!("{QR_PREFIX}server={}&code={}", encode(server), encode(code))
}

/// Whether `server` may carry a code: https, or http to this machine only.
pub fn server_is_safe(server: &str) -> bool {
    if server.starts_with("https://") {
        return true;
    }
    let host = server
        .strip_prefix("http://")
        .map(|r| r.split('/').next().unwrap_or(""))
        .map(|h| match h.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => h,
        });
    matches!(host, Some("127.0.0.1" | "localhost" | "[::1]"))
}

/// The longest a code may stay valid.
pub const MAX_CODE_MINUTES: i64 = 60;

/// A device to add together with its first enrollment code: a token hash nobody holds (the
/// handheld gets its own when it enrolls), and its site.
#[derive(Debug, Clone, Copy)]
pub struct NewDevice<'a> {
    pub token_hash: &'a str,
    pub site: Option<&'a str>,
}

impl Ledger {
    /// Stores a code (by its hash) for `device`, valid `minutes` from now; its expiry.
    pub fn issue_enrollment_code(
        &mut self,
        device: &str,
        code_hash: &str,
        minutes: i64,
    ) -> Result<DateTime<Utc>> {
        self.issue_enrollment_code_by(device, code_hash, minutes, None, None)
    }

    /// [`Ledger::issue_enrollment_code`], adding the device first when `add` says how, and
    /// recorded with who did it when `by` names one, all in one transaction: a device is never
    /// added without its code, nor a code issued unrecorded. The device's earlier codes that
    /// were not used stop working: only the newest one enrolls.
    pub fn issue_enrollment_code_by(
        &mut self,
        device: &str,
        code_hash: &str,
        minutes: i64,
        add: Option<NewDevice<'_>>,
        by: Option<&str>,
    ) -> Result<DateTime<Utc>> {
        if !(1..=MAX_CODE_MINUTES).contains(&minutes) {
            return Err(Error::invalid(format!(
                "an enrollment code is valid for 1 to {MAX_CODE_MINUTES} minutes, not {minutes}"
            )));
        }
        if add.is_some() {
            super::replica::check_device_name(device)?;
        }
        let now = self.clock().now();
        let at = clock::timestamp(now);
        let expires = now + Duration::minutes(minutes);
        self.write_sql(|tx| {
            if let Some(d) = add {
                super::replica::add_device(tx, device, d.token_hash, d.site, &at, by)?;
            }
            let active: Option<Option<String>> = tx.value(
                "SELECT revoked_at FROM devices WHERE name = ?",
                args![device],
            )?;
            match active {
                None => {
                    return Err(Error::NotFound(format!(
                        "there is no device {device}: add it first (lotkeeper device add {device})"
                    )))
                }
                Some(Some(at)) => {
                    return Err(Error::invalid(format!(
                        "device {device} was revoked on {at}: add it again first"
                    )))
                }
                Some(None) => {}
            }
            tx.run(
                "DELETE FROM enrollment_codes WHERE device = ? AND used_at IS NULL",
                args![device],
            )?;
            tx.run(
                "INSERT INTO enrollment_codes (code_hash, device, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                args![code_hash, device, at, clock::timestamp(expires)],
            )?;
            super::users::log_change(tx, &at, by, "issue enrollment code", device)?;
            Ok(expires)
        })
    }

    /// Redeems a code: when it is known, unused and not expired, its device's token becomes the
    /// one hashed as `token_hash` and the code is spent. The device's name.
    pub fn redeem_enrollment_code(&mut self, code_hash: &str, token_hash: &str) -> Result<String> {
        let now = clock::timestamp(self.clock().now());
        self.write_sql(|tx| {
            let row: Option<(String, String, Option<String>)> = tx.first(
                "SELECT device, expires_at, used_at FROM enrollment_codes WHERE code_hash = ?",
                args![code_hash],
            )?;
            let device = match row {
                None => {
                    return Err(Error::Forbidden(
                        "this enrollment code is not known: ask the back office for a new one"
                            .into(),
                    ))
                }
                Some((_, _, Some(used))) => {
                    return Err(Error::Forbidden(format!(
                        "this enrollment code was already used ({used}): ask the back office for a new one"
                    )))
                }
                Some((_, expires, None)) if expires <= now => {
                    return Err(Error::Forbidden(format!(
                        "this enrollment code expired at {expires}: ask the back office for a new one"
                    )))
                }
                Some((device, _, None)) => device,
            };
            let n = tx.run(
                "UPDATE devices SET token_hash = ?1 WHERE name = ?2 AND revoked_at IS NULL",
                args![token_hash, device],
            )?;
            if n == 0 {
                return Err(Error::Forbidden(format!(
                    "device {device} was revoked: ask the back office to add it again"
                )));
            }
            tx.run(
                "UPDATE enrollment_codes SET used_at = ?1 WHERE code_hash = ?2",
                args![now, code_hash],
            )?;
            // Possibly another handheld under the same name: it gets an SSCC block of its own.
            super::labels::retire_sscc_block(tx, &device, &now)?;
            Ok(device)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::FixedClock;
    use std::sync::Arc;

    #[test]
    fn a_code_works_once_for_an_active_device_until_it_expires() {
        let clock = Arc::new(FixedClock::on(
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        ));
        let mut l = Ledger::open_in_memory().unwrap().with_clock(clock.clone());
        assert!(
            l.issue_enrollment_code("d1", "c1", 10).is_err(),
            "no such device"
        );
        l.add_device("d1", "old").unwrap();
        assert!(l.issue_enrollment_code("d1", "c1", 0).is_err());
        assert!(l.issue_enrollment_code("d1", "c1", 61).is_err());
        l.issue_enrollment_code("d1", "c1", 10).unwrap();
        let e = l.redeem_enrollment_code("nope", "t").unwrap_err();
        assert!(e.to_string().contains("not known"), "{e}");
        assert_eq!(l.redeem_enrollment_code("c1", "new").unwrap(), "d1");
        assert_eq!(l.device_for("new").unwrap().as_deref(), Some("d1"));
        assert_eq!(l.device_for("old").unwrap(), None, "the old token is gone");
        let e = l.redeem_enrollment_code("c1", "again").unwrap_err();
        assert!(e.to_string().contains("already used"), "{e}");
        assert_eq!(l.device_for("again").unwrap(), None);

        l.issue_enrollment_code("d1", "c2", 1).unwrap();
        clock.advance(chrono::Duration::minutes(2));
        let e = l.redeem_enrollment_code("c2", "late").unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
        assert_eq!(l.device_for("new").unwrap().as_deref(), Some("d1"));

        // A newer code replaces one not used yet.
        l.issue_enrollment_code("d1", "c3", 10).unwrap();
        l.issue_enrollment_code("d1", "c4", 10).unwrap();
        let e = l.redeem_enrollment_code("c3", "t3").unwrap_err();
        assert!(e.to_string().contains("not known"), "{e}");
        assert_eq!(l.redeem_enrollment_code("c4", "t4").unwrap(), "d1");
    }

    #[test]
    fn adding_a_device_with_its_code_is_one_change_recorded_with_who_made_it() {
        let mut l = Ledger::open_in_memory().unwrap();
        let add = NewDevice {
            token_hash: "nobody",
            site: None,
        };
        l.issue_enrollment_code_by("d1", "c1", 10, Some(add), Some("console:sam"))
            .unwrap();
        let changes: Vec<_> = l
            .console_changes(10)
            .unwrap()
            .into_iter()
            .map(|c| (c.action, c.by))
            .collect();
        assert_eq!(
            changes,
            [
                (
                    "issue enrollment code".to_string(),
                    "console:sam".to_string()
                ),
                ("add device".to_string(), "console:sam".to_string()),
            ]
        );
        // A code that cannot be issued (too long) adds no device either.
        let add = NewDevice {
            token_hash: "nobody2",
            site: None,
        };
        assert!(l
            .issue_enrollment_code_by("d2", "c2", 61, Some(add), Some("console:sam"))
            .is_err());
        // A code whose hash is taken fails inside the transaction: the device is not added.
        assert!(l
            .issue_enrollment_code_by("d2", "c1", 10, Some(add), Some("console:sam"))
            .is_err());
        assert_eq!(l.devices().unwrap().len(), 1, "d2 was not added");
        assert_eq!(l.console_changes(10).unwrap().len(), 2);
    }
}
