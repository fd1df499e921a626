/*
 * Environment expansion inside configuration values: ${VAR}, ${VAR:-default} and $$.
 * Internal to conf/.
 */
#ifndef BRIDGE_CONF_ENV_H
#define BRIDGE_CONF_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* Expands (in, len):
 *   ${VAR}          the value of VAR; unset is an error, set-but-empty gives ""
 *   ${VAR:-default} VAR's value when set and non-empty, else the default text (taken literally
 *                   up to the first '}')
 *   $$              a literal '$'; any other '$' is kept as written
 * VAR is [A-Za-z_][A-Za-z0-9_]*. On success stores a new NUL-terminated heap string in *out
 * (its length in *outlen; the caller frees it) and returns 0. On failure returns -1 and writes
 * a message such as "environment variable X is not set and has no default" into msg; the
 * message never contains a variable's value or a default, which may be secrets.
 * With placeholders, an unset VAR with no default expands to "placeholder-var" (lower case,
 * '_' as '-') instead: the result is then 1 and msg names the variables ("${A}, ${B}").
 * Reads the environment: do not call while another thread runs setenv(). */
int conf_env_expand(const char *in, size_t len, bool placeholders, char **out, size_t *outlen,
                    char *msg, size_t msgsize);

#endif
