// The dock at a festival day's scale (issue 14): the memory its decision index takes
// per parcel, measured as the growth of the process's resident memory while N records
// are indexed, and how long a dock restarted on a store of N records takes until it
// answers its first scan.
//
//   dock_scale_bench [--index 1000000,10000000] [--restart 10000000] [--dir /tmp]
//                    [--store PATH]
//
// Prints one line per measurement, with the CPU time next to the wall time (the machine
// may be shared). The store for --restart is made in a temporary directory under --dir
// and removed afterwards (10 M records take ~2 GB); with --store it is made there once
// and kept, and a later run restarts on it as it is.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <sys/resource.h>
#include <unistd.h>

#include "pipeline/base/clock.h"
#include "pipeline/dock/engine.h"
#include "pipeline/runtime/dock.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"

namespace sortline {
namespace {

using Steady = std::chrono::steady_clock;

// Resident memory of this process in bytes (VmRSS).
uint64_t ResidentBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

// CPU seconds this process has used, all threads.
double CpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

v1::SortRecord MakeRecord(uint64_t i) {
  v1::SortRecord record;
  char text[32];
  std::snprintf(text, sizeof(text), "EA%09lluCN", static_cast<unsigned long long>(i));
  record.set_tracking_number(text);
  record.set_order_id("JD919-" + std::to_string(i));
  std::snprintf(text, sizeof(text), "C%03llu", static_cast<unsigned long long>(1 + i % 57));
  record.set_chute(text);
  std::snprintf(text, sizeof(text), "D%02llu", static_cast<unsigned long long>(1 + i % 13));
  record.set_dock_door(text);
  record.set_route("R-" + std::to_string(i % 40));
  record.set_sort_code("710-00-01");
  record.set_weight_g(static_cast<int32_t>(300 + i % 20'000));
  record.set_outcome(v1::OUTCOME_SORTED);
  record.set_plan_version("7cd22f57fdb4b9bd");
  return record;
}

void MeasureIndex(uint64_t records) {
  const uint64_t before = ResidentBytes();
  const Steady::time_point began = Steady::now();
  {
    std::unique_ptr<dock::Engine> engine = dock::Engine::Create(dock::DockConfig{}, SystemClock());
    dock::IndexedRecord item;
    for (uint64_t i = 0; i < records; ++i) {
      dock::ToIndexed(MakeRecord(i), &item);
      engine->AddRecord(item);
    }
    const double seconds = std::chrono::duration<double>(Steady::now() - began).count();
    const uint64_t after = ResidentBytes();
    std::printf(
        "index %llu records: resident memory grew %.1f MB = %.1f bytes a record (slot tables "
        "%.1f bytes a record); %.2f s, %.0f records/s\n",
        static_cast<unsigned long long>(records), static_cast<double>(after - before) / 1e6,
        static_cast<double>(after - before) / static_cast<double>(records),
        static_cast<double>(engine->index().table_bytes()) / static_cast<double>(records), seconds,
        static_cast<double>(records) / seconds);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the old tables are freed
}

int MeasureRestart(uint64_t records, const std::string& parent, const std::string& kept) {
  const std::string dir = kept.empty() ? parent + "/dock-scale-" + std::to_string(::getpid())
                                       : std::filesystem::path(kept).parent_path().string();
  std::filesystem::create_directories(dir);
  const std::string db = kept.empty() ? dir + "/dock.db" : kept;
  if (!std::filesystem::exists(db)) {
    store::DockStoreOptions options;
    options.synchronous_full = false;
    auto store = store::DockStore::Open(db, options);
    if (!store.ok()) {
      std::fprintf(stderr, "dock_scale_bench: %s\n", store.status().ToString().c_str());
      return 2;
    }
    const Steady::time_point began = Steady::now();
    v1::RecordBatch batch;
    for (uint64_t i = 0; i < records;) {
      batch.Clear();
      batch.set_sequence(i);
      for (int n = 0; n < 20'000 && i < records; ++n, ++i) *batch.add_records() = MakeRecord(i);
      Result<v1::RecordsStored> stored = (*store)->Store(batch);
      if (!stored.ok()) {
        std::fprintf(stderr, "dock_scale_bench: %s\n", stored.status().ToString().c_str());
        return 2;
      }
    }
    std::printf("store of %llu records made in %.1f s (%.2f GB)\n",
                static_cast<unsigned long long>(records),
                std::chrono::duration<double>(Steady::now() - began).count(),
                static_cast<double>(std::filesystem::file_size(db)) / 1e9);
  }
  auto context = transport::Context::Create().value();
  runtime::DockOptions options;
  options.records_endpoint = "inproc://scale-records";
  options.conveyor_endpoint = "inproc://scale-conveyor";
  options.store_path = db;
  options.manifest_dir = dir + "/manifests";
  const uint64_t before = ResidentBytes();
  const double cpu_before = CpuSeconds();
  const Steady::time_point began = Steady::now();
  auto dock = runtime::Dock::Open(*context, options);
  if (!dock.ok()) {
    std::fprintf(stderr, "dock_scale_bench: %s\n", dock.status().ToString().c_str());
    return 2;
  }
  std::thread runner([&] { (void)(*dock)->Run(); });
  auto scanner = transport::ClientChannel::Connect(*context, options.conveyor_endpoint).value();
  v1::ConveyorMessage ask;
  ask.mutable_sort_request()->set_scanner_id("bench");
  ask.mutable_sort_request()->set_transaction_id(1);
  ask.mutable_sort_request()->add_barcodes(MakeRecord(records - 1).tracking_number());
  std::string chute;
  if (scanner->Send(transport::Encode(ask)).ok()) {
    auto in = scanner->Receive(std::chrono::milliseconds(60'000));
    if (in.ok() && in->has_value()) {
      chute = transport::Decode<v1::ConveyorMessage>(**in)->sort_response().chute();
    }
  }
  const double seconds = std::chrono::duration<double>(Steady::now() - began).count();
  std::printf(
      "restart on %llu records: first answer (%s) after %.1f s, %.1f s of CPU (index rebuilt in "
      "%.1f s); resident memory grew %.0f MB\n",
      static_cast<unsigned long long>(records), chute.c_str(), seconds, CpuSeconds() - cpu_before,
      (*dock)->open_seconds(), static_cast<double>(ResidentBytes() - before) / 1e6);
  (*dock)->RequestStop();
  runner.join();
  scanner.reset();
  dock->reset();
  if (kept.empty()) std::filesystem::remove_all(dir);
  return chute.empty() ? 1 : 0;
}

int Main(int argc, char** argv) {
  std::vector<uint64_t> index = {1'000'000, 10'000'000};
  uint64_t restart = 10'000'000;
  std::string dir = "/tmp";
  std::string kept;
  CLI::App app{"dock_scale_bench: the dock's index memory per parcel and its restart time"};
  app.add_option("--index", index, "Record counts to index, measuring memory")->delimiter(',');
  app.add_option("--restart", restart, "Records in the store of the restart (0: none)");
  app.add_option("--dir", dir, "Where the restart's store is made");
  app.add_option("--store", kept, "Restart on this store (made there first when missing; kept)");
  CLI11_PARSE(app, argc, argv);
  for (uint64_t records : index) MeasureIndex(records);
  return restart > 0 ? MeasureRestart(restart, dir, kept) : 0;
}

}  // namespace
}  // namespace sortline

int main(int argc, char** argv) { return sortline::Main(argc, argv); }
