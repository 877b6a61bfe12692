//! Language package managers' records inside an image: which files are records ([`record_kind`]),
//! what a record yields ([`LanguagePackage`]), and the path handling the Python and npm parsers
//! share (a record's own directory, its listed paths normalized so that `..` stops at `/`, caps
//! on their count and bytes). Files installed by `pip` or `npm` are attributed to a package too,
//! not only those of dpkg, apk and rpm.
//!
//! Language managers keep no central database; each installed package leaves a record next to
//! its files:
//!
//! - Python wheels (pip, uv, poetry…): `SITE/NAME-VERSION.dist-info/RECORD`, a CSV file listing
//!   every installed file relative to `SITE` (the directory holding the `.dist-info` directory),
//!   scripts included (`../../../bin/pip`); legacy installs (`setup.py install` run by pip):
//!   `NAME-VERSION.egg-info/installed-files.txt`, one path per line relative to the `.egg-info`
//!   directory ([`super::python`]).
//! - npm, yarn, pnpm: `node_modules/NAME/package.json` (or `node_modules/@SCOPE/NAME/…`); the
//!   package owns its directory, less any package nested in its own `node_modules`
//!   ([`super::npm`]).
//!
//! Everything here reads bytes that come from an image, so it is written for hostile input: pure
//! functions over byte slices and strings (no I/O), no panics, work linear in the input, and
//! output bounded by [`super::limits`]; JSON nesting is bounded by `serde_json`'s recursion limit
//! (128 levels). Invalid UTF-8 is replaced (lossily) rather than rejected.

use std::borrow::Cow;
use std::ops::Range;

use super::ParseError;
use super::limits::*;
pub(super) use super::text::text;

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

/// `NAME-VERSION.dist-info` → (name, version): split at the first `-`; no `-`: empty version.
/// `None` when not a `.dist-info` name or the name is empty.
pub(super) fn dist_info_name(dir: &str) -> Option<(&str, &str)> {
    let stem = dir.strip_suffix(".dist-info")?;
    let (name, version) = stem.split_once('-').unwrap_or((stem, ""));
    (!name.is_empty()).then_some((name, version))
}

/// `NAME-VERSION-pyX.Y-PLATFORM.egg-info` → (name, version); the version is empty when absent or
/// when the second part is a Python tag. `None` when not an `.egg-info` name or the name is empty.
pub(super) fn egg_info_name(dir: &str) -> Option<(&str, &str)> {
    let stem = dir.strip_suffix(".egg-info")?;
    let mut parts = stem.split('-');
    let name = parts.next().unwrap_or("");
    let version = parts.next().filter(|v| !is_python_tag(v)).unwrap_or("");
    (!name.is_empty()).then_some((name, version))
}

/// `py3.11`, `py2.7`, `py3`.
pub(super) fn is_python_tag(part: &str) -> bool {
    part.strip_prefix("py")
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
}

pub(super) fn is_npm_package_dir(name: &str) -> bool {
    !name.is_empty() && name != "node_modules" && !name.starts_with(['.', '@'])
}

pub(super) fn is_npm_scope(name: &str) -> bool {
    name.len() > 1 && name.starts_with('@')
}

/// The normalized components of the directory holding the file `path` names (everything before
/// its last `/`): empty and `.` components dropped, `..` removing the previous one (none at `/`).
pub(super) fn record_dir(path: &str) -> Result<Vec<&str>, ParseError> {
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
pub(super) struct RevComponents<'a> {
    rest: &'a str,
    skip: usize,
}

impl<'a> RevComponents<'a> {
    pub(super) fn new(path: &'a str) -> Self {
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
pub(super) struct PathList<'a> {
    record_path: &'a str,
    base: &'a [&'a str],
    pub(super) paths: Vec<String>,
    /// Non-blank entries seen (resolved to `/` or not).
    entries: usize,
    bytes: usize,
    max_bytes: usize,
    /// Ranges of the kept components of the entry being resolved (reused).
    parts: Vec<Range<usize>>,
}

impl<'a> PathList<'a> {
    pub(super) fn new(record_path: &'a str, base: &'a [&'a str], input_len: usize) -> Self {
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
    pub(super) fn add(&mut self, entry: &[u8]) -> Result<(), ParseError> {
        if is_blank(entry) {
            return Ok(());
        }
        self.entries += 1;
        if self.entries > MAX_RECORD_PATHS {
            return Err(path_error(
                self.record_path,
                &format!("more than {MAX_RECORD_PATHS} paths (MAX_RECORD_PATHS)"),
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
    pub(super) fn resolve(&mut self, entry: &[u8]) -> Option<String> {
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
pub(super) struct PathOut(String);

impl PathOut {
    /// Appends `/component` (invalid UTF-8 replaced). At the cap, the component is cut on a char
    /// boundary (dropped if the cut leaves nothing, `.` or `..`) and `false` says to stop.
    pub(super) fn push(&mut self, component: &[u8]) -> bool {
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
    pub(super) fn finish(self) -> Option<String> {
        (!self.0.is_empty()).then_some(self.0)
    }
}

// ---- CSV -----------------------------------------------------------------------------------

/// The first field of each row of a CSV file, as Python's `csv` reader (dialect `excel`,
/// non-strict) reads it: a field opening with `"` is quoted until a `"` not followed by another
/// (`""` is a literal quote; commas and line breaks inside are data), and what follows the
/// closing quote up to the next `,` or line end is appended; elsewhere `"` is data. Rows end at
/// `\n`, `\r\n` or `\r`. Fields other than the first are skipped without copying.
pub(super) struct CsvFirstFields<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Line of `pos`, from 1.
    line: usize,
}

impl<'a> CsvFirstFields<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        CsvFirstFields {
            bytes,
            pos: 0,
            line: 1,
        }
    }

    /// The next row's first field (at most [`MAX_STRING_BYTES`] + 1 bytes of it kept when
    /// quoted), or `Err(line)`: a quoted field opening on that line is never closed (the rest of
    /// the input is then skipped).
    pub(super) fn next_row(&mut self) -> Option<Result<Cow<'a, [u8]>, usize>> {
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
    pub(super) fn field(&mut self, keep: bool) -> Result<Cow<'a, [u8]>, usize> {
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
    pub(super) fn unquoted_end(&self) -> usize {
        self.bytes[self.pos..]
            .iter()
            .position(|&b| matches!(b, b',' | b'\r' | b'\n'))
            .map_or(self.bytes.len(), |i| self.pos + i)
    }
}

// ---- helpers -------------------------------------------------------------------------------

pub(super) fn is_blank(bytes: &[u8]) -> bool {
    bytes.iter().all(u8::is_ascii_whitespace)
}

pub(super) fn check_input_size(
    path: &str,
    bytes: &[u8],
    max: usize,
    name: &str,
) -> Result<(), ParseError> {
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
pub(super) fn path_error(path: &str, what: &str) -> ParseError {
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

pub(super) fn line_error(path: &str, line: usize, what: &str) -> ParseError {
    path_error(path, &format!("line {line}: {what}"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::packages::npm::parse_npm_package_json;
    use crate::packages::python::{parse_python_installed_files, parse_python_record};

    use crate::test_rng::XorShift;

    pub(crate) fn package(
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
    pub(crate) fn check(p: &LanguagePackage) {
        assert!(p.manager == "python" || p.manager == "npm");
        assert!(!p.name.is_empty() && p.name.len() <= MAX_STRING_BYTES);
        assert!(p.version.len() <= MAX_STRING_BYTES);
        for f in &p.files {
            assert!(is_normalized(f), "{f:?}");
        }
    }

    pub(crate) fn is_normalized(path: &str) -> bool {
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

    #[test]
    fn oversized_inputs_are_refused() {
        // calloc'd: the pages are never touched.
        let big = vec![0u8; MAX_RECORD_BYTES + 1];
        let e = parse_python_record("s/x-1.dist-info/RECORD", &big).unwrap_err();
        assert!(e.0.contains("MAX_RECORD_BYTES"), "{e}");
        let e = parse_python_installed_files("s/x.egg-info/installed-files.txt", &big).unwrap_err();
        assert!(e.0.contains("MAX_RECORD_BYTES"), "{e}");
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
        let at_cap = b"a\n".repeat(MAX_RECORD_PATHS);
        assert_eq!(
            parse_python_record("s/x-1.dist-info/RECORD", &at_cap)
                .unwrap()
                .files
                .len(),
            MAX_RECORD_PATHS
        );
        let over = b"a\n".repeat(MAX_RECORD_PATHS + 1);
        let e =
            parse_python_installed_files("s/x.egg-info/installed-files.txt", &over).unwrap_err();
        assert!(e.0.contains("MAX_RECORD_PATHS"), "{e}");
        let e = parse_python_record("s/x-1.dist-info/RECORD", &over).unwrap_err();
        assert!(e.0.contains("MAX_RECORD_PATHS"), "{e}");
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
}
