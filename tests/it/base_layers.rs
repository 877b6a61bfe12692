//! Base and own layers (dive #441): `--base IMAGE` and the base an image declares in its
//! `org.opencontainers.image.base.*` annotations (read from a real registry) mark the inherited
//! layers; `--own-only` gates measure the image above its base. Exact numbers on images built
//! here: the base wastes 3,000 B itself; the app's own layers cause 50,000 B (a base file
//! overwritten) + 4,000 B (a file of its own removed).

use crate::common::*;
use serde_json::Value;

fn base_layers() -> Vec<BuiltLayer> {
    vec![
        layer(
            &[
                file("etc/os-release", 100, 1),
                file("lib/libc.so", 50_000, 2),
                file("tmp/junk", 3_000, 3),
            ],
            Comp::Gzip,
            "ADD rootfs /",
        ),
        layer(
            &[file("tmp/junk", 3_000, 9)],
            Comp::Gzip,
            "RUN touch /tmp/junk",
        ),
    ]
}

fn own_layers() -> Vec<BuiltLayer> {
    vec![
        layer(
            &[file("lib/libc.so", 50_000, 7), file("app/tmp", 4_000, 5)],
            Comp::Gzip,
            "RUN apt-get upgrade",
        ),
        layer(
            &[E::Marker("app/.wh.tmp"), file("app/bin", 20_000, 6)],
            Comp::Gzip,
            "COPY app /app",
        ),
    ]
}

fn app_layers() -> Vec<BuiltLayer> {
    let mut all = base_layers();
    all.extend(own_layers());
    all
}

struct Built {
    _dir: tempfile::TempDir,
    base: String,
    app: String,
}

fn built() -> Built {
    let dir = tempfile::tempdir().unwrap();
    let base = docker_archive(dir.path(), "base.tar", "lib/base:1", &base_layers());
    let app = docker_archive(dir.path(), "app.tar", "lib/app:1", &app_layers());
    Built {
        base: base.display().to_string(),
        app: app.display().to_string(),
        _dir: dir,
    }
}

fn layer_sizes(image: &Value) -> Vec<u64> {
    image["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["size_bytes"].as_u64().unwrap())
        .collect()
}

#[test]
fn the_base_flag_marks_inherited_layers_and_measures_the_own_part() {
    let b = built();
    let v = json_of(&run(&["--json", "--base", &b.base, &b.app]));
    let image = &v["images"][0];
    assert_eq!(image["waste"]["reclaimable_bytes"], 57_000);
    let base = &image["base"];
    assert_eq!(base["reference"], b.base.as_str());
    assert_eq!(base["origin"], "flag");
    assert_eq!(base["base_layer_count"], 2);
    assert_eq!(base["inherited_layer_count"], 2);
    assert_eq!(base["complete"], true);
    assert_eq!(base["problem"], Value::Null);
    let sizes = layer_sizes(image);
    let own = &base["own"];
    assert_eq!(own["layer_count"], 2);
    assert_eq!(own["size_bytes"], sizes[2] + sizes[3]);
    let compressed: u64 = image["layers"].as_array().unwrap()[2..]
        .iter()
        .map(|l| l["compressed_size_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(own["compressed_size_bytes"], compressed);
    // The libc the app overwrote and its own removed file; not the base's own junk.
    assert_eq!(own["reclaimable_bytes"], 54_000);
    let inherited: Vec<&Value> = image["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["inherited"])
        .collect();
    assert_eq!(
        inherited,
        [
            &Value::Bool(true),
            &Value::Bool(true),
            &Value::Bool(false),
            &Value::Bool(false)
        ]
    );

    // Without a base, the report has no base fields at all.
    let plain = json_of(&run(&["--json", &b.app]));
    assert!(plain["images"][0].get("base").is_none());
    assert!(plain["images"][0]["layers"][0].get("inherited").is_none());

    let out = run(&["--text", "--base", &b.base, &b.app]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("Base ")).expect(&text);
    assert!(
        line.contains("(--base): layers 0–1 inherited; own: 2 layers,"),
        "{line}"
    );
    assert!(line.ends_with("52.7 KiB reclaimable"), "{line}");
    assert_eq!(text.matches("[base] ").count(), 2, "{text}");
}

#[test]
fn a_base_the_image_is_not_built_on_is_said_and_marks_nothing() {
    let b = built();
    let dir = tempfile::tempdir().unwrap();
    let other = unrelated_base(dir.path());
    let v = json_of(&run(&["--json", "--base", other.to_str().unwrap(), &b.app]));
    let base = &v["images"][0]["base"];
    assert_eq!(base["inherited_layer_count"], 0);
    assert_eq!(base["complete"], false);
    assert!(
        base["problem"]
            .as_str()
            .unwrap()
            .starts_with("none of the base's 1 layers starts the image"),
        "{base}"
    );
    // The image's first layer alone as a "base": matched, complete.
    let first = docker_archive(dir.path(), "first.tar", "lib/first:1", &base_layers()[..1]);
    let v = json_of(&run(&["--json", "--base", first.to_str().unwrap(), &b.app]));
    assert_eq!(v["images"][0]["base"]["inherited_layer_count"], 1);
    // An unreadable --base is the user's error: one line, exit 2.
    let out = run(&["--json", "--base", "/nonexistent/base.tar", &b.app]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--base /nonexistent/base.tar"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(out.stdout.is_empty());
}

fn gate(args: &[&str]) -> (i32, String) {
    let out = run(args);
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn own_only_gates_measure_the_image_above_its_base() {
    let b = built();
    let rules = [
        "--max-size",
        "100KB",
        "--max-reclaimable",
        "55000",
        "--max-layers",
        "2",
    ];
    let mut whole: Vec<&str> = vec!["--ci"];
    whole.extend(rules);
    whole.push(&b.app);
    let (code, out) = gate(&whole);
    assert_eq!(code, 1, "{out}");

    let mut own: Vec<&str> = vec![
        "--json",
        "--own-only",
        "--base",
        &b.base,
        "--min-efficiency",
        "0",
    ];
    own.extend(rules);
    own.push(&b.app);
    let out = run(&own);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json_of(&out);
    let image = &v["images"][0];
    let results = image["gates"]["rules"].as_array().unwrap();
    let by = |name: &str| results.iter().find(|r| r["rule"] == name).unwrap().clone();
    assert_eq!(by("max-size")["value"], image["base"]["own"]["size_bytes"]);
    assert_eq!(by("max-reclaimable")["value"], 54_000);
    assert_eq!(by("max-layers")["value"], 2);
    let note = by("max-layers")["note"].as_str().unwrap().to_string();
    assert!(note.contains("own layers: 2 of 4, above"), "{note}");
    // A rule with no own-only meaning is measured on the whole image, and says so.
    let eff = by("min-efficiency")["note"].as_str().unwrap().to_string();
    assert!(eff.contains("whole image"), "{eff}");

    // --own-only with no base known is an error, not a silent whole-image gate.
    let (code, out) = gate(&["--own-only", "--max-size", "1GB", &b.app]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--own-only:") && out.contains("names no base"),
        "{out}"
    );
    assert_eq!(out.trim_end().lines().count(), 1, "{out}");

    // Nor with a base the image is not built on: its own part would be the whole image.
    let dir = tempfile::tempdir().unwrap();
    let other = unrelated_base(dir.path());
    let (code, out) = gate(&[
        "--own-only",
        "--base",
        other.to_str().unwrap(),
        "--max-size",
        "1GB",
        &b.app,
    ]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--own-only:") && out.contains("none of the base's 1 layers starts the image"),
        "{out}"
    );
    assert_eq!(out.trim_end().lines().count(), 1, "{out}");
}

/// The app as an OCI archive whose manifest names its base.
fn annotated_app(dir: &std::path::Path, name: &str, digest: Option<&str>) -> String {
    let mut annotations = serde_json::json!({"org.opencontainers.image.base.name": name});
    if let Some(d) = digest {
        annotations["org.opencontainers.image.base.digest"] = Value::from(d);
    }
    let p = dir.join("app-oci.tar");
    write_tar(
        &p,
        &oci_layout_files_annotated(&[("amd64", &app_layers())], "app", annotations),
    );
    p.display().to_string()
}

#[test]
fn the_declared_base_is_read_from_a_registry_by_name_and_digest() {
    let Some(reg) = crate::common::services::Registry::start("") else {
        return;
    };
    let b = built();
    assert!(reg.push(&format!("docker-archive:{}", b.base), "lib/base:1", None));
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/lib/base:1", reg.addr());
    let pushed = json_of(&run_in(
        cache.path(),
        &["--json", "--layers-only", &reference],
    ));
    let digest = pushed["images"][0]["manifest_digest"]
        .as_str()
        .unwrap()
        .to_string();

    let dir = tempfile::tempdir().unwrap();
    let app = annotated_app(dir.path(), &reference, Some(&digest));
    let v = json_of(&run_in(cache.path(), &["--json", &app]));
    let base = &v["images"][0]["base"];
    assert_eq!(base["origin"], "annotation");
    assert_eq!(base["reference"], reference.as_str());
    assert_eq!(base["digest"], digest.as_str());
    assert_eq!(base["inherited_layer_count"], 2);
    assert_eq!(base["complete"], true);
    assert_eq!(base["own"]["reclaimable_bytes"], 54_000);

    // `--base none` looks nowhere.
    let v = json_of(&run_in(cache.path(), &["--json", "--base", "none", &app]));
    assert!(v["images"][0].get("base").is_none());

    // A declared base that cannot be read is said, and the report stands.
    let gone = format!(
        "127.0.0.1:{}/lib/base:1",
        crate::common::services::free_port()
    );
    let app = annotated_app(dir.path(), &gone, None);
    let out = run_in(cache.path(), &["--text", &app]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("Base ")).expect(&text);
    assert!(
        line.contains("(declared by the image): the base could not be read"),
        "{line}"
    );
    assert_eq!(text.matches("[base] ").count(), 0, "{text}");
}

/// An image no built image shares a layer with, as `--base`.
fn unrelated_base(dir: &std::path::Path) -> std::path::PathBuf {
    docker_archive(
        dir,
        "other.tar",
        "lib/other:1",
        &[layer(&[file("x", 10, 1)], Comp::Gzip, "ADD x /")],
    )
}
