/* fuzz_ledger.c — `vigil verify`'s readers: the evidence ledger (evidence/ledger.jsonl), the
 * evidence directory and eve.json, through vg_verify() as the command runs it.
 *
 * Input: [eve_len:2][eve.json bytes][ledger bytes]. Each input is written into a private log
 * directory made once per process, whose evidence/ also holds two fixed files the seeds' entries
 * name (flow-1.pcap and flow-2.pcap), so the hash and size checks are reached. The public key is
 * fixed (Ed25519 from a constant seed, also used by make_seeds.py), so seeds carry checkpoints
 * whose signatures verify and mutations reach every branch of the checkpoint checks.
 * Invariant: the exit status is one of 0 (verifies), 1 (tampered), 2 (cannot check) or
 * 3 (incomplete), and with --json the report parses as one JSON object.
 *
 * Built with FUZZ_BUNDLE defined (fuzz_bundle.c) it fuzzes the reader of an exported bundle
 * (`vigil evidence export` output, docs/EVIDENCE.md) instead: the input starts with
 * [flags:1][bundle_len:2][bundle.json bytes], then the same [eve_len:2][eve.json][ledger]; the
 * directory then holds bundle.json, so vg_verify() reads the ledger as a segment and checks only
 * the selected alerts. Flags bit 0: no --pubkey, so the key is the bundle's own sensor.pub (the
 * same fixed key). Invariants as above.
 */
#include "fuzz_common.h"

#include "common/log.h"
#include "evidence/ledger.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], ledger[192], eve[128], pub[128];

static void put(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
        abort();
}

static void cleanup(void)
{
    static const char *const names[] = {"evidence/ledger.jsonl", "evidence/flow-1.pcap",
                                        "evidence/flow-2.pcap", "evidence", "eve.json",
                                        "sensor.pub", "bundle.json", ""};
    char path[192];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (remove(path) != 0 && errno != ENOENT)
            (void)rmdir(path);
    }
}

static void setup(void)
{
    vg_log_set_level(VG_LOG_ERROR);
    if (sodium_init() < 0)
        abort();
#ifdef FUZZ_BUNDLE
    snprintf(dir, sizeof dir, "/tmp/vigil-fuzz-bundle-%d", (int)getpid());
#else
    snprintf(dir, sizeof dir, "/tmp/vigil-fuzz-ledger-%d", (int)getpid());
#endif
    char ev[128], path[192];
    snprintf(ev, sizeof ev, "%s/evidence", dir);
    if ((mkdir(dir, 0700) && errno != EEXIST) || (mkdir(ev, 0700) && errno != EEXIST))
        abort();
    /* the two evidence files of the seeds (make_seeds.py writes the same bytes) */
    static const char f1[] = "vigil fuzz evidence file 1\n", f2[] = "vigil fuzz evidence file 2\n";
    snprintf(path, sizeof path, "%s/flow-1.pcap", ev);
    put(path, (const uint8_t *)f1, sizeof f1 - 1);
    snprintf(path, sizeof path, "%s/flow-2.pcap", ev);
    put(path, (const uint8_t *)f2, sizeof f2 - 1);
    uint8_t seed[32], pk[32], sk[64];
    memset(seed, 0x11, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    char line[128];
    int n = snprintf(line, sizeof line, "vigil-ed25519-public-key ");
    for (int i = 0; i < 32; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%02x", pk[i]);
    line[n++] = '\n';
    snprintf(pub, sizeof pub, "%s/sensor.pub", dir);
    put(pub, (const uint8_t *)line, (size_t)n);
    snprintf(ledger, sizeof ledger, "%s/ledger.jsonl", ev);
    snprintf(eve, sizeof eve, "%s/eve.json", dir);
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    fz_t f = {data, size};
    bool own_key = false;
#ifdef FUZZ_BUNDLE
    char bundle[128];
    snprintf(bundle, sizeof bundle, "%s/bundle.json", dir);
    own_key = fz_u8(&f) & 1;
    size_t blen;
    const uint8_t *bj = fz_take(&f, fz_u16(&f), &blen);
    put(bundle, bj, blen);
#endif
    size_t elen;
    const uint8_t *e = fz_take(&f, fz_u16(&f), &elen);
    if (elen)
        put(eve, e, elen);
    else
        unlink(eve);
    put(ledger, f.p, f.n);
    char *out = NULL;
    size_t out_len = 0;
    FILE *o = open_memstream(&out, &out_len);
    if (!o)
        abort();
    vg_verify_opts_t vo = {.logdir = dir, .pubkey = own_key ? NULL : pub, .json = true};
    int rc = vg_verify(&vo, o);
    fclose(o);
    if (rc < 0 || rc > 3) {
        fprintf(stderr, "fuzz_ledger: exit status %d\n%.*s\n", rc, (int)out_len, out);
        abort(); /* an exit status outside the documented ones */
    }
    if (rc != 2) {
        json_error_t je;
        json_t *j = json_loadb(out, out_len, 0, &je);
        if (!j || !json_is_object(j)) {
            fprintf(stderr, "fuzz_ledger: --json output is not one object (%s, status %d):\n%.*s\n",
                    je.text, rc, (int)out_len, out);
            abort(); /* --json must print one object */
        }
        json_decref(j);
    }
    free(out);
    return 0;
}
