//! The one way a document becomes text: every JSON document imgscope prints (the report with or
//! without gates, the diff, the history series) goes through [`to_printable_string`], so all are
//! indented alike, end alike and are alike safe to print.

use serde::Serialize;

/// `doc` as pretty JSON with one line feed at the end, safe to print on a terminal or into a CI
/// log: serde_json leaves DEL and the C1 controls (U+009B is a one-character CSI) raw, which
/// `crate::text::json_terminal_safe` escapes.
pub fn to_printable_string<T: Serialize + ?Sized>(doc: &T) -> serde_json::Result<String> {
    let mut s = serde_json::to_string_pretty(doc)?;
    s.push('\n');
    Ok(crate::text::json_terminal_safe(s))
}
