//! What each image is for, read from its config and its own files: no command or a shell is a
//! `shell` image (a base, a toolbox, a builder), a program is a `service`, an interpreter running
//! a program is `interpreted` — through `sh -c` scripts, entrypoint scripts that exec their
//! arguments, wrappers such as tini, links and `#!` lines; the image's label and `--role` decide
//! over all of it. A shell image gets no slim action (checked here on an image whose closure a
//! service image would be slimmed to).

use crate::common::*;
use std::path::{Path, PathBuf};

fn archive_with_config(
    dir: &Path,
    tag: &str,
    layers: &[BuiltLayer],
    config: serde_json::Value,
) -> PathBuf {
    let mut doc =
        serde_json::from_slice::<serde_json::Value>(&config_json(layers, "amd64")).unwrap();
    doc["config"] = config;
    let config = serde_json::to_vec(&doc).unwrap();
    let config_name = format!("{}.json", hex_of(&sha256(&config)));
    let mut files: Files = Vec::new();
    let mut paths = Vec::new();
    for l in layers {
        let p = format!("{}/layer.tar", hex_of(&l.diff_id));
        files.push((p.clone(), l.blob.clone()));
        paths.push(p);
    }
    files.push((config_name.clone(), config));
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(
            &serde_json::json!([{"Config": config_name, "RepoTags": [tag], "Layers": paths}]),
        )
        .unwrap(),
    ));
    let path = dir.join(format!("{}.tar", tag.replace(['/', ':'], "_")));
    write_tar(&path, &files);
    path
}

fn rootfs() -> BuiltLayer {
    let script = |s: &str| s.as_bytes().to_vec();
    layer(
        &[
            E::FileMode("bin/sh".into(), vec![7; 1000], 0o755),
            E::FileMode(
                "usr/bin/app".into(),
                script("#!/bin/sh\necho serving\n"),
                0o755,
            ),
            E::FileMode("usr/bin/tini".into(), vec![9; 500], 0o755),
            E::FileMode("usr/bin/python3.11".into(), vec![3; 3000], 0o755),
            E::Symlink("usr/bin/python3", "python3.11"),
            E::FileMode(
                "docker-entrypoint.sh".into(),
                script("#!/bin/sh\nset -e\nexec \"$@\"\n"),
                0o755,
            ),
            E::FileMode(
                "usr/local/bin/run.py".into(),
                script("#!/usr/bin/env python3\nprint('hi')\n"),
                0o755,
            ),
            E::File("app/main.py".into(), script("print('app')\n")),
        ],
        Comp::None,
        "ADD rootfs /",
    )
}

#[test]
fn roles_come_from_what_the_command_runs() {
    let dir = tempfile::tempdir().unwrap();
    let l = rootfs();
    let env = serde_json::json!(["PATH=/usr/local/bin:/usr/bin:/bin"]);
    let cases: Vec<(&str, serde_json::Value, &str)> = vec![
        ("none", serde_json::json!({"Env": env}), "shell"),
        (
            "sh",
            serde_json::json!({"Env": env, "Cmd": ["/bin/sh"]}),
            "shell",
        ),
        (
            "sh-c",
            serde_json::json!({"Env": env, "Cmd": ["sh", "-c", "cd /app && exec /usr/bin/app --port 1"]}),
            "service",
        ),
        (
            "python-app",
            serde_json::json!({"Env": env, "Cmd": ["python3", "/app/main.py"]}),
            "interpreted",
        ),
        (
            "python-prompt",
            serde_json::json!({"Env": env, "Cmd": ["python3"]}),
            "shell",
        ),
        (
            "entrypoint-app",
            serde_json::json!({"Env": env, "Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["app"]}),
            "service",
        ),
        (
            "entrypoint-bash",
            serde_json::json!({"Env": env, "Entrypoint": ["/docker-entrypoint.sh"], "Cmd": ["bash"]}),
            "shell",
        ),
        (
            "shebang-python",
            serde_json::json!({"Env": env, "Cmd": ["/usr/local/bin/run.py"]}),
            "interpreted",
        ),
        (
            "tini",
            serde_json::json!({"Env": env, "Entrypoint": ["tini", "--"], "Cmd": ["/usr/bin/app"]}),
            "service",
        ),
        (
            "labelled",
            serde_json::json!({"Env": env, "Cmd": ["/bin/sh"], "Labels": {"org.imgscope.role": "service"}}),
            "service",
        ),
    ];
    let paths: Vec<String> = cases
        .iter()
        .map(|(name, config, _)| {
            archive_with_config(
                dir.path(),
                &format!("roles/{name}:1"),
                std::slice::from_ref(&l),
                config.clone(),
            )
            .display()
            .to_string()
        })
        .collect();
    let mut args = vec!["--json", "--no-cache"];
    args.extend(paths.iter().map(String::as_str));
    let v = json_of(&run(&args));
    let images = v["images"].as_array().unwrap();
    for ((name, _, want), image) in cases.iter().zip(images) {
        assert_eq!(image["role"], *want, "{name}: {}", image["role_why"]);
        assert!(!image["role_why"].as_str().unwrap().is_empty(), "{name}");
    }
    // A shell image is never told to slim down; the same files run as a service are.
    let slim_for = |name: &str| {
        v["plan"].as_array().unwrap().iter().any(|a| {
            a["action"] == "slim"
                && a["images"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|i| i.as_str().unwrap().contains(&format!("roles/{name}:1")))
        })
    };
    for (name, _, want) in &cases {
        if *want == "shell" {
            assert!(
                !slim_for(name),
                "{name} is a shell image and got a slim action"
            );
        }
    }

    // --role decides over the command and the label; a bad one is refused in one line.
    let sh_c = &paths[2];
    let v = json_of(&run(&[
        "--json",
        "--no-cache",
        "--role",
        "roles/sh-c:1=shell",
        sh_c,
    ]));
    assert_eq!(v["images"][0]["role"], "shell");
    assert_eq!(v["images"][0]["role_why"], "set with --role");
    let v = json_of(&run(&[
        "--json",
        "--no-cache",
        "--role",
        &format!("{}=interpreted", paths[0]),
        &paths[0],
    ]));
    assert_eq!(v["images"][0]["role"], "interpreted");
    for bad in ["roles/sh-c:1=database", "no-equals-sign", "=shell"] {
        let out = run(&["--json", "--role", bad, sh_c]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{bad}: {err}");
        assert!(err.contains("--role"), "{bad}: {err}");
    }
}

#[test]
fn slim_bad_outputs_are_one_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let image = archive_with_config(
        dir.path(),
        "roles/svc:1",
        &[rootfs()],
        serde_json::json!({"Cmd": ["/usr/bin/app"]}),
    );
    let image = image.display().to_string();
    // Not an oci: output.
    let out = run(&["slim", &image, "-o", "/tmp/x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("oci:DIR"));
    // A directory that holds something else is not written into.
    let busy = dir.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "mine").unwrap();
    let out = run(&["slim", &image, "-o", &format!("oci:{}", busy.display())]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("neither empty nor an OCI layout"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&busy).unwrap().collect();
    assert_eq!(left.len(), 1, "slim wrote into a foreign directory");
    // A bad tag is refused and creates nothing.
    let fresh = dir.path().join("fresh");
    let out = run(&[
        "slim",
        &image,
        "-o",
        &format!("oci:{}:bad tag!", fresh.display()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(!fresh.exists());
    // Neither -o nor --list: clap's usage error.
    let out = run(&["slim", &image]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn slim_writes_an_oci_layout_imgscope_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let image = archive_with_config(
        dir.path(),
        "roles/svc:1",
        &[rootfs()],
        serde_json::json!({"Cmd": ["/usr/bin/app", "--port", "1"], "Env": ["PATH=/usr/bin"], "WorkingDir": "/app", "User": "1000", "ExposedPorts": {"80/tcp": {}}, "Labels": {"a": "b"}}),
    );
    let image = image.display().to_string();
    let layout = dir.path().join("layout");
    let out = run(&[
        "slim",
        &image,
        "-o",
        &format!("oci:{}:v1", layout.display()),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The kept paths, listed: the program and the application's tree; not the interpreter.
    let out = run(&["slim", &image, "--list"]);
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(list.lines().any(|l| l == "/usr/bin/app"), "{list}");
    assert!(list.lines().any(|l| l == "/app/main.py"), "{list}");
    assert!(!list.contains("python3.11"), "{list}");
    // Read back: one layer holding exactly those files, and the original's runtime settings.
    let v = json_of(&run(&[
        "--json",
        "--no-cache",
        &format!("oci:{}:v1", layout.display()),
    ]));
    let img = &v["images"][0];
    assert_eq!(img["layer_count"], 1);
    assert_eq!(
        img["layers"][0]["diff_id_verified"], true,
        "{:#}",
        img["layers"][0]
    );
    let cfg = &img["config"];
    assert_eq!(
        cfg["cmd"],
        serde_json::json!(["/usr/bin/app", "--port", "1"])
    );
    assert_eq!(cfg["working_dir"], "/app");
    assert_eq!(cfg["user"], "1000");
    // Every listed path (files and links) is in the written image, and nothing else is.
    assert_eq!(img["file_count"], list.lines().count() as u64, "{list}");
    assert_eq!(img["role"], "service");
    assert_eq!(v["plan"].as_array().unwrap().len(), 0, "{:#}", v["plan"]);
}
