/* ledger.c — the ledger writer (ledger.h): a sink on the output thread. */
#include "evidence/ledger.h"
#include "common/buf.h"
#include "common/common.h"
#include "common/json.h"
#include "common/log.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HASH_TAIL_LEN 75 /* ,"hash":"<64 hex>"} */

struct vg_ledger {
    int fd;
    char path[4200];
    uint8_t sk[64], pk[32];
    char key_id[17];
    uint64_t seq;            /* last entry written (buffered included) */
    char prev[65];           /* its hash */
    uint64_t since_cp;       /* entries since the last checkpoint */
    double last_cp;
    uint64_t cp_entries, cp_seconds;
    vg_buf_t out;            /* entries not yet written */
    vg_buf_t tmp;
    bool failed;
    bool finished;           /* the final checkpoint was written */
    uint64_t partial_len;    /* an incomplete last line found at open (a killed write) */
    EVP_MD *sha256;          /* OpenSSL's SHA-256 (the CPU's SHA instructions), fetched once */
    EVP_MD_CTX *mctx;
    void (*cp_hook)(void *ctx, const char *entry, size_t len);
    void *cp_hook_ctx;
    vg_buf_t cp_line;        /* the checkpoint entry for cp_hook, once it is written */
};

/* SHA-256 of data in hex: OpenSSL's when it could be set up, else libsodium's (same result). */
static void sha256_hex(vg_ledger_t *l, const void *data, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    if (!l->mctx && !l->sha256) {
        l->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
        l->mctx = l->sha256 ? EVP_MD_CTX_new() : NULL;
    }
    if (!l->mctx || EVP_DigestInit_ex(l->mctx, l->sha256, NULL) != 1 ||
        EVP_DigestUpdate(l->mctx, data, n) != 1 || EVP_DigestFinal_ex(l->mctx, md, &ml) != 1 ||
        ml != 32) {
        crypto_hash_sha256(md, data, n);
        ml = 32;
    }
    sodium_bin2hex(hex, 65, md, ml);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wall_time(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

bool vg_ledger_line_hash(const char *line, size_t len, char hex[65])
{
    static const char tail[] = ",\"hash\":\"";
    if (len < HASH_TAIL_LEN + 2 || memcmp(line + len - HASH_TAIL_LEN, tail, sizeof tail - 1) ||
        memcmp(line + len - 2, "\"}", 2))
        return false;
    size_t body = len - HASH_TAIL_LEN;
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)line, body);
    crypto_hash_sha256_update(&st, (const unsigned char *)"}", 1);
    unsigned char md[32];
    crypto_hash_sha256_final(&st, md);
    sodium_bin2hex(hex, 65, md, sizeof md);
    return true;
}

size_t vg_ledger_cp_message(char *out, size_t n, const char *key_id, uint64_t head_seq,
                            const char *head_hex, bool final)
{
    int r = snprintf(out, n, "vigil-ledger-v1 checkpoint key=%s head=%llu hash=%s final=%d",
                     key_id, (unsigned long long)head_seq, head_hex, final ? 1 : 0);
    return r < 0 ? 0 : (size_t)r;
}

/* Entries: begin writes {"seq":N,"type":T; the caller adds members; end adds prev and hash. */
static void entry_begin(vg_ledger_t *l, vg_jw_t *jw, const char *type)
{
    vg_buf_reset(&l->tmp);
    vg_jw_init(jw, &l->tmp);
    vg_jw_obj_open(jw);
    vg_jw_kv_uint(jw, "seq", l->seq + 1);
    vg_jw_kv_str(jw, "type", type);
}

static void entry_end(vg_ledger_t *l, vg_jw_t *jw)
{
    vg_jw_kv_str(jw, "prev", l->prev);
    vg_jw_obj_close(jw);
    char hex[65];
    sha256_hex(l, l->tmp.data, l->tmp.len, hex);
    vg_buf_append(&l->out, l->tmp.data, l->tmp.len - 1);
    vg_buf_puts(&l->out, ",\"hash\":\"");
    vg_buf_append(&l->out, hex, 64);
    vg_buf_puts(&l->out, "\"}\n");
    l->seq++;
    memcpy(l->prev, hex, 65);
    l->since_cp++;
}

static void checkpoint(vg_ledger_t *l, bool final)
{
    char msg[256], sig_hex[129], t[32];
    size_t mlen = vg_ledger_cp_message(msg, sizeof msg, l->key_id, l->seq, l->prev, final);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, (const unsigned char *)msg, mlen, l->sk);
    sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
    wall_time(t);
    vg_jw_t jw;
    size_t at = l->out.len;
    entry_begin(l, &jw, "checkpoint");
    vg_jw_kv_str(&jw, "time", t);
    vg_jw_kv_uint(&jw, "head_seq", l->seq);
    vg_jw_kv_bool(&jw, "final", final);
    vg_jw_kv_str(&jw, "key_id", l->key_id);
    vg_jw_kv_str(&jw, "sig", sig_hex);
    entry_end(l, &jw);
    if (l->cp_hook) {
        vg_buf_reset(&l->cp_line);
        vg_buf_append(&l->cp_line, l->out.data + at, l->out.len - at - 1);
    }
    l->since_cp = 0;
    l->last_cp = mono_now();
}

static int write_out(vg_ledger_t *l, bool sync)
{
    const char *p = l->out.data;
    size_t n = l->out.len;
    while (n) {
        ssize_t w = write(l->fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            vg_log(VG_LOG_ERROR, "%s: write error: %s", l->path, strerror(errno));
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    vg_buf_reset(&l->out);
    if (sync && fdatasync(l->fd) != 0 && errno != EINVAL) {
        vg_log(VG_LOG_ERROR, "%s: fdatasync: %s", l->path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads the last complete line of an existing ledger: its seq and hash continue the chain, and
 * the last key id named must be ours. */
static int continue_chain(vg_ledger_t *l, char *err, size_t err_len)
{
    int fd = open(l->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size == 0) {
        close(fd);
        return 0;
    }
    size_t want = st.st_size > 65536 ? 65536 : (size_t)st.st_size;
    char *buf = vg_xmalloc(want + 1);
    ssize_t n = pread(fd, buf, want, st.st_size - (off_t)want);
    close(fd);
    if (n != (ssize_t)want) {
        snprintf(err, err_len, "%s: cannot read the existing ledger", l->path);
        free(buf);
        return -1;
    }
    buf[want] = '\0';
    size_t end = want;
    if (buf[end - 1] != '\n') {
        vg_log(VG_LOG_WARN, "%s: the last line is incomplete (an interrupted write); it stays as "
               "it is and the ledger goes on after it (verify reports it)", l->path);
        vg_buf_putc(&l->out, '\n');
        char *nl = memrchr(buf, '\n', end);
        end = nl ? (size_t)(nl - buf) + 1 : 0;
        l->partial_len = want - end;
    }
    if (end == 0) {
        free(buf);
        return 0;
    }
    size_t ls = end - 1;
    while (ls > 0 && buf[ls - 1] != '\n')
        ls--;
    json_error_t je;
    json_t *j = json_loadb(buf + ls, end - 1 - ls, 0, &je);
    json_t *seq = j ? json_object_get(j, "seq") : NULL;
    json_t *h = j ? json_object_get(j, "hash") : NULL;
    if (!json_is_integer(seq) || !json_is_string(h) || strlen(json_string_value(h)) != 64) {
        snprintf(err, err_len, "%s: the last entry is not a ledger entry; not appending to a "
                 "damaged ledger (run vigil verify, or use another log directory)", l->path);
        json_decref(j);
        free(buf);
        return -1;
    }
    l->seq = (uint64_t)json_integer_value(seq);
    memcpy(l->prev, json_string_value(h), 65);
    json_decref(j);
    /* the most recent key id in the tail */
    char *k = NULL;
    for (char *p = buf; (p = strstr(p, "\"key_id\":\"")) != NULL; p++)
        k = p;
    if (k && strncmp(k + 10, l->key_id, 16) != 0) {
        snprintf(err, err_len, "%s: this ledger was signed by the key %.16s, not by this sensor's "
                 "key %s (a ledger from another sensor?); use another log directory", l->path,
                 k + 10, l->key_id);
        free(buf);
        return -1;
    }
    free(buf);
    return 0;
}

vg_ledger_t *vg_ledger_open(const vg_ledger_opts_t *o, char *err, size_t err_len)
{
    if (sodium_init() < 0) {
        snprintf(err, err_len, "libsodium could not be initialised");
        return NULL;
    }
    char kdir[4096];
    if (o->key_dir)
        snprintf(kdir, sizeof kdir, "%s", o->key_dir);
    else if (vg_key_default_dir(kdir, sizeof kdir)) {
        snprintf(err, err_len, "evidence: no key directory (set evidence.key-dir, or HOME)");
        return NULL;
    }
    char sk_path[4200];
    snprintf(sk_path, sizeof sk_path, "%s/%s", kdir, VG_KEY_SECRET_FILE);
    if (access(sk_path, F_OK) != 0 && errno == ENOENT) {
        if (vg_keygen(kdir, err, err_len))
            return NULL;
        vg_log(VG_LOG_INFO, "evidence: no signing key yet; made one: %s (private, mode 0600) and "
               "%s/%s (public: give it to whoever verifies the ledger)", sk_path, kdir,
               VG_KEY_PUBLIC_FILE);
    }
    vg_ledger_t *l = vg_xcalloc(1, sizeof *l);
    l->fd = -1;
    vg_buf_init(&l->out, 4096);
    vg_buf_init(&l->tmp, 1024);
    vg_buf_init(&l->cp_line, 512);
    if (vg_key_load_secret(sk_path, l->sk, l->pk, err, err_len))
        goto fail;
    vg_key_id(l->pk, l->key_id);
    char dir[4000];
    snprintf(dir, sizeof dir, "%s/%s", o->logdir, VG_EVIDENCE_DIR);
    if (mkdir(o->logdir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create log directory: %s", o->logdir, strerror(errno));
        goto fail;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create directory: %s", dir, strerror(errno));
        goto fail;
    }
    snprintf(l->path, sizeof l->path, "%s/%s", dir, VG_LEDGER_FILE);
    memset(l->prev, '0', 64);
    l->prev[64] = '\0';
    if (continue_chain(l, err, err_len))
        goto fail;
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (l->fd < 0) {
        snprintf(err, err_len, "%s: %s", l->path, strerror(errno));
        goto fail;
    }
    l->cp_entries = o->cp_entries;
    l->cp_seconds = o->cp_seconds;
    l->last_cp = mono_now();
    char host[256] = "", t[32], pk_hex[65];
    if (!o->sensor)
        gethostname(host, sizeof host - 1);
    wall_time(t);
    sodium_bin2hex(pk_hex, sizeof pk_hex, l->pk, sizeof l->pk);
    vg_jw_t jw;
    entry_begin(l, &jw, "open");
    vg_jw_kv_str(&jw, "time", t);
    vg_jw_kv_str(&jw, "sensor", o->sensor ? o->sensor : host);
    vg_jw_kv_str(&jw, "version", VG_VERSION);
    vg_jw_kv_str(&jw, "key_id", l->key_id);
    vg_jw_kv_str(&jw, "public_key", pk_hex);
    if (l->partial_len) /* the line before this entry: verify reports it as a cut write */
        vg_jw_kv_uint(&jw, "after_partial_line", l->partial_len);
    entry_end(l, &jw);
    if (write_out(l, true)) {
        snprintf(err, err_len, "%s: cannot write", l->path);
        goto fail;
    }
    return l;
fail:
    l->failed = true;
    vg_ledger_close(l);
    return NULL;
}

/* --- reading what an entry needs from an EVE line, without building a JSON tree ---
 * The ledger used to parse each alert and evidence line with jansson: a tree of the whole event
 * (HTTP metadata and all) built and freed on the output thread, most of what the ledger cost
 * there. This walks the line once and takes only the members an entry records. Anything it does
 * not expect — an escape or a byte outside printable ASCII in a string it needs, a number that is
 * not plain digits, bad structure — sends the line to the jansson path instead, so an entry is
 * always what jansson would have made of it. */
typedef struct ev_fields {
    const char *ts, *file, *sha;
    size_t ts_len, file_len, sha_len;
    bool has_fid, has_sid, has_packet, has_bytes, ev_obj, truncated;
    uint64_t fid, sid, packet, bytes, size, packets;
} ev_fields_t;

static const char *sc_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A string at p (at its quote): its contents in *s and *n; *plain when it has no escape and only
 * printable ASCII. Returns the position after it, NULL when malformed. */
static const char *sc_str(const char *p, const char *e, const char **s, size_t *n, bool *plain)
{
    if (p >= e || *p != '"')
        return NULL;
    const char *b = ++p;
    bool ok = true;
    while (p < e && *p != '"') {
        unsigned char ch = (unsigned char)*p;
        if (ch == '\\') {
            ok = false;
            if (++p >= e)
                return NULL;
        } else if (ch < 0x20 || ch >= 0x7f) {
            ok = false;
        }
        p++;
    }
    if (p >= e)
        return NULL;
    *s = b;
    *n = (size_t)(p - b);
    *plain = ok;
    return p + 1;
}

/* Skips any value; NULL when malformed. */
static const char *sc_skip(const char *p, const char *e)
{
    p = sc_ws(p, e);
    if (p >= e)
        return NULL;
    if (*p == '"') {
        const char *s;
        size_t n;
        bool pl;
        return sc_str(p, e, &s, &n, &pl);
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (p < e) {
            if (*p == '"') {
                const char *s;
                size_t n;
                bool pl;
                p = sc_str(p, e, &s, &n, &pl);
                if (!p)
                    return NULL;
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return NULL;
    }
    const char *b = p;
    while (p < e && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n')
        p++;
    return p > b ? p : NULL; /* no value at all: not JSON (jansson says so) */
}

/* A plain non-negative integer that fits in int64 (what jansson calls an integer and the
 * entry writes as unsigned). 1: got it; 0: the value is not a number at all (skipped, like
 * json_is_integer false); -1: a number of another form (use jansson). */
static int sc_uint(const char **pp, const char *e, uint64_t *v)
{
    const char *p = sc_ws(*pp, e);
    if (p >= e || *p < '0' || *p > '9') {
        if (p < e && (*p == '-' || *p == '.'))
            return -1;
        const char *q = sc_skip(p, e);
        if (!q)
            return -1;
        *pp = q;
        return 0;
    }
    if (*p == '0' && p + 1 < e && p[1] >= '0' && p[1] <= '9')
        return -1; /* a leading zero: not JSON, let jansson say so */
    uint64_t x = 0;
    while (p < e && *p >= '0' && *p <= '9') {
        if (x > (UINT64_C(0x7fffffffffffffff) - (uint64_t)(*p - '0')) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*p - '0');
        p++;
    }
    if (p < e && (*p == '.' || *p == 'e' || *p == 'E'))
        return -1;
    *v = x;
    *pp = p;
    return 1;
}

static bool sc_key(const char *k, size_t n, const char *want)
{
    return strlen(want) == n && !memcmp(k, want, n);
}

/* Walks the members of the object at p; for each, calls the member handler. */
typedef int (*sc_member_fn)(ev_fields_t *f, const char *key, size_t klen, const char **pp,
                            const char *e);

static const char *sc_object(const char *p, const char *e, ev_fields_t *f, sc_member_fn fn)
{
    p = sc_ws(p, e);
    if (p >= e || *p != '{')
        return NULL;
    p = sc_ws(p + 1, e);
    if (p < e && *p == '}')
        return p + 1;
    for (;;) {
        const char *k;
        size_t kn;
        bool pl;
        p = sc_str(sc_ws(p, e), e, &k, &kn, &pl);
        if (!p)
            return NULL;
        p = sc_ws(p, e);
        if (p >= e || *p != ':')
            return NULL;
        p = sc_ws(p + 1, e);
        int r = pl ? fn(f, k, kn, &p, e) : 0;
        if (r < 0)
            return NULL;
        if (r == 0 && !(p = sc_skip(p, e)))
            return NULL;
        p = sc_ws(p, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        if (p < e && *p == '}')
            return p + 1;
        return NULL;
    }
}

/* A string member the entry needs: 1 taken, -1 not plain (use jansson), 0 not a string
 * (skipped: the entry leaves it out, as with jstr). */
static int sc_take_str(const char **pp, const char *e, const char **s, size_t *n)
{
    if (*pp >= e || **pp != '"') {
        *s = NULL;
        return 0;
    }
    bool pl;
    const char *q = sc_str(*pp, e, s, n, &pl);
    if (!q || !pl)
        return -1;
    *pp = q;
    return 1;
}

static int sc_num(const char **pp, const char *e, uint64_t *v, bool *has)
{
    int r = sc_uint(pp, e, v);
    if (r < 0)
        return -1;
    *has = r == 1;
    if (!*has)
        *v = 0;
    return 1;
}

static int sc_alert_member(ev_fields_t *f, const char *k, size_t n, const char **pp, const char *e)
{
    if (sc_key(k, n, "signature_id"))
        return sc_num(pp, e, &f->sid, &f->has_sid);
    return 0;
}

static int sc_evid_member(ev_fields_t *f, const char *k, size_t n, const char **pp, const char *e)
{
    bool has;
    if (sc_key(k, n, "file"))
        return sc_take_str(pp, e, &f->file, &f->file_len);
    if (sc_key(k, n, "sha256"))
        return sc_take_str(pp, e, &f->sha, &f->sha_len);
    if (sc_key(k, n, "packet"))
        return sc_num(pp, e, &f->packet, &f->has_packet);
    if (sc_key(k, n, "bytes"))
        return sc_num(pp, e, &f->bytes, &f->has_bytes);
    if (sc_key(k, n, "size"))
        return sc_num(pp, e, &f->size, &has);
    if (sc_key(k, n, "packets"))
        return sc_num(pp, e, &f->packets, &has);
    if (sc_key(k, n, "truncated")) {
        const char *p = *pp;
        f->truncated = e - p >= 4 && !memcmp(p, "true", 4);
        return 0;
    }
    return 0;
}

static int sc_top_member(ev_fields_t *f, const char *k, size_t n, const char **pp, const char *e)
{
    if (sc_key(k, n, "timestamp"))
        return sc_take_str(pp, e, &f->ts, &f->ts_len);
    if (sc_key(k, n, "flow_id"))
        return sc_num(pp, e, &f->fid, &f->has_fid);
    if (sc_key(k, n, "alert"))
        f->has_sid = false; /* a later "alert" member replaces an earlier one, as in jansson */
    if (sc_key(k, n, "alert") && *pp < e && **pp == '{') {
        const char *q = sc_object(*pp, e, f, sc_alert_member);
        if (!q)
            return -1;
        *pp = q;
        return 1;
    }
    if (sc_key(k, n, "evidence")) {
        /* a later member replaces an earlier one (jansson keeps the last) */
        f->ev_obj = false;
        f->file = f->sha = NULL;
        f->has_packet = f->has_bytes = f->truncated = false;
        f->size = f->packets = 0;
        if (*pp >= e || **pp != '{')
            return 0;
        const char *q = sc_object(*pp, e, f, sc_evid_member);
        if (!q)
            return -1;
        f->ev_obj = true;
        *pp = q;
        return 1;
    }
    return 0;
}

/* True when the line could be read this way (else use jansson). */
static bool scan_event(const char *line, size_t len, ev_fields_t *f)
{
    memset(f, 0, sizeof *f);
    const char *e = line + len;
    const char *p = sc_object(line, e, f, sc_top_member);
    return p && sc_ws(p, e) == e;
}

static void put_strn(vg_jw_t *jw, const char *k, const char *s, size_t n)
{
    vg_jw_key(jw, k);
    vg_jw_strn(jw, s, n);
}

/* The entry of an alert or evidence line read by scan_event: the same members, in the same order,
 * as the jansson path below writes. */
static int entry_from_fields(vg_ledger_t *l, bool is_alert, const ev_fields_t *f,
                             const char *line, size_t len)
{
    if (!is_alert && (!f->ev_obj || !f->file || !f->sha)) {
        vg_log(VG_LOG_ERROR, "evidence ledger: an evidence event without file or sha256");
        return -1;
    }
    vg_jw_t jw;
    entry_begin(l, &jw, is_alert ? "alert" : "evidence");
    if (f->ts)
        put_strn(&jw, "timestamp", f->ts, f->ts_len);
    if (f->has_fid)
        vg_jw_kv_uint(&jw, "flow_id", f->fid);
    if (is_alert) {
        if (f->has_sid)
            vg_jw_kv_uint(&jw, "signature_id", f->sid);
        char hex[65];
        sha256_hex(l, line, len, hex);
        vg_jw_kv_str(&jw, "eve_sha256", hex);
        if (f->ev_obj && f->file) {
            put_strn(&jw, "file", f->file, f->file_len);
            if (f->has_packet)
                vg_jw_kv_uint(&jw, "packet", f->packet);
            if (f->has_bytes && f->sha) {
                vg_jw_kv_uint(&jw, "bytes", f->bytes);
                put_strn(&jw, "sha256", f->sha, f->sha_len);
            }
        }
    } else {
        put_strn(&jw, "file", f->file, f->file_len);
        put_strn(&jw, "sha256", f->sha, f->sha_len);
        vg_jw_kv_uint(&jw, "size", f->size);
        vg_jw_kv_uint(&jw, "packets", f->packets);
        vg_jw_kv_bool(&jw, "truncated", f->truncated);
    }
    entry_end(l, &jw);
    return 0;
}

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* memmem for a needle with a byte rare in EVE lines at index a (for "event_type": its '_', which
 * only a few member names before it have, where a quote comes twice per member): memchr for that
 * byte, then compare (this runs on every EVE line). The first match is memmem's: an earlier
 * occurrence of the needle would have its rare byte earlier. */
static const char *find_key(const char *h, size_t n, const char *k, size_t kn, size_t a)
{
    if (n < kn)
        return NULL;
    const char *p = h + a, *e = h + n;
    while ((size_t)(e - p) >= kn - a && (p = memchr(p, k[a], (size_t)(e - p) - (kn - a) + 1))) {
        if (!memcmp(p - a, k, kn))
            return p - a;
        p++;
    }
    return NULL;
}

int vg_ledger_sink_event(void *ctx, const char *line, size_t len)
{
    vg_ledger_t *l = ctx;
    /* event_type comes within the first members of every EVE line (after timestamp, flow_id,
     * pcap_cnt): look there only, this runs on every line */
    static const char key[] = "\"event_type\":\"";
    const char *et = find_key(line, len < 256 ? len : 256, key, sizeof key - 1, 6);
    if (!et)
        et = find_key(line, len, key, sizeof key - 1, 6);
    if (!et)
        return 0;
    et += sizeof key - 1;
    size_t rest = len - (size_t)(et - line);
    bool is_alert = rest > 6 && !memcmp(et, "alert\"", 6);
    bool is_evid = !is_alert && rest > 9 && !memcmp(et, "evidence\"", 9);
    if (!is_alert && !is_evid)
        return 0;
    ev_fields_t f;
    if (scan_event(line, len, &f))
        return entry_from_fields(l, is_alert, &f, line, len);
    json_error_t je;
    json_t *j = json_loadb(line, len, 0, &je);
    if (!j) {
        vg_log(VG_LOG_ERROR, "evidence ledger: an event line is not JSON: %s", je.text);
        return -1;
    }
    json_t *ev = json_object_get(j, "evidence");
    json_t *fid = json_object_get(j, "flow_id");
    vg_jw_t jw;
    entry_begin(l, &jw, is_alert ? "alert" : "evidence");
    const char *ts = jstr(j, "timestamp");
    if (ts)
        vg_jw_kv_str(&jw, "timestamp", ts);
    if (json_is_integer(fid))
        vg_jw_kv_uint(&jw, "flow_id", (uint64_t)json_integer_value(fid));
    if (is_alert) {
        json_t *a = json_object_get(j, "alert");
        json_t *sid = a ? json_object_get(a, "signature_id") : NULL;
        if (json_is_integer(sid))
            vg_jw_kv_uint(&jw, "signature_id", (uint64_t)json_integer_value(sid));
        char hex[65];
        sha256_hex(l, line, len, hex);
        vg_jw_kv_str(&jw, "eve_sha256", hex);
        if (json_is_object(ev) && jstr(ev, "file")) {
            vg_jw_kv_str(&jw, "file", jstr(ev, "file"));
            json_t *pk = json_object_get(ev, "packet");
            if (json_is_integer(pk))
                vg_jw_kv_uint(&jw, "packet", (uint64_t)json_integer_value(pk));
            json_t *by = json_object_get(ev, "bytes");
            if (json_is_integer(by) && jstr(ev, "sha256")) {
                vg_jw_kv_uint(&jw, "bytes", (uint64_t)json_integer_value(by));
                vg_jw_kv_str(&jw, "sha256", jstr(ev, "sha256"));
            }
        }
    } else {
        const char *file = json_is_object(ev) ? jstr(ev, "file") : NULL;
        const char *sha = json_is_object(ev) ? jstr(ev, "sha256") : NULL;
        if (!file || !sha) {
            vg_log(VG_LOG_ERROR, "evidence ledger: an evidence event without file or sha256");
            json_decref(j);
            return -1;
        }
        vg_jw_kv_str(&jw, "file", file);
        vg_jw_kv_str(&jw, "sha256", sha);
        vg_jw_kv_uint(&jw, "size", (uint64_t)json_integer_value(json_object_get(ev, "size")));
        vg_jw_kv_uint(&jw, "packets",
                      (uint64_t)json_integer_value(json_object_get(ev, "packets")));
        vg_jw_kv_bool(&jw, "truncated", json_is_true(json_object_get(ev, "truncated")));
    }
    entry_end(l, &jw);
    json_decref(j);
    return 0;
}

int vg_ledger_sink_commit(void *ctx, bool final)
{
    vg_ledger_t *l = ctx;
    if (l->failed)
        return -1;
    bool cp = final || (l->cp_entries && l->since_cp >= l->cp_entries) ||
              (l->since_cp && l->cp_seconds && mono_now() - l->last_cp >= (double)l->cp_seconds);
    /* Entries reach the file at every commit (a killed process loses none). A checkpoint first
     * makes them and the evidence files they name durable — syncfs: every file of the file
     * system the ledger is on, one call instead of an fsync per pcap — then is written and
     * synced itself: a power loss can cost at most the entries after the last checkpoint. */
    if (cp) {
        if (l->out.len && write_out(l, false))
            goto fail;
        if (syncfs(l->fd) != 0)
            vg_log(VG_LOG_WARN, "%s: syncfs: %s", l->path, strerror(errno));
        checkpoint(l, final);
    }
    if (l->out.len && write_out(l, cp))
        goto fail;
    if (cp && l->cp_hook && l->cp_line.len)
        l->cp_hook(l->cp_hook_ctx, l->cp_line.data, l->cp_line.len);
    vg_buf_reset(&l->cp_line);
    l->finished = final;
    return 0;
fail:
    l->failed = true;
    return -1;
}

uint64_t vg_ledger_seq(const vg_ledger_t *l) { return l->seq; }

void vg_ledger_set_checkpoint_hook(vg_ledger_t *l, void (*fn)(void *ctx, const char *entry,
                                                              size_t len), void *ctx)
{
    if (!l)
        return;
    l->cp_hook = fn;
    l->cp_hook_ctx = ctx;
}

void vg_ledger_close(vg_ledger_t *l)
{
    if (!l)
        return;
    /* a run that stopped before its end (e.g. it could not start) still closes its entries
     * with a final checkpoint; a failed ledger is left as it is (verify reports its tail) */
    if (l->fd >= 0 && !l->finished && !l->failed && l->seq)
        vg_ledger_sink_commit(l, true);
    if (l->fd >= 0)
        close(l->fd);
    sodium_memzero(l->sk, sizeof l->sk);
    EVP_MD_CTX_free(l->mctx);
    EVP_MD_free(l->sha256);
    vg_buf_fini(&l->out);
    vg_buf_fini(&l->tmp);
    vg_buf_fini(&l->cp_line);
    free(l);
}
