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

/* Case selection: a binary whose main runs its cases with CHECK_RUN takes case names as
 * arguments (`test_conf test_errors test_env`) and runs only those; none runs all. A name that
 * matches no case fails the run, so a typo cannot pass as "0 failed". */
static int check_argc;
static char **check_argv;
static unsigned long check_matched; /* bit i: argument i + 1 named a case */

static inline void check_init(int argc, char **argv)
{
    check_argc = argc;
    check_argv = argv;
}

static inline int check_wanted(const char *name)
{
    if (check_argc <= 1)
        return 1;
    for (int i = 1; i < check_argc && i <= 64; ++i)
        if (strcmp(check_argv[i], name) == 0) {
            check_matched |= 1ul << (i - 1);
            return 1;
        }
    return 0;
}

#define CHECK_RUN(fn)                                                                              \
    do {                                                                                           \
        if (check_wanted(#fn))                                                                     \
            fn();                                                                                  \
    } while (0)

static inline int check_done(void)
{
    for (int i = 1; i < check_argc && i <= 64; ++i)
        if (!(check_matched & (1ul << (i - 1)))) {
            fprintf(stderr, "no case named %s\n", check_argv[i]);
            ++check_failed;
        }
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed == 0 && check_passed > 0 ? 0 : 1;
}

#endif
