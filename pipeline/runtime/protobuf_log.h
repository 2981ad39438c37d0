// Protobuf's own log lines (e.g. "String field 'sortline.v1.Order.order_id' contains
// invalid UTF-8 data when parsing a protocol buffer", written for every bad message a
// peer sends) routed to the process's logger instead of raw stderr, echoed (pipeline/
// base/text.h) and rate-limited, so a flood of bad messages cannot flood the log.
//
// Thread-safety: call RouteProtobufLogs once, early in main, before other threads use
// protobuf; the installed handler is thread-safe.
#ifndef PIPELINE_RUNTIME_PROTOBUF_LOG_H_
#define PIPELINE_RUNTIME_PROTOBUF_LOG_H_

#include <functional>
#include <string>

#include "pipeline/base/rate_limited_log.h"

namespace sortline::runtime {

// Installs a protobuf log handler for the rest of the process: each line becomes
// "file:line: message" passed to `log` as component "protobuf" at protobuf's level (INFO
// info, WARNING warning, ERROR and FATAL error), at most `limit.burst` lines per
// `limit.period`. Calling it again replaces the destination.
void RouteProtobufLogs(LogSink log, RateLimit limit = {});

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_PROTOBUF_LOG_H_
