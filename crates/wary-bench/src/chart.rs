//! A grouped horizontal bar chart as SVG text: one group per input, one bar per parser.
//! Written by hand because it is ~100 lines and an SVG needs no plotting library.

use std::fmt::Write;

/// Bar colors per series, in order; wary's two series come first and are the reds.
const COLORS: &[&str] = &[
    "#c0392b", "#e67e22", "#2980b9", "#27ae60", "#8e44ad", "#7f8c8d", "#16a085", "#48c9b0",
    "#d4ac0d",
];

/// What to draw.
pub struct Chart<'a> {
    /// The title at the top.
    pub title: &'a str,
    /// The unit of the values, shown after each value.
    pub unit: &'a str,
    /// The series (parsers), in legend order, each with its color's index, so that a parser
    /// keeps its color from chart to chart.
    pub series: &'a [(&'a str, usize)],
    /// Groups (inputs): a label and one value per series (`None`: not measured).
    pub groups: &'a [(String, Vec<Option<f64>>)],
}

const WIDTH: f64 = 960.0;
const LABEL_W: f64 = 170.0;
const BAR_H: f64 = 13.0;
const GROUP_GAP: f64 = 14.0;

/// Renders the chart.
pub fn render(chart: &Chart) -> String {
    let legend_rows = chart.series.len().div_ceil(4);
    let top = 40.0 + legend_rows as f64 * 18.0;
    let group_h = chart.series.len() as f64 * BAR_H + GROUP_GAP;
    let height = top + chart.groups.len() as f64 * group_h + 10.0;
    let max = chart
        .groups
        .iter()
        .flat_map(|(_, v)| v.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let plot_w = WIDTH - LABEL_W - 110.0;
    let scale = if max > 0.0 { plot_w / max } else { 0.0 };

    let mut s = String::new();
    // NOTE: writing to a String cannot fail.
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="15" font-weight="bold">{}</text>"#,
        escape(chart.title)
    );
    for (i, (name, color)) in chart.series.iter().enumerate() {
        let x = 10.0 + (i % 4) as f64 * 230.0;
        let y = 32.0 + (i / 4) as f64 * 18.0;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{y}" width="12" height="12" fill="{}"/><text x="{}" y="{}">{}</text>"#,
            COLORS[color % COLORS.len()],
            x + 16.0,
            y + 10.0,
            escape(name)
        );
    }
    for (g, (label, values)) in chart.groups.iter().enumerate() {
        let y0 = top + g as f64 * group_h;
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{}" text-anchor="end" font-weight="bold">{}</text>"#,
            LABEL_W - 8.0,
            y0 + chart.series.len() as f64 * BAR_H / 2.0 + 4.0,
            escape(label)
        );
        for (i, (value, (_, color))) in values.iter().zip(chart.series).enumerate() {
            let y = y0 + i as f64 * BAR_H;
            match value {
                Some(v) => {
                    let w = (v * scale).max(1.0);
                    let _ = writeln!(
                        s,
                        r#"<rect x="{LABEL_W}" y="{y}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{}">{} {}</text>"#,
                        BAR_H - 2.0,
                        COLORS[color % COLORS.len()],
                        LABEL_W + w + 4.0,
                        y + BAR_H - 3.0,
                        number(*v),
                        escape(chart.unit)
                    );
                }
                None => {
                    let _ = writeln!(
                        s,
                        r##"<text x="{}" y="{}" fill="#999">n/a</text>"##,
                        LABEL_W + 4.0,
                        y + BAR_H - 3.0
                    );
                }
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

/// A value with three significant digits or so.
pub fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_is_well_formed_svg_with_one_bar_per_value() {
        let groups = vec![
            ("a&b".to_string(), vec![Some(100.0), None]),
            ("c".to_string(), vec![Some(50.0), Some(25.0)]),
        ];
        let svg = render(&Chart {
            title: "MB/s <higher is better>",
            unit: "MB/s",
            series: &[("wary", 0), ("quick-xml", 2)],
            groups: &groups,
        });
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let bars: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("height") == Some("11"))
            .map(|n| n.attribute("width").unwrap().parse().unwrap())
            .collect();
        // The largest value spans the whole plot; the others scale with it.
        assert_eq!(bars.len(), 3);
        assert!((bars[0] / bars[1] - 2.0).abs() < 0.01 && (bars[1] / bars[2] - 2.0).abs() < 0.01);
        assert!(svg.contains("n/a"));
    }

    #[test]
    fn numbers_keep_three_digits() {
        assert_eq!(number(1234.4), "1234");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(1.2345), "1.23");
    }
}
