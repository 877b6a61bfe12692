//! npm's packages → packages: a `node_modules/[@SCOPE/]NAME/package.json` gives the name and
//! version, and the package owns its directory (less packages nested in its own `node_modules`,
//! which are packages of their own). Hostile input, bounded as [`super::language`] says.

use super::ParseError;
use super::language::*;
use super::limits::*;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packages::language::tests::package;

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
}
