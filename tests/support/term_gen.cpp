#include "support/term_gen.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "base/utf8.hpp"

namespace beam::testing {
namespace {

const char* const atom_texts[] = {
    "ok",
    "error",
    "hello",
    "true",
    "false",
    "nil",
    "undefined",
    "hello world",
    "Elixir.Foo",
    "Elixir.Foo.Bar",
    "foo?",
    "ok!",
    "9a",
    "_x",
    "@",
    "+",
    "--",
    "===",
    "é",
    "привет",
    "héllo",
    "a\"b",
    "a'b",
    "",
    "A",
    "a.b",
    "Elixir",
    "Foo",
    "nonode@nohost",
    "with\nnewline",
    "\\",
    "😀",
    "__struct__x",
    "foo@bar",
    "a b c",
    "||",
    "&&&",
    "..",
    "...",
    "<<>>",
    "%{}",
    "{}",
    "%",
    "::",
    "!",
    "^",
    "=>",
    "->",
    "when",
    "do",
    "end",
    "fn",
    "Elixir.",
};

const char* const binary_texts[] = {
    "",          "any",      "message",     "hello world",      "tab\there",
    "new\nline", "quote\"s", "back\\slash", "#{interp}",        "é",
    "привет",    "😀 emoji",  "\x1b[0m",     "nul\0byte",        "bell\a",
    "\x7f",      "\xff\xfe", "\xc3\x28",    "plain ascii text", "'single'",
    "#",         "\\#{",     "esc\x1b",     "\v\f\b\r",
};

}  // namespace

term term_generator::integer() {
  static const std::int64_t edges[] = {0,
                                       1,
                                       -1,
                                       42,
                                       255,
                                       256,
                                       -256,
                                       65535,
                                       2147483647,
                                       -2147483648LL,
                                       2147483648LL,
                                       -2147483649LL,
                                       std::numeric_limits<std::int64_t>::max(),
                                       std::numeric_limits<std::int64_t>::min(),
                                       134217727,
                                       1'000'000};
  if (chance(40)) return edges[below(std::size(edges))];
  if (chance(50)) return static_cast<std::int64_t>(below(1000)) - 500;
  return static_cast<std::int64_t>(rng_());
}

term term_generator::big_integer() {
  std::vector<std::uint8_t> magnitude(9 + below(chance(10) ? 300 : 24));
  for (auto& b : magnitude) b = static_cast<std::uint8_t>(below(256));
  magnitude.back() |= 1;
  return make_integer(chance(50), magnitude);
}

term term_generator::floating() {
  static const double edges[] = {0.0,
                                 -0.0,
                                 1.0,
                                 -1.0,
                                 0.1,
                                 1.0e20,
                                 1.0e-4,
                                 0.001,
                                 123456789.0,
                                 1.0e15,
                                 1.0e16,
                                 1.0e21,
                                 1.0e22,
                                 3.14159,
                                 5.0e-324,
                                 1.7976931348623157e308,
                                 2.2250738585072014e-308,
                                 9007199254740993.0,
                                 0.5,
                                 100.0,
                                 1.0e-10,
                                 1.5e300,
                                 -2.5e-300};
  if (chance(50)) return edges[below(std::size(edges))];
  if (chance(50)) return static_cast<double>(static_cast<std::int64_t>(below(2000000)) - 1000000) / 1000.0;
  double d;
  do {
    std::uint64_t bits = rng_();
    std::memcpy(&d, &bits, sizeof d);
  } while (!std::isfinite(d));
  return d;
}

term term_generator::atom_term() {
  if (chance(80)) return atom(atom_texts[below(std::size(atom_texts))]);
  std::string text;
  const std::size_t n = below(12);
  for (std::size_t i = 0; i < n; ++i) {
    static const char32_t alphabet[] = {'a', 'b', 'z', 'A', 'Z',  '_',   '0',    '9',
                                        '?', '!', ' ', '@', 0xE9, 0x43F, 0x1F600};
    utf8::append(text, alphabet[below(std::size(alphabet))]);
  }
  return atom(text);
}

term term_generator::binary_term() {
  if (chance(60)) {
    const char* text = binary_texts[below(std::size(binary_texts))];
    const std::size_t len = std::string_view(text) == "nul" ? 3 : std::char_traits<char>::length(text);
    if (std::string_view(text).starts_with("nul")) return binary(std::string_view("nul\0byte", 8));
    return binary(std::string_view(text, len));
  }
  std::string bytes(below(40), '\0');
  for (auto& c : bytes) c = static_cast<char>(chance(70) ? 32 + below(95) : below(256));
  return binary(bytes);
}

term term_generator::bitstring_term() {
  std::vector<std::uint8_t> bytes(1 + below(6));
  for (auto& b : bytes) b = static_cast<std::uint8_t>(below(256));
  return bitstring(bytes, (bytes.size() - 1) * 8 + 1 + below(7));
}

term term_generator::charlist_term() {
  static const char* const texts[] = {"be",        "hello", "a b",    "tab\t", "quote'",
                                      "new\nline", "é",     "привет", "😀"};
  return charlist(texts[below(std::size(texts))]);
}

term term_generator::any(int depth) {
  const bool leaf = depth >= options_.max_depth || chance(45);
  if (!leaf) return container(depth);
  switch (below(12)) {
    case 0:
      return big_integer();
    case 1:
      return floating();
    case 2:
      return atom_term();
    case 3:
      return binary_term();
    case 4:
      return bitstring_term();
    case 5:
      return charlist_term();
    case 6:
      return term();
    case 7:
      // OTP 25 decodes a pid of its own node only with a 15-bit number and a 13-bit serial.
      if (options_.pids_and_references)
        return pid(static_cast<std::uint32_t>(below(1 << 15)), static_cast<std::uint32_t>(below(8)));
      return integer();
    case 8:
      if (options_.pids_and_references) {
        const std::uint32_t words[3] = {static_cast<std::uint32_t>(below(1 << 18)),
                                        static_cast<std::uint32_t>(rng_()),
                                        static_cast<std::uint32_t>(rng_())};
        return reference(this_node(), words);
      }
      return integer();
    case 9:
      if (options_.funs) {
        return export_fun{atom(chance(50) ? "lists" : "Elixir.Enum"), atom(chance(50) ? "map" : "reduce"),
                          static_cast<std::uint8_t>(below(4))};
      }
      return floating();
    default:
      return integer();
  }
}

term term_generator::container(int depth) {
  const std::size_t n = chance(3) ? 256 + below(10) : below(6);
  std::vector<term> elements;
  switch (below(5)) {
    case 0:
      for (std::size_t i = 0; i < n; ++i) elements.push_back(any(depth + 1));
      return make_tuple(std::move(elements));
    case 1: {
      for (std::size_t i = 0; i < n; ++i) elements.push_back(any(depth + 1));
      term tail = chance(15) ? any(depth + 1) : term();
      return make_list(std::move(elements), tail);
    }
    case 2: {  // byte lists (STRING_EXT) and keyword lists
      if (chance(50)) {
        for (std::size_t i = 0; i < n + 1; ++i) elements.emplace_back(static_cast<std::int64_t>(below(256)));
      } else {
        for (std::size_t i = 0; i < n; ++i) elements.push_back(tuple(atom_term(), any(depth + 1)));
      }
      return make_list(std::move(elements));
    }
    default: {
      std::vector<map_entry> entries;
      const std::size_t keys =
          options_.big_maps && chance(10) ? 33 + below(10) : std::min<std::size_t>(n, 32);
      for (std::size_t i = 0; i < keys; ++i) {
        term key = chance(60) ? atom_term() : any(depth + 1);
        if (key.is_atom() && key.as_atom().text().starts_with("__struct__")) key = integer();
        entries.emplace_back(std::move(key), any(depth + 1));
      }
      term m = make_map(std::move(entries));
      return m.as_map().size() > 32 && !options_.big_maps ? term() : m;
    }
  }
}

}  // namespace beam::testing
