//! Images from a real containerd: Debian's `containerd` started by the test as root with a config
//! naming a root, state dir and socket of its own, images imported with `ctr images import`
//! (`--no-unpack`: the content store is what imgscope reads; no snapshotter is needed). Every route
//! must give the numbers the same image gives read from its archive: `containerd:REF`, a bare
//! reference, `--source containerd`, the content API instead of the store in place, a namespace
//! named in the reference or by `CONTAINERD_NAMESPACE`, and `node` over the whole store. Without
//! containerd (or root) the tests skip loudly, and fail under CI=true.

use crate::common::services::require;
use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Containerd {
    dir: tempfile::TempDir,
    socket: PathBuf,
    child: Child,
}

impl Containerd {
    fn start() -> Option<Containerd> {
        let bin = require("containerd")?;
        require("ctr")?;
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        if !root {
            assert!(
                std::env::var("CI").is_err(),
                "containerd needs root, and CI=true: service-backed tests must run"
            );
            eprintln!("SKIPPED: containerd needs root");
            return None;
        }
        // Short paths: a unix socket path is at most 107 bytes.
        let dir = tempfile::Builder::new()
            .prefix("isc")
            .tempdir_in("/tmp")
            .unwrap();
        let socket = dir.path().join("c.sock");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "version = 2\nroot = \"{root}/root\"\nstate = \"{root}/state\"\n\
                 disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
                 [grpc]\n  address = \"{sock}\"\n[ttrpc]\n  address = \"{sock}.ttrpc\"\n",
                root = dir.path().display(),
                sock = socket.display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("containerd.log")).unwrap();
        let mut child = Command::new(bin)
            .arg("--config")
            .arg(&config)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let started = Instant::now();
        let me = loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log =
                    std::fs::read_to_string(dir.path().join("containerd.log")).unwrap_or_default();
                panic!("containerd exited: {status}: {log}");
            }
            let answers = socket.exists()
                && Command::new("ctr")
                    .arg("--address")
                    .arg(&socket)
                    .arg("version")
                    .stdin(Stdio::null())
                    .output()
                    .is_ok_and(|o| o.status.success());
            if answers {
                break Containerd { dir, socket, child };
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "containerd did not answer on its socket in 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        Some(me)
    }

    fn import(&self, namespace: &str, archive: &Path) {
        let out = Command::new("ctr")
            .arg("--address")
            .arg(&self.socket)
            .args(["-n", namespace, "images", "import", "--no-unpack"])
            .arg(archive)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ctr images import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env("CONTAINERD_ADDRESS", &self.socket)
            .env_remove("CONTAINERD_NAMESPACE")
            // No Docker or Podman may answer: a bare reference must reach containerd.
            .env(
                "DOCKER_HOST",
                format!("unix://{}/none.sock", self.dir.path().display()),
            )
            .env(
                "CONTAINER_HOST",
                format!("unix://{}/none.sock", self.dir.path().display()),
            )
            .env_remove("XDG_RUNTIME_DIR")
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .stdin(Stdio::null());
        cmd
    }

    fn imgscope(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().unwrap()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        crate::common::services::stop_gracefully(&mut self.child);
    }
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images")
}

/// What must not depend on where the image came from.
fn facts(v: &serde_json::Value) -> serde_json::Value {
    route_independent_facts(v, true)
}

fn ok_json(out: &std::process::Output, what: &str) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(out)
}

#[test]
fn containerd_images_match_their_archive_by_every_route() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let archive = samples().join("busybox-app.oci.tar");
    ctd.import("default", &archive);
    let expected = json_of(&run(&["--json", "--no-cache", archive.to_str().unwrap()]));
    for args in [
        vec!["containerd:imgscope-sample/busybox-app:1"],
        vec!["containerd:default/docker.io/imgscope-sample/busybox-app:1"],
        vec!["--source", "containerd", "imgscope-sample/busybox-app:1"],
        // Neither Docker nor Podman answers: a bare reference is found in containerd.
        vec!["imgscope-sample/busybox-app:1"],
        // Over the content API, each blob checked against its digest as it streams.
        vec![
            "--engine-export",
            "containerd:imgscope-sample/busybox-app:1",
        ],
    ] {
        let mut full = vec!["--json", "--no-cache"];
        full.extend(&args);
        let v = ok_json(&ctd.imgscope(&full), &format!("{args:?}"));
        assert_eq!(v["images"][0]["source"], "containerd", "{args:?}");
        assert_eq!(
            v["images"][0]["name"], "docker.io/imgscope-sample/busybox-app:1",
            "{args:?}"
        );
        assert_eq!(facts(&v), facts(&expected), "{args:?}");
    }
    // -v says how the blobs were read: in place, or over the API.
    let out = ctd.imgscope(&["--json", "-v", "containerd:imgscope-sample/busybox-app:1"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("read in place from containerd's content store")
            && err.contains("(namespace default)"),
        "{err}"
    );
    let out = ctd.imgscope(&[
        "--json",
        "-v",
        "--engine-export",
        "containerd:imgscope-sample/busybox-app:1",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("through containerd's content API"), "{err}");
    // An image ID (a prefix of the target digest) names it too.
    let digest = expected["images"][0]["manifest_digest"].as_str().unwrap();
    let id = &digest["sha256:".len().."sha256:".len() + 12];
    let v = ok_json(
        &ctd.imgscope(&["--json", &format!("containerd:{id}")]),
        "by id",
    );
    assert_eq!(facts(&v), facts(&expected));
    assert_eq!(v["images"][0]["manifest_digest"], digest);
}

#[test]
fn a_gzip_image_from_containerd_has_its_archives_numbers_over_both_routes() {
    let Some(ctd) = Containerd::start() else {
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
    // A namespace of the user's own, named by the environment or in the reference.
    ctd.import("team", &archive);
    let expected = json_of(&run(&["--json", "--no-cache", archive.to_str().unwrap()]));
    let in_reference = ok_json(
        &ctd.imgscope(&["--json", "--no-cache", "containerd:team/built/app:2"]),
        "team/",
    );
    assert_eq!(facts(&in_reference), facts(&expected));
    let by_env = ctd
        .command(&[
            "--json",
            "--no-cache",
            "--engine-export",
            "containerd:built/app:2",
        ])
        .env("CONTAINERD_NAMESPACE", "team")
        .output()
        .unwrap();
    let by_env = ok_json(&by_env, "CONTAINERD_NAMESPACE");
    assert_eq!(facts(&by_env), facts(&expected));
    assert_eq!(by_env["images"][0]["waste"]["reclaimable_bytes"], 9_000);
    assert_eq!(by_env["images"][0]["duplicates"]["savings_bytes"], 5_000);
    // The default namespaces do not hold it: one line that says where it looked.
    let out = ctd.imgscope(&["--json", "containerd:built/app:2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("built/app:2 not found in containerd at")
            && err.contains("namespaces k8s.io, default"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn containerd_errors_are_one_line() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    let out = ctd
        .command(&["--json", "containerd:app:1"])
        .env("CONTAINERD_ADDRESS", ctd.dir.path().join("absent.sock"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no containerd socket at"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // A bare reference that nothing holds goes on to the registry (none reachable here), and
    // says so in one line.
    let out = ctd.imgscope(&["--json", "--source", "containerd", "absent/app:1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("absent/app:1 not found in containerd"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn node_over_containerd_is_the_same_set_as_its_archives() {
    let Some(ctd) = Containerd::start() else {
        return;
    };
    // In name order: the order node reads them in.
    let names = ["app-a", "app-b", "app-c", "db-one", "db-two", "shared-base"];
    let mut archives = Vec::new();
    for name in names {
        let path = samples().join(format!("sharing/{name}.tar"));
        ctd.import("k8s.io", &path);
        archives.push(path.to_str().unwrap().to_string());
    }
    let mut args = vec!["--json".to_string(), "--worth".into(), "0".into()];
    args.extend(archives);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let from_archives = json_of(&run(&args));
    let out = ctd.imgscope(&["node", "--json", "--worth", "0", "--source", "containerd"]);
    let v = ok_json(&out, "node");
    assert_eq!(v["sharing"]["image_count"], 6);
    for key in [
        "sum_of_images",
        "node_cost",
        "distinct_layers",
        "node_cost_by_blob_bytes",
        "content",
    ] {
        assert_eq!(
            v["sharing"][key], from_archives["sharing"][key],
            "sharing.{key}"
        );
    }
    assert_eq!(v["plan_totals"], from_archives["plan_totals"]);
    // Without --source, Docker and Podman do not answer here: containerd's node is taken.
    let v = ok_json(&ctd.imgscope(&["node", "--json"]), "node (auto)");
    assert_eq!(v["sharing"]["image_count"], 6);
    // docker's reference filter, on the familiar name.
    let out = ctd.imgscope(&[
        "node",
        "--json",
        "--source",
        "containerd",
        "--filter",
        "reference=imgscope-sample/app-*",
    ]);
    let v = ok_json(&out, "filtered");
    let names: Vec<&str> = v["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "docker.io/imgscope-sample/app-a:1",
            "docker.io/imgscope-sample/app-b:1",
            "docker.io/imgscope-sample/app-c:1"
        ]
    );
    let out = ctd.imgscope(&[
        "node",
        "--json",
        "--source",
        "containerd",
        "--filter",
        "dangling=true",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("reference= and label= filters only"), "{err}");
}
