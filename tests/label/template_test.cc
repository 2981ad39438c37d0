// The acceptance of issue 4, for every template and every output: per-parcel PDF,
// batch PDF and ZPL, on orders to real divisions of the shipped table.
#include "pipeline/label/internal/template.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "pipeline/label/label.h"
#include "pipeline/model/divisions.h"
#include "tests/label/pdf_tools.h"
#include "tests/testing/testing.h"

namespace sortline::label {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

// The font poppler substitutes for the non-embedded Adobe-GB1 fonts on Debian, used
// here by ReportLab as the independent reference rendering.
constexpr char kReferenceFont[] = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

struct Parcel {
  v1::Order order;
  v1::SortRecord record;
  std::string address;  // what the label must print, province to door
};

// Orders to counties of the real division table, addressed by the table's own names.
std::vector<Parcel> RealParcels() {
  auto table = model::DivisionTable::Load(testing::DivisionsDir(), /*with_towns=*/false);
  EXPECT_TRUE(table.ok()) << table.status();
  struct Spec {
    const char* county;
    const char* name;
    const char* tracking;  // valid S10
    const char* chute;
    v1::ServiceClass service;
  };
  const Spec specs[] = {
      {"610502", "王秀英", "EA473124829CN", "C-017", v1::SERVICE_FRESH_PRODUCE},
      {"110101", "张伟", "EA123456785CN", "C-002", v1::SERVICE_STANDARD},
      {"450802", "覃丽萍", "EA000000016CN", "C-009", v1::SERVICE_COLD_CHAIN},
  };
  std::vector<Parcel> parcels;
  int n = 0;
  for (const Spec& s : specs) {
    const model::DivisionPath path = (*table)->PathOf(s.county);
    Parcel p;
    p.order = testing::SampleOrder("T000" + std::to_string(++n));
    p.order.set_service(s.service);
    p.order.mutable_parcel()->set_perishable(s.service != v1::SERVICE_STANDARD);
    v1::Address* to = p.order.mutable_recipient();
    to->set_name(s.name);
    to->set_division_code(s.county);
    to->set_province(path.province);
    to->set_city(path.city);
    to->set_district(path.county);
    to->set_street("临街道");
    to->set_detail("渭河路" + std::to_string(n) + "号");
    p.address = path.province + path.city + path.county + "临街道渭河路" + std::to_string(n) + "号";
    p.record.set_order_id(p.order.order_id());
    p.record.set_tracking_number(s.tracking);
    p.record.set_sort_code("710-0" + std::to_string(n) + "-12");
    p.record.set_chute(s.chute);
    p.record.set_dock_door("D03");
    p.record.set_division_code(s.county);
    parcels.push_back(std::move(p));
  }
  return parcels;
}

std::vector<std::string> ExpectedSymbols(const Parcel& p) {
  return {"CODE-128:" + p.record.tracking_number(), "QR-Code:S10:" + p.record.tracking_number() +
                                                        "|SC:" + p.record.sort_code() +
                                                        "|DC:" + p.record.division_code()};
}

// pdftotext keeps the layout's line breaks; the address may wrap.
std::string Unwrapped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c != '\n' && c != ' ') out.push_back(c);
  }
  return out;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

class EveryTemplate : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<LabelRenderer> NewRenderer(bool compress = true) {
    auto renderer = LabelRenderer::Create({.compress = compress, .template_name = GetParam()});
    EXPECT_TRUE(renderer.ok()) << renderer.status();
    return std::move(renderer).value();
  }
  const internal::LabelTemplate& Layout() const { return *internal::FindTemplate(GetParam()); }
};

TEST_P(EveryTemplate, ParcelPdfsDecodeExtractAndStayUnder40KB) {
  for (bool compress : {true, false}) {
    auto renderer = NewRenderer(compress);
    for (const Parcel& p : RealParcels()) {
      SCOPED_TRACE(p.record.division_code() + (compress ? " compressed" : " uncompressed"));
      auto pdf = renderer->Render(p.order, p.record);
      ASSERT_TRUE(pdf.ok()) << pdf.status();
      EXPECT_LT(pdf->size(), 40'000u);
      if (!compress && p.record.division_code() != "610502") continue;  // decoding is slow
      EXPECT_EQ(tools::DecodeSymbols(*pdf), ExpectedSymbols(p));
      const auto text = tools::ExtractText(*pdf);
      ASSERT_EQ(text.exit_code, 0);
      EXPECT_THAT(text.output, HasSubstr(p.order.recipient().name()));
      EXPECT_THAT(Unwrapped(text.output), HasSubstr(p.address));
      EXPECT_THAT(text.output, HasSubstr(p.record.chute()));
      EXPECT_THAT(text.output, Not(HasSubstr("1/")));  // page counters are for batches
    }
  }
}

TEST_P(EveryTemplate, BatchPdfPagesDecodeInChuteOrderWithOneCopyOfEachFont) {
  const std::vector<Parcel> parcels = RealParcels();
  std::vector<LabelInput> inputs;
  for (const Parcel& p : parcels) inputs.push_back({&p.order, &p.record});
  auto renderer = NewRenderer();
  auto batch = renderer->RenderBatch(inputs, {.chute_order = true});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_TRUE(batch->failed.empty());
  // Chutes C-017, C-002, C-009 print as C-002, C-009, C-017.
  ASSERT_EQ(batch->pages, (std::vector<size_t>{1, 2, 0}));
  const auto pages = tools::DecodeSymbolsPerPage(batch->pdf);
  ASSERT_EQ(pages.size(), 3u);
  for (size_t i = 0; i < pages.size(); ++i) {
    EXPECT_EQ(pages[i], ExpectedSymbols(parcels[batch->pages[i]])) << "page " << i + 1;
  }
  const auto text = tools::ExtractText(batch->pdf);
  ASSERT_EQ(text.exit_code, 0);
  for (const Parcel& p : parcels) {
    EXPECT_THAT(text.output, HasSubstr(p.order.recipient().name()));
    EXPECT_THAT(Unwrapped(text.output), HasSubstr(p.address));
  }
  for (const char* counter : {"1/3", "2/3", "3/3"}) EXPECT_THAT(text.output, HasSubstr(counter));
  EXPECT_LT(text.output.find("C-002"), text.output.find("C-017"));

  // A batch holds each font once: as many font objects as a one-page file.
  auto single = renderer->Render(parcels[0].order, parcels[0].record);
  ASSERT_TRUE(single.ok());
  for (const char* font : {"/BaseFont /SimSun", "/BaseFont /SimHei", "/BaseFont /Helvetica\n",
                           "/BaseFont /Helvetica-Bold", "/Type /Font"}) {
    SCOPED_TRACE(font);
    EXPECT_GE(Count(*single, font), 1u);
    EXPECT_EQ(Count(batch->pdf, font), Count(*single, font));
  }
}

// Composite hanzi that libharu's TrueType embedding leaves blank or partial: each must
// leave the ink an independent renderer (ReportLab, the same glyphs) leaves for it.
TEST_P(EveryTemplate, ChineseTextCarriesItsFullInk) {
  const internal::FieldSpec& name = *internal::FindField(Layout(), internal::Field::kRecipientName);
  auto renderer = NewRenderer();
  const Parcel p = RealParcels()[0];
  for (const char* hanzi : {"陕", "渭", "临", "街", "道", "一"}) {
    SCOPED_TRACE(hanzi);
    v1::Order order = p.order;
    order.mutable_recipient()->set_name(hanzi);
    auto pdf = renderer->Render(order, p.record);
    ASSERT_TRUE(pdf.ok());
    const long ink = tools::InkInBox(*pdf, name.box, 300);
    const long reference = tools::ReferenceInk(hanzi, name.style.max_size, kReferenceFont, 300);
    ASSERT_GT(reference, 0);
    EXPECT_GT(ink, reference * 3 / 4);
    EXPECT_LT(ink, reference * 4 / 3);
  }
}

// The ZPL commands a Zebra printer needs, checked command by command.
struct Zpl {
  std::vector<std::pair<std::string, std::string>> commands;  // ("FO", "10,20"), ...
  explicit Zpl(const std::string& text) {
    std::stringstream in(text);
    std::string part;
    std::getline(in, part, '^');  // before the first caret
    while (std::getline(in, part, '^')) {
      while (!part.empty() && part.back() == '\n') part.pop_back();
      commands.emplace_back(part.substr(0, 2), part.size() > 2 ? part.substr(2) : "");
    }
  }
  std::string Arg(const std::string& name) const {
    for (const auto& [n, a] : commands) {
      if (n == name) return a;
    }
    return "<none>";
  }
  // The data of every ^FD, unescaped (^FH with '_'), in order.
  std::vector<std::string> FieldData() const {
    std::vector<std::string> data;
    for (const auto& [n, a] : commands) {
      if (n != "FD") continue;
      std::string out;
      for (size_t i = 0; i < a.size(); ++i) {
        if (a[i] == '_' && i + 2 < a.size()) {
          out.push_back(static_cast<char>(std::stoi(a.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(a[i]);
        }
      }
      data.push_back(out);
    }
    return data;
  }
};

TEST_P(EveryTemplate, ZplAt203And300DpiCarriesSymbolsAndText) {
  auto renderer = NewRenderer();
  const internal::LabelTemplate& t = Layout();
  for (int dpi : {203, 300}) {
    for (const Parcel& p : RealParcels()) {
      SCOPED_TRACE(std::to_string(dpi) + " dpi " + p.record.division_code());
      auto zpl = renderer->RenderZpl(p.order, p.record, dpi);
      ASSERT_TRUE(zpl.ok()) << zpl.status();
      EXPECT_EQ(zpl->rfind("^XA\n", 0), 0u);
      EXPECT_EQ(zpl->substr(zpl->size() - 4), "^XZ\n");
      const Zpl parsed(*zpl);
      const long width = std::lround(t.width_mm * dpi / 25.4);
      const long height = std::lround(t.height_mm * dpi / 25.4);
      EXPECT_EQ(parsed.Arg("PW"), std::to_string(width));
      EXPECT_EQ(parsed.Arg("LL"), std::to_string(height));
      EXPECT_EQ(parsed.Arg("CI"), "28");
      const std::set<std::string> known = {"XA", "CI", "LH", "PW", "LL", "CW", "FO", "GB", "FS",
                                           "BY", "BC", "BQ", "FH", "FD", "AJ", "FB", "XZ"};
      for (size_t i = 0; i < parsed.commands.size(); ++i) {
        const auto& [name, arg] = parsed.commands[i];
        EXPECT_TRUE(known.count(name)) << "unknown command ^" << name;
        if (name == "FD") {  // field data ends where it should
          ASSERT_LT(i + 1, parsed.commands.size());
          EXPECT_EQ(parsed.commands[i + 1].first, "FS");
        }
        if (name == "FO") {
          long x = -1;
          long y = -1;
          ASSERT_EQ(std::sscanf(arg.c_str(), "%ld,%ld", &x, &y), 2) << arg;
          EXPECT_TRUE(x >= 0 && x < width && y >= 0 && y < height) << arg;
        }
      }
      EXPECT_EQ(zpl->find('~'), std::string::npos);
      // Code 128: narrow bar of whole dots, at least 0.25 mm, quiet zones of 10 bars
      // inside the frame.
      int narrow = 0;
      ASSERT_EQ(std::sscanf(parsed.Arg("BY").c_str(), "%d", &narrow), 1);
      EXPECT_GE(narrow * 25.4 / dpi, 0.25);
      const auto bc = std::find_if(parsed.commands.begin(), parsed.commands.end(),
                                   [](const auto& c) { return c.first == "BC"; });
      ASSERT_NE(bc, parsed.commands.end());
      long bar_x = -1;
      ASSERT_EQ(std::sscanf(std::prev(bc)->second.c_str(), "%ld", &bar_x), 1);
      EXPECT_GE(bar_x, std::lround(t.frame.x * dpi / 25.4) + 10 * narrow);
      EXPECT_EQ((bc + 1)->first, "FD");
      EXPECT_EQ((bc + 1)->second, p.record.tracking_number());
      const std::vector<std::string> data = parsed.FieldData();
      EXPECT_THAT(data, ::testing::Contains("MA,S10:" + p.record.tracking_number() +
                                            "|SC:" + p.record.sort_code() +
                                            "|DC:" + p.record.division_code()));
      std::string all;
      for (const std::string& d : data) all += d;
      EXPECT_THAT(all, AllOf(HasSubstr(p.order.recipient().name()), HasSubstr(p.address),
                             HasSubstr("138****5678")));
    }
  }
}

TEST_P(EveryTemplate, HostileTextGivesValidFilesWhoseSymbolsDecode) {
  Parcel p = RealParcels()[0];
  std::string long_address;
  for (int i = 0; i < 10'000; ++i) long_address += (i % 7 == 0) ? "A" : "街";
  p.order.mutable_recipient()->set_detail(long_address);
  p.order.mutable_recipient()->set_name("王\u202E英秀\u200D\u200B😀");
  p.order.mutable_sender()->set_name(std::string("李\0建国", 10) + ") Tj ET (");
  p.order.mutable_parcel()->set_contents("沙田柚\\) 5斤 \x01\x7F ]>> endobj ^XZ~JR _5E");
  p.order.set_merchant("\u2066店\u2069\uFEFF");
  auto renderer = NewRenderer();
  auto pdf = renderer->Render(p.order, p.record);
  ASSERT_TRUE(pdf.ok()) << pdf.status();
  EXPECT_EQ(tools::DecodeSymbols(*pdf), ExpectedSymbols(p));
  const auto text = tools::ExtractText(*pdf);
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.output, HasSubstr("王英秀?"));
  EXPECT_THAT(text.output, HasSubstr(") Tj ET ("));
  EXPECT_THAT(text.output, HasSubstr("..."));

  // In a batch, the hostile label neither breaks the file nor its neighbours.
  const std::vector<Parcel> others = RealParcels();
  const std::vector<LabelInput> inputs = {{&others[1].order, &others[1].record},
                                          {&p.order, &p.record},
                                          {&others[2].order, &others[2].record}};
  auto batch = renderer->RenderBatch(inputs, {});
  ASSERT_TRUE(batch.ok()) << batch.status();
  const auto pages = tools::DecodeSymbolsPerPage(batch->pdf);
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0], ExpectedSymbols(others[1]));
  EXPECT_EQ(pages[1], ExpectedSymbols(p));
  EXPECT_EQ(pages[2], ExpectedSymbols(others[2]));

  auto zpl = renderer->RenderZpl(p.order, p.record, 203);
  ASSERT_TRUE(zpl.ok()) << zpl.status();
  EXPECT_EQ(zpl->find('~'), std::string::npos);
  EXPECT_EQ(Count(*zpl, "^XZ"), 1u);
  const Zpl parsed(*zpl);
  std::string all;
  for (const std::string& d : parsed.FieldData()) all += d;
  EXPECT_THAT(all, HasSubstr("^XZ~JR _5E"));  // printed, not obeyed
}

TEST_P(EveryTemplate, SameLabelSameBytesWhateverWasRenderedBefore) {
  const std::vector<Parcel> parcels = RealParcels();
  auto first = NewRenderer();
  auto second = NewRenderer();
  auto a = first->Render(parcels[0].order, parcels[0].record);
  const std::vector<LabelInput> inputs = {{&parcels[1].order, &parcels[1].record}};
  ASSERT_TRUE(first->RenderBatch(inputs, {}).ok());
  ASSERT_TRUE(first->Render(parcels[2].order, parcels[2].record).ok());
  auto b = first->Render(parcels[0].order, parcels[0].record);
  auto c = second->Render(parcels[0].order, parcels[0].record);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*a, *c);
  auto z1 = first->RenderZpl(parcels[0].order, parcels[0].record, 300);
  auto z2 = second->RenderZpl(parcels[0].order, parcels[0].record, 300);
  ASSERT_TRUE(z1.ok() && z2.ok());
  EXPECT_EQ(*z1, *z2);
}

INSTANTIATE_TEST_SUITE_P(Templates, EveryTemplate, ::testing::ValuesIn(TemplateNames()),
                         [](const auto& test_param) {
                           std::string name = test_param.param;
                           std::replace(name.begin(), name.end(), 'x', '_');
                           return "T" + name;
                         });

TEST(LabelRenderer, PicksTheTemplateOfTheServiceClass) {
  auto renderer = LabelRenderer::Create(
      {.template_name = "76x130", .service_templates = {{v1::SERVICE_COLD_CHAIN, "100x180"}}});
  ASSERT_TRUE(renderer.ok()) << renderer.status();
  const std::vector<Parcel> parcels = RealParcels();
  auto standard = (*renderer)->Render(parcels[1].order, parcels[1].record);
  auto cold = (*renderer)->Render(parcels[2].order, parcels[2].record);
  ASSERT_TRUE(standard.ok() && cold.ok());
  // MediaBox in points: 76 x 130 mm and 100 x 180 mm.
  EXPECT_NE(standard->find("/MediaBox [ 0 0 215.43307 368.50394 ]"), std::string::npos);
  EXPECT_NE(cold->find("/MediaBox [ 0 0 283.46457 510.23621 ]"), std::string::npos);
}

TEST(LabelRenderer, RefusesUnknownTemplatesAndZplResolutions) {
  auto bad = LabelRenderer::Create({.template_name = "A4"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  auto bad_service =
      LabelRenderer::Create({.service_templates = {{v1::SERVICE_EXPRESS, "letter"}}});
  EXPECT_FALSE(bad_service.ok());
  auto renderer = LabelRenderer::Create({});
  ASSERT_TRUE(renderer.ok());
  const Parcel p = RealParcels()[0];
  auto zpl = (*renderer)->RenderZpl(p.order, p.record, 600);
  ASSERT_FALSE(zpl.ok());
  EXPECT_EQ(zpl.status().code(), StatusCode::kInvalidArgument);
}

TEST(LabelRenderer, BatchLeavesOutLabelsItCannotEncodeAndKeepsTheRest) {
  std::vector<Parcel> parcels = RealParcels();
  parcels[1].record.set_tracking_number("BAD NUMBER");
  std::vector<LabelInput> inputs;
  for (const Parcel& p : parcels) inputs.push_back({&p.order, &p.record});
  auto renderer = LabelRenderer::Create({});
  ASSERT_TRUE(renderer.ok());
  auto batch = (*renderer)->RenderBatch(inputs, {});
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(batch->failed, std::vector<size_t>{1});
  EXPECT_EQ(batch->pages, (std::vector<size_t>{0, 2}));
  const auto text = tools::ExtractText(batch->pdf);
  EXPECT_THAT(text.output, AllOf(HasSubstr("1/2"), HasSubstr("2/2"), Not(HasSubstr("张伟"))));
  EXPECT_FALSE((*renderer)->RenderBatch({}, {}).ok());
}

}  // namespace
}  // namespace sortline::label
