/* config.c — the known-key table, YAML flattening (libyaml) and --set/--var handling. */
#include "common/config.h"
#include "common/default_vars.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

enum key_type { T_BOOL, T_UINT, T_SIZE, T_STR };

typedef struct key_def {
    const char *key;
    enum key_type type;
    const char *def;
    const char *doc;
} key_def_t;

/* Every key Vigil knows. Defaults are sized for a 2-core, few-GiB sensor; docs/CONFIG.md lists
 * them with their meaning. */
static const key_def_t keys[] = {
    {"sensor-name", T_STR, NULL, "name of this sensor in events (default: host name)"},
    {"default-log-dir", T_STR, ".", "log directory when -l is not given"},
    {"runmode.workers", T_UINT, "0", "worker threads; 0 = one per core"},
    {"capture.checksum-validation", T_BOOL, "true", "validate IP/TCP/UDP checksums (-k)"},
    {"capture.method", T_STR, "af-packet", "vigil live: af-packet (TPACKET_V3) or pcap (libpcap)"},
    {"capture.promisc", T_BOOL, "true", "vigil live: promiscuous mode on the interfaces"},
    {"capture.snaplen", T_SIZE, "65535", "vigil live (pcap): bytes kept of each packet"},
    {"capture.bpf-filter", T_STR, NULL, "vigil live: BPF filter when --bpf is not given"},
    {"af-packet.ring-size", T_SIZE, "64mb",
     "vigil live: ring memory per interface, and per worker with fanout"},
    {"af-packet.block-size", T_SIZE, "128kb", "vigil live: ring block (multiple of the page size)"},
    {"af-packet.block-timeout", T_UINT, "10", "vigil live: ms before a partly filled block is read"},
    {"af-packet.fanout", T_BOOL, "true",
     "vigil live: one socket per worker per interface (a fanout group), read by the worker"},
    {"af-packet.fanout-mode", T_STR, "hash",
     "vigil live: hash (kernel flow hash, IP defrag) or ip-pair (BPF on the outer IP pair)"},
    {"unix-command.enabled", T_BOOL, "true", "vigil live: control socket for `vigil rules reload`"},
    {"unix-command.filename", T_STR, NULL, "vigil live: control socket path (default LOGDIR/vigil.socket)"},
    {"run-as.user", T_STR, NULL, "vigil live: user to switch to after opening interfaces (--user)"},
    {"stream.midstream", T_BOOL, "false", "pick up TCP sessions that started before capture"},
    {"stream.async-oneside", T_BOOL, "false", "accept TCP sessions where only one side is seen"},
    {"stream.memcap", T_SIZE, "64mb", "buffered TCP segment bytes, all workers together"},
    {"stream.session-memcap", T_SIZE, "32mb", "TCP session state, all workers together"},
    {"stream.reassembly.depth", T_SIZE, "1mb", "bytes reassembled per direction of a session"},
    {"flow.memcap", T_SIZE, "128mb", "flow table memory, all workers together"},
    {"flow.timeouts.default.new", T_UINT, "30", NULL},
    {"flow.timeouts.default.established", T_UINT, "300", NULL},
    {"flow.timeouts.tcp.new", T_UINT, "60", NULL},
    {"flow.timeouts.tcp.established", T_UINT, "600", NULL},
    {"flow.timeouts.tcp.closed", T_UINT, "60", NULL},
    {"flow.timeouts.udp.new", T_UINT, "30", NULL},
    {"flow.timeouts.udp.established", T_UINT, "300", NULL},
    {"flow.timeouts.icmp.new", T_UINT, "30", NULL},
    {"flow.timeouts.icmp.established", T_UINT, "300", NULL},
    {"defrag.memcap", T_SIZE, "32mb", "bytes held for IP fragment reassembly, all workers together"},
    {"defrag.trackers", T_UINT, "65535", "datagrams in reassembly, all workers together"},
    {"defrag.timeout", T_UINT, "60", "seconds of packet time before an incomplete datagram is dropped"},
    {"app-layer.memcap", T_SIZE, "128mb",
     "parser state (transactions, headers, bodies, decompressors), all workers together"},
    {"app-layer.protocols.http.request-body-limit", T_SIZE, "100kb", NULL},
    {"app-layer.protocols.http.response-body-limit", T_SIZE, "100kb", NULL},
    {"outputs.eve.enabled", T_BOOL, "true", NULL},
    {"outputs.fast.enabled", T_BOOL, "true", "write LOGDIR/fast.log (one line per alert)"},
    {"outputs.eve.filename", T_STR, "eve.json", NULL},
    {"outputs.eve.types.flow", T_BOOL, "true", "write flow events"},
    {"outputs.eve.types.anomaly", T_BOOL, "true", "write anomaly events"},
    {"outputs.eve.types.stats", T_BOOL, "true", "write stats events"},
    {"outputs.eve.types.app", T_BOOL, "true", "write http/dns/tls/ssh events"},
    {"outputs.eve.types.packet", T_BOOL, "true", "write the packets tagged by tag:session alerts"},
    {"outputs.eve.types.alert.packet", T_BOOL, "false", "alerts carry the packet (base64)"},
    {"outputs.eve.types.alert.payload", T_BOOL, "false", "alerts carry the matched payload (base64) and \"stream\""},
    {"outputs.eve.types.alert.payload-printable", T_BOOL, "false", "alerts carry the matched payload as printable text"},
    {"outputs.eve.types.alert.payload-buffer-size", T_SIZE, "4kb", "stream bytes an alert's payload shows at most"},
    {"outputs.eve.ethernet", T_BOOL, "false", "alerts on Ethernet carry the MAC addresses"},
    {"outputs.redis.enabled", T_BOOL, "false", "ship every event to a Redis stream (docs/SCALE.md; --redis)"},
    {"outputs.redis.url", T_STR, "redis://127.0.0.1:6379", "redis://[:PASSWORD@]HOST[:PORT][/DB]"},
    {"outputs.redis.stream", T_STR, "vigil:events", "the stream key the collectors read"},
    {"outputs.redis.spool-dir", T_STR, NULL, "the shipping spool and sequence state (default LOGDIR/ship)"},
    {"outputs.redis.spool-size", T_SIZE, "1gb", "spool bytes at most; beyond, events are dropped from shipping (counted)"},
    {"outputs.redis.segment-size", T_SIZE, "8mb", "spool segment file size (whole segments are deleted once committed)"},
    {"outputs.redis.handoff-size", T_SIZE, "8mb", "memory for handing written events to the sender (0: it reads them back from the spool)"},
    {"outputs.redis.timeout", T_UINT, "2000", "ms for the Redis connection and each command"},
    {"outputs.redis.drain-timeout", T_UINT, "5000", "ms at the end of a run to send what is spooled"},
    {"stats.interval", T_UINT, "8", "seconds (wall clock) between periodic stats events"},
    {"detect.enabled", T_BOOL, "true", "signature detection (--disable-detection sets false)"},
    {"detect.cache-dir", T_STR, NULL, "compiled pattern databases (default ~/.cache/vigil)"},
    {"classification-file", T_STR, NULL, "classification.config"},
    {"threshold-file", T_STR, NULL, "threshold.config"},
    {"attribution.enabled", T_BOOL, "true", "categories, roles, certainty and geo on alerts"},
    {"attribution.databases", T_STR, NULL,
     "comma-separated geo databases (.mmdb, tor geoip, iptoasn TSV, RIR delegated); "
     "default /usr/share/tor/geoip,/usr/share/tor/geoip6"},
    {"attribution.categories-file", T_STR, NULL, "extra category rules (docs/ATTRIBUTION.md)"},
    {"attribution.verify-databases", T_BOOL, "true", "check every MMDB record when opening"},
    {"attribution.cache-entries", T_UINT, "1024", "per-thread geo lookup cache (prefixes)"},
    {"store.enabled", T_BOOL, "true", "write alerts, incidents and run metadata to the store"},
    {"store.path", T_STR, NULL, "the store's SQLite file (--store; default LOGDIR/vigil.db)"},
    {"store.incident-window", T_UINT, "3600",
     "seconds: alerts of one (category, attacker, victim, family) closer than this are one incident"},
    {"store.flows", T_STR, "alerted", "flow summaries kept in the store: all, alerted or none"},
    {"evidence.enabled", T_BOOL, "false", "pcaps of alerted flows and the signed ledger (docs/EVIDENCE.md)"},
    {"evidence.ring-packets", T_UINT, "8", "latest packets kept per flow before its first alert"},
    {"evidence.memcap", T_SIZE, "64mb", "ring and write-buffer memory, all workers together"},
    {"evidence.ring-copy", T_BOOL, "false", "rings keep copies of packets even when reading files (else where they are in the file, read back at the first alert)"},
    {"evidence.ring-idle", T_UINT, "1", "seconds without a packet before a flow's ring is reused rather than more memory taken (0: at the memcap only)"},
    {"evidence.max-packets", T_UINT, "10000", "packets per evidence file (then it is sealed)"},
    {"evidence.max-bytes", T_SIZE, "16mb", "bytes per evidence file (then it is sealed)"},
    {"evidence.checkpoint-entries", T_UINT, "1000", "ledger entries between signed checkpoints"},
    {"evidence.checkpoint-interval", T_UINT, "60", "seconds between signed checkpoints"},
    {"evidence.key-dir", T_STR, NULL, "signing key directory (default ~/.config/vigil)"},
    /* behavioural detectors (docs/BEHAVE.md): windows in seconds of packet time */
    {"behave.enabled", T_BOOL, "true", "behavioural detectors (scans, floods, brute force, ...)"},
    {"behave.table-size", T_UINT, "32768", "entries per detector table (least recent evicted)"},
    {"behave.max-epoch-observations", T_UINT, "1000000", "observations per second of packet time kept for the detectors"},
    {"behave.max-epoch-single-packet", T_UINT, "65536", "of which flows of a single packet (a spoofed flood's)"},
    {"behave.scan.enabled", T_BOOL, "true", NULL},
    {"behave.scan.window", T_UINT, "60", NULL},
    {"behave.scan.ports", T_UINT, "25", "distinct ports probed on one host (vertical scan)"},
    {"behave.scan.hosts", T_UINT, "25", "distinct hosts probed on one port (horizontal scan)"},
    {"behave.scan.slow-window", T_UINT, "3600", NULL},
    {"behave.scan.slow-targets", T_UINT, "100", "distinct host:port probes over the slow window"},
    {"behave.scan.invalid-flags", T_UINT, "3", "TCP probes with invalid flags (FIN/NULL/Xmas) within the window; 0: off"},
    {"behave.brute-force.enabled", T_BOOL, "true", NULL},
    {"behave.brute-force.window", T_UINT, "300", NULL},
    {"behave.brute-force.attempts", T_UINT, "10", "short sessions to one authentication service"},
    {"behave.brute-force.max-session", T_UINT, "60", "seconds: longer sessions are not attempts"},
    {"behave.brute-force.http-failures", T_UINT, "20", "HTTP 401/403 responses to one client"},
    {"behave.brute-force.ports", T_STR, "21,22,23,110,143,465,587,993,995,1433,1521,3306,3389,5432,5900,5985,5986,6379,27017", NULL},
    {"behave.flood.enabled", T_BOOL, "true", NULL},
    {"behave.flood.window", T_UINT, "10", NULL},
    {"behave.flood.pps", T_UINT, "1000", "packets per second towards one victim"},
    {"behave.flood.min-packets", T_UINT, "2000", NULL},
    {"behave.flood.amplification-sources", T_UINT, "50", "distinct reflectors (with 500+ unsolicited responses) towards one victim in a window"},
    {"behave.flood.amplification-bytes", T_SIZE, "5mb", "reflected bytes towards one victim in a window"},
    {"behave.flood.amplification-ports", T_STR, "17,19,53,69,111,123,137,161,389,500,520,1434,1900,3283,3702,4500,5353,5683,10001,11211,37810,47808", NULL},
    {"behave.beacon.enabled", T_BOOL, "true", NULL},
    {"behave.beacon.min-count", T_UINT, "8", "calls before the period is judged"},
    {"behave.beacon.max-jitter", T_UINT, "10", "percent: standard deviation of the intervals over their mean"},
    {"behave.beacon.min-period", T_UINT, "10", NULL},
    {"behave.beacon.max-period", T_UINT, "3600", NULL},
    {"behave.beacon.ignore-ports", T_STR, "53,67,68,123,137,138,5353", NULL},
    {"behave.dns-tunnel.enabled", T_BOOL, "true", NULL},
    {"behave.dns-tunnel.window", T_UINT, "300", NULL},
    {"behave.dns-tunnel.queries", T_UINT, "20", "queries under one domain from one client"},
    {"behave.dns-tunnel.unique", T_UINT, "15", "distinct subdomains"},
    {"behave.dns-tunnel.min-length", T_UINT, "20", "mean subdomain length"},
    {"behave.dns-tunnel.txt", T_UINT, "20", "TXT/NULL/KEY queries (instead of long names)"},
    {"behave.dns-tunnel.ignore-domains", T_STR, "googlevideo.com,googlesyndication.com,doubleclick.net,akamaiedge.net,akamaihd.net,cloudfront.net,amazonaws.com,windowsupdate.com,office.com,spotify.com", "registered domains never judged (content networks with hashed hostnames)"},
    {"behave.icmp-tunnel.enabled", T_BOOL, "true", NULL},
    {"behave.icmp-tunnel.window", T_UINT, "300", NULL},
    {"behave.icmp-tunnel.min-packets", T_UINT, "20", "echo requests from one client to one host"},
    {"behave.icmp-tunnel.mismatches", T_UINT, "10", "replies not echoing a request (0: rule off)"},
    {"behave.icmp-tunnel.size-changes", T_UINT, "20", "request payload size changes (0: rule off)"},
    {"behave.exfil.enabled", T_BOOL, "true", NULL},
    {"behave.exfil.window", T_UINT, "3600", NULL},
    {"behave.exfil.bytes", T_SIZE, "50mb", "bytes sent by an internal host to one external host"},
    {"behave.exfil.ratio", T_UINT, "10", "sent at least this many times what was received"},
};

#define N_KEYS (sizeof keys / sizeof keys[0])

typedef struct var {
    char *name;
    char *value;
    int kind; /* 0 address, 1 port */
} var_t;

struct vg_config {
    char *vals[N_KEYS];
    var_t *vars;
    size_t n_vars, cap_vars;
};

static int find_key(const char *key)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strcmp(keys[i].key, key) == 0)
            return (int)i;
    return -1;
}

static void put_var(vg_config_t *c, const char *name, const char *value, int kind)
{
    for (size_t i = 0; i < c->n_vars; i++) {
        if (strcmp(c->vars[i].name, name) == 0) {
            free(c->vars[i].value);
            c->vars[i].value = vg_xstrdup(value);
            c->vars[i].kind = kind;
            return;
        }
    }
    if (c->n_vars == c->cap_vars) {
        c->cap_vars = c->cap_vars ? c->cap_vars * 2 : 32;
        c->vars = vg_xrealloc(c->vars, c->cap_vars * sizeof *c->vars);
    }
    c->vars[c->n_vars].name = vg_xstrdup(name);
    c->vars[c->n_vars].value = vg_xstrdup(value);
    c->vars[c->n_vars].kind = kind;
    c->n_vars++;
}

vg_config_t *vg_config_new(void)
{
    vg_config_t *c = vg_xcalloc(1, sizeof *c);
    for (size_t i = 0; i < N_KEYS; i++)
        c->vals[i] = keys[i].def ? vg_xstrdup(keys[i].def) : NULL;
    for (size_t i = 0; i < vg_n_default_vars; i++)
        put_var(c, vg_default_vars[i].name, vg_default_vars[i].value, vg_default_vars[i].is_port);
    return c;
}

void vg_config_free(vg_config_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < N_KEYS; i++)
        free(c->vals[i]);
    for (size_t i = 0; i < c->n_vars; i++) {
        free(c->vars[i].name);
        free(c->vars[i].value);
    }
    free(c->vars);
    free(c);
}

int vg_config_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    while (isspace((unsigned char)*end))
        end++;
    uint64_t mul = 1;
    if (!strcasecmp(end, "kb") || !strcasecmp(end, "k") || !strcasecmp(end, "kib"))
        mul = 1024;
    else if (!strcasecmp(end, "mb") || !strcasecmp(end, "m") || !strcasecmp(end, "mib"))
        mul = 1024 * 1024;
    else if (!strcasecmp(end, "gb") || !strcasecmp(end, "g") || !strcasecmp(end, "gib"))
        mul = 1024ULL * 1024 * 1024;
    else if (*end)
        return -1;
    double bytes = v * (double)mul;
    if (!(bytes < 18446744073709551616.0)) /* 2^64; also NaN and inf: the cast is undefined */
        return -1;
    *out = (uint64_t)bytes;
    return 0;
}

static int parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1", "enabled"};
    static const char *const no[] = {"false", "no", "off", "0", "disabled"};
    for (size_t i = 0; i < 5; i++) {
        if (!strcasecmp(v, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(v, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -1;
}

static int set_vars_key(vg_config_t *c, const char *key, const char *value)
{
    static const char ag[] = "vars.address-groups.", pg[] = "vars.port-groups.";
    if (!strncmp(key, ag, sizeof ag - 1) && key[sizeof ag - 1]) {
        put_var(c, key + sizeof ag - 1, value, 0);
        return 1;
    }
    if (!strncmp(key, pg, sizeof pg - 1) && key[sizeof pg - 1]) {
        put_var(c, key + sizeof pg - 1, value, 1);
        return 1;
    }
    return 0;
}

int vg_config_set(vg_config_t *c, const char *key, const char *value, char *err, size_t err_len)
{
    if (set_vars_key(c, key, value))
        return 0;
    int k = find_key(key);
    if (k < 0) {
        snprintf(err, err_len, "unknown configuration key '%s' (see docs/CONFIG.md)", key);
        return -1;
    }
    bool b;
    uint64_t u;
    char *end;
    switch (keys[k].type) {
    case T_BOOL:
        if (parse_bool(value, &b)) {
            snprintf(err, err_len, "%s: expected true or false, got '%s'", key, value);
            return -1;
        }
        value = b ? "true" : "false";
        break;
    case T_UINT:
        errno = 0;
        u = strtoull(value, &end, 10);
        (void)u;
        if (end == value || *end || errno || value[0] == '-') {
            snprintf(err, err_len, "%s: expected a whole number, got '%s'", key, value);
            return -1;
        }
        break;
    case T_SIZE:
        if (vg_config_parse_size(value, &u)) {
            snprintf(err, err_len, "%s: expected a size such as 64mb, got '%s'", key, value);
            return -1;
        }
        break;
    case T_STR:
        break;
    }
    free(c->vals[k]);
    c->vals[k] = vg_xstrdup(value);
    return 0;
}

int vg_config_set_var(vg_config_t *c, const char *name, const char *value, char *err,
                      size_t err_len)
{
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') {
            snprintf(err, err_len, "--var: bad variable name '%s'", name);
            return -1;
        }
    }
    if (!*name) {
        snprintf(err, err_len, "--var: empty variable name");
        return -1;
    }
    int kind = -1;
    for (size_t i = 0; i < c->n_vars; i++)
        if (strcmp(c->vars[i].name, name) == 0)
            kind = c->vars[i].kind;
    if (kind < 0) {
        size_t n = strlen(name);
        kind = (n > 6 && !strcmp(name + n - 6, "_PORTS")) || (n > 5 && !strcmp(name + n - 5, "_PORT")) ? 1 : 0;
    }
    put_var(c, name, value, kind);
    return 0;
}

bool vg_config_bool(const vg_config_t *c, const char *key)
{
    int k = find_key(key);
    return k >= 0 && c->vals[k] && strcmp(c->vals[k], "true") == 0;
}

uint64_t vg_config_uint(const vg_config_t *c, const char *key)
{
    int k = find_key(key);
    if (k < 0 || !c->vals[k])
        return 0;
    uint64_t v = 0;
    if (keys[k].type == T_SIZE)
        vg_config_parse_size(c->vals[k], &v);
    else
        v = strtoull(c->vals[k], NULL, 10);
    return v;
}

const char *vg_config_str(const vg_config_t *c, const char *key)
{
    int k = find_key(key);
    return k >= 0 ? c->vals[k] : NULL;
}

size_t vg_config_vars(const vg_config_t *c, int kind, const char **names, const char **values,
                      size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_vars; i++) {
        if (c->vars[i].kind != kind)
            continue;
        if (n < cap) {
            names[n] = c->vars[i].name;
            values[n] = c->vars[i].value;
        }
        n++;
    }
    return n;
}

/* --- YAML: walk the document, keeping the path of mapping keys, and set each scalar. --- */

typedef struct ystate {
    vg_config_t *c;
    const char *path;
    char *err;
    size_t err_len;
} ystate_t;

static int walk(ystate_t *st, yaml_parser_t *p, char *prefix, size_t plen);

static int yerr(ystate_t *st, const yaml_event_t *ev, const char *msg, const char *detail)
{
    snprintf(st->err, st->err_len, "%s:%zu: %s%s", st->path, (size_t)ev->start_mark.line + 1, msg,
             detail ? detail : "");
    return -1;
}

/* Reads one value after a key; prefix holds the dotted path so far. */
static int walk_value(ystate_t *st, yaml_parser_t *p, yaml_event_t *ev, char *prefix, size_t plen)
{
    char msg[512];
    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        if (plen == 0)
            return yerr(st, ev, "a scalar at the top level", NULL);
        char e2[400];
        if (vg_config_set(st->c, prefix, (const char *)ev->data.scalar.value, e2, sizeof e2))
            return yerr(st, ev, e2, NULL);
        return 0;
    }
    case YAML_MAPPING_START_EVENT:
        return walk(st, p, prefix, plen);
    case YAML_SEQUENCE_START_EVENT:
        snprintf(msg, sizeof msg, "'%s': lists are not supported for this key", prefix);
        return yerr(st, ev, msg, NULL);
    default:
        return yerr(st, ev, "unexpected YAML construct", NULL);
    }
}

static int next_event(ystate_t *st, yaml_parser_t *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(p, ev)) {
        snprintf(st->err, st->err_len, "%s:%zu: YAML error: %s", st->path,
                 (size_t)p->problem_mark.line + 1, p->problem ? p->problem : "syntax error");
        return -1;
    }
    return 0;
}

/* Inside a mapping: key/value pairs until MAPPING_END. */
static int walk(ystate_t *st, yaml_parser_t *p, char *prefix, size_t plen)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(st, p, &ev))
            return -1;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return 0;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            int r = yerr(st, &ev, "expected a key", NULL);
            yaml_event_delete(&ev);
            return r;
        }
        const char *k = (const char *)ev.data.scalar.value;
        size_t klen = strlen(k);
        if (plen + klen + 2 > 512) {
            int r = yerr(st, &ev, "key path too long", NULL);
            yaml_event_delete(&ev);
            return r;
        }
        size_t nlen = plen;
        if (plen)
            prefix[nlen++] = '.';
        memcpy(prefix + nlen, k, klen + 1);
        nlen += klen;
        yaml_event_delete(&ev);
        yaml_event_t val;
        if (next_event(st, p, &val))
            return -1;
        int r = walk_value(st, p, &val, prefix, nlen);
        yaml_event_delete(&val);
        prefix[plen] = '\0';
        if (r)
            return r;
    }
}

int vg_config_load_yaml(vg_config_t *c, const char *path, char *err, size_t err_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_t p;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    ystate_t st = {c, path, err, err_len};
    char prefix[512] = "";
    int rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (next_event(&st, &p, &ev)) {
            rc = -1;
            break;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_MAPPING_START_EVENT:
            rc = walk(&st, &p, prefix, 0);
            break;
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
            break;
        default:
            rc = yerr(&st, &ev, "the configuration must be a mapping of keys", NULL);
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    fclose(f);
    return rc;
}
