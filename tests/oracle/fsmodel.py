"""The oracle's own view of a directory tree, written apart from lib/scan.

walk() reads a tree with os.lstat / os.listxattr / os.readlink and hashes every
regular file with fsverity_digest() (a plain Python fs-verity Merkle tree);
dump() writes the composefs-dump(5) text that mkcomposefs DIR must agree with,
for one set of mkcomposefs options; store_listing() is the object store that
--digest-store must leave; listing() is what a mount of the image must show.
"""
import hashlib
import os
import stat
from collections import deque

BLOCK = 4096
INLINE_MAX = 64   # files of 1-64 bytes are inlined (LCFS_RECOMMENDED_INLINE_CONTENT_MAX)


def fsverity_digest(data):
    """fs-verity file digest: SHA-256, 4096-byte blocks, no salt."""
    level = [data[i:i + BLOCK] for i in range(0, len(data), BLOCK)]
    root = bytes(32)
    while level:
        hashes = [hashlib.sha256(b.ljust(BLOCK, b"\0")).digest() for b in level]
        if len(hashes) == 1:
            root = hashes[0]
            break
        joined = b"".join(hashes)
        level = [joined[i:i + BLOCK] for i in range(0, len(joined), BLOCK)]
    descriptor = (bytes([1, 1, 12, 0]) + bytes(4) + len(data).to_bytes(8, "little")
                  + root.ljust(64, b"\0") + bytes(32) + bytes(144))
    return hashlib.sha256(descriptor).hexdigest()


class Entry:
    """One name in the tree, with what lstat and friends say of it."""

    def __init__(self, rel, st, xattrs, target, data):
        self.rel = rel            # b"" for the root, else b"a/b"
        self.st = st
        self.xattrs = xattrs      # [(name, value)] in listxattr order
        self.target = target      # symlinks
        self.size = st.st_size
        self.digest = fsverity_digest(data) if data is not None and len(data) > 0 else None
        self.content = data if data is not None and 0 < len(data) <= INLINE_MAX else None
        self.sha256 = hashlib.sha256(data).hexdigest() if data is not None else None

    @property
    def mode(self):
        return self.st.st_mode

    def is_dir(self):
        return stat.S_ISDIR(self.mode)

    def is_device(self):
        return stat.S_ISCHR(self.mode) or stat.S_ISBLK(self.mode)

    def is_whiteout(self):
        return stat.S_ISCHR(self.mode) and self.st.st_rdev & 0xFFFFFFFF == 0

    def linked(self, opts):
        """Does --hardlinks keep this name's links? Not for directories, nor for
        whiteouts (markers: each must stay a whiteout of its own directory)."""
        return opts.hardlinks and not self.is_dir() and not self.is_whiteout() and self.st.st_nlink > 1


def read_xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return []
    return [(os.fsencode(n), os.getxattr(path, n, follow_symlinks=False)) for n in names]


def walk(root):
    """Every entry, breadth first with names sorted bytewise (the image's inode order)."""
    entries = []
    queue = deque([b""])
    while queue:
        rel = queue.popleft()
        path = os.path.join(root, rel) if rel else root
        st = os.lstat(path)
        target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
        data = None
        if stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                data = f.read()
        entries.append(Entry(rel, st, read_xattrs(path), target, data))
        if stat.S_ISDIR(st.st_mode):
            for name in sorted(os.listdir(path)):
                queue.append(os.path.join(rel, name) if rel else name)
    return entries


# ---- composefs-dump(5) ---------------------------------------------------

def escape(raw, lone_dash=False):
    """Everything but printable ASCII other than '\\' and '=' as \\xHH."""
    if lone_dash and raw == b"-":
        return "\\x2d"
    out = []
    for b in raw:
        out.append(chr(b) if 0x21 <= b <= 0x7e and b not in (0x5c, 0x3d) else "\\x%02x" % b)
    return "".join(out)


class Options:
    """The mkcomposefs options the oracle varies, parsed from its argument list."""

    def __init__(self, args):
        self.use_epoch = "--use-epoch" in args
        self.skip_xattrs = "--skip-xattrs" in args
        self.user_xattrs = "--user-xattrs" in args
        self.skip_devices = "--skip-devices" in args
        self.hardlinks = "--hardlinks" in args

    def keeps(self, entry):
        return not (self.skip_devices and entry.is_device())

    def xattrs_of(self, entry):
        if self.skip_xattrs:
            return []
        if self.user_xattrs:
            return [x for x in entry.xattrs if x[0].startswith(b"user.")]
        return entry.xattrs


def inode_names(entries, opts):
    """--hardlinks: each inode's first name in breadth-first order; {rel: that name}."""
    if not opts.hardlinks:
        return {}
    first, links = {}, {}
    for e in entries:
        if not e.linked(opts) or not opts.keeps(e):
            continue
        key = (e.st.st_dev, e.st.st_ino)
        if key in first:
            links[e.rel] = first[key]
        else:
            first[key] = e.rel
    return links


def dump_line(e, opts):
    st = e.st
    nlink = st.st_nlink if (e.linked(opts) or e.is_dir()) else 1
    rdev = st.st_rdev & 0xFFFFFFFF if e.is_device() else 0
    sec, nsec = divmod(st.st_mtime_ns, 10**9)
    mtime = "0.0" if opts.use_epoch else "%d.%d" % (sec, nsec)
    payload, content, digest = "-", "-", "-"
    if e.target is not None:
        payload = escape(e.target, lone_dash=True)
    elif e.content is not None:
        content = escape(e.content, lone_dash=True)
    elif e.digest is not None:
        payload, digest = e.digest[:2] + "/" + e.digest[2:], e.digest
    fields = ["/" + escape(e.rel), str(e.size), "%o" % st.st_mode, str(nlink), str(st.st_uid),
              str(st.st_gid), str(rdev), mtime, payload, content, digest]
    fields += [escape(k) + "=" + escape(v) for k, v in opts.xattrs_of(e)]
    return " ".join(fields)


def dump(entries, args):
    """The dump that `mkcomposefs ARGS --from-file` must turn into mkcomposefs ARGS DIR's image."""
    opts = Options(args)
    links = inode_names(entries, opts)
    lines = []
    for e in entries:
        if not opts.keeps(e):
            continue
        if e.rel in links:
            lines.append("/%s 0 @%o 1 0 0 0 0.0 /%s - -" % (escape(e.rel), e.mode, escape(links[e.rel])))
        else:
            lines.append(dump_line(e, opts))
    return "\n".join(lines) + "\n"


def store_listing(entries):
    """`find STORE -type f -printf '%P %s %m'`, sorted: every file over 64 bytes once."""
    objects = {e.digest: e.size for e in entries if e.digest is not None and e.size > INLINE_MAX}
    return sorted("%s/%s %d 644" % (d[:2], d[2:], size) for d, size in objects.items())


# ---- what a mount must show ----------------------------------------------

def with_xattr(xattrs, name, value):
    return [x for x in xattrs if x[0] != name] + [(name, value)]


def mounted_xattrs(e, opts, whiteout_parents):
    """The xattrs a mount shows: the image's, where whiteouts are marked for an
    overlay mounted on top (the writer's escaped trusted.overlay.overlay.* names
    read back as trusted.overlay.*)."""
    xattrs = list(opts.xattrs_of(e))
    marks = []
    if e.is_whiteout():
        marks = [(b"trusted.overlay.whiteout", b""), (b"user.overlay.whiteout", b"")]
    elif e.rel in whiteout_parents:
        marks = [(b"trusted.overlay.whiteouts", b""), (b"user.overlay.whiteouts", b""),
                 (b"trusted.overlay.opaque", b"x"), (b"user.overlay.opaque", b"x")]  # format version 1
    for name, value in marks:
        xattrs = with_xattr(xattrs, name, value)
    return xattrs


def listing(entries, args=None):
    """One line per name: everything a reader of the mounted image can see.

    With ARGS (the default version, 0 to 1, only), the source tree as mkcomposefs ARGS
    puts it into an image and a mount shows it: nlink 1 for files unless --hardlinks,
    mtimes, xattrs and devices as the options say, whiteouts as marked empty files;
    without, the entries as they are (a walk of the mount)."""
    opts = Options(args or [])
    model = args is not None
    whiteout_parents = {os.path.dirname(e.rel) for e in entries if model and opts.keeps(e) and e.is_whiteout()}
    lines = []
    for e in entries:
        if model and not opts.keeps(e):
            continue
        st, mode, sha256 = e.st, e.mode, e.sha256
        nlink = st.st_nlink if (not model or e.linked(opts) or e.is_dir()) else 1
        mtime = 0 if model and opts.use_epoch else st.st_mtime_ns
        xattrs = mounted_xattrs(e, opts, whiteout_parents) if model else e.xattrs
        size = "-" if e.is_dir() else st.st_size
        rdev = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)) if e.is_device() else "-"
        if model and e.is_whiteout():
            mode, size, rdev, sha256 = stat.S_IFREG | stat.S_IMODE(mode), 0, "-", hashlib.sha256(b"").hexdigest()
        lines.append("%r %o %d %d:%d %s %d %s %r %s %r" % (
            e.rel, mode, nlink, st.st_uid, st.st_gid, size, mtime, rdev, e.target, sha256, sorted(xattrs)))
    return lines
