#include "pipeline/sort/plan_holder.h"

#include <filesystem>
#include <system_error>
#include <utility>

namespace sortline::sort {

PlanReloader::PlanReloader(std::vector<std::string> paths, const model::DivisionTable* divisions,
                           PlanHolder& holder, ReloaderOptions options)
    : paths_(std::move(paths)),
      divisions_(divisions),
      holder_(holder),
      options_(std::move(options)),
      loaded_stamp_(Stamp()) {
  if (options_.poll_interval.count() > 0) watcher_ = std::thread([this] { Watch(); });
}

PlanReloader::~PlanReloader() {
  {
    MutexLock lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
}

std::string PlanReloader::Stamp() const {
  namespace fs = std::filesystem;
  Result<std::vector<std::string>> files = SortPlan::ListFiles(paths_);
  if (!files.ok()) return "unreadable: " + files.status().message();
  std::string stamp;
  for (const std::string& file : *files) {
    std::error_code ec;
    auto size = fs::file_size(file, ec);
    auto mtime = fs::last_write_time(file, ec);
    stamp += file + '\t' + std::to_string(ec ? 0 : size) + '\t' +
             std::to_string(ec ? 0 : mtime.time_since_epoch().count()) + '\n';
  }
  return stamp;
}

Status PlanReloader::Reload() {
  MutexLock lock(reload_mu_);
  loaded_stamp_ = Stamp();
  Result<std::unique_ptr<SortPlan>> plan = SortPlan::LoadFiles(paths_, divisions_);
  if (!plan.ok()) {
    if (options_.log) {
      options_.log(LogLevel::kError, "plan",
                   "sort plan reload refused, still serving " + holder_.Get()->version() + ":\n" +
                       plan.status().message());
    }
    return plan.status();
  }
  const std::string old_version = holder_.Get()->version();
  if ((*plan)->version() == old_version) return Status::Ok();
  std::shared_ptr<const SortPlan> fresh(std::move(plan).value());
  const std::string line = "sort plan " + fresh->version() + " (" +
                           std::to_string(fresh->rule_count()) + " rules) replaces " + old_version;
  holder_.Set(std::move(fresh));
  if (options_.log) options_.log(LogLevel::kInfo, "plan", line);
  return Status::Ok();
}

bool PlanReloader::WaitForStop(std::chrono::milliseconds period) {
  const auto deadline = std::chrono::steady_clock::now() + period;
  MutexLock lock(stop_mu_);
  while (!stop_ && stop_cv_.wait_until(lock.native(), deadline) != std::cv_status::timeout) {
  }
  return stop_;
}

void PlanReloader::Watch() {
  while (!WaitForStop(options_.poll_interval)) {
    std::string stamp = Stamp();
    bool changed = false;
    {
      MutexLock reload_lock(reload_mu_);
      changed = stamp != loaded_stamp_;
    }
    if (changed) (void)Reload();
  }
}

}  // namespace sortline::sort
