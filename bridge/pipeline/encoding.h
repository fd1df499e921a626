/*
 * Strict decoders for the text forms signatures and keys arrive in: hex and standard base64.
 * Strict means every byte of the input must belong to the encoding; nothing is skipped, so a
 * header cannot smuggle extra bytes past the check. Pure functions, any thread.
 */
#ifndef BRIDGE_PIPELINE_ENCODING_H
#define BRIDGE_PIPELINE_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* Decodes hex digits (upper or lower case, an even number of them) from (in, len) into out,
 * which holds cap bytes; *outlen gets the decoded length. Returns 0, or -1 on a character
 * outside [0-9a-fA-F], an odd length or an output longer than cap (out is then unspecified). */
int encoding_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen);

/* Decodes standard base64 (RFC 4648 section 4, '+' and '/') from (in, len) into out (cap
 * bytes); *outlen gets the decoded length. '=' padding may be present (then it must be exact)
 * or absent. Returns 0, or -1 on a character outside the alphabet, misplaced padding, a
 * length that no encoder produces, non-zero unused bits in the last symbol, or an output
 * longer than cap. */
int encoding_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen);

#endif
