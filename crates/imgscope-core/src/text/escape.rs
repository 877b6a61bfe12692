//! Making untrusted text safe for a terminal and a CI log. File names, commands, labels and env
//! values come from the image; printed raw, an ESC, OSC 52 or `\r` in them could rewrite the screen
//! or the clipboard, a bidi override or zero-width character could show one name as another, and
//! a GitHub Actions workflow command (`::stop-commands::`, `::add-mask::` at a line's start, the
//! legacy `##[…]` anywhere) could steer the CI job reading the log. Control, bidi and zero-width
//! characters are shown escaped (`\x1b`, `\r`, `\u{9b}`, `\u{202e}`); a `::` that would start a
//! line and every `##[` are broken with an escaped first character (`\x3a:`, `\x23#[`).

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that change how text around them is shown without being seen: bidi embeddings,
/// overrides and isolates, the Arabic letter mark, zero-width spaces and joiners, the byte-order
/// mark, and the line and paragraph separators.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}'
        | '\u{feff}'
    )
}

pub fn escape_control(s: &str) -> Cow<'_, str> {
    let leading_command = s.trim_start_matches([' ', '\t']).starts_with("::");
    if !leading_command
        && !s.contains("##[")
        && !s.chars().any(|c| c.is_control() || is_invisible_format(c))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let lead = s.len() - s.trim_start_matches([' ', '\t']).len();
    for (i, c) in s.char_indices() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ':' if leading_command && i == lead => out.push_str("\\x3a"),
            '#' if s[i..].starts_with("##[") => out.push_str("\\x23"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || is_invisible_format(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Make serialized JSON safe for a terminal too: serde_json escapes only the C0 controls, so DEL
/// and the C1 controls (U+0080..U+009F, e.g. U+009B, a one-character CSI) are written `\u009b`
/// here. JSON text holds non-ASCII characters only inside strings, so the document means the same.
pub fn json_terminal_safe(json: String) -> String {
    let unsafe_char =
        |c: char| c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) || is_invisible_format(c);
    if !json.chars().any(unsafe_char) && !json.contains("##[") {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for (i, c) in json.char_indices() {
        // `##[` only ever stands inside a string: `\u0023` is the same `#` to a JSON reader.
        if unsafe_char(c) || (c == '#' && json[i..].starts_with("##[")) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(escape_control("plain"), "plain");
        assert_eq!(
            escape_control("a\x1b]52;c;ZXZpbA==\x07b"),
            "a\\x1b]52;c;ZXZpbA==\\x07b"
        );
        assert_eq!(escape_control("x\ry"), "x\\ry");
        assert_eq!(escape_control("csi\u{9b}2J"), "csi\\u{9b}2J");
    }

    #[test]
    fn nothing_steers_a_ci_log_or_hides_in_plain_sight() {
        assert_eq!(
            escape_control("::stop-commands::tok"),
            "\\x3a:stop-commands::tok"
        );
        assert_eq!(escape_control("  ::error::x"), "  \\x3a:error::x");
        assert_eq!(escape_control("a ##[add-mask]b"), "a \\x23#[add-mask]b");
        // A `::` inside a line starts no command: left as it is.
        assert_eq!(
            escape_control("/usr/share/man/man3/Foo::Bar.3pm.gz"),
            "/usr/share/man/man3/Foo::Bar.3pm.gz"
        );
        assert_eq!(
            escape_control("evil\u{202e}gpj.exe"),
            "evil\\u{202e}gpj.exe"
        );
        assert_eq!(escape_control("a\u{200b}b\u{feff}"), "a\\u{200b}b\\u{feff}");
        let doc = serde_json::json!({"name": "##[add-mask]x \u{202e}"});
        let safe = json_terminal_safe(serde_json::to_string(&doc).unwrap());
        assert!(
            !safe.contains("##[") && !safe.contains('\u{202e}'),
            "{safe}"
        );
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn json_keeps_its_meaning_without_c1_controls() {
        let doc = serde_json::json!({"name": "csi\u{9b}2J del\u{7f} esc\u{1b} é"});
        let safe = json_terminal_safe(serde_json::to_string(&doc).unwrap());
        assert_eq!(safe, r#"{"name":"csi\u009b2J del\u007f esc\u001b é"}"#);
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc);
    }
}
