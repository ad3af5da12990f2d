/* What sessions and `caldaq acquire` share: asking a simulator to present
 * a load, the time stamp of a run, and the reference standards a profile
 * names (loaded, checked for their due date, recorded in the run). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "session.h"
#include "cd_i18n.h"

/* Ask the simulator to present `load` (its control socket answers one line). */
int ses_present_load(const char *path, double load, struct cd_err *err)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return cd_fail(err, CD_ERR_IO, _("%s: cannot reach the simulator: %s"), path, strerror(e));
    }
    char cmd[64];
    int n = snprintf(cmd, sizeof cmd, "load %.10g\n", load);
    char reply[256];
    ssize_t got = -1;
    if (write(fd, cmd, (size_t)n) == n)
        got = read(fd, reply, sizeof reply - 1);
    close(fd);
    if (got <= 0)
        return cd_fail(err, CD_ERR_IO, _("%s: the simulator did not answer 'load'"), path);
    return 0;
}

void ses_now_iso(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char raw[40];
    strftime(raw, sizeof raw, "%Y-%m-%dT%H:%M:%S%z", &tm);
    size_t l = strlen(raw); /* +0700 -> +07:00 */
    snprintf(buf, cap, "%.*s:%s", (int)(l - 2), raw, raw + l - 2);
}

/* The standards the profile names, from the register, refused when past
 * their due date today. The reference's certified items become one row
 * each (the analysis takes its values from them); other standards one row. */
int ses_load_standards(const char *standards_path, const struct prof_profile *p,
                       const char *today, prof_standards **reg_out, struct cd_err *err)
{
    const char *path = standards_path != NULL ? standards_path : p->register_path;
    *reg_out = NULL;
    if (path[0] == '\0')
        return 0;
    prof_standards *reg = prof_standards_load(path, err);
    if (reg == NULL)
        return err->code;
    char now[11];
    int rc = today == NULL && cd_today(now) != 0
                 ? cd_fail(err, CD_ERR_INVALID, _("cannot tell today's date"))
                 : prof_profile_check_standards(p, reg, today != NULL ? today : now, err);
    if (rc != 0) {
        prof_standards_free(reg);
        return rc;
    }
    *reg_out = reg;
    return 0;
}

int ses_record_standards(daq_run *run, const struct prof_profile *p, const prof_standards *reg,
                            struct cd_err *err)
{
    for (size_t i = 0; reg != NULL && i < p->n_needs; i++) {
        const struct prof_std_need *need = &p->needs[i];
        const struct prof_standard *s = need->id[0] ? prof_standards_find(reg, need->id) : NULL;
        if (s == NULL)
            continue;
        struct daq_standard row = {.k = s->k, .nominal = NAN, .value = NAN, .u = NAN};
        snprintf(row.id, sizeof row.id, "%s", s->id);
        snprintf(row.certificate, sizeof row.certificate, "%s", s->certificate);
        snprintf(row.due_date, sizeof row.due_date, "%s", s->due);
        snprintf(row.role, sizeof row.role, "%s", need->role);
        bool items = need == p->reference && need->source == PROF_REF_CERTIFICATE;
        for (size_t j = 0; j < (items ? s->n_items : 1); j++) {
            if (items) {
                const struct prof_std_item *it = &s->items[j];
                row.nominal = it->nominal;
                row.value = it->value;
                row.u = it->U / s->k;
                snprintf(row.unit, sizeof row.unit, "%s", it->unit);
                snprintf(row.mark, sizeof row.mark, "%s", it->mark);
            }
            int rc = daq_run_add_standard(run, &row, err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

