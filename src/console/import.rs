//! The import page: a CSV pasted or picked from a file, imported whole or not at all by the same
//! ledger function as `lotkeeper import`, recorded with the person's name. A bad row is shown by
//! its line and column, and nothing is imported.

use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::{csrf, layout};
use super::{actor, Backend, Refusal};
use crate::ledger::import::{ImportKind, ImportLogRow, IMPORT_KINDS};
use crate::ledger::users::Session;
use crate::ledger::Error as LedgerError;

/// The import page's script (a file, as the content security policy wants): a picked file's
/// text into the form.
pub(super) const SCRIPT: &str = "/console/import.js";

pub(super) async fn script() -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/javascript; charset=utf-8",
            ),
            (axum::http::header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("import.js"),
    )
        .into_response()
}

/// How many past imports the page lists.
const LOG_SHOWN: i64 = 20;

/// What the page says above the form: how the last import went.
enum Said {
    Nothing,
    Done(String),
    Failed(String),
}

fn page(me: &Session, log: &[ImportLogRow], said: &Said, kind: &str, csv: &str) -> Markup {
    let body = html! {
        h1 { "Import" }
        @match said {
            Said::Nothing => {},
            Said::Done(m) => p.notice role="status" { (m) },
            Said::Failed(m) => p.error role="alert" { (m) },
        }
        form.act method="post" action="/console/import" {
            (csrf(me))
            label { "What"
                select name="kind" {
                    @for (name, _) in IMPORT_KINDS {
                        option value=(name) selected[name == kind] { (name) }
                    }
                }
            }
            label { "CSV file"
                // The file's text goes into the box below; nothing is sent until Import.
                input type="file" accept=".csv,text/csv" data-fills="csv";
            }
            label { "Or paste it here" textarea name="csv" rows="10" required { (csv) } }
            button { "Import" }
            p.muted { "All or nothing: a bad row is named by line and column, and nothing is imported." }
        }
        script src=(SCRIPT) defer {}
        h2 { "Imports made here" }
        @if log.is_empty() { p.muted { "None yet." } } @else {
            div.scroll { table {
                tr { th { "When" } th { "What" } th.num { "Rows" } th.num { "New" } th.num { "Updated" } th { "By" } }
                @for r in log {
                    tr { td { (r.at) } td { (r.kind) } td.num { (r.rows) } td.num { (r.created) } td.num { (r.updated) } td { (r.by) } }
                }
            } }
        }
    };
    layout("Import", Some(me), body)
}

#[derive(Debug, Deserialize)]
pub(super) struct KindParam {
    kind: Option<String>,
}

pub(super) async fn form<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    q: Result<Query<KindParam>, axum::extract::rejection::QueryRejection>,
) -> Result<Markup, Refusal> {
    // The kind asked for, when it is one (the master data page links here with its list's).
    let kind = q
        .ok()
        .and_then(|Query(k)| k.kind)
        .and_then(|k| k.parse::<ImportKind>().ok())
        .map_or("items", ImportKind::name);
    let log = state.ledger(|l| l.import_log(LOG_SHOWN)).await?;
    Ok(page(&me, &log, &Said::Nothing, kind, ""))
}

#[derive(Debug, Deserialize)]
pub(super) struct ImportForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    csv: String,
}

pub(super) async fn import<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    form: Result<Form<ImportForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, Refusal> {
    let Form(f) =
        form.map_err(|e| Refusal::bad(format!("the form does not read: {}", e.body_text())))?;
    let kind: ImportKind = f.kind.parse()?;
    let by = actor(&me);
    let csv = f.csv.clone();
    let (done, log) = state
        .ledger(move |l| {
            let done = l.import_csv_by(kind, &csv, Some(&by));
            Ok((done, l.import_log(LOG_SHOWN)?))
        })
        .await?;
    let (status, said, kept) = match done {
        Ok(s) => (
            StatusCode::OK,
            Said::Done(format!(
                "Imported {} rows of {}: {} new, {} updated.",
                s.rows,
                kind.name(),
                s.created,
                s.updated
            )),
            "",
        ),
        Err(LedgerError::Import {
            line,
            column,
            message,
        }) => (
            StatusCode::BAD_REQUEST,
            Said::Failed(format!(
                "Line {line}, column {column}: {message}. Nothing was imported."
            )),
            f.csv.as_str(),
        ),
        Err(e) => return Err(e.into()),
    };
    Ok((status, page(&me, &log, &said, kind.name(), kept)).into_response())
}
