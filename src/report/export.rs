//! Each table as CSV: a header row with units in the column names, amounts in whole rupiah.

use std::path::{Path, PathBuf};

use super::ReportError;
use super::tables::{Cell, Kind, Table};

/// The CSV header of `table`.
pub fn header(table: &Table) -> Vec<String> {
    table
        .columns
        .iter()
        .flat_map(|c| {
            let k = c.key;
            match c.kind {
                Kind::Text | Kind::Number => vec![k.to_owned()],
                Kind::Idr => vec![format!("{k}_idr")],
                Kind::IdrCi => vec![
                    format!("{k}_idr"),
                    format!("{k}_ci95_low_idr"),
                    format!("{k}_ci95_high_idr"),
                ],
                Kind::Share => vec![format!("{k}_share")],
                Kind::ProbCi => vec![
                    format!("{k}_probability"),
                    format!("{k}_ci95_low_probability"),
                    format!("{k}_ci95_high_probability"),
                ],
                Kind::Hours => vec![format!("{k}_hours")],
            }
        })
        .collect()
}

/// A number as CSV: whole rupiah for amounts, full precision otherwise; blank for none.
fn number(kind: Kind, x: f64) -> String {
    match (x.is_finite(), kind) {
        (false, _) => String::new(),
        (true, Kind::Idr | Kind::IdrCi) => format!("{:.0}", x.round()),
        (true, _) => x.to_string(),
    }
}

/// The CSV fields of one row of `table`.
pub fn record(table: &Table, row: &[Cell]) -> Vec<String> {
    table
        .columns
        .iter()
        .zip(row)
        .flat_map(|(c, cell)| match cell {
            Cell::Text(s) => vec![s.clone()],
            Cell::Num(x) => vec![number(c.kind, *x)],
            Cell::Ci(x, ci) => vec![
                number(c.kind, *x),
                number(c.kind, ci.low),
                number(c.kind, ci.high),
            ],
            Cell::Hours(h) => vec![h.map_or_else(String::new, |h| h.to_string())],
        })
        .collect()
}

/// Writes every table of `tables` as `<dir>/<stem>.csv`; returns the paths written.
pub fn write_csv(tables: &[Table], dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    tables
        .iter()
        .map(|table| {
            let path = dir.join(format!("{}.csv", table.stem));
            let fail = |e: csv::Error| ReportError::Csv {
                path: path.clone(),
                reason: e.to_string(),
            };
            let mut writer = csv::Writer::from_path(&path).map_err(fail)?;
            writer.write_record(header(table)).map_err(fail)?;
            for row in &table.rows {
                writer.write_record(record(table, row)).map_err(fail)?;
            }
            writer.flush().map_err(|e| ReportError::write(&path, e))?;
            Ok(path)
        })
        .collect()
}
