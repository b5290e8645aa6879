/* main.c — `vigil SUBCOMMAND ...`: dispatch only; each subcommand lives in src/vigil_<name>.c. */
#include "common/log.h"

#include <stdio.h>
#include <string.h>

int vigil_read_main(int argc, char **argv);
/* Provided by src/vigil_rules.c (signature engine); weak so the program builds without it. */
__attribute__((weak)) int vigil_rules_main(int argc, char **argv);
int vigil_geo_main(int argc, char **argv); /* src/vigil_geo.c */
int vigil_report_main(int argc, char **argv); /* src/vigil_report.c */
int vigil_keygen_main(int argc, char **argv); /* src/vigil_evidence.c */
int vigil_verify_main(int argc, char **argv); /* src/vigil_evidence.c */
int vigil_serve_main(int argc, char **argv);  /* src/vigil_serve.c */
int vigil_evidence_main(int argc, char **argv); /* src/vigil_evidence.c */
int vigil_collect_main(int argc, char **argv); /* src/vigil_collect.c */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vigil COMMAND [ARGS]\n"
            "\n"
            "commands:\n"
            "  read [-r] FILE...   analyse capture files (pcap, pcapng); write LOGDIR/eve.json\n"
            "  live -i IFACE...    capture on network interfaces until SIGINT/SIGTERM\n"
            "  rules check FILE... parse and compile rule files; print loaded/failed counts\n"
            "  geo ADDRESS...      country, ASN and organisation from the geo databases\n"
            "  report [STORE]      the picture of an event store: html, md, csv or json\n"
            "  keygen [--out DIR]  make the sensor's Ed25519 key pair (evidence ledger)\n"
            "  verify LOGDIR       check an evidence ledger, its signatures and pcaps\n"
            "  serve [STORE]       web dashboard and read-only JSON API over a store\n"
            "  evidence export LOGDIR --out DIR\n"
            "                      a bundle of alerts, pcaps and ledger for another machine\n"
            "  collect --redis URL --pg DSN\n"
            "                      sensors' events from Redis into PostgreSQL\n"
            "  version             print the version\n"
            "\n"
            "`vigil COMMAND --help` describes each command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "read") || !strcmp(cmd, "live")) /* one parser: src/vigil_read.c */
        return vigil_read_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "rules")) {
        if (!vigil_rules_main) {
            vg_log(VG_LOG_ERROR, "this build has no signature engine");
            return 2;
        }
        return vigil_rules_main(argc - 1, argv + 1);
    }
    if (!strcmp(cmd, "geo"))
        return vigil_geo_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "report"))
        return vigil_report_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "keygen"))
        return vigil_keygen_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "collect"))
        return vigil_collect_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "verify"))
        return vigil_verify_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "serve"))
        return vigil_serve_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "evidence"))
        return vigil_evidence_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("vigil %s\n", VG_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    vg_log(VG_LOG_ERROR, "unknown command '%s'", cmd);
    usage(stderr);
    return 2;
}
