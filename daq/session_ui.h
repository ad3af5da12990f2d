/* Terminal and batch faces of a session (session.h). Private to daq/. */
#ifndef CALDAQ_SESSION_UI_H
#define CALDAQ_SESSION_UI_H

#include <stdbool.h>
#include <stdio.h>

#include "session.h"

struct ses_term {
    enum lang lang;
    FILE *in;                   /* the technician's answers */
    FILE *out;                  /* prompts, readings, the verdict table */
    size_t last_point;          /* batch: the point last announced, + 1 */
};

/* The options sessions, replay and the demo share, by their getopt
 * letters: d --driver, o --out, S --standards, e --env, l --lang,
 * x --set (into opts[*n], at most max). 0 when taken, 2 after a usage
 * error, -1 when `c` is not one of them. */
int ses_common_option(const char *sub, int c, const char *value, struct ses_config *cfg,
                      const char **opts, int *n, int max);

/* The command that resumes `run` with the session's own options (port,
 * driver, serial, standards, --set options), quoted for a shell. */
void ses_resume_command(const struct ses_config *c, const char *run, char *buf, size_t cap);

/* Prompts with Enter / s(kip) / a(bort) before each point; after it,
 * Enter / r(epeat) / n(ote) / a(bort); a live reading while it settles. */
void ses_ui_terminal(struct ses_term *t, struct ses_ui *ui);
/* No questions: one line per point and its readings. */
void ses_ui_batch(struct ses_term *t, struct ses_ui *ui);
/* Tell the technician how it ended (verdict table, or what to do next);
 * `who` is the command ("session", "replay", "demo": only a session is
 * told how to resume). Returns the exit status. */
int ses_report(struct ses_term *t, const struct ses_config *c, const struct ses_outcome *o,
               const char *who);

#endif
