/*
 * What an ImageRepository scan needs besides the registry client: the tags Flux drops
 * (spec.exclusionList, regular expressions, default `^.*\.sig$`), the credentials of a
 * dockerconfigjson Secret for one registry host, and the tag list kept on disk as Flux's
 * FluxStorage gate keeps it (`imagerepository/<ns>/<name>/tags.txt`, one tag a line) so that tags
 * never travel through etcd. The summary Flux writes into status (revision, the ten latest tags)
 * is computed here too, the revision as image-reflector-controller's database computes it.
 */
#include "image_int.h"

#include "../doc/doc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

int ed_image_exclude(char **tags, size_t *n, const char *const *patterns, size_t npatterns,
                     ed_err *err)
{
    pcre2_code **re = ed_xcalloc(npatterns ? npatterns : 1, sizeof(pcre2_code *));
    int rc = 0;
    /* Flux's words for a pattern that does not compile, "failed to compile regex <pattern>: ",
     * then PCRE2's where Flux has Go's (as for ImagePolicy's filterTags). */
    for (size_t i = 0; i < npatterns; i++) {
        int ecode;
        PCRE2_SIZE eoff;
        const char *why = ed_image_re2_incompatible(patterns[i]);
        if (why) {
            rc = ed_err_set(err, ED_EINVALID, "failed to compile regex %s: %s are not supported",
                            patterns[i], why);
            goto out;
        }
        re[i] = pcre2_compile((PCRE2_SPTR)patterns[i], PCRE2_ZERO_TERMINATED, PCRE2_UTF, &ecode,
                              &eoff, NULL);
        if (!re[i]) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ecode, msg, sizeof(msg));
            rc = ed_err_set(err, ED_EINVALID, "failed to compile regex %s: %s at offset %zu",
                            patterns[i], (const char *)msg, (size_t)eoff);
            goto out;
        }
    }
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    size_t kept = 0;
    for (size_t t = 0; t < *n; t++) {
        bool drop = false;
        for (size_t i = 0; i < npatterns && !drop; i++)
            drop = pcre2_match(re[i], (PCRE2_SPTR)tags[t], strlen(tags[t]), 0, 0, md, NULL) >= 0;
        if (drop)
            free(tags[t]);
        else
            tags[kept++] = tags[t];
    }
    for (size_t t = kept; t < *n; t++)
        tags[t] = NULL;
    *n = kept;
    pcre2_match_data_free(md);
out:
    for (size_t i = 0; i < npatterns; i++)
        pcre2_code_free(re[i]);
    free(re);
    return rc;
}

/* The host of a dockerconfigjson key: "https://index.docker.io/v1/" -> "index.docker.io". */
static void key_host(const char *key, char *out, size_t cap)
{
    const char *p = strstr(key, "://");
    p = p ? p + 3 : key;
    size_t len = strcspn(p, "/");
    snprintf(out, cap, "%.*s", (int)len, p);
}

static bool is_docker_hub(const char *host)
{
    return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
           strcmp(host, "registry-1.docker.io") == 0;
}

/* Where Go's base64 decoder (padded when the text ends with '=', raw otherwise; CR and LF
 * skipped) first fails on b64, as its CorruptInputError counts: the offset of the first byte
 * that is neither of the alphabet nor a line break nor (padded) a '=', or, for a length no
 * encoding has, where the last quantum began (padded) or its lone byte (raw); -1 when none. */
static long go_base64_fault(const char *b64, bool padded)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t len = strlen(b64), j = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = b64[i];
        if (ch == '\r' || ch == '\n')
            continue;
        if (ch == '=' && padded) {
            /* the end: one '=' after three bytes, two after two, then line breaks alone */
            size_t k = i + 1;
            if (j < 2)
                return (long)i;
            if (j == 2) {
                k += strspn(b64 + k, "\r\n");
                if (k == len)
                    return (long)len;
                if (b64[k] != '=')
                    return (long)k - 1;
                k++;
            }
            k += strspn(b64 + k, "\r\n");
            return k < len ? (long)k : -1;
        }
        if (!strchr(alphabet, ch))
            return (long)i;
        j = (j + 1) % 4;
    }
    if (padded && j != 0)
        return (long)(len - j);
    return !padded && j == 1 ? (long)len - 1 : -1;
}

/* Decode base64 "user:password" into the two strings, as go-containerregistry's AuthConfig
 * does, with its errors (which Flux reports as they are). */
static int decode_auth(const char *b64, char **user, char **password, ed_err *err)
{
    size_t len = strlen(b64), dl = 0;
    long fault = go_base64_fault(b64, len && b64[len - 1] == '=');
    unsigned char *dec =
        fault < 0 ? ed_base64_decode(b64, len, ED_BASE64_LINES | ED_BASE64_UNPADDED, &dl) : NULL;
    if (!dec)
        return ed_err_set(err, ED_EINVALID,
                          "unable to decode auth field: illegal base64 data at input byte %ld",
                          fault < 0 ? 0 : fault);
    char *colon = strchr((char *)dec, ':');
    int rc = 0;
    if (!colon) {
        rc = ed_err_set(err, ED_EINVALID,
                        "unable to decode auth field: must be formatted as "
                        "base64(username:password)");
    } else {
        *user = ed_xstrndup((char *)dec, (size_t)(colon - (char *)dec));
        *password = ed_xstrdup(colon + 1);
    }
    memset(dec, 0, dl);
    free(dec);
    return rc;
}

static void free_secret(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

int ed_image_docker_credentials(const char *config, size_t len, const char *registry, char **user,
                                char **password, ed_err *err)
{
    *user = *password = NULL;
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    if (ed_doc_parse_api_json(config, len, &d, &perr) != 0)
        return ed_err_set(err, ED_EINVALID, ".dockerconfigjson is not valid JSON: %s", perr.msg);
    /* The legacy .dockercfg (kubernetes.io/dockercfg Secrets, OpenShift's service account
     * pull secrets) is the "auths" map alone. */
    ed_node *auths = ed_node_get(ed_doc_root(d), "auths");
    if (!auths && ed_node_kind_of(ed_doc_root(d)) == ED_NODE_MAP)
        auths = ed_doc_root(d);
    int rc = 0;
    /* Go decodes every entry, the other registries' too: an auth that does not decode fails
     * the whole document. An entry's auth wins over its username and password; an entry with
     * neither gives no credentials (go-containerregistry then sends none). */
    for (size_t i = 0; i < ed_node_len(auths) && !rc; i++) {
        char host[256];
        key_host(ed_node_key_at(auths, i), host, sizeof(host));
        bool match =
            strcmp(host, registry) == 0 || (is_docker_hub(host) && is_docker_hub(registry));
        ed_node *e = ed_node_value_at(auths, i);
        const char *u = ed_node_str(ed_node_get(e, "username"));
        const char *p = ed_node_str(ed_node_get(e, "password"));
        const char *a = ed_node_str(ed_node_get(e, "auth"));
        char *du = NULL, *dp = NULL;
        if (a && *a) {
            rc = decode_auth(a, &du, &dp, err);
        } else if (u && *u && p && *p) {
            du = ed_xstrdup(u);
            dp = ed_xstrdup(p);
        }
        if (!rc && match && du && !*user) {
            *user = du;
            *password = dp;
            du = dp = NULL;
        }
        free(du);
        free_secret(dp);
    }
    ed_doc_free(d);
    if (rc) {
        free(*user);
        free_secret(*password);
        *user = *password = NULL;
        return rc;
    }
    if (!*user)
        return ed_err_set(err, ED_ENOTFOUND, ".dockerconfigjson has no credentials for '%s'",
                          registry);
    return 0;
}

/* ---- the keychain of Flux's pull secrets ---- */

/* One credential of a pull secret's entry, as go-containerregistry's AuthConfig holds it once
 * decoded: an auth wins over the username and password it stands for. */
struct keyring_cred {
    char *username;
    char *password;
};

/* A key ("host[:port][/path]") and its credentials, in the order they were added. */
struct keyring_key {
    char *key;
    struct keyring_cred *creds;
    size_t n;
};

struct ed_image_keyring {
    struct keyring_key *keys;
    size_t n;
};

ed_image_keyring *ed_image_keyring_new(void)
{
    return ed_xcalloc(1, sizeof(ed_image_keyring));
}

void ed_image_keyring_free(ed_image_keyring *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        for (size_t c = 0; c < k->keys[i].n; c++) {
            free(k->keys[i].creds[c].username);
            free_secret(k->keys[i].creds[c].password);
        }
        free(k->keys[i].creds);
        free(k->keys[i].key);
    }
    free(k->keys);
    free(k);
}

/* The value of field in the JSON object obj as Go's encoding/json finds a struct field: its
 * name in any case, the last such key winning (each one is assigned in turn). */
static const ed_node *go_field(const ed_node *obj, const char *field)
{
    const ed_node *v = NULL;
    if (ed_node_kind_of(obj) != ED_NODE_MAP)
        return NULL;
    for (size_t i = 0; i < ed_node_len(obj); i++)
        if (strcasecmp(ed_node_key_at(obj, i), field) == 0)
            v = ed_node_value_at(obj, i);
    return v;
}

/* The parts of a URL Go's url.Parse gives for "https://" + text (or text, when it has an
 * http(s) scheme already): the host (userinfo dropped) and the path (query and fragment
 * dropped), into host and path. */
static void url_parts(const char *text, char *host, size_t hcap, char *path, size_t pcap)
{
    const char *p = text;
    if (strncmp(p, "https://", 8) == 0)
        p += 8;
    else if (strncmp(p, "http://", 7) == 0)
        p += 7;
    size_t alen = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (p[i] == '@')
            at = p + i;
    const char *h = at ? at + 1 : p;
    snprintf(host, hcap, "%.*s", (int)(p + alen - h), h);
    const char *rest = p + alen;
    size_t plen = *rest == '/' ? strcspn(rest, "?#") : 0;
    snprintf(path, pcap, "%.*s", (int)plen, rest);
}

/* The keyring's key of a registry as written in a pull secret (go-containerregistry's
 * NewFromPullSecrets): its host, then its path without a leading /v1 or /v2 when that leaves
 * more than "/" ("https://index.docker.io/v1/" is "index.docker.io"). */
static char *registry_key(const char *registry)
{
    char host[512], path[1024];
    url_parts(registry, host, sizeof(host), path, sizeof(path));
    const char *eff = path;
    if (strncmp(eff, "/v1/", 4) == 0 || strncmp(eff, "/v2/", 4) == 0)
        eff += 3;
    if (*eff && strcmp(eff, "/") != 0)
        return ed_xasprintf("%s%s", host, eff);
    return ed_xstrdup(host);
}

/* One entry's credentials, decoded as AuthConfig's UnmarshalJSON does. */
static int entry_cred(const ed_node *e, struct keyring_cred *out, ed_err *err)
{
    const char *u = ed_node_str(go_field(e, "username"));
    const char *p = ed_node_str(go_field(e, "password"));
    const char *a = ed_node_str(go_field(e, "auth"));
    memset(out, 0, sizeof(*out));
    if (a && *a)
        return decode_auth(a, &out->username, &out->password, err);
    out->username = ed_xstrdup(u ? u : "");
    out->password = ed_xstrdup(p ? p : "");
    return 0;
}

static void keyring_put(ed_image_keyring *k, const char *registry, struct keyring_cred cred)
{
    char *key = registry_key(registry);
    struct keyring_key *slot = NULL;
    for (size_t i = 0; i < k->n && !slot; i++)
        if (strcmp(k->keys[i].key, key) == 0)
            slot = &k->keys[i];
    if (!slot) {
        k->keys = ed_xrealloc(k->keys, (k->n + 1) * sizeof(*k->keys));
        slot = &k->keys[k->n++];
        *slot = (struct keyring_key){.key = key};
        key = NULL;
    }
    free(key);
    slot->creds = ed_xrealloc(slot->creds, (slot->n + 1) * sizeof(*slot->creds));
    slot->creds[slot->n++] = cred;
}

int ed_image_keyring_add(ed_image_keyring *k, const char *config, size_t len, bool legacy,
                         ed_err *err)
{
    ed_doc *d = NULL;
    ed_err perr = ED_ERR_INIT;
    if (ed_doc_parse_api_json(config, len, &d, &perr) != 0)
        return ed_err_set(err, ED_EINVALID, "%s is not valid JSON: %s",
                          legacy ? ".dockercfg" : ".dockerconfigjson", perr.msg);
    const ed_node *root = ed_doc_root(d);
    int rc = 0;
    /* Go fills one map from every "auths" key of the document, in any case (a .dockercfg is
     * the map itself), then decodes each entry, the other registries' too: an auth that does
     * not decode fails the whole Secret. */
    for (size_t i = 0; i < ed_node_len(root) && !rc; i++) {
        const ed_node *auths = NULL;
        if (legacy && i == 0)
            auths = root;
        else if (!legacy && strcasecmp(ed_node_key_at(root, i), "auths") == 0)
            auths = ed_node_value_at(root, i);
        if (ed_node_kind_of(auths) != ED_NODE_MAP)
            continue;
        for (size_t e = 0; e < ed_node_len(auths) && !rc; e++) {
            struct keyring_cred cred;
            rc = entry_cred(ed_node_value_at(auths, e), &cred, err);
            if (!rc)
                keyring_put(k, ed_node_key_at(auths, e), cred);
        }
    }
    ed_doc_free(d);
    return rc;
}

/* Go's net.SplitHostPort on a URL's host: the port after the last ':' when the host ends in
 * one ("[::1]:5000", "host:5000"), else none; host is cut there. */
static const char *split_port(char *host)
{
    char *colon = strrchr(host, ':');
    char *bracket = strrchr(host, ']');
    if (!colon || (bracket && colon < bracket) || (!bracket && strchr(host, ':') != colon))
        return "";
    *colon = '\0';
    if (host[0] == '[' && bracket) {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    return colon + 1;
}

/* go-containerregistry's urlsMatch: the same port, as many dot-separated host parts, each
 * matched as a glob ("*.example.com"), and the image's path starting with the key's. */
static bool key_matches(const char *key, const char *image)
{
    char kh[512], kp[1024], ih[512], ip[1024];
    url_parts(key, kh, sizeof(kh), kp, sizeof(kp));
    url_parts(image, ih, sizeof(ih), ip, sizeof(ip));
    if (strcmp(split_port(kh), split_port(ih)) != 0)
        return false;
    if (strncmp(ip, kp, strlen(kp)) != 0)
        return false;
    char *ks = kh, *is = ih;
    for (;;) {
        char *kd = strchr(ks, '.'), *id = strchr(is, '.');
        if (!kd != !id)
            return false;
        if (kd)
            *kd = '\0';
        if (id)
            *id = '\0';
        if (fnmatch(ks, is, 0) != 0)
            return false;
        if (!kd)
            return true;
        ks = kd + 1;
        is = id + 1;
    }
}

static int cmp_key_desc(const void *a, const void *b)
{
    return strcmp(((const struct keyring_key *)b)->key, ((const struct keyring_key *)a)->key);
}

int ed_image_keyring_resolve(const ed_image_keyring *k, const char *image, char **user,
                             char **password)
{
    *user = *password = NULL;
    /* The keys in reverse order (the longer, more specific ones first), the first that matches
     * the image giving its first credential: one without a username and a password (an empty
     * entry, a token) is anonymous, as the registry transport then sends no Basic header. */
    struct keyring_key *sorted = ed_xcalloc(k->n ? k->n : 1, sizeof(*sorted));
    if (k->n)
        memcpy(sorted, k->keys, k->n * sizeof(*sorted));
    qsort(sorted, k->n, sizeof(*sorted), cmp_key_desc);
    const struct keyring_cred *cred = NULL;
    for (size_t i = 0; i < k->n && !cred; i++)
        if (sorted[i].n && key_matches(sorted[i].key, image))
            cred = &sorted[i].creds[0];
    free(sorted);
    if (!cred || !*cred->username || !*cred->password)
        return ED_ENOTFOUND;
    *user = ed_xstrdup(cred->username);
    *password = ed_xstrdup(cred->password);
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    return strcmp(*(const char *const *)b, *(const char *const *)a);
}

void ed_image_json_quote(ed_buf *b, const char *s)
{
    ed_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            ed_buf_append(b, esc, 2);
        } else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
            const char *esc = c == '\n'   ? "\\n"
                              : c == '\r' ? "\\r"
                              : c == '\t' ? "\\t"
                              : c == '\b' ? "\\b"
                                          : "\\f";
            ed_buf_append(b, esc, 2);
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            ed_buf_printf(b, "\\u%04x", c);
        } else if (c == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            ed_buf_printf(b, "\\u%s", p[2] == 0xa8 ? "2028" : "2029");
            p += 2;
        } else {
            ed_buf_append(b, (const char *)p, 1);
        }
    }
    ed_buf_append(b, "\"", 1);
}

static uint32_t adler32(const unsigned char *data, size_t len)
{
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < len; i++) {
        a = (a + data[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

void ed_image_tags_summary(char **tags, size_t n, char revision[65])
{
    qsort(tags, n, sizeof(*tags), cmp_desc);
    /* Flux's revision is the checksum of what its database stores: the sorted tags as a JSON
     * array, adler32, in decimal. */
    ed_buf json = ED_BUF_INIT((size_t)1 << 30);
    ed_buf_append(&json, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            ed_buf_append(&json, ",", 1);
        ed_image_json_quote(&json, tags[i]);
    }
    ed_buf_append(&json, "]", 1);
    snprintf(revision, 65, "%" PRIu32, adler32((const unsigned char *)json.data, json.len));
    ed_buf_free(&json);
}

static char *tags_path(const char *storage, const char *ns, const char *name)
{
    return ed_xasprintf("%s/imagerepository/%s/%s/tags.txt", storage, ns, name);
}

static bool plain_name(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int ed_image_tags_save(const char *storage, const char *ns, const char *name,
                       const char *const *tags, size_t n, ed_err *err)
{
    if (!plain_name(ns) || !plain_name(name))
        return ed_err_set(err, ED_EINVALID, "invalid object name '%s/%s'", ns, name);
    char *path = tags_path(storage, ns, name);
    char *dir = ed_xstrndup(path, (size_t)(strrchr(path, '/') - path));
    char *tmp = ed_xasprintf("%s.%d.tmp", path, (int)getpid());
    int rc = 0;
    FILE *f = NULL;
    if (ed_path_mkdir_all(dir) != 0 || !(f = fopen(tmp, "w"))) {
        rc = ed_err_set(err, ED_ERROR, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s\n", tags[i]);
    /* Written whole and renamed: a reader never sees half a list. */
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0) {
        f = NULL;
        rc = ed_err_set(err, ED_ERROR, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    f = NULL;
    if (rename(tmp, path) != 0) {
        rc = ed_err_set(err, ED_ERROR, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
out:
    if (f)
        fclose(f);
    free(tmp);
    free(dir);
    free(path);
    return rc;
}

int ed_image_tags_load(const char *storage, const char *ns, const char *name, char ***tags,
                       size_t *n, ed_err *err)
{
    *tags = NULL;
    *n = 0;
    if (!plain_name(ns) || !plain_name(name))
        return ed_err_set(err, ED_EINVALID, "invalid object name '%s/%s'", ns, name);
    char *path = tags_path(storage, ns, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        int code = errno == ENOENT ? ED_ENOTFOUND : ED_ERROR;
        ed_err_set(err, code, "cannot read the tags of ImageRepository %s/%s: %s", ns, name,
                   strerror(errno));
        free(path);
        return code;
    }
    free(path);
    char **list = ed_xcalloc(1, sizeof(*list));
    size_t count = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    while ((len = getline(&line, &lcap, f)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (count + 2 > cap) {
            cap = cap ? cap * 2 : 64;
            list = ed_xrealloc(list, cap * sizeof(*list));
        }
        list[count++] = ed_xstrndup(line, (size_t)len);
        list[count] = NULL;
    }
    free(line);
    fclose(f);
    *tags = list;
    *n = count;
    return 0;
}

void ed_image_tags_remove(const char *storage, const char *ns, const char *name)
{
    if (!plain_name(ns) || !plain_name(name))
        return;
    char *dir = ed_xasprintf("%s/imagerepository/%s/%s", storage, ns, name);
    ed_path_remove_tree(dir);
    free(dir);
}
