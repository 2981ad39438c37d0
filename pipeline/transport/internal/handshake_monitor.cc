#include "pipeline/transport/internal/handshake_monitor.h"

#include <cstdio>
#include <cstring>
#include <utility>
#include <vector>

#include "pipeline/transport/internal/zmq_socket.h"

namespace sortline::transport {

std::string_view HandshakeFailureName(HandshakeFailure failure) {
  switch (failure) {
    case HandshakeFailure::kKeyRefused:
      return "key_refused";
    case HandshakeFailure::kMechanismMismatch:
      return "mechanism_mismatch";
    case HandshakeFailure::kWrongServerKey:
      return "wrong_server_key";
    case HandshakeFailure::kProtocol:
      return "protocol";
    case HandshakeFailure::kNoDetail:
      return "no_detail";
  }
  return "no_detail";
}

namespace internal {
namespace {

using Steady = std::chrono::steady_clock;

constexpr int kEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                        ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
// How often the monitor thread looks at its stop flag while no event comes.
constexpr std::chrono::milliseconds kStopCheckInterval(100);
// The same refusal (same cause: for a refused key, the same key and address) is logged
// at most this often ...
constexpr std::chrono::seconds kLogInterval(10);
// ... and at most this many distinct ones are remembered (more reset the memory), so a
// flood of random keys cannot grow it.
constexpr size_t kMaxRemembered = 256;

HandshakeFailure Classify(uint16_t event, uint32_t value) {
  switch (event) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      return HandshakeFailure::kKeyRefused;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        return HandshakeFailure::kMechanismMismatch;
      }
      if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC ||
          value == ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE) {
        return HandshakeFailure::kWrongServerKey;
      }
      return HandshakeFailure::kProtocol;
    default:
      return HandshakeFailure::kNoDetail;
  }
}

std::string Hex(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

}  // namespace

Result<std::unique_ptr<HandshakeMonitor>> HandshakeMonitor::Start(zmq::context_t& context,
                                                                  zmq::socket_t& socket,
                                                                  MonitorConfig config) {
  static std::atomic<uint64_t> next_id{0};
  const std::string address = "inproc://sortline-handshake-monitor-" + std::to_string(next_id++);
  if (zmq_socket_monitor(socket.handle(), address.c_str(), kEvents) != 0) {
    return Internal("watch handshakes on " + config.endpoint + ": " + zmq_strerror(zmq_errno()));
  }
  try {
    zmq::socket_t events(context, zmq::socket_type::pair);
    events.set(zmq::sockopt::linger, 0);
    events.connect(address);
    std::unique_ptr<HandshakeMonitor> monitor(
        new HandshakeMonitor(socket.handle(), std::move(events), std::move(config)));
    monitor->thread_ = std::thread([raw = monitor.get()] { raw->Run(); });
    return monitor;
  } catch (const zmq::error_t& error) {
    zmq_socket_monitor(socket.handle(), nullptr, 0);
    return Internal("watch handshakes on " + config.endpoint + ": " + error.what());
  }
}

HandshakeMonitor::HandshakeMonitor(void* socket, zmq::socket_t events, MonitorConfig config)
    : socket_(socket), events_(std::move(events)), config_(std::move(config)) {}

HandshakeMonitor::~HandshakeMonitor() {
  zmq_socket_monitor(socket_, nullptr, 0);
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  // events_ closes here, after the thread that used it was joined.
}

HandshakeStatus HandshakeMonitor::status() const {
  MutexLock lock(mutex_);
  return status_;
}

std::map<std::string, uint64_t> HandshakeMonitor::refused() const {
  MutexLock lock(mutex_);
  return refused_;
}

void HandshakeMonitor::Run() {
  // A failure of the monitor socket (the context terminating) ends the watch; the
  // channel itself carries on unwatched.
  try {
    while (!stop_.load()) {
      if (!internal::PollIn(events_, kStopCheckInterval)) continue;
      // [event: uint16 | value: uint32][endpoint]
      std::vector<zmq::message_t> frames = internal::ReadMultipart(events_);
      if (frames.empty() || frames[0].size() != 6) continue;
      uint16_t event = 0;
      uint32_t value = 0;
      std::memcpy(&event, frames[0].data(), sizeof event);
      std::memcpy(&value, static_cast<const char*>(frames[0].data()) + sizeof event, sizeof value);
      if (event == ZMQ_EVENT_MONITOR_STOPPED) return;
      Handle(event, value);
    }
  } catch (const zmq::error_t&) {
  }
}

void HandshakeMonitor::Handle(uint16_t event, uint32_t value) {
  if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
    MutexLock lock(mutex_);
    status_ = HandshakeStatus{true, 0, std::nullopt};
    return;
  }
  HandshakeRefusal refusal = Describe(event, value);
  {
    MutexLock lock(mutex_);
    status_.succeeded = false;
    ++status_.failures;
    status_.last_failure = refusal;
    ++refused_[std::string(HandshakeFailureName(refusal.failure))];
  }
  if (config_.on_refused) config_.on_refused(refusal);
  LogRateLimited(refusal);
}

HandshakeRefusal HandshakeMonitor::Describe(uint16_t event, uint32_t value) const {
  HandshakeRefusal refusal;
  refusal.endpoint = config_.endpoint;
  refusal.failure = Classify(event, value);
  const std::string& role = config_.role;
  if (config_.server) {
    switch (refusal.failure) {
      case HandshakeFailure::kKeyRefused: {
        std::optional<ZapHandler::Refusal> last;
        if (config_.zap != nullptr) last = config_.zap->LastRefusal(config_.zap_domain);
        refusal.cause = last.has_value()
                            ? "the client at " + last->address + " was refused: " + last->why +
                                  " (key " + last->key + ")"
                            : "a client's key is not listed for role " + role +
                                  " (an unknown key, or a key of another role)";
        break;
      }
      case HandshakeFailure::kMechanismMismatch:
        refusal.cause = config_.curve ? "a plaintext client (no --curve-key/--curve-keys) tried to "
                                        "connect; this channel requires CURVE"
                                      : "a CURVE client tried to connect; this server runs "
                                        "without keys";
        break;
      case HandshakeFailure::kWrongServerKey:
        refusal.cause =
            "a CURVE client expected another server key: the keys table it was given lists "
            "another key for this server than the one this server holds";
        break;
      case HandshakeFailure::kProtocol:
        refusal.cause = "a client broke the handshake protocol (ZMTP error " + Hex(value) + ")";
        break;
      case HandshakeFailure::kNoDetail:
        refusal.cause =
            "a connection ended during its handshake (the client left, or it timed out: when "
            "nothing answers the server's key checks every handshake times out)";
        break;
    }
    return refusal;
  }
  const std::string server =
      "the " + (role.empty() ? std::string("server") : role) + " at " + config_.endpoint;
  switch (refusal.failure) {
    case HandshakeFailure::kKeyRefused:
      refusal.cause = server +
                      " refused this client's key: that server's keys table does not list it "
                      "for this client's role (an unknown key, or a key of another role)";
      break;
    case HandshakeFailure::kMechanismMismatch:
      refusal.cause = config_.curve ? server + " runs without CURVE keys, but this client uses them"
                                    : server +
                                          " requires CURVE: give this client --curve-key and "
                                          "--curve-keys";
      break;
    case HandshakeFailure::kWrongServerKey:
      refusal.cause =
          server + " holds another key than the " + role + " key in this client's keys table";
      break;
    case HandshakeFailure::kProtocol:
      refusal.cause = server + " broke the handshake protocol (ZMTP error " + Hex(value) + ")";
      break;
    case HandshakeFailure::kNoDetail:
      refusal.cause =
          config_.curve
              ? server +
                    " dropped the connection during the handshake: it holds another "
                    "key than the " +
                    role + " key in this client's keys table, or its key checks do not answer"
              : "the connection to " + config_.endpoint + " ended during the handshake (" +
                    zmq_strerror(static_cast<int>(value)) +
                    "): if that server uses CURVE keys, give this client --curve-key and "
                    "--curve-keys";
      break;
  }
  return refusal;
}

void HandshakeMonitor::LogRateLimited(const HandshakeRefusal& refusal) {
  if (!config_.log) return;
  const Steady::time_point now = Steady::now();
  if (logged_.size() >= kMaxRemembered) logged_.clear();
  auto [entry, first] = logged_.try_emplace(refusal.cause, now, 0);
  if (!first && now - entry->second.first < kLogInterval) {
    ++entry->second.second;
    return;
  }
  std::string line = (config_.server ? "refused a handshake on " + config_.endpoint + ": "
                                     : "handshake refused: ") +
                     refusal.cause;
  if (entry->second.second > 0) {
    line += " (" + std::to_string(entry->second.second) + " more like it since the last line)";
  }
  entry->second = {now, 0};
  config_.log(LogLevel::kWarning, "channel", line);
}

}  // namespace internal
}  // namespace sortline::transport
