/* fuzz_evscan.c — the collector's event scanner (src/collect/evscan.c) on any bytes, as an event
 * of a Redis stream entry would bring them. Checks beyond the sanitizers: every value taken is
 * NUL-terminated UTF-8 of the length given, and what jansson reads as an object the scanner
 * accepts too, unless one of its own stricter rules says why (a repeated key that Vigil reads,
 * nesting deeper than 512, \u0000 or a lone surrogate in a value it reads).
 */
#include "fuzz_common.h"

#include "collect/evscan.h"

#include <jansson.h>

static uint8_t arena[1 << 20];
static size_t arena_used;

static void *bump(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n > sizeof arena - arena_used)
        return NULL;
    void *p = arena + arena_used;
    arena_used += n;
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 18))
        return 0;
    arena_used = 0;
    ev_cols_t c;
    const char *why = vg_evscan((const char *)data, size, &c, bump);
    if (!why) {
        for (int k = 0; k < EV_N; k++) {
            if (c.v[k].type != EVV_STR)
                continue;
            if (strlen(c.v[k].s) != c.v[k].len ||
                !vg_valid_utf8((const unsigned char *)c.v[k].s, c.v[k].len))
                abort();
        }
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, 0, &je);
    /* a NUL byte is refused by the scanner wherever it is (PostgreSQL's text cannot hold it);
     * jansson's loadb stops reading at one */
    bool nul = memchr(data, 0, size) != NULL;
    if (json_is_object(j) && why && !nul && !strstr(why, "repeats a key") && !strstr(why, "deeper") &&
        !strstr(why, "\\u0000") && !strstr(why, "out of memory")) {
        fprintf(stderr, "fuzz_evscan: jansson reads an object, the scanner refuses: %s\n", why);
        abort();
    }
    json_decref(j);
    return 0;
}
