//! `imgscope cat` and `imgscope export`: one file of an image, streamed from its layer to stdout
//! (escaped on a terminal, a line at a time) or to a file written atomically.

use std::io::{IsTerminal, Write};

use anyhow::{Result, anyhow};

use crate::pipeline::content;
use crate::pipeline::load::{self, Progress};
use crate::settings::FileRequest;

/// `cat` and `export`: load the image (without hashing), locate the file, stream it out.
pub fn run(request: &FileRequest) -> Result<u8> {
    let FileRequest {
        image,
        path,
        layer,
        dest,
        load: options,
    } = request;
    let (path, layer) = (path.as_str(), *layer);
    let named = |e: anyhow::Error| anyhow!("{}: {e:#}", crate::text::escape_control(image));
    let loaded = load::load(image, options, &Progress::default()).map_err(named)?;
    if let Some(l) = layer
        && l >= loaded.image.layers.len()
    {
        return Err(named(anyhow!(
            "no layer {l} (the image has {})",
            loaded.image.layers.len()
        )));
    }
    let at = content::locate(&loaded.image.tree, path, layer).map_err(named)?;
    match dest {
        None => {
            let stdout = std::io::stdout();
            if stdout.is_terminal() {
                // Escaped line by line as it streams: a 4 GiB file is never held in memory.
                let mut lines = EscapedLines {
                    out: stdout.lock(),
                    pending: Vec::new(),
                };
                content::copy_to(&loaded.blobs, &at, &mut lines, None).map_err(named)?;
                lines.finish()?;
            } else {
                let mut lock = stdout.lock();
                content::copy_to(&loaded.blobs, &at, &mut lock, None).map_err(named)?;
                lock.flush()?;
            }
        }
        Some(dest) => {
            let target = if dest.is_dir() {
                // Named after the path asked for, as `cp` does: never after where a symlink or
                // hardlink in the image points (`/app/config.yaml -> /x/.bashrc` must not
                // become `.bashrc`).
                let name = path
                    .rsplit('/')
                    .find(|c| !c.is_empty() && *c != "." && *c != "..")
                    .unwrap_or("file");
                dest.join(name)
            } else {
                dest.clone()
            };
            let mode = content::export_mode(&loaded.image.tree, &at);
            content::export_to_file(&loaded.blobs, &at, mode, &target).map_err(named)?;
        }
    }
    Ok(0)
}

/// Text for a terminal, escaped a line at a time as it arrives (control characters shown as
/// escapes; a line longer than [`EscapedLines::MAX_PENDING`] is written in pieces).
struct EscapedLines<W: Write> {
    out: W,
    pending: Vec<u8>,
}

impl<W: Write> EscapedLines<W> {
    const MAX_PENDING: usize = 64 * 1024;

    fn emit(&mut self, bytes: &[u8], newline: bool) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(bytes);
        self.out
            .write_all(crate::text::escape_control(&text).as_bytes())?;
        if newline {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        self.emit(&rest, false)?;
        self.out.flush()
    }
}

impl<W: Write> Write for EscapedLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(nl) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=nl).collect();
            self.emit(&line[..line.len() - 1], true)?;
        }
        if self.pending.len() > Self::MAX_PENDING {
            // A long line: write what is valid UTF-8 so far, keep a split character's start.
            let valid = match std::str::from_utf8(&self.pending) {
                Ok(_) => self.pending.len(),
                Err(e) if e.error_len().is_none() => e.valid_up_to(),
                Err(_) => self.pending.len(),
            };
            let piece: Vec<u8> = self.pending.drain(..valid).collect();
            self.emit(&piece, false)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(chunks: &[&[u8]]) -> String {
        let mut lines = EscapedLines {
            out: Vec::new(),
            pending: Vec::new(),
        };
        for c in chunks {
            lines.write_all(c).unwrap();
        }
        let rest = std::mem::take(&mut lines.pending);
        lines.emit(&rest, false).unwrap();
        String::from_utf8(lines.out).unwrap()
    }

    #[test]
    fn terminal_text_is_escaped_as_it_streams() {
        assert_eq!(escaped(&[b"a\x1b[2Jb\nc", b"\rd\n"]), "a\\x1b[2Jb\nc\\rd\n");
        // A character split between two reads stays whole.
        let e = "é".as_bytes();
        assert_eq!(escaped(&[b"x", &e[..1], &e[1..], b"\n"]), "x\u{e9}\n");
        // A line longer than what is held is written in pieces, nothing lost.
        let long = vec![b'z'; 200_000];
        let out = escaped(&[&long, b"\nend"]);
        assert_eq!(out.len(), 200_000 + 4);
        assert!(out.ends_with("z\nend"));
    }
}
