//! Pictures drawn on the server as SVG: a bar chart, and the recall trace as a graph whose
//! lot nodes link to their pages. Plain markup, sized by its view box, so it scales to a tablet
//! or a desktop and needs no script.

use maud::{html, Markup};
use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use crate::ledger::trace::{BackwardNode, ForwardNode, Trace};

/// The colours drawn into the pictures themselves (the style sheet says the same), so an SVG
/// saved from a page looks the same on its own.
const ACCENT: &str = "#1f5fbf";
const WARN: &str = "#b3261e";

/// One bar: its label, its value, and whether it is a warning (drawn in the warning colour).
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub warn: bool,
}

/// Vertical bars with their values above and labels below.
pub fn bar_chart(title: &str, bars: &[Bar]) -> Markup {
    const H: i64 = 160;
    const TOP: i64 = 20;
    const BOTTOM: i64 = 30;
    let w = 56;
    let width = (bars.len() as i64 * w).max(w);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    html! {
        svg.chart viewBox=(format!("0 0 {width} {}", H + TOP + BOTTOM)) role="img" aria-label=(title) {
            title { (title) }
            @for (i, b) in bars.iter().enumerate() {
                @let x = i as i64 * w + 8;
                @let h = b.value * H / max;
                @let y = TOP + H - h;
                rect class=(if b.warn { "bar warn" } else { "bar" }) fill=(if b.warn { WARN } else { ACCENT }) x=(x) y=(y) width=(w - 16) height=(h.max(1)) {}
                text x=(x + (w - 16) / 2) y=(y - 4) text-anchor="middle" { (b.value) }
                text x=(x + (w - 16) / 2) y=(TOP + H + 18) text-anchor="middle" { (b.label) }
            }
        }
    }
}

/// A QR code's cells as an SVG picture, with its four-cell quiet zone: one path of dark runs,
/// crisp at any size.
pub fn qr(cells: &crate::label::symbols::Cells, title: &str) -> Markup {
    const QUIET: u32 = 4;
    let mut d = String::new();
    for (x, y, len) in cells.dark_runs() {
        d.push_str(&format!("M{},{}h{len}v1h-{len}z", x + QUIET, y + QUIET));
    }
    let (w, h) = (cells.w + 2 * QUIET, cells.h + 2 * QUIET);
    html! {
        svg.qr viewBox=(format!("0 0 {w} {h}")) role="img" aria-label=(title) shape-rendering="crispEdges" {
            title { (title) }
            rect width=(w) height=(h) fill="#fff" {}
            path d=(d) fill="#000" {}
        }
    }
}

/// A node of the trace graph.
struct Node {
    column: usize,
    label: String,
    detail: String,
    href: Option<String>,
}

/// The trace graph under construction: nodes by column, and edges between them, each found
/// again by a hash lookup (a trace may have thousands of customers).
#[derive(Default)]
struct Graph {
    nodes: Vec<Node>,
    edges: Vec<(usize, usize)>,
    by_label: HashMap<(usize, String), usize>,
    seen_edges: HashSet<(usize, usize)>,
}

impl Graph {
    /// The node with this column and label, made on first use.
    fn node(
        &mut self,
        column: usize,
        label: String,
        detail: String,
        href: Option<String>,
    ) -> usize {
        match self.by_label.entry((column, label)) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => {
                let label = e.key().1.clone();
                self.nodes.push(Node {
                    column,
                    label,
                    detail,
                    href,
                });
                *e.insert(self.nodes.len() - 1)
            }
        }
    }

    fn edge(&mut self, from: usize, to: usize) {
        if self.seen_edges.insert((from, to)) {
            self.edges.push((from, to));
        }
    }
}

/// The columns of the trace, left to right.
const SUPPLIERS: usize = 0;
const COMPONENTS: usize = 1;
const LOT: usize = 2;
const PRODUCTS: usize = 3;
const CUSTOMERS: usize = 4;
const COLUMN_TITLES: [&str; 5] = [
    "Suppliers",
    "Made from",
    "This lot",
    "Went into",
    "Customers",
];
/// The most nodes drawn in one column; the rest are counted in a last node.
const MAX_PER_COLUMN: usize = 40;

fn lot_label(item: &str, lot: Option<&str>, serial: Option<&str>) -> String {
    match (lot, serial) {
        (_, Some(s)) => format!("{item} #{s}"),
        (Some(l), None) => format!("{item} {l}"),
        (None, None) => item.to_string(),
    }
}

fn lot_href(item: &str, lot: Option<&str>) -> Option<String> {
    lot.map(|l| {
        format!(
            "/console/lot?item={}&lot={}",
            super::enc(item),
            super::enc(l)
        )
    })
}

fn backward(g: &mut Graph, node: &BackwardNode, at: usize, depth: usize) {
    for r in &node.received {
        let s = g.node(SUPPLIERS, r.party.clone(), String::new(), None);
        g.edge(s, at);
    }
    for link in &node.made_from {
        let n = &link.node;
        let c = g.node(
            COMPONENTS,
            lot_label(&n.item, n.lot.as_deref(), n.serial.as_deref()),
            format!("{} used", link.qty),
            lot_href(&n.item, n.lot.as_deref()),
        );
        g.edge(c, at);
        if depth < 8 {
            backward(g, n, c, depth + 1);
        }
    }
}

fn forward(g: &mut Graph, node: &ForwardNode, at: usize, depth: usize) {
    for s in &node.shipped {
        let c = g.node(CUSTOMERS, s.party.clone(), String::new(), None);
        g.edge(at, c);
    }
    for link in &node.used_in {
        let n = &link.node;
        let p = g.node(
            PRODUCTS,
            lot_label(&n.item, n.lot.as_deref(), n.serial.as_deref()),
            format!("{} made", link.qty),
            lot_href(&n.item, n.lot.as_deref()),
        );
        g.edge(at, p);
        if depth < 8 {
            forward(g, n, p, depth + 1);
        }
    }
}

/// The recall trace as a picture: suppliers and components on the left, the lot in the middle,
/// what it went into and the customers on the right. Lots link to their pages.
pub fn trace(t: &Trace) -> Markup {
    let mut g = Graph::default();
    let me = g.node(
        LOT,
        lot_label(&t.item, t.lot.as_deref(), t.serial.as_deref()),
        String::new(),
        lot_href(&t.item, t.lot.as_deref()),
    );
    backward(&mut g, &t.backward, me, 0);
    forward(&mut g, &t.forward, me, 0);

    const COL_W: i64 = 200;
    const NODE_W: i64 = 170;
    const NODE_H: i64 = 40;
    const ROW_H: i64 = 52;
    const TOP: i64 = 30;
    // Each node's place: its row in its column (the rest past the limit are left out).
    let mut rows = [0usize; 5];
    let mut place = vec![None; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        if rows[n.column] < MAX_PER_COLUMN {
            place[i] = Some(rows[n.column]);
        }
        rows[n.column] += 1;
    }
    let tallest = rows
        .iter()
        .map(|r| (*r).min(MAX_PER_COLUMN + 1))
        .max()
        .unwrap_or(1) as i64;
    let height = TOP + tallest.max(1) * ROW_H + 10;
    let width = 5 * COL_W;
    let xy = |i: usize| -> Option<(i64, i64)> {
        let row = place[i]? as i64;
        let col = g.nodes[i].column as i64;
        Some((col * COL_W + 15, TOP + row * ROW_H))
    };
    html! {
        svg.trace viewBox=(format!("0 0 {width} {height}")) role="img" aria-label="Recall trace" {
            title { "Recall trace: suppliers, the lot, what it went into, customers" }
            @for (c, name) in COLUMN_TITLES.iter().enumerate() {
                text.colhead x=(c as i64 * COL_W + 15) y="18" { (name) }
            }
            @for (a, b) in &g.edges {
                @if let (Some((x1, y1)), Some((x2, y2))) = (xy(*a), xy(*b)) {
                    @let (sx, sy, ex, ey) = (x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2);
                    path.edge fill="none" stroke="#9aa3b2" d=(format!("M{sx},{sy} C{},{sy} {},{ey} {ex},{ey}", sx + 20, ex - 20)) {}
                }
            }
            @for (i, n) in g.nodes.iter().enumerate() {
                @if let Some((x, y)) = xy(i) {
                    @let box_ = html! {
                        rect class=(if i == me { "node me" } else { "node" }) fill="#fff" stroke=(if i == me { WARN } else { ACCENT }) x=(x) y=(y) width=(NODE_W) height=(NODE_H) rx="6" {}
                        text x=(x + 8) y=(y + 17) { (clip(&n.label)) }
                        @if !n.detail.is_empty() { text.detail x=(x + 8) y=(y + 33) { (n.detail) } }
                    };
                    @if let Some(h) = &n.href { a href=(h) { (box_) } } @else { g { (box_) } }
                }
            }
            @for (c, n) in rows.iter().enumerate() {
                @if *n > MAX_PER_COLUMN {
                    text.detail x=(c as i64 * COL_W + 15) y=(TOP + MAX_PER_COLUMN as i64 * ROW_H + 14) {
                        "and " (n - MAX_PER_COLUMN) " more"
                    }
                }
            }
        }
    }
}

/// A label cut to what fits in a node.
fn clip(s: &str) -> String {
    const MAX: usize = 22;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_show_their_values() {
        let svg = bar_chart(
            "Expiry",
            &[
                Bar {
                    label: "expired".into(),
                    value: 4,
                    warn: true,
                },
                Bar {
                    label: "30 d".into(),
                    value: 2,
                    warn: false,
                },
                Bar {
                    label: "60 d".into(),
                    value: 0,
                    warn: false,
                },
            ],
        )
        .into_string();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains(r#"class="bar warn""#), "{svg}");
        assert!(
            svg.contains(">expired</text>") && svg.contains(">4</text>"),
            "{svg}"
        );
        assert!(
            svg.contains(r#"height="160""#),
            "the largest bar is full height: {svg}"
        );
        assert!(svg.contains(r#"height="80""#), "half of it: {svg}");
    }

    #[test]
    fn a_qr_code_is_its_dark_runs_inside_a_quiet_zone() {
        let cells = crate::label::symbols::Cells {
            w: 3,
            h: 2,
            dark: vec![true, true, false, false, false, true],
        };
        let svg = qr(&cells, "t").into_string();
        assert!(svg.contains(r#"viewBox="0 0 11 10""#), "{svg}");
        assert!(svg.contains(r#"d="M4,4h2v1h-2zM6,5h1v1h-1z""#), "{svg}");
        // A real one: every dark cell drawn once.
        let cells = crate::label::symbols::qr("lotkeeper://enroll?server=x&code=y").unwrap();
        let drawn: u32 = cells.dark_runs().iter().map(|r| r.2).sum();
        assert_eq!(drawn as usize, cells.dark.iter().filter(|d| **d).count());
    }

    #[test]
    fn the_graph_keeps_one_node_per_column_and_label_and_one_edge_per_pair() {
        let mut g = Graph::default();
        let me = g.node(LOT, "PARA L1".into(), String::new(), None);
        // Many customers, each shipped to twice: one node and one edge each, in first-seen order.
        for round in 0..2 {
            for n in 0..5000 {
                let c = g.node(CUSTOMERS, format!("C{n}"), String::new(), None);
                assert_eq!(c, n + 1, "round {round}");
                g.edge(me, c);
            }
        }
        let same_label_elsewhere = g.node(SUPPLIERS, "C1".into(), String::new(), None);
        assert_eq!(same_label_elsewhere, 5001);
        assert_eq!(g.nodes.len(), 5002);
        assert_eq!(g.edges.len(), 5000);
        assert_eq!(g.edges[..2], [(0, 1), (0, 2)]);
    }

    #[test]
    fn labels_are_clipped_and_escaped() {
        assert_eq!(clip("short"), "short");
        assert_eq!(clip(&"x".repeat(30)).chars().count(), 22);
        let svg = bar_chart(
            "t",
            &[Bar {
                label: "<b>".into(),
                value: 1,
                warn: false,
            }],
        )
        .into_string();
        assert!(svg.contains("&lt;b&gt;"), "{svg}");
    }
}
