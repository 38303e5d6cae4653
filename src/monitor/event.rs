//! A settled fiat movement as the monitor sees it, and the rules it must pass.

use serde::{Deserialize, Serialize};

/// Minor units per rupiah: ISO 4217 gives IDR two decimals (sen).
pub const IDR_MINOR_PER_RUPIAH: i64 = 100;
/// Longest accepted `event_id` / `account_id`, bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Largest accepted amount, minor units (Rp 10 quadrillion, far above any balance).
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000_000_000;

/// The customer cohort as the ledger reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cohort {
    /// Unknown to the ledger; classified by [`classify`].
    Unspecified,
    /// A retail customer.
    Retail,
    /// An institutional customer.
    Institutional,
}

/// The cohort an event is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CountedCohort {
    /// Part of the aggregate retail flow.
    Retail,
    /// One arrival of the institutional Poisson process.
    Institutional,
}

/// Direction of the movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// Fiat leaving through the gateway.
    Withdrawal,
    /// Fiat arriving through the gateway.
    Deposit,
}

/// One settled movement, validated or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalEvent {
    /// Idempotency key.
    pub event_id: String,
    /// Customer account.
    pub account_id: String,
    /// Cohort as reported.
    pub cohort: Cohort,
    /// Amount in minor units of `currency`.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Settlement time, Unix ms.
    pub occurred_at_unix_ms: i64,
    /// Withdrawal or deposit.
    pub kind: EventKind,
}

/// Why an event (or reserve position) was refused: the field and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{field}`: {reason}")]
pub struct Rejection {
    /// The offending field, as named in the protocol.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl Rejection {
    /// A rejection of `field` for `reason`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// The accepted time range of `occurred_at`, relative to the server clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventLimits {
    /// The server clock, Unix ms.
    pub now_unix_ms: i64,
    /// Latest accepted time after `now`, ms.
    pub max_skew_ms: i64,
    /// Oldest accepted time before `now`, ms.
    pub max_age_ms: i64,
}

impl WithdrawalEvent {
    /// Checks every field: id and account present and ≤ 128 bytes, amount > 0, currency
    /// IDR, time within `limits`.
    pub fn validate(&self, limits: &EventLimits) -> Result<(), Rejection> {
        check_id("event_id", &self.event_id)?;
        check_id("account_id", &self.account_id)?;
        check_amount("amount_minor", self.amount_minor)?;
        check_currency("currency", &self.currency)?;
        let earliest = limits.now_unix_ms - limits.max_age_ms;
        let latest = limits.now_unix_ms + limits.max_skew_ms;
        if self.occurred_at_unix_ms < earliest || self.occurred_at_unix_ms > latest {
            return Err(Rejection::new(
                "occurred_at",
                format!(
                    "{} ms since the epoch is outside the accepted range [{earliest}, {latest}] \
                     (server clock {} ms, max age {} ms, max clock skew {} ms)",
                    self.occurred_at_unix_ms,
                    limits.now_unix_ms,
                    limits.max_age_ms,
                    limits.max_skew_ms
                ),
            ));
        }
        Ok(())
    }

    /// The amount in whole rupiah (minor units / 100, rounded down; validated events only).
    pub fn amount_idr(&self) -> u64 {
        minor_to_idr(self.amount_minor)
    }
}

/// Whole rupiah of a non-negative IDR minor-unit amount, rounded down; 0 when negative.
pub fn minor_to_idr(amount_minor: i64) -> u64 {
    u64::try_from(amount_minor / IDR_MINOR_PER_RUPIAH).unwrap_or(0)
}

/// The cohort an event counts in: as reported, or for `Unspecified` institutional when
/// `amount_idr ≥ institutional_min_idr` and retail otherwise.
pub fn classify(cohort: Cohort, amount_idr: u64, institutional_min_idr: u64) -> CountedCohort {
    match cohort {
        Cohort::Retail => CountedCohort::Retail,
        Cohort::Institutional => CountedCohort::Institutional,
        Cohort::Unspecified if amount_idr >= institutional_min_idr => CountedCohort::Institutional,
        Cohort::Unspecified => CountedCohort::Retail,
    }
}

/// A present identifier of at most [`MAX_ID_BYTES`] bytes.
pub fn check_id(field: &'static str, id: &str) -> Result<(), Rejection> {
    if id.trim().is_empty() {
        return Err(Rejection::new(field, "missing (empty)"));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Rejection::new(
            field,
            format!("{} bytes, longer than {MAX_ID_BYTES}", id.len()),
        ));
    }
    Ok(())
}

/// An amount `0 < a ≤ MAX_AMOUNT_MINOR` minor units.
pub fn check_amount(field: &'static str, amount_minor: i64) -> Result<(), Rejection> {
    if amount_minor <= 0 {
        return Err(Rejection::new(
            field,
            format!("{amount_minor} is not positive (amounts must be > 0 minor units)"),
        ));
    }
    if amount_minor > MAX_AMOUNT_MINOR {
        return Err(Rejection::new(
            field,
            format!("{amount_minor} exceeds the largest accepted amount {MAX_AMOUNT_MINOR}"),
        ));
    }
    Ok(())
}

/// An ISO 4217 code the gateway holds: IDR only.
pub fn check_currency(field: &'static str, currency: &str) -> Result<(), Rejection> {
    let is_code = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase());
    if !is_code {
        return Err(Rejection::new(
            field,
            format!("unknown currency {currency:?}: not an upper-case ISO 4217 code"),
        ));
    }
    if currency != "IDR" {
        return Err(Rejection::new(
            field,
            format!("unknown currency {currency:?}: the gateway reserve is held in IDR only"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event() -> WithdrawalEvent {
        WithdrawalEvent {
            event_id: "e1".into(),
            account_id: "a1".into(),
            cohort: Cohort::Retail,
            amount_minor: 500_000,
            currency: "IDR".into(),
            occurred_at_unix_ms: 1_000_000,
            kind: EventKind::Withdrawal,
        }
    }

    const LIMITS: EventLimits = EventLimits {
        now_unix_ms: 1_000_000,
        max_skew_ms: 1_000,
        max_age_ms: 10_000,
    };

    type Spoiler = fn(&mut WithdrawalEvent);

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(Spoiler, &str); 5] = [
            (|e| e.event_id.clear(), "event_id"),
            (|e| e.amount_minor = 0, "amount_minor"),
            (|e| e.currency = "USD".into(), "currency"),
            (|e| e.currency = "idr".into(), "currency"),
            (|e| e.occurred_at_unix_ms = 2_000_000, "occurred_at"),
        ];
        assert_eq!(event().validate(&LIMITS), Ok(()));
        for (spoil, field) in cases {
            let mut e = event();
            spoil(&mut e);
            assert_eq!(e.validate(&LIMITS).unwrap_err().field, field);
        }
    }

    #[test]
    fn unspecified_cohort_is_classified_by_amount() {
        assert_eq!(
            classify(Cohort::Unspecified, 10, 10),
            CountedCohort::Institutional
        );
        assert_eq!(classify(Cohort::Unspecified, 9, 10), CountedCohort::Retail);
        assert_eq!(classify(Cohort::Retail, 99, 10), CountedCohort::Retail);
    }
}
