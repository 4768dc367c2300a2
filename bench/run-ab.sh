#!/usr/bin/env bash
# A/B of two Gatehouse builds in one run, on loopback: both stacks are held at once (bench/run-http.sh
# --hold, on different ports), warmed alike, then measured in alternating order, round after round, so
# both see the same machine. For changes too small for two separate bench/run-http.sh runs to show: on a
# 2-core VM one run's rounds differ by up to a third, and a CPU-per-request figure from ten seconds of one
# run moved by 20 % with no code change between them (bench/README.md, run 14).
#
#   bench/run-ab.sh REV          A = git revision REV (built in a temporary worktree), B = this tree
#   bench/run-ab.sh REV1 REV2    A = REV1, B = REV2 (both built in worktrees)
#
# Per round, for each build in turn (A then B in odd rounds, B then A in even ones), on both Gatehouse rows
# (limits+auth, full): wrk -t2 -c64 for AB_DURATION (req/s), then hey at AB_RATE req/s for AB_RATE_DURATION
# (CPU µs per request of that build's gateway + agent, from /proc). Results: bench/target/run-ab/results.md.
#
# Settings (environment, defaults in brackets): AB_ROUNDS [3] AB_WARMUP [60s] (wrk load per row and build
# before the first round, for the JIT) AB_DURATION [15s] AB_RATE [1000] AB_RATE_WORKERS [20]
# AB_RATE_DURATION [20s] AB_SKIP_BUILD [] (1: use the jars already built in this tree for B)
# AB_A_JAVA_OPTS [] AB_B_JAVA_OPTS [] (GATEHOUSE_JAVA_OPTS of one stack: with one revision for both,
# bench/run-ab.sh HEAD HEAD, an A/B of a JVM option)
# Needs what bench/run-http.sh needs, plus git and Maven. Takes about 20 minutes with the defaults
# (two builds, two stacks started, 4 minutes of warm-up, 3 rounds).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/target/run-ab"
ROUNDS="${AB_ROUNDS:-3}"
WARMUP="${AB_WARMUP:-60s}"
DURATION="${AB_DURATION:-15s}"
RATE="${AB_RATE:-1000}"
RATE_WORKERS="${AB_RATE_WORKERS:-20}"
RATE_DURATION="${AB_RATE_DURATION:-20s}"
BODY='{"model":"demo-small","messages":[{"role":"user","content":"hello"}]}'

say() { printf '%s\n' "$*"; }
die() { say "run-ab: $*" >&2; exit 1; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: bench/run-ab.sh REV [REV2]  (A = REV, B = REV2 or this tree)"
for tool in git mvn wrk hey; do command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y wrk hey)"; done
git -C "$ROOT" rev-parse --verify -q "$1^{commit}" >/dev/null || die "$1 is not a commit of this repository"
[ $# -lt 2 ] || git -C "$ROOT" rev-parse --verify -q "$2^{commit}" >/dev/null || die "$2 is not a commit of this repository"

rm -rf "$OUT"; mkdir -p "$OUT"
WORK="$(mktemp -d /tmp/gatehouse-ab.XXXXXX)"
HOLDS=()
cleanup() {
  local pid
  for pid in "${HOLDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${HOLDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for tree in "$WORK"/tree-*; do
    [ -d "$tree" ] && git -C "$ROOT" worktree remove --force "$tree" 2>/dev/null || true
  done
  git -C "$ROOT" worktree prune 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build() { # dir
  say "== building $(git -C "$1" rev-parse --short HEAD) in $1" >&2
  (cd "$1" && mvn -B -ntp -q -Dmaven.test.skip=true -pl cli,sample-model,bench -am package) >"$OUT/build-$(basename "$1").log" 2>&1 \
    || die "the build in $1 failed; see $OUT/build-$(basename "$1").log"
}
tree_of() { # rev -> a worktree with that revision, built
  local dir="$WORK/tree-$(git -C "$ROOT" rev-parse --short "$1")"
  git -C "$ROOT" worktree add -q --detach "$dir" "$1" >/dev/null
  build "$dir"
  say "$dir"
}

A_DIR="$(tree_of "$1" | tail -1)"; A_NAME="$(git -C "$ROOT" rev-parse --short "$1")"
if [ $# -eq 2 ]; then
  B_DIR="$(tree_of "$2" | tail -1)"; B_NAME="$(git -C "$ROOT" rev-parse --short "$2")"
else
  B_DIR="$ROOT"; B_NAME="this tree ($(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD || say ' + changes'))"
  [ -n "${AB_SKIP_BUILD:-}" ] || build "$ROOT"
fi

# One stack per build. Both use this tree's bench/run-http.sh (the same harness for both), each with its
# own output directory, its build's jars and ports: B on run-http.sh's defaults, A on the same ports + 1000.
hold() { # name dir port-offset java-opts
  local name="$1" dir="$2" o="$3" log="$OUT/hold-$1.log"
  GATEHOUSE_JAVA_OPTS="$4" BENCH_OUT="$OUT/$name" \
  GATEHOUSE_CP="$dir/cli/target/gatehouse-cli.jar:$dir/cli/target/lib/*" \
  SAMPLE_MODEL_CP="$dir/sample-model/target/gatehouse-sample-model.jar:$dir/sample-model/target/lib/*" \
  BENCH_UPSTREAM_PORT=$((18100 + o)) BENCH_PROXY_PORT=$((18088 + o)) BENCH_APACHE_PORT=$((18089 + o)) \
  BENCH_GATEWAY_PORT=$((18080 + o)) BENCH_GATEWAY_FULL_PORT=$((18082 + o)) BENCH_GATEWAY_STREAM_PORT=$((18084 + o)) \
  BENCH_GATEWAY_FULL_STREAM_PORT=$((18086 + o)) BENCH_ADMIN_PORT=$((18081 + o)) BENCH_AGENT_PORT=$((17443 + o)) \
  BENCH_ISSUER_PORT=$((18090 + o)) BENCH_JWKS_TLS_PORT=$((18091 + o)) BENCH_MODEL_PORT=$((18000 + o)) \
  BENCH_MODEL_GRPC_PORT=$((18001 + o)) \
    "$ROOT/bench/run-http.sh" --hold >"$log" 2>&1 &
  HOLDS+=($!)
  local i
  for i in $(seq 1 240); do
    grep -q '^pids: ' "$log" && return 0
    kill -0 "${HOLDS[-1]}" 2>/dev/null || die "the $name stack did not start; see $log"
    sleep 1
  done
  die "the $name stack did not answer within 4 minutes; see $log"
}
A_NAME+="${AB_A_JAVA_OPTS:+ with $AB_A_JAVA_OPTS}"; B_NAME+="${AB_B_JAVA_OPTS:+ with $AB_B_JAVA_OPTS}"
say "== starting both stacks (A: $A_NAME on ports +1000, B: $B_NAME)"
hold a "$A_DIR" 1000 "${AB_A_JAVA_OPTS:-}"
hold b "$B_DIR" 0 "${AB_B_JAVA_OPTS:-}"
pid_of() { sed -n "s/^pids: gateway \([0-9]*\), agent \([0-9]*\).*/\\$2/p" "$OUT/hold-$1.log"; }
declare -A GW AG PORT TOKEN
for s in a b; do
  GW[$s]="$(pid_of "$s" 1)"; AG[$s]="$(pid_of "$s" 2)"; TOKEN[$s]="$(cat "$OUT/$s/token")"
done
PORT[a]=19080; PORT[b]=18080 # limits+auth; full is the port + 2
say "== A: gateway ${GW[a]}, agent ${AG[a]}; B: gateway ${GW[b]}, agent ${AG[b]}"

load() { # stack port duration -> req/s
  BENCH_BODY="$BODY" BENCH_BEARER="${TOKEN[$1]}" wrk -t2 -c64 -d"$3" -s "$ROOT/bench/chat.lua" \
    "http://127.0.0.1:$2/v1/chat/completions" | awk '/^Requests\/sec:/ { print $2 }'
}
ticks() { awk '{ t += $14 + $15 } END { print t }' "/proc/${GW[$1]}/stat" "/proc/${AG[$1]}/stat"; }
at_rate() { # stack port -> CPU µs per answered request
  local t0 t1 n
  t0="$(ticks "$1")"
  n="$(hey -z "$RATE_DURATION" -c "$RATE_WORKERS" -q "$(awk -v r="$RATE" -v w="$RATE_WORKERS" 'BEGIN{printf "%g", r/w}')" \
    -m POST -T application/json -H "Authorization: Bearer ${TOKEN[$1]}" -d "$BODY" \
    "http://127.0.0.1:$2/v1/chat/completions" | awk '/^ *\[2[0-9][0-9]\]/ { n += $2 } END { print n + 0 }')"
  t1="$(ticks "$1")"
  [ "$n" -gt 0 ] || die "hey got no 2xx answer from stack $1 on :$2"
  awk -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" -v n="$n" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }'
}

say "== warm-up: $WARMUP of wrk per row and build"
for s in a b; do load "$s" "${PORT[$s]}" "$WARMUP" >/dev/null; load "$s" "$((PORT[$s] + 2))" "$WARMUP" >/dev/null; done

RESULTS="$OUT/rounds.tsv"
printf 'round\tbuild\trow\treq_s\tcpu_us_at_rate\n' >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  order=(a b); [ $((round % 2)) -eq 1 ] || order=(b a)
  for s in "${order[@]}"; do
    for row in limits+auth full; do
      port="${PORT[$s]}"; [ "$row" = limits+auth ] || port=$((port + 2))
      rps="$(load "$s" "$port" "$DURATION")"
      cpu="$(at_rate "$s" "$port")"
      printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$s" "$row" "$rps" "$cpu" | tee -a "$RESULTS"
    done
  done
done

{
  say "## A/B: A = $A_NAME, B = $B_NAME ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  say ""
  say "$ROUNDS rounds, builds alternating (ABBA…); per row and build: wrk -t2 -c64 -d$DURATION, then hey at $RATE req/s" \
    "for $RATE_DURATION (gateway + agent CPU per request). Warm-up: $WARMUP of wrk per row and build."
  say ""
  say "| row | A req/s | B req/s | B ÷ A | A CPU µs/req | B CPU µs/req | B ÷ A |"
  say "|---|---|---|---:|---|---|---:|"
  for row in limits+auth full; do
    awk -F'\t' -v row="$row" '
      $3 == row { v[$2, "r"] = v[$2, "r"] (v[$2, "r"] == "" ? "" : ", ") int($4); s[$2, "r"] += $4
                  v[$2, "c"] = v[$2, "c"] (v[$2, "c"] == "" ? "" : ", ") $5; s[$2, "c"] += $5; n[$2]++ }
      END { printf "| %s | %s (mean %.0f) | %s (mean %.0f) | %.3f | %s (mean %.0f) | %s (mean %.0f) | %.3f |\n", row,
              v["a", "r"], s["a", "r"] / n["a"], v["b", "r"], s["b", "r"] / n["b"], (s["b", "r"] / n["b"]) / (s["a", "r"] / n["a"]),
              v["a", "c"], s["a", "c"] / n["a"], v["b", "c"], s["b", "c"] / n["b"], (s["b", "c"] / n["b"]) / (s["a", "c"] / n["a"]) }' \
      "$RESULTS"
  done
  say ""
  say "Read a difference as real only when every round's B value is on the same side of every round's A value."
} | tee "$OUT/results.md"
