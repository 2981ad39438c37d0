// The submit client's account of every line (issue 13, and issue 12's progress line),
// against the real services in this process, and protobuf's log routed to ours.
#include "pipeline/runtime/submit.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/base/text.h"
#include "pipeline/model/orders.h"
#include "pipeline/runtime/embedded.h"
#include "pipeline/runtime/intake.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/runtime/protobuf_log.h"
#include "pipeline/transport/envelope.h"
#include "tests/runtime/runtime_fixture.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::runtime {
namespace {

using namespace std::string_literals;

// The division table and the shipped plan come from RuntimeFixture.
class SubmitTest : public RuntimeFixture {
 protected:
  // Runs `lines` (one order JSON each, "" for a blank line) in batches of `batch_size`,
  // drawing plain progress lines into progress_text_.
  v1::RunSummary Run(const std::vector<std::string>& lines, uint32_t batch_size,
                     EmbeddedOptions options = {}) {
    const std::string path = dir_.file("orders.jsonl");
    {
      std::ofstream out(path, std::ios::binary);
      for (const std::string& line : lines) out << line << '\n';
    }
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    ProgressOptions progress_options;
    progress_options.out = out;
    progress_options.interval = std::chrono::milliseconds(0);  // every update is a line
    Progress progress(progress_options);
    options.workers = 1;
    options.batch_size = batch_size;
    Result<v1::RunSummary> summary = RunOrders(path, options, &progress);
    std::fclose(out);
    progress_text_.assign(buffer, size);
    std::free(buffer);
    EXPECT_OK(summary);
    return summary.ok() ? *summary : v1::RunSummary();
  }

  static std::string Order(const std::string& id, int weight_g = 2500) {
    v1::Order order = testing::SampleOrder(id);
    order.mutable_parcel()->set_weight_g(weight_g);
    return model::OrderToJson(order);
  }

  std::string progress_text_;
};

TEST_F(SubmitTest, RepeatedOrderIdsFailOnceEachWithinAndAcrossBatchesIssue13) {
  // Batches of two: [A A] [B A] [C A] [A A]; A is the order of line 1, every later A
  // is a duplicate of it, whichever batch it is in.
  const std::vector<std::string> lines = {Order("A"), Order("A", 3000), Order("B"), Order("A"),
                                          Order("C"), Order("A", 4000), Order("A"), Order("A")};
  v1::RunSummary summary = Run(lines, 2);
  EXPECT_EQ(summary.lines(), 8u);
  EXPECT_EQ(summary.ok(), 3u);
  ASSERT_EQ(summary.failures_size(), 5) << summary.DebugString();
  const uint64_t expected_lines[] = {2, 4, 6, 7, 8};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(summary.failures(i).line(), expected_lines[i]);
    EXPECT_EQ(summary.failures(i).order_id(), "A");
    EXPECT_EQ(summary.failures(i).reason(), "duplicate order id \"A\"");
  }
  EXPECT_EQ(summary.failed_by_reason().at("duplicate order id"), 5u);
}

TEST_F(SubmitTest, ProgressTotalIsTheWholeFileFromTheFirstLineAndNeverPassedIssue12) {
  std::vector<std::string> lines;
  for (int i = 0; i < 40; ++i) lines.push_back(Order("P" + std::to_string(i)));
  lines.insert(lines.begin() + 10, "");  // blank lines are not orders
  lines.insert(lines.begin() + 20, "   \r");
  lines.push_back(Order("P3"));  // repeats
  lines.push_back(Order("P3"));
  lines.push_back("{broken");
  v1::RunSummary summary = Run(lines, 4);
  EXPECT_EQ(summary.lines(), 43u);
  std::regex counted(R"((\d+)/(\d+) orders)");
  int drawn = 0;
  uint64_t last = 0;
  for (auto it = std::sregex_iterator(progress_text_.begin(), progress_text_.end(), counted);
       it != std::sregex_iterator(); ++it) {
    ++drawn;
    EXPECT_EQ((*it)[2].str(), "43") << it->str();
    last = std::stoull((*it)[1].str());
    EXPECT_LE(last, 43u) << it->str();
  }
  EXPECT_GE(drawn, 2) << progress_text_;
  EXPECT_EQ(last, 43u) << progress_text_;
}

TEST_F(SubmitTest, LinesOverTheLimitFailByTheirLengthIssue13) {
  std::vector<std::string> lines = {Order("S1")};
  v1::Order big = testing::SampleOrder("BIG");
  big.mutable_recipient()->set_detail(std::string(70'000, 'D'));
  lines.push_back(model::OrderToJson(big));
  lines.push_back(Order("S2"));
  v1::RunSummary summary = Run(lines, 100);
  EXPECT_EQ(summary.ok(), 2u);
  ASSERT_EQ(summary.failures_size(), 1);
  EXPECT_EQ(summary.failures(0).line(), 2u);
  EXPECT_EQ(summary.failures(0).order_id(), "");
  EXPECT_EQ(summary.failures(0).reason().rfind("line too long: 70", 0), 0u)
      << summary.failures(0).reason();
}

TEST_F(SubmitTest, BatchesOfLongLinesStayUnderTheChannelsMessageLimitIssue13) {
  // 1,100 lines of 62 KB: one batch of them all would pass the channel's 64 MiB limit,
  // be dropped, and the run would hang on resends; split by size, each order gets its
  // answer (a text field past the plausibility limit).
  v1::Order order = testing::SampleOrder("W");
  order.mutable_parcel()->set_contents(std::string(62'000, 'c'));
  std::vector<std::string> lines;
  for (int i = 0; i < 1'100; ++i) {
    order.set_order_id("W" + std::to_string(i));
    lines.push_back(model::OrderToJson(order));
  }
  v1::RunSummary summary = Run(lines, 2'000);
  EXPECT_EQ(summary.lines(), 1'100u);
  EXPECT_EQ(summary.failed(), 1'100u);
  EXPECT_EQ(summary.failed_by_reason().at("implausible parcel.contents"), 1'100u);
}

TEST_F(SubmitTest, LimitsComeFromTheOptionsIssue13) {
  EmbeddedOptions options;
  options.order_limits.max_weight_g = 3000;
  v1::RunSummary summary = Run({Order("L1", 2999), Order("L2", 3001)}, 10, options);
  EXPECT_EQ(summary.ok(), 1u);
  ASSERT_EQ(summary.failures_size(), 1);
  EXPECT_EQ(summary.failures(0).reason(),
            "implausible parcel.weight_g: 3001 g is over the limit of 3000 g");
}

TEST_F(SubmitTest, IntakeAnswersHostileSubmitMessagesAndKeepsServingIssue13) {
  std::unique_ptr<Intake> intake = OpenIntake("inproc://hostile-submit", "inproc://hostile-work");
  ASSERT_NE(intake, nullptr);
  ServiceThread running(*intake);
  auto client = transport::ClientChannel::Connect(*context_, "inproc://hostile-submit").value();
  // Not protobuf, an order id that is not UTF-8, nothing asked, no batch id.
  EXPECT_NE(AskIntake(*client, "\xff\xff\xff garbage").error().find("malformed SubmitRequest"),
            std::string::npos);
  v1::SubmitRequest request;
  request.mutable_batch()->set_batch_id("H1");
  *request.mutable_batch()->add_orders() = testing::SampleOrder("ok");
  std::string not_utf8 = transport::Encode(request);
  not_utf8.replace(not_utf8.find("ok"), 2, "\xC0\xAF");
  EXPECT_NE(AskIntake(*client, not_utf8).error().find("malformed SubmitRequest"),
            std::string::npos);
  EXPECT_EQ(AskIntake(*client, v1::SubmitRequest()).error(), "empty submit request");
  v1::SubmitRequest no_id = request;
  no_id.mutable_batch()->clear_batch_id();
  EXPECT_EQ(AskIntake(*client, no_id).error(), "batch id is empty");
  // Impossible, hostile and good orders in one batch: each answered by its index.
  v1::Order heavy = testing::SampleOrder("HEAVY");
  heavy.mutable_parcel()->set_weight_g(2'147'483'647);
  *request.mutable_batch()->add_orders() = heavy;
  *request.mutable_batch()->add_orders() = testing::SampleOrder(std::string("NUL\0", 4));
  v1::SubmitReply reply = AskIntake(*client, request);
  EXPECT_TRUE(reply.error().empty()) << reply.error();
  EXPECT_EQ(reply.accepted(), 1u);
  ASSERT_EQ(reply.rejected_size(), 2);
  EXPECT_EQ(reply.rejected(0).index(), 1u);
  EXPECT_EQ(reply.rejected(0).reason(),
            "implausible parcel.weight_g: 2147483647 g is over the limit of 1000000 g");
  EXPECT_EQ(reply.rejected(1).index(), 2u);
  EXPECT_NE(reply.rejected(1).reason().find("\"NUL\\0\""), std::string::npos)
      << reply.rejected(1).reason();
}

TEST(FormatSummary, EchoesWhatCameFromOutsideIssue13) {
  v1::RunSummary summary;
  summary.set_source("orders\x1b[2J.jsonl");
  summary.set_lines(3);
  summary.set_failed(3);
  v1::OrderFailure* f = summary.add_failures();
  f->set_line(1);
  f->set_order_id("NUL\0ID"s);
  f->set_reason("bad\nreason \xFF");
  f = summary.add_failures();
  f->set_line(2);
  f->set_order_id(std::string(10'000, 'X'));
  f->set_reason("after the NUL");
  (*summary.mutable_failed_by_reason())["kind\x07"] = 2;
  const std::string text = FormatSummary(summary);
  EXPECT_EQ(text.find('\0'), std::string::npos);
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_EQ(text.find('\x07'), std::string::npos);
  EXPECT_TRUE(IsValidUtf8(text));
  EXPECT_NE(text.find("line 1: order NUL\\0ID: bad\\nreason \uFFFD\n"), std::string::npos) << text;
  EXPECT_NE(text.find("line 2: order " + std::string(64, 'X') + "…[10000 bytes]: after the NUL"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("orders\\x1b[2J.jsonl"), std::string::npos) << text;
}

TEST(ProtobufLog, InvalidUtf8FromAPeerIsLoggedThroughOurLoggerRateLimitedIssue13) {
  std::vector<std::string> logged;
  RouteProtobufLogs(
      [&logged](LogLevel level, std::string_view component, std::string_view message) {
        logged.push_back(std::string(LogLevelName(level)) + " " + std::string(component) + ": " +
                         std::string(message));
      },
      RateLimit{3, std::chrono::hours(1)});
  // A peer's SubmitRequest whose order id is not UTF-8: protobuf refuses it and logs.
  v1::SubmitRequest request;
  request.mutable_batch()->set_batch_id("b");
  request.mutable_batch()->add_orders()->set_order_id("ok");
  std::string payload = transport::Encode(request);
  payload.replace(payload.find("ok"), 2, "\xC0\xAF");
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(transport::Decode<v1::SubmitRequest>(payload).ok());
  }
  RouteProtobufLogs([](LogLevel, std::string_view, std::string_view) {});
  ASSERT_EQ(logged.size(), 3u) << "a flood is cut to the burst";
  EXPECT_EQ(logged[0].rfind("error protobuf: ", 0), 0u) << logged[0];
  EXPECT_NE(logged[0].find("invalid UTF-8"), std::string::npos) << logged[0];
  for (const std::string& line : logged) EXPECT_TRUE(IsValidUtf8(line));
}

}  // namespace
}  // namespace sortline::runtime
