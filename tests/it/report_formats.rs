//! `imgscope report IMAGE --format markdown|html`: the Markdown report snapshotted, the HTML
//! report self-contained (no scripts, no external assets) with its layer bars and file tree, and
//! hostile names escaped in both.

use crate::common::*;

use std::path::{Path, PathBuf};

fn image(dir: &Path) -> PathBuf {
    let layers = vec![
        layer(
            &[
                E::Dir("app/"),
                file("app/server", 4096, 1),
                file("app/static/logo.png", 1024, 2),
                file("tmp/cache.bin", 2048, 3),
                file("app/copy", 1024, 2),
                E::Symlink("app/current", "server"),
            ],
            Comp::Gzip,
            "COPY app /app",
        ),
        layer(
            &[
                E::Marker("tmp/.wh.cache.bin"),
                E::FileMode("app/server".into(), vec![1; 4096], 0o755),
                file("<img src=x onerror=alert(1)>", 7, 4),
                file("esc\u{1b}]52;c;eA==\u{7}name", 3, 5),
            ],
            Comp::None,
            "RUN rm /tmp/cache.bin && chmod +x /app/server # <script>alert(1)</script>",
        ),
    ];
    let path = dir.join("report.tar");
    write_tar(&path, &docker_archive_files(&[("report/app:1", &layers)]));
    path
}

fn report(path: &Path, format: &str) -> String {
    let out = run(&["report", "--format", format, path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn markdown_report_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let md = report(&image(dir.path()), "markdown");
    assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'));
    insta::assert_snapshot!("report_markdown", md);
}

#[test]
fn markdown_is_the_default_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = image(dir.path());
    let out = run(&["report", path.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        report(&path, "markdown")
    );
}

#[test]
fn html_report_is_self_contained_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let html = report(&image(dir.path()), "html");
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    // No scripts, no external assets: nothing is fetched when the file is opened.
    for forbidden in [
        "<script", "<img", "<link", "<iframe", "http://", "https://", "url(",
    ] {
        assert!(!html.contains(forbidden), "found {forbidden}");
    }
    assert!(!html.contains('\u{1b}') && !html.contains('\u{7}'));
    // On paper: a print stylesheet that leaves the tree out and keeps the plan and the tables.
    let print = &html[html.find("@media print{").expect("a print stylesheet")..];
    let print = &print[..print.find("</style>").unwrap_or(print.len())];
    assert!(print.contains(".tree{display:none}"), "{print}");
    for kept in ["plan", "table", "tr", "section"] {
        assert!(!print.contains(&format!("{kept}{{display:none")), "{print}");
    }
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert!(html.contains("esc\\x1b]52;c;eA==\\x07name"), "{html}");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    // Layer bars: the biggest layer is full width.
    assert_eq!(html.matches("<td class=\"bar\">").count(), 2);
    assert!(html.contains("style=\"width:100.0%\""), "{html}");
    // The tree: directories are collapsible, files listed with their sizes, links with targets.
    assert!(html.contains("<summary><span class=\"size\">6.0 KiB</span>app/</summary>"));
    assert!(html.contains("<span class=\"size\">4.0 KiB</span>server</li>"));
    assert!(html.contains("current <span class=\"kind\">→ server</span>"));
    // A deleted file is not in the final tree, but is in the reclaimable table.
    assert!(!html.contains("cache.bin</li>"));
    assert!(html.contains("<code>/tmp/cache.bin</code>"));
    // Every element opened is closed.
    for tag in [
        "details", "ul", "li", "table", "tr", "td", "summary", "code",
    ] {
        let open =
            html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        let close = html.matches(&format!("</{tag}>")).count();
        assert_eq!(open, close, "<{tag}> opened {open}, closed {close}");
    }
}

#[test]
fn both_reports_give_the_images_role_and_why_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // The default image's command is a shell: a shell image.
    let md = report(&image(dir.path()), "markdown");
    assert!(
        md.contains(
            "| Role | shell (its command is the shell /bin/sh: a base, a toolbox or a builder) |"
        ),
        "{md}"
    );
    let html = report(&image(dir.path()), "html");
    assert!(
        html.contains(
            "<tr><th>Role</th><td>shell (its command is the shell /bin/sh: a base, a toolbox or \
             a builder)</td></tr>"
        ),
        "{html}"
    );
    // A command the image does not hold: a service, and the reason names the command, which
    // is the image's to choose.
    let cmd = "/app/<img src=x onerror=alert(1)>|`x` *b* [l](y) @me\u{1b}]52;c;eA==\u{7}";
    let layers = vec![layer(
        &[file("app/server", 10, 1)],
        Comp::None,
        "COPY app /app",
    )];
    let path = dir.path().join("hostile.tar");
    write_tar(
        &path,
        &docker_archive_files_cmd(&[("hostile/app:1", &layers, &[cmd])]),
    );
    let md = report(&path, "markdown");
    let row = md.lines().find(|l| l.starts_with("| Role | ")).expect(&md);
    assert!(
        row.starts_with("| Role | service (runs /app/&lt;img src=x onerror=alert(1)&gt;\\|"),
        "{row}"
    );
    assert!(row.ends_with(", not found in the image) |"), "{row}");
    for raw in ["<", "`x`", "*b*", "[l]", "@me", "\u{1b}", "\u{7}"] {
        assert!(!row.contains(raw), "{raw} in {row}");
    }
    // Three cell borders: the command's `|` is escaped.
    let borders = row
        .char_indices()
        .filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\'))
        .count();
    assert_eq!(borders, 3, "{row}");
    let html = report(&path, "html");
    let row = html
        .lines()
        .find(|l| l.starts_with("<tr><th>Role</th>"))
        .expect(&html);
    assert!(
        row.starts_with(
            "<tr><th>Role</th><td>service (runs /app/&lt;img src=x onerror=alert(1)&gt;|"
        ),
        "{row}"
    );
    assert!(row.contains("@me\\x1b]52;c;eA==\\x07"), "{row}");
    assert!(!html.contains("<img") && !html.contains('\u{1b}'), "{row}");
}

#[test]
fn html_tree_is_bounded_for_large_directories() {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<E> = (0..450)
        .map(|i| file(&format!("many/f{i:03}"), i + 1, 1))
        .collect();
    let layers = vec![layer(&entries, Comp::None, "ADD many /many")];
    let path = dir.path().join("many.tar");
    write_tar(&path, &docker_archive_files(&[("many:1", &layers)]));
    let html = report(&path, "html");
    // 200 children shown (the largest), the other 250 summed up in one line.
    assert!(html.contains("f449</li>"));
    assert!(!html.contains("f000</li>"));
    assert!(html.contains("… 250 more entries"), "{html}");
    let rest: usize = (1..=250).sum();
    assert!(
        html.contains(&format!(
            "<span class=\"size\">{}</span>… 250 more",
            imgscope::text::human_size(rest as u64)
        )),
        "{html}"
    );
}

#[test]
fn report_errors_are_one_line() {
    let out = run(&["report", "--format", "html", "/nonexistent/x.tar"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.starts_with("imgscope: /nonexistent/x.tar: "), "{err}");
}

/// An image whose plan has exact actions: apt lists (30,000 bytes) and an apt archive (20,000)
/// left in their layers, and a duplicate (5,000).
fn apt_image(dir: &Path, name: &str, tag: &str) -> PathBuf {
    let layers = vec![
        layer(
            &[file("bin/tool", 40_000, 1), file("etc/os-release", 100, 2)],
            Comp::Gzip,
            "ADD rootfs /",
        ),
        layer(
            &[file("app/a.bin", 5_000, 5), file("app/copy.bin", 5_000, 5)],
            Comp::None,
            "COPY app /app",
        ),
        layer(
            &[
                file("var/lib/apt/lists/index", 30_000, 3),
                file("var/cache/apt/archives/x.deb", 20_000, 9),
            ],
            Comp::Gzip,
            "RUN apt-get update && apt-get install x",
        ),
    ];
    let path = dir.join(name);
    write_tar(&path, &docker_archive_files(&[(tag, &layers)]));
    path
}

fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// rank, action, risk, per node, per pull, share, worth it.
type PlanRow = (usize, String, String, String, String, String, bool);

/// The plan's rows of `--json`, as the reports print them: rank, action, risk, per node, per
/// pull, share, worth it.
fn json_plan_rows(paths: &[&str], worth: &str) -> Vec<PlanRow> {
    use imgscope::text::{human_size as hs, rough_percent};
    let mut args = vec!["--json", "--worth", worth];
    args.extend(paths);
    let v: serde_json::Value = serde_json::from_str(&run_ok(&args)).unwrap();
    v["plan"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, a)| {
            (
                k + 1,
                a["action"].as_str().unwrap().to_string(),
                a["risk"].as_str().unwrap().to_string(),
                hs(a["node_saving_bytes"].as_u64().unwrap()),
                hs(a["pull_saving_bytes"].as_u64().unwrap()),
                rough_percent(a["share_of_node_cost"].as_f64().unwrap()),
                a["worth_it"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn both_reports_lead_with_the_plan_and_the_figures_of_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = apt_image(dir.path(), "apt.tar", "report/apt:1");
    let path = path.to_str().unwrap();
    for worth in ["0", "1MiB"] {
        let rows = json_plan_rows(&[path], worth);
        // trim (lists and archive together, one layer, safe), then the dedup.
        assert_eq!(
            rows.iter()
                .map(|r| (r.1.as_str(), r.2.as_str()))
                .collect::<Vec<_>>(),
            [("trim", "safe"), ("dedup", "safe")],
            "{rows:?}"
        );
        assert_eq!(rows[0].3, imgscope::text::human_size(50_000));
        let md = run_ok(&["report", "--worth", worth, "--format", "markdown", path]);
        let html = run_ok(&["report", "--worth", worth, "--format", "html", path]);
        for (rank, action, risk, node, pull, share, worth_it) in &rows {
            let verdict = if *worth_it {
                "**worth it**"
            } else {
                "not worth it"
            };
            let md_row = format!(
                "| {rank} | {action} | {risk} | {node} | {pull} | {share} | {verdict} | `report/apt:1` (shell) |"
            );
            assert!(md.contains(&md_row), "{md_row}\n{md}");
            let html_row = format!(
                "<tr class=\"action\" id=\"action-{rank}\"><td class=\"num\">{rank}</td><td>{action}</td>\
                 <td class=\"risk-{risk}\">{risk}</td><td class=\"num\">{node}</td><td class=\"num\">{pull}</td>\
                 <td class=\"num\">{share}</td><td><span class=\"{}\">{}</span></td>",
                if *worth_it { "worth" } else { "notworth" },
                if *worth_it {
                    "worth it"
                } else {
                    "not worth it"
                },
            );
            assert!(html.contains(&html_row), "{html_row}\n{html}");
        }
        // The answer first: the plan before the image's facts and layers.
        let plan = md.find("### Trim plan").unwrap();
        assert!(plan < md.find("### Image").unwrap() && plan < md.find("### Layers").unwrap());
        assert!(md.contains(&format!(
            "**{} of 2 actions worth it (",
            rows.iter().filter(|r| r.6).count()
        )));
        let plan = html.find("<section class=\"plan\" id=\"plan\">").unwrap();
        assert!(plan < html.find("<h2>Image</h2>").unwrap());
        assert!(plan < html.find("<h2>Layers</h2>").unwrap());
    }
}

#[test]
fn a_report_of_several_images_shows_their_sharing_and_node_cost() {
    let dir = tempfile::tempdir().unwrap();
    let a = apt_image(dir.path(), "a.tar", "report/a:1");
    let b = image(dir.path());
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let md = run_ok(&["report", a, b]);
    assert!(md.starts_with("## imgscope report: 2 images\n"), "{md}");
    assert!(md.contains("### Sharing\n\nSum of image sizes "), "{md}");
    assert!(md.contains("node cost "), "{md}");
    assert!(md.contains("| `report/a:1` | "), "{md}");
    assert!(md.contains("## `report/app:1`"), "{md}");
    let html = run_ok(&["report", "--format", "html", a, b]);
    assert!(html.contains("<section class=\"sharing\" id=\"sharing\">"));
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(html.matches("<section class=\"image\"").count(), 2);
    // --trend reads one image's series.
    let out = run(&["report", "--trend", a, b]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--trend takes one image"));
}
