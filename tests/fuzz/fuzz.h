/*
 * What the fuzz targets share: the libFuzzer entry point they define, and FUZZ_ASSERT, which
 * turns a broken invariant into an abort that libFuzzer records as a crash and the replay
 * runner reports with the input's file name.
 */
#ifndef BRIDGE_TESTS_FUZZ_H
#define BRIDGE_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs one input. Must not keep state between calls beyond lazily built read-only fixtures,
 * so that a crash reproduces from its one input. Always returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Reads every byte of a view, so that ASan flags a view reaching past its buffer even when
 * the code under test never touched the end. */
static inline unsigned fuzz_touch(const void *p, size_t n)
{
    const volatile unsigned char *b = p;
    unsigned sum = 0;
    for (size_t i = 0; i != n; ++i)
        sum += b[i];
    return sum;
}

#endif
