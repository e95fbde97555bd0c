// Package update has the types of Flux's image-automation-controller v1.2.0 internal/update
// package that its commit message template sees (written after their definitions: the package is
// internal, so it cannot be imported), under the same package name so that Go's messages name
// them as Flux's do ("update.Change", "[]update.Change").
package update

import "sigs.k8s.io/kustomize/kyaml/yaml"

// ObjectIdentifier names an object of a changed file.
type ObjectIdentifier struct {
	yaml.ResourceIdentifier
}

// Result is .Changed: file -> object -> changes.
type Result struct {
	FileChanges map[string]ObjectChanges
}

// ObjectChanges maps an object to its changes.
type ObjectChanges map[ObjectIdentifier][]Change

// Change is one setter's edit.
type Change struct {
	OldValue string
	NewValue string
	Setter   string
}

// Add records changes of an object of a file.
func (r *Result) Add(file string, id ObjectIdentifier, changes ...Change) {
	if r.FileChanges == nil {
		r.FileChanges = map[string]ObjectChanges{}
	}
	if r.FileChanges[file] == nil {
		r.FileChanges[file] = ObjectChanges{}
	}
	r.FileChanges[file][id] = append(r.FileChanges[file][id], changes...)
}

// Changes is every distinct change, as Flux's method gives it to the template.
func (r Result) Changes() []Change {
	seen := map[Change]bool{}
	var out []Change
	for _, objs := range r.FileChanges {
		for _, cs := range objs {
			for _, c := range cs {
				if !seen[c] {
					seen[c] = true
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// Objects is every object's changes across files.
func (r Result) Objects() ObjectChanges {
	out := ObjectChanges{}
	for _, objs := range r.FileChanges {
		for id, cs := range objs {
			out[id] = append(out[id], cs...)
		}
	}
	return out
}
