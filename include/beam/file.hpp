// beam/file.hpp: files, as Erlang's `file` module, read and written on the dirty threads (beam/blocking.hpp)
// so a slow disk never holds a scheduler.
//
//   beam::term data = co_await beam::file::read_file("/etc/hostname");     // a binary
//   co_await beam::file::write_file("/tmp/out.txt", "hello\n");
//   beam::file::handle log = co_await beam::file::open("/tmp/log.txt", beam::file::mode::append);
//   co_await log.write("one line\n");
//   co_await log.close();
//
// Errors are beam::error with the reason Erlang gives in {error, Reason}: the POSIX error's name in lower
// case (enoent, eacces, eisdir, enotdir, enospc ...). All calls are process-only coroutines.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include <beam/pid.hpp>
#include <beam/process.hpp>
#include <beam/term.hpp>

namespace beam::file {

// file:read_file/1: the whole file as a binary.
[[nodiscard]] task<term> read_file(std::string path);
// file:write_file/2: creates or truncates `path` and writes `data`.
[[nodiscard]] task<> write_file(std::string path, std::string_view data);

// Open modes, combined with |. As Erlang's: `write` alone truncates (with `read`, it does not); `write` and
// `append` create a missing file; `append` writes every write at the end. None: read.
enum class mode : unsigned { read = 1, write = 2, append = 4 };
[[nodiscard]] constexpr mode operator|(mode a, mode b) noexcept {
  return static_cast<mode>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
[[nodiscard]] constexpr bool has(mode set, mode m) noexcept {
  return (static_cast<unsigned>(set) & static_cast<unsigned>(m)) != 0;
}

// An open file (Erlang's raw file descriptor), owned by the process that opened it: only that process may
// use it (another gets beam::error(not_on_controlling_process)), one operation at a time. Each operation is a
// task: nothing happens, checks included, until it is awaited. Dropping the handle
// without close() (the owner ends, and its frames with it) closes the file once no operation of it runs.
class handle {
 public:
  handle(handle&&) noexcept = default;
  handle& operator=(handle&&) noexcept = default;
  ~handle();

  // file:read/2: up to `count` bytes as a binary; the atom `eof` at the end of the file.
  [[nodiscard]] task<term> read(std::size_t count);
  // file:write/2: writes all of `data` (copied now).
  [[nodiscard]] task<> write(std::string_view data);
  // file:close/1. Afterwards every operation gives beam::error(einval).
  [[nodiscard]] task<> close();
  [[nodiscard]] const pid& owner() const noexcept { return owner_; }

  struct descriptor;  // the open file, shared with the dirty thread that works on it

 private:
  friend task<handle> open(std::string path, mode modes);
  handle(std::shared_ptr<descriptor> fd, const pid& owner) noexcept : fd_(std::move(fd)), owner_(owner) {}
  // The descriptor, after checking that the caller owns it and that it is open.
  [[nodiscard]] std::shared_ptr<descriptor> checked() const;
  // Awaited: checks as checked() does, then runs f(descriptor&) on a dirty thread (file.cpp only).
  template <class F>
  [[nodiscard]] task<std::invoke_result_t<F&, descriptor&>> on_descriptor(F f) const;

  std::shared_ptr<descriptor> fd_;
  pid owner_;
};

// file:open/2 with `raw` and `binary`.
[[nodiscard]] task<handle> open(std::string path, mode modes = mode::read);

}  // namespace beam::file
