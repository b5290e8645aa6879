/* prefilter_cache.c — compiled Hyperscan databases on disk, so a restart with the same rules
 * skips compilation (Suricata 8's detect.sgh-mpm-caching does the same).
 *
 * File: <cache_dir>/<64 hex digits of the key>.hsdb
 *
 *   offset  size  field
 *   0       8     magic "VGPFDB1\0"
 *   8       32    key (SHA-256, repeated so a renamed or swapped file is refused)
 *   40      8     n: length of the serialized database, little endian
 *   48      32    SHA-256 of the serialized database
 *   80      n     hs_serialize_database() output
 *
 * The key hashes the cache format, hs_version(), the buffer id and every literal with its flags
 * in id order, so any change to the patterns, their case or their order is a different file.
 * hs_deserialize_database() checks the platform and a CRC of the bytecode, but not every byte
 * of the image (a flipped tail went unnoticed in the tests), hence our own digest over all of
 * it. A file that fails any check is ignored and overwritten by the freshly compiled database.
 * Writers use a private temporary file and rename(), so concurrent starts never see a
 * half-written file.
 */
#include "detect/prefilter_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PF_MAGIC "VGPFDB1"
#define PF_HDR_LEN (8 + VG_PF_KEY_LEN + 8 + VG_PF_KEY_LEN)
#define PF_MAX_FILE ((size_t)1 << 30)

static void put_u32(EVP_MD_CTX *m, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    EVP_DigestUpdate(m, b, sizeof(b));
}

bool vg_pf_cache_key(const vg_pf_pattern_t *pats, uint32_t n, int buf,
                     uint8_t key[VG_PF_KEY_LEN])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    if (!m || EVP_DigestInit_ex(m, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(m);
        return false;
    }
    const char *ver = hs_version();
    EVP_DigestUpdate(m, PF_MAGIC, sizeof(PF_MAGIC));
    EVP_DigestUpdate(m, ver, strlen(ver) + 1);
    put_u32(m, (uint32_t)buf);
    put_u32(m, n);
    for (uint32_t i = 0; i < n; i++) {
        put_u32(m, i);
        put_u32(m, HS_FLAG_SINGLEMATCH | (pats[i].caseless ? HS_FLAG_CASELESS : 0));
        put_u32(m, pats[i].len);
        EVP_DigestUpdate(m, pats[i].pat, pats[i].len);
    }
    unsigned int kl = 0;
    bool ok = EVP_DigestFinal_ex(m, key, &kl) == 1 && kl == VG_PF_KEY_LEN;
    EVP_MD_CTX_free(m);
    return ok;
}

static bool digest(const void *p, size_t n, uint8_t out[VG_PF_KEY_LEN])
{
    unsigned int l = 0;
    return EVP_Digest(p, n, out, &l, EVP_sha256(), NULL) == 1 && l == VG_PF_KEY_LEN;
}

void vg_pf_cache_path(const char *dir, const uint8_t key[VG_PF_KEY_LEN], char *path,
                      size_t path_len)
{
    static const char hex[] = "0123456789abcdef";
    char h[2 * VG_PF_KEY_LEN + 1];
    for (int i = 0; i < VG_PF_KEY_LEN; i++) {
        h[2 * i] = hex[key[i] >> 4];
        h[2 * i + 1] = hex[key[i] & 15];
    }
    h[2 * VG_PF_KEY_LEN] = 0;
    snprintf(path, path_len, "%s/%s.hsdb", dir, h);
}

/* Reads a whole regular file of at most PF_MAX_FILE bytes; NULL on any failure. */
static uint8_t *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    uint8_t *data = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size >= PF_HDR_LEN &&
        (size_t)st.st_size <= PF_MAX_FILE) {
        size_t n = (size_t)st.st_size, got = 0;
        data = vg_xmalloc(n);
        while (got < n) {
            ssize_t r = read(fd, data + got, n - got);
            if (r <= 0 && !(r < 0 && errno == EINTR))
                break;
            got += r > 0 ? (size_t)r : 0;
        }
        if (got != n) {
            free(data);
            data = NULL;
        }
        *len = n;
    }
    close(fd);
    return data;
}

hs_database_t *vg_pf_cache_load(const char *dir, const uint8_t key[VG_PF_KEY_LEN])
{
    char path[4096];
    vg_pf_cache_path(dir, key, path, sizeof(path));
    size_t len = 0;
    uint8_t *data = read_file(path, &len);
    if (!data)
        return NULL;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | data[8 + VG_PF_KEY_LEN + i];
    hs_database_t *db = NULL;
    uint8_t sum[VG_PF_KEY_LEN];
    if (memcmp(data, PF_MAGIC, 8) == 0 && memcmp(data + 8, key, VG_PF_KEY_LEN) == 0 &&
        n == len - PF_HDR_LEN && digest(data + PF_HDR_LEN, (size_t)n, sum) &&
        memcmp(sum, data + 16 + VG_PF_KEY_LEN, VG_PF_KEY_LEN) == 0 &&
        hs_deserialize_database((const char *)data + PF_HDR_LEN, (size_t)n, &db) != HS_SUCCESS)
        db = NULL;
    free(data);
    return db;
}

/* mkdir -p with mode 0755; true when dir exists afterwards. */
static bool make_dirs(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0)
        return S_ISDIR(st.st_mode);
    char *p = vg_xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            break;
        *s = '/';
    }
    free(p);
    return (mkdir(dir, 0755) == 0 || errno == EEXIST) && stat(dir, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

void vg_pf_cache_store(const char *dir, const uint8_t key[VG_PF_KEY_LEN], const hs_database_t *db)
{
    char *bytes = NULL;
    size_t n = 0;
    if (!make_dirs(dir) || hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
        return;
    uint8_t hdr[PF_HDR_LEN];
    memcpy(hdr, PF_MAGIC, 8);
    memcpy(hdr + 8, key, VG_PF_KEY_LEN);
    for (int i = 0; i < 8; i++)
        hdr[8 + VG_PF_KEY_LEN + i] = (uint8_t)((uint64_t)n >> (8 * i));
    if (!digest(bytes, n, hdr + 16 + VG_PF_KEY_LEN)) {
        free(bytes);
        return;
    }
    char path[4096], tmp[4096 + 16];
    vg_pf_cache_path(dir, key, path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) {
        bool ok = fchmod(fd, 0644) == 0 && (vg_write_all(fd, hdr, sizeof(hdr)) == 0) &&
                  (vg_write_all(fd, bytes, n) == 0);
        ok = close(fd) == 0 && ok;
        if (!ok || rename(tmp, path) != 0)
            unlink(tmp);
    }
    free(bytes);
}
