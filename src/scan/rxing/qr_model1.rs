//! QR Code Model 1, the original QR Code (ISO/IEC 18004:2000 Annex M): versions 1 to 14, no
//! alignment patterns, codewords laid out in blocks of 2 x 4 and 4 x 2 modules rather than Model
//! 2's two-column walk. Old labels and old printers still carry it.
//!
//! rxing recognises the model from the format information and lays the modules out right, but
//! interleaves the Reed-Solomon blocks as Model 2 does. Model 1 does not: all data codewords come
//! first, block after block, then all error correction codewords, block after block. A symbol of
//! more than one block therefore fails its error correction there (qrcode-2/#940 in zxing-cpp's
//! samples). This reader finds the symbol with rxing's QR detectors, reads the modules itself and
//! hands the corrected data to rxing's bit stream decoder.

use rxing::common::reedsolomon::{PredefinedGenericGF, ReedSolomonDecoder};
use rxing::common::{BitMatrix, DetectorRXingResult};
use rxing::qrcode::common::{FormatInformation, Version};
use rxing::qrcode::cpp_port::decoder::DecodeBitStream;
use rxing::qrcode::cpp_port::detector::{
    DetectPureQR, FindFinderPatterns, GenerateFinderPatternSets, SampleQR,
};
use rxing::qrcode::cpp_port::Type;
use rxing::{BarcodeFormat, Point, RXingResult};

/// Model 1 versions: 21 to 73 modules a side.
const VERSIONS: std::ops::RangeInclusive<u32> = 1..=14;

/// The eight modules of one codeword, most significant bit first.
type Cells = [(u32, u32); 8];

/// A codeword `wide` modules wide (2 or 4) and 8 / `wide` high whose bottom right module is at
/// (x, y); its bits run right to left, then upwards.
fn block(x: u32, y: u32, wide: u32) -> Cells {
    std::array::from_fn(|b| (x - b as u32 % wide, y - b as u32 / wide))
}

/// Where a Model 1 symbol of `dim` modules a side keeps its codewords, in order. Versions 1 to
/// 12 come out at the standard's count of codewords; 13 and 14 at 2 and 1 more.
///
/// Three regions, each read from the bottom up: two columns of upright codewords (2 x 4) along
/// the right edge, the outer one giving every other place in its middle to an extension pattern;
/// bands of flat codewords (4 x 2) across the middle, stepping over the timing row, the first band
/// stopping below the top right finder and every other band but the last leaving its bottom place
/// to an extension pattern; and four columns of upright codewords between the two left finders,
/// stepping over the timing column.
fn codeword_cells(dim: u32) -> Vec<Cells> {
    let mut out = Vec::new();
    // Right edge: places of 4 rows from the bottom up to the top right finder's separator.
    let places = (dim - 8) / 4;
    for col in 0..2 {
        for i in 0..places {
            let extension = col == 0 && i % 2 == 0 && i > 0 && i + 1 < places;
            if !extension {
                out.push(block(dim - 1 - 2 * col, dim - 1 - 4 * i, 2));
            }
        }
    }
    // Middle: bands 4 modules wide, each of places 2 rows high; the last three places sit one
    // row higher, above the timing row.
    let bands = dim / 4 - 3;
    let places = dim / 2;
    for band in 0..bands {
        for i in 0..places {
            let under_finder = band == 0 && i + 4 >= places;
            let extension = i == 0 && band % 2 == 1 && band + 1 != bands;
            if under_finder || extension {
                continue;
            }
            let above_timing = u32::from(i + 3 >= places);
            out.push(block(dim - 5 - 4 * band, dim - 1 - 2 * i - above_timing, 4));
        }
    }
    // Left: four columns 2 wide (right edges at 8, 5, 3, 1: column 6 is the timing pattern),
    // between the bottom left finder's separator and the top left one's format row.
    let places = (dim - 16) / 4;
    for right in [8, 5, 3, 1] {
        for i in 0..places {
            out.push(block(right, dim - 9 - 4 * i, 2));
        }
    }
    out
}

/// Whether data mask `mask` inverts module (x, y) (ISO/IEC 18004 Table 10: i is the row, j the
/// column).
fn masked(mask: u8, x: u32, y: u32) -> bool {
    let (i, j) = (y, x);
    match mask {
        0 => (i + j) % 2 == 0,
        1 => i % 2 == 0,
        2 => j % 3 == 0,
        3 => (i + j) % 3 == 0,
        4 => (i / 2 + j / 3) % 2 == 0,
        5 => (i * j) % 2 + (i * j) % 3 == 0,
        6 => ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        _ => ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    }
}

/// The format information of a square module matrix, both copies, as rxing's decoder of it
/// expects them: the first around the top left finder, the second under the top right and beside
/// the bottom left one (with the dark module).
fn format_info(bits: &BitMatrix) -> FormatInformation {
    let dim = bits.width();
    let word = |cells: &mut dyn Iterator<Item = (u32, u32)>| {
        cells.fold(0u32, |acc, (x, y)| (acc << 1) | u32::from(bits.get(x, y)))
    };
    let first = word(
        &mut (0..6)
            .map(|x| (x, 8))
            .chain([(7, 8), (8, 8), (8, 7)])
            .chain((0..6).rev().map(|y| (8, y))),
    );
    let second = word(
        &mut (dim - 8..dim)
            .rev()
            .map(|y| (8, y))
            .chain((dim - 8..dim).map(|x| (x, 8))),
    );
    FormatInformation::DecodeQR(first, second)
}

/// The symbol in a square module matrix as a Model 1 QR Code: None unless its format information
/// names Model 1 and every block passes its error correction and the data decodes.
fn decode(bits: &BitMatrix) -> Option<rxing::common::cpp_essentials::DecoderResult<bool>> {
    let dim = bits.width();
    if bits.height() != dim || dim < 21 || (dim - 17) % 4 != 0 {
        return None;
    }
    let number = (dim - 17) / 4;
    if !VERSIONS.contains(&number) {
        return None;
    }
    let fi = format_info(bits);
    if !fi.isValid() || fi.qr_type() != Type::Model1 {
        return None;
    }
    let version = Version::Model1(number).ok()?;
    // A mirrored symbol (printed from the back of a film) is read with rows and columns swapped.
    // Some format words read the same both ways: then the error correction tells.
    let data = [fi.isMirrored, !fi.isMirrored]
        .into_iter()
        .find_map(|mirrored| corrected(bits, mirrored, &fi, version))?;
    let decoded = DecodeBitStream(&data, version, fi.error_correction_level).ok()?;
    decoded.isValid().then_some(decoded)
}

/// The number of data codewords in each block, block after block.
fn data_sizes(ec: &rxing::qrcode::common::ECBlocks) -> Vec<usize> {
    ec.getECBlocks()
        .iter()
        .flat_map(|b| (0..b.getCount()).map(|_| b.getDataCodewords() as usize))
        .collect()
}

/// The data codewords of a Model 1 symbol read in one orientation, every block corrected; None
/// when a block is beyond its error correction.
fn corrected(
    bits: &BitMatrix,
    mirrored: bool,
    fi: &FormatInformation,
    version: &Version,
) -> Option<Vec<u8>> {
    let dim = bits.width();
    let at = |x: u32, y: u32| {
        if mirrored {
            bits.get(y, x)
        } else {
            bits.get(x, y)
        }
    };
    let mut words: Vec<i32> = codeword_cells(dim)
        .iter()
        .map(|cells| {
            cells.iter().fold(0i32, |acc, &(x, y)| {
                (acc << 1) | i32::from(at(x, y) != masked(fi.data_mask, x, y))
            })
        })
        .collect();
    // A Model 1 bit stream starts with four zero bits, which the bit stream decoder skips: they
    // are taken as zero whatever the corner modules show.
    words[0] &= 0x0f;
    let ec = version.getECBlocksForLevel(fi.error_correction_level);
    let per_ec = ec.getECCodewordsPerBlock() as usize;
    let sizes = data_sizes(ec);
    let data_total: usize = sizes.iter().sum();
    // Some versions and levels leave a codeword or two beyond their blocks (version 7 at level H:
    // 3 blocks of 70 in 212); they are taken as remainder after the last block. Where that guess
    // were wrong, the error correction fails and nothing is read: never a wrong read.
    if data_total + per_ec * sizes.len() > words.len() {
        return None;
    }
    let rs = ReedSolomonDecoder::new(PredefinedGenericGF::QrCodeField256.into());
    let mut data = Vec::with_capacity(data_total);
    let mut data_at = 0;
    for (k, &size) in sizes.iter().enumerate() {
        let ec_at = data_total + k * per_ec;
        let mut block: Vec<i32> = words[data_at..data_at + size]
            .iter()
            .chain(&words[ec_at..ec_at + per_ec])
            .copied()
            .collect();
        rs.decode(&mut block, per_ec as i32).ok()?;
        data.extend(block[..size].iter().map(|&w| w as u8));
        data_at += size;
    }
    Some(data)
}

/// Model 1 QR Codes in a binarized picture: sampled through the four likeliest sets of three
/// finder patterns (rxing's ordinary search), and as a pure symbol filling the picture. A busy
/// photo gives dozens of sets, each a perspective sample and a decode; the samples read the same
/// with every set of a try-harder search as with these four.
pub(super) fn read(image: &BitMatrix) -> Vec<RXingResult> {
    let mut finders = FindFinderPatterns(image, false, 0);
    let sets = GenerateFinderPatternSets(&mut finders);
    let sampled = sets
        .iter()
        .take(4)
        .filter_map(|set| SampleQR(image, set).ok())
        .chain(DetectPureQR(image).ok());
    for symbol in sampled {
        if let Some(decoded) = decode(symbol.getBits()) {
            let corners: Vec<Point> = symbol.getPoints().to_vec();
            return vec![RXingResult::with_decoder_result(
                decoded,
                &corners,
                BarcodeFormat::QR_CODE,
            )];
        }
    }
    vec![]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rxing::common::reedsolomon::ReedSolomonEncoder;
    use rxing::qrcode::common::{ErrorCorrectionLevel, Mode};

    /// The modules no codeword may take: finders with their separators, timing patterns and
    /// both copies of the format information.
    fn function(dim: u32, x: u32, y: u32) -> bool {
        let (left, top) = (x < 8, y < 8);
        let finder = (top && (left || x + 8 >= dim)) || (left && y + 8 >= dim);
        let format = (y == 8 && (x < 9 || x + 8 >= dim)) || (x == 8 && (y < 9 || y + 8 >= dim));
        finder || format || x == 6 || y == 6
    }

    #[test]
    fn every_version_has_its_codewords_on_distinct_data_modules() {
        for number in VERSIONS {
            let dim = 17 + 4 * number;
            let cells = codeword_cells(dim);
            let version = Version::Model1(number).unwrap();
            let more = match number {
                13 => 2,
                14 => 1,
                _ => 0,
            };
            assert_eq!(
                cells.len() as u32,
                version.getTotalCodewords() + more,
                "v{number}"
            );
            let mut seen = std::collections::HashSet::new();
            for &(x, y) in cells.iter().flatten() {
                assert!(x < dim && y < dim, "v{number}: ({x},{y}) outside");
                assert!(
                    !function(dim, x, y),
                    "v{number}: ({x},{y}) is a function module"
                );
                assert!(seen.insert((x, y)), "v{number}: ({x},{y}) taken twice");
            }
        }
    }

    /// A Model 1 symbol drawn as the standard lays it out: finders, timing, format information
    /// (masked for Model 1), the bit stream in byte mode, blocks one after another with their
    /// error correction after all the data. Extension patterns are left light: the reader never
    /// looks at them.
    fn model1(text: &str, number: u32, level: ErrorCorrectionLevel, mask: u8) -> BitMatrix {
        let dim = 17 + 4 * number;
        let version = Version::Model1(number).unwrap();
        let mut m = BitMatrix::new(dim, dim).unwrap();
        for (fx, fy) in [(0, 0), (dim - 7, 0), (0, dim - 7)] {
            for y in 0..7 {
                for x in 0..7 {
                    let ring = (x as i32 - 3).abs().max((y as i32 - 3).abs());
                    if ring != 2 {
                        m.set(fx + x, fy + y);
                    }
                }
            }
        }
        for i in 8..dim - 8 {
            if i % 2 == 0 {
                m.set(i, 6);
                m.set(6, i);
            }
        }
        // Format: level bits (L 01, M 00, Q 11, H 10) and mask, BCH(15,5), Model 1's XOR mask.
        let level_bits = match level {
            ErrorCorrectionLevel::L => 1,
            ErrorCorrectionLevel::M => 0,
            ErrorCorrectionLevel::Q => 3,
            _ => 2,
        };
        let data5 = (level_bits << 3) | u32::from(mask);
        let mut rem = data5 << 10;
        for bit in (10..15).rev() {
            if rem & (1 << bit) != 0 {
                rem ^= 0x537 << (bit - 10);
            }
        }
        let fmt = ((data5 << 10) | rem) ^ 0x2825;
        let fbit = |k: u32| fmt & (1 << (14 - k)) != 0;
        let first: Vec<(u32, u32)> = (0..6)
            .map(|x| (x, 8))
            .chain([(7, 8), (8, 8), (8, 7)])
            .chain((0..6).rev().map(|y| (8, y)))
            .collect();
        let second: Vec<(u32, u32)> = (dim - 7..dim)
            .rev()
            .map(|y| (8, y))
            .chain((dim - 8..dim).map(|x| (x, 8)))
            .collect();
        for cells in [first, second] {
            for (k, (x, y)) in cells.into_iter().enumerate() {
                if fbit(k as u32) {
                    m.set(x, y);
                }
            }
        }
        m.set(8, dim - 8);
        // Bit stream: four zero bits, byte mode, count, bytes, terminator, pad.
        let ec = version.getECBlocksForLevel(level);
        let per_ec = ec.getECCodewordsPerBlock() as usize;
        let sizes = data_sizes(ec);
        let capacity: usize = sizes.iter().sum();
        let mut bits: Vec<bool> = vec![false; 4];
        let put = |v: u32, n: u32, bits: &mut Vec<bool>| {
            bits.extend((0..n).rev().map(|i| v & (1 << i) != 0));
        };
        put(4, 4, &mut bits);
        put(
            text.len() as u32,
            Mode::BYTE.CharacterCountBits(version),
            &mut bits,
        );
        for b in text.bytes() {
            put(u32::from(b), 8, &mut bits);
        }
        put(0, 4, &mut bits);
        assert!(bits.len() <= capacity * 8, "{text} does not fit v{number}");
        while bits.len() % 8 != 0 {
            bits.push(false);
        }
        let mut data: Vec<i32> = bits
            .chunks(8)
            .map(|c| c.iter().fold(0, |a, &b| (a << 1) | i32::from(b)))
            .collect();
        let mut pad = [0xec, 0x11].into_iter().cycle();
        data.resize_with(capacity, || pad.next().unwrap());
        let mut rs = ReedSolomonEncoder::new(PredefinedGenericGF::QrCodeField256.into()).unwrap();
        let mut words = data.clone();
        let mut at = 0;
        for size in sizes {
            let mut block: Vec<i32> = data[at..at + size].to_vec();
            block.resize(size + per_ec, 0);
            rs.encode(&mut block, per_ec).unwrap();
            words.extend(&block[size..]);
            at += size;
        }
        for (cells, word) in codeword_cells(dim).iter().zip(words) {
            for (b, &(x, y)) in cells.iter().enumerate() {
                if ((word >> (7 - b)) & 1 == 1) != masked(mask, x, y) {
                    m.set(x, y);
                }
            }
        }
        m
    }

    #[test]
    fn model1_symbols_of_every_version_and_level_decode() {
        use ErrorCorrectionLevel::*;
        for number in VERSIONS {
            for (k, level) in [L, M, Q, H].into_iter().enumerate() {
                let text = format!("L{number}{k}");
                let mask = ((number as usize + k) % 8) as u8;
                let m = model1(&text, number, level, mask);
                let decoded = decode(&m).unwrap_or_else(|| panic!("v{number} {level:?}"));
                assert_eq!(decoded.text(), text, "v{number} {level:?}");
                // Mirrored: rows and columns swapped.
                let dim = m.width();
                let mut t = BitMatrix::new(dim, dim).unwrap();
                for y in 0..dim {
                    for x in 0..dim {
                        if m.get(x, y) {
                            t.set(y, x);
                        }
                    }
                }
                assert_eq!(decode(&t).map(|d| d.text()), Some(text), "mirrored");
            }
        }
    }

    #[test]
    fn damaged_within_its_correction_it_decodes_beyond_it_nothing() {
        let text = "00012345678905";
        let mut m = model1(text, 4, ErrorCorrectionLevel::H, 3);
        let cells = codeword_cells(m.width());
        // Level H corrects 33 of version 4's 100 codewords (66 EC): spoil 20 data codewords.
        for cells in cells.iter().skip(5).take(20) {
            let (x, y) = cells[0];
            m.flip_coords(x, y);
        }
        assert_eq!(decode(&m).map(|d| d.text()), Some(text.to_string()));
        for cells in cells.iter().skip(25).take(40) {
            let (x, y) = cells[0];
            m.flip_coords(x, y);
        }
        assert!(decode(&m).is_none());
    }

    #[test]
    fn a_model2_symbol_is_left_to_rxing() {
        use rxing::{EncodeHints, MultiFormatWriter, Writer};
        let m = MultiFormatWriter
            .encode_with_hints(
                "LOT 42",
                &BarcodeFormat::QR_CODE,
                0,
                0,
                &EncodeHints::default(),
            )
            .unwrap();
        // Crop the writer's quiet zone (one module per pixel): the finder's corner is the first
        // dark module down the diagonal.
        let w = m.getWidth();
        let x0 = (0..w).find(|&i| m.get(i, i)).unwrap();
        let y0 = x0;
        let dim = w - 2 * x0;
        let mut bits = BitMatrix::new(dim, dim).unwrap();
        for y in 0..dim {
            for x in 0..dim {
                if m.get(x0 + x, y0 + y) {
                    bits.set(x, y);
                }
            }
        }
        assert!(decode(&bits).is_none());
    }

    /// A Model 1 symbol as a reader sees it: printed at 5 pixels a module with a quiet zone of
    /// 4 modules, grey on off-white, in a picture; the whole decoder (QR Code asked for) finds
    /// it, with its corners, and reports Model 1's symbology identifier.
    #[test]
    fn the_decoder_reads_a_printed_model1_symbol() {
        use crate::scan::frame::LumaFrame;
        use crate::scan::rxing::{Effort, RxingDecoder};
        use crate::scan::symbol::{Decoder, Format};
        let text = "(01)09506000134352(10)LOT-7";
        let m = model1(text, 6, ErrorCorrectionLevel::M, 5);
        let (px, quiet) = (5u32, 4u32);
        let side = (m.width() + 2 * quiet) * px + 30;
        let mut img = vec![235u8; (side * side) as usize];
        for y in 0..m.width() {
            for x in 0..m.width() {
                if m.get(x, y) {
                    for dy in 0..px {
                        for dx in 0..px {
                            let (ix, iy) = ((x + quiet) * px + dx + 12, (y + quiet) * px + dy + 18);
                            img[(iy * side + ix) as usize] = 40;
                        }
                    }
                }
            }
        }
        let frame = LumaFrame::new(&img, side, side, side).unwrap();
        let found = RxingDecoder::new(Effort::Thorough).decode(&frame, &[Format::QrCode]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].text, text);
        assert_eq!(found[0].symbology_id.as_deref(), Some("]Q0"));
        let left = found[0]
            .position
            .iter()
            .map(|p| p.x)
            .fold(f32::MAX, f32::min);
        assert!(
            (left - (12 + quiet * px) as f32).abs() < 2.0 * px as f32,
            "{left}"
        );
        // Not asked for, not read.
        assert!(RxingDecoder::new(Effort::Thorough)
            .decode(&frame, &[Format::DataMatrix])
            .is_empty());
    }

    /// zxing-cpp's sample qrcode-2/#940, a version 5 symbol at level H (two blocks) drawn at one
    /// pixel a module: rxing alone fails its error correction, this reader reads it. Skipped
    /// when `../shared` is absent.
    #[test]
    fn zxing_cpp_sample_940_is_read() {
        use crate::scan::frame::LumaFrame;
        use crate::scan::rxing::tests::sample;
        use crate::scan::rxing::{Effort, RxingDecoder};
        use crate::scan::symbol::{Decoder, Format};
        let Some(img) = sample("qrcode-2/#940.png") else {
            return;
        };
        let (w, h) = img.dimensions();
        let frame = LumaFrame::new(img.as_raw(), w, h, w).unwrap();
        let found = RxingDecoder::new(Effort::Thorough).decode(&frame, &[Format::QrCode]);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].text,
            "N023X-3431800-V034PG03X-3436010-A1125032918310706"
        );
    }
}
