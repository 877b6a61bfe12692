#!/usr/bin/env python3
"""Check imgscope's package attribution against an unpacked root filesystem.

An independent count: for every package dpkg-query reports installed in ROOTFS (its own
`--admindir`), read the package's `info/NAME[:ARCH].list`, apply `/var/lib/dpkg/diversions` (a
path diverted by another package belongs to this one at its new name), resolve each listed path
inside ROOTFS (symlinks in its directories, absolute ones from ROOTFS, never escaping it; a listed
symlink is the package's link, no bytes), and
sum the sizes of the regular files, each real file (inode: hardlinks are one file) counted once,
for the first package (in dpkg-query's order) that lists it. Then compare with `images[0].packages` of an imgscope `--json`
report of the same image: bytes and file counts must be equal; dpkg's Installed-Size is printed
beside them for scale.

Usage: check-packages.py ROOTFS REPORT.json   (unpack an image with `umoci unpack` or `tar -x`)
Exit status 1 when any package differs.
"""

import json
import os
import stat
import subprocess
import sys


def resolve(root, path, hops=40):
    """The path of the entry `path` names inside `root`: symlinks in its directories followed
    (a listed symlink is the package's link, not its target), or None."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    cur = []
    while parts:
        part = parts.pop(0)
        if part == "..":
            if cur:
                cur.pop()
            continue
        here = os.path.join(root, *cur, part)
        try:
            st = os.lstat(here)
        except OSError:
            return None
        if stat.S_ISLNK(st.st_mode) and parts:
            hops -= 1
            if hops < 0:
                return None
            target = os.readlink(here)
            if target.startswith("/"):
                cur = []
            parts = [p for p in target.split("/") if p not in ("", ".")] + parts
            continue
        cur.append(part)
    return os.path.join(root, *cur)


def diversions(root):
    path = os.path.join(root, "var/lib/dpkg/diversions")
    if not os.path.exists(path):
        return []
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    out = []
    for i in range(0, len(lines) - 2, 3):
        pkg = lines[i + 2]
        out.append((lines[i], lines[i + 1], None if pkg == ":" else pkg))
    return out


def main():
    root, report = sys.argv[1], sys.argv[2]
    admin = os.path.join(root, "var/lib/dpkg")
    rows = subprocess.run(
        ["dpkg-query", "--admindir", admin, "-W", "-f",
         "${db:Status-Abbrev}\t${Package}\t${Architecture}\t${Installed-Size}\n"],
        check=True, capture_output=True, text=True).stdout.splitlines()
    divs = diversions(root)
    owned = set()
    ours = {}
    for row in rows:
        status, name, arch, isize = row.split("\t")
        if status[1] != "i":
            continue
        lst = None
        for candidate in (f"{name}:{arch}.list", f"{name}.list"):
            p = os.path.join(admin, "info", candidate)
            if os.path.exists(p):
                lst = p
                break
        paths = open(lst, encoding="utf-8", errors="replace").read().splitlines() if lst else []
        files = size = 0
        for path in paths:
            path = path.rstrip("/")
            if path in ("", "/."):
                continue
            for frm, to, by in divs:
                if frm == path and by != name:
                    path = to
                    break
            real = resolve(root, path)
            if real is None:
                continue
            st = os.lstat(real)
            # A hardlink is the same file: its inode is counted once.
            if not stat.S_ISREG(st.st_mode) or (st.st_dev, st.st_ino) in owned:
                continue
            owned.add((st.st_dev, st.st_ino))
            files += 1
            size += st.st_size
        ours[name] = (size, files, int(isize or 0) * 1024)
    with open(report) as f:
        theirs = {p["name"]: p for p in json.load(f)["images"][0]["packages"]}
    bad = 0
    total_ours = total_theirs = total_isize = 0
    for name, (size, files, isize) in sorted(ours.items(), key=lambda kv: -kv[1][0]):
        t = theirs.get(name)
        got = (t["bytes"], t["files"]) if t else None
        ok = got == (size, files)
        bad += not ok
        total_ours += size
        total_isize += isize
        total_theirs += t["bytes"] if t else 0
        if not ok or size > 5 << 20:
            print(f"{'ok  ' if ok else 'DIFF'} {name:<32} files {files:>5} bytes {size:>11} "
                  f"imgscope {got} Installed-Size {isize:>11} ({size / isize if isize else 0:.2f}x)")
    extra = sorted(set(theirs) - set(ours))
    if extra:
        bad += len(extra)
        print("only in imgscope:", ", ".join(extra))
    print(f"{len(ours)} packages: {total_ours} bytes by this count, {total_theirs} by imgscope, "
          f"Installed-Size {total_isize} ({total_ours / max(total_isize, 1):.3f}x); "
          f"{'all equal' if not bad else f'{bad} differ'}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
