/* The lifecycle of a certificate (ISO/IEC 17025:2017 7.8.8) around
 * cert_issue(): a number is never issued twice (neither over an issued
 * certificate in the output folder nor one the lab's records hold); an
 * amendment names what it replaces and the old one becomes "amended"; a
 * withdrawal is recorded; and every issue, amendment and withdrawal is an
 * audit entry in the run (7.5, 7.11: changes to records traceable).
 *
 * The audit entry goes into the run before the certificate's files are
 * written, so the run SHA-256 the certificate binds is the run as it is
 * afterwards: `caldaq verify CERT --run RUN` holds for the certificate in
 * force. (An older certificate of the run, amended or withdrawn since,
 * no longer matches the run: the records say why.) */
#include "cert_records.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "records.h"
#include "run.h"
#include "cd_i18n.h"

static bool issued_in(const char *out_dir, const char *number)
{
    char path[4400];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s.manifest.json", out_dir, number);
    return lstat(path, &st) == 0;
}

/* An audit entry in the run at `run_path`: reopened (waiting for another
 * writer), the entry added, closed (one snapshot written). */
static int run_audit(const char *run_path, const char *who, const char *what, struct cd_err *err)
{
    daq_run *run = NULL;
    int rc = daq_run_reopen(run_path, &run, err);
    if (rc != 0)
        return rc;
    rc = daq_run_audit(run, who, what, err);
    if (rc != 0) {
        daq_run_abandon(run);
        return rc;
    }
    return daq_run_close(run, NULL, err);
}

int cert_life_open(struct cert_life *life, struct cert_job *job, const char *out_dir,
                   struct cd_err *err)
{
    memset(life, 0, sizeof *life);
    if (job->records != NULL && job->records[0] != '\0') {
        int rc = rec_open(job->records, &life->db, err);
        if (rc != 0)
            return rc;
    }
    if (job->amends == NULL)
        return 0;
    if (job->reason == NULL || job->reason[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("--reason: an amendment says why (ISO/IEC 17025 7.8.8)"));
    if (life->db == NULL && !issued_in(out_dir, job->amends))
        return cd_fail(err, CD_ERR_NOT_FOUND,
                       _("--amend %s: no such certificate in %s, and no records configured "
                       "(--records DB, or records: in LAB.yaml)"),
                       job->amends, out_dir);
    if (job->number != NULL)
        return 0;
    /* AMENDS-A1, -A2, ...: the first free in the folder and the records */
    for (int k = 1; k < 100; k++) {
        snprintf(life->number, sizeof life->number, "%.58s-A%d", job->amends, k);
        char status[16];
        struct cd_err e = {0};
        bool recorded = life->db != NULL && rec_cert_status(life->db, life->number, status, &e) == 0;
        if (!recorded && !issued_in(out_dir, life->number)) {
            job->number = life->number;
            return cert_number_check(job->number, "the amendment's number", CERT_NUMBER_MAX, err);
        }
    }
    return cd_fail(err, CD_ERR_INVALID, _("--amend %s: 99 amendments already; give --number"),
                   job->amends);
}

int cert_life_begin(struct cert_life *life, const struct cert_job *job, struct cert_doc *d,
                    const char *out_dir, struct cd_err *err)
{
    if (issued_in(out_dir, d->number))
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate %s was issued in %s already: a number is never issued twice "
                       "(ISO/IEC 17025 7.8.8; amend it with --amend %s --reason TEXT)"),
                       d->number, out_dir, d->number);
    const char *who = job->who != NULL ? job->who : d->signatory;
    if (life->db != NULL) {
        int rc = rec_cert_reserve(life->db, d->number, job->amends, who, err);
        if (rc != 0)
            return rc;
        life->reserved = true;
    }
    if (!job->audit || d->run_path[0] == '\0')
        return 0;
    char what[1200];
    if (job->amends != NULL)
        snprintf(what, sizeof what, "certificate %s issued, amending %s: %s", d->number,
                 job->amends, job->reason);
    else
        snprintf(what, sizeof what, "certificate %s issued", d->number);
    int rc = run_audit(d->run_path, who, what, err);
    /* the certificate binds the run as it now is */
    if (rc == 0)
        rc = cert_sha256_file(d->run_path, d->run_sha256, err);
    if (rc == 0)
        life->audited = true;
    return rc;
}

int cert_life_end(struct cert_life *life, const struct cert_job *job, const struct ana_file *f,
                  const struct cert_doc *d, const char *out_dir, json_t *files, int issued_rc,
                  struct cd_err *err)
{
    const char *who = job->who != NULL ? job->who : d->signatory;
    if (issued_rc != 0) {
        struct cd_err ignored = {0};
        const char *why = err != NULL ? err->msg : "failed";
        if (life->reserved)
            rec_cert_abandon(life->db, d->number, why, who, &ignored);
        if (life->audited) {
            char what[1200];
            snprintf(what, sizeof what, "certificate %s not issued: %s", d->number, why);
            run_audit(d->run_path, who, what, &ignored);
        }
        return issued_rc;
    }
    if (life->db == NULL)
        return 0;
    const char *names[8], *shas[8];
    char manifest_name[128], manifest_sha[65], mpath[4400];
    size_t n = 0;
    const char *name;
    json_t *sha;
    json_object_foreach(files, name, sha)
    {
        if (n < 7) {
            names[n] = name;
            shas[n++] = json_string_value(sha);
        }
    }
    snprintf(manifest_name, sizeof manifest_name, "%s.manifest.json", d->number);
    snprintf(mpath, sizeof mpath, "%s/%s", out_dir, manifest_name);
    int rc = cert_sha256_file(mpath, manifest_sha, err);
    names[n] = manifest_name;
    shas[n++] = manifest_sha;
    const char *type = f->profile == NULL                      ? "unknown"
                       : f->profile->family == PROF_FAMILY_BALANCE ? "balance"
                       : f->profile->family == PROF_FAMILY_DMM ? "multimeter"
                       : f->profile->family == PROF_FAMILY_PRESSURE ? "pressure gauge"
                       : f->profile->family == PROF_FAMILY_TEMPERATURE ? "thermometer"
                                                               : "unknown";
    bool verification = f->profile != NULL && f->profile->kind == PROF_KIND_VERIFICATION;
    char folder[4096];
    if (realpath(out_dir, folder) == NULL)
        snprintf(folder, sizeof folder, "%s", out_dir);
    struct rec_cert c = {
        .number = d->number,
        .kind = verification ? "verification" : "calibration",
        .run_id = d->run_id,
        .run_path = d->run_path,
        .issued = d->issued,
        .calibrated = d->calibrated,
        .signatory = d->signatory,
        .procedure = d->profile_name,
        .verdict = d->verdict,
        .valid_until = job->valid_until,
        .customer = d->customer,
        .customer_address = d->customer_address,
        .item_type = type,
        .manufacturer = d->item_manufacturer,
        .model = d->item_model,
        .serial = d->item_serial_stated[0] ? d->item_serial_stated : d->item_serial,
        .replaces = job->amends,
        .reason = job->reason,
        .folder = folder,
        .n_files = n,
        .file_names = names,
        .file_sha256 = shas,
    };
    struct cd_err e = {0};
    if (rc == 0)
        rc = rec_cert_issued(life->db, &c, who, &e);
    if (rc != 0)
        return cd_fail(err, rc,
                       _("certificate %s is issued (its files are in %s) but not recorded: %s; "
                       "`caldaq records import %s` records it"),
                       d->number, out_dir, e.msg[0] ? e.msg : cd_err_text(err), out_dir);
    /* the run's record follows its hash, changed by the audit entry */
    if (d->run_path[0] != '\0' && f->view != NULL &&
        rec_run_note(life->db, d->run_path, f->view, NULL, who, &e) != 0)
        return cd_fail(err, CD_ERR_IO,
                       _("certificate %s is issued and recorded, but the record of its run is "
                       "not updated: %s (`caldaq records import %s` will report it changed)"),
                       d->number, e.msg, d->run_path);
    return 0;
}

void cert_life_close(struct cert_life *life)
{
    rec_close(life->db);
    life->db = NULL;
}

int cert_withdraw(const char *records, const char *number, const char *reason, const char *who,
                  struct cd_err *err)
{
    if (reason == NULL || reason[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("--reason: a withdrawal says why (ISO/IEC 17025 7.8.8)"));
    if (records == NULL || records[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID,
                       _("--withdraw: a withdrawal is kept in the lab's records: give --records DB "
                       "(or records: in LAB.yaml)"));
    rec_db *db = NULL;
    int rc = rec_open(records, &db, err);
    char run_path[4096] = "";
    if (rc == 0)
        rc = rec_cert_withdraw(db, number, reason, who, run_path, err);
    if (rc == 0 && run_path[0] != '\0') {
        char what[1200];
        snprintf(what, sizeof what, "certificate %s withdrawn: %s", number, reason);
        struct cd_err e = {0};
        /* the records hold the withdrawal whatever happens to the run;
         * a run that cannot be written (moved, read-only) is said */
        if (run_audit(run_path, who, what, &e) != 0 ||
            rec_run_note(db, run_path, NULL, NULL, who, &e) != 0)
            rc = cd_fail(err, CD_ERR_IO,
                         _("certificate %s is withdrawn in the records, but its run %s has no "
                         "audit entry of it: %s"),
                         number, run_path, e.msg);
    }
    rec_close(db);
    return rc;
}
