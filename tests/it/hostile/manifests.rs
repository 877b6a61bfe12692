//! Manifests and indexes: malformed and enormous manifests, lists from the image cut in errors,
//! indexes nested deep, fanning out or referring to themselves, blobs that do not match their
//! descriptors, and manifest paths that point outside the archive.

use super::*;

/// An OCI layout's files for one image, and the layer built for it.
fn oci_files() -> Files {
    let l = vec![layer(&[file("a", 10, 1)], Comp::Gzip, "ADD a /")];
    oci_layout_files(&[("amd64", &l)], "x")
}

fn replace(files: &mut Files, name: &str, data: Vec<u8>) {
    let slot = files.iter_mut().find(|(n, _)| n == name).unwrap();
    slot.1 = data;
}

fn replace_json(files: &mut Files, name: &str, doc: &Value) {
    replace(files, name, serde_json::to_vec(doc).unwrap());
}

/// The bytes of the file `name` of an archive's `files`.
fn file_in<'a>(files: &'a Files, name: &str) -> &'a [u8] {
    &files.iter().find(|(n, _)| n == name).unwrap().1
}

fn index_json(files: &Files) -> Value {
    serde_json::from_slice(file_in(files, "index.json")).unwrap()
}

#[test]
fn malformed_manifests() {
    let dir = tempfile::tempdir().unwrap();
    for (name, manifest, cause) in [
        (
            "not-json.tar",
            &b"[{\"Config\": "[..],
            "invalid manifest.json",
        ),
        (
            "object.tar",
            b"{\"Config\": \"x\"}",
            "invalid manifest.json",
        ),
        (
            "no-config.tar",
            b"[{\"Layers\": []}]",
            "invalid manifest.json",
        ),
        ("empty-list.tar", b"[]", "manifest.json lists no image"),
        (
            "nested.tar",
            &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()[..],
            "invalid manifest.json",
        ),
    ] {
        let p = tar_of(
            dir.path(),
            name,
            &vec![("manifest.json".to_string(), manifest.to_vec())],
        );
        expect_json_error(&p, name, cause);
    }
    // The OCI side: index.json that is no index, and a config nested past serde's depth limit.
    let mut files = oci_files();
    replace(&mut files, "index.json", b"{\"manifests\": 7}".to_vec());
    let p = tar_of(dir.path(), "bad-index.tar", &files);
    expect_json_error(&p, "bad-index.tar", "invalid index.json");
}

#[test]
fn lists_from_the_image_are_cut_in_errors() {
    // 5,000 images in one manifest.json: the error names 20 of them and counts the rest.
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<Value> = (0..5000)
        .map(|i| serde_json::json!({"Config": "c.json", "RepoTags": [format!("t{i}:1")]}))
        .collect();
    let p = tar_of(
        dir.path(),
        "many-images.tar",
        &vec![(
            "manifest.json".to_string(),
            serde_json::to_vec(&items).unwrap(),
        )],
    );
    let err = expect_json_error(
        &p,
        "many-images.tar",
        "the archive holds 5000 images; name one (docker-archive:PATH:NAME:TAG): t0:1, t1:1,",
    );
    assert!(err.trim_end().ends_with("t19:1, and 4980 more"), "{err}");
    assert!(err.len() < 400, "{}", err.len());
}

#[test]
fn enormous_manifest_is_refused_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = vec![b' '; 64 << 20];
    manifest.extend_from_slice(b"[]");
    let p = tar_of(
        dir.path(),
        "huge-manifest.tar",
        &vec![("manifest.json".to_string(), manifest)],
    );
    expect_json_error(
        &p,
        "huge-manifest.tar",
        "manifest.json is 67108866 bytes, more than the 67108864-byte limit for metadata",
    );
}

/// An OCI layout whose index.json starts a chain of `levels` nested indexes, each naming the next
/// `fan_out` times, the last naming the image manifest. (A true cycle would need a blob holding
/// its own digest; what can be built is a chain as deep, and as wide, as one likes.)
fn chained_indexes(levels: usize, fan_out: usize) -> Files {
    let mut files = oci_files();
    let manifest_desc = index_json(&files)["manifests"][0].clone();
    let index_type = "application/vnd.oci.image.index.v1+json";
    let mut child = serde_json::json!({
        "schemaVersion": 2, "mediaType": index_type, "manifests": [manifest_desc]
    });
    for _ in 0..levels {
        let bytes = serde_json::to_vec(&child).unwrap();
        let d = sha256(&bytes);
        files.push((format!("blobs/sha256/{}", hex_of(&d)), bytes.clone()));
        let desc = serde_json::json!({"mediaType": index_type, "digest": d, "size": bytes.len()});
        child = serde_json::json!({
            "schemaVersion": 2, "mediaType": index_type,
            "manifests": vec![desc; fan_out]
        });
    }
    replace_json(&mut files, "index.json", &child);
    files
}

#[test]
fn deep_and_fanning_indexes() {
    let dir = tempfile::tempdir().unwrap();
    // Twelve levels of nested indexes: past the depth of 8.
    let p = tar_of(dir.path(), "deep-index.tar", &chained_indexes(12, 1));
    expect_json_error(
        &p,
        "deep-index.tar",
        "indexes nest more than 8 deep (recursive index?)",
    );
    // Eight levels, one wide: the image is found.
    let p = tar_of(dir.path(), "deep-8.tar", &chained_indexes(8, 1));
    assert_eq!(image_json(&p)["size_bytes"], 10);
    // Eight levels (the most allowed), each naming the next 30 times: 30^8 paths through 9 small
    // documents. Refused after 1024 reads instead of walking them all.
    let p = tar_of(dir.path(), "fan-index.tar", &chained_indexes(8, 30));
    let started = std::time::Instant::now();
    expect_json_error(
        &p,
        "fan-index.tar",
        "the layout's indexes name more than 1024 nested indexes (the limit)",
    );
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
}

#[test]
fn self_referencing_index_through_a_symlink() {
    // A blob whose digest names itself cannot be built; a layout directory can fake one with a
    // symlink from a nested index's blob path back to index.json, which would loop.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("layout");
    let mut files = oci_files();
    let top = index_json(&files);
    let loop_digest = sha256(b"loop");
    let mut looped = top.clone();
    looped["manifests"] = serde_json::json!([{
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "digest": loop_digest, "size": 0
    }]);
    replace_json(&mut files, "index.json", &looped);
    write_dir(&root, &files);
    std::os::unix::fs::symlink(
        root.join("index.json"),
        root.join(format!("blobs/sha256/{}", hex_of(&loop_digest))),
    )
    .unwrap();
    // The symlinked blob is not what its digest says: refused at the first hop.
    expect_json_error(&root, "layout", "declares 0");
}

#[test]
fn blobs_that_do_not_match_their_descriptors() {
    let dir = tempfile::tempdir().unwrap();
    let files = oci_files();
    let manifest_digest = index_json(&files)["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest_path = format!("blobs/sha256/{}", hex_of(&manifest_digest));
    let manifest: Value = serde_json::from_slice(file_in(&files, &manifest_path)).unwrap();

    // The manifest blob altered in place (same size, other content).
    let mut altered = files.clone();
    let mut bytes = file_in(&altered, &manifest_path).to_vec();
    let at = bytes.len() - 2;
    bytes[at] = b' ';
    replace(&mut altered, &manifest_path, bytes);
    let p = tar_of(dir.path(), "manifest-altered.tar", &altered);
    expect_json_error(
        &p,
        "manifest-altered.tar",
        &format!("image manifest does not match its digest {manifest_digest}"),
    );

    // index.json declaring another size for the manifest.
    let mut wrong_size = files.clone();
    let mut index = index_json(&wrong_size);
    index["manifests"][0]["size"] = serde_json::json!(12);
    replace_json(&mut wrong_size, "index.json", &index);
    let p = tar_of(dir.path(), "manifest-size.tar", &wrong_size);
    expect_json_error(&p, "manifest-size.tar", "but its descriptor declares 12");

    // The config replaced by another valid config.
    let config_digest = manifest["config"]["digest"].as_str().unwrap();
    let config_path = format!("blobs/sha256/{}", hex_of(config_digest));
    let mut other_config = files.clone();
    let original = file_in(&other_config, &config_path).to_vec();
    let swapped = String::from_utf8(original)
        .unwrap()
        .replace("amd64", "arm64")
        .into_bytes();
    replace(&mut other_config, &config_path, swapped);
    let p = tar_of(dir.path(), "config-swapped.tar", &other_config);
    expect_json_error(
        &p,
        "config-swapped.tar",
        &format!("image config does not match its digest {config_digest}"),
    );

    // A docker archive's config, named by its digest, swapped the same way.
    let l = vec![layer(&[file("a", 10, 1)], Comp::None, "ADD a /")];
    let mut docker = docker_archive_files(&[("d:1", &l)]);
    for (n, data) in docker.iter_mut() {
        if n.ends_with(".json") && n != "manifest.json" {
            *data = String::from_utf8(data.clone())
                .unwrap()
                .replace("amd64", "arm64")
                .into_bytes();
        }
    }
    let p = tar_of(dir.path(), "docker-config-swapped.tar", &docker);
    expect_json_error(
        &p,
        "docker-config-swapped.tar",
        "image config does not match its digest sha256:",
    );
}

#[test]
fn manifest_paths_outside_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let l = vec![layer(&[file("a", 10, 1)], Comp::None, "ADD a /")];
    // A layer path that climbs out.
    let mut files = docker_archive_files(&[("x:1", &l)]);
    let mut manifest: Value = serde_json::from_slice(file_in(&files, "manifest.json")).unwrap();
    manifest[0]["Layers"][0] = serde_json::json!("../../../etc/passwd");
    replace_json(&mut files, "manifest.json", &manifest);
    let p = tar_of(dir.path(), "layer-escape.tar", &files);
    expect_json_error(
        &p,
        "layer-escape.tar",
        "layer 0: path \"../../../etc/passwd\" points outside the image",
    );

    // manifest.json itself a symlink out of the archive: there is no manifest.
    let p = dir.path().join("manifest-symlink.tar");
    {
        let mut b = tar::Builder::new(std::fs::File::create(&p).unwrap());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "manifest.json", "../../../etc/passwd")
            .unwrap();
        b.finish().unwrap();
    }
    expect_json_error(&p, "manifest-symlink.tar", "not an image");

    // An OCI layout directory whose layer blob is a symlink to a file outside it.
    let outside = dir.path().join("secret");
    std::fs::write(&outside, b"not for you").unwrap();
    let root = dir.path().join("layout-escape");
    let files = oci_files();
    write_dir(&root, &files);
    let m: Value = {
        let d = index_json(&files)["manifests"][0]["digest"]
            .as_str()
            .unwrap()
            .to_string();
        serde_json::from_slice(
            &std::fs::read(root.join(format!("blobs/sha256/{}", hex_of(&d)))).unwrap(),
        )
        .unwrap()
    };
    let blob = root.join(format!(
        "blobs/sha256/{}",
        hex_of(m["layers"][0]["digest"].as_str().unwrap())
    ));
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&outside, &blob).unwrap();
    expect_json_error(
        &root,
        "layout-escape",
        "points outside the image (through a symlink)",
    );
}
