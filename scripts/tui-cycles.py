#!/usr/bin/env python3
"""The viewer's import circles: which module of src/tui uses which (`super::x`, `crate::tui::x`,
`use super::{x, y}`; `views/` counted as one module; comments and test modules left out), and every
circle among them (strongly connected components of more than one module). With --check, fails
when there is one: the screen state (`app`, `screen`), the plain data (`action`, `keys`) and what
changes or draws it (`update`, `*_update`, `views`) must stay layered."""
import glob, os, re, sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "src", "tui")


def code_of(path):
    text = open(path).read()
    text = re.split(r"#\[cfg\(test\)\]\n(?:pub\(crate\) )?mod tests", text)[0]
    return "\n".join(l.split("//")[0] for l in text.splitlines())


def uses(code):
    found = set(re.findall(r"(?:super|crate::tui)::([a-z_]+)", code))
    for group in re.findall(r"use (?:super|crate::tui)::\{([^}]*)\}", code, re.S):
        for item in re.split(r",\s*", group):
            item = item.strip().split("::")[0]
            if item:
                found.add(item)
    return found


modules = {}
for path in glob.glob(os.path.join(ROOT, "*.rs")):
    name = os.path.basename(path)[:-3]
    if name != "mod":
        modules[name] = uses(code_of(path))
views = set()
for path in glob.glob(os.path.join(ROOT, "views", "*.rs")):
    code = code_of(path)
    views |= set(re.findall(r"crate::tui::([a-z_]+)", code))
    views |= set(re.findall(r"super::super::([a-z_]+)", code))
modules["views"] = views
for name in modules:
    modules[name] = {m for m in modules[name] if m in modules and m != name}

# Tarjan's strongly connected components.
index, low, stack, on, circles = {}, {}, [], set(), []
counter = [0]


def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in sorted(modules[v]):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop()
            on.discard(w)
            component.append(w)
            if w == v:
                break
        if len(component) > 1:
            circles.append(sorted(component))


for v in sorted(modules):
    if v not in index:
        visit(v)
for name in sorted(modules):
    print(f"{name} -> {', '.join(sorted(modules[name])) or '-'}")
for c in circles:
    print(f"circle: {' <-> '.join(c)}", file=sys.stderr)
if "--check" in sys.argv and circles:
    sys.exit(1)
