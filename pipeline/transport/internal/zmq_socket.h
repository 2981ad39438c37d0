// What the ZeroMQ channels of pipeline/transport share: the context (with its ZAP
// handler), mapping zmq::error_t to a Status, and receiving a whole message with a
// timeout. channel.cc builds the request/reply channels on it, pubsub.cc the dashboard
// feed.
#ifndef PIPELINE_TRANSPORT_INTERNAL_ZMQ_SOCKET_H_
#define PIPELINE_TRANSPORT_INTERNAL_ZMQ_SOCKET_H_

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "pipeline/base/result.h"
#include "pipeline/base/thread_annotations.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/internal/zap_handler.h"

namespace sortline::transport::internal {

// Reconnect backoff of client channels: first retry after 100 ms, doubling up to 2 s, so
// clients ride out a server restart without hammering it.
constexpr int kReconnectIntervalMs = 100;
constexpr int kReconnectIntervalMaxMs = 2000;

// The Context every channel is made in: a libzmq context and, once a secured server
// needs it, the ZAP handler that admits clients by key.
//
// Thread-safety: thread-safe (libzmq contexts are; the handler is GUARDED_BY zap_mutex_).
class ZmqContext final : public Context {
 public:
  // Throws zmq::error_t when libzmq cannot create a context; Create catches it.
  ZmqContext() = default;
  ~ZmqContext() override {
    // The handler's socket must close before the context terminates.
    MutexLock lock(zap_mutex_);
    zap_.reset();
  }

  zmq::context_t& get() { return context_; }

  // The ZAP handler, started on first use (bound before any secured socket exists).
  Result<ZapHandler*> Authenticator() {
    MutexLock lock(zap_mutex_);
    if (zap_ == nullptr) {
      SORTLINE_ASSIGN_OR_RETURN(zap_, ZapHandler::Start(context_));
      if (zap_stopped_) zap_->Stop();
    }
    return zap_.get();
  }

  void StopAuthenticator() override {
    MutexLock lock(zap_mutex_);
    zap_stopped_ = true;
    if (zap_ != nullptr) zap_->Stop();
  }

 private:
  zmq::context_t context_;  // declared first: destroyed last
  Mutex zap_mutex_;
  std::unique_ptr<ZapHandler> zap_ GUARDED_BY(zap_mutex_);
  bool zap_stopped_ GUARDED_BY(zap_mutex_) = false;
};

// `what` names the operation, e.g. "bind tcp://127.0.0.1:5550".
Status FromZmqError(const zmq::error_t& error, std::string_view what);

// The ZmqContext behind `context`; kInvalidArgument when Context::Create did not make it.
Result<ZmqContext*> Downcast(Context& context);

// Waits until `socket` is readable. False on timeout. Throws zmq::error_t.
bool PollIn(zmq::socket_t& socket, std::chrono::milliseconds timeout);

// Reads one whole multipart message without blocking; ZeroMQ delivers the parts of a
// multipart message together, so once the first part is there the rest is too.
// Throws zmq::error_t.
std::vector<zmq::message_t> ReadMultipart(zmq::socket_t& socket);

// Polls `socket` until `parse` accepts a message or `timeout` passes. `parse` takes the
// frames of one message and returns an empty optional to drop it. Signals interrupting
// the wait end it early with an empty result.
template <typename T, typename Parse>
Result<std::optional<T>> ReceiveParsed(zmq::socket_t& socket, std::chrono::milliseconds timeout,
                                       Parse parse, std::string_view what) {
  const std::chrono::steady_clock::time_point deadline =
      std::chrono::steady_clock::now() + std::max(timeout, std::chrono::milliseconds(0));
  try {
    while (true) {
      std::chrono::milliseconds remaining =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (!PollIn(socket, std::max(remaining, std::chrono::milliseconds(0))))
        return std::optional<T>();
      std::optional<T> parsed = parse(ReadMultipart(socket));
      if (parsed.has_value()) return parsed;
    }
  } catch (const zmq::error_t& error) {
    if (error.num() == EINTR) return std::optional<T>();
    return FromZmqError(error, what);
  }
}

// Maps "tcp://host:0" to libzmq's "tcp://host:*" (any free port); other endpoints pass.
std::string WildcardPort(const std::string& endpoint);

}  // namespace sortline::transport::internal

#endif  // PIPELINE_TRANSPORT_INTERNAL_ZMQ_SOCKET_H_
