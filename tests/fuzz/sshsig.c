/*
 * libFuzzer target for SSH signatures on Git objects (the signature comes from the Git server:
 * untrusted): the input is split at its first 0xff byte into a public key blob, offered as the
 * authorized_keys line of a `.sshpub` entry, and an SSHSIG blob, armored as git writes it. The
 * check may fail but must neither crash nor leak, and it can only succeed with a fingerprint.
 */
#include "source/source_int.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *b64(const uint8_t *p, size_t n)
{
    char *out = ed_xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)out, p, (int)n);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const uint8_t *sep = memchr(data, 0xff, size);
    size_t key_len = sep ? (size_t)(sep - data) : 0;
    const uint8_t *sig = sep ? sep + 1 : data;
    size_t sig_len = size - (size_t)(sig - data);
    char *key64 = b64(data, key_len), *sig64 = b64(sig, sig_len);
    char *line = ed_xasprintf("ssh-fuzz %s comment\n", key64);
    char *armored =
        ed_xasprintf("-----BEGIN SSH SIGNATURE-----\n%s\n-----END SSH SIGNATURE-----\n", sig64);
    ed_source_secret_entry keys[] = {{"fuzz.sshpub", line, strlen(line)}};
    char fpr[64] = "";
    ed_err err = ED_ERR_INIT;
    int rc = ed_source_sshsig_verify("tree 0\n", 7, armored, strlen(armored), keys, 1, fpr,
                                     sizeof(fpr), "commit", &err);
    if (rc == 0 && strncmp(fpr, "SHA256:", 7) != 0)
        abort();
    if (rc != 0 && rc != ED_EAUTH)
        abort();
    free(key64);
    free(sig64);
    free(line);
    free(armored);
    return 0;
}
