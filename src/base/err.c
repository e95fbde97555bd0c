/*
 * ed_err: an error code plus a message that gains context as it travels up, so the message a
 * user finally reads in a Ready condition names the file, object and field at fault.
 */
#include "base.h"

#include <stdio.h>
#include <string.h>

int ed_err_set(ed_err *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    err->reason[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

int ed_err_wrap(ed_err *err, const char *fmt, ...)
{
    if (!err)
        return ED_ERROR;
    if (err->code == 0)
        err->code = ED_ERROR;
    char prefix[ED_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->code;
    /* New message: prefix, ": ", old message, cut at the capacity (a long chain loses its
     * innermost end, never the context). */
    char out[ED_ERR_MSG_MAX];
    size_t cap = sizeof(out) - 1, len = strnlen(prefix, cap);
    memcpy(out, prefix, len);
    if (err->msg[0]) {
        const char *parts[2] = {": ", err->msg};
        for (int i = 0; i < 2; i++) {
            size_t part = strnlen(parts[i], cap - len);
            memcpy(out + len, parts[i], part);
            len += part;
        }
    }
    out[len] = '\0';
    memcpy(err->msg, out, len + 1);
    return err->code;
}

void ed_err_clear(ed_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
        err->reason[0] = '\0';
    }
}

void ed_err_set_reason(ed_err *err, const char *reason)
{
    if (err)
        snprintf(err->reason, sizeof(err->reason), "%s", reason ? reason : "");
}

const char *ed_err_code_name(int code)
{
    switch (code) {
    case ED_OK:
        return "ok";
    case ED_ENOTFOUND:
        return "not found";
    case ED_ECONFLICT:
        return "conflict";
    case ED_EGONE:
        return "gone";
    case ED_EINVALID:
        return "invalid";
    case ED_EAUTH:
        return "unauthorized";
    case ED_ETIMEOUT:
        return "timeout";
    case ED_ERETRY:
        return "retry";
    case ED_ETOOBIG:
        return "too big";
    case ED_EEXISTS:
        return "already exists";
    case ED_EFORBIDDEN:
        return "forbidden";
    default:
        return "error";
    }
}

const char *ed_http_status_text(long code)
{
    static const struct {
        long code;
        const char *text;
    } texts[] = {
        {100, "Continue"},
        {101, "Switching Protocols"},
        {102, "Processing"},
        {103, "Early Hints"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {203, "Non-Authoritative Information"},
        {204, "No Content"},
        {205, "Reset Content"},
        {206, "Partial Content"},
        {207, "Multi-Status"},
        {208, "Already Reported"},
        {226, "IM Used"},
        {300, "Multiple Choices"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {305, "Use Proxy"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {402, "Payment Required"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {406, "Not Acceptable"},
        {407, "Proxy Authentication Required"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {411, "Length Required"},
        {412, "Precondition Failed"},
        {413, "Request Entity Too Large"},
        {414, "Request URI Too Long"},
        {415, "Unsupported Media Type"},
        {416, "Requested Range Not Satisfiable"},
        {417, "Expectation Failed"},
        {418, "I'm a teapot"},
        {421, "Misdirected Request"},
        {422, "Unprocessable Entity"},
        {423, "Locked"},
        {424, "Failed Dependency"},
        {425, "Too Early"},
        {426, "Upgrade Required"},
        {428, "Precondition Required"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {451, "Unavailable For Legal Reasons"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
        {506, "Variant Also Negotiates"},
        {507, "Insufficient Storage"},
        {508, "Loop Detected"},
        {510, "Not Extended"},
        {511, "Network Authentication Required"},
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++)
        if (texts[i].code == code)
            return texts[i].text;
    return "";
}
