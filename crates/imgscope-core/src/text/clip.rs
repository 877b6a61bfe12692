//! Text cut to fit: at most so many characters (`…` where cut, at the end, the start or the
//! middle), on one line, with a command cleaned as every view shows it. Used by the viewer and
//! every report, so a name or command is shortened the same way everywhere.

use std::borrow::Cow;

use crate::text::escape_control;

/// At most `max` characters of `s`, with `…` when cut.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let cut: String = s.chars().take(max.saturating_sub(1)).collect();
            Cow::Owned(format!("{cut}…"))
        }
    }
}

/// At most `max` columns of `s`: when it is longer, a third from its start and the rest from its
/// end, `…` between — a message keeps what it is about and its cause.
pub fn shorten_middle(s: &str, max: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if s.width() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let room = max - 1;
    let head_w = room / 3;
    let mut head = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > head_w {
            break;
        }
        head.push(c);
        w += cw;
    }
    let tail_w = room - w;
    let mut tail: Vec<char> = Vec::new();
    let mut w = 0;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw > tail_w {
            break;
        }
        tail.push(c);
        w += cw;
    }
    tail.reverse();
    format!("{head}…{}", tail.into_iter().collect::<String>())
}

/// At most `max` characters of `s`, its end kept and `…` in front when cut (image names: the tag
/// is at the end).
pub fn clip_start(s: &str, max: usize) -> Cow<'_, str> {
    let count = s.chars().count();
    if count <= max {
        return Cow::Borrowed(s);
    }
    let keep = max.saturating_sub(1);
    let tail: String = s.chars().skip(count - keep).collect();
    Cow::Owned(format!("…{tail}"))
}

/// `s` on one line (runs of white space folded to one space), shortened to `max` characters with
/// a trailing `…`. The caller escapes it for its format.
pub fn short(s: &str, max: usize) -> String {
    clip(&fold(head(s, max)), max).into_owned()
}

/// [`short`] for a terminal: control characters escaped before shortening.
pub fn one_line(s: &str, max: usize) -> String {
    clip(&escape_control(&fold(head(s, max))), max).into_owned()
}

/// A history command on one line, escaped and clipped: cleaned as every report cleans it
/// ([`super::clean_command`]: `RUN cmd` for the shell wrapper, no `#(nop)`), whitespace runs
/// become one space.
pub fn one_line_command(cmd: &str, max: usize) -> String {
    one_line(&super::clean_command(cmd), max)
}

/// The start of `s` that can matter for `max` characters once folded: a command can be megabytes
/// long, and folding all of it to show 80 characters is waste. Generous, since escaping can only
/// lengthen text and folding removes at most the white space.
fn head(s: &str, max: usize) -> &str {
    let keep = max.saturating_mul(8).max(4096);
    match s.char_indices().nth(keep) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `1 path`, `2 paths`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_start_keeps_the_end() {
        assert_eq!(clip_start("example/app:1", 13), "example/app:1");
        assert_eq!(clip_start("example/app:1", 8), "…e/app:1");
        assert_eq!(clip_start("é/ü:1", 4), "…ü:1");
    }

    #[test]
    fn status_notes_shorten_in_the_middle() {
        let s = "export of /a/b failed: Permission denied";
        assert_eq!(shorten_middle(s, 100), s);
        let short = shorten_middle(s, 30);
        assert_eq!(short.chars().count(), 30);
        assert!(
            short.starts_with("export ") && short.ends_with("Permission denied"),
            "{short}"
        );
    }

    #[test]
    fn commands_on_one_line() {
        assert_eq!(
            one_line_command("/bin/sh -c #(nop) ADD file:abc in / ", 80),
            "ADD file:abc in /"
        );
        assert_eq!(
            one_line_command("/bin/sh -c apt-get update &&\n\tapt-get install x", 80),
            "RUN apt-get update && apt-get install x"
        );
        assert_eq!(
            one_line_command("RUN /bin/sh -c apt-get clean # buildkit", 80),
            "RUN apt-get clean"
        );
        assert_eq!(
            one_line_command("|1 V=2 /bin/sh -c make V=$V", 80),
            "RUN make V=$V"
        );
        assert_eq!(
            one_line_command("COPY a/ /b/ # buildkit", 80),
            "COPY a/ /b/"
        );
        assert_eq!(one_line_command("echo \x1b[2J", 80), "echo \\x1b[2J");
        assert_eq!(one_line_command("abcdef", 4), "abc…");
    }

    #[test]
    fn clip_counts_chars() {
        assert_eq!(clip("héllo", 5), "héllo");
        assert_eq!(clip("héllo", 3), "hé…");
    }
}
