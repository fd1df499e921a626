#include "status.h"

#include <string.h>

#include "log.h"

static const struct {
    const char *name;
    int http;
    bool retriable;
} table[BRIDGE_STATUS_COUNT] = {
#define X(code, name, http, retry) [BRIDGE_##code] = {name, http, retry},
    BRIDGE_STATUS_TABLE(X)
#undef X
};

const char *bridge_status_name(enum bridge_status st)
{
    return (unsigned)st < BRIDGE_STATUS_COUNT ? table[st].name : "unknown";
}

int bridge_status_http(enum bridge_status st)
{
    return (unsigned)st < BRIDGE_STATUS_COUNT ? table[st].http : 500;
}

bool bridge_status_retriable(enum bridge_status st)
{
    return (unsigned)st < BRIDGE_STATUS_COUNT && table[st].retriable;
}

size_t bridge_status_body(enum bridge_status st, const char *id, size_t id_len, char *out)
{
    /* the hot path: no printf. The longest name, 8 + 6 * 64 escaped id bytes and the
     * punctuation fit BRIDGE_STATUS_BODY_MAX. */
    const char *name = bridge_status_name(st);
    size_t nlen = strlen(name), n = 0;
#define APPEND(s, l) (memcpy(out + n, (s), (l)), n += (l))
    APPEND("{\"status\":\"", 11);
    APPEND(name, nlen);
    if (id_len != 0 && id_len <= 64) {
        APPEND("\",\"id\":\"", 8);
        n += log_json_escape(out + n, BRIDGE_STATUS_BODY_MAX - n, id, id_len);
    }
    APPEND("\"}\n", 3);
#undef APPEND
    return n;
}
