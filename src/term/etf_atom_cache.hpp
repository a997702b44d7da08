// term/etf_atom_cache.hpp: per-thread caches of atoms in their ETF form, for the encoder and the decoder.
//
// Atoms dominate the cost of small messages: encoding one reads its text and latin-1 flag from the atom table
// and converts the text; decoding one hashes its text byte by byte and probes the table. Each thread keeps
// two small direct-mapped caches of the atoms it met last whose ETF form (tag, length, text) fits in a slot:
// one by atom index for the encoder, one by ETF bytes for the decoder. Atoms are never freed, so an entry
// never goes stale; a miss takes the slow path and overwrites the slot. A thread's caches are allocated on
// its first use (16 KiB) and freed when it exits. Only atoms that decoded (and so exist) are cached, which
// keeps `safe` decoding exact.
//
// Rejected: one process-wide cache (every hit would need atomics, and workers would share its cache lines);
// keeping the ETF form in the atom table itself (the table would learn about a wire format).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>

#include <beam/atom.hpp>

namespace beam::etf {

class atom_cache {
 public:
  // The longest ETF form cached: atoms of up to 25 ASCII characters.
  static constexpr std::size_t max_bytes = 27;

  // This thread's caches. Any thread; the result must stay on the calling thread.
  [[nodiscard]] static atom_cache& local() {
    thread_local const std::unique_ptr<atom_cache> cache = std::make_unique<atom_cache>();
    return *cache;
  }

  // The encoder's side: the ETF form of `a` if cached, else an empty span.
  // The span's data holds max_bytes readable bytes whatever its size, so that it may be copied at a fixed
  // size.
  [[nodiscard]] std::span<const std::uint8_t> encoded(atom a) const noexcept {
    const slot& s = by_atom_[a.index() % slots];
    if (s.atom_plus_one != a.index() + 1) return {};
    return {s.bytes.data(), s.size};
  }
  void remember_encoded(atom a, std::span<const std::uint8_t> etf) noexcept {
    store(by_atom_[a.index() % slots], a, etf);
  }

  // The decoder's side: the atom whose ETF form is `etf` (2 to max_bytes bytes) if cached.
  [[nodiscard]] std::optional<atom> decoded(std::span<const std::uint8_t> etf) const noexcept {
    if (etf.size() > max_bytes) return std::nullopt;
    const words w = words_of(etf.data(), etf.size());
    const slot& s = by_bytes_[w.hash() % slots];
    if (s.size != etf.size() || s.atom_plus_one == 0 || !(words_of(s.bytes.data(), s.size) == w))
      return std::nullopt;
    return atom::from_index(s.atom_plus_one - 1);
  }
  void remember_decoded(std::span<const std::uint8_t> etf, atom a) noexcept {
    if (etf.size() <= max_bytes) store(by_bytes_[words_of(etf.data(), etf.size()).hash() % slots], a, etf);
  }

 private:
  static constexpr std::size_t slots = 256;
  struct slot {
    std::uint32_t atom_plus_one = 0;  // 0: empty
    std::uint8_t size = 0;
    std::array<std::uint8_t, max_bytes> bytes{};
  };

  static void store(slot& s, atom a, std::span<const std::uint8_t> etf) noexcept {
    if (etf.size() > max_bytes) return;
    s.atom_plus_one = a.index() + 1;
    s.size = static_cast<std::uint8_t>(etf.size());
    std::memcpy(s.bytes.data(), etf.data(), etf.size());
  }

  // Up to 27 bytes as four words that together cover all of them (overlapping when there are fewer), read
  // with fixed-size loads: equal words mean equal bytes for the same size, and they hash cheaply.
  struct words {
    std::array<std::uint64_t, 4> w;
    friend bool operator==(const words&, const words&) = default;
    [[nodiscard]] std::size_t hash() const noexcept {
      const std::uint64_t h = (w[0] * 0x9E3779B97F4A7C15ULL) ^ (w[1] * 0xC2B2AE3D27D4EB4FULL) ^
                              (w[2] * 0x165667B19E3779F9ULL) ^ (w[3] * 0x27D4EB2F165667C5ULL);
      return static_cast<std::size_t>(h >> 40);
    }
  };
  static std::uint64_t load64(const std::uint8_t* at) noexcept {
    std::uint64_t v;
    std::memcpy(&v, at, sizeof v);
    return v;
  }
  static std::uint64_t load32(const std::uint8_t* at) noexcept {
    std::uint32_t v;
    std::memcpy(&v, at, sizeof v);
    return v;
  }
  // `n` is 2 to max_bytes: words at 0, 8, 16 and n-8 (or 0 and n-4, or each byte) cover them all.
  static words words_of(const std::uint8_t* at, std::size_t n) noexcept {
    if (n >= 8) {
      const std::size_t last = n - 8;
      return {{load64(at), load64(at + std::min<std::size_t>(8, last)),
               load64(at + std::min<std::size_t>(16, last)), load64(at + last) ^ n}};
    }
    if (n >= 4) return {{load32(at), load32(at + n - 4), 0, n}};
    return {{at[0], at[1], at[n - 1], n}};
  }

  std::array<slot, slots> by_atom_{};
  std::array<slot, slots> by_bytes_{};
};

}  // namespace beam::etf
