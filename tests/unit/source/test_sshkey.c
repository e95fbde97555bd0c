/*
 * ed_source_ssh_keypair_new (sshkey.c), the deploy key eddy bootstrap makes over SSH without
 * --private-key-file: for each algorithm flux offers (RSA of a given size, ECDSA on each NIST
 * curve, Ed25519), the private key is unencrypted PKCS#8 PEM and OpenSSH's ssh-keygen, reading
 * it, derives exactly the public line written beside it (its type and wire encoding; for
 * Ed25519, whose PKCS#8 form ssh-keygen does not read, the line is built from the raw key
 * openssl prints); an unknown algorithm or curve is refused. ed_source_ssh_public_line, the
 * public key bootstrap derives from --private-key-file: ssh-keygen's for each format, and
 * x/crypto's errors. The host key scan needs a server: the bootstrap e2e test runs it against
 * the test sshd.
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

/* ed_source_ssh_public_line of the key in dir/name (passphrase or NULL): its line, or "error:
 * <message>"; a new string. */
static char *public_of(const char *dir, const char *name, const char *passphrase)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    size_t len = 0;
    char *key = ed_file_read(path, 1 << 16, &len);
    assert_non_null(key);
    char *line = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_source_ssh_public_line(key, len, passphrase, &line, &err) != 0) {
        assert_null(line);
        line = ed_xasprintf("error: %s", err.msg);
    }
    free(key);
    return line;
}

/* ssh-keygen's public line of dir/name ("type base64\n", its comment left out). */
static char *keygen_public(const char *dir, const char *name, const char *passphrase)
{
    sh("ssh-keygen -y -P '%s' -f '%s/%s' | cut -d' ' -f1,2 >'%s/%s.derived'", passphrase, dir, name,
       dir, name);
    char path[300];
    snprintf(path, sizeof(path), "%s/%s.derived", dir, name);
    size_t len = 0;
    char *line = ed_file_read(path, 1 << 16, &len);
    assert_non_null(line);
    return line;
}

/* The public line bootstrap derives from --private-key-file, as flux's (x/crypto's
 * ParsePrivateKey): the key ssh-keygen derives, for OpenSSH's format (encrypted too, with its
 * passphrase) and PEM (PKCS#1, SEC 1, PKCS#8, an encrypted PKCS#1 with its passphrase), and
 * x/crypto's errors. */
void test_ssh_public_line(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof(dir), "%s/sshpub-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    sh("cd '%s' && ssh-keygen -q -t ed25519 -N '' -C me@host -f ed && "
       "ssh-keygen -q -t ecdsa -b 384 -N '' -f ec && ssh-keygen -q -t rsa -b 2048 -N '' -f rsa && "
       "ssh-keygen -q -t ed25519 -N pw -f ed-pw && "
       "ssh-keygen -q -t rsa -b 2048 -m PEM -N '' -f rsa-pem && "
       "openssl ecparam -genkey -name prime256v1 -noout -out ec-pem 2>/dev/null && "
       "openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -out pkcs8 2>/dev/null && "
       "openssl rsa -in rsa-pem -traditional -aes256 -passout pass:pw -out rsa-pem-pw "
       "2>/dev/null && "
       "openssl pkcs8 -topk8 -in pkcs8 -passout pass:pw -out pkcs8-pw 2>/dev/null && "
       "echo garbage >garbage && chmod 600 *",
       dir);
    static const struct {
        const char *name, *passphrase;
    } same[] = {
        {"ed", NULL},      {"ec", NULL},     {"rsa", NULL},   {"ed-pw", "pw"},
        {"rsa-pem", NULL}, {"ec-pem", NULL}, {"pkcs8", NULL}, {"rsa-pem-pw", "pw"},
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        char *want = keygen_public(dir, same[i].name, same[i].passphrase ? same[i].passphrase : "");
        char *got = public_of(dir, same[i].name, same[i].passphrase);
        assert_string_equal(want, got);
        free(want);
        free(got);
    }
    static const struct {
        const char *name, *passphrase, *error;
    } errors[] = {
        {"garbage", NULL, "error: ssh: no key found"},
        {"ed-pw", NULL, "error: ssh: this private key is passphrase protected"},
        {"rsa-pem-pw", NULL, "error: ssh: this private key is passphrase protected"},
        {"ed", "pw", "error: ssh: key is not password protected"},
        {"rsa-pem", "pw", "error: ssh: not an encrypted key"},
        {"rsa-pem-pw", "bad", "error: x509: decryption password incorrect"},
        {"pkcs8-pw", NULL, "error: ssh: unsupported key type \"ENCRYPTED PRIVATE KEY\""},
    };
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        char *got = public_of(dir, errors[i].name, errors[i].passphrase);
        assert_string_equal(errors[i].error, got);
        free(got);
    }
    sh("rm -rf '%s'", dir);
}
