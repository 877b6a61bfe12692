//! Alpine's `/lib/apk/db/installed` → package records with their files: apk keeps everything,
//! files included, in that one file. Hostile input as for [`super::dpkg`]: pure, linear, bounded by
//! [`super::limits`].

use super::ParseError;
use super::limits::*;
use super::record::{PackageRecord, Relations, relation_name};
use super::text::{
    Lines, cap_error, check_input_size, is_blank, join_path, line_error, optional_text, parse_u64,
    text, trim_leading_slashes, trim_slashes,
};

/// apk's space-separated `D:` or `p:` list → names (conflicts `!x` dropped).
fn apk_names(value: &[u8]) -> Vec<String> {
    value
        .split(|&b| b == b' ' || b == b'\t')
        .filter_map(relation_name)
        .take(MAX_RELATIONS)
        .collect()
}

/// Alpine's `/lib/apk/db/installed` → the installed packages with their files, in file order.
///
/// Paragraphs are separated by blank lines; lines are `K:value` with a one-letter key: `P:` name,
/// `V:` version, `A:` architecture, `o:` origin (→ [`PackageRecord::source`]), `I:` installed
/// size in bytes, `F:` a directory (relative), `R:` a file in the last `F:` directory (path
/// `"/" + F + "/" + R`, or `"/" + R` before any `F:`). Other keys (checksums `Z:`, owners `a:`,
/// dependencies…) and longer keys are ignored; a repeated scalar key: the last one wins. Scalar
/// values are trimmed, `F:`/`R:` names are kept as they are (bar stray slashes). A paragraph
/// without a non-empty `P:` is skipped.
///
/// CRLF line ends are accepted.
///
/// # Errors
///
/// A non-blank line without `:` (the message gives its line number), more than
/// [`MAX_PACKAGES`] packages, [`MAX_PATHS`] paths or [`MAX_PATH_BYTES_RATIO`] path bytes per input
/// byte, input over [`MAX_INPUT_BYTES`].
pub fn parse_apk_installed(bytes: &[u8]) -> Result<Vec<PackageRecord>, ParseError> {
    check_input_size(bytes)?;
    let max_path_bytes = bytes.len().saturating_mul(MAX_PATH_BYTES_RATIO);
    let mut records = Vec::new();
    let mut paragraph = ApkParagraph::default();
    let mut path_count = 0usize;
    let mut path_bytes = 0usize;
    for (number, line) in Lines::new(bytes) {
        if is_blank(line) {
            paragraph.finish(&mut records)?;
            continue;
        }
        let (key, value) = match line {
            [key, b':', value @ ..] => (*key, value),
            _ if line.contains(&b':') => continue, // A longer key: not apk's, ignored.
            _ => return Err(line_error(number, "expected \"K:value\", found no ':'")),
        };
        match key {
            b'P' => paragraph.name = Some(value.trim_ascii()),
            b'V' => paragraph.version = Some(value.trim_ascii()),
            b'A' => paragraph.architecture = Some(value.trim_ascii()),
            b'o' => paragraph.origin = Some(value.trim_ascii()),
            b'I' => paragraph.size = Some(value.trim_ascii()),
            b'D' => paragraph.depends = Some(value.trim_ascii()),
            b'p' => paragraph.provides = Some(value.trim_ascii()),
            b'F' => paragraph.dir = trim_slashes(value),
            b'R' if trim_leading_slashes(value).is_empty() => {}
            b'R' => {
                if path_count == MAX_PATHS {
                    return Err(cap_error("paths", MAX_PATHS, "MAX_PATHS"));
                }
                let path = join_path(paragraph.dir, value);
                path_count += 1;
                path_bytes += path.len();
                if path_bytes > max_path_bytes {
                    return Err(ParseError(format!(
                        "line {number}: paths total more than {MAX_PATH_BYTES_RATIO} bytes per \
                         input byte (MAX_PATH_BYTES_RATIO)"
                    )));
                }
                paragraph.files.push(path);
            }
            _ => {}
        }
    }
    paragraph.finish(&mut records)?;
    Ok(records)
}

/// The apk paragraph being read.
#[derive(Default)]
struct ApkParagraph<'a> {
    name: Option<&'a [u8]>,
    version: Option<&'a [u8]>,
    architecture: Option<&'a [u8]>,
    origin: Option<&'a [u8]>,
    size: Option<&'a [u8]>,
    depends: Option<&'a [u8]>,
    provides: Option<&'a [u8]>,
    /// The last `F:` directory, without leading or trailing slashes.
    dir: &'a [u8],
    files: Vec<String>,
}

impl ApkParagraph<'_> {
    /// Ends the paragraph: keeps it if named, and starts a new one.
    fn finish(&mut self, records: &mut Vec<PackageRecord>) -> Result<(), ParseError> {
        let paragraph = std::mem::take(self);
        let Some(name) = paragraph.name.filter(|n| !n.is_empty()) else {
            return Ok(());
        };
        if records.len() == MAX_PACKAGES {
            return Err(cap_error("packages", MAX_PACKAGES, "MAX_PACKAGES"));
        }
        records.push(PackageRecord {
            name: text(name),
            version: text(paragraph.version.unwrap_or_default()),
            architecture: optional_text(paragraph.architecture),
            source: optional_text(paragraph.origin),
            essential: false,
            priority: None,
            installed_size: paragraph.size.and_then(parse_u64),
            files: paragraph.files,
            relations: Relations {
                depends: paragraph
                    .depends
                    .map(apk_names)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|n| vec![n])
                    .collect(),
                provides: paragraph.provides.map(apk_names).unwrap_or_default(),
            },
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::record::tests::record;

    const APK: &str = "\
C:Q1abcdefabcdefabcdefabcdefabcdefabc=
P:musl
V:1.2.5-r0
A:x86_64
S:407920
I:636928
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
t:1711122131
c:36a8d40ab0a45bc4e0e2a4c1fbb5d0de8b0d1f8a
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1rNC7F3Lrq0jY2AxdlLbLl3Ur8Fw=
R:libc.musl-x86_64.so.1
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

P:busybox
V:1.36.1-r29
A:x86_64
I:946176
o:busybox
R:.dockerenv-like-root-file
F:bin
R:
R:busybox
F:etc/
R:securetty
F:/usr/share/udhcpc/
R:default.script

V:9
R:orphan

P:no-files
V:0
";

    #[test]
    fn apk_packages_and_files() {
        let records = parse_apk_installed(APK.as_bytes()).unwrap();
        assert_eq!(
            records,
            vec![
                PackageRecord {
                    architecture: Some("x86_64".into()),
                    source: Some("musl".into()),
                    installed_size: Some(636928),
                    files: vec![
                        "/lib/ld-musl-x86_64.so.1".into(),
                        "/lib/libc.musl-x86_64.so.1".into()
                    ],
                    relations: Relations {
                        depends: Vec::new(),
                        provides: vec!["so:libc.musl-x86_64.so.1".into()],
                    },
                    ..record("musl", "1.2.5-r0")
                },
                PackageRecord {
                    architecture: Some("x86_64".into()),
                    source: Some("busybox".into()),
                    installed_size: Some(946176),
                    files: vec![
                        "/.dockerenv-like-root-file".into(),
                        "/bin/busybox".into(),
                        "/etc/securetty".into(),
                        "/usr/share/udhcpc/default.script".into()
                    ],
                    ..record("busybox", "1.36.1-r29")
                },
                record("no-files", "0"),
            ]
        );
        let crlf = APK.replace('\n', "\r\n");
        assert_eq!(parse_apk_installed(crlf.as_bytes()).unwrap(), records);
    }

    #[test]
    fn apk_errors_and_caps() {
        let err = parse_apk_installed(b"P:a\nV:1\n\nP:b\nnonsense\n").unwrap_err();
        assert_eq!(err.0, "line 5: expected \"K:value\", found no ':'");
        // Longer keys are someone else's: ignored.
        assert_eq!(
            parse_apk_installed(b"P:a\nXY:z\nI:x\n").unwrap(),
            vec![record("a", "")]
        );
        let mut bytes = b"P:a\nF:d\n".to_vec();
        bytes.extend(b"R:f\n".repeat(MAX_PATHS));
        assert_eq!(
            parse_apk_installed(&bytes).unwrap()[0].files.len(),
            MAX_PATHS
        );
        bytes.extend(b"R:f\n");
        assert!(
            parse_apk_installed(&bytes)
                .unwrap_err()
                .0
                .contains("MAX_PATHS")
        );
        // A long directory and many short files: refused, not gigabytes of paths.
        let mut bytes = format!("P:a\nF:{}\n", "d".repeat(MAX_STRING_BYTES)).into_bytes();
        bytes.extend(b"R:f\n".repeat(10_000));
        let err = parse_apk_installed(&bytes).unwrap_err();
        assert!(err.0.contains("MAX_PATH_BYTES_RATIO"), "{err}");
        let bytes = b"P:a\n\n".repeat(MAX_PACKAGES + 1);
        assert!(
            parse_apk_installed(&bytes)
                .unwrap_err()
                .0
                .contains("MAX_PACKAGES")
        );
    }

    // ---- hostile input -------------------------------------------------------------------------
}
