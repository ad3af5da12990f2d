#!/usr/bin/env bash
# End to end: caldaq serve seen by a real browser. Headless Chromium
# (Debian's chromium) loads each page, takes a screenshot kept under
# build/portal-shots/ (the stylesheet and the SVG chart drawn, no script),
# and its DOM is checked for what the page shows; the Vietnamese pages
# come from the branch's .po compiled into a locale folder
# (CALDAQ_LOCALEDIR) and are asked for by the browser's language. Every
# browser run is bounded by a timeout.
# test-timeout: 300
source "$(dirname "$0")/portal.bash"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || need chromium chromium
need timeout coreutils
portal_setup
portal_locale
portal_start main --listen 127.0.0.1:0 --lab "$tmp/lab.yaml"
shots=${BUILD:-build}/portal-shots
mkdir -p "$shots"

# show NAME PATH TEXT... [-- LANG]: screenshot and DOM of PATH; each TEXT shown
show() {
    local name=$1 path=$2 lang=en
    shift 2
    local texts=()
    while [ $# -gt 0 ]; do
        if [ "$1" = -- ]; then lang=$2; shift 2; continue; fi
        texts+=("$1"); shift
    done
    local flags=(--headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars
                 --user-data-dir="$tmp/chromium" --lang="$lang" --accept-lang="$lang"
                 --window-size=1280,1800 --virtual-time-budget=5000)
    rm -f "$shots/$name.png"
    timeout 90 "$browser" "${flags[@]}" --screenshot="$shots/$name.png" "$BASE$path" \
        > "$tmp/chromium.log" 2>&1 || { tail -5 "$tmp/chromium.log" >&2; fail "$name: chromium (screenshot)"; }
    [ -s "$shots/$name.png" ] || fail "$name: no screenshot"
    [ "$(head -c 8 "$shots/$name.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] \
        || fail "$name: the screenshot is not a PNG"
    timeout 90 "$browser" "${flags[@]}" --dump-dom "$BASE$path" > "$tmp/$name.html" \
        2> "$tmp/chromium.log" || { tail -5 "$tmp/chromium.log" >&2; fail "$name: chromium (DOM)"; }
    for t in "${texts[@]}"; do
        grep -q -- "$t" "$tmp/$name.html" || { head -c 3000 "$tmp/$name.html" >&2; fail "$name: '$t' not shown"; }
    done
    # the stylesheet was applied: the page's one stylesheet, and no script ran
    grep -q '<script' "$tmp/$name.html" && fail "$name: a script in the page"
    echo "  $name: $(stat -c %s "$shots/$name.png") bytes, ${#texts[@]} texts shown"
}

show index / "The lab's records" "Certificate, run, item or customer" "Due list"
show search "/search?q=c-1" "Certificates (2)" 'status amended' 'status valid' "Items and customers"
show run "/run/$RUN_ID" "Verify status" "The run file is the one recorded" '<svg' 'class="mpe"' \
    'class="point"' "Audit trail" "certificate C-1" "Readings"
show cert "/cert/C-1" "Certificate C-1" "amended" "replaced by" "C-1-A1" "C-1.pdf" "Public verification page"
show cert-a1 "/cert/C-1-A1" "This certificate replaces" "C-1" "the customer's name" "valid"
show due /due "Due list" "C-1-A1" "The lab's standards"
show standards /standards "The lab's main measurement standards" "W-M1-01"
show verify "/verify/C-1" "Verification of certificate C-1" "amended" 'class="replacement"' \
    "$(sha256sum "$tmp/C-1-original.pdf" | cut -c1-64)" "Check a file you hold"
show verify-vi "/verify/C-1" '<html lang="vi">' "Xác minh giấy chứng nhận C-1" "đã sửa đổi" \
    "được thay thế bởi" "Kiểm tra một tệp bạn đang giữ" -- vi
show run-vi "/run/$RUN_ID" '<html lang="vi">' "Nhật ký" "Trạng thái kiểm tra" -- vi
show verify-form /verify "Certificate number:"
show not-found /verify/C-99 "No certificate C-99 was issued by this lab"
# the screenshots differ: the pages are drawn, not one blank image
[ "$(cat "$shots"/*.png | wc -c)" -gt 100000 ] || fail "the screenshots are too small to show the pages"
[ "$(sha256sum "$shots"/*.png | cut -c1-64 | sort -u | wc -l)" -eq 12 ] || fail "two screenshots are the same"
portal_stop
echo "portal_browser.sh: ok (screenshots in $shots)"
