/*
 * SOPS decryption (src/kustomize/sops.c) against files encrypted by the reference
 * implementation: getsops/sops v3.9.0 with an age recipient (tests/tools/sopsfixture, which
 * also made the test identities; the plain inputs are the *_PLAIN texts).
 */
#include "kustomize/kustomize.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kustomize_tests.h"

/* The identity the fixtures were encrypted for, and another one. */
static const char KEY1[] =
    "# public key: "
    "age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\nAGE-SECRET-KEY-"
    "1Y9YCCD606HF98HV4JPUK4880W7AWPQLM3TLRFHHZHWDRAL9VS02QKLLDEK\n";
static const char KEY2[] =
    "AGE-SECRET-KEY-1GYUMEM6VVJ5020V3WF4DPY92HLFMVJEZHEYV2256YK6JLXNWZP5QEUS2QD\n";

static const char SECRET_PLAIN[] = "apiVersion: v1\n"
                                   "kind: Secret\n"
                                   "metadata:\n"
                                   "  name: db\n"
                                   "type: Opaque\n"
                                   "stringData:\n"
                                   "  password: s3cr3t-value\n"
                                   "  port: \"5432\"\n"
                                   "  empty: \"\"\n"
                                   "data:\n"
                                   "  token: dG9rZW4=\n";

static const char SECRET_ENC[] =
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata:\n"
    "    name: db\n"
    "type: Opaque\n"
    "stringData:\n"
    "    password: "
    "ENC[AES256_GCM,data:uIio1CiXCnR7oo1W,iv:qODin76OH3VrFAt1w9kPVYVLkS0d7UabBscnuwjdP9A=,tag:"
    "YAjp3CpMGUgt+zfgqpJl/w==,type:str]\n"
    "    port: "
    "ENC[AES256_GCM,data:UlEUCg==,iv:KwOXGmAX8xKfosflkL+Y/"
    "RhJe8c4nSlbnPgH6rNbJfg=,tag:ahD9bVSUCoGDf4b4GGQOmA==,type:str]\n"
    "    empty: \"\"\n"
    "data:\n"
    "    token: "
    "ENC[AES256_GCM,data:Ley3azUy8Og=,iv:rsE3k/D57rUGSN7T6OJLsex6LYUiBvbpv/"
    "Q+bchVYsY=,tag:BKk0F9zY8UbzYjeNtWbNQQ==,type:str]\n"
    "sops:\n"
    "    kms: []\n"
    "    gcp_kms: []\n"
    "    azure_kv: []\n"
    "    hc_vault: []\n"
    "    age:\n"
    "        - recipient: age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "          enc: |\n"
    "            -----BEGIN AGE ENCRYPTED FILE-----\n"
    "            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSAzbFltV3FHM1JpT093eDB4\n"
    "            SHV6ZThET2hBeUk1NTlSY1pLcGFiemZWMW5BCjBKakx2MnJ1eFQyQjFOOVQwRTFm\n"
    "            MFB6VjJzZ2UwR0NhZXFsOWM3N2g0OXMKLS0tIFFObFlIN0FrcWpFUWp5T0xnSFRX\n"
    "            aEV2RU4xZXpnbXlwWDBWSDRFNm9nN0UKEZ6nfRNUJpU+SOl5GoZbdfa+sql+OUoH\n"
    "            pB5FDacsgakJ+/O8GUBCJICNbb7wuFgiHVLC4s1DbsWUN0sH4j5DDA==\n"
    "            -----END AGE ENCRYPTED FILE-----\n"
    "    lastmodified: \"2026-11-29T05:24:51Z\"\n"
    "    mac: "
    "ENC[AES256_GCM,data:OXIzCFXonYQp9jeXr3gZWEeOTnXd1bmAhcJZ760UMCIPQf3asiH5Qps7XwBM+"
    "n2ZQwHbzy2wGriEcuolVZ4gC5V3o4NYs6lhazFpg5msE+/+lYj1RqbzhdfoPNQ4DcgRx9TYXZkZlho1/"
    "+GEPHQb9gIhEol5ciNv3azBiuT9l98=,iv:2blAflJSEusvCf8MBtm3+iTULRGtRqmbMLPWUn2yztY=,tag:"
    "M7jkWF13yH/axoo/RCf9qA==,type:str]\n"
    "    pgp: []\n"
    "    encrypted_regex: ^(data|stringData)$\n"
    "    version: 3.9.0\n";

static const char TYPED_PLAIN[] = "apiVersion: example.com/v1\n"
                                  "kind: Widget\n"
                                  "metadata:\n"
                                  "  name: typed\n"
                                  "spec:\n"
                                  "  replicas: 3\n"
                                  "  ratio: 0.5\n"
                                  "  big: 12345678901\n"
                                  "  enabled: true\n"
                                  "  off: false\n"
                                  "  text: \"hello: world\"\n"
                                  "  items:\n"
                                  "  - a\n"
                                  "  - k: v\n"
                                  "    n: 7\n"
                                  "  - [x, y]\n"
                                  "  nested:\n"
                                  "    deep:\n"
                                  "      value: deep-secret\n"
                                  "  note_unencrypted: in clear\n";

static const char TYPED_ENC[] =
    "apiVersion: example.com/v1\n"
    "kind: Widget\n"
    "metadata:\n"
    "    name: typed\n"
    "spec:\n"
    "    replicas: "
    "ENC[AES256_GCM,data:2A==,iv:oj98ZfZowamr8ekJCTqA4kd6jfYU/"
    "aV0gYfWO3gdrKg=,tag:k5vYX4WGiSK9plgJh2asPw==,type:int]\n"
    "    ratio: "
    "ENC[AES256_GCM,data:YJV8,iv:Gwi+PkeAG7mVKLzRQwkfPCFQXk1HnNc2uXSkLT5wWH0=,tag:"
    "314zsgVHJ24gmYQOKBKQHg==,type:float]\n"
    "    big: "
    "ENC[AES256_GCM,data:1WKPJFO9xcZvsvE=,iv:b/"
    "HiuTk97kwBugCxFnKoSj1auaIVizIfSKPidEfP6xM=,tag:pfLXUiDIs08TSgWTA0QPdQ==,type:int]\n"
    "    enabled: "
    "ENC[AES256_GCM,data:JWfovQ==,iv:GF1se75JnKtnz4Cl5AOlRBKjxF+dmtAfm+7+kwj5seo=,tag:"
    "IBxqcK3n4NcOgdUnlc77kg==,type:bool]\n"
    "    \"off\": "
    "ENC[AES256_GCM,data:V7U8DNM=,iv:b6M3S7t0AF+iS+B4tknGXSbDLdYT3TTiQQbzhqFa25g=,tag:2C8fZ/"
    "6YE8paXfBruehF9Q==,type:bool]\n"
    "    text: "
    "ENC[AES256_GCM,data:sooHRcpLPIlhvP/D,iv:YKgKID0jnVosLrHlgcmU9sd9E0kctU/"
    "oAoZkETkWhaw=,tag:b1uoQjWgRUlXn2BFSWWt3g==,type:str]\n"
    "    items:\n"
    "        - "
    "ENC[AES256_GCM,data:Aw==,iv:YXlf207DeA/G3+Vq8CruC9GUEl+UntqUYrn/"
    "pjni1lU=,tag:wEjq8+vv8zIEzTAIXjIR6A==,type:str]\n"
    "        - k: "
    "ENC[AES256_GCM,data:SA==,iv:TeQHmb8K8BnsEBrI+vI1AD+MxMOKQsdLRx4T0XLH2b8=,tag:"
    "uqvG3jS4UwQX0fuzl6KhCw==,type:str]\n"
    "          \"n\": "
    "ENC[AES256_GCM,data:NQ==,iv:6BGNdViUMqza0qzOntHibcGnjaDqKejBDWPD1ONt5uE=,tag:"
    "A14jwzE01f6l3ASFw+vdgg==,type:int]\n"
    "        - - "
    "ENC[AES256_GCM,data:1w==,iv:RxVBQ+mswnPefScJd6UDuSpac3stU2MsvZdKEf9H6NU=,tag:"
    "3oqJwNGbg7I6EE80X+bRhQ==,type:str]\n"
    "          - "
    "ENC[AES256_GCM,data:Hw==,iv:QbHd9tO5DAIvG4mJpP7wGtoagjmIcXL1P654SN55n8I=,tag:Zpb+lq/"
    "611ppVbcVBJzXWg==,type:str]\n"
    "    nested:\n"
    "        deep:\n"
    "            value: "
    "ENC[AES256_GCM,data:2QwxFOMOzgIN4oU=,iv:Om/"
    "Bt8Il8qqNv7f+pJKgV6zthJti2gOMEOgfhDKxjdI=,tag:aov2KgDlDDdt3Y9es9Idow==,type:str]\n"
    "    note_unencrypted: "
    "ENC[AES256_GCM,data:rPr9LNGog0Q=,iv:wjbmJv9tNwAXbqilOOZvh5QQn9kVfmnVk3zPVVOuJHs=,tag:UbC+"
    "oyZIzIjl/TGjLdFARw==,type:str]\n"
    "sops:\n"
    "    kms: []\n"
    "    gcp_kms: []\n"
    "    azure_kv: []\n"
    "    hc_vault: []\n"
    "    age:\n"
    "        - recipient: age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "          enc: |\n"
    "            -----BEGIN AGE ENCRYPTED FILE-----\n"
    "            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBDYlJ3a1ZsUnBmTXFDTDVj\n"
    "            dk9tYzJiUkF0Uytwajh5NG5yZ3ZPN0lLL1FrCnFmR2l3NktRTFIxdnNqUEVXSUJ3\n"
    "            TUxybVQxQmJoYzlaRGtYeVBuWHhoZTAKLS0tIHFWbEtlSTk0bHVoRXBaRVI1UnJy\n"
    "            dGF5RW0wRTZkTC9qTjdadkJhNVdwemMKN6mpypiojhODHUL2DSDNAWzDQu0FqbZW\n"
    "            iJMbNCb2rWvo1LoRzlJy+jdAnpzXvHiMSP6mq7jqL///LsaScbHtfw==\n"
    "            -----END AGE ENCRYPTED FILE-----\n"
    "    lastmodified: \"2026-11-29T05:24:51Z\"\n"
    "    mac: "
    "ENC[AES256_GCM,data:agmFWemMaHRmak/"
    "ZCh2jKHeQkbjPAESCutAEyNjpZuoy7MpJ7ipF58qjHS4Lxf8UyeXY9W06Qt4mX+m4lw+"
    "2fCCDgADGkKigR44sKqvBWccx2SBC48VtWbwUWyfMuvC4e+uhLEwPVRSsf+tbCoEd39ri47O/"
    "3o2H53xGICPTjA8=,iv:dWj0Lb8TabvCR14uzXZcuAL6iEHpU2NrN2S0gBlLTsE=,tag:23uNLG6x0gFTRZ2KZZMwLA==,"
    "type:str]\n"
    "    pgp: []\n"
    "    encrypted_regex: ^spec$\n"
    "    version: 3.9.0\n";

static ed_doc *parse_one(const char *text)
{
    ed_doc **docs = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_doc_parse_yaml(text, strlen(text), "fixture.yaml", &docs, &n, &err) != 0 || n != 1)
        fail_msg("fixture: %s", err.msg);
    ed_doc *d = docs[0];
    free(docs);
    return d;
}

static ed_sops_keys *keys_of(const char *text)
{
    ed_sops_keys *k = ed_sops_keys_new();
    ed_err err = ED_ERR_INIT;
    if (ed_sops_keys_add_age(k, text, strlen(text), &err) != 0)
        fail_msg("keys: %s", err.msg);
    return k;
}

/* Decrypt the encrypted fixture and compare it with the plain one, whole. */
static void expect_plain(const char *enc, const char *plain)
{
    ed_doc *d = parse_one(enc), *want = parse_one(plain);
    assert_true(ed_sops_is_encrypted(ed_doc_root(d)));
    assert_false(ed_sops_is_encrypted(ed_doc_root(want)));
    ed_sops_keys *k = keys_of(KEY1);
    ed_err err = ED_ERR_INIT;
    if (ed_sops_decrypt(d, ed_doc_root(d), "Obj/ns/name", k, &err) != 0)
        fail_msg("decrypt: %s", err.msg);
    assert_null(ed_node_get(ed_doc_root(d), "sops"));
    if (!ed_node_equal(ed_doc_root(d), ed_doc_root(want))) {
        ed_buf b = ED_BUF_INIT(1 << 20);
        ed_node_to_yaml(ed_doc_root(d), &b);
        fail_msg("decrypted:\n%s", b.data);
    }
    ed_sops_keys_free(k);
    ed_doc_free(d);
    ed_doc_free(want);
}

void test_sops_decrypt(void **state)
{
    (void)state;
    expect_plain(SECRET_ENC, SECRET_PLAIN);
    /* ints, a float, bools, a string that looks like a mapping, sequences in sequences */
    expect_plain(TYPED_ENC, TYPED_PLAIN);
    ed_doc *d = parse_one(TYPED_ENC);
    ed_sops_keys *k = keys_of(KEY1);
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Widget/ns/typed", k, &err), 0);
    int64_t i = 0;
    assert_true(ed_node_int(ed_node_path(ed_doc_root(d), "/spec/big"), &i));
    assert_true(i == 12345678901LL);
    double f = 0;
    assert_true(ed_node_float(ed_node_path(ed_doc_root(d), "/spec/ratio"), &f, NULL));
    assert_true(f == 0.5);
    ed_doc_free(d);

    /* What kustomize adds before decryption (a namespace, labels) is left alone: the MAC is
     * not checked, as Flux does not. */
    d = parse_one(SECRET_ENC);
    ed_node *meta = ed_node_get(ed_doc_root(d), "metadata");
    ed_node_set(d, meta, "namespace", ed_node_new_str(d, "apps"));
    ed_node *labels = ed_node_new_map(d);
    ed_node_set(d, labels, "team", ed_node_new_str(d, "a"));
    ed_node_set(d, meta, "labels", labels);
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/apps/db", k, &err), 0);
    assert_string_equal(ed_node_path_str(ed_doc_root(d), "/stringData/password"), "s3cr3t-value");
    assert_string_equal(ed_node_path_str(ed_doc_root(d), "/metadata/namespace"), "apps");
    ed_doc_free(d);
    ed_sops_keys_free(k);
}

void test_sops_refusals(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    /* Another identity: the data key stays closed. */
    ed_doc *d = parse_one(SECRET_ENC);
    ed_sops_keys *other = keys_of(KEY2);
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/db", other, &err), ED_EAUTH);
    /* sops's own report, as Flux's message quotes it (Flux 2.9.5, the same file and key) */
    assert_string_equal(
        err.msg,
        "cannot get sops data key: Failed to get the data key required to decrypt the SOPS "
        "file.\n\nGroup 0: FAILED\n  "
        "age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n: "
        "FAILED\n    - | failed to create reader for decrypting sops data key with\n      | age: "
        "identity did not match any of the recipients: incorrect\n      | identity for "
        "recipient block\n\nRecovery failed because no master key was able to decrypt the file. "
        "In\norder for SOPS to recover the file, at least one key has to be successful,\nbut "
        "none were.");
    ed_doc_free(d);
    ed_sops_keys_free(other);

    ed_sops_keys *k = keys_of(KEY1);
    /* A value moved to another key: its path is its additional data, so it does not open. */
    d = parse_one(SECRET_ENC);
    ed_node *sd = ed_node_get(ed_doc_root(d), "stringData");
    ed_node_set(d, sd, "port", ed_node_copy(d, ed_node_get(sd, "password")));
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/db", k, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "Secret/ns/db"));
    assert_non_null(strstr(err.msg, "'stringData.port'"));
    ed_doc_free(d);

    /* A changed ciphertext: refused, naming the field and never a value. */
    char *bad = strdup(SECRET_ENC);
    char *p =
        strstr(bad, "password: ENC[AES256_GCM,data:") + strlen("password: ENC[AES256_GCM,data:");
    *p = *p == 'A' ? 'B' : 'A';
    d = parse_one(bad);
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/db", k, &err), ED_EINVALID);
    assert_non_null(strstr(err.msg, "'stringData.password' does not decrypt"));
    assert_null(strstr(err.msg, "s3cr3t"));
    ed_doc_free(d);
    free(bad);

    /* A data key for PGP only. */
    d = parse_one("kind: Secret\nstringData: {a: "
                  "'ENC[AES256_GCM,data:AA==,iv:AA==,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]'}\n"
                  "sops: {mac: x, pgp: [{fp: ABC, enc: y}]}\n");
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/p", k, &err), ED_EAUTH);
    assert_string_equal(
        err.msg, "cannot get sops data key: Failed to get the data key required to decrypt the "
                 "SOPS file.\n\nGroup 0: FAILED\n  ABC: FAILED\n    - | could not decrypt data "
                 "key with PGP key: GnuPG binary error:\n      | failed to decrypt sops data key "
                 "with pgp: No secret key\n\nRecovery failed because no master key was able to "
                 "decrypt the file. In\norder for SOPS to recover the file, at least one key has "
                 "to be successful,\nbut none were.");
    ed_doc_free(d);
    ed_sops_keys_free(k);

    /* Identities as sops reads them: comments and empty lines skipped, anything else refused
     * with age's words; a lower-case key is not one (sops wants "AGE-SECRET-KEY-1"); an entry
     * without identities adds none and is no error. */
    k = ed_sops_keys_new();
    assert_int_equal(ed_sops_keys_add_age(k, KEY1, strlen(KEY1), &err), 0);
    assert_int_equal(ed_sops_keys_count(k), 1);
    char crlf[200];
    snprintf(crlf, sizeof(crlf), "%.*s\r\n", (int)strcspn(strchr(KEY1, '\n') + 1, "\n"),
             strchr(KEY1, '\n') + 1);
    assert_int_equal(ed_sops_keys_add_age(k, crlf, strlen(crlf), &err), 0);
    assert_int_equal(ed_sops_keys_count(k), 2);
    char lower[200];
    snprintf(lower, sizeof(lower), "%s", strchr(KEY1, '\n') + 1);
    for (char *c = lower; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    assert_int_equal(ed_sops_keys_add_age(k, lower, strlen(lower), &err), ED_EINVALID);
    assert_string_equal(err.msg,
                        "failed to parse and add to age identities: unknown identity type");
    char mixed[200];
    snprintf(mixed, sizeof(mixed), "%s", strchr(KEY1, '\n') + 1);
    mixed[20] = (char)(mixed[20] - 'A' + 'a');
    assert_int_equal(ed_sops_keys_add_age(k, mixed, strlen(mixed), &err), ED_EINVALID);
    assert_string_equal(
        err.msg, "failed to parse and add to age identities: malformed secret key: mixed case");
    char flipped[200];
    snprintf(flipped, sizeof(flipped), "# x\n\n%s", strchr(KEY1, '\n') + 1);
    char *last = flipped + strlen(flipped) - 2; /* a checksum character */
    *last = *last == 'Q' ? 'P' : 'Q';
    assert_int_equal(ed_sops_keys_add_age(k, flipped, strlen(flipped), &err), ED_EINVALID);
    assert_string_equal(
        err.msg,
        "failed to parse and add to age identities: malformed secret key: invalid checksum");
    assert_int_equal(ed_sops_keys_add_age(k, " AGE-SECRET-KEY-1", 17, &err), ED_EINVALID);
    assert_string_equal(err.msg,
                        "failed to parse and add to age identities: unknown identity type");
    assert_int_equal(ed_sops_keys_add_age(k, "# only\n", 7, &err), 0);
    assert_int_equal(ed_sops_keys_add_age(k, "", 0, &err), 0);
    assert_int_equal(ed_sops_keys_count(k), 2);
    ed_sops_keys_free(k);
}

/* secretGenerator's files (tests/tools/sopsfixture: app.env as dotenv, token.bin as binary,
 * creds.json as json). */
static const char ENV_ENC[] =
    "DB_USER=ENC[AES256_GCM,data:OGWe6gY=,iv:wMiLVCd1gWYvUOEtcq8JiYW5zPeXJ94wG9M42uO9lys=,tag:"
    "K8PTcW9yWle7ygfobmkhuQ==,type:str]\n"
    "DB_PASSWORD=ENC[AES256_GCM,data:aLWgdMCkB5w5SQ==,iv:SWGNLcgfEhfbGQD+"
    "s1e4T7mLaSJu0IaSnUYESp5YA1g=,tag:lpaLcU3YKtnZWJUF2AQ+1g==,type:str]\n"
    "#ENC[AES256_GCM,data:+chwpvUQ+ujx8g==,iv:imkYv5h7/NiN4LjYqBOlD9j12mY1vJEcMG/"
    "8tDE+b80=,tag:yl7X8byjZAUe0RuVivARvA==,type:comment]\n"
    "MULTI=ENC[AES256_GCM,data:P5IAFJMFG3LpnEc=,iv:UMA+4+QrQJyOL1JNE/Hyf6fzJ8bnWUP/"
    "qN47fkRWNDA=,tag:EfGE3v9VxBPemck67wpJ+w==,type:str]\n"
    "sops_age__list_0__map_enc=-----BEGIN AGE ENCRYPTED "
    "FILE-----\\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+"
    "IFgyNTUxOSBBWG1uVTIwcC8wUTZHRUR0\\ncWltcWEzcFVUbkxPNEd3dWhOeUJxZVk3R1dNCm83QnRCZDVCeTJBb0luNk5"
    "icEY1\\nT0tHNTAyVUZPb2MyOE0zMXg0cHNzT2MKLS0tIFUzeURTVERJY1JJRE1xZlhsWnlK\\nSlBhZ0Y3QjJTMVlQMzR"
    "TckxreDZIVDQKW+jAqYpk4On0AxOmxKNJvFivtSg6rf21\\nIMfrGWc3o7CmO+"
    "rXpOylaq47x5smH0Y7YzIPxomrIg2m58oHLHyo/g==\\n-----END AGE ENCRYPTED FILE-----\\n\n"
    "sops_age__list_0__map_recipient="
    "age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "sops_lastmodified=2026-11-29T05:37:47Z\n"
    "sops_mac=ENC[AES256_GCM,data:"
    "0M9FX42KX0DeXNr4q1dLYvTytA9Roq5ePwKmLMaYM12Eo6yVGvxqfG2Aq0U6jiUeYoqe1wGH6u2H1PJ1tt3SkisMaihfSc"
    "Kt4hgWvtPQEjb27mH4x8TF0VQKGLHLjD9Mqmz1k7jzpAkbTo3kM9CMMNm+nlIw12qTbR3n1ps+Dk0=,iv:"
    "kUeBtxoK8nCM0bISMputr6OSSo3DopxfPe2VD7rcwB8=,tag:pMNpYhwHs1+rTwg/ocBa9w==,type:str]\n"
    "sops_unencrypted_suffix=_unencrypted\n"
    "sops_version=3.9.0\n";

static const char BIN_ENC[] =
    "{\n"
    "\"data\": "
    "\"ENC[AES256_GCM,data:6swTBYBTHoIHt3v8YWGtmA==,iv:rUgyLHJAbJro9eHVBPdJK4hWBXOcO2zhLtq4KlA7m9k="
    ",tag:5eyDzFUsVWaywUnK+pZJkw==,type:str]\",\n"
    "\"sops\": {\n"
    "\"kms\": null,\n"
    "\"gcp_kms\": null,\n"
    "\"azure_kv\": null,\n"
    "\"hc_vault\": null,\n"
    "\"age\": [\n"
    "{\n"
    "\"recipient\": \"age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\",\n"
    "\"enc\": \"-----BEGIN AGE ENCRYPTED "
    "FILE-----\\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+"
    "IFgyNTUxOSBKb3hVTStrYktYTnlkYUdn\\nQU11TFZVd3UxdGN2cFY5T1EraStyWExSb0FrClN5TWVTTEQ0UGRhallxckx"
    "2Z1Ra\\nd3BZbUp1SlcvbkptMGVGUTJQUURJeVUKLS0tIFUxaVlCM3Q2Tm1QQkZxbENNcEIw\\nT1YxeHlZM0FpRDdHQ3Z"
    "xMnd0SnJDZkUKRH/"
    "rmrGgmkagqIgRi6XOjHt7xcvd+1RT\\npHr6M35fuSrqezDS4Gdum7UGPiGOa2OMqHBkEr0ZAzU+6dOwYKIQHA==\\n---"
    "--END AGE ENCRYPTED FILE-----\\n\"\n"
    "}\n"
    "],\n"
    "\"lastmodified\": \"2026-11-29T05:37:47Z\",\n"
    "\"mac\": "
    "\"ENC[AES256_GCM,data:Sn064K4vHpJYB4I4U9nHpI7ulaZNYmyQmUn6X7MfAiU4OCLDYopk9Mxz83pqQ1QzyThZ90q/"
    "8ykzlnViJfR2m0ib7gFFxj5qOstgaVMGWxGYo0sCRGBgGbm4RBG6+"
    "s68KKb4TaPbMO8dqDUcmysIXFrhA51EZrmWbpkdaShSrVs=,iv:kRWIsrbV2/"
    "kTP3WBHNcGOX9trmt9qAbwt9FHHZRkpLY=,tag:ZFAg5lZDsiS2nCD16/T9gg==,type:str]\",\n"
    "\"pgp\": null,\n"
    "\"unencrypted_suffix\": \"_unencrypted\",\n"
    "\"version\": \"3.9.0\"\n"
    "}\n"
    "}";

static const char JSON_ENC[] =
    "{\n"
    "\"user\": "
    "\"ENC[AES256_GCM,data:fYPF,iv:1t0fcahNemzoR2rkWoyC9oEUXBA80Hrta5NgJ2iJn7o=,tag:81qi1JU+"
    "Yw6nvTDnEs6JFg==,type:str]\",\n"
    "\"port\": "
    "\"ENC[AES256_GCM,data:PWSkFA==,iv:jbRRk1CmUMSzLnPrYeAt2G5JN4/"
    "2ypUfkB8OGPhP1kc=,tag:NdVMZ7L2mzYjXzVc0l2RHw==,type:float]\",\n"
    "\"tls\": "
    "\"ENC[AES256_GCM,data:EPVrUQ==,iv:G3Byv3piRv1BZTOGu/kaheI/"
    "h1Z8lNiaXN87qiX7pp4=,tag:JQ7rB8jeSIwCOJKuGA6Hww==,type:bool]\",\n"
    "\"sops\": {\n"
    "\"kms\": null,\n"
    "\"gcp_kms\": null,\n"
    "\"azure_kv\": null,\n"
    "\"hc_vault\": null,\n"
    "\"age\": [\n"
    "{\n"
    "\"recipient\": \"age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\",\n"
    "\"enc\": \"-----BEGIN AGE ENCRYPTED "
    "FILE-----\\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+"
    "IFgyNTUxOSBiVGpkWHNkSGJ6cGJ1VHZV\\nS0gvdC9ybE1aRFp5aWhCcU95YzdoU04yUkhvCnp2WDdIWVRtNjh2RlpWbHU"
    "3RzB5\\nNlV6VXJpYkpQRDdCZ3R4Yk9ORVQvRzAKLS0tIFJpYmVTS1h4dzR5R3FyOFN1Vjgy\\nR3l2RENzc3FIUW9ORFU"
    "wYkVlWE1vMUUKGW7Ba9iqGT1jGbZ5bbnqIVh39iNPoiLv\\njbrb5jnn2qIHJXBDgg8WWOQoV1VIBnQN0IR2fU8sC3hx3C"
    "ZCByTdKA==\\n-----END AGE ENCRYPTED FILE-----\\n\"\n"
    "}\n"
    "],\n"
    "\"lastmodified\": \"2026-11-29T05:37:47Z\",\n"
    "\"mac\": "
    "\"ENC[AES256_GCM,data:kq2MkKJQUw6amQytquYSdzIC/GBnZWD71jQMyQL4AILcrOhVzG4aFLqMmkX5UgvhhO3dx/"
    "I0Lhw3rv/3zkoK0yuB7/"
    "YSWiucXn9cspEvxA+2FLSiSlqGoIUu9aM39b2M93BuoG6fTHQYbUW+bg5mHmU0764Zt3cakk0E/O95cPQ=,iv:mzd7r/"
    "EnFDeMrgNTPu8J5JCCRPBl2hMeFbxTQlXbQZc=,tag:/VdS/HpPzeZr4UfauYlQuA==,type:str]\",\n"
    "\"pgp\": null,\n"
    "\"unencrypted_suffix\": \"_unencrypted\",\n"
    "\"version\": \"3.9.0\"\n"
    "}\n"
    "}";
/* As sops's JSON store writes it (tab-indented), the text Flux's Secret holds. */
static const char JSON_PLAIN[] = "{\n\t\"user\": \"svc\",\n\t\"port\": 5432,\n\t\"tls\": true\n}\n";

/* An INI file (tests/tools/sopsfixture/sections.ini, encrypted as ini) with keys before any
 * section, comments above a header, after it and above a key, an inline comment, an empty
 * value, and values and a key go-ini must quote; INI_PLAIN is what sops's INI store writes
 * for it decrypted (`sopsfixture decrypt ini`), the bytes Flux's Secret holds. */
static const char INI_ENC[] =
    "top = "
    "ENC[AES256_GCM,data:GAQFTG0=,iv:ZX1pOAoQhMid0wSiCycw8pxkFl8IukRFWOFylITxjAQ=,tag:"
    "IuV5KSkcC210ZHWq6WuuPA==,type:str]\n"
    "\n"
    "; "
    "ENC[AES256_GCM,data:+5dTrxpaAxX5EKc2YGnUc2KITl2hNw==,iv:+ZdGdaWejJyuzHvdZYI/"
    "E5tW9YvgW6lqAbWfeh8YqZM=,tag:bcY9uHOOmMrPc79W+yA7bg==,type:comment]\n"
    "[db]\n"
    "user     = "
    "ENC[AES256_GCM,data:GGQN,iv:HWALGH1lScge2REUGutwVgPy1rBudigsdfaHrItKT6I=,tag:"
    "6Z4VTH9JfTxt7HXr87JEYg==,type:str]\n"
    "password = "
    "ENC[AES256_GCM,data:BzhObl643WdC,iv:6lCslTkTVPpUDPU0r6ptatNrhj9S15HXENJRSl0O4PI=,tag:"
    "J0xCaADSUZzQ3Hpt8RvwlQ==,type:str]\n"
    "; "
    "ENC[AES256_GCM,data:kWPYPDRpdFw=,iv:pQaUDNdjaSZjsMZH/"
    "3BDLYqf98A7iGtbMrN2874atV0=,tag:yEEjEDZTFPTA6pU+eyl7cQ==,type:comment]\n"
    "port     = "
    "ENC[AES256_GCM,data:Rj6myQ==,iv:BLQ+j3ArgylLjpPXPm7aoScJ9z3BRtoRUBbwQ//"
    "uWss=,tag:ajE5i5obAS5gSauGjYljsA==,type:str]\n"
    "empty    = \n"
    "spaced   = "
    "ENC[AES256_GCM,data:gST+N4EV7jSN8A==,iv:/wm/jh6Rwx/"
    "HHI1drwvVopIlC4JtkE9YHzqq3Ujlb44=,tag:dsc6EBWdROgZF94Q3YRAgg==,type:str]\n"
    "hash     = "
    "ENC[AES256_GCM,data:22Ex,iv:5DyjJspNTYwAq1IPIFlc1blg8Ar5I1bfFeaXs/"
    "GB9tg=,tag:RtB5ELXDdkB651+QKt/z9Q==,type:str]\n"
    "multi    = "
    "ENC[AES256_GCM,data:slRe/lm7Bw==,iv:+vC+YxheSE+M42KyXwSBgUYPOX4O/Cqp/"
    "CzpD6ZJmTc=,tag:zitc7D2e30RQYDtGajzP8A==,type:str]\n"
    "`k=ey`   = "
    "ENC[AES256_GCM,data:Aw==,iv:NMBr+Qfqoa0z4A+zl/"
    "kF+4TO9NUpjEy7VGgezHDnnkY=,tag:fayCHaR4N5uv9OIbcn6upQ==,type:str]\n"
    "tick     = "
    "ENC[AES256_GCM,data:Gx+lrOZ1Q44t,iv:6gdpyuHH5F5PMbLUxP5xqjgCnUF49lyMyvAnXGahPVM=,tag:4zxR+p/"
    "2EGEuGmSmWeRqaQ==,type:str]\n"
    "\n"
    "; "
    "ENC[AES256_GCM,data:TlojGvoZ,iv:ZHIfjSUFWx9Z/dzDecYlH6RyW/"
    "MXImxzP073UpRll8c=,tag:jkf2jyzQp49BYQR3sTubdw==,type:comment]\n"
    "[cache]\n"
    "; "
    "ENC[AES256_GCM,data:DPGMAwSA1A==,iv:2Gi0DEaTnGCBXx3M8/nYTbKWk5NjDR8ZXFSt1t893CY=,tag:AWwvnqu/"
    "ho4L8hO2DyQUXw==,type:comment]\n"
    "ttl = "
    "ENC[AES256_GCM,data:CFg=,iv:X/q0QvDL/3FrfzUZmcyzRS4cWstWVHjyZHDWD1uE0do=,tag:MJadb0h+O1PH2XZh/"
    "uNeMQ==,type:str]\n"
    "\n"
    "[sops]\n"
    "version                    = 3.9.0\n"
    "age__list_0__map_enc       = -----BEGIN AGE ENCRYPTED "
    "FILE-----\\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+"
    "IFgyNTUxOSBlbXFIUTg2Z0hzU0l3bW90\\naEN0eTRndlczMkhhbWl5STllU0xQTEpDZ3lBCmIyWk1KR3FpN2haVjhDbUx"
    "RZDc4\\nTWE0RnBibTFHeVJ1Y0tVQzJmbktwY0kKLS0tIHhlZGsrOFNnTzN6VFc1a0IwNzNm\\nUnN1Y3dUS3piZWM0bUx"
    "TaW1XMGhveE0Kcdo+8DuZqe63wU+2OcAIv0lHs+SChE16\\nrTsJliITaBoHJZ9Zp+PVk1CF+fbihyBHKUNI/"
    "WBByDf5gtxtr1POfw==\\n-----END AGE ENCRYPTED FILE-----\\n\n"
    "age__list_0__map_recipient = age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "mac                        = "
    "ENC[AES256_GCM,data:"
    "7pYZDcXQQ2eCrzP1ctGqKgl1ZeoMbUQR1wgxYadjaBTyKEXqqSwZxDWbrmSowAV8RZ11hC8jk9G3eWsQqipcHaC7UducMh"
    "WOCE+Ki6IWr97tY0vB/UJVRlUx4xxqgUp5CZmgJhSM/"
    "nJgiPirTlZEUbPrU+tJbg4wAbP2AftqefU=,iv:bO8Kbvp3LpJkKpcuNHz1SeyKvprfSAdhZy54ww0KH5s=,tag:bA+"
    "I60zuHar/wF24JGiaYA==,type:str]\n"
    "unencrypted_suffix         = _unencrypted\n"
    "lastmodified               = 2026-11-30T12:25:27Z\n";
static const char INI_PLAIN[] = "top = level\n"
                                "\n"
                                "; settings\n"
                                "# second line\n"
                                "[db]\n"
                                "user     = svc\n"
                                "password = p4ss=word\n"
                                "; the port\n"
                                "port     = 5432\n"
                                "empty    = \n"
                                "spaced   = \"  padded  \"\n"
                                "hash     = `a#b`\n"
                                "multi    = \"\"\"one\n"
                                "two\"\"\"\n"
                                "`k=ey`   = v\n"
                                "tick     = \"\"\"back`tick\"\"\"\n"
                                "\n"
                                "; inline\n"
                                "[cache]\n"
                                "; seconds\n"
                                "ttl = 30\n";

/* The metadata sops writes into each document of layout.yaml (the same in both). */
#define LAYOUT_SOPS_META                                                                           \
    "sops:\n"                                                                                      \
    "    kms: []\n"                                                                                \
    "    gcp_kms: []\n"                                                                            \
    "    azure_kv: []\n"                                                                           \
    "    hc_vault: []\n"                                                                           \
    "    age:\n"                                                                                   \
    "        - recipient: age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"        \
    "          enc: |\n"                                                                           \
    "            -----BEGIN AGE ENCRYPTED FILE-----\n"                                             \
    "            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSB6MlR4VnNQelRQZDhYSkZk\n"               \
    "            bVl1VThKT1ZaOTNDMVhaL0lmbGZZdEVQV0Z3ClRDYzVIQlpIaHdYaVZZQm9GKy9y\n"               \
    "            MlNyQkljNElmeTVMRFhpdDZlcTU2MlkKLS0tIE84MkF6TnlETXM3UDBiQXpoVDlS\n"               \
    "            L1lydTNqNGdnY0dwRi9JbDUvTWNzRjAKWyDzOZzvvqjRKdi7yncwiUvG82ufRyJ1\n"               \
    "            g6p4Pjra+P6E8ea+0dNVOG3JimvzC5bOMmgaCnq/9N1DjKtTyAddRw==\n"                       \
    "            -----END AGE ENCRYPTED FILE-----\n"                                               \
    "    lastmodified: \"2026-11-30T12:34:42Z\"\n"                                                 \
    "    mac: "                                                                                    \
    "ENC[AES256_GCM,data:k1nwpS9zXPOMgXtx1u0w7E/"                                                  \
    "+Si5jD7U097acOgIwva9aFPekmEQNa0WkKPmR6HGYRuW+"                                                \
    "YcgTSlAksf0cD7ardpMDg5rR9LR2Idxeeov4c8kf0WrHAQHYPSf+FV52YHDygkv/"                             \
    "njp71WbWO4sebKLBWRYm7zBk0Xf3+Hq7cElRYVs=,iv:5HbFPt71Gfu9h/"                                   \
    "SCF76tciVlkyItuXVtpnBnCM9jato=,tag:pgxSBuo4UYZUkr1fAh+oiw==,type:str]\n"                      \
    "    pgp: []\n"                                                                                \
    "    unencrypted_suffix: _unencrypted\n"                                                       \
    "    version: 3.9.0\n"

/* A two-document YAML file (tests/tools/sopsfixture/layout.yaml, encrypted as yaml, a key
 * left unencrypted): nested mappings out of order (one under a key shorter than the indent),
 * sequences in mappings and in sequences,
 * typed values, strings yaml.v3 quotes, a literal block in a sequence, a long value;
 * YAML_PLAIN is what sops's YAML store writes for it decrypted (`sopsfixture decrypt yaml`). */
static const char YAML_ENC[] =
    "zeta: "
    "ENC[AES256_GCM,data:a+Ixy27QGoLDjEOhXUE=,iv:XRZ4AbyeAYj23r9tprp9JOUwe0iLO4zbPbiaeMpVmJQ=,tag:"
    "OYopW3JpUf6kYiMg3rTjPA==,type:str]\n"
    "ab:\n"
    "    c: "
    "ENC[AES256_GCM,data:FA==,iv:5AcxrKdazmsmISGSe0FOepLZq5AgN7NpblWQr4Gxbag=,tag:"
    "ycXWkclHV0thKsUnLhfXzA==,type:str]\n"
    "    e:\n"
    "        - "
    "ENC[AES256_GCM,data:kg==,iv:8lUKS3R0fxbLytqX3BhtoCgCBUTMs5txFK7BrDCLCwo=,tag:"
    "LhoeD0fwCQNqxqu6U8u7ng==,type:str]\n"
    "alpha:\n"
    "    nested:\n"
    "        deep: "
    "ENC[AES256_GCM,data:KjtxNP8=,iv:+UxCj40ddrsD11W+Tyrdq9NASY0Stkv5zaG1egbe+6w=,tag:"
    "nOuLYp5run43QZkrvo+iKA==,type:str]\n"
    "    list:\n"
    "        - "
    "ENC[AES256_GCM,data:xA==,iv:i8Zft+c0UZ6/"
    "NQUp+QbU5IdszMF6BeAOuGSfzUwN+9M=,tag:aiPvPJgxQassLc9MhE76ag==,type:str]\n"
    "        - k: "
    "ENC[AES256_GCM,data:9w==,iv:8TTg2NQyqEsDgPU1ykyF4P015p/"
    "bAGrwdfMgHvwFXbY=,tag:q8IulXb1lY9mLOnL8vSyjw==,type:str]\n"
    "          \"n\": "
    "ENC[AES256_GCM,data:Cw==,iv:RXQhcu5kvTPV9+GWnDi9B/ncZs7YCtlb4Rd4J55G+qs=,tag:iFJniCj/"
    "+6tNDUbIfM7y6Q==,type:int]\n"
    "        - - "
    "ENC[AES256_GCM,data:kw==,iv:m8WdaRSflgBi03/0VwKbd6Mvsp4HDFO6vZ3iupfR2Us=,tag:O/yWk/"
    "ymWTBlIii1skXRYg==,type:str]\n"
    "          - "
    "ENC[AES256_GCM,data:ug==,iv:LjGhJTNZAtNpuB0coQCfs+GcwsIZTnrFv4bXKuZS8WI=,tag:"
    "w3Zt7IB6aW8lINHRiD+8FA==,type:str]\n"
    "        - - "
    "ENC[AES256_GCM,data:K0l5Nd4=,iv:LvyUcz1kwKHXAUTOcirTQ5hpxE62/"
    "RdNykNGtMzhYPk=,tag:BXPjH6bXV7c4veLaJWF0mA==,type:str]\n"
    "          - "
    "ENC[AES256_GCM,data:zeN1Ng==,iv:T7z2VAtpIMJLkFBVCLQv1FA2Yv10mx8joCFY9BN1TV8=,tag:"
    "7nZLD1IFaFZw6psEsnufxw==,type:str]\n"
    "    empty_map: {}\n"
    "    empty_list: []\n"
    "numbers:\n"
    "    int: "
    "ENC[AES256_GCM,data:mzQ=,iv:P5INEW0d6sUaC8khxU1bNbeIshLv8GS06cB0zyNoGas=,tag:"
    "AUg894xpNB6uV9SZy3jVWw==,type:int]\n"
    "    float: "
    "ENC[AES256_GCM,data:uyFy,iv:jSXpanVSk2IAe0jXN8trdPV14hLm5KY3qarkIwsL+dg=,tag:"
    "X4TUZqNflnfbFRRj5Vwo4g==,type:float]\n"
    "    big: "
    "ENC[AES256_GCM,data:G8kbx4Tq4Ya4W+g=,iv:1CY6OyXAAum+8jH6VKqFxza5+FaqBGR9kOW5tYZfHn0=,tag:/"
    "m3VrRvlDfPBpxB+jmbS9w==,type:int]\n"
    "    exp: "
    "ENC[AES256_GCM,data:I2CsIbzkQw==,iv:jeKzQ7hm1HruBf+CipQHZ8i6wd1+0lDRwcN550Kgw2c=,tag:"
    "ZVVjQ8xA7zQi7O+TiWS5Ww==,type:float]\n"
    "    neg: "
    "ENC[AES256_GCM,data:AxU=,iv:d2KPgOzQaB2UO2SCdRPKfBx2QQ2WXD/"
    "QFtiqQvT+j4c=,tag:uKeiZC0vkNZ3DteWNHVVfw==,type:int]\n"
    "flags:\n"
    "    \"on\": "
    "ENC[AES256_GCM,data:JkXnxQ==,iv:403rGpVoenRxruNJNt1s7mlZYiTSd2NN/BiP6/"
    "SsDSQ=,tag:EW92MwvPxS8Nj6KCruZeAA==,type:bool]\n"
    "    \"off\": "
    "ENC[AES256_GCM,data:cerSjRQ=,iv:gYhMFaOSgLxJzi9J24z70bZRSsMUKhj6H/"
    "trPqZEoPE=,tag:dzUJbQMQBQhYlruhjmbQYA==,type:bool]\n"
    "quoted:\n"
    "    \"yes\": "
    "ENC[AES256_GCM,data:Adzb,iv:ljfdx9n17+/"
    "42jhxxAooapYPqcn7pqzW2pqBRjFKsQE=,tag:NJZ+x8zYafVfx+9NzSJhmA==,type:str]\n"
    "    num: "
    "ENC[AES256_GCM,data:8Oyq,iv:RetuMsqhGNkvSOFRawGrenQyqPff2p3ebpGWDKUQi+s=,tag:YFg2c+"
    "wpywphXMIv016+lA==,type:str]\n"
    "    colon: "
    "ENC[AES256_GCM,data:1F6xXw==,iv:GIYNCcc/"
    "tWqV6AZLDG1pBFNEQFeR181rEPsgtI4HRKg=,tag:Ui6ov6jc00vHv0mBTOajJQ==,type:str]\n"
    "    lead: "
    "ENC[AES256_GCM,data:fkvfLT1M,iv:a9vGqP9CkOXjtWemvbZR8uTT3ARxXq6P8frV/"
    "3HKxUo=,tag:ofOOFzsMSa9sM1hwNCuFwg==,type:str]\n"
    "    date: "
    "ENC[AES256_GCM,data:XUQ4TNEhbO02HQ==,iv:enEtIEjgWsurqYLsKg1xwod0OfsFiuTa/"
    "4h0tL2qH2E=,tag:93BAqncJ3Vq43iseVKnS+g==,type:str]\n"
    "    octal: "
    "ENC[AES256_GCM,data:WNIk,iv:TuIoshDua3K53Zls8fFntj0+tCkQVcY5vHCZbuYQR3Y=,tag:HU7ITHAQkDkT+T/"
    "xNl7XOw==,type:str]\n"
    "    empty: \"\"\n"
    "    tilde: "
    "ENC[AES256_GCM,data:Mg==,iv:qWixvpcNNhF+OTNUJVNYNukgMXdk242l60nnaoMK6tY=,tag:"
    "v1QPyQfe3nHwYsNFGXjLlg==,type:str]\n"
    "    hash: "
    "ENC[AES256_GCM,data:s6GyvA==,iv:lHVmxzED4QSp1iab6sECmp+W/"
    "lqDVcsV8BBMX4kVioQ=,tag:t0BIssV8z7eHYhqfvRvzBg==,type:str]\n"
    "    star: "
    "ENC[AES256_GCM,data:Mjb+Kw==,iv:c9VSNYzaPljN4wvTySjvGQk0p8CKZREFegk9tEpuYEM=,tag:"
    "u5JLw6cKf8enTpKpOsoYsQ==,type:str]\n"
    "multi: "
    "ENC[AES256_GCM,data:TQk1HM9qAHycPNEphYSJi46C,iv:srHRroiehxE0nM/"
    "UjB6X8IsI+6bAaKkJwLObihYjRDU=,tag:GbPah1t9nwH6L6r20aOzyg==,type:str]\n"
    "long: "
    "ENC[AES256_GCM,data:EFfLG1qWp0Tj95Gry+tB9pEEVJakwejrK0vLgIPffW060USyT/"
    "PErEA0hn730cD+BVgo15XAzthxuK/f0yBCx5G2D19oIXJ7nOiBh2AI/"
    "vcWyzQZ1dS5tVq10exc,iv:b26hiuEFvqxegDvXXOc5y0TCfc61B18GpGfS8sJRnpI=,tag:"
    "6xsP9uEsktY9mwYgx0Dghg==,type:str]\n"
    "nullv: null\n"
    "seqs:\n"
    "    items:\n"
    "        - "
    "ENC[AES256_GCM,data:qTgSD86fm93ejvy40K8V,iv:WugkbL7fCJ2EzzeXQv8JuL3lSlPf01o07hvhbMdnw/"
    "Y=,tag:CbMypToZiLu8J+jtoKIhqQ==,type:str]\n"
    "        - k:\n"
    "            deep: "
    "ENC[AES256_GCM,data:EQ==,iv:DwJaMUaO3hJDz70VzoP9oKRulyZxGxVVcYUrPwQD038=,tag:"
    "FaRYhhqaNKWaRpfCJng4Rg==,type:int]\n"
    "          l:\n"
    "            - "
    "ENC[AES256_GCM,data:qA==,iv:jx2D1kOaDSsiCfID10R+WJb4TrlaLU+kIh8cGbv5btw=,tag:LL4chA4fHPRT+"
    "Fq21ts9Zw==,type:str]\n"
    "        - - - "
    "ENC[AES256_GCM,data:Lc9eueEF,iv:2ttMgKCu2oWZaOpAwKfwnnvEG6lpNOj4Of8ePYoq/As=,tag:/"
    "35CXAH6ZKES1hcz4JRv/Q==,type:str]\n"
    "    float1: "
    "ENC[AES256_GCM,data:OQ==,iv:374OMFQ7IAStOgIPIr2Z7YzrNf8Fkks3dEt4sEdqeZI=,tag:72gHdBIvtbe6V/"
    "LMxSaxjQ==,type:float]\n"
    "    float2: "
    "ENC[AES256_GCM,data:TDzU7KnF4Q==,iv:JJb0yvrChavOOFFiHbT+266GN0R2ajkikI9vb9sNWIs=,tag:"
    "5j9wUTuPOeejgZLW9ai5eQ==,type:float]\n"
    "    float3: "
    "ENC[AES256_GCM,data:qAX584hV0g==,iv:wm9ptDGatN0aOp0ls+s/GeK0VavaDfUiNWY63ELBV98=,tag:qao/"
    "kWNHK9qvo4jJAb1ACg==,type:float]\n"
    "    float4: "
    "ENC[AES256_GCM,data:OdhB4eQ+pVw=,iv:Pk4v6mT7i8gJ8pM1rL2jqwXa2Tw80VI7vICYcuCifLc=,tag:S+X/"
    "J+RmLc+3Pv46SDAffg==,type:float]\n"
    "    ' lead': "
    "ENC[AES256_GCM,data:LA==,iv:ifmSnrg01O8X0q+/s1hgFgvKiSL+ywHfR9w/"
    "00+uL9Q=,tag:QAi+Wr8b40yErA1T3nYNnQ==,type:str]\n" LAYOUT_SOPS_META "---\n"
    "second: "
    "ENC[AES256_GCM,data:jqrZ,iv:D9zMdDj14Mv1w86G/"
    "bfyDZoyvIijf5YZBhcm1c8yEug=,tag:feCHtn0QyjWQxKQqDl/GYw==,type:str]\n"
    "list_top:\n"
    "    - "
    "ENC[AES256_GCM,data:2A==,iv:esYrGFVU3A7UbCaOpBecQhVg0YzCg3crlclOeUWC420=,tag:abjhjpDBAN+"
    "kW06EbuIGrg==,type:int]\n"
    "    - "
    "ENC[AES256_GCM,data:JeCN,iv:rq6JGOaNG33oAQWitxTJvA5JPe3AamhHpqqkbENsBTE=,tag:"
    "bG0IghyfIwbdLFCGrbBDmQ==,type:str]\n"
    "note_unencrypted: 1.5\n" LAYOUT_SOPS_META;
static const char YAML_PLAIN[] = "zeta: last-but-first\n"
                                 "ab:\n"
                                 "    c: d\n"
                                 "    e:\n"
                                 "        - f\n"
                                 "alpha:\n"
                                 "    nested:\n"
                                 "        deep: value\n"
                                 "    list:\n"
                                 "        - a\n"
                                 "        - k: v\n"
                                 "          \"n\": 7\n"
                                 "        - - x\n"
                                 "          - \"y\"\n"
                                 "        - - inner\n"
                                 "          - more\n"
                                 "    empty_map: {}\n"
                                 "    empty_list: []\n"
                                 "numbers:\n"
                                 "    int: 42\n"
                                 "    float: 0.5\n"
                                 "    big: 12345678901\n"
                                 "    exp: 1e+06\n"
                                 "    neg: -3\n"
                                 "flags:\n"
                                 "    \"on\": true\n"
                                 "    \"off\": false\n"
                                 "quoted:\n"
                                 "    \"yes\": \"yes\"\n"
                                 "    num: \"123\"\n"
                                 "    colon: 'a: b'\n"
                                 "    lead: ' space'\n"
                                 "    date: \"2001-12-14\"\n"
                                 "    octal: \"017\"\n"
                                 "    empty: \"\"\n"
                                 "    tilde: \"~\"\n"
                                 "    hash: 'a #b'\n"
                                 "    star: '*ref'\n"
                                 "multi: |\n"
                                 "    line one\n"
                                 "    line two\n"
                                 "long: this is a long string value that is certainly going to be "
                                 "longer than eighty columns in total\n"
                                 "nullv: null\n"
                                 "seqs:\n"
                                 "    items:\n"
                                 "        - |\n"
                                 "          lit in seq\n"
                                 "          two\n"
                                 "        - k:\n"
                                 "            deep: 1\n"
                                 "          l:\n"
                                 "            - z\n"
                                 "        - - - triple\n"
                                 "    float1: 1\n"
                                 "    float2: 1.234567e+06\n"
                                 "    float3: 1e-05\n"
                                 "    float4: 123456.5\n"
                                 "    ' lead': x\n"
                                 "---\n"
                                 "second: doc\n"
                                 "list_top:\n"
                                 "    - 1\n"
                                 "    - two\n"
                                 "note_unencrypted: 1.5\n";

/* Scalars where yaml.v3 has its own ways (tests/tools/sopsfixture/scalars.yaml): "<<" with its
 * merge tag, -0, a float in 'g' form, quoted and escaped strings, a kept final break, a long
 * single-quoted value not folded. */
static const char SCALARS_ENC[] =
    "merge: "
    "ENC[AES256_GCM,data:GDA=,iv:TJfgYcUSURA97oWyppdj1k0todmnh/"
    "5JW0C2k3vQKiA=,tag:3rlPlUZkFhHLej1DqlnXMg==,type:str]\n"
    "zero: "
    "ENC[AES256_GCM,data:wVI=,iv:AoGyx/"
    "YS2YFEpiQs2VCs4cAWq9KuAC5sf5dA2ax2jjo=,tag:dBcqiZpaTya8xz6leviuLg==,type:float]\n"
    "huge: "
    "ENC[AES256_GCM,data:vpFpUVLSnDQcliyn69LDtAiSLub3jI+sPtGCVnsWWrZdBvhlo5/"
    "TKNx3lC5NTlNWh+"
    "IjZDyHlCFsX38bL7bNJiB2frkR1TPDIisXqQ01g2bcG83LaVqOdOJulCLqCZR9Veyw2ZlTM7RlzjMFf6nHHZ03wpOTjP2n"
    "h+AGXbFm7+N1hrydcaizI0N0Wf12J/VUAakqQaH2lx/"
    "R6zZJBtfIh+lcRGa7UEeQiWfSEsYRzwWYQmS43STPXkTSvqZVoRzUx96+rZf0IdXBOyXt+"
    "JhMMEmGMN7u6fzuZK0EIEB9adbJvKFUKsabILDh4Gs/"
    "geWE9sG8kKS9HRbiewC3UlRub4P5PSKw7NPZT8W6PZu26w94Ld9gouL/Ve0roct2D4L7Hb0NqXxc8LZdh+EttA==,iv:Y/"
    "cp2kbrG44xKhO9cyFa3Zgg1aTjeFf0cWkdjZAN2dY=,tag:MVj8Jz42w+lWYM/xfqMrFg==,type:float]\n"
    "when: "
    "ENC[AES256_GCM,data:ZyYXqbfMTd+2l0BBGlHdJxIsjnCa1Iu+wwpvwA==,iv:"
    "tGKMDMvmdW2bjEjSZafYRvmQrYqvflPhApmgSNF43yY=,tag:1q4QrziruJwTypWcnzCsLQ==,type:str]\n"
    "tab: "
    "ENC[AES256_GCM,data:zbS1,iv:KlNzuquIjmbNX/NuaT2qAsCu7hDudBo6U9I+K8CF1dM=,tag:3ROEs/"
    "CDPDefZHDM2MsPYw==,type:str]\n"
    "emoji: "
    "ENC[AES256_GCM,data:buvgag==,iv:PjWf1EPkPR3zdWfesk14q2nrYLhk2PtvDj9vhMA/"
    "BRc=,tag:Ta4G7sckOccRqEXOU+uBQA==,type:str]\n"
    "breaks: "
    "ENC[AES256_GCM,data:qKVG63kRSuawqLQejw==,iv:VmmUEZON3lslmC3vBEQv1ctrMR/"
    "upifAk0YG2OR7dsw=,tag:odzEf7qS3Ic1JkVlj0GzRw==,type:str]\n"
    "long: "
    "ENC[AES256_GCM,data:DKIV+pZXgjG3dzr9LpyJlzavfzLDzmH6UBSKbAb5Rl04N5IAka+aR7QMcFZ/"
    "Ax5ntNV3uLJNc13ayf/W8frQtKibJWIjPxH9qadCatgPWLbX6X2ys4AmqQ==,iv:bMu64/"
    "3oUe3TaiTfXNP3D3+XqtGECjxclFrGeHu2u9s=,tag:Tuw6ncQVUeKnrnqvVmnHew==,type:str]\n"
    "octal: "
    "ENC[AES256_GCM,data:RQfNCA==,iv:nYi0zeWifkFYJoXv3XeR3/"
    "LOf1GzG55C98Rg8CsRhu8=,tag:8QjQE9d+ZEKjoE4zWsVRew==,type:str]\n"
    "sops:\n"
    "    kms: []\n"
    "    gcp_kms: []\n"
    "    azure_kv: []\n"
    "    hc_vault: []\n"
    "    age:\n"
    "        - recipient: age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "          enc: |\n"
    "            -----BEGIN AGE ENCRYPTED FILE-----\n"
    "            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBqNmw4dTJtUDdWRE1TczF1\n"
    "            MlJkUDVBSi9NdEozK0VoSHFKSXV6M2l0cDJjCnIzSVZBSkoram9SNC9IYituUE90\n"
    "            L0xBQTVteS9vZSt5ZE5RYVRaamU3Sk0KLS0tIHp3TVRLbmgyR3Z4REUvUlZ5SklM\n"
    "            cE5GZ29Fc1oyUFdZcldtN1Q0QUZRam8KPIgm5BttvZgIvDEMfhYK/RmeAFwdF9b5\n"
    "            Gdsyz+rJNJBwT4jqljnRfc17+fMDrCGHcUqlZIxY970euRz9TYeWcg==\n"
    "            -----END AGE ENCRYPTED FILE-----\n"
    "    lastmodified: \"2026-11-30T12:48:51Z\"\n"
    "    mac: "
    "ENC[AES256_GCM,data:wIZBoDASvS0LY4EgJSpbBLuhgPN5ouF2wYH8TndD/"
    "QdmnzCvPRktdqCFM82oygcuJDgTAHyaNAlxnJ3iAPpesRsQHO01uSjlgydN6KeZZJi8rScjmJZCRuEJfkaPoxCmM9Y84X/"
    "b/Ii7Gj031KUG3uMHAmo8PBcDcyDISqS/hDU=,iv:gyCZDUVSGYF2U+s/"
    "3Zd5tetraaO0dCcJwx5UTMIcwx8=,tag:wBYzw+YKvpNBhTHiUc8UTg==,type:str]\n"
    "    pgp: []\n"
    "    unencrypted_suffix: _unencrypted\n"
    "    version: 3.9.0\n";
static const char SCALARS_PLAIN[] = "merge: !!merge <<\n"
                                    "zero: -0\n"
                                    "huge: 1.5e+300\n"
                                    "when: \"2001-12-14T21:59:43.10-05:00\"\n"
                                    "tab: \"a\\tb\"\n"
                                    "emoji: \"\\U0001F600\"\n"
                                    "breaks: |+\n"
                                    "    two\n"
                                    "\n"
                                    "    breaks\n"
                                    "\n"
                                    "long: 'a: b and a very long string that goes past the eighty "
                                    "columns of libyaml''s best width ok'\n"
                                    "octal: \"0o17\"\n";

static char *decrypt_file(const char *path, bool env, const char *text, ed_err *err, int *rc)
{
    ed_sops_keys *k = keys_of(KEY1);
    char *out = NULL;
    size_t len = 0;
    *rc = ed_sops_decrypt_file(path, env, text, strlen(text), k, &out, &len, err);
    ed_sops_keys_free(k);
    if (out)
        assert_int_equal(strlen(out), len);
    return out;
}

/* expect_bytes: the `files` entry PATH holding ENC decrypts to PLAIN, byte for byte (the text
 * Flux's Secret holds). */
static void expect_bytes(const char *path, const char *enc, const char *plain)
{
    ed_err err = ED_ERR_INIT;
    int rc;
    char *out = decrypt_file(path, false, enc, &err, &rc);
    if (rc != 0)
        fail_msg("%s: %s", path, err.msg);
    assert_string_equal(out, plain);
    free(out);
}

void test_sops_files(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    int rc;
    char *out = decrypt_file("secrets/app.env", true, ENV_ENC, &err, &rc);
    assert_int_equal(rc, 0);
    /* the comment stays encrypted (the env parser skips it), the metadata goes */
    assert_non_null(strstr(out, "DB_USER=admin\nDB_PASSWORD=p4ss=word!\nMULTI=line1\\nline2\n"));
    assert_null(strstr(out, "sops_"));
    free(out);
    expect_bytes("token.bin", BIN_ENC, "raw-token-bytes\n");
    expect_bytes("creds.json", JSON_ENC, JSON_PLAIN);
    /* a registry Secret's key (…/.dockerconfigjson) is JSON whatever precedes it, as Flux */
    expect_bytes("pull.dockerconfigjson", JSON_ENC, JSON_PLAIN);
    /* envs files without a known extension are dotenv; the same text as `files` is binary */
    out = decrypt_file("app", true, ENV_ENC, &err, &rc);
    assert_int_equal(rc, 0);
    free(out);
    out = decrypt_file("app", false, ENV_ENC, &err, &rc);
    assert_int_equal(rc, 0);
    assert_null(out); /* no binary envelope's metadata: left as it is */
    /* not encrypted: left as it is */
    out = decrypt_file("plain.env", true, "A=b\n", &err, &rc);
    assert_int_equal(rc, 0);
    assert_null(out);
    /* YAML: in document order, four-space indent, as sops's YAML store writes it */
    expect_bytes("conf/layout.yaml", YAML_ENC, YAML_PLAIN);
    expect_bytes("scalars.yml", SCALARS_ENC, SCALARS_PLAIN);
    /* INI: decrypted and written as sops's INI store writes it */
    expect_bytes("conf/sections.ini", INI_ENC, INI_PLAIN);
    out = decrypt_file("x.ini", false, "[sops]\nmac = x\n[db\n", &err, &rc);
    assert_int_equal(rc, ED_EINVALID);
    assert_string_equal(err.msg, "file 'x.ini': cannot read the INI file: unclosed section: [db");
    out = decrypt_file("x.ini", false, "[sops]\nmac = x\nno pair\n", &err, &rc);
    assert_int_equal(rc, ED_EINVALID);
    assert_string_equal(err.msg, "file 'x.ini': cannot read the INI file: "
                                 "key-value delimiter not found: no pair");
    /* a broken dotenv line */
    out = decrypt_file("bad.env", true, "sops_mac=ENC[x]\nnot a pair\n", &err, &rc);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(strstr(err.msg, "file 'bad.env'"));
}

/* PGP: the same Secret encrypted by sops (through gpg) for a test key made for it. */
static const char PGP_KEY[] = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n"
                              "\n"
                              "lQVYBGsLu/0BDACxAWB+rxsQ4QygN9gSHOL7JcU3OiRZvAd1nqFsdjoeKpBQc/Rd\n"
                              "qhy8/tnaBfUTLnduE9OBGY/3p9r107HP986Bm0ETojJ2admRsqG7m+j9UrU/Lya3\n"
                              "LcIwIvCm3hxw+zE3fOGmVpDXSBM3e2CtAOk7jJKMwrH0I9IRlUrshzaI8Z8SjTPn\n"
                              "ULTNea+MlatnO0Rtq0xPkbll5LNdGGWkBKiM892kauw5Ly0AxSJZrn7Mqb/+y/uL\n"
                              "VtWsKDatvxeCoLcAl987rO+fA95D63l/VlWsbzWeJMNQ3tiBDRh6l4PVUT5HPLFO\n"
                              "YrVjSEsi2ETlqc2/eysM9RF1xy8iSZZnFr132ibAPQHxHNRDUUoSBYLpBsYvgb2S\n"
                              "yf2kCKWfJfe1mjf+uOwkESGLd/jHpFOZeEBsu9SOGEJ2Qq3PLNAzRQtRemRmXh+/\n"
                              "U6lEGN8AkyyauIqVrh6yMcq+Ha1QsBE9FKI68AvOEMSH/v3h5zyz483Jr324ClPs\n"
                              "eX+HpTprZ70+gv8AEQEAAQAL/RQ9PxEH6VqzEPmE89I7tqyBnhz5gKHja8ru2jBd\n"
                              "Dbot+GsVRyd/8GH1QL267qdEfz15S4w4ewtrXbsRe1nMpl0607nF/b/Sd0vp7AUC\n"
                              "snpnfvf8O+YNd7sp/kW7oe7n71xpOCKympnd0Oyy0SlsWumHN6lGszMM9tPciUD7\n"
                              "GP5BpS8UMY933U9IDw2j04HYogi+4dk7UBgENYol5Faufa4C+HX4uo1eBTxQTjmI\n"
                              "8qYTnDOAlCuo6y0QkBKqhgABa5rDEyAu3gVaWu8ku7PFIwZe6VEb0ooDcI9KQGJO\n"
                              "xp9j9F8xBgBfYLqf0ywV6SPxO74aFJ7AbnfHDeqT8oTp88hM+WA8EaemvdIAPj3u\n"
                              "wmXjhM7AX4i3nY2BUv3CoXQlbkr+tehbW+X2X0zI5dgei2aCGkmeKN93Txi7iyy8\n"
                              "+JbZw3CVpmrdsvORgbpfULbZmVKZzDvI1jyqV56Zixpv0+iQwrD9hi3UVM0JUWHt\n"
                              "ZUHuA0/3NTEe4w9gYyLcCSgB8QYA0bLkeJNqKOVQ2ME5VQlkknuj2pTrAXUBeimn\n"
                              "lBeaMH1v/cJ/yMpq0K9c1pL46HGN9e2yGuR3wxOAdzFj6PxVZlnvgRrAAuecStcU\n"
                              "uMmRNIUBsbamQtIc5bfU00Q5KCBrOT6Eule8Z5R5igf9JCsYgR2bjeCsURSLG4vb\n"
                              "XI8j4aZzHxAY9/LVc4H/xOrIVpVJiEG9Kpzg8o/howQTFfT0Nitd9U9uXc125S0j\n"
                              "9BeIF+pvgCcW1Q6r3ZaHrHHatcC5BgDYFoHUoAidJ2P/PDySiO0cHgJuGyudVo2K\n"
                              "ugwuvF7n0ozIIDQjiVYP/OKMmGIHXVCD7LzMIbVIVlDtsVH42sLoiY2Z+ofb0KnI\n"
                              "941yY4yzFhlFzoUymFb/VJ0JrsdIcwg7s7J/yKsSEcz0Srm+ixAVszdzSGlk6MRg\n"
                              "44qqFvtWMbgaGAEubh9q/4X+gYjwdr2W7AoQ4IlFEl6LKZgw1uzf/5Df0cYxfJsK\n"
                              "C89H35z0zzpD9ppsN23orybgpmCo1XcGAKQVkYGyEPOQLKGubHE1oiuxfEZR5tta\n"
                              "Mf44leSKBOJySDtfNZQPK57q2XxLmOZnW8zPaV/JJqybS1rH/dzLZfJvl1Gc8EsF\n"
                              "gVnIyQKF/3GhyceSZsQFfb11qttj2C90GdUhswxOR5OSSoSjqi/Yj1qU69+jwpbw\n"
                              "C/lp9ZH8SyS7xfOZnCxLT2cH+DYi0J6gHlCCW28RhBf/vPdchDd5MZ85pYWAOqA9\n"
                              "H2psZFwpDURi0e/UF9qrQJtr5Qfi+3kiUOu2tB1zb3BzIHRlc3QgPHNvcHNAZWRk\n"
                              "eS5pbnZhbGlkPokBzgQTAQoAOBYhBL+sCgRx1j4sc3bYK8Zb4psAqOnBBQJrC7v9\n"
                              "AhsDBQsJCAcCBhUKCQgLAgQWAgMBAh4BAheAAAoJEMZb4psAqOnBE2wL/iVs7p6s\n"
                              "3deUWjR7HEfV4IInGNhXvkmuz19WZ3eK1jj/1h7IjQoaq13epzwr2dm0tP1Mrck4\n"
                              "M6JB0O0W4R3WW/+bv3Lyqi1U2nzLufBfU1SE1eZPDrAQTXajHPlrCp+awlKSuPgi\n"
                              "Y1iem9W4hFBGkhWyzPTBDn+eQ/89+3W7eW8dXPdJeuTivPDrj4sMSwLd/iXDSL4R\n"
                              "Sp13n5fV/KU5xKtrdqGxvOIT9ZxMzns0syX/wF5clbJ3ibhmOBuTIoxjAuWhMZnq\n"
                              "SYSi+Psp8bWylIVDD5p+cIzLlcKP7h89ou5iXRopAkFYsnwUG52gke+A+1Jpk19C\n"
                              "EExvwKw7ZJ59ldq9bsWi3phiief+TMgTGfPl6Z+npFgjqBrA6glFK4O6XVwtMxbG\n"
                              "gfQ/x3OHA212fZ9Cp13He08z9kKRFKJyR66b/YtoSo57CmbPL7A5RWXV1iDgBerN\n"
                              "pcd5NEhtCi2PviamGKGykgl5USfi1GTLlfOEFbDShn6zlTPtQ89gJ07L6p0FWARr\n"
                              "C7v9AQwAo8zYmOwasPvGQTgLWiJ3dhWItI+yQMcD51L0ACvGQsDtTKhOxje/szxb\n"
                              "U6wtYYJCC4CJae1jy1m12aNPQWBUCUugHo46+v0Ewjx7OrYvgJZKfdz02CZyatEf\n"
                              "BUnn6gSzPMf7UFVCzEY9SGybJNLN1ExIJq2k6sC6a/r2oli8pZN/TNsFx4ud4eCZ\n"
                              "cdYrML5X3wTxOUTr0B75dtG9HGjUx93IrCUdm5MpWggE6yMalNziaIxpWJSNNoUM\n"
                              "16hnYpOJ40tlz4qQiwOAoRFEM472fAQKG94P1yvhitFopqqkYBNphnBQHNSLBZwO\n"
                              "ILpcvSkrJAz+yFrrJR5uP2atgCNClO55eRqbpp3Ay2dcL7e46lSVDDa4tDoe5GDC\n"
                              "oeCW7YGd4O/wDK073w1stJGnSD5TFS6RcUiMHSQHySpCjrKmmk6zHxrHVnMuIVP/\n"
                              "Gg/G73oFaQ+PXAv2Fhg2I4CsnBgGOGWL8PPfa6K9NtCi4LxOSlamFpusPQ6wN33z\n"
                              "kzu8OJdvABEBAAEAC/sHc498OsFmwQ1edNOPYMyubSxa38PsI8w5qbxlMENEpiIl\n"
                              "apgAIb5xbj15VkvPiRgYDduHxhTUG1tPxe4aZezCFNP5OonUVnjw8m9orFZc3c67\n"
                              "CwzYXby2v0H6APKxN/raDlQ7GKXWmnC56rbkEJ2XGsvtdoNvanUQlHTDzeWcYqlX\n"
                              "2wmC77Gu+i4Az7gHRPbFCSSFcRfeeoo+rYE82Z1UZPJ2t6QxKkX8ooDBcZyz85hu\n"
                              "c8oXDYBJtU5wQROdmGM1cpmRRWXfn0De9IKcrNMYSzfQApOjzfDUljAqeKbm+X8E\n"
                              "VkxNUHJ6F+jeczzBCrKMJI+cME6+gF7iIit2b9qH420vXAFj2AMI25UEtUYMiZ8Q\n"
                              "b6XV2Ceiou4sagQSUdTwhNkulaVlxWDVDG9l0qWtElnvivwaQzcfMn7kRhUvidtg\n"
                              "m9F2J/16P45ujJ/1P8wcF0xfkIAmrImqPF6+klyRC6H8S6y/MJR7GhdYsQswV5PA\n"
                              "EOkju6cpVcyJxzeC1wEGAMObMp/dPAm8LcMbiclcVjWVcca9788dLKgbm9KIdlx1\n"
                              "tzAXEnQ8sfIKezT7fUfYewBGN5D70RcUa4TPSNI5S3SGbcExXXe9P3RGKniCnawC\n"
                              "btuPdh7P5URutaIdjXppWgqllaqfw3rBW0xldmTnVXqctBEzly7YUFXzwsXzV26Y\n"
                              "2ZJJP69oA/gqWrMEu1vRWFxA7U3EKMrQ8fqTdOV3A2d9H3HN0sGyWHiKBEpcN8hM\n"
                              "2R/bMLQZcffJI+pYd718NwYA1l+u9hAYFMJ5CBaRGLqo/q1Tlxh7/di6KgHfFyeO\n"
                              "rQb4l2Ft5Gg87DVE+rwUNtnEnluFqd5kWMNAVqpgRtEnAXDE9AfcpoNoE+2ghGfu\n"
                              "qm2L6N04CXOZySuvLGWSPIxr743BllxbBJLxXspDeHWaQB7F208IoWq9MkXGpQ6j\n"
                              "3mWvb1ldzv2SYjRYizBEqTQ8vqlE9VxvQQeUoyRRVed/FrrTUKM2Uj15Q6o+onpR\n"
                              "AgeeDbUotA1+2deR3xAJdNKJBfwJjc9lfiVEoWVfZzX2Nl/zS7y7ItB5G6+fKThh\n"
                              "IgJ+OKoucCh//nh5Jq7VWCzDRRh5Mm05O2o2ghxZb7/xrcaVG9z9nLC9XPf07NQe\n"
                              "FHS8ikFE89ByXL1FWbvPf5FIqkfo3nvqOrg7gSHKFtq9W1GB751br0VV2sG+lsmi\n"
                              "IRoyoyg0s/akqyZlQ804WOh7f5XMDGR6iy3Cyr0UhQZKm0ljveRuEeEWfcmKct7y\n"
                              "avgyfUl0g3eqI8QXBpVqQO0zRdLWaIkBtgQYAQoAIBYhBL+sCgRx1j4sc3bYK8Zb\n"
                              "4psAqOnBBQJrC7v9AhsMAAoJEMZb4psAqOnBeSML/1/Z6nEM3pT9ZienGwE1hzdy\n"
                              "TgctYlMM/9+Zw6/GboYF8yigQI1UZpn+d2b0Eq1U1lwqv6pAxfC3PUlEjBIFIY6/\n"
                              "RicAYP1joHiSnUeEfHol/KS/h/JsH0wsbscyY9cOPCXEuME6oemA2D6IlFJkaEOC\n"
                              "faXkaoZKrdyKRkIm35NFldm8l+CBG3/blXTZiWvCRKoh2u4rNwMKgGFkGv6PMzMn\n"
                              "p+coHiJdkcpo0LBuoTqXOOVL142Azm5y0oEeVrDspkCdK9jQ8yUm/oqK+ZZZfP2b\n"
                              "PAMjEt8CGMTBHDnUv9Wp4lKe+dhMbi2mc3GGODY6Iyuu+iMdYLqVbsjitciCAnWS\n"
                              "vZGaxHR28mVWidr8a4TBcGEg2VuGrNGYEG0WsOIHyc4t6bmhLUVftJ3iqkXNzdDt\n"
                              "EQIs1PbCGXUhyI1zSO8/ztQ3aRZvp3hEB5O6q/RUnnBjH1TagJrMz3/x6LNdFXVx\n"
                              "qnJbH+vwphcTHc/3U1eVoJjP8T+1q1guCTkVLdIkYA==\n"
                              "=hrTU\n"
                              "-----END PGP PRIVATE KEY BLOCK-----\n";

static const char PGP_PUBLIC_KEY[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mQGNBGsLu/0BDACxAWB+rxsQ4QygN9gSHOL7JcU3OiRZvAd1nqFsdjoeKpBQc/Rd\n"
    "qhy8/tnaBfUTLnduE9OBGY/3p9r107HP986Bm0ETojJ2admRsqG7m+j9UrU/Lya3\n"
    "LcIwIvCm3hxw+zE3fOGmVpDXSBM3e2CtAOk7jJKMwrH0I9IRlUrshzaI8Z8SjTPn\n"
    "ULTNea+MlatnO0Rtq0xPkbll5LNdGGWkBKiM892kauw5Ly0AxSJZrn7Mqb/+y/uL\n"
    "VtWsKDatvxeCoLcAl987rO+fA95D63l/VlWsbzWeJMNQ3tiBDRh6l4PVUT5HPLFO\n"
    "YrVjSEsi2ETlqc2/eysM9RF1xy8iSZZnFr132ibAPQHxHNRDUUoSBYLpBsYvgb2S\n"
    "yf2kCKWfJfe1mjf+uOwkESGLd/jHpFOZeEBsu9SOGEJ2Qq3PLNAzRQtRemRmXh+/\n"
    "U6lEGN8AkyyauIqVrh6yMcq+Ha1QsBE9FKI68AvOEMSH/v3h5zyz483Jr324ClPs\n"
    "eX+HpTprZ70+gv8AEQEAAbQdc29wcyB0ZXN0IDxzb3BzQGVkZHkuaW52YWxpZD6J\n"
    "Ac4EEwEKADgWIQS/rAoEcdY+LHN22CvGW+KbAKjpwQUCawu7/QIbAwULCQgHAgYV\n"
    "CgkICwIEFgIDAQIeAQIXgAAKCRDGW+KbAKjpwRNsC/4lbO6erN3XlFo0exxH1eCC\n"
    "JxjYV75Jrs9fVmd3itY4/9YeyI0KGqtd3qc8K9nZtLT9TK3JODOiQdDtFuEd1lv/\n"
    "m79y8qotVNp8y7nwX1NUhNXmTw6wEE12oxz5awqfmsJSkrj4ImNYnpvVuIRQRpIV\n"
    "ssz0wQ5/nkP/Pft1u3lvHVz3SXrk4rzw64+LDEsC3f4lw0i+EUqdd5+X1fylOcSr\n"
    "a3ahsbziE/WcTM57NLMl/8BeXJWyd4m4ZjgbkyKMYwLloTGZ6kmEovj7KfG1spSF\n"
    "Qw+afnCMy5XCj+4fPaLuYl0aKQJBWLJ8FBudoJHvgPtSaZNfQhBMb8CsO2SefZXa\n"
    "vW7Fot6YYonn/kzIExnz5emfp6RYI6gawOoJRSuDul1cLTMWxoH0P8dzhwNtdn2f\n"
    "Qqddx3tPM/ZCkRSickeum/2LaEqOewpmzy+wOUVl1dYg4AXqzaXHeTRIbQotj74m\n"
    "phihspIJeVEn4tRky5XzhBWw0oZ+s5Uz7UPPYCdOy+q5AY0Eawu7/QEMAKPM2Jjs\n"
    "GrD7xkE4C1oid3YViLSPskDHA+dS9AArxkLA7UyoTsY3v7M8W1OsLWGCQguAiWnt\n"
    "Y8tZtdmjT0FgVAlLoB6OOvr9BMI8ezq2L4CWSn3c9NgmcmrRHwVJ5+oEszzH+1BV\n"
    "QsxGPUhsmyTSzdRMSCatpOrAumv69qJYvKWTf0zbBceLneHgmXHWKzC+V98E8TlE\n"
    "69Ae+XbRvRxo1MfdyKwlHZuTKVoIBOsjGpTc4miMaViUjTaFDNeoZ2KTieNLZc+K\n"
    "kIsDgKERRDOO9nwEChveD9cr4YrRaKaqpGATaYZwUBzUiwWcDiC6XL0pKyQM/sha\n"
    "6yUebj9mrYAjQpTueXkam6adwMtnXC+3uOpUlQw2uLQ6HuRgwqHglu2BneDv8Ayt\n"
    "O98NbLSRp0g+UxUukXFIjB0kB8kqQo6ypppOsx8ax1ZzLiFT/xoPxu96BWkPj1wL\n"
    "9hYYNiOArJwYBjhli/Dz32uivTbQouC8TkpWphabrD0OsDd985M7vDiXbwARAQAB\n"
    "iQG2BBgBCgAgFiEEv6wKBHHWPixzdtgrxlvimwCo6cEFAmsLu/0CGwwACgkQxlvi\n"
    "mwCo6cF5Iwv/X9nqcQzelP1mJ6cbATWHN3JOBy1iUwz/35nDr8ZuhgXzKKBAjVRm\n"
    "mf53ZvQSrVTWXCq/qkDF8Lc9SUSMEgUhjr9GJwBg/WOgeJKdR4R8eiX8pL+H8mwf\n"
    "TCxuxzJj1w48JcS4wTqh6YDYPoiUUmRoQ4J9peRqhkqt3IpGQibfk0WV2byX4IEb\n"
    "f9uVdNmJa8JEqiHa7is3AwqAYWQa/o8zMyen5ygeIl2RymjQsG6hOpc45UvXjYDO\n"
    "bnLSgR5WsOymQJ0r2NDzJSb+ior5lll8/Zs8AyMS3wIYxMEcOdS/1aniUp752Exu\n"
    "LaZzcYY4NjojK676Ix1gupVuyOK1yIICdZK9kZrEdHbyZVaJ2vxrhMFwYSDZW4as\n"
    "0ZgQbRaw4gfJzi3puaEtRV+0neKqRc3N0O0RAizU9sIZdSHIjXNI7z/O1DdpFm+n\n"
    "eEQHk7qr9FSecGMfVNqAmszPf/Hos10VdXGqclsf6/CmFxMdz/dTV5WgmM/xP7Wr\n"
    "WC4JORUt0iRg\n"
    "=ihBv\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n";

static const char SECRET_PGP_ENC[] =
    "apiVersion: v1\n"
    "kind: Secret\n"
    "metadata:\n"
    "    name: db\n"
    "type: Opaque\n"
    "stringData:\n"
    "    password: "
    "ENC[AES256_GCM,data:jVwbvFxHAnH4bR11,iv:Q2DAf6jr0QLhVOJFxE/w7RS8DDEiXT/"
    "eqUGTU2eoP+w=,tag:6OLtIQeLtrenYab1PnTaGg==,type:str]\n"
    "    port: "
    "ENC[AES256_GCM,data:eWJDHQ==,iv:itvq07yfMkb92fT6viT4vGhgANjG0eIR4UHDv6YlCVE=,tag:"
    "gPCb9JkQIWTM5CpLCNOHMQ==,type:str]\n"
    "    empty: \"\"\n"
    "data:\n"
    "    token: "
    "ENC[AES256_GCM,data:lA4B6LzV8Mo=,iv:BkyiFKv9GyZ373+h4cFL8sNNPvfx7u0BKRNp2r3Tbgg=,tag:"
    "EijEwnrO65lmCzHHGiOXDA==,type:str]\n"
    "sops:\n"
    "    kms: []\n"
    "    gcp_kms: []\n"
    "    azure_kv: []\n"
    "    hc_vault: []\n"
    "    age: []\n"
    "    lastmodified: \"2026-11-29T05:45:34Z\"\n"
    "    mac: "
    "ENC[AES256_GCM,data:lM+wHq8DeL+U+hZV2CQOYdVRtxRBabpdYFY5NE1oPu3mQpK5fMdJ+"
    "80dKxaSiiwmkUAiobkiNo8L7GzADhNK5NO9sIz6QIvHRI5Ar5yXRnFzOx9vNu8jgvDxdZyVAy/T6KZ0n2OUyf8vz78x8//"
    "KEUiJVfzDjxiu7Zk1+4SYggo=,iv:q7fuUDZtagtcwQbYPNEcU5UGAIrT3xy1XJnIWizxzG0=,tag:"
    "IGevKGGFujFrJEADhna28Q==,type:str]\n"
    "    pgp:\n"
    "        - created_at: \"2026-11-29T05:45:34Z\"\n"
    "          enc: |-\n"
    "            -----BEGIN PGP MESSAGE-----\n"
    "\n"
    "            hQGMAzmsJCUiPsZ/AQv/QnhRRvRGIj3vD7BHBgL2lDNv+zows9A13zCsDYIG9pEh\n"
    "            HWqx2Sm9ADpxw5PYVwezB5NJK3CLcJ8fP/+PKoZMXu+plYC1g8w4trgbL3hivwNc\n"
    "            gsWvFdc4shEVhHclstrJ4RjK7oSZ0TM67OESb7NjA0PHvfFAirIlDrl41S284sOn\n"
    "            QhyawtCqo8O+aESgSrqUFLmezWbXeHywMqn0h+Pf2ZuRXL+Yr7DlcnE5VCm11JDx\n"
    "            z2cs5mShiFx1KHDEbyw7GQ4vQJJZ5vSHLnsYDYB02n8mFYz42miGsYDCE3MCPfdw\n"
    "            4JjGp4cAlEWKUHoEY9CLe6o0QZwJkUuFenwN++qZyJa/U4PXrGRH0IKUawdrrNsa\n"
    "            rOAavrxsH4ZVSjdG0yhmQXjR76BKoeaLto7/Zz9J2hq87+a3K2UPm+XTF817MgBS\n"
    "            ycRTWyVpOZyTfVh5qwuyJ5/JxrDhY/jOx803Lc+Uq7Tp4JxAKFa1EhuzL6ND0imi\n"
    "            bq7YA/CVySqOVGi5ywdo0l4BV/WglUMkld0QPNVLF64CBxFm07n90BiHNRNoHXtz\n"
    "            CII3BAviABN/LqeerVo5mcDJ5uUrMBkDXmDpfpjXHP7m/dOu+BDy5By8LOoY1oRd\n"
    "            O2g4SiAzl1jzEXS5BSd7\n"
    "            =CipL\n"
    "            -----END PGP MESSAGE-----\n"
    "          fp: BFAC0A0471D63E2C7376D82BC65BE29B00A8E9C1\n"
    "    encrypted_regex: ^(data|stringData)$\n"
    "    version: 3.9.0\n";

void test_sops_pgp(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    ed_sops_keys *k = ed_sops_keys_new();
    assert_int_equal(ed_sops_keys_add_pgp(k, PGP_KEY, strlen(PGP_KEY), &err), 0);
    assert_int_equal(ed_sops_keys_count(k), 1);
    /* a public key imports, as with gpg --import, and adds no key that decrypts */
    assert_int_equal(ed_sops_keys_add_pgp(k, PGP_PUBLIC_KEY, strlen(PGP_PUBLIC_KEY), &err), 0);
    assert_int_equal(ed_sops_keys_count(k), 1);
    assert_int_equal(ed_sops_keys_add_pgp(k, "not a key", 9, &err), ED_EINVALID);
    assert_string_equal(err.msg, "failed to import armored key data into GnuPG keyring: no valid "
                                 "OpenPGP data found");
    ed_doc *d = parse_one(SECRET_PGP_ENC), *want = parse_one(SECRET_PLAIN);
    if (ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/db", k, &err) != 0)
        fail_msg("decrypt: %s", err.msg);
    assert_true(ed_node_equal(ed_doc_root(d), ed_doc_root(want)));
    ed_doc_free(d);
    /* age identities alone do not open a PGP-only file */
    ed_sops_keys *a = keys_of(KEY1);
    d = parse_one(SECRET_PGP_ENC);
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/db", a, &err), ED_EAUTH);
    ed_doc_free(d);
    ed_doc_free(want);
    ed_sops_keys_free(a);
    ed_sops_keys_free(k);
}

/* Key groups with a Shamir threshold (tests/e2e/fixtures/sops/groups/secret.yaml, made by
 * tests/tools/sopsfixture: the age identity KEY1 in group 0, the PGP key in group 1, threshold
 * 2): both parts open the data key; one alone gives sops's report of the Shamir threshold. */
void test_sops_key_groups(void **state)
{
    (void)state;
    ed_err err = ED_ERR_INIT;
    FILE *f = fopen("tests/e2e/fixtures/sops/groups/secret.yaml", "r");
    assert_non_null(f);
    char *text = calloc(1, 65536);
    assert_non_null(text);
    size_t len = fread(text, 1, 65535, f);
    fclose(f);
    assert_true(len > 0 && len < 65535);
    ed_sops_keys *k = keys_of(KEY1);
    ed_doc *d = parse_one(text);
    assert_int_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/db", k, &err), ED_EAUTH);
    assert_string_equal(
        err.msg,
        "cannot get sops data key: Failed to get the data key required to decrypt the SOPS "
        "file.\n\nGroup 0: SUCCESS\n\nGroup 1: FAILED\n  BFAC0A0471D63E2C7376D82BC65BE29B00A8E9C1: "
        "FAILED\n    - | could not decrypt data key with PGP key: GnuPG binary error:\n      | "
        "failed to decrypt sops data key with pgp: No secret key\n\nRecovery failed because the "
        "file was encrypted with a Shamir threshold of\n2, but only 1 part(s) were successfully "
        "recovered, one for each successful\nkey group. In order for SOPS to recover the file, at "
        "least 2 groups have to\nbe successful. In order for a group to be successful, decryption "
        "has to\nsucceed with any of the keys in that key group.");
    ed_doc_free(d);
    assert_int_equal(ed_sops_keys_add_pgp(k, PGP_KEY, strlen(PGP_KEY), &err), 0);
    d = parse_one(text);
    ed_doc *want = parse_one(SECRET_PLAIN);
    if (ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/db", k, &err) != 0)
        fail_msg("decrypt: %s", err.msg);
    assert_true(ed_node_equal(ed_doc_root(d), ed_doc_root(want)));
    ed_doc_free(d);
    ed_doc_free(want);
    ed_sops_keys_free(k);
    free(text);
}

/* Comments in an encrypted YAML file (tests/tools/sopsfixture/commented.yaml): sops writes those
 * of a mapping as YAML comments, those among a sequence's items as items of type comment; once
 * decrypted, both are comment lines again where they stood, never items (sops's YAML store;
 * the expected text is `sopsfixture decrypt yaml`'s). */
static const char COMMENTED_ENC[] =
    "#ENC[AES256_GCM,data:uA0k3gnJh6ffxlCFGA==,iv:UKcmY60WE5p7FxZwaf2opLbUxjOqb2Wk9rbhxFrGUxM"
    "=,tag:nDNxvrel2yQAhlNS/YjfmQ==,type:comment]\n"
    "db:\n"
    "    #ENC[AES256_GCM,data:AmENRQ==,iv:sEHihxxAKsnttYdA7we7Ps+c2FbnCcj/xJcUG5M+soU=,tag:dM"
    "C7sKqwCcS7QqmD7FYyqQ==,type:comment]\n"
    "    user: ENC[AES256_GCM,data:YVGl,iv:bGEig4VJdaJGlHcMcy8aGYZYgg4fOcm1XKAg6rOGPJY=,tag:J"
    "0NrxHWnUQwPyCyz8WTdog==,type:str]\n"
    "    password: ENC[AES256_GCM,data:23AymWzH,iv:SFoL2eb01bnMMhkUW4ZTR4AQnw9eThcZxto5Ln1ngY"
    "8=,tag:j7ypMnSmgyjWlDRDaqghWw==,type:str]\n"
    "hosts:\n"
    "    - ENC[AES256_GCM,data:KVwtC+kNQX81hA==,iv:9v7HpdTeggipvyiaEpU2v9t5PZmgS2gbRZ2rY7biOR"
    "Q=,tag:r9NTjEnA9Yj3CYadotpjxw==,type:comment]\n"
    "    - ENC[AES256_GCM,data:qB2NDRA4lKl2,iv:eORvI65zprRPEgw6h1VuLryLHjMJ3DQse6VZo50wiUI=,t"
    "ag:LWPNJ8vTuPQm2Ehf2m/zXQ==,type:str]\n"
    "    - ENC[AES256_GCM,data:Gxr0/esMmtpSw9U=,iv:ekg0g9WOxmICVmujOd1r1Nyr8XH7K0xVtb2HicxQmD"
    "o=,tag:9+2YphEw+YYh3jzQb68ryw==,type:comment]\n"
    "    - ENC[AES256_GCM,data:1Cry6OWGzPyC,iv:1DSmcSKDi6aRDrRBqr3o8OAdzKOVK+PwURyCA+vOZtQ=,t"
    "ag:XWiCobLuck88rixhgCqk4A==,type:str]\n"
    "    - ENC[AES256_GCM,data:09AB+SR3AxI=,iv:fDS/vYs82cbkhKiA0AXhyVsyvHWrsi0IGnN7ref+cqQ=,t"
    "ag:DuFOr0ois9Jb+3EylmtK6g==,type:comment]\n"
    "sops:\n"
    "    kms: []\n"
    "    gcp_kms: []\n"
    "    azure_kv: []\n"
    "    hc_vault: []\n"
    "    age:\n"
    "        - recipient: age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "          enc: |\n"
    "            -----BEGIN AGE ENCRYPTED FILE-----\n"
    "            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSBSN3dwdGpRQnBVWXhkd0hE\n"
    "            eFVmNkJTT3JzeDVmZUZKNnBSM2hJaEZyZnk0ClNiMUIvNmI2TEJKQnVwbXdiM2FY\n"
    "            ZDVneW12VUhjUkdjSVJJTDI1STZrTlEKLS0tIENFVm1RTERQWHRXOC9VZStqemRT\n"
    "            WWg2MzBpekc4YVJIRWRWV0xZM1RuNDgKSOLQD/8bvEs+NF76DVVszeUtA52g0AhJ\n"
    "            59hRIy2zcVSceEr597MsgYh5a85FeRRn5RITp/BBt63odUT6CgUyqA==\n"
    "            -----END AGE ENCRYPTED FILE-----\n"
    "    lastmodified: \"2026-11-30T16:25:23Z\"\n"
    "    mac: ENC[AES256_GCM,data:z1Gyc2ErttULUDt6V3rXeFOzE2QUd5jcHOq3wBbXwryuLKON7kYqqNSV5y3"
    "CO9BjtnUvV+hiV0wvZj1LMTbFa0kTe1WHeEsNHCRrjxlZx7BDDx9teEceTDMzjaiw8c1TMa6yd4Lo+9FPt/ndgI6"
    "EVanJOOHTO3Vg+e2ZTcTsRdU=,iv:sPjvp4yznTIMvVZS0X4AWTrib8Mjw1PNXATOSytcieM=,tag:KfGF4D4nX4"
    "IArF5SA3q4dg==,type:str]\n"
    "    pgp: []\n"
    "    unencrypted_suffix: _unencrypted\n"
    "    version: 3.9.0\n";

void test_sops_comments(void **state)
{
    (void)state;
    expect_bytes("commented.yaml", COMMENTED_ENC,
                 "# the database\n"
                 "db:\n"
                 "    # who\n"
                 "    user: svc\n"
                 "    password: s3cr3t\n"
                 "hosts:\n"
                 "    # the first\n"
                 "    - a.example\n"
                 "    # the second\n"
                 "    - b.example\n"
                 "    # the end\n");
    /* as a manifest: the sequence holds its two items */
    ed_sops_keys *k = keys_of(KEY1);
    ed_err err = ED_ERR_INIT;
    ed_doc **docs = NULL;
    size_t n = 0;
    assert_int_equal(ed_doc_parse_yaml(COMMENTED_ENC, strlen(COMMENTED_ENC), "x", &docs, &n, &err),
                     0);
    assert_int_equal(ed_sops_decrypt(docs[0], ed_doc_root(docs[0]), "ConfigMap/a/b", k, &err), 0);
    const ed_node *hosts = ed_node_get(ed_doc_root(docs[0]), "hosts");
    assert_int_equal(ed_node_len(hosts), 2);
    assert_string_equal(ed_node_str(ed_node_at(hosts, 1)), "b.example");
    ed_doc_list_free(docs, n);
    ed_sops_keys_free(k);
}

/* go-ini trims keys, values and comments of Unicode's white space (Go's strings.TrimSpace), not
 * section names: tests/tools/sopsfixture's ini encryption of a file with NO-BREAK SPACE, EN
 * QUAD, IDEOGRAPHIC SPACE, LINE SEPARATOR and NEXT LINE around them, and what its decrypt
 * writes. */
static const char UNICODE_INI_ENC[] =
    "[\xc2\xa0"
    "sec\xe3\x80\x80"
    "]\n"
    "key   = ENC[AES256_GCM,data:YL9MsT8=,iv:CIl8u1+oQ26uNkIsY+wXaz4agp/yGABg+eQrNCAgcow=,tag"
    ":M2v5KkUg35DLi8DlKbWLBg==,type:str]\n"
    "; ENC[AES256_GCM,data:mRK1nEU4,iv:7h4yfP0GDMEroOwopc51655i94u9rryjFUP2DN0cBtM=,tag:jZ4Ew"
    "L7scXvRHZFuSrmDZg==,type:comment]\n"
    "plain = ENC[AES256_GCM,data:bA==,iv:Xk7K7vozzI84EGiao6nEwALf9l31+5Og4DfQexCmakM=,tag:52B"
    "Orq63skXAnl1lpGEq1Q==,type:str]\n"
    "\n"
    "[sops]\n"
    "mac                        = ENC[AES256_GCM,data:2zNWXIm3tHtruLG19uEU0pB7nZ+u2lPp3hHni/F"
    "ByKZEatVumIiCJUCASfLxN/ZcMODXIrCOscP2oyHAcYDmxHPcWqevaEfXEklTUBFqjdSdQDOoqkb+ettu04S9eUv"
    "32d2cpcpR5fen7hS1buhl5xMdJG5gJt4yNvmFP8Qtbp4=,iv:IjtJdQ9Zm74nDUzoa8PC4LlP+zBRqs5niaQYQMW"
    "6N/o=,tag:pWnEHpHBvYMPD1/+hDKvQQ==,type:str]\n"
    "unencrypted_suffix         = _unencrypted\n"
    "age__list_0__map_enc       = -----BEGIN AGE ENCRYPTED FILE-----\\nYWdlLWVuY3J5cHRpb24ub3"
    "JnL3YxCi0+IFgyNTUxOSAxczlPM01kY1gxbXZoOEhu\\nSktXV1BwaEsxWTcrRm1jVFE1WWRSZzQyd2g0CllPdWd"
    "jc2tvMHMyT2pxWFBtQ0VP\\nNjdyMGVPcXhybksrZmovajVMMWtVdlEKLS0tIGpvL09pNmxKdGRYNlhQYTEwbzlr"
    "\\nVWxKRE9wTWhnaG9hcExraVhIdjRxYlUK0VAFII/XwEwcNpPN5DtCgibcZV1tiiss\\nKMsHT5tgVRbxYMHCob"
    "O3JeNcnCS+XU2/GR+GykvmjZjwxUOHAdgAuQ==\\n-----END AGE ENCRYPTED FILE-----\\n\n"
    "version                    = 3.9.0\n"
    "age__list_0__map_recipient = age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh30"
    "46n\n"
    "lastmodified               = 2026-11-30T16:30:31Z\n";
static const char UNICODE_INI_PLAIN[] = "[\xc2\xa0"
                                        "sec\xe3\x80\x80"
                                        "]\n"
                                        "key   = value\n"
                                        "; note\n"
                                        "plain = x\n";

void test_sops_ini_unicode_space(void **state)
{
    (void)state;
    expect_bytes("u.ini", UNICODE_INI_ENC, UNICODE_INI_PLAIN);
}

/* Two documents with comments at their tops and ends, a '#' line inside a literal block (no
 * comment), comments among a list's items and in an item's mapping, encrypted with an
 * encrypted_regex of ^(b|block)$ (comments outside b stay in clear): sopsfixture's bytes. */
static const char COMMENTS2_ENC[] =
    "# first doc\n"
    "a: 1\n"
    "block: ENC[AES256_GCM,data:Vxpm7mF9kumBWSEfv+BgRQoxNb9FuURuTA==,iv:YvF0M4sbcc7cRZmTI4ZS5"
    "PzWoGnHSQ2WETr5WKZJLjo=,tag:43/7rEdBGkh6cd4vvdrndg==,type:str]\n"
    "# tail of first\n"
    "sops:\n"
    "    kms: []\n"
    "    gcp_kms: []\n"
    "    azure_kv: []\n"
    "    hc_vault: []\n"
    "    age:\n"
    "        - recipient: age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "          enc: |\n"
    "            -----BEGIN AGE ENCRYPTED FILE-----\n"
    "            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSA2YlRZZVFlRXdWQVViUUxp\n"
    "            SE52ZGxaemxZOGZuWFdZdWZVVjlNWm1BRlVJCjNKVEpZcUZVYTBPVmRoVE56QjU0\n"
    "            WGVKWm1Ybk8rUmFMUUJWcmhVQi8rK0EKLS0tIHlxZEVnVktZa052b01tUmNwKzFC\n"
    "            MzkxVEVQeHBBVVN6L252TVRZbXRMWTgKfvPxQIxhGfn+wETuIWFySuPdjWReEzv1\n"
    "            RKlXi3jEqqB4tDfn/bcqiHiPawsu4WJVTGQwOBpK9LQpjt80r1kXjg==\n"
    "            -----END AGE ENCRYPTED FILE-----\n"
    "    lastmodified: \"2026-11-30T16:35:12Z\"\n"
    "    mac: ENC[AES256_GCM,data:Qo4cO3C52wQsnvB1LZAf8mCmiHNkKnAuR4XLjifCfVmLDNIJOmvfP6Ba+Xw"
    "7W2RlEKyzDBMdUAJXTycrEG2F3NuGUkZ0GDTtTEE/JcvOtAKpS31KSe4ecQms4TJWtAr+5NsiwCbijl0wRtmDsEA"
    "q9qCp2tB7cSR9HDE+ue7ubE4=,iv:5Il1qK87QoRH3aohIGaxb9HN85XtMQyF1NyRMqWvSaE=,tag:d5YyxmV+3l"
    "30H8cfXML/uA==,type:str]\n"
    "    pgp: []\n"
    "    encrypted_regex: ^(b|block)$\n"
    "    version: 3.9.0\n"
    "---\n"
    "# second doc head\n"
    "b:\n"
    "    - ENC[AES256_GCM,data:SA==,iv:ol4PJpHesveQMgmq0celpMQszD1S5rJ0NQW6sEKZPtQ=,tag:b7plk"
    "nMqgnCKrNKXonLqbA==,type:str]\n"
    "    - ENC[AES256_GCM,data:TWUZXxIPGWk=,iv:qXPpl9RbakMbuaHQTSzutUbuUFoWUHlsjZpoVDTg0nI=,t"
    "ag:etFDNjbmZMZSfCCnAsHkKw==,type:comment]\n"
    "    - \"y\": ENC[AES256_GCM,data:rg==,iv:WM354jESTGFAbfw78v0BFlcwkUVAfENnk3BfO3fFi7I=,ta"
    "g:U8V0sOowvBJ7hY3Gy4Hfqg==,type:int]\n"
    "      #ENC[AES256_GCM,data:cYtEzxM=,iv:jSj0RSnu5bsMkGLRTS/8R0zg2gbmo1YrRTn2ChMXTpM=,tag:"
    "bsdjxLkVN8uckUpjFbvZGg==,type:comment]\n"
    "      z: ENC[AES256_GCM,data:qw==,iv:eqMQrw0KWfhRbbVLvUXkjII/6e62JBNakOON2UyQUX0=,tag:lr"
    "+Kx94W5vJDaPH/Ehu1jg==,type:int]\n"
    "# the very end\n"
    "sops:\n"
    "    kms: []\n"
    "    gcp_kms: []\n"
    "    azure_kv: []\n"
    "    hc_vault: []\n"
    "    age:\n"
    "        - recipient: age1q03gnssdrvdjlg3w9dvqf58uwyz6js29fz4amm0sfvtemqav6f8sh3046n\n"
    "          enc: |\n"
    "            -----BEGIN AGE ENCRYPTED FILE-----\n"
    "            YWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgyNTUxOSA2YlRZZVFlRXdWQVViUUxp\n"
    "            SE52ZGxaemxZOGZuWFdZdWZVVjlNWm1BRlVJCjNKVEpZcUZVYTBPVmRoVE56QjU0\n"
    "            WGVKWm1Ybk8rUmFMUUJWcmhVQi8rK0EKLS0tIHlxZEVnVktZa052b01tUmNwKzFC\n"
    "            MzkxVEVQeHBBVVN6L252TVRZbXRMWTgKfvPxQIxhGfn+wETuIWFySuPdjWReEzv1\n"
    "            RKlXi3jEqqB4tDfn/bcqiHiPawsu4WJVTGQwOBpK9LQpjt80r1kXjg==\n"
    "            -----END AGE ENCRYPTED FILE-----\n"
    "    lastmodified: \"2026-11-30T16:35:12Z\"\n"
    "    mac: ENC[AES256_GCM,data:Qo4cO3C52wQsnvB1LZAf8mCmiHNkKnAuR4XLjifCfVmLDNIJOmvfP6Ba+Xw"
    "7W2RlEKyzDBMdUAJXTycrEG2F3NuGUkZ0GDTtTEE/JcvOtAKpS31KSe4ecQms4TJWtAr+5NsiwCbijl0wRtmDsEA"
    "q9qCp2tB7cSR9HDE+ue7ubE4=,iv:5Il1qK87QoRH3aohIGaxb9HN85XtMQyF1NyRMqWvSaE=,tag:d5YyxmV+3l"
    "30H8cfXML/uA==,type:str]\n"
    "    pgp: []\n"
    "    encrypted_regex: ^(b|block)$\n"
    "    version: 3.9.0\n";
static const char COMMENTS2_PLAIN[] = "# first doc\n"
                                      "a: 1\n"
                                      "block: |\n"
                                      "    # not a comment\n"
                                      "    line two\n"
                                      "# tail of first\n"
                                      "---\n"
                                      "# second doc head\n"
                                      "b:\n"
                                      "    - x\n"
                                      "    # between\n"
                                      "    - \"y\": 1\n"
                                      "      # in y\n"
                                      "      z: 2\n"
                                      "# the very end\n";

void test_sops_comments_documents(void **state)
{
    (void)state;
    expect_bytes("c.yaml", COMMENTS2_ENC, COMMENTS2_PLAIN);
}
