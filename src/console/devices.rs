//! The devices page: the fleet with each device's newest movement, adding a device, its
//! enrollment QR code (a one-time code that works for minutes, never the device's token), and
//! revoking one. The same ledger functions as `lotkeeper device add|enroll-code|revoke`.

use axum::extract::{Extension, State};
use axum::http::{header, HeaderMap};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::auth::Client;
use super::pages::{csrf, layout};
use super::{svg, Backend, Refusal};
use crate::ledger::enrollment::{
    code_hash, hash_token, new_code, new_token, qr_text, server_is_safe, NewDevice,
};
use crate::ledger::reports::DeviceActivity;
use crate::ledger::users::{Role, Session};

/// How long an enrollment code made in the console works.
const CODE_MINUTES: i64 = 10;

/// The address handhelds likely reach this server at: the one the browser used.
fn this_server(client: &Client, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .unwrap_or("HOST:PORT");
    let scheme = if client.https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// A device with its site, as the page lists it.
struct Row {
    activity: DeviceActivity,
    site: Option<String>,
}

fn page(me: &Session, rows: &[Row], server: &str, shown: Option<Markup>) -> Markup {
    let may = me.role >= Role::Supervisor;
    let body = html! {
        h1 { "Devices" }
        @if let Some(s) = shown { (s) }
        @if rows.is_empty() { p.muted { "No device is enrolled." } } @else {
            div.scroll { table {
                tr { th { "Device" } th { "Site" } th { "Added" } th { "Last movement" } th { "State" } @if may { th {} } }
                @for r in rows {
                    @let d = &r.activity;
                    tr {
                        td { (d.device) }
                        td { (r.site.as_deref().unwrap_or("")) }
                        td { (d.added) }
                        td { (d.last_movement.as_deref().unwrap_or("none yet")) }
                        td { @if let Some(at) = &d.revoked { "revoked " (at) } @else { "active" } }
                        @if may {
                            td {
                                @if d.revoked.is_none() {
                                    form.inline method="post" action="/console/devices/enroll-code" {
                                        (csrf(me))
                                        input type="hidden" name="name" value=(d.device);
                                        input type="hidden" name="server" value=(server);
                                        button { "Enrollment QR" }
                                    }
                                    " "
                                    form.inline method="post" action="/console/devices/revoke" {
                                        (csrf(me))
                                        input type="hidden" name="name" value=(d.device);
                                        button.danger { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
            p.muted { "Last movement: the newest one the server has from the device, stamped by the device. An enrollment QR gives the device a new token when it is used: the handheld that had the old one stops syncing." }
        }
        @if may {
            h2 { "Add a device" }
            form.act method="post" action="/console/devices/add" {
                (csrf(me))
                label { "Name" input name="name" required maxlength="64"; }
                label { "Site (its code; leave empty with one site)" input name="site" maxlength="64"; }
                label { "Address handhelds reach this server at" input name="server" value=(server) required; }
                button { "Add and show its QR code" }
            }
        }
    };
    layout("Devices", Some(me), body)
}

fn rows(l: &crate::ledger::Ledger) -> crate::ledger::Result<Vec<Row>> {
    l.device_activity()?
        .into_iter()
        .map(|activity| {
            Ok(Row {
                site: l.device_site(&activity.device)?,
                activity,
            })
        })
        .collect()
}

pub(super) async fn list<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    client: Client,
    headers: HeaderMap,
) -> Result<Markup, Refusal> {
    let rows = state.ledger(|l| rows(l)).await?;
    Ok(page(&me, &rows, &this_server(&client, &headers), None))
}

#[derive(Debug, Deserialize)]
pub(super) struct DeviceForm {
    #[serde(default)]
    name: String,
    site: Option<String>,
    server: Option<String>,
}

type DeviceFormResult = Result<Form<DeviceForm>, axum::extract::rejection::FormRejection>;

fn device_form(form: DeviceFormResult) -> Result<DeviceForm, Refusal> {
    form.map(|Form(f)| f)
        .map_err(|e| Refusal::bad(format!("the form does not read: {}", e.body_text())))
}

/// The address a QR code will carry, checked: https, or http to this machine only.
fn checked_server(given: Option<&str>) -> Result<String, Refusal> {
    let server = given.unwrap_or("").trim().trim_end_matches('/').to_string();
    if !server_is_safe(&server) {
        return Err(Refusal::bad(format!(
            "'{server}' cannot carry an enrollment code: give https://HOST:PORT (plain http only to this machine)"
        )));
    }
    Ok(server)
}

/// Issues a code for `name` (optionally adding the device first, with a token nobody sees: it
/// gets its own when it enrolls) and shows the QR code.
async fn issue<S: Backend>(
    state: S,
    me: Session,
    f: DeviceForm,
    add: bool,
) -> Result<Markup, Refusal> {
    let server = checked_server(f.server.as_deref())?;
    let code = new_code();
    let hash =
        code_hash(&code).ok_or_else(|| Refusal::bad("a new enrollment code did not read back"))?;
    let text = qr_text(&server, &code);
    let cells = crate::label::symbols::qr(&text)
        .map_err(|e| Refusal::bad(format!("the QR code cannot be made: {e}")))?;
    let name = f.name.trim().to_string();
    let site = f.site.filter(|s| !s.trim().is_empty());
    let who = name.clone();
    let by = super::actor(&me);
    let (expires, rows) = state
        .ledger(move |l| {
            let nobodys = hash_token(&new_token());
            let new = add.then_some(NewDevice {
                token_hash: &nobodys,
                site: site.as_deref(),
            });
            let expires = l.issue_enrollment_code_by(&who, &hash, CODE_MINUTES, new, Some(&by))?;
            Ok((expires, rows(l)?))
        })
        .await?;
    let shown = html! {
        section.enroll {
            h2 { "Enroll " (name) }
            div.qr { (svg::qr(&cells, &format!("Enrollment QR code for {name}"))) }
            p { "Scan it with the handheld (Settings → Enroll), or type the code: " strong { (code) } }
            p.muted { "It works once, until " (expires.format("%H:%M")) " UTC, and only until a newer code is made for " (name) ". It holds this server's address and the code, never the device's token." }
            p.notice { "Enrolling with it gives " (name) " a new token: a handheld that syncs as " (name) " now stops syncing (what it has not pushed stays on it; " code { "lotkeeper device recover" } " takes it). Use it to set up or replace this device's handheld, not to add a second one." }
        }
    };
    Ok(page(&me, &rows, &server, Some(shown)))
}

pub(super) async fn add<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: DeviceFormResult,
) -> Result<Markup, Refusal> {
    issue(state, me, device_form(form)?, true).await
}

pub(super) async fn enroll_code<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: DeviceFormResult,
) -> Result<Markup, Refusal> {
    issue(state, me, device_form(form)?, false).await
}

pub(super) async fn revoke<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    client: Client,
    headers: HeaderMap,
    form: DeviceFormResult,
) -> Result<Markup, Refusal> {
    let f = device_form(form)?;
    let name = f.name.clone();
    let by = super::actor(&me);
    let rows = state
        .ledger(move |l| {
            l.revoke_device_by(&name, Some(&by))?;
            rows(l)
        })
        .await?;
    let said =
        html! { p.notice role="status" { "Revoked " (f.name) ": its token no longer works." } };
    Ok(page(
        &me,
        &rows,
        &this_server(&client, &headers),
        Some(said),
    ))
}
