// Internal to runtime::Dock: how its threads hand things to each other without the
// deciding thread ever waiting.
//
// Handoff<T> is a batch queue under a mutex that is held only to move a vector. The
// deciding thread uses only TryPut/TryTake: when the other side holds the lock (for the
// time of a swap), it keeps its items and tries again on its next turn, so its time per
// turn is bounded whatever the other threads do. The other threads use Put/Take, which
// may wait that long.
//
// Wakeup is an eventfd: one thread signals, another polls its descriptor (zmq_poll
// takes raw descriptors next to ZeroMQ sockets).
//
// DockHealth is what the threads share about the store: the first fatal failure, and
// which of them finds the store refusing writes.
//
// Thread-safety: all three are thread-safe as described.
#ifndef PIPELINE_RUNTIME_INTERNAL_DOCK_HANDOFF_H_
#define PIPELINE_RUNTIME_INTERNAL_DOCK_HANDOFF_H_

#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/base/file.h"
#include "pipeline/base/result.h"
#include "pipeline/base/thread_annotations.h"

namespace sortline::runtime::internal {

template <typename T>
class Handoff {
 public:
  // Moves `items` to the end of the queue (they are left empty). May wait for the lock.
  void Put(std::vector<T>& items) {
    if (items.empty()) return;
    MutexLock lock(mu_);
    Append(items);
  }
  // As Put when the lock is free at once; otherwise false and `items` unchanged.
  bool TryPut(std::vector<T>& items) {
    if (items.empty()) return true;
    if (!mu_.TryLock()) return false;
    Append(items);
    mu_.Unlock();
    return true;
  }
  // Moves everything queued to `out`, which must be empty. May wait for the lock.
  void Take(std::vector<T>& out) {
    MutexLock lock(mu_);
    out.swap(items_);
    size_.store(0, std::memory_order_relaxed);
  }
  // As Take when the lock is free at once; otherwise false.
  bool TryTake(std::vector<T>& out) {
    if (!mu_.TryLock()) return false;
    out.swap(items_);
    size_.store(0, std::memory_order_relaxed);
    mu_.Unlock();
    return true;
  }
  // Items queued (a hint: it may change at once).
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  void Append(std::vector<T>& items) REQUIRES(mu_) {
    if (items_.empty()) {
      items_.swap(items);
    } else {
      for (T& item : items) items_.push_back(std::move(item));
      items.clear();
    }
    size_.store(items_.size(), std::memory_order_relaxed);
  }

  Mutex mu_;
  std::vector<T> items_ GUARDED_BY(mu_);
  std::atomic<size_t> size_{0};
};

class Wakeup {
 public:
  // kIoError when no eventfd can be made.
  static Result<Wakeup> Create();
  void Signal();
  // Reads the pending signals away, so the descriptor polls quiet again.
  void Clear();
  int fd() const { return fd_.get(); }

 private:
  explicit Wakeup(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

class DockHealth {
 public:
  enum Writer { kRecords = 1, kEvents = 2 };
  // Records the first fatal failure; later ones are dropped. False when one was
  // recorded already.
  bool Fail(Status status);
  bool ok() const { return ok_.load(); }
  Status status() const;
  // Whether `writer` finds the store refusing writes; returns whether any writer does.
  bool SetStalled(Writer writer, bool stalled);

 private:
  std::atomic<bool> ok_{true};
  mutable Mutex mu_;
  Status status_ GUARDED_BY(mu_);
  std::atomic<int> stalled_{0};
};

// A store refusal that may pass (disk full, busy, I/O trouble short of a failed write or
// flush): the work is kept and retried. Anything else, data loss above all, is fatal.
inline bool MayPass(const Status& status) {
  return status.code() == StatusCode::kResourceExhausted ||
         status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kIoError;
}

// Names the calling thread and lowers its priority below the decision thread's (see the
// definition for why).
void LowerThreadPriority(const char* name);

}  // namespace sortline::runtime::internal

#endif  // PIPELINE_RUNTIME_INTERNAL_DOCK_HANDOFF_H_
