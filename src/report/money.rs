//! Amounts as a treasury reads them: `Rp 12.3 bn`, `Rp 1.24 tn`, `USD 0.77 m`. Never
//! `Rp 12M`, which an Indonesian reader takes for *miliar* (10⁹). One formatter for the
//! HTML, the charts, the CSV notes and the text tables.

/// Rupiah in billions with one decimal, e.g. `Rp 12.3 bn` (the text tables' fixed form).
pub fn idr_bn(amount_idr: f64) -> String {
    format!("Rp {:.1} bn", amount_idr / 1e9)
}

/// Rupiah scaled for reading: trillions from Rp 1,000 bn (`Rp 1.24 tn`), billions with
/// one decimal from Rp 10 bn (`Rp 12.3 bn`), two below (`Rp 0.45 bn`).
pub fn idr(amount_idr: f64) -> String {
    let sign = if amount_idr < 0.0 { "-" } else { "" };
    let a = amount_idr.abs();
    if a >= 1e12 {
        format!("{sign}Rp {:.2} tn", a / 1e12)
    } else if a >= 1e10 {
        format!("{sign}Rp {:.1} bn", a / 1e9)
    } else {
        format!("{sign}Rp {:.2} bn", a / 1e9)
    }
}

/// US dollars scaled for reading: `USD 1.24 bn`, `USD 12.3 m`, `USD 0.77 m`.
pub fn usd(amount_usd: f64) -> String {
    let sign = if amount_usd < 0.0 { "-" } else { "" };
    let a = amount_usd.abs();
    if a >= 1e9 {
        format!("{sign}USD {:.2} bn", a / 1e9)
    } else if a >= 1e7 {
        format!("{sign}USD {:.1} m", a / 1e6)
    } else {
        format!("{sign}USD {:.2} m", a / 1e6)
    }
}

/// Rupiah first, the dollar reference after it: `Rp 12.3 bn (USD 0.77 m)` at
/// `usd_idr_rate` rupiah per dollar.
pub fn idr_usd(amount_idr: f64, usd_idr_rate: f64) -> String {
    format!("{} ({})", idr(amount_idr), usd(amount_idr / usd_idr_rate))
}

/// A share as a percentage with two decimals, e.g. `12.34%`.
pub fn pct(share: f64) -> String {
    format!("{:.2}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_a_treasury_reads_them() {
        assert_eq!(idr(12_345_000_000.0), "Rp 12.3 bn");
        assert_eq!(idr(450_000_000.0), "Rp 0.45 bn");
        assert_eq!(idr(1_240_000_000_000.0), "Rp 1.24 tn");
        assert_eq!(idr(-3_210_000_000.0), "-Rp 3.21 bn");
        assert_eq!(usd(770_000.0), "USD 0.77 m");
        assert_eq!(usd(12_340_000.0), "USD 12.3 m");
        assert_eq!(
            idr_usd(12_320_000_000.0, 16_000.0),
            "Rp 12.3 bn (USD 0.77 m)"
        );
        assert_eq!(idr_bn(12_345_000_000.0), "Rp 12.3 bn");
    }

    #[test]
    fn no_amount_is_written_with_a_capital_m() {
        for x in [1e3, 1e6, 5e8, 1e9, 2.5e10, 7e11, 3e12] {
            assert!(!idr(x).contains('M'), "{}", idr(x));
            assert!(!usd(x).contains('M'), "{}", usd(x));
        }
    }
}
