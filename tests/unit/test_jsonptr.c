/* JSON Pointer (RFC 6901), including the RFC's own examples. */
#include <string.h>

#include "check.h"
#include "conf/value.h"
#include "jsonptr.h"

static void test_pointers_and_validator(void)
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

    /* the one validator of a pointer's text (conf/), which the scanner relies on */
#define VALID(p) (conf_check_json_pointer((p), strlen(p)) == NULL)
    CHECK(VALID(""));
    CHECK(VALID("/a/b~0~1"));
    CHECK(!VALID("a"));
    CHECK(!VALID("/a~"));
    CHECK(!VALID("/a~2"));
    CHECK(VALID("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16"));
    CHECK(!VALID("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17"));
    char longest[1 + 255 + 2]; /* "/", 254 x, "~0": 255 bytes once unescaped */
    memset(longest, 'x', sizeof(longest));
    longest[0] = '/';
    longest[255] = '~';
    longest[256] = '0';
    longest[257] = '\0';
    CHECK(VALID(longest));
    char over[1 + 256 + 1];
    memset(over, 'x', sizeof(over) - 1);
    over[0] = '/';
    over[sizeof(over) - 1] = '\0';
    CHECK(!VALID(over));
#undef VALID
    json_decref(doc);
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_pointers_and_validator);
    return check_done();
}
