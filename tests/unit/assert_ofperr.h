/* assert_ofperr.h - a cmocka assertion for codec results that names both
 * errors on failure. Include after <cmocka.h> and ofp/ofp_err.h. */
#ifndef MATFLOW_TEST_ASSERT_OFPERR_H
#define MATFLOW_TEST_ASSERT_OFPERR_H

#include <stdio.h>

#define assert_ofperr(actual, expected)                                            \
    do {                                                                           \
        ofperr a_ = (actual), e_ = (expected);                                     \
        if (a_ != e_) {                                                            \
            char an_[64];                                                          \
            snprintf(an_, sizeof an_, "%s", a_ ? ofperr_name(a_) : "success");     \
            fail_msg("%s:%d: got %s (0x%x), want %s (0x%x)", __FILE__, __LINE__, an_, \
                     (unsigned)a_, e_ ? ofperr_name(e_) : "success", (unsigned)e_); \
        }                                                                          \
    } while (0)

#endif
