/* fuzz_ofp_stream.c - libFuzzer target for the OpenFlow stream decoder:
 * the input is a switch's byte stream, each message decoded in the version
 * its header names (1.3, 1.0, or refused). See ofp_stream_fuzz.h. */
#include "ofp_stream_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ofp_stream(data, size, 0);
    return 0;
}
