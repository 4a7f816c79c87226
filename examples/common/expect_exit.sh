# Sourced by the examples' check_flags.sh: `expect STATUS PATTERN ARGS...` runs "$program" ARGS,
# which must exit STATUS with output matching PATTERN (an extended regex); any miss sets failed=1.
failed=0
expect() {
    local status=$1 pattern=$2 out rc
    shift 2
    out=$(timeout 10 "$program" "$@" 2>&1)
    rc=$?
    if ((rc != status)) || ! grep -qE -- "$pattern" <<<"$out"; then
        echo "FAIL $(basename "$program") $*: exit $rc, output: $out"
        failed=1
    else
        echo "ok   $(basename "$program") $*"
    fi
}
