// dist/handshake.cpp: the handshake's messages, digest and checks (the design is at the top of
// dist/handshake.hpp).
#include "dist/handshake.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>

#include "dist/bytes.hpp"

namespace beam::dist_impl {
namespace {

// A bounds-checked reader over one handshake packet.
class reader {
 public:
  reader(std::string_view packet, const char* what) : data_(packet), what_(what) {}
  std::uint64_t be(int bytes) {
    need(static_cast<std::size_t>(bytes));
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<std::uint8_t>(data_[at_++]);
    return v;
  }
  std::string_view take(std::size_t n) {
    need(n);
    std::string_view s = data_.substr(at_, n);
    at_ += n;
    return s;
  }
  void tag(char expected) {
    if (data_.empty()) throw handshake_error(fmt::format("an empty packet where {} was expected", what_));
    if (data_[0] != expected) {
      throw handshake_error(fmt::format("{}: tag {} where '{}' was expected", what_,
                                        static_cast<int>(static_cast<std::uint8_t>(data_[0])), expected));
    }
    at_ = 1;
  }
  void end() const {
    if (at_ != data_.size()) {
      throw handshake_error(fmt::format("{}: {} bytes past its end", what_, data_.size() - at_));
    }
  }

 private:
  void need(std::size_t n) const {
    if (data_.size() - at_ < n) {
      throw handshake_error(
          fmt::format("{}: truncated ({} bytes, {} more needed at byte {})", what_, data_.size(), n, at_));
    }
  }
  std::string_view data_;
  const char* what_;
  std::size_t at_ = 0;
};

md5_digest take_digest(reader& r) {
  md5_digest d;
  const std::string_view bytes = r.take(16);
  std::memcpy(d.data(), bytes.data(), 16);
  return d;
}

// The names of the mandatory flags missing from `flags`, as OTP reports them.
std::string missing_names(std::uint64_t flags) {
  static constexpr std::pair<std::uint64_t, const char*> names[] = {
      {flag::extended_references, "EXTENDED_REFERENCES"},
      {flag::fun_tags, "FUN_TAGS"},
      {flag::extended_pids_ports, "EXTENDED_PIDS_PORTS"},
      {flag::utf8_atoms, "UTF8_ATOMS"},
      {flag::new_fun_tags, "NEW_FUN_TAGS"},
      {flag::big_creation, "BIG_CREATION"},
      {flag::new_floats, "NEW_FLOATS"},
      {flag::map_tag, "MAP_TAG"},
      {flag::export_ptr_tag, "EXPORT_PTR_TAG"},
      {flag::bit_binaries, "BIT_BINARIES"},
      {flag::handshake_23, "HANDSHAKE_23"}};
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((flags & bit) == 0) out += out.empty() ? name : std::string(", ") + name;
  }
  return out;
}

}  // namespace

std::string encode_send_name(const send_name& m) {
  std::string out = "N";
  put_be(out, m.flags, 8);
  put_be(out, m.creation, 4);
  put_be(out, m.name.size(), 2);
  out += m.name;
  return out;
}

std::string encode_status(std::string_view status) {
  return "s" + std::string(status);
}

std::string encode_challenge(const challenge& m) {
  std::string out = "N";
  put_be(out, m.flags, 8);
  put_be(out, m.challenge, 4);
  put_be(out, m.creation, 4);
  put_be(out, m.name.size(), 2);
  out += m.name;
  return out;
}

std::string encode_challenge_reply(const challenge_reply& m) {
  std::string out = "r";
  put_be(out, m.challenge, 4);
  out.append(reinterpret_cast<const char*>(m.digest.data()), m.digest.size());
  return out;
}

std::string encode_challenge_ack(const md5_digest& digest) {
  std::string out = "a";
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return out;
}

send_name parse_send_name(std::string_view packet) {
  if (!packet.empty() && packet[0] == 'n') {
    throw handshake_error("send_name: the version 5 form ('n'), which this node does not speak");
  }
  reader r(packet, "send_name");
  r.tag('N');
  send_name m;
  m.flags = r.be(8);
  m.creation = static_cast<std::uint32_t>(r.be(4));
  const auto length = static_cast<std::size_t>(r.be(2));
  m.name = std::string(r.take(length));  // OTP may append bytes after the name: ignored, as OTP does
  check_node_name(m.name);
  return m;
}

std::string parse_status(std::string_view packet) {
  reader r(packet, "status");
  r.tag('s');
  return std::string(packet.substr(1));
}

challenge parse_challenge(std::string_view packet) {
  reader r(packet, "challenge");
  r.tag('N');
  challenge m;
  m.flags = r.be(8);
  m.challenge = static_cast<std::uint32_t>(r.be(4));
  m.creation = static_cast<std::uint32_t>(r.be(4));
  const auto length = static_cast<std::size_t>(r.be(2));
  m.name = std::string(r.take(length));
  check_node_name(m.name);
  return m;
}

challenge_reply parse_challenge_reply(std::string_view packet) {
  reader r(packet, "challenge_reply");
  r.tag('r');
  challenge_reply m;
  m.challenge = static_cast<std::uint32_t>(r.be(4));
  m.digest = take_digest(r);
  r.end();
  return m;
}

md5_digest parse_challenge_ack(std::string_view packet) {
  reader r(packet, "challenge_ack");
  r.tag('a');
  md5_digest d = take_digest(r);
  r.end();
  return d;
}

md5_digest digest(std::string_view cookie, std::uint32_t challenge) noexcept {
  md5 h;
  h.update(cookie);
  char text[16];
  const auto written =
      fmt::format_to_n(text, sizeof text, "{}", challenge);  // unsigned: OTP's are up to 2^32-1
  h.update(std::string_view(text, written.size));
  return h.finish();
}

bool digests_equal(const md5_digest& a, const md5_digest& b) noexcept {
  std::uint8_t difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<std::uint8_t>(a[i] ^ b[i]);
  return difference == 0;
}

std::uint32_t new_challenge() {
  std::uint32_t value = 0;
  auto* p = reinterpret_cast<char*>(&value);
  std::size_t got = 0;
  while (got < sizeof value) {
    const ssize_t n = ::getrandom(p + got, sizeof value - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::system_error(errno, std::generic_category(), "getrandom for a handshake challenge");
    got += static_cast<std::size_t>(n);
  }
  return value;
}

std::uint64_t check_flags(std::uint64_t peer_flags) {
  if ((peer_flags & flag::mandatory_25_digest) != 0) peer_flags |= flag::mandatory_25;
  if ((peer_flags & flag::mandatory_25) != flag::mandatory_25) {
    throw handshake_error(
        fmt::format("the peer cannot handle {} (flags {:#x})", missing_names(peer_flags), peer_flags));
  }
  return peer_flags;
}

void check_node_name(std::string_view name) {
  const auto at = name.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == name.size()) {
    throw handshake_error(fmt::format("node name '{}' is not of the form alive@host", name));
  }
  if (name.size() > 255)
    throw handshake_error(fmt::format("node name of {} bytes (at most 255)", name.size()));
}

}  // namespace beam::dist_impl
