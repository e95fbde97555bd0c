/*
 * ed_buf: a growing byte buffer with a hard size cap (curl's dynbuf habit). Everything eddy
 * reads from a peer (API responses, registry pages, Git objects it inspects) goes through a
 * capped buffer, so a hostile or broken peer meets ED_ETOOBIG instead of exhausting memory.
 */
#include "base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(ed_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return ED_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = ed_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int ed_buf_append(ed_buf *b, const void *data, size_t n)
{
    int rc = reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ed_buf_append_str(ed_buf *b, const char *s)
{
    return ed_buf_append(b, s, strlen(s));
}

int ed_buf_vprintf(ed_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return ED_ERROR;
    int rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int ed_buf_printf(ed_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ed_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int ed_buf_append_json_str(ed_buf *b, const char *s)
{
    return ed_buf_append_json_strn(b, s, strlen(s));
}

int ed_buf_append_json_strn(ed_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = ed_buf_append(b, "\"", 1);
    const unsigned char *end = (const unsigned char *)s + n;
    for (const unsigned char *p = (const unsigned char *)s; p < end && !rc; p++) {
        char esc[7] = "\\u00";
        switch (*p) {
        case '"':
            rc = ed_buf_append(b, "\\\"", 2);
            break;
        case '\\':
            rc = ed_buf_append(b, "\\\\", 2);
            break;
        case '\n':
            rc = ed_buf_append(b, "\\n", 2);
            break;
        case '\r':
            rc = ed_buf_append(b, "\\r", 2);
            break;
        case '\t':
            rc = ed_buf_append(b, "\\t", 2);
            break;
        default:
            /* Control characters are escaped: C0 and DEL, and the C1 range U+0080..U+009F
             * (UTF-8 0xc2 0x80..0x9f), which YAML readers refuse as raw text. */
            if (*p < 0x20 || *p == 0x7f) {
                esc[4] = hex[*p >> 4];
                esc[5] = hex[*p & 0xf];
                rc = ed_buf_append(b, esc, 6);
            } else if (*p == 0xc2 && p + 1 < end && p[1] >= 0x80 && p[1] <= 0x9f) {
                p++;
                esc[4] = hex[*p >> 4];
                esc[5] = hex[*p & 0xf];
                rc = ed_buf_append(b, esc, 6);
            } else if (*p == 0xe2 && p + 2 < end && p[1] == 0x80 &&
                       (p[2] == 0xa8 || p[2] == 0xa9)) {
                /* U+2028 and U+2029 are line breaks to YAML 1.1 readers (and to JavaScript);
                 * Go's encoding/json escapes them too. */
                rc = ed_buf_append_str(b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
                p += 2;
            } else if (*p == 0xef && p + 2 < end && p[1] == 0xbf &&
                       (p[2] == 0xbe || p[2] == 0xbf)) {
                rc = ed_buf_append_str(b, p[2] == 0xbe ? "\\ufffe" : "\\uffff");
                p += 2;
            } else {
                rc = ed_buf_append(b, p, 1);
            }
        }
    }
    return rc ? rc : ed_buf_append(b, "\"", 1);
}

void ed_buf_reset(ed_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *ed_buf_take(ed_buf *b)
{
    char *p = b->data ? b->data : ed_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void ed_buf_free(ed_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
