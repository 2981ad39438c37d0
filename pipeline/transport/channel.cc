#include "pipeline/transport/channel.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <set>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <zmq.hpp>

#include "pipeline/transport/internal/handshake_monitor.h"
#include "pipeline/transport/internal/zap_handler.h"
#include "pipeline/transport/internal/zmq_socket.h"

namespace sortline::transport {
namespace {

using internal::Downcast;
using internal::FromZmqError;
using internal::kReconnectIntervalMaxMs;
using internal::kReconnectIntervalMs;
using internal::ReceiveParsed;
using internal::WildcardPort;
using internal::ZmqContext;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// ZMQ_ZAP_ENFORCE_DOMAIN: a draft option in libzmq 4.3 (zmq.h declares it only for draft
// builds), yet every 4.3 build accepts it by number. Without it a CURVE server admits
// anyone who knows its key whenever no ZAP handler is bound (see zap_handler.h).
constexpr int kZapEnforceDomain = 93;

// Routing ids ZeroMQ picks are binary; print those as hex so messages stay readable.
std::string PeerName(std::string_view peer) {
  bool printable = !peer.empty() && std::all_of(peer.begin(), peer.end(),
                                                [](char c) { return c >= 0x20 && c < 0x7f; });
  if (printable) return "'" + std::string(peer) + "'";
  std::string hex = "0x";
  for (char c : peer) {
    char byte[3];
    std::snprintf(byte, sizeof(byte), "%02x", static_cast<unsigned char>(c));
    hex += byte;
  }
  return hex;
}

void ApplyCommonOptions(zmq::socket_t& socket, const ChannelOptions& options) {
  socket.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
  socket.set(zmq::sockopt::handshake_ivl, options.handshake_timeout_ms);
  socket.set(zmq::sockopt::linger, options.linger_ms);
  socket.set(zmq::sockopt::sndtimeo, options.send_timeout_ms);
  socket.set(zmq::sockopt::sndhwm, options.send_high_water_mark);
  socket.set(zmq::sockopt::rcvhwm, options.receive_high_water_mark);
}

bool IsTcp(const std::string& endpoint) { return std::string_view(endpoint).starts_with("tcp://"); }

// What the handshake monitor of a channel with `options` on `endpoint` needs.
internal::MonitorConfig MonitorFor(const ChannelOptions& options, const std::string& endpoint,
                                   bool server, bool curve) {
  internal::MonitorConfig config;
  config.server = server;
  config.curve = curve;
  config.endpoint = endpoint;
  config.role = options.peer_role;
  config.on_refused = options.on_handshake_refused;
  config.log = options.log;
  return config;
}

// True when a channel with `options` on `endpoint` uses CURVE: security is enabled and
// the endpoint is tcp:// (inproc:// and ipc:// stay plaintext).
bool UsesCurve(const std::string& endpoint, const ChannelOptions& options) {
  return options.security != nullptr && options.security->enabled() &&
         std::string_view(endpoint).starts_with("tcp://");
}

Status RequireCurve() {
  if (zmq_has("curve") == 0) {
    return FailedPrecondition("CURVE security is configured but libzmq " +
                              Context::LibraryVersion() + " was built without it");
  }
  return Status::Ok();
}

Result<std::string> DecodeKey(const std::string& z85, std::string_view what) {
  std::array<uint8_t, 32> binary{};
  if (z85.size() != 40 || zmq_z85_decode(binary.data(), z85.c_str()) == nullptr) {
    return InvalidArgument(std::string(what) + " is not a 40-character Z85 key");
  }
  return std::string(reinterpret_cast<const char*>(binary.data()), binary.size());
}

// The binary public keys of the clients a server admits under `role`.
Result<std::set<std::string>> ClientKeys(const Security& security, const std::string& role) {
  if (role.empty()) {
    return InvalidArgument("a secured server channel needs peer_role, the client role it admits");
  }
  auto listed = security.keys_by_role.find(role);
  if (listed == security.keys_by_role.end() || listed->second.empty()) {
    return InvalidArgument("no public key listed for role \"" + role +
                           "\": no client could connect");
  }
  std::set<std::string> keys;
  for (const std::string& key : listed->second) {
    SORTLINE_ASSIGN_OR_RETURN(std::string binary, DecodeKey(key, "a " + role + " key"));
    keys.insert(std::move(binary));
  }
  return keys;
}

// The one server key a client of a `role` server trusts.
Result<std::string> ServerKey(const Security& security, const std::string& role) {
  if (role.empty()) {
    return InvalidArgument("a secured client channel needs peer_role, the server's role");
  }
  auto listed = security.keys_by_role.find(role);
  const size_t count = listed == security.keys_by_role.end() ? 0 : listed->second.size();
  if (count != 1) {
    return InvalidArgument("the keys table lists " + std::to_string(count) + " keys for role \"" +
                           role + "\"; a client trusts exactly one");
  }
  SORTLINE_RETURN_IF_ERROR(DecodeKey(listed->second.front(), "the " + role + " key").status());
  return listed->second.front();
}

// Makes `socket` a CURVE server that asks the ZAP handler about every client under
// `domain`, and refuses clients whenever the handler is missing. Throws zmq::error_t
// for a bad key.
Status MakeCurveServer(zmq::socket_t& socket, const Security& security, const std::string& domain) {
  socket.set(zmq::sockopt::curve_server, 1);
  socket.set(zmq::sockopt::curve_secretkey, security.own.secret_key);
  // Non-empty: with enforcement on, an empty domain would skip ZAP altogether.
  socket.set(zmq::sockopt::zap_domain, domain);
  const int enforce = 1;
  if (zmq_setsockopt(socket.handle(), kZapEnforceDomain, &enforce, sizeof(enforce)) != 0) {
    return FailedPrecondition(
        "libzmq " + Context::LibraryVersion() +
        " does not take ZMQ_ZAP_ENFORCE_DOMAIN: " + zmq_strerror(zmq_errno()));
  }
  return Status::Ok();
}

// A secured server channel's registration with the ZAP handler; unregisters on
// destruction so a closed channel's domain admits nobody.
class ZapRegistration {
 public:
  ZapRegistration() = default;
  ZapRegistration(internal::ZapHandler* handler, std::string domain)
      : handler_(handler), domain_(std::move(domain)) {}
  ~ZapRegistration() {
    if (handler_ != nullptr) handler_->Unregister(domain_);
  }
  ZapRegistration(ZapRegistration&& other) noexcept
      : handler_(std::exchange(other.handler_, nullptr)), domain_(std::move(other.domain_)) {}
  ZapRegistration& operator=(ZapRegistration&& other) noexcept {
    if (this != &other) {
      if (handler_ != nullptr) handler_->Unregister(domain_);
      handler_ = std::exchange(other.handler_, nullptr);
      domain_ = std::move(other.domain_);
    }
    return *this;
  }
  ZapRegistration(const ZapRegistration&) = delete;
  ZapRegistration& operator=(const ZapRegistration&) = delete;

  const std::string& domain() const { return domain_; }

 private:
  internal::ZapHandler* handler_ = nullptr;  // owned by the Context
  std::string domain_;
};

class ZmqServerChannel final : public ServerChannel {
 public:
  // `required_user_id`: on a secured channel the role every message must carry; empty
  // on plaintext channels.
  ZmqServerChannel(zmq::socket_t socket, std::string endpoint, int64_t max_message_bytes,
                   std::string required_user_id, ZapRegistration registration)
      : socket_(std::move(socket)),
        endpoint_(std::move(endpoint)),
        receive_what_("receive on " + endpoint_),
        max_message_bytes_(max_message_bytes),
        required_user_id_(std::move(required_user_id)),
        registration_(std::move(registration)) {}

  const std::string& endpoint() const override { return endpoint_; }
  uint64_t dropped() const override { return dropped_; }
  std::map<std::string, uint64_t> refused_handshakes() const override {
    return monitor_ ? monitor_->refused() : std::map<std::string, uint64_t>{};
  }
  void set_monitor(std::unique_ptr<internal::HandshakeMonitor> monitor) {
    monitor_ = std::move(monitor);
  }

  Result<std::optional<Incoming>> Receive(milliseconds timeout) override {
    return ReceiveParsed<Incoming>(
        socket_, timeout,
        [this](std::vector<zmq::message_t> frames) { return Parse(std::move(frames)); },
        receive_what_);
  }

  Status Send(const std::string& peer, const std::string& payload) override {
    auto delimited = delimited_requests_.find(peer);
    try {
      // ROUTER refuses only the first part (unknown peer or full queue); once it takes
      // the routing id the remaining parts always follow it.
      if (!socket_.send(zmq::buffer(peer), zmq::send_flags::sndmore)) {
        return Unavailable("send to peer " + PeerName(peer) + " on " + endpoint_ +
                           ": peer did not take the message in time");
      }
      if (delimited != delimited_requests_.end()) {
        socket_.send(zmq::message_t(), zmq::send_flags::sndmore);
      }
      socket_.send(zmq::buffer(payload), zmq::send_flags::none);
    } catch (const zmq::error_t& error) {
      if (error.num() == EHOSTUNREACH && delimited != delimited_requests_.end()) {
        delimited_requests_.erase(delimited);
      }
      return FromZmqError(error, "send to peer " + PeerName(peer) + " on " + endpoint_);
    }
    if (delimited != delimited_requests_.end() && --delimited->second == 0) {
      delimited_requests_.erase(delimited);
    }
    return Status::Ok();
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  // Accepts [peer][payload] (DEALER) and [peer][empty][payload] (REQ). Anything else,
  // payloads above the size limit (inproc bypasses ZMQ_MAXMSGSIZE) and, on a secured
  // channel, payloads whose User-Id is not the channel's role are dropped and counted.
  std::optional<Incoming> Parse(std::vector<zmq::message_t> frames) {
    std::optional<Incoming> incoming = Accept(frames);
    if (!incoming.has_value()) ++dropped_;
    return incoming;
  }

  std::optional<Incoming> Accept(std::vector<zmq::message_t>& frames) {
    if (frames.size() < 2 || frames.size() > 3 || frames[0].size() == 0) return std::nullopt;
    bool delimited = frames.size() == 3;
    if (delimited && frames[1].size() != 0) return std::nullopt;
    zmq::message_t& payload = frames.back();
    if (max_message_bytes_ >= 0 && static_cast<int64_t>(payload.size()) > max_message_bytes_) {
      return std::nullopt;
    }
    // The engine attaches the connection's metadata to the frames it received; the
    // routing id frame is made by the ROUTER and carries none.
    const char* user_id = zmq_msg_gets(payload.handle(), "User-Id");
    if (!required_user_id_.empty() && (user_id == nullptr || required_user_id_ != user_id)) {
      return std::nullopt;
    }
    Incoming incoming{frames[0].to_string(), payload.to_string(),
                      user_id == nullptr ? std::string() : std::string(user_id)};
    if (delimited) ++delimited_requests_[incoming.peer];
    return incoming;
  }

  zmq::socket_t socket_;
  std::string endpoint_;
  std::string receive_what_;  // error context, built once: Receive is the hot path
  int64_t max_message_bytes_;
  std::string required_user_id_;
  ZapRegistration registration_;
  uint64_t dropped_ = 0;
  // Requests received REQ-style per peer and not yet answered. A REQ peer expects each
  // reply behind an empty delimiter; counting (instead of a flag per peer ever seen)
  // keeps the map bounded by unanswered requests as REQ peers come and go.
  std::unordered_map<std::string, int> delimited_requests_;
  // Declared after socket_: stops watching before the socket closes.
  std::unique_ptr<internal::HandshakeMonitor> monitor_;
};

class ZmqClientChannel final : public ClientChannel {
 public:
  ZmqClientChannel(zmq::socket_t socket, std::string endpoint, const ChannelOptions& options)
      : socket_(std::move(socket)),
        endpoint_(std::move(endpoint)),
        receive_what_("receive from " + endpoint_),
        max_message_bytes_(options.max_message_bytes),
        send_timeout_ms_(options.send_timeout_ms) {}

  Result<std::optional<std::string>> Receive(milliseconds timeout) override {
    RetryRefused();
    return ReceiveParsed<std::string>(
        socket_, timeout,
        [this](std::vector<zmq::message_t> frames) { return Parse(std::move(frames)); },
        receive_what_);
  }

  Status Send(const std::string& payload) override {
    RetryRefused();
    try {
      if (!socket_.send(zmq::buffer(payload), zmq::send_flags::none)) {
        return Unavailable("send to " + endpoint_ + ": no server took the message within " +
                           std::to_string(send_timeout_ms_) + " ms");
      }
    } catch (const zmq::error_t& error) {
      return FromZmqError(error, "send to " + endpoint_);
    }
    return Status::Ok();
  }

  HandshakeStatus handshake() const override {
    // Only tcp:// is watched; inproc:// and ipc:// have no handshake that could fail.
    return monitor_ ? monitor_->status() : HandshakeStatus{true, 0, std::nullopt};
  }
  void set_monitor(std::unique_ptr<internal::HandshakeMonitor> monitor) {
    monitor_ = std::move(monitor);
  }

  zmq::socket_t& socket() { return socket_; }

 private:
  // libzmq never reconnects a client whose handshake the server refused (a refused key,
  // a plaintext/CURVE mismatch): it would stay cut off even after the server's keys
  // table lists it. So while the last handshake failed, the channel connects anew, first
  // after 1 s, then backing off to 30 s, until one succeeds.
  void RetryRefused() {
    if (!monitor_) return;
    const HandshakeStatus status = monitor_->status();
    const steady_clock::time_point now = steady_clock::now();
    if (status.succeeded || status.failures == 0) {
      retry_backoff_ = kFirstRetry;
      next_retry_ = {};
      return;
    }
    if (next_retry_ == steady_clock::time_point{}) next_retry_ = now + retry_backoff_;
    if (now < next_retry_) return;
    try {
      socket_.disconnect(endpoint_);
      socket_.connect(endpoint_);
    } catch (const zmq::error_t&) {
      // Tried again at the next backoff.
    }
    retry_backoff_ = std::min(retry_backoff_ * 2, kLastRetry);
    next_retry_ = now + retry_backoff_;
  }

  static constexpr milliseconds kFirstRetry{1000};
  static constexpr milliseconds kLastRetry{30'000};

  // Accepts [payload], and [empty][payload] from servers that frame replies REQ-style.
  std::optional<std::string> Parse(std::vector<zmq::message_t> frames) {
    if (frames.size() == 2 && frames[0].size() == 0) frames.erase(frames.begin());
    if (frames.size() != 1) return std::nullopt;
    if (max_message_bytes_ >= 0 && static_cast<int64_t>(frames[0].size()) > max_message_bytes_) {
      return std::nullopt;
    }
    return frames[0].to_string();
  }

  zmq::socket_t socket_;
  std::string endpoint_;
  std::string receive_what_;  // error context, built once: Receive is the hot path
  int64_t max_message_bytes_;
  int send_timeout_ms_;
  milliseconds retry_backoff_ = kFirstRetry;  // see RetryRefused
  steady_clock::time_point next_retry_;       // zero: no retry pending
  // Declared after socket_: stops watching before the socket closes.
  std::unique_ptr<internal::HandshakeMonitor> monitor_;
};

}  // namespace

Result<std::unique_ptr<Context>> Context::Create() {
  int major = 0;
  int minor = 0;
  int patch = 0;
  zmq_version(&major, &minor, &patch);
  SORTLINE_RETURN_IF_ERROR(CheckLibraryVersion(major, minor, patch));
  try {
    return std::unique_ptr<Context>(std::make_unique<ZmqContext>());
  } catch (const zmq::error_t& error) {
    return FromZmqError(error, "create ZeroMQ context");
  }
}

std::string Context::LibraryVersion() {
  int major = 0;
  int minor = 0;
  int patch = 0;
  zmq_version(&major, &minor, &patch);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

Result<std::unique_ptr<ServerChannel>> ServerChannel::Bind(Context& context,
                                                           const std::string& endpoint,
                                                           const ChannelOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(ZmqContext * zmq_context, Downcast(context));
  const bool secured = UsesCurve(endpoint, options);
  std::set<std::string> client_keys;
  if (secured) {
    SORTLINE_RETURN_IF_ERROR(RequireCurve());
    SORTLINE_ASSIGN_OR_RETURN(client_keys, ClientKeys(*options.security, options.peer_role));
  }
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::router);
    ApplyCommonOptions(socket, options);
    socket.set(zmq::sockopt::router_mandatory, 1);
    // A client that reconnects under the same identity (a restarted worker) takes over
    // that identity instead of being ignored while its old connection is still known.
    socket.set(zmq::sockopt::router_handover, 1);
    ZapRegistration registration;
    if (secured) {
      SORTLINE_ASSIGN_OR_RETURN(internal::ZapHandler * zap, zmq_context->Authenticator());
      registration = ZapRegistration(zap, zap->Register(options.peer_role, std::move(client_keys)));
      SORTLINE_RETURN_IF_ERROR(MakeCurveServer(socket, *options.security, registration.domain()));
    }
    socket.bind(WildcardPort(endpoint));
    std::string bound = socket.get(zmq::sockopt::last_endpoint);
    const std::string domain = registration.domain();
    auto channel = std::make_unique<ZmqServerChannel>(
        std::move(socket), bound, options.max_message_bytes, secured ? options.peer_role : "",
        std::move(registration));
    if (IsTcp(bound)) {
      internal::MonitorConfig watch = MonitorFor(options, bound, /*server=*/true, secured);
      if (secured) {
        SORTLINE_ASSIGN_OR_RETURN(watch.zap, zmq_context->Authenticator());
        watch.zap_domain = domain;
      }
      SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<internal::HandshakeMonitor> monitor,
                                internal::HandshakeMonitor::Start(
                                    zmq_context->get(), channel->socket(), std::move(watch)));
      channel->set_monitor(std::move(monitor));
    }
    return std::unique_ptr<ServerChannel>(std::move(channel));
  } catch (const zmq::error_t& error) {
    return FromZmqError(error, "bind " + endpoint);
  }
}

Result<std::unique_ptr<ClientChannel>> ClientChannel::Connect(Context& context,
                                                              const std::string& endpoint,
                                                              const std::string& identity,
                                                              const ChannelOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(ZmqContext * zmq_context, Downcast(context));
  const bool secured = UsesCurve(endpoint, options);
  std::string server_key;
  if (secured) {
    SORTLINE_RETURN_IF_ERROR(RequireCurve());
    SORTLINE_ASSIGN_OR_RETURN(server_key, ServerKey(*options.security, options.peer_role));
    if (options.security->own.public_key.empty()) {
      return InvalidArgument("a secured client channel needs its own public key");
    }
  }
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::dealer);
    ApplyCommonOptions(socket, options);
    if (secured) {
      socket.set(zmq::sockopt::curve_serverkey, server_key);
      socket.set(zmq::sockopt::curve_publickey, options.security->own.public_key);
      socket.set(zmq::sockopt::curve_secretkey, options.security->own.secret_key);
    }
    socket.set(zmq::sockopt::immediate, 1);
    socket.set(zmq::sockopt::reconnect_ivl, kReconnectIntervalMs);
    socket.set(zmq::sockopt::reconnect_ivl_max, kReconnectIntervalMaxMs);
    if (!identity.empty()) socket.set(zmq::sockopt::routing_id, zmq::buffer(identity));
    auto channel = std::make_unique<ZmqClientChannel>(std::move(socket), endpoint, options);
    if (IsTcp(endpoint)) {
      // Watching starts before connecting, so the first handshake is seen too.
      SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<internal::HandshakeMonitor> monitor,
                                internal::HandshakeMonitor::Start(
                                    zmq_context->get(), channel->socket(),
                                    MonitorFor(options, endpoint, /*server=*/false, secured)));
      channel->set_monitor(std::move(monitor));
    }
    channel->socket().connect(endpoint);
    return std::unique_ptr<ClientChannel>(std::move(channel));
  } catch (const zmq::error_t& error) {
    return FromZmqError(error, "connect " + endpoint);
  }
}

Result<std::vector<size_t>> WaitReadable(const std::vector<ServerChannel*>& servers,
                                         const std::vector<ClientChannel*>& clients,
                                         milliseconds timeout) {
  return WaitReadable(servers, clients, {}, timeout);
}

Result<std::vector<size_t>> WaitReadable(const std::vector<ServerChannel*>& servers,
                                         const std::vector<ClientChannel*>& clients,
                                         const std::vector<int>& fds, milliseconds timeout) {
  std::vector<zmq::pollitem_t> items;
  items.reserve(servers.size() + clients.size());
  for (ServerChannel* server : servers) {
    auto* channel = dynamic_cast<ZmqServerChannel*>(server);
    if (channel == nullptr) {
      return InvalidArgument("WaitReadable: server channel not made by ServerChannel::Bind");
    }
    items.push_back({channel->socket().handle(), 0, ZMQ_POLLIN, 0});
  }
  for (ClientChannel* client : clients) {
    auto* channel = dynamic_cast<ZmqClientChannel*>(client);
    if (channel == nullptr) {
      return InvalidArgument("WaitReadable: client channel not made by ClientChannel::Connect");
    }
    items.push_back({channel->socket().handle(), 0, ZMQ_POLLIN, 0});
  }
  for (int fd : fds) items.push_back({nullptr, fd, ZMQ_POLLIN, 0});
  std::vector<size_t> readable;
  try {
    if (zmq::poll(items, std::max(timeout, milliseconds(0))) == 0) return readable;
  } catch (const zmq::error_t& error) {
    if (error.num() == EINTR) return readable;
    return FromZmqError(error, "wait for channels");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    if ((items[i].revents & ZMQ_POLLIN) != 0) readable.push_back(i);
  }
  return readable;
}

}  // namespace sortline::transport
