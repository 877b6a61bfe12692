//! Overlay semantics on images built here, with exact numbers: whiteouts of files and directories,
//! opaque directories, hardlinks that keep hidden content alive, long GNU and PAX names, implicit
//! parent directories, chmod copies, and every compression form (plain, multi-member gzip, zstd
//! with several frames and a skippable frame) — the same numbers from every container format.

use crate::common::*;
use serde_json::Value;

const LONG_DIR: &str = "long/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";

fn layers() -> Vec<BuiltLayer> {
    let long_file = format!(
        "{LONG_DIR}/ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff.txt"
    );
    vec![
        layer(
            &[
                E::Dir("a/"),
                E::Dir("a/b/"),
                file("a/b/f1", 100, 1),
                file("a/b/f2", 200, 2),
                file("a/keep", 50, 3),
                file("h/orig", 40, 4), // no entry for h/: an implicit directory
                E::Hardlink("h/link", "h/orig"),
                E::Symlink("a/sl", "keep"),
                file(&long_file, 10, 5),
                file("etc/conf", 30, 6),
                file("./dup1", 64, 7),
                file("dup/copy", 64, 7),
            ],
            Comp::None,
            "ADD base /",
        ),
        layer(
            &[
                E::Marker("a/.wh.b"),
                file("a/keep", 60, 8),
                E::Marker("etc/.wh..wh..opq"),
                file("etc/new", 5, 9),
                E::Marker("h/.wh.orig"),
            ],
            Comp::GzipMulti,
            "RUN rm -rf /a/b /h/orig && echo > /a/keep",
        ),
        layer(
            &[
                E::PaxFile("x/y-with-a-pax-path".into(), vec![10; 1000]),
                E::FileMode("a/keep".into(), vec![8; 60], 0o755),
            ],
            Comp::ZstdMulti,
            "RUN chmod +x /a/keep",
        ),
        layer(
            &[E::Dir("./"), file("dup2", 64, 7), E::Marker("a/.wh.sl")],
            Comp::Zstd,
            "COPY dup2 /",
        ),
    ]
}

/// Each layer's `size_bytes`, in order.
fn layer_sizes(img: &Value) -> Vec<u64> {
    img["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size_bytes"].as_u64().unwrap())
        .collect()
}

/// The image of the archive at `path`, read from the file and from stdin.
fn from_file_and_stdin(path: &std::path::Path) -> [Value; 2] {
    let from_file = json_of(&run(&["--json", path.to_str().unwrap()]));
    let from_stdin = json_of(&run_stdin(&["--json", "-"], &std::fs::read(path).unwrap()));
    [
        from_file["images"][0].clone(),
        from_stdin["images"][0].clone(),
    ]
}

/// A 700-byte config file layer and a 5000-byte tool layer, for images that list the first twice.
fn config_and_tool_layers(comp: Comp) -> (BuiltLayer, BuiltLayer) {
    (
        layer(&[file("etc/a.conf", 700, 1)], comp, "COPY a.conf /etc/"),
        layer(&[file("usr/bin/tool", 5000, 2)], comp, "RUN make tool"),
    )
}

fn check(img: &Value) {
    assert_eq!(img["layer_count"], 4);
    assert_eq!(layer_sizes(img), [558, 65, 1060, 64]);
    assert_eq!(img["size_bytes"], 1747);
    let comps: Vec<&str> = img["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["compression"].as_str().unwrap())
        .collect();
    assert_eq!(comps, ["none", "gzip", "zstd", "zstd"]);

    // Hidden: a/b/f1 + a/b/f2 (parent whiteout) 300, a/keep@0 50, etc/conf (opaque) 30,
    // a/keep@1 60 (chmod copy in 2). h/orig is removed but its hardlink h/link still holds it.
    let w = &img["waste"];
    assert_eq!(w["reclaimable_bytes"], 440);
    let per_layer: Vec<u64> = img["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["reclaimable_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(per_layer, [380, 60, 0, 0]);
    let paths: Vec<(&str, u64)> = w["reclaimable_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap(), p["bytes"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        paths,
        [
            ("/a/b/f2", 200),
            ("/a/keep", 110),
            ("/a/b/f1", 100),
            ("/etc/conf", 30)
        ]
    );
    let keep = &w["reclaimable_paths"][1]["copies"];
    assert_eq!(keep[0]["layer"], 0);
    assert_eq!(keep[0]["hidden_by_layer"], 1);
    assert_eq!(keep[0]["hidden_by"], "overwrite");
    assert_eq!(keep[1]["change"], "modified");
    assert_eq!(
        w["reclaimable_paths"][0]["copies"][0]["hidden_by"],
        "removal"
    );

    // dive's formula, worked by hand: Σmin 1887 / Σsum 2047; paths in 2+ layers: a/keep 170,
    // h/orig 40, a/sl 0.
    let eff = w["efficiency"].as_f64().unwrap();
    assert!((eff - 1887.0 / 2047.0).abs() < 1e-12, "{eff}");
    assert_eq!(w["dive_inefficient_bytes"], 210);

    let c = |i: usize, k: &str| {
        (
            img["layers"][i]["changes"][k]["count"].as_u64().unwrap(),
            img["layers"][i]["changes"][k]["bytes"].as_u64().unwrap(),
        )
    };
    assert_eq!(c(0, "added"), (10, 558));
    assert_eq!(c(1, "removed"), (4, 370));
    assert_eq!(c(1, "modified"), (1, 60));
    assert_eq!(c(1, "added"), (1, 5));
    assert_eq!(c(2, "added"), (1, 1000));
    assert_eq!(c(2, "modified"), (1, 60));
    assert_eq!(c(3, "added"), (1, 64));
    assert_eq!(c(3, "removed"), (1, 0));

    // Visible: a/keep, h/link, the long file, etc/new, dup1, dup/copy, x/y…, dup2.
    assert_eq!(img["file_count"], 8);
    assert_eq!(img["regular_file_count"], 7);
    let d = &img["duplicates"];
    assert_eq!(d["group_count"], 1);
    assert_eq!(d["savings_bytes"], 128);
    assert_eq!(
        d["groups"][0]["paths"],
        serde_json::json!(["/dup/copy", "/dup1", "/dup2"])
    );
    let largest: Vec<&str> = img["largest_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(largest[0], "/x/y-with-a-pax-path");
    assert!(largest.iter().any(|p| {
        p.starts_with(LONG_DIR.split('/').next().map(|_| "/long/").unwrap())
            && p.ends_with("ff.txt")
    }));
    assert_eq!(
        img["layers"][1]["created_by"],
        "RUN rm -rf /a/b /h/orig && echo > /a/keep"
    );
    assert_eq!(img["config"]["labels"]["org.example"], "test");
}

#[test]
fn docker_archive_semantics_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let l = layers();
    write_tar(&path, &docker_archive_files(&[("test/edge:1", &l)]));
    let img = json_of(&run(&["--json", path.to_str().unwrap()]))["images"][0].clone();
    check(&img);
    assert_eq!(img["source"], "docker-archive");
    assert_eq!(img["name"], "test/edge:1");
    // The plain layer's digest is its diff_id.
    assert_eq!(img["layers"][0]["digest"], img["layers"][0]["diff_id"]);
}

#[test]
fn oci_archive_and_layout_give_the_same_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let l = layers();
    let files = oci_layout_files(&[("amd64", &l)], "edge");
    let archive = dir.path().join("img.oci.tar");
    write_tar(&archive, &files);
    let layout = dir.path().join("layout");
    write_dir(&layout, &files);
    let a = json_of(&run(&[
        "--json",
        &format!("oci-archive:{}", archive.display()),
    ]))["images"][0]
        .clone();
    check(&a);
    assert_eq!(a["source"], "oci-archive");
    let b = json_of(&run(&["--json", layout.to_str().unwrap()]))["images"][0].clone();
    check(&b);
    assert_eq!(b["source"], "oci-layout");
    let c =
        json_of(&run(&["--json", &format!("oci:{}:edge", layout.display())]))["images"][0].clone();
    check(&c);
    assert_eq!(a["manifest_digest"], b["manifest_digest"]);
    assert_eq!(
        a["layers"][1]["media_type"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
}

#[test]
fn stdin_reads_an_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let l = layers();
    write_tar(&path, &docker_archive_files(&[("test/edge:1", &l)]));
    let out = run_stdin(&["--json", "-"], &std::fs::read(&path).unwrap());
    check(&json_of(&out)["images"][0]);
}

#[test]
fn gzip_compressed_archive_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let l = layers();
    write_tar(&path, &docker_archive_files(&[("test/edge:1", &l)]));
    let gz = dir.path().join("img.tar.gz");
    std::fs::write(&gz, compress(&std::fs::read(&path).unwrap(), Comp::Gzip)).unwrap();
    check(&json_of(&run(&["--json", gz.to_str().unwrap()]))["images"][0]);
}

#[test]
fn history_skips_empty_layers() {
    // config_json puts an ENV (empty_layer) after the first layer and a CMD at the end.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let l = layers();
    write_tar(&path, &docker_archive_files(&[("t:1", &l)]));
    let img = json_of(&run(&["--json", path.to_str().unwrap()]))["images"][0].clone();
    let cmds: Vec<&str> = img["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["created_by"].as_str().unwrap())
        .collect();
    assert_eq!(
        cmds,
        [
            "ADD base /",
            "RUN rm -rf /a/b /h/orig && echo > /a/keep",
            "RUN chmod +x /a/keep",
            "COPY dup2 /"
        ]
    );
}

#[test]
fn cat_and_export_read_the_visible_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("img.tar");
    let l = layers();
    write_tar(&path, &docker_archive_files(&[("test/edge:1", &l)]));
    let p = path.to_str().unwrap();
    // Final /a/keep: 60 bytes of 8 (layer 2's chmod copy); as of layer 0: 50 bytes of 3.
    let out = run(&["cat", p, "/a/keep"]);
    assert!(out.status.success());
    assert_eq!(out.stdout, vec![8u8; 60]);
    let out = run(&["cat", "--layer", "0", p, "/a/keep"]);
    assert_eq!(out.stdout, vec![3u8; 50]);
    // A hardlink reads its target's bytes, even after the target's path was removed.
    let out = run(&["cat", p, "/h/link"]);
    assert_eq!(out.stdout, vec![4u8; 40]);
    // The PAX-named file in a multi-frame zstd layer.
    let out = run(&["cat", p, "/x/y-with-a-pax-path"]);
    assert_eq!(out.stdout, vec![10u8; 1000]);
    // Removed files and directories are refused with a clear error.
    let out = run(&["cat", p, "/a/b/f1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such file in the image: /a/b/f1"));
    let out = run(&["cat", p, "/a"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));

    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let out = run(&["export", p, "/a/keep", dest.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(dest.join("keep")).unwrap(), vec![8u8; 60]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(dest.join("keep"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o755
    );
}

/// Docker 25+ exports hold a blob once even when the image lists it twice (two steps that wrote
/// the same bytes): the dive bug class of its issues #534, #575, #718. Both references must be
/// read, from a file and from a stream, in gzip and plain layers.
#[test]
fn a_blob_listed_twice_is_read_for_both_layers() {
    for comp in [Comp::Gzip, Comp::None] {
        let (a, b) = config_and_tool_layers(comp);
        let l = vec![a.clone(), b, a];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("twice.tar");
        let files = docker_archive_files(&[("test/twice:1", &l)]);
        let blobs = files
            .iter()
            .filter(|(n, _)| n.starts_with("blobs/") || n.ends_with("/layer.tar"))
            .count();
        assert_eq!(blobs, 2, "the archive holds the repeated blob once");
        write_tar(&path, &files);
        for img in from_file_and_stdin(&path) {
            assert_eq!(layer_sizes(&img), [700, 5000, 700], "{comp:?}");
            assert_eq!(
                img["layers"][2]["changes"]["modified"]["count"], 1,
                "{comp:?}"
            );
            assert_eq!(img["size_bytes"], 6400, "{comp:?}");
            // The rewrite of the same bytes is a copy a squash would drop.
            assert_eq!(img["waste"]["reclaimable_bytes"], 700, "{comp:?}");
        }
    }
}

/// Legacy `docker save` writes a repeated layer as a symlink to the first copy
/// (`<id3>/layer.tar -> ../<id1>/layer.tar`); a manifest may also spell one member two ways
/// (`x/layer.tar`, `./x/layer.tar`). Both layers are read, from a file and from a stream.
#[test]
fn a_layer_repeated_through_a_symlink_or_another_spelling_is_read_twice() {
    let (a, b) = config_and_tool_layers(Comp::None);
    let layers = vec![a.clone(), b.clone(), a.clone()];
    let config = config_json(&layers, "amd64");
    let config_name = format!("{}.json", hex_of(&sha256(&config)));
    let id = |c: char| c.to_string().repeat(64);
    for symlink in [true, false] {
        let third = if symlink {
            format!("{}/layer.tar", id('3'))
        } else {
            format!("./{}/layer.tar", id('1'))
        };
        let manifest = serde_json::to_vec(&serde_json::json!([{
            "Config": config_name, "RepoTags": ["test/sym:1"],
            "Layers": [format!("{}/layer.tar", id('1')), format!("{}/layer.tar", id('2')), third]
        }]))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sym.tar");
        let mut builder = tar::Builder::new(std::fs::File::create(&path).unwrap());
        let mut add = |name: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_mode(0o644);
            h.set_size(data.len() as u64);
            builder.append_data(&mut h, name, data).unwrap();
        };
        add(&format!("{}/layer.tar", id('1')), &a.blob);
        add(&format!("{}/layer.tar", id('2')), &b.blob);
        add(&config_name, &config);
        add("manifest.json", &manifest);
        if symlink {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_mode(0o777);
            h.set_size(0);
            builder
                .append_link(
                    &mut h,
                    format!("{}/layer.tar", id('3')),
                    format!("../{}/layer.tar", id('1')),
                )
                .unwrap();
        }
        builder.finish().unwrap();
        drop(builder);
        for img in from_file_and_stdin(&path) {
            assert_eq!(layer_sizes(&img), [700, 5000, 700], "symlink {symlink}");
        }
    }
}

/// dive's per-layer tree holds a whiteout as a node of its own (`.wh.foo`) beside `foo`: a layer
/// that deletes and rewrites a path has two leaves there, and the efficiency counts both.
#[test]
fn a_whiteout_and_a_rewrite_in_one_layer_count_as_dive_counts_them() {
    let l0 = layer(
        &[file("foo", 100, 1), file("bar", 10, 2)],
        Comp::None,
        "base",
    );
    let l1 = layer(
        &[E::Marker(".wh.foo"), file("foo", 40, 3)],
        Comp::None,
        "replace",
    );
    let dir = tempfile::tempdir().unwrap();
    let p = docker_archive(dir.path(), "a.tar", "t/x:1", &[l0, l1]);
    let img = json_of(&run(&["--json", p.to_str().unwrap()]));
    let waste = &img["images"][0]["waste"];
    // /foo: leaves 100, 0 (.wh.foo) and 40 → min 0, sum 140; /bar: 10.
    let efficiency = waste["efficiency"].as_f64().unwrap();
    assert!((efficiency - 10.0 / 150.0).abs() < 1e-9, "{efficiency}");
    assert_eq!(waste["dive_inefficient_bytes"], 140);
}
