#include "testing/message_trace.hpp"

#include <algorithm>

#include "wamp/codec.hpp"

namespace autobahn_sync::testing {

std::string trace_entry::format() const {
  const wamp::value list = wamp::to_value(msg);
  std::string line = "#" + std::to_string(sequence) + " +" + std::to_string(time.count()) + "ms " +
                     session + " " + std::string(to_string(dir)) + " " +
                     std::string(wamp::name_of(type()));
  // The rest of the message after its type code, compactly.
  std::string fields;
  for (std::size_t i = 1; i < list.size(); ++i) {
    fields += ' ';
    fields += list[i].dump(-1, ' ', false, wamp::value::error_handler_t::replace);
  }
  constexpr std::size_t max_fields = 300;
  if (fields.size() > max_fields) fields = fields.substr(0, max_fields) + "...";
  line += fields;
  if (!note.empty()) line += "  [" + note + "]";
  if (!rule.empty()) line += "  (rule: " + rule + ")";
  return line;
}

std::string trace_entry::to_json() const {
  wamp::value j = {{"seq", sequence},
                   {"time_ms", time.count()},
                   {"session", session},
                   {"direction", to_string(dir)},
                   {"type", wamp::name_of(type())},
                   {"message", wamp::to_value(msg)}};
  if (const auto r = request_of(msg)) j["request"] = *r;
  if (const auto u = uri_of(msg)) j["uri"] = *u;
  if (!rule.empty()) j["rule"] = rule;
  if (!note.empty()) j["note"] = note;
  return j.dump(-1, ' ', false, wamp::value::error_handler_t::replace);
}

void message_trace::set_clock(std::function<std::chrono::milliseconds()> clock) {
  std::lock_guard lock(mutex_);
  clock_ = std::move(clock);
}

void message_trace::record(const std::string& session, direction dir, const wamp::message& msg,
                           std::string rule, std::string note, std::chrono::milliseconds earlier) {
  std::lock_guard lock(mutex_);
  trace_entry e;
  e.sequence = next_sequence_++;
  e.time = (clock_ ? clock_()
                   : std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - start_)) -
           earlier;
  e.session = session;
  e.dir = dir;
  e.msg = msg;
  e.rule = std::move(rule);
  e.note = std::move(note);
  if (entries_.size() >= capacity_) {
    entries_.pop_front();
    ++forgotten_;
  }
  entries_.push_back(std::move(e));
}

std::vector<trace_entry> message_trace::entries() const {
  std::lock_guard lock(mutex_);
  return {entries_.begin(), entries_.end()};
}

std::vector<trace_entry> message_trace::select(
    const std::function<bool(const trace_entry&)>& predicate) const {
  std::lock_guard lock(mutex_);
  std::vector<trace_entry> out;
  std::copy_if(entries_.begin(), entries_.end(), std::back_inserter(out), predicate);
  return out;
}

std::vector<trace_entry> message_trace::of_type(wamp::message_type type, std::optional<direction> dir,
                                                std::optional<std::string> session) const {
  return select([&](const trace_entry& e) {
    return e.type() == type && (!dir || e.dir == *dir) && (!session || e.session == *session);
  });
}

std::size_t message_trace::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::size_t message_trace::forgotten() const {
  std::lock_guard lock(mutex_);
  return forgotten_;
}

std::string message_trace::format() const {
  std::string out;
  for (const auto& e : entries()) out += e.format() + "\n";
  return out;
}

std::string message_trace::to_json_lines() const {
  std::string out;
  for (const auto& e : entries()) out += e.to_json() + "\n";
  return out;
}

std::uint64_t message_trace::fingerprint() const {
  // FNV-1a over the parts that must not differ between two runs of one seed (not the time
  // stamps of a real clock).
  std::uint64_t h = 1469598103934665603ull;
  auto mix = [&](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  };
  for (const auto& e : entries()) {
    mix(e.session);
    mix(to_string(e.dir));
    mix(wamp::to_value(e.msg).dump(-1, ' ', false, wamp::value::error_handler_t::replace));
    mix(e.rule);
    mix(e.note);
  }
  return h;
}

void message_trace::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
  forgotten_ = 0;
  next_sequence_ = 1;
}

}  // namespace autobahn_sync::testing
