#!/usr/bin/env bash
# Crash durability beyond the test suite: the recording crash test (gateway as a child JVM, clients
# under load, kill -9 at random points, restart, then "every 2xx the client saw has a complete record,
# the rest are marked incomplete, audit verify passes") with more kill points than CI runs.
#
#   bench/run-crash.sh            100 kill points
#   CRASH_POINTS=500 bench/run-crash.sh
#
# Needs the same as `mvn -B verify` (Java 17, Maven; PostgreSQL is not used by this test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
POINTS="${CRASH_POINTS:-100}"
echo "== recording crash test with ${POINTS} kill -9 points (the suite runs 20)"
mvn -B -ntp -q -o install -DskipTests || mvn -B -ntp -q install -DskipTests
mvn -B -ntp verify -pl integration-tests -Dit.test=CrashRecordingIT -Dtest=NoSuchTest \
  -Dsurefire.failIfNoSpecifiedTests=false -Dgatehouse.crash.points="${POINTS}"
grep -h -E "crash|kill|complete|verify" integration-tests/target/failsafe-reports/*CrashRecordingIT*-output.txt 2>/dev/null | tail -20 || true
