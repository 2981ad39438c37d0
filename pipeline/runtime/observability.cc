#include "pipeline/runtime/observability.h"

#include <utility>

namespace sortline::runtime {

void CountRefusedHandshakes(transport::ChannelOptions& options, metrics::Registry& registry,
                            const std::string& channel) {
  options.on_handshake_refused = [&registry, channel](const transport::HandshakeRefusal& refusal) {
    registry
        .GetCounter("sortline_handshakes_refused_total",
                    "Connections whose handshake failed, by channel and likely cause",
                    {{"channel", channel},
                     {"reason", std::string(transport::HandshakeFailureName(refusal.failure))}})
        .Add();
  };
}

transport::ChannelOptions ObservedChannelOptions(const transport::Security* security,
                                                 const LogSink& log, const std::string& peer_role,
                                                 metrics::Registry& registry,
                                                 const std::string& channel) {
  transport::ChannelOptions options;
  options.security = security;
  options.peer_role = peer_role;
  options.log = log;
  CountRefusedHandshakes(options, registry, channel);
  return options;
}

Result<std::unique_ptr<metrics::HttpServer>> StartMetrics(const std::string& host, int port,
                                                          const metrics::Registry& registry,
                                                          std::function<std::string()> liveness,
                                                          std::function<std::string()> readiness) {
  if (port < 0) return std::unique_ptr<metrics::HttpServer>();
  metrics::HttpServerOptions http;
  http.host = host;
  http.port = port;
  http.liveness = std::move(liveness);
  http.readiness = std::move(readiness);
  return metrics::HttpServer::Start(http, registry);
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sortline::runtime
