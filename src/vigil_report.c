/* vigil_report.c — `vigil report`: the quantified picture of a store, in html, md, csv or json. */
#include "common/buf.h"
#include "common/log.h"
#include "report/report.h"
#include "store/store_int.h"

#include "vigil_store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void report_usage(FILE *f)
{
    fprintf(f,
            "usage: vigil report [STORE|LOGDIR] [options]\n"
            "\n"
            "  -s, --store PATH      the store (default: LOGDIR/vigil.db)\n"
            "      --pg DSN          the central PostgreSQL store that `vigil collect` fills\n"
            "                        (a libpq connection string or URI; not with --store/LOGDIR)\n"
            "  -l, --log-dir DIR     a log directory whose vigil.db is the store\n"
            "      --from TIME       alerts at or after TIME (2024-05-01 or 2024-05-01T10:00:00Z)\n"
            "      --to TIME         alerts before TIME; a date alone includes that whole day\n"
            "      --sensor NAME     runs of this sensor only (with --pg: that sensor's events)\n"
            "      --category SLUG   alerts of this category only (e.g. command-and-control)\n"
            "      --country CC      alerts whose attacker is in this country (ISO alpha-2, ?? unknown)\n"
            "      --asn N           alerts whose attacker is in this AS (0: unknown)\n"
            "      --target ADDRESS  alerts whose victim is this address\n"
            "      --sid N           alerts of this signature id\n"
            "      --top N           rows of the top-N tables (default 25)\n"
            "      --tables ID,...   only these tables (ids as in the JSON: overview,categories,...)\n"
            "  -f, --format html|md|csv|json\n"
            "                        default: from the -o file's extension, else md\n"
            "  -o, --output FILE     write there (complete or not at all); default stdout\n"
            "\n"
            "Tables, units and the rerun rule: docs/STORE.md.\n"
            "Exit status: 0 written (an empty period is reported as such); 2 bad usage, a store\n"
            "that cannot be read, or the output cannot be written.\n");
}

static int parse_fmt(const char *s, enum vg_report_format *f)
{
    if (!strcmp(s, "html") || !strcmp(s, "htm")) *f = VG_REPORT_HTML;
    else if (!strcmp(s, "md") || !strcmp(s, "markdown")) *f = VG_REPORT_MD;
    else if (!strcmp(s, "csv")) *f = VG_REPORT_CSV;
    else if (!strcmp(s, "json")) *f = VG_REPORT_JSON;
    else return -1;
    return 0;
}

static int write_atomic(const char *path, const vg_buf_t *b)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        vg_log(VG_LOG_ERROR, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t w = fwrite(b->data, 1, b->len, f);
    int e = (w != b->len || fflush(f) != 0 || fsync(fileno(f)) != 0) ? errno : 0;
    if (fclose(f) != 0 && !e)
        e = errno;
    if (e || rename(tmp, path) != 0) {
        vg_log(VG_LOG_ERROR, "%s: %s", path, strerror(e ? e : errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

int vigil_report_main(int argc, char **argv)
{
    enum { O_FROM = 256, O_TO, O_SENSOR, O_CATEGORY, O_COUNTRY, O_TOP, O_HELP, O_TABLES, O_ASN,
           O_TARGET, O_SID, O_PG };
    static const struct option longopts[] = {
        {"store", required_argument, NULL, 's'},   {"log-dir", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'f'},  {"output", required_argument, NULL, 'o'},
        {"from", required_argument, NULL, O_FROM}, {"to", required_argument, NULL, O_TO},
        {"sensor", required_argument, NULL, O_SENSOR},
        {"category", required_argument, NULL, O_CATEGORY},
        {"country", required_argument, NULL, O_COUNTRY},
        {"top", required_argument, NULL, O_TOP},   {"help", no_argument, NULL, O_HELP},
        {"tables", required_argument, NULL, O_TABLES},
        {"asn", required_argument, NULL, O_ASN},    {"target", required_argument, NULL, O_TARGET},
        {"sid", required_argument, NULL, O_SID},
        {"pg", required_argument, NULL, O_PG},
        {NULL, 0, NULL, 0},
    };
    const char *store = NULL, *logdir = NULL, *fmt_s = NULL, *out = NULL, *pg = NULL;
    vg_report_filter_t flt = {0};
    char target[46];
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "-s:l:f:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 1:
        case 's':
            if (store || logdir) {
                vg_log(VG_LOG_ERROR, "report: one store at a time ('%s')", optarg);
                return 2;
            }
            store = optarg;
            break;
        case 'l': logdir = optarg; break;
        case O_PG: pg = optarg; break;
        case 'f': fmt_s = optarg; break;
        case 'o': out = optarg; break;
        case O_FROM:
        case O_TO: {
            int64_t us;
            size_t n = strlen(optarg);
            if (!vg_store_parse_time(optarg, n, &us)) {
                vg_log(VG_LOG_ERROR, "--%s expects a date or time (2024-05-01, "
                       "2024-05-01T10:00:00Z), got '%s'", c == O_FROM ? "from" : "to", optarg);
                return 2;
            }
            if (c == O_FROM) {
                flt.has_from = true;
                flt.from_us = us;
            } else {
                flt.has_to = true;
                flt.to_us = n == 10 ? us + 86400LL * 1000000 : us; /* a date: the whole day */
            }
            break;
        }
        case O_SENSOR: flt.sensor = optarg; break;
        case O_CATEGORY: flt.category = optarg; break;
        case O_COUNTRY: flt.country = optarg; break;
        case O_TABLES: flt.tables = optarg; break;
        case O_ASN:
        case O_SID: {
            char *e;
            long long v = strtoll(optarg, &e, 10);
            if (!*optarg || *e || v < 0 || v > 4294967295LL || (c == O_SID && v == 0)) {
                vg_log(VG_LOG_ERROR, "--%s expects a number%s, got '%s'",
                       c == O_ASN ? "asn" : "sid", c == O_ASN ? " (0: unknown)" : " above 0",
                       optarg);
                return 2;
            }
            if (c == O_ASN) {
                flt.has_asn = true;
                flt.asn = v;
            } else {
                flt.sid = v;
            }
            break;
        }
        case O_TARGET:
            if (!vg_report_addr(optarg, target)) {
                vg_log(VG_LOG_ERROR, "--target expects an IPv4 or IPv6 address, got '%s'", optarg);
                return 2;
            }
            flt.target = target;
            break;
        case O_TOP: {
            char *e;
            long v = strtol(optarg, &e, 10);
            if (*e || v < 1 || v > 100000) {
                vg_log(VG_LOG_ERROR, "--top expects a number from 1 to 100000, got '%s'", optarg);
                return 2;
            }
            flt.top = (unsigned)v;
            break;
        }
        case O_HELP: report_usage(stdout); return 0;
        default: report_usage(stderr); return 2;
        }
    }
    if (flt.has_from && flt.has_to && flt.to_us <= flt.from_us) {
        vg_log(VG_LOG_ERROR, "report: --to is not after --from");
        return 2;
    }
    if (pg && (store || logdir)) {
        vg_log(VG_LOG_ERROR, "report: --pg reads the central PostgreSQL store; give it alone, "
               "without --store, -l or a STORE/LOGDIR argument");
        return 2;
    }
    char path[4096];
    if (!pg)
        vigil_store_path(store, logdir, path, sizeof path);
    enum vg_report_format fmt = VG_REPORT_MD;
    if (fmt_s) {
        if (parse_fmt(fmt_s, &fmt)) {
            vg_log(VG_LOG_ERROR, "--format expects html, md, csv or json, got '%s'", fmt_s);
            return 2;
        }
    } else if (out) {
        const char *dot = strrchr(out, '.');
        if (!dot || parse_fmt(dot + 1, &fmt)) {
            vg_log(VG_LOG_ERROR, "report: cannot tell the format from '%s'; give --format", out);
            return 2;
        }
    }
    char err[1024];
    vg_store_t *st = NULL;
    sqlite3 *ro = NULL;
    vg_store_reader_t *rd = NULL;
    if (pg) {
        rd = vg_store_reader_pg(pg, err, sizeof err);
        if (!rd) {
            vg_log(VG_LOG_ERROR, "report: %s", err);
            return 2;
        }
        snprintf(path, sizeof path, "%s", vg_store_reader_label(rd));
    } else {
        st = vg_store_open(path, false, err, sizeof err);
        if (!st) {
            /* A store we may not write (another user's, a read-only medium): read it as it is. */
            if (access(path, R_OK) == 0 && access(path, W_OK) != 0)
                ro = vg_store_open_db(path, false, true, err, sizeof err);
            if (!ro) {
                vg_log(VG_LOG_ERROR, "%s", err);
                return 2;
            }
        }
        rd = vg_store_reader_sqlite(st ? vg_store_db(st) : ro, false, path);
    }
    flt.store_label = path;
    flt.progress = isatty(STDERR_FILENO);
    vg_report_t *r = vg_report_build_r(rd, &flt, err, sizeof err);
    if (!r) {
        vg_log(VG_LOG_ERROR, "%s: %s", path, err);
        vg_store_reader_close(rd);
        vg_store_close(st);
        sqlite3_close(ro);
        return 2;
    }
    if (r->empty)
        vg_log(VG_LOG_WARN, "report: nothing in %s matches this period and filter", path);
    vg_buf_t b;
    vg_buf_init(&b, 1 << 16);
    vg_report_render(r, fmt, &b);
    int rc = 0;
    if (out) {
        rc = write_atomic(out, &b) ? 2 : 0;
    } else if (fwrite(b.data, 1, b.len, stdout) != b.len || fflush(stdout) != 0) {
        vg_log(VG_LOG_ERROR, "report: cannot write to stdout: %s", strerror(errno));
        rc = 2;
    }
    vg_buf_fini(&b);
    vg_report_free(r);
    vg_store_reader_close(rd);
    vg_store_close(st);
    sqlite3_close(ro);
    return rc;
}
