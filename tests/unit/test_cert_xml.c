/* The DCC XML certificate (daq/cert/cert_xml.c): docs built by hand for three
 * families (a balance in g with a failing point, a pressure gauge in bar
 * with humidity not measured, a DMM in V with a point not measured), each
 * written in vi+en, vi and en and validated against the pinned DCC 3.1.2 /
 * D-SI 2.1.0 schema offline; then values read back with XPath; then broken
 * docs refused with an error and no file.
 *
 * The same check by hand, from the project root:
 *   XML_CATALOG_FILES=../shared/reference/dcc/catalog.xml \
 *     xmllint --nonet --noout --schema ../shared/reference/dcc/dcc.xsd FILE.xml */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_support.h"

#include <libxml/catalog.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "cert.h"

static const char *const LANGS[] = {"vi+en", "vi", "en"};
static const char CUSTOMER_VI[] = "Công ty TNHH Cân Việt";

struct fixture {
    char dir[256];
    xmlSchemaPtr schema;
};

static struct fixture fx;

static int group_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(fx.dir, sizeof fx.dir, "%s/test_cert_xml.XXXXXX", tmp != NULL ? tmp : "/tmp");
    if (mkdtemp(fx.dir) == NULL)
        return -1;
    xmlInitParser();
    /* Offline: the catalog maps the D-SI import to the local copy, and
     * the no-net loader refuses anything that would still go to the net. */
    if (xmlLoadCatalog(REFERENCE_DIR "/dcc/catalog.xml") != 0)
        return -1;
    xmlSetExternalEntityLoader(xmlNoNetExternalEntityLoader);
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(REFERENCE_DIR "/dcc/dcc.xsd");
    if (pc == NULL)
        return -1;
    fx.schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    return fx.schema != NULL ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    xmlSchemaFree(fx.schema);
    xmlCatalogCleanup();
    xmlCleanupParser();
    rmdir(fx.dir);
    return 0;
}

/* ------------------------------------------------------------ docs */

static void set_lab(struct cert_lab *lab)
{
    memset(lab, 0, sizeof *lab);
    snprintf(lab->name_en, sizeof lab->name_en, "Example Calibration Laboratory");
    snprintf(lab->name_vi, sizeof lab->name_vi, "Phòng Hiệu chuẩn Ví dụ");
    snprintf(lab->address, sizeof lab->address, "12 Đường Láng, Đống Đa");
    snprintf(lab->city, sizeof lab->city, "Hà Nội");
    snprintf(lab->country, sizeof lab->country, "VN");
    snprintf(lab->email, sizeof lab->email, "lab@example.vn");
    snprintf(lab->phone, sizeof lab->phone, "+84 24 0000 0000");
    snprintf(lab->accreditation, sizeof lab->accreditation, "VILAS 1234");
    snprintf(lab->traceability_en, sizeof lab->traceability_en,
             "Traceable to the SI through national standards <NMI> & accredited labs.");
    snprintf(lab->traceability_vi, sizeof lab->traceability_vi,
             "Liên kết chuẩn đến SI qua chuẩn quốc gia.");
    lab->n_signatories = 1;
    snprintf(lab->signatories[0].name, sizeof lab->signatories[0].name, "Nguyễn Văn An");
}

struct built {
    struct cert_doc d;
    struct cert_point pts[5];
    struct cert_standard st[2];
};

static void base_doc(struct built *b, const struct cert_lab *lab)
{
    memset(b, 0, sizeof *b);
    struct cert_doc *d = &b->d;
    d->lab = lab;
    snprintf(d->number, sizeof d->number, "VCL-2025-0042");
    snprintf(d->issued, sizeof d->issued, "2025-03-04");
    snprintf(d->calibrated, sizeof d->calibrated, "2025-03-03");
    snprintf(d->received, sizeof d->received, "2025-02-28");
    snprintf(d->customer, sizeof d->customer, "%s", CUSTOMER_VI);
    snprintf(d->customer_address, sizeof d->customer_address, "5 Phố Huế, Hà Nội");
    snprintf(d->place, sizeof d->place, "laboratory");
    snprintf(d->signatory, sizeof d->signatory, "Nguyễn Văn An");
    snprintf(d->signatory_title_en, sizeof d->signatory_title_en, "Technical manager");
    snprintf(d->signatory_title_vi, sizeof d->signatory_title_vi, "Trưởng phòng kỹ thuật");
    snprintf(d->decision_rule, sizeof d->decision_rule, "simple");
    d->guard_r = NAN;
    d->temp_c = 21.3;
    d->rh_pct = 48.5;
    d->p_hpa = NAN;
    d->points = b->pts;
    d->standards = b->st;
    d->worst_nominal = NAN;
}

static void point(struct cert_point *p, double nominal, double reference, double mean,
                  double U, double k, double p_cov, double mpe, const char *verdict)
{
    p->nominal = nominal;
    p->reference = reference;
    p->mean = mean;
    p->error = mean - reference;
    p->U = U;
    p->k = k;
    p->p = p_cov;
    p->mpe = mpe;
    p->measured = true;
    snprintf(p->verdict, sizeof p->verdict, "%s", verdict);
}

static void not_measured(struct cert_point *p, double nominal)
{
    memset(p, 0, sizeof *p);
    p->nominal = nominal;
    p->reference = p->mean = p->error = p->U = p->k = p->p = p->mpe = NAN;
    p->measured = false;
    snprintf(p->verdict, sizeof p->verdict, "not measured");
}

/* A balance in g, class III: one failing point; awkward doubles for U. */
static void balance_doc(struct built *b, const struct cert_lab *lab)
{
    base_doc(b, lab);
    struct cert_doc *d = &b->d;
    snprintf(d->item_manufacturer, sizeof d->item_manufacturer, "Ohaus");
    snprintf(d->item_model, sizeof d->item_model, "PX3202");
    snprintf(d->item_serial, sizeof d->item_serial, "B123456789");
    snprintf(d->item_serial_stated, sizeof d->item_serial_stated, "KH-07");
    snprintf(d->title_en, sizeof d->title_en, "Non-automatic weighing instrument");
    snprintf(d->title_vi, sizeof d->title_vi, "Cân không tự động");
    snprintf(d->method, sizeof d->method, "Comparison with standard weights");
    snprintf(d->national_document, sizeof d->national_document, "ĐLVN 16:2009");
    snprintf(d->unit, sizeof d->unit, "g");
    snprintf(d->verdict, sizeof d->verdict, "fail");
    point(&b->pts[0], 100, 100.00001, 100.01, 0.1 + 0.2, 2, NAN, 0.1, "pass");
    point(&b->pts[1], 1000, 999.99998, 1000.3, 1.0 / 3.0, 2, NAN, 0.2, "fail");
    point(&b->pts[2], 3000, 3000.00004, 3000.0, 2.5e-7, 2, NAN, 0.2, "pass");
    d->n_points = 3;
    snprintf(b->st[0].id, sizeof b->st[0].id, "W-F1-1KG");
    snprintf(b->st[0].certificate, sizeof b->st[0].certificate, "VMI-2024-1234");
    snprintf(b->st[0].due, sizeof b->st[0].due, "2026-01-31");
    snprintf(b->st[0].role, sizeof b->st[0].role, "reference");
    d->n_standards = 1;
}

/* A pressure gauge in bar, guard band, humidity not measured, p stated. */
static void pressure_doc(struct built *b, const struct cert_lab *lab)
{
    base_doc(b, lab);
    struct cert_doc *d = &b->d;
    snprintf(d->item_manufacturer, sizeof d->item_manufacturer, "WIKA");
    snprintf(d->item_model, sizeof d->item_model, "CPG1500");
    snprintf(d->item_serial, sizeof d->item_serial, "P-998");
    snprintf(d->item_firmware, sizeof d->item_firmware, "2.1.4");
    snprintf(d->title_en, sizeof d->title_en, "Digital pressure gauge");
    snprintf(d->title_vi, sizeof d->title_vi, "Áp kế hiện số");
    snprintf(d->method, sizeof d->method, "DKD-R 6-1 sequence B");
    snprintf(d->unit, sizeof d->unit, "bar");
    snprintf(d->place, sizeof d->place, "customer");
    d->received[0] = '\0';
    d->customer_address[0] = '\0';
    snprintf(d->decision_rule, sizeof d->decision_rule, "guard-band");
    d->guard_r = 1;
    d->rh_pct = NAN;
    d->p_hpa = 1012.5;
    snprintf(d->verdict, sizeof d->verdict, "pass");
    point(&b->pts[0], 0, 0.0, -0.0, 0.0004, 2, 0.9545, 0.002, "pass");
    point(&b->pts[1], 10, 10.0003, 10.0011, 0.00123, 2.1, 0.955, 0.005, "pass");
    point(&b->pts[2], 20, 19.99991, 20.0004, 0.0021, 2, 0.9545, 0.01, "pass");
    d->n_points = 3;
    snprintf(b->st[0].id, sizeof b->st[0].id, "PDB-01");
    snprintf(b->st[0].certificate, sizeof b->st[0].certificate, "PTB 7.1-2024-55");
    snprintf(b->st[1].id, sizeof b->st[1].id, "THERMO-3");
    d->n_standards = 2;
}

/* A DMM in V, non-binary rule, one point not measured, no customer serial. */
static void dmm_doc(struct built *b, const struct cert_lab *lab)
{
    base_doc(b, lab);
    struct cert_doc *d = &b->d;
    snprintf(d->item_manufacturer, sizeof d->item_manufacturer, "Keysight");
    snprintf(d->item_model, sizeof d->item_model, "34465A");
    snprintf(d->item_serial, sizeof d->item_serial, "MY6000123");
    snprintf(d->title_en, sizeof d->title_en, "Digital multimeter, DC voltage");
    snprintf(d->title_vi, sizeof d->title_vi, "Đồng hồ vạn năng hiện số, điện áp một chiều");
    snprintf(d->unit, sizeof d->unit, "V");
    snprintf(d->decision_rule, sizeof d->decision_rule, "non-binary");
    snprintf(d->verdict, sizeof d->verdict, "incomplete");
    point(&b->pts[0], 0.1, 0.1000002, 0.10000035, 1.7e-6, 2, NAN, 4.5e-6, "conditional pass");
    not_measured(&b->pts[1], 1);
    point(&b->pts[2], 10, 10.000001, 9.99998, 3.1e-5, 2, NAN, 4.0e-4, "pass");
    point(&b->pts[3], -10, -10.000002, -10.00003, 3.2e-5, 2.0, NAN, 4.0e-4, "pass");
    d->n_points = 4;
    d->n_standards = 0;
}

/* ------------------------------------------------------------ helpers */

static void path_for(char *buf, size_t size, const char *name, const char *langs)
{
    snprintf(buf, size, "%s/%s-%s.xml", fx.dir, name, langs);
}

static xmlDocPtr read_valid(const char *path)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(fx.schema);
    assert_non_null(vc);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    if (rc != 0)
        fail_msg("%s does not validate against DCC 3.1.2 (rc %d)", path, rc);
    return doc;
}

/* The string value of an XPath expression (caller frees). */
static char *xpath_string(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    assert_non_null(ctx);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"dcc", (const xmlChar *)"https://ptb.de/dcc");
    xmlXPathRegisterNs(ctx, (const xmlChar *)"si", (const xmlChar *)"https://ptb.de/si");
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    assert_non_null(o);
    xmlChar *s = xmlXPathCastToString(o);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    assert_non_null(s);
    char *out = strdup((const char *)s);
    xmlFree(s);
    return out;
}

static void assert_xpath(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath_string(doc, expr);
    if (strcmp(got, want) != 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s: got \"%s\", want \"%s\"", expr, got, want);
        free(got);
        fail_msg("%s", msg);
    }
    free(got);
}

#define ERR_Q "//dcc:quantity[@refType='basic_measurementError']/si:realListXMLList"

/* The listed values read back exactly (each token strtod()s to the doc's
 * double), measured points only, in order. */
static void assert_list(xmlDocPtr doc, const char *expr, const struct cert_doc *d,
                        size_t offset)
{
    char *s = xpath_string(doc, expr);
    char *p = s;
    size_t n = 0;
    for (size_t i = 0; i < d->n_points; i++) {
        if (!d->points[i].measured)
            continue;
        char *end;
        double v = strtod(p, &end);
        assert_true(end != p);
        double want = *(const double *)((const char *)&d->points[i] + offset);
        if (v != want)
            fail_msg("%s: point %zu reads %.17g, the doc has %.17g", expr, i + 1, v, want);
        p = end;
        n++;
    }
    while (*p == ' ')
        p++;
    assert_string_equal(p, "");
    assert_true(n > 0);
    free(s);
}

static void write_and_check(const struct cert_doc *d, const char *name,
                            void (*extra)(xmlDocPtr, const char *langs))
{
    for (size_t l = 0; l < sizeof LANGS / sizeof LANGS[0]; l++) {
        char path[512];
        path_for(path, sizeof path, name, LANGS[l]);
        struct cd_err err = {0};
        int rc = cert_write_xml(d, LANGS[l], path, &err);
        if (rc != 0)
            fail_msg("cert_write_xml(%s, %s): %s", name, LANGS[l], err.msg);
        xmlDocPtr doc = read_valid(path);

        assert_xpath(doc, "/dcc:digitalCalibrationCertificate/@schemaVersion", "3.1.2");
        assert_xpath(doc, "//dcc:coreData/dcc:uniqueIdentifier", d->number);
        assert_xpath(doc, "//dcc:coreData/dcc:mandatoryLangCodeISO639_1",
                     strcmp(LANGS[l], "en") == 0 ? "en" : "vi");
        assert_xpath(doc, "count(//dcc:coreData/dcc:usedLangCodeISO639_1)",
                     strcmp(LANGS[l], "vi+en") == 0 ? "2" : "1");
        assert_xpath(doc, "//dcc:coreData/dcc:countryCodeISO3166_1", "VN");
        assert_xpath(doc, "//dcc:customer/dcc:name/dcc:content", CUSTOMER_VI);
        assert_xpath(doc, "//dcc:respPerson/dcc:person/dcc:name/dcc:content", "Nguyễn Văn An");
        assert_xpath(doc, "//dcc:coreData/dcc:beginPerformanceDate", d->calibrated);
        assert_xpath(doc, "//dcc:coreData/dcc:performanceLocation", d->place);
        assert_xpath(doc, "count(//dcc:coreData/dcc:receiptDate)",
                     d->received[0] != '\0' ? "1" : "0");
        /* U and the error as reported (issue 15 section 5: U to two
         * significant digits, the error to U's decimal place; the figures
         * are in each doc's *_extra), the nominal values as given */
        assert_list(doc, "//dcc:quantity[@refType='basic_nominalValue']/si:realListXMLList"
                         "/si:valueXMLList", d, offsetof(struct cert_point, nominal));
        /* Only the languages asked for. */
        if (strcmp(LANGS[l], "en") == 0)
            assert_xpath(doc, "count(//dcc:content[@lang='vi'])", "0");
        if (strcmp(LANGS[l], "vi") == 0)
            assert_xpath(doc, "count(//dcc:content[@lang='en'])", "0");
        if (extra != NULL)
            extra(doc, LANGS[l]);
        xmlFreeDoc(doc);
        unlink(path);
    }
}

/* ------------------------------------------------------------ tests */

/* The reported figures of the three docs, rounded by hand (python3's
 * "%.*f" as a calculator; GUM 7.2.6: U to two significant digits, the
 * error to the same decimal place). Issue 15 section 5 changed them: the
 * XML carried each double in full (U "0.30000000000000004", error
 * "0.009990000000001942") and k without decimals ("2"); the PDF, the XML
 * and the JSON now carry the same digits.
 *   balance:  U 0.1 + 0.2 -> 0.30 (2 decimals), 1/3 -> 0.33, 2.5e-7 ->
 *             0.00000025 (8 decimals); errors 100.01 - 100.00001 = 0.00999
 *             -> 0.01, 1000.3 - 999.99998 = 0.30002 -> 0.30, 3000.0 -
 *             3000.00004 = -0.00004 -> -0.00004000
 *   pressure: U 0.0004 -> 0.00040, 0.00123 -> 0.0012, 0.0021; errors -0 ->
 *             0.00000 (no "-0"), 0.0008, 0.00049 -> 0.0005; k 2, 2.1, 2 ->
 *             2.00 2.10 2.00 (two decimals, as the PDF prints k)
 *   dmm:      U 1.7e-6 -> 0.0000017, 3.1e-5 -> 0.000031, 3.2e-5; errors
 *             1.5e-7 -> 0.0000002, -0.000021, -0.000028 */
static void balance_extra(xmlDocPtr doc, const char *langs)
{
    assert_xpath(doc, ERR_Q "/si:unitXMLList", "\\gram");
    assert_xpath(doc, ERR_Q "/si:expandedUncXMLList/si:uncertaintyXMLList",
                 "0.30 0.33 0.00000025");
    assert_xpath(doc, ERR_Q "/si:valueXMLList", "0.01 0.30 -0.00004000");
    assert_xpath(doc, ERR_Q "/si:expandedUncXMLList/si:coverageFactorXMLList",
                 "2.00 2.00 2.00");
    /* k fixed at 2, p not given: the normal-distribution 0.9545 */
    assert_xpath(doc, ERR_Q "/si:expandedUncXMLList/si:coverageProbabilityXMLList",
                 "0.9545 0.9545 0.9545");
    assert_xpath(doc, "//dcc:quantity[@refType='basic_measurementError']/dcc:measurementMetaData"
                      "/dcc:metaData/dcc:conformityXMLList", "pass fail pass");
    assert_xpath(doc, "//dcc:statement[@refType='basic_conformity']/dcc:conformity", "fail");
    assert_xpath(doc, "//dcc:item/dcc:identifications/dcc:identification"
                      "[dcc:issuer='customer']/dcc:value", "KH-07");
    assert_xpath(doc, "//dcc:item/dcc:identifications/dcc:identification"
                      "[dcc:issuer='manufacturer']/dcc:value", "B123456789");
    assert_xpath(doc, "//dcc:measuringEquipment/dcc:identifications/dcc:identification"
                      "[dcc:issuer='other']/dcc:value", "VMI-2024-1234");
    if (strcmp(langs, "en") != 0)
        assert_xpath(doc, "//dcc:item/dcc:name/dcc:content[@lang='vi']", "Cân không tự động");
    if (strcmp(langs, "vi") != 0)
        assert_xpath(doc, "//dcc:influenceCondition[@refType='basic_temperature']//si:value",
                     "21.3");
}

static void test_balance(void **state)
{
    (void)state;
    struct cert_lab lab;
    struct built b;
    set_lab(&lab);
    balance_doc(&b, &lab);
    write_and_check(&b.d, "balance", balance_extra);
}

static void pressure_extra(xmlDocPtr doc, const char *langs)
{
    assert_xpath(doc, ERR_Q "/si:unitXMLList", "\\bar");
    assert_xpath(doc, ERR_Q "/si:expandedUncXMLList/si:uncertaintyXMLList",
                 "0.00040 0.0012 0.0021");
    assert_xpath(doc, ERR_Q "/si:valueXMLList", "0.00000 0.0008 0.0005");
    assert_xpath(doc, ERR_Q "/si:expandedUncXMLList/si:coverageFactorXMLList",
                 "2.00 2.10 2.00");
    assert_xpath(doc, ERR_Q "/si:expandedUncXMLList/si:coverageProbabilityXMLList",
                 "0.9545 0.955 0.9545");
    assert_xpath(doc, "//dcc:influenceCondition[@refType='basic_humidityRelative']"
                      "/dcc:data/dcc:quantity", "");
    if (strcmp(langs, "vi") != 0)
        assert_xpath(doc, "//dcc:influenceCondition[@refType='basic_humidityRelative']"
                          "/dcc:data/dcc:text/dcc:content[@lang='en']", "not measured");
    if (strcmp(langs, "en") != 0)
        assert_xpath(doc, "//dcc:influenceCondition[@refType='basic_humidityRelative']"
                          "/dcc:data/dcc:text/dcc:content[@lang='vi']", "không đo");
    assert_xpath(doc, "//dcc:item/dcc:installedSoftwares/dcc:software/dcc:release", "2.1.4");
    assert_xpath(doc, "count(//dcc:item//dcc:identification)", "1");
    assert_xpath(doc, "//dcc:calibrationLaboratory/dcc:calibrationLaboratoryCode", "VILAS 1234");
}

static void test_pressure(void **state)
{
    (void)state;
    struct cert_lab lab;
    struct built b;
    set_lab(&lab);
    pressure_doc(&b, &lab);
    write_and_check(&b.d, "pressure", pressure_extra);
}

static void dmm_extra(xmlDocPtr doc, const char *langs)
{
    assert_xpath(doc, ERR_Q "/si:unitXMLList", "\\volt");
    assert_xpath(doc, ERR_Q "/si:expandedUncXMLList/si:uncertaintyXMLList",
                 "0.0000017 0.000031 0.000032");
    assert_xpath(doc, ERR_Q "/si:valueXMLList", "0.0000002 -0.000021 -0.000028");
    /* three measured points of four */
    assert_xpath(doc, "//dcc:quantity[@refType='basic_nominalValue']/si:realListXMLList"
                      "/si:valueXMLList", "0.1 10 -10");
    assert_xpath(doc, "//dcc:quantity[@refType='basic_measurementError']/dcc:measurementMetaData"
                      "/dcc:metaData/dcc:conformityXMLList", "conditionalPass pass pass");
    assert_xpath(doc, "count(//dcc:statement[@refType='basic_conformity']/dcc:conformity)", "0");
    assert_xpath(doc, "count(//dcc:measuringEquipments)", "0");
    if (strcmp(langs, "vi") != 0)
        assert_xpath(doc, "//dcc:result/dcc:data/dcc:text[2]/dcc:content[@lang='en']",
                     "Point 2, nominal 1 V: not measured");
}

static void test_dmm(void **state)
{
    (void)state;
    struct cert_lab lab;
    struct built b;
    set_lab(&lab);
    dmm_doc(&b, &lab);
    write_and_check(&b.d, "dmm", dmm_extra);
}

/* A refused doc gives an error with a message, and no file. */
static void assert_refused(const struct cert_doc *d, const char *langs, int code)
{
    char path[512];
    path_for(path, sizeof path, "broken", langs);
    unlink(path);
    struct cd_err err = {0};
    int rc = cert_write_xml(d, langs, path, &err);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_true(err.msg[0] != '\0');
    assert_int_equal(access(path, F_OK), -1);
}

static void test_broken(void **state)
{
    (void)state;
    struct cert_lab lab;
    struct built b;
    set_lab(&lab);

    balance_doc(&b, &lab);
    b.pts[1].error = NAN;           /* a measured point with no error */
    assert_refused(&b.d, "vi+en", CD_ERR_NUMERIC);

    balance_doc(&b, &lab);
    b.pts[0].U = INFINITY;
    assert_refused(&b.d, "en", CD_ERR_NUMERIC);

    balance_doc(&b, &lab);
    b.pts[2].k = 0.5;               /* si:kValueType needs k >= 1 */
    assert_refused(&b.d, "en", CD_ERR_INVALID);

    balance_doc(&b, &lab);
    assert_refused(&b.d, "fr", CD_ERR_INVALID);

    balance_doc(&b, &lab);
    snprintf(b.d.unit, sizeof b.d.unit, "lb");
    assert_refused(&b.d, "en", CD_ERR_UNSUPPORTED);

    balance_doc(&b, &lab);
    snprintf(b.d.calibrated, sizeof b.d.calibrated, "2025-02-30");
    assert_refused(&b.d, "vi", CD_ERR_INVALID);

    balance_doc(&b, &lab);
    snprintf(b.d.customer, sizeof b.d.customer, "C\xc3\x28ng ty");   /* bad UTF-8 */
    assert_refused(&b.d, "vi", CD_ERR_INVALID);

    balance_doc(&b, &lab);
    b.d.n_points = 0;
    assert_refused(&b.d, "vi", CD_ERR_INVALID);

    /* Not measured points may carry NANs: that one is fine. */
    dmm_doc(&b, &lab);
    char path[512];
    path_for(path, sizeof path, "dmm-nan", "en");
    struct cd_err err = {0};
    assert_int_equal(cert_write_xml(&b.d, "en", path, &err), 0);
    xmlFreeDoc(read_valid(path));
    unlink(path);

    /* An unwritable path is an I/O error. */
    balance_doc(&b, &lab);
    err = (struct cd_err){0};
    snprintf(path, sizeof path, "%s/no/such/dir/x.xml", fx.dir);
    assert_int_equal(cert_write_xml(&b.d, "en", path, &err), CD_ERR_IO);
}

static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

/* The validator is not a rubber stamp: PTB's example passes, and the
 * written balance certificate with "nan" in a value list fails. */
static void test_validator_rejects(void **state)
{
    (void)state;
    xmlFreeDoc(read_valid(REFERENCE_DIR "/dcc/dcc_gp_humidity_v1.0.xml"));

    struct cert_lab lab;
    struct built b;
    set_lab(&lab);
    balance_doc(&b, &lab);
    char path[512];
    path_for(path, sizeof path, "control", "en");
    struct cd_err err = {0};
    assert_int_equal(cert_write_xml(&b.d, "en", path, &err), 0);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    unlink(path);
    text[n] = '\0';
    char *v = strstr(text, "<si:valueXMLList>100 1000 3000<");
    assert_non_null(v);
    memcpy(v + strlen("<si:valueXMLList>"), "nan", 3);

    xmlDocPtr doc = xmlReadMemory(text, (int)n, "control.xml", NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(fx.schema);
    assert_non_null(vc);
    xmlSchemaSetValidErrors(vc, quiet, quiet, NULL);
    assert_int_not_equal(xmlSchemaValidateDoc(vc, doc), 0);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(doc);
}

int main(void)
{
    use_build_locale();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_balance),
        cmocka_unit_test(test_pressure),
        cmocka_unit_test(test_dmm),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_validator_rejects),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
