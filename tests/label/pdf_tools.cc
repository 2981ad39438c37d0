#include "tests/label/pdf_tools.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include <sys/wait.h>

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

std::vector<std::string> DecodeSymbols(const std::string& pdf) {
  sortline::testing::TempDir dir;
  const std::string path = WritePdf(dir, pdf);
  const std::string png_prefix = dir.file("page");
  std::vector<std::string> symbols;
  if (RunCommand("pdftoppm -r 300 -png -singlefile '" + path + "' '" + png_prefix + "'")
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

CommandResult ExtractText(const std::string& pdf) {
  sortline::testing::TempDir dir;
  const std::string path = WritePdf(dir, pdf);
  return RunCommand("pdftotext -enc UTF-8 -layout '" + path + "' -");
}

long InkInBox(const std::string& pdf, const internal::Box& box, int dpi) {
  sortline::testing::TempDir dir;
  const std::string path = WritePdf(dir, pdf);
  const double px_per_mm = dpi / 25.4;
  const long x = std::lround(box.x * px_per_mm);
  const long y = std::lround(box.y * px_per_mm);
  const long w = std::lround(box.w * px_per_mm);
  const long h = std::lround(box.h * px_per_mm);
  const std::string prefix = dir.file("crop");
  const std::string command = "pdftoppm -gray -singlefile -r " + std::to_string(dpi) + " -x " +
                              std::to_string(x) + " -y " + std::to_string(y) + " -W " +
                              std::to_string(w) + " -H " + std::to_string(h) + " '" + path + "' '" +
                              prefix + "'";
  if (RunCommand(command).exit_code != 0) return -1;
  const std::string pgm = ReadFile(prefix + ".pgm");
  // Binary PGM: "P5" width height maxval, each separated by whitespace, then pixels.
  std::istringstream header(pgm);
  std::string magic;
  long width = 0;
  long height = 0;
  int maxval = 0;
  header >> magic >> width >> height >> maxval;
  if (magic != "P5" || maxval != 255 || width != w || height != h) return -1;
  const auto offset = static_cast<size_t>(header.tellg()) + 1;
  if (pgm.size() != offset + static_cast<size_t>(width * height)) return -1;
  return std::count_if(pgm.begin() + static_cast<long>(offset), pgm.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 128; });
}

}  // namespace sortline::label::tools
