// term/inspect.cpp: beam::inspect, Elixir 1.14's inspect/2 for plain data.
//
// Design. Elixir turns a term into a document (the Inspect protocol and Inspect.Algebra.container_doc/6) and
// lays the document out in the given width (term/algebra.cpp). This file builds the same document, node for
// node, because the line breaks of pretty output depend on its exact shape: where groups, nests, strict and
// flex breaks sit.
//   - Tuples get flex breaks; lists get flex breaks when every element is plain text ("simple"), else strict
//     ones; keyword lists and maps get strict breaks, and `key: value` when every key is a non-alias atom.
//   - `limit`: a container shows its first `limit` elements then "...", and each element is inspected with
//     the count left at its position (so the limit also bounds the nesting shown); binaries count bytes.
//   - Printable strings and charlists are single texts, cut at `printable_limit` characters.
// The document is built with an explicit stack of partly built containers, so a deeply nested term needs no
// deep recursion, and it is laid out in linear time (plus up to `width` columns per flex break).
//
// Where Elixir raises instead of printing (a charlist cut by printable_limit whose rest is not a string),
// this prints the part before the first element that is not a character.
//
// Rejected: writing text directly (cannot reproduce pretty breaks); recursion over the term (a term nested
// 100,000 deep would overflow the stack); Wadler-style layouts (their breaks differ from Elixir's).
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <beam/inspect.hpp>

#include "base/utf8.hpp"
#include "term/algebra.hpp"
#include "term/float_text.hpp"
#include "term/inspect_text.hpp"

namespace beam {
namespace {

using algebra::doc;
using namespace inspect_detail;

// List.ascii_printable?(list, limit): the first `limit` elements are \a..\r, \e or ASCII printables.
bool is_ascii_printable(const term& list, std::size_t limit) {
  std::size_t count = limit;
  for (const term& e : list.as_list()) {
    if (count == 0) return true;
    if (!e.is_small_integer()) return false;
    const std::int64_t c = e.as_int();
    if (!((c >= 7 && c <= 13) || c == 27 || (c >= 32 && c <= 126))) return false;
    count = decrement(count);
  }
  return count == 0 || list.list_tail().is_nil();
}

// The characters of a charlist as UTF-8, as IO.chardata_to_string/1 makes them; only as many as an escape
// with `limit` can show (a "#{" pair counts once, so twice the limit).
std::string charlist_text(const term& list, std::size_t limit) {
  std::string out;
  const auto elements = list.as_list();
  const std::size_t wanted = limit >= elements.size() / 2 ? elements.size() : 2 * limit + 1;
  for (std::size_t i = 0; i < wanted; ++i) {
    const term& e = elements[i];
    if (!e.is_small_integer() || !utf8::is_code_point(e.as_int())) break;
    utf8::append(out, static_cast<char32_t>(e.as_int()));
  }
  return out;
}

// Inspect.List.keyword?/1 on a list of elements: all {atom, value} pairs whose atom is not an alias.
bool is_keyword_key(const term& key) {
  return key.is_atom() && !key.as_atom().text().starts_with("Elixir.");
}

bool is_keyword(const term& list) {
  if (!list.list_tail().is_nil()) return false;
  for (const term& e : list.as_list()) {
    if (!e.is_tuple() || e.as_tuple().size() != 2 || !is_keyword_key(e.as_tuple()[0])) return false;
  }
  return true;
}

bool is_keyword(std::span<const map_entry> entries) {
  for (const auto& [key, value] : entries) {
    if (!is_keyword_key(key)) return false;
  }
  return true;
}

// The shapes of container_doc that inspect uses.
enum class shape {
  list,         // [a, b | c]: flex breaks when every element is simple
  keyword,      // [a: 1]: strict breaks
  tuple,        // {a, b}: flex breaks
  map,          // %{k => v}: strict breaks
  keyword_map,  // %{a: 1}: strict breaks
};

// A container whose element documents are being made. Each item (element, pair or improper end) takes one or
// two child documents: list and tuple elements one, keyword entries one (the value), map pairs two (key and
// value), the last element of an improper list two (the element and the tail).
struct container {
  shape kind = shape::tuple;
  term holder;  // keeps the spans below alive
  term tail;    // a list's tail
  std::span<const term> elements;
  std::span<const map_entry> entries;
  std::size_t count = 0;       // items, "..." aside
  std::size_t limit = 0;       // container_each's count left
  std::size_t item_limit = 0;  // the count each child of the current item is inspected with
  std::size_t next = 0;        // the current item
  std::size_t taken = 0;       // child documents of the current item received so far
  doc children[2]{};
  bool simple = true;  // lists: every element so far is simple
  std::vector<doc> items;

  [[nodiscard]] bool improper_item() const {
    return kind == shape::list && next + 1 == count && !tail.is_nil();
  }
  [[nodiscard]] std::size_t children_per_item() const {
    return kind == shape::map || improper_item() ? 2 : 1;
  }
  [[nodiscard]] const term& child(std::size_t i) const {
    switch (kind) {
      case shape::list:
        return i == 0 ? elements[next] : tail;
      case shape::keyword:
        return elements[next].as_tuple()[1];
      case shape::tuple:
        return elements[next];
      case shape::map:
        return i == 0 ? entries[next].first : entries[next].second;
      case shape::keyword_map:
        return entries[next].second;
    }
    return elements[next];
  }
};

class builder {
 public:
  explicit builder(const inspect_options& options) : options_(options) {}

  [[nodiscard]] std::string run(const term& t) {
    const doc root = d_.group(to_doc(t, options_.limit));
    return d_.format(root, options_.pretty ? options_.width : algebra::unlimited_width);
  }

 private:
  // Inspect.Algebra.to_doc/2.
  doc to_doc(const term& root, std::size_t limit) {
    if (auto leaf = leaf_doc(root, limit)) return *leaf;
    std::vector<container> stack;
    stack.push_back(open(root, limit));
    for (;;) {
      container& top = stack.back();
      if (const term* child = next_child(top)) {
        const std::size_t child_limit = top.item_limit;
        if (auto leaf = leaf_doc(*child, child_limit)) {
          deliver(top, *leaf);
        } else {
          stack.push_back(open(*child, child_limit));  // `top` may dangle from here
        }
        continue;
      }
      const doc finished = close(top);
      stack.pop_back();
      if (stack.empty()) return finished;
      deliver(stack.back(), finished);
    }
  }

  // The document of a term that holds no term to inspect on its own, or nothing for a container.
  std::optional<doc> leaf_doc(const term& t, std::size_t limit) {
    switch (t.kind()) {
      case term_kind::integer:
        return d_.text(integer_to_string(t));
      case term_kind::float_:
        return d_.text(float_text::elixir(t.as_float()));
      case term_kind::atom:
        return d_.text(literal_atom(t.as_atom()));
      case term_kind::reference:
        return d_.text(fmt::format("#Reference<{}>", reference_fields(t.as_reference())));
      case term_kind::fun:
        return d_.text(fun_text(t.as_fun()));
      case term_kind::port:
        return d_.text(fmt::format("#Port<{}>", port_fields(t.as_port())));
      case term_kind::pid:
        return d_.text(fmt::format("#PID<{}>", pid_fields(t.as_pid())));
      case term_kind::nil:
        return d_.text("[]");
      case term_kind::bitstring:
        return bitstring_doc(t, limit);
      case term_kind::tuple:
        if (t.as_tuple().empty()) return d_.concat(d_.text("{"), d_.text("}"));
        return std::nullopt;
      case term_kind::map:
        if (t.as_map().empty()) return d_.concat(d_.text("%{"), d_.text("}"));
        return std::nullopt;
      case term_kind::list:
        if (is_ascii_printable(t, options_.printable_limit)) return charlist_doc(t);
        return std::nullopt;
    }
    return std::nullopt;
  }

  doc charlist_doc(const term& list) {
    const escaped e = escape(charlist_text(list, options_.printable_limit), '\'', options_.printable_limit);
    return d_.text(e.truncated ? fmt::format("'{}' ++ ...", e.text) : fmt::format("'{}'", e.text));
  }

  // Inspect.BitString: a printable binary as a string, anything else as <<bytes>>.
  doc bitstring_doc(const term& t, std::size_t limit) {
    if (t.is_binary() && is_printable_string(t.as_string_view(), options_.printable_limit)) {
      const escaped e = escape(t.as_string_view(), '"', options_.printable_limit);
      return d_.text(e.truncated ? fmt::format("\"{}\" <> ...", e.text) : fmt::format("\"{}\"", e.text));
    }
    if (t.bit_size() == 0) return d_.text("<<>>");
    return d_.group(d_.concat(d_.concat(d_.text("<<"), d_.nest(bits_doc(t, limit), 2)), d_.text(">>")));
  }

  // each_bit/3: "b1," flex_glue "b2," ... ending in the last byte, "v::size(n)" or "...".
  doc bits_doc(const term& t, std::size_t limit) {
    const auto bytes = t.bitstring_bytes();
    const std::size_t whole = static_cast<std::size_t>(t.bit_size() / 8);
    const auto trailing = static_cast<unsigned>(t.bit_size() % 8);
    const std::size_t pieces = whole + (trailing != 0 ? 1 : 0);
    const std::size_t shown = std::min(pieces, limit);
    auto piece_text = [&](std::size_t i) {
      if (i < whole) return std::to_string(bytes[i]);
      return fmt::format("{}::size({})", bytes[i] >> (8 - trailing), trailing);
    };
    doc inner = shown < pieces ? d_.text("...") : d_.text(piece_text(shown - 1));
    for (std::size_t i = (shown < pieces ? shown : shown - 1); i-- > 0;) {
      inner = d_.flex_glue(d_.text(piece_text(i) + ","), " ", inner);
    }
    return inner;
  }

  container open(const term& t, std::size_t limit) {
    container c;
    c.holder = t;
    c.limit = limit;
    if (t.is_tuple()) {
      c.elements = t.as_tuple();
    } else if (t.is_list()) {
      c.kind = is_keyword(t) ? shape::keyword : shape::list;
      c.elements = t.as_list();
      c.tail = t.list_tail();
    } else {
      c.entries = t.as_map();
      c.kind = is_keyword(c.entries) ? shape::keyword_map : shape::map;
    }
    c.count = c.kind == shape::map || c.kind == shape::keyword_map ? c.entries.size() : c.elements.size();
    return c;
  }

  // container_each/6: the next child to inspect, or nullptr when the container is complete. The pointer is
  // into `c` (a list's tail) or the term: use it before the stack of containers grows.
  const term* next_child(container& c) {
    if (c.taken == 0) {
      if (c.next == c.count) return nullptr;
      if (c.limit == 0) {
        c.items.push_back(d_.text("..."));
        c.next = c.count;
        return nullptr;
      }
      c.limit = c.item_limit = decrement(c.limit);
    }
    return &c.child(c.taken);
  }

  void deliver(container& c, doc child) {
    c.children[c.taken++] = child;
    if (c.taken < c.children_per_item()) return;
    doc item = make_item(c);
    if (c.next + 1 < c.count) item = d_.concat(item, d_.text(","));  // another element or "..." follows
    c.items.push_back(item);
    c.taken = 0;
    ++c.next;
  }

  doc make_item(container& c) {
    switch (c.kind) {
      case shape::list:
        if (c.improper_item()) {
          c.simple = c.simple && d_.is_simple(c.children[0]) && d_.is_simple(c.children[1]);
          return join(d_.concat(c.children[0], d_.text(" |")), c.children[1], c.simple);
        }
        c.simple = c.simple && d_.is_simple(c.children[0]);
        return c.children[0];
      case shape::tuple:
        return c.children[0];
      case shape::keyword:
        return keyword_item(c.elements[c.next].as_tuple()[0].as_atom(), c.children[0]);
      case shape::keyword_map:
        return keyword_item(c.entries[c.next].first.as_atom(), c.children[0]);
      case shape::map:
        return d_.concat(d_.concat(c.children[0], d_.text(" => ")), c.children[1]);
    }
    return c.children[0];
  }

  // Inspect.List.keyword/2: `key: value`.
  doc keyword_item(atom key, doc value) {
    return d_.concat(d_.text(key_atom(key)), d_.concat(d_.text(" "), value));
  }

  doc join(doc left_with_separator, doc right, bool flex) {
    return flex ? d_.flex_glue(left_with_separator, " ", right) : d_.glue(left_with_separator, " ", right);
  }

  // The rest of container_doc/6 once the items are made (each but the last already ends in its separator).
  doc close(container& c) {
    static constexpr const char* opening[] = {"[", "[", "{", "%{", "%{"};
    static constexpr const char* closing[] = {"]", "]", "}", "}", "}"};
    const bool flex = c.kind == shape::tuple || (c.kind == shape::list && c.simple);
    doc docs = c.items.back();
    for (std::size_t i = c.items.size() - 1; i-- > 0;) docs = join(c.items[i], docs, flex);
    const auto kind = static_cast<std::size_t>(c.kind);
    const doc left = d_.text(opening[kind]);
    if (flex) return d_.group(d_.concat(d_.concat(left, d_.nest(docs, 1)), d_.text(closing[kind])));
    return d_.group(d_.glue(d_.nest(d_.glue(left, "", docs), 2), "", d_.text(closing[kind])));
  }

  const inspect_options& options_;
  algebra::document d_;
};

}  // namespace

std::string inspect(const term& t, const inspect_options& options) {
  return builder(options).run(t);
}

}  // namespace beam
