//! Advice checked on realistic images built from Debian's packages by `scripts/realistic-images`
//! (a minbase bookworm base, redis and postgres on it, a python app, a builder with compilers; the
//! test command builds them into `$IMGSCOPE_REALISTIC`): a builder and a base are `shell` images
//! and get no slim and no toolchain trim but keep their safe cache trims; redis and postgres are
//! `service` images whose slim image, written by `imgscope slim`, really runs its service in a
//! chroot — redis answers `PING`, postgres' `initdb` succeeds and `postgres --single` answers
//! `SELECT 1`. The same runs on the static closure alone show why the conservative bound exists.
//! Without the set, umoci or root the tests skip loudly, and fail under CI=true.

use crate::common::services::{free_port, require};
use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The realistic set's directory, or None after a loud skip (a panic under CI=true).
fn realistic_set(needs_root: bool) -> Option<PathBuf> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let dir = PathBuf::from(
        std::env::var("IMGSCOPE_REALISTIC")
            .unwrap_or_else(|_| "/var/tmp/imgscope-realistic".into()),
    );
    let missing: Vec<&str> = ["base", "builder", "redis", "postgres", "app-python"]
        .into_iter()
        .filter(|n| !dir.join(format!("{n}.tar")).is_file())
        .collect();
    if !missing.is_empty() {
        assert!(
            !ci,
            "the realistic set is missing from {} ({missing:?}), and CI=true: scripts/test builds it with scripts/realistic-images",
            dir.display()
        );
        eprintln!(
            "SKIPPED: no realistic set in {} (run scripts/realistic-images DIR and set IMGSCOPE_REALISTIC=DIR)",
            dir.display()
        );
        return None;
    }
    if needs_root {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if !root {
            assert!(!ci, "chroot needs root, and CI=true: these tests must run");
            eprintln!("SKIPPED: running a slim image in a chroot needs root");
            return None;
        }
        require("umoci")?;
    }
    Some(dir)
}

fn report(dir: &Path, names: &[&str]) -> serde_json::Value {
    let paths: Vec<String> = names
        .iter()
        .map(|n| dir.join(format!("{n}.tar")).display().to_string())
        .collect();
    let mut args = vec!["--json", "--worth", "0"];
    args.extend(paths.iter().map(String::as_str));
    json_of(&run(&args))
}

fn actions_of<'a>(report: &'a serde_json::Value, image: &str) -> Vec<&'a serde_json::Value> {
    report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["images"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i.as_str().unwrap().contains(image))
        })
        .collect()
}

fn categories(action: &serde_json::Value) -> Vec<&str> {
    action["detail"]["categories"]
        .as_array()
        .map(|c| c.iter().map(|c| c["category"].as_str().unwrap()).collect())
        .unwrap_or_default()
}

#[test]
fn builder_and_base_are_shell_images_with_safe_trims_and_no_slim() {
    let Some(dir) = realistic_set(false) else {
        return;
    };
    for name in ["builder", "base"] {
        let r = report(&dir, &[name]);
        let image = &r["images"][0];
        assert_eq!(image["role"], "shell", "{name}: {}", image["role_why"]);
        let actions = actions_of(&r, name);
        assert!(
            actions.iter().all(|a| a["action"] != "slim"),
            "{name} got a slim action"
        );
        for a in &actions {
            let cats = categories(a);
            assert!(
                !cats.contains(&"toolchain") && !cats.contains(&"headers"),
                "{name} was offered a toolchain or header trim: {}",
                a["why"]
            );
        }
        // Its apt caches are still a safe trim, and it leads the plan.
        let first = &r["plan"][0];
        assert_eq!(first["action"], "trim", "{name}: {}", first["why"]);
        assert_eq!(first["risk"], "safe", "{name}: {}", first["why"]);
        assert!(categories(first).contains(&"package-cache"));
        assert!(first["node_saving_bytes"].as_u64().unwrap() > 100 << 20);
        // A note says what a shell image's bytes cost.
        let notes = r["plan_notes"].as_array().unwrap();
        assert!(
            notes
                .iter()
                .any(|n| n["note"].as_str().unwrap().contains("shell image")),
            "{name}: no note for the shell image"
        );
        let by_risk = &r["plan_totals"]["by_risk"];
        for risk in ["safe", "rebuild", "risky"] {
            assert!(by_risk[risk]["node_saving_bytes"].is_u64(), "{risk}");
            assert!(by_risk[risk]["pull_saving_bytes"].is_u64(), "{risk}");
        }
        assert_eq!(
            by_risk["risky"]["actions"].as_u64().unwrap() > 0,
            name == "builder"
        );
    }
}

#[test]
fn services_get_a_slim_action_ranked_below_safe_trims_of_similar_size() {
    let Some(dir) = realistic_set(false) else {
        return;
    };
    for name in ["redis", "postgres"] {
        let r = report(&dir, &[name]);
        assert_eq!(r["images"][0]["role"], "service", "{name}");
        let plan = r["plan"].as_array().unwrap();
        let slim = plan
            .iter()
            .position(|a| a["action"] == "slim")
            .unwrap_or_else(|| panic!("{name}: no slim action"));
        assert_eq!(plan[slim]["risk"], "risky");
        let d = &plan[slim]["detail"];
        // The conservative bound keeps far more than the static closure, and the saving rests on
        // it; the static saving stands beside it.
        assert!(
            d["kept_bytes"].as_u64() > d["closure_bytes"].as_u64(),
            "{d}"
        );
        assert!(
            d["static_node_saving_bytes"].as_u64() > plan[slim]["node_saving_bytes"].as_u64(),
            "{d}"
        );
        // No safe action of at least a quarter of the slim's saving ranks below it.
        let slim_saving = plan[slim]["node_saving_bytes"].as_u64().unwrap();
        for a in &plan[slim + 1..] {
            if a["risk"] == "safe" {
                assert!(
                    a["node_saving_bytes"].as_u64().unwrap() * 4 < slim_saving,
                    "{name}: a safe action ranks below the slim: {}",
                    a["why"]
                );
            }
        }
        // Overlaps never exceed the action itself.
        for a in plan {
            assert!(a["overlap_bytes"].as_u64() <= a["node_saving_bytes"].as_u64());
        }
        let t = &r["plan_totals"]["by_risk"];
        let cumulative: Vec<u64> = ["safe", "rebuild", "risky"]
            .iter()
            .map(|k| t[k]["cumulative_node_saving_bytes"].as_u64().unwrap())
            .collect();
        assert!(
            cumulative.windows(2).all(|w| w[0] <= w[1]),
            "{cumulative:?}"
        );
        assert_eq!(
            cumulative[2],
            r["plan_totals"]["node_saving_bytes"].as_u64().unwrap()
        );
    }
}

/// An unpacked slim image, with /dev and /proc mounted as a runtime provides them; unmounted and
/// removed when dropped.
struct Rootfs {
    _dir: tempfile::TempDir,
    root: PathBuf,
    mounts: Vec<PathBuf>,
    /// chroot's own path: the child's environment is cleared, so no PATH finds it.
    chroot: PathBuf,
}

impl Rootfs {
    fn unpack(layout: &Path, tag: &str) -> Rootfs {
        let dir = tempfile::tempdir_in("/var/tmp").unwrap();
        let bundle = dir.path().join("bundle");
        let out = Command::new("umoci")
            .arg("unpack")
            .arg("--image")
            .arg(format!("{}:{tag}", layout.display()))
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "umoci unpack: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let root = bundle.join("rootfs");
        let mut fs = Rootfs {
            _dir: dir,
            root,
            mounts: Vec::new(),
            chroot: require("chroot").expect("coreutils' chroot"),
        };
        for (what, args) in [
            ("dev", vec!["--bind", "/dev"]),
            ("proc", vec!["-t", "proc", "proc"]),
        ] {
            let target = fs.root.join(what);
            std::fs::create_dir_all(&target).unwrap();
            let ok = Command::new("mount")
                .args(&args)
                .arg(&target)
                .status()
                .unwrap()
                .success();
            assert!(ok, "mount {what}");
            fs.mounts.push(target);
        }
        fs
    }

    /// `chroot [--userspec U] ROOT ARGS…` with a clean environment, stdin from `input`.
    fn run(&self, user: Option<&str>, args: &[&str], input: &str) -> std::process::Output {
        let mut c = Command::new(&self.chroot);
        if let Some(u) = user {
            c.arg(format!("--userspec={u}"));
        }
        c.arg(&self.root)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("LANG", "C.UTF-8")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// `UID:GID` of `user` in the image's own /etc/passwd.
    fn ids_of(&self, user: &str) -> Option<String> {
        let passwd = std::fs::read_to_string(self.root.join("etc/passwd")).ok()?;
        passwd.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.first() == Some(&user) && f.len() > 3).then(|| format!("{}:{}", f[2], f[3]))
        })
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        for m in self.mounts.iter().rev() {
            let _ = Command::new("umount").arg(m).status();
        }
    }
}

/// Write IMAGE's slim image (the static closure alone with `static_closure`) and unpack it.
fn slim_rootfs(dir: &Path, name: &str, static_closure: bool) -> (tempfile::TempDir, Rootfs) {
    let layout = tempfile::tempdir_in("/var/tmp").unwrap();
    let out_arg = format!("oci:{}:{name}", layout.path().join("l").display());
    let input = dir.join(format!("{name}.tar")).display().to_string();
    let mut args = vec!["slim", input.as_str(), "-o", out_arg.as_str()];
    if static_closure {
        args.push("--static-closure");
    }
    let out = run(&args);
    assert!(
        out.status.success(),
        "imgscope slim {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("wrote oci:"), "{said}");
    eprintln!("{name} (static closure only: {static_closure}): {said}");
    let fs = Rootfs::unpack(&layout.path().join("l"), name);
    (layout, fs)
}

/// Start redis-server from `fs` on a free port and send PING: the reply, or what went wrong.
fn redis_ping(fs: &Rootfs) -> Result<String, String> {
    let port = free_port().to_string();
    let mut child = Command::new(&fs.chroot)
        .arg(&fs.root)
        .args(["/usr/bin/redis-server", "--port", &port, "--save", ""])
        .arg("--bind")
        .arg("127.0.0.1")
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let reply = loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            child.stderr.take().unwrap().read_to_string(&mut err).ok();
            child.stdout.take().unwrap().read_to_string(&mut err).ok();
            break Err(format!("redis-server exited ({status}): {err}"));
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())) {
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            s.write_all(b"PING\r\n").unwrap();
            let mut buf = [0u8; 64];
            let n = s.read(&mut buf).unwrap_or(0);
            break Ok(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        if start.elapsed() > Duration::from_secs(20) {
            break Err("redis-server did not listen in 20 s".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    reply
}

#[test]
fn slim_redis_answers_ping_in_a_chroot() {
    let Some(dir) = realistic_set(true) else {
        return;
    };
    let (_layout, fs) = slim_rootfs(&dir, "redis", false);
    assert_eq!(redis_ping(&fs).unwrap(), "+PONG\r\n");
    // The static closure alone: redis-server maps only its libraries, so it runs too (measured);
    // what it lacks (redis-check-*, /etc/redis, the identity files) a plain start does not read.
    let (_layout, fs) = slim_rootfs(&dir, "redis", true);
    eprintln!("redis, static closure only: {:?}", redis_ping(&fs));
}

#[test]
fn slim_postgres_initdb_and_select_1_in_a_chroot() {
    let Some(dir) = realistic_set(true) else {
        return;
    };
    let (_layout, fs) = slim_rootfs(&dir, "postgres", false);
    let user = fs
        .ids_of("postgres")
        .expect("the slim image keeps /etc/passwd with its postgres user");
    let bin = "/usr/lib/postgresql/15/bin";
    let init = fs.run(
        Some(&user),
        &[&format!("{bin}/initdb"), "-D", "/tmp/pgdata"],
        "",
    );
    assert!(
        init.status.success(),
        "initdb in the slim image: {}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    let single = fs.run(
        Some(&user),
        &[
            &format!("{bin}/postgres"),
            "--single",
            "-D",
            "/tmp/pgdata",
            "postgres",
        ],
        "SELECT 1;\n",
    );
    let out = String::from_utf8_lossy(&single.stdout);
    assert!(
        single.status.success() && out.contains("?column? = \"1\""),
        "postgres --single in the slim image: {out}{}",
        String::from_utf8_lossy(&single.stderr)
    );
    // The static closure alone holds the server and its libraries but not initdb, its data files
    // (/usr/share/postgresql) or the postgres user: the cluster cannot even be created.
    let (_layout, fs) = slim_rootfs(&dir, "postgres", true);
    assert!(
        fs.ids_of("postgres").is_none(),
        "the static closure has no /etc/passwd"
    );
    let init = fs.run(
        Some("100:102"),
        &[&format!("{bin}/initdb"), "-D", "/tmp/pgdata"],
        "",
    );
    assert!(!init.status.success(), "initdb ran from the static closure");
    eprintln!(
        "postgres, static closure only: initdb fails: {}",
        String::from_utf8_lossy(&init.stderr).trim()
    );
}

#[test]
fn slim_refuses_a_shell_image_in_one_line() {
    let Some(dir) = realistic_set(false) else {
        return;
    };
    let layout = tempfile::tempdir().unwrap();
    let target = layout.path().join("out");
    let out = run(&[
        "slim",
        &dir.join("builder.tar").display().to_string(),
        "-o",
        &format!("oci:{}", target.display()),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("shell image"), "{err}");
    assert!(!target.exists(), "a refused slim left {}", target.display());
}

/// The review reports of the realistic redis image, and of the whole set, lead with the plan
/// `--json` gives: every listed action with the same saving per node and per pull, share, verdict
/// and risk, and its images' roles; then (for the set) the sharing, and the packages that own the
/// bytes and the closure.
#[test]
fn the_review_reports_lead_with_the_plan_of_json() {
    let Some(dir) = realistic_set(false) else {
        return;
    };
    reports_match_json(&dir, &["redis"], Some("service"));
    reports_match_json(
        &dir,
        &["base", "redis", "postgres", "app-python", "builder"],
        None,
    );
}

fn reports_match_json(dir: &Path, names: &[&str], role: Option<&str>) {
    use imgscope::text::{human_size as hs, rough_percent};
    let paths: Vec<String> = names
        .iter()
        .map(|n| dir.join(format!("{n}.tar")).display().to_string())
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let mut args = vec!["--json"];
    args.extend(&paths);
    let json = json_of(&run(&args));
    let plan = json["plan"].as_array().unwrap();
    assert!(!plan.is_empty());
    let out = |format: &str| {
        let mut args = vec!["report", "--format", format];
        args.extend(&paths);
        let out = run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let (md, html) = (out("markdown"), out("html"));
    for (k, a) in plan.iter().take(10).enumerate() {
        // "<0.1%" is escaped in both formats.
        let figures = |sep: &str| {
            [
                a["action"].as_str().unwrap().to_string(),
                a["risk"].as_str().unwrap().to_string(),
                hs(a["node_saving_bytes"].as_u64().unwrap()),
                hs(a["pull_saving_bytes"].as_u64().unwrap()),
                rough_percent(a["share_of_node_cost"].as_f64().unwrap()).replace('<', "&lt;"),
            ]
            .join(sep)
        };
        let worth = a["worth_it"].as_bool().unwrap();
        let md_row = format!(
            "| {} | {} | {} |",
            k + 1,
            figures(" | "),
            if worth {
                "**worth it**"
            } else {
                "not worth it"
            }
        );
        assert!(md.contains(&md_row), "{md_row}\n{md}");
        let row = html
            .lines()
            .find(|l| l.starts_with(&format!("<tr class=\"action\" id=\"action-{}\">", k + 1)))
            .unwrap();
        let cells: Vec<&str> = row
            .split("<td")
            .skip(2)
            .take(5)
            .map(|c| c[c.find('>').unwrap() + 1..c.find("</td>").unwrap()].trim())
            .collect();
        assert_eq!(cells.join("|"), figures("|"), "{row}");
        assert!(row.contains(if worth {
            ">worth it<"
        } else {
            ">not worth it<"
        }));
        for image in a["images"].as_array().unwrap() {
            let name = image.as_str().unwrap();
            let i = json["images"]
                .as_array()
                .unwrap()
                .iter()
                .position(|m| m["name"] == name || m["input"] == name)
                .unwrap_or_else(|| panic!("{name}"));
            let role = role.unwrap_or_else(|| json["images"][i]["role"].as_str().unwrap());
            assert!(
                row.contains(&format!("<code>{name}</code> ({role})")),
                "{row}"
            );
        }
    }
    for (doc, heading) in [(&md, "### {}\n"), (&html, "<h2>{}</h2>")] {
        let at = |title: &str| {
            doc.find(&heading.replace("{}", title))
                .unwrap_or_else(|| panic!("no {title} heading"))
        };
        let plan_at = at("Trim plan");
        if names.len() > 1 {
            assert!(plan_at < at("Sharing") && at("Sharing") < at("Packages"));
        }
        assert!(plan_at < at("Packages") && at("Packages") < at("Layers"));
        assert!(doc.contains("Closure"));
        assert!(doc.contains("redis-server"));
    }
}
