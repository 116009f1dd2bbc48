//! Master data: items, locations, parties, purchase orders and pick lists, listed and searched
//! (the ledger's own lists; changes come in through the import page).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::layout;
use super::{enc, Backend, Refusal};
use crate::ledger::users::Session;
use crate::ledger::Ledger;

/// The lists: name in the URL, title.
const LISTS: [(&str, &str); 5] = [
    ("items", "Items"),
    ("locations", "Locations"),
    ("parties", "Parties"),
    ("purchase-orders", "Purchase orders"),
    ("pick-lists", "Pick lists"),
];

/// The most rows a list shows; a search narrows it.
const MAX_ROWS: usize = 500;

/// A list as a table: its header and its rows as text.
type Table = (Vec<&'static str>, Vec<Vec<String>>);

fn table(l: &Ledger, what: &str) -> crate::ledger::Result<Table> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    Ok(match what {
        "items" => (
            vec!["SKU", "Name", "Tracking", "Expiry", "Unit", "GTINs"],
            l.query()
                .items()?
                .into_iter()
                .map(|i| {
                    vec![
                        i.sku,
                        i.name,
                        i.tracking.as_str().to_string(),
                        if i.expiry_tracked { "yes" } else { "no" }.to_string(),
                        i.unit,
                        i.gtins.len().to_string(),
                    ]
                })
                .collect(),
        ),
        "locations" => (
            vec!["Code", "Name", "Kind", "Site"],
            l.query()
                .locations()?
                .into_iter()
                .map(|x| vec![x.code, x.name, x.kind.as_str().to_string(), opt(&x.site)])
                .collect(),
        ),
        "parties" => (
            vec!["Code", "Kind", "Name", "City", "Phone"],
            l.query()
                .parties()?
                .into_iter()
                .map(|p| {
                    vec![
                        p.code,
                        p.kind.as_str().to_string(),
                        p.name,
                        opt(&p.city),
                        opt(&p.phone),
                    ]
                })
                .collect(),
        ),
        "purchase-orders" => (
            vec!["Number", "Supplier", "Status", "Progress", "Lines"],
            l.query()
                .purchase_orders(false)?
                .into_iter()
                .map(|p| {
                    vec![
                        p.number,
                        p.supplier,
                        p.status,
                        p.progress,
                        p.lines.len().to_string(),
                    ]
                })
                .collect(),
        ),
        "pick-lists" => (
            vec!["Number", "Customer", "Status", "Progress", "Lines"],
            l.query()
                .pick_lists(false)?
                .into_iter()
                .map(|p| {
                    vec![
                        p.number,
                        p.customer,
                        p.status,
                        p.progress,
                        p.lines.len().to_string(),
                    ]
                })
                .collect(),
        ),
        other => {
            return Err(crate::ledger::Error::NotFound(format!(
                "there is no list '{other}'; there are {}",
                LISTS.map(|(n, _)| n).join(", ")
            )))
        }
    })
}

/// The import kind of a list (the import page's name for it).
fn import_kind(list: &str) -> &str {
    match list {
        "pick-lists" => "picklists",
        other => other,
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct DataParams {
    what: Option<String>,
    q: Option<String>,
}

pub(super) async fn page<S: Backend>(
    State(state): State<S>,
    Extension(me): Extension<Session>,
    q: Result<Query<DataParams>, QueryRejection>,
) -> Result<Markup, Refusal> {
    let Query(q) = q.map_err(|_| Refusal::bad("the list takes what and q"))?;
    let what = q.what.unwrap_or_else(|| "items".to_string());
    let find = q.q.unwrap_or_default().trim().to_lowercase();
    let w = what.clone();
    let (header, rows) = state.ledger(move |l| table(l, &w)).await?;
    let total = rows.len();
    let shown: Vec<_> = rows
        .into_iter()
        .filter(|r| find.is_empty() || r.iter().any(|c| c.to_lowercase().contains(&find)))
        .take(MAX_ROWS)
        .collect();
    let title = LISTS
        .iter()
        .find(|(n, _)| *n == what)
        .map_or("", |(_, t)| t);
    let body = html! {
        h1 { "Master data" }
        nav.tabs {
            @for (name, t) in LISTS {
                a href=(format!("/console/data?what={name}")) class=(if name == what { "on" } else { "" }) { (t) }
            }
        }
        form.find method="get" action="/console/data" {
            input type="hidden" name="what" value=(what);
            input name="q" value=(find) placeholder=(format!("Search {}", title.to_lowercase())) aria-label="Search";
            button { "Search" }
        }
        p.muted {
            (shown.len()) " of " (total) " shown."
            @if shown.len() == MAX_ROWS { " Search to narrow the list." }
            " Changes come in by "
            a href=(format!("/console/import?kind={}", enc(import_kind(&what)))) { "import" } "."
        }
        div.scroll { table {
            tr { @for h in &header { th { (h) } } }
            @for r in &shown { tr { @for c in r { td { (c) } } } }
        } }
    };
    Ok(layout("Master data", Some(&me), body))
}
