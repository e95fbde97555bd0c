/*
 * Secrets read by the image reconcilers (a registry's dockerconfigjson and CA, a Git
 * repository's credentials): the Secret is fetched, its data decoded from base64 into
 * NUL-terminated buffers, and every buffer wiped before it is freed.
 */
#include "controllers.h"

#include <stdlib.h>
#include <string.h>

/* Decode one base64 value into a new NUL-terminated buffer; -1 when invalid. */
static int decode(const char *b64, char **out, size_t *len)
{
    *out = (char *)ed_base64_decode(b64, strlen(b64), ED_BASE64_LINES, len);
    return *out ? 0 : -1;
}

/* Read and decode Secret ns/name; an error of the API server wrapped with the Secret's name
 * when wrap is set. */
static int secret_fetch(ed_kube *kube, const char *ns, const char *name, bool wrap,
                        ed_ctrl_secret *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    ed_doc *doc = NULL;
    int rc = ed_kube_get(kube, "v1", "Secret", ns, name, &doc, err);
    if (rc && wrap)
        return ed_err_wrap(err, "failed to get secret '%s/%s'", ns, name);
    if (rc)
        return rc;
    ed_node *data = ed_node_get(ed_doc_root(doc), "data");
    const char *type = ed_node_str(ed_node_get(ed_doc_root(doc), "type"));
    /* (the API server's default) */
    out->type = ed_xstrdup(type && *type ? type : "Opaque");
    size_t n = ed_node_len(data);
    out->entries = ed_xcalloc(n ? n : 1, sizeof(*out->entries));
    out->keys = ed_xcalloc(n ? n : 1, sizeof(*out->keys));
    for (size_t i = 0; i < n; i++) {
        const char *b64 = ed_node_str(ed_node_value_at(data, i));
        char *value = NULL;
        size_t len = 0;
        if (!b64 || decode(b64, &value, &len) != 0) {
            rc = ed_err_set(err, ED_EINVALID, "secret '%s/%s': data.%s is not valid base64", ns,
                            name, ed_node_key_at(data, i));
            break;
        }
        out->keys[i] = ed_xstrdup(ed_node_key_at(data, i));
        out->entries[i] = (ed_source_secret_entry){out->keys[i], value, len};
        out->n = i + 1;
    }
    ed_doc_free(doc);
    if (rc)
        ed_ctrl_secret_clear(out);
    return rc;
}

int ed_ctrl_secret_read(ed_kube *kube, const char *ns, const char *name, ed_ctrl_secret *out,
                        ed_err *err)
{
    return secret_fetch(kube, ns, name, true, out, err);
}

int ed_ctrl_secret_get(ed_kube *kube, const char *ns, const char *name, ed_ctrl_secret *out,
                       ed_err *err)
{
    return secret_fetch(kube, ns, name, false, out, err);
}

const char *ed_ctrl_secret_value(const ed_ctrl_secret *s, const char *key, size_t *len)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->entries[i].key, key) == 0) {
            if (len)
                *len = s->entries[i].len;
            return s->entries[i].value;
        }
    return NULL;
}

void ed_ctrl_secret_clear(ed_ctrl_secret *s)
{
    for (size_t i = 0; i < s->n; i++) {
        /* Secrets do not linger in freed memory. */
        memset((char *)s->entries[i].value, 0, s->entries[i].len);
        free((char *)s->entries[i].value);
        free(s->keys[i]);
    }
    free(s->entries);
    free(s->keys);
    free(s->type);
    memset(s, 0, sizeof(*s));
}
