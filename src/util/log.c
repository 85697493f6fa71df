/* log.c - levelled, rate-limited logging to stderr. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static enum log_level current_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

bool log_level_parse(const char *s, enum log_level *out)
{
    for (unsigned i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (!strcasecmp(s, level_names[i])) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

bool log_enabled(enum log_level level)
{
    return level >= current_level;
}

uint64_t time_msec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t time_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

double time_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void time_iso8601(double unix_seconds, char buf[32])
{
    time_t t = (time_t)unix_seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void vlog(enum log_level level, const char *module, const char *suffix,
                 const char *fmt, va_list ap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    fprintf(stderr, "%s.%03ldZ %s %s: %s%s\n", stamp, ts.tv_nsec / 1000000,
            level_names[level], module, text, suffix);
}

void log_msg(enum log_level level, const char *module, const char *fmt, ...)
{
    if (!log_enabled(level)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, "", fmt, ap);
    va_end(ap);
}

void log_msg_rl(struct log_ratelimit *rl, enum log_level level, const char *module,
                const char *fmt, ...)
{
    if (!log_enabled(level)) {
        return;
    }
    uint64_t now = time_msec();
    if (!rl->started) {
        rl->started = true;
        rl->tokens = rl->burst;
        rl->last_ms = now;
    }
    rl->tokens += (double)(now - rl->last_ms) / rl->interval_ms;
    if (rl->tokens > rl->burst) {
        rl->tokens = rl->burst;
    }
    rl->last_ms = now;
    if (rl->tokens < 1) {
        rl->suppressed++;
        return;
    }
    rl->tokens -= 1;
    char suffix[64] = "";
    if (rl->suppressed) {
        snprintf(suffix, sizeof suffix, " (%llu similar lines suppressed)",
                 (unsigned long long)rl->suppressed);
        rl->suppressed = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vlog(level, module, suffix, fmt, ap);
    va_end(ap);
}
