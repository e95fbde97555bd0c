/*
 * libFuzzer target for SOPS decryption (src/kustomize/sops.c): encrypted manifests come from
 * Git. The input is parsed as YAML; every document with SOPS metadata is decrypted with the
 * identity the corpus's files were encrypted for (so mutations reach the age header, the
 * payload and the ENC[...] values); the input is also read as an age identity file and as a
 * secretGenerator's file of each format (dotenv, binary, JSON, YAML, INI).
 * Nothing may crash or leak; a failure must say why.
 */
#include "kustomize/kustomize.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char IDENTITY[] =
    "AGE-SECRET-KEY-1Y9YCCD606HF98HV4JPUK4880W7AWPQLM3TLRFHHZHWDRAL9VS02QKLLDEK\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_sops_keys *keys = ed_sops_keys_new();
    ed_err err = ED_ERR_INIT;
    if (ed_sops_keys_add_age(keys, IDENTITY, strlen(IDENTITY), &err) != 0)
        abort();
    ed_sops_keys *other = ed_sops_keys_new();
    if (ed_sops_keys_add_age(other, (const char *)data, size, &err) != 0 &&
        (err.code == 0 || ed_sops_keys_count(other) != 0))
        abort();
    ed_sops_keys_free(other);
    ed_doc **docs = NULL;
    size_t n = 0;
    if (ed_doc_parse_yaml((const char *)data, size, "fuzz.yaml", &docs, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++) {
            ed_node *root = ed_doc_root(docs[i]);
            if (!ed_sops_is_encrypted(root))
                continue;
            ed_err derr = ED_ERR_INIT;
            if (ed_sops_decrypt(docs[i], root, "Secret/ns/fuzz", keys, &derr) != 0 &&
                (derr.code == 0 || !derr.msg[0]))
                abort();
        }
        ed_doc_list_free(docs, n);
    }
    static const char *const paths[] = {"f.env", "f.bin", "f.json", "f.yaml", "f.ini"};
    for (int i = 0; i < 5; i++) {
        char *out = NULL;
        size_t len = 0;
        ed_err ferr = ED_ERR_INIT;
        int rc = ed_sops_decrypt_file(paths[i], i == 0, (const char *)data, size, keys, &out, &len,
                                      &ferr);
        if ((rc && (out || !ferr.msg[0])) || (out && strlen(out) > len))
            abort();
        free(out);
    }
    ed_sops_keys_free(keys);
    return 0;
}
