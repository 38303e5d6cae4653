//! `assumptions.md` documents every config field with the code's default, and nothing else.
//! A list of tables (the holiday list) is documented one row per element, `key[i]`.

use std::collections::BTreeMap;

use sentinel::config::Config;

/// Dotted key → TOML value of every leaf of the default config.
fn default_leaves() -> BTreeMap<String, toml::Value> {
    fn walk(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, toml::Value>) {
        match value {
            toml::Value::Table(table) => {
                for (k, v) in table {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            toml::Value::Array(items)
                if !items.is_empty() && items.iter().all(|v| v.is_table()) =>
            {
                for (i, item) in items.iter().enumerate() {
                    out.insert(format!("{prefix}[{i}]"), item.clone());
                }
            }
            leaf => {
                out.insert(prefix.to_owned(), leaf.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(
        "",
        &toml::Value::try_from(Config::default()).unwrap(),
        &mut out,
    );
    out
}

/// Rows `| `key` | `value` | …` of every table in assumptions.md.
fn documented() -> BTreeMap<String, toml::Value> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assumptions.md")).unwrap();
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 6 || !cells[1].starts_with('`') {
            continue;
        }
        let key = cells[1].trim_matches('`').to_owned();
        let literal = cells[2].trim_matches('`');
        let parsed: toml::Table = toml::from_str(&format!("v = {literal}")).unwrap_or_else(|e| {
            panic!(
                "assumptions.md: `{key}` has a default that is not a TOML literal: {literal} ({e})"
            )
        });
        let previous = out.insert(key.clone(), parsed["v"].clone());
        assert!(previous.is_none(), "assumptions.md documents `{key}` twice");
    }
    out
}

#[test]
fn every_config_field_is_documented_with_its_default() {
    let documented = documented();
    let mut problems = Vec::new();
    for (key, value) in default_leaves() {
        match documented.get(&key) {
            None => problems.push(format!(
                "`{key}` (default {value}) is missing from assumptions.md"
            )),
            Some(doc) if doc != &value => problems.push(format!(
                "`{key}`: assumptions.md says {doc}, the code's default is {value}"
            )),
            Some(_) => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn assumptions_md_documents_no_field_the_config_lacks() {
    let leaves = default_leaves();
    let stale: Vec<String> = documented()
        .into_keys()
        .filter(|k| !leaves.contains_key(k))
        .collect();
    assert!(
        stale.is_empty(),
        "documented but not in the config: {stale:?}"
    );
}

#[test]
fn the_documented_defaults_parse_into_the_default_config() {
    // Rebuild a TOML document from the documented values and load it through validation.
    let mut root = toml::Table::new();
    for (key, value) in documented() {
        let mut table = &mut root;
        let parts: Vec<&str> = key.split('.').collect();
        for part in &parts[..parts.len() - 1] {
            table = table
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()))
                .as_table_mut()
                .unwrap();
        }
        let last = parts[parts.len() - 1];
        match last.split_once('[') {
            Some((name, index)) => {
                let i: usize = index.trim_end_matches(']').parse().unwrap();
                let items = table
                    .entry(name.to_owned())
                    .or_insert_with(|| toml::Value::Array(Vec::new()))
                    .as_array_mut()
                    .unwrap();
                if items.len() <= i {
                    items.resize(i + 1, toml::Value::Boolean(false));
                }
                items[i] = value;
            }
            None => {
                table.insert(last.to_owned(), value);
            }
        }
    }
    let config = Config::from_toml_str(&toml::to_string(&root).unwrap()).unwrap();
    assert_eq!(config, Config::default());
}
