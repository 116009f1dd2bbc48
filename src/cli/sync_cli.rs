//! `serve`, `device`, `enroll`, `sync`, `status`, `conflicts`.

use anyhow::{bail, Result};
use serde::Serialize;
use std::path::PathBuf;

use super::output::{print_done, print_rows, Format, TextFormat};
use super::DeviceAction;
use crate::ledger::Ledger;
use crate::sync::client::{keys, Standing, SyncError};
use crate::sync::client::{sync_once, Client};
use crate::sync::server::{Database, Options, RunningServer, Tls};
use crate::sync::{hash_token, new_token};

pub fn serve(
    db: super::Db,
    listen: &str,
    tls: Option<(PathBuf, PathBuf)>,
    insecure_http: bool,
    trusted_proxies: Vec<std::net::IpAddr>,
) -> Result<()> {
    let tls = tls.map(|(cert, key)| Tls { cert, key });
    let scheme = if tls.is_some() { "https" } else { "http" };
    let plain = tls.is_none();
    #[cfg(feature = "console")]
    let proxied = !trusted_proxies.is_empty();
    let database = match db.url {
        #[cfg(feature = "postgres")]
        Some(url) => Database::Postgres(url),
        _ => Database::File(super::db_path(db.file)),
    };
    let server = RunningServer::start_on(
        &database,
        listen,
        Options {
            tls,
            insecure_http,
            trusted_proxies,
            ..Default::default()
        },
    )?;
    if plain && !server.addr.ip().is_loopback() {
        eprintln!(
            "warning: serving plain HTTP on {} (--insecure-http): device tokens and stock data cross the network unencrypted unless a proxy in front ends TLS",
            server.addr
        );
    }
    #[cfg(feature = "console")]
    if plain && server.addr.ip().is_loopback() && !proxied {
        eprintln!(
            "note: plain HTTP on loopback: the console's session cookies are not marked Secure (right for a browser on this machine). Behind a proxy on this machine that ends TLS, start with --trusted-proxy 127.0.0.1 so they are"
        );
    }
    println!(
        "lotkeeper serving {database} on {scheme}://{} (Ctrl-C stops)",
        server.addr
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let _ = ctrlc_channel(tx);
    let _ = rx.recv();
    server.stop();
    Ok(())
}

/// Sends on `tx` at Ctrl-C (SIGINT/SIGTERM through tokio's signal handling on a small runtime).
fn ctrlc_channel(tx: std::sync::mpsc::Sender<()>) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        rt.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
        let _ = tx.send(());
    });
    Ok(())
}

#[derive(Serialize)]
struct DeviceRow {
    name: String,
    site: Option<String>,
    created_at: String,
    revoked_at: Option<String>,
}

pub fn device(mut l: Ledger, action: DeviceAction) -> Result<()> {
    match action {
        DeviceAction::Add { name, site, format } => {
            let token = new_token();
            l.add_device_at(&name, &hash_token(&token), site.as_deref())?;
            let site = l.device_site(&name)?;
            let at = site
                .as_deref()
                .map(|s| format!(" at site {s}"))
                .unwrap_or_default();
            print_done(
                format,
                &serde_json::json!({"action": "device added", "device": name, "site": site, "token": token}),
                || {
                    format!(
                        "device {name} enrolled{at}; its token (shown once, keep it safe):\n{token}"
                    )
                },
            )?;
        }
        DeviceAction::List { format } => {
            let rows: Vec<DeviceRow> = l
                .devices()?
                .into_iter()
                .map(|(name, created_at, revoked_at)| {
                    Ok(DeviceRow {
                        site: l.device_site(&name)?,
                        name,
                        created_at,
                        revoked_at,
                    })
                })
                .collect::<crate::ledger::Result<_>>()?;
            print_rows(&rows, format)?;
        }
        DeviceAction::EnrollCode {
            name,
            server,
            minutes,
            out,
        } => {
            if !server.starts_with("https://") && !server.starts_with("http://") {
                bail!("--server '{server}': the address handhelds reach this server at, https://HOST:PORT");
            }
            crate::sync::enroll::check_server(&server)?;
            let code = crate::sync::enroll::new_code();
            let hash = crate::sync::enroll::code_hash(&code).expect("a new code is well formed");
            let data = crate::label::LabelData::Enrollment(crate::label::EnrollmentData {
                device: name.clone(),
                server: server.clone(),
                code: code.clone(),
                qr: crate::sync::enroll::qr_text(&server, &code),
                // As long as the real one, so the checked label is the printed one.
                expires: "2026-12-01 10:42 UTC".into(),
            });
            // The label is checked before the code exists, so a label that cannot be made
            // leaves no code behind.
            if out.out.is_some() || out.printer.is_some() {
                super::label_cli::check(&l, &data, &out, crate::label::LabelSize::L4x2)?;
            }
            let expires = l.issue_enrollment_code(&name, &hash, minutes)?;
            let until = expires.format("%Y-%m-%d %H:%M UTC").to_string();
            let crate::label::LabelData::Enrollment(mut d) = data else {
                unreachable!()
            };
            d.expires = until.clone();
            println!(
                "enrollment code for {name}: {code}, valid until {until}; its QR code says:\n{}",
                d.qr
            );
            if out.out.is_some() || out.printer.is_some() {
                super::label_cli::emit(
                    &mut l,
                    &crate::label::LabelData::Enrollment(d),
                    &out,
                    crate::label::LabelSize::L4x2,
                )?;
            }
        }
        DeviceAction::Recover { from, format } => {
            let mut old = Ledger::snapshot_of(&from)?;
            let r = l.recover_device(&mut old)?;
            print_done(format, &r, || {
                let mut text = format!(
                    "recovered from {} ({}): {} movements the server did not have, {} it already had, {} lot status changes, {} refused",
                    from.display(),
                    r.device,
                    r.accepted,
                    r.already,
                    r.lot_changes_accepted,
                    r.refused.len()
                );
                for f in &r.refused {
                    text.push_str(&format!("\n  refused {}: {}", f.id, f.reason));
                }
                text
            })?;
            if !r.refused.is_empty() {
                return Err(SomeRefused(r.refused.len()).into());
            }
        }
        DeviceAction::Revoke { name, format } => {
            l.revoke_device(&name)?;
            print_done(
                format,
                &serde_json::json!({"action": "device revoked", "device": name}),
                || format!("device {name} revoked: its token no longer works"),
            )?;
        }
    }
    Ok(())
}

/// A command that did its work but had some of it refused by the ledger's rules (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0} of the recovered movements and lot changes were refused by the ledger's rules (listed above)")]
pub struct SomeRefused(pub usize);

pub fn watch(db: PathBuf) -> Result<()> {
    let l = Ledger::open(&db)?;
    if l.sync_value("server")?.is_none() {
        bail!("this device is not enrolled: run lotkeeper enroll --server URL --token TOKEN");
    }
    drop(l);
    let agent = crate::sync::agent::SyncAgent::start(db, Default::default(), |s| {
        if !s.syncing {
            println!(
                "{} | {} pending | {} conflicts | last sync: {}{}",
                s.warning
                    .as_deref()
                    .unwrap_or(if s.online { "online" } else { "offline" }),
                s.pending,
                s.conflicts,
                s.last_success.as_deref().unwrap_or("never"),
                s.last_error
                    .as_ref()
                    .map(|e| format!(" | {e}"))
                    .unwrap_or_default()
            );
        }
    });
    agent.poke();
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc_channel(tx)?;
    let _ = rx.recv();
    Ok(())
}

/// The device's name as the server knows its token; `given` must agree when the server answers.
fn device_name(client: &Client, given: Option<String>) -> Result<String> {
    match (client.whoami(), given) {
        (Ok(name), Some(g)) if g != name => bail!("this token belongs to device {name}, not {g}"),
        (Ok(name), _) => Ok(name),
        (Err(crate::sync::client::SyncError::Unauthorized(m)), _) => {
            bail!("the server refused this token: {m}")
        }
        (Err(_), Some(g)) => Ok(g),
        (Err(e), None) => {
            bail!("cannot ask the server for this device's name ({e}); give --device NAME")
        }
    }
}

/// The device token from `--token` or LOTKEEPER_TOKEN (clap reads both), or the first line of
/// standard input with `--token-stdin`.
pub fn token(given: Option<String>, stdin: bool) -> Result<Option<String>> {
    if !stdin {
        return Ok(given.map(|t| t.trim().to_string()));
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let t = line.trim();
    if t.is_empty() {
        bail!("--token-stdin: standard input has no token on its first line");
    }
    Ok(Some(t.to_string()))
}

pub fn enroll(
    mut l: Ledger,
    server: &str,
    token: &str,
    device: Option<String>,
    format: TextFormat,
) -> Result<()> {
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        bail!("--server '{server}' must start with https:// (or http:// on loopback)");
    }
    let client = Client::new(server, token)?;
    let name = device_name(&client, device)?;
    l.enroll(server, token, &name)?;
    print_done(
        format,
        &serde_json::json!({"action": "enrolled", "device": name, "server": server}),
        || format!("enrolled as {name} with {server}; movements made from now on will sync"),
    )
}

/// Enrolls from an enrollment QR code's text: the one-time code is exchanged for the token.
pub fn enroll_qr(mut l: Ledger, qr: &str, format: TextFormat) -> Result<()> {
    let (server, code) = crate::sync::enroll::parse_qr(qr).ok_or_else(|| {
        anyhow::anyhow!(
            "--qr: not an enrollment QR code (it starts with {})",
            crate::sync::enroll::QR_PREFIX
        )
    })?;
    let got = crate::sync::enroll::redeem(&server, &code)?;
    l.enroll(&server, &got.token, &got.device)?;
    print_done(
        format,
        &serde_json::json!({"action": "enrolled", "device": got.device, "server": server}),
        || {
            format!(
                "enrolled as {} with {server}; movements made from now on will sync",
                got.device
            )
        },
    )
}

pub fn sync(
    mut l: Ledger,
    server: Option<String>,
    token: Option<String>,
    format: TextFormat,
) -> Result<()> {
    let client = match (server, token) {
        (Some(s), Some(t)) => {
            let client = Client::new(&s, &t)?;
            if l.sync_value("server")?.is_none() {
                // First sync with explicit credentials: enroll on the way, under the token's name.
                let name = device_name(&client, None)?;
                l.enroll(&s, &t, &name)?;
            }
            client
        }
        (None, None) => Client::for_ledger(&l)?,
        // A token from LOTKEEPER_TOKEN on an enrolled device: the enrolled credentials serve.
        (None, Some(_)) if l.sync_value("server")?.is_some() => Client::for_ledger(&l)?,
        _ => bail!("give both --server and a token, or neither (to use the enrolled ones)"),
    };
    let report = sync_once(&mut l, &client)?;
    if report.pending_again > 0 && format == TextFormat::Table {
        println!(
            "the server's database was restored from a backup: pulled again from the start, and pushed again the {} movements it had accepted from this device",
            report.pending_again
        );
    }
    match format {
        TextFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        TextFormat::Table => println!(
            "pushed {} ({} accepted, {} rejected), pulled {} movements and {} lot events{}; {} pending, {} conflicts ({} ms)",
            report.pushed,
            report.accepted,
            report.rejected,
            report.pulled,
            report.lot_events,
            if report.master_updated { ", master data updated" } else { "" },
            report.pending,
            report.conflicts,
            report.ms
        ),
    }
    Ok(())
}

#[derive(Serialize)]
struct Status {
    enrolled: bool,
    server: Option<String>,
    device: Option<String>,
    online: Option<bool>,
    pending: i64,
    conflicts: i64,
    last_success: Option<String>,
    /// The server said this device's token is revoked.
    revoked: bool,
    /// How far this device's clock is from the server's (server minus device), at the last sync.
    clock_offset_secs: Option<i64>,
    /// What a person must do, if anything (revoked, or the clock is off).
    warning: Option<String>,
}

pub fn status(mut l: Ledger, format: TextFormat) -> Result<()> {
    let server = l.sync_value("server")?;
    // Asking the server who this device is also tells a revoked device so.
    let online = match server {
        None => None,
        Some(_) => Some(match Client::for_ledger(&l).map(|c| c.whoami()) {
            Ok(Ok(_)) => {
                if Standing::of(&l)?.revoked {
                    l.delete_sync_value(keys::REVOKED)?;
                }
                true
            }
            Ok(Err(SyncError::Revoked(m))) => {
                l.set_sync_value(keys::REVOKED, &m)?;
                true
            }
            Ok(Err(SyncError::Offline(_))) | Err(_) => false,
            Ok(Err(_)) => true,
        }),
    };
    let (pending, conflicts) = l.outbox_counts()?;
    let standing = Standing::of(&l)?;
    let s = Status {
        revoked: standing.revoked,
        clock_offset_secs: standing.clock_offset_secs,
        warning: standing.warning(),
        enrolled: server.is_some(),
        device: l.sync_value("device")?,
        server,
        online,
        pending,
        conflicts,
        last_success: l.sync_value("last_success")?,
    };
    match format {
        TextFormat::Json => println!("{}", serde_json::to_string_pretty(&s)?),
        TextFormat::Table => {
            if !s.enrolled {
                println!("not enrolled (local only): lotkeeper enroll --server URL --token TOKEN");
            } else {
                println!(
                    "{} | {} pending | {} conflicts | last sync: {} | {} as {}",
                    if s.revoked {
                        "revoked: ask the back office to enroll this device again"
                    } else if s.online == Some(true) {
                        "online"
                    } else {
                        "offline"
                    },
                    s.pending,
                    s.conflicts,
                    s.last_success.as_deref().unwrap_or("never"),
                    s.server.as_deref().unwrap_or(""),
                    s.device.as_deref().unwrap_or("")
                );
                if let Some(h) = standing.clock_off_hours() {
                    println!("this device's clock is off by {h} h: set the date and time");
                }
            }
        }
    }
    Ok(())
}

pub fn conflicts(
    mut l: Ledger,
    dismiss: Option<String>,
    note: Option<String>,
    all: bool,
    format: Format,
) -> Result<()> {
    if let Some(id) = dismiss {
        l.dismiss_conflict(&id, note.as_deref().unwrap_or(""))?;
        let record = serde_json::json!({"action": "conflict dismissed", "id": id, "note": note});
        return match format {
            Format::Json => print_done(TextFormat::Json, &record, String::new),
            _ => {
                println!("conflict {id} dismissed");
                Ok(())
            }
        };
    }
    // Movements and lot status changes the server refused, in one list.
    let mut rows: Vec<serde_json::Value> = l
        .conflicts(all)?
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    for c in l.lot_conflicts(all)? {
        rows.push(serde_json::to_value(c)?);
    }
    print_rows(&rows, format)
}
