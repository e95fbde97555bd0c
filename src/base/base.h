/*
 * base: the ground floor every other module stands on. Memory that aborts on exhaustion,
 * errors that carry their message up the stack (ed_err), growing buffers with a hard size cap
 * (ed_buf) so a hostile peer cannot make the process balloon, a per-reconcile arena with cleanup
 * hooks, JSON-lines logging with Flux's keys and secret redaction, time and Go-style durations
 * (the format of Flux's `interval` and `timeout` fields), and SHA-256.
 *
 * Depends on libc and OpenSSL (for the digest) only.
 */
#ifndef ED_BASE_H
#define ED_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ED_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* ---- invariants ---- */

/* Abort with the failed condition and its place: for invariants of eddy's own code, never for
 * checking input from Git, a registry or the API server (validate that instead). */
#define ED_ASSERT(cond) ((cond) ? (void)0 : ed_assert_fail(#cond, __FILE__, __LINE__))
_Noreturn void ed_assert_fail(const char *cond, const char *file, int line);

/* ---- memory: out of memory aborts, so callers never check ---- */

/* Allocate, or print a message and abort. Never return NULL. */
void *ed_xmalloc(size_t n);
void *ed_xcalloc(size_t count, size_t size);
void *ed_xrealloc(void *p, size_t n);
char *ed_xstrdup(const char *s);
char *ed_xstrndup(const char *s, size_t n);
/* A newly allocated formatted string; the caller frees it. */
char *ed_xasprintf(const char *fmt, ...) ED_PRINTF(1, 2);

/* ---- errors ---- */

/* Return codes: 0 on success, one of these otherwise. Only codes a caller branches on exist. */
enum {
    ED_OK = 0,
    ED_ERROR = -1,       /* anything without a more specific code */
    ED_ENOTFOUND = -2,   /* the object or file does not exist */
    ED_ECONFLICT = -3,   /* already exists, or a write lost a race (HTTP 409) */
    ED_EGONE = -4,       /* a watch's resourceVersion is too old (HTTP 410) */
    ED_EINVALID = -5,    /* input rejected: bad YAML, bad field, API 422 */
    ED_EAUTH = -6,       /* not authenticated (HTTP 401), wrong credentials */
    ED_ETIMEOUT = -7,    /* a deadline passed */
    ED_ERETRY = -8,      /* transient: try again later (HTTP 429, 5xx, broken connection) */
    ED_ETOOBIG = -9,     /* a size cap was reached */
    ED_EEXISTS = -10,    /* create of something that already exists (API AlreadyExists) */
    ED_EFORBIDDEN = -11, /* authenticated but not allowed (HTTP 403) */
};

#define ED_ERR_MSG_MAX 4096

/*
 * An error's code and message, passed explicitly down the call chain (never thread-local: work
 * moves between threads). The message is set where the error happens and prefixed with context
 * on the way up, so it reads like a Flux condition message:
 * "kustomize build failed: accumulating resources from 'apps/': missing 'deploy.yaml'".
 */
typedef struct ed_err {
    int code;
    char msg[ED_ERR_MSG_MAX];
    /* The Kubernetes API's Status reason ("Invalid", "Forbidden") when the error is an API
     * response, else "". ed_err_set clears it, ed_err_wrap keeps it. */
    char reason[32];
} ed_err;

#define ED_ERR_INIT                                                                                \
    {                                                                                              \
        0, {0},                                                                                    \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Record code and message in err (which may be NULL). Returns code, so callers can write
 * `return ed_err_set(err, ED_EINVALID, "...")`. */
int ed_err_set(ed_err *err, int code, const char *fmt, ...) ED_PRINTF(3, 4);
/* Prefix err's message with "<context>: ". Returns err's code (ED_ERROR if err is NULL or
 * holds no code). */
int ed_err_wrap(ed_err *err, const char *fmt, ...) ED_PRINTF(2, 3);
void ed_err_clear(ed_err *err);
/* Record the API's Status reason in err (cut to fit). */
void ed_err_set_reason(ed_err *err, const char *reason);
/* A short stable name for a code ("not found", "conflict", ...). */
const char *ed_err_code_name(int code);

/* ---- growing buffers with a cap ---- */

/*
 * A byte buffer that grows as needed up to `max` bytes. The data is always NUL-terminated
 * (the terminator is not counted in len), so text can be used as a C string directly.
 */
typedef struct ed_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
} ed_buf;

#define ED_BUF_INIT(max_bytes)                                                                     \
    {                                                                                              \
        NULL, 0, 0, (max_bytes)                                                                    \
    }

/* Append n bytes. Returns 0, or ED_ETOOBIG (buffer unchanged) when len would exceed max. */
int ed_buf_append(ed_buf *b, const void *data, size_t n);
int ed_buf_append_str(ed_buf *b, const char *s);
int ed_buf_printf(ed_buf *b, const char *fmt, ...) ED_PRINTF(2, 3);
int ed_buf_vprintf(ed_buf *b, const char *fmt, va_list ap) ED_PRINTF(2, 0);
/* Append s as a JSON string literal, quotes included. */
int ed_buf_append_json_str(ed_buf *b, const char *s);
/* The same for n bytes that may contain NUL (written as \u0000). */
int ed_buf_append_json_strn(ed_buf *b, const char *s, size_t n);
/* Append s as Go's %q writes it (strconv.Quote), quotes included: \" and \\, \a \b \f \n \r \t
 * \v, other control bytes and invalid UTF-8 as \xNN, a rune Go does not print (C1 controls,
 * spaces other than ' ', format and private-use characters, unassigned code points) as \uNNNN
 * or \UNNNNNNNN, the rest (printable non-ASCII included) as is. Returns 0 or ED_ETOOBIG. */
int ed_buf_append_go_quoted(ed_buf *b, const char *s);
void ed_buf_reset(ed_buf *b);
/* Hand the NUL-terminated data to the caller (who frees it) and empty the buffer. Never NULL. */
char *ed_buf_take(ed_buf *b);
void ed_buf_free(ed_buf *b);

/* ---- arena: one pool per reconcile or build, freed at once ---- */

typedef struct ed_arena ed_arena;

ed_arena *ed_arena_new(void);
/* Zeroed memory that lives until ed_arena_free. */
void *ed_arena_alloc(ed_arena *a, size_t n);
char *ed_arena_strdup(ed_arena *a, const char *s);
char *ed_arena_printf(ed_arena *a, const char *fmt, ...) ED_PRINTF(2, 3);
/* Run fn(ctx) when the arena is freed (in reverse order of registration): closing descriptors,
 * removing temp directories, freeing library objects. */
void ed_arena_on_free(ed_arena *a, void (*fn)(void *ctx), void *ctx);
/* Run the cleanup hooks and release everything. Accepts NULL. */
void ed_arena_free(ed_arena *a);

/* ---- logging: one JSON object a line on stderr (or a human console format) ---- */

typedef enum {
    ED_LOG_DEBUG,
    ED_LOG_INFO,
    ED_LOG_ERROR
} ed_log_level;
typedef enum {
    ED_LOG_JSON,
    ED_LOG_CONSOLE
} ed_log_format;

void ed_log_init(ed_log_format format, ed_log_level min_level);
/*
 * Log msg with key/value string pairs, terminated by NULL:
 *   ed_log(ED_LOG_INFO, "reconciliation finished", "controller", "kustomization",
 *          "name", name, NULL);
 * Values of keys that name secrets (token, password, key, secret, ...) are written as "***".
 * A key ED_LOG_JSON_KEY("output") takes a value that is JSON already (an object the caller
 * built), written as it is in the JSON format and as text in the console one.
 * Thread-safe: a line is written with one write(2).
 */
void ed_log(ed_log_level level, const char *msg, ...);
#define ED_LOG_JSON_KEY(name) "=" name
/* The longest line ed_log writes. */
#define ED_LOG_LINE_MAX ((size_t)1 << 20)
/* True when messages of this level are written (to skip building costly ones). */
bool ed_log_enabled(ed_log_level level);
/* From now on, a JSON entry whose "controller" is `controller` also carries Flux's
 * "controllerGroup" and "controllerKind" (group, kind). Up to 16 controllers. */
void ed_log_controller_kind(const char *controller, const char *group, const char *kind);
/* The id of the reconcile the calling thread runs (NULL: none, and no object either): JSON
 * entries it writes carry it as "reconcileID", as controller-runtime's do. */
void ed_log_set_reconcile_id(const char *id);
/* The controller and object (ns NULL: cluster-scoped) of the reconcile the calling thread runs:
 * its JSON entries that name no controller are about that object, with its keys (an API
 * server's warning, logged by the API client). Cleared with the id. */
void ed_log_set_reconcile_object(const char *controller, const char *ns, const char *name);
/* What the calling thread's entries carry of its reconcile, to hand to a thread that works for
 * it (ed_log_scope_set; NULL clears). */
typedef struct {
    char reconcile_id[64];
    char controller[64], ns[256], name[256];
} ed_log_scope;
void ed_log_scope_get(ed_log_scope *out);
void ed_log_scope_set(const ed_log_scope *scope);
/* A random UUID (version 4), as text. */
void ed_uuid4(char out[37]);
/* True when a key's value must never be logged. */
bool ed_log_key_is_secret(const char *key);

/* ---- time ---- */

/* Milliseconds on the monotonic clock, for timeouts and durations. */
int64_t ed_time_mono_ms(void);
/* Nanoseconds on the monotonic clock, for the durations Flux measures and prints in full. */
int64_t ed_time_mono_ns(void);
#define ED_NS_PER_MS INT64_C(1000000)
#define ED_NS_PER_S  INT64_C(1000000000)
/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar (any year; month 1-12),
 * and back (Hinnant's civil algorithms): the dates Go's time package and CEL read and write,
 * beyond what time_t and struct tm hold. */
int64_t ed_days_from_civil(int64_t year, int64_t month, int64_t day);
void ed_civil_from_days(int64_t days, int64_t *year, int64_t *month, int64_t *day);
/* t formatted as RFC 3339 in UTC ("2026-11-27T23:19:52Z"), as Kubernetes writes metav1.Time. */
void ed_time_rfc3339(time_t t, char out[32]);
/* Seconds since the epoch of an RFC 3339 time in UTC ("2026-11-28T02:30:00Z", fractional
 * seconds ignored), or -1 when s is NULL or not one. */
time_t ed_time_parse_rfc3339(const char *s);
/*
 * Parse a Go duration ("1m30s", "10m", "1h", "500ms", "1.5h"; units ns us µs ms s m h), the
 * format of Flux's interval and timeout fields, into milliseconds (sub-millisecond parts are
 * truncated). Returns 0, or ED_EINVALID with a message naming the input.
 */
int ed_duration_parse(const char *s, int64_t *out_ms, ed_err *err);
/* Go's time.ParseDuration error for s, which ed_duration_parse refused, as Go words it:
 * `time: invalid duration "X"`, `time: missing unit in duration "X"` or `time: unknown unit "U"
 * in duration "X"`, quoted as Go's time package quotes (\xNN for bytes outside printable
 * ASCII). The caller frees it. */
char *ed_duration_error(const char *s);
/* Format ns as Go's time.Duration String() does, the one format of every duration eddy writes,
 * configured or measured: "10m0s", "1m30s", "500ms", "4.123456ms", "1.234567891s", "2m3.5s",
 * "1.5µs", "0s" (a configured interval in ms is passed as ms * ED_NS_PER_MS). */
void ed_duration_string(int64_t ns, char out[32]);

/* ---- hashing ---- */

/* SHA-256 of data as 64 lowercase hex digits and a NUL. */
void ed_sha256_hex(const void *data, size_t n, char out[65]);
/* The digest of data with algo ("sha1", "sha256" or "sha512") as lowercase hex and a NUL in out.
 * Returns 0, or ED_EINVALID for another algorithm (or one OpenSSL does not provide). */
int ed_digest_hex(const char *algo, const void *data, size_t n, char out[129]);
/* digest is "sha256:<64 lowercase hex>" and nothing else: a digest from a registry that may go
 * into a URL, a tag or a file name. */
bool ed_sha256_digest_valid(const char *digest);

/* ---- base64 (standard alphabet; OpenSSL's codec) ---- */

/* data (len bytes) as padded base64: a new NUL-terminated string. */
char *ed_base64_encode(const void *data, size_t len);

#define ED_BASE64_LINES    1u /* CR and LF anywhere are skipped (Go's decoder) */
#define ED_BASE64_UNPADDED 2u /* the trailing '=' may be missing */
/* in (n bytes) decoded into a new buffer of *out_len bytes, NUL-terminated after them; NULL
 * when in is not base64 (another character, '=' before the end, a length no encoding has).
 * Empty input decodes to an empty buffer. */
unsigned char *ed_base64_decode(const char *in, size_t n, unsigned flags, size_t *out_len);

/* ---- string-keyed hash map ---- */

/*
 * A map from strings to pointers (open addressing, grows as needed). Keys are copied; values
 * are borrowed (the map never frees them). Not thread-safe: guard it with the owner's lock.
 */
typedef struct ed_strmap ed_strmap;

ed_strmap *ed_strmap_new(void);
/* Free the map and its key copies (not the values). Accepts NULL. */
void ed_strmap_free(ed_strmap *m);
/* The value under key, or NULL. */
void *ed_strmap_get(const ed_strmap *m, const char *key);
bool ed_strmap_has(const ed_strmap *m, const char *key);
/* Set key to value (NULL is a valid value); returns the previous value or NULL. */
void *ed_strmap_put(ed_strmap *m, const char *key, void *value);
/* Remove key; returns its value or NULL. */
void *ed_strmap_del(ed_strmap *m, const char *key);
size_t ed_strmap_len(const ed_strmap *m);
/* Iterate: start with *pos = 0; returns false at the end. Do not change the map meanwhile. */
bool ed_strmap_next(const ed_strmap *m, size_t *pos, const char **key, void **value);

/* ---- semantic versions (semver.c), as Flux reads them for GitRepository ref.semver and
 * ImagePolicy semver ranges ---- */

/* A parsed version. Versions are read leniently, as Flux does: an optional "v", one to three
 * numbers ("1.2" is 1.2.0), an optional pre-release ("-rc.1") and build ("+sha.5"). */
typedef struct ed_semver {
    uint64_t major, minor, patch;
    char pre[128];   /* "" when none */
    char build[128]; /* ignored in comparisons */
} ed_semver;

/* Parse s. Returns 0, or ED_EINVALID when s is not a version. */
int ed_semver_parse(const char *s, ed_semver *out);
/*
 * Parse a tag as Flux reads the tags a semver range chooses from (GitRepository ref.semver,
 * ImagePolicy semver; fluxcd/pkg's ParseVersion, Masterminds' StrictNewVersion after an
 * optional lowercase "v"): exactly three numbers without leading zeros, pre-release
 * identifiers non-empty and numeric ones without leading zeros. "v1.2", "1", "V1.2.3",
 * "01.2.3" and "20240101" are not versions. Returns 0 or ED_EINVALID.
 */
int ed_semver_parse_tag(const char *s, ed_semver *out);
/* <0, 0, >0 as a orders before, with or after b (semver 2.0 precedence). */
int ed_semver_compare(const ed_semver *a, const ed_semver *b);

typedef struct ed_semver_range ed_semver_range;

/*
 * Parse a constraint: comparisons (= != > < >= <=), tilde (~1.2), caret (^1.2), wildcards
 * (1.2.x, *), hyphen ranges (1.2 - 1.4.5), terms joined by spaces or commas (and) and by "||"
 * (or). As in Masterminds semver, a pre-release version only matches a term whose own version
 * has a pre-release. Errors: ED_EINVALID naming the bad part.
 */
int ed_semver_range_parse(const char *s, ed_semver_range **out, ed_err *err);
bool ed_semver_range_match(const ed_semver_range *r, const ed_semver *v);
void ed_semver_range_free(ed_semver_range *r);

/* ---- paths ---- */

/*
 * True when the relative path rel, followed from a directory `depth` levels below a root, stays
 * inside that root: no ".." climbs above it, and absolute paths are refused. Judged on the text
 * alone (symlinks are the caller's business). Paths from Git and kustomizations go through this.
 */
bool ed_path_within(const char *rel, long depth);
/*
 * path as a root-relative path that cannot leave the root, the way Flux's SecureJoin reads a
 * spec path below an artifact: "." and empty segments dropped, ".." taken lexically but never
 * above the root, a leading '/' meaning the root ("../../apps" and "/apps" -> "apps"; "" for the
 * root itself). The result is the caller's (free). Text only: the caller's tree must hold no
 * symlinks (artifacts do not).
 */
char *ed_path_clamp(const char *path);
/* Create path and its missing parents (mode 0750). Returns 0, or -1 with errno set. */
int ed_path_mkdir_all(const char *path);
/* The content of the file at path, NUL-terminated (*len without the NUL), or NULL (errno set;
 * EFBIG past max bytes). */
char *ed_file_read(const char *path, size_t max, size_t *len);
/* Remove dir and everything below it, without following symlinks. Errors are ignored (for
 * temp directories being cleaned up). */
void ed_path_remove_tree(const char *dir);

/* ---- child processes (proc.c) ---- */

/* How a child run ended. */
typedef enum {
    ED_PROC_EXITED,       /* it exited or was killed by a signal: see the wait status */
    ED_PROC_SPAWN_FAILED, /* it could not be started (*sys_errno) */
    ED_PROC_TIMED_OUT,    /* the deadline passed: it was killed */
    ED_PROC_TOO_BIG,      /* its stdout passed the output buffer's cap: it was killed */
    ED_PROC_IO_FAILED,    /* a pipe could not be made or read (*sys_errno) */
} ed_proc_outcome;

/* Of a child's stderr, only this many first bytes are kept (for messages). */
#define ED_PROC_STDERR_MAX 4096

/* The program a command names, as Go's exec.LookPath finds it: a command with a slash is a
 * path, a bare name is looked up in $PATH. A new string, or NULL (errno: why) when it cannot be
 * run. */
char *ed_proc_find(const char *command);
/*
 * Run program (a path: ed_proc_find) with argv and env (NULL: this process's environment):
 * stdin from /dev/null, no other descriptor of this process inherited, default signal
 * handling. Its stdout is appended to *out (up to out's cap), the first ED_PROC_STDERR_MAX bytes
 * of its stderr to *errb; it is killed once timeout_ms have passed. *status is its wait status
 * when the outcome is ED_PROC_EXITED.
 */
ed_proc_outcome ed_proc_run(const char *program, char *const argv[], char *const env[],
                            int64_t timeout_ms, ed_buf *out, ed_buf *errb, int *status,
                            int *sys_errno);
/* The first line of a child's stderr, for messages: ": <line>" (at most 200 bytes of it), or ""
 * when it said nothing. */
void ed_proc_first_line(const ed_buf *b, char *out, size_t cap);

/* ---- GnuPG (gpg.c): what the users of gpgme share ---- */

/* gpgme started (once, thread-safe); whether GnuPG's OpenPGP engine is there to use. */
bool ed_gpg_ready(void);
/* A new private (0700) GnuPG home dir/PREFIX.XXXXXX; under /tmp when dir is unset or too deep
 * for gpg-agent's socket path. NULL (errno: why) when it cannot be made. */
char *ed_gpg_home_new(const char *dir, const char *prefix);
/* Stop the gpg-agent GnuPG started for home (it would linger until it noticed its socket
 * gone). */
void ed_gpg_agent_stop(const char *home);

/* ---- strings ---- */

bool ed_str_has_prefix(const char *s, const char *prefix);
bool ed_str_has_suffix(const char *s, const char *suffix);
/* True when s is valid UTF-8 (no overlong form, surrogate or code point past U+10FFFF), as Go's
 * utf8.ValidString. */
bool ed_utf8_valid(const char *s);
/* The value of hexadecimal digit c (either case), or -1 when c is not one. */
int ed_hex_digit(char c);
/* The reason phrase Go's net/http gives an HTTP status (http.StatusText), which the messages of
 * Flux's clients quote; "" for a code it does not name. */
const char *ed_http_status_text(long code);

#endif
