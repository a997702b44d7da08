#!/usr/bin/env bash
# cmake/check_layering.sh SRC_DIR NAME=LIBRARY=BELOW... : fails when a module of src/ reaches one that is not
# below it. Each argument names a module, its static library and the modules right below it (comma-separated);
# a module may use those and, through them, every module further down. Two ways to reach up are caught:
#   - an #include "other/..." of a module's header, in src/NAME/*;
#   - a symbol the library needs (nm: undefined) that another module's library defines (strong definitions
#     only: the inline and template code every library carries a weak copy of belongs to no one).
# The build runs it after the libraries (CMakeLists.txt, target beam_layering).
set -euo pipefail
src=$1
shift

declare -A library below
names=()
for spec in "$@"; do
  IFS='=' read -r name path deps <<<"$spec"
  library[$name]=$path
  below[$name]=${deps//,/ }
  names+=("$name")
done

# reachable NAME: the modules NAME may use (itself included).
reachable() {
  local -A seen=([$1]=1)
  local queue=("$1") m d
  while ((${#queue[@]})); do
    m=${queue[0]}
    queue=("${queue[@]:1}")
    for d in ${below[$m]}; do
      [[ -n ${seen[$d]:-} ]] && continue
      seen[$d]=1
      queue+=("$d")
    done
  done
  echo "${!seen[@]}"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for name in "${names[@]}"; do
  allowed=" $(reachable "$name") "
  # Includes of a module's headers.
  for file in "$src/$name"/*.cpp "$src/$name"/*.hpp; do
    [[ -e $file ]] || continue
    while IFS= read -r used; do
      [[ -n ${library[$used]:-} && $allowed != *" $used "* ]] || continue
      echo "layering: ${file#"$src"/} includes a header of src/$used, which is not below src/$name (it may use:$allowed)" >&2
      failed=1
    done < <(sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$file" | sort -u)
  done
  # Strong definitions, and the symbols each library needs.
  nm -g --defined-only -P "${library[$name]}" 2>/dev/null | awk -v m="$name" '$2 ~ /^[TDBR]$/ {print $1, m}' >>"$work/defined"
  nm -g --undefined-only -P "${library[$name]}" 2>/dev/null | awk -v m="$name" -v a="$allowed" '{print $1, m, a}' >>"$work/needed"
done

# needed lines: SYMBOL MODULE ALLOWED...; a symbol defined by a module outside ALLOWED is a break.
awk 'NR == FNR { owner[$1] = $2; next }
     ($1 in owner) {
       ok = 0
       for (i = 3; i <= NF; i++) if ($i == owner[$1]) ok = 1
       if (!ok) print $1, $2, owner[$1]
     }' "$work/defined" "$work/needed" | sort -u >"$work/breaks"
while read -r symbol user owner; do
  echo "layering: src/$user uses $(c++filt "$symbol"), defined in src/$owner, which is not below it" >&2
  failed=1
done <"$work/breaks"

if ((failed)); then
  echo "layering: the modules of src/ must point down only (CMakeLists.txt, beam_module)" >&2
  exit 1
fi
