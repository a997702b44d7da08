// term/algebra.cpp: Inspect.Algebra's layout, in linear time.
//
// Elixir formats with a stack of (indent, mode, doc) entries. A group is laid out flat when fits?(its
// content, flat) holds from the current column; a flex break stays a space when fits?(the rest of the stack)
// holds. fits? walks the documents keeping the column k and a flag b? ("a break has been seen": set by a
// break, restored when a nested group ends) and fails as soon as k > width while b? holds; a group's check
// starts with b? false, a flex break's with b? true and stops at the first break that will become a new line
// (one in break mode, outside any nested group).
//
// Walking like that is quadratic on deep documents (each group rescans its inner groups). But the column only
// grows in a flat walk, so a walk fails exactly when its last check point with b? set lies beyond the width,
// and where that point lies, relative to the start of a document, depends only on the document. measure()
// computes it for every node bottom-up (`last_set_*`), with the width before the first break that would
// become a new line (`to_break`); then a group's check is one comparison, and a flex break's check adds
// widths of stack entries until it reaches one that holds such a break or passes the width (at most `width`
// columns of entries). The output is identical to Elixir's walk; the proof is the case analysis in measure(),
// clause by clause against Elixir's fits?/4.
//
// Rejected: Wadler/Leijen-style pretty printers (different break rules, so different output); walking like
// Elixir (quadratic on deep terms).
#include "term/algebra.hpp"

#include <algorithm>

namespace beam::algebra {
namespace {

constexpr std::int64_t none = std::numeric_limits<std::int64_t>::min();  // "no such point"

std::int64_t shifted(std::int64_t offset, std::int64_t point) {
  return point == none ? none : offset + point;
}

}  // namespace

// What a flat walk over one document does, relative to the column where it starts.
struct document::metrics {
  std::int64_t width = 0;
  std::int64_t last_set_if_set = 0;       // the last check point inside when b? is set on entry (never none)
  std::int64_t last_set_if_clear = none;  // the last check point inside with b? set when b? is clear on entry
  bool sets = false;             // b? is set on exit when clear on entry: a break outside nested groups
  std::int64_t to_break = none;  // width before the first break outside nested groups
};

doc document::add(node n) {
  nodes_.push_back(n);
  return static_cast<doc>(nodes_.size() - 1);
}

doc document::add_text(kind k, std::string_view s) {
  spans_.push_back({bytes_.size(), s.size()});
  bytes_.append(s);
  return add({k, k == kind::text, static_cast<std::uint32_t>(spans_.size() - 1), 0});
}

std::string_view document::text_of(const node& n) const noexcept {
  const span& s = spans_[n.a];
  return std::string_view(bytes_).substr(s.offset, s.size);
}

doc document::text(std::string_view s) {
  return add_text(kind::text, s);
}
doc document::strict_break(std::string_view s) {
  return add_text(kind::strict_break, s);
}
doc document::flex_break(std::string_view s) {
  return add_text(kind::flex_break, s);
}

// Precondition: each document is used once (the documents form a tree). Two texts made one after the other
// merge into one (same layout, fewer nodes: a long list is mostly "element," texts).
doc document::concat(doc a, doc b) {
  const bool last_two = a + 2 == nodes_.size() && b + 1 == nodes_.size();
  if (last_two && nodes_[a].k == kind::text && nodes_[b].k == kind::text) {
    spans_[nodes_[a].a].size += spans_[nodes_[b].a].size;  // b's bytes follow a's
    spans_.pop_back();
    nodes_.pop_back();
    return a;
  }
  return add({kind::concat, nodes_[a].simple && nodes_[b].simple, a, b});
}

doc document::nest(doc d, std::uint32_t indent) {
  return indent == 0 ? d : add({kind::nest, false, d, indent});
}

doc document::group(doc d) {
  return add({kind::group, false, d, 0});
}

bool document::is_simple(doc d) const noexcept {
  return nodes_[d].simple;
}

// Bottom-up, following fits?/4: a check happens before each entry is taken (the entry itself, then its
// parts), before a nested group's end (its {:tail, ...} entry) and at the very end.
std::vector<document::metrics> document::measure() const {
  std::vector<metrics> m(nodes_.size());
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const node& n = nodes_[i];
    metrics& out = m[i];
    switch (n.k) {
      case kind::text:
        out.width = static_cast<std::int64_t>(spans_[n.a].size);
        break;
      case kind::strict_break:
      case kind::flex_break:
        out.width = static_cast<std::int64_t>(spans_[n.a].size);
        out.sets = true;
        out.to_break = 0;
        break;
      case kind::nest:
        out = m[n.a];
        break;
      case kind::concat: {
        const metrics& x = m[n.a];
        const metrics& y = m[n.b];
        out.width = x.width + y.width;
        out.last_set_if_set = x.width + y.last_set_if_set;
        out.last_set_if_clear =
            std::max(x.last_set_if_clear, shifted(x.width, x.sets ? y.last_set_if_set : y.last_set_if_clear));
        out.sets = x.sets || y.sets;
        out.to_break = x.to_break != none ? x.to_break : shifted(x.width, y.to_break);
        break;
      }
      case kind::group: {
        const metrics& x = m[n.a];
        out.width = x.width;
        out.last_set_if_set = x.width;  // the check before the group's end
        out.last_set_if_clear = std::max(x.last_set_if_clear, x.sets ? x.width : none);
        break;  // b? is restored on exit; breaks inside become new lines only through the group's own mode
      }
    }
  }
  return m;
}

// One run of Elixir's format/3 loop.
class document::layout {
 public:
  layout(const document& d, std::size_t width) : d_(d), width_(width) {
    if (width != unlimited_width) metrics_ = d.measure();
  }

  std::string run(doc root) {
    stack_.push_back({0, false, root});
    while (!stack_.empty()) {
      const entry e = stack_.back();
      stack_.pop_back();
      step(e);
    }
    return std::move(out_);
  }

 private:
  struct entry {
    std::int64_t indent;
    bool broken;  // mode: :break (true) or :flat
    doc d;
  };

  void step(const entry& e) {
    const node& n = d_.nodes_[e.d];
    switch (n.k) {
      case kind::text:
        return emit(d_.text_of(n));
      case kind::concat:
        stack_.push_back({e.indent, e.broken, n.b});
        stack_.push_back({e.indent, e.broken, n.a});
        return;
      case kind::nest:
        return stack_.push_back({e.indent + n.b, e.broken, n.a});
      case kind::strict_break:
        return e.broken ? new_line(e.indent) : emit(d_.text_of(n));
      case kind::flex_break: {
        const std::string_view s = d_.text_of(n);
        return !e.broken || rest_fits(column_ + static_cast<std::int64_t>(s.size())) ? emit(s)
                                                                                     : new_line(e.indent);
      }
      case kind::group:
        return stack_.push_back({e.indent, !group_fits(e.d), n.a});
    }
  }

  void emit(std::string_view s) {
    out_.append(s);
    column_ += static_cast<std::int64_t>(s.size());
  }

  void new_line(std::int64_t indent) {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(indent), ' ');
    column_ = indent;
  }

  [[nodiscard]] bool within(std::int64_t column) const {
    return width_ == unlimited_width || column <= static_cast<std::int64_t>(width_);
  }

  // fits?(w, k, false, [{i, :flat, content}]) for the group `g` at the current column.
  [[nodiscard]] bool group_fits(doc g) const {
    if (width_ == unlimited_width) return true;  // Elixir's w == :infinity: no walk at all
    const std::int64_t last = metrics_[g].last_set_if_clear;
    return last == none || within(column_ + last);
  }

  // fits?(w, column, true, rest of the stack) for a flex break.
  [[nodiscard]] bool rest_fits(std::int64_t column) const {
    if (!within(column)) return false;
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      const metrics& m = metrics_[it->d];
      if (it->broken && m.to_break != none) return within(column + m.to_break);
      column += m.width;
      if (!within(column)) return false;
    }
    return true;
  }

  const document& d_;
  std::size_t width_;
  std::vector<metrics> metrics_;
  std::vector<entry> stack_;
  std::string out_;
  std::int64_t column_ = 0;
};

std::string document::format(doc root, std::size_t width) const {
  return layout(*this, width).run(root);
}

}  // namespace beam::algebra
