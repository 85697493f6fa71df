/* fuzz_config.c - libFuzzer target for the configuration loader
 * (src/daemon/config.c, config_sites.c, and the site checks of
 * src/app/mobility/mob_config.c): the input is a YAML file, read as
 * `matflowd --config FILE` and `--check-config FILE` read theirs.
 *
 * The loader takes a path, so the input goes into a memory file
 * (/proc/self/fd/N). A file is accepted or refused with its errors on
 * stderr (run with -close_fd_mask=2 to keep them quiet); either way
 * nothing may leak or be read out of bounds, and an accepted file must
 * survive what the daemon does next with it.
 *
 * config_init() callocs a 2.4 MB struct mob_config (MOB_MAX_SITES sites):
 * fresh from mmap for every input, that costs ASan page faults and TLB
 * shootdowns that slow the fuzzer and the whole machine. So the target
 * sets up each config as config_init() does but reuses one zeroed
 * mob_config; a check at the first input makes sure that the result still
 * equals config_init()'s, field for field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_config: %s\n", what);
    abort();
}

/* config_init(c), with mob as its mob_config (zeroed, guard defaults). */
static void config_init_reusing(struct config *c, struct mob_config *mob)
{
    memset(c, 0, sizeof *c);
    c->api_path = strdup(MATFLOW_DEFAULT_API);
    c->db_path = strdup(MATFLOW_DEFAULT_DB);
    memset(mob, 0, sizeof *mob);
    mob_guard_defaults(&mob->guard);
    c->mob = mob;
    c->log_level = LOG_INFO;
    core_options_default(&c->core);
}

/* config_free(c), leaving c->mob to the caller. */
static void config_free_reusing(struct config *c)
{
    c->mob = NULL;
    config_free(c);
}

/* The pointers of a fresh config set aside, the rest compared byte for byte. */
static void check_same_as_config_init(struct mob_config *mob)
{
    static struct config a, b;
    config_init(&a);
    config_init_reusing(&b, mob);
    bool same = !strcmp(a.api_path, b.api_path) && !strcmp(a.db_path, b.db_path) &&
                memcmp(a.mob, b.mob, sizeof *mob) == 0;
    free(a.api_path);
    free(a.db_path);
    free(b.api_path);
    free(b.db_path);
    a.api_path = b.api_path = a.db_path = b.db_path = NULL;
    free(a.mob);
    a.mob = b.mob = NULL;
    if (!same || memcmp(&a, &b, sizeof a) != 0) {
        die("config_init() changed: update config_init_reusing() in fuzz_config.c");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct mob_config *mob;
    if (!mob) {
        mob = malloc(sizeof *mob);
        if (!mob) {
            die("malloc");
        }
        check_same_as_config_init(mob);
    }
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz_config.yaml", 0);
        if (fd < 0) {
            die("memfd_create failed");
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size) {
        die("cannot write the memory file");
    }
    struct config c;
    config_init_reusing(&c, mob);
    if (config_load(&c, path)) {
        config_check_tls(&c);
        config_settle_forwarding(&c);
        for (unsigned i = 0; i < c.mob->n_sites; i++) {
            if (mob_site_of_dpid(c.mob, c.mob->sites[i].dpid) != &c.mob->sites[i]) {
                abort(); /* dpids were checked unique */
            }
        }
    }
    config_free_reusing(&c);
    return 0;
}
