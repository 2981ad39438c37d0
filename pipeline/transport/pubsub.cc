// The dashboard feed: PUB/SUB sockets over the shared ZeroMQ context (channel.h).
#include <string>
#include <utility>
#include <vector>

#include <zmq.hpp>

#include "pipeline/transport/channel.h"
#include "pipeline/transport/internal/zmq_socket.h"

namespace sortline::transport {
namespace {

using std::chrono::milliseconds;

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
    return internal::ReceiveParsed<Published>(
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

}  // namespace

Result<std::unique_ptr<Publisher>> Publisher::Bind(Context& context, const std::string& endpoint,
                                                   int high_water_mark) {
  SORTLINE_ASSIGN_OR_RETURN(internal::ZmqContext * zmq_context, internal::Downcast(context));
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::pub);
    socket.set(zmq::sockopt::sndhwm, high_water_mark);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(internal::WildcardPort(endpoint));
    std::string bound = socket.get(zmq::sockopt::last_endpoint);
    return std::unique_ptr<Publisher>(std::make_unique<ZmqPublisher>(std::move(socket), bound));
  } catch (const zmq::error_t& error) {
    return internal::FromZmqError(error, "bind " + endpoint);
  }
}

Result<std::unique_ptr<Subscriber>> Subscriber::Connect(Context& context,
                                                        const std::string& endpoint,
                                                        const std::vector<std::string>& prefixes) {
  SORTLINE_ASSIGN_OR_RETURN(internal::ZmqContext * zmq_context, internal::Downcast(context));
  try {
    zmq::socket_t socket(zmq_context->get(), zmq::socket_type::sub);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::reconnect_ivl, internal::kReconnectIntervalMs);
    socket.set(zmq::sockopt::reconnect_ivl_max, internal::kReconnectIntervalMaxMs);
    if (prefixes.empty()) socket.set(zmq::sockopt::subscribe, "");
    for (const std::string& prefix : prefixes) socket.set(zmq::sockopt::subscribe, prefix);
    socket.connect(endpoint);
    return std::unique_ptr<Subscriber>(
        std::make_unique<ZmqSubscriber>(std::move(socket), endpoint));
  } catch (const zmq::error_t& error) {
    return internal::FromZmqError(error, "connect " + endpoint);
  }
}

}  // namespace sortline::transport
