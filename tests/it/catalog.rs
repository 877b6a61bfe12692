//! `imgscope catalog` against a real registry (Debian's docker-registry on loopback) holding a
//! few dozen repositories and tags pushed by the test: every tag read (manifests only), the
//! registry's real storage — the distinct layer blobs, counted from its own storage directory —
//! against the sum of its tags, the prefix, `--tags-matching` and `--max-repos` bounds, and the
//! same set as the same references given by hand.

use crate::common::fake_registry::{FakeRegistry, Reply};
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

/// A fake registry listing `repositories` (as given, unchecked), each with the tags `tags(repo)`
/// served 1000 a page (`last` honoured), and for every repository and tag one image of one layer.
fn fake_catalog(
    repositories: Vec<String>,
    tags: impl Fn(&str) -> Vec<String> + Send + Sync + 'static,
) -> FakeRegistry {
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", "b".repeat(64))]},
        "history": [{"created_by": "ADD rootfs /"}],
    }))
    .unwrap();
    let config_digest = sha256(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": format!("sha256:{}", "c".repeat(64)), "size": 1000}],
    }))
    .unwrap();
    FakeRegistry::start(move |r| {
        let t = r.target.as_str();
        let (path, query) = t.split_once('?').unwrap_or((t, ""));
        if path == "/v2/" {
            return Reply::json(200, b"{}");
        }
        if path == "/v2/_catalog" {
            let body = serde_json::json!({ "repositories": repositories });
            return Reply::json(200, &serde_json::to_vec(&body).unwrap());
        }
        let Some(rest) = path.strip_prefix("/v2/") else {
            return Reply::json(404, b"{}");
        };
        if let Some(repo) = rest.strip_suffix("/tags/list") {
            let last = query.split('&').find_map(|kv| kv.strip_prefix("last="));
            let all = tags(repo);
            let start = last.map_or(0, |l| {
                all.iter().position(|t| t == l).map_or(all.len(), |i| i + 1)
            });
            let page: Vec<&String> = all[start..].iter().take(1000).collect();
            let body = serde_json::json!({"name": repo, "tags": page});
            return Reply::json(200, &serde_json::to_vec(&body).unwrap());
        }
        if rest.contains("/manifests/") {
            return Reply::json(200, &manifest)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        }
        if rest.ends_with(&format!("/blobs/{config_digest}")) {
            return Reply::json(200, &config);
        }
        Reply::json(404, b"{}")
    })
}

#[test]
fn a_catalog_of_too_many_tags_over_all_repositories_ends_in_one_line_naming_the_cap() {
    // Three repositories of 40,000 tags each: every list within its own bounds, their sum past
    // the cap on the whole catalog.
    let repositories: Vec<String> = (0..3).map(|i| format!("many/r{i}")).collect();
    let reg = fake_catalog(repositories, |_| {
        (0..40_000).map(|i| format!("t{i:06}")).collect()
    });
    let cache = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let out = imgscope(cache.path(), &["catalog", &reg.addr(), "--json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains(&imgscope::source::registry::catalog::MAX_CATALOG_REFERENCES.to_string())
            && err.contains("the limit"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}

#[test]
fn an_invalid_repository_or_tag_name_is_skipped_with_one_escaped_warning() {
    let repositories = vec![
        "good/a".to_string(),
        "good/b".to_string(),
        "Bad/\u{1b}[31mred".to_string(),
    ];
    let reg = fake_catalog(repositories, |repo| {
        if repo == "good/a" {
            vec!["1".into(), "-bad".into()]
        } else {
            vec!["1".into()]
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let out = imgscope(cache.path(), &["catalog", &reg.addr(), "--json"]);
    let v = ok(&out);
    let err = String::from_utf8_lossy(&out.stderr);
    let names: BTreeSet<String> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = ["good/a:1", "good/b:1"]
        .iter()
        .map(|n| format!("{}/{n}", reg.addr()))
        .collect();
    assert_eq!(names, expected, "{err}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("invalid")).collect();
    assert_eq!(warnings.len(), 2, "{err}");
    assert!(
        warnings[0].contains("repository") && warnings[0].contains(r"Bad/\u{1b}[31mred"),
        "{err}"
    );
    assert!(
        warnings[1].contains("tag") && warnings[1].contains("good/a:-bad"),
        "{err}"
    );
    assert!(
        !err.chars().any(|c| c != '\n' && c.is_control()),
        "raw control in {err:?}"
    );
}
