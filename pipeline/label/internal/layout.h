// Where things go on the 100 x 150 mm label, in millimetres from the top-left corner.
// Tests read these boxes to look at the rendered page region by region.
//
// Thread-safety: constants only.
#ifndef PIPELINE_LABEL_INTERNAL_LAYOUT_H_
#define PIPELINE_LABEL_INTERNAL_LAYOUT_H_

namespace sortline::label::internal {

struct Box {
  double x = 0;  // left edge, mm from the left of the page
  double y = 0;  // top edge, mm from the top of the page
  double w = 0;
  double h = 0;
};

inline constexpr double kPageWidthMm = 100;
inline constexpr double kPageHeightMm = 150;
inline constexpr double kPointsPerMm = 72.0 / 25.4;

// Label printers print at 203 dpi; symbol modules are whole printer dots.
inline constexpr double kDotMm = 25.4 / 203;
inline constexpr int kCode128NarrowDots = 3;  // 0.375 mm narrow bar
inline constexpr int kCode128MinNarrowDots = 2;
inline constexpr int kCode128HeightDots = 120;  // 15 mm
inline constexpr int kCode128QuietModules = 10;
inline constexpr int kQrQuietModules = 4;
inline constexpr int kQrMaxModuleDots = 6;  // 0.75 mm
inline constexpr int kQrMinModuleDots = 2;

inline constexpr Box kFrame{2, 2, 96, 146};
// Horizontal rules across the frame, and the one vertical rule of the bottom band.
inline constexpr double kRulesMm[] = {24, 50, 88, 110, 132};
inline constexpr double kBottomDividerXMm = 50;

// Band 1: sort code, perishable mark, service class.
inline constexpr Box kSortCode{4, 3, 64, 20};
inline constexpr Box kPerishableMark{70, 4, 26, 9};
inline constexpr Box kServiceClass{70, 14, 26, 8};

// Band 2: Code 128 of the tracking number, the number in text below it.
inline constexpr double kCode128TopMm = 26;
inline constexpr Box kTrackingText{4, 42, 92, 6.5};

// Band 3: recipient, QR code.
inline constexpr Box kRecipientTag{4, 51, 30, 4};
inline constexpr Box kRecipientName{4, 55.5, 40, 7};
inline constexpr Box kRecipientPhone{45, 55.5, 25, 7};
inline constexpr Box kRecipientAddress{4, 63.5, 66, 23.5};
inline constexpr Box kQr{71, 52, 26, 26};
inline constexpr Box kDivisionText{71, 79, 26, 4.5};

// Band 4: sender.
inline constexpr Box kSenderTag{4, 89, 30, 3.5};
inline constexpr Box kSenderName{4, 92.5, 40, 5};
inline constexpr Box kSenderPhone{45, 92.5, 30, 5};
inline constexpr Box kSenderAddress{4, 98, 92, 11};

// Band 5: parcel and order details.
inline constexpr Box kWeight{4, 111.5, 44, 5};
inline constexpr Box kDimensions{50, 111.5, 46, 5};
inline constexpr Box kContents{4, 117, 92, 5};
inline constexpr Box kOrderId{4, 122.5, 50, 4.5};
inline constexpr Box kCreated{55, 122.5, 41, 4.5};
inline constexpr Box kMerchant{4, 127, 92, 4.5};

// Band 6: chute and dock door.
inline constexpr Box kChute{4, 134, 44, 12};
inline constexpr Box kDockDoor{52, 134, 44, 12};

}  // namespace sortline::label::internal

#endif  // PIPELINE_LABEL_INTERNAL_LAYOUT_H_
