/* vigil_evidence.c — `vigil keygen` and `vigil verify` (src/evidence, docs/EVIDENCE.md). */
#include "common/log.h"
#include "evidence/ledger.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vigil_keygen_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'h':
            printf("usage: vigil keygen [--out DIR]\n\n"
                   "Makes the sensor's Ed25519 signing key pair: DIR/%s (private, mode 0600) and\n"
                   "DIR/%s (public: give it to whoever verifies the evidence ledger).\n"
                   "DIR defaults to $XDG_CONFIG_HOME/vigil, else ~/.config/vigil (where vigil\n"
                   "read looks unless evidence.key-dir is set). Never overwrites a key.\n",
                   VG_KEY_SECRET_FILE, VG_KEY_PUBLIC_FILE);
            return 0;
        default: return 2;
        }
    }
    if (optind < argc) {
        vg_log(VG_LOG_ERROR, "keygen: unexpected argument '%s'", argv[optind]);
        return 2;
    }
    char def[4096], err[1024];
    if (!dir) {
        if (vg_key_default_dir(def, sizeof def)) {
            vg_log(VG_LOG_ERROR, "keygen: neither XDG_CONFIG_HOME nor HOME is set: give --out DIR");
            return 2;
        }
        dir = def;
    }
    if (vg_keygen(dir, err, sizeof err)) {
        vg_log(VG_LOG_ERROR, "keygen: %s", err);
        return 1;
    }
    printf("private key: %s/%s (mode 0600; keep it on the sensor)\n", dir, VG_KEY_SECRET_FILE);
    printf("public key:  %s/%s (hand it to whoever verifies: vigil verify --pubkey FILE)\n", dir,
           VG_KEY_PUBLIC_FILE);
    return 0;
}

int vigil_verify_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pubkey", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    vg_verify_opts_t o = {0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "k:jh", longopts, NULL)) != -1) {
        switch (c) {
        case 'k': o.pubkey = optarg; break;
        case 'j': o.json = true; break;
        case 'h':
            printf("usage: vigil verify LOGDIR [--pubkey FILE] [--json]\n\n"
                   "Checks LOGDIR/evidence/%s: the hash chain, every checkpoint signature, every\n"
                   "evidence pcap against its recorded SHA-256, files no entry names, and each\n"
                   "alert entry against LOGDIR/eve.json. Names every problem found.\n\n"
                   "Exit status: 0 everything verifies; 1 something was altered, removed or\n"
                   "added; 3 nothing altered but the run is incomplete (an unsigned tail or\n"
                   "unsealed files after a crash); 2 cannot verify (no ledger, no usable key).\n",
                   VG_LEDGER_FILE);
            return 0;
        default: return 2;
        }
    }
    if (optind != argc - 1) {
        vg_log(VG_LOG_ERROR, "verify: expects one log directory (vigil verify LOGDIR)");
        return 2;
    }
    o.logdir = argv[optind];
    return vg_verify(&o, stdout);
}

/* `vigil evidence export LOGDIR --out DIR [--from TS] [--to TS] [--flow ID]... [--pubkey FILE]` */
int vigil_evidence_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "export") != 0) {
        fprintf(argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "usage: vigil evidence export LOGDIR --out DIR [--from TIME] [--to TIME]\n"
                "                              [--flow FLOW_ID]... [--pubkey FILE]\n\n"
                "Writes a bundle another machine can check with `vigil verify DIR`: the selected\n"
                "alerts (eve.json), their pcaps, the ledger segment that chains them to a signed\n"
                "checkpoint, and the public key. TIME is compared with the alerts' timestamps as\n"
                "eve.json writes them (a prefix such as 2026-12-06 works).\n");
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    argc--;
    argv++;
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"flow", required_argument, NULL, 'F'},
        {"pubkey", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    vg_export_opts_t o = {0};
    uint64_t *flows = calloc((size_t)argc + 1, sizeof *flows);
    optind = 1;
    int c, rc = 2;
    while ((c = getopt_long(argc, argv, "o:f:t:F:k:", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case 'f': o.from = optarg; break;
        case 't': o.to = optarg; break;
        case 'k': o.pubkey = optarg; break;
        case 'F': {
            char *end;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || end == optarg) {
                vg_log(VG_LOG_ERROR, "evidence export: --flow expects a flow id, got '%s'", optarg);
                goto out;
            }
            flows[o.n_flows++] = v;
            break;
        }
        default: goto out;
        }
    }
    if (optind != argc - 1 || !o.out) {
        vg_log(VG_LOG_ERROR, "evidence export: expects LOGDIR and --out DIR");
        goto out;
    }
    o.logdir = argv[optind];
    o.flows = flows;
    rc = vg_evidence_export(&o, stdout);
out:
    free(flows);
    return rc;
}
