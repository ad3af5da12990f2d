#!/usr/bin/env bash
# End to end: the Vietnamese user guide (docs/vi/) cannot silently drift from
# the program.
#
# The guide's convention (docs/vi/README.md): a block fenced ```sh holds
# commands a technician types, one a line ('#' starts a comment); a block
# fenced ```text is a screen. This test:
#
#  (a) takes every `caldaq ...` command (also `build/caldaq`, after `sudo`,
#      or after a pipe or `&&`) from the ```sh blocks and checks that its
#      subcommand is one `caldaq --help` lists, that a subcommand with its own
#      verbs (records search, profile check, ...) is given one its --help
#      names, and that every --option is one `caldaq SUB --help` names (the
#      global --lang, --help and --version aside); a shipped file named by its
#      installed path (/usr/share/caldaq/...) must exist in the checkout;
#  (b) checks every relative link of the guide's files ([text](target)):
#      the file exists (inside docs/vi, into docs/, or elsewhere in the
#      checkout), and an anchor (#...) is the GitHub id of a heading of the
#      target; every chapter is linked from docs/vi/README.md;
#  (c) the guide's own sentences (not the screens) use none of the terms
#      docs/glossary.md decided against ("Not used": số sê-ri, chưa đo, ...).
#
# Nothing here is optional: it needs only the built caldaq and python3, and
# never skips (so nothing skips under CI=true either).
source "$(dirname "$0")/common.bash"

[ -d docs/vi ] || fail "no docs/vi (run from the top of the checkout)"
[ -x "$PY" ] || fail "$PY is missing (Debian's python3; tools/install-deps installs it)"

# The help of every subcommand, in English (the options are the same in both).
"$CALDAQ" --lang en --help > "$tmp/help" 2>&1 || true
subs=$(awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}' "$tmp/help")
[ -n "$subs" ] || { cat "$tmp/help" >&2; fail "caldaq --help lists no commands"; }
mkdir "$tmp/helps"
for s in $subs; do
    "$CALDAQ" --lang en "$s" --help > "$tmp/helps/$s" 2>&1 || true
    [ -s "$tmp/helps/$s" ] || fail "caldaq $s --help printed nothing"
done

"$PY" - "$tmp/helps" docs/vi <<'PY' || fail "the guide is out of step with caldaq or its links (above)"
import os, re, shlex, sys, unicodedata

helps_dir, guide = sys.argv[1], sys.argv[2]
helps = {f: open(os.path.join(helps_dir, f), encoding="utf-8").read()
         for f in os.listdir(helps_dir)}
GLOBAL = {"--lang", "--help", "--version"}
errors = []
ncommands = 0

def verbs(sub):
    """The verbs a subcommand takes, from its usage lines: 'caldaq records search'."""
    return set(re.findall(r"caldaq %s ([a-z][a-z-]*)" % re.escape(sub), helps[sub]))

def has_option(text, opt):
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt), text) is not None

def check_command(where, words):
    global ncommands
    ncommands += 1
    i = 1
    sub = None
    while i < len(words):
        w = words[i]
        if w.startswith("-"):
            opt = w.split("=", 1)[0]
            if opt not in GLOBAL:
                errors.append(f"{where}: '{opt}' before the subcommand is not a global option")
            if opt == "--lang" and "=" not in w:
                i += 1
            i += 1
            continue
        sub = w
        break
    if sub is None:
        if not any(w in ("--version", "--help") for w in words[1:]):
            errors.append(f"{where}: no subcommand: {' '.join(words)}")
        return
    if sub not in helps:
        errors.append(f"{where}: 'caldaq {sub}': no such subcommand")
        return
    rest = words[i + 1:]
    vs = verbs(sub)
    if vs:
        first = next((w for w in rest if not w.startswith("-")), None)
        if first not in vs:
            errors.append(f"{where}: 'caldaq {sub} {first}': {sub} takes {sorted(vs)}")
    for w in rest:
        if w.startswith("--"):
            opt = w.split("=", 1)[0]
            if opt in GLOBAL:
                continue
            if not has_option(helps[sub], opt):
                errors.append(f"{where}: 'caldaq {sub}' has no option {opt} (caldaq {sub} --help)")
        m = re.match(r"/usr/share/caldaq/(.+)$", w)
        if m and not os.path.exists(m.group(1)):
            errors.append(f"{where}: {w}: the checkout has no {m.group(1)}")

SEPARATORS = {"|", "||", "&&", ";", "&", ">", ">>", "<", "2>", "(", ")"}

def commands_of(line):
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = "#"
    words = list(lex)
    seg = []
    for w in words + [";"]:
        if w in SEPARATORS:
            if seg:
                yield seg
            seg = []
        else:
            seg.append(w)

def slug(heading):
    """GitHub's id of a heading: lower case, markup and punctuation dropped,
    spaces to '-' (letters with diacritics are kept)."""
    h = re.sub(r"[`*_]", "", heading.strip()).lower()
    out = []
    for ch in h:
        cat = unicodedata.category(ch)
        if ch == " ":
            out.append("-")
        elif ch == "-" or cat[0] in "LN" or cat == "Mn" or cat == "Mc":
            out.append(ch)
    return "".join(out)

def anchors(path):
    ids, seen, fence = set(), {}, False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fence = not fence
            continue
        m = None if fence else re.match(r"#{1,6} (.*)", line)
        if m:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            ids.add(s if n == 0 else f"{s}-{n}")
    return ids

files = sorted(f for f in os.listdir(guide) if f.endswith(".md"))
if "README.md" not in files or len(files) < 5:
    errors.append(f"{guide}: expected README.md and the chapters, found {files}")

linked_from_readme = set()
for name in files:
    path = os.path.join(guide, name)
    fence = None
    for no, line in enumerate(open(path, encoding="utf-8"), 1):
        where = f"{path}:{no}"
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                if fence == "":
                    errors.append(f"{where}: a fenced block without a kind (```sh for commands, ```text for screens)")
            else:
                fence = None
            continue
        if fence == "sh":
            for words in commands_of(line):
                if words and words[0] == "sudo":
                    words = words[1:]
                if words and (words[0] == "caldaq" or words[0].endswith("/caldaq")):
                    check_command(where, words)
            continue
        if fence is not None:
            continue
        text = re.sub(r"`[^`]*`", "", line)          # links inside inline code are not links
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue                               # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(guide, file_part)) if file_part else path
            if not os.path.exists(dest):
                errors.append(f"{where}: link {target}: no {dest}")
                continue
            if name == "README.md" and os.path.dirname(dest) == os.path.normpath(guide):
                linked_from_readme.add(os.path.basename(dest))
            if anchor:
                if not dest.endswith(".md") or os.path.isdir(dest):
                    errors.append(f"{where}: link {target}: an anchor into a file that is not Markdown")
                elif anchor not in anchors(dest):
                    errors.append(f"{where}: link {target}: {dest} has no heading with the id '{anchor}'")
    if fence is not None:
        errors.append(f"{path}: a fenced block is not closed")

# (c) The terms: the guide's own words (outside the screens, which are the
# program's) use none of the words docs/glossary.md decided against.
rejected = []
for line in open("docs/glossary.md", encoding="utf-8"):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 4 and cells[2] and cells[1].startswith("**") and cells[0] != "Case":
        rejected += [t.strip() for t in cells[2].split(",") if t.strip()]
if len(rejected) < 5:
    errors.append(f"docs/glossary.md: the decisions table gave only {rejected}")
for name in files:
    fence = None
    for no, line in enumerate(open(os.path.join(guide, name), encoding="utf-8"), 1):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
            continue
        if fence == "text":
            continue
        low = line.lower()
        for t in rejected:
            if re.search(r"(?<!\w)%s(?!\w)" % re.escape(t.lower()), low):
                errors.append(f"{guide}/{name}:{no}: '{t}': docs/glossary.md does not use this term")

for name in files:
    if name != "README.md" and name not in linked_from_readme:
        errors.append(f"{guide}/README.md does not link {name}")

if ncommands < 20:
    errors.append(f"only {ncommands} caldaq commands found in ```sh blocks: the convention is broken")

for e in errors:
    print(e, file=sys.stderr)
print(f"guide_vi: {ncommands} caldaq commands and the links of {len(files)} files checked, {len(errors)} problems")
sys.exit(1 if errors else 0)
PY

# The main README and the architecture document point at the guide.
grep -qF "docs/vi/README.md" README.md || fail "README.md does not link docs/vi/README.md"
grep -qF "vi/README.md" docs/ARCHITECTURE.md || fail "docs/ARCHITECTURE.md does not link vi/README.md"
echo "guide_vi.sh: ok"
