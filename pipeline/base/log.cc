#include "pipeline/base/log.h"

#include <array>
#include <cstdio>
#include <ctime>

#include "pipeline/base/text.h"

namespace sortline {
namespace {

constexpr std::array<std::string_view, 5> kLevelNames = {"debug", "info", "warning", "error",
                                                         "alarm"};

// `value` as a logfmt quoted string.
void AppendQuoted(std::string_view value, std::string* out) {
  out->push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

std::string_view LogLevelName(LogLevel level) { return kLevelNames[static_cast<size_t>(level)]; }

Result<LogLevel> ParseLogLevel(std::string_view name) {
  for (size_t i = 0; i < kLevelNames.size(); ++i) {
    if (name == kLevelNames[i]) return static_cast<LogLevel>(i);
  }
  return InvalidArgument("log level " + EchoQuoted(name) +
                         " is none of debug, info, warning, error, alarm");
}

std::string FormatLogLine(int64_t unix_ms, LogLevel level, std::string_view component,
                          std::string_view message, size_t max_code_points) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(unix_ms % 1000));
  std::string line = "ts=";
  line += stamp;
  line += " level=";
  line += LogLevelName(level);
  line += " component=";
  line += Echo(component.empty() ? std::string_view("-") : component);
  line += " msg=";
  AppendQuoted(Echo(message, max_code_points), &line);
  return line;
}

}  // namespace sortline
