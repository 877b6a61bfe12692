//! Pulling from a real registry (Debian's docker-registry on loopback): the same numbers as the
//! archive, basic auth, platform choice in a pushed index, the blob cache, and faults — a blob
//! corrupted in the registry's storage, a connection cut mid-blob, a registry that is gone.

mod common;
use common::services::{CuttingProxy, Registry, require};
use common::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn sample(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-images")
        .join(name)
        .display()
        .to_string()
}

fn imgscope(cache: &Path, args: &[&str]) -> Output {
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
fn failed(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    err
}

/// Write an OCI layout `name` of `images` under `dir` and push it to `reg` as `repo`.
fn push_layout(
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
    let port = common::services::free_port();
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
        err.contains(&digest) && err.contains("Invalid digest"),
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
    let proxy = CuttingProxy::start(reg.port, 500_000);
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
    let issuer = common::token_issuer::TokenIssuer::start(dir.path(), "tok-user", "tok-s3cret");
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
