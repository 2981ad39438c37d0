#include "pipeline/transport/channel.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <string_view>
#include <unordered_map>
#include <utility>

#include <zmq.hpp>

namespace sortline::transport {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// Reconnect backoff of client channels: first retry after 100 ms, doubling up to 2 s, so
// clients ride out a server restart without hammering it.
constexpr int kReconnectIntervalMs = 100;
constexpr int kReconnectIntervalMaxMs = 2000;

class ZmqContext final : public Context {
 public:
  // Throws zmq::error_t when libzmq cannot create a context; Create catches it.
  ZmqContext() = default;

  zmq::context_t& get() { return context_; }

 private:
  zmq::context_t context_;
};

// `what` names the operation, e.g. "bind tcp://127.0.0.1:5550".
Status FromZmqError(const zmq::error_t& error, std::string_view what) {
  std::string prefix(what);
  switch (error.num()) {
    case EAGAIN:
      return Unavailable(prefix + ": timed out");
    case EHOSTUNREACH:
      return Unavailable(prefix + ": peer gone");
    case ETERM:
      return FailedPrecondition(prefix + ": ZeroMQ context terminated");
    case EINVAL:
    case EPROTONOSUPPORT:
    case ENOCOMPATPROTO:
      return InvalidArgument(prefix + ": " + error.what());
    case EADDRINUSE:
    case EADDRNOTAVAIL:
    case ENODEV:
    case EMFILE:
    case ENOBUFS:
    case ENOMEM:
      return IoError(prefix + ": " + error.what());
    default:
      return Internal(prefix + ": " + error.what());
  }
}

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

Result<ZmqContext*> Downcast(Context& context) {
  auto* zmq_context = dynamic_cast<ZmqContext*>(&context);
  if (zmq_context == nullptr) {
    return InvalidArgument("transport context was not made by Context::Create");
  }
  return zmq_context;
}

void ApplyCommonOptions(zmq::socket_t& socket, const ChannelOptions& options) {
  socket.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
  socket.set(zmq::sockopt::linger, options.linger_ms);
  socket.set(zmq::sockopt::sndtimeo, options.send_timeout_ms);
  socket.set(zmq::sockopt::sndhwm, options.send_high_water_mark);
  socket.set(zmq::sockopt::rcvhwm, options.receive_high_water_mark);
}

// Waits until `socket` is readable. False on timeout. Throws zmq::error_t.
bool PollIn(zmq::socket_t& socket, milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  return zmq::poll(&item, 1, timeout) > 0 && (item.revents & ZMQ_POLLIN) != 0;
}

// Reads one whole multipart message without blocking; ZeroMQ delivers the parts of a
// multipart message together, so once the first part is there the rest is too.
// Throws zmq::error_t.
std::vector<zmq::message_t> ReadMultipart(zmq::socket_t& socket) {
  std::vector<zmq::message_t> frames;
  while (true) {
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::dontwait)) break;
    bool more = frame.more();
    frames.push_back(std::move(frame));
    if (!more) break;
  }
  return frames;
}

// Polls `socket` until `parse` accepts a message or `timeout` passes. `parse` takes the
// frames of one message and returns an empty optional to drop it. Signals interrupting
// the wait end it early with an empty result.
template <typename T, typename Parse>
Result<std::optional<T>> ReceiveParsed(zmq::socket_t& socket, milliseconds timeout, Parse parse,
                                       std::string_view what) {
  const steady_clock::time_point deadline =
      steady_clock::now() + std::max(timeout, milliseconds(0));
  try {
    while (true) {
      milliseconds remaining = std::chrono::ceil<milliseconds>(deadline - steady_clock::now());
      if (!PollIn(socket, std::max(remaining, milliseconds(0)))) return std::optional<T>();
      std::optional<T> parsed = parse(ReadMultipart(socket));
      if (parsed.has_value()) return parsed;
    }
  } catch (const zmq::error_t& error) {
    if (error.num() == EINTR) return std::optional<T>();
    return FromZmqError(error, what);
  }
}

// Maps "tcp://host:0" to libzmq's "tcp://host:*" (any free port); other endpoints pass.
std::string WildcardPort(const std::string& endpoint) {
  std::string_view view(endpoint);
  if (view.starts_with("tcp://") && view.ends_with(":0")) {
    return endpoint.substr(0, endpoint.size() - 1) + "*";
  }
  return endpoint;
}

class ZmqServerChannel final : public ServerChannel {
 public:
  ZmqServerChannel(zmq::socket_t socket, std::string endpoint, int64_t max_message_bytes)
      : socket_(std::move(socket)),
        endpoint_(std::move(endpoint)),
        receive_what_("receive on " + endpoint_),
        max_message_bytes_(max_message_bytes) {}

  const std::string& endpoint() const override { return endpoint_; }

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
  // and payloads above the size limit (inproc bypasses ZMQ_MAXMSGSIZE), is dropped.
  std::optional<Incoming> Parse(std::vector<zmq::message_t> frames) {
    if (frames.size() < 2 || frames.size() > 3 || frames[0].size() == 0) return std::nullopt;
    bool delimited = frames.size() == 3;
    if (delimited && frames[1].size() != 0) return std::nullopt;
    const zmq::message_t& payload = frames.back();
    if (max_message_bytes_ >= 0 && static_cast<int64_t>(payload.size()) > max_message_bytes_) {
      return std::nullopt;
    }
    Incoming incoming{frames[0].to_string(), payload.to_string()};
    if (delimited) ++delimited_requests_[incoming.peer];
    return incoming;
  }

  zmq::socket_t socket_;
  std::string endpoint_;
  std::string receive_what_;  // error context, built once: Receive is the hot path
  int64_t max_message_bytes_;
  // Requests received REQ-style per peer and not yet answered. A REQ peer expects each
  // reply behind an empty delimiter; counting (instead of a flag per peer ever seen)
  // keeps the map bounded by unanswered requests as REQ peers come and go.
  std::unordered_map<std::string, int> delimited_requests_;
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
    return ReceiveParsed<std::string>(
        socket_, timeout,
        [this](std::vector<zmq::message_t> frames) { return Parse(std::move(frames)); },
        receive_what_);
  }

  Status Send(const std::string& payload) override {
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

  zmq::socket_t& socket() { return socket_; }

 private:
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
};

}  // namespace

Result<std::unique_ptr<Context>> Context::Create() {
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
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::router);
    ApplyCommonOptions(socket, options);
    socket.set(zmq::sockopt::router_mandatory, 1);
    // A client that reconnects under the same identity (a restarted worker) takes over
    // that identity instead of being ignored while its old connection is still known.
    socket.set(zmq::sockopt::router_handover, 1);
    socket.bind(WildcardPort(endpoint));
    std::string bound = socket.get(zmq::sockopt::last_endpoint);
    return std::unique_ptr<ServerChannel>(
        std::make_unique<ZmqServerChannel>(std::move(socket), bound, options.max_message_bytes));
  } catch (const zmq::error_t& error) {
    return FromZmqError(error, "bind " + endpoint);
  }
}

Result<std::unique_ptr<ClientChannel>> ClientChannel::Connect(Context& context,
                                                              const std::string& endpoint,
                                                              const std::string& identity,
                                                              const ChannelOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(ZmqContext * zmq_context, Downcast(context));
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::dealer);
    ApplyCommonOptions(socket, options);
    socket.set(zmq::sockopt::immediate, 1);
    socket.set(zmq::sockopt::reconnect_ivl, kReconnectIntervalMs);
    socket.set(zmq::sockopt::reconnect_ivl_max, kReconnectIntervalMaxMs);
    if (!identity.empty()) socket.set(zmq::sockopt::routing_id, zmq::buffer(identity));
    socket.connect(endpoint);
    return std::unique_ptr<ClientChannel>(
        std::make_unique<ZmqClientChannel>(std::move(socket), endpoint, options));
  } catch (const zmq::error_t& error) {
    return FromZmqError(error, "connect " + endpoint);
  }
}

class ZmqPublisher final : public Publisher {
 public:
  ZmqPublisher(zmq::socket_t socket, std::string endpoint)
      : socket_(std::move(socket)), endpoint_(std::move(endpoint)) {}
  const std::string& endpoint() const override { return endpoint_; }
  void Publish(const std::string& topic, const std::string& payload) override {
    try {
      if (socket_.send(zmq::buffer(topic), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
        socket_.send(zmq::buffer(payload), zmq::send_flags::dontwait);
      }
    } catch (const zmq::error_t&) {
      // A dashboard feed: a message that cannot go now is dropped, by contract.
    }
  }

 private:
  zmq::socket_t socket_;
  std::string endpoint_;
};

class ZmqSubscriber final : public Subscriber {
 public:
  ZmqSubscriber(zmq::socket_t socket, std::string endpoint)
      : socket_(std::move(socket)), what_("receive from " + endpoint) {}
  Result<std::optional<Published>> Receive(milliseconds timeout) override {
    return ReceiveParsed<Published>(
        socket_, timeout,
        [](std::vector<zmq::message_t> frames) -> std::optional<Published> {
          if (frames.size() != 2) return std::nullopt;
          return Published{frames[0].to_string(), frames[1].to_string()};
        },
        what_);
  }

 private:
  zmq::socket_t socket_;
  std::string what_;
};

Result<std::vector<size_t>> WaitReadable(const std::vector<ServerChannel*>& servers,
                                         const std::vector<ClientChannel*>& clients,
                                         milliseconds timeout) {
  return WaitReadable(servers, clients, {}, timeout);
}

Result<std::unique_ptr<Publisher>> Publisher::Bind(Context& context, const std::string& endpoint,
                                                   int high_water_mark) {
  SORTLINE_ASSIGN_OR_RETURN(ZmqContext * zmq_context, Downcast(context));
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::pub);
    socket.set(zmq::sockopt::sndhwm, high_water_mark);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(WildcardPort(endpoint));
    std::string bound = socket.get(zmq::sockopt::last_endpoint);
    return std::unique_ptr<Publisher>(std::make_unique<ZmqPublisher>(std::move(socket), bound));
  } catch (const zmq::error_t& error) {
    return FromZmqError(error, "bind " + endpoint);
  }
}

Result<std::unique_ptr<Subscriber>> Subscriber::Connect(Context& context,
                                                        const std::string& endpoint,
                                                        const std::vector<std::string>& prefixes) {
  SORTLINE_ASSIGN_OR_RETURN(ZmqContext * zmq_context, Downcast(context));
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::sub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::reconnect_ivl, kReconnectIntervalMs);
    socket.set(zmq::sockopt::reconnect_ivl_max, kReconnectIntervalMaxMs);
    if (prefixes.empty()) socket.set(zmq::sockopt::subscribe, "");
    for (const std::string& prefix : prefixes) socket.set(zmq::sockopt::subscribe, prefix);
    socket.connect(endpoint);
    return std::unique_ptr<Subscriber>(
        std::make_unique<ZmqSubscriber>(std::move(socket), endpoint));
  } catch (const zmq::error_t& error) {
    return FromZmqError(error, "connect " + endpoint);
  }
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
