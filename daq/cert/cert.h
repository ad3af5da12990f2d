/* Calibration certificates (ISO/IEC 17025:2017 7.8): one document model
 * (struct cert_doc) gathered once from an analysed run, the lab's
 * configuration and the job's details, then written as PDF (cairo +
 * pango), DCC XML (PTB schema 3.1.2, libxml2) and JSON, so the three carry
 * the same numbers. Signed with the lab's Ed25519 key (libsodium) and
 * verifiable. Private to daq/. */
#ifndef CALDAQ_CERT_H
#define CALDAQ_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "analysis.h"
#include "cd.h"

/* ---------------------------------------------------------------- lab */

struct cert_signatory {
    char name[128];
    char title_en[128], title_vi[128];   /* "Technical manager" / "Trưởng phòng kỹ thuật" */
};

/* LAB.yaml (docs/certificates.md). */
struct cert_lab {
    char name_en[256], name_vi[256];
    char address[256];
    char city[64], country[3];           /* ISO 3166-1 alpha-2, e.g. "VN" */
    char email[128], phone[64];
    char accreditation[128];             /* e.g. "VILAS 1234" ("" when none) */
    char number_prefix[32];              /* certificate numbers: PREFIX-YYYY-NNNN */
    char logo[4096];                     /* PNG path ("" when none), relative to LAB.yaml */
    char key[4096];                      /* Ed25519 secret key file, relative to LAB.yaml */
    char traceability_en[512], traceability_vi[512];
    char time_zone[128];                 /* the lab's dates are decided in it (CD_ZONE_DEFAULT) */
    char verification_cycles[4096];      /* the cycles table of verifications (issue 16), relative
                                          * to LAB.yaml; "" when not given */
    size_t n_signatories;
    struct cert_signatory signatories[4];
    char records[4096];                  /* the lab's records: a file or postgresql:// URL, "" none */
    /* personal fields the open-data export includes (docs/records.md) */
    size_t n_open_data_include;
    char open_data_include[4][24];
    /* the public verification page (caldaq serve, docs/portal.md): a
     * certificate's QR code carries verify_url + its number; "" keeps the
     * text QR of before */
    char verify_url[512];
    /* who may read the portal's pages off loopback (`portal:`): a
     * libsodium crypto_pwhash_str hash ("" none) and bearer tokens */
    char portal_password_hash[256];
    size_t n_portal_tokens;
    char portal_tokens[8][129];
};

int cert_lab_load(const char *path, struct cert_lab *out, struct cd_err *err);

/* The address of certificate `number`'s public verification page:
 * lab->verify_url followed by the number, percent-encoded (RFC 3986 2.1;
 * a number holds only unreserved characters, so it is written as it is).
 * 0, or CD_ERR_INVALID when the lab has no verify_url or it does not fit. */
int cert_verify_url(const struct cert_lab *lab, const char *number, char *out, size_t cap,
                    struct cd_err *err);

/* A certificate number is also the name of its files (NUMBER.pdf,
 * NUMBER.manifest.json, ...) in the folder given with --out, so it may hold
 * only ASCII letters, digits, '-' and '_', beginning and ending with a
 * letter or digit, at most CERT_NUMBER_MAX bytes (docs/certificates.md,
 * "Numbers"). No '/' (it would name a folder: KĐ/2026/15 is written
 * KD-2026-15), no '.', no other character: nothing that can leave the folder,
 * hide a file or stand for two byte strings. 0, or CD_ERR_INVALID with a
 * message that begins with `what` ("--number", "certificate_prefix", ...)
 * and says which character is refused and why. A number too long is
 * refused, never cut. */
#define CERT_NUMBER_MAX 63
int cert_number_check(const char *number, const char *what, size_t max, struct cd_err *err);

/* ---------------------------------------------------------------- figures */

/* One set of reported figures for every format (GUM 7.2.6): U to two
 * significant digits, the error, indication, reference value (and up,
 * down, hysteresis) rounded to the same decimal place as U; the nominal
 * value, range and MPE as given (the MPE with at least U's decimals, so a
 * column lines up: 0.0050 beside U = 0.0024). The document holds the
 * rounded values; the PDF, the XML and the JSON print them with these
 * functions only, so the three carry the same digits. The run keeps full
 * precision. */

#define CERT_DEC_NONE (-1000)   /* no U to round to: figures as given */

/* Decimal places of U rounded to two significant digits: 0.0023879 -> 4
 * ("0.0024"), 0.00996 -> 3 ("0.010"), 12.34 -> 0 ("12"), 1234 -> -2
 * ("1200"). CERT_DEC_NONE when U is not finite and positive. */
int cert_decimals(double U);
/* The same for `sig` significant digits (cert_decimals is sig = 2); the
 * annex's budget is reported to 4. */
int cert_sig_decimals(double v, int sig);
/* v rounded to `dec` decimal places, the one rounding every format uses:
 * cert_round(-0.0010270, 4) = -0.001 (printed "-0.0010"). dec CERT_DEC_NONE
 * returns v. */
double cert_round(double v, int dec);
/* v as reported with `dec` decimals (cert_round's digits, no "-0.0000";
 * dec < 0 writes the rounded integer, "1200"); CERT_DEC_NONE: the shortest
 * decimal that reads back as v (up to 15 significant digits). NAN and
 * infinities give "". */
void cert_fmt(double v, int dec, char *buf, size_t cap);
/* v exact (shortest, up to 15 significant digits) but with at least `dec`
 * decimals: a limit such as the MPE beside rounded figures. */
void cert_fmt_exact(double v, int dec, char *buf, size_t cap);

/* ---------------------------------------------------------------- doc */

struct cert_point {
    double nominal;
    double reference;
    double mean;            /* indication */
    double error;
    double U, k, p;         /* p: coverage probability (NAN when k was fixed) */
    double mpe;
    bool measured;
    char verdict[24];       /* "pass", ..., "not measured" */
    /* what issue 15 added; a doc made by hand may leave them zero: the
     * flags in struct cert_doc say whether they are there */
    double range;           /* the DMM range of the point (doc->ranges) */
    double up, down;        /* means of the up and of the down series (doc->up_down) */
    double hysteresis;      /* mean |down - up| over the series pairs */
    double pfa;             /* JCGM 106 probability of false accept (doc->has_pfa) */
    double pfa_dof;         /* of the t it was computed with; INFINITY: the normal */
    /* a curve (doc->has_curve): the reference's value x at the point, in
     * doc->x_unit, to CERT_CURVE_X_DEC decimals; `reference` is then the
     * curve's value at x and `error` the residual */
    double x;
};

/* The reference temperature of a curve's point as reported: 1 mK. */
#define CERT_CURVE_X_DEC 3

/* A PRT calibrated as a curve (profile `curve:`): the coefficients R0, A,
 * B, each rounded to the decimals of its U (two significant digits, k =
 * `k`), their correlation coefficients to 4 decimals, and the fit's chi^2
 * (two significant digits) and degrees of freedom. */
struct cert_curve {
    char form[8];           /* "cvd" */
    double coef[3];         /* R0 (unit), A (1/x_unit), B (1/x_unit^2) */
    double U[3];
    double k;
    double r_r0_a, r_r0_b, r_a_b;
    double chi2, dof;
};

/* The decimal places of a point's reported figures: cert_decimals(U). */
int cert_point_decimals(const struct cert_point *pt);

struct cert_budget_row {
    char name[64], label[128];
    double x, u, c, contribution, share, dof;
    char source[192];       /* the clause the profile cites, "" when none */
};

/* One position of the eccentricity test. */
struct cert_position {
    char name[32];
    double indication, deviation;
};

/* A straight piece of the +-MPE envelope of the error chart: the MPE goes
 * from mpe0 at x0 to mpe1 at x1; the pieces of one plan group follow each
 * other, and where the tolerance steps (R76 band edges) one piece ends and
 * the next starts at the same x with another MPE. */
struct cert_envelope {
    size_t group;
    double x0, x1, mpe0, mpe1;
};

struct cert_standard {
    char id[64], certificate[64], due[16], role[24];
};

struct cert_doc {
    char number[64];                     /* PREFIX-YYYY-NNNN */
    char issued[11], calibrated[11], received[11];   /* YYYY-MM-DD */
    const struct cert_lab *lab;
    char customer[256], customer_address[256];
    char place[16];                      /* "laboratory" or "customer" */
    /* the item, as the instrument reported it */
    char item_manufacturer[64], item_model[64], item_serial[64], item_firmware[64];
    char item_serial_stated[64];         /* the customer's, "" when not given */
    char title_en[256], title_vi[256];   /* the profile's */
    char method[256], national_document[256], profile_name[128];
    char unit[16];
    char x_unit[16];                     /* of nominal values: the curve's x unit, else unit */
    bool has_curve;
    struct cert_curve curve;
    /* environment; NAN when not measured (the certificate says so) */
    double temp_c, rh_pct, p_hpa;
    size_t n_standards;
    struct cert_standard *standards;
    size_t n_points;
    struct cert_point *points;
    double worst_u;                      /* u of that point, to two significant digits */
    char decision_rule[32];              /* "simple", "guard-band", "non-binary" */
    double guard_r;
    char verdict[24];                    /* overall: "pass", ..., "incomplete" */
    bool ranges;                         /* points carry their range (multimeters) */
    bool up_down;                        /* points carry up, down and hysteresis */
    bool has_pfa;                        /* points carry their PFA */
    /* the air density of a buoyancy correction (balances) */
    bool has_air, air_measured;
    double rho_a, u_rho_a;               /* kg/m3, as reported (u to 2 digits) */
    /* a balance's repeatability and eccentricity tests, as reported:
     * indications to the resolution's decimals (dec_d), s to two digits */
    int dec_d;
    bool has_repeatability;
    double rep_load, rep_mean, rep_s;
    size_t rep_n;
    bool has_eccentricity;
    double ecc_load, ecc_max;
    size_t n_positions;
    struct cert_position *positions;
    /* the +-MPE envelope of the chart (none: the chart marks each point's MPE) */
    size_t n_envelope;
    struct cert_envelope *envelope;
    /* the annex: the budget of the point with the largest U */
    double worst_nominal;
    size_t n_budget;
    struct cert_budget_row *budget;
    char signatory[128], signatory_title_en[128], signatory_title_vi[128];
    char run_path[4096];
    char run_id[37];
    char run_sha256[65];                 /* of the run file's bytes */
    /* an amendment (ISO/IEC 17025 7.8.8.2): the certificate it replaces
     * and why, stated on every format; "" when it is none */
    char amends[64];
    char amend_reason[512];
};

struct cert_job {
    const char *customer, *customer_address;
    const char *received;                /* YYYY-MM-DD, NULL: not stated */
    const char *number;                  /* NULL: PREFIX-YYYY-<run id's first 4 hex, as number> */
    const char *issued;                  /* NULL: today */
    const char *place;                   /* NULL: "laboratory" */
    size_t signatory;                    /* index into lab->signatories */
    const char *item_serial;             /* the item's serial as stated, overriding the run's */
    /* a verification (issue 16, docs/verification.md "Documents") */
    const char *stamp;                   /* số tem / số niêm phong; required when it passes */
    const char *cycles;                  /* the cycles table; NULL: LAB.yaml's verification_cycles */
    /* the item's model and manufacturer as stated, when the instrument
     * reports none (an instrument read by eye); NULL: not stated */
    const char *item_model, *item_manufacturer;
    /* ISO/IEC 17025 7.8.8: an amendment replaces certificate `amends`
     * (NULL: none) for `reason`; with no number it gets AMENDS-A1 (A2, ...) */
    const char *amends, *reason;
    /* the lab's records (daq/records/: a file or a postgresql:// URL; NULL
     * none): the number is refused if they hold it, the certificate
     * recorded, the one it amends marked amended */
    const char *records;
    const char *valid_until;             /* YYYY-MM-DD recorded for recall (NULL: none) */
    /* an audit entry in the run for the issue (`caldaq cert`; batch
     * reprocessing only when it writes back), by `who` */
    bool audit;
    const char *who;
};

/* The unit of nominal values: the curve's x unit, else the unit (a doc
 * made by hand may leave x_unit empty). */
const char *cert_nominal_unit(const struct cert_doc *d);

int cert_doc_build(const char *run_path, const struct ana_file *a, const struct cert_lab *lab,
                   const struct cert_job *job, struct cert_doc **out, struct cd_err *err);
void cert_doc_free(struct cert_doc *d);

/* ---------------------------------------------------------------- outputs */

/* The JSON certificate: every field of the doc; the reported figures as
 * numbers (their rounded values). */
json_t *cert_json(const struct cert_doc *d);
/* The JSON certificate file: cert_json() with `xml_sha256` (NULL: none),
 * each reported figure written with its digits ("U": 0.0024, "error":
 * -0.0010), which jansson alone cannot do (it prints 0.0024 as
 * 0.0023999999999999998). */
int cert_write_json(const struct cert_doc *d, const char *xml_sha256, const char *path,
                    struct cd_err *err);

/* The DCC XML (schema 3.1.2 with D-SI 2.1.0; units \gram, \bar, \volt ...).
 * `langs`: "vi+en", "vi" or "en". */
int cert_write_xml(const struct cert_doc *d, const char *langs, const char *path,
                   struct cd_err *err);

/* The PDF: A4, the certificate number and "page x of y" on every page, an
 * end mark; the results table, a chart of error vs nominal with the MPE
 * envelope and U as error bars, the budget of the worst point in an annex;
 * a QR code with `qr_text`. Text shaped by pango with DejaVu Sans. */
int cert_write_pdf(const struct cert_doc *d, const char *langs, const char *qr_text,
                   const char *path, struct cd_err *err);

/* Issue the certificate of an analysed run into `out_dir`: the formats in
 * `format` ("pdf,xml,json"), each signed with the lab's key, and
 * NUMBER.manifest.json. `number` (may be NULL) gets the number. With quiet
 * nothing is printed. */
int cert_issue(const struct ana_file *f, const struct cert_lab *lab, const struct cert_job *job,
               const char *out_dir, const char *format, const char *langs, bool quiet,
               char number[64], struct cd_err *err);
/* Withdraw certificate `number` (ISO/IEC 17025 7.8.8) in the records
 * `records` for `reason`, with an audit entry in its run by `who`. */
int cert_withdraw(const char *records, const char *number, const char *reason, const char *who,
                  struct cd_err *err);
/* Whether `format` ("pdf,xml,json") lists `kind`. */
bool cert_format_wants(const char *format, const char *kind);

/* Release what pango and fontconfig keep for the life of the process (font
 * maps, caches), once no more PDFs will be written: for a clean exit under
 * LeakSanitizer, so only in builds with CALDAQ_LEAK_CHECK (SANITIZE=1);
 * elsewhere it does nothing (cert_pdf.c says why). */
void cert_pdf_cleanup(void);

/* ---------------------------------------------------------------- integrity */

/* Certificate files (the PDF, XML, JSON, manifest and signatures) are
 * created with this mode whatever the umask: the lab's records, readable
 * by the lab's group, by no one else until they are handed over. */
#define CERT_FILE_MODE 0640
/* Create or truncate `path` for writing with CERT_FILE_MODE (set with
 * fchmod, so the umask does not change it; an existing file gets it too),
 * refusing a symbolic link in its place. NULL with errno set. */
FILE *cert_file_create(const char *path);

/* Whether the lab's secret key is readable or writable by anyone but its
 * owner (as ssh refuses such keys): 0 with `warning` "" when private, or
 * with a sentence to show (the mode, the risk, the chmod that fixes it);
 * an error when the file cannot be looked at. */
int cert_key_check(const char *key_path, char *warning, size_t cap, struct cd_err *err);

/* SHA-256 of a file as 64 hex digits. */
int cert_sha256_file(const char *path, char hex[65], struct cd_err *err);
/* Sign `path` with the Ed25519 secret key in `key_path` (64 bytes as hex,
 * or raw): writes PATH.sig (the detached signature as hex, and the public
 * key) beside it. */
int cert_sign_file(const char *path, const char *key_path, struct cd_err *err);
/* Check PATH.sig against PATH: every line of PATH.sig (exactly the three
 * cert_sign_file writes, CD_ERR_PARSE naming the line otherwise), the
 * Ed25519 signature, the sha256 line against the file, and with
 * `expected_pub_hex` non-NULL the signer's key. `signer` (may be NULL)
 * gets the signing key as 64 hex digits once the file is read. 0 with a
 * one-line report; CD_ERR_INVALID saying what differs. */
int cert_verify_file(const char *path, const char *expected_pub_hex, char signer[65],
                     char *report, size_t cap, struct cd_err *err);
/* The same check for bytes held in memory (a file sent to the portal)
 * against the signature file `sig_path`; `name` names them in messages. */
int cert_verify_bytes(const char *name, const void *data, size_t len, const char *sig_path,
                      const char *expected_pub_hex, char signer[65], struct cd_err *err);
/* SHA-256 of bytes as 64 hex digits. */
void cert_sha256_bytes(const void *data, size_t len, char hex[65]);
/* Make a key pair: KEY (secret, mode 0600) and KEY.pub. */
int cert_keygen(const char *key_path, struct cd_err *err);

struct cert_check_result {
    char number[64];            /* the certificate's number, from its manifest */
    int failures;               /* files that are not as signed (0: intact) */
    char signer[65];            /* the key that signed the manifest, 64 hex digits */
    bool trusted;               /* the signer is the key of `pub_path` */
};
/* Check an issued certificate: `path` is its folder, its manifest or one of
 * its files. The manifest's signature, then each file's signature and its
 * SHA-256 against the manifest, and with `run_path` the run file against
 * the one certified. With `pub_path` (the lab's KEY.pub: the key the
 * caller trusts) every signer must be that key, else the manifest is an
 * error and a file a failure. Without it every file must be signed by the
 * manifest's signer, and out->trusted is false: intact files say nothing
 * about who signed them. One line per file goes to `report_to`, then the
 * verdict. 0 when checked (see out->failures, out->trusted); an error when
 * there is nothing that can be checked. */
int cert_check(const char *path, const char *pub_path, const char *run_path, FILE *report_to,
               struct cert_check_result *out, struct cd_err *err);

/* A file someone holds, said to be one of certificate `number`'s: is it
 * byte for byte a file issued (its SHA-256 among `files`, {name: sha256}
 * as the records hold them), and does the signature issued beside that
 * file in `folder` (NAME.sig) check on these bytes, and with `pub_path`
 * (the lab's KEY.pub) was it the lab's key. An error only when nothing
 * could be checked (no key file, out of memory). */
struct cert_upload_check {
    char sha256[65];            /* of the bytes sent */
    char name[128];             /* the issued file they are; "" when none */
    bool issued;                /* byte for byte an issued file */
    bool signature_ok;          /* NAME.sig checks on the bytes */
    bool trusted;               /* ... and was made with the lab's key (pub_path) */
    char detail[512];           /* why the signature does not check, "" when it does */
};
int cert_check_upload(const char *folder, const json_t *files, const void *data, size_t len,
                      const char *pub_path, struct cert_upload_check *out, struct cd_err *err);

#endif
