// term/algebra.hpp: the document algebra behind beam::inspect: the subset of Elixir 1.14's Inspect.Algebra
// that inspecting plain data uses (text, concat, nest, strict and flex breaks, group), with its exact
// line-breaking rules.
//
// Documents live in one arena and are named by index; a node's children always have smaller indices, so
// every bottom-up pass is a loop. See algebra.cpp for how the layout is computed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace beam::algebra {

using doc = std::uint32_t;

// `width` for format(): no width limit, so every group and flex break stays on one line.
inline constexpr std::size_t unlimited_width = std::numeric_limits<std::size_t>::max();

class document {
 public:
  // A piece of text, measured in bytes as Elixir measures binaries.
  doc text(std::string_view s);
  doc concat(doc a, doc b);
  // Lines broken inside `d` start `indent` columns further right (Elixir's nest(doc, n, :always)).
  doc nest(doc d, std::uint32_t indent);
  // `s` when the enclosing group fits on the line, else a new line (Elixir's break/1).
  doc strict_break(std::string_view s);
  // `s` when the next content up to the next possible line break fits, else a new line (Elixir's
  // flex_break/1).
  doc flex_break(std::string_view s);
  // A unit laid out flat when all of it fits from the current column, else with its strict breaks as new
  // lines.
  doc group(doc d);

  doc glue(doc a, std::string_view s, doc b) { return concat(a, concat(strict_break(s), b)); }
  doc flex_glue(doc a, std::string_view s, doc b) { return concat(a, concat(flex_break(s), b)); }

  // Elixir's simple?/1: made of text only (container_doc then uses flex breaks).
  [[nodiscard]] bool is_simple(doc d) const noexcept;

  // The layout of `root` in `width` columns (unlimited_width: one line), as Inspect.Algebra.format/2.
  [[nodiscard]] std::string format(doc root, std::size_t width) const;

 private:
  enum class kind : std::uint8_t { text, concat, nest, strict_break, flex_break, group };
  struct node {
    kind k;
    bool simple;
    std::uint32_t a;  // text and breaks: index into spans_; concat, nest, group: the (first) child
    std::uint32_t b;  // concat: the second child; nest: the indent
  };
  struct span {
    std::size_t offset;  // into bytes_
    std::size_t size;
  };
  struct metrics;
  class layout;

  doc add(node n);
  doc add_text(kind k, std::string_view s);
  [[nodiscard]] std::string_view text_of(const node& n) const noexcept;
  [[nodiscard]] std::vector<metrics> measure() const;

  std::vector<node> nodes_;
  std::vector<span> spans_;
  std::string bytes_;
};

}  // namespace beam::algebra
