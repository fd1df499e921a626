/*
 * Security settings checked where the operator wrote them. librdkafka reads its certificate
 * files when rd_kafka_new() builds the TLS context, so a missing ssl.ca.location passed
 * --check-config and failed the start with an error the bridge could only attach to
 * kafka.brokers. Checking readability here is cheaper than building a client just to see it
 * fail, and gives the property's own FILE:LINE:COL. Whether the file holds a usable
 * certificate is still librdkafka's to say, at start.
 *
 * SCRAM: librdkafka before 2.6.1 (Debian 12 ships 2.0.2) builds its client-final-message with
 * the client nonce twice (r=<client nonce><client nonce + server nonce>; librdkafka #4895).
 * Kafka 4.x brokers compare the nonce strictly, as RFC 5802 says, and refuse every login as
 * invalid credentials with the right password (tests/kafka/test_sasl.py: Kafka's Java client
 * logs in with the same credential); Kafka 3.x and earlier, still most clusters, accept it. So
 * it is a warning at the setting's line, not an error: a bridge that never becomes ready with
 * a log that blames the password is what it saves an operator of a 4.x cluster from.
 *
 * What only a client can tell (a CA file that holds no certificate, a key that does not parse,
 * an unknown SASL mechanism, SASL without a username) kafka_conf_validate() learns by creating
 * one, offline: without bootstrap.servers librdkafka builds its TLS context and SASL state and
 * connects nowhere. Its message names the property, or says which one it means, and that is
 * mapped back to the line the operator wrote.
 */
#include "security.h"

#include <errno.h>
#include <stdlib.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const file_props[] = {"ssl.ca.location",       "ssl.certificate.location",
                                         "ssl.key.location",      "ssl.keystore.location",
                                         "ssl.crl.location",      "sasl.kerberos.keytab",
                                         NULL};

static bool names_a_file(const char *key)
{
    for (size_t i = 0; file_props[i] != NULL; ++i)
        if (strcmp(key, file_props[i]) == 0)
            return true;
    return false;
}

int kafka_check_security(struct bridge_config *cfg, struct conf_error *err)
{
    for (size_t i = 0; i != cfg->kafka.nprops; ++i) {
        const struct conf_kv *kv = &cfg->kafka.props[i];
        char key[300];
        snprintf(key, sizeof(key), "kafka.librdkafka.%s", kv->key);
        if (names_a_file(kv->key)) {
            /* "probe": librdkafka looks in the system's usual places itself */
            if (strcmp(kv->key, "ssl.ca.location") == 0 && strcmp(kv->value, "probe") == 0)
                continue;
            if (access(kv->value, R_OK) != 0)
                return conf_errorf(err, cfg->file, &kv->pos, key, "cannot read \"%s\": %s",
                                   kv->value, strerror(errno));
        }
        if ((strcmp(kv->key, "sasl.mechanisms") == 0 || strcmp(kv->key, "sasl.mechanism") == 0) &&
            strncasecmp(kv->value, "SCRAM-", 6) == 0 && rd_kafka_version() < 0x020601ff)
            conf_warnf(cfg, &kv->pos, key,
                       "%s with librdkafka %s (before 2.6.1) sends a malformed final SCRAM "
                       "message: Kafka 4.x brokers refuse every login as invalid credentials, "
                       "3.x and earlier accept it; against 4.x use PLAIN over SASL_SSL (or "
                       "OAUTHBEARER) with this build",
                       kv->value, rd_kafka_version_str());
    }
    return 0;
}

int kafka_conf_apply(rd_kafka_conf_t *conf, const struct bridge_config *cfg,
                     bool (*want)(const char *key), struct conf_error *err)
{
    char errstr[512], key[300];
    for (size_t i = 0; i != cfg->kafka.nprops; ++i) {
        const struct conf_kv *kv = &cfg->kafka.props[i];
        if (want != NULL && !want(kv->key))
            continue;
        if (rd_kafka_conf_set(conf, kv->key, kv->value, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
            snprintf(key, sizeof(key), "kafka.librdkafka.%s", kv->key);
            return conf_errorf(err, cfg->file, &kv->pos, key, "%s", errstr);
        }
    }
    return 0;
}

/* librdkafka messages that concern a property without naming it. */
static const char *const message_keys[][2] = {
    {"Unsupported SASL mechanism", "sasl.mechanisms"},
    {"sasl.username and sasl.password must be set", "sasl.mechanisms"},
    {"Invalid sasl.kerberos", "sasl.mechanisms"},
};

static const struct conf_kv *find_prop(const struct bridge_config *cfg, const char *key)
{
    const struct conf_kv *found = NULL;
    for (size_t i = 0; i != cfg->kafka.nprops; ++i)
        if (strcmp(cfg->kafka.props[i].key, key) == 0)
            found = &cfg->kafka.props[i]; /* the last one set is the one in force */
    return found;
}

/* The configured property a client-creation message is about: the one a known message means,
 * else one its text names (the longest, so "ssl.key.location" wins over a shorter key inside
 * it); NULL when none of them was configured. */
static const struct conf_kv *prop_of_message(const struct bridge_config *cfg, const char *msg)
{
    const struct conf_kv *best = NULL;
    for (size_t i = 0; i != sizeof(message_keys) / sizeof(message_keys[0]); ++i)
        if (strncmp(msg, message_keys[i][0], strlen(message_keys[i][0])) == 0) {
            if ((best = find_prop(cfg, message_keys[i][1])) == NULL)
                best = find_prop(cfg, "sasl.mechanism");
            if (best != NULL)
                return best;
        }
    for (size_t i = 0; i != cfg->kafka.nprops; ++i) {
        const struct conf_kv *kv = &cfg->kafka.props[i];
        if (strstr(msg, kv->key) != NULL && (best == NULL || strlen(kv->key) > strlen(best->key)))
            best = kv;
    }
    if (best == NULL && strstr(msg, "sasl") != NULL)
        best = find_prop(cfg, "security.protocol");
    return best;
}

static void on_quiet_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk, (void)level, (void)fac, (void)buf;
}

int kafka_conf_validate(const rd_kafka_conf_t *conf, const struct bridge_config *cfg,
                        struct conf_error *err)
{
    char errstr[512];
    rd_kafka_conf_t *copy = rd_kafka_conf_dup(conf);
    if (copy == NULL)
        return conf_errorf(err, cfg->file, NULL, "kafka.librdkafka", "out of memory");
    /* its complaints (TLS errors, "no bootstrap.servers") are in errstr or irrelevant here */
    rd_kafka_conf_set_log_cb(copy, on_quiet_log);
    rd_kafka_conf_set(copy, "bootstrap.servers", "", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, copy, errstr, sizeof(errstr));
    if (rk != NULL) {
        rd_kafka_destroy(rk);
        return 0;
    }
    rd_kafka_conf_destroy(copy); /* still ours when rd_kafka_new fails */
    const struct conf_kv *kv = prop_of_message(cfg, errstr);
    if (kv == NULL)
        return conf_errorf(err, cfg->file, NULL, "kafka.librdkafka",
                           "librdkafka refuses this configuration: %s", errstr);
    char key[300];
    snprintf(key, sizeof(key), "kafka.librdkafka.%s", kv->key);
    return conf_errorf(err, cfg->file, &kv->pos, key, "%s", errstr);
}
