# Install the headers, the tandem and tandem_asio targets (as tandem::tandem, tandem::asio) and a
# config package under share/tandem. The package is architecture-independent: the library is
# header-only and its dependencies are found again by the consumer (tandemConfig.cmake.in).
include(CMakePackageConfigHelpers)

set(TANDEM_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/tandem" CACHE STRING
    "Where tandemConfig.cmake is installed, relative to the prefix")
mark_as_advanced(TANDEM_INSTALL_CMAKEDIR)

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        COMPONENT tandem_development)

install(TARGETS tandem tandem_asio EXPORT tandemTargets)
install(
    EXPORT tandemTargets
    NAMESPACE tandem::
    DESTINATION "${TANDEM_INSTALL_CMAKEDIR}"
    COMPONENT tandem_development)

configure_package_config_file(
    "${PROJECT_SOURCE_DIR}/cmake/tandemConfig.cmake.in" "${PROJECT_BINARY_DIR}/tandemConfig.cmake"
    INSTALL_DESTINATION "${TANDEM_INSTALL_CMAKEDIR}")
# SameMinorVersion while 0.x: 0.1 and 0.2 may break each other.
write_basic_package_version_file(
    "${PROJECT_BINARY_DIR}/tandemConfigVersion.cmake"
    COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)

install(FILES "${PROJECT_BINARY_DIR}/tandemConfig.cmake" "${PROJECT_BINARY_DIR}/tandemConfigVersion.cmake"
        DESTINATION "${TANDEM_INSTALL_CMAKEDIR}" COMPONENT tandem_development)
