/* Private to daq/cert/: the lifecycle steps cert_issue() takes around
 * writing a certificate (cert_records.c). */
#ifndef CALDAQ_CERT_RECORDS_H
#define CALDAQ_CERT_RECORDS_H

#include <stdbool.h>

#include "cert.h"
#include "records.h"

struct cert_life {
    rec_db *db;              /* the lab's records, NULL when none */
    char number[64];         /* an amendment's number when none was given */
    bool reserved;           /* the number is taken in the records */
    bool audited;            /* the run has the audit entry of the issue */
};

/* Open the records of `job`; for an amendment check what it amends can
 * be found and, with no number given, set job->number to the next free
 * AMENDS-Ak (pointing into `life`). */
int cert_life_open(struct cert_life *life, struct cert_job *job, const char *out_dir,
                   struct cd_err *err);
/* Before any file is written: refuse a number issued in `out_dir` or held
 * by the records, take it in the records, add the audit entry to the run
 * (then d->run_sha256 is the run's new hash). */
int cert_life_begin(struct cert_life *life, const struct cert_job *job, struct cert_doc *d,
                    const char *out_dir, struct cd_err *err);
/* After writing (`issued_rc` its status, `files` name -> sha256): record
 * the certificate, or give the number back and audit the failure.
 * Returns issued_rc when that failed. */
int cert_life_end(struct cert_life *life, const struct cert_job *job, const struct ana_file *f,
                  const struct cert_doc *d, const char *out_dir, json_t *files, int issued_rc,
                  struct cd_err *err);
void cert_life_close(struct cert_life *life);

#endif
