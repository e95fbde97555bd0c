/*
 * eddy: one binary, two faces (DESIGN.md). `eddy controller` will run every controller in one
 * process; every other verb is the command line. main() only hands over to the CLI.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
    return ed_cli_main(argc, argv);
}
