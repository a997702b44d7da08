// examples/custom_type.cpp: converting a type of your own to terms and back.
//
// beam::to_term and beam::from_term<T> know the standard types (integers, strings, vectors, tuples, maps,
// ...). To teach them your own type, specialise beam::convert<T> with two functions, `to` and `from`. Here a
// point {x, y} becomes the tuple {:point, x, y}, the way an Elixir program tags a record with its name.
#include <cstdint>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include <beam/beam.hpp>
#include <beam/convert.hpp>

using namespace beam::literals;

struct point {
  std::int64_t x;
  std::int64_t y;
};

template <>
struct beam::convert<point> {
  static term to(const point& p) { return beam::tuple("point"_a, p.x, p.y); }

  // Reuses the built-in conversion of a 3-tuple, which checks the kind and arity of `t` and the kinds of its
  // elements; only the tag is left to check.
  static point from(const term& t) {
    auto [tag, x, y] = beam::from_term<std::tuple<beam::atom, std::int64_t, std::int64_t>>(t);
    if (tag != "point"_a) throw beam::bad_term_access("a {:point, x, y} tuple for point", t.kind());
    return {x, y};
  }
};

int main() {
  beam::term t = beam::to_term(point{3, -4});
  fmt::print("{}\n", t);  // {:point, 3, -4}

  point p = beam::from_term<point>(beam::parse("{:point, 10, 20}"));
  fmt::print("x = {}, y = {}\n", p.x, p.y);

  // Once convert<point> exists, containers of points convert too.
  std::vector<point> path{{0, 0}, {1, 2}};
  fmt::print("{}\n", beam::to_term(path));  // [{:point, 0, 0}, {:point, 1, 2}]

  // A term of another shape is refused with a message that says what was expected.
  for (const char* text : {"{:line, 1, 2}", "{:point, 1}", "{:point, 1, 2.5}"}) {
    try {
      (void)beam::from_term<point>(beam::parse(text));
    } catch (const beam::bad_term_access& e) {
      fmt::print("{} -> {}\n", text, e.what());
    }
  }
}
