/* test_mob_config.c - mob_config_validate() and the site look-ups
 * (src/app/mobility/mob_config.c): one test per kind of problem, each
 * checking the count it returns and the exact "FILE:LINE: reason" lines it
 * prints, so that an operator's error messages stay what the docs show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/mobility/mob_config.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct mob_config cfg;

/* The testbed of examples/testbed.yaml; site i starts on line 5 + 8 i. */
static int setup(void **state)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.n_sites = 3;
    for (unsigned i = 0; i < 3; i++) {
        struct mob_site *s = &cfg.sites[i];
        snprintf(s->name, sizeof s->name, "site%u", i + 1);
        s->dpid = i + 1;
        s->prefix = IP(10, i + 1, 0, 0);
        s->prefix_len = 24;
        s->gateway = IP(10, i + 1, 0, 1);
        s->uplinks[0] = 1;
        s->n_uplinks = 1;
        for (unsigned k = 0; k < 3; k++) {
            s->hypervisor_ports[k] = 10 + k;
        }
        s->n_hypervisor_ports = 3;
        s->pool_first = IP(10, i + 1, 0, 200);
        s->pool_last = IP(10, i + 1, 0, 249);
        s->line = 5 + 8 * i;
    }
    return 0;
}

static void add_node(const char *mac, uint32_t hoa, unsigned line)
{
    struct mob_static_node *n = &cfg.nodes[cfg.n_nodes++];
    assert_true(eth_addr_parse(mac, &n->mac));
    n->hoa = hoa;
    n->line = line;
}

static char out[8192];

/* Runs the validation with stderr captured into `out`. */
static unsigned validate(void)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    unsigned n = mob_config_validate(&cfg, "test.yaml");
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t len = fread(out, 1, sizeof out - 1, tmp);
    out[len] = '\0';
    fclose(tmp);
    return n;
}

static void expect(unsigned errors, const char *text)
{
    unsigned n = validate();
    assert_string_equal(out, text);
    assert_int_equal(n, errors);
}

static void test_testbed_is_valid(void **state)
{
    add_node("52:54:00:12:34:56", IP(10, 1, 0, 10), 30);
    add_node("52:54:00:12:34:57", IP(10, 3, 0, 199), 33);
    expect(0, "");
    /* Prefixes that touch without overlapping are fine. */
    cfg.sites[2].prefix = IP(10, 1, 1, 0);
    cfg.sites[2].gateway = IP(10, 1, 1, 1);
    cfg.sites[2].pool_first = IP(10, 1, 1, 2);
    cfg.sites[2].pool_last = IP(10, 1, 1, 254);
    cfg.n_nodes = 1;
    expect(0, "");
    /* A pool of one address, right next to the gateway. */
    cfg.sites[1].pool_first = cfg.sites[1].pool_last = IP(10, 2, 0, 2);
    expect(0, "");
    cfg.n_sites = 0;
    cfg.n_nodes = 0;
    expect(0, "");
}

static void test_duplicate_name(void **state)
{
    snprintf(cfg.sites[2].name, sizeof cfg.sites[2].name, "site1");
    expect(1, "test.yaml:21: site site1 has the name of site site1 (line 5)\n");
}

static void test_duplicate_dpid(void **state)
{
    cfg.sites[2].dpid = 2;
    expect(1, "test.yaml:21: site site3 has the dpid of site site2 (line 13)\n");
    cfg.sites[1].dpid = 1;
    cfg.sites[2].dpid = 1;
    expect(3, "test.yaml:13: site site2 has the dpid of site site1 (line 5)\n"
              "test.yaml:21: site site3 has the dpid of site site1 (line 5)\n"
              "test.yaml:21: site site3 has the dpid of site site2 (line 13)\n");
}

static void test_overlapping_prefixes(void **state)
{
    /* Inside site1's /24. */
    struct mob_site *s = &cfg.sites[2];
    s->prefix = IP(10, 1, 0, 128);
    s->prefix_len = 25;
    s->gateway = IP(10, 1, 0, 129);
    s->pool_first = IP(10, 1, 0, 200);
    s->pool_last = IP(10, 1, 0, 249);
    expect(1, "test.yaml:21: site site3 overlaps the prefix of site site1 (line 5)\n");
    /* Around both others. */
    s->prefix = IP(10, 0, 0, 0);
    s->prefix_len = 8;
    s->gateway = IP(10, 9, 0, 1);
    s->pool_first = IP(10, 9, 0, 2);
    s->pool_last = IP(10, 9, 0, 9);
    expect(2, "test.yaml:21: site site3 overlaps the prefix of site site1 (line 5)\n"
              "test.yaml:21: site site3 overlaps the prefix of site site2 (line 13)\n");
    /* The same prefix twice. */
    *s = cfg.sites[1];
    snprintf(s->name, sizeof s->name, "site3");
    s->dpid = 3;
    s->line = 21;
    expect(1, "test.yaml:21: site site3 overlaps the prefix of site site2 (line 13)\n");
}

static void test_gateway_outside_prefix(void **state)
{
    cfg.sites[1].gateway = IP(10, 3, 0, 1);
    expect(1, "test.yaml:13: site site2: gateway 10.3.0.1 is outside its prefix\n");
}

static void test_pool_backwards(void **state)
{
    cfg.sites[0].pool_first = IP(10, 1, 0, 249);
    cfg.sites[0].pool_last = IP(10, 1, 0, 200);
    expect(1, "test.yaml:5: site site1: the MoA pool must be a range inside the prefix\n");
}

static void test_pool_outside_prefix(void **state)
{
    const char *msg = "test.yaml:13: site site2: the MoA pool must be a range inside the prefix\n";
    cfg.sites[1].pool_last = IP(10, 2, 1, 10); /* runs past the end */
    expect(1, msg);
    cfg.sites[1].pool_first = IP(10, 1, 255, 250); /* starts before */
    cfg.sites[1].pool_last = IP(10, 2, 0, 20);
    expect(1, msg);
    cfg.sites[1].pool_first = IP(10, 3, 0, 210); /* another site's range */
    cfg.sites[1].pool_last = IP(10, 3, 0, 220);
    expect(1, msg);
}

static void test_pool_holds_gateway(void **state)
{
    cfg.sites[1].pool_first = IP(10, 2, 0, 1);
    expect(1, "test.yaml:13: site site2: the MoA pool holds the gateway address\n");
    cfg.sites[1].pool_first = IP(10, 2, 0, 0);
    cfg.sites[1].pool_last = IP(10, 2, 0, 1);
    expect(1, "test.yaml:13: site site2: the MoA pool holds the network or broadcast address\n");
    cfg.sites[1].pool_first = IP(10, 2, 0, 250);
    cfg.sites[1].pool_last = IP(10, 2, 0, 255);
    expect(1, "test.yaml:13: site site2: the MoA pool holds the network or broadcast address\n");
    cfg.sites[1].pool_first = cfg.sites[1].pool_last = IP(10, 2, 0, 1);
    expect(1, "test.yaml:13: site site2: the MoA pool holds the gateway address\n");
}

static void test_uplinks(void **state)
{
    cfg.sites[2].n_uplinks = 0;
    expect(1, "test.yaml:21: site site3: needs at least one uplink port\n");
    cfg.sites[2].n_uplinks = 2;
    cfg.sites[2].uplinks[1] = 11;
    expect(1, "test.yaml:21: site site3: port 11 is both uplink and hypervisor port\n");
    cfg.sites[2].uplinks[0] = 10;
    expect(2, "test.yaml:21: site site3: port 10 is both uplink and hypervisor port\n"
              "test.yaml:21: site site3: port 11 is both uplink and hypervisor port\n");
}

/* The table packets go to after the mobility rules (a learning switch's):
 * 0 is NORMAL; tables 0-2 are the mobility rules' own, 255 means "all". */
static void test_forward_table(void **state)
{
    cfg.sites[0].forward_table = 3;
    cfg.sites[1].forward_table = 254;
    expect(0, "");
    cfg.sites[2].forward_table = 2;
    expect(1, "test.yaml:21: site site3: forward_table 2: tables 0-2 hold the mobility rules; "
              "forward to a table from 3 to 254, or 0 for NORMAL\n");
    cfg.sites[2].forward_table = 1;
    cfg.sites[0].forward_table = 255;
    expect(2, "test.yaml:5: site site1: forward_table 255: tables 0-2 hold the mobility rules; "
              "forward to a table from 3 to 254, or 0 for NORMAL\n"
              "test.yaml:21: site site3: forward_table 1: tables 0-2 hold the mobility rules; "
              "forward to a table from 3 to 254, or 0 for NORMAL\n");
}

static void test_static_node_outside(void **state)
{
    add_node("52:54:00:12:34:56", IP(10, 9, 0, 5), 30);
    expect(1, "test.yaml:30: mobile node 10.9.0.5 is in no site's prefix\n");
}

static void test_static_node_in_pool_or_gateway(void **state)
{
    add_node("52:54:00:12:34:56", IP(10, 2, 0, 200), 30);
    add_node("52:54:00:12:34:57", IP(10, 2, 0, 249), 33);
    add_node("52:54:00:12:34:58", IP(10, 3, 0, 1), 36);
    add_node("52:54:00:12:34:59", IP(10, 3, 0, 250), 39); /* just past the pool */
    expect(3, "test.yaml:30: mobile node 10.2.0.200 is the gateway or in the MoA pool\n"
              "test.yaml:33: mobile node 10.2.0.249 is the gateway or in the MoA pool\n"
              "test.yaml:36: mobile node 10.3.0.1 is the gateway or in the MoA pool\n");
}

static void test_static_node_repeated(void **state)
{
    add_node("52:54:00:12:34:56", IP(10, 1, 0, 10), 30);
    add_node("52:54:00:12:34:56", IP(10, 1, 0, 11), 33); /* same MAC */
    add_node("52:54:00:12:34:57", IP(10, 1, 0, 10), 36); /* same HoA as line 30 */
    add_node("52:54:00:12:34:58", IP(10, 1, 0, 12), 39);
    expect(2, "test.yaml:33: mobile node repeats the MAC or HoA of line 30\n"
              "test.yaml:36: mobile node repeats the MAC or HoA of line 30\n");
    /* Both at once against one earlier line: one message per pair. */
    cfg.n_nodes = 0;
    add_node("52:54:00:12:34:56", IP(10, 1, 0, 10), 30);
    add_node("52:54:00:12:34:56", IP(10, 1, 0, 10), 33);
    add_node("52:54:00:12:34:56", IP(10, 1, 0, 10), 36);
    expect(3, "test.yaml:33: mobile node repeats the MAC or HoA of line 30\n"
              "test.yaml:36: mobile node repeats the MAC or HoA of line 30\n"
              "test.yaml:36: mobile node repeats the MAC or HoA of line 33\n");
}

/* Every problem is reported, not only the first. */
static void test_problems_add_up(void **state)
{
    cfg.sites[0].gateway = IP(10, 2, 0, 1);
    cfg.sites[0].n_uplinks = 0;
    cfg.sites[1].pool_last = IP(10, 2, 0, 100);
    cfg.sites[2].dpid = 1;
    add_node("52:54:00:12:34:56", IP(192, 168, 0, 1), 30);
    expect(5, "test.yaml:5: site site1: gateway 10.2.0.1 is outside its prefix\n"
              "test.yaml:5: site site1: needs at least one uplink port\n"
              "test.yaml:13: site site2: the MoA pool must be a range inside the prefix\n"
              "test.yaml:21: site site3 has the dpid of site site1 (line 5)\n"
              "test.yaml:30: mobile node 192.168.0.1 is in no site's prefix\n");
}

static void test_site_of_addr(void **state)
{
    assert_ptr_equal(mob_site_of_addr(&cfg, IP(10, 2, 0, 77)), &cfg.sites[1]);
    assert_ptr_equal(mob_site_of_addr(&cfg, IP(10, 1, 0, 0)), &cfg.sites[0]);
    assert_ptr_equal(mob_site_of_addr(&cfg, IP(10, 1, 0, 255)), &cfg.sites[0]);
    assert_ptr_equal(mob_site_of_addr(&cfg, IP(10, 3, 0, 1)), &cfg.sites[2]);
    assert_ptr_equal(mob_site_of_addr(&cfg, IP(10, 3, 0, 200)), &cfg.sites[2]);
    assert_null(mob_site_of_addr(&cfg, IP(10, 1, 1, 0)));
    assert_null(mob_site_of_addr(&cfg, IP(10, 0, 255, 255)));
    assert_null(mob_site_of_addr(&cfg, IP(10, 4, 0, 20)));
    assert_null(mob_site_of_addr(&cfg, 0));
    assert_null(mob_site_of_addr(&cfg, UINT32_MAX));
    /* Prefix lengths other than 24. */
    cfg.sites[1].prefix = IP(172, 16, 0, 0);
    cfg.sites[1].prefix_len = 12;
    assert_ptr_equal(mob_site_of_addr(&cfg, IP(172, 31, 255, 254)), &cfg.sites[1]);
    assert_null(mob_site_of_addr(&cfg, IP(172, 32, 0, 1)));
    cfg.sites[2].prefix = IP(10, 3, 0, 7);
    cfg.sites[2].prefix_len = 32;
    assert_ptr_equal(mob_site_of_addr(&cfg, IP(10, 3, 0, 7)), &cfg.sites[2]);
    assert_null(mob_site_of_addr(&cfg, IP(10, 3, 0, 6)));
    cfg.n_sites = 0;
    assert_null(mob_site_of_addr(&cfg, IP(10, 1, 0, 10)));
}

static void test_site_of_dpid(void **state)
{
    for (unsigned i = 0; i < 3; i++) {
        assert_ptr_equal(mob_site_of_dpid(&cfg, i + 1), &cfg.sites[i]);
    }
    assert_null(mob_site_of_dpid(&cfg, 0));
    assert_null(mob_site_of_dpid(&cfg, 4));
    assert_null(mob_site_of_dpid(&cfg, 0x100000001ull)); /* no truncation to 32 bits */
    cfg.sites[1].dpid = UINT64_MAX;
    assert_ptr_equal(mob_site_of_dpid(&cfg, UINT64_MAX), &cfg.sites[1]);
    assert_null(mob_site_of_dpid(&cfg, 2));
}

static void test_port_roles(void **state)
{
    const struct mob_site *s = &cfg.sites[0];
    assert_true(mob_site_is_uplink(s, 1));
    assert_false(mob_site_is_hypervisor_port(s, 1));
    for (uint32_t p = 10; p <= 12; p++) {
        assert_true(mob_site_is_hypervisor_port(s, p));
        assert_false(mob_site_is_uplink(s, p));
    }
    const uint32_t neither[] = {0, 2, 9, 13, 0xfffffffe, 0xffffffff};
    for (unsigned i = 0; i < sizeof neither / sizeof neither[0]; i++) {
        assert_false(mob_site_is_uplink(s, neither[i]));
        assert_false(mob_site_is_hypervisor_port(s, neither[i]));
    }
    /* Only the first n entries count. */
    cfg.sites[0].n_hypervisor_ports = 1;
    assert_true(mob_site_is_hypervisor_port(s, 10));
    assert_false(mob_site_is_hypervisor_port(s, 11));
    cfg.sites[0].n_uplinks = 0;
    assert_false(mob_site_is_uplink(s, 1));
}

static void test_prefix_mask(void **state)
{
    assert_int_equal(mob_prefix_mask(0), 0);
    assert_int_equal(mob_prefix_mask(1), 0x80000000u);
    assert_int_equal(mob_prefix_mask(8), 0xff000000u);
    assert_int_equal(mob_prefix_mask(24), 0xffffff00u);
    assert_int_equal(mob_prefix_mask(31), 0xfffffffeu);
    assert_int_equal(mob_prefix_mask(32), 0xffffffffu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_testbed_is_valid, setup),
        cmocka_unit_test_setup(test_duplicate_name, setup),
        cmocka_unit_test_setup(test_duplicate_dpid, setup),
        cmocka_unit_test_setup(test_overlapping_prefixes, setup),
        cmocka_unit_test_setup(test_gateway_outside_prefix, setup),
        cmocka_unit_test_setup(test_pool_backwards, setup),
        cmocka_unit_test_setup(test_pool_outside_prefix, setup),
        cmocka_unit_test_setup(test_pool_holds_gateway, setup),
        cmocka_unit_test_setup(test_uplinks, setup),
        cmocka_unit_test_setup(test_forward_table, setup),
        cmocka_unit_test_setup(test_static_node_outside, setup),
        cmocka_unit_test_setup(test_static_node_in_pool_or_gateway, setup),
        cmocka_unit_test_setup(test_static_node_repeated, setup),
        cmocka_unit_test_setup(test_problems_add_up, setup),
        cmocka_unit_test_setup(test_site_of_addr, setup),
        cmocka_unit_test_setup(test_site_of_dpid, setup),
        cmocka_unit_test_setup(test_port_roles, setup),
        cmocka_unit_test_setup(test_prefix_mask, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
