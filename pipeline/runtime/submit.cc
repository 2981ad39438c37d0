#include "pipeline/runtime/submit.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cinttypes>
#include <filesystem>
#include <functional>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include "pipeline/base/hash.h"
#include "pipeline/base/text.h"
#include "pipeline/model/orders.h"
#include "pipeline/model/orders_file.h"
#include "pipeline/runtime/stage_timings.h"
#include "pipeline/runtime/timeline.h"
#include "pipeline/transport/envelope.h"

namespace sortline::runtime {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// How much of an order id and of a reason a failure shows (Echo's limits).
constexpr size_t kMaxEchoedOrderId = 64;
constexpr size_t kMaxEchoedReason = 240;

// The reason without its specifics, for counting: "unknown division code 999999" ->
// "unknown division code", "tracking number EA123456785CN belongs to another order" ->
// "tracking number". Cut before the first word holding a digit, or at the first quote,
// colon or parenthesis.
std::string ReasonKind(const std::string& reason) {
  size_t end = reason.size();
  size_t word = 0;
  for (size_t i = 0; i < reason.size(); ++i) {
    char c = reason[i];
    if (c == ' ') word = i + 1;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      end = word;
      break;
    }
    if (c == '"' || c == ':' || c == '(') {
      end = i;
      break;
    }
  }
  while (end > 0 && (reason[end - 1] == ' ' || reason[end - 1] == ',')) --end;
  return end == 0 ? reason : reason.substr(0, end);
}

// A submitted batch followed to completion.
struct Tracked {
  std::string batch_id;
  size_t intake = 0;   // index of the intake that journaled it
  uint64_t total = 0;  // accepted into the journal
  uint64_t finished = 0;
  bool complete = false;
  std::unordered_map<std::string, uint64_t> line_of;  // order id -> file line
};

// One intake the submitter talks to.
struct IntakeLink {
  std::string endpoint;
  std::unique_ptr<transport::ClientChannel> channel;
  bool first_handshake_seen = false;
};

class Submitter {
 public:
  Submitter(std::vector<IntakeLink> intakes, const SubmitOptions& options, Progress& progress,
            v1::RunSummary& summary)
      : intakes_(std::move(intakes)), options_(options), progress_(progress), summary_(summary) {
    for (const IntakeLink& intake : intakes_) endpoints_.push_back(intake.endpoint);
  }

  // Records a line that failed before reaching a worker.
  void Fail(uint64_t line, const std::string& order_id, const std::string& reason) {
    if (line != 0 && failed_lines_.count(line) != 0) return;
    AddFailure(line, order_id, reason);
    ++early_failures_;
  }

  // Each line fails at most once; order id and reason are echoed (escaped, shortened).
  void AddFailure(uint64_t line, const std::string& order_id, const std::string& reason) {
    if (line != 0 && !failed_lines_.insert(line).second) return;
    v1::OrderFailure* f = summary_.add_failures();
    f->set_line(line);
    f->set_order_id(Echo(order_id, kMaxEchoedOrderId));
    f->set_reason(Echo(reason, kMaxEchoedReason));
  }

  // Journals one batch; returns once intake acknowledged it.
  Status SubmitBatch(const std::string& batch_id, const std::string& source, v1::OrderBatch batch,
                     const std::vector<uint64_t>& lines) {
    batch.set_batch_id(batch_id);
    batch.set_source(source);
    Tracked tracked;
    tracked.batch_id = batch_id;
    tracked.intake = IntakeForBatch(batch_id, endpoints_);
    IntakeLink& intake = intakes_[tracked.intake];
    std::vector<std::string> ids;
    ids.reserve(static_cast<size_t>(batch.orders_size()));
    for (const v1::Order& order : batch.orders()) ids.push_back(order.order_id());

    v1::SubmitRequest request;
    *request.mutable_batch() = std::move(batch);
    const std::string payload = transport::Encode(std::move(request));
    const auto refused_since = Clock::now();
    v1::SubmitReply reply;
    while (true) {
      SORTLINE_ASSIGN_OR_RETURN(reply, Call(intake, payload, [&](const v1::SubmitReply& r) {
                                  return r.batch_id() == batch_id;
                                }));
      if (reply.error().empty()) break;
      // A passing refusal (intake's disk is full): nothing was journaled; the same batch
      // is sent again until it is taken or the stall timeout says intake is stuck.
      const bool waited_too_long =
          options_.stall_timeout_ms > 0 &&
          Clock::now() - refused_since > milliseconds(options_.stall_timeout_ms);
      if (!reply.retry() || waited_too_long) {
        return Unavailable("intake at " + intake.endpoint + " refused batch " + batch_id + ": " +
                           reply.error());
      }
      ::usleep(static_cast<useconds_t>(options_.retry_pause_ms) * 1000);
    }
    summary_.set_accepted(summary_.accepted() + reply.accepted());
    std::vector<bool> settled(ids.size(), false);
    for (const v1::OrderRejection& r : reply.rejected()) {
      if (r.index() < lines.size()) {
        Fail(lines[r.index()], r.order_id(), r.reason());
        settled[r.index()] = true;
      }
    }
    SettleDuplicates(reply, ids, lines, settled);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!settled[i]) tracked.line_of.emplace(ids[i], lines[i]);
    }
    tracked.total = reply.accepted();
    tracked.complete = tracked.total == 0;
    batches_.push_back(std::move(tracked));
    return Status::Ok();
  }

  // Intake journals a batch's orders in order and lists an order id once per occurrence
  // it did not journal because the id was taken (earlier in this batch or before it). So
  // of the occurrences of an id that were not rejected, the last `listed` are the
  // duplicates, whatever the file repeats: each fails once, on its own line.
  void SettleDuplicates(const v1::SubmitReply& reply, const std::vector<std::string>& ids,
                        const std::vector<uint64_t>& lines, std::vector<bool>& settled) {
    std::unordered_map<std::string_view, size_t> listed;
    for (const std::string& id : reply.duplicates()) ++listed[id];
    for (size_t i = ids.size(); i-- > 0;) {
      auto it = listed.find(ids[i]);
      if (settled[i] || it == listed.end() || it->second == 0) continue;
      --it->second;
      settled[i] = true;
      Fail(lines[i], ids[i], "duplicate order id " + EchoQuoted(ids[i]));
    }
  }

  // Asks intake how far every open batch is and updates the summary and the bar.
  Status Poll() {
    for (Tracked& batch : batches_) {
      if (batch.complete) continue;
      v1::SubmitRequest request;
      request.set_progress_batch_id(batch.batch_id);
      SORTLINE_ASSIGN_OR_RETURN(v1::SubmitReply reply,
                                Call(intakes_[batch.intake], transport::Encode(std::move(request)),
                                     [&](const v1::SubmitReply& r) {
                                       return r.batch_id() == batch.batch_id &&
                                              (r.has_progress() || !r.error().empty());
                                     }));
      if (!reply.error().empty()) {
        return Unavailable("progress of " + batch.batch_id + ": " + reply.error());
      }
      const v1::BatchProgress& p = reply.progress();
      batch.finished = p.done() + p.failed();
      if (p.complete()) {
        for (const v1::OrderRejection& f : p.failures()) {
          auto it = batch.line_of.find(f.order_id());
          AddFailure(it == batch.line_of.end() ? 0 : it->second, f.order_id(), f.reason());
        }
        summary_.set_ok(summary_.ok() + p.done());
        batch.complete = true;
        batch.line_of.clear();
      }
    }
    progress_.Update(Finished(), static_cast<uint64_t>(summary_.failures_size()));
    timeline_.Observe(summary_.lines(), summary_.accepted(), Finished(),
                      static_cast<uint64_t>(summary_.failures_size()));
    return Status::Ok();
  }

  // Asks each intake for its running total of stage timings (once before the first
  // batch, once after the last is complete). An intake that does not know the question
  // answers with an error: then the summary lacks its timings, and nothing else changes.
  void NoteStageTimings() {
    timings_.resize(intakes_.size());
    for (size_t i = 0; i < intakes_.size(); ++i) {
      v1::SubmitRequest request;
      request.set_stage_timings(true);
      Result<v1::SubmitReply> reply =
          Call(intakes_[i], transport::Encode(std::move(request)),
               [](const v1::SubmitReply& r) { return r.batch_id().empty(); });
      if (reply.ok() && reply->error().empty()) timings_[i].Note(reply->stage_timings());
    }
  }

  // The final point of the run's timeline; the timeline and the stage timings of the
  // run go into the summary.
  void EndTimeline() {
    timeline_.FinishInto(summary_.lines(), summary_.accepted(), Finished(),
                         static_cast<uint64_t>(summary_.failures_size()), summary_);
    StageTimingList stages;  // decode first, then the workers' stages in their order
    decode_.AddTo(&stages);
    for (const TimingWindow& window : timings_) AddTimings(window.Between(), &stages);
    *summary_.mutable_stage_timings() = std::move(stages);
  }

  // Orders are decoded here, from the file's JSON lines; the flow gets them decoded.
  void RecordDecode(std::chrono::nanoseconds took) { decode_.Record(flow::Stage::kDecode, took); }

  // Lines settled so far: failed before intake, or finished behind it.
  uint64_t Finished() const {
    uint64_t finished = 0;
    for (const Tracked& batch : batches_) finished += batch.finished;
    return finished + early_failures_;
  }

  bool AllComplete() const {
    return std::all_of(batches_.begin(), batches_.end(),
                       [](const Tracked& b) { return b.complete; });
  }

 private:
  // Sends `payload` and waits for the reply `matches` accepts, resending the same bytes
  // (same batch id, so intake answers idempotently) after each timeout. One request is
  // outstanding at a time, so a late reply to an earlier resend carries the same batch
  // id and the same meaning.
  Result<v1::SubmitReply> Call(IntakeLink& intake, const std::string& payload,
                               const std::function<bool(const v1::SubmitReply&)>& matches) {
    SORTLINE_RETURN_IF_ERROR(AwaitFirstHandshake(intake));
    transport::ClientChannel& channel = *intake.channel;
    for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
      Status sent = channel.Send(payload);
      if (!sent.ok()) {
        SORTLINE_RETURN_IF_ERROR(Refused(channel));
        ::usleep(200'000);
        continue;
      }
      auto deadline = Clock::now() + milliseconds(options_.reply_timeout_ms);
      while (Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        Result<std::optional<std::string>> in = channel.Receive(std::max(left, milliseconds(1)));
        if (!in.ok()) return in.status();
        if (!in.value().has_value()) break;
        Result<v1::SubmitReply> reply = transport::Decode<v1::SubmitReply>(*in.value());
        if (!reply.ok()) continue;  // a stray or foreign message; keep waiting
        if (matches(reply.value())) return std::move(reply).value();
      }
    }
    return Unavailable("intake at " + intake.endpoint + " did not answer after " +
                       std::to_string(options_.max_attempts) + " attempts");
  }

  // The first time, waits (up to kFirstHandshakeWaitMs) for the first handshake with
  // intake to succeed or fail, so a refused submitter stops within seconds instead of
  // resending into a connection that never comes (ZMQ_IMMEDIATE queues nothing).
  Status AwaitFirstHandshake(IntakeLink& intake) {
    if (intake.first_handshake_seen) return Status::Ok();
    constexpr int kFirstHandshakeWaitMs = 3000;
    const auto until = Clock::now() + milliseconds(kFirstHandshakeWaitMs);
    while (Clock::now() < until) {
      const transport::HandshakeStatus status = intake.channel->handshake();
      if (status.succeeded) break;
      SORTLINE_RETURN_IF_ERROR(Refused(*intake.channel));
      ::usleep(20'000);
    }
    intake.first_handshake_seen = true;
    return Status::Ok();
  }

  // kFailedPrecondition with the likely cause when intake refuses this submitter's
  // handshakes: at once for a refused key or a plaintext/CURVE mismatch, after three in
  // a row for a dropped handshake (a restarting intake may drop one).
  static Status Refused(const transport::ClientChannel& channel) {
    const transport::HandshakeStatus status = channel.handshake();
    if (status.succeeded || !status.last_failure.has_value()) return Status::Ok();
    const transport::HandshakeFailure failure = status.last_failure->failure;
    const bool definite = failure == transport::HandshakeFailure::kKeyRefused ||
                          failure == transport::HandshakeFailure::kMechanismMismatch ||
                          failure == transport::HandshakeFailure::kWrongServerKey;
    if (!definite && status.failures < 3) return Status::Ok();
    return FailedPrecondition("cannot connect to intake: " + status.last_failure->cause);
  }

  std::vector<IntakeLink> intakes_;
  std::vector<std::string> endpoints_;  // of intakes_, in order
  const SubmitOptions& options_;
  Progress& progress_;
  v1::RunSummary& summary_;
  std::vector<Tracked> batches_;
  uint64_t early_failures_ = 0;
  std::unordered_set<uint64_t> failed_lines_;
  Timeline timeline_;
  std::vector<TimingWindow> timings_;  // each intake's running stage timings, first and last
  StageTimings decode_;                // this submitter's own stage
};

}  // namespace

size_t IntakeForBatch(const std::string& batch_id, const std::vector<std::string>& endpoints) {
  // FNV-1a mixes its last bytes poorly: finish with splitmix64's finalizer so that the
  // weights of different endpoints for one batch id are independent-looking.
  auto mix = [](uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  size_t best = 0;
  uint64_t best_weight = 0;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const uint64_t weight = mix(Fnv1a64(batch_id, Fnv1a64(endpoints[i] + '\n')));
    if (i == 0 || weight > best_weight) {
      best = i;
      best_weight = weight;
    }
  }
  return best;
}

Result<v1::RunSummary> SubmitOrdersFile(transport::Context& context, const std::string& path,
                                        const SubmitOptions& options, Progress& progress) {
  if (options.batch_size == 0) return InvalidArgument("batch size must be positive");
  // The progress total is known before the first order goes: the file is counted first
  // (a pipe cannot be, and its total grows as it is read).
  SORTLINE_ASSIGN_OR_RETURN(std::optional<uint64_t> counted, model::CountOrderLines(path));
  if (counted.has_value()) progress.SetTotal(*counted);
  model::OrdersFileOptions file_options;
  file_options.max_line_bytes = options.max_line_bytes;
  SORTLINE_ASSIGN_OR_RETURN(std::unique_ptr<model::OrdersFileReader> reader,
                            model::OrdersFileReader::Open(path, file_options));
  transport::ChannelOptions channel_options;
  channel_options.security = options.security.get();
  channel_options.peer_role = "intake";
  std::vector<IntakeLink> intakes;
  for (const std::string& endpoint : options.intake_endpoints.empty()
                                         ? std::vector<std::string>{options.intake_endpoint}
                                         : options.intake_endpoints) {
    SORTLINE_ASSIGN_OR_RETURN(
        std::unique_ptr<transport::ClientChannel> channel,
        transport::ClientChannel::Connect(context, endpoint, "", channel_options));
    intakes.push_back(IntakeLink{endpoint, std::move(channel)});
  }

  const auto start = Clock::now();
  const std::string source = std::filesystem::path(path).filename().string();
  v1::RunSummary summary;
  summary.set_source(path);
  Submitter submitter(std::move(intakes), options, progress, summary);

  v1::OrderBatch batch;
  std::vector<uint64_t> lines;
  size_t batch_bytes = 0;
  uint64_t content_hash = Fnv1a64("");
  uint64_t batch_number = 0;
  auto flush = [&]() -> Status {
    if (batch.orders_size() == 0) return Status::Ok();
    std::string id = source + "-" + std::to_string(batch_number++) + "-" + HashHex(content_hash);
    SORTLINE_RETURN_IF_ERROR(submitter.SubmitBatch(id, source, std::move(batch), lines));
    batch.Clear();
    lines.clear();
    batch_bytes = 0;
    content_hash = Fnv1a64("");
    return Status::Ok();
  };

  submitter.NoteStageTimings();
  auto last_poll = Clock::now();
  model::OrdersFileLine line;
  while (true) {
    SORTLINE_ASSIGN_OR_RETURN(bool more, reader->Next(&line));
    if (!more) break;
    summary.set_lines(summary.lines() + 1);
    // Without a count (a pipe), or when the file grew since it was counted.
    if (!counted.has_value() || summary.lines() > *counted) progress.SetTotal(summary.lines());
    if (line.too_long) {
      submitter.Fail(line.number, "",
                     "line too long: " + std::to_string(line.bytes) + " bytes, over the limit of " +
                         std::to_string(options.max_line_bytes) + " bytes");
      continue;
    }
    const auto decode_start = Clock::now();
    Result<v1::Order> order = model::ParseOrderJson(line.text);
    submitter.RecordDecode(Clock::now() - decode_start);
    if (!order.ok()) {
      submitter.Fail(line.number, "", "malformed " + order.status().message());
      continue;
    }
    // A batch stays well under the channel's message size limit however long its lines.
    if (batch_bytes + line.bytes > options.max_batch_bytes) SORTLINE_RETURN_IF_ERROR(flush());
    content_hash = Fnv1a64(line.text, content_hash);
    *batch.add_orders() = std::move(order).value();
    lines.push_back(line.number);
    batch_bytes += line.bytes;
    if (static_cast<uint32_t>(batch.orders_size()) >= options.batch_size) {
      SORTLINE_RETURN_IF_ERROR(flush());
      if (Clock::now() - last_poll > milliseconds(options.poll_interval_ms)) {
        SORTLINE_RETURN_IF_ERROR(submitter.Poll());
        last_poll = Clock::now();
      }
    }
  }
  SORTLINE_RETURN_IF_ERROR(flush());

  uint64_t last_finished = submitter.Finished();
  auto last_change = Clock::now();
  while (true) {
    SORTLINE_RETURN_IF_ERROR(submitter.Poll());
    if (submitter.AllComplete()) break;
    uint64_t finished = submitter.Finished();
    if (finished != last_finished) {
      last_finished = finished;
      last_change = Clock::now();
    } else if (options.stall_timeout_ms > 0 &&
               Clock::now() - last_change > milliseconds(options.stall_timeout_ms)) {
      return Unavailable("no order finished for " +
                         std::to_string(options.stall_timeout_ms / 1000) +
                         " s; are workers and dock running?");
    }
    ::usleep(static_cast<useconds_t>(options.poll_interval_ms) * 1000);
  }
  progress.Finish();
  submitter.NoteStageTimings();
  submitter.EndTimeline();

  std::sort(
      summary.mutable_failures()->begin(), summary.mutable_failures()->end(),
      [](const v1::OrderFailure& a, const v1::OrderFailure& b) { return a.line() < b.line(); });
  summary.set_failed(static_cast<uint64_t>(summary.failures_size()));
  for (const v1::OrderFailure& f : summary.failures()) {
    (*summary.mutable_failed_by_reason())[ReasonKind(f.reason())] += 1;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  summary.set_elapsed_seconds(elapsed);
  summary.set_orders_per_second(elapsed > 0 ? static_cast<double>(summary.ok()) / elapsed : 0);
  return summary;
}

namespace {

// The entries of a protobuf map in key order, for stable output.
std::vector<std::pair<std::string, uint64_t>> Sorted(
    const google::protobuf::Map<std::string, uint64_t>& map) {
  std::vector<std::pair<std::string, uint64_t>> entries(map.begin(), map.end());
  std::sort(entries.begin(), entries.end());
  return entries;
}

}  // namespace

std::string FormatSummary(const v1::RunSummary& summary, size_t max_failures_listed) {
  std::string out;
  char buf[256];
  // Everything that came from outside is echoed again here: a summary may have been
  // read back from a file, and Echo leaves already echoed text as it is.
  out +=
      std::to_string(summary.lines()) + " orders read from " + Echo(summary.source(), 200) + "\n";
  std::snprintf(buf, sizeof buf, "  ok      %10" PRIu64 "  sorted, labelled, stored at dock\n",
                summary.ok());
  out += buf;
  std::snprintf(buf, sizeof buf, "  failed  %10" PRIu64 "\n", summary.failed());
  out += buf;
  std::vector<std::pair<std::string, uint64_t>> reasons(summary.failed_by_reason().begin(),
                                                        summary.failed_by_reason().end());
  std::sort(reasons.begin(), reasons.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first < b.first);
  });
  for (const auto& [reason, count] : reasons) {
    std::snprintf(buf, sizeof buf, "    %8" PRIu64 "  ", count);
    out += buf + Echo(reason, kMaxEchoedReason) + "\n";
  }
  size_t listed = 0;
  for (const v1::OrderFailure& f : summary.failures()) {
    if (listed++ == max_failures_listed) {
      out += "    ... " + std::to_string(summary.failures_size() - max_failures_listed) +
             " more in the summary file\n";
      break;
    }
    out += "    line " + std::to_string(f.line()) + ": ";
    if (!f.order_id().empty()) out += "order " + Echo(f.order_id(), kMaxEchoedOrderId) + ": ";
    out += Echo(f.reason(), kMaxEchoedReason) + "\n";
  }
  if (!summary.records_by_outcome().empty()) {
    out += "  records by outcome:";
    for (const auto& [outcome, count] : Sorted(summary.records_by_outcome())) {
      out += " " + Echo(outcome) + " " + std::to_string(count) + ";";
    }
    out.back() = '\n';
    out += "  records by chute:";
    size_t column = 0;
    for (const auto& [chute, count] : Sorted(summary.records_by_chute())) {
      if (column++ % 8 == 0) out += "\n   ";
      std::snprintf(buf, sizeof buf, " %-6s %7" PRIu64, Echo(chute, 32).c_str(), count);
      out += buf;
    }
    out += "\n";
  }
  std::snprintf(buf, sizeof buf, "  labels written %" PRIu64 "; elapsed %.2f s; %.0f orders/s\n",
                summary.ok(), summary.elapsed_seconds(), summary.orders_per_second());
  out += buf;
  return out;
}

std::string SummaryToJson(const v1::RunSummary& summary) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(summary, &json, options).ok()) return "{}";
  return json;
}

}  // namespace sortline::runtime
