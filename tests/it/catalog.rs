//! `imgscope catalog` against a real registry (Debian's docker-registry on loopback) holding a
//! few dozen repositories and tags pushed by the test: every tag read (manifests only), the
//! registry's real storage — the distinct layer blobs, counted from its own storage directory —
//! against the sum of its tags, the prefix, `--tags-matching` and `--max-repos` bounds, and the
//! same set as the same references given by hand.

use crate::common::services::Registry;
use crate::common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Output, Stdio};

fn sample(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-images")
        .join(name);
    format!("docker-archive:{}", path.display())
}

fn imgscope(cache: &Path, args: &[&str]) -> Output {
    command_in(cache, args)
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(out)
}

const NAMES: [&str; 6] = ["shared-base", "app-a", "app-b", "app-c", "db-one", "db-two"];

/// 13 repositories, 19 tags: `team/NAME:1` and `:2` for the six sharing samples, `other/NAME:1`,
/// and `other/busybox:latest`.
fn filled_registry() -> Option<Registry> {
    let reg = Registry::start("")?;
    for name in NAMES {
        let source = sample(&format!("sharing/{name}.tar"));
        for target in [
            format!("team/{name}:1"),
            format!("team/{name}:2"),
            format!("other/{name}:1"),
        ] {
            assert!(reg.push(&source, &target, None), "skopeo is installed");
        }
    }
    assert!(reg.push(
        &sample("busybox-app.docker.tar"),
        "other/busybox:latest",
        None
    ));
    Some(reg)
}

#[test]
fn a_registrys_catalog_is_one_set_and_its_storage_is_its_distinct_blobs() {
    let Some(reg) = filled_registry() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let out = imgscope(cache.path(), &["catalog", &reg.addr(), "--json"]);
    let v = ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("13 repositories, 19 tags"), "{err}");
    let s = &v["sharing"];
    assert_eq!(s["image_count"], 19);
    // Manifests only: nothing was downloaded or decoded.
    assert!(
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["source"] == "registry")
    );
    // The registry's real storage of layers: every distinct layer blob once, counted from its
    // storage directory.
    let digests: BTreeSet<String> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["layers"].as_array().unwrap().iter())
        .map(|l| l["digest"].as_str().unwrap().to_string())
        .collect();
    let stored: u64 = digests
        .iter()
        .map(|d| std::fs::metadata(reg.blob_path(d)).unwrap().len())
        .sum();
    assert_eq!(s["node_cost_by_blob_bytes"], stored);
    assert_eq!(s["node_cost"]["compressed_bytes"], stored);
    let sum = s["sum_of_images"]["compressed_bytes"].as_u64().unwrap();
    assert!(sum > 2 * stored, "sum of tags {sum}, stored {stored}");

    // The same references by hand, manifests only: the same set.
    let mut args: Vec<String> = vec!["--json".into(), "--layers-only".into()];
    for i in v["images"].as_array().unwrap() {
        args.push(format!("docker://{}", i["name"].as_str().unwrap()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let by_hand = ok(&imgscope(cache.path(), &args));
    assert_eq!(by_hand["sharing"]["node_cost"], s["node_cost"]);
    assert_eq!(by_hand["sharing"]["sum_of_images"], s["sum_of_images"]);
    assert_eq!(by_hand["plan_totals"], v["plan_totals"]);
}

#[test]
fn catalog_bounds_prefix_tags_and_repositories() {
    let Some(reg) = filled_registry() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let team = format!("{}/team", reg.addr());
    let v = ok(&imgscope(cache.path(), &["catalog", &team, "--json"]));
    assert_eq!(v["sharing"]["image_count"], 12);
    let out = imgscope(
        cache.path(),
        &["catalog", &team, "--json", "--tags-matching", "2"],
    );
    let v = ok(&out);
    assert_eq!(v["sharing"]["image_count"], 6);
    assert!(
        v["images"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["name"].as_str().unwrap().ends_with(":2"))
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("6 tags left out by --tags-matching"), "{err}");
    let out = imgscope(
        cache.path(),
        &["catalog", &reg.addr(), "--json", "--max-repos", "2"],
    );
    let v = ok(&out);
    // The first two repositories by name: other/app-a, other/app-b.
    assert_eq!(v["sharing"]["image_count"], 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("11 repositories left out by --max-repos 2"),
        "{err}"
    );
    // A prefix with nothing under it, and a target that names no registry: one line each.
    let out = imgscope(
        cache.path(),
        &["catalog", &format!("{}/nothing", reg.addr()), "--json"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no tags to read"), "{err}");
    let out = imgscope(cache.path(), &["catalog", "team/app", "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("names no registry"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
