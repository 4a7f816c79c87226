#ifndef TANDEM_CONFIG_HPP
#define TANDEM_CONFIG_HPP

/// @file Build-time configuration of Tandem.
///
/// `TANDEM_DECL` marks non-template functions defined in headers. It is `inline` today so the
/// library stays header-only; a later `tandem/src.hpp` can redefine it for separate compilation.
#ifndef TANDEM_DECL
#define TANDEM_DECL inline
#endif

#define TANDEM_VERSION_MAJOR 0
#define TANDEM_VERSION_MINOR 1
#define TANDEM_VERSION_PATCH 0
/// Version as one number: major * 10000 + minor * 100 + patch.
#define TANDEM_VERSION (TANDEM_VERSION_MAJOR * 10000 + TANDEM_VERSION_MINOR * 100 + TANDEM_VERSION_PATCH)

// TANDEM_HAS_TLS and TANDEM_HAS_SRTP come from the CMake target (options TANDEM_WITH_TLS /
// TANDEM_WITH_SRTP). Default them to 0 for builds that do not go through CMake.
#ifndef TANDEM_HAS_TLS
#define TANDEM_HAS_TLS 0
#endif
#ifndef TANDEM_HAS_SRTP
#define TANDEM_HAS_SRTP 0
#endif

#endif
