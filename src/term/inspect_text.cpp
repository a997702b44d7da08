// term/inspect_text.cpp: Elixir 1.14's text for strings, charlists, atoms, pids, references and export funs.
//
// Escaping follows Code.Identifier.escape/4: the quote and "#{" get a backslash; \a\b\d\e\f\n\r\t\v and the
// backslash their letter; NUL is \0 and the byte-order mark \uFEFF; other characters outside the printable
// ranges \xHH, \x{HHHH} or \x{HHHHHH}; a byte that starts no valid UTF-8 character \xHH. Printability
// (String.printable?/2) is a separate, slightly different rule: a string is printed in quotes only when it
// holds no character that the escape would turn into \x... except the ones with a letter.
#include "term/inspect_text.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "base/utf8.hpp"
#include "term/atom_table.hpp"
#include "term/inspect_identifier.hpp"

namespace beam::inspect_detail {
namespace {

bool is_printable_code_point(char32_t c) {
  return (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

// The control characters that Elixir writes with a letter (escape_map/1), the backslash included.
const char* letter_escape(char32_t c) {
  switch (c) {
    case '\a':
      return "\\a";
    case '\b':
      return "\\b";
    case 0x7F:
      return "\\d";
    case 0x1B:
      return "\\e";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\v':
      return "\\v";
    case '\\':
      return "\\\\";
    default:
      return nullptr;
  }
}

// escape_char/1: one decoded character.
void append_character(std::string& out, char32_t c) {
  if (const char* e = letter_escape(c)) {
    out += e;
  } else if (c == 0) {
    out += "\\0";
  } else if (c == 0xFEFF) {
    out += "\\uFEFF";
  } else if (is_printable_code_point(c)) {
    utf8::append(out, c);
  } else if (c < 0x100) {
    out += fmt::format("\\x{:02X}", static_cast<std::uint32_t>(c));
  } else if (c < 0x10000) {
    out += fmt::format("\\x{{{:04X}}}", static_cast<std::uint32_t>(c));
  } else {
    out += fmt::format("\\x{{{:06X}}}", static_cast<std::uint32_t>(c));
  }
}

std::string quoted(std::string_view text) {
  return escape(text, '"', infinity).text;
}

std::uint32_t node_field(const node_id& node) {
  return node == this_node() ? 0 : node.name.index();
}

}  // namespace

bool is_printable_string(std::string_view bytes, std::size_t limit) {
  std::size_t pos = 0;
  for (std::size_t count = limit; count != 0 && pos < bytes.size(); count = decrement(count)) {
    const auto byte = static_cast<unsigned char>(bytes[pos]);
    if ((byte >= 0x20 && byte <= 0x7E) || letter_escape(byte) != nullptr) {
      ++pos;
      continue;
    }
    const auto c = utf8::decode(bytes, pos);
    if (!c || *c < 0xA0 || !is_printable_code_point(*c)) return false;
  }
  return true;
}

escaped escape(std::string_view bytes, char quote, std::size_t limit) {
  escaped out{{}, false};
  std::size_t pos = 0;
  for (std::size_t count = limit; pos < bytes.size(); count = decrement(count)) {
    if (count == 0) {
      out.truncated = true;
      break;
    }
    if (bytes[pos] == quote) {
      out.text += '\\';
      out.text += quote;
      ++pos;
    } else if (bytes.substr(pos, 2) == "#{") {
      out.text += "\\#{";
      pos += 2;
    } else if (const auto c = utf8::decode(bytes, pos)) {
      append_character(out.text, *c);
    } else {
      out.text += fmt::format("\\x{:02X}", static_cast<unsigned char>(bytes[pos]));
      ++pos;
    }
  }
  return out;
}

std::string literal_atom(atom a) {
  const std::string_view text = a.text();
  if (a == detail::atoms::nil || a == detail::atoms::true_ || a == detail::atoms::false_)
    return std::string(text);
  switch (classify_atom(text)) {
    case atom_form::alias:
      if (text == "Elixir" || text == "Elixir.Elixir" || text.starts_with("Elixir.Elixir."))
        return std::string(text);
      return std::string(text.substr(7));
    case atom_form::quoted_operator:
    case atom_form::other:
      return ":\"" + quoted(text) + '"';
    default:
      return ':' + std::string(text);
  }
}

std::string key_atom(atom a) {
  const std::string_view text = a.text();
  switch (classify_atom(text)) {
    case atom_form::alias:
      return '"' + std::string(text) + "\":";
    case atom_form::quoted_operator:
    case atom_form::other:
      return '"' + quoted(text) + "\":";
    default:
      return std::string(text) + ':';
  }
}

std::string remote_call_atom(atom a) {
  const std::string_view text = a.text();
  switch (classify_atom(text)) {
    case atom_form::identifier:
    case atom_form::unquoted_operator:
    case atom_form::quoted_operator:
      return std::string(text);
    case atom_form::alias:
    case atom_form::not_callable:
      return '"' + std::string(text) + '"';
    case atom_form::other:
      return '"' + quoted(text) + '"';
  }
  return std::string(text);
}

std::string pid_fields(const pid& p) {
  return fmt::format("{}.{}.{}", node_field(p.node()), p.number(), p.serial());
}

std::string port_fields(const port& p) {
  return fmt::format("{}.{}", node_field(p.node()), p.number());
}

std::string reference_fields(const reference& r) {
  const auto words = r.words();
  std::string out = std::to_string(node_field(r.node()));
  const std::size_t shown = r.is_local() ? std::max<std::size_t>(words.size(), 3) : words.size();
  for (std::size_t i = shown; i-- > 0;) out += fmt::format(".{}", i < words.size() ? words[i] : 0);
  return out;
}

std::string fun_text(const export_fun& f) {
  return fmt::format("&{}.{}/{}", literal_atom(f.module), remote_call_atom(f.function), f.arity);
}

}  // namespace beam::inspect_detail
