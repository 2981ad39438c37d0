// pipeline/transport owns moving messages between processes, the only folder that knows
// ZeroMQ: channels (here), envelopes (envelope.h) and CURVE security with its keys
// table (security.h).
//
// Message channels over ZeroMQ (cppzmq). A ServerChannel is a ROUTER that binds; a
// ClientChannel is a DEALER that connects. Payloads are serialized envelopes (see
// envelope.h); this layer moves bytes and never throws.
//
// Lifetime: a Context must outlive every channel made from it (destroying a Context
// waits for its sockets to close, so a channel left open past it hangs the destructor).
//
// Thread-safety: a Context is thread-safe. Channels are not: each is owned and used by
// one thread, as ZeroMQ sockets require.
#ifndef PIPELINE_TRANSPORT_CHANNEL_H_
#define PIPELINE_TRANSPORT_CHANNEL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/log.h"
#include "pipeline/base/result.h"
#include "pipeline/transport/security.h"

namespace sortline::transport {

// Owns the ZeroMQ context and, once a secured server channel is bound, the ZAP handler
// that authenticates its clients. inproc:// endpoints only reach channels of the same
// Context.
class Context {
 public:
  // kFailedPrecondition when the linked libzmq is older than 4.3.3 (CheckLibraryVersion).
  static Result<std::unique_ptr<Context>> Create();
  virtual ~Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // The libzmq version as "4.3.4".
  static std::string LibraryVersion();

  // Stops the ZAP handler as if it had died: from then on no client completes a
  // handshake on any secured server channel of this Context (each attempt waits
  // handshake_timeout_ms, fails and is retried, never admitted); clients admitted before
  // keep their connections. There is no restart. Tests use it to show that a dead
  // handler fails closed.
  virtual void StopAuthenticator() = 0;

 protected:
  Context() = default;
};

// Why a connection's handshake failed, as libzmq's socket monitor reports it
// (ZMQ_EVENT_HANDSHAKE_FAILED_*). Only tcp:// channels are watched.
enum class HandshakeFailure {
  kKeyRefused,         // the server's ZAP handler refused the client's key (FAILED_AUTH)
  kMechanismMismatch,  // one side uses CURVE, the other plaintext (FAILED_PROTOCOL)
  kWrongServerKey,     // CURVE could not be agreed: the client trusts another server key
  kProtocol,           // another ZMTP protocol error (FAILED_PROTOCOL)
  kNoDetail,           // the connection ended mid-handshake: timed out or closed by the
                       // peer (FAILED_NO_DETAIL); a CURVE client whose server key is wrong
                       // sees this, as the server just drops it
};
// The metric label of a failure: "key_refused", "mechanism_mismatch", "wrong_server_key",
// "protocol", "no_detail".
std::string_view HandshakeFailureName(HandshakeFailure failure);

// One refused (failed) handshake on a channel.
struct HandshakeRefusal {
  std::string endpoint;  // the channel's endpoint (a server: the bound one)
  HandshakeFailure failure = HandshakeFailure::kNoDetail;
  // The likely cause in words, for an operator, e.g. "the server refused this client's
  // key: it is not listed for this channel's role (an unknown key, or another role's)".
  std::string cause;
};

struct ChannelOptions {
  // Larger inbound messages are never delivered: over tcp:// libzmq drops the sender's
  // connection at once (the client reconnects; the server serves everyone else), over
  // inproc:// Receive drops the message.
  int64_t max_message_bytes = 64 << 20;
  int linger_ms = 1000;             // how long close waits for unsent messages
  int send_timeout_ms = 5000;       // Send gives kUnavailable after this
  int send_high_water_mark = 1000;  // messages queued per peer
  int receive_high_water_mark = 1000;
  int handshake_timeout_ms = 10000;  // a connection not through its handshake by then is
                                     // dropped (bounds unauthenticated connections)
  // CURVE for tcp:// endpoints (inproc:// and ipc:// stay plaintext). nullptr or a
  // disabled Security: plaintext. Borrowed: must outlive the channel. Its keys are read
  // at Bind/Connect: a changed keys table takes effect on channels made after it.
  const Security* security = nullptr;
  // With security: for ServerChannel::Bind the client role admitted on this channel
  // (e.g. "worker"), for ClientChannel::Connect the role of the server ("intake").
  std::string peer_role;
  // Failed handshakes of tcp:// channels are reported here, one call each, from the
  // channel's monitor thread: must be thread-safe. null: not reported.
  std::function<void(const HandshakeRefusal&)> on_handshake_refused;
  // Operational messages, from the monitor thread (must be thread-safe): refused
  // handshakes with their likely cause, the same cause (for a refused key: the same key
  // from the same address) at most once every 10 s, with the number left out since.
  // Warnings of component "channel". null: silent.
  LogSink log;
};

// What a client channel knows of its handshakes with the server.
struct HandshakeStatus {
  bool succeeded = false;  // the last finished handshake succeeded
  // Handshakes failed since the last success (or since Connect).
  uint32_t failures = 0;
  std::optional<HandshakeRefusal> last_failure;  // the latest one since the last success
};

struct Incoming {
  std::string peer;  // routing id of the sender
  std::string payload;
  // The authenticated role of the sender (ZeroMQ "User-Id" metadata) on a secured
  // channel; empty on plaintext ones. (Default-initialized so that {peer, payload}
  // aggregates stay warning-free.)
  std::string user_id = {};
};

// Receive timeouts: a negative timeout counts as zero (poll once). Receive and
// WaitReadable also return empty when a signal interrupts the wait, so a daemon loop
// gets to check its stop flag.
class ServerChannel {
 public:
  // Binds a ROUTER (ROUTER_MANDATORY on) to `endpoint`, e.g. "tcp://127.0.0.1:5550",
  // "tcp://127.0.0.1:0" (the OS picks a free port) or "inproc://intake-submit".
  // A client reconnecting under an identity that is still connected takes the identity
  // over (ZMQ_ROUTER_HANDOVER), so a restarted worker is heard at once.
  // With options.security enabled and a tcp:// endpoint the channel is a CURVE server
  // with the own secret key: a client completes its handshake only when the Context's
  // ZAP handler finds its public key under keys_by_role[options.peer_role], and every
  // message received must carry User-Id == peer_role (others are dropped and counted).
  // Errors: kInvalidArgument for a malformed endpoint, or with security an empty
  // peer_role or no key listed under it; kFailedPrecondition when libzmq lacks CURVE or
  // the ZAP handler cannot start; kIoError when the address cannot be bound (e.g. the
  // port is taken).
  static Result<std::unique_ptr<ServerChannel>> Bind(Context& context, const std::string& endpoint,
                                                     const ChannelOptions& options = {});
  virtual ~ServerChannel() = default;
  ServerChannel(const ServerChannel&) = delete;
  ServerChannel& operator=(const ServerChannel&) = delete;

  // The endpoint actually bound, with the real port: connect clients to this.
  virtual const std::string& endpoint() const = 0;
  // Waits up to `timeout` for one message; empty on timeout. Malformed multipart
  // messages, messages above max_message_bytes and, on a secured channel, messages
  // without the channel's User-Id are dropped, never returned.
  // A peer that sends REQ-style frames ([empty][payload]) gets its replies framed the
  // same way, so REQ sockets (e.g. a scanner gateway) can talk to a ServerChannel.
  virtual Result<std::optional<Incoming>> Receive(std::chrono::milliseconds timeout) = 0;
  // kUnavailable when the peer is gone or does not take the message in time.
  virtual Status Send(const std::string& peer, const std::string& payload) = 0;
  // How many messages Receive has dropped so far (see Receive), for metrics and alarms.
  virtual uint64_t dropped() const = 0;
  // Refused handshakes so far by HandshakeFailureName (tcp:// only). Thread-safe.
  virtual std::map<std::string, uint64_t> refused_handshakes() const = 0;

 protected:
  ServerChannel() = default;
};

class ClientChannel {
 public:
  // Connects a DEALER (ZMQ_IMMEDIATE on) to `endpoint`. `identity` names this peer to the
  // server (empty: ZeroMQ picks one). Connecting succeeds before the server exists, and
  // the channel reconnects (100 ms backoff growing to 2 s) when the server restarts.
  // With options.security enabled and a tcp:// endpoint the channel is a CURVE client
  // with the own key pair that trusts only the server key listed under
  // keys_by_role[options.peer_role]: a server without that key, or one that refuses this
  // client, never completes the handshake, so Send gives kUnavailable.
  // Errors: kInvalidArgument for a malformed endpoint, or with security when
  // peer_role does not list exactly one key or the own public key is missing;
  // kFailedPrecondition when libzmq lacks CURVE.
  static Result<std::unique_ptr<ClientChannel>> Connect(Context& context,
                                                        const std::string& endpoint,
                                                        const std::string& identity = "",
                                                        const ChannelOptions& options = {});
  virtual ~ClientChannel() = default;
  ClientChannel(const ClientChannel&) = delete;
  ClientChannel& operator=(const ClientChannel&) = delete;

  // Waits up to `timeout` for one message; empty on timeout.
  virtual Result<std::optional<std::string>> Receive(std::chrono::milliseconds timeout) = 0;
  // kUnavailable when no connection takes the message within send_timeout_ms (with
  // ZMQ_IMMEDIATE nothing is queued for a server that is not connected).
  virtual Status Send(const std::string& payload) = 0;
  // The handshakes so far (tcp:// only; other endpoints, which have no handshake that
  // could fail, report `succeeded`). A client whose
  // handshakes keep failing is never connected: Send times out and nothing arrives, so
  // this is how it learns why. Thread-safe.
  virtual HandshakeStatus handshake() const = 0;

 protected:
  ClientChannel() = default;
};

// Publishes events to any number of subscribers (ZeroMQ PUB). For dashboards only: a
// slow or absent subscriber loses messages, and Publish never blocks. Never use it for
// data that must not be lost.
class Publisher {
 public:
  // Binds a PUB socket, e.g. "tcp://127.0.0.1:5562" (":0" picks a free port).
  static Result<std::unique_ptr<Publisher>> Bind(Context& context, const std::string& endpoint,
                                                 int high_water_mark = 10000);
  virtual ~Publisher() = default;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  virtual const std::string& endpoint() const = 0;
  // Sends [topic][payload]; drops it when subscribers' queues are full.
  virtual void Publish(const std::string& topic, const std::string& payload) = 0;

 protected:
  Publisher() = default;
};

struct Published {
  std::string topic;
  std::string payload;
};

class Subscriber {
 public:
  // Connects a SUB socket to `endpoint`, subscribed to the topics starting with any of
  // `prefixes` (an empty list or "" subscribes to everything).
  static Result<std::unique_ptr<Subscriber>> Connect(Context& context, const std::string& endpoint,
                                                     const std::vector<std::string>& prefixes);
  virtual ~Subscriber() = default;
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // Waits up to `timeout` for one message; empty on timeout.
  virtual Result<std::optional<Published>> Receive(std::chrono::milliseconds timeout) = 0;

 protected:
  Subscriber() = default;
};

// Waits until one of the channels has a message or `timeout` passes. Returns the indices
// (into the concatenation servers then clients) of the readable ones; empty on timeout.
// REQUIRES: every channel was made by Bind/Connect (kInvalidArgument otherwise).
Result<std::vector<size_t>> WaitReadable(const std::vector<ServerChannel*>& servers,
                                         const std::vector<ClientChannel*>& clients,
                                         std::chrono::milliseconds timeout);
// As above, and also waits for the file descriptors `fds` (e.g. an epoll descriptor) to
// poll readable; their indices follow the clients'.
Result<std::vector<size_t>> WaitReadable(const std::vector<ServerChannel*>& servers,
                                         const std::vector<ClientChannel*>& clients,
                                         const std::vector<int>& fds,
                                         std::chrono::milliseconds timeout);

}  // namespace sortline::transport

#endif  // PIPELINE_TRANSPORT_CHANNEL_H_
