/* Connections per address: limits, uncounting, a full table, and deletion that keeps every other
 * address findable (checked against a plain array over a random sequence). */
#include <stdlib.h>

#include "check.h"
#include "core/addrcount.h"

static void addr_of(unsigned i, uint8_t out[16])
{
    memset(out, 0, 16);
    out[10] = out[11] = 0xff;
    out[12] = 10;
    out[13] = (uint8_t)(i >> 16);
    out[14] = (uint8_t)(i >> 8);
    out[15] = (uint8_t)i;
}

static void test_take_and_put(void)
{
    uint8_t a[16], b[16];
    addr_of(1, a);
    addr_of(2, b);

    struct addrcount *t = addrcount_create(8);
    CHECK(t != NULL);
    CHECK(addrcount_take(t, a, 2) && addrcount_take(t, a, 2));
    CHECK(!addrcount_take(t, a, 2)); /* a has its 2 */
    CHECK(addrcount_take(t, b, 2));  /* others are not affected */
    CHECK(addrcount_get(t, a) == 2 && addrcount_get(t, b) == 1);
    addrcount_put(t, a);
    CHECK(addrcount_get(t, a) == 1);
    CHECK(addrcount_take(t, a, 2)); /* a closed one: its share is back */
    CHECK(addrcount_take(t, a, 0) && addrcount_get(t, a) == 3); /* 0: no limit */
    addrcount_destroy(t);
}

static void test_table_bound(void)
{
    /* as many distinct addresses as connections can be open, then no more */
    struct addrcount *t = addrcount_create(8);
    unsigned taken = 0;
    for (unsigned i = 0; i != 100; ++i) {
        uint8_t x[16];
        addr_of(100 + i, x);
        taken += addrcount_take(t, x, 1);
    }
    CHECK(taken >= 8 && taken <= 16);
    addrcount_destroy(t);
}

static void test_random_against_plain_counts(void)
{
    /* random opens and closes over 300 addresses, compared with a plain count per address */
    enum { N = 300 };
    static unsigned want[N];
    struct addrcount *t = addrcount_create(N); /* about 30 % full: runs of neighbours to shift back */
    srand(7);
    int mismatches = 0;
    for (int step = 0; step != 200000; ++step) {
        unsigned i = (unsigned)rand() % N;
        uint8_t x[16];
        addr_of(i * 2654435761u, x); /* spread, so runs collide in the table */
        if (rand() % 2 == 0 || want[i] == 0) {
            if (addrcount_take(t, x, 5))
                ++want[i];
            else if (want[i] != 5)
                ++mismatches;
        } else {
            addrcount_put(t, x);
            --want[i];
        }
        if (step % 1000 == 0)
            for (unsigned k = 0; k != N; ++k) {
                addr_of(k * 2654435761u, x);
                mismatches += addrcount_get(t, x) != want[k];
            }
    }
    CHECK(mismatches == 0);
    addrcount_destroy(t);
    addrcount_destroy(NULL);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_take_and_put);
    CHECK_RUN(test_table_bound);
    CHECK_RUN(test_random_against_plain_counts);
    return check_done();
}
