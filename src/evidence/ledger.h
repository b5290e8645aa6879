/* ledger.h — the signed, tamper-evident evidence ledger, the sensor's signing key, and its
 * verification (docs/EVIDENCE.md).
 *
 * LOGDIR/evidence/ledger.jsonl is append-only: one JSON object per line, each with its sequence
 * number "seq", the hash "prev" of the entry before it and its own "hash" (SHA-256 of the line
 * as it would read without the hash member). Entries: "open" (a run starts: sensor and public
 * key), "alert" (hash of the alert's EVE line, the evidence file and packet index), "evidence"
 * (a sealed pcap: SHA-256, size, packets) and "checkpoint" (an Ed25519 signature over the
 * sequence number and hash of the entry before it; "final" at the end of a run).
 *
 * The writer is a vg_sink_t: it sees the EVE lines on the output thread, in order; entries are
 * written in commit(); before a checkpoint the file system is synced (syncfs), the checkpoint
 * written and the ledger fdatasync'd. Nothing is rewritten: a crash leaves at most entries
 * after the last checkpoint (an unsigned tail), which vg_verify() reports as such. */
#ifndef VG_EVIDENCE_LEDGER_H
#define VG_EVIDENCE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VG_LEDGER_FILE "ledger.jsonl"
#define VG_EVIDENCE_DIR "evidence"
#define VG_KEY_SECRET_FILE "sensor.key"
#define VG_KEY_PUBLIC_FILE "sensor.pub"

/* --- keys --- */

/* The default key directory: $XDG_CONFIG_HOME/vigil, else $HOME/.config/vigil. -1: neither set. */
int vg_key_default_dir(char *out, size_t n);
/* Makes a key pair in dir (created 0700 when missing): sensor.key (mode 0600) and sensor.pub.
 * Refuses to overwrite either. 0 or -1 (err says why). */
int vg_keygen(const char *dir, char *err, size_t err_len);
/* Loads a private key file: must be mode 0600 (no group/other access) and of the right form. */
int vg_key_load_secret(const char *path, uint8_t sk[64], uint8_t pk[32], char *err, size_t err_len);
int vg_key_load_public(const char *path, uint8_t pk[32], char *err, size_t err_len);
/* Short key id: the first 8 bytes of SHA-256(public key) in hex (17 bytes with NUL). */
void vg_key_id(const uint8_t pk[32], char out[17]);

/* The message a checkpoint signs. */
size_t vg_ledger_cp_message(char *out, size_t n, const char *key_id, uint64_t head_seq,
                            const char *head_hex, bool final);

/* --- the writer --- */

typedef struct vg_ledger_opts {
    const char *logdir;
    const char *key_dir;      /* NULL: vg_key_default_dir(); a key is made there if none */
    const char *sensor;       /* sensor name (NULL: host name) */
    uint64_t cp_entries;      /* checkpoint after this many entries (0: only by time/at end) */
    uint64_t cp_seconds;      /* ... or when this many seconds passed with entries unsigned */
} vg_ledger_opts_t;

typedef struct vg_ledger vg_ledger_t;

/* Opens (creates) LOGDIR/evidence/ledger.jsonl, loads or makes the key, and appends an "open"
 * entry chained to what the ledger already holds. NULL on error (err says which file and why). */
vg_ledger_t *vg_ledger_open(const vg_ledger_opts_t *o, char *err, size_t err_len);
/* vg_sink_t functions (ctx is the vg_ledger_t). */
int vg_ledger_sink_event(void *ctx, const char *line, size_t len);
int vg_ledger_sink_commit(void *ctx, bool final);
/* Optional: fn is called with each checkpoint entry (one JSON line, no newline) once it is
 * written and synced, on the committing thread (`vigil read --redis` ships it, docs/SCALE.md).
 * fn NULL: no longer. */
void vg_ledger_set_checkpoint_hook(vg_ledger_t *l, void (*fn)(void *ctx, const char *entry,
                                                              size_t len), void *ctx);
/* Entries written so far (all runs), and closes. */
uint64_t vg_ledger_seq(const vg_ledger_t *l);
void vg_ledger_close(vg_ledger_t *l);

/* Hash rule of one ledger line (no newline): fills hex (65 bytes) with the hash the line should
 * carry; returns false when the line does not end in a ,"hash":"<64 hex>"} member. */
bool vg_ledger_line_hash(const char *line, size_t len, char hex[65]);

/* --- verification --- */

typedef struct vg_verify_opts {
    const char *logdir;       /* or an exported bundle: a directory holding evidence/ */
    const char *pubkey;       /* NULL: the default key directory's sensor.pub, else the key the
                                 ledger names (reported as weaker) */
    bool json;
} vg_verify_opts_t;

/* Exit status: 0 everything verifies; 1 something was altered, removed, added or is unreadable;
 * 3 nothing altered but the run is incomplete (unsigned tail, unsealed files: a crash);
 * 2 the ledger cannot be checked at all (missing, or no usable key). */
int vg_verify(const vg_verify_opts_t *o, FILE *out);

/* --- export --- */

typedef struct vg_export_opts {
    const char *logdir;
    const char *out;          /* the bundle directory (must not exist) */
    const char *from, *to;    /* alert timestamps, compared as written in eve.json (a prefix such
                                 as "2026-12-06" works); NULL: open */
    const uint64_t *flows;    /* flow ids; none: every flow */
    size_t n_flows;
    const char *pubkey;       /* copied into the bundle; NULL: the default key directory's, else
                                 the key the ledger names */
} vg_export_opts_t;

/* Writes a self-contained bundle that vg_verify() checks: bundle.json (what was selected), the
 * ledger segment from the first selected entry to the checkpoint after the last one, the
 * selected alerts' EVE lines (eve.json), their pcaps and the public key. Returns 0, 1 when no
 * alert matched, 2 on error (message on stderr). */
int vg_evidence_export(const vg_export_opts_t *o, FILE *out);

#endif
