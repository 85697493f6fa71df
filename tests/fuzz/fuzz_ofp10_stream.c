/* fuzz_ofp10_stream.c - libFuzzer target for the OpenFlow 1.0 decoder: the
 * input is a switch's byte stream, every message read as OpenFlow 1.0
 * whatever its version byte says (so that no execution is spent on
 * versions the stream target already covers). See ofp_stream_fuzz.h. */
#include "ofp_stream_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ofp_stream(data, size, OF_VERSION_1_0);
    return 0;
}
