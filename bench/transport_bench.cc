// The cost of CURVE: a ServerChannel/ClientChannel pair over tcp loopback, plaintext
// (/0) and CURVE (/1) in the same run, so the two can be stated as a ratio.
//   BM_RoundTrip:  one small request and its reply (a scanner question's size).
//   BM_Stream:     work batches of 256 orders (an encoded WorkMessage) streamed to the
//                  server, a window of kWindow in flight; items are orders.
// Server and client have a Context each, as two processes would (one I/O thread each).
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/bench_orders.h"
#include "bench/bench_status.h"
#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "pipeline/transport/security.h"

namespace sortline::transport {
namespace {

constexpr int kBatchSize = 256;
constexpr int kWindow = 16;
constexpr std::chrono::milliseconds kTimeout(5000);

std::string WorkPayload() { return Encode(bench::FestivalWorkMessage(kBatchSize)); }

// An intake with its work channel and one worker connected to it. Members are declared
// so that the channels go before their contexts.
struct Link {
  Security server_security;
  Security client_security;
  std::unique_ptr<Context> server_context;
  std::unique_ptr<Context> client_context;
  std::unique_ptr<ServerChannel> server;
  std::unique_ptr<ClientChannel> client;
};

Result<std::unique_ptr<Link>> Open(bool curve) {
  auto link = std::make_unique<Link>();
  if (curve) {
    SORTLINE_ASSIGN_OR_RETURN(CurveKeyPair intake, GenerateCurveKeyPair());
    SORTLINE_ASSIGN_OR_RETURN(CurveKeyPair worker, GenerateCurveKeyPair());
    link->server_security.own = intake;
    link->server_security.keys_by_role["worker"] = {worker.public_key};
    link->client_security.own = worker;
    link->client_security.keys_by_role["intake"] = {intake.public_key};
  }
  SORTLINE_ASSIGN_OR_RETURN(link->server_context, Context::Create());
  SORTLINE_ASSIGN_OR_RETURN(link->client_context, Context::Create());
  ChannelOptions server_options;
  server_options.linger_ms = 0;
  server_options.security = &link->server_security;
  server_options.peer_role = "worker";
  SORTLINE_ASSIGN_OR_RETURN(link->server, ServerChannel::Bind(*link->server_context,
                                                              "tcp://127.0.0.1:0", server_options));
  ChannelOptions client_options = server_options;
  client_options.security = &link->client_security;
  client_options.peer_role = "intake";
  SORTLINE_ASSIGN_OR_RETURN(link->client,
                            ClientChannel::Connect(*link->client_context, link->server->endpoint(),
                                                   "worker-1", client_options));
  return link;
}

// The link of the benchmark's argument (0 plaintext, 1 CURVE), or null once the
// benchmark is skipped with the reason it could not be opened.
std::unique_ptr<Link> OpenOrSkip(benchmark::State& state) {
  return bench::ValueOrSkip(state, Open(state.range(0) != 0));
}

void BM_RoundTrip(benchmark::State& state) {
  std::unique_ptr<Link> link = OpenOrSkip(state);
  if (link == nullptr) return;
  ServerChannel& server = *link->server;
  ClientChannel& client = *link->client;
  const std::string request(64, 'q');  // about a SortRequest
  const std::string reply(48, 'r');    // about a SortResponse
  for (auto _ : state) {
    Status sent = client.Send(request);
    Result<std::optional<Incoming>> incoming = server.Receive(kTimeout);
    if (!sent.ok() || !incoming.ok() || !incoming->has_value()) {
      state.SkipWithError("request lost");
      break;
    }
    Status answered = server.Send((*incoming)->peer, reply);
    Result<std::optional<std::string>> back = client.Receive(kTimeout);
    if (!answered.ok() || !back.ok() || !back->has_value()) {
      state.SkipWithError("reply lost");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.size() + reply.size()));
  state.SetLabel(state.range(0) != 0 ? "curve" : "plaintext");
}
BENCHMARK(BM_RoundTrip)->Arg(0)->Arg(1)->UseRealTime();

void BM_Stream(benchmark::State& state) {
  std::unique_ptr<Link> link = OpenOrSkip(state);
  if (link == nullptr) return;
  ServerChannel& server = *link->server;
  ClientChannel& client = *link->client;
  const std::string payload = WorkPayload();
  for (auto _ : state) {
    for (int i = 0; i < kWindow; ++i) {
      if (!bench::OkOrSkip(state, client.Send(payload))) return;
    }
    for (int i = 0; i < kWindow; ++i) {
      Result<std::optional<Incoming>> incoming = server.Receive(kTimeout);
      if (!incoming.ok() || !incoming->has_value() ||
          (*incoming)->payload.size() != payload.size()) {
        state.SkipWithError("batch lost");
        return;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * kWindow * kBatchSize);
  state.SetBytesProcessed(state.iterations() * kWindow * static_cast<int64_t>(payload.size()));
  state.counters["payload_bytes"] = static_cast<double>(payload.size());
  state.SetLabel(state.range(0) != 0 ? "curve" : "plaintext");
}
BENCHMARK(BM_Stream)->Arg(0)->Arg(1)->UseRealTime();

}  // namespace
}  // namespace sortline::transport
