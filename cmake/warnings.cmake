# tandem_warnings(<target>): the warning set of STYLE.md 3.11 (from cmake-init's flags-gcc-clang)
# for Tandem's own tests, examples, fuzzers and benchmarks. Never applied to the INTERFACE
# target, so consumers keep their own flags. Third-party headers come in as SYSTEM and stay quiet.
function(tandem_warnings target)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
        return()
    endif()
    target_compile_options(
        ${target}
        PRIVATE -Wall
                -Wextra
                -Wpedantic
                -Wconversion
                -Wsign-conversion
                -Wshadow
                -Wold-style-cast
                -Wnon-virtual-dtor
                -Wimplicit-fallthrough
                $<$<BOOL:${TANDEM_WARNINGS_AS_ERRORS}>:-Werror>)
    # libstdc++ bounds/precondition checks everywhere except Release, where the benchmarks run.
    target_compile_definitions(${target} PRIVATE $<$<NOT:$<CONFIG:Release>>:_GLIBCXX_ASSERTIONS>)
endfunction()
