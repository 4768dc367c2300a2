#!/usr/bin/env bash
# Crash durability beyond the test suite: the recording crash test (gateway as a child JVM, clients
# under load, kill -9 at random points, restart, then "every 2xx the client saw has a complete record,
# the rest are marked incomplete, audit verify passes") with more kill points than CI runs, on the
# embedded H2 store and on PostgreSQL (127.0.0.1:5432, user postgres; a throw-away database per run).
#
#   bench/run-crash.sh                                        100 kill points on H2, 40 on PostgreSQL
#   CRASH_POINTS=500 CRASH_POINTS_POSTGRES=200 bench/run-crash.sh
#
# Needs the same as `mvn -B verify` (Java 17, Maven, PostgreSQL). Builds from the work tree (-am), installs nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
POINTS="${CRASH_POINTS:-100}"
POINTS_PG="${CRASH_POINTS_POSTGRES:-40}"
echo "== recording crash test: ${POINTS} kill -9 points on H2, ${POINTS_PG} on PostgreSQL (the suite runs 20 and 8)"
run() {
  mvn -B -ntp "$@" verify -pl integration-tests -am -Dit.test=CrashRecordingIT -Dtest=NoSuchTest \
    -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false \
    -Dgatehouse.crash.points="${POINTS}" -Dgatehouse.crash.points.postgres="${POINTS_PG}"
}
run -o || run
grep -h -E "crash|kill|complete|verify" integration-tests/target/failsafe-reports/*CrashRecordingIT*-output.txt 2>/dev/null | tail -20 || true
