/*
 * ed_source_ssh_keypair_new (sshkey.c), the deploy key eddy bootstrap makes over SSH without
 * --private-key-file: for each algorithm flux offers (RSA of a given size, ECDSA on each NIST
 * curve, Ed25519), the private key is unencrypted PKCS#8 PEM and OpenSSH's ssh-keygen, reading
 * it, derives exactly the public line written beside it (its type and wire encoding; for
 * Ed25519, whose PKCS#8 form ssh-keygen does not read, the line is built from the raw key
 * openssl prints); an unknown algorithm or curve is refused. The host key scan needs a server: the
 * bootstrap e2e test runs it against the test sshd.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "source/source_int.h"
#include "source_tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The public key ssh-keygen derives from the PEM private key (its "type base64"). */
static void derived_public(const char *pem, char *out, size_t n)
{
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/sshkey-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char key[300], pub[300];
    snprintf(key, sizeof(key), "%s/key", dir);
    snprintf(pub, sizeof(pub), "%s/pub", dir);
    FILE *f = fopen(key, "w");
    assert_non_null(f);
    fputs(pem, f);
    fclose(f);
    if (strstr(pem, "MC4CAQAwBQYDK2Vw")) /* Ed25519's PKCS#8 prefix */
        sh("{ printf 'ssh-ed25519 '; { printf "
           "'\\000\\000\\000\\013ssh-ed25519\\000\\000\\000\\040'; "
           "openssl pkey -in '%s' -pubout -outform DER | tail -c 32; } | base64 -w0; } >'%s'",
           key, pub);
    else
        sh("chmod 600 '%s' && ssh-keygen -y -f '%s' | cut -d' ' -f1,2 >'%s'", key, key, pub);
    f = fopen(pub, "r");
    assert_non_null(f);
    assert_non_null(fgets(out, (int)n, f));
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
    sh("rm -rf '%s'", dir);
}

void test_ssh_keypair_new(void **state)
{
    (void)state;
    static const struct {
        const char *algorithm, *curve;
        int bits;
        const char *type;
    } cases[] = {
        {"ecdsa", "p256", 0, "ecdsa-sha2-nistp256 "},
        {"ecdsa", "p384", 0, "ecdsa-sha2-nistp384 "},
        {"ecdsa", "p521", 0, "ecdsa-sha2-nistp521 "},
        {"ed25519", NULL, 0, "ssh-ed25519 "},
        {"rsa", NULL, 2048, "ssh-rsa "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *pem = NULL, *line = NULL;
        ed_err err = ED_ERR_INIT;
        assert_int_equal(0, ed_source_ssh_keypair_new(cases[i].algorithm, cases[i].bits,
                                                      cases[i].curve, &pem, &line, &err));
        assert_true(ed_str_has_prefix(pem, "-----BEGIN PRIVATE KEY-----\n"));
        assert_true(ed_str_has_prefix(line, cases[i].type));
        assert_true(ed_str_has_suffix(line, "\n"));
        char derived[4096];
        derived_public(pem, derived, sizeof(derived));
        assert_int_equal(strlen(derived) + 1, strlen(line));
        assert_memory_equal(derived, line, strlen(derived));
        free(pem);
        free(line);
    }
    char *pem = NULL, *line = NULL;
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ED_EINVALID, ed_source_ssh_keypair_new("dsa", 0, NULL, &pem, &line, &err));
    assert_string_equal("unsupported public key algorithm: dsa", err.msg);
    assert_int_equal(ED_EINVALID, ed_source_ssh_keypair_new("ecdsa", 0, "p224", &pem, &line, &err));
    assert_null(pem);
    assert_null(line);
}
