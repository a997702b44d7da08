// tests/support/subprocess.hpp: running a helper program (erl, elixir) from a test or a benchmark: find it on
// PATH, feed its stdin, capture stdout and stderr, bound its run time. Linux/POSIX only.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beam::testing {

// The full path of `program` as the shell would find it on PATH; nullopt when it is not there.
[[nodiscard]] std::optional<std::string> find_on_path(std::string_view program);

struct process_result {
  // The exit status; 128 + N when signal N ended it (as a shell reports it).
  int exit_code = 0;
  bool timed_out = false;  // killed (SIGKILL) for running past the time limit
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] searched on PATH when it has no '/'), writes `input` to its stdin and closes it, and
// waits for it to end or for `limit` to pass (then kills it). Throws std::runtime_error when it cannot be
// started.
[[nodiscard]] process_result run_process(const std::vector<std::string>& argv, std::string_view input = {},
                                         std::chrono::milliseconds limit = std::chrono::minutes(5));

// Byte frames as Erlang's {packet, 4} writes them: a 32-bit big-endian length, then the bytes.
void append_packet4(std::string& out, std::string_view frame);
// Splits `data` into its {packet, 4} frames; throws std::runtime_error on a truncated frame.
[[nodiscard]] std::vector<std::string_view> split_packet4(std::string_view data);

// Whole-file helpers; both throw std::runtime_error on failure.
[[nodiscard]] std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view data);

// A fresh directory under the system's temporary directory, removed with its contents at destruction.
class temp_dir {
 public:
  explicit temp_dir(std::string_view prefix = "beampp");
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir();
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace beam::testing
