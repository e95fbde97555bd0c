/*
 * Unit tests of the commit message templates (src/image/template.c): the data Flux exposes
 * (.AutomationObject, .Changed.Changes, .Changed.FileChanges, .Changed.Objects, .Values), range
 * with variables and sorted map keys, if/else if/else, with, trim markers; and a clear error
 * for every construct that is not supported.
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
    *rc = ed_template_render(tmpl, &d, &out, err);
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
            /* `len` is a function: refused, naming it. */
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

void test_template_errors(void **state)
{
    (void)state;
    static const struct {
        const char *tmpl, *msg;
    } cases[] = {
        {"{{ .Changed.Changes | len }}", "pipelines are not supported"},
        {"{{ len .Changed.Changes }}", "functions and pipelines are not supported): len"},
        {"a\n{{ .Updated }}", "line 2: the field .Updated was removed"},
        {"{{ .Nope }}", "no such field: Nope"},
        {"{{ if .Values.env }}x", "if without end"},
        {"x{{ end }}", "unexpected end"},
        {"{{ range $x := .Changed.Changes }}{{ $y }}{{ end }}", "undefined variable $y"},
        {"{{ template \"t\" }}", "unsupported construct: template"},
        {"{{ $x := 1 }}", "variable assignment"},
        {"{{ .AutomationObject", "unclosed action"},
    };
    ed_setter_change one = change("a.yaml", "v1", "Pod", "p", "1", "2", "apps:p:tag");
    ed_setter_changes ch = {&one, 1};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ed_err err = ED_ERR_INIT;
        int rc;
        char *out = render(cases[i].tmpl, &ch, &err, &rc);
        if (rc != ED_EINVALID || out || !strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: rc %d, message '%s'", i, rc, err.msg);
    }
}
