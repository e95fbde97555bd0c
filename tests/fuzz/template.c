/*
 * libFuzzer target for the commit message templates (src/image/template.c), which come from
 * ImageUpdateAutomation objects. For any input: no crash, leak, overflow or runaway recursion;
 * the result is a message or a clear refusal (ED_EINVALID, ED_ETOOBIG) with a message.
 */
#include "image/image.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tmpl = malloc(size + 1);
    memcpy(tmpl, data, size);
    tmpl[size] = '\0';
    ed_setter_change items[2] = {
        {.file = "a.yaml",
         .api_version = "apps/v1",
         .kind = "Deployment",
         .obj_name = "web",
         .obj_namespace = "ns",
         .old_value = "r/web:1",
         .new_value = "r/web:2",
         .setter = "ns:web"},
        {.file = "b.yaml",
         .kind = "ConfigMap",
         .obj_name = "c",
         .old_value = "1",
         .new_value = "2",
         .setter = "ns:web:tag"},
    };
    ed_setter_changes ch = {items, 2};
    const char *values[] = {"k", "v", NULL};
    ed_template_data d = {"ns", "auto", &ch, values};
    char *out = NULL;
    ed_err err = ED_ERR_INIT;
    int rc = ed_template_render(tmpl, "commit message", &d, &out, &err);
    if (rc == 0 ? out == NULL
                : (out != NULL || (rc != ED_EINVALID && rc != ED_ETOOBIG) || !err.msg[0]))
        abort();
    free(out);
    free(tmpl);
    return 0;
}
