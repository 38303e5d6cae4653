//! Real user data: CSV rows are accepted or refused with the line and field.

use sentinel::config::UserBaseConfig;
use sentinel::model::user_base::{UserBase, UserBaseError};

fn csv_error(text: &str) -> (usize, &'static str, String) {
    match UserBase::from_csv(text) {
        Err(UserBaseError::Csv {
            line,
            field,
            reason,
        }) => (line, field, reason),
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn a_valid_csv_keeps_every_row() {
    let base = UserBase::from_csv(
        "account_id,cohort,balance_idr\na1,retail,1000\na2,institutional,250000\na3,retail,0\n\na4,RETAIL,5.4\n",
    )
    .unwrap();
    assert_eq!(base.retail_balances_idr, vec![1000, 0, 5]);
    assert_eq!(base.institutional_balances_idr, vec![250_000]);
    assert_eq!(base.total_fiat_idr(), 251_005);
}

#[test]
fn bad_rows_name_their_line_and_field() {
    let head = "account_id,cohort,balance_idr\n";
    assert_eq!(csv_error(&format!("{head}a,retail,10\nb,whale,10\n")).0, 3);
    assert_eq!(
        csv_error(&format!("{head}a,retail,10\nb,whale,10\n")).1,
        "cohort"
    );
    assert_eq!(csv_error(&format!("{head}a,retail,-5\n")).1, "balance_idr");
    assert_eq!(
        csv_error(&format!("{head}a,retail,lots\n")).1,
        "balance_idr"
    );
    assert_eq!(csv_error(&format!("{head}a,retail,NaN\n")).1, "balance_idr");
    assert_eq!(csv_error(&format!("{head}a,retail\n")).1, "row");
    assert_eq!(csv_error(&format!("{head},retail,5\n")).1, "account_id");
    let (line, field, reason) = csv_error(&format!("{head}a,retail,1\na,institutional,2\n"));
    assert_eq!((line, field), (3, "account_id"));
    assert!(reason.contains("duplicate"));
    assert_eq!(csv_error("id,balance\n").1, "header");
}

#[test]
fn a_cohort_without_money_is_refused() {
    let result = UserBase::from_csv("account_id,cohort,balance_idr\na,retail,10\n");
    assert!(matches!(result, Err(UserBaseError::Unusable(_))));
}

#[test]
fn cohort_totals_are_kept_exactly() {
    let config = UserBaseConfig::default();
    let base = UserBase::from_cohort_totals(&config, 222_000_000_000, 414_000_000_000).unwrap();
    assert_eq!(base.retail_total_idr(), 222_000_000_000);
    assert_eq!(base.institutional_total_idr(), 414_000_000_000);
    assert!(UserBase::from_cohort_totals(&config, 0, 5).is_err());
}

#[test]
fn the_default_base_is_as_concentrated_as_documented() {
    let c = UserBase::synthetic(&UserBaseConfig::default()).concentration();
    assert!(c.gini > 0.85 && c.gini < 0.97, "gini {}", c.gini);
    assert!(c.top_1pct_share > 0.4, "top 1% {}", c.top_1pct_share);
    let last = c.lorenz.last().unwrap();
    assert_eq!((last.population_share, last.balance_share), (1.0, 1.0));
    assert!(
        c.lorenz
            .windows(2)
            .all(|w| w[1].balance_share >= w[0].balance_share)
    );
}
