/* bench_api.c - asks matflowd's control socket (one request line, one JSON
 * answer line), as matflowctl does. Blocking: only called between
 * measurements, never while an update is being timed. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench/bench.h"

#define ANSWER_TIMEOUT_MS 30000

static const char *api_path(const struct bench *b)
{
    return b->o.api ? b->o.api : b->api_path;
}

json_t *bench_api(const struct bench *b, const char *cmd)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    const char *path = api_path(b);
    if (strlen(path) >= sizeof sun.sun_path) {
        return NULL;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    char line[256];
    int n = snprintf(line, sizeof line, "%s\n", cmd);
    json_t *doc = NULL;
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    if (!buf || n < 0 || (size_t)n >= sizeof line || write(fd, line, (size_t)n) != n) {
        goto out;
    }
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, ANSWER_TIMEOUT_MS) <= 0) {
            goto out;
        }
        if (len + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                goto out;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r <= 0) {
            break;
        }
        len += (size_t)r;
        if (buf[len - 1] == '\n') {
            break;
        }
    }
    buf[len] = '\0';
    doc = json_loads(buf, 0, NULL);
out:
    free(buf);
    close(fd);
    return doc;
}

long long bench_api_counter(const struct bench *b, const char *name)
{
    json_t *doc = bench_api(b, "stats");
    json_t *v = json_object_get(json_object_get(doc, "mobility"), name);
    long long r = json_is_integer(v) ? json_integer_value(v) : -1;
    json_decref(doc);
    return r;
}
