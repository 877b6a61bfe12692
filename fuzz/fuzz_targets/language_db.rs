//! Bytes → every language-record parser of `imgscope::packages` (python, npm, language): a wheel's `.dist-info/RECORD`, an
//! egg's `installed-files.txt` and a `node_modules` package's `package.json`, each under a few
//! record paths (deep, at `/`, scoped), and the bytes as a path through `record_kind`. The bytes
//! are an image's, so hostile: no parser may panic, and what they return stays within the
//! module's caps, its paths absolute and normalized.

#![no_main]

use imgscope::packages::language::{LanguagePackage, RecordKind, record_kind};
use imgscope::packages::limits::{MAX_RECORD_PATHS, MAX_STRING_BYTES};
use imgscope::packages::npm::parse_npm_package_json;
use imgscope::packages::python::{parse_python_installed_files, parse_python_record};
use libfuzzer_sys::fuzz_target;

fn check(p: &LanguagePackage) {
    assert!(p.manager == "python" || p.manager == "npm");
    assert!(!p.name.is_empty() && p.name.len() <= MAX_STRING_BYTES);
    assert!(p.version.len() <= MAX_STRING_BYTES);
    assert!(p.files.len() <= MAX_RECORD_PATHS);
    for f in &p.files {
        assert!(
            f.len() > 1 && f.len() <= MAX_STRING_BYTES && f.starts_with('/'),
            "{f:?}"
        );
        assert!(
            f[1..].split('/').all(|c| !matches!(c, "" | "." | "..")),
            "{f:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    for path in [
        "usr/local/lib/python3.12/site-packages/pkg_name-1.0.dist-info/RECORD",
        "x-1.dist-info/RECORD",
    ] {
        if let Ok(p) = parse_python_record(path, data) {
            check(&p);
            assert_eq!(p.manager, "python");
        }
    }
    for path in [
        "usr/lib/python3/dist-packages/pkg-1.0-py3.11.egg-info/installed-files.txt",
        "x.egg-info/installed-files.txt",
    ] {
        if let Ok(p) = parse_python_installed_files(path, data) {
            check(&p);
            assert_eq!(p.manager, "python");
        }
    }
    for (path, dir) in [
        ("app/node_modules/pkg/package.json", "/app/node_modules/pkg"),
        (
            "node_modules/@scope/pkg/package.json",
            "/node_modules/@scope/pkg",
        ),
    ] {
        if let Ok(p) = parse_npm_package_json(path, data) {
            check(&p);
            assert_eq!(p.manager, "npm");
            assert_eq!(p.files, [dir]);
        }
    }
    // The input as a path: whatever it is, a path called a record is one its parser accepts.
    let path = String::from_utf8_lossy(data);
    match record_kind(&path) {
        Some(RecordKind::PythonRecord) => check(&parse_python_record(&path, b"a\n").unwrap()),
        Some(RecordKind::PythonInstalledFiles) => {
            check(&parse_python_installed_files(&path, b"a\n").unwrap())
        }
        Some(RecordKind::NpmPackageJson) => {
            let p = parse_npm_package_json(&path, b"{}").unwrap();
            check(&p);
            assert_eq!(p.files.len(), 1);
        }
        None => {}
    }
});
