//! Content checks named by the dictionary ("linters"), one [`Linter`] each. The rules follow GS1's
//! Barcode Syntax Tests (the reference linters of GS1's syntax engine); each failure says what is
//! wrong in words a worker can read. The code lists some linters need ship as data files in
//! `assets/gs1/` (see the NOTICE there): ISO 3166 numeric and alpha-2, ISO 4217 numeric, the AIDC
//! media types and GS1's package type codes.
//!
//! `gcppos1`/`gcppos2` check what GS1's engine checks without an online allocation service: that
//! the component starts (at its first or second character) with at least the four digits of the
//! shortest GS1 Company Prefix.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::NaiveDate;

/// Every linter the dictionary may name. A name outside this list stops the dictionary from
/// loading (`DictionaryError::UnknownLinter`), so no check is ever skipped silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Linter {
    Csum,
    CsumAlpha,
    GcpPos1,
    GcpPos2,
    Yymmd0,
    Yymmdd,
    Yyyymmdd,
    Hhmi,
    Hh,
    Mi,
    Ss,
    NonZero,
    Zero,
    YesNo,
    Iso3166,
    Iso3166999,
    Iso3166Alpha2,
    Iso4217,
    PcEnc,
    Hyphen,
    PieceOfTotal,
    PosInSeqSlash,
    NoZeroPrefix,
    HasNonDigit,
    Latitude,
    Longitude,
    Iso5218,
    Winding,
    Iban,
    MediaType,
    PackageType,
    ImporterIdx,
    CouponCode,
    CouponPosOffer,
}

/// Each linter with the name the dictionary uses for it.
const NAMES: [(Linter, &str); 34] = [
    (Linter::Csum, "csum"),
    (Linter::CsumAlpha, "csumalpha"),
    (Linter::GcpPos1, "gcppos1"),
    (Linter::GcpPos2, "gcppos2"),
    (Linter::Yymmd0, "yymmd0"),
    (Linter::Yymmdd, "yymmdd"),
    (Linter::Yyyymmdd, "yyyymmdd"),
    (Linter::Hhmi, "hhmi"),
    (Linter::Hh, "hh"),
    (Linter::Mi, "mi"),
    (Linter::Ss, "ss"),
    (Linter::NonZero, "nonzero"),
    (Linter::Zero, "zero"),
    (Linter::YesNo, "yesno"),
    (Linter::Iso3166, "iso3166"),
    (Linter::Iso3166999, "iso3166999"),
    (Linter::Iso3166Alpha2, "iso3166alpha2"),
    (Linter::Iso4217, "iso4217"),
    (Linter::PcEnc, "pcenc"),
    (Linter::Hyphen, "hyphen"),
    (Linter::PieceOfTotal, "pieceoftotal"),
    (Linter::PosInSeqSlash, "posinseqslash"),
    (Linter::NoZeroPrefix, "nozeroprefix"),
    (Linter::HasNonDigit, "hasnondigit"),
    (Linter::Latitude, "latitude"),
    (Linter::Longitude, "longitude"),
    (Linter::Iso5218, "iso5218"),
    (Linter::Winding, "winding"),
    (Linter::Iban, "iban"),
    (Linter::MediaType, "mediatype"),
    (Linter::PackageType, "packagetype"),
    (Linter::ImporterIdx, "importeridx"),
    (Linter::CouponCode, "couponcode"),
    (Linter::CouponPosOffer, "couponposoffer"),
];

impl Linter {
    /// The linter the dictionary names `name`, if lotkeeper knows it.
    pub fn from_name(name: &str) -> Option<Linter> {
        NAMES.iter().find(|(_, n)| *n == name).map(|(l, _)| *l)
    }

    /// Every linter lotkeeper has.
    pub fn all() -> impl Iterator<Item = Linter> {
        NAMES.iter().map(|(l, _)| *l)
    }

    /// The dictionary's name for this linter.
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(l, _)| *l == self)
            .map_or("?", |(_, n)| n)
    }
}

/// Why a value fails its linter, worded for the person holding the label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LintError {
    #[error("check digit is wrong (should be {0})")]
    CheckDigit(u8),
    #[error("check digit cannot be computed")]
    NoCheckDigit,
    #[error("check character pair is wrong (should be {0})")]
    CheckPair(String),
    #[error("check character pair must be two of 2-9 and A-Z without I and O")]
    CheckPairCharacter,
    #[error("too short to hold a check character pair")]
    CheckPairTooShort,
    #[error("too short to start with a GS1 Company Prefix")]
    GcpTooShort,
    #[error("does not start with a GS1 Company Prefix (at least 4 digits)")]
    GcpPrefix,
    #[error("month {0:02} does not exist")]
    Month(u32),
    #[error("day {day:02} does not exist in month {month:02}")]
    Day { day: u32, month: u32 },
    /// The value is not of the kind the linter names (`what`: "a time of day (HHMM)", ...).
    #[error("{value} is not {what}")]
    NotA { value: String, what: &'static str },
    /// A fixed rule about the value (`rule`: "not be zero", "be 0 or 1", ...).
    #[error("must {0}")]
    Must(&'static str),
    #[error("a % must be followed by two hex digits")]
    PercentEscape,
    #[error("piece {piece} of {total} is not possible")]
    Piece { piece: String, total: String },
    #[error("{0} out of range")]
    OutOfRange(&'static str),
    #[error("not an IBAN")]
    NotIban,
    #[error("IBAN check digits are wrong")]
    IbanCheck,
    #[error("the coupon's {0} is missing")]
    CouponMissing(&'static str),
    #[error("the coupon's {0} is cut short")]
    CouponTruncated(&'static str),
    #[error("the coupon's {0} is not valid")]
    CouponInvalid(&'static str),
    #[error("the coupon's expiration date is before its start date")]
    CouponExpiryBeforeStart,
    #[error("the coupon has data after its last field")]
    CouponExcess,
}

fn not_a(value: &str, what: &'static str) -> LintError {
    LintError::NotA {
        value: value.to_string(),
        what,
    }
}

fn digits(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

fn num(v: &str) -> u32 {
    v.parse().unwrap_or(u32::MAX)
}

fn ok_if(cond: bool, err: impl FnOnce() -> LintError) -> Result<(), LintError> {
    if cond {
        Ok(())
    } else {
        Err(err())
    }
}

/// A code list from `assets/gs1/`: one code a line, `#` starts a comment line.
fn code_list(text: &'static str) -> HashSet<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

macro_rules! list {
    ($name:ident, $file:literal) => {
        fn $name() -> &'static HashSet<&'static str> {
            static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
            LIST.get_or_init(|| code_list(include_str!(concat!("../../../assets/gs1/", $file))))
        }
    };
}

list!(iso3166_numeric, "iso3166-numeric.txt");
list!(iso3166_alpha2, "iso3166-alpha2.txt");
list!(iso4217_numeric, "iso4217-numeric.txt");
list!(media_types, "aidc-media-type.txt");
list!(package_types, "package-type.txt");

/// The four-digit year of a two-digit GS1 year, by the sliding window of the General
/// Specifications (section 7.12): up to 50 years ahead, otherwise in the past 49.
pub fn century_year(yy: u32, this_year: i32) -> i32 {
    let base = this_year - this_year.rem_euclid(100);
    let diff = yy as i32 - this_year.rem_euclid(100);
    if diff > 50 {
        base - 100 + yy as i32
    } else if diff < -49 {
        base + 100 + yy as i32
    } else {
        base + yy as i32
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    next.and_then(|d| d.pred_opt())
        .map_or(31, |d| chrono::Datelike::day(&d))
}

/// MMDD at the end of `v` (already known to be digits).
fn check_date(v: &str, year: i32, allow_day_zero: bool) -> Result<(), LintError> {
    let (m, d) = (num(&v[v.len() - 4..v.len() - 2]), num(&v[v.len() - 2..]));
    if !(1..=12).contains(&m) {
        return Err(LintError::Month(m));
    }
    if d == 0 && allow_day_zero {
        return Ok(());
    }
    if d == 0 || d > days_in_month(year, m) {
        return Err(LintError::Day { day: d, month: m });
    }
    Ok(())
}

fn yymmdd(v: &str, this_year: i32, allow_day_zero: bool) -> Result<(), LintError> {
    if v.len() != 6 || !digits(v) {
        return Err(not_a(v, "a date (YYMMDD)"));
    }
    check_date(v, century_year(num(&v[..2]), this_year), allow_day_zero)
}

/// Two digits no greater than `max`.
fn two_digits(v: &str, max: u32, what: &'static str) -> Result<(), LintError> {
    ok_if(v.len() == 2 && digits(v) && num(v) <= max, || {
        not_a(v, what)
    })
}

/// Compares two digit strings of any length as numbers (leading zeros allowed).
fn cmp_numbers(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn gcp_pos1(v: &str) -> Result<(), LintError> {
    const GCP_MIN_LENGTH: usize = 4;
    if v.len() < GCP_MIN_LENGTH {
        return Err(LintError::GcpTooShort);
    }
    ok_if(v.get(..GCP_MIN_LENGTH).is_some_and(digits), || {
        LintError::GcpPrefix
    })
}

/// CSET 82 in the order of its check character weights.
const CSET82: &[u8] =
    b"!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// CSET 32: the characters of an alphanumeric check character pair.
const CSET32: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// The first `n` primes.
fn primes(n: usize) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(n);
    let mut candidate = 2;
    while out.len() < n {
        if out
            .iter()
            .take_while(|p| *p * *p <= candidate)
            .all(|p| candidate % p != 0)
        {
            out.push(candidate);
        }
        candidate += 1;
    }
    out
}

/// GS1 General Specifications, "Check character calculation (for alphanumeric keys)": the data
/// characters' CSET 82 values weighted by the primes from the right, modulo 1021, written as two
/// CSET 32 characters.
fn csum_alpha(v: &str) -> Result<(), LintError> {
    let b = v.as_bytes();
    if b.len() < 2 {
        return Err(LintError::CheckPairTooShort);
    }
    let (data, pair) = b.split_at(b.len() - 2);
    if !pair.iter().all(|c| CSET32.contains(c)) {
        return Err(LintError::CheckPairCharacter);
    }
    let weights = primes(data.len());
    let mut sum = 0u32;
    for (c, w) in data.iter().rev().zip(&weights) {
        let value = CSET82.iter().position(|x| x == c).ok_or_else(|| {
            not_a(
                &(*c as char).escape_default().to_string(),
                "a GS1 CSET 82 character",
            )
        })?;
        sum = (sum + value as u32 * w) % 1021;
    }
    let expected = [CSET32[(sum >> 5) as usize], CSET32[(sum & 31) as usize]];
    ok_if(pair == expected, || {
        LintError::CheckPair(String::from_utf8_lossy(&expected).into_owned())
    })
}

fn iban(v: &str) -> Result<(), LintError> {
    // GS1's linter: more than 10 characters, 0-9 and A-Z only, a country code, then mod 97.
    if v.len() <= 10
        || !v
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        || !iso3166_alpha2().contains(&v[..2])
    {
        return Err(LintError::NotIban);
    }
    let (head, tail) = v.split_at(4);
    let mut rem: u32 = 0;
    for c in tail.bytes().chain(head.bytes()) {
        rem = if c.is_ascii_digit() {
            (rem * 10 + u32::from(c - b'0')) % 97
        } else {
            (rem * 100 + u32::from(c - b'A') + 10) % 97
        };
    }
    ok_if(rem == 1, || LintError::IbanCheck)
}

fn pcenc(v: &str) -> Result<(), LintError> {
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(|c| c.is_ascii_hexdigit());
            if !(hex(i + 1) && hex(i + 2)) {
                return Err(LintError::PercentEscape);
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    Ok(())
}

fn piece_of_total(v: &str) -> Result<(), LintError> {
    if v.is_empty() || v.len() % 2 != 0 || !digits(v) {
        return Err(not_a(v, "a piece number and a total of the same width"));
    }
    let (piece, total) = v.split_at(v.len() / 2);
    let zero = |s: &str| s.bytes().all(|b| b == b'0');
    ok_if(!zero(piece) && !zero(total) && piece <= total, || {
        LintError::Piece {
            piece: piece.to_string(),
            total: total.to_string(),
        }
    })
}

fn pos_in_seq_slash(v: &str) -> Result<(), LintError> {
    let Some((pos, end)) = v.split_once('/').filter(|(a, b)| digits(a) && digits(b)) else {
        return Err(not_a(v, "a position like 1/3"));
    };
    if pos.starts_with('0') || end.starts_with('0') {
        return Err(LintError::Must("have no leading zero and no zero position"));
    }
    ok_if(cmp_numbers(pos, end).is_le(), || {
        LintError::Must("not exceed the end of the sequence")
    })
}

fn lat_long(v: &str, max: u64, what: &'static str) -> Result<(), LintError> {
    if v.len() != 10 || !digits(v) {
        return Err(not_a(v, "a ten-digit coordinate"));
    }
    ok_if(v.parse::<u64>().is_ok_and(|n| n <= max), || {
        LintError::OutOfRange(what)
    })
}

/// Reads a coupon's fields left to right.
struct Fields<'a> {
    rest: &'a str,
}

impl<'a> Fields<'a> {
    fn peek(&self) -> Option<u8> {
        self.rest.bytes().next()
    }

    /// One digit, which must be in `allowed`.
    fn digit(&mut self, what: &'static str, allowed: &[u8]) -> Result<u8, LintError> {
        let d = self.peek().ok_or(LintError::CouponMissing(what))?;
        if !allowed.contains(&d) {
            return Err(LintError::CouponInvalid(what));
        }
        self.rest = &self.rest[1..];
        Ok(d - b'0')
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a str, LintError> {
        if self.rest.len() < n {
            return Err(LintError::CouponTruncated(what));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// A length digit (VLI) in `allowed`, then that many + `plus` characters, which must start
    /// with a GS1 Company Prefix when `gcp`.
    fn vli(
        &mut self,
        what: &'static str,
        allowed: &[u8],
        plus: usize,
        gcp: bool,
    ) -> Result<&'a str, LintError> {
        let n = usize::from(self.digit(what, allowed)?) + plus;
        let field = self.take(n, what)?;
        if gcp {
            gcp_pos1(field)?;
        }
        Ok(field)
    }

    fn end(&self) -> Result<(), LintError> {
        ok_if(self.rest.is_empty(), || LintError::CouponExcess)
    }
}

const D0_6: &[u8] = b"0123456";
const D1_5: &[u8] = b"12345";
const ANY: &[u8] = b"0123456789";
const REQUIREMENT_CODES: &[u8] = b"012349";

/// The coupon's purchase requirement (VLI + value), its code and its family code.
fn purchase_requirement(f: &mut Fields, which: &'static str) -> Result<(), LintError> {
    f.vli(which, D1_5, 0, false)?;
    f.digit("purchase requirement code", REQUIREMENT_CODES)?;
    f.take(3, "purchase family code")?;
    Ok(())
}

/// A further purchase's GS1 Company Prefix: a VLI of 0-6 (plus 6 digits) or 9 (none).
fn further_gcp(f: &mut Fields) -> Result<(), LintError> {
    if f.peek() == Some(b'9') {
        f.digit("purchase company prefix", b"9")?;
        return Ok(());
    }
    f.vli("purchase company prefix", D0_6, 6, true).map(|_| ())
}

/// AI (8110): the North American coupon code (GS1 US "North American Coupon Application
/// Guideline Using GS1 DataBar Expanded Symbols").
fn coupon_code(v: &str, this_year: i32) -> Result<(), LintError> {
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a(v, "all digits"));
    }
    let mut f = Fields { rest: v };
    f.vli("company prefix", D0_6, 6, true)?;
    f.take(6, "offer code")?;
    f.vli("save value", D1_5, 0, false)?;
    purchase_requirement(&mut f, "first purchase requirement")?;
    if f.peek() == Some(b'1') {
        f.digit("optional field", b"1")?;
        f.digit("additional purchase rules code", b"0123")?;
        purchase_requirement(&mut f, "second purchase requirement")?;
        further_gcp(&mut f)?;
    }
    if f.peek() == Some(b'2') {
        f.digit("optional field", b"2")?;
        purchase_requirement(&mut f, "third purchase requirement")?;
        further_gcp(&mut f)?;
    }
    let mut expiry = None;
    if f.peek() == Some(b'3') {
        f.digit("optional field", b"3")?;
        let date = f.take(6, "expiration date")?;
        yymmdd(date, this_year, false).map_err(|_| LintError::CouponInvalid("expiration date"))?;
        expiry = Some(date);
    }
    if f.peek() == Some(b'4') {
        f.digit("optional field", b"4")?;
        let start = f.take(6, "start date")?;
        yymmdd(start, this_year, false).map_err(|_| LintError::CouponInvalid("start date"))?;
        if expiry.is_some_and(|e| start > e) {
            return Err(LintError::CouponExpiryBeforeStart);
        }
    }
    if f.peek() == Some(b'5') {
        f.digit("optional field", b"5")?;
        f.vli("serial number", ANY, 6, false)?;
    }
    if f.peek() == Some(b'6') {
        f.digit("optional field", b"6")?;
        f.vli("retailer company prefix or GLN", b"1234567", 6, true)?;
    }
    if f.peek() == Some(b'9') {
        f.digit("optional field", b"9")?;
        f.digit("save value code", b"01256")?;
        f.digit("save value applies-to-item", b"012")?;
        f.digit("store coupon flag", ANY)?;
        f.digit("don't-multiply flag", b"01")?;
    }
    f.end()
}

/// AI (8112): the positive offer file coupon code (GS1 "AI (8112) Coupon Data Specification").
fn coupon_pos_offer(v: &str) -> Result<(), LintError> {
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_a(v, "all digits"));
    }
    let mut f = Fields { rest: v };
    f.digit("format code", b"01")?;
    f.vli("funder ID", D0_6, 6, false)?;
    f.take(6, "offer code")?;
    f.vli("serial number", ANY, 6, false)?;
    f.end()
}

/// Runs one linter on a component's value.
pub fn lint(linter: Linter, v: &str, this_year: i32) -> Result<(), LintError> {
    match linter {
        Linter::Csum => {
            if !digits(v) {
                return Err(LintError::NoCheckDigit);
            }
            if crate::gtin::has_valid_check_digit(v) {
                return Ok(());
            }
            Err(match crate::gtin::check_digit(&v[..v.len() - 1]) {
                Some(e) => LintError::CheckDigit(e),
                None => LintError::NoCheckDigit,
            })
        }
        Linter::CsumAlpha => csum_alpha(v),
        Linter::GcpPos1 => gcp_pos1(v),
        Linter::GcpPos2 => match v.get(1..) {
            Some(rest) if !rest.is_empty() => gcp_pos1(rest),
            _ => Err(LintError::GcpTooShort),
        },
        Linter::Yymmd0 => yymmdd(v, this_year, true),
        Linter::Yymmdd => yymmdd(v, this_year, false),
        Linter::Yyyymmdd => {
            if v.len() != 8 || !digits(v) {
                return Err(not_a(v, "a date (YYYYMMDD)"));
            }
            check_date(v, num(&v[..4]) as i32, false)
        }
        Linter::Hhmi => ok_if(
            v.len() == 4 && digits(v) && num(&v[..2]) <= 23 && num(&v[2..]) <= 59,
            || not_a(v, "a time of day (HHMM)"),
        ),
        Linter::Hh => two_digits(v, 23, "an hour (00-23)"),
        Linter::Mi => two_digits(v, 59, "a minute (00-59)"),
        Linter::Ss => two_digits(v, 59, "a second (00-59)"),
        Linter::NonZero => ok_if(digits(v) && !v.bytes().all(|b| b == b'0'), || {
            LintError::Must("be a number other than zero")
        }),
        Linter::Zero => ok_if(v == "0", || LintError::Must("be 0")),
        Linter::YesNo => ok_if(matches!(v, "0" | "1"), || LintError::Must("be 0 or 1")),
        Linter::Iso3166 => ok_if(iso3166_numeric().contains(v), || {
            not_a(v, "an ISO 3166 country code")
        }),
        Linter::Iso3166999 => ok_if(v == "999" || iso3166_numeric().contains(v), || {
            not_a(v, "an ISO 3166 country code or 999")
        }),
        Linter::Iso3166Alpha2 => ok_if(iso3166_alpha2().contains(v), || {
            not_a(v, "an ISO 3166 two-letter country code")
        }),
        Linter::Iso4217 => ok_if(iso4217_numeric().contains(v), || {
            not_a(v, "an ISO 4217 currency code")
        }),
        Linter::PcEnc => pcenc(v),
        Linter::Hyphen => ok_if(v.bytes().all(|b| b == b'-'), || LintError::Must("be '-'")),
        Linter::PieceOfTotal => piece_of_total(v),
        Linter::PosInSeqSlash => pos_in_seq_slash(v),
        Linter::NoZeroPrefix => ok_if(
            v.bytes().all(|b| b.is_ascii_digit()) && !v.starts_with('0'),
            || LintError::Must("be digits not starting with 0"),
        ),
        Linter::HasNonDigit => ok_if(!v.bytes().all(|b| b.is_ascii_digit()), || {
            LintError::Must("contain a non-digit")
        }),
        Linter::Latitude => lat_long(v, 1_800_000_000, "latitude"),
        Linter::Longitude => lat_long(v, 3_600_000_000, "longitude"),
        Linter::Iso5218 => ok_if(matches!(v, "0" | "1" | "2" | "9"), || {
            LintError::Must("be 0, 1, 2 or 9")
        }),
        Linter::Winding => ok_if(matches!(v, "0" | "1" | "9"), || {
            LintError::Must("be 0, 1 or 9")
        }),
        Linter::Iban => iban(v),
        Linter::MediaType => ok_if(media_types().contains(v), || not_a(v, "an AIDC media type")),
        Linter::PackageType => ok_if(package_types().contains(v), || {
            not_a(v, "a GS1 package type code")
        }),
        Linter::ImporterIdx => ok_if(
            v.len() == 1
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            || not_a(v, "an importer index (one of 0-9, A-Z, a-z, - and _)"),
        ),
        Linter::CouponCode => coupon_code(v, this_year),
        Linter::CouponPosOffer => coupon_pos_offer(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(l: Linter, v: &str) {
        assert_eq!(lint(l, v, 2026), Ok(()), "{} should accept {v:?}", l.name());
    }

    fn refused(l: Linter, v: &str) -> String {
        match lint(l, v, 2026) {
            Err(e) => e.to_string(),
            Ok(()) => panic!("{} should refuse {v:?}", l.name()),
        }
    }

    #[test]
    fn names_round_trip() {
        for (l, n) in NAMES {
            assert_eq!(Linter::from_name(n), Some(l));
            assert_eq!(l.name(), n);
        }
        assert_eq!(Linter::from_name("gcppos3"), None);
    }

    #[test]
    fn no_linter_panics_on_text_that_is_not_ascii() {
        let accepted: Vec<&str> = Linter::all()
            .filter(|l| lint(*l, "€1é€", 2026).is_ok())
            .map(Linter::name)
            .collect();
        assert_eq!(accepted, vec!["pcenc", "hasnondigit"]);
    }

    #[test]
    fn dates() {
        ok(Linter::Yymmd0, "251200");
        assert!(refused(Linter::Yymmdd, "251200").contains("day 00"));
        ok(Linter::Yymmdd, "240229");
        refused(Linter::Yymmdd, "250229");
        assert!(refused(Linter::Yymmdd, "251301").contains("month 13"));
        refused(Linter::Yymmdd, "25010");
        ok(Linter::Yyyymmdd, "20240229");
        refused(Linter::Yyyymmdd, "21000229");
        refused(Linter::Yyyymmdd, "2024022");
        assert_eq!(century_year(25, 2026), 2025);
        assert_eq!(century_year(76, 2026), 2076);
        assert_eq!(century_year(77, 2026), 1977);
        assert_eq!(century_year(1, 2080), 2101);
    }

    #[test]
    fn times() {
        ok(Linter::Hhmi, "2359");
        refused(Linter::Hhmi, "2360");
        refused(Linter::Hhmi, "2400");
        refused(Linter::Hhmi, "235");
        ok(Linter::Hh, "07");
        refused(Linter::Hh, "24");
        refused(Linter::Hh, "7");
        ok(Linter::Mi, "45");
        refused(Linter::Mi, "60");
        ok(Linter::Ss, "00");
        refused(Linter::Ss, "61");
    }

    #[test]
    fn check_digits() {
        ok(Linter::Csum, "09506000134352");
        assert!(refused(Linter::Csum, "09506000134353").contains("should be 2"));
    }

    #[test]
    fn alphanumeric_check_pair() {
        ok(Linter::CsumAlpha, "4006381LOTKEEPEREE");
        ok(Linter::CsumAlpha, "95060001343Wrench-78N");
        assert!(refused(Linter::CsumAlpha, "4006381LOTKEEPEREF").contains("should be EE"));
        // A pair may not use 0, 1, I or O.
        refused(Linter::CsumAlpha, "4006381LOTKEEPERE0");
        refused(Linter::CsumAlpha, "E");
    }

    #[test]
    fn company_prefix_position() {
        ok(Linter::GcpPos1, "9506ABC");
        assert!(refused(Linter::GcpPos1, "95X6ABC").contains("GS1 Company Prefix"));
        assert!(refused(Linter::GcpPos1, "950").contains("too short"));
        ok(Linter::GcpPos2, "09506");
        refused(Linter::GcpPos2, "0950X");
        refused(Linter::GcpPos2, "9");
    }

    #[test]
    fn code_lists() {
        ok(Linter::Iso3166, "276");
        refused(Linter::Iso3166, "999");
        refused(Linter::Iso3166, "277");
        ok(Linter::Iso3166999, "999");
        ok(Linter::Iso3166999, "056");
        refused(Linter::Iso3166999, "001");
        ok(Linter::Iso3166Alpha2, "NL");
        refused(Linter::Iso3166Alpha2, "UK");
        ok(Linter::Iso4217, "978");
        refused(Linter::Iso4217, "902");
        ok(Linter::MediaType, "09");
        refused(Linter::MediaType, "42");
        ok(Linter::PackageType, "PX");
        ok(Linter::PackageType, "X11");
        refused(Linter::PackageType, "PALLET");
        ok(Linter::ImporterIdx, "_");
        ok(Linter::ImporterIdx, "q");
        refused(Linter::ImporterIdx, "#");
        refused(Linter::ImporterIdx, "ab");
    }

    #[test]
    fn numbers_and_flags() {
        ok(Linter::NonZero, "0040");
        refused(Linter::NonZero, "0000");
        ok(Linter::Zero, "0");
        refused(Linter::Zero, "1");
        ok(Linter::YesNo, "1");
        refused(Linter::YesNo, "2");
        ok(Linter::NoZeroPrefix, "907");
        refused(Linter::NoZeroPrefix, "0");
        refused(Linter::NoZeroPrefix, "0907");
        ok(Linter::HasNonDigit, "12A4");
        refused(Linter::HasNonDigit, "1234");
        ok(Linter::Iso5218, "9");
        refused(Linter::Iso5218, "3");
        ok(Linter::Winding, "9");
        refused(Linter::Winding, "2");
        ok(Linter::Hyphen, "-");
        refused(Linter::Hyphen, "+");
        ok(Linter::Latitude, "1800000000");
        refused(Linter::Latitude, "1800000001");
        refused(Linter::Latitude, "180000000");
        ok(Linter::Longitude, "3600000000");
        refused(Linter::Longitude, "3600000001");
    }

    #[test]
    fn pieces_and_sequences() {
        ok(Linter::PieceOfTotal, "0307");
        refused(Linter::PieceOfTotal, "0703");
        refused(Linter::PieceOfTotal, "0007");
        refused(Linter::PieceOfTotal, "307");
        ok(Linter::PosInSeqSlash, "2/3");
        ok(Linter::PosInSeqSlash, "9/12");
        refused(Linter::PosInSeqSlash, "12/9");
        refused(Linter::PosInSeqSlash, "02/3");
        refused(Linter::PosInSeqSlash, "2-3");
    }

    #[test]
    fn percent_encoding_and_iban() {
        ok(Linter::PcEnc, "a%20b");
        refused(Linter::PcEnc, "a%2");
        refused(Linter::PcEnc, "a%zz");
        ok(Linter::Iban, "GB82WEST12345698765432");
        assert!(refused(Linter::Iban, "GB82WEST12345698765433").contains("check digits"));
        // Not a country, and too short, whatever the check digits say.
        refused(Linter::Iban, "XX82WEST12345698765432");
        refused(Linter::Iban, "GB82WEST12");
    }

    #[test]
    fn coupon_codes() {
        // GCP 9501234, offer 123450, save 150, 1st purchase 2 of code 1, family 456.
        let base = "195012341234503150121456";
        ok(Linter::CouponCode, base);
        // Expiring 2026-12-31, starting 2026-06-01.
        ok(Linter::CouponCode, &format!("{base}32612314260601"));
        assert!(
            refused(Linter::CouponCode, &format!("{base}32612314270101"))
                .contains("before its start")
        );
        assert!(refused(Linter::CouponCode, &format!("{base}7")).contains("after its last field"));
        assert!(refused(Linter::CouponCode, "195012341234503150").contains("missing"));
        assert!(refused(Linter::CouponCode, "79501234").contains("company prefix"));
        // Miscellaneous field: save value code 3 does not exist.
        assert!(refused(Linter::CouponCode, &format!("{base}93000")).contains("save value code"));
        ok(Linter::CouponCode, &format!("{base}90001"));
    }

    #[test]
    fn positive_offer_coupons() {
        // Format 1, funder 950123, offer 000777, serial 12345678.
        ok(Linter::CouponPosOffer, "10950123000777212345678");
        assert!(refused(Linter::CouponPosOffer, "20950123000777212345678").contains("format"));
        assert!(refused(Linter::CouponPosOffer, "1095012300077721234567").contains("cut short"));
        refused(Linter::CouponPosOffer, "109501230007772123456789");
    }
}
