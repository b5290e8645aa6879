#!/usr/bin/env bash
# The README's second command: install what is missing, build with AddressSanitizer and
# UndefinedBehaviorSanitizer, and run the whole test suite (unit, golden, e2e, and the corpus
# label when ../shared/corpus exists; corpus tests skip cleanly without it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$(nproc)"
ctest --preset dev "$@"
# Adversarial traffic again on the release build, where peak memory is measured (under the
# sanitizers it is not meaningful): tests/adversarial.
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
ctest --preset release -L adversarial
# The multi-worker pipeline under ThreadSanitizer (label tsan: workers_equal, the flood).
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j"$(nproc)" --target vigil vigil-gen
ctest --preset tsan
# Fuzzing (tests/fuzz, docs/FUZZING.md): the harnesses built with clang, libFuzzer, ASan and
# UBSan in build-fuzz; every saved input replayed and each harness fuzzed for 15 s (about two
# minutes in all on 2 cores). VG_SKIP_FUZZ=1 leaves it out.
if [ "${VG_SKIP_FUZZ:-0}" != 1 ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j"$(nproc)"
  ctest --preset fuzz
fi
