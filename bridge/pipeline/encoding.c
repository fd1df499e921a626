/*
 * Hex and base64 decoding written out by hand rather than with OpenSSL's EVP_DecodeBlock,
 * which skips leading and trailing whitespace, needs padded input and reports the length
 * before padding is removed: each of those would need a wrapper that is longer than this
 * file. The inputs are signatures a sender shows us (public), so the decoders make no
 * attempt to be constant-time.
 */
#include "encoding.h"

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int encoding_hex_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    if (len % 2 != 0 || len / 2 > cap)
        return -1;
    for (size_t i = 0; i != len / 2; ++i) {
        int hi = hex_value((unsigned char)in[2 * i]);
        int lo = hex_value((unsigned char)in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *outlen = len / 2;
    return 0;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int encoding_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    /* Padding, if any, is one or two '=' completing the last quantum to 4 symbols. */
    size_t npad = 0;
    while (npad < 2 && len > npad && in[len - 1 - npad] == '=')
        ++npad;
    if (npad != 0 && len % 4 != 0)
        return -1;
    size_t nsym = len - npad;
    if (nsym % 4 == 1)
        return -1;
    if (npad != 0 && (4 - nsym % 4) % 4 != npad)
        return -1;

    size_t need = nsym / 4 * 3 + (nsym % 4 == 0 ? 0 : nsym % 4 - 1);
    if (need > cap)
        return -1;

    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i != nsym; ++i) {
        int v = b64_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    /* The bits left over from the last symbol must be zero, or two texts decode alike. */
    if ((acc & ((1u << bits) - 1)) != 0)
        return -1;
    *outlen = o;
    return 0;
}
