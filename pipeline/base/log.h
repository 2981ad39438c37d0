// Logging: a severity on every message, and the one line a log collector reads.
//
// Libraries log through a LogSink they are given (null: silent); they never choose where
// lines go or which levels show. A daemon's main makes the sink (workers/common.h): it
// drops what is below --log-level and writes each message as one key=value line,
//   ts=2026-11-30T20:19:11.123Z level=alarm component=intake msg="journal full: ..."
// (FormatLogLine). An operator watches level=alarm: something needs a person (a full
// disk, a refused manifest), while the daemon keeps what it can and carries on.
//
// Thread-safety: the functions are thread-safe; a LogSink must be callable from any
// thread (libraries log from their worker threads).
#ifndef PIPELINE_BASE_LOG_H_
#define PIPELINE_BASE_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "pipeline/base/result.h"

namespace sortline {

// In increasing severity.
enum class LogLevel {
  kDebug,    // detail for finding a fault: per-batch steps
  kInfo,     // the daemon's life: started, stopped, plan reloaded, pruned
  kWarning,  // a peer or a message went wrong; the daemon recovers by itself
  kError,    // an operation failed; the daemon stops or drops that work (counted)
  kAlarm,    // a person must act (disk full, manifest refused); work waits meanwhile
};

// "debug", "info", "warning", "error", "alarm".
std::string_view LogLevelName(LogLevel level);
// The inverse of LogLevelName; kInvalidArgument names the accepted values.
Result<LogLevel> ParseLogLevel(std::string_view name);

// Where messages go. `component` names the part that speaks ("intake", "dock",
// "channel", "plan"); `message` is plain text that may quote untrusted input: the sink
// escapes it (FormatLogLine does).
using LogSink =
    std::function<void(LogLevel level, std::string_view component, std::string_view message)>;

// One line without its newline: ts (UTC, milliseconds), level, component and msg. The
// message is made one line of safe text by Echo (pipeline/base/text.h), cut to
// `max_code_points`, then quoted for logfmt: `\` and `"` are escaped, so msg's value
// decodes to exactly that text.
std::string FormatLogLine(int64_t unix_ms, LogLevel level, std::string_view component,
                          std::string_view message, size_t max_code_points = 2000);

}  // namespace sortline

#endif  // PIPELINE_BASE_LOG_H_
