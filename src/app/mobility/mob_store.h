/* mob_store.h - bindings, MoA allocations and moves in flight on disk
 * (SQLite, WAL).
 *
 * A binding is written before its update is reported complete; on start the
 * daemon reads them back. WAL with synchronous=NORMAL survives a crash of the
 * process (kill -9): a committed transaction is in the log file when the call
 * returns. Surviving power loss needs synchronous=FULL (a setting). */
#ifndef MATFLOW_MOB_STORE_H
#define MATFLOW_MOB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/eth_addr.h"

struct mob_store;

/* A row: a node away from home (or learned at home: away = false). */
struct mob_stored_binding {
    uint32_t id;
    uint32_t hoa;
    struct eth_addr mac;
    char home[32];
    bool away;
    char site[32];
    uint32_t port;
    uint32_t moa;
    uint32_t epoch;
    double since;
};

/* A move that started and has not settled (completed or failed): if the
 * daemon dies meanwhile, it is resumed at the next start (mob_resume.c). */
struct mob_stored_move {
    uint32_t hoa;
    char site[32];
    uint32_t port;
    uint32_t epoch;
};

/* Opens (creating) the database; NULL with the reason on stderr. */
struct mob_store *mob_store_open(const char *path, bool sync_full);
void mob_store_close(struct mob_store *st);
/* True if commits wait for the disk (SQLite synchronous=FULL: survives a
 * power loss), as the database itself reports it. */
bool mob_store_survives_power_loss(struct mob_store *st);
bool mob_store_put(struct mob_store *st, const struct mob_stored_binding *b);
bool mob_store_delete(struct mob_store *st, uint32_t hoa);
/* The moves, in one transaction. */
bool mob_store_put_moves(struct mob_store *st, const struct mob_stored_move *v, size_t n);
bool mob_store_delete_move(struct mob_store *st, uint32_t hoa);
/* The binding and the end of its move, in one transaction. */
bool mob_store_put_settled(struct mob_store *st, const struct mob_stored_binding *b);
int mob_store_load_moves(struct mob_store *st, void (*fn)(void *, const struct mob_stored_move *),
                         void *arg);
/* Calls fn for every stored binding; returns the number read, -1 on error. */
int mob_store_load(struct mob_store *st, void (*fn)(void *, const struct mob_stored_binding *),
                   void *arg);

#endif
