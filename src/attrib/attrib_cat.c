/* attrib_cat.c — the category of an alert: an ordered table of (field, pattern, category) rows,
 * first match wins. Rows from attribution.categories-file come before the built-in ones, so a
 * user can move any rule to another category. The built-in order matters: reputation lists and
 * web shells are recognised before the generic malware/exploit classtypes they also carry, and
 * policy/info is the fallback (an unknown rule is never counted as an attack).
 *
 * Fields: classtype (exact, case-insensitive), msg-prefix (case-sensitive prefix of msg),
 * msg-contains (case-insensitive substring of msg), metadata (case-insensitive substring of the
 * joined metadata text, e.g. "mitre_tactic_name Command_And_Control").
 *
 * Categories-file format, one row a line ('#' comments, blank lines ignored):
 *     CATEGORY  FIELD  PATTERN...
 *     malware-infection  msg-prefix    ET HUNTING Suspicious
 *     policy-info        classtype     trojan-activity
 *     exfiltration       msg-contains  upload to pastebin
 * PATTERN is the rest of the line. CATEGORY "exfiltration" does not set the category; it marks
 * the alert as exfiltration for the role rules (docs/ATTRIBUTION.md).
 */
#include "attrib/attrib_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cat_names[VG_CAT_MAX] = {
    [VG_CAT_C2] = "command-and-control",   [VG_CAT_MALWARE] = "malware-infection",
    [VG_CAT_WEBSHELL] = "webshell-backdoor", [VG_CAT_EXPLOIT] = "exploitation-attempt",
    [VG_CAT_BRUTE_FORCE] = "brute-force",  [VG_CAT_SCAN] = "scanning",
    [VG_CAT_PHISHING] = "phishing-fraud",  [VG_CAT_DOS] = "denial-of-service",
    [VG_CAT_REPUTATION] = "reputation-listed", [VG_CAT_POLICY] = "policy-info",
};

const char *vg_attrib_cat_name(enum vg_attrib_cat c)
{
    return (unsigned)c < VG_CAT_MAX ? cat_names[c] : "policy-info";
}

int vg_attrib_cat_parse(const char *name)
{
    for (int i = 0; i < VG_CAT_MAX; i++)
        if (!strcasecmp(name, cat_names[i]))
            return i;
    return -1;
}

#define R(k, c, p) {VG_CATK_##k, VG_CAT_##c, p}
/* The built-in table (docs/ATTRIBUTION.md lists it). */
static const vg_catrule_t builtin[] = {
    /* IP reputation lists: the rule says only "this address is listed". */
    R(MSG_PREFIX, REPUTATION, "ET TOR"), R(MSG_PREFIX, REPUTATION, "ET CINS"),
    R(MSG_PREFIX, REPUTATION, "ET DROP"), R(MSG_PREFIX, REPUTATION, "ET COMPROMISED"),
    R(MSG_PREFIX, REPUTATION, "ET 3CORESEC"), R(MSG_PREFIX, REPUTATION, "ET THREATVIEW"),
    R(MSG_PREFIX, REPUTATION, "ET DSHIELD"), R(MSG_PREFIX, REPUTATION, "ET CNC"),
    R(MSG_PREFIX, REPUTATION, "ET CIARMY"), R(MSG_PREFIX, REPUTATION, "ET BOTCC"),
    R(MSG_PREFIX, REPUTATION, "ET RBN"), R(MSG_PREFIX, REPUTATION, "ET SPAMHAUS"),
    /* Web shells, backdoors and evidence of a successful compromise. */
    R(MSG_CONTAINS, WEBSHELL, "webshell"), R(MSG_CONTAINS, WEBSHELL, "web shell"),
    R(MSG_PREFIX, WEBSHELL, "ET ATTACK_RESPONSE"),
    R(CLASSTYPE, WEBSHELL, "successful-admin"), R(CLASSTYPE, WEBSHELL, "successful-user"),
    /* Command and control. */
    R(CLASSTYPE, C2, "command-and-control"), R(CLASSTYPE, C2, "domain-c2"),
    R(METADATA, C2, "mitre_tactic_name Command_And_Control"),
    R(MSG_CONTAINS, C2, "CnC"), R(MSG_CONTAINS, C2, "C2 Checkin"),
    R(MSG_CONTAINS, C2, "C2 Beacon"),
    /* Malware infection. */
    R(CLASSTYPE, MALWARE, "trojan-activity"), R(CLASSTYPE, MALWARE, "coin-mining"),
    R(CLASSTYPE, MALWARE, "pup-activity"), R(MSG_PREFIX, MALWARE, "ET MALWARE"),
    R(MSG_PREFIX, MALWARE, "ET MOBILE_MALWARE"), R(MSG_PREFIX, MALWARE, "ET TROJAN"),
    R(MSG_PREFIX, MALWARE, "ET COINMINER"), R(MSG_PREFIX, MALWARE, "ET ADWARE_PUP"),
    R(MSG_PREFIX, MALWARE, "ET WORM"),
    /* Phishing and fraud. */
    R(CLASSTYPE, PHISHING, "credential-theft"), R(CLASSTYPE, PHISHING, "social-engineering"),
    R(MSG_PREFIX, PHISHING, "ET PHISHING"),
    /* Denial of service. */
    R(CLASSTYPE, DOS, "attempted-dos"), R(CLASSTYPE, DOS, "successful-dos"),
    R(CLASSTYPE, DOS, "denial-of-service"), R(MSG_PREFIX, DOS, "ET DOS"),
    /* Brute force and login attempts (before scanning: "ET SCAN ... Brute Force"). */
    R(CLASSTYPE, BRUTE_FORCE, "default-login-attempt"),
    R(CLASSTYPE, BRUTE_FORCE, "suspicious-login"),
    R(CLASSTYPE, BRUTE_FORCE, "unsuccessful-user"),
    R(MSG_CONTAINS, BRUTE_FORCE, "brute force"), R(MSG_CONTAINS, BRUTE_FORCE, "bruteforce"),
    R(METADATA, BRUTE_FORCE, "mitre_tactic_name Credential_Access"),
    /* Scanning and reconnaissance. */
    R(CLASSTYPE, SCAN, "attempted-recon"), R(CLASSTYPE, SCAN, "network-scan"),
    R(CLASSTYPE, SCAN, "successful-recon-limited"),
    R(CLASSTYPE, SCAN, "successful-recon-largescale"), R(MSG_PREFIX, SCAN, "ET SCAN"),
    R(METADATA, SCAN, "mitre_tactic_name Reconnaissance"),
    /* Exploitation attempts. */
    R(CLASSTYPE, EXPLOIT, "web-application-attack"), R(CLASSTYPE, EXPLOIT, "attempted-admin"),
    R(CLASSTYPE, EXPLOIT, "attempted-user"), R(CLASSTYPE, EXPLOIT, "exploit-kit"),
    R(CLASSTYPE, EXPLOIT, "shellcode-detect"), R(CLASSTYPE, EXPLOIT, "misc-attack"),
    R(CLASSTYPE, EXPLOIT, "targeted-activity"), R(CLASSTYPE, EXPLOIT, "rpc-portmap-decode"),
    R(MSG_PREFIX, EXPLOIT, "ET EXPLOIT"), R(MSG_PREFIX, EXPLOIT, "ET WEB_SERVER"),
    R(MSG_PREFIX, EXPLOIT, "ET WEB_SPECIFIC_APPS"), R(MSG_PREFIX, EXPLOIT, "ET WEB_CLIENT"),
    R(MSG_PREFIX, EXPLOIT, "ET SHELLCODE"), R(MSG_PREFIX, EXPLOIT, "ET ACTIVEX"),
    R(MSG_PREFIX, EXPLOIT, "ET NETBIOS"), R(MSG_PREFIX, EXPLOIT, "ET SQL"),
    R(METADATA, EXPLOIT, "mitre_tactic_name Initial_Access"),
    R(METADATA, EXPLOIT, "mitre_tactic_name Execution"),
    /* Everything else (policy-violation, misc-activity, bad-unknown, ET INFO/POLICY/HUNTING,
     * unknown classtypes) is policy/info: the fallback below. */
};
#undef R

static bool icontains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return true;
    return false;
}

static bool row_match(const vg_catrule_t *r, const char *msg, const char *classtype,
                      const char *metadata)
{
    switch (r->kind) {
    case VG_CATK_CLASSTYPE: return classtype && !strcasecmp(classtype, r->pat);
    case VG_CATK_MSG_PREFIX: return msg && !strncmp(msg, r->pat, strlen(r->pat));
    case VG_CATK_MSG_CONTAINS: return msg && icontains(msg, r->pat);
    default: return metadata && icontains(metadata, r->pat);
    }
}

enum vg_attrib_cat vg_cattable_match(const vg_cattable_t *t, const char *msg, const char *classtype,
                                     const char *metadata)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (t->rows[i].cat != VG_CAT_EXFIL_ROW && row_match(&t->rows[i], msg, classtype, metadata))
            return (enum vg_attrib_cat)t->rows[i].cat;
    for (size_t i = 0; i < VG_ARRAY_LEN(builtin); i++)
        if (row_match(&builtin[i], msg, classtype, metadata))
            return (enum vg_attrib_cat)builtin[i].cat;
    return VG_CAT_POLICY;
}

bool vg_cattable_exfil(const vg_cattable_t *t, const char *msg, const char *metadata)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (t->rows[i].cat == VG_CAT_EXFIL_ROW && row_match(&t->rows[i], msg, NULL, metadata))
            return true;
    return (msg && icontains(msg, "exfil")) ||
           (metadata && icontains(metadata, "mitre_tactic_name Exfiltration"));
}

static int parse_kind(const char *s)
{
    static const char *const kinds[] = {"classtype", "msg-prefix", "msg-contains", "metadata"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, kinds[i]))
            return i;
    return -1;
}

static int cat_line(vg_cattable_t *t, char *s, const char *path, unsigned ln, char *err,
                    size_t err_len)
{
    char *save = NULL;
    char *cat = strtok_r(s, " \t", &save);
    char *kind = cat ? strtok_r(NULL, " \t", &save) : NULL;
    char *pat = save;
    while (pat && isspace((unsigned char)*pat))
        pat++;
    if (!cat || *cat == '#')
        return 0;
    if (!kind || !pat || !*pat) {
        snprintf(err, err_len, "%s:%u: expected CATEGORY FIELD PATTERN", path, ln);
        return -1;
    }
    int c = !strcmp(cat, "exfiltration") ? VG_CAT_EXFIL_ROW : vg_attrib_cat_parse(cat);
    int k = parse_kind(kind);
    if (c == -1 || k < 0) {
        snprintf(err, err_len, "%s:%u: unknown %s '%s'", path, ln, c == -1 ? "category" : "field",
                 c == -1 ? cat : kind);
        return -1;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->rows = vg_xrealloc(t->rows, t->cap * sizeof *t->rows);
        t->owned = vg_xrealloc(t->owned, t->cap * sizeof *t->owned);
    }
    t->owned[t->n] = vg_xstrdup(pat);
    t->rows[t->n] = (vg_catrule_t){k, c, t->owned[t->n]};
    t->n++;
    return 0;
}

int vg_cattable_load(vg_cattable_t *t, const char *path, char *err, size_t err_len)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    unsigned ln = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, fp) >= 0) {
        ln++;
        size_t n = strlen(line);
        while (n && isspace((unsigned char)line[n - 1]))
            line[--n] = 0;
        rc = cat_line(t, line, path, ln, err, err_len);
    }
    free(line);
    fclose(fp);
    return rc;
}

void vg_cattable_fini(vg_cattable_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->owned[i]);
    free(t->owned);
    free(t->rows);
    memset(t, 0, sizeof *t);
}
