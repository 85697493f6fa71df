/* mob_store.c - bindings in SQLite. */
#include "app/mobility/mob_store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"

#define MOD "store"

struct mob_store {
    sqlite3 *db;
    sqlite3_stmt *put, *del, *load;
    sqlite3_stmt *put_move, *del_move, *begin, *commit, *rollback;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS bindings ("
    " hoa INTEGER PRIMARY KEY, id INTEGER NOT NULL, mac TEXT NOT NULL, home TEXT NOT NULL,"
    " away INTEGER NOT NULL, site TEXT NOT NULL, port INTEGER NOT NULL, moa INTEGER NOT NULL,"
    " epoch INTEGER NOT NULL, since REAL NOT NULL);"
    /* Moves started and not yet settled: resumed after a crash. */
    "CREATE TABLE IF NOT EXISTS moves ("
    " hoa INTEGER PRIMARY KEY, site TEXT NOT NULL, port INTEGER NOT NULL,"
    " epoch INTEGER NOT NULL);";

static bool exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        LOG_ERR(MOD, "%s: %s", sql, err ? err : "?");
        sqlite3_free(err);
        return false;
    }
    return true;
}

/* Creates the directories above path, as mkdir -p; errors show at open. */
static void make_parent_dirs(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *last = strrchr(dir, '/');
    if (!last || last == dir) {
        return;
    }
    *last = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0750);
            *p = '/';
        }
    }
    mkdir(dir, 0750);
}

struct mob_store *mob_store_open(const char *path, bool sync_full)
{
    struct mob_store *st = calloc(1, sizeof *st);
    if (!st) {
        return NULL;
    }
    make_parent_dirs(path);
    if (sqlite3_open(path, &st->db) != SQLITE_OK) {
        fprintf(stderr, "matflowd: cannot open database %s: %s\n", path, sqlite3_errmsg(st->db));
        mob_store_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 2000);
    bool ok = exec(st->db, "PRAGMA journal_mode=WAL;") &&
              exec(st->db, sync_full ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;") &&
              exec(st->db, schema);
    ok = ok &&
         sqlite3_prepare_v2(st->db,
                            "INSERT OR REPLACE INTO bindings VALUES (?,?,?,?,?,?,?,?,?,?);", -1,
                            &st->put, NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(st->db, "DELETE FROM bindings WHERE hoa = ?;", -1, &st->del, NULL) ==
             SQLITE_OK &&
         sqlite3_prepare_v2(st->db,
                            "SELECT hoa, id, mac, home, away, site, port, moa, epoch, since "
                            "FROM bindings ORDER BY id;",
                            -1, &st->load, NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO moves VALUES (?,?,?,?);", -1,
                            &st->put_move, NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(st->db, "DELETE FROM moves WHERE hoa = ?;", -1, &st->del_move,
                            NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(st->db, "BEGIN;", -1, &st->begin, NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(st->db, "COMMIT;", -1, &st->commit, NULL) == SQLITE_OK &&
         sqlite3_prepare_v2(st->db, "ROLLBACK;", -1, &st->rollback, NULL) == SQLITE_OK;
    if (!ok) {
        fprintf(stderr, "matflowd: cannot use database %s: %s\n", path, sqlite3_errmsg(st->db));
        mob_store_close(st);
        return NULL;
    }
    return st;
}

bool mob_store_survives_power_loss(struct mob_store *st)
{
    sqlite3_stmt *q = NULL;
    bool full = false;
    if (sqlite3_prepare_v2(st->db, "PRAGMA synchronous;", -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW) {
        full = sqlite3_column_int(q, 0) >= 2; /* 2 FULL, 3 EXTRA */
    }
    sqlite3_finalize(q);
    return full;
}

void mob_store_close(struct mob_store *st)
{
    if (!st) {
        return;
    }
    sqlite3_finalize(st->put);
    sqlite3_finalize(st->del);
    sqlite3_finalize(st->load);
    sqlite3_finalize(st->put_move);
    sqlite3_finalize(st->del_move);
    sqlite3_finalize(st->begin);
    sqlite3_finalize(st->commit);
    sqlite3_finalize(st->rollback);
    sqlite3_close(st->db);
    free(st);
}

bool mob_store_put(struct mob_store *st, const struct mob_stored_binding *b)
{
    char mac[ETH_ADDR_STRLEN];
    snprintf(mac, sizeof mac, ETH_ADDR_FMT, ETH_ADDR_ARGS(b->mac));
    sqlite3_stmt *s = st->put;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, b->hoa);
    sqlite3_bind_int64(s, 2, b->id);
    sqlite3_bind_text(s, 3, mac, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, b->home, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 5, b->away);
    sqlite3_bind_text(s, 6, b->site, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 7, b->port);
    sqlite3_bind_int64(s, 8, b->moa);
    sqlite3_bind_int64(s, 9, b->epoch);
    sqlite3_bind_double(s, 10, b->since);
    if (sqlite3_step(s) != SQLITE_DONE) {
        LOG_ERR(MOD, "cannot write binding: %s", sqlite3_errmsg(st->db));
        return false;
    }
    return true;
}

bool mob_store_delete(struct mob_store *st, uint32_t hoa)
{
    sqlite3_reset(st->del);
    sqlite3_bind_int64(st->del, 1, hoa);
    if (sqlite3_step(st->del) != SQLITE_DONE) {
        LOG_ERR(MOD, "cannot delete binding: %s", sqlite3_errmsg(st->db));
        return false;
    }
    return true;
}

static void copy_text(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

int mob_store_load(struct mob_store *st, void (*fn)(void *, const struct mob_stored_binding *),
                   void *arg)
{
    sqlite3_stmt *s = st->load;
    sqlite3_reset(s);
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct mob_stored_binding b;
        memset(&b, 0, sizeof b);
        b.hoa = (uint32_t)sqlite3_column_int64(s, 0);
        b.id = (uint32_t)sqlite3_column_int64(s, 1);
        if (!eth_addr_parse((const char *)sqlite3_column_text(s, 2), &b.mac)) {
            LOG_WRN(MOD, "skipping a stored binding with a bad MAC");
            continue;
        }
        copy_text(b.home, sizeof b.home, sqlite3_column_text(s, 3));
        b.away = sqlite3_column_int(s, 4) != 0;
        copy_text(b.site, sizeof b.site, sqlite3_column_text(s, 5));
        b.port = (uint32_t)sqlite3_column_int64(s, 6);
        b.moa = (uint32_t)sqlite3_column_int64(s, 7);
        b.epoch = (uint32_t)sqlite3_column_int64(s, 8);
        b.since = sqlite3_column_double(s, 9);
        fn(arg, &b);
        n++;
    }
    return rc == SQLITE_DONE ? n : -1;
}

static bool step_done(struct mob_store *st, sqlite3_stmt *s, const char *what)
{
    sqlite3_reset(s);
    if (sqlite3_step(s) != SQLITE_DONE) {
        LOG_ERR(MOD, "cannot %s: %s", what, sqlite3_errmsg(st->db));
        sqlite3_reset(s);
        return false;
    }
    sqlite3_reset(s);
    return true;
}

static bool put_move(struct mob_store *st, const struct mob_stored_move *mv)
{
    sqlite3_stmt *s = st->put_move;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, mv->hoa);
    sqlite3_bind_text(s, 2, mv->site, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, mv->port);
    sqlite3_bind_int64(s, 4, mv->epoch);
    return step_done(st, s, "write a move");
}

static bool delete_move(struct mob_store *st, uint32_t hoa)
{
    sqlite3_reset(st->del_move);
    sqlite3_bind_int64(st->del_move, 1, hoa);
    return step_done(st, st->del_move, "delete a move");
}

/* Runs the writes between BEGIN and COMMIT: all of them or none. */
static bool in_transaction(struct mob_store *st, bool ok_so_far)
{
    if (ok_so_far && step_done(st, st->commit, "commit")) {
        return true;
    }
    step_done(st, st->rollback, "roll back");
    return false;
}

bool mob_store_put_moves(struct mob_store *st, const struct mob_stored_move *v, size_t n)
{
    if (!step_done(st, st->begin, "begin")) {
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        ok = put_move(st, &v[i]);
    }
    return in_transaction(st, ok);
}

bool mob_store_delete_move(struct mob_store *st, uint32_t hoa)
{
    return delete_move(st, hoa);
}

bool mob_store_put_settled(struct mob_store *st, const struct mob_stored_binding *b)
{
    if (!step_done(st, st->begin, "begin")) {
        return false;
    }
    return in_transaction(st, mob_store_put(st, b) && delete_move(st, b->hoa));
}

int mob_store_load_moves(struct mob_store *st, void (*fn)(void *, const struct mob_stored_move *),
                         void *arg)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT hoa, site, port, epoch FROM moves ORDER BY hoa;", -1,
                           &s, NULL) != SQLITE_OK) {
        LOG_ERR(MOD, "cannot read moves: %s", sqlite3_errmsg(st->db));
        return -1;
    }
    int n = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct mob_stored_move mv;
        memset(&mv, 0, sizeof mv);
        mv.hoa = (uint32_t)sqlite3_column_int64(s, 0);
        copy_text(mv.site, sizeof mv.site, sqlite3_column_text(s, 1));
        mv.port = (uint32_t)sqlite3_column_int64(s, 2);
        mv.epoch = (uint32_t)sqlite3_column_int64(s, 3);
        fn(arg, &mv);
        n++;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? n : -1;
}
