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

#define CD_TEXT_DOMAIN "caldaq"

#define _(text) dgettext(CD_TEXT_DOMAIN, text)
#define N_(text) (text)

#endif
