#include "cd.h"
#include "cd_i18n.h"

#include <stdarg.h>
#include <stdio.h>

int cd_fail(struct cd_err *err, int code, const char *fmt, ...)
{
    if (err == NULL || err->code != 0)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void cd_err_clear(struct cd_err *err)
{
    if (err == NULL)
        return;
    err->code = 0;
    err->msg[0] = '\0';
}

const char *cd_strerror(int code)
{
    switch (code) {
    case CD_OK: return "success";
    case CD_ERR_NOMEM: return _("out of memory");
    case CD_ERR_INVALID: return _("invalid value");
    case CD_ERR_PARSE: return _("malformed input");
    case CD_ERR_IO: return _("input/output error");
    case CD_ERR_NUMERIC: return _("numerical failure");
    case CD_ERR_UNSUPPORTED: return _("not supported");
    case CD_ERR_NOT_FOUND: return _("not found");
    case CD_ERR_TIMEOUT: return _("timed out");
    case CD_ERR_DISCONNECTED: return _("disconnected");
    case CD_ERR_PROTOCOL: return _("protocol error");
    case CD_ERR_DEVICE: return _("instrument error");
    case CD_ERR_UNSTABLE: return _("no stable reading");
    case CD_ERR_CANCELLED: return _("stopped by the operator");
    default: return _("unknown error");
    }
}

const char *cd_err_text(const struct cd_err *err)
{
    if (err == NULL)
        return _("unknown error");
    if (err->msg[0] != '\0')
        return err->msg;
    return cd_strerror(err->code);
}
