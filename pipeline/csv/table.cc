#include "pipeline/csv/table.h"

#include <algorithm>

#include "pipeline/base/text.h"

namespace sortline::csv {

std::string Where(std::string_view source, size_t line, size_t column) {
  std::string out(source);
  out += ':';
  out += std::to_string(line);
  if (column > 0) {
    out += ':';
    out += std::to_string(column);
  }
  out += ": ";
  return out;
}

Header::Header(std::string_view source, std::string_view table, std::span<const Column> columns,
               const CsvRow& row, Unknown unknown, std::vector<std::string>* problems)
    : source_(source), columns_(columns), field_(columns.size(), -1), line_(row.line) {
  for (size_t i = 0; i < row.fields.size(); ++i) {
    auto it = std::find_if(columns.begin(), columns.end(),
                           [&](const Column& c) { return c.name == row.fields[i]; });
    if (it == columns.end()) {
      if (unknown == Unknown::kProblem) {
        complete_ = false;
        problems->push_back(Where(source, line_, i + 1) + "unknown column \"" + row.fields[i] +
                            "\" in a " + std::string(table) + " table");
      }
      continue;
    }
    int& field = field_[static_cast<size_t>(it - columns.begin())];
    if (field < 0) field = static_cast<int>(i);
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (!columns[c].required || field_[c] >= 0) continue;
    complete_ = false;
    problems->push_back(Where(source, line_, 1) + "the " + std::string(table) +
                        " table needs a column \"" + std::string(columns[c].name) + "\"");
  }
}

size_t Header::field_number(size_t column) const {
  return static_cast<size_t>(std::max(field_[column], 0)) + 1;
}

size_t Header::width() const {
  const int last = field_.empty() ? -1 : *std::max_element(field_.begin(), field_.end());
  return static_cast<size_t>(last + 1);
}

std::string_view Row::operator[](size_t column) const {
  const int field = header_.field_[column];
  if (field < 0 || static_cast<size_t>(field) >= row_.fields.size()) return {};
  return row_.fields[static_cast<size_t>(field)];
}

std::string Row::At(size_t column) const {
  return Where(header_.source(), row_.line, header_.field_number(column));
}

void Row::Problem(size_t column, std::string_view what) {
  problems_->push_back(At(column) + std::string(what));
}

std::optional<int64_t> Row::Integer(size_t column, int64_t min, int64_t max,
                                    std::string_view expected) {
  const std::string_view text = (*this)[column];
  const std::optional<int64_t> value = ParseInteger(text);
  if (value.has_value() && *value >= min && *value <= max) return value;
  Problem(column, std::string(header_.name(column)) + " \"" + std::string(text) + "\" is not " +
                      std::string(expected));
  return std::nullopt;
}

std::optional<int64_t> Row::PositiveDecimal(size_t column, int64_t scale) {
  const std::string_view text = (*this)[column];
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  const std::optional<uint64_t> units = ParseDigits(whole);
  std::optional<uint64_t> part = fraction.empty() ? 0 : ParseDigits(fraction);
  // Nine digits before the point keep units * scale well inside int64_t.
  if (units.has_value() && whole.size() <= 9 && part.has_value() && fraction.size() <= 3 &&
      !(dot != std::string_view::npos && fraction.empty())) {
    int64_t unit = scale;
    for (size_t i = 0; i < fraction.size(); ++i) unit /= 10;
    const int64_t value = static_cast<int64_t>(*units) * scale + static_cast<int64_t>(*part) * unit;
    if (value > 0) return value;
  }
  Problem(column, std::string(header_.name(column)) + " \"" + std::string(text) +
                      "\" is not a positive number");
  return std::nullopt;
}

}  // namespace sortline::csv
