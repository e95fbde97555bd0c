/*
 * `eddy create`, `eddy delete` and `eddy export`, as flux has them.
 *
 * create generates the object from flux's flags (`source git`, `source oci`, `kustomization`,
 * `image repository|policy|update`, `secret git|tls|oci|proxy|helm`), then either prints it
 * (--export: a YAML document after "---", keys sorted as sigs.k8s.io/yaml sorts them) or applies it
 * with server-side apply under the field manager `flux` and waits until its controller reports it
 * Ready, printing flux's lines (✚ generating, ► applying, ✔ created, ◎ waiting, ✔ the result).
 * `create source git -u/-p` also applies a Secret of the same name with the credentials.
 * delete asks for confirmation (unless --silent), as flux does; export prints objects without
 * status or server-set fields.
 */
#include "cli_int.h"

#include "../image/image.h"
#include "../source/source.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- building objects ---- */

/* Set the string at path ("/spec/ref/branch") when value is set and not empty. */
static void put_str(ed_doc *d, const char *path, const char *value)
{
    if (!value || !*value)
        return;
    const char *slash = strrchr(path, '/');
    char *parent = ed_xstrndup(path, (size_t)(slash - path));
    ed_node *map = ed_node_ensure_map(d, ed_doc_root(d), parent);
    ed_node_set(d, map, slash + 1, ed_node_new_str(d, value));
    free(parent);
}

static void put_bool(ed_doc *d, const char *path, bool value)
{
    const char *slash = strrchr(path, '/');
    char *parent = ed_xstrndup(path, (size_t)(slash - path));
    ed_node *map = ed_node_ensure_map(d, ed_doc_root(d), parent);
    ed_node_set(d, map, slash + 1, ed_node_new_bool(d, value));
    free(parent);
}

static void put_duration(ed_doc *d, const char *path, int64_t ms)
{
    char text[32];
    ed_duration_string(ms * ED_NS_PER_MS, text);
    put_str(d, path, text);
}

/* spec.ignore of a source from --ignore-paths: the patterns one a line, as flux writes them. */
static void put_ignore(ed_doc *d, const ed_cli_list *paths)
{
    if (!paths->n)
        return;
    ed_buf ignore = ED_BUF_INIT(1 << 20);
    for (int i = 0; i < paths->n; i++)
        ed_buf_printf(&ignore, "%s%s", i ? "\n" : "", paths->items[i]);
    put_str(d, "/spec/ignore", ignore.data);
    ed_buf_free(&ignore);
}

/* ---- --label, checked as flux checks it (Kubernetes' rules for a label's key and value) ---- */

/* Kubernetes' words for a label name's and value's characters, and their pattern. */
#define LABEL_CHARS                                                                                \
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "    \
    "alphanumeric character"
#define LABEL_PATTERN "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"

static bool islower_or_digit(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* True when s[0, n) matches LABEL_PATTERN. */
static bool label_chars_ok(const char *s, size_t n)
{
    if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
        return false;
    for (size_t i = 1; i + 1 < n; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

/* True when s[0, n) is a lowercase RFC 1123 subdomain (dot-separated lowercase labels). */
static bool subdomain_ok(const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (i == start || !islower_or_digit(s[start]) || !islower_or_digit(s[i - 1]))
            return false;
        for (size_t j = start; j < i; j++)
            if (!islower_or_digit(s[j]) && s[j] != '-')
                return false;
        start = i + 1;
    }
    return true;
}

/* Kubernetes' complaints about a label key (qualified name) into b, space-separated; false
 * when there are any. */
static bool label_key_ok(const char *key, ed_buf *b)
{
    const char *slash = strchr(key, '/');
    if (slash && strchr(slash + 1, '/')) {
        ed_buf_append_str(b, "a valid label key " LABEL_CHARS " (e.g. 'MyName',  or 'my.name',  or "
                             "'123-abc', regex used for validation is '" LABEL_PATTERN
                             "') with an optional DNS subdomain prefix and '/' (e.g. "
                             "'example.com/MyName')");
        return false;
    }
    const char *name = slash ? slash + 1 : key;
    if (slash && slash == key) {
        ed_buf_append_str(b, "prefix part must be non-empty");
    } else if (slash) {
        size_t plen = (size_t)(slash - key);
        if (plen > 253)
            ed_buf_append_str(b, "prefix part must be no more than 253 bytes");
        if (!subdomain_ok(key, plen))
            ed_buf_printf(b,
                          "%sprefix part a lowercase RFC 1123 subdomain must consist of lower "
                          "case alphanumeric characters, '-' or '.', and must start and end "
                          "with an alphanumeric character (e.g. 'example.com', regex used for "
                          "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*"
                          "[a-z0-9])?)*')",
                          b->len ? " " : "");
    }
    size_t nlen = strlen(name);
    if (nlen == 0)
        ed_buf_printf(b, "%sname part must be non-empty", b->len ? " " : "");
    else if (nlen > 63)
        ed_buf_printf(b, "%sname part must be no more than 63 bytes", b->len ? " " : "");
    if (!label_chars_ok(name, nlen))
        ed_buf_printf(b,
                      "%sname part " LABEL_CHARS " (e.g. 'MyName',  or 'my.name',  or '123-abc', "
                      "regex used for validation is '" LABEL_PATTERN "')",
                      b->len ? " " : "");
    return b->len == 0;
}

/* The same for a label value (empty, or LABEL_PATTERN, at most 63 bytes). */
static bool label_value_ok(const char *value, ed_buf *b)
{
    size_t n = strlen(value);
    if (n > 63)
        ed_buf_append_str(b, "must be no more than 63 bytes");
    if (n > 0 && !label_chars_ok(value, n))
        ed_buf_printf(b,
                      "%sa valid label must be an empty string or consist of alphanumeric "
                      "characters, '-', '_' or '.', and must start and end with an alphanumeric "
                      "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
                      "validation is '(" LABEL_PATTERN ")?')",
                      b->len ? " " : "");
    return b->len == 0;
}

/* True when --label KEY=VALUE is one flux takes; else false after flux's error. */
static bool label_ok(const char *label)
{
    const char *eq = strchr(label, '=');
    if (!eq || strchr(eq + 1, '=')) {
        ed_cli_failure("invalid label format '%s', must be key=value", label);
        return false;
    }
    char *key = ed_xstrndup(label, (size_t)(eq - label));
    ed_buf why = ED_BUF_INIT(4096);
    bool ok = label_key_ok(key, &why);
    if (!ok)
        ed_cli_failure("invalid label '%s': [%s]", key, why.data);
    else if (!label_value_ok(eq + 1, &why))
        ed_cli_failure("invalid label value '%s': [%s]", eq + 1, why.data);
    ok = ok && why.len == 0;
    ed_buf_free(&why);
    free(key);
    return ok;
}

/* True when every --label is one flux takes; else false after flux's error for the first. */
static bool labels_ok(const ed_cli_list *labels)
{
    for (int i = 0; labels && i < labels->n; i++)
        if (!label_ok(labels->items[i]))
            return false;
    return true;
}

/* A new object of apiVersion and kind named ns/name, with --label K=V pairs. NULL after
 * printing the error for a malformed label. */
static ed_doc *new_object(const char *api_version, const char *kind, const char *ns,
                          const char *name, const ed_cli_list *labels)
{
    ed_doc *d = ed_doc_new();
    ed_doc_set_root(d, ed_node_new_map(d));
    put_str(d, "/apiVersion", api_version);
    put_str(d, "/kind", kind);
    put_str(d, "/metadata/name", name);
    put_str(d, "/metadata/namespace", ns);
    for (int i = 0; labels && i < labels->n; i++) {
        if (!label_ok(labels->items[i])) {
            ed_doc_free(d);
            return NULL;
        }
        const char *eq = strchr(labels->items[i], '=');
        char *key = ed_xstrndup(labels->items[i], (size_t)(eq - labels->items[i]));
        ed_node *map = ed_node_ensure_map(d, ed_doc_root(d), "/metadata/labels");
        ed_node_set(d, map, key, ed_node_new_str(d, eq + 1));
        free(key);
    }
    return d;
}

/* ---- printing and applying ---- */

/* Print obj as flux's --export does: "---" then the YAML. */
static int print_yaml(const ed_node *obj)
{
    ed_buf out = ED_BUF_INIT((size_t)64 << 20);
    int rc = ed_node_to_yaml(obj, &out);
    if (rc == 0) {
        fputs("---\n", stdout);
        fwrite(out.data, 1, out.len, stdout);
    } else {
        ed_cli_failure("cannot print the object as YAML");
    }
    ed_buf_free(&out);
    return rc ? 1 : 0;
}

/* Server-side apply with flux's field manager; *created tells whether it is new. */
static int apply(ed_kube *kube, const ed_node *obj, bool *created)
{
    ed_err err = ED_ERR_INIT;
    const char *api = ed_node_path_str(obj, "/apiVersion");
    const char *kind = ed_node_path_str(obj, "/kind");
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    int rc = ed_kube_get(kube, api, kind, ns, name, NULL, &err);
    if (rc && rc != ED_ENOTFOUND) {
        ed_cli_api_failure(&err);
        return 1;
    }
    *created = rc == ED_ENOTFOUND;
    ed_kube_opts o = {.field_manager = "flux", .force = true};
    if (ed_kube_apply(kube, obj, &o, NULL, &err) != 0) {
        ed_cli_failure("%s %s/%s: %s", kind, ns, name, err.msg);
        return 1;
    }
    return 0;
}

/* Merge the map at path of from into to's (created when from has one): flux's merge of the
 * new Secret's labels and annotations into the existing one's. */
static void merge_map(ed_doc *to, const ed_node *from, const char *path)
{
    const ed_node *src = ed_node_path(from, path);
    if (!src || ed_node_kind_of(src) != ED_NODE_MAP)
        return;
    ed_node *dst = ed_node_ensure_map(to, ed_doc_root(to), path);
    for (size_t i = 0; i < ed_node_len(src); i++)
        ed_node_set(to, dst, ed_node_key_at(src, i), ed_node_copy(to, ed_node_value_at(src, i)));
}

/* Create the Secret obj, or update the existing one in place as flux's upsertSecret does: its
 * stringData replaced by obj's, obj's labels and annotations merged into its own, and all else
 * (its type, its other data keys, its other labels) left as it was. */
static int upsert_secret(ed_kube *kube, const ed_node *obj)
{
    ed_err err = ED_ERR_INIT;
    const char *ns = ed_node_path_str(obj, "/metadata/namespace");
    const char *name = ed_node_path_str(obj, "/metadata/name");
    ed_kube_opts o = {.field_manager = "flux"};
    ed_doc *old = NULL;
    int rc = ed_kube_get(kube, "v1", "Secret", ns, name, &old, &err);
    if (rc == ED_ENOTFOUND) {
        rc = ed_kube_create(kube, obj, &o, NULL, &err);
    } else if (rc == 0) {
        ed_node *root = ed_doc_root(old);
        const ed_node *string_data = ed_node_get(obj, "stringData");
        if (string_data)
            ed_node_set(old, root, "stringData", ed_node_copy(old, string_data));
        merge_map(old, obj, "/metadata/annotations");
        merge_map(old, obj, "/metadata/labels");
        rc = ed_kube_update(kube, root, &o, NULL, &err);
    }
    ed_doc_free(old);
    if (rc)
        ed_cli_api_failure(&err);
    return rc ? 1 : 0;
}

/* What every create shares: --export, or apply (with an optional secret first) and wait. */
struct create_run {
    ed_cli_global g;
    bool export_only;
    const ed_cli_kind *k;
    const char *what; /* "GitRepository source", "Kustomization", ... */
    ed_doc *obj;
    ed_doc *secret;     /* or NULL */
    ed_cli_list labels; /* --label KEY=VALUE */
    const char *name;   /* the object's, or NULL when none was given */
};

/* The start of every create's output: flux's "generating <what>" line (not with --export), and
 * what finish_create applies. */
static void begin_create(struct create_run *r, const ed_cli_kind *k, const char *what)
{
    if (!r->export_only)
        ed_cli_generate("generating %s", what);
    r->k = k;
    r->what = what;
}

/* Export or apply r->obj (and r->secret); 2 when it could not be built (the error printed). */
static int finish_create(struct create_run *r)
{
    int rc = 0;
    if (!r->obj)
        return 2;
    if (r->export_only) {
        if (r->secret)
            rc = print_yaml(ed_doc_root(r->secret));
        return rc ? rc : print_yaml(ed_doc_root(r->obj));
    }
    ed_kube *kube = ed_cli_connect(&r->g);
    if (!kube)
        return 1;
    bool created = false;
    if (r->secret) {
        ed_cli_action("applying secret with repository credentials");
        rc = upsert_secret(kube, ed_doc_root(r->secret));
        if (!rc)
            ed_cli_success("authentication configured");
    }
    const char *name = ed_node_path_str(ed_doc_root(r->obj), "/metadata/name");
    if (!rc) {
        ed_cli_action("applying %s", r->what);
        rc = apply(kube, ed_doc_root(r->obj), &created);
    }
    if (!rc) {
        ed_cli_success("%s %s", r->what, created ? "created" : "updated");
        rc = ed_cli_wait_created(kube, r->k, r->g.ns, name, r->g.timeout_ms);
    }
    ed_kube_free(kube);
    return rc;
}

/* flux create's check of the new object's name: ^[a-z0-9]([a-z0-9\-]){0,61}[a-z0-9]$ (so two
 * characters at least). */
static bool valid_object_name(const char *name)
{
    size_t n = strlen(name);
    if (n < 2 || n > 63 || name[0] == '-' || name[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-'))
            return false;
    return true;
}

/* Parse a create's flags, and the ones every create takes as flux's persistent flags (--export,
 * and with labels --label into r->labels); the name is argv[0], and nothing else may stand
 * alone. */
static int parse_create(struct create_run *r, int argc, char **argv, const ed_cli_flag *flags,
                        bool labels)
{
    size_t n = 0;
    while (flags[n].name)
        n++;
    ed_cli_flag *all = ed_xcalloc(n + 3, sizeof(*all));
    memcpy(all, flags, n * sizeof(*all));
    if (labels)
        all[n++] = (ed_cli_flag){"label", 0, ED_CLI_FLAG_LIST, &r->labels};
    all[n] = (ed_cli_flag){"export", 0, ED_CLI_FLAG_BOOL, &r->export_only};
    int rc = ed_cli_parse_flags(argc, argv, all, &r->g);
    free(all);
    if (rc)
        return rc;
    /* As flux: its flag library prints a deprecated flag's notice on stdout as it reads the
     * flag (so before the YAML of --export too); the name is checked after the flags. */
    for (const ed_cli_flag *f = flags; f->name; f++)
        if (strcmp(f->name, "validation") == 0 && *(const char **)f->dst)
            printf("Flag --validation has been deprecated, this arg is no longer used, all "
                   "resources are validated using server-side apply dry-run\n");
    if (!r->name) {
        ed_cli_failure("name is required"); /* flux's words, for every create */
        return 2;
    }
    if (!valid_object_name(r->name)) {
        ed_cli_failure("name '%s' is invalid, it should adhere to standard defined in RFC 1123, "
                       "the name can only contain alphanumeric characters or '-'",
                       r->name);
        return 2;
    }
    return 0;
}

/* Whether value is one of the NULL-terminated list. */
static bool one_of(const char *value, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(value, *list) == 0)
            return true;
    return false;
}

/* ---- create source git ---- */

/* Git credentials from flags, as flux's create secret git and create source git take them. */
struct git_creds {
    const char *username, *password; /* http(s) basic auth */
    const char *key_file;            /* ssh: --private-key-file */
    const char *known_hosts_file;    /* ssh: --known-hosts-file (flux scans the host instead) */
    const char *ca_file;             /* https: --ca-file */
    const char *bearer_token;        /* http(s): create secret git --bearer-token */
};

static bool creds_given(const struct git_creds *c)
{
    return c->username || c->password || c->key_file || c->known_hosts_file || c->ca_file;
}

/* The Secret ns/name holding the credentials for url, in the keys the source controller reads
 * (username, password, identity, known_hosts, ca.crt); NULL after printing what is wrong. */
static ed_doc *git_secret(const char *ns, const char *name, const char *url,
                          const struct git_creds *c, const ed_cli_list *labels)
{
    bool ssh = ed_str_has_prefix(url, "ssh://");
    /* with a bearer token, as flux: a username without its password is left out */
    if (!c->bearer_token && (c->username != NULL) != (c->password != NULL)) {
        ed_cli_failure("--username and --password go together");
        return NULL;
    }
    if (ssh && (c->username || c->ca_file)) {
        ed_cli_failure("--username, --password and --ca-file are for http(s) URLs; an ssh URL "
                       "takes --private-key-file and --known-hosts-file");
        return NULL;
    }
    if (!ssh && (c->key_file || c->known_hosts_file)) {
        ed_cli_failure("--private-key-file and --known-hosts-file are for ssh:// URLs");
        return NULL;
    }
    if (ssh && !c->key_file) {
        ed_cli_failure("an ssh URL needs --private-key-file");
        return NULL;
    }
    char *key = c->key_file ? ed_cli_read_flag_file("private-key-file", c->key_file, NULL) : NULL;
    char *hosts = c->known_hosts_file
                      ? ed_cli_read_flag_file("known-hosts-file", c->known_hosts_file, NULL)
                      : NULL;
    char *ca = c->ca_file ? ed_cli_read_flag_file("ca-file", c->ca_file, NULL) : NULL;
    ed_doc *d = NULL;
    if ((!c->key_file || key) && (!c->known_hosts_file || hosts) && (!c->ca_file || ca)) {
        /* No type, as flux: the API server defaults it to Opaque. */
        d = new_object("v1", "Secret", ns, name, labels);
        if (c->username && c->password) {
            put_str(d, "/stringData/username", c->username);
            put_str(d, "/stringData/password", c->password);
        }
        if (!ssh) /* flux's ssh secret has no token */
            put_str(d, "/stringData/bearerToken", c->bearer_token);
        put_str(d, "/stringData/identity", key);
        put_str(d, "/stringData/known_hosts", hosts);
        put_str(d, "/stringData/ca.crt", ca);
    }
    free(key);
    free(hosts);
    free(ca);
    return d;
}

struct git_flags {
    const char *url, *branch, *tag, *semver, *commit, *ref_name, *secret_ref, *proxy_secret_ref;
    const char *provider; /* --provider: spec.provider when given */
    struct git_creds creds;
    int64_t interval_ms, fetch_timeout_ms;
    bool silent;
    ed_cli_list ignore_paths, sparse_paths;
    bool recurse_submodules;
};

static int check_git_url(const char *url)
{
    if (!url) {
        ed_cli_failure("url is required");
        return 2;
    }
    if (!ed_str_has_prefix(url, "ssh://") && !ed_str_has_prefix(url, "http://") &&
        !ed_str_has_prefix(url, "https://")) {
        const char *colon = strstr(url, "://");
        ed_cli_failure("git URL scheme '%.*s' not supported, can be: ssh, http and https",
                       colon ? (int)(colon - url) : 0, url);
        return 2;
    }
    return 0;
}

/* --provider of create source git, refused in flux's flag words (pflag's, as its Set sees the
 * value while the flags are read); eddy's agent builds generic and github only. */
static int check_git_provider(const char *provider)
{
    static const char *const providers[] = {"generic", "github", "aws", "azure", NULL};
    if (!provider)
        return 0;
    if (!*provider) {
        ed_cli_invalid_argument(provider, "--provider",
                                "no source Git provider given, please specify the Git provider "
                                "name");
        return 2;
    }
    if (!one_of(provider, providers)) {
        ed_cli_invalid_argument(provider, "--provider",
                                "source Git provider '%s' is not supported, must be one of: "
                                "generic|github|aws|azure",
                                provider);
        return 2;
    }
    if (strcmp(provider, "aws") == 0 || strcmp(provider, "azure") == 0)
        ed_cli_warning("eddy's agent authenticates Git with --secret-ref (and a GitHub App's "
                       "with provider github): a GitRepository of provider '%s' is refused by "
                       "it (Flux's source-controller serves it)",
                       provider);
    return 0;
}

static ed_doc *git_source(struct create_run *r, const char *name, const struct git_flags *f)
{
    ed_doc *d =
        new_object(ed_cli_gitrepository.api_version, "GitRepository", r->g.ns, name, &r->labels);
    if (!d)
        return NULL;
    put_str(d, "/spec/url", f->url);
    put_duration(d, "/spec/interval", f->interval_ms);
    if (f->fetch_timeout_ms > 0)
        put_duration(d, "/spec/timeout", f->fetch_timeout_ms);
    /* One ref, in flux's order: a commit (on its branch), a ref name, a semver range, a tag,
     * a branch. */
    if (f->commit) {
        put_str(d, "/spec/ref/commit", f->commit);
        put_str(d, "/spec/ref/branch", f->branch);
    } else if (f->ref_name) {
        put_str(d, "/spec/ref/name", f->ref_name);
    } else if (f->semver) {
        put_str(d, "/spec/ref/semver", f->semver);
    } else if (f->tag) {
        put_str(d, "/spec/ref/tag", f->tag);
    } else {
        put_str(d, "/spec/ref/branch", f->branch);
    }
    /* As flux: --export shows the Secret it names (--secret-ref), never one made of the
     * credentials, which only the applied object refers to. */
    const char *secret = creds_given(&f->creds) && !r->export_only ? name : f->secret_ref;
    put_str(d, "/spec/secretRef/name", secret);
    put_str(d, "/spec/proxySecretRef/name", f->proxy_secret_ref);
    put_str(d, "/spec/provider", f->provider);
    if (f->sparse_paths.n) {
        ed_node *seq = ed_node_new_seq(d);
        for (int i = 0; i < f->sparse_paths.n; i++)
            ed_node_append(d, seq, ed_node_new_str(d, f->sparse_paths.items[i]));
        ed_node_set(d, ed_node_ensure_map(d, ed_doc_root(d), "/spec"), "sparseCheckout", seq);
    }
    if (f->recurse_submodules)
        put_bool(d, "/spec/recurseSubmodules", true);
    put_ignore(d, &f->ignore_paths);
    return d;
}

static int create_source_git(struct create_run *r, const char *name, int argc, char **argv)
{
    struct git_flags f = {.interval_ms = 60000};
    const ed_cli_flag flags[] = {
        {"url", 0, ED_CLI_FLAG_STR, &f.url},
        {"branch", 0, ED_CLI_FLAG_STR, &f.branch},
        {"tag", 0, ED_CLI_FLAG_STR, &f.tag},
        {"tag-semver", 0, ED_CLI_FLAG_STR, &f.semver},
        {"semver", 0, ED_CLI_FLAG_STR, &f.semver},
        {"commit", 0, ED_CLI_FLAG_STR, &f.commit},
        {"ref-name", 0, ED_CLI_FLAG_STR, &f.ref_name},
        {"interval", 0, ED_CLI_FLAG_DURATION, &f.interval_ms},
        {"fetch-timeout", 0, ED_CLI_FLAG_DURATION, &f.fetch_timeout_ms},
        {"silent", 's', ED_CLI_FLAG_BOOL, &f.silent},
        {"secret-ref", 0, ED_CLI_FLAG_STR, &f.secret_ref},
        {"username", 'u', ED_CLI_FLAG_STR, &f.creds.username},
        {"password", 'p', ED_CLI_FLAG_STR, &f.creds.password},
        {"private-key-file", 0, ED_CLI_FLAG_STR, &f.creds.key_file},
        {"known-hosts-file", 0, ED_CLI_FLAG_STR, &f.creds.known_hosts_file},
        {"ca-file", 0, ED_CLI_FLAG_STR, &f.creds.ca_file},
        {"ignore-paths", 0, ED_CLI_FLAG_LIST, &f.ignore_paths},
        {"sparse-checkout-paths", 0, ED_CLI_FLAG_LIST, &f.sparse_paths},
        {"proxy-secret-ref", 0, ED_CLI_FLAG_STR, &f.proxy_secret_ref},
        {"recurse-submodules", 0, ED_CLI_FLAG_BOOL, &f.recurse_submodules},
        {"provider", 0, ED_CLI_FLAG_STR, &f.provider},
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    if ((rc = check_git_provider(f.provider)) != 0)
        return rc;
    if ((rc = check_git_url(f.url)) != 0)
        return rc;
    if (!f.branch && !f.tag && !f.semver && !f.commit && !f.ref_name) {
        ed_cli_failure("a Git ref is required, use one of the following: --branch, --tag, "
                       "--commit, --ref-name or --tag-semver");
        return 2;
    }
    if (creds_given(&f.creds) && f.secret_ref) {
        ed_cli_failure("--secret-ref names an existing Secret: give it or the credentials, "
                       "not both");
        return 2;
    }
    if (creds_given(&f.creds) && !(r->secret = git_secret(r->g.ns, name, f.url, &f.creds, NULL)))
        return 2;
    if (r->export_only) {
        ed_doc_free(r->secret);
        r->secret = NULL;
    } else if (f.creds.username && ed_str_has_prefix(f.url, "http://")) {
        ed_cli_warning("insecure configuration: credentials configured for an HTTP URL");
    }
    begin_create(r, &ed_cli_gitrepository, "GitRepository source");
    r->obj = git_source(r, name, &f);
    return finish_create(r);
}

/* ---- create source oci ---- */

struct oci_flags {
    const char *url, *tag, *semver, *digest, *secret_ref, *cert_ref, *proxy_secret_ref;
    const char *service_account, *provider, *verify_provider, *verify_secret_ref;
    int64_t interval_ms;
    bool insecure;
    ed_cli_list ignore_paths;
};

static int create_source_oci(struct create_run *r, const char *name, int argc, char **argv)
{
    struct oci_flags f = {.interval_ms = 60000};
    const ed_cli_flag flags[] = {
        {"url", 0, ED_CLI_FLAG_STR, &f.url},
        {"tag", 0, ED_CLI_FLAG_STR, &f.tag},
        {"tag-semver", 0, ED_CLI_FLAG_STR, &f.semver},
        {"digest", 0, ED_CLI_FLAG_STR, &f.digest},
        {"secret-ref", 0, ED_CLI_FLAG_STR, &f.secret_ref},
        {"cert-ref", 0, ED_CLI_FLAG_STR, &f.cert_ref},
        {"proxy-secret-ref", 0, ED_CLI_FLAG_STR, &f.proxy_secret_ref},
        {"service-account", 0, ED_CLI_FLAG_STR, &f.service_account},
        {"provider", 0, ED_CLI_FLAG_STR, &f.provider},
        {"verify-provider", 0, ED_CLI_FLAG_STR, &f.verify_provider},
        {"verify-secret-ref", 0, ED_CLI_FLAG_STR, &f.verify_secret_ref},
        {"insecure", 0, ED_CLI_FLAG_BOOL, &f.insecure},
        {"ignore-paths", 0, ED_CLI_FLAG_LIST, &f.ignore_paths},
        {"interval", 0, ED_CLI_FLAG_DURATION, &f.interval_ms},
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    if (!f.url) {
        ed_cli_failure("url is required");
        return 2;
    }
    if (!f.tag && !f.semver && !f.digest) {
        ed_cli_failure("--tag, --tag-semver or --digest is required");
        return 2;
    }
    /* As the controller would: say now what it will refuse. */
    ed_image_ref ref;
    ed_err err = ED_ERR_INIT;
    if (ed_oci_url_parse(f.url, &ref, &err) != 0) {
        ed_cli_failure("--url %s: %s", f.url, err.msg);
        return 2;
    }
    /* flux's checks of the verification flags, in its words. */
    if (f.verify_provider && strcmp(f.verify_provider, "cosign") != 0) {
        ed_cli_invalid_argument(f.verify_provider, "--verify-provider",
                                "source OCI verify provider '%s' is not supported, must be "
                                "one of: cosign",
                                f.verify_provider);
        return 2;
    }
    if (!f.verify_provider && f.verify_secret_ref) {
        ed_cli_failure("a verification provider must be specified when a secret is specified");
        return 2;
    }
    if (f.verify_provider && !f.verify_secret_ref)
        ed_cli_warning("eddy's agent verifies cosign signatures with public keys only "
                       "(--verify-secret-ref): keyless verification is refused by it");
    static const char *const providers[] = {"generic", "aws", "azure", "gcp", NULL};
    if (f.provider && !one_of(f.provider, providers)) {
        ed_cli_invalid_argument(f.provider, "--provider",
                                "source OCI provider '%s' is not supported, must be one of: "
                                "generic, aws, azure, gcp",
                                f.provider);
        return 2;
    }
    if (f.provider && strcmp(f.provider, "generic") != 0)
        ed_cli_warning("eddy's agent authenticates with --secret-ref only: an OCIRepository of "
                       "provider '%s' is refused by it (Flux's source-controller serves it)",
                       f.provider);
    begin_create(r, &ed_cli_ocirepository, "OCIRepository source");
    ed_doc *d =
        new_object(ed_cli_ocirepository.api_version, "OCIRepository", r->g.ns, name, &r->labels);
    if (!d)
        return 2;
    put_str(d, "/spec/url", f.url);
    put_duration(d, "/spec/interval", f.interval_ms);
    put_str(d, "/spec/ref/tag", f.tag);
    put_str(d, "/spec/ref/semver", f.semver);
    put_str(d, "/spec/ref/digest", f.digest);
    put_str(d, "/spec/secretRef/name", f.secret_ref);
    put_str(d, "/spec/certSecretRef/name", f.cert_ref);
    put_str(d, "/spec/proxySecretRef/name", f.proxy_secret_ref);
    put_str(d, "/spec/serviceAccountName", f.service_account);
    /* flux writes the provider always, generic by default. */
    put_str(d, "/spec/provider", f.provider ? f.provider : "generic");
    if (f.insecure)
        put_bool(d, "/spec/insecure", true);
    put_ignore(d, &f.ignore_paths);
    put_str(d, "/spec/verify/provider", f.verify_provider);
    put_str(d, "/spec/verify/secretRef/name", f.verify_secret_ref);
    r->obj = d;
    return finish_create(r);
}

/* ---- create kustomization ---- */

struct ks_flags {
    const char *source, *path, *target_ns, *service_account, *kubeconfig_secret_ref;
    const char *decryption_provider, *decryption_secret, *validation;
    bool prune, wait;
    int64_t interval_ms, retry_ms, hc_timeout_ms;
    ed_cli_list depends_on, health_checks;
};

/* The source kinds a Flux Kustomization may name, in flux's order (its messages list them so). */
static const char *const ks_source_kinds[] = {"OCIRepository", "GitRepository", "Bucket"};

/* kind as flux spells it ("ocirepository" -> "OCIRepository"), or NULL when not one of them. */
static const char *ks_source_kind(const char *kind, size_t len)
{
    for (size_t i = 0; i < sizeof(ks_source_kinds) / sizeof(ks_source_kinds[0]); i++)
        if (strlen(ks_source_kinds[i]) == len && strncasecmp(kind, ks_source_kinds[i], len) == 0)
            return ks_source_kinds[i];
    return NULL;
}

/*
 * --source [Kind/]name[.namespace] into spec.sourceRef, as flux's KustomizationSource reads it:
 * the kind, any case, is one of OCIRepository, GitRepository and Bucket (GitRepository when
 * left out). eddy's agent reconciles GitRepository and OCIRepository sources; a Bucket is still
 * written, so that --export produces what flux would for a cluster that runs Flux's
 * source-controller, and in eddy's cluster the Kustomization says why it is not ready (warn:
 * say so first).
 */
static int put_source_ref(ed_doc *d, const char *source, bool warn)
{
    const char *slash = strchr(source, '/');
    const char *name = slash ? slash + 1 : source;
    const char *dot = strchr(name, '.');
    size_t name_len = dot ? (size_t)(dot - name) : strlen(name);
    const char *kind = "GitRepository";
    if (slash && !(kind = ks_source_kind(source, (size_t)(slash - source)))) {
        ed_cli_invalid_argument(source, "--source",
                                "source kind '%.*s' is not supported, must be one of: "
                                "OCIRepository, GitRepository, Bucket",
                                (int)(slash - source), source);
        return 2;
    }
    if (name_len == 0) {
        ed_cli_failure("no name given for source of kind '%s'", kind);
        return 2;
    }
    if (!slash && ks_source_kind(name, name_len)) { /* --source OCIRepository: a kind alone */
        ed_cli_failure("no name given for source of kind '%.*s'", (int)name_len, name);
        return 2;
    }
    put_str(d, "/spec/sourceRef/kind", kind);
    char *n = ed_xstrndup(name, name_len);
    put_str(d, "/spec/sourceRef/name", n);
    put_str(d, "/spec/sourceRef/namespace", dot ? dot + 1 : NULL);
    free(n);
    if (warn && strcmp(kind, "GitRepository") != 0 && strcmp(kind, "OCIRepository") != 0)
        ed_cli_warning("eddy's agent reconciles GitRepository and OCIRepository sources only: in "
                       "its cluster this Kustomization stays not ready (a cluster running "
                       "Flux's source-controller serves %s)",
                       kind);
    return 0;
}

/* --health-check Kind/name.namespace into spec.healthChecks, checked as flux checks it: one
 * '/', one '.', and a kind among the workloads flux names (the Kind of a HelmRelease gets its
 * apiVersion). Prints flux's error and returns 2 on a bad one. */
static int put_health_checks(ed_doc *d, const ed_cli_list *checks)
{
    static const char *const kinds[] = {"Deployment", "DaemonSet", "StatefulSet", "HelmRelease",
                                        NULL};
    ed_node *seq = ed_node_new_seq(d);
    for (int i = 0; i < checks->n; i++) {
        const char *c = checks->items[i];
        const char *slash = strchr(c, '/');
        if (!slash || strchr(slash + 1, '/')) {
            /* flux prints the split as Go prints a slice: [a b c]. */
            char *parts = ed_xstrdup(c);
            for (char *p = parts; *p; p++)
                if (*p == '/')
                    *p = ' ';
            ed_cli_failure("invalid health check '%s' must be in the format "
                           "'kind/name.namespace' [%s]",
                           c, parts);
            free(parts);
            return 2;
        }
        char *kind = ed_xstrndup(c, (size_t)(slash - c));
        if (!one_of(kind, kinds)) {
            ed_cli_failure("invalid health check kind '%s' can be HelmRelease, Deployment, "
                           "DaemonSet or StatefulSet",
                           kind);
            free(kind);
            return 2;
        }
        const char *dot = strchr(slash, '.');
        if (!dot || strchr(dot + 1, '.')) {
            ed_cli_failure("invalid health check '%s' must be in the format "
                           "'kind/name.namespace'",
                           c);
            free(kind);
            return 2;
        }
        ed_node *m = ed_node_new_map(d);
        if (strcmp(kind, "HelmRelease") == 0)
            ed_node_set(d, m, "apiVersion", ed_node_new_str(d, "helm.toolkit.fluxcd.io/v2"));
        ed_node_set(d, m, "kind", ed_node_new_str(d, kind));
        ed_node_set(d, m, "name", ed_node_new_strn(d, slash + 1, (size_t)(dot - slash - 1)));
        ed_node_set(d, m, "namespace", ed_node_new_str(d, dot + 1));
        ed_node_append(d, seq, m);
        free(kind);
    }
    ed_node_set(d, ed_node_ensure_map(d, ed_doc_root(d), "/spec"), "healthChecks", seq);
    return 0;
}

static void put_depends_on(ed_doc *d, const ed_cli_list *deps)
{
    ed_node *seq = ed_node_new_seq(d);
    for (int i = 0; i < deps->n; i++) {
        const char *slash = strchr(deps->items[i], '/');
        ed_node *m = ed_node_new_map(d);
        ed_node_set(d, m, "name", ed_node_new_str(d, slash ? slash + 1 : deps->items[i]));
        if (slash)
            ed_node_set(d, m, "namespace",
                        ed_node_new_strn(d, deps->items[i], (size_t)(slash - deps->items[i])));
        ed_node_append(d, seq, m);
    }
    ed_node_set(d, ed_node_ensure_map(d, ed_doc_root(d), "/spec"), "dependsOn", seq);
}

static ed_doc *kustomization(struct create_run *r, const char *name, const struct ks_flags *f)
{
    ed_doc *d =
        new_object(ed_cli_kustomization.api_version, "Kustomization", r->g.ns, name, &r->labels);
    if (!d)
        return NULL;
    int rc = put_source_ref(d, f->source, !r->export_only);
    put_str(d, "/spec/path", f->path);
    put_bool(d, "/spec/prune", f->prune);
    put_duration(d, "/spec/interval", f->interval_ms);
    put_str(d, "/spec/targetNamespace", f->target_ns);
    put_str(d, "/spec/serviceAccountName", f->service_account);
    put_str(d, "/spec/kubeConfig/secretRef/name", f->kubeconfig_secret_ref);
    /* As flux: --wait (which checks every object) or --health-check set the timeout to
     * --health-check-timeout (default 2m); the health checks are left out with --wait. */
    if (f->wait)
        put_bool(d, "/spec/wait", true);
    if (f->wait || f->health_checks.n)
        put_duration(d, "/spec/timeout", f->hc_timeout_ms);
    if (f->decryption_provider && *f->decryption_provider) {
        put_str(d, "/spec/decryption/provider", f->decryption_provider);
        put_str(d, "/spec/decryption/secretRef/name", f->decryption_secret);
    }
    if (f->retry_ms)
        put_duration(d, "/spec/retryInterval", f->retry_ms);
    if (f->depends_on.n)
        put_depends_on(d, &f->depends_on);
    if (!rc && f->health_checks.n && !f->wait)
        rc = put_health_checks(d, &f->health_checks);
    if (rc) {
        ed_doc_free(d);
        return NULL;
    }
    return d;
}

static int create_kustomization(struct create_run *r, const char *name, int argc, char **argv)
{
    struct ks_flags f = {.path = "./", .interval_ms = 60000, .hc_timeout_ms = 120000};
    const ed_cli_flag flags[] = {
        {"source", 0, ED_CLI_FLAG_STR, &f.source},
        {"path", 0, ED_CLI_FLAG_STR, &f.path},
        {"prune", 0, ED_CLI_FLAG_BOOL, &f.prune},
        {"wait", 0, ED_CLI_FLAG_BOOL, &f.wait},
        {"interval", 0, ED_CLI_FLAG_DURATION, &f.interval_ms},
        {"retry-interval", 0, ED_CLI_FLAG_DURATION, &f.retry_ms},
        {"health-check-timeout", 0, ED_CLI_FLAG_DURATION, &f.hc_timeout_ms},
        {"target-namespace", 0, ED_CLI_FLAG_STR, &f.target_ns},
        {"service-account", 0, ED_CLI_FLAG_STR, &f.service_account},
        {"kubeconfig-secret-ref", 0, ED_CLI_FLAG_STR, &f.kubeconfig_secret_ref},
        {"decryption-provider", 0, ED_CLI_FLAG_STR, &f.decryption_provider},
        {"decryption-secret", 0, ED_CLI_FLAG_STR, &f.decryption_secret},
        {"validation", 0, ED_CLI_FLAG_STR, &f.validation},
        {"depends-on", 0, ED_CLI_FLAG_LIST, &f.depends_on},
        {"health-check", 0, ED_CLI_FLAG_LIST, &f.health_checks},
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    if (!f.source) {
        ed_cli_failure("source is required");
        return 2;
    }
    if (f.decryption_provider && *f.decryption_provider &&
        strcmp(f.decryption_provider, "sops") != 0) {
        ed_cli_invalid_argument(f.decryption_provider, "--decryption-provider",
                                "unsupported decryption provider '%s', must be one of: sops",
                                f.decryption_provider);
        return 2;
    }
    if (!ed_str_has_prefix(f.path, "./") && strcmp(f.path, ".") != 0) {
        ed_cli_failure("--path \"%s\": a path relative to the source's root, starting with ./",
                       f.path);
        return 2;
    }
    begin_create(r, &ed_cli_kustomization, "Kustomization");
    r->obj = kustomization(r, name, &f);
    return finish_create(r);
}

/* ---- create image repository|policy|update ---- */

static int create_image_repository(struct create_run *r, const char *name, int argc, char **argv)
{
    const char *image = NULL, *secret = NULL;
    bool insecure = false;
    int64_t interval = 60000;
    ed_cli_list exclusions = {0};
    const ed_cli_flag flags[] = {
        {"image", 0, ED_CLI_FLAG_STR, &image},
        {"secret-ref", 0, ED_CLI_FLAG_STR, &secret},
        {"interval", 0, ED_CLI_FLAG_DURATION, &interval},
        {"exclusion-list", 0, ED_CLI_FLAG_LIST, &exclusions},
        {"insecure", 0, ED_CLI_FLAG_BOOL, &insecure},
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    if (!image) {
        ed_cli_failure("an image repository (--image) is required");
        return 2;
    }
    if (strchr(image, '@') || (strrchr(image, ':') && !strchr(strrchr(image, ':'), '/'))) {
        ed_cli_failure("--image %s: give the repository without a tag or digest", image);
        return 2;
    }
    ed_doc *d = new_object(ed_cli_imagerepository.api_version, "ImageRepository", r->g.ns, name,
                           &r->labels);
    if (!d)
        return 2;
    put_str(d, "/spec/image", image);
    put_duration(d, "/spec/interval", interval);
    put_str(d, "/spec/secretRef/name", secret);
    if (insecure)
        put_bool(d, "/spec/insecure", true);
    if (exclusions.n) {
        ed_node *seq = ed_node_new_seq(d);
        for (int i = 0; i < exclusions.n; i++)
            ed_node_append(d, seq, ed_node_new_str(d, exclusions.items[i]));
        ed_node_set(d, ed_node_get(ed_doc_root(d), "spec"), "exclusionList", seq);
    }
    begin_create(r, &ed_cli_imagerepository, "ImageRepository");
    r->obj = d;
    return finish_create(r);
}

static int check_order(const char *flag, const char *order)
{
    if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
        ed_cli_failure("--%s must be one of [\"asc\", \"desc\"]", flag);
        return 2;
    }
    return 0;
}

static int create_image_policy(struct create_run *r, const char *name, int argc, char **argv)
{
    const char *ref = NULL, *semver = NULL, *alpha = NULL, *numeric = NULL, *regex = NULL,
               *extract = NULL, *reflect = NULL;
    int64_t interval = 0; /* flux's own default here: none */
    const ed_cli_flag flags[] = {
        {"image-ref", 0, ED_CLI_FLAG_STR, &ref},
        {"reflect-digest", 0, ED_CLI_FLAG_STR, &reflect},
        {"interval", 0, ED_CLI_FLAG_DURATION, &interval},
        {"select-semver", 0, ED_CLI_FLAG_STR, &semver},
        {"select-alpha", 0, ED_CLI_FLAG_STR, &alpha},
        {"select-numeric", 0, ED_CLI_FLAG_STR, &numeric},
        {"filter-regex", 0, ED_CLI_FLAG_STR, &regex},
        {"filter-extract", 0, ED_CLI_FLAG_STR, &extract},
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    if (!ref) {
        ed_cli_failure("the name of an ImageRepository in the namespace is required (--image-ref)");
        return 2;
    }
    /* flux's checks, in its order and words. Two rules at once are refused (flux, by a quirk
     * of its switch, lets semver with another rule through and writes no policy at all). */
    if ((semver != NULL) + (alpha != NULL) + (numeric != NULL) > 1) {
        ed_cli_failure("only one of --select-semver, --select-alpha or --select-numeric can be "
                       "specified");
        return 2;
    }
    if (check_order("select-alpha", alpha) || check_order("select-numeric", numeric))
        return 2;
    if (!semver && !alpha && !numeric) {
        ed_cli_failure("a policy must be provided with either --select-semver or --select-alpha");
        return 2;
    }
    if (regex) {
        /* (the tag filter compiles it, as the controller will, on no tags) */
        ed_err err = ED_ERR_INIT;
        size_t none = 0;
        if (ed_oci_tags_filter(NULL, &none, NULL, regex, &err) != 0) {
            ed_cli_failure("--filter-regex is an invalid regex pattern");
            return 2;
        }
    } else if (extract) {
        ed_cli_failure("cannot specify --filter-extract without specifying --filter-regex");
        return 2;
    }
    if (reflect && strcmp(reflect, "Never") != 0 && strcmp(reflect, "IfNotPresent") != 0 &&
        strcmp(reflect, "Always") != 0) {
        ed_cli_failure("invalid value for --reflect-digest, must be one of 'Never', "
                       "'IfNotPresent', 'Always'");
        return 2;
    }
    if (interval && !(reflect && strcmp(reflect, "Always") == 0)) {
        ed_cli_failure("the --interval flag can only be used with the 'Always' digest reflection "
                       "policy, use --reflect-digest=Always");
        return 2;
    }
    ed_doc *d =
        new_object(ed_cli_imagepolicy.api_version, "ImagePolicy", r->g.ns, name, &r->labels);
    if (!d)
        return 2;
    put_str(d, "/spec/imageRepositoryRef/name", ref);
    put_str(d, "/spec/policy/semver/range", semver);
    put_str(d, "/spec/policy/alphabetical/order", alpha);
    put_str(d, "/spec/policy/numerical/order", numeric);
    put_str(d, "/spec/filterTags/pattern", regex);
    put_str(d, "/spec/filterTags/extract", extract);
    put_str(d, "/spec/digestReflectionPolicy", reflect);
    /* --interval is when an Always policy asks for the digest again; the CRD wants it then
     * and refuses it otherwise. flux writes none unless given, which the API server refuses
     * with Always: eddy writes 1m then (a deliberate difference). */
    if (reflect && strcmp(reflect, "Always") == 0)
        put_duration(d, "/spec/interval", interval ? interval : 60000);
    begin_create(r, &ed_cli_imagepolicy, "ImagePolicy");
    r->obj = d;
    return finish_create(r);
}

static int create_image_update(struct create_run *r, const char *name, int argc, char **argv)
{
    const char *repo = NULL, *repo_ns = NULL, *checkout = NULL, *push = NULL, *author_name = NULL,
               *author_email = NULL, *tmpl = NULL, *path = NULL;
    int64_t interval = 60000;
    const ed_cli_flag flags[] = {
        {"git-repo-ref", 0, ED_CLI_FLAG_STR, &repo},
        {"git-repo-namespace", 0, ED_CLI_FLAG_STR, &repo_ns},
        {"checkout-branch", 0, ED_CLI_FLAG_STR, &checkout},
        {"push-branch", 0, ED_CLI_FLAG_STR, &push},
        {"author-name", 0, ED_CLI_FLAG_STR, &author_name},
        {"author-email", 0, ED_CLI_FLAG_STR, &author_email},
        {"commit-template", 0, ED_CLI_FLAG_STR, &tmpl},
        {"git-repo-path", 0, ED_CLI_FLAG_STR, &path},
        {"interval", 0, ED_CLI_FLAG_DURATION, &interval},
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    /* flux's checks, in its order and words */
    const char *missing = !repo ? "a reference to a GitRepository is required (--git-repo-ref)"
                          : !checkout ? "the Git repository branch is required (--checkout-branch)"
                          : !author_name  ? "the author name is required (--author-name)"
                          : !author_email ? "the author email is required (--author-email)"
                                          : NULL;
    if (missing) {
        ed_cli_failure("%s", missing);
        return 2;
    }
    ed_doc *d = new_object(ed_cli_imageupdate.api_version, "ImageUpdateAutomation", r->g.ns, name,
                           &r->labels);
    if (!d)
        return 2;
    put_str(d, "/spec/sourceRef/kind", "GitRepository");
    put_str(d, "/spec/sourceRef/name", repo);
    put_str(d, "/spec/sourceRef/namespace", repo_ns);
    put_str(d, "/spec/git/checkout/ref/branch", checkout);
    put_str(d, "/spec/git/commit/author/name", author_name);
    put_str(d, "/spec/git/commit/author/email", author_email);
    put_str(d, "/spec/git/commit/messageTemplate", tmpl);
    put_str(d, "/spec/git/push/branch", push);
    put_duration(d, "/spec/interval", interval);
    /* As flux: no update strategy unless --git-repo-path (the controller's default is the
     * root with Setters). */
    if (path) {
        put_str(d, "/spec/update/path", path);
        put_str(d, "/spec/update/strategy", "Setters");
    }
    begin_create(r, &ed_cli_imageupdate, "ImageUpdateAutomation");
    r->obj = d;
    return finish_create(r);
}

/* ---- create secret: what the kinds share ---- */

/* The flags every create secret takes beside its own: --interval, a persistent flag of flux's
 * create, read and not used. */
#define SECRET_FLAGS(interval)                                                                     \
    {                                                                                              \
        "interval", 0, ED_CLI_FLAG_DURATION, (interval)                                            \
    }

/* A file a secret's flag names, read as flux's os.ReadFile; NULL after flux's message
 * ("<what>: open PATH: no such file or directory"). An empty path or file reads as none. */
static char *secret_file(const char *path, const char *what, size_t *len, bool *failed)
{
    *len = 0;
    if (!path || !*path)
        return NULL;
    struct stat st;
    bool dir = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
    char *data = dir ? NULL : ed_file_read(path, (size_t)1 << 20, len);
    if (dir)
        errno = EISDIR; /* Go opens it, and its read fails */
    if (!data) {
        *failed = true;
        if (errno == EFBIG) {
            ed_cli_failure("%s: %s: larger than 1 MiB", what, path);
        } else {
            /* Go's syscall error text: strerror's, lowercased */
            char why[256];
            snprintf(why, sizeof(why), "%s", strerror(errno));
            why[0] = (char)tolower((unsigned char)why[0]);
            ed_cli_failure("%s: %s %s: %s", what, errno == EISDIR ? "read" : "open", path, why);
        }
        return NULL;
    }
    if (*len == 0) {
        free(data);
        return NULL;
    }
    return data;
}

/* A TLS Secret's keys as Flux's secret factory writes them (tls.crt and tls.key for a client
 * pair, type kubernetes.io/tls; or ca.crt alone, type Opaque; ca.crt beside either): 0, or 2
 * after flux's message for a half pair, neither a pair nor a CA, or a pair that does not fit. */
static int put_tls(ed_doc *d, const char *crt, size_t crt_len, const char *key, size_t key_len,
                   const char *ca)
{
    if ((crt != NULL) != (key != NULL)) {
        ed_cli_failure(crt ? "found certificate but missing private key"
                           : "found private key but missing certificate");
        return 2;
    }
    if (!crt && !ca) {
        ed_cli_failure("no CA certificate or client certificate pair found");
        return 2;
    }
    ed_err err = ED_ERR_INIT;
    if (crt && ed_source_tls_pair_check(crt, crt_len, key, key_len, &err) != 0) {
        ed_cli_failure("invalid TLS certificate and key pair: %s", err.msg);
        return 2;
    }
    put_str(d, "/stringData/tls.crt", crt);
    put_str(d, "/stringData/tls.key", key);
    put_str(d, "/stringData/ca.crt", ca);
    put_str(d, "/type", crt ? "kubernetes.io/tls" : "Opaque");
    return 0;
}

/* Export or apply a secret made by create secret KIND, as flux: its YAML after "---" (and,
 * but for tls, the empty line of flux's Println), or the Secret applied and flux's line. */
static int finish_secret(struct create_run *r, ed_doc *d, const char *kind)
{
    int rc;
    if (r->export_only) {
        rc = print_yaml(ed_doc_root(d));
        if (!rc && strcmp(kind, "tls") != 0)
            putchar('\n');
        return rc;
    }
    ed_kube *kube = ed_cli_connect(&r->g);
    rc = kube ? upsert_secret(kube, ed_doc_root(d)) : 1;
    if (!rc) /* flux says created, whether it was or not */
        ed_cli_action("%s secret '%s' created in '%s' namespace", kind, r->name, r->g.ns);
    ed_kube_free(kube);
    return rc;
}

/* ---- create secret git ---- */

static int create_secret_git(struct create_run *r, const char *name, int argc, char **argv)
{
    const char *url = NULL;
    struct git_creds c = {0};
    int64_t interval = 0;
    const ed_cli_flag flags[] = {
        {"url", 0, ED_CLI_FLAG_STR, &url},
        {"username", 'u', ED_CLI_FLAG_STR, &c.username},
        {"password", 'p', ED_CLI_FLAG_STR, &c.password},
        {"private-key-file", 0, ED_CLI_FLAG_STR, &c.key_file},
        {"known-hosts-file", 0, ED_CLI_FLAG_STR, &c.known_hosts_file},
        {"ca-crt-file", 0, ED_CLI_FLAG_STR, &c.ca_file},
        {"bearer-token", 0, ED_CLI_FLAG_STR, &c.bearer_token},
        SECRET_FLAGS(&interval),
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    if (url && !labels_ok(&r->labels)) /* flux reads the labels right after the URL */
        return 2;
    if ((rc = check_git_url(url)) != 0)
        return rc;
    if (c.bearer_token && !*c.bearer_token)
        c.bearer_token = NULL; /* flux's empty string: none */
    bool basic = c.username && *c.username && c.password && *c.password;
    if (!ed_str_has_prefix(url, "ssh://") && !basic && !c.bearer_token) {
        ed_cli_failure("for Git over HTTP/S the username and password, or a bearer token is "
                       "required");
        return 2;
    }
    if (!ed_str_has_prefix(url, "ssh://") && basic && c.bearer_token) {
        ed_cli_failure("user credentials and bearer token cannot be used together");
        return 2;
    }
    ed_doc *d = git_secret(r->g.ns, name, url, &c, &r->labels);
    if (!d)
        return 2;
    rc = finish_secret(r, d, "git");
    ed_doc_free(d);
    return rc;
}

/* ---- create secret tls|oci|proxy|helm ---- */

/* The files of a client pair and a CA, as flux's secret tls and helm read them. */
struct tls_files {
    char *crt, *key, *ca;
    size_t crt_len, key_len, ca_len;
};

/* Read those given (NULL names none), in flux's order and words; false after a failure
 * (reported). Free with tls_files_free either way. */
static bool tls_files_read(struct tls_files *f, const char *crt_file, const char *key_file,
                           const char *ca_file)
{
    memset(f, 0, sizeof(*f));
    bool failed = false;
    f->ca = secret_file(ca_file, "unable to read TLS CA file", &f->ca_len, &failed);
    if (!failed)
        f->crt = secret_file(crt_file, "failed to read cert file", &f->crt_len, &failed);
    if (!failed)
        f->key = secret_file(key_file, "failed to read key file", &f->key_len, &failed);
    return !failed;
}

static void tls_files_free(struct tls_files *f)
{
    free(f->ca);
    free(f->crt);
    if (f->key)
        explicit_bzero(f->key, f->key_len); /* a private key: not left in freed memory */
    free(f->key);
}

static int create_secret_tls(struct create_run *r, int argc, char **argv)
{
    const char *crt_file = NULL, *key_file = NULL, *ca_file = NULL;
    int64_t interval = 0;
    const ed_cli_flag flags[] = {
        {"tls-crt-file", 0, ED_CLI_FLAG_STR, &crt_file},
        {"tls-key-file", 0, ED_CLI_FLAG_STR, &key_file},
        {"ca-crt-file", 0, ED_CLI_FLAG_STR, &ca_file},
        SECRET_FLAGS(&interval),
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc || !labels_ok(&r->labels))
        return rc ? rc : 2;
    struct tls_files f;
    bool failed = !tls_files_read(&f, crt_file, key_file, ca_file);
    ed_doc *d = failed ? NULL : new_object("v1", "Secret", r->g.ns, r->name, &r->labels);
    rc = d ? put_tls(d, f.crt, f.crt_len, f.key, f.key_len, f.ca) : 2;
    if (!rc)
        rc = finish_secret(r, d, "tls");
    ed_doc_free(d);
    tls_files_free(&f);
    return rc;
}

/* go-containerregistry's check of a tag ([A-Za-z0-9_.-], 1 to 128) and of a repository name
 * ([a-z0-9_./-], 2 to 255) after an optional registry (the part before the first '/' when it
 * holds a '.' or a ':', a URI authority). */
static bool oci_name_ok(const char *s, size_t n)
{
    const char *slash = memchr(s, '/', n);
    if (slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':', (size_t)(slash - s)))) {
        for (const char *p = s; p < slash; p++)
            if (!isalnum((unsigned char)*p) && !strchr(".-_:[]~", *p))
                return false;
        n -= (size_t)(slash + 1 - s);
        s = slash + 1;
    }
    if (n < 2 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && !strchr("_-./", s[i]))
            return false;
    return true;
}

static bool oci_tag_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_-.", s[i]))
            return false;
    return true;
}

/* go-containerregistry's name.ParseReference, as flux's create secret oci checks --url: a
 * name with an optional ":tag" (a last ':' with no '/' after it), or a name (and tag) with
 * "@sha256:<64 hex>". */
static bool oci_reference_ok(const char *url)
{
    const char *at = strchr(url, '@');
    size_t n = at ? (size_t)(at - url) : strlen(url);
    if (at) {
        const char *digest = at + 1;
        if (strchr(digest, '@') || !ed_str_has_prefix(digest, "sha256:") ||
            strlen(digest) != 7 + 64 || strspn(digest + 7, "0123456789abcdef") != 64)
            return false;
    }
    char *base = ed_xstrndup(url, n);
    char *colon = strrchr(base, ':');
    bool ok = true;
    if (colon && !strchr(colon, '/')) {
        ok = oci_tag_ok(colon + 1);
        *colon = '\0';
    }
    ok = ok && oci_name_ok(base, strlen(base));
    free(base);
    return ok;
}

static int create_secret_oci(struct create_run *r, int argc, char **argv)
{
    const char *url = NULL, *username = NULL, *password = NULL;
    int64_t interval = 0;
    const ed_cli_flag flags[] = {
        {"url", 0, ED_CLI_FLAG_STR, &url},
        {"username", 'u', ED_CLI_FLAG_STR, &username},
        {"password", 'p', ED_CLI_FLAG_STR, &password},
        SECRET_FLAGS(&interval),
        {NULL, 0, 0, NULL},
    };
    /* As flux's: --label is taken and not used (its oci secret has no labels). */
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    const char *missing = !url || !*url             ? "--url"
                          : !username || !*username ? "--username"
                          : !password || !*password ? "--password"
                                                    : NULL;
    if (missing) {
        ed_cli_failure("%s is required", missing);
        return 2;
    }
    if (!oci_reference_ok(url)) {
        ed_cli_failure("error parsing url: 'could not parse reference: %s'", url);
        return 2;
    }
    /* The Docker config as Flux's factory writes it: Go's json.MarshalIndent of
     * {"auths": {URL: {"username", "password", "auth": base64(user:password)}}}. */
    char *cred = ed_xasprintf("%s:%s", username, password);
    char *auth = ed_base64_encode(cred, strlen(cred));
    ed_buf json = ED_BUF_INIT((size_t)4 << 20);
    ed_buf_append_str(&json, "{\n  \"auths\": {\n    ");
    ed_image_json_quote(&json, url);
    ed_buf_append_str(&json, ": {\n      \"username\": ");
    ed_image_json_quote(&json, username);
    ed_buf_append_str(&json, ",\n      \"password\": ");
    ed_image_json_quote(&json, password);
    ed_buf_printf(&json, ",\n      \"auth\": \"%s\"\n    }\n  }\n}", auth);
    ed_doc *d = new_object("v1", "Secret", r->g.ns, r->name, NULL);
    put_str(d, "/stringData/.dockerconfigjson", json.data);
    put_str(d, "/type", "kubernetes.io/dockerconfigjson");
    rc = finish_secret(r, d, "oci");
    ed_doc_free(d);
    explicit_bzero(cred, strlen(cred));
    free(cred);
    free(auth);
    ed_buf_free(&json);
    return rc;
}

/* A byte Go's url.Parse takes unescaped in a host name (net/url's shouldEscape in its host
 * mode; bytes past ASCII are taken too). */
static bool go_host_byte(unsigned char c)
{
    return c >= 0x80 || isalnum(c) || strchr("-_.~!$&'()*+,;=:[]<>\"%", c);
}

/* Go's url.Parse refusals of a proxy address (which flux's factory then reports), into why
 * (cap bytes): a control character, no scheme before a ':', a ':' in the first segment of a
 * relative address, a port that is not digits, a host name byte that must be escaped. False
 * when Go takes it. (IPv6 literals and escapes in brackets are taken as given.) */
static bool url_parse_refused(const char *s, char *why, size_t cap)
{
    size_t n = strcspn(s, "#?"); /* the fragment and the query go first */
    for (const char *p = s; p < s + strcspn(s, "#"); p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            snprintf(why, cap, "net/url: invalid control character in URL");
            return true;
        }
    size_t scheme = 0;
    while (scheme < n && isalpha((unsigned char)s[scheme]))
        scheme++;
    while (scheme > 0 && scheme < n &&
           (isalnum((unsigned char)s[scheme]) || strchr("+-.", s[scheme])))
        scheme++;
    if (n > 0 && s[0] == ':') {
        snprintf(why, cap, "missing protocol scheme");
        return true;
    }
    const char *rest = s;
    if (scheme > 0 && scheme < n && s[scheme] == ':')
        rest = s + scheme + 1;
    else
        scheme = 0; /* no scheme: a path */
    size_t rlen = n - (size_t)(rest - s);
    size_t seg = strcspn(rest, "/");
    if (!scheme && memchr(rest, ':', seg < rlen ? seg : rlen)) {
        snprintf(why, cap, "first path segment in URL cannot contain colon");
        return true;
    }
    if (rlen < 2 || strncmp(rest, "//", 2) != 0)
        return false; /* an opaque URL or a path: no host to check */
    const char *auth = rest + 2;
    size_t alen = strcspn(auth, "/");
    if (alen > rlen - 2)
        alen = rlen - 2;
    const char *host = auth;
    for (const char *p = auth; p < auth + alen; p++)
        if (*p == '@')
            host = p + 1;
    size_t hlen = alen - (size_t)(host - auth);
    if (hlen > 0 && host[0] == '[')
        return false;
    const char *colon = NULL;
    for (const char *p = host; p < host + hlen; p++)
        if (*p == ':')
            colon = p;
    if (colon) {
        size_t plen = hlen - (size_t)(colon - host);
        if (strspn(colon + 1, "0123456789") < plen - 1) {
            char *port = ed_xstrndup(colon, plen);
            char *q = ed_cli_quoted(port);
            snprintf(why, cap, "invalid port %s after host", q);
            free(q);
            free(port);
            return true;
        }
    }
    for (const char *p = host; p < host + hlen; p++) {
        /* an escape in a host name is of a byte past ASCII, or %25 */
        bool hex =
            p + 2 < host + hlen && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]);
        if (*p == '%' && (!hex || (p[1] < '8' && strncmp(p, "%25", 3) != 0))) {
            int elen = (int)(host + hlen - p < 3 ? host + hlen - p : 3);
            char *e = ed_xstrndup(p, (size_t)elen), *q = ed_cli_quoted(e);
            snprintf(why, cap, "invalid URL escape %s", q);
            free(q);
            free(e);
            return true;
        }
        if (!go_host_byte((unsigned char)*p)) {
            char c[2] = {*p, '\0'};
            char *q = ed_cli_quoted(c);
            snprintf(why, cap, "invalid character %s in host name", q);
            free(q);
            return true;
        }
    }
    return false;
}

static int create_secret_proxy(struct create_run *r, int argc, char **argv)
{
    const char *address = NULL, *username = NULL, *password = NULL;
    int64_t interval = 0;
    const ed_cli_flag flags[] = {
        {"address", 0, ED_CLI_FLAG_STR, &address},
        {"username", 'u', ED_CLI_FLAG_STR, &username},
        {"password", 'p', ED_CLI_FLAG_STR, &password},
        SECRET_FLAGS(&interval),
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc || !labels_ok(&r->labels))
        return rc ? rc : 2;
    if (!address || !*address) {
        ed_cli_failure("address is required");
        return 2;
    }
    char refusal[256];
    if (url_parse_refused(address, refusal, sizeof(refusal))) {
        char *without_fragment = ed_xstrndup(address, strcspn(address, "#"));
        char *q = ed_cli_quoted(without_fragment);
        free(without_fragment);
        ed_cli_failure("invalid proxy address: parse %s: %s", q, refusal);
        free(q);
        return 2;
    }
    ed_doc *d = new_object("v1", "Secret", r->g.ns, r->name, &r->labels);
    put_str(d, "/stringData/address", address);
    put_str(d, "/stringData/username", username);
    put_str(d, "/stringData/password", password);
    put_str(d, "/type", "Opaque");
    rc = finish_secret(r, d, "proxy");
    ed_doc_free(d);
    return rc;
}

static int create_secret_helm(struct create_run *r, int argc, char **argv)
{
    const char *username = NULL, *password = NULL;
    const char *crt_file = NULL, *key_file = NULL, *ca_file = NULL;
    int64_t interval = 0;
    const ed_cli_flag flags[] = {
        {"username", 'u', ED_CLI_FLAG_STR, &username},
        {"password", 'p', ED_CLI_FLAG_STR, &password},
        {"tls-crt-file", 0, ED_CLI_FLAG_STR, &crt_file},
        {"tls-key-file", 0, ED_CLI_FLAG_STR, &key_file},
        {"ca-crt-file", 0, ED_CLI_FLAG_STR, &ca_file},
        SECRET_FLAGS(&interval),
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc || !labels_ok(&r->labels))
        return rc ? rc : 2;
    struct tls_files f;
    bool failed = !tls_files_read(&f, crt_file, key_file, ca_file);
    ed_doc *d = failed ? NULL : new_object("v1", "Secret", r->g.ns, r->name, &r->labels);
    bool basic = (username && *username) || (password && *password);
    rc = d ? 0 : 2;
    /* Flux's order: a client pair (then the username and password are left out), basic auth
     * (with the CA beside it), a CA alone, or an empty Secret with no type. */
    if (!rc && (f.crt || f.key)) {
        rc = put_tls(d, f.crt, f.crt_len, f.key, f.key_len, f.ca);
    } else if (!rc && basic) {
        if (!username || !*username || !password || !*password) {
            ed_cli_failure("%s is required", !username || !*username ? "username" : "password");
            rc = 2;
        }
        put_str(d, "/stringData/username", username);
        put_str(d, "/stringData/password", password);
        put_str(d, "/stringData/ca.crt", f.ca);
        put_str(d, "/type", "kubernetes.io/basic-auth");
    } else if (!rc && f.ca) {
        rc = put_tls(d, NULL, 0, NULL, 0, f.ca);
    } /* else none: an empty Secret (Go's omitempty leaves out its empty stringData) */
    if (!rc)
        rc = finish_secret(r, d, "helm");
    ed_doc_free(d);
    tls_files_free(&f);
    return rc;
}

/* ---- create secret notation ---- */

/* Go's filepath.Base. */
static char *go_base(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return ed_xstrdup(".");
    const char *start = path + n;
    while (start > path && start[-1] != '/')
        start--;
    if (start == path + n) /* the path was slashes only */
        return ed_xstrdup("/");
    return ed_xstrndup(start, (size_t)(path + n - start));
}

/* The Secret Notation's verifier reads, as flux's create secret notation makes it: the trust
 * policy (checked as flux checks it) under trustpolicy.json and each CA certificate under its
 * file's name (.crt or .pem), no type. */
static int create_secret_notation(struct create_run *r, int argc, char **argv)
{
    const char *policy_file = NULL;
    ed_cli_list ca_files = {0};
    int64_t interval = 0;
    const ed_cli_flag flags[] = {
        {"trust-policy-file", 0, ED_CLI_FLAG_STR, &policy_file},
        {"ca-cert-file", 0, ED_CLI_FLAG_SLICE, &ca_files},
        SECRET_FLAGS(&interval),
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    if (ca_files.n == 0) {
        ed_cli_failure("--ca-cert-file is required");
        return 2;
    }
    if (!policy_file || !*policy_file) {
        ed_cli_failure("--trust-policy-file is required");
        return 2;
    }
    if (!labels_ok(&r->labels))
        return 2;
    size_t policy_len = 0;
    bool failed = false;
    char *policy =
        secret_file(policy_file, "unable to read trust policy file", &policy_len, &failed);
    if (failed)
        return 2;
    char *error = NULL;
    if (ed_cli_trust_policy_check(policy ? policy : "", policy_len, policy_file, &error) != 0) {
        ed_cli_failure("%s", error);
        free(error);
        free(policy);
        return 2;
    }
    /* Each file's error, joined as Go's errors.Join does (one a line). */
    ed_buf errors = ED_BUF_INIT((size_t)1 << 20);
    ed_doc *d = new_object("v1", "Secret", r->g.ns, r->name, &r->labels);
    ed_node *data = ed_node_ensure_map(d, ed_doc_root(d), "/stringData");
    for (int i = 0; i < ca_files.n; i++) {
        char *base = go_base(ca_files.items[i]);
        size_t len = strlen(base);
        if ((len < 4 || strcmp(base + len - 4, ".crt") != 0) &&
            (len < 4 || strcmp(base + len - 4, ".pem") != 0)) {
            ed_buf_printf(&errors, "%s%s must end with either .crt or .pem", errors.len ? "\n" : "",
                          base);
        } else {
            size_t ca_len = 0;
            struct stat st;
            bool dir = stat(ca_files.items[i], &st) == 0 && S_ISDIR(st.st_mode);
            char *ca = dir ? NULL : ed_file_read(ca_files.items[i], (size_t)1 << 20, &ca_len);
            if (dir)
                errno = EISDIR; /* Go opens it, and its read fails */
            if (!ca) {
                char why[256];
                snprintf(why, sizeof(why), "%s",
                         errno == EFBIG ? "file too large" : strerror(errno));
                why[0] = (char)tolower((unsigned char)why[0]); /* Go's syscall words */
                ed_buf_printf(&errors, "%sunable to read TLS CA file: %s %s: %s",
                              errors.len ? "\n" : "", errno == EISDIR ? "read" : "open",
                              ca_files.items[i], why);
            } else {
                ed_node_set(d, data, base, ed_node_new_strn(d, ca, ca_len));
                free(ca);
            }
        }
        free(base);
    }
    if (errors.len) {
        ed_cli_failure("%s", errors.data);
        rc = 2;
    } else if (ed_node_len(data) == 0) {
        ed_cli_failure("no CA certs found");
        rc = 2;
    } else {
        ed_node_set(d, data, "trustpolicy.json",
                    ed_node_new_strn(d, policy ? policy : "", policy_len));
        rc = finish_secret(r, d, "notation configuration");
    }
    ed_buf_free(&errors);
    ed_doc_free(d);
    free(policy);
    return rc;
}

/* The kind of "secret KIND" at the start of words ("git", "tls", "oci", "proxy", "helm",
 * "githubapp"), or NULL. */
static const char *secret_kind(char **words, int nwords)
{
    static const char *const kinds[] = {"git",  "tls",       "oci",      "proxy",
                                        "helm", "githubapp", "notation", NULL};
    if (nwords < 2 || strcmp(words[0], "secret") != 0)
        return NULL;
    for (int i = 0; kinds[i]; i++)
        if (strcmp(words[1], kinds[i]) == 0)
            return kinds[i];
    return NULL;
}

/* ---- create secret githubapp ---- */

/* The GitHub App Secret a GitRepository of provider github reads, as flux's create secret
 * githubapp makes it: the App ID and private key, exactly one of the installation owner or
 * ID, optionally the API's base URL (GitHub Enterprise); type Opaque, keys in flux's order. */
static int create_secret_githubapp(struct create_run *r, int argc, char **argv)
{
    const char *app_id = NULL, *owner = NULL, *installation_id = NULL, *key_file = NULL,
               *base_url = NULL;
    int64_t interval = 0;
    const ed_cli_flag flags[] = {
        {"app-id", 0, ED_CLI_FLAG_STR, &app_id},
        {"app-installation-owner", 0, ED_CLI_FLAG_STR, &owner},
        {"app-installation-id", 0, ED_CLI_FLAG_STR, &installation_id},
        {"app-private-key", 0, ED_CLI_FLAG_STR, &key_file},
        {"app-base-url", 0, ED_CLI_FLAG_STR, &base_url},
        SECRET_FLAGS(&interval),
        {NULL, 0, 0, NULL},
    };
    int rc = parse_create(r, argc, argv, flags, true);
    if (rc)
        return rc;
    /* flux's order and words: the key file first (Go's ReadFile error), then the fields. */
    size_t key_len = 0;
    const char *path = key_file ? key_file : "";
    char *key = ed_file_read(path, (size_t)1 << 20, &key_len);
    if (!key) {
        char why[128];
        snprintf(why, sizeof(why), "%s", errno == EFBIG ? "file too large" : strerror(errno));
        why[0] = (char)tolower((unsigned char)why[0]); /* Go's syscall words are lower case */
        ed_cli_failure("unable to read private key file: %s %s: %s",
                       errno == EISDIR ? "read" : "open", path, why);
        return 1;
    }
    const char *missing = !app_id || !*app_id ? "githubAppID"
                          : key_len == 0      ? "githubAppPrivateKey"
                                              : NULL;
    bool has_owner = owner && *owner, has_id = installation_id && *installation_id;
    if (missing) {
        ed_cli_failure("%s is required", missing);
        rc = 1;
    } else if (has_owner == has_id) {
        ed_cli_failure("exactly one of githubAppInstallationOwner or githubAppInstallationID "
                       "must be provided");
        rc = 1;
    }
    /* flux's githubapp command takes --label (every create does) and never reads it. */
    ed_doc *d = rc ? NULL : new_object("v1", "Secret", r->g.ns, r->name, NULL);
    if (!rc && !d)
        rc = 2;
    if (d) {
        /* flux prints the map's keys sorted, then the type (makeSecret's Opaque). */
        if (base_url && *base_url)
            put_str(d, "/stringData/githubAppBaseURL", base_url);
        put_str(d, "/stringData/githubAppID", app_id);
        if (has_id)
            put_str(d, "/stringData/githubAppInstallationID", installation_id);
        if (has_owner)
            put_str(d, "/stringData/githubAppInstallationOwner", owner);
        put_str(d, "/stringData/githubAppPrivateKey", key);
        put_str(d, "/type", "Opaque");
        rc = finish_secret(r, d, "githubapp");
    }
    ed_doc_free(d);
    explicit_bzero(key, key_len); /* the key does not linger in freed memory */
    free(key);
    return rc;
}

/* ---- the verbs ---- */

int ed_cli_create(int argc, char **argv)
{
    struct create_run r = {.g = ED_CLI_GLOBAL_INIT};
    /* The kind and name come first: "create source git NAME --url ...". */
    int nwords = 0;
    while (1 + nwords < argc && argv[1 + nwords][0] != '-' && nwords < 3)
        nwords++;
    int used = 0;
    const ed_cli_kind *k = ed_cli_kind_parse(argv + 1, nwords, &used);
    const char *secret = secret_kind(argv + 1, nwords);
    if (secret)
        used = 2;
    if (!k && !secret) {
        ed_cli_failure("%s: unknown kind; eddy create (source git | source oci | kustomization "
                       "| image repository|policy|update "
                       "| secret git|tls|oci|proxy|helm|githubapp|notation) NAME [flags]",
                       argc > 1 ? argv[1] : "missing kind");
        return 2;
    }
    /* The name is checked after the flags (parse_create), as flux's flag errors come first. */
    const char *name = nwords > used ? argv[1 + used] : NULL;
    r.name = name;
    int sub_argc = argc - used - (name ? 1 : 0);
    char **sub_argv = argv + used + (name ? 1 : 0); /* sub_argv[0], the name or the kind's last
                                                       word, is skipped like a verb */
    int rc;
    if (secret && strcmp(secret, "githubapp") == 0)
        rc = create_secret_githubapp(&r, sub_argc, sub_argv);
    else if (secret && strcmp(secret, "notation") == 0)
        rc = create_secret_notation(&r, sub_argc, sub_argv);
    else if (secret && strcmp(secret, "git") == 0)
        rc = create_secret_git(&r, name, sub_argc, sub_argv);
    else if (secret && strcmp(secret, "tls") == 0)
        rc = create_secret_tls(&r, sub_argc, sub_argv);
    else if (secret && strcmp(secret, "oci") == 0)
        rc = create_secret_oci(&r, sub_argc, sub_argv);
    else if (secret && strcmp(secret, "proxy") == 0)
        rc = create_secret_proxy(&r, sub_argc, sub_argv);
    else if (secret)
        rc = create_secret_helm(&r, sub_argc, sub_argv);
    else if (k == &ed_cli_gitrepository)
        rc = create_source_git(&r, name, sub_argc, sub_argv);
    else if (k == &ed_cli_ocirepository)
        rc = create_source_oci(&r, name, sub_argc, sub_argv);
    else if (k == &ed_cli_kustomization)
        rc = create_kustomization(&r, name, sub_argc, sub_argv);
    else if (k == &ed_cli_imagerepository)
        rc = create_image_repository(&r, name, sub_argc, sub_argv);
    else if (k == &ed_cli_imagepolicy)
        rc = create_image_policy(&r, name, sub_argc, sub_argv);
    else
        rc = create_image_update(&r, name, sub_argc, sub_argv);
    ed_doc_free(r.obj);
    ed_doc_free(r.secret);
    return rc;
}

int ed_cli_delete(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool silent = false;
    const ed_cli_flag flags[] = {{"silent", 's', ED_CLI_FLAG_BOOL, &silent}, {NULL, 0, 0, NULL}};
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, used = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    const ed_cli_kind *k = rc ? NULL : ed_cli_kind_parse(pos, npos, &used);
    const char *name = k && npos == used + 1 ? pos[used] : NULL;
    free(pos);
    if (rc)
        return rc;
    if (k && !name && npos == used) {
        ed_cli_failure("%s name is required", k->label); /* flux's words */
        return 2;
    }
    if (!k || !name) {
        ed_cli_failure("usage: eddy delete (source git | source oci | kustomization | image "
                       "repository|policy|update) NAME");
        return 2;
    }
    ed_kube *kube = ed_cli_connect(&g);
    if (!kube)
        return 1;
    if (ed_cli_require_kind(kube, k) != 0) {
        ed_kube_free(kube);
        return 1;
    }
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, k->api_version, k->kind, g.ns, name, NULL, &err) != 0) {
        ed_cli_api_failure(&err);
        rc = 1;
    } else if (!silent) {
        char *q = ed_xasprintf("Are you sure you want to delete this %s", k->label);
        if (!ed_cli_confirm(q)) {
            ed_cli_failure("aborting");
            rc = 1;
        }
        free(q);
    }
    if (!rc) {
        ed_cli_action("deleting %s %s in %s namespace", k->label, name, g.ns);
        if (ed_kube_delete(kube, k->api_version, k->kind, g.ns, name, NULL, &err) != 0) {
            ed_cli_api_failure(&err);
            rc = 1;
        } else {
            ed_cli_success("%s deleted", k->label);
        }
    }
    ed_kube_free(kube);
    return rc;
}

/* ---- export ---- */

/* Drop the false booleans under node, recursively: flux prints its Go structs, whose boolean
 * fields are `omitempty` (a Kustomization's prune, the exception, is kept by the caller). */
static void drop_false(ed_node *node)
{
    if (ed_node_kind_of(node) == ED_NODE_SEQ) {
        for (size_t i = 0; i < ed_node_len(node); i++)
            drop_false(ed_node_at(node, i));
        return;
    }
    if (ed_node_kind_of(node) != ED_NODE_MAP)
        return;
    for (size_t i = 0; i < ed_node_len(node);) {
        bool b = true;
        ed_node *v = ed_node_value_at(node, i);
        if (ed_node_bool(v, &b) && !b) {
            ed_node_remove(node, ed_node_key_at(node, i));
            continue;
        }
        drop_false(v);
        i++;
    }
}

/*
 * The spec as flux's export prints it from its Go structs: false booleans left out but a
 * Kustomization's `prune` (the one not `omitempty`), and the durations in Go's format, as
 * metav1.Duration prints them (the API server's default `timeout: 60s` is "1m0s").
 */
static void go_struct_view(ed_doc *d, const ed_cli_kind *k, ed_node *spec)
{
    bool prune = false;
    bool has_prune = ed_node_bool(ed_node_get(spec, "prune"), &prune);
    drop_false(spec);
    if (k == &ed_cli_kustomization && has_prune)
        ed_node_set(d, spec, "prune", ed_node_new_bool(d, prune));
    static const char *const durations[] = {"interval", "retryInterval", "timeout"};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
        const char *text = ed_node_str(ed_node_get(spec, durations[i]));
        int64_t ms = 0;
        ed_err err = ED_ERR_INIT;
        if (text && ed_duration_parse(text, &ms, &err) == 0) {
            char go[32];
            ed_duration_string(ms * ED_NS_PER_MS, go);
            ed_node_set(d, spec, durations[i], ed_node_new_str(d, go));
        }
    }
}

/* A copy of obj with only what flux exports: apiVersion, kind, metadata name, namespace,
 * labels and annotations, and spec (as flux's Go structs print it). */
static ed_doc *exported(const ed_cli_kind *k, const ed_node *obj)
{
    ed_doc *d = ed_doc_new();
    ed_node *root = ed_node_new_map(d);
    ed_doc_set_root(d, root);
    ed_node_set(d, root, "apiVersion", ed_node_new_str(d, k->api_version));
    ed_node_set(d, root, "kind", ed_node_new_str(d, k->kind));
    ed_node *meta = ed_node_new_map(d);
    static const char *const keep[] = {"name", "namespace", "labels", "annotations"};
    for (size_t i = 0; i < 4; i++) {
        ed_node *v = ed_node_get(ed_node_get(obj, "metadata"), keep[i]);
        if (v)
            ed_node_set(d, meta, keep[i], ed_node_copy(d, v));
    }
    ed_node_set(d, root, "metadata", meta);
    ed_node *spec = ed_node_get(obj, "spec");
    if (spec) {
        ed_node *copy = ed_node_copy(d, spec);
        if (k->crd) /* a Flux kind */
            go_struct_view(d, k, copy);
        ed_node_set(d, root, "spec", copy);
    }
    return d;
}

/* --with-credentials: the Secret a source refers to, printed before it. */
static int export_secret(ed_kube *kube, const char *ns, const char *name)
{
    ed_doc *live = NULL;
    ed_err err = ED_ERR_INIT;
    if (ed_kube_get(kube, "v1", "Secret", ns, name, &live, &err) != 0) {
        ed_cli_failure("Secret %s/%s: %s", ns, name, err.msg);
        return 1;
    }
    static const ed_cli_kind secret = {"v1", "Secret", "secret", NULL, NULL, false};
    ed_doc *d = exported(&secret, ed_doc_root(live));
    static const char *const keep[] = {"type", "data"};
    for (size_t i = 0; i < 2; i++) {
        ed_node *v = ed_node_get(ed_doc_root(live), keep[i]);
        if (v)
            ed_node_set(d, ed_doc_root(d), keep[i], ed_node_copy(d, v));
    }
    int rc = print_yaml(ed_doc_root(d));
    ed_doc_free(d);
    ed_doc_free(live);
    return rc;
}

int ed_cli_export(int argc, char **argv)
{
    ed_cli_global g = ED_CLI_GLOBAL_INIT;
    bool all = false, credentials = false;
    const ed_cli_flag flags[] = {
        {"all", 0, ED_CLI_FLAG_BOOL, &all},
        {"with-credentials", 0, ED_CLI_FLAG_BOOL, &credentials},
        {NULL, 0, 0, NULL},
    };
    char **pos = ed_xcalloc((size_t)argc + 1, sizeof(char *));
    int npos = 0, used = 0, rc = ed_cli_parse(argc, argv, flags, &g, pos, &npos);
    const ed_cli_kind *k = rc ? NULL : ed_cli_kind_parse(pos, npos, &used);
    /* As flux: --all exports every object of the namespace (a NAME then counts for nothing). */
    const char *name = k && !all && npos == used + 1 ? pos[used] : NULL;
    bool bad = !k || npos > used + 1;
    bool no_name = !bad && !name && !all;
    free(pos);
    if (rc)
        return rc;
    if (bad) {
        ed_cli_failure("usage: eddy export (source git | kustomization | image "
                       "repository|policy|update) (NAME | --all)");
        return 2;
    }
    if (no_name) {
        ed_cli_failure("name is required");
        return 2;
    }
    ed_kube *kube = ed_cli_connect(&g);
    if (!kube)
        return 1;
    if (ed_cli_require_kind(kube, k) != 0) {
        ed_kube_free(kube);
        return 1;
    }
    ed_doc *got = NULL;
    ed_err err = ED_ERR_INIT;
    char *field = name ? ed_xasprintf("metadata.name=%s", name) : NULL;
    ed_kube_opts lo = {.field_selector = field};
    if (ed_kube_list(kube, k->api_version, k->kind, g.ns, &lo, &got, &err) != 0) {
        ed_cli_api_failure(&err);
        rc = 1;
    }
    ed_node *items = got ? ed_node_get(ed_doc_root(got), "items") : NULL;
    if (!rc && name && ed_node_len(items) == 0) {
        /* flux gets the object: the API server's words. */
        ed_err gerr = ED_ERR_INIT;
        if (ed_kube_get(kube, k->api_version, k->kind, g.ns, name, NULL, &gerr) != 0)
            ed_cli_api_failure(&gerr);
        else
            ed_cli_failure("%s '%s' not found in \"%s\" namespace", k->kind, name, g.ns);
        rc = 1;
    } else if (!rc && ed_node_len(items) == 0) {
        ed_cli_failure("no objects found in %s namespace", g.ns);
        rc = 1;
    }
    for (size_t i = 0; !rc && i < ed_node_len(items); i++) {
        const char *secret = ed_node_path_str(ed_node_at(items, i), "/spec/secretRef/name");
        if (credentials && secret)
            rc = export_secret(kube, g.ns, secret);
        if (rc)
            break;
        /* The items of a list carry no apiVersion and kind: the kind says them. */
        ed_doc *d = exported(k, ed_node_at(items, i));
        rc = print_yaml(ed_doc_root(d));
        ed_doc_free(d);
    }
    free(field);
    ed_doc_free(got);
    ed_kube_free(kube);
    return rc;
}
