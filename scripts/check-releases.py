#!/usr/bin/env python3
"""check-releases - count what every release of scripts/release-series' two series costs a node,
independently of imgscope (Python's tarfile reading the docker-archive manifest and layer tars
directly), and compare with `imgscope releases --json` to the byte.

For each release after the first: the layers the previous release lacks (by the sha256 of the
uncompressed layer tar, computed here), their uncompressed bytes (tar-header sizes of regular
files), their compressed bytes (the layer blob as stored in the archive), and of the uncompressed
bytes those of files whose content (sha256 and size, paths ignored) some layer of the previous
release holds. Then the series' totals and mean (rounded down), and:
  - bad series: every release pulls the dependency layer again with >= 99 % of its bytes already
    on the node, and the plan has a stabilize action for it whose per-release saving is the
    layer's already-had bytes over the releases;
  - good series: every release pulls only its last (source) layer, and no stabilize action;
  - the gate: `imgscope --ci --baseline good-(N-1) --max-pull 1MB bad-N` fails (exit 1) naming
    the dependency layer and its command.

With --history, also records each bad release (`imgscope record`) into DIR/history.db (made
afresh) and compares `imgscope releases NAME --from DB --json` with the count: the pulls must be
the same to the byte; the already-had bytes are estimates from the recorded fingerprints, printed
beside the count (the dependency layer must be within 1 %).

Usage: scripts/check-releases.py [--imgscope BIN] [--releases N] [--history] [DIR]
       (DIR default /var/tmp/imgscope-releases; BIN default imgscope on PATH)
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile

DEPS_MARK = "pip install"


def read_archive(path):
    """(name, layers): each layer as dict(id, size, compressed, files=[(sha256, size, path)])."""
    with tarfile.open(path) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        if len(manifest) != 1:
            sys.exit(f"{path}: expected one image, found {len(manifest)}")
        m = manifest[0]
        layers = []
        for member in m["Layers"]:
            info = outer.getmember(member)
            blob = outer.extractfile(info)
            h = hashlib.sha256()
            # Hash the uncompressed stream as it is read: wrap the file object.
            inner = tarfile.open(fileobj=blob, mode="r|*")
            size = 0
            files = []
            for e in inner:
                if e.isreg():
                    size += e.size
                    if e.size > 0:
                        data = inner.extractfile(e).read()
                        files.append((hashlib.sha256(data).hexdigest(), e.size, "/" + e.name.lstrip("./")))
            inner.close()
            # The layer's identity: sha256 of its uncompressed tar, read again whole.
            blob = outer.extractfile(info)
            raw = blob.read()
            if raw[:2] == b"\x1f\x8b":
                import gzip
                raw = gzip.decompress(raw)
            h.update(raw)
            layers.append(dict(id="sha256:" + h.hexdigest(), size=size,
                               compressed=info.size, files=files))
        return (m.get("RepoTags") or [path])[0], layers


def count(archives):
    rels = [read_archive(a) for a in archives]
    rows = []
    for k in range(1, len(rels)):
        prev, cur = rels[k - 1][1], rels[k][1]
        have_ids = {l["id"] for l in prev}
        had = {(h, s) for l in prev for (h, s, _) in l["files"]}
        seen = set()
        pulled = []
        for i, l in enumerate(cur):
            if l["id"] in have_ids or l["id"] in seen:
                continue
            seen.add(l["id"])
            already = sum(s for (h, s, _) in l["files"] if (h, s) in had)
            pulled.append(dict(index=i, size=l["size"], compressed=l["compressed"], already=already))
        rows.append(dict(
            image=rels[k][0],
            pull=sum(p["size"] for p in pulled),
            compressed=sum(p["compressed"] for p in pulled),
            already=sum(p["already"] for p in pulled),
            layers=pulled))
    return rels, rows


def imgscope_json(binary, archives):
    out = subprocess.run([binary, "releases", "--json", *archives], capture_output=True, check=True)
    return json.loads(out.stdout)


def compare(label, rels, rows, doc):
    bad = 0
    got = doc["releases"]["per_release"]
    print(f"{label}: {len(rels)} releases")
    print(f"  {'#':>2} {'release':<32} {'pull':>12} {'compressed':>12} {'already had':>12} {'share':>7}  layers  imgscope")
    if got[0]["pull_bytes"] is not None:
        print("  MISMATCH: the first release has a pull"); bad += 1
    for k, r in enumerate(rows, start=1):
        g = got[k]
        mine = (r["pull"], r["compressed"], r["already"], [p["index"] for p in r["layers"]])
        theirs = (g["pull_bytes"], g["pull_compressed_bytes"], g["already_had_bytes"],
                  [l["index"] for l in g["changed_layers"]])
        ok = mine == theirs
        bad += not ok
        share = r["already"] / r["pull"] if r["pull"] else 0
        print(f"  {k:>2} {r['image']:<32} {r['pull']:>12} {r['compressed']:>12} {r['already']:>12} "
              f"{share:>7.2%}  {','.join(map(str, mine[3])):<6}  {'same' if ok else 'MISMATCH ' + str(theirs)}")
    n = len(rows)
    tot = (sum(r["pull"] for r in rows), sum(r["compressed"] for r in rows), sum(r["already"] for r in rows))
    for key, t in (("total", tot), ("mean", tuple(x // n for x in tot))):
        g = doc["releases"][key]
        theirs = (g["pull_bytes"], g["pull_compressed_bytes"], g["already_had_bytes"])
        ok = theirs == t
        bad += not ok
        print(f"  {key:<5} pull {t[0]} compressed {t[1]} already had {t[2]}: {'same' if ok else 'MISMATCH ' + str(theirs)}")
    return bad


def stabilize_actions(doc):
    return [a for a in doc["plan"] if a["action"] == "stabilize"]


def check_history(a, archives):
    db = os.path.join(a.dir, "history.db")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    for x in archives:
        subprocess.run([a.imgscope, "record", x, "--into", db, "--name", "realistic/bad"],
                       capture_output=True, check=True)
    out = subprocess.run([a.imgscope, "releases", "realistic/bad", "--from", db, "--json"],
                         capture_output=True, check=True)
    doc = json.loads(out.stdout)
    _, rows = count(archives)
    bad = 0
    print(f"history ({db}): releases realistic/bad --from DB, estimated {doc['releases']['estimated']}")
    print(f"  {'#':>2} {'pull':>12} {'compressed':>12} {'already had':>12} {'estimated':>12}  deps layer had / estimated")
    for k, r in enumerate(rows, start=1):
        g = doc["releases"]["per_release"][k]
        same = (g["pull_bytes"], g["pull_compressed_bytes"]) == (r["pull"], r["compressed"])
        deps = max(r["layers"], key=lambda p: p["size"])
        gd = next(l for l in g["changed_layers"] if l["index"] == deps["index"])
        close = gd["already_had_bytes"] is not None and abs(gd["already_had_bytes"] - deps["already"]) <= 0.01 * deps["size"]
        bad += not (same and close)
        print(f"  {k:>2} {r['pull']:>12} {r['compressed']:>12} {r['already']:>12} {g['already_had_bytes']:>12}  "
              f"{deps['already']} / {gd['already_had_bytes']}  {'pulls same' if same else 'PULL MISMATCH'}"
              f"{'' if close else '  ESTIMATE OFF'}")
    acts = stabilize_actions(doc)
    print(f"  stabilize from the history: " + "; ".join(f"{x['per_release_saving_bytes']} B per release" for x in acts))
    bad += len(acts) != 1
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir", nargs="?", default="/var/tmp/imgscope-releases")
    ap.add_argument("--imgscope", default="imgscope")
    ap.add_argument("--releases", type=int, default=5)
    ap.add_argument("--history", action="store_true")
    a = ap.parse_args()
    n = a.releases
    series = {s: [os.path.join(a.dir, f"{s}-{k}.tar") for k in range(1, n + 1)] for s in ("bad", "good")}
    bad = 0
    for s, archives in series.items():
        rels, rows = count(archives)
        doc = imgscope_json(a.imgscope, archives)
        bad += compare(s, rels, rows, doc)
        acts = stabilize_actions(doc)
        last_layers = len(rels[-1][1])
        if s == "bad":
            # The dependency layer: the last one, whose command says pip install.
            deps = last_layers - 1
            for k, r in enumerate(rows, start=1):
                d = [p for p in r["layers"] if p["index"] == deps]
                if not d or d[0]["already"] < 0.99 * d[0]["size"]:
                    print(f"  FAIL: bad release {k} does not re-pull the dependency layer with >= 99% already had")
                    bad += 1
            saving = sum(p["already"] for r in rows for p in r["layers"] if p["index"] == deps) // len(rows)
            ok = len(acts) == 1 and acts[0]["per_release_saving_bytes"] == saving \
                and DEPS_MARK in acts[0]["why"] and acts[0]["risk"] == "rebuild"
            bad += not ok
            print(f"  stabilize: expected one, saving {saving} B per release; imgscope: "
                  + "; ".join(f"{x['per_release_saving_bytes']} B per release, risk {x['risk']}: {x['why'][:160]}…" for x in acts)
                  + ("" if ok else "  MISMATCH"))
        else:
            only_code = all([p["index"] for p in r["layers"]] == [last_layers - 1] for r in rows)
            ok = only_code and not acts
            bad += not ok
            print(f"  good: every release pulls only layer {last_layers - 1} (the source): {only_code}; "
                  f"stabilize actions: {len(acts)}" + ("" if ok else "  MISMATCH"))
    # The gate.
    args = [a.imgscope, "--ci", "--baseline", series["good"][-2], "--max-pull", "1MB", series["bad"][-1]]
    out = subprocess.run(args, capture_output=True, text=True)
    line = next((l for l in out.stdout.splitlines() if "max-pull" in l and ("FAIL" in l or "PASS" in l)), "")
    ok = out.returncode == 1 and "FAIL" in line and DEPS_MARK in line
    bad += not ok
    print(f"gate: {' '.join(os.path.basename(x) for x in args[1:])}: exit {out.returncode}")
    print(f"  {line.strip()}" + ("" if ok else "  MISMATCH"))
    if a.history:
        bad += check_history(a, series["bad"])
    print("OK: imgscope and the independent count agree" if bad == 0 else f"FAILED: {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
