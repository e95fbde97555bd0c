/*
 * cli: eddy's command line, Flux's verbs for people. One file per verb family; this header is
 * the entry point main() calls. The CLI talks only to the Kubernetes API, never to the agent.
 */
#ifndef ED_CLI_H
#define ED_CLI_H

/* Run the command line: argv[1] names the verb. Returns the process exit status (0 success,
 * 1 failure, 2 usage error). */
int ed_cli_main(int argc, char **argv);

#endif
