#!/usr/bin/env python3
"""mkcomposefs --from-oci / --from-tar: layouts of every shape, and bad inputs.

Good: an oci-archive tarball equals its layout directory; an image index picks the
--platform's manifest; xz and sparse layers; --from-tar from stdin; a hand-made
image with a layer replacing a directory by a file.
Bad (exit 1, one message naming the layer and the entry, no image written, no
object or temporary file left in the store): blob digest mismatch, diff_id
mismatch, "../" and absolute entries, a truncated tar, a hard link to nothing,
a missing blob, malformed JSON, an unknown ref, an unknown platform.
As root. mkcomposefs DIR is the reference for the good ones.
"""
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

MK = sys.argv[1]
failures = []


def blob(out, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def make_tar(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (TarInfo-ish dict) name, type, data, linkname, mode."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = e.get("type", tarfile.REGTYPE)
            ti.mode = e.get("mode", 0o644)
            ti.mtime = 1_700_000_000
            ti.linkname = e.get("linkname", "")
            data = e.get("data", b"")
            ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if ti.size else None)
    return buf.getvalue()


def manifest_for(out, tars, compress=gzip.compress, diff_ids=None, media="application/vnd.oci.image.layer.v1.tar+gzip"):
    layers = [dict(blob(out, compress(t)), mediaType=media) for t in tars]
    ids = diff_ids or ["sha256:" + hashlib.sha256(t).hexdigest() for t in tars]
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ids}}).encode()
    cdesc = dict(blob(out, config), mediaType="application/vnd.oci.image.config.v1+json")
    m = json.dumps({"schemaVersion": 2, "config": cdesc, "layers": layers}).encode()
    return dict(blob(out, m), mediaType="application/vnd.oci.image.manifest.v1+json"), layers


def write_layout(out, tars, ref="t", **kw):
    mdesc, layers = manifest_for(out, tars, **kw)
    mdesc["annotations"] = {"org.opencontainers.image.ref.name": ref}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [mdesc]}, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')
    return layers


def mk(*args, stdin=None):
    return subprocess.run([MK, *args], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def expect_same(name, args_a, args_b, stdin=None):
    a, b = mk(*args_a, "-", stdin=stdin), mk(*args_b, "-")
    if a.returncode or b.returncode or a.stdout != b.stdout:
        failures.append("%s: images differ or failed: %s %s" % (name, a.stderr.decode(errors="replace"),
                                                               b.stderr.decode(errors="replace")))


def expect_error(name, args, *words):
    store = os.path.join(WORK, "store-" + name)
    image = os.path.join(WORK, "img-" + name)
    r = mk("--digest-store=" + store, *args, image)
    msg = r.stderr.decode(errors="replace")
    left = [os.path.join(d, f) for d, _, fs in os.walk(store) for f in fs]
    if r.returncode != 1 or os.path.exists(image) or left or msg.count("\n") != 1 or not all(w in msg for w in words):
        failures.append("%s: rc %d, image %s, left %s, message %r (wanted %s)" %
                        (name, r.returncode, os.path.exists(image), left, msg, words))


def rootfs_dir(name, files, dirs):
    """The reference tree: `files` {path: bytes}, `dirs` {path: mode}; owner 0:0,
    mode 0644 for files, every mtime 1700000000 (as the layers say)."""
    d = os.path.join(WORK, name)
    os.mkdir(d)
    for p, mode in sorted(dirs.items()):
        os.makedirs(os.path.join(d, p), exist_ok=True)
        os.chmod(os.path.join(d, p), mode)
    for p, data in files.items():
        with open(os.path.join(d, p), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(d, p), 0o644)
    for dirpath, dirnames, filenames in os.walk(d, topdown=False):
        for n in dirnames + filenames:
            os.chown(os.path.join(dirpath, n), 0, 0)
            os.utime(os.path.join(dirpath, n), (0, 1_700_000_000))
    os.chmod(d, 0o755)
    os.utime(d, (0, 1_700_000_000))
    return d


if os.geteuid() != 0:
    print("SKIP: needs root (the reference trees are owned by 0:0)")
    sys.exit(77)
WORK = tempfile.mkdtemp(prefix="i24-inputs-")
try:
    base = [make_tar([{"name": "./", "type": tarfile.DIRTYPE, "mode": 0o755},
                      {"name": "./d/", "type": tarfile.DIRTYPE, "mode": 0o755},
                      {"name": "./d/f", "data": b"x" * 5000},
                      {"name": "./d/small", "data": b"hello"}]),
            make_tar([{"name": "./", "type": tarfile.DIRTYPE, "mode": 0o755},
                      {"name": "./d", "data": b"a file replaces the directory " * 10},
                      {"name": "./e/", "type": tarfile.DIRTYPE, "mode": 0o700},
                      {"name": "./e/g", "data": b"y" * 100}])]
    good = os.path.join(WORK, "good")
    write_layout(good, base)
    ref = rootfs_dir("rootfs", {"d": b"a file replaces the directory " * 10, "e/g": b"y" * 100}, {"e": 0o700})
    expect_same("layout", ["--from-oci=" + good + ":t"], [ref])
    expect_same("layout-only-image", ["--from-oci=" + good], [ref])

    # The same layout as an oci-archive tarball.
    archive = os.path.join(WORK, "good.tar")
    with tarfile.open(archive, "w") as t:
        for n in ("oci-layout", "index.json", "blobs"):
            t.add(os.path.join(good, n), arcname=n)
    expect_same("oci-archive", ["--from-oci=" + archive + ":t"], [ref])

    # An image index with two platforms, in the top index.
    plat = os.path.join(WORK, "platforms")
    m_amd, _ = manifest_for(plat, base)
    m_arm, _ = manifest_for(plat, base[:1])
    m_amd["platform"] = {"os": "linux", "architecture": "amd64"}
    m_arm["platform"] = {"os": "linux", "architecture": "arm64", "variant": "v8"}
    idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                      "manifests": [m_arm, m_amd]}).encode()
    idesc = dict(blob(plat, idx), mediaType="application/vnd.oci.image.index.v1+json",
                 annotations={"org.opencontainers.image.ref.name": "multi"})
    with open(os.path.join(plat, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [idesc]}, f)
    shutil.copy(os.path.join(good, "oci-layout"), plat)
    expect_same("platform-amd64", ["--from-oci=" + plat + ":multi", "--platform=linux/amd64"], [ref])
    only_first = rootfs_dir("rootfs-arm", {"d/f": b"x" * 5000, "d/small": b"hello"}, {"d": 0o755})
    expect_same("platform-arm64", ["--from-oci=" + plat + ":multi", "--platform=linux/arm64/v8"], [only_first])
    expect_error("platform-unknown", ["--from-oci=" + plat + ":multi", "--platform=linux/s390x"], "no image for platform")

    # xz layers, and a sparse file (GNU tar --sparse) through --from-tar on stdin.
    xz = os.path.join(WORK, "xz")
    write_layout(xz, base, compress=lzma.compress)
    expect_same("xz", ["--from-oci=" + xz + ":t"], [ref])
    if shutil.which("tar"):
        src = os.path.join(WORK, "sparse-src")
        os.mkdir(src)
        with open(os.path.join(src, "holes"), "wb") as f:
            f.seek(3 << 20)
            f.write(b"data")
            f.seek(9 << 20)
            f.write(b"end")
        os.utime(os.path.join(src, "holes"), (0, 1_700_000_000))
        os.utime(src, (0, 0))
        sparse = subprocess.run(["tar", "--sparse", "--format=gnu", "-C", src, "-cf", "-", "."],
                                stdout=subprocess.PIPE, check=True).stdout
        expect_same("sparse-stdin", ["--from-tar=-"], [src], stdin=sparse)

    # A layer that ends right after its last file's data (umoci insert writes these).
    short = make_tar([{"name": "./", "type": tarfile.DIRTYPE, "mode": 0o755},
                      {"name": "./e/", "type": tarfile.DIRTYPE, "mode": 0o700},
                      {"name": "./d", "data": b"a file replaces the directory " * 10},
                      {"name": "./e/g", "data": b"y" * 100}])
    short = short[:short.rindex(b"y" * 100) + 100]
    unpadded = os.path.join(WORK, "unpadded")
    write_layout(unpadded, [base[0], short])
    expect_same("unpadded-end", ["--from-oci=" + unpadded + ":t"], [ref])

    # Bad inputs.
    def variant(name, tars, **kw):
        d = os.path.join(WORK, name)
        write_layout(d, tars, **kw)
        return d

    flip = variant("flip", base)
    layer0 = write_layout(flip, base)[1]
    p = os.path.join(flip, "blobs", "sha256", layer0["digest"].split(":")[1])
    data = bytearray(open(p, "rb").read())
    data[-5] ^= 0xFF  # the gzip trailer: decompresses, but the blob's digest is wrong
    open(p, "wb").write(data)
    expect_error("digest", ["--from-oci=" + flip + ":t"], "layer 2", "mismatch")
    expect_error("diff-id", ["--from-oci=" + variant("diffid", base, diff_ids=["sha256:" + "0" * 64] * 2) + ":t"],
                 "layer 1", "diff_id mismatch")
    for name, entry in [("dotdot", "./d/../../x"), ("absolute", "/etc/passwd")]:
        bad = make_tar([{"name": "./", "type": tarfile.DIRTYPE}, {"name": "./ok", "data": b"1" * 100},
                        {"name": entry, "data": b"2"}])
        expect_error(name, ["--from-oci=" + variant(name, base + [bad]) + ":t"], "layer 3", entry, "escapes")
    link = make_tar([{"name": "./", "type": tarfile.DIRTYPE},
                     {"name": "./l", "type": tarfile.LNKTYPE, "linkname": "./missing"}])
    expect_error("hardlink", ["--from-oci=" + variant("hardlink", base + [link]) + ":t"], "layer 3", "./l",
                 "hard link to nothing")
    cut = base[0][: len(base[0]) // 2 + 100]
    expect_error("truncated", ["--from-oci=" + variant("truncated", [cut], compress=lambda b: b,
                                                        media="application/vnd.oci.image.layer.v1.tar") + ":t"],
                 "layer 1", "runcated")
    tarpath = os.path.join(WORK, "cut.tar")
    open(tarpath, "wb").write(cut)
    expect_error("truncated-tar", ["--from-tar=" + tarpath], "cut.tar", "runcated")
    missing = variant("missing", base)
    os.unlink(os.path.join(missing, "blobs", "sha256", write_layout(missing, base)[0]["digest"].split(":")[1]))
    expect_error("missing-blob", ["--from-oci=" + missing + ":t"], "layer 1")
    badjson = variant("badjson", base)
    open(os.path.join(badjson, "index.json"), "w").write('{"schemaVersion": 2, "manifests": [')
    expect_error("bad-json", ["--from-oci=" + badjson], "index.json", "not valid JSON")
    expect_error("unknown-ref", ["--from-oci=" + good + ":nope"], "no image named")
    expect_error("not-a-layout", ["--from-oci=" + WORK], "not an OCI image layout")
finally:
    shutil.rmtree(WORK, ignore_errors=True)

for f in failures:
    print("FAIL:", f)
print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
