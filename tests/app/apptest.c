/* apptest.c — shared harness of the app parser tests (see apptest.h). */
#include "apptest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

apptest_t apptest;

static void on_anomaly(void *user, enum vg_app_proto proto, const char *ev)
{
    (void)user;
    assert_int_equal(proto, apptest.proto);
    if (apptest.n_events < 64)
        snprintf(apptest.events[apptest.n_events++], sizeof apptest.events[0], "%s", ev);
}

void apptest_setup(enum vg_app_proto proto)
{
    memset(&apptest, 0, sizeof apptest);
    apptest.proto = proto;
    vg_app_config_defaults(&apptest.cfg);
    apptest.ctx.anomaly = on_anomaly;
    apptest.ctx.cfg = &apptest.cfg;
}

bool apptest_saw(const char *ev)
{
    for (int i = 0; i < apptest.n_events; i++)
        if (strcmp(apptest.events[i], ev) == 0)
            return true;
    return false;
}

char *apptest_log_str(void *tx)
{
    vg_buf_t b;
    vg_jw_t w;
    vg_buf_init(&b, 256);
    vg_jw_init(&w, &b);
    vg_app_ops(apptest.proto)->log_tx(tx, &w);
    char *s = strndup(b.data, b.len);
    vg_buf_fini(&b);
    return s;
}

json_t *apptest_log_json(void *tx)
{
    char *s = apptest_log_str(tx);
    json_error_t err;
    json_t *j = json_loadb(s, strlen(s), JSON_ALLOW_NUL, &err);
    if (!j)
        fail_msg("bad JSON: %s (%s)", s, err.text);
    free(s);
    return j;
}
