/*
 * `eddy push artifact`, as `flux push artifact` lays an artifact out: a deterministic tar.gz of
 * --path as the one layer (application/vnd.cncf.flux.content.v1.tar+gzip), Flux's config media
 * type (application/vnd.cncf.flux.config.v1+json), and the manifest's annotations
 * org.opencontainers.image.source (--source), .revision (--revision) and .created, plus any
 * --annotations. An OCIRepository (eddy's or Flux's) reads it back unchanged. The registry is
 * spoken to by the image module's client (Basic or Bearer auth with --creds).
 */
#include "cli_int.h"

#include "../image/image.h"
#include "../source/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Parse "oci://host/repo[:tag]" into *ref and tag (latest when none is given). 0, or 2 after
 * printing what is wrong. */
static int parse_artifact_url(const char *url, ed_image_ref *ref, char *tag, size_t n)
{
    if (!url || !ed_str_has_prefix(url, "oci://")) {
        ed_cli_failure("invalid artifact URL '%s': expected oci://<host>/<repository>[:<tag>]",
                       url ? url : "");
        return 2;
    }
    char *name = ed_xstrdup(url + 6);
    char *slash = strrchr(name, '/');
    char *colon = slash ? strchr(slash, ':') : NULL;
    snprintf(tag, n, "%s", colon ? colon + 1 : "latest");
    if (colon)
        *colon = '\0';
    char *bare = ed_xasprintf("oci://%s", name);
    ed_err err = ED_ERR_INIT;
    int rc = 0;
    if (!*tag || strlen(tag) > 128 ||
        strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
            strlen(tag)) {
        ed_cli_failure("invalid artifact URL '%s': invalid tag '%s'", url, tag);
        rc = 2;
    } else if (ed_oci_url_parse(bare, ref, &err) != 0) {
        ed_cli_failure("invalid artifact URL '%s': %s", url, err.msg);
        rc = 2;
    }
    free(bare);
    free(name);
    return rc;
}

/* The manifest of a Flux artifact, as JSON (a new string). */
static char *artifact_manifest(const char *config_digest, size_t config_size,
                               const ed_source_artifact_info *layer, const char *source,
                               const char *revision, const ed_cli_list *annotations)
{
    ed_doc *d = ed_doc_new();
    ed_node *m = ed_node_new_map(d);
    ed_doc_set_root(d, m);
    ed_node_set(d, m, "schemaVersion", ed_node_new_int(d, 2));
    ed_node_set(d, m, "mediaType",
                ed_node_new_str(d, "application/vnd.oci.image.manifest.v1+json"));
    ed_node *config = ed_node_new_map(d);
    ed_node_set(d, config, "mediaType", ed_node_new_str(d, ED_OCI_FLUX_CONFIG_TYPE));
    ed_node_set(d, config, "digest", ed_node_new_str(d, config_digest));
    ed_node_set(d, config, "size", ed_node_new_int(d, (int64_t)config_size));
    ed_node_set(d, m, "config", config);
    ed_node *layers = ed_node_new_seq(d);
    ed_node *l = ed_node_new_map(d);
    ed_node_set(d, l, "mediaType", ed_node_new_str(d, ED_OCI_FLUX_CONTENT_TYPE));
    ed_node_set(d, l, "digest", ed_node_new_str(d, layer->digest));
    ed_node_set(d, l, "size", ed_node_new_int(d, layer->size));
    ed_node_append(d, layers, l);
    ed_node_set(d, m, "layers", layers);
    ed_node *ann = ed_node_new_map(d);
    char now[32];
    ed_time_rfc3339(time(NULL), now);
    ed_node_set(d, ann, "org.opencontainers.image.created", ed_node_new_str(d, now));
    ed_node_set(d, ann, "org.opencontainers.image.revision", ed_node_new_str(d, revision));
    ed_node_set(d, ann, "org.opencontainers.image.source", ed_node_new_str(d, source));
    for (int i = 0; i < annotations->n; i++) {
        const char *eq = strchr(annotations->items[i], '=');
        char *key = ed_xstrndup(annotations->items[i], (size_t)(eq - annotations->items[i]));
        ed_node_set(d, ann, key, ed_node_new_str(d, eq + 1));
        free(key);
    }
    ed_node_set(d, m, "annotations", ann);
    ed_buf out = ED_BUF_INIT((size_t)1 << 20);
    char *json = ed_node_to_json(m, &out) == 0 ? ed_buf_take(&out) : NULL;
    ed_buf_free(&out);
    ed_doc_free(d);
    return json;
}

int ed_cli_push(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *path = NULL, *source = NULL, *revision = NULL, *creds = NULL;
    bool insecure = false;
    ed_cli_list annotations = {0};
    const ed_cli_flag flags[] = {
        {"path", 'f', ED_CLI_FLAG_STR, &path},
        {"source", 0, ED_CLI_FLAG_STR, &source},
        {"revision", 0, ED_CLI_FLAG_STR, &revision},
        {"creds", 0, ED_CLI_FLAG_STR, &creds},
        {"annotations", 'a', ED_CLI_FLAG_LIST, &annotations},
        {"insecure-registry", 0, ED_CLI_FLAG_BOOL, &insecure},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    const char *url = npos == 2 && strcmp(pos[0], "artifact") == 0 ? pos[1] : NULL;
    free(pos);
    if (rc)
        return rc;
    if (!url) {
        ed_cli_failure("usage: eddy push artifact oci://<host>/<repository>:<tag> --path DIR "
                       "--source URL --revision REV");
        return 2;
    }
    ed_image_ref ref;
    char tag[160];
    if ((rc = parse_artifact_url(url, &ref, tag, sizeof(tag))) != 0)
        return rc;
    if (!path || !*path) {
        ed_cli_failure("invalid path '%s': --path is required", path ? path : "");
        return 2;
    }
    if (!source || !*source) {
        ed_cli_failure("--source is required");
        return 2;
    }
    if (!revision || !*revision) {
        ed_cli_failure("--revision is required");
        return 2;
    }
    for (int i = 0; i < annotations.n; i++) {
        const char *eq = strchr(annotations.items[i], '=');
        if (!eq || eq == annotations.items[i]) {
            ed_cli_failure("invalid annotation \"%s\": expected KEY=VALUE", annotations.items[i]);
            return 2;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        ed_cli_failure("invalid path '%s': %s", path, strerror(errno));
        return 2;
    }
    if (!S_ISDIR(st.st_mode)) {
        ed_cli_failure("invalid path '%s': not a directory", path);
        return 2;
    }
    ed_registry_opts ro = {.insecure = insecure, .push = true, .timeout_ms = g.timeout_ms};
    char *user = NULL;
    if (creds) {
        const char *colon = strchr(creds, ':');
        user = ed_xstrndup(creds, colon ? (size_t)(colon - creds) : strlen(creds));
        ro.username = user;
        ro.password = colon ? colon + 1 : "";
    }

    const char *tmp_root = getenv("TMPDIR");
    char *dir = ed_xasprintf("%s/eddy-push-XXXXXX", tmp_root && *tmp_root ? tmp_root : "/tmp");
    char *layer_file = NULL, *manifest = NULL;
    ed_err err = ED_ERR_INIT;
    if (!mkdtemp(dir)) {
        ed_cli_failure("cannot create a temporary directory: %s", strerror(errno));
        free(dir);
        free(user);
        return 1;
    }
    layer_file = ed_xasprintf("%s/artifact.tar.gz", dir);
    ed_source_artifact_info layer = {0};
    static const char config[] = "{}";
    char config_hex[65], config_digest[ED_DIGEST_MAX], digest[ED_DIGEST_MAX];
    ed_sha256_hex(config, sizeof(config) - 1, config_hex);
    snprintf(config_digest, sizeof(config_digest), "sha256:%s", config_hex);
    ed_cli_action("pushing artifact to %s/%s:%s", ref.registry, ref.repository, tag);
    if (ed_source_archive_create(path, layer_file, &layer, &err) != 0) {
        ed_cli_failure("archiving %s failed: %s", path, err.msg);
        rc = 1;
    } else if (!(manifest = artifact_manifest(config_digest, sizeof(config) - 1, &layer, source,
                                              revision, &annotations))) {
        ed_cli_failure("pushing artifact failed: the manifest cannot be written");
        rc = 1;
    } else if (ed_registry_blob_put(&ref, &ro, layer_file, NULL, 0, layer.digest, &err) != 0 ||
               ed_registry_blob_put(&ref, &ro, NULL, config, sizeof(config) - 1, config_digest,
                                    &err) != 0 ||
               ed_registry_manifest_put(&ref, &ro, tag, manifest,
                                        "application/vnd.oci.image.manifest.v1+json", digest,
                                        &err) != 0) {
        ed_cli_failure("pushing artifact failed: %s", err.msg);
        rc = 1;
    } else {
        ed_cli_success("artifact successfully pushed to %s/%s@%s", ref.registry, ref.repository,
                       digest);
    }
    ed_path_remove_tree(dir);
    free(dir);
    free(layer_file);
    free(manifest);
    free(user);
    return rc;
}
