/*
 * kafka.librdkafka as every client of the bridge takes it: the properties passed through with
 * errors at their line, and the checks of TLS and SASL settings that librdkafka makes only when
 * a client starts, and then reports without the property's line (or not at all): files that
 * must be readable, and a SASL mechanism this librdkafka cannot log in with.
 */
#ifndef BRIDGE_KAFKA_SECURITY_H
#define BRIDGE_KAFKA_SECURITY_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

#include "conf/config.h"

/* Returns 0, or -1 with "FILE:LINE:COL: kafka.librdkafka.NAME: ..." in err for the first
 * property naming a file that cannot be read (ssl.ca.location, ssl.certificate.location,
 * ssl.key.location, ssl.keystore.location, ssl.crl.location, sasl.kerberos.keytab); adds a
 * warning to cfg for a SCRAM mechanism with librdkafka before 2.6.1. Reads the file system
 * only; any thread. */
int kafka_check_security(struct bridge_config *cfg, struct conf_error *err);

/* Sets cfg's kafka.librdkafka properties on conf in file order, those for which want(key) is
 * true (want NULL: all of them); a property librdkafka refuses is an error at its line:
 * "FILE:LINE:COL: kafka.librdkafka.NAME: librdkafka's reason". 0, or -1 with err (conf is left
 * to the caller). Any thread. */
int kafka_conf_apply(rd_kafka_conf_t *conf, const struct bridge_config *cfg,
                     bool (*want)(const char *key), struct conf_error *err);

/* Creates (and at once destroys) a client from a copy of conf without bootstrap servers, so
 * that librdkafka makes the checks it makes only then: the TLS context (CA, certificate and key
 * files that do not parse), the SASL mechanism and its credentials. Connects nowhere. Returns
 * 0, or -1 with "FILE:LINE:COL: kafka.librdkafka.NAME: librdkafka's reason" for the property
 * the reason concerns (without a position when none of cfg's properties is it). Any thread. */
int kafka_conf_validate(const rd_kafka_conf_t *conf, const struct bridge_config *cfg,
                        struct conf_error *err);

#endif
