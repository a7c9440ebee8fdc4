#!/usr/bin/env python3
"""Writes a large composefs dump made of COPIES copies of a dump, each under /r0 ..
/rN-1 (hardlink targets moved alike); COPIES=1 writes the input unchanged.
    bench/multiply-dump.py INPUT.dump[.gz] COPIES > OUT.dump
The million-entry benchmark input is the shipped cs9-x86_64-developer dump 16 times
(1,027,937 entries); 4 times gives 256,985 entries."""
import gzip
import sys


def main():
    src, copies = sys.argv[1], int(sys.argv[2])
    opener = gzip.open if src.endswith(".gz") else open
    with opener(src, "rb") as f:
        lines = f.read().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = sys.stdout.buffer
    if copies == 1:
        out.write(b"\n".join(lines) + b"\n")
        return
    out.write(lines[0] + b"\n")  # the root, once
    for k in range(copies):
        prefix = b"/r%d" % k
        for line in lines:
            fields = line.split(b" ", 9)
            fields[0] = prefix if fields[0] == b"/" else prefix + fields[0]
            if fields[2].startswith(b"@") and fields[8].startswith(b"/"):
                fields[8] = prefix + fields[8]
            out.write(b" ".join(fields) + b"\n")


if __name__ == "__main__":
    main()
