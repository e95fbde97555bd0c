/*
 * SHA-256 through OpenSSL: artifact digests (Flux's "sha256:<hex>"), content hashes of rendered
 * output, generator name suffixes.
 */
#include "base.h"

#include <openssl/evp.h>
#include <stdlib.h>

void ed_sha256_hex(const void *data, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!EVP_Digest(data, n, md, &len, EVP_sha256(), NULL) || len != 32) {
        /* Defensive: the default provider always has SHA-256; without it nothing is safe. */
        abort();
    }
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[64] = '\0';
}
