/*
 * The HTTP layer's threading, without Kafka: two event loops, a fake publisher whose reports
 * come back from another thread after a delay (as librdkafka's poll thread does), client
 * threads on keep-alive connections, and runtime swaps (reloads) while requests are in flight.
 * Every request must get exactly the answer its records' reports call for. Built to run under
 * ThreadSanitizer, which cannot run anything that starts librdkafka's threads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/log.h"
#include "http/server.h"

#define CLIENTS 4
#define REQUESTS 150
#define FAIL_EVERY 7

static const char config_text[] = "listen: 127.0.0.1:8080\n"
                                   "admin_listen: 127.0.0.1:9090\n"
                                   "kafka:\n  brokers: embedded\n"
                                   "sources:\n"
                                   "  mono:\n"
                                   "    path: /webhooks/mono\n"
                                   "    verify:\n"
                                   "      scheme: shared-secret\n"
                                   "      header: mono-webhook-secret\n"
                                   "      secrets: [s3cret-threads-test]\n"
                                   "    routes:\n"
                                   "      \"*\": [a.topic, b.topic]\n";

/* ---- fake publisher: a queue drained by a reporter thread ---- */
struct pending {
    void *opaque;
    struct pending *next;
};
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_cond = PTHREAD_COND_INITIALIZER;
static struct pending *q_head, **q_tail = &q_head;
static atomic_bool reporter_stop;
static atomic_uint records_sent, records_failed;

static enum bridge_status fake_send(struct publisher *self, const char *topic,
                                    const struct envelope *env, void *opaque)
{
    (void)self, (void)topic, (void)env;
    struct pending *p = malloc(sizeof(*p));
    p->opaque = opaque;
    p->next = NULL;
    pthread_mutex_lock(&q_lock);
    *q_tail = p;
    q_tail = &p->next;
    pthread_cond_signal(&q_cond);
    pthread_mutex_unlock(&q_lock);
    atomic_fetch_add(&records_sent, 1);
    return BRIDGE_ACCEPTED;
}

static bool fake_ready(const struct publisher *self)
{
    (void)self;
    return true;
}

static void *reporter(void *arg)
{
    (void)arg;
    unsigned n = 0;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_head == NULL && !atomic_load(&reporter_stop))
            pthread_cond_wait(&q_cond, &q_lock);
        struct pending *p = q_head;
        if (p != NULL && (q_head = p->next) == NULL)
            q_tail = &q_head;
        pthread_mutex_unlock(&q_lock);
        if (p == NULL)
            return NULL;
        if (++n % 3 == 0) {
            struct timespec ts = {0, 200 * 1000};
            nanosleep(&ts, NULL);
        }
        bool fail = n % FAIL_EVERY == 0;
        if (fail)
            atomic_fetch_add(&records_failed, 1);
        http_server_delivery(p->opaque, fail ? BRIDGE_KAFKA_ERROR : BRIDGE_ACCEPTED);
        free(p);
    }
}

/* ---- clients ---- */
static int port;
static atomic_uint got_200, got_503, got_401, got_other;

static int request(int fd, int i, const char *secret)
{
    char body[128], req[512], resp[2048];
    int blen = snprintf(body, sizeof(body), "{\"event\":\"x.y\",\"event_id\":\"e-%d\"}", i);
    int rlen = snprintf(req, sizeof(req),
                        "POST /webhooks/mono HTTP/1.1\r\nHost: t\r\nmono-webhook-secret: %s\r\n"
                        "Content-Length: %d\r\n\r\n%s",
                        secret, blen, body);
    if (write(fd, req, (size_t)rlen) != rlen)
        return -1;
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, resp + have, sizeof(resp) - 1 - have);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        resp[have] = '\0';
        char *end = strstr(resp, "\r\n\r\n");
        char *cl = strcasestr(resp, "content-length: ");
        if (end != NULL && cl != NULL && have >= (size_t)(end + 4 - resp) + (size_t)atoi(cl + 16))
            break;
    }
    return atoi(resp + 9);
}

static void *client(void *arg)
{
    int c = (int)(intptr_t)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        atomic_fetch_add(&got_other, REQUESTS);
        close(fd);
        return NULL;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    for (int i = 0; i < REQUESTS; ++i) {
        bool bad = i % 10 == 9;
        int st = request(fd, c * 100000 + i, bad ? "wrong" : "s3cret-threads-test");
        if (st == 200)
            atomic_fetch_add(&got_200, 1);
        else if (st == 503)
            atomic_fetch_add(&got_503, 1);
        else if (st == 401 && bad)
            atomic_fetch_add(&got_401, 1);
        else
            atomic_fetch_add(&got_other, 1);
    }
    close(fd);
    return NULL;
}

static struct runtime *make_runtime(uint64_t gen)
{
    struct bridge_config *cfg;
    struct conf_error err;
    if (conf_load_string("test.yaml", config_text, sizeof(config_text) - 1, &cfg, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    struct runtime *rt = runtime_create(cfg, gen, &err);
    if (rt == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    return rt;
}

static void test_reloads_under_load(void)
{
    log_set_level(LOG_ERROR);
    struct conf_error err;
    struct http_options opts = {.listen = "127.0.0.1:0", .admin_listen = "127.0.0.1:0",
                                .threads = 2, .max_body_bytes = 65536, .max_inflight = 100000,
                                .max_connections = 100, .admin_max_connections = 8,
                                .idle_timeout_ms = 10000};
    static const struct publisher_ops fake_ops = {fake_send, fake_ready, NULL};
    struct publisher pub = {&fake_ops};
    pthread_t rep, clients[CLIENTS];
    pthread_create(&rep, NULL, reporter, NULL);
    struct http_server *srv = http_server_start(&opts, make_runtime(1), &pub, &err);
    CHECK(srv != NULL);
    if (srv == NULL)
        return;
    port = http_server_port(srv);
    for (int c = 0; c < CLIENTS; ++c)
        pthread_create(&clients[c], NULL, client, (void *)(intptr_t)c);
    for (uint64_t g = 2; g < 30; ++g) { /* reloads while requests are in flight */
        http_server_swap_runtime(srv, make_runtime(g));
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int c = 0; c < CLIENTS; ++c)
        pthread_join(clients[c], NULL);
    for (int i = 0; i < 1000 && http_server_pending_records(srv) != 0; ++i) {
        struct timespec ts = {0, 1000 * 1000};
        nanosleep(&ts, NULL);
    }

    unsigned total = CLIENTS * REQUESTS, bad = CLIENTS * (REQUESTS / 10);
    printf("200: %u  503: %u  401: %u  other: %u  records: %u sent, %u failed\n",
           atomic_load(&got_200), atomic_load(&got_503), atomic_load(&got_401),
           atomic_load(&got_other), atomic_load(&records_sent), atomic_load(&records_failed));
    CHECK(atomic_load(&got_other) == 0);
    CHECK(atomic_load(&got_401) == bad);
    CHECK(atomic_load(&got_200) + atomic_load(&got_503) == total - bad);
    /* two records per webhook; a webhook is 503 when either of its records failed */
    CHECK(atomic_load(&records_sent) == 2 * (total - bad));
    CHECK(atomic_load(&got_503) >= 1);
    CHECK(atomic_load(&got_503) <= atomic_load(&records_failed));
    CHECK(http_server_inflight(srv) == 0);
    CHECK(http_server_pending_records(srv) == 0);

    atomic_store(&reporter_stop, true);
    pthread_mutex_lock(&q_lock);
    pthread_cond_signal(&q_cond);
    pthread_mutex_unlock(&q_lock);
    pthread_join(rep, NULL);
    http_server_stop(srv);
    metrics_shutdown();
}

int main(int argc, char **argv)
{
    check_init(argc, argv);
    CHECK_RUN(test_reloads_under_load);
    return check_done();
}
