//! Enrollment by QR code. The back office prints a QR code holding its address and a one-time
//! code (`lotkeeper://enroll?server=https%3A%2F%2Flk.example&code=7KQ2-M9XD-4TVA`) that expires
//! within minutes; never the long-lived token. The handheld reads it (camera, scanner or pasted
//! into Settings), and exchanges the code for a fresh token at `POST /v1/enroll`, over TLS
//! (plain HTTP only to a server on this machine).

use serde::{Deserialize, Serialize};

use super::client::{Client, SyncError};

pub use crate::ledger::enrollment::{code_hash, new_code, normalize, qr_text, QR_PREFIX};

/// The body of `POST /v1/enroll`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub code: String,
}

/// The answer: the device's name and its new token (shown to the device only, once).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollResponse {
    pub device: String,
    pub token: String,
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The server and code of an enrollment QR code; None for any other text.
pub fn parse_qr(text: &str) -> Option<(String, String)> {
    let query = text.trim().strip_prefix(QR_PREFIX)?;
    let (mut server, mut code) = (None, None);
    for pair in query.split('&') {
        match pair.split_once('=')? {
            ("server", v) => server = Some(decode(v)?),
            ("code", v) => code = Some(decode(v)?),
            _ => return None,
        }
    }
    Some((server?, code?))
}

/// Whether `server` may carry a code: https, or http to this machine only.
pub fn check_server(server: &str) -> Result<(), SyncError> {
    if crate::ledger::enrollment::server_is_safe(server) {
        return Ok(());
    }
    Err(SyncError::Insecure(format!(
        "{server}: an enrollment code is exchanged over https only (plain http only to this machine)"
    )))
}

/// Exchanges `code` at `server` for this device's name and token.
pub fn redeem(server: &str, code: &str) -> Result<EnrollResponse, SyncError> {
    check_server(server)?;
    let code = normalize(code).ok_or_else(|| {
        SyncError::Insecure(format!(
            "'{code}' is not an enrollment code: 12 letters and digits, like 7KQ2-M9XD-4TVA"
        ))
    })?;
    Client::new(server, "")?.redeem_enrollment(&EnrollRequest { code })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_readable_and_typed_back_in_any_spelling() {
        let a = new_code();
        assert_ne!(a, new_code());
        assert_eq!(a.len(), 14);
        assert_eq!(normalize(&a.to_lowercase()).unwrap(), a.replace('-', ""));
        assert_eq!(normalize("7kq2 m9xd 4tvo"), Some("7KQ2M9XD4TV0".into()));
        assert_eq!(normalize("7KQ2-M9XD-4TV"), None);
        assert_eq!(
            normalize("7KQ2-M9XD-4TVU"),
            None,
            "U is not in the alphabet"
        );
        assert_eq!(code_hash("7kq2-m9xd-4tva"), code_hash("7KQ2M9XD4TVA"));
    }

    #[test]
    fn the_qr_text_carries_server_and_code_and_nothing_else_parses() {
        let t = qr_text("https://lk.example:8443/base?x=1&y=2", "7KQ2-M9XD-4TVA");
        assert!(t.starts_with("lotkeeper://enroll?server=https%3A%2F%2Flk.example%3A8443"));
        assert_eq!(
            parse_qr(&t),
            Some((
                "https://lk.example:8443/base?x=1&y=2".into(),
                "7KQ2-M9XD-4TVA".into()
            ))
        );
        assert_eq!(parse_qr("lotkeeper://enroll?server=x"), None);
        assert_eq!(parse_qr("lotkeeper://enroll?server=x&code=y&token=z"), None);
        assert_eq!(parse_qr("]C10109506000134352"), None);
    }

    #[test]
    fn a_code_crosses_the_network_only_over_tls() {
        assert!(check_server("https://lk.example").is_ok());
        assert!(check_server("http://127.0.0.1:8080").is_ok());
        assert!(check_server("http://localhost").is_ok());
        let e = check_server("http://10.0.0.5:8080")
            .unwrap_err()
            .to_string();
        assert!(e.contains("https only"), "{e}");
        assert!(check_server("http://127.0.0.1.evil.example").is_err());
    }
}
