#ifndef TANDEM_VERSION_HPP
#define TANDEM_VERSION_HPP

#include <tandem/config.hpp>

namespace tandem {
/// The library version as "major.minor.patch".
inline constexpr const char* version_string = "0.1.0";
} // namespace tandem

#endif
