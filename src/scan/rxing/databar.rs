//! Our own GS1 DataBar Expanded reader (ISO/IEC 24724), for the symbols rxing's loses: its field
//! decoder goes astray after an FNC1 in alphanumeric data (see [`super::databar_bits`]), so a
//! correctly made symbol with a lot or serial number ending in letters reads as nothing.
//!
//! Each row of pixels is cut into runs at an interpolated threshold, finder patterns are matched
//! in the runs (both ways round, for stacked rows printed right to left), and the data
//! characters beside them are measured against the finder's module. A row gives a chain of
//! pairs; the chains seen on at least two rows are put together, top to bottom, into the finder
//! sequence the standard allows for their length, and only a chain that passes the mod-211
//! checksum and the encodation rules becomes a result.

use rxing::oned::rss::rss_utils::getRSSvalue;
use rxing::{BarcodeFormat, Point, RXingResult};

use super::aim::identified;
use super::databar_bits::element_string;

/// Finder patterns A to F: the widths of elements 1 to 5 in modules, as they read in a pair whose
/// finder reads forwards (element 1 light, beside the pair's left character).
const FINDERS: [[f32; 5]; 6] = [
    [1.0, 8.0, 4.0, 1.0, 1.0],
    [3.0, 6.0, 4.0, 1.0, 1.0],
    [3.0, 4.0, 6.0, 1.0, 1.0],
    [3.0, 2.0, 8.0, 1.0, 1.0],
    [2.0, 6.0, 5.0, 1.0, 1.0],
    [2.0, 2.0, 9.0, 1.0, 1.0],
];

/// The finder patterns of a symbol of 2 to 11 pairs, in order (A = 0 ... F = 5).
const SEQUENCES: [&[u8]; 10] = [
    &[0, 0],
    &[0, 1, 1],
    &[0, 2, 1, 3],
    &[0, 4, 1, 3, 2],
    &[0, 4, 1, 3, 3, 5],
    &[0, 4, 1, 3, 4, 5, 5],
    &[0, 0, 1, 1, 2, 2, 3, 3],
    &[0, 0, 1, 1, 2, 2, 3, 4, 4],
    &[0, 0, 1, 1, 2, 2, 3, 4, 5, 5],
    &[0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5],
];

/// Data character groups by the sum of the odd elements (12, 10, 8, 6, 4): the widest odd
/// element, the number of even combinations and the value the group starts at.
const ODD_WIDEST: [u32; 5] = [7, 5, 4, 3, 1];
const EVEN_TOTAL: [u32; 5] = [4, 20, 52, 104, 204];
const GROUP_START: [u32; 5] = [0, 348, 1388, 2948, 3988];

/// Rows looked along: every row of a picture up to this height, this many spread over a taller
/// one.
const MAX_LINES: u32 = 300;

/// Runs of light and dark along one line: widths, where each starts, and whether the first is
/// dark. Edges sit where the samples cross the midpoint of the line's darkest and lightest.
struct Runs {
    width: Vec<f32>,
    start: Vec<f32>,
    first_dark: bool,
}

/// The lines a reader looks along: each row of the picture (or `MAX_LINES` of them spread over a
/// taller one) with its runs, read from the left and from the right (`true`).
fn lines(luma: &[u8], w: u32, h: u32) -> impl Iterator<Item = (u32, bool, Runs)> + '_ {
    let step = (h / MAX_LINES).max(1) as usize;
    (0..h).step_by(step).flat_map(move |y| {
        let row = &luma[y as usize * w as usize..][..w as usize];
        Runs::of(row)
            .map(|r| {
                let back = r.reversed(w as f32);
                [(y, false, r), (y, true, back)]
            })
            .into_iter()
            .flatten()
    })
}

impl Runs {
    fn of(px: &[u8]) -> Option<Runs> {
        let (lo, hi) = px
            .iter()
            .fold((255u8, 0u8), |(lo, hi), &p| (lo.min(p), hi.max(p)));
        if hi.saturating_sub(lo) < 40 {
            return None;
        }
        let t = (f32::from(lo) + f32::from(hi)) / 2.0;
        let mut edges = vec![0.0];
        for (i, w) in px.windows(2).enumerate() {
            let (a, b) = (f32::from(w[0]), f32::from(w[1]));
            if (a < t) != (b < t) {
                edges.push(i as f32 + 0.5 + (t - a) / (b - a));
            }
        }
        edges.push(px.len() as f32);
        Some(Runs {
            width: edges.windows(2).map(|e| e[1] - e[0]).collect(),
            start: edges[..edges.len() - 1].to_vec(),
            first_dark: f32::from(px[0]) < t,
        })
    }

    /// The same line read from its other end (`len` pixels long).
    fn reversed(&self, len: f32) -> Runs {
        let n = self.width.len();
        Runs {
            width: self.width.iter().rev().copied().collect(),
            start: (0..n)
                .rev()
                .map(|i| len - self.start[i] - self.width[i])
                .collect(),
            first_dark: (n % 2 == 1) == self.first_dark,
        }
    }

    fn dark(&self, i: usize) -> bool {
        (i % 2 == 0) == self.first_dark
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
struct Char {
    value: u32,
    checksum: u32,
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Pair {
    finder: u8,
    /// The finder reads forwards: pairs 1, 3, 5 ... of the symbol (counting from 1).
    forward: bool,
    left: Char,
    right: Option<Char>,
}

/// The pairs one row holds, and where along the row they start and end.
struct Chain {
    pairs: Vec<Pair>,
    from: f32,
    to: f32,
}

/// The finder pattern whose five runs start at `k`: its letter, which way it reads, its module
/// and how much wider than drawn its bars came out (see [`finder_match`]).
fn finder_at(r: &Runs, k: usize) -> Option<(u8, bool, Look)> {
    // Element 1 is light when the pattern reads forwards, dark when backwards.
    let forward = !r.dark(k);
    let (value, look) = finder_match(r, k, !forward, &FINDERS)?;
    Some((value as u8, forward, look))
}

/// How a finder pattern came out on the line: its module, and by how many pixels its bars are
/// wider (and its spaces narrower) than drawn. Ink spread, blur and the threshold widen or
/// narrow every bar alike; the characters beside the finder are measured with it taken off.
#[derive(Clone, Copy, Debug)]
struct Look {
    module: f32,
    gain: f32,
}

/// Which of `table`'s finder patterns the five runs from `k` are (read backwards when
/// `backwards`), and how it came out. The pattern is matched edge to edge first (a bar and the
/// space beside it together, which bar gain leaves alone), then element by element with the
/// gain taken off: each within half a module.
fn finder_match(r: &Runs, k: usize, backwards: bool, table: &[[f32; 5]]) -> Option<(usize, Look)> {
    let runs = r.width.get(k..k + 5)?;
    let mut e = [0.0f32; 5];
    let mut sign = [0.0f32; 5];
    for (i, w) in runs.iter().enumerate() {
        let at = if backwards { 4 - i } else { i };
        e[at] = *w;
        sign[at] = if r.dark(k + i) { 1.0 } else { -1.0 };
    }
    let module = e.iter().sum::<f32>() / 15.0;
    table.iter().enumerate().find_map(|(value, f)| {
        let edges_match =
            (0..4).all(|i| ((e[i] + e[i + 1]) / module - f[i] - f[i + 1]).abs() < 0.5);
        if !edges_match {
            return None;
        }
        let gain = (0..5)
            .map(|i| sign[i] * (e[i] - f[i] * module))
            .sum::<f32>()
            / 5.0;
        let fits = (0..5).all(|i| ((e[i] - sign[i] * gain) / module - f[i]).abs() < 0.5);
        (fits && gain.abs() < 0.6 * module).then_some((value, Look { module, gain }))
    })
}

impl Runs {
    /// The widths of runs `from..to` with a finder's bar gain taken off; None past the line.
    fn corrected(&self, from: usize, to: usize, look: Look) -> Option<Vec<f32>> {
        let w = self.width.get(from..to)?;
        Some(
            w.iter()
                .enumerate()
                .map(|(i, x)| {
                    if self.dark(from + i) {
                        x - look.gain
                    } else {
                        x + look.gain
                    }
                })
                .collect(),
        )
    }
}

/// Whole modules for element widths: rounded, then the fewest changes of one module (at most
/// two) that give `total` modules with the odd-position elements' sum of `odd_parity` (0 even,
/// 1 odd), each element 1 to 8 modules; the least rounding error wins.
fn modules<const N: usize>(w: &[f32; N], total: u32, odd_parity: i32) -> Option<[u32; N]> {
    let scale = w.iter().sum::<f32>() / total as f32;
    let v: Vec<f32> = w.iter().map(|x| x / scale).collect();
    let base: Vec<i32> = v.iter().map(|x| x.round().clamp(1.0, 8.0) as i32).collect();
    let ok = |c: &[i32]| {
        c.iter().all(|m| (1..=8).contains(m))
            && c.iter().sum::<i32>() == total as i32
            && c.iter().step_by(2).sum::<i32>() % 2 == odd_parity
    };
    let cost = |c: &[i32]| -> f32 { c.iter().zip(&v).map(|(m, x)| (*m as f32 - x).abs()).sum() };
    let mut best: Option<(f32, Vec<i32>)> = None;
    let mut consider = |c: Vec<i32>| {
        if ok(&c) && best.as_ref().map_or(true, |(b, _)| cost(&c) < *b) {
            best = Some((cost(&c), c));
        }
    };
    consider(base.clone());
    for i in 0..N {
        for d in [-1, 1] {
            let mut c = base.clone();
            c[i] += d;
            consider(c.clone());
            for j in i + 1..N {
                for e in [-1, 1] {
                    let mut c2 = c.clone();
                    c2[j] += e;
                    consider(c2);
                }
            }
        }
    }
    let (_, c) = best?;
    let mut out = [0u32; N];
    for (o, m) in out.iter_mut().zip(c) {
        *o = m as u32;
    }
    Some(out)
}

/// The weight of element `j` of the characters in checksum row `row`: 3^(8 row + j) mod 211.
fn weight(row: u32, j: u32) -> u32 {
    WEIGHTS[(8 * row + j) as usize]
}

/// 3^i mod 211 for the 23 checksum rows of eight elements, worked out once at compile time.
const WEIGHTS: [u32; 184] = {
    let mut w = [1u32; 184];
    let mut i = 1;
    while i < 184 {
        w[i] = w[i - 1] * 3 % 211;
        i += 1;
    }
    w
};

/// A data character from its eight element widths, element 1 first (the one away from the
/// finder), beside a finder of `module`; `None` unless it is a valid character of that size.
fn data_char(w: &[f32; 8], module: f32, finder: u8, forward: bool, left: bool) -> Option<Char> {
    let size = w.iter().sum::<f32>() / 17.0;
    if !(0.75..=1.33).contains(&(size / module)) {
        return None;
    }
    let c = modules(w, 17, 0)?;
    let odd = [c[0], c[2], c[4], c[6]];
    let even = [c[1], c[3], c[5], c[7]];
    let odd_sum: u32 = odd.iter().sum();
    if !(4..=12).contains(&odd_sum) {
        return None;
    }
    let group = ((13 - odd_sum) / 2) as usize;
    let (odd_widest, even_widest) = (ODD_WIDEST[group], 9 - ODD_WIDEST[group]);
    if odd.iter().any(|&m| m > odd_widest) || even.iter().any(|&m| m > even_widest) {
        return None;
    }
    let value = getRSSvalue(&odd, odd_widest, true) * EVEN_TOTAL[group]
        + getRSSvalue(&even, even_widest, false)
        + GROUP_START[group];
    if value >= 4096 {
        return None;
    }
    // The check character (left of the first finder) carries no weight.
    let row =
        (4 * u32::from(finder) + if forward { 0 } else { 2 } + u32::from(!left)).checked_sub(1);
    let checksum = row.map_or(0, |row| {
        (0..4)
            .map(|i| odd[i] * weight(row, 2 * i as u32) + even[i] * weight(row, 2 * i as u32 + 1))
            .sum()
    });
    Some(Char { value, checksum })
}

fn eight(it: impl Iterator<Item = f32>) -> [f32; 8] {
    let mut w = [0.0; 8];
    for (o, x) in w.iter_mut().zip(it) {
        *o = x;
    }
    w
}

/// The chains of pairs along one line read one way.
fn chains(r: &Runs) -> Vec<Chain> {
    let n = r.width.len();
    let mut out = Vec::new();
    let mut used = vec![false; n];
    for k0 in 8..n.saturating_sub(4) {
        if used[k0] {
            continue;
        }
        let mut pairs: Vec<Pair> = Vec::new();
        let mut k = k0;
        while let Some((finder, forward, look)) = finder_at(r, k) {
            if pairs.last().is_some_and(|p| p.forward == forward) {
                break;
            }
            let Some(left) = r
                .corrected(k - 8, k, look)
                .and_then(|w| data_char(&eight(w.into_iter()), look.module, finder, forward, true))
            else {
                break;
            };
            let right = r.corrected(k + 5, k + 13, look).and_then(|w| {
                data_char(
                    &eight(w.into_iter().rev()),
                    look.module,
                    finder,
                    forward,
                    false,
                )
            });
            used[k] = true;
            pairs.push(Pair {
                finder,
                forward,
                left,
                right,
            });
            if right.is_none() || k + 21 + 5 > n {
                break;
            }
            k += 21;
        }
        if let Some(last) = pairs.len().checked_sub(1) {
            let end = (k + if pairs[last].right.is_some() { 13 } else { 5 }).min(n) - 1;
            out.push(Chain {
                pairs,
                from: r.start[k0 - 8],
                to: r.start[end] + r.width[end],
            });
        }
    }
    out
}

/// Whether `pairs` can begin a symbol: finders in a sequence the standard has, the first of
/// each pair reading forwards, every pair but the last with its right character.
fn is_prefix(pairs: &[Pair]) -> bool {
    pairs.len() <= 11
        && pairs
            .iter()
            .enumerate()
            .all(|(i, p)| p.forward == (i % 2 == 0) && (p.right.is_some() || i + 1 == pairs.len()))
        && SEQUENCES
            .iter()
            .any(|s| s.len() >= pairs.len() && s.iter().zip(pairs).all(|(f, p)| *f == p.finder))
}

/// The element string of a whole symbol's pairs; `None` unless the finder sequence is complete
/// and the checksum holds. A last right character that breaks the checksum may be the guard
/// misread, and the symbol is tried without it.
fn symbol(pairs: &[Pair]) -> Option<String> {
    if pairs.len() < 2 || SEQUENCES[pairs.len() - 2].len() != pairs.len() || !is_prefix(pairs) {
        return None;
    }
    let last = pairs.len() - 1;
    let with_right = pairs[last].right.is_some();
    for keep_last_right in [true, false] {
        if !keep_last_right && !with_right {
            break;
        }
        let mut chars: Vec<Char> = Vec::new();
        for (i, p) in pairs.iter().enumerate() {
            chars.push(p.left);
            if i < last || keep_last_right {
                chars.extend(p.right);
            }
        }
        let (check, data) = chars.split_first()?;
        let s = chars.len() as u32;
        let sum = data.iter().map(|c| c.checksum).sum::<u32>() % 211;
        if s < 4 || check.value != 211 * (s - 4) + sum {
            continue;
        }
        let bits: Vec<bool> = data
            .iter()
            .flat_map(|c| (0..12).rev().map(move |b| c.value >> b & 1 == 1))
            .collect();
        if let Some(es) = element_string(&bits) {
            return Some(es);
        }
    }
    None
}

/// Something a reader saw along one or more lines: the first and last line, on how many, and
/// where along the line it starts and ends (in the picture's own coordinates).
struct Sighting<T> {
    what: T,
    top: u32,
    bottom: u32,
    lines: u32,
    from: f32,
    to: f32,
}

impl<T> Sighting<T> {
    /// Counts `what`, seen on line `y` from `from` to `to`, into `seen`: one more line for the
    /// first sighting that is `same`, else a new one.
    fn tally(
        seen: &mut Vec<Sighting<T>>,
        what: T,
        y: u32,
        (from, to): (f32, f32),
        same: impl Fn(&Sighting<T>) -> bool,
    ) {
        match seen.iter_mut().find(|s| same(s)) {
            Some(s) => {
                s.bottom = y;
                s.lines += 1;
            }
            None => seen.push(Sighting {
                what,
                top: y,
                bottom: y,
                lines: 1,
                from,
                to,
            }),
        }
    }

    /// The corners of what was seen from `self` down to `last`: top left, top right, bottom
    /// right, bottom left.
    fn corners(&self, last: &Sighting<T>) -> Vec<Point> {
        vec![
            Point::new(self.from, self.top as f32),
            Point::new(self.to, self.top as f32),
            Point::new(last.to, last.bottom as f32),
            Point::new(last.from, last.bottom as f32),
        ]
    }
}

/// `from..to` along a line read one way, in the picture's own coordinates.
fn span(from: f32, to: f32, reversed: bool, w: u32) -> (f32, f32) {
    if reversed {
        (w as f32 - to, w as f32 - from)
    } else {
        (from, to)
    }
}

/// A result of ours with the identifier rxing's DataBar readers give.
fn result(text: &str, points: Vec<Point>, format: BarcodeFormat) -> RXingResult {
    identified(RXingResult::new(text, Vec::new(), points, format), "]e0")
}

/// Every DataBar Expanded symbol (plain or stacked) found along the rows of a luma picture.
pub(super) fn read(luma: &[u8], w: u32, h: u32) -> Vec<RXingResult> {
    if w < 30 || h == 0 {
        return vec![];
    }
    let mut seen: Vec<Sighting<Vec<Pair>>> = Vec::new();
    for (y, reversed, r) in lines(luma, w, h) {
        for c in chains(&r) {
            let at = span(c.from, c.to, reversed, w);
            Sighting::tally(&mut seen, c.pairs.clone(), y, at, |s| s.what == c.pairs);
        }
    }
    // A row must be seen on two lines: one line can cross a crease or a stray mark.
    seen.retain(|s| s.lines >= 2 || h < 3);
    seen.sort_by_key(|s| s.top);
    seen.truncate(64);
    let rows_seen: Vec<&[Pair]> = seen.iter().map(|s| &s.what[..]).collect();
    let mut out = Vec::new();
    let mut taken: Vec<String> = Vec::new();
    let mut steps = 10_000;
    for first in 0..seen.len() {
        let mut rows = vec![first];
        let Some(hri) = assemble(&rows_seen, &mut rows, &mut steps)
            .and_then(|es| crate::scan::gs1::element_string_to_hri(&es))
        else {
            continue;
        };
        if taken.contains(&hri) {
            continue;
        }
        taken.push(hri.clone());
        let last = &seen[*rows.last().unwrap_or(&first)];
        let corners = seen[first].corners(last);
        out.push(result(&hri, corners, BarcodeFormat::RSS_EXPANDED));
    }
    out
}

/// Rows (indices into `rows_seen`, top to bottom) that together make a whole symbol, starting
/// from those in `rows`; the symbol's element string. Depth-first over the rows below the last.
/// `steps` bounds the search: rows misread many ways over could otherwise multiply it.
fn assemble(rows_seen: &[&[Pair]], rows: &mut Vec<usize>, steps: &mut u32) -> Option<String> {
    *steps = steps.checked_sub(1)?;
    let pairs: Vec<Pair> = rows.iter().flat_map(|&i| rows_seen[i].to_vec()).collect();
    if !is_prefix(&pairs) {
        return None;
    }
    if let Some(text) = symbol(&pairs) {
        return Some(text);
    }
    let after = *rows.last()?;
    for next in after + 1..rows_seen.len() {
        let mut more = pairs.clone();
        more.extend_from_slice(rows_seen[next]);
        if is_prefix(&more) {
            rows.push(next);
            if let Some(text) = assemble(rows_seen, rows, steps) {
                return Some(text);
            }
            rows.pop();
        }
    }
    None
}

/// DataBar (omnidirectional, truncated and stacked) finder patterns 0 to 8: elements 1 to 5 in
/// modules, element 1 beside the outer character.
const OMNI_FINDERS: [[f32; 5]; 9] = [
    [3.0, 8.0, 2.0, 1.0, 1.0],
    [3.0, 5.0, 5.0, 1.0, 1.0],
    [3.0, 3.0, 7.0, 1.0, 1.0],
    [3.0, 1.0, 9.0, 1.0, 1.0],
    [2.0, 7.0, 4.0, 1.0, 1.0],
    [2.0, 5.0, 6.0, 1.0, 1.0],
    [2.0, 3.0, 8.0, 1.0, 1.0],
    [1.0, 5.0, 7.0, 1.0, 1.0],
    [1.0, 3.0, 9.0, 1.0, 1.0],
];

/// Outer characters (16 modules) by the sum of the odd elements (12 down to 4): the widest odd
/// element, the number of even combinations, the value the group starts at.
const OUTER_ODD_WIDEST: [u32; 5] = [8, 6, 4, 3, 1];
const OUTER_EVEN_TOTAL: [u32; 5] = [1, 10, 34, 70, 126];
const OUTER_START: [u32; 5] = [0, 161, 961, 2015, 2715];
/// Inner characters (15 modules) by the sum of the even elements (10 down to 4): the widest odd
/// element, the number of odd combinations, the value the group starts at.
const INNER_ODD_WIDEST: [u32; 4] = [2, 4, 6, 8];
const INNER_ODD_TOTAL: [u32; 4] = [4, 20, 48, 81];
const INNER_START: [u32; 4] = [0, 336, 1036, 1516];

/// Half a DataBar symbol: an outer character, a finder and an inner character.
#[derive(Clone, Copy, PartialEq, Debug)]
struct Half {
    /// outer * 1597 + inner.
    value: u32,
    /// The half's part of the mod-79 checksum.
    checksum: u32,
    finder: u8,
}

/// An outer (16 modules) or inner (15 modules) character: its value and checksum part.
fn omni_char(w: &[f32; 8], module: f32, outer: bool) -> Option<(u32, u32)> {
    let total = if outer { 16 } else { 15 };
    let size = w.iter().sum::<f32>() / total as f32;
    if !(0.75..=1.33).contains(&(size / module)) {
        return None;
    }
    let c = modules(w, total, if outer { 0 } else { 1 })?;
    let odd = [c[0], c[2], c[4], c[6]];
    let even = [c[1], c[3], c[5], c[7]];
    let base9 = |x: &[u32; 4]| x.iter().rev().fold(0, |v, &m| v * 9 + m);
    let checksum = base9(&odd) + 3 * base9(&even);
    let (odd_sum, even_sum) = (odd.iter().sum::<u32>(), even.iter().sum::<u32>());
    let fits =
        |widest: u32| odd.iter().all(|&m| m <= widest) && even.iter().all(|&m| m <= 9 - widest);
    let value = if outer {
        if odd_sum % 2 != 0 || !(4..=12).contains(&odd_sum) {
            return None;
        }
        let g = ((12 - odd_sum) / 2) as usize;
        let ow = OUTER_ODD_WIDEST[g];
        if !fits(ow) {
            return None;
        }
        getRSSvalue(&odd, ow, false) * OUTER_EVEN_TOTAL[g]
            + getRSSvalue(&even, 9 - ow, true)
            + OUTER_START[g]
    } else {
        if even_sum % 2 != 0 || !(4..=10).contains(&even_sum) {
            return None;
        }
        let g = ((10 - even_sum) / 2) as usize;
        let ow = INNER_ODD_WIDEST[g];
        if !fits(ow) {
            return None;
        }
        getRSSvalue(&even, 9 - ow, false) * INNER_ODD_TOTAL[g]
            + getRSSvalue(&odd, ow, true)
            + INNER_START[g]
    };
    Some((value, checksum))
}

/// The half whose finder's five runs start at `k`: a left half has its outer character before
/// the finder (element 1 light), a right half after it (the finder read backwards, element 1
/// dark). The outer character's elements count from the symbol's edge, the inner one's from its
/// middle.
fn half_at(r: &Runs, k: usize) -> Option<(Half, bool)> {
    let left = !r.dark(k);
    let (finder, look) = finder_match(r, k, !left, &OMNI_FINDERS)?;
    let module = look.module;
    let before = eight(r.corrected(k.checked_sub(8)?, k, look)?.into_iter());
    let after = eight(r.corrected(k + 5, k + 13, look)?.into_iter().rev());
    let (outer, inner) = if left {
        (before, after)
    } else {
        (after, before)
    };
    let (ov, oc) = omni_char(&outer, module, true)?;
    let (iv, ic) = omni_char(&inner, module, false)?;
    if ov > 3196 || iv > 1596 {
        return None;
    }
    let half = Half {
        value: 1597 * ov + iv,
        checksum: oc + 4 * ic,
        finder: finder as u8,
    };
    Some((half, left))
}

/// The GTIN-14 of a left and a right half, when the checksum holds.
fn omni_gtin(l: Half, r: Half) -> Option<String> {
    let mut target = 9 * u32::from(l.finder) + u32::from(r.finder);
    if target > 72 {
        target -= 1;
    }
    if target > 8 {
        target -= 1;
    }
    if (l.checksum + 16 * r.checksum) % 79 != target {
        return None;
    }
    let mut v = 4_537_077 * u64::from(l.value) + u64::from(r.value);
    // The 2D-component linkage flag is the top value; the linear part reads the same.
    if v >= 10_000_000_000_000 {
        v -= 10_000_000_000_000;
    }
    if v >= 10_000_000_000_000 {
        return None;
    }
    Some(gtin14(&format!("{v:013}")))
}

/// A half as seen on a line: which half, and read from which end of the line.
#[derive(Clone, Copy)]
struct SeenHalf {
    half: Half,
    left: bool,
    reversed: bool,
}

/// Every GS1 DataBar (omnidirectional or truncated in one row, or stacked in two) along the
/// rows of a luma picture, as GTIN-14 under `RSS_14`.
pub(super) fn read_omni(luma: &[u8], w: u32, h: u32) -> Vec<RXingResult> {
    if w < 30 || h == 0 {
        return vec![];
    }
    // Whole symbols on one line, and halves.
    let mut whole: Vec<Sighting<String>> = Vec::new();
    let mut halves: Vec<Sighting<SeenHalf>> = Vec::new();
    for (y, reversed, r) in lines(luma, w, h) {
        let n = r.width.len();
        let found: Vec<(usize, Half, bool)> = (8..n.saturating_sub(12))
            .filter_map(|k| half_at(&r, k).map(|(half, left)| (k, half, left)))
            .collect();
        let end = |k: usize| r.start[k] + r.width[k];
        for &(k, half, left) in &found {
            let right = found.iter().find(|(j, _, l)| *j == k + 21 && !l);
            if let Some(text) = right.filter(|_| left).and_then(|r| omni_gtin(half, r.1)) {
                let at = span(r.start[k - 8], end(k + 33), reversed, w);
                Sighting::tally(&mut whole, text.clone(), y, at, |s| s.what == text);
            }
            let at = span(r.start[k - 8], end(k + 12), reversed, w);
            let module = (at.1 - at.0) / 46.0;
            let seen = SeenHalf {
                half,
                left,
                reversed,
            };
            Sighting::tally(&mut halves, seen, y, at, |s| {
                s.what.half == half
                    && s.what.left == left
                    && s.what.reversed == reversed
                    && (s.from - at.0).abs() < 2.0 * module
            });
        }
    }
    // A symbol must be seen on two lines: one line can cross a crease or a stray mark.
    let mut out: Vec<RXingResult> = whole
        .iter()
        .filter(|s| s.lines >= 2 || h < 3)
        .map(|s| result(&s.what, s.corners(s), BarcodeFormat::RSS_14))
        .collect();
    if !out.is_empty() {
        return out;
    }
    // Stacked: a left half over a right half (under it when the picture is upside down), the
    // two rows starting at the same place, close above each other.
    halves.retain(|s| s.lines >= 2);
    for l in halves.iter().filter(|s| s.what.left) {
        let module = (l.to - l.from) / 46.0;
        for r in halves
            .iter()
            .filter(|s| !s.what.left && s.what.reversed == l.what.reversed)
        {
            let (upper, lower) = if l.what.reversed { (r, l) } else { (l, r) };
            let gap = lower.top as f32 - upper.bottom as f32;
            let aligned = if l.what.reversed {
                (l.to - r.to).abs() < 2.0 * module
            } else {
                (l.from - r.from).abs() < 2.0 * module
            };
            if !aligned || gap <= 0.0 || gap > 12.0 * module {
                continue;
            }
            if let Some(text) = omni_gtin(l.what.half, r.what.half) {
                if out.iter().all(|o| o.getText() != text) {
                    out.push(result(&text, upper.corners(lower), BarcodeFormat::RSS_14));
                }
            }
        }
    }
    out
}

/// DataBar Limited characters (26 modules, 14 elements) by the sum of the odd elements: that sum,
/// the widest odd element, the number of even combinations and the value the group starts at.
const LTD_ODD_SUM: [u32; 7] = [17, 13, 9, 15, 11, 19, 7];
const LTD_ODD_WIDEST: [u32; 7] = [6, 5, 3, 5, 4, 8, 1];
const LTD_EVEN_TOTAL: [u32; 7] = [28, 728, 6454, 203, 2408, 1, 16632];
const LTD_START: [u32; 7] = [
    0, 183_064, 820_064, 1_000_776, 1_491_021, 1_979_845, 1_996_939,
];

/// The 89 DataBar Limited check characters (ISO/IEC 24724, 18 modules), element widths from
/// the left, in the order of the check value they stand for.
const LTD_CHECK: [&str; 89] = [
    "11111111113311",
    "11111111123211",
    "11111111133111",
    "11111112113211",
    "11111112123111",
    "11111113113111",
    "11111211113211",
    "11111211123111",
    "11111212113111",
    "11111311113111",
    "11121111113211",
    "11121111123111",
    "11121112113111",
    "11121211113111",
    "11131111113111",
    "12111111113211",
    "12111111123111",
    "12111112113111",
    "12111211113111",
    "12121111113111",
    "13111111113111",
    "11111111212311",
    "11111111222211",
    "11111111232111",
    "11111112212211",
    "11111112222111",
    "11111113212111",
    "11111211212211",
    "11111211222111",
    "11111212212111",
    "11111311212111",
    "11121111212211",
    "11121111222111",
    "11121112212111",
    "11121211212111",
    "11131111212111",
    "12111111212211",
    "12111111222111",
    "12111112212111",
    "12111211212111",
    "12121111212111",
    "13111111212111",
    "11111111311311",
    "11111111321211",
    "11111112311211",
    "11121111311211",
    "12111111311211",
    "11111121112311",
    "11111121122211",
    "11111121132111",
    "11111122112211",
    "11121121112211",
    "11121121122111",
    "11121122112111",
    "11121221112111",
    "11131121112111",
    "12111121112211",
    "12111121122111",
    "12121121112111",
    "11112111112311",
    "11112111122211",
    "11112111132111",
    "11112112112211",
    "11112112122111",
    "11112211112211",
    "12112111112211",
    "12112111122111",
    "12112112112111",
    "12112211112111",
    "12122111112111",
    "13112111112111",
    "11211111112311",
    "11211111122211",
    "11211111132111",
    "11211112112211",
    "11211112122111",
    "11211113112111",
    "11211211112211",
    "11211211122111",
    "11221111112211",
    "21111111122211",
    "21111111132111",
    "21111112112211",
    "21111112122111",
    "21111113112111",
    "21111211122111",
    "21111212112111",
    "21121111122111",
    "21111111221211",
];

/// A DataBar Limited data character from its 14 elements in modules: value and checksum part.
fn limited_char(c: &[u32; 14]) -> Option<(u32, u32)> {
    let checksum = c.iter().rev().fold(0, |v, &m| v * 3 + m) % 89;
    let odd: [u32; 7] = std::array::from_fn(|i| c[2 * i]);
    let even: [u32; 7] = std::array::from_fn(|i| c[2 * i + 1]);
    let g = LTD_ODD_SUM
        .iter()
        .position(|&s| s == odd.iter().sum::<u32>())?;
    let ow = LTD_ODD_WIDEST[g];
    if odd.iter().any(|&m| m > ow) || even.iter().any(|&m| m > 9 - ow) {
        return None;
    }
    let value = getRSSvalue(&odd, ow, false) * LTD_EVEN_TOTAL[g]
        + getRSSvalue(&even, 9 - ow, true)
        + LTD_START[g];
    Some((value, checksum))
}

/// The DataBar Limited symbol whose left guard bar is run `s`: its GTIN-14 and where it starts
/// and ends along the line. Guard: a bar; then the left, check and right characters (14
/// elements each, 26, 18 and 26 modules); guard: a space and a bar; light on both sides.
fn limited_at(r: &Runs, s: usize) -> Option<(String, f32, f32)> {
    if !r.dark(s) || s == 0 {
        return None;
    }
    let runs = r.width.get(s..s + 45)?;
    // The single-module bars (the guards, the check character's last) and spaces beside them
    // give the module and the bar gain.
    let bars = (runs[0] + runs[28] + runs[44]) / 3.0;
    let spaces = (runs[27] + runs[43]) / 2.0;
    let look = Look {
        module: (bars + spaces) / 2.0,
        gain: (bars - spaces) / 2.0,
    };
    let module = runs.iter().sum::<f32>() / 73.0;
    if (look.module / module - 1.0).abs() > 0.25
        || [0, 27, 28, 43, 44].iter().any(|&i| {
            ((runs[i] - if r.dark(s + i) { look.gain } else { -look.gain }) / module - 1.0).abs()
                > 0.5
        })
    {
        return None;
    }
    // Quiet zones: a module before (the guard's space), five after, or the picture's edge.
    let quiet_after = r.width.get(s + 45).map_or(true, |w| *w >= 5.0 * module);
    if r.width[s - 1] < module || !quiet_after {
        return None;
    }
    // Each character 26, 18 and 26 modules wide, give or take one and a half, and every
    // element within half a module of the whole modules it is read as: the rounding must not
    // make a character of other bars (ITF's wide and narrow ones round to many patterns).
    let part = |from: usize, width: f32| -> Option<[f32; 14]> {
        let w = r.corrected(s + from, s + from + 14, look)?;
        if (w.iter().sum::<f32>() / module - width).abs() > 1.5 {
            return None;
        }
        Some(std::array::from_fn(|i| w[i]))
    };
    let read_as = |w: &[f32; 14], m: &[u32; 14]| {
        w.iter()
            .zip(m)
            .all(|(x, m)| (x / module - *m as f32).abs() < 0.5)
    };
    let check_widths = part(15, 18.0)?;
    let check = modules(&check_widths, 18, 1).filter(|m| read_as(&check_widths, m))?;
    let check: String = check.iter().map(|m| char::from(b'0' + *m as u8)).collect();
    let check_value = LTD_CHECK.iter().position(|c| *c == check)? as u32;
    let character = |from: usize| {
        let w = part(from, 26.0)?;
        let m = modules(&w, 26, 1).filter(|m| read_as(&w, m))?;
        limited_char(&m)
    };
    let (lv, lc) = character(1)?;
    let (rv, rc) = character(29)?;
    if (lc + 20 * rc) % 89 != check_value {
        return None;
    }
    let mut v = 2_013_571 * u64::from(lv) + u64::from(rv);
    // The 2D-component linkage flag is the top value; the linear part reads the same.
    if v >= 2_015_133_531_096 {
        v -= 2_015_133_531_096;
    }
    if v >= 2_000_000_000_000 {
        return None;
    }
    let from = r.start[s];
    let to = r.start[s + 44] + r.width[s + 44];
    Some((gtin14(&format!("{v:013}")), from, to))
}

/// Thirteen digits with their GS1 check digit.
fn gtin14(digits: &str) -> String {
    let check = crate::gtin::check_digit(digits).unwrap_or(0);
    format!("{digits}{check}")
}

/// Every DataBar Limited symbol along the rows of a luma picture (read either way round), as
/// GTIN-14 under `RSS_14`, the name lotkeeper gives every DataBar that carries a GTIN alone.
pub(super) fn read_limited(luma: &[u8], w: u32, h: u32) -> Vec<RXingResult> {
    if w < 30 || h == 0 {
        return vec![];
    }
    let mut found: Vec<Sighting<String>> = Vec::new();
    for (y, reversed, r) in lines(luma, w, h) {
        for s in 1..r.width.len() {
            if let Some((text, from, to)) = limited_at(&r, s) {
                let at = span(from, to, reversed, w);
                Sighting::tally(&mut found, text.clone(), y, at, |f| f.what == text);
            }
        }
    }
    // Seen on two lines, as every symbol read here.
    found
        .iter()
        .filter(|f| f.lines >= 2 || h < 3)
        .map(|f| result(&f.what, f.corners(f), BarcodeFormat::RSS_14))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample;
    use super::*;

    type Reader = fn(&[u8], u32, u32) -> Vec<RXingResult>;

    /// What each of our DataBar readers finds in a picture, as element strings.
    fn found(img: &image::GrayImage) -> [Vec<String>; 3] {
        let (w, h) = img.dimensions();
        let texts = |reader: Reader, gtin: bool| -> Vec<String> {
            reader(img.as_raw(), w, h)
                .iter()
                .map(|r| {
                    let t = r.getText();
                    if gtin {
                        format!("01{t}")
                    } else {
                        crate::scan::gs1::hri_to_element_string(t).unwrap_or_default()
                    }
                })
                .collect()
        };
        [
            texts(read, false),
            texts(read_omni, true),
            texts(read_limited, true),
        ]
    }

    /// Every sample in the folders whose names start with `prefix`: its path and expected
    /// text (None where there is none); empty when the samples are absent.
    fn samples(prefix: &str) -> Vec<(String, Option<String>)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/testdata/barcodes/zxing-cpp-samples");
        let Ok(dirs) = std::fs::read_dir(&root) else {
            eprintln!("skipped: {} is absent", root.display());
            return vec![];
        };
        let name = |p: &std::path::Path| {
            p.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string()
        };
        let mut out = Vec::new();
        for d in dirs.flatten().map(|e| e.path()) {
            if !name(&d).starts_with(prefix) {
                continue;
            }
            for f in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let f = f.path();
                let ext = f.extension().unwrap_or_default();
                if ["png", "jpg", "webp"].iter().any(|e| ext == *e) {
                    let want = std::fs::read_to_string(f.with_extension("txt")).ok();
                    out.push((format!("{}/{}", name(&d), name(&f)), want));
                }
            }
        }
        out.sort();
        out
    }

    /// Our own symbols (see `tests/it/fixtures/databar/README.md`).
    fn fixture(name: &str) -> image::GrayImage {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/it/fixtures/databar")
            .join(name);
        image::open(p).expect("a fixture").into_luma8()
    }

    #[test]
    fn each_reader_reads_its_own_databar_and_no_other() {
        let cases = [
            (
                "expanded.png",
                0,
                "0198898765432106310300175010ab-12X\u{1d}21z9",
            ),
            ("omni.png", 1, "0109501101530003"),
            ("limited.png", 2, "0115012345678907"),
        ];
        for (name, reader, want) in cases {
            let want = want.to_string();
            let got = found(&fixture(name));
            for (i, texts) in got.iter().enumerate() {
                if i == reader {
                    assert_eq!(texts, &vec![want.clone()], "{name}");
                } else {
                    assert!(texts.is_empty(), "{name} read by reader {i}: {texts:?}");
                }
            }
            // Upside down it reads the same.
            let mut turned = fixture(name);
            image::imageops::rotate180_in_place(&mut turned);
            assert_eq!(found(&turned)[reader], vec![want.clone()], "{name} turned");
        }
    }

    #[test]
    fn itf_never_passes_for_a_databar() {
        // ITF's wide and narrow bars round to DataBar Limited characters when each character is
        // measured on its own: a review found ITF-20 and ITF-14 symbols, stretched, blurred or
        // cut, read as Limited GTINs. Characters must fit the symbol's module as a whole.
        use crate::scan::rxing::encode::render_for_tests;
        use crate::scan::symbol::Format;
        for digits in ["20965460006801924398", "6385746828034793", "15012345678907"] {
            let (img, w, h) = render_for_tests(digits, Format::Itf, 2, 0);
            let pic = |data: Vec<u8>, w: u32, h: u32| {
                image::GrayImage::from_raw(w, h, data).expect("sized")
            };
            let plain = pic(img.clone(), w, h);
            let mut variants = vec![plain.clone()];
            for scale in [0.85f32, 1.3] {
                let sw = (w as f32 * scale) as u32;
                let stretched =
                    image::imageops::resize(&plain, sw, h, image::imageops::FilterType::Triangle);
                variants.push(image::imageops::blur(&stretched, 0.8));
            }
            for cut in [w / 5, w / 3] {
                variants.push(image::imageops::crop_imm(&plain, cut, 0, w - cut, h).to_image());
                variants.push(image::imageops::crop_imm(&plain, 0, 0, w - cut, h).to_image());
            }
            for v in &variants {
                let got: Vec<String> = found(v).into_iter().flatten().collect();
                assert!(
                    got.is_empty(),
                    "ITF {digits} {}x{}: {got:?}",
                    v.width(),
                    v.height()
                );
            }
        }
    }

    #[test]
    fn reads_what_rxing_cannot() {
        // DataBar Expanded, plain and stacked, with a lot ending in a letter before an FNC1
        // (rxing loses the thread there); DataBar Limited (rxing has no reader); a DataBar cut
        // to a strip of eight rows with thickened bars.
        let cases = [
            (
                "rssexpanded-1/10-corrected.png",
                0,
                "01988987654321061599123131030017501012A\u{1d}422123\u{1d}21123456\u{1d}423012345678901",
            ),
            ("rssexpanded-3/108-corrected.png", 0, "10123456A1234A\u{1d}15991231"),
            ("rssexpandedstacked-1/55-corrected.png", 0, "10123456A1234A\u{1d}15991231"),
            ("rss14-1/0120358468019312.webp", 1, "0120358468019312"),
            ("databarltd-1/00.png", 2, "0100000000000000"),
        ];
        for (path, reader, want) in cases {
            let Some(img) = sample(path) else {
                return;
            };
            assert_eq!(found(&img)[reader], vec![want.to_string()], "{path}");
        }
    }

    #[test]
    fn no_wrong_read_of_any_sample_and_nothing_in_the_photos() {
        // Every DataBar sample reads as its expected text or not at all (symbols from encoders
        // that add a latch after an FNC1 are rxing's to read), and no reader finds anything in
        // the barcode-free photos or in the samples of other formats.
        let mut read_right = 0;
        for (path, want) in samples("") {
            let Some(img) = sample(&path) else {
                return;
            };
            let got: Vec<String> = found(&img).into_iter().flatten().collect();
            let databar = ["rss", "databar"].iter().any(|p| path.starts_with(p));
            if !databar {
                assert!(got.is_empty(), "{path}: {got:?}");
            } else if !got.is_empty() {
                assert_eq!(Some(&got[0]), want.as_ref(), "{path}");
                assert_eq!(got.len(), 1, "{path}: {got:?}");
                read_right += 1;
            }
        }
        // Of 126 DataBar samples (115 Expanded, 11 omnidirectional, 1 Limited).
        assert!(read_right >= 120 || read_right == 0, "{read_right}");
    }
}
