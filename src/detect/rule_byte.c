/* rule_byte.c — byte_test, byte_jump, byte_extract, byte_math, isdataat, bsize, urilen.
 *
 * Argument syntax and limits follow Suricata: binary extraction takes 1..8 bytes, string
 * extraction 1..23; a base (hex/dec/oct) needs `string`; offsets lie in [-65535, 65535];
 * byte_extract / byte_math define variables (at most VG_MAX_BYTE_VARS per rule) that later
 * keywords may use in place of a number.
 */
#include "detect/rule_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_ARGS 16

static int split_args(char *val, char **args)
{
    int n = 0;
    char *p = val;
    while (p && n < MAX_ARGS) {
        char *rest = vg_split(p, ',');
        args[n++] = vg_trim(p);
        p = rest;
    }
    return p ? -1 : n;
}

static int add_var(vg_pctx_t *pc, const char *name)
{
    if (!isalpha((unsigned char)name[0]) && name[0] != '_')
        return VG_PC_SYNTAX(pc, "invalid variable name '%s'", name);
    if (vg_pc_byte_var(pc, name) >= 0)
        return VG_PC_SYNTAX(pc, "variable '%s' defined twice", name);
    if (pc->n_byte_vars == VG_MAX_BYTE_VARS || strlen(name) >= sizeof(pc->byte_vars[0]))
        return VG_PC_SYNTAX(pc, "too many byte_extract/byte_math variables");
    snprintf(pc->byte_vars[pc->n_byte_vars], sizeof(pc->byte_vars[0]), "%s", name);
    return pc->n_byte_vars++;
}

/* a number (int range) or a variable: *is_var tells which */
static int int_or_var(vg_pctx_t *pc, const char *what, const char *s, int64_t lo, int64_t hi,
                      int64_t *out, bool *is_var)
{
    *is_var = false;
    if (vg_parse_i64(s, out)) {
        if (*out < lo || *out > hi)
            return VG_PC_SYNTAX(pc, "%s %s out of range", what, s);
        return 0;
    }
    int slot = vg_pc_byte_var(pc, s);
    if (slot < 0)
        return VG_PC_SYNTAX(pc, "%s '%s' is neither a number nor a known variable", what, s);
    *is_var = true;
    *out = slot;
    return 0;
}

static int parse_bitmask(vg_pctx_t *pc, const char *s, vg_byte_t *b)
{
    uint64_t m;
    if (!vg_parse_u64(s, &m) || m == 0 || m > 0xffffffffu)
        return VG_PC_SYNTAX(pc, "invalid bitmask '%s'", s);
    b->flags |= VG_BYTE_BITMASK;
    b->bitmask = (uint32_t)m;
    uint8_t sh = 0;
    while (!((m >> sh) & 1))
        sh++;
    b->bitmask_shift = sh;
    return 0;
}

/* Common flags; returns 1 when handled, 0 when not a common flag, -1 on error. */
static int common_flag(vg_pctx_t *pc, char *a, vg_byte_t *b, bool *base_set)
{
    if (strcmp(a, "relative") == 0) { b->flags |= VG_BYTE_RELATIVE; return 1; }
    if (strcmp(a, "big") == 0) { b->flags &= ~(uint32_t)VG_BYTE_LITTLE; return 1; }
    if (strcmp(a, "little") == 0) { b->flags |= VG_BYTE_LITTLE; return 1; }
    if (strcmp(a, "dce") == 0)
        return vg_pc_fail(pc, VG_DIAG_SKIPPED, "unsupported: byte keyword with dce (no DCERPC "
                          "parser)", "dce endianness needs the DCERPC parser");
    if (strncmp(a, "string", 6) == 0) {
        b->flags |= VG_BYTE_STRING;
        char *rest = vg_trim(a + 6);
        if (!*rest)
            return 1;
        a = rest;
    }
    if (strcmp(a, "hex") == 0) { b->base = 16; *base_set = true; return 1; }
    if (strcmp(a, "dec") == 0) { b->base = 10; *base_set = true; return 1; }
    if (strcmp(a, "oct") == 0) { b->base = 8; *base_set = true; return 1; }
    if (strncmp(a, "bitmask", 7) == 0 && isspace((unsigned char)a[7]))
        return parse_bitmask(pc, vg_trim(a + 8), b) == 0 ? 1 : -1;
    return 0;
}

static int check_nbytes(vg_pctx_t *pc, const char *kw, vg_byte_t *b, bool base_set)
{
    if (base_set && !(b->flags & VG_BYTE_STRING))
        return VG_PC_SYNTAX(pc, "%s: a base needs 'string'", kw);
    if (b->flags & VG_BYTE_STRING) {
        if (!b->base)
            b->base = 10;
        /* 0 = as many digits as the buffer holds (Suricata's string extraction) */
        if (!(b->flags & VG_BYTE_NBYTES_VAR) && b->nbytes > 23)
            return VG_PC_SYNTAX(pc, "%s: string extraction takes 0 to 23 bytes", kw);
    } else if (!(b->flags & VG_BYTE_NBYTES_VAR) && b->nbytes > 8) {
        return VG_PC_SYNTAX(pc, "%s: binary extraction takes 0 to 8 bytes", kw);
    }
    return 0;
}

static int parse_nbytes(vg_pctx_t *pc, const char *kw, const char *s, vg_byte_t *b)
{
    int64_t v;
    bool var;
    if (int_or_var(pc, kw, s, 0, 23, &v, &var) != 0)
        return -1;
    b->nbytes = (uint8_t)v;
    if (var)
        b->flags |= VG_BYTE_NBYTES_VAR;
    return 0;
}

static int parse_offset(vg_pctx_t *pc, const char *kw, const char *s, vg_byte_t *b)
{
    int64_t v;
    bool var;
    if (int_or_var(pc, kw, s, -65535, 65535, &v, &var) != 0)
        return -1;
    b->offset = (int32_t)v;
    if (var)
        b->flags |= VG_BYTE_OFFSET_VAR;
    return 0;
}

static int add_byte_sm(vg_pctx_t *pc, uint8_t type, const vg_byte_t *b)
{
    int list = vg_pc_target_list(pc, b->flags & VG_BYTE_RELATIVE, -1);
    if (list < 0)
        return -1;
    vg_sm_t *sm = vg_pc_add_sm(pc, list, type);
    sm->u.byte = *b;
    return 0;
}

int vg_kw_byte_test(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *a[MAX_ARGS];
    int n = split_args(val, a);
    if (n < 4)
        return VG_PC_SYNTAX(pc, "byte_test needs nbytes, operator, value, offset");
    vg_byte_t b = {0};
    b.multiplier = 1;
    if (parse_nbytes(pc, kw->name, a[0], &b) != 0)
        return -1;
    char *op = a[1];
    if (op[0] == '!') {
        b.flags |= VG_BYTE_NEGOP;
        op = vg_trim(op + 1);
        if (op[0] == '=' || op[0] == 0)
            op = (char *)"=";
    }
    static const struct { const char *s; uint8_t op; } ops[] = {
        {"<", VG_BOP_LT}, {">", VG_BOP_GT}, {"=", VG_BOP_EQ}, {"&", VG_BOP_AND},
        {"^", VG_BOP_XOR}, {">=", VG_BOP_GE}, {"<=", VG_BOP_LE},
    };
    size_t i;
    for (i = 0; i < VG_ARRAY_LEN(ops); i++)
        if (strcmp(op, ops[i].s) == 0)
            break;
    if (i == VG_ARRAY_LEN(ops))
        return VG_PC_SYNTAX(pc, "byte_test: invalid operator '%s'", a[1]);
    b.op = ops[i].op;
    uint64_t v;
    if (vg_parse_u64(a[2], &v)) {
        b.value = v;
    } else {
        int slot = vg_pc_byte_var(pc, a[2]);
        if (slot < 0)
            return VG_PC_SYNTAX(pc, "byte_test: invalid value '%s'", a[2]);
        b.value = (uint64_t)slot;
        b.flags |= VG_BYTE_VALUE_VAR;
    }
    if (parse_offset(pc, kw->name, a[3], &b) != 0)
        return -1;
    bool base_set = false;
    for (int k = 4; k < n; k++) {
        int r = common_flag(pc, a[k], &b, &base_set);
        if (r < 0)
            return -1;
        if (r == 0)
            return VG_PC_SYNTAX(pc, "byte_test: unknown option '%s'", a[k]);
    }
    if (check_nbytes(pc, kw->name, &b, base_set) != 0)
        return -1;
    return add_byte_sm(pc, VG_SM_BYTE_TEST, &b);
}

int vg_kw_byte_jump(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *a[MAX_ARGS];
    int n = split_args(val, a);
    if (n < 2)
        return VG_PC_SYNTAX(pc, "byte_jump needs nbytes, offset");
    vg_byte_t b = {0};
    b.multiplier = 1;
    if (parse_nbytes(pc, kw->name, a[0], &b) != 0 || parse_offset(pc, kw->name, a[1], &b) != 0)
        return -1;
    bool base_set = false;
    for (int k = 2; k < n; k++) {
        int r = common_flag(pc, a[k], &b, &base_set);
        if (r < 0)
            return -1;
        if (r)
            continue;
        uint64_t u;
        int64_t s;
        if (strcmp(a[k], "align") == 0) {
            b.flags |= VG_BYTE_ALIGN;
        } else if (strcmp(a[k], "from_beginning") == 0) {
            b.flags |= VG_BYTE_BEGIN;
        } else if (strcmp(a[k], "from_end") == 0) {
            b.flags |= VG_BYTE_END;
        } else if (strncmp(a[k], "multiplier ", 11) == 0) {
            if (!vg_parse_u64(a[k] + 11, &u) || u < 1 || u > 65535)
                return VG_PC_SYNTAX(pc, "byte_jump: invalid multiplier");
            b.multiplier = (uint32_t)u;
        } else if (strncmp(a[k], "post_offset ", 12) == 0) {
            if (!vg_parse_i64(a[k] + 12, &s) || s < -65535 || s > 65535)
                return VG_PC_SYNTAX(pc, "byte_jump: invalid post_offset");
            b.post_offset = (int32_t)s;
        } else {
            return VG_PC_SYNTAX(pc, "byte_jump: unknown option '%s'", a[k]);
        }
    }
    if ((b.flags & VG_BYTE_BEGIN) && (b.flags & VG_BYTE_END))
        return VG_PC_SYNTAX(pc, "byte_jump: from_beginning and from_end exclude each other");
    if (check_nbytes(pc, kw->name, &b, base_set) != 0)
        return -1;
    return add_byte_sm(pc, VG_SM_BYTE_JUMP, &b);
}

int vg_kw_byte_extract(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *a[MAX_ARGS];
    int n = split_args(val, a);
    if (n < 3)
        return VG_PC_SYNTAX(pc, "byte_extract needs nbytes, offset, name");
    vg_byte_t b = {0};
    b.multiplier = 1;
    if (parse_nbytes(pc, kw->name, a[0], &b) != 0 || parse_offset(pc, kw->name, a[1], &b) != 0)
        return -1;
    bool base_set = false;
    for (int k = 3; k < n; k++) {
        int r = common_flag(pc, a[k], &b, &base_set);
        if (r < 0)
            return -1;
        if (r)
            continue;
        uint64_t u;
        if (strncmp(a[k], "multiplier ", 11) == 0) {
            if (!vg_parse_u64(a[k] + 11, &u) || u < 1 || u > 65535)
                return VG_PC_SYNTAX(pc, "byte_extract: invalid multiplier");
            b.multiplier = (uint32_t)u;
        } else if (strncmp(a[k], "align ", 6) == 0) {
            if (!vg_parse_u64(a[k] + 6, &u) || (u != 2 && u != 4))
                return VG_PC_SYNTAX(pc, "byte_extract: align must be 2 or 4");
            b.align = (uint32_t)u;
        } else {
            return VG_PC_SYNTAX(pc, "byte_extract: unknown option '%s'", a[k]);
        }
    }
    if (check_nbytes(pc, kw->name, &b, base_set) != 0)
        return -1;
    int slot = add_var(pc, a[2]);
    if (slot < 0)
        return -1;
    b.slot = (uint8_t)slot;
    return add_byte_sm(pc, VG_SM_BYTE_EXTRACT, &b);
}

int vg_kw_byte_math(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *a[MAX_ARGS];
    int n = split_args(val, a);
    vg_byte_t b = {0};
    b.multiplier = 1;
    bool have_bytes = false, have_off = false, have_op = false, have_rv = false, base_set = false;
    const char *result = NULL;
    for (int k = 0; k < n; k++) {
        char *key = a[k], *v = key;
        while (*v && !isspace((unsigned char)*v))
            v++;
        if (*v)
            *v++ = 0;
        v = vg_trim(v);
        if (strcmp(key, "bytes") == 0) {
            if (parse_nbytes(pc, kw->name, v, &b) != 0)
                return -1;
            have_bytes = true;
        } else if (strcmp(key, "offset") == 0) {
            if (parse_offset(pc, kw->name, v, &b) != 0)
                return -1;
            have_off = true;
        } else if (strcmp(key, "oper") == 0) {
            static const char *const ops[] = {"+", "-", "*", "/", "<<", ">>"};
            static const uint8_t codes[] = {VG_MOP_ADD, VG_MOP_SUB, VG_MOP_MUL, VG_MOP_DIV,
                                            VG_MOP_SHL, VG_MOP_SHR};
            size_t i;
            for (i = 0; i < VG_ARRAY_LEN(ops); i++)
                if (strcmp(v, ops[i]) == 0)
                    break;
            if (i == VG_ARRAY_LEN(ops))
                return VG_PC_SYNTAX(pc, "byte_math: invalid oper '%s'", v);
            b.op = codes[i];
            have_op = true;
        } else if (strcmp(key, "rvalue") == 0) {
            uint64_t u;
            if (vg_parse_u64(v, &u) && u <= 0xffffffffu) {
                b.value = u;
            } else {
                int slot = vg_pc_byte_var(pc, v);
                if (slot < 0)
                    return VG_PC_SYNTAX(pc, "byte_math: invalid rvalue '%s'", v);
                b.value = (uint64_t)slot;
                b.flags |= VG_BYTE_VALUE_VAR;
            }
            have_rv = true;
        } else if (strcmp(key, "result") == 0) {
            result = v;
        } else if (strcmp(key, "endian") == 0) {
            int r = common_flag(pc, v, &b, &base_set);
            if (r <= 0)
                return r < 0 ? -1 : VG_PC_SYNTAX(pc, "byte_math: invalid endian '%s'", v);
        } else if (strcmp(key, "string") == 0) {
            b.flags |= VG_BYTE_STRING;
            if (*v && common_flag(pc, v, &b, &base_set) <= 0)
                return VG_PC_SYNTAX(pc, "byte_math: invalid string base '%s'", v);
        } else if (strcmp(key, "bitmask") == 0) {
            if (parse_bitmask(pc, v, &b) != 0)
                return -1;
        } else if (strcmp(key, "relative") == 0 && !*v) {
            b.flags |= VG_BYTE_RELATIVE;
        } else if (strcmp(key, "dce") == 0 && !*v) {
            return common_flag(pc, key, &b, &base_set) < 0 ? -1 : 0;
        } else {
            return VG_PC_SYNTAX(pc, "byte_math: unknown option '%s'", key);
        }
    }
    if (!have_bytes || !have_off || !have_op || !have_rv || !result || !*result)
        return VG_PC_SYNTAX(pc, "byte_math needs bytes, offset, oper, rvalue and result");
    if ((b.flags & VG_BYTE_STRING) && !(b.flags & VG_BYTE_NBYTES_VAR) && b.nbytes > 10)
        return VG_PC_SYNTAX(pc, "byte_math: string extraction takes at most 10 bytes");
    if (!(b.flags & VG_BYTE_STRING) && !(b.flags & VG_BYTE_NBYTES_VAR) && b.nbytes > 4)
        return VG_PC_SYNTAX(pc, "byte_math: binary extraction takes 1 to 4 bytes");
    if (check_nbytes(pc, kw->name, &b, base_set) != 0)
        return -1;
    int slot = add_var(pc, result);
    if (slot < 0)
        return -1;
    b.slot = (uint8_t)slot;
    return add_byte_sm(pc, VG_SM_BYTE_MATH, &b);
}

int vg_kw_isdataat(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    char *a[MAX_ARGS];
    int n = split_args(val, a);
    if (n < 1 || !*a[0])
        return VG_PC_SYNTAX(pc, "isdataat needs a value");
    vg_isdataat_t d = {0, 0};
    char *v = a[0];
    if (*v == '!') {
        d.flags |= VG_ISDATAAT_NEGATED;
        v = vg_trim(v + 1);
    }
    uint64_t u;
    if (vg_parse_u64(v, &u)) {
        if (u > 65535)
            return VG_PC_SYNTAX(pc, "isdataat value out of range");
        d.value = (uint32_t)u;
    } else {
        int slot = vg_pc_byte_var(pc, v);
        if (slot < 0)
            return VG_PC_SYNTAX(pc, "isdataat: invalid value '%s'", v);
        d.value = (uint32_t)slot;
        d.flags |= VG_ISDATAAT_VAR;
    }
    for (int k = 1; k < n; k++) {
        if (strcmp(a[k], "relative") == 0)
            d.flags |= VG_ISDATAAT_RELATIVE;
        else if (strcmp(a[k], "rawbytes") != 0)
            return VG_PC_SYNTAX(pc, "isdataat: unknown option '%s'", a[k]);
    }
    (void)kw;
    int list = vg_pc_target_list(pc, d.flags & VG_ISDATAAT_RELATIVE, -1);
    if (list < 0)
        return -1;
    vg_pc_add_sm(pc, list, VG_SM_ISDATAAT)->u.isdataat = d;
    return 0;
}

int vg_kw_bsize(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    vg_cmp_t c;
    if (!vg_parse_cmp(val, UINT32_MAX, &c))
        return VG_PC_SYNTAX(pc, "invalid bsize '%s'", val);
    if (!pc->sticky)
        return VG_PC_SYNTAX(pc, "bsize must follow a sticky buffer");
    int list = vg_pc_target_list(pc, false, -1);
    if (list < 0)
        return -1;
    /* bsize is not a match position: it must not become the "last keyword" */
    int last_any_list = pc->last_any_list, last_any_sm = pc->last_any_sm;
    vg_pc_add_sm(pc, list, VG_SM_BSIZE)->u.cmp = c;
    pc->last_any_list = last_any_list;
    pc->last_any_sm = last_any_sm;
    return 0;
}

int vg_kw_urilen(vg_pctx_t *pc, const vg_kw_t *kw, char *val)
{
    (void)kw;
    char *rest = vg_split(val, ',');
    int buf = VG_BUF_HTTP_URI;
    if (rest) {
        rest = vg_trim(rest);
        if (strcmp(rest, "raw") == 0)
            buf = VG_BUF_HTTP_URI_RAW;
        else if (strcmp(rest, "norm") != 0)
            return VG_PC_SYNTAX(pc, "urilen: unknown option '%s'", rest);
    }
    vg_cmp_t c;
    if (!vg_parse_cmp(vg_trim(val), 65535, &c))
        return VG_PC_SYNTAX(pc, "invalid urilen '%s'", val);
    int last_any_list = pc->last_any_list, last_any_sm = pc->last_any_sm;
    int list = vg_pc_get_list(pc, buf, 0, NULL);
    vg_pc_add_sm(pc, list, VG_SM_URILEN)->u.cmp = c;
    pc->last_any_list = last_any_list;
    pc->last_any_sm = last_any_sm;
    return 0;
}
