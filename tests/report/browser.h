// Headless Chromium (Debian's `chromium`) for the report's acceptance tests: load a page
// and collect its console messages and its DOM once loaded, take a screenshot, and read
// a PNG's pixels (libpng).
//
// Thread-safety: each call uses its own browser profile directory; calls are independent.
#ifndef TESTS_REPORT_BROWSER_H_
#define TESTS_REPORT_BROWSER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sortline::testing {

struct PageLoad {
  int exit_code = -1;
  std::string dom;                   // the DOM after the load event (--dump-dom)
  std::vector<std::string> console;  // every console message the page logged
  std::string log;                   // the browser's whole stderr, for failure messages
};

// Opens `html_path` (a file) in a `width` pixels wide window.
PageLoad LoadInChromium(const std::string& html_path, int width);

// Screenshot of the top `height` pixels of `html_path` in a `width` wide window into
// `png_path`; false when the browser failed.
bool ScreenshotInChromium(const std::string& html_path, int width, int height,
                          const std::string& png_path);

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
};

// The pixels of a PNG file; empty when it cannot be read.
std::optional<Image> ReadPng(const std::string& path);

struct Box {
  std::string id;
  int x = 0;
  int y = 0;
  int w = 0;
  int h = 0;
};

// The boxes a report page published in <body data-boxes="..."> (pipeline/report/html.h).
std::vector<Box> PageBoxes(const std::string& dom);

// The value of an attribute of <body> in `dom`, "" when absent.
std::string BodyAttribute(const std::string& dom, const std::string& name);

struct Ink {
  long pixels = 0;    // pixels in the box
  long marked = 0;    // pixels that are not near-white background
  long coloured = 0;  // pixels near one of the report's series colours
};

// What is drawn inside `box` of `image` (clipped to the image).
Ink InkIn(const Image& image, const Box& box);

}  // namespace sortline::testing

#endif  // TESTS_REPORT_BROWSER_H_
