// The sorter PLC telegram protocol as the dock serves it: a byte stream sent to a real
// TelegramServer on 127.0.0.1 in arbitrary chunks, in either byte order. The first
// input byte picks the byte order; chunk lengths come from the end of the input, the
// stream from its front (FuzzedDataProvider).
// Properties: nothing crashes; the answers are exactly what decoding the stream frame by
// frame predicts (one answer per whole valid request, in order; an error telegram for
// the first bad frame and nothing after it; nothing for a trailing partial frame),
// however the stream was cut; every answer is a well-formed response telegram.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pipeline/dock/telegram.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/testing/process.h"

namespace {

using namespace sortline;
using fuzz::Check;

// The exit number the handler answers, from the request alone.
uint8_t ExitFor(const v1::SortRequest& request) {
  return static_cast<uint8_t>(request.transaction_id() % 250 + 1 + request.barcodes_size() % 2);
}

dock::TelegramServer& Server(dock::ByteOrder order) {
  static dock::TelegramServer* servers[2] = {nullptr, nullptr};
  const int i = order == dock::ByteOrder::kBigEndian ? 0 : 1;
  if (servers[i] == nullptr) {
    dock::TelegramServerOptions options;
    options.port = 0;
    options.byte_order = order;
    auto server = dock::TelegramServer::Listen(options);
    if (!server.ok()) fuzz::Fail("telegram server: " + server.status().ToString());
    servers[i] = server.value().release();
  }
  return *servers[i];
}

// What the server must answer to `stream`, frame by frame.
std::string Expected(const std::string& stream, dock::ByteOrder order) {
  std::string answers;
  size_t offset = 0;
  while (offset < stream.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(stream.data() + offset);
    const size_t available = stream.size() - offset;
    if (p[0] != dock::kStx || (available >= 2 && p[1] != dock::kRequestCommand)) {
      return answers + dock::EncodeResponse(0, dock::kErrorExit, order);
    }
    if (available < dock::kTelegramRequestSize) break;
    Result<v1::SortRequest> request = dock::DecodeRequest(
        std::string_view(stream).substr(offset, dock::kTelegramRequestSize), order);
    if (!request.ok()) {
      const uint32_t code =
          order == dock::ByteOrder::kBigEndian
              ? (uint32_t{p[2]} << 24 | uint32_t{p[3]} << 16 | uint32_t{p[4]} << 8 | p[5])
              : (uint32_t{p[5]} << 24 | uint32_t{p[4]} << 16 | uint32_t{p[3]} << 8 | p[2]);
      return answers + dock::EncodeResponse(code, dock::kErrorExit, order);
    }
    for (const std::string& barcode : request->barcodes()) {
      for (char c : barcode) Check(c > 0x20 && c < 0x7f, "a barcode with an unprintable byte");
    }
    answers += dock::EncodeResponse(static_cast<uint32_t>(request->transaction_id()),
                                    ExitFor(*request), order);
    offset += dock::kTelegramRequestSize;
  }
  return answers;
}

// The stream offset by which the server has seen its first bad frame (it answers with an
// error and closes); the stream's size when every frame is good.
size_t RefusedAt(const std::string& stream) {
  for (size_t offset = 0; offset < stream.size(); offset += dock::kTelegramRequestSize) {
    const auto* p = reinterpret_cast<const unsigned char*>(stream.data() + offset);
    const size_t available = stream.size() - offset;
    if (p[0] != dock::kStx) return offset + 1;
    if (available >= 2 && p[1] != dock::kRequestCommand) return offset + 2;
    if (available < dock::kTelegramRequestSize) break;
    if (!dock::DecodeRequest(std::string_view(stream).substr(offset, dock::kTelegramRequestSize),
                             dock::ByteOrder::kBigEndian)
             .ok()) {
      return offset + dock::kTelegramRequestSize;
    }
  }
  return stream.size();
}

// Waits up to `ms` for the server to have something to do.
void WaitForServer(dock::TelegramServer& server, int ms) {
  pollfd ready{server.fd(), POLLIN, 0};
  ::poll(&ready, 1, ms);
}

void ReadAvailable(int fd, std::string* out) {
  char buffer[4096];
  while (true) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n <= 0) return;
    out->append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace

namespace sortline::fuzz {

// Request telegrams as the scanner simulator sends them, in both byte orders: one, three
// in a row, one with several barcodes and invalid statuses, and one cut short. Chunk
// lengths come from the input's end, so each seed's tail picks how it is cut.
void WriteSeeds(const SeedWriter& write) {
  for (dock::ByteOrder order : {dock::ByteOrder::kBigEndian, dock::ByteOrder::kLittleEndian}) {
    const char first = order == dock::ByteOrder::kBigEndian ? '\0' : '\1';
    const std::string suffix = order == dock::ByteOrder::kBigEndian ? "-big" : "-little";
    dock::TelegramRequest request;
    request.product_code = 1001;
    request.source = 3;
    request.weight_g = 2500;
    request.length_mm = 300;
    request.width_mm = 200;
    request.height_mm = 150;
    request.barcodes = {"EA473124829CN"};
    const std::string one = dock::EncodeRequest(request, order);
    write("one" + suffix, first + one + std::string(4, '\x40'));
    std::string three;
    for (uint32_t i = 0; i < 3; ++i) {
      request.product_code = 2000 + i;
      three += dock::EncodeRequest(request, order);
    }
    write("three" + suffix, first + three + std::string(8, '\x17'));
    request.barcodes = {"EA473124829CN", "  ", "EA000000014CN", std::string(150, 'Z')};
    request.weight_status = 1;
    request.size_status = 2;
    write("many-barcodes" + suffix, first + dock::EncodeRequest(request, order));
    write("partial" + suffix, first + one.substr(0, 100));
  }
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const dock::ByteOrder order =
      (data[0] & 1) != 0 ? dock::ByteOrder::kLittleEndian : dock::ByteOrder::kBigEndian;
  FuzzedDataProvider provider(data + 1, size - 1);
  std::vector<std::string> chunks;
  std::string stream;
  while (provider.remaining_bytes() > 0 && stream.size() < 16 * dock::kTelegramRequestSize) {
    const size_t length = provider.ConsumeIntegralInRange<size_t>(1, 2 * 181);
    chunks.push_back(provider.ConsumeBytesAsString(length));
    stream += chunks.back();
  }

  dock::TelegramServer& server = Server(order);
  const dock::TelegramServer::Handler handler = [](const v1::SortRequest& request) {
    return ExitFor(request);
  };
  const std::string expected = Expected(stream, order);
  // Blocking, so that each chunk is sent whole; answers are read with MSG_DONTWAIT.
  const int fd = testing::ConnectLoopback(server.port());
  if (fd < 0) fuzz::Fail("cannot connect to the telegram server");
  for (int i = 0; i < 1000 && server.connections() == 0; ++i) server.Poll(handler);
  std::string answers;
  size_t sent = 0;
  for (const std::string& chunk : chunks) {
    // Nothing is sent past the point where the server refuses the stream and closes.
    if (sent >= RefusedAt(stream) || chunk.empty()) continue;
    if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(chunk.size())) {
      break;
    }
    sent += chunk.size();
    // Loopback delivers in a softirq that may lag under load: the server is polled once
    // the chunk reached it, so that each chunk is a read of its own.
    WaitForServer(server, 1000);
    server.Poll(handler);
    ReadAvailable(fd, &answers);
  }
  // The answers due, and a moment for any that are not.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (answers.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
    WaitForServer(server, 10);
    server.Poll(handler);
    ReadAvailable(fd, &answers);
  }
  for (int i = 0; i < 3; ++i) {
    server.Poll(handler);
    ReadAvailable(fd, &answers);
  }
  ::close(fd);
  const auto closing = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (server.connections() > 0 && std::chrono::steady_clock::now() < closing) {
    WaitForServer(server, 10);
    server.Poll(handler);
  }

  Check(answers == expected, "the server answered " + std::to_string(answers.size()) +
                                 " bytes, decoding frame by frame predicts " +
                                 std::to_string(expected.size()));
  for (size_t at = 0; at + dock::kTelegramResponseSize <= answers.size();
       at += dock::kTelegramResponseSize) {
    Check(dock::DecodeResponse(answers.substr(at, dock::kTelegramResponseSize), order).ok(),
          "an answer is not a response telegram");
  }
  Check(server.connections() == 0, "a closed connection is still held");
  return 0;
}
