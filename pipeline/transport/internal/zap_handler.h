// The ZAP handler (ZeroMQ RFC 27) of one ZeroMQ context: the authority that decides
// which CURVE client completes a handshake on a secured server channel.
//
// Why it is built this way (libzmq 4.3.4, verified by tests/transport/security_test.cc):
// a CURVE server admits ANY client that knows the server's public key when no socket is
// bound at inproc://zeromq.zap.01 ("Stonehouse"), including after the handler's socket
// was closed, unless ZMQ_ZAP_ENFORCE_DOMAIN (a draft option libzmq 4.3 accepts by
// number) is set and the ZAP domain is not empty. When the handler socket is bound but
// nobody answers, handshakes wait and then time out: nobody gets in. So, to fail closed:
//   1. every secured server socket sets ZMQ_ZAP_ENFORCE_DOMAIN and a non-empty domain;
//   2. the handler socket is bound before any secured socket and stays bound until the
//      handler is destroyed (which the Context does after every channel is closed),
//      whether or not its thread still runs; Stop() only ends the thread;
//   3. the channel also drops every message whose User-Id is not its role (channel.cc).
//
// Thread-safety: Register, Unregister and Stop may be called from any thread. The
// handler socket is used by the handler thread only (and closed after it is joined).
#ifndef PIPELINE_TRANSPORT_INTERNAL_ZAP_HANDLER_H_
#define PIPELINE_TRANSPORT_INTERNAL_ZAP_HANDLER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "pipeline/base/result.h"
#include "pipeline/base/thread_annotations.h"

namespace sortline::transport::internal {

class ZapHandler {
 public:
  // Binds inproc://zeromq.zap.01 in `context` and starts answering. `context` must
  // outlive the handler. kFailedPrecondition when another socket of the context holds
  // the ZAP endpoint.
  static Result<std::unique_ptr<ZapHandler>> Start(zmq::context_t& context);
  // Stops the thread and closes the socket.
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Admits the clients whose binary (32-byte) CURVE public keys are `keys` under a new
  // ZAP domain, answering them with User-Id `role`. Returns the domain to set on the
  // server socket; every other request for that domain is refused (400).
  std::string Register(const std::string& role, std::set<std::string> keys);
  // Forgets a domain: its requests are refused from now on.
  void Unregister(const std::string& domain);

  // The latest refused request of a domain, for the server's log: the client's address
  // ("10.1.0.7"), its public key (Z85) and why, e.g. "its key is listed for role worker,
  // not submitter".
  struct Refusal {
    std::string address;
    std::string key;
    std::string why;
  };
  std::optional<Refusal> LastRefusal(const std::string& domain) const;
  // Ends the handler thread as if it had died; the socket stays bound and unanswered, so
  // every handshake from now on waits and times out. There is no restart.
  void Stop() EXCLUDES(mutex_, join_mutex_);

 private:
  struct Domain {
    std::string role;
    std::set<std::string> keys;
    std::optional<Refusal> last_refusal;
  };

  explicit ZapHandler(zmq::socket_t socket);
  void Run();
  // The reply frames for one request: status code, status text, user id.
  void Answer(const std::vector<zmq::message_t>& request, std::string* code, std::string* text,
              std::string* user_id);

  zmq::socket_t socket_;
  mutable Mutex mutex_;
  std::map<std::string, Domain> domains_ GUARDED_BY(mutex_);
  uint64_t next_domain_ GUARDED_BY(mutex_) = 1;
  std::atomic<bool> stop_{false};
  Mutex join_mutex_;  // serializes Stop's join; never held with mutex_
  std::thread thread_;
};

}  // namespace sortline::transport::internal

#endif  // PIPELINE_TRANSPORT_INTERNAL_ZAP_HANDLER_H_
