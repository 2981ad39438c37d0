// The submitting side of the submit channel: reads an orders file, sends it to intake
// in batches (idempotent batch ids derived from content, so a retry or a second run of
// the same file never doubles anything), then follows each batch until every order is
// done, and sums up what happened to every line.
//
// Thread-safety: SubmitOrdersFile blocks the calling thread; `context` must outlive it.
#ifndef PIPELINE_RUNTIME_SUBMIT_H_
#define PIPELINE_RUNTIME_SUBMIT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pipeline/base/result.h"
#include "pipeline/runtime/progress.h"
#include "pipeline/transport/channel.h"
#include "proto/report.pb.h"

namespace sortline::runtime {

struct SubmitOptions {
  std::string intake_endpoint = "tcp://127.0.0.1:5550";  // the intake, when the list is empty
  // Several intakes (shards, each with its own journal): each batch goes to the one its
  // batch id picks (rendezvous hashing over the endpoint strings: the same batch id and
  // the same set of endpoints, in any order, always pick the same intake, so a resent
  // batch meets its journal's idempotency). Empty: intake_endpoint alone.
  std::vector<std::string> intake_endpoints;
  uint32_t batch_size = 2000;          // orders per SubmitBatch
  int reply_timeout_ms = 10'000;       // resend the same batch id after this
  int max_attempts = 30;               // then give up on an unresponsive intake
  int poll_interval_ms = 100;          // how often batch progress is asked for
  int64_t stall_timeout_ms = 120'000;  // fail when no order finishes for this long
  int retry_pause_ms = 500;            // wait before resending a batch intake had no room for
  // A longer line of the orders file fails as "line too long" without being held whole.
  size_t max_line_bytes = 64 * 1024;
  // A batch is sent before its orders' JSON lines add up to more than this, so that it
  // stays well inside the channel's message size limit (64 MiB) whatever the lines hold.
  size_t max_batch_bytes = 16 << 20;
  // CURVE on a tcp:// endpoint: the submitter's key pair and intake's key (role
  // "intake"). null or disabled: plaintext.
  std::shared_ptr<const transport::Security> security;
};

// The index in `endpoints` of the intake that takes batch `batch_id` (rendezvous
// hashing: the endpoint whose hash with the batch id is highest). REQUIRES: `endpoints`
// is not empty.
size_t IntakeForBatch(const std::string& batch_id, const std::vector<std::string>& endpoints);

// Submits `path` and waits for completion, drawing on `progress`.
Result<v1::RunSummary> SubmitOrdersFile(transport::Context& context, const std::string& path,
                                        const SubmitOptions& options, Progress& progress);

// Human summary: counts, failures by reason, the first failures with their lines.
std::string FormatSummary(const v1::RunSummary& summary, size_t max_failures_listed = 20);
// The same as JSON (protobuf JSON mapping, every failure listed).
std::string SummaryToJson(const v1::RunSummary& summary);

}  // namespace sortline::runtime

#endif  // PIPELINE_RUNTIME_SUBMIT_H_
