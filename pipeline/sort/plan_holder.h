// Serving a sort plan that can be replaced while orders are being assigned.
//
// PlanHolder is the current plan: readers take a shared_ptr snapshot (an order keeps the
// plan it started with, however long it takes), a reload swaps the pointer atomically.
// PlanReloader loads a plan from its files into a holder: on demand (SIGHUP) or when the
// files change (polled by a watcher thread). An invalid plan is refused with its errors
// and the holder keeps serving the old one.
//
// Thread-safety: PlanHolder and PlanReloader may be used from any number of threads.
#ifndef PIPELINE_SORT_PLAN_HOLDER_H_
#define PIPELINE_SORT_PLAN_HOLDER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/base/log.h"
#include "pipeline/base/result.h"
#include "pipeline/base/thread_annotations.h"
#include "pipeline/model/divisions.h"
#include "pipeline/sort/sort_plan.h"

namespace sortline::sort {

class PlanHolder {
 public:
  // REQUIRES: plan != nullptr.
  explicit PlanHolder(std::shared_ptr<const SortPlan> plan) : plan_(std::move(plan)) {}
  PlanHolder(const PlanHolder&) = delete;
  PlanHolder& operator=(const PlanHolder&) = delete;

  // The plan to assign with; never null.
  std::shared_ptr<const SortPlan> Get() const { return plan_.load(std::memory_order_acquire); }
  // REQUIRES: plan != nullptr.
  void Set(std::shared_ptr<const SortPlan> plan) {
    plan_.store(std::move(plan), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const SortPlan>> plan_;
};

struct ReloaderOptions {
  // How often the watcher thread compares the files' size and modification time; zero
  // starts no watcher (reload only on Reload()).
  std::chrono::milliseconds poll_interval{500};
  // Component "plan": "sort plan 1a2b... (120 rules) replaces ..." (info) and refused
  // reloads with their errors (error); null: silent.
  LogSink log;
};

class PlanReloader {
 public:
  // Starts watching `paths` (as SortPlan::LoadFiles takes them) for `holder`, whose plan
  // is taken to be the one the files hold now. `divisions` and `holder` are borrowed and
  // must outlive the reloader.
  PlanReloader(std::vector<std::string> paths, const model::DivisionTable* divisions,
               PlanHolder& holder, ReloaderOptions options);
  ~PlanReloader();  // stops and joins the watcher
  PlanReloader(const PlanReloader&) = delete;
  PlanReloader& operator=(const PlanReloader&) = delete;

  // Loads the plan now and swaps it in when it is valid and differs from the one served.
  // Returns the load's errors (the old plan stays), OK otherwise.
  Status Reload() EXCLUDES(reload_mu_);

 private:
  // Size and modification time of every plan file, and the file list itself.
  std::string Stamp() const;
  void Watch() EXCLUDES(stop_mu_, reload_mu_);
  // Waits up to `period`; true when Stop was asked for.
  bool WaitForStop(std::chrono::milliseconds period) EXCLUDES(stop_mu_);

  const std::vector<std::string> paths_;
  const model::DivisionTable* const divisions_;
  PlanHolder& holder_;
  const ReloaderOptions options_;
  Mutex reload_mu_;  // one reload at a time
  std::string loaded_stamp_ GUARDED_BY(reload_mu_);
  Mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ GUARDED_BY(stop_mu_) = false;
  std::thread watcher_;
};

}  // namespace sortline::sort

#endif  // PIPELINE_SORT_PLAN_HOLDER_H_
