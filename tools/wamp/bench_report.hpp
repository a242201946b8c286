// The table of `wamp bench`: Google Benchmark's JSON output (--benchmark_format=json) read
// into rows, each compared with the raw TCP two-hop baseline (bench/tcp_baseline_bench:
// client -> relay -> server over loopback, the floor of any routed call), then formatted.
// No processes here: bench_command.cpp runs the binaries.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace wamp_cli {

/// The lowest and the highest of a value measured in several rounds.
struct value_range {
  double low = 0;
  double high = 0;
};

struct bench_row {
  /// The benchmark's name without Google Benchmark's "/real_time" and "/min_time:..."
  /// suffixes, followed by its label in brackets when it has one.
  std::string name;
  /// The latency_recorder counters (bench/latency_recorder.hpp), when the benchmark reports them.
  std::optional<double> p50_us;
  std::optional<double> p99_us;
  /// items_per_second when the benchmark counts items, else one call per iteration: 1e6 / mean.
  double calls_per_second = 0;
  /// p50_us divided by the matching two-hop baseline's p50; for a throughput row (calls/s,
  /// no p50), the relay's calls/s with as many callers divided by this row's (see
  /// add_baseline_ratios). Either way: how many times the physical limit's cost.
  std::optional<double> ratio_to_baseline;
  /// The payload size in bytes, when the name ("BM_tcp_two_hop/4096") or the label
  /// (".../4096B") tells it: rows are compared with the baseline of the same size.
  std::optional<long> payload_bytes;
  bool is_baseline = false;
  /// A row of a busy-polling router (its label says "busy-polling router") or the
  /// busy-polling relay (BM_tcp_two_hop_busy_poll): compared with each other only.
  bool busy_polling = false;
  /// Concurrent callers, when the label tells it (".../8 threads/..."), and whether this is
  /// the throughput baseline (bench/relay_throughput_bench: the TCP relay's calls/s).
  std::optional<int> threads;
  bool is_throughput_baseline = false;
  /// A call of autobahn-cpp through our router (bench/autobahn_cpp_bench), and rows to compare
  /// with it: our client's sequential RawSocket + MsgPack calls of the same payload size.
  bool is_autobahn_cpp = false;
  bool comparable_to_autobahn_cpp = false;
  std::optional<double> ratio_to_autobahn_cpp;
  /// Rows of median_of_rounds: over how many rounds the row was measured, and the range of
  /// the per-round ratios whose medians the two ratios above are.
  int rounds = 1;
  std::optional<value_range> ratio_to_baseline_range;
  std::optional<value_range> ratio_to_autobahn_cpp_range;
  /// Set when the benchmark reported an error (then only `name` is meaningful).
  std::optional<std::string> error;
};

/// The rows of one benchmark binary's JSON output, in order; aggregate rows (mean, median,
/// stddev of repetitions) are skipped. Throws std::runtime_error when the text is not
/// Google Benchmark JSON.
std::vector<bench_row> parse_benchmark_json(const std::string& json_text);

/// Fills ratio_to_baseline of every row with a p50: divided by the p50 of the baseline row
/// (BM_tcp_two_hop) of the same payload size, else of the smallest one; busy-polling rows
/// by the busy-polling relay's (BM_tcp_two_hop_busy_poll), and none without one. Rows with calls/s
/// and a number of threads but no p50 (throughput) get the calls/s of the relay row
/// (BM_tcp_relay_throughput) with as many threads divided by their own. Without the
/// matching baseline rows, leaves the ratios unset.
void add_baseline_ratios(std::vector<bench_row>& rows);

/// Fills ratio_to_autobahn_cpp of the comparable rows: their p50 divided by autobahn-cpp's
/// p50 for the same payload size through the same router (busy-polling or not; below 1:
/// faster than autobahn-cpp).
void add_autobahn_cpp_ratios(std::vector<bench_row>& rows);

/// One row per benchmark of `rounds` (each a whole run whose ratios are already added), in
/// the order first seen: the median of p50, p99 and calls/s over the rounds that measured the
/// row without an error, and the median of its per-round ratios with their range. A ratio is
/// thus the median of ratios each taken within one round, beside that round's baselines,
/// not a ratio of medians: what the VM did during a round affects both sides alike. A row
/// that failed in every round keeps the last error.
std::vector<bench_row> median_of_rounds(const std::vector<std::vector<bench_row>>& rounds);

/// The table: name, p50_us, p99_us, calls/s, x two-hop, x autobahn-cpp; "-" where a value
/// is unknown. Ratios with a range (median_of_rounds) read "1.99 (1.73-2.12)".
std::string format_bench_table(const std::vector<bench_row>& rows);

/// The latency distribution as an SVG bar chart: p50 and p99 of every row that has them.
std::string format_latency_svg(const std::vector<bench_row>& rows);

}  // namespace wamp_cli
