//! Images from a real Docker Engine: Debian's `dockerd` (20.10, API 1.41) started by the test as
//! root with a data root, exec root and socket of its own (`--storage-driver vfs
//! --iptables=false --bridge=none`), images loaded with `docker load`. Everything the engine
//! source does is checked against it: bare references, `docker-daemon:`, the export stream, the
//! engine's metadata before the export, a missing image. Without dockerd (or without root) the
//! tests skip loudly, and fail under CI=true.

use crate::common::services::require;
use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Dockerd {
    dir: tempfile::TempDir,
    socket: PathBuf,
    child: Child,
}

impl Dockerd {
    fn start() -> Option<Dockerd> {
        let bin = require("dockerd")?;
        require("docker")?;
        // dockerd needs root (mounts, namespaces); CI runs as root.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        if !root {
            assert!(
                std::env::var("CI").is_err(),
                "dockerd needs root, and CI=true: service-backed tests must run"
            );
            eprintln!("SKIPPED: dockerd needs root");
            return None;
        }
        // Short paths: a unix socket path is at most 107 bytes.
        let dir = tempfile::Builder::new()
            .prefix("isd")
            .tempdir_in("/tmp")
            .unwrap();
        let socket = dir.path().join("d.sock");
        let log = std::fs::File::create(dir.path().join("dockerd.log")).unwrap();
        let mut child = Command::new(bin)
            .args([
                "--storage-driver",
                "vfs",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
            ])
            .arg("--data-root")
            .arg(dir.path().join("data"))
            .arg("--exec-root")
            .arg(dir.path().join("exec"))
            .arg("--pidfile")
            .arg(dir.path().join("dockerd.pid"))
            .arg("-H")
            .arg(format!("unix://{}", socket.display()))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let host = format!("unix://{}", socket.display());
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log =
                    std::fs::read_to_string(dir.path().join("dockerd.log")).unwrap_or_default();
                panic!("dockerd exited: {status}: {log}");
            }
            let answers = socket.exists()
                && Command::new("docker")
                    .arg("version")
                    .env("DOCKER_HOST", &host)
                    .stdin(Stdio::null())
                    .output()
                    .is_ok_and(|o| o.status.success());
            if answers {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "dockerd did not answer on its socket in 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Dockerd { dir, socket, child })
    }

    fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    fn docker(&self, args: &[&str]) -> std::process::Output {
        Command::new("docker")
            .args(args)
            .env("DOCKER_HOST", self.host())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn load(&self, archive: &Path) {
        let out = self.docker(&["load", "-i", archive.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "docker load: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn imgscope(&self, args: &[&str]) -> std::process::Output {
        self.imgscope_cached_in(&self.dir.path().join("cache"), args)
    }

    /// imgscope with its caches in `cache` (`XDG_CACHE_HOME`).
    fn imgscope_cached_in(&self, cache: &Path, args: &[&str]) -> std::process::Output {
        Command::new(bin())
            .args(args)
            .env("DOCKER_HOST", self.host())
            // Podman must not answer for Docker here.
            .env(
                "CONTAINER_HOST",
                format!("unix://{}/none.sock", self.dir.path().display()),
            )
            .env_remove("XDG_RUNTIME_DIR")
            .env("XDG_CACHE_HOME", cache)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        // A clean stop also stops the containerd it started; then the temp dir goes.
        crate::common::services::stop_gracefully(&mut self.child);
    }
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images/busybox-app.docker.tar")
}

/// What must not depend on where the image came from.
fn facts(v: &serde_json::Value) -> serde_json::Value {
    route_independent_facts(v, false)
}

#[test]
fn docker_images_match_their_archive_by_every_route() {
    let Some(docker) = Dockerd::start() else {
        return;
    };
    docker.load(&sample());
    let archive = json_of(&run(&["--json", "--no-cache", sample().to_str().unwrap()]));
    // A bare reference is found in Docker; the prefix asks Docker alone.
    for input in [
        "imgscope-sample/busybox-app:1",
        "docker-daemon:imgscope-sample/busybox-app:1",
    ] {
        let out = docker.imgscope(&["--json", "--no-cache", input]);
        assert!(
            out.status.success(),
            "{input}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v = json_of(&out);
        assert_eq!(v["images"][0]["source"], "docker-engine", "{input}");
        assert_eq!(facts(&v), facts(&archive), "{input}");
    }
    // Before the export, the engine's own records: 7 layers, 13 history steps.
    let out = docker.imgscope(&[
        "--json",
        "--no-cache",
        "-v",
        "imgscope-sample/busybox-app:1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("before its export, the Docker engine")
            && err.contains("reported 7 layers")
            && err.contains("13 history steps"),
        "{err}"
    );
}

#[test]
fn a_multi_layer_gzip_image_streams_out_of_docker_with_the_same_numbers() {
    let Some(docker) = Dockerd::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[
            file("bin/tool", 40_000, 1),
            file("var/cache/apt/pkgcache.bin", 9_000, 2),
        ],
        Comp::Gzip,
        "ADD rootfs /",
    );
    let app = layer(
        &[
            file("app/a.bin", 5_000, 3),
            file("app/copy.bin", 5_000, 3),
            E::Marker("var/cache/apt/.wh.pkgcache.bin"),
        ],
        Comp::Gzip,
        "COPY app /app",
    );
    let archive = docker_archive(dir.path(), "app.tar", "built/app:2", &[base, app]);
    docker.load(&archive);
    let from_file = json_of(&run(&["--json", "--no-cache", archive.to_str().unwrap()]));
    let from_engine = json_of(&docker.imgscope(&["--json", "--no-cache", "built/app:2"]));
    assert_eq!(facts(&from_engine), facts(&from_file));
    assert_eq!(
        from_engine["images"][0]["waste"]["reclaimable_bytes"],
        9_000
    );
    assert_eq!(
        from_engine["images"][0]["duplicates"]["savings_bytes"],
        5_000
    );
}

#[test]
fn an_image_docker_does_not_have_is_one_clear_line() {
    let Some(docker) = Dockerd::start() else {
        return;
    };
    let out = docker.imgscope(&["--json", "--source", "docker", "absent/app:1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("absent/app:1") && err.contains("not found in the Docker engine"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

/// Docker's own accounting of its images (`GET /system/df`): name → (size, shared size).
fn docker_df(docker: &Dockerd) -> std::collections::BTreeMap<String, (u64, u64)> {
    let out = Command::new("curl")
        .args(["-sf", "--unix-socket"])
        .arg(&docker.socket)
        .arg("http://localhost/v1.41/system/df")
        .output()
        .unwrap();
    assert!(out.status.success(), "curl /system/df failed");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["Images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["RepoTags"][0].as_str().unwrap().to_string(),
                (
                    i["Size"].as_u64().unwrap(),
                    i["SharedSize"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

#[test]
fn node_takes_every_image_of_docker_and_agrees_with_its_system_df() {
    let Some(docker) = Dockerd::start() else {
        return;
    };
    require("curl").expect("curl is installed with docker.io's dependencies");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images");
    docker.load(&sample());
    for name in ["shared-base", "app-a", "app-b", "app-c", "db-one", "db-two"] {
        docker.load(&samples.join(format!("sharing/{name}.tar")));
    }
    let out = docker.imgscope(&["node", "--json", "--worth", "0"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let s = &v["sharing"];
    assert_eq!(s["image_count"], 7);
    // Each image's size, shared and unique bytes are Docker's own, to the byte.
    let df = docker_df(&docker);
    assert_eq!(df.len(), 7);
    for img in s["images"].as_array().unwrap() {
        let name = img["name"].as_str().unwrap();
        let (size, shared) = df[name];
        assert_eq!(img["total"]["size_bytes"], size, "{name}");
        assert_eq!(img["shared"]["size_bytes"], shared, "{name}");
        assert_eq!(img["unique"]["size_bytes"], size - shared, "{name}");
    }
    // The node's plan sees the second database's copied base (images are read by name).
    // Each database is a service: a slim image is offered, as a risky action.
    assert!(
        v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "slim" && a["risk"] == "risky"),
        "{:#}",
        v["plan"]
    );
    assert!(
        v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "rebase"
                && a["images"] == serde_json::json!(["imgscope-sample/db-two:1"])),
        "{:#}",
        v["plan"]
    );
    // Docker's filters, as `docker images --filter` takes them.
    let out = docker.imgscope(&[
        "node",
        "--json",
        "--filter",
        "reference=imgscope-sample/app-*",
    ]);
    let v = json_of(&out);
    let names: Vec<&str> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names.iter().all(|n| n.starts_with("imgscope-sample/app-")),
        "{names:?}"
    );
    let out = docker.imgscope(&["node", "--json", "--filter", "reference=nothing/*"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("node: the Docker engine has no image matching the filters"),
        "{err}"
    );
}

/// A second look at an engine image is put together from imgscope's caches — the config by the
/// image ID, the layers by the diff_ids Docker computed — and the export never starts; the report
/// is the same byte for byte. A tag that now names another image is looked at anew.
#[test]
fn a_second_look_at_a_docker_image_needs_no_export() {
    let Some(docker) = Dockerd::start() else {
        return;
    };
    docker.load(&sample());
    let input = "docker-daemon:imgscope-sample/busybox-app:1";
    let first = docker.imgscope(&["--json", "-v", input]);
    let second = docker.imgscope(&["--json", "-v", input]);
    for out in [&first, &second] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let route = "from imgscope's caches (image ";
    assert!(!String::from_utf8_lossy(&first.stderr).contains(route));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(route) && err.contains("the engine's export was not needed"),
        "{err}"
    );
    assert_eq!(
        first.stdout, second.stdout,
        "the same report, byte for byte"
    );
    // The tag now names another image: a new ID, read through the export.
    let dir = tempfile::tempdir().unwrap();
    let other = layer(
        &[file("app/other.bin", 7_000, 9)],
        Comp::Gzip,
        "COPY other /app",
    );
    let archive = docker_archive(
        dir.path(),
        "other.tar",
        "imgscope-sample/busybox-app:1",
        &[other],
    );
    docker.load(&archive);
    let third = docker.imgscope(&["--json", "-v", input]);
    let err = String::from_utf8_lossy(&third.stderr);
    assert!(!err.contains(route), "{err}");
    let expected = json_of(&run(&["--json", "--no-cache", archive.to_str().unwrap()]));
    assert_eq!(facts(&json_of(&third)), facts(&expected));
}

/// What a layers-only report states of an image — identity, config, every layer's digests, media
/// type, size and history — which the export's full report must state alike (the rest of a
/// layers-only report is null, or 0 where a sum of nothing is 0).
fn layers_only_facts(image: &serde_json::Value) -> serde_json::Value {
    let mut facts = serde_json::Map::new();
    for key in [
        "input",
        "name",
        "source",
        "manifest_digest",
        "config_digest",
        "platform",
        "created",
        "config",
        "compressed_size_bytes",
        "layer_count",
    ] {
        facts.insert(key.into(), image[key].clone());
    }
    let layers: Vec<serde_json::Value> = image["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            serde_json::json!([
                l["index"],
                l["digest"],
                l["diff_id"],
                l["media_type"],
                l["compressed_size_bytes"],
                l["created_by"],
                l["created"],
                l["comment"],
            ])
        })
        .collect();
    facts.insert("layers".into(), layers.into());
    facts.into()
}

/// The layer-level sharing of a node: what a layers-only node report states.
fn layer_sharing(v: &serde_json::Value) -> serde_json::Value {
    let s = &v["sharing"];
    let images: Vec<serde_json::Value> = s["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            serde_json::json!([
                i["name"],
                i["total"]["compressed_bytes"],
                i["shared"]["compressed_bytes"],
                i["unique"]["compressed_bytes"],
                i["amortized"]["compressed_bytes"],
                i["base"],
                i["base_layers"],
            ])
        })
        .collect();
    serde_json::json!({
        "image_count": s["image_count"],
        "sum_of_images": s["sum_of_images"]["compressed_bytes"],
        "node_cost": s["node_cost"]["compressed_bytes"],
        "sharing_ratio": s["sharing_ratio"],
        "distinct_layers": s["distinct_layers"],
        "distinct_blobs": s["distinct_blobs"],
        "node_cost_by_blob_bytes": s["node_cost_by_blob_bytes"],
        "images": images,
    })
}

/// `--layers-only` reads a Docker image from the engine's store in place — config and tar-split
/// records, no export — and states what the export states: the same digests, media types, sizes
/// (each layer's tar length, as `docker save` exports it) and sharing. Every run starts with an
/// empty imgscope cache, so no cache stands in for the export. A store record that does not verify
/// sends the image through the export, saying why under `-v`.
#[test]
fn layers_only_reads_dockers_store_in_place_with_the_exports_numbers() {
    let Some(docker) = Dockerd::start() else {
        return;
    };
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images");
    // The docker archives (busybox-app.oci.tar has no manifest.json: Docker 20.10 cannot load it;
    // the Docker 25 archive is the same image as busybox-app.docker.tar).
    docker.load(&samples.join("busybox-app.docker.tar"));
    docker.load(&samples.join("busybox-app-docker25.tar"));
    let mut names = vec!["imgscope-sample/busybox-app:1".to_string()];
    for name in ["shared-base", "app-a", "app-b", "app-c", "db-one", "db-two"] {
        docker.load(&samples.join(format!("sharing/{name}.tar")));
        names.push(format!("imgscope-sample/{name}:1"));
    }
    let caches = tempfile::tempdir().unwrap();
    let fresh = |label: &str| {
        let dir = caches.path().join(label);
        assert!(!dir.exists(), "{label}: an empty cache each time");
        dir
    };
    let in_place_route = "read in place from the Docker store at ";
    let mut in_place = std::collections::BTreeMap::new();
    for (i, name) in names.iter().enumerate() {
        let input = format!("docker-daemon:{name}");
        let args = ["--layers-only", "--json", "-v", input.as_str()];
        let out = docker.imgscope_cached_in(&fresh(&format!("in-place-{i}")), &args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let report = json_of(&out);
        assert!(
            err.contains(in_place_route) && err.contains("(vfs, layers only)"),
            "{name}: {err}"
        );
        assert!(
            !err.contains("before its export"),
            "{name}: exported: {err}"
        );
        let exported = docker.imgscope_cached_in(
            &fresh(&format!("export-{i}")),
            &[&args[..], &["--engine-export"]].concat(),
        );
        let export_err = String::from_utf8_lossy(&exported.stderr).into_owned();
        assert!(export_err.contains("before its export"), "{export_err}");
        assert!(!export_err.contains(in_place_route), "{export_err}");
        let exported = json_of(&exported);
        let (image, expected) = (&report["images"][0], &exported["images"][0]);
        // The export is decoded whole even with --layers-only (it streams the layers anyway).
        assert_eq!(image["analysis"], "layers-only", "{name}");
        assert_eq!(expected["analysis"], "full", "{name}");
        assert_eq!(
            layers_only_facts(image),
            layers_only_facts(expected),
            "{name}"
        );
        // Docker's layers are exported uncompressed: named by their diff_id, no media type, the
        // tar's length as their size.
        for (layer, decoded) in image["layers"]
            .as_array()
            .unwrap()
            .iter()
            .zip(expected["layers"].as_array().unwrap())
        {
            assert_eq!(layer["digest"], layer["diff_id"], "{name}");
            assert!(layer["media_type"].is_null(), "{name}");
            assert_eq!(
                layer["compressed_size_bytes"], decoded["tar_size_bytes"],
                "{name}"
            );
        }
        in_place.insert(name.clone(), layers_only_facts(image));
    }

    // The node, read in place, has the same images and the same layer sharing as through the
    // exports. (`node` takes no -v: that every image is layers-only says none was exported, as
    // an export is decoded whole.)
    let node = ["node", "--layers-only", "--json"];
    let from_store = docker.imgscope_cached_in(&fresh("node"), &node);
    let exported = docker.imgscope_cached_in(
        &fresh("node-export"),
        &[&node[..], &["--engine-export"]].concat(),
    );
    let (from_store, exported) = (json_of(&from_store), json_of(&exported));
    assert_eq!(layer_sharing(&from_store), layer_sharing(&exported));
    assert_eq!(from_store["sharing"]["image_count"], 7);
    for image in from_store["images"].as_array().unwrap() {
        let name = image["name"].as_str().unwrap();
        assert_eq!(image["analysis"], "layers-only", "{name}: exported");
        let mut facts = layers_only_facts(image);
        // The node names each image as `docker-daemon:NAME` too.
        assert_eq!(facts["input"], format!("docker-daemon:{name}"));
        facts["input"] = in_place[name]["input"].clone();
        assert_eq!(facts, in_place[name], "{name}");
    }

    // A layer record that does not verify (its diff_id is not the config's): through the export,
    // with the same numbers, and -v says why.
    let base = &in_place["imgscope-sample/busybox-app:1"]["layers"][0][2];
    let chain_hex = base.as_str().unwrap().trim_start_matches("sha256:");
    let record = docker
        .dir
        .path()
        .join("data/image/vfs/layerdb/sha256")
        .join(chain_hex);
    std::fs::write(record.join("diff"), format!("sha256:{}", "0".repeat(64))).unwrap();
    let input = "docker-daemon:imgscope-sample/busybox-app:1";
    let out = docker.imgscope_cached_in(
        &fresh("tampered"),
        &["--layers-only", "--json", "-v", input],
    );
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.contains("through its export: the engine's store was not read in place")
            && err.contains("is not the config's"),
        "{err}"
    );
    let v = json_of(&out);
    assert_eq!(
        layers_only_facts(&v["images"][0]),
        in_place["imgscope-sample/busybox-app:1"]
    );
}
