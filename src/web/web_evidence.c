/* web_evidence.c — which evidence pcaps `vigil serve` may hand out, and their verification.
 *
 * A file is served only when the run's evidence ledger (LOGDIR/evidence/ledger.jsonl,
 * docs/EVIDENCE.md) names it in an "alert" or "evidence" entry, its name is a plain file name
 * (no directory part), and it is a regular file opened without following a symbolic link. The
 * file's SHA-256 is computed now and compared with the ledger's "evidence" entry:
 *
 *   verified       the hash and size match the ledger's
 *   changed        they do not (the file was altered since it was sealed)
 *   unsealed       the ledger names the file but has no hash for it (its flow had not ended)
 *   missing        named, but absent, not a regular file, or unreadable
 *   not_in_ledger  the ledger does not name it (never served)
 *   no_ledger      no ledger in the run's log directory (never served)
 *
 * The ledger is read line by line on each request (a line is parsed only when it holds the file
 * name); the signatures are `vigil verify`'s business, not checked here. */
#include "web/web_int.h"
#include "evidence/ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCAP_MAX (256u << 20)

static bool plain_name(const char *f)
{
    size_t n = strlen(f);
    if (!n || n > 200 || f[0] == '.')
        return false;
    for (const char *p = f; *p; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
            *p != '.' && *p != '-' && *p != '_')
            return false;
    return true;
}

/* Scans the ledger for entries naming file. -1 when there is no ledger. */
static int scan_ledger(const char *dir, const char *file, vg_web_evidence_t *ev)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, VG_LEDGER_FILE);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char needle[256];
    snprintf(needle, sizeof needle, "\"file\":\"%s\"", file);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (!strstr(line, needle))
            continue;
        json_t *j = json_loadb(line, (size_t)n, 0, NULL);
        if (!j)
            continue;
        const char *type = json_string_value(json_object_get(j, "type"));
        const char *jf = json_string_value(json_object_get(j, "file"));
        if (type && jf && !strcmp(jf, file)) {
            if (!strcmp(type, "alert")) {
                ev->named = true;
            } else if (!strcmp(type, "evidence")) {
                const char *sha = json_string_value(json_object_get(j, "sha256"));
                if (sha && strlen(sha) == 64) {
                    ev->named = ev->sealed = true;
                    memcpy(ev->ledger_sha, sha, 65);
                    ev->ledger_size = (uint64_t)json_integer_value(json_object_get(j, "size"));
                }
            }
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    return 0;
}

/* Reads the file (no symlink, regular, bounded) and hashes it. */
static int read_file(const char *dir, const char *file, vg_web_evidence_t *ev, char **data,
                     size_t *len)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    close(dfd);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > PCAP_MAX) {
        close(fd);
        return -1;
    }
    size_t cap = (size_t)sb.st_size + 1, got = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return -1;
    }
    for (;;) {
        if (got == cap) {
            close(fd);
            free(buf);
            return -1; /* grew while read: not sealed */
        }
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            close(fd);
            free(buf);
            return -1;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    uint8_t h[32];
    SHA256((const unsigned char *)buf, got, h);
    for (int i = 0; i < 32; i++)
        snprintf(ev->sha + 2 * i, 3, "%02x", h[i]);
    ev->size = got;
    if (data) {
        *data = buf;
        *len = got;
    } else {
        free(buf);
    }
    return 0;
}

void vg_web_evidence_check(const char *logdir, const char *fallback, const char *file,
                           vg_web_evidence_t *ev, char **data, size_t *len)
{
    memset(ev, 0, sizeof *ev);
    ev->status = "not_in_ledger";
    if (data)
        *data = NULL;
    if (!plain_name(file))
        return;
    const char *dirs[2] = {logdir, fallback};
    bool found = false;
    for (int i = 0; i < 2 && !found; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        snprintf(ev->dir, sizeof ev->dir, "%s/%s", dirs[i], VG_EVIDENCE_DIR);
        found = scan_ledger(ev->dir, file, ev) == 0;
    }
    if (!found) {
        ev->status = "no_ledger";
        return;
    }
    if (!ev->named)
        return;
    if (read_file(ev->dir, file, ev, data, len)) {
        ev->status = "missing";
        return;
    }
    if (!ev->sealed)
        ev->status = "unsealed";
    else if (!strcmp(ev->sha, ev->ledger_sha) && ev->size == ev->ledger_size)
        ev->status = "verified";
    else
        ev->status = "changed";
}
