/*
 * Times as Go's time package reads and writes them, for sprig's date functions in commit
 * message templates (toDate, mustToDate, unixEpoch, mustDateModify, ago): time.ParseInLocation
 * and Time.Format with Go's layouts, the reference time "Mon Jan 2 15:04:05 MST 2006" written
 * the way the value should look ("2006-01-02", "Jan _2 15:04", "2006-01-02T15:04:05Z07:00",
 * ".000" or ",999" fractions...), and Time.String.
 *
 * Go's Local is UTC here, as in Flux's controller image (no TZ, no /etc/localtime): a time
 * without a zone is UTC, "+00:00" is Local's UTC, another offset a fixed zone named after the
 * abbreviation read ("-0700 MST") or unnamed (Format writes its offset, "+0200"), and a zone
 * abbreviation without an offset a zone of that name at offset 0 (or GMT's "+3"), the instant
 * read as UTC, as Go does.
 */
#include "image_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The elements of a layout (Go's std chunks). */
enum {
    T_NONE,
    T_LONG_MONTH,       /* January */
    T_MONTH,            /* Jan */
    T_NUM_MONTH,        /* 1 */
    T_ZERO_MONTH,       /* 01 */
    T_LONG_WDAY,        /* Monday */
    T_WDAY,             /* Mon */
    T_DAY,              /* 2 */
    T_UNDER_DAY,        /* _2 */
    T_ZERO_DAY,         /* 02 */
    T_UNDER_YDAY,       /* __2 */
    T_ZERO_YDAY,        /* 002 */
    T_HOUR,             /* 15 */
    T_HOUR12,           /* 3 */
    T_ZERO_HOUR12,      /* 03 */
    T_MINUTE,           /* 4 */
    T_ZERO_MINUTE,      /* 04 */
    T_SECOND,           /* 5 */
    T_ZERO_SECOND,      /* 05 */
    T_LONG_YEAR,        /* 2006 */
    T_YEAR,             /* 06 */
    T_PM,               /* PM */
    T_pm,               /* pm */
    T_TZ,               /* MST */
    T_ISO_TZ,           /* Z0700 */
    T_ISO_SEC_TZ,       /* Z070000 */
    T_ISO_SHORT_TZ,     /* Z07 */
    T_ISO_COLON_TZ,     /* Z07:00 */
    T_ISO_COLON_SEC_TZ, /* Z07:00:00 */
    T_NUM_TZ,           /* -0700 */
    T_NUM_SEC_TZ,       /* -070000 */
    T_NUM_SHORT_TZ,     /* -07 */
    T_NUM_COLON_TZ,     /* -07:00 */
    T_NUM_COLON_SEC_TZ, /* -07:00:00 */
    T_FRAC0,            /* .000 or ,000: that many digits */
    T_FRAC9,            /* .999 or ,999: up to that many, trailing zeros dropped */
};

/* One element found in a layout: the literal text before it, its code and text. */
typedef struct chunk {
    size_t prefix; /* bytes of literal text before the element */
    int code;      /* T_NONE: none left, the whole layout is literal */
    size_t len;    /* the element's bytes */
    int digits;    /* T_FRAC*: the number of 0s or 9s */
    char sep;      /* T_FRAC*: '.' or ',' */
} chunk;

static bool has(const char *s, size_t i, size_t n, const char *what)
{
    size_t w = strlen(what);
    return n >= i + w && memcmp(s + i, what, w) == 0;
}

static bool lower_at(const char *s, size_t i, size_t n)
{
    return i < n && s[i] >= 'a' && s[i] <= 'z';
}

static bool digit_at(const char *s, size_t i, size_t n)
{
    return i < n && s[i] >= '0' && s[i] <= '9';
}

/* The shape of a numeric zone element: its fields (±hh 1, ±hhmm 2, ±hhmmss 3), and whether
 * colons part them. */
static size_t zone_shape(int code, bool *colon)
{
    *colon = code == T_ISO_COLON_TZ || code == T_NUM_COLON_TZ || code == T_ISO_COLON_SEC_TZ ||
             code == T_NUM_COLON_SEC_TZ;
    if (code == T_NUM_SHORT_TZ || code == T_ISO_SHORT_TZ)
        return 1;
    if (code == T_ISO_SEC_TZ || code == T_NUM_SEC_TZ || code == T_ISO_COLON_SEC_TZ ||
        code == T_NUM_COLON_SEC_TZ)
        return 3;
    return 2;
}

/* The next element of layout[0..n), as Go's nextStdChunk finds it. */
static chunk next_chunk(const char *l, size_t n)
{
    static const struct {
        const char *text;
        int code;
    } tz[] = {{"-070000", T_NUM_SEC_TZ},
              {"-07:00:00", T_NUM_COLON_SEC_TZ},
              {"-0700", T_NUM_TZ},
              {"-07:00", T_NUM_COLON_TZ},
              {"-07", T_NUM_SHORT_TZ},
              {"Z070000", T_ISO_SEC_TZ},
              {"Z07:00:00", T_ISO_COLON_SEC_TZ},
              {"Z0700", T_ISO_TZ},
              {"Z07:00", T_ISO_COLON_TZ},
              {"Z07", T_ISO_SHORT_TZ}};
    static const int zero_x[] = {T_ZERO_MONTH,  T_ZERO_DAY,    T_ZERO_HOUR12,
                                 T_ZERO_MINUTE, T_ZERO_SECOND, T_YEAR};
    for (size_t i = 0; i < n; i++) {
        chunk c = {.prefix = i};
        switch (l[i]) {
        case 'J':
            if (has(l, i, n, "January"))
                return (chunk){i, T_LONG_MONTH, 7, 0, 0};
            if (has(l, i, n, "Jan") && !lower_at(l, i + 3, n))
                return (chunk){i, T_MONTH, 3, 0, 0};
            break;
        case 'M':
            if (has(l, i, n, "Monday"))
                return (chunk){i, T_LONG_WDAY, 6, 0, 0};
            if (has(l, i, n, "Mon") && !lower_at(l, i + 3, n))
                return (chunk){i, T_WDAY, 3, 0, 0};
            if (has(l, i, n, "MST"))
                return (chunk){i, T_TZ, 3, 0, 0};
            break;
        case '0':
            if (i + 1 < n && l[i + 1] >= '1' && l[i + 1] <= '6')
                return (chunk){i, zero_x[l[i + 1] - '1'], 2, 0, 0};
            if (has(l, i, n, "002"))
                return (chunk){i, T_ZERO_YDAY, 3, 0, 0};
            break;
        case '1':
            if (has(l, i, n, "15"))
                return (chunk){i, T_HOUR, 2, 0, 0};
            return (chunk){i, T_NUM_MONTH, 1, 0, 0};
        case '2':
            if (has(l, i, n, "2006"))
                return (chunk){i, T_LONG_YEAR, 4, 0, 0};
            return (chunk){i, T_DAY, 1, 0, 0};
        case '_':
            if (has(l, i, n, "_2006")) /* the '_' stays literal */
                return (chunk){i + 1, T_LONG_YEAR, 4, 0, 0};
            if (has(l, i, n, "_2"))
                return (chunk){i, T_UNDER_DAY, 2, 0, 0};
            if (has(l, i, n, "__2"))
                return (chunk){i, T_UNDER_YDAY, 3, 0, 0};
            break;
        case '3':
            return (chunk){i, T_HOUR12, 1, 0, 0};
        case '4':
            return (chunk){i, T_MINUTE, 1, 0, 0};
        case '5':
            return (chunk){i, T_SECOND, 1, 0, 0};
        case 'P':
            if (has(l, i, n, "PM"))
                return (chunk){i, T_PM, 2, 0, 0};
            break;
        case 'p':
            if (has(l, i, n, "pm"))
                return (chunk){i, T_pm, 2, 0, 0};
            break;
        case '-':
        case 'Z':
            for (size_t k = 0; k < sizeof(tz) / sizeof(tz[0]); k++)
                if (tz[k].text[0] == l[i] && has(l, i, n, tz[k].text))
                    return (chunk){i, tz[k].code, strlen(tz[k].text), 0, 0};
            break;
        case '.':
        case ',':
            if (i + 1 < n && (l[i + 1] == '0' || l[i + 1] == '9')) {
                size_t j = i + 1;
                while (j < n && l[j] == l[i + 1])
                    j++;
                if (!digit_at(l, j, n)) {
                    c.code = l[i + 1] == '0' ? T_FRAC0 : T_FRAC9;
                    c.len = j - i;
                    c.digits = (int)((j - i - 1) & 0xfff);
                    c.sep = l[i];
                    return c;
                }
            }
            break;
        default:
            break;
        }
    }
    return (chunk){n, T_NONE, 0, 0, 0};
}

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

/* ---- the calendar (proleptic Gregorian, as Go's) ---- */

static bool is_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int days_in(int month, int64_t year)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- Parse ---- */

/* strconv-free Go's time.quote: printable ASCII as is (\" and \\ escaped), other bytes \xNN. */
static void time_quote(ed_buf *b, const char *s, size_t n)
{
    ed_buf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || c < ' ') {
            /* a whole UTF-8 sequence is escaped byte by byte, as Go's does */
            ed_buf_printf(b, "\\x%02x", c);
        } else {
            if (c == '"' || c == '\\')
                ed_buf_append(b, "\\", 1);
            ed_buf_append(b, &s[i], 1);
        }
    }
    ed_buf_append(b, "\"", 1);
}

/* Go's ParseError text for an element that does not parse: `parsing time "VALUE" as
 * "LAYOUT": cannot parse "VALUE_ELEM" as "LAYOUT_ELEM"`. */
static char *parse_error(const char *layout, const char *value, const char *lelem, size_t lelem_n,
                         const char *velem)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    ed_buf_append_str(&b, "parsing time ");
    time_quote(&b, value, strlen(value));
    ed_buf_append_str(&b, " as ");
    time_quote(&b, layout, strlen(layout));
    ed_buf_append_str(&b, ": cannot parse ");
    time_quote(&b, velem, strlen(velem));
    ed_buf_append_str(&b, " as ");
    time_quote(&b, lelem, lelem_n);
    char *msg = ed_buf_take(&b);
    ed_buf_free(&b);
    return msg;
}

/* Go's ParseError text with its message: `parsing time "VALUE": day out of range`. */
static char *parse_error_msg(const char *value, const char *message)
{
    ed_buf b = ED_BUF_INIT((size_t)1 << 24);
    ed_buf_append_str(&b, "parsing time ");
    time_quote(&b, value, strlen(value));
    ed_buf_append_str(&b, message);
    char *msg = ed_buf_take(&b);
    ed_buf_free(&b);
    return msg;
}

/* Go's getnum: one or two digits (exactly two when fixed). */
static bool getnum(const char **v, bool fixed, int *out)
{
    const char *s = *v;
    *out = 0;
    if (!(s[0] >= '0' && s[0] <= '9'))
        return false;
    if (!(s[1] >= '0' && s[1] <= '9')) {
        if (fixed)
            return false;
        *out = s[0] - '0';
        *v = s + 1;
        return true;
    }
    *out = (s[0] - '0') * 10 + (s[1] - '0');
    *v = s + 2;
    return true;
}

static bool getnum3(const char **v, bool fixed, int *out)
{
    const char *s = *v;
    int n = 0, i = 0;
    for (; i < 3 && s[i] >= '0' && s[i] <= '9'; i++)
        n = n * 10 + (s[i] - '0');
    if (i == 0 || (fixed && i != 3))
        return false;
    *out = n;
    *v = s + i;
    return true;
}

/* Go's atoi of a field: an optional sign then digits only. */
static bool field_atoi(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    int64_t x = 0; /* (no digits at all read as 0, as Go's atoi does) */
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || x > (INT64_MAX - 9) / 10)
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *out = neg ? -x : x;
    return true;
}

/* The literal prefix of a layout against the value (Go's skip: a space matches any run of
 * spaces, on both sides); *v moves past what matched, up to a mismatch. */
static bool skip_literal(const char **v, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] == ' ') {
            if (**v && **v != ' ')
                return false;
            while (i < n && p[i] == ' ')
                i++;
            while (**v == ' ')
                (*v)++;
            continue;
        }
        if (**v != p[i])
            return false;
        (*v)++;
        i++;
    }
    return true;
}

static bool match_fold(const char *s, const char *name)
{
    for (size_t i = 0; name[i]; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)name[i];
        if (!a)
            return false;
        if (a != b) {
            a |= 0x20;
            b |= 0x20;
            if (a != b || a < 'a' || a > 'z')
                return false;
        }
    }
    return true;
}

/* Which of names (full, or their first three bytes) the value starts with, case folded. */
static int lookup_name(const char **v, const char *const *names, size_t count, bool short_form)
{
    for (size_t i = 0; i < count; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%.*s", short_form ? 3 : (int)strlen(names[i]), names[i]);
        if (match_fold(*v, name)) {
            *v += strlen(name);
            return (int)i;
        }
    }
    return -1;
}

/* Go's parseSignedOffset: "+3", "-10" up to 23 hours; the bytes read, 0 if none. */
static size_t signed_offset_len(const char *s)
{
    if (*s != '-' && *s != '+')
        return 0;
    size_t i = 1;
    uint64_t x = 0;
    for (; s[i] >= '0' && s[i] <= '9'; i++) {
        if (x > UINT64_MAX / 10)
            return 0; /* (Go's leadingInt overflows) */
        x = x * 10 + (uint64_t)(s[i] - '0');
    }
    if (i == 1 || x > 23)
        return 0;
    return i;
}

/* Go's parseTimeZone: the length of a zone abbreviation ("MST", "CEST", "ChST", "GMT+3",
 * "+03"), 0 when there is none. */
static size_t time_zone_len(const char *s)
{
    size_t n = strlen(s);
    if (n < 3)
        return 0;
    if (n >= 4 && (strncmp(s, "ChST", 4) == 0 || strncmp(s, "MeST", 4) == 0))
        return 4;
    if (strncmp(s, "GMT", 3) == 0)
        return 3 + signed_offset_len(s + 3);
    if (s[0] == '+' || s[0] == '-')
        return signed_offset_len(s);
    size_t upper = 0;
    while (upper < 6 && upper < n && s[upper] >= 'A' && s[upper] <= 'Z')
        upper++;
    switch (upper) {
    case 5:
        return s[4] == 'T' ? 5 : 0;
    case 4:
        return s[3] == 'T' || strncmp(s, "WITA", 4) == 0 ? 4 : 0;
    case 3:
        return 3;
    default:
        return 0;
    }
}

/* Go's parseNanoseconds of value[0..nbytes) (its separator then digits): true, or false
 * when it is not a fraction; *range set when the number read is negative (".-1"). */
static bool parse_nanos(const char *s, size_t nbytes, int *ns, const char **range)
{
    if (s[0] != '.' && s[0] != ',')
        return false;
    if (nbytes > 10)
        nbytes = 10;
    int64_t x;
    if (!field_atoi(s + 1, nbytes - 1, &x))
        return false;
    if (x < 0) {
        *range = "fractional second";
        return true;
    }
    for (size_t i = nbytes; i < 10; i++)
        x *= 10;
    *ns = (int)x;
    return true;
}

int ed_go_time_parse(const char *layout, const char *value, ed_go_time *out, char **err)
{
    const char *l = layout, *v = value, *range = NULL;
    bool am = false, pm = false, utc = false;
    int64_t year = 0;
    int month = -1, day = -1, yday = -1, hour = 0, min = 0, sec = 0, nsec = 0;
    int offset = 0;
    bool has_offset = false;
    char zone[16] = "";
    *err = NULL;
    for (;;) {
        size_t ln = strlen(l);
        chunk c = next_chunk(l, ln);
        if (!skip_literal(&v, l, c.prefix)) {
            *err = parse_error(layout, value, l, c.prefix, v);
            return -1;
        }
        if (c.code == T_NONE) {
            if (*v) {
                ed_buf b = ED_BUF_INIT((size_t)1 << 24);
                ed_buf_append_str(&b, ": extra text: ");
                time_quote(&b, v, strlen(v));
                char *msg = ed_buf_take(&b);
                ed_buf_free(&b);
                *err = parse_error_msg(value, msg);
                free(msg);
                return -1;
            }
            break;
        }
        const char *elem = l + c.prefix;
        l = elem + c.len;
        const char *hold = v;
        bool ok = true;
        int64_t n64;
        switch (c.code) {
        case T_YEAR:
            if (strlen(v) < 2 || !field_atoi(v, 2, &n64)) {
                ok = false;
                break;
            }
            year = n64 >= 69 ? n64 + 1900 : n64 + 2000;
            v += 2;
            break;
        case T_LONG_YEAR:
            if (strlen(v) < 4 || !(v[0] >= '0' && v[0] <= '9') || !field_atoi(v, 4, &n64)) {
                ok = false;
                break;
            }
            year = n64;
            v += 4;
            break;
        case T_MONTH:
        case T_LONG_MONTH:
            month = lookup_name(&v, month_names, 12, c.code == T_MONTH) + 1;
            ok = month > 0;
            break;
        case T_NUM_MONTH:
        case T_ZERO_MONTH:
            ok = getnum(&v, c.code == T_ZERO_MONTH, &month);
            if (ok && (month <= 0 || month > 12))
                range = "month";
            break;
        case T_WDAY:
        case T_LONG_WDAY:
            ok = lookup_name(&v, day_names, 7, c.code == T_WDAY) >= 0;
            break;
        case T_DAY:
        case T_UNDER_DAY:
        case T_ZERO_DAY:
            if (c.code == T_UNDER_DAY && *v == ' ')
                v++;
            ok = getnum(&v, c.code == T_ZERO_DAY, &day);
            break;
        case T_UNDER_YDAY:
        case T_ZERO_YDAY:
            for (int i = 0; i < 2; i++)
                if (c.code == T_UNDER_YDAY && *v == ' ')
                    v++;
            ok = getnum3(&v, c.code == T_ZERO_YDAY, &yday);
            break;
        case T_HOUR:
            ok = getnum(&v, false, &hour);
            if (hour < 0 || hour >= 24)
                range = "hour";
            break;
        case T_HOUR12:
        case T_ZERO_HOUR12:
            ok = getnum(&v, c.code == T_ZERO_HOUR12, &hour);
            if (hour < 0 || hour > 12)
                range = "hour";
            break;
        case T_MINUTE:
        case T_ZERO_MINUTE:
            ok = getnum(&v, c.code == T_ZERO_MINUTE, &min);
            if (min < 0 || min >= 60)
                range = "minute";
            break;
        case T_SECOND:
        case T_ZERO_SECOND:
            if (!(ok = getnum(&v, c.code == T_ZERO_SECOND, &sec)))
                break;
            if (sec < 0 || sec >= 60) {
                range = "second";
                break;
            }
            /* a fraction the layout does not give right after the seconds is read too */
            if ((v[0] == '.' || v[0] == ',') && v[1] >= '0' && v[1] <= '9') {
                chunk next = next_chunk(l, strlen(l));
                if (next.code == T_FRAC0 || next.code == T_FRAC9)
                    break;
                size_t k = 2;
                while (v[k] >= '0' && v[k] <= '9')
                    k++;
                ok = parse_nanos(v, k, &nsec, &range);
                v += k;
            }
            break;
        case T_PM:
        case T_pm:
            if (strlen(v) < 2) {
                ok = false;
                break;
            }
            if (strncmp(v, c.code == T_PM ? "PM" : "pm", 2) == 0)
                pm = true;
            else if (strncmp(v, c.code == T_PM ? "AM" : "am", 2) == 0)
                am = true;
            else
                ok = false;
            v += 2;
            break;
        case T_ISO_TZ:
        case T_ISO_SHORT_TZ:
        case T_ISO_COLON_TZ:
        case T_ISO_SEC_TZ:
        case T_ISO_COLON_SEC_TZ:
            if (*v == 'Z') {
                v++;
                utc = true;
                break;
            }
            __attribute__((fallthrough));
        case T_NUM_TZ:
        case T_NUM_SHORT_TZ:
        case T_NUM_COLON_TZ:
        case T_NUM_SEC_TZ:
        case T_NUM_COLON_SEC_TZ: {
            /* ±hh, ±hhmm, ±hh:mm, ±hhmmss or ±hh:mm:ss */
            bool colon;
            size_t parts = zone_shape(c.code, &colon);
            size_t step = colon ? 3 : 2, need = 1 + parts * 2 + (colon ? parts - 1 : 0);
            char field[3][3] = {"", "00", "00"};
            char sign = v[0];
            if (strlen(v) < need) {
                ok = false;
                break;
            }
            for (size_t i = 0; i < parts && ok; i++) {
                ok = !(colon && i > 0 && v[1 + i * step - 1] != ':');
                memcpy(field[i], v + 1 + i * step, 2);
            }
            if (!ok)
                break;
            v += need;
            const char *hh = field[0], *mm = field[1], *ss = field[2];
            int hr = 0, mi = 0, se = 0;
            const char *p;
            ok = (p = hh, getnum(&p, true, &hr)) && (p = mm, getnum(&p, true, &mi)) &&
                 (p = ss, getnum(&p, true, &se));
            if (hr > 24)
                range = "time zone offset hour";
            if (mi > 60)
                range = "time zone offset minute";
            if (se > 60)
                range = "time zone offset second";
            offset = (hr * 60 + mi) * 60 + se;
            has_offset = true;
            if (sign == '-')
                offset = -offset;
            else if (sign != '+')
                ok = false;
            break;
        }
        case T_TZ: {
            if (strncmp(v, "UTC", 3) == 0) {
                utc = true;
                v += 3;
                break;
            }
            size_t zn = time_zone_len(v);
            if (!zn || zn >= sizeof(zone)) {
                ok = false;
                break;
            }
            memcpy(zone, v, zn);
            zone[zn] = 0;
            v += zn;
            break;
        }
        case T_FRAC0: {
            size_t need = 1 + (size_t)c.digits;
            if (strlen(v) < need) {
                ok = false;
                break;
            }
            ok = parse_nanos(v, need, &nsec, &range);
            v += need;
            break;
        }
        case T_FRAC9: {
            if (strlen(v) < 2 || (v[0] != '.' && v[0] != ',') || v[1] < '0' || v[1] > '9')
                break;
            size_t i = 0;
            while (v[i + 1] >= '0' && v[i + 1] <= '9')
                i++;
            ok = parse_nanos(v, 1 + i, &nsec, &range);
            v += 1 + i;
            break;
        }
        default:
            break;
        }
        if (range) {
            char *msg = ed_xasprintf(": %s out of range", range);
            *err = parse_error_msg(value, msg);
            free(msg);
            return -1;
        }
        if (!ok) {
            *err = parse_error(layout, value, elem, c.len, hold);
            return -1;
        }
    }
    if (pm && hour < 12)
        hour += 12;
    else if (am && hour == 12)
        hour = 0;
    if (yday >= 0) {
        int m = 0, d = 0;
        if (is_leap(year)) {
            if (yday == 31 + 29) {
                m = 2;
                d = 29;
            } else if (yday > 31 + 29) {
                yday--;
            }
        }
        if (yday < 1 || yday > 365) {
            *err = parse_error_msg(value, ": day-of-year out of range");
            return -1;
        }
        if (m == 0) {
            static const int before[] = {0,   31,  59,  90,  120, 151, 181,
                                         212, 243, 273, 304, 334, 365};
            m = (yday - 1) / 31 + 1;
            if (before[m] < yday)
                m++;
            d = yday - before[m - 1];
        }
        if (month >= 0 && month != m) {
            *err = parse_error_msg(value, ": day-of-year does not match month");
            return -1;
        }
        month = m;
        if (day >= 0 && day != d) {
            *err = parse_error_msg(value, ": day-of-year does not match day");
            return -1;
        }
        day = d;
    } else {
        if (month < 0)
            month = 1;
        if (day < 0)
            day = 1;
    }
    if (day < 1 || day > days_in(month, year)) {
        *err = parse_error_msg(value, ": day out of range");
        return -1;
    }
    memset(out, 0, sizeof(*out));
    out->sec = ed_days_from_civil(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    out->nsec = nsec;
    snprintf(out->zone, sizeof(out->zone), "UTC");
    if (utc)
        return 0;
    if (has_offset) {
        out->sec -= offset;
        /* Local (UTC) when the offset is its own, else a fixed zone */
        if (!(offset == 0 && (!zone[0] || strcmp(zone, "UTC") == 0))) {
            out->offset = offset;
            snprintf(out->zone, sizeof(out->zone), "%s", zone);
        }
        return 0;
    }
    if (zone[0]) {
        /* Local does not know the abbreviation: the zone takes its name at offset 0, or GMT's
         * hours, the instant left as read in UTC */
        int64_t gmt = 0;
        if (strlen(zone) > 3 && strncmp(zone, "GMT", 3) == 0 &&
            field_atoi(zone + 3, strlen(zone + 3), &gmt))
            gmt *= 3600;
        out->offset = (int)gmt;
        snprintf(out->zone, sizeof(out->zone), "%s", zone);
    }
    return 0;
}

/* ---- Format ---- */

/* Go's appendInt: x in at least width digits (zero padded), with its sign. */
static void append_int(ed_buf *b, int64_t x, int width)
{
    uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    char digits[24];
    int n = snprintf(digits, sizeof(digits), "%" PRIu64, u);
    if (x < 0)
        ed_buf_append(b, "-", 1);
    for (int pad = width - n; pad > 0; pad--)
        ed_buf_append(b, "0", 1);
    ed_buf_append(b, digits, (size_t)n);
}

void ed_go_time_format(ed_buf *b, const ed_go_time *t, const char *layout)
{
    int64_t local = t->sec + t->offset;
    int64_t days = floor_div(local, 86400), secs = local - days * 86400;
    int64_t year, m, d;
    ed_civil_from_days(days, &year, &m, &d);
    int month = (int)m, day = (int)d;
    int yday = (int)(days - ed_days_from_civil(year, 1, 1)) + 1;
    int hour = (int)(secs / 3600), min = (int)(secs / 60 % 60), sec = (int)(secs % 60);
    int wday = (int)((days % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
    const char *l = layout;
    while (*l) {
        chunk c = next_chunk(l, strlen(l));
        ed_buf_append(b, l, c.prefix);
        if (c.code == T_NONE)
            break;
        l += c.prefix + c.len;
        int h12 = hour % 12 ? hour % 12 : 12;
        switch (c.code) {
        case T_YEAR:
            append_int(b, (year < 0 ? -year : year) % 100, 2);
            break;
        case T_LONG_YEAR:
            append_int(b, year, 4);
            break;
        case T_MONTH:
            ed_buf_append(b, month_names[month - 1], 3);
            break;
        case T_LONG_MONTH:
            ed_buf_append_str(b, month_names[month - 1]);
            break;
        case T_NUM_MONTH:
        case T_ZERO_MONTH:
            append_int(b, month, c.code == T_ZERO_MONTH ? 2 : 0);
            break;
        case T_WDAY:
            ed_buf_append(b, day_names[wday], 3);
            break;
        case T_LONG_WDAY:
            ed_buf_append_str(b, day_names[wday]);
            break;
        case T_DAY:
        case T_ZERO_DAY:
            append_int(b, day, c.code == T_ZERO_DAY ? 2 : 0);
            break;
        case T_UNDER_DAY:
            if (day < 10)
                ed_buf_append(b, " ", 1);
            append_int(b, day, 0);
            break;
        case T_UNDER_YDAY:
            if (yday < 100)
                ed_buf_append_str(b, yday < 10 ? "  " : " ");
            append_int(b, yday, 0);
            break;
        case T_ZERO_YDAY:
            append_int(b, yday, 3);
            break;
        case T_HOUR:
            append_int(b, hour, 2);
            break;
        case T_HOUR12:
        case T_ZERO_HOUR12:
            append_int(b, h12, c.code == T_ZERO_HOUR12 ? 2 : 0);
            break;
        case T_MINUTE:
        case T_ZERO_MINUTE:
            append_int(b, min, c.code == T_ZERO_MINUTE ? 2 : 0);
            break;
        case T_SECOND:
        case T_ZERO_SECOND:
            append_int(b, sec, c.code == T_ZERO_SECOND ? 2 : 0);
            break;
        case T_PM:
            ed_buf_append_str(b, hour >= 12 ? "PM" : "AM");
            break;
        case T_pm:
            ed_buf_append_str(b, hour >= 12 ? "pm" : "am");
            break;
        case T_TZ:
            if (t->zone[0]) {
                ed_buf_append_str(b, t->zone);
                break;
            }
            /* an unnamed zone is its offset */
            __attribute__((fallthrough));
        case T_NUM_TZ:
        case T_NUM_SHORT_TZ:
        case T_NUM_COLON_TZ:
        case T_NUM_SEC_TZ:
        case T_NUM_COLON_SEC_TZ:
        case T_ISO_TZ:
        case T_ISO_SHORT_TZ:
        case T_ISO_COLON_TZ:
        case T_ISO_SEC_TZ:
        case T_ISO_COLON_SEC_TZ: {
            bool iso = c.code >= T_ISO_TZ && c.code <= T_ISO_COLON_SEC_TZ;
            if (t->offset == 0 && iso) {
                ed_buf_append(b, "Z", 1);
                break;
            }
            int zone = t->offset / 60, abs_off = t->offset;
            if (zone < 0) {
                zone = -zone;
                abs_off = -abs_off;
            }
            ed_buf_append(b, t->offset / 60 < 0 ? "-" : "+", 1);
            append_int(b, zone / 60, 2);
            bool colon;
            size_t parts = zone_shape(c.code, &colon);
            if (parts >= 2) {
                if (colon)
                    ed_buf_append(b, ":", 1);
                append_int(b, zone % 60, 2);
            }
            if (parts == 3) {
                if (colon)
                    ed_buf_append(b, ":", 1);
                append_int(b, abs_off % 60, 2);
            }
            break;
        }
        case T_FRAC0:
        case T_FRAC9: {
            bool trim = c.code == T_FRAC9;
            if (trim && (c.digits == 0 || t->nsec == 0))
                break;
            char digits[16];
            snprintf(digits, sizeof(digits), "%09d", t->nsec);
            size_t n = c.digits < 9 ? (size_t)c.digits : 9;
            if (trim)
                while (n > 0 && digits[n - 1] == '0')
                    n--;
            if (n > 0 || !trim) {
                ed_buf_append(b, &c.sep, 1);
                ed_buf_append(b, digits, n);
            }
            break;
        }
        default:
            break;
        }
    }
}

char *ed_go_time_string(const ed_go_time *t)
{
    ed_buf b = ED_BUF_INIT(256);
    ed_go_time_format(&b, t, "2006-01-02 15:04:05.999999999 -0700 MST");
    char *s = ed_buf_take(&b);
    ed_buf_free(&b);
    return s;
}

void ed_go_time_zero(ed_go_time *t)
{
    memset(t, 0, sizeof(*t));
    t->sec = ed_days_from_civil(1, 1, 1) * 86400;
    snprintf(t->zone, sizeof(t->zone), "UTC");
}
