/* fuzz_bundle.c — `vigil verify` on an exported bundle (bundle.json, a ledger segment, some
 * alerts' eve.json lines and pcaps): fuzz_ledger.c built with FUZZ_BUNDLE, see its comment for
 * the input layout and the invariants. */
#define FUZZ_BUNDLE 1
#include "fuzz_ledger.c"
