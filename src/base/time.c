/*
 * Time: the monotonic clock for deadlines, RFC 3339 for the timestamps Kubernetes stores, and
 * Go durations, the format of every Flux interval and timeout field ("10m", "1m30s").
 */
#include "base.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int64_t ed_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ed_time_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * ED_NS_PER_S + ts.tv_nsec;
}

int64_t ed_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void ed_civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

void ed_time_rfc3339(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t ed_time_parse_rfc3339(const char *s)
{
    struct tm tm = {0};
    const char *rest = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    return rest ? timegm(&tm) : (time_t)-1;
}

/* Units of a Go duration, in nanoseconds. Longest names first so "ms" wins over "m". */
static const struct {
    const char *name;
    double ns;
} units[] = {
    {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
    {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9},
};

int ed_duration_parse(const char *s, int64_t *out_ms, ed_err *err)
{
    const char *p = s;
    bool neg = false;
    double total_ns = 0;
    if (*p == '-' || *p == '+')
        neg = *p++ == '-';
    if (strcmp(p, "0") == 0) {
        *out_ms = 0;
        return 0;
    }
    if (!*p)
        goto invalid;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            goto invalid;
        const char *num = p;
        while (isdigit((unsigned char)*p) || *p == '.')
            p++;
        char digits[64];
        size_t n = (size_t)(p - num);
        if (n >= sizeof(digits) || (n == 1 && *num == '.'))
            goto invalid;
        memcpy(digits, num, n);
        digits[n] = '\0';
        if (strchr(digits, '.') != strrchr(digits, '.'))
            goto invalid;
        double value = 0;
        if (sscanf(digits, "%lf", &value) != 1)
            goto invalid;
        size_t best = 0;
        int unit = -1;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            size_t ul = strlen(units[i].name);
            if (ul > best && strncmp(p, units[i].name, ul) == 0) {
                best = ul;
                unit = (int)i;
            }
        }
        if (unit < 0)
            goto invalid;
        p += best;
        total_ns += value * units[unit].ns;
        if (total_ns > 9.2e18)
            goto invalid;
    }
    *out_ms = (int64_t)floor(total_ns / 1e6) * (neg ? -1 : 1);
    return 0;
invalid:
    return ed_err_set(err, ED_EINVALID, "invalid duration \"%s\"", s);
}

/* The fraction of a duration as Go writes it: frac (below 10^prec) as ".ddd" with its trailing
 * zeros dropped, or "" when it is 0. */
static void fraction(uint64_t frac, int prec, char out[16])
{
    out[0] = '\0';
    if (frac == 0)
        return;
    snprintf(out, 16, ".%0*llu", prec, (unsigned long long)frac);
    size_t l = strlen(out);
    while (out[l - 1] == '0')
        out[--l] = '\0';
}

void ed_duration_string(int64_t ns, char out[32])
{
    const char *sign = ns < 0 ? "-" : "";
    /* the magnitude in unsigned arithmetic, so that INT64_MIN has one too */
    uint64_t u = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
    char frac[16];
    if (u == 0) {
        snprintf(out, 32, "0s");
    } else if (u < 1000) {
        snprintf(out, 32, "%s%lluns", sign, (unsigned long long)u);
    } else if (u < 1000000) {
        fraction(u % 1000, 3, frac);
        /* U+00B5 MICRO SIGN, as Go writes it */
        snprintf(out, 32, "%s%llu%s\xc2\xb5s", sign, (unsigned long long)(u / 1000), frac);
    } else if (u < ED_NS_PER_S) {
        fraction(u % 1000000, 6, frac);
        snprintf(out, 32, "%s%llu%sms", sign, (unsigned long long)(u / 1000000), frac);
    } else {
        fraction(u % ED_NS_PER_S, 9, frac);
        unsigned long long secs = u / ED_NS_PER_S, h = secs / 3600, m = secs / 60 % 60;
        if (h)
            snprintf(out, 32, "%s%lluh%llum%llu%ss", sign, h, m, secs % 60, frac);
        else if (m)
            snprintf(out, 32, "%s%llum%llu%ss", sign, m, secs % 60, frac);
        else
            snprintf(out, 32, "%s%llu%ss", sign, secs, frac);
    }
}

/* time's own quote(): every byte outside printable ASCII as \xNN, '"' and '\\' escaped. */
static void time_quote(ed_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    ed_buf_append(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; p < (const unsigned char *)s + n; p++) {
        if (*p >= 0x80 || *p < 0x20) {
            char x[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 0xf]};
            ed_buf_append(b, x, 4);
        } else {
            if (*p == '"' || *p == '\\')
                ed_buf_append(b, "\\", 1);
            ed_buf_append(b, p, 1);
        }
    }
    ed_buf_append(b, "\"", 1);
}

char *ed_duration_error(const char *s)
{
    /* ParseDuration's walk, [-+]?([0-9]*(\.[0-9]*)?[a-z]+)+, kept only for its first error */
    const char *p = s, *why = "invalid duration";
    const char *unit = NULL;
    size_t unit_len = 0;
    if (*p == '-' || *p == '+')
        p++;
    while (*p) {
        if (*p != '.' && !isdigit((unsigned char)*p))
            break;
        const char *start = p;
        while (isdigit((unsigned char)*p))
            p++;
        bool pre = p != start;
        if (*p == '.') {
            p++;
            start = p;
            while (isdigit((unsigned char)*p))
                p++;
        }
        if (!pre && p == start)
            break; /* no digits (".s") */
        const char *u = p;
        while (*p && *p != '.' && !isdigit((unsigned char)*p))
            p++;
        if (p == u) {
            why = "missing unit in duration";
            break;
        }
        bool known = false;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            known |= strlen(units[i].name) == (size_t)(p - u) &&
                     strncmp(units[i].name, u, (size_t)(p - u)) == 0;
        if (!known) {
            why = "unknown unit";
            unit = u;
            unit_len = (size_t)(p - u);
            break;
        }
    }
    ed_buf b = ED_BUF_INIT((size_t)1 << 16);
    ed_buf_printf(&b, "time: %s ", why);
    if (unit) {
        time_quote(&b, unit, unit_len);
        ed_buf_append_str(&b, " in duration ");
    }
    time_quote(&b, s, strlen(s));
    char *out = ed_buf_take(&b);
    ed_buf_free(&b);
    return out;
}
