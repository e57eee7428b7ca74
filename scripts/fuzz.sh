#!/usr/bin/env bash
# `make fuzz`: runs each Jazzer fuzz target (README "Fuzzing") in fuzzing mode, one JVM per target, and prints
# the executions of each. A target stops after FUZZ_RUNS executions or FUZZ_MAX_TIME, whichever comes first; an
# input that runs longer than FUZZ_TIMEOUT seconds is a finding (timeout), like a crash or an OutOfMemoryError
# (the fork has -Xmx512m). Findings are written to the target's inputs directory under src/test/resources, where
# `make test` replays them from then on; the generated corpus stays in <module>/.cifuzz-corpus (not committed).
#
#   scripts/fuzz.sh                       all targets
#   scripts/fuzz.sh BundleFuzzTest        the targets whose name contains BundleFuzzTest
#   FUZZ_RUNS=100000 scripts/fuzz.sh      fewer executions
#
# Needs the modules installed first (`make build`).
set -uo pipefail
cd "$(dirname "$0")/.."

RUNS=${FUZZ_RUNS:-1000000}
MAX_TIME=${FUZZ_MAX_TIME:-60m}
TIMEOUT=${FUZZ_TIMEOUT:-10}
MVN=${MVN:-mvn -B -ntp}
ALL=(
  tuf:dev.custody.tuf.canonical.CanonicalJsonFuzzTest#canonicalize_anyBytes
  tuf:dev.custody.tuf.model.MetadataFuzzTest#parse_anyFile
  tuf:dev.custody.tuf.ceremony.BundleFuzzTest#parse_anyBytes
  daemon:dev.custody.daemon.rpc.RpcRequestFuzzTest#requestLines_anyBytes
  daemon:dev.custody.daemon.config.ConfigLoaderFuzzTest#load_anyYaml
)
# Coverage feedback from our classes and the parsers under them (Jackson's tokenizer, SnakeYAML), not only this
# module's; jackson-databind left out: tracing its comparisons costs more than its coverage gives.
INSTRUMENT=${FUZZ_INSTRUMENT:-'dev.custody.**,com.fasterxml.jackson.core.**,org.yaml.snakeyaml.**'}

mkdir -p target/fuzz
summary=target/fuzz/summary.txt
: > "$summary"
failed=0
for t in "${ALL[@]}"; do
  module=${t%%:*}
  test=${t#*:}
  cls=${test%%#*}
  name=${cls##*.}#${test#*#}
  if [ $# -gt 0 ] && [[ "$name" != *"$1"* ]]; then
    continue
  fi
  log=target/fuzz/${cls##*.}.log
  echo "== fuzzing $name ($module): up to $RUNS executions or $MAX_TIME, $TIMEOUT s per input"
  start=$(date +%s)
  JAZZER_FUZZ=1 $MVN -q -pl "$module" test-compile surefire:test@jazzer \
    -Djazzer.tests="$test" \
    -Djazzer.max_executions="$RUNS" -Djazzer.max_duration="$MAX_TIME" \
    -Djazzer.instrument="$INSTRUMENT" \
    -Djazzer.internal.arg.0=fuzz -Djazzer.internal.arg.1=-timeout="$TIMEOUT" -Djazzer.internal.arg.2=-print_final_stats=1 \
    > "$log.mvn" 2>&1
  rc=$?
  # libFuzzer writes its statistics to the fork's native stderr (Maven's output), Java output goes to the report
  cat "$log.mvn" "$module/target/surefire-reports/$cls-output.txt" > "$log" 2>/dev/null
  runs=$(grep -a 'stat::number_of_executed_units' "$log" | tail -1 | awk '{print $2}')
  secs=$(grep -aoE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $5}')
  findings=$(grep -acE '^(== Java Exception|==[0-9]+== ERROR|ALARM: working on the last Unit|SUMMARY: libFuzzer)' "$log")
  if [ $rc -eq 0 ] && [ -n "$runs" ] && [ "$findings" = 0 ]; then
    result="ok"
  else
    result="FAILED (exit $rc; see $log)"
    failed=1
  fi
  line=$(printf '%-46s %8s executions in %4ss (wall %4ss), %s findings: %s' "$name" "${runs:-?}" "${secs:-?}" \
    "$(( $(date +%s) - start ))" "$findings" "$result")
  echo "$line"
  echo "$line" >> "$summary"
done
echo
echo "== fuzz summary ($(date -u +%FT%TZ), FUZZ_RUNS=$RUNS FUZZ_MAX_TIME=$MAX_TIME FUZZ_TIMEOUT=${TIMEOUT}s)"
cat "$summary"
exit $failed
