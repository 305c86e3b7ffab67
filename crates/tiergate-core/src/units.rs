//! Exact decimal amounts: TPP, die area and performance density in thousandths.
//!
//! Datasheet figures carry decimals (the RTX 4090's TPP is 5,284.8; the L40's 2,896.64), and thresholds such as
//! PD 5.92 must compare exactly, so every such amount is an integer count of thousandths. Floats appear only
//! when a value is shown to a person (PD, H100-equivalents), never in a comparison.

use std::fmt;

const SCALE: u64 = 1000;

/// A count of operations as people read it: scientific notation with at most six significant digits, without the
/// noise of binary arithmetic (`5e25`, not `5.000000000000001e25`). Written with `{:e}` or `{}` alike.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ops(pub f64);

impl fmt::LowerExp for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.5e}", self.0);
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                let mantissa = if mantissa.contains('.') {
                    mantissa.trim_end_matches('0').trim_end_matches('.')
                } else {
                    mantissa
                };
                write!(f, "{mantissa}e{exponent}")
            }
            None => f.write_str(&text),
        }
    }
}

impl fmt::Display for Ops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerExp::fmt(self, f)
    }
}

/// Converts a decimal written with at most three places into thousandths; `None` if negative, not finite,
/// too large, or finer than a thousandth.
pub fn thousandths(x: f64) -> Option<u64> {
    if !x.is_finite() || !(0.0..=1e15).contains(&x) {
        return None;
    }
    let scaled = (x * SCALE as f64).round();
    let back = scaled / SCALE as f64;
    if (back - x).abs() > 1e-9 * x.abs().max(1.0) {
        return None;
    }
    // `scaled` is a non-negative integer below 2^53, so the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(scaled as u64)
}

fn fmt_thousandths(milli: u64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "{}", group_digits(milli / SCALE))?;
    // The thousandths, without trailing zeros: 800 → ".8", 640 → ".64", 5 → ".005".
    let mut frac = milli % SCALE;
    if frac == 0 {
        return Ok(());
    }
    let mut places = 3;
    while frac.is_multiple_of(10) {
        frac /= 10;
        places -= 1;
    }
    write!(f, ".{frac:0places$}")
}

/// `1234567` → `1,234,567`: how the rule itself writes amounts. Written where it is displayed, without
/// allocating (answers carry several such amounts each).
pub fn group_digits(n: u64) -> Grouped {
    Grouped(n)
}

/// A whole number shown with commas between groups of three digits (see [`group_digits`]).
#[derive(Clone, Copy, Debug)]
pub struct Grouped(u64);

impl fmt::Display for Grouped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // u64::MAX has 20 digits, hence 6 commas.
        let mut buf = [0u8; 26];
        let mut start = buf.len();
        let mut n = self.0;
        // From the right: three digits, a comma, three digits...; a comma only with a digit still to come.
        for (k, slot) in (0u32..).zip(buf.iter_mut().rev()) {
            start -= 1;
            if k % 4 == 3 {
                *slot = b',';
                continue;
            }
            // A digit, 0 to 9.
            #[allow(clippy::cast_possible_truncation)]
            let d = (n % 10) as u8;
            *slot = b'0' + d;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        f.write_str(std::str::from_utf8(buf.get(start..).unwrap_or_default()).map_err(|_| fmt::Error)?)
    }
}

/// Total processing performance, in thousandths of a TPP unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tpp(u64);

impl Tpp {
    pub const ZERO: Tpp = Tpp(0);

    pub const fn from_milli(milli: u64) -> Tpp {
        Tpp(milli)
    }

    /// A whole number of TPP; `None` on overflow.
    pub fn from_whole(n: u64) -> Option<Tpp> {
        n.checked_mul(SCALE).map(Tpp)
    }

    /// A decimal TPP with at most three places.
    pub fn from_decimal(x: f64) -> Option<Tpp> {
        thousandths(x).map(Tpp)
    }

    pub const fn milli(self) -> u64 {
        self.0
    }

    pub fn is_whole(self) -> bool {
        self.0.is_multiple_of(SCALE)
    }

    /// The smallest whole TPP at or above this amount: what a ledger of whole units must hold for it.
    pub fn whole_ceil(self) -> u64 {
        self.0.div_ceil(SCALE)
    }

    pub fn checked_mul(self, n: u64) -> Option<Tpp> {
        self.0.checked_mul(n).map(Tpp)
    }

    pub fn checked_add(self, other: Tpp) -> Option<Tpp> {
        self.0.checked_add(other.0).map(Tpp)
    }

    /// The value as a float, for display only.
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    /// `self / other` as a float rounded to two places, for display (H100-equivalents).
    #[allow(clippy::cast_precision_loss)]
    pub fn ratio_2dp(self, other: Tpp) -> f64 {
        if other.0 == 0 {
            return 0.0;
        }
        let hundredths = (u128::from(self.0) * 100 + u128::from(other.0) / 2) / u128::from(other.0);
        hundredths as f64 / 100.0
    }
}

impl fmt::Display for Tpp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_thousandths(self.0, f)
    }
}

/// Applicable die area in thousandths of a square millimetre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Area(u64);

impl Area {
    /// A positive decimal area with at most three places.
    pub fn from_mm2(x: f64) -> Option<Area> {
        thousandths(x).filter(|m| *m > 0).map(Area)
    }

    pub const fn milli(self) -> u64 {
        self.0
    }

    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_thousandths(self.0, f)
    }
}

/// A DRAM bandwidth in thousandths of a GB/s: the second parameter of 91 FR 1684's band (below 6,500 GB/s), compared
/// exactly as TPP is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth(u64);

impl Bandwidth {
    /// A positive decimal GB/s with at most three places.
    pub fn from_gbps(x: f64) -> Option<Bandwidth> {
        thousandths(x).filter(|m| *m > 0).map(Bandwidth)
    }

    pub const fn milli(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_thousandths(self.0, f)
    }
}

/// A performance-density threshold (TPP per mm²) in thousandths.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Density(u64);

impl Density {
    pub fn from_decimal(x: f64) -> Option<Density> {
        thousandths(x).map(Density)
    }

    /// Whether `tpp / area >= self`, exactly.
    pub fn is_met_by(self, tpp: Tpp, area: Area) -> bool {
        // tpp/area >= d  <=>  1000·T >= D·A with all three in thousandths.
        u128::from(tpp.0) * u128::from(SCALE) >= u128::from(self.0) * u128::from(area.0)
    }
}

impl fmt::Display for Density {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_thousandths(self.0, f)
    }
}

/// Performance density rounded to two places, for display.
#[allow(clippy::cast_precision_loss)]
pub fn density_2dp(tpp: Tpp, area: Area) -> f64 {
    let hundredths = (u128::from(tpp.0) * 100 + u128::from(area.0) / 2) / u128::from(area.0);
    hundredths as f64 / 100.0
}

/// A date as `YYYY-MM-DD`.
pub fn date_text(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_read_without_binary_noise() {
        assert_eq!(Ops(1e26 - 5e25).to_string(), "5e25");
        assert_eq!(Ops(5.000000000000001e25).to_string(), "5e25");
        assert_eq!(format!("{:e}", Ops(1.25e26)), "1.25e26");
        assert_eq!(Ops(0.1 + 0.2).to_string(), "3e-1");
        assert_eq!(Ops(123_456_789.0).to_string(), "1.23457e8");
        assert_eq!(Ops(0.0).to_string(), "0e0");
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(Tpp::from_decimal(5284.8).map(Tpp::milli), Some(5_284_800));
        assert_eq!(Tpp::from_decimal(2614.9).map(|t| t.milli() * 8), Some(20_919_200));
        assert_eq!(Tpp::from_decimal(0.0001), None);
        assert_eq!(Tpp::from_decimal(-1.0), None);
        assert_eq!(Tpp::from_decimal(f64::NAN), None);
    }

    #[test]
    fn density_compares_exactly_at_the_line() {
        let d = Density::from_decimal(5.92).unwrap_or(Density(0));
        let area = Area::from_mm2(1000.0).unwrap_or(Area(1));
        assert!(d.is_met_by(Tpp::from_milli(5_920_000), area));
        assert!(!d.is_met_by(Tpp::from_milli(5_919_999), area));
    }

    /// The obvious version (digits as text, a comma before each group of three from the right), for reference.
    fn plain_grouping(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn grouping_matches_the_plain_algorithm(n in proptest::prelude::any::<u64>(), shift in 0u32..64) {
            // Shifted, so that every length of number is drawn, not mostly 19- and 20-digit ones.
            let n = n >> shift;
            proptest::prop_assert_eq!(group_digits(n).to_string(), plain_grouping(n));
            let milli = n % 1_000_000_000_000;
            let frac = format!("{:03}", milli % 1000);
            let frac = frac.trim_end_matches('0');
            let whole = plain_grouping(milli / 1000);
            let want = if frac.is_empty() { whole } else { format!("{whole}.{frac}") };
            proptest::prop_assert_eq!(Tpp::from_milli(milli).to_string(), want);
        }
    }

    #[test]
    fn grouping_at_the_edges() {
        for n in [0, 1, 9, 10, 99, 100, 999, 1_000, 9_999, 10_000, 999_999, 1_000_000, u64::MAX - 1, u64::MAX] {
            assert_eq!(group_digits(n).to_string(), plain_grouping(n), "{n}");
        }
        assert_eq!(group_digits(u64::MAX).to_string(), "18,446,744,073,709,551,615");
        assert_eq!(Tpp::from_milli(5).to_string(), "0.005");
        assert_eq!(Tpp::from_milli(1_010).to_string(), "1.01");
    }

    #[test]
    fn display_groups_digits_and_trims() {
        assert_eq!(Tpp::from_milli(790_000_000_000).to_string(), "790,000,000");
        assert_eq!(Tpp::from_milli(5_284_800).to_string(), "5,284.8");
        assert_eq!(Tpp::from_milli(2_896_640).to_string(), "2,896.64");
        assert_eq!(density_2dp(Tpp::from_milli(15_832_000), Area(814_000)), 19.45);
    }
}
