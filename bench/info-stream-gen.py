# Multiplies a composefs dump for benchmarks: COPIES=1 prints it unchanged, N > 1
# puts N copies of it under /r0 ... /rN-1 (hardlink targets moved along).
#   python3 bench/info-stream-gen.py DUMP.gz COPIES > OUT.dump
import sys, gzip
src, copies = sys.argv[1], int(sys.argv[2])
lines = gzip.open(src, 'rb').read().split(b'\n')
if lines[-1] == b'': lines.pop()
out = sys.stdout.buffer
if copies == 1:
    out.write(b'\n'.join(lines) + b'\n'); sys.exit()
out.write(lines[0] + b'\n')
for k in range(copies):
    pre = b'/r%d' % k
    for ln in lines:
        f = ln.split(b' ', 9)
        f[0] = pre if f[0] == b'/' else pre + f[0]
        if f[2].startswith(b'@') and f[8].startswith(b'/'): f[8] = pre + f[8]
        out.write(b' '.join(f) + b'\n')
