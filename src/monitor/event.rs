//! A settled fiat movement as the monitor sees it, and the rules it must pass.

use serde::{Deserialize, Serialize};

/// Minor units per rupiah: ISO 4217 gives IDR two decimals (sen).
pub const IDR_MINOR_PER_RUPIAH: i64 = 100;
/// Longest accepted `event_id` / `account_id`, bytes.
pub const MAX_ID_BYTES: usize = 128;
/// Latest hour after the close at which a reserve layer may become usable: two weeks,
/// longer than any closure the rail calendar produces (185 h at Lebaran 2026). A layer
/// usable later is not a weekend reserve and is refused.
pub const MAX_LAYER_AVAILABLE_AFTER_HOURS: u32 = 24 * 14;
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

/// The field at fault of a rejection, as a bounded set: the `reason` label of the
/// rejection metrics. Several protocol fields share one (`layers.amount_minor` is `Amount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionReason {
    /// `event_id` missing or too long.
    EventId,
    /// `account_id` missing or too long.
    AccountId,
    /// Unknown cohort value.
    Cohort,
    /// An amount not in `1..=MAX_AMOUNT_MINOR` minor units.
    Amount,
    /// Not an ISO 4217 code, or not IDR.
    Currency,
    /// `occurred_at` missing, malformed or outside the accepted time range.
    OccurredAt,
    /// Event kind unset or unknown.
    Kind,
    /// A reserve layer usable later than [`MAX_LAYER_AVAILABLE_AFTER_HOURS`].
    AvailableAfterHours,
}

impl RejectionReason {
    /// Every reason.
    pub const ALL: [Self; 8] = [
        Self::EventId,
        Self::AccountId,
        Self::Cohort,
        Self::Amount,
        Self::Currency,
        Self::OccurredAt,
        Self::Kind,
        Self::AvailableAfterHours,
    ];

    /// Snake-case name, the metric label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EventId => "event_id",
            Self::AccountId => "account_id",
            Self::Cohort => "cohort",
            Self::Amount => "amount",
            Self::Currency => "currency",
            Self::OccurredAt => "occurred_at",
            Self::Kind => "kind",
            Self::AvailableAfterHours => "available_after_hours",
        }
    }
}

/// A validated field of a withdrawal event or a reserve position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `WithdrawalEvent.event_id`.
    EventId,
    /// `WithdrawalEvent.account_id`.
    AccountId,
    /// `WithdrawalEvent.cohort`.
    Cohort,
    /// `WithdrawalEvent.amount_minor`.
    AmountMinor,
    /// `WithdrawalEvent.currency`.
    Currency,
    /// `WithdrawalEvent.occurred_at`.
    OccurredAt,
    /// `WithdrawalEvent.kind`.
    Kind,
    /// `ReservePosition.layers[].amount_minor`.
    LayerAmountMinor,
    /// `ReservePosition.layers[].currency`.
    LayerCurrency,
    /// `ReservePosition.layers[].available_after_hours`.
    LayerAvailableAfterHours,
    /// `ReservePosition.proprietary_capital_minor`.
    ProprietaryCapitalMinor,
    /// `ReservePosition.proprietary_capital_currency`.
    ProprietaryCapitalCurrency,
}

impl Field {
    /// The field's path as named in the protocol, e.g. `layers.amount_minor`.
    pub fn name(self) -> &'static str {
        match self {
            Self::EventId => "event_id",
            Self::AccountId => "account_id",
            Self::Cohort => "cohort",
            Self::AmountMinor => "amount_minor",
            Self::Currency => "currency",
            Self::OccurredAt => "occurred_at",
            Self::Kind => "kind",
            Self::LayerAmountMinor => "layers.amount_minor",
            Self::LayerCurrency => "layers.currency",
            Self::LayerAvailableAfterHours => "layers.available_after_hours",
            Self::ProprietaryCapitalMinor => "proprietary_capital_minor",
            Self::ProprietaryCapitalCurrency => "proprietary_capital_currency",
        }
    }

    /// The bounded reason a rejection of this field is counted under.
    pub fn reason(self) -> RejectionReason {
        match self {
            Self::EventId => RejectionReason::EventId,
            Self::AccountId => RejectionReason::AccountId,
            Self::Cohort => RejectionReason::Cohort,
            Self::AmountMinor | Self::LayerAmountMinor | Self::ProprietaryCapitalMinor => {
                RejectionReason::Amount
            }
            Self::Currency | Self::LayerCurrency | Self::ProprietaryCapitalCurrency => {
                RejectionReason::Currency
            }
            Self::OccurredAt => RejectionReason::OccurredAt,
            Self::Kind => RejectionReason::Kind,
            Self::LayerAvailableAfterHours => RejectionReason::AvailableAfterHours,
        }
    }
}

/// Why an event (or reserve position) was refused: the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("field `{}`: {detail}", self.path())]
pub struct Rejection {
    /// The offending field.
    pub field: Field,
    /// Position in the repeated field it belongs to (`layers`), if any.
    pub index: Option<usize>,
    /// What is wrong with it, for humans.
    pub detail: String,
}

impl Rejection {
    /// A rejection of `field` because of `detail`.
    pub fn new(field: Field, detail: impl Into<String>) -> Self {
        Self {
            field,
            index: None,
            detail: detail.into(),
        }
    }

    /// This rejection about element `index` of its repeated field (e.g. the third layer).
    pub fn at(self, index: usize) -> Self {
        Self {
            index: Some(index),
            ..self
        }
    }

    /// The field's path in the protocol with the element's index, e.g.
    /// `layers[2].available_after_hours` (or `amount_minor` for a plain field).
    pub fn path(&self) -> String {
        let name = self.field.name();
        match (self.index, name.split_once('.')) {
            (Some(i), Some((repeated, field))) => format!("{repeated}[{i}].{field}"),
            _ => name.to_owned(),
        }
    }

    /// The bounded reason it is counted under.
    pub fn reason(&self) -> RejectionReason {
        self.field.reason()
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
    /// Largest plausible single amount, minor units (`monitor.max_event_amount_idr` × 100).
    pub max_amount_minor: i64,
}

impl WithdrawalEvent {
    /// Checks every field: id and account present and ≤ 128 bytes, amount > 0, currency
    /// IDR, time within `limits`.
    pub fn validate(&self, limits: &EventLimits) -> Result<(), Rejection> {
        check_id(Field::EventId, &self.event_id)?;
        check_id(Field::AccountId, &self.account_id)?;
        check_amount(Field::AmountMinor, self.amount_minor)?;
        check_currency(Field::Currency, &self.currency)?;
        if self.amount_minor > limits.max_amount_minor {
            return Err(Rejection::new(
                Field::AmountMinor,
                format!(
                    "{} minor units is above the largest plausible single event, \
                     monitor.max_event_amount_idr = Rp {} ({} minor units)",
                    self.amount_minor,
                    limits.max_amount_minor / IDR_MINOR_PER_RUPIAH,
                    limits.max_amount_minor
                ),
            ));
        }
        let earliest = limits.now_unix_ms - limits.max_age_ms;
        let latest = limits.now_unix_ms + limits.max_skew_ms;
        if self.occurred_at_unix_ms < earliest || self.occurred_at_unix_ms > latest {
            return Err(Rejection::new(
                Field::OccurredAt,
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
pub fn check_id(field: Field, id: &str) -> Result<(), Rejection> {
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
pub fn check_amount(field: Field, amount_minor: i64) -> Result<(), Rejection> {
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
pub fn check_currency(field: Field, currency: &str) -> Result<(), Rejection> {
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
        max_amount_minor: 1_000_000,
    };

    type Spoiler = fn(&mut WithdrawalEvent);

    #[test]
    fn each_bad_field_is_named() {
        let cases: [(Spoiler, Field); 7] = [
            (|e| e.event_id.clear(), Field::EventId),
            (|e| e.account_id = "x".repeat(129), Field::AccountId),
            (|e| e.amount_minor = 0, Field::AmountMinor),
            (|e| e.amount_minor = 1_000_001, Field::AmountMinor),
            (|e| e.currency = "USD".into(), Field::Currency),
            (|e| e.currency = "idr".into(), Field::Currency),
            (|e| e.occurred_at_unix_ms = 2_000_000, Field::OccurredAt),
        ];
        assert_eq!(event().validate(&LIMITS), Ok(()));
        for (spoil, field) in cases {
            let mut e = event();
            spoil(&mut e);
            assert_eq!(e.validate(&LIMITS).unwrap_err().field, field);
        }
    }

    #[test]
    fn an_amount_above_the_plausible_maximum_is_rejected_stating_the_limit() {
        let mut e = event();
        e.amount_minor = LIMITS.max_amount_minor;
        assert_eq!(e.validate(&LIMITS), Ok(()), "the limit itself is accepted");
        e.amount_minor += 1;
        let rejection = e.validate(&LIMITS).unwrap_err();
        assert_eq!(rejection.field, Field::AmountMinor);
        assert!(
            rejection
                .detail
                .contains("monitor.max_event_amount_idr = Rp 10000 (1000000 minor units)"),
            "{rejection}"
        );
    }

    #[test]
    fn amount_fields_count_as_amount_rejections() {
        for field in [
            Field::AmountMinor,
            Field::LayerAmountMinor,
            Field::ProprietaryCapitalMinor,
        ] {
            assert_eq!(field.reason(), RejectionReason::Amount);
            assert_eq!(field.reason().as_str(), "amount");
        }
        let rejection = check_amount(Field::AmountMinor, 0).unwrap_err();
        assert!(
            rejection
                .to_string()
                .starts_with("field `amount_minor`: 0 is not positive")
        );
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
