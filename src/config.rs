//! The one typed configuration of Liquidity Sentinel.
//!
//! Every field has a default equal to the value documented in `assumptions.md`
//! (a test keeps the two in step). A config is parsed from TOML and validated as a
//! whole: [`Config::from_toml_str`] either returns a config every model can trust or
//! an error naming the field, the offending value and the allowed range.

use serde::{Deserialize, Serialize};

pub mod risk;

pub use crate::model::process::{ScenarioConfig, ScenarioName};
pub use risk::{InsuranceFundConfig, MarketConfig, SolvencyConfig, StressScenario, TiersConfig};

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// The TOML text did not parse or had an unknown or mistyped field.
    #[error("config is not valid TOML for this schema: {0}")]
    Syntax(String),
    /// A field parsed but its value is outside the allowed range.
    #[error("invalid config: {field} = {value} (allowed: {allowed})")]
    Invalid {
        /// Dotted path of the field, e.g. `scenarios.severe.institutional_rate_per_day`.
        field: String,
        /// The value as given.
        value: String,
        /// The allowed range, in words.
        allowed: String,
    },
}

/// The whole configuration. Sections mirror `assumptions.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Who holds the exchange's fiat.
    pub user_base: UserBaseConfig,
    /// When the bank rails are closed.
    pub window: WindowConfig,
    /// Monte Carlo size and seed.
    pub simulation: SimulationConfig,
    /// Withdrawal behaviour per stress scenario.
    pub scenarios: ScenariosConfig,
    /// Costs and floors that turn a distribution into a reserve.
    pub reserve: ReserveConfig,
    /// Currency reference rates.
    pub fx: FxConfig,
    /// The live monitor (`sentinel serve`).
    pub monitor: MonitorConfig,
    /// Market history, the exchange's crypto book and the VaR suite.
    pub market: MarketConfig,
    /// Derivatives book, liquidation cascade and insurance fund.
    pub insurance_fund: InsuranceFundConfig,
    /// The unified stressed balance sheet.
    pub solvency: SolvencyConfig,
    /// The three reserve layers.
    pub tiers: TiersConfig,
}

/// The synthetic user base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserBaseConfig {
    /// Number of accounts holding fiat.
    pub users: u32,
    /// Total customer fiat on the platform, IDR.
    pub total_fiat_idr: u64,
    /// Seed of the synthetic balance draw.
    pub seed: u64,
    /// Retail accounts.
    pub retail: CohortConfig,
    /// Institutional accounts (funds, OTC desks, corporate treasuries).
    pub institutional: CohortConfig,
}

/// One cohort of the user base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortConfig {
    /// Share of accounts in this cohort, 0..1; the cohorts sum to 1.
    pub account_share: f64,
    /// Share of total fiat held by this cohort, 0..1; the cohorts sum to 1.
    pub balance_share: f64,
    /// Standard deviation of ln(balance) within the cohort (log-normal shape).
    pub log_sigma: f64,
}

/// The bank-rail closure window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WindowConfig {
    /// Weekday on which the rails close (`monday` … `sunday`).
    pub opens_weekday: String,
    /// Hour of day (WIB, UTC+7) at which the rails close, 0..=23.
    pub opens_hour_wib: u32,
    /// Length of the closure in hours; Friday 16:00 to Monday 09:00 is 65.
    pub hours: u32,
}

/// Monte Carlo controls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimulationConfig {
    /// Paths per scenario.
    pub paths: u32,
    /// Master seed; each path draws from its own stream derived from (seed, scenario, path).
    pub seed: u64,
    /// Worker threads; 0 means one per core. Results do not depend on it.
    pub threads: u32,
}

/// The three withdrawal scenarios.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScenariosConfig {
    /// A baseline weekend with no market event.
    pub normal: ScenarioConfig,
    /// A 20–30% crypto drawdown (May 2021).
    pub mild: ScenarioConfig,
    /// A loss of confidence in the exchange (FTX, November 2022).
    pub severe: ScenarioConfig,
}

/// Reserve economics.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReserveConfig {
    /// Lower end of the annual yield an idle reserve forgoes (overage cost), fraction per year.
    pub opportunity_yield_low: f64,
    /// Upper end of that yield, fraction per year.
    pub opportunity_yield_high: f64,
    /// Lower end of the annual all-in cost of emergency liquidity (underage cost), fraction per year.
    pub emergency_cost_low: f64,
    /// Upper end of that cost, fraction per year.
    pub emergency_cost_high: f64,
    /// OJK minimum maintained equity (POJK 27/2024), IDR; a hard floor on any reserve.
    pub ojk_min_equity_idr: u64,
    /// The industry rule-of-thumb reserve, share of total fiat.
    pub rule_of_thumb_share: f64,
    /// Scenario the recommendation is planned for.
    pub planning_scenario: ScenarioName,
    /// Policy the recommendation follows: `newsvendor` or `cvar99`.
    pub recommended_policy: ReservePolicy,
    /// Spacing of the safety-frontier grid, share of total fiat.
    pub frontier_step_share: f64,
}

/// Currency reference rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FxConfig {
    /// IDR per USD, for the USD reference column only.
    pub usd_idr: f64,
}

/// Which statistic of the planning scenario's weekend total the recommended reserve is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReservePolicy {
    /// The cost-minimising quantile at the critical ratio.
    Newsvendor,
    /// The mean of the worst 1% of weekends.
    Cvar99,
}

impl ReservePolicy {
    /// How treasury writes the policy's name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Newsvendor => "newsvendor",
            Self::Cvar99 => "CVaR99",
        }
    }
}

impl Default for UserBaseConfig {
    fn default() -> Self {
        Self {
            users: 100_000,
            total_fiat_idr: 795_000_000_000,
            seed: 20_221_108,
            retail: CohortConfig {
                account_share: 0.95,
                balance_share: 0.35,
                log_sigma: 1.8,
            },
            institutional: CohortConfig {
                account_share: 0.05,
                balance_share: 0.65,
                log_sigma: 2.6,
            },
        }
    }
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            opens_weekday: "friday".to_owned(),
            opens_hour_wib: 16,
            hours: 65,
        }
    }
}

impl Default for SimulationConfig {
    fn default() -> Self {
        Self {
            paths: 10_000,
            seed: 42,
            threads: 0,
        }
    }
}

impl Default for ScenariosConfig {
    fn default() -> Self {
        Self {
            normal: ScenarioConfig {
                institutional_rate_per_day: 0.5,
                institutional_lead_hours: 0.0,
                retail_calm_rate_per_day: 0.01,
                retail_panic_rate_per_day: 0.01,
                retail_ramp_hours: 6.0,
                retail_hourly_cv: 0.35,
                jump_fraction_mean: 0.25,
                jump_fraction_concentration: 4.0,
                intensity_cv: 0.25,
                expected_share_low: 0.005,
                expected_share_high: 0.04,
            },
            mild: ScenarioConfig {
                institutional_rate_per_day: 2.0,
                institutional_lead_hours: 3.0,
                retail_calm_rate_per_day: 0.01,
                retail_panic_rate_per_day: 0.05,
                retail_ramp_hours: 6.0,
                retail_hourly_cv: 0.35,
                jump_fraction_mean: 0.4,
                jump_fraction_concentration: 4.0,
                intensity_cv: 0.3,
                expected_share_low: 0.04,
                expected_share_high: 0.10,
            },
            severe: ScenarioConfig {
                institutional_rate_per_day: 6.0,
                institutional_lead_hours: 6.0,
                retail_calm_rate_per_day: 0.01,
                retail_panic_rate_per_day: 0.12,
                retail_ramp_hours: 6.0,
                retail_hourly_cv: 0.35,
                jump_fraction_mean: 0.8,
                jump_fraction_concentration: 3.0,
                intensity_cv: 0.35,
                expected_share_low: 0.20,
                expected_share_high: 0.40,
            },
        }
    }
}

impl Default for ReserveConfig {
    fn default() -> Self {
        Self {
            opportunity_yield_low: 0.06,
            opportunity_yield_high: 0.07,
            emergency_cost_low: 0.10,
            emergency_cost_high: 0.12,
            ojk_min_equity_idr: 50_000_000_000,
            rule_of_thumb_share: 0.10,
            planning_scenario: ScenarioName::Severe,
            recommended_policy: ReservePolicy::Cvar99,
            frontier_step_share: 0.01,
        }
    }
}

impl Default for FxConfig {
    fn default() -> Self {
        Self { usd_idr: 15_900.0 }
    }
}

impl ScenariosConfig {
    /// The parameters of one scenario.
    pub fn get(&self, name: ScenarioName) -> &ScenarioConfig {
        match name {
            ScenarioName::Normal => &self.normal,
            ScenarioName::Mild => &self.mild,
            ScenarioName::Severe => &self.severe,
        }
    }
}

impl ReserveConfig {
    /// Overage cost: the midpoint of the opportunity yield range, fraction per year.
    pub fn overage_cost_per_year(&self) -> f64 {
        (self.opportunity_yield_low + self.opportunity_yield_high) / 2.0
    }

    /// Underage cost: the midpoint of the emergency funding cost range, fraction per year.
    pub fn underage_cost_per_year(&self) -> f64 {
        (self.emergency_cost_low + self.emergency_cost_high) / 2.0
    }
}

/// Tolerance on "shares sum to one".
const SHARE_SUM_TOLERANCE: f64 = 1e-9;

impl Config {
    /// Parses and validates a TOML document; missing fields take their defaults.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let config: Config =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// The default configuration as TOML (what `sentinel config` prints).
    pub fn default_toml() -> String {
        toml::to_string(&Config::default()).expect("the default config serialises")
    }

    /// Checks every field against its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let ub = &self.user_base;
        at_least("user_base.users", ub.users as f64, 2.0)?;
        at_least("user_base.total_fiat_idr", ub.total_fiat_idr as f64, 1.0)?;
        for (name, cohort) in [("retail", &ub.retail), ("institutional", &ub.institutional)] {
            open_unit(
                &format!("user_base.{name}.account_share"),
                cohort.account_share,
            )?;
            open_unit(
                &format!("user_base.{name}.balance_share"),
                cohort.balance_share,
            )?;
            within(
                &format!("user_base.{name}.log_sigma"),
                cohort.log_sigma,
                0.0,
                5.0,
            )?;
        }
        sums_to_one(
            "user_base.institutional.account_share",
            ub.retail.account_share,
            ub.institutional.account_share,
        )?;
        sums_to_one(
            "user_base.institutional.balance_share",
            ub.retail.balance_share,
            ub.institutional.balance_share,
        )?;
        let institutions = (ub.users as f64 * ub.institutional.account_share).round();
        if institutions < 1.0 || institutions >= ub.users as f64 {
            return Err(invalid(
                "user_base.institutional.account_share",
                ub.institutional.account_share,
                "a share that leaves at least one account in each cohort",
            ));
        }

        let w = &self.window;
        if crate::model::window::parse_weekday(&w.opens_weekday).is_none() {
            return Err(ConfigError::Invalid {
                field: "window.opens_weekday".into(),
                value: format!("{:?}", w.opens_weekday),
                allowed: "monday, tuesday, wednesday, thursday, friday, saturday or sunday".into(),
            });
        }
        within("window.opens_hour_wib", w.opens_hour_wib as f64, 0.0, 23.0)?;
        within("window.hours", w.hours as f64, 1.0, 24.0 * 14.0)?;

        within(
            "simulation.paths",
            self.simulation.paths as f64,
            1.0,
            50_000_000.0,
        )?;
        within(
            "simulation.threads",
            self.simulation.threads as f64,
            0.0,
            1024.0,
        )?;

        for name in ScenarioName::ALL {
            validate_scenario(name, self.scenarios.get(name), w.hours)?;
        }

        let r = &self.reserve;
        open_unit("reserve.opportunity_yield_low", r.opportunity_yield_low)?;
        within(
            "reserve.opportunity_yield_high",
            r.opportunity_yield_high,
            r.opportunity_yield_low,
            1.0,
        )?;
        open_unit("reserve.emergency_cost_low", r.emergency_cost_low)?;
        within(
            "reserve.emergency_cost_high",
            r.emergency_cost_high,
            r.emergency_cost_low,
            5.0,
        )?;
        open_unit("reserve.rule_of_thumb_share", r.rule_of_thumb_share)?;
        within(
            "reserve.frontier_step_share",
            r.frontier_step_share,
            0.001,
            0.5,
        )?;

        if !(self.fx.usd_idr.is_finite() && self.fx.usd_idr > 0.0) {
            return Err(invalid("fx.usd_idr", self.fx.usd_idr, "> 0"));
        }
        self.monitor.validate()?;
        risk::validate(
            &self.market,
            &self.insurance_fund,
            &self.solvency,
            &self.tiers,
        )
    }
}

fn validate_scenario(
    name: ScenarioName,
    s: &ScenarioConfig,
    window_hours: u32,
) -> Result<(), ConfigError> {
    crate::model::process::ScenarioLaws::new(s, window_hours)
        .map(|_| ())
        .map_err(|e| e.within_section(&format!("scenarios.{name}")).into())
}

impl From<crate::model::params::ParamError> for ConfigError {
    fn from(e: crate::model::params::ParamError) -> Self {
        Self::Invalid {
            field: e.field,
            value: e.value,
            allowed: e.allowed,
        }
    }
}

fn invalid(field: &str, value: f64, allowed: &str) -> ConfigError {
    ConfigError::Invalid {
        field: field.to_owned(),
        value: value.to_string(),
        allowed: allowed.to_owned(),
    }
}

/// `low <= value <= high`, finite.
fn within(field: &str, value: f64, low: f64, high: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value >= low && value <= high {
        Ok(())
    } else {
        Err(invalid(field, value, &format!("[{low}, {high}]")))
    }
}

/// `value >= low`, finite.
fn at_least(field: &str, value: f64, low: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value >= low {
        Ok(())
    } else {
        Err(invalid(field, value, &format!(">= {low}")))
    }
}

/// A probability strictly between 0 and 1.
fn open_unit(field: &str, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value > 0.0 && value < 1.0 {
        Ok(())
    } else {
        Err(invalid(field, value, "(0, 1)"))
    }
}

fn sums_to_one(field: &str, a: f64, b: f64) -> Result<(), ConfigError> {
    if (a + b - 1.0).abs() <= SHARE_SUM_TOLERANCE {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            field: field.to_owned(),
            value: b.to_string(),
            allowed: format!(
                "retail and institutional shares summing to 1 (they sum to {})",
                a + b
            ),
        })
    }
}

/// The live monitor: service address, storage, projection and alert thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MonitorConfig {
    /// Socket address the gRPC service listens on.
    pub grpc_addr: String,
    /// Socket address of the Prometheus scrape endpoint (`/metrics`, `/healthz`).
    pub metrics_addr: String,
    /// Directory of the durable event store.
    pub data_dir: String,
    /// Monte Carlo paths per projection.
    pub paths: u32,
    /// Master seed of the projections; a projection's stream is (seed, state version).
    pub seed: u64,
    /// Breach probability the `extra_reserve_idr` output brings the projection down to.
    pub target_breach_probability: f64,
    /// P(breach) at which the warning alert fires.
    pub breach_warn_probability: f64,
    /// P(breach) at which the critical alert fires.
    pub breach_critical_probability: f64,
    /// Hysteresis: a threshold alert resolves once its value is below threshold × this ratio.
    pub alert_clear_ratio: f64,
    /// Hours (event time) a value must stay below an alert's clearing level before the
    /// alert resolves or steps down.
    pub alert_resolve_hours: f64,
    /// P(mild or severe regime) at which "institutional lead detected" fires.
    pub lead_detected_probability: f64,
    /// Institutional withdrawals the window must have seen before "institutional lead
    /// detected" may fire (a stress posterior built on retail flow alone is no lead).
    pub lead_min_institutional_arrivals: u32,
    /// Hours: the time-to-insolvency alert fires when its 10th percentile is within this.
    pub tti_alert_hours: f64,
    /// Hours: that alert resolves once the 10th percentile exceeds `tti_alert_hours` + this.
    pub tti_clear_margin_hours: f64,
    /// Minutes without an event, inside an open window, before the stale-feed alert fires.
    pub stale_feed_minutes: f64,
    /// Reserve assumed (available from the close) until a `SetReserve` call, IDR.
    pub initial_reserve_idr: u64,
    /// An event of unspecified cohort at or above this amount is institutional, IDR.
    pub unspecified_institutional_min_idr: u64,
    /// Prior probability of the normal regime; the three priors sum to 1.
    pub regime_prior_normal: f64,
    /// Prior probability of the mild regime.
    pub regime_prior_mild: f64,
    /// Prior probability of the severe regime.
    pub regime_prior_severe: f64,
    /// Minutes an event may lie after the server clock and still be accepted.
    pub max_clock_skew_minutes: f64,
    /// Days an event may lie before the server clock and still be accepted.
    pub max_event_age_days: f64,
    /// Largest number of events made durable by one fsync (group commit).
    pub group_commit_max_events: u32,
    /// Messages buffered per projection or alert subscriber before it starts missing some.
    pub subscriber_buffer: u32,
}

impl Default for MonitorConfig {
    fn default() -> Self {
        Self {
            grpc_addr: "127.0.0.1:50051".to_owned(),
            metrics_addr: "127.0.0.1:9464".to_owned(),
            data_dir: "./data".to_owned(),
            paths: 10_000,
            seed: 7,
            target_breach_probability: 0.01,
            breach_warn_probability: 0.05,
            breach_critical_probability: 0.25,
            alert_clear_ratio: 0.8,
            alert_resolve_hours: 1.0,
            lead_detected_probability: 0.8,
            lead_min_institutional_arrivals: 1,
            tti_alert_hours: 12.0,
            tti_clear_margin_hours: 2.0,
            stale_feed_minutes: 15.0,
            initial_reserve_idr: 79_500_000_000,
            unspecified_institutional_min_idr: 500_000_000,
            regime_prior_normal: 0.85,
            regime_prior_mild: 0.12,
            regime_prior_severe: 0.03,
            max_clock_skew_minutes: 5.0,
            max_event_age_days: 35.0,
            group_commit_max_events: 8_192,
            subscriber_buffer: 256,
        }
    }
}

impl MonitorConfig {
    /// Checks every monitor field against its allowed range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, addr) in [
            ("monitor.grpc_addr", &self.grpc_addr),
            ("monitor.metrics_addr", &self.metrics_addr),
        ] {
            if addr.parse::<std::net::SocketAddr>().is_err() {
                return Err(ConfigError::Invalid {
                    field: field.into(),
                    value: format!("{addr:?}"),
                    allowed: "a socket address such as 127.0.0.1:50051".into(),
                });
            }
        }
        if self.data_dir.trim().is_empty() {
            return Err(ConfigError::Invalid {
                field: "monitor.data_dir".into(),
                value: format!("{:?}", self.data_dir),
                allowed: "a non-empty directory path".into(),
            });
        }
        within("monitor.paths", self.paths as f64, 100.0, 10_000_000.0)?;
        open_unit(
            "monitor.target_breach_probability",
            self.target_breach_probability,
        )?;
        open_unit(
            "monitor.breach_warn_probability",
            self.breach_warn_probability,
        )?;
        within(
            "monitor.breach_critical_probability",
            self.breach_critical_probability,
            self.breach_warn_probability,
            1.0,
        )?;
        open_unit("monitor.alert_clear_ratio", self.alert_clear_ratio)?;
        within(
            "monitor.alert_resolve_hours",
            self.alert_resolve_hours,
            0.0,
            24.0,
        )?;
        open_unit(
            "monitor.lead_detected_probability",
            self.lead_detected_probability,
        )?;
        within(
            "monitor.lead_min_institutional_arrivals",
            f64::from(self.lead_min_institutional_arrivals),
            0.0,
            1_000.0,
        )?;
        within(
            "monitor.tti_alert_hours",
            self.tti_alert_hours,
            0.0,
            24.0 * 14.0,
        )?;
        within(
            "monitor.tti_clear_margin_hours",
            self.tti_clear_margin_hours,
            0.0,
            24.0,
        )?;
        within(
            "monitor.stale_feed_minutes",
            self.stale_feed_minutes,
            0.1,
            24.0 * 60.0,
        )?;
        at_least(
            "monitor.unspecified_institutional_min_idr",
            self.unspecified_institutional_min_idr as f64,
            1.0,
        )?;
        open_unit("monitor.regime_prior_normal", self.regime_prior_normal)?;
        open_unit("monitor.regime_prior_mild", self.regime_prior_mild)?;
        open_unit("monitor.regime_prior_severe", self.regime_prior_severe)?;
        let prior_sum =
            self.regime_prior_normal + self.regime_prior_mild + self.regime_prior_severe;
        if (prior_sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
            return Err(ConfigError::Invalid {
                field: "monitor.regime_prior_severe".into(),
                value: self.regime_prior_severe.to_string(),
                allowed: format!("regime priors summing to 1 (they sum to {prior_sum})"),
            });
        }
        within(
            "monitor.max_clock_skew_minutes",
            self.max_clock_skew_minutes,
            0.0,
            24.0 * 60.0,
        )?;
        within(
            "monitor.max_event_age_days",
            self.max_event_age_days,
            1.0,
            3_660.0,
        )?;
        within(
            "monitor.group_commit_max_events",
            self.group_commit_max_events as f64,
            1.0,
            1_000_000.0,
        )?;
        within(
            "monitor.subscriber_buffer",
            self.subscriber_buffer as f64,
            1.0,
            1_000_000.0,
        )
    }
}
