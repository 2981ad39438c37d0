#include "tests/label/pdf_tools.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include <sys/wait.h>
#include <zint.h>

#include "tests/testing/testing.h"

namespace sortline::label::tools {
namespace {

std::string WritePdf(const sortline::testing::TempDir& dir, const std::string& pdf) {
  const std::string path = dir.file("label.pdf");
  std::ofstream(path, std::ios::binary) << pdf;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Pixels darker than mid-grey in a binary 8-bit PGM of `w` x `h` (any size when `w` is
// negative); -1 when `pgm` is not one.
long DarkPixels(const std::string& pgm, long w, long h) {
  // Binary PGM: "P5" width height maxval, each separated by whitespace, then pixels.
  std::istringstream header(pgm);
  std::string magic;
  long width = 0;
  long height = 0;
  int maxval = 0;
  header >> magic >> width >> height >> maxval;
  if (magic != "P5" || maxval != 255) return -1;
  if (w >= 0 && (width != w || height != h)) return -1;
  const auto offset = static_cast<size_t>(header.tellg()) + 1;
  if (pgm.size() != offset + static_cast<size_t>(width * height)) return -1;
  return std::count_if(pgm.begin() + static_cast<long>(offset), pgm.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 128; });
}

}  // namespace

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>/dev/null").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::vector<std::string> DecodeSymbols(const std::string& pdf, int dpi) {
  sortline::testing::TempDir dir;
  const std::string path = WritePdf(dir, pdf);
  const std::string png_prefix = dir.file("page");
  std::vector<std::string> symbols;
  if (RunCommand("pdftoppm -r " + std::to_string(dpi) + " -png -singlefile '" + path + "' '" +
                 png_prefix + "'")
          .exit_code != 0) {
    return symbols;
  }
  const CommandResult decoded = RunCommand("zbarimg -q '" + png_prefix + ".png'");
  std::istringstream lines(decoded.output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) symbols.push_back(line);
  }
  std::sort(symbols.begin(), symbols.end());
  return symbols;
}

std::vector<std::vector<std::string>> DecodeSymbolsPerPage(const std::string& pdf, int dpi) {
  sortline::testing::TempDir dir;
  const std::string path = WritePdf(dir, pdf);
  std::vector<std::vector<std::string>> pages;
  if (RunCommand("pdftoppm -r " + std::to_string(dpi) + " -png '" + path + "' '" +
                 dir.file("page") + "'")
          .exit_code != 0) {
    return pages;
  }
  std::vector<std::string> images;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".png") images.push_back(entry.path().string());
  }
  std::sort(images.begin(), images.end());  // pdftoppm pads page numbers to one width
  for (const std::string& image : images) {
    const CommandResult decoded = RunCommand("zbarimg -q '" + image + "'");
    std::vector<std::string> symbols;
    std::istringstream lines(decoded.output);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) symbols.push_back(line);
    }
    std::sort(symbols.begin(), symbols.end());
    pages.push_back(std::move(symbols));
  }
  return pages;
}

int CountImages(const std::string& pdf) {
  sortline::testing::TempDir dir;
  const CommandResult listed = RunCommand("pdfimages -list '" + WritePdf(dir, pdf) + "'");
  if (listed.exit_code != 0) return -1;
  // Two header lines ("page num type ...", "-----"), then one line per image.
  int lines = 0;
  std::istringstream in(listed.output);
  for (std::string line; std::getline(in, line);) lines += line.empty() ? 0 : 1;
  return lines < 2 ? -1 : lines - 2;
}

CommandResult CheckWithQpdf(const std::string& pdf) {
  sortline::testing::TempDir dir;
  return RunCommand("qpdf --check '" + WritePdf(dir, pdf) + "'");
}

std::string ExtractPageWithQpdf(const std::string& pdf, int page) {
  sortline::testing::TempDir dir;
  const std::string cut = dir.file("page.pdf");
  if (RunCommand("qpdf --empty --pages '" + WritePdf(dir, pdf) + "' " + std::to_string(page) +
                 " -- '" + cut + "'")
          .exit_code != 0) {
    return "";
  }
  return ReadFile(cut);
}

std::vector<std::vector<bool>> ZintModules(int symbology, const std::string& data, int option_3) {
  std::unique_ptr<zint_symbol, void (*)(zint_symbol*)> symbol(ZBarcode_Create(), ZBarcode_Delete);
  symbol->symbology = symbology;
  symbol->input_mode = DATA_MODE;
  if (symbology == BARCODE_QRCODE) symbol->option_1 = 2;  // error correction level M
  symbol->option_3 = option_3;
  std::vector<std::vector<bool>> modules;
  if (ZBarcode_Encode(symbol.get(), reinterpret_cast<const unsigned char*>(data.data()),
                      static_cast<int>(data.size())) >= ZINT_ERROR) {
    return modules;
  }
  modules.assign(static_cast<size_t>(symbol->rows),
                 std::vector<bool>(static_cast<size_t>(symbol->width)));
  for (int r = 0; r < symbol->rows; ++r) {
    for (int c = 0; c < symbol->width; ++c) {
      modules[static_cast<size_t>(r)][static_cast<size_t>(c)] =
          (symbol->encoded_data[r][c / 8] >> (c % 8)) & 1;
    }
  }
  return modules;
}

CommandResult ExtractText(const std::string& pdf) {
  sortline::testing::TempDir dir;
  const std::string path = WritePdf(dir, pdf);
  return RunCommand("pdftotext -enc UTF-8 -layout '" + path + "' -");
}

long InkInBox(const std::string& pdf, const internal::Box& box, int dpi, int page) {
  sortline::testing::TempDir dir;
  const std::string path = WritePdf(dir, pdf);
  const double px_per_mm = dpi / 25.4;
  const long x = std::lround(box.x * px_per_mm);
  const long y = std::lround(box.y * px_per_mm);
  const long w = std::lround(box.w * px_per_mm);
  const long h = std::lround(box.h * px_per_mm);
  const std::string prefix = dir.file("crop");
  const std::string command = "pdftoppm -gray -singlefile -f " + std::to_string(page) + " -r " +
                              std::to_string(dpi) + " -x " + std::to_string(x) + " -y " +
                              std::to_string(y) + " -W " + std::to_string(w) + " -H " +
                              std::to_string(h) + " '" + path + "' '" + prefix + "'";
  if (RunCommand(command).exit_code != 0) return -1;
  return DarkPixels(ReadFile(prefix + ".pgm"), w, h);
}

long ReferenceInk(const std::string& text, double size_pt, const std::string& ttf_path, int dpi) {
  static constexpr char kScript[] = R"(import sys
from reportlab.pdfgen import canvas
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
text = open(sys.argv[1], encoding="utf-8").read()
size = float(sys.argv[2])
pdfmetrics.registerFont(TTFont("Ref", sys.argv[4]))
width = pdfmetrics.stringWidth(text, "Ref", size) + 2 * size
c = canvas.Canvas(sys.argv[3], pagesize=(width, 2 * size))
c.setFont("Ref", size)
c.drawString(size, 0.6 * size, text)
c.save()
)";
  sortline::testing::TempDir dir;
  std::ofstream(dir.file("ref.py")) << kScript;
  std::ofstream(dir.file("text.txt"), std::ios::binary) << text;
  if (RunCommand("/usr/bin/python3 '" + dir.file("ref.py") + "' '" + dir.file("text.txt") + "' " +
                 std::to_string(size_pt) + " '" + dir.file("ref.pdf") + "' '" + ttf_path + "'")
          .exit_code != 0) {
    return -1;
  }
  if (RunCommand("pdftoppm -gray -singlefile -r " + std::to_string(dpi) + " '" +
                 dir.file("ref.pdf") + "' '" + dir.file("ref") + "'")
          .exit_code != 0) {
    return -1;
  }
  return DarkPixels(ReadFile(dir.file("ref.pgm")), -1, -1);
}

}  // namespace sortline::label::tools
