//! Links, whiteouts, paths: hardlinks to nothing and to themselves, whiteouts of the root and
//! of `..`, an opaque root, and `..` or absolute paths, which all stay inside the image.

use super::*;

fn changes(img: &Value, layer: usize) -> [u64; 3] {
    let c = &img["layers"][layer]["changes"];
    [
        c["added"]["count"].as_u64().unwrap(),
        c["modified"]["count"].as_u64().unwrap(),
        c["removed"]["count"].as_u64().unwrap(),
    ]
}

#[test]
fn hardlinks_to_nothing_and_to_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let l = layer(
        &[
            file("real", 10, 1),
            E::Hardlink("self", "self"),
            E::Hardlink("dangling", "nowhere/at/all"),
            E::Hardlink("up", "../../real"),
        ],
        Comp::Gzip,
        "links",
    );
    let p = archive(dir.path(), "links.tar", &[l]);
    let img = image_json(&p);
    assert_eq!(img["file_count"], 4);
    assert_eq!(img["regular_file_count"], 1);
    assert_eq!(img["size_bytes"], 10);
    assert_eq!(changes(&img, 0), [4, 0, 0]);
    assert_eq!(img["waste"]["reclaimable_bytes"], 0);
    assert_eq!(img["duplicates"]["group_count"], 0);
    // Reading through them: clean errors, and the good one resolves (`../../real` is `/real`).
    let path = p.to_str().unwrap();
    expect_error(
        &["cat", path, "/self"],
        "links.tar",
        "hardlink /self points to /self, which is not a regular file",
    );
    expect_error(
        &["cat", path, "/dangling"],
        "links.tar",
        "hardlink /dangling points to a missing /nowhere/at/all",
    );
    let out = run(&["cat", path, "/up"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, vec![1u8; 10]);
}

#[test]
fn whiteouts_of_the_root_and_of_dot_dot() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[E::Dir("etc"), file("etc/a", 100, 1), file("top", 10, 2)],
        Comp::Gzip,
        "base",
    );
    // Whiteouts that name nothing deletable: `.wh.`, `.wh..`, `.wh...`, at the root and below,
    // and one that climbs out through `..`. None deletes anything, none is a file.
    let mut tar: Vec<u8> = [
        &b".wh."[..],
        b".wh..",
        b".wh...",
        b"etc/.wh..",
        b"etc/.wh...",
        b"etc/../../.wh...",
        b"/.wh./",
    ]
    .iter()
    .flat_map(|name| entry(header(name, b'0', 0), &[]))
    .collect();
    tar.extend(entry(header(b"new", b'0', 1), b"n"));
    let voids = raw_layer(end(tar), Comp::Gzip, "voids");
    let p = archive(dir.path(), "void-whiteouts.tar", &[base, voids]);
    let img = image_json(&p);
    assert_eq!(changes(&img, 1), [1, 0, 0]);
    assert_eq!(
        files_of(&img),
        vec![
            ("/etc/a".to_string(), 100),
            ("/new".to_string(), 1),
            ("/top".to_string(), 10)
        ]
    );
    assert_eq!(img["size_bytes"], 111);
    assert_eq!(img["waste"]["reclaimable_bytes"], 0);
}

#[test]
fn opaque_root_hides_every_lower_layer() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[E::Dir("etc"), file("etc/a", 100, 1), file("top", 10, 2)],
        Comp::Gzip,
        "base",
    );
    let opaque = layer(
        &[E::Marker(".wh..wh..opq"), file("only", 5, 3)],
        Comp::Gzip,
        "opaque root",
    );
    let p = archive(dir.path(), "opaque-root.tar", &[base, opaque]);
    let img = image_json(&p);
    assert_eq!(files_of(&img), vec![("/only".to_string(), 5)]);
    assert_eq!(img["size_bytes"], 115);
    assert_eq!(img["directory_count"], 0);
    assert_eq!(changes(&img, 1), [1, 0, 2]);
    assert_eq!(img["waste"]["reclaimable_bytes"], 110);
}

#[test]
fn dot_dot_and_absolute_paths_stay_inside_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let mut tar = entry(header(b"../../etc/x", b'0', 3), &[1u8; 3]);
    tar.extend(entry(header(b"/abs/y", b'0', 4), &[2u8; 4]));
    tar.extend(entry(header(b"a/../../../../b", b'0', 5), &[3u8; 5]));
    // A whiteout that climbs: `../../.wh.etc` is `/.wh.etc`, deleting /etc of the layer below.
    let l = raw_layer(end(tar), Comp::Gzip, "climb");
    let wh = raw_layer(
        end(entry(header(b"../../.wh.abs", b'0', 0), &[])),
        Comp::Gzip,
        "climbing whiteout",
    );
    let p = archive(dir.path(), "climb.tar", &[l, wh]);
    let img = image_json(&p);
    assert_eq!(
        files_of(&img),
        vec![("/b".to_string(), 5), ("/etc/x".to_string(), 3)]
    );
    assert_eq!(img["directory_count"], 1);
    assert_eq!(changes(&img, 0), [3, 0, 0]);
    assert_eq!(changes(&img, 1), [0, 0, 1]);
    assert_eq!(img["waste"]["reclaimable_bytes"], 4);
}
