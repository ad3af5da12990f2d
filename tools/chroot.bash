# A scratch Debian 12 to run things in as root, shared by tools/fresh-check
# and tools/deb-check (sourced, not run). The caller sets `root` (the folder
# to make), `keep` (1: leave it in place) and `work` (removed at exit unless
# keep=1), then calls:
#
#   chroot_make BASE MIRROR   copy the minbase tree BASE (never changed), or,
#                             BASE empty, debootstrap --variant=minbase
#                             bookworm from MIRROR (log in $work)
#   chroot_mount              /proc, /dev and a new /dev/pts instance inside,
#                             the root itself a private mount point
#
# chroot_cleanup, set as the EXIT trap here, unmounts in reverse order.
# Needs root; debootstrap only when no BASE is given.
mounted=()
chroot_cleanup() {
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[$i]}" 2>/dev/null || true; done
    if [ "$keep" = 1 ]; then echo "$(basename "$0"): kept $root"; else rm -rf "$work"; fi
}
trap chroot_cleanup EXIT

chroot_make() {
    local base=$1 mirror=$2
    if [ -n "$base" ]; then
        echo "$(basename "$0"): copying the minbase tree $base"
        cp -a "$base" "$root"
    else
        command -v debootstrap >/dev/null ||
            { echo "$(basename "$0"): apt-get install debootstrap" >&2; return 1; }
        echo "$(basename "$0"): debootstrap --variant=minbase bookworm ($mirror)"
        debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
            { tail -20 "$work/debootstrap.log" >&2; return 1; }
    fi
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
}

chroot_mount() {
    # The root is a (private) mount point, as on any installed system: the
    # tests make private mount namespaces (unshare -m), which needs one.
    mount --bind "$root" "$root"
    mount --make-private "$root"
    mounted+=("$root")
    for m in proc dev dev/pts; do
        mkdir -p "$root/$m"
        case $m in
            proc) mount -t proc proc "$root/proc" ;;
            # a slave: nothing mounted under it here goes back to the host's /dev
            dev) mount --bind /dev "$root/dev" && mount --make-rslave "$root/dev" ;;
            dev/pts) mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts" ;;
        esac
        mounted+=("$root/$m")
    done
    # With a new devpts instance, /dev/ptmx must be the one of that instance.
    if [ -e "$root/dev/pts/ptmx" ]; then
        mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
        mounted+=("$root/dev/ptmx")
    fi
}
