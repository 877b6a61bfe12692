#!/usr/bin/env python3
"""check-base.py - an independent count of an image's own part above its base, to check
imgscope's `--base` (JSON `images[0].base`).

Usage: scripts/check-base.py BASE.tar IMAGE.tar [REPORT.json]
Both are `docker save`-style archives (standard library only). Prints JSON: the inherited layer
count (the longest prefix of IMAGE's config diff_ids equal to BASE's), and for IMAGE's own layers
their count, their uncompressed bytes (regular-file content sizes in their tars) and the bytes of
the hidden copies they cause: regular files of size > 0 stored in an own layer and not visible at
the end, plus base-layer files an own layer overwrites or removes. With REPORT.json (imgscope
--json --base BASE.tar IMAGE.tar), compares each figure and exits 1 on a difference.

Merge rules: `DIR/.wh.NAME` removes DIR/NAME and everything below it; `DIR/.wh..wh..opq` removes
everything below DIR; then entries apply in tar order, an entry replacing whatever was at its
path (a non-directory replacing a directory removes the directory's contents too).
"""
import json
import sys
import tarfile


def norm(name):
    name = name.lstrip("./").rstrip("/") if name not in (".", "./") else ""
    return "/" + name


def manifest(path):
    with tarfile.open(path) as t:
        m = json.load(t.extractfile("manifest.json"))[0]
        config = json.load(t.extractfile(m["Config"]))
    return m["Layers"], config["rootfs"]["diff_ids"]


def under(path, root):
    return path == root or path.startswith(root.rstrip("/") + "/")


def main():
    base, image = sys.argv[1], sys.argv[2]
    _, base_ids = manifest(base)
    layers, ids = manifest(image)
    inherited = 0
    for a, b in zip(ids, base_ids):
        if a != b:
            break
        inherited += 1
    visible = {}  # path -> (layer, size, regular)
    own_bytes = 0
    own_caused = 0

    def hide(path, by):
        nonlocal own_caused
        layer, size, regular = visible.pop(path)
        if regular and size > 0 and (layer >= inherited or by >= inherited):
            own_caused += size

    with tarfile.open(image) as outer:
        for index, member in enumerate(layers):
            with tarfile.open(fileobj=outer.extractfile(member), mode="r:*") as t:
                entries = t.getmembers()
            for e in entries:
                p = norm(e.name)
                base_name = p.rsplit("/", 1)[1]
                parent = p.rsplit("/", 1)[0] or "/"
                if base_name == ".wh..wh..opq":
                    for q in [q for q in visible if under(q, parent) and q != parent]:
                        hide(q, index)
                elif base_name.startswith(".wh."):
                    target = parent.rstrip("/") + "/" + base_name[4:]
                    for q in [q for q in visible if under(q, target)]:
                        hide(q, index)
            for e in entries:
                p = norm(e.name)
                if p.rsplit("/", 1)[1].startswith(".wh."):
                    continue
                if index >= inherited and e.isfile():
                    own_bytes += e.size
                if p in visible:
                    was_dir = not visible[p][2] and visible[p][1] == -1
                    hide(p, index)
                    if was_dir and not e.isdir():
                        for q in [q for q in visible if under(q, p)]:
                            hide(q, index)
                visible[p] = (index, e.size if e.isfile() else -1 if e.isdir() else 0, e.isfile())
    res = {
        "inherited_layer_count": inherited,
        "base_layer_count": len(base_ids),
        "own_layer_count": len(ids) - inherited,
        "own_size_bytes": own_bytes,
        "own_reclaimable_bytes": own_caused,
    }
    print(json.dumps(res, indent=2))
    if len(sys.argv) > 3:
        with open(sys.argv[3]) as f:
            b = json.load(f)["images"][0]["base"]
        got = {
            "inherited_layer_count": b["inherited_layer_count"],
            "base_layer_count": b["base_layer_count"],
            "own_layer_count": b["own"]["layer_count"],
            "own_size_bytes": b["own"]["size_bytes"],
            "own_reclaimable_bytes": b["own"]["reclaimable_bytes"],
        }
        bad = {k: (res[k], got[k]) for k in res if res[k] != got[k]}
        for k in res:
            print(f"{k}: checker {res[k]}, imgscope {got[k]}", file=sys.stderr)
        if bad:
            print(f"DIFFERENT: {bad}", file=sys.stderr)
            sys.exit(1)
        print("all equal", file=sys.stderr)


main()
