/*
 * The OCI artifact verbs, as flux has them. `eddy push artifact` lays an artifact out as `flux
 * push artifact` does: a deterministic tar.gz of --path (a directory, or one file) less the
 * --ignore-paths, each entry with its own permission bits, as the one layer
 * (application/vnd.cncf.flux.content.v1.tar+gzip), flux's config (its media type
 * application/vnd.cncf.flux.config.v1+json, its bytes flux's), and the manifest's annotations
 * org.opencontainers.image.source (--source), .revision (--revision) and .created (the Unix
 * epoch with --reproducible), plus any --annotations. An OCIRepository (eddy's or Flux's) reads
 * it back unchanged. `pull artifact` unpacks the first layer into a directory (with the
 * source module's hardened unpacker: nothing lands outside it), `list artifacts` prints each
 * tag with its digest and origin, `tag artifact` gives a manifest more tags, and `diff artifact`
 * compares a local tree, archived as push would, with the remote layer. The registry is spoken
 * to by the image module's client, with --creds or, as flux's default keychain reads them, the
 * `auths` of the Docker config (credential helpers are not run: a warning says so).
 */
#include "cli_int.h"

#include "../image/image.h"
#include "../source/source.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Caps on what a pull takes from a registry, those of the OCIRepository reconciler. */
#define MAX_LAYER_BYTES    ((int64_t)512 << 20)
#define MAX_UNPACKED_BYTES ((int64_t)2 << 30)

/* Parse "oci://host/repo[:tag|@sha256:<hex>]" into *ref and the reference (the tag, latest
 * when none is given, or the digest when digest_ok). 0, or 2 after printing what is wrong. */
static int parse_artifact_url(const char *url, bool digest_ok, ed_image_ref *ref, char *tag,
                              size_t n)
{
    if (!url || !ed_str_has_prefix(url, "oci://")) {
        /* fluxcd/pkg/oci's ParseArtifactURL, as flux says it */
        ed_cli_failure("URL must be in format 'oci://<domain>/<org>/<repo>'");
        return 2;
    }
    char *name = ed_xstrdup(url + 6);
    char *slash = strrchr(name, '/');
    char *at = slash ? strchr(slash, '@') : NULL;
    char *colon = slash && !at ? strchr(slash, ':') : NULL;
    snprintf(tag, n, "%s", at ? at + 1 : colon ? colon + 1 : "latest");
    if (at)
        *at = '\0';
    if (colon)
        *colon = '\0';
    char *bare = ed_xasprintf("oci://%s", name);
    ed_err err = ED_ERR_INIT;
    int rc = 0;
    if (at && (!digest_ok || !ed_sha256_digest_valid(tag))) {
        ed_cli_failure("invalid artifact URL '%s': %s", url,
                       digest_ok ? "invalid digest" : "a tag is required, not a digest");
        rc = 2;
    } else if (!at && (!*tag || strlen(tag) > 128 ||
                       strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "0123456789_.-") != strlen(tag))) {
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

/* The config blob of a Flux artifact: what flux push writes, go-containerregistry's empty image
 * config, its creation time Go's zero time (the manifest's annotation has the real one). */
static const char artifact_config[] =
    "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"os\":\"\",\"rootfs\":"
    "{\"type\":\"layers\",\"diff_ids\":null},\"config\":{}}";

/* The manifest of a Flux artifact, as JSON (a new string). */
static char *artifact_manifest(const char *config_digest, size_t config_size,
                               const ed_source_artifact_info *layer, const char *source,
                               const char *revision, const char *created,
                               const ed_cli_list *annotations)
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
    ed_node_set(d, ann, "org.opencontainers.image.created", ed_node_new_str(d, created));
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

/* flux's default --ignore-paths (excludeOCI): the VCS files and media and archives. */
static const char *const exclude_oci[] = {
    ".git/", ".gitignore", ".gitmodules", ".gitattributes", "*.jpg",    "*.jpeg",
    "*.gif", "*.png",      "*.wmv",       "*.flv",          "*.tar.gz", "*.zip",
};

/* The --ignore-paths as gitignore text (one pattern a line; flux's defaults when none). */
static char *ignore_text(const ed_cli_list *paths)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 20);
    int n = paths->n ? paths->n : (int)(sizeof(exclude_oci) / sizeof(exclude_oci[0]));
    for (int i = 0; i < n; i++)
        ed_buf_printf(&b, "%s\n", paths->n ? paths->items[i] : exclude_oci[i]);
    return ed_buf_take(&b);
}

/* The registry options and credentials of one verb. */
typedef struct artifact_auth {
    ed_registry_opts ro;
    char *user, *password;
} artifact_auth;

static void auth_clear(artifact_auth *a)
{
    free(a->user);
    if (a->password)
        memset(a->password, 0, strlen(a->password));
    free(a->password);
}

/*
 * Credentials for registry, as flux finds them: --creds ("user[:password]"), else the `auths`
 * entry of the Docker config ($DOCKER_CONFIG/config.json, else ~/.docker/config.json), as
 * go-containerregistry's default keychain reads it; else none. A credential helper
 * (credHelpers for the host, or credsStore) is not run: a warning says so and no credentials
 * are sent. 0, or 1 after printing what is wrong with the config.
 */
static int auth_init(artifact_auth *a, const char *registry, const char *creds, bool insecure,
                     bool push, int64_t timeout_ms)
{
    memset(a, 0, sizeof(*a));
    a->ro = (ed_registry_opts){.insecure = insecure, .push = push, .timeout_ms = timeout_ms};
    if (creds && *creds) {
        ed_cli_action("logging in to registry with credentials");
        const char *colon = strchr(creds, ':');
        a->user = ed_xstrndup(creds, colon ? (size_t)(colon - creds) : strlen(creds));
        a->password = ed_xstrdup(colon ? colon + 1 : "");
    } else {
        const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
        char *file = dir && *dir     ? ed_xasprintf("%s/config.json", dir)
                     : home && *home ? ed_xasprintf("%s/.docker/config.json", home)
                                     : NULL;
        size_t len = 0;
        char *text = file ? ed_file_read(file, (size_t)1 << 20, &len) : NULL;
        ed_doc *d = NULL;
        ed_err err = ED_ERR_INIT;
        int rc = 0;
        if (text && ed_doc_parse_api_json(text, len, &d, &err) != 0) {
            ed_cli_failure("reading the Docker config %s: %s", file, err.msg);
            rc = 1;
        } else if (d) {
            const ed_node *root = ed_doc_root(d);
            const char *helper =
                ed_node_str(ed_node_get(ed_node_get(root, "credHelpers"), registry));
            if (!helper)
                helper = ed_node_str(ed_node_get(root, "credsStore"));
            if (helper && *helper) {
                ed_cli_warning("the Docker config %s names the credential helper "
                               "docker-credential-%s for %s: eddy runs no credential helpers, "
                               "pass --creds",
                               file, helper, registry);
            } else if ((rc = ed_image_docker_credentials(text, len, registry, &a->user,
                                                         &a->password, &err)) == ED_ENOTFOUND) {
                rc = 0;
            } else if (rc != 0) {
                ed_cli_failure("reading the Docker config %s: %s", file, err.msg);
                rc = 1;
            }
        }
        ed_doc_free(d);
        if (text)
            memset(text, 0, len);
        free(text);
        free(file);
        if (rc)
            return rc;
    }
    a->ro.username = a->user;
    a->ro.password = a->password;
    return 0;
}

/* A temporary directory under $TMPDIR (a new string), or NULL after printing why. */
static char *temp_dir(void)
{
    const char *tmp_root = getenv("TMPDIR");
    char *dir = ed_xasprintf("%s/eddy-artifact-XXXXXX", tmp_root && *tmp_root ? tmp_root : "/tmp");
    if (!mkdtemp(dir)) {
        ed_cli_failure("cannot create a temporary directory: %s", strerror(errno));
        free(dir);
        return NULL;
    }
    return dir;
}

/* Print push's result as flux's --output json|yaml does: url, repository, tag, digest. */
static void print_pushed(const char *format, const ed_image_ref *ref, const char *tag,
                         const char *digest)
{
    char *repo = ed_xasprintf("%s/%s", ref->registry, ref->repository);
    char *url = ed_xasprintf("oci://%s@%s", repo, digest);
    if (strcmp(format, "json") == 0) {
        ed_buf b = ED_BUF_INIT((size_t)1 << 20);
        const char *keys[] = {"url", "repository", "tag", "digest"};
        const char *vals[] = {url, repo, tag, digest};
        ed_buf_printf(&b, "{\n");
        for (int i = 0; i < 4; i++) {
            ed_buf_printf(&b, "  \"%s\": ", keys[i]);
            ed_buf_append_json_str(&b, vals[i]);
            ed_buf_printf(&b, "%s\n", i < 3 ? "," : "");
        }
        ed_buf_printf(&b, "}\n");
        fwrite(b.data, 1, b.len, stdout);
        ed_buf_free(&b);
    } else {
        ed_doc *d = ed_doc_new();
        ed_node *m = ed_node_new_map(d);
        ed_doc_set_root(d, m);
        ed_node_set(d, m, "url", ed_node_new_str(d, url));
        ed_node_set(d, m, "repository", ed_node_new_str(d, repo));
        ed_node_set(d, m, "tag", ed_node_new_str(d, tag));
        ed_node_set(d, m, "digest", ed_node_new_str(d, digest));
        ed_buf b = ED_BUF_INIT((size_t)1 << 20);
        if (ed_node_to_yaml(m, &b) == 0)
            fwrite(b.data, 1, b.len, stdout);
        ed_buf_free(&b);
        ed_doc_free(d);
    }
    free(url);
    free(repo);
}

/* The positional URL of "VERB artifact URL" (or "list artifacts URL"), or NULL. */
static const char *artifact_arg(int argc, char **argv, const ed_cli_flag *flags, ed_cli_global *g,
                                const char *noun, int *rc)
{
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0;
    *rc = ed_cli_parse(argc, argv, flags, g, pos, &npos);
    const char *url = npos == 2 && strcmp(pos[0], noun) == 0 ? pos[1] : NULL;
    free(pos);
    return url;
}

int ed_cli_push(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *path = NULL, *source = NULL, *revision = NULL, *creds = NULL, *output = NULL;
    bool insecure = false, reproducible = false;
    ed_cli_list annotations = {0}, ignore_paths = {0};
    const ed_cli_flag flags[] = {
        {"path", 'f', ED_CLI_FLAG_STR, &path},
        {"source", 0, ED_CLI_FLAG_STR, &source},
        {"revision", 0, ED_CLI_FLAG_STR, &revision},
        {"creds", 0, ED_CLI_FLAG_STR, &creds},
        {"annotations", 'a', ED_CLI_FLAG_LIST, &annotations},
        {"ignore-paths", 0, ED_CLI_FLAG_LIST, &ignore_paths},
        {"reproducible", 0, ED_CLI_FLAG_BOOL, &reproducible},
        {"output", 'o', ED_CLI_FLAG_STR, &output},
        {"insecure-registry", 0, ED_CLI_FLAG_BOOL, &insecure},
        {NULL, 0, 0, NULL},
    };
    int rc;
    const char *url = artifact_arg(argc, argv, flags, &g, "artifact", &rc);
    if (rc)
        return rc;
    if (!url) {
        ed_cli_failure("usage: eddy push artifact oci://<host>/<repository>:<tag> --path DIR "
                       "--source URL --revision REV");
        return 2;
    }
    ed_image_ref ref;
    char tag[160];
    if ((rc = parse_artifact_url(url, false, &ref, tag, sizeof(tag))) != 0)
        return rc;
    if (!source || !*source) {
        ed_cli_failure("--source is required");
        return 2;
    }
    if (!revision || !*revision) {
        ed_cli_failure("--revision is required");
        return 2;
    }
    if (!path || !*path) {
        ed_cli_failure("invalid path \"%s\"", path ? path : "");
        return 2;
    }
    if (output && strcmp(output, "json") != 0 && strcmp(output, "yaml") != 0) {
        ed_cli_failure("invalid output format '%s': can be 'json' or 'yaml'", output);
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
        /* Go's os.Stat error: "stat PATH: " and the errno's text, lower-cased as Go has it */
        char why[128];
        snprintf(why, sizeof(why), "%s", strerror(errno));
        why[0] = (char)tolower((unsigned char)why[0]);
        ed_cli_failure(
            "invalid path '%s', must point to an existing directory or file: stat %s: %s", path,
            path, why);
        return 2;
    }
    artifact_auth auth;
    if (auth_init(&auth, ref.registry, creds, insecure, true, g.timeout_ms) != 0)
        return 1;
    char *dir = temp_dir();
    if (!dir) {
        auth_clear(&auth);
        return 1;
    }
    char *layer_file = ed_xasprintf("%s/artifact.tar.gz", dir), *manifest = NULL;
    char *ignore = ignore_text(&ignore_paths);
    ed_err err = ED_ERR_INIT;
    ed_source_artifact_info layer = {0};
    char config_hex[65], config_digest[ED_DIGEST_MAX], digest[ED_DIGEST_MAX], created[32];
    /* flux --reproducible: the Unix epoch as the creation time, so the same tree gives the
     * same manifest digest. */
    ed_time_rfc3339(reproducible ? 0 : time(NULL), created);
    const char *config = artifact_config;
    ed_sha256_hex(config, strlen(config), config_hex);
    snprintf(config_digest, sizeof(config_digest), "sha256:%s", config_hex);
    if (!output)
        ed_cli_action("pushing artifact to %s/%s:%s", ref.registry, ref.repository, tag);
    if (ed_source_archive_create_from(path, ignore, layer_file, &layer, &err) != 0) {
        ed_cli_failure("archiving %s failed: %s", path, err.msg);
        rc = 1;
    } else if (!(manifest = artifact_manifest(config_digest, strlen(config), &layer, source,
                                              revision, created, &annotations))) {
        ed_cli_failure("pushing artifact failed: the manifest cannot be written");
        rc = 1;
    } else if (ed_registry_blob_put(&ref, &auth.ro, layer_file, NULL, 0, layer.digest, &err) != 0 ||
               ed_registry_blob_put(&ref, &auth.ro, NULL, config, strlen(config), config_digest,
                                    &err) != 0 ||
               ed_registry_manifest_put(&ref, &auth.ro, tag, manifest,
                                        "application/vnd.oci.image.manifest.v1+json", digest,
                                        &err) != 0) {
        ed_cli_failure("pushing artifact failed: %s", err.msg);
        rc = 1;
    } else if (output) {
        print_pushed(output, &ref, tag, digest);
    } else {
        ed_cli_success("artifact successfully pushed to %s/%s@%s", ref.registry, ref.repository,
                       digest);
    }
    ed_path_remove_tree(dir);
    free(dir);
    free(layer_file);
    free(manifest);
    free(ignore);
    auth_clear(&auth);
    return rc;
}

/* The manifest at ref:reference and its first layer (flux pulls and diffs the first). 0, or 1
 * after printing why. */
static int first_layer(const ed_image_ref *ref, const artifact_auth *auth, const char *reference,
                       char **manifest, char digest[ED_DIGEST_MAX], ed_oci_layer *layer)
{
    ed_err err = ED_ERR_INIT;
    memset(layer, 0, sizeof(*layer));
    if (ed_registry_manifest(ref, &auth->ro, reference, manifest, digest, &err) != 0) {
        ed_cli_failure("%s", err.msg);
        return 1;
    }
    if (ed_oci_manifest_layer(*manifest, strlen(*manifest), NULL, layer, &err) != 0) {
        ed_cli_failure("%s", err.msg);
        return 1;
    }
    return 0;
}

static const char *annotation(const ed_oci_layer *layer, const char *key)
{
    const char *v =
        layer->annotations ? ed_node_str(ed_node_get(ed_doc_root(layer->annotations), key)) : NULL;
    return v ? v : "";
}

int ed_cli_pull(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *output = NULL, *creds = NULL;
    bool insecure = false;
    const ed_cli_flag flags[] = {
        {"output", 'o', ED_CLI_FLAG_STR, &output},
        {"creds", 0, ED_CLI_FLAG_STR, &creds},
        {"insecure-registry", 0, ED_CLI_FLAG_BOOL, &insecure},
        {NULL, 0, 0, NULL},
    };
    int rc;
    const char *url = artifact_arg(argc, argv, flags, &g, "artifact", &rc);
    if (rc)
        return rc;
    if (!url) {
        ed_cli_failure("artifact URL is required");
        return 2;
    }
    struct stat st;
    if (!output || !*output || stat(output, &st) != 0 || !S_ISDIR(st.st_mode)) {
        ed_cli_failure("invalid output path %s", output ? output : "");
        return 2;
    }
    ed_image_ref ref;
    char reference[160];
    if ((rc = parse_artifact_url(url, true, &ref, reference, sizeof(reference))) != 0)
        return rc;
    artifact_auth auth;
    if (auth_init(&auth, ref.registry, creds, insecure, false, g.timeout_ms) != 0)
        return 1;
    ed_cli_action("pulling artifact from %s", url + 6);
    char *manifest = NULL, *dir = NULL, *blob = NULL, digest[ED_DIGEST_MAX];
    ed_oci_layer layer;
    ed_err err = ED_ERR_INIT;
    rc = first_layer(&ref, &auth, reference, &manifest, digest, &layer);
    if (rc == 0 && !(dir = temp_dir()))
        rc = 1;
    if (rc == 0) {
        blob = ed_xasprintf("%s/layer.tar.gz", dir);
        if (ed_registry_blob_get(&ref, &auth.ro, layer.digest, blob, MAX_LAYER_BYTES, &err) != 0 ||
            ed_source_archive_unpack(blob, output, MAX_UNPACKED_BYTES, &err) != 0) {
            ed_cli_failure("pulling artifact failed: %s", err.msg);
            rc = 1;
        }
    }
    if (rc == 0) {
        ed_cli_success("source %s", annotation(&layer, "org.opencontainers.image.source"));
        ed_cli_success("revision %s", annotation(&layer, "org.opencontainers.image.revision"));
        ed_cli_success("digest %s/%s@%s", ref.registry, ref.repository, digest);
        ed_cli_success("artifact content extracted to %s", output);
    }
    if (dir)
        ed_path_remove_tree(dir);
    free(dir);
    free(blob);
    free(manifest);
    ed_oci_layer_clear(&layer);
    auth_clear(&auth);
    return rc;
}

int ed_cli_list_artifacts(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *creds = NULL, *semver = NULL, *regex = NULL;
    bool insecure = false;
    const ed_cli_flag flags[] = {
        {"filter-semver", 0, ED_CLI_FLAG_STR, &semver},
        {"filter-regex", 0, ED_CLI_FLAG_STR, &regex},
        {"creds", 0, ED_CLI_FLAG_STR, &creds},
        {"insecure-registry", 0, ED_CLI_FLAG_BOOL, &insecure},
        {NULL, 0, 0, NULL},
    };
    int rc;
    const char *url = artifact_arg(argc, argv, flags, &g, "artifacts", &rc);
    if (rc)
        return rc;
    if (!url) {
        ed_cli_failure("artifact repository URL is required");
        return 2;
    }
    ed_image_ref ref;
    ed_err err = ED_ERR_INIT;
    if (ed_oci_url_parse(url, &ref, &err) != 0) {
        ed_cli_failure("invalid artifact repository URL '%s': %s", url, err.msg);
        return 2;
    }
    artifact_auth auth;
    if (auth_init(&auth, ref.registry, creds, insecure, false, g.timeout_ms) != 0)
        return 1;
    char **tags = NULL;
    size_t n = 0;
    if (ed_registry_tags(&ref, &auth.ro, &tags, &n, &err) != 0) {
        ed_cli_failure("listing tags failed: %s", err.msg);
        auth_clear(&auth);
        return 1;
    }
    if (ed_oci_tags_filter(tags, &n, semver, regex, &err) != 0) {
        ed_cli_failure("%s", err.msg);
        rc = 1;
    }
    ed_cli_table *t = ed_cli_table_new(4);
    const char *head[] = {"ARTIFACT", "DIGEST", "SOURCE", "REVISION"};
    ed_cli_table_head(t, head);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *manifest = NULL, digest[ED_DIGEST_MAX];
        ed_oci_layer layer = {0};
        if (ed_registry_manifest(&ref, &auth.ro, tags[i], &manifest, digest, &err) != 0) {
            ed_cli_failure("fetching manifest failed: %s", err.msg);
            rc = 1;
        } else {
            /* An artifact without layers still lists, without its origin, as flux lists it. */
            ed_err ignored = ED_ERR_INIT;
            ed_oci_manifest_layer(manifest, strlen(manifest), NULL, &layer, &ignored);
            char *art = ed_xasprintf("%s/%s:%s", ref.registry, ref.repository, tags[i]);
            const char *row[] = {art, digest, annotation(&layer, "org.opencontainers.image.source"),
                                 annotation(&layer, "org.opencontainers.image.revision")};
            ed_cli_table_row(t, row);
            free(art);
        }
        ed_oci_layer_clear(&layer);
        free(manifest);
    }
    if (rc == 0)
        ed_cli_table_print(t, stdout, 0, 0);
    ed_cli_table_free(t);
    ed_registry_tags_free(tags);
    auth_clear(&auth);
    return rc;
}

int ed_cli_tag(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *creds = NULL;
    bool insecure = false;
    ed_cli_list tags = {0};
    const ed_cli_flag flags[] = {
        {"tag", 0, ED_CLI_FLAG_LIST, &tags},
        {"creds", 0, ED_CLI_FLAG_STR, &creds},
        {"insecure-registry", 0, ED_CLI_FLAG_BOOL, &insecure},
        {NULL, 0, 0, NULL},
    };
    int rc;
    const char *url = artifact_arg(argc, argv, flags, &g, "artifact", &rc);
    if (rc)
        return rc;
    if (!url) {
        ed_cli_failure("artifact name is required");
        return 2;
    }
    if (tags.n < 1) {
        ed_cli_failure("--tag is required");
        return 2;
    }
    ed_image_ref ref;
    char reference[160];
    if ((rc = parse_artifact_url(url, true, &ref, reference, sizeof(reference))) != 0)
        return rc;
    for (int i = 0; i < tags.n; i++) {
        char scratch[160];
        ed_image_ref same;
        char *u = ed_xasprintf("oci://%s/%s:%s", ref.registry, ref.repository, tags.items[i]);
        rc = parse_artifact_url(u, false, &same, scratch, sizeof(scratch));
        free(u);
        if (rc)
            return rc;
    }
    artifact_auth auth;
    if (auth_init(&auth, ref.registry, creds, insecure, true, g.timeout_ms) != 0)
        return 1;
    ed_cli_action("tagging artifact");
    char *manifest = NULL, digest[ED_DIGEST_MAX];
    ed_err err = ED_ERR_INIT;
    if (ed_registry_manifest(&ref, &auth.ro, reference, &manifest, digest, &err) != 0) {
        ed_cli_failure("tagging artifact failed: %s", err.msg);
        rc = 1;
    }
    /* The manifest goes back byte for byte under each tag (so its digest stays), with the media
     * type it declares. */
    ed_doc *d = NULL;
    const char *mt = NULL;
    if (rc == 0 && ed_doc_parse_api_json(manifest, strlen(manifest), &d, &err) == 0)
        mt = ed_node_path_str(ed_doc_root(d), "/mediaType");
    for (int i = 0; rc == 0 && i < tags.n; i++) {
        char put[ED_DIGEST_MAX];
        if (ed_registry_manifest_put(&ref, &auth.ro, tags.items[i], manifest,
                                     mt ? mt : "application/vnd.oci.image.manifest.v1+json", put,
                                     &err) != 0) {
            ed_cli_failure("tagging artifact failed: %s", err.msg);
            rc = 1;
        } else {
            ed_cli_success("artifact tagged as %s/%s:%s", ref.registry, ref.repository,
                           tags.items[i]);
        }
    }
    ed_doc_free(d);
    free(manifest);
    auth_clear(&auth);
    return rc;
}

int ed_cli_diff_artifact(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    const char *path = NULL, *creds = NULL;
    bool insecure = false;
    ed_cli_list ignore_paths = {0};
    const ed_cli_flag flags[] = {
        {"path", 0, ED_CLI_FLAG_STR, &path},
        {"creds", 0, ED_CLI_FLAG_STR, &creds},
        {"ignore-paths", 0, ED_CLI_FLAG_LIST, &ignore_paths},
        {"insecure-registry", 0, ED_CLI_FLAG_BOOL, &insecure},
        {NULL, 0, 0, NULL},
    };
    int rc;
    const char *url = artifact_arg(argc, argv, flags, &g, "artifact", &rc);
    if (rc)
        return rc;
    if (!url) {
        ed_cli_failure("artifact URL is required");
        return 2;
    }
    if (!path || !*path) {
        ed_cli_failure("invalid path \"%s\"", path ? path : "");
        return 2;
    }
    ed_image_ref ref;
    char reference[160];
    if ((rc = parse_artifact_url(url, true, &ref, reference, sizeof(reference))) != 0)
        return rc;
    struct stat st;
    if (stat(path, &st) != 0) {
        ed_cli_failure("invalid path '%s', must point to an existing directory or file", path);
        return 2;
    }
    artifact_auth auth;
    if (auth_init(&auth, ref.registry, creds, insecure, false, g.timeout_ms) != 0)
        return 1;
    char *dir = temp_dir(), *local = NULL, *ignore = ignore_text(&ignore_paths);
    char *manifest = NULL, digest[ED_DIGEST_MAX];
    ed_oci_layer layer = {0};
    ed_source_artifact_info info = {0};
    ed_err err = ED_ERR_INIT;
    rc = dir ? 0 : 1;
    if (rc == 0) {
        local = ed_xasprintf("%s/artifact.tar.gz", dir);
        if (ed_source_archive_create_from(path, ignore, local, &info, &err) != 0) {
            ed_cli_failure("building artifact failed: %s", err.msg);
            rc = 1;
        }
    }
    if (rc == 0)
        rc = first_layer(&ref, &auth, reference, &manifest, digest, &layer);
    /* flux compares the layer's digest and size with those of the local tree's archive. */
    if (rc == 0 && (strcmp(layer.digest, info.digest) != 0 || layer.size != info.size)) {
        ed_cli_failure("the remote artifact contents differs from the local one");
        rc = 1;
    } else if (rc == 0) {
        ed_cli_success("no changes detected");
    }
    if (dir)
        ed_path_remove_tree(dir);
    free(dir);
    free(local);
    free(ignore);
    free(manifest);
    ed_oci_layer_clear(&layer);
    auth_clear(&auth);
    return rc;
}
