#!/usr/bin/env python3
"""walk.py DIR: one line per name under DIR, everything its reader can see.

Type, mode, nlink, owner, size, mtime, rdev, symlink target, xattrs (names and
values, in listing order) and the SHA-256 of the content; whatever fails (a file
this user may not read, a directory it may not list) shows as the errno name, so
a walk by an unprivileged user compares too. Breadth first, names sorted.
"""
import errno
import hashlib
import os
import stat
import sys
from collections import deque


def attempt(fn):
    try:
        return fn()
    except OSError as e:
        return "E:" + errno.errorcode.get(e.errno, str(e.errno))


def content(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


def xattrs(path):
    names = os.listxattr(path, follow_symlinks=False)
    return [(n, attempt(lambda n=n: os.getxattr(path, n, follow_symlinks=False))) for n in names]


def line(rel, path):
    st = os.lstat(path)
    mode = st.st_mode
    rdev = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "-"
    target = attempt(lambda: os.readlink(path)) if stat.S_ISLNK(mode) else None
    data = attempt(lambda: content(path)) if stat.S_ISREG(mode) else None
    return "%r %o %d %d:%d %d %d %s %r %s %r" % (
        rel, mode, st.st_nlink, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns, rdev, target, data,
        attempt(lambda: xattrs(path)))


def walk(root):
    queue = deque([b""])
    while queue:
        rel = queue.popleft()
        path = os.path.join(root, rel) if rel else root
        print(line(rel, path))
        if stat.S_ISDIR(os.lstat(path).st_mode):
            names = attempt(lambda: sorted(os.listdir(path)))
            if isinstance(names, str):
                print("%r listdir %s" % (rel, names))
                continue
            for name in names:
                queue.append(os.path.join(rel, name) if rel else name)


if __name__ == "__main__":
    walk(os.fsencode(sys.argv[1]))
