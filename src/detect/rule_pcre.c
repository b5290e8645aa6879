/* rule_pcre.c — pcre:"/regex/flags" compiled with PCRE2 (JIT when available).
 *
 * Suricata's flag letters map either to a PCRE2 option, to matching behaviour (R relative), or
 * to the buffer the regex inspects (U, I, P, Q, H, D, M, C, S, Y, V, W, Z). B is accepted as
 * Suricata accepts it (no effect). O (use the library's default match limits) is accepted, but
 * Vigil keeps its own limits: a pathological regex must never stall a worker.
 * Named captures into flow/packet variables (?P<flow_x>...) are not implemented: such rules are
 * skipped.
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
    const char *end = NULL;
    for (size_t i = n; i-- > 1;)
        if (p[i] == '/') {
            end = p + i;
            break;
        }
    if (!end)
        return VG_PC_SYNTAX(pc, "pcre regex is not terminated by '/'");
    uint32_t opts = 0;
    for (const char *f = end + 1; f < p + n; f++) {
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
        case 'B': case 'O': break;
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
    /* Suricata's special named groups capture into variables: not implemented. */
    for (size_t i = 0; i + 8 < re_len; i++) {
        if (re[i] == '(' && re[i + 1] == '?' &&
            (strncmp(re + i + 2, "P<flow_", 7) == 0 || strncmp(re + i + 2, "P<pkt_", 6) == 0 ||
             strncmp(re + i + 2, "<flow_", 6) == 0 || strncmp(re + i + 2, "<pkt_", 5) == 0))
            return vg_pc_fail(pc, VG_DIAG_SKIPPED,
                              "unsupported: pcre capture into flow/packet variables",
                              "pcre named capture into a variable is not implemented");
    }
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)re, re_len, opts, &errcode, &erroff, NULL);
    if (!code) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        return vg_pc_fail(pc, VG_DIAG_FAILED, "pcre does not compile",
                          "pcre compile error at offset %zu: %s", (size_t)erroff, (char *)msg);
    }
    if (pc->rs->pcre_jit)
        (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    vg_rs_add_pcre(pc->rs, code);
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
