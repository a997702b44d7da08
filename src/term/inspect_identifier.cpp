// term/inspect_identifier.cpp: Elixir 1.14's classification of atom text (Macro.inner_classify/1).
//
// In order: a fixed set of special forms and operators; a valid alias ("Elixir" followed by ".Upper..."
// pieces); then Elixir's identifier tokenizer (String.Tokenizer) run over the whole text. The tokenizer
// accepts a first character (ASCII letter or '_', or a non-ASCII upper or start character) and then
// continuing characters, '@' anywhere after the first, and one final '?' or '!'. When a non-ASCII character
// took part it also requires that the scripts of all characters intersect (or form one of the highly
// restrictive mixes, e.g. Latin with Japanese) and flags text that is not in Unicode normal form C. An
// identifier that starts with an upper-case letter, or holds '@', is not callable; one not in NFC is quoted;
// anything the tokenizer refuses is quoted.
//
// The Unicode tables are generated from the installed Elixir and OTP (term/inspect_identifier_tables.cpp),
// so the answer matches Elixir's even for scripts nobody tested by hand. NFC is checked by normalising:
// decompose with the tables, reorder combining marks, recompose, compare.
//
// Rejected: ICU (a large dependency for one check); quick-check properties alone (they answer "maybe" for
// exactly the marks that matter here); the character tables of term/parse_unicode.cpp (no script sets).
#include "term/inspect_identifier.hpp"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <utility>

#include "base/utf8.hpp"
#include "term/inspect_identifier_tables.hpp"

namespace beam::inspect_detail {
namespace {

// --- special forms and operators ---

bool one_of(std::string_view text, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), text) != names.end();
}

bool is_not_callable(std::string_view t) {
  return one_of(t, {"%", "%{}", "{}", "<<>>", "...", "..", ".", "..//", "->"});
}

bool is_quoted_operator(std::string_view t) {
  return one_of(t, {"::", "^^^", "~~~", "<|>"});
}

// Macro.operator?(atom, 1) or (atom, 2): Code.Identifier's unary and binary operators, "//" aside.
bool is_operator(std::string_view t) {
  return one_of(t, {"&", "!", "^", "not", "+", "-", "~~~", "@"}) ||
         one_of(t, {"<-",  "\\\\", "when", "::",  "|",   "=",   "||",  "|||", "or", "&&",  "&&&",
                    "and", "==",   "!=",   "=~",  "===", "!==", "<",   "<=",  ">=", ">",   "|>",
                    "<<<", ">>>",  "<~",   "~>",  "<<~", "~>>", "<~>", "<|>", "in", "^^^", "++",
                    "--",  "..",   "<>",   "+++", "---", "*",   "/",   "**",  "."});
}

bool is_ascii_upper(char32_t c) {
  return c >= 'A' && c <= 'Z';
}
bool is_ascii_lower(char32_t c) {
  return c >= 'a' && c <= 'z';
}
bool is_ascii_digit(char32_t c) {
  return c >= '0' && c <= '9';
}
bool is_ascii_letter(char32_t c) {
  return is_ascii_upper(c) || is_ascii_lower(c);
}

// "Elixir" followed by pieces ".X..." where X is an ASCII capital and the rest ASCII letters, digits and '_'.
bool is_valid_alias(std::string_view t) {
  if (!t.starts_with("Elixir")) return false;
  std::size_t i = 6;
  while (i < t.size()) {
    if (t[i] != '.' || i + 1 >= t.size() || !is_ascii_upper(static_cast<unsigned char>(t[i + 1])))
      return false;
    i += 2;
    while (i < t.size() && (is_ascii_letter(static_cast<unsigned char>(t[i])) ||
                            is_ascii_digit(static_cast<unsigned char>(t[i])) || t[i] == '_')) {
      ++i;
    }
  }
  return true;
}

// --- Unicode tables ---

constexpr std::uint64_t latin_scripts = 1;  // String.Tokenizer's @latin
constexpr char32_t micro_sign = 0xB5;       // tokenized as GREEK SMALL LETTER MU, flagged as not NFC
constexpr char32_t greek_mu = 0x3BC;

const identifier_range* find_range(char32_t c) {
  const auto* end = std::end(identifier_ranges);
  const auto* it = std::upper_bound(std::begin(identifier_ranges), end, c,
                                    [](char32_t v, const identifier_range& r) { return v < r.first; });
  if (it == std::begin(identifier_ranges)) return nullptr;
  --it;
  return c <= it->last ? it : nullptr;
}

// String.Tokenizer's codepoint_to_scriptset/1.
std::uint64_t scripts_of(char32_t c) {
  if (is_ascii_letter(c)) return latin_scripts;
  const identifier_range* r = find_range(c);
  return r != nullptr ? r->scripts : all_scripts;
}

// --- Unicode normal form C ---

std::uint8_t combining_class_of(char32_t c) {
  const auto* it = std::lower_bound(std::begin(combining_classes), std::end(combining_classes), c,
                                    [](const combining_class& e, char32_t v) { return e.code_point < v; });
  return it != std::end(combining_classes) && it->code_point == c ? it->value : 0;
}

constexpr char32_t hangul_base = 0xAC00, hangul_l = 0x1100, hangul_v = 0x1161, hangul_t = 0x11A7;
constexpr char32_t hangul_l_count = 19, hangul_v_count = 21, hangul_t_count = 28;
constexpr char32_t hangul_count = hangul_l_count * hangul_v_count * hangul_t_count;

void decompose_into(char32_t c, std::u32string& out) {
  if (c >= hangul_base && c < hangul_base + hangul_count) {
    const char32_t s = c - hangul_base;
    out += hangul_l + s / (hangul_v_count * hangul_t_count);
    out += hangul_v + s % (hangul_v_count * hangul_t_count) / hangul_t_count;
    if (s % hangul_t_count != 0) out += hangul_t + s % hangul_t_count;
    return;
  }
  const auto* it = std::lower_bound(std::begin(decompositions), std::end(decompositions), c,
                                    [](const decomposition& d, char32_t v) { return d.code_point < v; });
  if (it == std::end(decompositions) || it->code_point != c) {
    out += c;
    return;
  }
  out.append(decomposition_parts + it->offset, it->size);
}

std::optional<char32_t> compose(char32_t first, char32_t second) {
  if (first >= hangul_l && first < hangul_l + hangul_l_count && second >= hangul_v &&
      second < hangul_v + hangul_v_count) {
    return hangul_base + ((first - hangul_l) * hangul_v_count + (second - hangul_v)) * hangul_t_count;
  }
  const bool lv = first >= hangul_base && first < hangul_base + hangul_count &&
                  (first - hangul_base) % hangul_t_count == 0;
  if (lv && second > hangul_t && second < hangul_t + hangul_t_count) return first + (second - hangul_t);
  const auto* it = std::lower_bound(
      std::begin(compositions), std::end(compositions), std::pair(first, second),
      [](const composition& e, std::pair<char32_t, char32_t> v) { return std::pair(e.first, e.second) < v; });
  if (it != std::end(compositions) && it->first == first && it->second == second) return it->composite;
  return std::nullopt;
}

// Stable sort of each run of combining marks by combining class.
void reorder_marks(std::u32string& s) {
  for (std::size_t i = 0; i < s.size();) {
    if (combining_class_of(s[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < s.size() && combining_class_of(s[end]) != 0) ++end;
    std::stable_sort(s.begin() + static_cast<std::ptrdiff_t>(i), s.begin() + static_cast<std::ptrdiff_t>(end),
                     [](char32_t a, char32_t b) { return combining_class_of(a) < combining_class_of(b); });
    i = end;
  }
}

// Canonical composition of a decomposed, reordered, non-empty string. `last_class` is the class of the last
// character kept (256 for a leading mark: nothing composes with it); a mark composes with the last starter
// unless a kept mark of the same or a higher class lies between them.
std::u32string recompose(const std::u32string& d) {
  std::u32string out(1, d[0]);
  std::size_t starter = 0;
  int last_class = combining_class_of(d[0]) == 0 ? 0 : 256;
  for (std::size_t i = 1; i < d.size(); ++i) {
    const char32_t c = d[i];
    const int cls = combining_class_of(c);
    if (last_class < cls || last_class == 0) {
      if (auto composite = compose(out[starter], c)) {
        out[starter] = *composite;
        continue;
      }
    }
    if (cls == 0) starter = out.size();
    last_class = cls;
    out += c;
  }
  return out;
}

bool is_nfc(const std::u32string& s) {
  std::u32string d;
  for (char32_t c : s) decompose_into(c, d);
  reorder_marks(d);
  return recompose(d) == s;
}

// --- String.Tokenizer ---

enum class token_kind { identifier, alias, atom };

struct token {
  token_kind kind;
  bool at = false;    // holds '@'
  bool nfkc = false;  // not in normal form C (or held a micro sign)
};

bool highly_restrictive(const std::u32string& chars) {
  return std::any_of(std::begin(highly_restrictive_scripts), std::end(highly_restrictive_scripts),
                     [&](std::uint64_t mix) {
                       return std::all_of(chars.begin(), chars.end(),
                                          [&](char32_t c) { return (scripts_of(c) & mix) != 0; });
                     });
}

// tokenize/1 on the whole text: the token when all of it is one identifier-like token, else nothing.
std::optional<token> tokenize(const std::u32string& text) {
  if (text.empty()) return std::nullopt;
  std::u32string chars = text;
  token t{token_kind::identifier};
  bool ascii = true;
  std::uint64_t scripts = latin_scripts;
  const char32_t head = chars[0];
  if (is_ascii_upper(head)) {
    t.kind = token_kind::alias;
  } else if (head == '_') {
    scripts = all_scripts;
  } else if (!is_ascii_lower(head)) {
    ascii = false;
    const identifier_range* r = find_range(head);
    if (r != nullptr && r->role != identifier_role::continuing) {
      t.kind = r->role == identifier_role::upper ? token_kind::atom : token_kind::identifier;
      scripts = r->scripts;
    } else if (head == micro_sign) {
      chars[0] = greek_mu;
      t.nfkc = true;
      scripts = all_scripts;
    } else {
      return std::nullopt;
    }
  }
  for (std::size_t i = 1; i < chars.size(); ++i) {
    const char32_t c = chars[i];
    if (c == '?' || c == '!') {
      if (i + 1 != chars.size()) return std::nullopt;  // punctuation ends the token; more text follows
    } else if (c == '@') {
      t.at = true;
    } else if (is_ascii_letter(c)) {
      scripts &= latin_scripts;
    } else if (c == '_' || is_ascii_digit(c)) {
      // no script
    } else if (c < 0x80) {
      return std::nullopt;
    } else if (const identifier_range* r = find_range(c)) {
      scripts &= r->scripts;
      ascii = false;
    } else if (c == micro_sign) {
      chars[i] = greek_mu;
      t.nfkc = true;
      ascii = false;
    } else {
      return std::nullopt;
    }
  }
  if (ascii) return t;
  if (!is_nfc(chars)) t.nfkc = true;
  if (scripts == 0 && !highly_restrictive(chars)) return std::nullopt;  // mixed scripts
  return t;
}

std::optional<std::u32string> code_points(std::string_view utf8) {
  std::u32string out;
  for (std::size_t pos = 0; pos < utf8.size();) {
    const auto c = utf8::decode(utf8, pos);
    if (!c) return std::nullopt;
    out += *c;
  }
  return out;
}

}  // namespace

atom_form classify_atom(std::string_view text) {
  if (is_not_callable(text)) return atom_form::not_callable;
  if (is_quoted_operator(text)) return atom_form::quoted_operator;
  if (is_operator(text)) return atom_form::unquoted_operator;
  if (is_valid_alias(text)) return atom_form::alias;
  const auto chars = code_points(text);
  const auto t = chars ? tokenize(*chars) : std::nullopt;
  if (!t) return atom_form::other;
  if (t->kind != token_kind::identifier || t->at) return atom_form::not_callable;
  return t->nfkc ? atom_form::other : atom_form::identifier;
}

}  // namespace beam::inspect_detail
