/* Tests for common/config.c: defaults, --set validation, YAML loading with file:line errors,
 * variables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

static void test_defaults_and_set(void **state)
{
    (void)state;
    char err[256];
    vg_config_t *c = vg_config_new();
    assert_false(vg_config_bool(c, "stream.midstream"));
    assert_int_equal(vg_config_uint(c, "stream.reassembly.depth"), 1024 * 1024);
    assert_int_equal(vg_config_set(c, "stream.midstream", "true", err, sizeof err), 0);
    assert_true(vg_config_bool(c, "stream.midstream"));
    assert_int_equal(vg_config_set(c, "stream.midstrem", "true", err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown configuration key 'stream.midstrem'"));
    assert_int_equal(vg_config_set(c, "stream.midstream", "maybe", err, sizeof err), -1);
    assert_int_equal(vg_config_set(c, "flow.memcap", "2gb", err, sizeof err), 0);
    assert_int_equal(vg_config_uint(c, "flow.memcap"), 2ULL << 30);
    assert_int_equal(vg_config_set(c, "flow.memcap", "lots", err, sizeof err), -1);
    assert_int_equal(vg_config_set(c, "flow.timeouts.tcp.new", "-1", err, sizeof err), -1);
    vg_config_free(c);
}

static void test_vars(void **state)
{
    (void)state;
    char err[256];
    vg_config_t *c = vg_config_new();
    const char *names[64], *vals[64];
    size_t n = vg_config_vars(c, 0, names, vals, 64);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], "HOME_NET")) {
            assert_string_equal(vals[i], "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]");
            found = 1;
        }
    assert_true(found);
    assert_int_equal(vg_config_set_var(c, "HOME_NET", "[10.1.0.0/16]", err, sizeof err), 0);
    assert_int_equal(vg_config_set_var(c, "MY_PORTS", "[1,2]", err, sizeof err), 0);
    assert_int_equal(vg_config_set_var(c, "bad name", "1", err, sizeof err), -1);
    n = vg_config_vars(c, 1, names, vals, 64);
    found = 0;
    for (size_t i = 0; i < n; i++)
        found |= !strcmp(names[i], "MY_PORTS");
    assert_true(found);
    n = vg_config_vars(c, 0, names, vals, 64);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], "HOME_NET"))
            assert_string_equal(vals[i], "[10.1.0.0/16]");
    vg_config_free(c);
}

static void test_yaml(void **state)
{
    (void)state;
    char path[] = "/tmp/vg_cfg_XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fputs("%YAML 1.1\n---\nstream:\n  midstream: yes\n  reassembly:\n    depth: 2mb\n"
          "vars:\n  address-groups:\n    HOME_NET: \"[10.0.0.0/8]\"\n", f);
    fclose(f);
    char err[256];
    vg_config_t *c = vg_config_new();
    assert_int_equal(vg_config_load_yaml(c, path, err, sizeof err), 0);
    assert_true(vg_config_bool(c, "stream.midstream"));
    assert_int_equal(vg_config_uint(c, "stream.reassembly.depth"), 2 * 1024 * 1024);
    f = fopen(path, "w");
    fputs("stream:\n  midstream: yes\n  bogus: 1\n", f);
    fclose(f);
    assert_int_equal(vg_config_load_yaml(c, path, err, sizeof err), -1);
    char want[300];
    snprintf(want, sizeof want, "%s:3: unknown configuration key 'stream.bogus'", path);
    assert_non_null(strstr(err, want));
    f = fopen(path, "w");
    fputs("stream: [unclosed\n", f);
    fclose(f);
    assert_int_equal(vg_config_load_yaml(c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    unlink(path);
    assert_int_equal(vg_config_load_yaml(c, path, err, sizeof err), -1);
    vg_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_set),
        cmocka_unit_test(test_vars),
        cmocka_unit_test(test_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
