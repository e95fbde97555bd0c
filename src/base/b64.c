/*
 * Base64 through OpenSSL's codec (EVP_EncodeBlock, EVP_DecodeBlock), with the input checked
 * first: EVP_DecodeBlock trims whitespace at the ends, counts the padding as zero bytes and
 * takes '=' anywhere; callers get exact lengths and a refusal of anything that is not base64.
 */
#include "base.h"

#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

char *ed_base64_encode(const void *data, size_t len)
{
    ED_ASSERT(len <= (size_t)INT_MAX / 4 * 3);
    char *out = ed_xmalloc((len + 2) / 3 * 4 + 1);
    int n = len ? EVP_EncodeBlock((unsigned char *)out, data, (int)len) : 0;
    out[n] = '\0';
    return out;
}

static bool b64_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

unsigned char *ed_base64_decode(const char *in, size_t n, unsigned flags, size_t *out_len)
{
    *out_len = 0;
    if (n > (size_t)INT_MAX / 2)
        return NULL;
    /* The significant characters, padded to a multiple of four. */
    char *clean = ed_xmalloc(n + 4);
    size_t m = 0, pad = 0;
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        char c = in[i];
        if ((flags & ED_BASE64_LINES) && (c == '\n' || c == '\r'))
            continue;
        if (c == '=')
            pad++;
        else
            ok = pad == 0 && b64_char(c); /* nothing after the padding */
        clean[m++] = c;
    }
    size_t data = m - pad;
    if (ok && (flags & ED_BASE64_UNPADDED) && pad == 0)
        while (m % 4)
            clean[m++] = '=', pad++;
    ok = ok && m % 4 == 0 && pad <= 2 && data % 4 != 1 && (pad == 0 || (data + pad) % 4 == 0);
    unsigned char *out = NULL;
    if (ok) {
        out = ed_xmalloc(m / 4 * 3 + 1);
        int got = m ? EVP_DecodeBlock(out, (const unsigned char *)clean, (int)m) : 0;
        if (got < 0 || (size_t)got < pad) {
            free(out);
            out = NULL;
        } else {
            *out_len = (size_t)got - pad; /* EVP_DecodeBlock counts '=' as zero bytes */
            out[*out_len] = '\0';
        }
    }
    free(clean);
    return out;
}
