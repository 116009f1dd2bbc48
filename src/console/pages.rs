//! The console's pages. Each reads through the ledger's report and query functions and changes
//! nothing but through the ledger functions the command line calls too.

use axum::extract::{Extension, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use chrono::{Duration, NaiveDate};
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use super::svg::{self, Bar};
use super::{actor, enc, Backend, Refusal, CSRF_FIELD, ROOT};
use crate::ledger::compliance::Scope;
use crate::ledger::reports::{DeviceActivity, HeldLot, LocationStock, ReorderRow, StockRow};
use crate::ledger::users::{ChangeRow, Password, Role, Session, User};
use crate::ledger::{Ledger, LotAction, LotStatus};

const STYLE: &str = include_str!("style.css");

pub(super) async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        STYLE,
    )
        .into_response()
}

/// Every page: its title, the menu for who is signed in, and the body.
pub(super) fn layout(title: &str, me: Option<&Session>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · lotkeeper" }
                link rel="stylesheet" href="/console/style.css";
            }
            body {
                header {
                    a.brand href=(ROOT) { "lotkeeper" }
                    @if let Some(me) = me {
                        nav {
                            a href=(ROOT) { "Dashboard" }
                            a href="/console/recall" { "Recall" }
                            a href="/console/devices" { "Devices" }
                            a href="/console/conflicts" { "Conflicts" }
                            a href="/console/data" { "Data" }
                            a href="/console/reports" { "Reports" }
                            @if me.role >= Role::Supervisor { a href="/console/import" { "Import" } }
                            @if me.role >= Role::Admin { a href="/console/users" { "Users" } }
                        }
                        a.password href=(super::PASSWORD) { "Password" }
                        form.signout method="post" action="/console/sign-out" {
                            (csrf(me))
                            span { (me.user) " (" (me.role) ")" }
                            button { "Sign out" }
                        }
                    }
                }
                main { (body) }
                footer { (super::auth::session_rule()) }
            }
        }
    }
}

/// The hidden field every form of a session carries.
pub(super) fn csrf(me: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(me.csrf); }
}

fn status_class(s: LotStatus) -> &'static str {
    match s {
        LotStatus::Available => "ok",
        LotStatus::Quarantine => "hold",
        LotStatus::Recalled => "recalled",
    }
}

// ---- dashboard ---------------------------------------------------------------------------

/// The expiry buckets, as the chart labels them.
const BUCKETS: [&str; 4] = ["expired", "≤30 d", "31–60 d", "61–90 d"];

/// How many days of movements the dashboard shows.
const DAYS_SHOWN: i64 = 14;

struct Dashboard {
    today: NaiveDate,
    /// Lots with stock: expired, and expiring within 30, 31–60 and 61–90 days.
    buckets: [(i64, i64); 4],
    held: Vec<HeldLot>,
    /// All lots on hold or recalled (`held` lists the first of them).
    held_total: i64,
    reorder: Vec<ReorderRow>,
    by_location: Vec<LocationStock>,
    devices: Vec<DeviceActivity>,
    per_day: Vec<(NaiveDate, i64)>,
}

fn dashboard_data(l: &Ledger) -> crate::ledger::Result<Dashboard> {
    let today = l.today();
    let mut buckets = [(0, 0); 4];
    for day in l.expiry_by_day()? {
        let slot = match (day.expiry - today).num_days() {
            d if d < 0 => 0,
            d if d <= 30 => 1,
            d if d <= 60 => 2,
            d if d <= 90 => 3,
            _ => break,
        };
        buckets[slot].0 += day.lots;
        buckets[slot].1 += day.units;
    }
    Ok(Dashboard {
        today,
        buckets,
        held: l.held_lots()?,
        held_total: l.held_lot_count()?,
        reorder: l.reorder_report()?,
        by_location: l.stock_by_location()?,
        devices: l.device_activity()?,
        per_day: l.movements_per_day(today - Duration::days(DAYS_SHOWN - 1))?,
    })
}

pub(super) async fn dashboard<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
) -> Result<Markup, Refusal> {
    let d = state.ledger(|l| dashboard_data(l)).await?;
    let expiry: Vec<Bar> = BUCKETS
        .iter()
        .zip(d.buckets)
        .enumerate()
        .map(|(i, (label, (lots, _)))| Bar {
            label: label.to_string(),
            value: lots,
            warn: i == 0,
        })
        .collect();
    let per_day: Vec<Bar> = d
        .per_day
        .iter()
        .map(|(day, n)| Bar {
            label: day.format("%d").to_string(),
            value: *n,
            warn: false,
        })
        .collect();
    let body = html! {
        h1 { "Dashboard" }
        p.muted { "Today is " (d.today) "." }
        form.find method="get" action="/console/recall" {
            input name="find" placeholder="Lot: ITEM LOT, or scan GS1 data" aria-label="Find a lot" required;
            button { "Find lot" }
        }
        div.grid {
            section {
                h2 { "Expiry (lots in stock)" }
                (svg::bar_chart("Lots by expiry", &expiry))
                table {
                    tr { th { "When" } th.num { "Lots" } th.num { "Units" } }
                    @for (label, (lots, units)) in BUCKETS.iter().zip(d.buckets) {
                        tr { td { (label) } td.num { (lots) } td.num { (units) } }
                    }
                }
            }
            section {
                h2 { "Movements per day" }
                (svg::bar_chart("Movements per day", &per_day))
                p.muted { "Last " (DAYS_SHOWN) " days, by the day each was made." }
            }
        }
        section {
            h2 { "On hold or recalled" }
            @if d.held.is_empty() { p.muted { "No lot is on hold or recalled." } } @else {
                @if (d.held.len() as i64) < d.held_total {
                    p.notice role="status" { "Showing the first " (d.held.len()) " of " (d.held_total) " lots on hold or recalled, recalled first." }
                }
                div.scroll { table {
                    tr { th { "Item" } th { "Lot" } th { "Status" } th { "Expiry" } th { "Since" } th { "By" } th { "Why" } }
                    @for h in &d.held {
                        tr {
                            td { (h.item) }
                            td { a href=(lot_link(&h.item, &h.lot)) { (h.lot) } }
                            td { span class=(status_class(h.status)) { (h.status) } }
                            td { (h.expiry.map(|e| e.to_string()).unwrap_or_default()) }
                            td { (h.since.as_deref().unwrap_or("")) }
                            td { (h.by.as_deref().unwrap_or("")) }
                            td { (h.reason.as_deref().unwrap_or("")) }
                        }
                    }
                } }
            }
        }
        section {
            h2 { "At or below reorder point" }
            @if d.reorder.is_empty() { p.muted { "No item is at or below its reorder point." } } @else {
                div.scroll { table {
                    tr { th { "Item" } th { "Name" } th.num { "Usable" } th.num { "Point" } th.num { "Order" } }
                    @for r in &d.reorder {
                        tr { td { (r.item) } td { (r.name) } td.num { (r.usable) } td.num { (r.reorder_point) } td.num { (r.order) " " (r.unit) } }
                    }
                } }
            }
        }
        div.grid {
            section {
                h2 { "Stock by location" }
                @if d.by_location.is_empty() { p.muted { "No stock." } } @else {
                    div.scroll { table {
                        tr { th { "Location" } th.num { "Lines" } th.num { "Units" } }
                        @for s in &d.by_location {
                            tr { td { (s.location) } td.num { (s.lines) } td.num { (s.units) } }
                        }
                    } }
                }
            }
            section {
                h2 { "Devices" }
                @if d.devices.is_empty() { p.muted { "No device is enrolled." } } @else {
                    div.scroll { table {
                        tr { th { "Device" } th { "Last contact" } th.num { "Pending" } th.num { "Open conflicts" } th { "Last movement" } th { "State" } }
                        @for dev in &d.devices {
                            tr {
                                td { (dev.device) }
                                td { (dev.last_contact.as_deref().unwrap_or("never")) }
                                td.num { @if let Some(n) = dev.pending_reported { (n) } @else { "?" } }
                                td.num {
                                    @if dev.open_conflicts > 0 {
                                        a href=(format!("/console/conflicts?show=open&device={}", enc(&dev.device))) { (dev.open_conflicts) }
                                    } @else { "0" }
                                }
                                td { (dev.last_movement.as_deref().unwrap_or("none yet")) }
                                td { @if let Some(at) = &dev.revoked { "revoked " (at) } @else { "active" } }
                            }
                        }
                    } }
                    p.muted { "Last contact: when the device last reached the server (noted once a minute). Pending: the movements it said were waiting at its last sync (? before it said). Open conflicts: its movements the server rejected that no one has resolved." }
                }
            }
        }
    };
    Ok(layout("Dashboard", Some(&me), body))
}

// ---- lot page ----------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(super) struct LotParams {
    item: String,
    lot: String,
}

struct LotPage {
    lot: crate::ledger::Lot,
    stock: Vec<StockRow>,
    movements: Vec<crate::ledger::reports::LotTransaction>,
    trace: crate::ledger::trace::Trace,
}

fn lot_page_data(l: &Ledger, item: &str, lot: &str) -> crate::ledger::Result<LotPage> {
    let found = l
        .query()
        .lot(item, lot)?
        .ok_or_else(|| crate::ledger::Error::NotFound(format!("{item} has no lot {lot}")))?;
    let stock = l.stock_by_lot(Some(item), None, Some(lot))?;
    Ok(LotPage {
        lot: found,
        stock,
        movements: l.lot_transactions(item, lot)?,
        trace: l.trace(item, Some(lot), None)?,
    })
}

fn lot_summary(p: &LotPage) -> Markup {
    html! {
        p {
            "Status: " span class=(status_class(p.lot.status)) { (p.lot.status) }
            @if let Some(e) = p.lot.expiry { " · expires " (e) }
        }
        h2 { "Trace" }
        div.scroll { (svg::trace(&p.trace)) }
        p.muted {
            "Customers: "
            @if p.trace.customers.is_empty() { "none" } @else { (p.trace.customers.join(", ")) }
        }
        h2 { "Status changes" }
        @if p.trace.status_history.is_empty() { p.muted { "None." } } @else {
            div.scroll { table {
                tr { th { "When" } th { "Change" } th { "To" } th { "By" } th { "Why" } }
                @for h in &p.trace.status_history {
                    tr { td { (h.at) } td { (h.action) } td { (h.to) } td { (h.by.as_deref().unwrap_or("")) } td { (h.reason) } }
                }
            } }
        }
    }
}

pub(super) async fn lot<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    q: Result<Query<LotParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Markup, Refusal> {
    let Query(q) = q.map_err(|_| Refusal::bad("a lot page needs ?item=SKU&lot=CODE"))?;
    let (item, code) = (q.item.clone(), q.lot.clone());
    let p = state
        .ledger(move |l| lot_page_data(l, &item, &code))
        .await?;
    let body = html! {
        h1 { (q.item) " lot " (q.lot) }
        p { a href=(recall_link(&q.item, &q.lot)) { "Recall console for this lot" } }
        (lot_summary(&p))
        (hold_form(&me, &q.item, &q.lot, p.lot.status))
        h2 { "Where it is now" }
        @if p.stock.is_empty() { p.muted { "None in stock." } } @else {
            div.scroll { table {
                tr { th { "Location" } th { "Serial" } th.num { "On hand" } th.num { "Available" } th { "Status" } }
                @for s in &p.stock {
                    tr { td { (s.location) } td { (s.serial.as_deref().unwrap_or("")) } td.num { (s.on_hand) } td.num { (s.available) } td { (s.status) } }
                }
            } }
        }
        h2 { "History" }
        div.scroll { table {
            tr { th { "When" } th { "Kind" } th.num { "Qty" } th { "From" } th { "To" } th { "Device" } th { "Reference" } }
            @for t in &p.movements {
                tr {
                    td { (t.entry.created_at) } td { (t.entry.kind.to_string()) } td.num { (t.entry.qty) }
                    td { (t.entry.from) } td { (t.entry.to) } td { (t.entry.device) }
                    td { (t.entry.reference.as_deref().unwrap_or("")) }
                }
            }
        } }
    };
    Ok(layout(&format!("{} {}", q.item, q.lot), Some(&me), body))
}

pub(super) fn lot_link(item: &str, lot: &str) -> String {
    format!("/console/lot?item={}&lot={}", enc(item), enc(lot))
}

/// The form that puts a lot on hold or releases it, by its status, for a supervisor or admin.
fn hold_form(me: &Session, item: &str, lot: &str, status: LotStatus) -> Markup {
    let (action, title, button) = match status {
        LotStatus::Available => ("/console/lot/hold", "Put on hold", "Hold"),
        LotStatus::Quarantine => ("/console/lot/release", "Release the hold", "Release"),
        LotStatus::Recalled => return html! {},
    };
    html! {
        @if me.role >= Role::Supervisor {
            h2 { (title) }
            form.act method="post" action=(action) {
                (csrf(me))
                input type="hidden" name="item" value=(item);
                input type="hidden" name="lot" value=(lot);
                label { "Reason" input name="reason" required maxlength="200"; }
                button { (button) }
            }
        }
    }
}

fn recall_link(item: &str, lot: &str) -> String {
    format!("/console/recall?item={}&lot={}", enc(item), enc(lot))
}

// ---- recall console ----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub(super) struct RecallParams {
    find: Option<String>,
    item: Option<String>,
    lot: Option<String>,
}

/// The item and lot a typed or scanned text names: GS1 data with (01) and (10), "ITEM LOT",
/// or a lot code only one item has.
fn find_lot(l: &Ledger, text: &str) -> crate::ledger::Result<(String, String)> {
    use crate::ledger::Error;
    let text = text.trim();
    let parsed = crate::scan::gs1::parse(text);
    if let (Some(gtin), Some(lot)) = (parsed.gtin(), parsed.lot()) {
        let (item, _) = l.query().item_by_gtin(gtin)?.ok_or_else(|| {
            Error::NotFound(format!("no item has GTIN {gtin} (from the scanned data)"))
        })?;
        return Ok((item.sku, lot.to_string()));
    }
    if let Some((item, lot)) = text.split_once(char::is_whitespace) {
        return Ok((item.trim().to_string(), lot.trim().to_string()));
    }
    match l.query().items_with_lot(text)?.as_slice() {
        [one] => Ok((one.clone(), text.to_string())),
        [] => Err(Error::NotFound(format!(
            "no lot '{text}': type ITEM LOT, or scan GS1 data with (01) GTIN and (10) lot"
        ))),
        many => Err(Error::invalid(format!(
            "lot '{text}' exists for {}: type ITEM LOT",
            many.join(", ")
        ))),
    }
}

pub(super) async fn recall<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    q: Result<Query<RecallParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Markup, Refusal> {
    let Query(q) = q.map_err(|_| Refusal::bad("the recall page takes find, or item and lot"))?;
    let find_form = html! {
        form.find method="get" action="/console/recall" {
            input name="find" value=(q.find.as_deref().unwrap_or("")) placeholder="ITEM LOT, or scan GS1 data" aria-label="Find a lot" required autofocus;
            button { "Find lot" }
        }
    };
    let wanted = match (&q.find, &q.item, &q.lot) {
        (_, Some(i), Some(l)) => Some((i.clone(), l.clone())),
        (Some(f), _, _) if !f.trim().is_empty() => {
            let f = f.clone();
            Some(state.ledger(move |l| find_lot(l, &f)).await?)
        }
        _ => None,
    };
    let Some((item, code)) = wanted else {
        let body = html! { h1 { "Recall" } (find_form) };
        return Ok(layout("Recall", Some(&me), body));
    };
    let (i, c) = (item.clone(), code.clone());
    let (p, acks) = state
        .ledger(move |l| {
            Ok((
                lot_page_data(l, &i, &c)?,
                l.lot_change_acknowledgements(&i, &c)?,
            ))
        })
        .await?;
    let may = me.role >= Role::Supervisor;
    let query = format!("item={}&lot={}", enc(&item), enc(&code));
    let body = html! {
        h1 { "Recall: " (item) " lot " (code) }
        (find_form)
        p { a href=(lot_link(&item, &code)) { "Lot page" } }
        (lot_summary(&p))
        h2 { "Devices" }
        @if acks.is_empty() {
            p.muted { "The lot has no status change for devices to learn." }
        } @else {
            p.muted { "Whether each active device has stored the lot's latest status change (" (p.lot.status) "). A device learns it on its next sync." }
            div.scroll { table {
                tr { th { "Device" } th { "Has it" } }
                @for (device, has) in &acks {
                    tr { td { (device) } td { @if *has { span.ok { "yes" } } @else { span.hold { "not yet" } } } }
                }
            } }
        }
        h2 { "Downloads" }
        ul.downloads {
            li { a href=(format!("/console/recall/package.json?{query}")) { "Recall package (JSON)" } }
            li { a href=(format!("/console/recall/fsma204.xlsx?{query}")) { "FSMA 204 spreadsheet (xlsx)" } }
            li { a href=(format!("/console/recall/epcis.json?{query}")) { "EPCIS 2.0 events (JSON-LD)" } }
        }
        @if may {
            @match p.lot.status {
                LotStatus::Recalled => {
                    h2 { "Close the recall" }
                    form.act method="post" action="/console/recall/close" {
                        (csrf(&me))
                        input type="hidden" name="item" value=(item);
                        input type="hidden" name="lot" value=(code);
                        label { "Reason" input name="reason" required maxlength="200"; }
                        button { "Close recall" }
                        p.muted { "The lot stays on hold until someone releases it." }
                    }
                }
                _ => {
                    h2 { "Start a recall" }
                    form.act method="post" action="/console/recall/start" {
                        (csrf(&me))
                        input type="hidden" name="item" value=(item);
                        input type="hidden" name="lot" value=(code);
                        label { "Reason" input name="reason" required maxlength="200"; }
                        button.danger { "Start recall" }
                        p.muted { "Nothing of this lot can be picked or shipped after this." }
                    }
                }
            }
        } @else {
            p.muted { "A supervisor or admin starts and closes recalls." }
        }
    };
    Ok(layout(&format!("Recall {item} {code}"), Some(&me), body))
}

#[derive(Debug, Deserialize)]
pub(super) struct LotChangeForm {
    #[serde(default)]
    item: String,
    #[serde(default)]
    lot: String,
    #[serde(default)]
    reason: String,
}

/// A lot status change made in the console: the ledger's own state machine, with the person
/// as the actor; then back to the recall page.
async fn change_lot<S: Backend>(
    state: S,
    me: Session,
    form: Result<Form<LotChangeForm>, axum::extract::rejection::FormRejection>,
    action: LotAction,
) -> Result<Response, Refusal> {
    let Form(f) =
        form.map_err(|e| Refusal::bad(format!("the form does not read: {}", e.body_text())))?;
    if f.item.trim().is_empty() || f.lot.trim().is_empty() {
        return Err(Refusal::bad("the form names no item and lot"));
    }
    let by = actor(&me);
    let (item, lot) = (f.item.clone(), f.lot.clone());
    state
        .ledger(move |l| l.change_lot_status(&item, &lot, action, &f.reason, Some(&by)))
        .await?;
    let back = match action {
        LotAction::Hold | LotAction::Release => lot_link(&f.item, &f.lot),
        LotAction::Recall | LotAction::CloseRecall => recall_link(&f.item, &f.lot),
    };
    Ok(Redirect::to(&back).into_response())
}

pub(super) async fn hold<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: Result<Form<LotChangeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    change_lot(state, me, form, LotAction::Hold).await
}

pub(super) async fn release<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: Result<Form<LotChangeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    change_lot(state, me, form, LotAction::Release).await
}

pub(super) async fn recall_start<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: Result<Form<LotChangeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    change_lot(state, me, form, LotAction::Recall).await
}

pub(super) async fn recall_close<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: Result<Form<LotChangeForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    change_lot(state, me, form, LotAction::CloseRecall).await
}

/// The scope of a lot's documents: from its first movement to today.
fn lot_scope(l: &Ledger, item: &str, lot: &str) -> crate::ledger::Result<Scope> {
    let first = l
        .lot_transactions(item, lot)?
        .first()
        .and_then(|t| t.entry.created_at.get(..10).map(str::to_string));
    let today = l.today();
    let from = first
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .unwrap_or(today)
        .min(today);
    Ok(Scope {
        from,
        to: today,
        item: Some(item.to_string()),
        lot: Some(lot.to_string()),
        max_movements: Some(MAX_DOCUMENT_MOVEMENTS),
    })
}

/// The most movements a document from the console holds (it is made in memory).
pub(super) const MAX_DOCUMENT_MOVEMENTS: usize = 200_000;

fn attachment(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A file name's part made of a code: letters, digits, '-' and '_' kept, the rest '_'.
fn file_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

pub(super) async fn recall_package<S: Backend>(
    State(state): State<S>,
    q: Result<Query<LotParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Refusal> {
    let Query(q) = q.map_err(|_| Refusal::bad("the package needs ?item=SKU&lot=CODE"))?;
    let (item, lot) = (q.item.clone(), q.lot.clone());
    let report = state.ledger(move |l| l.recall_report(&item, &lot)).await?;
    let mut r = Json(report).into_response();
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_str(&format!(
            "attachment; filename=\"recall-{}-{}.json\"",
            file_part(&q.item),
            file_part(&q.lot)
        ))
        .map_err(|_| Refusal::bad("the item or lot does not make a file name"))?,
    );
    Ok(r)
}

/// What a lot's documents are made of, for the item and lot a download names.
async fn lot_documents<S: Backend>(
    state: &S,
    q: Result<Query<LotParams>, axum::extract::rejection::QueryRejection>,
) -> Result<(LotParams, Scope), Refusal> {
    let Query(q) = q.map_err(|_| Refusal::bad("a download needs ?item=SKU&lot=CODE"))?;
    let (item, lot) = (q.item.clone(), q.lot.clone());
    let scope = state.ledger(move |l| lot_scope(l, &item, &lot)).await?;
    Ok((q, scope))
}

/// FSMA 204's sortable spreadsheet of what `scope` covers, as a download named `file`.
pub(super) async fn fsma_file<S: Backend>(
    state: &S,
    scope: Scope,
    file: String,
) -> Result<Response, Refusal> {
    let data = state.ledger(move |l| l.trace_data(&scope, false)).await?;
    let wb = crate::export::fsma::workbook(&data);
    let bytes = crate::export::fsma::xlsx_bytes(&wb)
        .map_err(|e| Refusal::Bad(StatusCode::NOT_IMPLEMENTED, e.to_string()))?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        file,
        bytes,
    ))
}

/// EPCIS 2.0 events of what `scope` covers, as a download named `file`.
pub(super) async fn epcis_file<S: Backend>(
    state: &S,
    scope: Scope,
    file: String,
) -> Result<Response, Refusal> {
    let base = crate::export::epcis::DEFAULT_ID_BASE.to_string();
    let doc = state
        .ledger(move |l| crate::export::epcis::document_of(l, &scope, base))
        .await?;
    let body = serde_json::to_vec_pretty(&doc)
        .map_err(|e| Refusal::Bad(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(attachment("application/ld+json", file, body))
}

pub(super) async fn recall_fsma<S: Backend>(
    State(state): State<S>,
    q: Result<Query<LotParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Refusal> {
    let (q, scope) = lot_documents(&state, q).await?;
    let file = format!("fsma204-{}-{}.xlsx", file_part(&q.item), file_part(&q.lot));
    fsma_file(&state, scope, file).await
}

pub(super) async fn recall_epcis<S: Backend>(
    State(state): State<S>,
    q: Result<Query<LotParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, Refusal> {
    let (q, scope) = lot_documents(&state, q).await?;
    let file = format!("epcis-{}-{}.json", file_part(&q.item), file_part(&q.lot));
    epcis_file(&state, scope, file).await
}

// ---- users -------------------------------------------------------------------------------

/// How many changes the users page lists.
const CHANGES_SHOWN: i64 = 50;

type UsersAndChanges = (Vec<User>, Vec<ChangeRow>);

fn users_and_changes(l: &Ledger) -> crate::ledger::Result<UsersAndChanges> {
    Ok((l.users()?, l.console_changes(CHANGES_SHOWN)?))
}

fn users_page(me: &Session, (users, changes): &UsersAndChanges, message: Option<&str>) -> Markup {
    let body = html! {
        h1 { "Users" }
        @if let Some(m) = message { p.notice role="status" { (m) } }
        div.scroll { table {
            tr { th { "Name" } th { "Role" } th { "Added" } th { "Password" } th {} }
            @for u in users {
                tr {
                    td { (u.name) } td { (u.role) } td { (u.created_at) }
                    td { @if u.must_change_password { "one-time, not changed yet" } @else { "their own" } }
                    td {
                        @if u.name != me.user {
                            form.inline method="post" action="/console/users/remove" {
                                (csrf(me))
                                input type="hidden" name="name" value=(u.name);
                                button.danger { "Remove" }
                            }
                        }
                    }
                }
            }
        } }
        h2 { "Changes to devices and users" }
        @if changes.is_empty() { p.muted { "None made in the console yet." } } @else {
            div.scroll { table {
                tr { th { "When" } th { "Who" } th { "What" } th { "Of" } }
                @for c in changes {
                    tr { td { (c.at) } td { (c.by) } td { (c.action) } td { (c.subject) } }
                }
            } }
        }
        h2 { "Add a user" }
        form.act method="post" action="/console/users/add" {
            (csrf(me))
            label { "Name" input name="name" required maxlength="64" pattern="[A-Za-z0-9._-]+"; }
            label { "Role"
                select name="role" {
                    option value="viewer" { "viewer" }
                    option value="supervisor" { "supervisor" }
                    option value="admin" { "admin" }
                }
            }
            button { "Add" }
            p.muted { "The new user's one-time password is shown once, here; they replace it at their first sign-in." }
        }
    };
    layout("Users", Some(me), body)
}

pub(super) async fn users<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
) -> Result<Markup, Refusal> {
    let list = state.ledger(|l| users_and_changes(l)).await?;
    Ok(users_page(&me, &list, None))
}

#[derive(Debug, Deserialize)]
pub(super) struct UserForm {
    #[serde(default)]
    name: String,
    role: Option<String>,
}

type UserFormResult = Result<Form<UserForm>, axum::extract::rejection::FormRejection>;

/// A change to the users made with `change`, then the users page with `said` on top.
async fn change_users<S: Backend>(
    state: S,
    me: Session,
    change: impl FnOnce(&mut Ledger) -> crate::ledger::Result<()> + Send + 'static,
    said: String,
) -> Result<Markup, Refusal> {
    let list = state
        .ledger(move |l| {
            change(l)?;
            users_and_changes(l)
        })
        .await?;
    Ok(users_page(&me, &list, Some(&said)))
}

fn user_form(form: UserFormResult) -> Result<UserForm, Refusal> {
    form.map(|Form(f)| f)
        .map_err(|e| Refusal::bad(format!("the form does not read: {}", e.body_text())))
}

pub(super) async fn user_add<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: UserFormResult,
) -> Result<Markup, Refusal> {
    let f = user_form(form)?;
    let role: Role = f.role.as_deref().unwrap_or("").parse()?;
    let password = super::new_password();
    // Hashing takes tens of milliseconds and 19 MiB: off the async threads.
    let given = password.clone();
    let hash = tokio::task::spawn_blocking(move || super::hash_password(&given))
        .await
        .map_err(|e| Refusal::Bad(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .map_err(|e| Refusal::Bad(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let name = f.name.trim().to_string();
    let said = format!(
        "Added {name} ({role}), who chooses their own password at the first sign-in. One-time password, shown once: {password}"
    );
    let by = actor(&me);
    change_users(
        state,
        me,
        move |l| l.add_user_by(&name, role, &hash, Password::OneTime, Some(&by)),
        said,
    )
    .await
}

pub(super) async fn user_remove<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: UserFormResult,
) -> Result<Markup, Refusal> {
    let f = user_form(form)?;
    if f.name == me.user {
        return Err(Refusal::bad(
            "you cannot remove yourself; another admin can",
        ));
    }
    let said = format!("Removed {}.", f.name);
    let by = actor(&me);
    change_users(
        state,
        me,
        move |l| l.remove_user_by(&f.name, Some(&by)),
        said,
    )
    .await
}
