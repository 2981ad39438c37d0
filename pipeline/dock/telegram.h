// The binary TCP telegram protocol of cross-belt sorter PLCs that do not speak ZeroMQ,
// and a non-blocking server for it.
//
// Request 0x11, 181 bytes:
//   0 STX 0x02 | 1 command 0x11 | 2 product code int32 | 6 source u8 | 7 reserve u8 |
//   8 weight int32 (g) | 12 weight status u8 (0 = valid) | 13 length int16 | 15 width
//   int16 | 17 height int16 (each in mm/10, i.e. cm) | 19 size status u8 (0 = valid) |
//   20 barcodes, 160 bytes, TAB-separated, padded with NUL or spaces | 180 ETX 0x03
// Response 0x12, 8 bytes:
//   0 STX | 1 command 0x12 | 2 product code int32 | 6 exit number u8 | 7 ETX
// Multi-byte fields in the configured byte order (big-endian by default). An exit number
// of 0 means recirculation; kErrorExit answers a frame that could not be read.
//
// Thread-safety: the codec functions are pure. A TelegramServer is not thread-safe: one
// thread polls it.
#ifndef PIPELINE_DOCK_TELEGRAM_H_
#define PIPELINE_DOCK_TELEGRAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/base/result.h"
#include "proto/wire.pb.h"

namespace sortline::dock {

enum class ByteOrder { kBigEndian, kLittleEndian };

inline constexpr size_t kTelegramRequestSize = 181;
inline constexpr size_t kTelegramResponseSize = 8;
inline constexpr size_t kTelegramBarcodeField = 160;
inline constexpr uint8_t kStx = 0x02;
inline constexpr uint8_t kEtx = 0x03;
inline constexpr uint8_t kRequestCommand = 0x11;
inline constexpr uint8_t kResponseCommand = 0x12;
inline constexpr uint8_t kErrorExit = 0xFF;

// What the simulator and the tests put into a request telegram.
struct TelegramRequest {
  uint32_t product_code = 0;
  uint8_t source = 0;
  int32_t weight_g = 0;
  uint8_t weight_status = 0;
  int32_t length_mm = 0;  // sent in mm/10
  int32_t width_mm = 0;
  int32_t height_mm = 0;
  uint8_t size_status = 0;
  std::vector<std::string> barcodes;  // joined with TAB; cut at 160 bytes
};

std::string EncodeRequest(const TelegramRequest& request, ByteOrder order);

// Decodes one whole request frame into a SortRequest: transaction id = product code,
// scanner id = "plc-<source>", weight and sizes only when their status says valid,
// barcodes = the TAB-separated tokens of printable ASCII (padding and empty tokens
// dropped). kInvalidArgument on a wrong size, STX, command or ETX.
Result<v1::SortRequest> DecodeRequest(std::string_view frame, ByteOrder order);

std::string EncodeResponse(uint32_t product_code, uint8_t exit_number, ByteOrder order);

struct TelegramResponse {
  uint32_t product_code = 0;
  uint8_t exit_number = 0;
};
// kInvalidArgument on a wrong size, STX, command or ETX.
Result<TelegramResponse> DecodeResponse(std::string_view frame, ByteOrder order);

struct TelegramServerOptions {
  std::string host = "127.0.0.1";
  int port = 5563;  // 0: the OS picks a free port (see port())
  ByteOrder byte_order = ByteOrder::kBigEndian;
  size_t max_connections = 1024;  // further connections are closed at once
  // A connection holding part of a frame for this long is dropped.
  int partial_frame_timeout_ms = 5000;
  size_t max_pending_output = 64 << 10;  // a peer that does not read its answers is dropped
};

struct TelegramCounters {
  uint64_t accepted = 0;  // connections
  uint64_t requests = 0;  // frames answered
  uint64_t errors = 0;    // bad frames (answered with kErrorExit, then dropped)
  uint64_t dropped = 0;   // connections dropped for cause (bad frame, timeout, overload)
};

class TelegramServer {
 public:
  // Returns the exit number for a decoded request.
  using Handler = std::function<uint8_t(const v1::SortRequest&)>;

  // kIoError when the address cannot be bound; kInvalidArgument for a bad host.
  static Result<std::unique_ptr<TelegramServer>> Listen(const TelegramServerOptions& options);
  virtual ~TelegramServer() = default;

  virtual int port() const = 0;
  // A descriptor that polls readable when Poll has work (for zmq_poll or poll()).
  virtual int fd() const = 0;
  // Accepts, reads, answers and drops without blocking; `handler` is called for each
  // whole, valid request. A bad frame costs only its own connection.
  virtual void Poll(const Handler& handler) = 0;
  virtual size_t connections() const = 0;
  virtual TelegramCounters counters() const = 0;
};

}  // namespace sortline::dock

#endif  // PIPELINE_DOCK_TELEGRAM_H_
