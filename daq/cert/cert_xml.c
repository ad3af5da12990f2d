/* The DCC XML certificate: PTB's Digital Calibration Certificate schema
 * 3.1.2 with D-SI 2.1.0 (the pinned copy in ../shared/reference/dcc), built
 * with libxml2's tree API from the same struct cert_doc as the PDF and JSON.
 *
 * Offline check of a written file, from the project root:
 *   XML_CATALOG_FILES=../shared/reference/dcc/catalog.xml \
 *     xmllint --nonet --noout --schema ../shared/reference/dcc/dcc.xsd FILE.xml
 * (tests/unit/test_cert_xml.c does the same with libxml2's schema API.)
 *
 * Emitted structure:
 *   dcc:digitalCalibrationCertificate schemaVersion="3.1.2"
 *     administrativeData
 *       dccSoftware/software          caldaq, release
 *       coreData                      country, languages, number, dates, place
 *       items/item                    title, installedSoftwares (firmware),
 *                                     manufacturer, model, identifications
 *       calibrationLaboratory         accreditation code, contact
 *       respPersons/respPerson        the signatory (mainSigner)
 *       customer                      name, eMail, location
 *       statements                    conformity (decision rule, verdict),
 *                                     traceability, ISO/IEC 17025 7.8.2.1,
 *                                     method and national document, issue date
 *     measurementResults/measurementResult
 *       name, usedMethods (method, expanded uncertainty),
 *       measuringEquipments (the reference standards),
 *       influenceConditions (temperature, humidity, pressure or "not measured";
 *                            the air density of a buoyancy correction),
 *       results/result/data
 *         list: nominal, range (multimeters), reference, indication, indication
 *               up and down and hysteresis (series both ways), error (+
 *               expandedUncXMLList, conformityXMLList), MPE as
 *               si:realListXMLList (measured points)
 *         text: the verdict of every point; the points not measured
 *       results/result (balances): the repeatability test, the eccentricity test
 *
 * The reported figures are the document's, written with cert_fmt() and
 * cert_fmt_exact() (cert_doc.c): the same digits as the PDF and the JSON.
 *
 * A doc the schema cannot carry (a non-finite number on a measured point, a
 * bad date or country code, an unknown unit) is refused with an error before
 * anything is written, so no invalid XML leaves this file. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cert.h"
#include "cert_priv.h"
#include "cd_i18n.h"

#define CALDAQ_XML_VERSION "0.1.0"
#define DCC_NS "https://ptb.de/dcc"
#define SI_NS "https://ptb.de/si"

enum lang { LANG_VI, LANG_EN };

struct xw {
    xmlDocPtr doc;
    xmlNsPtr dcc, si;
    enum lang langs[2];
    size_t n_langs;
    const struct cd_catalog *vi; /* the Vietnamese of the fixed texts (cert_doc.vi, or own) */
    enum cd_decsep vi_sep;       /* the decimal sign of figures in Vietnamese texts (the lab's);
                                  * the values (xs:double) always have the point */
    bool oom;           /* a libxml2 allocation failed somewhere */
};

/* ------------------------------------------------------------ strings */

/* A growable string for the XML lists. */
struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 2)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (b->len > 0)
        b->p[b->len++] = ' ';
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* The shortest decimal that reads back as exactly x (so a reader gets the
 * doc's double). `positional`: never an exponent (si:kValueType and
 * si:probabilityValueType allow none); otherwise an exponent only for very
 * small or large magnitudes. Negative zero is written as 0 (si uncertainty
 * values allow no sign). x must be finite. */
static void fmt_num(char *buf, size_t size, double x, bool positional)
{
    char tmp[64];
    int n = 1;
    if (x == 0)
        x = 0;          /* -0 -> +0 */
    for (; n <= 17; n++) {
        snprintf(tmp, sizeof tmp, "%.*e", n - 1, x);
        if (strtod(tmp, NULL) == x)
            break;
    }
    if (n > 17)
        n = 17;
    const char *e = strchr(tmp, 'e');
    int exp10 = e != NULL ? atoi(e + 1) : 0;
    if (!positional && (exp10 < -5 || exp10 > 16)) {
        snprintf(buf, size, "%.*e", n - 1, x);
        return;
    }
    int decimals = n - 1 - exp10;
    snprintf(buf, size, "%.*f", decimals > 0 ? decimals : 0, x);
}

/* Text the XML can carry: valid UTF-8 without control characters that
 * XML 1.0 forbids. */
static bool xml_text_ok(const char *s)
{
    if (xmlCheckUTF8((const unsigned char *)s) == 0)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return false;
    return true;
}

static bool is_date(const char *s)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

/* ------------------------------------------------------------ tree helpers */

/* A dcc: element (no text). NULL parent (an earlier failure): NULL. */
static xmlNodePtr el(struct xw *w, xmlNodePtr parent, const char *name)
{
    if (parent == NULL)
        return NULL;
    xmlNodePtr n = xmlNewChild(parent, w->dcc, (const xmlChar *)name, NULL);
    if (n == NULL)
        w->oom = true;
    return n;
}

/* An element with text, escaped (xmlNewTextChild: '&' and '<' are text). */
static xmlNodePtr tx_ns(struct xw *w, xmlNodePtr parent, xmlNsPtr ns, const char *name,
                        const char *text)
{
    if (parent == NULL)
        return NULL;
    xmlNodePtr n = xmlNewTextChild(parent, ns, (const xmlChar *)name, (const xmlChar *)text);
    if (n == NULL)
        w->oom = true;
    return n;
}

static xmlNodePtr tx(struct xw *w, xmlNodePtr parent, const char *name, const char *text)
{
    return tx_ns(w, parent, w->dcc, name, text);
}

static void attr(struct xw *w, xmlNodePtr n, const char *name, const char *value)
{
    if (n != NULL && xmlNewProp(n, (const xmlChar *)name, (const xmlChar *)value) == NULL)
        w->oom = true;
}

static const char *lang_code(enum lang l)
{
    return l == LANG_VI ? "vi" : "en";
}

/* dcc:content elements, one per used language (en or vi text; an empty
 * one falls back to the other), each with its lang attribute. */
static void contents(struct xw *w, xmlNodePtr parent, const char *en, const char *vi)
{
    for (size_t i = 0; i < w->n_langs; i++) {
        const char *s = w->langs[i] == LANG_VI ? vi : en;
        if (s == NULL || s[0] == '\0')
            s = w->langs[i] == LANG_VI ? en : vi;
        attr(w, tx(w, parent, "content", s != NULL ? s : ""), "lang", lang_code(w->langs[i]));
    }
}

/* An element of dcc:textType/richContentType with per-language contents. */
static xmlNodePtr ml(struct xw *w, xmlNodePtr parent, const char *name, const char *en,
                     const char *vi)
{
    xmlNodePtr n = el(w, parent, name);
    contents(w, n, en, vi);
    return n;
}

/* The Vietnamese of a fixed text (an English msgid). */
static const char *T(const struct xw *w, const char *msgid)
{
    return cd_catalog_text(w->vi, msgid);
}

/* A figure of a Vietnamese text: `num` (written with the point) in
 * `buf` with the lab's decimal sign. */
static const char *vi_num(const struct xw *w, const char *num, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", num);
    return cd_decimal_sep(buf, w->vi_sep);
}

/* The same for a fixed text: the English msgid, its Vietnamese from the
 * document's catalogue. */
static xmlNodePtr mlt(struct xw *w, xmlNodePtr parent, const char *name, const char *msgid)
{
    return ml(w, parent, name, msgid, T(w, msgid));
}

/* The same for a proper name: one content, no language. */
static xmlNodePtr plain(struct xw *w, xmlNodePtr parent, const char *name, const char *s)
{
    xmlNodePtr n = el(w, parent, name);
    tx(w, n, "content", s);
    return n;
}

/* ------------------------------------------------------------ vocabulary */

/* caldaq unit -> D-SI 2.1.0 unit. si:unitType is a bare xs:string in the
 * pinned SI_Format.xsd (no pattern), so the schema accepts any string; the
 * names follow the D-SI unit vocabulary, which lists \bar among its
 * non-SI units (PTB's dsiUnits parser knows it), so bar stays \bar with
 * no conversion. */
static const char *dsi_unit(const char *u)
{
    static const struct { const char *caldaq, *dsi; } map[] = {
        {"g", "\\gram"},          {"kg", "\\kilo\\gram"},   {"mg", "\\milli\\gram"},
        {"V", "\\volt"},          {"mV", "\\milli\\volt"},  {"kV", "\\kilo\\volt"},
        {"bar", "\\bar"},         {"mbar", "\\milli\\bar"},
        {"Pa", "\\pascal"},       {"kPa", "\\kilo\\pascal"}, {"MPa", "\\mega\\pascal"},
        {"hPa", "\\hecto\\pascal"},
        {"A", "\\ampere"},        {"mA", "\\milli\\ampere"}, {"ohm", "\\ohm"},
        /* temperature (issue 19): the profile's unit, and the readouts' */
        {"°C", "\\degreecelsius"}, {"K", "\\kelvin"},     {"Ω", "\\ohm"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(u, map[i].caldaq) == 0)
            return map[i].dsi;
    return NULL;
}

/* en: an English msgid, in Vietnamese through the document's catalogue */
struct verdict_words { const char *caldaq, *dcc, *en; };

/* caldaq verdicts (uncertainty/decision.c, cert.h) -> DCC conformity
 * (dcc:stringConformityStatementStatusType) and the words of the PDF. */
static const struct verdict_words *verdict_words(const char *v)
{
    static const struct verdict_words tab[] = {
        {"pass", "pass", N_("pass")},
        {"fail", "fail", N_("fail")},
        {"conditional pass", "conditionalPass", N_("conditional pass")},
        {"conditional fail", "conditionalFail", N_("conditional fail")},
        {"not measured", NULL, N_("not measured")},
        {"incomplete", NULL, N_("incomplete (points not measured)")},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(v, tab[i].caldaq) == 0)
            return &tab[i];
    return NULL;
}

/* ------------------------------------------------------------ checks */

static int check_text(struct cd_err *err, const char *what, const char *s)
{
    if (!xml_text_ok(s))
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: %s is not valid UTF-8 text"), what);
    return 0;
}

static int check_doc(const struct cert_doc *d, struct cd_err *err)
{
    const struct cert_lab *lab = d->lab;
    if (lab == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("certificate XML: no laboratory"));
    if (d->number[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("certificate XML: no certificate number"));
    if (strlen(lab->country) != 2 || lab->country[0] < 'A' || lab->country[0] > 'Z' ||
        lab->country[1] < 'A' || lab->country[1] > 'Z')
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: the laboratory's country \"%s\" is not an ISO 3166-1 "
                       "alpha-2 code"), lab->country);
    if (!is_date(d->calibrated))
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: calibration date \"%s\" is not YYYY-MM-DD"),
                       d->calibrated);
    if (d->received[0] != '\0' && !is_date(d->received))
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: receipt date \"%s\" is not YYYY-MM-DD"), d->received);
    if (d->issued[0] != '\0' && !is_date(d->issued))
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: issue date \"%s\" is not YYYY-MM-DD"), d->issued);
    if (strcmp(d->place, "laboratory") != 0 && strcmp(d->place, "customer") != 0)
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: place \"%s\" is neither laboratory nor customer"),
                       d->place);
    if (dsi_unit(d->unit) == NULL)
        return cd_fail(err, CD_ERR_UNSUPPORTED,
                       _("certificate XML: no D-SI unit for \"%s\""), d->unit);
    if (dsi_unit(cert_nominal_unit(d)) == NULL)
        return cd_fail(err, CD_ERR_UNSUPPORTED,
                       _("certificate XML: no D-SI unit for \"%s\""), cert_nominal_unit(d));
    if (d->item_serial[0] == '\0' && d->item_serial_stated[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: the item has no serial number (a DCC item needs an "
                       "identification)"));
    if (d->signatory[0] == '\0')
        return cd_fail(err, CD_ERR_INVALID, _("certificate XML: no signatory"));
    if (d->n_points == 0 || d->points == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("certificate XML: no calibration points"));
    if (d->n_standards > 0 && d->standards == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("certificate XML: standards missing"));

    const struct { const char *what, *s; } texts[] = {
        {"the number", d->number}, {"the customer", d->customer},
        {"the customer's address", d->customer_address},
        {"the manufacturer", d->item_manufacturer}, {"the model", d->item_model},
        {"the serial number", d->item_serial}, {"the firmware", d->item_firmware},
        {"the customer's serial number", d->item_serial_stated},
        {"the English title", d->title_en}, {"the Vietnamese title", d->title_vi},
        {"the method", d->method}, {"the national document", d->national_document},
        {"the signatory", d->signatory}, {"the signatory's title", d->signatory_title_en},
        {"the signatory's Vietnamese title", d->signatory_title_vi},
        {"the laboratory's name", lab->name_en}, {"the laboratory's Vietnamese name", lab->name_vi},
        {"the laboratory's address", lab->address}, {"the laboratory's city", lab->city},
        {"the laboratory's e-mail", lab->email}, {"the laboratory's phone", lab->phone},
        {"the accreditation", lab->accreditation},
        {"the traceability statement", lab->traceability_en},
        {"the Vietnamese traceability statement", lab->traceability_vi},
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (check_text(err, texts[i].what, texts[i].s) != 0)
            return CD_ERR_INVALID;
    for (size_t i = 0; i < d->n_standards; i++)
        if (check_text(err, "a standard's id", d->standards[i].id) != 0 ||
            check_text(err, "a standard's certificate", d->standards[i].certificate) != 0 ||
            check_text(err, "a standard's due date", d->standards[i].due) != 0 ||
            check_text(err, "a standard's role", d->standards[i].role) != 0)
            return CD_ERR_INVALID;

    size_t n_mpe = 0, n_measured = 0;
    for (size_t i = 0; i < d->n_points; i++) {
        const struct cert_point *p = &d->points[i];
        if (verdict_words(p->verdict) == NULL)
            return cd_fail(err, CD_ERR_INVALID,
                           _("certificate XML: point %zu has an unknown verdict \"%s\""), i + 1,
                           p->verdict);
        if (!p->measured)
            continue;
        n_measured++;
        const struct { const char *what; double v; } nums[] = {
            {"nominal value", p->nominal}, {"reference value", p->reference},
            {"indication", p->mean}, {"error", p->error}, {"expanded uncertainty", p->U},
            {"coverage factor", p->k},
        };
        for (size_t j = 0; j < sizeof nums / sizeof nums[0]; j++)
            if (!isfinite(nums[j].v))
                return cd_fail(err, CD_ERR_NUMERIC,
                               _("certificate XML: point %zu is measured but its %s is not a "
                               "number"), i + 1, nums[j].what);
        if (p->U < 0)
            return cd_fail(err, CD_ERR_INVALID,
                           _("certificate XML: point %zu has a negative uncertainty"), i + 1);
        if (p->k < 1 || p->k > 1e6)
            return cd_fail(err, CD_ERR_INVALID,
                           _("certificate XML: point %zu has a coverage factor %g outside [1, "
                           "1e6]"), i + 1, p->k);
        if (!isnan(p->p) && !(p->p > 0 && p->p <= 1))
            return cd_fail(err, CD_ERR_INVALID,
                           _("certificate XML: point %zu has a coverage probability %g outside "
                           "(0, 1]"), i + 1, p->p);
        if (isinf(p->mpe))
            return cd_fail(err, CD_ERR_NUMERIC,
                           _("certificate XML: point %zu has an infinite MPE"), i + 1);
        if (!isnan(p->mpe))
            n_mpe++;
    }
    if (n_mpe != 0 && n_mpe != n_measured)
        return cd_fail(err, CD_ERR_NUMERIC,
                       _("certificate XML: the MPE is given for some measured points only"));
    if (verdict_words(d->verdict) == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("certificate XML: unknown overall verdict \"%s\""),
                       d->verdict);
    return 0;
}

/* ------------------------------------------------------------ sections */

static void core_data(struct xw *w, xmlNodePtr adm, const struct cert_doc *d)
{
    xmlNodePtr c = el(w, adm, "coreData");
    tx(w, c, "countryCodeISO3166_1", d->lab->country);
    for (size_t i = 0; i < w->n_langs; i++)
        tx(w, c, "usedLangCodeISO639_1", lang_code(w->langs[i]));
    tx(w, c, "mandatoryLangCodeISO639_1", lang_code(w->langs[0]));
    tx(w, c, "uniqueIdentifier", d->number);
    if (d->received[0] != '\0')
        tx(w, c, "receiptDate", d->received);
    tx(w, c, "beginPerformanceDate", d->calibrated);
    tx(w, c, "endPerformanceDate", d->calibrated);
    tx(w, c, "performanceLocation", d->place);
}

static void identification(struct xw *w, xmlNodePtr ids, const char *issuer, const char *value,
                           const char *msgid)
{
    xmlNodePtr id = el(w, ids, "identification");
    tx(w, id, "issuer", issuer);
    tx(w, id, "value", value);
    mlt(w, id, "name", msgid);
}

static void items(struct xw *w, xmlNodePtr adm, const struct cert_doc *d)
{
    xmlNodePtr item = el(w, el(w, adm, "items"), "item");
    ml(w, item, "name", d->title_en, d->title_vi);
    if (d->item_firmware[0] != '\0') {
        xmlNodePtr sw = el(w, el(w, item, "installedSoftwares"), "software");
        mlt(w, sw, "name", N_("Firmware"));
        tx(w, sw, "release", d->item_firmware);
        tx(w, sw, "type", "firmware");
    }
    /* manufacturer/name is required; a balance need not report its maker. */
    xmlNodePtr man = el(w, item, "manufacturer");
    if (d->item_manufacturer[0] != '\0')
        plain(w, man, "name", d->item_manufacturer);
    else
        mlt(w, man, "name", N_("not stated"));
    if (d->item_model[0] != '\0')
        tx(w, item, "model", d->item_model);
    xmlNodePtr ids = el(w, item, "identifications");
    if (d->item_serial[0] != '\0')
        identification(w, ids, "manufacturer", d->item_serial,
                       N_("Serial number (as reported by the instrument)"));
    if (d->item_serial_stated[0] != '\0')
        identification(w, ids, "customer", d->item_serial_stated,
                       N_("Serial number (as stated by the customer)"));
}

static void laboratory(struct xw *w, xmlNodePtr adm, const struct cert_lab *lab)
{
    xmlNodePtr cl = el(w, adm, "calibrationLaboratory");
    if (lab->accreditation[0] != '\0')
        tx(w, cl, "calibrationLaboratoryCode", lab->accreditation);
    xmlNodePtr c = el(w, cl, "contact");
    ml(w, c, "name", lab->name_en, lab->name_vi);
    tx(w, c, "eMail", lab->email);     /* xs:string: "" is valid */
    if (lab->phone[0] != '\0')
        tx(w, c, "phone", lab->phone);
    xmlNodePtr loc = el(w, c, "location");
    if (lab->address[0] != '\0')
        tx(w, loc, "street", lab->address);
    if (lab->city[0] != '\0')
        tx(w, loc, "city", lab->city);
    tx(w, loc, "countryCode", lab->country);
}

static void resp_persons(struct xw *w, xmlNodePtr adm, const struct cert_doc *d)
{
    xmlNodePtr rp = el(w, el(w, adm, "respPersons"), "respPerson");
    plain(w, el(w, rp, "person"), "name", d->signatory);
    if (d->signatory_title_en[0] != '\0' || d->signatory_title_vi[0] != '\0') {
        ml(w, rp, "description", d->signatory_title_en, d->signatory_title_vi);
        const char *role = w->langs[0] == LANG_VI && d->signatory_title_vi[0] != '\0'
                               ? d->signatory_title_vi
                               : d->signatory_title_en[0] != '\0' ? d->signatory_title_en
                                                                  : d->signatory_title_vi;
        tx(w, rp, "role", role);
    }
    tx(w, rp, "mainSigner", "true");
}

static void customer(struct xw *w, xmlNodePtr adm, const struct cert_doc *d)
{
    xmlNodePtr c = el(w, adm, "customer");
    plain(w, c, "name", d->customer);
    /* eMail is required by dcc:contactType but is a bare xs:string, so ""
     * is valid; cert.h has no customer e-mail, and no placeholder is
     * needed. */
    tx(w, c, "eMail", "");
    xmlNodePtr loc = el(w, c, "location");
    if (d->customer_address[0] != '\0') {
        tx(w, loc, "street", d->customer_address);
    } else {
        /* dcc:locationType needs at least one child: the schema forces a
         * placeholder when no address was given. */
        mlt(w, loc, "further", N_("address not stated"));
    }
}

static void statements(struct xw *w, xmlNodePtr adm, const struct cert_doc *d)
{
    char en[1024], vi[1024], num[64];
    xmlNodePtr sts = el(w, adm, "statements");

    /* An amendment (ISO/IEC 17025 7.8.8.2): which certificate it replaces,
     * and why. */
    if (d->amends[0] != '\0') {
        xmlNodePtr a = el(w, sts, "statement");
        attr(w, a, "refType", "caldaq_amendment");
        tx(w, a, "norm", "ISO/IEC 17025:2017");
        tx(w, a, "reference", "7.8.8.2");
        const char *m = N_("This certificate replaces certificate %s. Reason: %.900s");
        snprintf(en, sizeof en, m, d->amends, d->amend_reason);
        snprintf(vi, sizeof vi, T(w, m), d->amends, d->amend_reason);
        ml(w, a, "declaration", en, vi);
    }

    /* Decision rule and conformity (ISO/IEC 17025 7.8.6, ILAC-G8). */
    xmlNodePtr s = el(w, sts, "statement");
    attr(w, s, "refType", "basic_conformity");
    tx(w, s, "norm", "ILAC-G8:09/2019");
    const struct verdict_words *ov = verdict_words(d->verdict);
    const char *m;
    if (strcmp(d->decision_rule, "guard-band") == 0) {
        fmt_num(num, sizeof num, isfinite(d->guard_r) ? d->guard_r : 1, false);
        m = N_("Decision rule: guarded acceptance, the acceptance limits are the MPE reduced by "
               "a guard band w = r U with r = %s. Statement of conformity: %s.");
        snprintf(en, sizeof en, m, num, ov->en);
        char num_vi[64];
        snprintf(vi, sizeof vi, T(w, m), vi_num(w, num, num_vi, sizeof num_vi), T(w, ov->en));
    } else {
        if (strcmp(d->decision_rule, "non-binary") == 0)
            m = N_("Decision rule: non-binary (pass, conditional pass, conditional fail, fail), "
                   "taking the expanded uncertainty U into account. Statement of conformity: "
                   "%s.");
        else
            m = N_("Decision rule: simple acceptance (the error is compared with the MPE; "
                   "shared risk). Statement of conformity: %s.");
        snprintf(en, sizeof en, m, ov->en);
        snprintf(vi, sizeof vi, T(w, m), T(w, ov->en));
    }
    ml(w, s, "declaration", en, vi);
    if (ov->dcc != NULL)
        tx(w, s, "conformity", ov->dcc);

    /* Traceability. */
    s = el(w, sts, "statement");
    attr(w, s, "refType", "basic_traceability");
    tx(w, s, "traceable", "true");
    const char *trace = N_("The results are metrologically traceable to the SI through the "
                           "reference standards listed in this certificate.");
    ml(w, s, "declaration",
       d->lab->traceability_en[0] != '\0' ? d->lab->traceability_en : trace,
       d->lab->traceability_vi[0] != '\0' ? d->lab->traceability_vi : T(w, trace));

    /* The results relate only to the item calibrated. */
    s = el(w, sts, "statement");
    tx(w, s, "norm", "ISO/IEC 17025:2017");
    tx(w, s, "reference", "7.8.2.1");
    mlt(w, s, "declaration",
       N_("The results relate only to the item calibrated. This certificate shall not be "
       "reproduced except in full without the written approval of the laboratory."));

    /* Method and the national document. */
    if (d->method[0] != '\0' || d->national_document[0] != '\0') {
        s = el(w, sts, "statement");
        if (d->national_document[0] != '\0')
            tx(w, s, "norm", d->national_document);
        /* the profile's Vietnamese of them when it gives one */
        const char *meth_vi = d->method_vi[0] != '\0' ? d->method_vi : d->method;
        const char *nat_vi = d->national_document_vi[0] != '\0' ? d->national_document_vi
                                                                : d->national_document;
        if (d->national_document[0] != '\0' && d->method[0] != '\0') {
            m = N_("Calibration method: %s, according to %s.");
            snprintf(en, sizeof en, m, d->method, d->national_document);
            snprintf(vi, sizeof vi, T(w, m), meth_vi, nat_vi);
        } else if (d->method[0] != '\0') {
            m = N_("Calibration method: %s.");
            snprintf(en, sizeof en, m, d->method);
            snprintf(vi, sizeof vi, T(w, m), meth_vi);
        } else {
            m = N_("Calibrated according to %s.");
            snprintf(en, sizeof en, m, d->national_document);
            snprintf(vi, sizeof vi, T(w, m), nat_vi);
        }
        ml(w, s, "declaration", en, vi);
    }

    /* Date of issue: coreData of DCC 3.1.2 has no field for it. */
    if (d->issued[0] != '\0') {
        s = el(w, sts, "statement");
        attr(w, s, "refType", "caldaq_issueDate");
        mlt(w, s, "declaration", N_("Date of issue"));
        tx(w, s, "date", d->issued);
    }
}

/* A dcc:quantity holding one si:real (the environment), as reported. */
static void real_quantity(struct xw *w, xmlNodePtr data, double v, int dec, const char *unit)
{
    char num[64];
    cert_fmt(v, dec, num, sizeof num);
    xmlNodePtr r = tx_ns(w, el(w, data, "quantity"), w->si, "real", NULL);
    tx_ns(w, r, w->si, "value", num);
    tx_ns(w, r, w->si, "unit", unit);
}

static void condition(struct xw *w, xmlNodePtr ics, const char *ref, const char *msgid,
                      double v, int dec, const char *unit)
{
    xmlNodePtr ic = el(w, ics, "influenceCondition");
    if (ref != NULL)
        attr(w, ic, "refType", ref);
    mlt(w, ic, "name", msgid);
    xmlNodePtr data = el(w, ic, "data");
    if (isfinite(v))
        real_quantity(w, data, v, dec, unit);
    else /* a certificate must say it: the condition was not measured */
        mlt(w, data, "text", N_("not measured"));
}

/* One si:realListXMLList quantity of the measured points: `field` picks the
 * value; with `unc`, the expanded uncertainties (U, k, p) follow. */
enum field { F_NOMINAL, F_REFERENCE, F_MEAN, F_ERROR, F_MPE, F_RANGE, F_UP, F_DOWN, F_HYST, F_X };


static double field_of(const struct cert_point *p, enum field f)
{
    switch (f) {
    case F_NOMINAL: return p->nominal;
    case F_REFERENCE: return p->reference;
    case F_MEAN: return p->mean;
    case F_ERROR: return p->error;
    case F_MPE: return p->mpe;
    case F_RANGE: return p->range;
    case F_UP: return p->up;
    case F_DOWN: return p->down;
    case F_HYST: return p->hysteresis;
    case F_X: return p->x;
    }
    return NAN;
}

/* A field as reported (cert.h): nominal values and ranges as given, the MPE
 * exact with at least U's decimals, the rest to U's decimals. */
static void field_text(const struct cert_point *p, enum field f, char *buf, size_t cap)
{
    int dec = cert_point_decimals(p);
    double v = field_of(p, f);
    if (f == F_NOMINAL || f == F_RANGE)
        cert_fmt(v, CERT_DEC_NONE, buf, cap);
    else if (f == F_X)
        cert_fmt(v, CERT_CURVE_X_DEC, buf, cap);
    else if (f == F_MPE)
        cert_fmt_exact(v, dec, buf, cap);
    else
        cert_fmt(v, dec, buf, cap);
}

/* The coverage probability written for a point. When k was fixed (p is
 * NAN) the lab states the probability of a normal distribution for that k,
 * rounded to 4 decimals: 0.9545 for k = 2 (cert.h has no field for a
 * probability stated otherwise). */
static double coverage_p(const struct cert_point *p)
{
    if (!isnan(p->p))
        return p->p;
    return round(erf(p->k / sqrt(2.0)) * 1e4) / 1e4;
}

static xmlNodePtr list_quantity(struct xw *w, xmlNodePtr list, const struct cert_doc *d,
                                enum field f, const char *ref, const char *msgid, bool unc)
{
    struct sbuf v = {0}, U = {0}, k = {0}, pr = {0};
    char num[512];
    for (size_t i = 0; i < d->n_points; i++) {
        const struct cert_point *p = &d->points[i];
        if (!p->measured)
            continue;
        field_text(p, f, num, sizeof num);
        sb_add(&v, num);
        if (unc) {
            cert_fmt(p->U, cert_point_decimals(p), num, sizeof num);
            sb_add(&U, num);
            cert_fmt(p->k, 2, num, sizeof num);
            sb_add(&k, num);
            fmt_num(num, sizeof num, coverage_p(p), true);
            sb_add(&pr, num);
        }
    }
    xmlNodePtr q = NULL;
    if (v.oom || U.oom || k.oom || pr.oom) {
        w->oom = true;
    } else {
        q = el(w, list, "quantity");
        if (ref != NULL)
            attr(w, q, "refType", ref);
        mlt(w, q, "name", msgid);
        xmlNodePtr rl = tx_ns(w, q, w->si, "realListXMLList", NULL);
        tx_ns(w, rl, w->si, "valueXMLList", v.p);
        tx_ns(w, rl, w->si, "unitXMLList",
              dsi_unit(f == F_NOMINAL || f == F_X ? cert_nominal_unit(d) : d->unit));
        if (unc) {
            xmlNodePtr eu = tx_ns(w, rl, w->si, "expandedUncXMLList", NULL);
            tx_ns(w, eu, w->si, "uncertaintyXMLList", U.p);
            tx_ns(w, eu, w->si, "coverageFactorXMLList", k.p);
            tx_ns(w, eu, w->si, "coverageProbabilityXMLList", pr.p);
        }
    }
    free(v.p);
    free(U.p);
    free(k.p);
    free(pr.p);
    return q;
}

/* One si:real quantity with a name, in a result's data. */
static void real_named(struct xw *w, xmlNodePtr data, const char *ref, const char *msgid,
                       double v, int dec, const char *unit)
{
    char num[64];
    cert_fmt(v, dec, num, sizeof num);
    xmlNodePtr q = el(w, data, "quantity");
    if (ref != NULL)
        attr(w, q, "refType", ref);
    mlt(w, q, "name", msgid);
    xmlNodePtr r = tx_ns(w, q, w->si, "real", NULL);
    tx_ns(w, r, w->si, "value", num);
    tx_ns(w, r, w->si, "unit", unit);
}

/* One si:real with its expanded uncertainty (U, k, the normal's p). */
static void real_unc(struct xw *w, xmlNodePtr data, const char *ref, const char *msgid,
                     double v, double U, double k, const char *unit)
{
    char num[64];
    int dec = cert_decimals(U);
    xmlNodePtr q = el(w, data, "quantity");
    attr(w, q, "refType", ref);
    mlt(w, q, "name", msgid);
    xmlNodePtr r = tx_ns(w, q, w->si, "real", NULL);
    cert_fmt(v, dec, num, sizeof num);
    tx_ns(w, r, w->si, "value", num);
    tx_ns(w, r, w->si, "unit", unit);
    xmlNodePtr eu = tx_ns(w, r, w->si, "expandedUnc", NULL);
    cert_fmt(U, dec, num, sizeof num);
    tx_ns(w, eu, w->si, "uncertainty", num);
    cert_fmt(k, 2, num, sizeof num);
    tx_ns(w, eu, w->si, "coverageFactor", num);
    fmt_num(num, sizeof num, round(erf(k / sqrt(2.0)) * 1e4) / 1e4, true);
    tx_ns(w, eu, w->si, "coverageProbability", num);
}

/* A PRT calibrated as a curve: R0, A, B with U, their correlation
 * coefficients and the fit's chi^2, a result of its own, as reported. */
static void curve_result(struct xw *w, xmlNodePtr results, const struct cert_doc *d)
{
    const struct cert_curve *c = &d->curve;
    char inv[64], inv2[64];
    snprintf(inv, sizeof inv, "%s\\tothe{-1}", dsi_unit(cert_nominal_unit(d)));
    snprintf(inv2, sizeof inv2, "%s\\tothe{-2}", dsi_unit(cert_nominal_unit(d)));
    xmlNodePtr res = el(w, results, "result");
    attr(w, res, "refType", "caldaq_cvdCurve");
    mlt(w, res, "name",
       N_("Callendar-Van Dusen coefficients, R(t) = R0 (1 + A t + B t^2), t >= 0 °C"));
    xmlNodePtr data = el(w, res, "data");
    real_unc(w, data, "caldaq_cvdR0", "R0", c->coef[0], c->U[0], c->k, dsi_unit(d->unit));
    real_unc(w, data, "caldaq_cvdA", "A", c->coef[1], c->U[1], c->k, inv);
    real_unc(w, data, "caldaq_cvdB", "B", c->coef[2], c->U[2], c->k, inv2);
    real_named(w, data, "caldaq_correlationR0A", N_("Correlation coefficient r(R0, A)"),
               c->r_r0_a, 4, "\\one");
    real_named(w, data, "caldaq_correlationR0B", N_("Correlation coefficient r(R0, B)"),
               c->r_r0_b, 4, "\\one");
    real_named(w, data, "caldaq_correlationAB", N_("Correlation coefficient r(A, B)"),
               c->r_a_b, 4, "\\one");
    real_named(w, data, "caldaq_chiSquared", N_("Chi-squared of the weighted fit"),
               c->chi2, cert_decimals(c->chi2),
               "\\one");
    real_named(w, data, "caldaq_degreesOfFreedom", N_("Degrees of freedom of the fit"),
               c->dof, 0, "\\one");
}

/* A balance's repeatability and eccentricity tests, each a result of its
 * own, as reported (cert.h). */
static void side_results(struct xw *w, xmlNodePtr results, const struct cert_doc *d)
{
    const char *unit = dsi_unit(d->unit);
    if (d->has_repeatability) {
        xmlNodePtr res = el(w, results, "result");
        attr(w, res, "refType", "caldaq_repeatability");
        mlt(w, res, "name", N_("Repeatability test"));
        xmlNodePtr data = el(w, res, "data");
        real_named(w, data, "caldaq_load", N_("Load"), d->rep_load, CERT_DEC_NONE, unit);
        real_named(w, data, "caldaq_numberOfReadings", N_("Number of readings"),
                   (double)d->rep_n, 0, "\\one");
        real_named(w, data, "caldaq_mean", N_("Mean indication"),
                   d->rep_mean, d->dec_d, unit);
        real_named(w, data, "caldaq_standardDeviation", N_("Experimental standard deviation s"),
                   d->rep_s,
                   d->rep_s > 0 ? cert_decimals(d->rep_s) : d->dec_d, unit);
    }
    if (d->n_positions > 0) {
        xmlNodePtr res = el(w, results, "result");
        attr(w, res, "refType", "caldaq_eccentricity");
        mlt(w, res, "name", N_("Eccentricity test"));
        xmlNodePtr data = el(w, res, "data");
        real_named(w, data, "caldaq_load", N_("Load"), d->ecc_load, CERT_DEC_NONE, unit);
        struct sbuf ind = {0}, dev = {0}, names = {0};
        char num[64];
        for (size_t i = 0; i < d->n_positions; i++) {
            cert_fmt(d->positions[i].indication, d->dec_d, num, sizeof num);
            sb_add(&ind, num);
            cert_fmt(d->positions[i].deviation, d->dec_d, num, sizeof num);
            sb_add(&dev, num);
            sb_add(&names, d->positions[i].name);
        }
        if (ind.oom || dev.oom || names.oom) {
            w->oom = true;
        } else {
            xmlNodePtr list = el(w, data, "list");
            const struct { const char *ref, *msgid, *values; } qs[] = {
                {"caldaq_indication", N_("Indication at each position (centre first)"), ind.p},
                {"caldaq_deviation", N_("Deviation from the centre"), dev.p},
            };
            for (size_t k = 0; k < 2; k++) {
                xmlNodePtr q = el(w, list, "quantity");
                attr(w, q, "refType", qs[k].ref);
                mlt(w, q, "name", qs[k].msgid);
                ml(w, q, "description", names.p, names.p);
                xmlNodePtr rl = tx_ns(w, q, w->si, "realListXMLList", NULL);
                tx_ns(w, rl, w->si, "valueXMLList", qs[k].values);
                tx_ns(w, rl, w->si, "unitXMLList", unit);
            }
            if (d->has_eccentricity)
                real_named(w, data, "caldaq_maxDeviation", N_("Largest deviation"),
                           d->ecc_max, d->dec_d, unit);
        }
        free(ind.p);
        free(dev.p);
        free(names.p);
    }
}

static void results(struct xw *w, xmlNodePtr root, const struct cert_doc *d)
{
    char en[512], vi[512], num[64];
    xmlNodePtr mr = el(w, el(w, root, "measurementResults"), "measurementResult");
    mlt(w, mr, "name", N_("Calibration results"));

    xmlNodePtr ums = el(w, mr, "usedMethods");
    if (d->method[0] != '\0' || d->national_document[0] != '\0') {
        xmlNodePtr um = el(w, ums, "usedMethod");
        attr(w, um, "refType", "basic_method");
        ml(w, um, "name", d->method[0] != '\0' ? d->method : d->national_document,
           d->method[0] != '\0' ? d->method_vi : d->national_document_vi);
        if (d->national_document[0] != '\0')
            tx(w, um, "norm", d->national_document);
    }
    xmlNodePtr um = el(w, ums, "usedMethod");
    attr(w, um, "refType", "basic_uncertainty");
    mlt(w, um, "name", N_("Expanded measurement uncertainty"));
    bool fixed2 = false;
    for (size_t i = 0; i < d->n_points; i++)
        fixed2 |= d->points[i].measured && isnan(d->points[i].p) && d->points[i].k == 2;
    mlt(w, um, "description",
        /* xgettext:no-c-format */
        fixed2 ? N_("The expanded uncertainty U is the standard uncertainty multiplied by the "
                    "coverage factor k, determined in accordance with the GUM (JCGM 100:2008): "
                    "k = 2, corresponding to a coverage probability of approximately 95 % for "
                    "a normal distribution.")
               : N_("The expanded uncertainty U is the standard uncertainty multiplied by the "
                    "coverage factor k, determined in accordance with the GUM (JCGM "
                    "100:2008)."));
    tx(w, um, "norm", "JCGM 100:2008");

    if (d->n_standards > 0) {
        xmlNodePtr mes = el(w, mr, "measuringEquipments");
        for (size_t i = 0; i < d->n_standards; i++) {
            const struct cert_standard *st = &d->standards[i];
            xmlNodePtr me = el(w, mes, "measuringEquipment");
            attr(w, me, "refType", "basic_standardUsed");
            plain(w, me, "name", st->id);
            if (st->role[0] != '\0' || st->due[0] != '\0') {
                const char *role = cert_role_msgid(st->role);
                if (st->role[0] != '\0' && st->due[0] != '\0') {
                    const char *m = N_("Reference standard, role: %s, calibration due %s.");
                    snprintf(en, sizeof en, m, role, st->due);
                    snprintf(vi, sizeof vi, T(w, m), T(w, role), st->due);
                } else if (st->role[0] != '\0') {
                    const char *m = N_("Reference standard, role: %s.");
                    snprintf(en, sizeof en, m, role);
                    snprintf(vi, sizeof vi, T(w, m), T(w, role));
                } else {
                    const char *m = N_("Reference standard, calibration due %s.");
                    snprintf(en, sizeof en, m, st->due);
                    snprintf(vi, sizeof vi, T(w, m), st->due);
                }
                ml(w, me, "description", en, vi);
            }
            xmlNodePtr ids = el(w, me, "identifications");
            identification(w, ids, "calibrationLaboratory", st->id, N_("Standard"));
            if (st->certificate[0] != '\0')
                identification(w, ids, "other", st->certificate, N_("Calibration certificate no."));
        }
    }

    xmlNodePtr ics = el(w, mr, "influenceConditions");
    condition(w, ics, "basic_temperature", N_("Ambient temperature"),
              d->temp_c, 1, "\\degreecelsius");
    condition(w, ics, "basic_humidityRelative", N_("Ambient relative humidity"),
              d->rh_pct, 0, "\\percent");
    condition(w, ics, "basic_pressure", N_("Ambient air pressure"),
              d->p_hpa, 1, "\\hecto\\pascal");
    if (d->has_air) {
        xmlNodePtr ic = el(w, ics, "influenceCondition");
        attr(w, ic, "refType", "caldaq_airDensity");
        mlt(w, ic, "name", N_("Air density (buoyancy correction)"));
        mlt(w, ic, "description",
            d->air_measured ? N_("OIML R111-1:2004 E.3-1 from the conditions measured")
                            : N_("the procedure's estimate: the conditions were not measured"));
        xmlNodePtr data = el(w, ic, "data");
        char num[64];
        int dec = cert_decimals(d->u_rho_a);
        xmlNodePtr r = tx_ns(w, el(w, data, "quantity"), w->si, "real", NULL);
        cert_fmt(d->rho_a, dec, num, sizeof num);
        tx_ns(w, r, w->si, "value", num);
        tx_ns(w, r, w->si, "unit", "\\kilogram\\metre\\tothe{-3}");
        /* the standard uncertainty, as D-SI 2.1.0 carries one: an expanded
         * uncertainty with k = 1 (a normal's 68.27 %) */
        xmlNodePtr eu = tx_ns(w, r, w->si, "expandedUnc", NULL);
        cert_fmt(d->u_rho_a, dec, num, sizeof num);
        tx_ns(w, eu, w->si, "uncertainty", num);
        tx_ns(w, eu, w->si, "coverageFactor", "1");
        tx_ns(w, eu, w->si, "coverageProbability", "0.6827");
    }

    xmlNodePtr res = el(w, el(w, mr, "results"), "result");
    mlt(w, res, "name", N_("Calibration results"));
    xmlNodePtr data = el(w, res, "data");

    size_t n_measured = 0;
    bool mpe = false;
    for (size_t i = 0; i < d->n_points; i++)
        if (d->points[i].measured) {
            n_measured++;
            mpe = mpe || !isnan(d->points[i].mpe);
        }
    if (n_measured > 0) {
        xmlNodePtr list = el(w, data, "list");
        list_quantity(w, list, d, F_NOMINAL, "basic_nominalValue", N_("Nominal value"), false);
        if (d->ranges)
            list_quantity(w, list, d, F_RANGE, "caldaq_range", N_("Range"), false);
        if (d->has_curve) {
            list_quantity(w, list, d, F_X, "caldaq_referenceTemperature",
                          N_("Reference temperature (the reference's reading corrected)"), false);
            list_quantity(w, list, d, F_REFERENCE, "caldaq_curveValue",
                          N_("Value of the fitted curve at the reference temperature"), false);
        } else {
            list_quantity(w, list, d, F_REFERENCE, "basic_referenceValue", N_("Reference value"),
                          false);
        }
        list_quantity(w, list, d, F_MEAN, "basic_measuredValue", N_("Indication"), false);
        if (d->up_down) {
            list_quantity(w, list, d, F_UP, "caldaq_indicationUp",
                          N_("Indication, increasing (mean of the up series)"), false);
            list_quantity(w, list, d, F_DOWN, "caldaq_indicationDown",
                          N_("Indication, decreasing (mean of the down series)"), false);
            list_quantity(w, list, d, F_HYST, "caldaq_hysteresis", N_("Hysteresis"), false);
        }
        xmlNodePtr eq = list_quantity(w, list, d, F_ERROR, "basic_measurementError",
                                      d->has_curve ? N_("Residual from the fitted curve")
                                                   : N_("Error"),
                                      true);
        /* The verdict of each listed point as DCC conformity, when all have one. */
        struct sbuf cv = {0};
        bool all = true;
        for (size_t i = 0; i < d->n_points; i++) {
            if (!d->points[i].measured)
                continue;
            const struct verdict_words *vw = verdict_words(d->points[i].verdict);
            if (vw->dcc == NULL)
                all = false;
            else
                sb_add(&cv, vw->dcc);
        }
        if (cv.oom)
            w->oom = true;
        else if (all && cv.p != NULL) {
            xmlNodePtr md = el(w, el(w, eq, "measurementMetaData"), "metaData");
            attr(w, md, "refType", "basic_conformity");
            mlt(w, md, "declaration", N_("Conformity of each point"));
            tx(w, md, "conformityXMLList", cv.p);
        }
        free(cv.p);
        if (mpe)
            list_quantity(w, list, d, F_MPE, "caldaq_maximumPermissibleError",
                          N_("Maximum permissible error (±)"), false);
    }

    /* The verdict per point as text, every point, measured or not. */
    xmlNodePtr t = el(w, data, "text");
    mlt(w, t, "name", N_("Verdict per point"));
    for (size_t i = 0; i < d->n_points; i++) {
        const struct cert_point *p = &d->points[i];
        const struct verdict_words *vw = verdict_words(p->verdict);
        if (isfinite(p->nominal))
            cert_fmt(p->nominal, CERT_DEC_NONE, num, sizeof num);
        else
            snprintf(num, sizeof num, "?");
        const char *m = N_("Point %zu, nominal %s %s: %s");
        snprintf(en, sizeof en, m, i + 1, num, cert_nominal_unit(d), vw->en);
        char num_vi[64];
        snprintf(vi, sizeof vi, T(w, m), i + 1, vi_num(w, num, num_vi, sizeof num_vi),
                 cert_nominal_unit(d), T(w, vw->en));
        contents(w, t, en, vi);
    }
    side_results(w, res->parent, d);
    if (d->has_curve)
        curve_result(w, res->parent, d);
    if (n_measured < d->n_points) {
        t = el(w, data, "text");
        mlt(w, t, "name", N_("Points not measured"));
        for (size_t i = 0; i < d->n_points; i++) {
            const struct cert_point *p = &d->points[i];
            if (p->measured)
                continue;
            if (isfinite(p->nominal))
                cert_fmt(p->nominal, CERT_DEC_NONE, num, sizeof num);
            else
                snprintf(num, sizeof num, "?");
            const char *m = N_("Point %zu, nominal %s %s: not measured");
            snprintf(en, sizeof en, m, i + 1, num, cert_nominal_unit(d));
            char num_vi[64];
            snprintf(vi, sizeof vi, T(w, m), i + 1, vi_num(w, num, num_vi, sizeof num_vi),
                     cert_nominal_unit(d));
            contents(w, t, en, vi);
        }
    }
}

/* ------------------------------------------------------------ entry */

static int write_file(const char *path, xmlChar *buf, size_t len, struct cd_err *err)
{
    FILE *f = cert_file_create(path);
    if (f == NULL) {
        int e = errno;
        xmlFree(buf);
        return cd_fail(err, CD_ERR_IO, _("certificate XML: cannot create %s: %s"), path,
                       strerror(e));
    }
    size_t n = fwrite(buf, 1, len, f);
    int e = errno;
    xmlFree(buf);
    if (n != len) {
        fclose(f);
        remove(path);
        return cd_fail(err, CD_ERR_IO, _("certificate XML: cannot write %s: %s"), path,
                       strerror(e));
    }
    if (fclose(f) != 0) {
        e = errno;
        remove(path);
        return cd_fail(err, CD_ERR_IO, _("certificate XML: cannot write %s: %s"), path,
                       strerror(e));
    }
    return 0;
}

int cert_write_xml(const struct cert_doc *d, const char *langs, const char *path,
                   struct cd_err *err)
{
    if (d == NULL || langs == NULL || path == NULL)
        return cd_fail(err, CD_ERR_INVALID, _("certificate XML: missing argument"));
    struct xw w = {0};
    if (strcmp(langs, "vi+en") == 0) {
        w.langs[0] = LANG_VI;
        w.langs[1] = LANG_EN;
        w.n_langs = 2;
    } else if (strcmp(langs, "vi") == 0) {
        w.langs[0] = LANG_VI;
        w.n_langs = 1;
    } else if (strcmp(langs, "en") == 0) {
        w.langs[0] = LANG_EN;
        w.n_langs = 1;
    } else {
        return cd_fail(err, CD_ERR_INVALID,
                       _("certificate XML: languages \"%s\" (expected vi+en, vi or en)"), langs);
    }
    int rc = check_doc(d, err);
    if (rc != 0)
        return rc;
    struct cd_catalog *own = NULL;
    w.vi = d->vi;
    w.vi_sep = d->lab->decimal_sep_vi;
    if (w.vi == NULL && (w.langs[0] == LANG_VI || w.n_langs == 2)) {
        rc = cd_catalog_open("vi", &own, err);
        if (rc != 0)
            return rc;
        w.vi = own;
    }

    w.doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr root = w.doc != NULL
                          ? xmlNewNode(NULL, (const xmlChar *)"digitalCalibrationCertificate")
                          : NULL;
    if (root == NULL) {
        xmlFreeDoc(w.doc);
        cd_catalog_close(own);
        return cd_fail(err, CD_ERR_NOMEM, _("certificate XML: out of memory"));
    }
    xmlDocSetRootElement(w.doc, root);
    w.dcc = xmlNewNs(root, (const xmlChar *)DCC_NS, (const xmlChar *)"dcc");
    w.si = xmlNewNs(root, (const xmlChar *)SI_NS, (const xmlChar *)"si");
    if (w.dcc == NULL || w.si == NULL)
        w.oom = true;
    else
        xmlSetNs(root, w.dcc);
    attr(&w, root, "schemaVersion", "3.1.2");

    if (!w.oom) {
        xmlNodePtr adm = el(&w, root, "administrativeData");
        xmlNodePtr sw = el(&w, el(&w, adm, "dccSoftware"), "software");
        plain(&w, sw, "name", "caldaq");
        tx(&w, sw, "release", CALDAQ_XML_VERSION);
        tx(&w, sw, "type", "application");
        core_data(&w, adm, d);
        items(&w, adm, d);
        laboratory(&w, adm, d->lab);
        resp_persons(&w, adm, d);
        customer(&w, adm, d);
        statements(&w, adm, d);
        results(&w, root, d);
    }
    cd_catalog_close(own); /* the texts are in the document now */
    if (w.oom) {
        xmlFreeDoc(w.doc);
        return cd_fail(err, CD_ERR_NOMEM, _("certificate XML: out of memory"));
    }
    /* Serialised in memory and written here rather than with
     * xmlSaveFormatFileEnc: libxml2 reports a failed open or write on
     * stderr through its global error handler, and library code never
     * prints; this way the error comes back in `err` only. */
    xmlChar *buf = NULL;
    int len = 0;
    xmlDocDumpFormatMemoryEnc(w.doc, &buf, &len, "UTF-8", 1);
    xmlFreeDoc(w.doc);
    if (buf == NULL || len <= 0) {
        xmlFree(buf);
        return cd_fail(err, CD_ERR_NOMEM, _("certificate XML: cannot serialise the document"));
    }
    return write_file(path, buf, (size_t)len, err);
}
