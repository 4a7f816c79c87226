# shellcheck shell=bash
# Sourced by the examples' check_flags.sh: `expect STATUS PATTERN ARGS...` runs "$program" ARGS,
# which must exit STATUS with output matching PATTERN (an extended regex); any miss sets failed=1.
# shellcheck disable=SC2034 # failed is the sourcing script's exit status
failed=0
expect() {
    local status=$1 pattern=$2 out rc
    shift 2
    # shellcheck disable=SC2154 # program: set by the sourcing script
    out=$(timeout 10 "$program" "$@" 2>&1)
    rc=$?
    if ((rc != status)) || ! grep -qE -- "$pattern" <<<"$out"; then
        echo "FAIL $(basename "$program") $*: exit $rc, output: $out"
        failed=1
    else
        echo "ok   $(basename "$program") $*"
    fi
}
