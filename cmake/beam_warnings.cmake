# beam_warnings(target): the project's warning set; errors unless BEAM_WERROR is OFF.
function(beam_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  # GCC 12 reports -Wrestrict falsely for `"text" + std::string` at -O2 (GCC bug 105651).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  # With sanitizers GCC's -Wmaybe-uninitialized fires inside libstdc++ (std::regex, std::function) on correct code.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_FLAGS MATCHES "sanitize")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
  if(BEAM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# beam_program(target): a program built on the library (a test, an example, the tool): the warning set, then
# BEAM_PROGRAM_OPTIMIZATION, which comes after the build type's flags and so wins over them.
function(beam_program target)
  beam_warnings(${target})
  target_compile_options(${target} PRIVATE ${BEAM_PROGRAM_OPTIMIZATION})
endfunction()
