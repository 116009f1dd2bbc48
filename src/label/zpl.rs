//! ZPL II from a layout. Printers draw their own symbols, so the ZPL names the data, not the
//! bars: GS1-128 as `^BC` in mode N with explicit subset invocations (`>;` start in C, `>:` in
//! B, `>5`/`>6` switch, `>8` FNC1) so every printer encodes the same symbol; GS1 DataMatrix as
//! `^BX` quality 200 with `_` as the escape character and `_1` for FNC1 (first, and as the
//! separator); text in the scalable font 0, UTF-8 (`^CI28`), with `^FH` escapes.

use super::layout::{Element, Layout, LinearData, MatrixData, CHAR_WIDTH};
use crate::scan::gs1::GS;

/// The ZPL of one label, printed `copies` times.
pub fn zpl(l: &Layout, copies: u32) -> String {
    let mut z = format!("^XA\n^CI28\n^PW{}\n^LL{}\n^LH0,0\n", l.width, l.height);
    for e in &l.elements {
        match e {
            Element::Text { x, y, h, text } => {
                let w = (*h as f32 * CHAR_WIDTH).round() as u32;
                z += &format!("^FO{x},{y}^A0N,{h},{w}^FH_^FD{}^FS\n", field_text(text));
            }
            Element::Linear {
                x,
                y,
                module,
                height,
                data,
                ..
            } => {
                let tokens: Vec<Tok> = match data {
                    LinearData::Gs1(g) => std::iter::once(Tok::Fnc1)
                        .chain(g.element_string().chars().map(|c| {
                            if c == GS {
                                Tok::Fnc1
                            } else {
                                Tok::Char(c)
                            }
                        }))
                        .collect(),
                    LinearData::Code128(s) => s.chars().map(Tok::Char).collect(),
                };
                // `^FH`: a `^` or `~` in the data (a location code may hold one) is written as
                // hex, never as a command the printer would run.
                z += &format!(
                    "^FO{x},{y}^BY{module}^BCN,{height},N,N,N,N^FH_^FD{}^FS\n",
                    field_text(&code128_invocations(&tokens))
                );
            }
            Element::Matrix {
                x,
                y,
                module,
                cells,
                data: MatrixData::Qr(_),
            } => {
                // Drawn cell by cell (runs of dark cells as boxes), so the printer prints the
                // very symbol the PNG and PDF show, whatever its own QR encoder would choose.
                for (cx, cy, run) in cells.dark_runs() {
                    let (bx, by, w) = (x + cx * module, y + cy * module, run * module);
                    z += &format!("^FO{bx},{by}^GB{w},{module},{}^FS\n", module.min(&w));
                }
            }
            Element::Matrix {
                x,
                y,
                module,
                cells,
                data: MatrixData::Gs1(data),
            } => {
                let mut fd = String::from("_1");
                for c in data.element_string().chars() {
                    match c {
                        GS => fd.push_str("_1"),
                        '_' => fd.push_str("__"),
                        c => fd.push(c),
                    }
                }
                z += &format!(
                    "^FO{x},{y}^BXN,{module},200,{},{},6,_,1^FD{fd}^FS\n",
                    cells.w, cells.h
                );
            }
            Element::Rule { x, y, w, h } => {
                z += &format!("^FO{x},{y}^GB{w},{h},{}^FS\n", h.min(w));
            }
        }
    }
    z += &format!("^PQ{}\n^XZ\n", copies.max(1));
    z
}

/// Text for `^FH_^FD`: the characters ZPL would take as commands, and the escape itself, as hex.
fn field_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '^' | '~' | '_' => out += &format!("_{:02X}", c as u32),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Fnc1,
    Char(char),
}

/// Code 128 data for `^BC` mode N: subset C for runs of four digits or more (in pairs), subset B
/// for the rest, FNC1 as `>8`, a literal `>` as `><`.
fn code128_invocations(t: &[Tok]) -> String {
    let digits_from = |i: usize| {
        t[i..]
            .iter()
            .take_while(|k| matches!(k, Tok::Char(c) if c.is_ascii_digit()))
            .count()
    };
    let first = t.iter().position(|k| *k != Tok::Fnc1).unwrap_or(t.len());
    let d0 = if first < t.len() {
        digits_from(first)
    } else {
        0
    };
    let mut in_c = d0 >= 4 || (d0 >= 2 && d0 % 2 == 0 && first + d0 == t.len());
    let mut out = String::from(if in_c { ">;" } else { ">:" });
    let mut i = 0;
    while i < t.len() {
        match t[i] {
            Tok::Fnc1 => {
                out += ">8";
                i += 1;
            }
            Tok::Char(c) if in_c => {
                if digits_from(i) >= 2 {
                    out.push(c);
                    if let Tok::Char(d) = t[i + 1] {
                        out.push(d);
                    }
                    i += 2;
                } else {
                    out += ">6";
                    in_c = false;
                }
            }
            Tok::Char(c) => {
                let d = digits_from(i);
                if d >= 4 && d % 2 == 0 {
                    out += ">5";
                    in_c = true;
                    continue;
                }
                if c == '>' {
                    out += "><";
                } else {
                    out.push(c);
                }
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        s.chars()
            .map(|c| if c == '|' { Tok::Fnc1 } else { Tok::Char(c) })
            .collect()
    }

    #[test]
    fn gs1_data_starts_in_c_with_fnc1_and_switches_for_letters() {
        assert_eq!(
            code128_invocations(&toks("|010950600013435217271031|10L2307")),
            ">;>8010950600013435217271031>810>6L>52307"
        );
        // An odd digit before letters stays in B; a long even run goes to C.
        assert_eq!(code128_invocations(&toks("A-1-0001")), ">:A-1->50001");
        assert_eq!(code128_invocations(&toks("A>B")), ">:A><B");
    }

    #[test]
    fn barcode_data_that_looks_like_zpl_is_escaped() {
        let l = crate::label::layout(
            &crate::label::LabelData::Location(crate::label::LocationData {
                code: "A^FS^XZ~JA_1".into(),
                name: String::new(),
            }),
            crate::label::LabelSize::L4x2,
            crate::label::Dpi::D203,
        )
        .unwrap();
        let z = zpl(&l, 1);
        let fd = z.lines().find(|l| l.contains("^BC")).unwrap();
        assert!(fd.ends_with("^FH_^FD>:A_5EFS_5EXZ_7EJA_5F1^FS"), "{fd}");
        assert_eq!(z.matches("^XZ").count(), 1, "{z}");
    }

    #[test]
    fn text_that_looks_like_zpl_is_escaped() {
        assert_eq!(field_text("a^b~c_d"), "a_5Eb_7Ec_5Fd");
    }
}
