#include "status.h"

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
