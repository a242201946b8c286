// The `wamp bench` table from canned Google Benchmark JSON: names, units, counters, the
// ratio to the two-hop baseline of the same payload size, errors and aggregates.
#include "tools/wamp/bench_report.hpp"

#include <stdexcept>
#include <string>

#include <catch2/catch.hpp>

using namespace wamp_cli;

namespace {

// Trimmed output of `tcp_baseline_bench --benchmark_format=json` and `call_bench ...`.
const std::string baseline_json = R"({
  "context": {"date": "2026-01-01T00:00:00+00:00", "num_cpus": 2},
  "benchmarks": [
    {"name": "BM_tcp_two_hop/16/real_time", "run_name": "BM_tcp_two_hop/16/real_time", "run_type": "iteration",
     "iterations": 1000, "real_time": 20000.0, "cpu_time": 5000.0, "time_unit": "ns",
     "p50_us": 20.0, "p99_us": 40.0},
    {"name": "BM_tcp_two_hop/4096/real_time", "run_name": "BM_tcp_two_hop/4096/real_time", "run_type": "iteration",
     "iterations": 1000, "real_time": 25000.0, "cpu_time": 5000.0, "time_unit": "ns",
     "p50_us": 25.0, "p99_us": 50.0}
  ]
})";

const std::string call_json = R"({
  "context": {},
  "benchmarks": [
    {"name": "BM_call/1/2/16/0/min_time:0.500/real_time", "run_type": "iteration", "iterations": 100,
     "real_time": 0.05, "time_unit": "ms", "p50_us": 50.0, "p99_us": 90.5,
     "label": "rawsocket/msgpack/16B"},
    {"name": "BM_call/1/2/4096/0/min_time:0.500/real_time", "run_type": "iteration", "iterations": 100,
     "real_time": 0.1, "time_unit": "ms", "p50_us": 100.0, "p99_us": 150.0,
     "label": "rawsocket/msgpack/4096B"},
    {"name": "BM_call/1/2/4096/0/min_time:0.500/real_time_mean", "run_type": "aggregate",
     "aggregate_name": "mean", "real_time": 0.1, "time_unit": "ms"},
    {"name": "BM_concurrent_calls/0/4/real_time", "run_type": "iteration", "iterations": 10,
     "real_time": 12.0, "time_unit": "ms", "items_per_second": 250000.0,
     "label": "inprocess/msgpack/4 threads"},
    {"name": "BM_broken", "run_type": "iteration", "error_occurred": true,
     "error_message": "router refused the join"}
  ]
})";

std::vector<bench_row> both() {
  auto rows = parse_benchmark_json(baseline_json);
  const auto calls = parse_benchmark_json(call_json);
  rows.insert(rows.end(), calls.begin(), calls.end());
  add_baseline_ratios(rows);
  return rows;
}

}  // namespace

TEST_CASE("bench rows: names without run suffixes, label in brackets, aggregates skipped", "[bench_report]") {
  const auto rows = parse_benchmark_json(call_json);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].name == "BM_call/1/2/16/0 [rawsocket/msgpack/16B]");
  CHECK(rows[0].payload_bytes == 16);
  CHECK(rows[1].payload_bytes == 4096);
  CHECK(rows[2].name == "BM_concurrent_calls/0/4 [inprocess/msgpack/4 threads]");
  CHECK_FALSE(rows[2].payload_bytes);
  CHECK(rows[3].error == "router refused the join");
}

TEST_CASE("bench rows: calls/s from items_per_second, else from the mean in any unit", "[bench_report]") {
  const auto rows = parse_benchmark_json(call_json);
  CHECK(rows[0].calls_per_second == Approx(20000.0));  // 0.05 ms per call
  CHECK(rows[2].calls_per_second == Approx(250000.0));
  CHECK_FALSE(rows[2].p50_us);
  CHECK(parse_benchmark_json(baseline_json)[0].calls_per_second == Approx(50000.0));  // 20000 ns
}

TEST_CASE("bench rows: the ratio is to the two-hop baseline of the same payload size", "[bench_report]") {
  const auto rows = both();
  REQUIRE(rows.size() == 6);
  CHECK(rows[0].is_baseline);
  CHECK(rows[0].ratio_to_baseline == Approx(1.0));
  CHECK(rows[2].ratio_to_baseline == Approx(50.0 / 20.0));
  CHECK(rows[3].ratio_to_baseline == Approx(100.0 / 25.0));
  CHECK_FALSE(rows[4].ratio_to_baseline);  // no p50 to compare
}

TEST_CASE("bench rows: a busy-polling router's rows are compared with the busy-polling relay only", "[bench_report]") {
  auto rows = parse_benchmark_json(baseline_json);
  const auto busy = parse_benchmark_json(R"({"benchmarks": [
    {"name": "BM_tcp_two_hop_busy_poll/16/real_time", "run_type": "iteration", "iterations": 1000,
     "real_time": 10000.0, "time_unit": "ns", "p50_us": 10.0, "p99_us": 20.0},
    {"name": "BM_call/1/2/16/6/min_time:0.500/real_time", "run_type": "iteration", "iterations": 100,
     "real_time": 0.03, "time_unit": "ms", "p50_us": 15.0, "p99_us": 30.0,
     "label": "rawsocket/msgpack/16B/busy-polling router"},
    {"name": "BM_call/1/2/16/0/min_time:0.500/real_time", "run_type": "iteration", "iterations": 100,
     "real_time": 0.05, "time_unit": "ms", "p50_us": 50.0, "p99_us": 90.0,
     "label": "rawsocket/msgpack/16B"}
  ]})");
  rows.insert(rows.end(), busy.begin(), busy.end());
  add_baseline_ratios(rows);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].ratio_to_baseline == Approx(1.0));  // the plain relay is not compared with the busy one
  CHECK(rows[2].is_baseline);
  CHECK(rows[2].busy_polling);
  CHECK(rows[2].ratio_to_baseline == Approx(1.0));
  CHECK(rows[3].busy_polling);
  CHECK(rows[3].ratio_to_baseline == Approx(15.0 / 10.0));
  CHECK_FALSE(rows[4].busy_polling);
  CHECK(rows[4].ratio_to_baseline == Approx(50.0 / 20.0));

  // Without the busy-polling relay, busy-polling rows get no ratio rather than the plain one's.
  auto without = parse_benchmark_json(baseline_json);
  without.push_back(busy[1]);
  add_baseline_ratios(without);
  CHECK_FALSE(without[2].ratio_to_baseline);
}

TEST_CASE("bench rows: without a baseline there are no ratios", "[bench_report]") {
  auto rows = parse_benchmark_json(call_json);
  add_baseline_ratios(rows);
  CHECK_FALSE(rows[0].ratio_to_baseline);
  const std::string table = format_bench_table(rows);
  CHECK(table.find("BM_call/1/2/16/0 [rawsocket/msgpack/16B]") != std::string::npos);
}

TEST_CASE("bench table: aligned columns, '-' for unknown values, errors on their own line", "[bench_report]") {
  const std::string table = format_bench_table(both());
  const std::string name_width(std::string("BM_concurrent_calls/0/4 [inprocess/msgpack/4 threads]").size(), ' ');
  const std::string expected =
      "name" + name_width.substr(4) + "      p50_us      p99_us       calls/s  x two-hop  x autobahn-cpp\n" +
      "BM_tcp_two_hop/16" + name_width.substr(17) + "        20.0        40.0         50000       1.00               -\n" +
      "BM_tcp_two_hop/4096" + name_width.substr(19) + "        25.0        50.0         40000       1.00               -\n" +
      "BM_call/1/2/16/0 [rawsocket/msgpack/16B]" + name_width.substr(40) +
      "        50.0        90.5         20000       2.50               -\n" +
      "BM_call/1/2/4096/0 [rawsocket/msgpack/4096B]" + name_width.substr(44) +
      "       100.0       150.0         10000       4.00               -\n" +
      "BM_concurrent_calls/0/4 [inprocess/msgpack/4 threads]" + "           -           -        250000          -               -\n" +
      "BM_broken  error: router refused the join\n";
  CHECK(table == expected);
}

TEST_CASE("bench rows: text that is not benchmark JSON is refused", "[bench_report]") {
  CHECK_THROWS_AS(parse_benchmark_json("not json"), std::runtime_error);
  CHECK_THROWS_AS(parse_benchmark_json(R"({"context": {}})"), std::runtime_error);
}

TEST_CASE("bench rows: our RawSocket calls are compared with autobahn-cpp's of the same size; the SVG shows p50 and p99",
          "[bench_report]") {
  const std::string theirs = R"({"benchmarks": [
    {"name": "BM_autobahn_cpp_call/16/min_time:0.500/real_time", "run_type": "iteration", "real_time": 200000,
     "time_unit": "ns", "p50_us": 200.0, "p99_us": 300.0, "label": "autobahn-cpp/rawsocket/msgpack/16B"},
    {"name": "BM_call/1/2/16/4/min_time:0.500/real_time", "run_type": "iteration", "real_time": 40000,
     "time_unit": "ns", "p50_us": 40.0, "p99_us": 60.0, "label": "rawsocket/msgpack/16B/caller-driven I/O"},
    {"name": "BM_call/1/2/16/1/min_time:0.500/real_time", "run_type": "iteration", "real_time": 30000,
     "time_unit": "ns", "p50_us": 30.0, "p99_us": 60.0, "label": "rawsocket/msgpack/16B/inline callee"}]})";
  auto rows = parse_benchmark_json(call_json);
  const auto more = parse_benchmark_json(theirs);
  rows.insert(rows.end(), more.begin(), more.end());
  add_autobahn_cpp_ratios(rows);
  REQUIRE(rows[0].ratio_to_autobahn_cpp);
  CHECK(*rows[0].ratio_to_autobahn_cpp == Approx(50.0 / 200.0));
  CHECK_FALSE(rows[1].ratio_to_autobahn_cpp);  // 4096 B: autobahn-cpp has no such row here
  const auto& caller_driven = rows[rows.size() - 2];
  REQUIRE(caller_driven.ratio_to_autobahn_cpp);  // a caller of ours to the same callee
  CHECK(*caller_driven.ratio_to_autobahn_cpp == Approx(40.0 / 200.0));
  CHECK_FALSE(rows.back().ratio_to_autobahn_cpp);  // another callee than autobahn-cpp's calls have
  const auto svg = format_latency_svg(rows);
  CHECK(svg.rfind("<svg", 0) == 0);
  CHECK(svg.find("50.0 / 90.5") != std::string::npos);
  CHECK(svg.find("200.0 / 300.0") != std::string::npos);
}

TEST_CASE("bench rows: calls through a busy-polling router are compared with autobahn-cpp's through it", "[bench_report]") {
  auto rows = parse_benchmark_json(R"({"benchmarks": [
    {"name": "BM_autobahn_cpp_call/16/0/min_time:0.500/real_time", "run_type": "iteration", "real_time": 200000,
     "time_unit": "ns", "p50_us": 200.0, "p99_us": 300.0, "label": "autobahn-cpp/rawsocket/msgpack/16B"},
    {"name": "BM_autobahn_cpp_call/16/1/min_time:0.500/real_time", "run_type": "iteration", "real_time": 100000,
     "time_unit": "ns", "p50_us": 100.0, "p99_us": 200.0, "label": "autobahn-cpp/rawsocket/msgpack/16B/busy-polling router"},
    {"name": "BM_call/1/2/16/0/min_time:0.500/real_time", "run_type": "iteration", "real_time": 150000,
     "time_unit": "ns", "p50_us": 150.0, "p99_us": 250.0, "label": "rawsocket/msgpack/16B"},
    {"name": "BM_call/1/2/16/6/min_time:0.500/real_time", "run_type": "iteration", "real_time": 60000,
     "time_unit": "ns", "p50_us": 60.0, "p99_us": 90.0, "label": "rawsocket/msgpack/16B/busy-polling router"},
    {"name": "BM_call/1/2/16/7/min_time:0.500/real_time", "run_type": "iteration", "real_time": 50000,
     "time_unit": "ns", "p50_us": 50.0, "p99_us": 90.0,
     "label": "rawsocket/msgpack/16B/caller-driven I/O, busy-polling router"}]})");
  add_autobahn_cpp_ratios(rows);
  CHECK(rows[1].busy_polling);
  CHECK(rows[2].ratio_to_autobahn_cpp == Approx(150.0 / 200.0));
  CHECK(rows[3].ratio_to_autobahn_cpp == Approx(60.0 / 100.0));
  CHECK(rows[4].ratio_to_autobahn_cpp == Approx(50.0 / 100.0));
}

TEST_CASE("bench rows: throughput is compared with the TCP relay's calls/s for as many threads", "[bench_report]") {
  const std::string json = R"({"benchmarks": [
    {"name": "BM_tcp_relay_throughput/8/real_time", "run_type": "iteration", "real_time": 40.0, "time_unit": "ms",
     "items_per_second": 50000.0, "label": "tcp relay/16B/8 threads"},
    {"name": "BM_concurrent_calls/1/8/0/real_time", "run_type": "iteration", "real_time": 80.0, "time_unit": "ms",
     "items_per_second": 25000.0, "label": "rawsocket/msgpack/8 threads/one session"},
    {"name": "BM_concurrent_calls/1/64/0/real_time", "run_type": "iteration", "real_time": 40.0, "time_unit": "ms",
     "items_per_second": 50000.0, "label": "rawsocket/msgpack/64 threads/one session"}]})";
  auto rows = parse_benchmark_json(json);
  add_baseline_ratios(rows);  // no two-hop latency rows here: only throughput ratios
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].is_throughput_baseline);
  CHECK(rows[0].threads == 8);
  CHECK(rows[0].ratio_to_baseline == Approx(1.0));
  CHECK(rows[1].threads == 8);
  CHECK(rows[1].ratio_to_baseline == Approx(2.0));  // half the relay's calls/s: twice its cost
  CHECK(rows[2].threads == 64);
  CHECK_FALSE(rows[2].ratio_to_baseline);  // no relay row with 64 threads here
  CHECK(format_bench_table(rows).find("25000       2.00") != std::string::npos);
}

namespace {

// One round: the relay at `relay_p50`, our call at `call_p50`, ratios added.
std::vector<bench_row> round_of(double relay_p50, double call_p50, bool call_fails = false) {
  bench_row relay;
  relay.name = "BM_tcp_two_hop/16";
  relay.is_baseline = true;
  relay.payload_bytes = 16;
  relay.p50_us = relay_p50;
  relay.p99_us = 2 * relay_p50;
  relay.calls_per_second = 1e6 / relay_p50;
  bench_row call;
  call.name = "BM_call/1/2/16/0 [rawsocket/msgpack/16B]";
  call.payload_bytes = 16;
  if (call_fails) {
    call.error = "router refused the join";
  } else {
    call.p50_us = call_p50;
    call.p99_us = 2 * call_p50;
    call.calls_per_second = 1e6 / call_p50;
  }
  std::vector<bench_row> rows{relay, call};
  add_baseline_ratios(rows);
  return rows;
}

}  // namespace

TEST_CASE("bench rounds: medians of each value, and the median and range of the rounds' own ratios", "[bench_report]") {
  // The call's ratios are 2.5, 1.5, 3.0 and 2.0: median 2.25, where the ratio of the
  // medians (37.5 / 20) would be 1.875.
  const auto rows = median_of_rounds({round_of(10, 25), round_of(20, 30), round_of(30, 90), round_of(40, 80)});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].name == "BM_tcp_two_hop/16");
  CHECK(rows[0].is_baseline);
  CHECK(rows[0].rounds == 4);
  CHECK(*rows[0].p50_us == Approx(25.0));  // even count: the mean of the middle two
  CHECK(*rows[0].ratio_to_baseline == Approx(1.0));
  const auto& call = rows[1];
  CHECK(*call.p50_us == Approx(55.0));
  CHECK(*call.p99_us == Approx(110.0));
  CHECK(call.calls_per_second == Approx((1e6 / 30 + 1e6 / 80) / 2));
  CHECK(*call.ratio_to_baseline == Approx(2.25));
  REQUIRE(call.ratio_to_baseline_range);
  CHECK(call.ratio_to_baseline_range->low == Approx(1.5));
  CHECK(call.ratio_to_baseline_range->high == Approx(3.0));
  CHECK_FALSE(call.ratio_to_autobahn_cpp);
  CHECK_FALSE(call.ratio_to_autobahn_cpp_range);

  const std::string table = format_bench_table(rows);
  CHECK(table.find("2.25 (1.50-3.00)") != std::string::npos);
  CHECK(table.find("1.00 (1.00-1.00)") != std::string::npos);
  CHECK(table.find("x two-hop") != std::string::npos);
}

TEST_CASE("bench rounds: a round whose row failed is left out of that row; a row that always failed keeps its error",
          "[bench_report]") {
  const auto some = median_of_rounds({round_of(10, 25), round_of(20, 0, true), round_of(30, 90)});
  REQUIRE(some.size() == 2);
  CHECK(some[1].rounds == 2);
  CHECK_FALSE(some[1].error);
  CHECK(*some[1].p50_us == Approx(57.5));
  CHECK(*some[1].ratio_to_baseline == Approx((2.5 + 3.0) / 2));

  const auto none = median_of_rounds({round_of(10, 0, true), round_of(20, 0, true)});
  REQUIRE(none.size() == 2);
  CHECK(none[1].rounds == 0);
  CHECK(none[1].error == "router refused the join");
  CHECK(format_bench_table(none).find("error: router refused the join") != std::string::npos);

  const auto one = median_of_rounds({round_of(10, 25)});  // one round: its own values, no range
  CHECK(*one[1].ratio_to_baseline == Approx(2.5));
  CHECK_FALSE(one[1].ratio_to_baseline_range);
}
