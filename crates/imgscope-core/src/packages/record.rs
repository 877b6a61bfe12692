//! What a system package manager (dpkg, apk, rpm) says of one installed package: its name,
//! version, origin, size, files, and the relations a slim image follows (what it depends on, what
//! it provides).

use super::text::text;

/// One installed package: what it is, and (apk) the absolute paths it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageRecord {
    /// Package name (dpkg `Package:`, apk `P:`).
    pub name: String,
    /// Version (dpkg `Version:`, apk `V:`); empty when the database has none.
    pub version: String,
    /// Architecture (dpkg `Architecture:`, apk `A:`), e.g. `amd64`, `all`, `x86_64`.
    pub architecture: Option<String>,
    /// Source package: dpkg `Source:` without its `(version)` suffix, apk `o:` (origin).
    pub source: Option<String>,
    /// dpkg `Essential: yes` (apk: always false).
    pub essential: bool,
    /// dpkg `Priority:` (`required`, `important`, `optional`…; apk: none).
    pub priority: Option<String>,
    /// Installed size in bytes: dpkg `Installed-Size:` is in KiB and is multiplied by 1024, apk
    /// `I:` is already in bytes. `None` when absent, unparsable or overflowing.
    pub installed_size: Option<u64>,
    /// Absolute paths the package owns. apk: one per `R:` line, joined to the last `F:`
    /// directory (directories themselves are not listed). dpkg: empty here; the caller fills it
    /// from the package's `.list` file ([`parse_dpkg_list`]) or, in `status.d` images, its
    /// `.md5sums` file ([`parse_md5sums_paths`]).
    pub files: Vec<String>,
    /// What it needs and what it stands in for (dpkg `Depends`/`Pre-Depends`/`Provides`, apk
    /// `D:`/`p:`), for the packages a slim image must keep.
    pub relations: Relations,
}

/// A package's dependencies, as names: each group is a list of alternatives (dpkg `a | b`; apk
/// has one name a group), any one of which satisfies it; version constraints and architecture
/// qualifiers are dropped. apk's `so:` and `cmd:` names are kept with their prefix, as its `p:`
/// provides them. At most [`MAX_RELATIONS`](super::limits::MAX_RELATIONS) groups and
/// [`MAX_ALTERNATIVES`](super::limits::MAX_ALTERNATIVES) names a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relations {
    pub depends: Vec<Vec<String>>,
    pub provides: Vec<String>,
}

/// A dependency name as a package database writes it, without its version constraint
/// (`libc6 (>= 2.36)`, `so:libc.musl-x86_64.so.1>=1`), architecture qualifier (`python3:any`) or
/// apk's conflict mark (`!name` is skipped: `None`).
pub(super) fn relation_name(word: &[u8]) -> Option<String> {
    let word = word.trim_ascii();
    if word.is_empty() || word[0] == b'!' {
        return None;
    }
    let end = word
        .iter()
        .position(|&b| matches!(b, b' ' | b'\t' | b'(' | b'<' | b'>' | b'=' | b'~' | b'['))
        .unwrap_or(word.len());
    let mut name = &word[..end];
    // dpkg's `:any` / `:amd64`; apk's `so:` and `cmd:` keep their colon.
    if !name.starts_with(b"so:")
        && !name.starts_with(b"cmd:")
        && !name.starts_with(b"pc:")
        && let Some(colon) = name.iter().position(|&b| b == b':')
    {
        name = &name[..colon];
    }
    (!name.is_empty()).then(|| text(name))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::packages::apk::parse_apk_installed;
    use crate::packages::dpkg::parse_dpkg_status;
    use crate::packages::limits::MAX_RELATIONS;

    /// A record with a name and a version and nothing else, for the tests to fill in.
    pub(crate) fn record(name: &str, version: &str) -> PackageRecord {
        PackageRecord {
            name: name.into(),
            version: version.into(),
            architecture: None,
            source: None,
            essential: false,
            priority: None,
            installed_size: None,
            files: Vec::new(),
            relations: Default::default(),
        }
    }

    // ---- dpkg status -------------------------------------------------------------------------

    #[test]
    fn relations_keep_names_and_alternatives_and_drop_versions() {
        let text = "Package: p\nStatus: install ok installed\nDepends: libc6 (>= 2.36), mawk | awk, python3:any (>= 3.11~), debconf (>= 0.5) | debconf-2.0\nPre-Depends: dpkg (>= 1.19)\nProvides: www-browser, x-y (= 1.0)\n";
        let r = &parse_dpkg_status(text.as_bytes()).unwrap()[0].relations;
        assert_eq!(
            r.depends,
            vec![
                vec!["dpkg".to_string()],
                vec!["libc6".into()],
                vec!["mawk".into(), "awk".into()],
                vec!["python3".into()],
                vec!["debconf".into(), "debconf-2.0".into()],
            ]
        );
        assert_eq!(r.provides, vec!["www-browser".to_string(), "x-y".into()]);
        let apk = "P:q\nV:1\nD:so:libc.musl-x86_64.so.1 !conflict busybox>=1.36 cmd:sh\np:cmd:q=1 so:libq.so.1=1\n";
        let r = &parse_apk_installed(apk.as_bytes()).unwrap()[0].relations;
        assert_eq!(
            r.depends,
            vec![
                vec!["so:libc.musl-x86_64.so.1".to_string()],
                vec!["busybox".into()],
                vec!["cmd:sh".into()],
            ]
        );
        assert_eq!(r.provides, vec!["cmd:q".to_string(), "so:libq.so.1".into()]);
        // Capped: a hostile paragraph of endless groups keeps MAX_RELATIONS.
        let many = format!(
            "Package: big\nDepends: {}\n",
            vec!["x"; MAX_RELATIONS + 50].join(", ")
        );
        let r = &parse_dpkg_status(many.as_bytes()).unwrap()[0].relations;
        assert_eq!(r.depends.len(), MAX_RELATIONS);
    }
}
