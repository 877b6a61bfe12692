//! Gate results for a CI log: one line per rule with its verdict, the measured value, the threshold
//! and where the rule came from; and GitHub Actions `::error` annotations for the failed rules.
//! Every string that came from the image or a config file goes through [`escape_control`](crate::text::escape_control).

use std::fmt::Write;

use crate::gate::{Evaluation, RuleResult, Verdict};
use crate::model::Image;
use crate::text::escape_control as esc;

/// The value column of a result: the measurement, or `—` when the rule was skipped.
pub fn value_text(r: &RuleResult) -> String {
    r.value.map_or_else(|| "—".to_string(), |v| v.human())
}

/// `12 rules: 1 failed, 10 passed, 1 skipped`.
pub fn tally(e: &Evaluation) -> String {
    format!(
        "{} failed, {} passed, {} skipped",
        e.failed(),
        e.passed(),
        e.skipped()
    )
}

/// The gate block for one image.
pub fn text(image: &Image, e: &Evaluation) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Gates       {} ({})",
        esc(image.display_name()),
        image.source.label()
    );
    let sources = e.sources();
    if !sources.is_empty() {
        let _ = writeln!(out, "Rules from  {}", esc(&sources.join(", ")));
    }
    if let Some(b) = &e.baseline {
        let _ = writeln!(
            out,
            "Baseline    {}: {}",
            esc(b.name.as_deref().unwrap_or(&b.input)),
            super::rows::sizes(b.size, b.compressed_size)
        );
    }
    if e.results.is_empty() {
        let _ = writeln!(
            out,
            "  no rules configured: pass --max-size, --max-reclaimable, … or write .imgscope.toml"
        );
    }
    let rows: Vec<[String; 4]> = e
        .results
        .iter()
        .map(|r| {
            [
                esc(&r.rule.kind.label()).into_owned(),
                value_text(r),
                esc(&r.threshold_human()).into_owned(),
                esc(&r.rule.source.to_string()).into_owned(),
            ]
        })
        .collect();
    let width = |i: usize| {
        rows.iter()
            .map(|row| row[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    for (r, row) in e.results.iter().zip(&rows) {
        let mut line = format!(
            "  {}  {:<w0$}  {:<w1$}  {:<w2$}  {}",
            r.verdict.label(),
            row[0],
            row[1],
            row[2],
            row[3]
        );
        if let Some(note) = &r.note {
            let _ = write!(line, "  ({})", esc(note));
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(out, "Result      {} ({})", e.verdict().label(), tally(e));
    out
}

/// Escape a GitHub workflow-command message.
fn gh_data(s: &str) -> String {
    esc(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a GitHub workflow-command property (also `:` and `,`).
fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One `::error` line per failed rule.
pub fn github_annotations(image: &Image, e: &Evaluation) -> String {
    let mut out = String::new();
    for r in e.results.iter().filter(|r| r.verdict == Verdict::Fail) {
        let title = format!("imgscope {}", r.rule.kind.name());
        let mut message = format!(
            "{}: {} is {}, the limit is {} (from {})",
            image.display_name(),
            r.rule.kind.label(),
            value_text(r),
            r.threshold_human(),
            r.rule.source
        );
        if let Some(note) = &r.note {
            let _ = write!(message, "; {note}");
        }
        let _ = writeln!(
            out,
            "::error title={}::{}",
            gh_property(&title),
            gh_data(&message)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_cannot_be_injected() {
        assert_eq!(gh_data("a\nb%"), "a\\nb%25");
        assert_eq!(gh_property("x:y,z"), "x%3Ay%2Cz");
        assert_eq!(gh_data("\u{1b}[2J::warning::x"), "\\x1b[2J::warning::x");
    }
}
