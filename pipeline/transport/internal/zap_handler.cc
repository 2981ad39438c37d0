#include "pipeline/transport/internal/zap_handler.h"

#include <chrono>
#include <utility>
#include <vector>

#include "pipeline/transport/internal/zmq_socket.h"

namespace sortline::transport::internal {
namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
// How often the handler thread looks at its stop flag while no request comes.
constexpr std::chrono::milliseconds kStopCheckInterval(100);
constexpr size_t kCurveKeyBytes = 32;

}  // namespace

Result<std::unique_ptr<ZapHandler>> ZapHandler::Start(zmq::context_t& context) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kZapEndpoint);
    std::unique_ptr<ZapHandler> handler(new ZapHandler(std::move(socket)));
    handler->thread_ = std::thread([raw = handler.get()] { raw->Run(); });
    return handler;
  } catch (const zmq::error_t& error) {
    return FailedPrecondition(std::string("start the ZAP handler at ") + kZapEndpoint + ": " +
                              error.what());
  }
}

ZapHandler::ZapHandler(zmq::socket_t socket) : socket_(std::move(socket)) {}

ZapHandler::~ZapHandler() {
  Stop();
  // socket_ closes here, after the thread that used it was joined.
}

void ZapHandler::Stop() {
  stop_.store(true);
  MutexLock lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

std::string ZapHandler::Register(const std::string& role, std::set<std::string> keys) {
  MutexLock lock(mutex_);
  std::string domain = "sortline/" + std::to_string(next_domain_++) + "/" + role;
  domains_[domain] = Domain{role, std::move(keys), std::nullopt};
  return domain;
}

void ZapHandler::Unregister(const std::string& domain) {
  MutexLock lock(mutex_);
  domains_.erase(domain);
}

std::optional<ZapHandler::Refusal> ZapHandler::LastRefusal(const std::string& domain) const {
  MutexLock lock(mutex_);
  auto found = domains_.find(domain);
  if (found == domains_.end()) return std::nullopt;
  return found->second.last_refusal;
}

void ZapHandler::Answer(const std::vector<zmq::message_t>& request, std::string* code,
                        std::string* text, std::string* user_id) {
  *code = "400";
  user_id->clear();
  // [version][request id][domain][address][routing id][mechanism][credentials...]
  if (request.size() < 6 || request[0].to_string_view() != "1.0") {
    *text = "malformed ZAP request";
    return;
  }
  const std::string domain = request[2].to_string();
  if (request[5].to_string_view() != "CURVE") {
    *text = "only CURVE is accepted";
    return;
  }
  if (request.size() != 7 || request[6].size() != kCurveKeyBytes) {
    *text = "malformed CURVE credentials";
    return;
  }
  MutexLock lock(mutex_);
  auto found = domains_.find(domain);
  if (found == domains_.end()) {
    *text = "unknown domain";
    return;
  }
  const std::string key = request[6].to_string();
  if (found->second.keys.count(key) == 0) {
    *text = "key not allowed for role " + found->second.role;
    Refusal refusal;
    refusal.address = request[3].to_string();
    char z85[41] = {};
    zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(key.data()), key.size());
    refusal.key = z85;
    refusal.why = "its key is not listed for role " + found->second.role;
    for (const auto& entry : domains_) {
      const Domain& other = entry.second;
      if (other.role != found->second.role && other.keys.count(key) > 0) {
        refusal.why = "its key is listed for role " + other.role + ", not " + found->second.role;
        break;
      }
    }
    found->second.last_refusal = std::move(refusal);
    return;
  }
  *code = "200";
  *text = "OK";
  *user_id = found->second.role;
}

void ZapHandler::Run() {
  // Any error ends the loop with the socket still bound: handshakes then wait and time
  // out, so a broken handler admits nobody.
  try {
    while (!stop_.load()) {
      if (!PollIn(socket_, kStopCheckInterval)) continue;
      std::vector<zmq::message_t> request = ReadMultipart(socket_);
      if (request.empty()) continue;
      std::string code;
      std::string text;
      std::string user_id;
      Answer(request, &code, &text, &user_id);
      const std::string request_id = request.size() > 1 ? request[1].to_string() : "";
      socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(code), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
      socket_.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
      socket_.send(zmq::message_t(), zmq::send_flags::none);
    }
  } catch (const zmq::error_t&) {
    // Context terminated or the socket failed: stop answering (fail closed, see above).
  }
}

}  // namespace sortline::transport::internal
