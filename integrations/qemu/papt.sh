# A private apt configuration for packages of bookworm-backports (QEMU 10.0's
# source and binary, meson 1.7): its own sources list, lists and archive
# cache under $1/apt, so the system's apt sources are never touched (a mixed
# upgrade could replace libc).  Sourced by build.sh and debian-qemu10.sh.

papt_opts() {
    echo "-o Dir::Etc::SourceList=$1/apt/sources.list -o Dir::Etc::SourceParts=/dev/null" \
         "-o Dir::State::Lists=$1/apt/lists -o Dir::Cache=$1/apt/cache -o APT::Sandbox::User=root"
}

# papt_update CACHE: write the sources list and fetch the lists (once per run)
papt_update() {
    apt="$1/apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    key=/usr/share/keyrings/debian-archive-keyring.gpg
    cat >"$apt/sources.list" <<EOS
deb [signed-by=$key] http://deb.debian.org/debian bookworm-backports main
deb-src [signed-by=$key] http://deb.debian.org/debian bookworm-backports main
EOS
    # shellcheck disable=SC2046
    apt-get $(papt_opts "$1") -qq update >"$apt/update.log" 2>&1 ||
        { cat "$apt/update.log" >&2; echo "papt: apt-get update failed" >&2; return 1; }
}

# papt_get CACHE ARGS...: apt-get with the private configuration
papt_get() {
    c=$1
    shift
    # shellcheck disable=SC2046
    apt-get $(papt_opts "$c") -qq "$@"
}
