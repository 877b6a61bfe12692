#!/usr/bin/env python3
"""Build a node-sized image set for scripts/bench-node: one `docker save`-style archive holding
the realistic images (scripts/realistic-images) and VARIANTS more, each an app layer of its own
(seeded random files, 4-24 MB) on one of them — as a node runs many apps on few bases. Layers
are stored once (a multi-image docker archive), so `docker load`, `podman load` and
`ctr images import` take the whole set in one go.

Usage: scripts/node-set.py [--from DIR] [--variants 16] [--seed 1] -o OUT.tar
"""

import argparse
import hashlib
import io
import json
import os
import random
import sys
import tarfile

BASES = ["base", "redis", "postgres", "app-python"]
ORIGINALS = ["base", "redis", "postgres", "redis-ownbase", "redis-slim", "app-python"]


def app_layer(seed, index):
    """A layer tar of a few seeded random files under /srv/app-INDEX/."""
    rng = random.Random(seed * 1000 + index)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for d in ["srv", f"srv/app-{index}"]:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        total = rng.randint(4, 24) * 1024 * 1024
        n = rng.randint(3, 12)
        for f in range(n):
            size = total // n
            data = rng.randbytes(size)
            info = tarfile.TarInfo(f"srv/app-{index}/part-{f}.bin")
            info.size = size
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--from", dest="src", default="/work/scratch/realistic")
    p.add_argument("--variants", type=int, default=16)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-o", "--out", required=True)
    a = p.parse_args()

    images = {}  # name -> (config dict, [layer member names], source tar path)
    for name in ORIGINALS:
        path = os.path.join(a.src, f"{name}.tar")
        if not os.path.exists(path):
            sys.exit(f"node-set: {path} is missing: run scripts/realistic-images first")
        with tarfile.open(path) as t:
            m = json.load(t.extractfile("manifest.json"))[0]
            config = json.load(t.extractfile(m["Config"]))
            images[name] = (config, m["Layers"], path, m["RepoTags"][0])

    tmp = a.out + ".part"
    written = set()
    manifest = []
    with tarfile.open(tmp, "w", format=tarfile.GNU_FORMAT) as out:

        def add_bytes(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            out.addfile(info, io.BytesIO(data))

        def add_image(tag, config, layer_names):
            raw = json.dumps(config, separators=(",", ":")).encode()
            cname = hashlib.sha256(raw).hexdigest() + ".json"
            if cname not in written:
                add_bytes(cname, raw)
                written.add(cname)
            manifest.append({"Config": cname, "RepoTags": [tag], "Layers": layer_names})

        for name in ORIGINALS:
            config, layers, path, tag = images[name]
            with tarfile.open(path) as t:
                for layer in layers:
                    if layer in written:
                        continue
                    member = t.getmember(layer)
                    out.addfile(member, t.extractfile(member))
                    written.add(layer)
            add_image(tag, config, layers)
        for k in range(a.variants):
            parent = BASES[k % len(BASES)]
            config, layers, _, _ = images[parent]
            layer = app_layer(a.seed, k)
            diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
            lname = diff_id[7:] + ".tar"
            add_bytes(lname, layer)
            written.add(lname)
            config = json.loads(json.dumps(config))
            config["rootfs"]["diff_ids"].append(diff_id)
            config.setdefault("history", []).append(
                {"created_by": f"COPY app-{k} /srv/app-{k}", "created": "2026-01-01T00:00:00Z"}
            )
            add_image(f"docker.io/bench/app-{k}:1", config, layers + [lname])
        add_bytes("manifest.json", json.dumps(manifest).encode())
    os.replace(tmp, a.out)
    print(f"node-set: {len(manifest)} images in {a.out} ({os.path.getsize(a.out) / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
