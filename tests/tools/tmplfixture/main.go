// tmplfixture: render ImageUpdateAutomation commit message templates as Flux's
// image-automation-controller v1.2.0 does (Go's text/template with sprig v3.3.0's
// HermeticTxtFuncMap, executed on a TemplateData), to take the exact outputs and error texts
// eddy's tests expect from the reference implementation (not built by the tests: its output is
// committed in tests/unit/image/test_template.c and test_sprig.c).
//
//	go run . [-data DATA.json] FILE        # render the template in FILE: the text, or the error
//	go run . [-data DATA.json] -c TMPL...  # each TMPL as a C initialiser {"TMPL", "OUT", ok},
//
// The error is the template's own (Parse's or Execute's err.Error()), without the prefix Flux
// adds in its condition ("unable to create commit message template from spec: ", "failed to run
// template from spec: "); with FILE it goes to stderr with exit status 1.
// DATA.json describes the TemplateData:
//
//	{"namespace": "flux-system", "name": "apps", "values": {"env": "prod"},
//	 "changes": [{"file": "deploy/web.yaml", "apiVersion": "apps/v1", "kind": "Deployment",
//	              "name": "web", "namespace": "apps", "old": "1.2.0", "new": "1.3.0",
//	              "setter": "apps:web:tag"}]}
//
// Without -data it is the data of eddy's unit tests (render() in test_template.c).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"eddy.dev/tests/tools/tmplfixture/source"
	"eddy.dev/tests/tools/tmplfixture/update"
)

type change struct {
	File       string `json:"file"`
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
	Old        string `json:"old"`
	New        string `json:"new"`
	Setter     string `json:"setter"`
}

type data struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Values    map[string]string `json:"values"`
	Changes   []change          `json:"changes"`
}

// The data of eddy's unit tests.
var unitData = data{
	Namespace: "flux-system",
	Name:      "apps",
	Values:    map[string]string{"env": "prod"},
	Changes: []change{
		{"deploy/web.yaml", "apps/v1", "Deployment", "web", "apps", "r/web:1.2.0", "r/web:1.3.0", "apps:web"},
		{"deploy/web.yaml", "apps/v1", "Deployment", "web", "apps", "1.2.0", "1.3.0", "apps:web:tag"},
		{"charts/api.yaml", "helm.toolkit.fluxcd.io/v2", "HelmRelease", "api", "apps", "0.1", "0.2", "apps:api:tag"},
	},
}

func templateData(d data) source.TemplateData {
	td := source.TemplateData{
		AutomationObject: types.NamespacedName{Namespace: d.Namespace, Name: d.Name},
		Values:           d.Values,
	}
	for _, c := range d.Changes {
		id := update.ObjectIdentifier{ResourceIdentifier: yaml.ResourceIdentifier{
			TypeMeta: yaml.TypeMeta{APIVersion: c.APIVersion, Kind: c.Kind},
			NameMeta: yaml.NameMeta{Name: c.Name, Namespace: c.Namespace},
		}}
		td.Changed.Add(c.File, id, update.Change{OldValue: c.Old, NewValue: c.New, Setter: c.Setter})
	}
	return td
}

func render(text string, td source.TemplateData) (string, error) {
	t, err := template.New("commit message").Funcs(sprig.HermeticTxtFuncMap()).Parse(text)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, td); err != nil {
		return "", err
	}
	return b.String(), nil
}

// cString writes s as a C string literal.
func cString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			// an octal escape cannot swallow a following digit as \x can
			fmt.Fprintf(&b, `\%03o`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func main() {
	dataFile := flag.String("data", "", "a JSON description of the TemplateData")
	cMode := flag.Bool("c", false, "render each argument, printing C initialisers")
	flag.Parse()
	d := unitData
	if *dataFile != "" {
		raw, err := os.ReadFile(*dataFile)
		if err == nil {
			d = data{}
			err = json.Unmarshal(raw, &d)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	td := templateData(d)
	if *cMode {
		for _, text := range flag.Args() {
			out, err := render(text, td)
			ok := "true"
			if err != nil {
				out, ok = err.Error(), "false"
			}
			fmt.Printf("{%s, %s, %s},\n", cString(text), cString(out), ok)
		}
		return
	}
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: tmplfixture [-data DATA.json] FILE | -c TMPL...")
		os.Exit(2)
	}
	text, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out, err := render(string(text), td)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(out)
}
