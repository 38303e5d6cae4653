//! The self-contained HTML page: inline CSS and SVG, no script, font, image or link that
//! leaves the file.

use std::fmt::Write;

use super::ReportData;
use super::charts::RenderedChart;
use super::money::{idr, idr_usd, pct};
use super::summary::BoardSummary;
use super::tables::{Cell, Kind, Table};

/// The page's style sheet.
const STYLE: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;margin:24px auto;max-width:1240px;\
color:#1b1b1b;background:#fff;line-height:1.45}h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;\
border-bottom:2px solid #1565c0;padding-bottom:4px;margin-top:32px}h3{font-size:16px;margin:8px 0}\
.meta{color:#555;font-size:13px}#board-summary{background:#f3f7fc;border-left:6px solid #1565c0;\
padding:12px 20px}#board-summary p{font-size:16px;margin:8px 0}.limitations{font-size:13px;color:#333}\
figure{margin:20px 0;border:1px solid #ddd;padding:8px}figure svg{width:100%;height:auto;display:block}\
.note{font-size:12px;color:#555}table{border-collapse:collapse;margin:12px 0 24px;font-size:13px}\
caption{text-align:left;font-weight:bold;padding:4px 0}th,td{border:1px solid #ccc;padding:4px 8px}\
th{background:#eef2f7}td.num{text-align:right;white-space:nowrap}pre{font-size:12px;background:#f7f7f7;\
padding:8px;overflow-x:auto}";

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The whole page.
pub fn page(
    data: &ReportData,
    summary: &BoardSummary,
    charts: &[RenderedChart],
    tables: &[Table],
) -> String {
    let mut out = String::with_capacity(1 << 20);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<title>Liquidity Sentinel: weekend liquidity board report</title>\n");
    let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
    header(&mut out, data);
    board_summary(&mut out, summary);
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for chart in charts {
        figure(&mut out, chart);
    }
    out.push_str("</section>\n<section id=\"tables\">\n<h2>Tables</h2>\n");
    out.push_str(
        "<p class=\"note\">Every table, and the series behind the charts, is also \
        written as CSV with amounts in whole rupiah: <code>sentinel report --csv DIR</code>.</p>\n",
    );
    for table in tables.iter().filter(|t| t.in_html) {
        html_table(&mut out, table);
    }
    out.push_str("</section>\n");
    alert_backtest(&mut out, data.alert_backtest);
    out.push_str("</body>\n</html>\n");
    out
}

fn header(out: &mut String, data: &ReportData) {
    let r = data.report;
    let _ = writeln!(
        out,
        "<header>\n<h1>Weekend liquidity: board report</h1>\n<p class=\"meta\">Rails close {} and \
         reopen {} ({} h). {} simulated weekends per scenario, seed {}. Customer fiat {}; \
         USD at Rp {}. Amounts in rupiah (bn = 10<sup>9</sup>, tn = 10<sup>12</sup>) with a \
         dollar reference.</p>\n</header>",
        escape(&r.window_opens),
        escape(&r.window_reopens),
        r.window_hours,
        r.paths,
        r.seed,
        escape(&idr_usd(r.total_fiat_idr as f64, r.usd_idr_rate)),
        thousands(r.usd_idr_rate)
    );
}

/// A whole number with thousands separators, e.g. `15,900`.
fn thousands(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

fn board_summary(out: &mut String, summary: &BoardSummary) {
    out.push_str("<section id=\"board-summary\">\n<h2>Board summary</h2>\n");
    for p in &summary.paragraphs {
        let _ = writeln!(out, "<p>{}</p>", escape(p));
    }
    out.push_str("<h3>Named limitations of the model</h3>\n<ul class=\"limitations\">\n");
    for l in &summary.limitations {
        let _ = writeln!(out, "<li>{}</li>", escape(l));
    }
    out.push_str("</ul>\n</section>\n");
}

/// The SVG for inlining: without the XML namespace attribute (HTML needs none), so the page
/// holds no URL at all.
fn inline_svg(svg: &str) -> String {
    svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "")
}

fn figure(out: &mut String, chart: &RenderedChart) {
    let _ = writeln!(
        out,
        "<figure id=\"chart-{}\" class=\"chart\">\n<figcaption><h3>{}</h3></figcaption>\n{}",
        chart.stem,
        escape(&chart.title),
        inline_svg(&chart.svg)
    );
    if !chart.note.is_empty() {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(&chart.note));
    }
    out.push_str("</figure>\n");
}

/// A cell as the HTML shows it.
fn html_cell(kind: Kind, cell: &Cell) -> String {
    let num = |x: f64| match kind {
        _ if !x.is_finite() => "-".to_owned(),
        Kind::Idr | Kind::IdrCi => idr(x),
        Kind::Share | Kind::ProbCi => pct(x),
        _ if x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
        _ => format!("{x:.3}"),
    };
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Num(x) => num(*x),
        Cell::Ci(x, ci) => format!("{} [{}, {}]", num(*x), num(ci.low), num(ci.high)),
        Cell::Hours(h) => h.map_or_else(|| "-".to_owned(), |h| format!("{h:.0} h")),
    }
}

fn html_table(out: &mut String, table: &Table) {
    let _ = writeln!(
        out,
        "<table id=\"table-{}\">\n<caption>{}</caption>\n<thead><tr>",
        table.stem,
        escape(&table.title)
    );
    for c in &table.columns {
        let _ = write!(out, "<th>{}</th>", escape(&c.heading));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for (c, cell) in table.columns.iter().zip(row) {
            let class = if c.kind == Kind::Text {
                ""
            } else {
                " class=\"num\""
            };
            let _ = write!(out, "<td{class}>{}</td>", escape(&html_cell(c.kind, cell)));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

fn alert_backtest(out: &mut String, text: Option<&str>) {
    let Some(text) = text else { return };
    out.push_str(
        "<section id=\"alert-backtest\">\n<h2>Live monitor: alert backtest \
        (false pages and lead time)</h2>\n",
    );
    let _ = writeln!(out, "<pre>{}</pre>\n</section>", escape(text));
}
