#!/usr/bin/env python3
"""Random OCI image layouts for the --from-oci / --from-tar tests (stdlib only).

genlayout.py SEED OUT [--umoci]

Writes an OCI image layout at OUT (ref "test") of 2-5 layers. Each layer, from a
model of the tree so far: new files (0/1/64/65/4096/4097 bytes, random sizes, some
sparse), directories, symlinks, hard links within the layer, devices and fifos,
pax xattrs (user.*, trusted.*, security.capability, a POSIX ACL), 255-byte and
non-UTF-8 names; whiteouts and opaque directories over earlier layers; files
replaced by directories and back without whiteouts. Every parent directory is
listed before its entries. Layers are plain, gzip or (when the `zstd` CLI exists)
zstd. With --umoci, zstd layers are written gzip instead (umoci 0.4.7 reads no
zstd): same tar bytes, so the same diff_ids and the same root filesystem.
"""
import gzip
import hashlib
import io
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tarfile

MIB = 1 << 20


class Model:
    """path -> kind ('dir', 'file', 'other') of the tree the layers so far make."""

    def __init__(self):
        self.kinds = {"": "dir"}

    def children(self, path):
        pre = path + "/" if path else ""
        return [p for p in self.kinds if p.startswith(pre) and p != path and "/" not in p[len(pre):]]

    def remove(self, path):
        pre = path + "/"
        for p in [p for p in self.kinds if p == path or p.startswith(pre)]:
            del self.kinds[p]

    def dirs(self):
        return [p for p, k in self.kinds.items() if k == "dir"]


def cap_v2(rng):
    # struct vfs_cap_data, revision 2 with the effective flag: magic, then
    # (permitted, inheritable) for the low and high 32 capability bits.
    words = [0x02000001, rng.getrandbits(31), 0, rng.getrandbits(8), 0]
    return b"".join(w.to_bytes(4, "little") for w in words)


def acl_for(mode, rng):
    # A POSIX ACL the kernel keeps as given: a named user, and a mask equal to the
    # group bits, so setting it leaves the mode alone.
    entries = [(1, (mode >> 6) & 7, 0xFFFFFFFF), (2, rng.randrange(8), 1000 + rng.randrange(50)),
               (4, (mode >> 3) & 7, 0xFFFFFFFF), (0x10, (mode >> 3) & 7, 0xFFFFFFFF), (0x20, mode & 7, 0xFFFFFFFF)]
    out = (2).to_bytes(4, "little")
    for tag, perm, ident in entries:
        out += tag.to_bytes(2, "little") + perm.to_bytes(2, "little") + ident.to_bytes(4, "little")
    return out


def surrogate(b):
    return b.decode("utf-8", "surrogateescape")


class LayerWriter:
    def __init__(self, rng, model, layer_no):
        self.rng = rng
        self.model = model
        self.buf = io.BytesIO()
        fmt = tarfile.GNU_FORMAT if rng.random() < 0.2 else tarfile.PAX_FORMAT
        self.fmt = fmt
        self.tar = tarfile.open(fileobj=self.buf, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape")
        self.layer_no = layer_no
        self.listed = set()     # directories listed in this layer
        self.written = set()    # paths this layer wrote (whiteouts do not touch these)
        self.files = []         # regular files of this layer, for hard links
        self.mtime_base = 1_600_000_000 + layer_no * 1000

    def info(self, path, kind):
        ti = tarfile.TarInfo("./" + path + ("/" if kind == tarfile.DIRTYPE and path else ""))
        ti.type = kind
        ti.mtime = self.mtime_base + self.rng.randrange(1000)
        ti.uid = self.rng.choice([0, 0, 0, 1, 1000, 65534, 100000])
        ti.gid = self.rng.choice([0, 0, 0, 1, 1000, 65534])
        ti.uname = ti.gname = ""
        return ti

    def xattrs(self, ti, kind):
        if self.fmt != tarfile.PAX_FORMAT:
            return
        rng, pax = self.rng, {}
        if kind in ("file", "dir"):
            for _ in range(rng.choice([0, 0, 1, 2, 3])):
                name = rng.choice(["user.a", "user.b", "user.comment", "trusted.t1", "trusted.x"])
                value = rng.choice([b"", b"v", rng.randbytes(rng.randrange(1, 60)), b"x" * 300])
                pax["SCHILY.xattr." + name] = surrogate(value)
        if kind == "file" and rng.random() < 0.1:
            pax["SCHILY.xattr.security.capability"] = surrogate(cap_v2(rng))
        if kind in ("file", "dir") and rng.random() < 0.05:
            pax["SCHILY.xattr.system.posix_acl_access"] = surrogate(acl_for(ti.mode, rng))
        if kind == "symlink" and rng.random() < 0.2:
            pax["SCHILY.xattr.trusted.link"] = surrogate(rng.randbytes(8))
        ti.pax_headers = pax

    def add_dir(self, path):
        """Lists `path` as a directory (again, with new metadata, if it is one)."""
        self.ensure_parents(path)
        if self.model.kinds.get(path) not in (None, "dir"):
            self.model.remove(path)  # a directory replaces a non-directory, no whiteout
        ti = self.info(path, tarfile.DIRTYPE)
        ti.mode = self.rng.choice([0o755, 0o755, 0o700, 0o775, 0o1777, 0o2755])
        self.xattrs(ti, "dir")
        self.tar.addfile(ti)
        self.model.kinds[path] = "dir"
        self.listed.add(path)
        self.written.add(path)

    def ensure_parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(len(parts)):
            p = "/".join(parts[: i + 1])
            if p not in self.listed:
                self.add_dir(p)

    def new_name(self, parent):
        rng = self.rng
        r = rng.random()
        if r < 0.05:
            name = "L" * 255 if rng.random() < 0.5 else ("é" * 127)[:127]
        elif r < 0.1:
            name = surrogate(b"bad\xff\xfename" + bytes([rng.randrange(0x80, 0x100)]))
        elif r < 0.13:
            name = "sp ace %d" % rng.randrange(100)
        else:
            name = "n%d" % rng.randrange(40)
        return (parent + "/" + name) if parent else name

    def replace_prep(self, path):
        """Makes room for a non-directory at `path` (a directory there is replaced)."""
        if self.model.kinds.get(path) is not None:
            self.model.remove(path)

    def add_file(self, path):
        rng = self.rng
        self.ensure_parents(path)
        self.replace_prep(path)
        size = rng.choice([0, 1, 64, 65, 4096, 4097, rng.randrange(1, 300), rng.randrange(1, 70000),
                           rng.choice([0, 3 * MIB // 2]) if rng.random() < 0.05 else 10])
        if rng.random() < 0.3:
            data = bytes(rng.getrandbits(8) for _ in range(min(size, 64))) * (size // 64 + 1)
            data = data[:size]
        else:
            data = rng.randbytes(size)
        ti = self.info(path, tarfile.REGTYPE)
        ti.mode = rng.choice([0o644, 0o644, 0o755, 0o600, 0o4755, 0o2711, 0o444])
        ti.size = size
        self.xattrs(ti, "file")
        self.tar.addfile(ti, io.BytesIO(data))
        self.model.kinds[path] = "file"
        self.written.add(path)
        self.files.append(path)

    def add_other(self, path):
        rng = self.rng
        self.ensure_parents(path)
        self.replace_prep(path)
        kind = rng.choice(["symlink", "symlink", "fifo", "chr", "blk", "hardlink"])
        if kind == "hardlink" and not self.files:
            kind = "symlink"
        if kind == "symlink":
            ti = self.info(path, tarfile.SYMTYPE)
            ti.linkname = rng.choice(["target", "../up", "/abs/path", "x" * 200, surrogate(b"t\xff")])
            ti.mode = 0o777
        elif kind == "hardlink":
            ti = self.info(path, tarfile.LNKTYPE)
            ti.linkname = "./" + rng.choice(self.files)
            ti.mode = 0o644
        else:
            ti = self.info(path, {"fifo": tarfile.FIFOTYPE, "chr": tarfile.CHRTYPE, "blk": tarfile.BLKTYPE}[kind])
            ti.mode = rng.choice([0o644, 0o600, 0o666])
            ti.devmajor = rng.choice([1, 8, 259, 4095])
            ti.devminor = rng.choice([0, 3, 255, 256, 70000])
        self.xattrs(ti, kind)
        self.tar.addfile(ti)
        self.model.kinds[path] = "other"
        self.written.add(path)

    def whiteout(self, path, lower):
        """`.wh.NAME` for an entry of a lower layer."""
        parent, name = os.path.split(path)
        self.ensure_parents(path)
        ti = self.info((parent + "/" if parent else "") + ".wh." + name, tarfile.REGTYPE)
        ti.mode = 0o644
        self.tar.addfile(ti)
        self.model.remove(path)

    def upper(self, path):
        """umoci's upperPaths: written by this layer, or an ancestor of such."""
        return path in self.written or any(x.startswith(path + "/") for x in self.written)

    def remove_lower(self, path, keep_top):
        """What a whiteout does (umoci's ociWhiteout): entries at and below `path`
        this layer did not write go; the ones it wrote (and their parents) stay."""
        if path not in self.model.kinds:
            return
        if not keep_top and not self.upper(path):
            self.model.remove(path)
            return
        for c in self.model.children(path):
            self.remove_lower(c, False)

    def opaque(self, path):
        self.ensure_parents(path + "/x")
        if self.rng.random() < 0.5:  # an entry of this layer before the marker stays
            self.add_file(self.new_name(path))
        ti = self.info((path + "/" if path else "") + ".wh..wh..opq", tarfile.REGTYPE)
        ti.mode = 0o644
        self.tar.addfile(ti)
        self.remove_lower(path, True)

    def whiteout_own(self):
        """`.wh.NAME` for an entry this layer wrote: it stays (a relisted directory
        loses its entries from lower layers, though)."""
        path = self.rng.choice(sorted(self.written))
        parent, name = os.path.split(path)
        if not name:
            return
        ti = self.info((parent + "/" if parent else "") + ".wh." + name, tarfile.REGTYPE)
        ti.mode = 0o644
        self.tar.addfile(ti)
        self.remove_lower(path, False)

    def finish(self):
        self.tar.close()
        return self.buf.getvalue()


def make_layer(rng, model, layer_no):
    w = LayerWriter(rng, model, layer_no)
    root = w.info("", tarfile.DIRTYPE)
    root.name = "./"
    root.mode = 0o755
    w.tar.addfile(root)
    w.listed.add("")
    lower = [p for p in model.kinds if p]
    ops = rng.randrange(8, 40)
    for _ in range(ops):
        r = rng.random()
        dirs = model.dirs()
        if r < 0.03 and w.written:
            w.whiteout_own()
            continue
        if r < 0.12 and lower and layer_no > 0:
            victim = rng.choice(lower)
            if victim in model.kinds and victim not in w.written and not any(
                    victim.startswith(x + "/") or x.startswith(victim + "/") for x in w.written):
                w.whiteout(victim, lower)
            continue
        if r < 0.17 and layer_no > 0:
            lower_dirs = [d for d in dirs if d and d in lower and not any(x.startswith(d + "/") for x in w.written)]
            if lower_dirs:
                w.opaque(rng.choice(lower_dirs))
                continue
        if r < 0.25 and lower:
            # replace an entry of a lower layer: a file by a directory or back
            victim = rng.choice(lower)
            if victim in model.kinds and victim not in w.written and not any(
                    x.startswith(victim + "/") for x in w.written):
                if model.kinds[victim] == "dir":
                    w.add_file(victim)
                else:
                    w.add_dir(victim)
                continue
        parent = rng.choice(dirs)
        if any(parent == x or parent.startswith(x + "/") for x in []):
            continue
        path = w.new_name(parent)
        if path in w.written or any(x.startswith(path + "/") for x in w.written):
            continue
        if len(path.encode("utf-8", "surrogateescape")) > 3000:
            continue
        r = rng.random()
        if r < 0.2:
            w.add_dir(path)
        elif r < 0.75:
            w.add_file(path)
        else:
            w.add_other(path)
    return w.finish()


def compress(rng, data, umoci):
    kind = rng.choice(["plain", "gzip", "zstd"])
    if kind == "zstd" and not shutil.which("zstd"):
        kind = "gzip"
    if kind == "zstd" and umoci:
        kind = "gzip"
    if kind == "gzip":
        return gzip.compress(data, compresslevel=1, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if kind == "zstd":
        out = subprocess.run(["zstd", "-q", "-1", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
        return out, "application/vnd.oci.image.layer.v1.tar+zstd"
    return data, "application/vnd.oci.image.layer.v1.tar"


def write_blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest


def main():
    seed, out = int(sys.argv[1]), sys.argv[2]
    umoci = "--umoci" in sys.argv[3:]
    rng = random.Random(seed)
    crng = random.Random(seed * 7 + 1)  # compression choices, apart from the contents
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    model = Model()
    layers, diff_ids = [], []
    for i in range(rng.randrange(2, 6)):
        tar = make_layer(rng, model, i)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        blob, media = compress(crng, tar, umoci)
        layers.append({"mediaType": media, "digest": write_blob(out, blob), "size": len(blob)})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cdesc = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": write_blob(out, config),
             "size": len(config)}
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": cdesc, "layers": layers}).encode()
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": write_blob(out, manifest),
        "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "test"}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main()
