#!/usr/bin/env bash
# Runs sipcheck over Tandem's own torture messages and the shared RFC 4475 / RFC 5118 ones and
# compares every verdict with the expected one.
#
#   conformance/run.sh SIPCHECK [SHARED_DIR]
#
# SIPCHECK    the sipcheck executable
# SHARED_DIR  the shared conformance folder (rfc4475/, rfc5118/); default <repo>/../shared/conformance.
#             When it does not exist its cases are skipped with a message (not a failure).
#
# Own cases: conformance/messages/{valid,semantic,invalid}/NAME.sip with NAME.expect
# ("plain: V" and "uas: V"). Shared cases: conformance/expected/shared.tsv (path, plain, uas).
# A verdict V is "ok request METHOD" / "ok response CODE" (compared whole), "invalid" (only the
# word is compared: sipcheck prints "invalid: REASON") or "respond CODE" (only the code).
#
# For every file and mode (plain, --uas) it checks: the printed line, the exit status (0 iff ok),
# and that "sipcheck - < FILE" prints the same verdict with the same status. It also checks
# batches (several files in one run), a missing file and an empty stdin. One line per mismatch,
# then "N passed, M failed"; the exit status is non-zero on any failure.

set -u

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 SIPCHECK [SHARED_DIR]" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
sipcheck="$1"
shared="${2:-$repo/../shared/conformance}"

if [[ ! -x "$sipcheck" ]]; then
    echo "run.sh: '$sipcheck' is not an executable file" >&2
    exit 2
fi

timeout_cmd=()
if command -v timeout >/dev/null 2>&1; then
    timeout_cmd=(timeout 30)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
good() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    printf 'FAIL %s\n' "$*"
}

# run [ARGS...]: runs sipcheck; sets OUT (stdout, without the final newline), ERR and RC.
# Standard input comes from the caller's redirection, or /dev/null.
run() {
    "${timeout_cmd[@]}" "$sipcheck" "$@" >"$tmp/out" 2>"$tmp/err"
    RC=$?
    OUT="$(cat "$tmp/out")"
    ERR="$(cat "$tmp/err")"
}

# crashed LABEL: a failure line if RC says signal or timeout. Returns 0 if it crashed.
crashed() {
    if ((RC == 124)); then
        bad "$1: sipcheck timed out"
        return 0
    fi
    if ((RC >= 128)); then
        bad "$1: sipcheck died with signal $((RC - 128))"
        return 0
    fi
    return 1
}

# matches EXPECTED VERDICT
matches() {
    local exp="$1" got="$2"
    case "$exp" in
    invalid) [[ "$got" == invalid || "$got" == invalid:* ]] ;;
    respond\ *) [[ "$got" =~ ^respond\ ${exp#respond }(\ |$) ]] ;;
    *) [[ "$got" == "$exp" ]] ;;
    esac
}

# is_ok VERDICT: the verdict counts as "ok" for the exit status.
is_ok() { [[ "$1" == "ok request "* || "$1" == "ok response "* ]]; }

declare -A LINE   # "mode<TAB>path" -> verdict printed for that single file

# check_file MODE PATH LABEL EXPECTED
check_file() {
    local mode="$1" path="$2" label="$3" exp="$4"
    local args=()
    [[ "$mode" == uas ]] && args=(--uas)

    run "${args[@]}" "$path" </dev/null
    crashed "$mode $label" && return
    local lines
    lines="$(printf '%s' "$OUT" | grep -c '' || true)"
    if [[ "$lines" != 1 ]]; then
        bad "$mode $label: expected one output line, got $lines: '${OUT//$'\n'/\\n}'"
        return
    fi
    if [[ "$OUT" != "$path: "* ]]; then
        bad "$mode $label: line does not start with the file name: '$OUT'"
        return
    fi
    local verdict="${OUT#"$path: "}" rc="$RC"
    LINE["$mode"$'\t'"$path"]="$verdict"
    if matches "$exp" "$verdict"; then good; else bad "$mode $label: expected '$exp', got '$verdict'"; fi
    if is_ok "$verdict"; then
        if ((rc == 0)); then good; else bad "$mode $label: '$verdict' but exit status $rc (want 0)"; fi
    else
        if ((rc != 0)); then good; else bad "$mode $label: '$verdict' but exit status 0 (want non-zero)"; fi
    fi

    # The same bytes on standard input.
    run "${args[@]}" - <"$path"
    crashed "$mode $label (stdin)" && return
    if [[ "$OUT" == "-: $verdict" && "$RC" == "$rc" ]]; then
        good
    else
        bad "$mode $label: stdin gave '$OUT' (status $RC), file gave '$path: $verdict' (status $rc)"
    fi
}

# ---- own messages ------------------------------------------------------------------------------

own=()
own_ok_plain=()
own_ok_uas=()
shopt -s nullglob
for path in "$here"/messages/valid/*.sip "$here"/messages/semantic/*.sip "$here"/messages/invalid/*.sip; do
    label="${path#"$here"/messages/}"
    expect="${path%.sip}.expect"
    if [[ ! -f "$expect" ]]; then
        bad "$label: no ${expect##*/}"
        continue
    fi
    plain_exp="$(sed -n 's/^plain: //p' "$expect")"
    uas_exp="$(sed -n 's/^uas: //p' "$expect")"
    if [[ -z "$plain_exp" || -z "$uas_exp" || "$(grep -c '' "$expect")" != 2 ]]; then
        bad "$label: ${expect##*/} must hold exactly 'plain: V' and 'uas: V'"
        continue
    fi
    own+=("$path")
    is_ok "$plain_exp" && own_ok_plain+=("$path")
    is_ok "$uas_exp" && own_ok_uas+=("$path")
    check_file plain "$path" "$label" "$plain_exp"
    check_file uas "$path" "$label" "$uas_exp"
done
shopt -u nullglob
if ((${#own[@]} == 0)); then
    bad "no messages under $here/messages"
fi

# ---- batches: one invocation, many files ---------------------------------------------------------

# check_batch MODE WANT_ZERO FILES...: one line per file, in order, equal to the single runs; the
# exit status is 0 iff every file is ok (WANT_ZERO says which is expected).
check_batch() {
    local mode="$1" want_zero="$2"
    shift 2
    (($# == 0)) && return
    local args=()
    [[ "$mode" == uas ]] && args=(--uas)
    run "${args[@]}" "$@" </dev/null
    crashed "$mode batch of $# files" && return
    local -a got
    mapfile -t got <<<"$OUT"
    if ((${#got[@]} != $#)); then
        bad "$mode batch of $# files: got ${#got[@]} lines"
    else
        local i=0 p mism=0
        for p in "$@"; do
            local single="${LINE["$mode"$'\t'"$p"]-}"
            if [[ -n "$single" && "${got[$i]}" != "$p: $single" ]]; then
                mism=1
                bad "$mode batch: line $((i + 1)) '${got[$i]}' differs from the single run '$p: $single'"
            fi
            i=$((i + 1))
        done
        ((mism == 0)) && good
    fi
    if [[ "$want_zero" == yes ]]; then
        if ((RC == 0)); then good; else bad "$mode batch of $# ok files: exit status $RC (want 0)"; fi
    else
        if ((RC != 0)); then good; else bad "$mode batch with non-ok files: exit status 0 (want non-zero)"; fi
    fi
}

check_batch plain no "${own[@]}"
check_batch uas no "${own[@]}"
check_batch plain yes "${own_ok_plain[@]}"
check_batch uas yes "${own_ok_uas[@]}"

# ---- missing file, empty input -----------------------------------------------------------------

missing="$tmp/no-such-dir/missing.sip"
run "$missing" </dev/null
if ! crashed "missing file"; then
    if ((RC != 0)); then good; else bad "missing file: exit status 0 (want non-zero)"; fi
    if [[ "$OUT$ERR" == *"missing.sip"* ]]; then good; else bad "missing file: no line names it (stdout '$OUT', stderr '$ERR')"; fi
fi
if ((${#own_ok_plain[@]} > 0)); then
    first="${own_ok_plain[0]}"
    run "$first" "$missing" "$first" </dev/null
    if ! crashed "missing file among ok files"; then
        if ((RC != 0)); then good; else bad "missing file among ok files: exit status 0 (want non-zero)"; fi
        n=0
        while IFS= read -r l; do
            [[ "$l" == "$first: ok "* ]] && n=$((n + 1))
        done <<<"$OUT"
        if [[ "$n" == 2 ]]; then good; else bad "missing file among ok files: the other files were not all checked: '$OUT'"; fi
    fi
fi
run - </dev/null
if ! crashed "empty stdin"; then
    if [[ "$OUT" == "-: invalid"* && $RC -ne 0 ]]; then good; else bad "empty stdin: got '$OUT' (status $RC), want '-: invalid...' and non-zero"; fi
fi

# ---- shared RFC 4475 / RFC 5118 messages -------------------------------------------------------

table="$here/expected/shared.tsv"
if [[ ! -d "$shared" ]]; then
    echo "shared conformance folder '$shared' absent: its cases skipped"
elif [[ ! -f "$table" ]]; then
    bad "$table missing"
else
    sums_ok=1
    for sub in rfc4475 rfc5118; do
        if [[ ! -f "$shared/$sub/SHA256SUMS" ]]; then
            bad "shared: $sub/SHA256SUMS missing"
            sums_ok=0
        elif ! (cd "$shared/$sub" && sha256sum --quiet -c SHA256SUMS >"$tmp/sums" 2>&1); then
            bad "shared: $sub/SHA256SUMS does not verify: $(tr '\n' ' ' <"$tmp/sums")"
            sums_ok=0
        else
            good
        fi
    done
    if ((sums_ok == 0)); then
        echo "shared cases skipped: their bytes are not the pinned ones"
    else
        shared_files=()
        while IFS=$'\t' read -r rel plain_exp uas_exp rest; do
            [[ -z "$rel" || "$rel" == path || "$rel" == \#* ]] && continue
            if [[ -n "${rest-}" || -z "$uas_exp" ]]; then
                bad "shared.tsv: malformed row for '$rel'"
                continue
            fi
            if [[ ! -f "$shared/$rel" ]]; then
                bad "shared: $rel listed in shared.tsv but absent"
                continue
            fi
            shared_files+=("$shared/$rel")
            check_file plain "$shared/$rel" "$rel" "$plain_exp"
            check_file uas "$shared/$rel" "$rel" "$uas_exp"
        done <"$table"
        check_batch plain no "${shared_files[@]}"
    fi
fi

echo "$pass passed, $fail failed"
((fail == 0))
