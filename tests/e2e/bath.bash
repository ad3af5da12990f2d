# Sourced (after common.bash) by the end-to-end scripts of a thermometer
# calibrated in a bath against the simulators (temperature.sh,
# prt_curve.sh): the register with its standards in date, the two
# thermometer-readout simulators, the batch session with both sides
# presented the bath's temperature, and the certificate with its DCC
# checked against PTB's schema and its signatures verified.
show() { echo "--- $1" >&2; cat "$1" >&2; }
: "${REFERENCE_DIR:=../shared/reference}"
sed -e 's/due: 20[0-9][0-9]-/due: 2099-/' tests/fixtures/standards/example-lab-fixed-dates.yaml > "$tmp/reg.yaml"

bath_sim() { # bath_sim NAME DRIVER SEED NOISE
    "$CALDAQ" sim "$2" --port-link "$tmp/$1" --control "$tmp/$1.ctl" --advance 0 --settle 0 \
        --loads 20 --noise "$4" --seed "$3" </dev/null >"$tmp/$1.out" 2>&1 &
    pids+=($!)
    wait_for "$tmp/$1"
    wait_for "$tmp/$1.ctl"
}

# bath_session PROFILE WHAT [--set OPTION]...: the item on $tmp/item, the
# reference on $tmp/ref; sets $run, the run file, verified.
bath_session() {
    local profile=$1 what=$2
    shift 2
    local window=(stable_n=2 stable_s=0.01)
    mkdir -p "$tmp/runs"
    "$CALDAQ" session --profile "$profile" --standards "$tmp/reg.yaml" --port "$tmp/item" "$@" \
        --set "${window[0]}" --set "${window[1]}" --sim-control "$tmp/item.ctl" \
        --ref-port "$tmp/ref" --ref-set "${window[0]}" --ref-set "${window[1]}" \
        --ref-sim-control "$tmp/ref.ctl" --batch --out "$tmp/runs" --env 21,45 \
        > "$tmp/session.out" 2>&1 || { show "$tmp/session.out"; fail "the $what did not complete"; }
    run=$(ls "$tmp"/runs/*.h5)
    "$CALDAQ" verify "$run" > /dev/null || fail "the run does not verify"
}

# bath_cert NUMBER SERIAL WHAT: the certificate of $run in $tmp/cert, its
# DCC valid, its files verified with the lab's key.
bath_cert() {
    local number=$1 serial=$2 what=$3
    "$CALDAQ" cert --keygen "$tmp/lab.key" > /dev/null
    sed -e "s|^signing_key: .*|signing_key: $tmp/lab.key|" examples/lab-example.yaml > "$tmp/lab.yaml"
    "$CALDAQ" cert "$run" --out "$tmp/cert" --lab "$tmp/lab.yaml" --item-serial "$serial" \
        --number "$number" > "$tmp/cert.out" 2>&1 || { show "$tmp/cert.out"; fail "no certificate"; }
    XML_CATALOG_FILES="$REFERENCE_DIR/dcc/catalog.xml" xmllint --nonet --noout \
        --schema "$REFERENCE_DIR/dcc/dcc.xsd" "$tmp/cert/$number.xml" 2> "$tmp/xmllint" \
        || { show "$tmp/xmllint"; fail "the DCC of the $what is not valid"; }
    "$CALDAQ" verify "$tmp/cert" --pub "$tmp/lab.key.pub" > /dev/null \
        || fail "caldaq verify fails on the certificate"
}
