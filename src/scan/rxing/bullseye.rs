//! The Aztec bullseye, found along rows and confirmed along columns, and the mode message around
//! it, checked and written again with its Reed-Solomon words. Used by `aztec.rs`.

use rxing::common::reedsolomon::{PredefinedGenericGF, ReedSolomonDecoder, ReedSolomonEncoder};
use rxing::common::BitMatrix;

/// A mode message's shape: (4-bit words, data words).
fn mode_message_shape(compact: bool) -> (usize, usize) {
    if compact {
        (7, 2)
    } else {
        (10, 4)
    }
}

/// A mode message checked and corrected by its Reed-Solomon words: the data bits and how many
/// words needed correcting.
pub(super) fn mode_message(message: u64, compact: bool) -> Option<(u32, usize)> {
    let (n, k) = mode_message_shape(compact);
    let mut words: Vec<i32> = (0..n)
        .rev()
        .map(|s| ((message >> (4 * s)) & 0xF) as i32)
        .collect();
    let rs = ReedSolomonDecoder::new(PredefinedGenericGF::AztecParam.into());
    let corrected = rs.decode(&mut words, (n - k) as i32).ok()?;
    let data = words[..k].iter().fold(0u32, |a, w| a << 4 | *w as u32);
    Some((data, corrected))
}

/// The mode message for these data bits, with its Reed-Solomon words.
pub(super) fn encode_mode_message(data: u32, compact: bool) -> Option<u64> {
    let (n, k) = mode_message_shape(compact);
    let mut words: Vec<i32> = (0..k)
        .rev()
        .map(|s| ((data >> (4 * s)) & 0xF) as i32)
        .chain(std::iter::repeat(0).take(n - k))
        .collect();
    ReedSolomonEncoder::new(PredefinedGenericGF::AztecParam.into())
        .ok()?
        .encode(&mut words, n - k)
        .ok()?;
    Some(words.iter().fold(0u64, |a, w| a << 4 | *w as u64))
}

/// Runs of one colour along a line: (dark, start, length).
fn runs(len: u32, at: impl Fn(u32) -> bool) -> Vec<(bool, u32, u32)> {
    let mut out: Vec<(bool, u32, u32)> = Vec::new();
    for i in 0..len {
        let d = at(i);
        match out.last_mut() {
            Some(last) if last.0 == d => last.2 += 1,
            _ => out.push((d, i, 1)),
        }
    }
    out
}

/// Where along a line a bullseye's centre is: alternating runs, dark at both ends (9 for a
/// compact bullseye, 13 for a full-range one), the inner ones of one module each. Returns
/// (centre, module size).
fn bullseye_on_line(runs: &[(bool, u32, u32)], compact: bool) -> Vec<(f32, f32)> {
    let n = if compact { 9 } else { 13 };
    let mut out = Vec::new();
    for w in runs.windows(n) {
        if !w[0].0 {
            continue;
        }
        let inner = &w[1..n - 1];
        let m = inner.iter().map(|r| r.2 as f32).sum::<f32>() / inner.len() as f32;
        if m < 1.0
            || inner
                .iter()
                .any(|r| (r.2 as f32) < 0.5 * m || (r.2 as f32) > 1.5 * m)
            || (w[0].2 as f32) < 0.5 * m
            || (w[n - 1].2 as f32) < 0.5 * m
        {
            continue;
        }
        let c = w[n / 2];
        out.push((c.1 as f32 + c.2 as f32 / 2.0, m));
    }
    out
}

/// Candidate bullseye centres, compact ones first: found along a row, confirmed along the
/// column through it; (x, y, module size, compact). Each row's and column's runs are found once
/// and looked at for both sizes.
pub(super) fn bullseye_centres(bits: &BitMatrix) -> Vec<(f32, f32, f32, bool)> {
    let (w, h) = (bits.getWidth(), bits.getHeight());
    let mut columns: std::collections::HashMap<u32, Vec<(bool, u32, u32)>> = Default::default();
    let mut found: [Vec<(f32, f32, f32, bool)>; 2] = Default::default();
    for y in 0..h {
        let row = runs(w, |x| bits.get(x, y));
        for (kind, compact) in [true, false].into_iter().enumerate() {
            for (cx, m) in bullseye_on_line(&row, compact) {
                let col = cx as u32;
                let column = columns
                    .entry(col)
                    .or_insert_with(|| runs(h, |yy| bits.get(col, yy)));
                for (cy, mv) in bullseye_on_line(column, compact) {
                    if (cy - y as f32).abs() > m || (mv - m).abs() > 0.5 * m {
                        continue;
                    }
                    let out = &mut found[kind];
                    if out
                        .iter()
                        .all(|o| (o.0 - cx).abs() > 2.0 * m || (o.1 - cy).abs() > 2.0 * m)
                    {
                        out.push((cx, cy, (m + mv) / 2.0, compact));
                    }
                }
            }
        }
    }
    let [compact, full] = found;
    compact.into_iter().chain(full).collect()
}
