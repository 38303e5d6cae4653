//! The Grafana dashboards are well-formed for provisioning: they query the `${datasource}`
//! variable (the provisioned Prometheus by default), panel ids are unique, panels fit the 24-column grid, every panel has a query,
//! and the four views treasury asked for are there.

use std::collections::BTreeSet;

fn dashboard() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/grafana/dashboards/weekend-watch.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn provisioned_datasource() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/grafana/provisioning/datasources/prometheus.yml"
    );
    std::fs::read_to_string(path).unwrap()
}

/// Every panel queries the `${datasource}` variable, a Prometheus data source; the
/// provisioned Prometheus is the default, so the dashboard opens on it.
#[test]
fn panels_use_the_datasource_variable_and_prometheus_is_provisioned() {
    let provisioned = provisioned_datasource();
    assert!(provisioned.contains("type: prometheus") && provisioned.contains("isDefault: true"));
    let dashboard = dashboard();
    let variable = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "datasource")
        .expect("a datasource variable");
    assert_eq!(variable["type"], "datasource");
    assert_eq!(variable["query"], "prometheus");
    for panel in dashboard["panels"].as_array().unwrap() {
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(
            panel["datasource"]["uid"], "${datasource}",
            "panel {}",
            panel["title"]
        );
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "panel {} has no query", panel["title"]);
        for target in targets {
            assert_eq!(target["datasource"]["uid"], "${datasource}");
        }
    }
}

#[test]
fn panel_ids_are_unique_and_panels_fit_the_grid() {
    let mut ids = BTreeSet::new();
    for panel in dashboard()["panels"].as_array().unwrap() {
        assert!(
            ids.insert(panel["id"].as_u64().unwrap()),
            "duplicate id {}",
            panel["id"]
        );
        let grid = &panel["gridPos"];
        let (x, w) = (grid["x"].as_u64().unwrap(), grid["w"].as_u64().unwrap());
        assert!(x + w <= 24, "panel {} overflows the grid", panel["title"]);
        assert!(grid["h"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn the_four_views_are_there() {
    let rows: Vec<String> = dashboard()["panels"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "row")
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        rows,
        [
            "Operational status",
            "Withdrawal risk",
            "Solvency",
            "Reserve policy"
        ]
    );
}
