#include "pipeline/dock/telegram.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/testing/process.h"
#include "tests/testing/status_matchers.h"

namespace sortline::dock {
namespace {

using std::chrono::milliseconds;

TelegramRequest Sample() {
  TelegramRequest request;
  request.product_code = 0x01020304;
  request.source = 7;
  request.weight_g = 1234;
  request.length_mm = 300;
  request.width_mm = 200;
  request.height_mm = 150;
  request.barcodes = {"EA000000014CN", "6901234567892"};
  return request;
}

TEST(TelegramCodec, RequestIs181BytesBigEndianByDefault) {
  std::string frame = EncodeRequest(Sample(), ByteOrder::kBigEndian);
  ASSERT_EQ(frame.size(), kTelegramRequestSize);
  EXPECT_EQ(frame[0], 0x02);
  EXPECT_EQ(frame[1], 0x11);
  EXPECT_EQ(frame.substr(2, 4), std::string("\x01\x02\x03\x04", 4));
  EXPECT_EQ(frame[180], 0x03);
  Result<v1::SortRequest> request = DecodeRequest(frame, ByteOrder::kBigEndian);
  ASSERT_OK(request);
  EXPECT_EQ(request->transaction_id(), 0x01020304u);
  EXPECT_EQ(request->scanner_id(), "plc-7");
  EXPECT_EQ(request->weight_g(), 1234);
  EXPECT_EQ(request->length_mm(), 300);
  EXPECT_EQ(request->height_mm(), 150);
  ASSERT_EQ(request->barcodes_size(), 2);
  EXPECT_EQ(request->barcodes(0), "EA000000014CN");
  EXPECT_EQ(request->barcodes(1), "6901234567892");
}

TEST(TelegramCodec, LittleEndianIsConfigurable) {
  std::string frame = EncodeRequest(Sample(), ByteOrder::kLittleEndian);
  EXPECT_EQ(frame.substr(2, 4), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(DecodeRequest(frame, ByteOrder::kLittleEndian)->transaction_id(), 0x01020304u);
  std::string response = EncodeResponse(258, 51, ByteOrder::kLittleEndian);
  ASSERT_EQ(response.size(), kTelegramResponseSize);
  Result<TelegramResponse> decoded = DecodeResponse(response, ByteOrder::kLittleEndian);
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->product_code, 258u);
  EXPECT_EQ(decoded->exit_number, 51);
}

TEST(TelegramCodec, InvalidWeightAndSizeAreIgnored) {
  TelegramRequest sample = Sample();
  sample.weight_status = 1;
  sample.size_status = 2;
  Result<v1::SortRequest> request =
      DecodeRequest(EncodeRequest(sample, ByteOrder::kBigEndian), ByteOrder::kBigEndian);
  ASSERT_OK(request);
  EXPECT_EQ(request->weight_g(), 0);
  EXPECT_EQ(request->length_mm(), 0);
}

TEST(TelegramCodec, BadFramesAreRefused) {
  std::string good = EncodeRequest(Sample(), ByteOrder::kBigEndian);
  std::string no_stx = good;
  no_stx[0] = 'X';
  std::string no_etx = good;
  no_etx[180] = 0;
  std::string wrong_command = good;
  wrong_command[1] = 0x12;
  for (const std::string& bad : {no_stx, no_etx, wrong_command, good.substr(0, 100)}) {
    EXPECT_EQ(DecodeRequest(bad, ByteOrder::kBigEndian).status().code(),
              StatusCode::kInvalidArgument);
  }
}

TEST(TelegramCodec, BarcodeFieldWithoutSeparatorsIsOneToken) {
  TelegramRequest sample = Sample();
  sample.barcodes = {"EA000000014CNEA000000028CN"};
  Result<v1::SortRequest> request =
      DecodeRequest(EncodeRequest(sample, ByteOrder::kBigEndian), ByteOrder::kBigEndian);
  ASSERT_OK(request);
  ASSERT_EQ(request->barcodes_size(), 1);
  EXPECT_EQ(request->barcodes(0), "EA000000014CNEA000000028CN");
  std::string garbage_field = EncodeRequest(Sample(), ByteOrder::kBigEndian);
  for (size_t i = 20; i < 180; ++i) garbage_field[i] = static_cast<char>(0x80 + i % 64);
  Result<v1::SortRequest> garbage = DecodeRequest(garbage_field, ByteOrder::kBigEndian);
  ASSERT_OK(garbage);
  EXPECT_EQ(garbage->barcodes_size(), 0) << "non-printable bytes are no barcode";
}

// A server polled on its own thread, answering exit 51 for EA000000014CN, 0 otherwise.
class TelegramServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TelegramServerOptions options;
    options.port = 0;
    options.partial_frame_timeout_ms = 300;
    auto server = TelegramServer::Listen(options);
    ASSERT_OK(server);
    server_ = std::move(server).value();
    poller_ = std::thread([this] {
      while (!stop_.load()) {
        pollfd fd{server_->fd(), POLLIN, 0};
        ::poll(&fd, 1, 10);
        server_->Poll([this](const v1::SortRequest& request) -> uint8_t {
          ++handled_;
          return request.barcodes_size() == 1 && request.barcodes(0) == "EA000000014CN" ? 51 : 0;
        });
      }
    });
  }
  void TearDown() override {
    stop_.store(true);
    if (poller_.joinable()) poller_.join();
  }

  int Connect() {
    int fd = sortline::testing::ConnectLoopback(server_->port());
    EXPECT_GE(fd, 0) << "nothing listens on the telegram port";
    return fd;
  }

  // Reads exactly `n` bytes, or fewer when the peer closes or `timeout` passes.
  static std::string ReadBytes(int fd, size_t n, milliseconds timeout = milliseconds(3000)) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n) {
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buffer[512];
      ssize_t got = ::recv(fd, buffer, std::min(sizeof(buffer), n - out.size()), 0);
      if (got <= 0) break;
      out.append(buffer, static_cast<size_t>(got));
    }
    return out;
  }

  // True when the server closed `fd` within `timeout`.
  static bool Closed(int fd, milliseconds timeout = milliseconds(3000)) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char byte;
    return ::recv(fd, &byte, 1, 0) == 0;
  }

  std::string Ask(int fd, const std::string& barcode, uint32_t product) {
    TelegramRequest request = Sample();
    request.product_code = product;
    request.barcodes = {barcode};
    std::string frame = EncodeRequest(request, ByteOrder::kBigEndian);
    EXPECT_EQ(::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(frame.size()));
    return ReadBytes(fd, kTelegramResponseSize);
  }

  std::unique_ptr<TelegramServer> server_;
  std::thread poller_;
  std::atomic<bool> stop_{false};
  std::atomic<int> handled_{0};
};

TEST_F(TelegramServerTest, AnswersEachRequestWithItsExit) {
  int fd = Connect();
  Result<TelegramResponse> first =
      DecodeResponse(Ask(fd, "EA000000014CN", 1), ByteOrder::kBigEndian);
  ASSERT_OK(first);
  EXPECT_EQ(first->product_code, 1u);
  EXPECT_EQ(first->exit_number, 51);
  EXPECT_EQ(DecodeResponse(Ask(fd, "X", 2), ByteOrder::kBigEndian)->exit_number, 0);
  ::close(fd);
}

TEST_F(TelegramServerTest, BadFramesCostOnlyTheirConnection) {
  int good = Connect();
  std::vector<std::string> bad_inputs;
  std::string frame = EncodeRequest(Sample(), ByteOrder::kBigEndian);
  std::string wrong_etx = frame;
  wrong_etx[180] = 'Z';
  bad_inputs.push_back(wrong_etx);
  bad_inputs.push_back(std::string("GET / HTTP/1.0\r\n\r\n"));
  std::string wrong_stx = frame;
  wrong_stx[0] = 0x7f;
  bad_inputs.push_back(wrong_stx);
  for (const std::string& input : bad_inputs) {
    int fd = Connect();
    ASSERT_EQ(::send(fd, input.data(), input.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(input.size()));
    Result<TelegramResponse> error =
        DecodeResponse(ReadBytes(fd, kTelegramResponseSize), ByteOrder::kBigEndian);
    ASSERT_OK(error);
    EXPECT_EQ(error->exit_number, kErrorExit);
    EXPECT_TRUE(Closed(fd)) << "dropped after the error telegram";
    ::close(fd);
  }
  EXPECT_EQ(DecodeResponse(Ask(good, "EA000000014CN", 9), ByteOrder::kBigEndian)->exit_number, 51)
      << "the other connection carries on";
  ::close(good);
}

TEST_F(TelegramServerTest, AShortFrameIsDroppedAfterItsTimeout) {
  int fd = Connect();
  std::string frame = EncodeRequest(Sample(), ByteOrder::kBigEndian);
  ASSERT_EQ(::send(fd, frame.data(), 100, MSG_NOSIGNAL), 100);
  EXPECT_TRUE(Closed(fd, milliseconds(3000)));
  EXPECT_EQ(handled_.load(), 0);
  ::close(fd);
}

TEST_F(TelegramServerTest, ASenderTricklingOneByteAtATimeIsAnswered) {
  int fd = Connect();
  TelegramRequest request = Sample();
  request.barcodes = {"EA000000014CN"};
  std::string frame =
      EncodeRequest(request, ByteOrder::kBigEndian) + EncodeRequest(request, ByteOrder::kBigEndian);
  for (char byte : frame) {
    ASSERT_EQ(::send(fd, &byte, 1, MSG_NOSIGNAL), 1);
    if (&byte - frame.data() < 40) std::this_thread::sleep_for(milliseconds(1));
  }
  std::string answers = ReadBytes(fd, 2 * kTelegramResponseSize);
  ASSERT_EQ(answers.size(), 2 * kTelegramResponseSize);
  EXPECT_EQ(DecodeResponse(answers.substr(8), ByteOrder::kBigEndian)->exit_number, 51);
  ::close(fd);
}

TEST_F(TelegramServerTest, HundredsOfConnectionsAreServed) {
  std::vector<int> fds;
  for (int i = 0; i < 300; ++i) fds.push_back(Connect());
  for (size_t i = 0; i < fds.size(); ++i) {
    TelegramRequest request = Sample();
    request.product_code = static_cast<uint32_t>(i);
    request.barcodes = {"EA000000014CN"};
    std::string frame = EncodeRequest(request, ByteOrder::kBigEndian);
    ASSERT_EQ(::send(fds[i], frame.data(), frame.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(frame.size()));
  }
  ::close(fds[0]);
  for (size_t i = 1; i < fds.size(); ++i) {
    Result<TelegramResponse> response =
        DecodeResponse(ReadBytes(fds[i], kTelegramResponseSize), ByteOrder::kBigEndian);
    ASSERT_OK(response) << "connection " << i;
    EXPECT_EQ(response->product_code, i);
    ::close(fds[i]);
  }
}

}  // namespace
}  // namespace sortline::dock
