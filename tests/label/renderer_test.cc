#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/label/internal/layout.h"
#include "pipeline/label/internal/template.h"
#include "pipeline/label/label.h"
#include "tests/label/pdf_tools.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/testing.h"

namespace sortline::label {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// A field's box on the default 100 x 150 template.
const internal::Box& DefaultBox(internal::Field field) {
  return internal::FindField(*internal::FindTemplate("100x150"), field)->box;
}

// Valid S10 numbers (check digits 9 and 5).
constexpr char kTracking[] = "EA473124829CN";
constexpr char kOtherTracking[] = "EA123456785CN";

v1::SortRecord Record(const std::string& tracking, const std::string& division) {
  v1::SortRecord record;
  record.set_order_id("T0001");
  record.set_tracking_number(tracking);
  record.set_sort_code("710-05-12");
  record.set_chute("C-017");
  record.set_dock_door("D03");
  record.set_division_code(division);
  record.set_outcome(v1::OUTCOME_SORTED);
  return record;
}

std::unique_ptr<LabelRenderer> NewRenderer(bool compress = true) {
  auto renderer = LabelRenderer::Create({.compress = compress});
  EXPECT_OK(renderer);
  return std::move(renderer).value();
}

std::string RenderOk(LabelRenderer& renderer, const v1::Order& order,
                     const v1::SortRecord& record) {
  auto pdf = renderer.Render(order, record);
  EXPECT_OK(pdf);
  return pdf.ok() ? *pdf : std::string();
}

std::vector<std::string> ExpectedSymbols(const std::string& tracking, const std::string& sort_code,
                                         const std::string& division) {
  return {"CODE-128:" + tracking,
          "QR-Code:S10:" + tracking + "|SC:" + sort_code + "|DC:" + division};
}

TEST(LabelRenderer, Code128AndQrDecodeWithZbarimg) {
  auto renderer = NewRenderer();
  const std::string pdf = RenderOk(*renderer, testing::SampleOrder(), Record(kTracking, "610502"));
  ASSERT_EQ(pdf.rfind("%PDF-", 0), 0u);
  EXPECT_EQ(tools::DecodeSymbols(pdf), ExpectedSymbols(kTracking, "710-05-12", "610502"));
}

TEST(LabelRenderer, UncompressedLabelDecodesToo) {
  auto renderer = NewRenderer(/*compress=*/false);
  const std::string pdf = RenderOk(*renderer, testing::SampleOrder(), Record(kTracking, "610502"));
  EXPECT_THAT(pdf, HasSubstr(" re\n"));  // content stream in the clear
  EXPECT_EQ(tools::DecodeSymbols(pdf), ExpectedSymbols(kTracking, "710-05-12", "610502"));
}

TEST(LabelRenderer, TextExtractsWithPdftotext) {
  auto renderer = NewRenderer();
  const std::string pdf = RenderOk(*renderer, testing::SampleOrder(), Record(kTracking, "610502"));
  const auto text = tools::ExtractText(pdf);
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.output, HasSubstr("王秀英"));
  EXPECT_THAT(text.output, HasSubstr("陕西省渭南市临渭区"));
  EXPECT_THAT(text.output, HasSubstr("138****5678"));
  EXPECT_THAT(text.output, Not(HasSubstr("13812345678")));
  EXPECT_THAT(text.output, HasSubstr("李建国"));
  EXPECT_THAT(text.output, HasSubstr("139****2345"));
  EXPECT_THAT(text.output, HasSubstr("广西壮族自治区贵港市港北区"));
  EXPECT_THAT(text.output, HasSubstr("710-05-12"));
  EXPECT_THAT(text.output, HasSubstr(kTracking));
  EXPECT_THAT(text.output, HasSubstr("C-017"));
  EXPECT_THAT(text.output, HasSubstr("D03"));
  EXPECT_THAT(text.output, HasSubstr("2.50 kg"));
  EXPECT_THAT(text.output, HasSubstr("沙田柚"));
  EXPECT_THAT(text.output, HasSubstr("T0001"));
  EXPECT_THAT(text.output, HasSubstr("2024-09-19 08:00"));
  EXPECT_THAT(text.output, HasSubstr("生鲜 易腐"));
}

struct Destination {
  std::string division;
  std::string province, city, district, street, detail, name;
};

TEST(LabelRenderer, LabelsToRealDivisionsDecodeAndExtract) {
  const std::vector<Destination> destinations = {
      {"110101", "北京市", "市辖区", "东城区", "东华门街道", "南池子大街5号", "张伟"},
      {"450802", "广西壮族自治区", "贵港市", "港北区", "贵城街道", "中山路18号", "覃丽萍"},
  };
  auto renderer = NewRenderer();
  for (const Destination& d : destinations) {
    SCOPED_TRACE(d.division);
    v1::Order order = testing::SampleOrder("T0002");
    v1::Address* to = order.mutable_recipient();
    to->set_division_code(d.division);
    to->set_province(d.province);
    to->set_city(d.city);
    to->set_district(d.district);
    to->set_street(d.street);
    to->set_detail(d.detail);
    to->set_name(d.name);
    order.set_service(v1::SERVICE_STANDARD);
    order.mutable_parcel()->set_perishable(false);
    v1::SortRecord record = Record(kOtherTracking, d.division);
    record.set_sort_code("100-21-03");
    const std::string pdf = RenderOk(*renderer, order, record);
    EXPECT_EQ(tools::DecodeSymbols(pdf), ExpectedSymbols(kOtherTracking, "100-21-03", d.division));
    const auto text = tools::ExtractText(pdf);
    ASSERT_EQ(text.exit_code, 0);
    EXPECT_THAT(text.output, HasSubstr(d.name));
    EXPECT_THAT(text.output, HasSubstr(d.province + d.city + d.district));
    EXPECT_THAT(text.output, Not(HasSubstr("易腐")));
  }
}

// libharu's embedded TrueType path loses the strokes of composite glyphs; the CID
// font must not. Each composite character must leave clearly more ink than the
// one-stroke 一 in the same box.
TEST(LabelRenderer, ComposedHanziRenderWithFullInk) {
  auto renderer = NewRenderer();
  auto ink_of_name = [&](const std::string& name) {
    v1::Order order = testing::SampleOrder();
    order.mutable_recipient()->set_name(name);
    return tools::InkInBox(RenderOk(*renderer, order, Record(kTracking, "610502")),
                           DefaultBox(internal::Field::kRecipientName));
  };
  EXPECT_EQ(ink_of_name(""), 0);
  const long one_stroke = ink_of_name("一");
  ASSERT_GT(one_stroke, 0);
  for (const char* hanzi : {"陕", "渭", "临", "街", "道", "南", "区"}) {
    SCOPED_TRACE(hanzi);
    EXPECT_GT(ink_of_name(hanzi), 3 * one_stroke);
  }
  EXPECT_GT(ink_of_name("陕西渭南临渭区街道"), 20 * one_stroke);
}

TEST(LabelRenderer, SameInputGivesSameBytes) {
  auto first = NewRenderer();
  auto second = NewRenderer();
  const v1::Order order = testing::SampleOrder();
  const v1::SortRecord record = Record(kTracking, "610502");
  const std::string a = RenderOk(*first, order, record);
  v1::Order other = testing::SampleOrder("T0099");
  other.mutable_recipient()->set_name("欧阳娜娜");
  const std::string unrelated = RenderOk(*first, other, Record(kOtherTracking, "110101"));
  const std::string b = RenderOk(*first, order, record);
  const std::string c = RenderOk(*second, order, record);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, c);
  EXPECT_NE(a, unrelated);
  EXPECT_THAT(a, Not(HasSubstr("CreationDate")));
  EXPECT_THAT(a, Not(HasSubstr("/ID")));
}

// One renderer per thread is the contract; libharu, zint and iconv must not share
// hidden state between them.
TEST(LabelRenderer, RenderersOnSeparateThreadsAgree) {
  const v1::Order order = testing::SampleOrder();
  const v1::SortRecord record = Record(kTracking, "610502");
  const std::string expected = RenderOk(*NewRenderer(), order, record);
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      auto renderer = LabelRenderer::Create({});
      if (!renderer.ok()) return;
      for (int i = 0; i < 50; ++i) {
        auto pdf = (*renderer)->Render(order, record);
        if (!pdf.ok() || *pdf != expected) return;
      }
      results[t] = expected;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const std::string& result : results) EXPECT_EQ(result, expected);
}

TEST(LabelRenderer, HostileTextStillGivesAValidLabel) {
  v1::Order order = testing::SampleOrder();
  std::string long_detail;
  for (int i = 0; i < 10'000; ++i) long_detail += (i % 7 == 0) ? "A" : "街";
  order.mutable_recipient()->set_detail(long_detail);
  order.mutable_recipient()->set_name("王\u202E英秀\u200D\u200B😀");
  order.mutable_sender()->set_name(std::string("李\0建国", 10) + ") Tj ET (");
  order.mutable_parcel()->set_contents("沙田柚\\) 5斤 \x01\x7F\xC3\x28 ]>> endobj");
  order.set_merchant("\u2066店\u2069\uFEFF");
  auto renderer = NewRenderer();
  const std::string pdf = RenderOk(*renderer, order, Record(kTracking, "610502"));
  EXPECT_EQ(tools::DecodeSymbols(pdf), ExpectedSymbols(kTracking, "710-05-12", "610502"));
  const auto text = tools::ExtractText(pdf);
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.output, HasSubstr("王英秀?"));  // controls gone, emoji replaced
  EXPECT_THAT(text.output, Not(HasSubstr("\u202E")));
  EXPECT_THAT(text.output, Not(HasSubstr("\u200D")));
  EXPECT_THAT(text.output, HasSubstr(") Tj ET ("));  // drawn as text, not run as syntax
  EXPECT_THAT(text.output, HasSubstr("]>> endobj"));
  EXPECT_THAT(text.output, HasSubstr("..."));  // the address was cut
  EXPECT_LT(text.output.size(), 8'000u);
}

// A name and an address far too long for their boxes are shrunk, then cut: nothing
// reaches the gap between the name and phone boxes or the strip under the address.
TEST(LabelRenderer, TextThatDoesNotFitStaysInItsBox) {
  v1::Order order = testing::SampleOrder();
  order.mutable_recipient()->set_name(std::string(300, 'W'));
  std::string address;
  for (int i = 0; i < 500; ++i) address += "陕";
  order.mutable_recipient()->set_detail(address);
  auto renderer = NewRenderer();
  const std::string pdf = RenderOk(*renderer, order, Record(kTracking, "610502"));
  const internal::Box& name = DefaultBox(internal::Field::kRecipientName);
  const internal::Box& address_box = DefaultBox(internal::Field::kRecipientAddress);
  EXPECT_GT(tools::InkInBox(pdf, name), 0);
  EXPECT_GT(tools::InkInBox(pdf, address_box), 0);
  const internal::Box name_gap{
      name.x + name.w + 0.15, name.y,
      DefaultBox(internal::Field::kRecipientPhone).x - name.x - name.w - 0.3, name.h};
  EXPECT_EQ(tools::InkInBox(pdf, name_gap, 300), 0);
  const internal::Box under_address{address_box.x, address_box.y + address_box.h + 0.1,
                                    address_box.w, 0.6};
  EXPECT_EQ(tools::InkInBox(pdf, under_address, 300), 0);
  const auto text = tools::ExtractText(pdf);
  EXPECT_THAT(text.output, HasSubstr("WWW..."));
}

TEST(LabelRenderer, PerishableMarkFollowsParcelAndService) {
  auto renderer = NewRenderer();
  const v1::SortRecord record = Record(kTracking, "610502");
  auto text_of = [&](const v1::Order& order) {
    return tools::ExtractText(RenderOk(*renderer, order, record)).output;
  };
  v1::Order fresh = testing::SampleOrder();
  EXPECT_THAT(text_of(fresh), HasSubstr("生鲜 易腐"));
  v1::Order cold = testing::SampleOrder();
  cold.set_service(v1::SERVICE_COLD_CHAIN);
  cold.mutable_parcel()->set_perishable(false);
  EXPECT_THAT(text_of(cold), HasSubstr("冷链 易腐"));
  v1::Order standard = testing::SampleOrder();
  standard.set_service(v1::SERVICE_STANDARD);
  standard.mutable_parcel()->set_perishable(false);
  EXPECT_THAT(text_of(standard), Not(HasSubstr("易腐")));
  v1::Order marked = standard;
  marked.mutable_parcel()->set_perishable(true);
  EXPECT_THAT(text_of(marked), HasSubstr("生鲜 易腐"));
}

TEST(LabelRenderer, RefusesTrackingNumbersCode128CannotCarry) {
  auto renderer = NewRenderer();
  const v1::Order order = testing::SampleOrder();
  for (const std::string& bad :
       std::vector<std::string>{"", "EA 473124829CN", "EA473124829CÑ", std::string(41, 'A')}) {
    SCOPED_TRACE(bad);
    auto pdf = renderer->Render(order, Record(bad, "610502"));
    ASSERT_FALSE(pdf.ok());
    EXPECT_EQ(pdf.status().code(), StatusCode::kInvalidArgument);
  }
  // The renderer is still usable after a refusal.
  EXPECT_EQ(tools::DecodeSymbols(RenderOk(*renderer, order, Record(kTracking, "610502"))),
            ExpectedSymbols(kTracking, "710-05-12", "610502"));
}

TEST(LabelRenderer, FallsBackToTheOrdersTrackingNumberAndDivision) {
  v1::Order order = testing::SampleOrder();
  order.set_tracking_number(kOtherTracking);
  v1::SortRecord record = Record("", "");
  auto renderer = NewRenderer();
  EXPECT_EQ(tools::DecodeSymbols(RenderOk(*renderer, order, record)),
            ExpectedSymbols(kOtherTracking, "710-05-12", "610502"));
}

}  // namespace
}  // namespace sortline::label
