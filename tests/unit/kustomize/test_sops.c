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
    out = decrypt_file("token.bin", false, BIN_ENC, &err, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "raw-token-bytes\n");
    free(out);
    out = decrypt_file("creds.json", false, JSON_ENC, &err, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out, "{\"user\":\"svc\",\"port\":5432,\"tls\":true}");
    free(out);
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
    /* INI: refused */
    out = decrypt_file("x.ini", false, "[sops]\nmac = x\n", &err, &rc);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(strstr(err.msg, "INI"));
    /* a broken dotenv line */
    out = decrypt_file("bad.env", true, "sops_mac=ENC[x]\nnot a pair\n", &err, &rc);
    assert_int_equal(rc, ED_EINVALID);
    assert_non_null(strstr(err.msg, "file 'bad.env'"));
}
