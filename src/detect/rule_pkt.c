/* rule_pkt.c — packet-header keywords (ttl, dsize, flags, fragbits, itype, ...), flow,
 * flowbits, flowint, threshold/detection_filter and target.
 *
 * Packet keywords become vg_pkt_match_t rows evaluated against vg_packet_t fields; flow state
 * keywords intern their variable names to small ids so the per-flow state is a bit array.
 */
#include "detect/rule_int.h"
#include "decode/decode.h"
#include "stream/stream.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static uint64_t pm_max(int type)
{
    switch (type) {
    case VG_PM_TTL: case VG_PM_ITYPE: case VG_PM_ICODE: case VG_PM_IP_PROTO: return 255;
    case VG_PM_TCP_SEQ: case VG_PM_TCP_ACK: return UINT32_MAX;
    default: return 65535;
    }
}

int vg_kw_pkt_cmp(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    vg_cmp_t c;
    if (!vg_parse_cmp(vg_unquote(val), pm_max(kw->arg), &c))
        return VG_PC_SYNTAX(pc, "invalid %s value '%s'", kw->name, val);
    /* dsize on an app-layer rule is still the packet payload size, as in Suricata */
    vg_pc_add_pm(pc, (uint8_t)kw->arg)->cmp = c;
    return 0;
}

/* stream_size:<server|client|both|either>,<op>,<number>; op one of < > = != <= >= */
int vg_kw_stream_size(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *v = vg_unquote(val);
    char *save = NULL, *which = strtok_r(v, ",", &save), *op = strtok_r(NULL, ",", &save),
         *num = strtok_r(NULL, ",", &save);
    if (!which || !op || !num || strtok_r(NULL, ",", &save))
        return VG_PC_SYNTAX(pc, "stream_size: expected <server|client|both|either>,<op>,<number>");
    which = vg_trim(which), op = vg_trim(op), num = vg_trim(num);
    static const char *const names[] = {"server", "client", "both", "either"};
    int w = -1;
    for (int i = 0; i < 4; i++)
        if (!strcmp(which, names[i]))
            w = i;
    static const char *const ops[] = {"<", ">", "=", "!=", "<=", ">="};
    bool op_ok = false;
    for (size_t i = 0; i < VG_ARRAY_LEN(ops); i++)
        op_ok |= !strcmp(op, ops[i]);
    char expr[64];
    vg_cmp_t c;
    if (w < 0 || !op_ok || !isdigit((unsigned char)num[0]) ||
        snprintf(expr, sizeof expr, "%s%s", strcmp(op, "=") ? op : "", num) >= (int)sizeof expr ||
        !vg_parse_cmp(expr, UINT32_MAX, &c))
        return VG_PC_SYNTAX(pc, "stream_size: invalid value '%s,%s,%s'", which, op, num);
    vg_pkt_match_t *m = vg_pc_add_pm(pc, VG_PM_STREAM_SIZE);
    m->bits = (uint8_t)w;
    m->cmp = c;
    return 0;
}

int vg_kw_ip_proto(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *v = vg_trim(val);
    char prefix[3] = "";
    size_t pl = 0;
    while (pl < 2 && (v[pl] == '!' || v[pl] == '<' || v[pl] == '>'))
        pl++;
    memcpy(prefix, v, pl);
    prefix[pl] = 0;
    char *name = vg_trim(v + pl);
    char num[16];
    if (!isdigit((unsigned char)name[0])) {
        static const struct { const char *n; int p; } names[] = {
            {"icmp", 1}, {"igmp", 2}, {"ipip", 4}, {"tcp", 6}, {"udp", 17}, {"ipv6", 41},
            {"gre", 47}, {"esp", 50}, {"ah", 51}, {"ipv6-icmp", 58}, {"icmpv6", 58},
            {"ospf", 89}, {"pim", 103}, {"vrrp", 112}, {"sctp", 132},
        };
        int p = -1;
        for (size_t i = 0; i < VG_ARRAY_LEN(names); i++)
            if (strcasecmp(name, names[i].n) == 0)
                p = names[i].p;
        if (p < 0) {
            const struct protoent *pe = getprotobyname(name);
            if (!pe)
                return VG_PC_SYNTAX(pc, "ip_proto: unknown protocol '%s'", name);
            p = pe->p_proto;
        }
        snprintf(num, sizeof(num), "%s%d", prefix, p);
    } else {
        snprintf(num, sizeof(num), "%s%.10s", prefix, name);
    }
    vg_cmp_t c;
    if (!vg_parse_cmp(num, 255, &c))
        return VG_PC_SYNTAX(pc, "invalid ip_proto '%s'", val);
    vg_pc_add_pm(pc, VG_PM_IP_PROTO)->cmp = c;
    return 0;
}

static int flag_bit(char ch)
{
    switch (toupper((unsigned char)ch)) {
    case 'F': return VG_TCP_FIN;
    case 'S': return VG_TCP_SYN;
    case 'R': return VG_TCP_RST;
    case 'P': return VG_TCP_PSH;
    case 'A': return VG_TCP_ACK;
    case 'U': return VG_TCP_URG;
    case 'C': case '1': return VG_TCP_CWR;
    case 'E': case '2': return VG_TCP_ECE;
    case '0': return 0;
    default: return -1;
    }
}

/* flags:[+*!]SA[+*!][,mask] */
int vg_kw_flags(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *mask = vg_split(val, ',');
    vg_pkt_match_t pm = {.type = VG_PM_FLAGS, .bits_mode = VG_BITS_EXACT};
    bool have_mod = false;
    for (char *p = vg_trim(val); *p; p++) {
        if (*p == '+' || *p == '*' || *p == '!') {
            if (have_mod)
                return VG_PC_SYNTAX(pc, "flags: more than one modifier");
            have_mod = true;
            pm.bits_mode = *p == '+' ? VG_BITS_PLUS : *p == '*' ? VG_BITS_ANY : VG_BITS_NOT;
            continue;
        }
        int b = flag_bit(*p);
        if (b < 0)
            return VG_PC_SYNTAX(pc, "flags: invalid flag '%c'", *p);
        pm.bits |= (uint8_t)b;
    }
    if (mask) {
        for (char *p = vg_trim(mask); *p; p++) {
            int b = flag_bit(*p);
            if (b <= 0)
                return VG_PC_SYNTAX(pc, "flags: invalid mask flag '%c'", *p);
            pm.mask |= (uint8_t)b;
        }
    }
    if (!(pc->r->l4 & VG_L4_TCP))
        return VG_PC_SYNTAX(pc, "flags needs a TCP rule");
    *vg_pc_add_pm(pc, VG_PM_FLAGS) = pm;
    return 0;
}

/* fragbits:[+*!]MDR — on the IPv4 flags field (R reserved, D don't fragment, M more). */
int vg_kw_fragbits(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    vg_pkt_match_t pm = {.type = VG_PM_FRAGBITS, .bits_mode = VG_BITS_EXACT};
    bool have_mod = false;
    for (char *p = vg_trim(val); *p; p++) {
        switch (*p) {
        case '+': case '*': case '!':
            if (have_mod)
                return VG_PC_SYNTAX(pc, "fragbits: more than one modifier");
            have_mod = true;
            pm.bits_mode = *p == '+' ? VG_BITS_PLUS : *p == '*' ? VG_BITS_ANY : VG_BITS_NOT;
            break;
        case 'M': pm.bits |= 0x20; break; /* bits of the high byte of frag_off */
        case 'D': pm.bits |= 0x40; break;
        case 'R': pm.bits |= 0x80; break;
        default: return VG_PC_SYNTAX(pc, "fragbits: invalid flag '%c'", *p);
        }
    }
    if (!pm.bits)
        return VG_PC_SYNTAX(pc, "fragbits needs at least one of M, D, R");
    *vg_pc_add_pm(pc, VG_PM_FRAGBITS) = pm;
    return 0;
}

int vg_kw_sameip(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    (void)val;
    pc->r->flags |= VG_RULE_SAMEIP;
    return 0;
}

/* ftpbounce — the flow's FTP state: its last command is PORT with an address that is not the
 * client's (docs/APP_FTP.md). Makes the rule an FTP rule, as Suricata does. */
int vg_kw_ftpbounce(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    (void)val;
    if (pc->r->app_proto != VG_APP_UNKNOWN && pc->r->app_proto != VG_APP_FTP)
        return VG_PC_SYNTAX(pc, "ftpbounce in a rule for another application protocol");
    pc->r->app_proto = VG_APP_FTP;
    vg_pc_add_pm(pc, VG_PM_FTPBOUNCE);
    return 0;
}

/* app-layer-event:<proto>.<event> — the transaction being inspected had that anomaly raised by
 * the protocol's parser (Suricata's per-transaction decoder events). Makes the rule a
 * transaction rule of that protocol, as Suricata does. Only protocols that keep their events per
 * transaction (HTTP) and events their parser raises are accepted; anything else is skipped with
 * the reason, so that no rule waits for an event Vigil never raises. */
int vg_kw_app_layer_event(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *v = vg_trim(vg_unquote(vg_trim(val)));
    if (*v == '!')
        return VG_PC_SYNTAX(pc, "%s cannot be negated", kw->name);
    char *dot = strchr(v, '.');
    /* Suricata's generic, per-packet events (applayer_mismatch_protocol_both_directions, ...)
     * have no protocol part; Vigil raises none of them */
    static const char *const generic[] = {
        "applayer_mismatch_protocol_both_directions", "applayer_wrong_direction_first_data",
        "applayer_detect_protocol_only_one_direction", "applayer_proto_detection_skipped",
        "applayer_no_tls_after_starttls", "applayer_unexpected_protocol"};
    for (size_t i = 0; !dot && i < VG_ARRAY_LEN(generic); i++)
        if (!strcasecmp(v, generic[i]))
            return vg_pc_fail(pc, VG_DIAG_SKIPPED, "app-layer-event Vigil never raises",
                              "%s: '%s' is a generic application-layer event Vigil does not "
                              "raise", kw->name, v);
    if (!dot || dot == v || !dot[1])
        return VG_PC_SYNTAX(pc, "%s: '%s' is not <protocol>.<event>", kw->name, v);
    *dot = '\0';
    const char *ev = dot + 1;
    for (char *c = v; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    const vg_app_ops_t *o = vg_app_ops_by_name(v);
    if (!o || !o->events)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, "app-layer-event of a protocol without "
                          "per-transaction events", "%s: '%s.%s': Vigil keeps app-layer events "
                          "per transaction for http only", kw->name, v, ev);
    int id = vg_app_event_id(o, ev);
    if (id < 0)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, "app-layer-event Vigil's parser never raises",
                          "%s: '%s.%s' is not an event Vigil's %s parser raises", kw->name, v,
                          ev, o->name);
    if (pc->r->app_proto != VG_APP_UNKNOWN && pc->r->app_proto != o->id)
        return VG_PC_SYNTAX(pc, "%s in a rule for another application protocol", kw->name);
    pc->r->app_proto = o->id;
    vg_pkt_match_t *pm = vg_pc_add_pm(pc, VG_PM_APP_EVENT);
    pm->cmp.mode = VG_CMP_EQ;
    pm->cmp.a = (uint64_t)id;
    return 0;
}

/* decode-event and stream-event: the event named (a decoder event "<layer>.<event>", a stream
 * event "<event>"; Suricata's names, which it prefixes itself with "decoder." / "stream.", so a
 * prefixed name is unknown there and an error here) was raised on the packet. An event Vigil
 * never raises skips the rule, with the reason. Candidates only for packets with such events
 * (VG_RULE_DECODE_EV / VG_RULE_STREAM_EV). */
static int packet_event(vg_pctx_t *pc, const vg_kw_t *kw, char *val, bool stream)
{
    const char *prefix = stream ? "stream." : "decoder.";
    char *v = vg_trim(vg_unquote(vg_trim(val)));
    if (*v == '!')
        return VG_PC_SYNTAX(pc, "%s cannot be negated", kw->name);
    if (!*v)
        return VG_PC_SYNTAX(pc, "%s needs an event name", kw->name);
    for (char *c = v; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!strncmp(v, prefix, strlen(prefix)))
        return VG_PC_SYNTAX(pc, "%s: unknown event '%s' (name the event without the %s prefix)",
                            kw->name, v, prefix);
    uint16_t code = stream ? vg_stream_event_by_name(v) : vg_decode_event_by_name(v);
    if (!code)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED,
                          stream ? "stream-event Vigil's stream stage never raises"
                                 : "decode-event Vigil's decoder never raises",
                          "%s: '%s' is not an event Vigil's %s raises", kw->name, v,
                          stream ? "TCP stream stage" : "decoder (it does not decode that layer, "
                                                        "or does not check that)");
    vg_pkt_match_t *pm = vg_pc_add_pm(pc, stream ? VG_PM_STREAM_EVENT : VG_PM_DECODE_EVENT);
    pm->cmp.mode = VG_CMP_EQ;
    pm->cmp.a = code;
    pc->r->flags |= stream ? VG_RULE_STREAM_EV : VG_RULE_DECODE_EV;
    return 0;
}

int vg_kw_decode_event(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    return packet_event(pc, kw, val, false);
}

int vg_kw_stream_event(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    return packet_event(pc, kw, val, true);
}

/* ipv4-csum, tcpv4-csum, tcpv6-csum, udpv4-csum, udpv6-csum, icmpv4-csum, icmpv6-csum:
 * valid|invalid — the packet has that checksum and it is (in)valid. Quotes are an error, as in
 * Suricata 7. */
int vg_kw_csum(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *v = vg_trim(val);
    if (*v == '"')
        return VG_PC_SYNTAX(pc, "%s does not take a quoted value", kw->name);
    bool valid = strcasecmp(v, "valid") == 0;
    if (!valid && strcasecmp(v, "invalid") != 0)
        return VG_PC_SYNTAX(pc, "%s: '%s' is neither valid nor invalid", kw->name, v);
    vg_pkt_match_t *pm = vg_pc_add_pm(pc, VG_PM_CSUM);
    pm->bits = (uint8_t)kw->arg;
    pm->bits_mode = valid;
    return 0;
}

/* ftpdata_command:retr|stor — an ftp-data flow announced by that command, inspected toward the
 * client for retr and toward the server for stor (Suricata's check, whatever the data
 * direction: an active-mode STOR's data goes toward the client and never matches); makes the
 * rule an ftp-data rule, as Suricata does. */
int vg_kw_ftpdata_command(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    if (pc->r->app_proto != VG_APP_UNKNOWN && pc->r->app_proto != VG_APP_FTP_DATA)
        return VG_PC_SYNTAX(pc, "ftpdata_command in a rule for another application protocol");
    bool stor = strcmp(val, "stor") == 0;
    if (!stor && strcmp(val, "retr") != 0)
        return VG_PC_SYNTAX(pc, "ftpdata_command: '%s' is neither retr nor stor", val);
    pc->r->app_proto = VG_APP_FTP_DATA;
    vg_pc_add_pm(pc, VG_PM_FTPDATA_CMD)->bits = stor;
    return 0;
}

/* tls.version:1.2 — compared with the VG_BUF_TLS_VERSION buffer (see eval.c). */
int vg_kw_tls_version(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    static const struct { const char *s; uint16_t v; } vers[] = {
        {"1.0", 0x0301}, {"1.1", 0x0302}, {"1.2", 0x0303}, {"1.3", 0x0304},
        {"3.0", 0x0300}, {"ssl3", 0x0300}, {"sslv3", 0x0300},
    };
    char *v = vg_unquote(val);
    uint64_t num = 0;
    size_t i;
    for (i = 0; i < VG_ARRAY_LEN(vers); i++)
        if (strcasecmp(v, vers[i].s) == 0)
            break;
    if (i < VG_ARRAY_LEN(vers))
        num = vers[i].v;
    else if (!vg_parse_u64(v, &num) || num > 0xffff)
        return VG_PC_SYNTAX(pc, "tls.version: invalid version '%s'", v);
    if (pc->r->app_proto != VG_APP_TLS && pc->r->app_proto != VG_APP_UNKNOWN)
        return VG_PC_SYNTAX(pc, "tls.version in a non-TLS rule");
    pc->r->app_proto = VG_APP_TLS;
    vg_pkt_match_t *pm = vg_pc_add_pm(pc, VG_PM_TLS_VERSION);
    pm->cmp.mode = VG_CMP_EQ;
    pm->cmp.a = num;
    return 0;
}

/* ssl_version:[!]V[,[!]V...] with V one of sslv2, sslv3, tls1.0 .. tls1.3 (case-insensitive) —
 * the TLS version of the side whose direction is inspected: the client's toward the server, the
 * server's toward the client (VG_BUF_TLS_CLIENT/SERVER_VERSION). A version listed plainly
 * matches; when some are negated, every other known version matches too (`!sslv3` is any version
 * but SSLv3, `!tls1.3,tls1.2` any but 1.3). A side whose version is unknown matches nothing. */
int vg_kw_ssl_version(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    static const char *const names[] = {
        [VG_SSLV_2] = "sslv2", [VG_SSLV_3] = "sslv3", [VG_SSLV_TLS10] = "tls1.0",
        [VG_SSLV_TLS11] = "tls1.1", [VG_SSLV_TLS12] = "tls1.2", [VG_SSLV_TLS13] = "tls1.3",
    };
    uint8_t pos = 0, neg = 0;
    char *p = vg_unquote(vg_trim(val));
    while (p) {
        char *rest = vg_split(p, ',');
        char *v = vg_trim(p);
        bool n = *v == '!';
        if (n)
            v = vg_trim(v + 1);
        size_t i;
        for (i = 0; i < VG_ARRAY_LEN(names); i++)
            if (strcasecmp(v, names[i]) == 0)
                break;
        if (i == VG_ARRAY_LEN(names))
            return VG_PC_SYNTAX(pc, "%s: unknown version '%s'", kw->name, v);
        if (((pos | neg) >> i) & 1)
            return VG_PC_SYNTAX(pc, "%s: version '%s' given twice", kw->name, v);
        if (n)
            neg |= (uint8_t)(1u << i);
        else
            pos |= (uint8_t)(1u << i);
        p = rest;
    }
    if (pc->r->app_proto != VG_APP_TLS && pc->r->app_proto != VG_APP_UNKNOWN)
        return VG_PC_SYNTAX(pc, "%s in a non-TLS rule", kw->name);
    pc->r->app_proto = VG_APP_TLS;
    pc->r->flags |= VG_RULE_TX_PER_DIR;
    vg_pkt_match_t *pm = vg_pc_add_pm(pc, VG_PM_SSL_VERSION);
    pm->bits = pos;
    pm->mask = neg;
    return 0;
}

/* app-layer-protocol:[!]NAME[,MODE] — the flow's application protocol. Vigil decides one
 * protocol per flow (both directions) and detects http, dns, tls, ssh, ftp, ftp-data, smtp, smb,
 * dcerpc, krb5, ntp, dhcp, sip and telnet (the last seven recognised without a parser); `failed` is a
 * flow whose detection gave up (which, unlike in Suricata, includes the protocols Vigil has no
 * parser for). The one change is an in-band upgrade (SMTP STARTTLS to TLS): `original` compares
 * with the protocol before it (the flow's protocol when there was none), the modes final,
 * either and exact, and no mode, with the current one. to_server/to_client compare with that
 * direction's own detection (TCP: the other direction's first bytes are still probed once the
 * flow's protocol is known). Names of protocols Vigil does not detect skip the rule rather than
 * match wrongly. */
int vg_kw_app_layer_protocol(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *mode = vg_split(val, ',');
    char *v = vg_trim(vg_unquote(vg_trim(val)));
    bool neg = *v == '!';
    if (neg)
        v = vg_trim(v + 1);
    uint8_t side = 0, original = 0;
    if (mode) {
        mode = vg_trim(mode);
        if (!strcmp(mode, "to_server"))
            side = 1;
        else if (!strcmp(mode, "to_client"))
            side = 2;
        else if (!strcmp(mode, "original"))
            original = 1;
        else if (strcmp(mode, "final") && strcmp(mode, "original") && strcmp(mode, "either") &&
            strcmp(mode, "exact") && strcmp(mode, "direction"))
            return VG_PC_SYNTAX(pc, "%s: unknown mode '%s'", kw->name, mode);
    }
    /* the registered protocols by name (app_registry.c), Suricata's alias http1, and failed */
    const vg_app_ops_t *o = vg_app_ops_by_name(strcmp(v, "http1") ? v : "http");
    enum vg_app_proto id = o ? o->id : !strcmp(v, "failed") ? VG_APP_FAILED : VG_APP_UNKNOWN;
    if (id == VG_APP_UNKNOWN) {
        if (!*v)
            return VG_PC_SYNTAX(pc, "%s needs a protocol name", kw->name);
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, "app-layer-protocol of a protocol not detected",
                          "%s: '%s' is not a protocol Vigil detects", kw->name, v);
    }
    vg_pkt_match_t *pm = vg_pc_add_pm(pc, VG_PM_APP_PROTO);
    pm->cmp.mode = VG_CMP_EQ;
    pm->cmp.a = id;
    pm->bits_mode = neg;
    pm->mask = side;
    pm->bits = original;
    return 0;
}

int vg_kw_flow(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    static const struct { const char *s; uint8_t bit; } opts[] = {
        {"established", VG_RFLOW_ESTABLISHED}, {"not_established", VG_RFLOW_NOT_ESTABLISHED},
        {"stateless", VG_RFLOW_STATELESS}, {"to_server", VG_RFLOW_TOSERVER},
        {"from_client", VG_RFLOW_TOSERVER}, {"to_client", VG_RFLOW_TOCLIENT},
        {"from_server", VG_RFLOW_TOCLIENT}, {"only_stream", VG_RFLOW_ONLY_STREAM},
        {"no_stream", VG_RFLOW_NO_STREAM},
    };
    char *p = val;
    while (p) {
        char *rest = vg_split(p, ',');
        char *o = vg_trim(p);
        size_t i;
        for (i = 0; i < VG_ARRAY_LEN(opts); i++)
            if (strcmp(o, opts[i].s) == 0)
                break;
        if (i == VG_ARRAY_LEN(opts)) {
            if (strcmp(o, "only_frag") == 0 || strcmp(o, "no_frag") == 0)
                return vg_pc_fail(pc, VG_DIAG_SKIPPED, "unsupported flow option only_frag/no_frag",
                                  "flow:%s is not implemented", o);
            return VG_PC_SYNTAX(pc, "flow: unknown option '%s'", o);
        }
        if (pc->r->flow & opts[i].bit)
            return VG_PC_SYNTAX(pc, "flow: option '%s' given twice", o);
        pc->r->flow |= opts[i].bit;
        p = rest;
    }
    uint8_t f = pc->r->flow;
    if ((f & VG_RFLOW_TOSERVER) && (f & VG_RFLOW_TOCLIENT))
        return VG_PC_SYNTAX(pc, "flow: to_server and to_client exclude each other");
    if ((f & VG_RFLOW_ESTABLISHED) && (f & (VG_RFLOW_NOT_ESTABLISHED | VG_RFLOW_STATELESS)))
        return VG_PC_SYNTAX(pc, "flow: established conflicts with not_established/stateless");
    if ((f & VG_RFLOW_ONLY_STREAM) && (f & VG_RFLOW_NO_STREAM))
        return VG_PC_SYNTAX(pc, "flow: only_stream and no_stream exclude each other");
    return 0;
}

static bool valid_var_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (isspace((unsigned char)*s) || *s == ',' || *s == ';')
            return false;
    return true;
}

/* A flowbits/xbits command word: VG_FB_*, -1 when unknown. */
static int bit_cmd(const char *s)
{
    static const struct { const char *s; uint8_t c; } cmds[] = {
        {"set", VG_FB_SET}, {"unset", VG_FB_UNSET}, {"toggle", VG_FB_TOGGLE},
        {"isset", VG_FB_ISSET}, {"isnotset", VG_FB_ISNOTSET},
    };
    for (size_t i = 0; i < VG_ARRAY_LEN(cmds); i++)
        if (strcmp(s, cmds[i].s) == 0)
            return cmds[i].c;
    return -1;
}

int vg_kw_flowbits(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *name = vg_split(val, ',');
    char *cmd = vg_trim(val);
    if (strcmp(cmd, "noalert") == 0) {
        if (name)
            return VG_PC_SYNTAX(pc, "flowbits:noalert takes no name");
        pc->r->flags |= VG_RULE_NOALERT;
        return 0;
    }
    int c = bit_cmd(cmd);
    if (c < 0)
        return VG_PC_SYNTAX(pc, "flowbits: unknown command '%s'", cmd);
    if (!name || !*vg_trim(name))
        return VG_PC_SYNTAX(pc, "flowbits:%s needs a name", cmd);
    name = vg_trim(name);
    bool cond = c == VG_FB_ISSET || c == VG_FB_ISNOTSET;
    uint32_t ids[16];
    uint8_t n = 0;
    char *p = name;
    while (p) {
        char *rest = NULL;
        char *bar = strchr(p, '|');
        if (bar) {
            if (!cond)
                return VG_PC_SYNTAX(pc, "flowbits:%s takes a single name", cmd);
            *bar = 0;
            rest = bar + 1;
        }
        char *nm = vg_trim(p);
        if (strchr(nm, '&'))
            return vg_pc_fail(pc, VG_DIAG_SKIPPED, "unsupported flowbits '&' (AND) group", "flowbits %s with an '&' group is not implemented", cmd);
        if (!valid_var_name(nm) || n == 16)
            return VG_PC_SYNTAX(pc, "flowbits: invalid name '%s'", nm);
        ids[n++] = vg_rs_flowbit_id(pc->rs, nm, strlen(nm));
        p = rest;
    }
    vg_pscratch_t *s = pc->s;
    if (s->n_fb == s->cap_fb) {
        s->cap_fb = s->cap_fb ? s->cap_fb * 2 : 4;
        s->fb = vg_xrealloc(s->fb, s->cap_fb * sizeof(*s->fb));
    }
    vg_flowbit_t *fb = &s->fb[s->n_fb++];
    fb->cmd = (uint8_t)c;
    fb->n = n;
    fb->ids = vg_arena_dup(&pc->rs->arena, ids, n * sizeof(*ids));
    return 0;
}

/* xbits:CMD,NAME,track ip_src|ip_dst|ip_pair[,expire SECONDS] and xbits:noalert, as
 * Suricata 7 reads them: the track is required, the expiry defaults to 30 s and must be above
 * 0; set/unset/toggle act after the whole rule matched, isset/isnotset are conditions. */
int vg_kw_xbits(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *parts[4] = {0};
    unsigned np = 0;
    for (char *p = val; p && np < 4;) {
        char *rest = vg_split(p, ',');
        parts[np++] = vg_trim(p);
        p = rest;
        if (p && np == 4)
            return VG_PC_SYNTAX(pc, "xbits: too many parts (CMD,NAME,track T[,expire S])");
    }
    const char *cmd = parts[0] ? parts[0] : "";
    if (strcmp(cmd, "noalert") == 0) {
        if (np > 1)
            return VG_PC_SYNTAX(pc, "xbits:noalert takes nothing else");
        pc->r->flags |= VG_RULE_NOALERT;
        return 0;
    }
    int c = bit_cmd(cmd);
    if (c < 0)
        return VG_PC_SYNTAX(pc, "xbits: unknown command '%s'", cmd);
    if (np < 2 || !valid_var_name(parts[1]) || strlen(parts[1]) > 255)
        return VG_PC_SYNTAX(pc, "xbits:%s needs a name", cmd);
    if (np < 3 || strncmp(parts[2], "track", 5) != 0 || !isspace((unsigned char)parts[2][5]))
        return VG_PC_SYNTAX(pc, "xbits:%s,%s needs 'track ip_src|ip_dst|ip_pair'", cmd, parts[1]);
    const char *tr = vg_trim(parts[2] + 5);
    uint8_t track;
    if (strcmp(tr, "ip_src") == 0)
        track = VG_XB_IPSRC;
    else if (strcmp(tr, "ip_dst") == 0)
        track = VG_XB_IPDST;
    else if (strcmp(tr, "ip_pair") == 0)
        track = VG_XB_IPPAIR;
    else
        return VG_PC_SYNTAX(pc, "xbits: unknown track '%s' (ip_src, ip_dst or ip_pair)", tr);
    uint32_t expire = 30;
    if (np == 4) {
        if (strncmp(parts[3], "expire", 6) != 0 || !isspace((unsigned char)parts[3][6]))
            return VG_PC_SYNTAX(pc, "xbits: expected 'expire SECONDS', got '%s'", parts[3]);
        const char *e = vg_trim(parts[3] + 6);
        char *end;
        errno = 0;
        unsigned long v = strtoul(e, &end, 10);
        if (!isdigit((unsigned char)*e) || *end || errno || v == 0 || v > UINT32_MAX)
            return VG_PC_SYNTAX(pc, "xbits: expire must be a number of seconds above 0, got '%s'",
                                e);
        expire = (uint32_t)v;
    }
    vg_pscratch_t *s = pc->s;
    if (s->n_xb == s->cap_xb) {
        s->cap_xb = s->cap_xb ? s->cap_xb * 2 : 4;
        s->xb = vg_xrealloc(s->xb, s->cap_xb * sizeof(*s->xb));
    }
    vg_xbit_t *xb = &s->xb[s->n_xb++];
    xb->cmd = (uint8_t)c;
    xb->track = track;
    xb->id = vg_rs_xbit_id(pc->rs, track == VG_XB_IPPAIR, parts[1], strlen(parts[1]));
    xb->expire = expire;
    return 0;
}

int vg_kw_noalert(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    (void)val;
    pc->r->flags |= VG_RULE_NOALERT;
    return 0;
}

int vg_kw_flowint(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *a[3] = {val, NULL, NULL};
    a[1] = vg_split(a[0], ',');
    if (a[1])
        a[2] = vg_split(a[1], ',');
    for (int i = 0; i < 3; i++)
        if (a[i])
            a[i] = vg_trim(a[i]);
    if (!a[1])
        return VG_PC_SYNTAX(pc, "flowint needs name, operator[, value]");
    static const struct { const char *s; uint8_t op; bool needs_val; } ops[] = {
        {"+", VG_FI_ADD, true}, {"-", VG_FI_SUB, true}, {"=", VG_FI_SET, true},
        {"==", VG_FI_EQ, true}, {"!=", VG_FI_NE, true}, {"<", VG_FI_LT, true},
        {">", VG_FI_GT, true}, {"<=", VG_FI_LE, true}, {">=", VG_FI_GE, true},
        {"isset", VG_FI_ISSET, false}, {"notset", VG_FI_NOTSET, false},
        {"isnotset", VG_FI_NOTSET, false},
    };
    size_t i;
    for (i = 0; i < VG_ARRAY_LEN(ops); i++)
        if (strcmp(a[1], ops[i].s) == 0)
            break;
    if (i == VG_ARRAY_LEN(ops))
        return VG_PC_SYNTAX(pc, "flowint: invalid operator '%s'", a[1]);
    if (ops[i].needs_val != (a[2] != NULL) || !valid_var_name(a[0]))
        return VG_PC_SYNTAX(pc, "flowint: invalid arguments");
    vg_flowint_t fi = {.op = ops[i].op, .id = vg_rs_flowint_id(pc->rs, a[0], strlen(a[0]))};
    if (a[2]) {
        uint64_t u;
        if (vg_parse_u64(a[2], &u) && u <= UINT32_MAX) {
            fi.value = (uint32_t)u;
        } else if (valid_var_name(a[2]) && !isdigit((unsigned char)a[2][0])) {
            fi.value_is_var = true;
            fi.value = vg_rs_flowint_id(pc->rs, a[2], strlen(a[2]));
        } else {
            return VG_PC_SYNTAX(pc, "flowint: invalid value '%s'", a[2]);
        }
    }
    vg_pscratch_t *s = pc->s;
    if (s->n_fi == s->cap_fi) {
        s->cap_fi = s->cap_fi ? s->cap_fi * 2 : 4;
        s->fi = vg_xrealloc(s->fi, s->cap_fi * sizeof(*s->fi));
    }
    s->fi[s->n_fi++] = fi;
    return 0;
}

/* threshold: type limit|threshold|both, track by_src|by_dst|by_rule|by_both, count N, seconds M
 * detection_filter: track by_src|by_dst|by_rule|by_both, count N, seconds M */
int vg_kw_threshold(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    bool df = kw->arg == 1;
    if (pc->r->threshold.type != VG_THR_NONE)
        return VG_PC_SYNTAX(pc, "only one threshold or detection_filter per rule");
    vg_threshold_t t = {.type = df ? VG_THR_DETECTION : VG_THR_NONE, .track = 255};
    bool have_count = false, have_secs = false;
    char *p = val;
    while (p) {
        char *rest = vg_split(p, ',');
        char *k = vg_trim(p), *v = k;
        while (*v && !isspace((unsigned char)*v))
            v++;
        if (*v)
            *v++ = 0;
        v = vg_trim(v);
        uint64_t u;
        if (strcmp(k, "type") == 0 && !df) {
            if (strcmp(v, "limit") == 0) t.type = VG_THR_LIMIT;
            else if (strcmp(v, "threshold") == 0) t.type = VG_THR_THRESHOLD;
            else if (strcmp(v, "both") == 0) t.type = VG_THR_BOTH;
            else if (strcmp(v, "backoff") == 0) t.type = VG_THR_BACKOFF;
            else return VG_PC_SYNTAX(pc, "%s: invalid type '%s'", kw->name, v);
        } else if (strcmp(k, "track") == 0) {
            if (strcmp(v, "by_src") == 0) t.track = VG_TRACK_SRC;
            else if (strcmp(v, "by_dst") == 0) t.track = VG_TRACK_DST;
            else if (strcmp(v, "by_rule") == 0) t.track = VG_TRACK_RULE;
            else if (strcmp(v, "by_both") == 0) t.track = VG_TRACK_BOTH;
            else if (strcmp(v, "by_flow") == 0) t.track = VG_TRACK_FLOW;
            else return VG_PC_SYNTAX(pc, "%s: invalid track '%s'", kw->name, v);
        } else if (strcmp(k, "count") == 0 && vg_parse_u64(v, &u) && u <= UINT32_MAX) {
            t.count = (uint32_t)u;
            have_count = true;
        } else if (strcmp(k, "seconds") == 0 && vg_parse_u64(v, &u) && u <= UINT32_MAX) {
            t.seconds = (uint32_t)u;
            have_secs = true;
        } else if (strcmp(k, "multiplier") == 0 && !df && vg_parse_u64(v, &u) && u >= 1 &&
                   u <= UINT32_MAX) {
            t.multiplier = (uint32_t)u;
        } else if (strcmp(k, "unique_on") == 0 && df) {
            if (strcmp(v, "src_port") == 0) t.unique_on = VG_UNIQUE_SRC_PORT;
            else if (strcmp(v, "dst_port") == 0) t.unique_on = VG_UNIQUE_DST_PORT;
            else return VG_PC_SYNTAX(pc, "%s: unique_on must be src_port or dst_port", kw->name);
        } else {
            return VG_PC_SYNTAX(pc, "%s: invalid option '%s'", kw->name, k);
        }
        p = rest;
    }
    if (t.type == VG_THR_BACKOFF) {
        /* Suricata 8: no window; alerts at the count-th match, then count*multiplier, ... */
        if (t.track == 255 || !have_count || t.count == 0 || t.multiplier < 2 || have_secs)
            return VG_PC_SYNTAX(pc, "%s type backoff needs track, count and a multiplier "
                                "of at least 2 (and no seconds)", kw->name);
    } else if (t.multiplier) {
        return VG_PC_SYNTAX(pc, "%s: multiplier only goes with type backoff", kw->name);
    } else if (t.type == VG_THR_NONE || t.track == 255 || !have_count || !have_secs ||
               t.count == 0) {
        return VG_PC_SYNTAX(pc, "%s needs %strack, count and seconds", kw->name,
                            df ? "" : "type, ");
    }
    if (t.unique_on && t.track == VG_TRACK_FLOW)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, "detection_filter unique_on by_flow",
                          "%s unique_on with track by_flow is not implemented", kw->name);
    pc->r->threshold = t;
    return 0;
}

/* tag:session[,COUNT,packets|seconds|bytes] — log the flow's next packets after the alert as
 * EVE "packet" events (default 256 packets). tag:host[,COUNT,METRIC[,src|dst]] — the same for
 * every packet of the alerting packet's destination (default) or source host, across flows
 * (src/engine/host_tags.c); packet counts above 256 are 256, as in Suricata. */
int vg_kw_tag(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *rest = vg_split(val, ',');
    char *scope = vg_trim(val);
    bool host = !strcmp(scope, "host");
    if (!host && strcmp(scope, "session"))
        return VG_PC_SYNTAX(pc, "%s: scope must be session or host", kw->name);
    uint64_t count = 256;
    uint8_t metric = VG_TAG_PACKETS;
    int side = 1; /* host: the destination unless src is given */
    if (rest) {
        char *m = vg_split(rest, ',');
        char *c = vg_trim(rest);
        if (!m || !vg_parse_u64(c, &count) || count == 0 || count > UINT32_MAX)
            return VG_PC_SYNTAX(pc, "%s: expected session,COUNT,METRIC", kw->name);
        char *extra = vg_split(m, ',');
        m = vg_trim(m);
        if (extra && !host)
            return VG_PC_SYNTAX(pc, "%s: a direction only goes with host", kw->name);
        if (extra) {
            extra = vg_trim(extra);
            if (!strcmp(extra, "src"))
                side = 0;
            else if (strcmp(extra, "dst"))
                return VG_PC_SYNTAX(pc, "%s: direction must be src or dst", kw->name);
        }
        if (!strcmp(m, "packets")) metric = VG_TAG_PACKETS;
        else if (!strcmp(m, "seconds")) metric = VG_TAG_SECONDS;
        else if (!strcmp(m, "bytes")) metric = VG_TAG_BYTES;
        else return VG_PC_SYNTAX(pc, "%s: metric must be packets, seconds or bytes", kw->name);
    }
    if (host) {
        if (metric == VG_TAG_PACKETS && count > 256)
            count = 256;
        pc->r->host_tag[side].metric = metric;
        pc->r->host_tag[side].count = (uint32_t)count;
        return 0;
    }
    /* several session tags: the one that tags most (compared within one metric) */
    if (pc->r->tag_metric == VG_TAG_NONE || (pc->r->tag_metric == metric && count > pc->r->tag_count)) {
        pc->r->tag_metric = metric;
        pc->r->tag_count = (uint32_t)count;
    }
    return 0;
}

int vg_kw_target(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    if (strcmp(val, "src_ip") == 0)
        pc->r->flags |= VG_RULE_TARGET_SRC;
    else if (strcmp(val, "dest_ip") == 0)
        pc->r->flags |= VG_RULE_TARGET_DST;
    else
        return VG_PC_SYNTAX(pc, "target must be src_ip or dest_ip");
    return 0;
}
