/*
 * Unit tests of sprig's string, encoding, path and regular expression functions in commit
 * message templates (src/image/sprig.c). Every expected text and error below is the output of
 * tests/tools/tmplfixture (Go's text/template with sprig v3.3.0's HermeticTxtFuncMap, as Flux's
 * image-automation-controller v1.2.0 renders) on the data of render() in test_template.c:
 *
 *   cd tests/tools/tmplfixture && go run . -c '{{ initials "hello big  World" }}' ...
 *
 * prints each case as it stands here. Where eddy's text must differ (PCRE2's words for a
 * regular expression that does not compile), the case says so.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "image/image.h"
#include "image_tests.h"

#include <stdlib.h>
#include <string.h>

struct oracle_case {
    const char *tmpl, *want;
    bool ok; /* rendered (want is the output), or failed (want is the error) */
};

/* Render each case on the unit tests' data and compare with Flux's output or error. */
static void expect_oracle(const struct oracle_case *cases, size_t n)
{
    ed_setter_change items[] = {
        {.file = (char *)"deploy/web.yaml",
         .api_version = (char *)"apps/v1",
         .kind = (char *)"Deployment",
         .obj_name = (char *)"web",
         .obj_namespace = (char *)"apps",
         .old_value = (char *)"r/web:1.2.0",
         .new_value = (char *)"r/web:1.3.0",
         .setter = (char *)"apps:web"},
        {.file = (char *)"deploy/web.yaml",
         .api_version = (char *)"apps/v1",
         .kind = (char *)"Deployment",
         .obj_name = (char *)"web",
         .obj_namespace = (char *)"apps",
         .old_value = (char *)"1.2.0",
         .new_value = (char *)"1.3.0",
         .setter = (char *)"apps:web:tag"},
        {.file = (char *)"charts/api.yaml",
         .api_version = (char *)"helm.toolkit.fluxcd.io/v2",
         .kind = (char *)"HelmRelease",
         .obj_name = (char *)"api",
         .obj_namespace = (char *)"apps",
         .old_value = (char *)"0.1",
         .new_value = (char *)"0.2",
         .setter = (char *)"apps:api:tag"},
    };
    ed_setter_changes ch = {items, 3};
    static const char *const values[] = {"env", "prod", NULL};
    ed_template_data d = {"flux-system", "apps", &ch, values};
    for (size_t i = 0; i < n; i++) {
        ed_err err = ED_ERR_INIT;
        char *out = NULL;
        int rc = ed_template_render(cases[i].tmpl, "commit message", &d, &out, &err);
        const char *got = rc == 0 ? out : err.msg;
        if ((rc == 0) != cases[i].ok || strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu (%s): rc %d, got\n%s\nwant\n%s", i, cases[i].tmpl, rc, got,
                     cases[i].want);
        free(out);
    }
}

/* Strings, encodings and digests, paths, and regular expressions, with their type and
 * argument errors; case mapping, white space and title words are Unicode's, as in Go, and
 * initials and nospace read bytes as goutils does. */
void test_sprig_strings(void **state)
{
    (void)state;
    static const struct oracle_case cases[] = {
        {"{{ abbrevboth 5 10 \"1234 5678 9123 4567\" }}|{{ abbrevboth 0 4 \"abcdef\" }}|{{ "
         "abbrevboth 1 5 \"abcdefgh\" }}",
         "...5678...|a...|abcdefgh", true},
        {"{{ initials \"hello big  World\" }}|{{ initials \"\" }}|{{ initials \"\303\251 x\" }}",
         "hbW||\303\203x", true},
        {"{{ untitle \"Hello World\" }}|{{ untitle \"\303\211LAN \303\211t\303\251\" }}",
         "hello world|\303\251LAN \303\251t\303\251", true},
        {"{{ substr 1 3 \"abcdef\" }}|{{ substr -1 2 \"abcdef\" }}|{{ substr 2 -1 \"abcdef\" }}|{{ "
         "substr 2 99 \"abcdef\" }}",
         "bc|ab|cdef|cdef", true},
        {"{{ substr 1 9 \"\" }}",
         "template: commit message:1:3: executing \"commit message\" at <substr 1 9 \"\">: error "
         "calling substr: runtime error: slice bounds out of range [1:0]",
         false},
        {"{{ substr -1 9 \"abc\" }}",
         "template: commit message:1:3: executing \"commit message\" at <substr -1 9 \"abc\">: "
         "error calling substr: runtime error: slice bounds out of range [:9] with length 3",
         false},
        {"{{ substr 3 1 \"abc\" }}",
         "template: commit message:1:3: executing \"commit message\" at <substr 3 1 \"abc\">: "
         "error calling substr: runtime error: slice bounds out of range [3:1]",
         false},
        {"{{ trimAll \"$\" \"$5.00$\" }}|{{ trimall \"ab\" \"abxba\" }}", "5.00|x", true},
        {"{{ swapcase \"Hello wORLD \303\251\" }}", "hELLO World \303\211", true},
        {"{{ wrap 5 \"Hello World, this is long\" }}", "Hello\nWorld,\nthis\nis\nlong", true},
        {"{{ wrapWith 5 \"\\t\" \"Hello World\" }}|{{ wrap 3 \"abcdefgh ij\" }}|{{ wrapWith 3 "
         "\"+\" \"abcdefgh ij\" }}",
         "Hello\tWorld|abcdefgh\nij|abc+def+gh+ij", true},
        {"{{ cat \"a\" 1 nil .AutomationObject (list 1 2) }}|{{ cat }}",
         "a 1 flux-system/apps [1 2]|", true},
        {"{{ indent 2 \"a\\nb\" }}|{{ nindent 2 \"a\\nb\" }}|{{ indent -1 \"x\" }}",
         "template: commit message:1:48: executing \"commit message\" at <indent -1 \"x\">: error "
         "calling indent: strings: negative Repeat count",
         false},
        {"{{ plural \"one\" \"many\" 1 }} {{ plural \"one\" \"many\" 2 }}", "one many", true},
        {"{{ split \"/\" \"a/b/c\" }} {{ (split \"/\" \"a/b/c\")._1 }} {{ splitn \"/\" 2 \"a/b/c\" "
         "}} {{ splitn \"/\" 0 \"a/b/c\" }}",
         "map[_0:a _1:b _2:c] b map[_0:a _1:b/c] map[]", true},
        {"{{ toStrings (list 1 \"a\" nil true) }} {{ toStrings \"x\" }} {{ toStrings nil }} {{ "
         "toStrings .Changed.Changes }}",
         "[1 a true] [x] [] [{r/web:1.2.0 r/web:1.3.0 apps:web} {1.2.0 1.3.0 apps:web:tag} {0.1 "
         "0.2 apps:api:tag}]",
         true},
        {"{{ sha1sum \"abc\" }} {{ sha512sum \"abc\" }} {{ adler32sum \"abc\" }}",
         "a9993e364706816aba3e25717850c26c9cd0d89d "
         "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a"
         "3feebbd454d4423643ce80e2a9ac94fa54ca49f 38600999",
         true},
        {"{{ b64enc \"hello\" }} {{ b64dec \"aGVsbG8=\" }} {{ b64dec \"!!\" }} {{ b32enc \"hello\" "
         "}} {{ b32dec \"NBSWY3DP\" }} {{ b32dec \"x\" }}",
         "aGVsbG8= hello illegal base64 data at input byte 0 NBSWY3DP hello illegal base32 data at "
         "input byte 0",
         true},
        {"{{ nospace \"a b\\u00a0\303\251 c\" }}|{{ nospace \"\303\251\" }}",
         "ab\303\202\303\203\302\251c|\303\251", true},
        {"{{ base \"a/b.c\" }} {{ dir \"a/b.c\" }} {{ clean \"a//b/../c/.\" }} {{ ext "
         "\"a/b.tar.gz\" }} {{ isAbs \"/x\" }} {{ base \"\" }} {{ dir \"\" }} {{ clean \"\" }} {{ "
         "base \"/\" }} {{ dir \"/a\" }}",
         "b.c a a/c .gz true . . . / /", true},
        {"{{ osBase \"a/b\" }} {{ osDir \"a/b\" }} {{ osClean \"/../a\" }} {{ osExt \"x\" }} {{ "
         "osIsAbs \"x\" }}",
         "b a /a  false", true},
        {"{{ upper \"\303\251a\" }} {{ lower \"\303\211A\" }} {{ title \"\303\251lan vital\" }}",
         "\303\211A \303\251a \303\211lan Vital", true},
        {"{{ regexMatch \"^v[0-9]+\" \"v12\" }} {{ regexMatch \"(\" \"x\" }} {{ regexFind "
         "\"[0-9]+\" \"ab12cd34\" }} {{ regexFindAll \"[0-9]\" \"a1b2c3\" -1 }} {{ regexFindAll "
         "\"[0-9]\" \"a1b2c3\" 2 }} {{ regexFindAll \"x*\" \"abc\" -1 }}",
         "true false 12 [1 2 3] [1 2] [   ]", true},
        {"{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }}|{{ regexReplaceAll \"a(x*)b\" "
         "\"-ab-axxb-\" \"$1W\" }}|{{ regexReplaceAllLiteral \"a(x*)b\" \"-ab-axxb-\" \"${1}\" "
         "}}|{{ regexReplaceAll \"(?P<v>[0-9.]+)\" \"web:1.2\" \"<$v>$$\" }}|{{ regexReplaceAll "
         "\"x*\" \"abc\" \"-\" }}",
         "-W-xxW-|---|-${1}-${1}-|web:<1.2>$|-a-b-c-", true},
        {"{{ regexSplit \"z+\" \"pizza\" -1 }} {{ regexSplit \"z+\" \"pizza\" 1 }} {{ regexSplit "
         "\"z+\" \"pizza\" 0 }} {{ regexSplit \"\" \"abc\" -1 }} {{ regexSplit \"a\" \"\" -1 }} {{ "
         "regexSplit \"z\" \"pizza\" 2 }}",
         "[pi a] [pizza] [] [a b c] [] [pi za]", true},
        {"{{ regexQuoteMeta \"1.2.3+[x]\" }} {{ mustRegexMatch \"a\" \"a\" }} {{ regexMatch "
         "\"\303\251\" \"caf\303\251\" }} {{ regexFind \".\" \"\303\251\" }}",
         "1\\.2\\.3\\+\\[x\\] true true \303\251", true},
        {"{{ regexFind \"(\" \"x\" }}",
         "template: commit message:1:3: executing \"commit message\" at <regexFind \"(\" \"x\">: "
         "error calling regexFind: regexp: Compile(`(`): error parsing regexp: missing closing ): "
         "`(`",
         false},
        {"{{ mustRegexFind \"(\" \"x\" }}",
         "template: commit message:1:3: executing \"commit message\" at <mustRegexFind \"(\" "
         "\"x\">: error calling mustRegexFind: error parsing regexp: missing closing ): `(`",
         false},
        {"{{ mustRegexMatch \"(\" \"x\" }}",
         "template: commit message:1:3: executing \"commit message\" at <mustRegexMatch \"(\" "
         "\"x\">: error calling mustRegexMatch: error parsing regexp: missing closing ): `(`",
         false},
        {"{{ regexFindAll \"[0-9]\" \"a1\" \"x\" }}",
         "template: commit message:1:29: executing \"commit message\" at <\"x\">: expected "
         "integer; found \"x\"",
         false},
        {"{{ b64dec \"aGVsbG8\" }}|{{ b64dec \"aGVsbA==\" }}|{{ b64dec \"aGVsbA=\" }}|{{ b64dec "
         "\"aGV\\nsbA==\" }}|{{ b64dec \"aGVsbA==x\" }}|{{ b64dec \"a===\" }}|{{ b32dec "
         "\"NBSWY3D\" }}|{{ b32dec \"NBSWY===\" }}|{{ b64enc \"\" }}|{{ b32enc \"a\" }}",
         "illegal base64 data at input byte 4|hell|illegal base64 data at input byte "
         "7|hell|illegal base64 data at input byte 8|illegal base64 data at input byte 1|illegal "
         "base32 data at input byte 0|hel||ME======",
         true},
        {"{{ upper 1 }}",
         "template: commit message:1:9: executing \"commit message\" at <1>: expected string; "
         "found 1",
         false},
        {"{{ substr \"a\" 1 \"x\" }}",
         "template: commit message:1:10: executing \"commit message\" at <\"a\">: expected "
         "integer; found \"a\"",
         false},
        {"{{ substr 1 2 }}",
         "template: commit message:1:3: executing \"commit message\" at <substr>: wrong number of "
         "args for substr: want 3 got 2",
         false},
        {"{{ wrap 2 }}",
         "template: commit message:1:3: executing \"commit message\" at <wrap>: wrong number of "
         "args for wrap: want 2 got 1",
         false},
        {"{{ plural \"a\" \"b\" \"c\" }}",
         "template: commit message:1:18: executing \"commit message\" at <\"c\">: expected "
         "integer; found \"c\"",
         false},
        {"{{ indent 2 3 }}",
         "template: commit message:1:12: executing \"commit message\" at <3>: expected string; "
         "found 3",
         false},
        {"{{ splitn \"a\" \"b\" \"c\" }}",
         "template: commit message:1:14: executing \"commit message\" at <\"b\">: expected "
         "integer; found \"b\"",
         false},
        {"{{ cat .Values }}|{{ toStrings .Values }}|{{ toStrings (split \",\" \"a,b\") }}",
         "map[env:prod]|[map[env:prod]]|[map[_0:a _1:b]]", true},
        {"{{ trimAll \"\" \"  x \" }}|{{ trimAll \" \303\251\" \"\303\251 x \303\251\" }}|{{ "
         "swapcase \"\307\206x \307\204\" }}|{{ title \"hello-world foo_bar x.y\" }}|{{ title "
         "\"\307\206a\" }}",
         "  x |x|\307\205X \307\206|Hello-World Foo_bar X.Y|\307\205a", true},
        {"{{ initials 5 }}",
         "template: commit message:1:12: executing \"commit message\" at <5>: expected string; "
         "found 5",
         false},
        {"{{ sha1sum .Values }}",
         "template: commit message:1:11: executing \"commit message\" at <.Values>: wrong type for "
         "value; expected string; got map[string]string",
         false},
        {"{{ abbrevboth 1 2 }}",
         "template: commit message:1:3: executing \"commit message\" at <abbrevboth>: wrong number "
         "of args for abbrevboth: want 3 got 2",
         false},
        {"{{ wrapWith 10 \"\\n\" \"The quick brown fox jumped over the lazy dog\" }}",
         "The quick\nbrown fox\njumped\nover the\nlazy dog", true},
        {"{{ clean \"../../a/../b\" }} {{ clean \"/a/b/\" }} {{ dir \"a/\" }} {{ dir \"/a/b//\" }} "
         "{{ base \"a//\" }} {{ ext \"a.b/c\" }} {{ clean \"a/../..\" }}",
         "../../b /a/b a /a/b a  ..", true},
        {"{{ mustRegexSplit \"a\" \"bab\" -1 }} {{ mustRegexFindAll \"a\" \"bab\" -1 }} {{ "
         "mustRegexReplaceAll \"a\" \"bab\" \"$0$0\" }} {{ mustRegexReplaceAllLiteral \"a\" "
         "\"bab\" \"$0\" }}",
         "[b b] [a] baab b$0b", true},
        {"{{ range $k, $v := split \":\" .Values.env }}{{ $k }}={{ $v }};{{ end }}{{ (splitn \"-\" "
         "2 \"1.2-rc.1\")._1 }}",
         "_0=prod;rc.1", true},
        {"{{ len (regexFindAll \".\" \"h\303\251llo\" -1) }} {{ regexReplaceAll \"(?i)WEB\" "
         "\"r/web:1\" \"api\" }} {{ regexFind \"[[:digit:]]+\" \"v42\" }} {{ regexMatch \"\\\\d\" "
         "\"a1\" }}",
         "5 r/api:1 42 true", true},
        {"{{ \"Update web to 1.3.0 in apps/production with a long message\" | wrap 20 | indent 4 "
         "}}",
         "    Update web to 1.3.0\n    in apps/production\n    with a long message", true},
        /* eddy's one difference: a pattern PCRE2 refuses is reported in PCRE2's words (Go says
         * "missing closing ]: `[`"); RE2's "missing closing )" is kept. */
        {"{{ regexReplaceAll \"[\" \"x\" \"y\" }}",
         "template: commit message:1:3: executing \"commit message\" at <regexReplaceAll \"[\" "
         "\"x\" \"y\">: error calling regexReplaceAll: regexp: Compile(`[`): error parsing "
         "regexp: missing terminating ] for character class: `[`",
         false},
    };
    expect_oracle(cases, sizeof(cases) / sizeof(cases[0]));
}
