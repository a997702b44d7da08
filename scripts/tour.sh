#!/usr/bin/env bash
# scripts/tour.sh: the main job. Installs what is missing, builds the release preset, and runs the tour: the
# lesson's claims about processes checked live (`beampp tour`), then its terms as iex prints them and through the
# external term format with the beampp tool.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh tour
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)" --target beampp example_lesson_terms example_custom_type >/dev/null
bin=build/release

"$bin/tools/beampp" tour
echo
echo "== The lesson's terms, as iex prints them (examples/lesson_terms.cpp)"
"$bin/examples/example_lesson_terms"
echo
echo "== A user type through beam::convert (examples/custom_type.cpp)"
"$bin/examples/example_custom_type"
echo
echo "== beampp etf encode | beampp etf decode"
line="[\"message\", :can, {'be', \"any\"}, :data]"
echo "in:  $line"
echo "out: $(printf '%s' "$line" | "$bin/tools/beampp" etf encode | "$bin/tools/beampp" etf decode)"
echo "erl: $(printf '%s' "$line" | "$bin/tools/beampp" etf encode | "$bin/tools/beampp" etf decode --erlang)"
