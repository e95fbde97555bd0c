/*
 * OCI artifacts as Flux's OCIRepository reads them: the `oci://<host>/<path>` address of a
 * repository (no tag or digest in it: spec.ref chooses), and the layer of an artifact's
 * manifest that becomes the source (the first of layerSelector.mediaType, else the first
 * layer), with the manifest's annotations (org.opencontainers.image.source and .revision
 * name the Git origin of an artifact pushed by `flux push artifact`), and the tags `flux list
 * artifacts` shows. Pure: the registry is spoken to by registry.c.
 */
#include "image.h"

#include "../doc/doc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ed_oci_url_parse(const char *url, ed_image_ref *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!url || !ed_str_has_prefix(url, "oci://"))
        return ed_err_set(err, ED_EINVALID, "URL must be in format 'oci://<domain>/<org>/<repo>'");
    const char *name = url + 6;
    if (!*name)
        return ed_err_set(err, ED_EINVALID, "a repository name must be specified");
    /* go-containerregistry's check, which Flux makes first and quotes in its condition: the
     * first part names a host when it is localhost or holds a '.' or a ':', and what follows
     * (else the whole name) is the repository. A tag or a digest in the URL is refused here, as
     * ':' and '@' are not repository characters (Flux's own "URL must not contain a tag" comes
     * after this check and so is never reached). */
    const char *slash = strchr(name, '/');
    size_t hl = slash ? (size_t)(slash - name) : 0;
    bool host = slash && (memchr(name, '.', hl) || memchr(name, ':', hl) ||
                          (hl == 9 && strncmp(name, "localhost", 9) == 0));
    const char *repo = host ? slash + 1 : name;
    static const char repo_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_-./";
    size_t runes = 0;
    for (const char *p = repo; *p; p++)
        runes += ((unsigned char)*p & 0xC0) != 0x80;
    if (runes < 2 || runes > 255)
        return ed_err_set(err, ED_EINVALID,
                          "repository must be between 2 and 255 characters in length: %s", repo);
    if (repo[strspn(repo, repo_chars)] != '\0')
        return ed_err_set(err, ED_EINVALID, "repository can only contain the characters `%s`: %s",
                          repo_chars, repo);
    return ed_image_ref_parse(name, out, err);
}

void ed_oci_layer_clear(ed_oci_layer *layer)
{
    if (!layer)
        return;
    ed_doc_free(layer->annotations);
    memset(layer, 0, sizeof(*layer));
}

int ed_oci_manifest_layer(const char *manifest, size_t len, const char *media_type,
                          ed_oci_layer *out, ed_err *err)
{
    memset(out, 0, sizeof(*out));
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    if (ed_doc_parse_api_json(manifest, len, &d, &perr) != 0)
        return ed_err_set(err, ED_EINVALID, "failed to parse artifact manifest: %s", perr.msg);
    const ed_node *root = ed_doc_root(d);
    int rc = 0;
    const char *mt = ed_node_path_str(root, "/mediaType");
    if (ed_node_kind_of(root) != ED_NODE_MAP ||
        (mt && strcmp(mt, "application/vnd.oci.image.manifest.v1+json") != 0 &&
         strcmp(mt, "application/vnd.docker.distribution.manifest.v2+json") != 0)) {
        rc = ed_err_set(err, ED_EINVALID,
                        "failed to parse artifact manifest: unsupported media type '%s'",
                        mt ? mt : "");
        goto done;
    }
    const ed_node *layers = ed_node_get(root, "layers");
    if (ed_node_len(layers) == 0) {
        rc = ed_err_set(err, ED_EINVALID, "no layers found in artifact");
        goto done;
    }
    const ed_node *chosen = NULL;
    for (size_t i = 0; i < ed_node_len(layers) && !chosen; i++) {
        const ed_node *l = ed_node_at(layers, i);
        const char *lmt = ed_node_path_str(l, "/mediaType");
        if (!media_type || !*media_type || (lmt && strcmp(lmt, media_type) == 0))
            chosen = l;
    }
    if (!chosen) {
        rc = ed_err_set(err, ED_EINVALID, "failed to find layer with media type '%s' in artifact",
                        media_type);
        goto done;
    }
    const char *digest = ed_node_path_str(chosen, "/digest");
    const char *lmt = ed_node_path_str(chosen, "/mediaType");
    int64_t size = -1;
    ed_node_int(ed_node_get(chosen, "size"), &size);
    if (!ed_sha256_digest_valid(digest)) {
        rc = ed_err_set(err, ED_EINVALID, "failed to parse artifact layers: invalid digest '%s'",
                        digest ? digest : "");
        goto done;
    }
    snprintf(out->digest, sizeof(out->digest), "%s", digest);
    snprintf(out->media_type, sizeof(out->media_type), "%s", lmt ? lmt : "");
    out->size = size;
    /* The manifest's annotations, strings only, as Flux copies them to the artifact. */
    const ed_node *ann = ed_node_get(root, "annotations");
    if (ed_node_kind_of(ann) == ED_NODE_MAP && ed_node_len(ann) > 0) {
        out->annotations = ed_doc_new();
        ed_node *m = ed_node_new_map(out->annotations);
        ed_doc_set_root(out->annotations, m);
        for (size_t i = 0; i < ed_node_len(ann); i++) {
            const char *v = ed_node_str(ed_node_value_at(ann, i));
            if (v)
                ed_node_set(out->annotations, m, ed_node_key_at(ann, i),
                            ed_node_new_str(out->annotations, v));
        }
    }
done:
    ed_doc_free(d);
    return rc;
}

static int cmp_desc(const void *a, const void *b)
{
    return strcmp(*(const char *const *)b, *(const char *const *)a);
}

/* cosign's attestations, SBOMs and signatures, which flux list artifacts leaves out. */
static bool cosign_tag(const char *tag)
{
    return ed_str_has_suffix(tag, ".att") || ed_str_has_suffix(tag, ".sbom") ||
           ed_str_has_suffix(tag, ".sig");
}

int ed_oci_tags_filter(char **tags, size_t *n, const char *semver, const char *regex, ed_err *err)
{
    ed_semver_range *range = NULL;
    pcre2_code *re = NULL;
    ed_err perr = ED_ERR_INIT;
    if (semver && *semver && ed_semver_range_parse(semver, &range, &perr) != 0)
        return ed_err_set(err, ED_EINVALID, "semver '%s' parse error: %s", semver, perr.msg);
    if (regex && *regex) {
        int ecode;
        PCRE2_SIZE eoff;
        re =
            pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ecode, &eoff, NULL);
        if (!re) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ecode, msg, sizeof(msg));
            ed_semver_range_free(range);
            return ed_err_set(err, ED_EINVALID, "regex '%s' parse error: %s", regex,
                              (const char *)msg);
        }
    }
    if (*n > 1)
        qsort(tags, *n, sizeof(char *), cmp_desc);
    pcre2_match_data *md = re ? pcre2_match_data_create(1, NULL) : NULL;
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++) {
        ed_semver v;
        bool keep = !cosign_tag(tags[i]);
        if (keep && range)
            keep = ed_semver_parse_tag(tags[i], &v) == 0 && ed_semver_range_match(range, &v);
        if (keep && re)
            keep = pcre2_match(re, (PCRE2_SPTR)tags[i], strlen(tags[i]), 0, 0, md, NULL) >= 0;
        if (keep)
            tags[kept++] = tags[i];
        else
            free(tags[i]);
    }
    for (size_t i = kept; i < *n; i++)
        tags[i] = NULL;
    *n = kept;
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    ed_semver_range_free(range);
    return 0;
}
