/*
 * webhook-bridge: arguments, exit codes, nothing else. Everything else is in bridge.c.
 * Exit status: 0 success, 1 runtime failure (or shutdown cut short), 2 usage or config error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncapi.h"
#include "bridge.h"
#include "core/log.h"
#include "explain.h"
#include "replay.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: webhook-bridge [--config FILE|DIR]\n"
                 "                      [--check-config [--connect] [--placeholders]]\n"
                 "                      [--list-topics] [--config-reference] [--asyncapi]\n"
                 "                      [--version] [--help]\n"
                 "       webhook-bridge replay --config FILE --from TOPIC [--since TIME]\n"
                 "                      [--until TIME] [--group NAME] [--dry-run]\n"
                 "       webhook-bridge explain --config FILE --path PATH [-H 'NAME: VALUE']...\n"
                 "                      [--method M] [--peer ADDR] [--now TIME] [--body FILE]\n"
                 "                      [--json] < BODY\n"
                 "  --config FILE|DIR    configuration (default: config/bridge.yaml); a directory\n"
                 "                       is each *.yaml in it, in name order, merged\n"
                 "  --check-config       validate FILE, print every error, or the warnings and the\n"
                 "                       resolved sources and routes (secrets masked), and exit:\n"
                 "                       0 valid, 2 invalid\n"
                 "  --placeholders       with --check-config: an unset ${VAR} is checked as a\n"
                 "                       placeholder, with a warning (CI without the secrets)\n"
                 "  --connect            with --check-config: also connect to the brokers, log\n"
                 "                       in, check every routed topic exists (or would be\n"
                 "                       created) and the producer gets its id; one line per\n"
                 "                       check; exit 0 all ok, 1 a check failed, 2 invalid\n"
                 "  --list-topics        print the topics FILE writes to, one JSON object a line\n"
                 "  --config-reference   print the reference of every configuration key\n"
                 "  --asyncapi           print the AsyncAPI 3.0 document of what FILE publishes\n");
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "replay") == 0)
        return replay_main(argc - 1, argv + 1, stdout, stderr);
    if (argc > 1 && strcmp(argv[1], "explain") == 0)
        return explain_main(argc - 1, argv + 1, stdin, stdout, stderr);
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, 'k'},
                                         {"connect", no_argument, NULL, 'n'},
                                         {"list-topics", no_argument, NULL, 't'},
                                         {"placeholders", no_argument, NULL, 'p'},
                                         {"config-reference", no_argument, NULL, 'r'},
                                         {"asyncapi", no_argument, NULL, 'a'},
                                         {"version", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = "config/bridge.yaml";
    int check = 0, connect = 0, list_topics = 0, asyncapi = 0, c;
    struct conf_options copt = {.placeholders = false};
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'n':
            connect = 1;
            break;
        case 't':
            list_topics = 1;
            break;
        case 'a':
            asyncapi = 1;
            break;
        case 'p':
            copt.placeholders = true;
            break;
        case 'r':
            conf_print_reference(stdout);
            return 0;
        case 'v':
            printf("webhook-bridge %s\n", BRIDGE_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || (connect && !check) || (copt.placeholders && (!check || connect))) {
        /* a config that is served, or connected with, never runs on placeholders */
        if (copt.placeholders && (!check || connect))
            fprintf(stderr, "webhook-bridge: --placeholders goes with --check-config only "
                            "(not with --connect)\n");
        usage(stderr);
        return 2;
    }
    if (check && connect)
        return bridge_check_connect(path, stdout, stderr);
    if (check)
        return bridge_check_config(path, &copt, stdout, stderr);
    if (list_topics)
        return bridge_list_topics(path, stdout, stderr);
    if (asyncapi)
        return asyncapi_main(path, stdout, stderr);

    bridge_block_signals();
    struct conf_error err;
    struct bridge *b = bridge_start(path, &err);
    if (b == NULL) {
        log_error("cannot start", LOG_S("error", err.msg));
        return 2;
    }
    int status = bridge_run(b);
    bridge_destroy(b);
    return status;
}
