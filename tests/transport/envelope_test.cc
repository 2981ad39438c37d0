#include "pipeline/transport/envelope.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/testing/status_matchers.h"

namespace sortline::transport {
namespace {

using ::testing::HasSubstr;

TEST(Envelope, EncodeStampsTheCurrentSchemaVersionAndDecodeTakesIt) {
  v1::SortResponse response;
  response.set_schema_version(7);
  response.set_chute("C-1");
  v1::SortResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(Encode(response)));
  EXPECT_EQ(parsed.schema_version(), 1u);
  Result<v1::SortResponse> decoded = Decode<v1::SortResponse>(Encode(response));
  ASSERT_OK(decoded);
  EXPECT_EQ(decoded->chute(), "C-1");
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
  EXPECT_EQ(decoded.status().message(), "schema version 0 not supported (this build speaks 1)");

  Result<v1::SortRequest> empty = Decode<v1::SortRequest>("");
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST(Envelope, NewerSchemaVersionIsRejected) {
  v1::RecordsMessage message;
  message.set_schema_version(2);
  message.mutable_stored()->set_sequence(1);
  Result<v1::RecordsMessage> decoded = Decode<v1::RecordsMessage>(message.SerializeAsString());
  EXPECT_EQ(decoded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(decoded.status().message(), "schema version 2 not supported (this build speaks 1)");
}

TEST(Envelope, CheckSchemaVersionAcceptsOnlyTheCurrentOne) {
  EXPECT_OK(CheckSchemaVersion(1));
  EXPECT_EQ(CheckSchemaVersion(0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckSchemaVersion(2).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sortline::transport
