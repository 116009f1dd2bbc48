//! Raw TCP printing (port 9100, what Zebra-compatible printers listen on), with a connect
//! timeout, a write timeout and a timeout for the printer's answer.
//!
//! After the label is written the connection is half-closed, and the printer closing its side
//! is taken as its receipt: a printer that accepts a connection but never reads or never closes
//! "does not answer", as much as one that refuses it. The job then stays queued; a retry may
//! print a label twice if the printer did take it, never none.

use serde::Serialize;
use std::fmt;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::str::FromStr;
use std::time::Duration;

/// Port 9100, raw printing.
pub const RAW_PORT: u16 = 9100;
/// How long a printer may take to accept, to take the bytes, and to close after them.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// What a printer may send back (status answers) before it closes; more is not read.
const MAX_ANSWER: u64 = 64 * 1024;

/// Where a printer listens: `HOST:PORT`, `HOST` (port 9100) or `tcp://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrinterAddress {
    pub host: String,
    pub port: u16,
}

impl FromStr for PrinterAddress {
    type Err = String;
    fn from_str(s: &str) -> Result<PrinterAddress, String> {
        let rest = s.strip_prefix("tcp://").unwrap_or(s).trim_end_matches('/');
        let bad = || format!("'{s}' is not a printer address: HOST:PORT, HOST or tcp://HOST:PORT");
        let (host, port) = match rest.rsplit_once(':') {
            // An IPv6 literal is written [::1]:9100.
            Some((h, p)) if !h.contains(':') || h.ends_with(']') => {
                (h, p.parse::<u16>().map_err(|_| bad())?)
            }
            _ => (rest, RAW_PORT),
        };
        if host.is_empty() || port == 0 || host.chars().any(|c| c.is_whitespace() || c == '/') {
            return Err(bad());
        }
        Ok(PrinterAddress {
            host: host.to_string(),
            port,
        })
    }
}

impl fmt::Display for PrinterAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// Why a label did not reach its printer.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("printer {printer} at {address} does not answer ({reason})")]
    NoAnswer {
        printer: String,
        address: String,
        reason: String,
    },
}

/// Sends `bytes` to the printer and waits for it to close the connection, each step within
/// `timeout`.
pub fn send(
    name: &str,
    address: &PrinterAddress,
    bytes: &[u8],
    timeout: Duration,
) -> Result<(), PrintError> {
    let fail = |reason: String| PrintError::NoAnswer {
        printer: name.to_string(),
        address: address.to_string(),
        reason,
    };
    let host = address.host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<_> = (host, address.port)
        .to_socket_addrs()
        .map_err(|e| fail(format!("cannot resolve {host}: {e}")))?
        .collect();
    let mut last = String::from("no address");
    let mut stream = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let mut s = stream.ok_or_else(|| fail(last))?;
    let io = |what: &str, e: std::io::Error| {
        let reason = match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                format!("{what}: no progress in {} ms", timeout.as_millis())
            }
            _ => format!("{what}: {e}"),
        };
        fail(reason)
    };
    s.set_write_timeout(Some(timeout))
        .map_err(|e| io("setting up", e))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| io("setting up", e))?;
    s.write_all(bytes).map_err(|e| io("sending the label", e))?;
    s.flush().map_err(|e| io("sending the label", e))?;
    s.shutdown(Shutdown::Write)
        .map_err(|e| io("sending the label", e))?;
    let mut answer = Vec::new();
    (&mut s)
        .take(MAX_ANSWER)
        .read_to_end(&mut answer)
        .map_err(|e| io("waiting for the printer to take the label", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_and_without_port_and_scheme() {
        let a: PrinterAddress = "tcp://10.0.0.7:9100".parse().unwrap();
        assert_eq!(a.to_string(), "10.0.0.7:9100");
        assert_eq!("zebra-1".parse::<PrinterAddress>().unwrap().port, 9100);
        assert_eq!(
            "[::1]:9101".parse::<PrinterAddress>().unwrap().host,
            "[::1]"
        );
        for bad in ["", "host:port", "a b:9100", "host:0", "http://x/y"] {
            assert!(bad.parse::<PrinterAddress>().is_err(), "{bad}");
        }
    }
}
