/* make bench: certificates per second, PDF and DCC XML separately, for a
 * complete balance calibration (13 test points). Baseline in the same run:
 * the JSON certificate of the same document (the cost of the content
 * alone), so the PDF and XML figures read as multiples of it. Then whole
 * issues as `caldaq cert` and `caldaq reprocess --cert` make them
 * (cert_issue: the document built from the analysed run, PDF + XML + JSON,
 * each hashed and signed, the manifest signed) on one thread, against the
 * target of issue 21: at least 20 a second per core.
 *
 * usage: bench_cert RUN.h5 LAB.yaml [SECONDS]   (a complete run with results) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum kind { PDF, XML, JSON, ISSUE };

/* What a whole issue needs besides the document. */
struct issue_ctx {
    const struct ana_file *f;
    const struct cert_lab *lab;
    const struct cert_job *job;
};

static double rate(const struct cert_doc *d, const struct issue_ctx *ic, enum kind k,
                   const char *path, double seconds, long *n_out)
{
    struct cd_err err = {0};
    long n = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < seconds || n < 3) {
        int rc = 0;
        if (k == PDF)
            rc = cert_write_pdf(d, "vi+en", "bench", path, &err);
        else if (k == XML)
            rc = cert_write_xml(d, "vi+en", path, &err);
        else if (k == ISSUE)
            rc = cert_issue(ic->f, ic->lab, ic->job, path, "pdf,xml,json", "vi+en", true, NULL,
                            &err);
        else {
            json_t *j = cert_json(d);
            rc = json_dump_file(j, path, JSON_INDENT(2)) != 0;
            json_decref(j);
        }
        if (rc != 0) {
            fprintf(stderr, "bench_cert: %s\n", err.msg);
            exit(1);
        }
        n++;
        t = now_s();
    }
    *n_out = n;
    return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_cert RUN.h5 LAB.yaml [SECONDS]\n");
        return 2;
    }
    double seconds = argc > 3 ? atof(argv[3]) : 2.0;
    struct cd_err err = {0};
    struct cert_lab lab;
    struct ana_file f;
    struct ana_file_opts o = {0};
    struct cert_job job = {.customer = "Công ty TNHH Cân Việt", .number = "BENCH-0001"};
    struct cert_doc *d = NULL;
    if (cert_lab_load(argv[2], &lab, &err) != 0 || ana_file_run(argv[1], &o, &f, &err) != 0 ||
        cert_doc_build(argv[1], &f, &lab, &job, &d, &err) != 0) {
        fprintf(stderr, "bench_cert: %s\n", err.msg);
        return 1;
    }
    char dir[] = "/tmp/bench_cert.XXXXXX", pdf[64], xml[64], js[64], out[64];
    if (mkdtemp(dir) == NULL)
        return 1;
    snprintf(pdf, sizeof pdf, "%s/c.pdf", dir);
    snprintf(xml, sizeof xml, "%s/c.xml", dir);
    snprintf(js, sizeof js, "%s/c.json", dir);
    snprintf(out, sizeof out, "%s/issued", dir);
    struct issue_ctx ic = {&f, &lab, &job};
    long np, nx, nj, ni;
    double rj = rate(d, &ic, JSON, js, seconds, &nj);
    double rp = rate(d, &ic, PDF, pdf, seconds, &np);
    double rx = rate(d, &ic, XML, xml, seconds, &nx);
    double ri = rate(d, &ic, ISSUE, out, seconds, &ni);
    printf("certificates (%zu points, vi+en), each written to a file:\n", d->n_points);
    printf("  PDF  %8.1f per second (%ld in %.1f s)\n", rp, np, (double)np / rp);
    printf("  XML  %8.1f per second (%ld)\n", rx, nx);
    printf("  JSON %8.1f per second (%ld), the baseline: PDF costs %.1fx, XML %.1fx a JSON\n", rj,
           nj, rj / rp, rj / rx);
    printf("issuing (PDF + XML + JSON, hashes, signatures, manifest), 1 thread:\n");
    printf("  %8.1f per second (%ld): %.2fx the target of 20 per second per core; "
           "%.1fx the cost of the JSON alone\n",
           ri, ni, ri / 20.0, rj / ri);
    printf("BENCH cert_pdf_per_s=%.2f\nBENCH cert_xml_per_s=%.2f\nBENCH cert_json_per_s=%.2f\n",
           rp, rx, rj);
    printf("BENCH cert_issue_per_s=%.2f\nBENCH cert_issue_over_target=%.3f\n", ri, ri / 20.0);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    unlink(pdf);
    unlink(xml);
    unlink(js);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_cert: could not remove %s\n", dir);
    cert_doc_free(d);
    ana_file_free(&f);
    cert_pdf_cleanup();
    return 0;
}
