/*
 * A token bucket: `rate` tokens per second, at most `burst` saved up. Shared by threads (one
 * mutex; a take is a few instructions inside it). rate 0 means unlimited.
 */
#ifndef BRIDGE_CORE_RATELIMIT_H
#define BRIDGE_CORE_RATELIMIT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
    pthread_mutex_t lock;
    double rate;  /* tokens per second; 0 = unlimited */
    double burst; /* bucket size */
    double tokens;
    uint64_t last_ns;
};

/* A full bucket. */
void ratelimit_init(struct ratelimit *rl, unsigned rate, unsigned burst);
void ratelimit_release(struct ratelimit *rl);

/* Takes one token at monotonic time now_ns; false when the bucket is empty. Any thread. */
bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns);

#endif
