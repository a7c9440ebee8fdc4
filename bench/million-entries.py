#!/usr/bin/env python3
"""Times ours against a reference build (composefs-c) on 64k, 256k and 1M-entry images.

    bench/million-entries.py [--ours BUILD_DIR] --reference TOOLS_DIR [--runs N]
                             [--copies 1,4,16] [--only CMD,...] [--plot PNG] [--tsv FILE]

The inputs are the shipped cs9-x86_64-developer dump 1, 4 and 16 times over
(bench/multiply-dump.py). For each size: `mkcomposefs --from-file`, `composefs-info
dump|ls|objects` and `composefs-dump` (image -> image), ours and the reference
alternating, N runs each; prints the median wall time and median peak RSS, the
ratios ours/reference, and checks that images and outputs are identical. TOOLS_DIR
holds the reference mkcomposefs, composefs-info and composefs-dump (composefs-c's
build/tools). --only keeps some commands (e.g. "info dump,info ls,info objects").
With --plot (needs gnuplot) draws time and peak RSS against entries.
Speed is never asserted: these are figures for doc/benchmarks.md."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CS9 = os.path.join(ROOT, "tests/golden/upstream/cs9-x86_64-developer.dump.gz")


def timed(argv, stdout_path):
    """Runs argv; returns (seconds, peak RSS in MiB)."""
    with open(stdout_path, "wb") as out:
        res = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", stdout_path + ".time"] + argv,
                             stdout=out, stderr=subprocess.PIPE)
    if res.returncode != 0:
        sys.exit(f"failed ({res.returncode}): {' '.join(argv)}\n{res.stderr.decode(errors='replace')}")
    secs, kib = open(stdout_path + ".time").read().split()[-2:]
    return float(secs), int(kib) / 1024


def same_file(a, b):
    return subprocess.run(["cmp", "-s", a, b]).returncode == 0


def tools(ours, ref):
    return {
        "ours": {"mk": f"{ours}/mkcomposefs/mkcomposefs", "info": f"{ours}/composefs-info/composefs-info",
                 "dump": f"{ours}/composefs-dump/composefs-dump"},
        "ref": {"mk": f"{ref}/mkcomposefs", "info": f"{ref}/composefs-info", "dump": f"{ref}/composefs-dump"},
    }


def commands(t, dump, image, work):
    """name -> function(who) -> (argv, output file whose bytes must match across tools)."""
    def mk(who):
        out = f"{work}/{who}.from-file.cfs"
        return [t[who]["mk"], "--from-file", dump, out], out

    def info(sub):
        return lambda who: ([t[who]["info"], sub, image], f"{work}/{who}.{sub}.out")

    def cdump(who):
        out = f"{work}/{who}.composefs-dump.cfs"
        return [t[who]["dump"], image, out], out

    return {"from-file": mk, "info dump": info("dump"), "info ls": info("ls"),
            "info objects": info("objects"), "composefs-dump": cdump}


def bench_size(t, copies, runs, work, only):
    dump = f"{work}/in.dump"
    with open(dump, "wb") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "multiply-dump.py"), CS9, str(copies)], stdout=f, check=True)
    entries = sum(1 for _ in open(dump, "rb"))
    image = f"{work}/image.cfs"
    subprocess.run([t["ref"]["mk"], "--from-file", dump, image], check=True)
    rows = []
    for name, make in commands(t, dump, image, work).items():
        if only and name not in only:
            continue
        samples = {"ours": [], "ref": []}
        for _ in range(runs):
            for who in ("ours", "ref"):
                argv, out = make(who)
                samples[who].append(timed(argv, out + ".stdout" if out.endswith(".cfs") else out))
        identical = same_file(make("ours")[1], make("ref")[1])
        med = {w: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v)) for w, v in samples.items()}
        rows.append((entries, name, med["ours"], med["ref"], identical))
    os.unlink(dump)
    return rows


def plot(rows, png):
    """Time and peak RSS against entries for from-file and info dump, ours and C."""
    data = tempfile.mkdtemp(prefix="cfs-plot-")
    series = []
    for cmd in ("from-file", "info dump"):
        path = os.path.join(data, cmd.replace(" ", "_") + ".dat")
        with open(path, "w") as f:
            for entries, name, (ot, om), (rt, rm), _ in rows:
                if name == cmd:
                    f.write(f"{entries} {ot} {om} {rt} {rm}\n")
        series.append((cmd, path))
    def lines(col_ours, col_ref):
        return ", ".join(f'"{p}" using 1:{col_ours} with linespoints lw 2 title "{c}, ours", '
                         f'"{p}" using 1:{col_ref} with linespoints dt 2 lw 2 title "{c}, composefs-c"'
                         for c, p in series)
    script = f"""
set terminal pngcairo size 1000,420 font ",10"
set output "{png}"
set multiplot layout 1,2 title "cs9 dump x1, x4, x16 (bench/million-entries.py, medians)"
set key top left
set grid
set xlabel "entries"
set format x "%.0s%c"
set ylabel "wall time, s"
plot {lines(2, 4)}
set ylabel "peak RSS, MiB"
plot {lines(3, 5)}
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)
    shutil.rmtree(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", default=os.path.join(ROOT, "build"))
    ap.add_argument("--reference", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", default="1,4,16")
    ap.add_argument("--only", help="comma-separated command names to run (default: all)")
    ap.add_argument("--plot")
    ap.add_argument("--tsv")
    args = ap.parse_args()
    t = tools(os.path.abspath(args.ours), os.path.abspath(args.reference))
    work = tempfile.mkdtemp(prefix="cfs-bench-")
    try:
        rows = []
        for copies in map(int, args.copies.split(",")):
            rows += bench_size(t, copies, args.runs, work, args.only.split(",") if args.only else None)
    finally:
        shutil.rmtree(work)
    print(f"{'entries':>9} {'command':<15} {'ours s':>7} {'C s':>7} {'ratio':>6} {'ours MiB':>9} {'C MiB':>7} {'ratio':>6} same")
    lines = []
    for entries, name, (ot, om), (rt, rm), same in rows:
        print(f"{entries:>9} {name:<15} {ot:>7.2f} {rt:>7.2f} {ot / rt if rt else 0:>6.2f} {om:>9.0f} {rm:>7.0f} "
              f"{om / rm:>6.2f} {'yes' if same else 'NO'}")
        lines.append(f"{entries}\t{name.replace(' ', '_')}\t{ot}\t{om}\t{rt}\t{rm}\n")
    per_entry = {}
    for entries, name, (ot, _), _, _ in rows:
        per_entry.setdefault(name, []).append(ot / entries)
    for name, v in per_entry.items():
        if len(v) > 1 and v[0] > 0:
            print(f"scaling {name}: time per entry at the largest size / at the smallest = {v[-1] / v[0]:.2f}")
    if args.tsv:
        with open(args.tsv, "w") as f:
            f.writelines(lines)
    if args.plot:
        plot(rows, args.plot)
    if not all(r[4] for r in rows):
        sys.exit("outputs differ")


if __name__ == "__main__":
    main()
