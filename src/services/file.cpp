// services/file.cpp: beam::file. Every system call runs on a dirty thread through beam::blocking_call; the
// process side only checks ownership and builds the job. A handle's descriptor is shared with the job working
// on it, so a process that ends mid-call never closes a descriptor a dirty thread still uses (nor one a later
// open reuses).
#include <beam/file.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <beam/blocking.hpp>

#include "io/posix_error.hpp"

namespace beam::file {

struct handle::descriptor {
  explicit descriptor(int f) noexcept : fd(f) {}
  descriptor(const descriptor&) = delete;
  descriptor& operator=(const descriptor&) = delete;
  ~descriptor() {
    if (fd >= 0) ::close(fd);
  }
  int fd;  // -1 once closed; the owner process and the one job running for it take turns
};

namespace {

using descriptor = handle::descriptor;
constexpr std::size_t read_chunk = std::size_t{64} << 10;

int open_flags(mode modes) {
  const bool reads = has(modes, mode::read) || !(has(modes, mode::write) || has(modes, mode::append));
  const bool writes = has(modes, mode::write) || has(modes, mode::append);
  int flags = reads && writes ? O_RDWR : writes ? O_WRONLY : O_RDONLY;
  if (writes) flags |= O_CREAT;
  if (has(modes, mode::append)) flags |= O_APPEND;
  if (has(modes, mode::write) && !reads) flags |= O_TRUNC;
  return flags | O_CLOEXEC;
}

// Dirty thread: the open file, or beam::error(posix reason).
std::shared_ptr<descriptor> open_descriptor(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags, 0666);
  if (fd < 0) throw io_impl::posix_error(errno, "open", path);
  return std::make_shared<descriptor>(fd);
}

// Dirty thread: up to `size` bytes into `out`; 0 at the end of the file.
std::size_t read_some(const descriptor& d, char* out, std::size_t size, std::string_view what) {
  for (;;) {
    const ssize_t n = ::read(d.fd, out, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw io_impl::posix_error(errno, "read", what);
  }
}

// Dirty thread: the rest of the file.
std::string read_rest(const descriptor& d, std::string_view what) {
  struct stat info {};
  std::string data;
  if (::fstat(d.fd, &info) == 0 && info.st_size > 0) data.reserve(static_cast<std::size_t>(info.st_size));
  for (;;) {
    const std::size_t had = data.size();
    data.resize(had + read_chunk);
    const std::size_t n = read_some(d, data.data() + had, read_chunk, what);
    data.resize(had + n);
    if (n == 0) return data;
  }
}

// Dirty thread: all of `data`.
void write_all(const descriptor& d, std::string_view data, std::string_view what) {
  while (!data.empty()) {
    const ssize_t n = ::write(d.fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw io_impl::posix_error(errno, "write", what);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Dirty thread: closes `d` now, reporting what close(2) reports (a write that failed late, on NFS say).
void close_descriptor(descriptor& d, std::string_view what) {
  if (::close(std::exchange(d.fd, -1)) != 0 && errno != EINTR)
    throw io_impl::posix_error(errno, "close", what);
}

}  // namespace

task<term> read_file(std::string path) {
  return blocking_call([path = std::move(path)] {
    const auto d = open_descriptor(path, open_flags(mode::read));
    return term(read_rest(*d, path));
  });
}

task<> write_file(std::string path, std::string_view data) {
  return blocking_call([path = std::move(path), data = std::string(data)] {
    const auto d = open_descriptor(path, open_flags(mode::write));
    write_all(*d, data, path);
    close_descriptor(*d, path);
  });
}

task<handle> open(std::string path, mode modes) {
  const pid owner = self();
  const int flags = open_flags(modes);
  // The job returns the descriptor, not the number: a caller killed meanwhile drops it, and that closes it.
  // The lambda is named, not built inside the co_await: GCC 12 destroys a lambda temporary with init-captures
  // twice there.
  auto open_it = [path = std::move(path), flags] { return open_descriptor(path, flags); };
  auto fd = co_await blocking_call(std::move(open_it));
  co_return handle(std::move(fd), owner);
}

handle::~handle() = default;

std::shared_ptr<descriptor> handle::checked() const {
  if (self() != owner_) {
    throw error(term(atom("not_on_controlling_process")), "file: the handle belongs to another process");
  }
  if (!fd_ || fd_->fd < 0) throw error(term(atom("einval")), "file: the handle is closed");
  return fd_;
}

template <class F>
task<std::invoke_result_t<F&, descriptor&>> handle::on_descriptor(F f) const {
  auto run = [d = checked(), f = std::move(f)]() mutable { return f(*d); };  // named: see open()
  co_return co_await blocking_call(std::move(run));
}

task<term> handle::read(std::size_t count) {
  return on_descriptor([count](descriptor& d) {
    std::string data(count, '\0');
    data.resize(read_some(d, data.data(), count, "file"));
    return data.empty() && count > 0 ? term(atom("eof")) : term(data);
  });
}

task<> handle::write(std::string_view data) {
  return on_descriptor([data = std::string(data)](descriptor& d) { write_all(d, data, "file"); });
}

task<> handle::close() {
  return on_descriptor([](descriptor& d) { close_descriptor(d, "file"); });
}

}  // namespace beam::file
