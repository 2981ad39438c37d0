// Clang's thread-safety analysis (-Wthread-safety): macros that say which mutex guards
// which member and which lock a function needs, and Mutex / MutexLock, a std::mutex and
// its scoped lock that carry those annotations (libstdc++'s std::mutex carries none, so
// the analysis cannot see through std::lock_guard). With another compiler the macros
// expand to nothing and Mutex is a plain std::mutex.
//
// Use:
//   Mutex mu_;
//   int count_ GUARDED_BY(mu_) = 0;
//   void Bump() EXCLUDES(mu_) { MutexLock lock(mu_); ++count_; }
//   void BumpLocked() REQUIRES(mu_) { ++count_; }
// A condition variable waits on MutexLock::native() (std::unique_lock<std::mutex>); the
// analysis treats the mutex as held throughout the wait, which is what the code after
// the wait relies on.
//
// Thread-safety: Mutex and MutexLock are what std::mutex and std::unique_lock are.
#ifndef PIPELINE_BASE_THREAD_ANNOTATIONS_H_
#define PIPELINE_BASE_THREAD_ANNOTATIONS_H_

#include <mutex>

#if defined(__clang__)
#define SORTLINE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SORTLINE_THREAD_ANNOTATION(x)
#endif

// On a class: its objects are capabilities (locks) named `x` in diagnostics.
#define CAPABILITY(x) SORTLINE_THREAD_ANNOTATION(capability(x))
// On a class: an RAII object that holds a capability for its lifetime.
#define SCOPED_CAPABILITY SORTLINE_THREAD_ANNOTATION(scoped_lockable)
// On a member: read or written only with the given mutex held.
#define GUARDED_BY(x) SORTLINE_THREAD_ANNOTATION(guarded_by(x))
// On a pointer member: the pointee is read or written only with the mutex held.
#define PT_GUARDED_BY(x) SORTLINE_THREAD_ANNOTATION(pt_guarded_by(x))
// On a function: callers must hold the mutexes.
#define REQUIRES(...) SORTLINE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// On a function: callers must not hold the mutexes (it takes them itself).
#define EXCLUDES(...) SORTLINE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// On a function: it takes (ACQUIRE) or gives back (RELEASE) the mutexes.
#define ACQUIRE(...) SORTLINE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) SORTLINE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// On a function: it tries to take the mutexes and returns the given value on success.
#define TRY_ACQUIRE(...) SORTLINE_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
// On a function: it returns a reference to the given mutex.
#define RETURN_CAPABILITY(x) SORTLINE_THREAD_ANNOTATION(lock_returned(x))
// On a function the analysis cannot follow; say why at each use.
#define NO_THREAD_SAFETY_ANALYSIS SORTLINE_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace sortline {

// A std::mutex the analysis knows as a lock.
class CAPABILITY("mutex") Mutex {
 public:
  constexpr Mutex() noexcept = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

  // For std::condition_variable, through MutexLock::native().
  std::mutex& native() { return mu_; }

 private:
  std::mutex mu_;
};

// Holds a Mutex from construction to destruction (or to Unlock). For a lock that may
// not be taken, use Mutex::TryLock and Unlock.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : lock_(mu.native()) {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  ~MutexLock() RELEASE() = default;

  // Gives the mutex back early; the destructor then does nothing.
  void Unlock() RELEASE() { lock_.unlock(); }

  // The std::unique_lock a std::condition_variable waits on.
  std::unique_lock<std::mutex>& native() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace sortline

#endif  // PIPELINE_BASE_THREAD_ANNOTATIONS_H_
