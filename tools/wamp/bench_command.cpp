#include "tools/wamp/bench_command.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "tools/wamp/bench_report.hpp"
#include "tools/wamp/cli_args.hpp"
#include "tools/wamp/exit_codes.hpp"
#include "tools/wamp/subprocess.hpp"

namespace wamp_cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* build_command = "bazel build -c opt --config=opt //bench/...";
constexpr const char* baseline_binary = "tcp_baseline_bench";

bool is_executable_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// The benchmark binaries of `dir` (every executable *_bench), the baseline first so that
// the table starts with the floor everything else is compared with.
std::vector<fs::path> benchmark_binaries(const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with("_bench") && is_executable_file(entry.path())) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    const bool a_base = a.filename() == baseline_binary, b_base = b.filename() == baseline_binary;
    return a_base != b_base ? a_base : a.filename() < b.filename();
  });
  return found;
}

// Where `bazel build -c opt //bench/...` puts the binaries, seen from this process: the
// bazel-out of the tree this tool was built in (also when run from its runfiles), then the
// workspace of `bazel run`, then the current directory.
std::vector<fs::path> candidate_directories() {
  std::vector<fs::path> candidates;
  const std::string opt_bench = "bazel-out/k8-opt/bin/bench";
  std::error_code ec;
  const std::string self = fs::canonical("/proc/self/exe", ec).string();
  if (const auto at = self.rfind("/bazel-out/"); !ec && at != std::string::npos) {
    candidates.emplace_back(self.substr(0, at + 1) + opt_bench);
  }
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    candidates.emplace_back(fs::path(workspace) / opt_bench);
  }
  candidates.emplace_back(fs::current_path(ec) / opt_bench);
  return candidates;
}

// Escapes `text` for the POSIX extended regex of --benchmark_filter.
std::string regex_quote(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::string_view(".[]{}()*+?^$|\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw cli_error(exit_other_failure, "cannot write " + path.string());
}

struct bench_options {
  std::optional<fs::path> directory;
  std::string filter;
  std::optional<std::string> min_time;
  std::optional<std::string> results;
  int rounds = 1;
};

// --rounds: a whole number from 1 to max_rounds.
constexpr int max_rounds = 100;
int parse_rounds(const std::string& text) {
  int rounds = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rounds);
  if (ec != std::errc() || end != text.data() + text.size() || rounds < 1 || rounds > max_rounds) {
    throw usage_error("--rounds takes a whole number from 1 to " + std::to_string(max_rounds) + ", not " + text);
  }
  return rounds;
}

int run_bench(std::span<const std::string> argv) {
  bench_options options;
  arg_reader in(argv);
  while (in.next()) {
    if (in.is_separator() || !in.is_option()) throw usage_error("unexpected argument " + in.text());
    if (in.text() == "--bench-dir") {
      options.directory = in.value();
    } else if (in.text() == "--filter") {
      options.filter = in.value();
    } else if (in.text() == "--min-time") {
      options.min_time = in.value();
    } else if (in.text() == "--results") {
      options.results = in.value();
    } else if (in.text() == "--rounds") {
      options.rounds = parse_rounds(in.value());
    } else {
      throw usage_error("unknown option " + in.text());
    }
  }

  std::vector<fs::path> binaries;
  const auto directories = options.directory ? std::vector{*options.directory} : candidate_directories();
  for (const auto& d : directories) {
    binaries = benchmark_binaries(d);
    if (!binaries.empty()) break;
  }
  if (binaries.empty()) {
    std::string searched;
    for (const auto& d : directories) searched += "\n  " + d.string();
    throw cli_error(exit_usage, std::string("no benchmark binaries found; build them first with\n  ") +
                                    build_command + "\nsearched:" + searched);
  }

  // Every benchmark of every binary, listed first so that the progress shows [i/N].
  std::vector<std::pair<fs::path, std::string>> benchmarks;
  for (const auto& binary : binaries) {
    std::vector<std::string> list{binary.string(), "--benchmark_list_tests=true"};
    if (!options.filter.empty()) list.push_back("--benchmark_filter=" + options.filter);
    const auto listed = run_command(list);
    if (listed.exit_code != 0) {
      std::fprintf(stderr, "wamp bench: %s cannot list its benchmarks:\n%s", binary.c_str(), listed.stderr_text.c_str());
      continue;
    }
    for (const auto& name : lines_of(listed.stdout_text)) benchmarks.emplace_back(binary, name);
  }
  if (benchmarks.empty()) throw cli_error(exit_other_failure, "no benchmark matches --filter " + options.filter);

  // Round after round, each running every benchmark once, so that each round's ratios
  // compare rows measured minutes apart at most, and a slow spell of the VM shows up as one
  // round's outlier instead of moving one configuration only.
  std::vector<std::vector<bench_row>> rounds;
  bool failed = false;
  for (int round = 1; round <= options.rounds; ++round) {
    const std::string round_tag =
        options.rounds > 1 ? "round " + std::to_string(round) + "/" + std::to_string(options.rounds) + " " : "";
    const fs::path round_results = options.results && options.rounds > 1
                                       ? fs::path(*options.results) / ("round-" + std::to_string(round))
                                       : fs::path(options.results.value_or(""));
    std::vector<bench_row> rows;
    for (std::size_t i = 0; i < benchmarks.size(); ++i) {
      const auto& [binary, name] = benchmarks[i];
      std::fprintf(stderr, "%s[%zu/%zu] %s %s ...", round_tag.c_str(), i + 1, benchmarks.size(),
                   binary.filename().c_str(), name.c_str());
      std::fflush(stderr);
      std::vector<std::string> run{binary.string(), "--benchmark_format=json", "--benchmark_filter=^" + regex_quote(name) + "$"};
      if (options.min_time) run.push_back("--benchmark_min_time=" + *options.min_time);
      const auto started = std::chrono::steady_clock::now();
      const auto outcome = run_command(run);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::vector<bench_row> these;
      try {
        if (outcome.exit_code != 0) throw std::runtime_error("exit code " + std::to_string(outcome.exit_code));
        these = parse_benchmark_json(outcome.stdout_text);
      } catch (const std::exception& e) {
        std::fprintf(stderr, " failed (%s)\n%s", e.what(), outcome.stderr_text.c_str());
        failed = true;
        continue;
      }
      if (!these.empty() && these.front().p50_us) {
        std::fprintf(stderr, " p50 %.1f us (%.1f s)\n", *these.front().p50_us, seconds);
      } else {
        std::fprintf(stderr, " done (%.1f s)\n", seconds);
      }
      rows.insert(rows.end(), these.begin(), these.end());
      if (options.results) {
        // Google Benchmark's own JSON, one file per benchmark run.
        write_file(round_results / (binary.filename().string() + "-" + std::to_string(i + 1) + ".json"),
                   outcome.stdout_text);
      }
    }
    add_baseline_ratios(rows);
    add_autobahn_cpp_ratios(rows);
    if (options.results && options.rounds > 1) write_file(round_results / "table.txt", format_bench_table(rows));
    rounds.push_back(std::move(rows));
  }

  const auto rows = options.rounds > 1 ? median_of_rounds(rounds) : rounds.front();
  std::string table;
  if (options.rounds > 1) {
    table = "Medians of " + std::to_string(options.rounds) +
            " rounds; each ratio is the median of the rounds' own ratios (lowest-highest)\n";
  }
  table += format_bench_table(rows);
  std::fputs(table.c_str(), stdout);
  if (options.results) {
    write_file(fs::path(*options.results) / "table.txt", table);
    write_file(fs::path(*options.results) / "latency.svg", format_latency_svg(rows));
    std::fprintf(stderr, "wamp bench: JSON, table.txt and latency.svg written to %s\n", options.results->c_str());
  }
  return failed ? exit_other_failure : exit_ok;
}

}  // namespace

const subcommand bench_subcommand{
    "bench",
    "run the benchmarks (built with -c opt) and print the comparison table",
    R"(usage: wamp bench [--bench-dir DIR] [--filter REGEX] [--min-time SECONDS] [--rounds N]
                  [--results DIR]

Runs every benchmark of bench/ one at a time (a progress line each on stderr), then
prints one row per benchmark on stdout: p50 and p99 latency in microseconds, calls per
second (items_per_second, else 1e6 / mean), and the p50 as a multiple of the raw TCP
two-hop baseline's (client -> relay -> server, same payload size when known) and, for
our RawSocket + MsgPack calls, as a multiple of autobahn-cpp's through the same router.

The binaries must be built with optimizations first:
  bazel build -c opt --config=opt //bench/...
They are looked for in bazel-out/k8-opt/bin/bench of the tree this tool was built in, of
the `bazel run` workspace, and of the current directory. Exit code 2 when none is found.

options:
  --bench-dir DIR      take the *_bench binaries of DIR
  --filter REGEX       only the benchmarks whose name matches (--benchmark_filter)
  --min-time SECONDS   passed to each benchmark as --benchmark_min_time
  --rounds N           run every benchmark N times, round after round, and print each
                       row's medians; each ratio is the median of the ratios taken within
                       each round, followed by their range, as in 1.99 (1.73-2.12)
  --results DIR        also write each run's JSON, table.txt and latency.svg into DIR
                       (with --rounds, each round's JSON and table.txt in DIR/round-K)
)",
    run_bench,
    /*uses_common_options=*/false,
};

}  // namespace wamp_cli
