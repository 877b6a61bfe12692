//! Names, commands, tags, labels and env values that attack the terminal: escaped in the text
//! report and in errors, exact (as JSON escapes) in the JSON report.

use super::*;

const OSC52: &str = "\x1b]52;c;cm0gLXJmIH4=\x07";

const CSI_CLEAR: &str = "\x1b[2J\x1b[H";

#[test]
fn control_characters_are_escaped_in_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let nasty_name = format!("evil{OSC52}name\r\x08.txt");
    let nasty_dir = format!("dir{CSI_CLEAR}\u{9b}31m");
    let nul_name = "nul\0byte".to_string();
    let tar = end({
        let mut t = pax_file(&pax_record("path", nasty_name.as_bytes()), &[1u8; 300]);
        t.extend(pax_file(
            &pax_record("path", format!("{nasty_dir}/f").as_bytes()),
            &[2u8; 200],
        ));
        t.extend(pax_file(
            &pax_record("path", nul_name.as_bytes()),
            &[1u8; 300],
        ));
        t
    });
    let l = raw_layer(tar, Comp::Gzip, &format!("RUN echo {OSC52} {CSI_CLEAR}"));
    let p = archive(dir.path(), "controls.tar", &[l]);
    let path = p.to_str().unwrap();

    // JSON: the exact names, as JSON escapes (C1 controls too, which serde_json leaves raw).
    // Checked on the gated report (`--ci --json`); see the note in the report for `--json`.
    let out = run(&["--ci", "--max-layers", "10", "--json", path]);
    let raw = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        raw.contains(r"evil\u001b]52;c;cm0gLXJmIH4=\u0007name\r\b.txt"),
        "{raw}"
    );
    assert!(raw.contains(r"/dir\u001b[2J\u001b[H\u009b31m/f"), "{raw}");
    assert!(raw.contains(r"nul\u0000byte"), "{raw}");
    assert_no_raw_controls(&raw);
    let img = json_of(&out)["images"][0].clone();
    assert_eq!(
        files_of(&img),
        vec![
            (format!("/{nasty_dir}/f"), 200),
            (format!("/{nasty_name}"), 300),
            (format!("/{nul_name}"), 300),
        ]
    );
    assert_eq!(
        img["layers"][0]["created_by"],
        format!("RUN echo {OSC52} {CSI_CLEAR}")
    );

    // Text: every name and the command shown escaped, nothing raw.
    let out = run(&["--text", path]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_no_raw_controls(&text);
    assert!(
        text.contains(r"RUN echo \x1b]52;c;cm0gLXJmIH4=\x07 \x1b[2J\x1b[H"),
        "{text}"
    );
    assert!(text.contains(r"/dir\x1b[2J\x1b[H\u{9b}31m"), "{text}");
    // The two 300-byte files are duplicates: both paths are listed, escaped.
    assert!(
        text.contains(r"/evil\x1b]52;c;cm0gLXJmIH4=\x07name\r\x08.txt"),
        "{text}"
    );
    assert!(text.contains(r"/nul\x00byte"), "{text}");
}

#[test]
fn control_characters_in_tags_labels_and_env() {
    let dir = tempfile::tempdir().unwrap();
    let l = vec![layer(&[file("a", 1, 1)], Comp::None, "ADD a /")];
    let mut files = docker_archive_files(&[("plain:1", &l)]);
    // Rewrite the config (and its name, the digest) with hostile labels and env, and tag the image
    // with an escape sequence.
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": [format!("PS1={OSC52}")], "Labels": {format!("k{CSI_CLEAR}"): format!("v\r{OSC52}")},
                   "Cmd": [format!("sh\x1b[31m")]},
        "rootfs": {"type": "layers", "diff_ids": [l[0].diff_id.clone()]},
        "history": [{"created_by": format!("ADD a /{OSC52}")}]
    }))
    .unwrap();
    let config_name = format!("{}.json", hex_of(&sha256(&config)));
    files.retain(|(n, _)| !(n.ends_with(".json") && n != "manifest.json"));
    files.push((config_name.clone(), config));
    let manifest = serde_json::json!([{"Config": config_name, "RepoTags": [format!("evil{CSI_CLEAR}:1")],
        "Layers": [format!("{}/layer.tar", hex_of(&l[0].diff_id))]}]);
    files.retain(|(n, _)| n != "manifest.json");
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    let p = tar_of(dir.path(), "tags.tar", &files);
    let path = p.to_str().unwrap();

    let img = image_json(&p);
    assert_eq!(img["name"], format!("evil{CSI_CLEAR}:1"));
    assert_eq!(img["config"]["env"][0], format!("PS1={OSC52}"));
    assert_eq!(
        img["config"]["labels"][format!("k{CSI_CLEAR}")],
        format!("v\r{OSC52}")
    );
    let out = run(&["--text", path]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_no_raw_controls(&text);
    assert!(text.contains(r"evil\x1b[2J\x1b[H:1"), "{text}");
    assert!(
        text.contains(r"ADD a /\x1b]52;c;cm0gLXJmIH4=\x07"),
        "{text}"
    );
    // Errors quote the image too: asking for a missing tag lists the hostile one, escaped.
    let err = expect_error(
        &["--json", &format!("docker-archive:{path}:nope:1")],
        "tags.tar",
        "no image tagged",
    );
    assert!(err.contains(r"evil\x1b[2J\x1b[H:1"), "{err}");
}
