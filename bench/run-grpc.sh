#!/usr/bin/env bash
# gRPC unary ModelInfer on loopback: the sample model called directly, and through Gatehouse (gateway gRPC
# listener -> agent over gRPC + mTLS -> the model's gRPC port), in one JVM that also runs the load client
# (io.gatehouse.bench.GrpcLoad, bench/src/test/java). Pipeline of the gateway's endpoint: recording, limits,
# auth, policy, masking, with the demo's policies. Prints req/s, p50/p90/p99 per target, the ratios to the
# direct call, and a one-caller (c=1) run of each. First it loads both paths until the JIT has settled (the JVM's
# own compile-time counter grows by less than --settle-share % of a round), which takes 1 to 5 minutes; then about
# 1.5 minutes of measuring.
#
#   bench/run-grpc.sh
#   bench/run-grpc.sh --callers 32 --duration 30     any GrpcLoad option passes through (defaults below)
#
# GrpcLoad options (defaults in brackets): --warmup [10] --duration [20] seconds of the load runs, --callers [16]
# calls in flight over --channels [2], --idle-warmup [3] --idle [5] seconds of the c=1 runs, --users [1000]
# gateway identities to rotate over (the demo's ml-engineers policy allows 600 requests a minute per identity),
# --policies [config/examples/demo/policies], --pipeline [demo] (or lean: limits + auth only, as run-http.sh),
# --settle-step [10] seconds per settle round, --settle-share [2] %, --settle-max [300] seconds (0: no settle step).
# Environment: BENCH_JAVA_OPTS [] JVM options of the one JVM; BENCH_REBUILD=1 rebuilds first.
#
# Builds with Maven, offline, bench and the modules it needs (`-pl bench -am`, test-compile): the gateway, agent,
# sample model and protocol classes are this work tree's, as compiled (target/classes), so nothing has to be
# installed first and what is measured is what is checked out. The stack's logs
# (logback, as the gateway logs) go to bench/target/run-grpc/stack.log, the report to stdout and
# bench/target/run-grpc/report.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/bench/target/run-grpc"
CLASSPATH_FILE="$OUT/classpath.txt"
CLASSES="$ROOT/bench/target/test-classes"

die() { printf 'run-grpc: %s\n' "$*" >&2; exit 1; }
command -v java >/dev/null || die "java (17+) is needed"
mkdir -p "$OUT"

newer() { find "$ROOT" -path "$ROOT/*/target" -prune -o \( -path '*/src/main/*' -o -path "$ROOT/bench/src/*" \
  -o -name pom.xml \) -type f -newer "$CLASSPATH_FILE" -print -quit; }
if [ ! -f "$CLASSPATH_FILE" ] || [ ! -f "$CLASSES/io/gatehouse/bench/GrpcLoad.class" ] \
    || [ "${BENCH_REBUILD:-0}" = 1 ] || [ -n "$(newer)" ]; then
  command -v mvn >/dev/null || die "Maven (mvn) is needed to build bench's test classes"
  echo "run-grpc: building bench (test classes and their class path)" >&2
  # In a reactor build each module writes the class path file in turn; bench, built last, writes it last.
  (cd "$ROOT" && mvn -B -ntp -q -o -pl bench -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$CLASSPATH_FILE") >&2 \
    || die "build failed (offline: run 'mvn -B package -DskipTests' online once to fetch dependencies)"
fi

echo "== machine: $(nproc) cores; $(uptime)"
java -version 2>&1 | head -1
cd "$ROOT"
# The test class path holds both slf4j-nop (bench's JMH output) and logback (the gateway's): name the gateway's.
status=0
# shellcheck disable=SC2086
java ${BENCH_JAVA_OPTS:-} -Dslf4j.provider=ch.qos.logback.classic.spi.LogbackServiceProvider \
  -cp "$CLASSES:$ROOT/bench/target/classes:$(cat "$CLASSPATH_FILE")" io.gatehouse.bench.GrpcLoad "$@" \
  2>"$OUT/stack.log" | tee "$OUT/report.txt" || status=$?
echo "== after: $(uptime)"
echo "== stack log: $OUT/stack.log ($(wc -l <"$OUT/stack.log") lines)"
exit "$status"
