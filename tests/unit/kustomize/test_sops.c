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
    if (ed_sops_keys_add_age(k, "identity.agekey", text, strlen(text), &err) != 0)
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
    assert_non_null(strstr(err.msg, "cannot get sops data key"));
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
    assert_int_not_equal(ed_sops_decrypt(d, ed_doc_root(d), "Secret/ns/p", k, &err), 0);
    assert_non_null(strstr(err.msg, "age"));
    ed_doc_free(d);
    ed_sops_keys_free(k);

    /* Identities: comments and blank lines skipped; anything else refused by line. */
    k = ed_sops_keys_new();
    assert_int_equal(ed_sops_keys_add_age(k, "a.agekey", KEY1, strlen(KEY1), &err), 0);
    assert_int_equal(ed_sops_keys_count(k), 1);
    char lower[200];
    snprintf(lower, sizeof(lower), "%s", strchr(KEY1, '\n') + 1);
    for (char *c = lower; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    assert_int_equal(ed_sops_keys_add_age(k, "b.agekey", lower, strlen(lower), &err), 0);
    assert_int_equal(ed_sops_keys_count(k), 2);
    char mixed[200];
    snprintf(mixed, sizeof(mixed), "%s", lower);
    mixed[20] = (char)(mixed[20] - 'a' + 'A');
    assert_int_equal(ed_sops_keys_add_age(k, "c.agekey", mixed, strlen(mixed), &err), ED_EINVALID);
    char flipped[200];
    snprintf(flipped, sizeof(flipped), "# x\n\n%s", strchr(KEY1, '\n') + 1);
    char *last = flipped + strlen(flipped) - 2; /* a checksum character */
    *last = *last == 'Q' ? 'P' : 'Q';
    assert_int_equal(ed_sops_keys_add_age(k, "d.agekey", flipped, strlen(flipped), &err),
                     ED_EINVALID);
    assert_string_equal(err.msg, "failed to import 'd.agekey' data: line 3 is not an age identity");
    assert_int_equal(ed_sops_keys_add_age(k, "e.agekey", "# only\n", 7, &err), ED_EINVALID);
    assert_int_equal(ed_sops_keys_count(k), 2);
    ed_sops_keys_free(k);
}
