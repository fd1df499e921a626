/*
 * Token bucket. Refilled lazily on each take from the time elapsed, so no timer is needed.
 * Rejected: one bucket per event loop (no lock, but a source's limit would then depend on how
 * the kernel spreads connections over the loops).
 */
#include "ratelimit.h"

void ratelimit_init(struct ratelimit *rl, unsigned rate, unsigned burst)
{
    pthread_mutex_init(&rl->lock, NULL);
    rl->rate = rate;
    rl->burst = burst != 0 ? burst : rate;
    rl->tokens = rl->burst;
    rl->last_ns = 0;
}

void ratelimit_release(struct ratelimit *rl)
{
    pthread_mutex_destroy(&rl->lock);
}

bool ratelimit_take(struct ratelimit *rl, uint64_t now_ns)
{
    if (rl->rate == 0)
        return true;
    pthread_mutex_lock(&rl->lock);
    if (rl->last_ns != 0 && now_ns > rl->last_ns) {
        rl->tokens += (double)(now_ns - rl->last_ns) * rl->rate / 1e9;
        if (rl->tokens > rl->burst)
            rl->tokens = rl->burst;
    }
    rl->last_ns = now_ns;
    bool ok = rl->tokens >= 1;
    if (ok)
        rl->tokens -= 1;
    pthread_mutex_unlock(&rl->lock);
    return ok;
}
