/* test_attrib_json.c — the "vigil" object: written into an open event object, parsed back with
 * jansson, every member checked (layout in docs/ATTRIBUTION.md). */
#include "test_attrib_common.h"

#include "common/buf.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

static json_t *write_event(const vg_attrib_t *a, const vg_attrib_result_t *r)
{
    vg_buf_t b;
    vg_buf_init(&b, 256);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    vg_jw_obj_open(&w);
    vg_jw_kv_str(&w, "event_type", "alert"); /* a Suricata key before ours */
    vg_attrib_json_write(&w, a, r);
    vg_jw_kv_str(&w, "after", "x");          /* and one after */
    vg_jw_obj_close(&w);
    json_error_t je;
    json_t *root = json_loadb(b.data, b.len, 0, &je);
    if (!root)
        fail_msg("invalid JSON (%s): %.*s", je.text, (int)b.len, b.data);
    vg_buf_fini(&b);
    return root;
}

static void test_layout(void **st)
{
    (void)st;
    const char *cc = tmp_write(0, "16777216,16777471,DE\n");
    const char *asn = tmp_write(1, "1.0.0.0\t1.0.0.255\t3320\tDE\tDTAG \"Telekom\" \xc3\xa9\n");
    const char *dbs[] = {cc, asn};
    vg_attrib_opts_t o = {.dbs = dbs, .n_dbs = 2};
    char err[256];
    vg_attrib_t *a = vg_attrib_new(&o, err, sizeof err);
    assert_non_null(a);
    vg_attrib_ctx_t *c = vg_attrib_ctx_new(a);
    vg_attrib_input_t in = {.ip_ver = 4, .sp = 4444, .dp = 80, .proto = 6, .src_is_client = 1,
                            .handshake_complete = true};
    addr_of("1.0.0.5", &in.src);
    addr_of("192.168.1.10", &in.dst);
    vg_attrib_result_t r;
    vg_attrib_alert_fields(c, &in, "ET EXPLOIT x", "attempted-admin", NULL, 0, &r);
    json_t *root = write_event(a, &r);
    assert_string_equal(json_string_value(json_object_get(root, "event_type")), "alert");
    assert_string_equal(json_string_value(json_object_get(root, "after")), "x");
    json_t *v = json_object_get(root, "vigil");
    assert_non_null(v);
    assert_string_equal(json_string_value(json_object_get(v, "category")), "exploitation-attempt");
    assert_true(json_is_true(json_object_get(v, "counted")));
    assert_string_equal(json_string_value(json_object_get(v, "certainty")), "verified");
    assert_string_equal(json_string_value(json_object_get(v, "role_by")), "direction");
    assert_null(json_object_get(v, "exfiltration"));
    json_t *at = json_object_get(v, "attacker");
    assert_string_equal(json_string_value(json_object_get(at, "ip")), "1.0.0.5");
    assert_int_equal(json_integer_value(json_object_get(at, "port")), 4444);
    assert_string_equal(json_string_value(json_object_get(at, "country")), "DE");
    assert_int_equal(json_integer_value(json_object_get(at, "asn")), 3320);
    assert_string_equal(json_string_value(json_object_get(at, "as_org")),
                        "DTAG \"Telekom\" \xc3\xa9");
    assert_true(json_is_true(json_object_get(at, "verified")));
    assert_true(json_is_false(json_object_get(at, "home")));
    json_t *vi = json_object_get(v, "victim");
    assert_string_equal(json_string_value(json_object_get(vi, "ip")), "192.168.1.10");
    assert_string_equal(json_string_value(json_object_get(vi, "country")), "??");
    assert_null(json_object_get(vi, "asn")); /* unknown: absent, never 0 */
    assert_true(json_is_true(json_object_get(vi, "home")));
    json_t *g = json_object_get(v, "geo_db");
    assert_int_equal(json_array_size(g), 2);
    assert_non_null(strstr(json_string_value(json_array_get(g, 0)), "vg_attrib_test_"));
    json_decref(root);

    /* a UDP policy event with nothing known: spoofable, not counted, no databases */
    in.proto = 17;
    in.handshake_complete = false;
    addr_of("203.0.113.1", &in.src);
    vg_attrib_alert_fields(c, &in, "ET INFO x", "misc-activity", NULL, 0, &r);
    root = write_event(a, &r);
    v = json_object_get(root, "vigil");
    assert_string_equal(json_string_value(json_object_get(v, "category")), "policy-info");
    assert_true(json_is_false(json_object_get(v, "counted")));
    assert_string_equal(json_string_value(json_object_get(v, "certainty")), "spoofable");
    assert_int_equal(json_array_size(json_object_get(v, "geo_db")), 0);
    json_decref(root);
    vg_attrib_ctx_free(c);
    vg_attrib_free(a);
}

static void test_ipv6_end(void **st)
{
    (void)st;
    vg_attrib_end_t e = {.port = 53, .ip_ver = 6};
    addr_of("2001:db8::1", &e.ip);
    memcpy(e.geo.country, "??", 3);
    memcpy(e.geo.reg_country, "??", 3);
    vg_buf_t b;
    vg_buf_init(&b, 64);
    vg_jw_t w;
    vg_jw_init(&w, &b);
    vg_attrib_json_end(&w, &e);
    json_t *root = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(root);
    /* Suricata's uncompressed IPv6 form, as in src_ip/dest_ip */
    assert_string_equal(json_string_value(json_object_get(root, "ip")),
                        "2001:0db8:0000:0000:0000:0000:0000:0001");
    json_decref(root);
    vg_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_ipv6_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
