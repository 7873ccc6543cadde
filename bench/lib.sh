# Shell helpers shared by bench/run and bench/profile.  Source after
# test/lib.sh.

# Copy the extension's source into directory $2 and build and install it
# from there, so a build running in checkout $1 at the same time cannot
# hand this one half-written objects.  With BENCH_REVISION set, copy that
# git revision instead of the working tree.  Sets bench_source to a
# description of what was built.
bench_build_copy() {
    local top=$1 build=$2 changes
    mkdir -p "$build"
    if [ -n "${BENCH_REVISION:-}" ]; then
        git -C "$top" archive "$BENCH_REVISION" | tar -C "$build" -xf -
        bench_source="commit $(git -C "$top" log -1 --format='%h (%s)' "$BENCH_REVISION")"
    else
        tar -C "$top" --exclude=./.git --exclude=./bench -cf - . | tar -C "$build" -xf -
        changes=$(git -C "$top" status --porcelain -- src Makefile '*.sql' '*.control' | wc -l)
        bench_source="working tree at commit $(git -C "$top" log -1 --format='%h (%s)'), $changes files under src/ or of the build and SQL changed since"
    fi
    make -C "$build" -s clean >/dev/null
    ns_build_install "$build"
}
