//! A bad config is refused with the field, the value and the allowed range.

use sentinel::config::{Config, ConfigError};

fn refused(toml: &str) -> (String, String, String) {
    match Config::from_toml_str(toml) {
        Err(ConfigError::Invalid {
            field,
            value,
            allowed,
        }) => (field, value, allowed),
        other => panic!("expected a range error for {toml:?}, got {other:?}"),
    }
}

#[test]
fn negative_rate_is_refused_naming_the_field() {
    let (field, value, allowed) = refused(
        "[scenarios.severe]\ninstitutional_rate_per_day = -1.0\ninstitutional_lead_hours = 6.0\ninstitutional_front_share = 0.6\ninstitutional_front_decay_hours = 4.0\n\
         retail_calm_rate_per_day = 0.01\nretail_panic_rate_per_day = 0.12\nretail_ramp_hours = 6.0\n\
         retail_hourly_cv = 0.35\nretail_weekend_cv = 0.25\njump_fraction_mean = 0.8\njump_fraction_concentration = 3.0\n\
         intensity_cv = 0.35\nexpected_share_low = 0.2\nexpected_share_high = 0.4\n",
    );
    assert_eq!(field, "scenarios.severe.institutional_rate_per_day");
    assert_eq!(value, "-1");
    assert_eq!(allowed, "[0, 1000]");
}

#[test]
fn probability_outside_unit_interval_is_refused() {
    let (field, value, _) = refused("[reserve]\nrule_of_thumb_share = 1.5\n");
    assert_eq!(
        (field.as_str(), value.as_str()),
        ("reserve.rule_of_thumb_share", "1.5")
    );
}

#[test]
fn cohort_shares_must_add_up() {
    let (field, _, allowed) =
        refused("[user_base.retail]\naccount_share = 0.9\nbalance_share = 0.35\nlog_sigma = 1.8\n");
    assert_eq!(field, "user_base.institutional.account_share");
    assert!(allowed.contains("summing to 1"), "{allowed}");
}

#[test]
fn zero_paths_and_an_empty_window_are_refused() {
    assert_eq!(refused("[simulation]\npaths = 0\n").0, "simulation.paths");
    assert_eq!(refused("[window]\nhours = 0\n").0, "window.hours");
}

#[test]
fn a_lead_longer_than_the_window_is_refused() {
    let (field, _, allowed) = refused(
        "[scenarios.mild]\ninstitutional_rate_per_day = 2.0\n\
         institutional_lead_hours = 70.0\ninstitutional_front_share = 0.6\ninstitutional_front_decay_hours = 4.0\nretail_calm_rate_per_day = 0.01\n\
         retail_panic_rate_per_day = 0.05\nretail_ramp_hours = 6.0\nretail_hourly_cv = 0.35\nretail_weekend_cv = 0.25\n\
         jump_fraction_mean = 0.4\njump_fraction_concentration = 4.0\nintensity_cv = 0.3\n\
         expected_share_low = 0.04\nexpected_share_high = 0.1\n",
    );
    assert_eq!(field, "scenarios.mild.institutional_lead_hours");
    assert_eq!(allowed, "[0, 65]");
}

#[test]
fn an_unknown_weekday_cannot_be_parsed_and_the_old_key_still_reads() {
    match Config::from_toml_str("[window]\nrails_close_weekday = \"funday\"\n") {
        Err(ConfigError::Syntax(message)) => {
            assert!(
                message.contains("funday") && message.contains("friday"),
                "{message}"
            )
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    let old =
        Config::from_toml_str("[window]\nopens_weekday = \"thursday\"\nopens_hour_wib = 15\n")
            .unwrap();
    assert_eq!(
        old.window.rails_close_weekday,
        sentinel::config::Weekday::Thursday
    );
    assert_eq!(old.window.rails_close_hour_wib, 15);
}

#[test]
fn unknown_fields_and_wrong_types_are_syntax_errors() {
    assert!(
        matches!(Config::from_toml_str("[simulation]\npath = 10\n"), Err(ConfigError::Syntax(m)) if m.contains("path"))
    );
    assert!(matches!(
        Config::from_toml_str("[simulation]\npaths = \"many\"\n"),
        Err(ConfigError::Syntax(_))
    ));
}

#[test]
fn the_message_reads_as_one_sentence() {
    let error = Config::from_toml_str("[fx]\nusd_idr = -3.0\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid config: fx.usd_idr = -3 (allowed: > 0)"
    );
}

#[test]
fn the_printed_default_toml_round_trips() {
    assert_eq!(
        Config::from_toml_str(&Config::default_toml()).unwrap(),
        Config::default()
    );
}
