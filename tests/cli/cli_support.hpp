#pragma once

// What the CLI tests share: run the dlbfgs program as a child process (directly or under
// mpiexec, bounded by `timeout`) and read its exit status, standard output and error, and the
// JSON result line. Header-only; each test program includes it once.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace dlbfgs_cli_test {

inline const std::string kExe = DLBFGS_EXE;
inline const std::string kMpiexec = DLBFGS_MPIEXEC;

struct Output {
  int status = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

inline std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("dlbfgs-cli-" + std::to_string(getpid()) + "-" + name))
      .string();
}

// Runs `dlbfgs ARGS` with `ranks` processes (0: directly, without mpiexec), after the shell
// commands `before` (e.g. a ulimit).
inline Output RunCli(const std::string& args, int ranks = 0, int seconds = 120,
                     const std::string& before = "") {
  // Distinct files per call: tests may run several children at once.
  static std::atomic<int> calls{0};
  const std::string tag = std::to_string(calls++);
  const std::string out_path = TempPath("stdout-" + tag), err_path = TempPath("stderr-" + tag);
  std::string cmd = before + "timeout " + std::to_string(seconds) + " ";
  // -q: Open MPI's own banner about a non-zero exit would add lines to standard error.
  if (ranks > 0) cmd += kMpiexec + " -q -n " + std::to_string(ranks) + " ";
  cmd += kExe + " " + args + " > " + out_path + " 2> " + err_path;
  const int raw = std::system(cmd.c_str());
  Output o;
  o.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  o.out = ReadFile(out_path);
  o.err = ReadFile(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return o;
}

inline nlohmann::json LastJson(const Output& o) {
  const auto lines = Lines(o.out);
  if (lines.empty()) return nullptr;
  return nlohmann::json::parse(lines.back(), nullptr, /*allow_exceptions=*/false);
}

// Exit 2 with exactly one line on standard error that mentions `needle`.
inline void ExpectOneLineExitTwo(const Output& o, const std::string& needle) {
  EXPECT_EQ(o.status, 2);
  const auto lines = Lines(o.err);
  ASSERT_EQ(lines.size(), 1u) << o.err;
  EXPECT_NE(lines[0].find(needle), std::string::npos) << lines[0];
}

/// Runs each command line twice, directly and on 2 ranks, four children at a time (an mpiexec
/// whose ranks exit non-zero idles about 2 s while shutting down; one after the other they took a
/// minute). Output 2k is command k run directly, 2k + 1 the same on 2 ranks.
inline std::vector<Output> RunEachDirectlyAndOnTwoRanks(const std::vector<std::string>& commands) {
  std::vector<Output> outputs(2 * commands.size());
  constexpr std::size_t kAtOnce = 4;
  for (std::size_t first = 0; first < outputs.size(); first += kAtOnce) {
    std::vector<std::thread> batch;
    for (std::size_t i = first; i < std::min(first + kAtOnce, outputs.size()); ++i) {
      batch.emplace_back([&outputs, &commands, i] {
        outputs[i] = RunCli(commands[i / 2], i % 2 == 0 ? 0 : 2, 60);
      });
    }
    for (std::thread& t : batch) t.join();
  }
  return outputs;
}

}  // namespace dlbfgs_cli_test
