#!/usr/bin/env bash
# Many concurrent SSE streams through the full pipeline for a long time: does the gateway's memory
# stay flat? Starts the same stack as run-http.sh (--hold), then keeps STREAMS streams open at once
# (hey -c STREAMS, each answer a slow stream from the sample model: X-Sample-Token-Delay-Ms between
# words) for DURATION, and every SAMPLE seconds records the gateway's resident set and its live heap
# after a full GC (jcmd GC.run, then GC.heap_info). Prints the series and the first/last ratio.
#
#   bench/run-streams.sh                       200 streams, 10 minutes, a sample every 60 s
#   BENCH_STREAMS=50 BENCH_STREAM_MINUTES=2 bench/run-streams.sh
#
# Environment: BENCH_STREAMS [200] BENCH_STREAM_MINUTES [10] BENCH_STREAM_SAMPLE [60] seconds
#   BENCH_STREAM_DELAY_MS [20] between words of each answer; the ports of run-http.sh.
# Needs what run-http.sh needs, plus hey (apt-get install -y hey). Results: bench/target/run-streams/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/target/run-streams"
STREAMS="${BENCH_STREAMS:-200}"
MINUTES="${BENCH_STREAM_MINUTES:-10}"
SAMPLE="${BENCH_STREAM_SAMPLE:-60}"
DELAY="${BENCH_STREAM_DELAY_MS:-20}"
PORT="${BENCH_GATEWAY_FULL_STREAM_PORT:-18086}"
mkdir -p "$OUT"
command -v hey >/dev/null || { echo "run-streams: hey is needed (apt-get install -y hey)" >&2; exit 1; }

"$ROOT/bench/run-http.sh" --hold >"$OUT/hold.log" 2>&1 &
HOLD=$!
trap 'kill $HOLD 2>/dev/null; wait $HOLD 2>/dev/null || true' EXIT
for _ in $(seq 1 180); do
  grep -q '^pids: gateway' "$OUT/hold.log" 2>/dev/null && break
  kill -0 $HOLD 2>/dev/null || { cat "$OUT/hold.log" >&2; exit 1; }
  sleep 1
done
GW="$(sed -n 's/^pids: gateway \([0-9]*\),.*/\1/p' "$OUT/hold.log")"
[ -n "$GW" ] || { echo "run-streams: the stack did not start; see $OUT/hold.log" >&2; exit 1; }
TOKEN="$(cat "$ROOT/bench/target/run-http/token")"
BODY='{"model":"demo-small","stream":true,"messages":[{"role":"user","content":"tell me about gateways and records"}]}'
URL="http://127.0.0.1:$PORT/v1/chat/completions"
answer="$(curl -s -N -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -H "X-Sample-Token-Delay-Ms: $DELAY" -d "$BODY" "$URL")"
case "$answer" in *"[DONE]"*) ;; *) echo "run-streams: the stream did not end with [DONE]: $answer" >&2; exit 1 ;; esac

live_heap_kib() { # full GC, then the heap's used KiB
  jcmd "$GW" GC.run >/dev/null 2>&1 || true
  jcmd "$GW" GC.heap_info 2>/dev/null | sed -n 's/.*used \([0-9]*\)K.*/\1/p' | head -1
}
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$GW/status"; }

echo "== $STREAMS concurrent streams for $MINUTES min through the full pipeline ($URL), $DELAY ms between words"
echo "== $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
hey -z "${MINUTES}m" -c "$STREAMS" -m POST -H "Authorization: Bearer $TOKEN" -T application/json \
  -H "X-Sample-Token-Delay-Ms: $DELAY" -d "$BODY" "$URL" >"$OUT/hey.txt" 2>&1 &
LOAD=$!
printf '| minute | open connections | RSS MiB | live heap MiB |\n|---:|---:|---:|---:|\n' | tee "$OUT/series.md"
start=$(date +%s)
while kill -0 $LOAD 2>/dev/null; do
  sleep "$SAMPLE"
  kill -0 $LOAD 2>/dev/null || break
  conns="$(ss -Htn state established "( sport = :$PORT )" | wc -l)"
  printf '| %.1f | %s | %s | %s |\n' "$(echo "($(date +%s) - $start) / 60" | bc -l)" "$conns" \
    "$(( $(rss_kib) / 1024 ))" "$(( $(live_heap_kib) / 1024 ))" | tee -a "$OUT/series.md"
done
wait $LOAD || true
grep -A6 'Status code distribution' "$OUT/hey.txt" || true
grep -A6 'Error distribution' "$OUT/hey.txt" || true
first="$(sed -n '3p' "$OUT/series.md" | awk -F'|' '{print $5}')"
last="$(tail -1 "$OUT/series.md" | awk -F'|' '{print $5}')"
echo "== live heap first sample ${first} MiB, last ${last} MiB; series in $OUT/series.md"
