#include "tools/wamp/bench_report.hpp"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace wamp_cli {

namespace {

constexpr const char* baseline_prefix = "BM_tcp_two_hop/";
constexpr const char* busy_poll_baseline_prefix = "BM_tcp_two_hop_busy_poll/";
constexpr const char* throughput_baseline_prefix = "BM_tcp_relay_throughput/";

// The time unit of a benchmark row in microseconds.
double microseconds_per(const std::string& unit) {
  if (unit == "ns") return 1e-3;
  if (unit == "us") return 1;
  if (unit == "ms") return 1e3;
  if (unit == "s") return 1e6;
  throw std::runtime_error("unknown time_unit " + unit);
}

// "BM_call/0/2/16/0/min_time:0.500/real_time" -> "BM_call/0/2/16/0".
std::string without_run_suffixes(std::string name) {
  static const std::regex noise(R"(/(real_time|min_time:[0-9.]+|iterations:[0-9]+|manual_time|process_time))");
  return std::regex_replace(name, noise, "");
}

std::optional<long> payload_size(const std::string& bare_name, const std::string& label) {
  std::smatch m;
  static const std::regex in_label(R"((?:^|/)([0-9]+)B(?:/|$))");
  if (std::regex_search(label, m, in_label)) return std::stol(m[1]);
  static const std::regex tcp_name(R"(^BM_(?:tcp_[a-z_]+|autobahn_cpp_call)/([0-9]+))");
  if (std::regex_search(bare_name, m, tcp_name)) return std::stol(m[1]);
  return std::nullopt;
}

std::optional<int> thread_count(const std::string& label) {
  std::smatch m;
  static const std::regex in_label(R"((?:^|/)([0-9]+) threads(?:/|$))");
  if (std::regex_search(label, m, in_label)) return std::stoi(m[1]);
  return std::nullopt;
}

std::optional<double> number(const nlohmann::json& row, const char* key) {
  const auto it = row.find(key);
  if (it == row.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

std::string cell(std::optional<double> v, const char* format) {
  if (!v) return "-";
  char text[64];
  std::snprintf(text, sizeof text, format, *v);
  return text;
}

// A ratio, followed by its range over the rounds when it has one: "1.99 (1.73-2.12)".
std::string ratio_cell(std::optional<double> ratio, const std::optional<value_range>& range) {
  std::string text = cell(ratio, "%.2f");
  if (ratio && range) {
    char spread[64];
    std::snprintf(spread, sizeof spread, " (%.2f-%.2f)", range->low, range->high);
    text += spread;
  }
  return text;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// The median of the values a row had in the rounds that gave it one (none: unset).
std::optional<double> median_of(const std::vector<const bench_row*>& measured,
                                std::optional<double> (*value)(const bench_row&)) {
  std::vector<double> values;
  for (const auto* r : measured)
    if (const auto v = value(*r)) values.push_back(*v);
  if (values.empty()) return std::nullopt;
  return median(std::move(values));
}

std::optional<value_range> range_of(const std::vector<const bench_row*>& measured,
                                    std::optional<double> (*value)(const bench_row&)) {
  std::optional<value_range> range;
  for (const auto* r : measured) {
    const auto v = value(*r);
    if (!v) continue;
    if (!range) range = value_range{*v, *v};
    range->low = std::min(range->low, *v);
    range->high = std::max(range->high, *v);
  }
  return range;
}

}  // namespace

std::vector<bench_row> parse_benchmark_json(const std::string& json_text) {
  const auto document = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object() || !document.contains("benchmarks") || !document["benchmarks"].is_array()) {
    throw std::runtime_error("not Google Benchmark JSON output (no \"benchmarks\" list)");
  }
  std::vector<bench_row> rows;
  for (const auto& b : document["benchmarks"]) {
    if (b.value("run_type", "iteration") == "aggregate") continue;
    bench_row row;
    const std::string bare = without_run_suffixes(b.value("name", "?"));
    const std::string label = b.value("label", "");
    row.name = label.empty() ? bare : bare + " [" + label + "]";
    row.payload_bytes = payload_size(bare, label);
    row.is_baseline = bare.starts_with(baseline_prefix) || bare.starts_with(busy_poll_baseline_prefix);
    row.busy_polling = bare.starts_with(busy_poll_baseline_prefix) || label.find("busy-polling router") != std::string::npos;
    row.threads = thread_count(label);
    row.is_throughput_baseline = bare.starts_with(throughput_baseline_prefix);
    row.is_autobahn_cpp = bare.starts_with("BM_autobahn_cpp_call/");
    static const std::regex our_rawsocket_call(R"(^BM_call/.*)");
    // The same callee as autobahn-cpp's calls: ours with its I/O thread, or caller-driven; on
    // the router as it runs by default, or busy-polling (compared with autobahn-cpp's calls
    // through the busy-polling router).
    static const std::regex plain_label(
        R"(^rawsocket/msgpack/[0-9]+B(/caller-driven I/O)?$|^rawsocket/msgpack/[0-9]+B/(caller-driven I/O, )?busy-polling router$)");
    row.comparable_to_autobahn_cpp = std::regex_match(bare, our_rawsocket_call) && std::regex_match(label, plain_label);
    if (b.value("error_occurred", false)) {
      row.error = b.value("error_message", "error");
      rows.push_back(std::move(row));
      continue;
    }
    row.p50_us = number(b, "p50_us");
    row.p99_us = number(b, "p99_us");
    if (const auto items = number(b, "items_per_second")) {
      row.calls_per_second = *items;
    } else if (const auto mean = number(b, "real_time"); mean && *mean > 0) {
      row.calls_per_second = 1e6 / (*mean * microseconds_per(b.value("time_unit", "ns")));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

namespace {

// Throughput rows: the relay's calls/s with as many threads over the row's own.
void add_throughput_ratios(std::vector<bench_row>& rows) {
  std::vector<std::pair<int, double>> relay;  // threads, calls/s
  for (const auto& r : rows)
    if (r.is_throughput_baseline && r.threads && r.calls_per_second > 0) relay.emplace_back(*r.threads, r.calls_per_second);
  for (auto& r : rows) {
    if (r.p50_us || !r.threads || r.calls_per_second <= 0) continue;
    for (const auto& [threads, rate] : relay)
      if (threads == *r.threads) r.ratio_to_baseline = rate / r.calls_per_second;
  }
}

}  // namespace

void add_baseline_ratios(std::vector<bench_row>& rows) {
  add_throughput_ratios(rows);
  // Busy-polling rows against the busy-polling relay, the others against the plain one.
  for (const bool busy_polling : {false, true}) {
    std::vector<std::pair<std::optional<long>, double>> baselines;  // payload size, p50
    for (const auto& r : rows) {
      if (r.is_baseline && r.busy_polling == busy_polling && r.p50_us && *r.p50_us > 0) {
        baselines.emplace_back(r.payload_bytes, *r.p50_us);
      }
    }
    if (baselines.empty()) continue;
    const double smallest = std::min_element(baselines.begin(), baselines.end(), [](const auto& a, const auto& b) {
                              return a.first.value_or(0) < b.first.value_or(0);
                            })->second;
    for (auto& r : rows) {
      if (!r.p50_us || r.busy_polling != busy_polling) continue;
      double base = smallest;
      for (const auto& [size, p50] : baselines) {
        if (r.payload_bytes && size == r.payload_bytes) base = p50;
      }
      r.ratio_to_baseline = *r.p50_us / base;
    }
  }
}

void add_autobahn_cpp_ratios(std::vector<bench_row>& rows) {
  struct their_call {
    long size;
    bool busy_polling;
    double p50;
  };
  std::vector<their_call> theirs;
  for (const auto& r : rows)
    if (r.is_autobahn_cpp && r.p50_us && r.payload_bytes && *r.p50_us > 0)
      theirs.push_back({*r.payload_bytes, r.busy_polling, *r.p50_us});
  for (auto& r : rows) {
    if (!r.comparable_to_autobahn_cpp || !r.p50_us || !r.payload_bytes) continue;
    for (const auto& t : theirs)
      if (t.size == *r.payload_bytes && t.busy_polling == r.busy_polling) r.ratio_to_autobahn_cpp = *r.p50_us / t.p50;
  }
}

std::vector<bench_row> median_of_rounds(const std::vector<std::vector<bench_row>>& rounds) {
  std::vector<std::string> names;  // in the order first seen
  for (const auto& round : rounds)
    for (const auto& r : round)
      if (std::find(names.begin(), names.end(), r.name) == names.end()) names.push_back(r.name);

  std::vector<bench_row> out;
  for (const auto& name : names) {
    std::vector<const bench_row*> measured;
    const bench_row* last_failed = nullptr;
    for (const auto& round : rounds) {
      for (const auto& r : round) {
        if (r.name != name) continue;
        if (r.error) {
          last_failed = &r;
        } else {
          measured.push_back(&r);
        }
      }
    }
    if (measured.empty()) {
      out.push_back(*last_failed);
      out.back().rounds = 0;
      continue;
    }
    bench_row row = *measured.front();  // what the row is: name, size, kind
    row.rounds = static_cast<int>(measured.size());
    row.p50_us = median_of(measured, [](const bench_row& r) { return r.p50_us; });
    row.p99_us = median_of(measured, [](const bench_row& r) { return r.p99_us; });
    row.calls_per_second = median_of(measured, [](const bench_row& r) {
                             return r.calls_per_second > 0 ? std::optional(r.calls_per_second) : std::nullopt;
                           }).value_or(0);
    const auto to_baseline = [](const bench_row& r) { return r.ratio_to_baseline; };
    const auto to_autobahn_cpp = [](const bench_row& r) { return r.ratio_to_autobahn_cpp; };
    row.ratio_to_baseline = median_of(measured, to_baseline);
    row.ratio_to_autobahn_cpp = median_of(measured, to_autobahn_cpp);
    if (rounds.size() > 1) {
      row.ratio_to_baseline_range = range_of(measured, to_baseline);
      row.ratio_to_autobahn_cpp_range = range_of(measured, to_autobahn_cpp);
    }
    out.push_back(std::move(row));
  }
  return out;
}

std::string format_latency_svg(const std::vector<bench_row>& rows) {
  std::vector<const bench_row*> shown;
  double longest = 1;
  for (const auto& r : rows) {
    if (!r.p50_us || !r.p99_us) continue;
    shown.push_back(&r);
    longest = std::max(longest, *r.p99_us);
  }
  const int row_height = 22, label_width = 560, chart_width = 520, top = 40;
  const int height = top + static_cast<int>(shown.size()) * row_height + 30;
  auto escape = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '<') out += "&lt;";
      else if (c == '>') out += "&gt;";
      else if (c == '&') out += "&amp;";
      else out += c;
    }
    return out;
  };
  std::string svg;
  char line[1024];
  std::snprintf(line, sizeof line,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" font-size=\"11\">\n",
                label_width + chart_width + 80, height);
  svg += line;
  svg += "<text x=\"10\" y=\"20\" font-size=\"14\">Latency per benchmark (us): p50 dark, p99 light</text>\n";
  for (std::size_t i = 0; i < shown.size(); ++i) {
    const auto& r = *shown[i];
    const int y = top + static_cast<int>(i) * row_height;
    const double p50_width = chart_width * *r.p50_us / longest, p99_width = chart_width * *r.p99_us / longest;
    std::snprintf(line, sizeof line,
                  "<text x=\"10\" y=\"%d\">%s</text>\n"
                  "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"#9ecae1\"/>\n"
                  "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"14\" fill=\"#3182bd\"/>\n"
                  "<text x=\"%.1f\" y=\"%d\">%.1f / %.1f</text>\n",
                  y + 11, escape(r.name.substr(0, 80)).c_str(), label_width, y, p99_width, label_width, y, p50_width,
                  label_width + p99_width + 4, y + 11, *r.p50_us, *r.p99_us);
    svg += line;
  }
  svg += "</svg>\n";
  return svg;
}

std::string format_bench_table(const std::vector<bench_row>& rows) {
  std::size_t name_width = 4, ratio_width = 9, vs_width = 14;
  for (const auto& r : rows) {
    name_width = std::max(name_width, r.name.size());
    ratio_width = std::max(ratio_width, ratio_cell(r.ratio_to_baseline, r.ratio_to_baseline_range).size());
    vs_width = std::max(vs_width, ratio_cell(r.ratio_to_autobahn_cpp, r.ratio_to_autobahn_cpp_range).size());
  }
  std::string out;
  char line[1024];
  auto add = [&](const std::string& name, const std::string& p50, const std::string& p99, const std::string& rate,
                 const std::string& ratio, const std::string& vs_autobahn_cpp) {
    std::snprintf(line, sizeof line, "%-*s  %10s  %10s  %12s  %*s  %*s\n", static_cast<int>(name_width), name.c_str(),
                  p50.c_str(), p99.c_str(), rate.c_str(), static_cast<int>(ratio_width), ratio.c_str(),
                  static_cast<int>(vs_width), vs_autobahn_cpp.c_str());
    out += line;
  };
  add("name", "p50_us", "p99_us", "calls/s", "x two-hop", "x autobahn-cpp");
  for (const auto& r : rows) {
    if (r.error) {
      out += r.name + "  error: " + *r.error + "\n";
      continue;
    }
    add(r.name, cell(r.p50_us, "%.1f"), cell(r.p99_us, "%.1f"),
        cell(r.calls_per_second > 0 ? std::optional(r.calls_per_second) : std::nullopt, "%.0f"),
        ratio_cell(r.ratio_to_baseline, r.ratio_to_baseline_range),
        ratio_cell(r.ratio_to_autobahn_cpp, r.ratio_to_autobahn_cpp_range));
  }
  return out;
}

}  // namespace wamp_cli
