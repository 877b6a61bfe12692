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
        Command::new(bin())
            .args(args)
            .env("DOCKER_HOST", self.host())
            // Podman must not answer for Docker here.
            .env(
                "CONTAINER_HOST",
                format!("unix://{}/none.sock", self.dir.path().display()),
            )
            .env_remove("XDG_RUNTIME_DIR")
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
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
    assert_eq!(v["plan"][0]["action"], "slim", "{:#}", v["plan"]);
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
