/*
 * The monotonic clock, in the units the code measures with: durations, deadlines and token
 * buckets, never wall time (log timestamps use CLOCK_REALTIME in log.c).
 */
#ifndef BRIDGE_CORE_CLOCK_H
#define BRIDGE_CORE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t monotonic_ms(void)
{
    return monotonic_ns() / 1000000u;
}

#endif
