// sortline-dock, the loading-dock conveyor controller: stores sort records durably
// (idempotent by order id) and acknowledges them after the commit; answers the
// conveyor's "which chute for this barcode?" from the stored records.
//
// Thread-safety: Run() owns the sockets and the store on the calling thread; only
// RequestStop() may be called from other threads.
#ifndef PIPELINE_RUNTIME_DOCK_H_
#define PIPELINE_RUNTIME_DOCK_H_

#include <functional>
#include <memory>
#include <string>

#include "pipeline/base/result.h"
#include "pipeline/store/dock_store.h"
#include "pipeline/transport/channel.h"

namespace sortline::runtime {

struct DockOptions {
  std::string records_endpoint = "tcp://127.0.0.1:5560";   // ROUTER, workers send records
  std::string conveyor_endpoint = "tcp://127.0.0.1:5561";  // ROUTER, scanner gateway asks
  std::string store_path = "dock.db";                      // SQLite record store
  store::DockStoreOptions store;
  std::string no_read_chute = "C901";           // no barcode read, several barcodes
  std::string no_order_chute = "C900";          // barcode read, no record for it
  std::function<void(const std::string&)> log;  // operational messages; null: silent
};

class Dock {
 public:
  static Result<std::unique_ptr<Dock>> Open(transport::Context& context,
                                            const DockOptions& options);
  virtual ~Dock() = default;

  virtual std::string records_endpoint() const = 0;
  virtual std::string conveyor_endpoint() const = 0;

  virtual Status Run() = 0;
  virtual void RequestStop() = 0;
};

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_DOCK_H_
