/*
 * libFuzzer target for migrate -f's reading of manifests (the files come from Git): the input
 * is scanned with each Flux version's table and rewritten. Neither may crash or leak; every
 * upgrade names a later line than the one before; the rewrite keeps the number of lines, and
 * each upgrade changes the length by the difference of the two versions' lengths (the old one
 * is always found on its line: it was read there).
 */
#include "cli/cli_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const char *s, size_t n)
{
    size_t lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += s[i] == '\n';
    return lines;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *versions[] = {"2.9", "2.6"};
    for (size_t v = 0; v < 2; v++) {
        ed_cli_migrate_upgrades u;
        ed_buf warnings = ED_BUF_INIT(1 << 20);
        ed_cli_migrate_detect("f.yaml", text, size, ed_cli_migrate_latest(versions[v]), &u,
                              &warnings);
        long grow = 0;
        for (size_t i = 0; i < u.n; i++) {
            if (i && u.items[i].line <= u.items[i - 1].line)
                abort();
            grow += (long)strlen(u.items[i].new_version) - (long)strlen(u.items[i].old_version);
        }
        ed_buf out = ED_BUF_INIT((size_t)1 << 24);
        if (ed_cli_migrate_rewrite(text, size, &u, &out) != 0)
            abort();
        if (count_lines(out.data ? out.data : "", out.len) != count_lines(text, size))
            abort();
        if (u.n == 0 && (out.len != size || (size && memcmp(out.data, data, size) != 0)))
            abort();
        if ((long)out.len != (long)size + grow)
            abort();
        ed_buf_free(&out);
        ed_buf_free(&warnings);
        ed_cli_migrate_upgrades_free(&u);
    }
    return 0;
}
