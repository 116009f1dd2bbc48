//! The conflicts page: every movement the server rejected from a device, with its reason, open
//! ones first; a supervisor or admin resolves one with a note, recorded as `console:NAME` by the
//! same ledger function that keeps a device's resolution (the first one stands). The device
//! learns it on its next sync.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::{csrf, layout};
use super::{actor, enc, Backend, Refusal};
use crate::ledger::conflicts::{ServerConflict, Show, MAX_CONFLICTS_LISTED};
use crate::ledger::users::{Role, Session};

/// Where the page lives.
pub(super) const PAGE: &str = "/console/conflicts";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListParams {
    #[serde(default)]
    show: Show,
    /// One device's conflicts only.
    device: Option<String>,
}

/// The movement as a line: kind, item with its lot or serial, quantity, from and to.
fn movement(c: &ServerConflict) -> String {
    let what = match (&c.lot, &c.serial) {
        (lot, Some(s)) => match lot {
            Some(l) => format!("{} lot {l} serial {s}", c.item),
            None => format!("{} serial {s}", c.item),
        },
        (Some(l), None) => format!("{} lot {l}", c.item),
        (None, None) => c.item.clone(),
    };
    format!("{} {what} × {} · {} → {}", c.kind, c.qty, c.from, c.to)
}

fn page(me: &Session, p: &ListParams, rows: &[ServerConflict]) -> Markup {
    let may = me.role >= Role::Supervisor;
    let filter = |show: &str, label: &str| {
        let mut href = format!("{PAGE}?show={show}");
        if let Some(d) = &p.device {
            href.push_str(&format!("&device={}", enc(d)));
        }
        html! { a href=(href) { (label) } }
    };
    let open = rows.iter().filter(|c| c.resolution.is_none()).count();
    let body = html! {
        h1 { "Conflicts" }
        p.muted {
            "Movements the server rejected from devices, with its reason. The first resolution stands, on the back office or on the device; the other side learns it on its next sync."
        }
        p { "Show: " (filter("all", "all")) " · " (filter("open", "open")) " · " (filter("resolved", "resolved"))
            @if let Some(d) = &p.device { " · device " strong { (d) } " (" a href=(PAGE) { "every device" } ")" } }
        @if rows.is_empty() {
            p.muted { @match p.show { Show::Open => "No open conflict.", Show::Resolved => "No resolved conflict.", Show::All => "No device has had a movement rejected." } }
        } @else {
            p.muted { (open) " open, " (rows.len() - open) " resolved shown"
                @if rows.len() as i64 == MAX_CONFLICTS_LISTED { " (the first " (MAX_CONFLICTS_LISTED) ")" } "." }
            div.scroll { table {
                tr { th { "Device" } th { "Rejected" } th { "Movement" } th { "Made" } th { "Why" } th { "Resolution" } }
                @for c in rows {
                    tr {
                        td { a href=(format!("{PAGE}?device={}", enc(&c.device))) { (c.device) } }
                        td { (c.rejected_at) }
                        td { (movement(c)) }
                        td { (c.made_at) }
                        td { (c.reason) }
                        td {
                            @if let Some(r) = &c.resolution {
                                span.ok { "resolved" } " by " (r.by) " at " (r.at) ": " (r.note)
                            } @else if may {
                                form.inline method="post" action=(format!("{PAGE}/resolve")) {
                                    (csrf(me))
                                    input type="hidden" name="device" value=(c.device);
                                    input type="hidden" name="id" value=(c.id);
                                    input name="note" required maxlength="500" placeholder="What was done" aria-label="Note";
                                    button { "Resolve" }
                                }
                            } @else {
                                span.hold { "open" }
                            }
                        }
                    }
                }
            } }
        }
    };
    layout("Conflicts", Some(me), body)
}

pub(super) async fn list<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    q: Result<Query<ListParams>, QueryRejection>,
) -> Result<Markup, Refusal> {
    let Query(p) = q.map_err(|e| Refusal::bad(format!("bad query: {}", e.body_text())))?;
    let (show, device) = (p.show, p.device.clone());
    let rows = state
        .ledger(move |l| l.sync_conflicts(show, device.as_deref()))
        .await?;
    Ok(page(&me, &p, &rows))
}

#[derive(Debug, Deserialize)]
pub(super) struct ResolveForm {
    #[serde(default)]
    device: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn resolve<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: Result<Form<ResolveForm>, FormRejection>,
) -> Result<Response, Refusal> {
    let Form(f) =
        form.map_err(|e| Refusal::bad(format!("the form does not read: {}", e.body_text())))?;
    let by = actor(&me);
    let (device, id) = (f.device.clone(), f.id);
    state
        .ledger(move |l| l.resolve_sync_conflict(&device, &id, &f.note, &by))
        .await?;
    // The device's list, where the resolution now shows.
    Ok(Redirect::to(&format!("{PAGE}?device={}", enc(&f.device))).into_response())
}
