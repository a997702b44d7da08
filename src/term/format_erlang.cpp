// term/format_erlang.cpp: beam::format_erlang, what io_lib:format("~tp", [T]) prints when the line is long
// enough for everything (io_lib_pretty:print/2 with encoding unicode, strings true, no depth or char limit).
//
// Design. With an unlimited line, io_lib_pretty writes its intermediate form flat, so the output is a plain
// traversal: ',' between elements, '|' before an improper tail, " => " inside map pairs, no other spaces.
// What needs care is which lists and binaries are strings, and how atoms are quoted:
//   - a list is a string when it is proper and every element is printable in the default printable range
//     (latin1): \b\t\n\v\f\r\e, 32..126 and 160..255;
//   - a binary is a string when it is valid UTF-8 whose characters are all printable the same way:
//     <<"abc">> when they are all ASCII, <<"é"/utf8>> otherwise; invalid UTF-8 whose bytes are all
//     printable is <<"ÿ">>, each byte a character; anything else is <<1,2,3>>, or <<1,2,3:5>> with bits;
//   - atoms are quoted unless they start with a latin1 lower-case letter, go on with latin1 letters, digits,
//     '_' and '@', and are no reserved word; quoted text escapes like strings, \ooo for other controls;
//   - export funs come from erlang:fun_to_list/1, which the runtime writes in C with its own quoting, and as
//     bytes: a non-ASCII atom shows its UTF-8 bytes each as a latin1 character (fun 'Ã©':...), as ~tp does.
// The traversal uses an explicit stack, so deep terms need no deep recursion.
//
// Rejected: sharing inspect's document builder (Erlang's one-line form needs no layout, and its string and
// quoting rules share nothing with Elixir's).
#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include <beam/inspect.hpp>

#include "base/utf8.hpp"
#include "term/float_text.hpp"
#include "term/inspect_text.hpp"

namespace beam {
namespace {

// --- characters ---

bool is_printable_latin1(std::int64_t c) {
  return (c >= 32 && c <= 126) || (c >= 160 && c <= 255) || c == '\n' || c == '\r' || c == '\t' ||
         c == '\v' || c == '\b' || c == '\f' || c == 0x1B;
}

// The control characters io_lib writes with a letter, and the backslash.
const char* named_escape(char32_t c) {
  switch (c) {
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\v':
      return "\\v";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case 0x1B:
      return "\\e";
    case 0x7F:
      return "\\d";
    default:
      return nullptr;
  }
}

// io_lib's string_char/4 for unicode output: one character inside `quote`s.
void append_char(std::string& out, char32_t c, char quote) {
  if (c == static_cast<unsigned char>(quote)) {
    out += '\\';
    out += quote;
  } else if (const char* e = named_escape(c)) {
    out += e;
  } else if ((c >= 32 && c <= 126) || c >= 160) {
    utf8::append(out, c);
  } else {
    out += fmt::format("\\{:03o}", static_cast<std::uint32_t>(c));
  }
}

void append_quoted(std::string& out, std::u32string_view chars, char quote) {
  out += quote;
  for (char32_t c : chars) append_char(out, c, quote);
  out += quote;
}

// The characters of valid UTF-8 text.
std::u32string decode_all(std::string_view utf8_text) {
  std::u32string out;
  for (std::size_t pos = 0; pos < utf8_text.size();) {
    const auto c = utf8::decode(utf8_text, pos);
    if (!c) break;  // not reached for valid text
    out += *c;
  }
  return out;
}

// --- atoms ---

bool is_latin1_lower(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 223 && c <= 255 && c != 247);
}
bool is_latin1_upper(char32_t c) {
  return (c >= 'A' && c <= 'Z') || (c >= 192 && c <= 222 && c != 215);
}
bool is_digit(char32_t c) {
  return c >= '0' && c <= '9';
}

bool is_reserved_word(std::string_view t) {
  static constexpr std::string_view words[] = {"after",  "and",     "andalso", "band", "begin", "bnot", "bor",
                                               "bsl",    "bsr",     "bxor",    "case", "catch", "cond", "div",
                                               "end",    "fun",     "if",      "let",  "not",   "of",   "or",
                                               "orelse", "receive", "rem",     "try",  "when",  "xor"};
  return std::find(std::begin(words), std::end(words), t) != std::end(words);
}

// io_lib:write_atom/1.
void append_atom(std::string& out, atom a) {
  const std::u32string chars = decode_all(a.text());
  bool plain = !chars.empty() && is_latin1_lower(chars[0]) && !is_reserved_word(a.text());
  for (std::size_t i = 1; plain && i < chars.size(); ++i) {
    const char32_t c = chars[i];
    plain = is_latin1_lower(c) || is_latin1_upper(c) || is_digit(c) || c == '_' || c == '@';
  }
  if (plain) {
    out += a.text();
  } else {
    append_quoted(out, chars, '\'');
  }
}

// The runtime's print_atom_name() behind erlang:fun_to_list/1, on the atom's UTF-8 bytes: quoting decided on
// latin1 characters (a three- or four-byte character always quotes), escapes written as bytes.
std::string runtime_atom(std::string_view bytes) {
  auto latin1_at = [&](std::size_t i) -> int {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x80) return c;
    if ((c & 0xE0) == 0xC0) return (c & 0x1F) << 6 | (static_cast<unsigned char>(bytes[i + 1]) & 0x3F);
    if ((c & 0xC0) == 0x80) return 'a';  // a continuation byte counts as a letter
    return 0;
  };
  bool plain = !bytes.empty() && is_latin1_lower(static_cast<char32_t>(latin1_at(0)));
  for (std::size_t i = 1; plain && i < bytes.size(); ++i) {
    const int c = latin1_at(i);
    plain = is_latin1_lower(static_cast<char32_t>(c)) || is_latin1_upper(static_cast<char32_t>(c)) ||
            is_digit(static_cast<char32_t>(c)) || c == '_';
  }
  if (plain) return std::string(bytes);
  std::string out = "'";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\'':
        out += "\\'";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < ' ') {
          out += fmt::format("\\{:03o}", c);
        } else if (c == 0xC2 && static_cast<unsigned char>(bytes[i + 1]) < 0xA0) {  // U+0080..U+009F
          out += fmt::format("\\{:03o}", static_cast<unsigned char>(bytes[++i]));
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "'";
}

// erlang:fun_to_list/1 of an export fun, its bytes then read as latin1 characters.
void append_fun(std::string& out, const export_fun& f) {
  const std::string bytes =
      fmt::format("fun {}:{}/{}", runtime_atom(f.module.text()), runtime_atom(f.function.text()), f.arity);
  for (char b : bytes) utf8::append(out, static_cast<unsigned char>(b));
}

// --- strings and binaries ---

bool is_printable_list(const term& list) {
  if (!list.list_tail().is_nil()) return false;
  for (const term& e : list.as_list()) {
    if (!e.is_small_integer() || !is_printable_latin1(e.as_int())) return false;
  }
  return true;
}

void append_string(std::string& out, const term& list) {
  std::u32string chars;
  for (const term& e : list.as_list()) chars += static_cast<char32_t>(e.as_int());
  append_quoted(out, chars, '"');
}

// The characters of a binary that io_lib_pretty prints as a string, with the "/utf8" suffix when it needs
// one; nothing for any other binary.
struct binary_string {
  std::u32string chars;
  bool utf8;
};
std::optional<binary_string> binary_as_string(std::string_view bytes) {
  binary_string s{{}, false};
  if (utf8::valid(bytes)) {
    s.chars = decode_all(bytes);
    s.utf8 = s.chars.size() != bytes.size();
  } else {
    for (char b : bytes) s.chars += static_cast<unsigned char>(b);
  }
  for (char32_t c : s.chars) {
    if (!is_printable_latin1(c)) return std::nullopt;
  }
  return s;
}

void append_bitstring(std::string& out, const term& t) {
  if (t.bit_size() == 0) {
    out += "<<>>";
    return;
  }
  if (t.is_binary()) {
    if (const auto s = binary_as_string(t.as_string_view())) {
      out += "<<";
      append_quoted(out, s->chars, '"');
      out += s->utf8 ? "/utf8>>" : ">>";
      return;
    }
  }
  const auto bytes = t.bitstring_bytes();
  const std::size_t whole = static_cast<std::size_t>(t.bit_size() / 8);
  const auto trailing = static_cast<unsigned>(t.bit_size() % 8);
  out += "<<";
  for (std::size_t i = 0; i < whole; ++i) out += fmt::format("{}{}", i == 0 ? "" : ",", bytes[i]);
  if (trailing != 0)
    out += fmt::format("{}{}:{}", whole == 0 ? "" : ",", bytes[whole] >> (8 - trailing), trailing);
  out += ">>";
}

// --- the traversal ---

// What is left to write, the next piece last: a term or a piece of punctuation.
using piece = std::variant<term, std::string_view>;

class writer {
 public:
  std::string run(const term& root) {
    pending_.emplace_back(root);
    while (!pending_.empty()) {
      piece p = std::move(pending_.back());
      pending_.pop_back();
      if (const auto* text = std::get_if<std::string_view>(&p)) {
        out_ += *text;
      } else {
        write(std::get<term>(p));
      }
    }
    return std::move(out_);
  }

 private:
  void write(const term& t) {
    switch (t.kind()) {
      case term_kind::integer:
        out_ += integer_to_string(t);
        return;
      case term_kind::float_:
        out_ += float_text::erlang(t.as_float());
        return;
      case term_kind::atom:
        return append_atom(out_, t.as_atom());
      case term_kind::reference:
        out_ += fmt::format("#Ref<{}>", inspect_detail::reference_fields(t.as_reference()));
        return;
      case term_kind::fun:
        return append_fun(out_, t.as_fun());
      case term_kind::port:
        out_ += fmt::format("#Port<{}>", inspect_detail::port_fields(t.as_port()));
        return;
      case term_kind::pid:
        out_ += fmt::format("<{}>", inspect_detail::pid_fields(t.as_pid()));
        return;
      case term_kind::tuple:
        return open("{", t.as_tuple(), term(), "}");
      case term_kind::map:
        return open_map(t.as_map());
      case term_kind::nil:
        out_ += "[]";
        return;
      case term_kind::list:
        if (is_printable_list(t)) return append_string(out_, t);
        return open("[", t.as_list(), t.list_tail(), "]");
      case term_kind::bitstring:
        return append_bitstring(out_, t);
    }
  }

  // `left`, the elements separated by ',', "|tail" unless the tail is [], `right`; pushed last piece first.
  void open(std::string_view left, std::span<const term> elements, const term& tail, std::string_view right) {
    out_ += left;
    pending_.emplace_back(right);
    if (!tail.is_nil()) {
      pending_.emplace_back(tail);
      pending_.emplace_back(std::string_view("|"));
    }
    for (std::size_t i = elements.size(); i-- > 0;) {
      pending_.emplace_back(elements[i]);
      if (i > 0) pending_.emplace_back(std::string_view(","));
    }
  }

  void open_map(std::span<const map_entry> entries) {
    out_ += "#{";
    pending_.emplace_back(std::string_view("}"));
    for (std::size_t i = entries.size(); i-- > 0;) {
      pending_.emplace_back(entries[i].second);
      pending_.emplace_back(std::string_view(" => "));
      pending_.emplace_back(entries[i].first);
      if (i > 0) pending_.emplace_back(std::string_view(","));
    }
  }

  std::vector<piece> pending_;
  std::string out_;
};

}  // namespace

std::string format_erlang(const term& t) {
  return writer().run(t);
}

}  // namespace beam
