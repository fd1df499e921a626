/*
 * Checks of kafka.librdkafka's TLS and SASL settings that librdkafka makes only when a client
 * starts, and then reports without the property's line (or not at all): files that must be
 * readable, and a SASL mechanism this librdkafka cannot log in with.
 */
#ifndef BRIDGE_KAFKA_SECURITY_H
#define BRIDGE_KAFKA_SECURITY_H

#include "conf/config.h"

/* Returns 0, or -1 with "FILE:LINE:COL: kafka.librdkafka.NAME: ..." in err for the first
 * property naming a file that cannot be read (ssl.ca.location, ssl.certificate.location,
 * ssl.key.location, ssl.keystore.location, ssl.crl.location, sasl.kerberos.keytab), or a SCRAM
 * mechanism with librdkafka 2.0.x. Reads the file system only; any thread. */
int kafka_check_security(struct bridge_config *cfg, struct conf_error *err);

#endif
