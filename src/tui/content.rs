//! Looking inside a file: the content view's state, and the worker threads that read a file out
//! of its layer blob (a layer may have to be decompressed, so never on the UI thread) or export it
//! to disk. Jobs report back through a channel the app polls on its tick, as the loader does.
//!
//! The bytes shown are the file as of the selected layer, located by [`content::locate`] (symlinks
//! and hardlinks followed as `imgscope cat` follows them), capped at [`READ_CAP`]. Text is shown
//! line by line, tabs expanded and every other control character escaped with
//! [`escape_control`]; anything else is a hex dump whose ASCII column shows only printable ASCII.
//! How the lines fall on screen (wrapped or not, how many bytes per hex row) is laid out once per
//! width, so scrolling and drawing cost what is on screen.

use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use anyhow::Result;
use unicode_width::UnicodeWidthChar;

use crate::pipeline::content::{self, FileLocation};
use crate::source::ImageBlobs;
use crate::text::{escape_control, human_size};

/// The most bytes of a file read for the content view.
pub const READ_CAP: u64 = 1 << 20;
/// Columns a tab advances to (the next multiple of).
const TAB: usize = 8;
/// Columns one horizontal scroll step moves.
pub const HSTEP: usize = 8;

/// What the view holds: the read in flight, its failure, or the bytes.
#[derive(Debug)]
pub enum ContentState {
    Reading,
    /// One line, escaped.
    Failed(String),
    Ready(Body),
}

/// The bytes read, with their text form.
#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// The whole file's size (more than `bytes` when the read was capped).
    pub total: u64,
    /// Whether the bytes read as text (UTF-8, no NUL).
    pub is_text: bool,
    pub text: Text,
}

/// Text lines, escaped and with tabs expanded, in one string.
#[derive(Debug, Default)]
pub struct Text {
    pub buf: String,
    /// Each line's byte range in `buf`.
    pub lines: Vec<Range<usize>>,
    /// The widest line, in columns.
    pub max_width: usize,
}

impl Body {
    pub fn new(bytes: Vec<u8>, total: u64) -> Body {
        let truncated = (bytes.len() as u64) < total;
        let valid = match std::str::from_utf8(&bytes) {
            Ok(_) => Some(bytes.len()),
            // A multi-byte character cut by the cap still leaves text.
            Err(e) if e.error_len().is_none() && truncated => Some(e.valid_up_to()),
            Err(_) => None,
        };
        let is_text = valid.is_some() && !bytes.contains(&0);
        let text = match valid {
            Some(n) => Text::new(std::str::from_utf8(&bytes[..n]).unwrap_or("")),
            None => Text::new(&String::from_utf8_lossy(&bytes)),
        };
        Body {
            bytes,
            total,
            is_text,
            text,
        }
    }

    pub fn truncated(&self) -> bool {
        (self.bytes.len() as u64) < self.total
    }
}

impl Text {
    /// Split into lines; tabs go to the next multiple of `TAB` columns, every other control
    /// character (`\r` included) is escaped.
    pub fn new(s: &str) -> Text {
        let mut out = Text {
            buf: String::with_capacity(s.len() + s.len() / 16),
            lines: Vec::new(),
            max_width: 0,
        };
        let body = s.strip_suffix('\n').unwrap_or(s);
        if s.is_empty() {
            return out;
        }
        let mut utf8 = [0u8; 4];
        for line in body.split('\n') {
            let start = out.buf.len();
            let mut col = 0;
            for c in line.chars() {
                if c == '\t' {
                    let next = (col / TAB + 1) * TAB;
                    out.buf.extend(std::iter::repeat_n(' ', next - col));
                    col = next;
                } else if c.is_control() {
                    let escaped = escape_control(c.encode_utf8(&mut utf8));
                    col += escaped.len();
                    out.buf.push_str(&escaped);
                } else {
                    col += c.width().unwrap_or(0);
                    out.buf.push(c);
                }
            }
            out.max_width = out.max_width.max(col);
            out.lines.push(start..out.buf.len());
        }
        out
    }

    pub fn line(&self, i: usize) -> &str {
        self.lines.get(i).map_or("", |r| &self.buf[r.clone()])
    }
}

/// A row on screen of the text view: a piece of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRow {
    pub line: u32,
    /// Byte range in the line.
    pub start: u32,
    pub end: u32,
}

/// How the body falls on screen for one width.
#[derive(Debug, Default)]
pub struct Layout {
    key: Option<(u16, bool, bool)>,
    /// Text: the rows (one per line unless wrapped).
    pub rows: Vec<TextRow>,
    /// Hex: bytes per row.
    pub per_row: usize,
    /// Columns of the line-number gutter (text).
    pub gutter: usize,
}

/// The content view over one file.
#[derive(Debug)]
pub struct ContentView {
    /// The path as selected in the tree (not escaped).
    pub path: String,
    pub layer: usize,
    /// Where the bytes come from (after following links), once located.
    pub location: Option<FileLocation>,
    pub state: ContentState,
    /// Show a hex dump (else text); starts as what the bytes look like.
    pub hex: bool,
    pub wrap: bool,
    /// First row shown.
    pub scroll: usize,
    /// Columns scrolled to the right (text, not wrapped).
    pub hscroll: usize,
    pub layout: Layout,
    /// Rows and columns of the area the rows are drawn in, as last fitted.
    pub height: usize,
    pub width: usize,
    /// The job reading the bytes, and its cancel flag.
    pub job: Option<(u64, Arc<AtomicBool>)>,
}

impl ContentView {
    pub fn new(path: String, layer: usize) -> ContentView {
        ContentView {
            path,
            layer,
            location: None,
            state: ContentState::Reading,
            hex: false,
            wrap: false,
            scroll: 0,
            hscroll: 0,
            layout: Layout::default(),
            height: 0,
            width: 0,
            job: None,
        }
    }

    pub fn failed(path: String, layer: usize, error: &str) -> ContentView {
        let mut v = ContentView::new(path, layer);
        v.state = ContentState::Failed(one_line(error));
        v
    }

    pub fn body(&self) -> Option<&Body> {
        match &self.state {
            ContentState::Ready(b) => Some(b),
            _ => None,
        }
    }

    /// The read finished.
    pub fn fill(&mut self, result: Result<Body, String>) {
        self.job = None;
        self.state = match result {
            Ok(body) => {
                self.hex = !body.is_text;
                ContentState::Ready(body)
            }
            Err(e) => ContentState::Failed(one_line(&e)),
        };
        self.layout = Layout::default();
        self.scroll = 0;
        self.hscroll = 0;
    }

    /// Stop the read in flight, if any (the view is closing).
    pub fn cancel(&mut self) {
        if let Some((_, flag)) = self.job.take() {
            flag.store(true, Ordering::Relaxed);
        }
    }

    /// Lay the body out for `width` × `height` cells (once per width and mode) and keep the
    /// scroll positions inside it.
    pub fn fit(&mut self, width: u16, height: u16) {
        self.width = width as usize;
        self.height = height as usize;
        let key = (width, self.wrap, self.hex);
        if self.layout.key != Some(key) {
            self.layout = match &self.state {
                ContentState::Ready(body) => layout(body, width as usize, self.wrap, self.hex),
                _ => Layout::default(),
            };
            self.layout.key = Some(key);
        }
        self.scroll = self.scroll.min(self.max_scroll());
        self.hscroll = self.hscroll.min(self.max_hscroll());
    }

    /// Rows of the body as laid out.
    pub fn row_count(&self) -> usize {
        match self.body() {
            None => 0,
            Some(b) if self.hex => b.bytes.len().div_ceil(self.layout.per_row.max(1)),
            Some(_) => self.layout.rows.len(),
        }
    }

    pub fn max_scroll(&self) -> usize {
        self.row_count().saturating_sub(self.height)
    }

    pub fn max_hscroll(&self) -> usize {
        match self.body() {
            Some(b) if !self.hex && !self.wrap => b
                .text
                .max_width
                .saturating_sub(self.width.saturating_sub(self.layout.gutter)),
            _ => 0,
        }
    }

    pub fn scroll_by(&mut self, rows: isize) {
        self.scroll = self
            .scroll
            .saturating_add_signed(rows)
            .min(self.max_scroll());
    }

    pub fn hscroll_by(&mut self, cols: isize) {
        self.hscroll = self
            .hscroll
            .saturating_add_signed(cols)
            .min(self.max_hscroll());
    }

    /// Wrap long lines, or scroll them sideways; the top line stays on top.
    pub fn toggle_wrap(&mut self) {
        let top = self.layout.rows.get(self.scroll).map(|r| r.line);
        self.wrap = !self.wrap;
        self.hscroll = 0;
        self.relayout_keeping(top);
    }

    /// Hex dump or text; the top byte (or line) stays on top as near as can be.
    pub fn toggle_hex(&mut self) {
        let top = if self.hex {
            None
        } else {
            self.layout.rows.get(self.scroll).map(|r| r.line)
        };
        self.hex = !self.hex;
        self.hscroll = 0;
        self.relayout_keeping(top);
        if top.is_none() {
            self.scroll = 0;
        }
    }

    fn relayout_keeping(&mut self, top_line: Option<u32>) {
        self.layout.key = None;
        let (w, h) = (self.width as u16, self.height as u16);
        self.fit(w, h);
        if let Some(line) = top_line
            && !self.hex
        {
            self.scroll = self
                .layout
                .rows
                .partition_point(|r| r.line < line)
                .min(self.max_scroll());
        }
    }
}

fn layout(body: &Body, width: usize, wrap: bool, hex: bool) -> Layout {
    if hex {
        return Layout {
            per_row: hex_per_row(width),
            ..Layout::default()
        };
    }
    let text = &body.text;
    let gutter = if text.lines.is_empty() {
        0
    } else {
        text.lines.len().to_string().len() + 1
    };
    let room = width.saturating_sub(gutter).max(1);
    let mut rows = Vec::with_capacity(text.lines.len());
    for (i, r) in text.lines.iter().enumerate() {
        let line = &text.buf[r.clone()];
        // A line is at most as many columns wide as it has bytes.
        let fits = || {
            line.len() <= room
                || line.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>() <= room
        };
        if !wrap || fits() {
            rows.push(TextRow {
                line: i as u32,
                start: 0,
                end: line.len() as u32,
            });
            continue;
        }
        let mut start = 0;
        let mut cols = 0;
        for (at, c) in line.char_indices() {
            let w = c.width().unwrap_or(0);
            if cols + w > room && at > start {
                rows.push(TextRow {
                    line: i as u32,
                    start: start as u32,
                    end: at as u32,
                });
                start = at;
                cols = 0;
            }
            cols += w;
        }
        rows.push(TextRow {
            line: i as u32,
            start: start as u32,
            end: line.len() as u32,
        });
    }
    Layout {
        key: None,
        rows,
        per_row: 16,
        gutter,
    }
}

/// Bytes per hex row that fit in `width` columns (16, as `hexdump -C`, from 78 columns).
pub fn hex_per_row(width: usize) -> usize {
    [16, 8, 4]
        .into_iter()
        .find(|&n| hex_row_width(n) <= width)
        .unwrap_or(4)
}

/// Columns of a hex row: offset, two spaces, three per byte, a gap between halves of 16, a space,
/// then the ASCII column between bars.
pub fn hex_row_width(per_row: usize) -> usize {
    8 + 2 + 3 * per_row + (per_row / 8).saturating_sub(1) + 1 + per_row + 2
}

/// One hex-dump row: `00000010  2f 62 69 6e 2f 73 68 0a  …  |/bin/sh.|`.
pub fn hex_row(bytes: &[u8], offset: usize, per_row: usize) -> String {
    let chunk = &bytes[offset.min(bytes.len())..(offset + per_row).min(bytes.len())];
    let mut s = String::with_capacity(12 + per_row * 4 + 4);
    s.push_str(&format!("{offset:08x}  "));
    for i in 0..per_row {
        match chunk.get(i) {
            Some(b) => s.push_str(&format!("{b:02x} ")),
            None => s.push_str("   "),
        }
        if i % 8 == 7 && i + 1 < per_row {
            s.push(' ');
        }
    }
    s.push_str(" |");
    s.extend(chunk.iter().map(|&b| {
        if (0x20..0x7f).contains(&b) {
            b as char
        } else {
            '.'
        }
    }));
    s.push('|');
    s
}

/// An error as one escaped line, whole.
pub fn one_line(e: &str) -> String {
    crate::text::one_line(e, usize::MAX)
}

/// What a finished job sends back.
pub enum JobResult {
    Read {
        id: u64,
        result: Result<Body, String>,
    },
    /// The note for the status line.
    Export(Result<String, String>),
}

/// Content reads and exports in flight.
pub struct Jobs {
    tx: Sender<JobResult>,
    rx: Receiver<JobResult>,
    pub pending: usize,
    next_id: u64,
}

impl Default for Jobs {
    fn default() -> Self {
        let (tx, rx) = channel();
        Jobs {
            tx,
            rx,
            pending: 0,
            next_id: 1,
        }
    }
}

/// A writer that fails once its job is cancelled, so a read nobody waits for stops early.
struct Cancellable<'a> {
    out: &'a mut Vec<u8>,
    cancel: &'a AtomicBool,
}

impl Write for Cancellable<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(io::Error::other("cancelled"));
        }
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Jobs {
    /// Read up to [`READ_CAP`] bytes of the located file; the result comes back with the id.
    pub fn read(&mut self, blobs: Arc<ImageBlobs>, at: FileLocation) -> (u64, Arc<AtomicBool>) {
        let id = self.next_id;
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let tx = self.tx.clone();
        let spawned = thread::Builder::new()
            .name("imgscope-read".into())
            .spawn(move || {
                let mut bytes = Vec::new();
                let mut out = Cancellable {
                    out: &mut bytes,
                    cancel: &flag,
                };
                let result = guarded(|| content::copy_to(&blobs, &at, &mut out, Some(READ_CAP)))
                    .map(|_| Body::new(bytes, at.size));
                let _ = tx.send(JobResult::Read { id, result });
            });
        match spawned {
            Ok(_) => self.pending += 1,
            Err(e) => {
                let _ = self.tx.send(JobResult::Read {
                    id,
                    result: Err(format!("starting a reader thread: {e}")),
                });
                self.pending += 1;
            }
        }
        (id, cancel)
    }

    /// Write the located file to `target` atomically (a temporary file beside it, then a rename),
    /// with the image's permission bits. `shown` names the file in the note.
    pub fn export(
        &mut self,
        blobs: Arc<ImageBlobs>,
        at: FileLocation,
        mode: u32,
        target: PathBuf,
        shown: String,
    ) {
        let tx = self.tx.clone();
        let job = move || {
            let result = guarded(|| content::export_to_file(&blobs, &at, mode, &target))
                .map(|n| {
                    format!(
                        "exported {shown} to {} ({})",
                        escape_control(&target.display().to_string()),
                        human_size(n)
                    )
                })
                .map_err(|e| {
                    format!(
                        "export of {shown} to {} failed: {}",
                        escape_control(&target.display().to_string()),
                        one_line(&e)
                    )
                });
            let _ = tx.send(JobResult::Export(result));
        };
        let spawned = thread::Builder::new()
            .name("imgscope-export".into())
            .spawn(job);
        if let Err(e) = spawned {
            let _ = self.tx.send(JobResult::Export(Err(format!(
                "export failed: starting a thread: {e}"
            ))));
        }
        self.pending += 1;
    }

    /// The jobs finished since the last call.
    pub fn finished(&mut self) -> Vec<JobResult> {
        let mut out = Vec::new();
        while let Ok(r) = self.rx.try_recv() {
            self.pending = self.pending.saturating_sub(1);
            out.push(r);
        }
        out
    }
}

/// Run `f`, turning an error or a panic into one line.
fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(explain(&format!("{e:#}"))),
        Err(_) => Err("internal error: the reader panicked".into()),
    }
}

/// Add what to do about the errors a user can do something about.
fn explain(e: &str) -> String {
    if e.contains("was streamed and not kept") {
        format!(
            "{e} (the image was read from a stream, whose layers are not kept: open it from a file to see contents)"
        )
    } else {
        e.to_string()
    }
}

/// Where an export goes: `~/` is the home directory, an existing directory gets the file's name.
pub fn export_target(input: &str, file_name: &str) -> Result<PathBuf, String> {
    if input.is_empty() {
        return Err("no destination given".into());
    }
    let path = match input.strip_prefix("~/") {
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) => PathBuf::from(home).join(rest),
            None => PathBuf::from(input),
        },
        None => PathBuf::from(input),
    };
    if path.is_dir() {
        Ok(path.join(file_name))
    } else {
        Ok(path)
    }
}

/// A file name fit for a default destination: no control characters, never empty.
pub fn safe_file_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_control() { '_' } else { c })
        .collect();
    match s.as_str() {
        "" | "." | ".." => "file".into(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_escapes_controls_and_expands_tabs() {
        let t = Text::new("a\tb\r\n\x1b[2Jx\u{9b}\n\nlast");
        assert_eq!(t.lines.len(), 4);
        assert_eq!(t.line(0), "a       b\\r");
        assert_eq!(t.line(1), "\\x1b[2Jx\\u{9b}");
        assert_eq!(t.line(2), "");
        assert_eq!(t.line(3), "last");
        assert!(!t.buf.chars().any(char::is_control));
        assert_eq!(Text::new("").lines.len(), 0);
        assert_eq!(Text::new("one\n").lines.len(), 1);
    }

    #[test]
    fn binary_is_told_from_text() {
        assert!(Body::new(b"hello\n".to_vec(), 6).is_text);
        assert!(!Body::new(b"he\0llo".to_vec(), 6).is_text);
        assert!(!Body::new(vec![0xff, 0xfe, b'a'], 3).is_text);
        // A character cut by the cap is still text.
        let mut cut = "é".repeat(10).into_bytes();
        cut.pop();
        assert!(Body::new(cut.clone(), 100).is_text);
        assert!(!Body::new(cut, 19).is_text);
    }

    #[test]
    fn hex_rows_look_like_hexdump() {
        let bytes: Vec<u8> = (0..20u8).map(|b| b.wrapping_mul(13)).collect();
        assert_eq!(
            hex_row(b"/bin/sh\n\x7fELF", 0, 16),
            "00000000  2f 62 69 6e 2f 73 68 0a  7f 45 4c 46              |/bin/sh..ELF|"
        );
        assert_eq!(hex_row(&bytes, 0, 16).len(), hex_row_width(16));
        assert_eq!(hex_row(&bytes, 16, 8).len(), 8 + 2 + 24 + 1 + 4 + 2);
        assert_eq!(hex_row(&bytes, 16, 8).len(), hex_row_width(8) - 4);
        assert_eq!(hex_per_row(78), 16);
        assert_eq!(hex_per_row(77), 8);
        assert_eq!(hex_per_row(20), 4);
    }

    #[test]
    fn wrapping_splits_long_lines_by_columns() {
        let body = Body::new(b"abcdefghij\nxy\n".to_vec(), 14);
        let l = layout(&body, 6, true, false);
        // The gutter takes 2 columns ("1 "), 4 are left.
        assert_eq!(l.gutter, 2);
        let pieces: Vec<&str> = l
            .rows
            .iter()
            .map(|r| &body.text.line(r.line as usize)[r.start as usize..r.end as usize])
            .collect();
        assert_eq!(pieces, ["abcd", "efgh", "ij", "xy"]);
        assert_eq!(layout(&body, 6, false, false).rows.len(), 2);
    }

    #[test]
    fn default_names_are_safe() {
        assert_eq!(safe_file_name("a\x1bb"), "a_b");
        assert_eq!(safe_file_name(""), "file");
        assert_eq!(safe_file_name(".."), "file");
    }
}
