cmake_minimum_required(VERSION 3.25)
# cmake -DBUILD_DIR=<tandem build tree> -DPREFIX=<empty prefix> -P install.cmake
# Installs the build tree into a fresh prefix for the find_package() consumer.
foreach(var BUILD_DIR PREFIX)
    if(NOT ${var})
        message(FATAL_ERROR "install.cmake: ${var} is required")
    endif()
endforeach()
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" COMMAND_ERROR_IS_FATAL ANY)
if(NOT EXISTS "${PREFIX}/share/tandem/tandemConfig.cmake")
    message(FATAL_ERROR "install.cmake: no share/tandem/tandemConfig.cmake under ${PREFIX}")
endif()
