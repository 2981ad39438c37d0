#include "pipeline/label/internal/template.h"

#include <array>

namespace sortline::label::internal {
namespace {

using F = Field;
using A = Align;

// Joins two constant tables into one, head first.
template <typename T, size_t N, size_t M>
constexpr std::array<T, N + M> Join(const T (&head)[N], const T (&tail)[M]) {
  std::array<T, N + M> joined{};
  for (size_t i = 0; i < N; ++i) joined[i] = head[i];
  for (size_t i = 0; i < M; ++i) joined[N + i] = tail[i];
  return joined;
}

// The bands every 100 mm wide label shares, from the sort code down to the chute.
constexpr FieldSpec k100mmBands[] = {
    {F::kSortCode, {4, 3, 64, 20}, {42, 14, true, A::kCenter, 1}},
    {F::kPerishable, {70, 4, 26, 9}, {14, 8, true, A::kCenter, 1}},
    {F::kService, {70, 14, 26, 8}, {12, 6, true, A::kCenter, 1}},
    {F::kTracking, {4, 42, 92, 6.5}, {13, 8, true, A::kCenter, 1}},
    {F::kRecipientTag, {4, 51, 30, 4}, {7, 5, false, A::kLeft, 1}},
    {F::kRecipientName, {4, 55.5, 40, 7}, {15, 8, true, A::kLeft, 1}},
    {F::kRecipientPhone, {45, 55.5, 25, 7}, {12, 7, true, A::kLeft, 1}},
    {F::kRecipientAddress, {4, 63.5, 66, 23.5}, {11, 6, false, A::kLeft, 10}},
    {F::kDivision, {71, 79, 26, 4.5}, {7, 5, false, A::kCenter, 1}},
    {F::kSenderTag, {4, 89, 30, 3.5}, {7, 5, false, A::kLeft, 1}},
    {F::kSenderName, {4, 92.5, 40, 5}, {9, 6, false, A::kLeft, 1}},
    {F::kSenderPhone, {45, 92.5, 30, 5}, {9, 6, false, A::kLeft, 1}},
    {F::kSenderAddress, {4, 98, 92, 11}, {8, 5, false, A::kLeft, 5}},
    {F::kWeight, {4, 111.5, 44, 5}, {8, 5, false, A::kLeft, 1}},
    {F::kDimensions, {50, 111.5, 46, 5}, {8, 5, false, A::kLeft, 1}},
    {F::kContents, {4, 117, 92, 5}, {8, 5, false, A::kLeft, 1}},
    {F::kOrderId, {4, 122.5, 50, 4.5}, {8, 5, false, A::kLeft, 1}},
    {F::kCreated, {55, 122.5, 41, 4.5}, {8, 5, false, A::kLeft, 1}},
    {F::kMerchant, {4, 127, 50, 4.5}, {8, 5, false, A::kLeft, 1}},
    {F::kValue, {55, 127, 41, 4.5}, {8, 5, false, A::kLeft, 1}},
    {F::kChute, {4, 134, 44, 12}, {22, 10, true, A::kLeft, 1}},
};

// 100 x 150 mm, the common electronic waybill; the 4 x 6 in label uses the same
// fields in its slightly larger page.
constexpr auto k100x150Fields = Join<FieldSpec>(
    k100mmBands, {
                     {F::kDockDoor, {52, 134, 44, 9}, {20, 10, true, A::kLeft, 1}},
                     {F::kPageCounter, {52, 143.2, 44, 4.3}, {7, 5, false, A::kRight, 1}},
                 });

constexpr Rule k100x150Rules[] = {
    {2, 24, 98, 24},   {2, 50, 98, 50},   {2, 88, 98, 88},
    {2, 110, 98, 110}, {2, 132, 98, 132}, {50, 132, 50, 148},
};

constexpr Rule k4x6Rules[] = {
    {2, 24, 99.6, 24},   {2, 50, 99.6, 50},   {2, 88, 99.6, 88},
    {2, 110, 99.6, 110}, {2, 132, 99.6, 132}, {50, 132, 50, 150.4},
};

// 76 x 130 mm single-ply: the same bands, tighter.
constexpr FieldSpec k76x130Fields[] = {
    {F::kSortCode, {3, 2.5, 48, 14.5}, {32, 12, true, A::kCenter, 1}},
    {F::kPerishable, {52, 3, 21, 7}, {11, 6, true, A::kCenter, 1}},
    {F::kService, {52, 10.5, 21, 6}, {10, 5, true, A::kCenter, 1}},
    {F::kTracking, {3, 31.5, 70, 5.5}, {12, 8, true, A::kCenter, 1}},
    {F::kRecipientTag, {3, 38.5, 20, 3.5}, {6.5, 5, false, A::kLeft, 1}},
    {F::kRecipientName, {3, 42, 30, 6}, {13, 7, true, A::kLeft, 1}},
    {F::kRecipientPhone, {33.5, 42, 17, 6}, {9, 6, true, A::kLeft, 1}},
    {F::kRecipientAddress, {3, 48.5, 47, 18.5}, {9.5, 5, false, A::kLeft, 10}},
    {F::kDivision, {51, 61, 22, 4}, {6.5, 5, false, A::kCenter, 1}},
    {F::kSenderTag, {3, 68.5, 20, 3}, {6.5, 5, false, A::kLeft, 1}},
    {F::kSenderName, {3, 71.5, 30, 4.5}, {8, 5, false, A::kLeft, 1}},
    {F::kSenderPhone, {34, 71.5, 25, 4.5}, {8, 5, false, A::kLeft, 1}},
    {F::kSenderAddress, {3, 76.5, 70, 8.5}, {7, 5, false, A::kLeft, 4}},
    {F::kWeight, {3, 87, 34, 4.5}, {7.5, 5, false, A::kLeft, 1}},
    {F::kDimensions, {38, 87, 35, 4.5}, {7.5, 5, false, A::kLeft, 1}},
    {F::kValue, {3, 91.5, 70, 4.5}, {7.5, 5, false, A::kLeft, 1}},
    {F::kContents, {3, 96, 70, 4.5}, {7.5, 5, false, A::kLeft, 1}},
    {F::kOrderId, {3, 100.5, 38, 4}, {7, 5, false, A::kLeft, 1}},
    {F::kCreated, {41, 100.5, 32, 4}, {7, 5, false, A::kLeft, 1}},
    {F::kMerchant, {3, 104.5, 70, 4}, {7, 5, false, A::kLeft, 1}},
    {F::kChute, {3, 110, 34, 10}, {18, 9, true, A::kLeft, 1}},
    {F::kDockDoor, {39, 110, 34, 10}, {18, 9, true, A::kLeft, 1}},
    {F::kPageCounter, {39, 122.5, 34, 4.5}, {7, 5, false, A::kRight, 1}},
};

constexpr Rule k76x130Rules[] = {
    {1.5, 17.5, 74.5, 17.5}, {1.5, 37.5, 74.5, 37.5}, {1.5, 67.5, 74.5, 67.5},
    {1.5, 86, 74.5, 86},     {1.5, 109, 74.5, 109},   {38, 109, 38, 128.5},
};

// 100 x 180 mm two-ply: the 100 x 150 bands, then a tear-off stub the recipient keeps.
constexpr auto k100x180Fields = Join<FieldSpec>(
    k100mmBands, {
                     {F::kDockDoor, {52, 134, 44, 12}, {22, 10, true, A::kLeft, 1}},
                     // The stub.
                     {F::kTracking, {4, 149.5, 60, 5.5}, {11, 7, true, A::kLeft, 1}},
                     {F::kSortCode, {64, 149.5, 32, 5.5}, {11, 7, true, A::kRight, 1}},
                     {F::kRecipientName, {4, 155.5, 40, 5}, {9, 6, false, A::kLeft, 1}},
                     {F::kRecipientPhone, {45, 155.5, 30, 5}, {9, 6, false, A::kLeft, 1}},
                     {F::kRecipientAddress, {4, 161, 92, 7.5}, {7, 5, false, A::kLeft, 2}},
                     {F::kContents, {4, 169, 92, 4.5}, {7, 5, false, A::kLeft, 1}},
                     {F::kCreated, {4, 173.5, 46, 4}, {7, 5, false, A::kLeft, 1}},
                     {F::kPageCounter, {52, 173.5, 44, 4}, {7, 5, false, A::kRight, 1}},
                 });

constexpr auto k100x180Rules = Join<Rule>(k100x150Rules, {{2, 148, 98, 148}});

// The 100 mm wide labels print their symbols in the same places.
constexpr LabelTemplate Wide(std::string_view name, double width_mm, double height_mm, Box frame,
                             std::span<const Rule> rules, std::span<const FieldSpec> fields) {
  return {
      .name = name,
      .width_mm = width_mm,
      .height_mm = height_mm,
      .frame = frame,
      .rules = rules,
      .perishable_frame = {70, 4, 26, 9},
      .code128_top_mm = 26,
      .code128_height_dots = 120,
      .qr = {71, 52, 26, 26},
      .fields = fields,
  };
}

constexpr LabelTemplate k100x150 =
    Wide("100x150", 100, 150, {2, 2, 96, 146}, k100x150Rules, k100x150Fields);
constexpr LabelTemplate k100x180 =
    Wide("100x180", 100, 180, {2, 2, 96, 176}, k100x180Rules, k100x180Fields);
constexpr LabelTemplate k4x6 =
    Wide("4x6", 101.6, 152.4, {2, 2, 97.6, 148.4}, k4x6Rules, k100x150Fields);

constexpr LabelTemplate k76x130{
    .name = "76x130",
    .width_mm = 76,
    .height_mm = 130,
    .frame = {1.5, 1.5, 73, 127},
    .rules = k76x130Rules,
    .perishable_frame = {52, 3, 21, 7},
    .code128_top_mm = 19,
    .code128_height_dots = 96,
    .qr = {51, 38.5, 22, 22},
    .fields = k76x130Fields,
};

constexpr std::array<const LabelTemplate*, 4> kTemplates = {&k100x150, &k76x130, &k100x180, &k4x6};

}  // namespace

const LabelTemplate* FindTemplate(std::string_view name) {
  for (const LabelTemplate* t : kTemplates) {
    if (t->name == name) return t;
  }
  return nullptr;
}

std::span<const LabelTemplate* const> AllTemplates() { return kTemplates; }

const FieldSpec* FindField(const LabelTemplate& t, Field field) {
  for (const FieldSpec& f : t.fields) {
    if (f.field == field) return &f;
  }
  return nullptr;
}

}  // namespace sortline::label::internal
