/* fuzz_app_smtp.c — the SMTP parser over TCP (commands, replies, DATA through the MIME decoder,
 * BDAT, STARTTLS): chunks of both directions, transactions walked, logged and checked as
 * fuzz_app.h describes. Input: chunks only (no prefix). */
#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_app_run(VG_APP_SMTP, true, data, size);
    return 0;
}
