/* apptest.h — the harness the DNS, TLS and SSH parser tests share: a parser context whose
 * anomaly callback records event names (and checks they are raised for the protocol under test),
 * and the EVE object of a transaction as text or parsed JSON (failing the test when invalid). */
#ifndef VG_TESTS_APPTEST_H
#define VG_TESTS_APPTEST_H

#include "app/app.h"

#include <jansson.h>
#include <stdbool.h>

typedef struct apptest {
    enum vg_app_proto proto;
    vg_app_config_t cfg;
    vg_app_ctx_t ctx;
    char events[64][48];
    int n_events;
} apptest_t;

extern apptest_t apptest;

/* Resets the harness for a test of proto (configuration at its defaults). */
void apptest_setup(enum vg_app_proto proto);
/* True when an anomaly of this name was raised since the last setup. */
bool apptest_saw(const char *ev);
/* The EVE object log_tx writes for tx: text (caller frees) or parsed (caller json_decref()s). */
char *apptest_log_str(void *tx);
json_t *apptest_log_json(void *tx);

#endif
