/*
 * libFuzzer target for the setters (src/image/setters.c), which read YAML files from Git. For
 * any input: no crash, leak or overflow; a file that comes out without changes comes out byte
 * for byte the same; each change replaces exactly its old text by its new one (the output's
 * length adds up); and a second pass over the output changes nothing (the edit is idempotent).
 */
#include "image/image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int lookup(const char *ns, const char *name, ed_setter_image *out, void *user)
{
    (void)user;
    if (strcmp(ns, "ns") != 0 || strcmp(name, "missing") == 0)
        return ED_ENOTFOUND;
    if (strcmp(name, "other") == 0)
        return 1;
    out->name = "reg.example/app";
    out->tag = "1.2.3";
    out->digest = strcmp(name, "nodigest") == 0 ? NULL : "sha256:abc";
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_buf out = ED_BUF_INIT((size_t)4 << 20);
    ed_setter_changes ch = {0};
    ed_err err = ED_ERR_INIT;
    const char *in = (const char *)data;
    if (ed_setters_apply("fuzz.yaml", in, size, lookup, NULL, &out, &ch, &err) == 0) {
        if (ch.n == 0 && (out.len != size || (size && memcmp(out.data, in, size) != 0)))
            abort();
        size_t expect = size;
        for (size_t i = 0; i < ch.n; i++)
            expect = expect - strlen(ch.items[i].old_value) + strlen(ch.items[i].new_value);
        if (out.len != expect)
            abort();
        ed_buf again = ED_BUF_INIT((size_t)4 << 20);
        ed_setter_changes ch2 = {0};
        if (ed_setters_apply("fuzz.yaml", out.data, out.len, lookup, NULL, &again, &ch2, &err) ==
                0 &&
            ch2.n != 0)
            abort();
        ed_setter_changes_free(&ch2);
        ed_buf_free(&again);
    }
    ed_setter_changes_free(&ch);
    ed_buf_free(&out);
    return 0;
}
