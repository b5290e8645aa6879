/* verify.c — `vigil verify`: checks a ledger's chain and signatures and every evidence file
 * against its recorded hash, and names each problem (ledger.h, docs/EVIDENCE.md). */
#include "evidence/ledger.h"
#include "common/buf.h"
#include "common/common.h"
#include "common/json.h"

#include <jansson.h>
#include <sodium.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum sev { SEV_TAMPERED, SEV_INCOMPLETE };

typedef struct problem {
    enum sev sev;
    const char *kind;
    uint64_t seq;            /* 0: none */
    size_t line;             /* 0: none */
    char file[256];
    char msg[512];
} problem_t;

typedef struct entry {
    size_t line;
    uint64_t seq;
    const char *type;
    char hash[65], prev[65];
    bool hash_ok;
    bool scope;        /* files and eve.json are checked for it (a bundle: the selected alerts) */
    json_t *j;
} entry_t;

typedef struct vstate {
    problem_t *p;
    size_t n, cap;
    entry_t *e;
    size_t ne;
    bool interrupted; /* a run did not end with a final checkpoint */
    bool bundle;      /* an exported bundle: a segment of a ledger, some of its alerts */
    struct { size_t line, len; } *damaged;
    size_t n_damaged;
} vstate_t;

static void add(vstate_t *v, enum sev s, const char *kind, uint64_t seq, size_t line,
                const char *file, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void add(vstate_t *v, enum sev s, const char *kind, uint64_t seq, size_t line,
                const char *file, const char *fmt, ...)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->p = vg_xrealloc(v->p, v->cap * sizeof *v->p);
    }
    problem_t *p = &v->p[v->n++];
    memset(p, 0, sizeof *p);
    p->sev = s;
    p->kind = kind;
    p->seq = seq;
    p->line = line;
    if (file)
        snprintf(p->file, sizeof p->file, "%s", file);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof p->msg, fmt, ap);
    va_end(ap);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    vg_buf_t b;
    vg_buf_init(&b, 65536);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        vg_buf_append(&b, tmp, n);
    fclose(f);
    vg_buf_putc(&b, '\0');
    *len = b.len - 1;
    return b.data;
}

static bool sha256_file(const char *path, char hex[65], uint64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crypto_hash_sha256_update(&st, buf, n);
        *size += n;
    }
    bool ok = !ferror(f);
    fclose(f);
    unsigned char md[32];
    crypto_hash_sha256_final(&st, md);
    sodium_bin2hex(hex, 65, md, sizeof md);
    return ok;
}

/* SHA-256 of the first n bytes of a file; *got: how many there were. */
static bool sha256_prefix(const char *path, uint64_t n, char hex[65], uint64_t *got)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536];
    *got = 0;
    while (*got < n) {
        size_t want = n - *got < sizeof buf ? (size_t)(n - *got) : sizeof buf;
        size_t r = fread(buf, 1, want, f);
        if (!r)
            break;
        crypto_hash_sha256_update(&st, buf, r);
        *got += r;
    }
    fclose(f);
    unsigned char md[32];
    crypto_hash_sha256_final(&st, md);
    sodium_bin2hex(hex, 65, md, sizeof md);
    return true;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static uint64_t juint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_hash(const void *a, const void *b) { return memcmp(a, b, 32); }

/* Line of the entry with sequence number seq, 0 when absent. */
static size_t line_of(const vstate_t *v, uint64_t seq)
{
    for (size_t i = 0; i < v->ne; i++)
        if (v->e[i].seq == seq)
            return v->e[i].line;
    return 0;
}

static void parse_lines(vstate_t *v, char *data, size_t len)
{
    size_t line = 0;
    char *p = data, *end = data + len;
    while (p < end) {
        line++;
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) {
            add(v, SEV_INCOMPLETE, "truncated_line", 0, line, NULL,
                "line %zu: the ledger ends in an incomplete line (%zu bytes): it was truncated or "
                "a write was cut short", line, (size_t)(end - p));
            break;
        }
        size_t n = (size_t)(nl - p);
        char calc[65];
        json_error_t je;
        json_t *j = NULL;
        bool shape = vg_ledger_line_hash(p, n, calc);
        if (shape)
            j = json_loadb(p, n, 0, &je);
        json_t *seq = j ? json_object_get(j, "seq") : NULL;
        const char *type = j ? jstr(j, "type") : NULL;
        const char *h = j ? jstr(j, "hash") : NULL, *pr = j ? jstr(j, "prev") : NULL;
        /* entries are numbered from 1; a negative number would wrap as uint64 */
        if (!shape || !json_is_integer(seq) || json_integer_value(seq) < 1 || !type || !h || !pr ||
            strlen(pr) != 64) {
            /* judged after parsing: the next run may have recorded it as a cut write */
            v->damaged = vg_xrealloc(v->damaged, (v->n_damaged + 1) * sizeof *v->damaged);
            v->damaged[v->n_damaged].line = line;
            v->damaged[v->n_damaged++].len = n;
            json_decref(j);
        } else {
            v->e = vg_xrealloc(v->e, (v->ne + 1) * sizeof *v->e);
            entry_t *e = &v->e[v->ne++];
            e->line = line;
            e->seq = (uint64_t)json_integer_value(seq);
            e->type = type;
            snprintf(e->hash, sizeof e->hash, "%s", h);
            snprintf(e->prev, sizeof e->prev, "%s", pr);
            e->hash_ok = !strcmp(calc, h);
            e->scope = true;
            e->j = j;
        }
        p = nl + 1;
    }
}

/* A damaged line directly followed by an "open" entry that names its length is a write a killed
 * run left incomplete (the next run ended the line and went on); any other is tampering. */
static void judge_damaged(vstate_t *v)
{
    for (size_t d = 0; d < v->n_damaged; d++) {
        size_t line = v->damaged[d].line, len = v->damaged[d].len;
        const entry_t *next = NULL;
        for (size_t i = 0; i < v->ne && !next; i++)
            if (v->e[i].line == line + 1)
                next = &v->e[i];
        json_t *pl = next && !strcmp(next->type, "open") ? json_object_get(next->j, "after_partial_line")
                                                        : NULL;
        if (json_is_integer(pl) && (size_t)json_integer_value(pl) == len && next->hash_ok)
            add(v, SEV_INCOMPLETE, "truncated_line", 0, line, NULL,
                "line %zu: an incomplete entry (%zu bytes) left by a run killed while writing; "
                "the next run (entry %llu) recorded it and went on", line, len,
                (unsigned long long)next->seq);
        else
            add(v, SEV_TAMPERED, "entry_damaged", 0, line, NULL,
                "line %zu: not a valid ledger entry (damaged or altered)", line);
    }
}

static void check_chain(vstate_t *v)
{
    uint64_t *seqs = vg_xcalloc(v->ne + 1, sizeof *seqs);
    for (size_t i = 0; i < v->ne; i++)
        seqs[i] = v->e[i].seq;
    qsort(seqs, v->ne, sizeof *seqs, cmp_u64);
    uint64_t expected = 1;
    char prev[65];
    memset(prev, '0', 64);
    prev[64] = '\0';
    if (v->bundle && v->ne) { /* a segment: it starts where the export cut it */
        expected = v->e[0].seq;
        memcpy(prev, v->e[0].prev, 65);
    }
    bool skip_link = false; /* the entry before was out of place: its link says nothing */
    for (size_t i = 0; i < v->ne; i++) {
        entry_t *e = &v->e[i];
        if (!e->hash_ok)
            add(v, SEV_TAMPERED, "entry_altered", e->seq, e->line, NULL,
                "entry %llu (line %zu): altered: its content does not match its hash",
                (unsigned long long)e->seq, e->line);
        if (e->seq == expected) {
            if (!skip_link && strcmp(e->prev, prev) != 0)
                add(v, SEV_TAMPERED, "chain_broken", e->seq, e->line, NULL,
                    "entry %llu (line %zu): does not follow the entry before it (its previous-"
                    "entry hash differs): an entry before it was replaced or rewritten",
                    (unsigned long long)e->seq, e->line);
            skip_link = false;
        } else if (e->seq > expected) {
            /* the missing numbers: later in the file (reordered) or gone (removed) */
            uint64_t first_gone = 0, last_gone = 0;
            for (uint64_t m = expected; m < e->seq && m < expected + 100000; m++) {
                if (bsearch(&m, seqs, v->ne, sizeof *seqs, cmp_u64)) {
                    add(v, SEV_TAMPERED, "entries_reordered", m, line_of(v, m), NULL,
                        "entries reordered: entry %llu (line %zu) comes before entry %llu "
                        "(line %zu)", (unsigned long long)e->seq, e->line,
                        (unsigned long long)m, line_of(v, m));
                } else {
                    if (!first_gone)
                        first_gone = m;
                    last_gone = m;
                }
            }
            if (first_gone && first_gone == last_gone)
                add(v, SEV_TAMPERED, "entries_removed", first_gone, e->line, NULL,
                    "entry %llu removed (missing before line %zu)",
                    (unsigned long long)first_gone, e->line);
            else if (first_gone)
                add(v, SEV_TAMPERED, "entries_removed", first_gone, e->line, NULL,
                    "entries %llu to %llu removed (missing before line %zu)",
                    (unsigned long long)first_gone, (unsigned long long)last_gone, e->line);
            skip_link = true;
        } else {
            size_t first = line_of(v, e->seq);
            if (first != e->line)
                add(v, SEV_TAMPERED, "entry_duplicated", e->seq, e->line, NULL,
                    "entry %llu appears again at line %zu (first at line %zu)",
                    (unsigned long long)e->seq, e->line, first);
            skip_link = true;
        }
        if (e->seq + 1 > expected)
            expected = e->seq + 1;
        memcpy(prev, e->hash, 65);
    }
    free(seqs);
}

/* An exported bundle (LOGDIR/bundle.json): the ledger is a segment and only the selected alerts,
 * their files and their sealing entries are checked against files and eve.json. */
static int load_bundle(vstate_t *v, const char *logdir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/bundle.json", logdir);
    if (access(path, F_OK) != 0)
        return 0;
    json_error_t je;
    json_t *b = json_load_file(path, 0, &je);
    json_t *al = b ? json_object_get(b, "alerts") : NULL;
    if (!json_is_array(al)) {
        fprintf(stderr, "vigil verify: %s: not a bundle description (line %d: %s)\n", path,
                je.line, b ? "no \"alerts\" array" : je.text);
        json_decref(b);
        return -1;
    }
    v->bundle = true;
    const char **files = vg_xcalloc(v->ne + 1, sizeof *files);
    size_t nf = 0;
    for (size_t i = 0; i < v->ne; i++) {
        entry_t *e = &v->e[i];
        e->scope = false;
        if (strcmp(e->type, "alert"))
            continue;
        size_t k;
        json_t *x;
        json_array_foreach(al, k, x)
            if (json_is_integer(x) && (uint64_t)json_integer_value(x) == e->seq)
                e->scope = true;
        if (e->scope && jstr(e->j, "file"))
            files[nf++] = jstr(e->j, "file");
    }
    for (size_t i = 0; i < v->ne; i++) {
        entry_t *e = &v->e[i];
        const char *f = strcmp(e->type, "evidence") ? NULL : jstr(e->j, "file");
        for (size_t k = 0; f && k < nf; k++)
            if (!strcmp(files[k], f))
                e->scope = true;
    }
    free(files);
    json_decref(b);
    return 0;
}

/* Key: the given file, else the default directory's, else the one the ledger names. */
static int pick_key(const vg_verify_opts_t *o, vstate_t *v, uint8_t pk[32], char *src,
                    size_t src_len, FILE *out)
{
    char err[512];
    if (o->pubkey) {
        if (vg_key_load_public(o->pubkey, pk, err, sizeof err)) {
            fprintf(stderr, "vigil verify: %s\n", err);
            return -1;
        }
        snprintf(src, src_len, "%s", o->pubkey);
        return 0;
    }
    char dir[4096], path[8200];
    snprintf(path, sizeof path, "%s/%s", o->logdir, VG_KEY_PUBLIC_FILE);
    if (v->bundle && access(path, F_OK) == 0) {
        if (vg_key_load_public(path, pk, err, sizeof err)) {
            fprintf(stderr, "vigil verify: %s\n", err);
            return -1;
        }
        snprintf(src, src_len, "%s (the bundle's own copy)", path);
        if (!o->json)
            fprintf(out, "note: checking against the public key inside the bundle; make sure it "
                    "is the sensor's (or give --pubkey)\n");
        return 0;
    }
    if (vg_key_default_dir(dir, sizeof dir) == 0) {
        snprintf(path, sizeof path, "%s/%s", dir, VG_KEY_PUBLIC_FILE);
        if (access(path, F_OK) == 0) {
            if (vg_key_load_public(path, pk, err, sizeof err)) {
                fprintf(stderr, "vigil verify: %s\n", err);
                return -1;
            }
            snprintf(src, src_len, "%s", path);
            return 0;
        }
    }
    for (size_t i = v->ne; i-- > 0;) {
        const char *hex = strcmp(v->e[i].type, "open") ? NULL : jstr(v->e[i].j, "public_key");
        size_t bl;
        if (hex && sodium_hex2bin(pk, 32, hex, strlen(hex), NULL, &bl, NULL) == 0 && bl == 32) {
            snprintf(src, src_len, "the ledger itself (entry %llu)",
                     (unsigned long long)v->e[i].seq);
            if (!o->json)
                fprintf(out, "note: no --pubkey and no %s in the default key directory: checking "
                        "against the public key the ledger names, which shows the ledger is "
                        "consistent but not who wrote it\n", VG_KEY_PUBLIC_FILE);
            return 0;
        }
    }
    fprintf(stderr, "vigil verify: no public key: give --pubkey FILE (the sensor's %s)\n",
            VG_KEY_PUBLIC_FILE);
    return -1;
}

/* Returns the highest entry a valid checkpoint signs (0: none). */
static uint64_t check_signatures(vstate_t *v, const uint8_t pk[32], const char *key_src,
                                 size_t *n_cp, bool *last_final, uint64_t *last_cp_head)
{
    *last_cp_head = 0;
    char kid[17];
    vg_key_id(pk, kid);
    uint64_t signed_through = 0;
    size_t wrong_key = 0;
    const char *other = NULL;
    *n_cp = 0;
    *last_final = false;
    for (size_t i = 0; i < v->ne; i++) {
        entry_t *e = &v->e[i];
        if (strcmp(e->type, "checkpoint"))
            continue;
        (*n_cp)++;
        /* the tail is what no checkpoint covers, valid or not: the ones that do not verify are
         * reported on their own */
        if (juint(e->j, "head_seq") > *last_cp_head)
            *last_cp_head = juint(e->j, "head_seq");
        const char *ek = jstr(e->j, "key_id"), *sig_hex = jstr(e->j, "sig");
        uint64_t head = juint(e->j, "head_seq");
        bool final = json_is_true(json_object_get(e->j, "final"));
        if (ek && strcmp(ek, kid) != 0) {
            wrong_key++;
            other = ek;
            continue;
        }
        unsigned char sig[crypto_sign_BYTES];
        size_t bl = 0;
        char msg[256];
        size_t mlen = vg_ledger_cp_message(msg, sizeof msg, ek ? ek : "", head, e->prev, final);
        bool ok = ek && sig_hex &&
                  sodium_hex2bin(sig, sizeof sig, sig_hex, strlen(sig_hex), NULL, &bl, NULL) == 0 &&
                  bl == sizeof sig && head + 1 == e->seq && e->hash_ok &&
                  crypto_sign_verify_detached(sig, (const unsigned char *)msg, mlen, pk) == 0;
        if (!ok) {
            add(v, SEV_TAMPERED, "bad_signature", e->seq, e->line, NULL,
                "entry %llu (line %zu): checkpoint signature does not verify: a forged or "
                "altered checkpoint", (unsigned long long)e->seq, e->line);
            continue;
        }
        if (head > signed_through)
            signed_through = head;
        *last_final = (i + 1 == v->ne) && final;
    }
    if (wrong_key)
        add(v, SEV_TAMPERED, "wrong_key", 0, 0, NULL,
            "%zu checkpoint(s) are signed by key %s, not by the public key used (%s, key %s): "
            "wrong public key, or a ledger from another sensor", wrong_key, other, key_src, kid);
    return signed_through;
}

static void check_tail(vstate_t *v, uint64_t covered, bool last_final)
{
    if (!v->ne)
        return;
    /* a run that started while the one before had not ended with a final checkpoint */
    for (size_t i = 1; i < v->ne; i++)
        if (!strcmp(v->e[i].type, "open") &&
            (strcmp(v->e[i - 1].type, "checkpoint") ||
             !json_is_true(json_object_get(v->e[i - 1].j, "final"))))
            v->interrupted = true;
    const entry_t *end = &v->e[v->ne - 1];
    if (strcmp(end->type, "checkpoint") || !json_is_true(json_object_get(end->j, "final")))
        v->interrupted = true;
    if (v->bundle) /* a segment ends at any checkpoint; files in it are all named */
        v->interrupted = false;
    const entry_t *last = &v->e[v->ne - 1];
    size_t first_unsigned = 0;
    for (size_t i = 0; i < v->ne; i++)
        if (v->e[i].seq > covered + 1 ||
            (v->e[i].seq == covered + 1 && strcmp(v->e[i].type, "checkpoint"))) {
            first_unsigned = i + 1;
            break;
        }
    if (first_unsigned) {
        const entry_t *f = &v->e[first_unsigned - 1];
        add(v, SEV_INCOMPLETE, "unsigned_tail", f->seq, f->line, NULL,
            "unsigned tail: entries %llu to %llu (lines %zu to %zu) come after the last "
            "checkpoint (entry %llu): the run was interrupted (crash, kill) or the ledger was "
            "cut; they are chained but not signed", (unsigned long long)f->seq,
            (unsigned long long)last->seq, f->line, last->line,
            (unsigned long long)covered + 1);
    } else if (!last_final && !v->bundle && !strcmp(last->type, "checkpoint") &&
               !json_is_true(json_object_get(last->j, "final"))) {
        add(v, SEV_INCOMPLETE, "not_final", last->seq, last->line, NULL,
            "the ledger ends at a checkpoint that is not final (entry %llu, line %zu): the run did "
            "not finish, or the entries after it were cut off", (unsigned long long)last->seq,
            last->line);
    }
}

typedef struct named {
    const char *file;
    const entry_t *sealed; /* its evidence entry */
    const entry_t *alert;  /* first alert naming it */
} named_t;

static named_t *find_named(named_t *a, size_t n, const char *file)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a[i].file, file))
            return &a[i];
    return NULL;
}

static size_t check_files(vstate_t *v, const char *evdir)
{
    named_t *nm = NULL;
    size_t nn = 0, checked = 0;
    for (size_t i = 0; i < v->ne; i++) {
        const entry_t *e = &v->e[i];
        bool ev = !strcmp(e->type, "evidence"), al = !strcmp(e->type, "alert");
        const char *file = (ev || al) && e->scope ? jstr(e->j, "file") : NULL;
        if (!file)
            continue;
        if (strchr(file, '/') || !strcmp(file, "..")) {
            add(v, SEV_TAMPERED, "entry_damaged", e->seq, e->line, file,
                "entry %llu (line %zu): file name '%s' is not a plain name",
                (unsigned long long)e->seq, e->line, file);
            continue;
        }
        named_t *x = find_named(nm, nn, file);
        if (!x) {
            nm = vg_xrealloc(nm, (nn + 1) * sizeof *nm);
            x = &nm[nn++];
            memset(x, 0, sizeof *x);
            x->file = file;
        }
        if (ev && !x->sealed)
            x->sealed = e;
        if (al && !x->alert)
            x->alert = e;
    }
    char path[8192];
    for (size_t i = 0; i < nn; i++) {
        named_t *x = &nm[i];
        snprintf(path, sizeof path, "%s/%s", evdir, x->file);
        struct stat st;
        bool exists = stat(path, &st) == 0;
        const entry_t *e = x->sealed ? x->sealed : x->alert;
        if (!exists) {
            add(v, SEV_TAMPERED, "file_missing", e->seq, e->line, x->file,
                "file %s (entry %llu, line %zu): missing (deleted)", x->file,
                (unsigned long long)e->seq, e->line);
            continue;
        }
        if (!x->sealed) {
            add(v, SEV_INCOMPLETE, "file_unsealed", e->seq, e->line, x->file,
                "file %s (named by entry %llu): never sealed: its flow had not ended when the run "
                "stopped (crash, kill), so no hash of it was recorded", x->file,
                (unsigned long long)e->seq);
            continue;
        }
        char hex[65];
        uint64_t size;
        checked++;
        const char *want = jstr(e->j, "sha256");
        uint64_t want_size = juint(e->j, "size");
        if (!sha256_file(path, hex, &size)) {
            add(v, SEV_TAMPERED, "file_changed", e->seq, e->line, x->file,
                "file %s (entry %llu): cannot be read: %s", x->file, (unsigned long long)e->seq,
                strerror(errno));
        } else if (!want || strcmp(hex, want) != 0 || size != want_size) {
            add(v, SEV_TAMPERED, "file_changed", e->seq, e->line, x->file,
                "file %s (entry %llu, line %zu): changed: SHA-256 %s, recorded %s (size %llu, "
                "recorded %llu)", x->file, (unsigned long long)e->seq, e->line, hex,
                want ? want : "none", (unsigned long long)size, (unsigned long long)want_size);
        }
    }
    /* each alert recorded the file as it was then: its first bytes must still be those (this
     * covers files a crash left unsealed too) */
    for (size_t i = 0; i < v->ne; i++) {
        const entry_t *e = &v->e[i];
        const char *file = strcmp(e->type, "alert") || !e->scope ? NULL : jstr(e->j, "file");
        const char *want = file ? jstr(e->j, "sha256") : NULL;
        uint64_t n = want ? juint(e->j, "bytes") : 0;
        if (!n || strchr(file, '/'))
            continue;
        snprintf(path, sizeof path, "%s/%s", evdir, file);
        char hex[65];
        uint64_t got;
        if (!sha256_prefix(path, n, hex, &got))
            continue; /* missing: reported above */
        if (got < n || strcmp(hex, want) != 0)
            add(v, SEV_TAMPERED, "file_changed", e->seq, e->line, file,
                "file %s: its first %llu bytes, as the alert of entry %llu (line %zu) recorded "
                "them, %s", file, (unsigned long long)n, (unsigned long long)e->seq, e->line,
                got < n ? "are no longer all there (cut)" : "differ (SHA-256 mismatch)");
    }
    DIR *d = opendir(evdir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
            !strcmp(de->d_name, VG_LEDGER_FILE))
            continue;
        if (find_named(nm, nn, de->d_name))
            continue;
        /* A run killed between creating a file (at the alert, in a worker) and recording the
         * alert (on the output thread) leaves a file no entry names: when a run was interrupted
         * that is the likelier cause, reported as incomplete; otherwise it was added. */
        if (v->interrupted)
            add(v, SEV_INCOMPLETE, "file_orphaned", 0, 0, de->d_name,
                "file %s: no ledger entry names it: left by an interrupted run before its alert "
                "was recorded (or added after the fact)", de->d_name);
        else
            add(v, SEV_TAMPERED, "file_added", 0, 0, de->d_name,
                "file %s: no ledger entry names it (added after the fact)", de->d_name);
    }
    if (d)
        closedir(d);
    free(nm);
    return checked;
}

/* Every alert entry's EVE hash must be a line of eve.json. Returns alerts checked, or -1 when
 * there is no eve.json. */
static long check_eve(vstate_t *v, const char *logdir)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/eve.json", logdir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char (*h)[32] = NULL;
    size_t nh = 0, ch = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            n--;
        if (!memmem(line, (size_t)n, "\"event_type\":\"alert\"", 20))
            continue;
        if (nh == ch) {
            ch = ch ? 2 * ch : 256;
            h = vg_xrealloc(h, ch * 32);
        }
        crypto_hash_sha256(h[nh++], (const unsigned char *)line, (size_t)n);
    }
    free(line);
    fclose(f);
    if (nh) /* h is NULL when eve.json has no alert: qsort and bsearch must not see it */
        qsort(h, nh, 32, cmp_hash);
    long checked = 0;
    for (size_t i = 0; i < v->ne; i++) {
        const entry_t *e = &v->e[i];
        const char *hex = strcmp(e->type, "alert") || !e->scope ? NULL : jstr(e->j, "eve_sha256");
        unsigned char want[32];
        size_t bl;
        if (!hex)
            continue;
        checked++;
        if (sodium_hex2bin(want, 32, hex, strlen(hex), NULL, &bl, NULL) != 0 || bl != 32 ||
            !nh || !bsearch(want, h, nh, 32, cmp_hash))
            add(v, SEV_TAMPERED, "alert_not_in_eve", e->seq, e->line, NULL,
                "entry %llu (line %zu): its alert is not in eve.json (the alert line was altered "
                "or removed)", (unsigned long long)e->seq, e->line);
    }
    free(h);
    return checked;
}

static void report_json(const vstate_t *v, FILE *out, const char *status, const char *logdir,
                        uint64_t signed_through, size_t n_cp, size_t files, long alerts,
                        const char *kid, const char *key_src)
{
    vg_buf_t b;
    vg_buf_init(&b, 4096);
    vg_jw_t jw;
    vg_jw_init(&jw, &b);
    vg_jw_obj_open(&jw);
    vg_jw_kv_str(&jw, "logdir", logdir);
    vg_jw_kv_str(&jw, "status", status);
    vg_jw_kv_uint(&jw, "entries", v->ne);
    vg_jw_kv_uint(&jw, "checkpoints", n_cp);
    vg_jw_kv_uint(&jw, "signed_through", signed_through);
    vg_jw_kv_uint(&jw, "files_checked", files);
    vg_jw_kv_int(&jw, "alerts_checked", alerts);
    vg_jw_kv_str(&jw, "key_id", kid);
    vg_jw_kv_str(&jw, "key_source", key_src);
    vg_jw_key(&jw, "problems");
    vg_jw_arr_open(&jw);
    for (size_t i = 0; i < v->n; i++) {
        const problem_t *p = &v->p[i];
        vg_jw_obj_open(&jw);
        vg_jw_kv_str(&jw, "kind", p->kind);
        vg_jw_kv_str(&jw, "severity", p->sev == SEV_TAMPERED ? "tampered" : "incomplete");
        if (p->seq)
            vg_jw_kv_uint(&jw, "entry", p->seq);
        if (p->line)
            vg_jw_kv_uint(&jw, "line", p->line);
        if (p->file[0])
            vg_jw_kv_str(&jw, "file", p->file);
        vg_jw_kv_str(&jw, "message", p->msg);
        vg_jw_obj_close(&jw);
    }
    vg_jw_arr_close(&jw);
    vg_jw_obj_close(&jw);
    vg_buf_putc(&b, '\n');
    fwrite(b.data, 1, b.len, out);
    vg_buf_fini(&b);
}

int vg_verify(const vg_verify_opts_t *o, FILE *out)
{
    if (sodium_init() < 0)
        return 2;
    char evdir[4096], lpath[4200];
    snprintf(evdir, sizeof evdir, "%s/%s", o->logdir, VG_EVIDENCE_DIR);
    snprintf(lpath, sizeof lpath, "%s/%s", evdir, VG_LEDGER_FILE);
    size_t len;
    char *data = read_all(lpath, &len);
    if (!data) {
        fprintf(stderr, "vigil verify: %s: %s (no evidence ledger here)\n", lpath, strerror(errno));
        return 2;
    }
    vstate_t v = {0};
    parse_lines(&v, data, len);
    if (load_bundle(&v, o->logdir) != 0) {
        free(data);
        for (size_t i = 0; i < v.ne; i++)
            json_decref(v.e[i].j);
        free(v.e);
        free(v.p);
        free(v.damaged);
        return 2;
    }
    uint8_t pk[32];
    char key_src[8400];
    int rc = 2;
    if (pick_key(o, &v, pk, key_src, sizeof key_src, out))
        goto done;
    char kid[17];
    vg_key_id(pk, kid);
    judge_damaged(&v);
    check_chain(&v);
    size_t n_cp;
    bool last_final;
    uint64_t covered;
    uint64_t signed_through = check_signatures(&v, pk, key_src, &n_cp, &last_final, &covered);
    check_tail(&v, covered, last_final);
    size_t files = check_files(&v, evdir);
    long alerts = check_eve(&v, o->logdir);
    bool tampered = false, incomplete = false;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i].sev == SEV_TAMPERED)
            tampered = true;
        else
            incomplete = true;
    }
    const char *status = tampered ? "tampered" : incomplete ? "incomplete" : "ok";
    rc = tampered ? 1 : incomplete ? 3 : 0;
    if (o->json) {
        report_json(&v, out, status, o->logdir, signed_through, n_cp, files, alerts, kid, key_src);
        goto done;
    }
    fprintf(out, "ledger %s: %zu entries, %zu checkpoints, signed through entry %llu by key %s "
            "(public key: %s)\n", lpath, v.ne, n_cp, (unsigned long long)signed_through, kid,
            key_src);
    fprintf(out, "evidence files checked against their hashes: %zu\n", files);
    if (alerts >= 0)
        fprintf(out, "alerts checked against eve.json: %ld\n", alerts);
    else
        fprintf(out, "no eve.json beside the ledger: alert records not checked against it\n");
    for (size_t i = 0; i < v.n; i++)
        fprintf(out, "%s: %s\n", v.p[i].sev == SEV_TAMPERED ? "TAMPERED" : "INCOMPLETE",
                v.p[i].msg);
    if (!tampered && !incomplete)
        fprintf(out, "OK: the ledger, its signatures and every evidence file verify\n");
    else
        fprintf(out, "%s: %zu problem(s)\n", tampered ? "FAILED" : "INCOMPLETE", v.n);
done:
    for (size_t i = 0; i < v.ne; i++)
        json_decref(v.e[i].j);
    free(v.e);
    free(v.p);
    free(v.damaged);
    free(data);
    return rc;
}
