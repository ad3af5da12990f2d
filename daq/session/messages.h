/* What a session says to the technician, in Vietnamese and English. One
 * table (messages.c) holds both; each entry is a printf format whose
 * arguments are the same, in the same order, in both languages. */
#ifndef CALDAQ_MESSAGES_H
#define CALDAQ_MESSAGES_H

#include <stdio.h>

enum lang {
    LANG_EN,
    LANG_VI,
};

enum msg {
    M_SESSION_START,      /* profile title, DUT */
    M_INSTRUMENT,         /* manufacturer, model, serial */
    M_STANDARD_OK,        /* id, certificate, due */
    M_ENV_NOT_MEASURED,
    M_ENV,                /* temp, rh */
    M_POINT,              /* index, total */
    M_PLACE_LOAD,         /* load, unit */
    M_PLACE_PIECES,       /* load, unit, pieces text */
    M_REMOVE_LOAD,
    M_REPEAT_LOAD,        /* load, unit, reading k, of n */
    M_ECC_POSITION,       /* load, unit, position */
    M_PRESSURE_UP,        /* value, unit */
    M_PRESSURE_DOWN,      /* value, unit */
    M_VENT,
    M_SET_CALIBRATOR,     /* value, unit, range, unit */
    M_ENTER_WHEN_READY,
    M_READING_STABLE,     /* value text, unit */
    M_READING_UNSTABLE,   /* value text, unit */
    M_POINT_SAVED,        /* readings, file */
    M_AFTER_POINT,
    M_NOTE_PROMPT,
    M_NOTE_SAVED,
    M_SKIPPED,
    M_REPEATING,
    M_ABORTED,            /* file */
    M_INSTRUMENT_LOST,    /* point, file, resume command */
    M_COMPLETE,           /* file */
    M_VERDICT,            /* verdict word */
    M_RESULTS_STORED,     /* version */
    M_RESUMED,            /* point index, total */
    M_COL_NOMINAL,
    M_COL_MEAN,
    M_COL_ERROR,
    M_COL_VERDICT,
    M_PASS,
    M_FAIL,
    M_CONDITIONAL_PASS,
    M_CONDITIONAL_FAIL,
    M_INCOMPLETE,
    M_NOT_MEASURED,
    M_ASK_ENV,            /* where */
    M_SENSOR_FAILED,      /* message */
    M_NOT_SETTLED,        /* point, message, file, command */
    M_NOTE_CUT,           /* bytes kept */
    M_RUN_NOT_WRITTEN,    /* point, message, file, command */
    M_RESULTS_NOT_STORED, /* file, message, file */
    /* issue 16: typed readings, checklists, verification */
    M_VERIFICATION_START, /* profile title, DUT */
    M_ASK_TYPED,          /* what is read ("áp kế"), nominal, unit */
    M_TYPED_REFUSED,      /* reason */
    M_TYPED_NOT_NUMBER,   /* text */
    M_TYPED_RANGE,        /* value, low, high, unit */
    M_TYPED_DIGITS,       /* text, step, unit */
    M_TYPED_FAR,          /* value, unit, nominal, unit, n MPE */
    M_TYPED_CONFIRM,      /* (question after M_TYPED_FAR) */
    M_CHECK_STAGE_EXTERNAL,
    M_CHECK_STAGE_TECHNICAL,
    M_ASK_CHECK,          /* check text */
    M_CHECK_SAVED,        /* answer word */
    M_CHECK_ANSWER_BAD,   /* text */
    M_CHECK_FAILED_STOP,  /* check text */
    M_SET_ITEM,           /* what, nominal, unit */
    M_SET_REFERENCE,      /* what, nominal, unit */
    M_BATH,               /* nominal, unit */
    M_ITEM_DEFAULT,       /* "the instrument" */
    M_REF_DEFAULT,        /* "the reference" */
    M_VERIFIED_COMPLETE,  /* file */
    M_CYCLE,              /* instrument type name, months */
    M_REF_INSTRUMENT,     /* manufacturer, model, serial */
    /* a source caldaq sets and waits on (issue 19) */
    M_SOURCE_INSTRUMENT,  /* manufacturer, model, serial */
    M_SOURCE_MANUAL,      /* driver */
    M_SOURCE_LIVE_IN,     /* set point, unit, actual, unit, trend, seconds to go */
    M_SOURCE_LIVE_OUT,    /* set point, unit, actual, unit, trend, band, unit */
    M_SOURCE_REACHED,     /* point, of, set point, unit, band, unit, stable s, after s, actual, unit */
    M_SOURCE_VENTED,
    M_SOURCE_LEFT,        /* set point, unit */
    M_SOURCE_NOT_SETTLED, /* point, message, file, command */
    /* issue 20: the keys of the before-point prompt; an unknown key */
    M_BEFORE_KEYS,
    M_UNKNOWN_BEFORE,     /* what was typed */
    M_UNKNOWN_AFTER,      /* what was typed */
    M_COUNT
};

/* The format of `m` in `l`; never NULL. */
const char *msg_text(enum lang l, enum msg m);
/* A position on a balance's pan as a profile names it (centre, front,
 * back, left, right, front-left, ...) in `l`; other names as they are. */
const char *msg_position(enum lang l, const char *name);
/* Write `s` padded with spaces to `width` characters on screen (UTF-8 code
 * points, so "số chỉ" lines up with "indication"), right-aligned or left. */
void msg_pad(FILE *f, const char *s, int width, int right);
/* "vi" or "en"; a locale such as vi_VN.UTF-8 picks Vietnamese. -1 when
 * neither. */
int lang_parse(const char *name, enum lang *out);
/* From LC_ALL, LC_MESSAGES or LANG: vi_* gives Vietnamese, else English. */
enum lang lang_from_environment(void);

#endif
