//! The edges along a scan line, for reading linear symbols in photos.
//!
//! Blur takes a thin bar's contrast before it takes its edges: the bar may never get darker
//! than its neighbourhood's mean, so a threshold loses it, but the profile's slope still has a
//! falling extreme where it starts and a rising one where it ends. Pure: a row profile in,
//! edges out.

/// An edge along a row: where it is (in profile samples, between samples where it falls) and
/// whether the row gets darker there (a bar starts).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub at: f32,
    pub falling: bool,
}

/// The edges of a row profile (lower is darker): the extremes of its slope, alternating (a
/// stronger one of the same sense replaces a weaker), each counting only above a fifth of the
/// row's strongest slope, placed between samples by a parabola through the slope around it.
/// Empty for a row without real contrast.
pub fn edges(p: &[f32]) -> Vec<Edge> {
    let n = p.len();
    if n < 8 {
        return vec![];
    }
    let slope: Vec<f32> = (0..n)
        .map(|x| p[(x + 1).min(n - 1)] - p[x.saturating_sub(1)])
        .collect();
    let strongest = slope.iter().fold(0f32, |m, s| m.max(s.abs()));
    if strongest < 12.0 {
        return vec![];
    }
    let floor = strongest / 5.0;
    let mut out: Vec<(Edge, f32)> = Vec::new();
    for x in 1..n - 1 {
        let s = slope[x];
        if s.abs() < floor || s.abs() < slope[x - 1].abs() || s.abs() < slope[x + 1].abs() {
            continue;
        }
        let (a, b, c) = (slope[x - 1].abs(), s.abs(), slope[x + 1].abs());
        let bend = a - 2.0 * b + c;
        let offset = if bend.abs() > f32::EPSILON {
            (0.5 * (a - c) / bend).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        let edge = Edge {
            at: x as f32 + offset,
            falling: s < 0.0,
        };
        match out.last_mut() {
            Some(last) if last.0.falling == edge.falling => {
                if b > last.1 {
                    *last = (edge, b);
                }
            }
            _ => out.push((edge, b)),
        }
    }
    out.into_iter().map(|(e, _)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thin_faint_bar_between_strong_ones_keeps_both_its_edges() {
        // Light 200; two strong bars (40) and between them a thin one that only reaches 150.
        let mut p = vec![200f32; 120];
        p[20..30].fill(40.0);
        p[58..62].fill(150.0);
        p[90..100].fill(40.0);
        let e = edges(&p);
        let at: Vec<(f32, bool)> = e.iter().map(|e| (e.at, e.falling)).collect();
        assert_eq!(at.len(), 6, "{at:?}");
        for (k, (x, falling)) in [(19.5, true), (29.5, false), (57.5, true), (61.5, false)]
            .into_iter()
            .enumerate()
        {
            assert!((at[k].0 - x).abs() <= 0.5 && at[k].1 == falling, "{at:?}");
        }
        assert!(edges(&[128.0; 300]).is_empty());
    }
}
