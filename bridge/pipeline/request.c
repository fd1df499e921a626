#include "request.h"

struct bytes request_header(const struct request_view *req, struct bytes name)
{
    for (size_t i = 0; i != req->nheaders; ++i)
        if (bytes_case_eq(req->headers[i].name, name))
            return req->headers[i].value;
    return BYTES_NULL;
}
