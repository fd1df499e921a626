/*
 * The logger formats into a stack buffer and writes it with one write(2). No lock: POSIX
 * makes a single write to a pipe atomic up to PIPE_BUF, and for files opened O_APPEND the
 * kernel serializes writes; a line longer than the buffer is cut and marked "truncated".
 * Rejected: a logging thread with a queue (more moving parts, and lines lost on a crash).
 */
#include "log.h"

#include "bytes.h"
#include "clock.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int min_level = LOG_INFO;
static _Atomic int out_fd = 2;

void log_set_level(enum log_severity min)
{
    atomic_store(&min_level, (int)min);
}

int log_enabled(enum log_severity sev)
{
    return (int)sev >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

void log_set_fd(int fd)
{
    atomic_store(&out_fd, fd);
}

size_t log_json_escape(char *out, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (o < cap)                                                                               \
            out[o] = (c);                                                                          \
        ++o;                                                                                       \
    } while (0)
    size_t seq;
    for (size_t i = 0; i < n; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c == '\n') {
            PUT('\\');
            PUT('n');
        } else if (c >= 0x80 && (seq = utf8_sequence_len((const unsigned char *)s + i, n - i))) {
            /* well-formed UTF-8 is JSON text as it is */
            for (size_t k = 0; k != seq; ++k)
                PUT(s[i + k]);
            i += seq - 1;
        } else if (c < 0x20 || c >= 0x80) {
            /* a control byte, or a byte that is not UTF-8: escaped, so lines stay valid JSON
             * whatever the input (an invalid byte shows as the code point of its value) */
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[c >> 4]);
            PUT(hex[c & 15]);
        } else {
            PUT((char)c);
        }
    }
#undef PUT
    return o;
}

static const char *level_name(enum log_severity sev)
{
    switch (sev) {
    case LOG_DEBUG:
        return "debug";
    case LOG_INFO:
        return "info";
    case LOG_WARN:
        return "warn";
    default:
        return "error";
    }
}

struct line {
    char buf[4096];
    size_t len;
    int truncated;
};

static void put(struct line *l, const char *s, size_t n)
{
    /* keep room for the closing "}\n" and a truncation marker */
    size_t room = sizeof(l->buf) - 32;
    if (l->len + n > room) {
        l->truncated = 1;
        n = l->len < room ? room - l->len : 0;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void put_str(struct line *l, const char *s, size_t n)
{
    char tmp[2048];
    size_t need = log_json_escape(tmp, sizeof(tmp), s, n);
    if (need > sizeof(tmp)) {
        need = log_json_escape(tmp, sizeof(tmp), s, sizeof(tmp) / 6);
        l->truncated = 1;
    }
    put(l, "\"", 1);
    put(l, tmp, need);
    put(l, "\"", 1);
}

static void put_key(struct line *l, const char *key)
{
    put(l, ",", 1);
    put_str(l, key, strlen(key));
    put(l, ":", 1);
}

void log_write(enum log_severity sev, const char *msg, const struct log_field *fields)
{
    struct line l = {.len = 0};
    struct timespec ts;
    struct tm tm;
    char tbuf[64];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t tl = strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%S", &tm);
    tl += (size_t)snprintf(tbuf + tl, sizeof(tbuf) - tl, ".%03ldZ", ts.tv_nsec / 1000000);

    put(&l, "{\"ts\":\"", 7);
    put(&l, tbuf, tl);
    put(&l, "\",\"level\":\"", 11);
    put(&l, level_name(sev), strlen(level_name(sev)));
    put(&l, "\",\"msg\":", 8);
    put_str(&l, msg, strlen(msg));
    for (const struct log_field *f = fields; f != NULL && f->type != LOG_FIELD_END; ++f) {
        char num[64];
        int n;
        switch (f->type) {
        case LOG_FIELD_STR:
            if (f->s == NULL)
                continue;
            put_key(&l, f->key);
            put_str(&l, f->s, strlen(f->s));
            break;
        case LOG_FIELD_BYTES:
            if (f->s == NULL)
                continue;
            put_key(&l, f->key);
            put_str(&l, f->s, f->len);
            break;
        case LOG_FIELD_INT:
            put_key(&l, f->key);
            n = snprintf(num, sizeof(num), "%lld", f->i);
            put(&l, num, (size_t)n);
            break;
        case LOG_FIELD_DBL:
            put_key(&l, f->key);
            n = snprintf(num, sizeof(num), "%.3f", f->d);
            put(&l, num, (size_t)n);
            break;
        case LOG_FIELD_STRS:
            if (f->strs == NULL)
                continue;
            put_key(&l, f->key);
            put(&l, "[", 1);
            for (size_t k = 0; k != f->len; ++k) {
                if (k != 0)
                    put(&l, ",", 1);
                put_str(&l, f->strs[k], strlen(f->strs[k]));
            }
            put(&l, "]", 1);
            break;
        case LOG_FIELD_END:
            break;
        }
    }
    if (l.truncated) {
        static const char mark[] = ",\"truncated\":true";
        memcpy(l.buf + l.len, mark, sizeof(mark) - 1);
        l.len += sizeof(mark) - 1;
    }
    l.buf[l.len++] = '}';
    l.buf[l.len++] = '\n';

    int fd = atomic_load_explicit(&out_fd, memory_order_relaxed);
    const char *p = l.buf;
    size_t left = l.len;
    while (left != 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        left -= (size_t)w;
    }
}

void log_budget_init(struct log_budget *b, unsigned per_second)
{
    ratelimit_init(&b->rl, per_second, per_second);
    atomic_init(&b->dropped, 0);
}

void log_budget_release(struct log_budget *b)
{
    ratelimit_release(&b->rl);
}

bool log_budget_take(struct log_budget *b)
{
    if (ratelimit_take(&b->rl, monotonic_ns()))
        return true;
    atomic_fetch_add_explicit(&b->dropped, 1, memory_order_relaxed);
    return false;
}

void log_budget_report(struct log_budget *b, const char *msg)
{
    unsigned long long n = atomic_exchange(&b->dropped, 0);
    if (n != 0)
        log_warn(msg, LOG_I("lines_not_written", n), LOG_I("per_second", b->rl.rate));
}
