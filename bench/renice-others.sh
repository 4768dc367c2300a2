#!/usr/bin/env bash
# Gives a benchmark the CPU on a shared machine: every thread outside the process tree rooted at PID (and
# any wrk, hey or asprof) is kept at nice 19, the tree's own threads at nice 0, re-checked every second
# until PID ends. Nice is per thread on Linux, so a JVM's threads are set one by one. Needs root (to set
# the tree back to 0). Disk I/O is not prioritised by this: fsync latency still suffers from other work.
#   bench/run-http.sh & bench/renice-others.sh $!
set -euo pipefail
root="${1:?usage: renice-others.sh PID-of-the-benchmark}"
while kill -0 "$root" 2>/dev/null; do
  ps -eLo pid=,ppid=,tid=,ni=,comm= | awk -v r="$root" -v me="$$" '
    { p[$1] = $2; c[$1] = $5; t[$3] = $1; n[$3] = $4 }
    END {
      for (tid in t) {
        x = t[tid]
        if (x == me || p[x] == me) continue
        inside = (c[x] == "wrk" || c[x] == "hey" || c[x] == "asprof")
        for (y = x; !inside && y > 1; y = p[y]) if (y == r) inside = 1
        if (inside && n[tid] != "0") print 0, tid
        else if (!inside && n[tid] != "19" && n[tid] != "-") print 19, tid
      }
    }' | while read -r ni tid; do renice -n "$ni" -p "$tid" >/dev/null 2>&1 || true; done
  sleep 1
done
