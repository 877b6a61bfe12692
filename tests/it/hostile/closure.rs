//! The runtime closure on hostile configurations: an `ld.so.conf` that includes itself and
//! thousands of directories, an include glob built to backtrack, a `sh -c` of thousands of commands
//! over a `PATH` of thousands of directories. Each ends in a report (exit 0) whose closure made a
//! bounded number of path lookups (the JSON's `closure.lookups`, which counts every candidate tried
//! and every `ld.so.conf` file read); where the budget runs out the closure says so in `unseen` and
//! the plan prices no slim image on it.

use super::*;

fn image_with(dir: &Path, files: Vec<E>, config: Value) -> PathBuf {
    let l = layer(&files, Comp::None, "ADD rootfs /");
    let mut doc: Value =
        serde_json::from_slice(&config_json(std::slice::from_ref(&l), "amd64")).unwrap();
    doc["config"] = config;
    let config = serde_json::to_vec(&doc).unwrap();
    let config_name = format!("{}.json", hex_of(&sha256(&config)));
    let layer_path = format!("{}/layer.tar", hex_of(&l.diff_id));
    let files: Files = vec![
        (layer_path.clone(), l.blob.clone()),
        (config_name.clone(), config),
        (
            "manifest.json".into(),
            serde_json::to_vec(&serde_json::json!([{"Config": config_name, "RepoTags": ["hostile/closure:1"], "Layers": [layer_path]}])).unwrap(),
        ),
    ];
    let path = dir.join("closure.tar");
    write_tar(&path, &files);
    path
}

fn script(path: &str) -> E {
    E::FileMode(path.into(), b"#!/bin/sh\necho hi\n".to_vec(), 0o755)
}

fn closure_of(path: &Path) -> Value {
    let v = json_of(&run(&["--json", "--no-cache", path.to_str().unwrap()]));
    v["images"][0]["closure"].clone()
}

#[test]
fn an_ld_so_conf_that_includes_itself_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut conf = String::from("include /etc/ld.so.conf\ninclude /etc/*.conf\n");
    for i in 0..20_000 {
        conf.push_str(&format!("/lib/d{i}\n"));
    }
    let image = image_with(
        dir.path(),
        vec![
            E::FileMode("bin/sh".into(), vec![1; 100], 0o755),
            script("bin/app"),
            E::File("etc/ld.so.conf".into(), conf.into_bytes()),
        ],
        serde_json::json!({"Cmd": ["/bin/app"]}),
    );
    let c = closure_of(&image);
    // One read of the file (it includes itself twice), the program and its interpreter: without
    // reading each file once it is 256 reads of 20,000 lines.
    assert!(c["lookups"].as_u64().unwrap() < 20, "{c:#}");
    assert_eq!(c["understood"], true);
}

#[test]
fn an_include_glob_built_to_backtrack_matches_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let long: &'static str =
        Box::leak(format!("etc/ld.so.conf.d/{}", "a".repeat(200)).into_boxed_str());
    let image = image_with(
        dir.path(),
        vec![
            E::FileMode("bin/sh".into(), vec![1; 100], 0o755),
            script("bin/app"),
            E::File(
                "etc/ld.so.conf".into(),
                b"include /etc/ld.so.conf.d/*a*a*a*a*a*a*a*a*a*a*a*a*b\n".to_vec(),
            ),
            E::File(long.into(), b"/lib/x\n".to_vec()),
        ],
        serde_json::json!({"Cmd": ["/bin/app"]}),
    );
    let c = closure_of(&image);
    assert_eq!(c["understood"], true, "{c:#}");
    assert!(c["lookups"].as_u64().unwrap() < 20, "{c:#}");
}

#[test]
fn a_script_of_thousands_of_commands_over_a_long_path_stops_at_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    let path: Vec<String> = (0..5_000).map(|i| format!("/p{i}")).collect();
    let commands: Vec<String> = (0..20_000).map(|i| format!("c{i}")).collect();
    let image = image_with(
        dir.path(),
        vec![E::FileMode("bin/sh".into(), vec![1; 100], 0o755)],
        serde_json::json!({
            "Env": [format!("PATH={}", path.join(":")), format!("LD_LIBRARY_PATH={}", path.join(":"))],
            "Cmd": ["/bin/sh", "-c", commands.join(" && ")],
        }),
    );
    let v = json_of(&run(&["--json", "--no-cache", image.to_str().unwrap()]));
    let c = &v["images"][0]["closure"];
    // 256 commands × 1,024 directories would be 262,144 lookups: the budget stops it at 200,000.
    let lookups = c["lookups"].as_u64().unwrap();
    assert!(lookups <= 200_000, "{lookups}");
    assert!(
        c["unseen"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u.as_str().unwrap().contains("MAX_LOOKUPS")),
        "{c:#}"
    );
    assert!(
        v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"] != "slim"),
        "a slim image priced on a partial closure"
    );
}

#[test]
fn an_ld_so_conf_including_a_big_directory_on_every_line_stops_at_the_budget() {
    // 100,000 lines each including a directory of 2,000 names that the glob never matches (so no
    // file is ever queued): 2×10^8 glob matches unless every include line and every name it tries
    // is charged to the closure's budget.
    let dir = tempfile::tempdir().unwrap();
    let conf = "include /etc/many/*.conf\n".repeat(100_000);
    let mut files = vec![
        E::FileMode("bin/sh".into(), vec![1; 100], 0o755),
        script("bin/app"),
        E::File("etc/ld.so.conf".into(), conf.into_bytes()),
    ];
    for i in 0..2_000 {
        let name: &'static str = Box::leak(format!("etc/many/{i}").into_boxed_str());
        files.push(E::File(name.into(), b"/lib/x\n".to_vec()));
    }
    let image = image_with(dir.path(), files, serde_json::json!({"Cmd": ["/bin/app"]}));
    let c = closure_of(&image);
    let lookups = c["lookups"].as_u64().unwrap();
    assert!((200_000..=202_001).contains(&lookups), "{lookups}");
    assert!(
        c["unseen"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u.as_str().unwrap().contains("MAX_LOOKUPS")),
        "{c:#}"
    );
}

#[test]
fn an_ld_so_conf_of_100_000_different_include_globs_compiles_few() {
    // Each line a different glob over a directory that exists: globset compiles a regex per glob,
    // and 100,000 of them took 3 s in a release build (more in this debug one). Only the first
    // 64 distinct globs are compiled; the report stands, the one real include still followed.
    let dir = tempfile::tempdir().unwrap();
    let mut conf = String::from("include /etc/ld.so.conf.d/*.conf\n");
    for i in 0..100_000 {
        conf.push_str(&format!("include /etc/ld.so.conf.d/x{i}*[ab].conf\n"));
    }
    let image = image_with(
        dir.path(),
        vec![
            E::FileMode("bin/sh".into(), vec![1; 100], 0o755),
            script("bin/app"),
            E::File("etc/ld.so.conf".into(), conf.into_bytes()),
            E::File(
                "etc/ld.so.conf.d/libc.conf".into(),
                b"/usr/local/lib\n".to_vec(),
            ),
        ],
        serde_json::json!({"Cmd": ["/bin/app"]}),
    );
    let started = std::time::Instant::now();
    let c = closure_of(&image);
    eprintln!("{} ms", started.elapsed().as_millis());
    assert_eq!(c["understood"], true, "{c:#}");
}
