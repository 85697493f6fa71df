/* test_mob_pool.c - the MoA pools (src/app/mobility/mob_pool.c), driven
 * through a bare struct mob_app that has only its configuration: lowest
 * free address first, 0 when exhausted, taking back stored MoAs (refused
 * when used or outside the range), release and reuse, pools independent
 * per site, and the use count the API reports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/mobility/mob_internal.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static struct mob_config cfg;

/* Site i: 10.(i+1).0.0/24, pool .200-.249 (50 addresses); site3's pool
 * holds one address only. */
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
        s->pool_first = IP(10, i + 1, 0, 200);
        s->pool_last = IP(10, i + 1, 0, 249);
    }
    cfg.sites[2].pool_last = cfg.sites[2].pool_first;
    assert_int_equal(mob_config_validate(&cfg, "test"), 0);
    struct mob_app *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->cfg = &cfg;
    mob_pools_init(m);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    struct mob_app *m = *state;
    mob_pools_free(m);
    for (unsigned i = 0; i < cfg.n_sites; i++) {
        assert_null(m->pools[i].used);
    }
    free(m);
    return 0;
}

static void test_init(void **state)
{
    struct mob_app *m = *state;
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(m->pools[i].first, IP(10, i + 1, 0, 200));
        assert_int_equal(m->pools[i].n, 50);
        assert_int_equal(m->pools[i].n_used, 0);
        assert_non_null(m->pools[i].used);
    }
    assert_int_equal(m->pools[2].n, 1);
}

static void test_alloc_in_order_until_exhausted(void **state)
{
    struct mob_app *m = *state;
    for (uint32_t i = 0; i < 50; i++) {
        assert_int_equal(mob_pool_alloc(m, 1), IP(10, 2, 0, 200 + i));
        assert_int_equal(m->pools[1].n_used, i + 1);
    }
    /* Exhausted: 0, again and again, and nothing counted. */
    assert_int_equal(mob_pool_alloc(m, 1), 0);
    assert_int_equal(mob_pool_alloc(m, 1), 0);
    assert_int_equal(m->pools[1].n_used, 50);
    /* The other sites' pools are their own. */
    assert_int_equal(m->pools[0].n_used, 0);
    assert_int_equal(mob_pool_alloc(m, 0), IP(10, 1, 0, 200));
    assert_int_equal(mob_pool_alloc(m, 2), IP(10, 3, 0, 200));
    assert_int_equal(mob_pool_alloc(m, 2), 0);
    assert_int_equal(m->pools[2].n_used, 1);
}

/* Stored bindings take their MoA back at start; one address cannot be
 * taken twice, nor one outside the site's range. */
static void test_take(void **state)
{
    struct mob_app *m = *state;
    assert_true(mob_pool_take(m, 1, IP(10, 2, 0, 210)));
    assert_int_equal(m->pools[1].n_used, 1);
    assert_false(mob_pool_take(m, 1, IP(10, 2, 0, 210)));
    assert_int_equal(m->pools[1].n_used, 1);
    /* Both ends are in, their neighbours out. */
    assert_true(mob_pool_take(m, 1, IP(10, 2, 0, 200)));
    assert_true(mob_pool_take(m, 1, IP(10, 2, 0, 249)));
    const uint32_t outside[] = {IP(10, 2, 0, 199), IP(10, 2, 0, 250), IP(10, 2, 0, 1),
                                IP(10, 1, 0, 210), IP(10, 3, 0, 200), 0, UINT32_MAX};
    for (unsigned i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        assert_false(mob_pool_take(m, 1, outside[i]));
    }
    assert_int_equal(m->pools[1].n_used, 3);
    /* Allocation skips what was taken. */
    assert_int_equal(mob_pool_alloc(m, 1), IP(10, 2, 0, 201));
    for (uint32_t a = 202; a < 210; a++) {
        assert_int_equal(mob_pool_alloc(m, 1), IP(10, 2, 0, a));
    }
    assert_int_equal(mob_pool_alloc(m, 1), IP(10, 2, 0, 211));
    /* An allocated address cannot be taken either. */
    assert_false(mob_pool_take(m, 1, IP(10, 2, 0, 201)));
    /* Site 3's single address. */
    assert_true(mob_pool_take(m, 2, IP(10, 3, 0, 200)));
    assert_int_equal(mob_pool_alloc(m, 2), 0);
}

static void test_release_and_reuse(void **state)
{
    struct mob_app *m = *state;
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(mob_pool_alloc(m, 0), IP(10, 1, 0, 200 + i));
    }
    mob_pool_release(m, 0, IP(10, 1, 0, 203));
    mob_pool_release(m, 0, IP(10, 1, 0, 201));
    assert_int_equal(m->pools[0].n_used, 3);
    /* The lowest free address comes back first. */
    assert_int_equal(mob_pool_alloc(m, 0), IP(10, 1, 0, 201));
    assert_int_equal(mob_pool_alloc(m, 0), IP(10, 1, 0, 203));
    assert_int_equal(mob_pool_alloc(m, 0), IP(10, 1, 0, 205));
    assert_int_equal(m->pools[0].n_used, 6);
    /* Releasing what is free, or not in the pool, changes nothing (the
     * count never goes below what is really used). */
    mob_pool_release(m, 0, IP(10, 1, 0, 220));
    mob_pool_release(m, 0, IP(10, 1, 0, 10));
    mob_pool_release(m, 0, IP(10, 2, 0, 200));
    mob_pool_release(m, 0, 0);
    mob_pool_release(m, 0, UINT32_MAX);
    assert_int_equal(m->pools[0].n_used, 6);
    mob_pool_release(m, 0, IP(10, 1, 0, 200));
    mob_pool_release(m, 0, IP(10, 1, 0, 200));
    assert_int_equal(m->pools[0].n_used, 5);
    /* Released, it can be taken back too. */
    assert_true(mob_pool_take(m, 0, IP(10, 1, 0, 200)));
    /* A full pool with one address released gives exactly that one. */
    for (uint32_t i = 0; i < 50; i++) {
        mob_pool_alloc(m, 1);
    }
    mob_pool_release(m, 1, IP(10, 2, 0, 249));
    assert_int_equal(mob_pool_alloc(m, 1), IP(10, 2, 0, 249));
    assert_int_equal(mob_pool_alloc(m, 1), 0);
    /* The single-address pool cycles. */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(mob_pool_alloc(m, 2), IP(10, 3, 0, 200));
        assert_int_equal(mob_pool_alloc(m, 2), 0);
        mob_pool_release(m, 2, IP(10, 3, 0, 200));
        assert_int_equal(m->pools[2].n_used, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_in_order_until_exhausted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_take, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_and_reuse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
