// Every channel's envelope as the daemons decode and act on it. The first byte picks
// the channel, the rest is the ZeroMQ payload:
//   0 submit   intake: SubmitRequest, then each order validated and limit-checked;
//              the submitter: SubmitReply
//   1 work     worker: WorkMessage, each leased order validated and assigned a lane;
//              intake: the results of a WorkDone
//   2 records  dock: RecordsMessage, each record indexed, then looked up by a scan
//   3 conveyor dock: ConveyorMessage, a sort request decided, a chute event or divert
//              confirmation applied, by a fresh dock engine
// Properties: nothing crashes, and what decodes re-encodes to something that decodes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pipeline/dock/config.h"
#include "pipeline/dock/engine.h"
#include "pipeline/dock/record_index.h"
#include "pipeline/model/orders.h"
#include "pipeline/model/s10.h"
#include "pipeline/transport/envelope.h"
#include "proto/dock.pb.h"
#include "proto/wire.pb.h"
#include "tests/fuzz/fuzz_support.h"
#include "tests/testing/fake_clock.h"

namespace {

using namespace sortline;
using fuzz::Check;

template <typename Envelope>
void CheckRoundTrip(const Envelope& message) {
  Result<Envelope> again = transport::Decode<Envelope>(transport::Encode(message));
  Check(again.ok(), std::string(Envelope::descriptor()->name()) + " does not decode again");
}

void CheckOrder(const v1::Order& order, bool assign) {
  Status valid = model::ValidateOrder(order, fuzz::ShippedDivisions());
  if (valid.ok()) valid = model::CheckOrderLimits(order, model::OrderLimits());
  v1::SortRecord record;
  if (!valid.ok()) {
    if (assign) fuzz::ShippedPlan().Reject(valid.message(), &record);
    return;
  }
  if (assign) fuzz::ShippedPlan().Assign(order, &record);
}

void Submit(std::string_view payload) {
  Result<v1::SubmitRequest> request = transport::Decode<v1::SubmitRequest>(payload);
  if (request.ok()) {
    for (const v1::Order& order : request->batch().orders()) CheckOrder(order, false);
    CheckRoundTrip(*request);
  }
  Result<v1::SubmitReply> reply = transport::Decode<v1::SubmitReply>(payload);
  if (reply.ok()) CheckRoundTrip(*reply);
}

void Work(std::string_view payload) {
  Result<v1::WorkMessage> message = transport::Decode<v1::WorkMessage>(payload);
  if (!message.ok()) return;
  for (const v1::Order& order : message->work().orders()) CheckOrder(order, true);
  for (const v1::OrderResult& result : message->done().results()) {
    (void)v1::Outcome_IsValid(result.outcome());
  }
  CheckRoundTrip(*message);
}

// A dock engine with nothing stored, as a dock starts.
struct FreshDock {
  sortline::testing::FakeClock clock{1'726'704'000'000};
  dock::DockConfig config = [] {
    dock::DockConfig small;
    small.expected_parcels = 64;  // the tables reserve this much room up front
    return small;
  }();
  std::unique_ptr<dock::Engine> engine = dock::Engine::Create(config, clock);
};

void Records(std::string_view payload) {
  Result<v1::RecordsMessage> message = transport::Decode<v1::RecordsMessage>(payload);
  if (!message.ok()) return;
  FreshDock fresh;
  uint64_t transaction = 1;
  dock::IndexedRecord indexed;
  for (const v1::SortRecord& record : message->batch().records()) {
    dock::ToIndexed(record, &indexed);
    fresh.engine->AddRecord(indexed);
    v1::SortRequest scan;
    scan.set_transaction_id(transaction++);
    scan.add_barcodes(record.tracking_number());
    scan.set_weight_g(record.weight_g());
    bool repeated = false;
    v1::SortResponse response = fresh.engine->Decide(scan, &repeated);
    Check(!response.chute().empty(), "a scan was answered without a chute");
  }
  CheckRoundTrip(*message);
}

void Conveyor(std::string_view payload) {
  Result<v1::ConveyorMessage> message = transport::Decode<v1::ConveyorMessage>(payload);
  if (!message.ok()) return;
  FreshDock fresh;
  dock::Engine* engine = fresh.engine.get();
  if (message->has_sort_request()) {
    bool repeated = false;
    v1::SortResponse response = engine->Decide(message->sort_request(), &repeated);
    Check(!response.chute().empty(), "a scan was answered without a chute");
    (void)engine->Decide(message->sort_request(), &repeated);
  } else if (message->has_chute_event()) {
    engine->Apply(message->chute_event()).IgnoreError();
  } else if (message->has_divert_confirm()) {
    engine->Apply(message->divert_confirm()).IgnoreError();
  }
  engine->Tick();
  (void)engine->TakeEvents();
  CheckRoundTrip(*message);
}

}  // namespace

namespace sortline::fuzz {

// The envelopes of a real run: generated orders in a submit batch, its reply, the work
// lease and its results, the records the shipped plan assigns them, scans, chute events
// and divert confirmations. Each prefixed with its channel byte.
void WriteSeeds(const SeedWriter& write) {
  model::OrderGenerator generator(ShippedDivisions(), model::GeneratorOptions{});
  auto put = [&](const std::string& name, char channel, const std::string& payload) {
    write(name, std::string(1, channel) + payload);
  };
  v1::SubmitRequest submit;
  submit.mutable_batch()->set_batch_id("orders.jsonl-0-5e1f2a3b4c5d6e7f");
  submit.mutable_batch()->set_source("orders.jsonl");
  for (uint64_t i = 0; i < 3; ++i) *submit.mutable_batch()->add_orders() = generator.Generate(i);
  put("submit-batch", 0, transport::Encode(submit));
  v1::SubmitRequest progress;
  progress.set_progress_batch_id("orders.jsonl-0-5e1f2a3b4c5d6e7f");
  put("submit-progress", 0, transport::Encode(progress));
  v1::SubmitReply reply;
  reply.set_batch_id("orders.jsonl-0-5e1f2a3b4c5d6e7f");
  reply.set_accepted(2);
  reply.add_duplicates("O000000001");
  v1::OrderRejection* rejection = reply.add_rejected();
  rejection->set_order_id("../x");
  rejection->set_index(2);
  rejection->set_reason("invalid order id \"../x\"");
  put("submit-reply", 0, transport::Encode(reply));

  v1::WorkMessage work;
  work.mutable_work()->set_lease_id(7);
  work.mutable_work()->set_lease_expires_unix_ms(1'726'704'005'000);
  std::vector<v1::SortRecord> records;
  for (uint64_t i = 0; i < 3; ++i) {
    v1::Order order = generator.Generate(i);
    order.set_tracking_number(model::FormatS10("EA", static_cast<uint32_t>(i + 1), "CN"));
    v1::SortRecord& record = records.emplace_back();
    record.set_order_id(order.order_id());
    record.set_tracking_number(order.tracking_number());
    record.set_weight_g(order.parcel().weight_g());
    ShippedPlan().Assign(order, &record);
    *work.mutable_work()->add_orders() = std::move(order);
  }
  put("work-lease", 1, transport::Encode(work));
  v1::WorkMessage done;
  done.mutable_done()->set_lease_id(7);
  v1::OrderResult* result = done.mutable_done()->add_results();
  result->set_order_id("O000000000");
  result->set_outcome(v1::OUTCOME_SORTED);
  put("work-done", 1, transport::Encode(done));
  v1::WorkMessage ready;
  ready.mutable_ready()->set_credit(512);
  put("work-ready", 1, transport::Encode(ready));
  v1::WorkMessage beat;
  beat.mutable_heartbeat()->set_sent_unix_ms(1'726'704'000'000);
  beat.mutable_heartbeat()->add_lease_ids(7);
  put("work-heartbeat", 1, transport::Encode(beat));

  v1::RecordsMessage batch;
  batch.mutable_batch()->set_sequence(42);
  for (const v1::SortRecord& record : records) *batch.mutable_batch()->add_records() = record;
  put("records-batch", 2, transport::Encode(batch));

  v1::ConveyorMessage scan;
  scan.mutable_sort_request()->set_scanner_id("plc-3");
  scan.mutable_sort_request()->set_transaction_id(1001);
  scan.mutable_sort_request()->add_barcodes(records[0].tracking_number());
  scan.mutable_sort_request()->set_weight_g(records[0].weight_g());
  put("conveyor-scan", 3, transport::Encode(scan));
  v1::ConveyorMessage full;
  full.mutable_chute_event()->set_chute(records[0].chute());
  put("conveyor-chute-event", 3, transport::Encode(full));
  v1::ConveyorMessage confirm;
  confirm.mutable_divert_confirm()->set_transaction_id(1001);
  put("conveyor-divert-confirm", 3, transport::Encode(confirm));
}

}  // namespace sortline::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view payload(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      Submit(payload);
      break;
    case 1:
      Work(payload);
      break;
    case 2:
      Records(payload);
      break;
    default:
      Conveyor(payload);
      break;
  }
  return 0;
}
