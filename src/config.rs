//! The one typed configuration of Liquidity Sentinel.
//!
//! Every field has a default equal to the value documented in `assumptions.md`
//! (a test keeps the two in step). A config is parsed from TOML and validated as a
//! whole: [`Config::from_toml_str`] either returns a config every model can trust or
//! an error naming the field, the offending value and the allowed range.

use serde::{Deserialize, Serialize};

use crate::model::params::{Allowed, Bound, ParamError, bound, check, sums_to_one};
use crate::model::process::ScenarioLaws;

pub mod access;
pub mod risk;

pub use crate::model::insurance::InsuranceFundConfig;
pub use crate::model::market::{MarketConfig, StressScenario};
pub use crate::model::process::{ScenarioConfig, ScenarioName};
pub use crate::model::rails::{CalendarConfig, Holiday, HolidayKind};
pub use crate::model::solvency::{FundDeficit, GapFunding, ReserveBasis, SolvencyConfig};
pub use crate::model::tiers::TiersConfig;
pub use crate::model::user_base::{CohortConfig, InstitutionalCohortConfig, UserBaseConfig};
pub use crate::model::window::{Weekday, WindowConfig};

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
    /// The dated bank-rail calendar: holidays and cuti bersama of the covered years.
    pub calendar: CalendarConfig,
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
    /// TLS, role tokens and limits of the live monitor.
    pub access: access::AccessConfig,
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
    /// OJK minimum maintained equity (POJK 27/2024), IDR: a floor on equity, tested by the
    /// solvency view (not a floor on the reserve).
    pub ojk_min_equity_idr: u64,
    /// The industry rule-of-thumb reserve, share of total fiat.
    pub rule_of_thumb_share: f64,
    /// Scenario the recommendation is planned for.
    pub planning_scenario: ScenarioName,
    /// Target P(cumulative withdrawals exceed the usable reserve at some hour of the window)
    /// the recommended layers meet on the planning scenario.
    pub target_shortfall_probability: f64,
    /// Relative standard error on the target probability the report sizes `--paths` for.
    pub precision_relative_error: f64,
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

impl Default for UserBaseConfig {
    fn default() -> Self {
        Self {
            users: 100_000,
            total_fiat_idr: 795_000_000_000,
            seed: 20_221_108,
            draws: 32,
            retail: CohortConfig {
                account_share: 0.95,
                balance_share: 0.35,
                log_sigma: 1.8,
            },
            institutional: InstitutionalCohortConfig {
                account_share: 0.05,
                balance_share: 0.65,
                effective_count: 50.0,
            },
        }
    }
}

impl Default for WindowConfig {
    fn default() -> Self {
        Self {
            rails_close_weekday: Weekday::Friday,
            rails_close_hour_wib: 16,
            hours: 65,
        }
    }
}

/// The national holidays (17) and cuti bersama days (8) of 2026: SKB of the Ministers of
/// Religious Affairs, Manpower and Administrative Reform No. 1497/2025, 2/2025, 5/2025.
const HOLIDAYS_2026: [(&str, &str, HolidayKind); 25] = {
    use HolidayKind::{CutiBersama as C, National as N};
    [
        ("2026-01-01", "Tahun Baru 2026 Masehi", N),
        ("2026-01-16", "Isra Mikraj Nabi Muhammad SAW", N),
        ("2026-02-16", "Cuti bersama Tahun Baru Imlek", C),
        ("2026-02-17", "Tahun Baru Imlek 2577 Kongzili", N),
        ("2026-03-18", "Cuti bersama Nyepi", C),
        ("2026-03-19", "Hari Suci Nyepi (Tahun Baru Saka 1948)", N),
        ("2026-03-20", "Cuti bersama Idul Fitri", C),
        ("2026-03-21", "Idul Fitri 1447 H", N),
        ("2026-03-22", "Idul Fitri 1447 H", N),
        ("2026-03-23", "Cuti bersama Idul Fitri", C),
        ("2026-03-24", "Cuti bersama Idul Fitri", C),
        ("2026-04-03", "Wafat Yesus Kristus", N),
        ("2026-04-05", "Kebangkitan Yesus Kristus (Paskah)", N),
        ("2026-05-01", "Hari Buruh Internasional", N),
        ("2026-05-14", "Kenaikan Yesus Kristus", N),
        ("2026-05-15", "Cuti bersama Kenaikan Yesus Kristus", C),
        ("2026-05-27", "Idul Adha 1447 H", N),
        ("2026-05-28", "Cuti bersama Idul Adha", C),
        ("2026-05-31", "Hari Raya Waisak 2570 BE", N),
        ("2026-06-01", "Hari Lahir Pancasila", N),
        ("2026-06-16", "1 Muharam Tahun Baru Islam 1448 H", N),
        ("2026-08-17", "Proklamasi Kemerdekaan", N),
        ("2026-08-25", "Maulid Nabi Muhammad SAW", N),
        ("2026-12-24", "Cuti bersama Kelahiran Yesus Kristus", C),
        ("2026-12-25", "Kelahiran Yesus Kristus", N),
    ]
};

impl Default for CalendarConfig {
    fn default() -> Self {
        Self {
            covered_years: vec![2026],
            reopen_hour_wib: 9,
            holidays: HOLIDAYS_2026
                .iter()
                .filter_map(|&(date, name, kind)| {
                    Some(Holiday {
                        date: date.parse().ok()?,
                        name: name.to_owned(),
                        kind,
                    })
                })
                .collect(),
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
                institutional_front_share: 0.0,
                institutional_front_decay_hours: 4.0,
                retail_calm_rate_per_day: 0.01,
                retail_panic_rate_per_day: 0.01,
                retail_ramp_hours: 6.0,
                retail_hourly_cv: 0.35,
                retail_weekend_cv: 0.25,
                jump_fraction_mean: 0.25,
                jump_fraction_concentration: 4.0,
                intensity_cv: 0.25,
                expected_share_low: 0.005,
                expected_share_high: 0.04,
            },
            mild: ScenarioConfig {
                institutional_rate_per_day: 2.0,
                institutional_lead_hours: 3.0,
                institutional_front_share: 0.5,
                institutional_front_decay_hours: 3.0,
                retail_calm_rate_per_day: 0.01,
                retail_panic_rate_per_day: 0.05,
                retail_ramp_hours: 6.0,
                retail_hourly_cv: 0.35,
                retail_weekend_cv: 0.25,
                jump_fraction_mean: 0.4,
                jump_fraction_concentration: 4.0,
                intensity_cv: 0.3,
                expected_share_low: 0.05,
                expected_share_high: 0.08,
            },
            severe: ScenarioConfig {
                institutional_rate_per_day: 6.0,
                institutional_lead_hours: 6.0,
                institutional_front_share: 0.6,
                institutional_front_decay_hours: 4.0,
                retail_calm_rate_per_day: 0.01,
                retail_panic_rate_per_day: 0.12,
                retail_ramp_hours: 6.0,
                retail_hourly_cv: 0.35,
                retail_weekend_cv: 0.25,
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
            target_shortfall_probability: 0.01,
            precision_relative_error: 0.1,
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

    /// The dated bank-rail calendar of `[calendar]`, closing at `window.rails_close_hour_wib`.
    pub fn rail_calendar(&self) -> Result<crate::model::rails::RailCalendar, ConfigError> {
        crate::model::rails::RailCalendar::new(&self.calendar, self.window.rails_close_hour_wib)
            .map_err(in_section("calendar"))
    }

    /// Checks every section; the first violated field is reported with its section path.
    /// The range tables live with the models that own the parameters.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.user_base.validate().map_err(in_section("user_base"))?;
        check(&self.window.bounds()).map_err(in_section("window"))?;
        self.rail_calendar()?;
        check(&self.simulation.bounds()).map_err(in_section("simulation"))?;
        for name in ScenarioName::ALL {
            ScenarioLaws::new(self.scenarios.get(name), self.window.hours)
                .map_err(in_section(&format!("scenarios.{name}")))?;
        }
        check(&self.reserve.bounds()).map_err(in_section("reserve"))?;
        check(&[bound("usd_idr", self.fx.usd_idr, Allowed::Positive)]).map_err(in_section("fx"))?;
        self.monitor.validate()?;
        self.access.validate().map_err(in_section("access"))?;
        risk::validate(
            &self.market,
            &self.insurance_fund,
            &self.solvency,
            &self.tiers,
        )
    }
}

impl SimulationConfig {
    /// The allowed range of every field.
    fn bounds(&self) -> Vec<Bound> {
        vec![
            bound(
                "paths",
                f64::from(self.paths),
                Allowed::Closed(1.0, 50_000_000.0),
            ),
            bound(
                "threads",
                f64::from(self.threads),
                Allowed::Closed(0.0, 1024.0),
            ),
        ]
    }
}

impl ReserveConfig {
    /// The allowed range of every numeric field; each range's high end is at least its low end.
    fn bounds(&self) -> Vec<Bound> {
        vec![
            bound(
                "opportunity_yield_low",
                self.opportunity_yield_low,
                Allowed::OpenUnit,
            ),
            bound(
                "opportunity_yield_high",
                self.opportunity_yield_high,
                Allowed::Closed(self.opportunity_yield_low, 1.0),
            ),
            bound(
                "emergency_cost_low",
                self.emergency_cost_low,
                Allowed::OpenUnit,
            ),
            bound(
                "emergency_cost_high",
                self.emergency_cost_high,
                Allowed::Closed(self.emergency_cost_low, 5.0),
            ),
            bound(
                "rule_of_thumb_share",
                self.rule_of_thumb_share,
                Allowed::OpenUnit,
            ),
            bound(
                "frontier_step_share",
                self.frontier_step_share,
                Allowed::Closed(0.001, 0.5),
            ),
            bound(
                "target_shortfall_probability",
                self.target_shortfall_probability,
                Allowed::OpenUnit,
            ),
            bound(
                "precision_relative_error",
                self.precision_relative_error,
                Allowed::OpenUnit,
            ),
        ]
    }
}

/// Maps a model's [`ParamError`] to a config error whose field carries the section `prefix`.
fn in_section(prefix: &str) -> impl Fn(ParamError) -> ConfigError + '_ {
    move |e| e.within_section(prefix).into()
}

impl From<ParamError> for ConfigError {
    /// A model's error whose field already carries its section path.
    fn from(e: ParamError) -> Self {
        ConfigError::Invalid {
            field: e.field,
            value: e.value,
            allowed: e.allowed,
        }
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
    /// Hours (event time) a value must stay above an alert's firing level before the alert
    /// fires or escalates (0 = at the first projection above it).
    pub alert_persistence_hours: f64,
    /// P(mild or severe scenario) at which "institutional lead detected" fires.
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
    /// Largest plausible single event (withdrawal or deposit), IDR: an event above it is
    /// rejected (INVALID_ARGUMENT on `amount_minor`, stating the limit).
    pub max_event_amount_idr: u64,
    /// Prior probability of the normal scenario; the three priors sum to 1.
    #[serde(alias = "regime_prior_normal")]
    pub scenario_prior_normal: f64,
    /// Prior probability of the mild scenario.
    #[serde(alias = "regime_prior_mild")]
    pub scenario_prior_mild: f64,
    /// Prior probability of the severe scenario.
    #[serde(alias = "regime_prior_severe")]
    pub scenario_prior_severe: f64,
    /// Minutes an event may lie after the server clock and still be accepted.
    pub max_clock_skew_minutes: f64,
    /// Days an event may lie before the server clock and still be accepted.
    pub max_event_age_days: f64,
    /// Largest number of events made durable by one fsync (group commit).
    pub group_commit_max_events: u32,
    /// Messages buffered per projection or alert subscriber before it starts missing some.
    pub subscriber_buffer: u32,
    /// Events committed after which a snapshot is taken even if no window closed (bounds
    /// the log a restart replays).
    pub snapshot_every_events: u32,
    /// Days of event time the log keeps before the newest snapshot; older segments and
    /// snapshots are removed at a checkpoint.
    pub store_retention_days: f64,
    /// Absolute URL of the runbook page (deploy/README.md as published); every alert's
    /// `runbook_url` is this plus `#<alertname in lower case>`. Exported as
    /// `sentinel_runbook_info{base_url}`, which the Prometheus rules read.
    pub runbook_base_url: String,
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
            breach_critical_probability: 0.5,
            alert_clear_ratio: 0.8,
            alert_resolve_hours: 1.0,
            alert_persistence_hours: 0.0,
            lead_detected_probability: 0.8,
            lead_min_institutional_arrivals: 1,
            tti_alert_hours: 12.0,
            tti_clear_margin_hours: 2.0,
            stale_feed_minutes: 15.0,
            initial_reserve_idr: 79_500_000_000,
            unspecified_institutional_min_idr: 500_000_000,
            max_event_amount_idr: 795_000_000_000,
            scenario_prior_normal: 0.85,
            scenario_prior_mild: 0.12,
            scenario_prior_severe: 0.03,
            max_clock_skew_minutes: 5.0,
            max_event_age_days: 35.0,
            group_commit_max_events: 8_192,
            subscriber_buffer: 256,
            snapshot_every_events: 200_000,
            store_retention_days: 90.0,
            runbook_base_url: "http://127.0.0.1:9464/runbook".to_owned(),
        }
    }
}

impl MonitorConfig {
    /// Event time over which a repeated `event_id` can still arrive, ms: the oldest event
    /// accepted (`max_event_age_days`) plus the clock skew allowed
    /// ([`crate::monitor::dedup`]).
    pub fn dedup_horizon_ms(&self) -> i64 {
        ((self.max_event_age_days * 24.0 * 60.0 + self.max_clock_skew_minutes) * 60_000.0).ceil()
            as i64
    }

    /// Checks every monitor field: addresses, the data directory, ranges and priors summing to 1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.check_addresses().map_err(in_section("monitor"))?;
        self.check_runbook_base_url()
            .map_err(in_section("monitor"))?;
        check(&self.bounds()).map_err(in_section("monitor"))?;
        let priors =
            self.scenario_prior_normal + self.scenario_prior_mild + self.scenario_prior_severe;
        sums_to_one(
            "scenario_prior_severe",
            self.scenario_prior_severe.to_string(),
            priors,
            "scenario priors",
        )
        .map_err(in_section("monitor"))
    }

    /// Socket addresses that parse and a non-empty data directory.
    fn check_addresses(&self) -> Result<(), ParamError> {
        for (field, addr) in [
            ("grpc_addr", &self.grpc_addr),
            ("metrics_addr", &self.metrics_addr),
        ] {
            if addr.parse::<std::net::SocketAddr>().is_err() {
                return Err(ParamError::new(
                    field,
                    format!("{addr:?}"),
                    "a socket address such as 127.0.0.1:50051",
                ));
            }
        }
        if self.data_dir.trim().is_empty() {
            return Err(ParamError::new(
                "data_dir",
                format!("{:?}", self.data_dir),
                "a non-empty directory path",
            ));
        }
        Ok(())
    }

    /// An absolute http(s) URL without whitespace or quotes (it goes into alert links).
    fn check_runbook_base_url(&self) -> Result<(), ParamError> {
        let url = &self.runbook_base_url;
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        let clean = !url.contains(|c: char| c.is_whitespace() || c == '"' || c == '#');
        match rest {
            Some(host) if clean && !host.is_empty() && !host.starts_with('/') => Ok(()),
            _ => Err(ParamError::new(
                "runbook_base_url",
                format!("{url:?}"),
                "an absolute http(s) URL without a fragment, e.g. https://wiki.example.com/sentinel/runbook",
            )),
        }
    }

    /// The allowed range of every numeric field.
    // Long because it is a table: one row per monitor field, no logic.
    fn bounds(&self) -> Vec<Bound> {
        let day_hours = Allowed::Closed(0.0, 24.0);
        let count = Allowed::Closed(1.0, 1_000_000.0);
        vec![
            bound("paths", f64::from(self.paths), Allowed::Closed(100.0, 1e7)),
            bound(
                "target_breach_probability",
                self.target_breach_probability,
                Allowed::OpenUnit,
            ),
            bound(
                "breach_warn_probability",
                self.breach_warn_probability,
                Allowed::OpenUnit,
            ),
            bound(
                "breach_critical_probability",
                self.breach_critical_probability,
                Allowed::Closed(self.breach_warn_probability, 1.0),
            ),
            bound(
                "alert_clear_ratio",
                self.alert_clear_ratio,
                Allowed::OpenUnit,
            ),
            bound("alert_resolve_hours", self.alert_resolve_hours, day_hours),
            bound(
                "alert_persistence_hours",
                self.alert_persistence_hours,
                day_hours,
            ),
            bound(
                "lead_detected_probability",
                self.lead_detected_probability,
                Allowed::OpenUnit,
            ),
            bound(
                "lead_min_institutional_arrivals",
                f64::from(self.lead_min_institutional_arrivals),
                Allowed::Closed(0.0, 1_000.0),
            ),
            bound(
                "tti_alert_hours",
                self.tti_alert_hours,
                Allowed::Closed(0.0, 24.0 * 14.0),
            ),
            bound(
                "tti_clear_margin_hours",
                self.tti_clear_margin_hours,
                day_hours,
            ),
            bound(
                "stale_feed_minutes",
                self.stale_feed_minutes,
                Allowed::Closed(0.1, 24.0 * 60.0),
            ),
            bound(
                "unspecified_institutional_min_idr",
                self.unspecified_institutional_min_idr as f64,
                Allowed::AtLeast(1.0),
            ),
            bound(
                "max_event_amount_idr",
                self.max_event_amount_idr as f64,
                // Up to the wire's largest amount (monitor::event::MAX_AMOUNT_MINOR / 100).
                Allowed::Closed(1.0, 1e16),
            ),
            bound(
                "scenario_prior_normal",
                self.scenario_prior_normal,
                Allowed::OpenUnit,
            ),
            bound(
                "scenario_prior_mild",
                self.scenario_prior_mild,
                Allowed::OpenUnit,
            ),
            bound(
                "scenario_prior_severe",
                self.scenario_prior_severe,
                Allowed::OpenUnit,
            ),
            bound(
                "max_clock_skew_minutes",
                self.max_clock_skew_minutes,
                Allowed::Closed(0.0, 24.0 * 60.0),
            ),
            bound(
                "max_event_age_days",
                self.max_event_age_days,
                Allowed::Closed(1.0, 3_660.0),
            ),
            bound(
                "group_commit_max_events",
                f64::from(self.group_commit_max_events),
                count,
            ),
            bound(
                "subscriber_buffer",
                f64::from(self.subscriber_buffer),
                count,
            ),
            bound(
                "snapshot_every_events",
                f64::from(self.snapshot_every_events),
                Allowed::AtLeast(1_000.0),
            ),
            bound(
                "store_retention_days",
                self.store_retention_days,
                Allowed::Closed(7.0, 3_660.0),
            ),
        ]
    }
}
