#include "tests/report/browser.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <sstream>

#include <png.h>

#include "tests/testing/process.h"
#include "tests/testing/testing.h"

namespace sortline::testing {
namespace {

// The flags that work on these machines: no sandbox (root), no GPU, nothing fetched
// from the network, a fresh profile per call.
std::string Chromium(const TempDir& profile, int width, int height) {
  return "timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic "
         "--no-first-run --disable-background-networking --disable-component-update "
         "--disable-sync --hide-scrollbars --user-data-dir='" +
         profile.path().string() + "' --window-size=" + std::to_string(width) + "," +
         std::to_string(height) + " ";
}

std::string Unescape(std::string s) {
  const std::pair<const char*, const char*> entities[] = {
      {"&quot;", "\""}, {"&lt;", "<"}, {"&gt;", ">"}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [from, to] : entities) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + 1)) {
      s.replace(at, std::string(from).size(), to);
    }
  }
  return s;
}

}  // namespace

PageLoad LoadInChromium(const std::string& html_path, int width) {
  TempDir profile;
  TempDir logs;  // not in the profile, which the browser manages itself
  const std::string log = logs.file("chromium.log");
  PageLoad load;
  // In a subshell, so that RunCommand's own 2>&1 leaves the browser's stderr in `log`.
  CommandResult run = RunCommand("(" + Chromium(profile, width, 800) +
                                 "--enable-logging=stderr --v=0 --dump-dom 'file://" + html_path +
                                 "' 2>'" + log + "')");
  load.exit_code = run.exit_code;
  load.dom = run.output;
  load.log = ReadFile(log);
  // Console messages are logged as `...:INFO:CONSOLE:12] "message", source: ... (12)`
  // (CONSOLE(12) in older versions), whatever their level.
  std::istringstream lines(load.log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(":CONSOLE") != std::string::npos) load.console.push_back(line);
  }
  return load;
}

bool ScreenshotInChromium(const std::string& html_path, int width, int height,
                          const std::string& png_path) {
  TempDir profile;
  CommandResult run = RunCommand("(" + Chromium(profile, width, height) + "--screenshot='" +
                                 png_path + "' 'file://" + html_path + "' 2>/dev/null)");
  return run.exit_code == 0;
}

std::optional<Image> ReadPng(const std::string& path) {
  png_image png{};
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str())) return std::nullopt;
  png.format = PNG_FORMAT_RGB;
  Image image;
  image.width = static_cast<int>(png.width);
  image.height = static_cast<int>(png.height);
  image.rgb.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, image.rgb.data(), 0, nullptr)) {
    png_image_free(&png);
    return std::nullopt;
  }
  return image;
}

std::vector<Box> PageBoxes(const std::string& dom) {
  // [{"id":"chart-x","x":1,"y":2,"w":3,"h":4},...]
  const std::string json = Unescape(BodyAttribute(dom, "data-boxes"));
  std::vector<Box> boxes;
  for (size_t at = json.find("{\"id\":\""); at != std::string::npos;
       at = json.find("{\"id\":\"", at + 1)) {
    Box box;
    const size_t id = at + 7;
    box.id = json.substr(id, json.find('"', id) - id);
    const std::pair<const char*, int*> fields[] = {
        {"\"x\":", &box.x}, {"\"y\":", &box.y}, {"\"w\":", &box.w}, {"\"h\":", &box.h}};
    for (const auto& [key, value] : fields) {
      const size_t k = json.find(key, at);
      if (k != std::string::npos) *value = std::atoi(json.c_str() + k + 4);
    }
    boxes.push_back(box);
  }
  return boxes;
}

std::string BodyAttribute(const std::string& dom, const std::string& name) {
  const size_t body = dom.find("<body");
  if (body == std::string::npos) return "";
  const size_t end = dom.find('>', body);
  const std::string tag = dom.substr(body, end - body);
  const std::string key = " " + name + "=\"";
  const size_t at = tag.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return tag.substr(start, tag.find('"', start) - start);
}

Ink InkIn(const Image& image, const Box& box) {
  // The series colours of pipeline/report/chart.cc (Paul Tol's bright scheme).
  static constexpr int kColours[][3] = {{0x44, 0x77, 0xAA}, {0xEE, 0x66, 0x77}, {0x22, 0x88, 0x33},
                                        {0xCC, 0xBB, 0x44}, {0x66, 0xCC, 0xEE}, {0xAA, 0x33, 0x77}};
  Ink ink;
  const int x0 = std::max(0, box.x), y0 = std::max(0, box.y);
  const int x1 = std::min(image.width, box.x + box.w), y1 = std::min(image.height, box.y + box.h);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      const uint8_t* p = &image.rgb[(static_cast<size_t>(y) * image.width + x) * 3];
      ++ink.pixels;
      if (p[0] < 235 || p[1] < 235 || p[2] < 235) ++ink.marked;
      for (const auto& c : kColours) {
        // Bars are filled at 85 % opacity over white, so allow for the lighter tint.
        if (std::abs(p[0] - c[0]) < 40 && std::abs(p[1] - c[1]) < 40 &&
            std::abs(p[2] - c[2]) < 40) {
          ++ink.coloured;
          break;
        }
      }
    }
  }
  return ink;
}

}  // namespace sortline::testing
