//! Keeps ARCHITECTURE.md true: every `crate::` (or, in the binary, `sentinel::`) path in
//! `src/` must follow the dependency table of ARCHITECTURE.md ("Dependency rules"), and no
//! function in `src/` may run over 80 lines unless a comment right above it says why
//! ("Long because …"). Test modules (`#[cfg(test)]` at the end of a file) are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest function allowed without a written reason, lines.
const MAX_FUNCTION_LINES: usize = 80;

fn src_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files.sort();
    files
}

/// The module a file belongs to: its first path component under `src/`; `main.rs` and
/// `cli/` are the binary, `bin`. `lib.rs` is the crate root (`None`).
fn module_of(path: &Path) -> Option<String> {
    let rel = path
        .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
        .unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.as_str() {
        "lib.rs" => None,
        "main.rs" | "cli" => Some("bin".into()),
        other => Some(other.trim_end_matches(".rs").to_owned()),
    }
}

/// The code of a file without its trailing test module and without comments.
fn production_lines(text: &str) -> Vec<&str> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    code.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect()
}

/// Modules named after `prefix` (`crate::` or `sentinel::`) in `line`.
fn referenced_modules(line: &str, prefix: &str) -> Vec<String> {
    line.match_indices(prefix)
        .filter(|(i, _)| {
            let before = line[..*i].chars().last();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(i, _)| {
            line[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// The "Dependency rules" table of ARCHITECTURE.md: module → modules it may use.
fn documented_rules() -> BTreeMap<String, BTreeSet<String>> {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    let section = doc
        .split("## Dependency rules")
        .nth(1)
        .expect("ARCHITECTURE.md has a `## Dependency rules` section");
    let names = |cell: &str| -> BTreeSet<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect()
    };
    section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').collect();
            let module = names(cells[1]).into_iter().next().unwrap();
            (module, names(cells[2]))
        })
        .collect()
}

#[test]
fn every_import_follows_the_documented_direction() {
    let rules = documented_rules();
    assert!(rules.contains_key("model") && rules.contains_key("bin"));
    let mut violations = Vec::new();
    for path in src_files() {
        let Some(module) = module_of(&path) else {
            continue;
        };
        let allowed = rules
            .get(&module)
            .unwrap_or_else(|| panic!("module `{module}` is missing from the table"));
        let prefix = if module == "bin" {
            "sentinel::"
        } else {
            "crate::"
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in production_lines(&text).iter().enumerate() {
            for used in referenced_modules(line, prefix) {
                if used != module && !allowed.contains(&used) {
                    violations.push(format!(
                        "{}:{}: `{module}` uses `{used}`",
                        path.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_dependency_table_has_no_cycle() {
    let rules = documented_rules();
    fn reaches(rules: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
        let mut stack = vec![from.to_owned()];
        let mut seen = BTreeSet::new();
        while let Some(m) = stack.pop() {
            for next in rules.get(&m).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        false
    }
    for module in rules.keys() {
        assert!(
            !reaches(&rules, module, module),
            "`{module}` depends on itself"
        );
    }
}

/// Line count of every function starting at a line that opens `fn`, by brace depth.
fn function_lengths(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let opens_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "async fn ",
        ]
        .iter()
        .any(|p| trimmed.starts_with(p))
            || trimmed.starts_with("pub async fn ");
        if !opens_fn || trimmed.trim_end().ends_with(';') {
            continue;
        }
        let mut depth = 0i64;
        let mut opened = false;
        for (offset, body) in lines[start..].iter().enumerate() {
            let code = strip_literals(body);
            depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            opened |= code.contains('{');
            if opened && depth <= 0 {
                out.push((start, offset + 1));
                break;
            }
        }
    }
    out
}

/// `line` without the contents of string and char literals.
fn strip_literals(line: &str) -> String {
    let mut out = String::new();
    let mut in_string = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (true, '\\') => {
                chars.next();
            }
            (_, '"') => in_string = !in_string,
            (false, '\'') if chars.peek().is_some_and(|&n| n == '{' || n == '}') => {
                chars.next();
            }
            (false, _) => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn no_function_runs_over_80_lines_without_a_reason() {
    let mut long = Vec::new();
    for path in src_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let lines: Vec<&str> = code.lines().collect();
        for (start, length) in function_lengths(&lines) {
            let reason_above = lines[..start]
                .iter()
                .rev()
                .take_while(|l| {
                    let t = l.trim_start();
                    t.starts_with("//") || t.starts_with("#[")
                })
                .any(|l| l.contains("Long because"));
            if length > MAX_FUNCTION_LINES && !reason_above {
                long.push(format!("{}:{} ({length} lines)", path.display(), start + 1));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
}
