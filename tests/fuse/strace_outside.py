#!/usr/bin/env python3
"""Reads a trace of `strace -f -y -e trace=%file` and fails (exit 1, naming the
lines) when a system call that succeeded reached something outside STORE:
  - an fd that strace shows (-y) as a path under OUTSIDE (opened, or used);
  - a path looked up relative to a directory fd inside STORE that leaves STORE,
    by its text ("..") or through a symlink (os.path.realpath).
Usage: strace_outside.py TRACE STORE OUTSIDE"""
import os
import re
import sys

CALL = re.compile(r'^(\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(<[^>]*>)?')
FD_PATH = re.compile(r'\d+<([^>]*)>')
DIR_AND_PATH = re.compile(r'^\s*(?:AT_FDCWD|\d+<([^>]*)>)\s*,\s*"((?:[^"\\]|\\.)*)"')


def merged_lines(text):
    """strace -f splits a call interrupted by another thread's: join the halves."""
    pending = {}
    for line in text.splitlines():
        m = re.match(r'^(\d+)\s+(.*)$', line)
        pid, rest = (m.group(1), m.group(2)) if m else ('', line)
        if rest.endswith('<unfinished ...>'):
            pending[pid] = rest[: -len('<unfinished ...>')]
            continue
        r = re.match(r'^<\.\.\. \w+ resumed>(.*)$', rest)
        if r:
            rest = pending.pop(pid, '') + r.group(1)
        yield rest


def inside(path, root):
    return path == root or path.startswith(root + '/')


def problems(trace, store, outside):
    for line in merged_lines(trace):
        m = CALL.match(line)
        if not m or m.group(4) in ('?',) or m.group(4).startswith('-'):
            continue  # not a call, or it failed
        name, args = m.group(2), m.group(3)
        fd_paths = FD_PATH.findall(args) + ([m.group(5)[1:-1]] if m.group(5) else [])
        if any(inside(p, outside) for p in fd_paths):
            yield line
            continue
        d = DIR_AND_PATH.match(args)
        if not d or not d.group(1) or not inside(d.group(1), store) or d.group(2) == '':
            continue
        joined = os.path.join(d.group(1), d.group(2))
        lexical = os.path.normpath(joined)
        # A successful O_PATH | O_NOFOLLOW open or a no-follow stat of a symlink
        # reaches the link itself, not its target.
        nofollow = 'O_NOFOLLOW' in args or 'AT_SYMLINK_NOFOLLOW' in args
        resolved = os.path.join(os.path.realpath(os.path.dirname(lexical)), os.path.basename(lexical)) \
            if nofollow else os.path.realpath(joined)
        if not inside(lexical, store) or not inside(resolved, store):
            yield f'{line}    [{name}: {joined} is outside {store}]'


def main():
    trace_path, store, outside = sys.argv[1], os.path.realpath(sys.argv[2]), os.path.realpath(sys.argv[3])
    with open(trace_path, encoding='utf-8', errors='replace') as f:
        found = list(problems(f.read(), store, outside))
    for line in found:
        print('    reached outside the store: ' + line)
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
