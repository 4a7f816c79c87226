# tandem_add_fuzzer(<name> SOURCES <file>... CORPUS <dir>)
#
# One fuzz target (a TU defining LLVMFuzzerTestOneInput), built one of two ways:
# - TANDEM_BUILD_FUZZERS=ON (clang, `fuzz` preset): a libFuzzer binary. The preset compiles
#   everything with -fsanitize=fuzzer-no-link; only these executables link -fsanitize=fuzzer.
# - otherwise (any compiler): a plain executable with fuzz/replay_main.cpp as its main
#   (fmt's LINKMAIN idea).
# Either way ctest gets `replay_<name>`, which runs every input of CORPUS once.
function(tandem_add_fuzzer name)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "CORPUS" "SOURCES")
    if(NOT arg_SOURCES OR NOT arg_CORPUS)
        message(FATAL_ERROR "tandem_add_fuzzer(${name}): SOURCES and CORPUS are required")
    endif()

    add_executable(${name} ${arg_SOURCES})
    target_link_libraries(${name} PRIVATE tandem::tandem)
    tandem_warnings(${name})

    if(TANDEM_BUILD_FUZZERS)
        target_link_options(${name} PRIVATE -fsanitize=fuzzer)
        # -runs=0: execute the corpus inputs, no mutations, nothing written to the folder.
        set(replay_command $<TARGET_FILE:${name}> -runs=0 ${arg_CORPUS})
    else()
        target_sources(${name} PRIVATE "${PROJECT_SOURCE_DIR}/fuzz/replay_main.cpp")
        set(replay_command $<TARGET_FILE:${name}> ${arg_CORPUS})
    endif()

    add_test(NAME replay_${name} COMMAND ${replay_command})
    set_tests_properties(replay_${name} PROPERTIES LABELS "fuzz;replay")
endfunction()

if(TANDEM_BUILD_FUZZERS AND NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "TANDEM_BUILD_FUZZERS needs clang (libFuzzer); use the `fuzz` preset, "
                        "or TANDEM_FUZZ_REPLAY with other compilers")
endif()
