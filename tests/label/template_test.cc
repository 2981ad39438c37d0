// The acceptance of issue 4, for every template and every output: per-parcel PDF,
// batch PDF and ZPL, on orders to real divisions of the shipped table.
#include "pipeline/label/internal/template.h"

#include <algorithm>
#include <cctype>
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
#include <zint.h>

#include "pipeline/label/internal/layout.h"
#include "pipeline/label/internal/symbol.h"
#include "pipeline/label/label.h"
#include "pipeline/model/divisions.h"
#include "tests/label/pdf_tools.h"
#include "tests/testing/status_matchers.h"
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
  EXPECT_OK(table);
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
    EXPECT_OK(renderer);
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
      ASSERT_OK(pdf);
      EXPECT_LT(pdf->size(), 40'000u);
      if (!compress && p.record.division_code() != "610502") continue;  // decoding is slow
      EXPECT_EQ(tools::DecodeSymbols(*pdf), ExpectedSymbols(p));
      EXPECT_EQ(tools::DecodeSymbols(*pdf, 203), ExpectedSymbols(p)) << "at the printer's 203 dpi";
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
  ASSERT_OK(batch);
  EXPECT_TRUE(batch->failed.empty());
  // Chutes C-017, C-002, C-009 print as C-002, C-009, C-017.
  ASSERT_EQ(batch->pages, (std::vector<size_t>{1, 2, 0}));
  for (const int dpi : {300, 203}) {
    const auto pages = tools::DecodeSymbolsPerPage(batch->pdf, dpi);
    ASSERT_EQ(pages.size(), 3u);
    for (size_t i = 0; i < pages.size(); ++i) {
      EXPECT_EQ(pages[i], ExpectedSymbols(parcels[batch->pages[i]]))
          << "page " << i + 1 << " at " << dpi << " dpi";
    }
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
  ASSERT_OK(single);
  for (const char* font : {"/BaseFont /SimSun", "/BaseFont /SimHei", "/BaseFont /Helvetica\n",
                           "/BaseFont /Helvetica-Bold", "/Type /Font"}) {
    SCOPED_TRACE(font);
    EXPECT_GE(Count(*single, font), 1u);
    EXPECT_EQ(Count(batch->pdf, font), Count(*single, font));
  }
}

// A symbol as a page's content stream draws it: the cm that sets its module space
// (a module is `module_w` x `module_h` dots, y down from the symbol's top-left corner
// at (`x`, `y`) dots from the page's bottom-left), and how often its rectangles cover
// each module.
struct DrawnSymbol {
  double module_w = 0;
  double module_h = 0;
  double x = 0;
  double y = 0;
  size_t rectangles = 0;
  std::vector<std::vector<int>> cover;
};

// The content stream of a one-page uncompressed PDF (libharu writes fonts and the rest
// as plain objects, so the page content is the file's one stream).
std::string ContentStream(const std::string& pdf) {
  const size_t keyword = pdf.find("\nstream");
  const size_t begin = pdf.find('\n', keyword + 1);  // after "stream\r\n"
  const size_t end = pdf.find("endstream", begin);
  if (keyword == std::string::npos || end == std::string::npos) return "";
  EXPECT_EQ(pdf.find("\nstream", end), std::string::npos) << "more than one stream";
  return pdf.substr(begin + 1, end - begin - 1);
}

// Reads the drawing before the text (BT) of `content`: every operator into `operators`,
// and each symbol: inside "q <72/203> 0 0 <72/203> 0 0 cm" (user space in 203 dpi
// dots), "q <mw> 0 0 <-mh> <x> <y> cm", then only "<c> <r> <w> <h> re", then "f Q".
// Painting `rows` x `columns` modules for each; fails the test on anything else.
std::vector<DrawnSymbol> ReadSymbols(const std::string& content,
                                     const std::vector<std::pair<int, int>>& sizes,
                                     std::set<std::string>& operators) {
  std::istringstream in(content.substr(0, content.find("BT\n")));
  std::vector<std::string> tokens;
  for (std::string token; in >> token;) {
    tokens.push_back(token);
    if (std::isalpha(static_cast<unsigned char>(token[0]))) operators.insert(token);
  }
  auto number = [](const std::string& token) { return std::stod(token); };
  auto integer = [](const std::string& token) {
    EXPECT_EQ(token.find_first_not_of("-0123456789"), std::string::npos) << token;
    return std::stol(token);
  };
  std::vector<DrawnSymbol> symbols;
  size_t i = 0;
  // The dot space: 72 / 203 points a unit.
  while (i + 7 < tokens.size() && !(tokens[i] == "q" && tokens[i + 7] == "cm")) ++i;
  if (i + 7 >= tokens.size()) {
    ADD_FAILURE() << "no cm into printer dots";
    return symbols;
  }
  EXPECT_NEAR(number(tokens[i + 1]), 72.0 / 203, 1e-7);
  EXPECT_NEAR(number(tokens[i + 4]), 72.0 / 203, 1e-7);
  for (const size_t k : {2, 3, 5, 6}) EXPECT_EQ(tokens[i + k], "0");
  i += 8;
  for (const auto& [rows, columns] : sizes) {
    if (i + 7 >= tokens.size() || tokens[i] != "q" || tokens[i + 7] != "cm") {
      ADD_FAILURE() << "no symbol at token " << i;
      return symbols;
    }
    DrawnSymbol s;
    s.module_w = static_cast<double>(integer(tokens[i + 1]));
    s.module_h = -static_cast<double>(integer(tokens[i + 4]));
    EXPECT_EQ(tokens[i + 2], "0");
    EXPECT_EQ(tokens[i + 3], "0");
    s.x = static_cast<double>(integer(tokens[i + 5]));
    s.y = static_cast<double>(integer(tokens[i + 6]));
    s.cover.assign(static_cast<size_t>(rows), std::vector<int>(static_cast<size_t>(columns)));
    for (i += 8; i + 4 < tokens.size() && tokens[i + 4] == "re"; i += 5) {
      const long c = integer(tokens[i]);
      const long r = integer(tokens[i + 1]);
      const long w = integer(tokens[i + 2]);
      const long h = integer(tokens[i + 3]);
      ++s.rectangles;
      for (long y = r; y < r + h; ++y) {
        for (long x = c; x < c + w; ++x) {
          if (y < 0 || y >= rows || x < 0 || x >= columns) {
            ADD_FAILURE() << "rectangle outside the symbol at row " << y << " column " << x;
            continue;
          }
          ++s.cover[static_cast<size_t>(y)][static_cast<size_t>(x)];
        }
      }
    }
    EXPECT_TRUE(i + 1 < tokens.size() && tokens[i] == "f" && tokens[i + 1] == "Q")
        << "a symbol ends with one fill: " << (i < tokens.size() ? tokens[i] : "(end)");
    i += 2;
    symbols.push_back(std::move(s));
  }
  return symbols;
}

// Modules as ReadSymbols paints them: 1 where dark, 0 where light.
std::vector<std::vector<int>> Painted(const std::vector<std::vector<bool>>& modules) {
  std::vector<std::vector<int>> out;
  for (const auto& row : modules) out.emplace_back(row.begin(), row.end());
  return out;
}

// The design's "vector only": a raster symbol is resampled by every RIP at its own
// resolution. Each symbol is a fill of rectangles with integer corners in a module
// space on whole 203 dpi dots, painting exactly zint's modules, and no page holds an
// image.
TEST_P(EveryTemplate, SymbolsAreFilledPathsOnWholePrinterDotsAndNoPageHoldsAnImageIssue10) {
  const std::vector<Parcel> parcels = RealParcels();
  auto plain = NewRenderer(/*compress=*/false);
  for (const Parcel& p : parcels) {
    SCOPED_TRACE(p.record.tracking_number());
    auto pdf = plain->Render(p.order, p.record);
    ASSERT_OK(pdf);
    const auto bars = tools::ZintModules(BARCODE_CODE128, p.record.tracking_number());
    const auto qr = tools::ZintModules(BARCODE_QRCODE,
                                       ExpectedSymbols(p)[1].substr(std::string("QR-Code:").size()),
                                       (internal::kQrMask + 1) << 8);
    ASSERT_EQ(bars.size(), 1u);
    ASSERT_FALSE(qr.empty());
    std::set<std::string> operators;
    const std::vector<DrawnSymbol> drawn =
        ReadSymbols(ContentStream(*pdf),
                    {{1, static_cast<int>(bars[0].size())},
                     {static_cast<int>(qr.size()), static_cast<int>(qr[0].size())}},
                    operators);
    ASSERT_EQ(drawn.size(), 2u);
    EXPECT_EQ(drawn[0].cover, Painted(bars));
    EXPECT_EQ(drawn[1].cover, Painted(qr));
    size_t bar_count = 0;
    for (size_t c = 0; c < bars[0].size(); ++c)
      bar_count += bars[0][c] && (c == 0 || !bars[0][c - 1]);
    EXPECT_EQ(drawn[0].rectangles, bar_count) << "one rectangle per bar";
    EXPECT_GE(drawn[0].module_w, internal::kCode128MinNarrowDots);
    EXPECT_GE(drawn[1].module_w, internal::kQrMinModuleDots);
    EXPECT_EQ(drawn[1].module_w, drawn[1].module_h) << "square QR modules";
    // The drawing uses path, state and colour operators only: no image (BI ID EI), no
    // XObject (Do), no shading.
    for (const std::string& op : operators) {
      EXPECT_TRUE((std::set<std::string>{"w", "re", "m", "l", "S", "f", "q", "Q", "cm"}.count(op)))
          << "operator " << op;
    }
    EXPECT_EQ(pdf->find("/XObject"), std::string::npos);
    EXPECT_EQ(pdf->find("/Subtype /Image"), std::string::npos);
  }
  // What is shipped, compressed, holds no image either, as poppler reads it.
  auto renderer = NewRenderer();
  auto pdf = renderer->Render(parcels[0].order, parcels[0].record);
  ASSERT_OK(pdf);
  EXPECT_EQ(tools::CountImages(*pdf), 0);
  std::vector<LabelInput> inputs;
  for (const Parcel& p : parcels) inputs.push_back({&p.order, &p.record});
  auto batch = renderer->RenderBatch(inputs, {});
  ASSERT_OK(batch);
  EXPECT_EQ(tools::CountImages(batch->pdf), 0);
}

// Files pass qpdf's check, and a page qpdf cuts out of a batch file (as a reprint is)
// still decodes, at 300 dpi and at the printer's 203.
TEST_P(EveryTemplate, FilesPassQpdfCheckAndAPageQpdfCutsFromABatchDecodes) {
  const std::vector<Parcel> parcels = RealParcels();
  auto renderer = NewRenderer();
  auto pdf = renderer->Render(parcels[0].order, parcels[0].record);
  ASSERT_OK(pdf);
  const tools::CommandResult parcel_check = tools::CheckWithQpdf(*pdf);
  EXPECT_EQ(parcel_check.exit_code, 0) << parcel_check.output;
  std::vector<LabelInput> inputs;
  for (const Parcel& p : parcels) inputs.push_back({&p.order, &p.record});
  auto batch = renderer->RenderBatch(inputs, {});
  ASSERT_OK(batch);
  const tools::CommandResult batch_check = tools::CheckWithQpdf(batch->pdf);
  EXPECT_EQ(batch_check.exit_code, 0) << batch_check.output;
  const std::string page = tools::ExtractPageWithQpdf(batch->pdf, 2);
  ASSERT_FALSE(page.empty());
  for (const int dpi : {300, 203}) {
    EXPECT_EQ(tools::DecodeSymbols(page, dpi), ExpectedSymbols(parcels[batch->pages[1]]))
        << dpi << " dpi";
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
    ASSERT_OK(pdf);
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
      ASSERT_OK(zpl);
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
  ASSERT_OK(pdf);
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
  ASSERT_OK(batch);
  const auto pages = tools::DecodeSymbolsPerPage(batch->pdf);
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[0], ExpectedSymbols(others[1]));
  EXPECT_EQ(pages[1], ExpectedSymbols(p));
  EXPECT_EQ(pages[2], ExpectedSymbols(others[2]));

  auto zpl = renderer->RenderZpl(p.order, p.record, 203);
  ASSERT_OK(zpl);
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
  ASSERT_OK(first->RenderBatch(inputs, {}));
  ASSERT_OK(first->Render(parcels[2].order, parcels[2].record));
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
  ASSERT_OK(renderer);
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
  ASSERT_OK(renderer);
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
  ASSERT_OK(renderer);
  auto batch = (*renderer)->RenderBatch(inputs, {});
  ASSERT_OK(batch);
  EXPECT_EQ(batch->failed, std::vector<size_t>{1});
  EXPECT_EQ(batch->pages, (std::vector<size_t>{0, 2}));
  const auto text = tools::ExtractText(batch->pdf);
  EXPECT_THAT(text.output, AllOf(HasSubstr("1/2"), HasSubstr("2/2"), Not(HasSubstr("张伟"))));
  EXPECT_FALSE((*renderer)->RenderBatch({}, {}).ok());
}

}  // namespace
}  // namespace sortline::label
