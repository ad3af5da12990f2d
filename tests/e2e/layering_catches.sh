#!/bin/bash
# The layering test has teeth: on a copy of the tree, an include that runs
# back up (the run store including the session's header), a private header
# reached from another module, and a library outside its boundary are each
# reported with file and line, and the test fails.
source "$(dirname "$0")/common.bash"
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$tmp/tree/tests"
cp -r "$root"/{common,uncertainty,drivers,profiles,daq,tools} "$tmp/tree/"
cp "$root/tests/layering.sh" "$tmp/tree/tests/"
bash "$tmp/tree/tests/layering.sh" >"$tmp/clean.out" 2>&1 || fail "the copy of the tree is not clean: $(cat "$tmp/clean.out")"

check() {   # check FILE LINE-TEXT EXPECTED-MESSAGE
    cp "$root/$1" "$tmp/tree/$1"
    sed -i "1a $2" "$tmp/tree/$1"
    if bash "$tmp/tree/tests/layering.sh" >"$tmp/out" 2>&1; then
        fail "'$2' in $1 was not caught"
    fi
    grep -qF "$1:2: $3" "$tmp/out" || fail "'$2' in $1: expected '$1:2: $3', got: $(cat "$tmp/out")"
    cp "$root/$1" "$tmp/tree/$1"
    echo "  caught: $(grep -F "$1:2:" "$tmp/out")"
}
check daq/store/run_data.c '#include "session.h"' 'includes "session.h" of daq/session, but daq/store may use only'
check daq/cli/cmd_gum.c '#include "model_priv.h"' 'includes "model_priv.h", private to uncertainty'
check daq/analysis/analysis.c '#include <hdf5.h>' 'includes <hdf5.h>: only daq/store/run_h5.c'
check drivers/device.c '#include "prof.h"' 'includes "prof.h" of profiles, but drivers may use only: common'
echo "layering_catches.sh: ok"
