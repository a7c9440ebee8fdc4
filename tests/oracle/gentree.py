#!/usr/bin/env python3
"""Seeded generator of real directory trees for the random-tree oracle.

    gentree.py SEED DIR      makes DIR (which must not exist) from SEED

The same seed gives the same tree (names, contents, modes, owners, xattrs, times)
on any filesystem. Every kind of entry composefs images hold, and their edges:
regular files of 0, 1, 64, 65, 4095, 4096, 4097 bytes and a few MiB; empty and
non-empty files and directories with xattrs (security.selinux, trusted.overlay.*
that the writer must escape, user.* with long and binary values, values shared
between files); dangling and 4095-byte symlinks; hard links; fifos, sockets,
character and block devices, 0:0 whiteouts; 255-byte names, non-UTF-8 bytes,
spaces, newlines, backslashes, '=' and leading dots in names; deep nesting;
setuid, setgid, sticky and odd modes; owners above 65535; mtimes with nanoseconds
and before 1970.

Without root, what needs it (devices, owners, trusted.* and security.* xattrs)
is left out; without user xattrs on the filesystem, user.* xattrs are too.
This file shares nothing with lib/scan: it is half of an independent judge.
"""
import errno
import os
import random
import socket
import stat
import sys

PATH_BUDGET = 3000          # whole paths stay well under PATH_MAX (4096)
MIB = 1 << 20
EDGE_SIZES = [0, 0, 1, 2, 63, 64, 65, 100, 4095, 4096, 4097, 8192, 12289, 40000]
OWNERS = [0, 1, 1000, 65534, 65535, 65536, 100000, 2**31, 4294967294]
SECONDS = [0, 1, -1, -315619200, -2**31, 1700000000, 2**31 - 1, 2**31, 2**33]
FILE_MODES = [0o644, 0o755, 0o600, 0o444, 0o000, 0o777, 0o4755, 0o2755, 0o6711, 0o1644, 0o7777]
DIR_MODES = [0o755, 0o700, 0o1777, 0o2775, 0o555, 0o711, 0o3777]
# A v2 file capability (struct vfs_cap_data, 20 bytes), which the kernel validates.
CAPABILITY = bytes.fromhex("01000002") + bytes.fromhex("00040000" "00000000" "00000000" "00000000")
SELINUX = [b"system_u:object_r:usr_t:s0\0", b"system_u:object_r:etc_t:s0\0", b"unconfined_u:object_r:user_home_t:s0\0"]
OVERLAY_KEYS = [  # the writer must escape these (trusted.overlay.overlay.*)
    (b"trusted.overlay.opaque", b"y"), (b"trusted.overlay.redirect", b"/elsewhere"),
    (b"trusted.overlay.metacopy", b""), (b"trusted.overlay.whiteout", b""),
    (b"trusted.overlay.overlay.nested", b"x"), (b"trusted.overlay.origin", b"\x00\xfb\x21\x01")]


class TreeGen:
    def __init__(self, seed, root):
        self.r = random.Random(seed)
        self.root = root
        self.root_user = os.geteuid() == 0
        self.user_xattrs = probe_user_xattrs(root)
        self.dirs = [root]         # where new entries may go
        self.entries = [root]      # everything made, for the final owners/modes/times
        self.linkable = []         # non-directories a hard link may point at
        self.shared = [(b"user.shared", b"same value on many files"),
                       (b"user.shared.empty", b""), (b"user.mime_type", b"text/plain")]

    # ---- names ---------------------------------------------------------
    def name(self, parent):
        room = PATH_BUDGET - len(parent) - 1
        while True:
            n = self.raw_name(min(255, room))
            if n not in (b".", b"..") and not os.path.lexists(os.path.join(parent, n)):
                return n

    def raw_name(self, longest):
        r = self.r
        style = r.random()
        if style < 0.45:
            n = bytes(r.choice(b"abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(r.randint(1, 12)))
        elif style < 0.55:
            n = b"." + bytes(r.choice(b"abcxyz") for _ in range(r.randint(0, 5)))
        elif style < 0.70:
            n = bytes(r.choice(b"ab \n\\=\t\r-@%:#x") for _ in range(r.randint(1, 10)))
        elif style < 0.82:
            n = bytes(r.randint(1, 255) for _ in range(r.randint(1, 20))).replace(b"/", b"s")
        elif style < 0.90:
            n = bytes(r.choice(b"LONGlong") for _ in range(255))
        else:
            n = r.choice([b"-", b"@", b"a=b", b"\xff\xfe", b"x" * 254, "\u00e9t\u00e9".encode(), b"\\x41"])
        return n[:max(1, longest)]

    # ---- entries -------------------------------------------------------
    def make(self, count):
        for _ in range(count):
            parent = self.r.choice(self.dirs)
            if len(parent) > PATH_BUDGET - 20:
                continue
            kind = self.r.choices(
                ["file", "dir", "symlink", "hardlink", "fifo", "socket", "chr", "blk", "whiteout"],
                [40, 14, 10, 8, 3, 2, 3, 2, 3])[0]
            if kind in ("chr", "blk", "whiteout") and not self.root_user:
                kind = "file"
            if kind == "hardlink" and not self.linkable:
                kind = "file"
            name = self.name(parent)
            if kind == "socket" and len(name) > 100:  # sun_path holds 108 bytes
                kind = "fifo"
            path = os.path.join(parent, name)
            getattr(self, "make_" + kind)(path)
            self.entries.append(path)
            self.add_xattrs(path, kind)
        if self.r.random() < 0.3:
            self.make_deep_chain()

    def make_file(self, path):
        r = self.r
        roll = r.random()
        if roll < 0.03:
            size = r.randint(2 * MIB, 4 * MIB)
        else:
            size = r.choice(EDGE_SIZES) if roll < 0.8 else r.randint(0, 20000)
        pattern = r.random()
        if pattern < 0.2:
            data = bytes(size)
        elif pattern < 0.35 and size:
            data = (b"repeated content " * (size // 17 + 1))[:size]  # the same object twice
        else:
            data = r.randbytes(size)
        with open(path, "wb") as f:
            f.write(data)
        self.linkable.append(path)

    def make_dir(self, path):
        os.mkdir(path)
        self.dirs.append(path)

    def make_symlink(self, path):
        r = self.r
        roll = r.random()
        if roll < 0.1:
            target = b"t" * 4095 if roll < 0.05 else bytes(r.choice(b"abc/") for _ in range(4095))
        elif roll < 0.3:
            target = b"does/not/exist/" + self.raw_name(50)
        elif roll < 0.5:
            target = os.path.relpath(r.choice(self.entries), os.path.dirname(path))
        else:
            target = r.choice([b"/usr/lib", b"..", b".", b"../../x", b"a b\nc", b"\xff\xfe", b"-"])
        os.symlink(target, path)
        self.linkable.append(path)

    def make_hardlink(self, path):
        os.link(self.r.choice(self.linkable), path, follow_symlinks=False)

    def make_fifo(self, path):
        os.mkfifo(path)
        self.linkable.append(path)

    def make_socket(self, path):
        parent, name = os.path.split(path)
        here = os.open(".", os.O_RDONLY)
        try:
            os.chdir(parent)
            with socket.socket(socket.AF_UNIX) as s:
                s.bind(name)
        finally:
            os.fchdir(here)
            os.close(here)

    def make_chr(self, path):
        self.make_device(path, stat.S_IFCHR)

    def make_blk(self, path):
        self.make_device(path, stat.S_IFBLK)

    def make_device(self, path, kind):
        major = self.r.choice([1, 8, 259, 4095, self.r.randint(0, 4095)])
        minor = self.r.choice([0, 3, 255, 256, 1048575, self.r.randint(0, 1048575)])
        os.mknod(path, kind | 0o600, os.makedev(major, minor))
        self.linkable.append(path)

    def make_whiteout(self, path):
        os.mknod(path, stat.S_IFCHR | 0o000, os.makedev(0, 0))
        self.linkable.append(path)

    def make_deep_chain(self):
        path = self.root
        for _ in range(self.r.randint(20, 60)):
            if len(path) > PATH_BUDGET - 300:
                break
            path = os.path.join(path, self.name(path)[:8] if self.r.random() < 0.9 else b"d")
            if not os.path.lexists(path):
                os.mkdir(path)
                self.entries.append(path)
            elif not os.path.isdir(path) or os.path.islink(path):
                return
        self.dirs.append(path)
        self.make_file(os.path.join(path, b"deep-file"))
        self.entries.append(os.path.join(path, b"deep-file"))

    # ---- xattrs --------------------------------------------------------
    def add_xattrs(self, path, kind):
        r = self.r
        if kind == "hardlink":  # the same inode as another name, which may have some
            return
        takes_user = kind in ("file", "dir") and self.user_xattrs
        wanted = []
        if takes_user and r.random() < 0.5:
            wanted += r.sample(self.shared, r.randint(1, len(self.shared)))
            for _ in range(r.randint(0, 3)):
                key = b"user." + self.raw_name(40).replace(b"\0", b"0")
                wanted.append((key, r.choice([b"", b"v", r.randbytes(r.randint(1, 64)),
                                              r.randbytes(r.randint(200, 900))])))
        if self.root_user and r.random() < 0.5:
            wanted.append((b"security.selinux", r.choice(SELINUX)))
        if self.root_user and r.random() < 0.25:
            wanted += r.sample(OVERLAY_KEYS, r.randint(1, 3))
            wanted.append((b"trusted.other", r.randbytes(r.randint(0, 30))))
        if self.root_user and kind == "file" and r.random() < 0.1:
            wanted.append((b"security.capability", CAPABILITY))
        for key, value in wanted:
            try:
                os.setxattr(path, key, value, follow_symlinks=False)
            except OSError as e:
                if e.errno not in (errno.ENOSPC, errno.E2BIG):  # ext4: one block per inode
                    raise

    # ---- owners, modes, times (last: they would change while children come) ----
    def finish(self):
        r = self.r
        for path in self.entries:
            st = os.lstat(path)
            if self.root_user and r.random() < 0.4:
                os.chown(path, r.choice(OWNERS), r.choice(OWNERS), follow_symlinks=False)
            if not stat.S_ISLNK(st.st_mode) and r.random() < 0.5:
                modes = DIR_MODES if stat.S_ISDIR(st.st_mode) else FILE_MODES
                mode = r.choice(modes + [r.randint(0, 0o7777)])
                if not self.root_user:  # the scan must still read it
                    mode |= 0o700 if stat.S_ISDIR(st.st_mode) else 0o400
                os.chmod(path, mode)
        for path in sorted(self.entries, key=lambda p: -p.count(b"/")):
            sec = r.choice(SECONDS + [r.randint(-2**31, 2**33)])
            nsec = r.choice([0, 1, 999999999, r.randint(0, 999999999)])
            ns = sec * 10**9 + nsec
            os.utime(path, ns=(ns, ns), follow_symlinks=False)


def probe_user_xattrs(directory):
    probe = os.path.join(directory, b".probe")
    with open(probe, "wb"):
        pass
    try:
        os.setxattr(probe, b"user.probe", b"1")
        return True
    except OSError:
        return False
    finally:
        os.unlink(probe)


def generate(seed, root):
    os.mkdir(root)
    gen = TreeGen(seed, root)
    gen.make(gen.r.randint(30, 140))
    gen.add_xattrs(root, "dir")
    gen.finish()
    return gen


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gentree.py SEED DIR")
    gen = generate(int(sys.argv[1]), os.fsencode(sys.argv[2]))
    if not gen.root_user:
        print("gentree: not root: no devices, whiteouts, owners, trusted.* or security.* xattrs")
    if not gen.user_xattrs:
        print("gentree: no user xattrs on this filesystem")


if __name__ == "__main__":
    main()
