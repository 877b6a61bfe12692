//! Parsing the values rules are written with: sizes (`150MB`, `1.2GiB`, `4096`), percentages
//! (`5%`), ratios (`0.95`) and counts. Sizes follow go-humanize's `ParseBytes`, which dive uses for
//! `.dive-ci`, so a threshold means the same number of bytes in both tools: `kB`/`MB`/`GB` are
//! decimal (10³, 10⁶, 10⁹), `KiB`/`MiB`/`GiB` binary, units are case-insensitive, a space may sit
//! between number and unit, and a fractional result is truncated to whole bytes.
//!
//! Numbers are read as exact decimals, never through floating point, so `1.2GiB` is exactly
//! ⌊1.2 × 2³⁰⌋ and a percentage compares exactly against integer byte counts.

use std::fmt;

/// The most digits after the decimal point a value may have (keeps exact arithmetic in `u128`).
const MAX_SCALE: u32 = 12;

/// An exact non-negative decimal: `mantissa / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: u128,
    pub scale: u32,
}

impl Decimal {
    pub fn to_f64(self) -> f64 {
        // Both operands are exact in f64 for the ranges allowed here, so the quotient is the
        // correctly rounded value, the same as parsing the decimal text directly.
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }

    /// `10^scale` as an integer.
    pub fn denominator(self) -> u128 {
        10u128.pow(self.scale)
    }
}

/// Why a value did not parse; the message names the offending text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseError {}

fn err<T>(msg: String) -> Result<T, ParseError> {
    Err(ParseError(msg))
}

/// Parse `123`, `1.5`, `1,000` (thousands separators are dropped, as go-humanize does).
/// Returns the decimal and the rest of the text.
fn leading_decimal(s: &str) -> Option<(Decimal, &str)> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    let num: String = num.chars().filter(|c| *c != ',').collect();
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num.as_str(), ""),
    };
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    // Trailing zeros after the point carry no value; dropping them keeps the scale small.
    let frac = frac.trim_end_matches('0');
    if frac.len() as u32 > MAX_SCALE {
        return None;
    }
    let mut mantissa: u128 = 0;
    for c in int.chars().chain(frac.chars()) {
        mantissa = mantissa
            .checked_mul(10)?
            .checked_add(u128::from(c.to_digit(10)?))?;
    }
    Some((
        Decimal {
            mantissa,
            scale: frac.len() as u32,
        },
        rest,
    ))
}

/// Multiplier of a size unit (lower-cased), as go-humanize's table has them.
fn unit_multiplier(unit: &str) -> Option<u128> {
    let k: u128 = 1000;
    let ki: u128 = 1024;
    Some(match unit {
        "" | "b" => 1,
        "k" | "kb" => k,
        "ki" | "kib" => ki,
        "m" | "mb" => k.pow(2),
        "mi" | "mib" => ki.pow(2),
        "g" | "gb" => k.pow(3),
        "gi" | "gib" => ki.pow(3),
        "t" | "tb" => k.pow(4),
        "ti" | "tib" => ki.pow(4),
        "p" | "pb" => k.pow(5),
        "pi" | "pib" => ki.pow(5),
        "e" | "eb" => k.pow(6),
        "ei" | "eib" => ki.pow(6),
        _ => return None,
    })
}

/// A size in bytes: `150MB`, `1.2GiB`, `20 MB`, `4096`.
pub fn parse_size(text: &str) -> Result<u64, ParseError> {
    let s = text.trim();
    let Some((num, rest)) = leading_decimal(s) else {
        return err(format!(
            "invalid size {text:?}: expected a number of bytes, e.g. 150MB, 1.2GiB or 4096"
        ));
    };
    let unit = rest.trim().to_ascii_lowercase();
    let Some(mult) = unit_multiplier(&unit) else {
        return err(format!(
            "invalid size {text:?}: unknown unit {:?} (use B, kB, MB, GB, TB, KiB, MiB, GiB, TiB)",
            rest.trim()
        ));
    };
    let bytes = num
        .mantissa
        .checked_mul(mult)
        .map(|b| b / num.denominator())
        .filter(|b| *b <= u128::from(u64::MAX));
    match bytes {
        Some(b) => Ok(b as u64),
        None => err(format!("invalid size {text:?}: too large")),
    }
}

/// A threshold given either as bytes or as a percentage (`5%`, `2.5%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BytesOrPercent {
    Bytes(u64),
    /// The percentage itself: `2.5%` is `Decimal { mantissa: 25, scale: 1 }`.
    Percent(Decimal),
}

pub fn parse_bytes_or_percent(text: &str) -> Result<BytesOrPercent, ParseError> {
    let s = text.trim();
    match s.strip_suffix('%') {
        Some(p) => parse_percent_number(p.trim(), text).map(BytesOrPercent::Percent),
        None => parse_size(text).map(BytesOrPercent::Bytes),
    }
}

fn parse_percent_number(p: &str, text: &str) -> Result<Decimal, ParseError> {
    match leading_decimal(p) {
        Some((d, "")) => Ok(d),
        _ => err(format!(
            "invalid percentage {text:?}: expected a number before %, e.g. 5%"
        )),
    }
}

/// A ratio between 0 and 1, written `0.95` or `95%`.
pub fn parse_ratio(text: &str) -> Result<f64, ParseError> {
    let s = text.trim();
    let value = match s.strip_suffix('%') {
        Some(p) => {
            let d = parse_percent_number(p.trim(), text)?;
            Decimal {
                mantissa: d.mantissa,
                scale: d.scale + 2,
            }
            .to_f64()
        }
        None => match leading_decimal(s) {
            Some((d, "")) => d.to_f64(),
            _ => {
                return err(format!(
                    "invalid ratio {text:?}: expected a number from 0 to 1 (e.g. 0.95) or a percentage (95%)"
                ));
            }
        },
    };
    if value > 1.0 {
        return err(format!(
            "invalid ratio {text:?}: must be between 0 and 1 (or 0% and 100%)"
        ));
    }
    Ok(value)
}

/// A whole number (a layer count).
pub fn parse_count(text: &str) -> Result<u64, ParseError> {
    text.trim()
        .parse::<u64>()
        .or_else(|_| err(format!("invalid count {text:?}: expected a whole number")))
}

/// A float the way dive's `.dive-ci` rules read one (Go's `strconv.ParseFloat`).
pub fn parse_dive_float(text: &str) -> Result<f64, ParseError> {
    let s = text.trim();
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => err(format!("invalid number {text:?}")),
    }
}

/// `a / b` (bytes over bytes) compared with a percentage, exactly: is `a / b > p %`?
/// A zero `b` makes any positive `a` exceed every percentage.
pub fn exceeds_percent(a: u128, b: u128, percent: Decimal) -> bool {
    if b == 0 {
        return a > 0;
    }
    // a / b > m / 10^(s+2)  ⇔  a × 10^(s+2) > m × b
    let lhs = a.checked_mul(percent.denominator() * 100);
    let rhs = percent.mantissa.checked_mul(b);
    match (lhs, rhs) {
        (Some(l), Some(r)) => l > r,
        // Only reachable with absurd inputs; fall back to floating point.
        _ => (a as f64 / b as f64) * 100.0 > percent.to_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_go_humanize() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("150MB"), Ok(150_000_000));
        assert_eq!(parse_size("150 mb"), Ok(150_000_000));
        assert_eq!(parse_size("20MB"), Ok(20_000_000));
        assert_eq!(parse_size("50kB"), Ok(50_000));
        assert_eq!(parse_size("1k"), Ok(1000));
        assert_eq!(parse_size("1KiB"), Ok(1024));
        assert_eq!(parse_size("1.2GiB"), Ok(1_288_490_188)); // ⌊1.2 × 2³⁰⌋
        assert_eq!(parse_size("1.5MiB"), Ok(1_572_864));
        assert_eq!(parse_size("1,000,000"), Ok(1_000_000));
        assert_eq!(parse_size("0.5B"), Ok(0));
        assert_eq!(parse_size(" 7b "), Ok(7));
        assert_eq!(
            parse_size("16EiB"),
            Err(ParseError("invalid size \"16EiB\": too large".into()))
        );
        assert_eq!(parse_size("15EiB"), Ok(15 * 1024u64.pow(6)));
    }

    #[test]
    fn bad_sizes_say_why() {
        for bad in ["", "MB", "-5MB", "1.2.3MB", "12XB", "1e6", "5%", "0x10"] {
            let e = parse_size(bad).unwrap_err().0;
            assert!(e.starts_with("invalid size"), "{bad}: {e}");
        }
        assert!(
            parse_size("12XB")
                .unwrap_err()
                .0
                .contains("unknown unit \"XB\"")
        );
    }

    #[test]
    fn percentages_and_ratios() {
        assert_eq!(
            parse_bytes_or_percent("2.5%"),
            Ok(BytesOrPercent::Percent(Decimal {
                mantissa: 25,
                scale: 1
            }))
        );
        assert_eq!(
            parse_bytes_or_percent("10MB"),
            Ok(BytesOrPercent::Bytes(10_000_000))
        );
        assert!(parse_bytes_or_percent("%").is_err());
        assert!(parse_bytes_or_percent("x%").is_err());
        assert_eq!(parse_ratio("0.95"), Ok(0.95));
        assert_eq!(parse_ratio("95%"), Ok(0.95));
        assert_eq!(parse_ratio("1"), Ok(1.0));
        assert!(parse_ratio("1.01").is_err());
        assert!(parse_ratio("101%").is_err());
        assert!(parse_ratio("-0.1").is_err());
        assert_eq!(parse_count("12"), Ok(12));
        assert!(parse_count("1.5").is_err());
    }

    #[test]
    fn percent_comparison_is_exact() {
        let ten = Decimal {
            mantissa: 10,
            scale: 0,
        };
        assert!(!exceeds_percent(100, 1000, ten));
        assert!(exceeds_percent(101, 1000, ten));
        assert!(!exceeds_percent(99, 1000, ten));
        // 1 byte over 10% of a terabyte is still over.
        let tb = 1_000_000_000_000u128;
        assert!(exceeds_percent(tb / 10 + 1, tb, ten));
        assert!(!exceeds_percent(0, 0, ten));
        assert!(exceeds_percent(1, 0, ten));
    }
}
