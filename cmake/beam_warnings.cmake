# beam_warnings(target): the project's warning set; errors unless BEAM_WERROR is OFF.
function(beam_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(BEAM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
