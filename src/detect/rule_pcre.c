/* rule_pcre.c — pcre:"/regex/flags" compiled with PCRE2 (JIT when available).
 *
 * Suricata's flag letters map either to a PCRE2 option, to matching behaviour (R relative), or
 * to the buffer the regex inspects (U, I, P, Q, H, D, M, C, S, Y, V, W, Z). B is accepted as
 * Suricata accepts it (no effect). O (use the library's default match limits) is accepted, but
 * Vigil keeps its own limits: a pathological regex must never stall a worker.
 * Captures into flow variables: a group named flow_NAME, or the list after the flags
 * (`"/(a)(b)/flags, flow:x,flow:y"`: group 1 into x, group 2 into y), stores what the group
 * matched into the flow variable NAME when the whole rule matches (Suricata's pcre flowvars).
 * Captures into packet or alert variables (pkt_NAME, alert_NAME) are not implemented: such
 * rules are skipped.
 */

#include "detect/rule_int.h"

#include <pcre2.h>
#include <stdio.h>
#include <string.h>

static int flag_buffer(char f)
{
    switch (f) {
    case 'U': return VG_BUF_HTTP_URI;
    case 'I': return VG_BUF_HTTP_URI_RAW;
    case 'P': return VG_BUF_HTTP_REQUEST_BODY;
    case 'Q': return VG_PBUF_FILE_DATA;
    case 'H': return VG_BUF_HTTP_HEADER;
    case 'D': return VG_BUF_HTTP_HEADER_RAW;
    case 'M': return VG_BUF_HTTP_METHOD;
    case 'C': return VG_BUF_HTTP_COOKIE;
    case 'S': return VG_BUF_HTTP_STAT_CODE;
    case 'Y': return VG_BUF_HTTP_STAT_MSG;
    case 'V': return VG_BUF_HTTP_USER_AGENT;
    case 'W': return VG_BUF_HTTP_HOST;
    case 'Z': return VG_BUF_HTTP_HOST_RAW;
    default: return -1;
    }
}

/* The groups that capture into variables: groups named flow_NAME, then the `flow:NAME` list
 * (item i is group i+1). Other variable kinds skip the rule. */
static int pcre_captures(vg_pctx_t *pc, pcre2_code *code, const char *list, const char *list_end,
                         vg_pcre_t *out)
{
    vg_pcre_cap_t caps[32];
    uint32_t n = 0, groups = 0, count = 0, esize = 0;
    PCRE2_SPTR table = NULL;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &groups);
    pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &count);
    pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
    pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
    for (uint32_t i = 0; i < count; i++) {
        PCRE2_SPTR e = table + (size_t)i * esize;
        uint32_t g = (uint32_t)e[0] << 8 | e[1];
        const char *name = (const char *)e + 2;
        if (strncmp(name, "pkt_", 4) == 0 || strncmp(name, "alert_", 6) == 0)
            return vg_pc_fail(pc, VG_DIAG_SKIPPED,
                              "unsupported: pcre capture into packet/alert variables",
                              "pcre capture into '%s': packet and alert variables are not "
                              "implemented", name);
        if (strncmp(name, "flow_", 5) != 0 || !name[5] || n == VG_ARRAY_LEN(caps))
            continue;
        caps[n].group = g;
        caps[n++].name = vg_rs_intern(pc->rs, name + 5, strlen(name + 5));
    }
    uint32_t g = 1;
    while (list && list < list_end) {
        const char *next = memchr(list, ',', (size_t)(list_end - list));
        size_t len = next ? (size_t)(next - list) : (size_t)(list_end - list);
        while (len && (*list == ' ' || *list == '\t'))
            list++, len--;
        while (len && (list[len - 1] == ' ' || list[len - 1] == '\t'))
            len--;
        if (len > 5 && strncmp(list, "flow:", 5) == 0) {
            if (g > groups)
                return VG_PC_SYNTAX(pc, "pcre: more capture variables than groups");
            if (n < VG_ARRAY_LEN(caps)) {
                caps[n].group = g;
                caps[n++].name = vg_rs_intern(pc->rs, list + 5, len - 5);
            }
        } else if ((len > 4 && strncmp(list, "pkt:", 4) == 0) ||
                   (len > 6 && strncmp(list, "alert:", 6) == 0)) {
            return vg_pc_fail(pc, VG_DIAG_SKIPPED,
                              "unsupported: pcre capture into packet/alert variables",
                              "pcre capture into '%.*s': packet and alert variables are not "
                              "implemented", (int)len, list);
        } else {
            return VG_PC_SYNTAX(pc, "pcre: bad capture variable '%.*s'", (int)len, list);
        }
        g++;
        list = next ? next + 1 : NULL;
    }
    if (n) {
        out->caps = vg_arena_dup(&pc->rs->arena, caps, n * sizeof(*caps));
        out->n_caps = n;
        pc->r->flags |= VG_RULE_CAPTURES;
        pc->rs->n_capture_rules++;
    }
    return 0;
}

int vg_pcre_compile_rule(vg_pctx_t *pc, const char *src, vg_pcre_t *out, int *buf_out)
{
    const char *p = src;
    memset(out, 0, sizeof(*out));
    *buf_out = -1;
    if (*p == '!') {
        out->flags |= VG_PCRE_NEGATED;
        p++;
    }
    size_t n = strlen(p);
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        p++;
        n -= 2;
    }
    if (n < 2 || p[0] != '/')
        return VG_PC_SYNTAX(pc, "pcre must look like \"/regex/flags\"");
    /* "/regex/flags, flow:NAME,...": the capture list follows the first comma after the
     * flags (names never contain '/') */
    const char *list = NULL;
    const char *end = NULL;
    for (size_t i = n; i-- > 1;)
        if (p[i] == '/') {
            end = p + i;
            break;
        }
    if (!end)
        return VG_PC_SYNTAX(pc, "pcre regex is not terminated by '/'");
    const char *flags_end = memchr(end, ',', (size_t)(p + n - end));
    if (flags_end)
        list = flags_end + 1;
    else
        flags_end = p + n;
    uint32_t opts = 0;
    for (const char *f = end + 1; f < flags_end; f++) {
        int b;
        switch (*f) {
        case 'i': opts |= PCRE2_CASELESS; break;
        case 's': opts |= PCRE2_DOTALL; break;
        case 'm': opts |= PCRE2_MULTILINE; break;
        case 'x': opts |= PCRE2_EXTENDED; break;
        case 'A': opts |= PCRE2_ANCHORED; break;
        case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
        case 'G': opts |= PCRE2_UNGREEDY; break;
        case 'R': out->flags |= VG_PCRE_RELATIVE; break;
        case 'B': case 'O': case ' ': break;
        default:
            b = flag_buffer(*f);
            if (b < 0)
                return vg_pc_fail(pc, VG_DIAG_FAILED, "unknown pcre modifier",
                                  "unknown pcre modifier '%c'", *f);
            if (*buf_out >= 0 && *buf_out != b)
                return VG_PC_SYNTAX(pc, "pcre has two buffer modifiers");
            *buf_out = b;
        }
    }
    size_t re_len = (size_t)(end - p) - 1;
    const char *re = p + 1;
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, re_len, opts, &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        return vg_pc_fail(pc, VG_DIAG_FAILED, "pcre does not compile",
                          "pcre compile error at offset %zu: %s", (size_t)erroff, (char *)msg);
    }
    vg_rs_add_pcre(pc->rs, code); /* freed with the ruleset from here on */
    if (pcre_captures(pc, code, list, p + n, out) != 0)
        return -1;
    if (pc->rs->pcre_jit)
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    out->code = code;
    out->opts = opts;
    out->source = vg_arena_strndup(&pc->rs->arena, src, strlen(src));
    return 0;
}

int vg_kw_pcre(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    vg_pcre_t pcre;
    int buf;
    if (vg_pcre_compile_rule(pc, val, &pcre, &buf) != 0)
        return -1;
    int list = vg_pc_target_list(pc, pcre.flags & VG_PCRE_RELATIVE, buf);
    if (list < 0)
        return -1;
    vg_sm_t *sm = vg_pc_add_sm(pc, list, VG_SM_PCRE);
    sm->u.pcre = pcre;
    return 0;
}
