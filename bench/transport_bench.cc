// The cost of CURVE: a ServerChannel/ClientChannel pair over tcp loopback, plaintext
// (/0) and CURVE (/1) in the same run, so the two can be stated as a ratio.
//   BM_RoundTrip:  one small request and its reply (a scanner question's size).
//   BM_Stream:     work batches of 256 orders (an encoded WorkMessage) streamed to the
//                  server, a window of kWindow in flight; items are orders.
// Server and client have a Context each, as two processes would (one I/O thread each).
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>

#include "pipeline/transport/channel.h"
#include "pipeline/transport/envelope.h"
#include "pipeline/transport/security.h"
#include "tests/testing/testing.h"

namespace sortline::transport {
namespace {

constexpr int kBatchSize = 256;
constexpr int kWindow = 16;
constexpr std::chrono::milliseconds kTimeout(5000);

v1::Order MakeOrder(int i) {
  char id[32];
  std::snprintf(id, sizeof(id), "JD919-%08d", i);
  char tracking[16];
  std::snprintf(tracking, sizeof(tracking), "EA%08dCN", 10'000'000 + i);
  v1::Order order = testing::SampleOrder(id);
  order.set_created_unix_ms(order.created_unix_ms() + i);
  order.set_tracking_number(tracking);
  order.mutable_recipient()->set_phone("138" + std::to_string(10'000'000 + i));
  order.mutable_recipient()->set_detail("朝阳大街" + std::to_string(i % 200) + "号3单元501室");
  order.mutable_parcel()->set_weight_g(500 + i % 5000);
  return order;
}

std::string WorkPayload() {
  v1::WorkMessage message;
  v1::WorkBatch* work = message.mutable_work();
  work->set_lease_id(42);
  work->set_lease_expires_unix_ms(1'726'704'060'000);
  for (int i = 0; i < kBatchSize; ++i) *work->add_orders() = MakeOrder(i);
  return Encode(std::move(message));
}

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

void BM_RoundTrip(benchmark::State& state) {
  Result<std::unique_ptr<Link>> link = Open(state.range(0) != 0);
  if (!link.ok()) {
    state.SkipWithError(link.status().ToString().c_str());
    return;
  }
  ServerChannel& server = *(*link)->server;
  ClientChannel& client = *(*link)->client;
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
  Result<std::unique_ptr<Link>> link = Open(state.range(0) != 0);
  if (!link.ok()) {
    state.SkipWithError(link.status().ToString().c_str());
    return;
  }
  ServerChannel& server = *(*link)->server;
  ClientChannel& client = *(*link)->client;
  const std::string payload = WorkPayload();
  for (auto _ : state) {
    for (int i = 0; i < kWindow; ++i) {
      if (Status sent = client.Send(payload); !sent.ok()) {
        state.SkipWithError(sent.ToString().c_str());
        return;
      }
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
