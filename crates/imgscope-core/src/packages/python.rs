//! Python's records → packages: a wheel's `NAME-VERSION.dist-info/RECORD` (CSV, paths relative to
//! the site directory) and a legacy install's `NAME-VERSION.egg-info/installed-files.txt` (paths
//! relative to the `.egg-info` directory), each giving the package's name, version and absolute,
//! normalized files. Hostile input, bounded as [`super::language`] says.

use super::ParseError;
use super::language::*;
use super::limits::*;

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
/// [`MAX_RECORD_PATHS`] paths, paths over [`MAX_PATH_BYTES_RATIO`], input over [`MAX_RECORD_BYTES`].
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
    check_input_size(record_path, bytes, MAX_RECORD_BYTES, "MAX_RECORD_BYTES")?;
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
/// [`MAX_STRING_BYTES`], more than [`MAX_RECORD_PATHS`] paths, paths over [`MAX_PATH_BYTES_RATIO`],
/// input over [`MAX_RECORD_BYTES`].
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
    check_input_size(path, bytes, MAX_RECORD_BYTES, "MAX_RECORD_BYTES")?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::language::tests::{check, package};
    use crate::packages::npm::parse_npm_package_json;
    use std::path::{Path, PathBuf};

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
