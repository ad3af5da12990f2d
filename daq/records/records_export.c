/* `caldaq records export --open-data DIR`: the lab's certificates and
 * verifications, and its list of main measurement standards (danh mục
 * chuẩn đo lường chính) with their traceability and due dates, as CSV
 * (UTF-8, RFC 4180) and JSON under a versioned schema (REC_OPEN_DATA_SCHEMA,
 * docs/records.md), for the province's open data. Personal data (the
 * customer's name and address) and the item's serial are left out unless
 * the lab's configuration names them. */
#include "records_int.h"
#include "cd_i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct od_field {
    const char *name;       /* the column and the JSON key */
    const char *about;      /* for schema.json */
    bool personal;          /* only when the lab names it */
};

/* The columns of certificates.csv, in the order of the SELECT below. */
static const struct od_field cert_fields[] = {
    {"number", "certificate number", false},
    {"kind", "calibration or verification", false},
    {"status", "valid, amended or withdrawn (ISO/IEC 17025 7.8.8)", false},
    {"issued", "date of issue, YYYY-MM-DD", false},
    {"calibrated", "date of calibration or verification, YYYY-MM-DD", false},
    {"item_type", "balance, multimeter, pressure gauge, ...", false},
    {"manufacturer", "of the item", false},
    {"model", "of the item", false},
    {"procedure", "the procedure (profile) followed", false},
    {"verdict", "pass, fail, ... by the stated decision rule", false},
    {"valid_until", "last day of validity (verifications), empty when none", false},
    {"replaces", "the certificate this one amends, empty when none", false},
    {"replaced_by", "the certificate that amends this one, empty when none", false},
    {"serial", "the item's serial number", true},
    {"customer", "the customer's name", true},
    {"customer_address", "the customer's address", true},
};
#define N_CERT_FIELDS (sizeof cert_fields / sizeof cert_fields[0])

static const struct od_field std_fields[] = {
    {"id", "the lab's identifier of the standard", false},
    {"kind", "weight-set, pressure-reference, calibrator, ...", false},
    {"description", "what it is", false},
    {"class", "accuracy class as written", false},
    {"certificate", "its calibration certificate", false},
    {"traceability", "who calibrated it (the link of its traceability)", false},
    {"calibrated", "date of its calibration, YYYY-MM-DD", false},
    {"due", "the last day it may be used, YYYY-MM-DD", false},
};
#define N_STD_FIELDS (sizeof std_fields / sizeof std_fields[0])

static bool included(const struct rec_open_data *o, const char *name)
{
    for (size_t i = 0; i < o->n_include; i++)
        if (strcmp(o->include[i], name) == 0)
            return true;
    return false;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF. */
static void csv_field(FILE *f, const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n") != NULL) {
        fputc('"', f);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fputc('"', f);
    } else {
        fputs(s, f);
    }
    fputs(last ? "\r\n" : ",", f);
}

/* rows (their columns in `fields` order; `lab` added first) as NAME.csv and
 * NAME.json; a column whose field is personal and not included is left
 * out of both. */
static int write_table(const char *dir, const char *name, const struct db_rows *r,
                       const struct od_field *fields, size_t nf, const struct rec_open_data *o,
                       struct cd_err *err)
{
    char path[4200];
    bool keep[32];
    for (size_t c = 0; c < nf; c++)
        keep[c] = !fields[c].personal || included(o, fields[c].name);
    snprintf(path, sizeof path, "%s/%s.csv", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return cd_fail(err, CD_ERR_IO, "%s: %s", path, strerror(errno));
    csv_field(f, "lab", false);
    size_t last = 0;
    for (size_t c = 0; c < nf; c++)
        if (keep[c])
            last = c;
    for (size_t c = 0; c < nf; c++)
        if (keep[c])
            csv_field(f, fields[c].name, c == last);
    json_t *rows = json_array();
    for (size_t i = 0; i < r->n_rows; i++) {
        json_t *row = json_object();
        csv_field(f, o->lab, false);
        json_object_set_new(row, "lab", json_string(o->lab));
        for (size_t c = 0; c < nf; c++) {
            if (!keep[c])
                continue;
            const char *v = db_cell(r, i, c);
            csv_field(f, v, c == last);
            json_object_set_new(row, fields[c].name, v[0] ? json_string(v) : json_null());
        }
        json_array_append_new(rows, row);
    }
    int bad = fclose(f) != 0;
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    json_t *doc = json_pack("{s:s, s:o}", "schema", REC_OPEN_DATA_SCHEMA, name, rows);
    bad |= doc == NULL || json_dump_file(doc, path, JSON_INDENT(1)) != 0;
    json_decref(doc);
    return bad ? cd_fail(err, CD_ERR_IO, _("%s/%s: cannot write"), dir, name) : 0;
}

static json_t *schema_fields(const struct od_field *fields, size_t nf,
                             const struct rec_open_data *o)
{
    json_t *a = json_array();
    json_array_append_new(a, json_pack("{s:s, s:s}", "name", "lab", "about", "the laboratory"));
    for (size_t c = 0; c < nf; c++)
        if (!fields[c].personal || included(o, fields[c].name))
            json_array_append_new(a, json_pack("{s:s, s:s}", "name", fields[c].name, "about",
                                               fields[c].about));
    return a;
}

int rec_export_open_data(rec_db *db, const char *dir, const struct rec_open_data *o,
                         struct cd_err *err)
{
    for (size_t i = 0; i < o->n_include; i++) {
        bool known = false;
        for (size_t c = 0; c < N_CERT_FIELDS; c++)
            known |= cert_fields[c].personal && strcmp(cert_fields[c].name, o->include[i]) == 0;
        if (!known)
            return cd_fail(err, CD_ERR_INVALID,
                           _("open_data include: '%.64s' is not a field that can be included "
                           "(serial, customer, customer_address)"),
                           o->include[i]);
    }
    if (mkdir(dir, 0775) != 0 && errno != EEXIST)
        return cd_fail(err, CD_ERR_IO, "%s: %s", dir, strerror(errno));
    struct db_rows certs = {0}, stds = {0};
    int rc = db_exec(db,
                     "SELECT c.number, c.kind, c.status, c.issued, c.calibrated, "
                     "coalesce(i.type, ''), coalesce(i.manufacturer, ''), coalesce(i.model, ''), "
                     "c.procedure, c.verdict, coalesce(c.valid_until, ''), coalesce(c.replaces, "
                     "''), coalesce(c.replaced_by, ''), coalesce(i.serial, ''), coalesce(cu.name, "
                     "''), coalesce(cu.address, '') FROM certificates c LEFT JOIN items i ON i.id "
                     "= c.item LEFT JOIN customers cu ON cu.id = c.customer WHERE c.status <> "
                     "'issuing' ORDER BY c.issued, c.number",
                     NULL, 0, &certs, err);
    if (rc == 0)
        rc = db_exec(db,
                     "SELECT id, kind, description, class, certificate, issued_by, "
                     "coalesce(calibrated, ''), due FROM standards ORDER BY id",
                     NULL, 0, &stds, err);
    if (rc == 0)
        rc = write_table(dir, "certificates", &certs, cert_fields, N_CERT_FIELDS, o, err);
    if (rc == 0)
        rc = write_table(dir, "standards", &stds, std_fields, N_STD_FIELDS, o, err);
    db_rows_free(&certs);
    db_rows_free(&stds);
    if (rc != 0)
        return rc;
    char path[4200], now[21];
    db_now(now);
    snprintf(path, sizeof path, "%s/schema.json", dir);
    json_t *schema = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:o}, s:{s:s, s:o}}", "schema", REC_OPEN_DATA_SCHEMA,
        "exported", now, "encoding", "UTF-8; CSV per RFC 4180 with a header row",
        "certificates", "files", "certificates.csv certificates.json", "fields",
        schema_fields(cert_fields, N_CERT_FIELDS, o), "standards", "files",
        "standards.csv standards.json", "fields", schema_fields(std_fields, N_STD_FIELDS, o));
    if (schema == NULL || json_dump_file(schema, path, JSON_INDENT(1)) != 0)
        rc = cd_fail(err, CD_ERR_IO, _("%s: cannot write"), path);
    json_decref(schema);
    return rc;
}
