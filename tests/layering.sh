#!/bin/bash
# The layering of caldaq's modules, checked against every #include in the
# tree and, when a build is given, against every call between object files.
# docs/ARCHITECTURE.md draws the same picture; change both together.
#
#   tests/layering.sh [BUILD_DIR]      (make check passes BUILD=build/ in the environment)
#
# A failure names the file and line of the include (or the objects and
# the symbol of the call) that breaks the rules, and the rule it breaks.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-${BUILD:-}}

# ---------------------------------------------------------------- the table
# module      | public headers (what other modules may include) | may use
# Bottom up: a module may use only modules above it in this table.
table='
common        | cd.h cd_pool.h cd_yaml.h csv.h cd_i18n.h |
uncertainty   | unc.h unc_yaml.h                | common
drivers       | drv.h                           | common
profiles      | prof.h                          | uncertainty common
daq/store     | run.h                           | drivers profiles common
daq/analysis  | analysis.h                      | daq/store profiles uncertainty drivers common
daq/records   | records.h                       | daq/store profiles uncertainty drivers common
daq/session   | session.h                       | daq/records daq/analysis daq/store drivers profiles uncertainty common
daq/cert      | cert.h                          | daq/records daq/analysis daq/store profiles uncertainty drivers common
daq/reprocess | reprocess.h                     | daq/cert daq/records daq/analysis daq/store profiles uncertainty drivers common
daq/portal    | portal.h                        | daq/cert daq/records daq/analysis daq/store profiles uncertainty drivers common
daq/cli       | cli.h                           | daq/portal daq/reprocess daq/cert daq/session daq/records daq/analysis daq/store drivers profiles uncertainty common
tools         |                                 | daq/reprocess daq/cert daq/session daq/records daq/analysis daq/store drivers profiles uncertainty common
tests         |                                 | *
'
# unc_yaml.h: the model-file syntax profiles share (a decision rule is
# written the same way in both); internal, not installed with unc.h.

# Private headers reached across modules on purpose, with the reason.
# file-that-includes:header
exceptions='
tools/bench/bench_expr.c:expr.h
'
# bench_expr measures the engine'\''s own expression evaluator against
# libmatheval: it has to reach the evaluator itself, not the model API.

# Foreign libraries behind one boundary each (STYLE.md: no other module
# includes them). header-prefix | the files that may include it
foreign='
hdf5.h              | daq/store/run_h5.c daq/store/run_h5.h
H5                  | daq/store/run_h5.c daq/store/run_h5.h
libserialport.h     | drivers/transport_serial.c drivers/ports.c
modbus.h            | drivers/modbus.c drivers/modbus_words.c
gsl/                | uncertainty/* tools/bench/*
sodium.h            | daq/store/* daq/cert/* daq/records/records.c daq/portal/portal.c
cairo               | daq/cert/cert_pdf.c
pango/              | daq/cert/cert_pdf.c
fontconfig/         | daq/cert/cert_pdf.c
qrencode.h          | daq/cert/cert_pdf.c
libxml/             | daq/cert/cert_xml.c
yaml.h              | common/* uncertainty/* profiles/* daq/cert/cert_lab.c daq/cli/cli_config.c
sqlite3.h           | daq/records/records_db.c
libpq-fe.h          | daq/records/records_db.c
microhttpd.h        | daq/portal/portal.c daq/portal/portal_pages.c
'

errors=0
report() { echo "layering: $*" >&2; errors=$((errors + 1)); }

declare -A public uses header_module
while IFS='|' read -r mod pub use; do
    mod=$(echo "$mod" | xargs)
    [ -z "$mod" ] && continue
    public[$mod]=$(echo "$pub" | xargs)
    uses[$mod]=$(echo "$use" | xargs)
done <<<"$table"

# The module a file belongs to (the longest matching folder), into $mod:
# no subshell, since it runs for every include and every call.
modules_by_length=$(for m in "${!public[@]}"; do echo "${#m} $m"; done | sort -rn | cut -d' ' -f2)
module_of() {
    local f=${1#./}
    mod=""
    for m in $modules_by_length; do
        case "$f" in "$m"/*) mod=$m; return ;; esac
    done
}
# The foreign-library rules as two arrays.
foreign_prefix=()
foreign_files=()
while IFS='|' read -r prefix files; do
    prefix=${prefix//[[:space:]]/}
    [ -z "$prefix" ] && continue
    foreign_prefix+=("$prefix")
    foreign_files+=("$files")
done <<<"$foreign"

# Where each header of the tree lives; a name defined twice is ambiguous
# through -I and is itself an error.
while read -r h; do
    base=${h##*/}
    module_of "$h"
    m=$mod
    [ -z "$m" ] && continue
    if [ -n "${header_module[$base]:-}" ] && [ "${header_module[$base]}" != "$m" ]; then
        report "$h: a header named $base also exists in ${header_module[$base]}"
    fi
    header_module[$base]=$m
done < <(find common uncertainty drivers profiles daq -name '*.h' | sort)

allowed() {     # allowed FROM TO
    local u=" ${uses[$1]} "
    [ "${uses[$1]}" = "*" ] || [[ "$u" == *" $2 "* ]]
}

checked=0
# Every include line of the tree at once: FILE:LINE:TEXT.
while IFS= read -r hit; do
    f=${hit%%:*}
    rest=${hit#*:}
    lineno=${rest%%:*}
    line=${rest#*:}
    [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]+)[\"\>] ]] || continue
    kind=${BASH_REMATCH[1]}
    inc=${BASH_REMATCH[2]}
    module_of "$f"
    from=$mod
    if [ -z "$from" ]; then
        report "$f: in no module of the table (tests/layering.sh)"
        continue
    fi
    checked=$((checked + 1))
    if [ "$kind" = "<" ]; then
        [ "$from" = tests ] && continue
        for i in "${!foreign_prefix[@]}"; do
            [[ "$inc" == "${foreign_prefix[$i]}"* ]] || continue
            ok=0
            for pat in ${foreign_files[$i]}; do
                # shellcheck disable=SC2053
                [[ "$f" == $pat ]] && ok=1
            done
            [ $ok = 1 ] || report "$f:$lineno: includes <$inc>: only ${foreign_files[$i]# } may (one boundary per library)"
        done
        continue
    fi
    base=${inc##*/}
    to=${header_module[$base]:-}
    if [ -z "$to" ]; then
        # a header beside the file, in a folder outside the table
        [ -e "$(dirname "$f")/$inc" ] || report "$f:$lineno: includes \"$inc\", which no module has"
        continue
    fi
    [ "$to" = "$from" ] && continue
    grep -qxF "$f:$base" <<<"$exceptions" && continue
    if ! allowed "$from" "$to"; then
        report "$f:$lineno: includes \"$inc\" of $to, but $from may use only: ${uses[$from]:-nothing}"
    elif [[ " ${public[$to]} " != *" $base "* ]] && [ "$from" != tests ]; then
        report "$f:$lineno: includes \"$inc\", private to $to (its public header: ${public[$to]})"
    fi
done < <(find common uncertainty drivers profiles daq tools tests -name '*.[ch]' -print0 | sort -z |
         xargs -0 grep -nE '^[[:space:]]*#[[:space:]]*include')

# ------------------------------------------------ calls, from the objects
# Includes can be dodged with a hand-written declaration; the objects
# cannot. Every undefined symbol of an object that another object of the
# tree defines is a call: across modules it must follow the table, and
# inside a module the files must not call each other in a circle.
calls=0
if [ -n "$build" ] && [ -d "$build/obj" ]; then
    # objects of the sources there are now (a build dir may hold stale ones)
    objs=$(cd "$build/obj" && find common uncertainty drivers profiles daq -name '*.o' | sort |
           while read -r o; do [ -e "$OLDPWD/${o%.o}.c" ] && echo "$o"; done)
    declare -A defined_in is_function
    while read -r obj type sym; do
        defined_in[$sym]=$obj
        [ "$type" = T ] && is_function[$sym]=1
    done < <(cd "$build/obj" && for o in $objs; do
                 nm --defined-only --extern-only "$o" | awk -v o="$o" '$2 ~ /^[TDBRVW]$/ {print o, $2, $3}'
             done)
    edges=$(mktemp)
    trap 'rm -f "$edges"' EXIT
    while read -r obj sym; do
        def=${defined_in[$sym]:-}
        [ -z "$def" ] && continue
        calls=$((calls + 1))
        module_of "$obj"
        from=$mod
        module_of "$def"
        to=$mod
        if [ "$from" != "$to" ]; then
            allowed "$from" "$to" ||
                report "${obj%.o}.c calls $sym of ${def%.o}.c: $from may not use $to"
        elif [ -n "${is_function[$sym]:-}" ]; then
            # Calls only: a registry that lists the drivers' ops tables
            # (data) while the drivers call its shared helpers is the
            # libsigrok pattern, not a circle.
            echo "${obj%.o} ${def%.o}" >>"$edges"
        fi
    done < <(cd "$build/obj" && for o in $objs; do nm --undefined-only "$o" | awk -v o="$o" '{print o, $2}'; done)
    if ! loops=$(tsort "$edges" 2>&1 >/dev/null) || [ -n "$loops" ]; then
        report "files that call each other in a circle (make one call the other only):"
        echo "$loops" | grep -v 'input contains a loop' | sed 's/^tsort: /    /' >&2
    fi
fi

if [ $errors -gt 0 ]; then
    echo "layering: $errors violation(s); the rules are the table at the top of tests/layering.sh" >&2
    exit 1
fi
echo "layering: ok ($checked includes${build:+, $calls calls between objects} follow the table)"
