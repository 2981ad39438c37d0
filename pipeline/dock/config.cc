#include "pipeline/dock/config.h"

#include <string_view>

namespace sortline::dock {

DockConfig ConfigFromPlan(const sort::SortPlan& plan, DockConfig base) {
  base.chutes.clear();
  base.doors.clear();
  base.planned = true;
  base.plan_version = plan.version();
  base.default_overflow.clear();
  base.manual_chute.clear();
  for (const v1::ChuteConfig& chute : plan.chutes()) {
    base.chutes[chute.name()] = chute;
    switch (chute.kind()) {
      case v1::CHUTE_NO_READ:
        base.no_read_chute = chute.name();
        break;
      case v1::CHUTE_NO_ORDER:
        base.no_order_chute = chute.name();
        break;
      case v1::CHUTE_MANUAL:
        base.manual_chute = chute.name();
        break;
      default:
        break;
    }
  }
  if (base.manual_chute.empty()) base.manual_chute = base.no_read_chute;
  for (const v1::DoorConfig& door : plan.doors()) base.doors[door.door()] = door;
  return base;
}

uint32_t ExitNumber(const DockConfig& config, const std::string& chute) {
  auto it = config.chutes.find(chute);
  if (it != config.chutes.end() && it->second.exit_number() > 0) return it->second.exit_number();
  if (config.planned) return 0;
  return sort::ExitFromChuteName(chute);
}

}  // namespace sortline::dock
