# shellcheck shell=bash
# Shared by scripts/test and scripts/demo (sourced, not run).

# shellcheck disable=SC2034 # TANDEM_ROOT and TANDEM_PACKAGES are used by the sourcing scripts
TANDEM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# What building, testing, fuzzing, benchmarking and the demo need on Debian 12. The end-to-end
# tests (tests/e2e/) run real phones (baresip-core, linphone-cli) in network namespaces (iproute2),
# capture the wire (tcpdump) and check it and their recordings with python3.
TANDEM_PACKAGES=(
    g++ clang-14 libclang-rt-14-dev cmake ninja-build pkg-config
    libasio-dev libfmt-dev catch2 libssl-dev libsrtp2-dev
    libsofia-sip-ua-dev libosip2-dev libbenchmark-dev sip-tester clang-format
    baresip-core linphone-cli tcpdump python3 iproute2
)

banner() {
    printf '\n==================== %s ====================\n' "$*"
}

# Installs the missing packages of TANDEM_PACKAGES with apt-get (as root, or through sudo);
# does nothing, not even `apt-get update`, when all are there.
ensure_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "packages: no dpkg here, assuming the tools of ${TANDEM_PACKAGES[*]} are installed"
        return 0
    fi
    local missing=() pkg
    for pkg in "${TANDEM_PACKAGES[@]}"; do
        # `dpkg -s` also succeeds for removed packages whose config files remain: ask for the state.
        [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" == installed ]] || missing+=("$pkg")
    done
    if ((${#missing[@]} == 0)); then
        echo "packages: all ${#TANDEM_PACKAGES[@]} present"
        return 0
    fi
    echo "packages: installing ${missing[*]}"
    local sudo=()
    if ((EUID != 0)); then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "error: not root and no sudo; install: ${missing[*]}" >&2
            return 1
        fi
        sudo=(sudo)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# CMake reads CMAKE_CXX_COMPILER_LAUNCHER from the environment on the first configure.
use_ccache_if_installed() {
    if [[ -n "${CCACHE_DISABLE:-}" ]]; then
        echo "ccache: disabled by CCACHE_DISABLE"
    elif command -v ccache >/dev/null 2>&1; then
        export CMAKE_CXX_COMPILER_LAUNCHER=ccache
        echo "ccache: on ($(command -v ccache))"
    else
        echo "ccache: not installed, building without it"
    fi
}

# Human-readable duration of N seconds.
format_duration() {
    printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}
