/*
 * A minimal test harness: CHECK records a failure and goes on, so one run reports every broken
 * expectation; check_done() prints "N passed, N failed" and gives the exit status.
 */
#ifndef BRIDGE_TESTS_CHECK_H
#define BRIDGE_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            ++check_passed;                                                                        \
        } else {                                                                                   \
            ++check_failed;                                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) {                                     \
            ++check_passed;                                                                        \
        } else {                                                                                   \
            ++check_failed;                                                                        \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n  got:  %s\n  want: %s\n", __FILE__,     \
                    __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");                       \
        }                                                                                          \
    } while (0)

/* got (a C string) contains want */
#define CHECK_CONTAINS(got, want)                                                                  \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        if (g_ != NULL && strstr(g_, w_) != NULL) {                                                \
            ++check_passed;                                                                        \
        } else {                                                                                   \
            ++check_failed;                                                                        \
            fprintf(stderr, "%s:%d: CHECK_CONTAINS failed: %s\n  got:  %s\n  want: ...%s...\n",    \
                    __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_);                             \
        }                                                                                          \
    } while (0)

static inline int check_done(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed == 0 && check_passed > 0 ? 0 : 1;
}

#endif
