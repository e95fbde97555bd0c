// Package source has Flux's TemplateData under its package name ("source.TemplateData" in Go's
// messages).
package source

import (
	"k8s.io/apimachinery/pkg/types"

	"eddy.dev/tests/tools/tmplfixture/update"
)

// TemplateData is the value Flux executes the commit message template on.
type TemplateData struct {
	AutomationObject types.NamespacedName
	Changed          update.Result
	Values           map[string]string
}
