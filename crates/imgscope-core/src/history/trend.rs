//! A name's size over time, drawn for people: the points of a recorded series with what moved at
//! each ([`super::points`]), as a Markdown section (a table and a sparkline) and an HTML section (an inline SVG chart,
//! no external assets, and the table) for `imgscope report --trend`; the viewer's chart
//! (`imgscope history` in a terminal) reads the same points. Pure: records in, text out. Every
//! string from a record (commands, branches, names) is escaped for the format it goes into.

use std::fmt::Write;

use super::Record;
use super::points::{Point, points};
use crate::text::{human_size, short};

/// Points a report draws: the most recent ones.
pub const MAX_POINTS: usize = 60;

/// `▁▂▅█`: each value's height among the others (all equal: a flat line).
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return String::new();
    };
    values
        .iter()
        .map(|&v| {
            if max == min {
                BARS[3]
            } else {
                let step = (u128::from(v - min) * 7 / u128::from(max - min)) as usize;
                BARS[step.min(7)]
            }
        })
        .collect()
}

/// The last [`MAX_POINTS`] of `points`, and how many were left out before them.
fn recent(points: &[Point]) -> (&[Point], usize) {
    let skip = points.len().saturating_sub(MAX_POINTS);
    (&points[skip..], skip)
}

/// The Markdown section: a heading, a sparkline of the size, and one table row per point.
pub fn markdown(name: &str, database: &str, records: &[Record]) -> String {
    use crate::report::markdown::{code, text};
    let all = points(records);
    let (shown, left_out) = recent(&all);
    let mut out = String::new();
    let _ = writeln!(out, "## Size over time\n");
    let sizes: Vec<u64> = shown.iter().map(|p| p.size).collect();
    let _ = writeln!(
        out,
        "{} records of {} in {}{}: {} → {}  {}\n",
        all.len(),
        code(name),
        code(database),
        if left_out > 0 {
            format!(" (the last {} shown)", shown.len())
        } else {
            String::new()
        },
        human_size(shown.first().map_or(0, |p| p.size)),
        human_size(shown.last().map_or(0, |p| p.size)),
        sparkline(&sizes)
    );
    let _ = writeln!(
        out,
        "| # | Recorded | Commit | Branch | Size | Compressed | Reclaimable | Change |\n\
         |---:|---|---|---|---:|---:|---:|---|"
    );
    for p in shown {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            p.id,
            p.when,
            code(&p.short_commit()),
            text(p.branch.as_deref().unwrap_or("-")),
            human_size(p.size),
            human_size(p.compressed),
            human_size(p.reclaimable),
            p.change(|c| code(&short(c, 60)))
        );
    }
    out
}

/// Chart geometry, in SVG user units.
const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 30.0;

/// An inline SVG line chart of the size (solid) and compressed size (dashed) of each point; a
/// point where a layer appeared or grew is filled, and every point has a tooltip.
pub fn svg(name: &str, points: &[Point]) -> String {
    use crate::report::html::h;
    let max = points
        .iter()
        .map(|p| p.size.max(p.compressed))
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |i: usize| {
        if points.len() <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (points.len() - 1) as f64
        }
    };
    let y = |v: u64| TOP + plot_h * (1.0 - v as f64 / max as f64);
    let line = |value: fn(&Point) -> u64| {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(value(p))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"Size of {} over {} records\">",
        h(name),
        points.len()
    );
    let bottom = TOP + plot_h;
    let _ = writeln!(
        out,
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{bottom}\" stroke=\"#8c959f\"/>\
         <line x1=\"{LEFT}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"#8c959f\"/>",
        WIDTH - RIGHT
    );
    for (value, anchor_y) in [(max, TOP + 4.0), (max / 2, y(max / 2) + 4.0), (0, bottom)] {
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{anchor_y:.1}\" text-anchor=\"end\" font-size=\"11\" \
             fill=\"#8c959f\">{}</text>",
            LEFT - 6.0,
            human_size(value)
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = writeln!(
            out,
            "<text x=\"{LEFT}\" y=\"{:.1}\" font-size=\"11\" fill=\"#8c959f\">{}</text>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#8c959f\">{}</text>",
            HEIGHT - 8.0,
            h(&first.when),
            WIDTH - RIGHT,
            HEIGHT - 8.0,
            h(&last.when)
        );
    }
    let _ = writeln!(
        out,
        "<polyline fill=\"none\" stroke=\"#8c959f\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\" \
         points=\"{}\"/>\n<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\" points=\"{}\"/>",
        line(|p| p.compressed),
        line(|p| p.size)
    );
    for (i, p) in points.iter().enumerate() {
        let fill = if p.moved().is_some() {
            "#cf222e"
        } else {
            "#ffffff"
        };
        let _ = writeln!(
            out,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{fill}\" stroke=\"#0969da\">\
             <title>#{} {} · commit {} · {} ({} compressed) · {}</title></circle>",
            x(i),
            y(p.size),
            p.id,
            h(&p.when),
            h(&p.short_commit()),
            human_size(p.size),
            human_size(p.compressed),
            h(&p.change(|c| short(c, 80)))
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The HTML section: the chart and a table of the points.
pub fn html(name: &str, database: &str, records: &[Record]) -> String {
    use crate::report::html::h;
    let all = points(records);
    let (shown, left_out) = recent(&all);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<h2>Size over time</h2>\n<p>{} records of <code>{}</code> in <code>{}</code>{} \
         — size solid, compressed dashed; a filled point is one where a layer appeared or grew.</p>",
        all.len(),
        h(name),
        h(database),
        if left_out > 0 {
            format!(" (the last {} shown)", shown.len())
        } else {
            String::new()
        }
    );
    out.push_str(&svg(name, shown));
    let _ = writeln!(
        out,
        "<table>\n<tr><th>#</th><th>Recorded</th><th>Commit</th><th>Branch</th><th>Size</th>\
         <th>Compressed</th><th>Reclaimable</th><th>Change</th></tr>"
    );
    for p in shown {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"size\">{}</td>\
             <td class=\"size\">{}</td><td class=\"size\">{}</td><td>{}</td></tr>",
            p.id,
            h(&p.when),
            h(&p.short_commit()),
            h(p.branch.as_deref().unwrap_or("-")),
            human_size(p.size),
            human_size(p.compressed),
            human_size(p.reclaimable),
            h(&p.change(|c| short(c, 80)))
        );
    }
    out.push_str("</table>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_spans_the_range() {
        assert_eq!(sparkline(&[1, 5, 9]), "▁▄█");
        assert_eq!(sparkline(&[7, 7]), "▄▄");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[0, u64::MAX]), "▁█");
    }
}
