#!/usr/bin/env python3
"""imagegen.py - deterministic synthetic container image writer (library + CLI).

Owns: writing container images for imgscope's tests, samples and benchmarks.
Python 3 stdlib only.  Same arguments => byte-identical output (fixed mtimes,
uid/gid 0, sorted layer entries, gzip header mtime 0 and no file name, PRNG
seeded from --seed).

Output formats
  docker-archive  legacy `docker save`: <id>/layer.tar, <config-hex>.json,
                  manifest.json (Config/RepoTags/Layers), repositories
  docker25        Docker 25+/containerd `docker save`: OCI layout (oci-layout,
                  index.json, blobs/sha256/*) plus manifest.json and
                  repositories whose paths point into blobs/sha256/
  oci-archive     tar of an OCI image layout (no manifest.json)
  oci-dir         the same OCI image layout as a directory

Layers are streamed: each layer tar goes to a temp file while being hashed
(and compressed), then is copied into the output; no layer is held in memory.

CLI (synthetic content model):
  python3 scripts/imagegen.py --format docker25 --compression gzip \\
      --layers 8 --files 60000 --size 1.2G --seed 1 --tag bench/big:1 -o /tmp/big.tar

Python API (hand-crafted layers), see write_image() and analyze_layers():
  import imagegen
  layers = [{"created_by": "ADD rootfs / # buildkit",
             "entries": [{"path": "bin/busybox", "data": b"...", "mode": 0o755},
                         {"path": "bin/sh", "type": "symlink", "linkname": "busybox"}]},
            {"created_by": "RUN /bin/sh -c rm -rf /tmp/x",
             "entries": [{"path": "tmp/x", "type": "whiteout"}]}]
  imagegen.write_image("/tmp/img.tar", layers, fmt="oci-archive", compression="gzip")

Entry dict keys: path (no leading "/"), type (file|dir|symlink|hardlink|
whiteout|opaque, default file), data (bytes | str | Content | zero-arg callable
returning an iterable of byte chunks | one-shot iterable), size (required for
callables/iterables), mode, linkname (symlink/hardlink), mtime, uid, gid.
A whiteout's path is the path being deleted (NAME -> .wh.NAME is derived);
an opaque entry's path is the directory made opaque (.wh..wh..opq is added).
Missing parent directories are added automatically, like real layers have.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

EPOCH = 1704067200  # 2024-01-01T00:00:00Z: mtime of every entry unless given
CREATED = "2024-01-01T00:00:00Z"
DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

FORMATS = ("docker-archive", "docker25", "oci-archive", "oci-dir")
COMPRESSIONS = ("none", "gzip", "zstd")

MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}

COPY_CHUNK = 1 << 20


# --------------------------------------------------------------------------
# Cheap deterministic file content
# --------------------------------------------------------------------------

POOL_SIZE = 4 << 20  # > zstd's default 2 MiB window, >> gzip's 32 KiB window
_POOL: memoryview | None = None


def _pool() -> memoryview:
    """A fixed 4 MiB block of token soup that gzips about 2.3x."""
    global _POOL
    if _POOL is None:
        r = random.Random(0x1D6E5C0E)
        vocab = [r.randbytes(r.randint(2, 14)) for _ in range(4096)]
        cum, acc = [], 0.0
        for i in range(len(vocab)):
            acc += 1.0 / (i + 1)  # zipf-ish token frequencies
            cum.append(acc)
        parts, n = [], 0
        while n < POOL_SIZE:
            chunk = b"".join(r.choices(vocab, cum_weights=cum, k=1 << 16))
            parts.append(chunk)
            n += len(chunk)
        data = b"".join(parts)[:POOL_SIZE]
        _POOL = memoryview(data + data[:COPY_CHUNK])
    return _POOL


class Content:
    """`size` bytes of pseudo-random content fully determined by `key`.

    Two Content objects with equal keys and sizes produce equal bytes, so a
    shared Content (or an equal key) models a duplicated file.  The first 32
    bytes are a hash of the key, so different keys give different files.
    """

    __slots__ = ("size", "key")

    def __init__(self, size: int, key):
        self.size = int(size)
        self.key = key

    def ident(self):
        return ("content", repr(self.key), self.size)

    def chunks(self):
        if self.size <= 0:
            return
        h = hashlib.sha256(repr(self.key).encode()).digest()
        head = h[: min(32, self.size)]
        yield head
        rem = self.size - len(head)
        pos = int.from_bytes(h[8:16], "little") % POOL_SIZE
        pool = _pool()
        while rem > 0:
            n = min(rem, COPY_CHUNK)
            yield pool[pos : pos + n]
            pos = (pos + n) % POOL_SIZE
            rem -= n


def parse_size(text) -> int:
    """'1.5G', '200M', '64k', '123' -> bytes (binary multiples)."""
    if isinstance(text, int):
        return text
    s = str(text).strip().upper().rstrip("B").rstrip("I")
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if s and s[-1] in mult:
        return int(float(s[:-1]) * mult[s[-1]])
    return int(float(s))


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GiB"


# --------------------------------------------------------------------------
# Tar writing
# --------------------------------------------------------------------------

_TARTYPE = {
    "file": tarfile.REGTYPE,
    "dir": tarfile.DIRTYPE,
    "symlink": tarfile.SYMTYPE,
    "hardlink": tarfile.LNKTYPE,
}


class TarStream:
    """Minimal streaming tar writer (PAX/ustar headers, Go-style end: 2 zero blocks)."""

    def __init__(self, fobj):
        self.f = fobj
        self.pos = 0

    def _w(self, b):
        self.f.write(b)
        self.pos += len(b)

    def add(self, name, tartype=tarfile.REGTYPE, size=0, chunks=(), mode=0o644,
            linkname="", mtime=EPOCH, uid=0, gid=0):
        ti = tarfile.TarInfo(name)
        ti.type = tartype
        ti.size = size
        ti.mode = mode
        ti.mtime = int(mtime)
        ti.uid, ti.gid = uid, gid
        ti.uname = ti.gname = ""
        ti.linkname = linkname
        self._w(ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        n = 0
        for c in chunks:
            self._w(c)
            n += len(c)
        if n != size:
            raise ValueError(f"{name}: wrote {n} bytes, header says {size}")
        if size % 512:
            self._w(b"\0" * (512 - size % 512))

    def close(self):
        self._w(b"\0" * 1024)


class _HashWriter:
    """File-like writer that sha256-hashes and counts what passes through."""

    def __init__(self, f):
        self.f = f
        self.h = hashlib.sha256()
        self.n = 0

    def write(self, b):
        self.h.update(b)
        self.f.write(b)
        self.n += len(b)
        return len(b)

    def flush(self):
        pass

    def digest(self):
        return "sha256:" + self.h.hexdigest()


def _norm_path(p: str) -> str:
    p = p.strip()
    while p.startswith("/"):
        p = p[1:]
    while p.startswith("./"):
        p = p[2:]
    p = p.rstrip("/")
    if not p or p == "." or ".." in p.split("/"):
        raise ValueError(f"bad path {p!r}")
    return p


def _data_of(e):
    """-> (size, chunk-iterator factory, identity for duplicate detection)."""
    d = e.get("data", b"")
    if isinstance(d, str):
        d = d.encode()
    if isinstance(d, (bytes, bytearray, memoryview)):
        b = bytes(d)
        return len(b), (lambda: (b,)), ("bytes", hashlib.sha256(b).hexdigest())
    if isinstance(d, Content):
        return d.size, d.chunks, d.ident()
    if "size" not in e:
        raise ValueError(f"{e['path']}: 'size' is required when data is not bytes")
    if callable(d):
        return int(e["size"]), d, None
    it = iter(d)
    return int(e["size"]), (lambda: it), None


def normalize_entries(entries):
    """Turn API entries into sorted tar items, adding missing parent directories.

    Returns a list of dicts with keys: path, type, name (tar name), tartype,
    size, chunks (factory), ident, mode, linkname, mtime, uid, gid.
    """
    items = {}
    explicit_dirs = set()
    for e in entries:
        typ = e.get("type", "file")
        path = _norm_path(e["path"])
        base = dict(path=path, type=typ, mtime=e.get("mtime", EPOCH),
                    uid=e.get("uid", 0), gid=e.get("gid", 0), size=0,
                    chunks=lambda: (), ident=None, linkname="")
        if typ == "file":
            size, chunks, ident = _data_of(dict(e, path=path))
            base.update(name=path, tartype=tarfile.REGTYPE, size=size, chunks=chunks,
                        ident=ident, mode=e.get("mode", 0o644))
        elif typ == "dir":
            base.update(name=path + "/", tartype=tarfile.DIRTYPE, mode=e.get("mode", 0o755))
            explicit_dirs.add(path)
        elif typ in ("symlink", "hardlink"):
            link = e["linkname"]
            if typ == "hardlink":
                link = _norm_path(link)
            base.update(name=path, tartype=_TARTYPE[typ], linkname=link,
                        mode=e.get("mode", 0o777 if typ == "symlink" else 0o644),
                        _given=("mode",) if "mode" in e else ())
        elif typ == "whiteout":
            d, _, b = path.rpartition("/")
            if not b.startswith(".wh."):
                b = ".wh." + b
            name = f"{d}/{b}" if d else b
            base.update(path=name, name=name, tartype=tarfile.REGTYPE, mode=e.get("mode", 0),
                        target=path)
        elif typ == "opaque":
            name = path + "/.wh..wh..opq"
            base.update(path=name, name=name, tartype=tarfile.REGTYPE, mode=e.get("mode", 0),
                        target=path)
            if path not in items:
                items[path] = dict(path=path, type="dir", name=path + "/", tartype=tarfile.DIRTYPE,
                                   mode=0o755, mtime=e.get("mtime", EPOCH), uid=0, gid=0, size=0,
                                   chunks=lambda: (), ident=None, linkname="", auto=True)
        else:
            raise ValueError(f"{path}: unknown entry type {typ!r}")
        key = base["path"]
        if key in items and not (items[key].get("auto") and typ == "dir"):
            raise ValueError(f"duplicate entry {key!r} in one layer")
        items[key] = base
    # auto-add parent directories
    for key in list(items):
        parts = key.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if parent in items:
                if items[parent]["type"] != "dir":
                    raise ValueError(f"{key!r}: parent {parent!r} is not a directory")
                continue
            items[parent] = dict(path=parent, type="dir", name=parent + "/", tartype=tarfile.DIRTYPE,
                                 mode=0o755, mtime=EPOCH, uid=0, gid=0, size=0,
                                 chunks=lambda: (), ident=None, linkname="", auto=True)
    for it in items.values():  # a hardlink header carries its target's mode
        if it["type"] == "hardlink" and it["linkname"] in items and "mode" not in it.get("_given", ()):
            it["mode"] = items[it["linkname"]]["mode"]
    out = sorted(items.values(), key=lambda it: it["path"].split("/"))
    # hardlinks must follow their target when the target is in this layer
    index = {it["path"]: i for i, it in enumerate(out)}
    moved = [it for it in out if it["type"] == "hardlink"
             and index.get(it["linkname"], -1) > index[it["path"]]]
    for it in moved:
        out.remove(it)
        out.insert(out.index(items[it["linkname"]]) + 1, it)
    return out


def write_layer_tar(entries, fobj, normalized=False):
    """Write a layer (list of entries) as an uncompressed tar to fobj."""
    items = entries if normalized else normalize_entries(entries)
    ts = TarStream(fobj)
    for it in items:
        ts.add(it["name"], it["tartype"], it["size"], it["chunks"](), it["mode"],
               it["linkname"], it["mtime"], it["uid"], it["gid"])
    ts.close()
    return ts.pos


def _zstd_bin():
    exe = shutil.which("zstd")
    if not exe:
        raise SystemExit("imagegen: --compression zstd needs the `zstd` command "
                         "(apt-get install zstd)")
    return exe


def build_layer_blob(entries, compression="none", level=None, tmpdir=None):
    """Write one layer blob to a temp file.

    Returns dict(path, diff_id, uncompressed_size, digest, size, media_type,
    entries, files).  The caller owns (and removes/moves) the temp file.
    """
    items = normalize_entries(entries)
    fd, tmp = tempfile.mkstemp(prefix=".imagegen-", suffix=".blob", dir=tmpdir)
    try:
        with open(fd, "wb") as raw:
            if compression == "none":
                blob = _HashWriter(raw)
                write_layer_tar(items, blob, normalized=True)
                unc = blob
            elif compression == "gzip":
                blob = _HashWriter(raw)
                gz = gzip.GzipFile(filename="", mode="wb", fileobj=blob,
                                   compresslevel=6 if level is None else level, mtime=0)
                unc = _HashWriter(gz)
                write_layer_tar(items, unc, normalized=True)
                gz.close()
            elif compression == "zstd":
                lvl = 3 if level is None else level
                proc = subprocess.Popen([_zstd_bin(), "-q", "-c", "-T1", f"-{lvl}"],
                                        stdin=subprocess.PIPE, stdout=raw)
                unc = _HashWriter(proc.stdin)
                write_layer_tar(items, unc, normalized=True)
                proc.stdin.close()
                if proc.wait() != 0:
                    raise RuntimeError("zstd failed")
                blob = None
            else:
                raise ValueError(f"unknown compression {compression!r}")
        if blob is None:  # zstd: hash the compressed file after the fact
            h, n = hashlib.sha256(), 0
            with open(tmp, "rb") as f:
                while True:
                    b = f.read(COPY_CHUNK)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
            digest, size = "sha256:" + h.hexdigest(), n
        else:
            digest, size = blob.digest(), blob.n
    except BaseException:
        os.unlink(tmp)
        raise
    return dict(path=tmp, diff_id=unc.digest(), uncompressed_size=unc.n, digest=digest,
                size=size, media_type=MT_OCI_LAYER[compression], entries=len(items),
                files=sum(1 for it in items if it["type"] == "file"))


# --------------------------------------------------------------------------
# Image assembly
# --------------------------------------------------------------------------

def _jbytes(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def split_tag(tag: str):
    """'reg/name:tag' -> ('reg/name', 'tag')."""
    name, sep, t = tag.rpartition(":")
    if not sep or "/" in t:
        return tag, "latest"
    return name, t


def full_image_name(tag: str) -> str:
    name, t = split_tag(tag)
    first = name.split("/")[0]
    if "/" not in name:
        name = "docker.io/library/" + name
    elif not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + name
    return f"{name}:{t}"


class _TarSink:
    def __init__(self, path):
        self.path = path
        self.tmp = path + ".partial"
        self.f = open(self.tmp, "wb")
        self.t = TarStream(self.f)

    def mkdir(self, name):
        self.t.add(name.rstrip("/") + "/", tarfile.DIRTYPE, mode=0o755)

    def put_bytes(self, name, data: bytes):
        self.t.add(name, size=len(data), chunks=(data,))

    def put_file(self, name, src, size):
        def chunks():
            with open(src, "rb") as f:
                while True:
                    b = f.read(COPY_CHUNK)
                    if not b:
                        break
                    yield b
        self.t.add(name, size=size, chunks=chunks())
        os.unlink(src)

    def close(self):
        self.t.close()
        self.f.close()
        os.replace(self.tmp, self.path)

    def abort(self):
        self.f.close()
        os.unlink(self.tmp)


class _DirSink:
    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            if os.path.isfile(os.path.join(path, "oci-layout")):
                shutil.rmtree(path)
            elif os.listdir(path):
                raise SystemExit(f"imagegen: {path} exists and is not an OCI layout; refusing")
        os.makedirs(path, exist_ok=True)

    def mkdir(self, name):
        os.makedirs(os.path.join(self.path, name), exist_ok=True)

    def put_bytes(self, name, data):
        with open(os.path.join(self.path, name), "wb") as f:
            f.write(data)

    def put_file(self, name, src, size):
        shutil.move(src, os.path.join(self.path, name))

    def close(self):
        pass

    def abort(self):
        pass


def _chain_ids(diff_ids):
    out, prev = [], None
    for d in diff_ids:
        prev = d if prev is None else "sha256:" + hashlib.sha256(f"{prev} {d}".encode()).hexdigest()
        out.append(prev)
    return out


def _default_history(layers):
    return [{"created_by": l.get("created_by", "ADD layer.tar / # imagegen"),
             **({"comment": l["comment"]} if "comment" in l else {})} for l in layers]


def write_image(out, layers, fmt="docker-archive", compression="none", level=None,
                tag="imgscope/synthetic:latest", config=None, history=None,
                created=CREATED, tmpdir=None, labels=None):
    """Write an image with the given layers.  Returns a stats dict.

    layers:  list of {"entries": [entry...], "created_by": str, "comment": str?}
             (a bare list of entries is accepted too).
    history: full history list (dicts with created_by, optional empty_layer);
             its non-empty entries must match the layers one to one.
             Default: one entry per layer from its created_by.
    config:  the image config's "config" object (Env, Cmd, Labels, ...).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if compression not in COMPRESSIONS:
        raise ValueError(f"unknown compression {compression!r}")
    layers = [l if isinstance(l, dict) else {"entries": l} for l in layers]
    history = [dict(h) for h in (history or _default_history(layers))]
    if sum(1 for h in history if not h.get("empty_layer")) != len(layers):
        raise ValueError("history has a different number of non-empty entries than layers")
    history = [{"created": h.get("created", created), "created_by": h.get("created_by", ""),
                **({"comment": h["comment"]} if "comment" in h else {}),
                **({"empty_layer": True} if h.get("empty_layer") else {})} for h in history]
    cfg_obj = dict(config or {})
    cfg_obj.setdefault("Env", [DEFAULT_PATH_ENV])
    cfg_obj.setdefault("Cmd", ["/bin/sh"])
    cfg_obj.setdefault("Labels", dict(labels or {}))

    t0 = time.time()
    is_dir = fmt == "oci-dir"
    sink = _DirSink(out) if is_dir else _TarSink(out)
    if tmpdir is None and is_dir:
        tmpdir = out
    try:
        oci = fmt != "docker-archive"
        if oci:
            sink.mkdir("blobs")
            sink.mkdir("blobs/sha256")
        written = set()
        layer_stats = []
        parent_id = ""
        diff_ids = []
        for i, layer in enumerate(layers):
            b = build_layer_blob(layer["entries"], compression, level, tmpdir)
            diff_ids.append(b["diff_id"])
            if oci:
                name = "blobs/sha256/" + b["digest"].split(":")[1]
                if name in written:
                    os.unlink(b["path"])
                else:
                    sink.put_file(name, b["path"], b["size"])
                    written.add(name)
            else:
                lid = _chain_ids(diff_ids)[-1].split(":")[1]
                sink.mkdir(lid)
                sink.put_bytes(f"{lid}/VERSION", b"1.0")
                v1 = {"id": lid}
                if parent_id:
                    v1["parent"] = parent_id
                v1.update(created=created, container_config={"Cmd": [layer.get("created_by", "")]},
                          os="linux")
                sink.put_bytes(f"{lid}/json", _jbytes(v1))
                name = f"{lid}/layer.tar"
                sink.put_file(name, b["path"], b["size"])
                parent_id = lid
            b.pop("path")
            b["path_in_archive"] = name
            b["created_by"] = layer.get("created_by", "")
            layer_stats.append(b)

        image_config = {
            "architecture": "amd64",
            "config": cfg_obj,
            "created": history[-1]["created"] if history else created,
            "history": history,
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }
        cfg = _jbytes(image_config)
        cfg_hex = hashlib.sha256(cfg).hexdigest()
        name, t = split_tag(tag)
        stats = dict(format=fmt, compression=compression, tag=tag, config_digest="sha256:" + cfg_hex)
        if oci:
            cfg_name = f"blobs/sha256/{cfg_hex}"
            sink.put_bytes(cfg_name, cfg)
            manifest = {
                "schemaVersion": 2,
                "mediaType": MT_OCI_MANIFEST,
                "config": {"mediaType": MT_OCI_CONFIG, "digest": "sha256:" + cfg_hex, "size": len(cfg)},
                "layers": [{"mediaType": l["media_type"], "digest": l["digest"], "size": l["size"]}
                           for l in layer_stats],
            }
            mb = _jbytes(manifest)
            m_hex = hashlib.sha256(mb).hexdigest()
            sink.put_bytes(f"blobs/sha256/{m_hex}", mb)
            stats["manifest_digest"] = "sha256:" + m_hex
            index = {
                "schemaVersion": 2,
                "mediaType": MT_OCI_INDEX,
                "manifests": [{
                    "mediaType": MT_OCI_MANIFEST, "digest": "sha256:" + m_hex, "size": len(mb),
                    "annotations": {"io.containerd.image.name": full_image_name(tag),
                                    "org.opencontainers.image.ref.name": t},
                }],
            }
            sink.put_bytes("index.json", _jbytes(index))
        else:
            cfg_name = f"{cfg_hex}.json"
            sink.put_bytes(cfg_name, cfg)
        if fmt in ("docker-archive", "docker25"):
            sink.put_bytes("manifest.json", _jbytes([{
                "Config": cfg_name, "RepoTags": [tag],
                "Layers": [l["path_in_archive"] for l in layer_stats]}]))
        if oci:
            sink.put_bytes("oci-layout", _jbytes({"imageLayoutVersion": "1.0.0"}))
        if fmt in ("docker-archive", "docker25"):
            top = (parent_id if fmt == "docker-archive"
                   else layer_stats[-1]["digest"].split(":")[1] if layer_stats else "")
            sink.put_bytes("repositories", _jbytes({name: {t: top}}))
        sink.close()
    except BaseException:
        sink.abort()
        raise
    if is_dir:
        out_bytes = sum(os.path.getsize(os.path.join(dp, f))
                        for dp, _, fs in os.walk(out) for f in fs)
    else:
        out_bytes = os.path.getsize(out)
    stats.update(
        layers=layer_stats,
        layer_count=len(layer_stats),
        files=sum(l["files"] for l in layer_stats),
        entries=sum(l["entries"] for l in layer_stats),
        uncompressed_bytes=sum(l["uncompressed_size"] for l in layer_stats),
        compressed_bytes=sum(l["size"] for l in layer_stats),
        output_bytes=out_bytes,
        seconds=round(time.time() - t0, 3),
    )
    return stats


# --------------------------------------------------------------------------
# Reference analysis (what imgscope should find), used for sample facts
# --------------------------------------------------------------------------

def analyze_layers(layers):
    """Replay layers like an overlay filesystem and count waste.

    Byte counts are regular-file content bytes (not tar headers/padding).
      added_bytes          content bytes of all regular files in all layers
      final_bytes          content bytes visible in the final filesystem
      deleted_later_bytes  bytes of files removed by a later whiteout, parent
                           directory whiteout or opaque directory
      overwritten_bytes    bytes of files replaced by a later entry at the same
                           path (content change or chmod/chown copy)
      duplicate_bytes      in the final fs, bytes of every copy beyond the first
                           of identical content (hardlinks are not copies)
    added_bytes == final_bytes + deleted_later_bytes + overwritten_bytes.
    """
    fs = {}  # path -> dict(type, size, ident, layer)
    res = dict(added_bytes=0, added_files=0, deleted_later_bytes=0, deleted_later_files=0,
               overwritten_bytes=0, overwritten_files=0, whiteouts=0, opaque_dirs=0,
               symlinks=0, hardlinks=0, per_layer=[])
    deleted, overwritten = [], []

    def drop(prefix, layer, bucket, exact=True):
        v = fs.get(prefix)
        if v is None:
            return  # parents are always recorded, so nothing lives below it
        if exact and v["type"] != "dir":
            keys = [prefix]
        else:
            keys = [k for k in fs if (exact and k == prefix) or k.startswith(prefix + "/")]
        for k in keys:
            v = fs.pop(k)
            if v["type"] == "file":
                res["deleted_later_bytes"] += v["size"]
                res["deleted_later_files"] += 1
                bucket.append(dict(path=k, size=v["size"], added_in=v["layer"], removed_in=layer))

    for li, layer in enumerate(layers):
        entries = layer["entries"] if isinstance(layer, dict) else layer
        items = normalize_entries(entries)
        la = dict(layer=li, files=0, bytes=0, deleted_bytes=0, overwritten_bytes=0)
        before_del, before_ow = res["deleted_later_bytes"], res["overwritten_bytes"]
        for it in items:  # deletions apply to lower layers first
            if it["type"] == "opaque":
                res["opaque_dirs"] += 1
                drop(it["target"], li, deleted, exact=False)
            elif it["type"] == "whiteout":
                res["whiteouts"] += 1
                drop(it["target"], li, deleted)
        for it in items:
            t = it["type"]
            if t in ("opaque", "whiteout"):
                continue
            p = it["path"]
            old = fs.get(p)
            if old is not None and old["type"] == "file" and old["layer"] < li:
                res["overwritten_bytes"] += old["size"]
                res["overwritten_files"] += 1
                overwritten.append(dict(path=p, size=old["size"], added_in=old["layer"], replaced_in=li))
            if old is not None and old["type"] == "dir" and t != "dir":
                drop(p, li, deleted, exact=False)
            if t == "file":
                ident = it["ident"]
                if ident is None:
                    h = hashlib.sha256()
                    for c in it["chunks"]():
                        h.update(c)
                    ident = ("bytes", h.hexdigest())
                fs[p] = dict(type="file", size=it["size"], ident=ident, layer=li)
                res["added_bytes"] += it["size"]
                res["added_files"] += 1
                la["files"] += 1
                la["bytes"] += it["size"]
            elif t == "dir":
                if old is None or old["type"] != "dir":
                    fs[p] = dict(type="dir", size=0, ident=None, layer=li)
            else:
                res["symlinks" if t == "symlink" else "hardlinks"] += 1
                fs[p] = dict(type=t, size=0, ident=None, layer=li)
        la["deleted_bytes"] = res["deleted_later_bytes"] - before_del
        la["overwritten_bytes"] = res["overwritten_bytes"] - before_ow
        res["per_layer"].append(la)
    groups = {}
    for p, v in fs.items():
        if v["type"] == "file":
            groups.setdefault(v["ident"], []).append((p, v["size"]))
    dups = []
    for paths in groups.values():
        if len(paths) > 1 and paths[0][1] > 0:
            paths.sort()
            dups.append(dict(size=paths[0][1], paths=[p for p, _ in paths]))
    dups.sort(key=lambda d: (-d["size"] * (len(d["paths"]) - 1), d["paths"]))
    res["final_files"] = sum(1 for v in fs.values() if v["type"] == "file")
    res["final_bytes"] = sum(v["size"] for v in fs.values() if v["type"] == "file")
    res["duplicate_groups"] = len(dups)
    res["duplicate_bytes"] = sum(d["size"] * (len(d["paths"]) - 1) for d in dups)
    res["duplicates"] = dups
    res["deleted"] = deleted
    res["overwritten"] = overwritten
    return res


# --------------------------------------------------------------------------
# Synthetic content model
# --------------------------------------------------------------------------

_ROOTS0 = ["usr/lib/x86_64-linux-gnu", "usr/share/doc", "usr/share/locale", "usr/lib/pkg",
           "etc", "usr/include", "usr/share/man", "usr/lib/python3/dist-packages"]
_ROOTS = ["usr/local/lib/python3.11/site-packages", "app/node_modules", "opt/app{i}/lib",
          "usr/share/fonts", "srv/www{i}", "var/lib/app{i}", "usr/local/share/app{i}"]
_SUBDIRS = ["lib", "bin", "share", "include", "data", "locale", "tests", "docs", "src",
            "util", "core", "api", "v1", "v2", "internal", "assets", "LC_MESSAGES", "__pycache__"]
_EXTS = [".so", ".py", ".pyc", ".js", ".json", ".txt", ".h", ".mo", ".gz", ".html", ".css",
         ".dat", ".conf", ".md", ".map", ".ts"]
_STEMS = ["mod", "util", "core", "index", "data", "lib", "file", "test", "main", "conf",
          "types", "helpers", "schema", "client"]
_RUNS = [
    "RUN /bin/sh -c apt-get update && apt-get install -y --no-install-recommends libpkg{i} # buildkit",
    "COPY app/ /app/ # buildkit",
    "RUN /bin/sh -c pip install --no-cache-dir -r requirements.txt # buildkit",
    "RUN /bin/sh -c npm ci --omit=dev # buildkit",
    "ADD data.tar.gz /opt/data/ # buildkit",
    "RUN /bin/sh -c ./configure && make && make install # buildkit",
]
_EMPTY = ["ENV APP_HOME=/app", "WORKDIR /app", "LABEL org.opencontainers.image.vendor=imgscope",
          "EXPOSE map[8080/tcp:{}]", "ARG BUILD_VERSION=1.0", "USER 0:0"]


def synth_layers(n_layers=5, n_files=2000, total=50 << 20, seed=0):
    """Build a realistic synthetic layer list.  Returns (layers, history).

    Mix: many small files (100 B - 64 KiB, log-uniform) in nested package
    directories, ~1% medium files (64 KiB - 4 MiB), a few huge files that take
    the remaining byte budget (>= 40%), ~2% duplicate-content files, and across
    layers: ~2% overwrites of earlier files (new content or chmod copy), ~1%
    whiteouts, one whole-directory whiteout, one opaque directory, a huge file
    chmod-copied and another deleted later (when budget allows), symlinks and a
    hardlink.  `n_files` counts regular-file entries (whiteouts excluded).
    """
    r = random.Random(seed)
    L = max(1, int(n_layers))
    F = max(1, int(n_files))
    T = max(0, int(total))
    ck = [0]

    def new_content(size):
        ck[0] += 1
        return Content(size, (seed, ck[0]))

    def small_size():
        x = r.random()
        if x < 0.01:
            return int(math.exp(r.uniform(math.log(64 << 10), math.log(4 << 20))))
        if x < 0.71:
            return int(math.exp(r.uniform(math.log(100), math.log(8 << 10))))
        return int(math.exp(r.uniform(math.log(8 << 10), math.log(64 << 10))))

    # how many huge files (decided up front so they come out of the file count)
    n_huge = 0
    if T >= (16 << 20) and F >= 20:
        n_huge = max(1, min(8, round(0.45 * T / (100 << 20))))
    # per-layer quotas of regular-file entries
    rest = F - n_huge
    if L == 1:
        quotas = [rest]
    else:
        q0 = int(rest * 0.4)
        w = [r.uniform(0.3, 1.0) for _ in range(L - 1)]
        ws = sum(w)
        quotas = [q0] + [int((rest - q0) * x / ws) for x in w]
        quotas[-1] += rest - sum(quotas)
    huge_layer = [r.randrange(L) for _ in range(n_huge)]
    if L >= 2 and n_huge >= 2:  # huge[0] early, huge[-1] = chmod copy of it later
        huge_layer[0] = r.randrange(L - 1)
        huge_layer[-1] = r.randrange(huge_layer[0] + 1, L)
    if L >= 2 and n_huge >= 3:  # huge[1] gets deleted in a later layer
        huge_layer[1] = r.randrange(L - 1)
    opaque_layer = r.randrange(1, L) if L >= 2 else None
    dirwh_layer = r.randrange(1, L) if L >= 2 else None

    alive = {}       # path -> (Content, mode, layer)
    pkg_dirs = []    # (dir, layer)
    all_contents = []
    layer_entries = []
    pkg_counter = [0]
    huge_contents = []
    huge_by_idx = {}
    huge_to_delete = None

    def make_package(li, nfiles, ents):
        pkg_counter[0] += 1
        roots = _ROOTS0 if li == 0 else _ROOTS
        root = r.choice(roots).format(i=li)
        d = f"{root}/pkg{pkg_counter[0]:05d}"
        pkg_dirs.append((d, li))
        subs = r.sample(_SUBDIRS, 4)
        stem = r.choice(_STEMS)
        made = []
        for k in range(nfiles):
            depth = r.choice((0, 0, 1, 1, 2))
            sub = "/".join(subs[:depth] if depth < 2 else [subs[1], subs[2 + k % 2]])
            ext = r.choice(_EXTS)
            path = f"{d}/{sub}/{stem}{k}{ext}" if sub else f"{d}/{stem}{k}{ext}"
            if all_contents and r.random() < 0.02:
                c = r.choice(all_contents)  # duplicate content at another path
            else:
                c = new_content(small_size())
                all_contents.append(c)
            mode = 0o755 if (sub.endswith("bin") or ext == ".so") else 0o644
            ents.append({"path": path, "data": c, "mode": mode})
            alive[path] = (c, mode, li)
            made.append(path)
        return made

    for li in range(L):
        ents = []
        slots = quotas[li]
        touched = set()
        if li >= 1:
            earlier = [pd for pd in pkg_dirs if pd[1] < li]
            if li == dirwh_layer and earlier:
                d, _ = earlier[r.randrange(len(earlier))]
                if any(k.startswith(d + "/") for k in alive):
                    ents.append({"path": d, "type": "whiteout"})
                    for k in [k for k in alive if k.startswith(d + "/")]:
                        del alive[k]
                    touched.add(d)
                    pkg_dirs[:] = [pd for pd in pkg_dirs if pd[0] != d]
                    earlier = [pd for pd in earlier if pd[0] != d]
            if li == opaque_layer and earlier:
                d, _ = earlier[r.randrange(len(earlier))]
                ents.append({"path": d, "type": "opaque"})
                for k in [k for k in alive if k.startswith(d + "/")]:
                    del alive[k]
                touched.add(d)
                for k in range(min(slots, r.randint(2, 5))):
                    c = new_content(small_size())
                    all_contents.append(c)
                    p = f"{d}/replaced{k}.conf"
                    ents.append({"path": p, "data": c})
                    alive[p] = (c, 0o644, li)
                    slots -= 1
            cands = [k for k in alive if alive[k][2] < li
                     and not any(k.startswith(t + "/") for t in touched)]
            r.shuffle(cands)
            n_wh = min(len(cands) // 4, max(1, round(0.01 * len(cands))))
            n_ow = min(len(cands) // 4, slots, max(1, round(0.02 * slots)))
            for k in cands[:n_wh]:
                if any(c is alive[k][0] for c in huge_contents):
                    continue
                ents.append({"path": k, "type": "whiteout"})
                del alive[k]
            for k in cands[n_wh:n_wh + n_ow]:
                c, mode, _ = alive[k]
                if any(c is h for h in huge_contents):
                    continue
                if r.random() < 0.5:  # chmod-style copy: same bytes, new mode
                    mode = 0o755 if mode == 0o644 else 0o644
                else:
                    c = new_content(small_size())
                    all_contents.append(c)
                ents.append({"path": k, "data": c, "mode": mode})
                alive[k] = (c, mode, li)
                slots -= 1
            if huge_to_delete and huge_to_delete[1] < li:
                ents.append({"path": huge_to_delete[0], "type": "whiteout"})
                alive.pop(huge_to_delete[0], None)
                huge_to_delete = None
        layer_new = []
        while slots > 0:
            n = min(slots, r.randint(3, 150))
            layer_new += make_package(li, n, ents)
            slots -= n
        # huge files (sizes fixed below, after the small ones are known)
        for hi in range(n_huge):
            if huge_layer[hi] != li:
                continue
            if hi == n_huge - 1 and n_huge >= 2 and L >= 2:
                c = huge_by_idx[0]
                p = huge_path0
                ents.append({"path": p, "data": c, "mode": 0o755})  # chmod copy
                alive[p] = (c, 0o755, li)
                continue
            c = Content(0, (seed, "huge", hi))
            huge_contents.append(c)
            huge_by_idx[hi] = c
            p = r.choice(["opt/data/blob{h}.bin", "usr/lib/x86_64-linux-gnu/libbig{h}.so.1",
                          "var/lib/models/model{h}.bin", "opt/sdk{h}/sdk.tar"]).format(h=hi)
            if hi == 0:
                huge_path0 = p
            if hi == 1 and n_huge >= 3 and L >= 2:
                huge_to_delete = (p, li)
            ents.append({"path": p, "data": c, "mode": 0o644})
            alive[p] = (c, 0o644, li)
        # symlinks (~1.5% of new files) and base-image style links
        for p in r.sample(layer_new, min(len(layer_new), max(1, len(layer_new) * 15 // 1000))):
            d, _, b = p.rpartition("/")
            ents.append({"path": f"{d}/{b}.link", "type": "symlink", "linkname": b})
        if li == 0:
            for a, b in (("bin", "usr/bin"), ("lib", "usr/lib"), ("sbin", "usr/sbin")):
                ents.append({"path": a, "type": "symlink", "linkname": b})
            ents.append({"path": "tmp", "type": "dir", "mode": 0o1777})
        if li == L - 1 and layer_new:
            p = r.choice(layer_new)
            ents.append({"path": p + ".hardlink", "type": "hardlink", "linkname": p})
        layer_entries.append(ents)

    # fix sizes: small+medium get <= 60% of the budget, huge files the rest
    hids = {id(c) for c in huge_contents}
    refs = [e["data"] for ents in layer_entries for e in ents
            if isinstance(e.get("data"), Content) and id(e["data"]) not in hids]
    small_total = sum(c.size for c in refs)  # duplicates counted once per path
    cap = int(0.6 * T) if n_huge else T
    if small_total > cap:
        f = cap / small_total
        for c in all_contents:
            c.size = int(c.size * f)
        small_total = sum(c.size for c in refs)
    if huge_contents:
        budget = max(0, T - small_total)
        n_real = len(huge_contents)
        copies = 1 if (n_huge >= 2 and L >= 2) else 0
        w = [r.uniform(0.3, 1.0) for _ in range(n_real)]
        if copies:
            w[0] /= 2  # huge[0] is stored twice (original + chmod copy)
        ws = sum(w) + (w[0] if copies else 0)
        for hi, x in zip(sorted(huge_by_idx), w):
            huge_by_idx[hi].size = int(budget * x / ws)

    history = []
    mk = lambda s, **kw: dict(created_by=s, **kw)
    for li in range(L):
        if li == 0:
            history.append(mk(f"/bin/sh -c #(nop) ADD file:{hashlib.sha256(str(seed).encode()).hexdigest()} in / "))
            history.append(mk('/bin/sh -c #(nop)  CMD ["bash"]', empty_layer=True))
            continue
        if r.random() < 0.5:
            history.append(mk(r.choice(_EMPTY), comment="buildkit.dockerfile.v0", empty_layer=True))
        history.append(mk(r.choice(_RUNS).format(i=li), comment="buildkit.dockerfile.v0"))
    history.append(mk('CMD ["/app/run"]', comment="buildkit.dockerfile.v0", empty_layer=True))
    layers = []
    hi = iter(h for h in history if not h.get("empty_layer"))
    for ents in layer_entries:
        layers.append({"entries": ents, "created_by": next(hi)["created_by"]})
    return layers, history


# --------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write a deterministic synthetic container image.",
        epilog="Same arguments give byte-identical output.")
    ap.add_argument("--format", choices=FORMATS, default="docker-archive")
    ap.add_argument("--compression", choices=COMPRESSIONS, default="none")
    ap.add_argument("--level", type=int, default=None,
                    help="compression level (gzip: zlib 1-9, default 6; zstd default 3)")
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--files", type=int, default=2000, help="regular-file entries, all layers")
    ap.add_argument("--size", default="50M", help="target content bytes, e.g. 200M, 1.5G")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tag", default="imgscope/synthetic:latest")
    ap.add_argument("--tmpdir", default=None, help="where layer temp files go (default: $TMPDIR)")
    ap.add_argument("--stats", default=None, help="also write a JSON stats file here")
    ap.add_argument("--analyze", action="store_true",
                    help="include reference waste analysis in --stats (slower)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args(argv)
    if a.compression == "zstd":
        _zstd_bin()
    layers, history = synth_layers(a.layers, a.files, parse_size(a.size), a.seed)
    st = write_image(a.output, layers, fmt=a.format, compression=a.compression, level=a.level,
                     tag=a.tag, history=history,
                     labels={"org.opencontainers.image.title": "imgscope synthetic",
                             "imgscope.seed": str(a.seed)},
                     config={"Env": [DEFAULT_PATH_ENV, "APP_HOME=/app"], "Cmd": ["/app/run"],
                             "WorkingDir": "/app"})
    if a.stats:
        if a.analyze:
            an = analyze_layers(layers)
            for k in ("duplicates", "deleted", "overwritten"):
                an.pop(k)
            st["analysis"] = an
        st["args"] = {k: v for k, v in vars(a).items() if k not in ("stats", "tmpdir")}
        with open(a.stats, "w") as f:
            json.dump(st, f, indent=1)
            f.write("\n")
    print(f"imagegen: {a.output}: format={a.format} compression={a.compression} "
          f"layers={st['layer_count']} files={st['files']} entries={st['entries']} "
          f"uncompressed={st['uncompressed_bytes']} ({human(st['uncompressed_bytes'])}) "
          f"output={st['output_bytes']} ({human(st['output_bytes'])}) in {st['seconds']:.1f}s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
