#include "pipeline/transport/envelope.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::transport {
namespace {

using ::testing::HasSubstr;

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
  // This build's range is 1 ... 1, so the range of a later release (2 ... 3, after a
  // bump) shows all three refusals.
  const std::string range = "this build accepts versions 2 (oldest supported) to 3 (current)";
  EXPECT_OK(CheckSchemaVersion(2, 2, 3));
  EXPECT_OK(CheckSchemaVersion(3, 2, 3));
  EXPECT_THAT(
      CheckSchemaVersion(0, 2, 3),
      testing::StatusIs(StatusCode::kInvalidArgument,
                        ::testing::Eq("envelope without a schema version (" + range + ")")));
  EXPECT_THAT(
      CheckSchemaVersion(1, 2, 3),
      testing::StatusIs(StatusCode::kInvalidArgument,
                        ::testing::Eq("schema version 1 is older than this build supports (" +
                                      range + "): upgrade the sending daemon")));
  EXPECT_THAT(CheckSchemaVersion(4, 2, 3),
              testing::StatusIs(StatusCode::kInvalidArgument,
                                ::testing::Eq("schema version 4 is newer than this build speaks (" +
                                              range + "): upgrade this daemon")));
  // And this build's own range, both ends named.
  Status refused = CheckSchemaVersion(wire_version::kCurrent + 1);
  EXPECT_THAT(refused.message(),
              HasSubstr(std::to_string(wire_version::kOldestSupported) + " (oldest supported)"));
  EXPECT_THAT(refused.message(), HasSubstr(std::to_string(wire_version::kCurrent) + " (current)"));
}

}  // namespace
}  // namespace sortline::transport
