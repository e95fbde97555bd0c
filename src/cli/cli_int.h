/*
 * Private to the cli module: the verbs implemented in other files of the folder.
 */
#ifndef ED_CLI_INT_H
#define ED_CLI_INT_H

#include "../base/base.h"

#ifndef ED_VERSION
#define ED_VERSION "0.0.0-unknown"
#endif
#define ED_CLI_VERSION ED_VERSION

/* `eddy controller [flags]`: the agent process (controller.c). Returns the exit status. */
int ed_cli_controller(int argc, char **argv);
/* flux's everyday verbs for GitRepository and Kustomization (flux.c). */
int ed_cli_get(int argc, char **argv);
int ed_cli_suspend(int argc, char **argv);
int ed_cli_resume(int argc, char **argv);
int ed_cli_reconcile(int argc, char **argv);
/* `eddy kustomize build DIR` (kustomize.c). */
int ed_cli_kustomize(int argc, char **argv);

#endif
