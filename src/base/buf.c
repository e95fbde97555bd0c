/*
 * ed_buf: a growing byte buffer with a hard size cap (curl's dynbuf habit). Everything eddy
 * reads from a peer (API responses, registry pages, Git objects it inspects) goes through a
 * capped buffer, so a hostile or broken peer meets ED_ETOOBIG instead of exhausting memory.
 */
#include "base.h"

#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

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

/* ---- Go's %q ---- */

/* The rune at p (at most n bytes), as Go's utf8.DecodeRune reads it: *len is its length, and
 * -1 is returned for an invalid sequence (an overlong form, a surrogate, a stray or truncated
 * byte), which counts one byte. */
static int32_t decode_rune(const unsigned char *p, size_t n, size_t *len)
{
    *len = 1;
    unsigned char c = p[0];
    if (c < 0x80)
        return c;
    size_t need = c >= 0xc2 && c <= 0xdf   ? 2
                  : c >= 0xe0 && c <= 0xef ? 3
                  : c >= 0xf0 && c <= 0xf4 ? 4
                                           : 0;
    if (!need || n < need)
        return -1;
    int32_t r = c & (need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return -1;
        r = (r << 6) | (p[i] & 0x3f);
    }
    static const int32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (r < least[need] || r > 0x10ffff || (r >= 0xd800 && r <= 0xdfff))
        return -1;
    *len = need;
    return r;
}

static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;
static locale_t utf8_locale;

static void open_utf8_locale(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Go's unicode.IsPrint for r >= 0x80: glibc's print class (C.UTF-8) less what Go leaves out
 * and glibc keeps: spaces other than U+0020 (Zs), format characters (Cf) and private use
 * (Co). */
static bool go_printable(int32_t r)
{
    static const int32_t not_print[][2] = {
        {0x80, 0xa0},       {0xad, 0xad},        {0x600, 0x605},     {0x61c, 0x61c},
        {0x6dd, 0x6dd},     {0x70f, 0x70f},      {0x890, 0x891},     {0x8e2, 0x8e2},
        {0x1680, 0x1680},   {0x180e, 0x180e},    {0x2000, 0x200f},   {0x2028, 0x202f},
        {0x205f, 0x2064},   {0x2066, 0x206f},    {0x3000, 0x3000},   {0xe000, 0xf8ff},
        {0xfeff, 0xfeff},   {0xfff9, 0xfffb},    {0x110bd, 0x110bd}, {0x110cd, 0x110cd},
        {0x13430, 0x1343f}, {0x1bca0, 0x1bca3},  {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
        {0xe0020, 0xe007f}, {0xf0000, 0x10ffff},
    };
    for (size_t i = 0; i < sizeof(not_print) / sizeof(not_print[0]); i++)
        if (r >= not_print[i][0] && r <= not_print[i][1])
            return false;
    pthread_once(&utf8_once, open_utf8_locale);
    /* Without C.UTF-8 (a minimal system), the assigned/unassigned question cannot be asked:
     * the rune is kept as text. */
    return !utf8_locale || iswprint_l((wint_t)r, utf8_locale);
}

int ed_buf_append_go_quoted(ed_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    int rc = ed_buf_append(b, "\"", 1);
    const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
    while (p < end && !rc) {
        size_t len;
        int32_t r = decode_rune(p, (size_t)(end - p), &len);
        static const char esc_from[] = "\a\b\f\n\r\t\v\"\\";
        static const char esc_to[] = "abfnrtv\"\\";
        const char *e = r > 0 && r < 0x80 ? strchr(esc_from, r) : NULL;
        char out[4];
        if (e) {
            out[0] = '\\';
            out[1] = esc_to[e - esc_from];
            rc = ed_buf_append(b, out, 2);
        } else if (r < 0 || r < 0x20 || r == 0x7f) { /* a byte: \xNN */
            out[0] = '\\';
            out[1] = 'x';
            out[2] = hex[*p >> 4];
            out[3] = hex[*p & 0xf];
            rc = ed_buf_append(b, out, 4);
        } else if (r < 0x80 || go_printable(r)) {
            rc = ed_buf_append(b, p, len);
        } else if (r < 0x10000) {
            rc = ed_buf_printf(b, "\\u%04x", (unsigned)r);
        } else {
            rc = ed_buf_printf(b, "\\U%08x", (unsigned)r);
        }
        p += len;
    }
    return rc ? rc : ed_buf_append(b, "\"", 1);
}
