//! Images from a real local engine: `podman system service` (the Docker Engine API) with its own
//! storage, images loaded with `podman load`. The same client code serves Docker.

use crate::common::services::{free_port, require};
use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Podman {
    dir: tempfile::TempDir,
    socket: PathBuf,
    child: Child,
    bin: PathBuf,
}

impl Podman {
    fn start() -> Option<Podman> {
        let bin = require("podman")?;
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("podman.sock");
        let log = std::fs::File::create(dir.path().join("service.log")).unwrap();
        let mut child = Command::new(&bin)
            .args(Self::storage_args(dir.path()))
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", socket.display()))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let start = Instant::now();
        while !socket.exists() {
            if let Ok(Some(status)) = child.try_wait() {
                let log =
                    std::fs::read_to_string(dir.path().join("service.log")).unwrap_or_default();
                panic!("podman system service exited: {status}: {log}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "podman socket did not appear"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Podman {
            dir,
            socket,
            child,
            bin,
        })
    }

    /// A running engine holding the bundled sample image, and the sample's archive.
    fn with_sample() -> Option<(Podman, PathBuf)> {
        let podman = Podman::start()?;
        let sample =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images/busybox-app.docker.tar");
        podman.load(&sample);
        Some((podman, sample))
    }

    fn storage_args(dir: &Path) -> Vec<String> {
        vec![
            format!("--root={}", dir.join("root").display()),
            format!("--runroot={}", dir.join("runroot").display()),
            "--storage-driver=vfs".into(),
            "--cgroup-manager=cgroupfs".into(),
            "--events-backend=file".into(),
        ]
    }

    fn load(&self, archive: &Path) {
        let out = Command::new(&self.bin)
            .args(Self::storage_args(self.dir.path()))
            .arg("load")
            .arg("-i")
            .arg(archive)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman load: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn imgscope(&self, args: &[&str]) -> std::process::Output {
        let host = format!("unix://{}", self.socket.display());
        Command::new(bin())
            .args(args)
            .env("DOCKER_HOST", &host)
            .env("CONTAINER_HOST", &host)
            .env_remove("XDG_RUNTIME_DIR")
            .env("XDG_CACHE_HOME", self.dir.path().join("cache"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn numbers(v: &serde_json::Value) -> (u64, u64, u64, String, Vec<u64>) {
    let i = &v["images"][0];
    (
        i["size_bytes"].as_u64().unwrap(),
        i["waste"]["reclaimable_bytes"].as_u64().unwrap(),
        i["file_count"].as_u64().unwrap(),
        format!("{:.12}", i["waste"]["efficiency"].as_f64().unwrap()),
        i["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["size_bytes"].as_u64().unwrap())
            .collect(),
    )
}

#[test]
fn a_local_image_is_found_in_the_engine_and_matches_its_archive() {
    let Some((podman, sample)) = Podman::with_sample() else {
        return;
    };
    let from_engine = json_of(&podman.imgscope(&["--json", "imgscope-sample/busybox-app:1"]));
    let from_file = json_of(&run(&["--json", sample.to_str().unwrap()]));
    assert_eq!(numbers(&from_engine), numbers(&from_file));
    assert_eq!(from_engine["images"][0]["source"], "podman-engine");
    // The explicit prefix reaches the same image.
    let prefixed = json_of(&podman.imgscope(&["--json", "podman:imgscope-sample/busybox-app:1"]));
    assert_eq!(numbers(&prefixed), numbers(&from_file));
    // Podman's store is read in place (this test runs where the store is readable), and gives
    // the very report the engine's export gives.
    let verbose = podman.imgscope(&["--json", "-v", "imgscope-sample/busybox-app:1"]);
    let stderr = String::from_utf8_lossy(&verbose.stderr);
    let root = podman.dir.path().join("root");
    assert!(
        stderr.contains(&format!(
            "imgscope-sample/busybox-app:1: read in place from the Podman store at {} (vfs)",
            root.display()
        )),
        "{stderr}"
    );
    let exported = podman.imgscope(&[
        "--json",
        "-v",
        "--engine-export",
        "imgscope-sample/busybox-app:1",
    ]);
    assert_eq!(json_of(&exported), json_of(&verbose));
    // Before the export, the engine's own records (shown by the viewer while it waits): the
    // sample's 7 layers and 13 history steps, as -v reports them.
    let stderr = String::from_utf8_lossy(&exported.stderr);
    let host = format!("unix://{}", podman.socket.display());
    assert!(
        stderr.contains(&format!(
            "imgscope-sample/busybox-app:1: before its export, the Podman engine at {host} \
             reported 7 layers, "
        )),
        "{stderr}"
    );
    assert!(stderr.contains(", 13 history steps"), "{stderr}");
    assert!(!stderr.contains("read in place"), "{stderr}");
}

#[test]
fn a_store_that_cannot_be_read_in_place_is_read_through_the_export() {
    let Some((podman, sample)) = Podman::with_sample() else {
        return;
    };
    // Every file of the layers' directories made a symlink to a copy beside it: Podman's export
    // follows them, imgscope never follows a symlink out of a layer's directory.
    let dirs = podman.dir.path().join("root/vfs/dir");
    let mut files = Vec::new();
    let mut todo = vec![dirs.clone()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                todo.push(path);
            } else if meta.is_file() && meta.len() > 0 {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "no layer files in {}", dirs.display());
    for path in &files {
        let mut copy = path.clone().into_os_string();
        copy.push(".imgscope-test-copy");
        std::fs::rename(path, &copy).unwrap();
        std::os::unix::fs::symlink(&copy, path).unwrap();
    }
    let out = podman.imgscope(&["--json", "-v", "imgscope-sample/busybox-app:1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "imgscope-sample/busybox-app:1: through its export: reading the engine's store in \
             place failed (layer 0 "
        ) && stderr.contains("Too many levels of symbolic links"),
        "{stderr}"
    );
    let from_file = json_of(&run(&["--json", sample.to_str().unwrap()]));
    assert_eq!(numbers(&json_of(&out)), numbers(&from_file));
}

#[test]
fn a_built_multi_layer_image_has_the_same_numbers_through_the_engine() {
    let Some(podman) = Podman::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![
        layer(
            &[
                E::Dir("usr/"),
                file("usr/lib/big.so", 300_000, 1),
                file("etc/conf", 1000, 2),
            ],
            Comp::None,
            "ADD rootfs /",
        ),
        layer(
            &[file("var/cache/apt/x.deb", 50_000, 3)],
            Comp::None,
            "RUN apt-get install x",
        ),
        layer(
            &[
                E::Marker("var/cache/apt/.wh.x.deb"),
                E::FileMode("etc/conf".into(), vec![2; 1000], 0o600),
            ],
            Comp::None,
            "RUN rm -rf /var/cache/apt/* && chmod 600 /etc/conf",
        ),
    ];
    let archive = dir.path().join("built.tar");
    write_tar(
        &archive,
        &docker_archive_files(&[("localhost/built/app:2", &layers)]),
    );
    podman.load(&archive);
    let from_engine = json_of(&podman.imgscope(&["--json", "localhost/built/app:2"]));
    let from_file = json_of(&run(&["--json", archive.to_str().unwrap()]));
    assert_eq!(numbers(&from_engine), numbers(&from_file));
    assert_eq!(
        from_engine["images"][0]["waste"]["reclaimable_bytes"],
        51_000
    );
}

#[test]
fn an_image_missing_locally_falls_through_to_the_registry_or_says_so() {
    let Some(podman) = Podman::start() else {
        return;
    };
    // Not in the engine: the registry is asked next (none listens on this port).
    let port = free_port();
    let out = podman.imgscope(&["--json", &format!("127.0.0.1:{port}/absent/app:1")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot connect to 127.0.0.1"), "{err}");
    // With the engine named, the answer is the engine's.
    let out = podman.imgscope(&["--json", "--source", "podman", "absent/app:1"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("absent/app:1 not found in the Podman engine"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn an_engine_that_is_not_running_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(bin())
        .args(["--json", "--source", "docker", "app:1"])
        .env(
            "DOCKER_HOST",
            format!("unix://{}/docker.sock", dir.path().display()),
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no Docker engine socket") && err.contains("is the engine running"),
        "{err}"
    );
    // A socket file with nothing listening behind it.
    let sock = dir.path().join("dead.sock");
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap());
    let out = Command::new(bin())
        .args(["--json", "docker-daemon:app:1"])
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot talk to the Docker engine"), "{err}");
}

/// Podman's own accounting of its images (`GET /system/df` on its Docker-compatible API, what
/// `podman system df -v` prints): image id → (size, shared size).
fn podman_df(podman: &Podman) -> std::collections::BTreeMap<String, (u64, u64)> {
    let out = Command::new("curl")
        .args(["-sf", "--unix-socket"])
        .arg(&podman.socket)
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
                i["Id"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("sha256:")
                    .to_string(),
                (
                    i["Size"].as_u64().unwrap(),
                    i["SharedSize"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

/// `node` over Podman against `podman system df -v`. Podman counts an image as its layers' tar
/// streams plus its metadata records (config, manifest), and reports no shared size at all (every
/// image "unique", Podman 4.3 as Debian 12 ships it), so its sum counts a shared base once per
/// image. imgscope's node cost counts each layer once: the test pins both, so docs/trim-plan.md's
/// explanation of the difference stays true.
#[test]
fn node_over_podman_counts_shared_layers_once_where_podman_system_df_does_not() {
    let Some(podman) = Podman::start() else {
        return;
    };
    require("curl").expect("curl is installed by the test command");
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images/sharing");
    let names = ["shared-base", "app-a", "app-b", "app-c"];
    for name in names {
        podman.load(&samples.join(format!("{name}.tar")));
    }
    let out = podman.imgscope(&["node", "--json", "--source", "podman"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    assert_eq!(v["sharing"]["image_count"], 4);
    let df = podman_df(&podman);
    assert_eq!(df.len(), 4);
    let mut podman_sum = 0;
    for image in v["images"].as_array().unwrap() {
        let id = image["config_digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:");
        let (size, shared) = df[id];
        podman_sum += size;
        // Its size: the layer tar streams (imgscope's blob sizes here: the store keeps them
        // uncompressed) and the config, plus a few KiB of records of its own.
        let tars = image["compressed_size_bytes"].as_u64().unwrap();
        assert!(
            size > tars && size - tars < 8 * 1024,
            "{}: podman {size}, layer tars {tars}",
            image["name"]
        );
        assert_eq!(shared, 0, "Podman 4.3 reports no shared size");
    }
    // The three apps share the base's three layers: imgscope counts them once.
    let sharing = &v["sharing"];
    for app in &sharing["images"].as_array().unwrap()[..3] {
        assert!(
            app["shared"]["size_bytes"].as_u64().unwrap() > 200_000,
            "{app}"
        );
    }
    let node_blobs = sharing["node_cost_by_blob_bytes"].as_u64().unwrap();
    assert!(
        node_blobs * 2 < podman_sum,
        "node {node_blobs} vs podman's sum {podman_sum}"
    );
}
