// term/parse.cpp: beam::parse, one term read from Elixir literal syntax; the inverse of beam::inspect.
//
// Design. A recursive-descent parser over the characters of the text: `value` looks at the next character and
// hands over to the reader of that kind of term (list, tuple, map, atom, number, ...), which asks the lexer
// (term/parse_lexer.hpp) for the tokens it expects; `<<...>>` has its own reader (term/parse_bits.hpp). The
// grammar is Elixir's for literals, checked rule by rule against `Code.eval_string` in Elixir 1.14:
//
//   value   = list | tuple | map | bits | atom | number | string | charlist | capture | alias
//             | true | false | nil
//   list    = "[" [ items [ "|" value ] [","] ] "]"     items: values, then keyword pairs (last)
//   tuple   = "{" [ value { "," value } [ "," pairs ] [","] ] "}"     `{1, a: 2}` is `{1, [a: 2]}`
//   map     = "%{" [ value "=>" value { "," value "=>" value } [ "," pairs ] [","] ] "}"
//   pairs   = key value { "," key value }     key: `a: `, `Foo: `, `é: `, `+: `, `"a b": `, `'x': `
//   capture = "&" (atom | alias) "." (identifier | operator | quoted) "/" integer    `&:lists.map/2`
//
// White space (space, tab, \n, \r\n) and `#` comments may stand between any two tokens, except that a comma
// may not start a line and a keyword key is glued to its colon and followed by white space (as in Elixir).
// Numbers take signs, `- 1` and `-?a` included.
//
// Bounds: containers nest at most max_nesting (1000) deep, so that hostile input cannot overflow the stack;
// atoms are at most 255 characters; integer and float segments of `<<>>` add up to at most 2^27 bits per
// call. Atoms go through beam::atom, so a full atom table throws beam::error(system_limit), not parse_error.
//
// Where this reads differently from Elixir, on purpose: it reads data, not code, so variables, calls,
// operators (`1 + 2`), sigils, heredocs, structs and interpolation are errors; `&Kernel.+/2` stays
// `&Kernel.+/2` (Elixir's compiler inlines it to `&:erlang.+/2`); unquoted non-ASCII atoms are kept as
// written (Elixir normalises them to NFC and rejects mixed scripts such as `:aп`; inspect quotes such atoms).
// As in Elixir, an unknown escape such as `\q` stands for the character itself.
//
// Rejected: a separate token stream (what a token is depends on where it stands: `"a b"` is a string, a key
// in `["a b": 1]` and a function name in `&:m."a b"/1`); an explicit stack instead of recursion (the depth
// bound keeps recursion safe, and the code reads as the grammar); calling into a real Elixir (a running BEAM
// as a dependency).
#include <beam/parse.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "base/utf8.hpp"
#include "term/parse_bits.hpp"
#include "term/parse_lexer.hpp"

namespace beam {

parse_error::parse_error(std::size_t line, std::size_t column, std::string expected)
    : std::runtime_error(fmt::format("line {}, column {}: {}", line, column, expected)),
      line_(line),
      column_(column),
      expected_(std::move(expected)) {}

namespace parse_detail {
namespace {

using namespace beam::literals;

// The deepest nesting of lists, tuples and maps: the parser recurses once per level.
constexpr int max_nesting = 1000;

bool is_upper(char c) noexcept {
  return c >= 'A' && c <= 'Z';
}
bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n';
}
bool is_alias_char(char c) noexcept {
  return is_upper(c) || (c >= 'a' && c <= 'z') || is_digit(c) || c == '_';
}

class parser {
 public:
  explicit parser(std::string_view text) : in_(text), bits_(in_) {}

  term document() {
    term t = value(0);
    in_.skip_space();
    if (!in_.at_end()) in_.fail("unexpected trailing input: expected the end after one term");
    return t;
  }

 private:
  term value(int depth) {
    in_.skip_space();
    const char c = in_.peek();
    switch (c) {
      case '[':
        return list(depth);
      case '{':
        return tuple(depth);
      case '%':
        return map(depth);
      case ':':
        return atom_literal();
      case '"':
        return binary(in_.quoted('"'));
      case '\'':
        return charlist_literal();
      case '&':
        return capture();
      case '?':
      case '-':
      case '+':
        return in_.number();
      case '<':
        if (in_.looking_at("<<")) return bits_.read();
        break;
      default:
        if (is_digit(c)) return in_.number();
        break;
    }
    return word();
  }

  void enter(int depth) const {
    if (depth >= max_nesting) in_.fail(fmt::format("nesting deeper than {} levels", max_nesting));
  }

  term list(int depth) {
    enter(depth);
    in_.expect("[", "'['");
    in_.skip_space();
    if (in_.consume("]")) return term();
    std::vector<term> elements;
    term tail;
    while (true) {
      if (auto key = keyword_key()) {
        append_keywords(elements, depth, *key, "]");
        break;
      }
      elements.push_back(value(depth + 1));
      in_.skip_space();
      if (in_.consume("|")) {
        tail = value(depth + 1);
        if (!in_.separator("]", "']' after the tail of the list")) {
          in_.fail("expected ']' after the tail of the list");
        }
        break;
      }
      if (in_.separator("]", "',', '|' or ']'")) break;
    }
    return make_list(std::move(elements), tail);
  }

  term tuple(int depth) {
    enter(depth);
    in_.expect("{", "'{'");
    in_.skip_space();
    std::vector<term> elements;
    if (in_.consume("}")) return make_tuple(std::move(elements));
    do {
      if (auto key = elements.empty() ? std::nullopt : keyword_key()) {
        std::vector<term> pairs;
        append_keywords(pairs, depth + 1, *key, "}");
        elements.push_back(make_list(std::move(pairs)));
        break;
      }
      elements.push_back(value(depth + 1));
    } while (!in_.separator("}", "',' or '}'"));
    return make_tuple(std::move(elements));
  }

  term map(int depth) {
    enter(depth);
    in_.expect("%", "'%'");
    if (!in_.consume("{")) {
      in_.fail(is_upper(in_.peek()) ? "structs (%Name{...}) are not supported" : "expected '{' after '%'");
    }
    in_.skip_space();
    std::vector<map_entry> entries;
    if (in_.consume("}")) return make_map(std::move(entries));
    do {
      if (auto key = keyword_key()) {
        for (auto& entry : keywords(depth, *key, "}")) entries.push_back(std::move(entry));
        break;
      }
      term key = value(depth + 1);
      in_.skip_space();
      in_.expect("=>", "'=>' after the map key");
      entries.emplace_back(std::move(key), value(depth + 1));
    } while (!in_.separator("}", "',' or '}'"));
    return make_map(std::move(entries));
  }

  // At the start of an element: the key of a keyword pair (`a: `, `"a b": `, `+: `), stepping over the colon;
  // nothing, the cursor unmoved, when the element is not one. An identifier or quoted text glued to a colon
  // must be a key (`[a:1]` is an error, as in Elixir); an operator is one only before ": " (`&:m.f/1` is
  // not).
  std::optional<atom> keyword_key() {
    in_.skip_space();
    const std::size_t at = in_.pos();
    const char c = in_.peek();
    std::string name = c == '"' || c == '\'' ? in_.quoted(c) : in_.identifier();
    const bool is_operator = name.empty() && c != '"' && c != '\'';
    if (is_operator) name = in_.operator_name();
    const bool glued = in_.peek() == ':' && in_.peek(1) != ':';
    const bool spaced = glued && (is_space(in_.peek(1)) || in_.looking_at(":\r\n"));
    if (!glued || (is_operator && (name.empty() || name == "::" || !spaced))) {
      in_.seek(at);
      return std::nullopt;
    }
    if (!spaced) in_.fail(at, "a keyword key must be followed by a space after its ':'");
    in_.consume(":");
    return in_.make_atom(at, name);
  }

  // The pairs `key: value, ...` up to and including `close`, the first key already read.
  std::vector<map_entry> keywords(int depth, atom key, std::string_view close) {
    std::vector<map_entry> pairs;
    const std::string expected = fmt::format("',' or '{}'", close);
    while (true) {
      pairs.emplace_back(key, value(depth + 1));
      if (in_.separator(close, expected)) return pairs;
      const auto next = keyword_key();
      if (!next) in_.fail("expected a keyword key: keyword pairs must come last");
      key = *next;
    }
  }

  // The same pairs as {key, value} tuples, appended to `out`.
  void append_keywords(std::vector<term>& out, int depth, atom key, std::string_view close) {
    for (auto& [k, v] : keywords(depth, key, close)) out.push_back(beam::tuple(std::move(k), std::move(v)));
  }

  // `:ok`, `:"quoted"`, `:'quoted'`, `:+`, `:Foo`.
  atom atom_literal() {
    const std::size_t at = in_.pos();
    in_.expect(":", "':'");
    const char c = in_.peek();
    if (c == '"' || c == '\'') return in_.make_atom(at, in_.quoted(c));
    if (const auto op = in_.operator_name(); !op.empty()) return in_.make_atom(at, op);
    if (const auto name = in_.identifier(); !name.empty()) return in_.make_atom(at, name);
    in_.fail(at, "expected an atom name after ':'");
  }

  term charlist_literal() {
    const std::size_t at = in_.pos();
    const std::string bytes = in_.quoted('\'');
    if (!utf8::valid(bytes)) in_.fail(at, "invalid UTF-8 in charlist");
    return charlist(bytes);
  }

  // A bare word: true, false, nil or an alias. Anything else would be a variable or a call.
  term word() {
    const std::size_t at = in_.pos();
    const std::string name = in_.identifier();
    if (name.empty()) in_.fail("expected a term");
    if (name == "true" || name == "false") return name == "true";
    if (name == "nil") return "nil"_a;
    if (!is_upper(name.front())) {
      in_.fail(at, fmt::format("expected a term, not the variable or call {}", name));
    }
    in_.seek(at);
    return alias();
  }

  // `Foo` is :"Elixir.Foo", `Foo.Bar` :"Elixir.Foo.Bar", `Elixir.Foo` :"Elixir.Foo" and `Elixir` :Elixir.
  atom alias() {
    const std::size_t at = in_.pos();
    std::string text = "Elixir";
    for (bool first = true;; first = false) {
      const std::size_t segment_at = in_.pos();
      const std::string segment = in_.identifier();
      if (!std::all_of(segment.begin(), segment.end(), is_alias_char)) {
        in_.fail(segment_at,
                 fmt::format("invalid alias {}: only ASCII letters, digits and _ may follow the capital",
                             segment));
      }
      if (!first || segment != "Elixir") text += fmt::format(".{}", segment);
      const std::size_t end = in_.pos();
      in_.skip_space();
      if (in_.consume(".")) {
        in_.skip_space();
        if (is_upper(in_.peek())) continue;
      }
      in_.seek(end);
      return in_.make_atom(at, text);
    }
  }

  // `&Module.function/arity`: an export fun.
  term capture() {
    in_.expect("&", "'&'");
    in_.skip_space();
    const char c = in_.peek();
    if (c != ':' && !is_upper(c)) in_.fail("expected a module after '&', such as :lists or Enum");
    const atom module = c == ':' ? atom_literal() : alias();
    in_.skip_space();
    if (in_.looking_at("..")) in_.fail("expected '.' after the module");  // `..` is the range operator
    in_.expect(".", "'.' after the module");
    in_.skip_space();
    const atom function = function_name();
    in_.skip_space();
    in_.expect("/", "'/' before the arity");
    in_.skip_space();
    const std::size_t at = in_.pos();
    constexpr std::int64_t max_arity = 255;
    const term arity = is_digit(in_.peek()) ? in_.number() : term();
    if (!arity.is_small_integer() || arity.as_int() > max_arity) {
      in_.fail(at, "expected an arity from 0 to 255");
    }
    return export_fun{module, function, static_cast<std::uint8_t>(arity.as_int())};
  }

  // An identifier, a quoted name or an operator; Elixir takes every operator atom here but these.
  atom function_name() {
    static constexpr std::string_view not_functions[] = {".", "%", "->", "..", "...", "%{}", "..//", "<<>>"};
    const std::size_t at = in_.pos();
    const char c = in_.peek();
    if (c == '"' || c == '\'') return in_.make_atom(at, in_.quoted(c));
    if (is_upper(c)) in_.fail("expected a function name, not an alias");
    if (const auto name = in_.identifier(); !name.empty()) return in_.make_atom(at, name);
    const auto op = in_.operator_name();
    if (op.empty() ||
        std::find(std::begin(not_functions), std::end(not_functions), op) != std::end(not_functions)) {
      in_.fail(at, "expected a function name");
    }
    return in_.make_atom(at, op);
  }

  lexer in_;
  bitstring_reader bits_;  // holds in_
};

}  // namespace
}  // namespace parse_detail

term parse(std::string_view text) {
  return parse_detail::parser(text).document();
}

}  // namespace beam
