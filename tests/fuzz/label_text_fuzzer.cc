// The label text path with arbitrary bytes in every text field an order carries:
// cleaning (SanitizeForDisplay), phone masking, GBK shaping and box fitting through a
// whole label render, as PDF in a template picked by the input and as ZPL. Properties:
// nothing crashes; text never makes a label fail (DESIGN: a bad parcel costs only
// itself, and text never leaves its box); cleaned text holds no control, bidi or
// zero-width character; the ZPL is one ^XA..^XZ format of valid UTF-8 whatever the
// text holds (no command can be smuggled in).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "pipeline/base/text.h"
#include "pipeline/label/internal/text.h"
#include "pipeline/label/label.h"
#include "pipeline/model/orders.h"
#include "proto/order.pb.h"
#include "proto/record.pb.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace sortline;
using fuzz::Check;

label::LabelRenderer& Renderer(size_t index) {
  static std::vector<std::unique_ptr<label::LabelRenderer>> renderers = [] {
    std::vector<std::unique_ptr<label::LabelRenderer>> all;
    for (const std::string& name : label::TemplateNames()) {
      label::RendererOptions options;
      options.template_name = name;
      auto renderer = label::LabelRenderer::Create(options);
      if (!renderer.ok()) fuzz::Fail("renderer " + name + ": " + renderer.status().ToString());
      all.push_back(std::move(renderer).value());
    }
    return all;
  }();
  return *renderers[index % renderers.size()];
}

void FillAddress(FuzzedDataProvider& provider, v1::Address* address) {
  address->set_name(provider.ConsumeRandomLengthString(96));
  address->set_phone(provider.ConsumeRandomLengthString(32));
  address->set_province(provider.ConsumeRandomLengthString(48));
  address->set_city(provider.ConsumeRandomLengthString(48));
  address->set_district(provider.ConsumeRandomLengthString(48));
  address->set_street(provider.ConsumeRandomLengthString(48));
  address->set_detail(provider.ConsumeRandomLengthString(256));
}

}  // namespace

namespace sortline::fuzz {

// A generated order's text fields in the order the target reads them, and the same
// with bidi overrides, controls, PDF and ZPL syntax and emoji mixed in.
void WriteSeeds(const SeedWriter& write) {
  model::OrderGenerator generator(ShippedDivisions(), model::GeneratorOptions{});
  auto address = [](const v1::Address& a) {
    return a.name() + "\\ " + a.phone() + "\\ " + a.province() + "\\ " + a.city() + "\\ " +
           a.district() + "\\ " + a.street() + "\\ " + a.detail() + "\\ ";
  };
  for (uint64_t i = 0; i < 8; ++i) {
    const v1::Order order = generator.Generate(i);
    write("generated-" + std::to_string(i),
          order.merchant() + "\\ " + address(order.recipient()) + address(order.sender()) +
              order.parcel().contents() + std::string(1, static_cast<char>(i)));
  }
  write("hostile",
        "\u202eevil\u202c\\ ) Tj ET BT /F1 99 Tf (x\\ +86 138-1234-5678\\ ^XZ^XA~JR_5F\\ "
        "\x1b[2J\x07\\ \xf0\x9f\x93\xa6\xe2\x80\x8b\\ \xff\xfe\\ " +
            std::string(300, 'W') + "\\ 王秀英\\ 沙田柚 5斤\x02");
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  const size_t template_index = provider.ConsumeIntegral<uint8_t>();
  v1::Order order;
  order.set_order_id("FUZZ-1");
  order.set_service(static_cast<v1::ServiceClass>(provider.ConsumeIntegralInRange<int>(0, 5)));
  order.set_merchant(provider.ConsumeRandomLengthString(64));
  FillAddress(provider, order.mutable_recipient());
  FillAddress(provider, order.mutable_sender());
  order.mutable_recipient()->set_division_code("610502");
  v1::Parcel* parcel = order.mutable_parcel();
  parcel->set_weight_g(provider.ConsumeIntegral<int32_t>());
  parcel->set_declared_value_fen(provider.ConsumeIntegral<int64_t>());
  parcel->set_cod_fen(provider.ConsumeIntegral<int64_t>());
  parcel->set_perishable(provider.ConsumeBool());
  parcel->set_contents(provider.ConsumeRemainingBytesAsString());

  v1::SortRecord record;
  record.set_order_id(order.order_id());
  record.set_tracking_number("EA473124829CN");
  record.set_sort_code("710-50-03");
  record.set_chute("C042");
  record.set_dock_door("D08");
  record.set_route("R-WN-03");
  record.set_division_code("610502");

  Result<std::string> pdf = Renderer(template_index).Render(order, record);
  Check(pdf.ok(), "text made a label fail: " + pdf.status().ToString());
  Check(pdf->rfind("%PDF-", 0) == 0, "a label is not a PDF");

  Result<std::string> zpl = Renderer(template_index).RenderZpl(order, record, 203);
  Check(zpl.ok(), "text made a ZPL label fail: " + zpl.status().ToString());
  Check(IsValidUtf8(*zpl), "the ZPL is not UTF-8");
  Check(zpl->rfind("^XA", 0) == 0, "the ZPL does not start its format");
  Check(zpl->find("^XZ") == zpl->size() - 3 - (zpl->back() == '\n' ? 1 : 0),
        "the ZPL ends its format before its end");

  for (const std::string* text :
       {&order.recipient().name(), &order.recipient().detail(), &parcel->contents()}) {
    for (char32_t c : label::internal::SanitizeForDisplay(*text)) {
      Check(c >= 0x20 && c != 0x7f && !(c >= 0x80 && c <= 0x9f) && !(c >= 0x202a && c <= 0x202e) &&
                !(c >= 0x2066 && c <= 0x2069) && !(c >= 0x200b && c <= 0x200f) && c != 0xfeff,
            "cleaned text holds U+" + std::to_string(static_cast<uint32_t>(c)));
    }
  }
  const std::string masked = label::internal::MaskPhone(order.recipient().phone());
  for (char c : masked) Check((c >= '0' && c <= '9') || c == '*', "a masked phone shows " + masked);
  return 0;
}
