#!/usr/bin/env python3
"""check-images.py - an independent count of what docker-archive images hold, to check imgscope.

Usage: scripts/check-images.py [--summary] [--plan] IMAGE.tar...
Prints JSON on stdout; --summary also prints human-readable tables on stderr (so
`check-images.py --summary *.tar > check.json` gives both). Standard library only.
--plan prints instead an independent count of imgscope's trim plan (rules at the end).

Input: `docker save`-style archives (manifest.json + config + layer tars, plain or gzip).
Every image listed in each archive's manifest.json is read; layers are merged in order.

Rules (exactly what is counted):
- Paths: leading "./" and "/" and trailing "/" are dropped, then "/" is prefixed.
- Regular file: a tar regular member; its bytes are its content size, its identity is
  (sha256 of the content, size). Hardlink: counted as a regular file with its target's
  content (target looked up in the same layer first, then in the tree merged so far), so a
  hardlinked pair counts twice. Symlinks, directories and devices are not regular files.
- Whiteouts apply to lower layers only: DIR/.wh.NAME removes DIR/NAME and everything below
  it; DIR/.wh..wh..opq removes everything below DIR (DIR stays). Then the layer's entries are
  added in tar order; an entry replaces whatever was at its path, and a non-directory that
  replaces a directory also removes that directory's contents.
- visible: regular files in the final merged tree. Per layer, visible bytes are those of
  the visible files that layer wrote.
- hidden ("reclaimable") bytes of a layer: bytes of regular files it wrote that are not
  visible in the final tree (deleted or overwritten later, or written twice in the layer).
- trim candidates: per layer, visible bytes under each of TRIM_PREFIXES (separately).
- duplicates: visible regular files of size > 0 grouped by (sha256, size); bytes beyond the
  first copy = size * (n - 1) per group ("excluding hardlinks": hardlinks are not copies).
- cross-image: for every ordered pair (A, B), A != B, and every layer of A: bytes of that
  layer's visible files whose (sha256, size) also occurs among B's visible files (any
  layer), and its share of the layer's visible bytes. "rebase_like" marks share >= 0.8 for
  a layer B does not itself use (by diff_id), with visible bytes > 0.
- diff_id: sha256 of the uncompressed layer tar (compared with the config's rootfs.diff_ids);
  tar_size: its uncompressed size. layer_uses: diff_id -> images using that layer.

Plan mode (--plan): JSON {"node_cost", "layers": [...], "totals", "rebase_claimed",
"total_claimed"}; --summary adds one table on stderr. Rules (imgscope's definitions):
- Distinct layer: one diff_id. Distinct layers are numbered by first appearance (images in
  argument/manifest order, layers in order). users(L) = images listing L.
- files(L): the regular files of size > 0 that L's tar writes; a path written twice counts
  once, by its last entry (if that last entry is not a regular file, it is not a file of L).
  Hardlink entries are skipped entirely; symlinks, directories and devices are not files.
  A layer's "bytes" is the sum of its files' sizes; node_cost sums that over distinct layers.
- Visible in image I: the final merged tree of I (whiteouts and opaques as above) holds
  that very entry. Hidden everywhere: visible in no user of L.
- Category by path (first match wins; name = last component): vcs, python-bytecode,
  package-cache, debug-symbols, docs, headers, toolchain, tests, temp (see plan_category).
- Content: (sha256, size).
- trim, per distinct layer: claims each file that has a category or is hidden everywhere;
  bytes by category, hidden_bytes (no category, hidden everywhere), total.
- dedup, per image: its visible regular files (size > 0, no hardlinks) grouped by content;
  in a group of 2+ keep the copy whose writing layer has the lowest position in the image
  (ties: first path in sorted order); every other copy claims (distinct layer, path), each
  claim once over all images. Per distinct layer: copies and bytes of the claims it got.
- rebase (2+ images), per distinct layer L: essential = files not hidden everywhere and not
  package-cache; E = their bytes. own(L) = every distinct layer of every user of L. A file is
  matched if a distinct layer M outside own(L) has a file (any, hidden or not) with its
  content; ME = matched essential bytes; credit[M] = bytes of matched essential files whose
  content M holds. T = the M with most credit (ties: lowest M). L qualifies if E > 0,
  ME >= 0.8 * E, credit[T] >= 0.5 * E(T) and T stays over L (more users, or as many users
  and T < L). It then claims every file of L except its essential unmatched files.
  rebase_claimed sums claimed bytes over qualifying layers.
- total_claimed: bytes of the union of all claims, each (distinct layer, path) once.
"""
import argparse
import bisect
import gzip
import hashlib
import json
import os
import sys
import tarfile
from collections import defaultdict

TRIM_PREFIXES = ("/var/lib/apt/lists/", "/var/cache/apt/", "/usr/share/doc/",
                 "/usr/share/man/", "/usr/share/locale/", "/usr/share/info/")
REBASE_SHARE = 0.8


class Rec:
    """One entry written by a layer: kind 'f' (regular or hardlink), 'd' (dir), 'o' (other)."""
    __slots__ = ("kind", "layer", "path", "size", "sha", "hardlink")

    def __init__(self, kind, layer, path, size=0, sha=None, hardlink=False):
        self.kind, self.layer, self.path = kind, layer, path
        self.size, self.sha, self.hardlink = size, sha, hardlink


class HashingReader:
    """File-like wrapper: sha256 and length of everything read through it."""
    def __init__(self, f):
        self.f, self.h, self.n = f, hashlib.sha256(), 0

    def read(self, size=-1):
        b = self.f.read(size)
        self.h.update(b)
        self.n += len(b)
        return b


def norm(name):
    while name.startswith("./"):
        name = name[2:]
    return "/" + name.strip("/")


def read_layer(fobj, idx, tree):
    """Parse one layer stream; returns (entries, whiteouts, opaques, stats)."""
    head = fobj.read(2)
    fobj.seek(0)
    raw = gzip.GzipFile(fileobj=fobj) if head == b"\x1f\x8b" else fobj
    hr = HashingReader(raw)
    entries, whiteouts, opaques, own = [], [], [], {}
    stored = 0
    with tarfile.open(fileobj=hr, mode="r|") as t:
        for m in t:
            path = norm(m.name)
            parent, base = os.path.split(path)
            if base.startswith(".wh."):
                if base == ".wh..wh..opq":
                    opaques.append(parent)
                else:
                    whiteouts.append(os.path.join(parent, base[4:]))
                continue
            if path == "/":
                continue
            if m.isreg():
                h, f = hashlib.sha256(), t.extractfile(m)
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
                rec = Rec("f", idx, path, m.size, h.hexdigest())
                stored += m.size
            elif m.islnk():
                target = norm(m.linkname)
                src = own.get(target) or tree.get(target)
                if src is None or src.kind != "f":
                    print(f"warning: layer {idx}: hardlink {path} -> {target}: no regular target",
                          file=sys.stderr)
                    rec = Rec("o", idx, path)
                else:
                    rec = Rec("f", idx, path, src.size, src.sha, hardlink=True)
            else:
                rec = Rec("d" if m.isdir() else "o", idx, path)
            if rec.kind == "f":
                own[path] = rec
            entries.append(rec)
    while hr.read(1 << 20):  # tar end padding belongs to the diff_id too
        pass
    return entries, whiteouts, opaques, {"diff_id": "sha256:" + hr.h.hexdigest(),
                                         "tar_size": hr.n, "stored_bytes": stored}


def apply_layer(tree, entries, whiteouts, opaques):
    keys = sorted(tree)

    def drop_below(p):
        lo, hi = bisect.bisect_left(keys, p + "/"), bisect.bisect_left(keys, p + "0")
        for k in keys[lo:hi]:
            tree.pop(k, None)

    for p in whiteouts:
        tree.pop(p, None)
        drop_below(p)
    for d in opaques:
        drop_below(d)
    for rec in entries:
        old = tree.get(rec.path)
        if old is not None and old.kind == "d" and rec.kind != "d":
            drop_below(rec.path)
        tree[rec.path] = rec


def analyse_image(archive, t, m):
    cfg = json.load(t.extractfile(m["Config"]))
    cfg_ids = cfg.get("rootfs", {}).get("diff_ids", [])
    history = [h.get("created_by", "") for h in cfg.get("history", []) if not h.get("empty_layer")]
    tree, layers, written = {}, [], []
    for i, lpath in enumerate(m["Layers"]):
        entries, wh, opq, st = read_layer(t.extractfile(lpath), i, tree)
        apply_layer(tree, entries, wh, opq)
        regs = [r for r in entries if r.kind == "f"]
        written.append(regs)
        st.update(diff_id_matches_config=i < len(cfg_ids) and cfg_ids[i] == st["diff_id"],
                  created_by=history[i] if i < len(history) else None,
                  regular_files=len(regs), regular_bytes=sum(r.size for r in regs),
                  hardlinks=sum(r.hardlink for r in regs), whiteouts=len(wh), opaques=len(opq))
        layers.append(st)
    visible = [r for r in tree.values() if r.kind == "f"]
    vis_ids = {id(r) for r in visible}
    for i, st in enumerate(layers):
        mine = [r for r in visible if r.layer == i]
        st["visible_files"] = len(mine)
        st["visible_bytes"] = sum(r.size for r in mine)
        st["hidden_bytes"] = sum(r.size for r in written[i] if id(r) not in vis_ids)
        st["trim"] = {p: sum(r.size for r in mine if r.path.startswith(p)) for p in TRIM_PREFIXES}
    groups = defaultdict(list)
    for r in visible:
        if r.size > 0:
            groups[(r.sha, r.size)].append(r)
    dups = [g for g in groups.values() if len(g) > 1]
    dup_list = sorted(({"sha256": g[0].sha, "size": g[0].size, "copies": len(g),
                        "extra_bytes": g[0].size * (len(g) - 1),
                        "paths": sorted(r.path for r in g)[:6]} for g in dups),
                      key=lambda d: -d["extra_bytes"])
    name = (m.get("RepoTags") or [None])[0] or os.path.basename(archive)
    return {
        "name": name, "archive": archive, "layers": layers,
        "visible_files": len(visible), "visible_bytes": sum(r.size for r in visible),
        "hidden_bytes": sum(st["hidden_bytes"] for st in layers),
        "duplicates": {"groups": len(dups),
                       "extra_bytes": sum(d["extra_bytes"] for d in dup_list),
                       "extra_bytes_excluding_hardlinks": sum(
                           g[0].size * (max(sum(not r.hardlink for r in g), 1) - 1) for g in dups),
                       "top": dup_list[:10]},
    }, visible


def cross(images, visibles):
    content = [{(r.sha, r.size) for r in v} for v in visibles]
    out = []
    for a, (ia, va) in enumerate(zip(images, visibles)):
        for b, ib in enumerate(images):
            if a == b:
                continue
            b_ids = {st["diff_id"] for st in ib["layers"]}
            rows, total = [], 0
            for i, st in enumerate(ia["layers"]):
                n = sum(r.size for r in va if r.layer == i and (r.sha, r.size) in content[b])
                share = n / st["visible_bytes"] if st["visible_bytes"] else 0.0
                total += n
                rows.append({"layer": i, "diff_id": st["diff_id"], "visible_bytes": st["visible_bytes"],
                             "bytes_in_b": n, "share": round(share, 4),
                             "rebase_like": share >= REBASE_SHARE and st["visible_bytes"] > 0
                             and st["diff_id"] not in b_ids})
            out.append({"a": ia["name"], "b": ib["name"], "bytes_in_b": total,
                        "share": round(total / ia["visible_bytes"], 4) if ia["visible_bytes"] else 0.0,
                        "layers": rows})
    return out


def mib(n):
    return f"{n / 2**20:9.2f}M"


def summary(res, f):
    short = {"/var/lib/apt/lists/": "lists", "/var/cache/apt/": "aptcache", "/usr/share/doc/": "doc",
             "/usr/share/man/": "man", "/usr/share/locale/": "locale", "/usr/share/info/": "info"}
    for im in res["images"]:
        d = im["duplicates"]
        print(f"\n== {im['name']} ({im['archive']}): visible {im['visible_files']} files "
              f"{mib(im['visible_bytes']).strip()}, hidden {mib(im['hidden_bytes']).strip()}, "
              f"duplicates {d['groups']} groups {mib(d['extra_bytes']).strip()} extra", file=f)
        print(f"  #  diff_id       tar_size  reg_bytes    visible     hidden wh  "
              + " ".join(f"{v:>10}" for v in short.values()) + "  created_by", file=f)
        for i, st in enumerate(im["layers"]):
            ok = "" if st["diff_id_matches_config"] else " (diff_id != config!)"
            print(f"  {i}  {st['diff_id'][7:19]} {mib(st['tar_size'])} {mib(st['regular_bytes'])} "
                  f"{mib(st['visible_bytes'])} {mib(st['hidden_bytes'])} {st['whiteouts']:>2} "
                  + " ".join(f"{mib(st['trim'][p]):>10}" for p in short)
                  + f"  {(st['created_by'] or '')[:60]}{ok}", file=f)
        for g in d["top"][:3]:
            print(f"  dup x{g['copies']} {mib(g['size']).strip()}: {', '.join(g['paths'][:3])}", file=f)
    print("\n== cross-image: bytes of A's layer whose content B also holds (rows with any)", file=f)
    for c in res["cross"]:
        for row in c["layers"]:
            if row["bytes_in_b"]:
                flag = "  REBASE-LIKE" if row["rebase_like"] else ""
                print(f"  {c['a']:<26} L{row['layer']} {row['diff_id'][7:19]} in {c['b']:<26}"
                      f"{mib(row['bytes_in_b'])} of {mib(row['visible_bytes'])} "
                      f"{100 * row['share']:6.1f}%{flag}", file=f)
    print("\n== layer uses", file=f)
    for k, v in res["layer_uses"].items():
        print(f"  {k[7:19]}  {', '.join(v)}", file=f)


# ---- --plan: an independent count of imgscope's trim plan (rules in the docstring) ----

PLAN_VCS_PARTS = ("/.git/", "/.svn/", "/.hg/")
PLAN_CACHE_PREFIXES = (
    "/var/cache/apt/", "/var/lib/apt/lists/", "/var/cache/apk/", "/var/cache/dnf/",
    "/var/cache/yum/", "/var/cache/zypp/", "/var/cache/pacman/", "/root/.cache/", "/root/.npm/",
    "/root/.yarn/", "/usr/local/share/.cache/", "/root/.gem/", "/root/.cargo/registry/",
    "/usr/local/cargo/registry/", "/root/go/pkg/mod/", "/go/pkg/mod/", "/root/.m2/repository/",
    "/root/.gradle/caches/")
PLAN_CACHE_PARTS = ("/node_modules/.cache/", "/.cache/pip/", "/.cache/go-build/")
PLAN_DOCS_PREFIXES = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/",
                      "/usr/share/locale/", "/usr/share/i18n/", "/usr/local/share/man/",
                      "/usr/local/share/doc/")
PLAN_TOOLCHAIN_PREFIXES = ("/usr/lib/gcc/", "/usr/libexec/gcc/", "/usr/lib/llvm-",
                           "/usr/local/go/pkg/tool/", "/usr/local/rustup/", "/root/.rustup/")
PLAN_TOOLS = ("gcc", "g++", "cc", "c++", "cc1", "cc1plus", "clang", "clang++", "ld", "ld.bfd",
              "ld.gold", "as", "make", "cmake", "rustc", "cargo", "go", "javac")
PLAN_TEST_ROOTS = ("/site-packages/", "/dist-packages/", "/node_modules/")
PLAN_TEST_DIRS = ("/tests/", "/test/", "/__tests__/")
PLAN_TEMP_PREFIXES = ("/tmp/", "/var/tmp/")
REBASE_MIN_COVERAGE = 0.5  # credit[T] >= this share of T's essential bytes
PLAN_CATEGORIES = ("vcs", "python-bytecode", "package-cache", "debug-symbols", "docs",
                   "headers", "toolchain", "tests", "temp")


def is_tool_name(name):
    """gcc, gcc-12, gcc-12.2, x86_64-linux-gnu-gcc (but not x86_64-linux-gnu-gcc-12)."""
    for tool in PLAN_TOOLS:
        if name == tool or name.endswith("-linux-gnu-" + tool):
            return True
        if name.startswith(tool + "-") and all(c.isdigit() or c == "." for c in name[len(tool) + 1:]):
            return True
    return False


def plan_category(path):
    """The trim category of an absolute path, or None (first matching rule wins)."""
    name = path.rsplit("/", 1)[-1]
    if any(p in path for p in PLAN_VCS_PARTS):
        return "vcs"
    if "/__pycache__/" in path or name.endswith((".pyc", ".pyo")):
        return "python-bytecode"
    if path.startswith(PLAN_CACHE_PREFIXES) or any(p in path for p in PLAN_CACHE_PARTS):
        return "package-cache"
    if path.startswith("/usr/lib/debug/") or name.endswith(".debug"):
        return "debug-symbols"
    if path.startswith(PLAN_DOCS_PREFIXES):
        return "docs"
    if path.startswith(("/usr/include/", "/usr/local/include/")) or (
            name.endswith(".a") and "/lib" in path):
        return "headers"
    if path.startswith(PLAN_TOOLCHAIN_PREFIXES) or (
            path.startswith(("/usr/bin/", "/usr/local/bin/")) and is_tool_name(name)):
        return "toolchain"
    if any(p in path for p in PLAN_TEST_ROOTS) and any(p in path for p in PLAN_TEST_DIRS):
        return "tests"
    if path.startswith(PLAN_TEMP_PREFIXES):
        return "temp"
    return None


class PlanLayer:
    """A distinct layer: its parsed entries and its files (path -> Rec, last entry per path)."""
    def __init__(self, index, entries, whiteouts, opaques, diff_id):
        self.index, self.diff_id = index, diff_id
        self.entries, self.whiteouts, self.opaques = entries, whiteouts, opaques
        last = {}
        for rec in entries:
            last[rec.path] = rec
        self.files = {p: r for p, r in last.items()
                      if r.kind == "f" and not r.hardlink and r.size > 0}
        self.bytes = sum(r.size for r in self.files.values())
        self.users = []          # image indices, in order
        self.hidden = set()      # paths of files hidden everywhere (filled later)
        self.category = {p: plan_category(p) for p in self.files}

    def essential(self, path):
        return path not in self.hidden and self.category[path] != "package-cache"

    def essential_bytes(self):
        return sum(r.size for p, r in self.files.items() if self.essential(p))


def load_plan_images(archives):
    """Read every image; each distinct layer blob is parsed once (keyed by the sha256 of its
    stored bytes). Returns (names, image_layers, layers, trees): image_layers[i] lists the
    distinct layer indices of image i, trees[i] is its final merged tree (path -> Rec)."""
    names, image_layers, layers, trees, shells = [], [], [], [], []
    by_blob, by_diff = {}, {}
    for archive in archives:
        with tarfile.open(archive) as t:
            for m in json.load(t.extractfile("manifest.json")):
                names.append((m.get("RepoTags") or [None])[0] or os.path.basename(archive))
                cfg = (json.load(t.extractfile(m["Config"])).get("config") or {})
                shells.append(is_shell_command((cfg.get("Entrypoint") or []) + (cfg.get("Cmd") or [])))
                tree, mine = {}, []
                for pos, lpath in enumerate(m["Layers"]):
                    f = t.extractfile(lpath)
                    h = hashlib.sha256()
                    for chunk in iter(lambda: f.read(1 << 20), b""):
                        h.update(chunk)
                    layer = by_blob.get(h.hexdigest())
                    if layer is None:
                        f.seek(0)
                        entries, wh, opq, st = read_layer(f, pos, tree)
                        layer = by_diff.get(st["diff_id"])
                        if layer is None:  # same diff_id stored differently: keep the first
                            layer = PlanLayer(len(layers), entries, wh, opq, st["diff_id"])
                            layers.append(layer)
                            by_diff[st["diff_id"]] = layer
                        by_blob[h.hexdigest()] = layer
                    apply_layer(tree, layer.entries, layer.whiteouts, layer.opaques)
                    if len(names) - 1 not in layer.users:
                        layer.users.append(len(names) - 1)
                    mine.append(layer.index)
                image_layers.append(mine)
                trees.append(tree)
    return names, image_layers, layers, trees, shells


SHELLS = {"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "fish", "busybox", "csh", "tcsh"}


def is_shell_command(words):
    """A `shell` image by its command alone: none, or a shell with no script or program."""
    if not words:
        return True
    return words[0].rsplit("/", 1)[-1] in SHELLS and len(words) == 1


# The risk of removing a file of each category (hidden files are always "safe").
RISK = {"package-cache": "safe", "temp": "safe", "docs": "rebuild", "debug-symbols": "rebuild",
        "vcs": "rebuild", "headers": "risky", "toolchain": "risky", "python-bytecode": "risky",
        "tests": "risky"}


def plan(archives):
    names, image_layers, layers, trees, shells = load_plan_images(archives)

    # Hidden everywhere: no user's final tree holds the very entry the layer wrote.
    for L in layers:
        L.hidden = {p for p, r in L.files.items()
                    if not any(trees[i].get(p) is r for i in L.users)}
    claims = {}  # (distinct layer, path) -> size

    # trim, one per (layer, risk): a hidden file is safe whatever its path (a hidden cache file
    # keeps its category); a layer some shell image uses offers no toolchain or header trim.
    trim = []
    risk_claims = {"safe": {}, "rebuild": {}, "risky": {}}
    for L in layers:
        for_shell = any(shells[i] for i in L.users)
        per = {r: {"cats": {}, "hidden_bytes": 0} for r in ("safe", "rebuild", "risky")}
        for p, r in L.files.items():
            c = L.category[p]
            if p in L.hidden:
                risk, cat = "safe", (c if c == "package-cache" else None)
            elif c is not None and not (for_shell and c in ("toolchain", "headers")):
                risk, cat = RISK[c], c
            else:
                continue
            if cat is None:
                per[risk]["hidden_bytes"] += r.size
            else:
                per[risk]["cats"][cat] = per[risk]["cats"].get(cat, 0) + r.size
            claims[(L.index, p)] = r.size
            risk_claims[risk][(L.index, p)] = r.size
        entry = {}
        for risk, t in per.items():
            entry[risk] = {"total": sum(t["cats"].values()) + t["hidden_bytes"],
                           "hidden_bytes": t["hidden_bytes"],
                           "categories": {c: t["cats"][c] for c in PLAN_CATEGORIES if c in t["cats"]}}
        entry["total"] = sum(entry[r]["total"] for r in ("safe", "rebuild", "risky"))
        entry["hidden_bytes"] = sum(entry[r]["hidden_bytes"] for r in ("safe", "rebuild", "risky"))
        entry["categories"] = {}
        for r in ("safe", "rebuild", "risky"):
            for c, b in entry[r]["categories"].items():
                entry["categories"][c] = entry["categories"].get(c, 0) + b
        trim.append(entry)

    # dedup
    owner = {}  # id(Rec) -> distinct layer index (Recs are shared by all users of a layer)
    for L in layers:
        for r in L.files.values():
            owner[id(r)] = L.index
    dedup = [{"copies": 0, "bytes": 0} for _ in layers]
    dedup_claims = set()
    for i, tree in enumerate(trees):
        groups = defaultdict(list)
        for r in tree.values():
            if r.kind == "f" and not r.hardlink and r.size > 0:
                groups[(r.sha, r.size)].append(r)
        for group in groups.values():
            if len(group) < 2:
                continue
            ranked = sorted(group, key=lambda r: (image_layers[i].index(owner[id(r)]), r.path))
            for r in ranked[1:]:
                key = (owner[id(r)], r.path)
                if key not in dedup_claims:
                    dedup_claims.add(key)
                    dedup[key[0]]["copies"] += 1
                    dedup[key[0]]["bytes"] += r.size
                    claims[key] = r.size
                    risk_claims["safe"][key] = r.size

    # rebase
    rebase = [None] * len(layers)
    if len(names) >= 2:
        holders = defaultdict(set)  # content -> distinct layers with a file of that content
        for L in layers:
            for r in L.files.values():
                holders[(r.sha, r.size)].add(L.index)
        essential = [L.essential_bytes() for L in layers]
        for L in layers:
            own = {d for i in L.users for d in image_layers[i]}
            E = essential[L.index]
            if E == 0:
                continue
            ME, n_matched, credit, kept = 0, 0, defaultdict(int), set()
            for p, r in L.files.items():
                if not L.essential(p):
                    continue
                outside = holders[(r.sha, r.size)] - own
                if not outside:
                    kept.add(p)
                    continue
                ME += r.size
                n_matched += 1
                for M in outside:
                    credit[M] += r.size
            if not credit or ME < REBASE_SHARE * E:
                continue
            T = min(credit, key=lambda M: (-credit[M], M))
            nT, nL = len(layers[T].users), len(L.users)
            stays_over = nT > nL or (nT == nL and T < L.index)
            if credit[T] < REBASE_MIN_COVERAGE * essential[T] or not stays_over:
                continue
            claimed = 0
            for p, r in L.files.items():
                if p not in kept:
                    claims[(L.index, p)] = r.size
                    risk_claims["rebuild"][(L.index, p)] = r.size
                    claimed += r.size
            rebase[L.index] = {"essential_bytes": E, "matched_essential_bytes": ME,
                               "matched_essential_files": n_matched, "claimed_bytes": claimed,
                               "target": T, "target_diff_id": layers[T].diff_id,
                               "target_credit": credit[T], "target_essential_bytes": essential[T]}

    out_layers = [{"index": L.index, "diff_id": L.diff_id, "users": [names[i] for i in L.users],
                   "bytes": L.bytes, "trim": trim[L.index], "dedup": dedup[L.index],
                   "rebase": rebase[L.index]} for L in layers]
    rebase_claimed = sum(r["claimed_bytes"] for r in rebase if r)
    return {"images": [{"name": n, "layers": ls} for n, ls in zip(names, image_layers)],
            "node_cost": sum(L.bytes for L in layers), "layers": out_layers,
            "totals": {"trim": sum(t["total"] for t in trim),
                       "dedup": sum(d["bytes"] for d in dedup), "rebase": rebase_claimed},
            "rebase_claimed": rebase_claimed, "total_claimed": sum(claims.values()),
            "shell_images": [n for n, sh in zip(names, shells) if sh],
            "by_risk": {"safe": sum(risk_claims["safe"].values()),
                        "rebuild": sum(risk_claims["rebuild"].values()),
                        "cumulative_rebuild": sum({**risk_claims["safe"],
                                                   **risk_claims["rebuild"]}.values())}}


def plan_summary(res, f):
    print(f"== plan: {len(res['images'])} images, {len(res['layers'])} distinct layers, "
          f"node_cost {res['node_cost']} ({mib(res['node_cost']).strip()})", file=f)
    for i, im in enumerate(res["images"]):
        print(f"  image {i}: {im['name']}  layers {im['layers']}", file=f)
    print("   L diff_id      users        bytes   trim_total  trim_hidden  dedup(copies/bytes)"
          "  rebase E / ME / claimed -> T", file=f)
    for L in res["layers"]:
        t, d, r = L["trim"], L["dedup"], L["rebase"]
        reb = (f"{r['essential_bytes']} / {r['matched_essential_bytes']} / {r['claimed_bytes']}"
               f" -> L{r['target']}") if r else "-"
        print(f"  {L['index']:>2} {L['diff_id'][7:19]} {len(L['users']):>5} {L['bytes']:>12} "
              f"{t['total']:>12} {t['hidden_bytes']:>12} {d['copies']:>6}/{d['bytes']:<12}  {reb}",
              file=f)
        if t["categories"]:
            print("      trim: " + ", ".join(f"{c} {b}" for c, b in t["categories"].items()),
                  file=f)
    tot = res["totals"]
    print(f"  totals: trim {tot['trim']}, dedup {tot['dedup']}, rebase {tot['rebase']}; "
          f"total_claimed (union) {res['total_claimed']} ({mib(res['total_claimed']).strip()})",
          file=f)


def compare(res, report_path):
    """Compare this count with an imgscope `--json` report of the same archives, in the same
    order: node cost, every action's node saving, and the plan's total. Returns the mismatches."""
    with open(report_path) as f:
        report = json.load(f)
    by_id = {l["diff_id"]: l for l in res["layers"]}
    bad = []

    def check(what, got, want):
        ok = got == want
        print(f"{'ok  ' if ok else 'DIFF'} {what}: imgscope {got}, independent {want}")
        if not ok:
            bad.append(what)

    totals = report["plan_totals"]
    check("node cost", totals["node_cost_bytes"], res["node_cost"])
    # A slim action rests on the entrypoint's closure, which this count does not compute (check it
    # against ldd in the image's root filesystem instead): with one, the union total differs.
    slim = [a for a in report["plan"] if a["action"] == "slim"]
    if slim:
        print(f"skip plan total: {len(slim)} slim action(s) in the report")
    else:
        check("plan total (union)", totals["node_saving_bytes"], res["total_claimed"])
    for k, a in enumerate(report["plan"], 1):
        if a["action"] == "slim":
            continue
        layers = [by_id[d] for d in a["layers"]]
        if a["action"] == "trim":
            want = layers[0]["trim"][a["risk"]]["total"]
        elif a["action"] == "dedup":
            want = layers[0]["dedup"]["bytes"]
        else:
            want = sum((l["rebase"] or {}).get("claimed_bytes", 0) for l in layers)
        check(f"action {k} {a['action']} {a.get('risk', '')} {a['layers'][0][7:19]}",
              a["node_saving_bytes"], want)
    # Per risk: slim actions are risky, so the safe and rebuild classes hold no slim and are
    # checked exactly, each file once (and safe and rebuild together).
    by_risk = totals["by_risk"]
    check("by_risk safe", by_risk["safe"]["node_saving_bytes"], res["by_risk"]["safe"])
    check("by_risk rebuild", by_risk["rebuild"]["node_saving_bytes"], res["by_risk"]["rebuild"])
    check("by_risk safe+rebuild (cumulative)", by_risk["rebuild"]["cumulative_node_saving_bytes"],
          res["by_risk"]["cumulative_rebuild"])
    # Shell images: no slim, no toolchain or header trim.
    roles = {im["name"]: im["role"] for im in report["images"]}
    for name in res["shell_images"]:
        check(f"role of {name}", roles.get(name), "shell")
        offered = [a for a in report["plan"] if name in a["images"] and (
            a["action"] == "slim" or any(c["category"] in ("toolchain", "headers")
                                         for c in a["detail"].get("categories", [])))]
        check(f"no slim or toolchain trim for shell image {name}", len(offered), 0)
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--summary", action="store_true", help="also print tables on stderr")
    ap.add_argument("--plan", action="store_true",
                    help="print an independent count of imgscope's trim plan instead")
    ap.add_argument("--against", metavar="REPORT.json",
                    help="with --plan: compare with imgscope's --json report of the same archives "
                         "(exit 1 on any difference)")
    ap.add_argument("archives", nargs="+")
    args = ap.parse_args()
    if args.plan:
        res = plan(args.archives)
        if args.against:
            sys.exit(1 if compare(res, args.against) else 0)
        json.dump(res, sys.stdout, indent=1)
        print()
        if args.summary:
            plan_summary(res, sys.stderr)
        return
    images, visibles = [], []
    for path in args.archives:
        with tarfile.open(path) as t:
            for m in json.load(t.extractfile("manifest.json")):
                im, vis = analyse_image(path, t, m)
                images.append(im)
                visibles.append(vis)
    uses = defaultdict(list)
    for im in images:
        for st in im["layers"]:
            if im["name"] not in uses[st["diff_id"]]:
                uses[st["diff_id"]].append(im["name"])
    res = {"trim_prefixes": list(TRIM_PREFIXES), "images": images,
           "cross": cross(images, visibles), "layer_uses": dict(uses)}
    json.dump(res, sys.stdout, indent=1)
    print()
    if args.summary:
        summary(res, sys.stderr)


if __name__ == "__main__":
    main()
