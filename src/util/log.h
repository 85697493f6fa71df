/* log.h - levelled, rate-limited logging to stderr.
 *
 * One line per event: "TIME LEVEL MODULE: text". Hot paths that a peer can
 * trigger at will (malformed messages, refused frames) log through a
 * per-call-site rate limiter so that a flood cannot fill the disk. */
#ifndef MATFLOW_LOG_H
#define MATFLOW_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug", "info", "warn" or "error"; false if none. */
bool log_level_parse(const char *s, enum log_level *out);
bool log_enabled(enum log_level level);

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Token bucket: `burst` lines, then one line per `interval_ms`; the number
 * suppressed meanwhile is reported with the next line that passes. */
struct log_ratelimit {
    uint32_t burst;
    uint32_t interval_ms;
    double tokens;
    uint64_t last_ms;
    uint64_t suppressed;
    bool started;
};
#define LOG_RATELIMIT_INIT {10, 1000, 0, 0, 0, false}

void log_msg_rl(struct log_ratelimit *rl, enum log_level level, const char *module,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define LOG_DBG(mod, ...) \
    do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, mod, __VA_ARGS__); } while (0)
#define LOG_INF(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define LOG_WRN(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define LOG_ERR(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
/* Rate-limited, one limiter per call site. */
#define LOG_RL(level, mod, ...)                                   \
    do {                                                          \
        static struct log_ratelimit rl_ = LOG_RATELIMIT_INIT;     \
        log_msg_rl(&rl_, level, mod, __VA_ARGS__);                \
    } while (0)

/* Monotonic milliseconds, for timers and rate limits; microseconds, for
 * timelines. */
uint64_t time_msec(void);
uint64_t time_usec(void);
/* Wall-clock time as "2026-11-26T06:30:00Z" into buf[32]. */
void time_iso8601(double unix_seconds, char buf[32]);
double time_wall(void);

#endif
