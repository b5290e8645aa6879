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
