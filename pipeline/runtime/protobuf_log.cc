#include "pipeline/runtime/protobuf_log.h"

#include <memory>
#include <utility>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "pipeline/base/text.h"
#include "pipeline/base/thread_annotations.h"

namespace sortline::runtime {
namespace {

// Protobuf takes a plain function pointer, so the destination is process state. No
// destination is ever freed (protobuf may log from any thread until the process ends,
// and a handler may still hold a replaced one); all stay reachable from `routes`.
Mutex route_mu;
RateLimitedLog* route GUARDED_BY(route_mu) = nullptr;
std::vector<std::unique_ptr<RateLimitedLog>>* routes GUARDED_BY(route_mu) = nullptr;

LogLevel LevelOf(google::protobuf::LogLevel level) {
  switch (level) {
    case google::protobuf::LOGLEVEL_INFO:
      return LogLevel::kInfo;
    case google::protobuf::LOGLEVEL_WARNING:
      return LogLevel::kWarning;
    case google::protobuf::LOGLEVEL_ERROR:
    case google::protobuf::LOGLEVEL_FATAL:
      return LogLevel::kError;
  }
  return LogLevel::kError;
}

void Handle(google::protobuf::LogLevel level, const char* filename, int line,
            const std::string& message) {
  RateLimitedLog* sink;
  {
    MutexLock lock(route_mu);
    sink = route;
  }
  if (sink == nullptr) return;
  sink->Log(LevelOf(level), "protobuf",
            Echo(filename, 80) + ":" + std::to_string(line) + ": " + Echo(message, 400));
}

}  // namespace

void RouteProtobufLogs(LogSink log, RateLimit limit) {
  {
    MutexLock lock(route_mu);
    if (routes == nullptr) routes = new std::vector<std::unique_ptr<RateLimitedLog>>();
    routes->push_back(std::make_unique<RateLimitedLog>(std::move(log), limit));
    route = routes->back().get();
  }
  google::protobuf::SetLogHandler(&Handle);
}

}  // namespace sortline::runtime
