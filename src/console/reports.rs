//! Reports and exports: the command line's reports as CSV, xlsx or JSON, and FSMA 204 and EPCIS
//! for a date range, from the same ledger and export functions.

use axum::extract::{rejection::QueryRejection, Extension};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::{epcis_file, fsma_file, layout, MAX_DOCUMENT_MOVEMENTS};
use super::{Backend, Refusal};
use crate::ledger::compliance::Scope;
use crate::ledger::reports::ExpiryFilter;
use crate::ledger::users::Session;
use crate::ledger::Ledger;

/// The reports: name in the URL, what the page calls it.
const REPORTS: [(&str, &str); 6] = [
    ("stock", "Stock by lot, serial and location"),
    ("expiry", "Expiry: every lot in stock, soonest first"),
    ("reorder", "Items at or below their reorder point"),
    ("serials", "Serials in stock"),
    ("held", "Lots on hold or recalled"),
    ("devices", "Devices and their newest movement"),
];

pub(super) async fn page<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
) -> Result<Markup, Refusal> {
    let today = state.ledger(|l| Ok(l.today())).await?;
    let from = today - Duration::days(30);
    let body = html! {
        h1 { "Reports" }
        div.scroll { table {
            tr { th { "Report" } th { "Download" } }
            @for (name, what) in REPORTS {
                tr {
                    td { (what) }
                    td {
                        a href=(format!("/console/reports/download?report={name}&format=csv")) { "CSV" }
                        " · "
                        a href=(format!("/console/reports/download?report={name}&format=xlsx")) { "xlsx" }
                        " · "
                        a href=(format!("/console/reports/download?report={name}&format=json")) { "JSON" }
                    }
                }
            }
        } }
        h2 { "Regulators and trading partners" }
        @for (action, title, button) in [
            ("/console/exports/fsma204.xlsx", "FSMA 204 sortable spreadsheet", "Download xlsx"),
            ("/console/exports/epcis.json", "EPCIS 2.0 events", "Download JSON-LD"),
        ] {
            form.act method="get" action=(action) {
                h3 { (title) }
                label { "From" input type="date" name="from" value=(from) required; }
                label { "To" input type="date" name="to" value=(today) required; }
                button { (button) }
            }
        }
    };
    Ok(layout("Reports", Some(&me), body))
}

#[derive(Debug, Deserialize)]
pub(super) struct DownloadParams {
    report: String,
    format: String,
}

/// One report's rows as JSON values (each a record).
fn report_rows(l: &Ledger, report: &str) -> crate::ledger::Result<serde_json::Value> {
    let json = |v: Result<serde_json::Value, serde_json::Error>| {
        v.map_err(|e| crate::ledger::Error::Store(format!("a report does not serialize: {e}")))
    };
    match report {
        "stock" => json(serde_json::to_value(l.stock_by_lot(None, None, None)?)),
        "expiry" => json(serde_json::to_value(
            l.expiry_report(&ExpiryFilter::default())?,
        )),
        "reorder" => json(serde_json::to_value(l.reorder_report()?)),
        "serials" => json(serde_json::to_value(l.serials_report(None)?)),
        "held" => json(serde_json::to_value(l.held_lots()?)),
        "devices" => json(serde_json::to_value(l.device_activity()?)),
        other => Err(crate::ledger::Error::NotFound(format!(
            "there is no report '{other}'; there are {}",
            REPORTS.map(|(n, _)| n).join(", ")
        ))),
    }
}

pub(super) async fn download<S: Backend>(
    State(state): State<S>,
    q: Result<Query<DownloadParams>, QueryRejection>,
) -> Result<Response, Refusal> {
    let Query(q) =
        q.map_err(|_| Refusal::bad("a download needs ?report=NAME&format=csv, xlsx or json"))?;
    if !matches!(q.format.as_str(), "csv" | "xlsx" | "json") {
        return Err(Refusal::bad(format!(
            "format '{}' is not csv, xlsx or json",
            q.format
        )));
    }
    let report = q.report.clone();
    let rows = state.ledger(move |l| report_rows(l, &report)).await?;
    let file = format!("{}.{}", q.report, q.format);
    let disposition = format!("attachment; filename=\"{file}\"");
    if q.format == "xlsx" {
        let rows = rows.as_array().cloned().unwrap_or_default();
        let bytes = report_xlsx(&q.report, &rows)?;
        Ok((
            [
                (header::CONTENT_TYPE, XLSX_TYPE.to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response())
    } else if q.format == "csv" {
        let rows = rows.as_array().cloned().unwrap_or_default();
        let text = crate::rows::to_csv(&rows).map_err(Refusal::bad)?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            text,
        )
            .into_response())
    } else {
        Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(rows)).into_response())
    }
}

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A report's rows as one sheet named for the report: whole numbers stay numbers, so the
/// spreadsheet sorts and sums them; every other value is text, as in the CSV (a lot code of
/// digits keeps its leading zeros).
fn report_xlsx(report: &str, rows: &[serde_json::Value]) -> Result<Vec<u8>, Refusal> {
    use crate::export::fsma::{sheets_xlsx, Cell, Sheet};
    let name = REPORTS
        .iter()
        .find(|(n, _)| *n == report)
        .map_or("report", |(n, _)| *n);
    let (header, values) = crate::rows::to_values(rows).map_err(Refusal::bad)?;
    let rows = values
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v.as_i64() {
                    Some(n) => Cell::Number(n),
                    None => Cell::Text(crate::rows::cell_text(v)),
                })
                .collect()
        })
        .collect();
    let sheet = Sheet { name, header, rows };
    sheets_xlsx(&[&sheet])
        .map_err(|e| Refusal::from(crate::ledger::Error::Store(format!("the xlsx: {e}"))))
}

#[derive(Debug, Deserialize)]
pub(super) struct RangeParams {
    from: String,
    to: String,
}

fn range_scope(q: Result<Query<RangeParams>, QueryRejection>) -> Result<(Scope, String), Refusal> {
    let Query(q) = q.map_err(|_| Refusal::bad("an export needs ?from=YYYY-MM-DD&to=YYYY-MM-DD"))?;
    let from = crate::ledger::model::parse_date("from", &q.from)?;
    let to = crate::ledger::model::parse_date("to", &q.to)?;
    let scope = Scope {
        from,
        to,
        item: None,
        lot: None,
        max_movements: Some(MAX_DOCUMENT_MOVEMENTS),
    };
    Ok((scope, format!("{from}-{to}")))
}

pub(super) async fn fsma<S: Backend>(
    State(state): State<S>,
    q: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Response, Refusal> {
    let (scope, span) = range_scope(q)?;
    fsma_file(&state, scope, format!("fsma204-{span}.xlsx")).await
}

pub(super) async fn epcis<S: Backend>(
    State(state): State<S>,
    q: Result<Query<RangeParams>, QueryRejection>,
) -> Result<Response, Refusal> {
    let (scope, span) = range_scope(q)?;
    epcis_file(&state, scope, format!("epcis-{span}.json")).await
}
