//! Test support: build real image files (docker-archive, OCI archive, OCI layout directory) from
//! layer specs written in the test, with exact control over entries and compression, so tests can
//! assert exact numbers. Also: running the binary (with its caches in a test directory), and
//! finding the shared fixtures.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

pub fn sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    format!(
        "sha256:{}",
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

pub fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap()
}

/// One tar entry of a layer.
#[derive(Clone)]
pub enum E {
    Dir(&'static str),
    File(String, Vec<u8>),
    FileMode(String, Vec<u8>, u32),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
    /// A raw entry path, e.g. `a/.wh.b` or `etc/.wh..wh..opq` (an empty file).
    Marker(&'static str),
    /// A regular file whose real path is given only in a PAX `path` record.
    PaxFile(String, Vec<u8>),
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

pub fn file(path: &str, size: usize, fill: u8) -> E {
    E::File(path.to_string(), vec![fill; size])
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comp {
    None,
    Gzip,
    /// Two gzip members, split in the middle of the tar stream.
    GzipMulti,
    Zstd,
    /// A skippable frame, then the tar in two zstd frames.
    ZstdMulti,
}

pub fn layer_tar(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.mode(tar::HeaderMode::Deterministic);
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        match e {
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::File(p, data) | E::FileMode(p, data, _) => {
                let mode = if let E::FileMode(_, _, m) = e {
                    *m
                } else {
                    0o644
                };
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(mode);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, p, &data[..]).unwrap();
            }
            E::Symlink(p, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_mode(0o777);
                h.set_size(0);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::Hardlink(p, target) => {
                h.set_entry_type(tar::EntryType::Link);
                h.set_mode(0o644);
                h.set_size(0);
                b.append_link(&mut h, p, target).unwrap();
            }
            E::PaxFile(p, data) => {
                let rec = pax_record("path", p);
                let mut x = tar::Header::new_ustar();
                x.set_entry_type(tar::EntryType::XHeader);
                x.set_path("PaxHeaders/x").unwrap();
                x.set_size(rec.len() as u64);
                x.set_mode(0o644);
                x.set_cksum();
                b.append(&x, &rec[..]).unwrap();
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, "placeholder-name", &data[..])
                    .unwrap();
            }
            E::Marker(p) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(0);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

pub fn compress(tar: &[u8], comp: Comp) -> Vec<u8> {
    match comp {
        Comp::None => tar.to_vec(),
        Comp::Gzip => gzip(tar),
        Comp::GzipMulti => {
            let (a, b) = tar.split_at(tar.len() / 2);
            let mut out = gzip(a);
            out.extend(gzip(b));
            out
        }
        Comp::Zstd => zstd::encode_all(tar, 3).unwrap(),
        Comp::ZstdMulti => {
            let (a, b) = tar.split_at(tar.len() / 2);
            // Skippable frame: magic 0x184D2A50, 4-byte length, payload.
            let mut out = vec![0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4];
            out.extend(zstd::encode_all(a, 3).unwrap());
            out.extend(zstd::encode_all(b, 3).unwrap());
            out
        }
    }
}

/// A layer ready to package: its blob and its diff_id.
#[derive(Clone)]
pub struct BuiltLayer {
    pub blob: Vec<u8>,
    pub diff_id: String,
    pub created_by: String,
}

pub fn layer(entries: &[E], comp: Comp, created_by: &str) -> BuiltLayer {
    let tar = layer_tar(entries);
    BuiltLayer {
        diff_id: sha256(&tar),
        blob: compress(&tar, comp),
        created_by: created_by.to_string(),
    }
}

pub fn config_json(layers: &[BuiltLayer], arch: &str) -> Vec<u8> {
    config_json_cmd(layers, arch, &["/bin/sh"])
}

/// [`config_json`] with another command (`Cmd`).
pub fn config_json_cmd(layers: &[BuiltLayer], arch: &str, cmd: &[&str]) -> Vec<u8> {
    let mut history = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        history.push(
            serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": l.created_by}),
        );
        if i == 0 {
            history
                .push(serde_json::json!({"created_by": "ENV PATH=/usr/bin", "empty_layer": true}));
        }
    }
    history.push(serde_json::json!({"created_by": "CMD [\"/bin/sh\"]", "empty_layer": true}));
    serde_json::to_vec(&serde_json::json!({
        "architecture": arch,
        "os": "linux",
        "created": "2024-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/bin"], "Cmd": cmd, "Labels": {"org.example": "test"}},
        "rootfs": {"type": "layers", "diff_ids": layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
        "history": history,
    }))
    .unwrap()
}

/// Files of an archive, in order: (name, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

pub fn write_tar(path: &Path, files: &Files) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, name, &data[..]).unwrap();
    }
    b.finish().unwrap();
}

/// A legacy `docker save` archive (`<id>/layer.tar` for plain layers; compressed blobs as
/// `blobs/sha256/<hex>`, Docker 25+ style).
pub fn docker_archive_files(images: &[(&str, &[BuiltLayer])]) -> Files {
    let with_cmd: Vec<(&str, &[BuiltLayer], &[&str])> = images
        .iter()
        .map(|(tag, layers)| (*tag, *layers, &["/bin/sh"][..]))
        .collect();
    docker_archive_files_cmd(&with_cmd)
}

/// [`docker_archive_files`], each image with its own command.
pub fn docker_archive_files_cmd(images: &[(&str, &[BuiltLayer], &[&str])]) -> Files {
    let mut files: Files = Vec::new();
    let mut manifest = Vec::new();
    for (tag, layers, cmd) in images {
        let config = config_json_cmd(layers, "amd64", cmd);
        let config_name = format!("{}.json", hex_of(&sha256(&config)));
        let mut layer_paths = Vec::new();
        for l in layers.iter() {
            let path = if l.blob.len() >= 2
                && (l.blob[0] == 0x1f || l.blob[0] == 0x28 || l.blob[0] == 0x50)
            {
                format!("blobs/sha256/{}", hex_of(&sha256(&l.blob)))
            } else {
                format!("{}/layer.tar", hex_of(&l.diff_id))
            };
            if !files.iter().any(|(n, _)| *n == path) {
                files.push((path.clone(), l.blob.clone()));
            }
            layer_paths.push(path);
        }
        files.push((config_name.clone(), config));
        manifest.push(
            serde_json::json!({"Config": config_name, "RepoTags": [tag], "Layers": layer_paths}),
        );
    }
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    files
}

pub fn media_type(blob: &[u8]) -> &'static str {
    match blob.first() {
        Some(0x1f) => "application/vnd.oci.image.layer.v1.tar+gzip",
        Some(0x28) | Some(0x50) => "application/vnd.oci.image.layer.v1.tar+zstd",
        _ => "application/vnd.oci.image.layer.v1.tar",
    }
}

/// An OCI layout's files for one or more platform images under one index (a nested index when
/// there are several). Returns the files.
pub fn oci_layout_files(images: &[(&str, &[BuiltLayer])], ref_name: &str) -> Files {
    oci_layout_files_annotated(images, ref_name, serde_json::Value::Null)
}

/// [`oci_layout_files`] with `annotations` (an object, or null) on each image manifest.
pub fn oci_layout_files_annotated(
    images: &[(&str, &[BuiltLayer])],
    ref_name: &str,
    annotations: serde_json::Value,
) -> Files {
    let mut files: Files = vec![(
        "oci-layout".into(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let mut manifests = Vec::new();
    for (arch, layers) in images {
        let config = config_json(layers, arch);
        let config_digest = sha256(&config);
        files.push((
            format!("blobs/sha256/{}", hex_of(&config_digest)),
            config.clone(),
        ));
        let mut descs = Vec::new();
        for l in layers.iter() {
            let d = sha256(&l.blob);
            let path = format!("blobs/sha256/{}", hex_of(&d));
            if !files.iter().any(|(n, _)| *n == path) {
                files.push((path, l.blob.clone()));
            }
            descs.push(serde_json::json!({"mediaType": media_type(&l.blob), "digest": d, "size": l.blob.len()}));
        }
        let mut manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": descs,
        });
        if !annotations.is_null() {
            manifest["annotations"] = annotations.clone();
        }
        let manifest = serde_json::to_vec(&manifest).unwrap();
        let md = sha256(&manifest);
        files.push((format!("blobs/sha256/{}", hex_of(&md)), manifest.clone()));
        manifests.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": md, "size": manifest.len(),
            "platform": {"architecture": arch, "os": "linux"}
        }));
    }
    let top = if manifests.len() == 1 {
        let mut m = manifests.pop().unwrap();
        m["annotations"] = serde_json::json!({"org.opencontainers.image.ref.name": ref_name});
        vec![m]
    } else {
        let nested = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests
        }))
        .unwrap();
        let nd = sha256(&nested);
        files.push((format!("blobs/sha256/{}", hex_of(&nd)), nested.clone()));
        vec![serde_json::json!({
            "mediaType": "application/vnd.oci.image.index.v1+json", "digest": nd, "size": nested.len(),
            "annotations": {"org.opencontainers.image.ref.name": ref_name}
        })]
    };
    files.push((
        "index.json".into(),
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": top})).unwrap(),
    ));
    files
}

/// A `docker save` archive `name` in `dir` holding one image, tagged `tag`, made of `layers`.
pub fn docker_archive(dir: &Path, name: &str, tag: &str, layers: &[BuiltLayer]) -> PathBuf {
    let p = dir.join(name);
    write_tar(&p, &docker_archive_files(&[(tag, layers)]));
    p
}

pub fn write_dir(root: &Path, files: &Files) {
    for (name, data) in files {
        let p = root.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_imgscope")
}

/// A cache directory for this test process, so tests never touch the user's cache.
pub fn test_cache_home() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("imgscope-test-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with `args`, its caches under `cache`. With `IMGSCOPE_TEST_MEASURE=FILE` (and GNU
/// `time` installed), each run appends its wall time, peak RSS and test name to FILE: how the
/// hostile inputs' costs in the notes are measured.
pub fn command_in(cache: &Path, args: &[&str]) -> Command {
    let mut c = match std::env::var_os("IMGSCOPE_TEST_MEASURE") {
        Some(file) if Path::new("/usr/bin/time").exists() => {
            let test = std::thread::current()
                .name()
                .unwrap_or("?")
                .replace('%', "%%");
            let mut c = Command::new("/usr/bin/time");
            c.arg("-a")
                .arg("-o")
                .arg(file)
                .arg("-f")
                .arg(format!("%e s %M KiB exit %x {test}"))
                .arg(bin());
            c
        }
        _ => Command::new(bin()),
    };
    c.args(args).env("XDG_CACHE_HOME", cache);
    c
}

/// Run the binary with its caches under `cache` and nothing on stdin.
pub fn run_in(cache: &Path, args: &[&str]) -> Output {
    command_in(cache, args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Run the binary with its caches under `cache` and `input` on stdin.
pub fn run_stdin_in(cache: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = command_in(cache, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

pub fn run(args: &[&str]) -> Output {
    run_in(&test_cache_home(), args)
}

pub fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    run_stdin_in(&test_cache_home(), args, input)
}

pub fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "imgscope failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The shared dive fixtures, or None (with a loud note) where they are absent. Under CI=true
/// their absence is a failure.
pub fn dive_fixture(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/dive")
        .join(name);
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("fixture {} missing under CI=true", p.display());
    }
    eprintln!("SKIPPED: fixture {} not found", p.display());
    None
}
pub mod fake_registry;
pub mod services;
pub mod token_issuer;

/// One docker archive per image, in `dir`, named after its tag; returns their paths.
pub fn write_image_archives(dir: &Path, images: &[(&str, Vec<&BuiltLayer>)]) -> Vec<String> {
    let mut paths = Vec::new();
    for (tag, layers) in images {
        let owned: Vec<BuiltLayer> = layers.iter().map(|l| (*l).clone()).collect();
        let p = dir.join(format!("{}.tar", tag.replace(['/', ':'], "_")));
        write_tar(&p, &docker_archive_files(&[(tag, &owned)]));
        paths.push(p.display().to_string());
    }
    paths
}

/// Send `signal` to process `pid` (0 only asks whether it exists); whether it was delivered.
#[allow(unsafe_code)] // kill(2): std signals only its own children, and only with SIGKILL.
pub fn send_signal(pid: i32, signal: i32) -> bool {
    // SAFETY: kill() only sends a signal; it touches no memory of this process.
    unsafe { libc::kill(pid, signal) == 0 }
}

/// The figures of a JSON report's first image that must not depend on where the image was read
/// from; `compressed` too when the route hands over the blobs as stored (Docker's export writes
/// layers uncompressed, so its compressed size is not the archive's).
pub fn route_independent_facts(v: &serde_json::Value, compressed: bool) -> serde_json::Value {
    let i = &v["images"][0];
    let mut facts = serde_json::json!({
        "size": i["size_bytes"],
        "files": i["file_count"],
        "reclaimable": i["waste"]["reclaimable_bytes"],
        "efficiency": i["waste"]["efficiency"],
        "config": i["config_digest"],
        "diff_ids": i["layers"].as_array().unwrap().iter().map(|l| l["diff_id"].clone()).collect::<Vec<_>>(),
        "layer_sizes": i["layers"].as_array().unwrap().iter().map(|l| l["size_bytes"].clone()).collect::<Vec<_>>(),
        "duplicates": i["duplicates"]["savings_bytes"],
        "plan": v["plan_totals"]["node_saving_bytes"],
    });
    if compressed {
        facts["compressed"] = i["compressed_size_bytes"].clone();
    }
    facts
}
