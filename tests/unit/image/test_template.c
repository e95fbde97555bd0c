/*
 * Unit tests of the commit message templates (src/image/template.c): the data Flux exposes
 * (.AutomationObject, .Changed.Changes, .Changed.FileChanges, .Changed.Objects, .Values), range
 * with variables and sorted map keys, if/else if/else, with, trim markers, pipelines with Go's
 * builtins and sprig's functions (src/image/sprig.c); and a clear error for every construct or
 * function that is not supported.
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

static ed_setter_change change(const char *file, const char *api, const char *kind,
                               const char *name, const char *old, const char *new_value,
                               const char *setter)
{
    ed_setter_change c = {0};
    c.file = (char *)file;
    c.api_version = (char *)api;
    c.kind = (char *)kind;
    c.obj_name = (char *)name;
    c.obj_namespace = (char *)"apps";
    c.old_value = (char *)old;
    c.new_value = (char *)new_value;
    c.setter = (char *)setter;
    return c;
}

static char *render(const char *tmpl, const ed_setter_changes *ch, ed_err *err, int *rc)
{
    static const char *const values[] = {"env", "prod", NULL};
    ed_template_data d = {"flux-system", "apps", ch, values};
    char *out = NULL;
    *rc = ed_template_render(tmpl, "commit message", &d, &out, err);
    return out;
}

void test_template_render(void **state)
{
    (void)state;
    ed_setter_change items[] = {
        change("deploy/web.yaml", "apps/v1", "Deployment", "web", "r/web:1.2.0", "r/web:1.3.0",
               "apps:web"),
        change("deploy/web.yaml", "apps/v1", "Deployment", "web", "1.2.0", "1.3.0", "apps:web:tag"),
        change("charts/api.yaml", "helm.toolkit.fluxcd.io/v2", "HelmRelease", "api", "0.1", "0.2",
               "apps:api:tag"),
    };
    ed_setter_changes ch = {items, 3}, none = {NULL, 0};
    static const struct {
        const char *tmpl, *want;
        bool empty;
    } cases[] = {
        {"Automated update by {{ .AutomationObject }} ({{ .Values.env }})\n\nFiles:\n"
         "{{ range $file, $_ := .Changed.FileChanges -}}\n- {{ $file }}\n{{ end -}}\n\n"
         "Objects:\n{{ range $obj, $changes := .Changed.Objects -}}\n"
         "- {{ $obj.Kind }} {{ $obj.Name }}\n{{- range $_, $c := $changes }}\n"
         "  {{ $c.OldValue }} -> {{ $c.NewValue }}\n{{- end }}\n{{ end -}}\n"
         "{{ if .Changed.Changes }}changed{{ else }}nothing{{ end }}\n",
         "Automated update by flux-system/apps (prod)\n\nFiles:\n- charts/api.yaml\n"
         "- deploy/web.yaml\nObjects:\n- Deployment web\n  r/web:1.2.0 -> r/web:1.3.0\n"
         "  1.2.0 -> 1.3.0\n- HelmRelease api\n  0.1 -> 0.2\nchanged\n",
         false},
        {"{{ range .Changed.Changes }}{{ .Setter }}={{ .NewValue }};{{ end }}",
         "apps:web=r/web:1.3.0;apps:web:tag=1.3.0;apps:api:tag=0.2;", false},
        {"{{ range $i, $c := .Changed.Changes }}{{ $i }}:{{ $c.OldValue }} {{ end }}",
         "0:r/web:1.2.0 1:1.2.0 2:0.1 ", false},
        {"{{ if .Values.missing }}a{{ else if .Values.env }}b{{ else }}c{{ end }}", "b", false},
        {"{{ with .AutomationObject }}{{ .Namespace }}|{{ .Name }}{{ end }}", "flux-system|apps",
         false},
        {"{{/* a comment */}}{{ \"literal\" }} {{ $.AutomationObject.Name }}", "literal apps",
         false},
        {"{{ range $f, $objs := .Changed.FileChanges }}{{ $f }}:{{ range $o, $cs := $objs }}"
         "{{ $o.Kind }}/{{ len }}{{ end }}{{ end }}",
         NULL, false},
        {"x{{ range .Changed.Changes }}y{{ else }} none{{ end }}", "x none", true},
        {"{{ if .Changed.Changes }}a{{ else }}b{{ end }}", "b", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_err err = ED_ERR_INIT;
        int rc;
        char *out = render(cases[i].tmpl, cases[i].empty ? &none : &ch, &err, &rc);
        if (!cases[i].want) {
            /* `len` without its argument: refused, naming it. */
            if (rc != ED_EINVALID || !strstr(err.msg, "len"))
                fail_msg("case %zu: rc %d '%s'", i, rc, err.msg);
            continue;
        }
        if (rc != 0)
            fail_msg("case %zu: %s", i, err.msg);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got\n%s\nwant\n%s", i, out, cases[i].want);
        free(out);
    }

    /* The same change twice in one file (two markers of one setter) and once in another: one
     * entry in .Changed.Changes, every occurrence in FileChanges, as Flux's Result keeps them. */
    ed_setter_change dup[] = {
        items[1], items[1],
        change("other/web.yaml", "apps/v1", "Deployment", "web", "1.2.0", "1.3.0", "apps:web:tag"),
        change("other/web.yaml", "apps/v1", "Deployment", "web", "1.2.0", "1.3.1", "apps:web:tag")};
    ed_setter_changes dch = {dup, 4};
    ed_err err = ED_ERR_INIT;
    int rc;
    char *out = render("{{ range .Changed.Changes }}{{ .NewValue }};{{ end }}|"
                       "{{ range $f, $o := .Changed.FileChanges }}{{ $f }}:"
                       "{{ range $_, $cs := $o }}{{ range $cs }}{{ .NewValue }},{{ end }}{{ end }} "
                       "{{ end }}",
                       &dch, &err, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(out,
                        "1.3.0;1.3.1;|deploy/web.yaml:1.3.0,1.3.0, other/web.yaml:1.3.0,1.3.1, ");
    free(out);
}

/* Each template of cases fails to render with exactly its message. */
struct failing {
    const char *tmpl, *msg;
};

static void expect_failures(const struct failing *cases, size_t n)
{
    ed_setter_change one = change("a.yaml", "v1", "Pod", "p", "1", "2", "apps:p:tag");
    ed_setter_changes ch = {&one, 1};
    for (size_t i = 0; i < n; i++) {
        ed_err err = ED_ERR_INIT;
        int rc;
        char *out = render(cases[i].tmpl, &ch, &err, &rc);
        if (rc != ED_EINVALID || out || strcmp(err.msg, cases[i].msg) != 0)
            fail_msg("case %zu (%s): rc %d, message\n%s\nwant\n%s", i, cases[i].tmpl, rc, err.msg,
                     cases[i].msg);
    }
}

/* Every failure in Go's text/template's words (each checked against Flux's image-automation-
 * controller v1.2.0 built with Go 1.26, the template named "commit message" as Flux names it):
 * parse errors ("template: NAME:LINE: ...", found before anything runs, in branches that do not
 * run too) and execution errors ("template: NAME:LINE:COL: executing "NAME" at <NODE>: ...",
 * the node Go was evaluating, at its byte offset in its line). */
void test_template_errors(void **state)
{
    (void)state;
    static const struct failing cases[] = {
        {"{{ .Changed", "template: commit message:1: unclosed action"},
        {"{{ .AutomationObject", "template: commit message:1: unclosed action"},
        {"a\n{{ if .Values.env }}x", "template: commit message:2: unexpected EOF"},
        {"{{ range .Changed.Changes }}\n{{ else }}", "template: commit message:2: unexpected EOF"},
        {"{{ with 1 }}{{ end", "template: commit message:1: unclosed action"},
        {"x{{ end }}", "template: commit message:1: unexpected {{end}}"},
        {"{{ else }}", "template: commit message:1: unexpected {{else}}"},
        {"{{ if true }}a{{ else }}b{{ else }}c{{ end }}",
         "template: commit message:1: expected end; found {{else}}"},
        {"{{ if }}x{{ end }}", "template: commit message:1: missing value for if"},
        {"{{ range }}x{{ end }}", "template: commit message:1: missing value for range"},
        {"{{ with }}x{{ end }}", "template: commit message:1: missing value for with"},
        {"{{ }}", "template: commit message:1: missing value for command"},
        {"{{ | upper }}", "template: commit message:1: unexpected \"|\" in command"},
        {"{{ .X | | upper }}", "template: commit message:1: unexpected \"|\" in command"},
        {"{{ . . }}", "template: commit message:1:3: executing \"commit message\" at <.>: can't "
                      "give argument to non-function ."},
        {"{{ #x }}", "template: commit message:1: unexpected \"#\" in command"},
        {"{{ upper (lower \"A\" }}", "template: commit message:1: unclosed left paren"},
        {"{{ ( }}", "template: commit message:1: unclosed left paren"},
        {"{{ ) }}", "template: commit message:1: unexpected right paren"},
        {"{{ \"abc }}", "template: commit message:1: unterminated quoted string"},
        {"{{ `abc }}", "template: commit message:1: unterminated raw quoted string"},
        {"{{ \"\\q\" }}", "template: commit message:1: invalid syntax"},
        {"{{/* x }}", "template: commit message:1: unclosed comment"},
        {"{{ /* x */ }}", "template: commit message:1: unexpected \"/\" in command"},
        {"{{ now }}", "template: commit message:1: function \"now\" not defined"},
        {"{{ date \"2006\" .X }}", "template: commit message:1: function \"date\" not defined"},
        {"{{ if false }}{{ nope 1 }}{{ end }}",
         "template: commit message:1: function \"nope\" not defined"},
        {"{{ .Nope }}{{ if }}", "template: commit message:1: missing value for if"},
        {"{{ $x }}", "template: commit message:1: undefined variable \"$x\""},
        {"{{ range $x := .Changed.Changes }}{{ $y }}{{ end }}",
         "template: commit message:1: undefined variable \"$y\""},
        {"{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}",
         "template: commit message:1: undefined variable \"$y\""},
        {"{{ range $i, $c := .Changed.Changes }}{{ end }}{{ $i }}",
         "template: commit message:1: undefined variable \"$i\""},
        {"{{ .AutomationObject | \"x\" }}",
         "template: commit message:1: non executable command in pipeline stage 2"},
        {"{{ .AutomationObject.Name | upper | . }}",
         "template: commit message:1: non executable command in pipeline stage 3"},
        {"{{ break }}", "template: commit message:1: {{break}} outside {{range}}"},
        {"{{ continue }}", "template: commit message:1: {{continue}} outside {{range}}"},
        {"{{ .Nope }}", "template: commit message:1:3: executing \"commit message\" at <.Nope>: "
                        "can't evaluate field Nope in type source.TemplateData"},
        {"{{- .Nope -}}", "template: commit message:1:4: executing \"commit message\" at <.Nope>: "
                          "can't evaluate field Nope in type source.TemplateData"},
        {"{{ $.Nope }}", "template: commit message:1:4: executing \"commit message\" at <$.Nope>: "
                         "can't evaluate field Nope in type source.TemplateData"},
        {"x\n\n  {{ .Changed.Changes.X }}",
         "template: commit message:3:13: executing \"commit message\" at <.Changed.Changes.X>: "
         "can't evaluate field X in type []update.Change"},
        {"{{ .Changed.Nope }}", "template: commit message:1:11: executing \"commit message\" at "
                                "<.Changed.Nope>: can't evaluate field Nope in type update.Result"},
        {"{{ .Changed.ImageResult }}",
         "template: commit message:1:11: executing \"commit message\" at <.Changed.ImageResult>: "
         "can't evaluate field ImageResult in type update.Result"},
        {"a\n{{ .Updated }}",
         "template: commit message:2:3: executing \"commit message\" at <.Updated>: can't evaluate "
         "field Updated in type source.TemplateData"},
        {"{{ .AutomationObject.Nope }}",
         "template: commit message:1:20: executing \"commit message\" at <.AutomationObject.Nope>: "
         "can't evaluate field Nope in type types.NamespacedName"},
        {"{{ .Values.env.X }}", "template: commit message:1:10: executing \"commit message\" at "
                                "<.Values.env.X>: can't evaluate field X in type string"},
        {"{{ range .Changed.Changes }}{{ .Foo }}{{ end }}",
         "template: commit message:1:31: executing \"commit message\" at <.Foo>: can't evaluate "
         "field Foo in type update.Change"},
        {"{{ range $o, $c := .Changed.Objects }}{{ $o.Foo }}{{ end }}",
         "template: commit message:1:43: executing \"commit message\" at <$o.Foo>: can't evaluate "
         "field Foo in type update.ObjectIdentifier"},
        {"{{ $x := 1 }}{{ $x.Y }}", "template: commit message:1:18: executing \"commit message\" "
                                    "at <$x.Y>: can't evaluate field Y in type int"},
        {"{{ \"a\" \"b\" }}", "template: commit message:1:3: executing \"commit message\" at "
                              "<\"a\">: can't give argument to non-function \"a\""},
        {"{{ nil }}", "template: commit message:1:3: executing \"commit message\" at <nil>: nil is "
                      "not a command"},
        {"{{ $x = 1 }}", "template: commit message:1:8: executing \"commit message\" at <1>: "
                         "undefined variable: $x"},
        {"{{ range .AutomationObject }}x{{ end }}",
         "template: commit message:1:9: executing \"commit message\" at <.AutomationObject>: range "
         "can't iterate over flux-system/apps"},
        {"{{ range \"abc\" }}x{{ end }}", "template: commit message:1:9: executing \"commit "
                                          "message\" at <\"abc\">: range can't iterate over abc"},
        {"{{ range true }}x{{ end }}", "template: commit message:1:9: executing \"commit message\" "
                                       "at <true>: range can't iterate over true"},
        {"{{ range $i, $v := 3 }}{{ . }}{{ end }}",
         "template: commit message:1:19: executing \"commit message\" at <3>: can't use 3 to "
         "iterate over more than one variable"},
        {"{{ upper 5 }}", "template: commit message:1:9: executing \"commit message\" at <5>: "
                          "expected string; found 5"},
        {"{{ trimPrefix true \"x\" }}", "template: commit message:1:14: executing \"commit "
                                        "message\" at <true>: expected string; found true"},
        {"{{ trimPrefix nil \"x\" }}", "template: commit message:1:14: executing \"commit "
                                       "message\" at <nil>: cannot assign nil to string"},
        {"{{ trunc \"a\" \"b\" }}", "template: commit message:1:9: executing \"commit message\" at "
                                    "<\"a\">: expected integer; found \"a\""},
        {"{{ 5 | upper }}", "template: commit message:1:7: executing \"commit message\" at "
                            "<upper>: wrong type for value; expected string; got int"},
        {"{{ .Values.env | trimPrefix 1 }}", "template: commit message:1:28: executing \"commit "
                                             "message\" at <1>: expected string; found 1"},
        {"{{ upper .Values.missing }}",
         "template: commit message:1:16: executing \"commit message\" at <.Values.missing>: "
         "invalid value; expected string"},
        {"{{ trunc 1 \"a\" \"b\" }}", "template: commit message:1:3: executing \"commit message\" "
                                      "at <trunc>: wrong number of args for trunc: want 2 got 3"},
        {"{{ upper }}", "template: commit message:1:3: executing \"commit message\" at <upper>: "
                        "wrong number of args for upper: want 1 got 0"},
        {"{{ printf }}", "template: commit message:1:3: executing \"commit message\" at <printf>: "
                         "wrong number of args for printf: want at least 1 got 0"},
        {"{{ and }}", "template: commit message:1:3: executing \"commit message\" at <and>: wrong "
                      "number of args for and: want at least 1 got 0"},
        {"{{ first \"x\" }}",
         "template: commit message:1:3: executing \"commit message\" at <first \"x\">: error "
         "calling first: Cannot find first on type string"},
        {"{{ repeat -1 \"a\" }}",
         "template: commit message:1:3: executing \"commit message\" at <repeat -1 \"a\">: error "
         "calling repeat: strings: negative Repeat count"},
        {"{{ len 3 }}", "template: commit message:1:3: executing \"commit message\" at <len 3>: "
                        "error calling len: len of type int"},
        {"{{ len nil }}",
         "template: commit message:1:3: executing \"commit message\" at <len nil>: error calling "
         "len: reflect: call of reflect.Value.Type on zero Value"},
        {"{{ . | len | upper }}", "template: commit message:1:7: executing \"commit message\" at "
                                  "<len>: error calling len: len of type source.TemplateData"},
        {"{{ eq (list 1) 1 }}",
         "template: commit message:1:3: executing \"commit message\" at <eq (list 1) 1>: error "
         "calling eq: incompatible types for comparison: []interface {} and int"},
        {"{{ eq 1 \"a\" }}",
         "template: commit message:1:3: executing \"commit message\" at <eq 1 \"a\">: error "
         "calling eq: incompatible types for comparison: int and string"},
        {"{{ eq 1 }}", "template: commit message:1:3: executing \"commit message\" at <eq 1>: "
                       "error calling eq: missing argument for comparison"},
        {"{{ printf \"%s\" .Nope }}",
         "template: commit message:1:15: executing \"commit message\" at <.Nope>: can't evaluate "
         "field Nope in type source.TemplateData"},
        {"{{ (list 1).X }}", "template: commit message:1:9: executing \"commit message\" at <1>: "
                             "can't evaluate field X in type []interface {}"},
        {"{{ lt true false }}", "template: commit message:1:3: executing \"commit message\" at <lt "
                                "true false>: error calling lt: invalid type for comparison"},
        {"{{ lt 1 \"a\" }}",
         "template: commit message:1:3: executing \"commit message\" at <lt 1 \"a\">: error "
         "calling lt: incompatible types for comparison: int and string"},
        {"{{ lt (list) 1 }}", "template: commit message:1:3: executing \"commit message\" at <lt "
                              "(list) 1>: error calling lt: invalid type for comparison"},
        {"{{ gt nil 1 }}", "template: commit message:1:3: executing \"commit message\" at <gt nil "
                           "1>: error calling gt: invalid type for comparison"},
        {"{{ le 1 }}", "template: commit message:1:3: executing \"commit message\" at <le>: wrong "
                       "number of args for le: want 2 got 1"},
        {"{{ index .Values 1 }}",
         "template: commit message:1:3: executing \"commit message\" at <index .Values 1>: error "
         "calling index: value has type int; should be string"},
        {"{{ index .Values nil }}",
         "template: commit message:1:3: executing \"commit message\" at <index .Values nil>: error "
         "calling index: value is nil; should be of type string"},
        {"{{ index (list 1 2) 5 }}",
         "template: commit message:1:3: executing \"commit message\" at <index (list 1 2) 5>: "
         "error calling index: index out of range: 5"},
        {"{{ index (list 1 2) -1 }}",
         "template: commit message:1:3: executing \"commit message\" at <index (list 1 2) -1>: "
         "error calling index: index out of range: -1"},
        {"{{ index (list 1 2) \"a\" }}",
         "template: commit message:1:3: executing \"commit message\" at <index (list 1 2) \"a\">: "
         "error calling index: cannot index slice/array with type string"},
        {"{{ index (list 1 2) nil }}",
         "template: commit message:1:3: executing \"commit message\" at <index (list 1 2) nil>: "
         "error calling index: cannot index slice/array with nil"},
        {"{{ index .Values.missing 1 }}",
         "template: commit message:1:3: executing \"commit message\" at <index .Values.missing 1>: "
         "error calling index: index of untyped nil"},
        {"{{ index nil 1 }}", "template: commit message:1:3: executing \"commit message\" at "
                              "<index nil 1>: error calling index: index of untyped nil"},
        {"{{ index .AutomationObject 1 }}",
         "template: commit message:1:3: executing \"commit message\" at <index .AutomationObject "
         "1>: error calling index: can't index item of type types.NamespacedName"},
        {"{{ index .Changed.Objects \"x\" }}",
         "template: commit message:1:3: executing \"commit message\" at <index .Changed.Objects "
         "\"x\">: error calling index: value has type string; should be update.ObjectIdentifier"},
        {"{{ index }}", "template: commit message:1:3: executing \"commit message\" at <index>: "
                        "wrong number of args for index: want at least 1 got 0"},
        {"{{ index \"abc\" 3 }}",
         "template: commit message:1:3: executing \"commit message\" at <index \"abc\" 3>: error "
         "calling index: reflect: string index out of range"},
        {"{{ index (list 1 2) 2 }}",
         "template: commit message:1:3: executing \"commit message\" at <index (list 1 2) 2>: "
         "error calling index: reflect: slice index out of range"},
    };
    expect_failures(cases, sizeof(cases) / sizeof(cases[0]));
    /* A parse error is found by ed_template_check alone, an execution error is not. */
    ed_err err = ED_ERR_INIT;
    assert_int_equal(ed_template_check("{{ if .Nope }}{{ end", "commit message", &err),
                     ED_EINVALID);
    assert_string_equal(err.msg, "template: commit message:1: unclosed action");
    assert_int_equal(ed_template_check("{{ .Nope }}{{ len 1 }}", "commit message", &err), 0);
}

/* What eddy does not implement (Go would run it): refused in eddy's words, naming it. */
void test_template_unsupported(void **state)
{
    (void)state;
    static const struct failing cases[] = {
        {"{{ bcrypt \"ab\" }}",
         "template: commit message:1: the sprig function is not supported by eddy: bcrypt"},
        /* not in sprig v3.3.0's map: Go's parse error */
        {"{{ randSeededNumeric 1 }}",
         "template: commit message:1: function \"randSeededNumeric\" not defined"},
        {"{{ 1i }}", "template: commit message:1: unsupported number: 1i"},
        /* an encoder of Masterminds' Version (Go would call it) */
        {"{{ (semver \"1.2.3\").MarshalText }}",
         "template: commit message:1: unsupported construct: the method MarshalText of "
         "*semver.Version"},
        /* Go allows 100000 nested templates, eddy 32 blocks (a deliberate difference) */
        {"{{ define \"t\" }}{{ template \"t\" }}{{ end }}{{ template \"t\" }}",
         "template: commit message:1: templates nested too deeply"},
        {"{{ ((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))) }}",
         "template: commit message:1: parentheses nested too deeply"},
    };
    expect_failures(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Go's builtins and the sprig functions, each with sprig's semantics (results as Go prints
 * them: lists as [a b], a missing value as <no value>). */
void test_template_functions(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl, *want;
    } cases[] = {
        /* strings */
        {"{{ upper \"abc\" }} {{ \"MiXed\" | lower }}", "ABC mixed"},
        {"{{ title \"hello wORLD foo_bar x-y\" }}", "Hello WORLD Foo_bar X-Y"},
        {"[{{ trim \"  a b \\n\" }}][{{ trim \"\\u00a0x\\u3000\" }}]", "[a b][x]"},
        {"{{ \"v1.2.3\" | trimPrefix \"v\" }} {{ trimSuffix \"-rc\" \"1.0-rc\" }} "
         "{{ trimPrefix \"x\" \"v1\" }}",
         "1.2.3 1.0 v1"},
        {"{{ \"a-b-c\" | replace \"-\" \".\" }} {{ replace \"\" \"|\" \"ab\" }}", "a.b.c |a|b|"},
        {"{{ trunc 5 \"hello world\" }}|{{ trunc -5 \"hello world\" }}|{{ trunc 50 \"hi\" }}|"
         "{{ trunc -50 \"hi\" }}",
         "hello|world|hi|hi"},
        {"{{ abbrev 5 \"hello world\" }}|{{ abbrev 3 \"hello\" }}|{{ abbrev 20 \"hello\" }}",
         "he...|hello|hello"},
        {"{{ contains \"ell\" \"hello\" }} {{ \"hello\" | hasPrefix \"he\" }} "
         "{{ hasSuffix \"lo\" \"hello\" }} {{ hasSuffix \"x\" \"hello\" }}",
         "true true true false"},
        {"{{ quote \"a\\\"b\" \"c\" }} {{ quote \"tab\\there\" }} {{ quote nil \"x\" 7 }}",
         "\"a\\\"b\" \"c\" \"tab\\there\" \"x\" \"7\""},
        {"{{ squote \"a\" 1 }} {{ .Values.env | squote }}", "'a' '1' 'prod'"},
        {"{{ repeat 3 \"ab\" }} {{ \"x\" | repeat 2 }}[{{ repeat 0 \"y\" }}]", "ababab xx[]"},
        /* an empty string repeated any number of times: at once, as Go */
        {"[{{ repeat 9223372036854775807 \"\" }}]", "[]"},
        {"{{ nospace \" a b\\tc \" }}", "abc"},
        {"{{ toString 42 }} {{ toString (list 1 \"a\") }} {{ toString .AutomationObject }}",
         "42 [1 a] flux-system/apps"},
        /* lists */
        {"{{ list 1 \"a\" true }}", "[1 a true]"},
        {"{{ join \", \" (list \"a\" \"b\" nil \"c\") }}|{{ join \"-\" \"solo\" }}|"
         "{{ list 1 2 | join \"+\" }}",
         "a, b, c|solo|1+2"},
        {"{{ splitList \",\" \"a,b,,c\" }} {{ splitList \"\" \"ab\" }} "
         "{{ len (splitList \",\" \"\") }}",
         "[a b  c] [a b] 1"},
        {"{{ first (list \"a\" \"b\") }} {{ last (list \"a\" \"b\") }} {{ first (list) }}",
         "a b <no value>"},
        {"{{ uniq (list \"a\" \"b\" \"a\" 1 1 \"1\") }}", "[a b 1 1]"},
        {"{{ sortAlpha (list \"b\" \"C\" \"a\" 10 9) }} {{ sortAlpha \"x\" }}", "[10 9 C a b] [x]"},
        {"{{ has \"b\" (list \"a\" \"b\") }} {{ has 1 (list \"1\") }}", "true false"},
        {"{{ without (list \"a\" \"b\" \"c\" \"b\") \"b\" }} {{ without (list 1 2 3) 1 3 }}",
         "[a c] [2]"},
        {"{{ append (list \"a\") \"b\" }} {{ push (list) 1 }}", "[a b] [1]"},
        /* defaults */
        {"{{ .Values.missing | default \"dflt\" }} {{ .Values.env | default \"dflt\" }} "
         "{{ default \"d\" \"\" }} {{ default \"d\" 0 }} {{ default \"d\" }} "
         "{{ default \"d\" false }} {{ default \"d\" (list) }}",
         "dflt prod d d d d d"},
        {"{{ empty \"\" }} {{ empty \"x\" }} {{ empty 0 }} {{ empty (list) }} "
         "{{ empty .AutomationObject }} {{ empty .Values.missing }}",
         "true false true true false true"},
        {"{{ coalesce \"\" .Values.missing \"b\" \"c\" }} {{ coalesce \"\" 0 }}", "b <no value>"},
        {"{{ ternary \"yes\" \"no\" true }} {{ true | ternary \"yes\" \"no\" }} "
         "{{ ternary \"yes\" \"no\" (eq 1 2) }}",
         "yes yes no"},
        {"{{ toJson (list \"a<b\" 1 true nil) }} {{ toJson .Values }} {{ toJson .AutomationObject "
         "}}",
         "[\"a\\u003cb\",1,true,null] {\"env\":\"prod\"} {\"Namespace\":\"flux-system\","
         "\"Name\":\"apps\"}"},
        {"{{ range .Changed.Changes }}{{ toJson . }}{{ end }} "
         "{{ range $o, $c := .Changed.Objects }}{{ toJson $o }}{{ end }} [{{ toJson .Changed }}]",
         "{\"OldValue\":\"1\",\"NewValue\":\"2\",\"Setter\":\"apps:p:tag\"} "
         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"p\",\"namespace\":\"apps\"} []"},
        /* Go's builtins, parentheses, printing */
        {"{{ len .Changed.Changes }} {{ .Changed.Changes | len }} {{ len \"abc\" }}", "1 1 3"},
        {"{{ if and .Values.env (not .Values.missing) }}y{{ end }} {{ or \"\" \"b\" }} "
         "{{ and 1 0 2 }}",
         "y b 0"},
        {"{{ eq .Values.env \"prod\" }} {{ ne 1 2 }} {{ eq \"a\" \"b\" \"a\" }}", "true true true"},
        {"[{{ .Values.missing }}] {{ .Changed.Changes }}", "[<no value>] [{1 2 apps:p:tag}]"},
        {"{{ (first .Changed.Changes).NewValue }} {{ \"}}\" }} {{ `raw\\n` }}", "2 }} raw\\n"},
        {"{{ range .Values.missing }}x{{ else }}none{{ end }}", "none"},
        /* An object identifier prints as Go prints kyaml's nested structs. */
        {"{{ range $o, $c := .Changed.Objects }}{{ $o }}{{ end }}", "{{{v1 Pod} {p apps}}}"},
        {"{{ with .Values.env | upper }}{{ . }}{{ end }}", "PROD"},
        /* printf as Go's fmt prints (outputs checked against Go 1.26's text/template). */
        {"{{ printf \"%s/%d/%t/%q/%5s|%-3s|%%\" \"a\" 7 true \"q\\\"\" \"x\" \"y\" }}",
         "a/7/true/\"q\\\"\"/    x|y  |%"},
        {"{{ printf \"%s %s\" \"a\" }}", "a %!s(MISSING)"},
        {"{{ printf \"%s\" \"a\" 1 }}", "a%!(EXTRA int=1)"},
        {"{{ printf \"%s\" .AutomationObject }} {{ printf \"%d\" \"x\" }}",
         "flux-system/apps %!d(string=x)"},
        {"{{ printf \"%s\" nil }}", "%!s(<nil>)"},
        /* Flags, widths, precisions, argument indexes and the other verbs of fmt (outputs
         * checked against Go 1.26's text/template). */
        {"{{ printf \"%05d|%-5d|%+d|% d|%x|%X|%#x|%o|%#o|%O|%b|%#b|%c|%U|%T|%T|%T\" 42 42 42 42 "
         "255 255 255 8 8 8 5 5 955 65 1 \"a\" true }}",
         "00042|42   |+42| 42|ff|FF|0xff|10|010|0o10|101|0b101|\xce\xbb|U+0041|int|string|bool"},
        {"{{ printf \"%x|% x|%#x|% #X|%.1x|%.3s|%5.1s|%-6q|%.2q|%05s|%05t|%5t|%v|%05v|%.3d|%.0d|"
         "%#06x|%08b|%+05d|%-05d|%x\" \"hi\" \"hi\" \"hi\" \"hi\" \"hi\" \"abcdef\" \"xyz\" \"a\" "
         "\"abc\" \"ab\" true true 3 3 7 0 255 -5 3 3 -255 }}",
         "6869|68 69|0x6869|0X68 0X69|68|abc|    x|\"a\"   |\"ab\"|000ab|0true| true|3|00003|007||"
         "0x0000ff|-0000101|+0003|3    |-ff"},
        {"{{ printf \"%s|%d|%t|%q|%y|%c\" 5 true \"x\" 5 5 \"a\" }}",
         "%!s(int=5)|%!d(bool=true)|%!t(string=x)|'\\x05'|%!y(int=5)|%!c(string=a)"},
        {"{{ printf \"%[2]s-%[1]s|%[1]d\" \"a\" \"b\" }}", "b-a|%!d(string=a)"},
        {"{{ printf \"%.2s|%3.1s|%-4s|\" \"h\xc3\xa9llo\" \"\xc3\xa9"
         "a\" \"\xc3\xa9\" }}",
         "h\xc3\xa9|  \xc3\xa9|\xc3\xa9   |"},
        {"{{ printf \"%d %s\" nil nil }}|{{ printf \"%v\" nil }}|{{ printf \"%T\" nil }}",
         "%!d(<nil>) %!s(<nil>)|<nil>|<nil>"},
        {"{{ printf \"%\xc3\xa9|%\xc3\xa9|\" 5 }}{{ printf \"%\xc3\xa9\" nil }}",
         "%!\xc3\xa9(int=5)|%!\xc3\xa9(MISSING)|%!\xc3\xa9(<nil>)"},
        /* a width past a million before its last digit is no width: Go's fmt takes the rest of
         * the format with it */
        {"{{ printf \"%999999999999999s\" \"\" }}|{{ printf \"%1000001s|%.99999999d\" \"\" 1 | len "
         "}}",
         "%!(NOVERB)%!(EXTRA string=)|1000027"},
        /* sha256sum, and variables: declared with :=, assigned with = (also from inside a
         * range), scoped to their block. */
        {"{{ sha256sum \"abc\" }}",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"{{ $x := \"a\" }}{{ range list \"1\" \"2\" }}{{ $x = printf \"%s-%s\" $x . }}{{ end }}"
         "{{ $x }}",
         "a-1-2"},
        {"{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"},
        /* The Change-Id of Flux's Gerrit example, its shape: variables, printf, sha256sum. */
        {"{{- $id := .AutomationObject -}}\n{{- $id = printf \"%s%s\" $id (.Values.env | toString) "
         "}}\nChange-Id: {{ printf \"I%s\" (sha256sum $id | trunc 40) }}",
         "\nChange-Id: Id8f7a784d8f44be4c763dc07f959bcb6bf6027ec"},
        /* Go's print, println, lt, le, gt, ge and index (outputs checked against Flux's
         * image-automation-controller v1.2.0) */
        {"{{ print 1 2 }}|{{ print \"a\" \"b\" }}|{{ print \"a\" 1 2 \"b\" }}|{{ print }}|{{ print "
         "nil .Values.missing }}|{{ print .AutomationObject (list 1 \"a\") }}",
         "1 2|ab|a1 2b||<nil> <nil>|flux-system/apps [1 a]"},
        {"{{ println \"a\" 1 }}|{{ println }}|", "a 1\n|\n|"},
        {"{{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge \"a\" \"b\" }} {{ lt -1 0 }}",
         "true true true false true"},
        {"{{ index .Values \"env\" }}|{{ index .Values \"nope\" }}|{{ index (list 1 \"a\") 1 }}|{{ "
         "index \"abc\" 1 }}|{{ index .Values }}|{{ index (list (list 1 2)) 0 1 }}",
         "prod||a|98|map[env:prod]|2"},
        {"{{ index .Changed.FileChanges \"a.yaml\" | len }}|{{ index .Changed.FileChanges \"b\" "
         "}}|{{ index .Changed.Changes 0 }}",
         "1|map[]|{1 2 apps:p:tag}"},
        {"{{ print 1 | len }}", "1"},
        {"{{ range $o, $c := .Changed.Objects }}{{ index $.Changed.Objects $o }}{{ end }}",
         "[{1 2 apps:p:tag}]"},
    };
    ed_setter_change one = change("a.yaml", "v1", "Pod", "p", "1", "2", "apps:p:tag");
    ed_setter_changes ch = {&one, 1};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_err err = ED_ERR_INIT;
        int rc;
        char *out = render(cases[i].tmpl, &ch, &err, &rc);
        if (rc != 0)
            fail_msg("case %zu (%s): %s", i, cases[i].tmpl, err.msg);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu (%s): got\n%s\nwant\n%s", i, cases[i].tmpl, out, cases[i].want);
        free(out);
    }

    /* Without messageTemplateValues, .Values is Flux's nil map: empty, JSON null. */
    ed_template_data d = {"flux-system", "apps", &ch, NULL};
    ed_err err = ED_ERR_INIT;
    char *out = NULL;
    assert_int_equal(
        ed_template_render("{{ .Values }} {{ toJson .Values }} [{{ index .Values \"x\" }}]",
                           "commit message", &d, &out, &err),
        0);
    assert_string_equal(out, "map[] null []");
    free(out);
}
