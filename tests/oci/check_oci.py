#!/usr/bin/env python3
"""mkcomposefs --from-oci / --from-tar against the reference (as root).

For each seed, genlayout.py writes a random layout; umoci 0.4.7 (`umoci raw unpack`)
unpacks it; its directory mtimes are corrected to the last listing's (umoci bumps
them while it unpacks, see fix_umoci_dirs); then
  * `mkcomposefs OPTS --from-oci=LAYOUT:test` must equal `mkcomposefs OPTS ROOTFS`
    byte for byte, with the same store listing, for an option set picked per seed;
  * every --from-tar-every'th seed: each layer's `--from-tar` image, mounted with
    mount.composefs and stacked with overlayfs, must show the umoci rootfs.
Exit 77 (skip) when not root or umoci is missing.
"""
import argparse
import gzip
import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OPTION_SETS = [
    [], ["--hardlinks"], ["--hash=sha512"], ["--skip-xattrs"], ["--user-xattrs"], ["--skip-devices"],
    ["--max-version=0"], ["--min-version=1"], ["--use-epoch"], ["--hardlinks", "--hash=sha512"],
]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def parse_seeds(text):
    a, _, b = text.partition("-")
    return range(int(a), int(b or a) + 1)


def layer_tars(layout):
    """The uncompressed tars of the image "test", in order (gzip or plain here)."""
    import json
    idx = json.load(open(os.path.join(layout, "index.json")))
    blob = lambda d: os.path.join(layout, "blobs", "sha256", d.split(":")[1])
    manifest = json.load(open(blob(idx["manifests"][0]["digest"])))
    out = []
    for layer in manifest["layers"]:
        data = open(blob(layer["digest"]), "rb").read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        out.append(data)
    return out


def clean(name):
    parts = [p for p in name.split("/") if p not in ("", ".")]
    return "/".join(parts)


def fix_umoci_dirs(layout, rootfs):
    """umoci restores a directory's header, then bumps its mtime when it adds or
    removes entries in it afterwards. The layer says the mtime: the last listing's.
    Directories no layer lists: 0755, 0:0, mtime 0 (what --from-oci makes)."""
    import io
    mtimes = {}
    for data in layer_tars(layout):
        with tarfile.open(fileobj=io.BytesIO(data), encoding="utf-8", errors="surrogateescape") as t:
            try:
                for m in t:
                    if m.isdir():
                        mtimes[clean(m.name)] = m.mtime
            except tarfile.ReadError:
                pass  # umoci insert's layers end without padding and trailer
    for dirpath, dirnames, _ in os.walk(rootfs.encode()):
        rel = os.path.relpath(dirpath, rootfs.encode()).decode("utf-8", "surrogateescape")
        rel = "" if rel == "." else rel
        if rel not in mtimes:
            os.chown(dirpath, 0, 0)
            os.chmod(dirpath, 0o755)
        os.utime(dirpath, (0, mtimes.get(rel, 0)), follow_symlinks=False)


def store_listing(store):
    out = []
    for dirpath, _, files in os.walk(store):
        for f in files:
            p = os.path.join(dirpath, f)
            out.append((os.path.relpath(p, store), os.path.getsize(p)))
    return sorted(out)


def check_from_oci(args, seed, work, layout, rootfs):
    opts = OPTION_SETS[seed % len(OPTION_SETS)]
    s_ref, s_oci = os.path.join(work, "store-ref"), os.path.join(work, "store-oci")
    ref, got = os.path.join(work, "ref.img"), os.path.join(work, "oci.img")
    run([args.mkcomposefs, *opts, "--digest-store=" + s_ref, rootfs, ref])
    t = time.monotonic()
    r = subprocess.run([args.mkcomposefs, *opts, "--digest-store=" + s_oci, "--from-oci=" + layout + ":test", got],
                       stderr=subprocess.PIPE, text=True, errors="replace")
    elapsed = time.monotonic() - t
    if r.returncode != 0:
        return "--from-oci failed: " + r.stderr.strip()
    if open(ref, "rb").read() != open(got, "rb").read():
        return "images differ (%s); compare: composefs-info dump %s %s" % (" ".join(opts), ref, got)
    if store_listing(s_ref) != store_listing(s_oci):
        return "store listings differ"
    # --print-digest-only agrees with the image written.
    d1 = run([args.mkcomposefs, *opts, "--print-digest-only", "--from-oci=" + layout + ":test"],
             stdout=subprocess.PIPE, text=True).stdout
    d2 = run([args.mkcomposefs, *opts, "--print-digest-only", rootfs], stdout=subprocess.PIPE, text=True).stdout
    if d1 != d2:
        return "--print-digest differs"
    return None


def tree_view(root):
    """Everything a mount shows of a tree, for comparing two trees."""
    out = {}
    rootb = root.encode()
    for dirpath, dirnames, files in os.walk(rootb):
        for name in dirnames + files + ([b"."] if dirpath == rootb else []):
            p = os.path.normpath(os.path.join(dirpath, name))
            st = os.lstat(p)
            xattrs = {}
            for x in os.listxattr(p, follow_symlinks=False):
                # overlayfs's own, and the markers composefs images put on
                # directories that hold whiteouts (any image of composefs-c too).
                if x.startswith(("trusted.overlay.", "user.overlay.")) or x == "security.selinux":
                    continue
                xattrs[x] = os.getxattr(p, x, follow_symlinks=False)
            data = None
            if stat.S_ISREG(st.st_mode):
                data = hashlib.sha256(open(p, "rb").read()).hexdigest()
            elif stat.S_ISLNK(st.st_mode):
                data = os.readlink(p)
            key = os.path.relpath(p, rootb)
            out[key] = (st.st_mode, st.st_uid, st.st_gid, st.st_size if not stat.S_ISDIR(st.st_mode) else 0,
                        st.st_mtime_ns, st.st_rdev, data, sorted(xattrs.items()))
    return out


def check_from_tar(args, work, layout, rootfs):
    store = os.path.join(work, "store-tar")
    mounts = []
    try:
        for i, data in enumerate(layer_tars(layout)):
            tar, img, mnt = (os.path.join(work, "layer%d.%s" % (i, e)) for e in ("tar", "img", "mnt"))
            open(tar, "wb").write(data)
            r = subprocess.run([args.mkcomposefs, "--digest-store=" + store, "--from-tar=" + tar, img],
                               stderr=subprocess.PIPE, text=True, errors="replace")
            if r.returncode != 0:
                return "--from-tar failed: " + r.stderr.strip()
            os.mkdir(mnt)
            run([args.mount_helper, img, mnt, "-o", "basedir=" + store])
            mounts.append(mnt)
        merged = os.path.join(work, "merged")
        os.mkdir(merged)
        lower = ":".join(reversed(mounts))
        run(["mount", "-t", "overlay", "overlay", "-o", "ro,lowerdir=" + lower, merged])
        mounts.append(merged)
        a, b = tree_view(merged), tree_view(rootfs)
        if a != b:
            diff = sorted(set(a) ^ set(b))[:5] or [k for k in sorted(a) if a[k] != b[k]][:3]
            detail = [(k, a.get(k), b.get(k)) for k in diff]
            return "--from-tar layers stacked differ from the rootfs: %r" % (detail,)
        return None
    finally:
        for m in reversed(mounts):
            subprocess.run(["umount", m])


def check_real_image(args):
    """A layout umoci makes from trees of this machine (`umoci insert`, one layer
    per tree, then a whiteout layer), against its own unpack."""
    trees = [t for t in ("/usr/share/zoneinfo", "/usr/share/doc/bash", "/usr/share/doc/coreutils") if os.path.isdir(t)]
    if not trees:
        return None
    work = tempfile.mkdtemp(prefix="i24-oci-real-", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        layout, rootfs = os.path.join(work, "layout"), os.path.join(work, "rootfs")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        run(["umoci", "init", "--layout", layout], **quiet)
        run(["umoci", "new", "--image", layout + ":real"], **quiet)
        for t in trees:
            run(["umoci", "insert", "--image", layout + ":real", t, t], **quiet)
        victim = next((os.path.join(trees[0], n) for n in sorted(os.listdir(trees[0]))), None)
        if victim:
            run(["umoci", "insert", "--image", layout + ":real", "--whiteout", victim], **quiet)
        run(["umoci", "raw", "unpack", "--image", layout + ":real", rootfs], **quiet)
        fix_umoci_dirs(layout, rootfs)
        for opts in ([], ["--hardlinks"]):
            ref, got = os.path.join(work, "ref.img"), os.path.join(work, "oci.img")
            run([args.mkcomposefs, *opts, rootfs, ref])
            r = subprocess.run([args.mkcomposefs, *opts, "--from-oci=" + layout + ":real", got],
                               stderr=subprocess.PIPE, text=True, errors="replace")
            if r.returncode != 0:
                return "real image: --from-oci failed: " + r.stderr.strip()
            if open(ref, "rb").read() != open(got, "rb").read():
                return "real image: images differ (%s)" % " ".join(opts)
        print("real image (umoci insert of %s, a whiteout layer): same image" % ", ".join(trees))
        return None
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mkcomposefs", required=True)
    ap.add_argument("--mount-helper", required=True)
    ap.add_argument("--seeds", default="1-20")
    ap.add_argument("--from-tar-every", type=int, default=4)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: the OCI oracle needs root (umoci unpacks owners, devices, trusted xattrs)")
        return 77
    if not shutil.which("umoci"):
        print("SKIP: umoci not installed (apt install umoci)")
        return 77
    failures = 0
    start = time.monotonic()
    for seed in parse_seeds(args.seeds):
        work = tempfile.mkdtemp(prefix="i24-oci-%d-" % seed, dir=os.environ.get("TMPDIR", "/tmp"))
        try:
            layout, umoci_layout, rootfs = (os.path.join(work, n) for n in ("layout", "layout-umoci", "rootfs"))
            run([sys.executable, os.path.join(HERE, "genlayout.py"), str(seed), layout])
            run([sys.executable, os.path.join(HERE, "genlayout.py"), str(seed), umoci_layout, "--umoci"])
            run(["umoci", "raw", "unpack", "--image", umoci_layout + ":test", rootfs],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            fix_umoci_dirs(umoci_layout, rootfs)
            err = check_from_oci(args, seed, work, layout, rootfs)
            if not err and args.from_tar_every and seed % args.from_tar_every == 0:
                err = check_from_tar(args, work, umoci_layout, rootfs)
            if err:
                failures += 1
                print("seed %d: FAIL: %s (work dir %s)" % (seed, err, work))
                continue
        finally:
            if not args.keep and not failures:
                shutil.rmtree(work, ignore_errors=True)
    err = check_real_image(args)
    if err:
        failures += 1
        print("FAIL:", err)
    n = len(parse_seeds(args.seeds))
    print("%d seeds, %d failed, %.1fs" % (n, failures, time.monotonic() - start))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
