/* export.c — `vigil evidence export`: a self-contained bundle of some alerts with their pcaps,
 * the ledger segment that chains them to a signed checkpoint, and the public key (ledger.h). */
#include "evidence/ledger.h"
#include "common/buf.h"
#include "common/common.h"
#include "common/json.h"

#include <jansson.h>
#include <sodium.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct xline {
    const char *p;
    size_t n;
    json_t *j;
    bool need;
} xline_t;

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int copy_file(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb");
    if (!a)
        return -1;
    FILE *b = fopen(to, "wbx");
    if (!b) {
        fclose(a);
        return -1;
    }
    char buf[65536];
    size_t n;
    int rc = 0;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0)
        if (fwrite(buf, 1, n, b) != n)
            rc = -1;
    if (ferror(a))
        rc = -1;
    fclose(a);
    if (fclose(b) != 0)
        rc = -1;
    return rc;
}

static bool selected(const vg_export_opts_t *o, json_t *e)
{
    json_t *fid = json_object_get(e, "flow_id");
    if (o->n_flows) {
        bool hit = false;
        for (size_t i = 0; i < o->n_flows; i++)
            if (json_is_integer(fid) && (uint64_t)json_integer_value(fid) == o->flows[i])
                hit = true;
        if (!hit)
            return false;
    }
    const char *ts = jstr(e, "timestamp");
    if (o->from && (!ts || strcmp(ts, o->from) < 0))
        return false;
    if (o->to && (!ts || strncmp(ts, o->to, strlen(o->to)) > 0))
        return false;
    return true;
}

static int fail(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "vigil evidence export: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

int vg_evidence_export(const vg_export_opts_t *o, FILE *out)
{
    if (sodium_init() < 0)
        return 2;
    char lpath[4200], path[8400], path2[8400];
    snprintf(lpath, sizeof lpath, "%s/%s/%s", o->logdir, VG_EVIDENCE_DIR, VG_LEDGER_FILE);
    FILE *f = fopen(lpath, "rb");
    if (!f)
        return fail("%s: %s (no evidence ledger here)", lpath, strerror(errno));
    vg_buf_t data;
    vg_buf_init(&data, 65536);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        vg_buf_append(&data, tmp, n);
    fclose(f);
    xline_t *l = NULL;
    size_t nl = 0;
    for (char *p = data.data, *end = data.data + data.len; p < end;) {
        char *nlp = memchr(p, '\n', (size_t)(end - p));
        if (!nlp)
            break; /* an incomplete last line is not exported */
        l = vg_xrealloc(l, (nl + 1) * sizeof *l);
        json_error_t je;
        l[nl] = (xline_t){p, (size_t)(nlp - p), json_loadb(p, (size_t)(nlp - p), 0, &je), false};
        nl++;
        p = nlp + 1;
    }
    int rc = 2;
    /* the selected alerts, their files, and the entries that seal those files */
    const char **files = vg_xcalloc(nl + 1, sizeof *files);
    size_t nf = 0, n_alerts = 0;
    size_t lo = SIZE_MAX, hi = 0;
    for (size_t i = 0; i < nl; i++) {
        const char *type = l[i].j ? jstr(l[i].j, "type") : NULL;
        if (!type || strcmp(type, "alert") || !selected(o, l[i].j))
            continue;
        l[i].need = true;
        n_alerts++;
        if (jstr(l[i].j, "file"))
            files[nf++] = jstr(l[i].j, "file");
    }
    for (size_t i = 0; i < nl; i++) {
        const char *type = l[i].j ? jstr(l[i].j, "type") : NULL;
        const char *file = type && !strcmp(type, "evidence") ? jstr(l[i].j, "file") : NULL;
        for (size_t k = 0; file && k < nf; k++)
            if (!strcmp(files[k], file))
                l[i].need = true;
        if (l[i].need) {
            lo = i < lo ? i : lo;
            hi = i;
        }
    }
    if (!n_alerts) {
        fprintf(stderr, "vigil evidence export: no alert in %s matches the selection\n", lpath);
        rc = 1;
        goto out;
    }
    /* up to the first checkpoint after the last needed entry, which signs them all */
    for (size_t i = hi + 1; i < nl; i++) {
        const char *type = l[i].j ? jstr(l[i].j, "type") : NULL;
        hi = i;
        if (type && !strcmp(type, "checkpoint"))
            break;
    }
    if (mkdir(o->out, 0755) != 0) {
        rc = fail("%s: %s (the bundle directory must not exist yet)", o->out, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s", o->out, VG_EVIDENCE_DIR);
    if (mkdir(path, 0755) != 0) {
        rc = fail("%s: %s", path, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/%s/%s", o->out, VG_EVIDENCE_DIR, VG_LEDGER_FILE);
    f = fopen(path, "wbx");
    if (!f) {
        rc = fail("%s: %s", path, strerror(errno));
        goto out;
    }
    for (size_t i = lo; i <= hi; i++) {
        fwrite(l[i].p, 1, l[i].n, f);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        rc = fail("%s: write error: %s", path, strerror(errno));
        goto out;
    }
    for (size_t k = 0; k < nf; k++) {
        bool dup = false;
        for (size_t m = 0; m < k; m++)
            dup |= !strcmp(files[m], files[k]);
        if (dup)
            continue;
        if (strchr(files[k], '/')) {
            rc = fail("%s: a ledger entry names '%s', not a plain file name", lpath, files[k]);
            goto out;
        }
        snprintf(path, sizeof path, "%s/%s/%s", o->logdir, VG_EVIDENCE_DIR, files[k]);
        snprintf(path2, sizeof path2, "%s/%s/%s", o->out, VG_EVIDENCE_DIR, files[k]);
        if (copy_file(path, path2)) {
            rc = fail("%s: cannot copy: %s", path, strerror(errno));
            goto out;
        }
    }
    /* the selected alerts' lines of eve.json (matched by the hash the ledger recorded) */
    snprintf(path, sizeof path, "%s/eve.json", o->logdir);
    snprintf(path2, sizeof path2, "%s/eve.json", o->out);
    FILE *ein = fopen(path, "rb"), *eout = fopen(path2, "wbx");
    size_t eve_lines = 0;
    if (ein && eout) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t ln;
        while ((ln = getline(&line, &cap, ein)) > 0) {
            size_t len = (size_t)ln - (line[ln - 1] == '\n');
            if (!memmem(line, len, "\"event_type\":\"alert\"", 20))
                continue;
            unsigned char md[32];
            char hex[65];
            crypto_hash_sha256(md, (const unsigned char *)line, len);
            sodium_bin2hex(hex, sizeof hex, md, sizeof md);
            for (size_t i = lo; i <= hi; i++) {
                const char *h = l[i].need && l[i].j ? jstr(l[i].j, "eve_sha256") : NULL;
                if (h && !strcmp(h, hex)) {
                    fwrite(line, 1, len, eout);
                    fputc('\n', eout);
                    eve_lines++;
                    break;
                }
            }
        }
        free(line);
    }
    if (ein)
        fclose(ein);
    if (eout && fclose(eout) != 0) {
        rc = fail("%s: write error: %s", path2, strerror(errno));
        goto out;
    }
    /* the public key */
    char kdir[4096];
    snprintf(path2, sizeof path2, "%s/%s", o->out, VG_KEY_PUBLIC_FILE);
    const char *pub = o->pubkey;
    if (!pub && vg_key_default_dir(kdir, sizeof kdir) == 0) {
        snprintf(path, sizeof path, "%s/%s", kdir, VG_KEY_PUBLIC_FILE);
        if (access(path, F_OK) == 0)
            pub = path;
    }
    if (pub) {
        uint8_t pk[32];
        char err[512] = "cannot copy";
        if (vg_key_load_public(pub, pk, err, sizeof err) || copy_file(pub, path2)) {
            rc = fail("%s: cannot use as the public key (%s)", pub, err);
            goto out;
        }
    } else {
        for (size_t i = nl; i-- > 0;) {
            const char *hex = l[i].j ? jstr(l[i].j, "public_key") : NULL;
            if (hex && strlen(hex) == 64) {
                FILE *pf = fopen(path2, "wbx");
                if (pf) {
                    fprintf(pf, "vigil-ed25519-public-key %s\n", hex);
                    fclose(pf);
                }
                fprintf(stderr, "vigil evidence export: note: no public key file given or found; "
                        "the bundle's sensor.pub is the key the ledger names\n");
                break;
            }
        }
    }
    /* what was selected: vg_verify reads it */
    vg_buf_t b;
    vg_buf_init(&b, 4096);
    vg_jw_t jw;
    vg_jw_init(&jw, &b);
    char t[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%SZ", &tm);
    vg_jw_obj_open(&jw);
    vg_jw_kv_uint(&jw, "vigil_bundle", 1);
    vg_jw_kv_str(&jw, "created", t);
    vg_jw_kv_str(&jw, "source", o->logdir);
    if (o->from)
        vg_jw_kv_str(&jw, "from", o->from);
    if (o->to)
        vg_jw_kv_str(&jw, "to", o->to);
    vg_jw_kv_uint(&jw, "first_seq", (uint64_t)json_integer_value(json_object_get(l[lo].j, "seq")));
    vg_jw_kv_uint(&jw, "last_seq", (uint64_t)json_integer_value(json_object_get(l[hi].j, "seq")));
    vg_jw_key(&jw, "alerts");
    vg_jw_arr_open(&jw);
    for (size_t i = lo; i <= hi; i++) {
        const char *type = l[i].j ? jstr(l[i].j, "type") : NULL;
        if (l[i].need && type && !strcmp(type, "alert"))
            vg_jw_uint(&jw, (uint64_t)json_integer_value(json_object_get(l[i].j, "seq")));
    }
    vg_jw_arr_close(&jw);
    vg_jw_obj_close(&jw);
    vg_buf_putc(&b, '\n');
    snprintf(path, sizeof path, "%s/bundle.json", o->out);
    f = fopen(path, "wbx");
    if (!f || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
        vg_buf_fini(&b);
        rc = fail("%s: cannot write: %s", path, strerror(errno));
        goto out;
    }
    vg_buf_fini(&b);
    fprintf(out, "%s: %zu alert(s), %zu eve.json line(s), ledger entries %lld to %lld, public key "
            "%s\n", o->out, n_alerts, eve_lines,
            (long long)json_integer_value(json_object_get(l[lo].j, "seq")),
            (long long)json_integer_value(json_object_get(l[hi].j, "seq")),
            access(path2, F_OK) == 0 ? "included" : "NOT included");
    rc = 0;
out:
    for (size_t i = 0; i < nl; i++)
        json_decref(l[i].j);
    free(l);
    free(files);
    vg_buf_fini(&data);
    return rc;
}
