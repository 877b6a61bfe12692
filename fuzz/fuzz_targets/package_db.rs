//! Bytes → every system package-database parser of `imgscope::packages` (dpkg, apk): dpkg `status` and
//! `status.d` files, `.list` files and their names, `diversions`, `.md5sums`, and Alpine's
//! `installed`. The bytes are an image's, so hostile: no parser may panic, and what they return
//! stays within the module's caps.

#![no_main]

use imgscope::packages::PackageRecord;
use imgscope::packages::apk::parse_apk_installed;
use imgscope::packages::dpkg::{
    dpkg_list_owner, parse_dpkg_diversions, parse_dpkg_list, parse_dpkg_status, parse_md5sums_paths,
};
use imgscope::packages::limits::{MAX_PACKAGES, MAX_PATHS, MAX_STRING_BYTES};
use libfuzzer_sys::fuzz_target;

fn check(records: &[PackageRecord]) {
    assert!(records.len() <= MAX_PACKAGES);
    for r in records {
        assert!(!r.name.is_empty());
        for s in [&r.name, &r.version].into_iter().chain(r.files.iter()) {
            assert!(s.len() <= MAX_STRING_BYTES);
        }
        assert!(r.files.iter().all(|f| f.starts_with('/')));
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(records) = parse_dpkg_status(data) {
        check(&records);
        assert!(records.iter().all(|r| r.files.is_empty()));
    }
    if let Ok(records) = parse_apk_installed(data) {
        check(&records);
        assert!(records.iter().map(|r| r.files.len()).sum::<usize>() <= MAX_PATHS);
    }
    if let Ok(diversions) = parse_dpkg_diversions(data) {
        assert!(diversions.len() <= MAX_PATHS);
        assert!(diversions.iter().all(|(from, to, package)| {
            !from.is_empty() && !to.is_empty() && package.as_ref().is_none_or(|p| !p.is_empty())
        }));
    }
    let list = parse_dpkg_list(data);
    assert!(list.len() <= MAX_PATHS);
    assert!(
        list.iter()
            .all(|p| !p.is_empty() && p != "/." && p.len() <= MAX_STRING_BYTES)
    );
    let paths = parse_md5sums_paths(data);
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with('/') && p.len() <= MAX_STRING_BYTES)
    );
    // The input as a file name: whatever the name, the owner is a part of it.
    let name = String::from_utf8_lossy(data);
    if let Some((package, arch)) = dpkg_list_owner(&name) {
        assert!(!package.is_empty() && name.starts_with(package) && name.ends_with(".list"));
        assert!(arch.is_none_or(|a| !a.is_empty() && !a.contains(':')));
    }
});
