# Third-party dependencies of the tandem target. Developer-only dependencies (Catch2, Google
# Benchmark, sofia-sip, osip2) are found in the subdirectories that use them.

set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
find_package(fmt 9 REQUIRED)

if(TANDEM_WITH_TLS)
    find_package(OpenSSL 3 REQUIRED)
endif()

if(TANDEM_WITH_SRTP AND NOT TANDEM_WITH_TLS)
    # SRTP, DTLS-SRTP and ZRTP are Tandem's own, on OpenSSL (include/tandem/srtp/, zrtp/)
    message(FATAL_ERROR "TANDEM_WITH_SRTP needs OpenSSL: turn TANDEM_WITH_TLS on too")
endif()

# Asio (standalone, Debian's libasio-dev) ships neither a CMake package nor a .pc file: wrap it
# in our own INTERFACE target, exported as tandem::asio.
find_path(TANDEM_ASIO_INCLUDE_DIR asio.hpp REQUIRED DOC "Directory holding standalone Asio's asio.hpp")
add_library(tandem_asio INTERFACE)
add_library(tandem::asio ALIAS tandem_asio)
set_target_properties(tandem_asio PROPERTIES EXPORT_NAME asio)
target_include_directories(tandem_asio SYSTEM INTERFACE $<BUILD_INTERFACE:${TANDEM_ASIO_INCLUDE_DIR}>)
target_link_libraries(tandem_asio INTERFACE Threads::Threads)
# ASIO_HAS_CO_AWAIT: asio 1.22 does not detect coroutines for clang + libstdc++ (STYLE.md 4.5.1).
# The generator expression is evaluated in the consumer's build, so it fixes every user.
target_compile_definitions(tandem_asio INTERFACE ASIO_NO_DEPRECATED
                                                 $<$<CXX_COMPILER_ID:Clang>:ASIO_HAS_CO_AWAIT=1>)
