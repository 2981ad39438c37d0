#include "pipeline/runtime/dock.h"

#include <atomic>
#include <chrono>
#include <set>
#include <utility>
#include <vector>

#include "pipeline/transport/envelope.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;

constexpr int kDrainPerTurn = 64;

class DockImpl final : public Dock {
 public:
  DockImpl(DockOptions options, std::unique_ptr<store::DockStore> store,
           std::unique_ptr<transport::ServerChannel> records,
           std::unique_ptr<transport::ServerChannel> conveyor)
      : options_(std::move(options)),
        store_(std::move(store)),
        records_(std::move(records)),
        conveyor_(std::move(conveyor)) {}

  std::string records_endpoint() const override { return records_->endpoint(); }
  std::string conveyor_endpoint() const override { return conveyor_->endpoint(); }
  void RequestStop() override { stop_.store(true); }

  Status Run() override {
    Log("dock: records on " + records_->endpoint() + ", conveyor on " + conveyor_->endpoint());
    while (!stop_.load()) {
      Result<std::vector<size_t>> readable =
          transport::WaitReadable({records_.get(), conveyor_.get()}, {}, milliseconds(100));
      if (!readable.ok()) return readable.status().WithContext("dock poll");
      for (size_t index : readable.value()) {
        transport::ServerChannel& channel = index == 0 ? *records_ : *conveyor_;
        for (int i = 0; i < kDrainPerTurn; ++i) {
          Result<std::optional<transport::Incoming>> in = channel.Receive(milliseconds(0));
          if (!in.ok()) return in.status().WithContext("dock receive");
          if (!in.value().has_value()) break;
          if (index == 0) {
            SORTLINE_RETURN_IF_ERROR(HandleRecords(*in.value()));
          } else {
            HandleSortRequest(*in.value());
          }
        }
      }
    }
    Log("dock: stopped");
    return Status::Ok();
  }

 private:
  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  // Acknowledges only after the commit; a refused batch is answered with an error and
  // the worker sends it again. Non-OK (data loss) stops the dock.
  Status HandleRecords(const transport::Incoming& in) {
    v1::RecordsMessage reply;
    Result<v1::RecordsMessage> message = transport::Decode<v1::RecordsMessage>(in.payload);
    if (!message.ok()) {
      reply.set_error(message.status().ToString());
    } else if (!message->has_batch()) {
      reply.set_error("expected a record batch");
    } else {
      Result<v1::RecordsStored> stored = store_->Store(message->batch());
      if (stored.ok()) {
        *reply.mutable_stored() = std::move(stored).value();
        if (reply.stored().quarantined() > 0) {
          Log("dock: ALARM " + std::to_string(reply.stored().quarantined()) +
              " records conflict with stored ones; quarantined");
        }
      } else {
        if (stored.status().code() == StatusCode::kDataLoss) return stored.status();
        Log("dock: records not stored: " + stored.status().ToString());
        reply.set_error(stored.status().ToString());
      }
    }
    Status sent = records_->Send(in.peer, transport::Encode(std::move(reply)));
    if (!sent.ok()) Log("dock: acknowledgement lost: " + sent.ToString());
    return Status::Ok();
  }

  void HandleSortRequest(const transport::Incoming& in) {
    v1::SortResponse response;
    Result<v1::SortRequest> request = transport::Decode<v1::SortRequest>(in.payload);
    if (!request.ok()) {
      response.set_outcome(v1::DECISION_ERROR);
      response.set_reason(request.status().ToString());
    } else {
      response.set_transaction_id(request->transaction_id());
      Decide(*request, &response);
    }
    conveyor_->Send(in.peer, transport::Encode(std::move(response))).IgnoreError();
  }

  void Decide(const v1::SortRequest& request, v1::SortResponse* response) {
    std::set<std::string> known;
    std::optional<v1::SortRecord> match;
    for (const std::string& barcode : request.barcodes()) {
      if (barcode.empty() || known.count(barcode) > 0) continue;
      Result<std::optional<v1::SortRecord>> found = store_->FindByTracking(barcode);
      if (!found.ok()) {
        response->set_outcome(v1::DECISION_ERROR);
        response->set_chute(options_.no_read_chute);
        response->set_reason(found.status().ToString());
        return;
      }
      if (found.value().has_value()) {
        known.insert(barcode);
        match = std::move(found).value();
      }
    }
    if (request.barcodes().empty()) {
      response->set_outcome(v1::DECISION_NO_READ);
      response->set_chute(options_.no_read_chute);
    } else if (known.size() > 1) {
      response->set_outcome(v1::DECISION_MULTI_BARCODE);
      response->set_chute(options_.no_read_chute);
      response->set_reason(std::to_string(known.size()) + " different parcels read at once");
    } else if (!match.has_value()) {
      response->set_outcome(v1::DECISION_NO_ORDER);
      response->set_chute(options_.no_order_chute);
      response->set_reason("no record for the barcode read");
    } else {
      response->set_outcome(v1::DECISION_SORTED);
      response->set_chute(match->chute());
      response->set_tracking_number(match->tracking_number());
    }
  }

  const DockOptions options_;
  std::unique_ptr<store::DockStore> store_;
  std::unique_ptr<transport::ServerChannel> records_;
  std::unique_ptr<transport::ServerChannel> conveyor_;
  std::atomic<bool> stop_{false};
};

}  // namespace

Result<std::unique_ptr<Dock>> Dock::Open(transport::Context& context, const DockOptions& options) {
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<store::DockStore> store,
                            store::DockStore::Open(options.store_path, options.store));
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<transport::ServerChannel> records,
                            transport::ServerChannel::Bind(context, options.records_endpoint));
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<transport::ServerChannel> conveyor,
                            transport::ServerChannel::Bind(context, options.conveyor_endpoint));
  return std::unique_ptr<Dock>(
      new DockImpl(options, std::move(store), std::move(records), std::move(conveyor)));
}

}  // namespace sortline::runtime
