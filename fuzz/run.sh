#!/usr/bin/env bash
# Runs every fuzz target under AFL++ (cargo-afl, stable Rust) for SECONDS each (default 30),
# from the seeds in corpus/<target>/, and fails if any found a crash (a panic: a failed
# assertion included). Findings land in target/afl/<target>/default/crashes/; replay one
# with `target/release/<target> < that-file`.
#
#   fuzz/run.sh 60
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-30}
command -v cargo-afl > /dev/null || cargo install cargo-afl --locked
# Builds AFL++'s runtime for this toolchain, unless it already is.
cargo afl config --build > /dev/null 2>&1 || true
cargo afl build --release --quiet
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
mkdir -p target/afl
failed=0
for target in mode_select page_number response_parser page_policy; do
    out="target/afl/$target"
    rm -rf "$out"
    echo "fuzzing $target for ${SECONDS_EACH}s"
    cargo afl fuzz -V "$SECONDS_EACH" -i "corpus/$target" -o "$out" "target/release/$target" \
        > "$out.log" 2>&1 || { echo "afl-fuzz failed on $target:"; tail -20 "$out.log"; exit 1; }
    execs=$(awk -F: '/^execs_done/ {gsub(/ /, "", $2); print $2}' "$out/default/fuzzer_stats")
    crashes=$(find "$out/default/crashes" -type f ! -name README.txt | wc -l)
    echo "  $execs executions, $crashes crashes"
    if [ "$crashes" -gt 0 ]; then
        failed=1
        for crash in "$out"/default/crashes/id*; do
            echo "  crash $crash:"
            "target/release/$target" < "$crash" 2>&1 | grep -m3 "panicked\|assert" | sed 's/^/    /' || true
        done
    fi
done
exit "$failed"
