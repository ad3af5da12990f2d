/* Translations through GNU gettext (docs/i18n.md). Every user-facing
 * sentence is written in English inside _() — or N_() where it is a static
 * table entry translated where it is shown — and its Vietnamese lives in
 * po/vi.po. Library code looks texts up in caldaq's own domain with
 * dgettext(), so it never depends on which textdomain() a program chose;
 * main() binds the domain to the compiled catalogues and picks the language
 * (--lang, else LANGUAGE / LC_ALL / LC_MESSAGES / LANG). */
#ifndef CALDAQ_CD_I18N_H
#define CALDAQ_CD_I18N_H

#include <libintl.h>
#include <stddef.h>

#include "cd.h"

#define CD_TEXT_DOMAIN "caldaq"

#define _(text) dgettext(CD_TEXT_DOMAIN, text)
#define N_(text) (text)
/* A text whose English says two things (a column "due", the date, and a
 * state "due", falling due) told apart for the translator by a context,
 * as gettext's pgettext does: C_("due state", "due"). NC_ marks one in a
 * static table; cd_pgettext() looks it up where it is shown. xgettext
 * keywords: C_:1c,2 and NC_:1c,2. */
#define C_(context, text) cd_pgettext(context "\004" text, text)
#define NC_(context, text) (text)
/* The translation of `text` in `context` (key: context, "\004", text), or
 * `text`. */
const char *cd_pgettext(const char *key, const char *text);
/* The same with the context and the text given apart (a table's words). */
const char *cd_pgettext2(const char *context, const char *text);

/* ---- one language's catalogue, read on its own (cd_i18n.c) ----
 * A bilingual certificate shows Vietnamese and English side by side, and
 * the portal answers each request in its browser's language: neither may
 * depend on, or switch, the process's gettext language. A cd_catalog is
 * the compiled catalogue (LOCALEDIR/LANG/LC_MESSAGES/caldaq.mo) of one
 * language, read into memory once and looked up without any process
 * state, so any number of threads may share it. */
struct cd_catalog;

/* Open the catalogue of `lang` ("vi", "en", ...). English is the language
 * of the msgids: "en" (or "C") gives the identity catalogue, which opens
 * without any file. Another language whose caldaq.mo is missing or
 * damaged fails, naming the file. */
int cd_catalog_open(const char *lang, struct cd_catalog **out, struct cd_err *err);

/* The same, from a given .mo file (tests, tools). */
int cd_catalog_open_file(const char *path, const char *lang, struct cd_catalog **out,
                         struct cd_err *err);

/* The translation of `msgid`; `msgid` itself when it has none, or when
 * `cat` is NULL or the identity catalogue. */
const char *cd_catalog_text(const struct cd_catalog *cat, const char *msgid);

/* The catalogue's language, "en" for the identity. */
const char *cd_catalog_lang(const struct cd_catalog *cat);

void cd_catalog_close(struct cd_catalog *cat);

/* Parse a .mo image already in memory (the fuzz target's way in); `data`
 * is copied. */
int cd_catalog_from_bytes(const void *data, size_t size, const char *lang, const char *origin,
                          struct cd_catalog **out, struct cd_err *err);

/* Where the compiled catalogues are: $CALDAQ_LOCALEDIR when set; else
 * `locale/` beside the running executable when that folder exists (a
 * build tree: build/caldaq and build/locale); else the LOCALEDIR the
 * program was built with (make install's $(PREFIX)/share/locale). */
int cd_locale_dir(char *buf, size_t size);

#endif
