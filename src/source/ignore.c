/*
 * Ignore rules in gitignore syntax, applied the way fluxcd/pkg/sourceignore and Flux's artifact
 * storage apply them to a GitRepository artifact: the VCS exclusions (.git/, .gitignore,
 * .gitmodules, .gitattributes) always, then every `.sourceignore` file (patterns relative to
 * the directory that holds it), then `spec.ignore`; Flux's other default exclusions (media,
 * archives, CI files, tool configs) only when there is no pattern at all, neither from a
 * `.sourceignore` file nor from `spec.ignore` (a repository that says what to ignore replaces
 * them). The last rule that matches a path decides, so a later `!pattern` re-includes. As in
 * Flux (go-git's matcher, over a walk that goes into excluded directories too), a rule that
 * matches a directory matches everything below it, and a later `!pattern` can bring back a
 * file below an excluded directory (`charts/` then `!charts/app/values.yaml`), unlike git.
 *
 * Matching is segment-wise: a pattern is split at '/', each segment is a glob for fnmatch(3)
 * and `**` matches any number of segments. A pattern without a '/' (other than a trailing one)
 * matches at any depth below its directory; one with a '/' is anchored there.
 */
#include "source_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

typedef struct ignore_rule {
    char **segs; /* the directory's segments, then the pattern's */
    size_t nsegs;
    size_t dir_segs; /* how many of segs are the literal directory */
    bool negate;
    bool dir_only;
    bool anchored;
} ignore_rule;

struct ed_source_ignore {
    ignore_rule *rules;
    size_t len, cap;
};

/* fluxcd/pkg/sourceignore: VCSPatterns, and DefaultPatterns (extensions, CI, extra). */
static const char vcs_patterns[] = ".git/\n.gitignore\n.gitmodules\n.gitattributes\n";
static const char default_patterns[] = "*.jpg\n*.jpeg\n*.gif\n*.png\n*.wmv\n*.flv\n*.tar.gz\n"
                                       "*.zip\n"
                                       ".github/\n.circleci/\n.travis.yml\n.gitlab-ci.yml\n"
                                       "appveyor.yml\n.drone.yml\ncloudbuild.yaml\n"
                                       "codeship-services.yml\ncodeship-steps.yml\n"
                                       "**/.goreleaser.yml\n**/.sops.yaml\n**/.flux.yaml\n";

ed_source_ignore *ed_source_ignore_new(void)
{
    return ed_xcalloc(1, sizeof(ed_source_ignore));
}

void ed_source_ignore_free(ed_source_ignore *ig)
{
    if (!ig)
        return;
    for (size_t i = 0; i < ig->len; i++) {
        for (size_t j = 0; j < ig->rules[i].nsegs; j++)
            free(ig->rules[i].segs[j]);
        free(ig->rules[i].segs);
    }
    free(ig->rules);
    free(ig);
}

/* Split s (n bytes) at '/' into segs, skipping empty segments. */
static void split_segments(const char *s, size_t n, char ***segs, size_t *nsegs)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        if (j > i) {
            *segs = ed_xrealloc(*segs, (*nsegs + 1) * sizeof(char *));
            (*segs)[(*nsegs)++] = ed_xstrndup(s + i, j - i);
        }
        i = j + 1;
    }
}

static void add_line(ed_source_ignore *ig, const char *line, size_t n, const char *dir)
{
    /* Trailing spaces are dropped unless escaped; a '#' line is a comment. */
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\r') && !(n > 1 && line[n - 2] == '\\'))
        n--;
    if (n == 0 || line[0] == '#')
        return;
    ignore_rule r = {0};
    if (line[0] == '!') {
        r.negate = true;
        line++;
        n--;
    } else if (line[0] == '\\' && n > 1 && (line[1] == '#' || line[1] == '!')) {
        line++;
        n--;
    }
    if (n > 0 && line[n - 1] == '/') {
        r.dir_only = true;
        n--;
    }
    if (n == 0)
        return;
    r.anchored = memchr(line, '/', n) != NULL;
    split_segments(dir, strlen(dir), &r.segs, &r.nsegs);
    r.dir_segs = r.nsegs;
    split_segments(line, n, &r.segs, &r.nsegs);
    if (r.nsegs == r.dir_segs) {
        free(r.segs);
        return;
    }
    if (ig->len == ig->cap) {
        ig->cap = ig->cap ? 2 * ig->cap : 32;
        ig->rules = ed_xrealloc(ig->rules, ig->cap * sizeof(ignore_rule));
    }
    ig->rules[ig->len++] = r;
}

void ed_source_ignore_add(ed_source_ignore *ig, const char *text, size_t len, const char *dir)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        add_line(ig, text + i, end - i, dir);
        i = end + 1;
    }
}

void ed_source_ignore_add_vcs(ed_source_ignore *ig)
{
    ed_source_ignore_add(ig, vcs_patterns, sizeof(vcs_patterns) - 1, "");
}

void ed_source_ignore_add_defaults(ed_source_ignore *ig)
{
    ed_source_ignore_add_vcs(ig);
    ed_source_ignore_add_extra(ig);
}

void ed_source_ignore_add_extra(ed_source_ignore *ig)
{
    ed_source_ignore_add(ig, default_patterns, sizeof(default_patterns) - 1, "");
}

size_t ed_source_ignore_len(const ed_source_ignore *ig)
{
    return ig->len;
}

/* Match pattern segments pat[0..np) against path segments path[0..nq), `**` spanning any. */
static bool match_segments(char *const *pat, size_t np, char *const *path, size_t nq)
{
    if (np == 0)
        return nq == 0;
    if (strcmp(pat[0], "**") == 0) {
        for (size_t skip = 0; skip <= nq; skip++)
            if (match_segments(pat + 1, np - 1, path + skip, nq - skip))
                return true;
        return false;
    }
    if (nq == 0 || fnmatch(pat[0], path[0], 0) != 0)
        return false;
    return match_segments(pat + 1, np - 1, path + 1, nq - 1);
}

static bool rule_matches(const ignore_rule *r, char *const *path, size_t nq, bool is_dir)
{
    if (r->dir_only && !is_dir)
        return false;
    /* The path must lie below the rule's directory. */
    if (nq <= r->dir_segs)
        return false;
    for (size_t i = 0; i < r->dir_segs; i++)
        if (strcmp(r->segs[i], path[i]) != 0)
            return false;
    char *const *pat = r->segs + r->dir_segs;
    size_t np = r->nsegs - r->dir_segs;
    path += r->dir_segs;
    nq -= r->dir_segs;
    if (r->anchored)
        return match_segments(pat, np, path, nq);
    /* Unanchored: a single segment that may match the last component at any depth. */
    return np == 1 && fnmatch(pat[0], path[nq - 1], 0) == 0;
}

/* The rule matches the path or one of the directories it lies in (go-git's matching). */
static bool rule_matches_path(const ignore_rule *r, char *const *path, size_t nq, bool is_dir)
{
    for (size_t k = 1; k <= nq; k++)
        if (rule_matches(r, path, k, k < nq || is_dir))
            return true;
    return false;
}

bool ed_source_ignore_has_negation(const ed_source_ignore *ig)
{
    for (size_t i = 0; i < ig->len; i++)
        if (ig->rules[i].negate)
            return true;
    return false;
}

bool ed_source_ignore_match(const ed_source_ignore *ig, const char *path, bool is_dir)
{
    char **segs = NULL;
    size_t nsegs = 0;
    split_segments(path, strlen(path), &segs, &nsegs);
    bool ignored = false;
    for (size_t i = 0; i < ig->len; i++)
        if (rule_matches_path(&ig->rules[i], segs, nsegs, is_dir))
            ignored = !ig->rules[i].negate;
    for (size_t i = 0; i < nsegs; i++)
        free(segs[i]);
    free(segs);
    return ignored;
}
