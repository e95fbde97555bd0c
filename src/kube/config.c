/*
 * Configuration of the API client: kubeconfig files and in-cluster service accounts, read the way
 * kubectl and client-go (k8s.io/client-go/tools/clientcmd, rest.InClusterConfig) read them.
 *
 * Loading: --kubeconfig names exactly one file, which must exist. Otherwise every file of
 * $KUBECONFIG (':'-separated; empty entries ignored, duplicates dropped, missing files skipped),
 * or ~/.kube/config. The files are merged as clientcmd's loading rules merge them: for the named
 * lists (clusters, users, contexts) the first file that defines a name wins the whole entry, and
 * current-context comes from the first file that sets it. When no context can be chosen (no file,
 * or no current-context and no --context), client-go falls back to the in-cluster configuration
 * when it is possible; so does this.
 *
 * Each file is checked whole, as clientcmd decodes it whole: a wrong type or invalid base64 in
 * any entry fails the load, with a message naming the file, the entry and the field
 * ("/home/me/.kube/config: users[admin]: client-key-data: invalid base64"). Only the entries the
 * chosen context uses are then validated like clientcmd's ConfirmUsable (a server is set; data
 * and file are not both given; a client certificate has a key; token and basic auth are not
 * combined; an exec plugin has a command and a known apiVersion) and their files read: CA,
 * client certificate and key are read into memory (capped, like everything read here), relative
 * paths resolving against the folder of the kubeconfig that named them. The token file is only
 * checked: the client re-reads it, since service-account tokens rotate.
 *
 * As in client-go, credentials and TLS settings are used only for an https server: a plain http
 * server (or a bare host:port, which client-go treats as http) gets no token, password or key.
 *
 * A kubeconfig held in memory (a Kustomization's spec.kubeConfig Secret) may not reference files:
 * the controller's filesystem is not the Secret author's to read, so Flux refuses them too.
 *
 * Secrets (tokens, passwords, key data, exec env values) never appear in error messages: no
 * message here quotes a value of the kubeconfig other than names of entries and file paths.
 */
#include "kube.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

/* Every file read here (kubeconfigs, PEM files, the namespace) is capped: real ones are a few
 * KiB, and a cap turns a mistaken path (a log, a device) into a clear error. */
#define MAX_FILE      ((size_t)4 << 20)
#define MAX_FILE_TEXT "4 MiB"

/* Flux's client-side rate limit (its --kube-api-qps and --kube-api-burst defaults). */
#define DEFAULT_QPS   50.0
#define DEFAULT_BURST 300

#define SA_DIR       "/var/run/secrets/kubernetes.io/serviceaccount"
#define EXEC_V1      "client.authentication.k8s.io/v1"
#define EXEC_V1BETA1 "client.authentication.k8s.io/v1beta1"

/* Where a kubeconfig came from. */
struct origin {
    const char *path; /* for messages; NULL for a kubeconfig held in memory */
    const char *dir;  /* absolute folder relative paths resolve against; NULL in memory */
};

/* The entries of one file as decoded; strings live in the load's arena. Empty strings are
 * stored as NULL, since clientcmd treats an empty field as unset. */
struct kc_cluster {
    const char *name, *entry; /* entry: "clusters[name]", for messages */
    const char *server, *ca_file, *ca_data, *tls_server_name;
    bool insecure, has_proxy;
};

struct kc_exec {
    const char *command, *api_version, *interactive_mode;
    const char **args; /* NULL-terminated */
    const char **env_names, **env_values;
    size_t nenv;
    bool provide_cluster_info;
};

struct kc_user {
    const char *name, *entry;
    const char *cert_file, *cert_data, *key_file, *key_data;
    const char *token, *token_file, *username, *password;
    const char *as, *as_uid;
    const char **as_groups; /* NULL-terminated, or NULL */
    bool has_as_extra, has_auth_provider;
    struct kc_exec *exec;
};

struct kc_context {
    const char *name, *entry;
    const char *cluster, *user, *namespace;
};

struct kc_file {
    struct origin from;
    const char *current_context;
    struct kc_cluster *clusters;
    size_t nclusters;
    struct kc_user *users;
    size_t nusers;
    struct kc_context *contexts;
    size_t ncontexts;
};

/* ---- messages ---- */

/* "<file>: <entry>: <field>", leaving out the parts that are NULL. */
static void location(char *out, size_t size, const struct origin *o, const char *entry,
                     const char *field)
{
    const char *parts[3] = {o ? o->path : NULL, entry, field};
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        int n = snprintf(out + len, size - len, "%s%s", len ? ": " : "", parts[i]);
        if (n < 0 || (size_t)n >= size - len)
            return;
        len += (size_t)n;
    }
}

/* Set err to "<file>: <entry>: <field>: <what>". Returns code. */
static int fail(ed_err *err, int code, const struct origin *o, const char *entry, const char *field,
                const char *fmt, ...) ED_PRINTF(6, 7);
static int fail(ed_err *err, int code, const struct origin *o, const char *entry, const char *field,
                const char *fmt, ...)
{
    char where[ED_ERR_MSG_MAX], what[ED_ERR_MSG_MAX];
    location(where, sizeof(where), o, entry, field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (!where[0])
        return ed_err_set(err, code, "%s", what);
    return ed_err_set(err, code, "%s: %s", where, what);
}

/* Prefix err's message with "<file>: <entry>: <field>". Returns err's code. */
static int wrap(ed_err *err, const struct origin *o, const char *entry, const char *field)
{
    char where[ED_ERR_MSG_MAX];
    location(where, sizeof(where), o, entry, field);
    if (!where[0])
        return err ? err->code : ED_ERROR;
    return ed_err_wrap(err, "%s", where);
}

/* ---- files ---- */

/*
 * Read a whole regular file of at most MAX_FILE bytes into a new NUL-terminated buffer. Errors:
 * ED_ENOTFOUND (no such file), ED_ETOOBIG, ED_EINVALID (not a regular file), ED_ERROR.
 * O_NONBLOCK keeps a FIFO named by mistake from hanging the open; it is refused right after.
 */
static int read_file(const char *path, char **out, size_t *out_len, ed_err *err)
{
    int rc = 0;
    ed_buf buf = ED_BUF_INIT(MAX_FILE);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        return ed_err_set(err, e == ENOENT ? ED_ENOTFOUND : ED_ERROR, "reading %s: %s", path,
                          strerror(e));
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = ed_err_set(err, ED_ERROR, "reading %s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ed_err_set(err, ED_EINVALID, "reading %s: not a regular file", path);
        goto cleanup;
    }
    if ((uintmax_t)st.st_size > MAX_FILE) {
        rc = ed_err_set(err, ED_ETOOBIG, "reading %s: larger than " MAX_FILE_TEXT, path);
        goto cleanup;
    }
    for (;;) {
        char chunk[16384];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ed_err_set(err, ED_ERROR, "reading %s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (n == 0)
            break;
        /* The size was checked above, but the file may grow while it is read. */
        if (ed_buf_append(&buf, chunk, (size_t)n) != 0) {
            rc = ed_err_set(err, ED_ETOOBIG, "reading %s: larger than " MAX_FILE_TEXT, path);
            goto cleanup;
        }
    }
    *out_len = buf.len;
    *out = ed_buf_take(&buf);
cleanup:
    close(fd);
    ed_buf_free(&buf);
    return rc;
}

/* True when data has no NUL byte: PEM is text, and the configuration holds it as a C string. */
static bool is_text(const char *data, size_t len)
{
    return memchr(data, '\0', len) == NULL;
}

/* Read a PEM file (CA bundle, client certificate or key) into a new string. */
static int read_pem(const char *path, char **out, ed_err *err)
{
    size_t len = 0;
    int rc = read_file(path, out, &len, err);
    if (rc)
        return rc;
    if (!is_text(*out, len)) {
        free(*out);
        *out = NULL;
        return ed_err_set(err, ED_EINVALID, "reading %s: not PEM text (contains a NUL byte)", path);
    }
    return 0;
}

/* Check that a token file can be read, without keeping its contents (the client reads it when
 * it needs it, and again when it changes). */
static int check_token_file(const char *path, ed_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = read_file(path, &data, &len, err);
    if (data) {
        /* A token is a secret: leave no copy of it behind in freed memory. */
        OPENSSL_cleanse(data, len);
        free(data);
    }
    return rc;
}

/* ---- base64 ---- */

/*
 * Decode a kubeconfig's base64 field (a Go []byte in clientcmd, so Go's StdEncoding rules: the
 * standard alphabet, padding required, CR and LF ignored) into a NUL-terminated string in a.
 * false when the input is not valid base64.
 */
static bool b64_decode(ed_arena *a, const char *in, char **out, size_t *out_len)
{
    size_t len = 0;
    unsigned char *dec = ed_base64_decode(in, strlen(in), ED_BASE64_LINES, &len);
    if (!dec)
        return false;
    char *copy = ed_arena_alloc(a, len + 1);
    memcpy(copy, dec, len + 1);
    OPENSSL_cleanse(dec, len); /* a client key, often */
    free(dec);
    *out = copy;
    *out_len = len;
    return true;
}

/* ---- decoding fields ---- */

/* The value under key, or NULL when it is absent or null (Go's zero value). */
static const ed_node *field(const ed_node *map, const char *key)
{
    const ed_node *v = ed_node_get(map, key);
    return v && ed_node_kind_of(v) != ED_NODE_NULL ? v : NULL;
}

/*
 * A string value: an absent, null or empty value gives NULL. Integers and booleans are taken as
 * their text, because sigs.k8s.io/yaml (which clientcmd decodes with) converts scalars to the
 * string type of the target field (`namespace: 123` is the namespace "123").
 */
static int scalar_str(ed_arena *a, const ed_node *v, const char **out)
{
    *out = NULL;
    if (!v)
        return 0;
    int64_t i = 0;
    bool b = false;
    switch (ed_node_kind_of(v)) {
    case ED_NODE_NULL:
        return 0;
    case ED_NODE_STR:
        *out = ed_node_str(v)[0] ? ed_node_str(v) : NULL;
        return 0;
    case ED_NODE_INT:
        ed_node_int(v, &i);
        *out = ed_arena_printf(a, "%lld", (long long)i);
        return 0;
    case ED_NODE_BOOL:
        ed_node_bool(v, &b);
        *out = b ? "true" : "false";
        return 0;
    default:
        return ED_EINVALID;
    }
}

static int get_str(ed_arena *a, const ed_node *map, const char *key, const char **out,
                   const struct origin *o, const char *entry, ed_err *err)
{
    const ed_node *v = field(map, key);
    if (scalar_str(a, v, out) != 0)
        return fail(err, ED_EINVALID, o, entry, key, "expected a string, got a %s",
                    ed_node_kind_name(ed_node_kind_of(v)));
    return 0;
}

/* A boolean. The YAML 1.1 spellings (yes, no, on, off, y, n) are booleans too, because
 * clientcmd parses kubeconfigs with yaml.v2, a YAML 1.1 parser. */
static int get_bool(const ed_node *map, const char *key, bool *out, const struct origin *o,
                    const char *entry, ed_err *err)
{
    static const char *const yes[] = {"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"};
    static const char *const no[] = {"n", "N", "no", "No", "NO", "off", "Off", "OFF"};
    *out = false;
    const ed_node *v = field(map, key);
    if (!v || ed_node_bool(v, out))
        return 0;
    const char *s = ed_node_str(v);
    for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(s, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcmp(s, no[i]) == 0)
            return 0;
    }
    return fail(err, ED_EINVALID, o, entry, key, "expected a boolean, got a %s",
                ed_node_kind_name(ed_node_kind_of(v)));
}

/* A base64 field ([]byte in clientcmd), decoded; NULL when absent or empty. */
static int get_b64(ed_arena *a, const ed_node *map, const char *key, const char **out,
                   const struct origin *o, const char *entry, ed_err *err)
{
    const char *s = NULL;
    int rc = get_str(a, map, key, &s, o, entry, err);
    *out = NULL;
    if (rc || !s)
        return rc;
    char *dec = NULL;
    size_t len = 0;
    if (!b64_decode(a, s, &dec, &len))
        return fail(err, ED_EINVALID, o, entry, key, "invalid base64");
    if (!is_text(dec, len))
        return fail(err, ED_EINVALID, o, entry, key, "not PEM text (contains a NUL byte)");
    *out = len ? dec : NULL;
    return 0;
}

/* A list of strings, as a NULL-terminated array in a; NULL when absent or empty. */
static int get_str_list(ed_arena *a, const ed_node *map, const char *key, const char ***out,
                        const struct origin *o, const char *entry, ed_err *err)
{
    *out = NULL;
    const ed_node *v = field(map, key);
    if (!v)
        return 0;
    if (ed_node_kind_of(v) != ED_NODE_SEQ)
        return fail(err, ED_EINVALID, o, entry, key, "expected a list, got a %s",
                    ed_node_kind_name(ed_node_kind_of(v)));
    size_t n = ed_node_len(v);
    if (n == 0)
        return 0;
    const char **list = ed_arena_alloc(a, (n + 1) * sizeof(*list));
    for (size_t i = 0; i < n; i++) {
        const ed_node *item = ed_node_at(v, i);
        if (scalar_str(a, item, &list[i]) != 0)
            return fail(err, ED_EINVALID, o, entry, key, "item %zu: expected a string, got a %s", i,
                        ed_node_kind_name(ed_node_kind_of(item)));
        /* An empty item is still an item (an empty argument, an empty group name). */
        if (!list[i])
            list[i] = "";
    }
    *out = list;
    return 0;
}

/* A mapping value; NULL when absent or null. */
static int get_map(const ed_node *map, const char *key, const ed_node **out, const struct origin *o,
                   const char *entry, ed_err *err)
{
    *out = field(map, key);
    if (*out && ed_node_kind_of(*out) != ED_NODE_MAP)
        return fail(err, ED_EINVALID, o, entry, key, "expected a mapping, got a %s",
                    ed_node_kind_name(ed_node_kind_of(*out)));
    return 0;
}

/*
 * A file reference: resolved against the kubeconfig's folder when relative (clientcmd's
 * ResolveLocalPaths), and refused in a kubeconfig held in memory.
 */
static int get_path(ed_arena *a, const ed_node *map, const char *key, const char **out,
                    const struct origin *o, const char *entry, ed_err *err)
{
    int rc = get_str(a, map, key, out, o, entry, err);
    if (rc || !*out)
        return rc;
    if (!o->dir)
        return fail(err, ED_EINVALID, o, entry, key,
                    "file references are not allowed in a kubeconfig held in a Secret");
    if ((*out)[0] != '/')
        *out = ed_arena_printf(a, "%s/%s", o->dir, *out);
    return 0;
}

/* ---- decoding a file ---- */

static int decode_cluster(ed_arena *a, const ed_node *m, const struct origin *o,
                          struct kc_cluster *c, ed_err *err)
{
    const char *e = c->entry;
    int rc = get_str(a, m, "server", &c->server, o, e, err);
    if (!rc)
        rc = get_path(a, m, "certificate-authority", &c->ca_file, o, e, err);
    if (!rc)
        rc = get_b64(a, m, "certificate-authority-data", &c->ca_data, o, e, err);
    if (!rc)
        rc = get_bool(m, "insecure-skip-tls-verify", &c->insecure, o, e, err);
    if (!rc)
        rc = get_str(a, m, "tls-server-name", &c->tls_server_name, o, e, err);
    const char *proxy = NULL;
    if (!rc)
        rc = get_str(a, m, "proxy-url", &proxy, o, e, err);
    c->has_proxy = proxy != NULL;
    return rc;
}

static int decode_exec(ed_arena *a, const ed_node *m, const struct origin *o, const char *e,
                       struct kc_exec *x, ed_err *err)
{
    char *where = ed_arena_printf(a, "%s: exec", e);
    int rc = get_str(a, m, "command", &x->command, o, where, err);
    if (!rc)
        rc = get_str_list(a, m, "args", &x->args, o, where, err);
    if (!rc)
        rc = get_str(a, m, "apiVersion", &x->api_version, o, where, err);
    if (!rc)
        rc = get_str(a, m, "interactiveMode", &x->interactive_mode, o, where, err);
    if (!rc)
        rc = get_bool(m, "provideClusterInfo", &x->provide_cluster_info, o, where, err);
    if (rc)
        return rc;
    /* A command with a slash is a path, resolved like the other file references; a bare name
     * is looked up in $PATH (clientcmd's GetAuthInfoFileReferences). */
    if (x->command && strchr(x->command, '/') && x->command[0] != '/' && o->dir)
        x->command = ed_arena_printf(a, "%s/%s", o->dir, x->command);

    const ed_node *env = field(m, "env");
    if (!env)
        return 0;
    if (ed_node_kind_of(env) != ED_NODE_SEQ)
        return fail(err, ED_EINVALID, o, where, "env", "expected a list, got a %s",
                    ed_node_kind_name(ed_node_kind_of(env)));
    x->nenv = ed_node_len(env);
    x->env_names = ed_arena_alloc(a, (x->nenv + 1) * sizeof(char *));
    x->env_values = ed_arena_alloc(a, (x->nenv + 1) * sizeof(char *));
    for (size_t i = 0; i < x->nenv; i++) {
        const ed_node *item = ed_node_at(env, i);
        char *ie = ed_arena_printf(a, "%s: env[%zu]", where, i);
        if (ed_node_kind_of(item) != ED_NODE_MAP)
            return fail(err, ED_EINVALID, o, ie, NULL, "expected a mapping, got a %s",
                        ed_node_kind_name(ed_node_kind_of(item)));
        rc = get_str(a, item, "name", &x->env_names[i], o, ie, err);
        if (!rc)
            rc = get_str(a, item, "value", &x->env_values[i], o, ie, err);
        if (rc)
            return rc;
    }
    return 0;
}

static int decode_user(ed_arena *a, const ed_node *m, const struct origin *o, struct kc_user *u,
                       ed_err *err)
{
    const char *e = u->entry;
    int rc = get_path(a, m, "client-certificate", &u->cert_file, o, e, err);
    if (!rc)
        rc = get_b64(a, m, "client-certificate-data", &u->cert_data, o, e, err);
    if (!rc)
        rc = get_path(a, m, "client-key", &u->key_file, o, e, err);
    if (!rc)
        rc = get_b64(a, m, "client-key-data", &u->key_data, o, e, err);
    if (!rc)
        rc = get_str(a, m, "token", &u->token, o, e, err);
    if (!rc)
        rc = get_path(a, m, "tokenFile", &u->token_file, o, e, err);
    if (!rc)
        rc = get_str(a, m, "username", &u->username, o, e, err);
    if (!rc)
        rc = get_str(a, m, "password", &u->password, o, e, err);
    if (!rc)
        rc = get_str(a, m, "as", &u->as, o, e, err);
    if (!rc)
        rc = get_str(a, m, "as-uid", &u->as_uid, o, e, err);
    if (!rc)
        rc = get_str_list(a, m, "as-groups", &u->as_groups, o, e, err);
    const ed_node *extra = NULL, *provider = NULL, *exec = NULL;
    if (!rc)
        rc = get_map(m, "as-user-extra", &extra, o, e, err);
    if (!rc)
        rc = get_map(m, "auth-provider", &provider, o, e, err);
    if (!rc)
        rc = get_map(m, "exec", &exec, o, e, err);
    if (rc)
        return rc;
    u->has_as_extra = ed_node_len(extra) > 0;
    u->has_auth_provider = provider != NULL;
    if (exec) {
        u->exec = ed_arena_alloc(a, sizeof(*u->exec));
        return decode_exec(a, exec, o, e, u->exec, err);
    }
    return 0;
}

static int decode_context(ed_arena *a, const ed_node *m, const struct origin *o,
                          struct kc_context *c, ed_err *err)
{
    int rc = get_str(a, m, "cluster", &c->cluster, o, c->entry, err);
    if (!rc)
        rc = get_str(a, m, "user", &c->user, o, c->entry, err);
    if (!rc)
        rc = get_str(a, m, "namespace", &c->namespace, o, c->entry, err);
    return rc;
}

/*
 * Item i of a named list (clusters, users, contexts): a mapping with a name and, under inner,
 * the entry's own mapping (NULL when absent). A missing name is the empty name, as in Go.
 */
static int named_item(ed_arena *a, const ed_node *list, const char *key, const char *inner,
                      size_t i, const struct origin *o, const char **name, const char **entry,
                      const ed_node **body, ed_err *err)
{
    const ed_node *item = ed_node_at(list, i);
    *entry = ed_arena_printf(a, "%s[%zu]", key, i);
    if (ed_node_kind_of(item) != ED_NODE_MAP)
        return fail(err, ED_EINVALID, o, *entry, NULL, "expected a mapping, got a %s",
                    ed_node_kind_name(ed_node_kind_of(item)));
    int rc = get_str(a, item, "name", name, o, *entry, err);
    if (rc)
        return rc;
    if (*name)
        *entry = ed_arena_printf(a, "%s[%s]", key, *name);
    else
        *name = "";
    return get_map(item, inner, body, o, *entry, err);
}

/* The length of a top-level named list; 0 when absent. */
static int list_len(const ed_node *root, const char *key, const struct origin *o, size_t *n,
                    ed_err *err)
{
    const ed_node *v = field(root, key);
    *n = ed_node_len(v);
    if (v && ed_node_kind_of(v) != ED_NODE_SEQ)
        return fail(err, ED_EINVALID, o, NULL, key, "expected a list, got a %s",
                    ed_node_kind_name(ed_node_kind_of(v)));
    return 0;
}

static void free_doc(void *doc)
{
    ed_doc_free(doc);
}

/* Duplicate names inside one file are an error in clientcmd (its list-to-map conversion). */
static int duplicate(const struct origin *o, const char *key, const char *name, ed_err *err)
{
    return fail(err, ED_EINVALID, o, NULL, key, "duplicate name \"%s\"", name);
}

/* Decode a kubeconfig's text into f (allocated in a). */
static int decode_file(ed_arena *a, const char *data, size_t len, const struct origin *o,
                       struct kc_file *f, ed_err *err)
{
    ed_doc **docs = NULL;
    size_t ndocs = 0;
    f->from = *o;
    int rc = ed_doc_parse_yaml(data, len, o->path, &docs, &ndocs, err);
    if (rc)
        return rc;
    /* The documents live as long as the load: entries point into them. */
    for (size_t i = 0; i < ndocs; i++)
        ed_arena_on_free(a, free_doc, docs[i]);
    const ed_node *root = ndocs ? ed_doc_root(docs[0]) : NULL;
    free(docs);
    if (ndocs == 0)
        return 0; /* an empty file is an empty configuration, as in clientcmd */
    if (ndocs > 1)
        return fail(err, ED_EINVALID, o, NULL, NULL, "expected one YAML document, found %zu",
                    ndocs);
    if (ed_node_kind_of(root) == ED_NODE_NULL)
        return 0;
    if (ed_node_kind_of(root) != ED_NODE_MAP)
        return fail(err, ED_EINVALID, o, NULL, NULL, "expected a mapping, got a %s",
                    ed_node_kind_name(ed_node_kind_of(root)));
    rc = get_str(a, root, "current-context", &f->current_context, o, NULL, err);
    if (!rc)
        rc = list_len(root, "clusters", o, &f->nclusters, err);
    if (!rc)
        rc = list_len(root, "users", o, &f->nusers, err);
    if (!rc)
        rc = list_len(root, "contexts", o, &f->ncontexts, err);
    if (rc)
        return rc;

    const ed_node *list = field(root, "clusters");
    const ed_node *body = NULL;
    f->clusters = ed_arena_alloc(a, (f->nclusters + 1) * sizeof(*f->clusters));
    for (size_t i = 0; i < f->nclusters; i++) {
        struct kc_cluster *c = &f->clusters[i];
        rc = named_item(a, list, "clusters", "cluster", i, o, &c->name, &c->entry, &body, err);
        if (!rc)
            rc = decode_cluster(a, body, o, c, err);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->clusters[j].name, c->name) == 0)
                return duplicate(o, "clusters", c->name, err);
    }
    list = field(root, "users");
    f->users = ed_arena_alloc(a, (f->nusers + 1) * sizeof(*f->users));
    for (size_t i = 0; i < f->nusers; i++) {
        struct kc_user *u = &f->users[i];
        rc = named_item(a, list, "users", "user", i, o, &u->name, &u->entry, &body, err);
        if (!rc)
            rc = decode_user(a, body, o, u, err);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->users[j].name, u->name) == 0)
                return duplicate(o, "users", u->name, err);
    }
    list = field(root, "contexts");
    f->contexts = ed_arena_alloc(a, (f->ncontexts + 1) * sizeof(*f->contexts));
    for (size_t i = 0; i < f->ncontexts; i++) {
        struct kc_context *c = &f->contexts[i];
        rc = named_item(a, list, "contexts", "context", i, o, &c->name, &c->entry, &body, err);
        if (!rc)
            rc = decode_context(a, body, o, c, err);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(f->contexts[j].name, c->name) == 0)
                return duplicate(o, "contexts", c->name, err);
    }
    return 0;
}

/* ---- merging and choosing ---- */

/* Lookups in the merged files: the first file that defines a name wins the whole entry
 * (clientcmd merges its named maps that way), and *from is that file. */
static const struct kc_cluster *find_cluster(const struct kc_file *files, size_t nfiles,
                                             const char *name, const struct kc_file **from)
{
    for (size_t f = 0; f < nfiles; f++)
        for (size_t i = 0; i < files[f].nclusters; i++)
            if (strcmp(files[f].clusters[i].name, name) == 0) {
                *from = &files[f];
                return &files[f].clusters[i];
            }
    return NULL;
}

static const struct kc_user *find_user(const struct kc_file *files, size_t nfiles, const char *name,
                                       const struct kc_file **from)
{
    for (size_t f = 0; f < nfiles; f++)
        for (size_t i = 0; i < files[f].nusers; i++)
            if (strcmp(files[f].users[i].name, name) == 0) {
                *from = &files[f];
                return &files[f].users[i];
            }
    return NULL;
}

static const struct kc_context *find_context(const struct kc_file *files, size_t nfiles,
                                             const char *name, const struct kc_file **from)
{
    for (size_t f = 0; f < nfiles; f++)
        for (size_t i = 0; i < files[f].ncontexts; i++)
            if (strcmp(files[f].contexts[i].name, name) == 0) {
                *from = &files[f];
                return &files[f].contexts[i];
            }
    return NULL;
}

/* The current-context of the first file that sets one. */
static const char *current_context(const struct kc_file *files, size_t nfiles)
{
    for (size_t f = 0; f < nfiles; f++)
        if (files[f].current_context)
            return files[f].current_context;
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? ed_xstrdup(s) : NULL;
}

/*
 * The API server's URL as the client uses it: a bare host:port becomes http:// (client-go's
 * DefaultServerURL, since no TLS setting is known when it decides); a query or fragment is
 * dropped (ClientConfig drops them after a path; anywhere else they would garble the request
 * paths the client appends), and so are trailing slashes, since those paths start with one.
 * The value is never quoted in messages: its userinfo may carry credentials.
 */
static int normalize_server(const char *server, char **out, bool *https, const struct origin *o,
                            const char *entry, ed_err *err)
{
    for (const char *p = server; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return fail(err, ED_EINVALID, o, entry, "server",
                        "not a valid URL (contains a space or control character)");
    char *url = strstr(server, "://") ? ed_xstrdup(server) : ed_xasprintf("http://%s", server);
    *https = ed_str_has_prefix(url, "https://");
    if (!*https && !ed_str_has_prefix(url, "http://")) {
        free(url);
        return fail(err, ED_EINVALID, o, entry, "server", "the scheme must be https or http");
    }
    char *host = url + (*https ? strlen("https://") : strlen("http://"));
    host[strcspn(host, "?#")] = '\0';
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        url[--len] = '\0';
    if (host[0] == '\0' || host[0] == '/') {
        free(url);
        return fail(err, ED_EINVALID, o, entry, "server", "not a valid URL (no host)");
    }
    *out = url;
    return 0;
}

/* Validate the chosen cluster as clientcmd's ConfirmUsable does and fill in the server and TLS
 * settings. */
static int use_cluster(const struct kc_cluster *c, const struct origin *o, ed_kube_config *cfg,
                       bool *https, ed_err *err)
{
    if (!c->server)
        return fail(err, ED_EINVALID, o, c->entry, NULL, "no server found for cluster \"%s\"",
                    c->name);
    if (c->has_proxy)
        return fail(err, ED_EINVALID, o, c->entry, "proxy-url", "not supported by eddy");
    if (c->ca_file && c->ca_data)
        return fail(err, ED_EINVALID, o, c->entry, NULL,
                    "certificate-authority-data and certificate-authority are both specified; "
                    "certificate-authority-data would override");
    int rc = normalize_server(c->server, &cfg->server, https, o, c->entry, err);
    if (rc || !*https)
        return rc;
    if (c->insecure && (c->ca_file || c->ca_data))
        return fail(err, ED_EINVALID, o, c->entry, NULL,
                    "specifying a root certificates file with the insecure flag is not allowed");
    cfg->insecure = c->insecure;
    cfg->tls_server_name = dup_or_null(c->tls_server_name);
    if (c->ca_data) {
        cfg->ca_pem = ed_xstrdup(c->ca_data);
    } else if (c->ca_file) {
        rc = read_pem(c->ca_file, &cfg->ca_pem, err);
        if (rc)
            wrap(err, o, c->entry, "certificate-authority");
    }
    return rc;
}

/* Check the exec plugin's settings as clientcmd's validateAuthInfo and client-go's exec
 * authenticator check them. */
static int check_exec(const struct kc_exec *x, const struct origin *o, const char *entry,
                      ed_err *err)
{
    char where[512];
    snprintf(where, sizeof(where), "%s: exec", entry);
    if (!x->command)
        return fail(err, ED_EINVALID, o, where, "command", "must be specified");
    if (!x->api_version)
        return fail(err, ED_EINVALID, o, where, "apiVersion", "must be specified");
    if (strcmp(x->api_version, EXEC_V1) != 0 && strcmp(x->api_version, EXEC_V1BETA1) != 0)
        return fail(err, ED_EINVALID, o, where, "apiVersion",
                    "\"%s\" is not supported (want " EXEC_V1 " or " EXEC_V1BETA1 ")",
                    x->api_version);
    /* v1 makes the mode mandatory; v1beta1 defaults it to IfAvailable. eddy never has a
     * terminal to offer a plugin, so a plugin that insists on one cannot work. */
    const char *mode = x->interactive_mode;
    if (!mode && strcmp(x->api_version, EXEC_V1) == 0)
        return fail(err, ED_EINVALID, o, where, "interactiveMode", "must be specified");
    if (mode && strcmp(mode, "Never") != 0 && strcmp(mode, "IfAvailable") != 0) {
        if (strcmp(mode, "Always") == 0)
            return fail(err, ED_EINVALID, o, where, "interactiveMode",
                        "Always needs a terminal, which eddy never has");
        return fail(err, ED_EINVALID, o, where, "interactiveMode", "invalid value \"%s\"", mode);
    }
    for (size_t i = 0; i < x->nenv; i++) {
        const char *name = x->env_names[i];
        if (!name || strchr(name, '=')) {
            char ie[600];
            snprintf(ie, sizeof(ie), "%s: env[%zu]", where, i);
            return fail(err, ED_EINVALID, o, ie, "name",
                        name ? "must not contain '='" : "must be specified");
        }
    }
    return 0;
}

/* The configuration's copy of a checked exec plugin. */
static ed_kube_exec *make_exec(const struct kc_exec *x)
{
    ed_kube_exec *ex = ed_xcalloc(1, sizeof(*ex));
    ex->command = ed_xstrdup(x->command);
    ex->api_version = ed_xstrdup(x->api_version);
    ex->provide_cluster_info = x->provide_cluster_info;
    size_t nargs = 0;
    while (x->args && x->args[nargs])
        nargs++;
    ex->args = ed_xcalloc(nargs + 1, sizeof(char *));
    for (size_t i = 0; i < nargs; i++)
        ex->args[i] = ed_xstrdup(x->args[i]);
    ex->env = ed_xcalloc(x->nenv + 1, sizeof(char *));
    for (size_t i = 0; i < x->nenv; i++)
        ex->env[i] =
            ed_xasprintf("%s=%s", x->env_names[i], x->env_values[i] ? x->env_values[i] : "");
    return ex;
}

/* Validate the chosen user as clientcmd's validateAuthInfo does and fill in the credentials
 * (only for an https server, as ClientConfig does). */
static int use_user(const struct kc_user *u, const struct origin *o, bool https,
                    ed_kube_config *cfg, ed_err *err)
{
    const char *e = u->entry;
    bool cert = u->cert_file || u->cert_data;
    if (u->has_auth_provider)
        return fail(err, ED_EINVALID, o, e, "auth-provider",
                    "not supported by eddy (use an exec plugin)");
    if (u->as_uid || u->has_as_extra)
        return fail(err, ED_EINVALID, o, e, u->as_uid ? "as-uid" : "as-user-extra",
                    "not supported by eddy");
    if (cert && u->cert_file && u->cert_data)
        return fail(err, ED_EINVALID, o, e, NULL,
                    "client-certificate-data and client-certificate are both specified; "
                    "client-certificate-data would override");
    if (cert && u->key_file && u->key_data)
        return fail(err, ED_EINVALID, o, e, NULL,
                    "client-key-data and client-key are both specified; client-key-data would "
                    "override");
    if (cert && !u->key_file && !u->key_data)
        return fail(err, ED_EINVALID, o, e, NULL,
                    "client-key-data or client-key must be specified to use a client "
                    "certificate");
    if (u->token && (u->username || u->password))
        return fail(err, ED_EINVALID, o, e, NULL,
                    "more than one authentication method found (token and basic auth); only "
                    "one is allowed");
    int rc = 0;
    if (u->exec && (rc = check_exec(u->exec, o, e, err)) != 0)
        return rc;
    /* Impersonation is set whatever the scheme; as-groups count only with as (ClientConfig). */
    if (u->as) {
        cfg->impersonate_user = ed_xstrdup(u->as);
        size_t n = 0;
        while (u->as_groups && u->as_groups[n])
            n++;
        if (n) {
            cfg->impersonate_groups = ed_xcalloc(n + 1, sizeof(char *));
            for (size_t i = 0; i < n; i++)
                cfg->impersonate_groups[i] = ed_xstrdup(u->as_groups[i]);
        }
    }
    /* Never send credentials in clear text: client-go reads none for an http server. */
    if (!https)
        return 0;
    if (u->exec)
        cfg->exec = make_exec(u->exec);
    /* client-go keeps both a static token and its file; the file is read (and so must exist)
     * only when there is no static token. */
    cfg->token = dup_or_null(u->token);
    cfg->token_file = dup_or_null(u->token_file);
    if (u->token_file && !u->token) {
        rc = check_token_file(u->token_file, err);
        if (rc) {
            wrap(err, o, e, "tokenFile");
            return rc;
        }
    }
    if (u->username || u->password) {
        cfg->username = ed_xstrdup(u->username ? u->username : "");
        cfg->password = ed_xstrdup(u->password ? u->password : "");
    }
    if (!cert)
        return 0; /* a key without a certificate is ignored, as in ClientConfig */
    if (u->cert_data) {
        cfg->cert_pem = ed_xstrdup(u->cert_data);
    } else {
        rc = read_pem(u->cert_file, &cfg->cert_pem, err);
        if (rc) {
            wrap(err, o, e, "client-certificate");
            return rc;
        }
    }
    if (u->key_data) {
        cfg->key_pem = ed_xstrdup(u->key_data);
    } else {
        rc = read_pem(u->key_file, &cfg->key_pem, err);
        if (rc)
            wrap(err, o, e, "client-key");
    }
    return rc;
}

static ed_kube_config *config_new(void)
{
    ed_kube_config *cfg = ed_xcalloc(1, sizeof(*cfg));
    cfg->qps = DEFAULT_QPS;
    cfg->burst = DEFAULT_BURST;
    return cfg;
}

static const char *set_or(const char *override, const char *value)
{
    return override && override[0] ? override : value;
}

/* Build the configuration of context name (NULL: none, only the overrides' --cluster and
 * --user) from the merged files, with kubectl's overrides ov (NULL: none). */
static int build(const struct kc_file *files, size_t nfiles, const char *name,
                 const ed_kube_load_opts *ov, ed_kube_config **out, ed_err *err)
{
    static const ed_kube_load_opts none;
    if (!ov)
        ov = &none;
    if (ov->insecure_skip_tls_verify && ov->certificate_authority && ov->certificate_authority[0])
        return ed_err_set(err, ED_EINVALID,
                          "--certificate-authority and --insecure-skip-tls-verify: specifying a "
                          "root certificates file with the insecure flag is not allowed");
    const struct kc_file *cf = NULL, *uf = NULL, *xf = NULL;
    const struct kc_context *ctx = name ? find_context(files, nfiles, name, &xf) : NULL;
    if (name && !ctx)
        return ed_err_set(err, ED_ENOTFOUND, "context \"%s\" does not exist", name);
    const char *cluster_name = set_or(ov->cluster, ctx ? ctx->cluster : NULL);
    const char *user_name = set_or(ov->user, ctx ? ctx->user : NULL);
    if (!cluster_name && ctx)
        return fail(err, ED_ENOTFOUND, &xf->from, ctx->entry, NULL,
                    "context \"%s\" names no cluster", name);
    if (!cluster_name)
        return ed_err_set(err, ED_ENOTFOUND, "no context is set");
    const struct kc_cluster *found = find_cluster(files, nfiles, cluster_name, &cf);
    if (!found && ov->cluster && ov->cluster[0])
        return ed_err_set(err, ED_ENOTFOUND, "cluster \"%s\" does not exist", cluster_name);
    if (!found)
        return ed_err_set(err, ED_ENOTFOUND, "context \"%s\": cluster \"%s\" does not exist", name,
                          cluster_name);
    /* A context without a user is anonymous, as in clientcmd. A named user must exist: client-go
     * would go on anonymously, and requests then fail as "forbidden" far from the typo. */
    const struct kc_user *found_user = NULL;
    if (user_name && !(found_user = find_user(files, nfiles, user_name, &uf))) {
        if (ov->user && ov->user[0])
            return ed_err_set(err, ED_ENOTFOUND, "user \"%s\" does not exist", user_name);
        return ed_err_set(err, ED_ENOTFOUND, "context \"%s\": user \"%s\" does not exist", name,
                          user_name);
    }

    /* The overrides, as clientcmd merges them: a CA file or insecure-skip-tls-verify replaces
     * both settings of the entry (so that the entry's CA does not fight the flag). */
    struct kc_cluster cluster = *found;
    if (ov->insecure_skip_tls_verify ||
        (ov->certificate_authority && ov->certificate_authority[0])) {
        cluster.insecure = ov->insecure_skip_tls_verify;
        cluster.ca_file = set_or(ov->certificate_authority, NULL);
        cluster.ca_data = NULL;
    }
    cluster.tls_server_name = set_or(ov->tls_server_name, cluster.tls_server_name);
    struct kc_user user = {.name = user_name, .entry = "user"};
    if (found_user)
        user = *found_user;
    if (ov->client_certificate && ov->client_certificate[0]) {
        user.cert_file = ov->client_certificate;
        user.cert_data = NULL;
    }
    if (ov->client_key && ov->client_key[0]) {
        user.key_file = ov->client_key;
        user.key_data = NULL;
    }
    bool has_user = found_user || user.cert_file || user.key_file;
    const struct origin flags = {NULL, NULL};

    ed_kube_config *cfg = config_new();
    bool https = false;
    int rc = use_cluster(&cluster, &cf->from, cfg, &https, err);
    if (!rc && has_user)
        rc = use_user(&user, uf ? &uf->from : &flags, https, cfg, err);
    if (rc) {
        ed_kube_config_free(cfg);
        return rc;
    }
    cfg->namespace = dup_or_null(ctx ? ctx->namespace : NULL);
    cfg->context = name ? ed_xstrdup(name) : NULL;
    *out = cfg;
    return 0;
}

/* ---- public ---- */

int ed_kube_config_from_yaml(const char *data, size_t len, const char *context,
                             ed_kube_config **out, ed_err *err)
{
    *out = NULL;
    if (len > MAX_FILE)
        return ed_err_set(err, ED_ETOOBIG, "kubeconfig: larger than " MAX_FILE_TEXT);
    ed_arena *a = ed_arena_new();
    struct kc_file file;
    memset(&file, 0, sizeof(file));
    const struct origin mem = {NULL, NULL};
    int rc = decode_file(a, data, len, &mem, &file, err);
    if (rc)
        goto cleanup;
    const char *name = context && context[0] ? context : file.current_context;
    if (!name) {
        rc = ed_err_set(err, ED_ENOTFOUND, "no context is set");
        goto cleanup;
    }
    rc = build(&file, 1, name, NULL, out, err);
cleanup:
    ed_arena_free(a);
    return rc;
}

/* The service-account folder: $ED_KUBE_SA_DIR (tests) or the one Kubernetes mounts. */
static const char *sa_dir(void)
{
    const char *dir = getenv("ED_KUBE_SA_DIR");
    return dir && dir[0] ? dir : SA_DIR;
}

/* Whether the in-cluster configuration can work (client-go's inClusterClientConfig.Possible):
 * both variables set and a token file. */
static bool in_cluster_possible(void)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !host[0] || !port || !port[0])
        return false;
    char *token = ed_xasprintf("%s/token", sa_dir());
    struct stat st;
    bool ok = stat(token, &st) == 0 && !S_ISDIR(st.st_mode);
    free(token);
    return ok;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A small text file's content without surrounding whitespace; NULL when absent or blank. */
static int read_trimmed(const char *path, char **out, ed_err *err)
{
    size_t len = 0;
    *out = NULL;
    char *data = NULL;
    int rc = read_file(path, &data, &len, err);
    if (rc == ED_ENOTFOUND) {
        ed_err_clear(err);
        return 0;
    }
    if (rc)
        return rc;
    size_t start = 0;
    while (start < len && is_space(data[start]))
        start++;
    while (len > start && is_space(data[len - 1]))
        len--;
    if (len > start)
        *out = ed_xstrndup(data + start, len - start);
    free(data);
    return 0;
}

int ed_kube_config_in_cluster(ed_kube_config **out, ed_err *err)
{
    *out = NULL;
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    if (!host || !host[0])
        return ed_err_set(err, ED_ENOTFOUND,
                          "not running in a cluster: KUBERNETES_SERVICE_HOST is not set");
    if (!port || !port[0])
        return ed_err_set(err, ED_ENOTFOUND,
                          "not running in a cluster: KUBERNETES_SERVICE_PORT is not set");
    /* Validated because they become the URL: a stray character must not redirect requests. */
    if (strcspn(host, "/?#@[] \t\r\n") != strlen(host))
        return ed_err_set(err, ED_EINVALID,
                          "in-cluster configuration: invalid "
                          "KUBERNETES_SERVICE_HOST");
    size_t digits = strspn(port, "0123456789");
    long p = digits == strlen(port) && digits <= 5 ? strtol(port, NULL, 10) : 0;
    if (p < 1 || p > 65535)
        return ed_err_set(err, ED_EINVALID,
                          "in-cluster configuration: invalid "
                          "KUBERNETES_SERVICE_PORT");

    int rc = 0;
    const char *dir = sa_dir();
    ed_kube_config *cfg = config_new();
    /* net.JoinHostPort: an IPv6 address gets brackets. */
    cfg->server = strchr(host, ':') ? ed_xasprintf("https://[%s]:%ld", host, p)
                                    : ed_xasprintf("https://%s:%ld", host, p);
    cfg->token_file = ed_xasprintf("%s/token", dir);
    rc = check_token_file(cfg->token_file, err);
    if (rc) {
        ed_err_wrap(err, "in-cluster configuration: service account token");
        goto cleanup;
    }
    /* client-go goes on with the system roots when ca.crt is missing. */
    char *ca = ed_xasprintf("%s/ca.crt", dir);
    rc = read_pem(ca, &cfg->ca_pem, err);
    free(ca);
    if (rc == ED_ENOTFOUND) {
        ed_err_clear(err);
        rc = 0;
    } else if (rc) {
        ed_err_wrap(err, "in-cluster configuration: service account CA");
        goto cleanup;
    }
    /* POD_NAMESPACE (from the downward API) first, then the service account's namespace, as
     * clientcmd's in-cluster configuration does. */
    const char *pod_ns = getenv("POD_NAMESPACE");
    if (pod_ns && pod_ns[0]) {
        cfg->namespace = ed_xstrdup(pod_ns);
    } else {
        char *ns = ed_xasprintf("%s/namespace", dir);
        rc = read_trimmed(ns, &cfg->namespace, err);
        free(ns);
        if (rc) {
            ed_err_wrap(err, "in-cluster configuration: service account namespace");
            goto cleanup;
        }
    }
    *out = cfg;
    cfg = NULL;
cleanup:
    ed_kube_config_free(cfg);
    return rc;
}

/* The absolute folder of a kubeconfig path (clientcmd resolves against filepath.Abs(Dir)). */
static int origin_of(ed_arena *a, const char *path, struct origin *o, ed_err *err)
{
    o->path = ed_arena_strdup(a, path);
    const char *abs = path;
    if (path[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return ed_err_set(err, ED_ERROR, "%s: cannot resolve relative paths: %s", path,
                              strerror(errno));
        abs = ed_arena_printf(a, "%s/%s", cwd, path);
    }
    const char *slash = strrchr(abs, '/');
    o->dir = ed_arena_printf(a, "%.*s", (int)(slash - abs), abs);
    return 0;
}

/* The kubeconfig files to read, in precedence order, and whether each must exist. */
static size_t kubeconfig_paths(ed_arena *a, const char *explicit_path, const char ***out,
                               bool *must_exist)
{
    *must_exist = false;
    if (explicit_path) {
        *must_exist = true;
        *out = ed_arena_alloc(a, sizeof(char *));
        (*out)[0] = explicit_path;
        return 1;
    }
    const char *env = getenv("KUBECONFIG");
    if (env && env[0]) {
        char *list = ed_arena_strdup(a, env);
        size_t max = 1;
        for (const char *p = list; *p; p++)
            max += *p == ':';
        const char **paths = ed_arena_alloc(a, max * sizeof(char *));
        size_t n = 0;
        for (char *p = list; p;) {
            char *next = strchr(p, ':');
            if (next)
                *next++ = '\0';
            bool seen = !p[0];
            for (size_t i = 0; i < n && !seen; i++)
                seen = strcmp(paths[i], p) == 0;
            if (!seen)
                paths[n++] = p;
            p = next;
        }
        *out = paths;
        return n;
    }
    const char *home = getenv("HOME");
    if (!home || !home[0])
        return 0;
    *out = ed_arena_alloc(a, sizeof(char *));
    (*out)[0] = ed_arena_printf(a, "%s/.kube/config", home);
    return 1;
}

int ed_kube_config_load(const ed_kube_load_opts *opts, ed_kube_config **out, ed_err *err)
{
    *out = NULL;
    const char *explicit_path =
        opts && opts->kubeconfig && opts->kubeconfig[0] ? opts->kubeconfig : NULL;
    const char *context = opts && opts->context && opts->context[0] ? opts->context : NULL;
    int rc = 0;
    ed_arena *a = ed_arena_new();
    const char **paths = NULL;
    bool must_exist = false;
    size_t npaths = kubeconfig_paths(a, explicit_path, &paths, &must_exist);
    struct kc_file *files = ed_arena_alloc(a, (npaths + 1) * sizeof(*files));
    size_t nfiles = 0;
    for (size_t i = 0; i < npaths; i++) {
        char *data = NULL;
        size_t len = 0;
        struct stat st;
        int st_rc = stat(paths[i], &st);
        if (st_rc != 0 && errno == ENOENT) {
            if (!must_exist) /* clientcmd skips missing files of $KUBECONFIG and ~/.kube/config */
                continue;
            /* clientcmd's os.Stat of --kubeconfig, in Go's words */
            rc = ed_err_set(err, ED_ENOTFOUND, "stat %s: no such file or directory", paths[i]);
            goto cleanup;
        }
        if (st_rc == 0 && S_ISDIR(st.st_mode)) { /* Go's read(2) of it */
            rc = ed_err_set(err, ED_EINVALID,
                            "error loading config file \"%s\": read %s: is a directory", paths[i],
                            paths[i]);
            goto cleanup;
        }
        rc = read_file(paths[i], &data, &len, err);
        if (rc == ED_ENOTFOUND && !must_exist) {
            ed_err_clear(err); /* gone since the stat */
            continue;
        }
        if (rc) {
            /* clientcmd's wrapping of a file it cannot read */
            ed_err_wrap(err, "error loading config file \"%s\"", paths[i]);
            goto cleanup;
        }
        struct origin o;
        rc = origin_of(a, paths[i], &o, err);
        if (!rc)
            rc = decode_file(a, data, len, &o, &files[nfiles], err);
        free(data);
        if (rc)
            goto cleanup;
        nfiles++;
    }

    const char *name = context ? context : current_context(files, nfiles);
    if (!name && opts && opts->cluster && opts->cluster[0] && nfiles > 0) {
        /* No context, but --cluster (and --user) name the entries: clientcmd makes one. */
        rc = build(files, nfiles, NULL, opts, out, err);
        goto cleanup;
    }
    if (!name) {
        /* Nothing chooses a context: client-go's deferred loading then tries in-cluster. */
        if (nfiles == 0) {
            const char *env = getenv("KUBECONFIG");
            rc = ed_kube_config_in_cluster(out, err);
            if (rc == ED_ENOTFOUND)
                ed_err_wrap(err, "no kubeconfig found (%s)",
                            explicit_path   ? explicit_path
                            : env && env[0] ? "$KUBECONFIG"
                                            : "~/.kube/config");
        } else if (in_cluster_possible()) {
            rc = ed_kube_config_in_cluster(out, err);
        } else {
            rc = ed_err_set(err, ED_ENOTFOUND, "no context is set");
        }
        goto cleanup;
    }
    rc = build(files, nfiles, name, opts, out, err);
cleanup:
    ed_arena_free(a);
    return rc;
}

static char **dup_list(char *const *list)
{
    if (!list)
        return NULL;
    size_t n = 0;
    while (list[n])
        n++;
    char **copy = ed_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        copy[i] = ed_xstrdup(list[i]);
    return copy;
}

static void free_list(char **list)
{
    for (size_t i = 0; list && list[i]; i++)
        free(list[i]);
    free(list);
}

/* Free a secret string, leaving no copy of it in freed memory. */
static void free_secret(char *s)
{
    if (s) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

ed_kube_config *ed_kube_config_dup(const ed_kube_config *cfg)
{
    if (!cfg)
        return NULL;
    ed_kube_config *c = ed_xcalloc(1, sizeof(*c));
    c->server = dup_or_null(cfg->server);
    c->tls_server_name = dup_or_null(cfg->tls_server_name);
    c->ca_pem = dup_or_null(cfg->ca_pem);
    c->insecure = cfg->insecure;
    c->cert_pem = dup_or_null(cfg->cert_pem);
    c->key_pem = dup_or_null(cfg->key_pem);
    c->token = dup_or_null(cfg->token);
    c->token_file = dup_or_null(cfg->token_file);
    c->username = dup_or_null(cfg->username);
    c->password = dup_or_null(cfg->password);
    if (cfg->exec) {
        c->exec = ed_xcalloc(1, sizeof(*c->exec));
        c->exec->command = dup_or_null(cfg->exec->command);
        c->exec->args = dup_list(cfg->exec->args);
        c->exec->env = dup_list(cfg->exec->env);
        c->exec->api_version = dup_or_null(cfg->exec->api_version);
        c->exec->provide_cluster_info = cfg->exec->provide_cluster_info;
    }
    c->impersonate_user = dup_or_null(cfg->impersonate_user);
    c->impersonate_groups = dup_list(cfg->impersonate_groups);
    c->namespace = dup_or_null(cfg->namespace);
    c->context = dup_or_null(cfg->context);
    c->qps = cfg->qps;
    c->burst = cfg->burst;
    c->timeout_ms = cfg->timeout_ms;
    c->user_agent = dup_or_null(cfg->user_agent);
    return c;
}

void ed_kube_config_free(ed_kube_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->server);
    free(cfg->tls_server_name);
    free(cfg->ca_pem);
    free(cfg->cert_pem);
    free_secret(cfg->key_pem);
    free_secret(cfg->token);
    free(cfg->token_file);
    free(cfg->username);
    free_secret(cfg->password);
    if (cfg->exec) {
        free(cfg->exec->command);
        free_list(cfg->exec->args);
        free_list(cfg->exec->env);
        free(cfg->exec->api_version);
        free(cfg->exec);
    }
    free(cfg->impersonate_user);
    free_list(cfg->impersonate_groups);
    free(cfg->namespace);
    free(cfg->context);
    free(cfg->user_agent);
    free(cfg);
}
