/* eth_addr.c - text form of Ethernet addresses, as operators write them
 * in the configuration and the API. */
#include "util/eth_addr.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Strict on purpose: exactly six pairs of hex digits joined by ':', and
 * nothing after. sscanf("%x") would take "1:2:3:4:5:6", signs, spaces and
 * trailing junk, and a MAC typed wrong must be refused, not guessed. */
bool eth_addr_parse(const char *s, struct eth_addr *out)
{
    if (s == NULL) {
        return false;
    }
    struct eth_addr ea = {{0}};
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        int hi = hex_digit(p[0]);
        int lo = hi < 0 ? -1 : hex_digit(p[1]);
        if (lo < 0) {
            return false;
        }
        char sep = p[2];
        if (sep != (i < 5 ? ':' : '\0')) {
            return false;
        }
        ea.b[i] = (uint8_t)(hi << 4 | lo);
    }
    *out = ea;
    return true;
}
