//! Packages and the runtime closure, end to end. A constructed dpkg database pins the attribution
//! exactly: a file listed by two packages (counted once, for the first), a file reached through a
//! symlinked directory (`/lib` → `usr/lib`), a diverted file, a package upgraded in a later layer
//! (its old copy reclaimable), docs inside a package (trim bytes), unowned files, and a broken
//! database refused with the rest of the report intact. The closure of a real program of this
//! machine (`/usr/bin/ls` with the libraries `ldd` names) is checked against `ldd` itself.

use crate::common::*;
use serde_json::Value;

fn status(packages: &[(&str, &str, Option<&str>)]) -> Vec<u8> {
    let mut out = String::new();
    for (name, version, arch) in packages {
        out.push_str(&format!(
            "Package: {name}\nStatus: install ok installed\nPriority: optional\nVersion: {version}\n"
        ));
        if let Some(a) = arch {
            out.push_str(&format!("Architecture: {a}\n"));
        }
        out.push_str("Installed-Size: 4\nDescription: a package\n folded line\n\n");
    }
    out.into_bytes()
}

fn text(path: &str, body: &str) -> E {
    E::File(path.to_string(), body.as_bytes().to_vec())
}

fn archive(dir: &std::path::Path, tag: &str, layers: &[&BuiltLayer], cmd: &[&str]) -> String {
    let owned: Vec<BuiltLayer> = layers.iter().map(|l| (*l).clone()).collect();
    let p = dir.join(format!("{}.tar", tag.replace(['/', ':'], "_")));
    write_tar(&p, &docker_archive_files_cmd(&[(tag, &owned, cmd)]));
    p.display().to_string()
}

fn image_json(path: &str) -> Value {
    let out = run(&["--json", "--no-cache", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_of(&out)["images"][0].clone()
}

fn package<'a>(img: &'a Value, name: &str) -> &'a Value {
    img["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name}: {:#}", img["packages"]))
}

#[test]
fn dpkg_attribution_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    for comp in [Comp::None, Comp::Gzip] {
        let base = layer(
            &[
                E::Symlink("lib", "usr/lib"),
                file("usr/lib/libfoo.so.1", 3_000, 1),
                file("usr/share/doc/libfoo/copyright", 500, 2),
                file("usr/lib/libshared.so", 700, 3),
                file("usr/bin/tool.real", 1_000, 4),
                file("usr/bin/tool", 50, 5),
                file("app/data", 400, 6),
                E::File(
                    "var/lib/dpkg/status".into(),
                    status(&[
                        ("libfoo", "1.0", Some("amd64")),
                        ("tool", "2.0", None),
                        ("wrapper", "1", None),
                    ]),
                ),
                text(
                    "var/lib/dpkg/info/libfoo:amd64.list",
                    "/.\n/usr\n/usr/lib\n/usr/lib/libfoo.so.1\n/usr/share/doc/libfoo/copyright\n/lib/libshared.so\n",
                ),
                text(
                    "var/lib/dpkg/info/tool.list",
                    "/usr/bin/tool\n/usr/lib/libshared.so\n",
                ),
                text("var/lib/dpkg/info/wrapper.list", "/usr/bin/tool\n"),
                text(
                    "var/lib/dpkg/diversions",
                    "/usr/bin/tool\n/usr/bin/tool.real\nwrapper\n",
                ),
            ],
            comp,
            "ADD rootfs /",
        );
        // The upgrade rewrites the library and the status.
        let upgrade = layer(
            &[
                file("usr/lib/libfoo.so.1", 3_200, 7),
                E::File(
                    "var/lib/dpkg/status".into(),
                    status(&[
                        ("libfoo", "1.1", Some("amd64")),
                        ("tool", "2.0", None),
                        ("wrapper", "1", None),
                    ]),
                ),
            ],
            comp,
            "RUN apt-get upgrade",
        );
        let path = archive(
            dir.path(),
            &format!("pkg/{comp:?}:1").to_lowercase(),
            &[&base, &upgrade],
            &["/usr/bin/tool"],
        );
        // The diff names the upgrade with its byte delta (the library grew by 200 bytes).
        let before = archive(
            dir.path(),
            &format!("pkg/{comp:?}-before:1").to_lowercase(),
            &[&base],
            &["/usr/bin/tool"],
        );
        let out = run(&["diff", "--json", &before, &path]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let d = json_of(&out);
        assert_eq!(d["diff"]["package_change_count"], 1);
        let p = &d["diff"]["packages"][0];
        assert_eq!(
            (p["name"].as_str(), p["change"].as_str()),
            (Some("libfoo"), Some("upgraded"))
        );
        assert_eq!(
            (p["old_version"].as_str(), p["new_version"].as_str()),
            (Some("1.0"), Some("1.1"))
        );
        assert_eq!(p["bytes"]["delta_bytes"], 200);
        let text = run(&["diff", "--text", &before, &path]);
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("upgraded        +200 B  libfoo 1.0 → 1.1"),
            "{text}"
        );
        let md = run(&["diff", "--format", "markdown", &before, &path]);
        let md = String::from_utf8_lossy(&md.stdout);
        assert!(
            md.contains("### Packages")
                && md.contains("| upgraded | `libfoo` | `1.0` → `1.1` | +200 B |"),
            "{md}"
        );

        let img = image_json(&path);
        let names: Vec<&str> = img["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["libfoo", "tool", "wrapper"], "{comp:?}");
        let libfoo = package(&img, "libfoo");
        assert_eq!(libfoo["version"], "1.1");
        assert_eq!(libfoo["architecture"], "amd64");
        // The library (its new copy), its docs, and the file tool lists too (libfoo lists it
        // first, through the /lib symlink).
        assert_eq!(libfoo["bytes"], 3_200 + 500 + 700);
        assert_eq!(libfoo["files"], 3);
        assert_eq!(libfoo["layer"], 0);
        assert_eq!(libfoo["changed_in_layers"], serde_json::json!([1]));
        assert_eq!(libfoo["reclaimable_bytes"], 3_000);
        assert_eq!(libfoo["trim_bytes"], 500);
        assert_eq!(libfoo["installed_size_bytes"], 4 * 1024);
        // tool's /usr/bin/tool was diverted to tool.real by wrapper.
        let tool = package(&img, "tool");
        assert_eq!(
            (tool["bytes"].clone(), tool["files"].clone()),
            (1_000.into(), 1.into())
        );
        let wrapper = package(&img, "wrapper");
        assert_eq!(wrapper["bytes"], 50);
        let summary = &img["package_summary"];
        assert_eq!(summary["managers"], serde_json::json!(["dpkg"]));
        assert_eq!(summary["package_count"], 3);
        assert_eq!(summary["owned_bytes"], 4_400 + 1_000 + 50);
        // Unowned: the application's file and the database's own files.
        let db_files: u64 = [
            "var/lib/dpkg/info/libfoo:amd64.list",
            "var/lib/dpkg/info/tool.list",
        ]
        .len() as u64
            + 3; // wrapper.list, diversions, status
        assert_eq!(summary["unowned_files"], 1 + db_files);
        // Every visible byte is owned or not: the image less what later layers hide (the old
        // library and the old status).
        let total = img["size_bytes"].as_u64().unwrap()
            - img["waste"]["reclaimable_bytes"].as_u64().unwrap();
        assert_eq!(
            summary["unowned_bytes"].as_u64().unwrap() + summary["owned_bytes"].as_u64().unwrap(),
            total
        );
        assert_eq!(summary["problems"], serde_json::json!([]));
    }
}

#[test]
fn an_apk_database_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[
            file("lib/libz.so.1.3", 90_000, 1),
            file("bin/busybox", 800_000, 2),
            text(
                "lib/apk/db/installed",
                "C:Q1abc=\nP:zlib\nV:1.3-r0\nA:x86_64\nI:100000\no:zlib\nF:lib\nR:libz.so.1.3\n\nP:busybox\nV:1.36\nA:x86_64\nF:bin\nR:busybox\n\n",
            ),
        ],
        Comp::Gzip,
        "ADD alpine /",
    );
    let path = archive(dir.path(), "apk/x:1", &[&base], &["/bin/busybox"]);
    let img = image_json(&path);
    assert_eq!(
        img["package_summary"]["managers"],
        serde_json::json!(["apk"])
    );
    let busybox = package(&img, "busybox");
    assert_eq!(
        (busybox["bytes"].clone(), busybox["manager"].clone()),
        (800_000.into(), "apk".into())
    );
    let zlib = package(&img, "zlib");
    assert_eq!(zlib["bytes"], 90_000);
    assert_eq!(zlib["installed_size_bytes"], 100_000);
    assert_eq!(zlib["source"], "zlib");
}

#[test]
fn a_broken_database_is_refused_and_the_report_stands() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[
            file("usr/bin/app", 1_000, 1),
            text(
                "var/lib/dpkg/status",
                "Package: ok\nthis line has no colon\n",
            ),
        ],
        Comp::None,
        "ADD rootfs /",
    );
    let path = archive(dir.path(), "broken/x:1", &[&base], &["/usr/bin/app"]);
    let img = image_json(&path);
    assert_eq!(img["packages"], serde_json::json!([]));
    let problems = img["package_summary"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .as_str()
            .unwrap()
            .starts_with("/var/lib/dpkg/status: line 2"),
        "{problems:?}"
    );
    assert_eq!(img["size_bytes"], 1_000 + 35);
    // The text report says so in one line and goes on.
    let out = run(&["--text", "--no-cache", &path]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("unreadable database: /var/lib/dpkg/status: line 2"),
        "{text}"
    );
}

/// `ldd PROGRAM`: the interpreter and the libraries, as host paths.
fn ldd(program: &str) -> Option<Vec<String>> {
    let out = std::process::Command::new("ldd")
        .arg(program)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut paths = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let path = match line.split_once("=>") {
            Some((_, rest)) => rest.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            paths.push(p.to_string());
        }
    }
    Some(paths)
}

#[test]
fn the_closure_of_a_real_program_is_what_ldd_says() {
    let program = "/usr/bin/ls";
    let Some(libs) = ldd(program) else {
        assert!(
            std::env::var("CI").is_err(),
            "ldd is missing: it comes with libc-bin on every Debian machine"
        );
        eprintln!("SKIPPED: no ldd on this machine");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Every file at its real path under a merged /usr, reached through the links the loader uses.
    let mut entries = vec![
        E::Symlink("lib", "usr/lib"),
        E::Symlink("lib64", "usr/lib64"),
        E::Symlink("bin", "usr/bin"),
        text("etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n"),
        text(
            "etc/ld.so.conf.d/x86_64-linux-gnu.conf",
            "# multiarch\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n",
        ),
        // A library nothing needs.
        file("usr/lib/x86_64-linux-gnu/libunused.so.1", 1 << 20, 9),
    ];
    let mut expected: Vec<String> = Vec::new();
    let mut expected_bytes = 0u64;
    for host in std::iter::once(program.to_string()).chain(libs) {
        let real = std::fs::canonicalize(&host).unwrap();
        let bytes = std::fs::read(&real).unwrap();
        let inside = real.to_str().unwrap().trim_start_matches('/').to_string();
        // A library's soname is a link to the versioned file (libpcre2-8.so.0 → …so.0.11.2).
        let dir = std::fs::canonicalize(std::path::Path::new(&host).parent().unwrap()).unwrap();
        let link_name = std::path::Path::new(&host).file_name().unwrap();
        if link_name != real.file_name().unwrap() && !host.contains("ld-linux") {
            let link = dir.join(link_name);
            let link: &'static str = Box::leak(
                link.to_str()
                    .unwrap()
                    .trim_start_matches('/')
                    .to_string()
                    .into(),
            );
            let target: &'static str = Box::leak(
                real.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_string()
                    .into(),
            );
            entries.push(E::Symlink(link, target));
        }
        if expected.contains(&format!("/{inside}")) {
            continue;
        }
        expected_bytes += bytes.len() as u64;
        expected.push(format!("/{inside}"));
        entries.push(E::FileMode(inside, bytes, 0o755));
    }
    // The interpreter as PT_INTERP names it: /lib64/ld-linux-x86-64.so.2 → usr/lib64/… → the file.
    entries.push(E::Symlink(
        "usr/lib64/ld-linux-x86-64.so.2",
        "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
    ));
    expected.sort();
    for comp in [Comp::None, Comp::Gzip] {
        let l = layer(&entries, comp, "ADD rootfs /");
        let path = archive(
            dir.path(),
            &format!("closure/{comp:?}:1").to_lowercase(),
            &[&l],
            &["ls", "-l"],
        );
        let img = image_json(&path);
        let closure = &img["closure"];
        assert_eq!(closure["entrypoint"], "/usr/bin/ls", "{closure:#}");
        let mut files: Vec<String> = closure["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_string())
            .collect();
        files.sort();
        assert_eq!(files, expected, "{comp:?}: {closure:#}");
        assert_eq!(closure["bytes"], expected_bytes);
        assert_eq!(closure["unresolved"], serde_json::json!([]));
        assert!(
            closure["unseen"][0].as_str().unwrap().contains("dlopen"),
            "{closure:#}"
        );
        // The plan prices a slim image on what it needs to run (the conservative set, here the
        // closure and the files around it), the static closure's saving beside it.
        let out = run(&["--json", "--no-cache", &path]);
        let v = json_of(&out);
        let slim = v["plan"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["action"] == "slim")
            .unwrap_or_else(|| panic!("no slim action: {:#}", v["plan"]));
        let size = img["size_bytes"].as_u64().unwrap();
        let kept = slim["detail"]["kept_bytes"].as_u64().unwrap();
        // The closure, the loader's configuration, not the unused 1 MiB library.
        assert!(
            kept >= expected_bytes && kept < expected_bytes + 1024,
            "{slim:#}"
        );
        assert_eq!(slim["node_saving_bytes"], size - kept);
        assert_eq!(
            slim["detail"]["static_node_saving_bytes"],
            size - expected_bytes
        );
        assert_eq!(slim["detail"]["closure_bytes"], expected_bytes);
        assert_eq!(slim["risk"], "risky");
        assert_eq!(slim["detail"]["readd_bytes"], 0);
    }
}

#[test]
fn packages_installed_in_separate_layers_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = |extra: u8| {
        layer(
            &[
                file("usr/lib/libbig.so.1", 9_000, 1),
                file("etc/hostname", 10, extra),
                E::File(
                    "var/lib/dpkg/status".into(),
                    status(&[("libbig", "3.0", Some("amd64"))]),
                ),
                text(
                    "var/lib/dpkg/info/libbig:amd64.list",
                    "/usr/lib/libbig.so.1\n",
                ),
            ],
            Comp::None,
            "ADD rootfs /",
        )
    };
    let (one, two) = (db(2), db(3));
    let a = archive(dir.path(), "sep/a:1", &[&one], &["/bin/sh"]);
    let b = archive(dir.path(), "sep/b:1", &[&two], &["/bin/sh"]);
    let out = run(&["--json", "--no-cache", &a, &b]);
    assert!(out.status.success());
    let v = json_of(&out);
    let s = &v["sharing"];
    assert_eq!(s["shared_package_count"], 1);
    let p = &s["shared_packages"][0];
    assert_eq!(p["name"], "libbig");
    assert_eq!(p["images"], serde_json::json!([0, 1]));
    assert_eq!(p["layers"], serde_json::json!([0, 1]));
    assert_eq!(p["bytes"], 9_000);
    assert_eq!(p["stored_extra_bytes"], 9_000);
    let text = run(&["--text", "--no-cache", &a, &b]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("libbig 3.0: 8.8 KiB in 2 of 2 images, in 2 layers they do not share (8.8 KiB stored again)"),
        "{text}"
    );
}

#[test]
fn python_and_npm_packages_own_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let record = "requests/__init__.py,sha256=x,100\nrequests/api.py,,200\nrequests-2.31.0.dist-info/RECORD,,\n../../../bin/req,sha256=y,50\n";
    let a_json = r#"{"name": "a", "version": "1.0.0"}"#;
    let b_json = r#"{"name": "b", "version": "2.0.0"}"#;
    let base = layer(
        &[
            file(
                "usr/lib/python3.11/site-packages/requests/__init__.py",
                100,
                1,
            ),
            file("usr/lib/python3.11/site-packages/requests/api.py", 200, 2),
            text(
                "usr/lib/python3.11/site-packages/requests-2.31.0.dist-info/RECORD",
                record,
            ),
            file("usr/bin/req", 50, 3),
            text("app/node_modules/a/package.json", a_json),
            file("app/node_modules/a/index.js", 300, 4),
            text("app/node_modules/a/node_modules/b/package.json", b_json),
            file("app/node_modules/a/node_modules/b/index.js", 400, 5),
            file("app/main.js", 10, 6),
        ],
        Comp::Gzip,
        "COPY . /",
    );
    let path = archive(dir.path(), "lang/x:1", &[&base], &["/bin/sh"]);
    let img = image_json(&path);
    let requests = package(&img, "requests");
    assert_eq!(requests["manager"], "python");
    assert_eq!(requests["version"], "2.31.0");
    assert_eq!(requests["files"], 4);
    assert_eq!(requests["bytes"], 350 + record.len() as u64);
    let a = package(&img, "a");
    assert_eq!(
        (a["manager"].as_str(), a["version"].as_str()),
        (Some("npm"), Some("1.0.0"))
    );
    assert_eq!(a["bytes"], 300 + a_json.len() as u64);
    let b = package(&img, "b");
    assert_eq!(b["bytes"], 400 + b_json.len() as u64);
    assert_eq!(
        img["package_summary"]["managers"],
        serde_json::json!(["python", "npm"])
    );
    assert_eq!(img["package_summary"]["unowned_bytes"], 10);
}

#[test]
fn the_viewer_shows_a_package_and_the_closure_as_filters() {
    use imgscope::tui::action::Action;
    use imgscope::tui::app::App;
    use imgscope::tui::plan_state::Row;
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[
            file("usr/lib/libfoo.so.1", 3_000, 1),
            file("usr/share/doc/libfoo/copyright", 500, 2),
            E::FileMode("usr/bin/tool".into(), vec![7; 50], 0o755),
            file("app/data", 400, 6),
            E::File(
                "var/lib/dpkg/status".into(),
                status(&[("libfoo", "1.0", None), ("tool", "2.0", None)]),
            ),
            text(
                "var/lib/dpkg/info/libfoo.list",
                "/usr/lib/libfoo.so.1\n/usr/share/doc/libfoo/copyright\n",
            ),
            text("var/lib/dpkg/info/tool.list", "/usr/bin/tool\n"),
        ],
        Comp::Gzip,
        "ADD rootfs /",
    );
    let path = archive(dir.path(), "tui/pkg:1", &[&base], &["/usr/bin/tool"]);
    let loaded = imgscope::pipeline::load::load(
        &path,
        &imgscope::pipeline::load::LoadOptions::default(),
        &imgscope::pipeline::load::Progress::default(),
    )
    .unwrap();
    let mut app = App::with_results(vec![(path.clone(), Ok(loaded))], true);
    app.update(Action::Resize {
        width: 120,
        height: 40,
    });
    let filtered = |app: &App| -> Vec<String> {
        let v = app.viewer().unwrap();
        let tree = v.file_tree();
        v.filter.matched().iter().map(|&n| tree.path(n)).collect()
    };
    // The plan view lists the image's packages, biggest first; p sorts them, the cursor stays.
    app.update(Action::ToggleSharing);
    let order = |app: &App| -> Vec<String> {
        let s = app.sharing.as_ref().unwrap();
        s.rows
            .iter()
            .filter_map(|r| match r {
                Row::Package(k) => Some(s.packages[*k as usize].name.clone()),
                _ => None,
            })
            .collect()
    };
    // libfoo 3.4 KiB, tool 50 B.
    assert_eq!(order(&app), ["libfoo", "tool"]);
    {
        let s = app.sharing.as_mut().unwrap();
        s.home();
        while !matches!(s.selected(), Some(Row::Package(_))) {
            s.move_by(1);
        }
    }
    let selected = app.sharing.as_ref().unwrap().selected();
    for label in ["trim candidates", "reclaimable", "name", "bytes"] {
        app.update(Action::PackageSort);
        let s = app.sharing.as_ref().unwrap();
        assert_eq!(s.package_sort_label(), label);
        assert_eq!(s.selected(), selected, "{label}");
    }
    let s = app.sharing.as_mut().unwrap();
    let k = s.packages.iter().position(|c| c.name == "libfoo").unwrap();
    s.home();
    while s.selected() != Some(Row::Package(k as u32)) {
        s.move_by(1);
    }
    app.update(Action::Activate);
    assert!(app.viewer().unwrap().filter.is_node_set());
    assert_eq!(
        filtered(&app),
        ["/usr/lib/libfoo.so.1", "/usr/share/doc/libfoo/copyright"]
    );
    // E: what the entrypoint needs, then everything else, then all.
    app.update(Action::CycleClosure);
    assert_eq!(filtered(&app), ["/usr/bin/tool"]);
    app.update(Action::CycleClosure);
    let rest = filtered(&app);
    assert!(!rest.contains(&"/usr/bin/tool".to_string()), "{rest:?}");
    assert!(rest.contains(&"/app/data".to_string()), "{rest:?}");
    app.update(Action::CycleClosure);
    assert!(!app.viewer().unwrap().filter.is_active());
}

#[test]
fn an_rpm_sqlite_database_is_read() {
    // A real rpmdb.sqlite made by Debian's rpm 4.18 (see crates/imgscope-core/src/packages/rpm.rs's tests).
    let db = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rpmdb.sqlite"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[
            file("etc/tinylib/tinylib.conf", 10, 1),
            E::FileMode("usr/bin/hello".into(), vec![2; 20], 0o755),
            file("usr/share/hello/data.txt", 6, 3),
            file("usr/share/hello/sub/deep.txt", 5, 4),
            file("app/unowned", 100, 5),
            E::File("var/lib/rpm/rpmdb.sqlite".into(), db.clone()),
        ],
        Comp::Gzip,
        "ADD ubi /",
    );
    let path = archive(dir.path(), "rpm/x:1", &[&base], &["/usr/bin/hello"]);
    let img = image_json(&path);
    assert_eq!(
        img["package_summary"]["managers"],
        serde_json::json!(["rpm"])
    );
    let hello = package(&img, "hello");
    assert_eq!(hello["version"], "2:1.0-3");
    assert_eq!(hello["architecture"], "x86_64");
    assert_eq!(hello["source"], "hello-1.0-3.src.rpm");
    assert_eq!(
        (hello["files"].clone(), hello["bytes"].clone()),
        (3.into(), 31.into())
    );
    let tinylib = package(&img, "tinylib");
    assert_eq!(tinylib["bytes"], 10);
    assert_eq!(
        img["package_summary"]["unowned_bytes"],
        100 + db.len() as u64
    );
    // A damaged database is one problem line; the rest of the report stands.
    let mut bad = db;
    bad[..16].copy_from_slice(b"not an sqlite db");
    let broken = layer(
        &[E::File("var/lib/rpm/rpmdb.sqlite".into(), bad)],
        Comp::None,
        "ADD bad /",
    );
    let path = archive(dir.path(), "rpm/bad:1", &[&broken], &["/bin/sh"]);
    let img = image_json(&path);
    let problems = img["package_summary"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .as_str()
            .unwrap()
            .starts_with("/var/lib/rpm/rpmdb.sqlite: "),
        "{problems:?}"
    );
}

#[test]
fn the_closure_takes_the_programs_own_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let base = layer(
        &[
            E::FileMode(
                "usr/bin/server".into(),
                b"#!/bin/sh\nexec true\n".to_vec(),
                0o755,
            ),
            E::FileMode("bin/sh".into(), vec![9; 300], 0o755),
            file("etc/server/server.conf", 120, 1),
            file("etc/other.conf", 70, 2),
            file("usr/share/doc/server/README", 900, 3),
            E::File(
                "var/lib/dpkg/status".into(),
                status(&[("server", "1.0", None)]),
            ),
            text(
                "var/lib/dpkg/info/server.list",
                "/usr/bin/server\n/etc/server/server.conf\n/usr/share/doc/server/README\n",
            ),
        ],
        Comp::Gzip,
        "ADD rootfs /",
    );
    let path = archive(dir.path(), "conf/x:1", &[&base], &["server"]);
    let img = image_json(&path);
    let closure = &img["closure"];
    let files: Vec<&str> = closure["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    // The script, its #! interpreter, and the package's file under /etc — not its docs, not
    // another package's configuration.
    assert_eq!(
        files,
        ["/usr/bin/server", "/bin/sh", "/etc/server/server.conf"]
    );
    assert_eq!(closure["understood"], true);
    assert_eq!(closure["packages"], serde_json::json!(["server"]));
}

#[test]
fn many_unreadable_package_json_files_are_summarized_after_a_few() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = vec![
        file("usr/bin/app", 1_000, 1),
        text(
            "app/node_modules/good/package.json",
            r#"{"name": "good", "version": "1.0.0"}"#,
        ),
    ];
    for i in 0..200 {
        entries.push(text(
            &format!("app/node_modules/p{i}/package.json"),
            "{ not json",
        ));
    }
    let base = layer(&entries, Comp::Gzip, "COPY . /");
    let path = archive(dir.path(), "npmbad/x:1", &[&base], &["/usr/bin/app"]);
    let img = image_json(&path);
    // The readable one is still there.
    assert_eq!(package(&img, "good")["manager"], "npm");
    let problems = img["package_summary"]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 6, "{problems:?}");
    for p in &problems[..5] {
        assert!(p.as_str().unwrap().contains("package.json"), "{problems:?}");
    }
    assert_eq!(
        problems[5].as_str().unwrap(),
        "… and 195 more unreadable Python/npm records",
        "{problems:?}"
    );
}

#[test]
fn the_viewer_s_details_name_a_file_s_package_or_say_that_none_owns_it() {
    use imgscope::tui::action::Action;
    use imgscope::tui::app::App;
    let dir = tempfile::tempdir().unwrap();
    let with_dpkg = layer(
        &[
            E::FileMode("usr/bin/tool".into(), vec![7; 50], 0o755),
            file("app/data", 400, 6),
            E::File(
                "var/lib/dpkg/status".into(),
                status(&[("tool", "2.0", None)]),
            ),
            text("var/lib/dpkg/info/tool.list", "/usr/bin/tool\n"),
        ],
        Comp::Gzip,
        "ADD rootfs /",
    );
    let bare = layer(&[file("app/data", 400, 6)], Comp::Gzip, "ADD rootfs /");
    let details = |name: &str, built: &BuiltLayer, path: &str| -> String {
        let archive = archive(dir.path(), name, &[built], &["/usr/bin/tool"]);
        let loaded = imgscope::pipeline::load::load(
            &archive,
            &imgscope::pipeline::load::LoadOptions::default(),
            &imgscope::pipeline::load::Progress::default(),
        )
        .unwrap();
        let mut app = App::with_results(vec![(archive.clone(), Ok(loaded))], false);
        app.update(Action::Resize {
            width: 160,
            height: 50,
        });
        let v = app.viewer_mut().unwrap();
        let node = v.file_tree().lookup(path).unwrap();
        assert_eq!(
            v.reveal(imgscope::tui::waste_list::Target { node, layer: None }),
            None
        );
        app.update(Action::FocusNext);
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 50)).unwrap();
        term.draw(|f| imgscope::tui::views::draw(f, &app)).unwrap();
        let buf = term.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    + "\n"
            })
            .collect()
    };
    let screen = details("tui/pkgs:1", &with_dpkg, "/usr/bin/tool");
    assert!(screen.contains("package     tool 2.0 (dpkg"), "{screen}");
    assert!(screen.contains("Layer 0 (the only one)"), "{screen}");
    let screen = details("tui/pkgs:2", &with_dpkg, "/app/data");
    assert!(
        screen.contains("package     no package: no dpkg package owns it"),
        "{screen}"
    );
    let screen = details("tui/bare:1", &bare, "/app/data");
    assert!(
        screen.contains("package     none (no package database)"),
        "{screen}"
    );
}
