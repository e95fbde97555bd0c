/*
 * libFuzzer target for kustomization and patch parsing: the input is three parts separated by
 * a line "---8<---": a kustomization.yaml, a resources.yaml and a patch.yaml. Each input is
 * built as a tree (ed_ks_build, which parses the kustomization's patch fields and patch files,
 * selects targets and applies the patches), and each patch document is also applied directly to
 * a copy of each resource with ed_ks_smp_apply or ed_ks_json6902_apply. Nothing may crash, leak
 * or overflow; failures must be clean errors with a message.
 */
#include "kustomize/kustomize.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void write_part(const char *name, const char *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (len && fwrite(data, 1, len, f) != len)
        abort();
    fclose(f);
}

/* Remove the working directory and its three files when the fuzzer exits. */
static void remove_dir(void)
{
    static const char *const names[] = {"kustomization.yaml", "resources.yaml", "patch.yaml"};
    char path[128];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Apply every patch document to a copy of every resource document. */
static void apply_direct(ed_doc **res, size_t nres, ed_doc **patches, size_t npatches)
{
    for (size_t i = 0; i < nres; i++)
        for (size_t k = 0; k < npatches; k++) {
            ed_doc *copy = ed_doc_new();
            ed_doc_set_root(copy, ed_node_copy(copy, ed_doc_root(res[i])));
            ed_err err = ED_ERR_INIT;
            const ed_node *p = ed_doc_root(patches[k]);
            bool deleted = false;
            int rc = ed_node_kind_of(p) == ED_NODE_SEQ ? ed_ks_json6902_apply(copy, p, &err)
                                                       : ed_ks_smp_apply(copy, p, &deleted, &err);
            if (rc && !err.msg[0])
                abort(); /* every failure carries a message */
            ed_doc_free(copy);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char sep[] = "\n---8<---\n";
    const char *s = (const char *)data, *end = s + size;
    const char *parts[3] = {s, "", ""};
    size_t lens[3] = {size, 0, 0};
    for (int i = 1; i < 3; i++) {
        const char *m = memmem(parts[i - 1], lens[i - 1], sep, sizeof(sep) - 1);
        if (!m)
            break;
        lens[i - 1] = (size_t)(m - parts[i - 1]);
        parts[i] = m + sizeof(sep) - 1;
        lens[i] = (size_t)(end - parts[i]);
    }
    if (!dir[0]) {
        snprintf(dir, sizeof(dir), "/tmp/eddy-fuzz-patch-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(remove_dir);
    }
    write_part("kustomization.yaml", parts[0], lens[0]);
    write_part("resources.yaml", parts[1], lens[1]);
    write_part("patch.yaml", parts[2], lens[2]);

    ed_ks_options opts = ED_KS_OPTIONS_INIT;
    opts.max_file_bytes = 1 << 20;
    ed_doc **out = NULL;
    size_t n = 0;
    ed_err err = ED_ERR_INIT;
    if (ed_ks_build(dir, &opts, &out, &n, &err) == 0) {
        ed_buf yaml = ED_BUF_INIT((size_t)16 << 20);
        (void)ed_doc_list_to_yaml(out, n, &yaml);
        ed_buf_free(&yaml);
        ed_doc_list_free(out, n);
    } else if (!err.msg[0]) {
        abort();
    }

    ed_doc **res = NULL, **patches = NULL;
    size_t nres = 0, npatches = 0;
    if (ed_doc_parse_yaml(parts[1], lens[1], "resources.yaml", &res, &nres, &err) == 0 &&
        ed_doc_parse_yaml(parts[2], lens[2], "patch.yaml", &patches, &npatches, &err) == 0)
        apply_direct(res, nres, patches, npatches);
    ed_doc_list_free(res, nres);
    ed_doc_list_free(patches, npatches);
    return 0;
}
