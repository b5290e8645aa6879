/* attrib_range.c — text range tables: three formats of "this address range belongs to country X
 * (and AS N)", loaded into sorted arrays and searched by binary search.
 *
 *   tor-geoipdb (Debian /usr/share/tor/geoip, geoip6), '#' comments:
 *       INTIPLOW,INTIPHIGH,CC          16777216,16777471,AU      (IPv4 as 32-bit integers)
 *       IPV6LOW,IPV6HIGH,CC            2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP
 *   iptoasn.com TSV (ip2asn-v4.tsv, ip2asn-v6.tsv, ip2asn-combined.tsv), one range a line:
 *       range_start<TAB>range_end<TAB>AS_number<TAB>country_code<TAB>AS_description
 *       AS_number 0 ("Not routed") and country "None" mean no data.
 *   RIR delegated-extended (delegated-ripencc-extended-latest, ...):
 *       registry|cc|type|start|value|date|status[|opaque-id|...]
 *       type ipv4: value = number of addresses (not always a power of two); ipv6: prefix length;
 *       asn rows, the version line (first field a digit) and "summary" rows are skipped, as are
 *       rows whose status is not allocated/assigned. The version line's serial (YYYYMMDD) is the
 *       build date.
 *
 * The format is decided by the first data line ('|' RIR, TAB iptoasn, ',' tor) and every other
 * line must follow it: a line that does not parse is an error naming FILE:LINE, never skipped, so
 * a truncated or wrong file is noticed at start. Ranges are sorted and must not overlap.
 */
#include "attrib/attrib_int.h"
#include "common/hash.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { FMT_NONE, FMT_TOR, FMT_IPTOASN, FMT_RIR };
static const char *const kinds[] = {"", "tor", "iptoasn", "rir"}; /* by FMT_ */

typedef struct loader {
    vg_rtable_t *t;
    const char *path;
    unsigned line;
    int fmt;
    char *err;
    size_t err_len;
} loader_t;

static int lerr(loader_t *l, const char *why)
{
    snprintf(l->err, l->err_len, "%s:%u: %s", l->path, l->line, why);
    return -1;
}

static uint32_t pool_add(vg_rtable_t *t, const char *s, size_t n)
{
    if (n == 0)
        return 0;
    if (t->pool_cap - t->pool_len < n + 1) {
        t->pool_cap = (t->pool_cap + n + 1) * 2;
        t->pool = vg_xrealloc(t->pool, t->pool_cap);
    }
    uint32_t off = (uint32_t)t->pool_len;
    memcpy(t->pool + off, s, n);
    t->pool[off + n] = 0;
    t->pool_len += n + 1;
    return off;
}

static vg_rrange_t *push_range(vg_rtable_t *t, int fam)
{
    if (t->n[fam] == t->cap[fam]) {
        t->cap[fam] = t->cap[fam] ? t->cap[fam] * 2 : 1024;
        t->r[fam] = vg_xrealloc(t->r[fam], t->cap[fam] * sizeof(vg_rrange_t));
    }
    vg_rrange_t *r = &t->r[fam][t->n[fam]++];
    memset(r, 0, sizeof *r);
    return r;
}

/* Parses a textual IPv4 or IPv6 address into a 16-byte key; returns the family index or -1. */
static int parse_ip(const char *s, uint8_t key[16])
{
    memset(key, 0, 16);
    if (strchr(s, ':'))
        return inet_pton(AF_INET6, s, key) == 1 ? 1 : -1;
    return inet_pton(AF_INET, s, key) == 1 ? 0 : -1;
}

/* A decimal number and nothing else; false on overflow. (By hand rather than strtoull: the
 * tor files hold ~200,000 of them and start-up time is what they cost.) */
static bool parse_u64(const char *s, uint64_t *v)
{
    if (!*s)
        return false;
    uint64_t x = 0;
    for (; *s; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';
        if (d > 9 || x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *v = x;
    return true;
}

static void be32(uint8_t key[16], uint32_t v)
{
    memset(key, 0, 16);
    key[0] = (uint8_t)(v >> 24), key[1] = (uint8_t)(v >> 16);
    key[2] = (uint8_t)(v >> 8), key[3] = (uint8_t)v;
}

static bool valid_cc(const char *cc)
{
    return strlen(cc) == 2 && isalpha((unsigned char)cc[0]) && isalpha((unsigned char)cc[1]);
}

static void set_cc(vg_rrange_t *r, const char *cc)
{
    if (valid_cc(cc)) {
        r->cc[0] = (char)toupper((unsigned char)cc[0]);
        r->cc[1] = (char)toupper((unsigned char)cc[1]);
    }
}

/* Splits line at sep into at most max fields (in place). Returns the count. */
static int split(char *line, char sep, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == sep) {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

static int line_tor(loader_t *l, char *s)
{
    char *f[4];
    if (split(s, ',', f, 4) != 3)
        return lerr(l, "expected LOW,HIGH,CC (tor geoip format)");
    uint8_t lo[16], hi[16];
    int fam;
    uint64_t a, b;
    if (!strchr(f[0], ':') && parse_u64(f[0], &a) && parse_u64(f[1], &b)) {
        if (a > UINT32_MAX || b > UINT32_MAX)
            return lerr(l, "IPv4 integer out of range");
        be32(lo, (uint32_t)a), be32(hi, (uint32_t)b);
        fam = 0;
    } else {
        fam = parse_ip(f[0], lo);
        if (fam < 0 || parse_ip(f[1], hi) != fam)
            return lerr(l, "bad address");
    }
    if (!valid_cc(f[2]) && strcmp(f[2], "??") != 0)
        return lerr(l, "bad country code");
    vg_rrange_t *r = push_range(l->t, fam);
    memcpy(r->lo, lo, 16), memcpy(r->hi, hi, 16);
    set_cc(r, f[2]);
    return 0;
}

static int line_iptoasn(loader_t *l, char *s)
{
    char *f[5];
    int n = split(s, '\t', f, 5);
    if (n < 4)
        return lerr(l, "expected range_start TAB range_end TAB AS_number TAB country_code "
                       "TAB AS_description (iptoasn format)");
    uint8_t lo[16], hi[16];
    int fam = parse_ip(f[0], lo);
    if (fam < 0 || parse_ip(f[1], hi) != fam)
        return lerr(l, "bad address");
    uint64_t asn;
    if (!parse_u64(f[2], &asn) || asn > UINT32_MAX)
        return lerr(l, "bad AS number");
    if (asn == 0)
        return 0; /* "Not routed": no data, the range stays unknown */
    vg_rrange_t *r = push_range(l->t, fam);
    memcpy(r->lo, lo, 16), memcpy(r->hi, hi, 16);
    r->asn = (uint32_t)asn;
    set_cc(r, f[3]);
    if (n == 5) {
        size_t len = strlen(f[4]);
        if (len && strcmp(f[4], "Not routed") != 0)
            r->org = pool_add(l->t, f[4], len);
    }
    return 0;
}

/* hi = lo + count - 1 over 128 bits (IPv4: 32 bits); false on overflow. */
static bool add_count(const uint8_t lo[16], int fam, uint64_t count, uint8_t hi[16])
{
    if (fam == 0) {
        uint64_t v = ((uint64_t)lo[0] << 24) | ((uint64_t)lo[1] << 16) | ((uint64_t)lo[2] << 8) | lo[3];
        if (count == 0 || v + count - 1 > UINT32_MAX)
            return false;
        be32(hi, (uint32_t)(v + count - 1));
        return true;
    }
    /* ipv6: count is a prefix length */
    if (count > 128)
        return false;
    memcpy(hi, lo, 16);
    for (unsigned bit = (unsigned)count; bit < 128; bit++)
        hi[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
    return true;
}

static void rir_serial(loader_t *l, char **f, int n)
{
    /* version|registry|serial|records|startdate|enddate|UTCoffset */
    if (n >= 3 && strlen(f[2]) == 8 && strspn(f[2], "0123456789") == 8)
        snprintf(l->t->build, sizeof l->t->build, "%.4s-%.2s-%.2s", f[2], f[2] + 4, f[2] + 6);
}

static int line_rir(loader_t *l, char *s)
{
    char *f[8];
    int n = split(s, '|', f, 8);
    if (n >= 1 && isdigit((unsigned char)f[0][0])) {
        rir_serial(l, f, n);
        return 0;
    }
    if (n >= 6 && !strcmp(f[5], "summary"))
        return 0;
    if (n < 7)
        return lerr(l, "expected registry|cc|type|start|value|date|status (RIR delegated format)");
    if (!strcmp(f[2], "asn"))
        return 0;
    if (strcmp(f[2], "ipv4") && strcmp(f[2], "ipv6"))
        return lerr(l, "unknown record type");
    if (strcmp(f[6], "allocated") && strcmp(f[6], "assigned"))
        return 0; /* available, reserved: no country */
    uint8_t lo[16], hi[16];
    int fam = parse_ip(f[3], lo);
    uint64_t value;
    if (fam != (f[2][3] == '4' ? 0 : 1) || !parse_u64(f[4], &value) ||
        !add_count(lo, fam, value, hi))
        return lerr(l, "bad start or value");
    if (!valid_cc(f[1]) || !strcmp(f[1], "ZZ"))
        return 0;
    vg_rrange_t *r = push_range(l->t, fam);
    memcpy(r->lo, lo, 16), memcpy(r->hi, hi, 16);
    set_cc(r, f[1]);
    return 0;
}

static int detect_fmt(const char *s)
{
    if (strchr(s, '|'))
        return FMT_RIR;
    if (strchr(s, '\t'))
        return FMT_IPTOASN;
    if (strchr(s, ','))
        return FMT_TOR;
    return FMT_NONE;
}

static int load_line(loader_t *l, char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    while (*s == ' ')
        s++;
    if (!*s || *s == '#')
        return 0;
    if (l->fmt == FMT_NONE && (l->fmt = detect_fmt(s)) == FMT_NONE)
        return lerr(l, "not a range file (tor geoip, iptoasn TSV or RIR delegated format)");
    switch (l->fmt) {
    case FMT_TOR: return line_tor(l, s);
    case FMT_IPTOASN: return line_iptoasn(l, s);
    default: return line_rir(l, s);
    }
}

static int cmp_range(const void *a, const void *b)
{
    return memcmp(((const vg_rrange_t *)a)->lo, ((const vg_rrange_t *)b)->lo, 16);
}

static int finish(loader_t *l)
{
    vg_rtable_t *t = l->t;
    for (int fam = 0; fam < 2; fam++) {
        /* the files are usually in order already: sorting is then skipped */
        bool sorted = true;
        for (size_t i = 1; i < t->n[fam] && sorted; i++)
            sorted = cmp_range(&t->r[fam][i - 1], &t->r[fam][i]) <= 0;
        if (!sorted)
            qsort(t->r[fam], t->n[fam], sizeof(vg_rrange_t), cmp_range);
        for (size_t i = 0; i < t->n[fam]; i++) {
            const vg_rrange_t *r = &t->r[fam][i];
            char a[INET6_ADDRSTRLEN];
            if (memcmp(r->lo, r->hi, 16) > 0 ||
                (i && memcmp(t->r[fam][i - 1].hi, r->lo, 16) >= 0)) {
                inet_ntop(fam ? AF_INET6 : AF_INET, r->lo, a, sizeof a);
                snprintf(l->err, l->err_len, "%s: range starting at %s is inverted or overlaps "
                         "another", l->path, a);
                return -1;
            }
        }
    }
    if (t->n[0] + t->n[1] == 0) {
        snprintf(l->err, l->err_len, "%s: no address ranges in the file", l->path);
        return -1;
    }
    t->kind = kinds[l->fmt];
    return 0;
}

static void mtime_build(vg_rtable_t *t, FILE *fp)
{
    struct stat st;
    struct tm tm;
    if (t->build[0] || fstat(fileno(fp), &st) || !gmtime_r(&st.st_mtime, &tm))
        return;
    strftime(t->build, sizeof t->build, "%Y-%m-%d", &tm);
}

/* ---- binary cache ----------------------------------------------------------------------------
 * Parsing Debian's tor files (660,000 lines) is most of a small run's start-up. A successful load
 * is kept as its arrays in $XDG_CACHE_HOME/vigil (else ~/.cache/vigil), named after a hash of the
 * source file's whole content and its size: reading and hashing 25 MB costs a few milliseconds,
 * parsing it ~100 times more, and a content key cannot go stale (file times are too coarse to
 * tell two quick rewrites apart). The cache file repeats the key and carries a checksum of its
 * contents; anything that does not match is ignored and the text parsed as before. Writing it
 * is best effort. */

#define RT_MAGIC "VGRTAB03"

typedef struct rt_head {
    char magic[8];
    uint32_t rsize, fmt;   /* sizeof(vg_rrange_t); index in kinds[] */
    uint64_t size, key;    /* the source's size and content hash */
    uint64_t n[2], pool_len;
    char build[16];
    uint64_t sum;          /* vg_hash_bytes of the arrays and the pool */
} rt_head_t;

/* The content hash of the file fp (rewound afterwards); false on a read error. */
static bool content_key(FILE *fp, uint64_t *key, uint64_t *size)
{
    static _Thread_local uint8_t buf[1 << 16];
    uint64_t h = 0, n = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        h = vg_hash_bytes(buf, got, h);
        n += got;
    }
    bool ok = !ferror(fp);
    rewind(fp);
    *key = h, *size = n;
    return ok;
}

static bool cache_path(uint64_t key, uint64_t size, char *out, size_t n)
{
    const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
    char dir[4096];
    if (x && *x)
        snprintf(dir, sizeof dir, "%s/vigil", x);
    else if (h && *h)
        snprintf(dir, sizeof dir, "%s/.cache/vigil", h);
    else
        return false;
    return snprintf(out, n, "%s/geo-%016llx-%llu.rt", dir, (unsigned long long)key,
                    (unsigned long long)size) < (int)n;
}

static void head_of(rt_head_t *hd, uint64_t key, uint64_t size)
{
    memset(hd, 0, sizeof *hd);
    memcpy(hd->magic, RT_MAGIC, 8);
    hd->rsize = sizeof(vg_rrange_t);
    hd->size = size, hd->key = key;
}

static uint64_t table_sum(const vg_rtable_t *t)
{
    uint64_t h = t->n[0] ? vg_hash_bytes(t->r[0], t->n[0] * sizeof(vg_rrange_t), 0) : 0;
    if (t->n[1])
        h = vg_hash_bytes(t->r[1], t->n[1] * sizeof(vg_rrange_t), h);
    return vg_hash_bytes(t->pool, t->pool_len, h);
}

static bool read_all(FILE *f, void *p, size_t n) { return !n || fread(p, 1, n, f) == n; }
static bool write_all(FILE *f, const void *p, size_t n) { return !n || fwrite(p, 1, n, f) == n; }

static vg_rtable_t *cache_load(const char *cpath, uint64_t key, uint64_t size)
{
    FILE *f = fopen(cpath, "rb");
    if (!f)
        return NULL;
    rt_head_t hd, want;
    head_of(&want, key, size);
    vg_rtable_t *t = NULL;
    if (!read_all(f, &hd, sizeof hd) || memcmp(hd.magic, want.magic, 8) || hd.rsize != want.rsize ||
        hd.size != want.size || hd.key != want.key || hd.fmt == 0 ||
        hd.fmt >= VG_ARRAY_LEN(kinds) || hd.n[0] + hd.n[1] == 0 || hd.pool_len == 0 ||
        hd.n[0] > size || hd.n[1] > size || hd.pool_len > size + 1)
        goto out;
    t = vg_xcalloc(1, sizeof *t);
    for (int fam = 0; fam < 2; fam++) {
        t->n[fam] = t->cap[fam] = hd.n[fam];
        t->r[fam] = vg_xmalloc(VG_MAX(hd.n[fam], 1) * sizeof(vg_rrange_t));
    }
    t->pool_len = t->pool_cap = hd.pool_len;
    t->pool = vg_xmalloc(hd.pool_len);
    if (!read_all(f, t->r[0], t->n[0] * sizeof(vg_rrange_t)) ||
        !read_all(f, t->r[1], t->n[1] * sizeof(vg_rrange_t)) ||
        !read_all(f, t->pool, t->pool_len) || fgetc(f) != EOF || table_sum(t) != hd.sum ||
        t->pool[t->pool_len - 1] != 0) {
        vg_rtable_free(t);
        t = NULL;
        goto out;
    }
    t->kind = kinds[hd.fmt];
    t->cached = true;
    utimensat(AT_FDCWD, cpath, NULL, 0); /* recently used: kept by prune() */
    memcpy(t->build, hd.build, sizeof t->build);
    t->build[sizeof t->build - 1] = 0;
out:
    fclose(f);
    return t;
}

/* Entries are never stale (content keys) but pile up as the geo files are updated: only the
 * RT_KEEP most recently used are kept (a hit refreshes an entry's time, see cache_load). */
#define RT_KEEP 8

static void prune(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct { char name[256]; time_t t; } e[64];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < VG_ARRAY_LEN(e)) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, "geo-", 4) || l < 8 || strcmp(de->d_name + l - 3, ".rt") ||
            l >= sizeof e[0].name)
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, 0) != 0)
            continue;
        memcpy(e[n].name, de->d_name, l + 1);
        e[n++].t = st.st_mtime;
    }
    while (n > RT_KEEP) { /* drop the oldest */
        size_t o = 0;
        for (size_t i = 1; i < n; i++)
            if (e[i].t < e[o].t)
                o = i;
        unlinkat(dirfd(d), e[o].name, 0);
        e[o] = e[--n];
    }
    closedir(d);
}

static void cache_store(const char *cpath, uint64_t key, uint64_t size, const vg_rtable_t *t,
                        int fmt)
{
    char dir[4096], tmp[4200];
    snprintf(dir, sizeof dir, "%s", cpath);
    char *slash = strrchr(dir, '/');
    if (!slash)
        return;
    *slash = 0;
    char *up = strrchr(dir, '/');
    if (up) { /* ~/.cache, then ~/.cache/vigil */
        *up = 0;
        mkdir(dir, 0700);
        *up = '/';
    }
    mkdir(dir, 0700);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", cpath, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return;
    rt_head_t hd;
    head_of(&hd, key, size);
    hd.fmt = (uint32_t)fmt;
    hd.n[0] = t->n[0], hd.n[1] = t->n[1], hd.pool_len = t->pool_len;
    memcpy(hd.build, t->build, sizeof hd.build);
    hd.sum = table_sum(t);
    bool ok = write_all(f, &hd, sizeof hd) &&
              write_all(f, t->r[0], t->n[0] * sizeof(vg_rrange_t)) &&
              write_all(f, t->r[1], t->n[1] * sizeof(vg_rrange_t)) &&
              write_all(f, t->pool, t->pool_len);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, cpath) != 0)
        unlink(tmp);
    else
        prune(dir);
}

int vg_rtable_load(vg_rtable_t **out, const char *path, char *err, size_t err_len)
{
    *out = NULL;
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    char cpath[4096];
    uint64_t key = 0, size = 0;
    bool cacheable = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode) &&
                     content_key(fp, &key, &size) && cache_path(key, size, cpath, sizeof cpath);
    if (cacheable && (*out = cache_load(cpath, key, size)) != NULL) {
        fclose(fp);
        return 0;
    }
    vg_rtable_t *t = vg_xcalloc(1, sizeof *t);
    t->pool = vg_xmalloc(1);
    t->pool[0] = 0;
    t->pool_len = t->pool_cap = 1;
    loader_t l = {.t = t, .path = path, .err = err, .err_len = err_len};
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, fp) >= 0) {
        l.line++;
        rc = load_line(&l, line);
    }
    free(line);
    if (rc == 0 && ferror(fp)) {
        snprintf(err, err_len, "%s: read error", path);
        rc = -1;
    }
    if (rc == 0)
        rc = finish(&l);
    mtime_build(t, fp);
    fclose(fp);
    if (rc) {
        vg_rtable_free(t);
        return -1;
    }
    if (cacheable)
        cache_store(cpath, key, size, t, l.fmt);
    *out = t;
    return 0;
}

void vg_rtable_free(vg_rtable_t *t)
{
    if (!t)
        return;
    free(t->r[0]);
    free(t->r[1]);
    free(t->pool);
    free(t);
}

/* Longest prefix p such that ip/p lies inside [lo, hi] (nbits 32 or 128). */
static uint8_t prefix_within(const uint8_t ip[16], const uint8_t lo[16], const uint8_t hi[16],
                             unsigned nbits)
{
    for (unsigned p = 0; p <= nbits; p++) {
        uint8_t first[16], last[16];
        memcpy(first, ip, 16), memcpy(last, ip, 16);
        for (unsigned bit = p; bit < nbits; bit++) {
            first[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
            last[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
        }
        if (memcmp(first, lo, 16) >= 0 && memcmp(last, hi, 16) <= 0)
            return (uint8_t)p;
    }
    return (uint8_t)nbits;
}

static void key_step(uint8_t k[16], unsigned nbytes, int delta)
{
    for (int i = (int)nbytes - 1; i >= 0; i--) {
        if (delta > 0 && ++k[i] != 0)
            return;
        if (delta < 0 && k[i]-- != 0)
            return;
    }
}

void vg_rtable_lookup(const vg_rtable_t *t, const vg_addr_t *ip, int ip_ver, vg_rhit_t *hit)
{
    int fam = ip_ver == 6;
    unsigned nbits = fam ? 128 : 32, nbytes = nbits / 8;
    uint8_t key[16] = {0};
    memcpy(key, ip->b, nbytes);
    const vg_rrange_t *r = t->r[fam];
    size_t lo = 0, hi = t->n[fam]; /* first range with r.lo > key */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (memcmp(r[mid].lo, key, 16) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    hit->r = NULL;
    if (lo > 0 && memcmp(r[lo - 1].hi, key, 16) >= 0) {
        hit->r = &r[lo - 1];
        hit->plen = prefix_within(key, hit->r->lo, hit->r->hi, nbits);
        return;
    }
    /* In a gap: the answer ("nothing") holds between the neighbours. */
    uint8_t glo[16] = {0}, ghi[16] = {0};
    memset(ghi, 0xff, nbytes);
    if (lo > 0) {
        memcpy(glo, r[lo - 1].hi, 16);
        key_step(glo, nbytes, 1);
    }
    if (lo < t->n[fam]) {
        memcpy(ghi, r[lo].lo, 16);
        key_step(ghi, nbytes, -1);
    }
    hit->plen = prefix_within(key, glo, ghi, nbits);
}
