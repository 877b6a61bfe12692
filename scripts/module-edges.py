#!/usr/bin/env python3
"""The core's import drawing: which top-level module of crates/imgscope-core uses which, from the
`crate::` paths in its files (`use crate::x`, `crate::x::…` in code, `super::super::x`), with
comments and doc comments left out. With --check, fails when an edge goes from a lower stage to a
higher one (the order is STAGES below; modules not listed are utilities any stage may use)."""
import os, re, sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(__file__), "..", "crates", "imgscope-core", "src")
# Lowest first. A module may use modules of its own stage or lower ones.
STAGES = [
    {"text", "allocator", "atomic_write", "cache_dir", "untrusted_sqlite", "project_file"},
    {"packages/parsers"},
    {"model"},
    {"decode"},
    {"source"},
    {"analysis", "packages/ownership"},
    {"pipeline"},
    {"diff", "gate", "report"},
    {"history"},
]

def module_of(rel):
    parts = rel.split(os.sep)
    top = parts[0][:-3] if parts[0].endswith(".rs") else parts[0]
    if top == "packages":
        return "packages/ownership" if parts[-1] == "ownership.rs" else "packages/parsers"
    return top

def target_of(path):
    top = path.split("::")[0]
    if top == "packages":
        rest = path.split("::")[1:2]
        # `packages::{Packages, Package, analyze}` are ownership's, re-exported.
        owned = [["ownership"], ["Packages"], ["Package"], ["analyze"]]
        return "packages/ownership" if rest in owned else "packages/parsers"
    return top

def stage(m):
    for i, s in enumerate(STAGES):
        if m in s:
            return i
    return None

edges = defaultdict(set)
for dirpath, _, names in os.walk(ROOT):
    for n in names:
        if not n.endswith(".rs"):
            continue
        path = os.path.join(dirpath, n)
        rel = os.path.relpath(path, ROOT)
        if rel == "lib.rs":
            continue
        src = module_of(rel)
        text = open(path).read()
        # Test modules may reach anywhere.
        text = re.split(r"#\[cfg\(test\)\]\n(?:pub\(crate\) )?mod tests", text)[0]
        code = "\n".join(l.split("//")[0] for l in text.splitlines())
        for m in re.finditer(r"crate::([a-z_]+(?:::[A-Za-z_]+)?)", code):
            tgt = target_of(m.group(1))
            if tgt != src and os.path.exists(os.path.join(ROOT, tgt.split("/")[0])) or os.path.exists(os.path.join(ROOT, tgt.split("/")[0] + ".rs")):
                if tgt != src:
                    edges[src].add((tgt, rel))
        # use crate::{a, b} groups
        for m in re.finditer(r"use crate::\{([^}]*)\}", code, re.S):
            for item in re.split(r",\s*", m.group(1)):
                item = item.strip()
                if item:
                    tgt = target_of(item)
                    if tgt != src:
                        edges[src].add((tgt, rel))

bad = []
for src in sorted(edges):
    targets = defaultdict(list)
    for tgt, rel in edges[src]:
        targets[tgt].append(rel)
    for tgt in sorted(targets):
        s, t = stage(src), stage(tgt)
        up = s is not None and t is not None and t > s
        mark = "  UP" if up else ""
        print(f"{src} -> {tgt}{mark}  ({', '.join(sorted(set(targets[tgt]))[:3])})")
        if up:
            bad.append((src, tgt))
if "--check" in sys.argv and bad:
    print(f"{len(bad)} edge(s) from a lower stage to a higher one", file=sys.stderr)
    sys.exit(1)
