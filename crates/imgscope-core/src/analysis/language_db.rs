//! Language package managers' records inside an image → packages and the files they own, so that
//! files installed by `pip` or `npm` are attributed to a package too, not only those of dpkg and
//! apk ([`super::package_db`]).
//!
//! Language managers keep no central database; each installed package leaves a record next to
//! its files:
//!
//! - Python wheels (pip, uv, poetry…): `SITE/NAME-VERSION.dist-info/RECORD`, a CSV file listing
//!   every installed file relative to `SITE` (the directory holding the `.dist-info` directory),
//!   scripts included (`../../../bin/pip`).
//! - Legacy Python installs (`setup.py install` run by pip):
//!   `NAME-VERSION.egg-info/installed-files.txt`, one path per line relative to the `.egg-info`
//!   directory.
//! - npm, yarn, pnpm: `node_modules/NAME/package.json` (or `node_modules/@SCOPE/NAME/…`); the
//!   package owns its directory, less any package nested in its own `node_modules`.
//!
//! [`record_kind`] tells the layer walk which paths to capture; the parsers turn the captured
//! bytes into [`LanguagePackage`]s whose `files` are absolute and normalized, as the image tree
//! names them.
//!
//! Everything here reads bytes that come from an image, so it is written for hostile input: pure
//! functions over byte slices and strings (no I/O), no panics, work linear in the input, and
//! output bounded by the caps below ([`MAX_INPUT_BYTES`], [`MAX_PACKAGE_JSON_BYTES`],
//! [`MAX_PATHS`], [`MAX_PATH_BYTES_RATIO`], [`MAX_STRING_BYTES`]); JSON nesting is bounded by
//! `serde_json`'s recursion limit (128 levels). Invalid UTF-8 is replaced (lossily) rather than
//! rejected. A path in a record can never escape the image: `..` stops at `/`.

use std::borrow::Cow;
use std::ops::Range;

/// Largest `RECORD` or `installed-files.txt` accepted, in bytes (64 MiB); larger is a
/// [`ParseError`]. Real ones are far smaller: the largest of 141 on a development machine,
/// cfn-lint's, is 1 MiB (8,754 paths).
pub const MAX_INPUT_BYTES: usize = 64 << 20;

/// Largest `package.json` accepted, in bytes (4 MiB); larger is a [`ParseError`]. Real ones are
/// a few KiB.
pub const MAX_PACKAGE_JSON_BYTES: usize = 4 << 20;

/// Most paths one `RECORD` or `installed-files.txt` may list (1,000,000); more is a
/// [`ParseError`].
pub const MAX_PATHS: usize = 1_000_000;

/// Longest string kept, in bytes (4 KiB, Linux's `PATH_MAX`): longer names, versions and paths
/// are truncated on a char boundary (a truncated path stays normalized). The path given to a
/// parser may not be longer: a longer one is a [`ParseError`] (and [`record_kind`] says `None`).
pub const MAX_STRING_BYTES: usize = 4096;

/// Most path bytes one `RECORD` or `installed-files.txt` may produce per byte of input, with
/// [`MAX_STRING_BYTES`] added to the input's length (so one longest path always fits): 16. Each
/// listed path is joined to the record's own directory, so a long directory and many short lines
/// could otherwise turn a few MiB into gigabytes; real records stay under 2 (1.2 on average:
/// hashes make their lines about as long as the site directory). Over the ratio is a
/// [`ParseError`].
pub const MAX_PATH_BYTES_RATIO: usize = 16;

/// One package installed by a language package manager, and the absolute paths it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LanguagePackage {
    /// The manager: `"python"` (dist-info and egg-info) or `"npm"` (any `node_modules`).
    pub manager: &'static str,
    /// Package name, never empty: Python's as its record directory spells it (wheels escape `-`
    /// as `_`: `typing_extensions`), npm's from `package.json` (`@scope/name` when scoped).
    pub name: String,
    /// Version; empty when unknown.
    pub version: String,
    /// Absolute, normalized paths (no `.`, `..` or empty components, no trailing `/`, never `/`
    /// itself), in record order, duplicates kept. npm: just the package's directory.
    pub files: Vec<String>,
}

/// What a path in the image is for the language managers (see [`record_kind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// `….dist-info/RECORD`: parse with [`parse_python_record`].
    PythonRecord,
    /// `….egg-info/installed-files.txt`: parse with [`parse_python_installed_files`].
    PythonInstalledFiles,
    /// `…/node_modules/[@scope/]NAME/package.json`: parse with [`parse_npm_package_json`].
    NpmPackageJson,
}

/// A record that cannot be read: one line naming the record's path and what is wrong (`line 12:
/// …`), or which cap was exceeded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// What `path` is for the language managers: `Some(kind)` when the file is one of their records.
/// `path` is relative to `/`, as `usr/lib/python3/dist-packages/requests-2.28.1.dist-info/RECORD`
/// (a leading `/`, `.` and `..` components are accepted and resolved).
///
/// - [`RecordKind::PythonRecord`]: a file named `RECORD` directly inside a
///   `NAME[-VERSION].dist-info` directory, anywhere.
/// - [`RecordKind::PythonInstalledFiles`]: `installed-files.txt` directly inside a
///   `NAME[-VERSION…].egg-info` directory.
/// - [`RecordKind::NpmPackageJson`]: `package.json` directly inside a package directory that is
///   itself directly inside a `node_modules` directory (`…/node_modules/NAME/package.json`), or
///   inside a scope directory (`…/node_modules/@scope/NAME/package.json`). Not an application's
///   own `app/package.json`, nor one deeper in a package
///   (`node_modules/glob/dist/esm/package.json`). A package directory is not `node_modules` and
///   does not start with `.` (pnpm's `.pnpm`) or `@`.
///
/// Names are case-sensitive; the record directory must have a non-empty name (`.dist-info` or
/// `-1.0.dist-info` is none). A path naming a directory (trailing `/`) or longer than
/// [`MAX_STRING_BYTES`] is `None`. Cost: the file name is checked first, so almost every path
/// is answered by comparing its last component.
pub fn record_kind(path: &str) -> Option<RecordKind> {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    let kind = match file {
        "RECORD" => RecordKind::PythonRecord,
        "installed-files.txt" => RecordKind::PythonInstalledFiles,
        "package.json" => RecordKind::NpmPackageJson,
        _ => return None,
    };
    if path.len() > MAX_STRING_BYTES {
        return None;
    }
    let mut up = RevComponents::new(dir);
    let parent = up.next()?;
    let is_record = match kind {
        RecordKind::PythonRecord => dist_info_name(parent).is_some(),
        RecordKind::PythonInstalledFiles => egg_info_name(parent).is_some(),
        RecordKind::NpmPackageJson => {
            is_npm_package_dir(parent)
                && match up.next() {
                    Some("node_modules") => true,
                    Some(scope) if is_npm_scope(scope) => up.next() == Some("node_modules"),
                    _ => false,
                }
        }
    };
    is_record.then_some(kind)
}

/// A wheel's `SITE/NAME-VERSION.dist-info/RECORD` → its package (manager `"python"`).
///
/// `record_path` is the RECORD's own path relative to `/` (leading `/`, `.` and `..` accepted).
/// Name and version come from the `.dist-info` directory's name, split at its first `-`: wheels
/// escape `-` in both as `_` (PEP 427), so `python_dateutil-2.9.0.post0.dist-info` →
/// `python_dateutil` `2.9.0.post0`; without a `-`, the version is empty.
///
/// The file is CSV (`path,hash,size`, as Python's `csv` module writes it: `"` quotes a field
/// holding `,`, `"` or a line break, `""` is a quote; `\n`, `\r\n` and `\r` end rows). Only the
/// first field is read; the hash and size may be empty. Each path is relative to `SITE` (or
/// absolute) and is made absolute and normalized: `../../../bin/pip` beside
/// `usr/local/lib/python3.12/site-packages` → `/usr/local/bin/pip`. Rows with an empty (or
/// all-blank) path are skipped, as are paths resolving to `/`.
///
/// # Errors
///
/// A path that is not `….dist-info/RECORD` with a non-empty name or is longer than
/// [`MAX_STRING_BYTES`], a quoted field never closed (with its line number), more than
/// [`MAX_PATHS`] paths, paths over [`MAX_PATH_BYTES_RATIO`], input over [`MAX_INPUT_BYTES`].
pub fn parse_python_record(record_path: &str, bytes: &[u8]) -> Result<LanguagePackage, ParseError> {
    let dir = record_dir(record_path)?;
    let Some((&dist_info, site)) = dir.split_last() else {
        return Err(path_error(record_path, "not inside a .dist-info directory"));
    };
    let Some((name, version)) = dist_info_name(dist_info) else {
        return Err(path_error(
            record_path,
            "not inside a NAME-VERSION.dist-info directory",
        ));
    };
    check_input_size(record_path, bytes, MAX_INPUT_BYTES, "MAX_INPUT_BYTES")?;
    let mut files = PathList::new(record_path, site, bytes.len());
    let mut rows = CsvFirstFields::new(bytes);
    while let Some(row) = rows.next_row() {
        let path =
            row.map_err(|line| line_error(record_path, line, "quoted field never closed"))?;
        files.add(&path)?;
    }
    Ok(LanguagePackage {
        manager: "python",
        name: text(name.as_bytes()),
        version: text(version.as_bytes()),
        files: files.paths,
    })
}

/// A legacy install's `NAME-VERSION[-pyX.Y[-PLATFORM]].egg-info/installed-files.txt` → its
/// package (manager `"python"`).
///
/// `path` is the file's own path relative to `/`. Name and version come from the `.egg-info`
/// directory's name, split at `-` (setuptools escapes `-` in both as `_`): the first part is the
/// name, the second the version unless it is a Python tag (`py3.11`); `cryptography.egg-info`
/// has an empty version. The file holds one path per line (`\n` or `\r\n`), relative to the
/// `.egg-info` directory itself (`../requests/__init__.py`, `./`, `PKG-INFO`) or absolute; each
/// is made absolute and normalized. Blank lines and paths resolving to `/` are skipped.
///
/// # Errors
///
/// A path that is not `….egg-info/installed-files.txt` with a non-empty name or is longer than
/// [`MAX_STRING_BYTES`], more than [`MAX_PATHS`] paths, paths over [`MAX_PATH_BYTES_RATIO`],
/// input over [`MAX_INPUT_BYTES`].
pub fn parse_python_installed_files(
    path: &str,
    bytes: &[u8],
) -> Result<LanguagePackage, ParseError> {
    let dir = record_dir(path)?;
    let Some((name, version)) = dir.last().and_then(|d| egg_info_name(d)) else {
        return Err(path_error(
            path,
            "not inside a NAME-VERSION.egg-info directory",
        ));
    };
    check_input_size(path, bytes, MAX_INPUT_BYTES, "MAX_INPUT_BYTES")?;
    let mut files = PathList::new(path, &dir, bytes.len());
    for line in bytes.split(|&b| b == b'\n') {
        files.add(line.strip_suffix(b"\r").unwrap_or(line))?;
    }
    Ok(LanguagePackage {
        manager: "python",
        name: text(name.as_bytes()),
        version: text(version.as_bytes()),
        files: files.paths,
    })
}

/// `…/node_modules/[@scope/]NAME/package.json` → its package (manager `"npm"`).
///
/// `path` is the file's own path relative to `/`. The name and version are the top-level
/// `"name"` and `"version"` strings of the JSON object; without a (non-empty) name string, the
/// directory's name (`@scope/NAME` when its parent is a scope directory); without a version
/// string, `""`. The name in the JSON wins: an aliased install (`npm i foo@npm:bar`) reports
/// `bar`. The package owns its directory: `files` holds just that directory's absolute path (the
/// caller attributes everything below it that no nested `node_modules` package owns). Invalid
/// UTF-8 is replaced and a byte order mark skipped before parsing, as Node does.
///
/// # Errors
///
/// A path with no directory (`package.json` at `/`) or longer than [`MAX_STRING_BYTES`], bytes
/// that are not JSON or whose top level is not an object (the message is `serde_json`'s, with
/// line and column), nesting deeper than 128, input over [`MAX_PACKAGE_JSON_BYTES`].
pub fn parse_npm_package_json(path: &str, bytes: &[u8]) -> Result<LanguagePackage, ParseError> {
    let dir = record_dir(path)?;
    let Some(&dir_name) = dir.last() else {
        return Err(path_error(path, "package.json is not inside a directory"));
    };
    check_input_size(
        path,
        bytes,
        MAX_PACKAGE_JSON_BYTES,
        "MAX_PACKAGE_JSON_BYTES",
    )?;
    let json = String::from_utf8_lossy(bytes);
    let json = json.strip_prefix('\u{feff}').unwrap_or(&json);
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| path_error(path, &format!("not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(path_error(path, "top level is not a JSON object"));
    };
    let string = |key: &str| {
        object
            .get(key)
            .and_then(serde_json::Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name = match string("name") {
        Some(name) => text(name.as_bytes()),
        None => match dir.len().checked_sub(2).map(|i| dir[i]) {
            Some(scope) if is_npm_scope(scope) => text(format!("{scope}/{dir_name}").as_bytes()),
            _ => text(dir_name.as_bytes()),
        },
    };
    let version = string("version").map_or_else(String::new, |v| text(v.as_bytes()));
    let mut out = PathOut::default();
    for component in &dir {
        if !out.push(component.as_bytes()) {
            break;
        }
    }
    Ok(LanguagePackage {
        manager: "npm",
        name,
        version,
        files: out.finish().into_iter().collect(),
    })
}

// ---- record paths --------------------------------------------------------------------------

/// `NAME-VERSION.dist-info` → (name, version): split at the first `-`; no `-`: empty version.
/// `None` when not a `.dist-info` name or the name is empty.
fn dist_info_name(dir: &str) -> Option<(&str, &str)> {
    let stem = dir.strip_suffix(".dist-info")?;
    let (name, version) = stem.split_once('-').unwrap_or((stem, ""));
    (!name.is_empty()).then_some((name, version))
}

/// `NAME-VERSION-pyX.Y-PLATFORM.egg-info` → (name, version); the version is empty when absent or
/// when the second part is a Python tag. `None` when not an `.egg-info` name or the name is empty.
fn egg_info_name(dir: &str) -> Option<(&str, &str)> {
    let stem = dir.strip_suffix(".egg-info")?;
    let mut parts = stem.split('-');
    let name = parts.next().unwrap_or("");
    let version = parts.next().filter(|v| !is_python_tag(v)).unwrap_or("");
    (!name.is_empty()).then_some((name, version))
}

/// `py3.11`, `py2.7`, `py3`.
fn is_python_tag(part: &str) -> bool {
    part.strip_prefix("py")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

fn is_npm_package_dir(name: &str) -> bool {
    !name.is_empty() && name != "node_modules" && !name.starts_with(['.', '@'])
}

fn is_npm_scope(name: &str) -> bool {
    name.len() > 1 && name.starts_with('@')
}

/// The normalized components of the directory holding the file `path` names (everything before
/// its last `/`): empty and `.` components dropped, `..` removing the previous one (none at `/`).
fn record_dir(path: &str) -> Result<Vec<&str>, ParseError> {
    if path.len() > MAX_STRING_BYTES {
        return Err(path_error(
            path,
            &format!(
                "path is {} bytes, more than {MAX_STRING_BYTES} (MAX_STRING_BYTES)",
                path.len()
            ),
        ));
    }
    let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut components = Vec::new();
    for component in dir.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                components.pop();
            }
            _ => components.push(component),
        }
    }
    Ok(components)
}

/// The components of a path from the last, resolved as [`record_dir`] does (the same components,
/// reversed) without allocating: each `..` skips the next component up.
struct RevComponents<'a> {
    rest: &'a str,
    skip: usize,
}

impl<'a> RevComponents<'a> {
    fn new(path: &'a str) -> Self {
        RevComponents {
            rest: path,
            skip: 0,
        }
    }
}

impl<'a> Iterator for RevComponents<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        while !self.rest.is_empty() {
            let (rest, component) = self.rest.rsplit_once('/').unwrap_or(("", self.rest));
            self.rest = rest;
            match component {
                "" | "." => {}
                ".." => self.skip += 1,
                _ if self.skip > 0 => self.skip -= 1,
                _ => return Some(component),
            }
        }
        None
    }
}

// ---- listed paths ----------------------------------------------------------------------------

/// The paths a record lists, resolved against its base directory, under the caps.
struct PathList<'a> {
    record_path: &'a str,
    base: &'a [&'a str],
    paths: Vec<String>,
    /// Non-blank entries seen (resolved to `/` or not).
    entries: usize,
    bytes: usize,
    max_bytes: usize,
    /// Ranges of the kept components of the entry being resolved (reused).
    parts: Vec<Range<usize>>,
}

impl<'a> PathList<'a> {
    fn new(record_path: &'a str, base: &'a [&'a str], input_len: usize) -> Self {
        PathList {
            record_path,
            base,
            paths: Vec::new(),
            entries: 0,
            bytes: 0,
            max_bytes: MAX_PATH_BYTES_RATIO
                .saturating_mul(input_len.saturating_add(MAX_STRING_BYTES)),
            parts: Vec::new(),
        }
    }

    /// One listed path: blank → skipped; else resolved and kept unless it is `/`.
    fn add(&mut self, entry: &[u8]) -> Result<(), ParseError> {
        if is_blank(entry) {
            return Ok(());
        }
        self.entries += 1;
        if self.entries > MAX_PATHS {
            return Err(path_error(
                self.record_path,
                &format!("more than {MAX_PATHS} paths (MAX_PATHS)"),
            ));
        }
        let Some(path) = self.resolve(entry) else {
            return Ok(());
        };
        self.bytes += path.len();
        if self.bytes > self.max_bytes {
            return Err(path_error(
                self.record_path,
                &format!(
                    "paths total more than {} bytes, {MAX_PATH_BYTES_RATIO} per input byte \
                     (MAX_PATH_BYTES_RATIO)",
                    self.max_bytes
                ),
            ));
        }
        self.paths.push(path);
        Ok(())
    }

    /// `entry` (absolute, or relative to the base directory) → an absolute normalized path,
    /// `None` for `/`. Only the first [`MAX_STRING_BYTES`] bytes of the entry are read (no real
    /// path is longer), so the work is linear in the entry and the output.
    fn resolve(&mut self, entry: &[u8]) -> Option<String> {
        let entry = &entry[..entry.len().min(MAX_STRING_BYTES)];
        let base = if entry.first() == Some(&b'/') {
            &[][..]
        } else {
            self.base
        };
        // Base components kept: a `..` with no entry component left to remove eats one of them.
        let mut kept = base.len();
        self.parts.clear();
        let mut start = 0;
        for component in entry.split(|&b| b == b'/') {
            let range = start..start + component.len();
            start = range.end + 1;
            match component {
                b"" | b"." => {}
                b".." => {
                    if self.parts.pop().is_none() {
                        kept = kept.saturating_sub(1);
                    }
                }
                _ => self.parts.push(range),
            }
        }
        let mut out = PathOut::default();
        let components = base[..kept]
            .iter()
            .map(|c| c.as_bytes())
            .chain(self.parts.iter().map(|r| &entry[r.clone()]));
        for component in components {
            if !out.push(component) {
                break;
            }
        }
        out.finish()
    }
}

/// An absolute path built one normalized component at a time, at most [`MAX_STRING_BYTES`] long.
#[derive(Default)]
struct PathOut(String);

impl PathOut {
    /// Appends `/component` (invalid UTF-8 replaced). At the cap, the component is cut on a char
    /// boundary (dropped if the cut leaves nothing, `.` or `..`) and `false` says to stop.
    fn push(&mut self, component: &[u8]) -> bool {
        let component = String::from_utf8_lossy(component);
        let room = MAX_STRING_BYTES.saturating_sub(self.0.len() + 1);
        if component.len() <= room {
            self.0.push('/');
            self.0.push_str(&component);
            return true;
        }
        let mut end = room;
        while !component.is_char_boundary(end) {
            end -= 1;
        }
        let cut = &component[..end];
        if !matches!(cut, "" | "." | "..") {
            self.0.push('/');
            self.0.push_str(cut);
        }
        false
    }

    /// The path; `None` for `/` (no component).
    fn finish(self) -> Option<String> {
        (!self.0.is_empty()).then_some(self.0)
    }
}

// ---- CSV -----------------------------------------------------------------------------------

/// The first field of each row of a CSV file, as Python's `csv` reader (dialect `excel`,
/// non-strict) reads it: a field opening with `"` is quoted until a `"` not followed by another
/// (`""` is a literal quote; commas and line breaks inside are data), and what follows the
/// closing quote up to the next `,` or line end is appended; elsewhere `"` is data. Rows end at
/// `\n`, `\r\n` or `\r`. Fields other than the first are skipped without copying.
struct CsvFirstFields<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Line of `pos`, from 1.
    line: usize,
}

impl<'a> CsvFirstFields<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        CsvFirstFields {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    /// The next row's first field (at most [`MAX_STRING_BYTES`] + 1 bytes of it kept when
    /// quoted), or `Err(line)`: a quoted field opening on that line is never closed (the rest of
    /// the input is then skipped).
    fn next_row(&mut self) -> Option<Result<Cow<'a, [u8]>, usize>> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        let first = match self.field(true) {
            Ok(first) => first,
            Err(e) => {
                self.pos = self.bytes.len();
                return Some(Err(e));
            }
        };
        while self.bytes.get(self.pos) == Some(&b',') {
            self.pos += 1;
            if let Err(e) = self.field(false) {
                self.pos = self.bytes.len();
                return Some(Err(e));
            }
        }
        // At a line end or the end of the input.
        match self.bytes.get(self.pos) {
            Some(b'\r') if self.bytes.get(self.pos + 1) == Some(&b'\n') => self.pos += 2,
            Some(_) => self.pos += 1,
            None => {}
        }
        self.line += 1;
        Some(Ok(first))
    }

    /// One field, from `pos` to the `,` or line end after it (left unread). `keep: false` returns
    /// an empty field.
    fn field(&mut self, keep: bool) -> Result<Cow<'a, [u8]>, usize> {
        let bytes = self.bytes;
        if bytes.get(self.pos) != Some(&b'"') {
            let end = self.unquoted_end();
            let field = &bytes[self.pos..end];
            self.pos = end;
            return Ok(if keep {
                Cow::Borrowed(field)
            } else {
                Cow::Borrowed(&[])
            });
        }
        let line = self.line;
        let mut out = Vec::new();
        let keep_part = |out: &mut Vec<u8>, part: &[u8]| {
            if keep {
                let room = (MAX_STRING_BYTES + 1).saturating_sub(out.len());
                out.extend_from_slice(&part[..part.len().min(room)]);
            }
        };
        self.pos += 1;
        loop {
            let rest = &bytes[self.pos..];
            let Some(quote) = rest.iter().position(|&b| b == b'"') else {
                return Err(line);
            };
            let part = &rest[..quote];
            self.line += part.iter().filter(|&&b| b == b'\n').count();
            keep_part(&mut out, part);
            self.pos += quote + 1;
            if bytes.get(self.pos) == Some(&b'"') {
                keep_part(&mut out, b"\"");
                self.pos += 1;
            } else {
                break;
            }
        }
        let end = self.unquoted_end();
        keep_part(&mut out, &bytes[self.pos..end]);
        self.pos = end;
        Ok(Cow::Owned(out))
    }

    /// The next `,`, `\r` or `\n` from `pos`, or the end.
    fn unquoted_end(&self) -> usize {
        self.bytes[self.pos..]
            .iter()
            .position(|&b| matches!(b, b',' | b'\r' | b'\n'))
            .map_or(self.bytes.len(), |i| self.pos + i)
    }
}

// ---- helpers -------------------------------------------------------------------------------

/// Bytes → a string of at most [`MAX_STRING_BYTES`] (invalid UTF-8 replaced). Only the first
/// few bytes past the cap are looked at.
fn text(bytes: &[u8]) -> String {
    // Lossy conversion never shrinks, so a char split by this cut lands past the cap.
    let head = &bytes[..bytes.len().min(MAX_STRING_BYTES + 4)];
    let mut s = String::from_utf8_lossy(head).into_owned();
    if s.len() > MAX_STRING_BYTES {
        let mut end = MAX_STRING_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

fn check_input_size(path: &str, bytes: &[u8], max: usize, name: &str) -> Result<(), ParseError> {
    if bytes.len() > max {
        return Err(path_error(
            path,
            &format!("{} bytes, more than {max} ({name})", bytes.len()),
        ));
    }
    Ok(())
}

/// `"path": what`, the path quoted and escaped (one line whatever it holds) and shortened to
/// 200 bytes.
fn path_error(path: &str, what: &str) -> ParseError {
    const SHOWN: usize = 200;
    if path.len() <= SHOWN {
        return ParseError(format!("{path:?}: {what}"));
    }
    let mut end = SHOWN;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    ParseError(format!("{:?}…: {what}", &path[..end]))
}

fn line_error(path: &str, line: usize, what: &str) -> ParseError {
    path_error(path, &format!("line {line}: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn package(
        manager: &'static str,
        name: &str,
        version: &str,
        files: &[&str],
    ) -> LanguagePackage {
        LanguagePackage {
            manager,
            name: name.into(),
            version: version.into(),
            files: files.iter().map(|f| f.to_string()).collect(),
        }
    }

    /// Every invariant of a returned package.
    fn check(p: &LanguagePackage) {
        assert!(p.manager == "python" || p.manager == "npm");
        assert!(!p.name.is_empty() && p.name.len() <= MAX_STRING_BYTES);
        assert!(p.version.len() <= MAX_STRING_BYTES);
        for f in &p.files {
            assert!(is_normalized(f), "{f:?}");
        }
    }

    fn is_normalized(path: &str) -> bool {
        path.len() <= MAX_STRING_BYTES
            && path.len() > 1
            && path.starts_with('/')
            && path[1..].split('/').all(|c| !matches!(c, "" | "." | ".."))
    }

    // ---- record_kind -----------------------------------------------------------------------

    #[test]
    fn record_kinds() {
        use RecordKind::*;
        let cases: &[(&str, Option<RecordKind>)] = &[
            (
                "usr/lib/python3/dist-packages/requests-2.28.1.dist-info/RECORD",
                Some(PythonRecord),
            ),
            ("/x-1.dist-info/RECORD", Some(PythonRecord)),
            ("x.dist-info/RECORD", Some(PythonRecord)),
            ("a/./b/x-1.dist-info/RECORD", Some(PythonRecord)),
            (
                "a/y-1.dist-info/../x-1.dist-info/RECORD",
                Some(PythonRecord),
            ),
            ("x.dist-info/sub/RECORD", None),
            ("x.dist-info/sub/../RECORD", Some(PythonRecord)),
            ("x.dist-info/record", None),
            ("x.dist-info/RECORD/", None),
            ("x.dist-info/RECORD.jws", None),
            (".dist-info/RECORD", None),
            ("-1.0.dist-info/RECORD", None),
            ("RECORD", None),
            ("x.egg-info/RECORD", None),
            (
                "site/foo-1.0-py3.11.egg-info/installed-files.txt",
                Some(PythonInstalledFiles),
            ),
            (
                "cryptography.egg-info/installed-files.txt",
                Some(PythonInstalledFiles),
            ),
            ("foo-1.0.dist-info/installed-files.txt", None),
            ("foo-1.0.egg-info/x/installed-files.txt", None),
            ("app/node_modules/lodash/package.json", Some(NpmPackageJson)),
            ("node_modules/a/package.json", Some(NpmPackageJson)),
            ("/node_modules/a/package.json", Some(NpmPackageJson)),
            (
                "node_modules/a/node_modules/b/package.json",
                Some(NpmPackageJson),
            ),
            (
                "usr/lib/node_modules/@types/node/package.json",
                Some(NpmPackageJson),
            ),
            (
                "app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json",
                Some(NpmPackageJson),
            ),
            ("node_modules/x/../a/package.json", Some(NpmPackageJson)),
            ("app/package.json", None),
            ("package.json", None),
            ("node_modules/package.json", None),
            ("node_modules/@types/package.json", None),
            ("node_modules/@/a/package.json", None),
            ("node_modules/.pnpm/package.json", None),
            ("node_modules/node_modules/package.json", None),
            ("node_modules/glob/dist/esm/package.json", None),
            ("node_modules/a/lib/package.json", None),
            ("node_modules/@s/a/b/package.json", None),
            ("x/@s/a/package.json", None),
            ("node_modules/a/package.json/", None),
            ("node_modules/a/Package.json", None),
            ("", None),
            ("/", None),
        ];
        for (path, expected) in cases {
            assert_eq!(record_kind(path), *expected, "{path:?}");
        }
        let long = format!(
            "{}/node_modules/a/package.json",
            "d/".repeat(MAX_STRING_BYTES)
        );
        assert_eq!(record_kind(&long), None);
    }

    // ---- RECORD ----------------------------------------------------------------------------

    const SITE: &str = "usr/local/lib/python3.12/site-packages";

    #[test]
    fn python_record() {
        let record = "\
requests/__init__.py,sha256=abc,5000\r
requests/__pycache__/__init__.cpython-312.pyc,,\r
\"weird,name/with \"\"quotes\"\".py\",sha256=x,1\r
\r
../../../bin/normalizer,sha256=y,242\r
./requests/./api.py,,\r
requests-2.28.1.dist-info/RECORD,,\r
/etc/absolute.conf,,
";
        let path = format!("{SITE}/requests-2.28.1.dist-info/RECORD");
        let p = parse_python_record(&path, record.as_bytes()).unwrap();
        let site = format!("/{SITE}");
        assert_eq!(
            p,
            LanguagePackage {
                manager: "python",
                name: "requests".into(),
                version: "2.28.1".into(),
                files: vec![
                    format!("{site}/requests/__init__.py"),
                    format!("{site}/requests/__pycache__/__init__.cpython-312.pyc"),
                    format!("{site}/weird,name/with \"quotes\".py"),
                    "/usr/local/bin/normalizer".into(),
                    format!("{site}/requests/api.py"),
                    format!("{site}/requests-2.28.1.dist-info/RECORD"),
                    "/etc/absolute.conf".into(),
                ],
            }
        );
    }

    #[test]
    fn python_record_csv_details() {
        let parse =
            |record: &[u8]| parse_python_record("s/p-1.dist-info/RECORD", record).map(|p| p.files);
        // A quoted path holding line breaks; text after a closing quote is appended (Python's
        // non-strict reader); a quote inside an unquoted field is data; a bare `\r` ends a row;
        // quoted hash and size fields are skipped.
        assert_eq!(
            parse(b"\"a\nb\r\nc\",h,1\n\"x\"y,,\rq\"r,\"h,\"\"\",2\n").unwrap(),
            ["/s/a\nb\r\nc", "/s/xy", "/s/q\"r"]
        );
        // Blank and whitespace-only rows, rows with an empty path, no final line end.
        assert_eq!(
            parse(b"\n\n  \r\n,,\n\"\",h,1\n \t,,\nlast.py,,").unwrap(),
            ["/s/last.py"]
        );
        // `..` stops at `/`; paths resolving to `/` are skipped.
        assert_eq!(
            parse(b"..\n../../../../../../x\n.\n../..\nlib//a/../b/\n").unwrap(),
            ["/x", "/s", "/s/lib/b"]
        );
        // An unclosed quote names its row's line (line breaks inside quotes count).
        let e = parse(b"a,,\r\n\"b\nb\",,\r\n\"c,,\r\nd,,\r\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"s/p-1.dist-info/RECORD\": line 4: quoted field never closed"
        );
        assert!(parse(b"a,\"h").is_err());
        // Non-UTF-8 is replaced.
        assert_eq!(parse(b"caf\xe9.py,,\n").unwrap(), ["/s/caf\u{fffd}.py"]);
        assert!(parse(b"").unwrap().is_empty());
    }

    #[test]
    fn python_record_names() {
        let name = |path: &str| {
            parse_python_record(path, b"")
                .map(|p| (p.name, p.version))
                .map_err(|e| e.0)
        };
        let ok = |n: &str, v: &str| Ok((n.to_string(), v.to_string()));
        assert_eq!(
            name("s/python_dateutil-2.9.0.post0.dist-info/RECORD"),
            ok("python_dateutil", "2.9.0.post0")
        );
        assert_eq!(
            name("s/typing_extensions-4.15.0.dist-info/RECORD"),
            ok("typing_extensions", "4.15.0")
        );
        assert_eq!(
            name("s/jaraco.text-3.12.1.dist-info/RECORD"),
            ok("jaraco.text", "3.12.1")
        );
        assert_eq!(name("/s/PyYAML-6.0.dist-info/RECORD"), ok("PyYAML", "6.0"));
        assert_eq!(name("s/foo.dist-info/RECORD"), ok("foo", ""));
        // A `-` in the version (not what wheels write) stays in it.
        assert_eq!(name("s/a-b-1.dist-info/RECORD"), ok("a", "b-1"));
        assert_eq!(name("x-1.dist-info/RECORD"), ok("x", "1"));
        for bad in [
            "RECORD",
            "s/RECORD",
            "s/x-1.dist-info/sub/RECORD",
            "s/.dist-info/RECORD",
            "s/-1.dist-info/RECORD",
            "s/x-1.egg-info/RECORD",
        ] {
            let e = name(bad).unwrap_err();
            assert!(
                e.contains("dist-info") && e.starts_with(&format!("{bad:?}")),
                "{e}"
            );
        }
        // At `/`, `..` stays at `/`.
        let p = parse_python_record("x-1.dist-info/RECORD", b"../../y\nz\n").unwrap();
        assert_eq!(p.files, ["/y", "/z"]);
    }

    #[test]
    fn python_installed_files() {
        let list = b"../requests/__init__.py\r\n../requests/__pycache__/api.cpython-311.pyc\n\n\
            ./\nPKG-INFO\n../../../../bin/req\n/etc/abs\n  \n";
        let path =
            "usr/lib/python3.11/site-packages/requests-2.28.1-py3.11.egg-info/installed-files.txt";
        let egg = "/usr/lib/python3.11/site-packages/requests-2.28.1-py3.11.egg-info";
        assert_eq!(
            parse_python_installed_files(path, list).unwrap(),
            package(
                "python",
                "requests",
                "2.28.1",
                &[
                    "/usr/lib/python3.11/site-packages/requests/__init__.py",
                    "/usr/lib/python3.11/site-packages/requests/__pycache__/api.cpython-311.pyc",
                    egg,
                    &format!("{egg}/PKG-INFO"),
                    "/usr/bin/req",
                    "/etc/abs",
                ]
            )
        );
        let name = |dir: &str| {
            let p =
                parse_python_installed_files(&format!("s/{dir}/installed-files.txt"), b"").unwrap();
            (p.name, p.version)
        };
        let pair = |n: &str, v: &str| (n.to_string(), v.to_string());
        assert_eq!(
            name("foo_bar-1.0-py3.11-linux-x86_64.egg-info"),
            pair("foo_bar", "1.0")
        );
        assert_eq!(name("cryptography.egg-info"), pair("cryptography", ""));
        assert_eq!(name("foo-py3.11.egg-info"), pair("foo", ""));
        assert_eq!(name("lazr.uri-1.0.6.egg-info"), pair("lazr.uri", "1.0.6"));
        assert_eq!(name("pyx-pyramid.egg-info"), pair("pyx", "pyramid"));
        for bad in [
            "installed-files.txt",
            "s/x-1.dist-info/installed-files.txt",
            "s/-1.egg-info/installed-files.txt",
        ] {
            assert!(
                parse_python_installed_files(bad, b"")
                    .unwrap_err()
                    .0
                    .contains("egg-info")
            );
        }
        let p = parse_python_installed_files("s/p.egg-info/installed-files.txt", b"\xff\xfe\n")
            .unwrap();
        assert_eq!(p.files, ["/s/p.egg-info/\u{fffd}\u{fffd}"]);
    }

    // ---- package.json ----------------------------------------------------------------------

    #[test]
    fn npm_package_json() {
        let parse = parse_npm_package_json;
        assert_eq!(
            parse(
                "app/node_modules/lodash/package.json",
                br#"{"name": "lodash", "version": "4.17.21", "x": {"name": "no", "version": 1}}"#
            )
            .unwrap(),
            package("npm", "lodash", "4.17.21", &["/app/node_modules/lodash"])
        );
        assert_eq!(
            parse(
                "/usr/lib/node_modules/@types/node/package.json",
                br#"{"name":"@types/node","version":"20.1.0"}"#
            )
            .unwrap(),
            package(
                "npm",
                "@types/node",
                "20.1.0",
                &["/usr/lib/node_modules/@types/node"]
            )
        );
        // No name, no version (or not strings): the directory's name, "".
        assert_eq!(
            parse(
                "a/node_modules/@scope/pkg/package.json",
                br#"{"private": true}"#
            )
            .unwrap(),
            package("npm", "@scope/pkg", "", &["/a/node_modules/@scope/pkg"])
        );
        assert_eq!(
            parse(
                "node_modules/pkg/package.json",
                br#"{"name": "", "version": 3}"#
            )
            .unwrap(),
            package("npm", "pkg", "", &["/node_modules/pkg"])
        );
        // An alias: the JSON's name wins.
        assert_eq!(
            parse(
                "node_modules/foo/package.json",
                br#"{"name":"bar","version":"1.0.0"}"#
            )
            .unwrap()
            .name,
            "bar"
        );
        // A byte order mark; invalid UTF-8 replaced.
        let mut bytes = "\u{feff}".as_bytes().to_vec();
        bytes.extend(b"{\"name\":\"caf\xe9\",\"version\":\"1\"}");
        let p = parse("node_modules/cafe/package.json", &bytes).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("caf\u{fffd}", "1"));
        // Garbage, a top level that is no object, nothing, a path without a directory.
        for (path, bytes, what) in [
            (
                "node_modules/a/package.json",
                &b"{\"name\": \"a\""[..],
                "not JSON",
            ),
            (
                "node_modules/a/package.json",
                b"\x00\x01garbage",
                "not JSON",
            ),
            ("node_modules/a/package.json", b"", "not JSON"),
            ("node_modules/a/package.json", b"{} {}", "not JSON"),
            (
                "node_modules/a/package.json",
                b"[\"name\"]",
                "not a JSON object",
            ),
            ("node_modules/a/package.json", b"\"a\"", "not a JSON object"),
            ("package.json", b"{}", "not inside a directory"),
            ("/../package.json", b"{}", "not inside a directory"),
        ] {
            let e = parse(path, bytes).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("{path:?}: ")) && e.contains(what),
                "{e}"
            );
            assert!(!e.contains('\n'), "{e}");
        }
        // Nesting: serde_json's limit (128) holds.
        let nested = |depth: usize| {
            format!(
                "{{\"name\":\"n\",\"x\":{}{}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            )
        };
        assert!(parse("node_modules/n/package.json", nested(100).as_bytes()).is_ok());
        let deep = nested(100_000);
        assert!(parse("node_modules/n/package.json", deep.as_bytes()).is_err());
    }

    // ---- caps ------------------------------------------------------------------------------

    #[test]
    fn oversized_inputs_are_refused() {
        // calloc'd: the pages are never touched.
        let big = vec![0u8; MAX_INPUT_BYTES + 1];
        let e = parse_python_record("s/x-1.dist-info/RECORD", &big).unwrap_err();
        assert!(e.0.contains("MAX_INPUT_BYTES"), "{e}");
        let e = parse_python_installed_files("s/x.egg-info/installed-files.txt", &big).unwrap_err();
        assert!(e.0.contains("MAX_INPUT_BYTES"), "{e}");
        let e = parse_npm_package_json(
            "node_modules/a/package.json",
            &big[..MAX_PACKAGE_JSON_BYTES + 1],
        )
        .unwrap_err();
        assert!(e.0.contains("MAX_PACKAGE_JSON_BYTES"), "{e}");
        // Long record paths: refused, and shown shortened.
        let long = format!("{}x-1.dist-info/RECORD", "d/".repeat(MAX_STRING_BYTES / 2));
        let e = parse_python_record(&long, b"").unwrap_err();
        assert!(e.0.contains("MAX_STRING_BYTES") && e.0.len() < 400, "{e}");
    }

    #[test]
    fn path_count_cap() {
        let at_cap = b"a\n".repeat(MAX_PATHS);
        assert_eq!(
            parse_python_record("s/x-1.dist-info/RECORD", &at_cap)
                .unwrap()
                .files
                .len(),
            MAX_PATHS
        );
        let over = b"a\n".repeat(MAX_PATHS + 1);
        let e =
            parse_python_installed_files("s/x.egg-info/installed-files.txt", &over).unwrap_err();
        assert!(e.0.contains("MAX_PATHS"), "{e}");
        let e = parse_python_record("s/x-1.dist-info/RECORD", &over).unwrap_err();
        assert!(e.0.contains("MAX_PATHS"), "{e}");
    }

    #[test]
    fn path_bytes_ratio_cap() {
        // A site directory of almost 4 KiB and many one-byte entries.
        let site = "d/".repeat(MAX_STRING_BYTES / 2 - 20);
        let path = format!("{site}x-1.dist-info/RECORD");
        let e = parse_python_record(&path, &b"a\n".repeat(100)).unwrap_err();
        assert!(e.0.contains("MAX_PATH_BYTES_RATIO"), "{e}");
        // One such entry fits.
        let p = parse_python_record(&path, b"a\n").unwrap();
        assert_eq!(p.files.len(), 1);
        check(&p);
    }

    #[test]
    fn long_strings_are_truncated_on_a_char_boundary() {
        for filler in ["x", "\u{e9}", "\u{20ac}", "\u{1f980}"] {
            let long = filler.repeat(3 * MAX_STRING_BYTES);
            let json = format!("{{\"name\":\"{long}\",\"version\":\"{long}\"}}");
            let p = parse_npm_package_json("node_modules/a/package.json", json.as_bytes()).unwrap();
            assert!(p.name.len() <= MAX_STRING_BYTES && p.name.len() > MAX_STRING_BYTES - 4);
            assert!(p.name.chars().all(|c| c.to_string() == filler));
            assert_eq!(p.version, p.name);

            let record = format!("{long}\nok/{long}/x\n");
            let p = parse_python_record("s/x-1.dist-info/RECORD", record.as_bytes()).unwrap();
            assert_eq!(p.files.len(), 2);
            for f in &p.files {
                assert!(f.len() > MAX_STRING_BYTES - 8, "{}", f.len());
                assert!(
                    f["/s/".len()..]
                        .chars()
                        .all(|c| c.to_string() == filler || "/ok\u{fffd}".contains(c))
                );
            }
            check(&p);
        }
        // A cut leaving `..` of a `...x` component drops it: the path stays normalized.
        let record = format!("{}/...x\n", "a".repeat(MAX_STRING_BYTES - 6));
        let p = parse_python_record("s/x-1.dist-info/RECORD", record.as_bytes()).unwrap();
        assert_eq!(
            p.files,
            [format!("/s/{}", "a".repeat(MAX_STRING_BYTES - 6))]
        );
        // Invalid UTF-8 at the cut.
        let mut record = b"q".to_vec();
        record.extend(vec![0xff; 2 * MAX_STRING_BYTES]);
        let p = parse_python_record("s/x-1.dist-info/RECORD", &record).unwrap();
        check(&p);
        assert!(p.files[0].len() <= MAX_STRING_BYTES);
        // A quoted path is kept up to the cap only.
        let record = format!("\"{}\",,\n", "\"\"".repeat(3 * MAX_STRING_BYTES));
        let p = parse_python_record("s/x-1.dist-info/RECORD", record.as_bytes()).unwrap();
        assert_eq!(
            p.files,
            [format!("/s/{}", "\"".repeat(MAX_STRING_BYTES - 3))]
        );
    }

    // ---- hostile input ---------------------------------------------------------------------

    use crate::test_rng::XorShift;

    const COMPONENTS: &[&str] = &[
        "node_modules",
        "node_modules",
        "@s",
        "@",
        "a",
        "b-1",
        ".",
        "..",
        "",
        ".pnpm",
        "x-1.dist-info",
        "-1.dist-info",
        ".dist-info",
        "y-2-py3.11.egg-info",
        "z.egg-info",
        "package.json",
        "RECORD",
        "installed-files.txt",
        "\u{e9}",
    ];

    fn random_path(rng: &mut XorShift) -> String {
        let mut path = String::new();
        if rng.below(4) == 0 {
            path.push('/');
        }
        for i in 0..rng.below(8) {
            if i > 0 {
                path.push('/');
            }
            path.push_str(COMPONENTS[rng.below(COMPONENTS.len())]);
        }
        if rng.below(2) == 0 {
            path.push('/');
            path.push_str(["package.json", "RECORD", "installed-files.txt"][rng.below(3)]);
        }
        path
    }

    #[test]
    fn random_input_does_not_panic() {
        const ALPHABET: &[u8] =
            b"\n\n\r,,,\"\"\"/./../a b\t{}[]:,\"name\"\"version\"\\u00e9\xff\xe9\xef\xbb\xbf0";
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut records = [0usize; 3];
        for round in 0..20_000 {
            let len = rng.below(600);
            let mut buf = Vec::with_capacity(len + 64);
            if round % 7 == 0 {
                buf.extend(br#"{"name":"n","version":"1","x":"#);
            }
            for _ in 0..len {
                let r = rng.next();
                buf.push(if round % 3 == 0 {
                    r as u8
                } else {
                    ALPHABET[(r % ALPHABET.len() as u64) as usize]
                });
            }
            if round % 7 == 0 {
                buf.push(b'}');
            }
            let path = random_path(&mut rng);
            for p in [
                parse_python_record(&path, &buf),
                parse_python_installed_files(&path, &buf),
                parse_npm_package_json(&path, &buf),
            ]
            .into_iter()
            .flatten()
            {
                check(&p);
            }
            // A path called a record is one its parser accepts (with a minimal body).
            match record_kind(&path) {
                Some(RecordKind::PythonRecord) => {
                    records[0] += 1;
                    check(&parse_python_record(&path, b"a\n").unwrap());
                }
                Some(RecordKind::PythonInstalledFiles) => {
                    records[1] += 1;
                    check(&parse_python_installed_files(&path, b"a\n").unwrap());
                }
                Some(RecordKind::NpmPackageJson) => {
                    records[2] += 1;
                    let p = parse_npm_package_json(&path, b"{}").unwrap();
                    check(&p);
                    assert_eq!(p.files.len(), 1);
                    assert!(
                        p.files[0].ends_with(&format!("/{}", p.name.rsplit('/').next().unwrap()))
                    );
                }
                None => {}
            }
            // The bytes as a path.
            let _ = record_kind(&String::from_utf8_lossy(&buf));
        }
        eprintln!(
            "records among the random paths (RECORD, installed-files, package.json): {records:?}"
        );
        assert!(records.iter().all(|&n| n > 20));
    }

    #[test]
    fn linear_on_pathological_input() {
        // Megabytes of quotes, of `..`, of commas: each parser's output stays within a fixed
        // multiple of its input (paths no more than lines, path bytes at most 16 per input byte),
        // the bound that amplification would break; the work is linear alongside.
        let big = 8 << 20;
        let bounded = |p: &LanguagePackage, input: usize| {
            let lines = input + 1;
            let path_bytes: usize = p.files.iter().map(String::len).sum();
            assert!(p.files.len() <= lines, "{} paths", p.files.len());
            assert!(path_bytes <= 16 * input + 4096, "{path_bytes} path bytes");
        };
        for bytes in [
            b"\"".repeat(big),
            b"\"\"".repeat(big / 2),
            b"../".repeat(big / 3),
            b",".repeat(big),
            b"\r".repeat(big),
            [b"a/".repeat(big / 4), b"../".repeat(big / 6)].concat(),
            b"a,b,c\n".repeat(big / 6),
        ] {
            if let Ok(p) = parse_python_record("s/x-1.dist-info/RECORD", &bytes) {
                check(&p);
                bounded(&p, bytes.len());
            }
            if let Ok(p) = parse_python_installed_files("s/x.egg-info/installed-files.txt", &bytes)
            {
                check(&p);
                bounded(&p, bytes.len());
            }
            if let Ok(p) = parse_npm_package_json("node_modules/x/package.json", &bytes[..big / 2])
            {
                bounded(&p, big / 2);
            }
        }
    }

    // ---- this machine's records ------------------------------------------------------------

    /// Files under the usual install roots whose path (relative to `/`) is a record, symlinks
    /// not followed.
    fn real_records() -> Vec<(PathBuf, RecordKind)> {
        let mut found = Vec::new();
        let mut stack: Vec<PathBuf> = [
            "/usr",
            "/opt",
            "/srv",
            "/app",
            "/home",
            "/root/.pyenv",
            "/root/.local",
            "/root/.nvm",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let mut visited = 0;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                visited += 1;
                if visited > 5_000_000 {
                    return found;
                }
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                let path = entry.path();
                if file_type.is_dir() {
                    stack.push(path);
                } else if file_type.is_file()
                    && let Some(kind) = path.to_str().and_then(|p| record_kind(&p[1..]))
                {
                    found.push((path, kind));
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        found
    }

    /// PEP 503: lowercase, runs of `-`, `_`, `.` as one `-`.
    fn canonical_name(name: &str) -> String {
        let mut out = String::new();
        for c in name.chars() {
            if matches!(c, '-' | '_' | '.') {
                if !out.ends_with('-') {
                    out.push('-');
                }
            } else {
                out.extend(c.to_lowercase());
            }
        }
        out
    }

    /// `Name:` and `Version:` of a dist-info's METADATA (its header: up to the first blank line).
    fn metadata(dist_info: &Path) -> Option<(String, String)> {
        let text = std::fs::read_to_string(dist_info.join("METADATA")).ok()?;
        let mut name = None;
        let mut version = None;
        for line in text.lines().take_while(|l| !l.is_empty()) {
            if let Some(v) = line.strip_prefix("Name:") {
                name = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = Some(v.trim().to_string());
            }
        }
        Some((name?, version?))
    }

    #[test]
    fn real_records_on_this_machine() {
        let records = real_records();
        if records.is_empty() {
            eprintln!("skipped: no dist-info, egg-info or node_modules records on this machine");
            return;
        }
        let (mut python, mut listed, mut present, mut npm, mut npm_renamed) = (0, 0, 0, 0, 0);
        for (path, kind) in &records {
            let bytes = std::fs::read(path).unwrap();
            let rel = &path.to_str().unwrap()[1..];
            let dir = path.parent().unwrap();
            let dir_name = dir.file_name().unwrap().to_str().unwrap();
            let p = match kind {
                RecordKind::PythonRecord => parse_python_record(rel, &bytes),
                RecordKind::PythonInstalledFiles => parse_python_installed_files(rel, &bytes),
                RecordKind::NpmPackageJson => parse_npm_package_json(rel, &bytes),
            }
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            check(&p);
            if *kind == RecordKind::NpmPackageJson {
                npm += 1;
                assert_eq!(p.files, [dir.to_str().unwrap()]);
                assert!(Path::new(&p.files[0]).is_dir());
                let scoped = dir.parent().unwrap().file_name().unwrap().to_str().unwrap();
                let dir_package = if scoped.starts_with('@') {
                    format!("{scoped}/{dir_name}")
                } else {
                    dir_name.to_string()
                };
                if p.name != dir_package {
                    npm_renamed += 1;
                    eprintln!("npm: {} names itself {:?}", dir.display(), p.name);
                }
                continue;
            }
            python += 1;
            let expected = match kind {
                RecordKind::PythonRecord => dist_info_name(dir_name),
                _ => egg_info_name(dir_name),
            }
            .unwrap();
            assert_eq!((p.name.as_str(), p.version.as_str()), expected);
            if *kind == RecordKind::PythonRecord
                && let Some((name, version)) = metadata(dir)
            {
                assert_eq!(
                    canonical_name(&p.name),
                    canonical_name(&name),
                    "{}",
                    dir.display()
                );
                assert_eq!(p.version, version, "{}", dir.display());
            }
            let here = p
                .files
                .iter()
                .filter(|f| Path::new(f).symlink_metadata().is_ok())
                .count();
            if here < p.files.len() {
                eprintln!(
                    "{}: {} of {} listed files missing, e.g. {:?}",
                    path.display(),
                    p.files.len() - here,
                    p.files.len(),
                    p.files
                        .iter()
                        .find(|f| Path::new(f).symlink_metadata().is_err())
                );
            }
            // A few RECORDs list files that are not installed: copies vendored inside another
            // package (setuptools' `_vendor/wheel-0.45.1.dist-info`: `../../bin/wheel`, and
            // `.pyc` files of another Python), Debian's builds (python3-pip: `../scripts/pip`;
            // python3-distro: `scripts-3.10/distro`, build-time places). A wrong base directory,
            // though, would miss nearly everything.
            assert!(here * 2 >= p.files.len(), "{}", path.display());
            listed += p.files.len();
            present += here;
        }
        // 95 % of all listed files are on disk.
        assert!(present * 100 >= listed * 95, "{present} of {listed}");
        eprintln!(
            "{python} Python records listing {listed} files ({present} on disk); {npm} npm \
             packages ({npm_renamed} named otherwise than their directory)"
        );
    }
}
