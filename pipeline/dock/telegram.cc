#include "pipeline/dock/telegram.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <unordered_map>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sortline::dock {
namespace {

using Steady = std::chrono::steady_clock;

uint32_t ReadU32(const unsigned char* p, ByteOrder order) {
  if (order == ByteOrder::kBigEndian) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  }
  return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}

uint16_t ReadU16(const unsigned char* p, ByteOrder order) {
  return order == ByteOrder::kBigEndian ? static_cast<uint16_t>((p[0] << 8) | p[1])
                                        : static_cast<uint16_t>((p[1] << 8) | p[0]);
}

void PutU32(std::string& out, uint32_t v, ByteOrder order) {
  unsigned char b[4] = {static_cast<unsigned char>(v >> 24), static_cast<unsigned char>(v >> 16),
                        static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  if (order == ByteOrder::kLittleEndian) std::swap(b[0], b[3]), std::swap(b[1], b[2]);
  out.append(reinterpret_cast<const char*>(b), 4);
}

void PutU16(std::string& out, uint16_t v, ByteOrder order) {
  unsigned char b[2] = {static_cast<unsigned char>(v >> 8), static_cast<unsigned char>(v)};
  if (order == ByteOrder::kLittleEndian) std::swap(b[0], b[1]);
  out.append(reinterpret_cast<const char*>(b), 2);
}

Status CheckFrame(std::string_view frame, size_t size, uint8_t command) {
  if (frame.size() != size) {
    return InvalidArgument("telegram of " + std::to_string(frame.size()) + " bytes, expected " +
                           std::to_string(size));
  }
  if (static_cast<uint8_t>(frame[0]) != kStx) return InvalidArgument("telegram without STX");
  if (static_cast<uint8_t>(frame[1]) != command) {
    return InvalidArgument("unknown telegram command " +
                           std::to_string(static_cast<uint8_t>(frame[1])));
  }
  if (static_cast<uint8_t>(frame[size - 1]) != kEtx) {
    return InvalidArgument("telegram without ETX");
  }
  return Status::Ok();
}

bool PrintableBarcode(std::string_view token) {
  for (char c : token) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return !token.empty();
}

}  // namespace

std::string EncodeRequest(const TelegramRequest& request, ByteOrder order) {
  std::string out;
  out.reserve(kTelegramRequestSize);
  out.push_back(static_cast<char>(kStx));
  out.push_back(static_cast<char>(kRequestCommand));
  PutU32(out, request.product_code, order);
  out.push_back(static_cast<char>(request.source));
  out.push_back(0);
  PutU32(out, static_cast<uint32_t>(request.weight_g), order);
  out.push_back(static_cast<char>(request.weight_status));
  PutU16(out, static_cast<uint16_t>(request.length_mm / 10), order);
  PutU16(out, static_cast<uint16_t>(request.width_mm / 10), order);
  PutU16(out, static_cast<uint16_t>(request.height_mm / 10), order);
  out.push_back(static_cast<char>(request.size_status));
  std::string field;
  for (const std::string& barcode : request.barcodes) {
    if (!field.empty()) field.push_back('\t');
    field += barcode;
  }
  field.resize(kTelegramBarcodeField, '\0');
  out += field;
  out.push_back(static_cast<char>(kEtx));
  return out;
}

Result<v1::SortRequest> DecodeRequest(std::string_view frame, ByteOrder order) {
  SORTLINE_RETURN_IF_ERROR(CheckFrame(frame, kTelegramRequestSize, kRequestCommand));
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  v1::SortRequest request;
  request.set_transaction_id(ReadU32(p + 2, order));
  request.set_scanner_id("plc-" + std::to_string(p[6]));
  if (p[12] == 0) request.set_weight_g(static_cast<int32_t>(ReadU32(p + 8, order)));
  if (p[19] == 0) {
    request.set_length_mm(ReadU16(p + 13, order) * 10);
    request.set_width_mm(ReadU16(p + 15, order) * 10);
    request.set_height_mm(ReadU16(p + 17, order) * 10);
  }
  std::string_view field = frame.substr(20, kTelegramBarcodeField);
  while (!field.empty()) {
    size_t tab = field.find('\t');
    std::string_view token = field.substr(0, tab);
    size_t end = token.find_last_not_of(std::string_view("\0 \r\n", 4));
    token = end == std::string_view::npos ? std::string_view() : token.substr(0, end + 1);
    size_t begin = token.find_first_not_of(' ');
    token = begin == std::string_view::npos ? std::string_view() : token.substr(begin);
    if (PrintableBarcode(token)) request.add_barcodes(std::string(token));
    field = tab == std::string_view::npos ? std::string_view() : field.substr(tab + 1);
  }
  return request;
}

std::string EncodeResponse(uint32_t product_code, uint8_t exit_number, ByteOrder order) {
  std::string out;
  out.reserve(kTelegramResponseSize);
  out.push_back(static_cast<char>(kStx));
  out.push_back(static_cast<char>(kResponseCommand));
  PutU32(out, product_code, order);
  out.push_back(static_cast<char>(exit_number));
  out.push_back(static_cast<char>(kEtx));
  return out;
}

Result<TelegramResponse> DecodeResponse(std::string_view frame, ByteOrder order) {
  SORTLINE_RETURN_IF_ERROR(CheckFrame(frame, kTelegramResponseSize, kResponseCommand));
  const auto* p = reinterpret_cast<const unsigned char*>(frame.data());
  return TelegramResponse{ReadU32(p + 2, order), p[6]};
}

namespace {

struct Connection {
  std::string input;
  std::string output;
  Steady::time_point partial_since;
  bool closing = false;  // close once output is flushed
};

// Thread-safety: one polling thread; owns the listening socket, the epoll descriptor
// and every connection.
class EpollTelegramServer final : public TelegramServer {
 public:
  EpollTelegramServer(TelegramServerOptions options, int listen_fd, int epoll_fd, int port)
      : options_(std::move(options)), listen_fd_(listen_fd), epoll_fd_(epoll_fd), port_(port) {}

  ~EpollTelegramServer() override {
    for (auto& [fd, connection] : connections_) ::close(fd);
    ::close(listen_fd_);
    ::close(epoll_fd_);
  }

  int port() const override { return port_; }
  int fd() const override { return epoll_fd_; }
  size_t connections() const override { return connections_.size(); }
  TelegramCounters counters() const override { return counters_; }

  void Poll(const Handler& handler) override {
    epoll_event events[64];
    int n = ::epoll_wait(epoll_fd_, events, 64, 0);
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        Accept();
        continue;
      }
      auto it = connections_.find(fd);
      if (it == connections_.end()) continue;
      if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0) {
        Close(fd);
        continue;
      }
      if ((events[i].events & EPOLLOUT) != 0 && !Flush(fd, it->second)) continue;
      if ((events[i].events & (EPOLLIN | EPOLLRDHUP)) != 0) Read(fd, it->second, handler);
    }
    SweepPartialFrames();
  }

 private:
  void Accept() {
    while (true) {
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      if (connections_.size() >= options_.max_connections) {
        ::close(fd);
        ++counters_.dropped;
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      epoll_event event{};
      event.events = EPOLLIN | EPOLLRDHUP;
      event.data.fd = fd;
      if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
        ::close(fd);
        continue;
      }
      connections_.emplace(fd, Connection{});
      ++counters_.accepted;
    }
  }

  void Read(int fd, Connection& connection, const Handler& handler) {
    char buffer[16 << 10];
    ssize_t got = ::recv(fd, buffer, sizeof(buffer), 0);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
      Close(fd);
      return;
    }
    if (got < 0) return;
    if (connection.input.empty()) connection.partial_since = Steady::now();
    connection.input.append(buffer, static_cast<size_t>(got));
    size_t offset = 0;
    std::string& input = connection.input;
    while (input.size() - offset > 0) {
      const auto* p = reinterpret_cast<const unsigned char*>(input.data() + offset);
      size_t available = input.size() - offset;
      if (p[0] != kStx || (available >= 2 && p[1] != kRequestCommand)) {
        Reject(fd, connection, 0);
        return;
      }
      if (available < kTelegramRequestSize) break;
      const uint32_t product_code = ReadU32(p + 2, options_.byte_order);
      Result<v1::SortRequest> request = DecodeRequest(
          std::string_view(input).substr(offset, kTelegramRequestSize), options_.byte_order);
      if (!request.ok()) {
        Reject(fd, connection, product_code);
        return;
      }
      connection.output += EncodeResponse(product_code, handler(*request), options_.byte_order);
      ++counters_.requests;
      offset += kTelegramRequestSize;
    }
    input.erase(0, offset);
    if (offset > 0 && !input.empty()) connection.partial_since = Steady::now();
    Flush(fd, connection);
  }

  // Answers a bad frame with an error telegram, then drops the connection: a byte stream
  // that lost its framing cannot be trusted to find it again.
  void Reject(int fd, Connection& connection, uint32_t product_code) {
    ++counters_.errors;
    ++counters_.dropped;
    connection.output += EncodeResponse(product_code, kErrorExit, options_.byte_order);
    connection.input.clear();
    connection.closing = true;
    Flush(fd, connection);
  }

  // False when the connection was closed.
  bool Flush(int fd, Connection& connection) {
    while (!connection.output.empty()) {
      ssize_t sent = ::send(fd, connection.output.data(), connection.output.size(), MSG_NOSIGNAL);
      if (sent < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        Close(fd);
        return false;
      }
      connection.output.erase(0, static_cast<size_t>(sent));
    }
    if (connection.output.empty() && connection.closing) {
      Close(fd);
      return false;
    }
    if (connection.output.size() > options_.max_pending_output) {
      ++counters_.dropped;
      Close(fd);
      return false;
    }
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP | (connection.output.empty() ? 0u : uint32_t{EPOLLOUT});
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
    return true;
  }

  void SweepPartialFrames() {
    const Steady::time_point now = Steady::now();
    if (now - last_sweep_ < std::chrono::milliseconds(100)) return;
    last_sweep_ = now;
    const auto limit = std::chrono::milliseconds(options_.partial_frame_timeout_ms);
    std::vector<int> stale;
    for (const auto& [fd, connection] : connections_) {
      if (!connection.input.empty() && now - connection.partial_since > limit) stale.push_back(fd);
    }
    for (int fd : stale) {
      ++counters_.dropped;
      Close(fd);
    }
  }

  void Close(int fd) {
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    connections_.erase(fd);
  }

  const TelegramServerOptions options_;
  const int listen_fd_;
  const int epoll_fd_;
  const int port_;
  std::unordered_map<int, Connection> connections_;
  TelegramCounters counters_;
  Steady::time_point last_sweep_;
};

}  // namespace

Result<std::unique_ptr<TelegramServer>> TelegramServer::Listen(
    const TelegramServerOptions& options) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options.port));
  if (::inet_pton(AF_INET, options.host.c_str(), &address.sin_addr) != 1) {
    return InvalidArgument("telegram: not an IPv4 address: " + options.host);
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return IoError(std::string("telegram: socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(fd, 1024) != 0) {
    Status status = IoError("telegram: cannot listen on " + options.host + ":" +
                            std::to_string(options.port) + ": " + std::strerror(errno));
    ::close(fd);
    return status;
  }
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) {
    ::close(fd);
    return IoError(std::string("telegram: epoll: ") + std::strerror(errno));
  }
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = fd;
  ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
  return std::unique_ptr<TelegramServer>(
      new EpollTelegramServer(options, fd, epoll_fd, ntohs(address.sin_port)));
}

}  // namespace sortline::dock
