#include "pipeline/dock/config.h"

#include <charconv>
#include <functional>
#include <string_view>
#include <vector>

#include "pipeline/base/text.h"
#include "pipeline/model/csv.h"

namespace sortline::dock {
namespace {

// Problems may quote a cell: echoed (pipeline/base/text.h), one short line of UTF-8.
Status LineError(const std::string& path, size_t line, const std::string& problem) {
  return InvalidArgument(Echo(path + ":" + std::to_string(line) + ": " + problem, 300));
}

// Parses an unsigned number; empty gives `fallback`.
bool ParseNumber(const std::string& text, double fallback, double* out) {
  if (text.empty()) {
    *out = fallback;
    return true;
  }
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && *out >= 0;
}

Result<v1::ChuteKind> ParseKind(const std::string& text) {
  if (text.empty() || text == "normal") return v1::CHUTE_NORMAL;
  if (text == "overflow") return v1::CHUTE_OVERFLOW;
  if (text == "no_read" || text == "reject") return v1::CHUTE_NO_READ;
  if (text == "no_order" || text == "no_rule") return v1::CHUTE_NO_ORDER;
  if (text == "manual") return v1::CHUTE_MANUAL;
  return InvalidArgument("unknown chute kind \"" + text +
                         "\" (normal, overflow, no_read, no_order, manual)");
}

Status CheckHeader(const model::CsvRow& row, const std::vector<std::string>& expected,
                   const std::string& path) {
  if (row.fields != expected) {
    std::string want;
    for (const std::string& name : expected) want += (want.empty() ? "" : ",") + name;
    return LineError(path, row.line, "expected the header " + want);
  }
  return Status::Ok();
}

// Reads the table at `path`: checks its header row against `header` and every other
// row's field count, and hands each data row to `on_row`.
Status ReadTable(const std::string& path, const std::vector<std::string>& header,
                 const std::function<Status(const model::CsvRow&)>& on_row) {
  bool first = true;
  return model::ReadCsvFile(path, [&](const model::CsvRow& row) -> Status {
    if (first) {
      first = false;
      return CheckHeader(row, header, path);
    }
    if (row.fields.size() != header.size()) {
      return LineError(path, row.line, "expected " + std::to_string(header.size()) + " fields");
    }
    return on_row(row);
  });
}

}  // namespace

Status LoadChutesCsv(const std::string& path, DockConfig* config) {
  const std::vector<std::string> header = {"chute", "kind", "capacity", "overflow", "exit"};
  return ReadTable(path, header, [&](const model::CsvRow& row) -> Status {
    v1::ChuteConfig chute;
    chute.set_name(row.fields[0]);
    if (chute.name().empty()) return LineError(path, row.line, "empty chute name");
    Result<v1::ChuteKind> kind = ParseKind(row.fields[1]);
    if (!kind.ok()) return LineError(path, row.line, kind.status().message());
    chute.set_kind(*kind);
    double capacity = 0;
    double exit = 0;
    if (!ParseNumber(row.fields[2], 0, &capacity) || capacity > 1e6) {
      return LineError(path, row.line, "capacity must be a whole number of parcels");
    }
    if (!ParseNumber(row.fields[4], 0, &exit) || exit > 254) {
      return LineError(path, row.line, "exit must be 1..254");
    }
    chute.set_capacity(static_cast<uint32_t>(capacity));
    chute.set_overflow(row.fields[3]);
    chute.set_exit_number(static_cast<uint32_t>(exit));
    if (config->chutes.count(chute.name()) > 0) {
      return LineError(path, row.line, "chute " + chute.name() + " listed twice");
    }
    config->chutes[chute.name()] = std::move(chute);
    return Status::Ok();
  });
}

Status LoadDoorsCsv(const std::string& path, DockConfig* config) {
  const std::vector<std::string> header = {"door", "routes", "max_weight_kg", "max_volume_m3",
                                           "departure_min"};
  return ReadTable(path, header, [&](const model::CsvRow& row) -> Status {
    v1::DoorConfig door;
    door.set_door(row.fields[0]);
    if (door.door().empty()) return LineError(path, row.line, "empty door");
    std::string_view routes = row.fields[1];
    while (!routes.empty()) {
      size_t cut = routes.find(';');
      std::string_view route = routes.substr(0, cut);
      if (!route.empty()) door.add_routes(std::string(route));
      routes = cut == std::string_view::npos ? std::string_view() : routes.substr(cut + 1);
    }
    double weight_kg = 0;
    double volume_m3 = 0;
    double departure_min = 0;
    if (!ParseNumber(row.fields[2], 0, &weight_kg) || !ParseNumber(row.fields[3], 0, &volume_m3) ||
        !ParseNumber(row.fields[4], 0, &departure_min)) {
      return LineError(path, row.line, "capacities and departure must be non-negative numbers");
    }
    door.set_truck_max_weight_g(static_cast<int64_t>(weight_kg * 1000));
    door.set_truck_max_volume_cm3(static_cast<int64_t>(volume_m3 * 1'000'000));
    door.set_departure_every_s(static_cast<int64_t>(departure_min * 60));
    if (config->doors.count(door.door()) > 0) {
      return LineError(path, row.line, "door " + door.door() + " listed twice");
    }
    config->doors[door.door()] = std::move(door);
    return Status::Ok();
  });
}

uint32_t ExitNumber(const DockConfig& config, const std::string& chute) {
  auto it = config.chutes.find(chute);
  if (it != config.chutes.end() && it->second.exit_number() > 0) return it->second.exit_number();
  size_t digits = chute.size();
  while (digits > 0 && chute[digits - 1] >= '0' && chute[digits - 1] <= '9') --digits;
  if (digits == chute.size() || chute.size() - digits > 6) return 0;
  uint32_t number = static_cast<uint32_t>(std::stoul(chute.substr(digits)));
  return number >= 1 && number <= 254 ? number : 0;
}

}  // namespace sortline::dock
