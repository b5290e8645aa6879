/* fuzz_app_ftp.c — the FTP parser over TCP: chunks of both directions (each followed by the
 * packet hook, as the worker calls it), transactions walked, logged and checked as fuzz_app.h
 * describes. Input: chunks only (no prefix). */
#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_app_run(VG_APP_FTP, true, data, size);
    return 0;
}
