/* test_rules_cli.c — `vigil rules check`: exit codes, --var, --json, default classification
 * next to the first rule file. Output goes to stdout (not parsed here beyond exit codes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "detect/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int run(int n, ...)
{
    char *argv[16];
    static char store[16][160];
    va_list ap;
    va_start(ap, n);
    argv[0] = (char *)"rules";
    for (int i = 0; i < n; i++) {
        const char *a = va_arg(ap, const char *);
        if (a[0] == '@')
            snprintf(store[i], sizeof(store[i]), "%s/%s", dir, a + 1);
        else
            snprintf(store[i], sizeof(store[i]), "%s", a);
        argv[i + 1] = store[i];
    }
    va_end(ap);
    fflush(stdout);
    return vigil_rules_main(n + 1, argv);
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof(dir), "/tmp/vg_rules_cli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    write_file("classification.config", "config classification: trojan-activity,Trojan,1\n");
    write_file("a.rules",
               "alert tcp $HOME_NET any -> $EXTERNAL_NET any (msg:\"ok\"; content:\"x\"; "
               "classtype:trojan-activity; sid:1;)\n"
               "alert tcp any any -> any any (msg:\"bad\"; content:\"x\"; depth:0; sid:2;)\n"
               "alert smtp any any -> any any (msg:\"skip\"; sid:3;)\n"
               "alert tcp any any -> any any (msg:\"class\"; classtype:unknown-class; sid:4;)\n"
               "alert tcp $MYNET any -> any any (msg:\"var\"; sid:5;)\n");
    write_file("empty.rules", "# alert tcp any any -> any any (sid:9;)\n");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    const char *names[] = {"classification.config", "a.rules", "empty.rules"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    return 0;
}

static void test_check(void **st)
{
    (void)st;
    assert_int_equal(run(2, "check", "@a.rules"), 0);
    assert_int_equal(run(3, "check", "@a.rules", "--json"), 0);
    assert_int_equal(run(4, "check", "@a.rules", "--var", "MYNET=[1.2.3.4]"), 0);
    assert_int_equal(run(3, "check", "@a.rules", "@missing.rules"), 1);
    assert_int_equal(run(2, "check", "@empty.rules"), 1);
    assert_int_equal(run(1, "check"), 2);
    assert_int_equal(run(1, "frobnicate"), 2);
    assert_int_equal(run(4, "check", "@a.rules", "--var", "novalue"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
