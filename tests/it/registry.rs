//! Pulling from a real registry (Debian's docker-registry on loopback): the same numbers as the
//! archive, basic auth, platform choice in a pushed index, the blob cache, and faults — a blob
//! corrupted in the registry's storage, a connection cut mid-blob, a registry that is gone — and a
//! hostile fake registry: endless or dripping manifests, tokens, configs and tag lists, and a token
//! realm that would take credentials over plain http.

use crate::common::fake_registry::{Body, FakeRegistry, Reply};
use crate::common::services::{CuttingProxy, Registry, require};
use crate::common::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-images")
        .join(name)
        .display()
        .to_string()
}

pub(crate) fn imgscope(cache: &Path, args: &[&str]) -> Output {
    command_in(cache, args)
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn summary(v: &serde_json::Value) -> (u64, u64, u64, String, usize) {
    let i = &v["images"][0];
    (
        i["size_bytes"].as_u64().unwrap(),
        i["compressed_size_bytes"].as_u64().unwrap(),
        i["waste"]["reclaimable_bytes"].as_u64().unwrap(),
        format!("{:.12}", i["waste"]["efficiency"].as_f64().unwrap()),
        i["layers"].as_array().unwrap().len(),
    )
}

/// Exit status 2; the stderr.
pub(crate) fn failed(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
}

/// Write an OCI layout `name` of `images` under `dir` and push it to `reg` as `repo`.
pub(crate) fn push_layout(
    reg: &Registry,
    dir: &Path,
    name: &str,
    images: &[(&str, &[BuiltLayer])],
    repo: &str,
) -> bool {
    let layout = dir.join(name);
    write_dir(&layout, &oci_layout_files(images, name));
    reg.push(&format!("oci:{}:{name}", layout.display()), repo, None)
}

fn assert_no_cached_blobs(cache: &Path) {
    assert!(cached_blobs(cache).is_empty(), "{:?}", cached_blobs(cache));
}

/// A registry started with `auth` holding `source` pushed as `repo` (with `creds`), an empty
/// cache, and the reference to pull; None where no registry can be had (the test is skipped).
fn registry_with(
    auth: &str,
    source: &str,
    repo: &str,
    creds: Option<&str>,
) -> Option<(Registry, tempfile::TempDir, String)> {
    let reg = Registry::start(auth)?;
    if !reg.push(source, repo, creds) {
        return None;
    }
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/{repo}", reg.addr());
    Some((reg, cache, reference))
}

fn cached_blobs(cache: &Path) -> Vec<String> {
    let dir = cache.join("imgscope/blobs/sha256");
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn anonymous_pull_matches_the_archive_and_fills_the_cache() {
    let Some((reg, cache, reference)) = registry_with(
        "",
        &format!("oci-archive:{}", sample("busybox-app.oci.tar")),
        "sample/app:1",
        None,
    ) else {
        return;
    };
    let remote = json_of(&imgscope(cache.path(), &["--json", &reference]));
    let local = json_of(&imgscope(
        cache.path(),
        &["--json", &sample("busybox-app.oci.tar")],
    ));
    assert_eq!(summary(&remote), summary(&local));
    assert_eq!(remote["images"][0]["source"], "registry");
    assert_eq!(
        remote["images"][0]["manifest_digest"],
        local["images"][0]["manifest_digest"]
    );
    // Every layer blob is now cached, each file named by its digest.
    let mut blobs = cached_blobs(cache.path());
    blobs.sort();
    let mut layers: Vec<String> = remote["images"][0]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["digest"].as_str().unwrap()[7..].to_string())
        .collect();
    layers.sort();
    layers.dedup();
    assert_eq!(blobs, layers);
    // A cache entry altered on disk is detected, removed and fetched again.
    let victim = cache.path().join("imgscope/blobs/sha256").join(&blobs[0]);
    let good = std::fs::read(&victim).unwrap();
    let mut bad = good.clone();
    let n = bad.len();
    bad[n / 2] ^= 0x55;
    std::fs::write(&victim, &bad).unwrap();
    // (The analyzed layers are cached too; without them the blobs are read again.)
    std::fs::remove_dir_all(cache.path().join("imgscope/layers")).unwrap();
    let again = json_of(&imgscope(cache.path(), &["--json", &reference]));
    assert_eq!(summary(&again), summary(&local));
    assert!(
        std::fs::read(&victim).unwrap() == good,
        "the corrupt blob was not fetched again"
    );
    // A second look downloads no layer: with the layer blobs gone from the registry's storage,
    // it still works from the cache (the manifest, whose tag may move, is always asked for).
    for l in remote["images"][0]["layers"].as_array().unwrap() {
        let _ = std::fs::remove_file(reg.blob_path(l["digest"].as_str().unwrap()));
    }
    let again = json_of(&imgscope(
        cache.path(),
        &["--json", &format!("docker://{reference}")],
    ));
    assert_eq!(summary(&again), summary(&local));
    let out = imgscope(cache.path(), &["--json", "--no-cache", &reference]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "without the cache the missing blobs are an error"
    );
}

#[test]
fn missing_tag_and_unreachable_registry_are_clear_errors() {
    let Some(reg) = Registry::start("") else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let out = imgscope(
        cache.path(),
        &["--json", &format!("{}/nope/app:9", reg.addr())],
    );
    let err = failed(&out);
    assert!(err.contains("nope/app:9 not found"), "{err}");
    let port = crate::common::services::free_port();
    let out = imgscope(
        cache.path(),
        &["--json", &format!("127.0.0.1:{port}/x/y:1")],
    );
    let err = failed(&out);
    assert!(err.contains("cannot connect"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn basic_auth_with_password_stdin_and_docker_config() {
    let Some(htpasswd) = require("htpasswd") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("htpasswd");
    let out = Command::new(htpasswd)
        .args(["-Bbn", "tester", "s3cr3t-pw"])
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(&users, &out.stdout).unwrap();
    let auth = format!(
        "auth:\n  htpasswd:\n    realm: imgscope-test\n    path: {}\n",
        users.display()
    );
    let Some((reg, cache, reference)) = registry_with(
        &auth,
        &format!("docker-archive:{}", sample("busybox-app.docker.tar")),
        "private/app:1",
        Some("tester:s3cr3t-pw"),
    ) else {
        return;
    };

    // No credentials: a clear 401 that says how to log in.
    let err = failed(&imgscope(
        cache.path(),
        &["--json", "--no-cache", &reference],
    ));
    assert!(
        err.contains("access denied") && err.contains("docker login"),
        "{err}"
    );

    // --username with --password-stdin.
    let out = run_stdin_in(
        cache.path(),
        &[
            "--json",
            "--no-cache",
            "--username",
            "tester",
            "--password-stdin",
            &reference,
        ],
        b"s3cr3t-pw\n",
    );
    let v = json_of(&out);
    assert!(v["images"][0]["size_bytes"].as_u64().unwrap() > 0);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("s3cr3t"));

    // A docker config.json with an inline auth for this registry.
    let docker_dir = dir.path().join("docker");
    std::fs::create_dir(&docker_dir).unwrap();
    let b64 = base64_encode(b"tester:s3cr3t-pw");
    std::fs::write(
        docker_dir.join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{b64}"}}}}}}"#, reg.addr()),
    )
    .unwrap();
    let out = command_in(cache.path(), &["--json", "--no-cache", &reference])
        .env("DOCKER_CONFIG", &docker_dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    json_of(&out);

    // A wrong password never shows up in what imgscope prints, at any verbosity.
    let out = run_stdin_in(
        cache.path(),
        &[
            "-vv",
            "--json",
            "--no-cache",
            "--username",
            "tester",
            "--password-stdin",
            &reference,
        ],
        b"wrong-Pa55word\n",
    );
    let err = failed(&out);
    let all = format!("{}{err}", String::from_utf8_lossy(&out.stdout));
    assert!(all.contains("access denied"), "{all}");
    assert!(!all.contains("wrong-Pa55word"), "{all}");
}

fn base64_encode(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn multi_platform_index_from_the_registry() {
    let Some(reg) = Registry::start("") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let amd = vec![layer(&[file("amd", 1000, 1)], Comp::Gzip, "A")];
    let arm = vec![layer(&[file("arm", 2000, 2)], Comp::Gzip, "B")];
    let images: [(&str, &[BuiltLayer]); 2] = [("amd64", &amd), ("arm64", &arm)];
    if !push_layout(&reg, dir.path(), "multi", &images, "multi/app:1") {
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/multi/app:1", reg.addr());
    let v = json_of(&imgscope(
        cache.path(),
        &["--json", "--platform", "linux/arm64", &reference],
    ));
    assert_eq!(v["images"][0]["size_bytes"], 2000);
    let v = json_of(&imgscope(
        cache.path(),
        &["--json", "--platform", "linux/amd64", &reference],
    ));
    assert_eq!(v["images"][0]["size_bytes"], 1000);
    let err = failed(&imgscope(
        cache.path(),
        &["--json", "--platform", "linux/riscv64", &reference],
    ));
    assert!(err.contains("available: linux/amd64, linux/arm64"));
}

#[test]
fn corrupted_blob_in_the_registry_is_detected_and_never_cached() {
    let Some(reg) = Registry::start("") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let l = vec![layer(
        &[file("big", 300_000, 7), file("other", 1000, 8)],
        Comp::Gzip,
        "A",
    )];
    if !push_layout(&reg, dir.path(), "one", &[("amd64", &l)], "corrupt/app:1") {
        return;
    }
    // Flip bytes of the layer blob inside the registry's storage.
    let digest = sha256(&l[0].blob);
    let path = reg.blob_path(&digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    bytes[n - 20] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = imgscope(
        cache.path(),
        &["--json", &format!("{}/corrupt/app:1", reg.addr())],
    );
    let err = failed(&out);
    assert!(
        err.contains(&digest) && err.contains("does not match its digest"),
        "{err}"
    );
    assert!(!err.contains("corrupt tar"), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        cached_blobs(cache.path())
            .iter()
            .all(|b| !b.starts_with('.') && !digest.ends_with(b.as_str())),
        "{:?}",
        cached_blobs(cache.path())
    );
}

#[test]
fn connection_cut_mid_blob_is_a_clean_error_with_no_partial_cache_entry() {
    let Some(reg) = Registry::start("") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Incompressible content, so the blob is large.
    let mut noise = Vec::with_capacity(2_000_000);
    let mut x: u32 = 12345;
    for _ in 0..2_000_000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        noise.push(x as u8);
    }
    let l = vec![layer(&[E::File("noise".into(), noise)], Comp::Gzip, "A")];
    if !push_layout(&reg, dir.path(), "big", &[("amd64", &l)], "cut/app:1") {
        return;
    }
    // Every connection is cut: resuming gets nowhere in the bounded attempts.
    let proxy = CuttingProxy::start(reg.port, 200_000);
    let cache = tempfile::tempdir().unwrap();
    let out = imgscope(
        cache.path(),
        &["--json", &format!("127.0.0.1:{}/cut/app:1", proxy.port)],
    );
    let err = failed(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
    assert_no_cached_blobs(cache.path());
}

#[test]
fn bearer_token_flow_with_a_token_issuer() {
    if require("openssl").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let issuer =
        crate::common::token_issuer::TokenIssuer::start(dir.path(), "tok-user", "tok-s3cret");
    let Some((_reg, cache, reference)) = registry_with(
        &issuer.registry_auth_yaml(),
        &format!("oci-archive:{}", sample("busybox-app.oci.tar")),
        "token/app:1",
        Some("tok-user:tok-s3cret"),
    ) else {
        return;
    };
    // Anonymous: the issuer refuses, so the registry's 401 stands.
    let err = failed(&imgscope(cache.path(), &["--json", &reference]));
    assert!(err.contains("access denied"), "{err}");
    // With credentials: challenge → token from the issuer → pull.
    let before = issuer.issued.load(std::sync::atomic::Ordering::Relaxed);
    let out = run_stdin_in(
        cache.path(),
        &[
            "--json",
            "--username",
            "tok-user",
            "--password-stdin",
            &reference,
        ],
        b"tok-s3cret\n",
    );
    let remote = json_of(&out);
    let local = json_of(&imgscope(
        cache.path(),
        &["--json", &sample("busybox-app.oci.tar")],
    ));
    assert_eq!(summary(&remote), summary(&local));
    assert!(
        issuer.issued.load(std::sync::atomic::Ordering::Relaxed) > before,
        "no token was issued"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("tok-s3cret"));
}

#[test]
fn all_tags_of_a_repository_in_layers_only_mode() {
    let Some(reg) = Registry::start("") else {
        return;
    };
    for (file, tag) in [
        ("sharing/shared-base.tar", "base"),
        ("sharing/app-a.tar", "a"),
        ("sharing/app-b.tar", "b"),
    ] {
        if !reg.push(
            &format!("docker-archive:{}", sample(file)),
            &format!("set/app:{tag}"),
            None,
        ) {
            return;
        }
    }
    let cache = tempfile::tempdir().unwrap();
    let v = json_of(&imgscope(
        cache.path(),
        &[
            "--json",
            "--layers-only",
            "--all-tags",
            &format!("{}/set/app", reg.addr()),
        ],
    ));
    let names: Vec<&str> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    assert!(
        names[0].ends_with("set/app:a")
            && names[1].ends_with("set/app:b")
            && names[2].ends_with("set/app:base"),
        "{names:?}"
    );
    assert_eq!(
        v["sharing"]["bases"][0]["images"],
        serde_json::json!([0, 1, 2])
    );
    assert_eq!(v["images"][0]["analysis"], "layers-only");
    // Manifests only: no layer blob was downloaded into the cache.
    assert_no_cached_blobs(cache.path());
    // The same layer structure as from the archives (the registry holds gzip blobs: its
    // compressed sizes are its own).
    let files: Vec<String> = [
        "sharing/app-a.tar",
        "sharing/app-b.tar",
        "sharing/shared-base.tar",
    ]
    .iter()
    .map(|f| sample(f))
    .collect();
    let mut args = vec!["--json", "--layers-only"];
    args.extend(files.iter().map(String::as_str));
    let local = json_of(&imgscope(cache.path(), &args));
    assert_eq!(
        v["sharing"]["distinct_layers"],
        local["sharing"]["distinct_layers"]
    );
    let layer_users = |d: &serde_json::Value| {
        d["sharing"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["images"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(layer_users(&v), layer_users(&local));
}

/// A `--no-cache` run against `reference`, with `env`; (the output, seconds it took).
fn timed(args: &[&str], env: &[(&str, &str)]) -> (Output, f64) {
    let cache = tempfile::tempdir().unwrap();
    let mut cmd = command_in(cache.path(), args);
    cmd.env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = std::time::Instant::now();
    let out = cmd.output().unwrap();
    (out, start.elapsed().as_secs_f64())
}

/// Exit 2 with exactly one line on stderr, which is returned.
fn one_line_failure(out: &Output) -> String {
    let err = failed(out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    err
}

fn manifest_with_config(config_digest: &str, config_size: u64) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": [],
    }))
    .unwrap()
}

#[test]
fn an_endless_or_oversized_manifest_fails_fast_naming_the_registry_and_the_cap() {
    let reg = FakeRegistry::start(|r| match r.target.as_str() {
        "/v2/hostile/endless/manifests/1" => Reply::body(Body::Endless),
        "/v2/hostile/declared/manifests/1" => Reply::body(Body::Declared(10 << 30)),
        _ => Reply::json(404, b"{}"),
    });
    for repo in ["endless", "declared"] {
        let reference = format!("{}/hostile/{repo}:1", reg.addr());
        let (out, secs) = timed(&["--json", "--no-cache", &reference], &[]);
        let err = one_line_failure(&out);
        assert!(
            err.contains(&reg.addr())
                && err.contains(&format!("manifest of hostile/{repo}:1"))
                && err.contains("4 MiB"),
            "{err}"
        );
        assert!(secs < 30.0, "took {secs} s");
    }
}

#[test]
fn a_dripping_manifest_is_cut_by_the_time_budget_of_the_request() {
    // One byte every 20 ms never trips a read timeout: only a budget for the whole request does.
    let reg = FakeRegistry::start(|r| match r.target.as_str() {
        "/v2/hostile/drip/manifests/1" => Reply::body(Body::Drip(Duration::from_millis(20))),
        _ => Reply::json(404, b"{}"),
    });
    let reference = format!("{}/hostile/drip:1", reg.addr());
    let (out, secs) = timed(
        &["--json", "--no-cache", &reference],
        &[("IMGSCOPE_REGISTRY_TIMEOUT", "2")],
    );
    let err = one_line_failure(&out);
    assert!(
        err.contains(&reg.addr())
            && err.contains("manifest of hostile/drip:1")
            && err.contains("took longer than 2 s"),
        "{err}"
    );
    assert!((2.0..15.0).contains(&secs), "took {secs} s");
    // A nonsense budget is refused up front.
    let (out, _) = timed(
        &["--json", "--no-cache", &reference],
        &[("IMGSCOPE_REGISTRY_TIMEOUT", "soon")],
    );
    assert!(one_line_failure(&out).contains("IMGSCOPE_REGISTRY_TIMEOUT"));
}

#[test]
fn endless_token_config_and_tag_list_answers_are_capped() {
    let config_digest = format!("sha256:{}", "a".repeat(64));
    let manifest = manifest_with_config(&config_digest, 5000);
    let port = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(0));
    let port2 = port.clone();
    let reg = FakeRegistry::start(move |r| {
        let realm = format!(
            "Bearer realm=\"http://127.0.0.1:{}/token\",service=\"fake\"",
            port2.load(std::sync::atomic::Ordering::Relaxed)
        );
        let t = r.target.as_str();
        if t.starts_with("/v2/hostile/token/") {
            if r.authorization.is_none() {
                return Reply::json(401, b"{}").header("WWW-Authenticate", &realm);
            }
            return Reply::json(404, b"{}");
        }
        if t.starts_with("/token") {
            return Reply::body(Body::Endless);
        }
        if t == "/v2/hostile/config/manifests/1" {
            return Reply::json(200, &manifest)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        }
        if t.starts_with("/v2/hostile/config/blobs/") {
            return Reply::body(Body::Endless);
        }
        if t.starts_with("/v2/hostile/tags/tags/list") {
            return Reply::body(Body::Endless);
        }
        if let Some(q) = t.strip_prefix("/v2/hostile/many/tags/list?") {
            // Always a full page of new tags: only a bound on the total ends it.
            let page: u64 = q
                .split('&')
                .find_map(|kv| kv.strip_prefix("last=t"))
                .map_or(0, |l| l.parse::<u64>().unwrap() / 1000 + 1);
            let tags: Vec<String> = (0..1000).map(|i| format!("t{}", page * 1000 + i)).collect();
            return Reply::json(
                200,
                &serde_json::to_vec(&serde_json::json!({"name": "hostile/many", "tags": tags}))
                    .unwrap(),
            );
        }
        Reply::json(404, b"{}")
    });
    port.store(reg.port, std::sync::atomic::Ordering::Relaxed);

    let (out, secs) = timed(
        &[
            "--json",
            "--no-cache",
            &format!("{}/hostile/token:1", reg.addr()),
        ],
        &[],
    );
    let err = one_line_failure(&out);
    assert!(
        err.contains(&reg.addr()) && err.contains("token from") && err.contains("1 MiB"),
        "{err}"
    );
    assert!(secs < 30.0, "took {secs} s");

    let (out, secs) = timed(
        &[
            "--json",
            "--no-cache",
            &format!("{}/hostile/config:1", reg.addr()),
        ],
        &[],
    );
    let err = one_line_failure(&out);
    assert!(
        err.contains(&format!("config blob {config_digest} of hostile/config:1"))
            && err.contains("larger than 5000 bytes"),
        "{err}"
    );
    assert!(secs < 30.0, "took {secs} s");

    let (out, secs) = timed(
        &[
            "--json",
            "--no-cache",
            "--layers-only",
            "--all-tags",
            &format!("{}/hostile/tags", reg.addr()),
        ],
        &[],
    );
    let err = one_line_failure(&out);
    assert!(
        err.contains("tag list of hostile/tags") && err.contains("4 MiB"),
        "{err}"
    );
    assert!(secs < 30.0, "took {secs} s");

    let (out, secs) = timed(
        &[
            "--json",
            "--no-cache",
            "--layers-only",
            "--all-tags",
            &format!("{}/hostile/many", reg.addr()),
        ],
        &[],
    );
    let err = one_line_failure(&out);
    assert!(
        err.contains("tag list of hostile/many") && err.contains("more than 100000 tags"),
        "{err}"
    );
    assert!(secs < 60.0, "took {secs} s");
}

#[test]
fn credentials_go_to_a_token_realm_only_over_https_or_loopback() {
    let port = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(0));
    let port2 = port.clone();
    let reg = FakeRegistry::start(move |r| {
        let t = r.target.as_str();
        let realm = if t.starts_with("/v2/remote/") {
            "Bearer realm=\"http://token.invalid:8080/token\",service=\"fake\"".to_string()
        } else {
            format!(
                "Bearer realm=\"http://127.0.0.1:{}/token\",service=\"fake\"",
                port2.load(std::sync::atomic::Ordering::Relaxed)
            )
        };
        if t.starts_with("/token") {
            return Reply::json(200, br#"{"token":"tok-123"}"#);
        }
        if r.authorization.as_deref() == Some("Bearer tok-123") {
            return Reply::json(
                404,
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}"#,
            );
        }
        Reply::json(401, b"{}").header("WWW-Authenticate", &realm)
    });
    port.store(reg.port, std::sync::atomic::Ordering::Relaxed);
    let login = [
        "--json",
        "--no-cache",
        "--username",
        "u",
        "--password-stdin",
    ];

    // A realm on another host over plain http: refused before anything is sent there.
    let cache = tempfile::tempdir().unwrap();
    let mut args = login.to_vec();
    let reference = format!("{}/remote/app:1", reg.addr());
    args.push(&reference);
    let out = run_stdin_in(cache.path(), &args, b"pw-secret\n");
    let err = one_line_failure(&out);
    assert!(
        err.contains("token.invalid:8080")
            && err.contains("plain http")
            && !err.contains("pw-secret"),
        "{err}"
    );

    // A loopback realm gets them (and says so at -v); the token is then used on the registry.
    let mut args = vec!["-v"];
    args.extend(login);
    let reference = format!("{}/local/app:1", reg.addr());
    args.push(&reference);
    let out = run_stdin_in(cache.path(), &args, b"pw-secret\n");
    let err = failed(&out);
    assert!(err.contains("local/app:1 not found"), "{err}");
    assert!(
        err.contains(&format!("to the token service at 127.0.0.1:{}", reg.port)),
        "{err}"
    );
    let seen = reg.seen();
    let token_request = seen
        .iter()
        .find(|s| s.target.starts_with("/token"))
        .unwrap();
    assert!(
        token_request
            .authorization
            .as_deref()
            .unwrap_or("")
            .starts_with("Basic "),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|s| s.target.starts_with("/v2/local/")
            && s.authorization.as_deref() == Some("Bearer tok-123")),
        "{seen:?}"
    );
    assert!(!seen.iter().any(|s| {
        s.target.starts_with("/v2/remote/")
            && s.authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Basic"))
    }));
}

/// A registry serving a one-layer image whose layer blob is the right bytes on the first request
/// and `second` (same length, other bytes) on every later one; (registry, reference).
fn registry_that_changes_a_blob(good: &BuiltLayer, second: Vec<u8>) -> (FakeRegistry, String) {
    let config = config_json(std::slice::from_ref(good), "amd64");
    let config_digest = sha256(&config);
    let blob_digest = sha256(&good.blob);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": media_type(&good.blob), "digest": blob_digest, "size": good.blob.len()}],
    }))
    .unwrap();
    let blob = good.blob.clone();
    let served = std::sync::atomic::AtomicUsize::new(0);
    let reg = FakeRegistry::start(move |r| {
        let t = r.target.as_str();
        if t == "/v2/swap/app/manifests/1" {
            return Reply::json(200, &manifest)
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json");
        }
        if t == format!("/v2/swap/app/blobs/{config_digest}") {
            return Reply::json(200, &config);
        }
        if t == format!("/v2/swap/app/blobs/{blob_digest}") {
            let n = served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let bytes = if n == 0 { blob.clone() } else { second.clone() };
            return Reply::body(Body::Bytes(bytes));
        }
        Reply::json(404, b"{}")
    });
    let reference = format!("{}/swap/app:1", reg.addr());
    (reg, reference)
}

#[test]
fn cat_and_export_without_the_cache_release_only_verified_bytes() {
    let secret = b"the bytes the digest names".to_vec();
    let good = layer(
        &[E::File("etc/motd".into(), secret.clone())],
        Comp::None,
        "ADD motd",
    );
    // The same tar with the file's bytes changed: same length, same headers, other digest.
    let pos = good
        .blob
        .windows(secret.len())
        .position(|w| w == &secret[..])
        .unwrap();
    let mut evil = good.blob.clone();
    evil[pos..pos + secret.len()].copy_from_slice(b"EVIL bytes served the 2nd!");
    assert_eq!(evil.len(), good.blob.len());

    for args in [vec!["cat", "--no-cache"], vec!["export", "--no-cache"]] {
        let (reg, reference) = registry_that_changes_a_blob(&good, evil.clone());
        let dest = tempfile::tempdir().unwrap();
        let dest_path = dest.path().join("motd");
        let mut full = args.clone();
        full.push(&reference);
        full.push("/etc/motd");
        let dest_text = dest_path.display().to_string();
        if args[0] == "export" {
            full.push(&dest_text);
        }
        let (out, _) = timed(&full, &[]);
        let err = one_line_failure(&out);
        assert!(err.contains("does not match its digest"), "{args:?}: {err}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains("EVIL"),
            "{args:?} released unverified bytes: {stdout}"
        );
        assert!(!dest_path.exists(), "{args:?} wrote unverified bytes");
        // The registry did serve the changed bytes (the test is not vacuous).
        let blob_requests = reg
            .seen()
            .iter()
            .filter(|s| {
                s.target.contains("/blobs/")
                    && !s
                        .target
                        .contains(&sha256(&config_json(std::slice::from_ref(&good), "amd64")))
            })
            .count();
        assert!(blob_requests >= 2, "{blob_requests}");
    }

    // A registry that serves the right bytes every time: cat prints them.
    let (_reg, reference) = registry_that_changes_a_blob(&good, good.blob.clone());
    let (out, _) = timed(&["cat", "--no-cache", &reference, "/etc/motd"], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, secret);
}

#[test]
fn tag_lists_follow_next_links_on_the_registry_only_and_are_bounded_in_pages() {
    let reg = FakeRegistry::start(|r| {
        let t = r.target.as_str();
        let query = t.split_once('?').map_or("", |(_, q)| q);
        let last: Option<u64> = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("last=t"))
            .map(|v| v.parse().unwrap());
        let page = |repo: &str, tags: Vec<String>| {
            Reply::json(
                200,
                &serde_json::to_vec(&serde_json::json!({"name": repo, "tags": tags})).unwrap(),
            )
        };
        if t.starts_with("/v2/capped/app/tags/list") {
            // Ignores n: at most 100 a page, 250 in all, the rest by Link.
            let from = last.map_or(0, |l| l + 1);
            let tags: Vec<String> = (from..(from + 100).min(250))
                .map(|i| format!("t{i:03}"))
                .collect();
            let reply = page("capped/app", tags);
            if from + 100 < 250 {
                let next = format!(
                    "</v2/capped/app/tags/list?n=100&last=t{:03}>; rel=\"next\"",
                    from + 99
                );
                return reply.header("Link", &next);
            }
            return reply;
        }
        if t.starts_with("/v2/away/app/tags/list") {
            return page("away/app", vec!["a".into()]).header(
                "Link",
                "<http://elsewhere.invalid/v2/away/app/tags/list?last=a>; rel=\"next\"",
            );
        }
        if t.starts_with("/v2/endless/app/tags/list") {
            // One new tag a page, and always a next page.
            let i = last.map_or(0, |l| l + 1);
            let next = format!("</v2/endless/app/tags/list?last=t{i}>; rel=\"next\"");
            return page("endless/app", vec![format!("t{i}")]).header("Link", &next);
        }
        Reply::json(404, b"{}")
    });
    let list = |repo: &str| {
        timed(
            &[
                "--json",
                "--no-cache",
                "--layers-only",
                "--all-tags",
                &format!("{}/{repo}", reg.addr()),
            ],
            &[],
        )
    };
    // Every tag, over three pages of the registry's own size. (The tags name no image: the
    // error after listing them says which it tried first.)
    let (out, _) = list("capped/app");
    let err = one_line_failure(&out);
    assert!(err.contains("capped/app:t000"), "{err}");
    let pages = reg
        .seen()
        .iter()
        .filter(|s| s.target.starts_with("/v2/capped/app/tags/list"))
        .count();
    assert_eq!(pages, 3);
    let (out, _) = list("away/app");
    let err = one_line_failure(&out);
    assert!(
        err.contains("continues on another host (elsewhere.invalid)"),
        "{err}"
    );
    let (out, secs) = list("endless/app");
    let err = one_line_failure(&out);
    assert!(
        err.contains("tag list of endless/app runs to more than 1000 pages (the limit)"),
        "{err}"
    );
    assert!(secs < 60.0, "took {secs} s");
}

#[test]
fn an_unreachable_token_service_is_named_as_such() {
    let dead = crate::common::services::free_port();
    let reg = FakeRegistry::start(move |_| {
        Reply::json(401, b"{}").header(
            "WWW-Authenticate",
            &format!("Bearer realm=\"http://127.0.0.1:{dead}/token\",service=\"fake\""),
        )
    });
    let (out, _) = timed(
        &[
            "--json",
            "--no-cache",
            &format!("{}/gone/app:1", reg.addr()),
        ],
        &[],
    );
    let err = one_line_failure(&out);
    assert!(
        err.contains(&format!(
            "{}: cannot reach its token service at 127.0.0.1:{dead}",
            reg.addr()
        )),
        "{err}"
    );
}
