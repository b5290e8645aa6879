/* keys.c — the sensor's Ed25519 key pair (ledger.h). Files are one text line each:
 *   sensor.key  "vigil-ed25519-secret-key <64 hex: the 32-byte seed>\n"   mode 0600
 *   sensor.pub  "vigil-ed25519-public-key <64 hex>\n" */
#include "evidence/ledger.h"

#include <sodium.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEC_PREFIX "vigil-ed25519-secret-key "
#define PUB_PREFIX "vigil-ed25519-public-key "
#define KEY_LINE_LEN (sizeof(SEC_PREFIX) - 1 + 64 + 1)

int vg_key_default_dir(char *out, size_t n)
{
    const char *x = getenv("XDG_CONFIG_HOME");
    if (x && *x) {
        snprintf(out, n, "%s/vigil", x);
        return 0;
    }
    const char *h = getenv("HOME");
    if (!h || !*h)
        return -1;
    snprintf(out, n, "%s/.config/vigil", h);
    return 0;
}

void vg_key_id(const uint8_t pk[32], char out[17])
{
    unsigned char md[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(md, pk, 32);
    sodium_bin2hex(out, 17, md, 8);
}

static int mkdirs(const char *dir, char *err, size_t err_len)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", dir);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
            snprintf(err, err_len, "%s: cannot create directory: %s", tmp, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) {
        snprintf(err, err_len, "%s: cannot create directory: %s", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_new(const char *path, mode_t mode, const char *text, char *err, size_t err_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        if (errno == EEXIST)
            snprintf(err, err_len, "%s already exists; refusing to overwrite a key", path);
        else
            snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n || fsync(fd) != 0) {
        snprintf(err, err_len, "%s: write error: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    fchmod(fd, mode); /* whatever the umask */
    close(fd);
    return 0;
}

int vg_keygen(const char *dir, char *err, size_t err_len)
{
    if (sodium_init() < 0) {
        snprintf(err, err_len, "libsodium could not be initialised");
        return -1;
    }
    if (mkdirs(dir, err, err_len))
        return -1;
    char sk_path[4096], pk_path[4096];
    snprintf(sk_path, sizeof sk_path, "%s/%s", dir, VG_KEY_SECRET_FILE);
    snprintf(pk_path, sizeof pk_path, "%s/%s", dir, VG_KEY_PUBLIC_FILE);
    if (access(sk_path, F_OK) == 0 || access(pk_path, F_OK) == 0) {
        snprintf(err, err_len, "%s already holds a key (%s or %s); refusing to overwrite it",
                 dir, VG_KEY_SECRET_FILE, VG_KEY_PUBLIC_FILE);
        return -1;
    }
    unsigned char seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES],
        sk[crypto_sign_SECRETKEYBYTES];
    randombytes_buf(seed, sizeof seed);
    crypto_sign_seed_keypair(pk, sk, seed);
    char hex[129], line[256];
    sodium_bin2hex(hex, sizeof hex, seed, sizeof seed);
    snprintf(line, sizeof line, SEC_PREFIX "%s\n", hex);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk, sizeof sk);
    int rc = write_new(sk_path, 0600, line, err, err_len);
    sodium_memzero(line, sizeof line);
    if (rc)
        return -1;
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    snprintf(line, sizeof line, PUB_PREFIX "%s\n", hex);
    if (write_new(pk_path, 0644, line, err, err_len)) {
        unlink(sk_path);
        return -1;
    }
    return 0;
}

/* Reads a one-line key file of the expected form into 32 bytes. */
static int read_key_line(const char *path, const char *prefix, uint8_t out[32], struct stat *st,
                         char *err, size_t err_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        snprintf(err, err_len, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    char buf[KEY_LINE_LEN + 2];
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    size_t plen = strlen(prefix);
    if (n != (ssize_t)(plen + 65) || (size_t)st->st_size != plen + 65) {
        snprintf(err, err_len, "%s: wrong size (%lld bytes; a key file is %zu bytes: \"%s<64 hex>\")",
                 path, (long long)st->st_size, plen + 65, prefix);
        return -1;
    }
    size_t bin_len = 0;
    if (memcmp(buf, prefix, plen) != 0 || buf[plen + 64] != '\n' ||
        sodium_hex2bin(out, 32, buf + plen, 64, NULL, &bin_len, NULL) != 0 || bin_len != 32) {
        snprintf(err, err_len, "%s: not a key file of this kind (expected \"%s<64 hex>\")", path,
                 prefix);
        return -1;
    }
    return 0;
}

int vg_key_load_secret(const char *path, uint8_t sk[64], uint8_t pk[32], char *err, size_t err_len)
{
    if (sodium_init() < 0) {
        snprintf(err, err_len, "libsodium could not be initialised");
        return -1;
    }
    struct stat st;
    uint8_t seed[32];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) == 0 && (st.st_mode & 077)) {
        snprintf(err, err_len, "%s: private key is readable by others (mode %04o); it must be 0600 "
                 "(chmod 600 %s)", path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        return -1;
    }
    close(fd);
    if (read_key_line(path, SEC_PREFIX, seed, &st, err, err_len))
        return -1;
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    return 0;
}

int vg_key_load_public(const char *path, uint8_t pk[32], char *err, size_t err_len)
{
    struct stat st;
    return read_key_line(path, PUB_PREFIX, pk, &st, err, err_len);
}
