/* fuzz_app_dns.c — the DNS parser over UDP (each chunk one datagram) and over TCP (chunks of a
 * length-prefixed message stream). Input: [mode][chunk]...; mode bit 0 selects TCP. Chunks,
 * transaction walk, logging and checks as fuzz_app.h describes. */
#include "fuzz_app.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_app_run(VG_APP_DNS, data[0] & 1, data + 1, size - 1);
    return 0;
}
