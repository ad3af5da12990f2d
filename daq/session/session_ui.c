/* The two faces of a session (session.h): the technician's terminal,
 * with prompts, a live reading and a stability indicator; and batch mode
 * for CI and scripted labs, one line per point and no questions. */
#include "session.h"
#include "cd_i18n.h"

#include "cd_i18n.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* One line from the technician. Read from the descriptor a byte at a
 * time, waiting in slices of 0.2 s: a Ctrl-C that lands after the prompt
 * is shown but before the wait begins would otherwise leave a blocking
 * read waiting for a key (the handler only sets a flag), so the flag is
 * looked at between slices. Nothing else reads t->in through stdio, so
 * no line can hide in a FILE buffer. A line longer than `cap` is cut and
 * the rest of it dropped. */
static enum ses_action read_choice(struct ses_term *t, char *line, size_t cap)
{
    fflush(t->out);
    int fd = fileno(t->in);
    size_t n = 0;
    for (;;) {
        if (t->interrupted != NULL && *t->interrupted)
            return SES_ABORT;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ready = poll(&p, 1, 200);
        if (ready < 0 && errno != EINTR)
            return SES_ABORT;
        if (ready <= 0)
            continue;
        char ch;
        ssize_t got = read(fd, &ch, 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || (got == 0 && n == 0))
            return SES_ABORT; /* an error, or the end of the input */
        if (got == 0 || ch == '\n')
            break;
        if (n + 1 < cap)
            line[n++] = ch;
    }
    line[n] = '\0';
    line[strcspn(line, "\r")] = '\0';
    return SES_GO;
}

/* A one-letter key typed with Caps Lock or Shift is the same key; blanks
 * around it are the keyboard's. */
static void key_fold(char *line)
{
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
        line[--n] = '\0';
    size_t lead = strspn(line, " \t");
    memmove(line, line + lead, n - lead + 1);
    if (line[0] != '\0' && line[1] == '\0')
        line[0] = (char)tolower((unsigned char)line[0]);
}

static enum ses_action term_before(void *ctx, const struct prof_profile *p,
                                   const struct prof_plan_point *pt, unsigned remaining)
{
    struct ses_term *t = ctx;
    char text[512], line[256];
    ses_instruction(t->lang, ses_vi_sep(t->vi_decimal_point), p, pt, pt->repeat - remaining + 1, text, sizeof text);
    fprintf(t->out, msg_text(t->lang, M_POINT), pt->index + 1, p->n_points);
    for (;;) {
        fprintf(t->out, "%s%s%s", text, msg_text(t->lang, M_BEFORE_KEYS),
                msg_text(t->lang, M_ENTER_WHEN_READY));
        if (read_choice(t, line, sizeof line) == SES_ABORT)
            return SES_ABORT;
        key_fold(line);
        if (strcmp(line, "a") == 0 || strcmp(line, "q") == 0)
            return SES_ABORT;
        if (strcmp(line, "s") == 0)
            return SES_SKIP; /* said once it is in the journal (term_recorded) */
        if (line[0] == '\0')
            return SES_GO;
        /* anything else is a slip of the finger: never taken for Enter */
        fprintf(t->out, msg_text(t->lang, M_UNKNOWN_BEFORE), line);
    }
}

static void term_reading(void *ctx, const struct prof_profile *p, const struct drv_reading *r,
                         bool counted)
{
    struct ses_term *t = ctx;
    char shown[sizeof r->display + 2];
    snprintf(shown, sizeof shown, "%s", r->display[0] ? r->display : "?");
    if (t->lang == LANG_VI)
        cd_decimal_sep(shown, ses_vi_sep(t->vi_decimal_point)); /* 100,001 g (docs/i18n.md) */
    char line[sizeof shown + 256];
    snprintf(line, sizeof line, msg_text(t->lang, counted ? M_READING_STABLE : M_READING_UNSTABLE),
             shown, r->unit[0] ? r->unit : p->unit);
    /* The live line is written over itself (\r): a text shorter than the
     * one before ("ổn định" after "~ đang ổn định" with a shorter number)
     * would leave that one's end on the screen, so it is padded to it. */
    size_t len = strlen(line);
    bool ends = len > 0 && line[len - 1] == '\n';
    if (ends)
        line[--len] = '\0';
    int width = 0;
    for (const unsigned char *c = (const unsigned char *)line; *c; c++)
        width += (*c & 0xC0) != 0x80 && *c != '\r';
    fputs(line, t->out);
    if (t->live_width > width)
        fprintf(t->out, "%*s", t->live_width - width, "");
    if (ends)
        fputc('\n', t->out);
    t->live_width = ends ? 0 : width;
    fflush(t->out);
}

static enum ses_action term_after(void *ctx, const struct prof_profile *p,
                                  const struct prof_plan_point *pt, size_t saved,
                                  const char *run_path, char *note, size_t cap)
{
    (void)p;
    (void)pt;
    struct ses_term *t = ctx;
    if (!t->noted)
        fprintf(t->out, msg_text(t->lang, M_POINT_SAVED), saved, run_path);
    t->noted = false;
    char line[512];
    for (;;) {
        fputs(msg_text(t->lang, M_AFTER_POINT), t->out);
        if (read_choice(t, line, sizeof line) == SES_ABORT)
            return SES_GO; /* input ended: the next prompt stops the session */
        key_fold(line);
        if (strcmp(line, "a") == 0 || strcmp(line, "q") == 0)
            return SES_ABORT;
        if (strcmp(line, "r") == 0) {
            fputs(msg_text(t->lang, M_REPEATING), t->out);
            return SES_REPEAT;
        }
        if (line[0] == '\0')
            return SES_GO;
        if (strcmp(line, "n") != 0) {
            fprintf(t->out, msg_text(t->lang, M_UNKNOWN_AFTER), line);
            continue; /* an unknown key is asked again, never taken for Enter */
        }
        fputs(msg_text(t->lang, M_NOTE_PROMPT), t->out);
        if (read_choice(t, line, sizeof line) == SES_ABORT)
            return SES_GO;
        if (line[0] == '\0')
            continue; /* nothing to save: the menu again */
        /* The engine journals it and says "saved" (term_recorded), then
         * asks again. */
        snprintf(note, cap, "%s", line);
        t->noted = true;
        return SES_NOTE;
    }
}

static void term_recorded(void *ctx, enum ses_record what)
{
    struct ses_term *t = ctx;
    if (what == SES_REC_TYPED || what == SES_REC_CHECK) {
        /* the engine journalled it: now the screen may say so */
        fprintf(t->out, msg_text(t->lang, M_CHECK_SAVED), t->last_typed);
    } else if (what == SES_REC_SKIPPED) {
        fputs(msg_text(t->lang, M_SKIPPED), t->out);
    } else {
        fputs(msg_text(t->lang, M_NOTE_SAVED), t->out);
        if (what == SES_REC_NOTE_CUT)
            fprintf(t->out, msg_text(t->lang, M_NOTE_CUT), (size_t)SES_NOTE_MAX);
    }
    fflush(t->out);
}

static enum ses_action term_ask_typed(void *ctx, const struct prof_profile *p,
                                      const struct prof_plan_point *pt, const char *what,
                                      const char *why, char *text, size_t cap)
{
    struct ses_term *t = ctx;
    if (why != NULL)
        fprintf(t->out, msg_text(t->lang, M_TYPED_REFUSED), why);
    char nominal[48];
    snprintf(nominal, sizeof nominal, "%.10g", pt->nominal);
    fprintf(t->out, msg_text(t->lang, M_ASK_TYPED), what, nominal, p->unit);
    if (read_choice(t, text, cap) == SES_ABORT)
        return SES_ABORT;
    snprintf(t->last_typed, sizeof t->last_typed, "%s %s", text, p->unit);
    return SES_GO;
}

static bool term_confirm_typed(void *ctx, const char *why)
{
    struct ses_term *t = ctx;
    char line[64];
    fprintf(t->out, "  %s\n%s", why, msg_text(t->lang, M_TYPED_CONFIRM));
    if (read_choice(t, line, sizeof line) == SES_ABORT)
        return false;
    return strcmp(line, "y") == 0 || strcmp(line, "c") == 0 || strcmp(line, "có") == 0 ||
           strcmp(line, "yes") == 0;
}

static enum ses_action term_ask_check(void *ctx, const struct prof_check *c, const char *why,
                                      char *text, size_t cap)
{
    struct ses_term *t = ctx;
    if (why != NULL)
        fprintf(t->out, msg_text(t->lang, M_TYPED_REFUSED), why);
    fprintf(t->out, msg_text(t->lang, M_ASK_CHECK), t->lang == LANG_VI ? c->text_vi : c->text_en);
    if (read_choice(t, text, cap) == SES_ABORT)
        return SES_ABORT;
    int a = ses_check_answer(text);
    snprintf(t->last_typed, sizeof t->last_typed, "%s",
             msg_text(t->lang, a == 1 ? M_PASS : M_FAIL));
    return SES_GO;
}

/* Batch: the next line of the --typed file that is not blank or a
 * comment, split at its first comma; its line number kept for messages. */
static int typed_next(struct ses_term *t, char *key, size_t kcap, char *value, size_t vcap)
{
    char line[512];
    for (;;) {
        if (t->typed == NULL || fgets(line, sizeof line, t->typed) == NULL)
            return -1;
        t->typed_line++;
        int got = ses_typed_line(line, key, kcap, value, vcap, &t->typed_confirm);
        if (got > 0)
            return 0;
        if (got < 0)
            /* said, then taken as a wrong entry: the next line answers */
            fprintf(t->out, _("%s:%d: not NOMINAL,VALUE nor CHECK-ID,ANSWER: ignored\n"),
                    t->typed_path, t->typed_line);
    }
}

static enum ses_action batch_ask_typed(void *ctx, const struct prof_profile *p,
                                       const struct prof_plan_point *pt, const char *what,
                                       const char *why, char *text, size_t cap)
{
    struct ses_term *t = ctx;
    (void)what;
    if (why != NULL)
        fprintf(t->out, "%s:%d: %s\n", t->typed_path, t->typed_line, why);
    char key[64], value[256];
    if (typed_next(t, key, sizeof key, value, sizeof value) != 0) {
        fprintf(t->out, _("%s: no reading for point %zu (%.10g %s): the file ends\n"),
                t->typed_path != NULL ? t->typed_path : "--typed", pt->index + 1, pt->nominal,
                p->unit);
        return SES_ABORT;
    }
    char *end = NULL;
    double nominal = strtod(key, &end);
    if (end == key || *end != '\0' || fabs(nominal - pt->nominal) > 1e-9 * fmax(1, fabs(nominal))) {
        fprintf(t->out, _("%s:%d: '%s' where point %zu's nominal %.10g %s was expected\n"),
                t->typed_path, t->typed_line, key, pt->index + 1, pt->nominal, p->unit);
        return SES_ABORT;
    }
    snprintf(text, cap, "%s", value);
    fprintf(t->out, "  %s %s (%s:%d)\n", text, p->unit, t->typed_path, t->typed_line);
    return SES_GO;
}

static bool batch_confirm_typed(void *ctx, const char *why)
{
    struct ses_term *t = ctx;
    if (!t->typed_confirm)
        fprintf(t->out, _("%s:%d: %s; end the line with ,confirm to keep it\n"), t->typed_path,
                t->typed_line, why);
    return t->typed_confirm;
}

static enum ses_action batch_ask_check(void *ctx, const struct prof_check *c, const char *why,
                                       char *text, size_t cap)
{
    struct ses_term *t = ctx;
    if (why != NULL)
        fprintf(t->out, "%s:%d: %s\n", t->typed_path, t->typed_line, why);
    char key[64], value[256];
    if (typed_next(t, key, sizeof key, value, sizeof value) != 0) {
        fprintf(t->out, _("%s: no answer for check %s: the file ends\n"),
                t->typed_path != NULL ? t->typed_path : "--typed", c->id);
        return SES_ABORT;
    }
    if (strcmp(key, c->id) != 0) {
        fprintf(t->out, _("%s:%d: '%s' where the answer of check %s was expected\n"),
                t->typed_path, t->typed_line, key, c->id);
        return SES_ABORT;
    }
    snprintf(text, cap, "%s", value);
    fprintf(t->out, "  %s: %s\n", c->id, text);
    return SES_GO;
}

static int term_ask_env(void *ctx, const char *where, double env[3])
{
    struct ses_term *t = ctx;
    /* TRANSLATORS: "Temperature ... at the %s": when conditions are read */
    static const struct {
        const char *where, *en;
    } words[] = {{"start", N_("start")}, {"end", N_("end")}, {"point", N_("this point")}};
    const char *w = where;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(words[i].where, where) == 0)
            w = t->lang == LANG_VI ? _(words[i].en) : words[i].en;
    for (;;) {
        char line[128];
        fprintf(t->out, msg_text(t->lang, M_ASK_ENV), w);
        if (read_choice(t, line, sizeof line) == SES_ABORT)
            return -2;
        if (line[0] == '\0')
            return -1;
        double v[3] = {NAN, NAN, NAN};
        char rest = 0;
        int n = sscanf(line, "%lf , %lf , %lf %c", &v[0], &v[1], &v[2], &rest);
        /* "21,5,50" (a decimal comma) would read as 21 degC, 5 %RH and
         * 50 hPa: an air pressure must look like one */
        if ((n == 2 || (n == 3 && v[2] >= 500 && v[2] <= 1100)) && v[0] > -50 && v[0] < 100 &&
            v[1] >= 0 && v[1] <= 100) {
            memcpy(env, v, sizeof v);
            return 0;
        }
    }
}

static void term_say(void *ctx, const char *text)
{
    struct ses_term *t = ctx;
    fputs(text, t->out);
}

static enum ses_action batch_before(void *ctx, const struct prof_profile *p,
                                    const struct prof_plan_point *pt, unsigned remaining)
{
    struct ses_term *t = ctx;
    if (t->last_point == pt->index + 1)
        return SES_GO; /* one line per point, not per repetition */
    t->last_point = pt->index + 1;
    char text[512];
    ses_instruction(t->lang, ses_vi_sep(t->vi_decimal_point), p, pt, pt->repeat - remaining + 1, text, sizeof text);
    fprintf(t->out, "[%zu/%zu] %s\n", pt->index + 1, p->n_points, text);
    fflush(t->out); /* a script or a CI log follows the session as it goes */
    return SES_GO;
}

static void batch_reading(void *ctx, const struct prof_profile *p, const struct drv_reading *r,
                          bool counted)
{
    struct ses_term *t = ctx;
    if (counted) {
        char shown[sizeof r->display + 2];
        snprintf(shown, sizeof shown, "%s", r->display[0] ? r->display : "?");
        if (t->lang == LANG_VI)
            cd_decimal_sep(shown, ses_vi_sep(t->vi_decimal_point));
        fprintf(t->out, "  %s %s\n", shown, r->unit[0] ? r->unit : p->unit);
        fflush(t->out);
    }
}

static enum ses_action batch_after(void *ctx, const struct prof_profile *p,
                                   const struct prof_plan_point *pt, size_t saved,
                                   const char *run_path, char *note, size_t cap)
{
    (void)ctx, (void)p, (void)pt, (void)saved, (void)run_path, (void)note, (void)cap;
    return SES_GO;
}

/* The line a point ends its wait with: where the source settled. */
static void source_reached(struct ses_term *t, const struct prof_profile *p,
                           const struct prof_plan_point *pt, const struct ses_source_wait *w)
{
    char sp[48], band[48];
    snprintf(sp, sizeof sp, "%.10g", w->setpoint);
    snprintf(band, sizeof band, "%g", w->band);
    fprintf(t->out, msg_text(t->lang, M_SOURCE_REACHED), pt->index + 1, p->n_points, sp, w->unit,
            band, w->unit, w->stable_s, w->elapsed_s,
            w->actual_text[0] ? w->actual_text : "?", w->unit);
    if (w->on_reference)
        fprintf(t->out, _("  the reference read %s %s, within a ±%s %s window for %.1f s\n"),
                w->ref_text[0] ? w->ref_text : "?", w->ref_unit, band, w->unit, w->stable_s);
    fflush(t->out);
}

/* The live screen while a source settles: set point, actual, trend, and
 * the seconds still to stay inside the band (or that it is outside). */
static void term_source_wait(void *ctx, const struct prof_profile *p,
                             const struct prof_plan_point *pt, const struct ses_source_wait *w)
{
    struct ses_term *t = ctx;
    if (w->done) {
        fputs("\n", t->out);
        source_reached(t, p, pt, w);
        return;
    }
    char sp[48], trend[64], band[48];
    snprintf(sp, sizeof sp, "%.10g", w->setpoint);
    snprintf(band, sizeof band, "%g", w->band);
    ses_trend_text(w, trend, sizeof trend);
    const char *actual = w->actual_text[0] ? w->actual_text : "?";
    if (w->stable_s > 0 || fabs(w->actual - w->setpoint) <= w->band)
        fprintf(t->out, msg_text(t->lang, M_SOURCE_LIVE_IN), sp, w->unit, actual, w->unit, trend,
                fmax(0, w->stable_for_s - w->stable_s));
    else
        fprintf(t->out, msg_text(t->lang, M_SOURCE_LIVE_OUT), sp, w->unit, actual, w->unit,
                trend, band, w->unit);
    /* whose stability is watched: the reference's reading when the
     * session reads one, else the source's own (docs/sources.md) */
    if (w->on_reference)
        fprintf(t->out, _("reference %s %s   "), w->ref_text[0] ? w->ref_text : "?",
                w->ref_unit);
    else
        fputs(_("(no reference instrument: the source's own reading decides)   "), t->out);
    fflush(t->out);
}

/* Batch: one line per point, once the source has settled. */
static void batch_source_wait(void *ctx, const struct prof_profile *p,
                              const struct prof_plan_point *pt, const struct ses_source_wait *w)
{
    if (w->done)
        source_reached(ctx, p, pt, w);
}

void ses_ui_terminal(struct ses_term *t, struct ses_ui *ui)
{
    *ui = (struct ses_ui){.ctx = t, .before_point = term_before, .reading = term_reading,
                          .after_point = term_after, .say = term_say,
                          .ask_env = term_ask_env, .recorded = term_recorded,
                          .ask_typed = term_ask_typed, .confirm_typed = term_confirm_typed,
                          .ask_check = term_ask_check, .source_wait = term_source_wait};
}

void ses_ui_batch(struct ses_term *t, struct ses_ui *ui)
{
    *ui = (struct ses_ui){.ctx = t, .before_point = batch_before, .reading = batch_reading,
                          .after_point = batch_after, .say = term_say,
                          .ask_typed = batch_ask_typed, .confirm_typed = batch_confirm_typed,
                          .ask_check = batch_ask_check, .source_wait = batch_source_wait};
}

/* Quote `s` for a POSIX shell when it needs it. */
static void shell_word(char *buf, size_t cap, const char *s)
{
    size_t len = strlen(buf);
    if (strpbrk(s, " \t'\"$`\\;&|<>()*?[]{}~#!") == NULL && s[0] != '\0') {
        snprintf(buf + len, cap - len, " %s", s);
        return;
    }
    snprintf(buf + len, cap - len, " '");
    for (const char *c = s; *c; c++) {
        len = strlen(buf);
        snprintf(buf + len, cap - len, *c == '\'' ? "'\\''" : "%c", *c);
    }
    len = strlen(buf);
    snprintf(buf + len, cap - len, "'");
}

void ses_resume_command(const struct ses_config *c, const char *run, char *buf, size_t cap)
{
    snprintf(buf, cap, "caldaq session --resume");
    shell_word(buf, cap, run);
    const char *flags[][2] = {{"--port", c->port},         {"--driver", c->driver},
                              {"--serial", c->serial},     {"--standards", c->standards_path},
                              {"--operator", c->operator_name}, {"--ref-port", c->ref_port},
                              {"--ref-driver", c->ref_driver}, {"--ref-serial", c->ref_serial},
                              {"--source-port", c->source_port},
                              {"--source-driver", c->source_driver},
                              {"--source-serial", c->source_serial}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (flags[i][1] == NULL)
            continue;
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, " %s", flags[i][0]);
        shell_word(buf, cap, flags[i][1]);
    }
    for (const char *const *o = c->driver_opts; o != NULL && *o != NULL; o++) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, " --set");
        shell_word(buf, cap, *o);
    }
    const struct {
        const char *flag;
        const char *const *opts;
    } sets[] = {{"--ref-set", c->ref_opts}, {"--source-set", c->source_opts}};
    for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        for (const char *const *o = sets[k].opts; o != NULL && *o != NULL; o++) {
            size_t len = strlen(buf);
            snprintf(buf + len, cap - len, " %s", sets[k].flag);
            shell_word(buf, cap, *o);
        }
    }
    if (c->source_stable_s > 0) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, " --source-stable-s %g", c->source_stable_s);
    }
    if (c->source_timeout_s > 0) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, " --source-timeout-s %g", c->source_timeout_s);
    }
    if (c->source_poll_ms > 0) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, " --source-poll-ms %d", c->source_poll_ms);
    }
    if (c->lang == LANG_VI) {
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, " --lang vi");
    }
}

int ses_report(struct ses_term *t, const struct ses_config *c, const struct ses_outcome *o,
               const char *who)
{
    enum lang l = t->lang;
    if (strcmp(who, "session") != 0 && o->status != SES_COMPLETE) {
        /* replay and demo: nothing to resume, the message is the story */
        fprintf(stderr, _("caldaq %s: %s\n"), who, o->err.msg);
        if (o->run_path[0] != '\0')
            fprintf(stderr, _("caldaq %s: the points before it are in %s\n"), who, o->run_path);
        return (int)o->status;
    }
    switch (o->status) {
    case SES_COMPLETE:
        fprintf(t->out,
                msg_text(l, o->analysis.profile != NULL &&
                                    o->analysis.profile->kind == PROF_KIND_VERIFICATION
                                ? M_VERIFIED_COMPLETE
                                : M_COMPLETE),
                o->run_path);
        ses_print_results(t->out, l, ses_vi_sep(t->vi_decimal_point), &o->analysis);
        fprintf(t->out, msg_text(l, M_RESULTS_STORED), o->analysis.version);
        break;
    case SES_ABORTED: {
        char resume[8192];
        ses_resume_command(c, o->run_path, resume, sizeof resume);
        fprintf(t->out, msg_text(l, M_ABORTED), o->run_path, resume);
        break;
    }
    case SES_INSTRUMENT:
        if (o->results_not_stored) {
            fprintf(t->out, msg_text(l, M_RESULTS_NOT_STORED), o->run_path, o->err.msg,
                    o->run_path);
        } else if (o->run_not_written && o->run_path[0] != '\0') {
            char resume[8192];
            ses_resume_command(c, o->run_path, resume, sizeof resume);
            fprintf(t->out, msg_text(l, M_RUN_NOT_WRITTEN), o->point + 1, o->err.msg,
                    o->run_path, resume);
        } else if (o->run_path[0] != '\0') {
            char resume[8192];
            ses_resume_command(c, o->run_path, resume, sizeof resume);
            bool settle = o->err.code == CD_ERR_UNSTABLE;
            fprintf(t->out,
                    msg_text(l, o->source_not_settled ? M_SOURCE_NOT_SETTLED
                                : settle              ? M_NOT_SETTLED
                                                      : M_INSTRUMENT_LOST),
                    o->point + 1, o->err.msg, o->run_path, resume);
        }
        fprintf(stderr, _("caldaq %s: %s\n"), who, o->err.msg);
        break;
    default:
        fprintf(stderr, _("caldaq %s: %s\n"), who, o->err.msg);
        if (o->status == SES_USAGE) /* as the command line's own usage errors */
            fprintf(stderr, _("Try 'caldaq %s --help'.\n"), who);
        break;
    }
    fflush(t->out);
    return (int)o->status;
}
