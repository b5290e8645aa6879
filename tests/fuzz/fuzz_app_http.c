/* fuzz_app_http.c — the HTTP parser over TCP: chunks of both directions, transactions walked,
 * logged and checked as fuzz_app.h describes. Input: chunks only (no prefix). */
#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_app_run(VG_APP_HTTP, true, data, size);
    return 0;
}
