//! Every bad input ends in one line on stderr naming the input and the cause, exit status 2, and
//! nothing on stdout — never a panic.

use crate::common::*;
use std::path::Path;

fn expect_error(args: &[&str], input_name: &str, cause: &str) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(err.starts_with("imgscope: "), "{err}");
    assert!(err.contains(input_name), "{args:?}: input not named: {err}");
    assert!(err.contains(cause), "{args:?}: expected {cause:?} in {err}");
    assert!(!err.contains("panicked"), "{err}");
}

fn good_archive(dir: &Path) -> std::path::PathBuf {
    let l = vec![
        layer(
            &[file("a", 5000, 1), file("b", 3000, 2)],
            Comp::Gzip,
            "ADD a b /",
        ),
        layer(&[file("c", 100, 3)], Comp::None, "ADD c /"),
    ];
    let path = dir.join("good.tar");
    write_tar(&path, &docker_archive_files(&[("good:1", &l)]));
    path
}

#[test]
fn missing_file() {
    expect_error(
        &["--json", "/nonexistent/image.tar"],
        "/nonexistent/image.tar",
        "no such file",
    );
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.tar");
    std::fs::write(&p, b"").unwrap();
    expect_error(&["--json", p.to_str().unwrap()], "empty.tar", "empty");
}

#[test]
fn random_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("random.bin");
    let bytes: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&p, bytes).unwrap();
    expect_error(
        &["--json", p.to_str().unwrap()],
        "random.bin",
        "not an image",
    );
}

#[test]
fn truncated_archive() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_archive(dir.path());
    let bytes = std::fs::read(&good).unwrap();
    let p = dir.path().join("truncated.tar");
    std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
    let out = run(&["--json", p.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("truncated.tar"), "{err}");
    assert!(
        err.contains("truncated") || err.contains("missing"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn manifest_pointing_to_a_missing_blob() {
    let dir = tempfile::tempdir().unwrap();
    let l = vec![layer(&[file("a", 10, 1)], Comp::Gzip, "ADD a /")];
    let mut files = docker_archive_files(&[("m:1", &l)]);
    files.retain(|(n, _)| !n.starts_with("blobs/"));
    let p = dir.path().join("missing-blob.tar");
    write_tar(&p, &files);
    expect_error(
        &["--json", p.to_str().unwrap()],
        "missing-blob.tar",
        "missing blob",
    );
}

#[test]
fn oci_manifest_blob_of_wrong_size() {
    let dir = tempfile::tempdir().unwrap();
    let l = vec![layer(&[file("a", 10, 1)], Comp::Gzip, "ADD a /")];
    let mut files = oci_layout_files(&[("amd64", &l)], "x");
    let blob_name = format!("blobs/sha256/{}", hex_of(&sha256(&l[0].blob)));
    for (n, data) in files.iter_mut() {
        if *n == blob_name {
            data.extend_from_slice(b"garbage");
        }
    }
    let p = dir.path().join("size-mismatch.tar");
    write_tar(&p, &files);
    expect_error(
        &["--json", p.to_str().unwrap()],
        "size-mismatch.tar",
        "declares",
    );
}

#[test]
fn layer_that_is_not_a_tar() {
    let dir = tempfile::tempdir().unwrap();
    let junk = BuiltLayer {
        blob: b"this is certainly not a tar stream, nor compressed".repeat(20),
        diff_id: sha256(b"x"),
        created_by: "junk".into(),
    };
    let p = dir.path().join("notatar.tar");
    write_tar(&p, &docker_archive_files(&[("n:1", &[junk])]));
    expect_error(&["--json", p.to_str().unwrap()], "notatar.tar", "layer 0");
}

#[test]
fn truncated_gzip_layer() {
    let dir = tempfile::tempdir().unwrap();
    let mut l = layer(
        &[file("a", 100_000, 7), file("b", 50_000, 9)],
        Comp::Gzip,
        "ADD a /",
    );
    let cut = l.blob.len() / 2;
    l.blob.truncate(cut);
    let p = dir.path().join("cut-layer.tar");
    write_tar(&p, &docker_archive_files(&[("c:1", &[l])]));
    expect_error(
        &["--json", p.to_str().unwrap()],
        "cut-layer.tar",
        "truncated",
    );
}

#[test]
fn unsupported_compression() {
    let dir = tempfile::tempdir().unwrap();
    let l = BuiltLayer {
        blob: [&[0xfd, b'7', b'z', b'X', b'Z', 0][..], &[0u8; 100][..]].concat(),
        diff_id: sha256(b"x"),
        created_by: "xz".into(),
    };
    let p = dir.path().join("xz.tar");
    write_tar(&p, &docker_archive_files(&[("x:1", &[l])]));
    expect_error(
        &["--json", p.to_str().unwrap()],
        "xz.tar",
        "unsupported compression: xz",
    );
}

#[test]
fn invalid_config() {
    let dir = tempfile::tempdir().unwrap();
    let l = vec![layer(&[file("a", 10, 1)], Comp::None, "ADD a /")];
    let mut files = docker_archive_files(&[("c:1", &l)]);
    for (n, data) in files.iter_mut() {
        if n.ends_with(".json") && n != "manifest.json" {
            *data = b"{not json".to_vec();
        }
    }
    let p = dir.path().join("badconfig.tar");
    write_tar(&p, &files);
    expect_error(
        &["--json", p.to_str().unwrap()],
        "badconfig.tar",
        "invalid image config",
    );
}

#[test]
fn manifest_path_outside_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let files: Files = vec![(
        "manifest.json".into(),
        br#"[{"Config":"../../etc/passwd","RepoTags":["x:1"],"Layers":[]}]"#.to_vec(),
    )];
    let p = dir.path().join("escape.tar");
    write_tar(&p, &files);
    expect_error(
        &["--json", p.to_str().unwrap()],
        "escape.tar",
        "outside the image",
    );
}

#[test]
fn directory_that_is_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    expect_error(
        &["--json", dir.path().to_str().unwrap()],
        dir.path().to_str().unwrap(),
        "not an image",
    );
}

#[test]
fn ambiguous_archive_lists_its_images_and_a_name_chooses() {
    let dir = tempfile::tempdir().unwrap();
    let a = vec![layer(&[file("a", 10, 1)], Comp::None, "A")];
    let b = vec![layer(&[file("b", 20, 2)], Comp::None, "B")];
    let p = dir.path().join("two.tar");
    write_tar(&p, &docker_archive_files(&[("app:1", &a), ("db:2", &b)]));
    expect_error(&["--json", p.to_str().unwrap()], "two.tar", "app:1, db:2");
    let img = json_of(&run(&[
        "--json",
        &format!("docker-archive:{}:db:2", p.display()),
    ]))["images"][0]
        .clone();
    assert_eq!(img["name"], "db:2");
    assert_eq!(img["size_bytes"], 20);
    expect_error(
        &["--json", &format!("docker-archive:{}:nope:3", p.display())],
        "two.tar",
        "no image tagged",
    );
}

/// One gzip layer for amd64 (a 10-byte file) and one for arm64 (20 bytes).
fn amd64_and_arm64_layers() -> (Vec<BuiltLayer>, Vec<BuiltLayer>) {
    (
        vec![layer(&[file("amd", 10, 1)], Comp::Gzip, "A")],
        vec![layer(&[file("arm", 20, 2)], Comp::Gzip, "B")],
    )
}

/// The JSON report of the image `--platform` chooses in the archive at `path`.
fn image_for_platform(path: &std::path::Path, platform: &str) -> serde_json::Value {
    json_of(&run(&[
        "--json",
        "--platform",
        platform,
        path.to_str().unwrap(),
    ]))["images"][0]
        .clone()
}

#[test]
fn platform_choice_in_a_multi_platform_index() {
    let dir = tempfile::tempdir().unwrap();
    let (amd, arm) = amd64_and_arm64_layers();
    let p = dir.path().join("multi.tar");
    write_tar(
        &p,
        &oci_layout_files(&[("amd64", &amd), ("arm64", &arm)], "multi"),
    );
    let img = image_for_platform(&p, "linux/arm64/v8");
    assert_eq!(img["size_bytes"], 20);
    assert_eq!(img["platform"], "linux/arm64");
    let img = image_for_platform(&p, "linux/amd64");
    assert_eq!(img["size_bytes"], 10);
    expect_error(
        &["--json", "--platform", "linux/s390x", p.to_str().unwrap()],
        "multi.tar",
        "available: linux/amd64, linux/arm64",
    );
}

#[test]
fn bad_platform_flag() {
    let out = run(&["--json", "--platform", "linux", "x.tar"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--platform"));
}

#[test]
fn json_out_is_written_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let good = good_archive(dir.path());
    let out_path = dir.path().join("report.json");
    let out = run(&[
        "--json-out",
        out_path.to_str().unwrap(),
        good.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(v["schema_version"], 3);
    // A failing run leaves no file behind.
    let bad_out = dir.path().join("bad.json");
    let out = run(&["--json-out", bad_out.to_str().unwrap(), "/nonexistent.tar"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!bad_out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".imgscope-"))
        .collect();
    assert!(leftovers.is_empty());
}

/// A Docker 25+ export from the containerd image store lists every platform of a multi-platform
/// image in its index but holds only the local platform's blobs. The local platform loads; asking
/// for one whose blobs are absent says so.
#[test]
fn an_index_whose_other_platforms_have_no_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let (amd, arm) = amd64_and_arm64_layers();
    let arm_config = sha256(&config_json(&arm, "arm64"));
    let arm_layer = sha256(&arm[0].blob);
    let mut files = oci_layout_files(&[("amd64", &amd), ("arm64", &arm)], "multi");
    let is_arm_manifest =
        |data: &[u8]| String::from_utf8_lossy(data).contains(&format!("\"{arm_config}\""));
    let before = files.len();
    files.retain(|(name, data)| {
        name != &format!("blobs/sha256/{}", hex_of(&arm_config))
            && name != &format!("blobs/sha256/{}", hex_of(&arm_layer))
            && !(name.starts_with("blobs/") && is_arm_manifest(data))
    });
    assert_eq!(
        files.len(),
        before - 3,
        "arm64's manifest, config and layer removed"
    );
    let p = dir.path().join("containerd-export.tar");
    write_tar(&p, &files);
    let img = image_for_platform(&p, "linux/amd64");
    assert_eq!(img["size_bytes"], 10);
    assert_eq!(img["platform"], "linux/amd64");
    expect_error(
        &["--json", "--platform", "linux/arm64", p.to_str().unwrap()],
        "containerd-export.tar",
        "no image for platform linux/arm64 (available: linux/amd64); choose one with --platform; \
         listed without their content: linux/arm64 (an engine's export holds only the platforms \
         it has locally)",
    );
}

/// `export` into a directory that does not exist: one line naming the destination, no file left.
#[test]
fn export_into_a_missing_directory() {
    let dir = tempfile::tempdir().unwrap();
    let image = good_archive(dir.path());
    let dest = dir.path().join("no-such-dir").join("out");
    expect_error(
        &[
            "export",
            image.to_str().unwrap(),
            "/a",
            dest.to_str().unwrap(),
        ],
        &format!("creating a temporary file beside {}", dest.display()),
        "No such file or directory",
    );
    assert!(!dest.exists());
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    use std::io::Read;
    // More than a pipe holds (64 KiB): the write after the reader left meets a broken pipe.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-images/sharing");
    let mut paths: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .collect();
    paths.sort();
    let mut child = std::process::Command::new(bin())
        .arg("--json")
        .args(&paths)
        .env("XDG_CACHE_HOME", test_cache_home())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut head).unwrap();
    // stdout is dropped here: like `| head -c 10`.
    let out = child.wait_with_output().unwrap();
    assert_eq!(&head, b"{\n  \"schem");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn export_names_the_file_as_asked_and_keeps_to_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // /app/config.yaml links to /x/.bashrc; /app/run is mode 0777 with the set-uid bit.
    let l = layer(
        &[
            E::FileMode("x/.bashrc".into(), b"echo owned\n".to_vec(), 0o644),
            E::Symlink("app/config.yaml", "/x/.bashrc"),
            E::FileMode("app/run".into(), b"#!/bin/sh\n".to_vec(), 0o4777),
        ],
        Comp::None,
        "ADD . /",
    );
    let archive = docker_archive(dir.path(), "img.tar", "export/x:1", &[l]);
    let dest = dir.path().join("home");
    std::fs::create_dir(&dest).unwrap();
    let out = run(&[
        "export",
        archive.to_str().unwrap(),
        "/app/config.yaml",
        dest.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Named after the path asked for, never after the link's target.
    assert!(!dest.join(".bashrc").exists());
    assert_eq!(
        std::fs::read_to_string(dest.join("config.yaml")).unwrap(),
        "echo owned\n"
    );
    let out = run(&[
        "export",
        archive.to_str().unwrap(),
        "/app/run",
        dest.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let mode = std::fs::metadata(dest.join("run"))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    let umask = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
        .unwrap();
    assert_eq!(mode, 0o777 & !umask, "{mode:o} with umask {umask:o}");
}

#[test]
fn cat_follows_a_symlinked_directory_in_the_middle_of_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let l = layer(
        &[
            E::File("srv/real/f.txt".into(), b"through the link\n".to_vec()),
            E::Symlink("data", "srv/real"),
            E::Symlink("srv/loop", "loop"),
        ],
        Comp::Gzip,
        "ADD . /",
    );
    let archive = docker_archive(dir.path(), "img.tar", "cat/x:1", &[l]);
    let a = archive.to_str().unwrap();
    let out = run(&["cat", a, "/data/f.txt"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, b"through the link\n");
    // A link that loops is one clear line, not a hang.
    let out = run(&["cat", a, "/srv/loop/x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no such file in the image: /srv/loop/x"),
        "{err}"
    );
}

#[test]
fn without_home_the_cache_is_a_private_directory_or_refused() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-images/busybox-app.docker.tar");
    let imgscope = || {
        let mut c = std::process::Command::new(bin());
        c.env_remove("HOME")
            .env_remove("XDG_CACHE_HOME")
            .env("TMPDIR", tmp.path())
            .stdin(std::process::Stdio::null());
        c
    };
    let out = imgscope()
        .args(["--json", sample.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dirs: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let dir = &dirs[0];
    assert!(
        dir.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("imgscope-"),
        "{dir:?}"
    );
    let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o700);
    // Opened to others (as a planted directory would be): refused, in one line.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = imgscope()
        .args(["--json", sample.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a private directory of this user"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // --no-cache keeps nothing, so needs no cache directory.
    let out = imgscope()
        .args(["--json", "--no-cache", sample.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn node_refuses_bad_filters_and_sources_in_one_line() {
    // Both are refused before any engine is asked.
    let out = run(&["node", "--filter", "reference"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--filter \"reference\": expected KEY=VALUE"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    let out = run(&["node", "--source", "registry"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("node: --source registry has no images of its own"),
        "{err}"
    );
}
