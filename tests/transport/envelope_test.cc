#include "pipeline/transport/envelope.h"

#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include "tests/testing/testing.h"

namespace sortline::transport {
namespace {

using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

// Encodes `message`, decodes it back and checks nothing was lost.
template <typename Envelope>
void ExpectRoundTrip(const Envelope& message) {
  std::string payload = Encode(message);
  Result<Envelope> decoded = Decode<Envelope>(payload);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Envelope expected = message;
  expected.set_schema_version(v1::SCHEMA_VERSION_CURRENT);
  EXPECT_TRUE(MessageDifferencer::Equals(*decoded, expected))
      << "decoded:\n"
      << decoded->DebugString() << "expected:\n"
      << expected.DebugString();
}

v1::SortRecord SampleRecord(const std::string& order_id) {
  v1::SortRecord record;
  record.set_order_id(order_id);
  record.set_tracking_number("EA123456785CN");
  record.set_chute("C-17");
  record.set_sort_code("710-05-12");
  record.set_dock_door("D3");
  record.set_route("西安-渭南-临渭");
  record.mutable_label()->set_path("labels/" + order_id + ".pdf");
  record.mutable_label()->set_content_hash("0123456789abcdef");
  record.mutable_label()->set_bytes(48213);
  record.set_plan_version("fedcba9876543210");
  record.set_outcome(v1::OUTCOME_SORTED);
  record.set_division_code("610502");
  record.set_weight_g(2500);
  return record;
}

TEST(Envelope, SubmitRequestRoundTrips) {
  v1::SubmitRequest request;
  v1::OrderBatch* batch = request.mutable_batch();
  batch->set_batch_id("919-festival-0001");
  batch->set_source("桂港助农旗舰店.csv");
  *batch->add_orders() = testing::SampleOrder("T0001");
  *batch->add_orders() = testing::SampleOrder("T0002");
  ExpectRoundTrip(request);

  v1::SubmitRequest progress;
  progress.set_progress_batch_id("919-festival-0001");
  ExpectRoundTrip(progress);
}

TEST(Envelope, WorkMessageRoundTrips) {
  v1::WorkMessage message;
  v1::WorkBatch* work = message.mutable_work();
  work->set_lease_id(42);
  work->set_lease_expires_unix_ms(1'726'704'060'000);
  for (int i = 0; i < 3; ++i) {
    v1::Order* order = work->add_orders();
    *order = testing::SampleOrder("T000" + std::to_string(i));
    order->set_tracking_number("EA12345678" + std::to_string(i) + "CN");
  }
  ExpectRoundTrip(message);

  v1::WorkMessage ready;
  ready.mutable_ready()->set_credit(64);
  ExpectRoundTrip(ready);
}

TEST(Envelope, RecordsMessageRoundTrips) {
  v1::RecordsMessage message;
  message.mutable_batch()->set_sequence(7);
  *message.mutable_batch()->add_records() = SampleRecord("T0001");
  *message.mutable_batch()->add_records() = SampleRecord("T0002");
  ExpectRoundTrip(message);

  v1::RecordsMessage stored;
  stored.mutable_stored()->set_sequence(7);
  stored.mutable_stored()->set_stored(2);
  ExpectRoundTrip(stored);
}

TEST(Envelope, SortRequestAndResponseRoundTrip) {
  v1::SortRequest request;
  request.set_scanner_id("scanner-03");
  request.set_transaction_id(900'001);
  request.add_barcodes("EA123456785CN");
  request.set_weight_g(2480);
  request.set_length_mm(301);
  request.set_width_mm(199);
  request.set_height_mm(152);
  ExpectRoundTrip(request);

  v1::SortResponse response;
  response.set_transaction_id(900'001);
  response.set_chute("C-17");
  response.set_outcome(v1::DECISION_OVERFLOW);
  response.set_tracking_number("EA123456785CN");
  response.set_reason("chute C-12 full");
  ExpectRoundTrip(response);
}

TEST(Envelope, EncodeStampsTheWrittenSchemaVersion) {
  v1::SortResponse response;
  response.set_schema_version(7);
  response.set_chute("C-1");
  v1::SortResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(Encode(response)));
  EXPECT_EQ(parsed.schema_version(), wire_version::kWritten);
  EXPECT_EQ(parsed.chute(), "C-1");
}

TEST(Envelope, GarbagePayloadIsInvalidArgument) {
  Result<v1::WorkMessage> decoded = Decode<v1::WorkMessage>(std::string(12, '\xff'));
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr("malformed WorkMessage"));
}

TEST(Envelope, TruncatedPayloadIsInvalidArgument) {
  v1::SortRequest request;
  request.set_scanner_id("scanner-03");
  request.add_barcodes("EA123456785CN");
  std::string payload = Encode(request);
  payload.pop_back();
  Result<v1::SortRequest> decoded = Decode<v1::SortRequest>(payload);
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
}

TEST(Envelope, MissingSchemaVersionIsRejected) {
  v1::SortRequest request;
  request.add_barcodes("EA123456785CN");
  Result<v1::SortRequest> decoded = Decode<v1::SortRequest>(request.SerializeAsString());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(),
            "envelope without a schema version (this build accepts versions 1 (oldest "
            "supported) to 1 (current))");

  Result<v1::SortRequest> empty = Decode<v1::SortRequest>("");
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST(Envelope, NewerSchemaVersionIsRejectedNamingTheAcceptedRange) {
  v1::RecordsMessage message;
  message.set_schema_version(wire_version::kCurrent + 1);
  message.mutable_stored()->set_sequence(1);
  Result<v1::RecordsMessage> decoded = Decode<v1::RecordsMessage>(message.SerializeAsString());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(),
            "schema version 2 is newer than this build speaks (this build accepts versions 1 "
            "(oldest supported) to 1 (current)): upgrade this daemon");
}

TEST(Envelope, EveryVersionFromTheOldestSupportedToTheCurrentIsAcceptedIssue15) {
  for (uint32_t version = wire_version::kOldestSupported; version <= wire_version::kCurrent;
       ++version) {
    v1::WorkMessage message;
    message.set_schema_version(version);
    message.mutable_ready()->set_credit(3);
    Result<v1::WorkMessage> decoded = Decode<v1::WorkMessage>(message.SerializeAsString());
    ASSERT_TRUE(decoded.ok()) << "version " << version << ": " << decoded.status();
    EXPECT_EQ(decoded->ready().credit(), 3u);
  }
}

TEST(Envelope, VersionsOutsideTheRangeAreRefusedNamingBothEndsIssue15) {
  const std::string oldest = std::to_string(wire_version::kOldestSupported);
  const std::string current = std::to_string(wire_version::kCurrent);
  for (uint32_t version : {wire_version::kOldestSupported - 1, wire_version::kCurrent + 1}) {
    Status refused = CheckSchemaVersion(version);
    EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument) << version;
    EXPECT_THAT(refused.message(), HasSubstr(oldest + " (oldest supported)")) << refused;
    EXPECT_THAT(refused.message(), HasSubstr(current + " (current)")) << refused;
  }
}

}  // namespace
}  // namespace sortline::transport
