/* redis_url.c — redis:// URLs and connecting (shared by the sensor and the collector). */
#include "ship/ship.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vg_redis_url_parse(const char *url, vg_redis_url_t *u, char *err, size_t err_len)
{
    memset(u, 0, sizeof *u);
    u->port = 6379;
    const char *p = url;
    if (strncmp(p, "redis://", 8) != 0) {
        snprintf(err, err_len, "redis URL '%s': expected redis://HOST[:PORT][/DB]", url);
        return -1;
    }
    p += 8;
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        size_t n = (size_t)(at - pw);
        if (n >= sizeof u->password) {
            snprintf(err, err_len, "redis URL: password too long");
            return -1;
        }
        memcpy(u->password, pw, n);
        p = at + 1;
    }
    const char *end = p + strcspn(p, ":/");
    size_t hn = (size_t)(end - p);
    if (hn == 0 || hn >= sizeof u->host) {
        snprintf(err, err_len, "redis URL '%s': no host", url);
        return -1;
    }
    memcpy(u->host, p, hn);
    p = end;
    if (*p == ':') {
        char *e;
        long v = strtol(p + 1, &e, 10);
        if (e == p + 1 || v < 1 || v > 65535 || (*e && *e != '/')) {
            snprintf(err, err_len, "redis URL '%s': bad port", url);
            return -1;
        }
        u->port = (int)v;
        p = e;
    }
    if (*p == '/' && p[1]) {
        char *e;
        long v = strtol(p + 1, &e, 10);
        if (*e || v < 0 || v > 1000) {
            snprintf(err, err_len, "redis URL '%s': bad database number", url);
            return -1;
        }
        u->db = (int)v;
    } else if (*p && strcmp(p, "/") != 0) {
        snprintf(err, err_len, "redis URL '%s': unexpected '%s'", url, p);
        return -1;
    }
    return 0;
}

redisContext *vg_redis_connect(const vg_redis_url_t *u, unsigned timeout_ms, char *err,
                               size_t err_len)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(u->host, u->port, tv);
    if (!c || c->err) {
        snprintf(err, err_len, "redis %s:%d: %s", u->host, u->port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    redisReply *r = NULL;
    if (u->password[0]) {
        r = redisCommand(c, "AUTH %s", u->password);
        if (!r || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    if (u->db) {
        r = redisCommand(c, "SELECT %d", u->db);
        if (!r || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    r = redisCommand(c, "PING");
    if (!r || r->type == REDIS_REPLY_ERROR)
        goto fail;
    freeReplyObject(r);
    return c;
fail:
    snprintf(err, err_len, "redis %s:%d: %s", u->host, u->port,
             r ? r->str : c->errstr[0] ? c->errstr : "no reply");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return NULL;
}
