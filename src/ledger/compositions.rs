//! Composition lists: what one unit of an item is built from, one level deep (a component may
//! have a list of its own). Master data, imported on the back office (`import compositions`, all
//! or nothing, cycles refused) and pulled by devices, where the Assemble workflow shows them and
//! refuses a component that is not on the output's list.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use super::error::Result;
use super::query::Query;
use super::rows;
use super::sql::{args, Sql, SqlExt};

/// One component of a list: how many units of it one unit of the output takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompositionLine {
    pub component: String,
    pub qty_per_unit: i64,
}

/// An item's composition list, components by SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Composition {
    pub output: String,
    pub components: Vec<CompositionLine>,
}

impl Composition {
    /// How many of `component` building `units` of the output takes (None: not on the list).
    pub fn needs(&self, component: &str, units: i64) -> Option<i64> {
        self.components
            .iter()
            .find(|c| c.component == component)
            .map(|c| c.qty_per_unit.saturating_mul(units))
    }
}

/// Replaces `output`'s list with `lines` (item ids and quantities per unit), inside the caller's
/// transaction. An empty `lines` removes the list.
pub(crate) fn set_list(tx: &dyn Sql, output: i64, lines: &[(i64, i64)]) -> Result<()> {
    tx.run(
        "DELETE FROM compositions WHERE output_id = ?",
        args![output],
    )?;
    for (component, qty) in lines {
        tx.run(
            "INSERT INTO compositions (output_id, component_id, qty_per_unit) VALUES (?, ?, ?)",
            args![output, component, qty],
        )?;
    }
    Ok(())
}

/// A device's copy of the lists, replaced by the server's.
pub(crate) fn replace_compositions(tx: &dyn Sql, lists: &[Composition]) -> Result<()> {
    tx.run("DELETE FROM compositions", args![])?;
    for list in lists {
        let output = rows::require_item(tx, &list.output)?.id;
        let mut lines = Vec::new();
        for c in &list.components {
            lines.push((rows::require_item(tx, &c.component)?.id, c.qty_per_unit));
        }
        set_list(tx, output, &lines)?;
    }
    Ok(())
}

/// A cycle among the lists as they stand in `tx` (A is built from B, which is built from A), as
/// the SKUs along it with the first repeated at the end; None when there is none.
pub(crate) fn find_cycle(tx: &dyn Sql) -> Result<Option<Vec<String>>> {
    let edges: Vec<(String, String)> = tx.all(
        "SELECT o.sku, i.sku FROM compositions c
         JOIN items o ON o.id = c.output_id JOIN items i ON i.id = c.component_id
         ORDER BY o.sku, i.sku",
        args![],
    )?;
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (o, c) in edges {
        graph.entry(o).or_default().push(c);
    }
    // Depth-first, iteratively: 1 = on the current path, 2 = finished.
    let mut state: HashMap<&str, u8> = HashMap::new();
    for start in graph.keys() {
        if state.contains_key(start.as_str()) {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, 1);
        while let Some((node, next)) = path.last_mut() {
            let children = graph.get(*node).map(Vec::as_slice).unwrap_or(&[]);
            if let Some(child) = children.get(*next) {
                *next += 1;
                match state.get(child.as_str()) {
                    Some(1) => {
                        let from = path.iter().position(|(n, _)| *n == child).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            path[from..].iter().map(|(n, _)| n.to_string()).collect();
                        cycle.push(child.clone());
                        return Ok(Some(cycle));
                    }
                    Some(_) => {}
                    None => {
                        state.insert(child, 1);
                        path.push((child, 0));
                    }
                }
            } else {
                state.insert(node, 2);
                path.pop();
            }
        }
    }
    Ok(None)
}

fn lists(rows: Vec<(String, String, i64)>) -> Vec<Composition> {
    let mut out: Vec<Composition> = Vec::new();
    for (output, component, qty_per_unit) in rows {
        if out.last().map(|c| &c.output) != Some(&output) {
            out.push(Composition {
                output,
                components: vec![],
            });
        }
        if let Some(last) = out.last_mut() {
            last.components.push(CompositionLine {
                component,
                qty_per_unit,
            });
        }
    }
    out
}

const SELECT: &str = "SELECT o.sku, i.sku, c.qty_per_unit FROM compositions c
     JOIN items o ON o.id = c.output_id JOIN items i ON i.id = c.component_id";

impl Query<'_> {
    /// Every composition list, by output SKU, components by SKU.
    pub fn compositions(&self) -> Result<Vec<Composition>> {
        let rows = self
            .conn()
            .all(&format!("{SELECT} ORDER BY o.sku, i.sku"), args![])?;
        Ok(lists(rows))
    }

    /// The list of `output`, if it has one.
    pub fn composition(&self, output: &str) -> Result<Option<Composition>> {
        let rows = self.conn().all(
            &format!("{SELECT} WHERE o.sku = ? ORDER BY i.sku"),
            args![output],
        )?;
        Ok(lists(rows).pop())
    }

    /// The items whose list is exactly one unit of `component`: what a unit of it can be split
    /// into (a case of a lot into serialized units, say).
    pub fn unit_items_of(&self, component: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = self.conn().all(
            "SELECT o.sku FROM compositions c
             JOIN items o ON o.id = c.output_id JOIN items i ON i.id = c.component_id
             WHERE i.sku = ? AND c.qty_per_unit = 1
               AND (SELECT COUNT(*) FROM compositions x WHERE x.output_id = c.output_id) = 1
             ORDER BY o.sku",
            args![component],
        )?;
        Ok(rows.into_iter().map(|(sku,)| sku).collect())
    }
}

/// Why a cycle is refused: an item cannot be built from itself, through any number of lists.
pub(crate) fn cycle_message(cycle: &[String]) -> String {
    format!(
        "these composition lists go round in a circle: {}; an item cannot be built from itself",
        cycle.join(" → ")
    )
}
