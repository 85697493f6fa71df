/* test_mob_store.c - the bindings store (src/app/mobility/mob_store.c) on
 * a real SQLite file in a temporary directory: round trips of every field,
 * replacement by HoA, deletion, persistence across a close and across a
 * process that dies without closing, WAL mode seen from another connection,
 * refusal of paths and files it cannot use, rows it cannot read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app/mobility/mob_store.h"
#include "util/log.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct fixture {
    char dir[64];
    char path[128]; /* dir/sub/bindings.db: the store makes "sub" itself */
};

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(p);
}

static int setup(void **state)
{
    log_set_level(LOG_ERROR);
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/matflow-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/sub/bindings.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Rows read back by mob_store_load(). */
struct loaded {
    unsigned n;
    struct mob_stored_binding b[8];
};

static void load_cb(void *arg, const struct mob_stored_binding *b)
{
    struct loaded *l = arg;
    assert_true(l->n < 8);
    l->b[l->n++] = *b;
}

static int load(struct mob_store *st, struct loaded *l)
{
    memset(l, 0, sizeof *l);
    return mob_store_load(st, load_cb, l);
}

static struct mob_stored_binding row(uint32_t id, uint32_t hoa, const char *mac, bool away,
                                     const char *site, uint32_t moa, uint32_t epoch)
{
    struct mob_stored_binding b;
    memset(&b, 0, sizeof b);
    b.id = id;
    b.hoa = hoa;
    assert_true(eth_addr_parse(mac, &b.mac));
    snprintf(b.home, sizeof b.home, "site1");
    b.away = away;
    snprintf(b.site, sizeof b.site, "%s", site);
    b.port = 10 + id;
    b.moa = moa;
    b.epoch = epoch;
    b.since = 1764141000.25 + id;
    return b;
}

static void assert_same_binding(const struct mob_stored_binding *a,
                                const struct mob_stored_binding *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->hoa, b->hoa);
    assert_memory_equal(a->mac.b, b->mac.b, 6);
    assert_string_equal(a->home, b->home);
    assert_int_equal(a->away, b->away);
    assert_string_equal(a->site, b->site);
    assert_int_equal(a->port, b->port);
    assert_int_equal(a->moa, b->moa);
    assert_int_equal(a->epoch, b->epoch);
    assert_true(a->since == b->since); /* a REAL keeps a double exactly */
}

/* A second connection, as another process (or the operator) would have. */
static sqlite3 *peek(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 2000);
    return db;
}

static char *query_text(sqlite3 *db, const char *sql)
{
    static char buf[256];
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return buf;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fail_msg("%s: %s", sql, err ? err : "?");
    }
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void test_open_creates_empty(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    assert_true(exists(f->path));
    struct loaded l;
    assert_int_equal(load(st, &l), 0);
    assert_int_equal(l.n, 0);
    mob_store_close(st);
    mob_store_close(NULL); /* allowed, like free() */
}

/* controller.durability: power is SQLite's FULL, crash its NORMAL. */
static void test_durability(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    assert_false(mob_store_survives_power_loss(st));
    mob_store_close(st);
    st = mob_store_open(f->path, true);
    assert_non_null(st);
    assert_true(mob_store_survives_power_loss(st));
    mob_store_close(st);
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct mob_stored_binding in[4] = {
        row(3, IP(10, 1, 0, 12), "52:54:00:00:00:03", true, "site3", IP(10, 3, 0, 201), 7),
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1),
        row(2, IP(10, 1, 0, 11), "52:54:00:ab:cd:ef", false, "site1", IP(10, 1, 0, 11), 0),
        /* The edges of each field's range. */
        row(0xffffff, UINT32_MAX, "ff:ff:ff:ff:ff:fe", true, "site2", IP(255, 255, 255, 254),
            0xfffff),
    };
    in[3].port = 0xfffffffe;
    in[3].since = 0.0;
    snprintf(in[3].home, sizeof in[3].home, "a-site-name-of-31-characters-xx");
    for (unsigned i = 0; i < 4; i++) {
        assert_true(mob_store_put(st, &in[i]));
    }
    struct loaded l;
    assert_int_equal(load(st, &l), 4);
    assert_int_equal(l.n, 4);
    /* Read back in binding id order, whatever the order of writing. */
    assert_same_binding(&l.b[0], &in[1]);
    assert_same_binding(&l.b[1], &in[2]);
    assert_same_binding(&l.b[2], &in[0]);
    assert_same_binding(&l.b[3], &in[3]);
    /* Loading twice gives the same rows (the statement is reset). */
    assert_int_equal(load(st, &l), 4);
    assert_same_binding(&l.b[0], &in[1]);
    mob_store_close(st);
}

static void test_replace_same_hoa(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct mob_stored_binding a =
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1);
    struct mob_stored_binding b =
        row(2, IP(10, 1, 0, 11), "52:54:00:ab:cd:ef", true, "site3", IP(10, 3, 0, 200), 4);
    assert_true(mob_store_put(st, &a));
    assert_true(mob_store_put(st, &b));
    /* The node moves on: same HoA, new site, MoA, epoch, port, time. */
    struct mob_stored_binding a2 = a;
    snprintf(a2.site, sizeof a2.site, "site3");
    a2.moa = IP(10, 3, 0, 201);
    a2.epoch = 2;
    a2.port = 12;
    a2.since += 60;
    assert_true(mob_store_put(st, &a2));
    struct loaded l;
    assert_int_equal(load(st, &l), 2);
    assert_same_binding(&l.b[0], &a2);
    assert_same_binding(&l.b[1], &b);
    /* And home again. */
    struct mob_stored_binding a3 = a2;
    a3.away = false;
    snprintf(a3.site, sizeof a3.site, "site1");
    a3.moa = a3.hoa;
    a3.epoch = 3;
    assert_true(mob_store_put(st, &a3));
    assert_int_equal(load(st, &l), 2);
    assert_same_binding(&l.b[0], &a3);
    mob_store_close(st);
}

static void test_delete(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct mob_stored_binding a =
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1);
    struct mob_stored_binding b =
        row(2, IP(10, 1, 0, 11), "52:54:00:ab:cd:ef", true, "site3", IP(10, 3, 0, 200), 4);
    assert_true(mob_store_put(st, &a));
    assert_true(mob_store_put(st, &b));
    assert_true(mob_store_delete(st, a.hoa));
    struct loaded l;
    assert_int_equal(load(st, &l), 1);
    assert_same_binding(&l.b[0], &b);
    /* Deleting what is not there is not an error, and changes nothing. */
    assert_true(mob_store_delete(st, a.hoa));
    assert_true(mob_store_delete(st, IP(10, 9, 9, 9)));
    assert_int_equal(load(st, &l), 1);
    /* The key is the HoA, not the id. */
    assert_true(mob_store_delete(st, b.id));
    assert_int_equal(load(st, &l), 1);
    assert_true(mob_store_delete(st, b.hoa));
    assert_int_equal(load(st, &l), 0);
    /* A deleted HoA can be written again. */
    assert_true(mob_store_put(st, &a));
    assert_int_equal(load(st, &l), 1);
    assert_same_binding(&l.b[0], &a);
    mob_store_close(st);
}

static void test_persists_across_close(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct mob_stored_binding a =
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1);
    struct mob_stored_binding b =
        row(2, IP(10, 1, 0, 11), "52:54:00:ab:cd:ef", true, "site3", IP(10, 3, 0, 200), 4);
    assert_true(mob_store_put(st, &a));
    assert_true(mob_store_put(st, &b));
    assert_true(mob_store_delete(st, b.hoa));
    mob_store_close(st);

    st = mob_store_open(f->path, true);
    assert_non_null(st);
    struct loaded l;
    assert_int_equal(load(st, &l), 1);
    assert_same_binding(&l.b[0], &a);
    assert_true(mob_store_put(st, &b));
    mob_store_close(st);

    st = mob_store_open(f->path, false);
    assert_non_null(st);
    assert_int_equal(load(st, &l), 2);
    assert_same_binding(&l.b[1], &b);
    mob_store_close(st);
}

/* kill -9 right after a write: what mob_store_put() returned true for is
 * on disk (in the WAL), as the header promises. */
static void test_survives_a_crash(void **state)
{
    struct fixture *f = *state;
    struct mob_stored_binding a =
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct mob_store *st = mob_store_open(f->path, false);
        if (!st || !mob_store_put(st, &a)) {
            _exit(1);
        }
        _exit(0); /* no close, no checkpoint, no atexit */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(exists(f->path));
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct loaded l;
    assert_int_equal(load(st, &l), 1);
    assert_same_binding(&l.b[0], &a);
    mob_store_close(st);
}

static void test_wal_mode(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct mob_stored_binding a =
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1);
    assert_true(mob_store_put(st, &a));
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_true(exists(wal));
    /* WAL is a property of the file: another connection sees it, and reads
     * the committed row while the store is still open. */
    sqlite3 *db = peek(f->path);
    assert_string_equal(query_text(db, "PRAGMA journal_mode;"), "wal");
    assert_string_equal(query_text(db, "SELECT mac FROM bindings WHERE hoa = 167837706;"),
                        "52:54:00:12:34:56");
    assert_string_equal(query_text(db, "SELECT site || ',' || moa || ',' || epoch FROM bindings;"),
                        "site2,167903432,1");
    sqlite3_close(db);
    mob_store_close(st);
}

static char err_out[4096];

/* Opens with stderr captured into err_out. */
static struct mob_store *open_captured(const char *path)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    struct mob_store *st = mob_store_open(path, false);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t len = fread(err_out, 1, sizeof err_out - 1, tmp);
    err_out[len] = '\0';
    fclose(tmp);
    return st;
}

/* The operator's message is a line of its own (a log line may precede it). */
static void assert_has_line(const char *s, const char *prefix)
{
    for (const char *line = s; *line; line = strchr(line, '\n') + 1) {
        if (!strncmp(line, prefix, strlen(prefix))) {
            return;
        }
        if (!strchr(line, '\n')) {
            break;
        }
    }
    fail_msg("no line of \"%s\" starts with \"%s\"", s, prefix);
}

static void test_bad_paths(void **state)
{
    struct fixture *f = *state;
    char path[256], want[300];
    /* Missing directories are made, as mkdir -p does... */
    snprintf(path, sizeof path, "%s/no/such/dir/state.db", f->dir);
    struct mob_store *made = open_captured(path);
    assert_non_null(made);
    mob_store_close(made);
    assert_true(exists(path));
    /* ...but a file where a directory should be is an error. */
    snprintf(path, sizeof path, "%s/plain", f->dir);
    FILE *plain = fopen(path, "w");
    assert_non_null(plain);
    fclose(plain);
    snprintf(path, sizeof path, "%s/plain/state.db", f->dir);
    assert_null(open_captured(path));
    snprintf(want, sizeof want, "matflowd: cannot open database %s: ", path);
    assert_has_line(err_out, want);
    assert_false(exists(path));
    /* A directory is no database. */
    assert_null(open_captured(f->dir));
    assert_true(strstr(err_out, f->dir) != NULL);
    assert_has_line(err_out, "matflowd: cannot ");
    /* Nor is a file of something else; it is refused and left as it was. */
    snprintf(path, sizeof path, "%s/notes.txt", f->dir);
    FILE *t = fopen(path, "w");
    assert_non_null(t);
    const char text[] = "this is not an SQLite database, and it is long enough to be read\n";
    for (int i = 0; i < 100; i++) {
        fputs(text, t);
    }
    fclose(t);
    assert_null(open_captured(path));
    snprintf(want, sizeof want, "matflowd: cannot use database %s: ", path);
    assert_has_line(err_out, want);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 100 * (sizeof text - 1));
    t = fopen(path, "r");
    char line[128];
    assert_non_null(fgets(line, sizeof line, t));
    assert_string_equal(line, text);
    fclose(t);
}

/* Rows the store cannot use are skipped, not fatal; text longer than the
 * fields is cut, never overflows. */
static void test_bad_rows(void **state)
{
    struct fixture *f = *state;
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct mob_stored_binding a =
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1);
    assert_true(mob_store_put(st, &a));
    sqlite3 *db = peek(f->path);
    exec_sql(db, "INSERT INTO bindings VALUES (167837707, 2, 'not-a-mac', 'site1', 1, 'site2',"
                 " 10, 167903433, 1, 0.0);");
    exec_sql(db, "INSERT INTO bindings VALUES (167837708, 3, '52:54:00:00:00:03',"
                 " 'a-home-site-name-much-longer-than-thirty-one-bytes', 1,"
                 " 'another-very-long-site-name-over-the-limit', 10, 167903434, 1, 0.5);");
    sqlite3_close(db);
    struct loaded l;
    assert_int_equal(load(st, &l), 2);
    assert_int_equal(l.n, 2);
    assert_same_binding(&l.b[0], &a);
    assert_int_equal(l.b[1].id, 3);
    assert_int_equal(strlen(l.b[1].home), sizeof l.b[1].home - 1);
    assert_int_equal(strncmp(l.b[1].home, "a-home-site-name-much-longer-than", 31), 0);
    assert_int_equal(strlen(l.b[1].site), sizeof l.b[1].site - 1);
    mob_store_close(st);
}

/* Moves read back by mob_store_load_moves(). */
struct loaded_moves {
    unsigned n;
    struct mob_stored_move v[8];
};

static void move_cb(void *arg, const struct mob_stored_move *mv)
{
    struct loaded_moves *l = arg;
    assert_true(l->n < 8);
    l->v[l->n++] = *mv;
}

static int load_moves(struct mob_store *st, struct loaded_moves *l)
{
    memset(l, 0, sizeof *l);
    return mob_store_load_moves(st, move_cb, l);
}

static struct mob_stored_move move_of(uint32_t hoa, const char *site, uint32_t port,
                                      uint32_t epoch)
{
    struct mob_stored_move mv;
    memset(&mv, 0, sizeof mv);
    mv.hoa = hoa;
    snprintf(mv.site, sizeof mv.site, "%s", site);
    mv.port = port;
    mv.epoch = epoch;
    return mv;
}

/* Moves written in one transaction, replaced by HoA, deleted; a completed
 * binding takes its move with it in one transaction; all of it survives a
 * process that dies without closing. */
static void test_moves(void **state)
{
    struct fixture *f = *state;
    struct mob_stored_binding a =
        row(1, IP(10, 1, 0, 10), "52:54:00:12:34:56", true, "site2", IP(10, 2, 0, 200), 1);
    struct mob_stored_move v[3] = {move_of(a.hoa, "site2", 10, 1),
                                   move_of(IP(10, 1, 0, 11), "site3", 11, 4),
                                   move_of(IP(10, 1, 0, 12), "site3", 12, 2)};
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct mob_store *st = mob_store_open(f->path, false);
        bool ok = st && mob_store_put_moves(st, v, 3) &&
                  mob_store_put_moves(st, &(struct mob_stored_move){v[1].hoa, "site1", 13, 5}, 1) &&
                  mob_store_delete_move(st, v[2].hoa) && mob_store_put_settled(st, &a);
        _exit(ok ? 0 : 1); /* no close, no checkpoint */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    struct mob_store *st = mob_store_open(f->path, false);
    assert_non_null(st);
    struct loaded_moves lm;
    assert_int_equal(load_moves(st, &lm), 1); /* settled and deleted ones gone */
    assert_int_equal(lm.v[0].hoa, v[1].hoa);
    assert_string_equal(lm.v[0].site, "site1"); /* replaced by HoA */
    assert_int_equal(lm.v[0].port, 13);
    assert_int_equal(lm.v[0].epoch, 5);
    struct loaded l;
    assert_int_equal(load(st, &l), 1);
    assert_same_binding(&l.b[0], &a);
    /* Deleting a move that is not there is no error. */
    assert_true(mob_store_delete_move(st, v[2].hoa));
    assert_true(mob_store_put_moves(st, v, 0));
    assert_int_equal(load_moves(st, &lm), 1);
    mob_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_durability, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replace_same_hoa, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persists_across_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_survives_a_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wal_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moves, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
