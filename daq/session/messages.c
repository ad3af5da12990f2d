/* The session's words (messages.h): one table of English msgids; their
 * Vietnamese is in po/vi.po, in the terms of docs/glossary.md. */
#include "messages.h"

#include "cd_i18n.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const en[M_COUNT] = {
    [M_SESSION_START] = N_("Calibration: %s\nInstrument under calibration: %s\n"),
    [M_INSTRUMENT] = N_("Instrument reports: %s %s, serial %s\n"),
    [M_STANDARD_OK] = N_("Reference standard %s (certificate %s), due %s: in date\n"),
    [M_ENV_NOT_MEASURED] = N_("Environmental conditions: not measured\n"),
    [M_ENV] = N_("Environmental conditions: %.1f °C, %.0f %%RH\n"),
    [M_POINT] = N_("\n[%zu/%zu] "),
    [M_PLACE_LOAD] = N_("Place %s %s on the pan"),
    [M_PLACE_PIECES] = N_("Place %s %s on the pan (%s)"),
    [M_REMOVE_LOAD] = N_("Remove all load from the pan"),
    [M_REPEAT_LOAD] = N_("Place %s %s on the centre of the pan, reading %u of %u (lift it off between readings)"),
    [M_ECC_POSITION] = N_("Place %s %s at position: %s"),
    [M_PRESSURE_UP] = N_("Raise the pressure to %s %s (increasing)"),
    [M_PRESSURE_DOWN] = N_("Lower the pressure to %s %s (decreasing)"),
    [M_VENT] = N_("Vent the gauge to atmosphere (0)"),
    [M_SET_CALIBRATOR] = N_("Set the calibrator to %s %s DC (meter range %s %s)"),
    [M_ENTER_WHEN_READY] = N_(" — Enter when ready: "),
    [M_READING_STABLE] = N_("\r  %s %s  stable        \n"),
    [M_READING_UNSTABLE] = N_("\r  %s %s  ~ settling "),
    [M_POINT_SAVED] = N_("  saved: %zu reading(s) in %s\n"),
    [M_AFTER_POINT] = N_("  Enter: next point · r: repeat this point · n: add a note · a: abort > "),
    [M_NOTE_PROMPT] = N_("  Note: "),
    [M_NOTE_SAVED] = N_("  note saved in the run's log\n"),
    [M_SKIPPED] = N_("  point skipped (recorded in the run's log)\n"),
    [M_REPEATING] = N_("  repeating this point; the earlier readings stay in the run\n"),
    [M_ABORTED] = N_("\nSession aborted. Every finished point is saved in %s.\n"
                  "To continue later:\n  %s\n"),
    [M_INSTRUMENT_LOST] = N_("\nPoint %zu could not be measured: %s\n"
                          "Every finished point is saved in %s.\n"
                          "Check the cable, the power and the instrument's interface settings, "
                          "then continue with:\n  %s\n"),
    [M_COMPLETE] = N_("\nCalibration complete. Run file: %s\n"),
    [M_VERDICT] = N_("Overall verdict: %s\n"),
    [M_RESULTS_STORED] = N_("Results stored in the run as version %d\n"),
    [M_RESUMED] = N_("Resuming at point %zu of %zu\n"),
    [M_COL_NOMINAL] = N_("nominal"),
    [M_COL_MEAN] = N_("indication"),
    [M_COL_ERROR] = N_("error"),
    [M_COL_VERDICT] = N_("verdict"),
    [M_PASS] = N_("PASS"),
    [M_FAIL] = N_("FAIL"),
    [M_CONDITIONAL_PASS] = N_("CONDITIONAL PASS"),
    [M_CONDITIONAL_FAIL] = N_("CONDITIONAL FAIL"),
    [M_INCOMPLETE] = N_("INCOMPLETE"),
    [M_NOT_MEASURED] = N_("not measured"),
    [M_ASK_ENV] = N_("Temperature (°C) and humidity (%%RH) at the %s, e.g. 21.5,50 — Enter if not measured: "),
    [M_SENSOR_FAILED] = N_("The thermo-hygrometer did not answer (%s): conditions recorded as not measured\n"),
    [M_NOT_SETTLED] = N_("\nThe reading did not settle at point %zu: %s\n"
                      "Every finished point is saved in %s.\n"
                      "Check for draughts, vibration, a load still moving or a source still "
                      "settling, then continue with:\n  %s\n"),
    [M_NOTE_CUT] = N_("  (the note is kept to its first %zu bytes)\n"),
    [M_RUN_NOT_WRITTEN] = N_("\nPoint %zu could not be saved: %s\n"
                          "Every finished point is saved in %s.\n"
                          "The instrument is not at fault: make room on the disk that holds the "
                          "run file (or put right what the message says), then continue with:\n"
                          "  %s\n"),
    [M_VERIFICATION_START] = N_("Verification: %s\nInstrument under verification: %s\n"),
    [M_ASK_TYPED] = N_("Type the reading of the %s at point %s %s: "),
    [M_TYPED_REFUSED] = N_("  Not accepted: %s. Type it again.\n"),
    [M_TYPED_NOT_NUMBER] = N_("'%s' is not a number (digits, with a decimal point or comma)"),
    [M_TYPED_RANGE] = N_("%s is outside the instrument's range %s to %s %s"),
    [M_TYPED_DIGITS] = N_("'%s' has more digits than the resolution %s %s allows"),
    [M_TYPED_FAR] = N_("%s %s is far from the nominal %s %s (more than %s times the MPE)"),
    [M_TYPED_CONFIRM] = N_("  Keep this value? (y: yes, anything else: type it again) "),
    [M_CHECK_STAGE_EXTERNAL] = N_("External inspection"),
    [M_CHECK_STAGE_TECHNICAL] = N_("Technical inspection"),
    [M_ASK_CHECK] = N_("  %s — d: pass (đạt) · k: fail (không đạt): "),
    [M_CHECK_SAVED] = N_("  saved: %s\n"), /* a typed reading or a checklist answer */
    [M_CHECK_ANSWER_BAD] = N_("'%s': answer d (pass) or k (fail)"),
    [M_CHECK_FAILED_STOP] = N_("Failed: %s. The instrument does not pass; the metrological test is "
                            "not carried out.\n"),
    [M_SET_ITEM] = N_("Bring the %s to %s %s"),
    [M_SET_REFERENCE] = N_("Set the %s to %s %s"),
    [M_BATH] = N_("Set the bath to %s %s and wait until it is stable"),
    [M_ITEM_DEFAULT] = N_("instrument"),
    [M_REF_DEFAULT] = N_("reference"),
    [M_VERIFIED_COMPLETE] = N_("\nVerification complete. Run file: %s\n"),
    [M_CYCLE] = N_("Verification cycle (%s): %d months\n"),
    [M_REF_INSTRUMENT] = N_("Reference instrument reports: %s %s, serial %s\n"),
    [M_SOURCE_INSTRUMENT] = N_("Source reports: %s %s, serial %s\n"),
    [M_SOURCE_MANUAL] = N_("The profile names a source (%s) and no --source-port was given: each "
                        "point is set by hand\n"),
    [M_SOURCE_LIVE_IN] = N_("\r  set %s %s  actual %s %s  %s  stable, %.0f s to go   "),
    [M_SOURCE_LIVE_OUT] = N_("\r  set %s %s  actual %s %s  %s  outside ±%s %s   "),
    [M_SOURCE_REACHED] = N_("[%zu/%zu] set point %s %s: within ±%s %s for %.1f s, after %.1f s "
                         "(actual %s %s)\n"),
    [M_SOURCE_VENTED] = N_("The pressure controller is vented (safe state)\n"),
    [M_SOURCE_LEFT] = N_("The bath is left at its set point %s %s (safe state)\n"),
    [M_SOURCE_NOT_SETTLED] = N_("\nThe source did not settle at point %zu: %s\n"
                             "The source is in its safe state. Every finished point is saved in "
                             "%s.\nCheck the source (its supply, leaks, the set point within its "
                             "range), then continue with:\n  %s\n"),
    [M_RESULTS_NOT_STORED] = N_("\nThe calibration is complete in %s, but its results could not be "
                             "stored: %s\n"
                             "Make room on the disk that holds the run file, then store them "
                             "with:\n  caldaq analyze %s --write\n"),
    [M_BEFORE_KEYS] = N_(" (s: skip this point · a: abort)"),
    [M_UNKNOWN_BEFORE] = N_("  '%s' is not a key here: Enter when ready, s to skip this point, a "
                            "to abort\n"),
    [M_UNKNOWN_AFTER] = N_("  '%s' is not a key here: Enter, r, n or a\n"),
};

const char *msg_text(enum lang l, enum msg m)
{
    if ((int)m < 0 || m >= M_COUNT)
        return "?";
    if (en[m] == NULL)
        return "?";
    /* English is the msgid itself; Vietnamese comes from the catalogue of
     * the process's language, which main() set to the session's. */
    return l == LANG_VI ? _(en[m]) : en[m];
}

int lang_parse(const char *name, enum lang *out)
{
    if (name == NULL)
        return -1;
    if (strncasecmp(name, "vi", 2) == 0 && (name[2] == '\0' || name[2] == '_' || name[2] == '-' ||
                                            name[2] == '.')) {
        *out = LANG_VI;
        return 0;
    }
    if (strncasecmp(name, "en", 2) == 0 && (name[2] == '\0' || name[2] == '_' || name[2] == '-' ||
                                            name[2] == '.')) {
        *out = LANG_EN;
        return 0;
    }
    return -1;
}

enum lang lang_from_environment(void)
{
    const char *vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"};
    for (size_t i = 0; i < 4; i++) {
        const char *v = getenv(vars[i]);
        if (v != NULL && v[0] != '\0') {
            enum lang l;
            return lang_parse(v, &l) == 0 ? l : LANG_EN;
        }
    }
    return LANG_EN;
}

const char *msg_position(enum lang l, const char *name)
{
    /* TRANSLATORS: positions on a balance's pan (eccentricity test) */
    static const char *const pos[] = {
        N_("centre"),    N_("center"),      N_("front"),     N_("back"),       N_("left"),
        N_("right"),     N_("front-left"),  N_("front-right"), N_("back-left"), N_("back-right"),
    };
    if (l != LANG_VI)
        return name;
    for (size_t i = 0; i < sizeof pos / sizeof pos[0]; i++)
        if (strcasecmp(pos[i], name) == 0)
            return _(pos[i]);
    return name;
}

void msg_pad(FILE *f, const char *s, int width, int right)
{
    int shown = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        shown += (*c & 0xC0) != 0x80;
    if (right)
        fprintf(f, "%*s%s", width > shown ? width - shown : 0, "", s);
    else
        fprintf(f, "%s%*s", s, width > shown ? width - shown : 0, "");
}
