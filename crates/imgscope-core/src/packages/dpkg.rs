//! dpkg's database → package records and path lists: Debian-family images keep it in
//! `/var/lib/dpkg/status` (distroless images: one small file per package in
//! `/var/lib/dpkg/status.d/`, with a `NAME.md5sums` companion), the files of each package in
//! `/var/lib/dpkg/info/NAME[:ARCH].list` and the diverted paths in `/var/lib/dpkg/diversions`.
//! The layer decoder captures those files' bytes; the functions here turn them into
//! [`PackageRecord`]s and path lists.
//!
//! Everything here reads bytes that come from an image, so it is written for hostile input: pure
//! functions over byte slices (no I/O), no panics, work linear in the input, and output bounded by
//! the caps of [`super::limits`]. Invalid UTF-8 is replaced (lossily, field by field) rather than
//! rejected: a package with a Latin-1 description still owns its files.

use super::ParseError;
use super::limits::*;
use super::record::{PackageRecord, Relations, relation_name};
use super::text::{
    Lines, cap_error, check_input_size, is_blank, join_path, line_error, optional_text, parse_u64,
    text,
};

/// dpkg's `Depends: a (>= 1), b | c` → `[[a], [b, c]]`, appended to `out` within the caps.
fn dpkg_relations(value: &[u8], out: &mut Vec<Vec<String>>) {
    for group in value.split(|&b| b == b',') {
        if out.len() == MAX_RELATIONS {
            return;
        }
        let alternatives: Vec<String> = group
            .split(|&b| b == b'|')
            .filter_map(relation_name)
            .take(MAX_ALTERNATIVES)
            .collect();
        if !alternatives.is_empty() {
            out.push(alternatives);
        }
    }
}

/// dpkg's `Provides: awk, mail-transport-agent (= 1)` → the names.
fn dpkg_provides(value: &[u8]) -> Vec<String> {
    value
        .split(|&b| b == b',')
        .filter_map(relation_name)
        .take(MAX_RELATIONS)
        .collect()
}

/// `/var/lib/dpkg/status`, or one file of `/var/lib/dpkg/status.d/` (distroless images: the same
/// paragraph format, often one package per file) → the installed packages, in file order.
///
/// Paragraphs are separated by blank lines (lines of only spaces and tabs count as blank); each
/// line is `Name: value` (names case-insensitive, values trimmed; a repeated field: the last one
/// wins). Folded continuation lines (starting with a space or tab: `Description`, `Conffiles`…)
/// are skipped. A paragraph is kept when it has a non-empty `Package:` and either no `Status:`
/// line (status.d) or a status of the form `WANT ok installed`: `install ok installed`, but also
/// `hold ok installed` (`apt-mark hold`) and the rare `deinstall`/`purge ok installed`, which all
/// have their files on disk (`dpkg -l` shows them as `ii`, `hi`, `ri`, `pi`). `config-files`,
/// `half-installed`, `not-installed`… and a `reinstreq` flag are skipped.
///
/// CRLF line ends are accepted.
///
/// # Errors
///
/// A non-blank line without `:` or a continuation line opening a paragraph (the message gives
/// its line number), more than [`MAX_PACKAGES`] kept paragraphs, input over [`MAX_INPUT_BYTES`].
pub fn parse_dpkg_status(bytes: &[u8]) -> Result<Vec<PackageRecord>, ParseError> {
    check_input_size(bytes)?;
    let mut records = Vec::new();
    let mut paragraph = DpkgParagraph::default();
    let mut last_line = 0;
    for (number, line) in Lines::new(bytes) {
        last_line = number;
        match line.first() {
            None => paragraph.finish(&mut records, number)?,
            Some(b' ' | b'\t') => {
                if is_blank(line) {
                    paragraph.finish(&mut records, number)?;
                } else if !paragraph.has_fields {
                    return Err(line_error(number, "continuation line outside a field"));
                }
                // Else: the folded rest of a field (Description, Conffiles…); nothing kept.
            }
            Some(_) => {
                let Some(colon) = line.iter().position(|&b| b == b':') else {
                    if is_blank(line) {
                        paragraph.finish(&mut records, number)?;
                        continue;
                    }
                    return Err(line_error(number, "expected \"Name: value\", found no ':'"));
                };
                paragraph.field(line[..colon].trim_ascii(), line[colon + 1..].trim_ascii());
            }
        }
    }
    paragraph.finish(&mut records, last_line + 1)?;
    Ok(records)
}

/// A `/var/lib/dpkg/info/*.list` file name → (package name, architecture qualifier):
/// `libc6:amd64.list` → `("libc6", Some("amd64"))`, `bash.list` → `("bash", None)`. Anything else
/// → `None`: a name not ending in `.list` (`x.md5sums`), an empty package name or qualifier, more
/// than one `:`, or a `/` (a path, not a file name).
pub fn dpkg_list_owner(file_name: &str) -> Option<(&str, Option<&str>)> {
    let stem = file_name.strip_suffix(".list")?;
    if stem.is_empty() || stem.contains('/') {
        return None;
    }
    match stem.split_once(':') {
        None => Some((stem, None)),
        Some((name, arch)) if !name.is_empty() && !arch.is_empty() && !arch.contains(':') => {
            Some((name, Some(arch)))
        }
        Some(_) => None,
    }
}

/// The paths of a dpkg `.list` file: one absolute path per line. Skips empty lines and `/.` (the
/// root, listed by every base package), strips trailing slashes, and keeps everything else as it
/// is: directories are listed too (the caller matches against regular files).
///
/// Two things for the caller: paths are as dpkg recorded them when unpacking, so on merged-`/usr`
/// images (Debian 12's own `libc6` lists `/lib/x86_64-linux-gnu/libc.so.6`) many start with
/// `/bin`, `/sbin`, `/lib` or `/lib64`, symlinks into `/usr` that must be resolved before
/// matching; and a diverted path stays in the diverted package's list although its file has moved
/// (see [`parse_dpkg_diversions`]).
///
/// Stops after [`MAX_PATHS`] paths; an input over [`MAX_INPUT_BYTES`] gives no paths.
pub fn parse_dpkg_list(bytes: &[u8]) -> Vec<String> {
    let mut paths = Vec::new();
    if bytes.len() > MAX_INPUT_BYTES {
        return paths;
    }
    for (_, line) in Lines::new(bytes) {
        let end = line.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
        let line = &line[..end];
        if line.is_empty() || line == b"/." {
            continue;
        }
        if paths.len() == MAX_PATHS {
            break;
        }
        paths.push(text(line));
    }
    paths
}

/// `/var/lib/dpkg/diversions` → `(diverted path, where it went, diverting package)`, in file
/// order. The file is groups of three lines; a package of `:` means a local diversion
/// (`dpkg-divert --local`) and gives `None`. The file now at the diverted path belongs to the
/// diverting package (both packages' lists name that path); the diverted package's own file is at
/// the target (e.g. `/usr/bin/pg_config` → `/usr/bin/pg_config.libpq-dev`, by
/// `postgresql-common`).
///
/// CRLF line ends are accepted.
///
/// # Errors
///
/// An incomplete last group, an empty path or package line (the message gives its line number),
/// more than [`MAX_PATHS`] diversions, input over [`MAX_INPUT_BYTES`].
pub fn parse_dpkg_diversions(
    bytes: &[u8],
) -> Result<Vec<(String, String, Option<String>)>, ParseError> {
    check_input_size(bytes)?;
    let mut diversions = Vec::new();
    let mut lines = Lines::new(bytes);
    while let Some((number, from)) = lines.next() {
        let (Some((_, to)), Some((_, package))) = (lines.next(), lines.next()) else {
            return Err(line_error(
                number,
                "incomplete diversion (expected 3 lines: path, target, package)",
            ));
        };
        for (offset, (value, what)) in [
            (from, "diverted path"),
            (to, "target"),
            (package, "package"),
        ]
        .into_iter()
        .enumerate()
        {
            if value.is_empty() {
                return Err(line_error(number + offset, &format!("empty {what}")));
            }
        }
        if diversions.len() == MAX_PATHS {
            return Err(cap_error("diversions", MAX_PATHS, "MAX_PATHS"));
        }
        let package = (package != b":").then(|| text(package));
        diversions.push((text(from), text(to), package));
    }
    Ok(diversions)
}

/// A status.d companion `NAME.md5sums` file (also `/var/lib/dpkg/info/*.md5sums`): lines
/// `<32 hex digits><two spaces><relative path>` → the absolute paths (`"/" + path`). Lines that
/// do not have that shape are skipped (a binary-mode `<hex> *<path>` is accepted).
///
/// Stops after [`MAX_PATHS`] paths; an input over [`MAX_INPUT_BYTES`] gives no paths.
pub fn parse_md5sums_paths(bytes: &[u8]) -> Vec<String> {
    let mut paths = Vec::new();
    if bytes.len() > MAX_INPUT_BYTES {
        return paths;
    }
    for (_, line) in Lines::new(bytes) {
        let Some((hash, rest)) = line.split_at_checked(32) else {
            continue;
        };
        let path = match rest {
            [b' ', b' ' | b'*', path @ ..] if !path.is_empty() => path,
            _ => continue,
        };
        if !hash.iter().all(u8::is_ascii_hexdigit) {
            continue;
        }
        if paths.len() == MAX_PATHS {
            break;
        }
        paths.push(join_path(&[], path));
    }
    paths
}

/// The fields of the dpkg paragraph being read, as slices of the input (strings are only built
/// for kept paragraphs).
#[derive(Default)]
struct DpkgParagraph<'a> {
    has_fields: bool,
    package: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    architecture: Option<&'a [u8]>,
    source: Option<&'a [u8]>,
    essential: Option<&'a [u8]>,
    priority: Option<&'a [u8]>,
    installed_size: Option<&'a [u8]>,
    status: Option<&'a [u8]>,
    depends: Option<&'a [u8]>,
    pre_depends: Option<&'a [u8]>,
    provides: Option<&'a [u8]>,
}

impl<'a> DpkgParagraph<'a> {
    fn field(&mut self, name: &[u8], value: &'a [u8]) {
        self.has_fields = true;
        let slot = match name.len() {
            6 if name.eq_ignore_ascii_case(b"source") => &mut self.source,
            6 if name.eq_ignore_ascii_case(b"status") => &mut self.status,
            7 if name.eq_ignore_ascii_case(b"package") => &mut self.package,
            7 if name.eq_ignore_ascii_case(b"version") => &mut self.version,
            8 if name.eq_ignore_ascii_case(b"priority") => &mut self.priority,
            7 if name.eq_ignore_ascii_case(b"depends") => &mut self.depends,
            8 if name.eq_ignore_ascii_case(b"provides") => &mut self.provides,
            11 if name.eq_ignore_ascii_case(b"pre-depends") => &mut self.pre_depends,
            9 if name.eq_ignore_ascii_case(b"essential") => &mut self.essential,
            12 if name.eq_ignore_ascii_case(b"architecture") => &mut self.architecture,
            14 if name.eq_ignore_ascii_case(b"installed-size") => &mut self.installed_size,
            _ => return,
        };
        *slot = Some(value);
    }

    /// Ends the paragraph at line `number`: keeps it if installed, and starts a new one.
    fn finish(
        &mut self,
        records: &mut Vec<PackageRecord>,
        number: usize,
    ) -> Result<(), ParseError> {
        let paragraph = std::mem::take(self);
        let Some(package) = paragraph.package.filter(|p| !p.is_empty()) else {
            return Ok(());
        };
        if !paragraph.status.is_none_or(is_installed) {
            return Ok(());
        }
        if records.len() == MAX_PACKAGES {
            return Err(ParseError(format!(
                "line {number}: more than {MAX_PACKAGES} packages (MAX_PACKAGES)"
            )));
        }
        records.push(PackageRecord {
            name: text(package),
            version: text(paragraph.version.unwrap_or_default()),
            architecture: optional_text(paragraph.architecture),
            source: optional_text(paragraph.source.map(source_name)),
            essential: paragraph
                .essential
                .is_some_and(|e| e.eq_ignore_ascii_case(b"yes")),
            priority: optional_text(paragraph.priority),
            installed_size: paragraph
                .installed_size
                .and_then(parse_u64)
                .and_then(|kib| kib.checked_mul(1024)),
            files: Vec::new(),
            relations: {
                let mut depends = Vec::new();
                for field in [paragraph.pre_depends, paragraph.depends]
                    .into_iter()
                    .flatten()
                {
                    dpkg_relations(field, &mut depends);
                }
                Relations {
                    depends,
                    provides: paragraph.provides.map(dpkg_provides).unwrap_or_default(),
                }
            },
        });
        Ok(())
    }
}

/// dpkg `Status: WANT FLAG STATUS`: the package's files are on disk when FLAG is `ok` and STATUS
/// is `installed`, whatever is wanted next.
fn is_installed(status: &[u8]) -> bool {
    let mut words = status
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|w| !w.is_empty());
    matches!(
        (words.next(), words.next(), words.next(), words.next()),
        (Some(_), Some(b"ok"), Some(b"installed"), None)
    )
}

/// `Source: name (version)` → `name` (the version is there when it differs from the binary's).
fn source_name(value: &[u8]) -> &[u8] {
    let end = value
        .iter()
        .position(|&b| b == b'(' || b == b' ' || b == b'\t')
        .unwrap_or(value.len());
    &value[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::apk::parse_apk_installed;
    use crate::packages::limits::MAX_STRING_BYTES;
    use crate::packages::record::tests::record;
    use std::path::Path;
    use std::process::Command;

    const STATUS: &str = "\
Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 341
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 12.4+deb12u11
Conffiles:
 /etc/debian_version 2d7e7a5ea2dbac1d2e8e3d4d7c6f3e54
 /etc/dpkg/origins/debian c47b6815f67ad1aeccb0d4529bd0b990
Description: Debian base system miscellaneous files
 This package contains the basic filesystem hierarchy of a Debian system, and
 .
 several important miscellaneous files.
\tA tab-folded line too.

Package: libfoo1
Status: deinstall ok config-files
Priority: optional
Architecture: amd64
Version: 1.0-1

Package: bash
Status: install ok installed
Source: bash (5.2.15-2)
Version: 5.2.15-2+b7
Architecture: amd64
Installed-Size: 7163
Pre-Depends: libc6 (>= 2.36), libtinfo6 (>= 6)
";

    #[test]
    fn dpkg_status_paragraphs() {
        let records = parse_dpkg_status(STATUS.as_bytes()).unwrap();
        assert_eq!(
            records,
            vec![
                PackageRecord {
                    architecture: Some("amd64".into()),
                    essential: true,
                    priority: Some("required".into()),
                    installed_size: Some(341 * 1024),
                    ..record("base-files", "12.4+deb12u11")
                },
                PackageRecord {
                    architecture: Some("amd64".into()),
                    source: Some("bash".into()),
                    installed_size: Some(7163 * 1024),
                    relations: Relations {
                        depends: vec![vec!["libc6".into()], vec!["libtinfo6".into()]],
                        provides: Vec::new(),
                    },
                    ..record("bash", "5.2.15-2+b7")
                },
            ]
        );
    }

    #[test]
    fn dpkg_status_crlf_and_case_and_blank_lines_with_spaces() {
        let crlf = STATUS.replace('\n', "\r\n");
        assert_eq!(
            parse_dpkg_status(crlf.as_bytes()).unwrap(),
            parse_dpkg_status(STATUS.as_bytes()).unwrap()
        );
        let text =
            "package:  a \r\nVERSION:1\r\nsource:src\r\n \t \r\nPackage: b\nESSENTIAL: Yes\n\n\n";
        let records = parse_dpkg_status(text.as_bytes()).unwrap();
        assert_eq!(
            records,
            vec![
                PackageRecord {
                    source: Some("src".into()),
                    ..record("a", "1")
                },
                PackageRecord {
                    essential: true,
                    ..record("b", "")
                },
            ]
        );
    }

    #[test]
    fn dpkg_status_which_statuses_count_as_installed() {
        for (status, kept) in [
            ("install ok installed", true),
            ("install  ok\tinstalled ", true),
            ("hold ok installed", true),
            ("deinstall ok installed", true),
            ("deinstall ok config-files", false),
            ("purge ok not-installed", false),
            ("install ok unpacked", false),
            ("install ok half-configured", false),
            ("install reinstreq installed", false),
            ("install ok installed extra", false),
            ("installed", false),
            ("", false),
        ] {
            let text = format!("Package: p\nStatus: {status}\n");
            let records = parse_dpkg_status(text.as_bytes()).unwrap();
            assert_eq!(records.len(), usize::from(kept), "{status:?}");
        }
    }

    #[test]
    fn dpkg_status_d_paragraph_without_status() {
        let text = "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\nSource: tzdata-legacy\nInstalled-Size: 3\n";
        assert_eq!(
            parse_dpkg_status(text.as_bytes()).unwrap(),
            vec![PackageRecord {
                architecture: Some("all".into()),
                source: Some("tzdata-legacy".into()),
                installed_size: Some(3072),
                ..record("tzdata", "2024a-0+deb12u1")
            }]
        );
    }

    #[test]
    fn dpkg_status_odd_values() {
        let text = "Package: a\nInstalled-Size: lots\nSource: (1.2)\nArchitecture:\n\n\
                    Package: b\nInstalled-Size: 99999999999999999999\nSource: s(1.2)\n\n\
                    Package: c\nInstalled-Size: -1\nPackage: d\n\n\
                    Package:\nVersion: 1\n\n\
                    Version: 2\n\n\
                    Package: \u{e9}\u{fffd}\n";
        let mut bytes = text.as_bytes().to_vec();
        bytes.extend(b"\n\nPackage: latin1-\xe9\n");
        let records = parse_dpkg_status(&bytes).unwrap();
        let names: Vec<_> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "d", "\u{e9}\u{fffd}", "latin1-\u{fffd}"]);
        assert_eq!(records[0].installed_size, None);
        assert_eq!(records[0].source, None);
        assert_eq!(records[0].architecture, None);
        assert_eq!(records[1].installed_size, None); // Overflows u64.
        assert_eq!(records[1].source.as_deref(), Some("s"));
        assert_eq!(records[2].installed_size, None);
    }

    #[test]
    fn dpkg_status_errors_name_the_line() {
        let err =
            parse_dpkg_status(b"Package: a\nVersion: 1\n\nPackage: b\nbroken line\n").unwrap_err();
        assert_eq!(err.0, "line 5: expected \"Name: value\", found no ':'");
        assert_eq!(err.to_string(), err.0);
        let err = parse_dpkg_status(b"Package: a\r\n\r\n continued\r\n").unwrap_err();
        assert!(err.0.starts_with("line 3: "), "{err}");
        assert_eq!(parse_dpkg_status(b"").unwrap(), vec![]);
        assert_eq!(parse_dpkg_status(b"\n \n\t\n").unwrap(), vec![]);
    }

    #[test]
    fn dpkg_status_package_cap() {
        let paragraph = b"Package: a\n\n";
        let mut bytes = paragraph.repeat(MAX_PACKAGES);
        assert_eq!(parse_dpkg_status(&bytes).unwrap().len(), MAX_PACKAGES);
        bytes.extend(paragraph);
        let err = parse_dpkg_status(&bytes).unwrap_err();
        assert!(err.0.contains("MAX_PACKAGES"), "{err}");
        // Skipped paragraphs do not count.
        let mut bytes = b"Package: a\nStatus: purge ok not-installed\n\n".repeat(MAX_PACKAGES + 1);
        bytes.extend(b"Package: b\n");
        assert_eq!(parse_dpkg_status(&bytes).unwrap().len(), 1);
    }

    #[test]
    fn long_strings_are_truncated_on_a_char_boundary() {
        for filler in ["x", "\u{e9}", "\u{20ac}", "\u{1f980}"] {
            let long = filler.repeat(3 * MAX_STRING_BYTES);
            let text = format!("Package: {long}\nVersion: {long}\n");
            let records = parse_dpkg_status(text.as_bytes()).unwrap();
            let name = &records[0].name;
            assert!(name.len() <= MAX_STRING_BYTES && name.len() > MAX_STRING_BYTES - 4);
            assert!(name.chars().all(|c| c.to_string() == filler));
            assert_eq!(records[0].version, *name);
        }
        let mut bytes = b"Package: ".to_vec();
        bytes.extend(vec![0xff; 2 * MAX_STRING_BYTES]);
        let name = &parse_dpkg_status(&bytes).unwrap()[0].name;
        assert!(name.len() <= MAX_STRING_BYTES);
        assert!(name.chars().all(|c| c == '\u{fffd}'));
    }

    #[test]
    fn oversized_inputs_are_refused() {
        // calloc'd: the pages are never touched.
        let big = vec![0u8; MAX_INPUT_BYTES + 1];
        assert!(
            parse_dpkg_status(&big)
                .unwrap_err()
                .0
                .contains("MAX_INPUT_BYTES")
        );
        assert!(
            parse_apk_installed(&big)
                .unwrap_err()
                .0
                .contains("MAX_INPUT_BYTES")
        );
        assert!(
            parse_dpkg_diversions(&big)
                .unwrap_err()
                .0
                .contains("MAX_INPUT_BYTES")
        );
        assert!(parse_dpkg_list(&big).is_empty());
        assert!(parse_md5sums_paths(&big).is_empty());
    }

    // ---- .list, diversions, md5sums ------------------------------------------------------------

    #[test]
    fn list_owner_names() {
        assert_eq!(
            dpkg_list_owner("libc6:amd64.list"),
            Some(("libc6", Some("amd64")))
        );
        assert_eq!(dpkg_list_owner("bash.list"), Some(("bash", None)));
        assert_eq!(dpkg_list_owner("x.list"), Some(("x", None)));
        assert_eq!(
            dpkg_list_owner("libstdc++6:i386.list"),
            Some(("libstdc++6", Some("i386")))
        );
        for bad in [
            "x.md5sums",
            "x.list.md5sums",
            ".list",
            "list",
            ":amd64.list",
            "libc6:.list",
            "a:b:c.list",
            "info/bash.list",
            "",
        ] {
            assert_eq!(dpkg_list_owner(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn list_paths() {
        let text = "/.\n/./\n/bin\n/usr//\n/usr/bin/bash\n\n/usr/share/doc/bash/\r\n/etc/skel/.bashrc\n/\nrelative kept\n/no/newline";
        assert_eq!(
            parse_dpkg_list(text.as_bytes()),
            [
                "/bin",
                "/usr",
                "/usr/bin/bash",
                "/usr/share/doc/bash",
                "/etc/skel/.bashrc",
                "relative kept",
                "/no/newline"
            ]
        );
        assert!(parse_dpkg_list(b"").is_empty());
        assert_eq!(parse_dpkg_list(b"/a\xff\n"), ["/a\u{fffd}"]);
    }

    #[test]
    fn list_path_cap() {
        let bytes = b"/a\n".repeat(MAX_PATHS + 10);
        assert_eq!(parse_dpkg_list(&bytes).len(), MAX_PATHS);
    }

    #[test]
    fn diversions() {
        let text = "/usr/share/man/man1/sh.1.gz\n/usr/share/man/man1/sh.distrib.1.gz\ndash\n\
                    /usr/bin/pg_config\r\n/usr/bin/pg_config.libpq-dev\r\npostgresql-common\r\n\
                    /etc/local\n/etc/local.orig\n:";
        assert_eq!(
            parse_dpkg_diversions(text.as_bytes()).unwrap(),
            vec![
                (
                    "/usr/share/man/man1/sh.1.gz".into(),
                    "/usr/share/man/man1/sh.distrib.1.gz".into(),
                    Some("dash".into())
                ),
                (
                    "/usr/bin/pg_config".into(),
                    "/usr/bin/pg_config.libpq-dev".into(),
                    Some("postgresql-common".into())
                ),
                ("/etc/local".into(), "/etc/local.orig".into(), None),
            ]
        );
        assert_eq!(parse_dpkg_diversions(b"").unwrap(), vec![]);
        let err = parse_dpkg_diversions(b"/a\n/b\nx\n/c\n/d\n").unwrap_err();
        assert!(err.0.starts_with("line 4: incomplete diversion"), "{err}");
        let err = parse_dpkg_diversions(b"/a\n/b\nx\n/c\n\nx\n").unwrap_err();
        assert_eq!(err.0, "line 5: empty target");
    }

    #[test]
    fn md5sums() {
        let text = "d41d8cd98f00b204e9800998ecf8427e  usr/bin/true\n\
                    D41D8CD98F00B204E9800998ECF8427E  usr/share/doc/a b/file name\r\n\
                    d41d8cd98f00b204e9800998ecf8427e *usr/lib/bin-mode\n\
                    d41d8cd98f00b204e9800998ecf8427e  /already/absolute\n\
                    d41d8cd98f00b204e9800998ecf8427e  \n\
                    d41d8cd98f00b204e9800998ecf8427  usr/short-hash\n\
                    g41d8cd98f00b204e9800998ecf8427e  usr/not-hex\n\
                    d41d8cd98f00b204e9800998ecf8427e usr/one-space\n\
                    garbage\n\n";
        assert_eq!(
            parse_md5sums_paths(text.as_bytes()),
            [
                "/usr/bin/true",
                "/usr/share/doc/a b/file name",
                "/usr/lib/bin-mode",
                "/already/absolute"
            ]
        );
    }

    // ---- apk -----------------------------------------------------------------------------------

    fn command_output(program: &str, args: &[&str]) -> Option<String> {
        let output = Command::new(program).args(args).output().ok()?;
        output
            .status
            .success()
            .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
    }

    #[test]
    fn real_dpkg_database() {
        let Ok(status) = std::fs::read("/var/lib/dpkg/status") else {
            // Every Debian machine has one, CI's included: its absence there is a failure.
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "no /var/lib/dpkg/status, and CI=true: this test must run"
            );
            eprintln!(
                "SKIPPED: no /var/lib/dpkg/status on this machine (a Debian machine has one)"
            );
            return;
        };
        let records = parse_dpkg_status(&status).unwrap();
        assert!(!records.is_empty());

        if let Some(abbrevs) = command_output("dpkg-query", &["-W", "-f", "${db:Status-Abbrev}\\n"])
        {
            let ii = abbrevs.lines().filter(|l| l.starts_with("ii")).count();
            // Installed whatever the wish (ii, hi, ri, pi), with no error flag.
            let installed = abbrevs
                .lines()
                .filter(|l| l.as_bytes().get(1..3) == Some(b"i "))
                .count();
            eprintln!(
                "{} records; dpkg-query: {ii} ii, {installed} installed",
                records.len()
            );
            assert_eq!(records.len(), installed);
            assert!(records.len() >= ii);
        } else {
            eprintln!("no dpkg-query: package count not cross-checked");
        }

        let libc6 = records.iter().find(|r| r.name == "libc6");
        if let (Some(libc6), Some(expected)) = (
            libc6,
            command_output(
                "dpkg-query",
                &["-W", "-f", "${Version} ${Architecture}", "libc6"],
            ),
        ) {
            let arch = libc6.architecture.as_deref().unwrap_or("");
            assert_eq!(format!("{} {arch}", libc6.version), expected.trim());
            assert!(libc6.installed_size.unwrap() > 1 << 20);
        }

        // Every .list file names a package of the database; libc6's holds libc.so.6.
        let info = Path::new("/var/lib/dpkg/info");
        let Ok(dir) = std::fs::read_dir(info) else {
            eprintln!("skipped: no {}", info.display());
            return;
        };
        let mut lists = 0;
        let mut paths = 0;
        let mut checked_libc = false;
        for entry in dir.flatten() {
            let file_name = entry.file_name();
            let Some((name, arch)) = file_name.to_str().and_then(dpkg_list_owner) else {
                continue;
            };
            let owner = records.iter().find(|r| r.name == name);
            let Some(owner) = owner else {
                // dpkg keeps lists of config-files packages too (`rc`): no record, no files.
                eprintln!("list without an installed package: {file_name:?}");
                continue;
            };
            if let Some(arch) = arch {
                assert_eq!(owner.architecture.as_deref(), Some(arch), "{file_name:?}");
            }
            let bytes = std::fs::read(entry.path()).unwrap();
            let list = parse_dpkg_list(&bytes);
            lists += 1;
            paths += list.len();
            assert!(list.iter().all(|p| p.starts_with('/') && !p.ends_with('/')));
            if name == "libc6" {
                // bookworm's libc6 still lists the pre-merged-/usr name (`/lib` is a symlink to
                // `usr/lib`); later releases list the `/usr/lib` one.
                let triplet = match owner.architecture.as_deref() {
                    Some("amd64") => "x86_64-linux-gnu",
                    Some("arm64") => "aarch64-linux-gnu",
                    Some("i386") => "i386-linux-gnu",
                    _ => "",
                };
                let expected = [
                    format!("/usr/lib/{triplet}/libc.so.6"),
                    format!("/lib/{triplet}/libc.so.6"),
                ];
                assert!(
                    list.iter().any(|p| if triplet.is_empty() {
                        p.ends_with("/libc.so.6")
                    } else {
                        expected.contains(p)
                    }),
                    "libc6's list has none of {expected:?}"
                );
                checked_libc = true;
            }
        }
        eprintln!("{lists} .list files, {paths} paths");
        assert!(checked_libc || libc6.is_none());

        if let Ok(bytes) = std::fs::read("/var/lib/dpkg/diversions") {
            let diversions = parse_dpkg_diversions(&bytes).unwrap();
            if let Some(listed) = command_output("dpkg-divert", &["--list"]) {
                assert_eq!(diversions.len(), listed.lines().count());
            }
        }
        if let Ok(bytes) = std::fs::read("/var/lib/dpkg/info/libc6:amd64.md5sums") {
            let paths = parse_md5sums_paths(&bytes);
            assert!(
                paths
                    .iter()
                    .any(|p| p.ends_with("lib/x86_64-linux-gnu/libc.so.6")),
                "libc6's md5sums has no libc.so.6"
            );
        }
    }
}
