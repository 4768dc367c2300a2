#!/usr/bin/env bash
# JMH benchmarks of the built-in processors (LimitsBenchmark, AuthBenchmark), modest settings for a
# 2-core machine: one fork, 3 x 2 s warm-up, 5 x 3 s measurement; about 2 minutes in all.
#   bench/run-jmh.sh                    # everything
#   bench/run-jmh.sh Auth               # a regexp of benchmarks; any other JMH option passes through
#   JMH_OPTS='-f 2 -i 10' bench/run-jmh.sh   # override the default settings
# Builds bench/target/benchmarks.jar (Maven, offline first, tests not compiled) when it is missing,
# older than bench/'s own sources, or when BENCH_REBUILD=1. When only processors/ changed it warns
# instead of rebuilding: in a shared work tree a half-done change there must not stop a run or be
# measured by surprise; rebuild on purpose with BENCH_REBUILD=1.
# Results: printed, and as JSON in bench/target/jmh-result.json.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAR="$ROOT/bench/target/benchmarks.jar"

command -v java >/dev/null || { echo "run-jmh: java (17+) is needed" >&2; exit 1; }
newer() { find "$@" \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$JAR" -not -path '*/target/*' -print -quit; }
if [ ! -f "$JAR" ] || [ "${BENCH_REBUILD:-0}" = 1 ] || [ -n "$(newer "$ROOT/bench")" ]; then
  command -v mvn >/dev/null || { echo "run-jmh: Maven (mvn) is needed to build $JAR" >&2; exit 1; }
  echo "run-jmh: building $JAR" >&2
  (cd "$ROOT" && { mvn -B -ntp -q -o -Dmaven.test.skip=true -pl bench -am package \
    || mvn -B -ntp -q -Dmaven.test.skip=true -pl bench -am package; }) >&2
elif [ -n "$(newer "$ROOT/processors")" ]; then
  echo "run-jmh: note: processors/ changed after $JAR was built; these results are for the older" \
    "processors (BENCH_REBUILD=1 rebuilds)" >&2
fi

echo "== machine: $(nproc) cores; $(uptime)"
java -version 2>&1 | head -1
# shellcheck disable=SC2086
java -jar "$JAR" ${JMH_OPTS:--f1 -wi 3 -i 5 -w 2s -r 3s} -rf json -rff "$ROOT/bench/target/jmh-result.json" "$@"
echo "== after: $(uptime)"
