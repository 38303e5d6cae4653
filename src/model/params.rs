//! Range checks as data: every model parameter set declares its bounds as a table of
//! [`Bound`]s, and [`check`] reports the first one violated as a [`ParamError`] naming the
//! field, the value and the allowed range. The model's constructors run these checks, so a
//! built model cannot hold an invalid parameter; the configuration only adds the section path.

/// Why a parameter set was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} = {value} (allowed: {allowed})")]
pub struct ParamError {
    /// Field path relative to the parameter set, e.g. `institutional_rate_per_day`.
    pub field: String,
    /// The value as given.
    pub value: String,
    /// The allowed range, in words.
    pub allowed: String,
}

impl ParamError {
    /// An error for `field` with a value shown as `value` and the rule `allowed`.
    pub fn new(field: impl Into<String>, value: impl ToString, allowed: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            value: value.to_string(),
            allowed: allowed.into(),
        }
    }

    /// The same error with `prefix.` in front of the field (a section path).
    pub fn within_section(mut self, prefix: &str) -> Self {
        self.field = format!("{prefix}.{}", self.field);
        self
    }
}

/// The allowed set of one numeric parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Allowed {
    /// `low ≤ x ≤ high`, finite.
    Closed(f64, f64),
    /// `x ≥ low`, finite.
    AtLeast(f64),
    /// `0 < x < 1`.
    OpenUnit,
    /// `0 < x ≤ 1`.
    UnitExcludingZero,
    /// `x > 0`, finite.
    Positive,
    /// `−1 < x ≤ 1`: a simple return.
    SimpleReturn,
    /// `0 ≤ x < high`, finite.
    HalfOpen(f64),
}

impl Allowed {
    /// Whether `x` is allowed.
    pub fn admits(self, x: f64) -> bool {
        x.is_finite()
            && match self {
                Self::Closed(low, high) => x >= low && x <= high,
                Self::AtLeast(low) => x >= low,
                Self::OpenUnit => x > 0.0 && x < 1.0,
                Self::UnitExcludingZero => x > 0.0 && x <= 1.0,
                Self::Positive => x > 0.0,
                Self::SimpleReturn => x > -1.0 && x <= 1.0,
                Self::HalfOpen(high) => x >= 0.0 && x < high,
            }
    }

    /// The rule in words, as error messages print it.
    pub fn describe(self) -> String {
        match self {
            Self::Closed(low, high) => format!("[{low}, {high}]"),
            Self::AtLeast(low) => format!(">= {low}"),
            Self::OpenUnit => "(0, 1)".to_owned(),
            Self::UnitExcludingZero => "(0, 1]".to_owned(),
            Self::Positive => "> 0".to_owned(),
            Self::SimpleReturn => "(-1, 1]".to_owned(),
            Self::HalfOpen(high) => format!("[0, {high})"),
        }
    }
}

/// One row of a parameter table: a field, its value and what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// Field path relative to the parameter set.
    pub field: String,
    /// The value.
    pub value: f64,
    /// The allowed set.
    pub allowed: Allowed,
}

/// A row of a parameter table.
pub fn bound(field: impl Into<String>, value: f64, allowed: Allowed) -> Bound {
    Bound {
        field: field.into(),
        value,
        allowed,
    }
}

/// The first violated bound of `table`, in table order.
pub fn check(table: &[Bound]) -> Result<(), ParamError> {
    match table.iter().find(|b| !b.allowed.admits(b.value)) {
        Some(b) => Err(ParamError::new(&b.field, b.value, b.allowed.describe())),
        None => Ok(()),
    }
}

/// Tolerance on "shares sum to one".
pub const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// `Ok` when `sum` is 1 within [`SHARE_SUM_TOLERANCE`]; otherwise an error on `field`
/// showing `value`, allowing `what` "summing to 1".
pub fn sums_to_one(field: &str, value: String, sum: f64, what: &str) -> Result<(), ParamError> {
    if (sum - 1.0).abs() <= SHARE_SUM_TOLERANCE {
        return Ok(());
    }
    Err(ParamError::new(
        field,
        value,
        format!(
            "{what} summing to 1 ({} sum to {sum})",
            if what.starts_with("a row") {
                "it"
            } else {
                "they"
            }
        ),
    ))
}

/// `1 / cv²`: the shape of a Gamma law whose coefficient of variation is `cv` (> 0).
pub fn gamma_shape_of_cv(cv: f64) -> f64 {
    1.0 / (cv * cv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_violated_row_is_reported_with_its_rule() {
        let table = [
            bound("a", 0.5, Allowed::OpenUnit),
            bound("b", -1.0, Allowed::Closed(0.0, 1000.0)),
            bound("c", f64::NAN, Allowed::Positive),
        ];
        let error = check(&table).unwrap_err();
        assert_eq!(error, ParamError::new("b", "-1", "[0, 1000]"));
        assert_eq!(
            error.within_section("scenarios.severe").to_string(),
            "scenarios.severe.b = -1 (allowed: [0, 1000])"
        );
    }

    #[test]
    fn non_finite_values_are_never_admitted() {
        for allowed in [
            Allowed::Closed(f64::NEG_INFINITY, f64::INFINITY),
            Allowed::AtLeast(0.0),
            Allowed::Positive,
        ] {
            assert!(!allowed.admits(f64::NAN));
            assert!(!allowed.admits(f64::INFINITY));
        }
    }

    #[test]
    fn gamma_shape_gives_the_coefficient_of_variation_back() {
        let k = gamma_shape_of_cv(0.35);
        assert!((1.0 / k.sqrt() - 0.35).abs() < 1e-15);
    }
}
