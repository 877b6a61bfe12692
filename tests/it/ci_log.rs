//! Output that could steer a CI job: an image whose tag is a GitHub workflow command
//! (`::stop-commands::tok` would silence imgscope's own `::error` lines), whose layer command and
//! paths carry the legacy `##[add-mask]` form, and whose names hide a bidi override. No line of
//! any output that reaches a CI log may start with `::` (after spaces) but imgscope's own
//! annotations, none may hold `##[`, and no bidi or zero-width character gets through.

use crate::common::*;

fn hostile_set(dir: &std::path::Path) -> Vec<String> {
    let l0 = layer(
        &[
            file("app/##[add-mask]secret", 2_000, 1),
            file("app/evil\u{202e}gpj.exe", 1_000, 2),
            file("var/cache/apt/pkgcache.bin", 3_000, 3),
        ],
        Comp::None,
        "##[add-mask]RUN make ::set-output name=x::y",
    );
    let l1 = layer(&[file("app/other", 500, 4)], Comp::None, "COPY . /");
    let a = dir.join("a.tar");
    write_tar(
        &a,
        &docker_archive_files(&[("::stop-commands::tok", std::slice::from_ref(&l0))]),
    );
    let b = dir.join("b.tar");
    write_tar(&b, &docker_archive_files(&[("  ::add-mask::x", &[l0, l1])]));
    vec![a.display().to_string(), b.display().to_string()]
}

fn assert_clean(what: &str, out: &[u8], own_errors: bool) {
    let text = String::from_utf8_lossy(out);
    for line in text.lines() {
        let start = line.trim_start();
        let own = own_errors && start.starts_with("::error title=imgscope ");
        assert!(!start.starts_with("::") || own, "{what}: {line}");
        assert!(!line.contains("##["), "{what}: {line}");
        assert!(
            !line.contains('\u{202e}') && !line.contains('\u{200b}'),
            "{what}: {line}"
        );
    }
}

#[test]
fn no_output_can_issue_a_workflow_command() {
    let dir = tempfile::tempdir().unwrap();
    let set = hostile_set(dir.path());
    let paths: Vec<&str> = set.iter().map(String::as_str).collect();
    let runs: Vec<(&str, Vec<&str>, bool)> = vec![
        ("text", vec!["--text"], false),
        ("json", vec!["--json"], false),
        (
            "github gate",
            vec![
                "--format",
                "github",
                "--max-size",
                "1",
                "--max-plan-saving",
                "1",
            ],
            true,
        ),
        ("layers-only text", vec!["--text", "--layers-only"], false),
    ];
    for (what, args, own) in runs {
        let mut all = args.clone();
        all.extend(&paths);
        let out = run(&all);
        assert_clean(what, &out.stdout, own);
        assert_clean(what, &out.stderr, false);
        if own {
            assert_eq!(out.status.code(), Some(1), "{what}");
            assert!(
                String::from_utf8_lossy(&out.stdout).contains("::error title=imgscope max-size::"),
                "{what}"
            );
        }
    }
    // Diffs and errors too.
    let out = run(&["diff", "--text", paths[0], paths[1]]);
    assert_clean("diff", &out.stdout, false);
    let out = run(&["diff", "--json", paths[0], paths[1]]);
    assert_clean("diff json", &out.stdout, false);
    let out = run(&["--text", "::stop-commands::nope.tar"]);
    assert_eq!(out.status.code(), Some(2));
    assert_clean("error", &out.stderr, false);
}
