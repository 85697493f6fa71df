/* pkt_stats.c - names of the refusal reasons and their counters.
 *
 * A plain array: the daemon is single-threaded, and the CLI reads the
 * counters by walking PKT_REJECT_REASONS through pkt_reject_name. */
#include "pkt/pkt.h"

static const char *const reject_names[PKT_N_REJECT] = {
    [PKT_OK] = "ok",
#define PKT_REJECT_NAME_(NAME, STR) [PKT_REJECT_##NAME] = STR,
    PKT_REJECT_REASONS(PKT_REJECT_NAME_)
#undef PKT_REJECT_NAME_
};

static uint64_t reject_counts[PKT_N_REJECT];

/* Callers may hand in any integer (a value read back from a log or the
 * API), so the range is checked rather than trusted. */
static bool is_reason(enum pkt_reject r)
{
    return (unsigned)r > PKT_OK && (unsigned)r < PKT_N_REJECT;
}

const char *pkt_reject_name(enum pkt_reject r)
{
    return (unsigned)r < PKT_N_REJECT ? reject_names[r] : "unknown";
}

const char *pkt_kind_name(enum pkt_kind k)
{
    switch (k) {
    case PKT_KIND_OTHER:
        return "other";
    case PKT_KIND_ARP:
        return "arp";
    case PKT_KIND_RARP:
        return "rarp";
    case PKT_KIND_IPV4:
        return "ipv4";
    }
    return "unknown";
}

void pkt_count_reject(enum pkt_reject r)
{
    if (is_reason(r)) {
        reject_counts[r]++;
    }
}

uint64_t pkt_reject_count(enum pkt_reject r)
{
    return is_reason(r) ? reject_counts[r] : 0;
}

uint64_t pkt_reject_total(void)
{
    uint64_t sum = 0;
    for (unsigned r = PKT_OK + 1; r < PKT_N_REJECT; r++) {
        sum += reject_counts[r];
    }
    return sum;
}

void pkt_reset_counters(void)
{
    for (unsigned r = 0; r < PKT_N_REJECT; r++) {
        reject_counts[r] = 0;
    }
}
