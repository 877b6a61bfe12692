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
    fn sizes_are_iec() {
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(0), "0 B");
    }
}
