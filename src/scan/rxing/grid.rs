//! The module grid of a symbol that fills the picture: its edges fitted to the outermost dark
//! pixels, the grid sampled through a perspective map, and moved where the alternating lines show
//! the module boundaries really are (a label bent on a curved pack).

use super::variants::MIN_SIDE;

/// A straight edge `u = slope * t + offset` through the points `at(t)` for t over the middle of
/// `len`, fitted to the outer half of them: the larger u with `outer_is_max`, else the smaller.
fn edge(len: u32, at: impl Fn(u32) -> Option<f32>, outer_is_max: bool) -> Option<(f32, f32)> {
    let pts: Vec<(f32, f32)> = (len / 10..len - len / 10)
        .filter_map(|t| at(t).map(|u| (t as f32, u)))
        .collect();
    let fit = |pts: &[(f32, f32)]| -> Option<(f32, f32)> {
        let n = pts.len() as f32;
        if n < 4.0 {
            return None;
        }
        let (st, su) = pts.iter().fold((0.0, 0.0), |(a, b), p| (a + p.0, b + p.1));
        let (mt, mu) = (st / n, su / n);
        let (mut num, mut den) = (0.0, 0.0);
        for p in pts {
            num += (p.0 - mt) * (p.1 - mu);
            den += (p.0 - mt) * (p.0 - mt);
        }
        let slope = if den > 0.0 { num / den } else { 0.0 };
        Some((slope, mu - slope * mt))
    };
    let (slope, offset) = fit(&pts)?;
    let mut outer: Vec<(f32, f32, f32)> = pts
        .iter()
        .map(|p| {
            let r = p.1 - (slope * p.0 + offset);
            (p.0, p.1, if outer_is_max { r } else { -r })
        })
        .collect();
    outer.sort_by(|a, b| b.2.total_cmp(&a.2));
    outer.truncate(outer.len() / 2);
    fit(&outer.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>())
}

/// A symbol that fills the picture: its four edges are lines fitted to the outermost dark
/// pixels (only the outer half of them: timing edges have a light module every other one),
/// their crossings its corners.
pub(super) struct Filled<'a> {
    luma: &'a [u8],
    w: u32,
    h: u32,
    /// Darker than this is dark.
    t: u16,
    pub(super) quad: rxing::common::Quadrilateral,
}

impl<'a> Filled<'a> {
    pub(super) fn find(luma: &'a [u8], w: u32, h: u32) -> Option<Filled<'a>> {
        use rxing::common::Quadrilateral;
        let (lo, hi) = luma
            .iter()
            .fold((255u8, 0u8), |(a, b), p| (a.min(*p), b.max(*p)));
        if hi < lo.saturating_add(48) || w < MIN_SIDE || h < MIN_SIDE {
            return None;
        }
        let t = (u16::from(lo) + u16::from(hi)) / 2;
        let dark = |x: u32, y: u32| u16::from(luma[(y * w + x) as usize]) < t;
        let left = edge(h, |y| (0..w).find(|&x| dark(x, y)).map(|x| x as f32), false)?;
        let right = edge(
            h,
            |y| (0..w).rev().find(|&x| dark(x, y)).map(|x| x as f32 + 1.0),
            true,
        )?;
        let top = edge(w, |x| (0..h).find(|&y| dark(x, y)).map(|y| y as f32), false)?;
        let bottom = edge(
            w,
            |x| (0..h).rev().find(|&y| dark(x, y)).map(|y| y as f32 + 1.0),
            true,
        )?;
        // x = l.0 * y + l.1 (left/right); y = t.0 * x + t.1 (top/bottom): their crossing.
        let cross = |v: (f32, f32), hz: (f32, f32)| {
            let y = (hz.0 * v.1 + hz.1) / (1.0 - hz.0 * v.0);
            rxing::point(v.0 * y + v.1, y)
        };
        let quad = Quadrilateral::new(
            cross(left, top),
            cross(right, top),
            cross(right, bottom),
            cross(left, bottom),
        );
        let [a, b, cc, d] = quad.0;
        let area = 0.5
            * ((a.x * b.y - b.x * a.y)
                + (b.x * cc.y - cc.x * b.y)
                + (cc.x * d.y - d.x * cc.y)
                + (d.x * a.y - a.x * d.y))
                .abs();
        if !area.is_finite() || area < 0.5 * (w * h) as f32 {
            return None;
        }
        Some(Filled {
            luma,
            w,
            h,
            t,
            quad,
        })
    }

    /// The n x n module grid, sampled through a perspective map: a module is dark when most of
    /// a small cross around its centre is.
    pub(super) fn grid(&self, n: u32) -> Option<Vec<Vec<bool>>> {
        self.grid_warped(n, &|u, v| (u, v))
    }

    /// The perspective map from an n x n module square onto the picture.
    fn map(&self, n: u32) -> Option<rxing::common::PerspectiveTransform> {
        use rxing::common::{PerspectiveTransform, Quadrilateral};
        PerspectiveTransform::quadrilateralToQuadrilateral(
            Quadrilateral::new(
                rxing::point(0.0, 0.0),
                rxing::point(n as f32, 0.0),
                rxing::point(n as f32, n as f32),
                rxing::point(0.0, n as f32),
            ),
            self.quad,
        )
        .ok()
    }

    fn dark_at(&self, p: rxing::Point) -> bool {
        let (x, y) = (p.x.floor(), p.y.floor());
        x >= 0.0
            && y >= 0.0
            && (x as u32) < self.w
            && (y as u32) < self.h
            && u16::from(self.luma[(y as u32 * self.w + x as u32) as usize]) < self.t
    }

    /// The grid with each point in module coordinates moved by `moved` first, for a symbol
    /// whose modules drift from where the perspective map puts them.
    fn grid_warped(
        &self,
        n: u32,
        moved: &dyn Fn(f32, f32) -> (f32, f32),
    ) -> Option<Vec<Vec<bool>>> {
        let map = self.map(n)?;
        let module = |mx: u32, my: u32| -> bool {
            let mut votes = 0;
            for (ox, oy) in [(0.5, 0.5), (0.3, 0.5), (0.7, 0.5), (0.5, 0.3), (0.5, 0.7)] {
                let (x, y) = moved(mx as f32 + ox, my as f32 + oy);
                if self.dark_at(map.transform_point(rxing::point(x, y))) {
                    votes += 1;
                }
            }
            votes >= 3
        };
        Some(
            (0..n)
                .map(|y| (0..n).map(|x| module(x, y)).collect())
                .collect(),
        )
    }

    /// Where the module boundaries really are along a timing edge: the line `fixed` (a row's
    /// y, or a column's x with `along_x` false) sampled finely across the symbol, each change
    /// of colour taken as the nearest module boundary.
    fn timing_warp(&self, n: u32, fixed: f32, along_x: bool) -> Option<Warp> {
        let map = self.map(n)?;
        const STEPS: u32 = 8;
        let mut knots = vec![(0.0, 0.0)];
        let mut last = None;
        for k in 0..n * STEPS {
            let u = (k as f32 + 0.5) / STEPS as f32;
            let (x, y) = if along_x { (u, fixed) } else { (fixed, u) };
            let d = self.dark_at(map.transform_point(rxing::point(x, y)));
            if last.is_some_and(|l| l != d) {
                let at = u - 0.5 / STEPS as f32;
                let ideal = at.round();
                if (at - ideal).abs() < 0.45
                    && ideal > knots.last().map_or(0.0, |k| k.0)
                    && ideal < n as f32
                {
                    knots.push((ideal, at));
                }
            }
            last = Some(d);
        }
        knots.push((n as f32, n as f32));
        Some(Warp { knots })
    }
}

/// A piecewise-linear move of module coordinates along one axis: knots of (where a boundary
/// should be, where it is).
struct Warp {
    knots: Vec<(f32, f32)>,
}

impl Warp {
    fn at(&self, u: f32) -> f32 {
        for k in self.knots.windows(2) {
            let ((a, fa), (b, fb)) = (k[0], k[1]);
            if u <= b {
                return fa + (u - a) * (fb - fa) / (b - a);
            }
        }
        u
    }
}

/// The grid sampled again with columns and rows moved to where the alternating lines (the
/// timing edges, and inside a symbol of several regions the regions' own) show their module
/// boundaries; between two such lines the move is interpolated, beyond them it is the nearest.
pub(super) fn warped_grid(filled: &Filled, grid: &[Vec<bool>], n: u32) -> Option<Vec<Vec<bool>>> {
    let changes = |cells: Vec<bool>| cells.windows(2).filter(|p| p[0] != p[1]).count() as f32;
    let enough = 0.8 * (n - 1) as f32;
    let rows: Vec<(f32, Warp)> = (0..n as usize)
        .filter(|&y| changes(grid[y].clone()) >= enough)
        .filter_map(|y| {
            let v = y as f32 + 0.5;
            Some((v, filled.timing_warp(n, v, true)?))
        })
        .collect();
    let cols: Vec<(f32, Warp)> = (0..n as usize)
        .filter(|&x| changes(grid.iter().map(|r| r[x]).collect()) >= enough)
        .filter_map(|x| {
            let u = x as f32 + 0.5;
            Some((u, filled.timing_warp(n, u, false)?))
        })
        .collect();
    if rows.is_empty() || cols.is_empty() {
        return None;
    }
    // A coordinate moved by the warps measured along lines at `lines`, interpolated at `across`.
    let blend = |lines: &[(f32, Warp)], along: f32, across: f32| -> f32 {
        let i = lines
            .iter()
            .position(|l| l.0 >= across)
            .unwrap_or(lines.len());
        match (i.checked_sub(1).map(|j| &lines[j]), lines.get(i)) {
            (Some(a), Some(b)) => {
                let t = (across - a.0) / (b.0 - a.0).max(f32::EPSILON);
                a.1.at(along) * (1.0 - t) + b.1.at(along) * t
            }
            (Some(a), None) => a.1.at(along),
            (None, Some(b)) => b.1.at(along),
            (None, None) => along,
        }
    };
    filled.grid_warped(n, &|u, v| (blend(&rows, u, v), blend(&cols, v, u)))
}
