#!/usr/bin/env python3
"""The random-tree oracle: mkcomposefs DIR against an independent dump of DIR.

For every seed, gentree.py makes a real directory tree and fsmodel.py reads it
into a composefs-dump(5) file of its own. For each option set, `mkcomposefs
OPTIONS DIR` must write the same bytes as `mkcomposefs --from-file` of that dump
(the golden corpus ties --from-file to composefs-c 1.0.8, so this carries the
guarantee over to directories); with --digest-store the store must hold exactly
the expected objects. Optionally the same trees go through lcfs_build (a C program
on libcomposefs), and, as root, the image is mounted and a walk of the mount must
show the source tree (xattr lists with duplicates, content, modes, owners, times,
nlink).

  oracle.py --mkcomposefs MK [--mount-helper MOUNT_COMPOSEFS] [--lcfs-build PROG]
            [--seeds FIRST-LAST] [--mount-every N] [--keep-failed]

CFS_ORACLE_SEEDS=FIRST-LAST in the environment overrides --seeds (the long mode:
CFS_ORACLE_SEEDS=1-5000). Exit status 1 if any check failed.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fsmodel  # noqa: E402
import gentree  # noqa: E402

OPTION_SETS = [
    [], ["--use-epoch"], ["--skip-xattrs"], ["--user-xattrs"], ["--skip-devices"],
    ["--min-version=0", "--max-version=0"], ["--min-version=1", "--max-version=1"],
    ["--hardlinks"], ["--digest-store"], ["--hardlinks", "--use-epoch", "--user-xattrs", "--skip-devices"],
    ["--hash=sha512", "--digest-store"],
]
VERSION_PREFIXES = ("--min-version=", "--max-version=")
BUILD_FLAGS = {"--use-epoch": "-e", "--skip-xattrs": "-x", "--user-xattrs": "-u", "--skip-devices": "-d"}
MOUNTED_SETS = [[], ["--hardlinks"], ["--hash=sha512"]]


class Oracle:
    def __init__(self, args, work):
        self.a = args
        self.work = work
        self.failures = []
        self.compared = 0

    def fail(self, seed, opts, what):
        line = "FAIL seed %d %s: %s" % (seed, " ".join(opts) or "(no options)", what)
        print(line, flush=True)
        self.failures.append(line)

    def run(self, cmd, **kw):
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)

    def check_seed(self, seed):
        d = os.path.join(self.work, "seed-%d" % seed)
        os.mkdir(d)
        tree = os.path.join(d, "tree")
        gentree.generate(seed, os.fsencode(tree))
        entries = fsmodel.walk(os.fsencode(tree))
        before = len(self.failures)
        for opts in OPTION_SETS:
            self.check_options(seed, d, tree, entries, opts)
        if self.a.mount_helper and seed % self.a.mount_every == 0:
            for opts in MOUNTED_SETS:
                self.check_mount(seed, d, tree, entries, opts)
        if len(self.failures) == before or not self.a.keep_failed:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("  kept %s" % d)

    def check_options(self, seed, d, tree, entries, opts):
        store = os.path.join(d, "store")
        shutil.rmtree(store, ignore_errors=True)
        dir_args = [("--digest-store=" + store if o == "--digest-store" else o) for o in opts]
        img_dir, img_dump, dump = (os.path.join(d, n) for n in ("dir.cfs", "dump.cfs", "tree.dump"))
        r = self.run([self.a.mkcomposefs] + dir_args + [tree, img_dir])
        if r.returncode != 0:
            return self.fail(seed, opts, "mkcomposefs DIR failed: %s" % r.stderr.decode(errors="replace").strip())
        with open(dump, "w", encoding="ascii") as f:
            f.write(fsmodel.dump(entries, opts))
        versions = [o for o in opts if o.startswith(VERSION_PREFIXES)]  # --hash: the dump's digests say
        r = self.run([self.a.mkcomposefs] + versions + ["--from-file", dump, img_dump],
                     env=dict(os.environ, CFS_PARSE_STRICT="1"))
        if r.returncode != 0:
            return self.fail(seed, opts, "--from-file of the oracle's dump failed: %s" % r.stderr.decode(errors="replace").strip())
        self.compared += 1
        if not same_file(img_dir, img_dump):
            return self.fail(seed, opts, "mkcomposefs DIR and --from-file of the oracle's dump differ (%s, %s)" % (img_dir, dump))
        if "--digest-store" in opts:
            got = sorted(self.run(["find", store, "-type", "f", "-printf", "%P %s %m\\n"]).stdout.decode().splitlines())
            if got != fsmodel.store_listing(entries, opts):
                self.fail(seed, opts, "the object store is not the expected one")
        if self.a.lcfs_build and not {"--hardlinks", "--digest-store", "--hash=sha512"} & set(opts):
            self.check_lcfs_build(seed, d, tree, img_dir, opts)

    def check_lcfs_build(self, seed, d, tree, img_dir, opts):
        flags = [BUILD_FLAGS[o] for o in opts if o in BUILD_FLAGS]
        vmin = next((o.split("=")[1] for o in opts if o.startswith("--min-version=")), "0")
        vmax = next((o.split("=")[1] for o in opts if o.startswith("--max-version=")), "1")
        img_api = os.path.join(d, "api.cfs")
        r = self.run([self.a.lcfs_build] + flags + [vmin, vmax, tree, img_api])
        self.compared += 1
        if r.returncode != 0:
            self.fail(seed, opts, "lcfs_build failed: %s" % r.stderr.decode(errors="replace").strip())
        elif not same_file(img_dir, img_api):
            self.fail(seed, opts, "lcfs_build and mkcomposefs DIR differ")

    def check_mount(self, seed, d, tree, entries, opts):
        store, img, mnt = (os.path.join(d, n) for n in ("mstore", "m.cfs", "mnt"))
        os.makedirs(mnt, exist_ok=True)
        r = self.run([self.a.mkcomposefs, "--digest-store=" + store] + opts + [tree, img])
        if r.returncode != 0:
            return self.fail(seed, opts, "mkcomposefs for the mount failed")
        r = self.run([self.a.mount_helper, "-o", "basedir=" + store, img, mnt])
        if r.returncode != 0:
            return self.fail(seed, opts, "mount failed: %s" % r.stderr.decode(errors="replace").strip())
        try:
            seen = fsmodel.listing(fsmodel.walk(os.fsencode(mnt)))
        finally:
            subprocess.run(["umount", mnt], check=True)
        expected = fsmodel.listing(entries, opts)
        self.compared += 1
        if seen != expected:
            diff = [("- " + x) for x in expected if x not in seen][:3] + [("+ " + x) for x in seen if x not in expected][:3]
            self.fail(seed, opts, "the mount does not show the source tree:\n    " + "\n    ".join(diff))


def same_file(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def seed_range(text):
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mkcomposefs", required=True)
    p.add_argument("--mount-helper")
    p.add_argument("--lcfs-build")
    p.add_argument("--seeds", default="1-100")
    p.add_argument("--mount-every", type=int, default=5, help="mount the image of every Nth seed")
    p.add_argument("--keep-failed", action="store_true")
    a = p.parse_args()
    seeds = seed_range(os.environ.get("CFS_ORACLE_SEEDS") or a.seeds)
    if a.mount_helper and os.geteuid() != 0:
        print("oracle: not root: images are not mounted (mounting needs root)")
        a.mount_helper = None
    work = tempfile.mkdtemp(prefix="cfs-oracle.", dir=os.environ.get("CFS_ORACLE_TMP", "/var/tmp"))
    oracle = Oracle(a, work)
    try:
        for seed in seeds:
            oracle.check_seed(seed)
    finally:
        if not a.keep_failed or not oracle.failures:
            shutil.rmtree(work, ignore_errors=True)
    print("oracle: seeds %d-%d: %d comparisons, %d failed" % (seeds[0], seeds[-1], oracle.compared, len(oracle.failures)))
    sys.exit(1 if oracle.failures else 0)


if __name__ == "__main__":
    main()
