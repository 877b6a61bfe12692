//! Conformance with dive's own test images and its published numbers (../shared/fixtures/dive).

use crate::common::*;

fn report(name: &str) -> Option<serde_json::Value> {
    let path = dive_fixture(name)?;
    let out = run(&["--json", path.to_str().unwrap()]);
    Some(json_of(&out)["images"][0].clone())
}

#[test]
fn docker_image_matches_dive_and_reclaimable_is_exact() {
    let Some(img) = report("test-docker-image.tar") else {
        return;
    };
    assert_eq!(img["layer_count"], 14);
    assert_eq!(img["size_bytes"], 1_220_598);
    let sizes: Vec<u64> = img["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(
        sizes,
        [
            1154361, 6405, 0, 6405, 6405, 6405, 6405, 6405, 6405, 0, 2187, 6405, 6405, 6405
        ]
    );
    // Derived by hand from the Dockerfile in the fixtures README: the 6405-byte README copy is hidden
    // five times — somefile1 (layer 3, overwritten by the chmod in 4), its chmod copy (4, removed by
    // the rm -rf in 9), somefile2 (5, removed in 9), somefile3 (6, moved away in 7), and
    // /root/saved.txt (7, copied again by the chmod +x in 13).
    assert_eq!(img["waste"]["reclaimable_bytes"], 5 * 6405);
    let eff = img["waste"]["efficiency"].as_f64().unwrap();
    assert!((eff - 0.9844212134184309).abs() < 1e-9, "{eff}");
    assert_eq!(img["waste"]["dive_inefficient_bytes"], 32025);
    let paths: Vec<&str> = img["waste"]["reclaimable_paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            "/root/example/somefile1.txt",
            "/root/example/somefile2.txt",
            "/root/example/somefile3.txt",
            "/root/saved.txt"
        ]
    );
    // Five visible copies of the same 6405 bytes.
    let g = &img["duplicates"]["groups"][0];
    assert_eq!(g["count"], 5);
    assert_eq!(g["savings_bytes"], 4 * 6405);
    assert_eq!(img["layers"][7]["changes"]["removed"]["count"], 1);
    assert_eq!(img["layers"][9]["changes"]["removed"]["count"], 2);
    assert_eq!(
        img["layers"][2]["created_by"],
        "/bin/sh -c mkdir -p /root/example/really/nested"
    );
}

#[test]
fn kaniko_image_matches_dive() {
    let Some(img) = report("test-kaniko-image.tar") else {
        return;
    };
    assert_eq!(img["layer_count"], 14);
    assert_eq!(img["size_bytes"], 1_326_410);
    // kaniko's README copy is 9249 bytes; the same five hidden copies.
    assert_eq!(img["waste"]["reclaimable_bytes"], 46245);
    assert_eq!(46245, 5 * 9249);
    let eff = img["waste"]["efficiency"].as_f64().unwrap();
    assert!((eff - 0.9793688490216431).abs() < 1e-9, "{eff}");
    assert_eq!(img["layers"][1]["compression"], "gzip");
}

#[test]
fn oci_fixtures_load_in_every_compression() {
    for (name, comp) in [
        ("test-oci-gzip-image.tar", "gzip"),
        ("test-oci-zstd-image.tar", "zstd"),
        ("test-oci-estargz-image.tar", "gzip"),
        ("test-oci-uncompressed-image.tar", "none"),
    ] {
        let Some(img) = report(name) else { return };
        assert_eq!(img["layer_count"], 1, "{name}");
        assert_eq!(img["size_bytes"], 11189, "{name}");
        assert_eq!(img["waste"]["reclaimable_bytes"], 0, "{name}");
        assert_eq!(img["waste"]["efficiency"], 1.0, "{name}");
        assert_eq!(img["platform"], "linux/arm64", "{name}");
        assert_eq!(img["layers"][0]["compression"], comp, "{name}");
        assert_eq!(img["source"], "oci-archive", "{name}");
    }
}

#[test]
fn plain_tars_are_refused_as_not_images() {
    for name in [
        "test-gzip-image.tar",
        "test-zstd-image.tar",
        "test-estargz-image.tar",
        "test-uncompressed-image.tar",
    ] {
        let Some(path) = dive_fixture(name) else {
            return;
        };
        let out = run(&["--json", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("not an image"), "{name}: {err}");
        assert!(err.contains(name), "{name}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{name}: {err}");
    }
}
