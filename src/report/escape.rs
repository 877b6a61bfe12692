//! Making untrusted text safe for a terminal. File names, commands, labels and env values come
//! from the image; printed raw, an ESC, OSC 52 or `\r` in them could rewrite the screen or the
//! clipboard. Control characters are shown escaped (`\x1b`, `\r`, `\u{9b}`) instead.

use std::borrow::Cow;
use std::fmt::Write;

pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
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
    let unsafe_char = |c: char| c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c);
    if !json.chars().any(unsafe_char) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

pub use crate::units::human_size;

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
    fn json_keeps_its_meaning_without_c1_controls() {
        let doc = serde_json::json!({"name": "csi\u{9b}2J del\u{7f} esc\u{1b} é"});
        let safe = json_terminal_safe(serde_json::to_string(&doc).unwrap());
        assert_eq!(safe, r#"{"name":"csi\u009b2J del\u007f esc\u001b é"}"#);
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn sizes_are_iec() {
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(0), "0 B");
    }
}
