//! Bytes of an image's package database → bounded strings and lines: the helpers every parser of
//! this folder shares, so that a cap, a truncation or an error reads the same in all of them.

use super::ParseError;
use super::limits::{MAX_INPUT_BYTES, MAX_STRING_BYTES};

/// `"/" + dir + "/" + name` (or `"/" + name` when `dir` is empty), at most [`MAX_STRING_BYTES`]
/// long. `dir` has no leading or trailing slash; leading slashes of `name` are dropped.
pub(super) fn join_path(dir: &[u8], name: &[u8]) -> String {
    let name = trim_leading_slashes(name);
    let dir = &dir[..dir.len().min(MAX_STRING_BYTES)];
    let name = &name[..name.len().min(MAX_STRING_BYTES)];
    let mut path = String::with_capacity((dir.len() + name.len() + 2).min(MAX_STRING_BYTES + 8));
    path.push('/');
    if !dir.is_empty() {
        path.push_str(&String::from_utf8_lossy(dir));
        path.push('/');
    }
    path.push_str(&String::from_utf8_lossy(name));
    truncate(&mut path);
    path
}

pub(super) fn trim_leading_slashes(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    &bytes[start..]
}

pub(super) fn trim_slashes(bytes: &[u8]) -> &[u8] {
    let bytes = trim_leading_slashes(bytes);
    let end = bytes.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    &bytes[..end]
}

/// Bytes → a string of at most [`MAX_STRING_BYTES`] (invalid UTF-8 replaced). Only the first
/// few bytes past the cap are looked at, so a huge field costs no more than a short one.
pub(super) fn text(bytes: &[u8]) -> String {
    // Lossy conversion never shrinks, so a char split by this cut lands past the cap.
    let head = &bytes[..bytes.len().min(MAX_STRING_BYTES + 4)];
    let mut s = String::from_utf8_lossy(head).into_owned();
    truncate(&mut s);
    s
}

pub(super) fn truncate(s: &mut String) {
    if s.len() > MAX_STRING_BYTES {
        let mut end = MAX_STRING_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}

/// An optional field: absent or empty → `None`.
pub(super) fn optional_text(bytes: Option<&[u8]>) -> Option<String> {
    bytes.filter(|b| !b.is_empty()).map(text)
}

pub(super) fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 20 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

pub(super) fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|&b| matches!(b, b' ' | b'\t' | b'\r'))
}

pub(super) fn check_input_size(bytes: &[u8]) -> Result<(), ParseError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(ParseError(format!(
            "input is {} bytes, more than {MAX_INPUT_BYTES} (MAX_INPUT_BYTES)",
            bytes.len()
        )));
    }
    Ok(())
}

pub(super) fn line_error(number: usize, what: &str) -> ParseError {
    ParseError(format!("line {number}: {what}"))
}

pub(super) fn cap_error(what: &str, cap: usize, name: &str) -> ParseError {
    ParseError(format!("more than {cap} {what} ({name})"))
}

/// The lines of a file, numbered from 1, without their `\n` or `\r\n`. A final line without a
/// newline is a line; a final newline does not start one.
pub(super) struct Lines<'a> {
    rest: &'a [u8],
    number: usize,
}

impl<'a> Lines<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Lines {
            rest: bytes,
            number: 0,
        }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match find_newline(self.rest) {
            Some(at) => (&self.rest[..at], &self.rest[at + 1..]),
            None => (self.rest, &[][..]),
        };
        self.rest = rest;
        self.number += 1;
        Some((self.number, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

/// The first `\n`: blocks of 32 bytes are tested without an early exit (which the compiler turns
/// into vector compares), then the matching block is searched byte by byte.
pub(super) fn find_newline(haystack: &[u8]) -> Option<usize> {
    const BLOCK: usize = 32;
    if haystack.first() == Some(&b'\n') {
        return Some(0); // Runs of blank lines.
    }
    let mut blocks = haystack.chunks_exact(BLOCK);
    let mut start = 0;
    for block in &mut blocks {
        if block.iter().fold(false, |found, &b| found | (b == b'\n')) {
            return block.iter().position(|&b| b == b'\n').map(|i| start + i);
        }
        start += BLOCK;
    }
    blocks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| start + i)
}
