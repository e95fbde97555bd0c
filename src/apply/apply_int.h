/*
 * Private to the apply module: the parts of ed_apply_all that live in their own files.
 */
#ifndef ED_APPLY_INT_H
#define ED_APPLY_INT_H

#include "apply.h"

/*
 * takeover.c: when live (an object as read) has fields owned by kubectl-era managers (names
 * beginning with "kubectl", Apply or Update; with "before-first-apply" or `manager` itself,
 * Update; subresources aside) or by one of extra (a NULL-terminated list of name prefixes,
 * Apply or Update, or NULL), as Flux's prefix match, or kubectl's last-applied annotation or
 * Flux v1's marks (the checksum annotations, the sync-gc-mark label), append to out a JSON
 * patch that hands those fields to manager's Apply entry (the first entry taken renamed when
 * there is none yet) and drops the annotations and label, and return true; false (out
 * untouched) when there is nothing to take over.
 */
bool ed_apply_takeover_patch(const ed_node *live, const char *manager, const char *const *extra,
                             ed_buf *out);

#endif
