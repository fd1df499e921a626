/* JSON Pointer (RFC 6901), including the RFC's own examples. */
#include "check.h"
#include "pipeline/jsonptr.h"

int main(void)
{
    json_t *doc = json_loads("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,"
                             "\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8,"
                             "\"data\":{\"account\":{\"_id\":\"acc\"}}}",
                             0, NULL);
    CHECK(doc != NULL);
    CHECK(jsonptr_get(doc, "") == doc);
    CHECK_STR(json_string_value(jsonptr_get(doc, "/foo/0")), "bar");
    CHECK_STR(json_string_value(jsonptr_get(doc, "/foo/1")), "baz");
    CHECK(jsonptr_get(doc, "/foo/2") == NULL);
    CHECK(jsonptr_get(doc, "/foo/01") == NULL);
    CHECK(jsonptr_get(doc, "/foo/-") == NULL);
    CHECK(json_integer_value(jsonptr_get(doc, "/")) == 0);
    CHECK(json_integer_value(jsonptr_get(doc, "/a~1b")) == 1);
    CHECK(json_integer_value(jsonptr_get(doc, "/c%d")) == 2);
    CHECK(json_integer_value(jsonptr_get(doc, "/e^f")) == 3);
    CHECK(json_integer_value(jsonptr_get(doc, "/g|h")) == 4);
    CHECK(json_integer_value(jsonptr_get(doc, "/i\\j")) == 5);
    CHECK(json_integer_value(jsonptr_get(doc, "/k\"l")) == 6);
    CHECK(json_integer_value(jsonptr_get(doc, "/ ")) == 7);
    CHECK(json_integer_value(jsonptr_get(doc, "/m~0n")) == 8);
    CHECK_STR(json_string_value(jsonptr_get(doc, "/data/account/_id")), "acc");
    CHECK(jsonptr_get(doc, "/data/account/_id/x") == NULL);
    CHECK(jsonptr_get(doc, "/data/missing") == NULL);
    CHECK(jsonptr_get(doc, "data") == NULL);
    CHECK(jsonptr_get(doc, "/m~2n") == NULL);

    CHECK(jsonptr_valid(""));
    CHECK(jsonptr_valid("/a/b~0~1"));
    CHECK(!jsonptr_valid("a"));
    CHECK(!jsonptr_valid("/a~"));
    CHECK(!jsonptr_valid("/a~2"));
    json_decref(doc);
    return check_done();
}
