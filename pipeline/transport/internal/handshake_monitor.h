// Watches one channel's socket with libzmq's socket monitor (zmq_socket_monitor) for
// the outcome of each connection's handshake, so that refused peers are visible: a
// server counts and logs the clients it refuses, a client learns why it never gets
// connected (with ZMQ_IMMEDIATE it otherwise just times out).
//
// Thread-safety: Start and the destructor run on the thread that owns the watched
// socket (libzmq requires it for zmq_socket_monitor); the monitor's own thread reads the
// events and calls the hooks; status() may be called from any thread.
#ifndef PIPELINE_TRANSPORT_INTERNAL_HANDSHAKE_MONITOR_H_
#define PIPELINE_TRANSPORT_INTERNAL_HANDSHAKE_MONITOR_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "pipeline/base/result.h"
#include "pipeline/base/thread_annotations.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/internal/zap_handler.h"

namespace sortline::transport::internal {

struct MonitorConfig {
  bool server = false;  // the watched socket binds (a ServerChannel)
  bool curve = false;   // the watched socket uses CURVE
  std::string endpoint;
  std::string role;  // server: the client role admitted; client: the server's role
  // A secured server's ZAP handler and domain, to name the refused client (may be null).
  const ZapHandler* zap = nullptr;
  std::string zap_domain;
  std::function<void(const HandshakeRefusal&)> on_refused;
  LogSink log;
};

class HandshakeMonitor {
 public:
  // Starts watching `socket`. REQUIRES: called on the thread owning `socket`, which
  // outlives the monitor; `context` made `socket` and outlives the monitor.
  static Result<std::unique_ptr<HandshakeMonitor>> Start(zmq::context_t& context,
                                                         zmq::socket_t& socket,
                                                         MonitorConfig config);
  // Stops watching and joins the thread. REQUIRES: on the thread owning the socket,
  // before it closes.
  ~HandshakeMonitor();
  HandshakeMonitor(const HandshakeMonitor&) = delete;
  HandshakeMonitor& operator=(const HandshakeMonitor&) = delete;

  HandshakeStatus status() const;
  std::map<std::string, uint64_t> refused() const;

 private:
  HandshakeMonitor(void* socket, zmq::socket_t events, MonitorConfig config);
  void Run();
  void Handle(uint16_t event, uint32_t value);
  HandshakeRefusal Describe(uint16_t event, uint32_t value) const;
  void LogRateLimited(const HandshakeRefusal& refusal);

  void* const socket_;          // the watched socket; used on its owner's thread only
  zmq::socket_t events_;        // PAIR end of the monitor; the monitor thread's
  const MonitorConfig config_;  // read-only after construction
  mutable Mutex mutex_;
  HandshakeStatus status_ GUARDED_BY(mutex_);
  std::map<std::string, uint64_t> refused_ GUARDED_BY(mutex_);  // by failure name
  // Log rate limit per cause: when last logged, and how many were left out since (the
  // monitor thread's only).
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, uint64_t>> logged_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sortline::transport::internal

#endif  // PIPELINE_TRANSPORT_INTERNAL_HANDSHAKE_MONITOR_H_
