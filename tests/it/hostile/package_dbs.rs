//! Package databases that try to amplify: a dpkg status that repeats one package thousands of
//! times beside a long file list. One record per (name, architecture), its list read once.

use super::*;

#[test]
fn a_status_that_repeats_a_package_keeps_one_record_and_reads_its_list_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut status = String::new();
    for _ in 0..5_000 {
        status.push_str(
            "Package: x\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\n",
        );
    }
    // One paragraph of another architecture is another record.
    status.push_str("Package: x\nStatus: install ok installed\nArchitecture: i386\nVersion: 1\n\n");
    let mut list = String::new();
    let mut entries = Vec::new();
    for i in 0..2_000 {
        list.push_str(&format!("/usr/share/x/f{i}\n"));
        if i < 10 {
            entries.push(file(&format!("usr/share/x/f{i}"), 100, 1));
        }
    }
    entries.push(E::File("var/lib/dpkg/status".into(), status.into_bytes()));
    entries.push(E::File(
        "var/lib/dpkg/info/x:amd64.list".into(),
        list.into_bytes(),
    ));
    let l = layer(&entries, Comp::None, "ADD rootfs /");
    let path = docker_archive(dir.path(), "dpkg.tar", "hostile/dpkg:1", &[l]);
    let v = json_of(&run(&["--json", "--no-cache", path.to_str().unwrap()]));
    let packages = v["images"][0]["packages"].as_array().unwrap();
    let names: Vec<(&str, &str)> = packages
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["architecture"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let amd64 = packages
        .iter()
        .find(|p| p["architecture"] == "amd64")
        .unwrap();
    // Its ten files on disk, counted once.
    assert_eq!(amd64["files"], 10, "{amd64:#}");
    assert_eq!(amd64["bytes"], 1_000);
}
