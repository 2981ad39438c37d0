#include "pipeline/transport/internal/zmq_socket.h"

#include <utility>

namespace sortline::transport::internal {

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

Result<ZmqContext*> Downcast(Context& context) {
  auto* zmq_context = dynamic_cast<ZmqContext*>(&context);
  if (zmq_context == nullptr) {
    return InvalidArgument("transport context was not made by Context::Create");
  }
  return zmq_context;
}

bool PollIn(zmq::socket_t& socket, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  return zmq::poll(&item, 1, timeout) > 0 && (item.revents & ZMQ_POLLIN) != 0;
}

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

std::string WildcardPort(const std::string& endpoint) {
  std::string_view view(endpoint);
  if (view.starts_with("tcp://") && view.ends_with(":0")) {
    return endpoint.substr(0, endpoint.size() - 1) + "*";
  }
  return endpoint;
}

}  // namespace sortline::transport::internal
