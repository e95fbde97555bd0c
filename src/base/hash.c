/*
 * SHA-256 through OpenSSL: artifact digests (Flux's "sha256:<hex>"), content hashes of rendered
 * output, generator name suffixes; SHA-1 and SHA-512 for the commit message templates' sha1sum
 * and sha512sum. And random UUIDs (a reconcile's id in the log), from
 * OpenSSL's generator.
 */
#include "base.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int ed_digest_hex(const char *algo, const void *data, size_t n, char out[129])
{
    static const char hex[] = "0123456789abcdef";
    const EVP_MD *md_type = strcmp(algo, "sha1") == 0     ? EVP_sha1()
                            : strcmp(algo, "sha512") == 0 ? EVP_sha512()
                            : strcmp(algo, "sha256") == 0 ? EVP_sha256()
                                                          : NULL;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!md_type || !EVP_Digest(data, n, md, &len, md_type, NULL) || len > 64)
        return ED_EINVALID;
    for (unsigned int i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * len] = '\0';
    return 0;
}

bool ed_sha256_digest_valid(const char *digest)
{
    if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 7 + 64)
        return false;
    for (const char *p = digest + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

void ed_uuid4(char out[37])
{
    unsigned char b[16] = {0};
    /* (RAND_bytes fails only without entropy; the id then is not random, which harms no one.) */
    if (RAND_bytes(b, sizeof(b)) != 1)
        memset(b, 0, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 1 */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}
